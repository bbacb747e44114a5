"""Where matplotlib keeps its settings and font cache when the user's home cannot hold them.

matplotlib keeps them in ``~/.config/matplotlib`` and ``~/.cache/matplotlib`` (``~/.matplotlib``
off Linux). With a home it cannot write (``HOME=/proc``, a service account's, a read-only
container) it made a temporary folder, said so in two lines of its log on stderr ("Matplotlib
created a temporary cache directory ... set the MPLCONFIGDIR environment variable"), in the
middle of a command's output, and built its font list again in each run; the folder, removed at
exit by ``atexit``, stayed behind, as the command leaves by ``os._exit``. Here ``MPLCONFIGDIR`` is
pointed, before matplotlib is imported, at a folder of this user's in the temporary folder, kept
from run to run: only where the user set no ``MPLCONFIGDIR`` (theirs is taken as it is, warning
and all) and matplotlib's own folders cannot be written. Its name taken (a file, a link, another
user's folder), the next of a few fixed names is taken, the same in each run; never a new
folder per run, which no exit removes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["OWN_FOLDER_PREFIX", "settle_config_dir"]

# the folder's name in the temporary folder, the user's id after it
OWN_FOLDER_PREFIX = "linearnets-matplotlib-"
# the names tried after it where it is taken (-1, -2, ...): each run finds the same one, so none
# piles up; all of them taken by others (a shared /tmp), matplotlib makes its own and says so
_ALTERNATIVES = 8


def settle_config_dir() -> None:
    """Set ``MPLCONFIGDIR`` to this user's folder in the temporary folder (:func:`_own_folder`)
    where it is unset and matplotlib's default folders cannot be written; call it before
    matplotlib is imported (once it is, its folders are chosen: nothing is done)."""
    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return
    if all(_writable(folder) for folder in _default_folders()):
        return
    own = _own_folder()
    if own is not None:  # none: matplotlib makes its own temporary one, and says so
        os.environ["MPLCONFIGDIR"] = str(own)


def _default_folders() -> list[Path | None]:
    """Return the folders matplotlib keeps its settings and cache in without ``MPLCONFIGDIR``
    (``None`` for one under a home that cannot be told); none on Windows, whose are in the
    user's profile."""
    if sys.platform == "win32":
        return []
    try:
        home = Path.home()
    except RuntimeError:  # no HOME, and no entry for the user in the password database
        return [None]
    if not sys.platform.startswith(("linux", "freebsd")):
        return [home / ".matplotlib"]
    return [
        Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config", "matplotlib"),
        Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache", "matplotlib"),
    ]


def _writable(folder: Path | None) -> bool:
    """Return whether matplotlib can keep its files in ``folder``, as it tells: it makes the
    folder (and those above it) where missing, then needs to write in it."""
    if folder is None:
        return False
    try:
        folder = folder.resolve()
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop of symbolic links
        return False
    return folder.is_dir() and os.access(folder, os.W_OK)


def _own_folder() -> Path | None:
    """Return this user's folder for matplotlib in the temporary folder, made where missing
    (``/tmp/linearnets-matplotlib-UID``, mode 700), kept from run to run so that its font list
    is built once; ``None`` where none can be had (matplotlib then makes its own, and says so).

    A name taken by anything but a folder of this user's that others cannot write (a file, a
    link, another user's folder: its font list would be theirs to choose) is passed over for the
    next of a few fixed names (``...-UID-1`` to ``...-UID-8``): the same one from run to run.
    A new mkdtemp folder in each run, as before, was left behind by every one (the command leaves
    by ``os._exit``), silently: the leak this module was made to end."""
    uid = os.getuid()
    stem = Path(tempfile.gettempdir(), f"{OWN_FOLDER_PREFIX}{uid}")
    for n in range(_ALTERNATIVES + 1):
        folder = stem.with_name(f"{stem.name}-{n}") if n else stem
        try:
            with contextlib.suppress(FileExistsError):  # a file, or a link to nowhere: told below
                folder.mkdir(mode=0o700, exist_ok=True)
            if _private(os.lstat(folder), uid) and os.access(folder, os.W_OK):
                return folder
        except OSError:
            return None  # the temporary folder cannot be written in: no other name can be made
    return None


def _private(info: os.stat_result, uid: int) -> bool:
    """Return whether ``info`` (an lstat's) is a folder (no link) of ``uid``'s others cannot
    write in."""
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == uid
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )
