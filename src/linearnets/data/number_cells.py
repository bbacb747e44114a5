"""Which cells of an array of text are no numbers, as ``numpy.asarray(..., dtype=float)`` reads
them: its columns of words, the words among the numbers of the others (bad values), and its missing
values (:func:`~linearnets.data.csv_cells.missing_value`); told by a cast where it reads, else by
the values' characters, and a value at a time where those may be a number.

Used by :mod:`linearnets.data.feature_text` and :mod:`linearnets.data.number_separators`.
"""

from __future__ import annotations

import numpy as np

from linearnets.data.csv_cells import MISSING, error_value

__all__ = ["character_codes", "each_number", "missing_values", "not_numbers", "reads_as_number"]


def not_numbers(array: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return, for ``array`` (N, D) of text as ``numpy.asarray(..., dtype=float)`` reads it, its
    columns of words (D,): where no more of the values that are not missing read as numbers than
    not; the first word of each (N, D); the words among the numbers of the other columns (N, D),
    bad values; and its missing values (N, D) (:func:`missing_value`), in any column. A column
    costs a cast where it reads as numbers; else a pass over its characters, which tells most
    words, and a cast (a value at a time where it fails) of the values that may be numbers."""
    words = np.zeros(array.shape[1], dtype=bool)
    first, stray, missing = (np.zeros(array.shape, dtype=bool) for _ in range(3))
    if reads_as_number(array):
        return words, first, stray, missing
    for j in range(array.shape[1]):
        column = np.ascontiguousarray(array[:, j])
        if reads_as_number(column):
            continue
        codes = character_codes(column)
        missing[:, j] = gone = missing_values(column, codes)
        maybe = _may_be_numbers(column, codes) & ~gone
        word = ~maybe & ~gone  # words by their characters
        values = int((~gone).sum())  # 0: a column of missing values alone
        if 2 * int(word.sum()) < values:  # not yet a column of words: read the others
            unsure = np.flatnonzero(maybe)
            word[unsure[~each_number(column[unsure])]] = True
        if values and 2 * int(word.sum()) >= values:  # no more numbers than words
            words[j] = True
            known = int(np.argmax(word))  # the first by its characters, or read
            before = np.flatnonzero(maybe[:known])  # values before it that may be words
            before = before[~each_number(column[before])]
            first[before[0] if before.size else known, j] = True
        else:
            stray[:, j] = word
    return words, first, stray, missing


def missing_values(column: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return where ``column`` (N,), text, of characters ``codes`` (N, L)
    (:func:`character_codes`), holds missing values (:func:`missing_value`), as a mask (N,); only
    its short values that are not plain numbers are put in lower case, the costly part, and only
    those starting with '#' are read as spreadsheet error values."""
    markers = [m.encode() for m in MISSING] if column.dtype.kind == "S" else list(MISSING)
    text = np.char.strip(column)
    # of digits, signs, points and exponents alone, with a digit: no marker is
    plain = _PLAIN[np.minimum(codes, 128)].all(axis=1) & ((codes >= 48) & (codes <= 57)).any(axis=1)
    short = (np.char.str_len(text) <= max(len(m) for m in MISSING)) & ~plain
    missing = np.zeros(len(column), dtype=bool)
    missing[short] = np.isin(np.char.lower(text[short]), markers)
    hashed = np.flatnonzero(np.char.startswith(text, b"#" if column.dtype.kind == "S" else "#"))
    for i in hashed:
        value = column[i].item()
        missing[i] |= error_value(value.decode("latin-1") if isinstance(value, bytes) else value)
    return missing


def _may_be_numbers(column: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return where ``column`` (N,), text, of characters ``codes`` (N, L), holds values that may
    read as numbers (N,): those of the characters a number may hold alone (ASCII's digits,
    blanks, '+-.eE_' and the letters of 'nan' and 'infinity', and, as Python's ``float`` and
    numpy's cast read them, other scripts' digits and blanks; any byte past ASCII in bytes); the
    others are words."""
    ok = _NUMBER[np.minimum(codes, 128)]  # (N, L); past ASCII, told below
    past = codes > 127
    if past.any():
        found = np.unique(codes[past])  # the few distinct characters past ASCII
        other = [c for c in found.tolist() if column.dtype.kind == "S" or _digit(chr(c))]
        ok[past] = np.isin(codes[past], other)
    return ok.all(axis=1)


def character_codes(column: np.ndarray) -> np.ndarray:
    """Return the characters of ``column`` (N,), text, as numbers (N, L): code points, or bytes;
    0 pads a shorter value."""
    codes = column.view(np.uint8 if column.dtype.kind == "S" else np.uint32)
    return codes.reshape(len(column), -1)


def _digit(character: str) -> bool:
    """Whether ``character`` may be part of a number: a digit of any script, or a blank."""
    return character.isdecimal() or character.isspace()


def _table(characters: str) -> np.ndarray:
    """Return which of the codes 0..128 are ``characters`` or 0, text's padding, as a mask (129,);
    128 stands for any past ASCII."""
    table = np.zeros(129, dtype=bool)
    table[[0, *map(ord, characters)]] = True
    return table


# the ASCII characters of numbers: all that a plain number holds; and all that a number may hold
_PLAIN = _table("0123456789+-.eE \t\n\r\x0b\x0c")
_NUMBER = _table("0123456789+-.eE \t\n\r\x0b\x0c_naiftyNAIFTY")


def each_number(values: np.ndarray) -> np.ndarray:
    """Return where ``values`` (K,), text, read as numbers (K,): a cast of them all, else a value
    at a time, as ``float`` (which ``numpy.asarray(..., dtype=float)`` mirrors) reads it."""
    if reads_as_number(values):
        return np.ones(len(values), dtype=bool)
    return np.fromiter((_number(v) for v in values.tolist()), dtype=bool, count=len(values))


def _number(value: str | bytes) -> bool:
    """Whether ``value`` reads as a number, as ``float`` reads it."""
    try:
        float(value)
    except (ValueError, OverflowError):
        return False
    return True


def reads_as_number(value: np.ndarray) -> bool:
    """Whether every value of ``value``, text, reads as a number, as
    ``numpy.asarray(..., dtype=float)`` reads it."""
    try:
        np.asarray(value, dtype=np.float64)
    except (ValueError, OverflowError):
        return False
    return True
