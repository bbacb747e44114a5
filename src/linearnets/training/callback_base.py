"""The hooks :func:`linearnets.training.loop.fit` calls, as a class whose hooks do nothing.

Subclass it (:class:`Callback`) and override the hooks you need; the library's own callbacks are
:mod:`linearnets.training.callbacks`'s. A subclass's own method named ``on_…`` that is no hook
(``on_epoch_ends``) is refused as the class is defined: fit would never call it. See D2L §3.6.6.
"""

from __future__ import annotations

from typing import Any

import torch

from linearnets.errors import UsageTypeError
from linearnets.training.callback_checks import misnamed_hook, not_a_hook
from linearnets.training.history import EpochMetrics, History

__all__ = ["Callback"]


class Callback:
    """A callback that does nothing; subclass it and override the hooks you need.

    :func:`~linearnets.training.loop.fit` passes each hook its arguments by name, but for
    ``on_batch_end(step, losses)``: keep the names, e.g.
    ``def on_epoch_end(self, *, metrics): print(metrics.test_acc)``.

    A learning-rate scheduler steps from a callback, after each epoch's updates and evaluation as
    in a loop of your own (``scheduler.step(metrics.test_loss)`` for ``ReduceLROnPlateau``; from
    ``on_batch_end`` for one stepped per batch)::

        scheduler = torch.optim.lr_scheduler.StepLR(updater, step_size=2, gamma=0.5)

        class Schedule(linearnets.Callback):
            def on_epoch_end(self, *, metrics):
                scheduler.step()

    and ``fit(..., callbacks=[Schedule()])``.

    Every method a subclass names ``on_…`` must be one of these hooks: ``on_epoch_ends``, or
    Keras' ``on_train_begin``, would never run, so the class is refused as it is defined (a method
    of your own takes a name without ``on_``).

    See D2L §3.6.6.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # at the class statement, the line to fix, rather than when fit is given an object of it
        # (fit checks the names of a callback of any other class: callback_checks)
        super().__init_subclass__(**kwargs)
        name = misnamed_hook(vars(cls))
        if name is not None:
            raise UsageTypeError(not_a_hook("a Callback's", cls.__name__, name))

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Called once before the first epoch, with the last epoch to run and those already done."""

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        """Called before each epoch (counted from 1), with its number of batches (``None``: unknown)."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        """Called after each optimizer step (counted from 0 in the epoch) with the batch's
        per-example losses: B values, as the loss gives them ((B,), or (B, 1) from
        ``squared_loss``). The library's messages count batches from 1 ("training diverged at
        batch 3 of epoch 1", "after batch 3 of epoch 2"): ``step`` ``s`` is batch ``s + 1``.
        ``losses`` is a copy: changed in place, it leaves the epoch's reported loss as it was."""

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        """Called after each epoch (training and evaluation) with its metrics."""

    def on_fit_end(self, *, history: History) -> None:
        """Called once after the last epoch, with the history of every epoch."""
