"""What a softmax run did (:class:`SoftmaxResult`) and its time per epoch (D2L §3.6.6, §3.7.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linearnets._paths import absolute_path
from linearnets.config import SoftmaxConfig
from linearnets.training.loop import History

__all__ = ["SoftmaxResult", "seconds_per_epoch"]


@dataclass
class SoftmaxResult:
    """What a softmax run did: its history, timings, run folder and per-class accuracy.

    Attributes:
        config: the run's effective settings.
        history: every epoch's metrics, as :func:`~linearnets.fit` returns them.
        run_dir: the run folder (``config.json``, ``metrics.csv``, ``model.pt``, figures, ...).
        seconds_per_epoch: the training's wall time over its epochs (checkpoints and callbacks
            included): after a resume, over the epochs it trained; a resume that trains none, the
            mean of the epochs' own seconds.
        data_source: where the data came from (the Fashion-MNIST folder's location, or the
            ``data`` file).
        per_class_acc: the test accuracy of each class, C values in ``classes``' order (empty
            on the other ranks of a data-parallel run, or without a test set).
        classes: the C class names.

    See D2L §3.6.6 and §3.7.4.
    """

    config: SoftmaxConfig
    history: History
    run_dir: Path
    seconds_per_epoch: float
    data_source: str
    per_class_acc: list[float] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict: what ``--json`` prints and ``results.json``
        holds, its ``run_dir`` absolute (:func:`~linearnets._paths.absolute_path`): the file is read
        from anywhere."""
        last = self.history.last
        return {
            "impl": self.config.impl,
            "epochs": len(self.history.epochs),
            "train_loss": last.train_loss,
            "train_acc": last.train_acc,
            "test_acc": last.test_acc,
            "seconds_per_epoch": self.seconds_per_epoch,
            "run_dir": str(absolute_path(self.run_dir)),
            "data_source": self.data_source,
            "per_class_acc": dict(zip(self.classes, self.per_class_acc, strict=False)),
        }


def seconds_per_epoch(
    elapsed: float, config: SoftmaxConfig, start_epoch: int, history: History
) -> float:
    """Return the mean epoch time: ``elapsed`` over the epochs after ``start_epoch``."""
    if config.epochs > start_epoch:
        return elapsed / (config.epochs - start_epoch)
    # nothing left to train (a resume that only writes the reports): the epochs' own times
    return sum(m.seconds for m in history.epochs) / max(len(history.epochs), 1)
