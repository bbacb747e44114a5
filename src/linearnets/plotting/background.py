"""Drawing a run's figures in a second process, so that plotting never holds training up.

A headless run redraws its curves after every epoch and draws a confusion matrix and a prediction grid
at the end: over a second of matplotlib work (its import included), as long as several epochs of
training. :class:`PlotProcess` forks a child that does the drawing while the parent trains on the other
core: the parent sends each call down a pipe, in order, and waits only in :meth:`PlotProcess.close` for
the drawing still queued. Where ``fork`` is unavailable (Windows; macOS, where forking is unsafe),
:func:`start_plot_process` returns ``None`` and the caller draws in its own process.

The functions sent must be importable by name (module-level), and their arguments picklable.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
import warnings
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any

from linearnets.errors import PlotError
from linearnets.plotting.live import LiveCurves

__all__ = ["PlotError", "PlotProcess", "RemoteCurves", "start_plot_process"]


def start_plot_process() -> PlotProcess | None:
    """Return a started :class:`PlotProcess`, or ``None`` where this platform cannot fork safely."""
    if (
        not sys.platform.startswith("linux")
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return None
    return PlotProcess()


class PlotProcess:
    """A forked child that runs plotting calls in order while the parent goes on.

    Calls that fail are reported by :meth:`close` (the first one, and how many more); the others still
    run. The child ignores Ctrl-C (the parent handles it, then closes the child), ends quietly on
    SIGTERM, and exits when the parent does, even if the parent dies without closing it.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child_conn, self._conn), name="linearnets-plots", daemon=True
        )
        with warnings.catch_warnings():
            # Python >= 3.12 warns about forking a process that has threads (torch's); the child only
            # draws with matplotlib and never enters torch's thread pool
            warnings.simplefilter("ignore", DeprecationWarning)
            self._process.start()
        child_conn.close()
        self._closed = False

    def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Queue ``fn(*args, **kwargs)`` for the child; returns at once (the pipe holds ~64 KiB)."""
        if self._closed:
            raise PlotError("the plotting process is closed; start a new one")
        with contextlib.suppress(BrokenPipeError, EOFError, OSError):  # child gone: close() says so
            self._conn.send((fn, args, kwargs))

    def close(self, *, raise_errors: bool = True) -> None:
        """Wait for the queued drawing to finish and stop the child.

        Raises:
            PlotError: a call failed or the child died (only with ``raise_errors``).
        """
        if self._closed:
            return
        self._closed = True
        error: str | None
        try:
            self._conn.send(None)
            error = self._conn.recv()
        except (BrokenPipeError, EOFError, OSError):
            self._process.join(timeout=5)
            error = f"the plotting process died (exit code {self._process.exitcode})"
        finally:
            self._conn.close()
        self._process.join(timeout=5)
        if error is not None and raise_errors:
            raise PlotError(
                f"the figures were not all drawn: {error}; the other files of the run are saved"
            )


def _serve(conn: Connection, parent_end: Connection) -> None:
    """The child's loop: run each call received until ``None``, then send back the first error.

    The fork gave the child the parent's end of the pipe too: it closes it first, so that the pipe
    reports end-of-file when the parent dies without closing it (``kill -9``, the OOM killer), and
    the child exits instead of waiting forever, holding the run's stdout open.
    """
    parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the fork copied the parent's SIGTERM handler, which raises KeyboardInterrupt: here it would
    # print a traceback on a SIGTERM to the process group (systemd, scancel) or when multiprocessing
    # stops this daemon at the parent's exit. Not ignored either: that exit would then wait forever
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(
            1
        )  # never enter the thread pool inherited, half-alive, from the parent
    error: str | None = None
    failed = 0
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if message is None:
            # a parent stopped while it waited here (a signal) has closed its end: nothing to tell
            with contextlib.suppress(OSError):  # BrokenPipeError included
                conn.send(error)
            return
        fn, args, kwargs = message
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # reported to the parent, which decides; the other figures go on
            failed += 1
            if error is None:
                error = f"drawing {_drawing(fn)} failed with {type(exc).__name__}: {exc}"
            else:
                error = error.split(" (and ")[0] + f" (and {failed - 1} more)"


def _drawing(fn: Any) -> str:
    """Return what a queued call draws, in the user's words (not a private function's name)."""
    name = getattr(fn, "__name__", str(fn))
    if name in ("_new_curves", "_update_curves", "_close_curves"):
        return "the curves"
    return {
        "plot_confusion_matrix": "the confusion matrix",
        "plot_predictions": "the predictions",
    }.get(name, name.strip("_").replace("_", " "))


_CURVES: dict[int, LiveCurves] = {}  # the child's live figures, by the id RemoteCurves gave them


def _new_curves(key: int, kwargs: dict[str, Any]) -> None:
    _CURVES[key] = LiveCurves(**kwargs)


def _update_curves(key: int, epoch: int, values: dict[str, float]) -> None:
    _CURVES[key].update(epoch, values)


def _close_curves(key: int) -> None:
    _CURVES.pop(key).close()


class RemoteCurves:
    """:class:`LiveCurves` in "file" mode, drawn by a :class:`PlotProcess`: the same ``update``/``close``.

    The figure is built in the child, so a bad argument is reported by :meth:`PlotProcess.close`.

    Args:
        process: the plotting process.
        **kwargs: what :class:`LiveCurves` takes; ``mode`` is "file" and ``out_dir`` is required.
    """

    _next_key = 0

    def __init__(self, process: PlotProcess, **kwargs: Any) -> None:
        kwargs = {**kwargs, "mode": "file"}
        if kwargs.get("out_dir") is None:
            raise PlotError("RemoteCurves needs out_dir, the folder its files are written to")
        self.metrics = tuple(kwargs.get("metrics", ("train loss", "train acc", "test acc")))
        self._process = process
        RemoteCurves._next_key += 1
        self._key = RemoteCurves._next_key
        process.call(_new_curves, self._key, kwargs)

    def update(self, epoch: int, values: Mapping[str, float]) -> None:
        """Queue a redraw with each metric's value at ``epoch`` (see :meth:`LiveCurves.update`)."""
        plain = {str(k): float(v) for k, v in values.items()}  # no tensors down the pipe
        self._process.call(_update_curves, self._key, int(epoch), plain)

    def close(self) -> None:
        """Queue the final files (``final_formats``) and release the figure."""
        self._process.call(_close_curves, self._key)
