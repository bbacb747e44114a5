"""The divergence guard's look at a non-finite step's batch: its features X or targets y holding NaN
or inf are named, with their examples' places and the fix, never the lr; small tensors are held
until their step is read back, large ones not."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from linearnets.errors import DivergenceError
from linearnets.training.guard_data import HELD_BYTES, data_not_finite, kept
from linearnets.training.model_tensors import batch_order

_FIX_TAIL = ", then train again from fresh weights"
_NAN8 = torch.full((8,), math.nan)


def test_a_finite_batch_names_nothing() -> None:
    X, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    assert data_not_finite("epoch 1, step 2", math.nan, (X, y), losses=_NAN8, lr=0.1, first_example=8, order=None) is None  # fmt: skip
    # tensors not held (too large) name nothing either
    assert data_not_finite("epoch 1, step 2", math.nan, (None, None), losses=_NAN8, lr=0.1, first_example=8, order=None) is None  # fmt: skip


def test_features_holding_nan_are_named_by_their_examples_not_the_lr() -> None:
    X, y = torch.randn(32, 3), torch.randn(32, 1)
    X[13, 1], X[14, 0] = math.nan, math.inf
    batches = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)
    error = data_not_finite(
        "epoch 1, step 2",
        math.nan,
        (X[8:16], y[8:16]),
        losses=torch.tensor([0.1] * 5 + [math.nan, math.inf, 0.2]),
        lr=0.1,
        first_example=8,
        order=batch_order(batches),
    )
    assert error is not None
    assert str(error) == (
        "training stopped at epoch 1, step 2: the batch loss is nan (not finite) because the "
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
        "epoch 3, step 1",
        math.inf,
        (X, y),
        losses=torch.tensor([math.nan, 1.0, 2.0, math.inf]),
        lr=0.5,
        first_example=0,
        order=batch_order(iter([])),
    )
    assert error is not None
    assert str(error) == (
        "training stopped at epoch 3, step 1: the batch loss is inf (not finite) because the "
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
        "epoch 2, step 5",
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
    error = data_not_finite("epoch 1, step 21", math.nan, (X, y), losses=torch.tensor([[math.nan]]), lr=0.01, first_example=20, order=True)  # fmt: skip
    assert isinstance(error, DivergenceError)
    assert str(error) == (
        "training stopped at epoch 1, step 21: the batch loss is nan (not finite) because the "
        "batch's features X and targets y hold NaN or inf on its only example (position 0 in the "
        "batch, counting from 0: example 20 of the epoch, its index in the dataset), so not "
        "because of lr 0.01; that step's update most likely made the weights non-finite: clean "
        "or drop that example (torch.isfinite(X).all(dim=1) & torch.isfinite(y).all(dim=1) is "
        "False on it)" + _FIX_TAIL
    )


def test_a_finite_example_with_a_non_finite_loss_clears_the_data() -> None:
    """Non-finite losses beyond the NaN examples: the weights broke, the data are not named; with
    a tensor not held (too large, sparse) the data are a possible cause beside the lr."""
    X, y = torch.randn(4, 2), torch.randn(4)
    X[1, 0] = math.nan
    losses = torch.tensor([math.nan, math.nan, 1.0, math.nan])
    args: dict[str, Any] = {"losses": losses, "lr": 0.1, "first_example": 0, "order": True}
    assert data_not_finite("epoch 1, step 1", math.nan, (X, y), **args) is None
    assert data_not_finite("epoch 1, step 1", math.nan, (X, None), **args) == (
        "; the batch's features X hold NaN or inf on 1 of its 4 examples (position 1 in the "
        "batch, counting from 0: example 1 of the epoch, its index in the dataset), which may be "
        "the cause instead: clean or drop that example (torch.isfinite(X).all(dim=1) is False on it)"
    )
    assert data_not_finite("epoch 1, step 1", math.nan, (X.to_sparse(), y), **args) is None


def test_sparse_tensors_are_not_kept() -> None:
    """A sparse tensor has no nbytes (kept raised RuntimeError): it is not held."""
    sparse, dense = torch.zeros(4, 2).to_sparse(), torch.zeros(4)
    X, y = kept((sparse, dense))
    assert X is None and y is dense
