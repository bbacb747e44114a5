"""The batch of a step whose loss the divergence guard found not finite, and its error when that
batch's data hold NaN or inf (D2L §3.6.6).

A NaN or inf in a batch's features X or targets y makes its examples' losses so: no smaller lr helps,
so the guard names the data instead of the lr. Its step's per-example losses show it for certain
where those not finite are all on such examples. They show it most likely where every such
example's loss is not finite and others' too: one example's NaN in X reaches every example's loss
in a model that mixes a batch's examples (BatchNorm in training mode), while an lr that broke the
weights in the update before, from a finite loss that had not grown, is unlikely at a rate a
linear model trains at (past :data:`~linearnets.training.guard_messages.FAR_LR` it is not, and
NaN features alone are then named beside the lr); a NaN target makes its example's loss NaN
whatever the lr, and leads at any rate. A loss reduced to one number shows no example's: the data
lead on the same terms. An example whose data hold NaN or inf with a finite loss (a model that
fills NaN in, a loss that masks it) clears the data: the lr is named.

It costs nothing per step: the loop hands the guard each step's batch
(:meth:`~linearnets.training.guard.DivergenceGuard.watch_batches`), a reference kept beside the
step's losses until they are read back, and looked at only once a step's loss is not finite. A
tensor larger than :data:`HELD_BYTES` is kept through its own step only (the loop lets go of it
then): held over the steps a read-back waits for, each batch would be built in new memory instead
of the block just freed (10–18% of a Fashion-MNIST softmax epoch on a CPU, at 256–784 KiB a batch;
nothing at 64 KiB). Its dimensions are kept instead (:func:`held`), for the message on a step whose
data were not looked at (:mod:`linearnets.training.guard_unseen`).
"""

from __future__ import annotations

import torch

from linearnets._text import and_list
from linearnets.errors import DivergenceError
from linearnets.nan_places import clean_or_drop, examples_at, finite_rows
from linearnets.training.guard_messages import FAR_LR

__all__ = ["HELD_BYTES", "Batch", "Dims", "data_not_finite", "held", "kept"]

# the largest features or targets of a step kept until its loss is read back
HELD_BYTES = 64 * 1024

# a step's (X, y), as the guard keeps them: None where not kept (too large)
Batch = tuple[torch.Tensor | None, torch.Tensor | None]

# the dimensions of a step's X and y where a strided one was let go of (too large), else 0
Dims = tuple[int, int]


def kept(batch: Batch) -> Batch:
    """Return ``batch`` with only its strided tensors of at most :data:`HELD_BYTES` (the others
    ``None``: a sparse tensor, with no ``nbytes``, is never held nor looked at)."""
    return held(batch)[0]


def held(batch: Batch) -> tuple[Batch, Dims]:
    """Return :func:`kept`'s ``batch``, and the dimensions of each strided tensor it let go of
    (0 for one kept, sparse or absent): a step's data not held past it are not looked at, but
    the test that finds their examples is named. As cheap per step as :func:`kept` was:
    ``batch`` itself where both are kept."""
    X, y = batch
    x_strided = X is not None and X.layout is torch.strided
    y_strided = y is not None and y.layout is torch.strided
    keep_X = x_strided and X.nbytes <= HELD_BYTES  # type: ignore[union-attr]
    keep_y = y_strided and y.nbytes <= HELD_BYTES  # type: ignore[union-attr]
    if keep_X and keep_y:
        return batch, _ALL_HELD
    return (X if keep_X else None, y if keep_y else None), (
        X.ndim if x_strided and not keep_X else 0,  # type: ignore[union-attr]
        y.ndim if y_strided and not keep_y else 0,  # type: ignore[union-attr]
    )


# the dimensions of a batch all held
_ALL_HELD: Dims = (0, 0)


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

    Return the error naming the data where they are to blame, for certain (its examples with
    non-finite losses are exactly among those holding NaN or inf) or most likely (every such
    example's loss is not finite, others' too, or the loss is one number spread over the batch,
    as the loop hands a reduced loss on): the targets at any lr, the features up to
    :data:`~linearnets.training.guard_messages.FAR_LR`. Return the words to add to the lr's
    error ("; the batch's features X hold NaN or inf on ..., which may be the cause instead")
    where the features hold NaN or inf at a rate past it without that certainty, or where those
    examples are shown not to be the cause (a finite loss on one: a model that fills in NaN, a
    loss that masks them) but a tensor was not held; ``None`` where the batch's tensors held are
    finite, or those examples are shown not to be the cause and every tensor was held.

    ``first_example``: the examples of the epoch before that batch; ``order``: whether the batches
    take the dataset's examples in order (:func:`~linearnets.training.model_tensors.batch_order`).
    """
    found = _found(batch)
    if not found:
        return None
    size = found[0][1].shape[0]
    data_rows = {row for _, _, positions in found for row in positions}
    loss_rows = _loss_rows(losses, size)
    held_all = all(t is not None and t.layout is torch.strided for t in batch)
    where_bad = _where(found, size, first_example=first_example, order=order)
    test = " & ".join(finite_rows(name, tensor.ndim) for name, tensor, _ in found)
    fix = clean_or_drop(test, one=len(data_rows) == 1)
    if loss_rows is not None and loss_rows <= data_rows:
        return _data_error(
            f"training stopped at {where}: the batch loss is {loss} (not finite) because the "
            f"batch's {where_bad}, so not because of lr {lr:g}",
            fix,
        )
    targets = any(name == "y" for name, _, _ in found)
    handled = loss_rows is not None and not data_rows <= loss_rows  # a finite loss on one
    if handled or (lr > FAR_LR and not targets):
        if handled and held_all:
            return None  # the data shown handled: the lr is named alone
        # past FAR_LR the lr leads (one update can break the weights): the features beside it
        return f"; the batch's {where_bad}, which may be the cause instead: {fix}"
    if loss_rows is None:  # one number: a NaN or inf in one example's data makes it so
        certain = targets  # a NaN target makes its loss NaN; a model may fill NaN features in
        unless = "" if targets else " (unless the model fills NaN in)"
        why = (
            f"a NaN or inf there makes its example's loss so{unless}, and the batch's loss, "
            "reduced to one number, with it"
        )
    else:
        certain = False
        x_held = batch[0] is not None and batch[0].layout is torch.strided
        why = _others(
            loss_rows - data_rows,
            size - len(data_rows),
            features=any(name == "X" for name, _, _ in found),
            x_held=x_held,
        )
    because = " because" if certain else ", most likely because"
    so = "so not" if certain else "not"
    return _data_error(
        f"training stopped at {where}: the batch loss is {loss} (not finite){because} the "
        f"batch's {where_bad}, {so} because of lr {lr:g}: {why}",
        fix,
    )


def _data_error(head: str, fix: str) -> DivergenceError:
    """Return the error naming a batch's data: ``head``, then the fix ``fix`` (clean or drop)."""
    error = DivergenceError(
        f"{head}; that step's update most likely made the weights non-finite: {fix}, then train "
        "again from fresh weights"
    )
    error.examples = True  # which examples' data are to blame
    error.resumable = False  # the data are the cause: no smaller lr, no resume helps
    return error


def _others(rows: set[int], rest: int, *, features: bool, x_held: bool) -> str:
    """Return why the loss is not finite on ``rows`` too, of the ``rest`` examples of a batch
    whose data held are finite, beside those whose ``features`` (X; else only y) hold NaN or inf;
    ``x_held``: whether X was held (and is finite, where only y holds NaN or inf)."""
    n = len(rows)
    if n == rest:
        which = "its other example" if n == 1 else f"all {n} others"
    else:
        which = "1 more example" if n == 1 else f"{n} more examples"
    if features:
        return (
            f"its loss is not finite on {which} too, as one example's NaN or inf in X is enough "
            "in a model that mixes a batch's examples (such as BatchNorm in training mode)"
        )
    theirs = "" if x_held else "their features X hold NaN or inf, or "
    return (
        f"a target that is NaN or inf makes its example's loss so; its loss is not finite on "
        f"{which} too, whose targets are finite ({theirs}the model's computation overflowed on "
        "them, or the weights were already non-finite, as an lr too large makes them)"
    )


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
