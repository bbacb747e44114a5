"""What training did, epoch by epoch: :class:`EpochMetrics` and the :class:`History` of a run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, overload

from linearnets.errors import UsageError, UsageTypeError

__all__ = ["EpochMetrics", "History", "HistoryRows", "history_of"]


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch did. ``epoch`` counts from 1; accuracies are ``None`` for regression.

    Attributes:
        epoch: the epoch's number, from 1.
        train_loss: the mean training loss per example (over ``fit``'s ``train_eval_iter`` at
            the epoch's end when given).
        train_acc: the training accuracy, a ratio in [0, 1] (over ``train_eval_iter`` at the
            epoch's end when given; ``None`` for regression).
        test_loss, test_acc: over ``fit``'s ``test_iter`` after the epoch (``None`` without one;
            the accuracy ``None`` for regression too).
        seconds: the epoch's training and test evaluation, in seconds.
    """

    epoch: int
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Return the metrics as a plain dict (JSON-ready)."""
        # every field is a number or None: dataclasses.asdict's deep copy would only cost time
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(EpochMetrics))


@dataclass
class History:
    """Per-epoch metrics of a run, in order, as :func:`~linearnets.training.loop.fit` returns them.

    ``epochs`` holds one :class:`EpochMetrics` per epoch; ``train_loss``, ``train_acc``,
    ``test_loss`` and ``test_acc`` give one list each (``history.test_acc[-1]``), and ``last`` the
    latest epoch's metrics.

    See D2L §3.6.6.
    """

    epochs: list[EpochMetrics] = field(default_factory=list)

    @property
    def train_loss(self) -> list[float]:
        """Mean training loss per epoch."""
        return [m.train_loss for m in self.epochs]

    @property
    def train_acc(self) -> list[float | None]:
        """Training accuracy per epoch (``None`` for regression)."""
        return [m.train_acc for m in self.epochs]

    @property
    def test_loss(self) -> list[float | None]:
        """Mean test loss per epoch (``None`` without a test set)."""
        return [m.test_loss for m in self.epochs]

    @property
    def test_acc(self) -> list[float | None]:
        """Test accuracy per epoch (``None`` without a test set or for regression)."""
        return [m.test_acc for m in self.epochs]

    def __len__(self) -> int:
        """The number of epochs held, ``len(history.epochs)``."""
        return len(self.epochs)

    @overload
    def __getitem__(self, index: int) -> EpochMetrics: ...

    @overload
    def __getitem__(self, index: slice) -> list[EpochMetrics]: ...

    def __getitem__(self, index: int | slice) -> EpochMetrics | list[EpochMetrics]:
        """``history.epochs[index]``: one epoch's metrics for an int (``-1``: the latest; an
        ``IndexError`` past the end, as a list's), a list of them for a slice. A metric's name
        (``history["train_loss"]``) is refused with its attribute, ``history.train_loss``."""
        try:
            return self.epochs[index]
        except TypeError:
            raise UsageTypeError(_index_refusal(index)) from None

    def __iter__(self) -> Iterator[EpochMetrics]:
        """Go over the epochs' metrics in order, as ``iter(history.epochs)``."""
        return iter(self.epochs)

    def __repr__(self) -> str:
        """One short line (a notebook cell ending in a history shows it), the last epoch's figures."""
        if not self.epochs:
            return "History(no epochs)"
        m = self.epochs[-1]
        # the test set's figure is its accuracy, else (regression) its loss
        test = ("test acc", m.test_acc) if m.test_acc is not None else ("test loss", m.test_loss)
        shown = [f"train loss {m.train_loss:.4g}"]
        for name, value in (("train acc", m.train_acc), test):
            if value is not None:
                shown.append(f"{name} {value:.4g}")
        count = len(self.epochs)
        return (
            f"History({count} epoch{'s' if count > 1 else ''}; epoch {m.epoch}: {', '.join(shown)})"
        )

    @property
    def last(self) -> EpochMetrics:
        """The latest epoch's metrics."""
        if not self.epochs:
            raise UsageError("history is empty: no epoch has finished yet")
        return self.epochs[-1]


_METRICS = ("train_loss", "train_acc", "test_loss", "test_acc")


def _index_refusal(index: object) -> str:
    """Return the refusal of ``history[index]`` for an ``index`` no list takes: a metric's name
    told as its attribute, another name or value with the metrics there are."""
    from linearnets.validation import describe

    rule = f"History is indexed by epoch (int or slice), got {describe(index)}"
    if isinstance(index, str) and index in (*_METRICS, "epochs", "last"):
        return f"{rule}; use history.{index}"
    if isinstance(index, str) and index in _FIELDS:  # an epoch's figure, no list of History's
        return f"{rule}; use [m.{index} for m in history]"
    listed = ", ".join(f"history.{name}" for name in _METRICS)
    return f"{rule}; its metrics per epoch are {listed}, each a list"


class HistoryRows:
    """The rows of a growing :class:`History` (``EpochMetrics.as_dict()``), each built only once.

    A checkpoint saves every row at the end of every epoch: rebuilt each time, the rows cost time
    growing with the square of the epoch count (D2L §3.6.6).

    Args:
        history: the history the rows follow; epochs are appended to it as training goes on.
    """

    def __init__(self, history: History) -> None:
        self.history = history
        self._rows: list[dict[str, Any]] = []
        self._last: EpochMetrics | None = None  # the epoch the last row was built from

    def rows(self) -> list[dict[str, Any]]:
        """Return one dict per epoch of the history, building only those of the new epochs.

        Returns:
            the rows, in order; the list is kept and extended by later calls: do not change it.
        """
        epochs = self.history.epochs
        done = len(self._rows)
        if done > len(epochs) or (done and epochs[done - 1] is not self._last):
            done = 0  # the history was cut or replaced, not only appended to: start again
            self._rows = []
        self._rows.extend(m.as_dict() for m in epochs[done:])
        if epochs:
            self._last = epochs[-1]
        return self._rows


def history_of(exc: BaseException) -> History | None:
    """Return the history of the finished epochs that ``fit`` (or ``train_ch3``) handed ``exc``,
    the error or Ctrl-C that stopped it, as its ``.history``; ``None`` where it holds none.

    ``exc.history`` reads the same at run time, but a type checker knows no such attribute of a
    ``KeyboardInterrupt`` or a ``ValueError`` (``mypy``: "has no attribute"); this is typed::

        history: ln.History | None
        try:
            history = ln.fit(net, train_iter, loss, updater, 10)
        except KeyboardInterrupt as stop:
            history = ln.history_of(stop)  # None where fit handed it none

    Args:
        exc: any exception (a ``BaseException``); one ``fit`` raised holds the epochs done before
            it.

    Returns:
        The :class:`History`, or ``None`` for an exception without one (or whose ``history`` is
        something else, an attribute of its own).

    Raises:
        UsageTypeError: ``exc`` is no exception (``history_of("stop")`` returned ``None``).

    See D2L §3.6.6.
    """
    if not isinstance(exc, BaseException):
        from linearnets.validation import describe

        raise UsageTypeError(
            f"exc must be an exception (the one fit raised), got {describe(exc)}; pass the "
            "exception caught: except KeyboardInterrupt as stop: ln.history_of(stop)"
        )
    history = getattr(exc, "history", None)
    return history if isinstance(history, History) else None
