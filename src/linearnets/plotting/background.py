"""Drawing a run's figures in a second process, so that plotting never holds training up.

A headless run redraws its curves after every epoch and draws a confusion matrix and a prediction grid
at the end: over a second of matplotlib work (its import included), as long as several epochs of
training. :class:`PlotProcess` forks a child that does the drawing while the parent trains on the other
core: the parent sends each call down a pipe, in order, and waits only in :meth:`PlotProcess.close` for
the drawing still queued. The child reads the pipe all the time (a thread), so a parent that trains
faster than the child draws is never held up; curve updates that queued up while it drew are drawn
once, in their newest state. The curves themselves (:class:`RemoteCurves`, re-exported here) live in
:mod:`linearnets.plotting.remote_curves`. Where ``fork`` is unavailable (Windows; macOS, where forking
is unsafe) or fails (a process limit reached), :func:`start_plot_process` returns ``None`` and the
caller draws in its own process.

The functions sent must be importable by name (module-level), and their arguments picklable.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from linearnets._signals import held_signals
from linearnets.errors import PlotError
from linearnets.plotting._side_by_side import Job, _die_with_parent, run_side_by_side
from linearnets.plotting.remote_curves import RemoteCurves, curve_drawings

__all__ = ["PlotError", "PlotProcess", "RemoteCurves", "start_plot_process"]


def start_plot_process() -> PlotProcess | None:
    """Return a started :class:`PlotProcess`, or ``None`` where no child can draw.

    ``None`` where this platform cannot fork safely (only Linux forks here), and where the fork or
    its pipe fails (``EAGAIN``: a container's process limit or ``RLIMIT_NPROC`` reached;
    ``ENOMEM``: no memory to copy the process into; ``EMFILE``): the caller then draws in its own
    process, more slowly, rather than failing the run.
    """
    if (
        not sys.platform.startswith("linux")
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return None
    try:
        return PlotProcess()
    except OSError:
        return None


class PlotProcess:
    """A forked child that runs plotting calls in order while the parent goes on.

    Calls that fail are reported by :meth:`close` (the first one, and how many more); the others still
    run. The child ignores Ctrl-C (the parent handles it, then closes the child), ends on SIGTERM
    through its normal clean-up (a figure it was writing leaves no temporary file), and stops at once,
    drawing nothing more, when the parent is gone, even if the parent died without closing it.
    """

    def __init__(self) -> None:
        """Fork the child.

        Raises:
            OSError: the pipe or the fork failed (both ends of the pipe are closed again).
        """
        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child_conn, self._conn, os.getpid()),
            name="linearnets-plots",
            daemon=True,
        )
        try:
            # Ctrl-C or SIGTERM held back over the fork: one raised there would land in the
            # at-fork callbacks (logging's), which print and drop it, and the run would go on
            with warnings.catch_warnings(), held_signals(raise_after=True):
                # Python >= 3.12 warns about forking a process that has threads (torch's); the child
                # only draws with matplotlib and never enters torch's thread pool
                warnings.simplefilter("ignore", DeprecationWarning)
                self._process.start()
        except BaseException:
            self._conn.close()
            child_conn.close()
            if self._process.pid is not None:  # forked, then stopped: the child has drawn nothing
                self._process.kill()
                self._process.join()
            raise
        child_conn.close()
        self._closed = False
        self._torn = False  # a send was cut short by a signal: the pipe may hold half a message

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Queue ``fn(*args, **kwargs)`` for the child; returns at once (the child reads all the time)."""
        self._send(fn, args, kwargs, beside=False)

    def call_beside(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Queue ``fn(*args, **kwargs)``, one of the last drawings: a figure of its own file that
        no other call reads or writes, drawn from its arguments (or from what the calls before it
        left in the child, as a curves' closing). It is drawn when :meth:`close` is called, after
        every other call, beside the other last drawings (and curves not drawn yet), one process a
        core (see :mod:`linearnets.plotting._side_by_side`): job ``i`` of the closing turn goes to
        process ``i % cores``, so the order of the calls decides which are drawn together."""
        self._send(fn, args, kwargs, beside=True)

    def _send(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *, beside: bool
    ) -> None:
        if self._closed:
            raise PlotError("the plotting process is closed; start a new one")
        try:
            # pickled as plain bytes: Connection.send's ForkingPickler would move a tensor into
            # shared memory and hand its descriptor over through a listener thread, whose
            # handshake a stopped child cuts (a ConnectionResetError traceback in the parent)
            self._conn.send_bytes(pickle.dumps((fn, args, kwargs, beside), pickle.HIGHEST_PROTOCOL))
        except (BrokenPipeError, EOFError, OSError):  # child gone: close() says so
            pass
        except BaseException:
            self._torn = True  # Ctrl-C mid-send: close() stops the child instead of talking to it
            raise

    def close(self, *, raise_errors: bool = True) -> None:
        """Wait for the queued drawing to finish and stop the child.

        Interrupted while it waits (a second Ctrl-C), it stops the child before passing the
        interrupt on: nothing is drawn into the run folder once the command has ended.

        Raises:
            PlotError: a call failed or the child died (only with ``raise_errors``).
        """
        if self._closed:
            return
        self._closed = True
        error: str | None
        try:
            if self._torn:
                self._stop()
                error = "a call to the plotting process was interrupted"
            else:
                self._conn.send(None)
                error = self._conn.recv()
        except (BrokenPipeError, EOFError, OSError):
            self._process.join(timeout=5)
            error = f"the plotting process died (exit code {self._process.exitcode})"
        except BaseException:
            # a further Ctrl-C while the child is ended must neither leave it running nor
            # replace the first stop, whose message names the run's state
            with held_signals(raise_after=False):
                self._stop()
            raise
        finally:
            self._conn.close()
        self._process.join(timeout=5)
        if error is not None and raise_errors:
            raise PlotError(
                f"the figures were not all drawn: {error}; the other files of the run are saved"
            )

    def _stop(self) -> None:
        """End the child now: SIGTERM (it removes the file it was writing), then SIGKILL."""
        self._process.terminate()
        self._process.join(timeout=5)
        if self._process.exitcode is None:  # stuck in C code that never returns to Python
            self._process.kill()
            self._process.join(timeout=5)


_GONE = object()  # put in the child's inbox when the parent's end of the pipe is closed


def _serve(conn: Connection, parent_end: Connection, parent: int) -> None:
    """The child's loop: run the calls received until ``None``, then send back the first error.

    Each turn takes every call queued so far and runs them in order; the curves they updated are
    drawn once at the end of the turn (see :func:`~linearnets.plotting.remote_curves.curve_drawings`),
    so a child that falls behind skips the states nobody would have seen. The last drawings
    (:meth:`PlotProcess.call_beside`) wait for the closing turn, which draws them, and curves not
    drawn yet, side by side (:func:`~linearnets.plotting._side_by_side.run_side_by_side`). The
    fork gave the child the parent's end of the pipe too: it closes it first, so that the pipe
    reports end-of-file when the parent dies without closing it (``kill -9``, the OOM killer), and
    the child exits instead of drawing on, or waiting forever and holding the run's stdout open.
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
        return
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(
            1
        )  # never enter the thread pool inherited, half-alive, from the parent
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    reader = threading.Thread(
        target=_receive, args=(conn, inbox, threading.get_ident()), name="linearnets-plots-inbox"
    )
    reader.daemon = True  # blocked in recv() at exit: not waited for
    reader.start()
    failures = _Failures()
    beside: list[Job] = []  # the last drawings, drawn in the closing turn (see call_beside)
    while True:
        batch = [inbox.get()]
        with contextlib.suppress(queue.Empty):
            while True:
                batch.append(inbox.get_nowait())
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
        cores = 1 if reader.is_alive() else _cores()
        run_side_by_side(
            drawings + beside,
            failures,
            make=_Failures,
            cores=cores,
            close_in_fork=(conn.fileno(),),  # the parent sees end-of-file once this process is gone
        )
        # a parent stopped while it waited here (a signal) has closed its end: nothing to tell
        with contextlib.suppress(OSError):  # BrokenPipeError included
            conn.send(failures.error)
        return


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
# Python, and the process would draw on; each call checks this when it returns (see _Failures.run)
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


class _Failures:
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
                self.first = f"drawing {_drawing(fn)} failed with {type(exc).__name__}: {exc}"
        if _stopped_by is not None:
            raise SystemExit(128 + _stopped_by)

    def merge(self, first: str | None, count: int) -> None:
        """Add the failures another process counted: ``count`` of them, the first ``first``."""
        if count:
            self.count += count
            self.first = self.first if self.first is not None else first

    @property
    def error(self) -> str | None:
        """What :meth:`PlotProcess.close` reports: ``None`` when every call succeeded."""
        if self.first is None or self.count == 1:
            return self.first
        return f"{self.first} (and {self.count - 1} more)"


def _cores() -> int:
    """Return how many cores this process may run on (its affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def _drawing(fn: Any) -> str:
    """Return what a queued call draws, in the user's words (not a private function's name)."""
    name = getattr(fn, "__name__", str(fn))
    if name in ("_new_curves", "_update_curves", "_draw_curves", "_close_curves"):
        return "the curves"
    return {
        "plot_confusion_matrix": "the confusion matrix",
        "plot_predictions": "the predictions",
    }.get(name, name.strip("_").replace("_", " "))
