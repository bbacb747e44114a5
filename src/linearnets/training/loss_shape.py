"""The diagnosis of a loss that returned a value of the wrong shape for a classifier's labels: labels
given as a column (B, 1), which the book's ``y_hat[range(len(y_hat)), y]`` broadcasts into (B, B),
and a loss that picks every example's score of every example's label, as ``y_hat[:, y]`` does
(D2L §3.6.3).

Each cause is named only once the loss is seen to act so: it is called again on the labels made
1-dimensional, and on the examples and the labels shifted by one. That runs only once its value has
been refused, so a batch that trains pays nothing for it.
"""

from __future__ import annotations

import math
import warnings

import torch

from linearnets._text import counted
from linearnets.training.loss_kinds import Loss
from linearnets.validation import describe

__all__ = ["explain_loss_shape"]


def _one_per_example(shape: tuple[int, ...], B: int, outputs: int) -> bool:
    """Whether a loss of ``shape`` holds one value per example of a batch of ``B``, one per output
    value (``outputs`` of them), or is 0-d: what
    :func:`~linearnets.training.step_checks.check_loss_value` accepts."""
    return not shape or (shape[0] == B and (len(shape) == 1 or math.prod(shape) in (B, outputs)))


def explain_loss_shape(
    loss: Loss | None, l: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor
) -> str | None:
    """Return the message for the loss ``l`` of the wrong shape that ``loss(y_hat, y)`` gave, where
    the class labels ``y`` or the loss's picking by them are seen to cause it; else ``None``.

    Scores (B, C) with integer labels only: a column of labels (B, 1) is named when the loss gives
    one value per example on ``y.reshape(-1)``; a (B, B) value when its rows follow the examples and
    its columns the labels, each shifted by one, as ``y_hat[:, y]`` gives.
    """
    labels = not (y.is_floating_point() or y.is_complex() or y.dtype == torch.bool)
    if loss is None or not labels or y_hat.ndim != 2 or y_hat.shape[1] < 2 or y.ndim == 0:
        return None
    B, name, got = y.shape[0], getattr(loss, "__name__", type(loss).__name__), tuple(l.shape)
    flat = y.reshape(-1) if y.ndim > 1 and y.numel() == B else None
    value = l.detach() if flat is None else _value(loss, y_hat, flat)
    if value is None:
        return None
    if flat is not None and _one_per_example(tuple(value.shape), B, y_hat.numel()):
        return (
            f"y must be 1-dimensional (B,) for the loss {name}, got {describe(y)}, which it "
            f"broadcast into losses of shape {got} for a batch of {counted(B, 'example')}; use "
            f"y.reshape(-1), with which it returns shape {tuple(value.shape)}"
        )
    if not _pairs_scores_with_labels(loss, y_hat, flat if flat is not None else y, value):
        return None
    pick = "pick each example's score of its own label, y_hat[range(len(y_hat)), y]"
    pairs = (
        f"the loss {name} paired every example's scores with every example's label, a ({B}, {B}) "
        "block, as y_hat[:, y] does"
    )
    if flat is None:
        return (
            f"loss must return one loss per example, shape ({B},), got shape {got} for a batch of "
            f"{counted(B, 'example')}: {pairs}; {pick}"
        )
    return (
        f"loss must return one loss per example, shape ({B},), got shape {got} for a batch of "
        f"{counted(B, 'example')}: y is not 1-dimensional ({describe(y)}), and with y.reshape(-1) {pairs}; use "
        f"y.reshape(-1), and {pick}"
    )


def _value(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
    """Return ``loss`` on a detached ``y_hat`` and ``y``, without gradients, or ``None`` if it fails."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            value = loss(y_hat.detach(), y)
    except Exception:  # a loss that fails on these inputs tells nothing of the first call
        return None
    return value.detach() if isinstance(value, torch.Tensor) else None


def _pairs_scores_with_labels(
    loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, value: torch.Tensor
) -> bool:
    """Whether ``value`` = ``loss(y_hat, y)``, (B, B), has row i from example i's scores and column
    j from label j: shifting the examples by one shifts its rows, shifting the labels its columns.
    A value that either shift leaves as it was (equal labels, equal scores) tells nothing."""
    B = y.shape[0]
    if tuple(value.shape) != (B, B) or B < 2:
        return False
    shift = torch.roll(torch.arange(B, device=y.device), 1)
    rows, cols = value[shift], value[:, shift]
    if torch.equal(rows, value) or torch.equal(cols, value):
        return False
    by_rows, by_cols = _value(loss, y_hat[shift], y), _value(loss, y_hat, y[shift])
    return all(
        got is not None
        and got.shape == want.shape
        and torch.allclose(got, want, rtol=1e-5, atol=1e-8, equal_nan=True)
        for got, want in ((by_rows, rows), (by_cols, cols))
    )
