"""Whether a run's finite loss has grown far past its start: the divergence guard's decision.

:class:`GrowthCheck` keeps the latest steps' losses and judges each finite step against the
starting loss (:mod:`linearnets.training.guard_window`) or the level a rare large loss's update
left (:mod:`linearnets.training.guard_rare`): the step's check is in
:mod:`linearnets.training.guard_step_growth`, the epoch end's in
:mod:`linearnets.training.guard_epoch_end`. :mod:`linearnets.training.guard` feeds it the steps
it read back, and :mod:`linearnets.training.guard_messages` words the error.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import torch

from linearnets.errors import DivergenceError
from linearnets.training.guard_epoch_end import EpochEndCheck
from linearnets.training.guard_floor import TargetSpread
from linearnets.training.guard_messages import Kept, grown, grown_past, reference_said
from linearnets.training.guard_rare import RareLevels
from linearnets.training.guard_step_growth import TYPICAL_QUANTILE, TYPICAL_STEPS, StepGrowth
from linearnets.training.guard_window import Pooled, ReferenceWindow

__all__ = [
    "TYPICAL_QUANTILE",
    "TYPICAL_STEPS",
    "GrowthCheck",
    "data_changed_at",
    "data_since",
    "resumed_state",
]


class GrowthCheck(StepGrowth, EpochEndCheck):
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
        self._window = ReferenceWindow(
            lr=lr, factor=factor, min_examples=min_examples, classes=not rare
        )
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
        # the lowest training loss after an epoch that passed, and that epoch: an epoch's loss
        # rising far past it is a blow-up (see EpochEndCheck._rose)
        self._best: tuple[float, int] | None = None

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
            if isinstance(reference, Pooled):  # pooled small steps: their mean, what it passed
                raise grown(
                    f"at {where}", reference.what, reference.loss, past=reference.past,
                    lr=self.lr, kept=kept,
                )  # fmt: skip
            if reference is not None:
                raise self._grown(f"at {where}", "batch loss", loss, reference, kept=kept)
            self._window.add(total, count, losses)
            return
        self._check_growth(where, loss, count, recent, losses, start=self.start_loss, kept=kept)

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

    def _said(self, reference: float) -> str:
        """Return what growth is measured from, ``reference`` (see :meth:`_grown`), in words."""
        return reference_said(
            reference,
            start_loss=self.start_loss,
            first_loss=self.first_loss,
            examples=self._window.count,
            zero=self.zero,
        )

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
            "best": None if self._best is None else list(self._best),
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
        best = state.get("best")  # None in a checkpoint from before it, or of no epoch yet
        self._best = None if best is None else (float(best[0]), int(best[1]))
        if self._spread is not None:  # a checkpoint from before the floor: the examples after
            self._spread.load_state_dict(state)


def resumed_state(
    state: dict[str, Any], *, new_data: bool, epochs: Iterable[tuple[int, float]] = ()
) -> dict[str, Any]:
    """Return the guard ``state`` a resume continues with: its ``"best"`` (the lowest training
    loss after an epoch, and that epoch: see :meth:`EpochEndCheck._rose`) dropped where the run
    goes on with ``new_data`` (a forced change of the data file's content, the noise, the number
    of examples or the seed of synthetic data): the new data's loss may sit far above the old
    data's lowest for good (linreg without noise ended at 2.1e-07, then at 48.9 with noise 10, the
    noise's level, and was stopped as blown up whatever the lr), so the first resumed epoch sets
    it. Where the state holds none (a checkpoint from before it) and the data are the same, it is
    the lowest of the run's ``epochs`` so far, ``(epoch, train_loss)`` pairs (the checkpoint's
    history): such a resume let linreg at lr 1.8 keep epoch 4's blown-up loss (357513 after
    0.000548). ``state`` itself is left as it was."""
    if new_data:
        return {**state, "best": None}
    if state.get("best") is not None:
        return state
    seen = [(float(loss), int(epoch)) for epoch, loss in epochs if math.isfinite(loss)]
    if not seen:
        return state
    # the earliest epoch of the lowest loss, as the check notes it (a later equal one is no lower)
    best = min(seen, key=lambda pair: (pair[0], pair[1]))
    return {**state, "best": [best[0], best[1]]}


def data_changed_at(
    resumes: Iterable[Mapping[str, Any]], *, epoch: int, keys: Collection[str]
) -> int:
    """Return the epoch after which a checkpoint of ``epoch`` epochs trained on the data it has
    now: the ``from_epoch`` of the latest of ``resumes`` (``config.json``'s record, oldest first,
    as :func:`~linearnets.tasks.resume_entries.check_entries` checked it) that forced one of
    ``keys`` (the task's data settings), or started the run over (``from_epoch`` 0), from an
    epoch up to ``epoch``; 0 where none did. A checkpoint from before the lowest epoch loss was
    kept takes it only from the epochs after it (:func:`resumed_state`'s ``epochs``): linreg
    without noise then forced onto noise 10 was stopped at 49.07, "more than 100× its lowest
    (2.125e-07, after epoch 3)", the old data's."""
    since = 0
    for entry in resumes:
        start = entry.get("from_epoch")
        if not isinstance(start, int) or start > epoch:
            continue
        if start == 0 or any(key in (entry.get("forced") or {}) for key in keys):
            since = start
    return since


def data_since(
    recorded: int | None,
    resumes: Iterable[Mapping[str, Any]],
    *,
    epoch: int,
    keys: Collection[str],
) -> int:
    """Return the epoch after which a checkpoint of ``epoch`` epochs trained on the data it has
    now: ``recorded``, the checkpoint's own ``extra["data_since"]`` (checked when it was read),
    where it holds one; else, for a checkpoint from before it, :func:`data_changed_at` of
    ``config.json``'s ``resumes`` and ``keys``. The checkpoint's is preferred: ``config.json``'s
    record may be lost (its ``"resumes"`` emptied, or the file rebuilt from the checkpoint), and
    the lowest epoch loss then came from the old data's epochs (linreg forced from noise 0 onto
    noise 10 was stopped at 49.07 against 2.125e-07, the old data's)."""
    if recorded is not None:
        return recorded
    return data_changed_at(resumes, epoch=epoch, keys=keys)
