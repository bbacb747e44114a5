"""What a data-parallel epoch asks of each rank's share of the batches, besides its gradients
(D2L §3.6.6).

Every step averages the ranks' gradients (summed, then divided by the world size), so every rank
must take the same number of steps (:func:`check_same_steps`), and a loss a rank reduces to one
number (0-d) must weigh in with its share of the global batch's objective (:func:`scalar_seed`).
In one process both are no-ops.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from linearnets.device import accumulation_dtype
from linearnets.errors import UsageError
from linearnets.training.distributed import DistContext
from linearnets.training.loss_kinds import class_weight, ignored
from linearnets.training.rank_stop import raised_on_every_rank

__all__ = ["check_same_steps", "scalar_seed"]


def _ranks_of(counts: list[int]) -> str:
    """Return ``counts`` (one per rank) said as 'N on rank r', the ranks with one count together."""
    by_count: dict[int, list[int]] = {}
    for rank, count in enumerate(counts):
        by_count.setdefault(count, []).append(rank)
    return ", ".join(
        f"{count} on rank{'s' if len(ranks) > 1 else ''} {', '.join(map(str, ranks))}"
        for count, ranks in by_count.items()
    )


def check_same_steps(name: str, batches: Iterable[Any], dist: DistContext | None) -> None:
    """Raise on every rank unless ``batches`` has the same length on every rank.

    A rank with a step more than the others waits in its gradients' all-reduce for ranks that
    have moved on to the epoch's totals: the run hung (up to torch's 30 minutes) where a learner
    sharded the dataset, ``X[rank::world_size]``, into shards of unequal length. Checked in one
    all-reduce of (n, n²), equal lengths being those whose world_size · Σ n² is (Σ n)²; the
    lengths are gathered only to name them. Skipped in one process, for batches without
    ``len()``, and for those that give each step's global batch size (``global_batch_size``:
    sharded batch by batch, as linearnets' own loader is, the same number on every rank).
    """
    if dist is None or not dist.enabled or hasattr(batches, "global_batch_size"):
        return
    try:
        n = len(batches)  # type: ignore[arg-type]
    except TypeError:
        return
    sums = dist.all_reduce_sum(torch.tensor([n, n * n], dtype=torch.float64))
    if dist.world_size * float(sums[1]) == float(sums[0]) ** 2:
        return
    counts = torch.zeros(dist.world_size, dtype=torch.float64)
    counts[dist.rank] = n
    said = _ranks_of([int(c) for c in dist.all_reduce_sum(counts).tolist()])
    raise raised_on_every_rank(
        UsageError(
            f"{name} must yield the same number of batches on every rank of a data-parallel run "
            f"(each step averages the gradients of all {dist.world_size}), got {said}; give each "
            "rank its share of every global batch (rows rank::world_size of each), or shards of one "
            "length, as torch's DistributedSampler pads them"
        )
    )


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
      ``nn.NLLLoss(weight=w)``, ``partial(F.cross_entropy, weight=w)``), which torch divides by the batch's Σ w[y] (labels equal to
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
    # a module's ignore_index or a partial's (-100, torch's default, where it fixes none); None
    # for one torch refuses (a float), whose loss fails in its own words
    skipped = ignored(loss)
    kept = torch.ones_like(y, dtype=torch.bool) if skipped is None else y.ne(skipped)
    # clamped: a label outside [0, C) fails the loss itself, in its own words
    picked = torch.where(kept, weight[y.clamp(0, weight.shape[0] - 1)], 0.0)
    mine = picked.sum(dtype=accumulation_dtype(y.device)).reshape(1)
    own = float(mine)
    total = float(dist.all_reduce_sum(mine))
    return dist.world_size * own / total if total else math.nan
