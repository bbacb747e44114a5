"""A verified file read back without its MD5, and the copy of a gzipped one kept (D2L §3.5.1).

The remembered side of :mod:`linearnets.data.verify`: a file verified before, unchanged since, is
read back from the file itself or its decompressed copy, checked by the CRC-32 recorded then (and
a ``.gz`` by its Adler-32); a copy is kept only whole. Where the cache is:
:mod:`linearnets.data.cache`.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from linearnets.data.cache import (
    cache_dir,
    commit_temp,
    open_regular,
    read_exact,
    remove_killed_runs_temps,
)

__all__ = ["index_and_copies", "keep_copy", "remembered", "remove_killed_runs_temps_in"]

SUM_CHUNK = 1 << 20  # read the .gz in pieces this big: one buffer, reused, stays in the CPU cache


def _file_sum(path: Path) -> int | None:
    """Return the Adler-32 of the bytes of the regular file ``path`` (``None``: it cannot be read).

    Not CRC-32: a gzip file ends with the CRC-32 of its content, so for stored (incompressible)
    blocks an edit together with its new trailer leaves the CRC-32 of the whole file unchanged.
    """
    f = open_regular(path)
    if f is None:
        return None
    total, buf = 1, bytearray(SUM_CHUNK)  # 1: Adler-32's starting value
    view = memoryview(buf)
    try:
        with f:
            while n := f.readinto(buf):
                total = zlib.adler32(view[:n], total)
    except OSError:
        return None
    return total


def remembered(path: Path, copy: Path, size: int, entry: dict[str, Any]) -> memoryview | None:
    """Return the verified content without the MD5: the plain file itself, or the checked copy.

    The content is CRC-32-checked against the value recorded when it was verified (~20 ms for the
    training images, against ~70 ms for the MD5), and a ``.gz`` itself is Adler-32-checked (in
    another thread meanwhile): a same-size file edited with its time put back (``touch -r``,
    ``cp -p`` or ``rsync -t`` of another file, bit rot) is verified again.
    """
    if not entry.get("gzip"):
        data = read_exact(path, size)
        return data if data is not None and zlib.crc32(data) == entry.get("crc32") else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linearnets-sum") as pool:
        own = pool.submit(_file_sum, path)
        data = read_exact(copy, size)
        intact = data is not None and zlib.crc32(data) == entry.get("crc32")
        if own.result() != entry.get("gz_adler32"):
            return None  # the .gz changed (or an entry from before its sum was kept): verify it
    return data if intact else None  # no copy, or a damaged one: verify the file again


def keep_copy(sink: BinaryIO, tmp: Path, copy: Path, *, size: int) -> None:
    """Move the verified copy written to ``sink`` at ``tmp`` to ``copy`` if it holds all ``size``
    bytes, else drop it; never an error.

    The copy is flushed and its size checked before the rename, so a write lost to a full disk never
    puts a partial copy in place.
    """
    try:
        sink.flush()
        whole = os.fstat(sink.fileno()).st_size == size
    except OSError:  # a full disk at the last flush only loses the copy
        whole = False
    if whole:
        # a cache that cannot take it (a folder in the way, a read-only cache) costs the next run
        # an inflate only
        commit_temp(sink, tmp, copy)
        return
    with contextlib.suppress(OSError):
        tmp.unlink()
    with contextlib.suppress(OSError):
        sink.close()


def index_and_copies(cache: Path | None) -> tuple[Path, Path]:
    """Return the index file and the folder of the copies in ``cache`` (default :func:`cache_dir`)."""
    cache = cache if cache is not None else cache_dir()
    return cache / "verified.json", cache / "fashion-mnist"


def remove_killed_runs_temps_in(cache: Path | None = None) -> None:
    """Remove the temporary files killed runs left in ``cache`` (default :func:`cache_dir`): once
    for several files read with ``read_verified(..., tidy=False)``."""
    remove_killed_runs_temps(*index_and_copies(cache))
