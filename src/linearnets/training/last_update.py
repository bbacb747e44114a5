"""The loss of an epoch's last examples after the epoch's last update, for the divergence guard
(D2L §3.6.6).

No step's loss shows an epoch's last update: each is measured before its own. Where one batch
holds the training set none is seen, and softmax on 64 examples at lr 1e30 ended exit 0 with
weights of ~1e29 saved. The last batch alone may be short: 257 examples at batch 256 leave one,
which the huge update fits (loss ~0) while the 256 others blow up, and weights of ~1e28 were
saved. So :func:`~linearnets.training.loop.train_epoch` holds the epoch's last batches holding at
least the guard's ``min_examples`` examples, counted over every process in a data-parallel run
(:class:`HeldBatches`), re-scores them once its loop
ends, a forward pass each without gradients, and hands the per-example losses to a hook that
asks for them (``after_last_update``: the guard, which judges them at the epoch's end as a
step's).
"""

from __future__ import annotations

import math
from collections import deque

import torch

from linearnets.training.evaluation import switch_mode
from linearnets.training.loss_kinds import Loss
from linearnets.training.step import Net
from linearnets.training.step_checks import compute_loss

__all__ = ["HeldBatches", "rescore", "rescore_all"]


def rescore(
    net: Net, loss: Loss, X: torch.Tensor, y: torch.Tensor, *, summed: bool
) -> torch.Tensor:
    """Return the per-example losses (B,) or (B, k) of ``net`` on the batch ``(X, y)``, without gradients
    and in evaluation mode (no BatchNorm statistics updated, no dropout), as a test loss is
    measured. A loss reduced to one number is spread over the B examples as the steps' are: a
    mean repeated, a sum (``summed``) shared out.

    Args:
        net: the model, after the epoch's last update.
        loss: the training loss, ``loss(y_hat, y)``.
        X: the last batch's inputs (B, ...).
        y: its targets (B,) or (B, k).
        summed: a 0-d loss is the batch's sum.
    """
    restore = switch_mode(net, False)
    try:
        with torch.no_grad():
            l = compute_loss(loss, net(X), y)
    finally:
        restore()
    batch = y.shape[0] if y.ndim else 1
    if l.ndim == 0:
        return (l / batch if summed and batch else l).expand(batch)
    return l


def rescore_all(
    net: Net, loss: Loss, batches: list[tuple[torch.Tensor, torch.Tensor]], *, summed: bool
) -> torch.Tensor:
    """Return the per-example losses (N,) or (N, k) of ``net`` on ``batches`` (their N examples
    in order), each batch re-scored by :func:`rescore`.

    Args:
        net: the model, after the epoch's last update.
        loss: the training loss, ``loss(y_hat, y)``.
        batches: the epoch's last batches ``(X, y)``, X (B, ...) and y (B,) or (B, k).
        summed: a 0-d loss is its batch's sum.
    """
    losses = [rescore(net, loss, X, y, summed=summed) for X, y in batches]
    return losses[0] if len(losses) == 1 else torch.cat(losses)


class HeldBatches:
    """The epoch's last batches, the fewest holding at least ``examples`` examples (all of them
    where the epoch holds fewer), for :func:`rescore_all`.

    In a data-parallel run the examples are counted over every process: each step's global batch
    size, the same on every rank, decides which steps are held, and each rank holds its share of
    them. So the processes together re-score the examples one process re-scores with the same
    global batches (rank-local counts had each rank hold at least ``examples`` of its own: at
    batch 64 on 129 examples 1 process re-scored the last 65, 2 processes all 129, and one ended
    where the other stopped).

    Where the loader's length n is known, only the batches from step n − k on are held, k =
    ⌈examples / the first batch's global size⌉ + 1, so that most steps still let go of their batch
    before the next is built (see :func:`~linearnets.training.loop.train_epoch`); else every
    batch passes through a deque trimmed to the latest batches holding ``examples``.

    Args:
        num_batches: the loader's length, or ``None`` where unknown.
        examples: how many of the epoch's last examples to hold (the guard's ``min_examples``),
            counted over every process.
    """

    def __init__(self, num_batches: int | None, *, examples: int) -> None:
        self.num_batches = num_batches
        self.examples = max(examples, 1)
        self._first: int | None = None  # the step from which batches are held
        # the batches held, each with its global size (its examples over every process)
        self._held: deque[tuple[torch.Tensor, torch.Tensor, int]] = deque()
        self._count = 0  # the global sizes' sum

    def __bool__(self) -> bool:
        return bool(self._held)

    def add(self, step: int, X: torch.Tensor, y: torch.Tensor, *, size: int | None = None) -> None:
        """Hold step ``step``'s batch ``(X, y)`` where it may be among the last ones needed.

        ``size``: the step's global batch size, its examples over every process (the same on
        every rank); default: this batch's own, as in one process.
        """
        if size is None:
            size = y.shape[0] if y.ndim else 1
        if self._first is None:
            if self.num_batches is None:
                self._first = 0
            else:
                k = math.ceil(self.examples / max(size, 1)) + 1
                self._first = max(self.num_batches - k, 0)
        if step < self._first:
            return
        self._held.append((X, y, size))
        self._count += size
        while len(self._held) > 1 and self._count - self._held[0][2] >= self.examples:
            self._count -= self._held.popleft()[2]

    def take(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return the batches held, in order, and let go of them."""
        held = [(X, y) for X, y, _ in self._held]
        self._held.clear()
        self._count = 0
        return held
