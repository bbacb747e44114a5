"""A run folder's logged epochs, which a resume without a checkpoint must not throw away.

Each epoch's checkpoint is written before its ``metrics.jsonl`` row, so a logged epoch beside no
``checkpoint.pt`` means the checkpoint went missing: starting the run over would overwrite the
logged work. Both tasks' resumes refuse it unless forced (:func:`check_logged_epochs`): used by
:mod:`linearnets.tasks.resume` and :mod:`linearnets.tasks.linreg_resume`. See D2L §3.2.7.
"""

from __future__ import annotations

from pathlib import Path

from linearnets._text import counted, shown_path
from linearnets.errors import CheckpointError
from linearnets.training.checkpoint import CHECKPOINT_FILE

__all__ = ["check_logged_epochs", "epochs_logged"]


def check_logged_epochs(run_dir: Path, *, force: bool) -> None:
    """Refuse to start over a run with no checkpoint whose metrics logged finished epochs.

    Raises:
        CheckpointError: naming the run, the epochs logged, and the fixes (the checkpoint put
            back, or ``force=True`` to start over).
    """
    done = epochs_logged(run_dir)
    # each epoch's checkpoint is written before its metrics row: a logged epoch means a
    # checkpoint went missing, and starting over would throw that work away
    if done and not force:
        raise CheckpointError(
            f"the run in {shown_path(run_dir)} logged {counted(done, 'finished epoch')} in "
            f"metrics.jsonl but has no {CHECKPOINT_FILE} to continue from; put the checkpoint "
            "back, or pass force=True to start the run over, replacing its metrics"
        )


def epochs_logged(run_dir: Path) -> int:
    """Return how many epoch rows ``metrics.jsonl`` holds (0 when it is missing or unreadable)."""
    try:
        text = (run_dir / "metrics.jsonl").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if line.strip())
