"""Numbers written with separators in an array of text ('1,234', '1,5', '1.234,5', '12 000'): read
as numpy reads numbers, and, for each column that holds them, the first, how many, and how to
write them; a '.' beside decimal commas that is not between thousands told ambiguous, never read.

Used by :mod:`linearnets.data.feature_text`, which refuses an array of features held as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from linearnets.data.cell_formats import THOUSANDS_FORMAT, thousands
from linearnets.data.csv_cells import DECIMAL_COMMA
from linearnets.data.example_shapes import column_namer
from linearnets.data.number_cells import (
    character_codes,
    each_number,
    missing_values,
    reads_as_number,
)

__all__ = ["read_separated"]


def read_separated(
    array: np.ndarray, array_name: str, cell: Callable[[int, int], str], example: tuple[int, ...]
) -> tuple[np.ndarray, list[str]]:
    """Return ``array`` (N, D), text, with its numbers written with separators read as numbers
    would be written ('1,234' as '1234', '1,5' as '1.5', '1.234,5' as '1234.5'), and, for each
    column that holds them, where the first is, how many, and the fix (:func:`_written_with`
    tells a column's); only where, so written, the column holds more numbers than words (a name
    such as 'Smith, J' is a word: its column is told as one)."""
    fixes: list[str] = []
    fixed = array
    for j in range(array.shape[1]):
        column = array[:, j]
        if reads_as_number(column):
            continue
        found = _written_with(column)
        if found is None:
            continue
        replaced, what, how = found
        written = column
        for old, new in replaced:
            written = np.char.replace(written, old, new)
        numbers = each_number(written)  # (N,); the others are named as the file holds them
        written = np.where(numbers, written, column)
        values = ~missing_values(column, character_codes(np.ascontiguousarray(column)))
        if 2 * int((numbers & values).sum()) <= int(values.sum()):
            continue  # mostly words, told as such
        if fixed is array:
            fixed = array.copy()
        fixed[:, j] = written
        where = array_name if array.shape[1] == 1 else column_namer(array_name, example)(j)
        if what is None:  # '.' beside decimal commas, not between thousands: no reading offered
            fixes.append(_mixed(column, cell, j, where))
            continue
        # (N,): the values written with separators (blanks around a value aside)
        changed = np.char.strip(written) != np.char.strip(column)
        count = int(changed.sum())
        k = int(np.argmax(changed))
        code = where
        for old, new in replaced:
            code = f"numpy.char.replace({code}, {old!r}, {new!r})"
        many = "the only one" if count == 1 else f"the first of {count}"
        fixes.append(
            f"{column[k].item()!r} at {cell(k, j)} ({many}) is a number written with {what}: "
            f"{how.format(where)} ({_decoded(written[k].item()).strip()!r}), e.g. "
            f"{where} = {code}"
        )
    return fixed, fixes


def _written_with(
    column: np.ndarray,
) -> tuple[list[tuple[Any, Any]], str | None, str] | None:
    """Return how ``column`` (N,), text, writes its numbers with separators, where all of its
    values with them are numbers written so: the replacements (in the column's kind, str or
    bytes, in order) that write them as numpy reads them, what they are written with, and the fix
    (a format of the column's name); else ``None``. A column's values with commas are numbers with
    thousands separators where all are written so (as the CSV reader judges a cell,
    :func:`~linearnets.data.csv_cells.thousands`); else, with '.' or a blank as thousands
    separators (:data:`_GROUPS`), numbers so grouped where all of its values with a comma and its
    numbers with that separator are (:func:`_numbers_with`: a missing value or word with it, '.'
    or 'x.y', is none), a decimal comma allowed ('1.234,5', '1 234,5', '1.500' beside '2,5'; '.'
    only where a number holds two or a value a comma, '1.234' alone being 1.234); else numbers
    with a decimal comma where all of its values with commas are. Beside decimal commas a '.' is
    never a decimal point: a number with one that is not between thousands ('1.5', '0.500' beside
    '2,5') makes the column ambiguous, told by what ``None`` (with the replacements that make its
    numbers read, for the rest of the refusal)."""
    kind = str if column.dtype.kind == "U" else bytes

    def of_kind(text: str) -> Any:
        return text if kind is str else text.encode("latin-1")

    def text(mask: np.ndarray) -> list[str]:
        return [_decoded(v).strip() for v in column[mask].tolist()]

    commas = np.char.find(column, of_kind(",")) >= 0
    decimal = False  # whether the column's values with commas are numbers with a decimal comma
    european = False  # or those, and some with '.' between thousands ('1.234,5' beside '0,5')
    if commas.any():
        with_commas = text(commas)
        if all(thousands(t) for t in with_commas):
            return [(of_kind(","), of_kind(""))], THOUSANDS_FORMAT, "save {} without them"
        decimal = all(DECIMAL_COMMA.fullmatch(t) for t in with_commas)
        european = all(DECIMAL_COMMA.fullmatch(t) or _GROUPS["."].fullmatch(t) for t in with_commas)
        comma_only = [bool(DECIMAL_COMMA.fullmatch(t)) and not thousands(t) for t in with_commas]
        others = [t for t, c in zip(with_commas, comma_only, strict=True) if not c]
        if (
            not decimal
            and any(comma_only)
            and all(map(thousands, others))
            and "." in "".join(others)
        ):
            # '0,500' (a decimal comma: no thousands group starts with 0) beside '1,234.5'
            # (thousands, then a decimal point): the column is written two ways, told by _mixed
            return [(of_kind("."), of_kind("")), (of_kind(","), of_kind("."))], None, ""
    stripped = np.char.strip(column)
    found = None
    for separator, grouped in _GROUPS.items():
        if kind is bytes and ord(separator) > 255:
            continue  # bytes are read as latin-1, which lacks it
        held = _numbers_with(stripped, separator)
        # '1.234' alone may be 1.234: '.' separates thousands where a comma or a second '.' says so
        sure = (
            separator != "."
            or commas.any()
            or (np.char.count(stripped[held], of_kind(".")) > 1).any()
        )
        if sure and held.any() and all(grouped.fullmatch(t) for t in text(held | commas)):
            found = separator
            break
    point = [(of_kind(","), of_kind("."))]
    if (decimal or european) and found != "." and _numbers_with(stripped, ".").any():
        return [(of_kind("."), of_kind("")), *point], None, ""
    if found is None:
        if decimal:
            return point, "a decimal comma", "write {} with '.' as the decimal point"
        return None
    without = [(of_kind(found), of_kind(""))]
    if not commas.any():
        return without, f"{found!r} as thousands separators", "save {} without them"
    return (
        [*without, *point],
        f"a decimal comma and {found!r} as thousands separators",
        "write {} without the thousands separators and with '.' as the decimal point",
    )


def _mixed(column: np.ndarray, cell: Callable[[int, int], str], j: int, where: str) -> str:
    """Say where ``column`` (N,), text, column ``j`` (``where``, ``cell`` naming its cells), holds
    its first value with a '.' beside decimal commas, not between thousands (:func:`_written_with`),
    how many do, and to write the column's numbers one way: that '.' is a decimal point, the
    column written two ways, or a slip, and which the file cannot say."""
    kind = str if column.dtype.kind == "U" else bytes
    stripped = np.char.strip(column)
    # the numbers written with '.'; the first not between thousands named
    held = np.flatnonzero(_numbers_with(stripped, "."))
    loose = [i for i in held.tolist() if not _GROUPS["."].fullmatch(_decoded(stripped[i].item()))]
    named = loose or held.tolist()  # those the message is of
    k, count = named[0], len(named)
    # the decimal comma named: the first value no thousands separator makes ('0,5', not '2,000'
    # nor '1,234.5'), else the first with a comma and no '.', else the first with a comma
    commas = np.flatnonzero(np.char.find(column, "," if kind is str else b",") >= 0).tolist()
    texts = {i: _decoded(column[i].item()).strip() for i in commas}
    plain = [i for i in commas if "." not in texts[i]]
    c = next((i for i in plain if not thousands(texts[i])), (plain or commas)[0])
    many = "the only one" if count == 1 else f"the first of {count}"
    many += " with a '.' not between thousands" if loose else " with '.'"
    comma = _decoded(column[c].item()).strip()
    return (
        f"{column[k].item()!r} at {cell(k, j)} ({many}) is ambiguous beside the decimal "
        f"commas of {where} ({column[c].item()!r} at {cell(c, j)}): its '.' is no thousands "
        "separator, which stands between groups of three digits after a first group not "
        "starting with 0, so it is a decimal point, the column written two ways, or a slip, "
        "which the file cannot say; write the numbers of "
        f"{where} one way, with '.' as the decimal point and no thousands separators "
        f"({comma!r} as {comma.replace(',', '.')!r})"
    )


def _numbers_with(stripped: np.ndarray, separator: str) -> np.ndarray:
    """Return where ``stripped`` (N,), text without blanks around its values, holds a number
    written with ``separator`` (N,): a value with it that reads as a number once its separators
    are dropped and a comma is made a point; a missing value ('.', 'n.a.', '1.#IND') or a word
    ('x.y') with it is none."""
    sep, comma, point = separator, ",", "."
    if stripped.dtype.kind == "S":
        sep, comma, point = sep.encode("latin-1"), b",", b"."  # type: ignore[assignment]
    held = np.char.find(stripped, sep) >= 0
    if not held.any():  # numpy's replace fails on no values
        return held
    read = np.char.replace(np.char.replace(stripped[held], sep, sep[:0]), comma, point)
    held[held] = each_number(read)
    return held


def _decoded(value: str | bytes) -> str:
    """Return ``value``, text, as str: bytes read as latin-1."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


# a number written with each separator between its thousands, a decimal comma allowed: '1.234,5',
# '12 000', or one with a decimal comma alone ('2,5'), as the others of its column may be; no such
# number's first group is 0 or starts with 0 ('0.500', '01.234': a decimal point, or a slip)
_GROUPS = {
    separator: re.compile(
        rf"[-+]?(([1-9]\d{{0,2}}({re.escape(separator)}\d{{3}})+|\d+)(,\d*)?|,\d+)"
    )
    for separator in (".", " ", "\xa0", "\u202f")  # blanks: plain, no-break, narrow no-break
}
