"""What a softmax run that stops early says: where its last checkpoint is and how to continue it.

A signal (SIGINT, SIGTERM), a diverged loss or a lost data-parallel peer stops
:func:`~linearnets.tasks.training_run.train_experiment`; the error it raises names the run folder,
the epoch its checkpoint holds and the call that continues it, ``linearnets.resume_softmax(...)``
(on the command line ``--resume``; D2L §3.6.6).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from linearnets.errors import DivergenceError
from linearnets.tasks.experiment import Experiment
from linearnets.training.checkpoint import CheckpointCallback
from linearnets.training.distributed import PeerLostError
from linearnets.training.interrupt import TrainingInterrupted, sigterm_as_keyboard_interrupt
from linearnets.training.loop import History

__all__ = ["diverged", "name_resume", "peer_lost", "resume_hint_after_training"]


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
    advises trains nothing and writes them. During training the interrupt says where it stopped
    itself (or a second, aborting signal does).
    """
    try:
        with sigterm_as_keyboard_interrupt():
            yield
    except KeyboardInterrupt as exc:
        if isinstance(exc, TrainingInterrupted) or len(history.epochs) < exp.config.epochs:
            raise
        stopped = TrainingInterrupted(
            signal_name=str(exc.args[0]) if exc.args else "SIGINT",
            epoch=exp.config.epochs,
            step=0,
        )
        stopped.run_dir, stopped.checkpoint_epoch = run_dir, checkpoint.last_epoch or start_epoch
        stopped.launcher = "torchrun" if exp.dist.enabled else ""
        raise stopped from None


def name_resume(
    exc: TrainingInterrupted,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> None:
    """Tell an interrupt stopping training where the run is, so its message gives the resume."""
    exc.run_dir, exc.command = run_dir, "linearnets softmax"
    exc.launcher = "torchrun" if exp.dist.enabled else ""
    if exp.dist.is_main:
        exc.checkpoint_epoch = checkpoint.last_epoch or (start_epoch or None)
    else:  # rank 0 writes the checkpoints; every rank stopped after the same step
        finished = exc.epoch if not exc.step else exc.epoch - 1
        exc.checkpoint_epoch = max(finished, start_epoch) or None


def diverged(
    exc: DivergenceError,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> DivergenceError:
    """Return ``exc`` saying which checkpoint is kept and how to continue it with a smaller lr."""
    kept = checkpoint.last_epoch or start_epoch
    smaller = f"lr={exp.config.lr / 10:g}"
    if not kept:
        where = "no epoch had finished, so no checkpoint was written"
        if exc.resumable:  # the folder holds the run's config: a new run there would be refused
            where += (
                f"; start it over with a smaller lr: linearnets.resume_softmax({str(run_dir)!r}, "
                f"{smaller})"
            )
    elif not exc.resumable:  # the checkpoint's own weights give the loss: the message said so
        where = f"the checkpoint of epoch {kept} is kept in {run_dir}"
    else:
        where = (
            f"the checkpoint of epoch {kept} is kept in {run_dir} (continue it with a smaller lr: "
            # the Python call; the command line prints it as --resume DIR --lr LR --force, the
            # folder quoted for the shell, as the interrupt's message does ("my run" is one argument)
            f"linearnets.resume_softmax({str(run_dir)!r}, {smaller}, force=True))"
        )
    if exc.grew:  # finite: the loss may settle later, far above a smaller lr's (D2L §3.7 ex. 1)
        where += (
            "; a loss that grew may still settle, far above a smaller lr's: "
            f"linearnets.resume_softmax({str(run_dir)!r}, guard=False) trains on regardless"
        )
    stopped = DivergenceError(f"{exc}; {where}")
    stopped.resumable, stopped.grew = exc.resumable, exc.grew
    return stopped


def peer_lost(
    reason: str,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> PeerLostError:
    """Return the error saying another process stopped, which checkpoint is kept, and the resume."""
    # the Python call; the command line prints it as --resume DIR, as for an interrupt
    again = f"linearnets.resume_softmax({str(run_dir)!r})"
    if os.environ.get("TORCHELASTIC_RUN_ID"):
        again += ", launched by torchrun as before"
    else:  # started by hand, or by the user's own code (mp.spawn)
        again += f" in {exp.dist.world_size} processes, started as before"
    kept = checkpoint.last_epoch or start_epoch
    if not exp.dist.is_main:  # rank 0 writes the checkpoints, and may be the one that stopped
        where = f"rank 0 keeps the checkpoints in {run_dir}; resume with: {again}"
    elif kept:
        where = f"the checkpoint of epoch {kept} is kept in {run_dir}; resume with: {again}"
    else:
        where = f"no epoch had finished, so no checkpoint was written; start it over with: {again}"
    return PeerLostError(
        f"another process of the data-parallel run stopped (lost connection: {reason}); {where}"
    )
