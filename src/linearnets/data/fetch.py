"""Fetching one file from one mirror: streamed, size- and speed-limited, checked, atomic (D2L §3.5.1).

The file is streamed into a temporary file next to its destination, checked (decompressed size and
MD5), synced to disk and only then renamed into place with the usual permissions (``0o666`` less the
umask), so an interrupted or corrupt download never leaves a file that looks valid. The transfer
fails when the mirror has not sent its whole response headers within ``timeout`` seconds, sends
more than a gzip of the file can hold, or sends slower than :data:`MIN_BYTES_PER_SECOND`;
:func:`failure_reason` (or the error itself) says why in a few words. A mirror that serves the file
not gzipped has it gzipped here, so every download is a ``.gz`` that gzip tools read. Temporary files
are locked while written, so the next download removes those of a killed one at once
(:func:`remove_stale_parts`). A failure on this machine (a full disk, a folder in the way) is a
:class:`LocalFileError`, which no other mirror can fix.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from linearnets._fs import new_file_mode
from linearnets.data import http_deadline
from linearnets.data.cache import open_locked_temp, remove_stale_temps, try_lock
from linearnets.data.idx import GZIP_MAGIC, decompress
from linearnets.errors import DatasetError

__all__ = [
    "MIN_BYTES_PER_SECOND",
    "LocalFileError",
    "failure_reason",
    "mask_passwords",
    "remove_stale_parts",
    "try_mirror",
]

CHUNK = 1 << 16
MIN_BYTES_PER_SECOND = 1 << 10  # over any `timeout` seconds; a slower mirror is given up
PART_SUFFIX = ".part"  # temporary files: .NAME.gz.XXXXXXXX.part (mkstemp's 8 characters)
_lock = try_lock  # a download's temporary file is locked until it is renamed (or removed)
# scheme://user:password@host: the userinfo ends at the netloc's last @, as urlsplit reads it
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#\s:]*:)[^/?#\s]*@")


class LocalFileError(DatasetError):
    """Saving a download on this machine failed (a full disk, a folder in the way): no mirror's fault."""


class _DiskError(Exception):
    """An OSError of a local write, sync or rename, told apart from the network's own OSErrors."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


@contextlib.contextmanager
def _on_disk() -> Iterator[None]:
    """Mark an OSError raised inside as this machine's (see :class:`_DiskError`)."""
    try:
        yield
    except OSError as exc:
        raise _DiskError(exc) from exc


def local_error(exc: OSError, target: Path) -> LocalFileError:
    """Return the error for a failure to save ``target``: the path, the problem and the fix."""
    problem, other = exc.strerror or type(exc).__name__, "or pass another --data-dir"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = f"free some space on the disk that holds {target.parent}, {other}"
    elif exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
        problem = f"{problem}: a folder is in the way" if target.is_dir() else problem
        fix = f"move {target} away, {other}"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "pass a --data-dir you can write to"
    else:
        fix = f"check that disk, {other}"
    return LocalFileError(f"cannot save the download as {target} ({problem}); {fix}")


def _max_body(size: int) -> int:
    """Return the most bytes a mirror may send for a file of ``size`` bytes once decompressed.

    A gzip of it is never meaningfully bigger (stored blocks add 5 bytes per 64 KiB), and the plain
    file served under the .gz name is exactly ``size``.
    """
    return size + size // 100 + (64 << 10)


def remove_stale_parts(folder: Path, names: Iterable[str]) -> None:
    """Delete this module's temporary files in ``folder`` left by killed downloads (SIGTERM, kill -9).

    A running download holds its file locked from creation to rename, so any such file nobody holds
    is a dead one's, however recent; links, folders and FIFOs named like one are left alone.
    """
    pattern = re.compile(
        "|".join(rf"\.{re.escape(n)}\.gz\.[a-z0-9_]{{8}}{re.escape(PART_SUFFIX)}" for n in names)
    )
    remove_stale_temps(folder, pattern)


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
    while chunk := _read_some(response, received, timeout):
        received += len(chunk)
        if received > limit:
            raise DatasetError(f"sent more than {limit} bytes for a file of {size} bytes (too big)")
        with _on_disk():
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


def _read_some(response: http.client.HTTPResponse, received: int, timeout: float) -> bytes:
    """Return the next bytes that have arrived (``b""`` at the end of the body).

    A chunked body cut off mid-chunk raises ``IncompleteRead`` holding only that call's bytes: the
    error names the whole count received instead. A mirror silent for ``timeout`` s after its
    headers answered, but stalled: the error says after how many bytes.
    """
    try:
        return response.read1(CHUNK)
    except http.client.IncompleteRead as exc:
        raise DatasetError(
            f"the connection closed after {received + len(exc.partial)} bytes (truncated)"
        ) from None
    except TimeoutError:
        raise DatasetError(
            f"sent its headers and {received} bytes, then nothing for {timeout:g} s (stalled)"
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
    with _on_disk():
        f.flush()


def _check(tmp: Path, name: str, expected: tuple[int, str]) -> bytes | None:
    """Raise DatasetError unless ``tmp`` holds ``name`` (decompressed size and MD5); return its
    content if ``tmp`` is not gzipped (``None`` if it is)."""
    size, md5 = expected
    with _on_disk():
        body = tmp.read_bytes()
    data = decompress(body, name="the downloaded file", limit=size)
    if len(data) != size:
        raise DatasetError(f"expected {size} bytes once decompressed, got {len(data)}")
    found = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if found != md5:
        raise DatasetError(f"expected MD5 {md5} once decompressed, got {found}")
    return None if body.startswith(GZIP_MAGIC) else data


def _gzip_into(f: BinaryIO, data: bytes) -> None:
    """Replace the content of ``f`` by ``data`` gzipped.

    A mirror that serves the plain file would otherwise leave it under the ``.gz`` name, which
    gzip, Keras and the Debian package's ``mnist_reader`` cannot read; gzipped, it is the same
    kind of file every other mirror gives.
    """
    f.seek(0)
    f.truncate()
    f.write(gzip.compress(data, compresslevel=6, mtime=0))
    f.flush()


def mask_passwords(text: str) -> str:
    """Return ``text`` with the password of every URL in it replaced by ``***`` (user kept)."""
    return _USERINFO.sub(r"\1***@", text)


def failure_reason(exc: BaseException, timeout: float) -> str:
    """Return a short description of why one mirror failed, any password in a URL masked."""
    # urllib's refusal of a redirect quotes the whole target URL, a login included
    return mask_passwords(_reason(exc, timeout))


def _reason(exc: BaseException, timeout: float) -> str:
    """Return :func:`failure_reason`'s description before masking."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    # a TimeoutError here came before the headers were in (one in the body says "stalled")
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
    """Download ``url`` into ``dest/name.gz`` through a locked temporary file; raise if it fails.

    Raises:
        LocalFileError: the file cannot be saved in ``dest`` (a full disk, a folder in its place).
        DatasetError, OSError, http.client.HTTPException, ValueError: the mirror failed.
    """
    target = dest / f"{name}.gz"
    if target.is_dir() and not target.is_symlink():  # known before any byte is fetched
        raise local_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)), target)
    try:
        _save(url, name, expected, dest, target, timeout=timeout, progress=progress)
    except _DiskError as exc:
        raise local_error(exc.error, target) from None


def _save(
    url: str,
    name: str,
    expected: tuple[int, str],
    dest: Path,
    target: Path,
    *,
    timeout: float,
    progress: bool,
) -> None:
    """Download ``url`` into ``target``; local OSErrors come out as :class:`_DiskError`."""
    with _on_disk():
        f, tmp = open_locked_temp(dest, prefix=f".{name}.gz.", suffix=PART_SUFFIX)
    try:
        with f:  # locked until the rename: another call's clean-up leaves this file alone
            _fetch(url, f, size=expected[0], timeout=timeout, progress=progress, desc=f"{name}.gz")
            plain = _check(tmp, name, expected)
            with _on_disk():
                if plain is not None:
                    _gzip_into(f, plain)
                os.fsync(f.fileno())  # on disk before the rename makes it visible
                os.chmod(tmp, new_file_mode())  # not mkstemp's 0o600: a shared folder is readable
                if sys.platform != "win32":
                    os.replace(tmp, target)
        if sys.platform == "win32":  # where only a closed file can be renamed (or deleted)
            with _on_disk():
                os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # also on Ctrl-C: no partial file stays behind
