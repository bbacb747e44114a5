"""The least-squares solution, the reference both linear-regression implementations are compared with."""

from __future__ import annotations

from typing import NoReturn

import torch

from linearnets.errors import UsageError
from linearnets.validation import check_finite, check_float_tensor, check_same_length, describe

__all__ = ["closed_form"]


def closed_form(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Return the ``(w, b)`` minimising ``‖Xw + b − y‖²``, solved with ``torch.linalg.lstsq`` in float64.

    Both are then rounded to ``X``'s dtype, the values a model training on ``X`` can hold (as
    scikit-learn's ``LinearRegression`` keeps float32 data's dtype): float64 data keep the full
    solution, float32 data get the float32 numbers nearest to it.

    Args:
        X: features, shape (n, d).
        y: targets, shape (n, 1) or (n,).

    Returns:
        ``w`` of shape (d,) in ``X``'s dtype, and the bias ``b``, a Python float holding a value of
        ``X``'s dtype.

    Raises:
        UsageError: no unique solution: no more rows than columns, constant or repeated columns, or
            columns whose scales (or offsets) lie too far apart for float64 to tell them apart.

    See D2L §3.1.1.3.
    """
    if isinstance(X, torch.Tensor) and X.ndim == 1 and X.is_floating_point():
        # n examples of one feature, most likely: the generic fix, a batch of one (1, n), has no
        # unique solution either
        raise UsageError(
            f"X must be 2-dimensional (n, d), got {describe(X)}; for one feature per example "
            "make it a column with X.reshape(-1, 1)"
        )
    check_float_tensor("X", X, ndim=2)
    check_float_tensor("y", y)
    n = check_same_length(("X", "y"), (X, y))
    if y.numel() != n:
        raise UsageError(
            f"y must hold one target per row of X, shape ({n}, 1) or ({n},), got shape "
            f"{tuple(y.shape)}; solve one target column at a time"
        )
    check_finite("X", X)
    check_finite("y", y)
    # a reference solution, not part of any graph: targets computed by a model (y = net(X)) would
    # otherwise give a w with a grad_fn and a b read through torch's requires_grad warning
    X, y = X.detach(), y.detach()
    d = X.shape[1]
    if n <= d:
        # fewer equations than unknowns: no rank to compute (an SVD of 1000 × 20001 takes seconds)
        rows = "1 row" if d == 0 else f"{d + 1} rows"  # (0, 0): a bias alone
        raise UsageError(
            f"X must have more rows (examples) than columns (features) to have one least-squares "
            f"solution: {d} weights and a bias need at least {rows}, got X of shape "
            f"{tuple(X.shape)}; use more examples than features"
        )
    A = torch.cat([X.double(), torch.ones(n, 1, dtype=torch.float64)], dim=1)  # (n, d + 1)
    rank = int(torch.linalg.matrix_rank(A))
    if rank < A.shape[1]:
        _refuse_rank(X, A, rank)
    # QR (gels) rather than the default gelsy: same bits on every call
    solution = torch.linalg.lstsq(A, y.double().reshape(-1, 1), driver="gels").solution.reshape(-1)
    solution = solution.to(X.dtype)  # (d + 1,): w and b rounded alike
    return solution[:-1], float(solution[-1])


def _refuse_rank(X: torch.Tensor, A: torch.Tensor, rank: int) -> NoReturn:
    """Refuse ``A`` = [X, 1] (n, d + 1) of rank < d + 1, naming the likely cause and its fix."""
    what = (
        f"X must have linearly independent columns, with a column of ones for the bias, to have "
        f"one least-squares solution, got rank {rank} < {A.shape[1]} for X of shape "
        f"{tuple(X.shape)}"
    )
    offsets = _offset_columns(A[:, :-1])
    if offsets:
        raise UsageError(
            f"{what}{offsets}; use more examples than features, drop constant or repeated "
            "columns, or centre/rescale columns whose values are huge next to their spread"
        )
    scales = _scale_gap(A)
    if scales:
        raise UsageError(
            f"{what}: the columns differ too much in scale ({scales}), so that the small ones "
            "vanish in float64 rounding next to the large ones, though they are independent; "
            "standardise each column (subtract its mean, divide by its standard deviation), e.g. "
            "X = (X - X.mean(0)) / X.std(0)"
        )
    raise UsageError(
        f"{what}; use more examples than features, or drop constant or repeated columns"
    )


def _scale_gap(A: torch.Tensor) -> str:
    """Name the largest and smallest columns of ``A`` = [X, 1] (n, d + 1), float64, when the columns
    become independent once standardised (so only their scales, or offsets, hid it); else ``""``.

    Run on the failure path only: one more rank, of the standardised copy.
    """
    X = A[:, :-1]  # (n >= d + 1 rows: fewer are refused before any rank)
    mean, std = X.mean(dim=0), X.std(dim=0, correction=0)  # (d,), (d,)
    if not bool((std > 0).all()):
        return ""  # a constant column: a multiple of the bias's ones at any scale
    Z = torch.cat([(X - mean) / std, A[:, -1:]], dim=1)  # (n, d + 1), every column of size 1
    if int(torch.linalg.matrix_rank(Z)) < Z.shape[1]:
        return ""
    size = A.norm(dim=0) / A.shape[0] ** 0.5  # (d + 1,): root mean square; the ones' is 1

    def sized(j: int) -> str:
        if j == A.shape[1] - 1:
            return "the bias's ones are 1"
        return f"column {j + 1}'s values are of size {size[j].item():.3g}"

    big, small = int(size.argmax()), int(size.argmin())
    return f"{sized(big)}, {sized(small)}: a ratio of {(size[big] / size[small]).item():.2g}"


def _offset_columns(X: torch.Tensor) -> str:
    """Name the columns of ``X`` (n, d) whose values sit far from zero next to their spread (a Unix
    timestamp's 1.7e9 ± a few days): within rounding they equal the bias's column of ones times a
    constant, so the rank counts them as repeated."""
    if X.shape[0] < 2:  # no spread to compare with
        return ""
    mean, std = X.mean(dim=0), X.std(dim=0, correction=0)  # (d,), (d,)
    named = [
        f"column {j + 1}'s values (mean {mean[j].item():.3g}, std {std[j].item():.3g})"
        for j in range(X.shape[1])
        if 0 < std[j] < 1e-3 * mean[j].abs()
    ]
    return f": {', '.join(named)} are huge next to their spread" if named else ""
