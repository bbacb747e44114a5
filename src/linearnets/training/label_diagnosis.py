"""The diagnosis of class labels a classification loss refused: labels outside the model's outputs,
negative ones, one-hot rows, float targets of a one-output model (D2L §3.4, §3.6, §3.7).

Split from :mod:`linearnets.training.loss_diagnosis`, which runs these once a loss has raised and
the scores are a classifier's.
"""

from __future__ import annotations

import torch
from torch import nn

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.loss_kinds import CLASS_LOSSES, Loss, ignored, torch_class_loss_name
from linearnets.validation import (
    check_label_tensor,
    describe,
    is_one_score_per_label,
    one_output_per_class_fix,
    one_score_error,
)

__all__ = [
    "CLASS_LOSSES",
    "explain_class_labels",
    "one_output_class_loss_error",
    "one_output_labels_error",
    "one_score_error",
]


def one_output_labels_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError | None:
    """Return the error for class labels ``y`` (B,) outside [0, 1) of a model of one output, (B, 1),
    whose classification loss failed picking by them (torch's "Target 1 is out of bounds", the
    book's ``y_hat[range(len(y_hat)), y]`` "index 1 is out of bounds"); or, for a model of one
    output per example as (B,) (the book's ``X @ w`` with a weight vector w (d,)), that it must
    give scores (B, C) (torch's "Expected floating point type for target with class
    probabilities", the book's "too many indices for tensor of dimension 1"), its labels (B,) or
    (B, 1), integer or bool, as evaluate_accuracy says; else ``None``."""
    if y.is_floating_point():  # (torch: "expected target dtype to be Long or Byte")
        return one_output_class_loss_error(loss, y_hat, y)
    if is_one_score_per_label(y_hat, y) and not y.is_complex():
        return one_score_error(y_hat, y)
    if y_hat.ndim != 2 or y_hat.shape[1] != 1 or y.ndim != 1:
        return None
    if y.dtype == torch.bool or y.is_complex():
        return None
    return _class_label_value_error(loss, y, 1)


def one_output_class_loss_error(
    loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, *, said: str | None = None
) -> UsageError | None:
    """Return the error for float targets ``y``, (B,) or (B, 1), of a class loss (``said``: the
    words in which a loss of the user's own refused them) on a model of one output per example:
    for (B, 1), torch's cross-entropy refuses (B,) ones, and takes (B, 1) ones as probabilities
    over one class, a loss always 0 that trains nothing; for a vector (B,), the book's ``X @ w``,
    it takes the output as one example's scores of B classes and (B,) targets as their
    probabilities, and trains on that silently. ``None`` for other inputs. Shapes and dtypes
    only, no tensor op."""
    B = y_hat.shape[0] if y_hat.ndim else -1
    if (
        y_hat.shape not in ((B, 1), (B,))
        or not y.is_floating_point()
        or y.shape not in ((B,), (B, 1))
    ):
        return None
    name = type(loss).__name__ if isinstance(loss, nn.Module) else getattr(loss, "__name__", "")
    if said is not None or name == "<lambda>":
        name = f"the loss, which takes class labels ({' '.join((said or '').split())})"
    fix = "y.long()" if y.ndim == 1 else "y.reshape(-1).long()"
    why = (
        "a 1-output model's cross-entropy is always 0 (a softmax over one class is 1)"
        if y_hat.ndim == 2
        else f"a cross-entropy takes a 1-d output as one example's scores, of {B} classes here, "
        "and float targets of its shape as their probabilities, which trains on nonsense"
    )
    return UsageError(
        f"y must be integer class labels for {name}, got {describe(y)}, and the model gives one "
        f"output per example (y_hat of shape {tuple(y_hat.shape)}): {why}; "
        f"{one_output_per_class_fix(y_hat)}, and pass {fix} (for a regression, use a regression "
        "loss such as nn.MSELoss())"
    )


def explain_class_labels(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError | None:
    """Return the error for targets ``y`` that are not class labels of a classifier's scores (B, C)."""
    B, C = y_hat.shape
    if y.is_floating_point() and y.shape == y_hat.shape:
        return None  # class probabilities (B, C)
    numbers = not (y.dtype == torch.bool or y.is_complex())
    if numbers and y.ndim == 2 and y.shape[0] == B and y.shape[1] not in (1, C):
        # a row of K values per example: one-hot labels or probabilities of K classes; their
        # argmax, labels 0..K-1, fits C outputs only where K < C
        K = y.shape[1]
        argmax = ", or pass y.argmax(1)" if K < C else ", one per class"
        return UsageError(
            f"y must be class indices of shape ({B},) and an integer dtype, or class probabilities "
            f"of the output's shape ({B}, {C}), got {describe(y)}: {K} values per example (one-hot "
            f"labels of {K} classes?) for the model's {counted(C, 'output')}; give the model {K} "
            f"outputs{argmax}"
        )
    if y.is_floating_point() and y.ndim != 1:
        return UsageTypeError(
            f"y must be class indices of shape ({B},) and an integer dtype (or class probabilities "
            f"of the output's shape ({B}, {C})), got {describe(y)}; use y.reshape(-1).long()"
        )
    if y.shape == y_hat.shape and numbers:
        return UsageTypeError(
            f"y must be class indices of shape ({B},), or float class probabilities of the "
            f"output's shape ({B}, {C}), got {describe(y)} (one-hot labels?); use y.argmax(dim=1) "
            "(or y.float() as probabilities)"
        )
    try:
        check_label_tensor("y", y)  # an integer dtype, shape (B,)
    except UsageError as usage:
        return usage
    return _class_label_value_error(loss, y, C)


def _negative_labels_fix(span: int, C: int, *, signs: bool) -> str:
    """Return the fix for labels below 0, ``span`` values from the lowest to the highest (``signs``:
    ±1 labels), for a model of ``C`` outputs: relabelled from 0, and, where they then make more
    classes than ``C``, one output per class."""
    relabel = "(y + 1) // 2 for ±1 labels" if signs else "y - y.min()"
    classes = 2 if signs else max(span, 2)
    if classes <= C:
        return f"relabel the classes 0..{C - 1}, e.g. with {relabel}"
    return (
        f"relabel them from 0, e.g. {relabel} (classes 0..{classes - 1}), and give the model one "
        f"output per class, e.g. nn.Linear(d, {classes})"
    )


def _without_ignored(y: torch.Tensor, ignore: int | None, C: int) -> torch.Tensor:
    """Return labels ``y`` (B,) less those equal to the loss's ``ignore_index`` outside [0, C)
    (-100), which the loss skips: a -100 beside a 7 was named as the bad label and made the advice
    "classes 0..107, nn.Linear(d, 108)". All of them ignored: ``y`` as it is."""
    if ignore is None or 0 <= ignore < C:
        return y
    kept = y[y != ignore]
    return kept if kept.numel() else y


def _class_label_value_error(loss: Loss, y: torch.Tensor, C: int) -> UsageError | None:
    """Return the error for labels ``y`` (B,) outside [0, C), or of a dtype torch's class losses refuse."""
    if y.numel():
        try:
            judged = _without_ignored(y, ignored(loss), C)
            low, high = (int(v) for v in torch.aminmax(judged))
            # ±1 labels (a margin classifier's): no 0 between them
            signs = (low, high) == (-1, 1) and not bool((judged == 0).any())
        except RuntimeError:  # a device left unusable by the failed kernel: keep the loss's error
            return None
        if low < 0:  # more outputs alone never fit a negative label
            fix = _negative_labels_fix(high - low + 1, C, signs=signs)
        elif high >= C:
            fix = (
                f"relabel the classes 0..{C - 1}, or give the model one output per class"
                if C > 1  # one output scores one class: no labels fit it
                else f"give the model one output per class, e.g. nn.Linear(d, {max(high + 1, 2)})"
                f" for classes 0..{max(high, 1)}"
            )
        if low < 0 or high >= C:
            bad = low if low < 0 else high
            usage = UsageError(
                f"y must hold class indices in [0, {C}) for the model's "
                f"{counted(C, 'output')}, got {bad}; {fix}"
            )
            # the first row holding it, from 0, for the loop's words on which batch it was
            usage.row = int((y == bad).nonzero()[0, 0])  # type: ignore[attr-defined]
            return usage
    # F.cross_entropy's (a partial's) too: it got "check it takes (y_hat, y) in that order"
    name = torch_class_loss_name(loss)
    if name is not None and y.dtype not in (torch.int64, torch.uint8):
        return UsageTypeError(
            f"y must be int64 class indices for {name}, got {describe(y)}; use y.long()"
        )
    return None
