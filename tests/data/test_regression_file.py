"""Regression data read from the user's ``.npz`` (:mod:`linearnets.data.regression_file`, through
:func:`linearnets.data.arrays.load_regression_file`): its targets ``y``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linearnets.data.arrays import load_regression_file
from linearnets.errors import DatasetError


@pytest.mark.parametrize("shape", [(4,), (4, 1)])
def test_a_bool_y_is_refused_as_a_csv_s_true_false_is(
    tmp_path: Path, shape: tuple[int, ...]
) -> None:
    """A bool y was read silently as 0/1 targets, where a CSV's TRUE/FALSE y is refused and
    softmax refuses a bool y: refused with both fixes, and stored as told it loads."""
    path = tmp_path / "yb.npz"
    y = np.array([True, False, True, False]).reshape(shape)
    np.savez(path, X=np.eye(4), y=y)
    with pytest.raises(DatasetError) as caught:
        load_regression_file(path)
    assert str(caught.value) == (
        f"{path}: y must hold numbers, linear regression's targets, got dtype bool; for a 0/1 "
        "target store it as numbers, numpy.savez(path, X=X, y=y.astype(float)), or, for two "
        "classes, train softmax regression (linearnets softmax) on y.astype(int)"
    )
    np.savez(path, X=np.eye(4), y=y.astype(float))
    _, targets = load_regression_file(path)
    assert targets.flatten().tolist() == [1.0, 0.0, 1.0, 0.0]
