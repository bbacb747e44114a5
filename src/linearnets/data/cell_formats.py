"""Numbers a spreadsheet's format wrote in a CSV cell, which numpy and pandas do not read: with
thousands separators ('1,234', '1 234' with no-break spaces, as French Excel writes them, or '.'
before a decimal comma, '1.234,56'), a percentage ('5%', '12,5 %'), a currency symbol ('$5',
'1 234,56 €') or a negative in parentheses ('(5)', '($5)', the Accounting format's); each told
with the number it holds and how to save the column as numbers. Used by
:mod:`linearnets.data.csv_cells`.
"""

from __future__ import annotations

import re

__all__ = ["THOUSANDS_FORMAT", "formatted", "marked", "thousands", "thousands_fix"]

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
_PERCENT = re.compile(r"(.+?)\s*%")
_SYMBOLS = "$€£¥₹"
_CURRENCY = re.compile(rf"([-+]?)\s*([{_SYMBOLS}])\s*(.+)|(.+?)\s*([{_SYMBOLS}])")
# an Accounting format's negative, '(5)', '($5)', '$ (5.00)'
_PARENTHESES = re.compile(r"\((.*)\)")
# what the separators a number is written with are, as a refusal says it, and its fix says to clear
_SEPARATORS = {
    "thousands": (f" and {THOUSANDS_FORMAT}", ", with 'Use 1000 Separator' cleared"),
    "decimal": (" and a decimal comma", ", and with '.' as the decimal separator"),
}


def marked(cell: str) -> bool:
    """Whether ``cell`` holds a currency symbol or '%': a number a format wrote (mistyped, where
    :func:`formatted` does not read it: '-$-5'), no category."""
    return any(mark in cell for mark in _SYMBOLS + "%")


def thousands(text: str) -> bool:
    """Return whether ``text`` is a number written with thousands separators ('1,234',
    '-12,000.5'), blanks around it aside."""
    return _THOUSANDS.fullmatch(text.strip()) is not None


def thousands_fix(written: str) -> str:
    """Return how to save a column of numbers with thousands separators, ``written`` the cell's
    number without them."""
    return (
        f"save the column without them ({written!r}), e.g. in Excel as the Number format with "
        "'Use 1000 Separator' cleared"
    )


def formatted(cell: str) -> tuple[str, str] | None:
    """Return what ``cell`` is and the fix, where it is a number with blanks as thousands separators
    ('1\u00a0234'), or '.' and a decimal comma ('1.234,56'), a percentage ('5%', '12,5 %'), an
    amount with a currency symbol ('$1,234.50', '1\u00a0234,56\u00a0€') or a negative in
    parentheses ('(5)', '($5)', Accounting's); else ``None``, as for one with two signs ('-$-5')."""
    text = cell.strip()
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
        return _percentage(percent[1], negative=outer is not None)
    currency = _CURRENCY.fullmatch(body)
    if currency is None:
        read = _signed(text)
        if read is None or not read[2]:
            return None  # no number, or one without parentheses: told by the table's checks
        what = "a negative number in parentheses (a spreadsheet's Accounting format)"
        without, rather = "", "Accounting"
    else:
        symbol = currency[2] or currency[5]
        amount, sign = currency[3] or currency[4], currency[1] or ""
        read = _signed(amount, sign=sign, negative=outer is not None)
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
    return (
        what + _what(separators),
        f"save the column as plain numbers ({written!r}){without}"
        + ", with a minus sign" * negative
        + f", e.g. in Excel as the Number format rather than {rather}{_fix(separators)}",
    )


def _percentage(text: str, *, negative: bool) -> tuple[str, str] | None:
    """Return what a cell is and the fix, a percentage of ``text`` (the cell without '%'), a
    number written with separators or in parentheses (or the whole cell: ``negative``); else
    ``None``."""
    read = _signed(text, negative=negative)
    if read is None:
        return None
    written, separators, negative = read
    return (
        f"a {'negative percentage in parentheses' if negative else 'percentage'} (a "
        "spreadsheet's Percent format)" + _what(separators),
        f"save the column as numbers without '%'{_fix(separators)}: as fractions, "
        f"{float(written) / 100:.12g} (the percentage divided by 100), e.g. in Excel as the "
        f"General or Number format, or as the percentages, {written}",
    )


def _signed(
    text: str, *, sign: str = "", negative: bool = False
) -> tuple[str, list[str], bool] | None:
    """Return ``text``, a number written with separators (:func:`_read`), with ``sign`` ('-',
    '+' or '', as before a currency symbol), in parentheses where ``negative`` (around the symbol
    too), and its own sign or parentheses: as numpy reads it, the separators it was written with
    ('thousands', 'decimal'), and whether it was a negative in parentheses; ``None`` where it is
    no number or has two signs ('-$-5', '(-5)', '(($5))')."""
    text = text.strip()
    parentheses = _PARENTHESES.fullmatch(text)
    if parentheses is not None:
        text = parentheses[1].strip()
    read = _read(text)
    if read is None:
        return None
    written, separators = read
    inner = parentheses is not None
    if bool(sign) + negative + inner + (written[:1] in "+-") > 1:
        return None
    negative = negative or inner
    return ("-" if negative else sign) + written, separators, negative


def _read(text: str) -> tuple[str, list[str]] | None:
    """Return ``text`` as numpy reads the number it writes (plain, or with thousands separators:
    commas, blanks, '.' before a decimal comma; or a decimal comma) and the separators it was
    written with ('thousands', 'decimal'), else ``None``."""
    if re.fullmatch(_PLAIN, text):
        return text, []
    if thousands(text):
        return text.replace(",", ""), ["thousands"]
    if (spaced := _SPACED.fullmatch(text)) is not None:
        return _unspaced(spaced), ["thousands"] + ["decimal"] * (spaced[3] == ",")
    if (dotted := _DOTTED.fullmatch(text)) is not None:
        return _undotted(dotted), ["thousands", "decimal"]
    if (decimal := _DECIMAL.fullmatch(text)) is not None:
        return f"{decimal[1]}.{decimal[2]}", ["decimal"]
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
