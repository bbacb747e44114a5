"""Fetching one file from one mirror: streamed, size- and speed-limited, checked, atomic (D2L §3.5.1).

The file is streamed into a temporary file next to its destination, checked (decompressed size and
MD5), synced to disk and only then renamed into place with the usual permissions (``0o666`` less the
umask), so an interrupted or corrupt download never leaves a file that looks valid. The transfer
fails when the mirror has not sent its whole response headers within ``timeout`` seconds, sends
more than a gzip of the file can hold, or sends slower than :data:`MIN_BYTES_PER_SECOND`;
:func:`failure_reason` (or the error itself) says why in a few words. Temporary files of a download
that was killed are removed by the next one (:func:`remove_stale_parts`).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from linearnets._fs import new_file_mode
from linearnets.data import http_deadline
from linearnets.data.idx import decompress
from linearnets.errors import DatasetError

if sys.platform != "win32":
    import fcntl

__all__ = ["MIN_BYTES_PER_SECOND", "failure_reason", "remove_stale_parts", "try_mirror"]

CHUNK = 1 << 16
MIN_BYTES_PER_SECOND = 1 << 10  # over any `timeout` seconds; a slower mirror is given up
STALE_AFTER = 60.0  # seconds: a temporary file younger than this may be a starting download's
PART_SUFFIX = ".part"  # temporary files: .NAME.gz.XXXXXXXX.part (mkstemp's 8 characters)


def _max_body(size: int) -> int:
    """Return the most bytes a mirror may send for a file of ``size`` bytes once decompressed.

    A gzip of it is never meaningfully bigger (stored blocks add 5 bytes per 64 KiB), and the plain
    file served under the .gz name is exactly ``size``.
    """
    return size + size // 100 + (64 << 10)


def _lock(f: BinaryIO) -> bool:
    """Lock ``f`` for this open file without waiting; return False if another holds the lock.

    A download holds the lock on its temporary file until the rename, so only the file of a killed
    download (whose locks the system released) can be locked by another.
    """
    if sys.platform == "win32":
        return True  # a file open elsewhere cannot be deleted there anyway
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held by a running download, or a file system without locks: keep it
    return True


def remove_stale_parts(folder: Path, names: Iterable[str]) -> None:
    """Delete this module's temporary files in ``folder`` left by killed downloads (SIGTERM, kill -9)."""
    pattern = re.compile(
        "|".join(rf"\.{re.escape(n)}\.gz\.[a-z0-9_]{{8}}{re.escape(PART_SUFFIX)}" for n in names)
    )
    try:
        parts = [p for p in folder.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return  # a folder that cannot be listed: nothing to clean
    for path in parts:
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to delete
            if _is_stale(path):
                path.unlink()


def _is_stale(path: Path) -> bool:
    """Whether ``path`` is a regular file, older than a minute, that no running download holds locked.

    The age rule covers the moment between a download creating its file and locking it.
    """
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        return False  # never open a link or a FIFO
    if time.time() - info.st_mtime < STALE_AFTER:
        return False
    with path.open("rb") as f:
        return _lock(f)


def _copy_body(
    response: http.client.HTTPResponse,
    f: BinaryIO,
    update: Callable[[int], object],
    *,
    size: int,
    timeout: float,
) -> int:
    """Copy the body into ``f`` and return its length; raise once it is too big or too slow."""
    limit, least = _max_body(size), MIN_BYTES_PER_SECOND * timeout
    received, window_start, window_received = 0, time.monotonic(), 0
    # read1 returns what has arrived: no call waits longer than the socket timeout
    while chunk := _read_some(response, received):
        received += len(chunk)
        if received > limit:
            raise DatasetError(f"sent more than {limit} bytes for a file of {size} bytes (too big)")
        f.write(chunk)
        update(len(chunk))
        now = time.monotonic()
        if now - window_start >= timeout:
            if received - window_received < least:
                raise DatasetError(
                    f"slower than {MIN_BYTES_PER_SECOND / 1024:g} KiB/s for {timeout:g} s (stalled)"
                )
            window_start, window_received = now, received
    return received


def _read_some(response: http.client.HTTPResponse, received: int) -> bytes:
    """Return the next bytes that have arrived (``b""`` at the end of the body).

    A chunked body cut off mid-chunk raises ``IncompleteRead`` holding only that call's bytes: the
    error names the whole count received instead.
    """
    try:
        return response.read1(CHUNK)
    except http.client.IncompleteRead as exc:
        raise DatasetError(
            f"the connection closed after {received + len(exc.partial)} bytes (truncated)"
        ) from None


def _fetch(url: str, f: BinaryIO, *, size: int, timeout: float, progress: bool, desc: str) -> None:
    """Stream ``url`` into ``f``; raise if the body is too big, too slow, or shorter than announced."""
    from tqdm import tqdm

    with http_deadline.urlopen(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > _max_body(size):
            raise DatasetError(
                f"announced {total} bytes, more than {_max_body(size)} for a file of {size} bytes "
                "(too big)"
            )
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc=desc,
            # None: tqdm's "only on a terminal", so a log file or pipe gets no bar
            # glued to the next line
            disable=None if progress else True,
            leave=False,
        ) as bar:
            received = _copy_body(response, f, bar.update, size=size, timeout=timeout)
        if total is not None and received != total:
            raise DatasetError(
                f"the transfer stopped after {received} of {total} bytes (truncated)"
            )
    f.flush()
    os.fsync(f.fileno())  # on disk before the rename makes it visible


def _check(tmp: Path, name: str, expected: tuple[int, str]) -> None:
    """Raise DatasetError unless ``tmp`` holds ``name`` (decompressed size and MD5)."""
    size, md5 = expected
    data = decompress(tmp.read_bytes(), name="the downloaded file", limit=size)
    if len(data) != size:
        raise DatasetError(f"expected {size} bytes once decompressed, got {len(data)}")
    found = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if found != md5:
        raise DatasetError(f"expected MD5 {md5} once decompressed, got {found}")


def failure_reason(exc: BaseException, timeout: float) -> str:
    """Return a short description of why one mirror failed."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed after {len(exc.partial)} bytes (truncated)"
    return " ".join(str(exc).split()) or type(exc).__name__


def try_mirror(
    url: str, name: str, expected: tuple[int, str], dest: Path, *, timeout: float, progress: bool
) -> None:
    """Download ``url`` into ``dest/name.gz`` through a locked temporary file; raise if it fails."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.gz.", suffix=PART_SUFFIX, dir=dest)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            _lock(f)  # held until the rename: another call's clean-up leaves this file alone
            _fetch(url, f, size=expected[0], timeout=timeout, progress=progress, desc=f"{name}.gz")
            _check(tmp, name, expected)
            os.chmod(tmp, new_file_mode())  # not mkstemp's 0o600: a shared folder is readable
            if sys.platform != "win32":
                os.replace(tmp, dest / f"{name}.gz")
        if sys.platform == "win32":  # where only a closed file can be renamed (or deleted)
            os.replace(tmp, dest / f"{name}.gz")
    finally:
        tmp.unlink(missing_ok=True)  # also on Ctrl-C: no partial file stays behind
