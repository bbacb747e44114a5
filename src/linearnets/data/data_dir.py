"""The folder ``root`` names (``--data-dir``): the Fashion-MNIST files in it, or its refusal
naming what is wrong and the fix (D2L §3.5.1).

A root that cannot be reached is refused naming the folder in the way
(:class:`~linearnets.data.folder_contents.UnsearchableFolderError`); one that lacks the files says
which, and where it is torchvision's ``data/FashionMNIST``, one folder short, the root to pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from linearnets._text import quoted_path, shown_path
from linearnets.data.folder_contents import (
    FASHION_MNIST_FILES,
    HOW_TO_GET,
    FilesMissingError,
    Found,
    UnsearchableFolderError,
    current_file,
    files_in,
    layout_fix,
    missing_files,
    unsearchable_layout,
    wanted,
)
from linearnets.errors import UsageError, UsageTypeError
from linearnets.path_checks import (
    blank_fix,
    cannot_search,
    expand_user,
    link_problem,
    searchable_fix,
    unsearchable_folder,
)

__all__ = ["find_in_root", "folder_above", "torchvision_root_fix"]


def find_in_root(
    root: str | Path,
    names: dict[str, tuple[int, str]],
    *,
    how_to_get: Callable[[dict[str, tuple[int, str]]], str] = lambda names: HOW_TO_GET,
) -> Found:
    """Return the files in the folder ``root`` (``--data-dir``); refuse one that is not a folder or
    lacks some, the fix for the files missing told by ``how_to_get(names)``."""
    if not isinstance(root, str | os.PathLike):
        raise UsageTypeError(
            f"root must be a folder path (str or Path), got {root!r:.60}; pass e.g. root='~/data'"
        )
    root = expand_user("root", root)
    # "root" is --data-dir on the command line (linearnets.cli._report names it so); the path is
    # quoted: a folder named "batch_size=64" is no setting
    shown = quoted_path(root)
    blocked = unsearchable_folder(root)
    if blocked:  # else it would read as a folder that does not exist
        raise _unsearchable_root(shown, blocked)
    if root.exists() and not root.is_dir():
        raise UsageError(
            f"root must be an existing folder, got the file {shown}; {_file_fix(root, names)}"
        )
    if not root.is_dir():
        problem = link_problem(root)
        why = f", but {problem}" if problem else ""
        fix = blank_fix(root) or how_to_get(names)
        raise FilesMissingError(
            f"root must be an existing folder, got {shown}{why}; {fix}",
            why=f"but {problem}" if problem else "which does not exist",
        )
    paths = files_in(root, names)
    blocked = unsearchable_layout(root, names) if paths is None else None
    if blocked:  # else it would read as a folder lacking the files
        raise _unsearchable_root(shown, blocked)
    if paths is None:
        fix = torchvision_root_fix(root, names) or layout_fix(root, names) or how_to_get(names)
        why = f"which lacks {', '.join(missing_files(root, names))}"
        raise FilesMissingError(
            f"root must hold {wanted(names)} (or FashionMNIST/raw/ with them), got {shown}, "
            f"{why}; {fix}",
            why=why,
        )
    return Found(root, f"--data-dir {shown_path(root)}", paths)


def torchvision_root_fix(
    root: str | Path, names: dict[str, tuple[int, str]] | None = None
) -> str | None:
    """Return the fix for ``root``, which lacks the files ``names`` (default all four), where it is
    a ``FashionMNIST`` folder whose ``raw/`` holds them: ``data/FashionMNIST`` passed, one folder
    short of torchvision's layout, where installing or downloading them was the fix given; else
    ``None``."""
    root = Path(root)
    if Path(os.path.abspath(root)).name != "FashionMNIST" or not all(
        current_file(root / "raw", n) for n in names or FASHION_MNIST_FILES
    ):
        return None
    return (
        f"its raw/ holds them: pass root={str(folder_above(root))!r}, torchvision's root above "
        "FashionMNIST/raw/"
    )


def folder_above(root: Path) -> Path:
    """Return the folder above ``root``, as given where that names it, else by its absolute path:
    for ``.`` (or ``..``), ``.`` again, or ``..``'s own parent spelled ``.``, would be no fix."""
    return root.parent if root.name not in ("", "..") else Path(os.path.abspath(root)).parent


def _file_fix(root: Path, names: dict[str, tuple[int, str]]) -> str:
    """Return the fix for the file ``root``: where it is one of the data files itself, the folder
    that holds it; else (``/dev/null``, a script) that a folder holding the files is needed."""
    name = root.name.removesuffix(".gz")
    if name in names or name in FASHION_MNIST_FILES:
        return f"pass the folder that holds it ({quoted_path(root.parent)}) instead"
    return f"it is no Fashion-MNIST file: pass the folder that holds {wanted(names)} instead"


def _unsearchable_root(shown: str, blocked: tuple[Path, str]) -> UnsearchableFolderError:
    """Return the refusal of the root ``shown`` (quoted), on whose way a folder cannot be searched."""
    return UnsearchableFolderError(
        f"root must be a folder you can open, got {shown}, but {cannot_search(blocked)}; "
        f"{searchable_fix(blocked)}, or pass another folder"
    )
