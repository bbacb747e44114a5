"""Class probabilities (soft targets) that made a training loss NaN, or the features beside
them, named at their batch and examples (D2L §3.4, §3.6).

A classifier trained on float targets ``y`` (B, q) of its scores' shape, class probabilities
``nn.CrossEntropyLoss`` takes as they are (or a binary cross-entropy's, one per output: a binary
classifier's (B, 1) or (B,) labels 0. and 1. among them), reports
no accuracy, so the epoch's totals never look at its scores: a NaN in one target row, or in one
example's features X, made that example's loss NaN, the update the weights NaN, and an unguarded
``fit`` trained on to a NaN history (a later pass over ``test_iter`` blamed its NaN scores on
the weights and the lr). :class:`TargetsWatch` finds that row instead, for torch's losses known
to take probabilities only: another loss's (B, q) float targets may be a regression's, which
trains on through a NaN. Like the totals, it reads nothing back per step: each step's targets,
losses and scores are held, with its features where small (as the divergence guard holds them),
and checked in groups with one read-back (on a CPU), or once at the epoch's end (on a device, as
the totals read theirs); only a loss that is not finite makes it look at them. The first step
whose loss is not finite decides (:mod:`linearnets.training.nan_rows` keeps their rows): its
targets hold NaN or inf, and the error names them; or they are finite and its features, held,
hold NaN or inf on exactly the examples whose scores are not finite (the guard's rule), and the
error names those; or its features were not held (over 64 KiB) and only some examples' scores
are not finite: the error names those, with the two causes it cannot tell apart, their features
or an overflow in the model (as weights a learning rate too large grew make: they overflow the
scores of the examples with the largest features first, not every example's), and the test on
that batch that does; at a fresh run's first step, before any update, no lr is to blame: their
features are, too large or not finite. Else (every example's scores not finite, or some on features held and
finite: weights an lr broke, an overflow, a model that fills NaN in) the watch says nothing more:
the pass trains on, its loss NaN, as a regression does, unless a ``DivergenceGuard`` is among its
callbacks (as the command and ``run_softmax`` put one).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import DivergenceError
from linearnets.nan_located import LARGE_WEIGHT
from linearnets.nan_places import clean_or_drop, examples_at, finite_rows
from linearnets.training.guard_data import HELD_BYTES, kept
from linearnets.training.loss_diagnosis import BINARY_LOSSES, computes_as
from linearnets.training.model_tensors import batch_order
from linearnets.training.nan_rows import Group, Step, all_finite, group_rows
from linearnets.training.stash import detached
from linearnets.training.totals import Loss

__all__ = ["TargetsWatch", "takes_binary_probabilities", "takes_probabilities", "watch_targets"]


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
    weights_before: tuple[torch.Tensor, ...] | None = None,
) -> TargetsWatch | None:
    """Return a :class:`TargetsWatch` for a training pass whose first step took probabilities as
    float targets ``y`` of the scores ``y_hat``'s shape: (B, q), q ≥ 1, given to a loss known to
    take probabilities (see :func:`takes_probabilities`), a binary classifier's (B, 1) among them;
    or (B,), one per example, given to a binary cross-entropy (to ``nn.CrossEntropyLoss`` (q,)
    scores are one example's); else ``None``. Any other loss's float targets may be a
    regression's, which trains on through a NaN, as the book's loop does: ``F.mse_loss`` and
    ``nn.MSELoss`` on (B, 1), linearnets' ``squared_loss``, a function of the user's, whatever
    it calls. ``weights_before``: the largest absolute value of each of the model's parameters
    before the pass's first update (see :func:`~linearnets.training.model_tensors.weight_sizes`);
    ``None`` where not known."""
    if not y.is_floating_point() or y.shape != y_hat.shape or y.ndim not in (1, 2):
        return None
    if not (takes_binary_probabilities(loss) if y.ndim == 1 else takes_probabilities(loss)):
        return None
    return TargetsWatch(
        name=name,
        epoch=epoch,
        batches=batches,
        target_dims=y.ndim,
        weights_before=weights_before,
    )


def takes_probabilities(loss: Loss) -> bool:
    """Return whether ``loss`` is known to take probabilities as its float targets:
    ``nn.CrossEntropyLoss`` (class probabilities), ``nn.BCEWithLogitsLoss`` and ``nn.BCELoss``
    (one per output), each computing as torch's does (see
    :func:`~linearnets.training.loss_diagnosis.computes_as`); ``F.cross_entropy``,
    ``F.binary_cross_entropy_with_logits`` and ``F.binary_cross_entropy`` themselves, or a
    ``functools.partial`` of one that fixes only keywords (``reduction="none"``). A lambda or
    function of the user's is not known to, whatever it calls (linearnets' cross-entropies take
    class indices only)."""
    return computes_as(loss, _PROBABILITY_LOSSES) or _function_of(loss, _PROBABILITY_FUNCTIONS)


def takes_binary_probabilities(loss: Loss) -> bool:
    """Return whether ``loss`` is one of torch's binary cross-entropies (see
    :func:`takes_probabilities`), which take one probability per output, whatever the scores'
    shape."""
    return computes_as(loss, BINARY_LOSSES) or _function_of(loss, _PROBABILITY_FUNCTIONS[1:])


def _function_of(loss: Loss, functions: tuple[object, ...]) -> bool:
    """Return whether ``loss`` is one of ``functions``, or a ``functools.partial`` of one that
    fixes only keywords."""
    if isinstance(loss, functools.partial) and not loss.args:
        loss = loss.func
    return any(loss is f for f in functions)


class TargetsWatch:
    """Raise :class:`~linearnets.errors.DivergenceError` where a training pass's data first made
    its loss not finite, naming the batch of ``name`` (in ``epoch``, where known) and its examples
    (their index in the dataset where ``batches`` is known to keep its order): targets that hold
    NaN or inf, or, the targets finite, features that do. ``target_dims``: the targets' (2 for
    (B, q), 1 for (B,)), as the test that finds their examples is written.

    The pass hands it each step's targets and losses, with its features and scores
    (:meth:`add`), and calls :meth:`finish` at its end.
    """

    # a group's size, as the epoch's totals fold theirs
    _STEPS = 64
    _ROWS = 16384
    _VALUES = 1 << 20

    def __init__(
        self,
        *,
        name: str,
        epoch: int | None,
        batches: object,
        target_dims: int = 2,
        weights_before: tuple[torch.Tensor, ...] | None = None,
    ) -> None:
        self._name, self._epoch, self._batches = name, epoch, batches
        self._weights_before = weights_before
        self._finite_y = finite_rows("y", target_dims)  # the test that finds the targets' rows
        self._held: list[Step] = []
        self._rows = self._values = 0
        self._steps = self._examples = 0  # those of the groups looked at before the held steps
        # on a device, each group's rows, read back at the pass's end: (steps, examples before)
        self._pending: list[tuple[Group, int, int]] = []
        self._done = False  # the first loss not finite was looked at: nothing more to say

    def add(
        self,
        y: torch.Tensor,
        l: torch.Tensor,
        *,
        X: torch.Tensor | None = None,
        y_hat: torch.Tensor | None = None,
    ) -> None:
        """Hold a step's targets ``y`` (B, q) and losses ``l`` (per example, or 0-d), with its
        features ``X`` (B, ...) and scores ``y_hat`` (B, q), where handed: a reference to each,
        none copied or read; ``X`` only up to :data:`~linearnets.training.guard_data.HELD_BYTES`,
        as the divergence guard holds it."""
        if self._done:
            return
        features = kept((X, None))[0] if X is not None else None
        self._held.append(
            (y, l, None if y_hat is None else detached(y_hat), features, 0 if X is None else X.ndim)
        )
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
                self._raise_if_data(group, steps, examples)
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
        losses = [step[1] for step in held]
        if not self._reads_now(losses[0]):
            self._pending.append((group_rows(held), steps, examples))
        elif not bool(all_finite(losses)):
            self._raise_if_data(group_rows(held), steps, examples)

    @staticmethod
    def _reads_now(losses: torch.Tensor) -> bool:
        """Whether a group of ``losses`` is read back as it is looked at: on a CPU, where that
        waits on nothing; a device's are read at the pass's end, as the totals read theirs."""
        return losses.is_cpu

    def _raise_if_data(self, group: Group, steps: int, examples: int) -> None:
        """Raise if the group's first step whose loss is not finite has targets that are not,
        or, its targets finite, features that are to blame (see :meth:`_features_message`)."""
        self._done = True
        first = int(group.loss_rows.nonzero()[0, 0])
        start, index = 0, 0
        while start + group.sizes[index] <= first:
            start += group.sizes[index]
            index += 1
        end = start + group.sizes[index]
        targets, loss = group.target_rows[start:end], group.loss_rows[start:end]
        found: tuple[str, bool] | None
        if bool(targets.any()):
            positions = tuple(targets.nonzero().flatten().tolist())
            others = int((loss & ~targets).sum()) if group.per_example[index] else 0
            found = (
                self._targets_message(
                    steps + index, group.sizes[index], positions, examples + start, others
                ),
                True,
            )
        else:
            found = self._features_message(group, index, start, steps, examples)
        if found is None:
            return
        message, data = found
        error = DivergenceError(message)
        error.step, error.examples = steps + index, data
        if data:  # the data are the cause: no smaller lr, no resume helps
            error.resumable = False
        raise error

    def _targets_message(
        self, batch: int, size: int, positions: tuple[int, ...], first_example: int, others: int
    ) -> str:
        """Return the message for targets that hold NaN or inf at ``positions`` of ``batch``."""
        n = len(positions)
        their, them = ("its", "it") if others == 1 else ("their", "them")
        also = (
            f", and its loss is not finite on {others} more, whose targets are finite ({their} "
            f"features X hold NaN or inf, or the model's computation overflowed on {them})"
            if others
            else ""
        )
        return (
            f"{self._head(batch)}, whose targets y hold NaN or inf on "
            f"{self._examples_at(size, positions, first_example)}{also}: a target that is NaN or "
            f"inf makes its example's loss so, {_BROKE}; {clean_or_drop(self._finite_y, one=n == 1)}, "
            "then train again from fresh weights"
        )

    def _features_message(
        self, group: Group, index: int, start: int, steps: int, examples: int
    ) -> tuple[str, bool] | None:
        """Return the message for step ``index`` of ``group`` (its first row ``start``), whose
        loss is not finite on finite targets, where its features may be to blame, and whether
        they are known to be; else ``None``.

        Its scores tell, where handed: those of each example whose features (held) hold NaN or
        inf, and of no other, are not finite (the guard's rule): the features are to blame.
        Features not held (over ``HELD_BYTES``): some examples' scores, not all, are not finite,
        their features' doing or an overflow's (weights an lr grew too large overflow some
        examples' scores first), which the message names both, with the test that tells them
        apart. Where every example's are, or some with finite features, the weights an lr broke,
        an overflow or a model that fills NaN in are as likely, and nothing is said: the pass
        trains on.
        """
        if group.score_rows is None:
            return None
        size = group.sizes[index]
        scores = group.score_rows[start : start + size]
        at = (steps + index, size, examples + start)
        test = finite_rows("X", group.feature_dims[index] or 2)
        if group.features_held[index] and group.feature_rows is not None:
            features = group.feature_rows[start : start + size]
            if not bool(features.any()) or bool((scores & ~features).any()):
                return None
            positions = tuple(features.nonzero().flatten().tolist())
            return (
                f"{self._head(at[0])}, whose targets y are finite but whose features X hold NaN "
                f"or inf on {self._examples_at(size, positions, at[2])}: a feature that is NaN or "
                f"inf makes its example's scores and loss so, {_BROKE}; "
                f"{clean_or_drop(test, one=len(positions) == 1)}, then train again from fresh "
                "weights"
            ), True
        message = self._scores_message(scores, test, at)
        # before any update (a fresh run's first step) no lr is to blame: those examples' data are
        return None if message is None else (message, self._before_any_update(at[0]))

    def _scores_message(
        self, scores: torch.Tensor, test: str, at: tuple[int, int, int]
    ) -> str | None:
        """Return the message for a step's features not held, where only some of its examples'
        ``scores`` (B,) are not finite; else ``None``: either their features hold NaN or inf, or
        the model's computation overflowed on them, as it does on some examples first once a
        learning rate too large has grown the weights; ``torch.isfinite(X).all()`` on that
        batch tells which. Before any update (batch 1 of epoch 1) no learning rate grew them: the
        overflow is those examples' features', too large, and the fix is to scale them.
        ``test``: the one that finds examples whose features hold NaN or inf; ``at``: the batch,
        its size and the examples before."""
        batch, size, first_example = at
        bad = int(scores.sum())
        if bad in (0, size):
            return None
        positions = tuple(scores.nonzero().flatten().tolist())
        one = bad == 1
        whose, them = ("that example's", "it") if one else ("those examples'", "them")
        others = "example's" if size - bad == 1 else f"{size - bad} examples'"
        if self._before_any_update(batch):
            return (
                f"{self._head(batch)}, whose targets y are finite but whose scores are not on "
                f"{self._examples_at(size, positions, first_example)}, while the other {others} "
                f"are, before any update: either {whose} features X hold NaN or inf, or they are "
                f"too large and the model's computation overflowed on {them} (no learning rate "
                "is to blame yet; a batch's X over "
                f"{HELD_BYTES // 1024} KiB is not held to be looked at, so which is not known), "
                f"{_BROKE}; torch.isfinite(X).all() on batch {batch + 1}'s features tells which "
                f"(False: {clean_or_drop(test, one=one)}; True: scale the features (e.g. "
                "standardise each one), or compute the model's scores stably), then train again "
                "from fresh weights"
            )
        return (
            f"{self._head(batch)}, whose targets y are finite but whose scores are not on "
            f"{self._examples_at(size, positions, first_example)}, while the other {others} "
            f"are: either {whose} features X hold NaN or inf, or the model's computation "
            f"overflowed on {them}, as it does once a learning rate too large has grown the "
            f"weights (a batch's X over {HELD_BYTES // 1024} KiB is not held to be looked at, so "
            f"which is not known), {_BROKE}; torch.isfinite(X).all() on batch {batch + 1}'s "
            f"features tells which (False: {clean_or_drop(test, one=one)}; True: train with a "
            "smaller learning rate, or compute the model's scores stably), then train again from "
            "fresh weights"
        )

    def _before_any_update(self, batch: int) -> bool:
        """Whether batch ``batch`` (from 0) is a fresh run's first, whose scores no update made:
        batch 0 of epoch 1 (an epoch not known, or a later one, may follow updates), its
        weights before it known and all below :data:`~linearnets.nan_located.LARGE_WEIGHT` (a
        second ``fit`` on weights an earlier lr grew starts at epoch 1 too)."""
        if batch != 0 or self._epoch != 1 or self._weights_before is None:
            return False
        return all(float(size) < LARGE_WEIGHT for size in self._weights_before)

    def _head(self, batch: int) -> str:
        """Return where the loss was not finite: batch ``batch`` (from 0) of the epoch."""
        when = f"in epoch {self._epoch}" if self._epoch is not None else "in this epoch"
        return f"the loss is not finite at batch {batch + 1} of {self._name} {when}"

    def _examples_at(self, size: int, positions: tuple[int, ...], first_example: int) -> str:
        """Return which of a batch's ``size`` examples ``positions`` are, and where."""
        place = examples_at(
            positions,
            first_example=first_example,
            name=self._name,
            training=True,
            order=batch_order(self._batches),
        )
        which = "its only example" if size == 1 else f"{len(positions)} of its {size} examples"
        return f"{which} ({place})"


# what a batch's non-finite loss did next, said of its targets or its features
_BROKE = (
    "and that batch's update most likely made the weights non-finite, and with them every score "
    "after"
)
