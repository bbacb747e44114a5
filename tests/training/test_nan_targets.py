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


@pytest.mark.parametrize(
    ("rows", "finite"),
    [
        ((9,), "on 1 more, whose targets are finite (its features X hold NaN or inf, or the model's computation overflowed on it)"),
        ((8, 9), "on 2 more, whose targets are finite (their features X hold NaN or inf, or the model's computation overflowed on them)"),
    ],
    ids=["one", "two"],
)  # fmt: skip
def test_the_other_examples_whose_loss_is_not_finite_are_counted_apart(
    rows: tuple[int, ...], finite: str
) -> None:
    """A NaN target and, in the same batch, a NaN feature: the target is named, and the other
    example's loss, whose targets are finite, is counted as the features' or an overflow's (of
    one example: "on it", not "on them")."""
    X, y = _soft()
    for row in rows:  # batch 2, positions 3 and 4
        X[row, 1] = math.nan
    net = nn.Linear(4, 3)
    batches = [(X[i : i + 5], y[i : i + 5]) for i in range(0, 20, 5)]
    with pytest.raises(DivergenceError) as info:
        ln.fit(net, batches, nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    assert str(info.value) == (
        "the loss is not finite at batch 2 of train_iter in epoch 1, whose targets y hold NaN or "
        "inf on 1 of its 5 examples (position 2 in the batch, counting from 0: example 7 in the "
        f"order train_iter yielded them), and its loss is not finite {finite}{_FIX}"
    )


def _features_message(
    batch: int, where: str, test: str, epoch: int | None = 1, *, size: int = 5
) -> str:
    when = "this epoch" if epoch is None else f"epoch {epoch}"
    return (
        f"the loss is not finite at batch {batch} of train_iter in {when}, whose targets y are "
        f"finite but whose features X hold NaN or inf on 1 of its {size} examples ({where}): a "
        "feature that is NaN or inf makes its example's scores and loss so, and that batch's "
        "update most likely made the weights non-finite, and with them every score after; clean "
        f"or drop that example ({test} is False on it), then train again from fresh weights"
    )


_ROW_3 = (
    "position 3 in the batch, counting from 0: example 3 of the epoch, its index in the dataset"
)


def _concise() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3))


def _scratch() -> nn.Module:
    return ln.SoftmaxRegressionScratch(4, 3, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("make", [_concise, _scratch], ids=["concise", "scratch"])
def test_fit_names_the_features_that_hold_nan_where_the_targets_are_finite(
    reduction: str, make: Callable[[], nn.Module]
) -> None:
    """NaN features, finite probabilities: an unguarded fit trained on to a NaN history (its loss
    nan every epoch, its weights NaN), as a regression does, where class labels stop with the
    scores' error. Now the features, their batch and example are named, per-example loss or
    mean, concise model or scratch, and the lr nowhere; a NaN target in a later batch is not
    named (the weights were NaN by then)."""
    X, y = _soft(bad_row=12)
    X[3, 0] = math.nan  # batch 1
    net = make()
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction=reduction)
    message = _features_message(1, _ROW_3, "torch.isfinite(X).all(dim=1)")
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$") as info:
        ln.fit(net, train_iter, loss, updater, 2)
    assert "lr" not in str(info.value).split() and "weights hold" not in str(info.value)
    assert info.value.step == 0 and info.value.examples and not info.value.resumable


def test_train_epoch_and_the_books_loop_name_the_features_too() -> None:
    """train_epoch called alone, and d2l.train_epoch_ch3 with the book's sgd(batch_size), its
    own loop: the same message, "in this epoch"; image-shaped features (B, 1, 2, 2) are tested
    flattened."""
    X, y = _soft()
    y[7] = 1 / 3  # finite targets everywhere
    X[9, 2] = math.inf  # batch 2, position 4
    images = X.reshape(20, 1, 2, 2)
    where = (
        "position 4 in the batch, counting from 0: example 9 of the epoch, its index in the dataset"
    )
    message = _features_message(2, where, "torch.isfinite(X).flatten(1).all(dim=1)", epoch=None)
    train_iter = DataLoader(TensorDataset(images, y), batch_size=5)
    net, loss = _concise(), nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$"):
        ln.train_epoch(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=0.1))
    W = torch.zeros(4, 3, requires_grad=True)

    def book_net(X: torch.Tensor) -> torch.Tensor:
        return X.reshape(-1, 4) @ W

    def updater(batch_size: int) -> None:
        d2l.sgd([W], 0.1, batch_size)

    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$"):
        d2l.train_epoch_ch3(book_net, train_iter, loss, updater)


def _not_held(
    where: str,
    some: str,
    others: str,
    whose: str,
    them: str,
    drop: str,
    *,
    batch: str = "2",
    size: str = "256",
) -> str:
    """The message on batch ``batch`` of train_iter in epoch 1, whose X is not held and whose
    scores are not finite on ``some`` of its ``size`` examples (``where``), finite on
    ``others``."""
    return (
        f"the loss is not finite at batch {batch} of train_iter in epoch 1, whose targets y are "
        f"finite but whose scores are not on {some} of its {size} examples ({where}), while the "
        f"other {others} examples' are: either {whose} features X hold NaN or inf, or the "
        f"model's computation overflowed on {them}, as it does once a learning rate too large has "
        "grown the weights (a batch's X over 64 KiB is not held to be looked at, so which is not "
        "known), and that batch's update most likely made the weights non-finite, and with them "
        f"every score after; torch.isfinite(X).all() on batch {batch}'s features tells which "
        f"(False: {drop}; True: train with a smaller learning rate, or compute the model's scores "
        "stably), then train again from fresh weights"
    )


@pytest.mark.parametrize("two", [True, False], ids=["two", "one"])
def test_features_too_large_to_hold_are_named_by_the_scores_that_are_not_finite(
    two: bool,
) -> None:
    """A batch's X over 64 KiB (256 × 784 floats, a Fashion-MNIST batch's) is not held to be
    looked at: its examples whose scores alone are not finite are named, their features or an
    overflow in the model to blame, with the test that tells them apart. Neither is known the
    cause: the error names no examples as to blame, and a smaller lr may help. Of one example:
    "overflowed on it" (it said "on them")."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(512, 784, generator=gen)
    X[256 + 10, 5] = math.nan  # batch 2, position 10
    if two:
        X[256 + 20, 7] = -math.inf  # batch 2, position 20
    y = torch.softmax(torch.randn(512, 3, generator=gen), dim=1)
    net = nn.Linear(784, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=256)
    if two:
        where = (
            "positions 10 and 20 in the batch, counting from 0: examples 266 and 276 of the "
            "epoch, their indices in the dataset"
        )
        drop = "clean or drop those examples (torch.isfinite(X).all(dim=1) is False on them)"
        message = _not_held(where, "2", "254", "those examples'", "them", drop)
    else:
        where = (
            "position 10 in the batch, counting from 0: example 266 of the epoch, its index in "
            "the dataset"
        )
        drop = "clean or drop that example (torch.isfinite(X).all(dim=1) is False on it)"
        message = _not_held(where, "1", "255", "that example's", "it", drop)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$") as info:
        ln.fit(net, train_iter, nn.CrossEntropyLoss(), updater, 1)
    assert info.value.step == 1 and not info.value.examples and info.value.resumable


def test_an_lr_too_large_on_features_too_large_to_hold_is_named_beside_them() -> None:
    """Finite features over 64 KiB a batch and lr 1e38: the weights that the first update grew
    overflow some examples' scores at the second batch, not all (the docstring said an lr too
    large leaves every example's scores non-finite, so the pass trains on). The message named
    "those examples' features X hold NaN or inf, or the model's computation overflowed on
    them": now the lr is named with them, and the test on that batch that tells them apart."""
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(512, 784, generator=gen)
    X[256::2] = 0.0  # batch 2's even examples: scores of the bias alone, ~1e37, finite
    y = torch.softmax(torch.randn(512, 3, generator=gen), dim=1)
    torch.manual_seed(0)
    net = nn.Linear(784, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=256)
    where = (
        "positions 1, 3, 5, 7, 9 and 123 more in the batch, counting from 0: examples 257, 259, "
        "261, 263, 265 and 123 more of the epoch, their indices in the dataset"
    )
    drop = "clean or drop those examples (torch.isfinite(X).all(dim=1) is False on them)"
    message = _not_held(where, "128", "128", "those examples'", "them", drop)
    updater = torch.optim.SGD(net.parameters(), lr=1e38)
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$") as info:
        ln.fit(net, train_iter, nn.CrossEntropyLoss(), updater, 1)
    assert bool(torch.isfinite(X).all())  # the lr, not the features
    assert info.value.step == 1 and not info.value.examples and info.value.resumable


def test_features_too_large_at_a_fresh_runs_first_step_are_not_blamed_on_the_lr() -> None:
    """Batch 1 of epoch 1, before any update, finite features 1e38 on one example of a batch over
    64 KiB: no learning rate grew the weights yet, so the fix is to scale the features, not "a
    smaller learning rate" (said, resumable, before); the data are to blame: examples, and no
    resume or smaller lr helps."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(512, 784, generator=gen)
    X[3] = 1e38  # batch 1, position 3: finite
    y = torch.softmax(torch.randn(512, 3, generator=gen), dim=1)
    net = nn.Linear(784, 3)
    nn.init.uniform_(net.weight, 0.005, 0.01)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=256)
    message = (
        "the loss is not finite at batch 1 of train_iter in epoch 1, whose targets y are finite "
        "but whose scores are not on 1 of its 256 examples (position 3 in the batch, counting "
        "from 0: example 3 of the epoch, its index in the dataset), while the other 255 "
        "examples' are, before any update: either that example's features X hold NaN or inf, or "
        "they are too large and the model's computation overflowed on it (no learning rate is to "
        "blame yet; a batch's X over 64 KiB is not held to be looked at, so which is not known), "
        "and that batch's update most likely made the weights non-finite, and with them every "
        "score after; torch.isfinite(X).all() on batch 1's features tells which (False: clean or "
        "drop that example (torch.isfinite(X).all(dim=1) is False on it); True: scale the "
        "features (e.g. standardise each one), or compute the model's scores stably), then train "
        "again from fresh weights"
    )
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$") as info:
        ln.fit(net, train_iter, nn.CrossEntropyLoss(), updater, 1)
    assert bool(torch.isfinite(X).all())  # the features' scale, not NaN
    assert info.value.step == 0 and info.value.examples and not info.value.resumable


def test_a_second_fit_on_weights_an_lr_grew_is_not_called_before_any_update() -> None:
    """A first fit with lr 1e35 grows the weights to ~1e35, finite; a second fit restarts at
    epoch 1 and overflows 10 examples' scores at its first batch. It said "before any update ...
    no learning rate is to blame yet", not resumable, though an lr grew those weights: now the
    lr is named, as at any later step."""
    torch.manual_seed(0)
    X = torch.rand(128, 784)
    X[:10] *= 50
    y = torch.softmax(torch.randn(128, 10), dim=1)
    net = nn.Linear(784, 10)
    ln.fit(net, [(X, y)], nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=1e35), 1)
    assert 1e34 < float(net.weight.detach().abs().max()) < math.inf
    where = (
        "positions 0, 1, 2, 3, 4 and 5 more in the batch, counting from 0: examples 0, 1, 2, 3, "
        "4 and 5 more in the order train_iter yielded them"
    )
    drop = "clean or drop those examples (torch.isfinite(X).all(dim=1) is False on them)"
    message = _not_held(where, "10", "118", "those examples'", "them", drop, batch="1", size="128")
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$") as info:
        ln.fit(net, [(X, y)], nn.CrossEntropyLoss(), updater, 1)
    assert info.value.resumable


class _FillsNan(nn.Module):
    """A model that fills NaN features in with 0 before its linear map."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(X.nan_to_num(0.0))


@pytest.mark.parametrize("large", [False, True], ids=["held", "not-held"])
def test_a_loss_every_example_of_which_is_not_finite_trains_on_as_a_regression_does(
    large: bool,
) -> None:
    """An lr too large, finite targets: at the first step whose loss is not finite, every
    example's scores are, those whose features hold NaN (which the model fills in) and the
    others alike, as weights an lr broke leave them: the features are not named, nothing is
    said and the pass trains on, as a regression does (a DivergenceGuard names the lr). Where
    X is not held, every example's scores tell no example's features apart either."""
    d = 20000 if large else 4  # 5 × 20000 floats: 400 KiB, not held
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(40, d, generator=gen) * 1e3
    X[::2, 0] = math.nan  # every other example's, filled in with 0 by the model
    y = torch.softmax(torch.randn(40, 3, generator=gen), dim=1)
    net = _FillsNan()
    net.linear = nn.Linear(d, 3)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    updater = torch.optim.SGD(net.parameters(), lr=1e38)
    history = ln.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), updater, 1)
    assert not math.isfinite(history.train_loss[-1])


def test_a_nan_feature_the_model_fills_in_is_not_blamed_for_an_overflow() -> None:
    """Batch 2's example 1 holds a NaN feature its model fills in (its scores finite), and
    example 3 a feature so large its scores overflow: an example with finite features has
    scores that are not, so the features are not named; the pass trains on."""
    X, y = _soft(bad_row=None)
    X[6, 0] = math.nan
    X[8, 1] = 3e38
    net = _FillsNan()
    with torch.no_grad():
        net.linear.weight.fill_(10.0)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=5)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    history = ln.fit(net, train_iter, nn.CrossEntropyLoss(reduction="none"), updater, 1)
    assert math.isnan(history.train_loss[-1])


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


class _Squeezed(nn.Module):
    """A binary classifier whose scores are (B,), one logit per example."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(X).squeeze(1)  # (B, 1) -> (B,)


def _binary(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Finite features (n, 4) and binary labels 0. or 1. (n, 1), NaN at example 37."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(n, 4, generator=gen)
    y = (torch.rand(n, 1, generator=gen) > 0.5).float()
    y[37, 0] = math.nan
    return X, y


_EXAMPLE_37 = (
    "the loss is not finite at batch 3 of train_iter in epoch 1, whose targets y hold NaN or inf "
    "on 1 of its 16 examples (position 5 in the batch, counting from 0: example 37 of the epoch, "
    "its index in the dataset): a target that is NaN or inf makes its example's loss so, and "
    "that batch's update most likely made the weights non-finite, and with them every score "
    "after; clean or drop that example ({test} is False on it), then train again from fresh "
    "weights"
)


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize(
    ("squeezed", "test"),
    [(False, "torch.isfinite(y).all(dim=1)"), (True, "torch.isfinite(y)")],
    ids=["(B, 1)", "(B,)"],
)
def test_a_binary_classifiers_nan_label_is_named(squeezed: bool, test: str, reduction: str) -> None:
    """A single-output binary classifier, nn.BCEWithLogitsLoss on labels (B, 1) of its scores'
    shape, one NaN: fit trained on, unguarded, to a NaN history and NaN weights
    ("History(2 epochs; epoch 2: train loss nan)"), its q = 1 not watched. Now it stops at that
    label, as (B, 2) targets did; so do (B,) labels against (B,) scores, with the test for (B,)."""
    X, y = _binary()
    net: nn.Module = _Squeezed() if squeezed else nn.Linear(4, 1)
    if squeezed:
        y = y.squeeze(1)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=16)
    loss = nn.BCEWithLogitsLoss(reduction=reduction)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(DivergenceError, match=f"^{re.escape(_EXAMPLE_37.format(test=test))}$"):
        ln.fit(net, train_iter, loss, updater, 2)


@pytest.mark.parametrize(
    "loss",
    [nn.MSELoss(reduction="none"), F.mse_loss, ln.squared_loss],
    ids=["nn.MSELoss", "F.mse_loss", "squared_loss"],
)
@pytest.mark.parametrize("squeezed", [False, True], ids=["(B, 1)", "(B,)"])
def test_a_one_output_regression_trains_on_through_a_nan_target(
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], squeezed: bool
) -> None:
    """The same (B, 1) or (B,) float targets given to a regression loss are a regression's: it
    trains on through the NaN, as the book's loop does (docs/python.md)."""
    X, y = _binary()
    net: nn.Module = _Squeezed() if squeezed else nn.Linear(4, 1)
    if squeezed:
        y = y.squeeze(1)
    train_iter = DataLoader(TensorDataset(X, y), batch_size=16)
    history = ln.fit(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=0.1), 2)
    assert math.isnan(history.train_loss[-1])
    assert all(bool(p.isnan().all()) for p in net.parameters())


@pytest.mark.parametrize(
    ("loss", "flat", "column"),
    [
        (nn.BCEWithLogitsLoss(), True, True),
        (nn.BCELoss(), True, True),
        (F.binary_cross_entropy_with_logits, True, True),
        (functools.partial(F.binary_cross_entropy, reduction="none"), True, True),
        (nn.CrossEntropyLoss(), False, True),  # (B,) scores are one example's classes to it
        (F.cross_entropy, False, True),
        (nn.MSELoss(), False, False),
        (F.mse_loss, False, False),
    ],
    ids=["BCEWithLogits", "BCELoss", "F.bce-logits", "partial-bce", "CE", "F.ce", "MSE", "F.mse"],
)
def test_one_probability_per_example_is_watched_by_the_loss_kind(
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], flat: bool, column: bool
) -> None:
    """(B,) float targets against (B,) scores are a binary cross-entropy's labels; to
    nn.CrossEntropyLoss (B,) scores are one example's classes, and to a regression loss they are a
    regression's. (B, 1) is watched for every loss that takes probabilities, as (B, q) is."""
    y_hat, y = torch.zeros(8), torch.full((8,), 0.5)
    watch = watch_targets(y_hat, y, loss, name="train_iter", epoch=1, batches=None)
    assert isinstance(watch, TargetsWatch) is flat
    watch = watch_targets(y_hat[:, None], y[:, None], loss, name="t", epoch=1, batches=None)
    assert isinstance(watch, TargetsWatch) is column


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


def _device_features_pass(device: str) -> TargetsWatch:
    """A pass of 70 steps of 4 examples, read as a device's: finite targets, and from step 67
    on NaN features, scores and losses on example 2 (every example's from step 68 on, as an
    update on them leaves the weights)."""
    watch = TargetsWatch(name="train_iter", epoch=2, batches=None)
    y = torch.full((4, 3), 1 / 3, device=device)
    for step in range(70):
        X = torch.ones(4, 1, 2, 2, device=device)
        y_hat = torch.zeros(4, 3, device=device)
        if step == 66:
            X[2, 0, 1, 1] = math.nan
            y_hat[2] = math.nan
        elif step > 66:
            y_hat[:] = math.nan
        watch.add(y, torch.logsumexp(y_hat, dim=1), X=X, y_hat=y_hat)
    return watch


_FEATURES_67 = _features_message(
    67,
    "position 2 in the batch, counting from 0: example 266 in the order train_iter yielded them",
    "torch.isfinite(X).flatten(1).all(dim=1)",
    epoch=2,
    size=4,
)


def test_a_devices_groups_name_the_features_at_the_pass_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a device the features' rows are found with each group's, kept unread until the pass's
    end (here on the CPU, read as a device's): no batch is held past its group."""
    monkeypatch.setattr(TargetsWatch, "_reads_now", staticmethod(lambda losses: False))
    watch = _device_features_pass("cpu")
    assert len(watch._pending) == 1 and len(watch._held) == 6
    with pytest.raises(DivergenceError, match=f"^{re.escape(_FEATURES_67)}$"):
        watch.finish()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_features_are_named_at_the_pass_end() -> None:
    watch = _device_features_pass("cuda")
    assert len(watch._pending) == 1 and len(watch._held) == 6
    with pytest.raises(DivergenceError, match=f"^{re.escape(_FEATURES_67)}$"):
        watch.finish()
