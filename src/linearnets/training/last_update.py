"""The loss of an epoch's last batch after the epoch's last update, for the divergence guard
(D2L §3.6.6).

No step's loss shows an epoch's last update: each is measured before its own. Where one batch
holds the training set none is seen, and softmax on 64 examples at lr 1e30 ended exit 0 with
weights of ~1e29 saved. :func:`~linearnets.training.loop.train_epoch` re-scores the last batch it
trained on once its loop ends, one forward pass without gradients, and hands the per-example
losses to a hook that asks for them (``after_last_update``: the guard, which judges them at the
epoch's end as a step's).
"""

from __future__ import annotations

import torch

from linearnets.training.evaluation import switch_mode
from linearnets.training.loss_kinds import Loss
from linearnets.training.step import Net
from linearnets.training.step_checks import compute_loss

__all__ = ["rescore"]


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
