"""Class probabilities (soft targets) that made a training loss NaN, named at their batch and
examples (D2L §3.4, §3.6).

A classifier trained on float targets ``y`` (B, q) of its scores' shape, class probabilities
``nn.CrossEntropyLoss`` takes as they are (or a binary cross-entropy's, one per output), reports
no accuracy, so the epoch's totals never look at its scores: a NaN in one target row made that
example's loss NaN, the update the weights NaN, and the NaN scores a later pass found (a
``test_iter``'s) were blamed on the weights and the lr. :class:`TargetsWatch` finds that row
instead, for torch's losses known to take probabilities only: another loss's (B, q) float
targets may be a regression's, which trains on through a NaN. Like the totals, it reads nothing
back per step: each step's targets and losses are held, and checked in groups with one read-back
(on a CPU), or once at the epoch's end (on a device, as the totals read theirs); only a loss that
is not finite makes it look at the targets. The first step whose loss is not finite decides: its
targets hold NaN or inf, and the error names them; or they are finite, and the watch says nothing
more. The features, an overflow in the model or an lr too large made that loss so, and no check
of an unguarded ``fit`` names it: it trains on, its loss NaN, as a regression does, unless a
``DivergenceGuard`` is among its callbacks (as the command and ``run_softmax`` put one) or a later
pass over ``test_iter`` finds NaN scores (which names the weights, NaN by then). A check of the
features there would cost a read-back of each batch; none is made.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import DivergenceError
from linearnets.nan_places import clean_or_drop, examples_at
from linearnets.training.loss_diagnosis import BINARY_LOSSES, computes_as
from linearnets.training.model_tensors import batch_order
from linearnets.training.totals import Loss

__all__ = ["TargetsWatch", "takes_probabilities", "watch_targets"]


class _Group(NamedTuple):
    """A group of steps looked at together: per step, its examples and whether its loss is per
    example; over their rows, (ΣB,) each, whether the loss and the targets are not finite."""

    sizes: list[int]
    per_example: list[bool]
    loss_rows: torch.Tensor
    target_rows: torch.Tensor


# torch's losses known to take probabilities as targets: a class's (cross-entropy), or an
# output's (a binary cross-entropy; BCELoss itself refuses a NaN target)
_PROBABILITY_LOSSES = (nn.CrossEntropyLoss, *BINARY_LOSSES)
_PROBABILITY_FUNCTIONS = (
    F.cross_entropy,
    F.binary_cross_entropy,
    F.binary_cross_entropy_with_logits,
)


def watch_targets(
    y_hat: torch.Tensor,
    y: torch.Tensor,
    loss: Loss,
    *,
    name: str,
    epoch: int | None,
    batches: object,
) -> TargetsWatch | None:
    """Return a :class:`TargetsWatch` for a training pass whose first step took class
    probabilities: float targets ``y`` of the scores ``y_hat``'s shape (B, q), q > 1, given to
    a loss known to take probabilities (see :func:`takes_probabilities`); else ``None``. Any
    other loss's (B, q) float targets may be a regression's, which trains on through a NaN, as
    the book's loop does: ``F.mse_loss``, linearnets' ``squared_loss``, a function of the
    user's, whatever it calls."""
    soft = y.is_floating_point() and y.ndim == 2 and y.shape[1] > 1
    if not soft or y.shape != y_hat.shape or not takes_probabilities(loss):
        return None
    return TargetsWatch(name=name, epoch=epoch, batches=batches)


def takes_probabilities(loss: Loss) -> bool:
    """Return whether ``loss`` is known to take probabilities as its float targets:
    ``nn.CrossEntropyLoss`` (class probabilities), ``nn.BCEWithLogitsLoss`` and ``nn.BCELoss``
    (one per output), each computing as torch's does (see
    :func:`~linearnets.training.loss_diagnosis.computes_as`); ``F.cross_entropy``,
    ``F.binary_cross_entropy_with_logits`` and ``F.binary_cross_entropy`` themselves, or a
    ``functools.partial`` of one that fixes only keywords (``reduction="none"``). A lambda or
    function of the user's is not known to, whatever it calls (linearnets' cross-entropies take
    class indices only)."""
    if computes_as(loss, _PROBABILITY_LOSSES):
        return True
    if isinstance(loss, functools.partial) and not loss.args:
        loss = loss.func
    return any(loss is f for f in _PROBABILITY_FUNCTIONS)


class TargetsWatch:
    """Raise :class:`~linearnets.errors.DivergenceError` where a training pass's targets first made
    its loss not finite, naming the batch of ``name`` (in ``epoch``, where known) and its examples
    (their index in the dataset where ``batches`` is known to keep its order).

    The pass hands it each step's targets and losses (:meth:`add`) and calls :meth:`finish` at
    its end.
    """

    # a group's size, as the epoch's totals fold theirs
    _STEPS = 64
    _ROWS = 16384
    _VALUES = 1 << 20

    def __init__(self, *, name: str, epoch: int | None, batches: object) -> None:
        self._name, self._epoch, self._batches = name, epoch, batches
        self._held: list[tuple[torch.Tensor, torch.Tensor]] = []  # (y (B, q), l) of each step
        self._rows = self._values = 0
        self._steps = self._examples = 0  # those of the groups looked at before the held steps
        # on a device, each group's rows, read back at the pass's end: (steps, examples before)
        self._pending: list[tuple[_Group, int, int]] = []
        self._done = False  # a loss not finite on finite targets was found: nothing more to say

    def add(self, y: torch.Tensor, l: torch.Tensor) -> None:
        """Hold a step's targets ``y`` (B, q) and losses ``l`` (per example, or 0-d)."""
        if self._done:
            return
        self._held.append((y, l))
        self._rows += y.shape[0]
        self._values += y.numel()
        if (
            len(self._held) >= self._STEPS
            or self._rows >= self._ROWS
            or self._values >= self._VALUES
        ):
            self._look()

    def finish(self) -> None:
        """Look at the steps still held, then at the groups a device left to the pass's end."""
        self._look()
        if not self._pending:
            return
        bad = torch.stack([group.loss_rows.any() for group, _, _ in self._pending]).tolist()
        for (group, steps, examples), not_finite in zip(self._pending, bad, strict=True):
            if not_finite:
                self._pending = []
                self._raise_if_targets(group, steps, examples)
                return
        self._pending = []

    def _look(self) -> None:
        """Check the held steps' losses with one read-back on a CPU; on a device, keep their rows'
        finiteness for :meth:`finish`."""
        if not self._held or self._done:
            return
        held, self._held = self._held, []
        steps, examples = self._steps, self._examples
        self._steps += len(held)
        self._examples += self._rows
        self._rows = self._values = 0
        losses = [l for _, l in held]
        if not self._reads_now(losses[0]):
            self._pending.append((_rows(held), steps, examples))
        elif not bool(_all_finite(losses)):
            self._raise_if_targets(_rows(held), steps, examples)

    @staticmethod
    def _reads_now(losses: torch.Tensor) -> bool:
        """Whether a group of ``losses`` is read back as it is looked at: on a CPU, where that
        waits on nothing; a device's are read at the pass's end, as the totals read theirs."""
        return losses.is_cpu

    def _raise_if_targets(self, group: _Group, steps: int, examples: int) -> None:
        """Raise if the group's first step whose loss is not finite has targets that are not."""
        self._done = True
        first = int(group.loss_rows.nonzero()[0, 0])
        start, index = 0, 0
        while start + group.sizes[index] <= first:
            start += group.sizes[index]
            index += 1
        end = start + group.sizes[index]
        targets, loss = group.target_rows[start:end], group.loss_rows[start:end]
        if not bool(targets.any()):
            return
        positions = tuple(targets.nonzero().flatten().tolist())
        others = int((loss & ~targets).sum()) if group.per_example[index] else 0
        error = DivergenceError(
            self._message(steps + index, group.sizes[index], positions, examples + start, others)
        )
        error.step, error.examples = steps + index, True
        error.resumable = False  # the data are the cause: no smaller lr, no resume helps
        raise error

    def _message(
        self, batch: int, size: int, positions: tuple[int, ...], first_example: int, others: int
    ) -> str:
        """Return the message for targets that hold NaN or inf at ``positions`` of ``batch``."""
        n = len(positions)
        when = f"in epoch {self._epoch}" if self._epoch is not None else "in this epoch"
        place = examples_at(
            positions,
            first_example=first_example,
            name=self._name,
            training=True,
            order=batch_order(self._batches),
        )
        which = "its only example" if size == 1 else f"{n} of its {size} examples"
        also = (
            f", and its loss is not finite on {others} more, whose targets are finite (their "
            "features X hold NaN or inf, or the model's computation overflowed on them)"
            if others
            else ""
        )
        return (
            f"the loss is not finite at batch {batch + 1} of {self._name} {when}, whose targets y "
            f"hold NaN or inf on {which} ({place}){also}: a target that is NaN or inf makes its "
            "example's loss so, and that batch's update most likely made the weights non-finite, "
            f"and with them every score after; {clean_or_drop(_FINITE_Y, one=n == 1)}, then train "
            "again from fresh weights"
        )


# the test that finds the examples whose targets (B, q) hold NaN or inf
_FINITE_Y = "torch.isfinite(y).all(dim=1)"


def _all_finite(losses: list[torch.Tensor]) -> torch.Tensor:
    """Return whether every value of the steps' ``losses`` is finite, as a 0-d bool tensor."""
    return torch.isfinite(_joined(losses)).all()


def _joined(values: list[torch.Tensor]) -> torch.Tensor:
    """Return the steps' ``values`` in one tensor, with no op per step where they share their
    shape past the batch (a loss function's and a loader's do): their ``cat`` along the batch, or
    the ``stack`` of 0-d ones; else every value flattened."""
    first = values[0]
    if all(v.ndim == first.ndim and v.shape[1:] == first.shape[1:] for v in values):
        return torch.stack(values) if first.ndim == 0 else torch.cat(values)
    return torch.cat([v.reshape(-1) for v in values])


def _rows(held: list[tuple[torch.Tensor, torch.Tensor]]) -> _Group:
    """Return the held steps' rows: whether each example's loss (a 0-d loss: its whole batch's)
    and its targets are not finite; a few ops for the whole group, none per step, where the
    steps' losses and targets share their shapes past the batch."""
    sizes = [y.shape[0] for y, _ in held]
    losses, targets = [l for _, l in held], [y for y, _ in held]
    return _Group(
        sizes=sizes,
        per_example=[l.ndim > 0 for l in losses],
        loss_rows=_not_finite_rows(losses, sizes),
        target_rows=_not_finite_rows(targets, sizes),
    )


def _not_finite_rows(values: list[torch.Tensor], sizes: list[int]) -> torch.Tensor:
    """Return whether each example's ``values`` hold NaN or inf, (Σ sizes,), over steps of
    ``sizes`` examples each; a 0-d value is every example's of its step."""
    first = values[0]
    if any(v.ndim != first.ndim or v.shape[1:] != first.shape[1:] for v in values):
        return torch.cat([_not_finite_rows([v], [B]) for v, B in zip(values, sizes, strict=True)])
    bad = ~torch.isfinite(_joined(values))  # (steps,) for 0-d values, else (Σ sizes, ...)
    if first.ndim == 0:
        repeats = torch.tensor(sizes, device=bad.device)
        return bad.repeat_interleave(repeats, output_size=sum(sizes))
    return bad.flatten(1).any(1) if bad.ndim > 1 else bad
