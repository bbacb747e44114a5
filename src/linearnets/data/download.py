"""Downloading Fashion-MNIST where a network exists: mirror by mirror, verified, atomic (D2L §3.5.1).

This module orchestrates: where the files go (the layout that already holds some, else
``root/FashionMNIST/raw``), the mirrors accepted (:mod:`linearnets.data.mirrors`), and the order they are tried in for each
file, the last good one first; :mod:`linearnets.data.fetch` moves one file from one mirror into
place, verified and atomically. A mirror fails, and the next one is tried, when it sends more than a
gzip of the file can hold or sends slower than :data:`MIN_BYTES_PER_SECOND`. Temporary files of a
download that was killed are removed by the next one; a failed call also removes the empty folders
it made. Files already present and valid are not downloaded again, and then nothing is written:
a read-only folder holding the four valid files is fine (torchvision skips the download too). A
damaged plain file beside a valid ``.gz`` (torchvision's ``raw/`` holds both, and an extraction cut
short leaves a truncated plain file) is removed, not downloaded again. A failure on this machine (a
full disk, a folder where a file goes) stops the download at once: no other mirror can fix it.
Messages speak the Python API's words (``root=DIR``); the command line prints its own.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import urllib.error
from collections.abc import Sequence
from pathlib import Path

from linearnets._fs import fsync_dir, missing_folders, remove_empty_folders
from linearnets.data.fetch import (
    MIN_BYTES_PER_SECOND,
    LocalFileError,
    remove_stale_parts,
    try_mirror,
)
from linearnets.data.files import FASHION_MNIST_FILES, how_to_replace
from linearnets.data.http_deadline import SilentError, StalledError
from linearnets.data.mirror_reasons import certificate_failed, failure_reason, proxy_for
from linearnets.data.mirrors import DEFAULT_MIRRORS, check_mirrors
from linearnets.data.verify import OtherContentError, read_verified
from linearnets.errors import DatasetError, UsageError
from linearnets.path_checks import expand_user, link_problem
from linearnets.validation import check_positive_float

__all__ = ["DEFAULT_MIRRORS", "MIN_BYTES_PER_SECOND", "download_fashion_mnist"]

_OFFLINE_WAYS = (
    "install the Debian package ('sudo apt-get install dataset-fashion-mnist'), or copy the four "
    "files (*-ubyte.gz) from a machine that has them into a folder and pass root=DIR (or set "
    "LINEARNETS_DATA)"
)
NO_NETWORK_FIX = f"without a network, {_OFFLINE_WAYS}"
# when some mirror answered: the network works, and "without a network" would mislead
ANSWERED_FIX = (
    "a mirror answered, so the network works, but not with the file: pass mirrors that serve "
    f"Fashion-MNIST's original files, or {_OFFLINE_WAYS}"
)
# a TLS handshake that failed on the mirror's certificate: reached, but not trusted
CERTIFICATE_FIX = (
    "a mirror's certificate could not be verified: if a proxy or your organisation's own "
    "certificate authority signs it, point SSL_CERT_FILE at that bundle of certificates, or "
    f"{_OFFLINE_WAYS}"
)
# took the connection, then no (complete) headers in time, or hung up before them: reached, but
# not answering
STALLED_FIX = (
    "a mirror took the connection but sent no answer (it stalled or hung up): try again later or "
    f"pass other mirrors, or {_OFFLINE_WAYS}"
)
# the advice for the most telling failure, from no answer up to an answer that was wrong
_FIXES = (NO_NETWORK_FIX, STALLED_FIX, CERTIFICATE_FIX, ANSWERED_FIX)


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


def _defect(path: Path, name: str, expected: tuple[int, str]) -> str | None:
    """Return why the present file ``path`` is not a valid ``name`` (``None``: it is valid)."""
    try:
        read_verified(path, name, expected=expected)
    except OtherContentError:
        raise  # no damage the download may repair: see _kept
    except DatasetError as exc:
        return _without_fix(str(exc), path)  # names the file and what is wrong with it
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or type(exc).__name__})"
    return None


def _without_fix(reason: str, path: Path) -> str:
    """Return a reading error's ``reason`` for ``path`` without the fix that ends it (see
    :func:`~linearnets.data.files.how_to_replace`): "get it again ...: linearnets data download
    --data-dir DIR" is this download, and the message that quotes the reason gives its own fix."""
    fix = how_to_replace(path)
    if not reason.endswith(fix):
        return reason
    # "...; FIX", "... another file — FIX", "... under its own name, or FIX"
    head = reason.removesuffix(fix).rstrip()
    return head.removesuffix(", or").removesuffix(" —").removesuffix(";").rstrip()


def _reached(exc: BaseException) -> int:
    """Say how far a mirror's failure ``exc`` got, as an index into :data:`_FIXES`: 3 an answer (an
    HTTP error status, a reply that is no HTTP, a redirect refused, a file that fails the check:
    the network works), 2 a certificate not trusted, 1 stalled, silent or hung up before its
    headers (the connection taken), 0 none (refused, unreachable, timed out connecting)."""
    reason = getattr(exc, "reason", None)
    # a reset (RST) or close before any header: the connection was taken (one refused is a
    # ConnectionRefusedError); it got "without a network", or (closed) "a mirror answered"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError) or isinstance(
        reason, ConnectionResetError | ConnectionAbortedError
    ):
        return 1
    if isinstance(exc, urllib.error.HTTPError | http.client.HTTPException):
        return 3
    # urllib wraps a timeout while reading the headers in a URLError, as it does one connecting
    if isinstance(exc, StalledError | SilentError) or isinstance(reason, SilentError):
        return 1
    if isinstance(exc, DatasetError):
        return 3
    return 2 if certificate_failed(exc) else 0


def _proxy_note(url: str) -> str:
    """Return ", through the proxy P" when a proxy setting (``http_proxy``, ...) applies to ``url``."""
    proxy = proxy_for(url)
    return f", through the proxy {proxy}" if proxy else ""


def _download_one(
    name: str,
    expected: tuple[int, str],
    dest: Path,
    mirrors: list[str],
    *,
    timeout: float,
    progress: bool,
    made: list[Path],
    defect: str | None = None,
) -> str:
    """Download ``name`` into ``dest`` from the first mirror that serves it intact; return that mirror.

    ``defect`` says why the file present there was rejected, for the error when every mirror fails;
    ``made`` lists the folders to remove if the download fails (see :func:`try_mirror`).
    """
    failures = []
    reached, proxied = 0, False
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{name}.gz"
        try:
            try_mirror(url, name, expected, dest, timeout=timeout, progress=progress, made=made)
        except LocalFileError:
            raise  # this machine's problem (a full disk, a folder in the way): no mirror can help
        except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
            note = _proxy_note(url)
            failures.append(f"{url}: {failure_reason(exc, timeout)}{note}")
            reached, proxied = max(reached, _reached(exc)), proxied or bool(note)
            continue
        fsync_dir(dest)
        return mirror
    why = f"; it was needed because the file there was rejected: {defect}" if defect else ""
    proxy = (
        "; if the proxy is what failed, correct http_proxy / https_proxy, or name the mirror's "
        "host in no_proxy"
        if proxied
        else ""
    )
    raise DatasetError(
        f"could not download {name}.gz from any mirror ({'; '.join(failures)}){why}; "
        f"{_FIXES[reached]}{proxy}"
    )


def _locate(root: Path, names: dict[str, tuple[int, str]]) -> Path:
    """Return the folder the files are (or go) in under ``root``; refuse a ``root`` that is a file."""
    try:
        if root.exists() and not root.is_dir():
            raise UsageError(
                f"root must be a folder to download into, got the file {str(root)!r}; pass a "
                "folder path"
            )
        return _destination(root, names)
    except OSError as exc:  # a symlink loop, a folder that cannot be searched
        raise UsageError(
            f"root must be a folder that can hold the download, got {str(root)!r} "
            f"({_why(exc, root)}); pass a folder you can write to"
        ) from None


def _why(exc: OSError, folder: Path) -> str:
    """Say why ``folder`` cannot be used: a broken or looping link on its path, else the error's
    reason, naming the file on the path where a folder must be."""
    # a link to nowhere fails mkdir with "File exists": the link is what to fix
    problem = link_problem(folder)
    if problem:
        return problem
    reason = exc.strerror or type(exc).__name__
    for part in (*reversed(folder.parents), folder):  # "File exists" alone named no file
        try:
            if part.exists() and not part.is_dir():
                return f"{reason}: {part} is a file, not a folder"
        except OSError:  # a folder that cannot be looked into: the reason says so
            break
    return reason


def _kept(root: Path, paths: list[Path]) -> UsageError:
    """Return the refusal to replace ``paths``, files of the expected size whose content is not
    Fashion-MNIST's: another dataset's (MNIST's have its names and sizes, and a download once
    replaced them, flat in ./data) or ones damaged in place, which cannot be told apart."""
    files = ", ".join(map(str, paths))
    if len(paths) == 1:
        have, they, were, them = "has the decompressed size", "it is", "was", "it"
        of = "Fashion-MNIST's file of that name but another MD5"
    else:
        have, they, were, them = "have the decompressed sizes", "they are", "were", "them"
        of = "Fashion-MNIST's files of those names but other MD5s"
    return UsageError(
        f"root must hold no other dataset's files under Fashion-MNIST's names, which the download "
        f"would replace, got {str(root)!r}, where {files} {have} of {of}: {they} another "
        f"dataset's (MNIST's files have Fashion-MNIST's names and sizes) or {were} damaged in "
        f"place; move {them} out of {paths[0].parent} (or delete {them}, if damaged), or pass "
        "root=DIR to download elsewhere"
    )


def _defects(root: Path, dest: Path, names: dict[str, tuple[int, str]]) -> dict[str, str | None]:
    """Return each file that must be downloaded into ``dest``, with why the one there was rejected
    (``None``: there is none); refuse (see :func:`_kept`) to replace a complete file of other
    content."""
    needed: dict[str, str | None] = {}
    others = []
    for name, expected in names.items():
        current = _current(dest, name)
        try:
            defect = None if current is None else _defect(current, name, expected)
        except OtherContentError as exc:
            others.append(exc.path)
            continue
        if current is None or defect is not None:
            needed[name] = defect
    if others:
        raise _kept(root, others)
    return needed


def _unshadow(
    dest: Path, names: dict[str, tuple[int, str]], needed: dict[str, str | None]
) -> dict[str, str | None]:
    """Return ``needed`` less the files whose rejected plain copy in ``dest`` hides a valid ``.gz``
    beside it, and remove that plain copy (as a download would: it is read before the ``.gz``)."""
    left: dict[str, str | None] = {}
    for name, defect in needed.items():
        plain, gz = dest / name, dest / f"{name}.gz"
        # checked only for a rejected plain file: a valid one beside its .gz is torchvision's layout
        rejected = defect is not None and plain.is_file() and gz.is_file()
        if rejected and _defect(gz, name, names[name]) is None:
            # left where it cannot be removed: reading falls back to the .gz (with a warning)
            with contextlib.suppress(OSError):
                plain.unlink()
            continue
        left[name] = defect
    return left


def _prepare(root: Path, dest: Path, needed: dict[str, str | None]) -> list[Path]:
    """Make ``dest`` (under ``root``) if missing and check it can be written; return the folders made.

    A folder that cannot be written is refused naming the files it would have to take, and why a
    file already there was rejected."""
    created: list[Path] = []
    try:
        created = missing_folders(dest)
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file on the path, a folder that cannot be written
        remove_empty_folders(created)
        raise UsageError(
            f"root must be a folder that can hold the download, got {str(root)!r} "
            f"({_why(exc, dest)}); pass a folder you can write to"
        ) from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise UsageError(
            f"root must be a folder that can hold the download, got {str(root)!r} (not "
            f"writable, and {_needs(dest, needed)}); pass a folder you can write to"
        )
    return created


def _needs(dest: Path, needed: dict[str, str | None]) -> str:
    """Say which files ``dest`` lacks, and why those there were rejected."""
    missing = [f"{name}.gz" for name, defect in needed.items() if defect is None]
    rejected = [defect for defect in needed.values() if defect is not None]
    said = []
    if missing:
        said.append(f"{dest} lacks {', '.join(missing)}")
    if rejected:
        said.append(f"rejected {'; '.join(rejected)}")
    return " and ".join(said)


def _download_needed(
    dest: Path,
    names: dict[str, tuple[int, str]],
    needed: dict[str, str | None],
    mirrors: Sequence[str],
    *,
    timeout: float,
    progress: bool,
    made: list[Path],
) -> None:
    """Download each file in ``needed`` (missing or rejected) into ``dest``, the last good mirror
    first; ``made`` lists the folders to remove if it fails (see :func:`try_mirror`)."""
    order = list(mirrors)
    for name, defect in needed.items():
        current = _current(dest, name)
        good = _download_one(
            name,
            names[name],
            dest,
            order,
            timeout=timeout,
            progress=progress,
            made=made,
            defect=defect,
        )
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
    it does not answer (or finish its response headers) within ``timeout``, sends fewer than
    ``MIN_BYTES_PER_SECOND * timeout`` bytes in ``timeout`` seconds, sends more than a gzip of the
    file can hold, or sends the wrong file; a redirect is followed to http(s) URLs only. A damaged
    plain file that hides a valid ``.gz`` beside it (an extraction cut short) is removed instead.

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
        UsageError: ``root`` is not a folder, or cannot be written while some file is missing.
        DatasetError: every mirror failed for some file (the message lists each failure, the local
            file rejected if one was, and the fix), or the file cannot be saved on this machine
            (a full disk, a folder in the way; :class:`~linearnets.data.fetch.LocalFileError`).

    See D2L §3.5.1.
    """
    names = checksums or FASHION_MNIST_FILES
    timeout = check_positive_float("timeout", timeout, fix="pass e.g. timeout=30")
    check_mirrors(mirrors)
    root = expand_user("root", root)
    dest = _locate(root, names)
    remove_stale_parts(dest, names)  # nothing to clean (or no right to) is no error
    try:
        needed = _unshadow(dest, names, _defects(root, dest, names))
    except OtherContentError as exc:  # a .gz beside a rejected plain file
        raise _kept(root, [exc.path]) from None
    if not needed:
        return dest  # nothing to write: the folder need not be writable
    created = _prepare(root, dest, needed)
    try:
        _download_needed(
            dest, names, needed, mirrors, timeout=timeout, progress=progress, made=created
        )
    except BaseException:
        remove_empty_folders(created)  # no empty FashionMNIST/raw stays behind (also on Ctrl-C)
        raise
    return dest
