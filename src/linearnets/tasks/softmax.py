"""A softmax-regression run on Fashion-MNIST from a :class:`~linearnets.config.SoftmaxConfig` (D2L §3.6–3.7).

:func:`run_softmax` claims a run folder, prepares the run (:mod:`linearnets.tasks.experiment`), writes
its ``config.json`` and trains it there (:mod:`linearnets.tasks.training_run`), which writes the
metrics, checkpoints, curves, predictions, confusion matrix and weights
(:mod:`linearnets.tasks.weights`). ``prepare``, ``Experiment``, ``SoftmaxResult``,
``train_experiment``, ``save_weights`` and ``load_trained`` are re-exported here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets import _fs
from linearnets._signals import held_signals
from linearnets.config import SoftmaxConfig
from linearnets.device import resolve_device
from linearnets.errors import UsageError, UsageTypeError, usage_errors_on_one_line
from linearnets.seeding import grad_enabled, kept_global_state
from linearnets.tasks.experiment import Experiment, prepare
from linearnets.tasks.reports import check_backend
from linearnets.tasks.stopping import complete_when_returned
from linearnets.tasks.training_run import SoftmaxResult, train_experiment
from linearnets.tasks.weights import WEIGHTS_FILE, load_trained, save_weights
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.distributed import (
    DistContext,
    env_int,
    group_context,
    in_process_group,
    init_distributed,
)
from linearnets.training.interrupt import stop_behind
from linearnets.training.rank_agreement import check_same_settings, on_rank_0
from linearnets.training.run_lock import LOCK_FILE
from linearnets.training.runs import (
    CONFIG_FILE,
    RunLock,
    claim_run_dir,
    environment,
    missing_folders,
    write_json_atomic,
)

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
        callbacks: more ``fit`` callbacks (rank 0 only), e.g. a console logger.
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
        TrainingInterrupted: SIGINT/SIGTERM arrived; the last checkpoint stays.
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
        return shared_settings(config)

    # before anything is read or claimed: processes started with other options never train together
    check_same_settings(group, shared)
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


# each process of a data-parallel run may have its own: where rank 0 writes (the others write
# nothing), where Fashion-MNIST lies on its machine (its files are checked by MD5), its device
# (cuda:N by hand), its thread count and plots (rank 0 draws)
_PER_PROCESS = ("out", "data_dir", "device", "num_threads", "plot")


def shared_settings(
    config: SoftmaxConfig, *, names: Collection[str] | None = None
) -> dict[str, Any]:
    """Return the settings of ``config`` every process of a data-parallel run must share.

    All but ``out``, ``data_dir``, ``device``, ``num_threads`` and ``plot``; the ``data`` file by
    its content (its SHA-256), since each machine may keep it at another path.

    Args:
        config: this process's settings.
        names: only these (a resume's overrides); ``None``: all.
    """
    values = config.to_dict()
    shared = {
        name: value
        for name, value in values.items()
        if name not in _PER_PROCESS and (names is None or name in names)
    }
    if "data" in shared and config.data is not None:
        shared["data"] = _DataFile.read(config.data)
    return shared


@dataclass(frozen=True, repr=False)
class _DataFile:
    """A ``data`` file as processes compare it: by content; the path only shown."""

    sha256: str | None  # None: unreadable on that process
    path: str = field(compare=False)
    problem: str = field(default="", compare=False)

    @classmethod
    def read(cls, path: Path) -> _DataFile:
        """Raises UsageError: ``path`` is missing or unreadable here, as a single process says it
        (the settings' agreement stops every process with it: "rank 1 stopped: ..."); the fix is
        on this process's machine, where "start every process with the same options" misled."""
        try:
            return cls(_fs.sha256_file(path), str(path))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise UsageError(
                f"data={str(path)!r} does not exist or is not a file; pass an existing .npz file"
            ) from None
        except PermissionError as exc:
            raise UsageError(
                f"data={str(path)!r} cannot be read ({exc.strerror}); check the file's permissions"
            ) from None
        except OSError as exc:  # on that process only, perhaps: named, not raised alone
            return cls(None, str(path), exc.strerror or type(exc).__name__)

    def __repr__(self) -> str:
        if self.sha256 is None:
            return f"{self.path!r} ({self.problem.lower()} there)"
        return f"{self.path!r} (SHA-256 {self.sha256[:12]}…)"


def _run(config: SoftmaxConfig, callbacks: Sequence[Any], dist: DistContext) -> SoftmaxResult:
    """:func:`run_softmax` in the data-parallel context ``dist`` (one process or the group's)."""
    # the folder first: a bad --out fails before a second is spent loading data
    out = Path(config.out) if config.out is not None else None
    existed = out is not None and out.is_dir()
    made = missing_folders(out)  # its parents, or runs/: made by the claim below
    had_lock_file = out is not None and (out / LOCK_FILE).exists()  # a stale one is kept
    locks: list[RunLock] = []  # rank 0's, once it claimed the folder

    def never_started() -> None:
        """Leave the folders as the run found them, whole: a further Ctrl-C must not cut this
        short (the message says nothing was kept)."""
        with held_signals(raise_after=False):
            if locks:
                lock, run_dir = locks[0], locks[0].run_dir
                # its config.json too (a Ctrl-C during the write's fsync): the folder held none,
                # or the claim would have refused it, and with it the same call again is refused
                with contextlib.suppress(OSError):
                    (run_dir / CONFIG_FILE).unlink(missing_ok=True)
                lock.release(remove=not had_lock_file)
                if not existed:
                    _fs.remove_empty_folders([run_dir, *made])

    training = False
    try:
        # one try from the folder's claim to training's own stop: a Ctrl-C landing between
        # config.json's write and the training (entering complete_when_returned) left the
        # folder holding config.json, where the command said nothing was kept
        try:
            # in here: a process lost while rank 0 tells the others the folder it claimed
            # leaves the folder as it was found, as any stop before training does
            run_dir = _run_dir_everywhere(config, dist, locks)
            exp = prepare(config, dist=dist)
            if exp.dist.is_main:
                write_run_config(run_dir, exp, resumes=[])
            with complete_when_returned() as done:
                training = True
                done.append(train_experiment(exp, run_dir, callbacks=callbacks))
                if locks:
                    locks[0].release()
                return done[0]
        except KeyboardInterrupt as exc:
            # a plain one comes before training began (after it, or once an epoch started,
            # the stop names the run and its resume): nothing was kept, as it says; unless
            # it is a second signal's, cutting a training stop short on its way out
            if type(exc) is KeyboardInterrupt and training:
                first = stop_behind(exc)
                if first is not None:
                    raise first from None
            if type(exc) is KeyboardInterrupt or not training:
                never_started()
            raise
        except BaseException:
            if not training:
                never_started()
            raise
    finally:
        if locks:
            locks[0].release()


def write_run_config(
    run_dir: Path,
    exp: Experiment,
    *,
    resumes: list[dict[str, Any]],
    started: dict[str, Any] | None = None,
) -> None:
    """Write ``config.json``: the effective config, seed, threads, versions, data source, resumes.

    ``started``: the environment the run started in (a resume keeps it; its own is in ``resumes``).
    A resume (``started`` given) also keeps the ``device`` and ``world_size`` the run started with at
    the top level and records its own in its entry, the last of ``resumes``.
    """
    here = {"device": str(exp.device), "world_size": exp.dist.world_size}
    first = here
    if started is not None and resumes:
        resumes = [*resumes[:-1], {**resumes[-1], **here}]
        first = {**here, **_started_on(run_dir)}
    write_json_atomic(
        run_dir / CONFIG_FILE,
        {
            "config": exp.config.to_dict(),
            "environment": started if started is not None else environment(),
            "data_source": exp.data_source,
            **first,
            "data_sha256": exp.data_sha256,
            "resumes": resumes,
        },
    )


def _started_on(run_dir: Path) -> dict[str, Any]:
    """Return the ``device`` and ``world_size`` the run's ``config.json`` holds ({} if unreadable)."""
    import json

    try:
        saved = json.loads((run_dir / CONFIG_FILE).read_text())
    except (OSError, ValueError):  # lost or damaged: rebuilt from this resume's
        return {}
    if not isinstance(saved, dict):
        return {}
    return {key: saved[key] for key in ("device", "world_size") if key in saved}


def _run_dir_everywhere(config: SoftmaxConfig, dist: DistContext, locks: list[RunLock]) -> Path:
    """Create and lock the run folder on rank 0 and tell every other rank its name, or why it failed.

    Returns the folder; on rank 0 its held lock is appended to ``locks`` as soon as it is claimed
    (the caller releases it, and removes the folder should another process be lost before it
    learnt the name). A refused ``--out`` then stops every rank with the same error, rather than
    rank 0 alone while the others wait in the broadcast and fail with a broken connection.
    """
    name = f"softmax-{config.impl}"

    def claim() -> str:
        locks.append(claim_run_dir(config.out, name=name))
        return str(locks[0].run_dir)

    return Path(on_rank_0(dist, claim))
