"""Numbers a spreadsheet's format wrote in a CSV cell, which numpy and pandas do not read: with
thousands separators ('1,234', '1 234' with no-break spaces, as French Excel writes them), a
percentage ('5%') or a currency symbol ('$5', '5 €'); each told with the number it holds and how
to save the column as numbers. Used by :mod:`linearnets.data.csv_cells`.
"""

from __future__ import annotations

import re

__all__ = ["THOUSANDS_FORMAT", "formatted", "thousands", "thousands_fix"]

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
_PERCENT = re.compile(rf"({_PLAIN})\s*%")
_SYMBOLS = "$€£¥₹"
_CURRENCY = re.compile(rf"([-+]?)\s*([{_SYMBOLS}])\s*(.+)|(.+?)\s*([{_SYMBOLS}])")


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
    ('1\u00a0234'), a percentage ('5%') or an amount with a currency symbol ('$1,234.50');
    else ``None``."""
    text = cell.strip()
    spaced = _spaced(text)
    if spaced is not None:
        return spaced
    percent = _PERCENT.fullmatch(text)
    if percent is not None:
        value = float(percent[1])
        return (
            "a percentage (a spreadsheet's Percent format)",
            f"save the column as numbers without '%': as fractions, {value / 100:.12g} (the "
            "percentage divided by 100), e.g. in Excel as the General or Number format, or as "
            f"the percentages, {percent[1]}",
        )
    currency = _CURRENCY.fullmatch(text)
    if currency is None:
        return None
    sign, symbol, amount = currency[1] or "", currency[2] or currency[5], currency[3] or currency[4]
    amount = amount.strip()
    if re.fullmatch(_PLAIN, amount):
        grouped = ""
    elif thousands(amount):
        grouped, amount = f" and {THOUSANDS_FORMAT}", amount.replace(",", "")
    elif (grouped_by := _SPACED.fullmatch(amount)) and grouped_by[3] != ",":
        grouped, amount = f" and {THOUSANDS_FORMAT}", re.sub(r"\s", "", amount)
    else:
        return None
    separators = ", with 'Use 1000 Separator' cleared" if grouped else ""
    return (
        f"an amount with a currency symbol ({symbol!r}, a spreadsheet's Currency format){grouped}",
        f"save the column as plain numbers ({sign + amount!r}), without the symbol, e.g. in Excel "
        f"as the Number format rather than Currency or Accounting{separators}",
    )


def _spaced(text: str) -> tuple[str, str] | None:
    """Return what ``text`` is and the fix, a number with blanks between groups of three digits
    ('1\u00a0234', '12 000,5'), else ``None``."""
    spaced = _SPACED.fullmatch(text)
    if spaced is None:
        return None
    whole, blank, point, decimals = spaced.groups()
    written = re.sub(r"\s", "", whole) + (f".{decimals}" if point else "")
    comma = point == ","
    return (
        f"a number written with {_BLANK_NAMES[blank]} as {THOUSANDS_FORMAT}"
        + " and a decimal comma" * comma,
        thousands_fix(written) + ", and with '.' as the decimal separator" * comma,
    )
