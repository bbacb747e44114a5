"""A file's features as float32 (linearnets.data.features): text refused by its values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linearnets.cli._report import one_line
from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.data.features import float_features
from linearnets.errors import DatasetError


def test_words_as_targets_are_named_not_told_a_cast_that_fails(tmp_path: Path) -> None:
    """y of words was told "convert it first, e.g. with numpy.asarray(..., dtype=float)", which
    raises ValueError on them: the first word is named, and the encoding that works offered."""
    y = np.array(["a", "b", "c"] * 20)
    np.savez(tmp_path / "s.npz", X=np.random.default_rng(0).random((60, 2)), y=y)
    with pytest.raises(DatasetError) as info:
        load_regression_file(tmp_path / "s.npz")
    assert str(info.value) == (
        f"{tmp_path / 's.npz'}: y must hold real numbers, got dtype <U1: text, and 'a' at y[0] is "
        "no number (the first such); encode it as numbers, e.g. "
        "numpy.unique(y, return_inverse=True)[1], its distinct values numbered 0..K-1, or drop "
        "the examples whose y is no number"
    )
    with pytest.raises(ValueError, match="could not convert string to float"):
        np.asarray(y, dtype=float)  # the fix it was offered
    codes = np.unique(y, return_inverse=True)[1]  # the one offered now
    assert codes[:4].tolist() == [0, 1, 2, 0]
    np.savez(tmp_path / "s.npz", X=np.random.default_rng(0).random((60, 2)), y=codes)
    assert load_regression_file(tmp_path / "s.npz")[1][:4, 0].tolist() == [0.0, 1.0, 2.0, 0.0]


@pytest.mark.parametrize("load", [load_regression_file, load_classification_file])
def test_a_column_of_words_among_numbers_is_named_by_its_first_word(
    tmp_path: Path, load: object
) -> None:
    """X of text, one column of words: named with the cell of its first word, for linreg and
    softmax alike."""
    X = np.array([["1.5", "x" if i >= 3 else "2"] for i in range(6)])
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1, 0, 1, 0, 1]))
    with pytest.raises(DatasetError) as info:
        load(tmp_path / "d.npz")  # type: ignore[operator]
    assert one_line(info.value) == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype <U3: text, and 'x' at "
        "X[3, 1] is no number (the first such); encode that column as numbers, e.g. "
        "X = X.astype(object); X[:, 1] = numpy.unique(X[:, 1], return_inverse=True)[1]; "
        "X = numpy.asarray(X, dtype=float) (its distinct values numbered 0..K-1, in an array of "
        "objects first: written into X's text, 10 could be cut to '1'), or drop that column"
    )


def test_the_encoding_offered_for_a_column_of_words_keeps_every_category(tmp_path: Path) -> None:
    """Followed as written, X[:, 1] = numpy.unique(...)[1] wrote the codes into X's one-character
    text: 10 and 11 were cut to '1', 12 categories became 10, and linreg trained on them."""
    X = np.array([[str(i % 3), chr(97 + i % 12)] for i in range(40)])  # dtype <U1, 12 letters
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(40.0))
    with pytest.raises(DatasetError) as info:
        load_regression_file(tmp_path / "d.npz")
    said = one_line(info.value)
    fix = said.split("e.g. ")[1].split(" (its distinct")[0]
    scope = {"numpy": np, "X": X}
    exec(fix, scope)  # the statements as the message gives them
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(40.0))
    X_fixed, _ = load_regression_file(tmp_path / "fixed.npz")
    assert X_fixed[:, 1].tolist() == [float(i % 12) for i in range(40)]  # 'a'..'l' as 0..11
    assert X_fixed[:, 0].tolist() == [float(i % 3) for i in range(40)]


@pytest.mark.parametrize("text", ["U", "S"])
def test_numbers_written_as_text_are_told_the_cast_that_reads_them(
    tmp_path: Path, text: str
) -> None:
    """Every value reads as a number: the cast offered works (checked here on the same array)."""
    X = np.array([["1.5", "-2e3"], [" 3", "nan"]]).astype(text)
    with pytest.raises(DatasetError) as info:
        float_features(tmp_path / "d.npz", "X", X)
    assert str(info.value) == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype {X.dtype}: numbers written as "
        "text; convert it first, e.g. with numpy.asarray(X, dtype=float)"
    )
    assert np.asarray(X, dtype=float)[0].tolist() == [1.5, -2000.0]


def test_the_first_value_that_is_no_number_is_found_past_numbers_and_in_images(
    tmp_path: Path,
) -> None:
    """Named in the file's terms: images (N, 2, 2) flattened to (N, 4), by their own index."""
    X = np.array([["1", "2", "3", "4"], ["5", "6", "n/a", "8"]])
    with pytest.raises(DatasetError, match=r"'n/a' at X\[1, 1, 0\] is no number .* numpy\.unique\(X\[:, 1, 0\], return_inverse=True\)\[1\]"):  # fmt: skip
        float_features(tmp_path / "d.npz", "X", X, shape=(2, 2, 2))
    y = np.array([str(float(i)) for i in range(60)])
    y[7] = "n/a"
    with pytest.raises(DatasetError, match=r"'n/a' at y\[7\] is no number"):
        float_features(tmp_path / "d.npz", "y", y.reshape(-1, 1), cell=lambda i, j: f"y[{i}]")
