"""Verifying the Fashion-MNIST files once: decompressed size and MD5, remembered between runs (D2L §3.5.1).

A verified file is remembered in ``<cache>/verified.json`` by resolved path, size and mtime, so later
runs skip the hash. For a gzipped file its decompressed bytes are kept too (``<cache>/fashion-mnist/``,
checked by CRC-32 when read back), so later runs skip inflating. Where the cache is, and why a broken
one never fails a run: :mod:`linearnets.data.cache`.

Inflating dominates a first load, so it runs in this thread while a second one hashes, copies and
writes each chunk (zlib and hashlib release the GIL).
"""

from __future__ import annotations

import hashlib
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from linearnets.data.cache import (
    cache_dir,
    load_index,
    new_buffer,
    open_sink,
    read_exact,
    replace_entry,
    save_index,
)
from linearnets.data.files import HOW_TO_GET
from linearnets.data.idx import GZIP_MAGIC, inflate_chunks
from linearnets.errors import DatasetError

__all__ = ["cache_dir", "read_verified"]

CHUNK = 2 << 20  # inflate this much, then hand it to the hashing thread


def _remembered(path: Path, copy: Path, size: int, entry: dict[str, Any]) -> memoryview | None:
    """Return the verified content without the MD5: the plain file itself, or the checked copy.

    Either is CRC-32-checked against the value recorded when it was verified (~20 ms for the
    training images, against ~70 ms for the MD5): a same-size file edited with its time put back
    (``touch -r``, ``cp -p`` or ``rsync -t`` of another file, bit rot) is verified again.
    """
    data = read_exact(path if not entry.get("gzip") else copy, size)
    if data is None or zlib.crc32(data) != entry.get("crc32"):
        return None  # no copy, or a changed or damaged one: verify the file again
    return data


class _Digest:
    """Hash, copy and write chunks of a file's content, in order (the worker thread's side)."""

    def __init__(self, size: int, sink: BinaryIO | None) -> None:
        self.buf = new_buffer(size)
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
    opened = open_sink(copy) if gz else None
    try:
        if gz:
            data, found, crc = _inflate_hashed(
                path.read_bytes(), path, name, size, opened[0] if opened else None
            )
        else:
            data, found, crc = _hash_plain(path, name, size)
        if found != md5:
            raise DatasetError(
                f"{path}: expected MD5 {md5} for the decompressed {name}, got {found}; "
                f"the file is corrupt — {HOW_TO_GET}"
            )
        if opened is not None:
            _keep_copy(*opened, copy)
    except BaseException:
        if opened is not None:
            opened[0].close()
            opened[1].unlink(missing_ok=True)
        raise
    return data, {"md5": md5, "gzip": gz, "crc32": crc}


def _hash_plain(path: Path, name: str, size: int) -> tuple[memoryview, str, int]:
    """Return the content of the plain (not gzipped) file ``path`` with its MD5 and CRC-32."""
    file_size = path.stat().st_size
    plain = read_exact(path, size) if file_size == size else None
    if plain is None:
        raise DatasetError(
            f"{path}: expected {size} bytes of {name} once decompressed, got {file_size}; "
            f"the file is truncated or another file — {HOW_TO_GET}"
        )
    return plain, hashlib.md5(plain, usedforsecurity=False).hexdigest(), zlib.crc32(plain)


def _keep_copy(sink: BinaryIO, tmp: Path, copy: Path) -> None:
    """Close the verified copy written to ``sink`` at ``tmp`` and move it to ``copy``; never an error."""
    try:
        sink.close()
    except OSError:  # a full disk at the last flush only loses the copy
        tmp.unlink(missing_ok=True)
    else:
        # the copy appears only once its content is verified; a cache that cannot take it (a
        # folder in the way, a read-only cache) costs the next run an inflate only
        replace_entry(tmp, copy)


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
    entry = load_index(index_path).get(key)
    if (
        isinstance(entry, dict)
        and entry.get("md5") == md5
        and all(entry.get(k) == v for k, v in identity.items())
    ):
        data = _remembered(path, copy, size, entry)
        if data is not None:
            return data, False
    data, checked = _verify(path, name, size, md5, copy)
    save_index(index_path, key, {**identity, **checked})
    return data, True
