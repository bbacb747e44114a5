"""SIGTERM as Ctrl-C: a ``KeyboardInterrupt`` the code's ``finally`` blocks and handlers see.

Python's default for SIGTERM ends the process at once: no ``finally`` runs, so a half-downloaded
file, a lock-only run folder or a run without its resume hint is left behind. A signal the process
was started with ignored (SIGINT, for ``cmd &`` in a shell script) stays ignored throughout, as
Python itself leaves it. Kept free of torch, so
the command can set it before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import CodeType, FrameType

__all__ = [
    "command_signals",
    "first_signal",
    "held_signals",
    "interrupt_for",
    "interrupts_never_dropped",
    "note_stop",
    "sigterm_as_keyboard_interrupt",
    "stops_seen",
]

# the Ctrl-Cs and SIGTERMs held, dropped or deferred so far (not raised where they came): a wait
# for a stuck output (linearnets.cli._blocked_write) that one came into gives up at once
_STOPS_SEEN = [0]


def note_stop() -> None:
    """Count a Ctrl-C or SIGTERM that a handler holds, drops or defers rather than raising."""
    _STOPS_SEEN[0] += 1


def stops_seen() -> int:
    """Return how many Ctrl-Cs and SIGTERMs were held, dropped or deferred so far."""
    return _STOPS_SEEN[0]


@contextlib.contextmanager
def sigterm_as_keyboard_interrupt() -> Iterator[None]:
    """Let SIGTERM stop a run as Ctrl-C does (a ``KeyboardInterrupt("SIGTERM")``) outside training.

    During ``fit`` the :class:`GracefulInterrupt` handles both signals itself; before and after it,
    SIGTERM would otherwise end the process at once, without a word and without the resume hint.
    Outside the main thread (where no handler can be set) it changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise interrupt_for(signum)

    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:  # ignored by whoever started us
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def command_signals() -> Iterator[Callable[[], None]]:
    """Let Ctrl-C and SIGTERM stop a command that owns its process until it ends, then drop them.

    Until the ``ended()`` it yields is called, each raises its ``KeyboardInterrupt`` (SIGTERM as a
    Ctrl-C, as :func:`sigterm_as_keyboard_interrupt` has it); from then on each is dropped, until
    the process has left (``os._exit``). One handler that changes its mind, not two in turn:
    Python's own, put back between the command's and the quiet one, ended a command that had said
    all and written all as killed by a SIGTERM landing there (status -15, 143 in a shell), or with
    a Ctrl-C's traceback. The handlers found are put back on leaving the block, for a session that
    goes on (IPython, ``python -i``). A signal the process was started with ignored stays ignored;
    outside the main thread it changes nothing.
    """
    over: list[bool] = []

    def ended() -> None:
        over.append(True)

    if threading.current_thread() is not threading.main_thread():
        yield ended
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        if not over:
            raise interrupt_for(signum)
        note_stop()

    previous = {
        sig: signal.signal(sig, stop)
        for sig in (signal.SIGINT, signal.SIGTERM)
        # ignored: `cmd &` in a script ignores SIGINT; None: a handler set outside Python, which
        # could not be put back
        if signal.getsignal(sig) not in (signal.SIG_IGN, None)
    }
    try:
        yield ended
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def held_signals(*, raise_after: bool) -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the block runs; with ``raise_after``, one that came is raised
    at its end as the ``KeyboardInterrupt`` it would have been.

    For code a ``KeyboardInterrupt`` must not cut: numpy's import swallows one now and then (the
    command then ran to its end, or failed with "numpy has no attribute multiply"), and the line and
    JSON object that report a stop must be printed whole (``raise_after=False``: the process is
    stopping anyway). Outside the main thread it changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        came.append(signum)
        note_stop()

    previous = {
        sig: signal.signal(sig, record)
        for sig in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(sig) is not signal.SIG_IGN  # `cmd &` in a script ignores SIGINT
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if came and raise_after:
        raise interrupt_for(came[0])


def interrupt_for(signum: int) -> KeyboardInterrupt:
    """The ``KeyboardInterrupt`` a Ctrl-C (SIGINT) or SIGTERM raises in a command (SIGTERM named)."""
    return KeyboardInterrupt("SIGTERM") if signum == signal.SIGTERM else KeyboardInterrupt()


def first_signal(exc: KeyboardInterrupt) -> str:
    """Return the signal that stopped the command: "SIGINT" (Ctrl-C) or "SIGTERM".

    A stop that names its signal (``signal_name``) is taken at its word. A plain ``exc`` raised
    while an earlier interrupt was on its way out (in that one's ``__context__`` chain) is a second
    signal's, which cut the first stop short: the first is named, the one the user gave. Under
    torchrun the second is SIGTERM whatever the user did: torchrun passes a Ctrl-C on to the
    workers as SIGINT, and stops them with SIGTERM at the next one (a Ctrl-C pressed twice).
    """
    first: BaseException = exc
    seen = {id(exc)}
    behind = exc.__context__
    while getattr(first, "signal_name", None) is None and behind is not None:
        if id(behind) in seen:
            break
        seen.add(id(behind))
        if isinstance(behind, KeyboardInterrupt):
            first = behind
        behind = behind.__context__
    named = getattr(first, "signal_name", None)
    if named is not None:
        return str(named)
    return "SIGTERM" if first.args == ("SIGTERM",) else "SIGINT"


@contextlib.contextmanager
def interrupts_never_dropped() -> Iterator[None]:
    """Deliver again a Ctrl-C or SIGTERM whose ``KeyboardInterrupt`` Python dropped.

    A signal whose handler raises while Python runs a weakref callback, a ``__del__`` or a
    finalizer (multiprocessing's, the garbage collector's) has its ``KeyboardInterrupt`` printed
    as "Exception ignored in ..." with a traceback, and dropped: the command went on as if it had
    never come. Here nothing is printed, and the signal is sent again a moment later, from another
    thread (sent from here, its handler would raise in this hook, as unraisable), so that the
    handler then in place raises it where it can be handled. Every other unraisable exception goes
    to the hook there was before. For a command, which owns its process.
    """
    previous = sys.unraisablehook

    def redeliver(unraisable: sys.UnraisableHookArgs) -> None:
        exc = unraisable.exc_value
        if type(exc) is KeyboardInterrupt and threading.current_thread() is threading.main_thread():
            signum = signal.SIGTERM if exc.args == ("SIGTERM",) else signal.SIGINT
            try:
                args = (signum, redeliver.__code__)
                threading.Thread(target=_send_later, args=args, daemon=True).start()
                return
            except RuntimeError:  # no new thread (the interpreter is shutting down): say it
                pass
        previous(unraisable)

    sys.unraisablehook = redeliver
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _send_later(signum: int, hook: CodeType) -> None:
    """Send ``signum`` to this process once the main thread has left the hook (whose code is
    ``hook``): raised in there, the handler's ``KeyboardInterrupt`` would be dropped again ("Exception
    ignored in sys.unraisablehook"). A fixed wait is not enough: on a loaded machine the main
    thread may still be in the hook long after this thread starts."""
    main = threading.main_thread().ident
    deadline = time.monotonic() + 10  # a main thread stuck in the hook: send it anyway
    while time.monotonic() < deadline and _running(main, hook):
        time.sleep(0.001)
    os.kill(os.getpid(), signum)


def _running(thread: int | None, code: CodeType) -> bool:
    """Whether ``thread`` is running ``code`` now, anywhere on its stack."""
    frame: FrameType | None = sys._current_frames().get(thread) if thread is not None else None
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False
