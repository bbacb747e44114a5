"""Checks of tensors entering the library: dtype, dimensions, class indices, device, finiteness.

torch is imported inside the checks that need its functions: a tensor passed in means it is loaded
already, and importing this module loads nothing (see :mod:`linearnets.validation`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from linearnets._check_basics import _fail, _is_tensor, describe
from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError

if TYPE_CHECKING:
    import torch

__all__ = [
    "check_finite",
    "check_float_tensor",
    "check_holds_values",
    "check_label_range",
    "check_label_tensor",
    "check_labels_device",
    "check_same_length",
    "check_scores_first",
    "is_column",
    "is_one_score_per_label",
    "one_output_per_class_fix",
    "one_score_error",
]


@functools.cache
def _wide_unsigned() -> frozenset[torch.dtype]:
    """The unsigned integer dtypes torch stores but barely computes with (no promotion, no aminmax
    on a CPU)."""
    import torch

    names = ("uint16", "uint32", "uint64")
    return frozenset(d for d in (getattr(torch, name, None) for name in names) if d is not None)


def is_column(t: torch.Tensor) -> bool:
    """Whether ``t`` holds one value per example: shape (B,) or (B, 1)."""
    return t.ndim == 1 or (t.ndim == 2 and t.shape[1] == 1)


def is_one_score_per_label(y_hat: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether a classifier's output ``y_hat`` is one score per example as a vector (B,), the
    book's ``X @ w`` with a weight vector w (d,), for labels ``y`` (B,) or (B, 1) of any dtype."""
    return y_hat.ndim == 1 and y.ndim in (1, 2) and is_column(y) and y.shape[0] == y_hat.shape[0]


def one_output_per_class_fix(y_hat: torch.Tensor) -> str:
    """Return the fix for a classifier's output ``y_hat`` of one score per example, (B, 1) or (B,):
    one output per class (for a vector (B,), a weight matrix, not a vector)."""
    vector = ", or a weight W of shape (d, C), not a vector (d,)" if y_hat.ndim == 1 else ""
    return f"give the model one output per class, e.g. nn.Linear(d, C) for C classes{vector}"


def one_score_error(y_hat: torch.Tensor, y: torch.Tensor) -> UsageError:
    """Return the error for a classifier's output ``y_hat`` of one score per example, (B, 1) or
    (B,), given class labels ``y`` (B,) (or (B, 1)): one output scores one class only."""
    return UsageError(
        f"a classifier's output must be scores of shape (B, C), one per class, got shape "
        f"{tuple(y_hat.shape)} for {counted(y.shape[0], 'label')}: one output scores one "
        f"class only; {one_output_per_class_fix(y_hat)}"
    )


def check_scores_first(function: str, name: str, scores: Any, labels: Any, *, section: str) -> None:
    """Raise where ``function(name, y)`` got integer class labels (B,) or (B, 1) as ``scores`` and
    float scores (B, C) as ``labels``: the arguments in the wrong order (``cross_entropy(y, y_hat)``),
    named as such, not as labels to convert to floats (which, done, leads further astray).

    Float one-hot rows (B, C) for ``labels`` are left to the label check, which turns them into
    class indices; a meta tensor holds no values to tell them apart by."""
    import torch

    if not (_is_tensor(scores) and _is_tensor(labels)):
        return
    int_labels = (
        not (scores.is_floating_point() or scores.is_complex()) and scores.dtype != torch.bool
    )
    float_scores = labels.is_floating_point() and labels.ndim == 2 and labels.shape[1] > 1
    if not (int_labels and is_column(scores) and float_scores):
        return
    if not labels.is_meta and bool(
        ((labels == 0) | (labels == 1)).all() & (labels.sum(1) == 1).all()
    ):
        return  # one-hot labels
    raise UsageTypeError(
        f"{function} takes the model's outputs {name} (B, C) first, then the labels y (B,), got "
        f"{describe(scores)} as {name} and {describe(labels)} as y: the arguments are in the "
        f"wrong order; call {function}({name}, y) (D2L {section})"
    )


def _check_tensor(name: str, value: Any) -> None:
    if not _is_tensor(value):
        _fail(
            name,
            "a torch.Tensor",
            value,
            f"convert it with torch.as_tensor({name})",
            kind=UsageTypeError,
        )


# the inputs that may be images, whose integer pixels the fix scales too: weights, targets and
# predictions are told only to convert (y.float() / 255 was once suggested for regression targets)
_FEATURE_NAMES = frozenset({"X", "features"})


def check_float_tensor(name: str, value: Any, *, ndim: int | None = None) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor (of ``ndim`` dimensions when given)."""
    _check_tensor(name, value)
    if not value.is_floating_point():
        images = f" (images: {name}.float() / 255)" if name in _FEATURE_NAMES else ""
        _fail(
            name,
            "a floating-point tensor",
            value,
            f"convert it with {name}.float(){images}",
            kind=UsageTypeError,
        )
    if ndim is not None and value.ndim != ndim:
        _fail(name, f"{ndim}-dimensional", value, _reshape_fix(name, value.ndim, ndim))
    return value


def _reshape_fix(name: str, got: int, ndim: int) -> str:
    """Return the reshape that most likely gives a ``got``-dimensional ``name`` its ``ndim`` dimensions."""
    if ndim == 0:
        return f"pass one value, e.g. {name}.reshape(()) for a one-element tensor"
    if got > ndim:
        # e.g. images (B, 1, 28, 28) for a function of (B, n); flatten(1) keeps B, even B = 0
        return f"flatten each example's trailing dimensions with {name}.flatten({ndim - 1})"
    if ndim == 2 and got == 1:  # most often one example's values, for a function of a batch (B, n)
        return f"for one example use {name}.reshape(1, -1), a batch of one"
    ones = ", ".join(["1"] * (ndim - got))
    return f"add the missing leading dimensions with {name}.reshape({ones}, *{name}.shape)"


def check_label_tensor(name: str, value: Any, *, num_classes: int | None = None) -> torch.Tensor:
    """Return ``value`` if it is a 1-d integer tensor of class indices in ``[0, num_classes)``."""
    import torch

    if not isinstance(value, torch.Tensor):
        _fail(
            name,
            "a torch.Tensor of class indices",
            value,
            f"convert it with torch.as_tensor({name})",  # a list of ints gives int64 indices
            kind=UsageTypeError,
        )
    # rows of C > 1 scores or flags are one-hot (or soft) labels: .long() or .reshape(-1) would not do
    one_hot = value.ndim == 2 and value.shape[1] > 1
    to_index = f"use {name}.argmax(dim=1) (one-hot rows to class indices)"
    if value.is_floating_point() or value.dtype == torch.bool or value.is_complex():
        _fail(
            name,
            "an integer tensor of class indices",
            value,
            to_index if one_hot else f"use {name}.long()",
            kind=UsageTypeError,
        )
    if value.dtype in _wide_unsigned():  # torch compares, promotes and reduces none of them
        _fail(
            name,
            "class indices of a signed integer dtype or uint8 (torch has no arithmetic for "
            "uint16/uint32/uint64)",
            value,
            f"use {name}.long()",
            kind=UsageTypeError,
        )
    if value.ndim != 1:
        _fail(name, "1-dimensional (B,)", value, to_index if one_hot else f"use {name}.reshape(-1)")
    if num_classes is not None and value.numel() > 0:
        check_holds_values(name, value)  # a range needs values; see the losses' own skip of meta
        low, high = (int(v) for v in torch.aminmax(value))  # one pass, not two
        check_label_range(name, low, high, num_classes)
    return value


def check_label_range(
    name: str, low: int, high: int, num_classes: int, *, ignore_index: int | None = None
) -> None:
    """Raise :class:`UsageError` unless labels whose extremes are ``low``/``high`` lie in [0, C).

    ``ignore_index``: the label the loss skips (``nn.CrossEntropyLoss``'s, -100 by default): a label
    of that value is named as such, since the loss took it without a word. One inside [0, C) is
    refused whatever the labels: the loss skips a real class's examples while the loop counts
    every example (a loss of 1.06 reported where the kept examples' was 1.09), and whether a batch
    holds one would cost a look at every label of every batch.
    """
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        raise UsageError(
            f"the loss's ignore_index must lie outside the classes [0, {num_classes}) (torch's "
            f"default is -100), got ignore_index={ignore_index}: the loss skips that class's "
            "examples, but the loop's loss and accuracy count every example; leave ignore_index "
            f"out and drop them from the data instead (keep = {name} != {ignore_index}; X, "
            f"{name} = X[keep], {name}[keep])"
        )
    if low >= 0 and high < num_classes:
        return
    if num_classes == 0:  # "in [0, 0)" reads as a range no label could be in: say why
        raise UsageError(
            f"{name} must hold class indices, but the model gives no class scores (0 outputs per "
            "example, e.g. nn.Linear(d, 0)); give it one output per class, e.g. nn.Linear(d, 10)"
        )
    bad = low if low < 0 else high
    if bad == ignore_index:
        raise UsageError(
            f"{name} must hold class indices in [0, {num_classes}), got {bad}, the loss's "
            "ignore_index: the loss skips such examples, but the loop's loss and accuracy count "
            f"every example, so none can be ignored; drop them from the data (keep = {name} != "
            f"{bad}; X, {name} = X[keep], {name}[keep])"
        )
    raise UsageError(
        f"{name} must hold class indices in [0, {num_classes}), got {bad}; check the labels match "
        "the model's number of outputs"
    )


def check_holds_values(name: str, value: torch.Tensor) -> torch.Tensor:
    """Return ``value`` unless it is on the meta device, a shape without values, which nothing that
    reads values (a count, a range, a finiteness check) can use: raise :class:`UsageError` then."""
    if value.is_meta:
        raise UsageError(
            f"{name} must hold values, got a tensor of shape {tuple(value.shape)} on the meta "
            "device (a shape without data); pass one that holds its values, on the CPU or a GPU"
        )
    return value


def check_labels_device(y: torch.Tensor, scores: torch.Tensor, of: str) -> None:
    """Raise :class:`UsageError` unless the labels ``y`` are on the device of ``scores`` (named
    ``of``, e.g. "y_hat"): torch fails on the two in its own words ("Expected all tensors to be
    on the same device"), or, where its indexing moves CPU labels for it, at a later step. Meta
    labels are refused as holding no values; meta ``scores`` are left to the model's checks."""
    if y.device == scores.device or scores.is_meta:
        return
    check_holds_values("y", y)
    what = "targets" if y.is_floating_point() else "labels"
    raise UsageError(
        f"y must be on the device of {of}, {scores.device}, got {what} on {y.device}; move them "
        f"with y.to('{scores.device}') (a batch's X and y belong on the model's device)"
    )


def check_finite(
    name: str, value: torch.Tensor, *, fix: str = "clean or impute the data first"
) -> torch.Tensor:
    """Return ``value`` if every entry is finite, else raise :class:`UsageError` ending in ``fix``
    (data's by default); a tensor on the meta device has no entries to check and is refused
    (:func:`check_holds_values`)."""
    import torch

    check_holds_values(name, value)
    if (value.is_floating_point() or value.is_complex()) and not bool(torch.isfinite(value).all()):
        count = int((~torch.isfinite(value)).sum())
        raise UsageError(
            f"{name} must hold only finite values, got {count} NaN/inf entries in {describe(value)}; "
            f"{fix}"
        )
    return value


def check_same_length(names: Sequence[str], values: Sequence[torch.Tensor]) -> int:
    """Return the common first dimension of ``values``, else raise :class:`UsageError`."""
    for name, value in zip(names, values, strict=True):
        _check_tensor(name, value)
        if value.ndim == 0:
            _fail(
                name, "a tensor with one row per example (n, ...)", value, f"use {name}.reshape(1)"
            )
    lengths = [int(v.shape[0]) for v in values]
    if len(set(lengths)) != 1:
        pairs = ", ".join(f"{n} has {k}" for n, k in zip(names, lengths, strict=True))
        raise UsageError(
            f"{' and '.join(names)} must have the same number of examples (first dimension), "
            f"got {pairs}; pass matching arrays"
        )
    return lengths[0]
