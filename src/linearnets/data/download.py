"""Downloading Fashion-MNIST where a network exists: mirror by mirror, verified, atomic (D2L §3.5.1).

Each file is streamed into a temporary file next to its destination, checked (decompressed size and
MD5), synced to disk and only then renamed into place, so an interrupted or corrupt download never
leaves a file that looks valid, and no temporary file stays behind. Files already present and valid
are not downloaded again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from linearnets._fs import fsync_dir
from linearnets.data.files import FASHION_MNIST_FILES
from linearnets.data.idx import decompress
from linearnets.data.verify import read_verified
from linearnets.errors import DatasetError, UsageError
from linearnets.validation import check_positive_float

__all__ = ["DEFAULT_MIRRORS", "download_fashion_mnist"]

DEFAULT_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/",
)
CHUNK = 1 << 16
NO_NETWORK_FIX = (
    "without a network, install the Debian package ('sudo apt-get install dataset-fashion-mnist'), "
    "or copy the four files (*-ubyte.gz) from a machine that has them into a folder and pass "
    "--data-dir DIR (or set LINEARNETS_DATA)"
)


def _destination(root: Path, names: dict[str, tuple[int, str]]) -> Path:
    """Return where the files go: ``root`` if it already holds all of them, else FashionMNIST/raw."""
    if all((root / n).is_file() or (root / f"{n}.gz").is_file() for n in names):
        return root  # found there first by find_fashion_mnist, so it must be repaired there
    return root / "FashionMNIST" / "raw"  # torchvision's layout: the book's ../data is searched


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


def _fetch(url: str, tmp: Path, *, timeout: float, progress: bool, desc: str) -> None:
    """Stream ``url`` into ``tmp``; raise if the transfer ends before the announced length."""
    from tqdm import tqdm

    with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as f:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
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
            while chunk := response.read(CHUNK):
                f.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
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
    final = dest / f"{name}.gz"
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{name}.gz"
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.gz.", suffix=".part", dir=dest)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _fetch(url, tmp, timeout=timeout, progress=progress, desc=f"{name}.gz")
            _check(tmp, name, expected)
            os.replace(tmp, final)
        except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
            failures.append(f"{url}: {_reason(exc, timeout)}")
            continue
        finally:
            tmp.unlink(missing_ok=True)  # also on Ctrl-C: no partial file stays behind
        fsync_dir(dest)
        return mirror
    raise DatasetError(
        f"could not download {name}.gz from any mirror ({'; '.join(failures)}); {NO_NETWORK_FIX}"
    )


def download_fashion_mnist(
    root: str | Path,
    *,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    checksums: dict[str, tuple[int, str]] | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download the Fashion-MNIST files missing or corrupt under ``root`` and return their folder.

    The files go into ``root/FashionMNIST/raw`` (torchvision's layout, found later without arguments
    when ``root`` is ``data`` or ``../data``), or into ``root`` itself when it already holds them.

    Args:
        root: the folder to download into; created if missing.
        mirrors: base URLs (http or https) tried in order for each file; the one that served the
            last file is tried first for the next.
        checksums: each file name with its decompressed (size, MD5); default: the real Fashion-MNIST.
        timeout: seconds to wait for a mirror to answer.
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
    root = Path(root).expanduser()
    try:
        if root.exists() and not root.is_dir():
            raise UsageError(
                f"root must be a folder to download into, got the file {root}; pass a folder path"
            )
        dest = _destination(root, names)
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a symlink loop, a file on the path, a folder that cannot be written
        raise UsageError(
            f"root must be a folder that can hold the download, got {root} "
            f"({exc.strerror or type(exc).__name__}); pass a folder you can write to"
        ) from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise UsageError(
            f"root must be a folder that can hold the download, got {root} (not writable); pass "
            "a folder you can write to"
        )
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
    return dest
