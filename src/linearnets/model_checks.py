"""Checks of a model as a whole: its size before its weights are drawn, its initial weights, its
scores' NaN (D2L §3.4, §3.6).

torch is imported inside the checks (see :mod:`linearnets.validation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linearnets._text import gib_past
from linearnets.errors import DivergenceError, UsageError

if TYPE_CHECKING:
    import torch

__all__ = ["MAX_WEIGHT_BYTES", "check_finite_init", "check_model_size", "check_no_nan_scores"]

# a linear model's weights, at most: training holds their gradient (and a copy per step) too
MAX_WEIGHT_BYTES = 2**31


def check_model_size(num_inputs: int, num_outputs: int) -> None:
    """Refuse a linear model whose num_inputs × num_outputs weights, in torch's default dtype,
    pass :data:`MAX_WEIGHT_BYTES`: torch's allocator would fail deep inside, or the machine
    swap, when their initial values are drawn."""
    import torch

    dtype = torch.get_default_dtype()
    itemsize = torch.finfo(dtype).bits // 8
    nbytes = num_inputs * num_outputs * itemsize
    if nbytes <= MAX_WEIGHT_BYTES:
        return
    most, gib, kind = MAX_WEIGHT_BYTES // itemsize, MAX_WEIGHT_BYTES // 2**30, str(dtype)[6:]
    held = gib_past(nbytes, MAX_WEIGHT_BYTES)
    if num_outputs == 1:  # linear regression: one weight per feature
        raise UsageError(
            f"num_inputs must be at most {most:,} ({gib} GiB of {kind} weights), got "
            f"{num_inputs:,} ({held}); pass fewer features"
        )
    raise UsageError(
        f"num_inputs × num_outputs must make at most {most:,} weights ({gib} GiB of {kind}), got "
        f"{num_inputs:,} × {num_outputs:,} ({held}); pass fewer inputs (e.g. a smaller image size) "
        "or fewer classes"
    )


def check_no_nan_scores(nan: torch.Tensor | bool, *, from_finite: bool = False) -> None:
    """Raise DivergenceError if a model's scores held NaN (``nan``: whether they did).

    A NaN score is every row's maximum, so a NaN model would count as right on its class: its
    accuracy would mean nothing. ``from_finite`` says the caller, once the scores were NaN, found
    the model's parameters and a batch finite and the model's scores on that batch NaN: then the
    model's own computation made the NaN, most often the book's softmax ``exp(o) / Σ exp(o)`` on a
    score above ~88, whose exp is inf in float32 (inf / inf is NaN; D2L §3.6, exercise 1).
    """
    if not bool(nan):
        return
    if from_finite:
        raise DivergenceError(
            "the model's scores hold NaN, so no accuracy can be computed, though its parameters "
            "and its inputs are finite: its own computation overflowed, e.g. a softmax computed as "
            "exp(o) / exp(o).sum(1) without subtracting each row's max first (exp of a score above "
            "~88 is inf in float32, and inf / inf is NaN); subtract each row's max before exp, "
            "o - o.max(dim=1, keepdim=True).values, or use linearnets.softmax, which does, or "
            "return the scores themselves (logits) and train with nn.CrossEntropyLoss"
        )
    raise DivergenceError(
        "the model's scores hold NaN, so no accuracy can be computed: its weights or its "
        "inputs hold NaN (weights blow up when the lr is too large: train again with a smaller "
        "one)"
    )


def check_finite_init(name: str, value: float, weights: torch.Tensor) -> None:
    """Refuse initial ``weights`` that the standard deviation ``name`` = ``value`` drew past the
    largest value of their dtype: a finite one (1e40) can still give infinite float32 weights, and
    with them a NaN loss at the first step. Meta weights (a deferred initialisation, made
    real later by ``to_empty``) hold no values to check."""
    if weights.is_meta:
        return
    import torch

    infinite = int((~torch.isfinite(weights)).sum())
    if infinite:
        raise UsageError(
            f"{name} must give finite initial weights in {weights.dtype} (largest value "
            f"{torch.finfo(weights.dtype).max:.3g}), got {name}={value:g}, which drew {infinite} of "
            f"{weights.numel()} weights infinite; pass a smaller {name}, e.g. {name}=0.01 (the book's)"
        )
