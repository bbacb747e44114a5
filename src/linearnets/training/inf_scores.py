"""Infinite scores behind a loss that is not finite at an epoch's first step, named by their cause
(D2L §3.6): the weights that hold NaN or inf, the features that do, or, both finite, an overflow
in the model's own computation. Scores that hold NaN are
:func:`~linearnets.model_checks.check_no_nan_scores`'s; these hold inf and no NaN, so the loss is
not blamed for what the model gave it.

The failure path only: a step whose loss is finite never calls it.
"""

from __future__ import annotations

from typing import Any

import torch

from linearnets._text import counted
from linearnets.errors import DivergenceError
from linearnets.nan_places import listed, weight_names
from linearnets.training.model_diagnosis import nan_source
from linearnets.training.model_tensors import weights_seen

__all__ = ["infinite_scores_error"]


def infinite_scores_error(
    net: Any, X: torch.Tensor, *, value: str, smallest: float, largest: float
) -> DivergenceError:
    """Return the error for a loss that is ``value`` (``"NaN"`` or ``"inf"``) on the epoch's first
    batch ``X`` because ``net``'s scores on it hold inf (they range over [``smallest``,
    ``largest``]): the weights that hold NaN or inf (named), the features (counted, their examples
    named), or neither (the model's computation overflowed)."""
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
    names = weight_names(source.nonfinite_params, source.nonfinite_buffers)
    named = f" ({names})" if names else ""
    replace = (
        "replace them with finite ones (train again from fresh weights, or load finite ones): an "
        "earlier update made them so (a learning rate too large, or a step on features that hold "
        "NaN or inf), or the code that set or loaded them did"
    )
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
        if source.finite_weights is False:
            return DivergenceError(
                f"{head}: {inputs}, and its weights hold NaN or inf{named}; {find}, and {replace}"
            )
        weights = ", while its weights are finite" if source.finite_weights else ""
        return DivergenceError(f"{head}: {inputs}{weights}; {find}")
    if source.finite_weights is False:
        return DivergenceError(
            f"{head}: its weights hold NaN or inf{named}, while the features X are finite; "
            f"{replace}"
        )
    overflow = (
        "a score past the largest value of its dtype (3.4e38 in float32), from features or "
        "weights far too large, or an exp or a division by 0 in the model's forward; scale the "
        "features (e.g. standardise each one), and run the model's steps on that batch one at a "
        "time to find the one that gives inf"
    )
    if source.finite_weights is None and not source.no_weights:
        return DivergenceError(
            f"{head}, on finite features X: either the model's weights, which could not be "
            f"listed, hold NaN or inf, or its own computation overflowed, {overflow}"
        )
    largest_weight = weights_seen(net).largest
    weights = (
        "the model has no floating-point parameters or buffers"
        if source.no_weights or largest_weight is None
        else f"its weights are finite (none above {largest_weight:.3g} in absolute value)"
    )
    return DivergenceError(
        f"{head}, though the features X are finite and {weights}: its own computation overflowed, "
        f"{overflow}"
    )
