"""Numbers a spreadsheet's format wrote in a CSV cell, which numpy and pandas do not read: with
thousands separators ('1,234', '1 234' with no-break spaces, as French Excel writes them, or '.'
before a decimal comma, '1.234,56'), a percentage ('5%', '12,5 %'), a currency symbol ('$5',
'1 234,56 €') or a negative in parentheses ('(5)', '($5)', the Accounting format's); each told
with the number it holds and how to save the column as numbers. Used by
:mod:`linearnets.data.csv_cells`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal

import numpy as np

from linearnets._text import cut_text

__all__ = [
    "THOUSANDS_FORMAT",
    "decimal_mark",
    "formatted",
    "marked",
    "shown_cell",
    "thousands",
    "thousands_fix",
]

# a number with commas between groups of three digits, as a spreadsheet shows 1,234,567.5 (quoted
# in the file, or the commas would have split the cell)
_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?")
# what such a number is written with, as a refusal says it
THOUSANDS_FORMAT = "thousands separators (a spreadsheet's number format)"
# blanks between groups of three digits: spaces, or no-break ones (French, Swedish, … formats),
# and the decimal part after a point or a comma
_SPACED = re.compile(r"([-+]?[1-9]\d{0,2}(?:([ \u00a0\u202f])\d{3})+)(?:([.,])(\d*))?")
_BLANK_NAMES = {" ": "spaces", "\u00a0": "no-break spaces", "\u202f": "narrow no-break spaces"}
# a number as numpy reads one, in ASCII digits: a percentage's, or an amount's
_PLAIN = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# '.' between groups of three digits, then a decimal comma ('1.234,56', as German Excel writes it;
# '1.234' alone may be 1.234), or a decimal comma alone ('5,50', which '1,234' is not: thousands)
_DOTTED = re.compile(r"([-+]?[1-9]\d{0,2}(?:\.\d{3})+),(\d*)")
_DECIMAL = re.compile(r"([-+]?\d+),(\d+)")
# one separator between a group of at most three digits and one of three: thousands ('1,500',
# '1.234') or the decimal point ('1,500' is 1.5 in a column of '0,50'): the column tells which
_ONE_GROUP = re.compile(r"([-+]?[1-9]\d{0,2})([.,])(\d{3})")
_PERCENT = re.compile(r"(.+?)\s*%")
_SYMBOLS = "$€£¥₹"
_CURRENCY = re.compile(rf"([-+]?)\s*([{_SYMBOLS}])\s*(.+)|(.+?)\s*([{_SYMBOLS}])")
# an Accounting format's negative, '(5)', '($5)', '$ (5.00)'
_PARENTHESES = re.compile(r"\((.*)\)")
# a cell that may write a number in a spreadsheet's format: digits, separators, blanks, signs,
# parentheses, currency symbols and '%' alone (a word casts no vote on the column's separators);
# one class repeated, a digit looked for apart: '[...]*\d[...]*' backtracked in time quadratic
# in a long cell that ends in a letter ('12345 12345 ... x': 23 s to refuse 20 such cells)
_NUMBER_LIKE = re.compile(rf"[\d.,\s+\-()%{_SYMBOLS}]+")
# the most characters of a cell a refusal shows whole
_MOST = 30
# what the separators a number is written with are, as a refusal says it, and its fix says to clear
_SEPARATORS = {
    "thousands": (f" and {THOUSANDS_FORMAT}", ", with 'Use 1000 Separator' cleared"),
    "decimal": (" and a decimal comma", ", and with '.' as the decimal separator"),
    "ambiguous": (
        " and one separator, ambiguous: thousands' or the decimal point, which no other cell of "
        "its column tells",
        ", with 'Use 1000 Separator' cleared and '.' as the decimal separator",
    ),
}


def marked(cell: str) -> bool:
    """Whether ``cell`` holds a currency symbol or '%': a number a format wrote (mistyped, where
    :func:`formatted` does not read it: '-$-5'), no category."""
    return any(mark in cell for mark in _SYMBOLS + "%")


def shown_cell(text: str) -> str:
    """Return ``text``, a cell or the number it holds, quoted as a refusal shows it: cut short
    past 30 characters, with "…" and its length ('$1111…' (5001 characters)), as a message
    quoting the whole of a long cell ran to thousands of characters."""
    return cut_text(text, most=_MOST, keep=20)


def thousands(text: str) -> bool:
    """Return whether ``text`` is a number written with thousands separators ('1,234',
    '-12,000.5'), blanks around it aside."""
    return _THOUSANDS.fullmatch(text.strip()) is not None


def thousands_fix(written: str) -> str:
    """Return how to save a column of numbers with thousands separators, ``written`` the cell's
    number without them."""
    return (
        f"save the column without them ({shown_cell(written)}), e.g. in Excel as the Number "
        "format with 'Use 1000 Separator' cleared"
    )


def formatted(cell: str, column: Iterable[str] = ()) -> tuple[str, str] | None:
    """Return what ``cell`` is and the fix, where it is a number with blanks as thousands separators
    ('1\u00a0234'), or '.' and a decimal comma ('1.234,56'), a percentage ('5%', '12,5 %'), an
    amount with a currency symbol ('$1,234.50', '1\u00a0234,56\u00a0€') or a negative in
    parentheses ('(5)', '($5)', Accounting's); else ``None``, as for one with two signs ('-$-5').
    A separator that may be thousands' or the decimal point ('1,500 €') is read as the other cells
    of its ``column`` write them (:func:`decimal_mark`), else told ambiguous, with both readings."""
    text = cell.strip()
    decimal = decimal_mark(column)
    outer = _PARENTHESES.fullmatch(text)  # '($5)': the sign of all it holds
    if outer is None:
        if (spaced := _spaced(text)) is not None:
            return spaced
        if (dotted := _DOTTED.fullmatch(text)) is not None:  # '1.234,56'
            return (
                f"a number written with '.' as {THOUSANDS_FORMAT} and a decimal comma",
                thousands_fix(_undotted(dotted)) + _SEPARATORS["decimal"][1],
            )
    body = text if outer is None else outer[1].strip()
    if (percent := _PERCENT.fullmatch(body)) is not None:
        return _percentage(percent[1], negative=outer is not None, decimal=decimal)
    currency = _CURRENCY.fullmatch(body)
    if currency is None:
        read = _signed(text, decimal=decimal)
        if read is None or not read[2]:
            return None  # no number, or one without parentheses: told by the table's checks
        what = "a negative number in parentheses (a spreadsheet's Accounting format)"
        without, rather = "", "Accounting"
    else:
        symbol = currency[2] or currency[5]
        amount, sign = currency[3] or currency[4], currency[1] or ""
        read = _signed(amount, sign=sign, negative=outer is not None, decimal=decimal)
        if read is None:
            return None
        what = (
            f"a negative amount in parentheses with a currency symbol ({symbol!r}, a "
            "spreadsheet's Accounting format)"
            if read[2]
            else f"an amount with a currency symbol ({symbol!r}, a spreadsheet's Currency format)"
        )
        without, rather = ", without the symbol", "Currency or Accounting"
    written, separators, negative = read
    if (past := _past_range(written)) is not None:
        return past
    return (
        what + _what(separators),
        f"save the column as plain numbers ({_either(written, text, quoted=True)}){without}"
        + ", with a minus sign" * negative
        + f", e.g. in Excel as the Number format rather than {rather}{_fix(separators)}",
    )


def decimal_mark(column: Iterable[str]) -> str | None:
    """Return the decimal point, ',' or '.', that the numbers of ``column`` (its cells, in a
    spreadsheet's formats or not) are written with, where one of them tells ('0,50 €', '1.234,56',
    '1,234,567': '.') and none tells otherwise; else ``None``: '1,500' and '1.234' tell nothing."""
    marks = {mark for cell in column if (mark := _decimal_of(cell)) is not None}
    return marks.pop() if len(marks) == 1 else None


def _decimal_of(cell: str) -> str | None:
    """Return the decimal point that ``cell``, a number written with separators, shows: the last
    of two kinds ('1.234,56'), the other of one repeated ('1,234,567'), or one no thousands
    separator makes ('0,500', '2,5', '1234,5'); else ``None`` ('1,500', '5', a word)."""
    if _NUMBER_LIKE.fullmatch(cell.strip()) is None or not any(c.isdigit() for c in cell):
        return None
    body = re.sub(r"[^\d.,]", "", cell)  # the digits and separators, signs and symbols aside
    marks = re.findall(r"[.,]", body)
    if not marks:
        return None
    if len(set(marks)) == 2:
        return marks[-1]
    if len(marks) > 1:  # '1,234,567': thousands separators, each before three digits
        if any(len(group) != 3 for group in body.split(marks[0])[1:]):
            return None  # a date ('01.02.2024'), a range ('1,5 - 2,5'): no number, no vote
        return "." if marks[0] == "," else ","
    whole, decimals = body.split(marks[0])
    if len(decimals) == 3 and 0 < len(whole) <= 3 and not whole.startswith("0"):
        return None  # '1,500': either
    return marks[0]


def _either(written: list[str], text: str, *, quoted: bool = False) -> str:
    """Say the number ``written`` holds, or its two readings, where ``text``'s one separator may be
    thousands' or the decimal point."""
    shown = [shown_cell(w) if quoted or len(w) > _MOST else w for w in written]
    if len(shown) == 1:
        return shown[0]
    mark = "," if "," in text else "."
    return f"{shown[0]} if {mark!r} separates thousands, {shown[1]} if it is the decimal point"


def _percentage(text: str, *, negative: bool, decimal: str | None) -> tuple[str, str] | None:
    """Return what a cell is and the fix, a percentage of ``text`` (the cell without '%'), a
    number written with separators (``decimal`` its column's decimal point, if known) or in
    parentheses (or the whole cell: ``negative``); else ``None``."""
    read = _signed(text, negative=negative, decimal=decimal)
    if read is None:
        return None
    written, separators, negative = read
    if (past := _past_range(written)) is not None:
        return past
    fractions = [_hundredth(w) for w in written]
    return (
        f"a {'negative percentage in parentheses' if negative else 'percentage'} (a "
        "spreadsheet's Percent format)" + _what(separators),
        f"save the column as numbers without '%'{_fix(separators)}: as fractions, "
        f"{_either(fractions, text)} (the percentage divided by 100), e.g. in Excel as the "
        f"General or Number format, or as the percentages, {_either(written, text)}",
    )


def _hundredth(written: str) -> str:
    """Return ``written``, a number as numpy reads it, divided by 100 exactly, its decimal point
    shifted ('33.333333333333' → '0.33333333333333'), not rounded as a float's digits are."""
    shifted = Decimal(written).scaleb(-2)
    # written with an exponent ('1e5'), the fraction is too ('1e+3'); else in digits alone
    text = str(shifted).replace("E", "e") if "e" in written.lower() else f"{shifted:f}"
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _past_range(written: list[str]) -> tuple[str, str] | None:
    """Return what a cell is and the fix where its number, ``written``, is past float64's range
    ('1e400%', read as inf, which the table would take from the fix as a number), else ``None``."""
    if all(math.isfinite(float(w)) for w in written):
        return None
    return (
        f"a number past float64's range (±{np.finfo(np.float64).max:.2g}) in a spreadsheet's "
        "format",
        "rescale that column (e.g. divide it by a power of ten) before saving, or drop the example",
    )


def _signed(
    text: str, *, sign: str = "", negative: bool = False, decimal: str | None = None
) -> tuple[list[str], list[str], bool] | None:
    """Return ``text``, a number written with separators (:func:`_read`, ``decimal`` the decimal
    point of its column, if known), with ``sign`` ('-', '+' or '', as before a currency symbol),
    in parentheses where ``negative`` (around the symbol too), and its own sign or parentheses:
    as numpy reads it (two readings where its one separator is ambiguous), the separators it was
    written with ('thousands', 'decimal', 'ambiguous'), and whether it was a negative in
    parentheses; ``None`` where it is no number or has two signs ('-$-5', '(-5)', '(($5))')."""
    text = text.strip()
    parentheses = _PARENTHESES.fullmatch(text)
    if parentheses is not None:
        text = parentheses[1].strip()
    read = _read(text, decimal)
    if read is None:
        return None
    written, separators = read
    inner = parentheses is not None
    if bool(sign) + negative + inner + (written[0][:1] in "+-") > 1:
        return None
    negative = negative or inner
    return [("-" if negative else sign) + w for w in written], separators, negative


def _read(text: str, decimal: str | None) -> tuple[list[str], list[str]] | None:
    """Return ``text`` as numpy reads the number it writes (plain, or with thousands separators:
    commas, blanks, '.' before a decimal comma; or a decimal comma), or its two readings where its
    one separator may be thousands' or the decimal point and ``decimal``, its column's, does not
    tell ('1,500'), and the separators it was written with ('thousands', 'decimal',
    'ambiguous'), else ``None``."""
    if (group := _ONE_GROUP.fullmatch(text)) is not None:  # '1,500', '1.234'
        whole, mark, digits = group.groups()
        grouped, point = whole + digits, f"{whole}.{digits}"
        if decimal is None:
            return [grouped, point], ["ambiguous"]
        if decimal == mark:
            return [point], ["decimal"] * (mark == ",")
        return [grouped], ["thousands"]
    if re.fullmatch(_PLAIN, text):
        return [text], []
    if thousands(text):
        return [text.replace(",", "")], ["thousands"]
    if (spaced := _SPACED.fullmatch(text)) is not None:
        return [_unspaced(spaced)], ["thousands"] + ["decimal"] * (spaced[3] == ",")
    if (dotted := _DOTTED.fullmatch(text)) is not None:
        return [_undotted(dotted)], ["thousands", "decimal"]
    if (decimal_comma := _DECIMAL.fullmatch(text)) is not None:
        return [f"{decimal_comma[1]}.{decimal_comma[2]}"], ["decimal"]
    return None


def _what(separators: list[str]) -> str:
    """Say what a number was written with beyond its format: ``separators``."""
    return "".join(_SEPARATORS[s][0] for s in separators)


def _fix(separators: list[str]) -> str:
    """Say how to save numbers without ``separators``, after a format's fix."""
    return "".join(_SEPARATORS[s][1] for s in separators)


def _spaced(text: str) -> tuple[str, str] | None:
    """Return what ``text`` is and the fix, a number with blanks between groups of three digits
    ('1\u00a0234', '12 000,5'), else ``None``."""
    spaced = _SPACED.fullmatch(text)
    if spaced is None:
        return None
    comma = spaced[3] == ","
    return (
        f"a number written with {_BLANK_NAMES[spaced[2]]} as {THOUSANDS_FORMAT}"
        + _SEPARATORS["decimal"][0] * comma,
        thousands_fix(_unspaced(spaced)) + _SEPARATORS["decimal"][1] * comma,
    )


def _unspaced(spaced: re.Match[str]) -> str:
    """Return the number of ``spaced``, a match of :data:`_SPACED`, as numpy reads it."""
    whole, _, point, decimals = spaced.groups()
    return re.sub(r"\s", "", whole) + (f".{decimals}" if point else "")


def _undotted(dotted: re.Match[str]) -> str:
    """Return the number of ``dotted``, a match of :data:`_DOTTED`, as numpy reads it."""
    return f"{dotted[1].replace('.', '')}.{dotted[2]}"
