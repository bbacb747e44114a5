"""Reading a user's numeric ``.csv`` file into one float64 table, every bad row or cell named by line.

A first row of names is a header only when *none* of its cells is a number: a first row with one bad
cell is bad data, reported by line, not silently skipped. Blank lines are skipped; every other row must
have the header's (or first row's) number of columns. A UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NoReturn

import numpy as np

from linearnets.errors import DatasetError, UsageError

__all__ = ["read_csv"]

# (line number in the file, the row's cells)
_Rows = list[tuple[int, list[str]]]


def read_csv(path: Path) -> np.ndarray:
    """Return a numeric CSV as an (N, columns) float64 array; a first row of names is a header.

    See the module docstring for which first row is a header, and which rows are skipped.
    """
    rows = _read_rows(path)
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if rows and all(_number(cell) is None for cell in rows[0][1]):
        header, rows = rows[0][1], rows[1:]
        columns = len(header)
    else:
        columns = len(rows[0][1]) if rows else 0
    if not rows:
        raise DatasetError(f"{path} holds no data rows; the last column of each row must be y")
    if columns < 2:
        _refuse_one_column(path, rows[0][1][0], columns)
    return _table(path, rows, columns)


def _number(text: str) -> float | None:
    """Return the cell as a float, or ``None`` when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def _read_rows(path: Path) -> _Rows:
    """Return the non-empty rows of the CSV at ``path`` with their line numbers; name an unreadable file."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return [(line, row) for line, row in enumerate(csv.reader(f), start=1) if row]
    except PermissionError as exc:
        raise UsageError(
            f"--data {path} cannot be read ({exc.strerror}); check the file's permissions"
        ) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{path} is not a UTF-8 CSV text file ({exc}); save it as CSV (UTF-8), comma-separated"
        ) from None
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KiB limit
        raise DatasetError(
            f"{path} is not a readable CSV file ({exc}); save it as CSV (UTF-8), comma-separated, "
            "one number per cell"
        ) from None


def _refuse_one_column(path: Path, first_cell: str, columns: int) -> NoReturn:
    """Refuse a table of fewer than 2 columns, naming the separator when it is not a comma."""
    first = first_cell.strip()
    for sep in (";", "\t", " "):
        if sep in first:
            raise DatasetError(
                f"{path} is not a numeric CSV: its values are separated by {sep!r}, not commas; "
                "save it comma-separated"
            )
    raise DatasetError(f"{path} must have at least 2 columns (features, then y), got {columns}")


def _table(path: Path, rows: _Rows, columns: int) -> np.ndarray:
    """Return ``rows`` as a float64 array (len(rows), columns); refuse a ragged row or a non-number."""
    table = np.empty((len(rows), columns))
    for i, (line, row) in enumerate(rows):
        if len(row) != columns:
            raise DatasetError(
                f"{path}: line {line} has {len(row)} columns, the others {columns}; every row "
                "must hold the same features, then y"
            )
        for j, cell in enumerate(row):
            value = _number(cell)
            if value is None:
                raise DatasetError(
                    f"{path} is not a numeric CSV: line {line}, column {j + 1} holds {cell!r:.30}; "
                    "every cell must be a number (a first row of column names is allowed)"
                )
            table[i, j] = value
    return table
