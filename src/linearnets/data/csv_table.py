"""Reading a user's numeric ``.csv`` file into one float64 table, every bad row or cell named by line.

A first row of names is a header only when *none* of its cells is a number (nor one in other digits,
and its words at least as many as its numbers with another minus sign: ``a,−1,y`` names a column
``−1``, ``−1,−2`` is data whose minus signs are told): a first row of numbers and
text (names such as 2019 or nan, or data with one bad cell) is refused with the fix for either, never
silently skipped; a first row of numbers is data, warned of where it looks like names
(:mod:`linearnets.data.csv_index`: ``0,1,2``, ``1,2,3``, ``2019,2020,2021`` above values near 0). A cell is a number as numpy and pandas read one: ``1_000`` is not, nor are digits
other than ASCII's 0-9 (``１``, ``١``), which Python's ``float`` reads. Blank lines are skipped (a
line of empty cells, ``,,``, among the data rows is an example missing every value, refused as a
missing value is; above or below them, a spreadsheet's formatted rows, it is skipped), and
comment lines ('#' and a blank, or '#' and no data of the table's width) wherever they stand;
every other row must have the table's number of columns (the one most rows have). A pandas index is
refused, not read as a feature: a header's unnamed first column (R's row names too, told as such
when they are 1, 2, …, N; or a first column named ``Unnamed: 0``,
pandas' name for it when such a file is read back and saved again), or, without a header, a first
column of the row numbers 0, 1, …, N-1 or R's 1, 2, …, N (a header row reads such a column
as a feature). Lines are
counted as an editor shows them: a quoted cell holding a line break spans two. A UTF-8 byte-order
mark is dropped; a zip archive or a gzip file named .csv is refused as such, and so is UTF-16 text
(by its byte-order mark); a byte UTF-8 does not allow is named by line, with its Windows-1252 character.
A header naming the target (``y``, ``target``, ``label``…) in a column other than the last is refused,
and so is a headerless table's comment line above the data naming it so, one name per column
(numpy's default ``savetxt(..., header="y,a,b")`` writes ``# y,a,b``).

This module says in which order a table is checked; the checks are :mod:`linearnets.data.csv_text`'s
(the file's rows), :mod:`linearnets.data.csv_layout`'s (separator and columns),
:mod:`linearnets.data.csv_index`'s (a pandas or R index), :mod:`linearnets.data.csv_target`'s
(the target's column) and :mod:`linearnets.data.csv_cells`'s
(the numbers).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from linearnets._text import shown_path
from linearnets.data.csv_cells import (
    Source,
    dashed_data,
    mixed,
    number,
    numeric_table,
    other_digits,
    refuse_empty_rows,
    refuse_mixed_first_row,
)
from linearnets.data.csv_index import (
    numbered_columns,
    pandas_default_names,
    r_row_names,
    refuse_row_numbers,
    refuse_unnamed_first_column,
    refuse_unnamed_index,
    warn_default_names,
    warn_far_first_row,
)
from linearnets.data.csv_layout import (
    check_separator,
    column_count,
    drop_comments,
    refuse_one_column,
    refuse_trailing_commas,
)
from linearnets.data.csv_target import refuse_commented_target, refuse_target_not_last
from linearnets.data.csv_text import hash_led_lines, read_rows
from linearnets.errors import DatasetError

__all__ = ["read_csv"]


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return a numeric CSV as an (N, columns) float64 array and each row's line in the file (N,).

    A first row of names is a header. The cells must be numbers; NaN and inf cells are read as such,
    for the caller to refuse by their lines (as values past float32's range). See the module
    docstring for which first row is a header, and which rows are skipped.
    """
    with _no_cyclic_gc():
        return _read_csv(path)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a million rows make millions of lists and strings,
    none in a cycle, whose allocation would start collections that walk them all again and again
    (a third of the time a 1e6-row file took to read)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return :func:`read_csv`'s table and lines."""
    read = read_rows(path)
    rows = [(line, row) for line, row in read if "".join(row).strip()]  # a cell not blank
    hashed = hash_led_lines(path, rows)  # the lines that start with '#': comments, or not
    if not rows:
        raise DatasetError(
            f"{shown_path(path)} holds no data rows; the last column of each row must be y"
        )
    check_separator(path, rows, hashed)  # comments in: the conversion it names skips them
    everything, rows = rows, drop_comments(path, rows, hashed)
    refuse_trailing_commas(path, rows)
    line, first = rows[0]
    header = all(number(cell) is None and not other_digits(cell) for cell in first)
    header = header and not dashed_data(first)  # 'a,−1,y' names a column '−1'; '−1,−2' is data
    refuse_empty_rows(path, read, table=rows, header=header)  # ',,' among the data: missing all
    if len(first) < 2:
        refuse_one_column(path, rows)
    columns = column_count(path, rows, header=header)
    source = Source(read, rows)  # the rows skipped are read's that rows lacks
    if header:
        rows = rows[1:]
        if not first[0].strip():
            refuse_unnamed_first_column(path, r=r_row_names(rows))
        if first[0].strip() == "Unnamed: 0":
            refuse_unnamed_index(path)
        refuse_target_not_last(path, first)
    elif not first[0].strip() and pandas_default_names(first[1:]):
        refuse_unnamed_first_column(path, default_names=len(first) - 1)
    elif mixed(first):
        refuse_mixed_first_row(path, line, first, rows=rows)
    elif numbered_columns(first):
        warn_default_names(path, line, first)
    if not rows:
        raise DatasetError(
            f"{shown_path(path)} holds no data rows; the last column of each row must be y"
        )
    if not header:
        # numpy.savetxt's header ('# y,a,b') is a comment above the data: its names are checked
        above = [(n, cells) for n, cells in everything if n < line and n in hashed]
        refuse_commented_target(path, above, columns, is_number=number)
        refuse_row_numbers(path, rows, columns)
    lines = np.fromiter((line for line, _ in rows), dtype=np.int64, count=len(rows))  # (N,)
    # '#exported,by,tool' as wide as the table, no comment, read as the names: said if line 2 fails
    names = (line, first) if header and line in hashed else None
    table = numeric_table(path, rows, columns, header=header, source=source, names=names)
    if not header and not numbered_columns(first):  # '2019,2020,2021' above values near 0
        warn_far_first_row(path, line, first, table)
    return table, lines
