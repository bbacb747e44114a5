"""A linear-regression run's config.json read back for its resume
(:mod:`linearnets.tasks.linreg_saved`): its 'resumes' entries too, hand edits refused from Python
and the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import linearnets as ln
from linearnets.cli import main
from linearnets.errors import ResumeWarning, UsageError
from linearnets.tasks.linreg_saved import read_linreg_config


def test_a_runs_config_json_is_read_back_as_it_was_written(tmp_path: Path) -> None:
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, lr=0.1, num_examples=200, out=out))
    saved = read_linreg_config(out)
    assert saved == json.loads((out / "config.json").read_text())
    assert saved["task"] == "linreg" and saved["config"]["lr"] == 0.1


def test_a_config_json_the_user_may_not_read_is_sent_to_chmod_not_to_be_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sound config.json of mode 000 was "not a readable JSON config" with the fix "put the
    run's config.json back": the fix is its permissions (faked: root reads anything)."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    path, real = out / "config.json", Path.read_text

    def refused(file: Path, *args: Any, **kwargs: Any) -> str:
        if file == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refused)
    with pytest.raises(UsageError) as info:
        read_linreg_config(out)
    assert str(info.value) == (
        f"{path} cannot be read (Permission denied); make it readable (chmod u+r {path}) and "
        "try again"
    )


def test_a_linreg_config_json_without_its_task_is_named_a_linreg_runs(tmp_path: Path) -> None:
    """Its "task" removed by hand, it was called "of a softmax run" and sent to resume_softmax,
    which refused its true_w. Its settings tell linear regression: the task put back resumes it."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    path = out / "config.json"
    saved = json.loads(path.read_text())
    del saved["task"]
    path.write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        read_linreg_config(out)
    assert str(info.value) == (
        f"{path} names no task, but its settings (true_w, num_examples, noise_std) are a "
        'linear-regression run\'s, which names task "linreg"; add "task": "linreg" to it, or put '
        "back the run's config.json from a copy of the run"
    )
    path.write_text(json.dumps({"task": "linreg", **saved}))  # the fix
    assert len(ln.resume_linreg(out, epochs=2).history.epochs) == 2


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
        f'{path} names task "Linreg " (drop the blank and write it in lower case: "linreg"), '
        "which no run writes; correct it, or put back the run's config.json from a copy of the run"
    )
    path.write_text(json.dumps(saved))
    assert read_linreg_config(out) == saved


@pytest.mark.parametrize(
    ("task", "said"),
    [
        (["linreg"], 'an array ["linreg"]'),
        ({"a": None}, 'an object {"a": null}'),
        ("softmax", '"softmax"'),
    ],
    ids=["array", "object", "string"],
)
def test_a_task_that_is_no_runs_is_refused_named_as_the_file_holds_it(
    tmp_path: Path, task: object, said: str
) -> None:
    """["linreg"] was named in Python's words, ['linreg'] ({"a": null}: {'a': None}; "softmax":
    'softmax')."""
    (tmp_path / "config.json").write_text(json.dumps({"task": task, "config": {}}))
    said = (
        f"the run folder {tmp_path} holds no linear-regression run (its config.json is for a run "
        f"of task {said}, not linear regression); a softmax run resumes with: "
        f"linearnets.resume_softmax('{tmp_path}'); a linear-regression run's config.json names "
        'task "linreg": correct it'
    )
    with pytest.raises(UsageError, match=f"^{re.escape(said)}$"):
        read_linreg_config(tmp_path)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (b"[" * 5000 + b"]" * 5000, "it nests arrays or objects more than 100 levels deep"),
        (b"1" + b"0" * 5000, "it holds a number of more than the 4300 digits Python reads"),
    ],
    ids=["nested-past-json", "long-number"],
)
def test_a_config_json_past_what_json_reads_is_refused_as_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: bytes, why: str
) -> None:
    """An "lr" nested 5,000 arrays deep ended the resume with "unexpected RecursionError" on Python
    3.11, whose json reads ~1,000 levels (3.12.3's and 3.13's read it: their refusal differed); 1 and
    5,000 zeros, "cannot be read (ValueError: Exceeds the limit (4300 digits) ...; use
    sys.set_int_max_str_digits() ...)", the interpreter's fix. Both are refused as read_config
    refuses them, with the file's fix."""
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--num-examples", "200", "--out", str(out)]) == 0
    path = out / "config.json"
    saved = json.loads(path.read_text())
    saved["config"]["lr"] = "LR"
    path.write_bytes(json.dumps(saved).encode().replace(b'"LR"', value))
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: {path} is not a readable JSON config ({why}); delete "
        f"config.json alone (not the folder), or restore it from a copy of the run: linearnets "
        f"linreg --resume {out} rebuilds it from checkpoint.pt (without the record of earlier "
        "resumes or your notes)\n"
    )
    path.unlink()  # as it says
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 0
    assert json.loads(path.read_text())["config"]["lr"] == 0.03


def _forced_resume(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A 1-epoch run resumed to 2 epochs with lr=0.05, forced: its config.json, read."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    ln.resume_linreg(out, epochs=2, lr=0.05, force=True)
    path = out / "config.json"
    saved = json.loads(path.read_text())
    assert [(r["from_epoch"], r["forced"]) for r in saved["resumes"]] == [(1, {"lr": [0.03, 0.05]})]
    return out, path, saved


def test_a_resumes_entry_edited_by_hand_is_refused_naming_it_and_resumes_once_corrected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "from_epoch": "1" (or 2.5, true, -1) was taken silently, read as an entry that trained,
    and copied into the next config.json as it was; refused as a softmax run's is."""
    out, path, saved = _forced_resume(tmp_path)
    saved["resumes"][0]["from_epoch"] = "1"
    path.write_text(json.dumps(saved))
    said = (
        f"{path}: 'from_epoch' of entry 1 of 1 in 'resumes' must be an integer >= 0 (the epochs "
        "the run's checkpoint had finished when that resume started; 0 where it started the run "
        """over), got the string "1"; correct it, or put back the run's config.json from a copy """
        "of the run"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(said)}$"):
        ln.resume_linreg(out, epochs=3)
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "3"]) == 2
    assert capsys.readouterr().err == f"linearnets linreg: error: {said}\n"
    saved["resumes"][0]["from_epoch"] = 1  # as advised
    path.write_text(json.dumps(saved))
    assert ln.resume_linreg(out, epochs=3).history.epochs[-1].epoch == 3
    resumes = json.loads(path.read_text())["resumes"]
    assert [(r["from_epoch"], r["forced"]) for r in resumes] == [(1, {"lr": [0.03, 0.05]}), (2, {})]


@pytest.mark.parametrize(
    ("forced", "said"),
    [
        (
            {"lr": 5},
            "'lr' of 'forced' of entry 1 of 1 in 'resumes' must be an array of two setting "
            "values, each a number, a string, null or an array of numbers (the value before and "
            'the value forced, as {"lr": [0.03, 0.05]}), got the number 5',
        ),
        (
            [],
            "'forced' of entry 1 of 1 in 'resumes' must be an object of the settings that resume "
            "changed with --force, each [old, new] as the settings' values (as "
            '{"lr": [0.03, 0.05]}; {} where it forced none), got an array []',
        ),
    ],
    ids=["pair", "object"],
)
def test_a_forced_edited_by_hand_is_refused_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], forced: Any, said: str
) -> None:
    """{"lr": 5} and [] were taken silently; the command line says force as --force."""
    out, path, saved = _forced_resume(tmp_path)
    saved["resumes"][0]["forced"] = forced
    path.write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "3"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: {path}: {said}; correct it, or put back the run's "
        "config.json from a copy of the run\n"
    )


def test_an_entry_that_is_no_object_is_refused_with_its_removal_as_a_fix(tmp_path: Path) -> None:
    """5 in 'resumes' was skipped by every reader, and copied into the next config.json."""
    out, path, saved = _forced_resume(tmp_path)
    path.write_text(json.dumps({**saved, "resumes": [*saved["resumes"], 5]}))
    said = (
        f"{path}: entry 2 of 2 in 'resumes' must be an object (one resume's record: its "
        "'from_epoch', 'forced' and environment), got the number 5; remove it (the record of "
        "that resume is lost, the run is not), or put back the run's config.json from a copy of "
        "the run"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(said)}$"):
        read_linreg_config(out)
    path.write_text(json.dumps(saved))  # removed, as advised
    assert read_linreg_config(out) == saved


def test_the_entries_linear_regression_resumes_write_are_read_back(tmp_path: Path) -> None:
    """A forced switch to a data file writes null, an array (true_w) and a path; a forced impl a
    string: each is read back as written, and resumes again."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, out=out))
    data = tmp_path / "d.npz"
    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)  # (n, d), as true_w's
    np.savez(data, X=X, y=X @ np.array([1.0, -1.0], np.float32) + 0.5)
    with pytest.warns(ResumeWarning, match="loss"):  # scratch's ½·(ŷ − y)², concise's (ŷ − y)²
        ln.resume_linreg(out, epochs=2, data=data, impl="concise", force=True)
    saved = read_linreg_config(out)
    assert saved["resumes"][-1]["forced"] == {
        "impl": ["scratch", "concise"],
        "data": [None, str(data)],
        "num_examples": [50, None],
        "noise_std": [0.01, None],
        "true_w": [[2.0, -3.4], None],
        "true_b": [4.2, None],
    }
    assert ln.resume_linreg(out, epochs=3).history.epochs[-1].epoch == 3
