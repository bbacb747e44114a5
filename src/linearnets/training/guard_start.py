"""The starting loss of a divergence guard first turned on at a resume (D2L §3.2.7, §3.6.6).

A run trained with ``guard=False`` keeps no guard state in its checkpoints. Resumed with the guard
on, a fresh guard took the resumed epoch's first steps as its start: a run already blowing up was
then measured from its blown-up loss and trained on (linreg ``--lr 2.5 --batch-size 1000``: from
791 after epoch 4 to 44619, exit 0; softmax ``--lr 100``: 464 at epoch 2's first batch, exit 0),
where a run guarded from its start stops. So the guard is given the start it would have had: the
untrained model's loss on the run's first batches, made again from the run's seed (softmax's
2.306, "more than 100× its starting value 2.306" at that first batch). It stops only what is left:
softmax ``--lr 30``, whose guarded run stopped at batch 3 of epoch 1, resumes at ~50, under 100×
that start. Both tasks' resumes call :func:`seed_guard_start` (:mod:`linearnets.tasks.linreg_run`,
:mod:`linearnets.tasks.resume`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from linearnets.training.guard import DivergenceGuard
from linearnets.training.guard_floor import TargetSpread, squared_scale, target_moments
from linearnets.training.guard_stats import step_sums, sum_and_count
from linearnets.training.history import History

__all__ = ["higher_start", "seed_guard_start"]


def seed_guard_start(
    guard: DivergenceGuard,
    *,
    net: Callable[[torch.Tensor], torch.Tensor],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    batches: Iterable[Any],
    new_data: bool = False,
    history: History | None = None,
) -> None:
    """Give ``guard`` the starting loss of the run whose untrained ``net`` and ``batches`` are
    given, before any training; it prints nothing and changes no weight.

    The start is the mean per-example loss of the untrained model over the first epoch's first
    batches holding ``guard.min_examples`` examples (the whole epoch where it holds fewer), as the
    guard of a run guarded from its start measured it, with the same sums
    (:func:`~linearnets.training.guard_stats.step_sums`): exactly that where the first batch holds
    them (the loss before any update), the untrained model's where a guarded run's window spanned
    steps with updates between them. Its first loss is the first batch's. In a data-parallel run
    (``guard.dist`` enabled) each batch's loss sum and count are summed over the processes, one
    all-reduce a batch, as the guard sums a step's: every rank takes the same start, and every
    rank draws as many batches (the count that ends the loop is the group's). An untrained loss
    that is not finite leaves the guard as it was (its own window opens at the resumed epoch,
    whose non-finite losses it stops on anyway).

    Iterating ``batches`` draws its order from the loader's generator: call it on a run made
    afresh (untrained model, generators as seeded), before a checkpoint's states are loaded,
    where those replace the generators, or put their states back after it (a forced new seed's
    run keeps its own); the resumed run is then the same bit for bit.

    Args:
        guard: a fresh guard, to be used for a resume whose checkpoint holds no guard state.
        net: the untrained model (the bare one, not DistributedDataParallel's wrapper: no
            collective of its own), mapping a batch's X (B, ...) to its outputs.
        loss: the run's per-example loss, ``loss(net(X), y)`` of shape (B, ...).
        batches: the run's training batches ``(X, y)`` (its loader, as seeded), this process's
            share of each in a data-parallel run.
        new_data, history: the resume's, as :meth:`DivergenceGuard.load_state_dict` takes them:
            the lowest training loss after an epoch is ``history``'s (the checkpoint's epochs on
            the run's current data) unless ``new_data``; without them the first resumed epoch
            went unchecked against it (linreg at lr 1.76 trained with ``guard=False``, resumed
            guarded: epoch 4 ended at 466 after 0.000117 and overwrote epoch 3's checkpoint).
    """
    dist = guard.dist if guard.dist is not None and guard.dist.enabled else None
    # a squared-error loss's floor (linreg's): the first epoch's targets, all of them, as the
    # guarded run had seen them by its end (the floor is their spread over their count: alike
    # after any whole number of epochs); without them a healthy run on targets mostly 0 with a
    # few of ±1000 was stopped at once, its loss 2499 "more than 100× its start 0.0001234"
    spread = _floor_spread(guard) if dist is None else None
    total, count, first = 0.0, 0, None
    with torch.no_grad():
        for X, y in batches:
            if spread is not None:
                moments = target_moments(y).tolist()  # (2, k): column means, centred sums
                spread.add(y.shape[0] if y.ndim else 1, moments[0], moments[1])
                if count >= guard.min_examples:
                    continue  # the start measured: only the targets are left to see
            losses = loss(net(X), y)  # (B, ...): per example
            if dist is not None:  # this step's (sum, count) over every process, as the guard's
                both = sum_and_count(losses)
                dist.all_reduce_sum(both)
                batch, rows = (float(v) for v in both.tolist())
                n = int(rows)
            else:
                batch, n = float(step_sums([losses])[0]), losses.shape[0] if losses.ndim else 1
            if n == 0:
                continue
            total, count = total + batch, count + n
            first = batch / n if first is None else first
            if count >= guard.min_examples and spread is None:
                break
    if count == 0 or not math.isfinite(total):  # no batch, or no start to measure from
        return
    state = guard.state_dict()
    state.update(start_loss=total / count, first_loss=first, sum=total, count=count)
    if spread is not None:
        state.update(spread.state_dict())
    guard.load_state_dict(state, new_data=new_data, history=history)


def higher_start(
    saved: dict[str, Any] | None, seeded: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Return the guard state a resume forced onto other data goes on with: of the checkpoint's
    (``saved``, its start the old data's) and the one :func:`seed_guard_start` measured on the new
    data (``seeded``, the untrained model's loss on their first batches), the one whose starting
    loss is the higher; ``seeded`` where ``saved`` has none, ``saved`` where ``seeded`` has none.

    Either alone stopped healthy runs: the old start, where the old data's first steps learned
    fast (linreg noise 0 → 10 at batch 1, lr 0.3: "94.71, more than 100× its starting value
    0.8373"); the new data's untrained loss, where their targets are smaller (the same X, y / 100:
    the trained weights' first batch 15.23, "more than 100× its starting value 0.001437"). A run
    that blows up on the new data passes 100× the higher of the two as well. linreg's resume
    also weighs the resumed weights' loss on the new data (:mod:`linearnets.tasks.linreg_run`),
    where a run trained with ``guard=False`` keeps no saved start and its epochs' losses fell to
    their end."""
    if not saved:
        return seeded
    old, new = saved.get("start_loss"), (seeded or {}).get("start_loss")
    if not isinstance(new, int | float) or not math.isfinite(new):
        return saved
    if not isinstance(old, int | float) or not math.isfinite(old) or new > old:
        return seeded
    return saved


def _floor_spread(guard: DivergenceGuard) -> TargetSpread | None:
    """Return an empty spread of targets to show the first epoch's to, where ``guard`` has a
    floor (a squared-error ``loss=``'s, :func:`~linearnets.training.guard_floor.squared_scale`);
    its scale is the guard's own business: the state holds the count, means and sums alone."""
    if squared_scale(guard.loss) is None:
        return None
    return TargetSpread(scale=1.0, per_value=False)
