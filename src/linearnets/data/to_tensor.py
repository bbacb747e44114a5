"""torchvision's ``ToTensor`` for the images this package meets: PIL images, arrays, uint8 tensors.

Re-exported by :mod:`linearnets.data.transforms` (and ``linearnets.torchvision.transforms``), where the
book imports it. See D2L §3.5.1.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import describe

__all__ = ["PILToTensor", "ToTensor", "no_image_fix", "unit_pixels"]


def unit_pixels(pixels: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Return uint8 ``pixels`` (any shape) as ``dtype`` in [0, 1]: each divided by 255, correctly
    rounded on every device.

    CUDA divides by a Python number as a product with its reciprocal, which puts a quarter of the
    pixels one ulp off the CPU's (and torchvision's) quotients; a divisor on the device divides.
    """
    scaled = pixels.to(dtype)
    divisor = (
        255
        if scaled.device.type == "cpu"
        else torch.full((), 255, dtype=dtype, device=scaled.device)
    )
    return scaled.div_(divisor)


class ToTensor:
    """Turn a PIL image, NumPy array or uint8 tensor (H, W) or (H, W, C) into a tensor (C, H, W).

    torchvision's rule: uint8 pixels become ``torch.get_default_dtype()`` (float32 unless changed)
    in [0, 1], divided by 255, and a one-bit image (PIL mode "1") that dtype's 0 and 1; any other
    array keeps its values and dtype (float, other integers, bool), as does a PIL image of mode
    "F" (float32) or "I" (int32). An array in non-native byte order (``>f4``) is converted to the
    native one, values kept (torchvision fails on it). Deliberate differences: a 16-bit PIL image
    (mode I;16) is refused with a conversion that keeps its values (torchvision returns int16,
    wrapping values over 32767), and complex arrays are refused (no image). Arrays and tensors
    must be channels last, so that no (C, H, W) input is silently transposed: a 3-d one is read as
    (H, W, C) only when C is a channel count (1, 2, 3 or 4: L, LA, RGB, RGBA), and a tensor
    (torch's layout is (C, H, W)) only when H and W are also > 4. A tensor such as
    ``ds.data[:1]`` (1, 28, 28) is refused: it already is channels-first, so ``.float() / 255`` is
    what converts it. torchvision refuses tensors altogether; linearnets takes uint8 (H, W) and
    (H, W, C) ones because its ``FashionMNIST`` hands a transform the uint8 tensor (28, 28) when
    Pillow is missing.

    See D2L §3.5.1.
    """

    def __call__(self, pic: Any) -> torch.Tensor:
        """Return ``pic`` as (C, H, W): uint8 pixels / 255 in the default float dtype, others as
        they are."""
        if isinstance(pic, torch.Tensor):
            array, kind = pic.detach(), "tensor"  # converted where it is (a GPU too)
            if array.dtype != torch.uint8:  # a float tensor needs no ToTensor at all
                raise UsageTypeError(_tensor_refusal(tuple(array.shape), array))
        elif hasattr(pic, "getbands"):  # a PIL image, without importing PIL
            array = _from_image(np.array(pic), str(getattr(pic, "mode", "")))
            kind = "PIL image"
        elif isinstance(pic, np.ndarray):
            array, kind = _from_array(pic), "array"
        else:
            raise UsageTypeError(
                f"pic must be a PIL image, a NumPy array or a tensor, got {_other_input(pic)}; "
                f"{_other_input_fix(pic)}"
            )
        if array.ndim not in (2, 3):
            fix = "pass one image, not a batch"
            if array.ndim == 0:  # reshape(28, 28) fails on it
                fix = (
                    no_image_fix(array, "pic", "", f"one image, e.g. a uint8 (28, 28) {kind}")
                    or fix
                )
            elif array.ndim < 2:  # a flattened image, say: a row of the (N, 784) the models take
                fix = "pass it with its rows and columns, e.g. pic.reshape(28, 28) for 784 pixels"
            raise UsageError(
                f"pic must be an image (H, W) or (H, W, C), got {_a(kind)} of shape "
                f"{tuple(array.shape)}; {fix}"
            )
        # PIL's layout is known, and (H, W) has one reading; a 3-d array's or tensor's is read
        # from its shape
        if kind != "PIL image" and array.ndim == 3:
            _check_channels_last(tuple(array.shape), kind, dtype=array.dtype)
        if array.ndim == 2:
            array = array.unsqueeze(-1)  # (H, W) -> (H, W, 1)
        chw = array.permute(2, 0, 1)  # (C, H, W)
        if array.dtype == torch.uint8:
            return unit_pixels(chw, torch.get_default_dtype()).contiguous()
        if kind == "PIL image" and array.dtype == torch.bool:  # mode "1": 0 and 1, as torchvision
            return chw.to(torch.get_default_dtype()).contiguous()
        return chw.contiguous()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """Turn a PIL image into a tensor (C, H, W) of its pixels as they are, like torchvision's.

    The dtype is the mode's: uint8 (L, RGB, P, ...), bool (1), int32 (I), float32 (F), uint16
    (I;16, which torchvision gives so too), nothing scaled. See D2L §3.5.1.
    """

    def __call__(self, pic: Any) -> torch.Tensor:
        """Return the PIL image ``pic``'s pixels as (C, H, W)."""
        if not hasattr(pic, "getbands"):  # a PIL image, without importing PIL
            raise UsageTypeError(
                f"pic must be a PIL image, got {type(pic).__name__}; for a NumPy array (H, W, C) "
                "use torch.from_numpy(pic).permute(2, 0, 1)"
            )
        array = np.array(pic)
        if not array.dtype.isnative:  # big-endian modes (I;16B): torch takes native order only
            array = array.astype(array.dtype.newbyteorder("="))
        pixels = torch.from_numpy(array)
        if pixels.ndim == 2:
            pixels = pixels.unsqueeze(-1)  # (H, W) -> (H, W, 1)
        return pixels.permute(2, 0, 1).contiguous()  # (C, H, W)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _other_input(pic: Any) -> str:
    """Return ``pic``, no image, as its type and value ("str 'a.png'", "int 9"); a repr that names
    its type already once ("PosixPath('a.png')", not "PosixPath PosixPath('a.png')")."""
    if pic is None:
        return "None"
    shown = describe(pic)
    name = type(pic).__name__
    return shown if shown.startswith(f"{name}(") else f"{name} {shown}"


def _other_input_fix(pic: Any) -> str:
    """Return the fix for a ``pic`` that is no image, array or tensor, by what it is."""
    if isinstance(pic, list | tuple):  # nested lists of pixels, (H, W) or (H, W, C)
        return (
            "make the pixels an array first, e.g. ToTensor()(np.array(pic, dtype=np.uint8)) for "
            "pixels 0..255 (dtype=np.float32 for other values, kept as they are)"
        )
    if isinstance(pic, str | os.PathLike):  # the image file's path
        return "open the image file first: ToTensor()(PIL.Image.open(pic))"
    return (
        "pass one image: a PIL image (e.g. PIL.Image.open(path)), a NumPy array (H, W) or "
        "(H, W, C), or a uint8 tensor"
    )


# the pixels a PIL image's mode gives that ToTensor takes: L, RGB, P, ... (uint8), 1 (bool), I, F
_IMAGE_DTYPES = (np.uint8, np.bool_, np.int32, np.float32)


def _from_image(array: np.ndarray, mode: str) -> torch.Tensor:
    """Return a PIL image's pixels as a tensor, or refuse those ToTensor does not convert."""
    if array.dtype not in _IMAGE_DTYPES:  # 16-bit modes (I;16, I;16B, ...): see ToTensor
        raise UsageTypeError(_dtype_refusal("PIL image", array.shape, str(array.dtype), mode=mode))
    return torch.from_numpy(array)


def _from_array(array: np.ndarray) -> torch.Tensor:
    """Return ``array`` as a tensor sharing its memory where it can (in native byte order), or
    refuse a dtype that holds no real pixels (complex, strings, objects) or that torch lacks."""
    if array.dtype.kind in "biuf":  # bool, signed and unsigned integers, floats
        if not array.dtype.isnative:  # torch.from_numpy refuses another byte order (">f4")
            array = array.astype(array.dtype.newbyteorder("="))
        try:
            # (ascontiguousarray makes a 0-d array 1-d: the shape is kept for the message)
            return torch.from_numpy(np.ascontiguousarray(array).reshape(array.shape))
        except TypeError:  # a dtype torch lacks, such as float128
            pass
    fix = no_image_fix(array, "pic", "", "one image, e.g. a uint8 (28, 28) array")
    raise UsageTypeError(_dtype_refusal("array", array.shape, str(array.dtype), fix=fix))


def _dtype_refusal(
    kind: str, shape: tuple[int, ...], dtype: str, *, mode: str = "", fix: str | None = None
) -> str:
    """Return the message refusing a ``kind`` of pixels of ``dtype``, with a conversion that keeps
    their values (``mode``: a PIL image's), or ``fix`` where given (an array no astype makes an
    image: see :func:`no_image_fix`)."""
    if kind == "array":
        rule = "real pixels (uint8, other integers, float or bool)"
        fix = (
            fix or "convert it with pic.astype(np.uint8) (pixels 0..255) or pic.astype(np.float32)"
        )
    else:
        rule = "8-bit, 1-bit, 32-bit integer or float pixels (modes L, RGB, ..., 1, I, F)"
        # 16-bit pixels (modes I;16, ...): convert('L') would clip them all to 255;
        # torchvision gives them unscaled as int16, wrapping 16-bit values over 32767
        fix = (
            "convert it with img.convert('F'), which keeps the values as float32 (ToTensor keeps "
            "float pixels as they are), then scale them, e.g. ToTensor()(img.convert('F')) / 65535 "
            "for 16-bit pixels"
        )
    got = (
        f"{_a(kind)}{f' of mode {mode}' if mode else ''} of shape {tuple(shape)} and dtype {dtype}"
    )
    return f"pic must hold {rule}, got {got}; {fix}"


def no_image_fix(pic: torch.Tensor | np.ndarray, name: str, layout: str, image: str) -> str | None:
    """Return the fix for a tensor or array ``pic`` (called ``name`` in it) that no reshape or
    ``.float()`` makes an image, else None: a 0-d one holds one number (``reshape(28, 28)`` fails
    on it), so ``image`` is to be passed; a complex one is made real by its magnitudes or its real
    parts (``.float()`` and ``astype`` drop the imaginary part, with a warning), indexed by
    ``layout`` (a tensor's, into (C, H, W)). Told alike by ToTensor and Normalize."""
    if pic.ndim == 0:  # a string or an object is no number: a 0-d array of one (np.array('x'))
        held = "number" if isinstance(pic, torch.Tensor) or pic.dtype.kind in "biufc" else "value"
        return f"it holds one {held}, not an image: pass {image}"
    if isinstance(pic, np.ndarray):
        if pic.dtype.kind != "c":
            return None
        return f"make it real with np.abs({name}) (the magnitudes) or {name}.real (the real parts)"
    if not pic.is_complex():
        return None
    return (
        f"make it real with {name}{layout}.abs() (the magnitudes) or {name}{layout}.real "
        "(the real parts)"
    )


def _tensor_refusal(shape: tuple[int, ...], pic: torch.Tensor) -> str:
    """Return the message refusing a tensor ``pic`` of ``shape`` that is not uint8, with the
    expression that makes it the float (C, H, W) ToTensor would give."""
    layout = _layout(shape)
    fix = no_image_fix(pic, "pic", layout or "", "one image, e.g. a uint8 (28, 28) tensor")
    got = f"a tensor of shape {shape} and dtype {pic.dtype}"
    return f"pic must hold uint8 pixels, got {got}; {fix or _tensor_fix(shape, pic, layout)}"


def _tensor_fix(shape: tuple[int, ...], pic: torch.Tensor, layout: str | None) -> str:
    """Return the conversion that makes a real tensor ``pic`` of ``shape`` (indexed into (C, H, W)
    by ``layout``, where one does) the float (C, H, W) ToTensor would give."""
    if pic.is_floating_point():
        if layout == "":
            fix = "a float tensor (C, H, W) needs no ToTensor: use it as it is"
        elif len(shape) == 4 and shape[1] in _CHANNELS:  # a batch Normalize and the models take
            fix = "a float batch (B, C, H, W) needs no ToTensor: use it as it is"
        elif len(shape) < 2:  # a flattened image, say: a row of the (N, 784) the models take
            fix = (
                "give it its channel, rows and columns, e.g. pic.reshape(1, 28, 28) for 784 pixels"
            )
        elif layout is None:
            fix = (
                "pass one image (C, H, W), e.g. a float (1, 28, 28) tensor, which needs no ToTensor"
            )
        else:
            named = "(H, W)" if layout == "[None]" else "(H, W, C)"
            fix = f"a float tensor {named} needs no ToTensor, only its layout: use pic{layout}"
    elif layout is None:
        fix = "pass one image, e.g. a uint8 (28, 28) tensor"
    elif pic.dtype == torch.bool:  # as ToTensor gives a one-bit PIL image (mode "1")
        fix = f"convert it with pic{layout}.float(), which makes it 0 and 1"
    else:  # other integers: ToTensor's result for uint8 pixels, or the values kept
        fix = (
            f"convert it with pic{layout}.float() / 255 (pixels 0..255, as ToTensor gives them) "
            f"or pic{layout}.float() (other values)"
        )
    return fix


def _layout(shape: tuple[int, ...]) -> str | None:
    """Return the indexing that makes a tensor of ``shape`` (C, H, W): ``""`` for (C, H, W),
    ``"[None]"`` for (H, W), ``".permute(2, 0, 1)"`` for (H, W, C), None for another shape."""
    if len(shape) == 2:
        return "[None]"
    if len(shape) != 3:
        return None
    if shape[0] in _CHANNELS:  # torch's layout first, as Normalize and the models read it
        return ""
    return ".permute(2, 0, 1)" if shape[-1] in _CHANNELS else None


def _a(kind: str) -> str:
    return f"an {kind}" if kind == "array" else f"a {kind}"


_CHANNELS = (1, 2, 3, 4)  # L, LA, RGB, RGBA
_MIN_SIDE = 4  # a tensor's H and W must exceed this: (3, 4, 4) could be (C, H, W) as well


def _check_channels_last(shape: tuple[int, ...], kind: str, *, dtype: torch.dtype) -> None:
    """Raise a UsageError unless ``shape`` (3-d) can only be (H, W, C); see :class:`ToTensor`.

    ``dtype``: the pixels', uint8 (divided by 255) or another (kept as they are).
    """
    height, width, channels = shape
    tensor = kind == "tensor"
    if channels in _CHANNELS and (not tensor or min(height, width) > _MIN_SIDE):
        return
    scale = dtype == torch.uint8
    pixels = str(dtype).removeprefix("torch.")
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
        if not tensor:
            fix = (
                f"pass one image, an array (H, W) or (H, W, C) with C of 1 to 4, e.g. a {pixels} "
                "array of shape (28, 28) or (28, 28, 3)"
            )
    sides = f" and H, W > {_MIN_SIDE}" if tensor else ""
    raise UsageError(
        f"pic must be an image (H, W) or (H, W, C), channels last with C in {_CHANNELS}{sides}, "
        f"got a {pixels} {kind} of shape {shape}; {fix}"
    )
