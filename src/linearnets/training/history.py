"""What training did, epoch by epoch: :class:`EpochMetrics` and the :class:`History` of a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from linearnets.errors import UsageError

__all__ = ["EpochMetrics", "History"]


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch did. ``epoch`` counts from 1; accuracies are ``None`` for regression."""

    epoch: int
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Return the metrics as a plain dict (JSON-ready)."""
        return asdict(self)


@dataclass
class History:
    """Per-epoch metrics of a run, in order."""

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

    def __repr__(self) -> str:
        """One short line (a notebook cell ending in a history shows it), the last epoch's figures."""
        if not self.epochs:
            return "History(no epochs)"
        m = self.epochs[-1]
        shown = [f"train loss {m.train_loss:.4g}"]
        for name, value in (("train acc", m.train_acc), ("test acc", m.test_acc)):
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
