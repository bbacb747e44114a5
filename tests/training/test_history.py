"""History: per-epoch lists, and a one-line repr a notebook can show."""

from __future__ import annotations

from linearnets.training.history import EpochMetrics, History


def test_repr_is_one_short_line_of_the_last_epoch() -> None:
    assert repr(History()) == "History(no epochs)"
    history = History([EpochMetrics(e, 1.0 / e, 0.8, 0.5, 0.79, 0.1) for e in range(1, 11)])
    assert (
        repr(history)
        == "History(10 epochs; epoch 10: train loss 0.1, train acc 0.8, test acc 0.79)"
    )
    regression = History([EpochMetrics(1, 5.2e-5, None, None, None, 0.01)])
    assert repr(regression) == "History(1 epoch; epoch 1: train loss 5.2e-05)"
    assert history.test_acc == [0.79] * 10 and history.train_loss[1] == 0.5
