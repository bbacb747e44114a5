"""``Resize``'s arguments read as torchvision reads them: ``size``, ``interpolation`` (its
:class:`InterpolationMode`, bilinear the only filter provided), ``max_size`` and ``antialias``
(D2L §3.5.1); a value torchvision would refuse, or linearnets cannot honour, is refused naming the fix.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from enum import Enum
from typing import Any

from linearnets._pip_words import pip_install
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import check_positive_int, describe

__all__ = ["InterpolationMode", "bilinear", "parse_antialias", "parse_max_size", "parse_size"]


class InterpolationMode(Enum):
    """torchvision's names for the interpolation filters; :class:`Resize` provides ``BILINEAR``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's filter constants (Image.NEAREST, ..., Image.Resampling.*), which torchvision also takes:
# ints (an IntEnum), so known here without importing PIL
_PIL_FILTERS = {0: "NEAREST", 1: "LANCZOS", 2: "BILINEAR", 3: "BICUBIC", 4: "BOX", 5: "HAMMING"}


_SIZE_FIX = "pass e.g. Resize(64) (the shorter side's length) or Resize((64, 32)) (h, w)"


def parse_size(size: Any) -> int | tuple[int, int]:
    """Return ``size`` as the shorter side's length (an int, or a one-item sequence) or (h, w)."""
    one = isinstance(size, Sequence) and not isinstance(size, str) and len(size) == 1
    short = size[0] if one else size  # a one-item sequence: the shorter side
    if not one and isinstance(short, numbers.Integral) and not isinstance(short, bool):
        return check_positive_int("size", short, fix=_SIZE_FIX)  # NumPy's integers too
    if one or (isinstance(size, Sequence) and not isinstance(size, str) and len(size) == 2):
        try:
            sides = tuple(check_positive_int("size", s, fix=_SIZE_FIX) for s in size)
        except UsageError as exc:  # UsageTypeError for a float side: the same kind, the whole value
            raise type(exc)(
                "size must be a positive integer or a pair (h, w) of them, got "
                f"{describe(size)}; {_SIZE_FIX}"
            ) from None
        return sides[0] if one else (sides[0], sides[1])
    raise UsageTypeError(
        f"size must be a positive int or a pair (h, w), got {describe(size)}; pass e.g. Resize(64)"
    )


def parse_antialias(antialias: Any) -> bool | None:
    """Return ``antialias`` if it is True, False or None (torchvision's values), else refuse it."""
    if antialias is not None and not isinstance(antialias, bool):
        raise UsageTypeError(
            f"antialias must be True, False or None, got {describe(antialias)}; pass e.g. "
            "Resize(64, antialias=True)"
        )
    return antialias


def bilinear(interpolation: Any) -> InterpolationMode:
    """Return ``InterpolationMode.BILINEAR`` for either spelling of it, else refuse the filter."""
    if (
        interpolation is InterpolationMode.BILINEAR
        or getattr(interpolation, "value", None) == "bilinear"
    ):
        return InterpolationMode.BILINEAR  # ours, or torchvision's own when both are installed
    is_int = isinstance(interpolation, int) and not isinstance(interpolation, bool)
    if is_int and interpolation == 2:  # Pillow's Image.BILINEAR (Image.Resampling.BILINEAR)
        return InterpolationMode.BILINEAR
    if isinstance(interpolation, InterpolationMode) or (is_int and interpolation in _PIL_FILTERS):
        shown = (
            f"InterpolationMode.{interpolation.name}"
            if isinstance(interpolation, InterpolationMode)
            else f"Image.{_PIL_FILTERS[interpolation]}"
        )
        raise UsageError(
            f"interpolation must be bilinear, the only filter linearnets provides (the book's and "
            f"torchvision's default), got {shown}; pass interpolation=InterpolationMode.BILINEAR "
            f"(or leave it out), or install torchvision ({pip_install('torchvision')}) for other "
            "filters"
        )
    raise UsageTypeError(
        "interpolation must be InterpolationMode.BILINEAR or Pillow's Image.BILINEAR, got "
        f"{describe(interpolation)}; pass interpolation=InterpolationMode.BILINEAR (or leave it out)"
    )


def parse_max_size(max_size: Any, size: int | tuple[int, int]) -> int | None:
    """Return ``max_size`` checked against ``size`` (normalized), as torchvision's rule needs it."""
    if max_size is None:
        return None
    if isinstance(size, tuple):  # torchvision refuses it too (when called)
        raise UsageError(
            f"max_size must be None when size is a pair (h, w), got max_size={describe(max_size)} "
            f"with size={size}; pass an int size (the shorter side) to use max_size"
        )
    limit = check_positive_int("max_size", max_size, fix="pass e.g. max_size=None")
    if limit <= size:
        raise UsageError(
            f"max_size must be greater than size (the shorter side's length), got max_size={limit} "
            f"with size={size}; pass e.g. max_size={2 * size}, or max_size=None"
        )
    return limit
