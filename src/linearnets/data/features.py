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
    test_set: bool = False,
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
        test_set: the file holds a test set beside the training one: for ``X``, ``X_test``,
            whose columns of words are to be numbered with ``X``'s; for ``X_test`` (a name ending
            in ``_test``), ``X``, read first, which holds numbers.

    Returns:
        ``array`` as float32, shape (N, D).
    """
    example = (shape or array.shape)[1:]  # (D,), or the image's (H, W) it was flattened from
    cell = cell or cell_namer(name, example)
    _check_rows(path, name, array, shape=shape)
    if array.dtype.kind in "SU":  # text (str_ or bytes_): words, or numbers written as text
        _refuse_text(path, name, array, cell, example, test_set=test_set)
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
    test_set: bool,
) -> NoReturn:
    """Refuse ``array`` (N, D) of text: where every value reads as a number, with the cast that
    reads it; else naming its first value that is no number (``cell``: where, in the file's
    terms), with how to encode every column holding words as numbers (``example``: the shape of a
    row as the file holds it, for the columns' names; ``test_set``: as for
    :func:`float_features`) or drop them, and, in a column of numbers but for a few values, those
    as missing values to fill or drop. The cast was offered for words too, where it raises
    ValueError; one column's encoding for several, where the cast after it raised ValueError."""
    got = f"{shown_path(path)}: {name} must hold real numbers, got dtype {array.dtype}"
    array_name = name.split()[0]  # "y (the last column)" is y
    bad = _not_numbers(array)  # (N, D)
    if not bad.any():
        raise DatasetError(
            f"{got}: numbers written as text; convert it first, e.g. with "
            f"numpy.asarray({array_name}, dtype=float)"
        )
    counts = bad.sum(axis=0)  # (D,): values that are no number in each column
    # numbers but for fewer values than not (a blank, 'NA', '?'): missing values, not categories
    # (encoded as categories, '2' became 5.0 and '10' 3.0)
    missing = (counts > 0) & (counts < array.shape[0] - counts)
    words = (counts > 0) & ~missing
    parts = []
    if words.any():
        parts.append(_words(array, bad & words, name, cell, example, test_set=test_set))
    if missing.any():
        fix = _missing(array, bad & missing, name, cell, example)
        parts.append(f"first, {fix}" if parts else fix)
        if not words.any() and name.isidentifier():  # an .npz's array, not a CSV's columns
            parts[-1] += f", then convert it, numpy.asarray({name}, dtype=float)"
    raise DatasetError(f"{got}: text, and {'; '.join(parts)}")


def _words(
    array: np.ndarray,
    bad: np.ndarray,
    name: str,
    cell: Callable[[int, int], str],
    example: tuple[int, ...],
    *,
    test_set: bool,
) -> str:
    """Say where the first of ``array``'s (N, D) words is, ``bad`` (N, D) marking them, and how to
    encode their columns as numbers: ``X``'s and ``X_test``'s together where the file holds both
    (numbered apart, one word had two numbers), in ``X``'s encoding for ``X_test`` (``X`` holds
    numbers: it was read first)."""
    array_name = name.split()[0]
    first = f"{_first(array, bad, cell)} is no number (the first such)"
    if array.shape[1] == 1:  # the targets: their examples are dropped, not the column
        return (
            f"{first}; encode it as numbers, e.g. numpy.unique({array_name}, "
            f"return_inverse=True)[1], its distinct values numbered 0..K-1, or drop the examples "
            f"whose {array_name} is no number"
        )
    columns = [int(c) for c in np.flatnonzero(bad.any(axis=0))]
    names = [column_namer(array_name, example)(c) for c in columns]
    one = len(columns) == 1
    that = "that column" if one else f"those columns ({', '.join(names)})"
    if test_set and array_name.endswith("_test"):  # X, read before it, holds numbers
        train = array_name.removesuffix("_test")
        return (
            f"{first}; {train} holds numbers there: store {that} in {train}'s encoding (each "
            f"value as the number it has in {train}), or drop {that} from both"
        )
    held = "both" if test_set else array_name  # the array the columns are encoded in
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
    if test_set:
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
    dropped = "that column" if one else "them"
    return f"{first}; encode {that} as numbers, e.g. {code} ({why}), or drop {dropped}"


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


def _not_numbers(array: np.ndarray) -> np.ndarray:
    """Return where ``array`` (N, D), text, holds values that are no number, as
    ``numpy.asarray(..., dtype=float)`` reads them: a column cast whole, and where that fails each
    of its distinct values, halves of them at a time (numbers cast together), so that a column of
    a million numbers and one blank costs a few dozen casts."""
    bad = np.zeros(array.shape, dtype=bool)
    for j in range(array.shape[1]):
        if _reads_as_number(array[:, j]):
            continue
        values, inverse = np.unique(array[:, j], return_inverse=True)
        bad_value = np.zeros(len(values), dtype=bool)
        spans = [(0, len(values))]
        while spans:
            low, high = spans.pop()
            if _reads_as_number(values[low:high]):
                continue
            if high - low == 1:
                bad_value[low] = True
            else:
                middle = (low + high) // 2
                spans += [(low, middle), (middle, high)]
        bad[:, j] = bad_value[inverse]
    return bad


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
