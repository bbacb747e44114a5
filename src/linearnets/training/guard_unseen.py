"""A non-finite step whose features X (or targets y) the divergence guard did not look at: over
:data:`~linearnets.training.guard_data.HELD_BYTES` (a batch of images), they are held through
their own step only (D2L §3.6.6).

Its per-example losses still tell: where only some examples' are not finite, weights an lr broke
are not the cause (they make every example's loss non-finite), unless the others' have grown
past the guard's bound too (an lr blow-up that overflows the largest examples first); those
examples are named, their data or an overflow on them to blame, as the unguarded loop names them
from their scores. Else (every example's, or a loss reduced to one number), at a rate a linear
model trains at and after a loss that had not grown, both causes are named, the data first, with
the test on that batch that tells them apart (:class:`~linearnets.training.guard_messages.Unseen`);
past :data:`~linearnets.training.guard_messages.FAR_LR`, or after a loss that had grown, the lr
is named as before, the data as a thing to check.
"""

from __future__ import annotations

import torch

from linearnets.errors import DivergenceError
from linearnets.nan_places import clean_or_drop, examples_at, finite_rows
from linearnets.training.guard_data import HELD_BYTES, Dims
from linearnets.training.guard_messages import Unseen

__all__ = ["unseen", "unseen_rows"]

_WHAT = {"X": "features X", "y": "targets y"}


def unseen_rows(
    where: str,
    loss: float,
    *,
    losses: torch.Tensor,
    dims: Dims,
    lr: float,
    first_example: int,
    order: bool | None,
    bound: float | None,
) -> DivergenceError | None:
    """Return the error naming the examples whose ``losses`` (B,) or (B, ...) are not finite at
    ``where`` ("epoch 1, step 3"; the batch ``loss``), where only some are and the others' mean
    is within ``bound`` (the guard's growth bound; ``None``: no step before), and the step's
    tensors of ``dims`` (:func:`~linearnets.training.guard_data.held`) were not looked at;
    else ``None``. ``first_example``, ``order``: as for
    :func:`~linearnets.training.guard_data.data_not_finite`."""
    names = _names(dims)
    if not names or losses.ndim == 0 or (losses.shape[0] > 1 and losses.stride(0) == 0):
        return None  # all seen, or one number spread over the batch
    size = losses.shape[0]
    rows = losses.reshape(size, -1)
    bad = ~torch.isfinite(rows).all(dim=1)
    n = int(bad.sum())
    if n in (0, size):
        return None
    others = rows[~bad].sum(dim=1)
    if bound is not None and float(others.mean()) > bound:
        return None  # the others blew up too: an lr that overflowed the largest examples first
    positions = tuple(bad.nonzero().flatten().tolist())
    place = examples_at(
        positions, first_example=first_example, name="train_iter", training=True, order=order
    )
    one = n == 1
    whose = "that example's" if one else "those examples'"
    test = " & ".join(finite_rows(name, ndim) for name, ndim in names)
    error = DivergenceError(
        f"training stopped at {where}: the batch loss is {loss} (not finite) on {n} of its "
        f"{size} examples ({place}), while the other {size - n} examples' losses are finite "
        f"(none above {float(others.abs().max()):.3g}), so most likely not because of lr "
        f"{lr:g} (weights an lr broke make every example's loss non-finite): {whose} "
        f"{_either(names)} hold NaN or inf, or the model's computation overflowed on "
        f"{'it' if one else 'them'} ({_not_looked(names)}); that step's update most likely "
        f"made the weights non-finite: where the {_either(names)} do, {clean_or_drop(test, one=one)}; "
        "then train again from fresh weights"
    )
    error.examples = True  # which examples' data or scores are to blame
    error.resumable = False  # no smaller lr, no resume helps
    return error


def unseen(dims: Dims, *, every_example: bool) -> Unseen | None:
    """Return what to say of a step's data not looked at (:class:`Unseen`), for tensors of
    ``dims`` let go of; ``None`` where every tensor was looked at. ``every_example``: every
    example's loss is not finite, as one example's NaN in X makes it in a model that mixes a
    batch's examples."""
    names = _names(dims)
    if not names:
        return None
    mixes = (
        "; one example's are enough in a model that mixes a batch's examples, such as BatchNorm "
        "in training mode"
        if every_example and names[0][0] == "X"
        else ""
    )
    return Unseen(
        data=f"that batch's {_either(names)} hold NaN or inf ({_not_looked(names)}{mixes})",
        tells=" and ".join(f"torch.isfinite({name}).all()" for name, _ in names),
        rows=" & ".join(finite_rows(name, ndim) for name, ndim in names),
    )


def _names(dims: Dims) -> list[tuple[str, int]]:
    """Return (name, dimensions) of each tensor of ``dims`` let go of (not 0)."""
    return [(name, ndim) for name, ndim in zip(("X", "y"), dims, strict=True) if ndim]


def _either(names: list[tuple[str, int]]) -> str:
    """Return the tensors ``names`` as "features X", "features X or targets y"."""
    return " or ".join(_WHAT[name] for name, _ in names)


def _not_looked(names: list[tuple[str, int]]) -> str:
    """Return why the guard did not look at the tensors ``names``."""
    tensors = " or ".join(name for name, _ in names)
    return (
        f"the guard holds a batch's {tensors} over {HELD_BYTES // 1024} KiB through its own step "
        "only, so it did not look"
    )
