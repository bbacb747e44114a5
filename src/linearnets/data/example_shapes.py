"""Each example's shape in a ``--data`` file: images flattened to rows of features, ``X_test``'s
checked against ``X``'s, and a value named where the file holds it (D2L §3.6.3, your data).

The book's softmax net flattens its 28×28 images (§3.6.3); so does the loader, for images
``X`` (N, H, W, …) as keras' ``fashion_mnist.load_data()`` gives them. Used by
:mod:`linearnets.data.arrays`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from linearnets._text import shown_path
from linearnets.errors import DatasetError

__all__ = ["cell_namer", "check_example_shapes", "check_flat_test", "column_namer", "one_row_each"]


def one_row_each(key: str, array: np.ndarray) -> np.ndarray:
    """Return a classification array as one row per example: images ``X`` (N, H, W, …) flattened
    to (N, H·W·…), as the book's softmax net flattens its 28×28 images (§3.6.3), and a column of
    labels ``y`` (N, 1) to (N,); any other shape as it is, for the checks to name."""
    if key.startswith("X") and array.ndim > 2:
        return array.reshape(array.shape[0], math.prod(array.shape[1:]))
    if key.startswith("y") and array.ndim == 2 and array.shape[1] == 1:
        return array.reshape(-1)
    return array


def check_example_shapes(path: Path, train: tuple[int, ...], test: tuple[int, ...]) -> None:
    """Refuse test examples whose shape, ``test`` (e.g. (D,) or (H, W)), is not the training
    examples' ``train``, axes of size 1 (a channel axis) aside.

    Both are flattened to rows of features: (4,) test rows beside (2, 2) training images have the
    same number of features, but nothing says they are the images' pixels in the same order.
    """
    if [n for n in train if n != 1] == [n for n in test if n != 1]:
        return
    features, test_features = math.prod(train), math.prod(test)
    if len(train) == len(test) == 1:  # rows of features, as X (N, D) is documented
        raise DatasetError(
            f"{shown_path(path)}: X_test must have the {features} features of X, got "
            f"{test_features}; store the test examples with the same feature columns, in the same "
            "order"
        )
    reshape = (
        f"e.g. X_test.reshape(len(X_test), {', '.join(map(str, train))}) where its values are "
        "in X's order"
        if features == test_features
        else "the same features in the same order"
    )
    raise DatasetError(
        f"{shown_path(path)}: X_test's examples must have the shape of X's, {train} ({features} "
        f"features), got {test} ({test_features} features); store the test examples as the "
        f"training ones are, {reshape}"
    )


def check_flat_test(path: Path, test: np.ndarray, features: int) -> None:
    """Refuse ``X_test`` saved flat, (M,), beside X of ``features`` > 1 features, with what they
    make of it: a single example (X's features once) to store as a row. Beside X of one feature,
    the loader's own fix, ``X_test.reshape(-1, 1)``, is the one; a structured array is the
    loader's to name too."""
    if test.ndim != 1 or features == 1 or test.dtype.names:
        return
    fix = (
        f", X's {features} features once: for one test example, store it as a row, "
        "X_test.reshape(1, -1)"
        if len(test) == features
        else f"; store one row of X's {features} features per test example"
    )
    raise DatasetError(
        f"{shown_path(path)}: X_test must be a 2-d array (M, D), got shape {test.shape}{fix}"
    )


def cell_namer(name: str, example: tuple[int, ...]) -> Callable[[int, int], str]:
    """Return what names value ``j`` of row ``i`` of ``name`` (N, D) in the file, whose examples
    have the shape ``example``: ``X[3, 17]`` for rows of features, ``X[3, 0, 17]`` for images
    (N, 28, 28) flattened to (N, 784)."""
    return lambda i, j: f"{name}[{', '.join(map(str, (i, *_position(j, example))))}]"


def column_namer(name: str, example: tuple[int, ...]) -> Callable[[int], str]:
    """Return what names column ``j`` of ``name`` (N, D) in the file, e.g. ``X[:, 0, 17]``, as
    :func:`cell_namer` does its values."""
    return lambda j: f"{name}[:, {', '.join(map(str, _position(j, example)))}]"


def _position(j: int, example: tuple[int, ...]) -> tuple[int, ...]:
    """Return the index, in an example of shape ``example``, of its flattened value ``j``."""
    return tuple(int(k) for k in np.unravel_index(j, example))
