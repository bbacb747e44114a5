"""Classification metrics and a running-sum helper (D2L §3.6.5)."""

from __future__ import annotations

import numbers
from typing import SupportsFloat

import numpy as np
import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_label_tensor,
    check_no_nan_scores,
    check_positive_int,
    describe,
)

__all__ = ["Accumulator", "accuracy", "correct_count"]


def correct_count(y_hat: torch.Tensor, y: torch.Tensor) -> int:
    """Return how many rows of ``y_hat`` put their largest score on the true class (the book's count).

    Args:
        y_hat: scores or probabilities, shape (B, C); a (B,) tensor is taken as predicted labels.
        y: class indices, shape (B,).

    See D2L §3.6.5.
    """
    check_label_tensor("y", y)
    if not isinstance(y_hat, torch.Tensor):
        raise UsageTypeError(
            f"y_hat must be a torch.Tensor of scores (B, C) or labels (B,), got "
            f"{type(y_hat).__name__}; convert it with torch.as_tensor(y_hat)"
        )
    if y_hat.ndim not in (1, 2):
        # a (B, C, 1) input would broadcast against y (B,) and count up to B² "correct" rows
        raise UsageError(
            f"y_hat must be scores of shape (B, C) or labels of shape (B,), got shape "
            f"{tuple(y_hat.shape)}; reshape it to (B, C)"
        )
    scores = y_hat.ndim > 1 and y_hat.shape[1] > 1
    if scores:  # a label outside [0, C) can never match: an error, not a silent miss
        check_label_tensor("y", y, num_classes=y_hat.shape[1])
        check_no_nan_scores(y_hat.isnan().any())
    pred = y_hat.max(dim=1).indices if scores else y_hat.reshape(-1)
    if pred.shape[0] != y.shape[0]:
        raise UsageError(
            f"y_hat and y must have the same number of rows, got {pred.shape[0]} and {y.shape[0]}; "
            "pass predictions and labels of the same batch"
        )
    # compared as int64: converting a prediction to y's dtype would wrap (uint8 labels, class 257 → 1)
    return int((pred.long() == y.long()).sum())


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Return the fraction of rows predicted correctly, a ratio in [0, 1].

    Args:
        y_hat: scores or probabilities, shape (B, C), or predicted labels (B,).
        y: class indices, shape (B,), B ≥ 1.

    See D2L §3.6.5.
    """
    if isinstance(y, torch.Tensor) and y.numel() == 0:
        raise UsageError(
            "y must hold at least one label, got an empty tensor; pass a non-empty batch"
        )
    return correct_count(y_hat, y) / y.shape[0]


class Accumulator:
    """Sum ``n`` running totals, e.g. (loss sum, correct, count).

    See D2L §3.6.5.
    """

    def __init__(self, n: int) -> None:
        self.data = [0.0] * check_positive_int("n", n)

    def add(self, *args: SupportsFloat) -> None:
        """Add one value to each total: a number, or a one-element tensor or NumPy array.

        What the book's ``float(b)`` reads is taken (hence ``SupportsFloat``): e.g. ``l.sum()`` or
        ``l.sum().detach().numpy()``.
        """
        if len(args) != len(self.data):
            raise UsageError(
                f"add() needs {len(self.data)} values, got {len(args)}; pass one number per "
                f"total ({len(self.data)})"
            )
        values: list[float] = []
        for i, value in enumerate(args):
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                values.append(float(value.detach()))  # a total needs no graph (and no warning)
            elif isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
                # NumPy 2's float() takes 0-d arrays only; a one-value tensor of any shape passes
                values.append(float(value.reshape(())))
            elif isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise UsageTypeError(
                    f"add() takes numbers, got {describe(value)} as value {i + 1}; pass a number "
                    "(a one-element tensor or array also works, e.g. l.sum())"
                )
            else:
                values.append(float(value))
        self.data = [a + b for a, b in zip(self.data, values, strict=True)]

    def reset(self) -> None:
        """Set every total back to 0."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]

    def __repr__(self) -> str:
        return f"Accumulator({len(self.data)} totals: {self.data})"
