"""The errors a softmax run stops with when its loss diverged, a peer was lost or an output
failed: the checkpoint kept and the resume that continues it (D2L §3.6.6, §3.7 ex. 1)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from linearnets._fs import DISK_FULL
from linearnets._text import shown_path
from linearnets.errors import DivergenceError
from linearnets.tasks.experiment import Experiment
from linearnets.tasks.resume_advice import checkpoint_epoch, launched_again
from linearnets.tasks.resume_diverged import resume_call
from linearnets.training.checkpoint import CHECKPOINT_FILE, CheckpointCallback
from linearnets.training.distributed import PeerLostError
from linearnets.training.guard import smaller_lr
from linearnets.training.hook_owners import raised_by_callback

__all__ = [
    "LARGE_FEATURES",
    "diverged",
    "name_run_on_lost_output",
    "name_run_on_os_error",
    "peer_lost",
]


def diverged(
    exc: DivergenceError,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
    *,
    epoch: int,
    forced: Mapping[str, Any] | None = None,
) -> DivergenceError:
    """Return ``exc`` saying which checkpoint is kept and how to continue it with a smaller lr.

    ``epoch``: the epoch that was running when the loss diverged; its checkpoint was not written
    (the guard is the first callback: it stops a blown-up epoch before the checkpoint saves it).
    ``forced``: the forced values of a resume that ``config.json`` takes back where it diverged
    before its first checkpoint, in epoch ``start_epoch + 1``
    (:func:`~linearnets.tasks.resume_diverged.forced_put_back`): its resumes name them, else they
    would train at the earlier values. Every rank of a data-parallel run names the checkpoint
    rank 0 kept, and gives its advice, the same. A callback's own ``DivergenceError``
    (:func:`~linearnets.training.hook_owners.raised_by_callback`; not a ``DivergenceGuard``'s)
    before a checkpoint was kept is ``exc`` itself, as it is: a new run's folder is left as found.
    """
    kept = checkpoint_epoch(exp, checkpoint, start_epoch, finished=epoch - 1)
    if not kept and raised_by_callback(exc):  # a callback's own check: the folder goes
        return exc
    # rank 0 checkpoints after every epoch: none of this resume's was written before its second
    put_back = dict(forced or {}) if epoch <= start_epoch + 1 else {}
    lr = smaller_lr(exp.config.lr)
    again = launched_again(exp)  # a data-parallel run's processes, started as before
    if not kept:
        where = "no epoch had finished, so no checkpoint was written"
        if exc.resumable:  # the folder holds the run's config: a new run there would be refused
            where += (
                f"; start it over with a smaller lr: "
                f"{resume_call('softmax', run_dir, put_back, lr=lr)}{again}"
            )
    elif not exc.resumable and exc.grew:  # its weights give the grown loss: start over
        where = (
            f"the checkpoint of epoch {kept} is kept in {shown_path(run_dir)}, its weights giving "
            f"this loss (to start the run over there: delete its {CHECKPOINT_FILE}, then "
            f"{resume_call('softmax', run_dir, put_back, lr=lr, force=True)}{again})"
        )
    elif not exc.resumable:  # the checkpoint's own weights give the loss: the message said so
        where = f"the checkpoint of epoch {kept} is kept in {shown_path(run_dir)}"
    else:
        where = (
            f"the checkpoint of epoch {kept} is kept in {shown_path(run_dir)} (continue it with a "
            "smaller lr: "
            # the Python call; the command line prints it as linearnets softmax --resume DIR --lr
            # LR --force, the folder quoted for the shell, as the interrupt's message does ("my
            # run" is one argument)
            f"{resume_call('softmax', run_dir, put_back, lr=lr, force=True)}{again})"
        )
    if exc.grew:  # finite: the loss may settle later, far above a smaller lr's (D2L §3.7 ex. 1)
        where += (
            "; a loss that grew may still settle, far above a smaller lr's: "
            f"{resume_call('softmax', run_dir, put_back, guard=False)}"
            f"{f'{again},' if again else ''} trains on regardless"
        )
    stopped = DivergenceError(f"{exc}{_scale_hint(exp)}; {where}")
    stopped.resumable, stopped.grew = exc.resumable, exc.grew
    return stopped


# features whose largest |value| passes this are far from the unit size the book's lr suits (its
# Fashion-MNIST pixels are in [0, 1]; standardised columns reach a few units; 8-bit pixels 255)
LARGE_FEATURES = 100.0


def _scale_hint(exp: Experiment) -> str:
    """Return the advice to scale a ``data`` file's features when they are large, else ``""``:
    a smaller lr alone may diverge too (pixels of 0–255 stored as float, not uint8)."""
    scale, data = exp.feature_scale, exp.config.data
    if data is None or scale is None or not scale > LARGE_FEATURES:
        return ""
    # the path as every message names it: a line break in it shown as $'\n', not as a space
    return (
        f"; or scale the features, which reach {scale:g} in {shown_path(data)}, where the book's "
        "lr suits values of about 1: e.g. X / 255 for 8-bit pixels (X stored as uint8 is scaled "
        "to [0, 1] for you), or standardise each column"
    )


def peer_lost(
    reason: str,
    exp: Experiment,
    run_dir: Path,
    checkpoint: CheckpointCallback,
    start_epoch: int,
    *,
    complete: bool = False,
) -> PeerLostError:
    """Return the error saying another process stopped, which checkpoint is kept, and the resume.

    ``complete``: the run had written its results (rank 0, at the barrier after them): it says so,
    with no resume to advise.
    """
    if complete and exp.dist.is_main:
        return PeerLostError(
            "another process of the data-parallel run stopped after the last epoch (lost "
            f"connection: {reason}); the run is complete, its weights and results written in "
            f"{shown_path(run_dir)}"
        )
    # the Python call; the command line prints it as linearnets softmax --resume DIR, as for an
    # interrupt; then by torchrun, or started by hand (or by the user's own code: mp.spawn)
    again = f"linearnets.resume_softmax({str(run_dir)!r}){launched_again(exp)}"
    kept = checkpoint.last_epoch or start_epoch
    if not exp.dist.is_main:  # rank 0 writes the checkpoints, and may be the one that stopped
        where = f"rank 0 keeps the checkpoints in {shown_path(run_dir)}; resume with: {again}"
    elif kept:
        where = (
            f"the checkpoint of epoch {kept} is kept in {shown_path(run_dir)}; resume with: {again}"
        )
    else:
        where = f"no epoch had finished, so no checkpoint was written; start it over with: {again}"
    return PeerLostError(
        f"another process of the data-parallel run stopped (lost connection: {reason}); {where}"
    )


def name_run_on_os_error(
    exc: OSError, exp: Experiment, run_dir: Path, checkpoint: CheckpointCallback, start_epoch: int
) -> None:
    """Tell ``exc`` the run's folder, checkpoint and relaunch, where its output's reader quit
    (`| head`) or a disk is full (or stdout's): the command says where the run is, what its
    checkpoint holds and how its processes start again (:func:`name_run_on_lost_output`)."""
    kept = checkpoint.last_epoch or start_epoch or None
    name_run_on_lost_output(exc, run_dir, kept, launched=launched_again(exp))


def name_run_on_lost_output(
    exc: OSError, run_dir: Path, kept: int | None, *, launched: str = ""
) -> None:
    """Tell ``exc`` the folder of the run it stopped, ``run_dir``, and the epochs its checkpoint
    holds, ``kept`` (``None``: none yet), where its output's reader quit (`| head`) or a disk is
    full (or stdout's): the command's report gives them and the resume
    (:func:`~linearnets.cli._report.resume_advice`), ``launched`` (how a data-parallel run's
    processes start again, :func:`~linearnets.tasks.resume_advice.launched_again`) after it.
    A softmax run's (:func:`name_run_on_os_error`) and a linreg run's alike. A callback's own
    error (:func:`~linearnets.training.hook_owners.raised_by_callback`) is named only once a
    checkpoint is kept: before that, a new run's folder is left as it was found."""
    if kept is None and raised_by_callback(exc):  # a callback's own: the folder goes
        return
    if isinstance(exc, BrokenPipeError) or exc.errno in DISK_FULL:
        exc.run_dir = run_dir  # type: ignore[attr-defined]
        exc.checkpoint_epoch = kept  # type: ignore[attr-defined]
        exc.launched_again = launched  # type: ignore[attr-defined]
