"""Which task a run folder or a checkpoint is of, and which API call continues the run: a
linear-regression run's folder is resumed by ``resume_linreg``, a softmax run's by
``resume_softmax`` (D2L §3.2.7, §3.6.6); each refuses the other's folder, and the other's
checkpoint copied into its own (:func:`refuse_foreign_checkpoint`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from linearnets._json import loads_shallow
from linearnets._text import shown_path
from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.errors import CheckpointError
from linearnets.training.config_sections import task_named

if TYPE_CHECKING:
    from linearnets.training.checkpoint import Checkpoint

__all__ = [
    "ResumeCall",
    "asked_resume",
    "checkpoint_task",
    "held_checkpoint_task",
    "held_resume",
    "refuse_foreign_checkpoint",
]

# the API call that continues a run, named in the messages that advise one
ResumeCall = Literal["resume_softmax", "resume_linreg"]
# "linreg" is linearnets.tasks.linreg_run.TASK, which this layer does not import: config.json's
# "task", and its checkpoint's extra["task"]; a softmax run's record none
_LINREG = "linreg"
_SOFTMAX = "softmax"
# the settings one task's config has and the other's lacks: a softmax run's checkpoint, which
# records no task, is told by them
_SOFTMAX_SETTINGS, _LINREG_SETTINGS = (
    frozenset(f.name for f in fields(config) if not f.name.startswith("_"))
    for config in (SoftmaxConfig, LinregConfig)
)
_SOFTMAX_ONLY = _SOFTMAX_SETTINGS - _LINREG_SETTINGS
_LINREG_ONLY = _LINREG_SETTINGS - _SOFTMAX_SETTINGS


def asked_resume(
    task: Literal["softmax", "linreg"],
    run_dir: str | os.PathLike[str],
    overrides: Mapping[str, Any],
    *,
    force: bool,
) -> str:
    """Return the call that resumes ``run_dir``, a run of ``task``, as it was asked: its settings ``overrides`` (a
    path as its string) and ``force``, e.g. ``linearnets.resume_softmax('run', lr=0.05,
    force=True)``; the plain call where neither is given. Advised where a resume stopped before
    ``config.json`` recorded its settings: the plain one then trains the run's old ones (the
    command line says it as the command, ``linearnets.cli._cli_words.cli_words``)."""
    words = [repr(str(run_dir))]
    words += [
        f"{k}={(str(v) if isinstance(v, os.PathLike) else v)!r}" for k, v in overrides.items()
    ]
    words += ["force=True"] if force else []
    return f"linearnets.resume_{task}({', '.join(words)})"


def held_resume(run_dir: Path, default: ResumeCall) -> ResumeCall:
    """Return the resume call of the run ``run_dir`` holds: ``resume_linreg`` where its
    config.json is a linear-regression run's, ``resume_softmax`` where it is a softmax run's (no
    "task"); where config.json does not say (none, or one that cannot be read), by the task its
    checkpoint is of (:func:`checkpoint_task`); else ``default``. The task is read as the readers
    take it (:func:`~linearnets.training.config_sections.task_named`): a misspelt "Task" is the
    run's."""
    saved = _saved_config(run_dir)
    if saved is None:
        # a linreg folder whose config.json is gone (a write of it failed, a hand deletion) was
        # advised the default, the softmax resume, which refuses its checkpoint
        return "resume_linreg" if held_checkpoint_task(run_dir) == _LINREG else default
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


def held_checkpoint_task(run_dir: Path) -> str | None:
    """Return the task ``run_dir``'s checkpoint is of (:func:`checkpoint_task`), ``None`` where
    it has none to read, or nothing there tells."""
    # imported here: the checkpoint's writer imports this module for its advice
    from linearnets.training.run_config import resumable_checkpoint

    ckpt = resumable_checkpoint(run_dir)
    return None if ckpt is None else checkpoint_task(ckpt.extra, ckpt.config)


def checkpoint_task(extra: object, config: object) -> str | None:
    """Return the task of the run that wrote a checkpoint holding ``extra`` and ``config``: the
    one ``extra`` records (a linear-regression run's, ``"linreg"``); where it records none (a
    softmax run's), the one whose settings ``config`` holds (``data_dir``, ``plot``, ``resize``:
    ``"softmax"``; ``noise_std``, ``true_w``, ...: ``"linreg"``). ``None`` where nothing tells,
    or a task no run writes is recorded (a hand edit). Either value may be anything a file held.
    """
    task = extra.get("task") if isinstance(extra, dict) else None
    if task is not None:
        return task if isinstance(task, str) and task in (_LINREG, _SOFTMAX) else None
    keys = set(config) if isinstance(config, dict) else set()
    if keys & _SOFTMAX_ONLY and not keys & _LINREG_ONLY:
        return _SOFTMAX
    if keys & _LINREG_ONLY and not keys & _SOFTMAX_ONLY:
        return _LINREG
    return None


def refuse_foreign_checkpoint(ckpt: Checkpoint, *, task: str) -> None:
    """Refuse ``ckpt``, read by a resume of a ``task`` run (``"softmax"``, ``"linreg"``), where
    it is the checkpoint of a run of the other task: copied from another run's folder, its
    settings and weights were refused as a damaged file's ("settings this linearnets does not
    know", "states this run cannot take"). A checkpoint whose task nothing tells passes: the
    checks of its values name what is wrong.

    Raises:
        CheckpointError: naming the file, the task it is of, and the fix.
    """
    found = checkpoint_task(ckpt.extra, ckpt.config)
    if found is not None and found != task:
        raise CheckpointError(
            f"checkpoint {shown_path(ckpt.path)} is a {found} run's checkpoint, not a {task} "
            f"run's: it was copied from another run's folder; restore {ckpt.path.name} from a "
            f"copy of the run, or move it out of the folder, keeping it (a {found} run's "
            "weights), and resume with force=True to start the run over"
        )
