"""Which resume call a run folder's config.json asks for (training/run_task.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linearnets.training.run_task import held_resume


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
