"""Whether a file can be made where a path setting puts it, and where it could be instead.

A folder's permissions or a read-only file system are told before anything is read or drawn
(:func:`unwritable_reason`); a write that failed is said in a few words without the temporary
file's name (:func:`write_refusal_reason`); the fix offers a folder this user can write in
(:func:`writable_example`). Used by the figures (:mod:`linearnets.plotting._out_path`,
:mod:`linearnets.plotting._mpl`) and the command line's ``data show`` and ``predict``.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from linearnets._paths import same_folder
from linearnets._text import shown_path
from linearnets.data.new_names import new_file_beside
from linearnets.path_checks import link_problem

__all__ = [
    "nearest_existing",
    "on_read_only_file_system",
    "unwritable_reason",
    "writable_example",
    "write_refusal_reason",
]


def unwritable_reason(path: Path) -> str | None:
    """Return why the file ``path`` cannot be made ("the folder F is not writable", "... is on a
    read-only file system"), told by its folder's permissions (or the nearest folder that exists,
    where the missing ones would be made) without writing; ``None`` where they allow it, or where
    the write itself is to say what stops it (a file in the folder's place)."""
    folder = nearest_existing(path.parent.absolute())
    if folder is None or not folder.is_dir() or os.access(folder, os.W_OK | os.X_OK):
        return None
    read_only = on_read_only_file_system(folder)  # where chmod cannot help
    refused = OSError(errno.EROFS, "") if read_only else PermissionError(errno.EACCES, "")
    return write_refusal_reason(refused, path)


def on_read_only_file_system(folder: Path) -> bool:
    """Return whether ``folder`` is on a file system mounted read-only (``False`` where that
    cannot be told: no ``statvfs`` on Windows)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):
        return False


def writable_example(file_name: str, refused: Path) -> str | None:
    """Return where ``file_name`` could be written instead of in the folder ``refused``: the bare
    name (in the working folder), ``~/file_name`` or the temporary folder's path, the first whose
    folder this user can write in and is not ``refused``; ``None`` where none is (a fix naming
    the same read-only folder failed again). Where that folder holds ``file_name`` already, the
    first name free there is offered (``figure-2.png``, :func:`new_file_beside`): following the
    advice overwrote the user's file."""
    home = os.path.expanduser("~")
    temporary = tempfile.gettempdir()
    for folder in (".", home, temporary):
        if folder == "~" or not os.access(folder, os.W_OK | os.X_OK):  # "~": no home known
            continue
        if not same_folder(folder, refused):
            name = Path(file_name)
            free = new_file_beside(Path(folder, file_name), name.stem, name.suffix).name
            if folder == ".":
                return free
            return f"~/{free}" if folder == home else os.path.join(temporary, free)
    return None


def write_refusal_reason(exc: OSError, path: Path) -> str:
    """Say why the folder of the file ``path``, or the file, could not be made (``exc``), without
    the temporary file's name."""
    problem = link_problem(path.parent)
    if problem:  # mkdir reports a link to nowhere as "File exists"
        return problem
    # by its full path: "the folder . is not writable" for a bare file name said little
    nearest = nearest_existing(path.parent.absolute())
    if isinstance(exc, FileExistsError | NotADirectoryError):
        where = f" ({shown_path(nearest)})" if nearest is not None and not nearest.is_dir() else ""
        return f"a part of its folder path{where} is a file, not a folder"
    if isinstance(exc, PermissionError):  # the folder to be made in may be further up
        return f"the folder {shown_path(nearest or path.parent)} is not writable"
    if exc.errno == errno.EROFS:  # chmod cannot help there
        return f"the folder {shown_path(nearest or path.parent)} is on a read-only file system"
    # "but No such file or directory" for /proc/x.png, whose folder exists: say what failed where
    where = shown_path(nearest or path.parent)
    return f"no file can be made in {where} ({exc.strerror or type(exc).__name__})"


def nearest_existing(folder: Path) -> Path | None:
    """Return ``folder`` or its nearest parent that exists; ``None`` if that cannot be told."""
    try:
        return next((p for p in (folder, *folder.parents) if p.exists()), None)
    except OSError:  # a folder on the way that cannot be searched
        return None
