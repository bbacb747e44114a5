"""The plotting process's last drawings, side by side in forked processes, one per core.

A run's last figures (the final curves, the confusion matrix, the prediction grid) are independent:
each writes its own file from data the child already holds. Drawn one after the other they kept the
command waiting about a second after its last epoch on two cores, one of them idle. In its closing
turn the child has no thread left (its reader stops after the closing message), so it can fork
safely: it keeps one group of drawings and hands each other group to a process of its own.

See :mod:`linearnets.plotting.background`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

__all__ = ["Job", "run_side_by_side"]

Job = tuple[Callable[..., Any], Iterable[Any], Mapping[str, Any]]


class Recorder(Protocol):
    """What keeps the failures: the child's ``_Failures``."""

    def run(
        self, fn: Callable[..., Any], args: Iterable[Any], kwargs: Mapping[str, Any]
    ) -> None: ...

    def merge(self, first: str | None, count: int) -> None: ...


def run_side_by_side(
    jobs: Sequence[Job], failures: Recorder, *, make: Callable[[], Recorder], cores: int
) -> None:
    """Run ``jobs`` in up to ``cores`` processes at once: this one and forked ones; record failures.

    Must be called with no other thread running (a fork copies only the calling thread, and a lock
    another thread held would stay locked in the copy). Each forked process runs its jobs with a
    recorder from ``make`` and sends back what failed; one that dies is counted as one failure of
    its first drawing. Where no process can be forked (a process limit, no memory), this one draws
    that group too. Interrupted (SIGTERM: ``SystemExit``), the forked processes are ended the
    same way, so none leaves a temporary file, before the interrupt is passed on.
    """
    groups = [list(jobs[i :: max(cores, 1)]) for i in range(min(len(jobs), max(cores, 1)))]
    if len(groups) < 2:
        for fn, args, kwargs in jobs:
            failures.run(fn, args, kwargs)
        return
    started: list[tuple[int, int, Job]] = []  # (pid, read end, the group's first job)
    here = list(groups[0])
    try:
        for group in groups[1:]:
            try:
                started.append((*_fork(group, make), group[0]))
            except OSError:  # no process to be had (EAGAIN, ENOMEM) or no pipe: drawn here
                here.extend(group)
        for fn, args, kwargs in here:
            failures.run(fn, args, kwargs)
        while started:
            result = _result(*started[0])
            started.pop(0)
            failures.merge(*result)
    finally:
        for pid, read_end, _ in started:  # interrupted: end the others, which clean up
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            with contextlib.suppress(OSError):  # already closed if it was being read
                os.close(read_end)


def _fork(group: list[Job], make: Callable[[], Recorder]) -> tuple[int, int]:
    """Fork a process that runs ``group`` and writes ``(first, count)`` of its failures to a pipe."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the forked process: never return into the child's loop
        code = 1
        try:
            os.close(read_end)
            recorder = make()
            for fn, args, kwargs in group:
                recorder.run(fn, args, kwargs)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump((getattr(recorder, "first", None), getattr(recorder, "count", 0)), out)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _result(pid: int, read_end: int, first: Job) -> tuple[str | None, int]:
    """Wait for the process ``pid`` and return ``(first failure, count)`` it reported."""
    with os.fdopen(read_end, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0 and data:
        first_error, count = pickle.loads(data)
        return first_error, int(count)
    from linearnets.plotting.background import _drawing

    return (
        f"drawing {_drawing(first[0])} failed: the process drawing it ended with exit code "
        f"{os.waitstatus_to_exitcode(status)}",
        1,
    )
