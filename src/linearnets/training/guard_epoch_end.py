"""The divergence guard's check at an epoch's end: its training loss, and the losses measured
after its last update, against the bound the steps use (D2L §3.6.6).

:class:`EpochEndCheck` is a part of :class:`~linearnets.training.guard_growth.GrowthCheck`, which
holds the state it reads: the starting loss's window, the epoch's step means and the first step
kept (:class:`~linearnets.training.guard_messages.Kept`).
"""

from __future__ import annotations

import math
import statistics
from collections import deque

import torch

from linearnets.training.guard_floor import TargetSpread
from linearnets.training.guard_messages import Kept, grown, rose_past
from linearnets.training.guard_stats import typical_example
from linearnets.training.guard_step_growth import (
    TYPICAL_QUANTILE,
    TYPICAL_STEPS,
    GrowthMeasures,
)
from linearnets.training.guard_window import ReferenceWindow

__all__ = ["EpochEndCheck"]


class EpochEndCheck(GrowthMeasures):
    """The end-of-epoch half of :class:`~linearnets.training.guard_growth.GrowthCheck` (a mixin:
    the attributes below are set there)."""

    lr: float
    factor: float
    rare_losses: bool
    _best: tuple[float, int] | None
    _window: ReferenceWindow
    _spread: TargetSpread | None
    _epoch_means: list[float]
    _epoch_sum: tuple[float, int]
    _kept: tuple[Kept, float] | None
    _recent: deque[tuple[float, int]]
    _recent_count: int
    _values: deque[float]

    @property
    def start_loss(self) -> float | None:
        raise NotImplementedError

    @property
    def zero(self) -> float:
        raise NotImplementedError

    def end_epoch(
        self,
        epoch: int,
        train_loss: float,
        *,
        last: tuple[float, int, torch.Tensor | None] | None = None,
    ) -> None:
        """Refuse epoch ``epoch`` if its finite training loss ``train_loss`` has grown ``factor``
        times past the start, and its typical step too, by √``factor`` at least; or if a loss
        measured after its last update, which no step's loss shows, has: a ``train_loss`` that is
        not the mean of its steps' losses (linreg's), where that alone tells a blow-up
        (:meth:`_measured_after`), or ``last``, the loss of its last examples (at least
        ``min_examples``) after that update (sum, count, per-example losses or None), judged as a
        step's (:meth:`_last_batch_grown`)."""
        # On a dataset smaller than min_examples the reference window is still open after the
        # first epoch, so no step was checked: the mean over that epoch's examples (the whole
        # dataset) closes it. The first step alone would not do: at batch 1 it is one example,
        # whose loss may be a hundredth of the others' in a run that is fine.
        closed_now = self._window.close()
        reference = None if self.start_loss is None else self._reference(self.start_loss)
        bound = self._bound(reference) if reference is not None else math.inf
        # the epoch's typical step too, where its steps were checked against a reference from
        # before them (a heavy tail raises the mean, not the typical step); a reference closed by
        # this epoch holds its steps, blown up or not, so the loss after it is all there is. Grown
        # √factor-fold (10× at 100) is enough: a heavy tail leaves the typical step near the
        # reference (the level a rare loss left, or the start), while a blow-up raises it more
        # slowly than the loss after the epoch (linreg's, measured after the epoch's updates: on
        # features of ~10 at lr 0.03 the steps, measured before each update, oscillating at 618,
        # 268 and 1420, against a start of 20.7, let a loss of 7857, 380×, end the run silently)
        typical = math.inf
        if self._epoch_means and not closed_now:
            typical = statistics.median(self._epoch_means)
        kept = self._only_step_kept(train_loss)
        after = self._measured_after(train_loss)
        self._epoch_means, self._kept = [], None  # the next epoch's (fit also clears them)
        self._epoch_sum = (0.0, 0)
        if reference is None:
            return
        grown = math.sqrt(self.factor) * max(reference, self.zero, 1e-12)
        place = f"in epoch {epoch}"
        if train_loss > bound and typical > grown:
            what = "training loss after the epoch"
            raise self._grown(place, what, train_loss, reference, kept=kept)
        if after is not None and after > bound:
            what = "training loss after the epoch"
            raise self._grown(place, what, after, reference, kept=None)
        loss = self._last_batch_grown(last, bound)
        if loss is not None:
            what = "loss of its last examples after the epoch's last update"
            raise self._grown(place, what, loss, reference, kept=None)
        # measured after the epoch, and telling a blow-up alone; else its typical step, or its
        # last examples after its last update (a blow-up in the epoch's last steps), must tell
        alone = after is not None
        self._rose(place, train_loss, reference, epoch=epoch, typical=typical, alone=alone,
                   last=last, kept=kept)  # fmt: skip

    def _rose(
        self,
        place: str,
        train_loss: float,
        reference: float,
        *,
        epoch: int,
        typical: float,
        alone: bool,
        last: tuple[float, int, torch.Tensor | None] | None,
        kept: Kept | None,
    ) -> None:
        """Refuse epoch ``epoch`` if its ``train_loss`` rose ``factor`` times past the lowest
        after an earlier epoch, and past ``reference`` (the start, or what replaced it, as the
        bound's), where higher; unless that loss tells a blow-up ``alone`` (see
        :meth:`_measured_after`), its ``typical`` step must have passed that limit's
        √``factor``-th too, as :meth:`end_epoch` asks of a loss past the bound (a heavy tail
        raises the mean, not the typical step), or its ``last`` examples after its last update
        passed the limit, judged as a step (:meth:`_last_batch_grown`): at lr 1.8 epoch 4's
        typical step was 0.45, its last examples' loss 4.8e5, as it blew up in its last steps.
        Else note the loss where lowest. ``kept``: see :meth:`end_epoch`.

        The bound, ``factor`` × the start, let a run that had fallen and blown up again keep its
        blown-up epoch: linreg at lr 1.8 (start 1.296e4, the mean of its first 70 examples, while
        its first steps grew) ended epochs at 2.28, 0.000548, 0.0016 and 357513, whose checkpoint
        a stop in epoch 5 kept as the last good one. The start counts as the lowest's floor: a
        run whose loss has fallen factor-fold below it has learnt, and float rounding around a
        loss of 1e-13 (targets without noise) makes jumps of 100× that are no blow-up."""
        best = self._best
        if best is None or train_loss < best[0]:
            self._best = (train_loss, epoch)
            return
        limit = max(self.factor * best[0], reference, self.zero)
        told = alone or typical > limit / math.sqrt(self.factor)
        if train_loss > limit and (told or self._last_batch_grown(last, limit) is not None):
            past = rose_past(*best, factor=self.factor, reference=self._said(reference))
            what = "training loss after the epoch"
            raise grown(place, what, train_loss, past=past, lr=self.lr, kept=kept)

    def _measured_after(self, train_loss: float) -> float | None:
        """Return the epoch's ``train_loss`` where it was measured after its last update (not the
        mean of its steps' losses: linreg's, over the training set) and alone stops it past the
        bound: where the loss is a classification one, or a squared error with its floor, or the
        epoch had one step (whose loss, before its update, cannot show that update's blow-up).
        A classification loss past ``factor`` × its start (its scores grown huge), or a squared
        error past ``factor`` × the loss of predicting the targets' mean, is a blow-up by itself;
        else a heavy tail might raise it, and the typical step must tell."""
        alone = not self.rare_losses or self._spread is not None or len(self._epoch_means) == 1
        total, count = self._epoch_sum
        steps_mean = count > 0 and math.isclose(train_loss, total / count, rel_tol=1e-5)
        return train_loss if alone and not steps_mean else None

    def _last_batch_grown(
        self, last: tuple[float, int, torch.Tensor | None] | None, bound: float
    ) -> float | None:
        """Return the mean loss of the epoch's last examples after its last update where it has
        blown up past ``bound``, judged as a step of them would be: their mean, and their typical
        example (where their per-example losses are at hand; else the latest steps' median with
        that mean in the last one's place), past the bound too; else ``None``.

        The last update of an epoch is seen by no step's loss: where one batch holds the training
        set no update is, and a 64-example file at lr 1e30 ended exit 0 with weights of ~1e29
        saved. Re-scoring the last batch alone missed it where that batch is short: 257 examples
        at batch 256 left one example, fitted by the huge update (loss ~0) while the other 256
        blew up (weights ~1e28 saved); so the loop re-scores the last batches holding at least
        ``min_examples`` (or the whole training set, if smaller). The test loss once judged it,
        and stopped healthy runs on a test set's heavy tail (one mislabelled test example of two
        blobs at lr 2: 112.6, 147× the start, with a training loss of 0.0); the last examples are
        training data, judged as the steps are. ``last``: their (sum, count, per-example losses
        or None), see :meth:`~linearnets.training.guard.DivergenceGuard.after_last_update`."""
        if last is None or last[1] == 0:
            return None
        total, count, losses = last
        mean = total / count
        if not mean > bound:
            return None
        if losses is not None:
            typical = typical_example(losses, quantile=TYPICAL_QUANTILE)
        elif len(self._recent) <= 2:
            typical = mean
        else:
            values = list(self._values)[-min(len(self._recent), TYPICAL_STEPS) :]
            values[-1] = mean
            typical = statistics.median(values)
        return mean if typical > bound else None

    def _only_step_kept(self, train_loss: float) -> Kept | None:
        """Return the epoch's :class:`Kept` where its ``train_loss`` is its only step's mean, a
        step before any update of the epoch (softmax's loss, the mean over its steps, on data of
        one batch): that loss is any lr's. Not a loss measured after the epoch (linreg's)."""
        if self._kept is None or len(self._epoch_means) != 1:
            return None
        kept, loss = self._kept
        same = math.isclose(train_loss, loss, rel_tol=1e-5)
        return kept._replace(only_step=True) if same else None
