"""The batch of a step whose loss the divergence guard found not finite, and its error when that
batch's data hold NaN or inf (D2L §3.6.6).

A NaN or inf in a batch's features X or targets y makes its examples' losses so: no smaller lr helps,
so the guard names the data instead of the lr, where the step's per-example losses show it: those
not finite are all on such examples, and every example with finite X and y has a finite loss (a
model that fills NaN in, or a loss that masks it, gives finite losses there, and weights the lr
broke give every example a non-finite loss). A loss reduced to one number shows no example's: the
lr is named, and the data beside it as a possible cause. It costs nothing per step: the loop hands the guard
each step's batch (:meth:`~linearnets.training.guard.DivergenceGuard.watch_batches`), a reference
kept beside the step's losses until they are read back, and looked at only once a step's loss is
not finite. A tensor larger than :data:`HELD_BYTES` is kept through its own step only (the loop
lets go of it then): held over the steps a read-back waits for, each batch would be built in new
memory instead of the block just freed (10–18% of a Fashion-MNIST softmax epoch on a CPU, at
256–784 KiB a batch; nothing at 64 KiB).
"""

from __future__ import annotations

import torch

from linearnets._text import and_list
from linearnets.errors import DivergenceError
from linearnets.nan_places import clean_or_drop, examples_at, finite_rows

__all__ = ["HELD_BYTES", "Batch", "data_not_finite", "kept"]

# the largest features or targets of a step kept until its loss is read back
HELD_BYTES = 64 * 1024

# a step's (X, y), as the guard keeps them: None where not kept (too large)
Batch = tuple[torch.Tensor | None, torch.Tensor | None]


def kept(batch: Batch) -> Batch:
    """Return ``batch`` with only its strided tensors of at most :data:`HELD_BYTES` (the others
    ``None``: a sparse tensor, with no ``nbytes``, is never held nor looked at)."""
    X, y = batch
    return (
        X if X is not None and X.layout is torch.strided and X.nbytes <= HELD_BYTES else None,
        y if y is not None and y.layout is torch.strided and y.nbytes <= HELD_BYTES else None,
    )


def data_not_finite(
    where: str,
    loss: float,
    batch: Batch,
    *,
    losses: torch.Tensor,
    lr: float,
    first_example: int,
    order: bool | None,
) -> DivergenceError | str | None:
    """Look at the step's ``batch`` for the non-finite batch ``loss`` at ``where`` ("epoch 1,
    step 3"), whose per-example ``losses`` the guard holds.

    Return the error naming the data, where they are to blame: the batch holds NaN or inf, and
    its examples with non-finite losses are exactly among those (an example with finite X and y
    and a non-finite loss means the weights, not its data, broke: the lr). Return the words to add
    to the lr's error where the batch holds NaN or inf without that evidence (``losses`` one
    number spread over the batch, as the loop hands a reduced loss on, or a tensor not held),
    ``None`` where the batch's tensors held are finite, or those examples are shown not to be the
    cause (a model that fills in NaN, a loss that masks them).

    ``first_example``: the examples of the epoch before that batch; ``order``: whether the batches
    take the dataset's examples in order (:func:`~linearnets.training.model_tensors.batch_order`).
    """
    found = _found(batch)
    if not found:
        return None
    size = found[0][1].shape[0]
    data_rows = {row for _, _, positions in found for row in positions}
    loss_rows = _loss_rows(losses, size)
    held = all(t is not None and t.layout is torch.strided for t in batch)
    where_bad = _where(found, size, first_example=first_example, order=order)
    one = len(data_rows) == 1
    test = " & ".join(finite_rows(name, tensor.ndim) for name, tensor, _ in found)
    fix = clean_or_drop(test, one=one)
    if loss_rows is not None and loss_rows <= data_rows:
        error = DivergenceError(
            f"training stopped at {where}: the batch loss is {loss} (not finite) because the "
            f"batch's {where_bad}, so not because of lr {lr:g}; that step's update most likely "
            f"made the weights non-finite: {fix}, then train again from fresh weights"
        )
        error.examples = True  # which examples' data are to blame
        error.resumable = False  # the data are the cause: no smaller lr, no resume helps
        return error
    if loss_rows is not None and held:
        return None  # an example with finite data has a non-finite loss: not the data's doing
    return f"; the batch's {where_bad}, which may be the cause instead: {fix}"


_WHAT = {"X": "features X", "y": "targets y"}


def _found(batch: Batch) -> list[tuple[str, torch.Tensor, tuple[int, ...]]]:
    """Return (name, tensor, the positions of its examples holding NaN or inf) for each strided
    tensor of ``batch`` held that holds any."""
    return [
        (name, tensor, positions)
        for name, tensor in (("X", batch[0]), ("y", batch[1]))
        if tensor is not None
        and tensor.layout is torch.strided
        and (positions := _rows_not_finite(tensor))
    ]


def _where(
    found: list[tuple[str, torch.Tensor, tuple[int, ...]]],
    size: int,
    *,
    first_example: int,
    order: bool | None,
) -> str:
    """Return which of the batch's tensors hold NaN or inf on which of its ``size`` examples:
    X and y named once together where they do on the same examples."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for name, _, positions in found:
        groups.setdefault(positions, []).append(_WHAT[name])
    parts = []
    for positions, names in groups.items():
        place = examples_at(
            positions, first_example=first_example, name="train_iter", training=True, order=order
        )
        which = "its only example" if size == 1 else f"{len(positions)} of its {size} examples"
        parts.append(f"{and_list(names)} hold NaN or inf on {which} ({place})")
    return and_list(parts)


def _loss_rows(losses: torch.Tensor, size: int) -> set[int] | None:
    """Return the positions of the examples whose ``losses`` are not finite, or ``None`` where
    ``losses`` tell no example's apart: one number (0-d), spread over the batch (the loop hands a
    reduced loss to its hooks expanded, stride 0), or not one per example of the batch."""
    if losses.ndim == 0 or losses.shape[0] != size:
        return None
    if size > 1 and losses.stride(0) == 0:
        return None
    return set(_rows_not_finite(losses))


def _rows_not_finite(values: torch.Tensor) -> tuple[int, ...]:
    """Return the positions of the examples (rows) of ``values`` (B, ...) holding NaN or inf."""
    bad = ~torch.isfinite(values)
    if bad.ndim > 1:
        bad = bad.flatten(1).any(dim=1)
    return tuple(bad.nonzero().flatten().tolist())
