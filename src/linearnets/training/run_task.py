"""Which API call continues the run a folder holds, for the messages that advise one: a
linear-regression run's folder is resumed by ``resume_linreg``, a softmax run's by
``resume_softmax`` (D2L §3.2.7, §3.6.6); each refuses the other's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from linearnets._json import loads_shallow
from linearnets.training.config_sections import task_named

__all__ = ["ResumeCall", "held_resume"]

# the API call that continues a run, named in the messages that advise one
ResumeCall = Literal["resume_softmax", "resume_linreg"]
# "linreg" is linearnets.tasks.linreg_run.TASK, which this layer does not import: config.json's
# "task", and its checkpoint's extra["task"]
_LINREG = "linreg"


def held_resume(run_dir: Path, default: ResumeCall) -> ResumeCall:
    """Return the resume call of the run ``run_dir`` holds: ``resume_linreg`` where its
    config.json is a linear-regression run's, ``resume_softmax`` where it is a softmax run's (no
    "task"); where config.json does not say (none, or one that cannot be read), by the task its
    checkpoint records (a linear-regression run's names ``"linreg"``); else ``default``. The task
    is read as the readers take it
    (:func:`~linearnets.training.config_sections.task_named`): a misspelt "Task" is the run's."""
    saved = _saved_config(run_dir)
    if saved is None:
        # a linreg folder whose config.json is gone (a write of it failed, a hand deletion) was
        # advised the default, the softmax resume, which refuses its checkpoint
        return "resume_linreg" if _checkpoint_task(run_dir) == _LINREG else default
    task = task_named(saved)
    if task is None:
        return "resume_softmax"
    return "resume_linreg" if task == _LINREG else default


def _saved_config(run_dir: Path) -> dict[str, Any] | None:
    """Return ``run_dir``'s config.json, or ``None`` where there is none to read as an object."""
    # config.json is linearnets.training.run_files.CONFIG_FILE, whose module imports the writer
    # of the run's files, which names this call
    path = run_dir / "config.json"
    if not path.is_file():  # a FIFO would block the read
        return None
    try:
        saved = loads_shallow(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def _checkpoint_task(run_dir: Path) -> object:
    """Return the task ``run_dir``'s checkpoint records, ``None`` where it has none to read (a
    softmax run's records none)."""
    # imported here: the checkpoint's writer imports this module for its advice
    from linearnets.errors import CheckpointError
    from linearnets.training.checkpoint import CHECKPOINT_FILE, load_checkpoint

    try:
        return load_checkpoint(run_dir / CHECKPOINT_FILE).extra.get("task")
    except (CheckpointError, OSError):  # none, or none usable: nothing here tells the task
        return None
