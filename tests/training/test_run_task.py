"""Which resume call a run folder's config.json asks for, and which task a checkpoint is of
(training/run_task.py)."""

from __future__ import annotations

import errno
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from linearnets.errors import CheckpointError
from linearnets.training.checkpoint import load_checkpoint
from linearnets.training.run_task import (
    checkpoint_task,
    held_checkpoint_task,
    held_resume,
    refuse_foreign_checkpoint,
)


@pytest.mark.parametrize(
    ("config", "call"),
    [
        ('{"task": "linreg", "config": {}}', "resume_linreg"),
        ('{"config": {}}', "resume_softmax"),  # a softmax run's names no task
        ('{"task": "linreg"}', "resume_linreg"),
        ('{"task": "other"}', "resume_softmax"),  # no run writes it: the default
        ("{", "resume_softmax"),  # unreadable: the default
        ("[]", "resume_softmax"),  # no object: the default
        (None, "resume_softmax"),  # no config.json: the default
    ],
)  # fmt: skip
def test_the_resume_is_the_runs_own(tmp_path: Path, config: str | None, call: str) -> None:
    if config is not None:
        (tmp_path / "config.json").write_text(config)
    assert held_resume(tmp_path, "resume_softmax") == call


def test_the_default_is_the_callers_where_config_json_does_not_say(tmp_path: Path) -> None:
    assert held_resume(tmp_path, "resume_linreg") == "resume_linreg"
    (tmp_path / "config.json").write_text('{"task": "other"}')
    assert held_resume(tmp_path, "resume_linreg") == "resume_linreg"
    (tmp_path / "config.json").write_text("{}")  # a softmax run's, whoever asks
    assert held_resume(tmp_path, "resume_linreg") == "resume_softmax"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    """Reading a FIFO with no writer would block the error that names the resume."""
    os.mkfifo(tmp_path / "config.json")
    assert held_resume(tmp_path, "resume_linreg") == "resume_linreg"


def _run(tmp_path: Path, task: str) -> Path:
    """Return the folder of a finished one-epoch run of ``task``, its config.json deleted."""
    import linearnets as ln

    out = tmp_path / task
    if task == "linreg":
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=out))
    else:
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)
        np.savez(tmp_path / "d.npz", X=X, y=y)
        ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=out))
    (out / "config.json").unlink()
    return out


@pytest.mark.parametrize("config", [None, "{", "[]"], ids=["gone", "unreadable", "no-object"])
def test_a_linreg_folder_whose_config_json_does_not_say_is_resumed_by_its_checkpoints_task(
    tmp_path: Path, config: str | None
) -> None:
    """A linreg run's checkpoint records its task (extra["task"]): with no config.json to read,
    the folder was given the default, the softmax resume, which refuses it. A softmax run's
    checkpoint records none: the default still."""
    out = _run(tmp_path, "linreg")
    if config is not None:
        (out / "config.json").write_text(config)
    assert held_resume(out, "resume_softmax") == "resume_linreg"
    assert held_checkpoint_task(out) == "linreg"
    softmax = _run(tmp_path, "softmax")
    assert held_checkpoint_task(softmax) == "softmax"  # it records none: told by its settings
    assert held_resume(softmax, "resume_softmax") == "resume_softmax"
    assert held_resume(softmax, "resume_linreg") == "resume_linreg"


def test_a_failed_write_in_a_linreg_folder_without_config_json_advises_linreg_resume(
    tmp_path: Path,
) -> None:
    """config.json that could not be written (a full disk) in a linreg run's folder holding its
    checkpoint advised linearnets softmax --resume DIR, which refuses the folder."""
    from linearnets.cli._report import one_line
    from linearnets.training.checkpoint_write import run_file_error

    out = _run(tmp_path, "linreg")
    exc = run_file_error(out / "config.json", OSError(errno.EIO, "Input/output error"))
    said = (
        f"{out / 'config.json'} could not be written: [Errno 5] Input/output error; the "
        "checkpoint of the run's last finished epoch is kept: fix that and continue it with"
    )
    assert str(exc) == f"{said} linearnets.resume_linreg({str(out)!r})"
    line, command = one_line(exc).rsplit(" with ", 1)
    assert line == said.removesuffix(" with")
    assert shlex.split(command) == ["linearnets", "linreg", "--resume", str(out)]


@pytest.mark.parametrize(
    ("extra", "config", "task"),
    [
        ({"task": "linreg"}, {"lr": 0.1}, "linreg"),  # recorded: a linear-regression run's
        ({"task": "linreg"}, {"resize": None}, "linreg"),  # the record wins over the settings
        ({"guard": None}, {"lr": 0.1, "data_dir": None, "resize": None}, "softmax"),  # no record
        ({}, {"lr": 0.1, "noise_std": 0.01, "true_w": [2.0]}, "linreg"),
        ({}, {"lr": 0.1}, None),  # settings both tasks have: nothing tells
        ({}, {"resize": None, "noise_std": 0.01}, None),  # both tasks' settings: nothing tells
        ({"task": "Linreg"}, {"resize": None}, None),  # a task no run writes: a hand edit
        ({"task": 5}, {"resize": None}, None),
        ("extra", [1], None),  # no dicts, as a hand-edited file may hold
    ],
)  # fmt: skip
def test_a_checkpoint_is_of_the_task_it_records_else_of_the_one_whose_settings_it_holds(
    extra: object, config: object, task: str | None
) -> None:
    assert checkpoint_task(extra, config) == task


def test_a_checkpoint_of_the_other_task_is_refused_naming_its_task(tmp_path: Path) -> None:
    """A run's checkpoint copied into a folder of the other task's run was refused as damaged
    ("settings this linearnets does not know", "states this run cannot take")."""
    for task, other in (("linreg", "softmax"), ("softmax", "linreg")):
        out = _run(tmp_path, task)
        assert held_checkpoint_task(out) == task
        ckpt = load_checkpoint(out / "checkpoint.pt")
        refuse_foreign_checkpoint(ckpt, task=task)  # its own: passes
        path = re.escape(str(out / "checkpoint.pt"))
        with pytest.raises(
            CheckpointError,
            match=rf"^checkpoint {path} is a {task} run's checkpoint, not a {other} run's: it was "
            r"copied from another run's folder; restore checkpoint\.pt from a copy of the run, "
            rf"or move it out of the folder, keeping it \(a {task} run's weights\), and resume "
            r"with force=True to start the run over$",
        ):
            refuse_foreign_checkpoint(ckpt, task=other)
    assert held_checkpoint_task(tmp_path) is None  # no checkpoint
