"""The forked child of :class:`~linearnets.plotting.background.PlotProcess`: its loop, the thread
that reads the pipe, its stop on SIGTERM or when the parent dies, and the failures it reports back.

The child runs the calls the parent sends, in order, drawing the curves once a turn and the last
drawings side by side at the close (:mod:`linearnets.plotting._side_by_side`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from linearnets._cores import usable_cores
from linearnets._dependencies import dependency_failure
from linearnets._fs import DISK_FULL
from linearnets._text import shown_path
from linearnets.plotting._side_by_side import Job, _die_with_parent, run_side_by_side
from linearnets.plotting.remote_curves import curve_drawings

__all__ = ["Failures", "drawing_name", "serve", "usable_cores"]


_GONE = object()  # put in the child's inbox when the parent's end of the pipe is closed


def serve(conn: Connection, parent_end: Connection, parent: int) -> None:
    """The child's loop: run the calls received until ``None``, then send back the first error.

    Each turn takes every call queued so far and runs them in order; the curves they updated are
    drawn once at the end of the turn (see :func:`~linearnets.plotting.remote_curves.curve_drawings`),
    so a child that falls behind skips the states nobody would have seen. The last drawings
    (:meth:`~linearnets.plotting.background.PlotProcess.call_beside`) wait for the closing turn,
    which draws them, and curves not drawn yet, side by side
    (:func:`~linearnets.plotting._side_by_side.run_side_by_side`). The
    fork gave the child the parent's end of the pipe too: it closes it first, so that the pipe
    reports end-of-file when the parent dies without closing it (``kill -9``, the OOM killer), and
    the child exits instead of drawing on, or waiting forever and holding the run's stdout open.
    """
    if not _prepare(parent_end, parent):
        return  # the parent died before the child could watch for it
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    reader = threading.Thread(
        target=_receive, args=(conn, inbox, threading.get_ident()), name="linearnets-plots-inbox"
    )
    reader.daemon = True  # blocked in recv() at exit: not waited for
    reader.start()
    failures = Failures()
    beside: list[Job] = []  # the last drawings, drawn in the closing turn (see call_beside)
    while True:
        batch = _take_queued(inbox)
        if any(message is _GONE for message in batch):
            return  # the parent is gone: its run folder is no longer ours to write
        closing = batch[-1] is None  # the reader stops after it: it comes last
        if closing:
            reader.join(timeout=5)  # it returns right after the closing message
        for fn, args, kwargs, apart in batch[:-1] if closing else batch:
            if apart:  # a last drawing: kept for the closing turn
                beside.append((fn, args, kwargs))
            else:
                failures.run(fn, args, kwargs)
        drawings = curve_drawings(beside)
        if not closing:
            for fn, args, kwargs in drawings:
                failures.run(fn, args, kwargs)
            continue
        # no thread but this one (else one process draws them all): forking is safe
        cores = 1 if reader.is_alive() else usable_cores()
        run_side_by_side(
            drawings + beside,
            failures,
            make=Failures,
            cores=cores,
            close_in_fork=(conn.fileno(),),  # the parent sees end-of-file once this process is gone
        )
        # a parent stopped while it waited here (a signal) has closed its end: nothing to tell
        with contextlib.suppress(OSError):  # BrokenPipeError included
            conn.send((failures.error, failures.fix_first))
        return


def _prepare(parent_end: Connection, parent: int) -> bool:
    """Set the child up to serve: signals, the parent's death watched, torch kept to one thread.

    Return ``False`` when the parent died before its death could be watched for.
    """
    parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the fork copied the parent's SIGTERM handler, which raises KeyboardInterrupt: a traceback
    # here. Not the default either (the file being drawn would be left as a .tmp), nor ignored
    # (multiprocessing's exit would wait forever for this daemon): the normal exit, at once
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    sys.unraisablehook = _quiet_when_stopped(sys.unraisablehook)
    # the pipe's end-of-file is read by the reader thread, which has ended in the closing turn:
    # the kernel's SIGTERM ends the child there too when the parent dies (kill -9)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        return False
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(
            1
        )  # never enter the thread pool inherited, half-alive, from the parent
    return True


def _take_queued(inbox: queue.SimpleQueue[Any]) -> list[Any]:
    """Return every message queued in ``inbox``, waiting for the first."""
    batch = [inbox.get()]
    with contextlib.suppress(queue.Empty):
        while True:
            batch.append(inbox.get_nowait())
    return batch


def _receive(conn: Connection, inbox: queue.SimpleQueue[Any], main: int) -> None:
    """The child's reader thread: move each call from the pipe to ``inbox`` until ``None`` or the end.

    Reading all the time empties the pipe while the main thread draws, so the parent's sends never
    wait on drawing. At end-of-file (the parent is gone) it also interrupts a drawing in progress
    in ``main``, the thread that draws.
    """
    # signals go to the main thread, whose handler ends the child; here they would be lost
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent's end is closed: the parent is gone
            inbox.put(_GONE)
            # a real signal: it also cuts short a wait in C (a sleep, a read) that a drawing is in
            signal.pthread_kill(main, signal.SIGTERM)
            return
        except OSError:  # this end was closed under it (a call closing every file): stop reading
            inbox.put(_GONE)
            return
        inbox.put(message)
        if message is None:
            return


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """End the child through its normal clean-up: ``finally`` blocks run, no traceback is printed.

    ``SystemExit`` is what multiprocessing ends a child with quietly. A second SIGTERM is ignored,
    so that the clean-up can remove the file being drawn: a stop sent to the process group reaches
    the child twice (the group's, then the parent's when it closes the child), and the parent
    ends a child that does not exit with SIGKILL after a few seconds.
    """
    global _stopped_by
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _stopped_by = signum
    raise SystemExit(128 + signum)


# the signal that ended this process, once its handler ran: a SystemExit raised inside a weakref
# callback or a __del__ (matplotlib's caches, the garbage collector) is printed and dropped by
# Python, and the process would draw on; each call checks this when it returns (see Failures.run)
_stopped_by: int | None = None


def _quiet_when_stopped(
    previous: Callable[[sys.UnraisableHookArgs], Any],
) -> Callable[[sys.UnraisableHookArgs], Any]:
    """Return an unraisable hook that says nothing of this process's own stop, dropped where
    Python could not raise it (a weakref callback: see :data:`_stopped_by`); it ends the process
    once the call returns. Any other unraisable exception goes to ``previous``."""

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if isinstance(unraisable.exc_value, SystemExit) and _stopped_by is not None:
            return
        previous(unraisable)

    return hook


class Failures:
    """The drawing calls that failed in the child: the first one's message, and how many in all."""

    def __init__(self) -> None:
        self.first: str | None = None
        self.count = 0

    def run(self, fn: Callable[..., Any], args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
        """Call ``fn``; a failure is counted (and the first one kept), the other figures go on.

        A SIGTERM that Python dropped during the call (see :data:`_stopped_by`) ends the process
        once the call returns: the figure it drew is whole, and nothing more is drawn.
        """
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # reported to the parent, which decides
            self.count += 1
            if self.first is None:
                self.first = failure_message(fn, exc)
        if _stopped_by is not None:
            raise SystemExit(128 + _stopped_by)

    def merge(self, first: str | None, count: int) -> None:
        """Add the failures another process counted: ``count`` of them, the first ``first``."""
        if count:
            self.count += count
            self.first = self.first if self.first is not None else first

    @property
    def error(self) -> str | None:
        """What :meth:`~linearnets.plotting.background.PlotProcess.close` reports: ``None`` when
        every call succeeded."""
        if self.first is None or self.count == 1:
            return None if self.first is None else self.first.replace(_FIX, ": ")
        more = f" (and {self.count - 1} more)"
        failed, advised, fix = self.first.partition(_FIX)
        if advised:  # the fix last: "rename or remove it (and 2 more)" misreads
            return f"{failed}{more}: {fix}"
        if self.first.endswith(_FULL):  # the advice last: "free some space (and 2 more)" misreads
            return f"{self.first.removesuffix(_FULL)}{more}{_FULL}"
        return f"{self.first}{more}"

    @property
    def fix_first(self) -> bool:
        """Whether the first failure came with a fix to make before the figures can be drawn (a
        dependency that could not be loaded): a resume before it fails the same way."""
        return self.first is not None and _FIX in self.first


# between a failure and the fix of the dependency that caused it, in ``Failures.first``: the count
# of the failures goes before the fix (a character no message keeps: see failure_message)
_FIX = "\x00"

# what the command line advises on a full disk (its figures' and files' own): said last
_FULL = ": a device is full (the disk, or where the output goes); free some space"


def failure_message(fn: Any, exc: Exception) -> str:
    """Return how the call ``fn`` failed with ``exc``, named by what it draws.

    A full disk names the figure first and what to do, as the command line says it for a figure
    it writes itself: "drawing the curves failed: RUN/curves.png could not be written: No space
    left on device (OSError): a device is full ...; free some space". A dependency that could not
    be loaded is said as the command line says it, with its fix ("drawing the curves failed:
    matplotlib could not be loaded: broken (ImportError); PIL is loaded from ./PIL.py, which
    shadows pillow's; rename or remove it"): the bare error led to a resume that failed the same way.
    """
    name = drawing_name(fn)
    if (
        isinstance(exc, OSError)
        and exc.errno in DISK_FULL
        and isinstance(exc.filename, str | bytes)
        and exc.filename2 is None
        and exc.strerror
    ):
        path = shown_path(os.fsdecode(exc.filename))
        return (
            f"drawing {name} failed: {path} could not be written: {exc.strerror} "
            f"({type(exc).__name__}){_FULL}"
        )
    damaged = dependency_failure(exc)
    if damaged is not None:  # a stray PIL.py in the working folder: what the CLI says, and its fix
        return f"drawing {name} failed{_FIX}{damaged}"
    # a NUL in the error's own text is not the mark of a fix (the CLI shows it as \x00 anyway)
    return f"drawing {name} failed with {type(exc).__name__}: {exc}".replace(_FIX, "\\x00")


def drawing_name(fn: Any) -> str:
    """Return what a queued call draws, in the user's words (not a private function's name)."""
    name = getattr(fn, "__name__", str(fn))
    if name in ("_new_curves", "_update_curves", "_draw_curves", "_close_curves"):
        return "the curves"
    return {
        "plot_confusion_matrix": "the confusion matrix",
        "plot_predictions": "the predictions",
    }.get(name, name.strip("_").replace("_", " "))
