"""Which API call continues the run a folder holds, for the messages that advise one: a
linear-regression run's folder is resumed by ``resume_linreg``, a softmax run's by
``resume_softmax`` (D2L §3.2.7, §3.6.6); each refuses the other's folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from linearnets.training.config_sections import task_named

__all__ = ["ResumeCall", "held_resume"]

# the API call that continues a run, named in the messages that advise one
ResumeCall = Literal["resume_softmax", "resume_linreg"]


def held_resume(run_dir: Path, default: ResumeCall) -> ResumeCall:
    """Return the resume call of the run ``run_dir`` holds: ``resume_linreg`` where its
    config.json is a linear-regression run's, ``resume_softmax`` where it is a softmax run's (no
    "task"), else ``default`` (no config.json, or one that cannot be read). The task is read as
    the readers take it (:func:`~linearnets.training.config_sections.task_named`): a misspelt
    "Task" is the run's."""
    # config.json is linearnets.training.run_files.CONFIG_FILE, whose module imports the writer
    # of the run's files, which names this call
    path = run_dir / "config.json"
    if not path.is_file():  # a FIFO would block the read
        return default
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    if not isinstance(saved, dict):
        return default
    task = task_named(saved)
    if task is None:
        return "resume_softmax"
    # "linreg" is linearnets.tasks.linreg_run.TASK, which this layer does not import
    return "resume_linreg" if task == "linreg" else default
