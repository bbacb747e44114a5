"""One rank's error in a data-parallel ``fit`` stops every rank at once, each saying which stopped.

A rank that raised alone (a bad label in its own batch, a callback of its own) left the others in
the next gradient all-reduce for as long as its process lived (a notebook, a script that catches
the error: up to gloo's 30 minutes), and then they got gloo's raw "Connection closed by peer ...
GLHF!". :func:`stop_together` makes that rank note its error in the group's store and leave the
process group, which fails the others' collective at once; they raise a PeerLostError that names
the rank and its error. An error every rank raised alike (a model refused on the first batch by
each) leaves the group joined, for the next call: each failing rank waits up to
:data:`_AGREE_WAIT` seconds for every other to note one for the same call (the ranks held in a
collective note nothing). Nothing is added to a step: the work is done only once an error is raised.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import torch.distributed as dist

from linearnets.errors import UsageError
from linearnets.training.dist_failures import PeerLostError, lost_connection
from linearnets.training.distributed import DistContext, in_process_group

__all__ = ["check_still_joined", "raised_on_every_rank", "stop_together"]

# in the group's own store, per fit call: what stopped that rank; how many ranks raised; the
# verdict they share ("together": every rank raised, the group kept; "stop": the group left)
_KEY = "linearnets/stopped/{call}/{rank}"
_COUNT = "linearnets/stopped/{call}/count"
_VERDICT = "linearnets/stopped/{call}/verdict"
# what stopped a rank that left the group, in whichever call: told in the others' later calls too
# (a callback failing on one rank after the call's last collective: the others' call returned)
_LEFT = "linearnets/left/{rank}"
_TOGETHER, _STOP = "together", "stop"
_INTERRUPTED = "interrupted ("  # a note's start for a Ctrl-C or an exit: nothing to fix
_STORE_WAIT = 2.0  # seconds: the store answers in milliseconds; a rank gone with it answers nothing
_AGREE_WAIT = 2.0  # seconds a failing rank waits for every other to fail in the same call too
_POLL = 0.02  # seconds between two looks at the count while waiting
_calls = itertools.count(1)  # data-parallel fit calls of this process: every rank counts alike
_LONGEST = 2000  # characters of the stopped rank's error kept in the store
_KEEP_STORE = 10.0  # seconds the stopped rank keeps the store up, for the others to read its note
_left = [False]  # whether this process left its group as its error stopped a call, not joined since
# where the messages send a learner: the stopped rank's store holds the port for _KEEP_STORE s
_AGAIN = "start every rank again, on a new port (or after 10 s)"


def raised_on_every_rank(err: BaseException) -> BaseException:
    """Mark ``err`` as raised by every rank at the same point (after a collective that told them
    all, as the unequal batch counts' refusal): the group is then left as it is, for the next
    call. Return it."""
    err.raised_on_every_rank = True  # type: ignore[attr-defined]
    return err


def _together(exc: BaseException) -> bool:
    """Whether every rank raises ``exc`` alike: one marked so (a refusal after a collective, the
    divergence guard's stop: it sums each step's loss over the ranks), a stop the ranks agreed on
    (the interrupt's), or another rank's loss already told. A DivergenceError of one rank's own
    (its NaN scores, fit's first-step check) is not: the others wait in a collective."""
    from linearnets.training.interrupt import TrainingInterrupted

    return (
        getattr(exc, "raised_on_every_rank", False)
        or isinstance(exc, (TrainingInterrupted, PeerLostError))
        or lost_connection(exc) is not None
    )


def check_still_joined(context: DistContext | None) -> None:
    """Raise unless this process is in the process group, where its error left it in an earlier
    call (torch said "Default process group has not been initialized").

    Raises:
        UsageError: "this rank left the process group as its error stopped an earlier fit ...".
    """
    if context is None or not context.enabled or not _left[0]:
        return
    if in_process_group():
        _left[0] = False  # joined again
        return
    raise UsageError(
        f"dist: this rank (rank {context.rank}) left the process group as its error stopped an "
        "earlier fit; join again with init_process_group (on a new port, or after 10 s), every "
        "rank, to train again"
    )


@contextlib.contextmanager
def stop_together(context: DistContext | None) -> Iterator[None]:
    """Run the block; in a data-parallel run, an error this rank raised alone stops the others.

    Raises:
        PeerLostError: a collective lost another rank: "rank 1 stopped: <its error>" where that
            rank left its error in the group's store, else gloo's reason in a few words.
        BaseException: this rank's own, as it was, once the others are told (the process group
            left on this rank: join it again to train again).
    """
    if context is None or not context.enabled:
        yield
        return
    call = next(_calls)  # its notes apart from an earlier call's, failed in the same group
    try:
        yield
    except BaseException as exc:
        reason = lost_connection(exc)
        if reason is not None:
            raise _peer_stopped(context, reason, call) from exc
        if not _together(exc):
            _tell_the_others(context, exc, call)
        raise


def _store() -> Any:
    """Return the default group's store, or ``None`` (no group, or a torch without one)."""
    try:
        return dist.distributed_c10d._get_default_store()
    except Exception:  # a private torch function: gone or changed, nothing is noted
        return None


def _tell_the_others(context: DistContext, exc: BaseException, call: int) -> None:
    """Note ``exc`` in the group's store under this rank and ``call``; unless every rank raised in
    that call too (:func:`_every_rank_raised`), leave the process group: the others' pending
    collective fails at once ("Connection closed by peer")."""
    if not in_process_group():
        return
    store = _store()
    if store is not None:
        _set(store, _KEY.format(call=call, rank=context.rank), _noted(exc)[:_LONGEST])
        if _every_rank_raised(store, context, call):
            return  # none waits in a collective: the group stays, for the next call
        _set(store, _LEFT.format(rank=context.rank), _noted(exc)[:_LONGEST])
    dist.destroy_process_group()
    _left[0] = True
    if store is not None:
        _keep(store, _KEEP_STORE)


def _set(store: Any, key: str, note: str) -> None:
    """Set ``key`` to ``note`` in ``store``, answered before this returns (the note is in before
    the others hear of the leaving); nothing where the store is gone too (the others then say
    that a rank stopped, not why)."""
    try:
        store.set(key, note)
        store.get(key)
    except Exception:
        pass


def _noted(exc: BaseException) -> str:
    """Return what the others are told stopped this rank: "UsageError: <its message>", the type
    alone where the message is empty or that name; "interrupted (KeyboardInterrupt)" for a Ctrl-C
    or an exit, which asks for no fix."""
    name, said = type(exc).__name__, str(exc).strip()
    told = name if not said or said == name else f"{name}: {said}"
    return f"{_INTERRUPTED}{told})" if isinstance(exc, (KeyboardInterrupt, SystemExit)) else told


def _every_rank_raised(store: Any, context: DistContext, call: int) -> bool:
    """Count this rank's error in ``call``; return whether every rank raised one in it, as the
    ranks that raised agree: the count reaches the world size within :data:`_AGREE_WAIT` seconds,
    else the first to give up decides "stop" for all (the verdict set once, first come)."""
    count_key, verdict_key = _COUNT.format(call=call), _VERDICT.format(call=call)
    try:
        timeout = store.timeout
        store.set_timeout(datetime.timedelta(seconds=_STORE_WAIT))
        try:
            count = int(store.add(count_key, 1))
            deadline = time.monotonic() + _AGREE_WAIT
            while count < context.world_size and time.monotonic() < deadline:
                if store.check([verdict_key]):
                    break
                time.sleep(_POLL)
                count = int(store.add(count_key, 0))
            proposed = _TOGETHER if count >= context.world_size else _STOP
            verdict = bytes(store.compare_set(verdict_key, "", proposed)).decode()
        finally:
            store.set_timeout(timeout)
    except Exception:  # the store gone: left as a lone error is
        return False
    return verdict == _TOGETHER


def _keep(store: Any, seconds: float) -> None:
    """Hold ``store`` for ``seconds`` in a thread of its own: rank 0's is the group's server,
    dropped with the group as this rank's error left ``fit``, and the others asked it in vain
    for the note (1 run in 4 on a loaded machine). Held longer, a group joined again at once at
    the same port would find it taken."""
    holder = threading.Timer(seconds, lambda held: None, args=(store,))
    holder.daemon = True  # no wait for it as the interpreter exits
    holder.start()


def _peer_stopped(context: DistContext, reason: str, call: int) -> PeerLostError:
    """Return the error that another rank stopped: which, and why, where it left its note in
    this ``call``, or left the group in an earlier one (its own call failed after the others'
    returned)."""
    store = _store()
    others = [rank for rank in range(context.world_size) if rank != context.rank]
    keys = [(rank, _KEY.format(call=call, rank=rank)) for rank in others]
    keys += [(rank, _LEFT.format(rank=rank)) for rank in others]
    for rank, key in keys:
        note = _note(store, key)
        if note is not None:
            fix = "" if note.startswith(_INTERRUPTED) else "fix it there and "
            return PeerLostError(
                f"rank {rank} stopped: {note}; every rank of the data-parallel run stopped "
                f"with it (rank {rank} left the process group): {fix}{_AGAIN}"
            )
    return PeerLostError(
        f"another process of the data-parallel run stopped (lost connection: {reason}); see its "
        f"own output for why, and {_AGAIN}"
    )


def _note(store: Any, key: str) -> str | None:
    """Return the note at ``key`` (what a rank noted as it stopped), or ``None`` (no note, no
    store to ask)."""
    if store is None:
        return None
    try:
        store.set_timeout(datetime.timedelta(seconds=_STORE_WAIT))
        if not store.check([key]):
            return None
        return bytes(store.get(key)).decode("utf-8", "replace")
    except Exception:  # rank 0 gone with its store
        return None
