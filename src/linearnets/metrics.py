"""Classification metrics and a running-sum helper (D2L §3.6.5)."""

from __future__ import annotations

import math
import numbers
from typing import Any, NoReturn, SupportsFloat

import numpy as np
import torch

from linearnets._text import counted
from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.nan_places import listed
from linearnets.validation import (
    check_holds_values,
    check_label_tensor,
    check_labels_device,
    check_positive_int,
    check_scores_first,
    describe,
)

__all__ = ["Accumulator", "accuracy", "correct_count"]


def _raise_nan_scores(y_hat: torch.Tensor) -> NoReturn:
    """Refuse scores ``y_hat`` (B, C) that hold NaN, naming their rows: the scores given, which may
    be a model's output (a diverged one's) or typed in, so the lr is advice only for the former."""
    nan_rows = y_hat.reshape(y_hat.shape[0], -1).isnan().any(dim=1)  # (B,)
    rows = tuple(nan_rows.nonzero().flatten().tolist())
    one = len(rows) == 1
    raise DivergenceError(
        f"y_hat holds NaN in {'row' if one else 'rows'} {listed(rows)} of its {y_hat.shape[0]} "
        "(counting from 0), so no accuracy can be computed: NaN is taken as a row's largest "
        f"score, so {'its' if one else 'their'} predicted class would mean nothing; pass finite "
        "scores (where y_hat is a model's output, its weights or its inputs hold NaN: weights "
        "blow up when the lr is too large, so train again with a smaller one)"
    )


def correct_count(y_hat: torch.Tensor, y: torch.Tensor) -> int:
    """Return how many rows of ``y_hat`` put their largest score on the true class (the book's count).

    Args:
        y_hat: scores or probabilities, shape (B, C); or predicted labels (B,) or (B, 1), of an
            integer dtype or whole-numbered floats (``2.0``). A float column (B, 1) (one score per
            example) and fractional float labels (``0.9``) are refused: truncated to labels they
            would count silently wrong rows.
        y: class indices, shape (B,), on ``y_hat``'s device.

    See D2L §3.6.5.
    """
    check_scores_first("correct_count", "y_hat", y_hat, y, section="§3.6.5")
    check_label_tensor("y", y)
    _check_predictions(y_hat)
    check_holds_values("y", y)
    check_labels_device(y, y_hat, "y_hat")
    scores = y_hat.ndim > 1 and y_hat.shape[1] > 1
    if scores:  # a label outside [0, C) can never match: an error, not a silent miss
        check_label_tensor("y", y, num_classes=y_hat.shape[1])
        if bool(y_hat.isnan().any()):
            _raise_nan_scores(y_hat)
    pred = y_hat.max(dim=1).indices if scores else y_hat.reshape(-1)
    if pred.shape[0] != y.shape[0]:
        raise UsageError(
            f"y_hat and y must have the same number of rows, got {pred.shape[0]} and {y.shape[0]}; "
            "pass predictions and labels of the same batch"
        )
    # compared as int64: converting a prediction to y's dtype would wrap (uint8 labels, class 257 → 1)
    labels = pred.long()
    hits = (labels == y.long()).sum()
    if not pred.is_floating_point():
        return int(hits)
    # float labels must be whole (0.9 would truncate to 0; NaN and inf are no label either): read
    # in the same sync as the count, so the check costs no wait of its own
    count, fractional = torch.stack((hits, (labels.to(pred.dtype) != pred).sum())).tolist()
    if fractional:
        _refuse_fractional(pred, labels)
    return int(count)


def _check_predictions(y_hat: Any) -> None:
    """Raise unless ``y_hat`` is a real tensor of scores (B, C) or of predicted labels (B,) / (B, 1)."""
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
    if y_hat.is_complex():  # .long() would drop the imaginary part, max() fails in torch's words
        raise UsageTypeError(
            f"y_hat must be real scores (B, C) or labels (B,), got {describe(y_hat)}; pass the "
            "model's real-valued scores"
        )
    if y_hat.ndim == 2 and y_hat.shape[1] == 1 and y_hat.is_floating_point():
        raise UsageError(
            f"y_hat must be scores of shape (B, C), one per class, or labels (B,), got a float "
            f"column of shape {tuple(y_hat.shape)}: one score per example names no class (read "
            "as labels, 0.9 would count as class 0); pass all C scores (B, C) or their argmax "
            "over classes, scores.argmax(dim=1), or for a binary classifier's probabilities of "
            "class 1 the labels (y_hat > 0.5).long().reshape(-1)"
        )
    if y_hat.ndim == 2 and y_hat.shape[1] == 0:  # flattened, it would read as 0 labels
        raise UsageError(
            f"y_hat must hold at least one score per row, one per class, got shape "
            f"{tuple(y_hat.shape)}; pass the model's scores (B, C), e.g. of nn.Linear(d, 10)"
        )
    check_holds_values("y_hat", y_hat)


def _refuse_fractional(pred: torch.Tensor, labels: torch.Tensor) -> NoReturn:
    """Refuse float predicted labels ``pred`` (B,) of which some are not whole numbers."""
    row = int((labels.to(pred.dtype) != pred).nonzero()[0, 0])
    value = float(pred[row])
    # the shortest text of the value in its dtype: 0.9, not float32's 0.8999999761581421
    shown = repr(value) if pred.dtype == torch.float64 else str(np.float32(value))
    raise UsageError(
        f"y_hat of shape (B,) must hold class labels, whole numbers, got {shown} in "
        f"row {row} of {describe(pred)}; pass the scores (B, C), one per class, or their argmax "
        "over classes, scores.argmax(dim=1); for a binary classifier's probabilities of class 1 "
        "pass (y_hat > 0.5).long()"
    )


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Return the fraction of rows predicted correctly, a ratio in [0, 1].

    The book's ``d2l.accuracy`` (and :func:`linearnets.d2l.accuracy`) returns the *count*, which
    its code divides by ``len(y)``: with this one, don't; :func:`correct_count` is the count.

    Args:
        y_hat: scores or probabilities, shape (B, C), or predicted labels (B,) or (B, 1), as
            :func:`correct_count` takes them.
        y: class indices, shape (B,), B ≥ 1.

    See D2L §3.6.5.
    """
    check_scores_first("accuracy", "y_hat", y_hat, y, section="§3.6.5")
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
                f"add() needs {counted(len(self.data), 'value')}, got {len(args)}; pass one "
                f"number per total ({len(self.data)})"
            )
        values = [_number(value, i) for i, value in enumerate(args)]
        self.data = [a + b for a, b in zip(self.data, values, strict=True)]

    def reset(self) -> None:
        """Set every total back to 0."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]

    def __repr__(self) -> str:
        return f"Accumulator({len(self.data)} totals: {self.data})"


def _real_number(value: Any) -> bool:
    """Whether ``value`` is a real number ``float`` reads exactly as the book's ``float(b)`` does:
    a Real (NumPy's scalars too, but for bool and np.bool_), or a ``decimal.Decimal`` (a Number
    registered as no Real); not a complex one (Complex but not Real)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return False
    return isinstance(value, numbers.Real) or not isinstance(value, numbers.Complex)


def _number(value: Any, i: int) -> float:
    """Return ``value``, :meth:`Accumulator.add`'s value ``i + 1``, as a float, or raise naming it.

    A real number is taken, or one in a one-element tensor or NumPy array. A bool is refused
    whatever holds it (Python, NumPy or a tensor: ``True`` is a flag, not a count), and so is a
    complex value (``float`` would drop or fail on its imaginary part).
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        check_holds_values(f"add()'s value {i + 1}", value)
        if value.dtype != torch.bool and not value.is_complex():
            return float(value.detach())  # a total needs no graph (and no warning)
    elif isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        # NumPy 2's float() takes 0-d arrays only; a one-value tensor of any shape passes
        return _float_holding(value.reshape(()), i, value)
    elif _real_number(value):
        return _float_holding(value, i, value)
    raise UsageTypeError(
        f"add() takes numbers, got {describe(value)} as value {i + 1}; pass a number "
        "(a one-element tensor or array also works, e.g. l.sum())"
    )


def _float_holding(number: Any, i: int, value: Any) -> float:
    """Return the real ``number`` as a float, or raise naming :meth:`Accumulator.add`'s value
    ``i + 1`` (``value``, which holds it) if float cannot hold it.

    Past float's range, ``float()`` raises ``OverflowError`` on an int (``10**400``) or a Fraction,
    and turns a Decimal or a NumPy long double into ``inf``, a total no later value can bring
    back; on a Decimal signaling NaN it raises ``ValueError``. Infinities and NaN themselves are
    taken, as the book's ``float(b)`` takes them.
    """
    try:
        result: float | None = float(number)
    except (OverflowError, ValueError):
        result = None
    if result is not None and not (math.isinf(result) and number != result):
        return result
    raise UsageError(
        f"add()'s value {i + 1} must be a number float can hold (at most about 1.8e308 in "
        f"size), got {_shown(value)}; scale it down, e.g. add a mean rather than a sum, or "
        "count in thousands"
    )


def _shown(value: Any) -> str:
    """Return ``value`` shortened for a message: an int past float's range by its digit count
    (Python refuses to print one of over 4300 digits), anything else as :func:`describe` shows it."""
    if isinstance(value, int):
        size = abs(value)
        digits = int(math.log10(size)) + 1  # math.log10 reads an int of any size
        digits += (size >= 10**digits) - (size < 10 ** (digits - 1))  # log10's rounding, corrected
        return f"{'a negative' if value < 0 else 'an'} int of {digits} digits"
    try:
        return describe(value)
    except ValueError:  # a Fraction of an int too long to print
        return f"a {type(value).__name__} too large to print"
