"""What a softmax run that stops early says: where its last checkpoint is and how to continue it.

A signal (SIGINT, SIGTERM), a diverged loss or a lost data-parallel peer stops
:func:`~linearnets.tasks.training_run.train_experiment`; the error it raises names the run folder,
the epoch its checkpoint holds and the call that continues it, ``linearnets.resume_softmax(...)``
(on the command line ``linearnets softmax --resume``; D2L §3.6.6). The errors of a diverged loss
and a lost peer are :mod:`linearnets.tasks.run_failures`'s, the checkpoint's epoch and the relaunch
:mod:`linearnets.tasks.resume_advice`'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from linearnets._signals import first_signal
from linearnets.errors import (
    CheckpointError,
    LinearnetsError,
    RunFileError,
    UsageError,
    one_line_in_ipython,
)
from linearnets.tasks.experiment import Experiment
from linearnets.tasks.resume_advice import checkpoint_epoch, launched_again, name_launch
from linearnets.tasks.run_failures import LARGE_FEATURES, diverged, peer_lost
from linearnets.training.callback_base import Callback
from linearnets.training.checkpoint import CHECKPOINT_FILE, CheckpointCallback
from linearnets.training.checkpoint_write import the_run_in
from linearnets.training.fit_hooks import FIT_STOP_NOTE
from linearnets.training.history import EpochMetrics
from linearnets.training.hook_owners import raised_by_callback
from linearnets.training.interrupt import (
    TrainingInterrupted,
    sigterm_as_keyboard_interrupt,
    stop_behind,
)
from linearnets.training.loop import History
from linearnets.training.runs import RESULTS_FILE

# diverged, peer_lost and LARGE_FEATURES (run_failures.py) and launched_again
# (resume_advice.py) stay importable from here
__all__ = [
    "LARGE_FEATURES",
    "RunPosition",
    "complete_when_returned",
    "diverged",
    "folderless_stop_note",
    "interrupted_when_complete",
    "launched_again",
    "name_resume",
    "peer_lost",
    "raised_in_run",
    "resume_hint_after_training",
    "stop_names_its_folder",
    "user_stop",
]


@contextlib.contextmanager
def resume_hint_after_training(
    exp: Experiment,
    run_dir: Path,
    history: History,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> Iterator[None]:
    """Turn a Ctrl-C or SIGTERM after the last epoch into a :class:`TrainingInterrupted` with its hint.

    It would stop the run while the weights, reports or figures are written; the resume the message
    advises trains nothing and writes them. Once the block has written ``results.json`` the run is
    complete: the stop says so, and advises no resume (see :func:`interrupted_when_complete`).
    During training the interrupt says where it stopped itself (or a second, aborting signal does).
    """
    before = _stamp(run_dir / RESULTS_FILE)
    try:
        with sigterm_as_keyboard_interrupt():
            yield
    except KeyboardInterrupt as caught:
        exc = _first_stop(caught, exp, run_dir, checkpoint, start_epoch)
        after = _stamp(run_dir / RESULTS_FILE)
        if after is not None and after != before:  # written by this call: the run is complete
            raise interrupted_when_complete(exc, run_dir, epoch=exp.config.epochs) from None
        if isinstance(exc, TrainingInterrupted) or len(history.epochs) < exp.config.epochs:
            if exc is caught:
                raise
            raise exc from None  # the first stop, which the second signal's cut short
        stopped = TrainingInterrupted(
            signal_name=first_signal(exc),
            epoch=exp.config.epochs,
            step=0,
        )
        stopped.run_dir = run_dir
        stopped.writing = True  # its figures may be a drawing behind, or missing
        # every epoch finished: rank 0 saved the last, which the other ranks name too
        stopped.checkpoint_epoch = checkpoint_epoch(
            exp, checkpoint, start_epoch, finished=exp.config.epochs
        )
        name_launch(stopped, exp)
        raise stopped from None


@contextlib.contextmanager
def stop_names_its_folder(exp: Experiment, run_dir: Path) -> Iterator[None]:
    """Have an error of the run's own that stops it in the block name its folder: ``run_dir``.

    A full disk, a divergence, a lost peer: the command's ``--json`` object gives the folder, as an
    interrupted run's does (a folder gone meanwhile is not given). In a data-parallel run, the
    resume a file that could not be written advises (:func:`~linearnets.training.checkpoint_write.run_file_error`,
    the checkpoint's :class:`CheckpointError` too) says how its processes are started again, as
    the other stops say it (:func:`launched_again`). A callback's own error
    (:func:`~linearnets.training.hook_owners.raised_by_callback`) is named only once a checkpoint
    is kept: before that, a new run's folder is left as it was found.
    """
    try:
        with the_run_in(run_dir):  # a writer of yours elsewhere advises this run's resume
            yield
    except LinearnetsError as exc:
        if isinstance(exc, UsageError) or not run_dir.is_dir():
            raise
        if raised_by_callback(exc) and not (run_dir / CHECKPOINT_FILE).exists():
            raise  # a callback's own, before an epoch was kept: the folder goes (run_softmax)
        if getattr(exc, "run_dir", None) is None:
            exc.run_dir = run_dir  # type: ignore[attr-defined]
        # the plain resume, or the same resume again with its settings (asked_again_when_unrecorded)
        resume = f"linearnets.resume_softmax({str(run_dir)!r}"
        unwritten = isinstance(exc, RunFileError | CheckpointError)  # checkpoint.pt's too
        again = launched_again(exp)
        if unwritten and again and resume in str(exc) and str(exc).endswith(")"):
            # the same error, its cause (the failed write) and traceback kept for --debug
            exc.args = (f"{exc}{again}",)
        raise


def _first_stop(
    exc: KeyboardInterrupt,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> KeyboardInterrupt:
    """Return the training stop a second signal's plain ``exc`` cut short (:func:`stop_behind`),
    named with its resume if the second signal came before it was; else ``exc``."""
    if type(exc) is not KeyboardInterrupt:
        return exc
    first = stop_behind(exc)
    if first is None:
        return exc
    if first.run_dir is None:
        name_resume(first, exp, run_dir, checkpoint, start_epoch)
    return first


def _stamp(path: Path) -> tuple[int, int] | None:
    """Return ``path``'s inode and modification time (a new file has a new one), or ``None``."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


def interrupted_when_complete(
    exc: KeyboardInterrupt, run_dir: Path, *, epoch: int
) -> TrainingInterrupted:
    """Return the stop of a Ctrl-C or SIGTERM that came once the run was complete (``results.json``
    written): it says so, and advises no resume (one would be refused: nothing is left to do)."""
    stopped = TrainingInterrupted(signal_name=first_signal(exc), epoch=epoch, step=0)
    stopped.run_dir, stopped.complete = run_dir, True
    return stopped


@contextlib.contextmanager
def complete_when_returned() -> Iterator[list[Any]]:
    """Turn a Ctrl-C or SIGTERM that comes once the block's run returned into a complete run's stop.

    The block appends the finished run's result (a :class:`SoftmaxResult`, or a
    :class:`~linearnets.tasks.linreg.LinregResult`, which names its folder) to the list it is
    given; an interrupt after that (while the folder's lock is released, say) stopped nothing: the
    run is complete, and a resume would be refused. Before it, or after a run kept in no folder
    (a linear regression's without ``out``), the interrupt goes on as it was; but a second
    signal's plain ``KeyboardInterrupt``, raised while training's stop was on its way out (its
    handlers gone: the folder's lock released, say), goes on as that stop (:func:`stop_behind`),
    which names the run and its resume: a Python caller of ``run_linreg`` or ``run_softmax`` got
    the bare ``KeyboardInterrupt``, where the command told the first stop.
    """
    done: list[Any] = []
    try:
        yield done
    except KeyboardInterrupt as exc:
        first = stop_behind(exc) if type(exc) is KeyboardInterrupt else None
        stop = exc if first is None else first
        if done and done[0].run_dir is not None and not getattr(stop, "complete", False):
            result = done[0]
            raise interrupted_when_complete(
                stop, result.run_dir, epoch=result.config.epochs
            ) from None
        if first is not None:
            raise first from None
        raise


def name_resume(
    exc: TrainingInterrupted,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> None:
    """Tell an interrupt stopping training where the run is, so its message gives the resume."""
    exc.run_dir, exc.command = run_dir, "linearnets softmax"
    name_launch(exc, exp)
    finished = exc.epoch if not exc.step else exc.epoch - 1
    exc.checkpoint_epoch = checkpoint_epoch(exp, checkpoint, start_epoch, finished=finished)


class RunPosition(Callback):
    """Where training is, for a stop raised in the run by a callback (:func:`user_stop`).

    Put before the callbacks, it knows each step as it is done: ``epoch``, and ``step``, the
    steps done in it (0: at the end of ``epoch``). The interrupt check, last, lags one step behind
    a callback's ``on_batch_end``.
    """

    def __init__(self) -> None:
        self.epoch, self.step, self._running = 0, 0, 0

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        self.epoch, self.step = start_epoch, 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self._running = epoch  # still at the end of the one before, until a step is done

    def on_batch_end(self, step: int, losses: Any) -> None:
        self.epoch, self.step = self._running, step + 1

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        self.epoch, self.step = metrics.epoch, 0


def user_stop(
    exc: KeyboardInterrupt,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
    *,
    where: RunPosition | None = None,
) -> KeyboardInterrupt:
    """Return what a plain ``KeyboardInterrupt`` out of ``fit`` stands for in a run (D2L §3.6.6).

    Training's handlers turn a signal into a :class:`TrainingInterrupted`, so a plain one is the
    user's own: a callback's "stop training now" (or a second signal's, cutting a stop short:
    that stop, :func:`stop_behind`). Once an epoch is kept (a resume's first one is) it stops the
    run as a signal does, naming the checkpoint and the resume, as ``run_linreg``'s does; before
    it, ``exc`` goes on as it is, and a new run's folder is left as it was found. It says that no
    signal came, and ``where`` the run was (the end of the kept epoch, where not told).
    """
    first = stop_behind(exc)
    if first is not None:
        if first.run_dir is None:
            name_resume(first, exp, run_dir, checkpoint, start_epoch)
        return first
    kept = checkpoint_epoch(exp, checkpoint, start_epoch, finished=start_epoch)
    if kept is None:
        return run_stop_note(exc)
    stopped = raised_in_run(exc, where=where, kept=kept)
    name_resume(stopped, exp, run_dir, checkpoint, start_epoch)
    return stopped


def run_stop_note(exc: KeyboardInterrupt) -> KeyboardInterrupt:
    """Return ``exc``, a callback's ``KeyboardInterrupt`` going on out of a whole run (either
    task's, or its resume) before it kept a checkpoint, with fit's note (and its one line in
    IPython) replaced by the run's: "call fit again with start_epoch=0 and history=..." was
    advice for a caller of ``fit``, which the caller of ``run_linreg`` never was."""
    said = (
        "the run was stopped by a KeyboardInterrupt raised in it (by a callback) before its first "
        "checkpoint was kept, so no epoch of it is kept to resume from; the same call starts it "
        "over"
    )
    return _runs_note(exc, said)


def folderless_stop_note(exc: KeyboardInterrupt) -> KeyboardInterrupt:
    """Return ``exc``, a plain ``KeyboardInterrupt`` (a Ctrl-C's, or a callback's own) going on
    out of a run kept in no folder (``run_linreg`` without ``out``), with fit's note (and its one
    line in IPython) replaced by the run's, as :func:`run_stop_note` does: such a run keeps no
    checkpoint, so the same call starts it over, and ``out`` keeps one to resume from (as the
    command says, without ``--out``)."""
    # a Ctrl-C is a plain KeyboardInterrupt here too (no handler of a run folder's turns it into
    # a TrainingInterrupted), nor is a callback's marked: the two are told alike
    said = (
        "the run was stopped by a KeyboardInterrupt (a Ctrl-C, or a callback's own); without out "
        "it keeps no run folder or checkpoint, so no epoch of it is kept to resume from: the same "
        "call starts it over, and with out=DIR it keeps a checkpoint after every epoch, which "
        "linearnets.resume_linreg(DIR) continues"
    )
    return _runs_note(exc, said)


def _runs_note(exc: KeyboardInterrupt, said: str) -> KeyboardInterrupt:
    """Return ``exc`` with fit's note dropped and the run's, ``said``, in its place (its one line
    in IPython too, after the exception's own message where it has one: a callback's
    ``KeyboardInterrupt("time budget of 5 s reached")`` keeps its reason at the front)."""
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [n for n in notes if not (isinstance(n, str) and n.startswith(FIT_STOP_NOTE))]
    own = str(exc)
    one_line_in_ipython(exc, f"{own}; {said}" if own else said)
    if hasattr(exc, "add_note"):  # Python 3.11+: shown under the traceback
        exc.add_note(said)
    return exc


def raised_in_run(
    exc: KeyboardInterrupt, *, where: RunPosition | None, kept: int
) -> TrainingInterrupted:
    """Return the stop of a plain ``KeyboardInterrupt`` a callback raised in a run of either task
    (no signal came): it says so, and ``where`` the run was (the end of epoch ``kept``, the one its
    checkpoint holds, where not told); the caller names the run folder and its resume."""
    epoch, step = (where.epoch, where.step) if where is not None else (kept, 0)
    stopped = TrainingInterrupted(signal_name=first_signal(exc), epoch=epoch, step=step)
    stopped.raised_in_run = True
    return stopped
