"""A softmax-regression run on Fashion-MNIST from a :class:`~linearnets.config.SoftmaxConfig` (D2L §3.6–3.7).

:func:`run_softmax` checks its run folder, writing nothing, prepares the run
(:mod:`linearnets.tasks.experiment`), claims the folder, writes its ``config.json`` and trains it
there (:mod:`linearnets.tasks.training_run`), which writes the metrics, checkpoints, curves,
predictions, confusion matrix and weights (:mod:`linearnets.tasks.weights`). ``prepare``,
``Experiment``, ``SoftmaxResult``, ``train_experiment``, ``save_weights``, ``load_trained``,
``shared_settings`` (:mod:`linearnets.tasks.group_settings`) and ``write_run_config``
(:mod:`linearnets.tasks.config_file`) are re-exported here; the run folder's check and claim are
:mod:`linearnets.tasks.new_run_folder`'s, leaving it as found
:mod:`linearnets.training.folder_as_found`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets.config import SoftmaxConfig
from linearnets.device import resolve_device
from linearnets.errors import UsageError, UsageTypeError, usage_errors_on_one_line
from linearnets.seeding import grad_enabled, kept_global_state
from linearnets.tasks.config_file import write_run_config
from linearnets.tasks.experiment import Experiment, prepare
from linearnets.tasks.group_settings import shared_settings
from linearnets.tasks.new_run_folder import check_run_dir_everywhere, run_dir_everywhere
from linearnets.tasks.reports import check_backend
from linearnets.tasks.stopping import complete_when_returned
from linearnets.tasks.training_run import SoftmaxResult, train_experiment
from linearnets.tasks.weights import WEIGHTS_FILE, load_trained, save_weights
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.checkpoint_write import a_new_run
from linearnets.training.distributed import (
    DistContext,
    env_int,
    group_context,
    in_process_group,
    init_distributed,
)
from linearnets.training.folder_as_found import FolderAsFound
from linearnets.training.hook_owners import raised_by_callback
from linearnets.training.interrupt import plain_stop, stop_behind
from linearnets.training.rank_agreement import (
    RunMode,
    check_callbacks_on_every_rank,
    check_same_settings,
)
from linearnets.training.run_files import RUN_OUTPUTS
from linearnets.training.run_lock import RunLock

if TYPE_CHECKING:
    import torch

__all__ = [
    "WEIGHTS_FILE",
    "Experiment",
    "SoftmaxResult",
    "device_for_group",
    "environment_group",
    "load_trained",
    "prepare",
    "run_softmax",
    "save_weights",
    "shared_settings",
    "train_experiment",
    "write_run_config",
]


def run_softmax(
    config: SoftmaxConfig, *, callbacks: Sequence[Any] = (), dist: DistContext | None = None
) -> SoftmaxResult:
    """Train softmax regression as ``config`` says, in a new run folder, and report what happened.

    Every epoch ends with ``checkpoint.pt`` in the run folder, so
    :func:`linearnets.tasks.resume.resume_softmax` can continue an interrupted run. In a
    data-parallel run every process trains; only rank 0 prints, plots and writes files. The run
    trains with autograd on whatever the caller's mode: inside ``torch.no_grad()`` or
    ``torch.inference_mode()`` it gives the same numbers as outside.

    Args:
        config: the run's settings.
        callbacks: more ``fit`` callbacks, e.g. a console logger (rank 0 only; a
            ``DivergenceGuard`` on every process, given the run's ``dist``: the same guards on
            each, else every process is refused before any step).
        dist: the data-parallel context of this process. ``None``: the process group this
            process already joined (e.g. with ``mp.spawn`` and ``init_process_group``, as in
            PyTorch's DDP tutorial), else the one torchrun's environment describes, as the command
            does: a script started by ``torchrun --nproc_per_node=N`` joins its process group here
            (and stays in it, for later calls such as :func:`resume_softmax`) and trains one run
            on N processes; without either (no ``WORLD_SIZE`` above 1), a single process.

    Returns:
        The run's history, folder and per-class accuracy (on every rank; ``per_class_acc`` is
        empty on the others).

    Raises:
        UsageError: in a data-parallel run, another process was given other settings.
        DivergenceError: the loss blew up (unless ``config.guard`` is off); the last checkpoint stays.
        TrainingInterrupted: SIGINT/SIGTERM arrived, or a callback raised ``KeyboardInterrupt``
            once an epoch was kept (before that, it goes on as it is, the folder left as found);
            the last checkpoint stays.
        PeerLostError: another process of a data-parallel run stopped; the last checkpoint stays.

    See D2L §3.6.6 and §3.7.4.
    """
    # outermost: a Ctrl-C once the run returned, even while the caller's state comes back, is
    # the stop of a complete run (see complete_when_returned)
    with complete_when_returned() as done:
        # its refusals (a folder that holds a run, a data file gone) as one line in a notebook
        with usage_errors_on_one_line(), kept_global_state(), grad_enabled():
            done.append(_checked_run(config, callbacks, dist))
        return done[0]


def _checked_run(
    config: SoftmaxConfig, callbacks: Sequence[Any], dist: DistContext | None
) -> SoftmaxResult:
    """:func:`run_softmax`'s arguments checked, then the run."""
    if not isinstance(config, SoftmaxConfig):
        raise UsageTypeError(
            f"config must be a SoftmaxConfig, got {type(config).__name__}; pass SoftmaxConfig(...)"
        )
    callbacks = check_callbacks(callbacks)  # before the folder is claimed, in the user's numbering
    group = environment_group(config.device, dist)
    if not group.enabled:
        check_backend(config)

    def shared() -> dict[str, Any]:
        # what this process's machine refuses (its device, its MPLBACKEND) stops every process:
        # refused before the join, it left the others waiting up to gloo's 30 minutes
        check_backend(config)
        resolve_device(config.device, local_rank=group.local_rank)
        return {"mode": RunMode(resumes=False), **shared_settings(config)}

    # before anything is read or claimed: processes started with other options never train together
    check_same_settings(group, shared)
    # a writer of the caller's on the run's folder, a guard on some processes alone: told to
    # every process before the folder is claimed
    check_callbacks_on_every_rank(group, callbacks, run_dir=config.out)
    return _run(config, callbacks, group)


def environment_group(device: str, dist: DistContext | None) -> DistContext:
    """Return ``dist``, or else the process group already joined, or else torchrun's.

    Without ``dist``, a process group this process has joined itself (``mp.spawn`` and
    ``init_process_group``) is the run's: its rank and size, each local rank its own GPU as
    ``device`` says. Else a script started by torchrun joins the group as the command does (the
    ``device`` picks the backend: NCCL on CUDA, each local rank its own GPU) and stays in it, so a
    later call (a resume) finds it joined: leaving and joining again in one process races with the
    other processes' rendezvous. In one process the context is a single process's.

    A ``device`` this process cannot use is refused here in one process; with others it is left to
    the settings' agreement (:func:`check_same_settings`), which stops them all: a process that
    cannot use it joins with gloo to be there (see :func:`init_distributed`'s ``refused``).
    """
    if dist is not None:
        return dist
    if in_process_group():
        joined = group_context()
        if not joined.enabled:
            resolve_device(device, local_rank=joined.local_rank)  # before a folder is claimed
        return joined
    if env_int("WORLD_SIZE", 1) <= 1:
        return DistContext()
    usable, refused = device_for_group(device)
    return init_distributed(device=usable, refused=refused)


def device_for_group(device: str) -> tuple[torch.device | None, UsageError | None]:
    """Return the ``torch.device`` that ``device`` names for this process of torchrun's group
    (its ``LOCAL_RANK``), or, in a data-parallel run, ``None`` and why it cannot have it: said once
    joined, to every process (see :func:`init_distributed`'s ``refused``).

    Raises:
        UsageError: ``device`` cannot be used, in a single process.
    """
    try:
        return resolve_device(device, local_rank=env_int("LOCAL_RANK", 0)), None
    except UsageError as exc:
        if env_int("WORLD_SIZE", 1) <= 1:
            raise
        # on this process alone, perhaps (another machine's GPUs): refused before the join, it
        # left the others waiting up to gloo's 30 minutes
        return None, exc


def _run(config: SoftmaxConfig, callbacks: Sequence[Any], dist: DistContext) -> SoftmaxResult:
    """:func:`run_softmax` in the data-parallel context ``dist`` (one process or the group's)."""
    # every file of a run's: a stop before an epoch was kept left metrics.csv and .jsonl behind
    out = Path(config.out) if config.out is not None else None
    found = FolderAsFound.look(out, files=RUN_OUTPUTS)
    locks = found.locks  # rank 0's, once it claimed the folder
    training = False
    try:
        # one try from the folder's claim to training's own stop: a Ctrl-C landing between
        # config.json's write and the training (entering complete_when_returned) left the
        # folder holding config.json, where the command said nothing was kept
        try:
            # in here: a process lost while rank 0 tells the others the folder it claimed
            # leaves the folder as it was found, as any stop before training does
            # the folder checked first, writing nothing: a bad --out fails before a second is
            # spent loading data; claimed once they are read: a run refused for its data (a
            # --data-dir gone) never touches the disk
            check_run_dir_everywhere(config, dist)
            exp = prepare(config, dist=dist)
            run_dir = run_dir_everywhere(config, dist, locks)
            if exp.dist.is_main:
                write_run_config(run_dir, exp, resumes=[])
            with complete_when_returned() as done:
                training = True
                with a_new_run(run_dir):  # a file of yours unwritten: its folder left as found
                    done.append(train_experiment(exp, run_dir, callbacks=callbacks))
                if locks:
                    locks[0].release()
                return done[0]
        except KeyboardInterrupt as exc:
            # a plain one comes before training began, or before an epoch was kept (a
            # callback's own, raised in epoch 1; after that, training's stop names the run and
            # its resume): nothing was kept; unless it is a second signal's, cutting a
            # training stop short on its way out
            if plain_stop(exc) and training:
                first = stop_behind(exc)
                if first is not None:
                    raise first from None
            if plain_stop(exc) or not training:
                found.leave_as_found()
            raise
        except BaseException as exc:
            if not training or not _names_its_folder(exc, locks):
                found.leave_as_found()
            raise
    finally:
        if locks:
            locks[0].release()


def _names_its_folder(exc: BaseException, locks: Sequence[RunLock]) -> bool:
    """Return whether the run folder claimed (rank 0's, in ``locks``) is to stay after ``exc``
    stopped training: it holds a checkpoint, or ``exc`` is the run's own stop naming the folder
    and its resume (a diverged loss, a file unwritten, a lost peer: ``exc.run_dir``, set by
    :func:`~linearnets.tasks.stopping.stop_names_its_folder`), which starts the run over there.

    A refusal before an epoch was kept (a callback's own error, marked as such by ``fit``'s hook
    runner, :func:`~linearnets.training.hook_owners.raised_by_callback`, whatever its type: a
    ``LinearnetsError``, a full disk, a ``RunFileError`` of its own; a ``DivergenceGuard`` at
    another lr) names no folder: one left holding ``config.json`` refused the same call, fixed ("already
    holds a run"), as :func:`~linearnets.tasks.linreg_run.run_in_folder` has it too.
    """
    if not locks:  # another rank's: rank 0 claimed the folder, and leaves it
        return True
    if (locks[0].run_dir / CHECKPOINT_FILE).exists():
        return True
    # a callback's own LinearnetsError, full disk or RunFileError got a run_dir on its way out
    # (stop_names_its_folder, name_run_on_lost_output) but is no stop of the run's
    return getattr(exc, "run_dir", None) is not None and not raised_by_callback(exc)
