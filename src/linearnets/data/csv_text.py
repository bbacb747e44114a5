"""Reading a ``.csv`` file's rows, each with the line it starts on, refusing what is no UTF-8 CSV text.

Lines are counted as an editor shows them: a quoted cell holding a line break spans two. A UTF-8
byte-order mark is dropped; a zip archive or a gzip file named .csv is refused as such, and so is
UTF-16 text (by its byte-order mark); a byte UTF-8 does not allow is named by line, with its
Windows-1252 character. Used by :mod:`linearnets.data.csv_table`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from linearnets._shell import shell_word
from linearnets._text import shown_path
from linearnets.data.new_names import new_file_beside
from linearnets.errors import DatasetError, UsageError

__all__ = ["Rows", "gunzip_fix", "hash_led_lines", "read_rows"]

# (line number in the file, the row's cells)
Rows = list[tuple[int, list[str]]]


def read_rows(path: Path) -> Rows:
    """Return the non-empty rows of the CSV at ``path``, each with the line it starts on (from 1, as
    an editor counts them: a quoted cell's line break starts a line); name an unreadable file."""
    try:
        # the rows at C speed, numbered by their place where no quoted cell spans lines; else
        # (or where the csv module fails: its line) read again, counting each row's lines
        rows = _rows_at_once(path)
        if rows is None:
            rows = _rows_counted(path)
    except PermissionError as exc:
        raise UsageError(
            f"data={str(path)!r} cannot be read ({exc.strerror}); check the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    # a quote never closed makes the last row one cell to the end of the file: of another width
    # than the row above it, or spanning lines (a single row too: a header's quote never closed)
    if rows and _may_run_on(path, rows):
        _refuse_unclosed_quote(path, rows[-1][0])
    return rows


def _rows_at_once(path: Path) -> Rows | None:
    """Return the non-empty rows of the CSV at ``path``, each with the line it starts on, read in
    one call; ``None`` where a row spans lines, or the csv module fails: see
    :func:`_rows_counted`."""
    with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as f:
        _refuse_compressed(path, raw.peek(4)[:4])
        reader = csv.reader(f)
        try:
            read = list(reader)
        except csv.Error:
            return None
    if reader.line_num != len(read):  # a quoted cell holds a line break
        return None
    return [(line, row) for line, row in enumerate(read, start=1) if row]


def _rows_counted(path: Path) -> Rows:
    """Return the non-empty rows of the CSV at ``path``, each with the line it starts on, counting
    the lines the reader reads for each; name the row the csv module fails on by its line."""
    with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as f:
        reader, start = csv.reader(f), 1
        rows: Rows = []
        try:
            for row in reader:
                if row:
                    rows.append((start, row))
                start = reader.line_num + 1  # the lines the reader has read, so far
        except csv.Error as exc:  # e.g. a cell over the csv module's 128 KiB limit
            raise _unreadable(path, start, exc) from None
    return rows


def _may_run_on(path: Path, rows: Rows) -> bool:
    """Whether the last of ``rows`` (read from ``path``) may hold a quote never closed: it spans
    lines, or is of another width than the row above it. Not a comment line ('#') whose quote
    runs only to its own end, ``# note,"draft`` last: dropped as a comment, it swallowed no row."""
    last = rows[-1][1]
    breaks = [cell for cell in last if "\n" in cell or "\r" in cell]
    if not breaks and (len(rows) < 2 or len(last) == len(rows[-2][1])):
        return False
    inner = any("\n" in cell or "\r" in cell for cell in [*last[:-1], last[-1].rstrip("\r\n")])
    return inner or not hash_led_lines(path, rows[-1:])


def _quote_end(path: Path, line: int) -> tuple[int, int | None] | None:
    """Return where the first quoted cell of ``line`` of ``path`` that runs past that line, or
    past the csv module's limit on it, opens (its column, from 1), and the line its closing quote
    stands on, ``None`` when none closes it before the file ends (``line`` itself: a cell closed
    there, over the limit); ``None`` alone when no such cell opens there. A cell is quoted when
    '"' is its first character, as the csv module reads it (``4, "5``: no quoted cell). Lines as
    :func:`read_rows` counts them."""
    with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as f:
        for _ in range(line - 1):
            next(f, "")
        text = f.read()
    at, column = 0, 1
    while True:
        if text.startswith('"', at):
            start = at + 1
            while (at := text.find('"', at + 1)) != -1 and text.startswith('""', at):
                at += 1  # a doubled quote stands for one, inside the cell
            if at == -1:
                return column, None
            # the lines as the csv module counts them: '\r\n', '\n' or '\r' ends each
            end = line + len(re.findall(r"\r\n|\n|\r", text[start:at]))
            if end > line or at - start > csv.field_size_limit():
                return column, end
            at += 1
        # past the cell's text (a quote inside it is its text) to the next comma, or the line end
        found = _CELL_END.search(text, at)
        if found is None or found.group() != ",":
            return None
        at, column = found.end(), column + 1


_CELL_END = re.compile(r"[,\r\n]")


def _refuse_unclosed_quote(path: Path, line: int) -> None:
    """Refuse the file at ``path`` whose last row, starting at ``line``, spans lines because a
    quote opened there is never closed: the csv module read the rest of the file as one cell."""
    found = _quote_end(path, line)
    if found is None or found[1] is not None:
        return
    raise DatasetError(
        f"{shown_path(path)}: line {line}, column {found[0]} opens a quoted cell with '\"' that "
        "is never closed, so the rest of the file reads as that one cell; delete the quote (or "
        "close it where the cell ends)"
    )


def _unreadable(path: Path, line: int, exc: csv.Error) -> DatasetError:
    """Return the refusal of the CSV at ``path`` that the csv module could not read past the row
    starting at ``line`` (``exc``): a quote there never closed, or closed far below, makes one
    cell over its 128 KiB limit."""
    found = _quote_end(path, line) if "field limit" in str(exc) else None
    if found is not None and found[1] == line:  # closed on its line: the cell itself is too long
        return DatasetError(
            f"{shown_path(path)}: line {line}, column {found[0]} holds a quoted cell over the csv "
            f"module's limit ({exc}), no number; every cell must be a number: drop or shorten "
            "that cell"
        )
    if found is not None:
        column, end = found
        runs = (
            "is never closed, so the rest of the file reads as that one cell"
            if end is None
            else f"closes only on line {end}, so lines {line}-{end} read as that one cell"
        )
        return DatasetError(
            f"{shown_path(path)}: line {line}, column {column} opens a quoted cell with '\"' that "
            f"{runs}, over the csv module's limit ({exc}); delete the quote (or close it where "
            "the cell ends)"
        )
    return DatasetError(
        f"{shown_path(path)} is not a readable CSV file ({exc}, in the row from line {line}); "
        "save it as CSV (UTF-8), comma-separated, one number per cell"
    )


def hash_led_lines(path: Path, rows: Rows) -> frozenset[int]:
    """Return the lines of ``rows`` (read from ``path``) whose text, before the csv module unquotes
    it, starts with '#' (blanks before it allowed): the lines that may be comments. A quoted first
    cell (``"#x",1,2``) is data, and reads as ``#x`` too: only the line's text tells them apart,
    read again for the few rows whose first cell starts with '#'."""
    wanted = {line for line, row in rows if row[0].lstrip().startswith("#")}
    if not wanted:
        return frozenset()
    found: set[int] = set()
    last = max(wanted)
    with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as f:
        # the lines as the csv module counts them: this same iteration's
        for number, text in enumerate(f, start=1):
            if number in wanted and text.lstrip().startswith("#"):
                found.add(number)
            if number >= last:
                break
    return frozenset(found)


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
        return DatasetError(f"{shown_path(path)} is not UTF-8 text; {save}")
    line = data.count(b"\n", 0, where) + 1
    column = where - (data.rfind(b"\n", 0, where) + 1) + 1  # in bytes, from 1
    byte = data[where]
    try:
        char = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
        seen, fix = "", save
    else:
        seen = f" ({char!r} in Windows-1252)"
        fix = f"{save}, or convert it: {_iconv(path, 'WINDOWS-1252')}"
    return DatasetError(
        f"{shown_path(path)} is not UTF-8 text: line {line}, byte {column} is 0x{byte:02x}{seen}, "
        f"which UTF-8 does not allow there; {fix}"
    )


def _refuse_compressed(path: Path, head: bytes) -> None:
    """Refuse a zip archive or gzip file named ``.csv`` by its first bytes, ``head``: told as "not
    UTF-8" with the fix to save it as CSV, which it may well hold, compressed; UTF-16 text by its
    byte-order mark (Excel's "Unicode Text", PowerShell's Out-File), told as its byte at 0."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DatasetError(
            f"{shown_path(path)} is UTF-16 text (it starts with the byte-order mark {head[0]:02x} "
            f"{head[1]:02x}, as Excel's Unicode Text and PowerShell's Out-File write), not UTF-8; "
            f"save it as CSV UTF-8 (comma delimited), or convert it: {_iconv(path, 'UTF-16')}"
        )
    if head == b"PK\x03\x04":
        raise DatasetError(
            f"{shown_path(path)} is a zip archive (it starts with PK), not CSV text: an .npz, or "
            "an Excel workbook? rename an .npz to end in .npz; save a workbook from Excel as CSV "
            "UTF-8 (comma delimited)"
        )
    if head[:2] == b"\x1f\x8b":
        raise DatasetError(
            f"{shown_path(path)} is gzip-compressed (it starts with bytes 1f 8b), not CSV text; "
            f"{gunzip_fix(path)}"
        )


def gunzip_fix(path: Path) -> str:
    """Return the fix for the gzip file at ``path``: decompress it to a new file beside it,
    ``d.csv.gz`` to ``d.csv``, ``d.csv`` (compressed, misnamed) to ``d.unzipped.csv``, and pass
    that. Never to ``path`` itself, nor to a file that exists (``d.csv`` beside ``d.csv.gz``:
    ``d.unzipped.csv``, then ``d.unzipped-2.csv``, …): the shell empties the target of ``>``
    before gunzip reads anything."""
    inner = path.with_suffix("") if path.suffix.lower() == ".gz" else path
    if inner == path or os.path.lexists(inner):
        out = new_file_beside(path, f"{inner.stem}.unzipped", inner.suffix)
    else:
        out = inner
    return (
        f"decompress it first (gunzip -c {shell_word(path)} > {shell_word(out)}) and pass "
        f"{shell_word(out)}"
    )


def _iconv(path: Path, encoding: str) -> str:
    """Return the ``iconv`` command converting the CSV at ``path`` from ``encoding`` to UTF-8 in
    a new file beside it, ``d.csv`` to ``d.utf8.csv`` (``d.utf8-2.csv``, … where that exists),
    and the file to pass: never ``path`` itself, nor a file that exists, which the shell empties
    for ``>`` before iconv reads anything."""
    out = new_file_beside(path, f"{path.stem}.utf8", path.suffix)
    return (
        f"iconv -f {encoding} -t UTF-8 {shell_word(path)} > {shell_word(out)} and pass "
        f"{shell_word(out)}"
    )
