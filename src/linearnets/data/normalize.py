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

from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import describe

__all__ = ["Normalize"]


class Normalize:
    """Standardize a float tensor (C, H, W) or (B, C, H, W) per channel: ``(x - mean) / std``.

    Args:
        mean: one value per channel (or one for all): real numbers of any kind (Python, NumPy, a 0-d
            tensor), a sequence of them, or a 1-d tensor or array.
        std: the same, each value > 0.

    See D2L §3.5.1.
    """

    def __init__(
        self,
        mean: float | Sequence[float] | torch.Tensor,
        std: float | Sequence[float] | torch.Tensor,
    ) -> None:
        self.mean = _per_channel("mean", mean)
        self.std = _per_channel("std", std)
        if any(not s > 0 for s in self.std):
            raise UsageError(f"std must hold values > 0, got {describe(std)}; pass e.g. std=(0.5,)")

    def __call__(self, tensor: torch.Tensor) -> torch.Tensor:
        """Return ``tensor`` standardized, as a new tensor of the same shape."""
        if (
            not isinstance(tensor, torch.Tensor)
            or not tensor.is_floating_point()
            or tensor.ndim < 3
        ):
            raise UsageTypeError(
                f"tensor must be a float tensor (C, H, W) or (B, C, H, W), got {describe(tensor)}; "
                "apply ToTensor() first"
            )
        channels = tensor.shape[-3]
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            one = "1 value (the image has 1 channel)"
            rule = one if channels == 1 else f"1 or {channels} values (the channels)"
            raise UsageError(
                f"mean and std must have {rule}, got {len(self.mean)} and {len(self.std)} for a "
                f"tensor of shape {tuple(tensor.shape)}; pass one value per channel, or one for "
                f"all, e.g. Normalize({(0.5,) * channels}, {(0.5,) * channels})"
            )
        mean = torch.tensor(self.mean, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=tensor.dtype, device=tensor.device).view(-1, 1, 1)
        return (tensor - mean) / std  # (C, 1, 1) broadcasts over (..., C, H, W)

    def __repr__(self) -> str:
        return f"Normalize(mean={list(self.mean)}, std={list(self.std)})"


def _per_channel(name: str, value: Any) -> tuple[float, ...]:
    """Return ``value`` as one float per channel: a real number (Python, NumPy or a 0-d tensor), or a
    sequence or 1-d tensor/array of them, as torchvision accepts."""
    values = value
    if isinstance(value, torch.Tensor | np.ndarray) and value.ndim <= 1:
        values = value.tolist()  # bool or complex elements are refused below
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
