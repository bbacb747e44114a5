"""Reading a user's numeric ``.csv`` file into one float64 table, every bad row or cell named by line.

A first row of names is a header only when *none* of its cells is a number: a first row of numbers and
text (names such as 2019 or nan, or data with one bad cell) is refused with the fix for either, never
silently skipped. A cell is a number as numpy and pandas read one (``1_000`` is not). Blank lines are skipped; every other row must
have the header's (or first row's) number of columns. A UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import NoReturn

import numpy as np

from linearnets.errors import DatasetError, UsageError

__all__ = ["read_csv"]

# (line number in the file, the row's cells)
_Rows = list[tuple[int, list[str]]]


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return a numeric CSV as an (N, columns) float64 array and each row's line in the file (N,).

    A first row of names is a header. The cells must be numbers; NaN and inf cells are read as such,
    for the caller to refuse by their lines (as values past float32's range). See the module
    docstring for which first row is a header, and which rows are skipped.
    """
    rows = _read_rows(path)
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    first = rows[0] if rows else None
    if first is not None and all(_number(cell) is None for cell in first[1]):
        rows = rows[1:]  # a header
        if not first[1][0].strip():
            _refuse_unnamed_first_column(path)
    elif first is not None and _mixed(first[1]):
        _refuse_mixed_first_row(path, *first)
    if not rows or first is None:
        raise DatasetError(f"{path} holds no data rows; the last column of each row must be y")
    if len(first[1]) < 2:
        _refuse_one_column(path, first, [row for _, row in rows if row is not first[1]])
    lines = np.fromiter((line for line, _ in rows), dtype=np.int64, count=len(rows))  # (N,)
    return _table(path, rows, len(first[1])), lines


def _number(text: str) -> float | None:
    """Return the cell as a float, or ``None`` when it is not a number."""
    if "_" in text:  # Python's float() reads 1_000 as 1000; CSV readers (numpy, pandas) do not
        return None
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
            f"data={str(path)!r} cannot be read ({exc.strerror}); check the file's permissions"
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


def _refuse_unnamed_first_column(path: Path) -> NoReturn:
    """Refuse a header whose first cell is empty: most likely a pandas index, not a feature."""
    raise DatasetError(
        f"{path} has an unnamed first column (its header starts with an empty cell), as pandas' "
        "to_csv() writes its index: it would be read as a feature; save with "
        "df.to_csv(path, index=False) or drop that column"
    )


def _refuse_one_column(
    path: Path, first: tuple[int, list[str]], others: list[list[str]]
) -> NoReturn:
    """Refuse a first line of fewer than 2 columns, naming why: another separator than the comma
    (seen in the first line and the next), or a title or comment line above the table."""
    line, row = first
    # the csv module split the next line at its commas (decimal commas too): join it back
    following = ",".join(others[0]) if others else ""
    for sep in (";", "\t", " "):
        if sep in row[0] and (sep in following or not others):
            decimal = (
                ", with '.' as the decimal point (it has decimal commas)"
                if "," in following
                else ""
            )
            raise DatasetError(
                f"{path} is not a numeric CSV: its values are separated by {sep!r}, not commas; "
                f"save it comma-separated{decimal}"
            )
    counts = Counter(len(cells) for cells in others)
    if counts and counts.most_common(1)[0][0] > len(row):
        wider = counts.most_common(1)[0][0]
        raise DatasetError(
            f"{path}: line {line} has {len(row)} column, the other lines {wider}: a title or "
            f"comment line above the table ({row[0].strip()!r:.40})? delete it, so that the file "
            "starts with the column names or the data"
        )
    raise DatasetError(f"{path} must have at least 2 columns (features, then y), got {len(row)}")


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


def _mixed(row: list[str]) -> bool:
    """Whether a first row holds names and numbers: a header whose names include numbers."""
    numbers = [_number(cell) is not None for cell in row]
    return any(numbers) and not all(numbers)


def _refuse_mixed_first_row(path: Path, line: int, row: list[str]) -> NoReturn:
    """Refuse a first row of numbers and text: column names some of which read as numbers (2019,
    inf, nan), or a first data row with a bad cell; say what fixes either."""
    numbers = [cell.strip() for cell in row if _number(cell) is not None]
    others = [cell.strip() for cell in row if _number(cell) is None]

    def shown(cells: list[str]) -> str:
        return ", ".join(repr(c)[:30] for c in cells[:3]) + (", …" if len(cells) > 3 else "")

    raise DatasetError(
        f"{path}: line {line} holds both numbers ({shown(numbers)}) and text ({shown(others)}): "
        "if it names the columns, rename those that read as numbers (e.g. "
        f"{'x' + numbers[0]!r:.30}; a first row is skipped as names only when none of its cells "
        f"is a number); if it is data, fix {shown(others)}"
    )
