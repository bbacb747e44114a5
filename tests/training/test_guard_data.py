"""The divergence guard's look at a non-finite step's batch: its features X or targets y holding NaN
or inf are named, with their examples' places and the fix, never the lr (features past FAR_LR only
where the losses show them the cause); small tensors are held until their step is read back, large
ones not."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from linearnets.errors import DivergenceError
from linearnets.training.guard_data import HELD_BYTES, data_not_finite, held, kept
from linearnets.training.guard_messages import FAR_LR
from linearnets.training.model_tensors import batch_order

_FIX_TAIL = ", then train again from fresh weights"
_NAN8 = torch.full((8,), math.nan)


def test_a_finite_batch_names_nothing() -> None:
    X, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    assert data_not_finite("batch 2 of epoch 1", math.nan, (X, y), losses=_NAN8, lr=0.1, first_example=8, order=None) is None  # fmt: skip
    # tensors not held (too large) name nothing either
    assert data_not_finite("batch 2 of epoch 1", math.nan, (None, None), losses=_NAN8, lr=0.1, first_example=8, order=None) is None  # fmt: skip


def test_features_holding_nan_are_named_by_their_examples_not_the_lr() -> None:
    X, y = torch.randn(32, 3), torch.randn(32, 1)
    X[13, 1], X[14, 0] = math.nan, math.inf
    batches = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)
    error = data_not_finite(
        "batch 2 of epoch 1",
        math.nan,
        (X[8:16], y[8:16]),
        losses=torch.tensor([0.1] * 5 + [math.nan, math.inf, 0.2]),
        lr=0.1,
        first_example=8,
        order=batch_order(batches),
    )
    assert error is not None
    assert str(error) == (
        "training stopped at batch 2 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's features X hold NaN or inf on 2 of its 8 examples (positions 5 and 6 in the "
        "batch, counting from 0: examples 13 and 14 of the epoch, their indices in the dataset), "
        "so not because of lr 0.1; that step's update most likely made the weights non-finite: "
        "clean or drop those examples (torch.isfinite(X).all(dim=1) is False on them)" + _FIX_TAIL
    )
    assert "smaller" not in str(error)
    assert error.examples and not error.resumable and not error.grew


def test_both_tensors_are_named_and_tested_together() -> None:
    X, y = torch.randn(4, 1, 2, 2), torch.randn(4)  # images (B, C, H, W), targets (B,)
    X[0, 0, 1, 1], y[3] = math.nan, -math.inf
    error = data_not_finite(
        "batch 1 of epoch 3",
        math.inf,
        (X, y),
        losses=torch.tensor([math.nan, 1.0, 2.0, math.inf]),
        lr=0.5,
        first_example=0,
        order=batch_order(iter([])),
    )
    assert error is not None
    assert str(error) == (
        "training stopped at batch 1 of epoch 3: the batch loss is inf (not finite) because the "
        "batch's features X hold NaN or inf on 1 of its 4 examples (position 0 in the batch, "
        "counting from 0: example 0 in the order train_iter yielded them) and targets y hold NaN "
        "or inf on 1 of its 4 examples (position 3 in the batch, counting from 0: example 3 in "
        "the order train_iter yielded them), so not because of lr 0.5; that step's update most "
        "likely made the weights non-finite: clean or drop those examples "
        "(torch.isfinite(X).flatten(1).all(dim=1) & torch.isfinite(y) is False on them)" + _FIX_TAIL
    )


def test_a_shuffled_loaders_examples_are_places_in_the_epoch_and_one_is_its_only_example() -> None:
    X, y = torch.randn(1, 2), torch.tensor([[math.nan, 0.5]])  # class probabilities (B, q)
    batches = DataLoader(TensorDataset(X, y), batch_size=1, shuffle=True)
    error = data_not_finite(
        "batch 5 of epoch 2",
        math.nan,
        (X, y),
        losses=torch.tensor([math.nan]),
        lr=0.03,
        first_example=4,
        order=batch_order(batches),
    )
    assert error is not None
    assert (
        "because the batch's targets y hold NaN or inf on its only example (position 0 in the "
        "batch, counting from 0: example 4 in the epoch's shuffled order, not its index in the "
        "dataset), so not because of lr 0.03; " in str(error)
    )
    assert "clean or drop that example (torch.isfinite(y).all(dim=1) is False on it)" in str(error)


def test_only_tensors_of_at_most_held_bytes_are_kept_past_their_step() -> None:
    small = torch.zeros(HELD_BYTES // 4)  # float32: exactly HELD_BYTES
    large = torch.zeros(HELD_BYTES // 4 + 1)
    X, y = kept((small, large))
    assert X is small and y is None
    X, y = kept((large, small))
    assert X is None and y is small
    assert kept((None, None)) == (None, None)


def test_x_and_y_bad_on_the_same_example_are_named_once_together() -> None:
    X, y = torch.tensor([[math.nan, 1.0]]), torch.tensor([[math.inf]])
    error = data_not_finite("batch 21 of epoch 1", math.nan, (X, y), losses=torch.tensor([[math.nan]]), lr=0.01, first_example=20, order=True)  # fmt: skip
    assert isinstance(error, DivergenceError)
    assert str(error) == (
        "training stopped at batch 21 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's features X and targets y hold NaN or inf on its only example (position 0 in the "
        "batch, counting from 0: example 20 of the epoch, its index in the dataset), so not "
        "because of lr 0.01; that step's update most likely made the weights non-finite: clean "
        "or drop that example (torch.isfinite(X).all(dim=1) & torch.isfinite(y).all(dim=1) is "
        "False on it)" + _FIX_TAIL
    )


def test_a_finite_loss_on_an_example_holding_nan_clears_the_data() -> None:
    """A model that fills NaN in (or a loss that masks it) gives such an example a finite loss:
    the data are not named, whatever the others' losses."""
    X, y = torch.randn(4, 2), torch.randn(4)
    X[1, 0] = math.nan
    losses = torch.tensor([math.nan, 0.5, 1.0, math.nan])
    args: dict[str, Any] = {"losses": losses, "lr": 0.1, "first_example": 0, "order": True}
    assert data_not_finite("batch 1 of epoch 1", math.nan, (X, y), **args) is None


def test_past_far_lr_features_holding_nan_are_named_beside_the_lr() -> None:
    """Past FAR_LR one update can break the weights, which makes every loss non-finite: the lr
    leads, and the features are named beside it as a possible cause (held, BatchNorm at lr 11
    said "try a far smaller learning rate" alone, while the docs said they were named)."""
    X, y = torch.randn(4, 2), torch.randn(4)
    X[1, 0] = math.nan
    beside = (
        "; the batch's features X hold NaN or inf on 1 of its 4 examples (position 1 in the "
        "batch, counting from 0: example 1 of the epoch, its index in the dataset), which may be "
        "the cause instead: clean or drop that example (torch.isfinite(X).all(dim=1) is False on it)"
    )
    for losses in (torch.tensor([math.nan, math.nan, 1.0, math.nan]), torch.full((4,), math.nan)):
        args: dict[str, Any] = {"losses": losses, "lr": 1e30, "first_example": 0, "order": True}
        assert data_not_finite("batch 1 of epoch 1", math.nan, (X, y), **args) == beside
        assert data_not_finite("batch 1 of epoch 1", math.nan, (X, None), **args) == beside
        assert data_not_finite("batch 1 of epoch 1", math.nan, (X.to_sparse(), y), **args) is None


def test_features_whose_nan_spread_to_other_examples_are_named_up_to_far_lr() -> None:
    """One example's NaN in X makes every example's loss NaN in a model that mixes a batch's
    examples (BatchNorm): the lr was named (a smaller one cannot help); the features are, with
    that hedge, at any rate a linear model trains at."""
    X, y = torch.randn(4, 2), torch.randn(4)
    X[1, 0] = math.nan
    for losses, others in (
        (torch.full((4,), math.nan), "all 3 others"),
        (torch.tensor([math.nan, math.nan, 1.0, math.nan]), "2 more examples"),
    ):
        error = data_not_finite("batch 3 of epoch 1", math.nan, (X, y), losses=losses, lr=FAR_LR, first_example=8, order=True)  # fmt: skip
        assert isinstance(error, DivergenceError)
        assert str(error) == (
            "training stopped at batch 3 of epoch 1: the batch loss is nan (not finite), most likely "
            "because the batch's features X hold NaN or inf on 1 of its 4 examples (position 1 in "
            "the batch, counting from 0: example 9 of the epoch, its index in the dataset), not "
            f"because of lr 10: its loss is not finite on {others} too, as one example's NaN or "
            "inf in X is enough in a model that mixes a batch's examples (such as BatchNorm in "
            "training mode); that step's update most likely made the weights non-finite: clean or "
            "drop that example (torch.isfinite(X).all(dim=1) is False on it)" + _FIX_TAIL
        )
        assert "smaller" not in str(error)
        assert error.examples and not error.resumable


@pytest.mark.parametrize("x_held", [True, False], ids=["X-held", "X-not-held"])
@pytest.mark.parametrize("lr", [0.1, 1e30])
def test_targets_holding_nan_lead_beside_other_non_finite_losses_at_any_rate(
    x_held: bool, lr: float
) -> None:
    """A NaN target makes its example's loss NaN whatever the lr: the targets lead, as the
    unguarded TargetsWatch says, and the others' losses are told apart by what was held."""
    X, y = torch.randn(4, 2), torch.softmax(torch.randn(4, 3), 1)
    y[2, 1] = math.nan
    losses = torch.tensor([math.nan, 0.5, math.nan, 1.0])
    error = data_not_finite("batch 1 of epoch 2", math.nan, (X if x_held else None, y), losses=losses, lr=lr, first_example=0, order=None)  # fmt: skip
    assert isinstance(error, DivergenceError)
    theirs = "" if x_held else "their features X hold NaN or inf, or "
    assert str(error) == (
        "training stopped at batch 1 of epoch 2: the batch loss is nan (not finite), most likely "
        "because the batch's targets y hold NaN or inf on 1 of its 4 examples (position 2 in the "
        "batch, counting from 0: example 2 in the order train_iter yielded them), not because of "
        f"lr {lr:g}: a target that is NaN or inf makes its example's loss so; its loss is not "
        f"finite on 1 more example too, whose targets are finite ({theirs}the model's computation "
        "overflowed on them, or the weights were already non-finite, as an lr too large makes "
        "them); that step's update most likely made the weights non-finite: clean or drop that "
        "example (torch.isfinite(y).all(dim=1) is False on it)" + _FIX_TAIL
    )


@pytest.mark.parametrize("lr", [0.1, 1e30])
def test_a_loss_reduced_to_one_number_names_targets_holding_nan_at_any_rate(lr: float) -> None:
    """A mean loss (the loop hands it on spread, stride 0) tells no example's, but a NaN target
    makes it NaN whatever the lr: the targets lead, no lr advice (it came first, the targets as
    "which may be the cause instead")."""
    X, y = torch.randn(4, 2), torch.randn(4, 1)
    y[3, 0] = math.inf
    spread = torch.tensor(math.nan).expand(4)
    error = data_not_finite("batch 2 of epoch 1", math.nan, (X, y), losses=spread, lr=lr, first_example=4, order=True)  # fmt: skip
    assert isinstance(error, DivergenceError)
    assert str(error) == (
        "training stopped at batch 2 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's targets y hold NaN or inf on 1 of its 4 examples (position 3 in the batch, "
        "counting from 0: example 7 of the epoch, its index in the dataset), so not because of "
        f"lr {lr:g}: a NaN or inf there makes its example's loss so, and the batch's loss, "
        "reduced to one number, with it; that step's update most likely made the weights "
        "non-finite: clean or drop that example (torch.isfinite(y).all(dim=1) is False on it)"
        + _FIX_TAIL
    )
    assert error.examples and not error.resumable


def test_a_loss_reduced_to_one_number_names_features_holding_nan_up_to_far_lr() -> None:
    """Features: a model may fill NaN in, so past FAR_LR they are named beside the lr only."""
    X, y = torch.randn(4, 2), torch.randint(0, 2, (4,))
    X[0, 1] = math.nan
    spread = torch.tensor(math.nan).expand(4)
    args: dict[str, Any] = {"losses": spread, "first_example": 0, "order": True}
    error = data_not_finite("batch 1 of epoch 1", math.nan, (X, y), lr=0.5, **args)
    assert isinstance(error, DivergenceError)
    assert str(error) == (
        "training stopped at batch 1 of epoch 1: the batch loss is nan (not finite), most likely "
        "because the batch's features X hold NaN or inf on 1 of its 4 examples (position 0 in the "
        "batch, counting from 0: example 0 of the epoch, its index in the dataset), not because "
        "of lr 0.5: a NaN or inf there makes its example's loss so (unless the model fills NaN "
        "in), and the batch's loss, reduced to one number, with it; that step's update most "
        "likely made the weights non-finite: clean or drop that example "
        "(torch.isfinite(X).all(dim=1) is False on it)" + _FIX_TAIL
    )
    assert data_not_finite("batch 1 of epoch 1", math.nan, (X, y), lr=1e30, **args) == (
        "; the batch's features X hold NaN or inf on 1 of its 4 examples (position 0 in the "
        "batch, counting from 0: example 0 of the epoch, its index in the dataset), which may be "
        "the cause instead: clean or drop that example (torch.isfinite(X).all(dim=1) is False on it)"
    )


def test_held_keeps_the_dimensions_of_the_tensors_it_lets_go_of() -> None:
    """A step's X not held past it is not looked at, but its dimensions name the test that
    finds its examples; a sparse one's are not kept (no torch.isfinite)."""
    images = torch.zeros(32, 1, 32, 32)  # 128 KiB
    y = torch.zeros(32, dtype=torch.long)
    assert held((images, y)) == ((None, y), (4, 0))
    small = torch.zeros(4, 3)
    assert held((small, y)) == ((small, y), (0, 0))
    assert held((images.to_sparse(), y)) == ((None, y), (0, 0))
    assert held((y, images)) == ((y, None), (0, 4))


def test_sparse_tensors_are_not_kept() -> None:
    """A sparse tensor has no nbytes (kept raised RuntimeError): it is not held."""
    sparse, dense = torch.zeros(4, 2).to_sparse(), torch.zeros(4)
    X, y = kept((sparse, dense))
    assert X is None and y is dense
