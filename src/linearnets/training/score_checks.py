"""A classifier's output checked against its labels before an epoch's totals stash them.

Shapes, dtypes and devices only, no tensor op: :func:`check_scores` for scores (B, C),
:func:`is_label_column` telling predicted labels (B,) or (B, 1) apart, and
:func:`predicted_labels` for those. The totals are :mod:`linearnets.training.totals`'s. See
D2L §3.6.5.
"""

from __future__ import annotations

import torch

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.label_diagnosis import one_score_error
from linearnets.training.loss_diagnosis import one_row_per_example_fix
from linearnets.validation import check_label_tensor, check_labels_device, describe, is_column

__all__ = ["check_same_targets", "check_scores", "is_label_column", "predicted_labels"]

# the dtypes class labels may have: torch compares uint16/32/64 with nothing (no type promotion)
_LABEL_DTYPES = frozenset({torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8})


def check_scores(y_hat: torch.Tensor, y: torch.Tensor, *, classifier: bool = False) -> None:
    """Check a classifier's output (B, C) against its labels (B,) before they are stashed (and, on an
    epoch's first step, before its update: see :func:`~linearnets.training.step.train_step`).

    Shapes, dtypes and devices only, no tensor op: labels (B, 1) would broadcast against the predictions (B,)
    and count up to B² "correct" rows; bool or uint16 labels would fail deep inside torch. A model
    of one output per example, (B, 1) or (B,), is a regression: its integer targets are refused
    with the fix, float targets, rather than taken as the labels of a single class; but where
    ``classifier`` says the output is a classifier's (a classification loss's, or an accuracy's),
    the fix is one output per class instead.
    """
    if is_column(y_hat) and y_hat.shape[0] == y.shape[0] and not y.is_complex():
        if classifier:
            raise one_score_error(y_hat, y)
        raise UsageTypeError(
            f"y must be float targets for a regression (the model gives one output per example, "
            f"y_hat of shape {tuple(y_hat.shape)}; integer or bool targets would be taken as "
            f"class labels), got {describe(y)}; convert them with y.float() (a classifier must "
            "return one score per class, (B, C))"
        )
    if y.ndim != 1 or y.dtype not in _LABEL_DTYPES:
        check_label_tensor("y", y)  # raises the readable error
    # a loss that took CPU labels for a GPU model's output (the scratch cross_entropy's indexing
    # moves them) would meet them again in the epoch's count, in torch's words
    check_labels_device(y, y_hat, "the model's output")
    if y_hat.ndim != 2 or y_hat.shape[0] != y.shape[0]:
        rows = y_hat.shape[0] if y_hat.ndim == 2 else 0  # k rows of each example, or (C, B)
        fix = (
            one_row_per_example_fix(rows, y.shape[0], columns=y_hat.shape[1])
            if rows
            else "return one row of C scores per example"
        )
        raise UsageError(
            f"a classifier's output must be scores of shape (B, C), one row per label, got shape "
            f"{tuple(y_hat.shape)} for {counted(y.shape[0], 'label')}; {fix}"
        )


def is_label_column(y_hat: torch.Tensor) -> bool:
    """Whether ``y_hat`` is predicted labels, (B,) or (B, 1) of an integer dtype: no regression
    gives integer outputs, and no model trains on them (they have no gradient)."""
    integer = not (y_hat.is_floating_point() or y_hat.is_complex() or y_hat.dtype == torch.bool)
    return integer and is_column(y_hat)


def predicted_labels(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return a model's predicted labels ``y_hat``, (B,) or (B, 1), as (B,), checked against its
    labels ``y`` (B,): what the book's ``evaluate_accuracy`` counts of a model returning ``argmax``
    labels (its ``accuracy`` takes them as they are)."""
    pred = check_label_tensor("the model's predicted labels", y_hat.reshape(-1))
    check_label_tensor("y", y)
    check_labels_device(y, y_hat, "the model's output")
    if pred.shape[0] != y.shape[0]:
        raise UsageError(
            f"a classifier's output must be one predicted label per label, got shape "
            f"{tuple(y_hat.shape)} for {counted(y.shape[0], 'label')}; return scores (B, C) or labels (B,)"
        )
    return pred


def check_same_targets(y: torch.Tensor, *, batch: int, labels_from: int | None) -> None:
    """Refuse a batch ``batch`` (from 1) whose targets ``y`` are not of the kind the epoch's earlier
    ones were: float targets after integer class labels (first in batch ``labels_from``), or
    class labels after float targets (``labels_from`` ``None``). The totals would count such a
    batch's examples and none of its right classes (or the other way round): an accuracy of 0.203
    where every batch as class labels gave 0.25."""
    if labels_from is None:
        raise UsageError(
            f"y must be of one kind in every batch, got integer class labels, {describe(y)}, in "
            f"batch {batch} after float targets in the batches before it: an accuracy counts "
            "class labels alone; give every batch its class labels (y.long(), or y.argmax(dim=1) "
            "for one-hot or class-probability targets (B, C)), or float targets in every batch"
        )
    raise UsageError(
        f"y must be integer class labels in every batch once batch {labels_from} gave them, got "
        f"{describe(y)} in batch {batch}: its examples would count in the accuracy with none of "
        f"their classes right; {float_labels_fix(y)}"
    )


def float_labels_fix(y: torch.Tensor) -> str:
    """Return the fix for float targets ``y`` where an accuracy needs class labels, as their shape
    calls for: one-hot or class probabilities (B, C) their ``argmax`` (a ``.long()`` truncates
    soft labels to 0), a float column (B, 1) ``squeeze(1).long()``, labels (B,) ``.long()``."""
    if y.ndim == 2 and y.shape[1] > 1:
        return "for one-hot or class-probability targets (B, C) pass their classes, y.argmax(dim=1)"
    if y.ndim == 2:
        return "for class labels stored as a float column (B, 1) pass y.squeeze(1).long()"
    return "for class labels stored as floats pass y.long()"
