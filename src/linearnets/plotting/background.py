"""Drawing a run's figures in a second process, so that plotting never holds training up.

A headless run redraws its curves after every epoch and draws a confusion matrix and a prediction grid
at the end: over a second of matplotlib work (its import included), as long as several epochs of
training. :class:`PlotProcess` forks a child that does the drawing while the parent trains on the other
core: the parent sends each call down a pipe, in order, and waits only in :meth:`PlotProcess.close` for
the drawing still queued. The child reads the pipe all the time (a thread), so a parent that trains
faster than the child draws is never held up; curve updates that queued up while it drew are drawn
once, in their newest state; the child's side is :mod:`linearnets.plotting._plot_child`. The curves
themselves (:class:`RemoteCurves`, re-exported here) live in :mod:`linearnets.plotting.remote_curves`.
Where ``fork`` is unavailable (Windows; macOS, where forking is unsafe) or fails (a process limit
reached), :func:`start_plot_process` returns ``None`` and the caller draws in its own process.

The functions sent must be importable by name (module-level), and their arguments picklable.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import warnings
from collections.abc import Callable
from typing import Any

from linearnets._signals import held_signals
from linearnets.errors import PlotError
from linearnets.plotting._plot_child import serve
from linearnets.plotting.remote_curves import RemoteCurves

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
            target=serve,
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
            PlotError: a call failed or the child died (only with ``raise_errors``); its
                ``fix_first`` is true where the message names a fix to make before the figures
                can be drawn (a dependency that could not be loaded: a stray ``PIL.py``).
        """
        if self._closed:
            return
        self._closed = True
        error: str | None
        fix_first = False  # the error names a fix to make before the figures can be drawn
        try:
            if self._torn:
                self._stop()
                error = "a call to the plotting process was interrupted"
            else:
                self._conn.send(None)
                error, fix_first = self._conn.recv()
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
            failed = PlotError(
                f"the figures were not all drawn: {error}; the other files of the run are saved"
            )
            failed.fix_first = fix_first
            raise failed

    def _stop(self) -> None:
        """End the child now: SIGTERM (it removes the file it was writing), then SIGKILL."""
        self._process.terminate()
        self._process.join(timeout=5)
        if self._process.exitcode is None:  # stuck in C code that never returns to Python
            self._process.kill()
            self._process.join(timeout=5)
