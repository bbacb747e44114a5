"""Columns of a data file whose values float32 cannot tell apart (D2L §3.3 and §3.6, your data).

The file's numbers are trained as float32, 7 significant digits: a column of millisecond timestamps
(1.7e12 over a minute, spacing 131072 there) becomes one number, and was then refused as a
"constant" column the file does not hold; one of a few such spacings over its spread trains on
rounded values. Both are named here, with the fix: centre the column before saving it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import torch

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.errors import DatasetError, DataWarning

__all__ = ["check_float32_rounding", "rescale_fix"]

# rounding to float32 moves a value by up to this share of its column's standard deviation before
# it is warned of: Unix timestamps over three days (1.7e9 ± 75,000 s, rounded by up to 64 s) pass
ROUNDING_SHARE = 0.01

# dtypes whose every value float32 holds exactly: nothing is rounded away
_EXACT = {np.dtype(t) for t in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.float16)}


def check_float32_rounding(
    path: Path,
    array: np.ndarray,
    X: torch.Tensor,
    column: Callable[[int], str],
    *,
    alike: str | None = None,
) -> None:
    """Refuse a column of ``array`` (N, D) that float32 ``X`` (N, D) holds as one number though the
    file's values differ; warn of one rounded by more than :data:`ROUNDING_SHARE` of its spread.

    Args:
        path: the file, for the messages.
        array: the file's values, shape (N, D); float32 and narrower ones are not checked.
        X: ``array`` as float32, shape (N, D).
        column: names column ``j`` (from 0) in the file's terms, e.g. ``X[:, 0]``, or ``column 1``
            of a CSV.
        alike: the arrays to centre by the same mean, e.g. ``X and X_test`` (a test set centred
            by its own mean would shift its features); ``None``: the column alone.
    """
    if array.dtype in _EXACT or array.dtype == np.float32 or X.shape[0] < 2:
        return
    low, high = X.aminmax(dim=0)  # (D,), (D,)
    largest = torch.maximum(-low, high).double()  # (D,)
    spread = _spread(array)  # (D,), of the file's values
    # the most a value moved: half a spacing, relative to its size, but never less than half of
    # float32's smallest number (~1.4e-45), the spacing of all values below its normal range
    rounding = torch.clamp(torch.finfo(torch.float32).eps / 2 * largest, min=2.0**-150)  # (D,)
    # a constant column of the file (spread 0) is the closed form's to name
    for j in (
        torch.nonzero((rounding > ROUNDING_SHARE * spread) & (spread > 0)).reshape(-1).tolist()
    ):
        where = (
            f"{shown_path(path)}: {column(j)} holds values of {float(array[:, j].mean()):.10g} ± "
            f"{spread[j].item():.3g}"
        )
        tiny = bool(largest[j] < torch.finfo(torch.float32).tiny)
        fix = _fix(alike, largest=float(np.abs(array[:, j]).max()) if tiny else None)
        if low[j] == high[j]:
            raise DatasetError(
                f"{where}, all one number as float32, which the model trains in (7 significant "
                f"digits: values near {largest[j].item():.3g} are rounded by up to "
                f"{rounding[j].item():.3g}), so not a constant column of the file; {fix}"
            )
        warn(
            f"{where}, rounded as float32, which the model trains in, by up to "
            f"{rounding[j].item():.3g} ({rounding[j].item() / spread[j].item():.0%} of its "
            f"spread): it trains on rounded values; {fix}",
            DataWarning,
        )


def _fix(alike: str | None, *, largest: float | None) -> str:
    """Return the fix for a column rounded as float32: rescaled where its ``largest`` absolute
    value is given, tiny (below float32's normal range, 1.2e-38, where spacings do not shrink
    with the values), else centred (by X's mean from the arrays ``alike``, as
    :func:`check_float32_rounding` takes it)."""
    if largest is not None:
        return (
            f"{rescale_fix(largest)}: values below float32's smallest normal number (~1.2e-38) "
            "keep fewer digits"
        )
    mean = "its mean" if alike is None else f"X's mean from {alike} alike"
    return (
        f"centre the column before saving it, e.g. subtract {mean} (the weights stay the "
        "same; the bias takes up the offset)"
    )


def rescale_fix(largest: float) -> str:
    """Return the fix for a column of tiny values whose ``largest`` absolute value is given (> 0):
    rescale it by the power of ten that brings that value to [1, 10). A fixed factor (1e40) left
    a column of 1e-300 values at 1e-260, as 0 as before.

    The power is read exactly: "1.00e-299" for 9.999e-300 named 1e299, which brings it to 0.9999,
    not the "1" said. A factor over 1e308 is infinite as a float: it is named as two factors.
    """
    exponent = Decimal(largest).adjusted()  # floor(log10(largest)), exactly
    mantissa = min(float(Decimal(largest).scaleb(-exponent)), math.nextafter(10.0, 0.0))
    digits = next(
        d for d in (3, 6, 9, 17) if float(f"{mantissa:.{d}g}") < 10
    )  # "10" is not in [1, 10)
    power = -exponent
    factor = f"1e{power}" if power <= 308 else f"1e300, then by 1e{power - 300}"
    return (
        f"rescale the column (e.g. multiply by {factor}, which brings its largest absolute "
        f"value, {largest:.{digits}g}, to {mantissa:.{digits}g})"
    )


def _spread(array: np.ndarray) -> torch.Tensor:
    """Return the standard deviation of each column of ``array`` (N, D), in float64, a few columns
    at a time (no float64 copy of the whole file's values; float32's own sum over a constant
    column of 1.7e12 gives a spread of 131072)."""
    step = max(1, 2**23 // array.shape[0])  # columns per 64 MiB of float64
    return torch.from_numpy(
        np.concatenate(
            [
                array[:, start : start + step].astype(np.float64).std(axis=0)
                for start in range(0, array.shape[1], step)
            ]
        )
    )  # (D,)
