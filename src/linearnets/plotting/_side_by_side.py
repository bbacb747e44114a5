"""The plotting process's last drawings, side by side in forked processes, one per core.

A run's last figures (the curves' final files, the confusion matrix, the prediction grid) are
independent: each writes its own file from data the child already holds. Drawn one after the other
they kept the command waiting after its last epoch with a core idle. In its closing turn the child
has no thread left (its reader stops after the closing message), so it can fork safely: it keeps one
group of drawings and hands each other group to a process of its own, which dies with it.

See :mod:`linearnets.plotting.background`.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

__all__ = ["Job", "run_side_by_side"]

Job = tuple[Callable[..., Any], Iterable[Any], Mapping[str, Any]]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_REAP_SECONDS = 3.0  # how long an interrupted drawing gets to remove its temporary file


class Recorder(Protocol):
    """What runs one job and keeps its failures (the child's ``Failures``, one per job)."""

    first: str | None
    count: int

    def run(
        self, fn: Callable[..., Any], args: Iterable[Any], kwargs: Mapping[str, Any]
    ) -> None: ...


class Merger(Protocol):
    """What gathers every job's failures (the child's own ``Failures``)."""

    def merge(self, first: str | None, count: int) -> None: ...


def run_side_by_side(
    jobs: Sequence[Job],
    failures: Merger,
    *,
    make: Callable[[], Recorder],
    cores: int,
    close_in_fork: Sequence[int] = (),
) -> None:
    """Run ``jobs`` in up to ``cores`` processes at once: this one and forked ones; record failures.

    Must be called with no other thread running (a fork copies only the calling thread, and a lock
    another thread held would stay locked in the copy). Job ``i`` goes to process ``i % cores``;
    each job's failures are recorded with a recorder from ``make`` and merged into ``failures`` in
    the jobs' order, so the first failure named is the first job's that failed, as when one process
    draws them all. A forked process that dies is named by the job it was drawing; the jobs it had
    not started are drawn here. Where no process can be forked (a process limit, no memory), this
    one draws that group too.

    A forked process closes ``close_in_fork`` (the plotting process's end of the pipe to the parent,
    which must see end-of-file as soon as the plotting process is gone) and is ended by the kernel
    when this process dies, even by SIGKILL. Interrupted (SIGTERM: ``SystemExit``), this process
    ends the forked ones with SIGTERM, which lets them remove a temporary file, then SIGKILL after
    a few seconds, before passing the interrupt on.
    """
    cores = max(min(cores, len(jobs)), 1)
    groups = [list(range(g, len(jobs), cores)) for g in range(cores)]
    results: dict[int, tuple[str | None, int]] = {}
    here = groups[0]
    started: list[tuple[int, int, list[int]]] = []  # (pid, read end, the group's jobs)
    if len(groups) > 1:
        from linearnets.plotting._findfont_once import look_up_text_font

        look_up_text_font()  # a missing font told here once, not by each process
    try:
        for group in groups[1:]:
            try:
                started.append((*_fork(jobs, group, make, close_in_fork), group))
            except OSError:  # no process to be had (EAGAIN, ENOMEM) or no pipe: drawn here
                here = here + group
        for i in sorted(here):
            results[i] = _run(jobs[i], make)
        while started:
            pid, read_end, group = started.pop(0)
            undrawn = _collect(pid, read_end, group, jobs, results)
            for i in undrawn:  # after the death of the process drawing them
                results[i] = _run(jobs[i], make)
    finally:
        for pid, read_end, _ in started:  # interrupted: end the others, which clean up
            with contextlib.suppress(OSError):
                os.close(read_end)
            _end(pid)
    for i in sorted(results):
        failures.merge(*results[i])


def _run(job: Job, make: Callable[[], Recorder]) -> tuple[str | None, int]:
    """Run one job with a fresh recorder; return its ``(first failure, count)``."""
    recorder = make()
    recorder.run(*job)
    return recorder.first, recorder.count


def _fork(
    jobs: Sequence[Job], group: list[int], make: Callable[[], Recorder], close: Sequence[int]
) -> tuple[int, int]:
    """Fork a process that draws the jobs ``group`` and writes its progress to a pipe.

    SIGTERM is held back from the ``pipe`` to the caller's record of the process: a SIGTERM in that
    window would leave a process nobody ends (here) or send the forked one back into the caller's
    code (there).
    """
    parent = os.getpid()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # the forked process: never returns into the caller's code
            _draw_group(jobs, group, make, parent, old_mask, (read_end, *close), write_end)
        os.close(write_end)
        return pid, read_end
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _draw_group(
    jobs: Sequence[Job],
    group: list[int],
    make: Callable[[], Recorder],
    parent: int,
    mask: Iterable[int | signal.Signals],
    close: Iterable[int],
    write_end: int,
) -> None:
    """The forked process: draw ``group``, writing ``("start", i)`` and ``("done", i, first,
    count)`` for each job to ``write_end``; exit without returning."""
    code = 1
    try:
        _die_with_parent()
        if os.getppid() != parent:  # the parent died before the line above took effect
            return
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a SIGTERM held back arrives now
        for fd in close:
            with contextlib.suppress(OSError):
                os.close(fd)
        with os.fdopen(write_end, "wb", buffering=0) as out:
            for i in group:
                out.write(pickle.dumps(("start", i)))
                first, count = _run(jobs[i], make)
                out.write(pickle.dumps(("done", i, first, count)))
        code = 0
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (``PR_SET_PDEATHSIG``)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _collect(
    pid: int,
    read_end: int,
    group: list[int],
    jobs: Sequence[Job],
    results: dict[int, tuple[str | None, int]],
) -> list[int]:
    """Wait for the process ``pid`` and put its jobs' results in ``results``; return the jobs it
    never started (it died first), for the caller to draw."""
    from linearnets.plotting._plot_child import drawing_name

    with os.fdopen(read_end, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    records = []
    stream = pickle.Unpickler(io.BytesIO(data))
    with contextlib.suppress(EOFError, pickle.UnpicklingError, ValueError):
        while True:  # the records written before an end, whole ones only
            records.append(stream.load())
    begun = None
    for record in records:
        if record[0] == "start":
            begun = record[1]
        else:
            results[record[1]] = (record[2], record[3])
            begun = None
    if begun is not None:
        code = os.waitstatus_to_exitcode(status)
        results[begun] = (
            f"drawing {drawing_name(jobs[begun][0])} failed: the process drawing it ended with "
            f"exit code {code}",
            1,
        )
    return [i for i in group if i not in results]


def _end(pid: int) -> None:
    """End the forked process ``pid``: SIGTERM, then SIGKILL if it is still there after a while."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _REAP_SECONDS
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.01)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
