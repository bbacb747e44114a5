"""Temporary files locked while written, so that those a killed process left can be told apart.

Temporary files (the verification cache's, and a download's ``.part`` files) are locked
(``flock``) from the moment they are made until they are renamed or removed: one that nobody holds
locked was left by a killed process (the system drops the locks of a dead one), and the next run
removes it, at once, while files that live writers hold are kept (:func:`remove_stale_temps`).

Where Python has no ``fcntl`` (Windows, WASI) nothing is locked: every temporary file is taken as
a live writer's and kept (Windows refuses to delete a file open elsewhere anyway), and
:func:`try_lock` reports success.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows, WASI: no flock, asked of the module rather than of sys.platform
    HAVE_FLOCK = False
else:
    HAVE_FLOCK = True

__all__ = ["open_locked_temp", "remove_stale_temps", "temp_pattern", "try_lock"]


def temp_pattern(prefix: str, suffix: str) -> re.Pattern[str]:
    """Return the pattern of the names ``mkstemp(prefix=prefix, suffix=suffix)`` gives (8 of [a-z0-9_])."""
    return re.compile(rf"{re.escape(prefix)}[a-z0-9_]{{8}}{re.escape(suffix)}")


def try_lock(f: BinaryIO, *, wait: bool = False) -> bool:
    """Lock the open file ``f`` (``flock``, exclusive); return False if another holds it or the file
    system has no locks. ``wait``: wait for a holder to let go instead of returning False.

    Where there is no ``flock`` (no ``fcntl``: Windows) it locks nothing and returns True.
    """
    if not HAVE_FLOCK:
        return True  # on Windows a file open elsewhere cannot be deleted anyway
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        return False  # held by a live writer, or a file system without locks: keep it
    return True


def open_locked_temp(folder: Path, *, prefix: str, suffix: str) -> tuple[BinaryIO, Path]:
    """Create a temporary file in ``folder``, locked while it stays open; return it and its path.

    Between its creation and the lock another run's :func:`remove_stale_temps` may take it for a
    killed run's file and remove it (holding the lock, which this waits for): then another is made.

    Raises:
        OSError: the folder cannot take a new file.
    """
    while True:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
        f = os.fdopen(fd, "wb")
        if not try_lock(f, wait=True) or os.fstat(fd).st_nlink:
            return f, Path(name)  # still linked (or no locks here: nobody removes it either)
        f.close()


def remove_stale_temps(folder: Path, pattern: re.Pattern[str]) -> None:
    """Remove the regular files in ``folder`` whose names match ``pattern`` and that no live process
    holds locked (see the module doc); links, folders, FIFOs and failures are left alone."""
    try:
        names = [p for p in folder.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return  # a folder that cannot be listed: nothing to clean
    for path in names:
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to delete
            _remove_if_unlocked(path)


def _remove_if_unlocked(path: Path) -> None:
    """Remove ``path`` if it is a regular file nobody holds locked; hold the lock while removing it."""
    if not HAVE_FLOCK:
        return  # no flock: a live writer's file cannot be told from a dead one's
    # O_NOFOLLOW: a link's target is never locked; O_NONBLOCK: a FIFO never blocks the open. Asked
    # for by name: every system with flock has both, and without O_NOFOLLOW a link is still kept
    # (the inode checked below is the link's own, not its target's)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not try_lock(f):
            return
        now = path.lstat()  # the same file still (not renamed away and another made)?
        if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
            path.unlink()
