"""fit's epochs checked against each other: ``start_epoch``, the epochs already done, against
``num_epochs``, the last epoch to run, and the ``history`` a continued fit extends (D2L §3.6.6).

Each error names the argument, the rule, the value received and the start_epoch (and num_epochs)
that work.
"""

from __future__ import annotations

import numbers
from typing import Any

from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.history import History
from linearnets.validation import describe, is_finite_number, scalar_value

__all__ = ["check_history", "check_start_epoch"]


def check_start_epoch(start_epoch: Any, *, num_epochs: int, history: Any) -> int:
    """Return ``start_epoch`` as an int if it is an integer in [0, ``num_epochs``], else raise.

    A NumPy integer or a 0-d integer tensor is taken, as ``num_epochs`` is; a bool or a float
    (``2.0`` too) is refused as :class:`UsageTypeError`. The fix names ``history``'s number of
    epochs where it is a :class:`History`: the start_epoch that continues it, which
    :func:`check_history` then accepts (a whole float's int, ``2.0`` beside a History of 1 epoch,
    was advised, and refused there: "history must hold the start_epoch=2 epochs already done").
    """
    done = len(history.epochs) if isinstance(history, History) else None
    value = scalar_value(start_epoch, integral=True)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        whole = _whole(value)
        fits = whole is not None and 0 <= whole <= num_epochs and done in (None, whole)
        fix = f"pass start_epoch={whole}" if fits else _new_or_continued(done, num_epochs)
        raise UsageTypeError(
            "start_epoch must be an integer, the number of epochs already done (a NumPy integer "
            f"or a 0-d integer tensor too; not a bool or a float), got {describe(start_epoch)}; "
            f"{fix}"
        )
    value = int(value)
    if 0 <= value <= num_epochs:
        return value
    rule = (
        f"start_epoch must be in [0, num_epochs={num_epochs}], the number of epochs already done "
        f"(fit runs epochs start_epoch + 1 to num_epochs), got {value}"
    )
    if value < 0:
        raise UsageError(f"{rule}; {_new_or_continued(done, num_epochs)}")
    if done is not None and done != value:
        more = (
            f" and num_epochs={done + num_epochs}, the last epoch, for {num_epochs} more"
            if done >= num_epochs
            else ""
        )
        fix = f"to continue history, which holds {_epochs(done)}, pass start_epoch={done}{more}"
    else:
        fix = (
            f"num_epochs is the last epoch to run, not the number of epochs more: for "
            f"{num_epochs} more after the {value} done pass num_epochs={value + num_epochs}"
        )
    raise UsageError(f"{rule}; {fix}")


def check_history(history: Any, *, num_epochs: int, start_epoch: int) -> None:
    """Raise unless ``history`` is ``None`` or a :class:`History` of ``start_epoch`` epochs."""
    if history is not None and not isinstance(history, History):
        raise UsageTypeError(
            f"history must be the History of the epochs so far, got {type(history).__name__}; "
            "pass the History a previous fit returned (or leave it out)"
        )
    if history is not None and len(history.epochs) != start_epoch:
        # the new epochs would be numbered from start_epoch + 1 after the ones it holds: [1, 2, 1, 2]
        done = len(history.epochs)
        more = num_epochs - start_epoch
        raise UsageError(
            f"history must hold the start_epoch={start_epoch} epochs already done, got a History "
            f"of {_epochs(done)}; to continue it pass start_epoch={done} "
            f"(and num_epochs={done + more}, the last epoch, for {more} more), or leave history "
            "out for a new one"
        )


def _whole(value: Any) -> int | None:
    """Return the whole number a float (``2.0``, ``np.float64(2.0)``, ``torch.tensor(2.0)``)
    holds, or ``None`` for any other value: a bool, a fraction, a string."""
    number = scalar_value(value)
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        return None
    if not is_finite_number(number) or not float(number).is_integer():
        return None
    return int(float(number))


def _new_or_continued(done: int | None, num_epochs: int) -> str:
    """Return the start_epoch to pass: 0, or ``done``, the epochs of the History to continue
    (with a ``num_epochs`` past them where ``num_epochs`` is fewer, which the range refuses)."""
    if done is None:
        return (
            "pass start_epoch=0 for a new run, or start_epoch=len(history.epochs) with "
            "history=the History a previous fit returned, to continue it"
        )
    if done > num_epochs:
        return (
            f"to continue history, which holds {_epochs(done)}, pass start_epoch={done} and "
            f"num_epochs={done + num_epochs}, the last epoch, for {num_epochs} more"
        )
    return f"pass start_epoch={done} to continue history, which holds {_epochs(done)}"


def _epochs(count: int) -> str:
    return f"{count} epoch{'' if count == 1 else 's'}"
