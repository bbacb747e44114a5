"""Verifying the Fashion-MNIST files once: decompressed size and MD5, remembered between runs (D2L §3.5.1).

A verified file is remembered in ``<cache>/verified.json`` by resolved path, size and mtime, with the
CRC-32 of its content, so later runs skip the hash. For a gzipped file its decompressed bytes are kept
too (``<cache>/fashion-mnist/``, checked by CRC-32 when read back), so later runs skip inflating; the
``.gz`` itself is checksummed (Adler-32, a few GB/s, alongside reading the copy) on every run all
the same, so a byte damaged in it with its size and time unchanged is caught. Where the cache is, and why a
broken one never fails a run: :mod:`linearnets.data.cache`; how a remembered file is read back and a
copy kept: :mod:`linearnets.data.remembered`.

Inflating dominates a first load, so it runs in this thread while a second one hashes, copies and
writes each chunk (zlib and hashlib release the GIL).
"""

from __future__ import annotations

import contextlib
import hashlib
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from linearnets._shell import shell_word
from linearnets._text import shown_path
from linearnets.data.cache import (
    cache_dir,
    load_index,
    new_buffer,
    open_sink,
    read_exact,
    remove_killed_runs_temps,
    save_index,
)
from linearnets.data.files import how_to_replace, in_debian_package
from linearnets.data.folder_contents import FASHION_MNIST_FILES
from linearnets.data.idx import GZIP_MAGIC, inflate_chunks, looks_like
from linearnets.data.remembered import (
    index_and_copies,
    keep_copy,
    remembered,
    remove_killed_runs_temps_in,
)
from linearnets.errors import DatasetError

# text this long under a file's name is a message saved there, not the file cut short ("cut")
_TEXT_BODY = 64

__all__ = [
    "OtherContentError",
    "cache_dir",
    "largest_gz",
    "read_verified",
    "remove_killed_runs_temps_in",
]

CHUNK = 2 << 20  # inflate this much, then hand it to the hashing thread


class OtherContentError(DatasetError):
    """A file whose content has the expected size but not the expected MD5: damaged in place, or
    another dataset's file under the same name (MNIST's have Fashion-MNIST's names and sizes),
    which a download must not replace unasked. ``path`` is the file."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


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
) -> tuple[memoryview, str, int, bool]:
    """Return the inflated content of ``raw`` with its MD5 and CRC-32, writing it to ``sink`` too;
    the last value says whether every chunk reached ``sink``."""
    digest = _Digest(size, sink)
    produced, head = 0, b""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linearnets-md5") as pool:
        futures = []
        for chunk in inflate_chunks(raw, name=str(path), limit=size, chunk_size=CHUNK):
            futures.append(pool.submit(digest.consume, chunk, produced))
            head = head or bytes(chunk[: len(GZIP_MAGIC)])
            produced += len(chunk)
    for future in futures:
        future.result()
    if produced != size and head == GZIP_MAGIC:  # the content a gzip file again
        raise _gzipped_twice(path, name, size, produced)
    if produced > size:  # inflating stopped there: the content was not hashed whole
        raise _misnamed_gz(raw, path, name, size) or _wrong_size(path, name, size, None, None)
    if produced < size:
        raise _wrong_size(path, name, size, produced, digest.md5.hexdigest())
    return digest.buf, digest.md5.hexdigest(), digest.crc, digest.sink is not None


def _verify(
    path: Path, name: str, size: int, md5: str, copy: Path
) -> tuple[memoryview, dict[str, Any]]:
    """Read ``path``, check its decompressed size and MD5, keep a copy if gzipped; return it and its entry."""
    with path.open("rb") as f:
        gz = f.read(2) == GZIP_MAGIC
    if not gz:
        data, found, crc = _hash_plain(path, name, size)
        _check_md5(path, name, md5, found)
        return data, {"md5": md5, "gzip": False, "crc32": crc}
    _check_gz_size(path, name, size)
    raw = path.read_bytes()
    opened = open_sink(copy)
    try:
        data, found, crc, complete = _inflate_hashed(
            raw, path, name, size, opened[0] if opened else None
        )
        _check_md5(path, name, md5, found)
        if opened is not None:
            keep_copy(*opened, copy, size=size if complete else -1)
    except BaseException:
        if opened is not None:
            with contextlib.suppress(OSError):
                opened[1].unlink()
            with contextlib.suppress(OSError):
                opened[0].close()
        raise
    return data, {"md5": md5, "gzip": True, "crc32": crc, "gz_adler32": zlib.adler32(raw)}


def _check_gz_size(path: Path, name: str, size: int) -> None:
    """Refuse, before it is read into memory, a gzip file larger than any gzip of ``size`` bytes.

    Deflate grows incompressible data by 5 bytes a 64 KiB block at worst; the slack covers that,
    the headers and zero padding after the stream (which gzip allows). One no larger than a gzip
    of the longest Fashion-MNIST file is read all the same, to name the file it holds (see
    :func:`_misnamed_gz`).
    """
    found = path.stat().st_size
    if found > largest_gz(size):
        most = largest_gz(max(s for s, _ in FASHION_MNIST_FILES.values()))
        # it may be a longer file of the set, misnamed: read to tell (never more than that one)
        misnamed = _misnamed_gz(path.read_bytes(), path, name, size) if found <= most else None
        if misnamed is not None:
            raise misnamed
        raise DatasetError(
            f"{shown_path(path)}: expected a gzip file of at most {largest_gz(size)} bytes for "
            f"{name} ({size} bytes once decompressed), got {found} bytes; this is another file — "
            f"{how_to_replace(path)}"
        )


def largest_gz(size: int) -> int:
    """Return the size in bytes of the largest gzip file of ``size`` bytes (see :func:`_check_gz_size`)."""
    return size + (size >> 10) + (1 << 20)


def _misnamed_gz(raw: bytes, path: Path, name: str, size: int) -> DatasetError | None:
    """Return the error naming the Fashion-MNIST file that the gzip file ``path`` (its bytes
    ``raw``), whose content is longer than the ``size`` bytes of ``name``, holds under that name
    (a train file copied over a test one); ``None`` if it holds none of them.

    Inflated again, hashed chunk by chunk and kept nowhere: on the failure path only.
    """
    longer = [known for known in FASHION_MNIST_FILES.values() if known[0] > size]
    if not longer:
        return None
    longest = max(s for s, _ in longer)
    md5, produced = hashlib.md5(usedforsecurity=False), 0
    try:
        for chunk in inflate_chunks(raw, name=str(path), limit=longest, chunk_size=CHUNK):
            md5.update(chunk)
            produced += len(chunk)
    except DatasetError:
        return None  # damaged further on: no file of the set
    if (produced, md5.hexdigest()) not in longer:
        return None
    return _wrong_size(path, name, size, produced, md5.hexdigest())


def _check_md5(path: Path, name: str, md5: str, found: str) -> None:
    """Raise DatasetError if the MD5 ``found`` for the content of ``path`` is not ``md5``."""
    if found != md5:
        folder = path.parent
        # a download refuses to replace it (it may be another dataset's): it must go first
        fix = (
            how_to_replace(path)
            if in_debian_package(path)  # a reinstall replaces the package's (a link to it too)
            else f"move it out of {shown_path(folder)} (or delete it, if damaged), then "
            f"{how_to_replace(path)}"
        )
        raise OtherContentError(
            f"{shown_path(path)}: expected MD5 {md5} for the decompressed {name}, got {found}; the "
            "file is corrupt, or another dataset's (MNIST's files have Fashion-MNIST's names and "
            f"sizes) — {fix}",
            path=path,
        )


def _wrong_size(
    path: Path, name: str, size: int, found: int | None, md5: str | None
) -> DatasetError:
    """Return the error for ``path``, whose content of ``found`` bytes (``None``: more than
    ``size``, not all read) is not the ``size`` bytes of ``name``; name the Fashion-MNIST file it
    is by its MD5 ``md5`` (``None``: not hashed), if any (the other split's, copied or swapped)."""
    start = f"{shown_path(path)}: expected {size} bytes of {name} once decompressed, got"
    others = FASHION_MNIST_FILES.items()
    other = next((n for n, known in others if n != name and known == (found, md5)), None)
    if other is not None:
        return DatasetError(
            f"{start} {found}, the size and MD5 of {other}: that file is here under the name of "
            f"{name} — put each file under its own name, or {how_to_replace(path)}"
        )
    if found is None or found > size:
        got = "more" if found is None else str(found)
        return DatasetError(f"{start} {got}; this is another file — {how_to_replace(path)}")
    return DatasetError(
        f"{start} {found}; the file is truncated or another file — {how_to_replace(path)}"
    )


def _gzipped_twice(path: Path, name: str, size: int, produced: int) -> DatasetError:
    """Return the error for the gzip file ``path`` whose content, of ``produced`` bytes (more than
    ``size``: not all inflated), is a gzip file again (``1f 8b``): a downloaded .gz gzipped again,
    which was told "truncated or another file", with a download for its fix."""
    got = "more" if produced > size else str(produced)
    word = shell_word(path)
    return DatasetError(
        f"{shown_path(path)}: expected {size} bytes of {name} once decompressed, got {got}, "
        "which are gzip again (they start with gzip's magic bytes 1f 8b): the file is gzipped "
        f"twice (a downloaded .gz gzipped again) — gunzip it once: gunzip -c {word} > "
        f"{word}.once && mv {word}.once {word}"
    )


def _hash_plain(path: Path, name: str, size: int) -> tuple[memoryview, str, int]:
    """Return the content of the plain (not gzipped) file ``path`` with its MD5 and CRC-32."""
    file_size = path.stat().st_size
    plain = read_exact(path, size) if file_size == size else None
    if plain is None:
        with path.open("rb") as f:
            looks = looks_like(f.read(200))
        page = looks.startswith(" (an HTML page")  # a server's error page, one from a browser
        if page or (looks and file_size >= _TEXT_BODY):  # a storage service's XML or JSON error
            what = (
                "a web page saved under the file's name (a server's error page, or a page saved "
                "from a browser)"
                if page
                else "text saved under the file's name (a server's error message, say)"
            )
            raise DatasetError(
                f"{shown_path(path)}: expected a gzip file of {name} or the {size}-byte file "
                f"itself, got {file_size} bytes that are neither{looks}: no gzip file but {what} "
                f"— {how_to_replace(path)}"
            )
        # hashed only where its size is another file's: it may be that file, misnamed
        known = any(s == file_size for s, _ in FASHION_MNIST_FILES.values())
        whole = read_exact(path, file_size) if known else None
        md5 = hashlib.md5(whole, usedforsecurity=False).hexdigest() if whole is not None else None
        raise _wrong_size(path, name, size, file_size, md5)
    return plain, hashlib.md5(plain, usedforsecurity=False).hexdigest(), zlib.crc32(plain)


def read_verified(
    path: Path,
    name: str,
    *,
    expected: tuple[int, str],
    cache: Path | None = None,
    tidy: bool = True,
) -> tuple[memoryview, bool]:
    """Return the decompressed content of ``path`` after checking its size and MD5, and whether it hashed.

    Args:
        path: the file, gzipped or not.
        name: its canonical name (e.g. ``train-images-idx3-ubyte``), for messages and the cache copy.
        expected: the decompressed (size in bytes, MD5 hex digest).
        cache: the cache folder (default :func:`cache_dir`).
        tidy: when the cache answers, remove the temporary files killed runs left there (a run
            that hashes removes them as it writes); ``False`` where the caller does it once for
            several files (:func:`remove_killed_runs_temps_in`).

    Returns:
        A new writable buffer with the content, and ``True`` if it was hashed now (``False``: the file
        was verified before, unchanged since).

    Raises:
        DatasetError: the content is corrupt, truncated or not the expected file.

    See D2L §3.5.1.
    """
    size, md5 = expected
    index_path, copies = index_and_copies(cache)
    copy = copies / name
    stat = path.stat()
    key, identity = str(path.resolve()), {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    entry = load_index(index_path).get(key)
    if (
        isinstance(entry, dict)
        and entry.get("md5") == md5
        and all(entry.get(k) == v for k, v in identity.items())
    ):
        data = remembered(path, copy, size, entry)
        if data is not None:
            if tidy:
                remove_killed_runs_temps(index_path, copies)
            return data, False
    data, checked = _verify(path, name, size, md5, copy)
    save_index(index_path, key, {**identity, **checked})
    return data, True
