"""The numbers the divergence guard reads from a step's losses: sums, typical and median examples.

Pure functions of loss tensors (:mod:`linearnets.training.guard` decides with them): sums are
kept in the device's accumulation dtype (:func:`~linearnets.device.accumulation_dtype`: float64,
float32 on MPS), and an example's loss is the sum of its row, as a step's mean is the sum over its
B examples.
"""

from __future__ import annotations

import torch

from linearnets.device import accumulation_dtype

__all__ = [
    "median_example",
    "per_example",
    "scalar",
    "step_sums",
    "sum_and_count",
    "typical_example",
]


def step_sums(losses: list[torch.Tensor]) -> torch.Tensor:
    """Return each step's loss sum, shape (k,), for the k steps' losses ``losses`` (each of shape
    (B, ...), or () for a mean-reduced loss), in the device's accumulation dtype.

    One ``cat`` and one sum when the steps' losses share a shape (every full batch), else one sum
    per step (a group holding an epoch's shorter last batch).
    """
    first = losses[0]
    wide = accumulation_dtype(first.device)
    if all(l.shape == first.shape for l in losses):
        if first.ndim == 0:  # mean-reduced losses, one value per step
            return torch.stack(losses).to(wide)
        return torch.cat(losses).view(len(losses), first.numel()).sum(dim=1, dtype=wide)
    return torch.stack([l.sum(dtype=wide) for l in losses])


def sum_and_count(losses: torch.Tensor) -> torch.Tensor:
    """Return one step's loss sum and its count of values, shape (2,), in the device's accumulation
    dtype, for its losses ``losses`` of shape (B, ...) (count B), or () (a mean-reduced loss: count
    1): what a data-parallel step sums over the processes."""
    count = losses.shape[0] if losses.ndim else 1  # a mean-reduced (0-d) loss counts as one
    return torch.stack([losses.sum(dtype=accumulation_dtype(losses.device)), scalar(count, losses)])


def typical_example(losses: torch.Tensor, *, quantile: float) -> float:
    """Return the ``quantile`` quantile (the guard's ``TYPICAL_QUANTILE``) of one step's per-example
    losses ``losses``, shape (B, ...): an example's loss is the sum of its row."""
    rows = losses.reshape(losses.shape[0], -1).sum(dim=1, dtype=accumulation_dtype(losses.device))
    return float(torch.quantile(rows, quantile))


def median_example(losses: torch.Tensor) -> float:
    """Return the median of one step's per-example losses ``losses``, shape (B, ...) (an example's
    loss is the sum of its row), the mean of the middle two for an even B."""
    rows = losses.reshape(losses.shape[0], -1).sum(dim=1, dtype=accumulation_dtype(losses.device))
    return float(torch.quantile(rows, 0.5))


def per_example(losses: torch.Tensor) -> bool:
    """Whether ``losses`` holds each example's loss, shape (B, ...): not a loss reduced to one
    number, which ``fit`` passes as a view of B copies of it (stride 0)."""
    return losses.ndim > 0 and (losses.shape[0] < 2 or losses.stride(0) != 0)


def scalar(value: int, like: torch.Tensor) -> torch.Tensor:
    """Return ``value`` as a 0-d tensor, shape (), on ``like``'s device in its accumulation dtype."""
    # a fill on the device, not a copy from the host: no wait for the device
    return torch.full((), float(value), dtype=accumulation_dtype(like.device), device=like.device)
