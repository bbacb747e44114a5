"""Per-channel standardization of image tensors, like ``torchvision.transforms.Normalize``.

Re-exported by :mod:`linearnets.data.transforms` with the other transforms. See D2L §3.5.1.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from linearnets.data.to_tensor import _CHANNELS, _MIN_SIDE, _layout, no_image_fix
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import check_bool, describe

__all__ = ["Normalize"]


class Normalize(torch.nn.Module):
    """Standardize a float tensor (C, H, W) or (B, C, H, W) per channel: ``(x - mean) / std``.

    An ``nn.Module``, as torchvision's: ``norm.forward(x)`` is ``norm(x)``, and it goes into an
    ``nn.Sequential``, e.g. ahead of a model's ``nn.Flatten()``.

    As torchvision's: ``mean`` and ``std`` are kept as given (``.mean``, ``.std`` and the ``repr``
    show ``(0.5,)``, ``[1, 2, 3]`` or a tensor as passed) and cast to the tensor's dtype when
    applied; a negative std is taken (it flips the channel's sign). Two deliberate differences:
    a std of 0 is refused when made (torchvision refuses it when applied), and non-finite values are
    refused (torchvision gives NaN or 0 pixels).

    Args:
        mean: one value per channel (or one for all): real numbers of any kind (Python, NumPy, a 0-d
            tensor), a sequence of them, or a tensor or array (C,) or (C, 1, 1).
        std: the same, each value nonzero, and nonzero in the tensor's dtype when applied (1e-8 is
            0 in float16).
        inplace: torchvision's switch: True standardizes the tensor given and returns it; False
            (the default) returns a new tensor and leaves the input as it was.

    See D2L §3.5.1.
    """

    def __init__(
        self,
        mean: float | Sequence[float] | torch.Tensor,
        std: float | Sequence[float] | torch.Tensor,
        inplace: bool = False,
    ) -> None:
        super().__init__()
        _per_channel("mean", mean)
        if any(s == 0 for s in _per_channel("std", std)):
            raise UsageError(
                f"std must hold nonzero values (it divides), got {describe(std)}; pass e.g. "
                "std=(0.5,)"
            )
        self.mean = mean  # as given, as torchvision keeps them (its repr shows them so)
        self.std = std
        self.inplace = check_bool("inplace", inplace)

    def forward(self, tensor: torch.Tensor) -> torch.Tensor:
        """Return ``tensor`` standardized: a new tensor of the same shape, or ``tensor`` itself
        standardized in place with ``inplace=True``."""
        if (
            not isinstance(tensor, torch.Tensor)
            or not tensor.is_floating_point()
            or tensor.ndim < 3
        ):
            raise UsageTypeError(
                f"tensor must be a float tensor (C, H, W) or (B, C, H, W), got {describe(tensor)}; "
                f"{_tensor_fix(tensor)}"
            )
        # read at each call, as torchvision does: a .mean or .std assigned later is used
        means, stds = _per_channel("mean", self.mean), _per_channel("std", self.std)
        channels = tensor.shape[-3]
        if len(means) not in (1, channels) or len(stds) not in (1, channels):
            # 0 channels take one value only (torchvision fails inside torch on more)
            rule = f"1 value (the image has {channels} channel{'s' * (channels != 1)})"
            if channels > 1:
                rule = f"1 or {channels} values (the channels)"
            example = (0.5,) * max(channels, 1)
            fix = (
                f"pass one value per channel, or one for all, e.g. Normalize({example}, {example})"
            )
            last, first = ("(H, W, C)", "(C, H, W)") if tensor.ndim == 3 else _BATCH_LAYOUTS
            permute = ".permute(2, 0, 1)" if tensor.ndim == 3 else _BATCH_PERMUTE
            if _fits_channels_last(tensor.shape, len(means), len(stds)):
                fix = (
                    f"the tensor looks channels-last {last} with C = {tensor.shape[-1]}: make "
                    f"it {first} with tensor{_channels_first(tuple(tensor.shape))}"
                )
            elif tensor.ndim in (3, 4) and _takes(tensor.shape[-1], len(means), len(stds)):
                # (4, 28, 3): 4 channels by its layout, but the values fit its last side
                fix += (
                    f"; or, if it is channels-last {last} with C = {tensor.shape[-1]}, make it "
                    f"{first} with tensor{permute}"
                )
            raise UsageError(
                f"mean and std must have {rule}, got {len(means)} and {len(stds)} for a "
                f"tensor of shape {tuple(tensor.shape)}; {fix}"
            )
        mean, std = _applied(self.mean, means, tensor), _applied(self.std, stds, tensor)
        if (std == 0).any():  # e.g. 1e-8 in float16: torchvision refuses it too
            raise UsageError(
                f"std must be nonzero in the tensor's dtype, got std={describe(self.std)}, which "
                f"is 0 in {tensor.dtype}, leading to division by zero; pass a larger std, or "
                "convert the tensor first, e.g. tensor.float()"
            )
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std  # (C, 1, 1) broadcasts over (..., C, H, W)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _applied(value: Any, values: tuple[float, ...], tensor: torch.Tensor) -> torch.Tensor:
    """Return ``values`` (``value`` checked) as (C, 1, 1) in ``tensor``'s dtype and device; a tensor
    given is cast, not copied out, so its autograd graph is kept, as torchvision keeps it."""
    if isinstance(value, torch.Tensor):
        return value.to(dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    return torch.tensor(values, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)


def _tensor_fix(tensor: Any) -> str:
    """Return the fix that makes ``tensor`` a float (C, H, W) or (B, C, H, W) Normalize takes."""
    if not isinstance(tensor, torch.Tensor):
        return "apply ToTensor() first"
    # the indexing ToTensor names for the same tensor ("[None]", ".permute(2, 0, 1)" or ""), or
    # ".permute(0, 3, 1, 2)" for a channels-last batch
    layout = _channels_first(tuple(tensor.shape)) or ""
    # a 0-d tensor (reshape(1, 28, 28) would fail on it) or a complex one (.float() would drop
    # the imaginary part), told as ToTensor tells it
    fix = no_image_fix(tensor, "tensor", layout, "an image (C, H, W), e.g. x[None] for x (H, W)")
    if fix is not None:
        return fix
    if tensor.ndim < 2:  # a flattened image, say: a row of the (N, 784) the models take
        return (
            "give it its channel, rows and columns first, e.g. tensor.reshape(1, 28, 28) for 784 "
            "pixels"
        )
    if tensor.is_floating_point():  # (H, W): only the channel is missing
        return "add its channel with tensor[None], which makes it (1, H, W)"
    if tensor.dtype == torch.uint8 and (tensor.ndim == 2 or _channels_last(tensor.shape)):
        return "apply ToTensor() first, which makes it (C, H, W) in [0, 1]"
    if tensor.dtype == torch.bool:  # as ToTensor reads a bool tensor: False and True as 0 and 1
        return f"convert it with tensor{layout}.float(), which makes it 0 and 1"
    if tensor.dtype == torch.uint8:  # already (C, H, W) or (B, C, H, W): only the scale
        return f"convert it with tensor{layout}.float() / 255"
    return (
        f"convert it with tensor{layout}.float() / 255 (pixels 0..255) or tensor{layout}.float() "
        "(other values)"
    )


_BATCH_PERMUTE = ".permute(0, 3, 1, 2)"
_BATCH_LAYOUTS = ("(B, H, W, C)", "(B, C, H, W)")


def _channels_first(shape: tuple[int, ...]) -> str | None:
    """Return the indexing that makes a tensor of ``shape`` (C, H, W) or (B, C, H, W): ToTensor's
    for one image (see ``_layout``), and for a batch ``""`` when its 2nd side is a channel count,
    ``".permute(0, 3, 1, 2)"`` when only its last is (B, H, W, C), None otherwise."""
    if len(shape) != 4:
        return _layout(shape)
    if shape[1] in _CHANNELS:
        return ""
    return _BATCH_PERMUTE if shape[-1] in _CHANNELS else None


def _fits_channels_last(shape: torch.Size, means: int, stds: int) -> bool:
    """Return whether a (H, W, C) or (B, H, W, C) reading of ``shape`` takes ``means`` and ``stds``
    values, the channels-first one having refused them: then the tensor wants ``.permute``."""
    if _channels_first(tuple(shape)) not in (".permute(2, 0, 1)", _BATCH_PERMUTE):
        return False
    return _takes(shape[-1], means, stds)


def _takes(channels: int, means: int, stds: int) -> bool:
    """Return whether ``channels`` channels (1 to 4) take ``means`` and ``stds`` values, as many
    as the channels at least one of them."""
    return channels in _CHANNELS and max(means, stds) == channels and {means, stds} <= {1, channels}


def _channels_last(shape: torch.Size) -> bool:
    """Return whether ToTensor reads ``shape`` as one image (H, W, C) (see its docstring)."""
    return len(shape) == 3 and shape[-1] in _CHANNELS and min(shape[0], shape[1]) > _MIN_SIDE


def _per_channel(name: str, value: Any) -> tuple[float, ...]:
    """Return ``value`` as one float per channel: a real number (Python, NumPy or a 0-d tensor), or a
    sequence or 1-d tensor/array of them, as torchvision accepts."""
    values = value
    if isinstance(value, torch.Tensor | np.ndarray) and (
        value.ndim <= 1 or (value.ndim == 3 and tuple(value.shape[1:]) == (1, 1))
    ):
        # (C,), or (C, 1, 1) as torchvision's own view of them, e.g. x.mean((0, 2, 3), keepdim=True)[0]
        values = value.reshape(-1).tolist()  # bool or complex elements are refused below
    if isinstance(values, numbers.Real):
        values = (values,)
    if (
        isinstance(value, bool)
        or not isinstance(values, Sequence)
        or isinstance(values, str)
        or not values
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)
        or not all(math.isfinite(v) for v in values)
    ):
        raise UsageTypeError(
            f"{name} must be a finite number or a non-empty list of them, got {describe(value)}; "
            f"pass e.g. {name}=(0.5,)"
        )
    return tuple(float(v) for v in values)
