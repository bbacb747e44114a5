"""A CSV table's cells read as numbers, as numpy and pandas read them, every bad cell named by line.

A cell is a number as numpy and pandas read one: ``1_000`` is not, nor are digits other than ASCII's
0-9 (``１``, ``١``), which Python's ``float`` reads. A missing value, a bool or a number with
thousands separators (commas or blanks), a percentage ('5%'), an amount with a currency symbol
('$5'), a second header row (units) or a word in y's column is named as such, with the fix (any
other word with one too: save the column as numbers), and so is a number past float64's range
(``1e400``, shown as the file holds it, not as the inf it reads as); so is a first row of
numbers and text (column names such as 2019 or nan, or data with one bad cell). Used by :mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

import math
import re
from itertools import chain
from pathlib import Path
from typing import NamedTuple, NoReturn

import numpy as np

from linearnets._shell import shell_word
from linearnets._text import cut_text, exact_number, shown_path, without_underscores
from linearnets.data.cell_formats import (
    THOUSANDS_FORMAT,
    decimal_mark,
    formatted,
    marked,
    shown_cell,
    thousands,
    thousands_fix,
)
from linearnets.data.csv_text import Rows
from linearnets.data.new_names import new_file_beside
from linearnets.errors import DatasetError

__all__ = [
    "DECIMAL_COMMA",
    "MISSING",
    "Source",
    "comment_fix",
    "dashed_data",
    "error_value",
    "is_missing",
    "missing_value",
    "mixed",
    "number",
    "numeric_table",
    "other_digits",
    "other_minus",
    "refuse_empty_rows",
    "refuse_mixed_first_row",
    "spelt_otherwise",
]

# how to make a '#' line a comment, as csv_layout.comment_lines tells them: '#3,6' may be data
_COMMENT_FIX = "as a comment, start it with '# ' (a blank after '#')"

# how the tools that write data write a missing value, stripped and in lower case: pandas and Excel
# an empty cell, R NA, Excel's formulas #N/A, databases NULL, a survey's '-' or '?', and pandas'
# other markers (NaN itself reads as a number: refused as a missing value too, once read); a
# spreadsheet's error value (:func:`error_value`) is one too: see :func:`missing_value`
MISSING = frozenset({"", "?", "-", "--", ".", "na", "n/a", "#n/a", "#n/a n/a", "#na", "<na>", "null", "none", "nil", "1.#ind", "-1.#ind", "1.#qnan", "-1.#qnan"})  # fmt: skip

# the cells pandas' read_csv reads as NaN by default (its documented na_values), matched as the
# file holds them: case and blanks count ('na', ' NA' and '-' stay text); R's read.csv reads 'NA'
# and an empty cell of a numeric column so (its na.strings is "NA"): any other marker needs naming
_PANDAS_NA = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})  # fmt: skip
_R_NA = ("NA", "")

# a number written with a decimal comma: '1,5', '-0,25', ',5' (quoted in a CSV file); '1,234' too,
# which thousands separators may write
DECIMAL_COMMA = re.compile(r"[-+]?(\d+,\d*|,\d+)")

# the first cell of a spreadsheet's totals row: English, German, French, Spanish, Italian, Dutch,
# Chinese
_TOTALS = re.compile(
    r"(grand\s*|sub)?totals?|sum|summe|gesamt(summe)?|somme|suma|totale|totaal|总计|合计|總計|合計",
    re.IGNORECASE,
)

# a line break, as the csv module ends a line: in a quoted cell, pandas' skiprows counts none
_BREAK = re.compile(r"\r\n|\n|\r")


# a spreadsheet's error value: '#' and a word ending in '!' or '?' (Excel's #DIV/0!, #NAME?, Google
# Sheets' #ERROR!, German #WERT!, French #VALEUR!, Spanish #¡VALOR!), or a missing value (#N/A,
# Italian #N/D, German #NV), or Excel's #GETTING_DATA
_ERROR_VALUE = re.compile(r"#[^\s,]*[!?]|#\w{1,2}/\w{1,2}|#nv|#getting_data", re.IGNORECASE)


class Source(NamedTuple):
    """A CSV file's rows as read (blank lines aside), ``read``, and its table's, ``table`` (its
    header too): those of ``read`` that ``table`` lacks the reader skipped (comments, rows of empty
    cells or blanks), and a fix offering pandas' or R's code skips them too."""

    read: Rows
    table: Rows


def error_value(text: str) -> bool:
    """Return whether the cell is a spreadsheet's error value (``#N/A``, ``#DIV/0!``, ``#ERROR!``,
    ``#WERT!``, ...): a cell of its row, never a comment."""
    return _ERROR_VALUE.fullmatch(text.strip()) is not None


def missing_value(text: str) -> bool:
    """Return whether the cell or value stands for a missing one: a blank, 'NA' or another of
    :data:`MISSING`, or a spreadsheet's error value (``#DIV/0!``), a formula that gave none."""
    return text.strip().lower() in MISSING or error_value(text)


def comment_fix(first: str) -> str:
    """Return how to make a comment of the line whose first cell is ``first``, where it starts
    with '#' and is no spreadsheet's error value ('#3,6', '#1e5': a row commented out?), else ''."""
    if first.lstrip().startswith("#") and not error_value(first):
        return f"; to skip the line {_COMMENT_FIX}"
    return ""


def number(text: str) -> float | None:
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


def other_digits(text: str) -> bool:
    """Return whether the cell is a number in digits other than ASCII's: no column name, nor data."""
    if text.strip().isascii():
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


# the dashes a number's minus sign is written with where it is not ASCII's '-' (a word processor's
# or a typeset table's): numpy, pandas and Python's float read none of them
_DASHES = {
    "\u2212": "the minus sign U+2212",
    "\u2013": "an en dash U+2013",
    "\u2012": "a figure dash U+2012",
    "\u2014": "an em dash U+2014",
    "\ufe63": "the small hyphen-minus U+FE63",
    "\uff0d": "the full-width hyphen-minus U+FF0D",
}
_TO_HYPHEN = str.maketrans(dict.fromkeys(_DASHES, "-"))


def other_minus(text: str) -> tuple[str, str] | None:
    """Return, for a cell that is a number but for a minus sign written with another dash than
    '-' (``'−1.5'``, U+2212, as a word processor writes it; an en dash), the dash's name and the
    number as numpy and pandas read one (``'-1.5'``, ``'-inf'``; ``'-1000'`` for ``'−1_000'``,
    whose underscores numpy refuses too); else ``None``."""
    core = text.strip()
    dashes = [c for c in core if c in _DASHES]
    if not dashes:
        return None
    plain = core.translate(_TO_HYPHEN)
    try:
        value = float(plain)
    except ValueError:
        return None
    return _DASHES[dashes[0]], plain if number(plain) is not None else exact_number(value)


def spelt_otherwise(text: str) -> bool:
    """Return whether the cell is a number spelt otherwise than numpy and pandas read one: in
    other digits than ASCII's (:func:`other_digits`) or with another minus sign than '-'
    (:func:`other_minus`): no column name, nor a word, but a value to write as told."""
    return other_digits(text) or other_minus(text) is not None


def numeric_table(
    path: Path,
    rows: Rows,
    columns: int,
    *,
    header: bool,
    source: Source,
    names: tuple[int, list[str]] | None = None,
) -> np.ndarray:
    """Return ``rows``, each of ``columns`` cells, as a float64 array (len(rows), columns); refuse a
    cell that is not a number. ``header``: the file has a row of names above ``rows`` (a fix reads
    it so, or as data where it has none), skipping the lines the reader skipped of ``source``.
    ``names``: the line and cells of a header that starts with '#' ('#exported,by,tool'), named
    where the first row is refused: the names may be there."""
    fast = _all_numbers(rows, columns)
    if fast is not None:
        return fast
    table = np.empty((len(rows), columns))
    for i, (line, row) in enumerate(rows):
        for j, cell in enumerate(row):
            value = number(cell)
            if value is None:
                error = _not_a_number(path, rows, line, j, cell, header=header, source=source)
                if i == 0 and names is not None:
                    error = DatasetError(f"{error}; {_read_as_names(*names)}")
                raise error
            if math.isinf(value) and "inf" not in cell.lower():
                _refuse_past_float64(path, line, j, cell)
            if math.isnan(value):  # 'nan', as numpy.savetxt writes a missing value
                raise _missing(path, rows, line, j, cell, header=header, source=source)
            table[i, j] = value
    return table


def _all_numbers(rows: Rows, columns: int) -> np.ndarray | None:
    """Return ``rows``, each of ``columns`` cells, as a float64 array (len(rows), columns) when
    every cell is a number :func:`number` reads and no cell reads as inf; else ``None``, for the
    cell by cell reading to name the first bad cell (or read the inf cells it allows).

    One pass of ``float`` over all cells, in C: :func:`number` strips the cell and calls
    ``float``, which strips the same blanks itself; it refuses what is not ASCII or holds '_',
    checked here once for the whole table, whose every value is thus read as it reads it."""
    cells = list(chain.from_iterable(row for _, row in rows))
    text = "".join(cells)
    if not text.isascii() or "_" in text:
        return None
    try:
        table = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except ValueError:
        return None
    if not np.isfinite(table).all():  # 'inf' read as such, 1e400 or 'nan' refused: told there
        return None
    return table.reshape(len(rows), columns)


def _refuse_past_float64(path: Path, line: int, j: int, cell: str) -> NoReturn:
    """Refuse ``cell``, a number past float64's range (``1e400``, 400 digits), at ``line``, column
    ``j`` (from 0): shown as the file holds it, not as the inf it reads as."""
    text = cell.strip()
    shown = cut_text(text, most=30, keep=20)
    raise DatasetError(
        f"{shown_path(path)}: line {line}, column {j + 1} holds {shown}, a number past "
        f"float64's range (±{np.finfo(np.float64).max:.2g}), let alone float32's "
        f"(±{float(np.finfo(np.float32).max):.2g}), which the model trains in; rescale that column "
        "(e.g. divide it by a power of ten) before saving, or drop the example"
    )


def _read_as_names(line: int, row: list[str]) -> str:
    """Say that the '#' line ``line``, ``row``, was read as the names, and how to skip it."""
    return f"line {line}, {','.join(row)!r:.40}, was read as the names; to skip it {_COMMENT_FIX}"


def refuse_empty_rows(path: Path, rows: Rows, *, table: Rows, header: bool) -> None:
    """Refuse a row of ``rows`` whose cells are all empty (``,,``) between the ``table``'s first
    and last rows (``header``: its first is a row of names): an example missing every value, as
    pandas writes a row of NaNs. It was dropped silently, though one empty cell (``4,,6``) is
    refused as a missing value; named by line, the first, with the count, and the fix: delete
    them, or drop the examples that miss a value (:func:`_drop_fix`) where one misses none. A line
    with no comma (blank, or blanks alone) is a blank line, skipped, and so are rows of empty cells above or below the table (a spreadsheet's
    formatted rows past the data)."""
    top, bottom = table[0][0], table[-1][0]
    empty = [
        line
        for line, row in rows
        if top < line < bottom and len(row) > 1 and not "".join(row).strip()
    ]
    if not empty:
        return
    line, row = empty[0], dict(rows)[empty[0]]
    many = len(empty) > 1
    first = f", the first of {len(empty)} such lines," if many else ""
    them = "those lines" if many else "that line"
    data = table[header:]
    fix = (
        f": delete {them}"  # the others' missing values are told next, each row missing one
        if all(any(map(is_missing, cells)) for _, cells in data)
        else _drop_fix(
            path,
            [*data, *((n, cells) for n, cells in rows if n in empty)],
            header=header,
            source=Source(rows, table),
            delete=them,
        )
    )
    raise DatasetError(
        f"{shown_path(path)} is not a numeric CSV: line {line}{first} holds {','.join(row)!r}, "
        f"{len(row)} empty cells, an example missing every value (as pandas writes a row of "
        f"NaN); every cell must be a number{fix}"
    )


def _missing(
    path: Path, rows: Rows, line: int, j: int, cell: str, *, header: bool, source: Source
) -> DatasetError:
    """Return the refusal of ``cell``, a missing value (``NA``, ``''``, ``nan``, ``?``), at
    ``line``, column ``j`` (from 0) of ``path``, whose table is ``rows`` (below a row of names
    where ``header``), with the fix: drop the columns that hold nothing else, else drop or fill
    the examples that miss one, read with the file's markers (:func:`_drop_fix`)."""
    empty = [k for k in range(len(rows[0][1])) if all(is_missing(row[k]) for _, row in rows)]
    if empty:
        return _empty_columns(path, rows, empty)
    held = shown_cell(cell)  # '#' and a long word before '!', cut short
    nan = number(cell) is not None  # 'nan', 'NaN': numpy.savetxt's NaN
    writers = (
        "numpy.savetxt writes NaN as nan, pandas as an empty cell"
        if nan
        else "a spreadsheet's error value, its formula gave none"
        if cell.strip().lower() not in MISSING
        else "pandas writes NaN as an empty cell, R's write.csv as NA"
    )
    return DatasetError(
        f"{shown_path(path)} is not a numeric CSV: line {line}, column {j + 1} holds {held}, "
        f"a missing value ({writers}); every cell must be a "
        f"number{_drop_fix(path, rows, header=header, source=source)}"
    )


def is_missing(cell: str) -> bool:
    """Return whether the cell or value is a missing one: :func:`missing_value`'s, or one that
    reads as NaN (``nan``, as numpy.savetxt writes one, and pandas a missing label as text)."""
    value = number(cell)
    return missing_value(cell) if value is None else math.isnan(value)


def _drop_fix(path: Path, rows: Rows, *, header: bool, source: Source, delete: str = "") -> str:
    """Say how to drop the examples of ``rows`` that miss a value (or to ``delete`` those lines, if
    named, where the others are kept), after a rule's words, as pandas and R read the file
    (``header``: it has a row of names, else none: read as data, written back without one) with
    its markers that they do not read as missing by default (``na_values``, ``na.strings``), for
    every one to be dropped, skipping the lines the reader skipped (:func:`_skipped`), saved
    without the index (row names) they add to a new file beside ``path``, to pass: dropped or
    filled, the examples are no longer the user's, whose file stays as it is; where every example
    misses one, how pandas fills the features' (with their mean) and drops those missing y."""
    cells = chain.from_iterable(row for _, row in rows)
    # a cell ending in a digit is a number, or no missing value: only the others are checked
    markers = dict.fromkeys(c for c in cells if not c[-1:].isdigit() and is_missing(c))
    pandas = [c for c in markers if c not in _PANDAS_NA]
    r = [c for c in markers if c not in _R_NA]
    lines, records = _skipped(source)
    options = (
        ", header=None" * (not header)
        + f", skiprows={records!r}" * bool(records)
        + f", na_values={pandas!r}" * bool(pandas)
    )
    read = f"df = pd.read_csv({str(path)!r}{options})"
    out = new_file_beside(path, f"{path.stem}.complete", ".csv")  # to_csv overwrites its target
    save = f"df.to_csv({str(out)!r}, {'header=False, ' * (not header)}index=False)"
    then = f", and pass {shell_word(out)}"
    if all(any(map(is_missing, row)) for _, row in rows):  # dropna() would leave no example
        targets = any(is_missing(row[-1]) for _, row in rows)
        drop = ", and drop the examples that miss y (a target cannot be filled)" * targets
        return (
            ", and every example misses one, so dropping them would leave none: fill the features' "
            f"missing values instead, e.g. with each column's mean{drop}; in pandas: {read}; "
            f"df = df.fillna(df.iloc[:, :-1].mean()){'.dropna()' * targets}; {save}{then}"
        )
    strings = ", ".join(_r_string(c) for c in ("NA", *r))
    options = ", header = FALSE" * (not header) + f", na.strings = c({strings})" * bool(r)
    # R's read.csv reads a '#' line as data: the lines skipped are left out of readLines'
    text = (
        f"text = readLines({_r_string(str(path))})[-c({', '.join(map(str, lines))})]"
        if lines
        else _r_string(str(path))
    )
    return (
        f": {f'delete {delete}, or ' * bool(delete)}drop or fill the examples that miss one first, "
        f"e.g. in pandas: {read}.dropna(); {save} (in R: df <- na.omit(read.csv({text}{options})); "
        f"write.csv(df, {_r_string(str(out))}, row.names = FALSE)){then}"
    )


def _skipped(source: Source) -> tuple[list[int], list[int]]:
    """Return the lines of ``source.read`` that its table lacks, the reader skipped (a comment, a
    row of empty cells), as an editor and R's readLines count them (from 1: every line of a row
    whose quoted cell spans lines), and as pandas' ``skiprows`` counts them (from 0): by rows, a
    quoted cell's line breaks not counted."""
    kept = {line for line, _ in source.table}
    lines: list[int] = []
    records: list[int] = []
    breaks = 0
    for line, row in source.read:
        spans = sum(len(_BREAK.findall(cell)) for cell in row)  # the row's lines past its first
        if line not in kept:
            lines.extend(range(line, line + spans + 1))
            records.append(line - 1 - breaks)
        breaks += spans
    return lines, records


def _r_string(text: str) -> str:
    """Return ``text`` as an R string literal, in double quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _empty_columns(path: Path, rows: Rows, empty: list[int]) -> DatasetError:
    """Return the refusal of the columns ``empty`` (from 0) of ``rows``, which hold only missing
    values: their examples dropped would leave none, so the columns are to drop; where the last,
    y, is one of them, or every other one, the file holds no targets, or no features."""
    columns = len(rows[0][1])
    if empty[-1] == columns - 1:  # y
        empty, which, fix = [columns - 1], f"column {columns}, y,", "no targets"
    else:
        which = f"column{'s' * (len(empty) > 1)} {', '.join(str(k + 1) for k in empty)}"
        them = "those columns" if len(empty) > 1 else "that column"
        fix = f"drop {them}, then save the table again"
        if len(empty) == columns - 1:
            which += ", every feature," if len(empty) > 1 else ", the only feature,"
            fix = "no features"
    if fix.startswith("no "):
        fix += "; save the file with them"
    line, cell = rows[0][0], rows[0][1][empty[0]]
    return DatasetError(
        f"{shown_path(path)} is not a numeric CSV: {which} {'holds' if len(empty) == 1 else 'hold'} "
        f"no numbers, only missing values (line {line} holds {cell!r}, the first of {len(rows)}): "
        f"{fix}"
    )


def _not_a_number(
    path: Path, rows: Rows, line: int, j: int, cell: str, *, header: bool, source: Source
) -> DatasetError:
    """Return the refusal of ``cell``, no number, at ``line``, column ``j`` (from 0) of ``path``,
    whose table is ``rows`` (below a row of names where ``header``):
    a second header row, a missing value, a bool, a number in a spreadsheet's format (thousands
    separators, a decimal comma, '5%', '$5'), a word in y's column, or anything else, each with its
    fix."""
    first_line, first = rows[0]
    header_line, names = source.table[0]
    held = shown_cell(cell)  # a long cell cut short
    # 'units,m,kg' below the names ('#exported,by,tool' read as them aside: told so below)
    second = header and line == first_line and _second_header_row(rows)
    if second and not names[0].lstrip().startswith("#"):
        return _second_header(path, first_line, first, header_line=header_line)
    if (other := _no_example(path, rows, line, names if header else None, header_line)) is not None:
        return other
    if missing_value(cell):
        return _missing(path, rows, line, j, cell, header=header, source=source)
    if _bool(cell):
        return DatasetError(
            f"{shown_path(path)} is not a numeric CSV: line {line}, column {j + 1} holds {held}, "
            "a bool (pandas writes bool columns, such as pd.get_dummies' since pandas 2.0, as "
            "True/False, R as TRUE/FALSE); every cell must be a number: write them as 1/0, e.g. "
            "pd.get_dummies(..., dtype=int) or df[bools] = df[bools].astype(int) in pandas, then "
            "save the table again"
        )
    column = [r[j] for _, r in rows if len(r) > j]
    comma = _comma_kind(cell, column)
    if comma == "thousands":
        return DatasetError(
            f"{shown_path(path)} is not a numeric CSV: line {line}, column {j + 1} holds {held}, "
            f"a number written with {THOUSANDS_FORMAT}; every cell must be a number as numpy "
            f"and pandas read one: {thousands_fix(cell.strip().replace(',', ''))}"
        )
    if comma == "decimal":  # '0,500', or '1,234' beside it, quoted
        return DatasetError(
            f"{shown_path(path)} is not a numeric CSV: line {line}, column {j + 1} holds {held}, "
            "a number written with a decimal comma; every cell must be a number as numpy and "
            f"pandas read one: write it with '.' as the decimal point "
            f"({shown_cell(cell.strip().replace(',', '.'))}), e.g. save the table with '.' as "
            "the spreadsheet's decimal separator"
        )
    if (format_fix := formatted(cell, column)) is not None:  # '5%', '$5', '1\xa0234'
        what, fix = format_fix
        return DatasetError(
            f"{shown_path(path)} is not a numeric CSV: line {line}, column {j + 1} holds {held}, "
            f"{what}; every cell must be a number as numpy and pandas read one: {fix}"
        )
    spelt = _spelt(cell)
    spelling = f"; write it as {spelt}" if spelt else ""
    if (minus := other_minus(cell)) is not None:  # '−1.5', '–0.028', '−inf'
        dash, plain = minus
        rule = (
            "a number with '-' as its minus sign, as numpy and pandas read one: "
            f"{shown_cell(cell.strip())} uses {dash}, not '-'; write it as "
            f"{plain if len(plain) <= 30 else shown_cell(plain)} (replace every "
            f"{' and '.join(map(repr, dict.fromkeys(c for c in cell if c in _DASHES)))} in the "
            f"file with '-'{_also_respelt(cell.strip().translate(_TO_HYPHEN))})"
        )
    elif other_digits(cell):
        rule = "a number in the digits 0-9, as numpy and pandas read them" + spelling
    elif spelt:  # '1_0': Python's float reads it, numpy and pandas do not
        rule = "a number without underscores, as numpy and pandas read them" + spelling
    elif j == len(first) - 1:
        rule = _target_rule([row[j] for _, row in rows])
    else:
        rule = (
            "a number (a first row of column names is allowed): save the column as numbers (fix "
            "that cell, or drop its example)"
        )
        if not marked(cell):  # '-$-5' is a number mistyped, no category
            rule += (
                "; for categories written as words, encode them as numbers, e.g. a 0/1 column "
                "each with pd.get_dummies(df, dtype=int) in pandas"
            )
    if j == 0:  # '#3,6': a row commented out? '#' then a blank makes a comment; '#3' may be data
        rule += comment_fix(cell)
    return DatasetError(
        f"{shown_path(path)} is not a numeric CSV: line {line}, column {j + 1} holds {held}; "
        f"every cell must be {rule}"
    )


def _also_respelt(replaced: str) -> str:
    """Return what else to change in a number whose other minus signs were ``replaced`` with '-',
    where it is still none numpy and pandas read (``'-1_000'``: its underscores), to say with the
    replacement; else ''."""
    if number(replaced) is not None:
        return ""
    also = [
        "drop its underscores" * ("_" in replaced),
        "write its digits as 0-9" * other_digits(replaced.replace("_", "")),
    ]
    return "".join(f", and {a}" for a in also if a)


def _stripped(cells: list[str]) -> list[str]:
    """Return ``cells`` without the blanks around each ('a, b, y' is the header 'a,b,y')."""
    return [cell.strip() for cell in cells]


def _no_example(
    path: Path, rows: Rows, line: int, names: list[str] | None, header_line: int
) -> DatasetError | None:
    """Return the refusal of the row at ``line`` of ``rows`` where it is no example: a copy of the
    header, ``names`` at ``header_line`` (files joined one after another repeat it), or the last
    row, a spreadsheet's totals ('Total,5,9'); else ``None``."""
    row = next(cells for at, cells in rows if at == line)
    if names is not None and _stripped(row) == _stripped(names):
        # 'a, b, y' repeats 'a,b,y' too: every repeat is named, blanks aside, as the first is
        again = [at for at, cells in rows if at > line and _stripped(cells) == _stripped(names)]
        many = len(again) > 1
        others = (
            f" (and line{'s' * many} {', '.join(map(str, again))}, which "
            f"{'repeat' if many else 'repeats'} it too)"
        ) * bool(again)
        return DatasetError(
            f"{shown_path(path)} is not a numeric CSV: line {line} repeats the header (line "
            f"{header_line}){others}, as files joined one after another write it; one header row "
            "is read, and every row below it must be an example: "
            f"delete {'them' if again else 'it'}"
        )
    if line == rows[-1][0] and _TOTALS.fullmatch(row[0].strip().rstrip(":").rstrip()):
        return DatasetError(
            f"{shown_path(path)} is not a numeric CSV: line {line} holds a totals row "
            f"({cut_text(_as_written(row), most=40, keep=30)}); "
            "every row below the header must be an "
            "example: delete it, a sum is no example"
        )
    return None


def _as_written(row: list[str]) -> str:
    """Return ``row`` as a CSV line writes it, a cell holding a comma in quotes."""
    return ",".join(f'"{cell}"' if "," in cell else cell for cell in row)


def _second_header_row(rows: Rows) -> bool:
    """Whether the first of ``rows`` (below the names) is a second row of names: words (no bool
    nor other missing value, told as such), some units left blank or '-' ('kg,,EUR'), above a row
    of values with no word (numbers, some missing or written otherwise): deleted, it leaves a
    first row with no word, never told so again; a table of words (categories) is none."""
    if len(rows) < 2:
        return False
    first, below = rows[0][1], rows[1][1]
    return (
        any(map(_word, first))
        and all(_word(cell) or cell.strip() in ("", "-") for cell in first)
        and not any(map(_word, below))
        and not all(map(is_missing, below))
    )


def _word(cell: str) -> bool:
    """Whether ``cell`` is a word: no number, nor one written otherwise ('1,5', '5%', '１'), nor
    a bool or a missing value."""
    return not (
        is_missing(cell)
        or _bool(cell)
        or number(cell) is not None
        or _spelt(cell)
        or formatted(cell)
        or _comma_kind(cell, [cell])
    )


def _bool(cell: str) -> bool:
    """Whether ``cell`` is a bool as pandas and R write one (True, FALSE)."""
    return cell.strip().lower() in ("true", "false")


def _second_header(path: Path, line: int, row: list[str], *, header_line: int) -> DatasetError:
    """Return the refusal of ``row``, no number, at ``line``, right below the header at
    ``header_line``: a second row of names (units), to delete."""
    return DatasetError(
        f"{shown_path(path)} is not a numeric CSV: line {line}, right below the header (line "
        f"{header_line}), holds {cut_text(','.join(row), most=40, keep=30)} and no number, a "
        "second header row (units, or names?); one header row is read, and every cell below it "
        f"must be a number: delete line {line}, keeping one header row (put units in the names, "
        "e.g. 'mass_kg')"
    )


def _target_rule(column: list[str]) -> str:
    """Return the rule of y's ``column`` (the last), which holds a word: numbers, for linear
    regression; where it holds more words than numbers, class names, for softmax regression."""
    values = [c for c in column if not is_missing(c)]
    words = sum(number(c) is None and not spelt_otherwise(c) for c in values)  # '−1.5' is none
    rule = "a number: y, the target (the last column), is a number for linear regression"
    if 2 * words < len(values):
        return f"{rule}; fix that cell, or drop its example"
    return (
        f"{rule}, and {words} of its {len(values)} values are words: for classes, train softmax "
        "regression on an .npz of X and y, the class names numbered 0..C-1: "
        "numpy.savez(path, X=X, y=numpy.unique(y, return_inverse=True)[1])"
    )


def _comma_kind(cell: str, column: list[str]) -> str | None:
    """Return what the commas of ``cell``, a number written with them, are: 'thousands'
    separators ('1,234', '1,234,567'), a 'decimal' comma ('0,500', '2,5', or '1,234' beside such
    a value in its ``column``: a spreadsheet writes a column one way), or ``None``."""
    comma = DECIMAL_COMMA.fullmatch(cell.strip()) is not None
    if thousands(cell) and not (comma and decimal_mark(column) == ","):
        return "thousands"
    return "decimal" if comma else None


def _spelt(cell: str) -> str | None:
    """Return ``cell``, a number Python's float reads and numpy and pandas do not, as they read
    one: ``1_0`` as ``10``, as the command line's options are told; ``３`` as ``3``; else ``None``."""
    try:
        value = float(cell)
    except ValueError:
        return None
    if "_" in cell and cell.strip().isascii():
        return without_underscores(cell)
    return exact_number(value) if math.isfinite(value) else None


def dashed_data(row: list[str]) -> bool:
    """Whether a first row none of whose cells is a number is data all the same: more of its cells
    are numbers with another minus sign (:func:`other_minus`) than words, '−1,−2' or
    '−1.5,x,−3', whose minus signs are told, never skipped as names; 'a,−1,y' names a column '−1'.
    (A clean cell is no call to :func:`number`: a header's cells are checked as they are.)"""
    dashed = sum(other_minus(cell) is not None for cell in row)
    return dashed > sum(bool(cell.strip()) for cell in row) - dashed


def mixed(row: list[str]) -> bool:
    """Whether a first row holds names and numbers: a header whose names include numbers (a
    number in other digits is neither: the table names it as a bad cell), or beside an empty one
    (',2019,2020', pandas' index over names that read as numbers; '1,,3', data that misses one);
    nor is a number with another minus sign ('−1.5')."""
    numbers = [number(cell) is not None for cell in row]
    return any(numbers) and not all(
        n or spelt_otherwise(c) for n, c in zip(numbers, row, strict=True)
    )


def refuse_mixed_first_row(path: Path, line: int, row: list[str], *, rows: Rows) -> NoReturn:
    """Refuse the first row of ``rows``, numbers and text: column names some of which read as
    numbers (2019, inf, nan), or a first data row with a bad cell (its spelling as a number, if it
    has one, judged with its column) or missing values (names, or data? either reading of
    ',2019,2020' or '1,,3' may be the file's, and they load other data; a column of nothing but
    missing values is told to be dropped, as below a header); say what fixes either."""
    numbers = [cell.strip() for cell in row if number(cell) is not None]
    others = [cell.strip() for cell in row if number(cell) is None]
    empty = [k for k in range(len(row)) if all(is_missing(r[k]) for _, r in rows)]
    if empty:  # '1,,3\n4,,6': that column's, whichever reading
        raise _empty_columns(path, rows, empty)
    at = [k for k, cell in enumerate(row) if number(cell) is None]

    def shown(cells: list[str]) -> str:
        return ", ".join(repr(c)[:30] for c in cells[:3]) + (", …" if len(cells) > 3 else "")

    kind, fix = "text", f"fix {shown(others)}"
    if all(map(missing_value, others)):  # ',2019,2020' or '1,,3'
        kind = "missing values"
        fix = "fill the values it misses, or delete the line"
    elif len(others) == 1 and (comma := _comma_kind(others[0], [r[at[0]] for _, r in rows])):
        fix += (
            f" (thousands separators: write it {shown_cell(others[0].replace(',', ''))})"
            if comma == "thousands"
            else f" (a decimal comma: write it {shown_cell(others[0].replace(',', '.'))})"
        )
    elif len(others) == 1 and (spelt := _spelt(others[0])):  # '1_0', '３'
        fix += f" (write it as {spelt})"
    raise DatasetError(
        f"{shown_path(path)}: line {line} holds both numbers ({shown(numbers)}) and {kind} "
        f"({shown(others)}): if it names the columns, rename those that read as numbers (e.g. "
        f"{'x' + numbers[0]!r:.30}; a first row is skipped as names only when none of its cells is "
        f"a number); if it is data, {fix}{comment_fix(row[0])}"
    )
