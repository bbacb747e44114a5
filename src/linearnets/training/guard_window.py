"""The divergence guard's starting loss: the mean over the first ``min_examples`` examples.

While that window is still open (batches smaller than ``min_examples``), its later steps' updates
may already have blown up, which would set the start itself far too high and let the run train on
unstopped. So once the window's steps so far hold :data:`EARLY_EXAMPLES` (the first batch of 16 or
more: the untrained model's loss), a step of as many whose mean and median example both stand more
than ``factor`` × the mean so far has blown up (the median: rare large losses raise a few
examples, a blow-up most). Past :data:`~linearnets.training.guard_messages.FAR_LR` so has one whose
mean does where one update of the window made most examples' losses more than ``factor``-fold
smaller (a classifier blown up to be confidently right on most examples, ~0, and wrong on the
others; rare large losses leave the other examples' losses as they were). A loss reduced to one
number and a data-parallel step have no median example: for a classification loss they are
pooled (below); for another they wait for the window to close.

Steps smaller than :data:`EARLY_EXAMPLES` (batches of 1 to 15) are never judged so, and from the
second on every one of them came after an update: at lr 10³⁰ a cross-entropy's loss is ~10²⁹ from
step 2 on, bounded (its gradient is), so the window's mean held the blow-up and the run "trained"
on (``--batch-size 8 --lr 1e30`` on Fashion-MNIST: train loss 6·10³⁰, exit 0). So for a
classification loss (``classes``) the steps after the first are pooled till they hold
:data:`EARLY_EXAMPLES`, and a pool whose mean and median example both stand more than ``factor``
× the first step's mean (the untrained model's loss), or × :data:`CHANCE_LOSS` where higher, has
blown up; past ``FAR_LR`` so has one whose mean does while its median example fell more than
``factor``-fold below the first step's (confidently right on most examples, as above).

A first step of fewer than :data:`EARLY_EXAMPLES` whose loss is below half :data:`CHANCE_LOSS`
counts as ``factor`` × it: one example right by chance has a loss of ~0 while a model of large
initial weights has most at 100 nats or more, and such a first step once stopped healthy runs at
every lr. An untrained model's first step, at about ln K, keeps its own bound: raised for every
small first step, the bound let ``--batch-size 8 --lr 100`` on Fashion-MNIST end at a train loss
of 600, exit 0, and raised below ln 2 itself, two-class runs half the time.

A step of any size with no per-example losses (a loss reduced to one number, a data-parallel
step: an all-reduced sum and count) is judged so too, by its mean: such steps were never judged,
and under torchrun ``--batch-size 32 --lr 1e30`` on Fashion-MNIST trained to a loss of 3·10³⁰,
exit 0, where one process stopped at step 2. Not for other losses: one example's loss (batch 1)
may be ~0 by chance, a classifier's no less than :data:`CHANCE_LOSS` counts.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import torch

from linearnets.training.guard_messages import FAR_LR
from linearnets.training.guard_stats import median_example, per_example

__all__ = ["CHANCE_LOSS", "EARLY_EXAMPLES", "Pooled", "ReferenceWindow"]

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

# the least first-step loss a classification loss's pooled small steps are judged against: ln 2,
# a coin flip's loss between two classes (an untrained classifier's is about ln K over K classes,
# and one example of batch 1 may by chance be far below). Past factor (100) × it, 69 nats, the
# median example's predicted probability of its class is below e⁻⁶⁹: no classifier that learns
# gets there, and binary cross-entropy, clamped by torch at 100, still can.
CHANCE_LOSS = math.log(2)


class Pooled(NamedTuple):
    """Pooled steps inside the window that blew up: their mean ``loss``, ``what`` it is ("mean
    loss of the last 16 steps (16 examples)"), and what it grew ``past`` ("100× its starting
    value 2.3")."""

    loss: float
    what: str
    past: str


class ReferenceWindow:
    """The steps over the first ``min_examples`` examples, whose mean loss is the starting loss.

    Args:
        lr: the learning rate; past ``FAR_LR`` a window step whose losses split in two has blown up.
        factor: how many times the mean so far counts as blown up (> 1).
        min_examples: how many examples set the starting loss.
        classes: the loss is a classification loss: steps smaller than :data:`EARLY_EXAMPLES`
            are pooled and judged against the first step's loss.
    """

    def __init__(
        self, *, lr: float, factor: float, min_examples: int, classes: bool = False
    ) -> None:
        self.lr = lr
        self.factor = factor
        self.min_examples = min_examples
        self.classes = classes
        self.start_loss: float | None = None  # the reference: mean over the first min_examples
        self.sum = 0.0
        self.count = 0
        # the per-example losses of the reference window's steps so far (None: none), while it is
        # open, for their median examples (not saved: a checkpoint is taken at an epoch's end,
        # which closes the window)
        self._losses: list[torch.Tensor | None] = []
        # the first step's mean loss (the untrained model's), and the steps after it too small to
        # be judged alone, pooled while the window is open: (sum, count, the examples' losses or
        # the step's mean)
        self._first: float | None = None
        self._first_count = 0
        self._pool: list[tuple[float, int, torch.Tensor]] = []

    def add(self, total: float, count: int, losses: torch.Tensor | None) -> None:
        """Add a step's loss ``total`` over ``count`` examples (``losses``: its per-example
        losses, if any) to the open window, and close it once it holds ``min_examples``."""
        self._losses.append(losses if losses is not None and per_example(losses) else None)
        if self.count == 0 and count:
            self._first, self._first_count = total / count, count
        self.sum += total
        self.count += count
        if self.count >= self.min_examples:
            self.start_loss = self.sum / self.count
            self._losses, self._pool = [], []

    def close(self) -> bool:
        """Close the window at an epoch's end, if open and holding steps: on a dataset smaller
        than ``min_examples`` the epoch's examples set the starting loss. Return whether it
        closed now."""
        closed_now = self.start_loss is None and self.count > 0
        if closed_now:
            self.start_loss = self.sum / self.count
            self._losses, self._pool = [], []
        return closed_now

    def blown_up(
        self, loss: float, count: int, losses: torch.Tensor | None, *, floor: float = 0.0
    ) -> float | Pooled | None:
        """Return the mean of the window's steps so far if a step inside the open window has
        blown up, else None: its mean ``loss`` over ``count`` examples stands more than
        ``factor`` × that mean (or × ``floor``, the mean predictor's loss over the examples seen,
        where higher), once those and the step each hold :data:`EARLY_EXAMPLES`, and its
        median example (of ``losses``, read back only when the mean has passed the bound) does
        too, or, past ``FAR_LR``, one update of the window made most examples' losses more than
        ``factor``-fold smaller (see :meth:`_collapsed`); for a classification loss, where the
        steps after the first that cannot be judged so (too small, or with no per-example
        ``losses``), pooled, have blown up (a :class:`Pooled` stop is then returned: see
        :meth:`_pooled`)."""
        if (
            self.count < EARLY_EXAMPLES
            or count < EARLY_EXAMPLES
            or losses is None
            or not per_example(losses)
        ):
            return self._pooled(loss, count, losses, floor=floor)
        reference = self.sum / self.count
        bound = self.factor * max(reference, floor, 1e-12)
        if loss <= bound:
            return None
        median = median_example(losses)
        if median > bound or (self.lr > FAR_LR and self._collapsed(median)):
            return reference
        return None

    def _pooled(
        self, loss: float, count: int, losses: torch.Tensor | None, *, floor: float
    ) -> Pooled | None:
        """Pool the step's mean ``loss`` over ``count`` examples (a classification loss's step
        after the first) with its per-example ``losses`` where known, and return the stop if the
        pool, once it holds :data:`EARLY_EXAMPLES` examples, has blown up: its mean and its median
        (of the examples' losses, or of the steps' means where a step has none: a mean-reduced
        loss, a data-parallel step) both past ``factor`` × the first step's mean (or × ``floor``,
        or the least a first step counts as, :data:`CHANCE_LOSS`, ``factor`` × it for a first step
        of fewer than :data:`EARLY_EXAMPLES` below half it, where higher), or past ``FAR_LR`` its
        mean so and its median more than ``factor``-fold below the first step's median example (a
        classifier blown up to be confidently right on most examples: see :meth:`_collapsed`);
        else None. A judged pool is emptied: the next steps make the next."""
        if not self.classes or self._first is None:
            return None
        if losses is not None and per_example(losses):
            values = losses.detach().reshape(losses.shape[0], -1).sum(dim=1).double().cpu()
        else:
            values = torch.tensor([loss], dtype=torch.float64)
        self._pool.append((loss * count, count, values))
        examples = sum(n for _, n, _ in self._pool)
        if examples < EARLY_EXAMPLES:
            return None
        steps = len(self._pool)
        mean = sum(total for total, _, _ in self._pool) / examples
        median = float(torch.quantile(torch.cat([v for _, _, v in self._pool]), 0.5))
        self._pool = []
        first = self._first
        # a first step of few examples below half a coin flip's loss: right by chance, not the
        # untrained model's typical loss (a model of large initial weights may have most at 100+
        # nats); not below ln 2 itself: an untrained two-class model's is about ln 2, below it
        # half the time, and such runs at lr 100 trained on at 250 nats unstopped
        few = self._first_count < EARLY_EXAMPLES and first < CHANCE_LOSS / 2
        least = self.factor * CHANCE_LOSS if few else CHANCE_LOSS
        reference = max(first, floor, least)
        bound = self.factor * reference
        if mean <= bound:
            return None
        # past FAR_LR, a classifier blown up to be confidently right on most examples: the pool's
        # median example fell more than factor-fold below the first step's (see _collapsed)
        first_losses = self._losses[0] if self._losses else None
        collapsed = (
            self.lr > FAR_LR
            and first_losses is not None
            and median < median_example(first_losses) / self.factor
        )
        if not (median > bound or collapsed):
            return None
        what = (
            "batch loss"
            if steps == 1
            else f"mean loss of the last {steps} steps ({examples} examples)"
        )
        if reference == first:
            past = f"{self.factor:g}× its starting value {first:.4g}"  # as a judged step's
        else:  # the least a first step counts as (or a floor) is the reference
            n = self._first_count
            least_is = (
                f"{self.factor:g} × ln 2, the least a first step of {n} example"
                + ("s" if n > 1 else "")
                + " below ½ ln 2"
            )
            said = f"{least_is} counts as" if few else "ln 2, the least a first step counts as"
            past = f"{self.factor:g}× {reference:.4g} ({said}; its loss was {first:.4g})"
        return Pooled(loss=mean, what=what, past=past)

    def _collapsed(self, median: float) -> bool:
        """Whether one update of the open reference window made most examples' losses more than
        ``factor``-fold smaller: the median example of one of its steps (of the step being judged,
        ``median``, or of an earlier one; each of :data:`EARLY_EXAMPLES` or more, read back only
        now) fell that far below the step's before it."""
        medians = [
            median_example(l) if l is not None and l.shape[0] >= EARLY_EXAMPLES else None
            for l in self._losses
        ]
        medians.append(median)
        return any(
            before is not None and after is not None and after < before / self.factor
            for before, after in itertools.pairwise(medians)
        )

    # -- state, so a resumed run keeps the same reference ----------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return the starting loss and the window's sum and count (for checkpoints)."""
        return {"start_loss": self.start_loss, "sum": self.sum, "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (a guard's state holds it, with more keys)."""
        self.start_loss = state.get("start_loss")
        self.sum = float(state.get("sum", 0.0))
        self.count = int(state.get("count", 0))
