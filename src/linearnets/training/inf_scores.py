"""Infinite scores behind a loss that is not finite at an epoch's first step, named by their cause
(D2L §3.6): the weights that hold NaN or inf, the buffers (which no optimizer updates), the
features that do, a mask of -inf that the loss takes the log-probability of, or, all finite, an
overflow in the model's own computation. Scores that hold NaN are
:func:`~linearnets.model_checks.check_no_nan_scores`'s; these hold inf and no NaN, so the loss is
not blamed for what the model gave it.

The failure path only: a step whose loss is finite never calls it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from linearnets._text import counted
from linearnets.errors import DivergenceError
from linearnets.model_checks import (
    NanSource,
    attributes_named,
    masks_every_class,
    masks_note,
    nonfinite_attributes,
    nonfinite_buffers,
)
from linearnets.nan_places import listed, unused_note, weight_names
from linearnets.training.model_diagnosis import nan_source
from linearnets.training.model_tensors import masking_every_class, weights_seen

__all__ = ["infinite_scores_error"]


def infinite_scores_error(
    net: Any,
    X: torch.Tensor,
    *,
    value: str,
    smallest: float,
    largest: float,
    scores: torch.Tensor,
    y: torch.Tensor,
    loss: Any,
) -> DivergenceError:
    """Return the error for a loss that is ``value`` (``"NaN"`` or ``"inf"``) on the epoch's first
    batch ``X`` (labels ``y``) because ``net``'s ``scores`` on it hold inf (they range over
    [``smallest``, ``largest``]): the weights that hold NaN or inf (named), the buffers, the
    features (counted, their examples named), a mask of -inf under ``loss``, or none of these
    (the model's computation overflowed). A buffer or plain tensor attribute that holds inf and
    no NaN, a mask perhaps, is no cause by itself: it is named after the cause found without it
    (see :func:`~linearnets.model_checks.masks_note`)."""
    source = nan_source(net, X, batch="the epoch's first batch")
    head = (
        f"the loss is {value} on the epoch's first batch because the model's scores are not "
        f"finite (they range over [{smallest:.4g}, {largest:.4g}]), before any update of this "
        "step"
    )
    find = (
        "find them in the data, checking each batch with torch.isfinite(X).all(), and clean or "
        "drop the examples that hold them"
    )
    inert = source.unused_buffers  # BatchNorm's running statistics in training mode: no cause
    buffers = source.nonfinite_buffers
    params = source.nonfinite_params
    attributes = source.nonfinite_attributes  # plain tensors of the model's, neither of those
    finite_weights = source.finite_weights
    # not the cause: said after it (a mask of -inf, perhaps, past the weights that are finite)
    unused = unused_note(inert) + masks_note(
        source.inf_buffers, source.inf_attributes, dtype=scores.dtype, scores="inf"
    )
    named = weight_names(params + attributes_named(attributes), buffers)
    replace = (
        "replace them with finite ones (train again from fresh weights, or load finite ones): an "
        "earlier update made them so (a learning rate too large, or a step on features that hold "
        "NaN or inf), or the code that set or loaded them did"
    )
    if finite_weights is False and params:
        bad = f"its weights hold NaN or inf ({named})"
        fix = replace
        if buffers:
            why = nonfinite_buffers(buffers)[1]
            fix = f"{replace}; no optimizer updated the buffers ({why})"
    elif finite_weights is False and attributes:
        held, why, fix = nonfinite_attributes(attributes)
        bad = f"{held} ({why})"
        if buffers:
            held_too, _, fix_too = nonfinite_buffers(buffers)
            fix = f"{fix}; {held_too} too: {fix_too}"
    elif finite_weights is False:
        held, why, fix = nonfinite_buffers(buffers)
        bad = f"{held} ({why})"
    if source.nonfinite_inputs:
        rows = source.positions
        one = len(rows) == 1
        where = (
            f", in its {'example at position' if one else 'examples at positions'} "
            f"{listed(rows)}, counting from 0"
            if rows
            else ""
        )
        inputs = (
            f"its inputs hold NaN or inf ({counted(source.nonfinite_inputs, 'value')} of the "
            f"features X of the epoch's first batch{where})"
        )
        if finite_weights is False:
            return DivergenceError(f"{head}: {inputs}, and {bad}; {find}, and {fix}{unused}")
        weights = f", while its {_weights(source)} are finite" if finite_weights else ""
        return DivergenceError(f"{head}: {inputs}{weights}; {find}{unused}")
    if finite_weights is False:
        return DivergenceError(f"{head}: {bad}, while the features X are finite; {fix}{unused}")
    dtype = str(scores.dtype).removeprefix("torch.")
    top = f"{torch.finfo(scores.dtype).max:.2g}".replace("e+", "e")
    overflow = (
        f"a score past the largest value of its dtype ({top} in "
        f"{dtype}), from features or weights far too large, or an exp or a division by 0 in the "
        "model's forward; scale the features (e.g. standardise each one), and run the model's "
        "steps on that batch one at a time to find the one that gives inf"
    )
    every = ""
    masked, rows = _all_masked(scores, largest)
    # a mask that is -inf on every class of those rows (no NaN weight: no NaN); one that leaves a
    # class open is no cause of theirs: their -inf came from elsewhere (an overflow)
    covering = masking_every_class(
        net, source.inf_buffers + source.inf_attributes, rows=rows, shape=scores.shape
    )
    if masked and covering:
        every = masks_every_class(
            tuple(name for name in source.inf_buffers if name in covering),
            tuple(name for name in source.inf_attributes if name in covering),
            where=masked,
            examples=len(rows),
            dtype=scores.dtype,
        )
    if finite_weights is None and not source.no_weights:
        if every:
            return DivergenceError(f"{head}, on finite features X: {every}{unused_note(inert)}")
        return DivergenceError(
            f"{head}, on finite features X: either the model's weights, which could not all be "
            f"listed, hold NaN or inf, or its own computation overflowed, {overflow}{unused}"
        )
    largest_weight = None
    if not source.no_weights:
        largest_weight = weights_seen(net, skip=frozenset(inert)).largest
    weights = (
        "the model has no floating-point parameters or buffers"
        if source.no_weights or largest_weight is None
        else f"its {_weights(source)} are finite (none above {largest_weight:.3g} in absolute value)"
    )
    if every:
        return DivergenceError(
            f"{head}, though the features X are finite and {weights}: {every}{unused_note(inert)}"
        )
    # an example whose every class is -inf though no mask is -inf on all of them: its open
    # classes' -inf came from an overflow, not a mask (the overflow's message, below)
    if smallest == -math.inf and not math.isinf(largest) and not masked:
        masks = masks_note(source.inf_buffers, source.inf_attributes, scores="-inf")
        return DivergenceError(
            f"{head}, though the features X are finite and {weights}: "
            f"{_masked(scores, y, loss, dtype)}{unused_note(inert)}{masks}"
        )
    return DivergenceError(
        f"{head}, though the features X are finite and {weights}: its own computation overflowed, "
        f"{overflow}{unused}"
    )


def _all_masked(scores: torch.Tensor, largest: float) -> tuple[str, tuple[int, ...]]:
    """Return which examples of ``scores`` (B, C), whose largest is ``largest``, score -inf for
    every class (``"every example of the batch"``, or their positions), and their positions;
    ``""`` and ``()`` for none, or where a score is +inf too (that is an overflow's)."""
    if scores.ndim != 2 or largest == math.inf or scores.shape[1] == 0:
        return "", ()
    rows = tuple((scores == -math.inf).all(dim=1).nonzero().flatten().tolist())
    if not rows:
        return "", ()
    if len(rows) == scores.shape[0]:
        return "every example of the batch", rows
    one = len(rows) == 1
    where = (
        f"the {'example at position' if one else 'examples at positions'} {listed(rows)}, "
        "counting from 0"
    )
    return where, rows


def _weights(source: NanSource) -> str:
    """Return what of the model is finite where its weights are called so: its ``"weights"``, or
    its ``"parameters"`` where a buffer holds inf (a mask, perhaps, named after the cause)."""
    return "parameters" if source.inf_buffers else "weights"


def _masked(scores: torch.Tensor, y: torch.Tensor, loss: Any, dtype: str) -> str:
    """Return the cause of a loss that is not finite on ``scores`` that hold -inf and no +inf:
    a mask (or a log of 0) at the true class of some examples, or a loss such as label smoothing
    that takes the log-probability of every class."""
    here = []
    if scores.ndim == 2 and y.ndim == 1 and y.shape[0] == scores.shape[0]:
        valid = (y >= 0) & (y < scores.shape[1])
        at = scores.gather(1, y.clamp(0, scores.shape[1] - 1).unsqueeze(1)).squeeze(1)
        rows = tuple((valid & (at == -math.inf)).nonzero().flatten().tolist())
        if rows:
            one = len(rows) == 1
            here.append(
                f"the true class's score is -inf in the {'example at position' if one else 'examples at positions'} "
                f"{listed(rows)}, counting from 0"
            )
    smoothing = float(getattr(loss, "label_smoothing", 0.0) or 0.0)
    if isinstance(loss, nn.CrossEntropyLoss) and smoothing > 0:
        here.append(f"label_smoothing={smoothing:g}")
    found = f" (here {' and '.join(here)})" if here else ""
    return (
        "its scores hold -inf and no +inf (a mask, or a log of 0), on which a loss that takes the "
        "log-probability of every class (label_smoothing) or of a masked true class is inf"
        f"{found}; unmask the true class, drop label smoothing, or mask with a large negative "
        f"finite value such as torch.finfo(torch.{dtype}).min instead of -inf"
    )
