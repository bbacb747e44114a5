"""A non-finite step whose data the divergence guard did not hold past it (over 64 KiB): the
examples whose losses alone are not finite are named, their data or an overflow to blame, not the
lr; else what the guard says of those data, with the test that tells them from the lr."""

from __future__ import annotations

import math
from typing import Any

import torch

from linearnets.training.guard_messages import Unseen
from linearnets.training.guard_unseen import unseen, unseen_rows

_ARGS: dict[str, Any] = {"lr": 0.1, "first_example": 512, "order": True, "bound": 230.0}


def _losses(*bad: int, size: int = 256, value: float = 2.3) -> torch.Tensor:
    losses = torch.full((size,), value)
    losses[list(bad)] = math.nan
    return losses


def test_only_some_examples_losses_not_finite_name_those_examples_not_the_lr() -> None:
    """Fashion-MNIST's batches of 256 (784 KiB): lr 0.1 was blamed for example 700's NaN pixel,
    which the loop without the guard names."""
    error = unseen_rows("epoch 1, step 3", math.nan, losses=_losses(188), dims=(2, 0), **_ARGS)
    assert error is not None
    assert str(error) == (
        "training stopped at epoch 1, step 3: the batch loss is nan (not finite) on 1 of its 256 "
        "examples (position 188 in the batch, counting from 0: example 700 of the epoch, its "
        "index in the dataset), while the other 255 examples' losses are finite (none above "
        "2.3), so most likely not because of lr 0.1 (weights an lr broke make every example's "
        "loss non-finite): that example's features X hold NaN or inf, or the model's computation "
        "overflowed on it (the guard holds a batch's X over 64 KiB through its own step only, so "
        "it did not look); that step's update most likely made the weights non-finite: where the "
        "features X do, clean or drop that example (torch.isfinite(X).all(dim=1) is False on it); "
        "then train again from fresh weights"
    )
    assert error.examples and not error.resumable and "smaller" not in str(error)


def test_images_and_targets_not_held_are_both_named_with_their_tests() -> None:
    losses = _losses(0, 3, size=4).unsqueeze(1)  # (B, 1), as squared_loss gives
    error = unseen_rows("epoch 2, step 1", math.inf, losses=losses, dims=(4, 1), lr=0.5, first_example=0, order=None, bound=None)  # fmt: skip
    assert error is not None
    message = str(error)
    assert "on 2 of its 4 examples (positions 0 and 3 in the batch, counting from 0: examples 0 and 3 in the order train_iter yielded them), while the other 2 examples' losses are finite" in message  # fmt: skip
    assert "those examples' features X or targets y hold NaN or inf, or the model's computation overflowed on them (the guard holds a batch's X or y over 64 KiB" in message  # fmt: skip
    assert "where the features X or targets y do, clean or drop those examples (torch.isfinite(X).flatten(1).all(dim=1) & torch.isfinite(y) is False on them)" in message  # fmt: skip


def test_every_examples_loss_or_one_number_or_all_held_names_no_examples() -> None:
    """Every example's loss not finite is what an lr that broke the weights leaves; a loss
    reduced to one number tells no example's; data all held were looked at already."""
    every = unseen_rows("epoch 1, step 3", math.nan, losses=_losses(*range(256)), dims=(2, 0), **_ARGS)  # fmt: skip
    assert every is None
    spread = torch.tensor(math.nan).expand(256)
    assert unseen_rows("epoch 1, step 3", math.nan, losses=spread, dims=(2, 0), **_ARGS) is None
    assert unseen_rows("epoch 1, step 3", math.nan, losses=_losses(5), dims=(0, 0), **_ARGS) is None
    assert unseen_rows("epoch 1, step 3", math.nan, losses=torch.tensor(math.nan), dims=(2, 0), **_ARGS) is None  # fmt: skip


def test_others_grown_past_the_bound_are_an_lr_blow_up_that_overflowed_the_largest_first() -> None:
    """Squared losses of weights an lr blew up overflow on the examples of largest features first:
    the others' losses, finite, stand far past the guard's bound."""
    losses = _losses(3, value=1e37)
    assert unseen_rows("epoch 1, step 2", math.inf, losses=losses, dims=(2, 0), **_ARGS) is None
    assert unseen_rows("epoch 1, step 2", math.inf, losses=losses, dims=(2, 0), **{**_ARGS, "bound": None}) is not None  # fmt: skip


def test_what_is_said_of_data_not_looked_at() -> None:
    assert unseen((0, 0), every_example=True) is None
    assert unseen((4, 0), every_example=False) == Unseen(
        data="that batch's features X hold NaN or inf (the guard holds a batch's X over 64 KiB "
        "through its own step only, so it did not look)",
        tells="torch.isfinite(X).all()",
        rows="torch.isfinite(X).flatten(1).all(dim=1)",
    )
    # every example's loss not finite: one example's NaN is enough in a model that mixes them
    mixed = unseen((2, 2), every_example=True)
    assert mixed == Unseen(
        data="that batch's features X or targets y hold NaN or inf (the guard holds a batch's X "
        "or y over 64 KiB through its own step only, so it did not look; one example's are "
        "enough in a model that mixes a batch's examples, such as BatchNorm in training mode)",
        tells="torch.isfinite(X).all() and torch.isfinite(y).all()",
        rows="torch.isfinite(X).all(dim=1) & torch.isfinite(y).all(dim=1)",
    )
