"""Ctrl-C and SIGTERM during training: finish the current step, keep the last checkpoint, stop cleanly.

:class:`GracefulInterrupt` is a context manager that, in the main thread, replaces the SIGINT and SIGTERM
handlers for the duration of training: the first signal only sets a flag, and the training loop raises
:class:`TrainingInterrupted` after the step that is running (use the object as a ``fit`` callback). A
second signal aborts at once, with a :class:`TrainingInterrupted` marked ``aborted`` (so the run still
says where it is and how to resume). The previous handlers come back on exit; a signal whose flag no
step read any more (one that came after the last epoch's check, while ``fit`` closed its callbacks)
stops the run there, as at the end of that epoch. A second signal after the handlers came back,
while the first stop is on its way out, raises a plain ``KeyboardInterrupt`` in its place:
:func:`stop_behind` finds the first stop again, so that the run is not told as never started.

In a data-parallel run every process must stop after the same step, or the others would wait forever in
the next gradient all-reduce. So there the processes agree: every few steps, and at each epoch's start
and end, they sum their flags in one all-reduce and all stop once any of them was signalled. A repeated
signal does not abort there: torchrun passes on the Ctrl-C that the terminal already sent every process,
and it kills the workers itself if they have not stopped within its timeout (30 s).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeGuard

import torch

from linearnets._shell import launched_as_before, shell_word
from linearnets._signals import note_stop, sigterm_as_keyboard_interrupt
from linearnets._text import shown_path
from linearnets.errors import OneLineInIPython
from linearnets.training.callbacks import Callback
from linearnets.training.distributed import DistContext
from linearnets.training.history import EpochMetrics

__all__ = [
    "GracefulInterrupt",
    "TrainingInterrupted",
    "launched_as_before",
    "plain_stop",
    "raise_run_stop",
    "sigterm_as_keyboard_interrupt",
    "stop_behind",
]

_SIGNALS = ("SIGINT", "SIGTERM")

# steps between two agreements of a data-parallel run: a 2-element all-reduce every 8 steps costs
# ~1 ms per Fashion-MNIST epoch on gloo, and the stop comes at most 7 steps (milliseconds) later
SYNC_EVERY = 8


class TrainingInterrupted(OneLineInIPython, KeyboardInterrupt):
    """Training stopped on a signal after a finished step (a ``KeyboardInterrupt``: CLI exit 130).

    Jupyter and IPython show it as its one line, where it stopped and the resume call, at once (see
    :class:`~linearnets.errors.OneLineInIPython`: a second interrupt no longer lands in a long
    traceback's rendering and replaces the line by a bare ``KeyboardInterrupt``).

    Attributes:
        signal_name: "SIGINT" or "SIGTERM".
        epoch: the epoch that was running (its partial work is dropped).
        step: steps finished in that epoch (0 when stopped between epochs).
        aborted: a second signal stopped it at once, wherever it was (not after a step).
        run_dir: the run folder to resume, when the run has one.
        checkpoint_epoch: epochs the kept checkpoint holds (``None``: no checkpoint yet).
        command: the subcommand that resumes it, e.g. "linearnets softmax".
        function: the Python function that resumes it, e.g. "resume_softmax".
        from_cli: name the command (the CLI sets it) rather than the function in the hint.
        launcher: the launcher that started the processes of a data-parallel run ("torchrun"),
            ``""`` when none did.
        processes: the processes of a data-parallel run started without one (by hand, or by the
            user's own code), to start again as before; 1 for a single process.
        complete: the run had finished (its ``results.json`` written) when the signal came: its
            folder is complete, and there is nothing to resume.
        raised_in_run: no signal came: a ``KeyboardInterrupt`` raised in the run (a callback's
            "stop training now") stopped it, after ``step`` steps of ``epoch`` (0: at its end).
        signalled_rank: the process of a data-parallel run the signal came to, where it was not
            this one (``kill -INT`` to one worker); ``None``: this process got it.
        asked: the resume call with the settings it was given
            (:func:`~linearnets.training.run_task.asked_resume`), advised in place of the plain
            one where the stop came before the resume recorded them in ``config.json``: the plain
            one then trained the run's old settings (the command line says it as its options).
        writing: the stop came after the last epoch, while the run's files were written: its
            figures may show fewer epochs than its checkpoint holds, or be missing, until the
            resume (which trains nothing) writes them.
    """

    def __init__(self, *, signal_name: str, epoch: int, step: int) -> None:
        super().__init__(signal_name, epoch, step)
        self.signal_name = signal_name
        self.epoch = epoch
        self.step = step
        self.aborted = False
        self.run_dir: Path | None = None
        self.checkpoint_epoch: int | None = None
        self.command = "linearnets softmax"
        self.function = "resume_softmax"
        self.from_cli = False
        self.launcher = ""  # how the processes were started, when not by hand (e.g. "torchrun")
        self.processes = 1  # how many were started by hand (no launcher)
        self.complete = False
        self.raised_in_run = False
        self.signalled_rank: int | None = None
        self.asked: str | None = None
        self.writing = False

    def __str__(self) -> str:
        if self.aborted:  # mid-step, mid-evaluation: only the epoch is known
            where = f"during epoch {self.epoch}" if self.epoch else "at the start"
            if self.epoch and self.checkpoint_epoch == self.epoch:  # its checkpoint was written
                where = f"at the end of epoch {self.epoch}"
            text = f"aborted by a second {self.signal_name} {where}"
        else:
            # the batches counted from 1: after batch 3 is after a callback's on_batch_end(2, ...)
            if self.step:
                where = f"after batch {self.step} of epoch {self.epoch}"
            else:
                where = f"at the end of epoch {self.epoch}" if self.epoch else "at the start"
            if self.writing:
                where += ", the last, before the run's files (its figures too) were all written"
            text = f"interrupted by {self._signal} {where}"
            if self.raised_in_run:
                text = f"stopped by a KeyboardInterrupt raised in the run (by a callback) {where}"
        if self.run_dir is None:
            return text
        if self.complete:
            return (
                f"interrupted by {self._signal} after the run finished: its results are "
                f"complete in {shown_path(self.run_dir)}"
            )
        if self.asked is not None:  # the command line says it as the command (cli_words)
            again = self.asked
        elif self.from_cli:  # quoted for the shell: "my run" is one argument
            again = f"{self.command} --resume {shell_word(self.run_dir)}"
        else:  # called from Python (a notebook, say): the call that resumes it
            again = f"linearnets.{self.function}({str(self.run_dir)!r})"
        again += launched_as_before(self.launcher, self.processes)
        if self.checkpoint_epoch is None:
            return f"{text}, before the first checkpoint; start it over with: {again}"
        return (
            f"{text}; the checkpoint of epoch {self.checkpoint_epoch} is kept in "
            f"{shown_path(self.run_dir)}; resume with: {again}"
        )

    @property
    def _signal(self) -> str:
        """The signal, and the process it came to where that was another (it was told as this
        one's: "interrupted by SIGINT" on a rank 0 that got none)."""
        if self.signalled_rank is None:
            return self.signal_name
        return f"{self.signal_name} to rank {self.signalled_rank}"

    def __reduce__(self) -> tuple[Any, ...]:
        # the keyword-only __init__ defeats the default pickling of exceptions (a run in a process
        # pool hands its exception back pickled): rebuilt from the attributes instead
        return (_rebuilt, (dict(self.__dict__),))


def _rebuilt(state: dict[str, Any]) -> TrainingInterrupted:
    """Return the :class:`TrainingInterrupted` whose attributes are ``state`` (for unpickling)."""
    exc = TrainingInterrupted(
        signal_name=state["signal_name"], epoch=state["epoch"], step=state["step"]
    )
    exc.__dict__.update(state)
    return exc


def plain_stop(exc: BaseException) -> TypeGuard[KeyboardInterrupt]:
    """Return whether ``exc`` is a plain stop: a ``KeyboardInterrupt`` (a Ctrl-C's, or one a
    callback raised, of a subclass of its own too) that is not training's own
    :class:`TrainingInterrupted`, which says where it stopped."""
    return isinstance(exc, KeyboardInterrupt) and not isinstance(exc, TrainingInterrupted)


def stop_behind(exc: BaseException) -> TrainingInterrupted | None:
    """Return the :class:`TrainingInterrupted` that ``exc`` replaced while it was handled (a second
    Ctrl-C or SIGTERM, once training's own handlers were gone, raises a plain
    ``KeyboardInterrupt`` wherever the first stop was on its way out), or ``None``."""
    seen: set[int] = set()
    behind = exc.__context__
    while behind is not None and id(behind) not in seen:
        if isinstance(behind, TrainingInterrupted):
            return behind
        seen.add(id(behind))
        behind = behind.__context__
    return None


def raise_run_stop(
    exc: KeyboardInterrupt,
    *,
    returned: bool,
    before_training: Callable[[KeyboardInterrupt], KeyboardInterrupt],
) -> NoReturn:
    """Raise what the stop ``exc`` that reached a command's run (or resume) call stands for.

    Training's own stop (which names where it stopped), or any stop once the run had ``returned``,
    goes on as it is; a second signal's plain ``KeyboardInterrupt`` as the training stop it cut
    short (:func:`stop_behind`); any other plain one came before training began:
    ``before_training(exc)``, the command's own stop.
    """
    if type(exc) is not KeyboardInterrupt or returned:
        raise exc
    first = stop_behind(exc)
    if first is not None:
        raise first from None
    raise before_training(exc) from None


class GracefulInterrupt(Callback):
    """Turn SIGINT/SIGTERM into a clean stop after the current step, for the duration of a ``with``.

    Outside the main thread (where Python cannot install handlers), or with ``enabled=False``, it
    installs nothing and signals keep their usual behaviour.

    Args:
        enabled: install the handlers.
        dist: the data-parallel context: when it spans several processes, they agree on the step to
            stop after (see the module's docstring), and a repeated signal does not abort.
        device: where the agreement's all-reduce runs (the model's device: gloo needs CPU tensors,
            NCCL CUDA ones).
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        dist: DistContext | None = None,
        device: torch.device | None = None,
    ) -> None:
        self.enabled = enabled
        self.dist = dist if dist is not None and dist.enabled else None
        self.device = device if device is not None else torch.device("cpu")
        self.requested: str | None = None
        self.epoch = 0
        self.step = 0
        self._previous: dict[int, Any] = {}
        self._told = False  # a check raised the stop the flag asked for

    def __enter__(self) -> GracefulInterrupt:
        if self.enabled and threading.current_thread() is threading.main_thread():
            for name in _SIGNALS:
                signum = getattr(signal, name)
                if signal.getsignal(signum) is signal.SIG_IGN:
                    continue  # ignored by whoever started us (`cmd &` in a script): left so
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._restore()
        # a signal no step read: it came after the last epoch's check (while fit closed its
        # callbacks), and was dropped without a word. In one process it stops the run here, as at
        # the end of that epoch; in a data-parallel run the last agreement was the epoch's end
        # (another one here would wait on a process that failed since)
        if exc_type is None and self.requested is not None and not self._told and self.dist is None:
            raise TrainingInterrupted(signal_name=self.requested, epoch=self.epoch, step=self.step)

    def _restore(self) -> None:
        """Put the handlers found on entry back."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None:
            if self.dist is not None:  # torchrun passing on the terminal's Ctrl-C: already stopping
                return
            self._restore()  # a second signal: the user means it, stop now
            # still a TrainingInterrupted, so the run names its folder and resume (exit 130)
            aborted = TrainingInterrupted(
                signal_name=signal.Signals(signum).name, epoch=self.epoch, step=self.step
            )
            aborted.aborted = True
            self._told = True
            raise aborted
        self.requested = signal.Signals(signum).name
        note_stop()  # a line waiting for a stuck output gives up: the run stops after its step

    def check(self) -> None:
        """Raise :class:`TrainingInterrupted` if a signal arrived (at any process of the run)."""
        requested, rank = (self.requested, None) if self.dist is None else self._agreed()
        if requested is not None:
            self._told = True
            stop = TrainingInterrupted(signal_name=requested, epoch=self.epoch, step=self.step)
            stop.signalled_rank = rank
            raise stop

    def _agreed(self) -> tuple[str | None, int | None]:
        """Return the signal any process of the run got (this one's first), in one all-reduce,
        and the first process that got it where this one did not (else ``None``).

        Every process must call this at the same points of training: it is a collective.
        """
        assert self.dist is not None
        # read once: a signal landing during the all-reduce must wait for the next agreement, or
        # this process would stop on a flag its peers never saw and leave them in a collective
        mine = self.requested
        # (signals, world_size): which process got each signal
        flags = torch.zeros(len(_SIGNALS), self.dist.world_size, device=self.device)
        if mine is not None:
            flags[_SIGNALS.index(mine), self.dist.rank] = 1.0
        self.dist.all_reduce_sum(flags)
        if mine is not None:
            return mine, None
        # the terminal's Ctrl-C reaches every process at once, but this one's handler may have run
        # only as the all-reduce returned: its own signal then (another rank's SIGTERM, in the
        # table, is not the one this process got), the table only where it got none
        late = self.requested
        for name, ranks in zip(_SIGNALS, flags.tolist(), strict=True):
            got = [rank for rank, count in enumerate(ranks) if count > 0]
            if got:
                return (late, None) if late is not None else (name, got[0])
        return None, None

    # -- fit callback hooks ----------------------------------------------------------------------
    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Remember where the run starts."""
        self.epoch, self.step = start_epoch, 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        """Stop before the epoch starts if a signal arrived; else remember it."""
        self.check()
        self.epoch, self.step = epoch, 0

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        """Stop after this step if a signal arrived (data-parallel: every few steps, all together)."""
        self.step = step + 1
        if self.dist is None or self.step % SYNC_EVERY == 0:
            self.check()

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        """Stop after the epoch's checkpoint if a signal arrived during evaluation."""
        self.step = 0
        self.check()
