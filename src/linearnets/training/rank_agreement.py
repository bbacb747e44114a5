"""What the processes of a data-parallel run agree on before they train, in one collective each.

One rank's outcome shared by all (:func:`on_rank_0`: the run folder rank 0 claimed, or its refusal),
the same settings on every rank (:func:`check_same_settings`) and each rank's own work done or
refused on all (:func:`on_every_rank`: the data each reads). In one process they just run. A
process gone before training (killed, out of memory) is told in words (:func:`before_training`),
not in gloo's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch.distributed as dist

from linearnets.errors import LinearnetsError, UsageError
from linearnets.training.dist_failures import PeerLostError, lost_connection
from linearnets.training.distributed import DistContext

__all__ = [
    "RunMode",
    "before_training",
    "check_callbacks_on_every_rank",
    "check_same_settings",
    "on_every_rank",
    "on_rank_0",
]

T = TypeVar("T")


@dataclass(frozen=True)
class RunMode:
    """What a process was started to do, a new run or a resume of the run in ``folder``: the
    leading ``"mode"`` of its settings (:func:`check_same_settings`), compared first, as a resume's
    settings and a new run's have different names (a mixed launch was told by the first of them,
    "rank 1 was started without force, rank 0 with force=False"). The folder is shown, not
    compared: each machine may mount the run at another path (its checkpoint's content is)."""

    resumes: bool
    folder: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"resumes the run in {self.folder!r}" if self.resumes else "starts a new run"


@contextlib.contextmanager
def before_training() -> Iterator[None]:
    """Raise a collective's loss of another process, before training began, as a PeerLostError.

    gloo says it as a raw RuntimeError ("[.../pair.cc:553] Connection closed by peer ... GLHF!"),
    which the command printed as an unexpected error; nothing was trained yet, so every process
    starts again as it was started. This process may also be the stray one: started by hand with
    a RANK another process has too, or at another job's MASTER_PORT, it is dropped by a run that
    goes on (and may complete) without it, so that is named too, and nothing trained not asserted.
    """
    try:
        yield
    except RuntimeError as exc:
        reason = lost_connection(exc)
        if reason is None:
            raise
        raise PeerLostError(
            f"another process of the data-parallel run stopped before training began (lost "
            f"connection: {reason}), or this process is one too many for the run: started with a "
            "RANK another process has too, or at the MASTER_PORT of another job, which trains on "
            "without it; if a process stopped, nothing was trained: start every process again as "
            "before, each with its own RANK and a separate job with a port of its own"
        ) from exc


def on_rank_0(context: DistContext, work: Callable[[], str]) -> str:
    """Run ``work`` on rank 0 and return its result on every rank; its UsageError is raised on all.

    A process gone before the result was shared (killed) raises PeerLostError, on rank 0 after
    ``work`` ran: its caller undoes what ``work`` did (the run folder it claimed).
    """
    if not context.enabled:
        return work()
    names: list[Any] = [None]
    if context.is_main:
        try:
            names = [("ok", work())]
        except UsageError as exc:
            names = [("error", str(exc))]
    with before_training():
        dist.broadcast_object_list(names, src=0)
    status, value = names[0]
    if status == "error":
        raise UsageError(value)
    return str(value)


def on_every_rank(context: DistContext, work: Callable[[], T]) -> T:
    """Run ``work`` on every rank and return its result; its error on one rank stops them all.

    For what each process does on its own before training (the data it reads, from its own
    machine's files): a rank that failed there alone left the others waiting in training's first
    collective, which told them only that a process had gone (gloo's raw error, under DDP), and
    torchrun stopped it before it said why. One collective (``all_gather_object``) shows every rank
    each one's outcome.

    Raises:
        LinearnetsError: ``work``'s, on the rank it failed on; on the others the same kind of
            error, naming that rank ("rank 1 stopped: ..."), so rank 0 says it once.
        PeerLostError: another process was gone before it could tell its outcome (killed).
    """
    if not context.enabled:
        return work()
    own: LinearnetsError | None = None
    mine: tuple[type[LinearnetsError], str] | None = None
    try:
        result = work()
    except LinearnetsError as exc:
        own, mine = exc, (type(exc), str(exc))
    everyone: list[Any] = [None] * context.world_size
    with before_training():
        dist.all_gather_object(everyone, mine)
    if own is not None:
        raise own
    for rank, failed in enumerate(everyone):
        if failed is not None:
            kind, text = failed
            raise _of_kind(kind, f"rank {rank} stopped: {text}")
    return result


def _of_kind(kind: type[LinearnetsError], message: str) -> LinearnetsError:
    """Return ``kind(message)``, or its nearest base that takes a message alone (an error that
    needs more, as OtherContentError's path, is told as the DatasetError it also is)."""
    for base in kind.__mro__:
        if issubclass(base, LinearnetsError):
            try:
                return base(message)
            except TypeError:
                continue
    return LinearnetsError(message)


def check_same_settings(context: DistContext, settings: Callable[[], dict[str, Any]]) -> None:
    """Refuse, on every process at once, a data-parallel run whose processes got different settings.

    Processes started by hand each parse their own options: another seed trains a silently wrong
    model, another epoch count leaves a process waiting for the others (gloo: 30 minutes). One
    collective (``all_gather_object``) shows each process every other's settings.

    Args:
        context: this process's place in the run (nothing is compared in one process).
        settings: returns this process's settings by name (called in a data-parallel run only);
            values are compared with ``==`` and shown with ``repr``; a leading ``"mode"``
            (:class:`RunMode`), where it differs, is said as what each process was started to do,
            and a resume's ``"checkpoint"`` as the run folder each resumes. A UsageError it raises
            stops every process: this one with it, the others naming this rank.

    Raises:
        UsageError: a setting differs: the first one, with its value on that rank and on rank 0.
        PeerLostError: another process was gone before it could tell its settings (killed).
    """
    if not context.enabled:
        return
    own: UsageError | None = None
    try:
        mine: tuple[str, Any] = ("ok", settings())
    except UsageError as exc:
        own, mine = exc, ("error", str(exc))
    everyone: list[Any] = [None] * context.world_size
    with before_training():
        dist.all_gather_object(everyone, mine)
    if own is not None:
        raise own
    for rank, (status, value) in enumerate(everyone):
        if status == "error":
            raise UsageError(f"rank {rank} stopped: {value}")
    first = everyone[0][1]
    for rank, (_, theirs) in enumerate(everyone[1:], start=1):
        name = _first_difference(first, theirs)
        modes = first.get("mode"), theirs.get("mode")
        if name == "mode" and all(isinstance(mode, RunMode) for mode in modes):
            raise UsageError(
                f"rank 0 {modes[0]}, rank {rank} {modes[1]}; start every process the same way: "
                "all resuming one run (linearnets softmax --resume RUN_DIR, resume_softmax) or all "
                "starting a new one, with the same options"
            )
        if name == "checkpoint" and all(isinstance(m, RunMode) and m.resumes for m in modes):
            raise UsageError(_different_runs(rank, theirs, first))
        if name is not None:
            raise UsageError(
                f"rank {rank} was started {_as_given(name, theirs)}, rank 0 "
                f"{_as_given(name, first)}; start every process with the same options"
            )


def _different_runs(rank: int, theirs: dict[str, Any], first: dict[str, Any]) -> str:
    """Say that ``rank`` resumes another run than rank 0 (their checkpoints differ), by folder
    (there is no ``checkpoint`` option to name); one folder path on both (another machine's copy of
    another run) is told by the checkpoints' contents too."""
    folder, folder_0 = theirs["mode"].folder, first["mode"].folder
    said = f"rank {rank} resumes the run in {folder!r}, rank 0 the run in {folder_0!r}"
    if folder == folder_0:
        contents = (getattr(settings["checkpoint"], "content", "") for settings in (theirs, first))
        said += ", whose checkpoints differ ({}, rank 0's {})".format(*contents)
    return f"{said}; resume the same run on every process"


def check_callbacks_on_every_rank(
    context: DistContext, callbacks: Sequence[Any], *, run_dir: Path | None
) -> None:
    """Refuse, on every process at once, the caller's ``callbacks=`` where one process's would
    fail the run: a writer of theirs given the run's own folder ``run_dir``
    (:func:`~linearnets.training.callback_folder.check_apart_from_run`), or a different number of
    ``DivergenceGuard`` s on each process. In one process, the writer alone is checked.

    A guard sums each step's loss over the processes, so a process without it left the others in
    a collective it never joined: a guard passed on rank 0 alone aborted a healthy run in gloo
    ("op.preamble.length <= op.nbytes"), and the other rank advised a resume with no checkpoint.
    A writer refused on rank 0 alone (where callbacks are usually passed) left the others
    waiting in the settings' gather, or told them "start every process again as before".

    Raises:
        UsageError: a writer is refused (on the other processes naming its rank), or the guard
            counts differ, each rank's named.
        PeerLostError: another process was gone before it could tell its callbacks.
    """
    from linearnets.training.callback_folder import check_apart_from_run
    from linearnets.training.guard import guards_first

    own: UsageError | None = None
    try:
        check_apart_from_run(callbacks, run_dir)
    except UsageError as exc:
        own = exc
    if context.enabled:
        mine = (len(guards_first(callbacks)[0]), None if own is None else str(own))
        everyone: list[Any] = [None] * context.world_size
        with before_training():  # one small gather, as the settings' (on any backend's group)
            dist.all_gather_object(everyone, mine)
    if own is not None:
        try:
            raise own
        finally:
            # raised from a local, it held its own traceback, which holds this frame: the caller's
            # frames and all they refer to lived on until the garbage collector ran
            own = None
    if not context.enabled:
        return
    for rank, (_, refusal) in enumerate(everyone):
        if refusal is not None:
            raise UsageError(f"rank {rank} stopped: {refusal}")
    counts = [guards for guards, _ in everyone]
    if len(set(counts)) > 1:
        each = ", ".join(f"rank {rank}: {n}" for rank, n in enumerate(counts))
        raise UsageError(
            f"callbacks= held a different number of DivergenceGuards on each process ({each}); "
            "pass the same guards on every process (each sums the loss over all of them), or none"
        )


def _first_difference(ours: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """Return the first setting (in ``ours``'s order) that differs or is given on one side only."""
    for name in [*ours, *(name for name in theirs if name not in ours)]:
        if name not in ours or name not in theirs or ours[name] != theirs[name]:
            return name
    return None


def _as_given(name: str, settings: dict[str, Any]) -> str:
    return f"with {name}={settings[name]!r}" if name in settings else f"without {name}"
