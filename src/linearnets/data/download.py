"""Downloading Fashion-MNIST where a network exists: mirror by mirror, verified, atomic (D2L §3.5.1).

Each file is streamed into a temporary file next to its destination, checked (decompressed size and
MD5), synced to disk and only then renamed into place with the usual permissions (``0o666`` less the
umask), so an interrupted or corrupt download never leaves a file that looks valid. A mirror fails,
and the next one is tried, when it sends more than a gzip of the file can hold or sends slower than
:data:`MIN_BYTES_PER_SECOND`. Temporary files of a download that was killed are removed by the next
one; a failed call also removes the empty folders it made. Files already present and valid are not
downloaded again.
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
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from linearnets._fs import fsync_dir, new_file_mode
from linearnets.data.files import FASHION_MNIST_FILES
from linearnets.data.idx import decompress
from linearnets.data.verify import read_verified
from linearnets.errors import DatasetError, UsageError
from linearnets.validation import check_positive_float

if sys.platform != "win32":
    import fcntl

__all__ = ["DEFAULT_MIRRORS", "MIN_BYTES_PER_SECOND", "download_fashion_mnist"]

DEFAULT_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/",
)
CHUNK = 1 << 16
MIN_BYTES_PER_SECOND = 1 << 10  # over any `timeout` seconds; a slower mirror is given up
STALE_AFTER = 60.0  # seconds: a temporary file younger than this may be a starting download's
PART_SUFFIX = ".part"  # temporary files: .NAME.gz.XXXXXXXX.part (mkstemp's 8 characters)
NO_NETWORK_FIX = (
    "without a network, install the Debian package ('sudo apt-get install dataset-fashion-mnist'), "
    "or copy the four files (*-ubyte.gz) from a machine that has them into a folder and pass "
    "--data-dir DIR (or set LINEARNETS_DATA)"
)


def _destination(root: Path, names: dict[str, tuple[int, str]]) -> Path:
    """Return where the files go: the layout (``root`` first, then FashionMNIST/raw) that holds all of
    them, else the one that holds some, else FashionMNIST/raw.

    ``find_fashion_mnist`` reads the first complete layout, so a partial one is completed where it is.
    """
    layouts = (root, root / "FashionMNIST" / "raw")  # raw: torchvision's, the book's ../data
    for enough in (len(names), 1):
        for folder in layouts:
            if sum(_current(folder, n) is not None for n in names) >= enough:
                return folder
    return layouts[1]


def _current(folder: Path, name: str) -> Path | None:
    """Return the file ``find_fashion_mnist`` would read for ``name`` in ``folder`` (plain first)."""
    return next((p for p in (folder / name, folder / f"{name}.gz") if p.is_file()), None)


def _is_valid(path: Path, name: str, expected: tuple[int, str]) -> bool:
    try:
        read_verified(path, name, expected=expected)
    except (DatasetError, OSError):
        return False
    return True


def _is_http_url(mirror: object) -> bool:
    """Whether ``mirror`` is an http(s) URL with a host and, if given, a port in range."""
    if not isinstance(mirror, str) or any(ch.isspace() or ord(ch) < 32 for ch in mirror):
        return False
    try:
        parts = urllib.parse.urlsplit(mirror)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


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


def _remove_stale_parts(folder: Path, names: Iterable[str]) -> None:
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
    while chunk := response.read1(CHUNK):
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


def _fetch(url: str, f: BinaryIO, *, size: int, timeout: float, progress: bool, desc: str) -> None:
    """Stream ``url`` into ``f``; raise if the body is too big, too slow, or shorter than announced."""
    from tqdm import tqdm

    with urllib.request.urlopen(url, timeout=timeout) as response:
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


def _reason(exc: BaseException, timeout: float) -> str:
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


def _try_mirror(
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


def _download_one(
    name: str,
    expected: tuple[int, str],
    dest: Path,
    mirrors: list[str],
    *,
    timeout: float,
    progress: bool,
) -> str:
    """Download ``name`` into ``dest`` from the first mirror that serves it intact; return that mirror."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{name}.gz"
        try:
            _try_mirror(url, name, expected, dest, timeout=timeout, progress=progress)
        except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
            failures.append(f"{url}: {_reason(exc, timeout)}")
            continue
        fsync_dir(dest)
        return mirror
    raise DatasetError(
        f"could not download {name}.gz from any mirror ({'; '.join(failures)}); {NO_NETWORK_FIX}"
    )


def _check_mirrors(mirrors: Sequence[str]) -> None:
    """Raise UsageError unless ``mirrors`` is a non-empty list of http(s) URLs."""
    if isinstance(mirrors, str) or not mirrors:
        raise UsageError(
            f"mirrors must be a non-empty list of base URLs, got {mirrors!r}; "
            f"pass e.g. mirrors={list(DEFAULT_MIRRORS)!r}"
        )
    for mirror in mirrors:
        if not _is_http_url(mirror):
            raise UsageError(
                f"mirrors must be http:// or https:// URLs with a host (and a valid port), got "
                f"{mirror!r}; pass e.g. {DEFAULT_MIRRORS[1]!r}"
            )


def _missing_folders(folder: Path) -> list[Path]:
    """Return ``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or gone): its parents are not empty either


def _prepare(root: Path, names: dict[str, tuple[int, str]]) -> tuple[Path, list[Path]]:
    """Return the folder to download into, made and writable, with the folders made for it."""
    created: list[Path] = []
    try:
        if root.exists() and not root.is_dir():
            raise UsageError(
                f"root must be a folder to download into, got the file {root}; pass a folder path"
            )
        dest = _destination(root, names)
        created = _missing_folders(dest)
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a symlink loop, a file on the path, a folder that cannot be written
        _remove_empty(created)
        raise UsageError(
            f"root must be a folder that can hold the download, got {root} "
            f"({exc.strerror or type(exc).__name__}); pass a folder you can write to"
        ) from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise UsageError(
            f"root must be a folder that can hold the download, got {root} (not writable); pass "
            "a folder you can write to"
        )
    return dest, created


def _download_missing(
    dest: Path,
    names: dict[str, tuple[int, str]],
    mirrors: Sequence[str],
    *,
    timeout: float,
    progress: bool,
) -> None:
    """Download each file that is missing or corrupt in ``dest``, the last good mirror first."""
    order = list(mirrors)
    for name, expected in names.items():
        current = _current(dest, name)
        if current is not None and _is_valid(current, name, expected):
            continue
        good = _download_one(name, expected, dest, order, timeout=timeout, progress=progress)
        if current is not None and current.name == name:
            current.unlink()  # a corrupt plain file would shadow the new .gz
        order.remove(good)
        order.insert(0, good)


def download_fashion_mnist(
    root: str | Path,
    *,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    checksums: dict[str, tuple[int, str]] | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download the Fashion-MNIST files missing or corrupt under ``root`` and return their folder.

    The files go where some of them already are: ``root`` itself or ``root/FashionMNIST/raw``
    (torchvision's layout, found later without arguments when ``root`` is ``data`` or ``../data``),
    which is also where they go when ``root`` holds none. A mirror fails, and the next is tried, when
    it does not answer within ``timeout``, sends fewer than ``MIN_BYTES_PER_SECOND * timeout`` bytes
    in ``timeout`` seconds, sends more than a gzip of the file can hold, or sends the wrong file.

    Args:
        root: the folder to download into; created if missing (and removed again, if still empty,
            when the download fails).
        mirrors: base URLs (http or https) tried in order for each file; the one that served the
            last file is tried first for the next.
        checksums: each file name with its decompressed (size, MD5); default: the real Fashion-MNIST.
        timeout: seconds to wait for a mirror to answer, and the window of its minimum speed.
        progress: show a progress bar per file (tqdm, on stderr, when stderr is a terminal).

    Returns:
        The folder holding the four verified files.

    Raises:
        UsageError: ``root`` is not a folder, or a mirror is not an http(s) URL.
        DatasetError: every mirror failed for some file; the message lists each failure and the fix.

    See D2L §3.5.1.
    """
    names = checksums or FASHION_MNIST_FILES
    timeout = check_positive_float("timeout", timeout, fix="pass e.g. timeout=30")
    _check_mirrors(mirrors)
    dest, created = _prepare(Path(root).expanduser(), names)
    try:
        _remove_stale_parts(dest, names)
        _download_missing(dest, names, mirrors, timeout=timeout, progress=progress)
    except BaseException:
        _remove_empty(created)  # no empty FashionMNIST/raw stays behind (also on Ctrl-C)
        raise
    return dest
