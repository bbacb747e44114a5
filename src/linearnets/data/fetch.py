"""Fetching one file from one mirror: streamed, size- and speed-limited, checked, atomic (D2L §3.5.1).

The file is streamed into a temporary file next to its destination, checked (decompressed size and
MD5), synced to disk and only then renamed into place with the usual permissions (``0o666`` less the
umask), so an interrupted or corrupt download never leaves a file that looks valid. The transfer
(:mod:`linearnets.data.transfer`) fails when the mirror has not sent its whole response headers within ``timeout`` seconds, sends
more than a gzip of the file can hold, or sends slower than :data:`MIN_BYTES_PER_SECOND`;
:func:`~linearnets.data.mirror_reasons.failure_reason` (or the error itself) says why in a few words. A mirror that serves the file
not gzipped has it gzipped here, so every download is a ``.gz`` that gzip tools read. Temporary files
are locked while written, so the next download removes those of a killed one at once
(:func:`remove_stale_parts`); a folder another download's clean-up removed meanwhile is made again.
A failure on this machine (a full disk, a folder in the way) is a :class:`LocalFileError`, which no
other mirror can fix. A failure after a redirect names the URL it went to
(:class:`~linearnets.data.http_deadline.RedirectError`). A gzip stream cut short in a body that
ended with the connection's close (no length announced) is a transfer cut short, and so is the
plain file cut short there, or an empty body
(:class:`~linearnets.data.http_deadline.UnfinishedError`: another try may get it whole).
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from linearnets._fs import DISK_FULL, missing_folders, new_file_mode
from linearnets._text import shown_path
from linearnets.data.folder_contents import FASHION_MNIST_FILES
from linearnets.data.http_deadline import UnfinishedError
from linearnets.data.idx import (
    GZIP_MAGIC,
    UINT8,
    TruncatedGzipError,
    inflate_chunks,
    looks_like,
)
from linearnets.data.locked_temps import open_locked_temp, remove_stale_temps
from linearnets.data.transfer import (
    MIN_BYTES_PER_SECOND,
    DiskError,
    Fetched,
    failed_at,
    fetch_url,
    on_disk,
)
from linearnets.errors import DatasetError

__all__ = [
    "MIN_BYTES_PER_SECOND",
    "LocalFileError",
    "remove_stale_parts",
    "try_mirror",
]

# how an IDX file of unsigned bytes starts (two zero bytes and the type 0x08; then its number of
# dimensions): Fashion-MNIST's files, not gzipped
_IDX_START = bytes((0, 0, UINT8))
PART_SUFFIX = ".part"  # temporary files: .NAME.gz.XXXXXXXX.part (mkstemp's 8 characters)
OPEN_TRIES = 3  # a folder removed under a download is made again this many times at most


class LocalFileError(DatasetError):
    """Saving a download on this machine failed (a full disk, a folder in the way): no mirror's fault.

    Attributes:
        problem: what failed, "cannot save the download as PATH (REASON)".
        fix: what to do about it.
    """

    def __init__(self, problem: str, fix: str = "") -> None:  # one argument: as unpickled
        super().__init__(f"{problem}; {fix}" if fix else problem)
        self.problem, self.fix = problem, fix


def local_error(exc: OSError, target: Path) -> LocalFileError:
    """Return the error for a failure to save ``target``: the path, the problem and the fix (in the
    Python API's words, ``root=DIR``: the command line prints ``--data-dir DIR``)."""
    problem, other = exc.strerror or type(exc).__name__, "or pass root=DIR to download elsewhere"
    # the same call (download_fashion_mnist, FashionMNIST(download=True), ...) then fetches only
    # the files not yet verified: named neutrally, as the user may have called either
    if exc.errno in DISK_FULL:
        fix = (
            f"free some space on the disk that holds {shown_path(target.parent)} and "
            f"try again (the same call), {other}"
        )
    elif exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
        problem = f"{problem}: a folder is in the way" if target.is_dir() else problem
        fix = f"move {shown_path(target)} away, {other}"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "pass root=DIR, a folder you can write to"
    else:
        fix = f"check that disk, {other}"
    return LocalFileError(f"cannot save the download as {shown_path(target)} ({problem})", fix)


def remove_stale_parts(folder: Path, names: Iterable[str]) -> None:
    """Delete this module's temporary files in ``folder`` left by killed downloads (SIGTERM, kill -9).

    A running download holds its file locked from creation to rename, so any such file nobody holds
    is a dead one's, however recent; links, folders and FIFOs named like one are left alone.
    """
    pattern = re.compile(
        "|".join(rf"\.{re.escape(n)}\.gz\.[a-z0-9_]{{8}}{re.escape(PART_SUFFIX)}" for n in names)
    )
    remove_stale_temps(folder, pattern)


def _check(tmp: Path, expected: tuple[int, str], name: str) -> bytes | None:
    """Raise DatasetError unless ``tmp`` holds the file ``name`` of ``expected`` (its decompressed
    size and MD5); return its content if ``tmp`` is not gzipped (``None`` if it is).

    A gzip is inflated up to the longest Fashion-MNIST file, no further (memory stays bounded),
    so that the file of the set a mirror sent under another name is named (as reading it from a
    folder names it), and the size of another file is told."""
    size, md5 = expected
    with on_disk():
        body = tmp.read_bytes()
    # the mirror's reason only: the fix is the caller's ("without a network, ..."), and the file
    # this would tell to delete is already gone
    data = body
    if body.startswith(GZIP_MAGIC):
        most = max(size, _LONGEST)
        chunks = inflate_chunks(
            body, name="the file it sent", limit=most, chunk_size=most + 1, fix=False
        )
        data = b"".join(chunks)
        if len(data) > most:
            raise DatasetError(
                f"expected {size} bytes once decompressed, got more than {most}{looks_like(data)}"
            )
    elif len(body) != size:
        raise DatasetError(
            f"expected a gzip file or the {size}-byte file itself, got {len(body)} bytes that are "
            f"neither{looks_like(body) or _sent_instead(body, name)}"
        )
    if len(data) != size:
        raise DatasetError(
            f"expected {size} bytes once decompressed, got {len(data)}"
            f"{looks_like(data) or _sent_instead(data, name)}"
        )
    found = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if found != md5:
        raise DatasetError(f"expected MD5 {md5} once decompressed, got {found}")
    return None if body.startswith(GZIP_MAGIC) else data


def _as_cut(exc: DatasetError, fetched: Fetched, tmp: Path, size: int) -> DatasetError:
    """Return the check's failure ``exc`` of the body ``tmp`` holds (the file of ``size`` bytes
    expected): a body that only the connection's close ended, and that stops in the middle of a
    gzip stream or of the plain file (or holds no byte), is the transfer cut short, not the
    mirror's file (told "pass other mirrors"); any other failure is ``exc``, a whole IDX file of
    another size too (shorter than ``size``, as long as its own header says: another file)."""
    if not fetched.close_delimited:
        return exc
    with on_disk(), tmp.open("rb") as f:
        head = f.read(len(_IDX_START) + 1)
        dims = f.read(4 * head[3]) if len(head) == 4 else b""
        received = f.seek(0, os.SEEK_END)
    if isinstance(exc, TruncatedGzipError):
        where = "in the middle of the gzip stream"
    elif not received:
        where = "before any byte of the file"
    elif received < min(size, _idx_size(head, dims)) and _IDX_START.startswith(head[:3]):
        where = "in the middle of the file"  # the plain file's start: an IDX header
    else:
        return exc  # a whole IDX file, of another size (another file): the mirror's answer
    return UnfinishedError(
        f"the connection closed after {received} bytes, {where} (truncated; no length was "
        "announced)"
    )


def _idx_size(head: bytes, dims: bytes) -> float:
    """Return the size in bytes of the uint8 IDX file whose first bytes are ``head`` (its magic
    number: 0, 0, the type, the number of dimensions) and ``dims`` (each dimension, 4 bytes big
    endian), as its header says; infinite where the header itself is cut short."""
    if len(head) < 4 or len(dims) < 4 * head[3]:
        return float("inf")
    count = 1
    for i in range(head[3]):
        count *= int.from_bytes(dims[4 * i : 4 * i + 4], "big")
    return 4 + len(dims) + count


_LONGEST = max(size for size, _ in FASHION_MNIST_FILES.values())  # train-images: 47,040,016


def _sent_instead(content: bytes, name: str) -> str:
    """Say which Fashion-MNIST file ``content``, not the file ``name``, is, by its size and MD5:
    ``, the size and MD5 of OTHER: the mirror sent OTHER under the name of NAME`` (a mirror whose
    files are swapped or copied over each other); ``""`` for none (hashed only where its size is
    one of theirs)."""
    if all(len(content) != size for size, _ in FASHION_MNIST_FILES.values()):
        return ""
    found = (len(content), hashlib.md5(content, usedforsecurity=False).hexdigest())
    other = next((n for n, known in FASHION_MNIST_FILES.items() if known == found), name)
    if other == name:
        return ""
    return f", the size and MD5 of {other}: the mirror sent {other} under the name of {name}"


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


def try_mirror(
    url: str,
    name: str,
    expected: tuple[int, str],
    dest: Path,
    *,
    timeout: float,
    progress: bool,
    made: list[Path] | None = None,
) -> None:
    """Download ``url`` into ``dest/name.gz`` through a locked temporary file; raise if it fails.

    Args:
        made: the folders the caller made for the download, to remove if it fails: those this call
            makes again are added (another download that failed removed them while empty).

    Raises:
        LocalFileError: the file cannot be saved in ``dest`` (a full disk, a folder in its place).
        DatasetError, OSError, http.client.HTTPException, ValueError: the mirror failed.
    """
    target = dest / f"{name}.gz"
    if target.is_dir() and not target.is_symlink():  # known before any byte is fetched
        raise local_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)), target)
    try:
        _save(url, name, expected, dest, target, timeout=timeout, progress=progress, made=made)
    except DiskError as exc:
        raise local_error(exc.error, target) from None


def _open_part(dest: Path, name: str, made: list[Path]) -> tuple[BinaryIO, Path]:
    """Create the locked temporary file for ``name`` in ``dest``; make ``dest`` again (adding the
    folders made to ``made``) if it is gone.

    Two downloads into one new folder: the first to fail removes the folders it made, empty until
    the other one's temporary file is in them.
    """
    prefix = f".{name}.gz."
    for _ in range(OPEN_TRIES - 1):
        try:
            return open_locked_temp(dest, prefix=prefix, suffix=PART_SUFFIX)
        except FileNotFoundError:
            made.extend(missing_folders(dest))
            dest.mkdir(parents=True, exist_ok=True)
    return open_locked_temp(dest, prefix=prefix, suffix=PART_SUFFIX)


def _save(
    url: str,
    name: str,
    expected: tuple[int, str],
    dest: Path,
    target: Path,
    *,
    timeout: float,
    progress: bool,
    made: list[Path] | None,
) -> None:
    """Download ``url`` into ``target``; local OSErrors come out as :class:`DiskError`."""
    with on_disk():
        f, tmp = _open_part(dest, name, made if made is not None else [])
    try:
        with f:  # locked until the rename: another call's clean-up leaves this file alone
            desc = f"{name}.gz"
            fetched = fetch_url(
                url, f, size=expected[0], timeout=timeout, progress=progress, desc=desc
            )
            try:
                plain = _check(tmp, expected, name)
            except DatasetError as exc:
                raise failed_at(url, fetched.url, _as_cut(exc, fetched, tmp, expected[0])) from None
            with on_disk():
                if plain is not None:
                    _gzip_into(f, plain)
                os.fsync(f.fileno())  # on disk before the rename makes it visible
                os.chmod(tmp, new_file_mode())  # not mkstemp's 0o600: a shared folder is readable
                if sys.platform != "win32":
                    os.replace(tmp, target)
        if sys.platform == "win32":  # where only a closed file can be renamed (or deleted)
            with on_disk():
                os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # also on Ctrl-C: no partial file stays behind
