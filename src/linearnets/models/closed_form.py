"""The least-squares solution, the reference both linear-regression implementations are compared with."""

from __future__ import annotations

import torch

from linearnets.errors import UsageError
from linearnets.validation import check_finite, check_float_tensor, check_same_length

__all__ = ["closed_form"]


def closed_form(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Return the ``(w, b)`` minimising ``‖Xw + b − y‖²``, solved with ``torch.linalg.lstsq`` in float64.

    Args:
        X: features, shape (n, d).
        y: targets, shape (n, 1) or (n,).

    Returns:
        ``w`` of shape (d,) and the bias ``b``.

    See D2L §3.1.1.2.
    """
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
    A = torch.cat([X.double(), torch.ones(n, 1, dtype=torch.float64)], dim=1)  # (n, d + 1)
    rank = int(torch.linalg.matrix_rank(A))
    if rank < A.shape[1]:
        raise UsageError(
            f"X must have linearly independent columns, with a column of ones for the bias, to have "
            f"one least-squares solution, got rank {rank} < {A.shape[1]} for X of shape "
            f"{tuple(X.shape)}{_offset_columns(A[:, :-1])}; use more examples than features, drop "
            "constant or repeated columns, or centre/rescale columns whose values are huge next "
            "to their spread"
        )
    # QR (gels) rather than the default gelsy: same bits on every call
    solution = torch.linalg.lstsq(A, y.double().reshape(-1, 1), driver="gels").solution.reshape(-1)
    return solution[:-1].to(X.dtype), float(solution[-1])


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
