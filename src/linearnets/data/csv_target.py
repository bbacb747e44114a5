"""A CSV header that names the target in a column other than the last, refused: the last column is
``y`` (D2L §3.1), so that table would fit one of its features from the others, silently.

A header name means the target when, stripped and in any case, it is one of :data:`TARGET_NAMES`;
a table whose last column has such a name too is read as it is, and so is one with a column named
``x``, whose ``y`` is a coordinate (``x,y,z``: z fitted from the point). Used by
:mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

from pathlib import Path

from linearnets._text import printable, shown_path
from linearnets.errors import DatasetError

__all__ = ["TARGET_NAMES", "refuse_target_not_last"]

# names that plainly mean the target (compared stripped and lowercased)
TARGET_NAMES = ("y", "target", "targets", "label", "labels")


def refuse_target_not_last(path: Path, names: list[str]) -> None:
    """Refuse the header ``names`` (one per column) where a column other than the last has a
    target's name (:data:`TARGET_NAMES`) and the last column has none: the last column is read
    as ``y``."""
    if not names or _is_target(names[-1]):
        return
    coordinates = any(_plain(name) == "x" for name in names)  # x,y,z: y is no target there
    for j, name in enumerate(names[:-1]):
        if _is_target(name) and not (coordinates and _plain(name) == "y"):
            raise DatasetError(
                f"{shown_path(path)}: column {j + 1} of {len(names)} is named "
                f"{printable(name.strip())!r}, a target's name, but the last column, which is "
                f"read as y, is named {printable(names[-1].strip())!r}: the model would fit that "
                "column from the others; move the target to the last column (pandas: "
                f"df[[c for c in df if c != {name!r}] + [{name!r}]].to_csv(path, index=False)), "
                "or rename the column if it is a feature"
            )


def _is_target(name: str) -> bool:
    """Whether the header cell ``name`` plainly names the target."""
    return _plain(name) in TARGET_NAMES


def _plain(name: str) -> str:
    """Return the header cell ``name`` stripped, lowercased, without a leading '#' (``#x,y,z``)."""
    return name.strip().lstrip("#").strip().lower()
