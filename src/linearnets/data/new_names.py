"""Names for the files a fix advises writing beside the user's data: never one that exists.

The shell empties the target of ``>`` before the command reads anything, and pandas' ``to_csv``
overwrites it: advice naming ``t.csv`` beside ``t.csv.gz`` (or ``table.csv`` in the current
folder) would destroy a file the user has. Used by :mod:`linearnets.data.csv_text` (gunzip,
iconv) and :mod:`linearnets.data.csv_layout` (pandas' conversion).
"""

from __future__ import annotations

import os
from itertools import count
from pathlib import Path

__all__ = ["new_file_beside"]


def new_file_beside(path: Path, stem: str, suffix: str) -> Path:
    """Return the file ``stem + suffix`` in ``path``'s folder (``t.unzipped`` + ``.csv``), or,
    where a file (or link, or folder) of that name exists, the first of ``stem-2 + suffix``,
    ``stem-3 + suffix``, … that does not: a name no advised command overwrites."""
    for number in count(1):
        candidate = path.with_name(f"{stem}{'' if number == 1 else f'-{number}'}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise AssertionError("unreachable")  # count() never ends
