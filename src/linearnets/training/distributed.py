"""Data-parallel training on PyTorch's own engine (``torch.distributed``), set up from torchrun's env.

Run as a single process, everything here is a no-op: :func:`init_distributed` returns a context with
``world_size == 1`` and no process group. Under ``torchrun`` it joins the process group (gloo on CPU,
NCCL on CUDA) and the loop uses the context to scale the loss, average gradients and sum metrics. A
group the caller joined itself is used as it is (:func:`group_context`); :func:`lost_connection`
tells a collective that lost another process from other errors (with what else a failed join
means, :mod:`linearnets.training.dist_failures`; torchrun's variables are read in
:mod:`linearnets.training.dist_env`; all re-exported here). What the ranks agree on before
training (one folder, the same settings) is :mod:`linearnets.training.rank_agreement`'s.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

if dist.is_available():
    # Imported now, before a group is joined: imported later (by torch._dynamo, which the first
    # torch.optim optimizer or a meta-device model imports), its functions' defaults,
    # ``group=group.WORLD``, hold the joined group, and ``destroy_process_group`` then left gloo's
    # threads running into the interpreter's teardown: a torchrun script that had trained, written
    # everything and left the group was killed by SIGABRT ("terminate called without an active
    # exception", 2 CI runs in 6 of a script that resumed). Imported here, the defaults
    # are None (the group of the call); for a group its caller joined before this import,
    # :func:`group_context` puts None back (:func:`_let_go_of_the_group`). Costs about 3 ms.
    import torch.distributed.nn

from linearnets._text import and_list
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.dist_env import check_launched, check_master_addr, env_int
from linearnets.training.dist_failures import (
    PeerLostError,
    address_in_use,
    lost_connection,
    mesh_unreachable,
    port_held_by_another_program,
)

__all__ = [
    "DistContext",
    "PeerLostError",
    "check_dist",
    "env_int",
    "group_context",
    "in_process_group",
    "init_distributed",
    "join_patience",
    "lost_connection",
    "shutdown_distributed",
    "still_waiting_line",
    "waiting_line",
]


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a data-parallel run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """Whether gradients and metrics must be combined across processes."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process prints, plots and writes files (rank 0)."""
        return self.rank == 0

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over every process, in place, and return it.

        A CPU tensor (an epoch's totals, a batch's size) is summed through this process's GPU
        when the group runs on NCCL alone, which reduces CUDA tensors only (torch: "No backend
        type associated with device type cpu"), and copied back.
        """
        if not self.enabled:
            return tensor
        where = _collective_device(tensor)
        if where == tensor.device:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
            return tensor
        moved = tensor.to(where)
        dist.all_reduce(moved, op=dist.ReduceOp.SUM)
        return tensor.copy_(moved)

    def average_gradients(self, params: Any) -> None:
        """All-reduce each parameter's gradient (sum), then divide by the world size.

        This is what ``DistributedDataParallel`` does for ``nn.Module``s; the scratch models do it here,
        as a learner would write it.
        """
        if not self.enabled:
            return
        for param in params:
            if param.grad is not None:
                dist.all_reduce(param.grad, op=dist.ReduceOp.SUM)
                param.grad /= self.world_size

    def barrier(self) -> None:
        """Wait until every process gets here."""
        if self.enabled:
            dist.barrier()


def _collective_device(tensor: torch.Tensor) -> torch.device:
    """Return where the process group can sum ``tensor``: its own device, or this process's GPU
    when the group has no backend for that device but one for CUDA (NCCL alone: "cuda:nccl")."""
    if tensor.is_cuda or not in_process_group():
        return tensor.device  # every backend that runs on a GPU takes CUDA tensors
    # the group's backends by device type: "cpu:gloo,cuda:gloo" for gloo, "cuda:nccl" for NCCL
    types = {part.split(":")[0] for part in dist.get_backend_config().split(",")}
    if tensor.device.type in types or "cuda" not in types:
        return tensor.device  # anything else is torch's to refuse
    return torch.device("cuda", torch.cuda.current_device())


# how long a process waits for the others to join, when torchrun does not stop it for them: one
# started by hand, whose peers may have failed before joining (a bad option, a bad config), one
# that cannot train here, to tell them why (ones on NCCL never meet its gloo group); as long as
# processes started by hand may take to start (torch itself waits up to 30 minutes, in silence).
# Under torchrun, TORCHRUN_JOIN_PATIENCE: a peer that exited cleanly without joining (a script's
# run_softmax under `if rank == 0:`: torchrun stops the others only for a failure) is told of
# after NOTE_AFTER seconds and given up on after that limit, long enough for a rank preparing
# data before its call. Only the join is limited so: the group is joined with torch's own
# timeout, or this limit and a minute where longer (:func:`_store_timeout`), which the
# collectives of training keep. Set for a run by JOIN_TIMEOUT_VARIABLE (read as the join starts:
# the command under torchrun reads it too), at most MAX_JOIN_PATIENCE; tests may also set these
# attributes (in the process, e.g. a torchrun script's first line), the defaults the variable
# overrides.
JOIN_PATIENCE = 60.0
TORCHRUN_JOIN_PATIENCE = 300.0
MAX_JOIN_PATIENCE = 7 * 24 * 3600.0  # a week: timedelta(seconds=1e20) overflows
NOTE_AFTER = 10.0  # torchrun's "still waiting" note, at the latest
JOIN_TIMEOUT_VARIABLE = "LINEARNETS_JOIN_TIMEOUT"
# the store's own limit beyond the join's: ours gives up first, with its words
_STORE_MARGIN = 60.0


def join_patience(*, by_hand: bool = True) -> float:
    """Return how many seconds a process waits for the others to join: ``$LINEARNETS_JOIN_TIMEOUT``
    where set (e.g. ``600``: a rank busy longer before its first ``run_softmax``, preparing data,
    say), else :data:`JOIN_PATIENCE` (60) for a process started by hand (``by_hand``), and
    :data:`TORCHRUN_JOIN_PATIENCE` (300) for one torchrun started.

    The variable is a number of seconds > 0 and at most :data:`MAX_JOIN_PATIENCE` (a week), in
    ASCII as Python's ``float()`` reads it, without underscores: ``300``, ``2.5``, ``+30`` and
    ``1e3`` are taken (blanks around it too); ``inf``, ``nan``, ``1_0`` and digits of other
    scripts are not.

    Raises:
        UsageError: the variable is set to anything else (one above a week said as such).
    """
    default = JOIN_PATIENCE if by_hand else TORCHRUN_JOIN_PATIENCE
    value = os.environ.get(JOIN_TIMEOUT_VARIABLE)
    if value is None or not value.strip():
        return default
    try:  # float() also took "1_0", "٣" and "inf"
        if "_" in value or not value.isascii():
            raise ValueError(value)
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    # "9" * 400 is a number, read as inf: too long, not a non-number as "inf" is
    spelled_inf = value.strip().lstrip("+-").lower().startswith(("inf", "nan"))
    unset = (
        f"set it on every process, e.g. {JOIN_TIMEOUT_VARIABLE}=600, or unset it for the default "
        f"({JOIN_PATIENCE:g} s started by hand, {TORCHRUN_JOIN_PATIENCE:g} s under torchrun)"
    )
    if seconds > MAX_JOIN_PATIENCE and not spelled_inf:
        raise UsageError(
            f"environment variable {JOIN_TIMEOUT_VARIABLE} must be at most "
            f"{MAX_JOIN_PATIENCE:g} seconds (a week), how long each process waits for the others "
            f"to join, got {value if len(value) <= 40 else value[:40] + '...'!r}; {unset}"
        )
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(
            f"environment variable {JOIN_TIMEOUT_VARIABLE} must be a number of seconds > 0, how "
            f"long each process waits for the others to join, got {value!r}; {unset}"
        )
    return seconds


def _store_timeout(backend: str, patience: float) -> timedelta:
    """Return the timeout the process group is joined with: ``patience`` (the join's limit) and a
    margin, for our limit to end the wait in its words (torch's own, 30 minutes, raised a raw
    DistStoreError before a longer ``$LINEARNETS_JOIN_TIMEOUT``), never shorter than torch's
    default for ``backend``, which the collectives of training keep."""
    c10d = dist.distributed_c10d
    # as torch's _get_default_timeout: NCCL's own where this build has one (None without NCCL)
    nccl = getattr(c10d, "default_pg_nccl_timeout", None) if backend == "nccl" else None
    default = nccl if isinstance(nccl, timedelta) else c10d.default_pg_timeout
    return max(default, timedelta(seconds=patience + _STORE_MARGIN))


def check_dist(dist: Any) -> None:
    """Raise unless ``dist`` is ``None`` or a :class:`DistContext` (fit, train_epoch and evaluate
    read its ``enabled`` and ``world_size``: anything else failed in Python's words)."""
    if dist is not None and not isinstance(dist, DistContext):
        raise UsageTypeError(
            f"dist must be a DistContext or None, got {type(dist).__name__} {dist!r:.40}; leave it "
            "out for one process, or pass linearnets.training.distributed.init_distributed()'s"
        )


def init_distributed(
    *,
    device: torch.device | None = None,
    announce: Callable[[str], None] | None = None,
    refused: UsageError | None = None,
) -> DistContext:
    """Join the process group described by torchrun's environment, or return a single-process context.

    Reads ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` (and torchrun's rendezvous variables through the
    ``env://`` method); a malformed ``RANK`` is refused in one process too. The backend is NCCL when
    ``device`` is CUDA, gloo otherwise.

    Args:
        device: where this process trains (picks the backend).
        announce: told, in one line, what a process started without torchrun waits for before it
            waits (torch waits silently, up to 30 minutes, for processes that may never come).
        refused: why this process cannot train (a device unusable on its machine): it joins all the
            same, with gloo, for the settings' agreement to stop every process with it (refused
            before the join, it left the others waiting up to gloo's 30 minutes); raised here if
            the join fails or the others have not joined within :func:`join_patience` seconds.

    Raises:
        UsageError: started without torchrun, the others have not all joined within
            :data:`JOIN_PATIENCE` seconds (60): one may have failed before joining (a bad option),
            which left this process waiting up to torch's 30 minutes. Under torchrun, which stops
            every process when one fails but not when one exits cleanly, a limit of
            :data:`TORCHRUN_JOIN_PATIENCE` (300): a peer that never joins (a script's
            ``run_softmax`` under ``if rank == 0:``) is named, with the fix (the same calls on
            every process), after a note on stderr at 10 s (a sixth of a shorter limit). Also,
            at once, a ``MASTER_ADDR`` this machine cannot resolve, or a bad
            ``$LINEARNETS_JOIN_TIMEOUT`` (the limit's seconds, :func:`join_patience`: read here,
            as the join starts).
    """
    world_size = env_int("WORLD_SIZE", 1)
    if world_size <= 1:
        # a malformed RANK is refused in one process too, as a malformed LOCAL_RANK is (the
        # device reads it); a stray well-formed one is ignored, as torch ignores it
        env_int("RANK", 0)
        return DistContext()
    check_launched(world_size)
    rank, local_rank = env_int("RANK", 0), env_int("LOCAL_RANK", 0)
    if not dist.is_available():
        raise UsageError(
            "WORLD_SIZE > 1 asks for distributed training, but this torch build lacks it"
        )
    if not dist.is_initialized():
        check_master_addr()  # before the wait: torch would retry one that does not resolve
        usable = device if refused is None else None  # gloo: any machine has it
        backend = "nccl" if usable is not None and usable.type == "cuda" else "gloo"
        by_hand = not os.environ.get("TORCHELASTIC_RUN_ID")
        # read as the join starts: a bad one before any wait
        patience = join_patience(by_hand=by_hand)
        if announce is not None and by_hand:
            announce(waiting_line(rank, world_size, patience=patience))
        late = _not_joined(rank, world_size, patience) if by_hand else None
        # under torchrun a peer that exits cleanly without joining (a script's run_softmax under
        # `if rank == 0:`) is not stopped for: torch waited its own 30 minutes, in silence
        absent = None if by_hand else _not_joined_under_torchrun(rank, world_size, patience)
        _join_group(
            backend,
            usable if backend == "nccl" else None,
            refused=refused,
            late=late or absent,
            by_hand=by_hand,
            note=None if by_hand else (announce or _to_stderr),
            still=still_waiting_line(rank, world_size, patience=patience),
            patience=patience,
        )
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank)


def _join_group(
    backend: str,
    cuda_device: torch.device | None,
    *,
    refused: UsageError | None = None,
    late: UsageError | None = None,
    by_hand: bool = True,
    note: Callable[[str], None] | None = None,
    still: str = "",
    patience: float | None = None,
) -> None:
    """Join the process group in a helper thread, waiting on it in short slices to stay interruptible.

    ``init_process_group`` blocks in C++ until every process has joined (up to 30 minutes), and Python
    runs signal handlers only between bytecodes of the main thread: SIGTERM (the command's
    ``KeyboardInterrupt``) and Ctrl-C would wait as long. Joining a thread in 0.1 s slices lets them
    run; their ``KeyboardInterrupt`` leaves the helper (a daemon) blocked, for the exiting process
    to drop. Its own error (a refused connection, a timeout) is raised here; with ``refused``
    (see :func:`init_distributed`), that one, also once ``patience`` seconds have passed;
    without it, ``late`` (the others' absence) is raised then, if given, unless another program
    holds ``MASTER_PORT`` in place of rank 0's store (that is said). With ``late`` and ``by_hand``
    (a process started by hand), rank 0's store closing under another rank's join is said as rank
    0 giving up. ``note`` is told ``still`` once a sixth of ``patience`` has passed, at most
    :data:`NOTE_AFTER` (10 s; under torchrun, whose own start says nothing of a wait).
    ``patience``: the join's limit in seconds (default: :func:`join_patience`'s); the group is
    joined with a store timeout longer than it (:func:`_store_timeout`).
    """
    failed: list[BaseException] = []
    wait = join_patience(by_hand=by_hand) if patience is None else patience

    def join() -> None:
        try:
            # the current CUDA device is per thread: NCCL reads this one
            if cuda_device is not None:
                torch.cuda.set_device(cuda_device)
            dist.init_process_group(
                backend=backend, init_method="env://", timeout=_store_timeout(backend, wait)
            )
        except BaseException as exc:  # handed to the main thread, which reports it
            failed.append(exc)

    if cuda_device is not None:
        torch.cuda.set_device(cuda_device)  # and the main thread's, for the training
    helper = threading.Thread(target=join, name="linearnets-join-process-group", daemon=True)
    helper.start()
    give_up = refused or late
    started = time.monotonic()
    deadline, noted = started + wait, started + min(wait / 6, NOTE_AFTER)
    while helper.is_alive():
        helper.join(0.1)
        if note is not None and time.monotonic() > noted:
            note(still)
            note = None
        if give_up is not None and time.monotonic() > deadline:
            # the others' absence: or another program in rank 0's place (rank 0 refused its port;
            # under torchrun its agent holds the port)
            raise (refused or (port_held_by_another_program() if by_hand else None) or give_up)
    if failed:
        said = (
            refused
            or address_in_use(failed[0])
            or mesh_unreachable(failed[0])
            or (_store_closed(failed[0]) if late is not None and by_hand else None)
        )
        if said is None:
            raise failed[0]
        raise said from failed[0]  # torch's own words stay, for --debug
    atexit.register(_leave_at_exit)  # the group stays joined for the caller's next run


def _leave_at_exit() -> None:
    """Leave, as the interpreter exits, the process group :func:`_join_group` joined and nobody
    left: left to the interpreter's teardown, gloo's threads were now and then destroyed still
    running, and a torchrun script that had trained and written everything was killed by SIGABRT
    ("terminate called without an active exception"; 1 run in 12 on a loaded 2-core machine)."""
    if in_process_group():
        dist.destroy_process_group()


def _store_closed(exc: BaseException) -> UsageError | None:
    """Return, for a process other than rank 0 started by hand, rank 0's store closed as it was
    joining (rank 0 gave up waiting for a rank that never came, or for another WORLD_SIZE) as one
    line; it was printed as an unexpected DistNetworkError ("Failed to recv, got 0 bytes")."""
    if env_int("RANK", 0) == 0 or not isinstance(exc, dist.DistNetworkError):
        return None
    return UsageError(
        "rank 0's store closed (it stopped waiting for the other ranks, or ended: see its "
        "output): start every rank again with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT, "
        "each with its own RANK"
    )


def _not_joined(rank: int, world_size: int, patience: float) -> UsageError:
    """Return why process ``rank``, started by hand, stops waiting for the others after
    ``patience`` seconds: which did not join, why that may be, and how to start them."""
    others = [str(other) for other in range(world_size) if other != rank]
    where = f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}"
    within = f"{patience:g} s"
    if len(others) == 1:
        absent, them = f"rank {others[0]} did not join", "it"
        why = "it may have failed before joining (see its own output), not have been started"
    else:  # which joined cannot be told here (rank 0's store keeps no count to read)
        absent = f"not every rank of 0..{world_size - 1} joined"
        them = f"ranks {and_list(others)}"
        why = "some may have failed before joining (see their own output), not have been started"
    # a WORLD_SIZE or MASTER_PORT that differs between processes started by hand looks the same
    # from here: they wait at different stores, or for different numbers of processes
    return UsageError(
        f"{absent} at {where} within {within} (rank {rank} of {world_size} waited for {them}): "
        f"{why} or have been given another WORLD_SIZE, MASTER_ADDR or MASTER_PORT; start every "
        "rank with the same options and the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT, each "
        f"with its own RANK, within {within} of each other, or start them all with torchrun, "
        "which stops the others when one fails"
    )


def _not_joined_under_torchrun(rank: int, world_size: int, patience: float) -> UsageError:
    """Return why process ``rank``, started by torchrun, stops waiting for the others after
    ``patience`` seconds: torchrun stops every process once one fails, but not for one that
    exits cleanly without joining (a script whose ``run_softmax`` runs under ``if rank == 0:``), and
    torch's own wait is 30 minutes, silent; nor for one still busy before its call (preparing
    data), which needs a longer wait (the variable) or the group joined before that work."""
    others = [str(other) for other in range(world_size) if other != rank]
    if len(others) == 1:
        absent, them, it = f"rank {others[0]} did not join", "it", "it"
    else:  # which joined cannot be told here
        absent = f"not every rank of 0..{world_size - 1} joined"
        them, it = f"ranks {and_list(others)}", "some"
    return UsageError(
        f"{absent} the data-parallel run within {patience:g} s (rank {rank} of {world_size}, "
        f"started by torchrun, waited for {them}): {it} may have ended without making this "
        "call (a run_softmax or resume_softmax under `if rank == 0:`), or be still busy before "
        "it; every process torchrun starts must make the same run_softmax and resume_softmax "
        "calls, with the same settings, in the same order: call them on every rank, not under "
        "`if rank == 0:` (rank 0 alone writes the run folder and prints); for a rank busy "
        f"longer before its call (preparing data), set {JOIN_TIMEOUT_VARIABLE}=SECONDS for "
        "torchrun, or call torch.distributed.init_process_group() on every rank before that work"
    )


def _to_stderr(line: str) -> None:
    """Say ``line`` on stderr, for a Python caller whose run has no ``announce`` of its own."""
    print(line, file=sys.stderr, flush=True)


def still_waiting_line(rank: int, world_size: int, *, patience: float | None = None) -> str:
    """Return what a process started by torchrun says once it has waited a while for the others
    to join (torchrun says nothing of it); ``patience``: how long it waits in all (default:
    :func:`join_patience`'s)."""
    patience = join_patience(by_hand=False) if patience is None else patience
    them = "the other process" if world_size == 2 else f"the other {world_size - 1} processes"
    return (
        f"rank {rank} of {world_size}: still waiting for {them} to join the data-parallel run "
        f"(gives up after {patience:g} s): every process torchrun starts must make the same "
        "run_softmax and resume_softmax calls"
    )


def waiting_line(rank: int, world_size: int, *, patience: float | None = None) -> str:
    """Return what a process started by hand (not by torchrun) waits for, for how long (``patience``
    seconds; default: :func:`join_patience`'s), and what the others need."""
    patience = join_patience() if patience is None else patience
    where = f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}"
    return (
        f"rank {rank} of {world_size}: waiting for all {world_size} processes to join at {where} "
        f"(started without torchrun: each needs its own RANK in 0..{world_size - 1} and the same "
        f"WORLD_SIZE, MASTER_ADDR and MASTER_PORT; gives up after {patience:g} s)"
    )


def in_process_group() -> bool:
    """Return whether this process has joined a process group (its own call, or a caller's)."""
    return dist.is_available() and dist.is_initialized()


def group_context() -> DistContext:
    """Return this process's place in the process group it has already joined (its caller's, say).

    A group joined without torchrun, as in PyTorch's DDP tutorial (``mp.spawn``, then
    ``init_process_group("gloo", rank=rank, world_size=n)``), has no ``LOCAL_RANK``: its processes
    run on one machine, so the local rank is the rank.
    """
    _let_go_of_the_group()
    rank, world_size = dist.get_rank(), dist.get_world_size()
    return DistContext(rank=rank, world_size=world_size, local_rank=env_int("LOCAL_RANK", rank))


def _let_go_of_the_group() -> None:
    """Give ``torch.distributed.nn.functional``'s functions back ``None`` for a default that holds
    the caller's group, so that its ``destroy_process_group`` frees the group.

    Imported once the group was joined (by this module, or by torch._dynamo, which the first
    torch.optim optimizer imports), their defaults, ``group=group.WORLD``, are the group itself,
    not ``None`` as when imported before: the group outlived ``destroy_process_group``, gloo's
    threads ran into the interpreter's teardown, and a script that had trained and written
    everything was now and then killed by SIGABRT ("terminate called without an active
    exception"). ``None`` is the same group for as long as it is joined (the group of the call).
    """
    world = dist.group.WORLD
    for value in vars(torch.distributed.nn.functional).values():
        defaults = value.__defaults__ if isinstance(value, types.FunctionType) else None
        if defaults is not None and any(default is world for default in defaults):
            value.__defaults__ = tuple(
                None if default is world else default for default in defaults
            )


def shutdown_distributed() -> None:
    """Leave the process group if one was joined."""
    if in_process_group():
        dist.destroy_process_group()
