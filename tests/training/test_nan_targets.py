"""Class probabilities (soft targets) that made a training loss NaN, named at their batch and
examples (D2L §3.4, §3.6)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import linearnets as ln
from linearnets import d2l
from linearnets.errors import DivergenceError
from linearnets.training.nan_targets import TargetsWatch, watch_targets

_FIX = (
    ": a target that is NaN or inf makes its example's loss so, and that batch's update most "
    "likely made the weights non-finite, and with them every score after; clean or drop that "
    "example (torch.isfinite(y).all(dim=1) is False on it), then train again from fresh weights"
)


def _soft(n: int = 20, *, bad_row: int | None = 7) -> tuple[torch.Tensor, torch.Tensor]:
    """Finite features (n, 4) and class probabilities (n, 3), NaN in row ``bad_row``."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(n, 4, generator=gen)
    y = torch.softmax(torch.randn(n, 3, generator=gen), dim=1)
    if bad_row is not None:
        y[bad_row] = math.nan
    return X, y


def _message(batch: int, where: str, epoch: int | None = 1) -> str:
    when = "this epoch" if epoch is None else f"epoch {epoch}"
    return (
        f"the loss is not finite at batch {batch} of train_iter in {when}, whose targets y hold "
        f"NaN or inf on 1 of its 5 examples ({where}){_FIX}"
    )


_ROW_7 = (
    "position 2 in the batch, counting from 0: example 7 of the epoch, its index in the dataset"
)


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("evaluated", [True, False], ids=["with-test-iter", "alone"])
def test_fit_names_the_soft_targets_that_hold_nan_not_the_weights(
    reduction: str, evaluated: bool
) -> None:
    """Finite features and weights, one NaN row of class probabilities in batch 2: that row's loss
    is NaN, and the update the weights. Its totals have no accuracy to check, so fit trained on,
    and the test_iter's NaN scores were blamed on the weights: "its weights hold NaN or inf
    (weight and bias): weights blow up when the lr is too large (train again with a smaller one),
    or after a step on features that hold NaN or inf". Now the targets, their batch and example
    are named, per-example loss or mean, and the lr nowhere."""
    X, y = _soft()
    assert bool(torch.isfinite(X).all())
    labels = torch.randint(0, 3, (20,), generator=torch.Generator().manual_seed(1))
    test_iter = DataLoader(TensorDataset(X, labels), batch_size=5) if evaluated else None
    net = nn.Linear(4, 3)
    assert all(bool(torch.isfinite(p).all()) for p in net.parameters())
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=False)
    loss = nn.CrossEntropyLoss(reduction=reduction)
    with pytest.raises(DivergenceError, match=f"^{re.escape(_message(2, _ROW_7))}$") as info:
        ln.fit(net, train_iter, loss, updater, 2, test_iter=test_iter)
    assert "lr" not in str(info.value).split() and "weights hold" not in str(info.value)
    error = info.value
    assert error.step == 1 and error.examples and not error.resumable


def test_two_bad_target_rows_are_told_as_those_examples() -> None:
    """Two NaN rows of one batch (positions 1 and 3 of batch 2): the fix names them in the plural,
    in the words the guard's data message uses (nan_places.clean_or_drop)."""
    X, y = _soft(bad_row=6)
    y[8] = math.nan
    net = nn.Linear(4, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=False)
    with pytest.raises(DivergenceError) as info:
        ln.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    assert str(info.value) == (
        "the loss is not finite at batch 2 of train_iter in epoch 1, whose targets y hold NaN or "
        "inf on 2 of its 5 examples (positions 1 and 3 in the batch, counting from 0: examples 6 "
        "and 8 of the epoch, their indices in the dataset): a target that is NaN or inf makes its "
        "example's loss so, and that batch's update most likely made the weights non-finite, and "
        "with them every score after; clean or drop those examples "
        "(torch.isfinite(y).all(dim=1) is False on them), then train again from fresh weights"
    )


def test_the_books_loop_with_its_function_updater_names_them_too() -> None:
    """d2l.train_epoch_ch3 with the book's sgd(batch_size), its own loop: the same message (the
    epoch is train_ch3's to know)."""
    X, y = _soft()
    W = torch.zeros(4, 3, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return X @ W

    def updater(batch_size: int) -> None:
        d2l.sgd([W], 0.1, batch_size)

    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(DivergenceError, match=f"^{re.escape(_message(2, _ROW_7, None))}$"):
        d2l.train_epoch_ch3(net, train_iter, loss, updater)


def test_a_nan_target_past_the_first_group_is_named_by_its_batch_and_epoch() -> None:
    """Batch 70 of 80, past the 64 steps looked at together, in epoch 2 (a resumed fit's first):
    in a shuffled loader's batch, its position in the epoch is no dataset index."""
    X, y = _soft(400, bad_row=None)
    gen = torch.Generator()
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=True, generator=gen)
    gen.manual_seed(5)  # the epoch's order, drawn as a loader over the same generator draws it
    indexed = DataLoader(
        TensorDataset(torch.arange(400)), batch_size=5, shuffle=True, generator=gen
    )
    drawn = torch.cat([i for (i,) in indexed]).tolist()
    y[drawn[69 * 5 + 3]] = math.inf  # the 4th example of batch 70
    net = nn.Linear(4, 3)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    where = (
        "position 3 in the batch, counting from 0: example 348 in the epoch's shuffled order, not "
        "its index in the dataset"
    )
    gen.manual_seed(5)
    with pytest.raises(DivergenceError, match=f"^{re.escape(_message(70, where, epoch=2))}$"):
        ln.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), updater, 2, start_epoch=1)


def test_the_other_examples_whose_loss_is_not_finite_are_counted_apart() -> None:
    """A NaN target and, in the same batch, a NaN feature: the target is named, and the other
    example's loss, whose targets are finite, is counted as the features' or an overflow's."""
    X, y = _soft()
    X[9, 1] = math.nan  # batch 2, position 4
    net = nn.Linear(4, 3)
    batches = [(X[i : i + 5], y[i : i + 5]) for i in range(0, 20, 5)]
    with pytest.raises(DivergenceError) as info:
        ln.fit(net, batches, nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    assert str(info.value) == (
        "the loss is not finite at batch 2 of train_iter in epoch 1, whose targets y hold NaN or "
        "inf on 1 of its 5 examples (position 2 in the batch, counting from 0: example 7 in the "
        "order train_iter yielded them), and its loss is not finite on 1 more, whose targets are "
        "finite (their features X hold NaN or inf, or the model's computation overflowed on "
        f"them){_FIX}"
    )


def test_a_loss_not_finite_on_finite_targets_trains_on_till_a_later_pass_finds_it() -> None:
    """NaN features, finite probabilities: the first loss that is not finite has finite targets,
    so nothing is said of them, not even of a NaN target in a later batch (the weights were NaN
    by then). No other check of an unguarded fit names the features (the module's docstring said
    they were "the other checks' to name"): it trains on, as a regression does; a test_iter's
    NaN scores then name the weights."""
    X, y = _soft(bad_row=12)
    X[3, 0] = math.nan  # batch 1
    net = nn.Linear(4, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    history = ln.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), updater, 1)
    assert math.isnan(history.train_loss[-1]) and net.weight.isnan().all()
    labels = torch.zeros(20, dtype=torch.long)
    test_iter = DataLoader(TensorDataset(X.nan_to_num(), labels), batch_size=5)
    weights = (
        "the model's scores hold NaN, so no accuracy can be computed: its weights hold NaN or inf "
        "(weight and bias): weights blow up when the lr is too large (train again with a smaller "
        "one), or after a step on features that hold NaN or inf (check each batch with "
        "torch.isfinite(X).all())"
    )
    net = nn.Linear(4, 3)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(DivergenceError, match=f"^{re.escape(weights)}$"):
        ln.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), updater, 1, test_iter=test_iter)  # fmt: skip


def _mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(y_hat, y, reduction="none")


@pytest.mark.parametrize(
    "loss",
    [nn.MSELoss(reduction="none"), _mse, ln.squared_loss],
    ids=["nn.MSELoss", "F.mse_loss", "squared_loss"],
)
def test_a_regression_of_several_outputs_trains_on_through_a_nan_target_whatever_its_loss(
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """Float targets (B, 3) of a 3-output regression, one NaN: nn.MSELoss trained on, but
    F.mse_loss and linearnets' squared_loss stopped ("the loss is not finite at batch 2 of
    train_iter in epoch 1, whose targets y hold NaN or inf"), their targets taken for class
    probabilities. A regression trains on, as the book's loop does, whatever computes its loss."""
    X, y = _soft()
    net = nn.Linear(4, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    history = ln.fit(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert math.isnan(history.train_loss[-1]) and net.weight.isnan().all()


def _cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(y_hat, y, reduction="none")


@pytest.mark.parametrize(
    "loss",
    [
        F.cross_entropy,
        functools.partial(F.cross_entropy, reduction="none"),
        nn.BCEWithLogitsLoss(reduction="none"),
        F.binary_cross_entropy_with_logits,
    ],
    ids=["F.cross_entropy", "partial", "nn.BCEWithLogitsLoss", "F.bce_with_logits"],
)
def test_torchs_other_losses_of_probabilities_are_watched_too(
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """F.cross_entropy (itself, or a partial of it with keywords) takes class probabilities as
    nn.CrossEntropyLoss does; a binary cross-entropy, one probability per output."""
    X, y = _soft()
    net = nn.Linear(4, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    with pytest.raises(DivergenceError, match=f"^{re.escape(_message(2, _ROW_7))}$"):
        ln.fit(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)


@pytest.mark.parametrize(
    ("loss", "y"),
    [
        (nn.MSELoss(reduction="none"), torch.zeros(8, 3)),  # a regression of 3 outputs
        (_mse, torch.zeros(8, 3)),
        (ln.squared_loss, torch.zeros(8, 3)),
        (_cross_entropy, torch.full((8, 3), 1 / 3)),  # a function of the user's: not known
        (lambda y_hat, y: (y_hat - y).abs(), torch.full((8, 3), 1 / 3)),
        (functools.partial(F.cross_entropy, torch.zeros(3)), torch.full((8, 3), 1 / 3)),
        (nn.CrossEntropyLoss(reduction="none"), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])),
        (nn.CrossEntropyLoss(reduction="none"), torch.zeros(8, 3, dtype=torch.float64)[:, :1]),
    ],
    ids=[
        "regression", "F.mse_loss", "squared_loss", "users-function", "lambda", "partial-with-args",
        "class-labels", "one-column",
    ],
)  # fmt: skip
def test_only_class_probabilities_of_the_scores_shape_are_watched(
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], y: torch.Tensor
) -> None:
    """A regression trains on through a NaN, as the book's loop does (docs/python.md), and class
    labels have their scores checked by the epoch's totals: no watch for them. Only torch's
    losses known to take probabilities are watched: a function of the user's may be a
    regression's, whatever it calls."""
    y_hat = torch.zeros(8, 3)
    assert watch_targets(y_hat, y, loss, name="train_iter", epoch=1, batches=None) is None
    soft = torch.full((8, 3), 1 / 3)
    watch = watch_targets(y_hat, soft, nn.CrossEntropyLoss(), name="train_iter", epoch=1, batches=None)  # fmt: skip
    assert isinstance(watch, TargetsWatch)


def test_finite_targets_and_losses_raise_nothing_and_are_let_go_by_the_pass_end() -> None:
    watch = TargetsWatch(name="train_iter", epoch=1, batches=None)
    for _ in range(130):
        watch.add(torch.full((2, 3), 1 / 3), torch.ones(2))
    watch.finish()
    assert watch._steps == 130 and not watch._held


def _device_pass(device: str) -> TargetsWatch:
    """A pass of 70 steps of 4 examples, read as a device's: NaN targets at steps 67 and 69,
    the loss not finite from step 67 on (a 0-d mean at step 67 itself)."""
    watch = TargetsWatch(name="train_iter", epoch=3, batches=None)
    finite = torch.full((4, 3), 1 / 3, device=device)
    for step in range(70):
        y = finite.clone()
        if step in (66, 68):
            y[1] = math.nan
        watch.add(y, y.sum(1).mean() if step == 66 else y.sum(1))
    return watch


_STEP_67 = (
    "the loss is not finite at batch 67 of train_iter in epoch 3, whose targets y hold NaN or inf "
    "on 1 of its 4 examples (position 1 in the batch, counting from 0: example 265 in the order "
    f"train_iter yielded them){_FIX}"
)


def test_a_devices_groups_are_read_back_once_at_the_pass_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a device each group's rows are kept unread until the pass's end (here on the CPU, read
    as a device's); the first step whose loss is not finite decides, a 0-d mean's naming the
    rows whose targets hold NaN."""
    monkeypatch.setattr(TargetsWatch, "_reads_now", staticmethod(lambda losses: False))
    watch = _device_pass("cpu")
    assert len(watch._pending) == 1 and len(watch._held) == 6  # the first 64 steps, unread
    with pytest.raises(DivergenceError, match=f"^{re.escape(_STEP_67)}$"):
        watch.finish()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_targets_are_named_at_the_pass_end() -> None:
    watch = _device_pass("cuda")
    assert len(watch._pending) == 1 and len(watch._held) == 6
    with pytest.raises(DivergenceError, match=f"^{re.escape(_STEP_67)}$"):
        watch.finish()
