"""One process's exclusive hold on a run folder while it writes it: an advisory ``flock`` on ``.lock``.

A second run or resume in the same folder is refused instead of mixing its files with the first's;
the operating system lets go of the lock when the process ends in any way, and a forked child (the
plotting process) lets go of its parent's locks at once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path
from typing import Any

from linearnets._shell import shell_word
from linearnets._text import shown_path
from linearnets.errors import UsageError
from linearnets.path_checks import link_problem

__all__ = ["LOCK_FILE", "RunLock", "being_written", "lock_holder"]

LOCK_FILE = ".lock"  # held (flock) by the one process writing the folder

_HELD: set[int] = set()  # the lock files this process holds open


def _close_held_in_child() -> None:
    """In a forked child (the plotting process), let go of the parent's locks.

    A flock belongs to the open file, which a fork shares: a child still drawing would otherwise
    hold the folder after its parent died.
    """
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


def _unopenable(path: Path, exc: OSError) -> str:
    """Say why the lock file ``path`` cannot be opened: the file itself, or its folder."""
    problem = link_problem(path)
    if problem:  # O_CREAT fails through a link to nowhere too
        return (
            f"{shown_path(path)} cannot be opened: {problem}; repair or remove the link and run "
            "again"
        )
    if isinstance(exc, IsADirectoryError):
        return (
            f"{shown_path(path)} is a folder, where the run's lock file belongs; move it out of "
            "the run folder and run again"
        )
    try:
        # e.g. a run copied from a read-only share: the folder can be written, its files not
        read_only = path.is_file() and os.access(path.parent, os.W_OK | os.X_OK)
    except OSError:  # a folder that cannot be searched: the folder's fault, said below
        read_only = False
    if isinstance(exc, PermissionError) and read_only:
        return (
            f"{shown_path(path)} is read-only, though its folder is writable; make it writable "
            f"(chmod u+w {shell_word(path)}) and run again"
        )
    return (
        f"{shown_path(path.parent)} cannot be written ({exc.strerror or type(exc).__name__}); pass "
        "a folder you can write to"
    )


def _holder(fd: int) -> str:
    """Return the process id the holder of the lock file open as ``fd`` wrote in it."""
    return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"


def lock_holder(run_dir: Path) -> str | None:
    """Return the process id of the live process holding ``run_dir``'s lock, or None if none does.

    Asked as :meth:`RunLock.acquire` asks, but with a shared lock let go at once, so nothing is
    created or written: a lock file left by a run that ended (in any way) is held by no one. Where
    ``fcntl`` does not exist (Windows) nothing is ever locked: None.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    try:
        # O_NONBLOCK: a FIFO named like the lock must not hang the caller until a writer comes
        fd = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:  # no lock file, or none that can be read: no run is known to hold the folder
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return _holder(fd) if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN) else None
    finally:
        os.close(fd)  # also lets go of the shared lock just taken
    return None


def being_written(run_dir: Path, holder: str, *, resuming: bool = False) -> str:
    """Return the refusal of ``run_dir``, which the process ``holder`` (its id, or ``unknown``)
    holds: a new run goes to another folder; a resume (``resuming``) can only wait for it, or
    stop it, first."""
    if not resuming:
        wait = "wait for it to end, or pass another folder"
    else:  # SIGTERM stops a run as Ctrl-C does, keeping its last epoch's checkpoint
        stop = f" (kill {holder} stops it, keeping its checkpoint)" if holder.isdigit() else ""
        wait = f"wait for it to end{stop}, then resume again if epochs are left"
    return (
        f"{shown_path(run_dir)} is being written by another linearnets run (process {holder}); "
        f"{wait}"
    )


# a lock_holder's look takes a shared lock for microseconds: an exclusive one refused at that
# instant is asked again, this long apart, before the folder is said to be another run's
_RETRIES = (0.001, 0.005, 0.02)


def _exclusive(fcntl: Any, fd: int) -> None:
    """Take ``fd``'s exclusive lock without waiting on a run that holds it, but through another
    process's look at it (:func:`lock_holder`, which a new run and predict make): without the
    retries, a run claiming its folder as another command checked it was refused, naming
    itself as the holder (the pid in the lock file is the last writer's)."""
    for pause in (*_RETRIES, None):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if pause is None or exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            time.sleep(pause)


class RunLock:
    """One process's exclusive hold on a run folder while it writes it (``with`` or :meth:`release`).

    An advisory ``flock`` on ``.lock`` in the folder: a second run or resume in the same folder is
    refused instead of mixing its files with the first's, and the operating system lets go of the
    lock when the process ends in any way (even ``kill -9``), so a dead run never blocks the folder.
    Where ``fcntl`` does not exist (Windows) nothing is locked.
    """

    def __init__(self, run_dir: Path, *, resuming: bool = False) -> None:
        """``resuming``: the folder is taken to continue its run (a refusal's fix is to wait for
        the holder, or stop it, and resume then), not for a new run (to pass another folder)."""
        self.run_dir = Path(run_dir)
        self.resuming = resuming
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock, or raise UsageError naming the process that holds it."""
        try:
            import fcntl
        except ImportError:  # Windows
            return self
        path = self.run_dir / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(_unopenable(path, exc)) from None
        try:
            _exclusive(fcntl, fd)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(fd)  # a file system without locks (ENOLCK, EOPNOTSUPP): run unlocked
                return self
            holder = _holder(fd)
            os.close(fd)
            raise UsageError(being_written(self.run_dir, holder, resuming=self.resuming)) from None
        with contextlib.suppress(OSError):  # the holder's pid is for the message only
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def release(self, *, remove: bool = False) -> None:
        """Let go of the lock; ``remove`` also deletes the lock file (before removing the folder)."""
        if self._fd is None:
            return
        if remove:
            (self.run_dir / LOCK_FILE).unlink(missing_ok=True)
        fd, self._fd = self._fd, None  # first: a signal between the two must not close it twice
        _HELD.discard(fd)
        os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
