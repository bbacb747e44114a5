"""The loss of predicting 0 on the targets seen: the floor of the divergence guard's baseline.

For a squared-error loss the model ``ŷ = 0`` scores ``s·y²`` on an example (``s`` = ½ for the
book's ``squared_loss``, 1 for ``nn.MSELoss``), and its loss over the examples seen so far,
``s·mean(y²)``, bounds the least-squares fit's on them (0 is one of the fits). A model that is
not diverging stays within a modest factor of it, while a blow-up grows geometrically past any
such level. So the guard measures growth from it where it is higher than the start: targets
that are 0 but for a few of ±1000 make the first batches' loss ~10⁻⁵, and the least-squares
fit's own loss ~5·10³ (SGD at lr 0.03 ended within 2% of it), which the guard once called a
blow-up. Not the largest such loss of a batch: one target of 1000 in a batch of 32 sets it 31×
the data's, past which lr 1 ended 3 epochs at 600× the data's, unstopped. Only a squared-error
loss has this floor (:func:`zero_scale`), and only where the guard is shown each step's targets
(``watch_batches``; not a data-parallel run's, whose processes must all decide alike). The
targets are read back with the losses, in one group a flush.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from linearnets.device import accumulation_dtype
from linearnets.models.scratch import squared_loss

__all__ = ["zero_levels", "zero_scale"]


def zero_scale(loss: object) -> float | None:
    """Return ``s`` in the zero predictor's loss ``s·y²`` per example for the squared-error
    ``loss`` (½ for linearnets' ``squared_loss``, 1 for ``nn.MSELoss`` and ``F.mse_loss``,
    whatever their reduction: ``fit`` hands the guard a mean or a sum as each example's share),
    else ``None`` (any other loss: no floor)."""
    if loss is squared_loss:
        return 0.5
    if isinstance(loss, nn.MSELoss) or loss is F.mse_loss:
        return 1.0
    return None


def zero_levels(targets: list[torch.Tensor], *, scale: float) -> torch.Tensor:
    """Return each step's zero-predictor loss per example, shape (k,), for the k steps' targets
    ``targets`` (each (B,), (B, 1), or (B, ...) whose row's values add up, as an example's loss
    does), in the device's accumulation dtype: ``scale · Σ y² / B``.

    One ``stack`` when the steps' targets share a shape (every full batch), else one sum per step.
    """
    first = targets[0]
    wide = accumulation_dtype(first.device)
    if all(y.shape == first.shape for y in targets):
        rows = torch.stack(targets).reshape(len(targets), -1).to(wide)
        return rows.square().sum(dim=1) * (scale / _examples(first))
    return torch.stack([y.to(wide).square().sum() * (scale / _examples(y)) for y in targets])


def _examples(y: torch.Tensor) -> int:
    """Return how many examples the targets ``y`` hold (a 0-d one, a batch of 1's: 1), at least 1."""
    return max(y.shape[0], 1) if y.ndim else 1
