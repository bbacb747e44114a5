"""A pandas or R index saved as a CSV table's first column, refused: it would be read as a feature.

A header's unnamed first column (R's row names too, told as such when they are 1, 2, …, N; or a
first column named ``Unnamed: 0``, pandas' name for it when such a file is read back and saved
again), or, without a header, a first column of the row numbers 0, 1, …, N-1, or R's 1, 2, …, N
(a header row reads such a column as a feature). A first row read as data that looks like a header
is warned of: ``0,1,…``, the header pandas writes for unnamed columns, or ``1,2,…,D``, the columns
numbered (three or more); or positive integers alone, each far out of its column below (``2019,2020,2021``
above values near 0), which a run that diverges would blame on the features' scale. Used by
:mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import numpy as np

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.data.csv_text import Rows
from linearnets.errors import DatasetError, DataWarning

__all__ = [
    "numbered_columns",
    "pandas_default_names",
    "r_row_names",
    "refuse_row_numbers",
    "refuse_unnamed_first_column",
    "refuse_unnamed_index",
    "warn_default_names",
    "warn_far_first_row",
]

# how many times its column's largest absolute value below it an integer of a first row read as
# data must pass, in every column, to be taken for a name ('2019' above values near 0)
_FAR = 10.0


def warn_default_names(path: Path, line: int, row: list[str]) -> None:
    """Warn that the first row ``row``, read as data, numbers the columns (:func:`numbered_columns`):
    ``0,1,…``, the names pandas gives a DataFrame without names, which ``to_csv`` writes as a header
    by default, or ``1,2,…,D``, the columns numbered from 1 as a header would (a spreadsheet's)."""
    numbers = ",".join(cell.strip() for cell in row)
    if pandas_default_names(row):
        said = (
            "it is the header pandas writes for unnamed columns (DataFrame.to_csv's default): if "
            "it is, write the file with to_csv(path, index=False, header=False), or give the "
            "columns names"
        )
    else:
        said = (
            f"it numbers the columns 1 to {len(row)}, as a header would: if it is one, "
            f"{_name_them(len(row))}"
        )
    warn(
        f"{shown_path(path)}: line {line} ({numbers}) is read as an example, but {said}",
        DataWarning,
    )


def warn_far_first_row(path: Path, line: int, row: list[str], table: np.ndarray) -> None:
    """Warn that the first row ``row``, integers read as data, the first of ``table`` (N, D), lies
    far out of the rows below it: each of its values positive and at least :data:`_FAR` times its
    column's largest absolute value below it (``2019,2020,2021`` above values near 0), as names
    would, not data (a negative or 0 is no name: '-500,-900' or '0,0,0' above zeros is data); a run
    on it would diverge, told to scale the features."""
    if len(table) < 3 or not all(cell.strip().lstrip("+-").isdigit() for cell in row):
        return
    first, below = table[0], np.abs(table[1:]).max(axis=0)  # (D,) each
    if not ((first > 0) & (first >= _FAR * below)).all():
        return
    warn(
        f"{shown_path(path)}: line {line} ({','.join(cell.strip() for cell in row)}) is read as an "
        f"example, but its values, integers each {_FAR:g}× or more the largest of its column "
        f"below it, look like names: if it is a header, {_name_them(len(row))}",
        DataWarning,
    )


def _name_them(columns: int) -> str:
    """Say how to make a first row of numbers a header of ``columns`` names: a first row is read
    as names only when none of its cells is a number."""
    return (
        f"give the columns names (e.g. {example_names(columns)}), since a first row is skipped as "
        "names only when none of its cells is a number"
    )


def example_names(columns: int) -> str:
    """Return a header naming ``columns`` columns, the features and then y: ``x1,x2,y``, or
    ``x1,…,x5,y`` past 4 columns."""
    features = columns - 1
    if features <= 3:
        return ",".join([*(f"x{j}" for j in range(1, features + 1)), "y"])
    return f"x1,…,x{features},y"


def pandas_default_names(row: list[str]) -> bool:
    """Whether ``row`` is ``0,1,…``: the names pandas gives the columns of an unnamed DataFrame."""
    return [cell.strip() for cell in row] == [str(i) for i in range(len(row))]


def numbered_columns(row: list[str]) -> bool:
    """Whether ``row`` numbers its columns: ``0,1,…`` (:func:`pandas_default_names`) or
    ``1,2,…,D`` of three columns or more (``1,2`` is as likely an example, x = 1 and y = 2)."""
    cells = [cell.strip() for cell in row]
    numbered = len(row) > 2 and cells == [str(i) for i in range(1, len(row) + 1)]
    return pandas_default_names(row) or numbered


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
        f"columns (e.g. {example_names(columns)}), and it is read as one"
    )
