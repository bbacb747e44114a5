"""The starting loss of a divergence guard first turned on at a resume (D2L §3.2.7).

A run trained with ``guard=False`` keeps no guard state in its checkpoints. Resumed with the guard
on, a fresh guard took the resumed epoch's first steps as its start: a run already blowing up
(``--lr 2.5 --batch-size 1000``: a loss of 17 at the start, 791 after epoch 4) was then measured
from 791 and trained on to 44619, exit 0, where a run guarded from its start stops at epoch 5. So
the guard is given the start it would have had: the untrained model's loss on the run's first
batches, made again from the run's seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from linearnets.training.guard import DivergenceGuard

if TYPE_CHECKING:
    from linearnets.tasks.linreg import LinregSetup

__all__ = ["seed_guard_start"]


def seed_guard_start(guard: DivergenceGuard, setup: LinregSetup) -> None:
    """Give ``guard`` the starting loss of the run ``setup`` makes again, before any training.

    The start is the mean per-example loss of the untrained model over the first epoch's first
    batches holding ``guard.min_examples`` examples (the whole epoch where it holds fewer), as the
    guard of a run guarded from its start measured it: exactly that where the first batch holds
    them (the loss before any update), the untrained model's where a guarded run's window spanned
    steps with updates between them. Its first loss is the first batch's.

    Call it on a fresh ``setup`` (untrained model, generators as seeded), before a checkpoint's
    states are loaded into it: the batches drawn here use the data generator, which the
    checkpoint's state then replaces, so the resumed run is the same bit for bit.

    Args:
        guard: a fresh guard, to be used for a resume whose checkpoint holds no guard state.
        setup: the run's data and model, made again from its seed (``prepare_linreg``).
    """
    total, count, first = 0.0, 0, None
    with torch.no_grad():
        for X, y in setup.train_iter:  # X (B, d), y (B, 1)
            losses = setup.loss(setup.net(X), y)  # (B, 1): per example
            batch = float(losses.double().sum())
            total, count = total + batch, count + losses.shape[0]
            first = batch / losses.shape[0] if first is None else first
            if count >= guard.min_examples:
                break
    if count == 0:  # no batch: the guard's own window opens at the resumed epoch
        return
    state = guard.state_dict()
    state.update(start_loss=total / count, first_loss=first, sum=total, count=count)
    guard.load_state_dict(state)
