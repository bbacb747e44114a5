"""A linear-regression run's config.json read back for its resume
(:mod:`linearnets.tasks.linreg_saved`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import linearnets as ln
from linearnets.errors import UsageError
from linearnets.tasks.linreg_saved import read_linreg_config


def test_a_runs_config_json_is_read_back_as_it_was_written(tmp_path: Path) -> None:
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, lr=0.1, num_examples=200, out=out))
    saved = read_linreg_config(out)
    assert saved == json.loads((out / "config.json").read_text())
    assert saved["task"] == "linreg" and saved["config"]["lr"] == 0.1


def test_a_folder_of_a_softmax_run_or_of_none_is_refused_with_the_resume_it_does_hold(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": {"epochs": 3}}))  # a softmax run's
    with pytest.raises(UsageError) as info:
        read_linreg_config(run)
    assert str(info.value) == (
        f"the run folder {run} holds no linear-regression run (its config.json is of a softmax "
        f"run); resume it with: linearnets.resume_softmax('{run}')"
    )
    (run / "config.json").unlink()
    with pytest.raises(UsageError, match=r"holds no config\.json, so it holds no run; pass the "):
        read_linreg_config(run)
    with pytest.raises(UsageError, match=r"does not exist or is not a folder; pass the folder"):
        read_linreg_config(tmp_path / "none")


def test_a_task_respelled_by_hand_is_named_with_its_fix_not_taken_for_a_softmax_run(
    tmp_path: Path,
) -> None:
    """A linear-regression run's "task" edited to "Linreg " was said to be another task's run, with
    the softmax resume as its fix, which refuses it."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    path = out / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "task": "Linreg "}))
    with pytest.raises(UsageError) as info:
        read_linreg_config(out)
    assert str(info.value) == (
        f"{path} names task 'Linreg ' (drop the blank and write it in lower case: 'linreg'), "
        "which no run writes; correct it, or put back the run's config.json from a copy of the run"
    )
    path.write_text(json.dumps(saved))
    assert read_linreg_config(out) == saved
