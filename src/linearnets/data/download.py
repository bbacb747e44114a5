"""Downloading Fashion-MNIST where a network exists: mirror by mirror, verified, atomic (D2L §3.5.1).

This module orchestrates: where the files go (the layout that already holds some, else
``root/FashionMNIST/raw``) and which must be downloaded
(:mod:`linearnets.data.download_destination`), the mirrors accepted
(:mod:`linearnets.data.mirrors`), and the order they are tried in for each file, the last good one
first (:mod:`linearnets.data.mirror_order`); :mod:`linearnets.data.fetch` moves one file from one
mirror into place, verified and atomically. A mirror fails, and the next one is tried, when it sends
more than a gzip of the file can hold or sends slower than :data:`MIN_BYTES_PER_SECOND`. Temporary
files of a download that was killed are removed by the next one; a failed call also removes the
empty folders it made. Files already present and valid are not downloaded again, and then nothing is
written: a read-only folder holding the four valid files is fine (torchvision skips the download
too). A damaged plain file beside a valid ``.gz`` (torchvision's ``raw/`` holds both, and an
extraction cut short leaves a truncated plain file) is removed, not downloaded again. A failure on
this machine (a full disk, a folder where a file goes) stops the download at once: no other mirror
can fix it. A Ctrl-C or SIGTERM while the files are fetched raises :class:`DownloadInterrupted`,
which says what stays: the files verified, or the folders made for the download, removed again.
Messages speak the Python API's words (``root=DIR``); the command line prints its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from linearnets._fs import remove_empty_folders
from linearnets._signals import first_signal
from linearnets._text import shown_path
from linearnets.data.download_destination import (
    locate,
    needed_files,
    prepare_folder,
    refuse_apart,
    refuse_misspelled,
)
from linearnets.data.fetch import MIN_BYTES_PER_SECOND, remove_stale_parts
from linearnets.data.folder_contents import FASHION_MNIST_FILES, current_file

# the fixes a failed download's message ends with: importable from here, as before the split
from linearnets.data.mirror_order import ANSWERED_FIX as ANSWERED_FIX
from linearnets.data.mirror_order import CERTIFICATE_FIX as CERTIFICATE_FIX
from linearnets.data.mirror_order import NO_NETWORK_FIX as NO_NETWORK_FIX
from linearnets.data.mirror_order import NOT_TLS_FIX as NOT_TLS_FIX
from linearnets.data.mirror_order import PORTAL_FIX as PORTAL_FIX
from linearnets.data.mirror_order import REFUSED_FIX as REFUSED_FIX
from linearnets.data.mirror_order import STALLED_FIX as STALLED_FIX
from linearnets.data.mirror_order import UNFINISHED_FIX as UNFINISHED_FIX
from linearnets.data.mirror_order import download_needed
from linearnets.data.mirrors import DEFAULT_MIRRORS, check_mirrors
from linearnets.path_checks import expand_user
from linearnets.validation import check_bool, check_positive_float

__all__ = [
    "DEFAULT_MIRRORS",
    "MIN_BYTES_PER_SECOND",
    "DownloadInterrupted",
    "download_fashion_mnist",
]


class DownloadInterrupted(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM while the files were fetched (a ``KeyboardInterrupt``): what it left.

    Each file is written whole or not at all, so the files verified stay (those valid before and
    those fetched); the folders made for the download are removed again while empty.

    Attributes:
        signal_name: "SIGINT" or "SIGTERM".
        folder: where the files go.
        kept: the verified files in ``folder``.
        missing: the files still to fetch, as downloaded (``<name>.gz``).
        removed: the folders made for the download and removed again, the innermost first.
    """

    def __init__(
        self,
        signal_name: str,
        *,
        folder: Path,
        kept: list[Path],
        missing: list[str],
        removed: list[Path],
    ) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.folder = folder
        self.kept = kept
        self.missing = missing
        self.removed = removed

    def __str__(self) -> str:
        return self.describe(again="try again (the same call)")

    def describe(self, *, again: str) -> str:
        """Say what the stop left and how to go on (``again``: e.g. "run the same command again")."""
        head = f"interrupted by {self.signal_name} during the download"
        folder = shown_path(self.folder)
        if not self.missing:  # stopped after the last file was in place
            return f"{head}, once every file was verified; they are in {folder}"
        if self.kept:
            other = "the other one" if len(self.missing) == 1 else f"the other {len(self.missing)}"
            return (
                f"{head}; the files verified stay in {folder}: "
                f"{', '.join(path.name for path in self.kept)} (none is left cut short): {again} "
                f"to fetch {other}"
            )
        if self.removed:
            made = shown_path(self.removed[-1])
            left = f"{made}, made for the download, was removed"
        else:
            left = f"none is left cut short in {folder}"
        return f"{head}, before any file was verified; {left}: {again} to download the files"


def download_fashion_mnist(
    root: str | Path,
    *,
    mirrors: Iterable[str] = DEFAULT_MIRRORS,
    checksums: dict[str, tuple[int, str]] | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download the Fashion-MNIST files missing or corrupt under ``root`` and return their folder.

    The files go where some of them already are: ``root`` itself or ``root/FashionMNIST/raw``
    (torchvision's layout, found later without arguments when ``root`` is ``data`` or ``../data``),
    which is also where they go when ``root`` holds none; where the other layout holds valid copies
    of the files missing there, nothing is fetched: the download is refused, saying which to move
    (a second copy of them was fetched before). A mirror fails, and the next is tried, when
    it does not answer (or finish its response headers) within ``timeout``, sends fewer than
    ``MIN_BYTES_PER_SECOND * timeout`` bytes in ``timeout`` seconds, sends more than a gzip of the
    file can hold, or sends the wrong file; a redirect is followed to http(s) URLs only. A damaged
    plain file that hides a valid ``.gz`` beside it (an extraction cut short) is removed instead;
    one of Fashion-MNIST's size but another MD5 (maybe another dataset's) is kept, with a warning.

    Args:
        root: the folder to download into; created if missing (and removed again, if still empty,
            when the download fails).
        mirrors: base URLs (http or https) tried in order for each file; the one that served the
            last file is tried first for the next. Any iterable of them (a list, a generator),
            read once.
        checksums: each file name with its decompressed (size, MD5); default: the real Fashion-MNIST.
        timeout: seconds to wait for a mirror to answer, and the window of its minimum speed.
        progress: True or False: show a progress bar per file (tqdm, on stderr, when stderr is a
            terminal).

    Returns:
        The folder holding the four verified files.

    Raises:
        DownloadInterrupted: a Ctrl-C or SIGTERM while the files were fetched (a
            ``KeyboardInterrupt``); it says which files stay and which are still to fetch.
        UsageError: ``mirrors``, ``timeout`` or ``progress`` is refused (before anything is made:
            ``progress="False"`` is no bool), or ``root`` is not a folder, or cannot be written
            while some file is missing, or is a ``FashionMNIST`` folder holding none of the files
            (pass the folder above), or holds valid copies of the files missing beside the
            others in its other layout (``root`` or ``root/FashionMNIST/raw``: move them, the
            message says how; nothing is fetched).
        DatasetError: every mirror failed for some file (the message lists each failure, the local
            file rejected if one was, and the fix), or the file cannot be saved on this machine
            (a full disk, a folder in the way; :class:`~linearnets.data.fetch.LocalFileError`).

    See D2L §3.5.1.
    """
    names = checksums or FASHION_MNIST_FILES
    timeout = check_positive_float("timeout", timeout, fix="pass e.g. timeout=30")
    progress = check_bool("progress", progress)  # progress="False" is truthy
    urls = check_mirrors(mirrors)  # read once: a generator is used up by the check
    root = expand_user("root", root)
    dest = locate(root, names)
    remove_stale_parts(dest, names)  # nothing to clean (or no right to) is no error
    needed = needed_files(root, dest, names)
    if not needed:
        return dest  # nothing to write: the folder need not be writable
    refuse_apart(root, dest, names, needed)  # valid in the other layout: not fetched twice
    refuse_misspelled(root, names, needed)  # under a near-miss name: renamed, not fetched again
    created = prepare_folder(root, dest, needed)
    done: list[str] = []
    try:
        download_needed(
            dest,
            names,
            needed,
            urls,
            timeout=timeout,
            progress=progress,
            made=created,
            done=done,
        )
    except BaseException as exc:
        remove_empty_folders(created)  # no empty FashionMNIST/raw stays behind (also on Ctrl-C)
        if isinstance(exc, KeyboardInterrupt):
            raise _interrupted(exc, dest, names, needed, done, created) from None
        raise
    return dest


def _interrupted(
    exc: KeyboardInterrupt,
    dest: Path,
    names: dict[str, tuple[int, str]],
    needed: dict[str, str | None],
    done: list[str],
    created: list[Path],
) -> DownloadInterrupted:
    """Return the stop ``exc`` as a :class:`DownloadInterrupted`: of ``needed``, the files ``done``
    are in place; the others in ``names`` were valid before; of ``created``, those gone were
    removed."""
    kept = [
        dest / f"{name}.gz" if name in done else current_file(dest, name)
        for name in names
        if name not in needed or name in done
    ]
    return DownloadInterrupted(
        first_signal(exc),
        folder=dest,
        kept=[path for path in kept if path is not None],
        missing=[f"{name}.gz" for name in needed if name not in done],
        removed=[folder for folder in created if not os.path.lexists(folder)],
    )
