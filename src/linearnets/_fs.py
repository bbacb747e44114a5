"""File-system helpers shared by every module that writes files atomically."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["fsync_dir", "new_file_mode"]

PROC_STATUS = Path("/proc/self/status")  # Linux: the umask, read without changing it


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform can open a folder; the file itself was synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def new_file_mode() -> int:
    """Return the mode ``open()`` gives a new file here: ``0o666`` less the umask."""
    with contextlib.suppress(OSError, ValueError):
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
