"""An epoch's running loss and accuracy, kept as tensors and folded in groups of steps (D2L §3.6.6).

The loop hands each step's per-example losses, outputs and labels to :class:`EpochTotals`, which reads
nothing back from them until a group of steps is full: a step then costs no reduction of its own and
never waits on a device. The same totals serve training and evaluation, regression and classification.
How a loss's values count is :mod:`linearnets.training.loss_kinds`', the tensors held between folds
:mod:`linearnets.training.stash`'s, a classifier's output checked against its labels
:mod:`linearnets.training.score_checks`' (their names used elsewhere importable from here too).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from linearnets.device import accumulation_dtype
from linearnets.errors import UsageError
from linearnets.nan_places import NanContext
from linearnets.training.distributed import DistContext
from linearnets.training.loss_kinds import (
    Loss,
    class_weight,
    ignored,
    is_class_loss,
    reduction_of,
    summed_scalar_loss,
)
from linearnets.training.nan_scores import raise_nan_scores
from linearnets.training.score_checks import (
    check_same_targets,
    check_scores,
    is_label_column,
    predicted_labels,
)
from linearnets.training.stash import detached, flat, joined
from linearnets.validation import NanSource, check_label_range

__all__ = [
    "EpochTotals",
    "Loss",
    "NanContext",
    "check_scores",
    "class_weight",
    "detached",
    "ignored",
    "summed_scalar_loss",
]

_PASS = NanContext()  # an evaluation of "data_iter", nothing more known


class EpochTotals:
    """Running (loss sum, correct, count) of an epoch, kept as tensors so no step waits on a device.

    A step only stashes its per-example losses, outputs and labels (no tensor op); every
    ``_STASH_STEPS`` steps, ``_STASH_ROWS`` examples or ``_STASH_VALUES`` output values, whichever
    comes first, the stash is reduced in one go: one ``cat`` and one sum for the losses (in float64;
    float32 on MPS), one argmax over all the stashed rows for the accuracy. That costs a fraction of
    the five small reductions a step would otherwise pay (~25 µs a step on a CPU, about a tenth of a
    softmax step), and bounds the outputs held at a time.

    A NaN score stops the epoch with :class:`~linearnets.errors.DivergenceError`. On a CPU, where
    each group is checked as it is folded, the error names the batch that first gave one, and which
    of its examples, from what ``context`` (:class:`~linearnets.nan_places.NanContext`) tells of the
    pass (see :func:`~linearnets.training.model_diagnosis.nan_step`): their features or an overflow
    on them, or, a training pass's batch all NaN, its features or an update that made the weights
    NaN. Where that says no more than the first batch does, ``nan_probe``, called only then, tells
    what was not finite (see :class:`~linearnets.training.model_diagnosis.NanScoresProbe`): the
    inputs, the weights, or an overflow in the model's own computation where both were finite.
    """

    _STASH_STEPS = 64
    _STASH_ROWS = 16384
    _STASH_VALUES = 1 << 20

    @classmethod
    def for_loss(
        cls,
        loss: Loss | None,
        *,
        summed: bool | None = None,
        nan_probe: Callable[[], NanSource] | None = None,
        context: NanContext = _PASS,
    ) -> EpochTotals:
        """Totals for ``loss``: a torch loss with ``reduction="sum"`` gives batch sums, not means
        (a ``partial`` of torch's loss function too, see :func:`reduction_of`).

        ``summed`` overrides that: ``True`` takes every 0-d loss as its batch's sum, counted once,
        and sums a loss of k values per example (B, k) over them (the book's ``train_epoch_ch3`` adds
        ``float(l.sum())`` whatever the loss returns). Otherwise such a loss counts the mean of each
        example's k values, so the epoch's loss is the mean over all values, as ``reduction="mean"``
        gives it. A classification loss (``nn.CrossEntropyLoss``, ``nn.NLLLoss``) marks the
        totals a classifier's: a model of one output is then told to give one output per class,
        not float targets (see :func:`check_scores`). ``nan_probe``, ``context``: as in
        :class:`EpochTotals`.
        """
        if summed is None:
            summed = reduction_of(loss) == "sum"
        weight = class_weight(loss) if not summed else None
        return cls(
            summed=summed,
            classifier=is_class_loss(loss),
            nan_probe=nan_probe,
            class_weight=weight,
            ignore_index=ignored(loss),
            context=context,
        )

    def __init__(
        self,
        *,
        summed: bool = False,
        classifier: bool = False,
        nan_probe: Callable[[], NanSource] | None = None,
        class_weight: torch.Tensor | None = None,
        ignore_index: int | None = None,
        context: NanContext = _PASS,
    ) -> None:
        # a 0-d loss is the batch's sum (reduction="sum"), not its mean; (B, k) values are summed
        self.summed = summed
        # the loss is a classifier's (nn.CrossEntropyLoss): a one-output model is no regression
        self._classifier = classifier
        self._nan_probe = nan_probe
        # a class-weighted mean (nn.CrossEntropyLoss(weight=w)) is Σ w[y]·l / Σ w[y]: each batch's
        # mean then counts for its weight, so the epoch's loss is the loss over all its examples
        self._class_weight = class_weight
        # a label the loss skips, named if a label is out of range
        self._ignore_index = ignore_index
        self.loss_weight: torch.Tensor | float = 0.0  # Σ w[y] of the weighted means
        self.loss_sum: torch.Tensor | float = 0.0
        self.correct: torch.Tensor | int = 0
        self.count = 0
        self.classification = False
        self._losses: list[torch.Tensor] = []  # per-example losses, each in its own shape
        self._means: list[torch.Tensor] = []  # losses already reduced to their batch mean (0-d)
        self._mean_counts: list[int] = []  # the examples behind each of them
        self._mean_weights: list[torch.Tensor] = []  # their Σ w[y], for a class-weighted mean
        self._outputs: list[torch.Tensor] = []  # y_hat (B, q)
        self._labels: list[torch.Tensor] = []  # y (B,)
        self._rows = 0
        self._values = 0
        self._ranges: list[tuple[torch.Tensor, torch.Tensor, int]] = []  # labels' (min, max, C)
        self._nan: torch.Tensor | bool = False  # whether a score was NaN
        # where a NaN score is named: what is known of the pass, the steps folded so far, and the
        # last step's scores (the one before the next group)
        self._context = context
        self._steps = 0
        self._last_output: torch.Tensor | None = None
        # the batches added (from 1), the first of class labels and whether float targets came
        # before: an epoch mixing them would count examples with no classes (see check_same_targets)
        self._batches = 0
        self._labels_from: int | None = None
        self._float_targets = False
        # a loss took class labels in some batches and float targets (mixup's class probabilities)
        # in others: valid training, whose accuracy no count gives (result says None)
        self._mixed_targets = False

    def add(self, y_hat: torch.Tensor, y: torch.Tensor, l: torch.Tensor | None) -> None:
        self._same_targets(y, scored=l is None)
        if l is not None:
            l = detached(l)
            if l.ndim:  # (B,), (B, 1), ...: stashed as they are, flattened when folded
                if not self.summed and math.prod(l.shape[1:]) > 1:
                    # k values per example (B, k): each example's loss is their mean, so the epoch
                    # reports the mean over all values, as reduction="mean" (and the gradient) takes it
                    l = l.flatten(1).mean(dim=1)
                self._losses.append(l)
            elif y.shape[0]:  # reduced to its mean (e.g. nn.MSELoss()): once per example
                # (an empty shard's mean is NaN and counts for nothing); a sum counts once
                self._means.append(l)
                self._mean_counts.append(1 if self.summed else y.shape[0])
                if self._class_weight is not None and not y.is_floating_point():
                    weight = self._class_weight.to(l.device)
                    # clamped: a label outside [0, C) (the loss's ignore_index, -100) would fail
                    # the indexing in torch's words (a device assert on CUDA); the fold refuses
                    # it by name (check_label_range), so its weight here is never used
                    self._mean_weights.append(weight[y.clamp(0, weight.shape[0] - 1)].sum())
        if not y.is_floating_point():  # class labels
            self.classification = True
            if l is None and is_label_column(y_hat):  # an accuracy of predicted labels, no scores
                # compared as int64, so that no dtype wraps a label
                pred = predicted_labels(y_hat, y)
                self.correct = self.correct + (pred.long() == y.long()).sum()
                self.count += y.shape[0]
                return
            check_scores(y_hat, y, classifier=self._classifier or l is None)  # (an accuracy)
            if y.shape[0] and y.is_cpu:
                self._refuse_out_of_range(y, classes=y_hat.shape[1])
            if y.shape[0]:
                self._outputs.append(detached(y_hat))
                self._labels.append(y)
                self._values += y_hat.numel()
        self.count += y.shape[0]
        self._rows += y.shape[0]
        if (
            self._rows >= self._STASH_ROWS
            or self._values >= self._STASH_VALUES
            or max(len(self._losses), len(self._means), len(self._outputs)) >= self._STASH_STEPS
        ):
            self._reduce()

    def _same_targets(self, y: torch.Tensor, *, scored: bool) -> None:
        """Count the batch ``y`` belongs to, and note where its targets' kind (class labels or
        float targets) is not the earlier batches'.

        ``scored`` (an accuracy alone, no loss: ``evaluate_accuracy``): such a batch is refused,
        as its examples would count in the accuracy with none of their classes right. With a loss
        it is valid (``nn.CrossEntropyLoss`` takes class labels in one batch and mixup's class
        probabilities (B, C) in the next): the epoch then reports no accuracy, rather than refuse
        the training or report a wrong one (0.203 where the labelled batches alone gave 0.25)."""
        self._batches += 1
        if not y.shape[0]:  # an empty shard's dtype says nothing
            return
        if y.is_floating_point():
            if self._labels_from is not None:
                if scored:
                    check_same_targets(y, batch=self._batches, labels_from=self._labels_from)
                self._mixed_targets = True
            self._float_targets = True
        else:
            if self._float_targets:
                if scored:
                    check_same_targets(y, batch=self._batches, labels_from=None)
                self._mixed_targets = True
            if self._labels_from is None:
                self._labels_from = self._batches

    def _refuse_out_of_range(self, y: torch.Tensor, *, classes: int) -> None:
        """Refuse labels ``y`` (B,) outside [0, ``classes``), naming the first such row as
        ``err.row``: per batch on a CPU (one ``aminmax`` of its labels, about 2 µs for 256), so a
        later batch's is told as that batch's, not after the whole epoch trained on it. The loss's
        ignore_index (-100), which the loss took without a word, is named as such; so is a -1 that
        the book's ``cross_entropy`` (``y_hat[range(n), y]``) read as the last class. On a device
        the fold's range check tells them, with the epoch's totals (a look per batch would make
        each step wait for it)."""
        low, high = (int(v) for v in torch.aminmax(y))
        ignore = self._ignore_index
        # an ignore_index that is a class is refused whatever the labels (check_label_range)
        if low >= 0 and high < classes and (ignore is None or not 0 <= ignore < classes):
            return
        try:
            check_label_range("y", low, high, classes, ignore_index=ignore)
        except UsageError as err:
            if low < 0 or high >= classes:  # a label at fault: its row
                bad = low if low < 0 else high
                err.row = int((y == bad).nonzero()[0, 0])  # type: ignore[attr-defined]
            raise

    def _reduce(self) -> None:
        """Fold the stashed steps into the running sums."""
        if self._losses:
            losses = flat(self._losses)
            self.loss_sum = self.loss_sum + losses.sum(dtype=accumulation_dtype(losses.device))
        if self._means:  # Σ mean_i · B_i, in float64 (float32 on MPS, which has no float64)
            means = torch.stack(self._means)
            wide = accumulation_dtype(means.device)
            means = means.to(wide)
            if self._mean_weights:
                weights = torch.stack(self._mean_weights).to(wide)
                self.loss_weight = self.loss_weight + weights.sum()
            else:
                weights = torch.tensor(self._mean_counts, dtype=wide, device=means.device)
            self.loss_sum = self.loss_sum + means.dot(weights)
            self._means, self._mean_counts, self._mean_weights = [], [], []
        if self._outputs:
            # one max over each row gives the predictions (its indices: argmax's, first on ties, but
            # ~5x faster on the scratch models' transposed logits) and, since max propagates NaN,
            # any NaN score (an isnan over all N × q scores added ~10% to a fold)
            top, labels = joined(self._outputs).max(dim=1), joined(self._labels)
            classes = self._outputs[0].shape[1]  # the same in every output, or the join failed
            self.correct = self.correct + (top.indices == labels).sum()
            # a NaN score is its row's maximum, so a NaN model would count as right on its class
            self._nan = self._nan | top.values.isnan().any()
            # a label outside [0, C) would silently count as a miss: on a CPU each batch's was
            # refused as it was added (_refuse_out_of_range); on a device the group's range is
            # read back with the epoch's totals rather than waiting on the device here
            if labels.is_cpu:
                self._raise_if_nan(top.values)
            else:
                low, high = torch.aminmax(labels)
                self._ranges.append((low, high, classes))
            self._steps += len(self._outputs)
            self._last_output = self._outputs[-1]
        self._losses, self._outputs, self._labels = [], [], []
        self._rows = self._values = 0

    def _raise_if_nan(self, row_max: torch.Tensor | None = None) -> None:
        """Raise :class:`~linearnets.errors.DivergenceError` if a score was NaN; ``row_max``: the
        maxima of the rows of the group being folded, (ΣB,), to find which step gave it."""
        if bool(self._nan):
            raise_nan_scores(
                self._context,
                self._nan_probe,
                self._outputs,
                row_max,
                steps_before=self._steps,
                examples_before=self.count - self._rows,
                before=self._last_output,
            )

    def result(self, name: str, dist: DistContext | None) -> tuple[float, float | None]:
        self._reduce()
        for low, high, classes in self._ranges:
            check_label_range("y", int(low), int(high), classes, ignore_index=self._ignore_index)
        self._raise_if_nan()
        sums = [float(self.loss_sum), float(self.correct), float(self.count)]
        if self._class_weight is not None:  # the same loss, so the same layout, on every rank
            sums.append(float(self.loss_weight))
        packed = torch.tensor(sums, dtype=torch.float64)
        if dist is not None and dist.enabled:
            dist.all_reduce_sum(packed)
        loss_sum, correct, count, *weighed = packed.tolist()
        if count == 0:
            raise UsageError(
                f"{name} must yield at least one example, got none; check the dataset is not "
                "empty, and that it is no generator or iterator used up by an earlier pass (pass a "
                "list or a DataLoader)"
            )
        # a class-weighted mean of class labels: Σ w[y]·l / Σ w[y]; NaN if every weight was 0, as
        # torch's mean is (a weighted loss on float, soft targets divides by the count)
        if self._class_weight is not None and self.classification:
            loss = loss_sum / weighed[0] if weighed[0] else math.nan
        else:
            loss = loss_sum / count
        scored = self.classification and not self._mixed_targets
        return loss, (correct / count if scored else None)
