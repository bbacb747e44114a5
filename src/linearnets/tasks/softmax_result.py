"""What a softmax run did (:class:`SoftmaxResult`) and its time per epoch (D2L §3.6.6, §3.7.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linearnets._json import loads_shallow
from linearnets._paths import absolute_path
from linearnets.config import SoftmaxConfig
from linearnets.training.loop import History
from linearnets.training.runs import RESULTS_FILE

__all__ = ["SoftmaxResult", "seconds_per_epoch"]


@dataclass
class SoftmaxResult:
    """What a softmax run did: its history, timings, run folder and per-class accuracy.

    Attributes:
        config: the run's effective settings.
        history: every epoch's metrics, as :func:`~linearnets.fit` returns them.
        run_dir: the run folder (``config.json``, ``metrics.csv``, ``model.pt``, figures, ...).
        seconds_per_epoch: the training's wall time over its epochs (checkpoints and callbacks
            included): after a resume, over the epochs it trained; a resume that trains none keeps
            the figure ``results.json`` recorded for these epochs, else (a run stopped before it
            wrote that file) the mean of the epochs' own seconds.
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
    elapsed: float, config: SoftmaxConfig, start_epoch: int, history: History, *, run_dir: Path
) -> float:
    """Return the mean epoch time: ``elapsed`` over the epochs after ``start_epoch``.

    A resume that trains nothing (it only writes the reports or draws figures still missing) keeps
    the time ``run_dir``'s ``results.json`` measured for these epochs; without one (the run stopped
    before writing it), the mean of the epochs' own ``seconds``.
    """
    if config.epochs > start_epoch:
        return elapsed / (config.epochs - start_epoch)
    recorded = _recorded_seconds(run_dir, len(history.epochs))
    if recorded is not None:
        return recorded
    # nothing left to train and no time measured: the epochs' own times
    return sum(m.seconds for m in history.epochs) / max(len(history.epochs), 1)


def _recorded_seconds(run_dir: Path, epochs: int) -> float | None:
    """Return ``results.json``'s ``seconds_per_epoch`` when it summarizes ``epochs`` epochs and
    holds a finite, non-negative number; None when missing, damaged, stale or not a number."""
    try:
        summary = loads_shallow((run_dir / RESULTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or damaged: the resume writes it again
        return None
    if not isinstance(summary, dict) or summary.get("epochs") != epochs:
        return None  # another run's, or an earlier, shorter one's: not these epochs' time
    value = summary.get("seconds_per_epoch")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None
