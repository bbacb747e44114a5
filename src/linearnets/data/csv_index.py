"""A pandas or R index saved as a CSV table's first column, refused: it would be read as a feature.

A header's unnamed first column (R's row names too, told as such when they are 1, 2, …, N; or a
first column named ``Unnamed: 0``, pandas' name for it when such a file is read back and saved
again), or, without a header, a first column of the row numbers 0, 1, …, N-1, or R's 1, 2, …, N
(a header row reads such a column as a feature). A first row ``0,1,…`` read as data is warned of: it is the header
pandas writes for unnamed columns. Used by :mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.data.csv_text import Rows
from linearnets.errors import DatasetError, DataWarning

__all__ = [
    "pandas_default_names",
    "r_row_names",
    "refuse_row_numbers",
    "refuse_unnamed_first_column",
    "refuse_unnamed_index",
    "warn_default_names",
]


def warn_default_names(path: Path, line: int, columns: int) -> None:
    """Warn that the first row, read as data, is the column names pandas gives a DataFrame
    without names (``0,1,…``), which ``to_csv`` writes as a header by default."""
    warn(
        f"{shown_path(path)}: line {line} ({','.join(map(str, range(columns)))}) is read as an "
        "example, but it is the header pandas writes for unnamed columns (DataFrame.to_csv's "
        "default): if it is, write the file with to_csv(path, index=False, header=False), or give "
        "the columns names",
        DataWarning,
    )


def pandas_default_names(row: list[str]) -> bool:
    """Whether ``row`` is ``0,1,…``: the names pandas gives the columns of an unnamed DataFrame."""
    return [cell.strip() for cell in row] == [str(i) for i in range(len(row))]


def refuse_unnamed_first_column(path: Path, *, default_names: int = 0, r: bool = False) -> NoReturn:
    """Refuse a header whose first cell is empty: most likely a pandas index, not a feature; with
    ``default_names``, the header's other cells are pandas' names for that many unnamed columns
    (``,0,1,…``: to_csv's defaults), which ``index=False`` alone would leave as a row of data;
    with ``r``, the column holds 1, 2, …, N: R's row names, which write.csv writes so."""
    if r:
        raise DatasetError(
            f"{shown_path(path)} has an unnamed first column (its header starts with an empty "
            "cell) holding the row numbers 1, 2, …, as R's write.csv() writes its row names: it "
            "would be read as a feature; save with write.csv(df, path, row.names = FALSE) or drop "
            "that column"
        )
    fix = (
        "save with df.to_csv(path, index=False) or drop that column"
        if not default_names
        else f"its other names, {','.join(map(str, range(default_names)))}, are pandas' for "
        "unnamed columns: save with df.to_csv(path, index=False, header=False), or drop that "
        "column and the first line"
    )
    raise DatasetError(
        f"{shown_path(path)} has an unnamed first column (its header starts with an empty cell), "
        f"as pandas' to_csv() writes its index: it would be read as a feature; {fix}"
    )


def r_row_names(rows: Rows) -> bool:
    """Whether the first column of the data ``rows`` is 1, 2, …, N: R's row names (pandas
    numbers its index from 0)."""
    return bool(rows) and all(row[0].strip() == str(i) for i, (_, row) in enumerate(rows, 1))


def refuse_unnamed_index(path: Path) -> NoReturn:
    """Refuse a first column named ``Unnamed: 0``: the name ``pd.read_csv`` gives the unnamed
    index column of a file ``to_csv()`` wrote with its index, so the old row numbers, saved again."""
    raise DatasetError(
        f"{shown_path(path)} has a first column named 'Unnamed: 0', the name pd.read_csv gives a "
        "file's unnamed index column (a CSV saved with its index, read back and saved again): it "
        "holds row numbers and would be read as a feature; drop it with df.drop(columns='Unnamed: "
        "0') before saving, or read the first file with pd.read_csv(path, index_col=0)"
    )


def refuse_row_numbers(path: Path, rows: Rows, columns: int) -> None:
    """Refuse a headerless table whose first column is 0, 1, …, N-1 in order, written as integers:
    the index pandas' ``to_csv(header=False)`` writes (``index=True`` is its default), or 1, 2, …,
    N: the row names R's ``write.table(df, sep=",", col.names=FALSE)`` writes (``row.names =
    TRUE``), read as a feature otherwise; a header row tells a feature that counts the rows apart,
    and is the way through for one. A table of two columns is read as it is: without its first
    column it would hold no feature."""
    start = rows[0][1][0].strip() if rows else ""
    # two columns: without the first, no feature would be left, so it is one (x = 1, 2, …, N, the
    # regression on a trend), not an index
    if len(rows) < 2 or columns < 3 or start not in ("0", "1"):
        return
    first = int(start)
    if any(row[0].strip() != str(i) for i, (_, row) in enumerate(rows, first)):
        return
    n = len(rows)
    last = n - 1 + first
    numbers = (
        ", ".join(map(str, range(first, last + 1)))
        if n <= 3
        else f"{first}, {first + 1}, …, {last}"
    )
    features = columns - 1  # the example header names them x1, x2, …; then y
    if features <= 3:
        names = ",".join(f"x{j}" for j in range(1, features + 1))
    else:
        names = f"x1,…,x{features}"
    if first == 0:
        writer = "pandas' to_csv(header=False) writes its index"
        fix = "df.to_csv(path, index=False, header=False)"
    else:
        writer = 'R\'s write.table(df, sep=",", col.names=FALSE) writes its row names'
        fix = 'write.table(df, path, sep=",", row.names=FALSE, col.names=FALSE)'
    raise DatasetError(
        f"{shown_path(path)} has no header and its first column holds the row numbers {numbers} in "
        f"order, as {writer}: it would be read as a feature; save with {fix} or drop that column; "
        "if it is a feature that counts the rows, start the file with a header row naming the "
        f"columns (e.g. {names},y), and it is read as one"
    )
