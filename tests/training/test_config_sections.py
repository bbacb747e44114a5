"""Tests for linearnets.training.config_sections: the top-level keys of a run's config.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.cli import main
from linearnets.errors import UsageError
from linearnets.training.config_sections import SECTIONS, check_sections, notes_of, task_named

# a softmax run's config.json, as config_file.write_run_config writes it (values shortened)
RUN = {"config": {}, "environment": {}, "data_source": "Fashion-MNIST", "device": "cpu",
       "world_size": 1, "data_sha256": None, "resumes": []}  # fmt: skip
# a linear-regression run's, as linreg_run.write_run_config writes it (values shortened)
LINREG = {"task": "linreg", "config": {}, "environment": {}, "data_source": "synthetic",
          "data_sha256": None, "resumes": []}  # fmt: skip
# notes a letter from "task" (changed, dropped, added), or more: no misspelling of it
NEAR_TASK = ["mask", "desk", "tag", "ask", "tasks", "talk"]
FIX = "put back the run's config.json from a copy of the run"


def _fix() -> str:
    return FIX


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            {"resume": []},
            "got 'resume' (did you mean 'resumes'?), which would go unread; correct it",
        ),
        (
            {"resum": []},
            "got 'resum' (did you mean 'resumes'?), which would go unread; correct it",
        ),
        (
            {"enviroment": {}},
            "got 'enviroment' (did you mean 'environment'?), which would go unread; correct it",
        ),
        (
            {"Data_Source": "x"},
            "got 'Data_Source' (write it in lower case: 'data_source'), which would go unread; "
            "correct it",
        ),
        (
            {"epochs": 5},
            "got 'epochs' (a setting: the 'config' section holds them), which would go unread; "
            "correct it",
        ),
        (
            {"tsak": "linreg"},
            "got 'tsak' (did you mean 'task'?), which would go unread; correct it",
        ),
        (
            {"taks": "linreg"},
            "got 'taks' (did you mean 'task'?), which would go unread; correct it",
        ),
        (
            {"Task": "linreg"},
            "got 'Task' (write it in lower case: 'task'), which would go unread; correct it",
        ),
        (
            {"task ": "linreg"},
            "got 'task ' (drop the blank: 'task'), which would go unread; correct it",
        ),
        (
            {"lr": 0.5, "world_sise": 2},
            "got 'lr' (a setting: the 'config' section holds them), 'world_sise' (did you mean "
            "'world_size'?), which would go unread; correct them",
        ),
    ],
    ids=[
        "misspelt", "dropped", "misspelt-long", "capitals", "setting", "swapped", "swapped-last",
        "capital", "blank", "two",
    ],
)  # fmt: skip
def test_a_top_level_key_meant_for_a_reader_that_passes_it_over_is_refused_naming_it(
    tmp_path: Path, edit: dict[str, Any], said: str
) -> None:
    """A misspelt section ("resume") or a setting out of 'config' ("epochs") went unread: a
    resume dropped the record of the run's resumes, a setting there changed nothing. Two letters
    swapped ("tsak", 0.75 from "task" as the note "tags" is) passed for a note."""
    path = tmp_path / "config.json"
    with pytest.raises(UsageError) as info:
        check_sections({**RUN, **edit}, path, fix=_fix)
    assert str(info.value) == (
        f"{path}: a top-level key must be a section a run writes, or a note of your own named "
        f"unlike any of them, {said}, or {FIX}"
    )


@pytest.mark.parametrize(
    ("keys", "instead"),
    [
        ({"confg": {}}, ", but keys no run writes: 'confg' (did you mean 'config'?)"),
        ({"Config": {}}, ", but keys no run writes: 'Config' (write it in lower case: 'config')"),
        ({"cfg": {}, "notes": "x"}, ", but keys no run writes: 'cfg', 'notes'"),
        ({}, ""),
    ],
    ids=["misspelt", "capital", "renamed", "gone"],
)
def test_a_runs_file_without_its_config_section_is_named_with_what_it_holds_instead(
    tmp_path: Path, keys: dict[str, Any], instead: str
) -> None:
    """A misspelt "config" was said as "is not a linearnets run config (it has no 'config'
    section)": another tool's file, of a run's file holding its environment and resumes."""
    saved = {k: v for k, v in RUN.items() if k != "config"} | keys
    path = tmp_path / "config.json"
    with pytest.raises(UsageError) as info:
        check_sections(saved, path, fix=_fix)
    again = "name the settings 'config' again, or " if keys else ""
    assert str(info.value) == (
        f"{path} has no 'config' section (the run's settings){instead}; {again}{FIX}"
    )
    # a key like 'config' alone tells a run's file too
    with pytest.raises(UsageError, match=r"has no 'config' section \(the run's settings\), but"):
        check_sections({"confg": {}}, path, fix=_fix)


@pytest.mark.parametrize(
    "saved",
    [
        {**RUN, "notes": "lr 0.1 was too high", "tags": ["baseline"], "comment": None},
        {"model_type": "bert", "epochs": 3, "lr": 0.1},  # another tool's: the caller names it
        {"model_type": "bert", "mask": 0.15},  # a letter from "task", in no run's file
        {"task": "linreg", "config": {}, "author": "me"},
    ],
    ids=["notes", "another-tools", "another-tools-mask", "linreg"],
)
def test_notes_of_ones_own_are_taken_and_kept(tmp_path: Path, saved: dict[str, Any]) -> None:
    """A key unlike any section (a "tags" is 0.75 from "task": no misspelling of it) is a note."""

    def no_fix() -> str:
        raise AssertionError("the fix is read for a refusal only (it may load the checkpoint)")

    check_sections(saved, tmp_path / "config.json", fix=no_fix)
    assert notes_of(saved) == {k: v for k, v in saved.items() if k not in SECTIONS}
    assert notes_of(RUN) == {}


@pytest.mark.parametrize("note", NEAR_TASK)
@pytest.mark.parametrize("run", [RUN, LINREG], ids=["softmax", "linreg"])
def test_a_note_a_letter_from_task_beside_a_runs_sections_is_a_note(
    tmp_path: Path, run: dict[str, Any], note: str
) -> None:
    """ "mask", "ask", "tasks" (a letter changed, dropped, added) were refused as a misspelt
    "task": in a name of four letters, words of the user's own as often. Beside a linreg run's
    "task", or in a softmax run's file (its "device" tells it: it names no task), a note."""

    def no_fix() -> str:
        raise AssertionError("no refusal")

    saved = {**run, note: "mine"}
    check_sections(saved, tmp_path / "config.json", fix=no_fix)
    assert notes_of(saved) == {note: "mine"}
    assert task_named(saved) == run.get("task")


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("tsak", "did you mean 'task'?"),
        ("taks", "did you mean 'task'?"),
        ("Task", "write it in lower case: 'task'"),
        ("task ", "drop the blank: 'task'"),
        ("tadk", "did you mean 'task'?"),
        ("tasks", "did you mean 'task'?"),
        ("ask", "did you mean 'task'?"),
    ],
)
def test_a_linreg_runs_task_misspelt_even_by_a_letter_is_refused(
    tmp_path: Path, key: str, why: str
) -> None:
    """Where the file is a linreg run's that lost its "task" (no "device": no softmax run's), a
    key a letter from it is its task misspelt, not a note: taken for one, the file would name no
    task, a softmax run's, and its resume be the softmax one."""
    saved = {**{k: v for k, v in LINREG.items() if k != "task"}, key: "linreg"}
    path = tmp_path / "config.json"
    with pytest.raises(UsageError) as info:
        check_sections(saved, path, fix=_fix)
    assert str(info.value) == (
        f"{path}: a top-level key must be a section a run writes, or a note of your own named "
        f"unlike any of them, got {key!r} ({why}), which would go unread; correct it, or {FIX}"
    )
    assert task_named(saved) == "linreg"  # the resume advised is linreg's


def test_notes_a_letter_from_task_are_written_back_by_either_resume(tmp_path: Path) -> None:
    """A linreg and a softmax run's resume refused their config.json for a note "mask" or "ask";
    they keep such notes, and write them back."""
    import linearnets as ln

    notes = {note: f"my {note}" for note in NEAR_TASK}
    out = tmp_path / "l"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=out))
    path = out / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **notes}))
    assert len(ln.resume_linreg(out, epochs=2).history.epochs) == 2
    assert notes_of(json.loads(path.read_text())) == notes
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    out = tmp_path / "s"
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "1", "--plot", "none", "--out", str(out)]) == 0  # fmt: skip
    path = out / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **notes}))
    assert main(["softmax", "--resume", str(out), "--epochs", "2", "--plot", "none"]) == 0
    assert notes_of(json.loads(path.read_text())) == notes


def test_the_sections_are_those_a_softmax_and_a_linreg_run_write(tmp_path: Path) -> None:
    """SECTIONS is what the writers write: a new section is no note (kept as one, and its
    misspelling taken), nor a note a section."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    common = ["--epochs", "1", "--plot", "none"]
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), *common, "--out", str(tmp_path / "s")]) == 0  # fmt: skip
    assert main(["linreg", "--epochs", "1", "--out", str(tmp_path / "l")]) == 0
    softmax = json.loads((tmp_path / "s" / "config.json").read_text())
    linreg = json.loads((tmp_path / "l" / "config.json").read_text())
    assert set(softmax) | set(linreg) == SECTIONS
    assert set(softmax) == SECTIONS - {"task"}
    assert set(linreg) == SECTIONS - {"device", "world_size"}


def test_a_linreg_runs_task_with_two_letters_swapped_is_named_not_taken_for_a_softmax_run(
    tmp_path: Path,
) -> None:
    """A "tsak" passed for a note: the run's file named no task, so linreg's resume said it held
    a softmax run and sent it to 'linearnets softmax --resume', which refused its settings. A
    "tags" beside the run's own keys is still a note, kept by the resume."""
    import linearnets as ln

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=out))
    path = out / "config.json"
    saved = json.loads(path.read_text())
    swapped = {("tsak" if key == "task" else key): value for key, value in saved.items()}
    path.write_text(json.dumps(swapped))
    with pytest.raises(UsageError) as info:
        ln.resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"{path}: a top-level key must be a section a run writes, or a note of your own named "
        "unlike any of them, got 'tsak' (did you mean 'task'?), which would go unread; correct "
        "it, or put back the run's config.json from a copy of the run"
    )
    path.write_text(json.dumps({**saved, "tags": ["baseline"]}))
    assert len(ln.resume_linreg(out, epochs=2).history.epochs) == 2
    assert json.loads(path.read_text())["tags"] == ["baseline"]
