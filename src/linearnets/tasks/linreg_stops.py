"""What a stopped or diverged linreg run says: its folder, the checkpoint kept, the resume.

A Ctrl-C or SIGTERM (:func:`stop_named`), a callback's own ``KeyboardInterrupt`` (:func:`user_stop`), a blown-up loss (:func:`diverged`) and a file unwritten before the first checkpoint (:func:`keeps_its_folder`) name the run folder
and ``linearnets.resume_linreg(...)`` (on the command line ``linearnets linreg --resume``); the runs
are :mod:`linearnets.tasks.linreg_run`'s. See D2L §3.2.7.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from linearnets._signals import first_signal
from linearnets._text import shown_path
from linearnets.errors import CheckpointError, DivergenceError, RunFileError
from linearnets.tasks.resume_diverged import resume_call
from linearnets.tasks.stopping import RunPosition, raised_in_run, run_stop_note
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.checkpoint_write import the_run_in
from linearnets.training.guard_messages import smaller_lr
from linearnets.training.hook_owners import raised_by_callback
from linearnets.training.interrupt import TrainingInterrupted, plain_stop, stop_behind
from linearnets.training.run_config import checkpoint_epoch
from linearnets.training.runs import CONFIG_FILE

__all__ = [
    "diverged",
    "keeps_its_folder",
    "name_resume",
    "names_its_folder",
    "stop_named",
    "user_stop",
]

# the mark of a callback's own KeyboardInterrupt raised before any checkpoint was kept
_CALLBACK_S = "linearnets_raised_in_run"


def diverged(
    exc: DivergenceError,
    run_dir: Path,
    kept: int,
    lr: float,
    *,
    forced: Mapping[str, Any] | None = None,
) -> DivergenceError:
    """Return ``exc`` naming the checkpoint kept and the resume that continues it with a smaller lr,
    or, where its weights give the grown loss, that starts the run over with one. ``forced``: the
    forced values of a resume that diverged before its first checkpoint, which ``config.json``
    takes back (:func:`~linearnets.tasks.resume_diverged.forced_put_back`): the resume names them,
    else it would train at the earlier values. The lr named is the one ``exc`` advises
    (:attr:`~linearnets.errors.DivergenceError.lr`), else the guard's smaller one: never one the
    message says would diverge. The folder kept is named for ``--json`` (``run_dir``), as
    softmax's divergence names it: a script found it in the message's words alone."""
    where = f"the checkpoint of epoch {kept} is kept in {shown_path(run_dir)}"
    advised = smaller_lr(lr) if exc.lr is None else exc.lr
    again = resume_call("linreg", run_dir, forced or {}, lr=advised, force=True)
    if exc.resumable:  # else the checkpoint's own weights give the loss: the message said so
        where += f" (continue it with a smaller lr: {again})"
    elif exc.grew:  # a finite loss its weights give: the run is to start over
        where += (
            f", its weights giving this loss (to start the run over there: delete its "
            f"{CHECKPOINT_FILE}, then {again})"
        )
    stopped = DivergenceError(f"{exc}; {where}")
    stopped.resumable, stopped.grew, stopped.lr = exc.resumable, exc.grew, exc.lr
    stopped.run_dir = run_dir  # type: ignore[attr-defined]
    return stopped


def name_resume(exc: TrainingInterrupted, run_dir: Path, checkpoint_epoch: int | None) -> None:
    """Tell a stop where the run is, so that its message gives the resume."""
    exc.run_dir, exc.checkpoint_epoch = run_dir, checkpoint_epoch
    exc.command, exc.function = "linearnets linreg", "resume_linreg"


def stop_named(exc: KeyboardInterrupt, run_dir: Path) -> KeyboardInterrupt:
    """Return the stop ``exc`` naming the resume of ``run_dir``; a second signal's, cutting a
    training stop short, as that stop; one before training (a plain ``KeyboardInterrupt``) as a
    :class:`TrainingInterrupted` at the start. A callback's own, before any checkpoint was kept
    (:func:`user_stop` marks it), goes on as it is, as ``resume_softmax``'s does: it was told as
    a SIGINT at the start, though no signal came and the run was at a step of its first epoch."""
    if plain_stop(exc) and getattr(exc, _CALLBACK_S, False):
        return exc
    if plain_stop(exc):
        exc = stop_behind(exc) or exc
    if isinstance(exc, TrainingInterrupted):
        if exc.run_dir is None:  # cut short before it was named
            name_resume(exc, run_dir, checkpoint_epoch(run_dir))
        return exc
    stop = TrainingInterrupted(signal_name=first_signal(exc), epoch=0, step=0)
    epoch = checkpoint_epoch(run_dir)
    name_resume(stop, run_dir, epoch)
    stop.epoch = epoch or 0
    return stop


def user_stop(
    exc: KeyboardInterrupt, run_dir: Path, kept: int | None, *, where: RunPosition
) -> KeyboardInterrupt:
    """Return what a plain ``KeyboardInterrupt`` out of ``fit`` stands for, as softmax's
    :func:`~linearnets.tasks.stopping.user_stop` has it: a second signal's, cutting a training stop
    short, as that stop; else a callback's "stop training now" (training's handlers turn a signal
    into a :class:`TrainingInterrupted`), which says that no signal came and ``where`` the run was,
    naming the checkpoint of epoch ``kept`` and the resume; before one is kept (``kept`` ``None``),
    ``exc`` as it is (a new run's folder is left as it was found)."""
    first = stop_behind(exc)
    if first is not None:
        return stop_named(first, run_dir)
    if kept is None:
        setattr(exc, _CALLBACK_S, True)  # for stop_named, which a resume's stop passes through
        return run_stop_note(exc)
    stopped = raised_in_run(exc, where=where, kept=kept)
    name_resume(stopped, run_dir, kept)
    return stopped


def keeps_its_folder(exc: BaseException, run_dir: Path) -> bool:
    """Return whether ``exc``, stopping a new run in ``run_dir`` before its first checkpoint, is
    the run's own stop naming the folder, which then stays: a file of the run's unwritten
    (``checkpoint.pt``, a metrics file: a full disk), whose message advises the resume that starts
    the run over there from its ``config.json`` (``exc.run_dir`` set by :func:`names_its_folder`,
    for ``--json``), or its output lost
    (:func:`~linearnets.tasks.run_failures.name_run_on_lost_output`).

    A callback's own error (:func:`~linearnets.training.hook_owners.raised_by_callback`) never is,
    nor one before ``config.json`` was written (the files' messages then advise no resume): the
    folder is left as it was found, and the same call, fixed, runs there.
    """
    if raised_by_callback(exc) or not (run_dir / CONFIG_FILE).is_file():
        return False
    return getattr(exc, "run_dir", None) is not None


@contextmanager
def names_its_folder(run_dir: Path) -> Iterator[None]:
    """Have a file of the run's own that the block could not write (a ``CheckpointError`` or
    ``RunFileError``: a full disk) name the folder that stays, ``run_dir``, for ``--json``, as
    softmax's :func:`~linearnets.tasks.stopping.stop_names_its_folder` does, in any epoch and at
    the end (``results.json``): it was named for epoch 1's checkpoint alone. A callback's own
    error (:func:`~linearnets.training.hook_owners.raised_by_callback`) is not the run's."""
    try:
        with the_run_in(run_dir):  # a writer of yours elsewhere advises this run's resume
            yield
    except (CheckpointError, RunFileError) as exc:
        if not raised_by_callback(exc) and getattr(exc, "run_dir", None) is None:
            exc.run_dir = run_dir  # type: ignore[union-attr]
        raise
