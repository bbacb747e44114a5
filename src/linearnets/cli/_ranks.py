"""Which process speaks under torchrun: this process's rank, and the wait of a rank that stays silent.

Every rank parses the same command line and meets the same errors; rank 0 alone prints the
library's own, so such a failure is said once (an unexpected error, which may be one rank's alone,
is said by each rank it stops). Commands that do not split their work refuse to run in several
processes.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from linearnets._shell import launched_as_before
from linearnets._signals import first_signal, held_signals
from linearnets.errors import UsageError

__all__ = [
    "StoppedWhileStarting",
    "by_launcher",
    "launched_again",
    "let_rank_0_speak",
    "rank",
    "rank_0_reported",
    "rank_0_reports",
    "refuse_data_parallel",
    "refuse_one_gpu_for_all",
    "stopped_by",
]

# set in torchrun's store by rank 0 stopping with an error it reports; per attempt, as the store
# outlives the workers torchrun restarts (--max-restarts)
_REPORTS_KEY = "linearnets/rank 0 reports/{attempt}"


def rank() -> int:
    """Return this process's rank under torchrun (from its environment), 0 otherwise.

    A ``RANK`` that no launcher set (no ``WORLD_SIZE`` above 1, no ``MASTER_ADDR``/``MASTER_PORT``,
    or outside ``[0, WORLD_SIZE)``) is ignored: that process must still say what went wrong. Reads
    nothing but ``os.environ``: it decides who reports an interrupt that may have cut torch's import
    short.
    """
    try:
        rank = int(os.environ.get("RANK") or 0)
    except ValueError:  # a malformed RANK or WORLD_SIZE: speak, rather than fail while reporting
        return 0
    world = _world_size()  # a malformed one is 1: rank 0 alone
    launched = all(os.environ.get(name) for name in ("MASTER_ADDR", "MASTER_PORT"))
    return rank if launched and 0 <= rank < world else 0


def let_rank_0_speak(seconds: float = 2.0) -> bool:
    """Wait a moment before a silent rank exits with an error; a signal ends the wait, quietly.

    torchrun stops every worker as soon as one fails: a rank other than 0 that left first could
    have rank 0 stopped before it printed the one line that explains the failure. Once rank 0 has
    said it and exited, torchrun stops the others (SIGTERM, raised here as a ``KeyboardInterrupt``):
    the end of the wait, not news to report, so the rank goes on to exit with its own status.

    Returns:
        Whether the wait ran out with no signal: rank 0 did not stop the run, so the failure is
        this rank's own (its data, its environment, its options given by hand), for it to say.
    """
    import time

    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        return False
    return True


def rank_0_reports() -> None:
    """Tell the other ranks, before rank 0 leaves the process group, that it reports its error.

    Under torchrun they lose rank 0 as it leaves, and each said so with the resume in its own words
    (``rank 0 keeps the checkpoints in ...``) beside rank 0's line: two instructions for one stop.
    The mark goes in torchrun's own store, which outlives rank 0, and nowhere without one: a rank
    started by hand has its own terminal and says its stop itself.
    """
    # a signal meanwhile (torchrun stopping the workers) is no news: the error is said all the same,
    # and the mark is set whole. The connect may take 5 s, not 2: a mark lost to a slow connect on a
    # loaded machine had rank 1 speak too.
    with contextlib.suppress(KeyboardInterrupt), held_signals(raise_after=False):
        store = _launcher_store(5.0)
        if store is not None:
            with contextlib.suppress(RuntimeError, OSError):  # torch's DistError is one
                store.set(_reports_key(), "1")


def rank_0_reported(seconds: float = 10.0) -> bool:
    """Return whether rank 0 reports the error that stopped this rank (:func:`rank_0_reports`).

    Waits up to ``seconds`` for the mark: a rank that lost another (not rank 0) may find out before
    rank 0 does, and on a loaded machine rank 0 took over 2 s to set it (both ranks then spoke, a
    CI failure). The wait ends at the mark, or at torchrun's stop once rank 0 has exited, so only
    a rank 0 that hangs unmarked makes it last. ``False`` where rank 0 gave no mark in time (killed, out of memory: then this rank's
    line is the run's only one) or no store holds it; torchrun stopping this rank (SIGTERM, raised
    as a ``KeyboardInterrupt``) ends the wait with one last look.
    """
    key, store = _reports_key(), None
    deadline = time.monotonic() + seconds
    try:
        # torchrun's stop may land during the connect (slow under load): held until the client is
        # kept, so the last look below has a store to look in (it was None, and this rank spoke too)
        with held_signals(raise_after=True):
            store = _launcher_store()
        while store is not None and not store.check([key]):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return store is not None
    except KeyboardInterrupt:
        with contextlib.suppress(RuntimeError, OSError):
            return store is not None and bool(store.check([key]))
        return False
    except (RuntimeError, OSError):  # torchrun's store gone: nothing tells
        return False


def _reports_key() -> str:
    return _REPORTS_KEY.format(attempt=os.environ.get("TORCHELASTIC_RESTART_COUNT") or "0")


def _launcher_store(seconds: float = 2.0) -> Any:
    """Return a client of torchrun's own store (its agent's, at ``MASTER_ADDR:MASTER_PORT``), or
    ``None``: not started by torchrun, a store that rank 0 holds (it goes with rank 0), or none to
    be reached within ``seconds``."""
    if not by_launcher() or os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() != "true":
        return None
    from datetime import timedelta

    import torch.distributed as dist

    try:
        return dist.TCPStore(
            os.environ["MASTER_ADDR"],
            int(os.environ["MASTER_PORT"]),
            is_master=False,
            timeout=timedelta(seconds=seconds),
            wait_for_workers=False,
        )
    except (KeyError, ValueError, RuntimeError, OSError):
        return None


def by_launcher() -> bool:
    """Whether torchrun (or another elastic launcher) started this process: it then shares the
    others' terminal and stdout, where rank 0 alone speaks for the run."""
    return bool(os.environ.get("TORCHELASTIC_RUN_ID"))


def stopped_by(signal: str, when: str) -> str:
    """Return how a stop by ``signal`` (``"SIGINT"``, ``"SIGTERM"``) ``when`` it came ("before
    training began") is told: "interrupted by SIGTERM before training began".

    A SIGTERM to a process torchrun started is often torchrun's: it stops every worker once one
    exits (killed, failed) or once it is stopped itself. Told as an interrupt, it read as if the
    user had stopped a run whose other process had died (``kill -9``). But it may also come from
    outside, straight to this process (``kill``, a job scheduler stopping it), and then torchrun's
    report names this very process as the first to fail: a handler is not told who sent the
    signal, so the line names every sender it may be, and torchrun's report as the one that tells.
    """
    if signal == "SIGTERM" and by_launcher():
        return (
            f"stopped by SIGTERM {when}: from torchrun, which stops every process once one exits "
            "or once it is stopped itself, or from outside (kill, a job scheduler); torchrun's "
            "report says which"
        )
    return f"interrupted by {signal} {when}"


def refuse_data_parallel(command: str) -> None:
    """Raise unless this is a single process: ``command`` does not split its work over processes.

    The first import of torch for ``linreg``, ``data`` and ``predict``: made with SIGINT and SIGTERM
    held, and one that came raised once it is done. A ``KeyboardInterrupt`` inside it was swallowed
    by torch's own import of numpy (the command ran to its end, exit 0) or left torch half-made,
    and the report of the stop failed importing it again (a traceback, exit 1).
    """
    try:
        with held_signals(raise_after=True):
            from linearnets.training.distributed import env_int
    except KeyboardInterrupt as exc:
        raise StoppedWhileStarting(*exc.args) from None

    world = env_int("WORLD_SIZE", 1)
    if world > 1 and by_launcher():
        raise UsageError(
            f"{command} runs in one process, got {world} processes (torchrun); run it "
            f"without torchrun (only 'linearnets softmax' trains data-parallel)"
        )
    if world > 1:  # no launcher: a variable left set, or processes started by hand
        raise UsageError(
            f"{command} runs in one process, but WORLD_SIZE={world} is set in the environment, "
            f"which asks for {world} processes; unset WORLD_SIZE (only 'linearnets softmax' "
            "trains data-parallel)"
        )


def first_fix_a_peers_error(signal: str) -> str:
    """Return what to do before running the command again after a stop by ``signal``: under
    torchrun, a SIGTERM may follow another process's own error (a bad option given to one rank
    alone), which that process said, and the same command, run as it was, fails again."""
    if signal == "SIGTERM" and by_launcher() and _world_size() > 1:
        return "once the error another process said, if one did, is fixed, "
    return ""


def launched_again() -> str:
    """Return how this command's processes are started again, after the resume a stop before
    training advises (``", launched by torchrun as before"``, ``" in 2 processes, started as
    before"``, ``""`` for one), read from the launcher's variables as :func:`rank` reads them:
    the stop may come before the process group is made, or cut torch's import short."""
    world = _world_size()
    return launched_as_before("torchrun" if by_launcher() else "", world) if world > 1 else ""


def _world_size() -> int:
    """Return torchrun's WORLD_SIZE, 1 where unset or malformed."""
    try:
        return int(os.environ.get("WORLD_SIZE") or 1)
    except ValueError:
        return 1


def stopped_while_starting(signal: str) -> str:
    """Return how a stop by ``signal`` before a command did anything is told."""
    said = stopped_by(signal, "while starting")  # a Ctrl-C's too, named
    return f"{said}; nothing was done: {first_fix_a_peers_error(signal)}run the same command again"


class StoppedWhileStarting(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM while a command loaded torch, before it did anything."""

    def __str__(self) -> str:
        return stopped_while_starting(first_signal(self))


def refuse_one_gpu_for_all(device: str) -> None:
    """Raise if torchrun gave ``--device cuda:N`` to several processes of this machine.

    torchrun hands every process the same command line, so all of them took GPU N, which NCCL
    refuses at the first collective ("Duplicate GPU detected"), said as a lost process. A bare
    ``cuda`` gives each its own GPU (``cuda:LOCAL_RANK``). Started by hand, each process may be
    given its own GPU: nothing is refused then.
    """
    from linearnets.training.distributed import env_int

    if not isinstance(device, str):  # a resumed run's, from its config.json: checked later
        return
    name, _, index = device.partition(":")
    local_processes = env_int("LOCAL_WORLD_SIZE", 1)
    if name != "cuda" or not index.isdigit() or not by_launcher() or local_processes <= 1:
        return
    raise UsageError(
        f"--device {device} puts all {local_processes} processes torchrun started on this "
        f"machine on GPU {index}, but each needs a GPU of its own (NCCL refuses two on one); "
        "pass --device cuda (each process on GPU LOCAL_RANK), or --nproc_per_node=1"
    )
