"""Fashion-MNIST's classes: torchvision's names and the book's text labels, English and Chinese
(D2L §3.5.1)."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

import torch

from linearnets.errors import UsageError, UsageTypeError

__all__ = ["CLASSES", "TEXT_LABELS", "TEXT_LABELS_ZH", "get_fashion_mnist_labels"]

# torchvision's class names, then the book's text labels (English and Chinese editions)
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")  # fmt: skip
TEXT_LABELS_ZH = ("T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴")


def get_fashion_mnist_labels(
    labels: Iterable[int] | torch.Tensor, *, lang: str = "en"
) -> list[str]:
    """Return the book's text label of each class index; ``lang="zh"`` gives the Chinese edition's.

    ``labels`` is a tensor (any shape, read in order), a sequence of ints, or one int (a list of one
    name comes back).

    See D2L §3.5.1.
    """
    names = {"en": TEXT_LABELS, "zh": TEXT_LABELS_ZH}.get(lang)
    if names is None:
        raise UsageError(f"lang must be 'en' or 'zh', got {lang!r}")
    if isinstance(labels, torch.Tensor):
        values = labels.reshape(-1).tolist()
    elif isinstance(labels, Integral | float) and not isinstance(labels, bool):
        values = [labels]  # one label, as a 0-d tensor gives: a list of one name
    elif isinstance(labels, str | bytes) or not hasattr(labels, "__iter__"):
        raise UsageTypeError(
            f"labels must be class indices (a tensor, list or one int), got "
            f"{type(labels).__name__} {labels!r:.40}; pass e.g. y from a batch, or [3]"
        )
    else:
        values = list(labels)
    out = []
    for value in values:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 9.0 is class 9, as the book's text_labels[int(i)] reads it
        if (
            isinstance(value, bool)
            or not isinstance(value, Integral)
            or not 0 <= int(value) < len(names)
        ):
            raise UsageError(
                f"labels must be class indices in [0, {len(names)}), got {value!r}; "
                "pass Fashion-MNIST labels such as y from a batch"
            )
        out.append(names[int(value)])
    return out
