"""The divergence guard's check of an epoch's last update: its last training batch re-scored
after it (one forward pass), not its test loss, whose heavy tail is no blow-up."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from linearnets.errors import DivergenceError
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import fit


def _blobs(n: int, g: torch.Generator, *, flip: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n examples of two blobs of 2 features at ±5, the first ``flip`` labels flipped."""
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 2, generator=g) + torch.where(y[:, None] == 1, 5.0, -5.0)
    y[:flip] = 1 - y[:flip]
    return X, y


def _train(
    X: torch.Tensor,
    y: torch.Tensor,
    test: tuple[torch.Tensor, torch.Tensor] | None,
    *,
    lr: float,
    epochs: int,
    net: nn.Module,
    loss: nn.Module,
    guard: DivergenceGuard | None,
    batch_size: int = 256,
) -> list[tuple[float, float | None]]:
    """Train ``net`` in place with fit; return each epoch's (training loss, test loss)."""
    g = torch.Generator().manual_seed(0)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=g)
    test_iter = None if test is None else DataLoader(TensorDataset(*test), batch_size=256)
    history = fit(
        net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=lr), epochs,
        test_iter=test_iter, callbacks=[] if guard is None else [guard],
    )  # fmt: skip
    return [(m.train_loss, m.test_loss) for m in history.epochs]


def test_a_mislabelled_test_example_does_not_stop_a_healthy_classifier() -> None:
    """1000 clean training examples, one test example mislabelled: at lr 2 the model grows
    confident, its training loss ~0, the test loss on that one example past 100× the start. The
    epoch's end once stopped the run on it ("the test loss after the epoch is 112.6"). The
    oracle: the run without the guard, whose test loss passes the bound; guarded, it trains bit
    for bit the same."""
    g = torch.Generator().manual_seed(1)
    X, y = _blobs(1000, g)
    test = _blobs(1, g, flip=1)
    net = nn.Linear(2, 2)
    nn.init.zeros_(net.weight), nn.init.zeros_(net.bias)  # the untrained model's loss: ln 2
    free_net = copy.deepcopy(net)
    loss = nn.CrossEntropyLoss(reduction="none")
    free = _train(X, y, test, lr=2, epochs=3, net=free_net, loss=loss, guard=None)
    guard = DivergenceGuard(2, loss=loss)
    guarded = _train(X, y, test, lr=2, epochs=3, net=net, loss=loss, guard=guard)
    assert guard.start_loss is not None
    test_loss = free[0][1]
    assert test_loss is not None and test_loss > 100 * guard.start_loss
    assert guarded == free
    assert torch.equal(net.weight, free_net.weight)


def test_a_large_test_target_does_not_stop_a_healthy_regression() -> None:
    """fit with DivergenceGuard(0.1, loss=nn.MSELoss()): one of 100 test targets is 1000, so the
    test loss stands ~10⁴× past the loss of predicting the training targets' mean; the run is
    healthy (the oracle: unguarded, the same losses, the training loss far below the floor)."""
    g = torch.Generator().manual_seed(2)
    w = torch.tensor([[1.0], [-2.0], [0.5]])
    X, X_test = torch.randn(500, 3, generator=g), torch.randn(100, 3, generator=g)
    y = X @ w + 0.1 * torch.randn(500, 1, generator=g)
    y_test = X_test @ w
    y_test[17] = 1000.0
    torch.manual_seed(0)
    net = nn.Linear(3, 1)
    free_net = copy.deepcopy(net)
    loss = nn.MSELoss()
    kw = {"lr": 0.1, "epochs": 2, "loss": loss, "batch_size": 10}
    free = _train(X, y, (X_test, y_test), net=free_net, guard=None, **kw)  # type: ignore[arg-type]
    floor = float(y.var(unbiased=False))
    test_loss = free[0][1]
    assert test_loss is not None and test_loss > 100 * floor
    guard = DivergenceGuard(0.1, loss=loss)
    assert _train(X, y, (X_test, y_test), net=net, guard=guard, **kw) == free  # type: ignore[arg-type]


def test_a_blow_up_in_an_epochs_only_update_stops_with_no_test_set() -> None:
    """64 examples of 3 blobs, one batch an epoch, no test set, lr 1e30: the only step's loss is
    the untrained model's, and no test loss shows the update after it; the run ended with
    weights of ~1e29. The oracle: the same update made by hand, the training set's
    cross-entropy after it. The epoch's end stops it, naming that loss."""
    g = torch.Generator().manual_seed(0)
    centers = 1.5 * torch.randn(3, 4, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    X = centers[y] + torch.randn(64, 4, generator=g)
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    by_hand = copy.deepcopy(net)
    F.cross_entropy(by_hand(X), y).backward()
    with torch.no_grad():
        for p in by_hand.parameters():
            p -= 1e30 * p.grad  # type: ignore[operator]
        after = float(F.cross_entropy(by_hand(X), y))
    assert after > 1e20
    loss = nn.CrossEntropyLoss(reduction="none")
    guard = DivergenceGuard(1e30, loss=loss)
    with pytest.raises(DivergenceError) as info:
        _train(X, y, None, lr=1e30, epochs=1, net=net, loss=loss, guard=guard)
    assert str(info.value).startswith(
        "training diverged in epoch 1: the loss of its last examples after the epoch's last update "
        f"is {after:.4g}, more than 100× its starting value "
    )
    assert torch.allclose(net.weight, by_hand.weight)


class _Saved:
    """A callback after the guard, as a checkpoint is: the epochs it was shown."""

    def __init__(self) -> None:
        self.epochs: list[int] = []

    def on_epoch_end(self, *, metrics: object) -> None:
        self.epochs.append(metrics.epoch)  # type: ignore[attr-defined]


@pytest.mark.parametrize("unknown_length", [False, True])
def test_a_blow_up_hidden_by_a_short_last_batch_stops_in_epoch_1(unknown_length: bool) -> None:
    """257 examples of 3 random classes at batch 256 and lr 1e30: the last batch holds one
    example, which the huge last update fits (loss ~0), while the 256 others blow up. Re-scoring
    that batch alone ended exit 0 with weights of ~1e28 saved; the last batches holding 64
    examples or more (here all 257) are re-scored. The oracle: the unguarded run's training loss
    after epoch 1, over the training set, past 1e20 while its last example's is not. Guarded, the
    run stops in epoch 1, naming that loss, and no callback after the guard sees the epoch (a
    checkpoint never saves it); likewise where the loader's length is unknown."""
    g = torch.Generator().manual_seed(6)
    X, y = torch.randn(257, 3, generator=g), torch.randint(0, 3, (257,), generator=g)
    torch.manual_seed(0)
    net = nn.Linear(3, 3)
    free_net = copy.deepcopy(net)
    loss = nn.CrossEntropyLoss(reduction="none")
    # the last example: one the first step's update already fits, so its step's loss (measured
    # before its own update) is ~0 too, as in a CLI run shuffled so (exit 0, weights ~1e28)
    first = copy.deepcopy(net)
    F.cross_entropy(first(X[:256]), y[:256]).backward()
    with torch.no_grad():
        for p in first.parameters():
            p -= 1e30 * p.grad  # type: ignore[operator]
        fitted = int(
            torch.nonzero(F.cross_entropy(first(X[:256]), y[:256], reduction="none") < 1e-6)[0]
        )
    X[256], y[256] = X[fitted], y[fitted]
    batches = [(X[:256], y[:256]), (X[256:], y[256:])]

    def loader() -> object:
        return (b for b in batches) if unknown_length else batches

    def run(model: nn.Module, callbacks: list[object]) -> None:
        opt = torch.optim.SGD(model.parameters(), lr=1e30)
        fit(model, loader(), loss, opt, 1, callbacks=callbacks)  # type: ignore[arg-type]
        fit(model, loader(), loss, opt, 2, start_epoch=1, callbacks=callbacks)  # type: ignore[arg-type]

    opt = torch.optim.SGD(free_net.parameters(), lr=1e30)
    fit(free_net, batches, loss, opt, 1)  # type: ignore[arg-type]
    with torch.no_grad():
        blown = float(F.cross_entropy(free_net(X), y))
        last = float(F.cross_entropy(free_net(batches[1][0]), batches[1][1]))
    assert blown > 1e20 and last < 1.0
    guard, saved = DivergenceGuard(1e30, loss=loss), _Saved()
    with pytest.raises(DivergenceError) as info:
        run(net, [guard, saved])
    message = str(info.value)
    prefix = "training diverged in epoch 1: the loss of its last examples after the epoch's last update is "
    assert message.startswith(prefix)
    assert float(message[len(prefix) :].split(",")[0]) == pytest.approx(blown, rel=1e-3)
    assert saved.epochs == []
    assert torch.equal(net.weight, free_net.weight)


@pytest.mark.parametrize("known_length", [True, False])
def test_the_batches_held_are_decided_by_the_global_batch_sizes(known_length: bool) -> None:
    """129 examples at global batch 64, on rank 0 of 2 (shards of 32, 32, 1): one process holds
    the last 2 batches (65 examples ≥ 64), so each rank must hold its share of those 2, not the
    3 whose own 65 rows reach 64 (all 129 examples over 2 processes). The oracle: one process's
    choice, the same steps."""
    from linearnets.training.last_update import HeldBatches

    def held(sizes: list[int], global_sizes: list[int] | None) -> list[int]:
        batches = HeldBatches(len(sizes) if known_length else None, examples=64)
        steps = {}  # each batch's step, by its targets' identity (a shard may be empty)
        for step, n in enumerate(sizes):
            size = None if global_sizes is None else global_sizes[step]
            y = torch.zeros(n, dtype=torch.long)
            steps[id(y)] = step
            batches.add(step, torch.zeros(n, 1), y, size=size)
        return [steps[id(y)] for _, y in batches.take()]

    one_process = held([64, 64, 1], None)
    assert one_process == [1, 2]
    assert held([32, 32, 1], [64, 64, 1]) == one_process  # rank 0's shards
    assert held([32, 32, 0], [64, 64, 1]) == one_process  # rank 1's: its last shard empty
