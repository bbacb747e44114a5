"""The cache of verified files: where it is, its index, and its entries read and written safely.

The cache folder is ``$LINEARNETS_CACHE_DIR``, else ``$XDG_CACHE_HOME/linearnets``, else
``~/.cache/linearnets``; it holds the index ``verified.json`` and the decompressed copies that
:mod:`linearnets.data.verify` keeps. A missing, corrupt or read-only cache only costs a
re-verification, never an error; so does an entry of the wrong kind (a folder or a FIFO where a file
belongs), replaced when it can be (an empty folder) and else left alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = [
    "cache_dir",
    "load_index",
    "new_buffer",
    "open_regular",
    "open_sink",
    "read_exact",
    "replace_entry",
    "save_index",
]


def cache_dir() -> Path:
    """Return the folder for linearnets' cache: ``$LINEARNETS_CACHE_DIR``, else the XDG cache folder."""
    env = os.environ.get("LINEARNETS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "linearnets"


def load_index(path: Path) -> dict[str, Any]:
    """Return the index at ``path``, or an empty one if it is missing, corrupt or not a file."""
    f = open_regular(path)
    if f is None:
        return {}  # a missing index (or something else in its place) only costs a re-verification
    try:
        with f:
            index = json.loads(f.read())
    except (OSError, ValueError):
        return {}  # so does a corrupt one
    return index if isinstance(index, dict) else {}


def save_index(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Add ``entry`` to the index at ``path``, written atomically; failures are ignored."""
    index = load_index(path)  # re-read: another process may have added entries meanwhile
    index[key] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".verified.", suffix=".tmp", dir=path.parent)
    except OSError:
        return  # a read-only cache is not an error: the next run verifies again
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(index, f, indent=1, sort_keys=True)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return
    replace_entry(Path(tmp), path)


def replace_entry(tmp: Path, entry: Path) -> None:
    """Move ``tmp`` to the cache entry ``entry``; if that fails, drop ``tmp`` (never an error).

    Whatever stands at ``entry`` is replaced when it can be: a file by the rename itself, an empty
    folder (e.g. made by mistake) by removing it first. Anything else keeps its place, and the cache
    simply goes without this entry.
    """
    for attempt in range(2):
        try:
            os.replace(tmp, entry)
            return
        except OSError:
            if attempt or not entry.is_dir() or entry.is_symlink():
                break
            try:
                entry.rmdir()  # only an empty folder; one with content is not ours to delete
            except OSError:
                break
    with contextlib.suppress(OSError):
        tmp.unlink()


def new_buffer(size: int) -> memoryview:
    """Return a new writable buffer of ``size`` bytes, not zeroed (its pages are touched when filled)."""
    return np.empty(size, dtype=np.uint8).data


def open_regular(path: Path) -> io.FileIO | None:
    """Open ``path`` unbuffered for reading if it is a regular file, else return ``None``.

    Opened without blocking, then checked, so a FIFO left where a cache entry should be cannot hang
    a run; a missing, unreadable or other kind of entry is ``None`` too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return io.FileIO(fd, "rb")
    except OSError:
        pass
    os.close(fd)
    return None


def read_exact(path: Path, size: int) -> memoryview | None:
    """Return the content of ``path`` in a new writable buffer if it is a file of exactly ``size`` bytes."""
    f = open_regular(path)
    if f is None:
        return None
    try:
        with f:
            buf = new_buffer(size)
            if f.readinto(buf) != size or f.read(1):
                return None
    except OSError:
        return None
    return buf


def open_sink(copy: Path) -> tuple[BinaryIO, Path] | None:
    """Return a temporary file next to ``copy`` and its path, or ``None`` if the cache is not writable."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{copy.name}.", suffix=".tmp", dir=copy.parent)
    except OSError:
        return None
    return os.fdopen(fd, "wb"), Path(tmp)
