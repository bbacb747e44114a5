"""A CSV table's layout checked: commas between the values, and every row as wide as the table.

Another separator (Excel's ';' in a decimal-comma locale, a tab, spaces) is refused with the pandas
line that converts the file; so are Excel's ``sep=`` line, a title line above the table, a table of
one column, trailing commas where y should be, and a row of another number of columns than most
rows have. Lines that start with '#' and a blank ('# x1,x2,y', numpy.savetxt's header), or with
'#' and no data of the table's width, are comments, skipped anywhere (:func:`comment_lines`); a
spreadsheet's error value (``#N/A``, ``#DIV/0!``, ``#ERROR!``, ``#WERT!``) first in a row, a quoted
``"#x"`` and a row commented out as ``#3,6`` stay cells, refused as no number, never dropped unseen.
Used by :mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

from collections import Counter
from itertools import islice
from pathlib import Path
from typing import NoReturn

from linearnets._shell import shell_word
from linearnets._text import cut_text, shown_path
from linearnets.data.csv_cells import comment_fix, error_value, number
from linearnets.data.csv_text import Rows
from linearnets.data.new_names import new_file_beside
from linearnets.errors import DatasetError

__all__ = [
    "check_separator",
    "column_count",
    "comment_lines",
    "drop_comments",
    "refuse_one_column",
    "refuse_trailing_commas",
    "tab_conversion",
]


def comment_lines(rows: Rows, hashed: frozenset[int]) -> frozenset[int]:
    """Return the lines of ``rows`` that are comments, of the ``hashed`` ones (whose text, before
    unquoting, starts with '#': :func:`~linearnets.data.csv_text.hash_led_lines`).

    A '#' line is a comment when '#' is followed by a blank or ends the line (numpy.savetxt's
    '# x1,x2,y', '# end', '#'); or when it does not look like data (a spreadsheet's error value
    first, '#ERROR!,8', or numbers after the '#', '#3,6') and either has another number of cells
    than the table (the one most other lines have) or holds prose, '#' and words with a blank
    between them ('#exported by tool, v2'). Any other '#' line is a row: data whose first cell is
    refused as no number, or, first, the names ('#,x,y')."""
    if not hashed:
        return frozenset()
    widths = Counter(len(row) for line, row in rows if line not in hashed)
    width = widths.most_common(1)[0][0] if widths else None
    return frozenset(line for line, row in rows if line in hashed and _comment(row, width))


def _comment(row: list[str], width: int | None) -> bool:
    """Whether ``row``, whose line starts with '#', is a comment in a table of ``width`` cells
    (``None``: every line starts with '#'); see :func:`comment_lines`."""
    text = row[0].lstrip()[1:]  # after the '#'
    if text[:1].isspace() or (not text and len(row) == 1):
        return True
    first = row[0].strip()
    data = error_value(first) or all(number(cell) is not None for cell in (text, *row[1:]))
    prose = any(char.isspace() for char in text.strip())
    return not data and (len(row) != width or prose)


def drop_comments(path: Path, rows: Rows, hashed: frozenset[int]) -> Rows:
    """Return ``rows`` without their comment lines ('# exported by tool, v2' above the names, a
    '# end' footer, a note between rows; see :func:`comment_lines`), of the ``hashed`` lines,
    which start with '#'; refuse a file that holds nothing else."""
    comments = comment_lines(rows, hashed)
    if not comments:
        return rows
    table = [(line, row) for line, row in rows if line not in comments]
    if not table:  # numpy.savetxt's header alone
        line, row = rows[0]
        raise DatasetError(
            f"{shown_path(path)} holds no data rows, only comment lines (line {line}: "
            f"{','.join(row).strip()!r:.40}); write each example below them on one line, its "
            "features and then y, separated by commas"
        )
    return table


def check_separator(path: Path, rows: Rows, hashed: frozenset[int]) -> None:
    """Refuse a table whose values another separator than the comma divides (Excel's ';' in a
    decimal-comma locale, a tab), seen in the first line and the next, or Excel's ``sep=,`` line;
    ``hashed``: the lines that start with '#', comments or not (:func:`comment_lines`)."""
    line, row = rows[0]
    # the csv module split the lines at their commas (decimal commas too): join them back
    text = ",".join(row)
    if text.strip().lower() == "sep=,":
        raise DatasetError(
            f"{shown_path(path)}: line {line}, {text.strip()!r}, tells Excel which separator the "
            "file uses, and is no row of the table; delete it, so that the file starts with the "
            "column names or the data"
        )
    # comment lines above the table (numpy.savetxt's header="..." writes '# ' lines) tell nothing
    # of its separator: the first line that is no comment, and the next, do
    comment = comment_lines(rows, hashed)
    # the first three rows are all it reads: Excel's line, then the first line and the next
    table = list(islice((row for line, row in rows if line not in comment), 3))
    # Excel's line naming another separator ('sep=;') is no row of the table either
    excel = bool(table) and ",".join(table[0]).strip().lower().startswith("sep=")
    comments, table = bool(comment), table[excel:]
    if not table:
        return
    row, following = table[0], table[1] if len(table) > 1 else None
    # a space inside a cell divides values only where the line is one cell: names hold spaces
    for sep in (";", "\t", " ") if len(row) < 2 else (";", "\t"):
        if _divides(sep, row) and (following is None or _divides(sep, following)):
            # commas split a line whose values have decimal commas
            decimal = len(following if following is not None else row) > 1
            raise DatasetError(
                f"{shown_path(path)} is not a numeric CSV: its values are separated by {sep!r}, "
                "not commas; save it comma-separated"
                + (", with '.' as the decimal point (it has decimal commas)" if decimal else "")
                + f", e.g. {_conversion(path, sep, row, decimal, comments=comments, excel=excel)}"
            )


def _conversion(
    path: Path, sep: str, row: list[str], decimal: bool, *, comments: bool, excel: bool
) -> str:
    """Return the pandas line that writes the table at ``path``, whose values ``sep`` divides,
    comma-separated (``decimal``: its decimal commas as points), to a new file beside it
    (``b.csv`` to ``b.commas.csv``, ``b.commas-2.csv`` where that exists), and that file to pass;
    ``row`` is the table's first
    line, split at its commas; ``comments``: '#' lines stand in the file; ``excel``: its first
    line is Excel's ``sep=``."""
    cells = ",".join(row).split() if sep == " " else ",".join(row).split(sep)
    # a first line of names: read as the header, and written back as one; else none of either
    names = all(number(cell.replace(",", ".") if decimal else cell) is None for cell in cells)
    read = ", ".join(
        [repr(str(path)), f"sep={sep!r}" if sep != " " else r"sep=r'\s+'"]
        + (["decimal=','"] if decimal else [])
        + (["comment='#'"] if comments else [])
        + (["skiprows=1"] if excel else [])
        + ([] if names else ["header=None"])
    )
    # beside the file, under a name no file has: to_csv overwrites whatever it is given
    out = new_file_beside(path, f"{path.stem}.commas", ".csv")
    write = f"{str(out)!r}, index=False{'' if names else ', header=False'}"
    return f"pandas.read_csv({read}).to_csv({write}), and pass {shell_word(out)}"


def tab_conversion(path: Path) -> str:
    """Return the pandas line that writes the tab-separated file at ``path`` (``t.tsv``) as a CSV
    beside it, as a ``.csv`` whose values tabs divide is told: its first lines that are no '#'
    comment (numpy.savetxt's header) tell whether it has names and decimal commas, and any '#'
    line is skipped (``comment='#'``); where it cannot be read, the line for a table with names."""
    try:
        lines, comments = _tab_lines(path)
    except (OSError, UnicodeDecodeError):
        lines, comments = [], False
    if not lines:
        return _conversion(path, "\t", ["x\ty"], False, comments=comments, excel=False)
    rows = [line.split(",") for line in lines]  # split at commas, as the csv module reads them
    decimal = len(rows[-1]) > 1
    return _conversion(path, "\t", rows[0], decimal, comments=comments, excel=False)


def _tab_lines(path: Path) -> tuple[list[str], bool]:
    """Return the first two lines of the text file at ``path`` that are neither blank nor a '#'
    comment, and whether any line (read to the end: a '# end' footer too) is one."""
    lines: list[str] = []
    comments = False
    with path.open(encoding="utf-8-sig", newline="") as f:
        for line in f:
            if line.lstrip().startswith("#"):
                comments = True
            elif line.strip() and len(lines) < 2:
                lines.append(line.rstrip("\r\n"))
    return lines, comments


def _divides(sep: str, row: list[str]) -> bool:
    """Return whether ``sep`` stands between the values of a cell of ``row`` (not only around one)."""
    return any(sep in cell.strip() for cell in row)


def refuse_one_column(path: Path, rows: Rows) -> NoReturn:
    """Refuse a first line of fewer than 2 columns: a title line above the table, or a table of
    one column (another separator than the comma is named before, comment lines dropped)."""
    line, row = rows[0]
    counts = Counter(len(cells) for _, cells in rows[1:])
    if counts and counts.most_common(1)[0][0] > len(row):
        wider = counts.most_common(1)[0][0]
        raise DatasetError(
            f"{shown_path(path)}: line {line} has {len(row)} column, the other lines {wider}: a "
            f"title line above the table ({row[0].strip()!r:.40})? delete it, so that the file "
            "starts with the column names or the data"
        )
    raise DatasetError(
        f"{shown_path(path)} must have at least 2 columns (features, then y), got {len(row)}; "
        "write each example on one line, its features and then y, separated by commas"
    )


def column_count(path: Path, rows: Rows, *, header: bool) -> int:
    """Return the table's number of columns, the one most rows have (on a tie, the first row's);
    refuse a row of another number, naming the first (a short header or first row too)."""
    counts = Counter(len(row) for _, row in rows)
    columns, count = counts.most_common(1)[0]  # a tie keeps the first row's, counted first
    if count == len(rows):
        return columns
    _refuse_some_trailing_commas(path, rows, header=header)
    line, row = next((line, row) for line, row in rows if len(row) != columns)
    others = "the others" if count == len(rows) - 1 else f"{count} of the {len(rows)} rows"
    fix = (
        "the column names must name every column, y last"
        if header and line == rows[0][0]
        else "every row must hold the same features, then y"
    )
    raise DatasetError(
        f"{shown_path(path)}: line {line} has {_plural(len(row), 'column')}, {others} {columns}; "
        f"{fix}{comment_fix(row[0])}{_quoted_lines(line, row)}"  # '#1e5' alone: as '#' and no blank
    )


def _refuse_some_trailing_commas(path: Path, rows: Rows, *, header: bool) -> None:
    """Refuse a table of two widths whose wider rows, one cell wider, all end with a comma (an
    empty last cell): the trailing commas, not a missing column, make them wider. Named by the
    wider lines (the header's an empty last name)."""
    widths = sorted({len(row) for _, row in rows})
    if len(widths) != 2 or widths[1] != widths[0] + 1:
        return
    wider = [line for line, row in rows if len(row) == widths[1]]
    if any(row[-1].strip() for _, row in rows if len(row) == widths[1]):
        return
    if len(wider) == 1:
        names = header and wider[0] == rows[0][0]
        what = f"line {wider[0]}, the column names," if names else f"line {wider[0]}"
        raise DatasetError(
            f"{shown_path(path)}: {what} ends with a comma, an empty last "
            f"{'name' if names else 'cell'}: it has {widths[1]} columns, the others {widths[0]}; "
            "remove that trailing comma"
        )
    shown = ", ".join(str(line) for line in wider[:3]) + (", …" if len(wider) > 3 else "")
    counted = "" if len(wider) < 3 else f" ({len(wider)} of the {len(rows)} rows)"
    raise DatasetError(
        f"{shown_path(path)}: lines {shown}{counted} end with a comma, an empty last cell, so they "
        f"have {widths[1]} columns, the others {widths[0]}; remove the trailing commas, so that "
        "each line ends with its y"
    )


def _quoted_lines(line: int, row: list[str]) -> str:
    """Say where the row of ``line`` spans lines: a quoted cell holding line breaks, which a quote
    opened there and closed only further down makes; else ''."""
    breaks = sum(cell.count("\n") + cell.replace("\r\n", "").count("\r") for cell in row)
    if not breaks:
        return ""
    return (
        f" (its quoted cell runs from line {line} to line {line + breaks}: is a quote opened on "
        f"line {line} closed only there? delete it, or close it where the cell ends)"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def refuse_trailing_commas(path: Path, rows: Rows) -> None:
    """Refuse a table every line of which ends with a comma: an empty last column, where y should
    be (it read as a first row of numbers and the text '', a header with numbers for names)."""
    if len(rows[0][1]) > 1 and all(len(row) > 1 and not row[-1].strip() for _, row in rows):
        raise DatasetError(
            f"{shown_path(path)}: every line ends with a comma, so the last column, where y goes, "
            f"is empty (line {rows[0][0]}: {_line(rows[0][1])}); remove the trailing "
            "commas, so that each line ends with its y"
        )
    # the data lines only, one cell longer than the first line (the names) for it: not a first
    # line short of a name, as the count of columns would tell it
    width = len(rows[0][1]) + 1
    if len(rows) > 1 and all(len(row) == width and not row[-1].strip() for _, row in rows[1:]):
        line, row = rows[1]
        raise DatasetError(
            f"{shown_path(path)}: every line but the first ends with a comma, so their last "
            f"column, where y goes, is empty (line {line}: {_line(row)}); remove the "
            "trailing commas, so that each line ends with its y"
        )


def _line(cells: list[str]) -> str:
    """Return a line of ``cells`` as the file holds it, quoted; a long one cut to its end, which
    shows the trailing comma a refusal is about, with its length."""
    return cut_text(",".join(cells), most=58, keep=40, end=True)
