"""The arrays of a ``--data`` file: features must be real numbers, labels class indices; each bad one named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linearnets.data.arrays import load_classification_file
from linearnets.errors import DatasetError


@pytest.mark.parametrize("dtype", ["timedelta64[s]", "datetime64[s]", "complex64", "<U3"], ids=str)
def test_x_must_hold_real_numbers(tmp_path: Path, dtype: str) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, 2], [3, 4]]).astype(dtype), y=np.array([0, 1]))
    with pytest.raises(
        DatasetError,
        match=r"X must hold real numbers, got dtype .*; only bool, integer and float arrays",
    ):
        load_classification_file(tmp_path / "d.npz")


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float16", "float64"])
def test_bool_integer_and_float_features_are_read(tmp_path: Path, dtype: str) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, 0], [0, 1]]).astype(dtype), y=np.array([0, 1]))
    assert load_classification_file(tmp_path / "d.npz").X.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_duration_labels_are_refused(tmp_path: Path) -> None:
    """numpy counts timedelta64 as an integer type; a class label it is not."""
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([0, 1]).astype("timedelta64[s]"))
    with pytest.raises(
        DatasetError, match=r"y must hold integer class labels, got dtype timedelta64"
    ):
        load_classification_file(tmp_path / "d.npz")


def test_features_too_large_as_float32_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    np.savez(tmp_path / "d.npz", X=np.ones((3, 5)), y=np.array([0, 1, 0]))

    def no_memory(*args: object, **kwargs: object) -> np.ndarray:
        raise MemoryError

    monkeypatch.setattr(np, "ascontiguousarray", no_memory)
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "d.npz")
    assert str(info.value) == (
        f"{tmp_path / 'd.npz'}: X of shape (3, 5) is too large to hold as float32 (60 bytes) in "
        "this machine's memory; use fewer rows or features"
    )


def test_bool_labels_are_refused(tmp_path: Path) -> None:
    """Features may be bool; labels are class indices, so integers (or whole-number floats)."""
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([False, True]))
    with pytest.raises(
        DatasetError,
        match=r"y must hold integer class labels, got dtype bool; use y\.astype\(int\)",
    ):
        load_classification_file(tmp_path / "d.npz")
