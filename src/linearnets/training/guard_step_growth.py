"""The divergence guard's check of one step's finite loss against the bound: the mean of the
latest steps and their typical loss (D2L §3.6.6).

:class:`StepGrowth` is a part of :class:`~linearnets.training.guard_growth.GrowthCheck`, which
holds the state it reads: the latest steps' losses and the rare-loss levels
(:mod:`linearnets.training.guard_rare`).
"""

from __future__ import annotations

import math
import statistics
from collections import deque

import torch

from linearnets.errors import DivergenceError
from linearnets.training.guard_messages import Kept
from linearnets.training.guard_rare import RARE_RATIO, RareLevels
from linearnets.training.guard_stats import per_example, typical_example

__all__ = ["TYPICAL_QUANTILE", "TYPICAL_STEPS", "GrowthMeasures", "StepGrowth"]

# the latest steps whose median is the typical step's loss: one or two steps holding a rare large
# loss are not typical, three of five in a row are (a blow-up is caught two steps later at most),
# unless each step's typical example tells (see TYPICAL_QUANTILE)
TYPICAL_STEPS = 5
# the quantile of a step's per-example losses that is its typical example's loss, where one or two
# steps hold min_examples, and what a step whose mean passed the bound counts as (if lower) in the
# median of the latest steps: a heavy tail raises a few examples' losses (one large target is 1 of
# the 16 to 64 examples of a batch; from 11 examples on one does not reach this quantile, from 21
# on two do not), a blow-up most. Counted by their means, 3 or 4 steps holding min_examples
# (batches of 16 to 31) had a median that a rare loss's step raised: the step after it, at the
# level that loss's update left (~3, against a start of ~10⁻⁴), or a second rare loss within 4
# steps, stopped healthy runs. Not the median, as a blown-up classifier's losses split in two (~0
# on the examples it gets right, huge on the others): with the median, softmax at lr 10⁶ on 80
# examples of random labels trained on unstopped (tests/tasks/test_resume.py), and at lr 10 on
# blobs (3 seeds) stopped 4 steps later in two, not in the third
TYPICAL_QUANTILE = 0.9


class GrowthMeasures:
    """What both halves of :class:`~linearnets.training.guard_growth.GrowthCheck` call on it (the
    reference a start gives, the bound past it, the error of a loss grown): declared once, defined
    there."""

    def _reference(self, start: float) -> float:
        raise NotImplementedError

    def _bound(self, reference: float) -> float:
        raise NotImplementedError

    def _grown(
        self, place: str, what: str, loss: float, reference: float, *, kept: Kept | None
    ) -> DivergenceError:
        raise NotImplementedError

    def _said(self, reference: float) -> str:
        raise NotImplementedError


class StepGrowth(GrowthMeasures):
    """The per-step half of :class:`~linearnets.training.guard_growth.GrowthCheck` (a mixin: the
    attributes below are set there)."""

    factor: float
    min_examples: int
    rare_losses: bool
    _levels: RareLevels
    _recent: deque[tuple[float, int]]
    _values: deque[float]
    _epoch_means: list[float]
    _heavy: float | None

    def _typical(self) -> float:
        """Return the median of what the latest steps in the recent window (up to
        :data:`TYPICAL_STEPS` of them) count as: each its mean, or the lower of that and its
        typical example's loss where the mean passed the bound. A batch of ``min_examples`` or more
        is its own."""
        return statistics.median(list(self._values)[-min(len(self._recent), TYPICAL_STEPS) :])

    def _check_growth(
        self,
        where: str,
        loss: float,
        count: int,
        recent: float,
        losses: torch.Tensor | None,
        *,
        start: float,
        kept: Kept | None,
    ) -> None:
        """Raise if the step's mean ``loss`` over ``count`` examples, at ``where``, has blown up
        past the starting loss ``start`` (or a rare loss's level): the mean ``recent`` of the
        latest steps and their typical loss both stand more than ``factor`` × it; else note the
        step for the rare-loss logic (:meth:`RareLevels.follow`). ``kept``: see :meth:`step`."""
        reference = self._reference(start)
        bound = self._bound(reference)
        rare = self._levels.rare
        # a rare loss's window, if it has one
        opens = self.rare_losses and rare is not None and loss < rare
        typical, own_example = self._typical_loss(loss, recent, losses, bound=bound, opens=opens)
        # Two rare large losses in consecutive steps (where one or two steps hold min_examples):
        # the first's update may move every example's loss past the bound for a while (two targets
        # of ±4300 among targets of ~4, batches of 32, nn.MSELoss at lr 0.1: the second's step's
        # typical example stood 4× past the bound), so that step, whose mean passed the bound on
        # its own large loss, counted as a blow-up and, unless lower than the first, stopped a
        # healthy run whose loss fell back within a few steps. Neither its mean (its own large
        # loss) nor its typical example (the first one's doing) says that the model blew up, so
        # it is no stop: it opens the first loss's window, as a lower step does, and growth is
        # measured from the level its typical example shows over the steps that follow. It holds
        # a large loss itself where its mean stands above its typical example (a blow-up raises
        # most examples' losses together, whose 90th percentile is about 2.7 × their mean where
        # they scatter like χ²₁) and below that first step's mean (no blow-up past the first loss).
        heavy, self._heavy = self._heavy, None
        if (
            not opens
            and own_example
            and heavy is not None
            and bound < loss
            and typical < min(loss, heavy)
        ):
            opens = True
        elif (
            self.rare_losses
            and not opens
            and losses is not None
            and len(self._recent) <= 2
            and per_example(losses)
            and loss > bound >= self._values[-1]  # what the step counts as: its typical example
        ):
            self._heavy = loss
        # a rare loss's window opens with this step: its typical example's loss is the level that
        # loss's update left
        if own_example and opens:
            reference = max(reference, typical)
            bound = self._bound(reference)
        # Where the typical loss is this step's typical example, its own mean must have passed the
        # bound too: the mean of the latest steps may hold the step before it, and a rare large
        # loss there (whose update raised this step's typical examples, not its mean) stopped
        # healthy runs (a target of 4200 among targets of ~4, batches of 40 at lr 0.1: "the loss
        # of the latest steps is 2.21e+05" at the step after it, whose own mean was 0.6 × the
        # bound). A blow-up raises each step's mean, the latest's most.
        if recent > bound and typical > bound and (loss > bound or not own_example):
            what = "batch loss" if count >= self.min_examples else "loss of the latest steps"
            raise self._grown(f"at {where}", what, recent, reference, kept=kept)
        self._levels.follow(
            loss,
            count,
            stands_out=self.rare_losses and loss > bound and loss > RARE_RATIO * typical,
            opens=opens,
            level=typical if own_example and opens else loss,
        )

    def _typical_loss(
        self,
        loss: float,
        recent: float,
        losses: torch.Tensor | None,
        *,
        bound: float,
        opens: bool,
    ) -> tuple[float, bool]:
        """Return the typical loss of the latest steps (``math.inf`` where neither the step's mean
        ``loss`` nor their mean ``recent`` passed ``bound``: not needed), and whether it is this
        step's typical example's; note what the step counts as in their median.

        A step whose mean passed the bound counts as the lower of its mean and its typical
        example's loss (of ``losses``, read back only here): a rare large loss raises its mean, a
        blow-up both. Where one or two steps hold ``min_examples`` (the median of their means is
        their mean) the typical is this step's typical example's loss (a blow-up raises most
        examples' losses, a heavy tail a few's), when needed or when the step ``opens`` a rare
        loss's window.
        """
        own = (
            typical_example(losses, quantile=TYPICAL_QUANTILE)
            if loss > bound and losses is not None and per_example(losses)
            else None
        )
        if own is not None:
            self._values[-1] = self._epoch_means[-1] = min(loss, own)
        typical = self._typical() if recent > bound or loss > bound else math.inf
        if losses is not None and len(self._recent) <= 2 and (recent > bound or opens):
            typical = own if own is not None else typical_example(losses, quantile=TYPICAL_QUANTILE)
            self._values[-1] = self._epoch_means[-1] = min(loss, typical)
            return typical, True
        return typical, False
