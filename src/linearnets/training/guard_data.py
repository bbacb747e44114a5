"""The batch of a step whose loss the divergence guard found not finite, and its error when that
batch's data hold NaN or inf (D2L §3.6.6).

A NaN or inf in a batch's features X or targets y makes its examples' losses so: no smaller lr helps,
so the guard names the data instead of the lr. It costs nothing per step: the loop hands the guard
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
from linearnets.nan_places import examples_at
from linearnets.training.model_tensors import batch_order

__all__ = ["HELD_BYTES", "Batch", "data_not_finite", "kept"]

# the largest features or targets of a step kept until its loss is read back
HELD_BYTES = 64 * 1024

# a step's (X, y), as the guard keeps them: None where not kept (too large)
Batch = tuple[torch.Tensor | None, torch.Tensor | None]


def kept(batch: Batch) -> Batch:
    """Return ``batch`` with only its tensors of at most :data:`HELD_BYTES` (the others ``None``)."""
    X, y = batch
    return (
        X if X is not None and X.nbytes <= HELD_BYTES else None,
        y if y is not None and y.nbytes <= HELD_BYTES else None,
    )


def data_not_finite(
    where: str,
    loss: float,
    batch: Batch,
    *,
    lr: float,
    first_example: int,
    batches: object,
) -> DivergenceError | None:
    """Return the error for the non-finite batch ``loss`` at ``where`` ("epoch 1, step 3") when
    the step's ``batch`` holds NaN or inf, else ``None`` (its tensors kept are finite).

    ``first_example``: the examples of the epoch before that batch; ``batches``: the iterable it
    came from (its order, where known, makes a position in the epoch an index in the dataset).
    """
    found = [
        (name, tensor, positions)
        for name, tensor in (("X", batch[0]), ("y", batch[1]))
        if tensor is not None and (positions := _rows_not_finite(tensor))
    ]
    if not found:
        return None
    size = next(t.shape[0] for t in batch if t is not None)
    order = batch_order(batches)
    parts = []
    for name, _, positions in found:
        place = examples_at(
            positions, first_example=first_example, name="train_iter", training=True, order=order
        )
        which = "its only example" if size == 1 else f"{len(positions)} of its {size} examples"
        parts.append(f"{_WHAT[name]} hold NaN or inf on {which} ({place})")
    test = " & ".join(_finite_rows(name, tensor) for name, tensor, _ in found)
    error = DivergenceError(
        f"training stopped at {where}: the batch loss is {loss} (not finite) because the batch's "
        f"{and_list(parts)}, so not because of lr {lr:g}; that step's update most likely made "
        f"the weights NaN: clean or drop those examples ({test} is False on them), then train "
        "again from fresh weights"
    )
    error.examples = True  # which examples' data are to blame
    error.resumable = False  # the data are the cause: no smaller lr, no resume helps
    return error


_WHAT = {"X": "features X", "y": "targets y"}


def _rows_not_finite(values: torch.Tensor) -> tuple[int, ...]:
    """Return the positions of the examples (rows) of ``values`` (B, ...) holding NaN or inf."""
    bad = ~torch.isfinite(values)
    if bad.ndim > 1:
        bad = bad.flatten(1).any(dim=1)
    return tuple(bad.nonzero().flatten().tolist())


def _finite_rows(name: str, values: torch.Tensor) -> str:
    """Return the expression telling which rows of ``name`` (shaped as ``values``) are finite."""
    if values.ndim == 1:
        return f"torch.isfinite({name})"
    if values.ndim == 2:
        return f"torch.isfinite({name}).all(dim=1)"
    return f"torch.isfinite({name}).flatten(1).all(dim=1)"
