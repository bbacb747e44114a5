"""The arrays of a ``--data`` file: features must be real numbers, labels class indices; each bad one named."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.errors import DatasetError, DataWarning, UsageError

from .conftest import broken_link


@pytest.mark.parametrize("dtype", ["timedelta64[s]", "datetime64[s]", "complex64"], ids=str)
def test_x_must_hold_real_numbers(tmp_path: Path, dtype: str) -> None:
    """Text is refused by its values: see test_features."""
    np.savez(tmp_path / "d.npz", X=np.array([[1, 2], [3, 4]]).astype(dtype), y=np.array([0, 1]))
    with pytest.raises(
        DatasetError,
        match=r"X must hold real numbers, got dtype .*; only bool, integer and float arrays",
    ):
        load_classification_file(tmp_path / "d.npz")


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float16", "float64"])
def test_bool_integer_and_float_features_are_read(tmp_path: Path, dtype: str) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, 0], [0, 1]]).astype(dtype), y=np.array([0, 1]))
    assert load_classification_file(tmp_path / "d.npz").X.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_uint8_images_are_scaled_to_the_unit_interval(tmp_path: Path) -> None:
    """As ToTensor and the Fashion-MNIST path scale them: raw 0..255 features once made the
    book's lr 0.1 diverge (and the guard's lr 0.01 too) on the same images."""
    pixels = np.array([[0, 51, 255], [255, 102, 1]], dtype=np.uint8)
    np.savez(tmp_path / "d.npz", X=pixels, y=np.array([0, 1]), X_test=pixels[::-1],
             y_test=np.array([1, 0]))  # fmt: skip
    arrays = load_classification_file(tmp_path / "d.npz")
    expected = torch.tensor([[0.0, 0.2, 1.0], [1.0, 0.4, 1 / 255]])
    assert torch.allclose(arrays.X, expected) and arrays.X.dtype == torch.float32
    assert arrays.X_test is not None and torch.allclose(arrays.X_test, expected.flip(0))
    assert arrays.pixels is True  # recorded: the model's inputs were divided by 255
    np.savez(tmp_path / "f.npz", X=pixels.astype(np.float32), y=np.array([0, 1]))
    assert load_classification_file(tmp_path / "f.npz").pixels is False
    # regression features are no pixels: kept as they are
    np.savez(tmp_path / "r.npz", X=pixels, y=np.array([0.5, 1.5]))
    assert load_regression_file(tmp_path / "r.npz")[0].tolist() == pixels.tolist()


def test_uint8_training_and_other_test_features_are_refused(tmp_path: Path) -> None:
    """One scaled and one not would test the model on features 255 times too large."""
    np.savez(tmp_path / "d.npz", X=np.full((2, 2), 7, np.uint8), y=np.array([0, 1]),
             X_test=np.ones((2, 2)), y_test=np.array([0, 1]))  # fmt: skip
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "d.npz")
    assert str(info.value) == (
        f"{tmp_path / 'd.npz'}: X and X_test must both be 8-bit pixels (uint8, or integers within "
        "0..255), scaled to [0, 1], or both not, got X uint8 and X_test float64; store both as "
        "uint8 (pixels 0..255) or both as float (taken as they are)"
    )


def test_uint8_flags_of_0_and_1_are_kept_as_the_same_int64_flags_are(tmp_path: Path) -> None:
    """A mask or one-hot columns stored as uint8 were divided by 255, to 0 and 0.004, silently:
    blobs of such flags trained to accuracy 0.555 where the same as int64 reached 0.900. 0 and 1
    are in [0, 1] already: kept, as int64 ones are (the oracle), and not recorded as pixels."""
    flags = (np.random.default_rng(0).random((20, 6)) < 0.5).astype(np.uint8)
    y = np.arange(20) % 2
    np.savez(tmp_path / "u8.npz", X=flags, y=y, X_test=flags[:5], y_test=y[:5])
    np.savez(tmp_path / "i64.npz", X=flags.astype(np.int64), y=y, X_test=flags[:5].astype(np.int64),
             y_test=y[:5])  # fmt: skip
    u8, i64 = (load_classification_file(tmp_path / f"{n}.npz") for n in ("u8", "i64"))
    assert u8.X.tolist() == i64.X.tolist() == flags.astype(np.float32).tolist()
    assert u8.X_test is not None and u8.X_test.tolist() == flags[:5].tolist()
    assert u8.pixels is False
    # a float X_test beside them is kept too; pixels up to 255 beside them are refused
    np.savez(tmp_path / "f.npz", X=flags, y=y, X_test=flags[:5] * 0.5, y_test=y[:5])
    assert load_classification_file(tmp_path / "f.npz").pixels is False
    np.savez(tmp_path / "p.npz", X=flags, y=y, X_test=flags[:5] * 255, y_test=y[:5])
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "p.npz")
    past = int(np.count_nonzero(flags[:5]))  # each 1 of them, as 255
    assert (
        "got X uint8 of 0 and 1 alone (flags, kept as they are) and X_test uint8 with "
        f"{past} value(s) past 1 (up to 255), which make it 8-bit pixels"
    ) in str(info.value)
    # beside X's pixels, an X_test of 0 and 1 alone (dark images) is scaled as X is
    pixels = flags * 200
    np.savez(tmp_path / "d.npz", X=pixels, y=y, X_test=flags[:5], y_test=y[:5])
    dark = load_classification_file(tmp_path / "d.npz")
    assert dark.pixels is True and dark.X_test is not None
    assert dark.X_test.tolist() == (flags[:5].astype(np.float32) / np.float32(255)).tolist()


@pytest.mark.parametrize("dtype", ["int16", "int32", "int64", "uint16", "uint64"])
def test_pixels_stored_as_wider_integers_are_scaled_as_uint8_ones_with_a_note(
    tmp_path: Path, dtype: str
) -> None:
    """Fashion-MNIST's pixels of 0..255 as int64 (pandas' columns of its CSV, np.loadtxt(...,
    dtype=int)) were trained as they are, and diverged at the book's lr, while uint8 ones were
    scaled. The oracle: numpy's float32 pixels / 255."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(6, 4)).astype(np.uint8)
    pixels[0, 0] = 255
    path = tmp_path / "d.npz"
    np.savez(path, X=pixels.astype(dtype), y=np.arange(6) % 2, X_test=pixels[:3].astype(dtype),
             y_test=np.array([0, 1, 0]))  # fmt: skip
    with pytest.warns(DataWarning) as seen:
        arrays = load_classification_file(path)
    expected = torch.from_numpy(pixels.astype(np.float32) / np.float32(255))
    assert torch.equal(arrays.X, expected) and arrays.X.dtype == torch.float32
    assert arrays.X_test is not None and torch.equal(arrays.X_test, expected[:3])
    low, high, test_low = pixels.min(), pixels.max(), pixels[:3].min()
    assert [str(w.message) for w in seen] == [
        f"{path}: X ({dtype} of {low}..{high}) and X_test ({dtype} of {test_low}..{high}) are "
        "taken for 8-bit pixels and scaled to [0, 1], as uint8 pixels are (the book's lr "
        "diverges on values up to 255); store them as uint8 to have them scaled without this "
        "warning, or X and X_test as float to train on the values as they are"
    ]
    assert seen[0].filename == __file__
    # the note's fixes: uint8 reads the same features without it; float keeps the values
    np.savez(path, X=pixels, y=np.arange(6) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(load_classification_file(path).X, expected)
        np.savez(path, X=pixels.astype(np.float32), y=np.arange(6) % 2)
        assert load_classification_file(path).X.tolist() == pixels.tolist()
    # regression features are no pixels: kept as they are
    np.savez(tmp_path / "r.npz", X=pixels.astype(dtype), y=np.arange(6.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_regression_file(tmp_path / "r.npz")[0].tolist() == pixels.tolist()


def test_pixels_of_x_alone_stored_as_wider_integers_are_noted_in_the_singular(
    tmp_path: Path,
) -> None:
    """Without X_test the note names X alone: "is taken", "store it"; only the plural was held to
    its words."""
    pixels = np.arange(24).reshape(6, 4) * 11  # 0..253, int64
    path = tmp_path / "d.npz"
    np.savez(path, X=pixels, y=np.arange(6) % 2)
    with pytest.warns(DataWarning) as seen:
        arrays = load_classification_file(path)
    assert torch.equal(arrays.X, torch.from_numpy(pixels.astype(np.float32) / np.float32(255)))
    assert [str(w.message) for w in seen] == [
        f"{path}: X (int64 of 0..253) is taken for 8-bit pixels and scaled to [0, 1], as uint8 "
        "pixels are (the book's lr diverges on values up to 255); store it as uint8 to have it "
        "scaled without this warning, or X as float to train on the values as they are"
    ]


@pytest.mark.parametrize(
    "X",
    [
        np.array([[0, 16], [3, 100]]),  # within 0..100: counts or codes, which the lr suits
        np.array([[0, 200], [-1, 3]]),  # a negative value: no pixel
        np.array([[0, 256], [3, 200]]),  # past 255: no 8-bit pixel
        np.array([[True, False], [False, True]]),
    ],
    ids=["small", "negative", "past-255", "bool"],
)
def test_integer_features_that_are_no_pixels_are_kept(tmp_path: Path, X: np.ndarray) -> None:
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_classification_file(tmp_path / "d.npz").X.tolist() == X.astype(float).tolist()


@pytest.mark.parametrize(
    ("X", "X_test", "expected"),
    [
        # X's pixels decide: X_test's are any integers within 0..255 (a few dark images)
        (np.array([[0, 255], [3, 9]]), np.array([[0, 51], [3, 1]]), [[0, 0.2], [3 / 255, 1 / 255]]),
        (np.array([[0, 255], [3, 9]], np.uint8), np.array([[0, 51], [3, 1]]), [[0, 0.2], [3 / 255, 1 / 255]]),
        (np.array([[0, 255], [3, 9]], np.int32), np.array([[0, 51], [3, 1]], np.uint8), [[0, 0.2], [3 / 255, 1 / 255]]),
        # no pixels in X: integer X_test kept as it is, as X is
        (np.array([[0, 50], [3, 9]]), np.array([[0, 200], [3, 1]]), [[0, 200], [3, 1]]),
    ],
    ids=["int-int", "uint8-int", "int-uint8", "small-int"],
)  # fmt: skip
def test_test_features_are_scaled_as_the_training_ones_are(
    tmp_path: Path, X: np.ndarray, X_test: np.ndarray, expected: list[list[float]]
) -> None:
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1]), X_test=X_test, y_test=np.array([1, 0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the note on wider integers, tested above
        arrays = load_classification_file(tmp_path / "d.npz")
    assert arrays.X_test is not None
    assert torch.allclose(
        arrays.X_test, torch.tensor(expected, dtype=torch.float32), rtol=0, atol=1e-7
    )


@pytest.mark.parametrize(
    ("X", "X_test", "got"),
    [
        (np.array([[0, 255], [3, 9]]), np.array([[0.0, 51.0], [3.0, 1.0]]), "X int64 of 0..255 and X_test float64"),
        (np.array([[0, 255], [3, 9]]), np.array([[0, 300], [3, 1]]), "X int64 of 0..255 and X_test int64 of 0..300"),
        (np.array([[0, 255], [3, 9]], np.uint8), np.array([[-1, 51], [3, 1]]), "X uint8 and X_test int64 of -1..51"),
        (np.array([[0, 50], [3, 9]]), np.array([[0, 51], [3, 1]], np.uint8), "X int64 of 0..50 and X_test uint8"),
    ],
    ids=["int-float", "int-past-255", "uint8-negative", "small-uint8"],
)  # fmt: skip
def test_pixels_and_other_test_features_are_refused(
    tmp_path: Path, X: np.ndarray, X_test: np.ndarray, got: str
) -> None:
    """One scaled and the other not would test the model on features 255 times off."""
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=np.array([0, 1]), X_test=X_test, y_test=np.array([1, 0]))
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: X and X_test must both be 8-bit pixels (uint8, or integers within 0..255), "
        f"scaled to [0, 1], or both not, got {got}; store both as uint8 (pixels 0..255) or both "
        "as float (taken as they are)"
    )


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


def test_classification_npz_round_trip(tmp_path: Path) -> None:
    from linearnets.errors import DataWarning

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    Xt, yt = rng.normal(size=(10, 4)), np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=Xt, y_test=yt)
    with pytest.warns(DataWarning, match=r"y_test holds labels that y never has \(3;"):
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
    features = np.arange(10.0).reshape(5, 2)
    np.savez(tmp_path / "r.npz", X=features, y=np.arange(5.0).reshape(5, 1))
    X, y = load_regression_file(tmp_path / "r.npz")
    assert torch.equal(X, torch.tensor(features, dtype=torch.float32))
    assert torch.equal(y, torch.tensor([[0.0], [1.0], [2.0], [3.0], [4.0]]))


def test_a_one_feature_x_saved_flat_is_refused_with_the_reshape(tmp_path: Path) -> None:
    """``np.savez(path, X=x, y=y)`` with ``x`` (N,), one feature, the book's §3.1 plot data: its
    fix, "store one row of features per example", did not say how."""
    x, targets = np.linspace(-1, 1, 5), np.linspace(0, 8, 5)
    np.savez(tmp_path / "r.npz", X=x, y=targets)
    with pytest.raises(DatasetError) as info:
        load_regression_file(tmp_path / "r.npz")
    assert str(info.value) == (
        f"{tmp_path / 'r.npz'}: X must be a 2-d array (N, D), got shape (5,); store one row of "
        "features per example, e.g. X.reshape(-1, 1) for one feature per example"
    )
    np.savez(tmp_path / "r.npz", X=x.reshape(-1, 1), y=targets)  # the fix it names
    X, y = load_regression_file(tmp_path / "r.npz")
    assert X.reshape(-1).tolist() == x.astype(np.float32).tolist()
    assert y.reshape(-1).tolist() == targets.astype(np.float32).tolist()


@pytest.mark.parametrize(
    "load,test_set",
    [(load_regression_file, False), (load_classification_file, False), (load_classification_file, True)],
    ids=["regression", "classification", "classification-X_test"],
)  # fmt: skip
def test_features_stored_transposed_are_refused_with_the_transpose(
    tmp_path: Path, load: Callable[[Path], Any], test_set: bool
) -> None:
    """X saved (D, N), a row per feature (MATLAB's or R's layout): its fix was "store one
    target (label) per row of X", and the targets were right."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), np.array([0, 1, 2, 0, 1, 2, 0, 1])
    rows = "X_test" if test_set else "X"
    arrays = {"X": X, "y": y, "X_test": X, "y_test": y} if test_set else {"X": X, "y": y}
    arrays[rows] = X.T  # (3, 8)
    path = _write(tmp_path, **arrays)
    with pytest.raises(DatasetError) as info:
        load(path)
    label = "y_test" if test_set else "y"
    wanted = (
        f"{label} must be a 1-d array of 3 labels"
        if load is load_classification_file
        else "y must hold one target per row of X (3)"
    )
    assert str(info.value) == (
        f"{path}: {wanted}, got shape (8,); {rows} has 8 columns, as many as {label} has values: "
        f"is {rows} stored transposed, (D, N)? save {rows}.T, one row per example"
    )
    arrays[rows] = arrays[rows].T  # the fix it names
    path = _write(tmp_path, **arrays)
    loaded = load(path)
    features = loaded.X_test if test_set else loaded[0] if isinstance(loaded, tuple) else loaded.X
    assert torch.equal(features, torch.from_numpy(X.astype(np.float32)))


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
        r"X must be a 2-d array \(N, D\), got shape \(4,\); store one row of features per example",
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
        r"X_test must have the 2 features of X, got 3; store the test examples with the same "
        r"feature columns, in the same order",
    ),
    (
        lambda p: _write(p, X=np.ones((4, 0)), y=np.array([0, 1, 0, 1])),
        DatasetError,
        r"X must hold at least one example and one feature, got shape \(4, 0\): no features",
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
        (np.array(["a", "b", "c"]), r"y must hold real numbers, got dtype <U1: text, and 'a' at"),
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
    with pytest.warns(
        DataWarning, match=r"no label is classes 1, 2, 3, 4, 5, … \(y's go up to 99999\)"
    ):
        assert load_classification_file(path).num_classes == 100_000


def test_regression_targets_must_match_the_rows_of_x(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((3, 2)), y=np.array([1.0, 2.0]))
    with pytest.raises(DatasetError, match=r"y must hold one target per row of X \(3\), got shape \(2,\)"):  # fmt: skip
        load_regression_file(path)


# --- mutation audit: shapes, label kinds and the X_test/y_test pair -------------------------------


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.ones(2), np.array([0, 1]),
         "X must be a 2-d array (N, D), got shape (2,); store one row of features per example, "
         "e.g. X.reshape(-1, 1) for one feature per example"),
        (np.ones((0, 2)), np.zeros(0, int),
         "X must hold at least one example and one feature, got shape (0, 2): no examples (N = 0); "
         "save the data with its rows and columns"),
    ],
    ids=["1-d", "no rows"],
)  # fmt: skip
def test_x_must_be_a_non_empty_matrix_and_the_message_names_the_file(
    tmp_path: Path, X: np.ndarray, y: np.ndarray, message: str
) -> None:
    """A reshape fixes a 1-d X, not an empty one: each gets its own fix."""
    path = _write(tmp_path, X=X, y=y)
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == f"{path}: {message}"


def test_a_column_of_labels_is_read_as_one_label_per_example(tmp_path: Path) -> None:
    """A column of labels (N, 1), as y of linear regression may be (and keras, sklearn take
    labels), was refused: it is N class indices, read flat (never an (N, 1) target tensor)."""
    y, y_test = np.array([[0], [2], [1], [2]]), np.array([[1], [0]], dtype=np.uint8)
    X = np.arange(8.0).reshape(4, 2)
    arrays = load_classification_file(_write(tmp_path, X=X, y=y, X_test=X[:2], y_test=y_test))
    assert arrays.y.shape == (4,) and arrays.y.tolist() == y[:, 0].tolist()
    assert arrays.y_test is not None and arrays.y_test.tolist() == y_test[:, 0].tolist()
    assert arrays.num_classes == 3
    # a row of labels (1, N) is refused with the fix, as before
    with pytest.raises(DatasetError, match=r"y must be a 1-d array of 4 labels, got shape \(1, 4\); flatten it, e\.g\. y\.reshape\(-1\)$"):  # fmt: skip
        load_classification_file(_write(tmp_path, X=X, y=y.reshape(1, -1)))


def test_images_are_read_as_one_row_of_pixels_per_example(tmp_path: Path) -> None:
    """Images X (N, 28, 28), as keras' fashion_mnist.load_data() gives them, were refused with
    "reshape it": the book's softmax net flattens its images itself (§3.6.3); so does the loader,
    X_test too, pixels scaled as ever. Linear regression keeps the refusal: no images there."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    tests = rng.integers(0, 256, size=(2, 28, 28, 1), dtype=np.uint8)  # a channel axis too
    y = np.array([0, 1, 2, 0, 1, 2])
    arrays = load_classification_file(_write(tmp_path, X=images, y=y, X_test=tests, y_test=y[:2]))
    assert arrays.num_features == 784 and arrays.X.shape == (6, 784)
    np.testing.assert_array_equal(
        arrays.X.numpy(), (images.reshape(6, -1) / np.float32(255)).astype(np.float32)
    )
    assert arrays.X_test is not None
    np.testing.assert_array_equal(
        arrays.X_test.numpy(), (tests.reshape(2, -1) / np.float32(255)).astype(np.float32)
    )
    path = tmp_path / "r.npz"
    np.savez(path, X=images.astype(float), y=y.astype(float))
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: X must be a 2-d array (N, D), got shape (6, 28, 28); reshape it to one row per "
        "example, e.g. X.reshape(len(X), -1)"
    )


@pytest.mark.parametrize(
    "train,test,message",
    [
        ((2, 2), (4,), "X_test's examples must have the shape of X's, (2, 2) (4 features), got (4,) (4 features); store the test examples as the training ones are, e.g. X_test.reshape(len(X_test), 2, 2) where its values are in X's order"),
        ((4,), (2, 2), "X_test's examples must have the shape of X's, (4,) (4 features), got (2, 2) (4 features); store the test examples as the training ones are, e.g. X_test.reshape(len(X_test), 4) where its values are in X's order"),
        ((2, 3), (3, 2), "X_test's examples must have the shape of X's, (2, 3) (6 features), got (3, 2) (6 features); store the test examples as the training ones are, e.g. X_test.reshape(len(X_test), 2, 3) where its values are in X's order"),
        ((2, 2), (3, 3), "X_test's examples must have the shape of X's, (2, 2) (4 features), got (3, 3) (9 features); store the test examples as the training ones are, the same features in the same order"),
    ],
)  # fmt: skip
def test_test_examples_of_another_shape_than_the_training_ones_are_refused(
    tmp_path: Path, train: tuple[int, ...], test: tuple[int, ...], message: str
) -> None:
    """X (N, 2, 2) beside X_test (M, 4) was read, both flattened to 4 features: nothing says the
    test rows are the images' pixels in the same order. Each example's shape must be X's."""
    y = np.array([0, 1, 2, 0, 1, 2])
    path = _write(
        tmp_path,
        X=np.arange(6.0 * math.prod(train)).reshape(6, *train),
        y=y,
        X_test=np.ones((2, *test)),
        y_test=y[:2],
    )
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == f"{path}: {message}"


def test_test_examples_may_differ_from_the_training_ones_by_axes_of_size_1(tmp_path: Path) -> None:
    """A channel axis, (28, 28, 1) or (1, 28, 28), beside images (28, 28) changes no pixel's order."""
    y = np.array([0, 1, 2, 0, 1, 2])
    X = np.arange(24.0).reshape(6, 2, 2, 1)
    X_test = np.arange(8.0).reshape(2, 1, 2, 2)
    arrays = load_classification_file(_write(tmp_path, X=X, y=y, X_test=X_test, y_test=y[:2]))
    assert arrays.X_test is not None
    np.testing.assert_array_equal(arrays.X.numpy(), X.reshape(6, 4))
    np.testing.assert_array_equal(arrays.X_test.numpy(), X_test.reshape(2, 4))


@pytest.mark.parametrize(
    "arrays,message",
    [
        (dict(X=np.ones((6, 2, 0)), y=np.arange(6) % 3), "X must hold at least one example and one feature, got shape (6, 2, 0): no features (D = 0); save the data with its rows and columns"),
        (dict(X=np.ones((6, 2, 3)), y=np.arange(6) % 3, X_test=np.ones((2, 0, 3)), y_test=np.zeros(2, int)), "X_test must hold at least one example and one feature, got shape (2, 0, 3): no features (D = 0); save the data with its rows and columns"),
        (dict(X=np.where(np.arange(36).reshape(6, 2, 3) == 29, np.nan, 1.0), y=np.arange(6) % 3), "X holds NaN or inf values (or values beyond float32's ±3.4e38), the first at X[4, 1, 2]: nan; clean, impute or rescale them first"),
        (dict(X=np.ones((6, 2, 3)), y=np.arange(6) % 3, X_test=np.where(np.arange(12).reshape(2, 2, 3) == 7, np.inf, 1.0), y_test=np.zeros(2, int)), "X_test holds NaN or inf values (or values beyond float32's ±3.4e38), the first at X_test[1, 0, 1]: inf; clean, impute or rescale them first"),
    ],
)  # fmt: skip
def test_images_are_named_in_their_own_shape(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    """An empty or non-finite image was named in its flattened shape, (6, 0) or X[4, 5], which the
    file does not hold: it is named as the file holds it, (6, 2, 0) or X[4, 1, 2]."""
    path = _write(tmp_path, **arrays)
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == f"{path}: {message}"


def test_a_rounded_image_column_is_named_in_the_images_shape(tmp_path: Path) -> None:
    X = np.random.default_rng(0).random((6, 2, 3))
    X[:, 1, 0] = 1.7e12 + np.arange(6) * 1000.0  # one number as float32
    path = _write(tmp_path, X=X, y=np.arange(6) % 3)
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}: X\[:, 1, 0\] holds values"):
        load_classification_file(path)


@pytest.mark.parametrize("name", ["X", "X_test"])
def test_a_structured_array_of_features_is_told_to_make_its_fields_columns(
    tmp_path: Path, name: str
) -> None:
    """pandas' df.to_records() saved as X, shape (N,) of fields, was told "X must be a 2-d array
    (N, D) ... e.g. X.reshape(-1, 1) for one feature per example", a fix that fails in turn."""
    records = np.zeros(4, dtype=[("a", "f4"), ("b", "f4")])
    arrays = {"X": np.ones((4, 2)), "y": np.array([0, 1, 0, 1]), "X_test": np.ones((2, 2)), "y_test": np.array([0, 1])}  # fmt: skip
    path = _write(tmp_path, **{**arrays, name: records})
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: {name} must hold real numbers, got a structured array of the fields ['a', "
        f"'b']; store its fields as columns, e.g. numpy.lib.recfunctions."
        f"structured_to_unstructured({name}) (df.to_numpy() for a pandas DataFrame)"
    )
    if name == "X":  # the fix works
        from numpy.lib import recfunctions

        fixed = _write(
            tmp_path, **{**arrays, "X": recfunctions.structured_to_unstructured(records)}
        )
        assert load_classification_file(fixed).X.shape == (4, 2)


def test_one_example_or_bad_label_is_counted_in_the_singular(tmp_path: Path) -> None:
    """ "in its 1 examples", "(1 such values); fix or drop those examples"."""
    path = _write(tmp_path, X=np.ones((1, 2)), y=np.array([1]))
    with pytest.raises(DatasetError, match=r"got only class 1 in its 1 example; add examples"):
        load_classification_file(path)
    path = _write(tmp_path, X=np.ones((3, 2)), y=np.array([0.0, np.nan, 1.0]))
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: y must hold integer class labels, got nan at index 1 (the only one); fix or "
        "drop that example: a cast to int would change it silently"
    )


@pytest.mark.parametrize(
    "X_test,y_test,message",
    [
        (np.ones(3), np.array([1]), "X_test must be a 2-d array (M, D), got shape (3,), X's 3 features once: for one test example, store it as a row, X_test.reshape(1, -1)"),
        (np.ones(5), np.ones(5, int), "X_test must be a 2-d array (M, D), got shape (5,); store one row of X's 3 features per test example"),
        (np.ones((1, 3)), np.int64(1), "y_test must be a 1-d array of 1 label, got shape (); flatten it, e.g. y_test.reshape(-1)"),
    ],
)  # fmt: skip
def test_a_single_test_example_saved_flat_is_told_to_store_it_as_a_row(
    tmp_path: Path, X_test: np.ndarray, y_test: np.ndarray, message: str
) -> None:
    """X_test of X's 3 features saved flat, (3,), was told "X_test.reshape(-1, 1) for one
    feature per example", 3 examples of a feature X does not have; a flat X_test of another
    length alike; its one label, saved as a scalar, "a 1-d array of 1 labels"."""
    y = np.array([0, 1, 0, 1])
    path = _write(tmp_path, X=np.ones((4, 3)), y=y, X_test=X_test, y_test=y_test)
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == f"{path}: {message}"
    if X_test.shape == (3,):  # the fix works
        fixed = _write(
            tmp_path, X=np.ones((4, 3)), y=y, X_test=X_test.reshape(1, -1), y_test=y_test
        )
        assert load_classification_file(fixed).X_test.shape == (1, 3)  # type: ignore[union-attr]


def test_y_test_without_x_test_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((2, 2)), y=np.array([0, 1]), y_test=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"must hold both X_test and y_test or neither"):
        load_classification_file(path)


def test_a_regression_npz_without_y_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((3, 2)), w=np.ones(2))
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path} must hold arrays X and y, found ['X', 'w']; save them by those names: "
        "numpy.savez(path, X=X, y=y)"
    )


def test_a_regression_npz_with_a_test_set_warns_that_it_is_not_used(tmp_path: Path) -> None:
    """It was dropped without a word, even holding NaN and a length that does not match."""
    path = _write(
        tmp_path, X=np.eye(3), y=np.arange(3.0), X_test=np.full((2, 3), np.nan), y_test=np.zeros(5)
    )
    with pytest.warns(DataWarning, match=r"linear regression trains on X and y and has no test set: X_test and y_test are not used \(nor checked\)$") as seen:  # fmt: skip
        X, y = load_regression_file(path)
    assert seen[0].filename == __file__
    assert torch.equal(X, torch.eye(3)) and y.shape == (3, 1)


@pytest.mark.parametrize(
    ("y", "shape"),
    [(np.ones((3, 2)), "(3, 2)"), (np.ones((3, 1, 1)), "(3, 1, 1)"), (np.ones((1, 3)), "(1, 3)")],
)
def test_regression_targets_must_be_one_per_row(tmp_path: Path, y: np.ndarray, shape: str) -> None:
    """Only (N,) and (N, 1) are one target per row; (N, 2) is not read as 2N rows."""
    path = _write(tmp_path, X=np.ones((3, 2)), y=y)
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    fix = (
        "the model fits one target: keep one column, e.g. y[:, 0] (a run per column)"
        if shape == "(3, 2)"
        else "store one target per row of X, in the same order, as (N,) or (N, 1)"
    )
    assert (
        str(info.value)
        == f"{path}: y must hold one target per row of X (3), got shape {shape}; {fix}"
    )


def test_a_missing_csv_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"data={str(path)!r} does not exist or is not a file; pass an existing .csv file"
    )


@pytest.mark.parametrize("name", ["data.txt", "data"])
def test_regression_data_must_be_npz_or_csv(tmp_path: Path, name: str) -> None:
    path = _touch(tmp_path / name)
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert type(info.value) is UsageError  # a usage error (exit status 2), not a dataset error
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got {str(path)!r}; save the arrays with "
        "numpy.savez(path, X=X, y=y), or as a CSV whose last column is y"
    )


@pytest.mark.parametrize(("name", "out"), [("table.csv.gz", "table.csv"), ("x.NPZ.gz", "x.NPZ")])
def test_gzip_compressed_data_is_told_how_to_decompress(
    tmp_path: Path, name: str, out: str
) -> None:
    """table.csv.gz and x.npz.gz were told only to save the arrays with numpy.savez or as a CSV;
    they are told the gunzip that writes the file they hold beside them, under a new name."""
    import gzip

    path = tmp_path / name
    path.write_bytes(gzip.compress(b"x,y\n1,2\n"))
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got {str(path)!r}, gzip-compressed; decompress it "
        f"first (gunzip -c {path} > {tmp_path / out}) and pass {tmp_path / out}"
    )
    path.unlink()
    with pytest.raises(UsageError, match="does not exist or is not a file; pass an existing"):
        load_regression_file(path)


@pytest.mark.parametrize(
    ("name", "there", "out"),
    [
        ("t.csv.gz", ("t.csv",), "t.unzipped.csv"),
        ("t.csv.gz", ("t.csv", "t.unzipped.csv"), "t.unzipped-2.csv"),
        ("a.npz.gz", ("a.npz",), "a.unzipped.npz"),
    ],
)
def test_gunzip_is_never_told_to_write_over_a_file_beside_the_data(
    tmp_path: Path, name: str, there: tuple[str, ...], out: str
) -> None:
    """t.csv.gz beside a t.csv was told 'gunzip -c t.csv.gz > t.csv', which empties t.csv, the
    user's own file (a.npz.gz '> a.npz' likewise): the advice names a file that does not exist,
    and run as told it writes the table there and keeps every other file."""
    import gzip
    import shlex
    import shutil
    import subprocess

    table = b"x,y\n1,2\n3,5\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(table))
    for other in there:
        (tmp_path / other).write_bytes(b"mine\n")
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got {str(path)!r}, gzip-compressed; decompress it "
        f"first (gunzip -c {path} > {tmp_path / out}) and pass {tmp_path / out}"
    )
    if shutil.which("gunzip"):
        command = f"gunzip -c {shlex.quote(str(path))} > {shlex.quote(str(tmp_path / out))}"
        subprocess.run(command, shell=True, check=True)
        assert (tmp_path / out).read_bytes() == table
        assert all((tmp_path / other).read_bytes() == b"mine\n" for other in there)


@pytest.mark.parametrize("name", ["p.csv.gz", "p.NPZ.gz"])
def test_a_file_named_gz_that_holds_no_gzip_data_is_told_so(tmp_path: Path, name: str) -> None:
    """Plain text named p.csv.gz was told it is gzip-compressed, by its name alone, and the gunzip
    advised failed ('not in gzip format'), leaving an empty p.csv: its first bytes (not 1f 8b)
    say it is no gzip data, to rename."""
    path = tmp_path / name
    path.write_text("x,y\n1,2\n")
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    inner = name.removesuffix(".gz").rsplit(".", 1)[1]
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got {str(path)!r}, which is not gzip data despite its "
        f"name (it does not start with the bytes 1f 8b); if it holds a .{inner.lower()} file as "
        f"it is, rename it to end in .{inner} (without .gz) and pass that"
    )


def test_softmax_data_gzip_compressed_is_told_how_to_decompress(tmp_path: Path) -> None:
    """a.npz.gz (gzip -k a.npz) was told by softmax only "save the arrays with numpy.savez", as
    if it held no arrays; it is told linreg's gunzip, which writes an .npz that then reads, and a
    file named .npz.gz holding no gzip data is told to rename it."""
    import gzip
    import shlex
    import shutil
    import subprocess

    np.savez(tmp_path / "a.npz", X=np.eye(4, dtype=np.float32), y=np.array([0, 1, 0, 1]))
    path = tmp_path / "a.npz.gz"
    path.write_bytes(gzip.compress((tmp_path / "a.npz").read_bytes()))
    out = tmp_path / "a.unzipped.npz"
    with pytest.raises(UsageError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"data must be a .npz file for softmax regression, got {str(path)!r}, gzip-compressed; "
        f"decompress it first (gunzip -c {path} > {out}) and pass {out}"
    )
    if shutil.which("gunzip"):
        subprocess.run(f"gunzip -c {shlex.quote(str(path))} > {shlex.quote(str(out))}", shell=True, check=True)  # fmt: skip
        assert load_classification_file(out).num_classes == 2
    path.write_bytes((tmp_path / "a.npz").read_bytes())
    with pytest.raises(UsageError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"data must be a .npz file for softmax regression, got {str(path)!r}, which is not gzip "
        "data despite its name (it does not start with the bytes 1f 8b); if it holds a .npz "
        "file as it is, rename it to end in .npz (without .gz) and pass that"
    )


@pytest.mark.parametrize("load", [load_regression_file, load_classification_file])
def test_a_gzip_file_named_npz_is_told_to_gunzip(tmp_path: Path, load: Callable[..., Any]) -> None:
    """A gzip-compressed .npz named d.npz was told "not a readable .npz file (not a zip archive: a
    .npy array, text or a damaged file)"; its bytes 1f 8b name it gzip, with the gunzip that
    writes the .npz it holds to a new file (d.unzipped.npz), which then reads."""
    import gzip
    import io
    import shlex
    import shutil
    import subprocess

    buffer = io.BytesIO()
    np.savez(buffer, X=np.eye(3), y=np.array([0, 1, 1]))
    path = tmp_path / "d.npz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    out = tmp_path / "d.unzipped.npz"
    with pytest.raises(DatasetError) as info:
        load(path)
    assert str(info.value) == (
        f"data={str(path)!r} is gzip-compressed (it starts with bytes 1f 8b), not a .npz (zip) "
        f"file; decompress it first (gunzip -c {path} > {out}) and pass {out}"
    )
    if shutil.which("gunzip"):
        subprocess.run(f"gunzip -c {shlex.quote(str(path))} > {shlex.quote(str(out))}", shell=True, check=True)  # fmt: skip
        load(out)  # the archive it held reads


def test_test_features_are_checked_under_their_own_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        X=np.ones((2, 2)),
        y=np.array([0, 1]),
        X_test=np.array([[1.0, np.inf], [0.0, 1.0]]),
        y_test=np.array([0, 1]),
    )
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}: X_test holds NaN or inf"):
        load_classification_file(path)


def test_paths_may_be_given_as_strings(tmp_path: Path) -> None:
    np.savez(tmp_path / "c.npz", X=np.eye(2), y=np.array([1, 0]))
    assert load_classification_file(str(tmp_path / "c.npz")).y.tolist() == [1, 0]  # type: ignore[arg-type]
    (tmp_path / "r.csv").write_text("1,2\n3,4\n")
    X, y = load_regression_file(str(tmp_path / "r.csv"))  # type: ignore[arg-type]
    assert X.tolist() == [[1.0], [3.0]] and y.tolist() == [[2.0], [4.0]]


def test_a_model_past_2_gib_of_weights_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """A 0.8 MB file once asked torch's allocator for 40 GB (its text, not ours, named the cause):
    10⁵ features × 10⁵ classes × 4 bytes, by hand."""
    X = np.zeros((2, 100_000), np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 99_999]))
    with pytest.raises(
        DatasetError,
        match=r"X's 100,000 features × y's 100,000 classes make a model of 10,000,000,000 float32 "
        r"weights \(37\.3 GiB\), more than the 2 GiB a run allows",
    ):
        load_classification_file(tmp_path / "d.npz")
    # one feature more than fits: 2**29 + 2**15 weights, 128 KiB past 2 GiB (once "2.0 GiB", as
    # if at the limit it passes)
    X = np.zeros((2, 2**14 + 1), np.float32)
    np.savez(tmp_path / "past.npz", X=X, y=np.array([0, 2**15 - 1]))
    with pytest.raises(
        DatasetError,
        match=r"make a model of 536,903,680 float32 weights \(2 GiB \+ 131,072 bytes\), more than "
        r"the 2 GiB a run allows",
    ):
        load_classification_file(tmp_path / "past.npz")
    # just within: 2**29 weights of 4 bytes are the 2 GiB themselves
    np.savez(tmp_path / "ok.npz", X=np.zeros((2, 2**14), np.float32), y=np.array([0, 2**15 - 1]))
    with pytest.warns(DataWarning, match=r"no label is classes 1, "):  # accepted, told
        assert load_classification_file(tmp_path / "ok.npz").num_classes == 2**15


@pytest.mark.parametrize(
    "X,y,pattern",
    [
        # the first non-finite entry in row-major order, counted from 0 as NumPy indexes it
        (np.array([[1.0, 2.0], [3.0, np.nan], [np.inf, 4.0]]), np.zeros(3), r"X holds NaN or inf values \(or values beyond float32's ±3\.4e38\), the first at X\[1, 1\]: nan \(2 in all\); clean"),
        (np.ones((3, 2)), np.array([0.0, 1.0, -np.inf]), r"y holds NaN or inf values .*, the first at y\[2\]: -inf; clean"),
        (np.ones((3, 2)), np.array([[0.0], [1e300], [2.0]]), r"y holds NaN or inf values .*, the first at y\[1\]: 1e\+300; clean"),
    ],
)  # fmt: skip
def test_a_non_finite_npz_value_is_named_by_its_index(
    tmp_path: Path, X: np.ndarray, y: np.ndarray, pattern: str
) -> None:
    path = _write(tmp_path, X=X, y=y)
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}: {pattern}"):
        load_regression_file(path)


@pytest.mark.parametrize("name", ["absent.csv", "it's absent.csv", "table.txt", "absent.npz"])
def test_a_data_file_that_cannot_be_used_is_named_in_either_words(
    tmp_path: Path, name: str
) -> None:
    """From Python "--data x.csv does not exist" named an option: the setting is data='x.csv'.
    The command line prints --data x.csv, as it did."""
    from linearnets.cli._report import one_line

    path = tmp_path / name
    if name == "table.txt":
        path.write_text("1,2\n")
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    if name == "table.txt":
        assert str(info.value) == (
            f"data must be a .npz or .csv file, got {str(path)!r}; save the arrays with "
            "numpy.savez(path, X=X, y=y), or as a CSV whose last column is y"
        )
        assert one_line(info.value) == (
            f"--data must be a .npz or .csv file, got {str(path)!r}; save the arrays with "
            "numpy.savez(path, X=X, y=y), or as a CSV whose last column is y"
        )
        return
    kind = path.suffix
    fix = f" does not exist or is not a file; pass an existing {kind} file"
    assert str(info.value) == f"data={str(path)!r}{fix}"
    assert one_line(info.value) == f"--data {path}{fix}"


@pytest.mark.parametrize("kind", ["broken", "loop"])
@pytest.mark.parametrize("name", ["d.npz", "d.csv"])
def test_a_data_file_that_is_a_broken_link_is_named_as_one(
    tmp_path: Path, name: str, kind: str
) -> None:
    """A link to nowhere or to itself was told "does not exist or is not a file", though ls
    shows it there."""
    from linearnets.cli._report import one_line

    link, what = broken_link(tmp_path, name, kind)
    load = load_regression_file if name.endswith(".csv") else load_classification_file
    with pytest.raises(UsageError) as info:
        load(link)
    fix = f" cannot be read: {what}; pass an existing {link.suffix} file"
    assert str(info.value) == f"data={str(link)!r}{fix}"
    assert one_line(info.value) == f"--data {link}{fix}"


@pytest.mark.parametrize(
    ("before", "name", "after"), [("", "d.npz", " "), (" ", "d.npz", ""), ("", "d.csv", "\n")]
)
def test_a_data_path_with_a_blank_around_it_is_told_to_drop_it(
    tmp_path: Path, before: str, name: str, after: str
) -> None:
    """data='d.npz ' (a script's variable) was refused for its suffix, '.npz ', as no .npz file,
    with no word of the blank, where the command line's path options say to drop it."""
    from linearnets.cli._report import one_line

    bare = tmp_path / name
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]))  # the file meant
    (tmp_path / "d.csv").write_text("1,2,3\n4,5,7\n7,8,8\n9,9,1\n")
    path = f"{before}{bare}{after}"
    load = load_regression_file if name.endswith(".csv") else load_classification_file
    rule = "must not begin or end with whitespace (unless a file of that name exists)"
    with pytest.raises(UsageError) as info:
        load(path)
    # a line break as the shell takes it, $'...\n' (repr's '...\n' is a backslash and an n)
    got = f"$'{bare}\\n'" if after == "\n" else repr(path)
    assert str(info.value) == f"data {rule}, got {got}; drop it: {str(bare)!r}"
    assert one_line(info.value) == f"--data {rule}, got {got}; drop it: {str(bare)!r}"
    load(str(bare))  # the fix works
    # a config makes ' d.npz' the working folder's, /w/ d.npz: the blank begins the file's name
    with pytest.raises(UsageError) as info:
        load(tmp_path / f" {name}")
    assert (
        str(info.value)
        == f"data {rule}, got {str(tmp_path / f' {name}')!r}; drop it: {str(bare)!r}"
    )


_UTF8 = ", encoding='utf-8-sig'"
_QUOTED = ", quotechar='\"'" + _UTF8


@pytest.mark.parametrize(
    ("text", "skip", "linreg"),
    [
        ("1,2,0\n3,4,1\n", _UTF8, True),
        ("a,b,label\n1,2,0\n3,4,1\n", ", skiprows=1" + _UTF8, True),
        # a UTF-8 byte-order mark: loadtxt read '\ufeff1' and failed
        ("\ufeff1,2,0\n3,4,1\n", _UTF8, True),
        ("\ufeffa,b,y\n1,2,0\n3,4,1\n", ", skiprows=1" + _UTF8, True),
        # quoted numbers: told skiprows=1 ('"1"' no number), and loadtxt failed on them
        ('"1","2","0"\n"3","4","1"\n', _QUOTED, True),
        ('"a","b","y"\n"1","2","0"\n"3","4","1"\n', ", skiprows=1" + _QUOTED, True),
        # pandas' index (or R's row names): it became a feature silently
        (",a,b,y\n0,1,2,0\n1,3,4,1\n", ", skiprows=1, usecols=range(1, 4)" + _UTF8, False),
        ("Unnamed: 0,a,b,y\n0,1,2,0\n1,3,4,1\n", ", skiprows=1, usecols=range(1, 4)" + _UTF8, False),
        ('"","a","b","y"\n"1",1,2,0\n"2",3,4,1\n', ", skiprows=1, usecols=range(1, 4)" + _QUOTED, False),
    ],
)  # fmt: skip
def test_a_csv_for_softmax_is_refused_with_the_way_to_save_an_npz(
    tmp_path: Path, text: str, skip: str, linreg: bool
) -> None:
    """It was told only numpy.savez(path, X=X, y=y), not how to get there from the CSV: the
    loadtxt that reads it (skipping its header row, where it has one) and the savez of its
    columns, which, run, writes the .npz to pass. Any CSV linear regression reads (the oracle,
    its X and y) is read alike, a byte-order mark and quoted numbers too; pandas' index, which
    linear regression refuses, is left out, not read as a feature."""
    from linearnets.cli._report import one_line

    path = tmp_path / "ok.csv"
    path.write_bytes(text.encode())
    with pytest.raises(UsageError) as info:
        load_classification_file(path)
    out = tmp_path / "ok.npz"
    fix = (
        "; save the arrays with numpy.savez(path, X=X, y=y): X (N, D) features, y (N,) integer "
        "labels (X_test and y_test optional), e.g. for a CSV of numbers whose last column is the "
        f"labels y, a = numpy.loadtxt({str(path)!r}, delimiter=','{skip}); "
        f"numpy.savez({str(out)!r}, X=a[:, :-1], y=a[:, -1]), and pass {out}"
    )
    said = "{} must be a .npz file for softmax regression, got {!r}" + fix
    assert str(info.value) == said.format("data", str(path))
    assert one_line(info.value) == said.format("--data", str(path))
    code = str(info.value).split("labels y, ")[1].split(", and pass")[0]
    exec(code, {"numpy": np})  # the advice, run as given
    arrays = load_classification_file(out)
    assert arrays.X.tolist() == [[1, 2], [3, 4]] and arrays.y.tolist() == [0, 1]
    if linreg:
        X, y = load_regression_file(path)
        assert arrays.X.tolist() == X.tolist() and arrays.y.tolist() == y.reshape(-1).tolist()


def test_a_npy_for_softmax_is_refused_with_the_conversion_that_saves_it_as_an_npz(
    tmp_path: Path,
) -> None:
    """'softmax --data arr.npy' said only 'save the arrays with numpy.savez(path, X=X, y=y)',
    where linreg names the file and the conversion of its columns; the labels are saved as the
    array holds them: a cast to int (once advised) would make min-max scaled labels, 0.5, a class
    silently, where the loader refuses them."""
    npy = tmp_path / "arr.npy"
    np.save(npy, np.array([[0.5, 1.0, 0.0], [2.0, 0.5, 1.0], [1.5, 1.5, 1.0]]))
    with pytest.raises(UsageError) as info:
        load_classification_file(npy)
    out = tmp_path / "arr.npz"
    assert str(info.value) == (
        f"data must be a .npz file for softmax regression, got {str(npy)!r}; a .npy holds one "
        "array: save X and y in an .npz, e.g. for an array whose last column is the labels y, "
        f"a = numpy.load({str(npy)!r}); numpy.savez({str(out)!r}, X=a[:, :-1], "
        f"y=a[:, -1]), and pass {out}"
    )
    # the fix it names: read as saved, whole-number float labels read as the integers they are
    a = np.load(npy)
    np.savez(out, X=a[:, :-1], y=a[:, -1])
    arrays = load_classification_file(out)
    assert arrays.X.tolist() == [[0.5, 1.0], [2.0, 0.5], [1.5, 1.5]]
    assert arrays.y.tolist() == [0, 1, 1]
    # labels scaled to 0, 0.5, 1, saved as told, are refused, never trained on as 2 classes
    np.save(npy, np.array([[0.5, 1.0, 0.0], [2.0, 0.5, 0.5], [1.5, 1.5, 1.0]]))
    a = np.load(npy)
    np.savez(out, X=a[:, :-1], y=a[:, -1])
    with pytest.raises(
        DatasetError, match=r"y must hold integer class labels, got 0\.5 at index 1"
    ):
        load_classification_file(out)


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_a_data_file_in_a_folder_that_cannot_be_searched_names_the_folder_and_its_fix(
    tmp_path: Path,
    deny_search: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    """chmod 000 on its folder: 'linearnets linreg --data locked/d.npz' ended with "[Errno 13]
    Permission denied: 'locked/d.npz' (PermissionError)", exit 1 (Python 3.11's Path.is_file)."""
    from linearnets.cli import main

    path = tmp_path / "locked" / f"d{suffix}"
    path.parent.mkdir()
    if suffix == ".npz":
        np.savez(path, X=np.zeros((4, 2), np.float32), y=np.zeros(4, np.float32))
    else:
        path.write_text("1,2,3\n4,5,6\n")
    deny_search(path.parent)
    got = (
        f"cannot be reached: {path.parent} cannot be searched (Permission denied); make it "
        f"readable (chmod u+rx {path.parent}), or pass a file elsewhere"
    )
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert str(info.value) == f"data={str(path)!r} {got}"
    assert main(["linreg", "--data", str(path)]) == 2
    assert capsys.readouterr().err == f"linearnets linreg: error: --data {path} {got}\n"


@pytest.mark.parametrize(
    "test_set", [{"X_test": np.eye(3)}, {"y_test": np.zeros(3)}], ids=["X_test", "y_test"]
)
def test_a_regression_npz_with_either_test_array_warns_that_it_is_not_used(
    tmp_path: Path, test_set: dict[str, np.ndarray]
) -> None:
    path = _write(tmp_path, X=np.eye(3), y=np.arange(3.0), **test_set)
    with pytest.warns(DataWarning, match=r"linear regression trains on X and y and has no test set: X_test and y_test are not used \(nor checked\)$"):  # fmt: skip
        X, _ = load_regression_file(path)
    assert torch.equal(X, torch.eye(3))


def test_a_data_file_whose_name_has_a_blank_is_read_where_it_exists(tmp_path: Path) -> None:
    """The blank is refused only where no file of that very name exists."""
    path = tmp_path / " d.npz"
    np.savez(path, X=np.eye(2), y=np.array([1, 0]))
    assert load_classification_file(path).y.tolist() == [1, 0]
    X, y = load_regression_file(path)
    assert torch.equal(X, torch.eye(2)) and y.reshape(-1).tolist() == [1, 0]


def test_a_data_path_that_is_only_a_blank_is_told_to_pass_a_file(tmp_path: Path) -> None:
    """No name is left to drop the blank from: the fix is a file."""
    path = tmp_path / " "
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        "data must not begin or end with whitespace (unless a file of that name exists), got "
        f"{str(path)!r}; pass a .npz or .csv file"
    )


def test_an_x_of_no_rows_and_no_columns_is_told_it_has_no_examples(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((0, 0)), y=np.zeros(0))
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: X must hold at least one example and one feature, got shape (0, 0): no "
        "examples (N = 0); save the data with its rows and columns"
    )


def test_an_upper_case_csv_names_y_as_its_last_column(tmp_path: Path) -> None:
    path = tmp_path / "D.CSV"
    path.write_text("x,y\n1,2\n3,inf\n")  # 'nan' is refused as a missing value, before
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: y (the last column) holds NaN or inf values (or values beyond float32's "
        "±3.4e38), the first at line 3, column 2: inf; clean, impute or rescale them first"
    )


@pytest.mark.parametrize(
    ("X", "X_test"),
    [
        (np.arange(40, dtype=np.uint8).reshape(10, 4) * 6, np.zeros((0, 4))),
        (np.linspace(0, 1, 40).reshape(10, 4), np.zeros((0, 4), np.uint8)),
    ],
    ids=["pixels-beside-floats", "floats-beside-pixels"],
)
def test_an_empty_test_set_is_refused_as_empty_whatever_its_dtype(
    tmp_path: Path, X: np.ndarray, X_test: np.ndarray
) -> None:
    """Not as pixels beside other features: it holds no values to be either."""
    path = _write(tmp_path, X=X, y=np.arange(10) % 2, X_test=X_test, y_test=np.zeros(0, int))
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: X_test must hold at least one example and one feature, got shape (0, 4): no "
        "examples (N = 0); save the data with its rows and columns"
    )


def test_a_test_set_of_one_feature_saved_flat_is_told_the_reshape(tmp_path: Path) -> None:
    """Beside X of one feature, X_test (M,) is M examples of it: X_test.reshape(-1, 1), not "X's 1
    features"."""
    x = np.arange(6.0).reshape(6, 1)
    path = _write(tmp_path, X=x, y=np.arange(6) % 2, X_test=np.arange(3.0), y_test=np.zeros(3, int))
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: X_test must be a 2-d array (N, D), got shape (3,); store one row of features "
        "per example, e.g. X_test.reshape(-1, 1) for one feature per example"
    )
    _write(tmp_path, X=x, y=np.arange(6) % 2, X_test=np.arange(3.0).reshape(-1, 1), y_test=np.zeros(3, int))  # fmt: skip
    assert load_classification_file(path).X_test.reshape(-1).tolist() == [0, 1, 2]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("load", "name", "given", "said"),
    [
        (
            load_regression_file,
            "a\nb.txt",
            "a\nb.txt",
            "must be a .npz or .csv file, got {}/a\\nb.txt'; save the arrays with "
            "numpy.savez(path, X=X, y=y), or as a CSV whose last column is y",
        ),
        (
            load_classification_file,
            "a\nb.csv",
            "a\nb.csv",
            "must be a .npz file for softmax regression, got {0}/a\\nb.csv'; save the arrays with "
            "numpy.savez(path, X=X, y=y): X (N, D) features, y (N,) integer labels (X_test and "
            "y_test optional), e.g. for a CSV of numbers whose last column is the labels y, a = "
            "numpy.loadtxt({1}/a\\nb.csv', delimiter=',', skiprows=1, encoding='utf-8-sig'); "
            "numpy.savez({1}/a\\nb.npz', "
            "X=a[:, :-1], y=a[:, -1]), and pass {0}/a\\nb.npz'",
        ),
        (
            load_regression_file,
            "a\nb.npz",
            "a\nb.npz ",
            "must not begin or end with whitespace (unless a file of that name exists), got "
            "{0}/a\\nb.npz '; drop it: {0}/a\\nb.npz'",
        ),
    ],
    ids=["regression-suffix", "softmax-suffix", "blank"],
)
def test_a_data_file_named_with_a_line_break_is_named_as_the_shell_takes_it(
    tmp_path: Path, load: Callable[[Path], Any], name: str, given: str, said: str
) -> None:
    """repr named it '.../a\\nb.txt' in Python's escapes, which the shell reads as a backslash
    and an n: named as shown_path names it, in the library's words and the command line's."""
    from linearnets.cli._report import one_line

    _touch(tmp_path / name)
    with pytest.raises(UsageError) as info:
        load(tmp_path / given)
    rule = said.format(f"$'{tmp_path}", f"'{tmp_path}")
    assert str(info.value) == f"data {rule}"
    assert one_line(info.value) == f"--data {rule}"


def test_uint8_flags_beside_a_uint8_x_test_with_a_value_past_1_say_what_is_wrong(
    tmp_path: Path,
) -> None:
    """Both uint8, they were told to "store both as uint8", as they were: X_test's one 2 made it
    pixels beside X's flags."""
    X = np.array([[0, 1], [1, 0], [1, 1]], np.uint8)
    X_test = np.array([[0, 2], [1, 0]], np.uint8)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=np.array([0, 1, 1]), X_test=X_test, y_test=np.array([1, 0]))
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: X and X_test must both be 8-bit pixels or both not, got X uint8 of 0 and 1 "
        "alone (flags, kept as they are) and X_test uint8 with 1 value(s) past 1 (up to 2), which "
        "make it 8-bit pixels, scaled to [0, 1]; make X_test's values past 1 flags (0 or 1) as "
        "X's are, or store both as float (taken as they are)"
    )
    for fixed in ({"X_test": np.minimum(X_test, 1)}, {"X": X.astype(float), "X_test": X_test.astype(float)}):  # fmt: skip
        arrays = {"X": X, "X_test": X_test, **fixed}
        np.savez(path, y=np.array([0, 1, 1]), y_test=np.array([1, 0]), **arrays)
        loaded = load_classification_file(path)  # each fix it names loads
        assert loaded.X_test is not None and not loaded.pixels
        assert loaded.X_test.tolist() == arrays["X_test"].astype(float).tolist()


def test_uint8_x_of_few_levels_scaled_as_pixels_is_warned_of(tmp_path: Path) -> None:
    """One 2 among 0/1 flags made the whole uint8 X pixels, divided by 255: trained on nothing,
    without a word."""
    X = np.zeros((40, 4), np.uint8)
    X[::2, 0] = 1
    X[3, 1] = 2
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=np.arange(40) % 2)
    with pytest.warns(DataWarning) as caught:
        loaded = load_classification_file(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: X is uint8 of 0..2, taken for 8-bit pixels and scaled to [0, 1] (its 2 to "
        "0.00784), though pixels reach far past 2; if it holds flags or small counts (1 of its "
        "160 values past 1), store it as int64 or float to train on the values as they are"
    ]
    assert loaded.pixels and float(loaded.X.max()) == pytest.approx(2 / 255)
    np.savez(path, X=X.astype(np.int64), y=np.arange(40) % 2)  # the fix it names
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_classification_file(path)
    assert not loaded.pixels and float(loaded.X.max()) == 2.0
    X[0, 0] = 11  # past FEW_LEVELS: dark images, say, scaled without a word
    np.savez(path, X=X, y=np.arange(40) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_classification_file(path).pixels
