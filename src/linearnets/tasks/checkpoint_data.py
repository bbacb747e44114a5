"""A checkpoint trained on other data than the run's refused (D2L §3.6 run folders).

The checkpoint records the SHA-256 of the data it was trained on (``extra["data_sha256"]``),
``config.json`` the run's (``data_sha256``): a checkpoint copied in from a run on another file is
refused unless forced. How a data file's content stands to the checkpoint's is
:mod:`linearnets.tasks.resume_content`'s. Shared by both tasks' resumes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets._text import shown_path
from linearnets.errors import UsageError
from linearnets.tasks.resume_content import sha256_or_none
from linearnets.tasks.resume_entries import forced_values_since
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.runs import CONFIG_FILE

if TYPE_CHECKING:
    from linearnets.training.checkpoint import Checkpoint

__all__ = ["refuse_checkpoint_data"]


def refuse_checkpoint_data(
    ckpt: Checkpoint,
    saved: dict[str, Any],
    run_dir: Path,
    *,
    force: bool,
    data: str | Path | None = None,
) -> None:
    """Refuse, unless ``force``, a checkpoint trained on other data than the run's: its
    ``extra["data_sha256"]`` is not the SHA-256 ``config.json`` (``saved``) records, nor one an
    earlier resume from its epoch forced (``forced``'s ``data_sha256``, ``[old, new]``: that
    resume stopped before its first checkpoint). A checkpoint copied in from a run on another
    file; the settings compared alone took it (a file's path is no change: a move keeps the
    content). Either record missing or ``null`` (an earlier linearnets', synthetic data): no check.
    Nor where the file the resume continues on (``data``) holds the checkpoint's own content: the run continues as it trained, whatever ``config.json`` records (it was
    refused, and forced recorded a change of content that was none). Shared by both tasks'
    resumes.

    Raises:
        UsageError: naming both files, their SHA-256s and the fixes.
    """
    trained, recorded = ckpt.extra.get("data_sha256"), saved.get("data_sha256")
    if force or not (isinstance(trained, str) and isinstance(recorded, str)):
        return
    if trained == recorded or recorded in forced_values_since(saved, ckpt.epoch).get(
        "data_sha256", []
    ):
        return
    if data is not None and sha256_or_none(Path(data)) == trained:
        return
    section = saved.get("config")
    data = section.get("data") if isinstance(section, dict) else None
    raise UsageError(
        f"{shown_path(ckpt.path)} was trained on data={str(ckpt.config.get('data'))!r} (SHA-256 "
        f"{trained[:12]}…), but {shown_path(run_dir / CONFIG_FILE)} is of the run on "
        f"data={str(data)!r} (SHA-256 {recorded[:12]}…) (a checkpoint from another run?), which "
        f"would change its result; put the run's own {CHECKPOINT_FILE} back, or pass force=True "
        f"to continue from this one on {CONFIG_FILE}'s data"
    )
