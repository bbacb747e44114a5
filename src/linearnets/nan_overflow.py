"""What NaN scores on finite parameters and features say of the overflow in the model that made
them (D2L §3.6, exercise 1): scores far too large for their dtype, from features or weights far
too large, where their sizes show it; else a softmax computed as ``exp(o) / exp(o).sum(1)``, whose
exp overflows past the dtype's own limit (~88 in float32, ~709 in float64). The failure path
only: read once :func:`~linearnets.model_checks.check_no_nan_scores` raises.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from linearnets.nan_located import HUGE_SCORE, LARGE_WEIGHT

if TYPE_CHECKING:
    from linearnets.model_checks import NanSource

__all__ = ["exp_limit", "overflow_message"]


def overflow_message(head: str, source: NanSource) -> str:
    """Return the message for NaN scores on finite parameters and features, the model's own
    computation to blame: scores (or features and weights) too large for their dtype, where they
    show it (see :func:`_too_large`); else a softmax computed without subtracting each row's max,
    whose exp overflows past the dtype's own limit (~88 in float32, ~709 in float64)."""
    import torch

    dtype = source.dtype or torch.get_default_dtype()
    kind = str(dtype).removeprefix("torch.")
    top = torch.finfo(dtype).max
    if _too_large(source, top):
        largest = f"{top:.2g}".replace("e+", "e")
        fresh = (
            ", and train again from fresh weights (weights that large come from their "
            "initialisation or a learning rate too large)"
            if source.largest_weight is not None and source.largest_weight >= LARGE_WEIGHT
            else ""
        )
        return (
            f"{head}, though its parameters and its inputs are finite: its own computation "
            f"overflowed, its scores going past the largest value of their dtype ({largest} in "
            f"{kind}) from features or weights far too large{_sizes_seen(source)}, and inf - inf "
            f"or 0 × inf is NaN; scale the features (e.g. standardise each one){fresh}; run the "
            "model's steps on that batch one at a time to find the one that gives inf"
        )
    return (
        f"{head}, though its parameters and its inputs are finite: its own computation "
        "overflowed, e.g. a softmax computed as exp(o) / exp(o).sum(1) without subtracting "
        f"each row's max first (exp of a score above ~{exp_limit(top)} is inf in {kind}, and "
        "inf / inf is NaN); subtract each row's max before exp, o - o.max(dim=1, "
        "keepdim=True).values, or use linearnets.softmax, which does, or return the scores "
        "themselves (logits) and train with nn.CrossEntropyLoss"
    )


def exp_limit(top: float) -> int:
    """Return the score past which exp overflows a dtype whose largest value is ``top``: 88 in
    float32, 709 in float64, 11 in float16."""
    return math.floor(math.log(top))


def _too_large(source: NanSource, top: float) -> bool:
    """Whether the scores themselves overflowed, no softmax at the model's end to blame: those not
    NaN hold +inf or reach :data:`~linearnets.nan_located.HUGE_SCORE` in absolute value (a
    softmax's lie in [0, 1], a log-softmax's in [-inf, 0]), or the largest feature times the
    largest weight passes ``top``, the dtype's largest value."""
    if source.score_range is not None:
        low, high = source.score_range
        if high >= HUGE_SCORE or (math.isfinite(low) and low <= -HUGE_SCORE):
            return True
    if source.largest_input is None or source.largest_weight is None:
        return False
    return source.largest_input * source.largest_weight >= top


def _sizes_seen(source: NanSource) -> str:
    """Return what was seen of the scores', features' and weights' sizes, in parentheses after a
    space (``" (its scores hold inf; the features reach 1e+20 in absolute value, the weights
    1e+20)"``), or ``""`` where nothing was."""
    seen = []
    if source.score_range is not None:
        low, high = source.score_range
        if math.isinf(high):
            seen.append(f"its scores on {source.batch} hold inf")
        elif math.isfinite(low):
            seen.append(
                f"its scores on {source.batch} reach {max(high, -low):.3g} in absolute value"
            )
    sizes = []
    if source.largest_input is not None:
        sizes.append(f"the features reach {source.largest_input:.3g} in absolute value")
    if source.largest_weight is not None:
        word = "the weights" if sizes else "the weights reach"
        end = "" if sizes else " in absolute value"
        sizes.append(f"{word} {source.largest_weight:.3g}{end}")
    if sizes:
        seen.append(", ".join(sizes))
    return f" ({'; '.join(seen)})" if seen else ""
