"""What the divergence guard names of the batch of a fresh run's first non-finite step, before any
update (D2L §3.1): the examples whose losses alone are not finite, and held targets y too large
for a squared loss on them.

No lr is to blame there (:func:`~linearnets.training.guard_messages.not_finite` says so): the data,
or the model's outputs on them, are too large for the losses' dtype, or hold NaN. Where the step's
per-example losses single some examples out they are named, with their targets' largest value
where it is :data:`HUGE`: ``y[3] = 1e20`` under a squared loss (it overflows float32 from about
2e+19) was once blamed on features X the guard had not looked at, and on an update. At a later
step (or a resume's first) such targets are the cause where they account for the non-finite
losses (:func:`huge_targets`), whatever the lr.
"""

from __future__ import annotations

import math

import torch

from linearnets.nan_places import examples_at

__all__ = ["HUGE", "first_rows", "huge_targets"]

# a target is named as too large where its square is within this factor of the losses' dtype's
# largest value (float32: |y| from about 1.8e+17)
HUGE = 1e4


def first_rows(
    losses: torch.Tensor,
    y: torch.Tensor | None,
    *,
    dtype: torch.dtype,
    first_example: int,
    order: bool | None,
) -> str:
    """Return what the message on a fresh run's first non-finite step adds of its batch: "; it
    is not finite on 1 of the batch's 32 examples (...), whose targets y reach 1e+20", or where
    every example's loss (or one number) is not finite "; the batch's targets y reach 1e+20 on 1
    of its 32 examples (...)"; ``""`` where neither tells anything.

    ``losses``: the step's losses, (B, ...) or one number; ``y``: its targets, where held;
    ``dtype``: the losses'; ``first_example``, ``order``: as for
    :func:`~linearnets.training.guard_data.data_not_finite`."""
    bad = _some(losses)
    mags = _magnitudes(y, size=None if bad is None else len(bad))
    largest = torch.finfo(dtype if dtype.is_floating_point else torch.float32).max
    huge = math.sqrt(largest / HUGE)
    if bad is not None:
        on = _on(bad, first_example, order, of="the batch's")
        text = f"; it is not finite on {on}"
        if mags is not None and (top := float(mags[bad].max())) >= huge:
            text += f", whose targets y reach {top:.3g}"
        return text
    if mags is None or not bool((large := (mags >= huge).any(dim=1)).any()):
        return ""
    top = float(mags[large].max())
    if bool(large.all()):
        return f"; the batch's targets y reach {top:.3g}, on all {len(large)} of its examples"
    return (
        f"; the batch's targets y reach {top:.3g} on {_on(large, first_example, order, of='its')}"
    )


def huge_targets(
    losses: torch.Tensor,
    y: torch.Tensor | None,
    *,
    dtype: torch.dtype,
    first_example: int,
    order: bool | None,
) -> str | None:
    """Return "targets y reach 1e+20 on 1 of its 32 examples (...)" where the held targets ``y``
    of a non-finite step at any step (after an update too, or at a resume's first) account for
    it: every example whose loss alone is not finite has a target whose square alone overflows
    ``dtype`` (|y| from about 1.8e+19 in float32; :data:`HUGE`'s margin would blame targets of
    1e+18 for an lr's overflow); or, where the losses single none out, every example's target
    does (one per example), or any does (one number, as a mean loss); else ``None``.

    A squared loss on ``y[387] = 1e20`` overflows whatever the weights: it was once blamed on
    features X the guard had not looked at, or on the lr, whose tenth failed the same way.
    ``losses``, ``first_example``, ``order``: as for :func:`first_rows`."""
    bad = _some(losses)
    mags = _magnitudes(y, size=None if bad is None else len(bad))
    if mags is None:
        return None
    largest = torch.finfo(dtype if dtype.is_floating_point else torch.float32).max
    # after an update the model's outputs may be the ones too large (an lr's doing): only a target
    # whose square alone overflows (|y| from about 1.8e+19 in float32) accounts for the loss
    large = (mags >= math.sqrt(largest)).any(dim=1)
    if bad is not None:
        if not bool(large[bad].all()):
            return None  # a non-finite loss the targets do not explain
        large = large & bad
    elif not bool(large.any()) or (_each(losses) and not bool(large.all())):
        return None
    top = float(mags[large].max())
    if bool(large.all()):
        return f"targets y reach {top:.3g}, on all {len(large)} of its examples"
    return f"targets y reach {top:.3g} on {_on(large, first_example, order, of='its')}"


def _each(losses: torch.Tensor) -> bool:
    """Whether ``losses`` hold one loss per example (not one number, nor one spread)."""
    return losses.ndim > 0 and not (losses.shape[0] > 1 and losses.stride(0) == 0)


def _on(rows: torch.Tensor, first_example: int, order: bool | None, *, of: str) -> str:
    """Return "1 of ``of`` 32 examples (position 3 in the batch, ...)" for ``rows``, (B,) bool
    (``of``: "its", "the batch's")."""
    positions = tuple(rows.nonzero().flatten().tolist())
    place = examples_at(
        positions, first_example=first_example, name="train_iter", training=True, order=order
    )
    return f"{len(positions)} of {of} {len(rows)} examples ({place})"


def _some(losses: torch.Tensor) -> torch.Tensor | None:
    """Return which examples' ``losses`` (B, ...) are not finite, (B,) bool, where only some are;
    else ``None`` (every one, or one number spread over the batch)."""
    if losses.ndim == 0 or (losses.shape[0] > 1 and losses.stride(0) == 0):
        return None
    bad = ~torch.isfinite(losses.reshape(losses.shape[0], -1)).all(dim=1)
    return bad if 0 < int(bad.sum()) < losses.shape[0] else None


def _magnitudes(y: torch.Tensor | None, *, size: int | None) -> torch.Tensor | None:
    """Return ``|y|`` of the targets ``y`` (B, ...) as (B, k) float64, 0 where not finite;
    ``None`` where ``y`` is not held, not floating point (class labels), or not one row per
    example of the batch's ``size`` (where known)."""
    if y is None or y.layout is not torch.strided or not y.is_floating_point() or y.ndim == 0:
        return None
    if size is not None and y.shape[0] != size:
        return None
    values = y.detach().to(torch.float64).abs().reshape(y.shape[0], -1)
    return torch.where(torch.isfinite(values), values, torch.zeros((), dtype=torch.float64))
