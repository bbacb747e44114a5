"""torchvision's ``Resize`` and its ``InterpolationMode``, bilinear only: what the book resizes with.

Re-exported by :mod:`linearnets.data.transforms` (and ``linearnets.torchvision.transforms``), where the
book imports it. Its arguments, ``InterpolationMode`` among them, are read by
:mod:`linearnets.data.resize_options`. See D2L §3.5.1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from linearnets._text import gib_past
from linearnets._warn import warn
from linearnets.config_checks import MAX_BATCH_BYTES
from linearnets.data.resize_options import (
    InterpolationMode,
    bilinear,
    parse_antialias,
    parse_max_size,
    parse_size,
)
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import describe

__all__ = ["InterpolationMode", "Resize"]


# torchvision's words (and category, UserWarning) for antialias=False given with a PIL image
_PIL_ANTIALIAS_IGNORED = (
    "Anti-alias option is always applied for PIL Image input. Argument antialias is ignored."
)


class Resize(torch.nn.Module):
    """Resample an image to ``size``: (h, w), or an int for the shorter side (aspect ratio kept).

    An ``nn.Module``, as torchvision's: ``Resize(64).forward(img)`` is ``Resize(64)(img)``, and it
    goes into an ``nn.Sequential`` (torchvision's advice for scripting transforms).

    Tensors [..., H, W] ((C, H, W), (B, C, H, W), ...) use antialiased bilinear interpolation, as
    torchvision does; PIL images use PIL's bilinear filter (Pillow itself takes the nearest pixel
    for modes "1" and "P", whose values are no intensities, as torchvision's Resize then does; and
    :class:`~linearnets.data.loader.ArrayLoader` gives its uint8 batches those same pixels:
    :mod:`linearnets.data.resample`). float16 and bfloat16 tensors are resampled in float32 and cast back,
    integer ones rounded back into their dtype's range. Deliberate differences from torchvision,
    which resamples every integer dtype in float32 and rounds only uint8 and the signed ones:
    int32 and int64 are resampled in float64 (exact for int32's values, and int64's up to 2**53:
    beyond, to float64's spacing, 2048 at the ends), uint16 is rounded too (it
    truncates), and every integer result is clamped to its dtype's range; (H, W) tensors are
    taken (torchvision refuses them), and bool and complex tensors
    are refused (torchvision resizes them: bilinear weights blend a mask's pixels and its cast back
    to bool makes each blend True, so a mask grows; complex values are no image).
    An image of no rows or no columns is refused (torchvision fails on it, dividing by zero, or
    makes a black PIL image of the size asked); no planes at all ((0, C, H, W), as torchvision, or
    (0, H, W), which it refuses) give an empty result.
    A result that would take more than 2 GiB while made is refused (as many bytes a value as the
    resampling holds at once: 8 for float64, 4 + 1 for uint8 resampled in float32; for PIL images
    4 a channel, the float32 tensor ``ToTensor`` makes next), before any memory is taken.

    Args:
        size: the output (h, w), or the length of the shorter side (an int, or a sequence of one).
            Kept as given in ``.size`` and the ``repr``, as torchvision keeps it, and read at
            each call as there (so are ``max_size``, ``antialias`` and ``interpolation``): one
            assigned later is used, and checked.
        interpolation: bilinear, the only filter provided (the book's and torchvision's default):
            ``InterpolationMode.BILINEAR`` or Pillow's ``Image.BILINEAR``; others are refused.
        max_size: with an int ``size``, the most the longer side may be (> ``size``): a longer
            result is shrunk to it, the ratio kept, as in torchvision. ``None``: no limit.
        antialias: torchvision's switch, for tensors only: True (the default) antialiases; False or
            None (torchvision's legacy value, False for tensors) interpolates plainly, as
            ``F.interpolate(..., antialias=False)``. PIL images are always antialiased, as in
            torchvision, since PIL offers no other bilinear filter: False warns so (a
            UserWarning, torchvision's), when the image's size changes.

    See D2L §3.5.1.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool | None = True,
    ) -> None:
        super().__init__()
        self.size = size  # as given: torchvision keeps [40] a list, (h, w) a tuple
        self.interpolation = bilinear(interpolation)
        self.max_size = parse_max_size(max_size, parse_size(size))
        self.antialias = parse_antialias(antialias)

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        # read at each call, as torchvision reads them: a .size or .max_size assigned later is used
        size = parse_size(self.size)
        max_size = parse_max_size(self.max_size, size)
        if isinstance(size, tuple):
            return size
        # torchvision's rule: the shorter side becomes ``size``, the longer one keeps the ratio
        # (truncated); a longer side over max_size becomes max_size, the shorter one shrunk with it
        short, long = sorted((height, width))
        new_short, new_long = size, int(size * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        if new_short < 1:
            raise UsageError(
                f"max_size must leave the shorter side at least 1 pixel, got {self!r} for an "
                f"image of {height}×{width}, whose shorter side would be 0; pass a larger "
                "max_size, or max_size=None"
            )
        return (new_short, new_long) if height <= width else (new_long, new_short)

    def _check_output(self, given: str, output: str, nbytes: int) -> None:
        """Refuse an output of more than :data:`~linearnets.config_checks.MAX_BATCH_BYTES`."""
        if nbytes <= MAX_BATCH_BYTES:
            return
        raise UsageError(
            f"size must keep the resized image within 2 GiB ({MAX_BATCH_BYTES:,} bytes), got "
            f"Resize(size={self.size}) of {given}, which would make {output}: {nbytes:,} bytes "
            f"({gib_past(nbytes, MAX_BATCH_BYTES, decimals=2)}); pass a smaller size, e.g. "
            "Resize(224)"
        )

    def forward(self, img: Any) -> Any:
        """Return ``img`` resampled, of the same kind (PIL image or tensor, dtype kept)."""
        bilinear(self.interpolation)  # a filter or switch assigned later is checked, as size is
        parse_antialias(self.antialias)
        if hasattr(img, "getbands"):
            _check_sides(img.height, img.width, f"a PIL image of mode {img.mode}")
            return self._resize_image(img)
        if isinstance(img, np.ndarray):  # torchvision refuses arrays too
            raise UsageTypeError(
                "img must be a PIL image or a tensor [..., H, W], got a NumPy array of shape "
                f"{img.shape} and dtype {img.dtype}; convert it first: Image.fromarray(img) for a "
                "uint8 (H, W) or (H, W, C) image, or ToTensor() before Resize, as in "
                "Compose([ToTensor(), Resize(64)])"
            )
        if not isinstance(img, torch.Tensor) or img.ndim < 2:
            raise UsageTypeError(
                "img must be a PIL image or a tensor [..., H, W] such as (H, W), (C, H, W) or "
                f"(B, C, H, W), got {describe(img)}"
            )
        # refused on purpose (torchvision resizes them): see the class docstring
        if img.dtype == torch.bool or img.is_complex():
            raise UsageTypeError(
                f"img must hold real pixel values (float or integer), got {describe(img)}; "
                "convert a mask with img.to(torch.uint8) * 255, or img.float()"
            )
        height, width = img.shape[-2:]
        _check_sides(height, width, describe(img))
        return self._resize_tensor(img)

    def _resize_image(self, img: Any) -> Any:
        """Return the PIL image ``img`` resampled with PIL's bilinear filter."""
        from PIL import Image

        h, w = self._output_size(img.height, img.width)
        if (h, w) == (img.height, img.width):
            return img  # as torchvision: already that size, the image itself
        bands = len(img.getbands())
        # counted as the float32 tensor ToTensor makes of it next in every book pipeline: more
        # than Pillow holds while resampling (1 to 4 bytes a pixel, 8 for LA and RGBA, which it
        # resamples premultiplied and converts back)
        self._check_output(
            f"a {img.height}×{img.width} (H×W) {img.mode} image",
            f"a {h}×{w} {img.mode} image ({bands} channel{'s' * (bands > 1)} of 4 bytes as "
            "float32, as ToTensor makes it)",
            bands * 4 * h * w,
        )
        if self.antialias is False:  # as torchvision warns
            warn(_PIL_ANTIALIAS_IGNORED, UserWarning)
        return img.resize((w, h), Image.Resampling.BILINEAR)

    def _resize_tensor(self, img: torch.Tensor) -> torch.Tensor:
        """Return the real tensor ``img`` [..., H, W] resampled, its dtype kept."""
        size = self._output_size(*img.shape[-2:])
        if size == tuple(img.shape[-2:]):
            return img  # as torchvision: already that size, the tensor itself (no copy)
        shape = (*img.shape[:-2], *size)
        per_value, sizes = _bytes_a_value(img.dtype)
        self._check_output(
            describe(img),
            f"a {str(img.dtype).removeprefix('torch.')} tensor of shape {shape} ({sizes})",
            math.prod(shape) * per_value,
        )
        # each (H, W) plane is resampled on its own, so every leading dimension folds into one
        planes = img.reshape(-1, 1, *img.shape[-2:])  # (B*C, 1, H, W)
        x = planes.to(_working_dtype(img.dtype))  # no copy for float32 and float64
        out = F.interpolate(
            x,
            size=size,
            mode="bilinear",
            antialias=bool(self.antialias),  # None is torchvision's False for tensors
            align_corners=False,
        )
        if not img.is_floating_point():  # integer pixels: rounded into the dtype's range
            info = torch.iinfo(img.dtype)
            # the largest float at most info.max: float(2**63 - 1) rounds up, and would overflow
            high = (
                float(info.max) if int(float(info.max)) <= info.max else math.nextafter(info.max, 0)
            )
            out = out.round_().clamp_(info.min, high)
        return out.to(img.dtype).reshape(shape)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


def _check_sides(height: int, width: int, given: str) -> None:
    """Refuse an image of no rows or no columns: no pixel to resample from."""
    if height > 0 and width > 0:
        return
    raise UsageError(
        f"img must be at least 1×1 pixels (H×W) to be resampled, got {given}, of {height}×{width}; "
        "pass a non-empty image (check the crop or slice that made it)"
    )


def _working_dtype(dtype: torch.dtype) -> torch.dtype:
    """Return the float dtype a tensor of ``dtype`` is resampled in: its own for float32 and
    float64; float32 for float16 and bfloat16 (as torchvision: CPU kernels lack them) and for 8-
    and 16-bit integers (exact for their values); float64 for int32 and int64 (torchvision uses
    float32 for all integers)."""
    if dtype in (torch.float32, torch.float64):
        return dtype
    if dtype.is_floating_point or torch.iinfo(dtype).bits <= 16:
        return torch.float32
    return torch.float64


def _bytes_a_value(dtype: torch.dtype) -> tuple[int, str]:
    """Return the bytes each output value of ``dtype`` takes at once while resampled, and how: the
    resampled value's (:func:`_working_dtype`), plus its cast back's where that is another dtype."""
    work = _working_dtype(dtype)
    if work == dtype:
        return work.itemsize, f"{work.itemsize} bytes a value"
    shown = str(work).removeprefix("torch.")
    return (
        work.itemsize + dtype.itemsize,
        f"resampled in {shown}, then cast back: {work.itemsize} + {dtype.itemsize} bytes a value",
    )
