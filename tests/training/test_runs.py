"""Run folders: one writer at a time (a lock the OS drops with the process), fresh default names."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.cli import main
from linearnets.cli._report import one_line
from linearnets.errors import UsageError
from linearnets.tasks.linreg_run import TASK
from linearnets.training import run_dir_checks, runs
from linearnets.training.runs import LOCK_FILE, RunLock, check_run_dir, claim_run_dir

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from linearnets.training.runs import RunLock\n"
    "RunLock(Path(sys.argv[1])).acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def _holder(folder: Path) -> subprocess.Popen[str]:
    """Another process holding ``folder``'s lock, as a second run writing it would."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_folder_another_process_writes_is_refused_until_it_dies(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    proc = _holder(folder)
    try:
        with pytest.raises(UsageError, match=rf"being written by another linearnets run \(process {proc.pid}\)"):  # fmt: skip
            claim_run_dir(folder, name="x")
    finally:
        proc.send_signal(signal.SIGKILL)  # kill -9: no clean-up code runs
        proc.wait()
    lock = claim_run_dir(folder, name="x")  # the OS let go of the dead process's lock
    assert (folder / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    lock.release()


def test_default_names_started_in_the_same_second_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_dir_checks.time, "strftime", lambda fmt: "20261130-101010")
    claimed = [claim_run_dir(None, name="softmax-scratch") for _ in range(3)]
    names = [lock.run_dir.name for lock in claimed]
    assert names == ["softmax-scratch-20261130-101010", "softmax-scratch-20261130-101010-2",
                     "softmax-scratch-20261130-101010-3"]  # fmt: skip
    for lock in claimed:
        lock.release()


def test_a_second_run_or_resume_in_a_folder_being_written_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 2, size=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run = tmp_path / "run"
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none"]
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    proc = _holder(run)  # e.g. a resume still running
    try:
        capsys.readouterr()
        assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
        err = capsys.readouterr().err
        # a resume cannot go to another folder: it waits for the holder, or stops it, first
        assert err.endswith(
            f"is being written by another linearnets run (process {proc.pid}); wait for it to "
            f"end (kill {proc.pid} stops it, keeping its checkpoint), then resume again if "
            "epochs are left\n"
        )
        assert main(["softmax", *common, "--out", str(run)]) == 2
        assert capsys.readouterr().err.endswith(
            f"being written by another linearnets run (process {proc.pid}); wait for it to end, "
            "or pass another folder\n"
        )
    finally:
        proc.kill()
        proc.wait()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0


def test_a_run_that_fails_to_start_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "new"
    assert main(["softmax", "--data", str(tmp_path / "missing.npz"), "--out", str(out)]) == 2
    assert not out.exists()  # nor its lock file


def test_an_out_name_too_long_for_the_file_system_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^out='.*' cannot be created \(File name too long\)") as info:  # fmt: skip
        claim_run_dir(tmp_path / ("x" * 300), name="x")
    assert one_line(info.value).startswith(f"--out {tmp_path / ('x' * 300)} cannot be created (")


def test_a_file_system_without_locks_runs_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import fcntl

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    lock = claim_run_dir(tmp_path / "run", name="x")  # not "being written by another run"
    lock.release()


def test_a_folder_refused_for_holding_a_run_is_not_left_locked(tmp_path: Path) -> None:
    """In a notebook, the --resume the refusal advises then runs in the same process."""
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UsageError, match="already holds a run"):
        claim_run_dir(tmp_path, name="x")
    RunLock(tmp_path).acquire().release()  # not "being written by another linearnets run"


def test_the_lock_file_holds_only_this_process_id(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text("4000000000\n")  # left by a dead run with a longer pid
    lock = claim_run_dir(tmp_path, name="x")
    try:
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    finally:
        lock.release()


def test_a_run_that_fails_to_start_keeps_the_folder_the_user_made(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()  # empty, made by the user for this run
    assert main(["softmax", "--data", str(tmp_path / "missing.npz"), "--out", str(out)]) == 2
    assert out.is_dir()
    RunLock(out).acquire().release()  # and not left locked


@pytest.mark.parametrize("name", [n for n in runs.RUN_OUTPUTS if n not in runs.RUN_FILES])
def test_a_folder_with_a_file_the_run_would_overwrite_is_refused_and_left_as_it_was(
    tmp_path: Path, name: str
) -> None:
    """A user's own metrics.csv (say) in --out is neither overwritten nor joined by a .lock."""
    (tmp_path / name).write_text("precious\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(UsageError, match=rf"already has files a run writes \({name}\), which"):
        claim_run_dir(tmp_path, name="x")
    assert (tmp_path / name).read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "notes.txt"])


def test_files_a_run_does_not_write_are_no_obstacle(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    claim_run_dir(tmp_path, name="x").release()
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_a_real_run_writes_only_files_the_list_names(tmp_path: Path) -> None:
    """RUN_OUTPUTS is every file a run writes (figures, reports, weights): the list cannot drift."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=80)
    np.savez(tmp_path / "d.npz", X=X[:60], y=y[:60], X_test=X[60:], y_test=y[60:])
    out = tmp_path / "run"
    args = ["softmax", "--data", str(tmp_path / "d.npz"), "--plot", "file", "--epochs", "1"]
    assert main([*args, "--out", str(out)]) == 0
    written = {p.name for p in out.iterdir()} - {LOCK_FILE}
    # a --data run draws no image grid (its rows are not images): predictions.png is the only one
    assert written == set(runs.RUN_OUTPUTS) - {"predictions.png"}


def test_a_cli_run_into_a_folder_with_its_files_exits_2_and_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "metrics.csv").write_text("precious\n")
    assert main(["softmax", "--data", str(tmp_path / "missing.npz"), "--out", str(tmp_path)]) == 2
    assert "already has files a run writes (metrics.csv)" in capsys.readouterr().err
    assert (tmp_path / "metrics.csv").read_text() == "precious\n"


def test_a_refused_folder_keeps_the_lock_file_an_earlier_run_left(tmp_path: Path) -> None:
    """Only a lock file the refused claim made itself is removed: the folder is left as it was."""
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / LOCK_FILE).write_text("4000000000\n")  # left by the run that wrote config.json
    with pytest.raises(UsageError, match="already holds a run"):
        claim_run_dir(tmp_path, name="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE, "config.json"]
    RunLock(tmp_path).acquire().release()  # and not left locked


def test_a_stopped_run_is_refused_with_the_resume_that_continues_it(tmp_path: Path) -> None:
    """A run stopped mid-way holds its config and metrics: every file is named, then the fix."""
    for name in ("metrics.jsonl", "checkpoint.pt", "config.json"):
        (tmp_path / name).write_text("x")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already holds a run (it has config.json, checkpoint.pt, "
        f"metrics.jsonl); continue it with linearnets.resume_softmax('{tmp_path}'), or pass a new "
        "folder"
    )
    assert one_line(info.value) == (
        f"--out {tmp_path} already holds a run (it has config.json, checkpoint.pt, "
        f"metrics.jsonl); continue it with linearnets softmax --resume {tmp_path}, or pass a "
        "new folder"
    )


def test_a_run_without_its_config_is_refused_without_advising_resume(tmp_path: Path) -> None:
    for name in ("metrics.csv", "model.pt"):
        (tmp_path / name).write_text("x")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already holds a run (it has model.pt, metrics.csv); it has no "
        "config.json, so linearnets.resume_softmax() cannot continue it: pass a new folder, or "
        "move those files away"
    )
    assert one_line(info.value) == (
        f"--out {tmp_path} already holds a run (it has model.pt, metrics.csv); it has no "
        "config.json, so --resume cannot continue it: pass a new folder, or move those files away"
    )


def test_a_checkpoint_without_its_config_is_told_the_resume_that_continues_it(
    tmp_path: Path,
) -> None:
    """A softmax run's checkpoint.pt alone: its resume rebuilds config.json from it (the advice
    said no resume could continue it); a linear-regression run's needs config.json back first."""
    import linearnets as ln

    lr = tmp_path / "lr"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=lr))
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    sm = tmp_path / "sm"
    ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=sm))
    for run, name in ((sm, "softmax"), (lr, "linreg")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "checkpoint.pt").write_bytes((run / "checkpoint.pt").read_bytes())
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path / "softmax", name="x")
    assert one_line(info.value) == (
        f"--out {tmp_path / 'softmax'} already holds a run (it has checkpoint.pt); it has no "
        f"config.json, but linearnets softmax --resume {tmp_path / 'softmax'} continues it from "
        "its checkpoint.pt, rebuilding config.json; or pass a new folder"
    )
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path / "linreg", name="x", resume_function="resume_linreg")
    assert str(info.value) == (
        f"out='{tmp_path / 'linreg'}' already holds a run (it has checkpoint.pt); it has no "
        f"config.json, but linearnets.resume_linreg('{tmp_path / 'linreg'}') continues it from "
        "its checkpoint.pt, rebuilding config.json; or pass a new folder"
    )
    ln.resume_softmax(tmp_path / "softmax", epochs=2)  # the advice holds
    assert (tmp_path / "softmax" / "config.json").is_file()
    ln.resume_linreg(tmp_path / "linreg", epochs=2)  # for a linear-regression run's too
    assert json.loads((tmp_path / "linreg" / "config.json").read_text())["task"] == "linreg"


def test_every_file_the_run_would_overwrite_is_named(tmp_path: Path) -> None:
    for name in ("per_class.txt", "curves.png", "metrics.jsonl"):
        (tmp_path / name).write_text("mine\n")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already has files a run writes (metrics.jsonl, curves.png, "
        "per_class.txt), which the run would overwrite; pass a new folder, or move those files away"
    )
    assert one_line(info.value) == (
        f"--out {tmp_path} already has files a run writes (metrics.jsonl, curves.png, "
        "per_class.txt), which the run would overwrite; pass a new folder, or move those files away"
    )


def test_figures_predict_drew_from_an_earlier_run_are_refused_and_left_as_they_were(
    tmp_path: Path,
) -> None:
    """A folder whose run files were deleted but for predict's figures: a new run there would
    leave them beside its own files, showing predictions its weights never made."""
    for n in (12, 3):
        (tmp_path / f"predict-{n}.png").write_bytes(b"old figure")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already has figures such as linearnets predict draws from a run's "
        "weights (predict-3.png, predict-12.png), which would pass for this run's; pass a new "
        "folder, or move those files away"
    )
    assert one_line(info.value) == (
        f"--out {tmp_path} already has figures such as linearnets predict draws from a run's "
        "weights (predict-3.png, predict-12.png), which would pass for this run's; pass a new "
        "folder, or move those files away"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict-12.png", "predict-3.png"]
    assert (tmp_path / "predict-3.png").read_bytes() == b"old figure"


def test_predicts_figures_in_a_linreg_runs_folder_are_not_said_to_pass_for_its_own(
    tmp_path: Path,
) -> None:
    """A linreg run draws no such figure: "which would pass for this run's" was untrue there."""
    (tmp_path / "predict-3.png").write_bytes(b"old figure")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x", resume_function="resume_linreg")
    assert str(info.value) == (
        f"out='{tmp_path}' already has figures such as linearnets predict draws from a softmax "
        "run's weights (predict-3.png), which have no place in a linear regression run's folder; "
        "pass a new folder, or move those files away"
    )


def test_predict_figures_are_named_beside_the_files_a_run_writes_and_with_a_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "predict-6.png").write_bytes(b"old figure")
    (tmp_path / "curves.png").write_bytes(b"old curves")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already has files a run writes (curves.png), which the run would "
        "overwrite, and figures such as linearnets predict draws from a run's weights "
        "(predict-6.png), which would pass for this run's; pass a new folder, or move those "
        "files away"
    )
    (tmp_path / "model.pt").write_bytes(b"weights")
    with pytest.raises(UsageError, match=r"already holds a run \(it has model\.pt, curves\.png, predict-6\.png\); "):  # fmt: skip
        claim_run_dir(tmp_path, name="x")


def test_the_mistakes_predict_drew_from_an_earlier_run_are_refused_as_its_predictions(
    tmp_path: Path,
) -> None:
    """predict --wrong's predict-wrong-N.png shows an earlier model's mistakes as much as
    predict-N.png shows its predictions."""
    (tmp_path / "predict-wrong-6.png").write_bytes(b"old figure")
    (tmp_path / "predict-6.png").write_bytes(b"old figure")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already has figures such as linearnets predict draws from a run's "
        "weights (predict-6.png, predict-wrong-6.png), which would pass for this run's; pass a "
        "new folder, or move those files away"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict-6.png", "predict-wrong-6.png"]


def test_predicts_figures_drawn_as_svg_or_pdf_are_refused_as_its_png_is(tmp_path: Path) -> None:
    """predict --out RUN/predict-6.svg (or .pdf, any case) draws the same figure as predict-6.png:
    a new run in a folder holding one went ahead, beside predictions its weights never made."""
    for name in ("predict-6.svg", "predict-wrong-3.PDF"):
        (tmp_path / name).write_bytes(b"old figure")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already has figures such as linearnets predict draws from a run's "
        "weights (predict-wrong-3.PDF, predict-6.svg), which would pass for this run's; pass a "
        "new folder, or move those files away"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict-6.svg", "predict-wrong-3.PDF"]


def test_files_predict_does_not_draw_are_no_obstacle(tmp_path: Path) -> None:
    """Only predict's own names (-n 1 to 100, zero-padded or not): no folder, link or other name."""
    names = ["predict-0.png", "predict-0101.png", "predict-101.png", "predict-6.gif", "my-predict-6.png",
             "predict-wrong-0.png", "predict-wrong-101.png", "predict-wrong.png", "predict-wrong-6.jpg",
             "predict-6.svg.bak"]  # fmt: skip
    for name in names:
        (tmp_path / name).write_bytes(b"mine")
    (tmp_path / "predict-7.png").mkdir()
    (tmp_path / "predict-8.png").symlink_to(tmp_path / "predict-0.png")
    claim_run_dir(tmp_path, name="x").release()
    assert (tmp_path / "predict-101.png").read_bytes() == b"mine"


@pytest.mark.parametrize("resume", ["resume_softmax", "resume_linreg"])
def test_names_predicts_out_refuses_as_passing_for_a_runs_are_refused_here_too(
    tmp_path: Path, resume: Any
) -> None:
    """A new run's --out took a folder holding confusion.pdf, Confusion.png, Predict-3.PNG or
    predict-03.png, names predict --out refuses as passing for a run's: one rule serves both."""
    names = ["confusion.pdf", "Confusion.png", "Predict-3.PNG", "predict-03.png", "Metrics.CSV"]
    for name in names:
        (tmp_path / name).write_bytes(b"old")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x", resume_function=resume)
    whose = "this run's" if resume == "resume_softmax" else "a run's"
    drawn = (
        "figures such as linearnets predict draws from a run's weights (Predict-3.PNG, "
        "predict-03.png), which would pass for this run's"
        if resume == "resume_softmax"
        else "figures such as linearnets predict draws from a softmax run's weights "
        "(Predict-3.PNG, predict-03.png), which have no place in a linear regression run's folder"
    )
    assert one_line(info.value) == (
        f"--out {tmp_path} already has files named as a run's own in another letters' case or "
        f"suffix (Confusion.png, Metrics.CSV, confusion.pdf), which would pass for {whose}, and "
        f"{drawn}; pass a new folder, or move those files away"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    (tmp_path / "model.pt").write_bytes(b"weights")
    with pytest.raises(UsageError, match=r"already holds a run \(it has model\.pt, Confusion\.png, Metrics\.CSV, confusion\.pdf, Predict-3\.PNG, predict-03\.png\); "):  # fmt: skip
        check_run_dir(tmp_path, name="x", resume_function=resume)


def test_a_cli_run_into_a_folder_with_a_runs_figure_under_another_suffix_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """mkdir pk && touch pk/confusion.pdf && linearnets softmax --out pk: the run went ahead,
    its confusion.png beside a confusion.pdf of another model's."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pk").mkdir()
    (tmp_path / "pk" / "confusion.pdf").write_bytes(b"")
    assert main(["softmax", "--out", "pk", "--epochs", "1"]) == 2
    assert capsys.readouterr().err == (
        "linearnets softmax: error: --out pk already has files named as a run's own in another "
        "letters' case or suffix (confusion.pdf), which would pass for this run's; pass a new "
        "folder, or move those files away\n"
    )
    assert [p.name for p in (tmp_path / "pk").iterdir()] == ["confusion.pdf"]


def test_a_cli_run_into_a_folder_with_predict_figures_exits_2_and_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "predict-20.png").write_bytes(b"old figure")
    assert main(["softmax", "--data", str(tmp_path / "missing.npz"), "--out", str(tmp_path)]) == 2
    assert "already has figures such as linearnets predict draws from a run's weights " in (
        capsys.readouterr().err
    )
    assert [p.name for p in tmp_path.iterdir()] == ["predict-20.png"]


def test_json_is_synced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """config.json and results.json are written as checkpoints are: a crash leaves old or new."""
    target = tmp_path / "config.json"
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync file")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    runs.write_json_atomic(target, {"lr": 0.1, "epochs": 3})
    assert events == ["fsync file", "replace", "fsync dir"]
    assert target.read_text(encoding="utf-8") == '{\n  "epochs": 3,\n  "lr": 0.1\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_a_json_write_that_fails_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results.json"
    runs.write_json_atomic(target, {"test_acc": 0.8})
    before = target.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match=r"results\.json could not be written: the disk is full"):
        runs.write_json_atomic(target, {"test_acc": 0.9})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_folder_with_only_a_results_file_holds_a_run(tmp_path: Path) -> None:
    """results.json is a finished run's summary: the folder holds a run, not a user's stray file."""
    (tmp_path / "results.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already holds a run (it has results.json); it has no config.json, so "
        "linearnets.resume_softmax() cannot continue it: pass a new folder, or move those files away"
    )
    assert one_line(info.value) == (
        f"--out {tmp_path} already holds a run (it has results.json); it has no config.json, so "
        "--resume cannot continue it: pass a new folder, or move those files away"
    )


def test_the_environment_records_the_versions_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thread count and CUDA version as this process has them (set here: the suite pins one
    thread, and a CPU build has no CUDA version to tell apart from a missing one)."""
    import platform

    import torch

    import linearnets

    monkeypatch.setattr(torch.version, "cuda", "12.4")
    threads = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        env = runs.environment()
    finally:
        torch.set_num_threads(threads)
    assert env == {
        "linearnets": linearnets.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "num_threads": 3,
        "cuda": "12.4",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def test_an_out_that_is_a_file_is_refused_naming_the_option(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(UsageError, match=r"^out must be a folder, got the file .*notes.txt; pass a new folder name$") as info:  # fmt: skip
        claim_run_dir(tmp_path / "notes.txt", name="x")
    assert one_line(info.value) == (
        f"--out must be a folder, got the file {tmp_path / 'notes.txt'}; pass a new folder name"
    )
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_an_out_with_missing_parents_is_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "run"
    lock = claim_run_dir(out, name="x")
    try:
        assert lock.run_dir == out and out.is_dir()
    finally:
        lock.release()


@pytest.mark.usefixtures("not_root")
def test_an_out_that_cannot_be_written_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root every folder is writable, so the permission check itself is made to say no (of
    the folder made: the one it is made in is refused before, test_run_dir_checks.py)."""
    out = tmp_path / "run"
    monkeypatch.setattr(
        run_dir_checks.os, "access", lambda path, mode: Path(path) != out or not mode & os.W_OK
    )
    with pytest.raises(UsageError) as info:
        claim_run_dir(out, name="x")
    said = f"is not writable (no w permission); make it writable (chmod u+w {out}), or pass another folder"  # fmt: skip
    assert str(info.value) == f"out='{out}' {said}"
    assert one_line(info.value) == f"--out {out} {said}"
    assert not (tmp_path / "run" / LOCK_FILE).exists()


def test_a_default_name_is_the_name_and_the_local_time_to_the_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.chdir(tmp_path)
    before = time.time()
    lock = claim_run_dir(None, name="softmax-concise")
    after = time.time()
    lock.release()
    match = re.fullmatch(r"softmax-concise-(\d{8}-\d{6})", lock.run_dir.name)
    assert match is not None and lock.run_dir.parent == Path("runs")
    started = time.mktime(time.strptime(match.group(1), "%Y%m%d-%H%M%S"))
    assert int(before) <= started <= after


def test_json_is_written_through_a_hidden_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash mid-write leaves a dot-file beside the run's files, never one that looks like them."""
    seen: list[list[str]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        seen.append(sorted(os.listdir(tmp_path)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    runs.write_json_atomic(tmp_path / "results.json", {"test_acc": 0.8})
    assert seen[0] == [".results.json.tmp"]


@pytest.mark.parametrize("checkpoint", [True, False], ids=["beside-a-checkpoint", "without"])
def test_a_json_file_on_a_full_disk_names_it_and_advises_resume_only_with_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkpoint: bool
) -> None:
    """The CLI's generic full-disk line advised --resume where no checkpoint existed (a new run's
    config.json); the run's own error names the file and the fix that works there."""
    import errno

    from linearnets.errors import RunFileError

    run = tmp_path / "a run"
    run.mkdir()
    if checkpoint:
        (run / "checkpoint.pt").write_bytes(b"epoch 1")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(RunFileError) as info:
        runs.write_json_atomic(run / "config.json", {"lr": 0.1})
    message = str(info.value)
    assert message.startswith(f"{run / 'config.json'} could not be written: the disk is full (")
    if checkpoint:  # the Python call (the command line prints --resume, quoted for the shell)
        assert message.endswith(f"continue it with linearnets.resume_softmax('{run}')")
    else:
        assert "resume" not in message
        assert message.endswith("the run has no checkpoint to continue from: fix that and run it again")  # fmt: skip
    assert sorted(p.name for p in run.iterdir()) == (["checkpoint.pt"] if checkpoint else [])


def test_a_cli_run_whose_config_cannot_be_written_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the command: the file is named and no checkpoint that does not exist is advised."""
    import errno

    data = _npz(tmp_path / "d.npz")
    real_fsync = os.fsync

    def full_disk(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) == ".config.json.tmp":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    out = tmp_path / "run"
    args = ["softmax", "--data", str(data), "--plot", "none", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"error: {out / 'config.json'} could not be written: the disk is full" in err
    assert "--resume" not in err and "run it again" in err


def test_an_out_too_long_for_the_runs_files_is_refused_before_any_folder_is_made(
    tmp_path: Path,
) -> None:
    """A 4,070-byte --out fits mkdir but not the checkpoint's temporary file beside it
    (PATH_MAX 4096 with its NUL): refused at once instead of failing after the first epoch."""
    from linearnets.training.run_files import LONGEST_NAME

    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    out = tmp_path
    while len(str(out)) < path_max - 26 - 250:  # components of 200 bytes, under NAME_MAX
        out = out / ("d" * 200)
    out = Path(str(out) + "/" + "e" * (path_max - 26 - len(str(out)) - 1))
    assert (
        len(os.fsencode(out)) == path_max - 26
    )  # room for "/.lock", not for ".checkpoint.pt.*.tmp"
    with pytest.raises(UsageError, match=rf"^out='.*' is too long a path \({path_max - 26} bytes\): the files a run writes in it would need {path_max - 26 + 1 + len(LONGEST_NAME)} bytes, past the file system's limit of {path_max - 1}; pass a shorter path"):  # fmt: skip
        claim_run_dir(out, name="x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("not_root")
def test_a_refused_out_leaves_none_of_the_parents_it_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "a" / "b" / "run"
    # once made: a chmod 000
    monkeypatch.setattr(run_dir_checks.os, "access", lambda path, mode: Path(path) != out)
    with pytest.raises(UsageError, match=r"^out='.*' is not readable, writable or searchable "):
        claim_run_dir(out, name="x")
    assert list(tmp_path.iterdir()) == []


def _npz(path: Path) -> Path:
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.normal(size=(20, 3)).astype(np.float32), y=rng.integers(0, 2, 20))
    return path


def test_a_run_refused_before_it_starts_removes_the_parents_it_made(tmp_path: Path) -> None:
    """softmax --data MISSING --out keep/a/b/c once left keep/a/b behind (only c was removed)."""
    (tmp_path / "keep").mkdir()
    out = tmp_path / "keep" / "a" / "b" / "c"
    args = ["softmax", "--data", str(tmp_path / "missing.npz"), "--plot", "none", "--out", str(out)]
    assert main(args) == 2
    assert list(tmp_path.iterdir()) == [tmp_path / "keep"]
    assert list((tmp_path / "keep").iterdir()) == []  # the folder that existed stays


def _tree(root: Path) -> list[str]:
    """Return every entry under ``root`` (a link as itself, not followed), to compare."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.fixture
def data_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """What ``tmp_path`` held each time a run (softmax's or linreg's) began to read its data."""
    from linearnets.tasks import linreg_run, softmax

    seen: list[list[str]] = []

    def watched(real: Callable[..., Any]) -> Callable[..., Any]:
        def reading(*args: Any, **kwargs: Any) -> Any:
            seen.append(_tree(tmp_path))
            return real(*args, **kwargs)

        return reading

    monkeypatch.setattr(softmax, "prepare", watched(softmax.prepare))
    monkeypatch.setattr(linreg_run, "prepare_linreg", watched(linreg_run.prepare_linreg))
    return seen


@pytest.mark.parametrize(
    "argv",
    [
        ["softmax", "--plot", "none"],  # runs/NAME-TIME in the working folder
        ["softmax", "--plot", "none", "--out", "keep/a/b/c"],
        ["linreg", "--out", "keep/a/b/c"],
    ],
    ids=["softmax-runs", "softmax-out", "linreg-out"],
)
def test_a_run_refused_for_its_data_never_touches_the_disk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_read: list[list[str]],
    argv: list[str],
) -> None:
    """The folder is checked before the data are read, writing nothing, and claimed once they are
    read: a run refused for its data made runs/NAME-TIME (or --out and its parents) and removed
    them, where a run beside it (pytest -n, a second terminal) saw them come and go. The file is
    named as typed (softmax and linreg --out named it by its absolute path)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep").mkdir()
    (tmp_path / "bad.npz").write_text("not an npz\n")
    before = _tree(tmp_path)
    assert main([*argv, "--data", "bad.npz"]) == 1  # a data error
    assert data_read == [before]  # nothing made before the data were read
    assert _tree(tmp_path) == before
    assert capsys.readouterr().err == (
        f"linearnets {argv[0]}: error: --data bad.npz is not a readable .npz file "
        "(not a zip archive: a .npy array, text or a damaged file); save it with "
        "numpy.savez(path, X=..., y=...)\n"
    )


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda runs: runs.write_text("my notes\n"),
            "runs is a file, not a folder: a new run's folder goes in "
            "runs/softmax-scratch-TIME here; move or rename it, or pass --out DIR",
        ),
        (
            lambda runs: runs.symlink_to("/nonexist"),
            "runs is a symbolic link to /nonexist, which does not exist: a new run's folder goes "
            "in runs/softmax-scratch-TIME here; fix or remove the link, or pass --out DIR",
        ),
    ],
    ids=["file", "dangling-link"],
)
def test_a_runs_here_that_is_no_folder_is_named_before_the_data_are_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_read: list[list[str]],
    make: Callable[[Path], object],
    said: str,
) -> None:
    """It said "runs/ cannot be created here (File exists)", naming neither the file nor the fix."""
    monkeypatch.chdir(tmp_path)
    make(tmp_path / "runs")
    before = _tree(tmp_path)
    assert main(["softmax", "--impl", "scratch", "--plot", "none"]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said}\n"
    assert data_read == []  # refused at once
    assert _tree(tmp_path) == before
    # linreg keeps no run folder without --out: a runs file is no obstacle, and is left alone
    assert main(["linreg", "--epochs", "1", "--num-examples", "100"]) == 0
    assert _tree(tmp_path) == before


def test_a_run_refused_for_its_data_keeps_the_runs_folder_the_user_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()  # one the user had: it stays, empty
    assert main(["softmax", "--data", str(tmp_path / "missing.npz"), "--plot", "none"]) == 2
    assert list(tmp_path.iterdir()) == [tmp_path / "runs"]
    assert list((tmp_path / "runs").iterdir()) == []


def test_check_run_dir_refuses_a_run_or_its_writer_as_the_claim_does_writing_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        check_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already holds a run (it has config.json); continue it with "
        f"linearnets.resume_softmax('{tmp_path}'), or pass a new folder"
    )
    assert _tree(tmp_path) == ["config.json"]  # no lock file made
    proc = _holder(tmp_path)  # its writer: said first, as the claim does
    try:
        with pytest.raises(UsageError) as info:
            check_run_dir(tmp_path, name="x")
    finally:
        proc.kill()
        proc.wait()
    assert str(info.value) == (
        f"{tmp_path} is being written by another linearnets run (process {proc.pid}); wait for it "
        "to end, or pass another folder"
    )


@pytest.mark.parametrize(
    ("results", "advice"),
    [
        # complete: a plain resume would be refused in turn, so the call that trains it further
        (
            '{"epochs": 3}',
            "it is complete after 3 epochs: train it further with "
            "linearnets.resume_softmax('{}', epochs=8)",
        ),
        # results.json unreadable as a count of epochs: the plain resume, which then says more
        ("not json", "continue it with linearnets.resume_softmax('{}')"),
        ('{"epochs": true}', "continue it with linearnets.resume_softmax('{}')"),
        ("[3]", "continue it with linearnets.resume_softmax('{}')"),
    ],
)
def test_out_on_a_complete_run_is_refused_with_the_call_that_trains_it_further(
    tmp_path: Path, results: str, advice: str
) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "results.json").write_text(results)
    with pytest.raises(UsageError) as info:
        check_run_dir(tmp_path, name="x")
    assert str(info.value) == (
        f"out='{tmp_path}' already holds a run (it has config.json, results.json); "
        f"{advice.format(tmp_path)}, or pass a new folder"
    )


@pytest.mark.parametrize("task", ["softmax", "linreg"])
def test_out_on_a_complete_run_whose_results_disagree_with_its_checkpoint_is_told_the_plain_resume(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, task: str
) -> None:
    """results.json's "epochs" edited to 1 on a run of 3: the advice read it as the truth ("complete
    after 1 epoch: ... --resume DIR --epochs 6"), which the resume refused next (it finished 3).
    The checkpoint's epoch is the truth: such results are damaged, and the plain resume rewrites
    them."""
    out = tmp_path / "run"
    if task == "softmax":
        data = tmp_path / "d.npz"
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)
        np.savez(data, X=X[:30], y=y[:30], X_test=X[30:], y_test=y[30:])
        options = ["--data", str(data), "--plot", "none", "--batch-size", "16"]
    else:
        options = ["--num-examples", "100"]
    command = [task, *options, "--epochs", "3", "--out", str(out)]
    assert main(command) == 0
    results = json.loads((out / "results.json").read_text())
    (out / "results.json").write_text(json.dumps({**results, "epochs": 1}))
    capsys.readouterr()
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        f"; continue it with linearnets {task} --resume {out}, or pass a new folder\n"
    ), err
    # the advice is taken: the plain resume rewrites the results of the checkpoint's 3 epochs
    assert main([task, "--resume", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())["epochs"] == 3


@pytest.mark.parametrize("task", ["softmax", "linreg"])
def test_out_on_a_complete_run_is_told_the_resume_that_reaches_the_epochs_asked_for(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task: str
) -> None:
    """A run complete after 2 epochs, asked again for 10: the advice said "train it further with
    linearnets.resume_softmax('runs/a', epochs=7)" (5 more, the 10 dropped), a run of 7 epochs, not
    the one asked for. A resume's epochs is the run's total: the advice gives the 10; 5 more only
    where the epochs asked for are not past the 2 (2, or 1)."""
    import linearnets as ln

    monkeypatch.chdir(tmp_path)
    if task == "softmax":
        rng = np.random.default_rng(0)
        np.savez("d.npz", X=rng.normal(size=(40, 3)).astype(np.float32), y=rng.integers(0, 2, 40))
        settings: dict[str, Any] = {"data": "d.npz", "plot": "none", "batch_size": 32}
        options = ["--data", "d.npz", "--plot", "none", "--batch-size", "32"]
        run, config = ln.run_softmax, ln.SoftmaxConfig
    else:
        settings, options = {}, []
        run, config = ln.run_linreg, ln.LinregConfig
    run(config(epochs=2, out="runs/a", **settings))
    for asked, advised in [(10, 10), (3, 3), (2, 7), (1, 7)]:
        with pytest.raises(UsageError) as info:
            run(config(out="runs/a", epochs=asked, **settings))
        # fewer epochs than the run's own are a difference, named (the 2 asked are none)
        fewer = f"; it ran with epochs=2, yours with epochs={asked}:" if asked < 2 else ";"
        assert str(info.value).endswith(
            f"{fewer} it is complete after 2 epochs: train it further with linearnets.resume_"
            f"{task}('runs/a', epochs={advised}), or pass a new folder"
        ), (asked, str(info.value))
    capsys.readouterr()
    assert main([task, "--out", "runs/a", "--epochs", "10", *options]) == 2
    assert capsys.readouterr().err.endswith(
        f"; it is complete after 2 epochs: train it further with linearnets {task} --resume "
        "runs/a --epochs 10, or pass a new folder\n"
    )
    # the advice is taken: the run goes on to the 10 epochs asked for
    assert main([task, "--resume", "runs/a", "--epochs", "10"]) == 0
    assert json.loads(Path("runs/a/results.json").read_text())["epochs"] == 10


def test_out_on_a_complete_run_names_fewer_epochs_not_the_plot_as_the_difference(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`softmax --epochs 2 --plot none --out base`, base complete after 3 epochs drawn with --plot
    file: the refusal named --plot (no result of it) as the difference, and not --epochs 2 of 3.
    --plot is still given to the resume advised."""
    import linearnets as ln

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    np.savez("d.npz", X=rng.normal(size=(40, 3)).astype(np.float32), y=rng.integers(0, 2, 40))
    ln.run_softmax(ln.SoftmaxConfig(data="d.npz", epochs=3, plot="file", out="base"))
    capsys.readouterr()
    assert (
        main(["softmax", "--data", "d.npz", "--epochs", "2", "--plot", "none", "--out", "base"])
        == 2
    )
    assert capsys.readouterr().err.endswith(
        "; it ran with --epochs 3, yours with --epochs 2: it is complete after 3 epochs: train it "
        "further with linearnets softmax --resume base --epochs 8 --plot none, or pass a new "
        "folder\n"
    )
    assert (
        main(["softmax", "--data", "d.npz", "--epochs", "3", "--plot", "none", "--out", "base"])
        == 2
    )
    assert capsys.readouterr().err.endswith(
        "); it is complete after 3 epochs: train it further with linearnets softmax --resume base "
        "--epochs 8 --plot none, or pass a new folder\n"
    )


def test_a_dangling_link_or_a_loop_as_out_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match=rf"^out='{re.escape(str(tmp_path))}/dangling' cannot be created: .*/dangling is a symbolic link to .*/nowhere, which does not exist; fix or remove the link, or pass another folder$") as info:  # fmt: skip
        claim_run_dir(tmp_path / "dangling", name="x")
    assert one_line(info.value).startswith(f"--out {tmp_path}/dangling cannot be created: ")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(UsageError, match=r"cannot be created: .*/loop is a symbolic link that loops back to itself; fix or remove"):  # fmt: skip
        claim_run_dir(tmp_path / "loop" / "run", name="x")
    assert not (tmp_path / "nowhere").exists()


def test_the_resume_a_refusal_advises_is_quoted_for_the_shell(tmp_path: Path) -> None:
    """A folder with two spaces: pasted unquoted, --resume would get two arguments. The command
    is whole: "--resume DIR" alone was no command to paste."""
    out = tmp_path / "two  sp"
    out.mkdir()
    (out / "config.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        claim_run_dir(out, name="x")
    line = one_line(info.value)
    assert line.endswith(
        f"continue it with linearnets softmax --resume '{out}', or pass a new folder"
    )
    # the oracle: the shell's own word splitting reads the folder back as one argument
    command = line.split("continue it with ", 1)[1].removesuffix(", or pass a new folder")
    assert shlex.split(command) == ["linearnets", "softmax", "--resume", str(out)]


@pytest.mark.parametrize("name", ["two  sp", "it's", 'say "hi"', "ü\\x"])
def test_a_refused_out_speaks_pythons_words_in_python(tmp_path: Path, name: str) -> None:
    """From a notebook run_softmax(SoftmaxConfig(out=...)) advised --out and --resume, which Python
    has not: the message names the setting out= and the call that continues the run."""
    out = tmp_path / name
    out.mkdir()
    (out / "config.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        claim_run_dir(out, name="x")
    message = str(info.value)
    assert "--" not in message
    # the oracle: Python's own parser reads the setting and the call back as the folder given
    setting, rest = message.split(" already holds a run ", 1)
    assert ast.literal_eval(setting.removeprefix("out=")) == str(out)
    call = ast.parse(rest.split("continue it with ", 1)[1].split(", or pass", 1)[0], mode="eval")
    assert isinstance(call.body, ast.Call) and ast.unparse(call.body.func) == "linearnets.resume_softmax"  # fmt: skip
    assert [ast.literal_eval(arg) for arg in call.body.args] == [str(out)]
    assert shlex.split(one_line(info.value).split("continue it with ")[1].split(",")[0]) == [
        "linearnets",
        "softmax",
        "--resume",
        str(out),
    ]


def test_a_default_folder_that_cannot_be_made_names_the_setting_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file named runs where the default folder goes: named as a file, with the ways on;
    Python is told out=, the command --out."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("mine\n")
    with pytest.raises(UsageError) as info:
        claim_run_dir(None, name="x")
    said = "runs is a file, not a folder: a new run's folder goes in runs/x-TIME here; move or rename it, or pass"  # fmt: skip
    assert str(info.value) == f"{said} out=DIR"
    assert one_line(info.value) == f"{said} --out DIR"
    assert (tmp_path / "runs").read_text() == "mine\n"


@pytest.mark.parametrize("existed", [False, True], ids=["new-folder", "empty-folder"])
def test_a_ctrl_c_in_the_claims_checks_leaves_the_folder_as_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existed: bool
) -> None:
    """Once locked, the claim looks for a run's files: a Ctrl-C then (seen in a kill fuzz of
    linreg --out) left a folder holding .lock alone, where the command said nothing was kept."""

    def interrupted(folder: Path) -> tuple[list[str], list[str]]:
        assert (folder / LOCK_FILE).exists()  # the window: locked, not yet returned
        os.kill(os.getpid(), signal.SIGINT)  # a real one, raised in the main thread
        return [], []

    out = tmp_path / "runs" / "a"
    if existed:
        out.mkdir(parents=True)
    monkeypatch.setattr(runs, "passing_for_a_runs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        claim_run_dir(out, name="x")
    assert list(out.iterdir()) == [] if existed else list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    claim_run_dir(out, name="x").release()  # free: the lock was let go


@pytest.mark.parametrize(
    ("task", "claimant", "advised"),
    [
        ({"task": TASK}, "resume_softmax", "resume_linreg"),  # run_softmax(out=a linreg run)
        ({}, "resume_linreg", "resume_softmax"),  # run_linreg(out=a softmax run): no "task"
        # misspelt, as the readers take it (and refuse it): the run's own resume names the key
        ({"Task": TASK}, "resume_softmax", "resume_linreg"),
        ({"tsak": TASK}, "resume_linreg", "resume_linreg"),
    ],
    ids=["linreg", "softmax", "capital", "swapped"],
)
def test_a_run_of_the_other_task_is_refused_with_its_own_resume(
    tmp_path: Path, task: dict[str, str], claimant: str, advised: str
) -> None:
    """The resume advised is the one of the run the folder holds, not the claimant's: the
    claimant's would refuse the folder in turn, naming the other. A "task" misspelt ("Task",
    "tsak") was read as none, a softmax run's, as the readers no longer take it."""
    (tmp_path / "config.json").write_text(json.dumps({"config": {}, **task}))
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x", resume_function=claimant)
    assert str(info.value).endswith(
        f"continue it with linearnets.{advised}('{tmp_path}'), or pass a new folder"
    )
    # the command line gives the command of the run's own task, softmax or linreg
    task_command = advised.removeprefix("resume_")
    assert one_line(info.value).endswith(
        f"continue it with linearnets {task_command} --resume {tmp_path}, or pass a new folder"
    )


def test_a_config_json_that_is_a_fifo_is_not_read_for_the_resume_to_name(
    tmp_path: Path, failing_after: Callable[[int, str], AbstractContextManager[None]]
) -> None:
    """The run's task is read from a config.json file only: a FIFO of that name would block."""
    os.mkfifo(tmp_path / "config.json")
    with (
        failing_after(10, "claim_run_dir blocked opening the FIFO config.json"),
        pytest.raises(UsageError, match=r"continue it with linearnets\.resume_linreg\("),
    ):
        claim_run_dir(tmp_path, name="x", resume_function="resume_linreg")


@pytest.mark.usefixtures("not_root")
def test_a_refused_default_folder_is_removed_with_the_runs_folder_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """claim_run_dir(None) refused after making runs/<name>-<time>: neither folder is left."""
    monkeypatch.chdir(tmp_path)
    # the run folder, once made (runs/ itself, or the working folder, is refused before)
    monkeypatch.setattr(
        run_dir_checks.os, "access", lambda path, mode: not str(path).startswith("runs/")
    )
    said = r"is not readable, writable or searchable \(no r, w or x permission\); make it readable, writable and searchable \(chmod u\+rwx runs/x-\d{8}-\d{6}\), or pass another folder$"  # fmt: skip
    with pytest.raises(UsageError, match=rf"^out='runs/x-\d{{8}}-\d{{6}}' {said}"):
        claim_run_dir(None, name="x")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "runs").mkdir()  # one the user had: it stays, empty
    with pytest.raises(UsageError, match=said):
        claim_run_dir(None, name="x")
    assert list(tmp_path.iterdir()) == [tmp_path / "runs"]
    assert list((tmp_path / "runs").iterdir()) == []


@pytest.mark.usefixtures("not_root")
def test_a_folder_that_cannot_be_searched_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing a file in a folder needs its x (search) permission as well as its w; as root every
    folder has both, so the check is made to refuse the search alone. It said "is not writable;
    pass a folder you can write to", which the folder was, naming neither x nor its chmod."""
    out = tmp_path / "run"
    monkeypatch.setattr(run_dir_checks.os, "access", lambda path, mode: Path(path) != out or not mode & os.X_OK)  # fmt: skip
    said = f"is not searchable (no x permission); make it searchable (chmod u+x {out}), or pass another folder"  # fmt: skip
    with pytest.raises(UsageError, match=rf"^out='{re.escape(str(out))}' {re.escape(said)}$"):
        claim_run_dir(out, name="x")


@pytest.mark.parametrize("saved", ['{"task": "regression"}', "[1, 2]", '"linreg"'])
def test_a_config_of_no_known_task_advises_the_claimants_own_resume(
    tmp_path: Path, saved: str
) -> None:
    """Only a config.json whose task is "linreg" names resume_linreg; a task unknown here, or a
    file that is no JSON object, names the resume of whoever claims the folder."""
    (tmp_path / "config.json").write_text(saved)
    for resume in ("resume_softmax", "resume_linreg"):
        with pytest.raises(UsageError) as info:
            claim_run_dir(tmp_path, name="x", resume_function=resume)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"out='{tmp_path}' already holds a run (it has config.json); continue it with "
            f"linearnets.{resume}('{tmp_path}'), or pass a new folder"
        )


def test_an_out_whose_longest_file_needs_path_max_bytes_is_refused(tmp_path: Path) -> None:
    """PATH_MAX counts the terminating NUL: a path of exactly PATH_MAX bytes is one too long, and
    one a byte shorter fits."""
    from linearnets.training.run_files import LONGEST_NAME

    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    need = len(LONGEST_NAME) + 1  # "/" and the name
    out = tmp_path
    while len(str(out)) < path_max - need - 250:  # components of 200 bytes, under NAME_MAX
        out = out / ("d" * 200)
    fits = Path(str(out) + "/" + "e" * (path_max - need - len(str(out)) - 2))
    too_long = Path(str(fits) + "e")
    assert len(os.fsencode(too_long / LONGEST_NAME)) == path_max
    with pytest.raises(UsageError, match=rf"would need {path_max} bytes, past the file system's limit of {path_max - 1}; "):  # fmt: skip
        claim_run_dir(too_long, name="x")
    run_dir_checks.check_path_length(fits)  # path_max - 1 bytes: no refusal


def test_a_file_system_of_names_shorter_than_a_runs_is_told_so_not_a_shorter_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was told the path was too long, past "the file system's limit" of PATH_MAX, and to pass
    a shorter path, which cannot help: the run's own file names are too long there."""
    from linearnets.training.run_files import LONGEST_NAME

    short = len(LONGEST_NAME) - 1
    real = os.pathconf
    monkeypatch.setattr(
        run_dir_checks.os,
        "pathconf",
        lambda path, name: short if name == "PC_NAME_MAX" else real(path, name),
    )
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path / "run", name="x")
    assert str(info.value) == (
        f"out={str(tmp_path / 'run')!r} is on a file system whose file names hold at most {short} "
        f"bytes, and a run writes names of up to {len(LONGEST_NAME)} ({LONGEST_NAME}); pass a "
        "folder on another file system"
    )
    assert not (tmp_path / "run").exists()  # refused before any folder is made
    monkeypatch.setattr(run_dir_checks.os, "pathconf", real)
    run_dir_checks.check_path_length(tmp_path / "run")  # the real limits: no refusal


def test_the_path_limits_are_asked_of_the_nearest_folder_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limits are the file system's that will hold the run: asked of out's nearest existing
    folder (another mount than the working directory's, maybe), not of the working directory."""
    asked: list[str] = []
    real = os.pathconf

    def pathconf(path: Any, name: str) -> int:
        asked.append(str(path))
        return real(path, name)

    monkeypatch.setattr(run_dir_checks.os, "pathconf", pathconf)
    run_dir_checks.check_path_length(tmp_path / "a" / "b")
    assert asked == [str(tmp_path)] * 2


@pytest.mark.parametrize("task", ["softmax", "linreg"])
def test_another_tools_config_json_is_refused_as_a_file_the_run_overwrites_not_a_run(
    tmp_path: Path, task: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out holding an editor's config.json was refused as "already holds a run", advising a
    --resume that then failed with "not a linearnets run config"."""
    (tmp_path / "config.json").write_text('{"editor": "vim"}')
    assert main([task, "--out", str(tmp_path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert (
        "already has files a run writes (config.json), which the run would overwrite; pass " in err
    )
    assert "--resume" not in err and "already holds a run" not in err
    assert (tmp_path / "config.json").read_text() == '{"editor": "vim"}'


def test_a_run_file_beside_one_of_another_case_lists_both_where_the_case_tells_them_apart(
    tmp_path: Path,
) -> None:
    """confusion.png and Confusion.png are two files on Linux: the refusal listed confusion.png
    alone (Confusion.png was taken for it, as on macOS), so the files were moved away twice."""
    for name in ("confusion.png", "Confusion.png", "CONFUSION.PDF"):
        (tmp_path / name).write_bytes(b"old")
    if len(list(tmp_path.iterdir())) < 3:
        pytest.skip("this file system tells no letters' case apart")
    with pytest.raises(UsageError) as info:
        claim_run_dir(tmp_path, name="x", resume_function="resume_softmax")
    assert "(confusion.png)" in one_line(info.value)
    assert "in another letters' case or suffix (CONFUSION.PDF, Confusion.png)" in one_line(
        info.value
    )
