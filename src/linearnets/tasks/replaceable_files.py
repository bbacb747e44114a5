"""A folder where a run keeps a file: found, and refused before a resume rewrites anything.

Both tasks' resumes replace or remove their run files by rename or unlink, which a folder in the
file's place fails half-way (``[Errno 21] Is a directory``), after an earlier end's outputs are
gone. :func:`check_replaceable` refuses it up front, naming the folder and the fix, in the words
of :func:`~linearnets.tasks.resume.resume_softmax` and
:func:`~linearnets.tasks.linreg_resume.resume_linreg` alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from linearnets._text import shown_path
from linearnets.errors import UsageError

__all__ = ["check_replaceable", "folder_in_place"]


def folder_in_place(run_dir: Path, names: Iterable[str]) -> Path | None:
    """Return the first of ``names`` that is a folder in ``run_dir`` (not a link to one), or
    ``None``: no file of the run can be written there."""
    for name in names:
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            return path
    return None


def check_replaceable(run_dir: Path, *, names: Iterable[str], function: str) -> None:
    """Refuse, before anything is rewritten, a ``run_dir`` where one of the files ``names`` that
    the resume ``function`` (``"resume_softmax"``) replaces or removes is a folder.

    Read-only files are no obstacle: each is replaced by a rename, which only the folder's write
    permission allows or forbids.

    Raises:
        UsageError: the folder named, with its fix (move it out, then resume).
    """
    folder = folder_in_place(run_dir, names)
    if folder is not None:
        raise UsageError(
            f"linearnets.{function}({str(run_dir)!r}): the run folder holds a folder "
            f"{shown_path(folder)} where the run keeps a file, which resuming replaces; move "
            "that folder out of the run folder, then resume"
        )
