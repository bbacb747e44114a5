"""Whether a run's finite loss has grown far past its start: the divergence guard's decision.

:class:`GrowthCheck` keeps the latest steps' losses and judges each finite step against the
starting loss (:mod:`linearnets.training.guard_window`) or the level a rare large loss's update
left (:mod:`linearnets.training.guard_rare`); :mod:`linearnets.training.guard` feeds it the steps
it read back, and :mod:`linearnets.training.guard_messages` words the error.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from typing import Any

import torch

from linearnets.errors import DivergenceError
from linearnets.training.guard_floor import TargetSpread
from linearnets.training.guard_messages import Kept, grown, grown_past
from linearnets.training.guard_rare import RARE_RATIO, RareLevels
from linearnets.training.guard_stats import per_example, typical_example
from linearnets.training.guard_window import ReferenceWindow

__all__ = ["TYPICAL_QUANTILE", "TYPICAL_STEPS", "GrowthCheck"]

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


class GrowthCheck:
    """Raise :class:`DivergenceError` when a finite step's or epoch's loss has grown far past the
    start (see :class:`~linearnets.training.guard.DivergenceGuard` for the rule).

    Where one or two steps hold ``min_examples`` (batches of half as many or more, or an epoch's
    short last batch and the full one before it) the median of their means is their mean, so the
    typical loss is the latest step's typical example's instead, and the step's own mean must
    have passed the bound too (the latest steps' mean may hold the step before it, with a rare
    large loss whose update raised this step's typical example: no blow-up). A loss
    reduced to one number (``fit`` passes it once per example) has no typical example but its
    mean, nor has a data-parallel run, which sums only each step's (loss sum, count) over the
    processes: both are judged by the mean as before.

    A step of ``min_examples`` or more opens and closes a rare loss's window alone, and counts as
    its typical example's loss (it may hold a rare loss too). Three of the latest five steps
    holding rare large losses are still typical where their typical example cannot tell (steps of
    10 examples or fewer, or of fewer than 21 holding two). Two batches of 32 or more in a row
    holding them are not, the second higher or lower: where one or two steps hold
    ``min_examples``, a step whose mean passed the bound while its typical example did not,
    followed by one whose mean passed it too, standing above its own typical example (a blow-up's
    mean stays below it), and whose typical example stays below the first one's mean, opens the
    first one's window with that typical example (the level the first loss's update left).

    Args:
        lr: the learning rate, named in the message.
        factor: how many times the starting loss counts as blown up (> 1).
        min_examples: how many examples set the starting loss.
        spread: the targets' spread, a squared-error loss's floor (see
            :mod:`~linearnets.training.guard_floor`).
        rare: whether the loss may hold rare large losses whose update leaves a level
            (:func:`~linearnets.training.guard_rare.rare_losses`): ``False`` for a classification
            loss, whose growth is always measured from the start.
    """

    def __init__(
        self,
        *,
        lr: float,
        factor: float,
        min_examples: int,
        spread: TargetSpread | None = None,
        rare: bool = True,
    ) -> None:
        self.lr = lr
        self.factor = factor
        self.min_examples = min_examples
        self.rare_losses = rare
        self.first_loss: float | None = None  # the first step's, i.e. the untrained model's
        # the targets' spread over the examples seen (a squared-error loss's, shown the
        # targets), whose mean predictor's loss is the floor of every reference
        # (see linearnets.training.guard_floor)
        self._spread = spread
        self._window = ReferenceWindow(lr=lr, factor=factor, min_examples=min_examples)
        self._levels = RareLevels(min_examples=min_examples)
        self._recent: deque[tuple[float, int]] = deque()
        self._recent_count = 0
        # what the latest steps count as in the typical step's median: each its mean, or the lower
        # of that and its typical example's loss where the mean passed the bound
        self._values: deque[float] = deque(maxlen=TYPICAL_STEPS)
        self._epoch_means: list[float] = []  # each step's mean loss in this epoch
        self._epoch_sum = (0.0, 0)  # the sum of this epoch's steps' losses, and their examples
        # the latest step's mean, if it passed the bound while its own typical example did not,
        # where one or two steps hold min_examples (a rare large loss by its own examples)
        self._heavy: float | None = None
        # this epoch's first step, where no update of it went before (Kept), and its mean
        self._kept: tuple[Kept, float] | None = None

    @property
    def zero(self) -> float:
        """The loss of predicting the targets' mean, per example, over the examples seen so far
        (0: none known)."""
        return self._spread.floor if self._spread is not None else 0.0

    @property
    def start_loss(self) -> float | None:
        """The starting loss: the mean over the first ``min_examples`` (None while still open)."""
        return self._window.start_loss

    def bound(self) -> float | None:
        """Return the mean loss past which a step counts as grown: ``factor`` × the starting loss
        (or the level a rare large loss left, or the mean predictor's loss over the examples
        seen, where higher), × the mean of the window's steps so far while it is open; ``None``
        before any step."""
        if self.start_loss is not None:
            reference = self._reference(self.start_loss)
        elif self._window.count:
            reference = self._window.sum / self._window.count
        else:
            return None
        return self._bound(reference)

    def _reference(self, start: float) -> float:
        """Return the loss growth is measured from: the starting loss ``start``, or the level a
        rare large loss left where higher (not for a classification loss, see
        :attr:`rare_losses`: a checkpoint's level from before that rule is ignored too)."""
        return self._levels.raised(start) if self.rare_losses else start

    def _bound(self, reference: float) -> float:
        """Return ``factor`` × ``reference``, or × the mean predictor's loss over the examples
        seen where higher (a squared-error loss's floor: a model that is not diverging stays
        within a modest factor of predicting the targets' mean)."""
        return self.factor * max(reference, self.zero, 1e-12)

    def start_epoch(self) -> None:
        """Forget the step means of the epoch before."""
        self._epoch_means = []
        self._epoch_sum = (0.0, 0)
        self._kept = None

    def step(
        self,
        where: str,
        total: float,
        count: int,
        losses: torch.Tensor | None,
        *,
        kept: Kept | None = None,
        targets: tuple[int, list[float], list[float]] | None = None,
    ) -> None:
        """Check one step's finite loss ``total`` over ``count`` examples, at ``where``;
        ``losses``: its per-example losses, if any (read back only where needed: a mean past the
        bound, a rare loss's next); ``kept``: the step came before any update of its epoch, on
        the weights the last checkpoint holds (its loss, and so this decision, is any lr's);
        ``targets``: its batch's targets' count, column means and centred sums of squares, where
        known (a squared-error loss: see :mod:`~linearnets.training.guard_floor`)."""
        if targets is not None and self._spread is not None:
            self._spread.add(*targets)
        loss = total / count
        if kept is not None:
            self._kept = (kept, loss)
        if self.first_loss is None:
            self.first_loss = loss
        self._epoch_means.append(loss)
        self._epoch_sum = (self._epoch_sum[0] + total, self._epoch_sum[1] + count)
        self._values.append(loss)
        recent = self._recent_mean(total, count)
        if self.start_loss is None:
            reference = self._window.blown_up(loss, count, losses, floor=self.zero)
            if reference is not None:
                raise self._grown(f"at {where}", "batch loss", loss, reference, kept=kept)
            self._window.add(total, count, losses)
            return
        self._check_growth(where, loss, count, recent, losses, start=self.start_loss, kept=kept)

    def end_epoch(self, epoch: int, train_loss: float, test_loss: float | None = None) -> None:
        """Refuse epoch ``epoch`` if its finite training loss ``train_loss`` has grown ``factor``
        times past the start, and its typical step too, by √``factor`` at least; or if a loss
        measured after its last update, which no step's loss shows (``test_loss``, and a
        ``train_loss`` that is not the mean of its steps' losses: linreg's), has grown
        ``factor`` times past it, where that alone tells a blow-up (:meth:`_measured_after`)."""
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
        after = self._measured_after(train_loss, test_loss)
        self._epoch_means, self._kept = [], None  # the next epoch's (fit also clears them)
        self._epoch_sum = (0.0, 0)
        grown = (
            math.sqrt(self.factor) * max(reference, self.zero, 1e-12)
            if reference is not None
            else 0.0
        )
        if reference is not None and train_loss > bound and typical > grown:
            what = "training loss after the epoch"
            raise self._grown(f"in epoch {epoch}", what, train_loss, reference, kept=kept)
        for what, value in after:
            if reference is not None and value > bound:
                raise self._grown(f"in epoch {epoch}", what, value, reference, kept=None)

    def _measured_after(
        self, train_loss: float, test_loss: float | None
    ) -> list[tuple[str, float]]:
        """Return the epoch's losses measured after its last update that alone stop it past the
        bound: where the loss is a classification one, or a squared error with its floor, or the
        epoch had one step (whose loss, before its update, cannot show that update's blow-up).

        The last update of an epoch is seen by no step's loss: where one batch holds the training
        set, no update is, and a 64-example file at lr 1e30 and batch 256 ended with a test loss
        of 1e29, exit 0. A classification loss past ``factor`` × its start (its scores grown
        huge), or a squared error past ``factor`` × the loss of predicting the targets' mean, is
        a blow-up by itself; else (the loss not known) a test set's heavy tail might raise it,
        and the typical step must tell, as for the training loss.
        """
        alone = not self.rare_losses or self._spread is not None or len(self._epoch_means) == 1
        if not alone:
            return []
        total, count = self._epoch_sum
        steps_mean = count > 0 and math.isclose(train_loss, total / count, rel_tol=1e-5)
        after = [] if steps_mean else [("training loss after the epoch", train_loss)]
        if test_loss is not None:
            after.append(("test loss after the epoch", test_loss))
        return after

    def _only_step_kept(self, train_loss: float) -> Kept | None:
        """Return the epoch's :class:`Kept` where its ``train_loss`` is its only step's mean, a
        step before any update of the epoch (softmax's loss, the mean over its steps, on data of
        one batch): that loss is any lr's. Not a loss measured after the epoch (linreg's)."""
        if self._kept is None or len(self._epoch_means) != 1:
            return None
        kept, loss = self._kept
        same = math.isclose(train_loss, loss, rel_tol=1e-5)
        return kept._replace(only_step=True) if same else None

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

    def _grown(
        self, place: str, what: str, loss: float, reference: float, *, kept: Kept | None
    ) -> DivergenceError:
        """Return the error for the ``what``'s ``loss`` at ``place``, grown more than ``factor`` ×
        the starting value, or × the level ``reference`` a rare large loss left, or the mean
        predictor's loss over the examples seen, where higher; ``kept``: on weights no update of
        the epoch touched (:class:`Kept`)."""
        past = grown_past(
            reference,
            factor=self.factor,
            start_loss=self.start_loss,
            first_loss=self.first_loss,
            examples=self._window.count,
            zero=self.zero,
        )
        return grown(place, what, loss, past=past, lr=self.lr, kept=kept)

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
        window, levels = self._window.state_dict(), self._levels.state_dict()
        return {
            "start_loss": window["start_loss"],
            "first_loss": self.first_loss,
            "sum": window["sum"],
            "count": window["count"],
            "recent": [[t, c] for t, c in self._recent],
            "rare": levels["rare"],
            "values": list(self._values),
            "after": levels["after"],
            "level": levels["level"],
            "heavy": self._heavy,
            **(self._spread.state_dict() if self._spread is not None else {}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self._window.load_state_dict(state)
        self.first_loss = state.get("first_loss")
        self._recent = deque((float(t), int(c)) for t, c in state.get("recent", []))
        self._recent_count = sum(c for _, c in self._recent)
        self._levels.load_state_dict(state)
        # a checkpoint from before "values": the latest steps' means
        values = state.get("values", [t / c for t, c in self._recent if c])
        self._values = deque((float(v) for v in values), maxlen=TYPICAL_STEPS)
        self._heavy = state.get("heavy")
        if self._spread is not None:  # a checkpoint from before the floor: the examples after
            self._spread.load_state_dict(state)
