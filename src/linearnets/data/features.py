"""A file's array of features as a float32 tensor (N, D), refused where it cannot be one: not 2-d,
empty, not real numbers, too large, holding NaN or inf, or a column float32 makes all 0 (D2L §3.3).
An array of text is refused by :mod:`linearnets.data.feature_text`, which says what to do with it.

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
from linearnets.data.example_shapes import cell_namer
from linearnets.data.feature_text import refuse_text
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
        refuse_text(path, name, array, cell, example, beside=beside)
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
