"""The user's regression data (``linearnets linreg --data FILE``): ``X`` (N, D) and ``y`` (N,) or
(N, 1) in an ``.npz``, or a ``.csv`` whose last column is ``y`` (a header row is skipped), checked
and turned into float32 tensors (D2L §3.1, §3.3).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch

from linearnets._shell import shell_word
from linearnets._text import quoted_path, shown_path
from linearnets._warn import warn
from linearnets.data.class_labels import transposed_fix
from linearnets.data.csv_layout import tab_conversion
from linearnets.data.csv_table import read_csv
from linearnets.data.csv_text import gunzip_fix
from linearnets.data.features import float_features
from linearnets.data.new_names import new_file_beside
from linearnets.data.npz import check_data_file, check_no_blanks, open_npz
from linearnets.data.rounding import check_float32_rounding
from linearnets.errors import DatasetError, DataWarning, UsageError

__all__ = ["column_namer", "load_regression_file", "npy_conversion", "refuse_gz"]

# the targets as the file holds them, (N,) or (N, 1) or another shape to refuse, with the namer of
# a target's cell (row i, column j) in the file's terms
_Targets = tuple[np.ndarray, Callable[[int, int], str]]


def load_regression_file(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read and check regression data: ``X`` (N, D) and ``y`` (N, 1), float32, from ``.npz`` or ``.csv``."""
    path = Path(path)
    check_no_blanks(path)
    if path.suffix.lower() == ".npz":
        X, (y_raw, y_cell) = _read_npz(path)
    elif path.suffix.lower() == ".csv":
        X, (y_raw, y_cell) = _read_csv(path)
    elif [part.lower() for part in path.suffixes[-2:]] in ([".csv", ".gz"], [".npz", ".gz"]):
        refuse_gz(path, "a .npz or .csv file")
    else:
        raise UsageError(
            f"data must be a .npz or .csv file, got {quoted_path(path)}; {_suffix_fix(path)}"
        )
    _check_one_target_each(path, X, y_raw)
    name = "y (the last column)" if path.suffix.lower() == ".csv" else "y"
    y = float_features(path, name, y_raw.reshape(-1, 1), cell=y_cell)
    check_float32_rounding(path, y_raw.reshape(-1, 1), y, lambda j: name)
    _check_squarable(path, name, y, y_cell)
    return X, y


def _suffix_fix(path: Path) -> str:
    """Return how to save the data at ``path``, of another suffix than .npz or .csv: a ``.tsv``
    (or ``.tab``) with pandas as a CSV, a ``.npy`` of np.c_[X, y] as an .npz; else either."""
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab"):
        return f"save it comma-separated, e.g. {tab_conversion(path)}"
    if suffix == ".npy":
        return npy_conversion(path)
    return "save the arrays with numpy.savez(path, X=X, y=y), or as a CSV whose last column is y"


def npy_conversion(path: Path, *, labels: bool = False) -> str:
    """Return how to save the ``.npy`` ``path``, one array whose last column is y, as an .npz
    beside it, the file to pass; ``labels``: y holds class labels, saved as the array holds them
    (no cast to int: the loader reads whole numbers as labels and refuses any other, where a cast
    would change a scaled label, 0.5, silently)."""
    out = new_file_beside(path, path.stem, ".npz")
    kind = "the labels y" if labels else "y"
    return (
        "a .npy holds one array: save X and y in an .npz, e.g. for an array whose last "
        f"column is {kind}, a = numpy.load({str(path)!r}); numpy.savez({str(out)!r}, "
        f"X=a[:, :-1], y=a[:, -1]), and pass {shell_word(out)}"
    )


def refuse_gz(path: Path, kind: str) -> NoReturn:
    """Refuse ``path`` named ``.csv.gz`` or ``.npz.gz``, where data must be ``kind`` ("a .npz
    file for softmax regression"): one that does not exist as such; by its first bytes gzip
    data, with the gunzip that writes what it holds beside it; else data its name misdescribes
    (gunzip would fail and leave an empty file), to rename."""
    check_data_file(path, "".join(path.suffixes[-2:]))
    try:
        with path.open("rb") as f:
            head = f.read(2)
    except OSError:  # unreadable: told by its name, as reading it would fail anyway
        head = b"\x1f\x8b"
    if head == b"\x1f\x8b":
        raise UsageError(
            f"data must be {kind}, got {quoted_path(path)}, gzip-compressed; {gunzip_fix(path)}"
        )
    inner = path.suffixes[-2]
    raise UsageError(
        f"data must be {kind}, got {quoted_path(path)}, which is not gzip data "
        f"despite its name (it does not start with the bytes 1f 8b); if it holds a {inner.lower()} "
        f"file as it is, rename it to end in {inner} (without .gz) and pass that"
    )


def _read_npz(path: Path) -> tuple[torch.Tensor, _Targets]:
    """Return the ``.npz`` file's features ``X`` (N, D), checked, and its targets ``y`` as held;
    refuse a bool ``y``, as a CSV's TRUE/FALSE is refused: a 0/1 target is stored as numbers, and
    two classes are softmax regression's."""
    arrays, names = open_npz(path, ("X", "y"))
    if "X" not in arrays or "y" not in arrays:
        raise DatasetError(
            f"{shown_path(path)} must hold arrays X and y, found {names}; save them by those "
            "names: numpy.savez(path, X=X, y=y)"
        )
    if "X_test" in names or "y_test" in names:
        warn(
            f"{shown_path(path)}: linear regression trains on X and y and has no test set: X_test "
            "and y_test are not used (nor checked)",
            DataWarning,
        )
    X = float_features(path, "X", arrays["X"])
    check_float32_rounding(path, arrays["X"], X, column_namer(path))
    y_raw = (
        arrays["y"].reshape(-1)
        if arrays["y"].ndim == 2 and arrays["y"].shape[1] == 1
        else arrays["y"]
    )
    if y_raw.dtype.kind == "b":  # as a CSV's TRUE/FALSE and softmax's bool y are refused
        raise DatasetError(
            f"{shown_path(path)}: y must hold numbers, linear regression's targets, got dtype "
            "bool; for a 0/1 target store it as numbers, numpy.savez(path, X=X, "
            "y=y.astype(float)), or, for two classes, train softmax regression (linearnets "
            "softmax) on y.astype(int)"
        )
    return X, (y_raw, lambda i, j: f"y[{i}]")


def _read_csv(path: Path) -> tuple[torch.Tensor, _Targets]:
    """Return the ``.csv`` file's features, every column but the last (N, D), checked, and its
    last column, the targets (N,)."""
    check_data_file(path, ".csv")
    table, lines = read_csv(path)  # (N, D + 1), (N,)
    X = float_features(
        path,
        "X (every column but the last)",
        table[:, :-1],
        cell=lambda i, j: f"line {lines[i]}, column {j + 1}",
    )
    check_float32_rounding(path, table[:, :-1], X, column_namer(path))
    return X, (table[:, -1], lambda i, j: f"line {lines[i]}, column {table.shape[1]}")


def column_namer(path: Path) -> Callable[[int], str]:
    """Return the namer of feature column ``j`` (from 0) in the terms of the file at ``path``:
    ``X[:, j]`` for an ``.npz``, ``column j + 1`` (from 1, as a CSV's other messages count) for a
    ``.csv``."""
    if Path(path).suffix.lower() == ".npz":
        return lambda j: f"X[:, {j}]"
    return lambda j: f"column {j + 1}"


def _check_one_target_each(path: Path, X: torch.Tensor, y_raw: np.ndarray) -> None:
    """Refuse targets ``y_raw`` that are not one per row of ``X`` (N, D): shape (N,)."""
    if y_raw.ndim == 1 and y_raw.shape[0] == X.shape[0]:
        return
    fix = (
        "the model fits one target: keep one column, e.g. y[:, 0] (a run per column)"
        if y_raw.ndim == 2 and y_raw.shape[0] == X.shape[0]
        else transposed_fix("X", X, "y", y_raw)
        or "store one target per row of X, in the same order, as (N,) or (N, 1)"
    )
    raise DatasetError(
        f"{shown_path(path)}: y must hold one target per row of X ({X.shape[0]}), got shape "
        f"{y_raw.shape}; {fix}"
    )


def _check_squarable(
    path: Path, name: str, y: torch.Tensor, cell: Callable[[int, int], str]
) -> None:
    """Refuse targets ``y`` (N, 1) whose square overflows float32: the squared loss is inf at the
    first step that holds one, whatever the lr (the untrained model's outputs are near 0), so the
    run would stop at once without naming the file or the value."""
    largest = float(np.sqrt(np.finfo(np.float32).max))  # 1.8e19: (ŷ − y)² is inf past it
    size = y.abs().reshape(-1)  # (N,)
    i = int(size.argmax())
    if not float(size[i]) > largest:
        return
    count = int((size > largest).sum())
    raise DatasetError(
        f"{shown_path(path)}: {name} is too large for the squared loss in float32: its largest in "
        f"size is {float(y[i, 0]):.4g}, at {cell(i, 0)}, and {count} of its {len(size)} targets "
        f"pass {largest:.2g}, past which (ŷ − y)² overflows float32's 3.4e+38, so training "
        "would stop at its first step whatever the lr; rescale y, e.g. standardise it, "
        "y = (y - y.mean()) / y.std() (and map predictions back by y.std() and y.mean())"
    )
