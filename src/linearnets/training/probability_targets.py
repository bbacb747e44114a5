"""Float targets a probability loss cannot take: a binary cross-entropy's outside [0, 1], or class
probabilities for ``nn.CrossEntropyLoss`` that are negative or whose rows do not sum to 1 (D2L
§3.4.2, §4.1).

torch's ``nn.BCELoss`` refuses such a target itself, but ``nn.BCEWithLogitsLoss`` and a
cross-entropy with probability targets take them without a word: a 0/255 mask as (B, 1) targets
trained with losses of -3788, -13583, -23376, going below zero, a loss no model can reach with
probabilities. Checked on an epoch's first batch, before its update (and on an evaluated set's
first batch), with one read-back; NaN or inf targets are left to
:mod:`~linearnets.training.nan_targets`, which names them where they make the loss NaN.
"""

from __future__ import annotations

import torch

from linearnets._check_basics import describe
from linearnets.errors import UsageError
from linearnets.training.nan_targets import takes_binary_probabilities, takes_probabilities
from linearnets.training.score_checks import float_labels_fix
from linearnets.training.totals import Loss

__all__ = ["check_probability_targets", "float_targets_accuracy_error"]


def check_probability_targets(
    y_hat: torch.Tensor, y: torch.Tensor, loss: Loss, *, batch: str
) -> None:
    """Raise :class:`UsageError` where ``loss`` takes probabilities as the float targets ``y``
    (the scores ``y_hat``'s shape) and they are none: a binary cross-entropy's (any shape) outside
    [0, 1]; ``nn.CrossEntropyLoss``'s (B, q) negative, or rows not summing to 1 within the
    dtype's tolerance. ``batch`` names the batch in the message (e.g. "train_iter's first
    batch"). Non-finite values are not judged here."""
    if not isinstance(y_hat, torch.Tensor) or not y.is_floating_point() or y.shape != y_hat.shape:
        return
    if takes_binary_probabilities(loss):
        _check_binary(y.detach(), batch)
    elif y.ndim == 2 and takes_probabilities(loss):
        _check_rows(y.detach(), batch)


def _check_binary(y: torch.Tensor, batch: str) -> None:
    outside = (y < 0) | (y > 1)  # NaN compares False: left to the NaN checks
    if not bool(outside.any()):
        return
    at = _first(outside)
    value = float(y[at])
    raise UsageError(
        f"y of {batch} must hold probabilities in [0, 1] for a binary cross-entropy, got "
        f"{value:g} at index {at}; scale the targets into [0, 1] (a 0/255 mask: y / 255; "
        "labels 1 and 2: y - 1)"
    )


def _check_rows(y: torch.Tensor, batch: str) -> None:
    q = y.shape[1]
    wide = y.to(torch.float64 if y.device.type != "mps" else torch.float32)
    finite = torch.isfinite(wide).all(dim=1)  # rows with NaN or inf: the NaN checks' to name
    negative = (wide < 0) & finite[:, None]
    sums = wide.sum(dim=1)
    tol = max(1e-3, 4 * torch.finfo(y.dtype).eps * q)
    off = finite & ((sums - 1).abs() > tol)
    flags = torch.stack([negative.any(), off.any()]).tolist()
    if flags[0]:
        at = _first(negative)
        raise UsageError(
            f"y of {batch} must hold class probabilities for nn.CrossEntropyLoss (each >= 0, each "
            f"row summing to 1), got {float(y[at]):g} at index {at}; pass probabilities "
            "(y.softmax(dim=1) of scores, or counts / counts.sum(dim=1, keepdim=True)), or class "
            "indices y.argmax(dim=1)"
        )
    if flags[1]:
        row = _first(off)[0]
        raise UsageError(
            f"y of {batch} must hold class probabilities for nn.CrossEntropyLoss (each >= 0, each "
            f"row summing to 1 within {tol:g}), got row {row} summing to {float(sums[row]):g}; "
            "divide each row by its sum (y / y.sum(dim=1, keepdim=True)), or pass class indices "
            "y.argmax(dim=1)"
        )


def _first(mask: torch.Tensor) -> tuple[int, ...]:
    """Return the index of the first ``True`` of ``mask``, one int per dimension."""
    return tuple(int(i) for i in mask.nonzero()[0])


def float_targets_accuracy_error(name: str, y: torch.Tensor | None) -> UsageError:
    """Return the refusal of float targets ``y`` of ``name``'s first batch for an accuracy, with
    the fix their shape calls for: one-hot or class probabilities (B, C) their ``argmax`` (a
    ``.long()`` refused them again, and truncated soft labels to 0), labels (B,) stored as floats
    ``.long()``; ``y`` ``None``: not in hand (the whole set's results), both fixes named."""
    start = f"{name} must yield integer class labels y for evaluate_accuracy, got "
    regression = f"; for a regression measure the loss instead, evaluate(net, {name}, loss)"
    if y is None:
        return UsageError(
            f"{start}floating-point targets: accuracy counts a classifier's right classes; for "
            "one-hot or class-probability targets (B, C) pass y.argmax(dim=1), for class labels "
            f"(B,) stored as floats y.long(){regression}"
        )
    got = f"{start}{describe(y)} in its first batch: accuracy counts a classifier's right classes; "
    return UsageError(f"{got}{float_labels_fix(y)}{regression}")
