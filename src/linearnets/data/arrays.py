"""The user's own data: ``.npz`` (and ``.csv`` for regression) files checked and turned into tensors.

``linearnets softmax --data FILE.npz`` needs arrays ``X`` (N, D) and integer ``y`` (N,), optionally
``X_test`` and ``y_test`` (a test label past ``y``'s warns); images (N, H, W, …) are flattened to
(N, H·W·…) and a column of labels (N, 1) read as (N,); uint8 ``X`` are 8-bit pixels, scaled to [0, 1],
and so are integers of a wider type within 0..255 that reach past 100 (with a warning).
``linearnets linreg --data FILE`` needs ``X`` (N, D) and ``y`` (N,) or (N, 1) in an ``.npz``, or a
``.csv`` whose last column is ``y`` (a header row is skipped). The files are read by
:mod:`linearnets.data.npz` and :mod:`linearnets.data.csv_table`; this module checks what they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch

from linearnets._text import counted
from linearnets._warn import warn
from linearnets.data.class_labels import (
    class_labels,
    transposed_fix,
    warn_empty_classes,
    warn_unseen,
)
from linearnets.data.csv_table import read_csv
from linearnets.data.example_shapes import (
    cell_namer,
    check_example_shapes,
    check_flat_test,
    column_namer,
    one_row_each,
)
from linearnets.data.npz import check_data_file, check_no_blanks, open_npz
from linearnets.data.rounding import check_float32_rounding
from linearnets.errors import DatasetError, DataWarning, UsageError
from linearnets.validation import MAX_WEIGHT_BYTES

__all__ = ["ClassificationArrays", "load_classification_file", "load_regression_file"]

# integer features within 0..255 whose largest passes this are 8-bit pixels in a wider type (pandas'
# int64 columns of a pixel CSV, np.loadtxt(..., dtype=int)), scaled as uint8 ones are: it is the
# size past which a run that diverges is told to scale its features (tasks.stopping's
# LARGE_FEATURES); smaller integers (0/1 flags, counts, codes) suit the book's lr as they are
PIXELS_PAST = 100


@dataclass(frozen=True)
class ClassificationArrays:
    """Features and labels for classification, with the inferred sizes."""

    X: torch.Tensor  # (N, D) float32
    y: torch.Tensor  # (N,) int64
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    num_features: int
    num_classes: int
    pixels: bool = False  # X and X_test were 8-bit pixels, divided by 255


def _features(
    path: Path,
    name: str,
    array: np.ndarray,
    *,
    cell: Callable[[int, int], str] | None = None,
    shape: tuple[int, ...] | None = None,
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

    Returns:
        ``array`` as float32, shape (N, D).
    """
    _check_rows(path, name, array, shape=shape)
    try:
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: refused just below
            X = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    except MemoryError:
        raise DatasetError(
            f"{path}: {name} of shape {array.shape} is too large to hold as float32 "
            f"({array.size * 4:,} bytes) in this machine's memory; use fewer rows or features"
        ) from None
    if not bool(torch.isfinite(X).all()):
        _refuse_non_finite(
            path, name, array, X, cell or cell_namer(name, (shape or array.shape)[1:])
        )
    return X


def _check_rows(path: Path, name: str, array: np.ndarray, *, shape: tuple[int, ...] | None) -> None:
    """Refuse ``array`` unless it is (N, D) real numbers, N and D ≥ 1, as :func:`_features` reads
    it (``shape``: the shape the file holds it in, for the messages)."""
    if array.dtype.names:  # a structured array (pandas' df.to_records()): a field per column
        raise DatasetError(
            f"{path}: {name} must hold real numbers, got a structured array of the fields "
            f"{list(array.dtype.names)}; store its fields as columns, e.g. "
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
            f"{path}: {name} must be a 2-d array (N, D), got shape {array.shape}; {fix}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        missing = "no examples (N = 0)" if array.shape[0] == 0 else "no features (D = 0)"
        raise DatasetError(
            f"{path}: {name} must hold at least one example and one feature, got shape "
            f"{shape or array.shape}: {missing}; save the data with its rows and columns"
        )
    # kinds b, i, u, f: bool, int, uint, float; not complex, dates, durations (numpy counts
    # timedelta64 as an integer), strings or objects
    if array.dtype.kind not in "biuf":
        raise DatasetError(
            f"{path}: {name} must hold real numbers, got dtype {array.dtype}; only bool, integer "
            "and float arrays are read: convert it first, e.g. with numpy.asarray(..., dtype=float)"
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
        f"{path}: {name} holds NaN or inf values (or values beyond float32's ±3.4e38), the first "
        f"at {cell(i, j)}: {float(array[i, j]):g}{more}; clean, impute or rescale them first"
    )


def load_classification_file(path: Path) -> ClassificationArrays:
    """Read and check a classification ``.npz``: ``X`` (N, D) (images (N, H, W, …) flattened), ``y``
    (N,) or (N, 1), optional ``X_test``/``y_test`` alike."""
    path = Path(path)
    check_no_blanks(path)
    if path.suffix.lower() != ".npz":
        raise UsageError(
            f"data must be a .npz file for softmax regression, got {str(path)!r}; save the arrays with "
            "numpy.savez(path, X=X, y=y): X (N, D) features, y (N,) integer labels (X_test and "
            "y_test optional)"
        )
    arrays, names = open_npz(path, ("X", "y", "X_test", "y_test"))
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise DatasetError(
            f"{path} must hold arrays X and y, missing {missing}; found {names}; save them by "
            "those names: numpy.savez(path, X=X, y=y)"
        )
    # each example's shape as the file holds it, before images are flattened: X_test's is checked
    # against X's, and a bad value is named at its place in an image, X[3, 0, 17]
    shapes = {key: array.shape[1:] for key, array in arrays.items() if key.startswith("X")}
    arrays = {key: one_row_each(key, array) for key, array in arrays.items()}
    scaled = _eight_bit(arrays["X"])
    X = _pixels(path, "X", arrays["X"], scaled=scaled, shape=shapes["X"])
    # X_test's columns are centred by X's mean: both named in the fix
    alike = "X and X_test" if "X_test" in arrays else None
    if not scaled:  # 8-bit pixels are exact in float32
        check_float32_rounding(path, arrays["X"], X, column_namer("X", shapes["X"]), alike=alike)
    y = class_labels(path, "y", arrays["y"], X, test_set="y_test" in arrays)
    if int(y.min()) == int(y.max()):  # the smallest and largest labels: one distinct label
        raise DatasetError(
            f"{path}: y must hold at least 2 classes (2 distinct labels) to learn to tell them "
            f"apart, got only class {int(y.min())} in its {counted(len(y), 'example')}; add examples of the "
            "other classes"
        )
    X_test, y_test = _test_set(path, arrays, names, X, y, scaled=scaled, alike=alike, shapes=shapes)
    # at least 2: y holds two distinct labels, >= 0
    num_classes = int(max(int(y.max()), int(y_test.max()) if y_test is not None else 0)) + 1
    _check_model_size(path, X.shape[1], num_classes)
    if scaled:
        _note_wide_pixels(path, arrays, test_set=X_test is not None)
    warn_empty_classes(path, y, y_test)
    return ClassificationArrays(X, y, X_test, y_test, X.shape[1], num_classes, pixels=scaled)


def _test_set(
    path: Path,
    arrays: dict[str, np.ndarray],
    names: list[str],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    scaled: bool,
    alike: str | None,
    shapes: dict[str, tuple[int, ...]],
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Return ``X_test`` (M, D) and ``y_test`` (M,) of ``path``'s ``arrays``, checked against the
    training set's ``X`` (N, D) and ``y`` (N,) as :func:`load_classification_file` reads them,
    or ``(None, None)`` where the file holds neither (``names``: its arrays, for the message;
    ``shapes``: each example's shape in ``X`` and ``X_test`` as the file holds them, before
    images are flattened)."""
    X_test = y_test = None
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise DatasetError(
            f"{path} must hold both X_test and y_test or neither, found {names}; save both "
            "(numpy.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)) or leave both out"
        )
    if "X_test" in arrays:
        test = arrays["X_test"]
        # beside X's pixels, X_test's are any integers within 0..255 (a few dark images)
        test_scaled = _eight_bit(test, any_largest=True) if scaled else test.dtype == np.uint8
        if test.size and test_scaled != scaled:  # an empty one is refused as such below
            raise DatasetError(
                f"{path}: X and X_test must both be 8-bit pixels (uint8, or integers within "
                f"0..255), scaled to [0, 1], or both not, got X {_described(arrays['X'])} and "
                f"X_test {_described(test)}; store both as uint8 (pixels 0..255) or both as float "
                "(taken as they are)"
            )
        check_flat_test(path, test, X.shape[1])
        X_test = _pixels(path, "X_test", test, scaled=scaled, shape=shapes["X_test"])
        y_test = class_labels(path, "y_test", arrays["y_test"], X_test, test_set=True)
        check_example_shapes(path, shapes["X"], shapes["X_test"])
        if not scaled:
            check_float32_rounding(
                path, test, X_test, column_namer("X_test", shapes["X_test"]), alike=alike
            )
        warn_unseen(path, y, y_test)
    return X_test, y_test


def _check_model_size(path: Path, features: int, classes: int) -> None:
    """Refuse data whose softmax model, D × C float32 weights, passes :data:`MAX_WEIGHT_BYTES`."""
    nbytes = features * classes * 4
    if nbytes > MAX_WEIGHT_BYTES:
        raise DatasetError(
            f"{path}: X's {features:,} features × y's {classes:,} classes make a model of "
            f"{features * classes:,} float32 weights ({nbytes / 2**30:.1f} GiB), more than the "
            f"{MAX_WEIGHT_BYTES // 2**30} GiB a run allows (training holds their gradient too); "
            "use fewer features (e.g. a smaller image size) or fewer classes"
        )


def _pixels(
    path: Path, name: str, array: np.ndarray, *, scaled: bool, shape: tuple[int, ...]
) -> torch.Tensor:
    """Return features as :func:`_features` does, divided by 255 when ``scaled`` (8-bit pixels);
    ``shape``: each example's shape in the file, (D,) or (H, W, …) before it was flattened.

    uint8 images are scaled to [0, 1] as ``ToTensor`` and the built-in Fashion-MNIST path scale them:
    raw values up to 255 make the book's learning rate diverge.
    """
    held = (array.shape[0], *shape) if array.ndim == 2 else None  # else refused as it is
    X = _features(path, name, array, shape=held)
    return X.div_(255) if scaled else X


def _eight_bit(array: np.ndarray, *, any_largest: bool = False) -> bool:
    """Return whether ``array`` holds 8-bit pixels, to scale to [0, 1]: uint8, or integers of a
    wider type within 0..255 whose largest passes :data:`PIXELS_PAST` (any largest with
    ``any_largest``: X_test's, beside X's pixels). Floats and bools are never pixels."""
    if array.dtype == np.uint8:
        return True
    if array.dtype.kind not in "iu" or not array.size:  # not "m": numpy's timedelta64 is one
        return False
    low, high = int(array.min()), int(array.max())
    return low >= 0 and high <= 255 and (any_largest or high > PIXELS_PAST)


def _described(array: np.ndarray) -> str:
    """Return ``array``'s dtype, with its values' range for integers wider than uint8."""
    if array.dtype.kind in "iu" and array.dtype != np.uint8 and array.size:
        return f"{array.dtype} of {array.min()}..{array.max()}"
    return str(array.dtype)


def _note_wide_pixels(path: Path, arrays: dict[str, np.ndarray], *, test_set: bool) -> None:
    """Say which of the scaled features, ``X`` and ``X_test`` (N, D), are integers of a type wider
    than uint8, read as 8-bit pixels: what the training sees is not the values the file holds."""
    names = ("X", "X_test") if test_set else ("X",)
    wide = [k for k in names if arrays[k].dtype != np.uint8]
    if not wide:
        return
    which = " and ".join(f"{k} ({_described(arrays[k])})" for k in wide)
    it, is_ = ("them", "are") if len(wide) > 1 else ("it", "is")
    warn(
        f"{path}: {which} {is_} taken for 8-bit pixels and scaled to [0, 1], as uint8 pixels are "
        f"(the book's lr diverges on values up to 255); store {it} as uint8 to have {it} scaled "
        f"without this warning, or {' and '.join(names)} as float to train on the values as they are",
        DataWarning,
    )


def load_regression_file(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read and check regression data: ``X`` (N, D) and ``y`` (N, 1), float32, from ``.npz`` or ``.csv``."""
    path = Path(path)
    check_no_blanks(path)
    if path.suffix.lower() == ".npz":
        arrays, names = open_npz(path, ("X", "y"))
        if "X" not in arrays or "y" not in arrays:
            raise DatasetError(
                f"{path} must hold arrays X and y, found {names}; save them by those names: "
                "numpy.savez(path, X=X, y=y)"
            )
        if "X_test" in names or "y_test" in names:
            warn(
                f"{path}: linear regression trains on X and y and has no test set: X_test and "
                "y_test are not used (nor checked)",
                DataWarning,
            )
        X = _features(path, "X", arrays["X"])
        check_float32_rounding(path, arrays["X"], X, lambda j: f"X[:, {j}]")
        y_raw = (
            arrays["y"].reshape(-1)
            if arrays["y"].ndim == 2 and arrays["y"].shape[1] == 1
            else arrays["y"]
        )
        y_cell: Callable[[int, int], str] = lambda i, j: f"y[{i}]"  # noqa: E731
    elif path.suffix.lower() == ".csv":
        check_data_file(path, ".csv")
        table, lines = read_csv(path)  # (N, D + 1), (N,)
        X = _features(
            path,
            "X (every column but the last)",
            table[:, :-1],
            cell=lambda i, j: f"line {lines[i]}, column {j + 1}",
        )
        check_float32_rounding(path, table[:, :-1], X, lambda j: f"column {j + 1}")
        y_raw = table[:, -1]
        y_cell = lambda i, j: f"line {lines[i]}, column {table.shape[1]}"  # noqa: E731
    else:
        raise UsageError(
            f"data must be a .npz or .csv file, got {str(path)!r}; save the arrays with "
            "numpy.savez(path, X=X, y=y), or as a CSV whose last column is y"
        )
    if y_raw.ndim != 1 or y_raw.shape[0] != X.shape[0]:
        fix = (
            "the model fits one target: keep one column, e.g. y[:, 0] (a run per column)"
            if y_raw.ndim == 2 and y_raw.shape[0] == X.shape[0]
            else transposed_fix("X", X, "y", y_raw)
            or "store one target per row of X, in the same order, as (N,) or (N, 1)"
        )
        raise DatasetError(
            f"{path}: y must hold one target per row of X ({X.shape[0]}), got shape "
            f"{y_raw.shape}; {fix}"
        )
    name = "y (the last column)" if path.suffix.lower() == ".csv" else "y"
    y = _features(path, name, y_raw.reshape(-1, 1), cell=y_cell)
    check_float32_rounding(path, y_raw.reshape(-1, 1), y, lambda j: name)
    return X, y
