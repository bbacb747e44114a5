"""A linear-regression run kept in a folder (unit tests of tasks/linreg_run.py, D2L §3.2.7)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.config import LinregConfig
from linearnets.errors import DatasetError, DivergenceError, ResumeWarning, UsageError
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.linreg_resume import resume_linreg
from linearnets.training.interrupt import TrainingInterrupted
from linearnets.training.run_lock import LOCK_FILE


class _FailsInEpoch2:
    """A user's callback that raises ``error`` once epoch 2 ends (epoch 1 is kept by then)."""

    def __init__(self, error: BaseException) -> None:
        self.error, self.seen = error, 0

    def on_epoch_end(self, metrics: Any) -> None:
        self.seen += 1
        if self.seen == 2:
            raise self.error


@pytest.mark.parametrize("error", [RuntimeError("my logger broke"), KeyboardInterrupt()])
def test_a_failure_once_an_epoch_is_kept_keeps_the_run_folder(
    tmp_path: Path, error: BaseException
) -> None:
    """Only a run stopped before any epoch was kept leaves its folder as it found it: after
    epoch 1's checkpoint the folder stays (a plain Ctrl-C naming the resume), resumable."""
    out = tmp_path / "run"
    kind = TrainingInterrupted if isinstance(error, KeyboardInterrupt) else RuntimeError
    with pytest.raises(kind) as info:
        run_linreg(LinregConfig(epochs=3, out=out), callbacks=[_FailsInEpoch2(error)])
    if isinstance(info.value, TrainingInterrupted):
        assert (info.value.run_dir, info.value.checkpoint_epoch) == (out, 2)
    assert {"config.json", "checkpoint.pt", "metrics.jsonl"} <= {p.name for p in out.iterdir()}
    assert len(resume_linreg(out).history.epochs) == 3


def test_a_divergence_in_epoch_1_leaves_no_folder_and_says_nothing_of_a_checkpoint(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(lr=10.0, epochs=2, out=out))
    assert re.match(r"training diverged at batch \d+ of epoch 1: ", str(info.value))
    assert "checkpoint" not in str(info.value) and "resume" not in str(info.value)
    assert not out.exists()


def test_a_stale_lock_file_the_user_had_stays_when_the_run_fails_to_start(
    tmp_path: Path,
) -> None:
    """The claim takes over a stale lock file; a run refused before an epoch was kept (its data
    file is no regression file) leaves it, as it leaves the folder."""
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_FILE).write_text("")
    bad = tmp_path / "bad.npz"
    np.savez(bad, X=np.ones((5, 2), np.float32))  # no y
    config = LinregConfig(data=bad, out=out)
    with pytest.raises(
        DatasetError,
        match=rf"^{re.escape(str(bad))} must hold arrays X and y, found \['X'\]; save them by "
        r"those names: numpy\.savez\(path, X=X, y=y\)$",
    ):
        run_linreg(config)
    assert [p.name for p in out.iterdir()] == [LOCK_FILE]


def test_config_json_names_the_data_file_and_the_folder_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a relative data path, config.json holds it absolute: a resume from another folder finds
    the same file, and the data's SHA-256 (hashlib's oracle) lets it tell the file changed."""
    import hashlib

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)).astype(np.float32)
    np.savez("d.npz", X=X, y=X.sum(1))
    run_linreg(LinregConfig(data=Path("d.npz"), epochs=1, out=Path("run")))
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["config"]["data"] == str(tmp_path / "d.npz")
    assert saved["data_source"] == f"{tmp_path / 'd.npz'} (20 examples, 2 features)"
    assert saved["data_sha256"] == hashlib.sha256((tmp_path / "d.npz").read_bytes()).hexdigest()
    os.chdir("/")  # another folder: the resume finds the file
    assert len(resume_linreg(tmp_path / "run", epochs=2).history.epochs) == 2


def test_the_run_folder_is_recorded_absolute_and_the_result_names_it_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """out="../run", in tmp/sub, was recorded as "../run" in config.json and results.json (the
    config's out, and run_dir): read from another folder it names another. Both hold tmp/run; the
    result's run_dir is the folder as given, as the caller passed it. A resume from elsewhere
    writes it so too, and an older run's relative out does not stop it."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = run_linreg(LinregConfig(epochs=1, num_examples=20, out="./../sub/../run"))
    assert result.run_dir == Path("../sub/../run")  # as given (pathlib drops "./")
    run, absolute = tmp_path / "run", str(tmp_path / "run")
    assert json.loads((run / "config.json").read_text())["config"]["out"] == absolute
    saved = json.loads((run / "results.json").read_text())
    assert (saved["run_dir"], saved["config"]["out"]) == (absolute, absolute)
    assert result.summary() == saved
    # an older run's record, relative: nothing reads it back, the resume writes the folder anew
    config = json.loads((run / "config.json").read_text())
    config["config"]["out"] = "../run"
    (run / "config.json").write_text(json.dumps(config))
    monkeypatch.chdir(tmp_path / "elsewhere")
    resumed = resume_linreg("../run", epochs=2)
    assert resumed.run_dir == Path("../run") and len(resumed.history.epochs) == 2
    assert json.loads((run / "config.json").read_text())["config"]["out"] == absolute
    saved = json.loads((run / "results.json").read_text())
    assert (saved["run_dir"], saved["config"]["out"]) == (absolute, absolute)


@pytest.mark.parametrize("given", ["../d.npz", "./../sub/../d.npz"])
def test_config_json_names_the_data_file_without_dot_dot_as_given_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """A data path given with ".." was recorded as tmp/sub/../d.npz (absolute, not normalised):
    config.json, results.json and the data source hold it as os.path.abspath gives it."""
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=X.sum(1))
    result = run_linreg(LinregConfig(data=Path(given), epochs=1, out=tmp_path / "run"))
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["config"]["data"] == str(tmp_path / "d.npz")
    assert saved["data_source"] == f"{tmp_path / 'd.npz'} (20 examples, 2 features)"
    assert json.loads((tmp_path / "run" / "results.json").read_text())["config"]["data"] == str(
        tmp_path / "d.npz"
    )
    assert result.data_source == f"{tmp_path / 'd.npz'} (20 examples, 2 features)"


@pytest.mark.parametrize("name", ["d.npz", "d\tx.npz"])
def test_config_json_and_results_json_name_the_data_source_alike(tmp_path: Path, name: str) -> None:
    """config.json's data_source was the bare path (str(config.data)), results.json's the path as
    shown with the examples and features ('/p/d.npz (20 examples, 2 features)', an odd name as
    $'…'): one value in both, as softmax writes its one, and so after a resume."""
    from linearnets._text import shown_path

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)).astype(np.float32)
    path = tmp_path / name
    np.savez(path, X=X, y=X.sum(1))
    run = tmp_path / "run"
    result = run_linreg(LinregConfig(data=path, epochs=1, out=run))
    expected = f"{shown_path(path)} (20 examples, 2 features)"
    for resumed in (False, True):
        config = json.loads((run / "config.json").read_text())
        results = json.loads((run / "results.json").read_text())
        assert config["data_source"] == results["data_source"] == result.data_source == expected
        if not resumed:
            result = resume_linreg(run, epochs=2)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_a_dot_dot_after_a_symlink_is_kept_the_file_read_and_recorded_the_one_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """link/../d.npz, link a symlink to elsewhere/inner, names elsewhere/d.npz: dropping the ".."
    would name another file (here ./d.npz, other data), so the path is made absolute only."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)).astype(np.float32)
    (tmp_path / "elsewhere" / "inner").mkdir(parents=True)
    np.savez(tmp_path / "elsewhere" / "d.npz", X=X, y=X.sum(1))
    np.savez(tmp_path / "d.npz", X=X[:10], y=X[:10].sum(1))  # what "d.npz" alone would name
    os.symlink(tmp_path / "elsewhere" / "inner", tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    result = run_linreg(LinregConfig(data=Path("link/../d.npz"), epochs=1, out=tmp_path / "run"))
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["config"]["data"] == str(tmp_path / "link" / ".." / "d.npz")
    assert result.data_source == f"{tmp_path / 'link' / '..' / 'd.npz'} (20 examples, 2 features)"


def test_a_data_path_that_is_a_folder_is_refused_as_a_file_and_leaves_no_run(
    tmp_path: Path,
) -> None:
    """Its SHA-256 for config.json is None (not an IsADirectoryError out of the hash): the data
    reader then names it, and the folder made for the run goes again."""
    out = tmp_path / "run"
    config = LinregConfig(data=tmp_path, out=out)
    with pytest.raises(UsageError) as info:
        run_linreg(config)
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got '{tmp_path}'; save the arrays with "
        "numpy.savez(path, X=X, y=y), or as a CSV whose last column is y"
    )
    assert not out.exists()


def test_a_forced_change_from_concise_to_scratch_carries_the_weights_over(
    tmp_path: Path,
) -> None:
    """nn.Linear's 0.weight (1, d) and 0.bias (1,) become the scratch model's w (d, 1) and b (1,):
    the resumed run starts from the concise run's weights (it was refused as another model shape)."""
    import torch

    out = tmp_path / "run"
    run_linreg(LinregConfig(impl="concise", epochs=1, out=out))
    kept = torch.load(out / "checkpoint.pt", weights_only=False)["model_state"]
    # an lr of 1e-12 keeps the weights where the checkpoint left them, to float32 rounding
    with pytest.warns(ResumeWarning, match=r"^impl changed from 'concise' to 'scratch'"):
        resumed = resume_linreg(out, impl="scratch", epochs=2, lr=1e-12, force=True)
    assert resumed.w == pytest.approx(kept["0.weight"].reshape(-1).tolist(), abs=1e-6)
    assert resumed.b == pytest.approx(float(kept["0.bias"]), abs=1e-6)


class _RaisesInEpoch1:
    """A user's callback raising ``error`` at batch 2 of epoch 1."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def on_batch_end(self, step: int, losses: Any) -> None:
        if step == 1:
            raise self.error


def test_a_checkpoint_unwritten_in_epoch_1_keeps_the_folder_its_message_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk as epoch 1's checkpoint.pt was written said "fix that and start it over with
    linearnets.resume_linreg(...)", but run_in_folder removed the folder (any error before a
    checkpoint did): the resume said it "does not exist". The run's own file unwritten keeps the
    folder, named as run_dir (as softmax's), and the resume trains the run as a fresh one does."""
    import errno

    import linearnets.training.checkpoint_write as checkpoint_write
    from linearnets.errors import CheckpointError

    def full(obj: object, f: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "run"
    config = LinregConfig(epochs=2, out=out)
    with monkeypatch.context() as patch:
        patch.setattr(checkpoint_write, "_torch_save", full)
        with pytest.raises(CheckpointError) as info:
            run_linreg(config)
    said = str(info.value)
    assert said.startswith(f"{out / 'checkpoint.pt'} could not be written: the disk is full (")
    assert said.endswith(
        "; no earlier checkpoint exists; fix that and start it over with "
        f"linearnets.resume_linreg({str(out)!r})"
    )
    assert getattr(info.value, "run_dir", None) == out
    assert (out / "config.json").is_file() and not (out / "checkpoint.pt").exists()
    resumed = resume_linreg(out)
    whole = run_linreg(LinregConfig(epochs=2, out=tmp_path / "whole"))
    assert resumed.history.train_loss == whole.history.train_loss
    assert (resumed.w, resumed.b) == (whole.w, whole.b)  # lists of floats, bit for bit


def test_a_callbacks_system_exit_in_epoch_1_leaves_the_folder_as_found(tmp_path: Path) -> None:
    """run_linreg caught only Exception: a callback's SystemExit left .lock, config.json and the
    metrics files in the user's folder (run_softmax leaves it as found), refusing the same call."""
    out = tmp_path / "run"
    out.mkdir()
    config = LinregConfig(epochs=2, out=out)
    with pytest.raises(SystemExit) as info:
        run_linreg(config, callbacks=[_RaisesInEpoch1(SystemExit(3))])
    assert info.value.code == 3
    assert list(out.iterdir()) == []  # the user's empty folder, kept empty
    assert len(run_linreg(config).history.epochs) == 2


@pytest.mark.parametrize("kind", ["linearnets-error", "full-disk", "run-file-error", "divergence"])
def test_a_callbacks_own_error_of_a_runs_kind_in_epoch_1_leaves_no_folder(
    tmp_path: Path, kind: str
) -> None:
    """A callback's own error, of the kinds the run's stops raise, is no stop of the run's: it
    goes on as it is and the folder goes, as run_softmax has it (a RunFileError of a callback's
    own file is not the run's file unwritten)."""
    import errno

    from linearnets.errors import LinearnetsError, RunFileError

    error = {
        "linearnets-error": LinearnetsError("mine"),
        "full-disk": OSError(errno.ENOSPC, "No space left on device"),
        "run-file-error": RunFileError("my file could not be written"),
        "divergence": DivergenceError("my check"),
    }[kind]
    said = str(error)
    out = tmp_path / "run"
    config = LinregConfig(epochs=2, out=out)
    with pytest.raises(type(error)) as info:
        run_linreg(config, callbacks=[_RaisesInEpoch1(error)])
    assert info.value is error and str(info.value) == said
    assert getattr(info.value, "run_dir", None) is None
    assert not out.exists()
    assert len(run_linreg(config).history.epochs) == 2


def test_a_metrics_writer_of_yours_elsewhere_advises_the_runs_resume(tmp_path: Path) -> None:
    """A MetricsWriter of yours writing in another folder, unwritten in epoch 2, advised from its
    own folder: "the run has no checkpoint to continue from: fix that and run it again", the run
    holding epoch 1's. It now names the run's resume, which, followed, ends as the run would."""
    from linearnets.errors import RunFileError
    from linearnets.training.callbacks import Callback, MetricsWriter

    mine, out = tmp_path / "mine", tmp_path / "run"
    mine.mkdir()

    class InTheWay(Callback):  # after epoch 1, a folder where the next row goes
        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.epoch == 1:
                (mine / "metrics.jsonl").unlink()
                (mine / "metrics.jsonl").mkdir()

    config = LinregConfig(epochs=3, out=out)
    with pytest.raises(RunFileError) as caught:
        run_linreg(config, callbacks=[MetricsWriter(mine), InTheWay()])
    assert str(caught.value) == (
        f"{mine / 'metrics.jsonl'} could not be written: [Errno 21] Is a directory: "
        f"'{mine / 'metrics.jsonl'}'; the checkpoint of the run's last finished epoch is kept in "
        f"{out}: fix that and continue it with linearnets.resume_linreg({str(out)!r})"
    )
    (mine / "metrics.jsonl").rmdir()
    resumed = resume_linreg(out, callbacks=[MetricsWriter(mine)])
    whole = run_linreg(LinregConfig(epochs=3, out=tmp_path / "whole"))
    assert resumed.history.train_loss == whole.history.train_loss


def test_a_metrics_writer_subclass_of_yours_elsewhere_unwritten_at_the_start_leaves_no_folder(
    tmp_path: Path,
) -> None:
    """Before the first checkpoint a writer of yours outside the run folder is a callback of
    yours: the new run's folder goes, as it did for a subclass, whose error advised the resume of
    that folder gone ("start it over with linearnets.resume_linreg(...)"). The same call runs."""
    from linearnets.errors import RunFileError
    from linearnets.training.callbacks import MetricsWriter

    class MyWriter(MetricsWriter):
        pass

    mine, out = tmp_path / "mine", tmp_path / "run"
    (mine / ".metrics.csv.tmp").mkdir(parents=True)
    config = LinregConfig(epochs=2, out=out)
    with pytest.raises(RunFileError) as caught:
        run_linreg(config, callbacks=[MyWriter(mine)])
    assert str(caught.value).endswith(
        f"; the run in {out} has no checkpoint yet: fix that and run it again"
    ), str(caught.value)
    assert not out.exists()
    (mine / ".metrics.csv.tmp").rmdir()
    assert len(run_linreg(config, callbacks=[MyWriter(mine)]).history.epochs) == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not json\n", "line 1 is no row of metrics (JSONDecodeError: Expecting value: line 1 "
                        "column 1 (char 0))"),
        (b'{"epoch": 1}\n{"a": 1}\n', "line 2 is no row of metrics (KeyError: 'epoch')"),
        (b'{"epoch": 1, "extra": 2}\n', "line 1 is no row of metrics ('extra': none of epoch, "
                                        "train_loss, train_acc, test_loss, test_acc, seconds)"),
        (b"\xff\xfe\n", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
        (None, "[Errno 21] Is a directory: '{path}'"),
    ],
    ids=["not-json", "no-epoch", "another-field", "not-utf-8", "a-folder"],
)  # fmt: skip
def test_a_damaged_metrics_file_of_yours_on_a_resume_is_named_with_its_line(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    """A MetricsWriter of yours on a resume reads its kept rows first: a damaged file escaped as a
    bare JSONDecodeError, KeyError or UnicodeDecodeError, a folder in its place as an
    IsADirectoryError, naming no file, nor the run's resume."""
    from linearnets.errors import RunFileError
    from linearnets.training.callbacks import MetricsWriter

    mine, out = tmp_path / "mine", tmp_path / "run"
    run_linreg(LinregConfig(epochs=1, out=out))
    path = mine / "metrics.jsonl"
    if content is None:
        path.mkdir(parents=True)
    else:
        mine.mkdir()
        path.write_bytes(content)
    with pytest.raises(RunFileError) as caught:
        resume_linreg(out, epochs=2, callbacks=[MetricsWriter(mine)])
    assert str(caught.value) == (
        f"{path} could not be read back: {reason.format(path=path)}; the checkpoint of the run's "
        f"last finished epoch is kept in {out}: fix that and continue it with "
        f"linearnets.resume_linreg({str(out)!r})"
    )
    if content is None:  # taken away, or moved aside: written anew
        path.rmdir()
    else:
        path.unlink()
    assert len(resume_linreg(out, epochs=2, callbacks=[MetricsWriter(mine)]).history.epochs) == 2


def test_a_writer_of_yours_whose_folder_is_gone_names_the_runs_resume(tmp_path: Path) -> None:
    """Its folder removed in epoch 1, it was told "the run folder MINE is gone ..., and its
    checkpoints with it; start the run again", which the run, its own folder and checkpoint kept,
    then refused ("already holds a run"). It names its folder gone and the run's resume."""
    import shutil

    from linearnets.errors import RunFileError
    from linearnets.training.callbacks import Callback, MetricsWriter

    mine, out = tmp_path / "mine", tmp_path / "run"
    mine.mkdir()

    class Removes(Callback):  # after epoch 1, the writer's folder taken away
        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.epoch == 1:
                shutil.rmtree(mine)

    with pytest.raises(RunFileError) as caught:
        run_linreg(LinregConfig(epochs=3, out=out), callbacks=[MetricsWriter(mine), Removes()])
    assert str(caught.value) == (
        f"{mine / 'metrics.jsonl'} could not be written: its folder {mine} is gone (removed or "
        "moved while the run trained); the checkpoint of the run's last finished epoch is kept "
        f"in {out}: fix that and continue it with linearnets.resume_linreg({str(out)!r})"
    )
    mine.mkdir()
    assert len(resume_linreg(out, callbacks=[MetricsWriter(mine)]).history.epochs) == 3


@pytest.mark.parametrize("nested", [False, True], ids=["alone", "in-a-new-runs-callback"])
def test_a_writer_of_yours_elsewhere_in_a_resume_before_a_checkpoint_advises_the_resume(
    tmp_path: Path, nested: bool
) -> None:
    """A resume of a run stopped before its first checkpoint keeps its folder whatever stops it:
    a writer of yours outside it, unwritten as the fit starts, was told "run it again", which the
    folder, holding config.json, then refused ("already holds a run"); so was such a resume inside
    a callback of a new run, which set "a new run" for everything inside. It is told the resume
    that starts the run over, which, followed, trains."""
    from linearnets.errors import RunFileError
    from linearnets.training.callbacks import Callback, MetricsWriter

    mine, out = tmp_path / "mine", tmp_path / "run"
    (out / ".metrics.jsonl.tmp").mkdir(parents=True)  # the run's own file unwritten: it stops
    with pytest.raises(RunFileError):
        run_linreg(LinregConfig(epochs=2, out=out))
    (out / ".metrics.jsonl.tmp").rmdir()
    assert (out / "config.json").is_file() and not (out / "checkpoint.pt").exists()
    (mine / ".metrics.jsonl.tmp").mkdir(parents=True)

    class Resumes(Callback):
        def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
            resume_linreg(out, callbacks=[MetricsWriter(mine)])

    with pytest.raises(RunFileError) as caught:
        if nested:
            run_linreg(LinregConfig(epochs=1, out=tmp_path / "outer"), callbacks=[Resumes()])
        else:
            Resumes().on_fit_start(num_epochs=2, start_epoch=0)
    assert str(caught.value).endswith(
        f"; the run in {out} has no checkpoint yet: fix that and start it over with "
        f"linearnets.resume_linreg({str(out)!r})"
    ), str(caught.value)
    (mine / ".metrics.jsonl.tmp").rmdir()
    assert len(resume_linreg(out, callbacks=[MetricsWriter(mine)]).history.epochs) == 2


@pytest.mark.parametrize("named", ["alias", "real"])
def test_the_run_folder_named_through_a_link_and_removed_is_the_run_folder_gone(
    tmp_path: Path, named: str
) -> None:
    """The run's out given as a link to the folder a writer of yours names by its real path (or
    the other way round), removed after epoch 2's checkpoint: the link left dangling, the two
    names differed, and the file was called yours, 'the run ... has no checkpoint yet'."""
    import shutil

    from linearnets.errors import RunFileError
    from linearnets.training.callbacks import Callback, MetricsWriter

    real, alias = tmp_path / "real", tmp_path / "alias"
    real.mkdir()
    alias.symlink_to(real)
    out, writer = (alias, real) if named == "alias" else (real, alias)

    class Removes(Callback):
        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.epoch == 2:
                shutil.rmtree(real)

    mine = MetricsWriter(writer)  # under names of yours: the run's own are refused
    mine.jsonl, mine.csv = writer / "mine.jsonl", writer / "mine.csv"
    with pytest.raises(RunFileError) as caught:
        run_linreg(LinregConfig(epochs=3, out=out), callbacks=[Removes(), mine])
    assert str(caught.value) == (
        f"{writer / 'mine.jsonl'} could not be written: the run folder {writer} is gone "
        "(removed or moved while the run trained), and its checkpoints with it; start the run "
        "again (a folder moved elsewhere holds the checkpoints up to then: resume it there)"
    )


def test_a_folder_holding_a_linreg_run_of_other_settings_is_told_the_resume_that_applies_yours(
    tmp_path: Path,
) -> None:
    """As a softmax run's folder: the settings that differ are given to the resume."""
    out = tmp_path / "run"
    run_linreg(LinregConfig(epochs=1, out=out))
    with pytest.raises(UsageError) as info:
        run_linreg(LinregConfig(epochs=1, lr=0.01, out=out))
    assert str(info.value).endswith(
        "; it ran with lr=0.03, yours with lr=0.01: it is complete after 1 epoch: train it "
        f"further with linearnets.resume_linreg({str(out)!r}, epochs=6, lr=0.01, force=True), or "
        "pass a new folder"
    )


def test_a_linreg_run_refused_for_data_its_weights_do_not_fit_is_told_a_new_folder(
    tmp_path: Path,
) -> None:
    """A synthetic run (2 features) asked for a 4-feature csv was told resume_linreg(..., data=
    ..., force=True), refused in turn: its weights cannot carry over, not even forced."""
    out, csv = tmp_path / "run", tmp_path / "d.csv"
    csv.write_text("a,b,c,d,y\n" + "1,2,3,4,5\n" * 8, encoding="utf-8")
    run_linreg(LinregConfig(epochs=1, out=out))
    with pytest.raises(UsageError) as info:
        run_linreg(LinregConfig(epochs=1, out=out, data=csv))
    assert str(info.value).endswith(
        f"yours with num_examples=None and noise_std=None and true_w=None and true_b=None and "
        f"data={str(csv)!r}: its checkpoint's weights do not fit the model of yours, so those "
        "settings cannot carry over, not even with force=True; pass a new folder"
    )
