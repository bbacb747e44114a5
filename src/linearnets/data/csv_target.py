"""A CSV header that names the target in a column other than the last, refused: the last column is
``y`` (D2L §3.1), so that table would fit one of its features from the others, silently.

A header name means the target when, stripped and in any case, it is one of :data:`TARGET_NAMES`;
a table whose last column has such a name too is read as it is, and so is one with a column named
``x``, whose ``y`` is a coordinate (``x,y,z``: z fitted from the point). A headerless table's
comment line above its data that holds one name per column (numpy's ``savetxt(...,
header="y,a,b")`` writes ``# y,a,b``; split on semicolons or tabs where it has no comma,
``# Y;A;B``, each name's quotes dropped, ``# "y","a","b"``) is checked the same way
(:func:`refuse_commented_target`), and is still skipped as a comment where it passes: a note
holding as many comma-separated parts as the table has columns reads as names, and is told it
may be reworded. A line divided by blanks alone is a note, never names: prose is (``# Target in
col3`` over three columns was refused), and only ``savetxt(..., delimiter=",", header="y a b")``
writes such names, rarely. Used by :mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linearnets._text import cut_text, printable, shown_path
from linearnets.errors import DatasetError

__all__ = ["TARGET_NAMES", "refuse_commented_target", "refuse_target_not_last"]

# names that plainly mean the target (compared stripped and lowercased)
TARGET_NAMES = ("y", "target", "targets", "label", "labels")


def refuse_commented_target(
    path: Path, comments: list[tuple[int, list[str]]], columns: int, *, is_number: Any
) -> None:
    """Refuse a headerless table whose ``comments`` above its data, (line, cells) each, hold a line
    of ``columns`` names (no cell a number by ``is_number``, which returns ``None`` for a name)
    naming the target in a column other than the last (:func:`refuse_target_not_last`):
    numpy's default ``savetxt(..., header="y,a,b")`` writes ``# y,a,b``, which is skipped as a
    comment, and the table would fit b from (y, a)."""
    for line, cells in comments:
        names = _comment_names([cells[0].lstrip().removeprefix("#"), *cells[1:]])
        if len(names) == columns and all(is_number(_plain(name)) is None for name in names):
            shown = cut_text(",".join(cells).strip(), most=58, keep=40)
            where = f" (the comment line {line}, {shown}, read as names)"
            refuse_target_not_last(path, names, where=where, numpy=True)


def _comment_names(cells: list[str]) -> list[str]:
    """Return the names a comment line's ``cells`` (split on commas, its '#' dropped) hold, each
    without the quotes around it: a line with no comma split on semicolons, else tabs
    (``# Y;A;B``), else one cell. Never on blanks: notes are words between blanks (``# y is
    price``, ``# label smoothing test``), read as names they were refused over three columns."""
    if len(cells) == 1:
        text = cells[0]
        separator = next((sep for sep in (";", "\t") if sep in text), None)
        cells = text.split(separator) if separator else cells
    return [cell.strip().strip("\"'") for cell in cells]


def refuse_target_not_last(
    path: Path, names: list[str], *, where: str = "", numpy: bool = False
) -> None:
    """Refuse the header ``names`` (one per column) where a column other than the last has a
    target's name (:data:`TARGET_NAMES`) and the last column has none: the last column is read
    as ``y``. ``where``: said after the file's name, where the names are not its header;
    ``numpy``: the fix is numpy's (the names are ``savetxt``'s header), else pandas'."""
    if not names or _is_target(names[-1]):
        return
    coordinates = any(_plain(name) == "x" for name in names)  # x,y,z: y is no target there
    for j, name in enumerate(names[:-1]):
        if _is_target(name) and not (coordinates and _plain(name) == "y"):
            fix = (
                "numpy: np.savetxt(path, np.c_[X, y], delimiter=',', header=...) with the "
                "target's column last"
                if numpy
                else f"pandas: df[[c for c in df if c != {name!r}] + [{name!r}]].to_csv(path, "
                "index=False)"
            )
            raise DatasetError(
                f"{shown_path(path)}{where}: column {j + 1} of {len(names)} is named "
                f"{printable(name.strip())!r}, a target's name, but the last column, which is "
                f"read as y, is named {printable(names[-1].strip())!r}: the model would fit that "
                f"column from the others; move the target to the last column ({fix}), or rename "
                "the column if it is a feature"
                # a note as wide as the table ("# Target, see column 3, units kg") reads so too
                + ("; if that comment is a note, not the column names, reword it" if where else "")
            )


def _is_target(name: str) -> bool:
    """Whether the header cell ``name`` plainly names the target."""
    return _plain(name) in TARGET_NAMES


def _plain(name: str) -> str:
    """Return the header cell ``name`` stripped, lowercased, without a leading '#' (``#x,y,z``)."""
    return name.strip().lstrip("#").strip().lower()
