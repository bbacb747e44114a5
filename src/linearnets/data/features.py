"""A file's array of features as a float32 tensor (N, D), refused where it cannot be one: not 2-d,
empty, not real numbers, too large, holding NaN or inf, or a column float32 makes all 0 (D2L §3.3).

Used by :mod:`linearnets.data.arrays` and :mod:`linearnets.data.regression_file`, which read the
``--data`` files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch

from linearnets._text import shown_path
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
    reads it; else naming its first value that is no number (``cell``: where, in the file's
    terms), with how to encode every column holding words as numbers (``example``: the shape of a
    row as the file holds it, for the columns' names; ``beside``: as for
    :func:`float_features`) or drop them, and, in a column of numbers but for blanks or 'NA'
    (:data:`_MISSING`), those as missing values to fill or drop. The cast was offered for words
    too, where it raises ValueError; one column's encoding for several, where the cast after it
    raised ValueError."""
    got = f"{shown_path(path)}: {name} must hold real numbers, got dtype {array.dtype}"
    array_name = name.split()[0]  # "y (the last column)" is y
    words, bad = _not_numbers(array)  # (D,), (N, D)
    if not bad.any():
        raise DatasetError(
            f"{got}: numbers written as text; convert it first, e.g. with "
            f"numpy.asarray({array_name}, dtype=float)"
        )
    parts = []
    if words.any():
        # X_test's columns of words are encoded with X's, in the one fix for both
        test_words = _test_words(array, beside) if array_name == "X" else np.zeros_like(words)
        encoded = words | test_words
        parts.append(
            _words(array, bad & words, encoded, name, cell, example, beside=beside is not None)
        )
    else:
        encoded = words
    missing = bad.any(axis=0) & ~encoded  # (D,): columns of numbers with missing values
    if missing.any():
        fix = _missing(array, bad & missing, name, cell, example)
        parts.append(f"first, {fix}" if parts else fix)
        if not words.any() and name.isidentifier():  # an .npz's array, not a CSV's columns
            parts[-1] += f", then convert it, numpy.asarray({name}, dtype=float)"
    raise DatasetError(f"{got}: text, and {'; '.join(parts)}")


def _test_words(array: np.ndarray, test: np.ndarray | None) -> np.ndarray:
    """Return the columns (D,) where ``test``, the file's ``X_test`` beside ``X``'s ``array`` (N,
    D), holds words: none where it holds no text or not D columns (refused as such later)."""
    if test is None or test.dtype.kind not in "SU" or test.shape[1:] != array.shape[1:]:
        return np.zeros(array.shape[1], dtype=bool)
    return _not_numbers(test)[0]


def _words(
    array: np.ndarray,
    bad: np.ndarray,
    encoded: np.ndarray,
    name: str,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
    *,
    beside: bool,
) -> str:
    """Say where the first of ``array``'s (N, D) words is, ``bad`` (N, D) marking it, and how to
    encode the columns ``encoded`` (D,) as numbers (``array``'s columns of words and, for ``X``,
    ``X_test``'s): ``X``'s and ``X_test``'s together where the file holds both (``beside``;
    numbered apart, one word had two numbers), in ``X``'s encoding for ``X_test`` (``X`` holds
    numbers: it was read first). Targets ``y`` are encoded whole, or their examples dropped."""
    array_name = name.split()[0]
    first = f"{_first(array, bad, cell)} is no number (the first such)"
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
    # dropped, the columns would leave no feature: X of one column of words
    drop = "" if len(columns) == array.shape[1] else f", or drop {'that column' if one else 'them'}"
    if beside and array_name.endswith("_test"):  # X, read before it, holds numbers
        train = array_name.removesuffix("_test")
        return (
            f"{first}; {train} holds numbers there: store {that} in {train}'s encoding (each "
            f"value as the number it has in {train}){drop + ' from both' if drop else ''}"
        )
    held = "both" if beside else array_name  # the array the columns are encoded in
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
    numbered = "its distinct values" if one else "each column's distinct values"
    cut = f"in an array of objects first: written into {array_name}'s text, 10 could be cut to '1'"
    if beside:
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
    return f"{first}; encode {that} as numbers, e.g. {code} ({why}){drop}"


# what else a row's examples are dropped from, by the array whose values are missing
_PAIRED = {"X": "y", "y": "X", "X_test": "y_test"}


def _missing(
    array: np.ndarray,
    bad: np.ndarray,
    name: str,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
) -> str:
    """Say where the first of ``array``'s (N, D) missing values is, ``bad`` (N, D) marking them
    (values that are no number in columns of numbers), how many, and to fill them or drop their
    examples."""
    array_name = name.split()[0]
    count = int(bad.sum())
    columns = np.flatnonzero(bad.any(axis=0))
    where = (
        array_name
        if array.shape[1] == 1
        else " and ".join(column_namer(array_name, example)(int(c)) for c in columns)
    )
    also = f" (and {'its' if count == 1 else 'their'} {_PAIRED[name]})" if name in _PAIRED else ""
    value = f"{_first(array, bad, cell)} is no number among the numbers of"
    if count == 1:
        return (
            f"{value} {where} (the only one): a missing value; fill it with a number (e.g. the "
            f"mean of the others) or drop that example{also}"
        )
    return (
        f"{value} {where} (the first of {count}): missing values; fill them with a number (e.g. "
        f"the mean of the others) or drop those examples{also}"
    )


def _first(array: np.ndarray, bad: np.ndarray, cell: Callable[[int, int], str]) -> str:
    """Return the first value of ``array`` (N, D) that ``bad`` (N, D) marks, in row-major order,
    with where it is (``cell``): ``'x' at X[3, 1]``."""
    k = int(np.flatnonzero(bad)[0])
    return f"{array.reshape(-1)[k].item()!r} at {cell(*divmod(k, array.shape[1]))}"


# text that stands for a missing value, stripped and in lower case, whatever the count: a blank,
# '?', '-' and pandas' markers ('NaN' and 'nan' read as numbers, NaN, refused as such)
_MISSING = ("", "?", "-", "--", ".", "na", "n/a", "#n/a", "#n/a n/a", "#na", "<na>", "null", "none", "nil", "1.#ind", "-1.#ind", "1.#qnan", "-1.#qnan")  # fmt: skip


def _not_numbers(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the columns (D,) of ``array`` (N, D), text, that hold words, and where it holds
    values that are no number (N, D), as ``numpy.asarray(..., dtype=float)`` reads them: in a
    column whose other values all read as numbers, its missing values (:data:`_MISSING`),
    whatever their count; in any other, a column of words, its first word alone. A column costs
    a cast where it reads as numbers, a few more where its first value that is no number is a
    word, and a pass for missing values where it is one."""
    words = np.zeros(array.shape[1], dtype=bool)
    bad = np.zeros(array.shape, dtype=bool)
    if _reads_as_number(array):
        return words, bad
    for j in range(array.shape[1]):
        column = array[:, j]
        if _reads_as_number(column):
            continue
        first = _first_non_number(column)
        if _missing_values(column[first : first + 1])[0]:  # missing values, or words after it
            missing = _missing_values(column)
            rest = column.copy()
            rest[missing] = "0"
            if _reads_as_number(rest):
                bad[:, j] = missing
                continue
            first = _first_non_number(rest)
        words[j] = True
        bad[first, j] = True
    return words, bad


def _missing_values(column: np.ndarray) -> np.ndarray:
    """Return where ``column`` (N,), text, holds missing values (:data:`_MISSING`), as a mask
    (N,); only its short values are put in lower case, the costly part."""
    markers = [m.encode() for m in _MISSING] if column.dtype.kind == "S" else list(_MISSING)
    text = np.char.strip(column)
    short = np.char.str_len(text) <= max(len(m) for m in _MISSING)
    missing = np.zeros(len(column), dtype=bool)
    missing[short] = np.isin(np.char.lower(text[short]), markers)
    return missing


def _first_non_number(column: np.ndarray) -> int:
    """Return the row of the first value of ``column`` (N,), text, that does not read as a number
    (one must): a cast of spans doubling in length from its start, then halving the one that
    fails, so that the search costs about two casts of the values before it."""
    start, length = 0, 1
    while _reads_as_number(column[start : start + length]):
        start, length = start + length, 2 * length
    end = min(start + length, len(column))
    while end - start > 1:
        middle = (start + end) // 2
        if _reads_as_number(column[start:middle]):
            start = middle
        else:
            end = middle
    return start


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
