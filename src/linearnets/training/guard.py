"""Stop a run the moment it blows up, with a message saying where, how badly and what to try.

A NaN check is not enough: softmax cross-entropy from logits stays finite however large the weights grow,
so a run at lr = 1e4 "trains" on with losses of 1e5 and a useless model. The guard also stops a run whose
loss has grown ``factor`` times beyond its starting value. This module decides, from the numbers
:mod:`linearnets.training.guard_stats` reads from the losses;
:mod:`linearnets.training.guard_messages` words the error.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import deque
from typing import Any

import torch

from linearnets.errors import DivergenceError, UsageError
from linearnets.training.callbacks import Callback
from linearnets.training.distributed import DistContext
from linearnets.training.guard_messages import (
    FAR_LR,
    epoch_not_finite,
    grown,
    grown_past,
    not_finite,
    smaller_lr,
)
from linearnets.training.guard_stats import (
    median_example,
    per_example,
    step_sums,
    sum_and_count,
    typical_example,
)
from linearnets.training.history import EpochMetrics
from linearnets.validation import check_bool, check_positive_float, check_positive_int

__all__ = [
    "EARLY_EXAMPLES",
    "FAR_LR",
    "RARE_RATIO",
    "TYPICAL_QUANTILE",
    "TYPICAL_STEPS",
    "DivergenceGuard",
    "smaller_lr",
]

# the latest steps whose median is the typical step's loss: one or two steps holding a rare large
# loss are not typical, three of five in a row are (a blow-up is caught two steps later at most),
# unless each step's typical example tells (see TYPICAL_QUANTILE)
TYPICAL_STEPS = 5
# how far past the typical step a step's mean loss stands when it is a rare large loss: a target of
# 10³ among zeros stands 10⁵ to 10⁸ past it; in simulated blow-ups at batch 1 (each step one
# example's loss, scattered like χ²₁) a step stood 100× past it in 1 run in 10, 10⁴× in none of 600
RARE_RATIO = 1e4
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
# while the reference window is open (batches smaller than min_examples), how many examples the
# window's steps so far, and a later step, must hold for that step to be judged: by its mean and its
# median example, against the mean so far. With batches of 16 the first step, the untrained
# model's loss (every later one comes after an update), is that mean. One example's loss may be a
# hundredth of the others' (batch 1), while a mean over 16 losses scattered like χ²₁ falls 100×
# below its expectation with odds of 4·10⁻¹⁴ (10×: 2·10⁻⁶). The median is raised only where half
# a step's examples are, as a blow-up raises most: rare large losses (5 targets of 10³ in 1000)
# raise one or two, half of 16 with odds of 5·10⁻¹⁵ (at batch 1, 4 or 8 one or two are half a
# step, so such steps wait for the window to close); a group of examples of far larger loss
# (non-zero targets among zeros) is missing from the first 16 examples and makes up half of the
# next 16 with odds of 3·10⁻⁴ at worst (a group of 26% of the data). A classifier blown up to be
# right on most examples (losses split in two, see TYPICAL_QUANTILE) keeps a low median, but one
# update made it collapse, down to ~0 where the model is confidently right, while rare large losses
# leave the other examples' losses as they were. Left to the window's close, such a blow-up was
# never stopped, as the window's mean held it: 64 examples of 3 blobs at batch 16 and lr 10³⁰ set
# the start at 1.7·10²⁹ and "trained" on to a loss of 0 with weights of ~10³⁰ (10⁴ too, on other
# blobs: ~2000 every epoch against a start of 0.7). So past FAR_LR, where a linear model does not
# train (its bias alone makes a squared loss blow up past lr 2), a step whose mean passed the bound
# stops too where one update of the window made most examples' losses more than factor-fold
# smaller (a step's median example fell that far below the step's before it). Not at a rate a
# linear model trains at: there one update can do that, a Newton step on easy data (linear
# regression on one feature and exact targets at lr 0.5, nn.MSELoss), and a large target in the
# same window then stopped a healthy run.
EARLY_EXAMPLES = 16


class DivergenceGuard(Callback):
    """Raise :class:`DivergenceError` when the loss is non-finite or grows far past its start.

    The starting loss is the mean per-example loss over the first ``min_examples`` training examples
    (the first batch alone when it is that large: the loss of the untrained model; the whole first
    epoch, closed at its end, when the training set is smaller). From then on a
    mean loss above ``factor × start`` stops training; the mean is the batch's, or with batches smaller
    than ``min_examples`` that of the latest steps holding ``min_examples`` examples, so that one hard
    example in a batch of 1 does not count as a blow-up. Those steps' typical loss must have grown
    too: the median of the latest (up to :data:`TYPICAL_STEPS`) step means, and at an epoch's end
    the median of its step means, where a step whose mean passed the bound counts as the lower of
    its mean and its typical example's loss (the :data:`TYPICAL_QUANTILE` quantile of its
    per-example losses, read back only then: a healthy run pays nothing). Rare examples of very
    large loss (targets with a heavy tail) then raise the mean of the few steps holding them, not
    the typical step's, while a blow-up raises every step's, and most of its examples' losses. A
    healthy run's loss drops (linear regression's 10⁴-fold), so only growth is checked, never the
    size of a drop.

    Where one or two steps hold ``min_examples`` (batches of half as many or more, or an epoch's
    short last batch and the full one before it) the median of their means is their mean, so the
    typical loss is the latest step's typical example's instead, and the step's own mean must
    have passed the bound too (the latest steps' mean may hold the step before it, with a rare
    large loss whose update raised this step's typical example: no blow-up). A loss
    reduced to one number (``fit`` passes it once per example) has no typical example but its
    mean, nor has a data-parallel run, which sums only each step's (loss sum, count) over the
    processes: both are judged by the mean as before.

    A rare large loss's update may move the model a long way, for good: on targets that are 0 but
    for a few of 10³, the untrained model's loss is ~10⁻⁴ on the first ``min_examples`` and every
    step's is ~1 once one of 10³ has pulled the weights towards it (as the least-squares solution
    is). So a step whose own mean passed the bound and :data:`RARE_RATIO` × the typical step's
    (or example's), followed by a step of lower loss (a blow-up's next step is higher), opens a
    window like the start's: growth is then measured from the median step mean of the steps after
    it (so far, then over ``min_examples`` examples or up to the next rare loss) where that is
    higher than the start; a step of ``min_examples`` or more opens and closes the window alone,
    and counts as its typical example's loss (it may hold a rare loss too). Three of the latest
    five steps holding rare large losses are still typical where their typical example cannot
    tell (steps of 10 examples or fewer, or of fewer than 21 holding two). Two batches of 32 or
    more in a row holding them are not, the second higher or lower: where one or two steps hold
    ``min_examples``, a step whose mean passed the bound while its typical example did not,
    followed by one whose mean passed it too, standing above its own typical example (a blow-up's
    mean stays below it), and whose typical example stays below the first one's mean, opens the
    first one's window with that typical example (the level the first loss's update left).

    While the starting loss's window is still open (batches smaller than ``min_examples``), its
    later steps' updates may already have blown up, which would set the start itself far too high
    and let the run train on unstopped. So once the window's steps so far hold
    :data:`EARLY_EXAMPLES` (the first batch of 16 or more: the untrained model's loss), a step of
    as many whose mean and median example both stand more than ``factor`` × the mean so far stops
    training too (the median: rare large losses raise a few examples, a blow-up most). Past
    :data:`FAR_LR` so does one whose mean does where one update of the window made most
    examples' losses more than ``factor``-fold smaller (a classifier blown up to be confidently
    right on most examples, ~0, and wrong on the others; rare large losses leave the other
    examples' losses as they were). A loss
    reduced to one number and a data-parallel step have no median example: they wait for the
    window to close.

    A non-finite loss before any update (the untrained model's, at a fresh run's first step) stops
    training too, as no loss could be reported, but lr is not its cause: the message names the
    data's scale (values too large for the losses' dtype) or NaN; at a resume's first step it
    names the updates before the checkpoint. Data known to be finite (``data_checked``: the
    tasks' data, generated, verified or read from a file that refuses NaN and inf) are never named
    as holding NaN or inf.

    Use it as a callback of :func:`~linearnets.training.loop.fit` (it then knows the epoch, and checks
    the steps left at each epoch's end), or call it after each step (as ``fit``'s ``on_step``
    function, say). In a data-parallel run pass ``dist`` so every process takes the same decision.

    Args:
        lr: the learning rate, named in the message with a smaller one to try; past
            :data:`FAR_LR` a window step whose losses split in two stops training too.
        factor: how many times the starting loss counts as blown up (> 1).
        min_examples: how many examples set the starting loss.
        check_every: check the losses every this many steps. ``None``: every 32 on an accelerator,
            where each read waits for the device; on the CPU every 16 as a ``fit`` callback (a group
            costs about what one step's check does; per step it cost 34 µs here, 18% of a
            linear-regression scratch step), else every step. The step named in the message is
            exact either way; training may run up to ``check_every − 1`` steps past it, and as a
            callback never past the end of the epoch. Pass 1 to stop at the very step; call
            :meth:`flush` to check the steps left.
        dist: the data-parallel context, if any.
        data_checked: the training data are known to hold no NaN or inf (the tasks': generated,
            the verified Fashion-MNIST, or a ``data`` file, whose reader refuses them). A
            non-finite loss is then not told to check them for NaN or inf: after an update lr is
            named alone, before any the data's scale (the model's outputs overflowing).
            ``False`` (data passed to ``fit`` as they are): both are named.
    """

    def __init__(
        self,
        lr: float,
        *,
        factor: float = 100.0,
        min_examples: int = 64,
        check_every: int | None = None,
        dist: DistContext | None = None,
        data_checked: bool = False,
    ) -> None:
        self.lr = check_positive_float("lr", lr)
        self.factor = check_positive_float("factor", factor, fix="pass e.g. factor=100")
        if self.factor <= 1:
            raise UsageError(f"factor must be > 1, got {factor}; pass e.g. factor=100")
        self.min_examples = check_positive_int("min_examples", min_examples)
        self.check_every = (
            None if check_every is None else check_positive_int("check_every", check_every)
        )
        self.dist = dist
        self.data_checked = check_bool("data_checked", data_checked)
        self.epoch = 1
        self.start_loss: float | None = None  # the reference: mean over the first min_examples
        self.first_loss: float | None = None  # the first step's, i.e. the untrained model's
        self._sum = 0.0
        self._count = 0
        # the per-example losses of the reference window's steps so far (None: none), while it is
        # open, for their median examples (not saved: a checkpoint is taken at an epoch's end,
        # which closes the window)
        self._window: list[torch.Tensor | None] = []
        self._recent: deque[tuple[float, int]] = deque()
        self._recent_count = 0
        # what the latest steps count as in the typical step's median: each its mean, or the lower
        # of that and its typical example's loss where the mean passed the bound
        self._values: deque[float] = deque(maxlen=TYPICAL_STEPS)
        self._epoch_means: list[float] = []  # each step's mean loss in this epoch
        self._rare: float | None = None  # the latest step's mean, if it stood out (a rare loss?)
        # the latest step's mean, if it passed the bound while its own typical example did not,
        # where one or two steps hold min_examples (a rare large loss by its own examples)
        self._heavy: float | None = None
        self._after: list[tuple[float, int]] = []  # (mean, count) of the steps after a rare loss
        self._level: float | None = None  # the highest level a rare loss's update left (a median)
        self._pending: list[tuple[int, int, torch.Tensor]] = []  # (epoch, step, losses)
        self._epoch_ends = False  # whether on_epoch_end will check the steps left in an epoch
        self._dtype = torch.float32  # the losses' dtype, whose range a non-finite loss passed
        # A non-finite loss before any update is not the learning rate's doing: these say whether
        # the weights were trained before this guard (a saved state, or fit's start_epoch) and
        # whether it has let a step's update go ahead (a finite loss checked).
        self._resumed = False
        self._updated = False

    # -- hooks ---------------------------------------------------------------------------------
    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Note that ``fit`` will call :meth:`on_epoch_end`, so CPU steps may be checked in groups,
        and whether it resumes (``start_epoch`` > 0: the weights were trained before)."""
        self._epoch_ends = True
        self._resumed = self._resumed or start_epoch > 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        """Remember the epoch, for the message."""
        self.epoch = epoch
        self._epoch_means = []

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        """Check the step's per-example losses (the ``fit`` callback hook)."""
        self(step, losses)

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        """Check the steps not read back yet, then refuse an epoch whose loss is non-finite or has
        grown ``factor`` times past the start."""
        self.flush()
        for name, value in (("training", metrics.train_loss), ("test", metrics.test_loss)):
            if value is not None and not math.isfinite(value):
                raise epoch_not_finite(metrics.epoch, name, value, lr=self.lr)
        # On a dataset smaller than min_examples the reference window is still open after the
        # first epoch, so no step was checked: the mean over that epoch's examples (the whole
        # dataset) closes it. The first step alone would not do: at batch 1 it is one example,
        # whose loss may be a hundredth of the others' in a run that is fine.
        closed_now = self.start_loss is None and self._count > 0
        if closed_now:
            self.start_loss = self._sum / self._count
            self._window = []
        reference = None if self.start_loss is None else self._raised(self.start_loss)
        bound = self.factor * max(reference, 1e-12) if reference is not None else math.inf
        # the epoch's typical step too, where its steps were checked against a reference from
        # before them (a heavy tail raises the mean, not the typical step); a reference closed by
        # this epoch holds its steps, blown up or not, so the loss after it is all there is
        typical = math.inf
        if self._epoch_means and not closed_now:
            typical = statistics.median(self._epoch_means)
        self._epoch_means = []  # the next epoch's steps (fit also clears them at its start)
        if reference is not None and metrics.train_loss > bound and typical > bound:
            what = "training loss after the epoch"
            raise self._grown(f"in epoch {metrics.epoch}", what, metrics.train_loss, reference)

    def __call__(self, step: int, losses: torch.Tensor) -> None:
        """Check one step: ``step`` counts from 0 within the epoch, ``losses`` are per-example."""
        l = losses.detach() if losses.requires_grad else losses
        self._dtype = l.dtype
        if self.dist is not None and self.dist.enabled:
            # every process decides on the same numbers: this step's sum and count over all of them
            l = sum_and_count(l)
            self.dist.all_reduce_sum(l)
        # kept as they are (no op per step), like the training loop's metrics: a step's losses are a
        # new tensor, not overwritten by later steps
        self._pending.append((self.epoch, step, l))
        every = self.check_every or (
            32 if l.device.type != "cpu" else 16 if self._epoch_ends else 1
        )
        if len(self._pending) >= every:
            self.flush()

    def flush(self) -> None:
        """Check the pending steps, in order, with one read-back (one device sync)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        held = [l for _, _, l in pending]
        if self.dist is not None and self.dist.enabled:  # already (sum, count) per step
            values = torch.stack(held).tolist()
        else:
            sums = step_sums(held).tolist()
            values = [
                (total, l.shape[0] if l.ndim else 1) for total, l in zip(sums, held, strict=True)
            ]
        per_example = not (self.dist is not None and self.dist.enabled)
        for (epoch, step, l), (total, count) in zip(pending, values, strict=True):
            # a mean-reduced (0-d) loss, or a data-parallel step's (sum, count), has no example's
            self._check(epoch, step, total, int(count), l if per_example and l.ndim else None)

    def _check(
        self, epoch: int, step: int, total: float, count: int, losses: torch.Tensor | None = None
    ) -> None:
        """Check one step's loss ``total`` over ``count`` examples; ``losses``: its per-example
        losses, if any (read back only where needed: a mean past the bound, a rare loss's next)."""
        if count == 0:
            return
        loss = total / count
        where = f"epoch {epoch}, step {step + 1}"
        if not math.isfinite(loss):
            raise not_finite(
                where,
                loss,
                lr=self.lr,
                epoch=epoch,
                dtype=self._dtype,
                updated=self._updated,
                resumed=self._resumed,
                data_checked=self.data_checked,
            )
        self._updated = True  # the step's update goes ahead
        if self.first_loss is None:
            self.first_loss = loss
        self._epoch_means.append(loss)
        self._values.append(loss)
        recent = self._recent_mean(total, count)
        if self.start_loss is None:
            self._check_early(where, loss, count, losses)
            self._window.append(losses if losses is not None and per_example(losses) else None)
            self._sum += total
            self._count += count
            if self._count >= self.min_examples:
                self.start_loss = self._sum / self._count
                self._window = []
            return
        self._check_growth(where, loss, count, recent, losses, start=self.start_loss)

    def _check_growth(
        self,
        where: str,
        loss: float,
        count: int,
        recent: float,
        losses: torch.Tensor | None,
        *,
        start: float,
    ) -> None:
        """Raise if the step's mean ``loss`` over ``count`` examples, at ``where``, has blown up
        past the starting loss ``start`` (or a rare loss's level): the mean ``recent`` of the
        latest steps and their typical loss both stand more than ``factor`` × it; else note the
        step for the rare-loss logic (:meth:`_follow_rare`)."""
        reference = self._raised(start)
        bound = self.factor * max(reference, 1e-12)
        opens = self._rare is not None and loss < self._rare  # a rare loss's window, if it has one
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
            not opens
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
            bound = self.factor * max(reference, 1e-12)
        # Where the typical loss is this step's typical example, its own mean must have passed the
        # bound too: the mean of the latest steps may hold the step before it, and a rare large
        # loss there (whose update raised this step's typical examples, not its mean) stopped
        # healthy runs (a target of 4200 among targets of ~4, batches of 40 at lr 0.1: "the loss
        # of the latest steps is 2.21e+05" at the step after it, whose own mean was 0.6 × the
        # bound). A blow-up raises each step's mean, the latest's most.
        if recent > bound and typical > bound and (loss > bound or not own_example):
            what = "batch loss" if count >= self.min_examples else "loss of the latest steps"
            raise self._grown(f"at {where}", what, recent, reference)
        self._follow_rare(
            loss,
            count,
            stands_out=loss > bound and loss > RARE_RATIO * typical,
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

    def _check_early(
        self, where: str, loss: float, count: int, losses: torch.Tensor | None
    ) -> None:
        """Raise if a step inside the open reference window has blown up: its mean ``loss`` over
        ``count`` examples stands more than ``factor`` × the mean of the window's steps so far,
        once those and the step each hold :data:`EARLY_EXAMPLES`, and its median example (of
        ``losses``, read back only when the mean has passed the bound) does too, or, past
        :data:`FAR_LR`, one update of the window made most examples' losses more than
        ``factor``-fold smaller (see :meth:`_collapsed`)."""
        if (
            self._count < EARLY_EXAMPLES
            or count < EARLY_EXAMPLES
            or losses is None
            or not per_example(losses)
        ):
            return
        reference = self._sum / self._count
        bound = self.factor * max(reference, 1e-12)
        if loss <= bound:
            return
        median = median_example(losses)
        if median > bound or (self.lr > FAR_LR and self._collapsed(median)):
            raise self._grown(f"at {where}", "batch loss", loss, reference)

    def _collapsed(self, median: float) -> bool:
        """Whether one update of the open reference window made most examples' losses more than
        ``factor``-fold smaller: the median example of one of its steps (of the step being judged,
        ``median``, or of an earlier one; each of :data:`EARLY_EXAMPLES` or more, read back only
        now) fell that far below the step's before it."""
        medians = [
            median_example(l) if l is not None and l.shape[0] >= EARLY_EXAMPLES else None
            for l in self._window
        ]
        medians.append(median)
        return any(
            before is not None and after is not None and after < before / self.factor
            for before, after in itertools.pairwise(medians)
        )

    def _raised(self, start: float) -> float:
        """Return the loss that growth is measured from: the starting loss ``start``, or the level
        a rare large loss's update left where that is higher."""
        levels = [start]
        if self._level is not None:
            levels.append(self._level)
        if self._after:  # the steps after a rare loss so far: a level before their window closes
            levels.append(statistics.median(m for m, _ in self._after))
        return max(levels)

    def _follow_rare(
        self, loss: float, count: int, *, stands_out: bool, opens: bool, level: float
    ) -> None:
        """Note the step's mean ``loss`` over ``count`` examples after it was checked;
        ``stands_out``: that mean passed the bound and :data:`RARE_RATIO` × the typical step's;
        ``opens``: the step is lower than a rare loss just before it, so it opens that loss's window;
        ``level``: what the step counts as in a window (its mean; for a step with a typical
        example that opens one, that example's loss, as the step may hold a rare loss too).

        The step after one that stands out is lower for a rare large loss, higher in a blow-up.
        From a rare loss's next step on, the step means are kept until they hold
        ``min_examples`` examples, or until the next rare loss; their median is then a level kept
        for good (the highest such).
        """
        if opens:
            self._keep_level()  # the steps since the last rare loss, if any: its update's level
            self._after = [(level, count)]
        elif self._after and not stands_out:  # a rare loss's own step is no level
            self._after.append((level, count))
        if sum(c for _, c in self._after) >= self.min_examples:
            self._keep_level()
        # the first step after a rare loss may stand out from the steps before it: it is the
        # level its update left, not a rare loss
        self._rare = loss if stands_out and not opens else None

    def _keep_level(self) -> None:
        """Keep the median step mean of the steps after a rare loss as a level, if higher."""
        if self._after:
            level = statistics.median(m for m, _ in self._after)
            self._level = level if self._level is None else max(self._level, level)
            self._after = []

    def _grown(self, place: str, what: str, loss: float, reference: float) -> DivergenceError:
        """Return the error for the ``what``'s ``loss`` at ``place``, grown more than ``factor`` ×
        the starting value, or × the level ``reference`` a rare large loss left where higher."""
        past = grown_past(
            reference, factor=self.factor, start_loss=self.start_loss, first_loss=self.first_loss
        )
        return grown(place, what, loss, past=past, lr=self.lr)

    def _recent_mean(self, total: float, count: int) -> float:
        """Return the mean loss of the latest steps that hold at least ``min_examples`` examples.

        With small batches one hard example can weigh 100× the mean: averaging over a few steps keeps
        the check about the model, not about one example.
        """
        self._recent.append((total, count))
        self._recent_count += count
        while self._recent_count - self._recent[0][1] >= self.min_examples:
            self._recent_count -= self._recent.popleft()[1]
        return sum(t for t, _ in self._recent) / self._recent_count

    def _typical(self) -> float:
        """Return the median of what the latest steps in the recent window (up to
        :data:`TYPICAL_STEPS` of them) count as: each its mean, or the lower of that and its
        typical example's loss where the mean passed the bound. A batch of ``min_examples`` or more
        is its own."""
        return statistics.median(list(self._values)[-min(len(self._recent), TYPICAL_STEPS) :])

    # -- state, so a resumed run keeps the same reference ----------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return the starting loss and the latest steps' losses (for checkpoints)."""
        self.flush()
        return {
            "start_loss": self.start_loss,
            "first_loss": self.first_loss,
            "sum": self._sum,
            "count": self._count,
            "recent": [[t, c] for t, c in self._recent],
            "rare": self._rare,
            "values": list(self._values),
            "after": [[m, c] for m, c in self._after],
            "level": self._level,
            "heavy": self._heavy,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (a resume: the weights were trained before)."""
        self._resumed = True
        self.start_loss = state.get("start_loss")
        self.first_loss = state.get("first_loss")
        self._sum = float(state.get("sum", 0.0))
        self._count = int(state.get("count", 0))
        self._recent = deque((float(t), int(c)) for t, c in state.get("recent", []))
        self._recent_count = sum(c for _, c in self._recent)
        self._rare = state.get("rare")
        # a checkpoint from before "values": the latest steps' means
        values = state.get("values", [t / c for t, c in self._recent if c])
        self._values = deque((float(v) for v in values), maxlen=TYPICAL_STEPS)
        self._after = [(float(m), int(c)) for m, c in state.get("after", [])]
        self._level = state.get("level")
        self._heavy = state.get("heavy")
