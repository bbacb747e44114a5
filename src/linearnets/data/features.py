"""A file's array of features as a float32 tensor (N, D), refused where it cannot be one: not 2-d,
empty, not real numbers, too large, holding NaN or inf, or a column float32 makes all 0 (D2L §3.3).

Used by :mod:`linearnets.data.arrays` and :mod:`linearnets.data.regression_file`, which read the
``--data`` files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch

from linearnets._text import shown_path
from linearnets.data.csv_cells import (
    DECIMAL_COMMA,
    MISSING,
    THOUSANDS_FORMAT,
    error_value,
    thousands,
)
from linearnets.data.example_shapes import cell_namer, column_namer
from linearnets.data.rounding import rescale_fix
from linearnets.errors import DatasetError

__all__ = ["float_features"]


def float_features(
    path: Path,
    name: str,
    array: np.ndarray,
    *,
    cell: Callable[[int, int], str] | None = None,
    shape: tuple[int, ...] | None = None,
    beside: np.ndarray | None = None,
) -> torch.Tensor:
    """Return ``array`` (N, D) as float32 (N, D), refusing empty, non-real or non-finite values.

    Args:
        path: the file, for the messages.
        name: what ``array`` is in the file, e.g. ``X``.
        array: shape (N, D).
        cell: names the cell at row ``i``, column ``j`` (from 0) in the file's terms, e.g.
            ``line 102, column 2`` for a CSV; ``name[i, j]`` by default.
        shape: the shape the file holds ``array`` in, where that is not (N, D) (images (N, H, W)
            flattened), for the messages.
        beside: the other of ``X`` and ``X_test`` where the file holds both, as held (images
            flattened): for ``X``, ``X_test``, whose columns of words are to be numbered with
            ``X``'s; for ``X_test`` (a name ending in ``_test``), ``X``, read first, which holds
            numbers.

    Returns:
        ``array`` as float32, shape (N, D).
    """
    example = (shape or array.shape)[1:]  # (D,), or the image's (H, W) it was flattened from
    cell = cell or cell_namer(name, example)
    _check_rows(path, name, array, shape=shape)
    if array.dtype.kind in "SU":  # text (str_ or bytes_): words, or numbers written as text
        _refuse_text(path, name, array, cell, example, beside=beside)
    try:
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: refused just below
            X = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    except MemoryError:
        raise DatasetError(
            f"{shown_path(path)}: {name} of shape {array.shape} is too large to hold as float32 "
            f"({array.size * 4:,} bytes) in this machine's memory; use fewer rows or features"
        ) from None
    if not bool(torch.isfinite(X).all()):
        _refuse_non_finite(path, name, array, X, cell)
    _check_no_underflow(path, name, array, X, cell)
    return X


def _check_rows(path: Path, name: str, array: np.ndarray, *, shape: tuple[int, ...] | None) -> None:
    """Refuse ``array`` unless it is (N, D) real numbers, N and D ≥ 1, as :func:`float_features` reads
    it (``shape``: the shape the file holds it in, for the messages)."""
    if array.dtype.names:  # a structured array (pandas' df.to_records()): a field per column
        raise DatasetError(
            f"{shown_path(path)}: {name} must hold real numbers, got a structured array of the "
            f"fields {list(array.dtype.names)}; store its fields as columns, e.g. "
            f"numpy.lib.recfunctions.structured_to_unstructured({name}) (df.to_numpy() for a "
            "pandas DataFrame)"
        )
    if array.ndim != 2:
        fix = "store one row of features per example"
        if name.isidentifier() and array.ndim > 2:
            fix = f"reshape it to one row per example, e.g. {name}.reshape(len({name}), -1)"
        elif name.isidentifier() and array.ndim == 1:  # np.savez(path, X=x, y=y) of one feature
            fix += f", e.g. {name}.reshape(-1, 1) for one feature per example"
        raise DatasetError(
            f"{shown_path(path)}: {name} must be a 2-d array (N, D), got shape {array.shape}; {fix}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        missing = "no examples (N = 0)" if array.shape[0] == 0 else "no features (D = 0)"
        raise DatasetError(
            f"{shown_path(path)}: {name} must hold at least one example and one feature, got shape "
            f"{shape or array.shape}: {missing}; save the data with its rows and columns"
        )
    # kinds b, i, u, f: bool, int, uint, float; not complex, dates, durations (numpy counts
    # timedelta64 as an integer) or objects; text (S, U) is float_features' to refuse, by its values
    if array.dtype.kind not in "biufSU":
        raise DatasetError(
            f"{shown_path(path)}: {name} must hold real numbers, got dtype {array.dtype}; only "
            "bool, integer and float arrays are read: convert it first, e.g. with "
            "numpy.asarray(..., dtype=float)"
        )


def _refuse_text(
    path: Path,
    name: str,
    array: np.ndarray,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
    *,
    beside: np.ndarray | None,
) -> NoReturn:
    """Refuse ``array`` (N, D) of text: where every value reads as a number, with the cast that
    reads it; else naming, each with its fix (``cell``: where, in the file's terms; ``example``:
    the shape of a row as the file holds it, for the columns' names; ``beside``: as for
    :func:`float_features`), the first word of its columns of words, to encode as numbers (with
    ``X_test``'s) or drop; the first bad value among a column's numbers, with how many, to fill or
    drop (never a rank encoding of its numbers); the first missing value (:func:`missing_value`),
    in any column, with how many, to fill or drop; and a column of missing values alone, to drop
    (targets that are all missing are none)."""
    got = f"{shown_path(path)}: {name} must hold real numbers, got dtype {array.dtype}"
    array_name = name.split()[0]  # "y (the last column)" is y
    # numbers written with separators ('1,234', '1,5'): told how to write them, then read as such
    array, separated = _separated(array, array_name, cell, example)
    words, first_word, stray, missing = _not_numbers(array)  # (D,), (N, D) x 3
    bad = (stray | missing).any(axis=0)  # (D,): columns of numbers with values that are none
    if not (separated or words.any() or stray.any() or missing.any()):
        raise DatasetError(
            f"{got}: numbers written as text; convert it first, e.g. with "
            f"numpy.asarray({array_name}, dtype=float)"
        )
    empty = missing.all(axis=0)  # (D,): columns of missing values alone
    if array_name in ("y", "y_test") and empty.any():
        raise DatasetError(
            f"{got}: text, and every value of {array_name} is missing ({_first(array, missing, cell)} "
            f"the first of {len(array)}): it holds no targets; save the file with them"
        )
    parts = []
    encoded = words
    test_fixes: list[str] = []
    together = array_name == "X" and _same_text(array, beside)
    if together:
        # X_test's columns of words are encoded with X's, in the one fix for both: a column is
        # one of words by X's and X_test's values together; X_test's bad and missing values in
        # the others, and its missing ones in those, named too, or the fix's cast would fail
        assert beside is not None
        test_cell = cell_namer("X_test", example)
        beside, test_fixes = _separated(beside, "X_test", test_cell, example)
        both_words, both_stray, both_missing = _together(array, beside, words | bad)
        # a column X holds no values in is dropped, X_test's words there too: none to learn from
        encoded = (words | both_words) & ~empty
        n = len(array)
        # X's columns of missing values alone are dropped from both: X_test's values there too
        stray_test, missing_test = both_stray[n:] & ~encoded & ~empty, both_missing[n:] & ~empty
        if stray_test.any():
            test_fixes.append(
                _fill(beside, stray_test, encoded, "X_test", test_cell, example, what="bad value")
            )
        if missing_test.any():
            test_fixes.append(
                _fill(
                    beside,
                    missing_test,
                    encoded,
                    "X_test",
                    test_cell,
                    example,
                    what="missing value",
                )
            )
    # the other array, where the file holds both: text numbered with this one's words, or numbers
    other = "text" if together else _other(array_name, beside)
    # columns of missing values alone, dropped in the encoding's code (before it, they would
    # shift the indices it names); images are dropped from as they are held, told apart
    dropped = empty.any() and words.any() and other != "numbers" and len(example) == 1
    if words.any():
        gone = missing & empty if dropped else None
        parts.append(_words(array, first_word, encoded, name, cell, example, other, gone))
    fixes = separated
    stray &= ~encoded
    if stray.any():
        fixes.append(_fill(array, stray, encoded, name, cell, example, what="bad value"))
    if (missing & ~empty).any():
        fixes.append(
            _fill(array, missing & ~empty, encoded, name, cell, example, what="missing value")
        )
    fixes += test_fixes
    if empty.any() and not dropped:  # last: dropped first, they would shift the columns named
        fixes.append(_empty(array, missing & empty, name, cell, example, beside=beside))
    if fixes:
        parts.append(f"first, {'; '.join(fixes)}" if parts else "; ".join(fixes))
        # an .npz's array, not a CSV's columns, with values to keep
        if not words.any() and name.isidentifier() and not empty.all():
            if together and not encoded.any():  # X_test's text too, or it is refused next
                parts[-1] += (
                    ", then convert them, X, X_test = numpy.asarray(X, dtype=float), "
                    "numpy.asarray(X_test, dtype=float)"
                )
            else:
                parts[-1] += f", then convert it, numpy.asarray({name}, dtype=float)"
    raise DatasetError(f"{got}: text, and {'; '.join(parts)}")


def _separated(
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
        if _reads_as_number(column):
            continue
        found = _written_with(column)
        if found is None:
            continue
        replaced, what, how = found
        written = column
        for old, new in replaced:
            written = np.char.replace(written, old, new)
        numbers = _each_number(written)  # (N,); the others are named as the file holds them
        written = np.where(numbers, written, column)
        values = ~_missing_values(column, _codes(np.ascontiguousarray(column)))
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
    held[held] = _each_number(read)
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


def _together(
    array: np.ndarray, test: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return :func:`_not_numbers`' columns of words (D,), bad values and missing values (N + M,
    D) of ``array`` (N, D), ``X``, and ``test`` (M, D), ``X_test``, read together, in the
    ``columns`` (D,) of ``array`` holding values that are no number and those of ``test``: a cast
    of ``test``'s columns, and a reading of those alone."""
    columns = columns.copy()
    if not _reads_as_number(test):
        columns |= [not _reads_as_number(test[:, j]) for j in range(test.shape[1])]
    words = np.zeros(array.shape[1], dtype=bool)
    stray, missing = (np.zeros((len(array) + len(test), array.shape[1]), dtype=bool) for _ in "sm")
    both = np.concatenate([array[:, columns], test[:, columns]])
    words[columns], _, stray[:, columns], missing[:, columns] = _not_numbers(both)
    return words, stray, missing


def _same_text(array: np.ndarray, test: np.ndarray | None) -> bool:
    """Whether ``test``, the file's ``X_test`` beside ``X``'s ``array`` (N, D), is text of D
    columns too (one of other columns is refused as such first)."""
    return test is not None and test.dtype.kind in "SU" and test.shape[1:] == array.shape[1:]


def _other(array_name: str, beside: np.ndarray | None) -> str | None:
    """Return what the other of ``X`` and ``X_test`` that the file holds beside ``array_name`` is,
    where it is not text numbered with it: "numbers" (``X``, read first, beside ``X_test``; an
    ``X_test`` of bools, integers or floats beside ``X``), else ``None``."""
    if beside is None or array_name not in ("X", "X_test"):
        return None
    return "numbers" if array_name == "X_test" or beside.dtype.kind in "biuf" else None


def _words(
    array: np.ndarray,
    bad: np.ndarray,
    encoded: np.ndarray,
    name: str,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
    other: str | None,
    gone: np.ndarray | None,
) -> str:
    """Say where the first of ``array``'s (N, D) words is, ``bad`` (N, D) marking it, and how to
    encode the columns ``encoded`` (D,) as numbers (``array``'s columns of words and, for ``X``,
    ``X_test``'s): ``X``'s and ``X_test``'s together where the other array is text (``other``;
    numbered apart, one word had two numbers), in the other's encoding where it holds numbers
    (``X`` beside ``X_test``, read first; ``X_test`` beside ``X``, whose floats a concatenate
    would make text numbered with ``X``'s words). Targets ``y`` are encoded whole, or their
    examples dropped. ``gone`` (N, D): the missing values of the columns of them alone, which the
    code drops after encoding (dropped before, the columns it names would have shifted)."""
    array_name = name.split()[0]
    first = f"{_first(array, bad, cell)} is no number (the first word)"
    if array_name in ("y", "y_test"):  # the targets: their examples are dropped, not the column
        return (
            f"{first}; encode it as numbers, e.g. numpy.unique({array_name}, "
            f"return_inverse=True)[1], its distinct values numbered 0..K-1, or drop the examples "
            f"whose {array_name} is no number"
        )
    columns = [int(c) for c in np.flatnonzero(encoded)]
    namer = column_namer(array_name, example)
    names = [namer(c) + ("" if bad[:, c].any() else " (words in X_test)") for c in columns]
    one = len(columns) == 1
    that = "that column" if one else f"those columns ({', '.join(names)})"
    empty = [] if gone is None else [int(c) for c in np.flatnonzero(gone.all(axis=0))]
    # dropped, the columns would leave no feature: X of one column of words
    drop = (
        ""
        if len(columns) + len(empty) == array.shape[1]
        else f", or drop {'that column' if one else 'them'}"
        if not empty
        else f", or drop {', '.join(names)} too"
    )
    if other == "numbers":  # the other array holds numbers there
        held_in = array_name.removesuffix("_test") if array_name.endswith("_test") else "X_test"
        return (
            f"{first}; {held_in} holds numbers there: store {that} in {held_in}'s encoding (each "
            f"value as the number it has in {held_in}){drop + ' from both' if drop else ''}"
        )
    held = "both" if other else array_name  # the array the columns are encoded in
    if one or len(example) > 1:  # images (N, H, W): a statement per column, named as held
        encode = "; ".join(
            f"{c} = numpy.unique({c}, return_inverse=True)[1]"
            for c in (column_namer(held, example)(c) for c in columns)
        )
    else:
        encode = (
            f"{held}[:, {columns}] = numpy.stack([numpy.unique(c, return_inverse=True)[1] for c "
            f"in {held}[:, {columns}].T], 1)"
        )
    and_drop = ""
    if empty:
        assert gone is not None
        encode += f"; {held} = numpy.delete({held}, {empty}, 1)"
        lone = len(empty) == 1
        and_drop = (
            f", and {', '.join(namer(c) for c in empty)} {'holds' if lone else 'hold'} no "
            f"numbers, only missing values ({_first(array, gone, cell)} the first)"
        )
        that = f"{', '.join(names)} as numbers and drop {', '.join(namer(c) for c in empty)}"
    else:
        that += " as numbers"
    numbered = "its distinct values" if one else "each column's distinct values"
    cut = f"in an array of objects first: written into {array_name}'s text, 10 could be cut to '1'"
    if other:
        test = f"{array_name}_test"
        code = (
            f"both = numpy.concatenate([{array_name}, {test}]).astype(object); {encode}; "
            f"{array_name}, {test} = numpy.asarray(both[:len({array_name})], dtype=float), "
            f"numpy.asarray(both[len({array_name}):], dtype=float)"
        )
        why = (
            f"{numbered} numbered 0..K-1 in {array_name} and {test} together (numbered apart, "
            f"a value one lacks shifts the other's numbers): its first len({array_name}) rows are "
            f"{array_name}'s, the rest {test}'s; {cut}"
        )
    else:
        code = (
            f"{array_name} = {array_name}.astype(object); {encode}; {array_name} = "
            f"numpy.asarray({array_name}, dtype=float)"
        )
        why = f"{numbered} numbered 0..K-1, {cut}"
    return f"{first}{and_drop}; encode {that}, e.g. {code} ({why}){drop}"


# what else a row's examples are dropped from, by the array whose values are missing
_PAIRED = {"X": "y", "y": "X", "X_test": "y_test"}


def _fill(
    array: np.ndarray,
    bad: np.ndarray,
    words: np.ndarray,
    name: str,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
    *,
    what: str,
) -> str:
    """Say where the first of ``array``'s (N, D) values ``bad`` (N, D) marks is, ``what`` they
    are ("missing value", "bad value": a word among numbers), how many, and to fill them or
    drop their examples (``words`` (D,): the columns of words, filled with a word); targets are
    dropped alone: a target filled in is one made up, trained on as if observed."""
    array_name = name.split()[0]
    count = int(bad.sum())
    columns = np.flatnonzero(bad.any(axis=0))
    where = (
        array_name
        if array.shape[1] == 1
        else " and ".join(column_namer(array_name, example)(int(c)) for c in columns)
    )
    among = "words" if words[columns].all() else "values" if words[columns].any() else "numbers"
    fill = {
        "numbers": "a number (e.g. the mean of the others)",
        "words": "a word (e.g. the most common)",
        "values": "a value (e.g. the mean of the others, or the most common word)",
    }[among]
    also = f" (and {'its' if count == 1 else 'their'} {_PAIRED[name]})" if name in _PAIRED else ""
    first = f"{_first(array, bad, cell)} is no number among the {among} of {where}"
    targets = array_name in ("y", "y_test")
    if count == 1:
        fix = "" if targets else f"fill it with {fill} or "
        return f"{first} (the only one): a {what}; {fix}drop that example{also}"
    fix = "" if targets else f"fill them with {fill} or "
    return f"{first} (the first of {count}): {what}s; {fix}drop those examples{also}"


def _empty(
    array: np.ndarray,
    bad: np.ndarray,
    name: str,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
    *,
    beside: np.ndarray | None,
) -> str:
    """Say which columns of ``array`` (N, D) hold missing values alone, ``bad`` (N, D) marking
    them, and to drop them (from ``X`` and ``X_test`` where the file holds both, ``beside``); X
    of such columns alone holds no features."""
    array_name = name.split()[0]
    columns = np.flatnonzero(bad.all(axis=0))
    first = f"{_first(array, bad, cell)} the first"
    if len(columns) == array.shape[1]:
        return (
            f"{array_name} holds no numbers, only missing values ({first}): no features; save "
            "the file with them"
        )
    names = ", ".join(column_namer(array_name, example)(int(c)) for c in columns)
    one = len(columns) == 1
    both = " from X and X_test" if beside is not None else ""
    return (
        f"{names} {'holds' if one else 'hold'} no numbers, only missing values ({first}): drop "
        f"{'that column' if one else 'those columns'}{both}"
    )


def _first(array: np.ndarray, bad: np.ndarray, cell: Callable[[int, int], str]) -> str:
    """Return the first value of ``array`` (N, D) that ``bad`` (N, D) marks, in row-major order,
    with where it is (``cell``): ``'x' at X[3, 1]``."""
    k = int(np.flatnonzero(bad)[0])
    return f"{array.reshape(-1)[k].item()!r} at {cell(*divmod(k, array.shape[1]))}"


def _not_numbers(array: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return, for ``array`` (N, D) of text as ``numpy.asarray(..., dtype=float)`` reads it, its
    columns of words (D,): where no more of the values that are not missing read as numbers than
    not; the first word of each (N, D); the words among the numbers of the other columns (N, D),
    bad values; and its missing values (N, D) (:func:`missing_value`), in any column. A column
    costs a cast where it reads as numbers; else a pass over its characters, which tells most
    words, and a cast (a value at a time where it fails) of the values that may be numbers."""
    words = np.zeros(array.shape[1], dtype=bool)
    first, stray, missing = (np.zeros(array.shape, dtype=bool) for _ in range(3))
    if _reads_as_number(array):
        return words, first, stray, missing
    for j in range(array.shape[1]):
        column = np.ascontiguousarray(array[:, j])
        if _reads_as_number(column):
            continue
        codes = _codes(column)
        missing[:, j] = gone = _missing_values(column, codes)
        maybe = _may_be_numbers(column, codes) & ~gone
        word = ~maybe & ~gone  # words by their characters
        values = int((~gone).sum())  # 0: a column of missing values alone
        if 2 * int(word.sum()) < values:  # not yet a column of words: read the others
            unsure = np.flatnonzero(maybe)
            word[unsure[~_each_number(column[unsure])]] = True
        if values and 2 * int(word.sum()) >= values:  # no more numbers than words
            words[j] = True
            known = int(np.argmax(word))  # the first by its characters, or read
            before = np.flatnonzero(maybe[:known])  # values before it that may be words
            before = before[~_each_number(column[before])]
            first[before[0] if before.size else known, j] = True
        else:
            stray[:, j] = word
    return words, first, stray, missing


def _missing_values(column: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return where ``column`` (N,), text, of characters ``codes`` (N, L) (:func:`_codes`), holds
    missing values (:func:`missing_value`), as a mask (N,); only its short values that are not
    plain numbers are put in lower case, the costly part, and only those starting with '#' are
    read as spreadsheet error values."""
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


def _codes(column: np.ndarray) -> np.ndarray:
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


def _each_number(values: np.ndarray) -> np.ndarray:
    """Return where ``values`` (K,), text, read as numbers (K,): a cast of them all, else a value
    at a time, as ``float`` (which ``numpy.asarray(..., dtype=float)`` mirrors) reads it."""
    if _reads_as_number(values):
        return np.ones(len(values), dtype=bool)
    return np.fromiter((_number(v) for v in values.tolist()), dtype=bool, count=len(values))


def _number(value: str | bytes) -> bool:
    """Whether ``value`` reads as a number, as ``float`` reads it."""
    try:
        float(value)
    except (ValueError, OverflowError):
        return False
    return True


def _reads_as_number(value: np.ndarray) -> bool:
    """Whether every value of ``value``, text, reads as a number, as
    ``numpy.asarray(..., dtype=float)`` reads it."""
    try:
        np.asarray(value, dtype=np.float64)
    except (ValueError, OverflowError):
        return False
    return True


def _check_no_underflow(
    path: Path, name: str, array: np.ndarray, X: torch.Tensor, cell: Callable[[int, int], str]
) -> None:
    """Refuse a column of ``array`` (N, D) that float32 ``X`` (N, D) holds as all 0 though the
    file's values are not: every one of them below float32's smallest number (~1.4e-45), it would
    train as 0 (or be called constant) without a word."""
    # only floats wider than float32 hold values below its smallest
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4:
        return
    for j in torch.nonzero(~X.any(dim=0)).reshape(-1).tolist():  # X's all-0 columns
        nonzero = np.flatnonzero(array[:, j])  # rows of the file's non-zero values there
        if nonzero.size:
            i = int(nonzero[0])
            raise DatasetError(
                f"{shown_path(path)}: {name} holds values below float32's smallest number "
                f"(~1.4e-45), which the model trains in, so they would be 0: the first at "
                f"{cell(i, j)}: {float(array[i, j]):g} ({nonzero.size} in its column, all 0 as "
                f"float32); {rescale_fix(float(np.abs(array[:, j]).max()))}"
            )


def _refuse_non_finite(
    path: Path, name: str, array: np.ndarray, X: torch.Tensor, cell: Callable[[int, int], str]
) -> NoReturn:
    """Refuse ``array`` (N, D), naming its first cell that is not finite as float32 ``X`` (N, D)."""
    bad = ~torch.isfinite(X)  # (N, D); found again here, so that good data pays one pass only
    count = int(bad.sum())
    # argmax returns the first of the maxima: the first bad cell in row-major order
    i, j = divmod(int(bad.view(-1).to(torch.uint8).argmax()), X.shape[1])
    more = f" ({count} in all)" if count > 1 else ""
    raise DatasetError(
        f"{shown_path(path)}: {name} holds NaN or inf values (or values beyond float32's ±3.4e38), "
        f"the first at {cell(i, j)}: {float(array[i, j]):g}{more}; clean, impute or rescale them "
        "first"
    )
