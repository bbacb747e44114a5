"""Ctrl-C and SIGTERM during training: finish the current step, keep the last checkpoint, stop cleanly.

:class:`GracefulInterrupt` is a context manager that, in the main thread, replaces the SIGINT and SIGTERM
handlers for the duration of training: the first signal only sets a flag, and the training loop raises
:class:`TrainingInterrupted` after the step that is running (use the object as a ``fit`` callback). A
second signal aborts at once with a plain ``KeyboardInterrupt``. The previous handlers come back on exit.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import torch

from linearnets.training.callbacks import Callback
from linearnets.training.history import EpochMetrics

__all__ = ["GracefulInterrupt", "TrainingInterrupted"]

_SIGNALS = ("SIGINT", "SIGTERM")


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal after a finished step (a ``KeyboardInterrupt``: CLI exit 130).

    Attributes:
        signal_name: "SIGINT" or "SIGTERM".
        epoch: the epoch that was running (its partial work is dropped).
        step: steps finished in that epoch (0 when stopped between epochs).
        run_dir: the run folder to resume, when the run has one.
        checkpoint_epoch: epochs the kept checkpoint holds (``None``: no checkpoint yet).
        command: the subcommand that resumes it, e.g. "linearnets softmax".
    """

    def __init__(self, *, signal_name: str, epoch: int, step: int) -> None:
        super().__init__(signal_name, epoch, step)
        self.signal_name = signal_name
        self.epoch = epoch
        self.step = step
        self.run_dir: Path | None = None
        self.checkpoint_epoch: int | None = None
        self.command = "linearnets softmax"

    def __str__(self) -> str:
        if self.step:
            where = f"epoch {self.epoch} step {self.step}"
        else:
            where = f"the end of epoch {self.epoch}" if self.epoch else "the start"
        text = f"interrupted by {self.signal_name} at {where}"
        if self.run_dir is None:
            return text
        if self.checkpoint_epoch is None:
            return (
                f"{text}, before the first checkpoint; start it over with: "
                f"{self.command} --resume {self.run_dir}"
            )
        return (
            f"{text}; the checkpoint of epoch {self.checkpoint_epoch} is kept in {self.run_dir}; "
            f"resume with: {self.command} --resume {self.run_dir}"
        )


class GracefulInterrupt(Callback):
    """Turn SIGINT/SIGTERM into a clean stop after the current step, for the duration of a ``with``.

    Outside the main thread (where Python cannot install handlers), or with ``enabled=False`` (e.g. in a
    data-parallel run, where every process must stop at the same step), it installs nothing and signals
    keep their usual behaviour.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.requested: str | None = None
        self.epoch = 0
        self.step = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> GracefulInterrupt:
        if self.enabled and threading.current_thread() is threading.main_thread():
            for name in _SIGNALS:
                signum = getattr(signal, name)
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None:  # a second signal: the user means it, stop now
            self.__exit__()
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def check(self) -> None:
        """Raise :class:`TrainingInterrupted` if a signal arrived."""
        if self.requested is not None:
            raise TrainingInterrupted(signal_name=self.requested, epoch=self.epoch, step=self.step)

    # -- fit callback hooks ----------------------------------------------------------------------
    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Remember where the run starts."""
        self.epoch, self.step = start_epoch, 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        """Stop before the epoch starts if a signal arrived; else remember it."""
        self.check()
        self.epoch, self.step = epoch, 0

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        """Stop after this step if a signal arrived."""
        self.step = step + 1
        self.check()

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        """Stop after the epoch's checkpoint if a signal arrived during evaluation."""
        self.step = 0
        self.check()
