"""What ``fit`` tells the divergence guards among its callbacks (and its ``on_step``) before its
first epoch: its own loss, where a guard was built without one (D2L §3.6.6).

``callbacks=[DivergenceGuard(lr)]`` is how the docs guard a run; without ``loss=`` such a guard took a
mean-reduced cross-entropy's one value per batch of 20 for a loss that may hold rare large values,
and let a classifier blown up at lr 1e4 train on at chance. ``fit`` knows the loss it trains with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

__all__ = ["guards_of", "prepare_guards"]


def guards_of(
    callbacks: Sequence[Any], on_step: Callable[[int, torch.Tensor], None] | None
) -> list[Any]:
    """Return the :class:`~linearnets.training.guard.DivergenceGuard` objects among ``on_step``
    and ``callbacks``, each once."""
    from linearnets.training.guard import DivergenceGuard

    guards: list[Any] = []
    for hook in (on_step, *callbacks):
        if isinstance(hook, DivergenceGuard) and not any(hook is g for g in guards):
            guards.append(hook)
    return guards


def prepare_guards(
    callbacks: Sequence[Any],
    on_step: Callable[[int, torch.Tensor], None] | None,
    *,
    loss: object,
) -> None:
    """Hand fit's ``loss`` to each guard built without one (an explicit ``loss=`` is kept)."""
    for guard in guards_of(callbacks, on_step):
        guard.use_fit_loss(loss)
