"""The user's own data: ``.npz`` (and ``.csv`` for regression) files checked and turned into tensors.

``linearnets softmax --data FILE.npz`` needs arrays ``X`` (N, D) and integer ``y`` (N,), optionally
``X_test`` and ``y_test`` (a test label outside ``y``'s range warns); images (N, H, W, …) are flattened to
(N, H·W·…) and a column of labels (N, 1) read as (N,); uint8 ``X`` are 8-bit pixels, scaled to [0, 1]
(but for 0 and 1 alone, flags already in [0, 1]; with a warning where none passes 10), and so are
integers of a wider type within 0..255 that reach past 100 (with a warning:
:mod:`linearnets.data.eight_bit`).
``linearnets linreg --data FILE`` needs ``X`` (N, D) and ``y`` (N,) or (N, 1) in an ``.npz``, or a
``.csv`` whose last column is ``y`` (a header row is skipped): :mod:`linearnets.data.regression_file`.
The files are read by :mod:`linearnets.data.npz` and :mod:`linearnets.data.csv_table`; this module
checks what a classification file holds, and :mod:`linearnets.data.features` each array of features.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from linearnets._shell import shell_word
from linearnets._text import counted, gib_past, quoted_path, shown_path
from linearnets.data.class_labels import class_labels, warn_empty_classes, warn_unseen
from linearnets.data.csv_cells import number
from linearnets.data.eight_bit import (
    described,
    eight_bit,
    flags_beside_pixels,
    note_few_levels,
    note_wide_pixels,
    pixel_features,
)
from linearnets.data.example_shapes import (
    check_example_shapes,
    check_flat_test,
    column_namer,
    one_row_each,
)
from linearnets.data.new_names import new_file_beside
from linearnets.data.npz import check_no_blanks, open_npz

# the regression files' loader, importable from here as before
from linearnets.data.regression_file import load_regression_file as load_regression_file
from linearnets.data.regression_file import npy_conversion, refuse_gz
from linearnets.data.rounding import check_float32_rounding
from linearnets.errors import DatasetError, UsageError
from linearnets.model_checks import MAX_WEIGHT_BYTES

__all__ = ["ClassificationArrays", "load_classification_file", "load_regression_file"]


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


def load_classification_file(path: Path) -> ClassificationArrays:
    """Read and check a classification ``.npz``: ``X`` (N, D) (images (N, H, W, …) flattened), ``y``
    (N,) or (N, 1), optional ``X_test``/``y_test`` alike."""
    path = Path(path)
    arrays, names = _open_classification_file(path)
    # each example's shape as the file holds it, before images are flattened: X_test's is checked
    # against X's, and a bad value is named at its place in an image, X[3, 0, 17]
    shapes = {key: array.shape[1:] for key, array in arrays.items() if key.startswith("X")}
    arrays = {key: one_row_each(key, array) for key, array in arrays.items()}
    scaled = eight_bit(arrays["X"])
    if "X_test" in arrays and arrays["X"].dtype.kind in "SU":
        # X's refusal of text encodes X_test's columns with X's, which needs them alike: a
        # width apart is refused first
        check_flat_test(path, arrays["X_test"], arrays["X"].shape[-1])
        check_example_shapes(path, shapes["X"], shapes["X_test"])
    # a column of words is numbered in X and X_test together: X's message says so
    X = pixel_features(
        path, "X", arrays["X"], scaled=scaled, shape=shapes["X"], beside=arrays.get("X_test")
    )
    # X_test's columns are centred by X's mean: both named in the fix
    alike = "X and X_test" if "X_test" in arrays else None
    if not scaled:  # 8-bit pixels are exact in float32
        check_float32_rounding(path, arrays["X"], X, column_namer("X", shapes["X"]), alike=alike)
    test_labels = arrays.get("y_test")
    y = class_labels(
        path,
        "y",
        arrays["y"],
        X,
        test_set=test_labels is not None,
        y_test=test_labels,
        together=test_labels,
    )
    _check_two_classes(path, y)
    X_test, y_test = _test_set(path, arrays, names, X, y, scaled=scaled, alike=alike, shapes=shapes)
    # at least 2: y holds two distinct labels, >= 0
    num_classes = int(max(int(y.max()), int(y_test.max()) if y_test is not None else 0)) + 1
    _check_model_size(path, X.shape[1], num_classes)
    if scaled:
        note_wide_pixels(path, arrays, test_set=X_test is not None)
        note_few_levels(path, arrays["X"])
    warn_empty_classes(path, y, y_test)
    return ClassificationArrays(X, y, X_test, y_test, X.shape[1], num_classes, pixels=scaled)


def _csv_conversion(path: Path) -> str:
    """Return, for ``path`` named ``.csv``, how to save its table of numbers as an .npz beside it,
    its last column the labels y (as the table holds them: whole numbers such as 1.0 are read as
    labels, where a cast to int would make a scaled 0.5 a class silently), and the file to pass;
    read as the CSV reader of linear regression reads one: ``encoding='utf-8-sig'`` (a UTF-8
    byte-order mark dropped, harmless without one), ``skiprows=1`` where its first line holds a
    cell that is no number, a header row (or, where it cannot be read, said to be for one),
    ``quotechar='"'`` where its start holds a quote (``"1","2","0"``), and a header's unnamed
    first column, pandas' index (``,a,b,y``; or named ``Unnamed: 0``), left out with ``usecols``,
    never read as a feature; else (another suffix, or no such file) ''."""
    if path.suffix.lower() != ".csv" or not path.is_file():  # none to convert
        return ""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            head = f.read(1 << 16)
    except OSError:
        head = None
    note = ""
    if head is None:
        options, note = ", skiprows=1", " (skiprows=1 skips a header row: drop it if it has none)"
    else:
        lines = head.splitlines()
        first = next(csv.reader(lines[:1]), None) or [""]  # an empty file: said as a header
        header = any(number(c) is None for c in first)
        options = ", skiprows=1" * header
        if header and len(first) > 2 and first[0].strip() in ("", "Unnamed: 0"):  # an index
            options += f", usecols=range(1, {len(first)})"
        if '"' in head:
            options += ", quotechar='\"'"
    options += ", encoding='utf-8-sig'"
    out = new_file_beside(path, path.stem, ".npz")
    return (
        f", e.g. for a CSV of numbers whose last column is the labels y, a = numpy.loadtxt("
        f"{str(path)!r}, delimiter=','{options}); numpy.savez({str(out)!r}, X=a[:, :-1], "
        f"y=a[:, -1]){note}, and pass {shell_word(out)}"
    )


def _open_classification_file(path: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    """Return the arrays ``X``, ``y`` (and ``X_test``, ``y_test`` where held) of the ``.npz``
    ``path`` with the names of all it holds; refuse another kind of file, or one lacking ``X`` or ``y``."""
    check_no_blanks(path)
    if [part.lower() for part in path.suffixes[-2:]] == [".npz", ".gz"]:  # gzip -k left a.npz.gz
        refuse_gz(path, "a .npz file for softmax regression")
    if path.suffix.lower() == ".npy":
        raise UsageError(
            f"data must be a .npz file for softmax regression, got {quoted_path(path)}; "
            f"{npy_conversion(path, labels=True)}"
        )
    if path.suffix.lower() != ".npz":
        raise UsageError(
            f"data must be a .npz file for softmax regression, got {quoted_path(path)}; save the "
            "arrays with numpy.savez(path, X=X, y=y): X (N, D) features, y (N,) integer labels "
            f"(X_test and y_test optional){_csv_conversion(path)}"
        )
    arrays, names = open_npz(path, ("X", "y", "X_test", "y_test"), labels=("y", "y_test"))
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise DatasetError(
            f"{shown_path(path)} must hold arrays X and y, missing {missing}; found {names}; save "
            "them by those names: numpy.savez(path, X=X, y=y)"
        )
    return arrays, names


def _check_two_classes(path: Path, y: torch.Tensor) -> None:
    """Refuse labels ``y`` (N,) of a single class: nothing to tell apart."""
    if int(y.min()) == int(y.max()):  # the smallest and largest labels: one distinct label
        raise DatasetError(
            f"{shown_path(path)}: y must hold at least 2 classes (2 distinct labels) to learn to "
            f"tell them apart, got only class {int(y.min())} in its {counted(len(y), 'example')}; "
            "add examples of the other classes"
        )


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
            f"{shown_path(path)} must hold both X_test and y_test or neither, found {names}; save "
            "both (numpy.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)) or leave both out"
        )
    if "X_test" in arrays:
        test = arrays["X_test"]
        # beside X's pixels, X_test's are any integers within 0..255 (a few dark images); beside
        # other features, uint8 ones of 0 and 1 alone are flags as X's may be
        test_scaled = (
            eight_bit(test, any_largest=True)
            if scaled
            else test.dtype == np.uint8 and eight_bit(test)
        )
        if test.size and test_scaled != scaled:  # an empty one is refused as such below
            flags = flags_beside_pixels(path, arrays["X"], test)  # both uint8 already
            if flags is not None:
                raise DatasetError(flags)
            raise DatasetError(
                f"{shown_path(path)}: X and X_test must both be 8-bit pixels (uint8, or integers "
                f"within 0..255), scaled to [0, 1], or both not, got X {described(arrays['X'])} "
                f"and X_test {described(test)}; store both as uint8 (pixels 0..255) or both as "
                "float (taken as they are)"
            )
        check_flat_test(path, test, X.shape[1])
        X_test = pixel_features(
            path, "X_test", test, scaled=scaled, shape=shapes["X_test"], beside=arrays["X"]
        )
        y_test = class_labels(
            path, "y_test", arrays["y_test"], X_test, test_set=True, together=arrays["y"]
        )
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
            f"{shown_path(path)}: X's {features:,} features × y's {classes:,} classes make a model "
            f"of {features * classes:,} float32 weights ({gib_past(nbytes, MAX_WEIGHT_BYTES)}), "
            f"more than the {MAX_WEIGHT_BYTES // 2**30} GiB a run allows (training holds their "
            "gradient too); use fewer features (e.g. a smaller image size) or fewer classes"
        )
