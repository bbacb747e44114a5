"""A run stopped or damaged mid-way is finished by the resume its message advises (D2L §3.6.6).

End-to-end on a small ``--data`` file (no Fashion-MNIST needed): a stop after the last epoch of a
resume for more epochs, a ``kill -9`` after a checkpoint, a moved data file, a truncated checkpoint,
a damaged ``config.json``. The oracle is the run never stopped: the same weights (``torch.equal``)
and metrics at one thread.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.checkpoint import load_checkpoint
from linearnets.training.interrupt import TrainingInterrupted

from .conftest import SYSTEM_REFUSALS


def _data(path: Path, seed: int = 0) -> Path:
    """100 training and 30 test rows of 4 features, 3 classes."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(130, 4)).astype(np.float32), rng.integers(0, 3, size=130)
    np.savez(path, X=X[:100], y=y[:100], X_test=X[100:], y_test=y[100:])
    return path


def _base(data: Path) -> dict[str, Any]:
    return {"data": data, "plot": "none", "batch_size": 16, "num_threads": 1, "device": "cpu"}


def _assert_same_run(run: Path, reference: Path) -> None:
    """The weights, every metric but the timings, the summary and the per-class table."""
    ours = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    theirs = torch.load(reference / "model.pt", weights_only=True)["state_dict"]
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)

    def rows(folder: Path) -> list[dict[str, Any]]:
        lines = (folder / "metrics.jsonl").read_text().splitlines()
        return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in lines]

    assert rows(run) == rows(reference)

    def summary(folder: Path) -> dict[str, Any]:
        data = json.loads((folder / "results.json").read_text())
        return {
            k: v
            for k, v in data.items()
            if k not in ("seconds_per_epoch", "run_dir", "data_source")
        }

    assert summary(run) == summary(reference)
    assert (run / "per_class.txt").read_text() == (reference / "per_class.txt").read_text()


class _SignalAtEnd:
    """A callback sending SIGINT at the end of an epoch, after its checkpoint (a Ctrl-C then)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, *, metrics: Any) -> None:
        if metrics.epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


def test_a_ctrl_c_after_the_last_epoch_of_a_longer_resume_is_finished_by_the_plain_resume(
    tmp_path: Path,
) -> None:
    """A finished 1-epoch run resumed to 3 epochs, Ctrl-C at the end of epoch 3: the resume the
    message gives finishes it (it was refused, as if the epoch-1 model.pt were current)."""
    base = _base(_data(tmp_path / "d.npz"))
    run_softmax(SoftmaxConfig(**base, epochs=3, out=tmp_path / "whole"))
    run = tmp_path / "cut"
    run_softmax(SoftmaxConfig(**base, epochs=1, out=run))
    stale = {name: (run / name).read_bytes() for name in ("model.pt", "results.json")}
    with pytest.raises(TrainingInterrupted) as info:
        resume_softmax(run, epochs=3, callbacks=[_SignalAtEnd(3)])
    assert str(info.value) == (
        f"interrupted by SIGINT at the end of epoch 3; the checkpoint of epoch 3 is kept in {run}; "
        f"resume with: linearnets.resume_softmax({str(run)!r})"
    )
    # the weights and summary of epoch 1 did not survive as if they were the run's
    assert not (run / "model.pt").exists() and not (run / "results.json").exists()
    assert main(["softmax", "--resume", str(run)]) == 0  # as advised, no options
    _assert_same_run(run, tmp_path / "whole")
    # a folder left so by an earlier linearnets (epoch 1's files beside epoch 3's checkpoint):
    # results.json names another epoch count than the checkpoint, so the resume writes them again
    for name, content in stale.items():
        (run / name).write_bytes(content)
    assert main(["softmax", "--resume", str(run)]) == 0
    _assert_same_run(run, tmp_path / "whole")


_KILLED_RESUME = """
import os, signal, sys
from linearnets.tasks.resume import resume_softmax

class Kill:
    def on_epoch_end(self, *, metrics):
        if metrics.epoch == 2:  # after epoch 2's checkpoint, before model.pt and results.json
            os.kill(os.getpid(), signal.SIGKILL)

resume_softmax(sys.argv[1], epochs=2, callbacks=[Kill()])
"""


def test_a_resume_killed_after_its_last_checkpoint_is_finished_by_the_plain_resume(
    tmp_path: Path,
) -> None:
    base = _base(_data(tmp_path / "d.npz"))
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run = tmp_path / "cut"
    run_softmax(SoftmaxConfig(**base, epochs=1, out=run))
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_RESUME, str(run)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert load_checkpoint(run / "checkpoint.pt").epoch == 2
    result = resume_softmax(run)  # trains nothing: writes the weights, reports and summary
    assert [m.epoch for m in result.history.epochs] == [1, 2]
    _assert_same_run(run, tmp_path / "whole")


def test_a_data_file_that_moved_is_resumed_from_its_new_path_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same bytes (SHA-256) elsewhere: no result changes, so no --force; the new path is
    recorded. Without --data, the error says the missing path is the run's, and how to go on."""
    data = _data(tmp_path / "d.npz")
    run_softmax(SoftmaxConfig(**_base(data), epochs=2, out=tmp_path / "whole"))
    (tmp_path / "mdata").mkdir()
    old = shutil.copy(data, tmp_path / "mdata" / "a.npz")
    run = tmp_path / "cut"
    run_softmax(SoftmaxConfig(**_base(Path(old)), epochs=1, out=run))
    (tmp_path / "mdata" / "new").mkdir()
    new = Path(shutil.move(old, tmp_path / "mdata" / "new" / "a.npz"))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: the run in {run} was trained on --data {old}, as the run's "
        "config records, which does not exist or is not a file now; if the file moved, pass "
        "--data NEWPATH (its SHA-256 is checked: the same content continues the run, without "
        "--force)\n"
    )
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--data", str(new)]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["config"]["data"] == str(new) and saved["resumes"][-1]["forced"] == {}
    _assert_same_run(run, tmp_path / "whole")
    # other bytes at the new path are still a change: refused without --force
    _data(new, seed=1)
    assert main(["softmax", "--resume", str(run), "--epochs", "3"]) == 2
    assert "changed since the run in" in capsys.readouterr().err


@pytest.mark.parametrize("finished", [True, False], ids=["finished", "interrupted"])
def test_a_truncated_checkpoint_gets_advice_that_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], finished: bool
) -> None:
    """Delete it and resume with --force: the run starts over (with model.pt there too), ending as
    a run never stopped; without --force, the follow-up error says to pass it."""
    base = _base(_data(tmp_path / "d.npz"))
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run = tmp_path / "cut"
    if finished:
        run_softmax(SoftmaxConfig(**base, epochs=2, out=run))
    else:
        with pytest.raises(TrainingInterrupted):
            run_softmax(SoftmaxConfig(**base, epochs=2, out=run), callbacks=[_SignalAtEnd(1)])
    ckpt = run / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:300])
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run)]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(
        rf"linearnets softmax: error: checkpoint {re.escape(str(ckpt))} cannot be read: it is "
        r"truncated, damaged or not a torch file \(.*\); restore checkpoint.pt from a copy of the "
        r"run, or delete it and resume with --force to start the run over"
        # a finished run's: the start over replaces its trained weights, as said when missing
        + (_FINISHED_SAID if finished else "")
        + r"\n",
        err,
    ), err
    ckpt.unlink()  # as advised, but forgetting --force
    assert main(["softmax", "--resume", str(run)]) == 1
    err = capsys.readouterr().err
    if finished:
        assert err == (
            f"linearnets softmax: error: checkpoint {ckpt} does not exist, but the trained weights "
            "model.pt do: the run finished, and training it further needs its checkpoint; put "
            "the checkpoint back, or pass --force to start the run over, replacing its weights "
            "and metrics (each old file kept as NAME.bak, e.g. model.pt.bak)\n"
        )
        weights = (run / "model.pt").read_bytes(), (run / "results.json").read_bytes()
    else:
        assert "logged 1 finished epoch in metrics.jsonl but has no checkpoint.pt" in err
        assert err.endswith("or pass --force to start the run over, replacing its metrics\n")
    assert main(["softmax", "--resume", str(run), "--force"]) == 0
    _assert_same_run(run, tmp_path / "whole")
    # the start over said what it replaced, each kept: the finished run's weights and results
    # too (replaced without a word, the metrics' backups unsaid)
    err = capsys.readouterr().err
    assert (
        f"linearnets: note: before writing the metrics files in {run} again empty to start the "
        "run over: the old metrics.jsonl is kept as metrics.jsonl.bak; the old metrics.csv is "
        "kept as metrics.csv.bak\n"
    ) in err
    replaced = (
        f"linearnets: note: starting the run in {run} over replaces the weights and results of "
        "its finished run: the old model.pt is kept as model.pt.bak, the old results.json is "
        "kept as results.json.bak, the old config.json, the settings that trained them, as "
        "config.json.bak\n"
    )
    assert (replaced in err) == finished, err
    if finished:
        kept = (run / "model.pt.bak").read_bytes(), (run / "results.json.bak").read_bytes()
        assert kept == weights


def test_a_start_over_refused_for_an_unreadable_model_pt_replaces_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished run's model.pt that could not be read (no permission; root reads any file, so
    the error is made) was skipped as a missing one: the start over wrote over it with no backup,
    the note leaving it out. The resume is refused in one line naming the file, the error and the
    fix, nothing replaced; once it is readable, the resume advised starts the run over."""
    base = _base(_data(tmp_path / "d.npz"))
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**base, epochs=2, out=run))
    (run / "checkpoint.pt").unlink()
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    real = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path == run / "model.pt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--force", "--lr", "0.3"]) == 1
    err = capsys.readouterr().err
    again = f"linearnets softmax --resume {run} --lr 0.3 --force"
    assert err == (
        f"linearnets softmax: error: {run / 'model.pt'} could not be read to keep it as "
        "model.pt.bak before the run starts over, which replaces it: Permission denied; nothing "
        "was replaced: make it readable, or move it out of the run folder, then start the run "
        f"over with {again}\n"
    )
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    assert main(shlex.split(again)[1:]) == 0
    assert (run / "model.pt.bak").read_bytes() == before["model.pt"]


def test_a_start_over_with_a_forced_change_keeps_the_settings_that_trained_the_kept_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A finished run started over with --lr 0.3 --force kept model.pt.bak, yet rewrote
    config.json with no backup: nothing left said the kept weights were trained at lr 0.1 (the new
    config's resumes begin again, results.json holds no lr). config.json is kept as
    config.json.bak too, numbered as the others, and the note names it."""
    base = _base(_data(tmp_path / "d.npz"))
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**base, epochs=2, lr=0.1, out=run))
    old_config = (run / "config.json").read_bytes()
    (run / "config.json.bak").write_text("a file of yours")  # taken: the next name is used
    (run / "checkpoint.pt").unlink()
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--force", "--lr", "0.3"]) == 0
    assert (
        f"linearnets: note: starting the run in {run} over replaces the weights and results of "
        "its finished run: the old model.pt is kept as model.pt.bak, the old results.json is "
        "kept as results.json.bak, the old config.json, the settings that trained them, as "
        "config.json.bak.1\n"
    ) in capsys.readouterr().err
    assert (run / "config.json.bak.1").read_bytes() == old_config
    assert json.loads(old_config)["config"]["lr"] == 0.1
    assert json.loads((run / "config.json").read_text())["config"]["lr"] == 0.3
    assert (run / "config.json.bak").read_text() == "a file of yours"


_FINISHED_SAID = re.escape(
    "; the run finished: starting it over replaces its trained weights and results (model.pt, "
    "results.json; each old file is kept as NAME.bak, e.g. model.pt.bak)"
)


@pytest.mark.parametrize("content", ["{", "[1, 2]"], ids=["not-json", "a-list"])
def test_a_damaged_config_json_names_the_fix_that_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    base = _base(_data(tmp_path / "d.npz"))
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run = tmp_path / "cut"
    run_softmax(SoftmaxConfig(**base, epochs=1, out=run))
    (run / "config.json").write_text(content)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err.endswith(
        "delete config.json alone (not the folder), or restore it from a copy of the run: the "
        "run's weights (model.pt) do not need it; "
        f"linearnets softmax --resume {run} rebuilds it from checkpoint.pt (without the record "
        "of earlier resumes or your notes)\n"
    )
    (run / "config.json").unlink()  # as advised
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    _assert_same_run(run, tmp_path / "whole")


@pytest.mark.parametrize(
    ("resumes", "got"),
    # in the file's words: "an array", "the number 5", not Python's "a list", "int 5"
    [
        (5, "the number 5"),
        ({"from_epoch": 1}, 'an object {"from_epoch": 1}'),
        ("x", 'the string "x"'),
    ],
)
def test_resumes_that_are_not_a_list_are_named_in_config_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resumes: Any, got: str
) -> None:
    """A hand edit of config.json's "resumes" (it crashed with "unexpected TypeError"); the fix
    given works. A null is taken as no resumes recorded."""
    base = _base(_data(tmp_path / "d.npz"))
    run_softmax(SoftmaxConfig(**base, epochs=3, out=tmp_path / "whole"))
    run = tmp_path / "cut"
    run_softmax(SoftmaxConfig(**base, epochs=1, out=run))
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "resumes": resumes}))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {path}: 'resumes' must be an array of the run's resumes, got "
        f"{got}; set it to [] (the record of earlier resumes is lost, the run is not), or delete "
        "config.json: a resume rebuilds it from checkpoint.pt, with the settings the run was trained "
        "with, but not the record of earlier resumes, nor your own notes, nor a value forced since "
        "that checkpoint (pass it again)\n"
    )
    path.write_text(json.dumps({**saved, "resumes": None}))  # null: none recorded
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    assert [r["from_epoch"] for r in json.loads(path.read_text())["resumes"]] == [1]
    path.write_text(json.dumps({**json.loads(path.read_text()), "resumes": []}))  # as advised
    assert main(["softmax", "--resume", str(run), "--epochs", "3"]) == 0
    _assert_same_run(run, tmp_path / "whole")


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("guard", 1, "guard must be true or false, got 1"),
        ("seed", None, "seed must be a non-negative integer (at most 2**31 - 1), got null"),
        ("resize", "x", 'resize must be a positive integer, got "x"'),
        ("resize", {"a": [1, None]}, 'resize must be a positive integer, got {"a": [1, null]}'),
        # a path of another type was an unexpected TypeError ("expected str, bytes or
        # os.PathLike object, not int"), naming neither the key nor the file
        ("data", 5, "data must be a path (a string) or null, got 5"),
        # read before the others, it was refused as a device given: "--device must be one of
        # auto, cpu, cuda, cuda:N, mps, got []; pass e.g. --device auto" (from Python, "got '[]'")
        ("device", [], "device must be one of auto, cpu, cuda, cuda:N, mps, got []"),
        ("device", "gpu", 'device must be one of auto, cpu, cuda, cuda:N, mps, got "gpu"'),
        ("device", float("nan"), "device must be one of auto, cpu, cuda, cuda:N, mps, got NaN"),
    ],
    ids=[
        "guard",
        "seed",
        "resize",
        "resize-object",
        "data",
        "device-array",
        "device-gpu",
        "device-NaN",
    ],
)
def test_a_hand_edited_config_value_is_refused_in_the_files_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: Any, rule: str
) -> None:
    """A value of config.json was refused in Python's words ("guard must be True or False",
    "got None"), which the file, writing true, false and null, does not use; the command line and
    resume_softmax say it alike."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "config": {**saved["config"], key: value}}))
    said = (
        f"{path}: its 'config' section holds a value no run takes ({rule}); correct it, or delete "
        "config.json: a resume rebuilds it from checkpoint.pt, with the settings the run was "
        "trained with, but not the record of earlier resumes, nor your own notes, nor a value "
        "forced since that checkpoint (pass it again)"
    )
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said}\n"
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == said


def test_a_world_size_of_0_is_refused_and_the_fix_given_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-edited "world_size": 0 was taken as the processes the run last ran in: the resume
    noted "resumed in 1 process, where the run last ran in 0 ... (resume in one process, without
    torchrun, for that)", which it was."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "world_size": 0}))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {path}: 'world_size' must be an integer >= 1 (the processes "
        "the run ran in), got the number 0; correct it (1 where it ran without torchrun), or "
        "delete config.json: a resume rebuilds it from checkpoint.pt, with the settings the run was "
        "trained with, but not the record of earlier resumes, nor your own notes, nor a value "
        "forced since that checkpoint (pass it again)\n"
    )
    path.write_text(json.dumps({**saved, "world_size": 1}))  # as advised
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    assert "last ran" not in capsys.readouterr().err


def test_a_world_size_of_0_before_the_first_checkpoint_is_refused_with_a_fix_that_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run stopped before its first checkpoint was told to "delete config.json: a resume
    rebuilds it from checkpoint.pt", which it has none of: deleted, the folder held nothing to
    resume ("RUN_DIR must be a run folder holding config.json"). It is offered a new run, and
    correcting the value works as it says."""
    run = _stopped_in_its_first_epoch(tmp_path)
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "world_size": 0}))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {path}: 'world_size' must be an integer >= 1 (the processes "
        "the run ran in), got the number 0; correct it (1 where it ran without torchrun), or "
        "start a new run in another folder (--out NEW_DIR): this one has no checkpoint to "
        "rebuild config.json from\n"
    )
    path.write_text(json.dumps({**saved, "world_size": 1}))  # as advised
    assert main(["softmax", "--resume", str(run)]) == 0
    assert json.loads((run / "results.json").read_text())["epochs"] == 1


def test_a_bad_setting_before_the_first_checkpoint_is_told_the_same_fix_in_either_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value of the 'config' section refused in a run without a checkpoint said "(the run has
    no checkpoint yet to rebuild the file from)", what the refusal of a record beside it says as
    a fix: start a new run, in the command line's words there (--out NEW_DIR)."""
    run = _stopped_in_its_first_epoch(tmp_path)
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "config": {**saved["config"], "lr": "0.5"}}))
    said = (
        f"{path}: its 'config' section holds a value no run takes (lr must be a positive number, "
        'got "0.5"); correct it, or start a new run in another folder ({}NEW_DIR): this one has '
        "no checkpoint to rebuild config.json from"
    )
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run)]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said.format('--out ')}\n"
    with pytest.raises(UsageError) as info:
        resume_softmax(run)
    assert str(info.value) == said.format("out=")


def _stopped_in_its_first_epoch(tmp_path: Path) -> Path:
    """Return the folder of a run as one stopped in its first epoch leaves it: config.json alone."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    for made in run.iterdir():
        if made.name != "config.json":
            made.unlink()
    return run


KEPT = ("model.pt", "results.json", "config.json", "per_class.txt", "confusion.pt", "checkpoint.pt")


def _finished(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A finished 1-epoch run and the bytes of the files a failed resume must leave as they were."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    return run, {name: (run / name).read_bytes() for name in KEPT}


@pytest.mark.parametrize("name", ["metrics.jsonl", "metrics.csv", "per_class.txt"])
def test_a_resume_refuses_a_folder_where_it_replaces_a_file_before_removing_anything(
    tmp_path: Path, name: str
) -> None:
    """metrics.jsonl a folder: the resume removed model.pt, results.json and the reports, rewrote
    config.json, then failed (IsADirectoryError), leaving a finished run "stopped before it
    finished". Now it is refused up front, the file named, the run as it was."""
    run, before = _finished(tmp_path)
    (run / name).unlink()
    (run / name).mkdir()
    before.pop(name, None)
    with pytest.raises(UsageError, match=rf"^linearnets\.resume_softmax\({re.escape(repr(str(run)))}\): the run folder holds a folder {re.escape(str(run / name))} where the run keeps a file, which resuming replaces; move that folder out of the run folder, then resume$"):  # fmt: skip
        resume_softmax(run, epochs=2)
    assert {n: (run / n).read_bytes() for n in before} == before


def test_a_resume_whose_metrics_cannot_be_written_keeps_the_finished_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """metrics.jsonl's replacement refused (an immutable file: chattr +i) or a full disk there: the
    error names it, and the finished run's weights, summary, reports and config.json stay."""
    from linearnets.errors import RunFileError

    run, before = _finished(tmp_path)
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        if os.path.basename(dst) == "metrics.jsonl":
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(RunFileError, match=rf"^{re.escape(str(run / 'metrics.jsonl'))} could not be written: \[Errno 13\] Permission denied: .*; the checkpoint of the run's last finished epoch is kept: fix that and continue it with linearnets\.resume_softmax\('{re.escape(str(run))}', epochs=2\)$"):  # fmt: skip
        resume_softmax(run, epochs=2)  # the advice: this resume again (epochs=2 unrecorded)
    assert {n: (run / n).read_bytes() for n in before} == before
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(os, "replace", real_replace)
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0  # the advice works


def test_a_resume_replaces_read_only_files_of_a_writable_folder(tmp_path: Path) -> None:
    """Files copied from a read-only share: every file the resume rewrites is replaced by a rename
    (the folder's permission only), so it trains on. Root writes into a read-only file as well,
    so the files' modes after the resume show the renames."""
    base = _base(_data(tmp_path / "d.npz"))
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run, _ = _finished(tmp_path)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.name != ".lock"}
    for path in run.iterdir():
        if path.name != ".lock":
            path.chmod(0o444)
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    _assert_same_run(run, tmp_path / "whole")
    # root writes into a file of mode 444 too, so only the mode tells a rename from a write in
    # place: each file the resume rewrote is a new file, writable by its owner
    rewritten = {name for name, old in before.items() if (run / name).read_bytes() != old}
    assert {"checkpoint.pt", "metrics.jsonl", "model.pt", "results.json"} <= rewritten
    assert {name for name in rewritten if not (run / name).stat().st_mode & 0o200} == set()


def test_a_resume_removes_the_temporary_files_a_killed_writer_left(tmp_path: Path) -> None:
    """kill -9 mid-write leaves .checkpoint.pt.XXXXXXXX.tmp (mkstemp), .results.json.tmp or a
    figure's .NAME.PID-HEX.tmp: no later write reuses the random names, so they stayed for good.
    The resume holds the lock (no writer of the run is alive) and removes them, nothing else."""
    run, _ = _finished(tmp_path)
    stale = [".checkpoint.pt.rwo4302_.tmp", ".results.json.tmp", ".curves.png.4242-0123abcd.tmp"]
    kept = [".notes.tmp", "checkpoint.pt.tmp", ".checkpoint.pt.keep"]  # not a run's temporaries
    for name in (*stale, *kept):
        (run / name).write_bytes(b"half written")
    (run / ".model.pt.dir.tmp").mkdir()  # a folder is no file a writer left
    resume_softmax(run, epochs=2)
    names = {p.name for p in run.iterdir()}
    assert not names & set(stale)
    assert set(kept) | {".model.pt.dir.tmp"} <= names


def test_a_resume_on_a_read_only_file_system_advises_only_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod u+w cannot help on a read-only mount (EROFS): only copying the run folder does. As
    root every folder passes os.access, so the mount's answers are stood in for."""
    import linearnets.tasks.resume as resume

    run, before = _finished(tmp_path)
    real_access, real_statvfs = os.access, os.statvfs
    monkeypatch.setattr(
        resume.os, "access", lambda p, m: False if Path(p) == run else real_access(p, m)
    )

    def statvfs(path: Any) -> Any:
        if Path(path) != run:
            return real_statvfs(path)
        return SimpleNamespace(f_flag=os.ST_RDONLY)

    monkeypatch.setattr(resume.os, "statvfs", statvfs)
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == (
        f"linearnets.resume_softmax({str(run)!r}): the run folder is not writable (a read-only "
        "file system), and resuming rewrites its files; copy the run folder somewhere you can write"
    )
    assert {n: (run / n).read_bytes() for n in before} == before


def test_a_resume_in_a_folder_without_write_permission_advises_chmod_or_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that may be searched but not written (chmod u-w; as root every folder passes
    os.access, so its answer is stood in for) is refused before anything is rewritten."""
    import linearnets.tasks.resume as resume

    run, before = _finished(tmp_path)
    real_access = os.access
    monkeypatch.setattr(
        resume.os,
        "access",
        lambda p, m: not (Path(p) == run and m & os.W_OK) and real_access(p, m),
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == (
        f"linearnets.resume_softmax({str(run)!r}): the run folder is not writable, and resuming "
        "rewrites its files; make it writable (chmod u+w) or copy the run folder somewhere you "
        "can write"
    )
    assert {n: (run / n).read_bytes() for n in before} == before


def test_a_forced_change_on_a_resume_that_trains_nothing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run at its last epoch whose results.json was deleted, resumed with --lr 0.5 --force: the
    resume trained nothing, yet config.json gave the run lr 0.5 and its resume entry forced it.
    Refused now, forced or not, with the ways that do what was asked; nothing written."""
    run, before = _finished(tmp_path)
    (run / "results.json").unlink()
    before.pop("results.json")
    said = (
        "{lr} changed from 0.1 to 0.5, but the run in {run} already trained its 1 epoch "
        "(checkpoint.pt is of epoch 1), so no epoch would train with it; pass e.g. {epochs} to "
        "train further with it, or leave it out to keep the run as it was trained"
    )
    for force in (True, False):
        with pytest.raises(UsageError) as info:
            resume_softmax(run, lr=0.5, force=force)
        # "epochs=6" alone was refused next for want of force=True
        assert str(info.value) == said.format(lr="lr", run=run, epochs="epochs=6, force=True")
    assert main(["softmax", "--resume", str(run), "--lr", "0.5", "--force"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: "
        f"{said.format(lr='--lr', run=run, epochs='--epochs 6 --force')}\n"
    )
    assert {n: (run / n).read_bytes() for n in before} == before
    resume_softmax(run)  # the fix: left out, the run ends as it was trained
    assert json.loads((run / "config.json").read_text())["config"]["lr"] == 0.1


def test_a_folder_in_config_json_s_place_is_named_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """config.json a folder in a run holding a sound checkpoint was taken for no file at all: "the
    run that made it ... ended before it wrote config.json ... nothing is left to resume: start it
    again" (--out DIR, then refused). It is named now, as a folder where checkpoint.pt or
    metrics.jsonl goes is, and moved out, the resume rebuilds config.json from the checkpoint."""
    run, _ = _finished(tmp_path)
    (run / "config.json").unlink()
    (run / "config.json").mkdir()
    said = (
        f"the run folder {run} holds a folder {run}/config.json where the run keeps its "
        "config.json file; move that folder out of the run folder, then try again (a resume then "
        "rebuilds config.json from checkpoint.pt)"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == said
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said}\n"
    (run / "config.json").rmdir()  # the fix
    assert len(resume_softmax(run, epochs=2).history.epochs) == 2


def test_a_link_to_a_folder_in_config_json_s_place_is_named_with_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link to a folder was let through as "not a folder", and the run with a sound checkpoint
    told "start it again". It is named now, link and target, as a folder is; the link removed,
    the resume rebuilds config.json from the checkpoint, and the folder it named stays."""
    run, _ = _finished(tmp_path)
    (run / "config.json").unlink()
    (tmp_path / "xdir").mkdir()
    (run / "config.json").symlink_to(tmp_path / "xdir", target_is_directory=True)
    said = (
        f"the run folder {run} holds a link {run}/config.json to the folder {tmp_path}/xdir where "
        f"the run keeps its config.json file; remove the link (rm {run}/config.json; the folder "
        "it names stays), then try again (a resume then rebuilds config.json from checkpoint.pt)"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == said
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said}\n"
    (run / "config.json").unlink()  # the fix
    assert len(resume_softmax(run, epochs=2).history.epochs) == 2
    assert (tmp_path / "xdir").is_dir()


def test_a_data_file_the_weights_cannot_take_with_the_runs_own_gone_advises_putting_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's b2.npz moved away, a b4.npz of another number of classes given: the refusal said
    "resume without --data", which was refused next ("trained on --data .../b2.npz ... does not
    exist ... pass --data NEWPATH"). It says now to put the file back, or pass its copy's path;
    that fix continues the run as one never stopped."""
    run, _ = _finished(tmp_path)
    data = tmp_path / "d.npz"
    moved = data.rename(tmp_path / "moved.npz")
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 5, size=40)
    np.savez(tmp_path / "b4.npz", X=X, y=y)  # 5 classes, where the run's weights take 3
    args = ["softmax", "--resume", str(run), "--epochs", "2", "--force"]
    assert main([*args, "--data", str(tmp_path / "b4.npz")]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: --data changed from {data} to {tmp_path}/b4.npz since the "
        f"run in {run} started: the model would take 4 inputs into 5 classes and the "
        "checkpoint's weights take 4 inputs into 3 classes, so they cannot carry over, not even "
        f"with --force; put the run's own file back in its place, {data}, or pass --data NEWPATH "
        "for a copy of it moved elsewhere (its SHA-256 is checked: the same content continues the "
        "run), or start a new run in another folder (--out NEW_DIR)\n"
    )
    assert main([*args[:-1], "--data", str(moved)]) == 0  # the fix
    reference = tmp_path / "reference"
    run_softmax(SoftmaxConfig(**_base(moved), epochs=2, out=reference))
    _assert_same_run(run, reference)


@pytest.mark.parametrize(("errno_", "said"), SYSTEM_REFUSALS)
def test_a_checkpoint_the_system_refuses_is_not_called_damaged_on_resume(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refuse_open: Callable[[Path, int], None],
    capsys: pytest.CaptureFixture[str],
    errno_: int,
    said: str,
) -> None:
    """A checkpoint.pt its permissions (or the disk) deny reading was "truncated, damaged or not
    a torch file ...; restore checkpoint.pt from a copy of the run, or delete it and resume with
    --force": advice to throw away weights a chmod gives back. It names the error and its fix."""
    run = tmp_path / "my run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    ckpt = run / "checkpoint.pt"
    refuse_open(ckpt, errno_)
    message = f"checkpoint {ckpt} {said.format(path=shlex.quote(str(ckpt)))}, then resume again"
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 1
    assert capsys.readouterr().err == f"linearnets softmax: error: {message}\n"
    with pytest.raises(Exception) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == message
    monkeypatch.undo()  # readable again: the resume it advises goes on
    assert resume_softmax(run, epochs=2).history.epochs[-1].epoch == 2


@pytest.mark.parametrize("blocked", [".config.json.tmp", ".metrics.jsonl.tmp"])
def test_a_start_over_whose_files_cannot_be_written_advises_the_same_resume_again(
    tmp_path: Path, blocked: str
) -> None:
    """A finished run's checkpoint lost, started over with new settings (epochs=2, lr=0.3, forced):
    a file unwritten advised the plain resume, which trained the old settings (config.json
    unwritten) or was refused for the epoch the old metrics logged ("pass force=True"). The
    advice is now the same resume again, which, followed, trains as a new run of those settings."""
    from linearnets.errors import RunFileError

    run, _ = _finished(tmp_path)
    for name in ("checkpoint.pt", "model.pt"):
        (run / name).unlink()
    (run / blocked).mkdir()
    with pytest.raises(RunFileError) as caught:
        resume_softmax(run, epochs=2, lr=0.3, force=True)
    assert str(caught.value).endswith(
        f"; the run has no checkpoint yet: fix that and start it over with "
        f"linearnets.resume_softmax({str(run)!r}, epochs=2, lr=0.3, force=True)"
    ), str(caught.value)
    (run / blocked).rmdir()
    resumed = resume_softmax(run, epochs=2, lr=0.3, force=True)
    fresh = run_softmax(
        SoftmaxConfig(**_base(tmp_path / "d.npz"), epochs=2, lr=0.3, out=tmp_path / "fresh")
    )
    assert resumed.history.train_loss == fresh.history.train_loss


def test_a_start_over_stopped_after_its_first_checkpoint_advises_the_plain_resume(
    tmp_path: Path,
) -> None:
    """Once the start over kept an epoch, config.json records its settings (epochs=3, lr=0.3): a
    file of the user's unwritten then advised them again with force=True, which skipped the
    refusal of a data file changed meanwhile. The advice is the plain resume, which refuses it,
    and with the file put back continues the start over."""
    from linearnets.errors import RunFileError
    from linearnets.training.checkpoint_write import write_text_atomic

    class WritesMine:
        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.epoch == 2:
                write_text_atomic(run / "mine.txt", "x\n")

    run, _ = _finished(tmp_path)
    for name in ("checkpoint.pt", "model.pt"):
        (run / name).unlink()
    (run / ".mine.txt.tmp").mkdir()
    with pytest.raises(RunFileError) as caught:
        resume_softmax(run, epochs=3, lr=0.3, force=True, callbacks=[WritesMine()])
    assert str(caught.value).endswith(
        "; the checkpoint of the run's last finished epoch is kept: fix that and continue it "
        f"with linearnets.resume_softmax({str(run)!r})"
    ), str(caught.value)
    (run / ".mine.txt.tmp").rmdir()
    _data(tmp_path / "d.npz", seed=5)  # the data file's content changes meanwhile
    with pytest.raises(UsageError, match=r"changed since the run in .* pass force=True"):
        resume_softmax(run)
    _data(tmp_path / "d.npz")  # put back
    resumed = resume_softmax(run)
    assert [m.epoch for m in resumed.history.epochs] == [1, 2, 3]
    assert resumed.config is not None and resumed.config.lr == 0.3


def test_a_config_json_copied_from_a_run_of_the_other_task_is_named_not_the_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A linear-regression run's config.json copied into a softmax run's folder: softmax --resume
    sent it to linreg --resume, which said to delete checkpoint.pt (the softmax run's weights)
    and start over; resume_softmax alike. Beside the checkpoint and model.pt of a softmax run the
    copy is named by both resumes, and deleting it, as said, resumes the run from its checkpoint.
    Without model.pt either file may be the copy: the resume of the checkpoint's task names both
    and each fix; deleting config.json resumes the run. The mirror (a softmax run's config.json
    in a linear-regression run's folder) alike."""
    import linearnets

    run, lr = tmp_path / "run", tmp_path / "lr"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    linearnets.run_linreg(linearnets.LinregConfig(epochs=1, out=lr))
    shutil.copy(lr / "config.json", run / "config.json")
    said = (
        f"{run}/config.json is a linear-regression run's (task 'linreg'), but model.pt beside it "
        "holds a softmax model and checkpoint.pt a softmax run: config.json was copied from "
        "another run; put back the run's own config.json, or delete it (a resume rebuilds it "
        "from checkpoint.pt), then resume with: "
    )
    for resume in (resume_softmax, linearnets.resume_linreg):
        with pytest.raises(UsageError) as info:
            resume(run, epochs=2)
        assert str(info.value) == said + f"linearnets.resume_softmax('{run}')"
    for task in ("softmax", "linreg"):
        capsys.readouterr()
        assert main([task, "--resume", str(run), "--epochs", "2"]) == 2
        assert capsys.readouterr().err == (
            f"linearnets {task}: error: {said}linearnets softmax --resume {run}\n"
        )
    assert load_checkpoint(run / "checkpoint.pt").epoch == 1  # kept
    (run / "config.json").unlink()  # as it says
    assert resume_softmax(run, epochs=2).history.epochs[-1].epoch == 2
    assert "task" not in json.loads((run / "config.json").read_text())

    # without model.pt (a run stopped before its end) either file may be the copy: both named
    shutil.copy(lr / "config.json", run / "config.json")
    (run / "model.pt").unlink()
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3)
    assert str(info.value) == (
        f"{run}/config.json is a linear-regression run's (task 'linreg'), but checkpoint.pt "
        "beside it is a softmax run's: one of them was copied from another run; if config.json, "
        "put back the run's own, or delete it (a resume rebuilds it from checkpoint.pt), then "
        f"resume with: linearnets.resume_softmax('{run}'); if checkpoint.pt, restore it from a "
        f"copy of the run, then resume with: linearnets.resume_linreg('{run}')"
    )
    (run / "config.json").unlink()  # as it says, for the config.json copied in
    assert resume_softmax(run, epochs=3).history.epochs[-1].epoch == 3
    assert (run / "model.pt").is_file()

    shutil.copy(run / "config.json", lr / "config.json")
    with pytest.raises(UsageError) as info:
        linearnets.resume_linreg(lr, epochs=2)
    assert str(info.value) == (
        f"{lr}/config.json is a softmax run's (it names no task), but checkpoint.pt beside it is "
        "a linear-regression run's: one of them was copied from another run; if config.json, "
        "put back the run's own, or delete it (a resume rebuilds it from checkpoint.pt), then "
        f"resume with: linearnets.resume_linreg('{lr}'); if checkpoint.pt, restore it from a "
        f"copy of the run, then resume with: linearnets.resume_softmax('{lr}')"
    )
    (lr / "config.json").unlink()
    assert linearnets.resume_linreg(lr, epochs=2).history.epochs[-1].epoch == 2
    assert json.loads((lr / "config.json").read_text())["task"] == "linreg"


def _both_named(folder: Path, what: str, beside: str, own: str, other: str) -> str:
    """The refusal of a config.json and a checkpoint.pt of different tasks, in the API's words."""
    return (
        f"{folder}/config.json is {what}, but checkpoint.pt beside it is {beside}: one of them "
        "was copied from another run; if config.json, put back the run's own, or delete it (a "
        f"resume rebuilds it from checkpoint.pt), then resume with: linearnets.{own}('{folder}'); "
        "if checkpoint.pt, restore it from a copy of the run, then resume with: "
        f"linearnets.{other}('{folder}')"
    )


def _in_cli_words(said: str) -> str:
    """``said`` as the command line words it: linearnets.resume_X('DIR') as the command."""
    return re.sub(r"linearnets\.resume_(\w+)\('([^']*)'\)", r"linearnets \1 --resume \2", said)


def test_a_config_json_and_a_checkpoint_of_other_tasks_are_both_named_by_every_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A linear-regression run's folder with a softmax run's config.json copied in: softmax
    --resume named its checkpoint.pt as copied, "delete it and resume with --force to start the
    run over", the linear-regression run lost; an interrupted softmax run (no model.pt, no
    results.json) with a linear-regression run's config.json copied in, alike under linreg
    --resume. predict was told it draws without config.json, with no model.pt to draw from.
    Every reader names both files, with fixes that lose nothing; deleting config.json as said
    resumes each run from its own checkpoint."""
    import linearnets

    sm, lr = tmp_path / "sm", tmp_path / "lr"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=sm))
    linearnets.run_linreg(linearnets.LinregConfig(epochs=1, out=lr))
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(lr, a)
    shutil.copy(sm / "config.json", a / "config.json")
    shutil.copytree(sm, b)
    (b / "model.pt").unlink()
    (b / "results.json").unlink()
    shutil.copy(lr / "config.json", b / "config.json")
    linreg_what, softmax_what = "a linear-regression run's (task 'linreg')", "a softmax run's"
    said = {
        a: _both_named(
            a, "a softmax run's (it names no task)", "a linear-regression run's", "resume_linreg",
            "resume_softmax",
        ),
        b: _both_named(b, linreg_what, softmax_what, "resume_softmax", "resume_linreg"),
    }  # fmt: skip
    for folder, message in said.items():
        kept = (folder / "checkpoint.pt").read_bytes()
        for resume in (resume_softmax, linearnets.resume_linreg):
            with pytest.raises(UsageError) as info:
                resume(folder, epochs=2)
            assert str(info.value) == message
        for command in (["softmax", "--resume"], ["linreg", "--resume"], ["predict"]):
            capsys.readouterr()
            assert main([*command, str(folder)]) == 2
            assert capsys.readouterr().err == (
                f"linearnets {command[0]}: error: {_in_cli_words(message)}\n"
            )
        assert (folder / "checkpoint.pt").read_bytes() == kept
        (folder / "config.json").unlink()  # as it says
    assert linearnets.resume_linreg(a, epochs=2).history.epochs[-1].epoch == 2
    assert json.loads((a / "config.json").read_text())["task"] == "linreg"
    assert resume_softmax(b, epochs=2).history.epochs[-1].epoch == 2
    assert (b / "model.pt").is_file() and "task" not in json.loads((b / "config.json").read_text())


def test_a_linreg_config_json_beside_softmax_weights_and_a_damaged_checkpoint_is_named_by_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A softmax run with its checkpoint.pt damaged, model.pt intact and a linear-regression
    run's config.json copied in: softmax --resume said the folder "holds a linear-regression
    run ...; resume it with: linearnets linreg --resume", whose refusal of the checkpoint said to
    delete it and start over, the softmax run overwritten. Both resumes name config.json, or
    model.pt, as copied; the run's own config.json put back, the damaged checkpoint is named,
    and restored, the run resumes."""
    import linearnets
    from linearnets.errors import CheckpointError

    sm, lr, d = tmp_path / "sm", tmp_path / "lr", tmp_path / "d"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=sm))
    linearnets.run_linreg(linearnets.LinregConfig(epochs=1, out=lr))
    shutil.copytree(sm, d)
    (d / "checkpoint.pt").write_bytes((sm / "checkpoint.pt").read_bytes()[:300])
    shutil.copy(lr / "config.json", d / "config.json")
    said = (
        f"{d}/config.json is a linear-regression run's (task 'linreg'), but model.pt beside it "
        "holds a softmax model: one of them was copied from another run; put back the run's own "
        "config.json (checkpoint.pt cannot be read, so a resume cannot rebuild it), then resume "
        f"with: linearnets.resume_softmax('{d}')"
    )
    for resume in (resume_softmax, linearnets.resume_linreg):
        with pytest.raises(UsageError) as info:
            resume(d, epochs=2)
        assert str(info.value) == said
    for task in ("softmax", "linreg"):
        capsys.readouterr()
        assert main([task, "--resume", str(d), "--epochs", "2"]) == 2
        assert capsys.readouterr().err == f"linearnets {task}: error: {_in_cli_words(said)}\n"
    shutil.copy(sm / "config.json", d / "config.json")  # as it says
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt cannot be read: .*restore"):
        resume_softmax(d, epochs=2)
    shutil.copy(sm / "checkpoint.pt", d / "checkpoint.pt")  # as that says
    assert resume_softmax(d, epochs=2).history.epochs[-1].epoch == 2
