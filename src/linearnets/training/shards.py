"""What a data-parallel epoch asks of each rank's share of the batches, besides its gradients
(D2L §3.6.6).

Every step averages the ranks' gradients (summed, then divided by the world size), so a loss a
rank reduces to one number (0-d) must weigh in with its share of the global batch's objective
(:func:`scalar_seed`). In one process it is a no-op.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from linearnets.device import accumulation_dtype
from linearnets.training.distributed import DistContext
from linearnets.training.totals import class_weight

__all__ = ["scalar_seed"]


def scalar_seed(
    loss: Any, y: torch.Tensor, *, summed: bool, dist: DistContext | None
) -> float | None:
    """Return the gradient seed of this rank's 0-d loss value, or ``None`` for the loop's own.

    The loop's own, ``scale · B`` (``world_size · B / global_B``), is a batch mean's share: the
    ranks' averaged gradients are then the global batch mean's. Other 0-d losses are the sum
    of another share:

    - a sum (``summed``: ``reduction="sum"``, ``scalar_loss="sum"``): the global batch's sum is
      the ranks' sums added, ``world_size`` each;
    - a class-weighted mean of class labels (``nn.CrossEntropyLoss(weight=w)``,
      ``nn.NLLLoss(weight=w)``), which torch divides by the batch's Σ w[y] (labels equal to
      ``ignore_index`` left out): ``world_size · Σ_rank w[y] / Σ_all w[y]``, the global Σ
      taking one all-reduce of one number per step (NaN where every weight is 0, as torch's
      mean is).

    ``None`` in one process, where a 0-d loss is differentiated as it is. A loss that is not
    0-d never reads the seed. Called by every rank at every step, as its all-reduce needs.
    """
    if dist is None or not dist.enabled:
        return None
    if summed:
        return float(dist.world_size)
    weight = class_weight(loss)
    if weight is None or y.is_floating_point():  # soft targets: torch divides by the count
        return None
    weight = weight.to(y.device)
    kept = y.ne(int(loss.ignore_index))  # a weighted loss is torch's CrossEntropyLoss or NLLLoss
    # clamped: a label outside [0, C) fails the loss itself, in its own words
    picked = torch.where(kept, weight[y.clamp(0, weight.shape[0] - 1)], 0.0)
    mine = picked.sum(dtype=accumulation_dtype(y.device)).reshape(1)
    own = float(mine)
    total = float(dist.all_reduce_sum(mine))
    return dist.world_size * own / total if total else math.nan
