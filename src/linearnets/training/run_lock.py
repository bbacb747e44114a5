"""One process's exclusive hold on a run folder while it writes it: an advisory ``flock`` on ``.lock``.

A second run or resume in the same folder is refused instead of mixing its files with the first's;
the operating system lets go of the lock when the process ends in any way, and a forked child (the
plotting process) lets go of its parent's locks at once.

The lock file is the run's own: a symbolic link (or a hard link, a FIFO) found at ``.lock`` is
replaced by a file of its own, as the run's other files replace what stands at their names
(they are written beside and renamed into place), and is never written through: the process id
written in it once overwrote the file a link pointed to.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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


def _unopenable(
    path: Path, exc: OSError, *, named: str | None = None, resuming: bool = False
) -> str:
    """Say why the lock file ``path`` cannot be opened: the file itself, or its folder, named as
    ``named`` (the caller's setting, ``out='runs/a'``; by default its path). A folder that cannot
    be written is, for a new run, a reason to pass another; a resume (``resuming``) cannot, and is
    told to copy the run folder where it can write and resume the copy."""
    problem = link_problem(path)
    if problem:  # a link on the way to it (the run folder, a parent) that points nowhere
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
    folder = named or shown_path(path.parent)
    reason = exc.strerror or type(exc).__name__
    fix = "pass a folder you can write to"
    if resuming:  # the run's own folder: another cannot be passed, a copy of it can be resumed
        fix = (
            f"copy the run folder where you can write (cp -r {shell_word(path.parent)} COPY) "
            "and resume the copy"
        )
    if exc.errno == errno.ENOENT and path.parent.is_dir():
        # /proc (to root too, whom no mode refuses): "cannot be written (No such file or
        # directory)" said a folder that exists was missing
        return (
            f"{folder} cannot be written: no file can be made in it (making its {path.name} "
            f"gave {reason!r}); {fix}"
        )
    return f"{folder} cannot be written ({reason}); {fix}"


# O_NOFOLLOW: a link at .lock fails to open (ELOOP) instead of opening, locking and overwriting
# its target (a file of the user's). Asked for by name: every system with flock has it
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_lock(path: Path) -> int | None:
    """Open (creating) the lock file ``path`` for reading and writing, never through a link.

    Returns None, having removed the name (only the name: what a link points to is never opened,
    written or made), where ``path`` is a symbolic link, even one to nowhere, or neither a
    regular file nor a folder (a FIFO): the run's lock file is made in its place next.

    Raises:
        OSError: ``path`` cannot be opened or made (a folder there, a folder not writable).
    """
    # O_NONBLOCK: a FIFO found there is not waited on (a regular file ignores it)
    flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError:
        if not path.is_symlink():
            raise  # a folder, a folder not writable: said by _unopenable
    else:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
        os.close(fd)
    with contextlib.suppress(FileNotFoundError):  # removed meanwhile by another run
        os.unlink(path)
    return None


def _still_named(fd: int, path: Path) -> bool:
    """Say whether ``path`` still names the file open as ``fd``, whose lock was just taken: a
    lock on a file whose name another process removed meanwhile (a refused run's lock file, a
    link it replaced) holds the folder for no one."""
    try:
        now = os.lstat(path)
    except OSError:
        return False
    info = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


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
        # O_NONBLOCK: a FIFO named like the lock must not hang the caller until a writer comes;
        # O_NOFOLLOW: a link there is no run's lock (a run replaces it), nor is its target
        flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(Path(run_dir) / LOCK_FILE, flags)
    except OSError:  # no lock file, a link, none that can be read: no run is known to hold it
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

# a lock file found removed or replaced under its new lock is opened again, this many times in all
_TRIES = 5


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

    def __init__(self, run_dir: Path, *, resuming: bool = False, named: str | None = None) -> None:
        """``resuming``: the folder is taken to continue its run (a refusal's fix is to wait for
        the holder, or stop it, and resume then), not for a new run (to pass another folder).
        ``named``: how a folder that cannot be written is named, as the caller was given it
        (``out='runs/a'``, ``linearnets.resume_softmax('runs/a'): the run folder``, which the
        command line says as ``--out runs/a`` and ``--resume runs/a: the run folder``)."""
        self.run_dir = Path(run_dir)
        self.resuming = resuming
        self.named = named
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock, or raise UsageError naming the process that holds it."""
        try:
            import fcntl
        except ImportError:  # Windows
            return self
        path = self.run_dir / LOCK_FILE
        fd = self._locked(fcntl, path)
        if fd is None:  # a file system without locks (ENOLCK, EOPNOTSUPP): run unlocked
            return self
        with contextlib.suppress(OSError):  # the holder's pid is for the message only
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def _locked(self, fcntl: Any, path: Path) -> int | None:
        """Open the lock file ``path``, a file of its own, and take its lock; return its
        descriptor, or None where the file system has no locks.

        Raises:
            UsageError: it cannot be opened, another process holds it, or it is replaced as often
                as it is locked.
        """
        for _ in range(_TRIES):
            try:
                fd = _open_lock(path)
            except OSError as exc:
                raise UsageError(
                    _unopenable(path, exc, named=self.named, resuming=self.resuming)
                ) from None
            if fd is None:
                continue  # a link (or a FIFO) removed: the lock file is made in its place
            try:
                _exclusive(fcntl, fd)
            except OSError as exc:
                holder = _holder(fd) if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN) else None
                os.close(fd)
                if holder is None:
                    return None
                refusal = being_written(self.run_dir, holder, resuming=self.resuming)
                raise UsageError(refusal) from None
            if not _still_named(fd, path):
                os.close(fd)  # removed or replaced meanwhile: lock the file named now
                continue
            if os.fstat(fd).st_nlink == 1:
                return fd
            # a hard link (a backup made with cp -al): its other name keeps its bytes; removed
            # while locked, so that no other run takes the file it names meanwhile
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise UsageError(
                    _unopenable(path, exc, named=self.named, resuming=self.resuming)
                ) from None
            finally:
                os.close(fd)
        raise UsageError(
            f"{shown_path(path)} was replaced each time it was locked: another program is "
            "changing the run folder; stop it and run again"
        )

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
