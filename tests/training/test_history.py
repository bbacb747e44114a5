"""History: per-epoch lists, and a one-line repr a notebook can show."""

from __future__ import annotations

from typing import Any

import pytest

from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.history import EpochMetrics, History, HistoryRows


def test_repr_is_one_short_line_of_the_last_epoch() -> None:
    assert repr(History()) == "History(no epochs)"
    history = History([EpochMetrics(e, 1.0 / e, 0.8, 0.5, 0.79, 0.1) for e in range(1, 11)])
    assert (
        repr(history)
        == "History(10 epochs; epoch 10: train loss 0.1, train acc 0.8, test acc 0.79)"
    )
    regression = History([EpochMetrics(1, 5.2e-5, None, None, None, 0.01)])
    assert repr(regression) == "History(1 epoch; epoch 1: train loss 5.2e-05)"
    # a regression's test loss is its test set's figure: shown once computed
    tested = History([EpochMetrics(2, 5.2e-5, None, 6.31e-5, None, 0.01)])
    assert repr(tested) == "History(1 epoch; epoch 2: train loss 5.2e-05, test loss 6.31e-05)"
    # a classifier's test figure is its accuracy; its loss stands in only without one
    no_acc = History([EpochMetrics(1, 0.5, 0.8, 0.61, None, 0.1)])
    assert (
        repr(no_acc) == "History(1 epoch; epoch 1: train loss 0.5, train acc 0.8, test loss 0.61)"
    )
    assert history.test_acc == [0.79] * 10 and history.train_loss[1] == 0.5


def test_lists_follow_the_epochs_field_by_field() -> None:
    epochs = [
        EpochMetrics(1, 0.9, 0.6, 0.8, 0.65, 1.0),
        EpochMetrics(2, 0.5, 0.7, 0.55, 0.72, 1.1),
    ]
    history = History(epochs)
    assert history.train_loss == [0.9, 0.5] and history.train_acc == [0.6, 0.7]
    assert history.test_loss == [0.8, 0.55] and history.test_acc == [0.65, 0.72]
    assert history.last is epochs[1]
    assert epochs[0].as_dict() == {
        "epoch": 1,
        "train_loss": 0.9,
        "train_acc": 0.6,
        "test_loss": 0.8,
        "test_acc": 0.65,
        "seconds": 1.0,
    }


def test_a_history_reads_as_the_list_of_its_epochs() -> None:
    """len(h), h[-1], h[:2] and list(h) as on h.epochs: the book's habit of indexing the metrics."""
    epochs = [EpochMetrics(e, 1.0 / e, 0.5, 0.6, 0.55, 0.1) for e in range(1, 4)]
    history = History(list(epochs))
    assert len(history) == 3 and len(History()) == 0
    assert history[-1] is epochs[2] and history[0] is epochs[0]
    assert history[:2] == epochs[:2] and isinstance(history[1:], list)
    assert list(history) == epochs and [m.epoch for m in history] == [1, 2, 3]
    assert not History() and history  # empty is falsy, as an empty list is
    with pytest.raises(IndexError):
        _ = history[3]


def test_repr_shows_four_significant_digits() -> None:
    history = History([EpochMetrics(3, 0.123456, 0.876543, 0.2, 0.812345, 2.0)])
    assert repr(history) == "History(1 epoch; epoch 3: train loss 0.1235, train acc 0.8765, test acc 0.8123)"  # fmt: skip


def test_last_of_an_empty_history_is_refused() -> None:
    with pytest.raises(UsageError, match="history is empty: no epoch has finished yet"):
        _ = History().last


def test_history_rows_build_each_row_once_as_the_history_grows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A checkpoint saves every row at every epoch: rebuilding them all made a long run quadratic."""
    from dataclasses import asdict

    built: list[int] = []
    plain = EpochMetrics.as_dict

    def counted(m: EpochMetrics) -> dict[str, Any]:
        built.append(m.epoch)
        return plain(m)

    monkeypatch.setattr(EpochMetrics, "as_dict", counted)
    history = History()
    rows = HistoryRows(history)
    for epoch in range(1, 6):
        history.epochs.append(EpochMetrics(epoch, 1.0 / epoch, 0.5, None, 0.4, 0.01))
        got = rows.rows()
        assert got == [asdict(m) for m in history.epochs]  # the oracle: dataclasses' own dicts
    assert built == [1, 2, 3, 4, 5]  # each epoch's row once, not 1 + 2 + ... + 5 rows


def test_history_rows_start_again_when_the_history_is_replaced() -> None:
    history = History([EpochMetrics(1, 0.9, None, None, None, 0.1)])
    rows = HistoryRows(history)
    assert [r["train_loss"] for r in rows.rows()] == [0.9]
    history.epochs[:] = [EpochMetrics(1, 0.7, None, None, None, 0.1)]  # same length, new epoch
    assert [r["train_loss"] for r in rows.rows()] == [0.7]
    history.epochs.clear()
    assert rows.rows() == []


def test_history_rows_build_every_epoch_appended_since_the_last_call() -> None:
    """A resumed run's history comes back whole from its checkpoint: all its rows, not the last."""
    history = History()
    rows = HistoryRows(history)
    assert rows.rows() == []
    history.epochs.extend(EpochMetrics(e, 1.0 / e, None, None, None, 0.1) for e in (1, 2, 3))
    assert [r["epoch"] for r in rows.rows()] == [1, 2, 3]
    history.epochs.extend(EpochMetrics(e, 1.0 / e, None, None, None, 0.1) for e in (4, 5))
    assert [(r["epoch"], r["train_loss"]) for r in rows.rows()] == [
        (e, 1.0 / e) for e in range(1, 6)
    ]


def test_history_of_reads_the_finished_epochs_fit_handed_the_stop() -> None:
    """fit's Ctrl-C holds the epochs done as .history (the oracle: the attribute itself, and the
    epoch count the callback saw); history_of returns it typed, and None for any other."""
    import torch
    from torch import nn

    import linearnets as ln

    class StopInSecondEpoch(ln.Callback):
        def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
            if metrics.epoch == 2:
                raise KeyboardInterrupt

    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    batches = [(torch.randn(4, 3), torch.tensor([0, 1, 1, 0]))]
    with pytest.raises(KeyboardInterrupt) as info:
        ln.fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 5,
               callbacks=[StopInSecondEpoch()])  # fmt: skip
    got = ln.history_of(info.value)
    assert got is info.value.history  # type: ignore[attr-defined]
    assert got is not None and [m.epoch for m in got.epochs] == [1, 2]
    assert ln.history_of(ValueError("no fit")) is None
    own = ValueError("a history of its own")
    own.history = "mine"  # type: ignore[attr-defined]
    assert ln.history_of(own) is None


def test_history_of_refuses_what_is_no_exception() -> None:
    """It returned None for a string, as for an exception fit handed no history."""
    import linearnets as ln
    from linearnets.errors import UsageTypeError

    with pytest.raises(UsageTypeError) as info:
        ln.history_of("stop")  # type: ignore[arg-type]
    assert str(info.value) == (
        "exc must be an exception (the one fit raised), got 'stop'; pass the exception "
        "caught: except KeyboardInterrupt as stop: ln.history_of(stop)"
    )


def test_a_stop_of_yours_whose_history_cannot_be_set_comes_out_of_fit_as_it_was() -> None:
    """A KeyboardInterrupt subclass with a read-only history property, raised by a callback, came
    out of fit as an AttributeError (keep_history assigned it bare); a ValueError subclass alike
    was handed through (the oracle)."""
    import torch
    from torch import nn

    import linearnets as ln

    class MyStop(KeyboardInterrupt):
        @property
        def history(self) -> str:
            return "mine"

    class MyError(ValueError):
        @property
        def history(self) -> str:
            return "mine"

    for kind in (MyError, MyStop):

        class Stop(ln.Callback):
            def __init__(self, raised: type[BaseException]) -> None:
                self.raised = raised

            def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
                raise self.raised()

        net = nn.Linear(3, 2)
        batches = [(torch.randn(4, 3), torch.tensor([0, 1, 1, 0]))]
        with pytest.raises(kind) as info:
            ln.fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1),
                   2, callbacks=[Stop(kind)])  # fmt: skip
        assert type(info.value) is kind and ln.history_of(info.value) is None
    # the Ctrl-C's note said its metrics were "this exception's .history", which is "mine"
    notes = getattr(info.value, "__notes__", [])
    assert notes == [
        "fit was interrupted after 1 finished epoch(s); the model keeps the weights of its last "
        "step, but this exception's own .history could not take their metrics, which only a "
        "History passed to fit as history= keeps (fit extends it in place); to go on, call fit "
        "again with start_epoch=1 and that History"
    ]


def test_a_history_indexed_by_a_metrics_name_is_refused_with_its_attribute() -> None:
    """history["train_loss"] failed in Python's words ("list indices must be integers or
    slices, not str"): a UsageTypeError now names the rule and the attribute to read."""
    history = History([EpochMetrics(1, 0.5, 0.8, 0.6, 0.7, 0.1)])
    with pytest.raises(
        UsageTypeError,
        match=r"^History is indexed by epoch \(int or slice\), got 'train_loss'; "
        r"use history\.train_loss$",
    ):
        history["train_loss"]  # type: ignore[call-overload]
    with pytest.raises(UsageTypeError, match=r"got 'seconds'; use \[m\.seconds for m in history\]$"):  # fmt: skip
        history["seconds"]  # type: ignore[call-overload]
    with pytest.raises(
        UsageTypeError,
        match=r"got 'loss'; its metrics per epoch are history\.train_loss, history\.train_acc, "
        r"history\.test_loss, history\.test_acc, each a list$",
    ):
        history["loss"]  # type: ignore[call-overload]
    with pytest.raises(UsageTypeError, match=r"got 1\.5; its metrics per epoch are "):
        history[1.5]  # type: ignore[call-overload]
    assert history[0].train_loss == 0.5 and history[-1:] == history.epochs
    with pytest.raises(IndexError):  # past the end: a list's own error
        history[3]
