"""A run folder's metrics files: each epoch's row appended to ``metrics.jsonl`` and ``metrics.csv``.

A callback (:class:`MetricsWriter`); a resume truncates both files to the epochs it keeps. The other
callbacks are :mod:`linearnets.training.callbacks`'s. See D2L §3.6.6.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from linearnets._json import dumps_strict
from linearnets.training.callback_base import Callback
from linearnets.training.checkpoint_write import run_file_error, write_text_atomic
from linearnets.training.history import EpochMetrics

__all__ = ["MetricsWriter"]


class MetricsWriter(Callback):
    """Append each epoch's metrics to ``metrics.jsonl`` and ``metrics.csv`` in ``run_dir``.

    Resuming a run truncates both files to the epochs already done, so they never hold an epoch twice.
    A file that cannot be written raises :class:`~linearnets.errors.RunFileError` naming it.
    """

    FIELDS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")

    def __init__(self, run_dir: Path) -> None:
        self.jsonl = Path(run_dir) / "metrics.jsonl"
        self.csv = Path(run_dir) / "metrics.csv"

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        rows = []
        if start_epoch and self.jsonl.exists():
            for line in self.jsonl.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    if row["epoch"] <= start_epoch:
                        rows.append(row)
        self.rewrite(rows)

    def rewrite(self, rows: list[dict[str, Any]]) -> None:
        """Replace both files with ``rows`` (one dict of :attr:`FIELDS` per epoch), atomically.

        A crash or a full disk leaves each file whole, as it was or as it is meant to be.
        """
        write_text_atomic(self.jsonl, "".join(dumps_strict(r) + "\n" for r in rows))
        write_text_atomic(self.csv, self._csv_text(rows, header=True))

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        row = metrics.as_dict()
        self._append(self.jsonl, dumps_strict(row) + "\n")
        self._append(self.csv, self._csv_text([row], header=False))

    def _csv_text(self, rows: list[dict[str, Any]], *, header: bool) -> str:
        """Return ``rows`` as CSV lines (``\\r\\n``-terminated, as :mod:`csv` writes them)."""
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.FIELDS)
        if header:
            writer.writeheader()
        writer.writerows(rows)
        return text.getvalue()

    @staticmethod
    def _append(path: Path, text: str) -> None:
        """Append ``text`` to ``path``; a failure (a full disk, say) names the file."""
        try:
            with path.open("a", newline="") as f:
                f.write(text)
        except OSError as exc:  # raised at the write or only at the close's flush: both named
            raise run_file_error(path, exc) from exc
