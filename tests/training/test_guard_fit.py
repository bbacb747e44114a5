"""What fit tells the divergence guards among its callbacks (D2L §3.6.6): its loss, where a guard
was built without one."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from linearnets.errors import DivergenceError
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import fit


def _classes(n: int = 600, batch: int = 20) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` random examples of 5 features and 3 classes, in batches of ``batch``."""
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)
    return [(X[i : i + batch], y[i : i + batch]) for i in range(0, n, batch)]


def _net() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(5, 3)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_a_guard_built_without_loss_stops_a_blown_up_classifier_in_batches_of_20(
    reduction: str,
) -> None:
    # the docs' callbacks=[DivergenceGuard(lr)]: a mean-reduced cross-entropy's one value per batch
    # was taken for a loss that may hold rare large values; the loss went 1.1 -> ~3500, unstopped
    net = _net()
    with pytest.raises(DivergenceError) as err:
        fit(net, _classes(), nn.CrossEntropyLoss(reduction=reduction),
            torch.optim.SGD(net.parameters(), lr=1e4), 2, callbacks=[DivergenceGuard(1e4)])  # fmt: skip
    assert str(err.value).startswith(
        "training diverged at epoch 1, step 2: the batch loss is 2389, more than 100× its starting "
        "value 1.138, at lr 10000; try a far smaller learning rate (lr)"
    )


def test_a_guard_given_loss_keeps_its_own() -> None:
    guard = DivergenceGuard(0.1, loss=nn.MSELoss())
    net = _net()
    fit(net, _classes(60), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1,
        callbacks=[guard])  # fmt: skip
    assert guard.loss.__class__ is nn.MSELoss


def test_a_healthy_run_is_the_same_with_and_without_the_guard() -> None:
    runs = []
    for callbacks in ([], [DivergenceGuard(0.1)]):
        net = _net()
        history = fit(net, _classes(), nn.CrossEntropyLoss(),
                      torch.optim.SGD(net.parameters(), lr=0.1), 2, callbacks=callbacks)  # fmt: skip
        runs.append(([(e.train_loss, e.train_acc) for e in history.epochs], net.weight.clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
