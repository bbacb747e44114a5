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
            f"{tuple(X.shape)}; use more examples than features and drop constant or repeated columns"
        )
    # QR (gels) rather than the default gelsy: same bits on every call
    solution = torch.linalg.lstsq(A, y.double().reshape(-1, 1), driver="gels").solution.reshape(-1)
    return solution[:-1].to(X.dtype), float(solution[-1])
