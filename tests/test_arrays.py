"""The user's own data files (``--data``): read, checked, and every bad file named with the fix."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.errors import DatasetError, UsageError


def test_classification_npz_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    Xt, yt = rng.normal(size=(10, 4)), np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=Xt, y_test=yt)
    arrays = load_classification_file(tmp_path / "d.npz")
    assert torch.equal(arrays.X, torch.from_numpy(X.astype(np.float32)))
    assert torch.equal(arrays.y, torch.from_numpy(y))
    assert arrays.X_test is not None and arrays.X_test.shape == (10, 4)
    assert arrays.num_features == 4 and arrays.num_classes == 4  # class 3 appears only in y_test


def test_regression_csv_with_header(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("x1,x2,y\n1,2,3\n4,5,6\n")
    X, y = load_regression_file(tmp_path / "r.csv")
    assert torch.equal(X, torch.tensor([[1.0, 2.0], [4.0, 5.0]]))
    assert torch.equal(y, torch.tensor([[3.0], [6.0]]))


def test_regression_npz_accepts_column_targets(tmp_path: Path) -> None:
    np.savez(tmp_path / "r.npz", X=np.ones((5, 2)), y=np.arange(5.0).reshape(5, 1))
    X, y = load_regression_file(tmp_path / "r.npz")
    assert X.shape == (5, 2) and y.shape == (5, 1)


def _write(tmp_path: Path, **arrays: np.ndarray) -> Path:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def _touch(path: Path) -> Path:
    path.write_text("")
    return path


BAD_CLASSIFICATION = [
    (
        lambda p: _write(p, X=np.ones((4, 2))),
        DatasetError,
        r"must hold arrays X and y, missing \['y'\]",
    ),
    (
        lambda p: _write(p, X=np.ones(4), y=np.zeros(4, int)),
        DatasetError,
        r"X must be a non-empty 2-d array",
    ),
    (
        lambda p: _write(p, X=np.ones((4, 2)), y=np.zeros(3, int)),
        DatasetError,
        r"1-d array of 4 labels",
    ),
    (
        lambda p: _write(p, X=np.ones((4, 2)), y=np.array([0, 1, 0.5, 1])),
        DatasetError,
        r"integer class labels",
    ),
    (
        lambda p: _write(p, X=np.ones((4, 2)), y=np.array([0, -1, 1, 1])),
        DatasetError,
        r"labels >= 0",
    ),
    (
        lambda p: _write(p, X=np.ones((4, 2)), y=np.zeros(4, int)),
        DatasetError,
        r"at least 2 classes",
    ),
    (
        lambda p: _write(p, X=np.array([[np.nan, 1], [1, 1]]), y=np.array([0, 1])),
        DatasetError,
        r"NaN or inf",
    ),
    (
        lambda p: _write(p, X=np.ones((2, 2)), y=np.array([0, 1]), X_test=np.ones((2, 2))),
        DatasetError,
        r"both X_test and y_test or neither",
    ),
    (
        lambda p: _write(
            p,
            X=np.ones((2, 2)),
            y=np.array([0, 1]),
            X_test=np.ones((2, 3)),
            y_test=np.array([0, 1]),
        ),
        DatasetError,
        r"X_test must have the 2 features of X, got 3",
    ),
    (
        lambda p: _write(p, X=np.ones((4, 0)), y=np.array([0, 1, 0, 1])),
        DatasetError,
        r"X must be a non-empty 2-d array \(N, D\), got shape \(4, 0\)",
    ),
    (
        lambda p: _write(p, X=np.ones((2, 2)), y=np.array([0, 100_000])),
        DatasetError,
        r"C at most 100000, got the label 100000",
    ),
    (lambda p: p / "missing.npz", UsageError, r"does not exist or is not a file"),
    (lambda p: _touch(p / "x.txt"), UsageError, r"must be a .npz file"),
]


@pytest.mark.parametrize("make,error,pattern", BAD_CLASSIFICATION)
def test_bad_classification_files(tmp_path: Path, make, error, pattern) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    with pytest.raises(error, match=pattern):
        load_classification_file(path)


@pytest.mark.parametrize(
    "y,pattern",
    [
        (np.array(["a", "b", "c"]), r"y must hold real numbers, got dtype <U1"),
        (np.array([1 + 1j, 2, 3]), r"y must hold real numbers, got dtype complex128"),
        (np.array([1e300, 2, 3]), r"y holds NaN or inf values"),  # beyond float32, and no warning
    ],
)
def test_regression_npz_targets_must_be_real_float32_numbers(
    tmp_path: Path, y: np.ndarray, pattern: str
) -> None:
    path = _write(tmp_path, X=np.ones((3, 2)), y=y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's cast warnings would reach the user's terminal
        with pytest.raises(DatasetError, match=pattern):
            load_regression_file(path)


def test_upper_case_suffixes_are_read(tmp_path: Path) -> None:
    (tmp_path / "T.CSV").write_text("x,y\n1,2\n3,4\n")
    X, y = load_regression_file(tmp_path / "T.CSV")
    assert X.tolist() == [[1], [3]] and y.reshape(-1).tolist() == [2, 4]
    np.savez(tmp_path / "c.npz", X=np.eye(2, dtype=np.float32), y=np.array([0, 1]))
    (tmp_path / "c.npz").rename(tmp_path / "C.NPZ")
    assert load_classification_file(tmp_path / "C.NPZ").num_classes == 2
    np.savez(tmp_path / "r.npz", X=np.eye(2), y=np.array([5.0, 6.0]))
    (tmp_path / "r.npz").rename(tmp_path / "R.NPZ")
    X, y = load_regression_file(tmp_path / "R.NPZ")
    assert X.tolist() == [[1, 0], [0, 1]] and y.reshape(-1).tolist() == [5, 6]


def test_the_largest_label_allowed_is_max_classes_minus_one(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((2, 2)), y=np.array([0, 99_999]))
    assert load_classification_file(path).num_classes == 100_000


def test_regression_targets_must_match_the_rows_of_x(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((3, 2)), y=np.array([1.0, 2.0]))
    with pytest.raises(DatasetError, match=r"y must hold one target per row of X \(3\), got shape \(2,\)"):  # fmt: skip
        load_regression_file(path)
