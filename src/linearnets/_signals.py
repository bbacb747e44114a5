"""SIGTERM as Ctrl-C: a ``KeyboardInterrupt`` the code's ``finally`` blocks and handlers see.

Python's default for SIGTERM ends the process at once: no ``finally`` runs, so a half-downloaded
file, a lock-only run folder or a run without its resume hint is left behind. A signal the process
was started with ignored (SIGINT, for ``cmd &`` in a shell script) stays ignored throughout, as
Python itself leaves it. Kept free of torch, so
the command can set it before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["held_signals", "sigterm_as_keyboard_interrupt"]


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
        raise KeyboardInterrupt("SIGTERM")

    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:  # ignored by whoever started us
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        raise KeyboardInterrupt("SIGTERM") if came[0] == signal.SIGTERM else KeyboardInterrupt()
