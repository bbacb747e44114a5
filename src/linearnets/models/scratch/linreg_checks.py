"""linreg's input checks: a ``w``, ``X`` or ``b`` it cannot use named with the fix, or the book's
``X @ w + b`` (D2L §3.2.4).

:func:`linearnets.models.scratch.linear.linreg` takes its one-op fast path for the model's own
parameters; any other input comes here, so a model that trains pays nothing for these messages.
"""

from __future__ import annotations

import numbers

import torch

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch.module import check_batch_device
from linearnets.validation import check_float_tensor, describe

__all__ = ["linreg_checked", "refuse_flat_features"]


def linreg_checked(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor | float) -> torch.Tensor:
    """:func:`~linearnets.models.scratch.linear.linreg` for any other input: each problem named, or
    the book's ``X @ w + b``."""
    check_float_tensor("w", w)
    if w.ndim not in (1, 2) or w.shape[1:] not in ((), (1,)):
        raise UsageError(
            f"w must be a column of weights, shape (d, 1) or (d,), got shape {tuple(w.shape)}; "
            "reshape it with w.reshape(-1, 1)"
        )
    if X.shape[1] != w.shape[0]:
        raise UsageError(
            f"X must have {counted(w.shape[0], 'feature column')} to match w of shape "
            f"{tuple(w.shape)}, got X of shape {tuple(X.shape)}; {_features_fix(X, w, b)}"
        )
    if w.dtype != X.dtype:
        raise UsageTypeError(
            f"X must have w's dtype {w.dtype}, got {X.dtype}; convert the batch with X.to({w.dtype})"
        )
    check_batch_device(
        X,
        w,
        of="w",
        move="w and b with .to('{device}') (a model: net.to('{device}'))",
        build="create w and b (or the model) again",
    )
    if isinstance(b, torch.Tensor):
        if b.numel() != 1 or not b.is_floating_point():
            raise UsageError(
                f"b must be a one-element floating-point tensor or a number, got {describe(b)}; "
                "pass e.g. torch.zeros(1, requires_grad=True)"
            )
        if b.ndim > w.ndim:
            # one value, but more dimensions than X @ w: the sum broadcasts to a new shape, e.g.
            # (1, B) for w (d,) and b (1, 1), predictions no loss pairs with their targets
            shape = (1,) * (b.ndim - w.ndim) + (X.shape[0], *w.shape[1:])
            raise UsageError(
                f"b must have at most w's {w.ndim} dimension{'s' * (w.ndim != 1)}, got shape "
                f"{tuple(b.shape)} for w of shape {tuple(w.shape)}: X @ w + b would broadcast the "
                f"predictions to shape {shape}; pass b.reshape(1)"
            )
        if b.dtype != w.dtype:  # X @ w + b would be promoted to b's dtype, silently
            raise UsageTypeError(
                f"b must have w's dtype {w.dtype}, got {b.dtype}; create it as w's, e.g. "
                f"torch.zeros(1, dtype={w.dtype}, requires_grad=True) (a model: net.to({w.dtype}))"
            )
        check_batch_device(  # w and X agree: b on another device (meta too) failed in torch's words
            X,
            b,
            of="b",
            move="b with .to('{device}') (a model: net.to('{device}'))",
            build="create b (or the model) again",
        )
    elif isinstance(b, bool) or not isinstance(b, numbers.Real):
        raise UsageTypeError(
            f"b must be a one-element tensor or a number, got {describe(b)}; pass e.g. "
            "torch.zeros(1, requires_grad=True)"
        )
    return X @ w + b  # the book's torch.matmul(X, w) + b


def _features_fix(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor | float) -> str:
    """Return the fix for ``X`` (B, d) with another number of columns than ``w`` has rows: ``w`` and
    ``b`` swapped, where ``w`` holds one value and ``b`` is a column of d weights; else a ``w`` made
    for X's d columns, or data that matches ``w``. Reshaping X would not do: (4, 3) as (-1, 2) is
    6 examples of mixed features."""
    d = X.shape[1]
    if (
        w.numel() == 1
        and isinstance(b, torch.Tensor)
        and b.ndim in (1, 2)
        and b.shape[0] == d
        and b.shape[1:] in ((), (1,))
    ):
        return (
            f"w and b may be swapped: b of shape {tuple(b.shape)} is a column of weights for X's "
            f"{counted(d, 'column')} and w holds one value; pass the weights before the bias: "
            "linreg(X, w, b)"
        )
    model = f" (a model: LinearRegressionScratch(num_inputs={d}))" if w.ndim == 2 else ""
    return (
        f"make w with one row per column of X, shape {(d, *w.shape[1:])}{model}, or check X holds "
        "the data w was made for"
    )


def refuse_flat_features(X: torch.Tensor, w: torch.Tensor) -> None:
    """Refuse a 1-d ``X`` with the reshape ``w``'s d features call for: one feature per example
    (d = 1) makes it a column, d values one example; the generic guess was wrong for d = 1."""
    d = w.shape[0]
    if d == 1:
        fix = "for one feature per example make it a column with X.reshape(-1, 1)"
    elif len(X) == d:
        fix = "for one example of its d features use X.reshape(1, -1), a batch of one"
    else:
        fix = f"pass a batch (B, {d}): X.reshape(-1, {d}) if it holds whole examples"
    raise UsageError(
        f"X must be 2-dimensional (B, d), d = {d} feature{'s' * (d != 1)} to match w of shape "
        f"{tuple(w.shape)}, got a tensor of shape {tuple(X.shape)}; {fix}"
    )
