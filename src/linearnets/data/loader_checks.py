"""What :class:`~linearnets.data.loader.ArrayLoader` is given, checked before it holds anything:
the tensors, the resize, the rank, the image dtype, the number of classes (D2L §3.5.3).

The size of its largest batch is checked in :mod:`linearnets.data.loader` itself, against
:data:`~linearnets.config_checks.MAX_BATCH_BYTES`.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Sequence
from typing import Any

import torch

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_finite,
    check_holds_values,
    check_positive_int,
    describe,
)

__all__ = [
    "check_classes",
    "check_image_dtype",
    "check_num_workers",
    "check_rank",
    "check_tensors",
    "checked_num_classes",
    "resize_size",
]


def check_tensors(
    features: torch.Tensor, labels: torch.Tensor, size: tuple[int, int] | None
) -> None:
    """Refuse features (N, ...) and labels (N,) :class:`ArrayLoader` cannot batch, NaN or inf in
    float ones (found here once, not an epoch later as NaN scores), or resizing (to ``size``) what
    is not uint8 images."""
    if not isinstance(features, torch.Tensor) or not isinstance(labels, torch.Tensor):
        raise UsageError(
            "features and labels must be torch tensors; convert them with torch.as_tensor"
        )
    check_holds_values("features", features)  # a meta tensor: no labels to count, no values
    check_holds_values("labels", labels)
    if features.dtype != torch.uint8 and not features.is_floating_point():
        raise UsageError(
            f"features must be uint8 images or a floating-point tensor, got dtype {features.dtype}; "
            "convert with .float()"
        )
    if (
        features.ndim < 2
        or labels.ndim < 1
        or features.shape[0] != labels.shape[0]
        or features.shape[0] == 0
    ):
        raise UsageError(
            f"features and labels must share a non-zero first dimension, got shapes "
            f"{tuple(features.shape)} and {tuple(labels.shape)}"
        )
    if features.dtype == torch.uint8 and features.ndim != 3:
        # the channel axis is added per batch: other shapes would come out 5-d or 3-d
        raise UsageError(
            "features of dtype uint8 must be grayscale images (N, H, W), yielded as float32 "
            f"(B, 1, H, W), got shape {tuple(features.shape)}; pass (N, H, W) images, e.g. "
            "features[:, 0] for (N, 1, H, W), or convert to float yourself (features.float() / 255), "
            "which is yielded in its own shape"
        )
    if not labels.is_floating_point() and labels.ndim != 1:
        raise UsageError(f"labels must be 1-d class indices (N,), got shape {tuple(labels.shape)}")
    check_finite("features", features)  # float ones: uint8 images are finite
    check_finite("labels", labels)  # float (regression) targets
    if (
        size is not None and features.dtype != torch.uint8
    ):  # uint8 ones are (N, H, W), checked above
        raise UsageError(f"resize applies to uint8 images (N, H, W), got {tuple(features.shape)}")


def resize_size(resize: Any) -> tuple[int, int] | None:
    """Return the (h, w) images are resampled to: ``None`` keeps them; an int n (or ``[n]``) is
    (n, n), a pair (h, w) itself, as ``transforms.Resize`` reads them on square images."""
    if resize is None:
        return None
    fix = (
        "pass resize=None to keep the images' own size (28×28 for Fashion-MNIST), or a size such "
        "as resize=64 or resize=(64, 32)"
    )
    if isinstance(resize, Sequence) and not isinstance(resize, str | bytes):
        rule = "a positive integer or a pair (h, w) of them"
        if len(resize) not in (1, 2):
            raise UsageTypeError(f"resize must be {rule}, got {describe(resize)}; {fix}")
        try:
            sides = tuple(check_positive_int("resize", side) for side in resize)
        except UsageError as exc:  # UsageTypeError for a float side: the same kind, the whole value
            raise type(exc)(f"resize must be {rule}, got {describe(resize)}; {fix}") from None
        return (sides[0], sides[-1])  # [n] is a square, as for an int
    side = check_positive_int("resize", resize, fix=fix)  # the book's `if resize:` takes 0 as None
    return (side, side)


def checked_num_classes(labels: torch.Tensor, num_classes: int | None) -> int | None:
    """Return ``num_classes`` checked against the labels, or the largest label + 1 when not given."""
    if labels.is_floating_point():
        return None if num_classes is None else check_positive_int("num_classes", num_classes)
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        raise UsageError(f"labels must be class indices >= 0, got {low}; relabel classes as 0..C-1")
    if num_classes is None:
        return high + 1
    num_classes = check_positive_int("num_classes", num_classes)
    if high >= num_classes:
        raise UsageError(
            f"num_classes must exceed every label, got num_classes={num_classes} and a label {high}; "
            f"pass num_classes={high + 1} or more"
        )
    return num_classes


def check_rank(rank: Any, world_size: int) -> int:
    """Return ``rank`` if it is an int in [0, ``world_size``), else raise :class:`UsageError`."""
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
        raise UsageError(f"rank must be in [0, {world_size}), got {rank!r}")
    return rank


def check_image_dtype(image_dtype: Any) -> torch.dtype | None:
    """Return ``image_dtype`` if it is a floating torch dtype or ``None``, else raise
    :class:`UsageTypeError`."""
    if image_dtype is not None and (
        not isinstance(image_dtype, torch.dtype) or not image_dtype.is_floating_point
    ):
        raise UsageTypeError(
            f"image_dtype must be a floating torch dtype or None, got {describe(image_dtype)}; "
            "pass e.g. image_dtype=torch.float32"
        )
    return image_dtype


def check_num_workers(num_workers: Any) -> int:
    """Return ``num_workers`` as an int, raising unless it is an integer >= 0 (accepted for the
    book's signature and kept as the loader's ``num_workers``: slicing needs no workers)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral):
        raise UsageTypeError(
            f"num_workers must be an integer >= 0, got {num_workers!r}; pass e.g. num_workers=4, "
            "the book's (it is accepted for the book's signature: slicing needs no workers)"
        )
    if num_workers < 0:
        raise UsageError(
            f"num_workers must be an integer >= 0, got {num_workers}; pass e.g. num_workers=4"
        )
    return int(num_workers)


def check_classes(
    classes: Any, num_classes: int | None = None, *, asked: bool = True
) -> list[str] | None:
    """Return ``classes`` as a list of names (``None`` as is), raising unless it is a sequence of
    strings (a bare string would be read as one class a letter) and, where there are
    ``num_classes`` classes, one name each (``asked``: num_classes was passed; read from the
    labels, more names are taken, the labels lacking the last classes): ``dataset.classes[y]``
    must name every label ``y``."""
    if classes is None:
        return None
    if (
        isinstance(classes, str)
        or not isinstance(classes, Sequence)
        or not all(isinstance(name, str) for name in classes)
    ):
        raise UsageTypeError(
            f"classes must be a sequence of class names (strings), got {describe(classes)}; "
            "pass e.g. classes=['T-shirt/top', 'Trouser', ...], or None for none"
        )
    names = list(classes)
    # read from the labels, the count is a least: they may lack the last classes ('a subset')
    if num_classes is not None and (
        len(names) < num_classes or (asked and len(names) > num_classes)
    ):
        given = (
            f"num_classes={num_classes}" if asked else f"the labels' classes 0..{num_classes - 1}"
        )
        fix = f"pass {counted(num_classes, 'name')}, one for each class"
        raise UsageError(
            f"classes must name each class once, {counted(num_classes, 'name')} for {given}, got "
            f"{counted(len(names), 'name')} ({reprlib.repr(names)}); {fix}"
        )
    return names
