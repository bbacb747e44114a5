"""The few torchvision transforms the book uses on Fashion-MNIST: ``ToTensor``, ``Resize``, ``Compose``.

They behave like torchvision's for the images this package meets (PIL images, uint8 and float
arrays, float tensors), so ``FashionMNIST(transform=Compose([Resize(64), ToTensor()]))`` reads as in
the book without torchvision installed. ``Normalize`` (from :mod:`linearnets.data.normalize`) is
importable from here too. See D2L §3.5.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from linearnets.config_checks import MAX_BATCH_BYTES
from linearnets.data.normalize import Normalize
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import check_positive_int, describe

__all__ = ["Compose", "Normalize", "Resize", "ToTensor"]


class ToTensor:
    """Turn a PIL image, NumPy array or uint8 tensor (H, W) or (H, W, C) into a tensor (C, H, W).

    uint8 pixels become float32 in [0, 1] (divided by 255); float pixels (a float array or a mode "F"
    PIL image) keep their values and dtype, as torchvision keeps them. 16- and 32-bit PIL images
    (modes I;16, I) are refused with a conversion that keeps their values (torchvision returns them
    unscaled as int16, wrapping values over 32767, or int32). Arrays and tensors must be
    channels last, so that no (C, H, W) input is silently transposed: a 3-d one is read as (H, W, C)
    only when C is a channel count (1, 2, 3 or 4: L, LA, RGB, RGBA), and a tensor (torch's layout is
    (C, H, W)) only when H and W are also > 4. A tensor such as ``ds.data[:1]`` (1, 28, 28) is
    refused: it already is channels-first, so ``.float() / 255`` is what converts it. torchvision
    refuses tensors altogether; linearnets takes uint8 (H, W) and (H, W, C) ones because its
    ``FashionMNIST`` hands a transform the uint8 tensor (28, 28) when Pillow is missing.

    See D2L §3.5.1.
    """

    def __call__(self, pic: Any) -> torch.Tensor:
        """Return ``pic`` as (C, H, W): uint8 pixels as float32 / 255, float pixels as they are."""
        if isinstance(pic, torch.Tensor):
            array, kind = pic.detach().cpu(), "tensor"
        elif hasattr(pic, "getbands"):  # a PIL image, without importing PIL
            array = _from_numpy(np.array(pic), "PIL image", mode=str(getattr(pic, "mode", "")))
            kind = "PIL image"
        elif isinstance(pic, np.ndarray):
            array, kind = _from_numpy(np.ascontiguousarray(pic), "array"), "array"
        else:
            raise UsageTypeError(
                f"pic must be a PIL image, a NumPy array or a tensor, got {type(pic).__name__}"
            )
        # torchvision keeps a float array's values; a float tensor needs no ToTensor at all
        keep = array.is_floating_point() and kind != "tensor"
        if array.dtype != torch.uint8 and not keep:
            raise UsageTypeError(_dtype_refusal(kind, tuple(array.shape), str(array.dtype)))
        if array.ndim == 2:
            array = array.unsqueeze(-1)  # (H, W) -> (H, W, 1)
        if array.ndim != 3:
            raise UsageError(
                f"pic must be an image (H, W) or (H, W, C), got {_a(kind)} of shape "
                f"{tuple(array.shape)}; pass one image, not a batch"
            )
        # PIL's layout is known; an array's or a tensor's is read from its shape
        if kind != "PIL image":
            _check_channels_last(tuple(array.shape), kind, scale=not keep)
        chw = array.permute(2, 0, 1)  # (C, H, W)
        if keep:
            return chw.contiguous()
        return chw.to(torch.float32).div_(255).contiguous()

    def __repr__(self) -> str:
        return "ToTensor()"


_PIXEL_DTYPES = (np.uint8, np.float16, np.float32, np.float64)  # those ToTensor converts


def _from_numpy(array: np.ndarray, kind: str, *, mode: str = "") -> torch.Tensor:
    """Return ``array`` as a tensor sharing its memory, or refuse a dtype ToTensor does not convert."""
    if array.dtype not in _PIXEL_DTYPES:  # also those torch cannot hold: strings, objects, ...
        raise UsageTypeError(_dtype_refusal(kind, array.shape, str(array.dtype), mode=mode))
    return torch.from_numpy(array)


def _dtype_refusal(kind: str, shape: tuple[int, ...], dtype: str, *, mode: str = "") -> str:
    """Return the message refusing a ``kind`` of pixels of ``dtype``, with a conversion that keeps
    their values (``mode``: a PIL image's)."""
    rule = "uint8 pixels" if kind == "tensor" else "uint8 or float pixels"
    if kind == "tensor":
        fix = "a float tensor (C, H, W) needs no ToTensor: use it as it is"
    elif kind == "array":
        fix = "convert it with pic.astype(np.uint8) (pixels 0..255) or pic.astype(np.float32)"
    elif dtype == "bool":  # mode "1": one bit per pixel
        fix = "convert it with img.convert('L'), which makes its pixels 0 and 255"
    else:
        # 16- and 32-bit pixels (modes I, I;16, ...): convert('L') would clip them all to 255;
        # torchvision gives them unscaled as int16 (wrapping 16-bit values over 32767) or int32
        fix = (
            "convert it with img.convert('F'), which keeps the values as float32 (ToTensor keeps "
            "float pixels as they are), then scale them, e.g. ToTensor()(img.convert('F')) / 65535 "
            "for 16-bit pixels"
        )
    got = (
        f"{_a(kind)}{f' of mode {mode}' if mode else ''} of shape {tuple(shape)} and dtype {dtype}"
    )
    return f"pic must hold {rule}, got {got}; {fix}"


def _a(kind: str) -> str:
    return f"an {kind}" if kind == "array" else f"a {kind}"


_CHANNELS = (1, 2, 3, 4)  # L, LA, RGB, RGBA
_MIN_SIDE = 4  # a tensor's H and W must exceed this: (3, 4, 4) could be (C, H, W) as well


def _check_channels_last(shape: tuple[int, ...], kind: str, *, scale: bool = True) -> None:
    """Raise a UsageError unless ``shape`` (3-d) can only be (H, W, C); see :class:`ToTensor`.

    ``scale`` says whether the pixels are uint8 (divided by 255) or float (kept as they are).
    """
    height, width, channels = shape
    tensor = kind == "tensor"
    if channels in _CHANNELS and (not tensor or min(height, width) > _MIN_SIDE):
        return
    convert = "pic.float() / 255" if tensor else "torch.from_numpy(pic).float() / 255"
    if not scale:
        convert = "torch.from_numpy(pic)"
    if shape[0] in _CHANNELS and channels in _CHANNELS:  # a small tensor: either layout fits
        hwc = convert.replace("float()", "permute(2, 0, 1).float()")
        fix = (
            f"a {kind} this small could be (C, H, W) or (H, W, C): for (C, H, W) use {convert}, "
            f"for (H, W, C) use {hwc}"
        )
    elif shape[0] in _CHANNELS:
        fix = f"it already is channels-first (C, H, W): convert it with {convert}, not ToTensor()"
    else:
        fix = "pass one image, e.g. a uint8 (28, 28) tensor"
    sides = f" and H, W > {_MIN_SIDE}" if tensor else ""
    pixels = "uint8" if scale else "float"
    raise UsageError(
        f"pic must be an image (H, W) or (H, W, C), channels last with C in {_CHANNELS}{sides}, "
        f"got a {pixels} {kind} of shape {shape}; {fix}"
    )


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
