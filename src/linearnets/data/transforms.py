"""The few torchvision transforms the book uses on Fashion-MNIST: ``ToTensor``, ``Resize``, ``Compose``.

They behave like torchvision's for the images this package meets (PIL images, uint8 and float
arrays, float tensors), so ``FashionMNIST(transform=Compose([Resize(64), ToTensor()]))`` reads as in
the book without torchvision installed. ``ToTensor`` (from :mod:`linearnets.data.to_tensor`) and
``Normalize`` (from :mod:`linearnets.data.normalize`) are
importable from here too. See D2L §3.5.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from linearnets.config_checks import MAX_BATCH_BYTES
from linearnets.data.normalize import Normalize
from linearnets.data.to_tensor import ToTensor
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import check_positive_int, describe

__all__ = ["Compose", "Normalize", "Resize", "ToTensor"]


class Resize:
    """Resample an image to ``size``: (h, w), or an int for the shorter side (aspect ratio kept).

    Tensors [..., H, W] ((H, W), (C, H, W), (B, C, H, W), ...) use antialiased bilinear interpolation,
    as torchvision does and as :class:`~linearnets.data.loader.ArrayLoader` does per batch; PIL images
    use PIL's bilinear filter. float16 and bfloat16 tensors are resampled in float32 and cast back,
    integer ones rounded back into their dtype's range (as torchvision does); bool and complex ones
    are refused (as torchvision does).

    Args:
        size: the output (h, w), or the length of the shorter side (an int, or a sequence of one).
        antialias: torchvision's switch, for tensors only: True (the default) antialiases; False or
            None (torchvision's legacy value, False for tensors) interpolates plainly, as
            ``F.interpolate(..., antialias=False)``. PIL images are always antialiased, as in
            torchvision, since PIL offers no other bilinear filter.

    See D2L §3.5.1.
    """

    def __init__(self, size: int | Sequence[int], *, antialias: bool | None = True) -> None:
        if isinstance(size, Sequence) and not isinstance(size, str) and len(size) == 1:
            size = size[0]  # torchvision reads a one-item sequence as the shorter side's length
        if isinstance(size, int) and not isinstance(size, bool):
            self.size: int | tuple[int, int] = check_positive_int("size", size)
        elif isinstance(size, Sequence) and len(size) == 2:
            h, w = (check_positive_int("size", s) for s in size)
            self.size = (h, w)
        else:
            raise UsageTypeError(
                f"size must be a positive int or a pair (h, w), got {describe(size)}; "
                "pass e.g. Resize(64)"
            )
        if antialias is not None and not isinstance(antialias, bool):
            raise UsageTypeError(
                f"antialias must be True, False or None, got {describe(antialias)}; pass e.g. "
                "Resize(64, antialias=True)"
            )
        self.antialias = antialias

    def _output_size(self, height: int, width: int) -> tuple[int, int]:
        if isinstance(self.size, tuple):
            return self.size
        # torchvision's rule: the shorter side becomes ``size``, the longer one keeps the ratio
        if height <= width:
            return self.size, int(self.size * width / height)
        return int(self.size * height / width), self.size

    def _check_output(self, given: str, output: str, values: int) -> None:
        """Refuse an output of more than :data:`~linearnets.config_checks.MAX_BATCH_BYTES` as float32."""
        nbytes = values * 4
        if nbytes <= MAX_BATCH_BYTES:
            return
        raise UsageError(
            f"size must keep the resized image within 2 GiB ({MAX_BATCH_BYTES:,} bytes) of float32 "
            f"values, got Resize(size={self.size}) of {given}, which would make {output}: "
            f"{nbytes:,} bytes ({nbytes / 2**30:.2f} GiB); pass a smaller size, e.g. Resize(224)"
        )

    def __call__(self, img: Any) -> Any:
        """Return ``img`` resampled, of the same kind (PIL image or tensor, dtype kept)."""
        if hasattr(img, "getbands"):
            return self._resize_image(img)
        if not isinstance(img, torch.Tensor) or img.ndim < 2:
            raise UsageTypeError(
                "img must be a PIL image or a tensor [..., H, W] such as (H, W), (C, H, W) or "
                f"(B, C, H, W), got {describe(img)}"
            )
        if img.dtype == torch.bool or img.is_complex():  # torchvision refuses them too
            raise UsageTypeError(
                f"img must hold real pixel values (float or integer), got {describe(img)}; "
                "convert a mask with img.to(torch.uint8) * 255, or img.float()"
            )
        return self._resize_tensor(img)

    def _resize_image(self, img: Any) -> Any:
        """Return the PIL image ``img`` resampled with PIL's bilinear filter."""
        from PIL import Image

        h, w = self._output_size(img.height, img.width)
        bands = len(img.getbands())
        self._check_output(
            f"a {img.width}×{img.height} {img.mode} image",
            f"a {w}×{h} image of {bands} channel(s)",
            bands * h * w,
        )
        return img.resize((w, h), Image.Resampling.BILINEAR)

    def _resize_tensor(self, img: torch.Tensor) -> torch.Tensor:
        """Return the real tensor ``img`` [..., H, W] resampled, its dtype kept."""
        size = self._output_size(*img.shape[-2:])
        shape = (*img.shape[:-2], *size)
        self._check_output(describe(img), f"a tensor of shape {shape}", math.prod(shape))
        # each (H, W) plane is resampled on its own, so every leading dimension folds into one
        planes = img.reshape(-1, 1, *img.shape[-2:])  # (B*C, 1, H, W)
        if img.dtype in (torch.float32, torch.float64):
            x = planes
        elif img.is_floating_point():
            x = planes.to(torch.float32)  # float16/bfloat16, as torchvision: CPU kernels lack them
        else:
            x = planes.to(_float_for(img.dtype))
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
        extra = "" if self.antialias is True else f", antialias={self.antialias}"
        return f"Resize(size={self.size}{extra})"


def _float_for(dtype: torch.dtype) -> torch.dtype:
    """Return the float dtype integer pixels are resampled in: float32, as torchvision does, where it
    holds every value exactly (8 and 16 bits), float64 for int32 and int64."""
    return torch.float32 if torch.iinfo(dtype).bits <= 16 else torch.float64


class Compose:
    """Apply ``transforms`` one after another, like ``torchvision.transforms.Compose``.

    See D2L §3.5.1.
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        if not isinstance(transforms, Sequence):
            raise UsageTypeError(
                f"transforms must be a list of transforms, got {describe(transforms)}; "
                "pass e.g. Compose([ToTensor()])"
            )
        for i, t in enumerate(transforms):
            if not callable(t):
                raise UsageTypeError(
                    f"transforms[{i}] must be callable, got {describe(t)}; pass e.g. [ToTensor()]"
                )
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        """Return ``img`` passed through every transform in order."""
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"
