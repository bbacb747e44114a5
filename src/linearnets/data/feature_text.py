"""An array of features held as text, refused with what to do (D2L §3.3): numbers written as text,
the cast that reads them; a column of words, its first word and its encoding as numbers (``X``'s
numbered with ``X_test``'s); a bad or missing value, the first, how many, and to fill or drop them;
a column of missing values alone, to drop. :mod:`linearnets.data.number_cells` tells which cells are
no numbers, :mod:`linearnets.data.number_separators` the numbers written with separators.

Used by :func:`linearnets.data.features.float_features`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np

from linearnets._text import shown_path
from linearnets.data.example_shapes import cell_namer, column_namer
from linearnets.data.number_cells import not_numbers, reads_as_number
from linearnets.data.number_separators import read_separated
from linearnets.errors import DatasetError

__all__ = ["refuse_text"]


def refuse_text(
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
    :func:`~linearnets.data.features.float_features`), the first word of its columns of words, to
    encode as numbers (with ``X_test``'s) or drop; the first bad value among a column's numbers,
    with how many, to fill or drop (never a rank encoding of its numbers); the first missing value
    (:func:`missing_value`), in any column, with how many, to fill or drop; and a column of missing
    values alone, to drop (targets that are all missing are none)."""
    got = f"{shown_path(path)}: {name} must hold real numbers, got dtype {array.dtype}"
    array_name = name.split()[0]  # "y (the last column)" is y
    # numbers written with separators ('1,234', '1,5'): told how to write them, then read as such
    array, separated = read_separated(array, array_name, cell, example)
    words, first_word, stray, missing = not_numbers(array)  # (D,), (N, D) x 3
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
        beside, test_fixes = read_separated(beside, "X_test", test_cell, example)
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


def _together(
    array: np.ndarray, test: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return :func:`~linearnets.data.number_cells.not_numbers`' columns of words (D,), bad values
    and missing values (N + M, D) of ``array`` (N, D), ``X``, and ``test`` (M, D), ``X_test``, read
    together, in the ``columns`` (D,) of ``array`` holding values that are no number and those of
    ``test``: a cast of ``test``'s columns, and a reading of those alone."""
    columns = columns.copy()
    if not reads_as_number(test):
        columns |= [not reads_as_number(test[:, j]) for j in range(test.shape[1])]
    words = np.zeros(array.shape[1], dtype=bool)
    stray, missing = (np.zeros((len(array) + len(test), array.shape[1]), dtype=bool) for _ in "sm")
    both = np.concatenate([array[:, columns], test[:, columns]])
    words[columns], _, stray[:, columns], missing[:, columns] = not_numbers(both)
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
