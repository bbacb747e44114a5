"""A non-finite step, after an update, whose data the divergence guard did not hold past it (over
64 KiB): the data and the lr are both named, with the test that tells them apart, the one the
losses point at first; the examples whose losses alone are not finite are named."""

from __future__ import annotations

import math
from typing import Any

import torch

from linearnets.training.guard_unseen import GROWN, unseen_error

_ARGS: dict[str, Any] = {
    "lr": 0.1, "first_example": 512, "order": True, "first_loss": 2.3, "last_loss": 2.3
}  # fmt: skip


def _losses(*bad: int, size: int = 256, value: float = 2.3) -> torch.Tensor:
    losses = torch.full((size,), value)
    losses[list(bad)] = math.nan
    return losses


_DATA_FIRST = (
    "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 0.1, on 1 of "
    "its 256 examples (position 188 in the batch, counting from 0: example 700 of the epoch, its "
    "index in the dataset), the other 255 examples' losses finite (none above 2.3, their median "
    "2.3, the first step's loss 2.3): either that example's features X hold NaN or inf (the "
    "guard holds a batch's X over 64 KiB through its own step only, so it did not look), or an "
    "update made the weights so large that the model's computation overflowed on it, as a "
    "learning rate too large does; torch.isfinite(X).all() on that batch tells which (False: "
    "clean or drop that example (torch.isfinite(X).all(dim=1) is False on it), then train again "
    "from fresh weights; True: try a smaller learning rate (lr), e.g. 0.01 (a tenth))"
)


def test_only_some_examples_losses_not_finite_name_them_first_with_the_test() -> None:
    """Fashion-MNIST's batches of 256 (784 KiB): lr 0.1 was blamed for example 700's NaN pixel;
    the others' losses, not grown, put that example's features first, but do not rule the lr out
    (it was said "most likely not because of lr 0.1")."""
    error = unseen_error("batch 3 of epoch 1", math.nan, losses=_losses(188), dims=(2, 0), **_ARGS)
    assert error is not None
    assert str(error) == _DATA_FIRST
    assert not error.examples and error.resumable


def test_the_others_losses_grown_put_the_lr_first() -> None:
    """The book's naive softmax at lr 5 on Fashion-MNIST: exp overflowed on 162 of 256 examples,
    the others' median loss 26.8 against the first step's 2.34, the data finite: it was blamed on
    the data ("so most likely not because of lr 5")."""
    losses = _losses(0, 1, 2, value=26.8)
    error = unseen_error("batch 3 of epoch 1", math.nan, losses=losses, dims=(2, 0), **{**_ARGS, "lr": 5.0, "first_loss": 2.34})  # fmt: skip
    assert error is not None
    assert str(error) == (
        "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 5, on 3 "
        "of its 256 examples (positions 0, 1 and 2 in the batch, counting from 0: examples 512, "
        "513 and 514 of the epoch, their indices in the dataset), the other 253 examples' losses "
        "finite (none above 26.8, their median 26.8, 11× the first step's loss, 2.34): either an "
        "update made the weights so large that the model's computation overflowed on them, as a "
        "learning rate too large does, or those examples' features X hold NaN or inf (the guard "
        "holds a batch's X over 64 KiB through its own step only, so it did not look); "
        "torch.isfinite(X).all() on that batch tells which (True: try a smaller learning rate "
        "(lr), e.g. 0.5 (a tenth); False: clean or drop those examples "
        "(torch.isfinite(X).all(dim=1) is False on them), then train again from fresh weights)"
    )
    # just under GROWN × the first step's loss, the data lead
    under = unseen_error("batch 3 of epoch 1", math.nan, losses=_losses(0, value=0.99 * GROWN * 2.3), dims=(2, 0), **_ARGS)  # fmt: skip
    assert str(under).split(": either ")[1].startswith("that example's features X")
    # no first step's loss (a guard that saw no finite step): the data lead, no comparison
    alone = unseen_error("batch 1 of epoch 2", math.nan, losses=_losses(0, value=50.0), dims=(2, 0), **{**_ARGS, "first_loss": None})  # fmt: skip
    assert "(none above 50, their median 50): either that example's" in str(alone)


def test_images_and_targets_not_held_are_both_named_with_their_tests() -> None:
    losses = _losses(0, 3, size=4).unsqueeze(1)  # (B, 1), as squared_loss gives
    error = unseen_error("batch 1 of epoch 2", math.inf, losses=losses, dims=(4, 1), lr=0.5, first_example=0, order=None, first_loss=None, last_loss=None)  # fmt: skip
    assert error is not None
    message = str(error)
    assert "on 2 of its 4 examples (positions 0 and 3 in the batch, counting from 0: examples 0 and 3 in the order train_iter yielded them), the other 2 examples' losses finite" in message  # fmt: skip
    assert "either those examples' features X or targets y hold NaN or inf (the guard holds a batch's X or y over 64 KiB" in message  # fmt: skip
    assert "torch.isfinite(X).all() and torch.isfinite(y).all() on that batch tells which (False: clean or drop those examples (torch.isfinite(X).flatten(1).all(dim=1) & torch.isfinite(y) is False on them)" in message  # fmt: skip


_WHOLE = (
    "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 0.1: either "
    "that batch's features X hold NaN or inf (the guard holds a batch's X over 64 KiB through its "
    "own step only, so it did not look{mixes}), or an update made the weights non-finite, as a "
    "learning rate too large does; torch.isfinite(X).all() on that batch tells which (False: "
    "clean or drop the examples that hold NaN or inf (torch.isfinite(X).all(dim=1) is False on "
    "them), then train again from fresh weights; True: try a smaller learning rate (lr), e.g. "
    "0.01 (a tenth))"
)


def test_every_examples_loss_or_one_number_names_the_batch_with_the_test() -> None:
    """Every example's loss not finite is what an lr that broke the weights leaves, and one
    example's NaN in a model that mixes them; a loss reduced to one number tells no example's."""
    mixes = "; one example's are enough in a model that mixes a batch's examples, such as BatchNorm in training mode"  # fmt: skip
    every = unseen_error("batch 3 of epoch 1", math.nan, losses=_losses(*range(256)), dims=(2, 0), **_ARGS)  # fmt: skip
    assert str(every) == _WHOLE.format(mixes=mixes)
    spread = torch.tensor(math.nan).expand(256)
    assert str(unseen_error("batch 3 of epoch 1", math.nan, losses=spread, dims=(2, 0), **_ARGS)) == _WHOLE.format(mixes="")  # fmt: skip
    scalar = unseen_error("batch 3 of epoch 1", math.nan, losses=torch.tensor(math.nan), dims=(2, 0), **_ARGS)  # fmt: skip
    assert str(scalar) == _WHOLE.format(mixes="")


def test_a_step_before_grown_puts_the_lr_first_where_no_example_is_singled_out() -> None:
    """The book's naive softmax at lr 1: the step before's loss 15.9, 6.8× the first step's."""
    error = unseen_error("batch 4 of epoch 1", math.nan, losses=_losses(*range(256)), dims=(2, 0), **{**_ARGS, "lr": 1.0, "first_loss": 2.34, "last_loss": 15.9})  # fmt: skip
    assert str(error).startswith(
        "training diverged at batch 4 of epoch 1: the batch loss is nan (not finite) at lr 1, after "
        "the step before's loss grew to 15.9 (6.8× the first step's, 2.34): either an update "
        "made the weights non-finite, as a learning rate too large does, or that batch's "
        "features X hold NaN or inf "
    ), str(error)
    assert str(error).endswith(
        "tells which (True: try a smaller learning rate (lr), e.g. 0.1 (a tenth); False: clean or "
        "drop the examples that hold NaN or inf (torch.isfinite(X).all(dim=1) is False on them), "
        "then train again from fresh weights)"
    )


def test_data_all_held_were_looked_at_already() -> None:
    assert (
        unseen_error("batch 3 of epoch 1", math.nan, losses=_losses(5), dims=(0, 0), **_ARGS)
        is None
    )


def test_one_other_example_is_named_in_the_singular() -> None:
    error = unseen_error("batch 3 of epoch 1", math.nan, losses=_losses(1, size=2), dims=(2, 784), **_ARGS)  # fmt: skip
    assert error is not None
    assert "on 1 of its 2 examples (position 1 in the batch, counting from 0: example 513 of the epoch, its index in the dataset), the other example's loss finite (2.3, the first step's loss 2.3)" in str(error)  # fmt: skip
