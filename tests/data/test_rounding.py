"""A data file's columns that float32 cannot tell apart: named, with the centring that fixes
them (linearnets.data.rounding)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.errors import DatasetError, DataWarning


def _milliseconds(span: float, n: int = 100) -> np.ndarray:
    """Unix time in milliseconds (1.7e12) over ``span`` ms, sorted, (n,)."""
    return 1.7e12 + np.sort(np.random.default_rng(0).uniform(0.0, span, n))


@pytest.mark.parametrize("features", [2, 1])
def test_a_column_float32_holds_as_one_number_is_refused_by_its_place(
    tmp_path: Path, features: int
) -> None:
    """Milliseconds over a minute: one number as float32 (spacing 131072 there; NumPy's unique,
    the oracle). The run was refused as having a "constant or repeated" column, which the file
    does not hold, without naming it. Seven such values alone are told apart from float32's
    own standard deviation of a one-column X, which is 131072 for them, not 0."""
    t = _milliseconds(60_000.0, 7)  # (7,)
    assert np.unique(t.astype(np.float32)).size == 1 < np.unique(t).size
    assert torch.tensor(t, dtype=torch.float32).reshape(-1, 1).std(dim=0, correction=0) > 0
    x = np.random.default_rng(1).normal(size=(7, features - 1))  # (7, features - 1)
    path = tmp_path / "ms.csv"
    np.savetxt(path, np.c_[t, x, 1e-4 * (t - 1.7e12)], delimiter=",", fmt="%.17g")
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: column 1 holds values of {t.mean():.10g} ± {t.std():.3g}, all one number as "
        "float32, which the model trains in (7 significant digits: values near 1.7e+12 are "
        f"rounded by up to {np.finfo(np.float32).eps / 2 * np.float32(t).max():.3g}), so not a "
        "constant column of the file; centre the column before saving it, e.g. subtract its "
        "mean (the weights stay the same; the bias takes up the offset)"
    )
    # the fix named: centred, the column is read as it is, within float32's rounding
    np.savetxt(path, np.c_[t - t.mean(), x, 1e-4 * (t - t.mean())], delimiter=",", fmt="%.17g")
    X, _ = load_regression_file(path)
    torch.testing.assert_close(X[:, 0].double(), torch.tensor(t - t.mean()), rtol=1e-6, atol=0)


def test_a_column_rounded_past_a_hundredth_of_its_spread_warns(tmp_path: Path) -> None:
    """Milliseconds over ten minutes keep a few float32 values: trained as rounded, warned."""
    t = _milliseconds(600_000.0)
    rounded = t.astype(np.float32).astype(np.float64)
    assert 1 < np.unique(rounded).size < 10
    path = tmp_path / "ms.npz"
    np.savez(path, X=np.c_[np.arange(100.0), t], y=np.arange(100.0))
    bound = np.finfo(np.float32).eps / 2 * rounded.max()
    with pytest.warns(
        DataWarning,
        match=rf"^{re.escape(str(path))}: X\[:, 1\] holds values of "
        + re.escape(f"{t.mean():.10g} ± {t.std():.3g}, rounded as float32")
        + re.escape(f", which the model trains in, by up to {bound:.3g} ")
        + rf"\({bound / t.std():.0%}.*; centre the column",
    ):
        load_regression_file(path)


@pytest.mark.parametrize(
    "X",
    [
        np.c_[1.7e9 + np.linspace(0.0, 3 * 86400.0, 100), np.ones(100)],  # seconds over 3 days
        np.c_[_milliseconds(60_000.0)].astype(np.float32),  # the file's own float32 values
        np.c_[np.arange(100, dtype=np.int16), np.arange(100, dtype=np.int64) + 2**20],
    ],
)
def test_columns_float32_holds_well_enough_or_as_saved_read_silently(
    tmp_path: Path, X: np.ndarray
) -> None:
    """Rounded by less than a hundredth of the spread (64 s of 75,000), or not at all: float32
    data are the file's own values, and integers below 2**24 are exact."""
    path = tmp_path / "ok.npz"
    np.savez(path, X=X, y=np.arange(100.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        features, targets = load_regression_file(path)
    # read as saved: each value rounded to float32 once (NumPy's astype, the oracle)
    assert torch.equal(features, torch.from_numpy(X.astype(np.float32)))
    assert torch.equal(targets, torch.arange(100.0).reshape(-1, 1))


@pytest.mark.parametrize("test_set", [False, True])
def test_a_classification_column_float32_holds_as_one_number_is_refused(
    tmp_path: Path, test_set: bool
) -> None:
    """softmax --data trained on millisecond timestamps as one float32 number, the feature the file
    holds lost without a word (or, at their size, a divergence told to standardise)."""
    t = _milliseconds(60_000.0, 8)  # (8,)
    assert np.unique(t.astype(np.float32)).size == 1 < np.unique(t).size  # the oracle
    X = np.c_[np.arange(8.0), t]  # (8, 2)
    y = np.array([0, 1] * 4)
    test = {"X_test": X[:3], "y_test": y[:3]} if test_set else {}
    path = tmp_path / "ms.npz"
    np.savez(path, X=X, y=y, **test)
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    alike = "X's mean from X and X_test alike" if test_set else "its mean"
    assert str(info.value) == (
        f"{path}: X[:, 1] holds values of {t.mean():.10g} ± {t.std():.3g}, all one number as "
        "float32, which the model trains in (7 significant digits: values near 1.7e+12 are "
        f"rounded by up to {np.finfo(np.float32).eps / 2 * np.float32(t).max():.3g}), so not a "
        f"constant column of the file; centre the column before saving it, e.g. subtract {alike} "
        "(the weights stay the same; the bias takes up the offset)"
    )
    # the fix named: centred, the column is read as it is, within float32's rounding
    X[:, 1] -= t.mean()
    np.savez(path, X=X, y=y, **({"X_test": X[:3], "y_test": y[:3]} if test_set else {}))
    arrays = load_classification_file(path)
    torch.testing.assert_close(
        arrays.X[:, 1].double(), torch.tensor(t - t.mean()), rtol=1e-6, atol=0
    )


def test_a_classification_test_column_rounded_past_a_hundredth_of_its_spread_warns(
    tmp_path: Path,
) -> None:
    """X_test's columns are checked too, named as X_test's."""
    t = _milliseconds(600_000.0)  # (100,)
    rounded = t.astype(np.float32).astype(np.float64)
    assert 1 < np.unique(rounded).size < 10
    y = np.arange(100) % 2
    path = tmp_path / "ms.npz"
    np.savez(path, X=np.c_[np.arange(100.0), t - t.mean()], y=y, X_test=np.c_[np.arange(100.0), t], y_test=y)  # fmt: skip
    with pytest.warns(
        DataWarning,
        match=rf"^{re.escape(str(path))}: X_test\[:, 1\] holds values of "
        + re.escape(f"{t.mean():.10g} ± {t.std():.3g}, rounded as float32")
        + r".*; centre the column before saving it, e.g. subtract X's mean from X and X_test alike",
    ):
        load_classification_file(path)


@pytest.mark.parametrize(
    "X",
    [
        np.c_[_milliseconds(60_000.0)].astype(np.float32),  # the file's own float32 values
        np.random.default_rng(0).integers(0, 256, (100, 4, 4), dtype=np.uint8),  # images
        np.random.default_rng(0).normal(size=(100, 3)),  # float64 of unit size
    ],
)
def test_classification_features_float32_holds_or_as_saved_read_silently(
    tmp_path: Path, X: np.ndarray
) -> None:
    path = tmp_path / "ok.npz"
    np.savez(path, X=X, y=np.arange(100) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arrays = load_classification_file(path)
    # read as saved, one row per example: rounded to float32 once, 8-bit pixels scaled to [0, 1]
    expected = X.reshape(100, -1).astype(np.float32)
    if X.dtype == np.uint8:
        expected /= np.float32(255)
    assert torch.equal(arrays.X, torch.from_numpy(expected))
    assert arrays.y.tolist() == [0, 1] * 50


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # y below float32's smallest number: trained as 0, closed form w 0, without a word
        ("x,y\n1,1e-50\n2,2e-50\n3,3.5e-50\n4,4e-50\n5,5.2e-50\n", "y (the last column)"),
        # a feature: called "constant (every value 0)", which the file does not hold
        (
            "x,z,y\n1e-46,1,1\n2e-46,0,2\n3e-46,1,3.5\n4e-46,0,4\n5e-46,1,5.2\n",
            "X (every column but the last)",
        ),
    ],
)
def test_a_column_float32_makes_all_0_is_refused_by_its_first_cell(
    tmp_path: Path, text: str, where: str
) -> None:
    """Values below float32's smallest number (~1.4e-45) become 0: named, with the rescaling."""
    path = tmp_path / "tiny.csv"
    path.write_text(text)
    column = 2 if where.startswith("y") else 1
    value = "1e-50" if where.startswith("y") else "1e-46"
    # the power of ten bringing the column's largest value to [1, 10)
    factor, largest, brought = ("50", "5.2e-50", "5.2") if column == 2 else ("46", "5e-46", "5")
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: {where} holds values below float32's smallest number (~1.4e-45), which the "
        f"model trains in, so they would be 0: the first at line 2, column {column}: {value} (5 "
        f"in its column, all 0 as float32); rescale the column (e.g. multiply by 1e{factor}, "
        f"which brings its largest absolute value, {largest}, to {brought})"
    )
    # the fix named: rescaled, the column is read
    rescaled = tmp_path / "rescaled.npz"
    table = np.loadtxt(path, delimiter=",", skiprows=1)  # (5, D + 1)
    table[:, column - 1] *= float(f"1e{factor}")
    np.savez(rescaled, X=table[:, :-1], y=table[:, -1])
    X, y = load_regression_file(rescaled)
    assert bool(X.any(dim=0).all()) and bool(y.any())


def test_an_npz_column_float32_makes_all_0_is_refused_by_its_place(tmp_path: Path) -> None:
    path = tmp_path / "tiny.npz"
    np.savez(path, X=np.c_[np.arange(5.0), 1e-50 * np.arange(5.0)], y=np.arange(5.0))
    with pytest.raises(
        DatasetError,
        match=r"X holds values below float32's smallest number .*"
        r"the first at X\[1, 1\]: 1e-50 \(4 in its column.*multiply by 1e50, which brings its "
        r"largest absolute value, 4e-50, to 4\)$",
    ):
        load_regression_file(path)


def test_tiny_values_float32_holds_as_one_number_are_refused_with_the_rescaling(
    tmp_path: Path,
) -> None:
    """1e-45 and 1.2e-45 both become float32's smallest number: its spacing there is 1.4e-45,
    however small the values, so the fix is to rescale, not to centre."""
    path = tmp_path / "tiny.npz"
    np.savez(path, X=np.c_[np.arange(4.0), [1e-45, 1.2e-45, 1e-45, 1.2e-45]], y=np.arange(4.0))
    with pytest.raises(
        DatasetError,
        match=r"X\[:, 1\] holds values of 1.1e-45 ± 1e-46, all one number as float32.*; "
        r"rescale the column \(e.g. multiply by 1e45, which brings its largest absolute value, "
        r"1.2e-45, to 1.2\)",
    ):
        load_regression_file(path)


@pytest.mark.parametrize("kind", ["zero", "one number"])
def test_the_rescaling_named_for_tiny_values_brings_them_into_float32(
    tmp_path: Path, kind: str
) -> None:
    """ "multiply by 1e40" was named for any tiny column: 1e-300 values stayed at 1e-260, 0 as
    float32. The factor is the power of ten bringing the column's largest value to [1, 10)."""
    path = tmp_path / "tiny.npz"
    tiny = [1e-300, 2e-300, 3e-300, 2e-300] if kind == "zero" else [1e-45, 1.2e-45, 1e-45, 1e-45]
    X = np.c_[np.arange(4.0), tiny]  # (4, 2)
    np.savez(path, X=X, y=np.arange(4.0))
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    factor = "1e300" if kind == "zero" else "1e45"
    shown = "3e-300, to 3)" if kind == "zero" else "1.2e-45, to 1.2)"
    assert f"multiply by {factor}, which brings its largest absolute value, {shown}" in str(
        info.value
    )
    X[:, 1] *= float(factor)
    np.savez(path, X=X, y=np.arange(4.0))
    loaded, _ = load_regression_file(path)
    assert bool(loaded[:, 1].all())


@pytest.mark.parametrize(
    ("tiny", "said"),
    [
        # below float64's normal range: 1e310 is inf as a float, so two factors are named
        (
            3e-310,
            "multiply by 1e300, then by 1e10, which brings its largest absolute value, "
            "3e-310, to 3)",
        ),
        # "1.00e-299" named 1e299, bringing it to 0.9999, not the "1" said
        (
            9.999e-300,
            "multiply by 1e300, which brings its largest absolute value, 9.999e-300, to 9.999)",
        ),
    ],
)
def test_the_rescaling_named_for_tiny_values_is_finite_and_lands_in_one_to_ten(
    tmp_path: Path, tiny: float, said: str
) -> None:
    path = tmp_path / "tiny.npz"
    X = np.c_[np.arange(4.0), [tiny, tiny / 2, tiny, tiny / 3]]  # (4, 2)
    np.savez(path, X=X, y=np.arange(4.0))
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value).endswith(said)
    factors = [float(f) for f in re.findall(r"by (1e\d+)", said)]
    for factor in factors:
        X[:, 1] *= factor
    assert 1 <= X[:, 1].max() < 10
    np.savez(path, X=X, y=np.arange(4.0))
    loaded, _ = load_regression_file(path)
    assert bool(loaded[:, 1].all())
