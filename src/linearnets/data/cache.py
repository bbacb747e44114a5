"""The cache of verified files: where it is, its index, and its entries read and written safely.

The cache folder is ``$LINEARNETS_CACHE_DIR``, else ``$XDG_CACHE_HOME/linearnets`` (an absolute
one), else ``~/.cache/linearnets``; it holds the index ``verified.json`` and the decompressed copies
that :mod:`linearnets.data.verify` keeps. A missing, corrupt or read-only cache only costs a
re-verification, never an error; so does no cache at all (:data:`NO_CACHE`: the default folder needs
an existing home folder, which a bare uid under ``env -i`` or ``HOME=/nonexistent`` lacks), and an
entry of the wrong kind (a folder or a FIFO where a file belongs), replaced when it can be (an empty
folder) and else left alone. Only a ``$LINEARNETS_CACHE_DIR`` that cannot be a folder, or that is
missing and cannot be made, is an error: it would turn the cache off for every run without a word;
so is a relative one, which would put a cache in each folder a command runs in.

Its temporary files are locked while written (:mod:`linearnets.data.locked_temps`), so the next run
removes those a killed one left.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from linearnets._json import loads_shallow
from linearnets._text import quoted_path, shown_path
from linearnets.data.locked_temps import open_locked_temp, remove_stale_temps, temp_pattern
from linearnets.errors import UsageError
from linearnets.path_checks import expand_user, link_problem

__all__ = [
    "NO_CACHE",
    "cache_dir",
    "commit_temp",
    "load_index",
    "new_buffer",
    "open_regular",
    "open_sink",
    "read_exact",
    "remove_killed_runs_temps",
    "replace_entry",
    "save_index",
]


# any copy's ".NAME.XXXXXXXX.tmp": the copies' folder holds nothing else
COPY_TEMP = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


# where no cache can be: every read and write under the null device fails (ENOTDIR), so the cache
# goes without, as a read-only one does
NO_CACHE = Path(os.devnull) / "linearnets"


def cache_dir() -> Path:
    """Return the folder for linearnets' cache: ``$LINEARNETS_CACHE_DIR``, else the XDG cache folder
    (:data:`NO_CACHE` when that needs a home folder and there is none).

    A relative ``$XDG_CACHE_HOME`` is ignored, as the XDG Base Directory spec says (the cache would
    move with the working folder). A home folder that does not exist counts as none: nothing is
    made there (``/nonexistent``, the home of Debian's system accounts, must never exist).

    Raises:
        UsageError: ``$LINEARNETS_CACHE_DIR`` starts with a ``~`` or ``~user`` that cannot be
            expanded, is relative, or cannot be a folder (it, or a folder it would be made in, is
            a file), or
            is missing and cannot be made (``/proc/x``, a read-only disk); it is made here.
    """
    env = os.environ.get("LINEARNETS_CACHE_DIR")
    if env:
        return _checked_cache_env(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "linearnets"
    home = _home()
    return NO_CACHE if home is None else home / ".cache" / "linearnets"


def _home() -> Path | None:
    """Return the home folder, or ``None`` where there is no existing one to keep a cache in."""
    if os.environ.get("HOME") == "":
        return None  # set but empty: Python's Path.home() would give "/"
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no user-database entry (env -i, a container's bare uid)
        return None
    # a relative HOME would move with the working folder; a missing one is not made
    return home if home.is_absolute() and os.path.isdir(home) else None


def _checked_cache_env(env: str) -> Path:
    """Return the folder ``$LINEARNETS_CACHE_DIR`` (``env``) names, made now if missing; refuse
    one that cannot be a folder or cannot be made, which would turn caching off without a word."""
    path = expand_user("LINEARNETS_CACHE_DIR", env)
    if not path.is_absolute():
        # refused, not resolved: each run is a new process, so a relative one put a cache in each
        # folder a command ran in (a relative XDG_CACHE_HOME is ignored, as the XDG spec says; one
        # set for linearnets alone is said, rather than dropped without a word)
        raise UsageError(
            f"LINEARNETS_CACHE_DIR must be an absolute path, got {quoted_path(env)}, which would put a cache "
            "in each folder a command runs in; point it at one (here, "
            f"{quoted_path(os.path.abspath(path))}), or unset it (unset LINEARNETS_CACHE_DIR) for the "
            "default cache folder"
        )
    # the nearest part that exists (a link followed) must be a folder for the cache to be made in
    existing = next((p for p in (path, *path.parents) if os.path.exists(p)), None)
    problem = link_problem(path)
    if existing is not None and not os.path.isdir(existing):
        problem = (
            "it is not a folder"
            if existing == path
            else f"{shown_path(existing)} is not a folder, so none can be made in it"
        )
    folder = "a folder"
    if not problem and existing != path:
        # made now, not at the first write: one that cannot be made (/proc/x, a read-only disk,
        # a folder of another user's) turned caching off without a word; a read-only cache that
        # exists is fine (it is read)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            failed = exc.filename if isinstance(exc.filename, str) else str(path)
            problem = f"{shown_path(failed)} cannot be made ({exc.strerror or type(exc).__name__})"
            folder = "a folder you can write to"
    if problem:
        raise UsageError(
            f"LINEARNETS_CACHE_DIR must name a folder for linearnets' cache of verified files "
            f"(made if missing), got {quoted_path(env)}, but {problem}; point it at {folder}, or unset it "
            "(unset LINEARNETS_CACHE_DIR) for the default cache folder"
        )
    return path


def load_index(path: Path) -> dict[str, Any]:
    """Return the index at ``path``, or an empty one if it is missing, corrupt or not a file."""
    f = open_regular(path)
    if f is None:
        return {}  # a missing index (or something else in its place) only costs a re-verification
    try:
        with f:
            index = loads_shallow(f.read())
    except (OSError, ValueError):
        return {}  # so does a corrupt one
    return index if isinstance(index, dict) else {}


def save_index(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Add ``entry`` to the index at ``path``, written atomically; failures are ignored."""
    index = load_index(path)  # re-read: another process may have added entries meanwhile
    index[key] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{path.name}."
        remove_stale_temps(path.parent, temp_pattern(prefix, ".tmp"))
        f, tmp = open_locked_temp(path.parent, prefix=prefix, suffix=".tmp")
    except OSError:
        return  # a read-only cache is not an error: the next run verifies again
    text = io.TextIOWrapper(f, encoding="utf-8")
    try:
        json.dump(index, text, indent=1, sort_keys=True)
        text.flush()
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            text.close()
        return
    commit_temp(text, tmp, path)


def remove_killed_runs_temps(index: Path, copies: Path) -> None:
    """Remove the temporary files killed runs left beside the index ``index`` and in the folder of
    the copies ``copies``, listing each folder once.

    A run that writes removes them itself (:func:`save_index`, :func:`open_sink`); one the cache
    answers calls this, so a run killed while another filled the cache leaves no partial copy for good.
    """
    remove_stale_temps(index.parent, temp_pattern(f".{index.name}.", ".tmp"))
    remove_stale_temps(copies, COPY_TEMP)


def commit_temp(f: IO[Any], tmp: Path, entry: Path) -> None:
    """Move the flushed temporary file ``f`` at ``tmp`` to ``entry`` and close it; never an error.

    Renamed while still open where the system allows it (not Windows), so the lock keeps another
    run's clean-up off the file until it has its final name.
    """
    if sys.platform == "win32":  # where only a closed file can be renamed
        with contextlib.suppress(OSError):
            f.close()
    replace_entry(tmp, entry)
    with contextlib.suppress(OSError):
        f.close()


def replace_entry(tmp: Path, entry: Path) -> None:
    """Move ``tmp`` to the cache entry ``entry``; if that fails, drop ``tmp`` (never an error).

    Whatever stands at ``entry`` is replaced when it can be: a file by the rename itself, an empty
    folder (e.g. made by mistake) by removing it first. Anything else keeps its place, and the cache
    simply goes without this entry.
    """
    for attempt in range(2):
        try:
            os.replace(tmp, entry)
            return
        except OSError:
            if attempt or not entry.is_dir() or entry.is_symlink():
                break
            try:
                entry.rmdir()  # only an empty folder; one with content is not ours to delete
            except OSError:
                break
    with contextlib.suppress(OSError):
        tmp.unlink()


def new_buffer(size: int) -> memoryview:
    """Return a new writable buffer of ``size`` bytes, not zeroed (its pages are touched when filled)."""
    return np.empty(size, dtype=np.uint8).data


def open_regular(path: Path) -> io.FileIO | None:
    """Open ``path`` unbuffered for reading if it is a regular file, else return ``None``.

    Opened without blocking, then checked, so a FIFO left where a cache entry should be cannot hang
    a run; a missing, unreadable or other kind of entry is ``None`` too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return io.FileIO(fd, "rb")
    except OSError:
        pass
    os.close(fd)
    return None


def read_exact(path: Path, size: int) -> memoryview | None:
    """Return the content of ``path`` in a new writable buffer if it is a file of exactly ``size`` bytes."""
    f = open_regular(path)
    if f is None:
        return None
    try:
        with f:
            buf = new_buffer(size)
            if f.readinto(buf) != size or f.read(1):
                return None
    except OSError:
        return None
    return buf


def open_sink(copy: Path) -> tuple[BinaryIO, Path] | None:
    """Return a locked temporary file next to ``copy`` and its path, or ``None`` if the cache is not
    writable; stale temporary files of killed runs in that folder are removed first."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(copy.parent, COPY_TEMP)
        return open_locked_temp(copy.parent, prefix=f".{copy.name}.", suffix=".tmp")
    except OSError:
        return None
