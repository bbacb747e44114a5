"""Fashion-MNIST's classes: torchvision's names, the book's text labels (D2L §3.5.1) and Chinese
label names (as the Chinese edition's text names the classes; its code returns the English ones)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from numbers import Integral
from typing import Any

import numpy as np
import torch

from linearnets.errors import UsageError, UsageTypeError

__all__ = [
    "CLASSES",
    "TEXT_LABELS",
    "TEXT_LABELS_ZH",
    "check_one_per_row",
    "class_names",
    "get_fashion_mnist_labels",
    "one_value",
]

# torchvision's class names, the book's text labels, then Chinese label names (as the Chinese
# edition's prose names the classes: its get_fashion_mnist_labels returns the English ones)
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")  # fmt: skip
TEXT_LABELS_ZH = ("T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴")


def get_fashion_mnist_labels(
    labels: Iterable[Any] | torch.Tensor | np.ndarray | int | np.integer[Any], *, lang: str = "en"
) -> list[str]:
    """Return the book's text label of each class index; ``lang="zh"`` gives Chinese label names.

    Args:
        labels: class indices in [0, 10): a tensor or NumPy array (N,) or (N, 1) (one value per
            row, as the book's ``int(i)`` reads each), a sequence of ints (or of one-value
            tensors/arrays, as ``list(y)`` gives), or one int (a list of one name comes back).
            Whole-number floats count, as ``int(i)`` reads them. Rows of several values (one-hot
            labels, scores) are refused: pass ``labels.argmax(dim=1)``.
        lang: "en" for the book's English labels, "zh" for Chinese label names (as the
            Chinese edition's text names the classes; its code returns the English ones).

    Returns:
        One label per index, in order.

    See D2L §3.5.1.
    """
    return class_names(labels, lang=lang)


# what a label out of [0, 10) is told: the classes get_fashion_mnist_labels names
_OUT_OF_RANGE_FIX = "pass Fashion-MNIST labels such as y from a batch"


def class_names(
    labels: Iterable[Any] | torch.Tensor | np.ndarray | int | np.integer[Any],
    *,
    lang: str = "en",
    name: str = "labels",
    where: str = "",
    fix: str = _OUT_OF_RANGE_FIX,
) -> list[str]:
    """Return :func:`get_fashion_mnist_labels` of ``labels``, refused as the caller's ``name``
    (``y`` of a batch ``where`` says, e.g. " of test_iter's first batch"), a label out of range
    told ``fix``."""
    names = {"en": TEXT_LABELS, "zh": TEXT_LABELS_ZH}.get(lang)
    if names is None:
        raise UsageError(
            f"lang must be 'en' or 'zh', got {lang!r}; pass lang='en' for the book's English labels "
            "or lang='zh' for Chinese label names"
        )
    if isinstance(labels, torch.Tensor | np.ndarray):
        check_one_per_row(labels, name, where=where)
        values = labels.reshape(-1).tolist()
    elif isinstance(labels, Integral | float | np.floating) and not isinstance(labels, bool):
        # one label, as a 0-d tensor gives: a list of one name; np.float32(3.0) read as 3.0
        values = [labels.item() if isinstance(labels, np.generic) else labels]
    elif isinstance(labels, str | bytes | Mapping | AbstractSet) or not hasattr(labels, "__iter__"):
        # a dict would give its keys, a set its values in no set order: neither is a row of labels
        raise UsageTypeError(
            f"{name}{where} must be class indices (a tensor, list or one int), got "
            f"{type(labels).__name__} {labels!r:.40}; pass e.g. y from a batch, or [3]"
        )
    else:
        values = [one_value(i, value, name) for i, value in enumerate(labels)]
    return [names[_class_index(value, len(names), name, where, fix)] for value in values]


def _class_index(value: Any, count: int, name: str, where: str, fix: str) -> int:
    """Return ``value`` as a class index in [0, ``count``): an int, or a whole float (9.0 is class
    9, as the book's ``text_labels[int(i)]`` reads it; a NumPy float of any width, longdouble too,
    read as a float); a bool, a fraction or a number out of range is refused, each by the rule it
    breaks, the number shown as given (``1e+300``, ``10.0``), the labels named ``name`` (of the
    batch ``where`` says), one out of range told ``fix``."""
    subject = f"{name}{where}"
    if isinstance(value, bool):
        raise UsageTypeError(
            f"{subject} must be class indices, whole numbers and not bools, got {value!r}; pass the "
            "class indices themselves, such as y from a batch, not the bools of a comparison "
            "(y == 3); to read False as class 0 and True as class 1, convert them first: "
            f"torch.as_tensor({name}).long()"
        )
    if isinstance(value, np.floating):  # np.longdouble's .item() is a longdouble, no float
        value = float(value)
    given = value  # as the message shows it: 1e+300, not its 301 digits as an int
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):  # a fraction, NaN or inf
        raise UsageError(
            f"{subject} must be class indices, whole numbers, got {value!r}; pass each example's "
            "class, not a score or probability: y from a batch, or the predicted classes "
            "y_hat.argmax(1)"
        )
    if not isinstance(value, Integral):
        raise UsageTypeError(
            f"{subject} must be class indices, whole numbers, got {type(value).__name__} "
            f"{value!r:.40}; pass Fashion-MNIST labels such as y from a batch"
        )
    if not 0 <= int(value) < count:
        raise UsageError(f"{subject} must be class indices in [0, {count}), got {given!r}; {fix}")
    return int(value)


def check_one_per_row(
    labels: torch.Tensor | np.ndarray,
    name: str = "labels",
    what: str = "class indices",
    *,
    where: str = "",
) -> None:
    """Refuse a tensor or array whose rows hold several values (one-hot labels, scores), which the
    book's ``int(i)`` refuses too, rather than reading every value as a label; ``name`` is the
    caller's parameter (``y`` of the batch ``where`` names), ``what`` the values it takes
    (``plot_predictions``'s ``pred_labels``)."""
    shape = tuple(labels.shape)
    if len(shape) < 2 or math.prod(shape[1:]) == 1:
        return
    kind, dim = ("tensor", "dim=1") if isinstance(labels, torch.Tensor) else ("array", "axis=1")
    if len(shape) == 2:
        fix = (
            f"pass {name}.argmax({dim}) for one-hot labels or class scores (each row's class), or "
            f"{name}.reshape(-1) if every value is a label"
        )
    else:
        fix = "pass one class index per image, e.g. the argmax over the class dimension"
    raise UsageError(
        f"{name}{where} must be {what} (N,) or (N, 1), one per row, got a {kind} of shape {shape}, "
        f"whose rows hold {math.prod(shape[1:])} values; {fix}"
    )


def one_value(i: int, value: Any, name: str = "labels", what: str = "one class index") -> Any:
    """Return the number a one-value tensor or NumPy array/scalar holds, as ``int(i)`` reads it;
    any other value as it is. ``value`` is ``name[i]``, one of ``what`` (the refusal's words)."""
    if isinstance(value, torch.Tensor):
        count = value.numel()
    elif isinstance(value, np.ndarray | np.generic):
        count = value.size
    else:
        return value
    if count == 1:
        return value.item()  # a Python int, float or bool, then checked like any other label
    if isinstance(value, torch.Tensor):
        cat, stack, dim = "torch.cat", "torch.stack", "dim=1"
    else:
        cat, stack, dim = "np.concatenate", "np.stack", "axis=1"
    raise UsageError(
        f"{name}[{i}] must be {what}, got a {type(value).__name__} of shape "
        f"{tuple(value.shape)}; pass one index per label, e.g. {cat}(ys) for a list of label "
        f"batches, or {stack}(rows).argmax({dim}) for one-hot or score rows"
    )
