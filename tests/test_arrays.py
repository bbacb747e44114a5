"""The user's own data files (``--data``): read, checked, and every bad file named with the fix."""

from __future__ import annotations

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
    (lambda p: p / "missing.npz", UsageError, r"does not exist or is not a file"),
    (lambda p: _touch(p / "x.txt"), UsageError, r"must be a .npz file"),
]


@pytest.mark.parametrize("make,error,pattern", BAD_CLASSIFICATION)
def test_bad_classification_files(tmp_path: Path, make, error, pattern) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    with pytest.raises(error, match=pattern):
        load_classification_file(path)


def test_corrupt_npz(tmp_path: Path) -> None:
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DatasetError, match=r"not a readable .npz file"):
        load_classification_file(tmp_path / "c.npz")


@pytest.mark.parametrize(
    "text,pattern",
    [("1,2\n3,x\n", r"not a numeric CSV"), ("1\n2\n", r"at least 2 columns")],
)
def test_bad_csv(tmp_path: Path, text: str, pattern: str) -> None:
    (tmp_path / "b.csv").write_text(text)
    with pytest.raises(DatasetError, match=pattern):
        load_regression_file(tmp_path / "b.csv")
