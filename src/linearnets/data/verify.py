"""Verifying the Fashion-MNIST files once: decompressed size and MD5, remembered between runs (D2L §3.5.1).

A verified file is remembered in ``<cache>/verified.json`` by resolved path, size and mtime, so later
runs skip the hash. For a gzipped file its decompressed bytes are kept too (``<cache>/fashion-mnist/``,
checked by CRC-32 when read back), so later runs skip inflating. A missing, corrupt or read-only cache
only costs a re-verification, never an error; so does an entry of the wrong kind (a folder or a FIFO
where a file belongs), replaced when it can be (an empty folder) and else left alone. The cache
folder is ``$LINEARNETS_CACHE_DIR``, else ``$XDG_CACHE_HOME/linearnets``, else
``~/.cache/linearnets``.

Inflating dominates a first load, so it runs in this thread while a second one hashes, copies and
writes each chunk (zlib and hashlib release the GIL).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from linearnets.data.files import HOW_TO_GET
from linearnets.data.idx import GZIP_MAGIC, inflate_chunks
from linearnets.errors import DatasetError

__all__ = ["cache_dir", "read_verified"]

CHUNK = 2 << 20  # inflate this much, then hand it to the hashing thread


def cache_dir() -> Path:
    """Return the folder for linearnets' cache: ``$LINEARNETS_CACHE_DIR``, else the XDG cache folder."""
    env = os.environ.get("LINEARNETS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "linearnets"


def _load_index(path: Path) -> dict[str, Any]:
    f = _open_regular(path)
    if f is None:
        return {}  # a missing index (or something else in its place) only costs a re-verification
    try:
        with f:
            index = json.loads(f.read())
    except (OSError, ValueError):
        return {}  # so does a corrupt one
    return index if isinstance(index, dict) else {}


def _save_index(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Add ``entry`` to the index at ``path``, written atomically; failures are ignored."""
    index = _load_index(path)  # re-read: another process may have added entries meanwhile
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
    _replace_entry(Path(tmp), path)


def _replace_entry(tmp: Path, entry: Path) -> None:
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


def _buffer(size: int) -> memoryview:
    """Return a new writable buffer of ``size`` bytes, not zeroed (its pages are touched when filled)."""
    return np.empty(size, dtype=np.uint8).data


def _open_regular(path: Path) -> io.FileIO | None:
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


def _read_exact(path: Path, size: int) -> memoryview | None:
    """Return the content of ``path`` in a new writable buffer if it is a file of exactly ``size`` bytes."""
    f = _open_regular(path)
    if f is None:
        return None
    try:
        with f:
            buf = _buffer(size)
            if f.readinto(buf) != size or f.read(1):
                return None
    except OSError:
        return None
    return buf


def _remembered(path: Path, copy: Path, size: int, entry: dict[str, Any]) -> memoryview | None:
    """Return the verified content without the MD5: the plain file itself, or the checked copy.

    Either is CRC-32-checked against the value recorded when it was verified (~20 ms for the
    training images, against ~70 ms for the MD5): a same-size file edited with its time put back
    (``touch -r``, ``cp -p`` or ``rsync -t`` of another file, bit rot) is verified again.
    """
    data = _read_exact(path if not entry.get("gzip") else copy, size)
    if data is None or zlib.crc32(data) != entry.get("crc32"):
        return None  # no copy, or a changed or damaged one: verify the file again
    return data


def _open_sink(copy: Path) -> tuple[BinaryIO, Path] | None:
    """Return a temporary file next to ``copy`` and its path, or ``None`` if the cache is not writable."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{copy.name}.", suffix=".tmp", dir=copy.parent)
    except OSError:
        return None
    return os.fdopen(fd, "wb"), Path(tmp)


class _Digest:
    """Hash, copy and write chunks of a file's content, in order (the worker thread's side)."""

    def __init__(self, size: int, sink: BinaryIO | None) -> None:
        self.buf = _buffer(size)
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.crc = 0
        self.sink = sink

    def consume(self, chunk: bytes, offset: int) -> None:
        self.md5.update(chunk)
        self.crc = zlib.crc32(chunk, self.crc)
        if offset + len(chunk) <= len(self.buf):
            self.buf[offset : offset + len(chunk)] = chunk
        if self.sink is not None:
            try:
                self.sink.write(chunk)
            except OSError:
                self.sink = None  # a full disk only loses the copy


def _inflate_hashed(
    raw: bytes, path: Path, name: str, size: int, sink: BinaryIO | None
) -> tuple[memoryview, str, int]:
    """Return the inflated content of ``raw`` with its MD5 and CRC-32, writing it to ``sink`` too."""
    digest = _Digest(size, sink)
    produced = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linearnets-md5") as pool:
        futures = []
        for chunk in inflate_chunks(raw, name=str(path), limit=size, chunk_size=CHUNK):
            futures.append(pool.submit(digest.consume, chunk, produced))
            produced += len(chunk)
    for future in futures:
        future.result()
    if produced != size:
        found = "more" if produced > size else str(produced)
        raise DatasetError(
            f"{path}: expected {size} bytes of {name} once decompressed, got {found}; "
            f"the file is truncated or another file — {HOW_TO_GET}"
        )
    return digest.buf, digest.md5.hexdigest(), digest.crc


def _verify(
    path: Path, name: str, size: int, md5: str, copy: Path
) -> tuple[memoryview, dict[str, Any]]:
    """Read ``path``, check its decompressed size and MD5, keep a copy if gzipped; return it and its entry."""
    with path.open("rb") as f:
        gz = f.read(2) == GZIP_MAGIC
    opened = _open_sink(copy) if gz else None
    try:
        if gz:
            data, found, crc = _inflate_hashed(
                path.read_bytes(), path, name, size, opened[0] if opened else None
            )
        else:
            file_size = path.stat().st_size
            plain = _read_exact(path, size) if file_size == size else None
            if plain is None:
                raise DatasetError(
                    f"{path}: expected {size} bytes of {name} once decompressed, got {file_size}; "
                    f"the file is truncated or another file — {HOW_TO_GET}"
                )
            found = hashlib.md5(plain, usedforsecurity=False).hexdigest()
            data, crc = plain, zlib.crc32(plain)
        if found != md5:
            raise DatasetError(
                f"{path}: expected MD5 {md5} for the decompressed {name}, got {found}; "
                f"the file is corrupt — {HOW_TO_GET}"
            )
        if opened is not None:
            try:
                opened[0].close()
            except OSError:  # a full disk at the last flush only loses the copy
                opened[1].unlink(missing_ok=True)
            else:
                # the copy appears only once its content is verified; a cache that cannot take
                # it (a folder in the way, a read-only cache) costs the next run an inflate only
                _replace_entry(opened[1], copy)
    except BaseException:
        if opened is not None:
            opened[0].close()
            opened[1].unlink(missing_ok=True)
        raise
    return data, {"md5": md5, "gzip": gz, "crc32": crc}


def read_verified(
    path: Path, name: str, *, expected: tuple[int, str], cache: Path | None = None
) -> tuple[memoryview, bool]:
    """Return the decompressed content of ``path`` after checking its size and MD5, and whether it hashed.

    Args:
        path: the file, gzipped or not.
        name: its canonical name (e.g. ``train-images-idx3-ubyte``), for messages and the cache copy.
        expected: the decompressed (size in bytes, MD5 hex digest).
        cache: the cache folder (default :func:`cache_dir`).

    Returns:
        A new writable buffer with the content, and ``True`` if it was hashed now (``False``: the file
        was verified before, unchanged since).

    Raises:
        DatasetError: the content is corrupt, truncated or not the expected file.

    See D2L §3.5.1.
    """
    size, md5 = expected
    cache = cache if cache is not None else cache_dir()
    index_path, copy = cache / "verified.json", cache / "fashion-mnist" / name
    stat = path.stat()
    key, identity = str(path.resolve()), {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    entry = _load_index(index_path).get(key)
    if (
        isinstance(entry, dict)
        and entry.get("md5") == md5
        and all(entry.get(k) == v for k, v in identity.items())
    ):
        data = _remembered(path, copy, size, entry)
        if data is not None:
            return data, False
    data, checked = _verify(path, name, size, md5, copy)
    _save_index(index_path, key, {**identity, **checked})
    return data, True
