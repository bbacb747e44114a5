"""A path as a run records it: absolute, its ``..`` gone, its symlinks kept (D2L §3.2.7: a run
folder's ``config.json`` is read back from anywhere by a resume or by ``linearnets predict``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["absolute_path", "same_folder"]


def absolute_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a run records it: absolute, its ``.`` and ``..`` parts gone
    (``../d.csv`` in ``/tmp/x`` as ``/tmp/d.csv``, not ``/tmp/x/../d.csv``), its symlinks kept,
    not resolved (``os.path.abspath``'s way).

    Where dropping a ``..`` would name another file (``link/../d.csv``, ``link`` a symlink to a
    folder elsewhere: the ``..`` is the target's parent), or the file cannot be found to tell, the
    path is made absolute only: a run must read, and record, the file or folder it was given.
    """
    absolute = Path(path).absolute()
    normal = Path(os.path.abspath(path))
    if normal == absolute:
        return normal
    try:
        return normal if os.path.samefile(normal, absolute) else absolute
    except OSError:  # either missing: reading the data names the file
        return absolute


def same_folder(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Return whether ``a`` and ``b`` name one folder: the same file where both exist (a link, a
    bind mount, another spelling), else by their resolved names (one not made yet, or gone: a
    link to it read as its target's, left dangling it still names it)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
