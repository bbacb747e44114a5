"""A non-finite step, after an update, whose features X (or targets y) the divergence guard did
not look at: over :data:`~linearnets.training.guard_data.HELD_BYTES` (a batch of images), they are
held through their own step only (D2L §3.6.6).

The guard cannot tell then whether those data hold NaN or inf or an lr too large broke the
weights, so both are named, with the test on that batch that tells them apart
(``torch.isfinite(X).all()``). Which leads is the evidence's: an lr that made the weights too large
need not leave every example's loss non-finite (a naive softmax's ``exp`` overflows first on the
examples of largest scores: the book's on Fashion-MNIST at lr 5 gave NaN on 162 of 256 examples,
its data finite), but it raises the others' too. So where the others' median loss, or the step
before's loss (where every example's is not finite, or the loss is one number), stands
:data:`GROWN` × the first step's or more, the lr leads (26.9, 12× the untrained model's 2.34, in
that run); else the data do (one NaN pixel at lr 0.1: 2.41 against 2.37), with the examples whose
losses alone are not finite named, as the unguarded loop names them from their scores.
"""

from __future__ import annotations

import torch

from linearnets.errors import DivergenceError
from linearnets.nan_places import clean_or_drop, examples_at, finite_rows
from linearnets.training.guard_data import HELD_BYTES, Dims
from linearnets.training.guard_messages import Unseen, either
from linearnets.training.guard_stats import per_example

__all__ = ["GROWN", "unseen_error"]

# how many times the first step's loss the others' median (or the step before's loss) must be for
# the lr to lead: 6.7× and 12× where the book's naive softmax blew up at lr 10 and 5, about 1×
# beside one example's NaN pixel at lr 0.1 (a healthy run's loss falls from its first step's)
GROWN = 4.0

_WHAT = {"X": "features X", "y": "targets y"}


def unseen_error(
    where: str,
    loss: float,
    *,
    losses: torch.Tensor,
    dims: Dims,
    lr: float,
    first_example: int,
    order: bool | None,
    first_loss: float | None,
    last_loss: float | None,
) -> DivergenceError | None:
    """Return the error for the non-finite batch ``loss`` at ``where`` ("batch 3 of epoch 1"), after
    an update, whose tensors of ``dims`` (:func:`~linearnets.training.guard_data.held`) were not
    looked at: both causes, with the test that tells them apart; ``None`` where every tensor was.

    ``losses``: the step's losses, (B, ...) or one number; ``first_loss``: the first step's mean
    loss, ``last_loss`` the latest finite step's (``None``: none); ``first_example``, ``order``:
    as for :func:`~linearnets.training.guard_data.data_not_finite`."""
    names = _names(dims)
    if not names:
        return None
    rows = _some_rows(losses)
    if rows is None:  # every example's loss, or one number: the step before's loss tells
        every = per_example(losses)  # each example's loss (not one number spread over them)
        evidence, lr_first = _grown_before(last_loss, first_loss)
        return either(where, loss, lr=lr, unseen=_whole(names, every, evidence, lr_first))
    bad, others = rows
    place = examples_at(
        bad, first_example=first_example, name="train_iter", training=True, order=order
    )
    return either(where, loss, lr=lr, unseen=_singled_out(names, bad, others, place, first_loss))


def _singled_out(
    names: list[tuple[str, int]],
    bad: tuple[int, ...],
    others: torch.Tensor,
    place: str,
    first_loss: float | None,
) -> Unseen:
    """Return the :class:`Unseen` of a batch whose tensors ``names`` were not looked at, where
    the examples at positions ``bad`` (``place``, in words) alone have non-finite losses, the
    ``others``' (B − n,) finite; ``first_loss``: the first step's mean loss, if any."""
    n, size = len(bad), len(bad) + others.numel()
    median = float(torch.quantile(others, 0.5))
    lr_first = first_loss is not None and median >= GROWN * max(first_loss, 1e-12)
    grew = "" if first_loss is None else _times(median, first_loss, grown=lr_first)
    one = n == 1
    whose, it = ("that example's", "it") if one else ("those examples'", "them")
    test = " & ".join(finite_rows(name, ndim) for name, ndim in names)
    return Unseen(
        data=f"{whose} {_either(names)} hold NaN or inf ({_not_looked(names)})",
        weights=f"an update made the weights so large that the model's computation overflowed "
        f"on {it}",
        tells=_tells(names),
        fix=clean_or_drop(test, one=one),
        evidence=f", on {n} of its {size} examples ({place}), {_finite(others, median, grew)}",
        lr_first=lr_first,
    )


def _finite(others: torch.Tensor, median: float, grew: str) -> str:
    """Return the evidence of the ``others``' (B − n,) finite losses: their largest and median,
    or the one loss of a single other example, and then ``grew`` (against the first step's)."""
    if others.numel() == 1:
        return f"the other example's loss finite ({median:.3g}{grew})"
    return (
        f"the other {others.numel()} examples' losses finite (none above "
        f"{float(others.abs().max()):.3g}, their median {median:.3g}{grew})"
    )


def _whole(names: list[tuple[str, int]], every: bool, evidence: str, lr_first: bool) -> Unseen:
    """Return the :class:`Unseen` of a batch whose tensors ``names`` were not looked at, where
    ``every`` example's loss is not finite, or the loss is one number."""
    mixes = (
        "; one example's are enough in a model that mixes a batch's examples, such as BatchNorm "
        "in training mode"
        if every and names[0][0] == "X"
        else ""
    )
    rows = " & ".join(finite_rows(name, ndim) for name, ndim in names)
    return Unseen(
        data=f"that batch's {_either(names)} hold NaN or inf ({_not_looked(names)}{mixes})",
        weights="an update made the weights non-finite",
        tells=_tells(names),
        fix=f"clean or drop the examples that hold NaN or inf ({rows} is False on them)",
        evidence=evidence,
        lr_first=lr_first,
    )


def _some_rows(losses: torch.Tensor) -> tuple[tuple[int, ...], torch.Tensor] | None:
    """Return the positions of the examples whose ``losses`` (B, ...) are not finite and the
    others' losses (each the sum of its row, in float64), where only some are; else ``None``
    (every one, none, or one number spread over the batch)."""
    if losses.ndim == 0 or (losses.shape[0] > 1 and losses.stride(0) == 0):
        return None
    rows = losses.reshape(losses.shape[0], -1)
    bad = ~torch.isfinite(rows).all(dim=1)
    n = int(bad.sum())
    if n in (0, losses.shape[0]):
        return None
    others = rows[~bad].sum(dim=1, dtype=torch.float64)
    return tuple(bad.nonzero().flatten().tolist()), others


def _grown_before(last: float | None, first: float | None) -> tuple[str, bool]:
    """Return the evidence of the step before's loss ``last`` against the first step's
    ``first``, where it grew :data:`GROWN` × or more ("", else), and whether it did."""
    if last is None or first is None or last < GROWN * max(first, 1e-12):
        return "", False
    ratio = last / max(first, 1e-12)
    return (
        f", after the step before's loss grew to {last:.3g} ({ratio:.2g}× the first step's, {first:.3g})",
        True,
    )


def _times(value: float, first: float, *, grown: bool) -> str:
    """Return how ``value`` stands to the first step's loss ``first``: ", 11× the first step's
    loss, 2.34" where it has ``grown``, else ", the first step's loss 2.34"."""
    if grown:
        return f", {value / max(first, 1e-12):.2g}× the first step's loss, {first:.3g}"
    return f", the first step's loss {first:.3g}"


def _names(dims: Dims) -> list[tuple[str, int]]:
    """Return (name, dimensions) of each tensor of ``dims`` let go of (not 0)."""
    return [(name, ndim) for name, ndim in zip(("X", "y"), dims, strict=True) if ndim]


def _tells(names: list[tuple[str, int]]) -> str:
    """Return the test on the whole batch that tells its tensors ``names`` are finite."""
    return " and ".join(f"torch.isfinite({name}).all()" for name, _ in names)


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
