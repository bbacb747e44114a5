"""The least-squares reference (D2L §3.1.1.2): its precision and the inputs it refuses."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from linearnets.errors import UsageError
from linearnets.models.closed_form import closed_form


def test_float64_data_is_solved_in_full_precision(gen: torch.Generator) -> None:
    """Noiseless float64 targets give the weights back to ~1e-12: no float32 step in between."""
    X = torch.randn(40, 3, generator=gen, dtype=torch.float64) * 1e3
    w_true = torch.tensor([1.0 / 3.0, -2.0, 0.1], dtype=torch.float64)
    w, b = closed_form(X, X @ w_true + 4.2)
    assert w.dtype == torch.float64
    torch.testing.assert_close(w, w_true, atol=1e-12, rtol=0)
    assert b == pytest.approx(4.2, abs=1e-9)


def test_noisy_targets_satisfy_the_normal_equations(gen: torch.Generator) -> None:
    """The oracle is the definition: the residual is orthogonal to every column of [X, 1]."""
    X = torch.randn(30, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(30, 1, generator=gen, dtype=torch.float64)
    w, b = closed_form(X, y)
    A = torch.cat([X, torch.ones(30, 1, dtype=torch.float64)], dim=1)
    residual = A @ torch.cat([w, torch.tensor([b], dtype=torch.float64)]) - y.reshape(-1)
    torch.testing.assert_close(
        A.T @ residual, torch.zeros(3, dtype=torch.float64), atol=1e-10, rtol=0
    )


def _features() -> torch.Tensor:
    return torch.randn(6, 2, generator=torch.Generator().manual_seed(1))


BAD_INPUT = [
    (
        lambda: closed_form(torch.ones(6, 2, dtype=torch.int64), torch.zeros(6)),
        TypeError,
        r"X must be a floating-point tensor",
    ),
    (
        lambda: closed_form(_features(), torch.zeros(6, dtype=torch.int64)),
        TypeError,
        r"y must be a floating-point tensor",
    ),
    (
        lambda: closed_form(_features(), torch.zeros(6, 2)),
        UsageError,
        r"y must hold one target per row of X, shape \(6, 1\) or \(6,\), got shape \(6, 2\)",
    ),
    (
        lambda: closed_form(
            _features().index_put((torch.tensor([2]),), torch.tensor(float("nan"))), torch.zeros(6)
        ),
        UsageError,
        r"X must hold only finite values, got 2 NaN/inf entries",
    ),
    (
        lambda: closed_form(_features(), torch.tensor([0.0, 1.0, float("inf"), 0.0, 0.0, 0.0])),
        UsageError,
        r"y must hold only finite values, got 1 NaN/inf entries",
    ),
    (  # a repeated column: many solutions, none of them the one
        lambda: closed_form(_features()[:, [0, 0]], torch.zeros(6)),
        UsageError,
        r"X must have linearly independent columns.*got rank 2 < 3 for X of shape \(6, 2\)",
    ),
    (  # a constant column duplicates the bias
        lambda: closed_form(
            torch.cat([_features(), torch.full((6, 1), 3.0)], dim=1), torch.zeros(6)
        ),
        UsageError,
        r"got rank 3 < 4",
    ),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()
