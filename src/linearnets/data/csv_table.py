"""Reading a user's numeric ``.csv`` file into one float64 table, every bad row or cell named by line.

A first row of names is a header only when *none* of its cells is a number: a first row of numbers and
text (names such as 2019 or nan, or data with one bad cell) is refused with the fix for either, never
silently skipped. A cell is a number as numpy and pandas read one: ``1_000`` is not, nor are digits
other than ASCII's 0-9 (``１``, ``١``), which Python's ``float`` reads. Blank lines are skipped; every
other row must have the table's number of columns (the one most rows have). A pandas index is
refused, not read as a feature: a header's unnamed first column (R's row names too, told as such
when they are 1, 2, …, N; or a first column named ``Unnamed: 0``,
pandas' name for it when such a file is read back and saved again), or, without a header, a first
column of the row numbers 0, 1, …, N-1 (a header row reads such a column as a feature). Lines are
counted as an editor shows them: a quoted cell holding a line break spans two. A UTF-8 byte-order
mark is dropped; a zip archive or a gzip file named .csv is refused as such, and so is UTF-16 text
(by its byte-order mark); a byte UTF-8 does not allow is named by line, with its Windows-1252 character.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import NoReturn

import numpy as np

from linearnets._shell import shell_word
from linearnets._warn import warn
from linearnets.errors import DatasetError, DataWarning, UsageError

__all__ = ["read_csv"]

# (line number in the file, the row's cells)
_Rows = list[tuple[int, list[str]]]

# how the tools that write CSV files write a missing value (lower-cased): pandas and Excel an empty
# cell, R NA, Excel's formulas #N/A, databases NULL; NaN itself reads as a number, refused as such
_MISSING = frozenset({"", "na", "n/a", "#n/a", "null", "none"})


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return a numeric CSV as an (N, columns) float64 array and each row's line in the file (N,).

    A first row of names is a header. The cells must be numbers; NaN and inf cells are read as such,
    for the caller to refuse by their lines (as values past float32's range). See the module
    docstring for which first row is a header, and which rows are skipped.
    """
    rows = [(line, row) for line, row in _read_rows(path) if any(cell.strip() for cell in row)]
    if not rows:
        raise DatasetError(f"{path} holds no data rows; the last column of each row must be y")
    _check_separator(path, rows)
    _refuse_trailing_commas(path, rows)
    line, first = rows[0]
    header = all(_number(cell) is None and not _other_digits(cell) for cell in first)
    if len(first) < 2:
        _refuse_one_column(path, rows)
    columns = _columns(path, rows, header=header)
    if header:
        rows = rows[1:]
        if not first[0].strip():
            _refuse_unnamed_first_column(path, r=_row_names(rows))
        if first[0].strip() == "Unnamed: 0":
            _refuse_unnamed_index(path)
    elif not first[0].strip() and _default_names(first[1:]):
        _refuse_unnamed_first_column(path, default_names=len(first) - 1)
    elif _mixed(first):
        _refuse_mixed_first_row(path, line, first)
    elif _default_names(first):
        _warn_default_names(path, line, len(first))
    if not rows:
        raise DatasetError(f"{path} holds no data rows; the last column of each row must be y")
    if not header:
        _refuse_row_numbers(path, rows, columns)
    lines = np.fromiter((line for line, _ in rows), dtype=np.int64, count=len(rows))  # (N,)
    return _table(path, rows, columns), lines


def _warn_default_names(path: Path, line: int, columns: int) -> None:
    """Warn that the first row, read as data, is the column names pandas gives a DataFrame
    without names (``0,1,…``), which ``to_csv`` writes as a header by default."""
    warn(
        f"{path}: line {line} ({','.join(map(str, range(columns)))}) is read as an example, but "
        "it is the header pandas writes for unnamed columns (DataFrame.to_csv's default): if it "
        "is, write the file with to_csv(path, index=False, header=False), or give the columns "
        "names",
        DataWarning,
    )


def _default_names(row: list[str]) -> bool:
    """Whether ``row`` is ``0,1,…``: the names pandas gives the columns of an unnamed DataFrame."""
    return [cell.strip() for cell in row] == [str(i) for i in range(len(row))]


def _number(text: str) -> float | None:
    """Return the cell as a float, or ``None`` when it is not a number numpy and pandas read."""
    # Python's float() also reads 1_000 as 1000 and any script's digits ('１', '١'): CSV readers
    # (numpy, pandas) do not; the blanks around a number (a no-break space too) they skip, as float()
    core = text.strip()
    if "_" in core or not core.isascii():
        return None
    try:
        return float(core)
    except ValueError:
        return None


def _other_digits(text: str) -> bool:
    """Return whether the cell is a number in digits other than ASCII's: no column name, nor data."""
    if text.strip().isascii():
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_rows(path: Path) -> _Rows:
    """Return the non-empty rows of the CSV at ``path``, each with the line it starts on (from 1, as
    an editor counts them: a quoted cell's line break starts a line); name an unreadable file."""
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as f:
            _refuse_compressed(path, raw.peek(4)[:4])
            reader, start = csv.reader(f), 1
            rows: _Rows = []
            for row in reader:
                if row:
                    rows.append((start, row))
                start = reader.line_num + 1  # the lines the reader has read, so far
            return rows
    except PermissionError as exc:
        raise UsageError(
            f"data={str(path)!r} cannot be read ({exc.strerror}); check the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KiB limit
        raise DatasetError(
            f"{path} is not a readable CSV file ({exc}); save it as CSV (UTF-8), comma-separated, "
            "one number per cell"
        ) from None


def _not_utf8(path: Path) -> DatasetError:
    """Return the error for the CSV at ``path``, which UTF-8 cannot decode: the line and byte of its
    first such byte (the decoder's own message gave an offset within one chunk it read) and, where
    it is one, its Windows-1252 character (Excel's "CSV (Comma delimited)" on Windows writes that
    encoding), with the conversion as a fix."""
    data = path.read_bytes()
    where: int | None = None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = exc.start
    save = "save it as CSV UTF-8 (comma delimited)"
    if where is None:  # changed since it was read: told without a place
        return DatasetError(f"{path} is not UTF-8 text; {save}")
    line = data.count(b"\n", 0, where) + 1
    column = where - (data.rfind(b"\n", 0, where) + 1) + 1  # in bytes, from 1
    byte = data[where]
    try:
        char = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
        seen, fix = "", save
    else:
        seen = f" ({char!r} in Windows-1252)"
        fix = (
            f"{save}, or convert it: iconv -f WINDOWS-1252 -t UTF-8 {shell_word(path)} > table.csv"
        )
    return DatasetError(
        f"{path} is not UTF-8 text: line {line}, byte {column} is 0x{byte:02x}{seen}, which UTF-8 "
        f"does not allow there; {fix}"
    )


def _refuse_compressed(path: Path, head: bytes) -> None:
    """Refuse a zip archive or gzip file named ``.csv`` by its first bytes, ``head``: told as "not
    UTF-8" with the fix to save it as CSV, which it may well hold, compressed; UTF-16 text by its
    byte-order mark (Excel's "Unicode Text", PowerShell's Out-File), told as its byte at 0."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DatasetError(
            f"{path} is UTF-16 text (it starts with the byte-order mark {head[0]:02x} "
            f"{head[1]:02x}, as Excel's Unicode Text and PowerShell's Out-File write), not UTF-8; "
            f"save it as CSV UTF-8 (comma delimited), or convert it: iconv -f UTF-16 -t UTF-8 "
            f"{shell_word(path)} > table.csv"
        )
    if head == b"PK\x03\x04":
        raise DatasetError(
            f"{path} is a zip archive (it starts with PK), not CSV text: an .npz, or an Excel "
            "workbook? rename an .npz to end in .npz; save a workbook from Excel as CSV UTF-8 "
            "(comma delimited)"
        )
    if head[:2] == b"\x1f\x8b":
        raise DatasetError(
            f"{path} is gzip-compressed (it starts with bytes 1f 8b), not CSV text; decompress "
            "it first (gunzip -c FILE > table.csv) and pass the .csv it holds"
        )


def _refuse_unnamed_first_column(
    path: Path, *, default_names: int = 0, r: bool = False
) -> NoReturn:
    """Refuse a header whose first cell is empty: most likely a pandas index, not a feature; with
    ``default_names``, the header's other cells are pandas' names for that many unnamed columns
    (``,0,1,…``: to_csv's defaults), which ``index=False`` alone would leave as a row of data;
    with ``r``, the column holds 1, 2, …, N: R's row names, which write.csv writes so."""
    if r:
        raise DatasetError(
            f"{path} has an unnamed first column (its header starts with an empty cell) holding "
            "the row numbers 1, 2, …, as R's write.csv() writes its row names: it would be read "
            "as a feature; save with write.csv(df, path, row.names = FALSE) or drop that column"
        )
    fix = (
        "save with df.to_csv(path, index=False) or drop that column"
        if not default_names
        else f"its other names, {','.join(map(str, range(default_names)))}, are pandas' for "
        "unnamed columns: save with df.to_csv(path, index=False, header=False), or drop that "
        "column and the first line"
    )
    raise DatasetError(
        f"{path} has an unnamed first column (its header starts with an empty cell), as pandas' "
        f"to_csv() writes its index: it would be read as a feature; {fix}"
    )


def _row_names(rows: _Rows) -> bool:
    """Whether the first column of the data ``rows`` is 1, 2, …, N: R's row names (pandas
    numbers its index from 0)."""
    return bool(rows) and all(row[0].strip() == str(i) for i, (_, row) in enumerate(rows, 1))


def _refuse_unnamed_index(path: Path) -> NoReturn:
    """Refuse a first column named ``Unnamed: 0``: the name ``pd.read_csv`` gives the unnamed
    index column of a file ``to_csv()`` wrote with its index, so the old row numbers, saved again."""
    raise DatasetError(
        f"{path} has a first column named 'Unnamed: 0', the name pd.read_csv gives a file's "
        "unnamed index column (a CSV saved with its index, read back and saved again): it holds "
        "row numbers and would be read as a feature; drop it with "
        "df.drop(columns='Unnamed: 0') before saving, or read the first file with "
        "pd.read_csv(path, index_col=0)"
    )


def _refuse_row_numbers(path: Path, rows: _Rows, columns: int) -> None:
    """Refuse a headerless table whose first column is 0, 1, …, N-1 in order, written as integers:
    the index pandas' ``to_csv(header=False)`` writes (``index=True`` is its default), read as a
    feature otherwise; a header row tells a feature that counts the rows apart, and is the way
    through for one."""
    if len(rows) < 2 or any(row[0].strip() != str(i) for i, (_, row) in enumerate(rows)):
        return
    n = len(rows)
    numbers = ", ".join(map(str, range(n))) if n <= 3 else f"0, 1, …, {n - 1}"
    features = columns - 1  # the example header names them x (one) or x1, x2, …; then y
    if features == 1:
        names = "x"
    elif features <= 3:
        names = ",".join(f"x{j}" for j in range(1, features + 1))
    else:
        names = f"x1,…,x{features}"
    raise DatasetError(
        f"{path} has no header and its first column holds the row numbers {numbers} in order, "
        "as pandas' to_csv(header=False) writes its index: it would be read as a feature; save "
        "with df.to_csv(path, index=False, header=False) or drop that column; if it is a feature "
        f"that counts the rows, start the file with a header row naming the columns (e.g. "
        f"{names},y), and it is read as one"
    )


def _check_separator(path: Path, rows: _Rows) -> None:
    """Refuse a table whose values another separator than the comma divides (Excel's ';' in a
    decimal-comma locale, a tab), seen in the first line and the next, or Excel's ``sep=,`` line."""
    line, row = rows[0]
    # the csv module split the lines at their commas (decimal commas too): join them back
    text = ",".join(row)
    if text.strip().lower() == "sep=,":
        raise DatasetError(
            f"{path}: line {line}, {text.strip()!r}, tells Excel which separator the file uses, "
            "and is no row of the table; delete it, so that the file starts with the column "
            "names or the data"
        )
    # comment lines above the table (numpy.savetxt's header="..." writes '# ' lines) tell nothing
    # of its separator: the first line that is no comment, and the next, do
    table = [row for _, row in rows if not row[0].lstrip().startswith("#")]
    # Excel's line naming another separator ('sep=;') is no row of the table either
    excel = bool(table) and ",".join(table[0]).strip().lower().startswith("sep=")
    comments, table = len(table) < len(rows), table[excel:]
    if not table:
        return
    row, following = table[0], table[1] if len(table) > 1 else None
    # a space inside a cell divides values only where the line is one cell: names hold spaces
    for sep in (";", "\t", " ") if len(row) < 2 else (";", "\t"):
        if _divides(sep, row) and (following is None or _divides(sep, following)):
            # commas split a line whose values have decimal commas
            decimal = len(following if following is not None else row) > 1
            raise DatasetError(
                f"{path} is not a numeric CSV: its values are separated by {sep!r}, not commas; "
                "save it comma-separated"
                + (", with '.' as the decimal point (it has decimal commas)" if decimal else "")
                + f", e.g. {_conversion(path, sep, row, decimal, comments=comments, excel=excel)}"
            )


def _conversion(
    path: Path, sep: str, row: list[str], decimal: bool, *, comments: bool, excel: bool
) -> str:
    """Return the pandas line that writes the table at ``path``, whose values ``sep`` divides,
    comma-separated (``decimal``: its decimal commas as points); ``row`` is the table's first
    line, split at its commas; ``comments``: '#' lines stand in the file; ``excel``: its first
    line is Excel's ``sep=``."""
    cells = ",".join(row).split() if sep == " " else ",".join(row).split(sep)
    # a first line of names: read as the header, and written back as one; else none of either
    names = all(_number(cell.replace(",", ".") if decimal else cell) is None for cell in cells)
    read = ", ".join(
        [repr(str(path)), f"sep={sep!r}" if sep != " " else r"sep=r'\s+'"]
        + (["decimal=','"] if decimal else [])
        + (["comment='#'"] if comments else [])
        + (["skiprows=1"] if excel else [])
        + ([] if names else ["header=None"])
    )
    return f"pandas.read_csv({read}).to_csv('table.csv', index=False{'' if names else ', header=False'})"


def _divides(sep: str, row: list[str]) -> bool:
    """Return whether ``sep`` stands between the values of a cell of ``row`` (not only around one)."""
    return any(sep in cell.strip() for cell in row)


def _refuse_one_column(path: Path, rows: _Rows) -> NoReturn:
    """Refuse a first line of fewer than 2 columns: a title or comment line above the table, or a
    table of one column (another separator than the comma is named before)."""
    line, row = rows[0]
    counts = Counter(len(cells) for _, cells in rows[1:])
    if counts and counts.most_common(1)[0][0] > len(row):
        wider = counts.most_common(1)[0][0]
        raise DatasetError(
            f"{path}: line {line} has {len(row)} column, the other lines {wider}: a title or "
            f"comment line above the table ({row[0].strip()!r:.40})? delete it, so that the file "
            "starts with the column names or the data"
        )
    raise DatasetError(
        f"{path} must have at least 2 columns (features, then y), got {len(row)}; write each "
        "example on one line, its features and then y, separated by commas"
    )


def _columns(path: Path, rows: _Rows, *, header: bool) -> int:
    """Return the table's number of columns, the one most rows have (on a tie, the first row's);
    refuse a row of another number, naming the first (a short header or first row too)."""
    counts = Counter(len(row) for _, row in rows)
    columns, count = counts.most_common(1)[0]  # a tie keeps the first row's, counted first
    if count == len(rows):
        return columns
    line, row = next((line, row) for line, row in rows if len(row) != columns)
    others = "the others" if count == len(rows) - 1 else f"{count} of the {len(rows)} rows"
    fix = (
        "the column names must name every column, y last"
        if header and line == rows[0][0]
        else "every row must hold the same features, then y"
    )
    raise DatasetError(
        f"{path}: line {line} has {_plural(len(row), 'column')}, {others} {columns}; {fix}"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# a number with commas between groups of three digits, as a spreadsheet shows 1,234,567.5 (quoted
# in the file, or the commas would have split the cell)
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def _table(path: Path, rows: _Rows, columns: int) -> np.ndarray:
    """Return ``rows``, each of ``columns`` cells, as a float64 array (len(rows), columns); refuse a
    cell that is not a number."""
    table = np.empty((len(rows), columns))
    for i, (line, row) in enumerate(rows):
        for j, cell in enumerate(row):
            value = _number(cell)
            if value is None and cell.strip().lower() in _MISSING:
                raise DatasetError(
                    f"{path} is not a numeric CSV: line {line}, column {j + 1} holds {cell!r}, a "
                    "missing value (pandas writes NaN as an empty cell, R's write.csv as NA); "
                    "every cell must be a number: drop or fill the examples that miss one first, "
                    "e.g. df.dropna() in pandas (na.omit(df) in R), then save the table again"
                )
            if value is None and cell.strip().lower() in ("true", "false"):
                raise DatasetError(
                    f"{path} is not a numeric CSV: line {line}, column {j + 1} holds {cell!r}, a "
                    "bool (pandas writes bool columns, such as pd.get_dummies' since pandas 2.0, "
                    "as True/False, R as TRUE/FALSE); every cell must be a number: write them as "
                    "1/0, e.g. pd.get_dummies(..., dtype=int) or df[bools] = df[bools].astype(int) "
                    "in pandas, then save the table again"
                )
            if value is None and _THOUSANDS.fullmatch(cell.strip()):
                raise DatasetError(
                    f"{path} is not a numeric CSV: line {line}, column {j + 1} holds {cell!r}, a "
                    "number written with thousands separators (a spreadsheet's number format); "
                    "every cell must be a number as numpy and pandas read one: save the column "
                    f"without them ({cell.strip().replace(',', '')!r}), e.g. in Excel as the "
                    "Number format with 'Use 1000 Separator' cleared"
                )
            if value is None:
                rule = (
                    "a number in the digits 0-9, as numpy and pandas read them"
                    if _other_digits(cell)
                    else "a number (a first row of column names is allowed)"
                )
                raise DatasetError(
                    f"{path} is not a numeric CSV: line {line}, column {j + 1} holds {cell!r:.30}; "
                    f"every cell must be {rule}"
                )
            table[i, j] = value
    return table


def _refuse_trailing_commas(path: Path, rows: _Rows) -> None:
    """Refuse a table every line of which ends with a comma: an empty last column, where y should
    be (it read as a first row of numbers and the text '', a header with numbers for names)."""
    if len(rows[0][1]) > 1 and all(len(row) > 1 and not row[-1].strip() for _, row in rows):
        raise DatasetError(
            f"{path}: every line ends with a comma, so the last column, where y goes, is empty (line "
            f"{rows[0][0]}: {','.join(rows[0][1])!r:.60}); remove the trailing commas, so that "
            "each line ends with its y"
        )
    # the data lines only, one cell longer than the first line (the names) for it: not a first
    # line short of a name, as the count of columns would tell it
    width = len(rows[0][1]) + 1
    if len(rows) > 1 and all(len(row) == width and not row[-1].strip() for _, row in rows[1:]):
        line, row = rows[1]
        raise DatasetError(
            f"{path}: every line but the first ends with a comma, so their last column, where y "
            f"goes, is empty (line {line}: {','.join(row)!r:.60}); remove the trailing commas, so "
            "that each line ends with its y"
        )


def _mixed(row: list[str]) -> bool:
    """Whether a first row holds names and numbers: a header whose names include numbers (a
    number in other digits is neither: the table names it as a bad cell)."""
    numbers = [_number(cell) is not None for cell in row]
    return any(numbers) and not all(
        n or _other_digits(c) for n, c in zip(numbers, row, strict=True)
    )


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
