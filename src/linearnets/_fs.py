"""File-system helpers shared by every module that writes files atomically."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from pathlib import Path

from linearnets._shell import shell_word

__all__ = [
    "DISK_FULL",
    "fsync_dir",
    "missing_folders",
    "new_file_mode",
    "read_refusal",
    "remove_empty_folders",
    "sha256_file",
]

PROC_STATUS = Path("/proc/self/status")  # Linux: the umask, read without changing it
# the errnos of a write with no room left: the disk full, or this user's quota of it used up
# (free space is the fix either way)
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


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
    """Return the mode ``open()`` gives a new file here: ``0o666`` less the umask.

    Linux says the umask in ``/proc/self/status``. Elsewhere (macOS, Windows) the only way to read
    it is to set it and put it back; a file another thread creates in between gets the value set
    for that moment, ``0o077``: private, never more open than the user's umask would have made it.
    """
    with contextlib.suppress(OSError, ValueError):
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return 0o666 & ~mask


def missing_folders(folder: Path) -> list[Path]:
    """Return ``folder`` and those of its parents that do not exist yet, the innermost first.

    What a ``mkdir(parents=True)`` of ``folder`` would create: a command that then fails removes them
    with :func:`remove_empty_folders`, leaving the file system as it found it.
    """
    missing = []
    for part in (folder, *folder.parents):
        if os.path.lexists(part) or part.name in ("", ".", ".."):
            break
        missing.append(part)
    return missing


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove ``folders`` (innermost first) while they are empty; keep one that is not, and its
    parents (another process's files stay)."""
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue  # never made (a mkdir failed part-way): its parents may still be empty
        except OSError:
            return  # not empty: its parents are not empty either


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of the file at ``path`` as hex (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_refusal(path: Path) -> str | None:
    """Say why the file ``path`` cannot be read, with the fix, where the system refuses it (its
    permissions, a disk error): no damage to its bytes, so nothing is lost and a reader must not
    advise deleting it. ``None`` where every byte reads (its contents are its reader's to judge).
    """
    try:
        with open(path, "rb") as file:
            while file.read(1 << 20):
                pass
    except PermissionError as exc:
        return f"cannot be read ({exc.strerror}): make it readable (chmod u+r {shell_word(path)})"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return (
            f"cannot be read ({reason}: an error of the system, not damage to the file): check "
            "the disk or file system it is on"
        )
    return None
