"""NaN scores an epoch's totals found as they folded a group of steps, raised as
:class:`~linearnets.errors.DivergenceError` (D2L §3.6): named at the batch and examples that first
gave them (:func:`~linearnets.training.model_diagnosis.nan_step`), or by what the pass's probe of
its first batch finds (:class:`~linearnets.training.model_diagnosis.NanScoresProbe`). The failure
path only: a pass whose scores are finite never calls it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from linearnets.nan_places import NanContext
from linearnets.training.model_diagnosis import nan_step
from linearnets.validation import NanSource, check_no_nan_scores

__all__ = ["raise_nan_scores"]


def raise_nan_scores(
    context: NanContext,
    probe: Callable[[], NanSource] | None,
    outputs: list[torch.Tensor],
    row_max: torch.Tensor | None,
    *,
    steps_before: int,
    examples_before: int,
    before: torch.Tensor | None,
) -> None:
    """Raise :class:`~linearnets.errors.DivergenceError` for a pass whose scores held NaN.

    Args:
        context: what is known of the pass (its batches' name, whether it trains, its model,
            batches and epoch).
        probe: called only where the step found says no more than the first batch does: what of
            that batch was not finite (``None``: no probe).
        outputs: the scores of each step of the group being folded, (B, q) each.
        row_max: the maximum of each of their rows, (ΣB,), to find which step gave NaN; ``None``:
            not known (the epoch's end, on a device), the pass then named as a whole.
        steps_before, examples_before: the steps and examples of the pass before the group.
        before: the scores of the step before the group, if still held.
    """
    # only now, on the failure path, are the group's rows looked at, or the model run
    at = None
    if row_max is not None:
        at = nan_step(
            outputs,
            row_max,
            context,
            steps_before=steps_before,
            examples_before=examples_before,
            before=before,
        )
    if at is not None and at.batch == 0 and probe is not None:
        at = None  # the probe looks at that very batch: its features, not only its scores
    if at is not None and at.tells:
        probe = None
    check_no_nan_scores(True, source=None if probe is None else probe(), at=at)
