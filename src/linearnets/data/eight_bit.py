"""8-bit pixels in a ``--data`` file: uint8 features, or integers of a wider type within 0..255,
scaled to [0, 1] as ``ToTensor`` scales images (D2L §3.5), with a warning for the wider ones.
uint8 features of 0 and 1 alone (masks, one-hot columns, binarised images) are already in [0, 1]
and kept as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.data.features import float_features
from linearnets.errors import DataWarning

__all__ = [
    "FEW_LEVELS",
    "PIXELS_PAST",
    "binary",
    "described",
    "eight_bit",
    "flags_beside_pixels",
    "note_few_levels",
    "note_wide_pixels",
    "pixel_features",
]

# integer features within 0..255 whose largest passes this are 8-bit pixels in a wider type (pandas'
# int64 columns of a pixel CSV, np.loadtxt(..., dtype=int)), scaled as uint8 ones are: it is the
# size past which a run that diverges is told to scale its features (tasks.stopping's
# LARGE_FEATURES); smaller integers (0/1 flags, counts, codes) suit the book's lr as they are
PIXELS_PAST = 100

# a uint8 X whose largest is at most this, 0 and 1 aside, is still taken for 8-bit pixels (a dark
# image's), but warned of: images reach far past it, while flags with a stray 2 or small counts do
# not, and scaled by 1/255 those train on nothing (blobs of 0/1 flags and one 2 ended at the loss
# of a uniform guess, ln 3)
FEW_LEVELS = 10


def pixel_features(
    path: Path,
    name: str,
    array: np.ndarray,
    *,
    scaled: bool,
    shape: tuple[int, ...],
    beside: np.ndarray | None = None,
) -> torch.Tensor:
    """Return features as :func:`float_features` does, divided by 255 when ``scaled`` (8-bit pixels);
    ``shape``: each example's shape in the file, (D,) or (H, W, …) before it was flattened;
    ``beside``: as for :func:`float_features`.

    uint8 images are scaled to [0, 1] as ``ToTensor`` and the built-in Fashion-MNIST path scale them:
    raw values up to 255 make the book's learning rate diverge.
    """
    held = (array.shape[0], *shape) if array.ndim == 2 else None  # else refused as it is
    X = float_features(path, name, array, shape=held, beside=beside)
    return X.div_(255) if scaled else X


def eight_bit(array: np.ndarray, *, any_largest: bool = False) -> bool:
    """Return whether ``array`` holds 8-bit pixels, to scale to [0, 1]: uint8, or integers of a
    wider type within 0..255 whose largest passes :data:`PIXELS_PAST` (any largest with
    ``any_largest``: X_test's, beside X's pixels). Floats and bools are never pixels, nor uint8
    of 0 and 1 alone (:func:`binary`) but beside X's pixels."""
    if array.dtype == np.uint8:
        return any_largest or not binary(array)
    if array.dtype.kind not in "iu" or not array.size:  # not "m": numpy's timedelta64 is one
        return False
    low, high = int(array.min()), int(array.max())
    return low >= 0 and high <= 255 and (any_largest or high > PIXELS_PAST)


def binary(array: np.ndarray) -> bool:
    """Return whether the uint8 ``array`` holds 0 and 1 alone: flags (masks, one-hot columns, a
    binarised image), already in [0, 1]. Divided by 255 they were 0 and 0.004, features the
    book's lr barely moves the weights on (blobs of 0/1 flags trained to accuracy 0.555 where the
    same as int64 reached 0.900)."""
    return not array.size or int(array.max()) <= 1


def described(array: np.ndarray) -> str:
    """Return ``array``'s dtype, with its values' range for integers wider than uint8, or that a
    uint8 one holds 0 and 1 alone."""
    if array.dtype == np.uint8 and array.size and binary(array):
        return "uint8 of 0 and 1 alone (kept as they are)"
    if array.dtype.kind in "iu" and array.dtype != np.uint8 and array.size:
        return f"{array.dtype} of {array.min()}..{array.max()}"
    return str(array.dtype)


def note_wide_pixels(path: Path, arrays: dict[str, np.ndarray], *, test_set: bool) -> None:
    """Say which of the scaled features, ``X`` and ``X_test`` (N, D), are integers of a type wider
    than uint8, read as 8-bit pixels: what the training sees is not the values the file holds."""
    names = ("X", "X_test") if test_set else ("X",)
    wide = [k for k in names if arrays[k].dtype != np.uint8]
    if not wide:
        return
    which = " and ".join(f"{k} ({described(arrays[k])})" for k in wide)
    it, is_ = ("them", "are") if len(wide) > 1 else ("it", "is")
    warn(
        f"{shown_path(path)}: {which} {is_} taken for 8-bit pixels and scaled to [0, 1], as uint8 "
        f"pixels are (the book's lr diverges on values up to 255); store {it} as uint8 to have "
        f"{it} scaled without this warning, or {' and '.join(names)} as float to train on the "
        "values as they are",
        DataWarning,
    )


def flags_beside_pixels(path: Path, X: np.ndarray, X_test: np.ndarray) -> str | None:
    """Return why uint8 ``X`` (N, D) of 0 and 1 alone and uint8 ``X_test`` (M, D), with values past
    1, are refused together (flags beside pixels), with the fix; ``None`` for other arrays."""
    if X.dtype != np.uint8 or X_test.dtype != np.uint8 or not binary(X) or binary(X_test):
        return None
    past = int(np.count_nonzero(X_test > 1))
    return (
        f"{shown_path(path)}: X and X_test must both be 8-bit pixels or both not, got X uint8 of "
        f"0 and 1 alone (flags, kept as they are) and X_test uint8 with {past} value(s) past 1 (up "
        f"to {int(X_test.max())}), which make it 8-bit pixels, scaled to [0, 1]; make X_test's "
        "values past 1 flags (0 or 1) as X's are, or store both as float (taken as they are)"
    )


def note_few_levels(path: Path, X: np.ndarray) -> None:
    """Warn that the uint8 ``X`` (N, D) scaled as 8-bit pixels reaches no further than
    :data:`FEW_LEVELS`: flags with a stray value past 1, or small counts, scaled to nothing."""
    if X.dtype != np.uint8 or not X.size or binary(X):
        return
    largest = int(X.max())
    if largest > FEW_LEVELS:
        return
    past = int(np.count_nonzero(X > 1))
    warn(
        f"{shown_path(path)}: X is uint8 of 0..{largest}, taken for 8-bit pixels and scaled to "
        f"[0, 1] (its {largest} to {largest / 255:.3g}), though pixels reach far past "
        f"{largest}; if it holds flags or small counts ({past} of its {X.size} values past 1), "
        "store it as int64 or float to train on the values as they are",
        DataWarning,
    )
