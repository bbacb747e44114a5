"""The loss of predicting the targets' mean: the floor of the divergence guard's baseline.

For a squared-error loss the constant prediction ``ŷ = ȳ`` (the mean of each output over the
examples seen so far) scores ``s·Σⱼ var(yⱼ)`` per example (``s`` = ½ for the book's
``squared_loss``, 1 for ``nn.MSELoss``; divided by the k outputs where the loss is a mean over
every value, as ``nn.MSELoss()``'s is). A model with a bias can fit that constant, so it bounds
the least-squares fit's loss on those examples; a model that is not diverging stays within a
modest factor of it, while a blow-up grows geometrically past any such level. So the guard
measures growth from it where it is higher than the start: targets that are 0 but for a few of
±1000 make the first batches' loss ~10⁻⁵, and the least-squares fit's own loss ~5·10³ (SGD at lr
0.03 ended within 2% of it), which the guard once called a blow-up.

Not the loss of predicting 0 (this floor's first form): targets offset by 10⁶ set that at 10¹²,
and a run warm-started at the offset (its bias at 10⁶) that diverged went 2 epochs unstopped, to
2·10¹⁴; the mean's loss is the noise's. Not the largest such loss of a batch either: one target
of 1000 in a batch of 32 sets it 31× the data's, past which lr 1 ended 3 epochs at 600× the
data's, unstopped. Only a squared-error loss has this floor (:func:`squared_scale`), and only where
the guard is shown each step's targets (``watch_batches``; not a data-parallel run's, whose
processes must all decide alike). Each step's column means and centred sums of squares are read
back with the losses, in one group a flush, in float64, and merged exactly (Chan et al.'s
pairwise update: no ``mean(y²) − ȳ²`` cancelling at an offset of 10⁸).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from linearnets.device import accumulation_dtype
from linearnets.models.scratch import squared_loss

__all__ = [
    "TargetSpread",
    "moments_of",
    "per_value",
    "squared_scale",
    "target_moments",
    "values_per_example",
]


def squared_scale(loss: object) -> float | None:
    """Return ``s`` in a constant prediction's loss ``s·(y − c)²`` per value for the
    squared-error ``loss`` (½ for linearnets' ``squared_loss``, 1 for ``nn.MSELoss`` and
    ``F.mse_loss``, whatever their reduction), else ``None`` (any other loss: no floor)."""
    if loss is squared_loss:
        return 0.5
    if isinstance(loss, nn.MSELoss) or loss is F.mse_loss:
        return 1.0
    return None


def per_value(loss: object) -> bool:
    """Whether ``loss`` is a mean over every value of the batch (``nn.MSELoss()``, ``F.mse_loss``),
    whose share per example is the mean over an example's k outputs, not their sum (``fit`` hands
    the guard a 0-d mean as each example's value; a ``reduction="sum"`` loss as the sum / B; a
    per-example loss (B, k) is summed over its row)."""
    if isinstance(loss, nn.MSELoss):
        return loss.reduction == "mean"
    return loss is F.mse_loss


def values_per_example(y: torch.Tensor) -> int:
    """Return k, the values each example of the targets ``y`` holds (1 for (B,), (B, 1) or ())."""
    return math.prod(y.shape[1:]) if y.ndim > 1 else 1


def target_moments(y: torch.Tensor) -> torch.Tensor:
    """Return one step's targets' column means and centred sums of squares, shape (2, k), in the
    device's accumulation dtype, for targets ``y`` of shape (B,), (B, 1), (B, ...) (k = the
    values per example) or () (one example's)."""
    rows = y.reshape(y.shape[0] if y.ndim else 1, values_per_example(y))
    rows = rows.to(accumulation_dtype(y.device))
    mean = rows.mean(dim=0)
    return torch.stack([mean, (rows - mean).square().sum(dim=0)])


def moments_of(targets: list[torch.Tensor]) -> torch.Tensor:
    """Return :func:`target_moments` of each step's ``targets``, flattened one after the other
    (shape (Σ 2·kᵢ,)): one ``stack`` where the steps' targets share a shape (every full batch)."""
    first = targets[0]
    if first.ndim and all(y.shape == first.shape for y in targets):
        rows = torch.stack(targets).reshape(len(targets), first.shape[0], values_per_example(first))
        rows = rows.to(accumulation_dtype(first.device))
        mean = rows.mean(dim=1, keepdim=True)
        m2 = (rows - mean).square().sum(dim=1, keepdim=True)
        return torch.cat([mean, m2], dim=1).reshape(-1)
    return torch.cat([target_moments(y).reshape(-1) for y in targets])


class TargetSpread:
    """The targets' spread over the examples seen so far: their count, each output's mean and
    centred sum of squares, merged a step at a time; :attr:`floor` is the loss of predicting
    their mean, in the loss's unit (``scale`` ½ or 1; ``per_value``: a mean over the k outputs)."""

    def __init__(self, *, scale: float, per_value: bool) -> None:
        self.scale = scale
        self.per_value = per_value
        self.count = 0
        self.mean: list[float] = []
        self.m2: list[float] = []

    @property
    def floor(self) -> float:
        """``scale · Σⱼ m2ⱼ / count`` (÷ k where ``per_value``); 0 before any example."""
        if not self.count or not self.m2:
            return 0.0
        total = self.scale * sum(self.m2) / self.count
        return total / len(self.m2) if self.per_value else total

    def add(self, count: int, mean: list[float], m2: list[float]) -> None:
        """Merge one step's ``count`` examples, their column ``mean`` and centred sums of squares
        ``m2``; a step of other outputs than those before starts afresh, a non-finite one is
        skipped (its loss stops the run anyway)."""
        if count <= 0 or not all(math.isfinite(v) for v in (*mean, *m2)):
            return
        if len(mean) != len(self.mean):
            self.count, self.mean, self.m2 = 0, [0.0] * len(mean), [0.0] * len(mean)
        total = self.count + count
        for j, (b_mean, b_m2) in enumerate(zip(mean, m2, strict=True)):
            delta = b_mean - self.mean[j]
            self.mean[j] += delta * count / total
            self.m2[j] += b_m2 + delta * delta * self.count * count / total
        self.count = total

    def state_dict(self) -> dict[str, Any]:
        """Return the count, means and sums of squares (for checkpoints)."""
        return {"floor_count": self.count, "floor_mean": list(self.mean), "floor_m2": list(self.m2)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; a checkpoint from before it (or from the
        zero-prediction floor's ``zero_sum``): none yet, the examples after it set it."""
        count, mean, m2 = state.get("floor_count"), state.get("floor_mean"), state.get("floor_m2")
        known = isinstance(count, int) and count > 0
        known = known and isinstance(mean, list) and isinstance(m2, list) and len(mean) == len(m2)
        values = [*mean, *m2] if known else []  # type: ignore[misc]
        known = known and all(isinstance(v, int | float) and math.isfinite(v) for v in values)
        known = known and all(v >= 0 for v in m2)  # type: ignore[union-attr]
        self.count = count if known else 0  # type: ignore[assignment]
        self.mean = [float(v) for v in mean] if known else []  # type: ignore[union-attr]
        self.m2 = [float(v) for v in m2] if known else []  # type: ignore[union-attr]
