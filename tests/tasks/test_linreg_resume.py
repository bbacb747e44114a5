"""Linear-regression run folders: per-epoch checkpoints and an exact resume (tasks/linreg_run.py)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import linearnets as ln
from linearnets.errors import (
    CheckpointError,
    DatasetError,
    DivergenceError,
    ResumeWarning,
    UsageError,
)
from linearnets.tasks.linreg import prepare_linreg
from linearnets.tasks.linreg_resume import resume_linreg
from linearnets.training.checkpoint import load_checkpoint
from linearnets.training.interrupt import TrainingInterrupted

from ._metrics_damage import CONFIG_REWRITTEN, DAMAGES
from .test_resume_fit import TYPED_DATA, refused_as_typed
from .test_training_run import StopNow  # the user's "stop training now" callback

IMPLS = ("scratch", "analytic", "concise")


class _SignalAt:
    """Send this process ``signum`` after step ``step`` of epoch ``epoch``, as Ctrl-C would."""

    def __init__(self, epoch: int, step: int, signum: int = signal.SIGINT) -> None:
        self.at, self.step, self.signum = epoch, step, signum
        self.epoch = 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self.epoch = epoch

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        if self.epoch == self.at and step == self.step:
            os.kill(os.getpid(), self.signum)  # delivered to the main thread before kill returns


def _losses(result: ln.LinregResult) -> list[float]:
    return [m.train_loss for m in result.history.epochs]


def _stopped(config: ln.LinregConfig, epoch: int = 2, signum: int = signal.SIGINT) -> Path:
    """Run ``config`` until a signal in ``epoch``; return its folder."""
    with pytest.raises(TrainingInterrupted) as info:
        ln.run_linreg(config, callbacks=[_SignalAt(epoch, 4, signum)])
    assert config.out is not None
    assert info.value.run_dir == config.out
    return config.out


@pytest.mark.parametrize("impl", IMPLS)
def test_an_interrupted_run_resumes_bit_identical_to_one_never_stopped(
    tmp_path: Path, impl: str
) -> None:
    settings = {"impl": impl, "epochs": 4, "num_examples": 300}
    never = ln.run_linreg(ln.LinregConfig(**settings))  # the book's run: no folder at all
    out = _stopped(ln.LinregConfig(**settings, out=tmp_path / "run"))
    assert load_checkpoint(out / "checkpoint.pt").epoch == 1  # epoch 2's partial steps dropped
    assert not (out / "results.json").exists()

    resumed = resume_linreg(out)
    assert resumed.w == never.w and resumed.b == never.b
    assert _losses(resumed) == _losses(never)
    assert resumed.run_dir == out
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]
    assert [r["train_loss"] for r in rows] == _losses(never)
    results = json.loads((out / "results.json").read_text())
    assert results["w"] == never.w and results["b"] == never.b and results["epochs"] == 4
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt.epoch == 4 and ckpt.config["impl"] == impl and ckpt.version == ln.__version__
    saved = json.loads((out / "config.json").read_text())
    assert saved["task"] == "linreg" and saved["config"]["seed"] == 0
    assert saved["config"]["num_threads"] == 1 and saved["environment"]["torch"]
    assert saved["resumes"][0]["from_epoch"] == 1 and saved["resumes"][0]["forced"] == {}


def test_a_sigterm_stops_the_run_as_a_ctrl_c_does(tmp_path: Path) -> None:
    config = ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run")
    never = ln.run_linreg(ln.LinregConfig(epochs=3, num_examples=200))
    out = _stopped(config, epoch=3, signum=signal.SIGTERM)
    assert load_checkpoint(out / "checkpoint.pt").epoch == 2
    resumed = resume_linreg(out)
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_the_stop_names_the_kept_checkpoint_and_the_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(TrainingInterrupted) as info:
        ln.run_linreg(ln.LinregConfig(epochs=3, out=out), callbacks=[_SignalAt(2, 4)])
    assert str(info.value) == (
        f"interrupted by SIGINT after batch 5 of epoch 2; the checkpoint of epoch 1 is kept in {out}; "
        f"resume with: linearnets.resume_linreg({str(out)!r})"
    )


def test_more_epochs_continue_a_finished_run_as_one_run_of_them_all(tmp_path: Path) -> None:
    for impl in IMPLS:
        out = tmp_path / impl
        ln.run_linreg(ln.LinregConfig(impl=impl, epochs=2, num_examples=200, out=out))
        longer = resume_linreg(out, epochs=5)
        never = ln.run_linreg(ln.LinregConfig(impl=impl, epochs=5, num_examples=200))
        assert (longer.w, longer.b, _losses(longer)) == (never.w, never.b, _losses(never))


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        ("lr", 0.01, "lr changed from 0.03 to 0.01"),
        ("batch_size", 20, "batch_size changed from 10 to 20"),
        ("seed", 1, "seed changed from 0 to 1"),
        ("impl", "concise", "impl changed from 'scratch' to 'concise'"),
        ("num_examples", 100, "num_examples changed from 200 to 100"),
        ("noise_std", 0.1, "noise_std changed from 0.01 to 0.1"),
    ],
)
def test_a_changed_setting_is_refused_unless_forced(
    tmp_path: Path, setting: str, value: object, shown: str
) -> None:
    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    before = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(UsageError, match=f"^{shown}: the run in .* pass force=True"):
        resume_linreg(out, **{setting: value})
    assert (out / "checkpoint.pt").read_bytes() == before  # refused before anything was written

    noted = pytest.warns(ResumeWarning, match="loss") if setting == "impl" else nullcontext()
    with noted:  # the loss's unit changes: test_a_forced_impl_change_of_loss_says_...
        forced = resume_linreg(out, force=True, **{setting: value})
    assert forced.config is not None and getattr(forced.config, setting) == value
    saved = json.loads((out / "config.json").read_text())
    assert saved["resumes"][-1]["forced"] == {
        setting: [getattr(ln.LinregConfig(num_examples=200), setting), value]
    }
    assert len(forced.history.epochs) == 3


def test_a_forced_lr_trains_the_rest_with_it(tmp_path: Path) -> None:
    """The optimizer's saved state held the old lr: the new one must reach the steps."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    first = load_checkpoint(out / "checkpoint.pt")
    forced = resume_linreg(out, epochs=2, lr=0.01, force=True)
    # the oracle: epoch 2 by hand, from epoch 1's weights, with the data order the run draws
    setup = prepare_linreg(ln.LinregConfig(num_examples=200))
    setup.gens.load_state_dict(first.generators_state["run"])
    w = first.model_state["w"].clone()
    b = first.model_state["b"].clone()
    for X, y in setup.train_iter:
        err = X @ w + b - y  # (B, 1)
        w -= 0.01 * (X.T @ err) / len(y)
        b -= 0.01 * err.mean(0)
    assert forced.w == pytest.approx(w.reshape(-1).tolist(), abs=1e-6)
    assert forced.b == pytest.approx(float(b), abs=1e-6)


def test_a_finished_run_is_refused_with_the_way_to_train_further(tmp_path: Path) -> None:
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    with pytest.raises(UsageError, match=r"^the run in .* is complete: it finished its 2 epochs"):
        resume_linreg(out)
    with pytest.raises(UsageError, match=r"^epochs must be more than .* \(2\), got 1; pass e\.g\."):
        resume_linreg(out, epochs=1)
    for epochs in (2, 1):  # its own count, given: not "complete", but the count to pass
        with pytest.raises(UsageError) as info:
            resume_linreg(out, epochs=epochs)
        assert str(info.value) == (
            f"epochs must be more than the epochs the run in {out} already finished (2), got "
            f"{epochs}; pass e.g. epochs=7 to train further"
        )


def test_a_run_whose_results_are_lost_is_refused_fewer_epochs_by_the_rule_it_applies(
    tmp_path: Path,
) -> None:
    """Without results.json the checkpoint's own epoch count is taken (the resume writes the
    results): the refusal of fewer said "must be more than ... (2)", which 2 was not, and was
    accepted. It says "at least" now, with both fixes, as resume_softmax's does."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    (out / "results.json").unlink()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=1)
    assert str(info.value) == (
        f"epochs must be at least the epochs the run in {out} already finished (2), got 1; "
        "pass e.g. epochs=7 to train further, or pass epochs=2 to end the run there"
    )
    assert resume_linreg(out, epochs=2).config.epochs == 2  # the rule said: 2 is taken
    assert json.loads((out / "results.json").read_text())["epochs"] == 2


@pytest.mark.parametrize("how", ["python", "cli"])
def test_a_forced_resume_stopped_as_its_data_are_made_advises_itself_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    """A Ctrl-C as a resume with lr=0.05, force=True made its data, before config.json recorded
    them: the stop advised the plain resume_linreg(DIR), which trained at the run's old lr 0.03.
    It advises the resume with its settings (the command line its options); that trains at 0.05."""
    import linearnets.tasks.linreg_resume as linreg_resume
    from linearnets.cli import main

    out = tmp_path / "my run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, lr=0.03, out=out))
    real = linreg_resume.prepare_linreg

    def signalled(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # a real one, as the data are made
        return real(*args, **kwargs)

    kept = (
        f"interrupted by SIGINT at the end of epoch 1; the checkpoint of epoch 1 is kept in {out}"
    )
    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(linreg_resume, "prepare_linreg", signalled)
        if how == "python":
            with pytest.raises(TrainingInterrupted) as info:
                resume_linreg(out, epochs=2, lr=0.05, force=True)
            call = f"linearnets.resume_linreg({str(out)!r}, epochs=2, lr=0.05, force=True)"
            assert str(info.value) == f"{kept}; resume with: {call}"
        else:
            argv = ["linreg", "--resume", str(out), "--epochs", "2", "--lr", "0.05", "--force"]
            assert main(argv) == 130
            command = (
                f"linearnets linreg --resume {shlex.quote(str(out))} --epochs 2 --lr 0.05 --force"
            )
            assert capsys.readouterr().err == f"linearnets linreg: {kept}; resume with: {command}\n"
    assert json.loads((out / "config.json").read_text())["config"]["lr"] == 0.03  # not recorded
    if how == "python":
        assert len(resume_linreg(out, epochs=2, lr=0.05, force=True).history.epochs) == 2
    else:
        assert main(shlex.split(command)[1:]) == 0  # as pasted
    assert json.loads((out / "config.json").read_text())["config"]["lr"] == 0.05


@pytest.mark.parametrize("how", ["python", "cli"])
def test_a_run_ended_early_stays_ended_when_its_config_json_is_rebuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """A run asked for 3 epochs, stopped after 2, ended there with epochs=2 (the refusal of fewer
    says "pass epochs=2 to end the run there"): its checkpoint kept the count of 3, so once
    config.json was deleted the plain resume rebuilt 3 epochs from it and trained epoch 3 without
    a word, overwriting the finished results.json. As resume_softmax has it, the checkpoint
    records the end: config.json comes back with 2 epochs and a note, nothing is trained."""
    from linearnets.cli import main

    out = tmp_path / "run"
    config = ln.LinregConfig(epochs=3, num_examples=200, out=out)
    with pytest.raises(KeyboardInterrupt):
        ln.run_linreg(config, callbacks=[StopNow("on_epoch_start", 3)])
    assert load_checkpoint(out / "checkpoint.pt").epoch == 2
    if how == "python":
        assert len(resume_linreg(out, epochs=2).history.epochs) == 2
    else:
        assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 0
    assert load_checkpoint(out / "checkpoint.pt").config["epochs"] == 2
    ended = (out / "results.json").read_bytes()
    asked = json.loads((out / "config.json").read_text())["config"]
    assert asked["epochs"] == 2
    (out / "config.json").unlink()
    said = CONFIG_REWRITTEN.format(out=out)
    capsys.readouterr()
    if how == "python":
        with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
            assert len(resume_linreg(out).history.epochs) == 2  # nothing trained
    else:
        assert main(["linreg", "--resume", str(out)]) == 0
        assert f"linearnets: note: {said}\n" in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["config"] == asked
    assert (out / "results.json").read_bytes() == ended
    assert len((out / "metrics.csv").read_text().splitlines()) == 3  # a header and 2 epochs


@pytest.mark.parametrize("damage", ['{"epochs": \n', "", '{"epochs": 1}'])
def test_a_plain_resume_rewrites_damaged_results(tmp_path: Path, damage: str) -> None:
    """A results.json cut short, emptied or of another epoch count was taken as a finished run's:
    the plain resume "--out E" advises was refused as complete, and "epochs=2" as not more than 2,
    so nothing but training further wrote the results again. As resume_softmax's
    check_epochs_left has it, the run is finished only when its results are readable and of the
    checkpoint's epochs: the plain resume rewrites them, as the run never stopped wrote them."""
    whole = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=tmp_path / "whole"))
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    (out / "results.json").write_text(damage, encoding="utf-8")
    result = resume_linreg(out)
    assert result.w == whole.w and result.b == whole.b  # bit for bit: the checkpoint's epoch 2
    results = json.loads((out / "results.json").read_text())
    assert results["epochs"] == 2 and results["w"] == whole.w and results["b"] == whole.b
    with pytest.raises(UsageError, match=r"^the run in .* is complete: it finished its 2 epochs"):
        resume_linreg(out)  # and now it is


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_plain_resume_rewrites_damaged_metrics(tmp_path: Path, damage: str) -> None:
    """metrics.jsonl or metrics.csv removed, emptied, cut short or torn: the plain resume said
    the run was complete. As resume_softmax has it, the metrics files must hold the checkpoint's
    history: the plain resume writes them again from it, trains nothing, and says so."""
    import shutil

    whole = tmp_path / "whole"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=whole))
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    spoil, said = DAMAGES[damage]
    spoil(out)
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said.format(out=out))}$"):
        result = resume_linreg(out)
    assert len(result.history.epochs) == 2  # nothing trained
    for name in ("metrics.jsonl", "metrics.csv"):  # its timing too: the history's own
        assert (out / name).read_bytes() == (whole / name).read_bytes()
    with pytest.raises(UsageError, match=r"^the run in .* is complete: it finished its 2 epochs"):
        resume_linreg(out)


def test_a_finished_run_missing_only_its_config_json_gets_it_back_from_a_plain_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """config.json alone removed: the plain resume said the run was complete, nothing left to
    resume, and left it missing, though a lost config.json is rebuilt from the checkpoint (and
    was, where metrics.csv was lost too, unsaid). It is written again, trains nothing, says so."""
    from linearnets.cli import main

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    first = json.loads((out / "config.json").read_text())
    (out / "config.json").unlink()
    said = CONFIG_REWRITTEN.format(out=out)
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        result = resume_linreg(out)
    assert len(result.history.epochs) == 2  # nothing trained
    rebuilt = json.loads((out / "config.json").read_text())
    assert (rebuilt["task"], rebuilt["config"]) == ("linreg", first["config"])
    with pytest.raises(UsageError, match=r"^the run in .* is complete: it finished its 2 epochs"):
        resume_linreg(out)
    (out / "config.json").unlink()  # the command says it too
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out)]) == 0
    assert f"linearnets: note: {said}\n" in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["config"] == first["config"]


def test_a_column_of_yours_in_metrics_csv_is_no_damage(tmp_path: Path) -> None:
    """A finished run's metrics.csv with a column the user added was judged damaged ("its
    header is not epoch,...") and written again without it, where a key of theirs in
    metrics.jsonl was not: the run is complete, its file left as it was."""
    from ._metrics_damage import _noted

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    _noted(out / "metrics.csv")
    noted = (out / "metrics.csv").read_bytes()
    with pytest.raises(UsageError, match=r"^the run in .* is complete: it finished its 2 epochs"):
        resume_linreg(out)
    assert (out / "metrics.csv").read_bytes() == noted
    assert not (out / "metrics.csv.bak").exists()


def test_a_rewritten_metrics_file_keeps_the_old_one_beside_it(tmp_path: Path) -> None:
    """A finished run's metrics.jsonl damaged twice: each old one is kept, the first as
    metrics.jsonl.bak, the next as metrics.jsonl.bak.1 (the first not written over)."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    jsonl = out / "metrics.jsonl"
    whole = jsonl.read_bytes()
    # a value edited by hand, then a row of another epoch: neither is a start of the rewrite
    first = whole.replace(b'"epoch": 2', b'"epoch": 7', 1)
    second = whole[: whole.index(b"\n") + 1] * 2
    for damaged, backup in ((first, "metrics.jsonl.bak"), (second, "metrics.jsonl.bak.1")):
        jsonl.write_bytes(damaged)
        with pytest.warns(ResumeWarning, match=f"the old metrics.jsonl is kept as {backup}$"):
            resume_linreg(out)
        assert (out / backup).read_bytes() == damaged
        assert jsonl.read_bytes() == whole
    assert (out / "metrics.jsonl.bak").read_bytes() == first


def test_a_plain_resume_tells_a_metrics_csv_row_it_wrote_over_and_why(tmp_path: Path) -> None:
    """metrics.csv's epoch 2 row edited and metrics.jsonl torn: the note told metrics.jsonl's
    damage and only that the old metrics.csv was kept, never that it was written over, or why."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    csv_path = out / "metrics.csv"
    row = csv_path.read_bytes().splitlines()[2].split(b",")
    loss = row[1].decode()
    csv_path.write_bytes(csv_path.read_bytes().replace(row[1], b"0.9999", 1))
    (out / "metrics.jsonl").write_bytes((out / "metrics.jsonl").read_bytes()[:-20])
    said = (
        f"wrote metrics.jsonl and metrics.csv in {out} again from its checkpoint.pt's history "
        "(2 epochs): metrics.jsonl was cut short (its last line torn); metrics.csv's epoch 2 row "
        "differed "
        f"from the checkpoint's history (train_loss 0.9999 there, {loss} in the history): the old "
        "metrics.csv is kept as metrics.csv.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_linreg(out)
    assert csv_path.read_bytes().splitlines()[2].split(b",")[1].decode() == loss


def test_a_plain_resume_tells_a_metrics_csv_it_wrote_over_alone(tmp_path: Path) -> None:
    """metrics.csv's epoch 2 row edited, results.json removed: the resume wrote metrics.csv again
    from the checkpoint and kept the old as metrics.csv.bak without a word (no file was wrong in
    its epochs). The note names it, with its row."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    csv_path = out / "metrics.csv"
    loss = csv_path.read_bytes().splitlines()[2].split(b",")[1]
    csv_path.write_bytes(csv_path.read_bytes().replace(loss, b"0.9999", 1))
    (out / "results.json").unlink()
    said = (
        f"wrote metrics.csv in {out} again from its checkpoint.pt's history (2 epochs): "
        "metrics.csv's epoch 2 row differed from the checkpoint's history (train_loss 0.9999 "
        f"there, {loss.decode()} in the history): the old metrics.csv is kept as metrics.csv.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_linreg(out)
    assert (out / "metrics.csv.bak").exists()


def test_a_plain_resume_tells_a_metrics_jsonl_differing_in_formatting_alone(
    tmp_path: Path,
) -> None:
    """metrics.jsonl with CRLF ends, metrics.csv removed: the note said metrics.csv was missing
    and the old metrics.jsonl kept, never how it differed."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    jsonl = out / "metrics.jsonl"
    jsonl.write_bytes(jsonl.read_bytes().replace(b"\n", b"\r\n"))
    (out / "metrics.csv").unlink()
    said = (
        f"wrote metrics.csv and metrics.jsonl in {out} again from its checkpoint.pt's history "
        "(2 epochs): metrics.csv was missing; metrics.jsonl differed in its formatting alone "
        "(line endings): the old metrics.jsonl is kept as metrics.jsonl.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_linreg(out)


@pytest.mark.parametrize("name", ["metrics.csv", "metrics.jsonl"])
def test_a_metrics_file_saved_with_a_byte_order_mark_is_no_damage_to_a_plain_resume(
    tmp_path: Path, name: str
) -> None:
    """A metrics file saved by Excel (a UTF-8 BOM first): the plain resume called it damaged
    (metrics.csv: "its header does not hold epoch,train_loss,... in that order"; metrics.jsonl:
    "line 1 is no row of metrics") and wrote it again; it is whole."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    path = out / name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with pytest.raises(UsageError, match=r"^the run in .* is complete: it finished its 2 epochs"):
        resume_linreg(out)
    assert not (out / f"{name}.bak").exists()


def test_a_resume_for_more_epochs_tells_why_it_kept_a_metrics_file(tmp_path: Path) -> None:
    """A row past the checkpoint (epoch 3 of a 2-epoch one): the resume for more epochs kept
    metrics.csv with no word of why, where a plain resume said it."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    with (out / "metrics.csv").open("ab") as f:
        f.write(b"3,0.001,,,,0.01\r\n")
    said = (
        f"before writing the metrics files in {out} again from its checkpoint.pt's history (2 "
        "epochs) to resume it: metrics.csv held 3 epoch rows where the checkpoint's history "
        "holds 2 epoch rows: the old metrics.csv is kept as metrics.csv.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        result = resume_linreg(out, epochs=3)
    assert len(result.history.epochs) == 3


def test_a_plain_resume_tells_an_edit_and_a_row_past_the_checkpoint_once_each(
    tmp_path: Path,
) -> None:
    """metrics.csv's epoch 2 row edited and a row of epoch 3 added: both told, neither twice."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    csv_path = out / "metrics.csv"
    loss = csv_path.read_bytes().splitlines()[2].split(b",")[1]
    csv_path.write_bytes(csv_path.read_bytes().replace(loss, b"0.9999", 1) + b"3,0.001,,,,0.01\r\n")
    said = (
        f"wrote metrics.csv in {out} again from its checkpoint.pt's history (2 epochs): "
        "metrics.csv held 3 epoch rows where the checkpoint's history holds 2 epoch rows, and "
        "its epoch 2 row differed from the checkpoint's history (train_loss 0.9999 there, "
        f"{loss.decode()} in the history): the old metrics.csv is kept as metrics.csv.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_linreg(out)


def test_a_plain_resume_of_metrics_jsonl_nested_past_the_recursion_limit_is_no_crash(
    tmp_path: Path,
) -> None:
    """A key nested 100,000 deep in metrics.jsonl: the resume crashed with an unexpected
    RecursionError; it is damage, written again, the old file kept."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    jsonl = out / "metrics.jsonl"
    whole = jsonl.read_bytes()
    jsonl.write_bytes(b'{"epoch": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    said = (
        f"wrote metrics.jsonl in {out} again from its checkpoint.pt's history (2 epochs): "
        "metrics.jsonl was damaged (line 1 is no row of metrics): the old metrics.jsonl is kept "
        "as metrics.jsonl.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_linreg(out)
    assert jsonl.read_bytes() == whole


def test_a_resume_for_more_epochs_keeps_a_column_of_yours(tmp_path: Path) -> None:
    """An unfinished run's metrics.csv with a column the user added: its resume writes the file
    again from the checkpoint's history, dropping the column without a word. The old file is
    kept as metrics.csv.bak, and a note says so."""
    from ._metrics_damage import _noted

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    _noted(out / "metrics.csv")
    noted = (out / "metrics.csv").read_bytes()
    said = (
        f"before writing the metrics files in {out} again from its checkpoint.pt's history (2 epochs) to "
        "resume it: metrics.csv held a column of yours (note): the old metrics.csv is kept as "
        "metrics.csv.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        result = resume_linreg(out, epochs=3)
    assert len(result.history.epochs) == 3
    assert (out / "metrics.csv.bak").read_bytes() == noted
    assert (out / "metrics.csv").read_bytes().splitlines()[0] == (
        b"epoch,train_loss,train_acc,test_loss,test_acc,seconds"
    )


def test_a_damaged_checkpoint_is_named(tmp_path: Path) -> None:
    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"^checkpoint .*checkpoint\.pt cannot be read"):
        resume_linreg(out)


def _weights_of_three_features(path: Path) -> None:
    """Replace the scratch checkpoint's ``w`` (2, 1) at ``path`` by a (3, 1) one, its config
    kept: weights no model of its settings takes, as a damaged or mixed-up file holds."""
    from dataclasses import asdict

    from linearnets.training.checkpoint import save_checkpoint

    ckpt = load_checkpoint(path)
    fields = {k: v for k, v in asdict(ckpt).items() if k not in ("path", "version")}
    fields["model_state"] = {**ckpt.model_state, "w": torch.zeros(3, 1)}
    save_checkpoint(path, **fields)


def test_a_checkpoint_of_another_shape_is_refused_naming_it(tmp_path: Path) -> None:
    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    _weights_of_three_features(out / "checkpoint.pt")
    with pytest.raises(CheckpointError, match=r"holds states this run cannot take"):
        resume_linreg(out)


def test_a_true_w_of_another_length_is_refused_even_forced_naming_true_w(tmp_path: Path) -> None:
    """A true_w of another length makes a model of another number of features: given (forced),
    or edited into config.json, it was let through to the states' load and refused as a damaged
    checkpoint, "delete it and resume with force=True to start the run over", which threw the
    trained epochs away. It is named now, against the checkpoint's, with the fix that keeps them."""
    from linearnets.cli._report import one_line

    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    before = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, true_w=[1.0, 2.0, 3.0], force=True)
    assert str(info.value) == (
        "true_w changed from [2.0, -3.4] to [1.0, 2.0, 3.0]: the model would take 3 features and "
        "the checkpoint's weights take 2, so they cannot carry over, not even with force=True; "
        "leave true_w out to resume on the run's own synthetic data, or start a new run in "
        "another folder (out=NEW_DIR)"
    )
    path = out / "config.json"
    saved = json.loads(path.read_text())
    for true_w in ([1.0], [1.0, 2.0, 3.0]):
        path.write_text(json.dumps({**saved, "config": {**saved["config"], "true_w": true_w}}))
        for force in (False, True):
            with pytest.raises(UsageError) as info:
                resume_linreg(out, force=force)
            assert one_line(info.value) == (
                # the command's words for the synthetic truth (878bd89b), as its clauses say it
                f"{out}/checkpoint.pt was trained with truth w [2.0, -3.4], but {out}/config.json "
                f"asks for truth w {true_w} (a checkpoint from another run?): the model would "
                f"take {len(true_w)} feature{'s' * (len(true_w) > 1)} and the checkpoint's weights take "
                "2, so they cannot "
                "carry over, not even with --force; put back the run's own config.json or "
                "checkpoint.pt, or start a new run in another folder (--out NEW_DIR)"
            )
    assert (out / "checkpoint.pt").read_bytes() == before
    path.write_text(json.dumps(saved))
    assert len(resume_linreg(out).history.epochs) == 3  # the trained epochs kept


def test_a_softmax_run_s_checkpoint_copied_in_is_refused_naming_its_task(
    tmp_path: Path,
) -> None:
    """A softmax run's checkpoint.pt copied over a linear-regression run's was said to hold
    "states this run cannot take (...): it is damaged, or from a run of another model shape"."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    data = tmp_path / "d.npz"
    np.savez(data, X=np.random.default_rng(0).normal(size=(30, 4)), y=np.arange(30) % 3)
    softmax = tmp_path / "softmax"
    ln.run_softmax(ln.SoftmaxConfig(epochs=1, data=data, plot="none", out=softmax))
    (out / "checkpoint.pt").write_bytes((softmax / "checkpoint.pt").read_bytes())
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    path = re.escape(str(out / "checkpoint.pt"))
    for force in (False, True):  # forced too: its states cannot be loaded
        with pytest.raises(
            CheckpointError,
            match=rf"^checkpoint {path} is a softmax run's checkpoint, not a linreg run's: it was "
            r"copied from another run's folder; restore checkpoint\.pt from a copy of the run, "
            r"or move it out of the folder, keeping it \(a softmax run's weights\), and resume "
            r"with force=True to start the run over$",
        ):
            resume_linreg(out, epochs=2, force=force)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing rewritten


def test_a_metrics_file_the_resume_cannot_write_advises_resume_linreg(tmp_path: Path) -> None:
    """metrics.csv's rewrite failing (its temporary file's name a folder; metrics.csv itself a
    folder is refused before anything is written): the failure advised
    linearnets.resume_softmax(DIR), which refuses this folder, a linear-regression run's."""
    from linearnets.errors import RunFileError

    out = tmp_path / "my run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    (out / ".metrics.csv.tmp").mkdir()
    with pytest.raises(RunFileError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value).endswith(
        "; the checkpoint of the run's last finished epoch is kept: fix that and continue it with "
        f"linearnets.resume_linreg({str(out)!r})"
    )
    (out / ".metrics.csv.tmp").rmdir()  # fixed: the call it advises continues the run
    assert len(resume_linreg(out, epochs=2).history.epochs) == 2


def test_out_on_a_folder_holding_a_run_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    before = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(UsageError, match=r"already holds a run .*linearnets\.resume_linreg\("):
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    assert (out / "checkpoint.pt").read_bytes() == before


def test_out_is_refused_in_resume_softmax_s_words(tmp_path: Path) -> None:
    """It said "out cannot be passed to resume_linreg: ...; drop out", where resume_softmax said
    "resume_softmax takes no out: ..." for the same refusal, neither naming the value received."""
    from linearnets.tasks.resume_settings import resumed_config

    with pytest.raises(UsageError) as linreg:
        resume_linreg(tmp_path, out="elsewhere")
    with pytest.raises(UsageError) as softmax:
        resumed_config(ln.SoftmaxConfig(), {"out": "elsewhere"}, tmp_path)
    assert str(linreg.value) == (
        f"out cannot be passed to resume_linreg, got out='elsewhere': the run continues in its "
        f"own folder, {str(tmp_path)!r}; drop out= (to continue a copy elsewhere, copy the run "
        "folder and resume the copy)"
    )
    assert str(softmax.value) == str(linreg.value).replace("resume_linreg", "resume_softmax")


def test_a_file_in_a_linreg_run_folder_is_told_the_folder_that_holds_it(tmp_path: Path) -> None:
    """resume_linreg('R/checkpoint.pt') was told to pass a folder a run kept, as load_trained
    names the one that holds it."""
    run = tmp_path / "R"
    ln.run_linreg(ln.LinregConfig(epochs=1, out=run))
    with pytest.raises(UsageError) as info:
        resume_linreg(run / "checkpoint.pt")
    assert str(info.value) == (
        f"the run folder {run / 'checkpoint.pt'} is a file in a run folder; pass the folder that "
        f"holds it: {run}"
    )


def test_a_folder_without_a_linreg_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError,
        match=r"holds no config\.json, so it holds no run; pass the folder a run kept with out=DIR",
    ):
        resume_linreg(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"config": {"impl": "analytic"}}))
    with pytest.raises(UsageError, match=r"holds no linear-regression run .*resume_softmax"):
        resume_linreg(tmp_path)


def test_a_folder_without_config_json_is_resumed_from_its_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A linreg run's folder that lost its config.json was said to "hold no run", then told to
    put the file back, though its checkpoint holds the run's settings: resume_softmax rebuilds a
    softmax run's config.json from its checkpoint, and so does resume_linreg now, bit for bit as
    the run with its config.json. A softmax run's checkpoint is sent to resume_softmax."""
    from linearnets.cli import main
    from linearnets.tasks.softmax import run_softmax

    from .test_resume import _edit_checkpoint

    run, kept = tmp_path / "run", tmp_path / "kept"  # kept: its config.json kept
    for out in (run, kept):
        ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    (run / "config.json").unlink()
    result = resume_linreg(run, epochs=3)
    expected = resume_linreg(kept, epochs=3)
    assert _losses(result) == _losses(expected)
    assert (result.w, result.b) == (expected.w, expected.b)
    rebuilt = json.loads((run / "config.json").read_text())
    assert rebuilt["task"] == "linreg" and rebuilt["config"]["epochs"] == 3
    assert rebuilt["config"]["out"] == str(run)
    assert [r["from_epoch"] for r in rebuilt["resumes"]] == [2]
    # one recording no task (a hand edit) is told by its settings: it was "of a softmax run"
    (run / "config.json").unlink()
    _edit_checkpoint(run, extra=lambda payload: {**payload["extra"], "task": None})
    assert main(["linreg", "--resume", str(run), "--epochs", "4"]) == 0
    assert json.loads((run / "config.json").read_text())["config"]["epochs"] == 4
    capsys.readouterr()
    # a softmax run's checkpoint: resume_softmax rebuilds its config.json from it
    data = tmp_path / "d.npz"
    np.savez(data, X=np.random.default_rng(0).normal(size=(30, 4)), y=np.arange(30) % 3)
    softmax = tmp_path / "softmax"
    run_softmax(ln.SoftmaxConfig(epochs=1, data=data, plot="none", out=softmax))
    (softmax / "config.json").unlink()
    with pytest.raises(UsageError) as info:
        resume_linreg(softmax)
    assert str(info.value) == (
        f"the run folder {softmax} holds no linear-regression run (its checkpoint.pt is of a "
        "softmax run); it is complete after 1 epoch: train it further with: "
        f"linearnets.resume_softmax({str(softmax)!r}, epochs=6)"
    )
    assert ln.resume_softmax(softmax, epochs=2).history.epochs[-1].epoch == 2  # as it says


@pytest.mark.parametrize(
    "config,said",
    [
        (lambda c: c | {"lr": "fast"}, r"lr must be a positive number.*got 'fast'"),
        (
            lambda c: {k: v for k, v in c.items() if k != "lr"},
            r"it lacks 'lr', which every run writes \(a resume would take the default, lr 0\.03, "
            r"not the value the run was trained with\)",
        ),
    ],
    ids=["lr-text", "lr-deleted"],
)
def test_settings_rebuilt_from_a_hand_edited_checkpoint_name_the_checkpoint(
    tmp_path: Path, config: Callable[[dict[str, Any]], dict[str, Any]], said: str
) -> None:
    """Without config.json the settings are the checkpoint's: a bad one names that file (not the
    config.json that is not there), as resume_softmax names it; the checkpoint put back, the run
    resumes."""
    from .test_resume import _edit_checkpoint

    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=run))
    (run / "config.json").unlink()
    good = (run / "checkpoint.pt").read_bytes()
    _edit_checkpoint(run, config=lambda payload: config(payload["config"]))
    path = re.escape(str(run / "checkpoint.pt"))
    with pytest.raises(
        CheckpointError,
        match=rf"^checkpoint {path} holds an unusable config: {said}.*; restore checkpoint\.pt "
        r"from a copy of the run, or delete it and resume with force=True to start the run over$",
    ):
        resume_linreg(run, epochs=2)
    assert not (run / "config.json").exists()
    (run / "checkpoint.pt").write_bytes(good)  # as it says
    assert resume_linreg(run, epochs=2).history.epochs[-1].epoch == 2


@pytest.mark.parametrize(
    "finished", [True, False], ids=["finished", "stopped-after-its-checkpoint"]
)
def test_a_damaged_config_json_is_told_to_be_deleted_and_the_resume_rebuilds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], finished: bool
) -> None:
    """An unreadable config.json was told "put the run's config.json back, or start a new run",
    though the checkpoint holds the settings: deleted, as a softmax run's, the plain resume
    rebuilds it (training nothing, where the run is complete)."""
    from linearnets.cli import main

    run = tmp_path / "lc"
    ln.run_linreg(ln.LinregConfig(epochs=3, num_examples=200, out=run))
    if not finished:  # stopped after its last checkpoint, before results.json
        (run / "results.json").unlink()
    (run / "config.json").write_text("{")
    resume = f"linearnets.resume_linreg('{run}'){'' if finished else ' continues the run and'}"
    said = (
        f"{run / 'config.json'} is not a readable JSON config (Expecting property name enclosed "
        "in double quotes: line 1 column 2 (char 1)); delete config.json alone (not the folder), "
        f"or restore it from a copy of the run: {resume} rebuilds it from checkpoint.pt (without the "
        "record of earlier resumes or your notes)"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(said)}$"):
        resume_linreg(run, epochs=4)
    capsys.readouterr()
    assert main(["linreg", "--resume", str(run), "--epochs", "4"]) == 2
    err = capsys.readouterr().err
    command = f"linearnets linreg --resume {run}{'' if finished else ' continues the run and'}"
    assert err.startswith("linearnets linreg: error: ") and f"{command} rebuilds" in err, err
    (run / "config.json").unlink()  # as it says
    assert main(["linreg", "--resume", str(run)]) == 0
    assert json.loads((run / "config.json").read_text())["config"]["epochs"] == 3


def test_a_checkpoint_epoch_past_its_history_is_refused_as_damaged_before_any_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A complete two-epoch run whose checkpoint's epoch was edited to 12: the plain resume
    advised epochs=17, which was then refused as damaged. The damage is said first, whatever is
    given, and its fix works."""
    from linearnets.cli import main

    from .test_resume import _edit_checkpoint

    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=run))
    _edit_checkpoint(run, epoch=12)
    said = (
        f"checkpoint {run / 'checkpoint.pt'} is damaged: its history must hold one row per "
        "finished epoch (12), got 2; restore checkpoint.pt from a copy of the run, or delete it "
        "and resume with force=True to start the run over"
    )
    for given in ({}, {"epochs": 17}, {"epochs": 12}, {"epochs": 3}, {"lr": 0.1}):
        with pytest.raises(CheckpointError, match=f"^{re.escape(said)}$"):
            resume_linreg(run, **given)
    capsys.readouterr()
    assert main(["linreg", "--resume", str(run)]) == 1
    cli_said = said.replace("force=True", "--force")
    assert capsys.readouterr().err == f"linearnets linreg: error: {cli_said}\n"
    (run / "checkpoint.pt").unlink()  # as it says
    assert main(["linreg", "--resume", str(run), "--force"]) == 0
    assert load_checkpoint(run / "checkpoint.pt").epoch == 2


def test_a_data_file_whose_content_changed_is_refused_unless_forced(tmp_path: Path) -> None:
    X = torch.randn(50, 2, generator=torch.Generator().manual_seed(3))
    y = X @ torch.tensor([1.0, -2.0]) + 0.5
    path = tmp_path / "d.csv"
    rows = [
        ",".join(f"{v:.6f}" for v in [*x, t]) for x, t in zip(X.tolist(), y.tolist(), strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=path, epochs=1, lr=0.01, out=out))
    path.write_text("\n".join(reversed(rows)) + "\n")
    with pytest.raises(UsageError, match=r"^data=.* changed since the run .*SHA-256"):
        resume_linreg(out, epochs=2)
    assert len(resume_linreg(out, epochs=2, force=True).history.epochs) == 2


# 20 rows of a CSV of two features and y, and of three features and y: the same file rewritten
# with a feature more, whose weights a run on the first cannot take
_TWO_FEATURES = "".join(f"{i % 7},{i % 3},{i % 7 - i % 3}\n" for i in range(20))
_THREE_FEATURES = "".join(f"{i % 7},{i % 3},{i % 5},{i % 4}\n" for i in range(20))


def _rows_file(path: Path, seed: int) -> Path:
    """Write a CSV of 40 rows, two features and y, drawn from ``seed``; return ``path``."""
    X = torch.randn(40, 2, generator=torch.Generator().manual_seed(seed))
    y = X @ torch.tensor([1.0, -2.0]) + 0.5
    rows = [f"{a:.6f},{b:.6f},{t:.6f}" for (a, b), t in zip(X.tolist(), y.tolist(), strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_lost_config_json_still_checks_the_data_file_against_the_checkpoint(
    tmp_path: Path,
) -> None:
    """The checkpoint records the data file's SHA-256 (extra["data_sha256"]): a resume whose
    config.json is lost checks the file against it as against config.json's. New content at the
    run's path trained on without a word (the rebuilt config.json recording the new SHA-256 as the
    run's); a file gone was told "the run recorded no SHA-256", which it had, in the lost file."""
    data = _rows_file(tmp_path / "d.csv", 0)
    run, kept = tmp_path / "run", tmp_path / "kept"
    for out in (run, kept):
        ln.run_linreg(ln.LinregConfig(data=data, epochs=2, lr=0.01, out=out))
    first = json.loads((run / "config.json").read_text())["data_sha256"]
    assert load_checkpoint(run / "checkpoint.pt").extra["data_sha256"] == first
    for out in (run, kept):
        (out / "config.json").unlink()
    _rows_file(data, 1)  # new content at the run's own path
    with pytest.raises(UsageError) as info:
        resume_linreg(run, epochs=3)
    assert str(info.value).startswith(
        f"data={str(data)!r} changed since the checkpoint was trained on it (SHA-256 "
        f"{first[:12]}… then, "
    ) and str(info.value).endswith(
        "which would change its result; put that content back, or pass force=True to "
        "continue on the new content"
    )
    assert not (run / "config.json").exists()  # refused: nothing written
    assert len(resume_linreg(run, epochs=3, force=True).history.epochs) == 3
    rebuilt = json.loads((run / "config.json").read_text())
    assert rebuilt["data_sha256"] != first and rebuilt["resumes"][-1]["forced"] == {
        "data": [f"{data} (SHA-256 {first[:12]})", str(data)],
        "data_sha256": [first, rebuilt["data_sha256"]],  # the content forced, as softmax's
    }
    # the file moved: the same content at a new path continues the run, unforced
    data.unlink()
    with pytest.raises(UsageError) as info:
        resume_linreg(kept, epochs=3)
    assert str(info.value).endswith(
        "if the file moved, pass data=NEWPATH (its SHA-256 is checked: the same content "
        "continues the run, without force=True)"
    )
    moved = _rows_file(tmp_path / "moved.csv", 0)
    result = resume_linreg(kept, epochs=3, data=moved)
    never = ln.run_linreg(ln.LinregConfig(data=moved, epochs=3, lr=0.01))
    assert (result.w, result.b) == (never.w, never.b)


def test_a_checkpoint_without_the_data_sha256_says_so_and_warns_the_file_goes_unchecked(
    tmp_path: Path,
) -> None:
    """A checkpoint of an earlier linearnets records no SHA-256: with config.json lost, nothing
    tells new content at the run's path. Each message says what is true (the lost config.json
    recorded one), and the resume warns that it continues on the file unchecked."""
    from .test_resume import _edit_checkpoint

    data = _rows_file(tmp_path / "d.csv", 0)
    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, lr=0.01, out=run))
    (run / "config.json").unlink()
    extra = {k: v for k, v in load_checkpoint(run / "checkpoint.pt").extra.items()}
    del extra["data_sha256"]
    _edit_checkpoint(run, extra=extra)
    lost = (
        "config.json is lost, and checkpoint.pt, which stands in for it, is an earlier "
        "linearnets' that recorded no SHA-256 to check the content against"
    )
    other = _rows_file(tmp_path / "other.csv", 1)
    with pytest.raises(UsageError) as info:
        resume_linreg(run, epochs=2, data=other)
    assert str(info.value).startswith(
        f"data changed from {f'{data} (no SHA-256 in checkpoint.pt)'!r} to {str(other)!r}: "
    )
    moved = data.rename(tmp_path / "moved.csv")
    with pytest.raises(UsageError) as info:
        resume_linreg(run, epochs=2)
    assert str(info.value).endswith(
        f"if the file moved, pass data=NEWPATH with force=True ({lost})"
    )
    moved.rename(data)
    with pytest.warns(ResumeWarning) as record:
        resume_linreg(run, epochs=2)
    assert [str(w.message) for w in record] == [
        f"the run in {run} continues on data={str(data)!r} unchecked: {lost}; if the file's "
        "content changed since the run trained on it, the result is not the run's: put the "
        "original file back"
    ]


def test_a_run_stopped_before_its_first_checkpoint_starts_over(tmp_path: Path) -> None:
    out = _stopped(ln.LinregConfig(epochs=2, num_examples=200, out=tmp_path / "run"), epoch=1)
    assert not (out / "checkpoint.pt").exists()
    never = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200))
    resumed = resume_linreg(out)
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_a_run_refused_before_its_first_epoch_leaves_no_folder(tmp_path: Path) -> None:
    """The same command, once fixed, must find the folder free (not 'already holds a run')."""
    out = tmp_path / "new" / "run"
    missing = tmp_path / "missing.csv"
    with pytest.raises(UsageError, match=r"missing\.csv. does not exist"):
        ln.run_linreg(ln.LinregConfig(data=missing, out=out))
    assert list(tmp_path.iterdir()) == []
    # too few rows for a unique least-squares solution: refused before training, nothing kept
    missing.write_text("1.0,2.0,3.0\n")
    with pytest.raises(DatasetError, match=r"more rows \(examples\) than columns"):
        ln.run_linreg(ln.LinregConfig(data=missing, out=out))
    assert list(tmp_path.iterdir()) == [missing]


def test_a_resume_on_another_thread_count_warns_it_is_not_bit_exact(tmp_path: Path) -> None:
    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    with pytest.warns(ResumeWarning, match=r"^resumed with num_threads=2, where the run last ran "):
        resume_linreg(out, num_threads=2)


def test_a_blow_up_after_a_kept_epoch_names_the_checkpoint_and_the_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    kept = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(DivergenceError) as info:
        resume_linreg(out, epochs=3, lr=10.0, force=True)
    assert str(info.value).endswith(
        f"; the checkpoint of epoch 1 is kept in {out} (continue it with a smaller lr: "
        f"linearnets.resume_linreg({str(out)!r}, lr=0.5, force=True))"
    )
    assert (out / "checkpoint.pt").read_bytes() == kept
    resumed = resume_linreg(out, epochs=3, lr=0.03, force=True)  # back to the run's own lr
    never = ln.run_linreg(ln.LinregConfig(epochs=3, num_examples=200))
    assert (resumed.w, resumed.b) == (never.w, never.b)


def test_a_blow_up_in_a_new_runs_first_epoch_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(DivergenceError, match=r"^training diverged at batch \d+ of epoch 1: "):
        ln.run_linreg(ln.LinregConfig(epochs=1, lr=10.0, out=out))
    assert not out.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("written", [False, True], ids=["before-results", "after-results"])
def test_a_signal_after_training_stops_the_run_as_softmax_s_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, written: bool
) -> None:
    """run_linreg handled SIGTERM only during fit: one once the epochs were done, while
    results.json was written, ended the process without a word (killed), where run_softmax
    stops with the TrainingInterrupted a Ctrl-C gives there."""
    from linearnets.tasks import linreg_run

    real = linreg_run.write_json_atomic
    came: list[int] = []

    def signalled(path: Path, *args: Any, **kwargs: Any) -> None:
        if path.name != "results.json":
            real(path, *args, **kwargs)
            return
        if written:
            real(path, *args, **kwargs)  # the run is complete, then the signal
        os.kill(os.getpid(), signum)  # delivered to the main thread before kill returns

    monkeypatch.setattr(linreg_run, "write_json_atomic", signalled)
    # the old code's SIGTERM, recorded rather than ending pytest: the run then returned
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: came.append(signum))
    out = tmp_path / "run"
    try:
        with pytest.raises(TrainingInterrupted) as info:
            ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert came == []
    name = signal.Signals(signum).name
    if written:
        assert str(info.value) == (
            f"interrupted by {name} after the run finished: its results are complete in {out}"
        )
    else:  # every epoch kept: the resume writes the results
        assert (info.value.signal_name, info.value.run_dir, info.value.checkpoint_epoch) == (
            name,
            out,
            2,
        )
        monkeypatch.setattr(linreg_run, "write_json_atomic", real)
        assert ln.resume_linreg(out).history.epochs[-1].epoch == 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("existed", [False, True], ids=["new-folder", "empty-folder"])
def test_a_signal_while_the_data_are_made_leaves_the_folder_as_it_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, existed: bool
) -> None:
    """config.json was written before the data were made: a stop then kept a folder holding it
    alone, told "start it over with --resume", where the same command was refused ("already
    holds a run"). The data are now made before the folder is claimed: nothing was trained, and
    the folder is left as found, as softmax's is."""
    from linearnets._signals import sigterm_as_keyboard_interrupt
    from linearnets.tasks import linreg_run

    real = linreg_run.prepare_linreg

    def signalled(config: ln.LinregConfig, **kwargs: Any) -> object:
        assert not (out / "config.json").exists()  # the data first: the folder is not claimed
        os.kill(os.getpid(), signum)  # a real one, raised in the main thread before kill returns
        return real(config, **kwargs)

    out = tmp_path / "new" / "run"
    if existed:
        out.mkdir(parents=True)
    monkeypatch.setattr(linreg_run, "prepare_linreg", signalled)
    config = ln.LinregConfig(epochs=2, num_examples=200, out=out)
    with sigterm_as_keyboard_interrupt(), pytest.raises(KeyboardInterrupt) as info:
        ln.run_linreg(config)
    assert type(info.value) is KeyboardInterrupt  # no resume named: there is nothing to resume
    assert info.value.args == (() if signum == signal.SIGINT else ("SIGTERM",))
    if existed:
        assert list(out.iterdir()) == []
    else:
        assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(linreg_run, "prepare_linreg", real)
    again = ln.run_linreg(config)  # the same call: the folder is free
    never = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200))
    assert (again.w, again.b, _losses(again)) == (never.w, never.b, _losses(never))


def _finished_run(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """Return a 1-epoch run's folder in ``tmp_path``, its config.json and what that holds, for a
    test to edit by hand and put back."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    path = out / "config.json"
    return out, path, json.loads(path.read_text())


def _interrupted_once(when: Callable[[], bool], real: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``real`` raising a Ctrl-C's KeyboardInterrupt after its first call once ``when()``."""
    fired: list[bool] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value = real(*args, **kwargs)
        if not fired and when():
            fired.append(True)
            raise KeyboardInterrupt
        return value

    return wrapped


@pytest.mark.parametrize("where", ["results.json", "lock", "caller's state"])
@pytest.mark.parametrize("resumed", [False, True], ids=["run", "resume"])
def test_a_stop_once_results_json_is_written_says_the_run_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, resumed: bool
) -> None:
    """It advised a resume that is refused ("the run is complete"), or, in the lock's release
    or the caller's state given back, said the run had never started."""
    from linearnets.tasks import linreg, linreg_resume, linreg_run
    from linearnets.training import run_lock

    out = tmp_path / "run"
    if resumed:
        _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=out))
    complete = (out / "results.json").is_file
    if where == "results.json":  # its write's last step done: the file is there
        patched = _interrupted_once(complete, linreg_run.write_json_atomic)
        monkeypatch.setattr(linreg_run, "write_json_atomic", patched)
    elif where == "lock":
        patched = _interrupted_once(complete, run_lock.RunLock.release)
        monkeypatch.setattr(run_lock.RunLock, "release", patched)
    else:

        @contextlib.contextmanager
        def grad_enabled() -> Iterator[None]:
            yield
            raise KeyboardInterrupt  # on the way out, once the run returned

        module = linreg_resume if resumed else linreg
        monkeypatch.setattr(module, "grad_enabled", grad_enabled)
    with pytest.raises(TrainingInterrupted) as info:
        if resumed:
            resume_linreg(out)
        else:
            ln.run_linreg(ln.LinregConfig(epochs=3, num_examples=200, out=out))
    assert info.value.complete and info.value.run_dir == out
    assert str(info.value) == (
        f"interrupted by SIGINT after the run finished: its results are complete in {out}"
    )
    monkeypatch.undo()
    never = ln.run_linreg(ln.LinregConfig(epochs=3, num_examples=200))
    results = json.loads((out / "results.json").read_text())
    assert (results["w"], results["b"]) == (never.w, never.b)
    with pytest.raises(UsageError, match=r"is complete: it finished its 3 epochs"):
        resume_linreg(out)


def test_a_stop_as_results_json_is_written_names_the_resume_that_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linearnets.tasks import linreg_run

    real = linreg_run.write_json_atomic

    def interrupted(path: Path, value: object) -> None:
        if path.name == "results.json":
            raise KeyboardInterrupt  # before the file was there
        real(path, value)

    out = tmp_path / "run"
    monkeypatch.setattr(linreg_run, "write_json_atomic", interrupted)
    with pytest.raises(TrainingInterrupted) as info:
        ln.run_linreg(ln.LinregConfig(epochs=3, num_examples=200, out=out))
    assert not info.value.complete and not (out / "results.json").exists()
    assert str(info.value) == (
        f"interrupted by SIGINT at the end of epoch 3; the checkpoint of epoch 3 is kept in "
        f"{out}; resume with: linearnets.resume_linreg({str(out)!r})"
    )


def test_a_signal_as_the_folder_is_claimed_leaves_no_lock_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C once the folder was locked, as the claim looked for a run's files there, left a
    folder holding .lock alone (seen in a kill fuzz), where the command said nothing was kept."""
    from linearnets.cli import main
    from linearnets.training import runs

    def interrupted(folder: Path) -> tuple[list[str], list[str]]:
        os.kill(os.getpid(), signal.SIGINT)  # a real one, raised in the main thread
        return [], []

    out = tmp_path / "new" / "run"
    monkeypatch.setattr(runs, "passing_for_a_runs", interrupted)
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 130
    assert capsys.readouterr().err == (
        "linearnets linreg: interrupted by SIGINT before training began; nothing was trained or "
        "kept: run the same command again\n"
    )
    assert list(tmp_path.iterdir()) == []


class _SignalAtEpochEnd(_SignalAt):
    """Send ``signum`` as epoch ``epoch`` ends, once its checkpoint is written (as in its
    evaluation)."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        pass

    def on_epoch_end(self, *, metrics: object) -> None:
        if self.epoch == self.at:
            os.kill(os.getpid(), self.signum)


def test_a_stop_anywhere_resumes_bit_identical_to_a_run_never_stopped(tmp_path: Path) -> None:
    """A compact, deterministic kill/resume sweep: a real SIGINT or SIGTERM after every step of
    a 3-epoch run, and as each epoch ends (its last too: the resume trains nothing, and writes
    the results), each resumed to the end."""
    settings = {"epochs": 3, "num_examples": 40, "batch_size": 10}  # 4 steps an epoch
    never = ln.run_linreg(ln.LinregConfig(**settings))
    for epoch in range(1, 4):
        for step in [0, 1, 2, 3, None]:  # None: as the epoch ends
            signum = (signal.SIGINT, signal.SIGTERM)[(epoch + (step or 0)) % 2]
            out = tmp_path / f"{epoch}-{step}"
            config = ln.LinregConfig(**settings, out=out)
            stopper = _SignalAt(epoch, step, signum) if step is not None else None
            with pytest.raises(TrainingInterrupted) as info:
                ln.run_linreg(config, callbacks=[stopper or _SignalAtEpochEnd(epoch, 0, signum)])
            stop = info.value
            kept = epoch if step is None else epoch - 1  # a step's epoch is dropped
            assert (stop.signal_name, stop.checkpoint_epoch, stop.complete) == (
                signal.Signals(signum).name,
                kept or None,
                False,
            ), (epoch, step)
            if kept:
                assert load_checkpoint(out / "checkpoint.pt").epoch == kept
            else:
                assert not (out / "checkpoint.pt").exists()
            assert not (out / "results.json").exists()
            resumed = resume_linreg(out)
            assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))
            results = json.loads((out / "results.json").read_text())
            assert (results["w"], results["b"], results["loss"]) == (never.w, never.b, never.loss)
            rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
            assert [r["train_loss"] for r in rows] == _losses(never)
            assert load_checkpoint(out / "checkpoint.pt").epoch == 3
            with pytest.raises(UsageError, match=r"is complete"):
                resume_linreg(out)


@pytest.mark.parametrize("complete", [False, True], ids=["stopped", "complete"])
def test_a_second_signal_cutting_the_stop_short_is_told_as_the_first(
    tmp_path: Path, complete: bool
) -> None:
    """A second Ctrl-C while the first stop left (the handlers gone) raises a plain
    KeyboardInterrupt: the resume's stop was made again from it, "at the end of epoch 0",
    advising a resume even of a complete run."""
    from linearnets.tasks.linreg_run import stop_named
    from linearnets.tasks.stopping import interrupted_when_complete

    if complete:
        first = interrupted_when_complete(KeyboardInterrupt("SIGTERM"), tmp_path, epoch=3)
    else:
        first = TrainingInterrupted(signal_name="SIGTERM", epoch=2, step=5)  # not yet named
    try:
        try:
            raise first
        except TrainingInterrupted:
            raise KeyboardInterrupt from None  # the second signal, as the first leaves
    except KeyboardInterrupt as second:
        told = stop_named(second, tmp_path)
    assert told is first and told.run_dir == tmp_path
    assert str(told) == (
        f"interrupted by SIGTERM after the run finished: its results are complete in {tmp_path}"
        if complete
        else f"interrupted by SIGTERM after batch 5 of epoch 2, before the first checkpoint; start it "
        f"over with: linearnets.resume_linreg({str(tmp_path)!r})"
    )


def _second_signal_as_the_lock_goes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Send a second SIGINT as the run folder's lock is released while training's stop leaves
    (its handlers gone: Python's own raises a plain KeyboardInterrupt there); return a list that
    holds 1 once it was sent."""
    from linearnets.training import run_lock

    real, sent = run_lock.RunLock.release, []

    def release(self: run_lock.RunLock, *, remove: bool = False) -> None:
        real(self, remove=remove)
        if isinstance(sys.exc_info()[1], TrainingInterrupted) and not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)  # a real one, raised here in the main thread

    monkeypatch.setattr(run_lock.RunLock, "release", release)
    return sent


@pytest.mark.parametrize("resumed", [False, True], ids=["run", "resume"])
def test_a_second_signal_as_the_stop_leaves_reaches_the_caller_as_the_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resumed: bool
) -> None:
    """Two Ctrl-Cs in the last steps of run_linreg/resume_linreg: the second, landing as the
    folder's lock was released on the first stop's way out, reached the caller as a bare
    KeyboardInterrupt, which names neither the folder nor its resume (the command told the first
    stop). The caller gets the first stop, and the resume ends as a run never stopped."""
    out = tmp_path / "run"
    config = ln.LinregConfig(epochs=3, num_examples=200, out=out)
    never = ln.run_linreg(replace(config, out=None))
    if resumed:
        _stopped(config, epoch=2)
    sent = _second_signal_as_the_lock_goes(monkeypatch)
    with pytest.raises(KeyboardInterrupt) as info:  # a bare one is a failure, not pytest's stop
        if resumed:
            resume_linreg(out, callbacks=[_SignalAt(3, 2)])
        else:
            ln.run_linreg(config, callbacks=[_SignalAt(3, 2)])
    assert sent == [1]
    assert type(info.value) is TrainingInterrupted
    assert str(info.value) == (
        f"interrupted by SIGINT after batch 3 of epoch 3; the checkpoint of epoch 2 is kept in {out}; "
        f"resume with: linearnets.resume_linreg({str(out)!r})"
    )
    monkeypatch.undo()
    resumed_run = resume_linreg(out)
    assert (resumed_run.w, resumed_run.b, _losses(resumed_run)) == (
        never.w,
        never.b,
        _losses(never),
    )


def test_a_finished_run_whose_checkpoint_is_gone_starts_over_only_when_forced(
    tmp_path: Path,
) -> None:
    """Training it further needs its checkpoint: without it the resume is refused, naming the way
    out; forced, it starts the run over, ending as a run of the same settings never stopped."""
    config = ln.LinregConfig(epochs=2, num_examples=200)
    out = tmp_path / "run"
    ln.run_linreg(replace(config, out=out))
    (out / "checkpoint.pt").unlink()
    with pytest.raises(CheckpointError) as info:
        resume_linreg(out)
    assert str(info.value) == (
        f"checkpoint {out / 'checkpoint.pt'} does not exist, but results.json does: the run "
        "finished, and training it further needs its checkpoint; put the checkpoint back, or "
        "pass force=True to start the run over, replacing its metrics and results (each old "
        "file kept as NAME.bak, e.g. results.json.bak)"
    )
    never = ln.run_linreg(config)
    logged = (out / "metrics.csv").read_bytes()
    said = (  # its metrics, replaced: kept beside
        f"before writing the metrics files in {out} again empty to start the run over: the old "
        "metrics.jsonl is kept as metrics.jsonl.bak; the old metrics.csv is kept as metrics.csv.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        again = resume_linreg(out, force=True)
    assert (again.w, again.b, _losses(again)) == (never.w, never.b, _losses(never))
    assert (out / "metrics.csv.bak").read_bytes() == logged


def test_a_finished_run_started_over_with_force_keeps_its_results_json_and_says_so(
    tmp_path: Path,
) -> None:
    """A forced start over of a finished run (its checkpoint gone) wrote results.json again, its
    learned w and b lost without a word, where resume_softmax keeps model.pt and results.json as
    NAME.bak and says so: kept as results.json.bak, said before the training."""
    config = ln.LinregConfig(epochs=2, num_examples=200)
    out = tmp_path / "run"
    ln.run_linreg(replace(config, out=out))
    (out / "checkpoint.pt").unlink()
    results = (out / "results.json").read_bytes()
    said = (
        f"starting the run in {out} over replaces the results of its finished run: the old "
        "results.json is kept as results.json.bak"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_linreg(out, epochs=3, force=True)
    assert (out / "results.json.bak").read_bytes() == results
    assert (out / "results.json").read_bytes() != results


@pytest.mark.parametrize("given", ["moved.csv", "sub/../moved.csv", "./sub/./../moved.csv"])
def test_a_relative_data_path_given_to_a_resume_is_recorded_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """The file moved (same SHA-256: no force needed); its new path, given relative to the
    working folder, is kept absolute, so the next resume finds it from anywhere, and without its
    ".." (it was kept as tmp/sub/../moved.csv)."""
    X = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    rows = [f"{a:.6f},{b:.6f},{a - b:.6f}" for a, b in X.tolist()]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=tmp_path / "d.csv", epochs=1, lr=0.01, out=out))
    (tmp_path / "d.csv").rename(tmp_path / "moved.csv")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    resume_linreg(out, data=given, epochs=2)
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["data"] == str(tmp_path / "moved.csv")


def test_a_data_path_in_config_json_is_checked_as_a_path_before_it_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "data": "" by hand was made this folder ("trained on data='/cwd', as the run's config
    records, which does not exist or is not a file"), and "~/d.csv" a folder "~" in it: the
    setting's check comes first, as for a new run. Given to the resume, "~/moved.csv" is the
    home folder's file too."""
    (tmp_path / "d.csv").write_text("x,y\n1,2\n2,3\n3,5\n")
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=tmp_path / "d.csv", epochs=1, out=out))
    path = out / "config.json"
    saved = json.loads(path.read_text())
    saved["config"]["data"] = ""
    path.write_text(json.dumps(saved))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"{path}: its 'config' section holds a value no run takes (data must be a non-empty path "
        'or null, got ""); correct it, or put back the run\'s config.json from a copy of the run'
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    saved["config"]["data"] = "~/d.csv"
    path.write_text(json.dumps(saved))
    assert len(resume_linreg(out, epochs=2).history.epochs) == 2
    (tmp_path / "d.csv").rename(tmp_path / "moved.csv")
    assert len(resume_linreg(out, epochs=3, data="~/moved.csv").history.epochs) == 3
    assert json.loads(path.read_text())["config"]["data"] == str(tmp_path / "moved.csv")


def test_a_moved_data_file_without_a_recorded_sha_is_a_change(tmp_path: Path) -> None:
    """A config.json whose data_sha256 is null (none recorded, set so by hand) gives nothing to
    check a new path's content against: it is refused unless forced, as resume_softmax refuses it
    (it was taken as the same data, whatever the file held). The run's own path still resumes."""
    X = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    rows = [f"{a:.6f},{b:.6f},{a - b:.6f}" for a, b in X.tolist()]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "other.csv").write_text("\n".join(reversed(rows)) + "\n")
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=tmp_path / "d.csv", epochs=1, lr=0.01, out=out))
    saved = json.loads((out / "config.json").read_text())
    saved["data_sha256"] = None
    (out / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, data=tmp_path / "other.csv", epochs=2)
    was = f"{tmp_path / 'd.csv'} (no SHA-256 recorded)"
    assert str(info.value) == (
        f"data changed from {was!r} to {str(tmp_path / 'other.csv')!r}: the run in {out} was "
        "trained with the first, and a changed setting changes its result; leave it out to "
        "resume the run as it was, or pass force=True to continue with it"
    )
    assert len(resume_linreg(out, epochs=2).history.epochs) == 2  # its own path: no change


def test_a_moved_run_resumes_in_its_new_folder_keeping_the_environment_it_started_in(
    tmp_path: Path,
) -> None:
    """config.json's out names the folder the run was made in; a resume of the folder, moved,
    continues there, not in (nor naming) the old one, and keeps the start's environment."""
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, out=tmp_path / "a"))
    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    started = {**saved["environment"], "python": "the start's"}  # not this process's
    (tmp_path / "a" / "config.json").write_text(json.dumps({**saved, "environment": started}))
    moved = (tmp_path / "a").rename(tmp_path / "b")
    result = resume_linreg(moved, epochs=2)
    assert result.run_dir == moved and result.config.out in (None, moved)
    assert not (tmp_path / "a").exists()
    assert json.loads((moved / "config.json").read_text())["environment"] == started


def test_a_resume_that_trains_nothing_does_not_warn_of_its_thread_count(tmp_path: Path) -> None:
    """Stopped after its last epoch, before results.json: the resume only writes the results,
    from the checkpoint's weights, so another thread count changes nothing to warn of."""
    import warnings

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, num_threads=1, out=out))
    (out / "results.json").unlink()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resume_linreg(out, num_threads=2)
    assert [str(w.message) for w in caught if w.category is ResumeWarning] == []
    assert (out / "results.json").is_file()
    # nor is it recorded as the run's: the next plain resume trained on 2 threads, not bit for
    # bit, with a note of a num_threads=2 never passed to it
    assert json.loads((out / "config.json").read_text())["config"]["num_threads"] == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = resume_linreg(out, epochs=2)
    assert [str(w.message) for w in caught if w.category is ResumeWarning] == []
    ref = ln.run_linreg(
        ln.LinregConfig(epochs=2, num_examples=50, num_threads=1, out=tmp_path / "ref")
    )
    assert (resumed.w, resumed.b, resumed.loss) == (ref.w, ref.b, ref.loss)


def test_a_synthetic_run_switched_to_a_data_file_names_and_records_the_data(
    tmp_path: Path,
) -> None:
    """data is a result setting: the refusal names its change once, with the synthetic data the
    file replaces (its four settings change only because the file decides them: they were said
    as four changes of their own, "true_w changed from [2.0, -3.4] to None", and on the command
    line in Python words, there being no --true-w); another setting changed keeps its clause. The
    forced resume records every setting that changed in config.json, the four too."""
    from linearnets.cli._report import one_line

    X = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    rows = [f"{a:.6f},{b:.6f},{a - b:.6f}" for a, b in X.tolist()]
    data = tmp_path / "d.csv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, noise_std=0.1, out=out))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, data=data, lr=0.1, epochs=2)
    rest = (
        f": the run in {out} was trained with the first, and a changed setting changes its "
        "result; leave them out to resume the run as it was, or pass"
    )
    assert str(info.value) == (
        "lr changed from 0.03 to 0.1; data changed from None (synthetic data: num_examples=50, "
        f"noise_std=0.1, true_w=[2.0, -3.4], true_b=4.2) to {str(data)!r}{rest} force=True to "
        "continue with them"
    )
    # the command line names no value --data takes for no file ("--data none" reads a file none)
    # and no option for the truth
    assert one_line(info.value) == (
        "--lr changed from 0.03 to 0.1; --data changed from synthetic data (no --data; "
        f"--num-examples 50, --noise-std 0.1, truth w [2.0, -3.4], b 4.2) to {data}{rest} --force "
        "to continue with them"
    )
    resume_linreg(out, data=data, epochs=2, force=True)
    forced = json.loads((out / "config.json").read_text())["resumes"][-1]["forced"]
    assert forced == {
        "data": [None, str(data)],
        "num_examples": [50, None],
        "noise_std": [0.1, None],
        "true_w": [[2.0, -3.4], None],
        "true_b": [4.2, None],
    }


def test_a_data_file_run_switched_to_synthetic_data_names_the_data_it_brings(
    tmp_path: Path,
) -> None:
    """data=None on a file's run: one clause, naming the synthetic data the file would give way
    to (the book's, or the settings given with it), not four of None changed to a value."""
    X = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    data = tmp_path / "d.csv"
    data.write_text("".join(f"{a:.6f},{b:.6f},{a - b:.6f}\n" for a, b in X.tolist()))
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, data=None, true_b=1.5, epochs=2)
    assert str(info.value) == (
        f"data changed from {str(data)!r} to None (synthetic data: num_examples=1000, "
        f"noise_std=0.01, true_w=[2.0, -3.4], true_b=1.5): the run in {out} was trained with the "
        "first, and a changed setting changes its result; leave it out to resume the run as it "
        "was, or pass force=True to continue with it"
    )


def test_a_synthetic_setting_on_a_data_files_run_is_refused_naming_the_runs_file(
    tmp_path: Path,
) -> None:
    """The resume keeps the run's file: the refusal names it and the one fix that keeps it (it
    said "or pass data=None", a switch to synthetic data the run's weights may not fit)."""
    X = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    data = tmp_path / "d.csv"
    data.write_text("".join(f"{a:.6f},{b:.6f},{a - b:.6f}\n" for a, b in X.tolist()))
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, true_w=[1.0, 2.0], num_examples=100, force=True)
    assert str(info.value) == (
        f"num_examples and true_w set the synthetic data, but the run in {out} was trained on "
        f"data={str(data)!r} (the file decides the examples); leave num_examples and true_w out "
        "to resume it on that file"
    )


def test_new_content_of_other_features_at_the_runs_own_path_is_refused_even_forced(
    tmp_path: Path,
) -> None:
    """The run's own file rewritten with a column more: the weights cannot carry over, and the
    refusal says so before loading them (it named the checkpoint damaged), with the fix."""
    data = tmp_path / "d.csv"
    data.write_text(_TWO_FEATURES)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    recorded = json.loads((out / "config.json").read_text())["data_sha256"]
    data.write_text(_THREE_FEATURES)
    now = hashlib.sha256(data.read_bytes()).hexdigest()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, force=True)
    # one file, not two ("data changed from '.../d.csv (SHA-256 ...)' to '.../d.csv'")
    assert str(info.value) == (
        f"data={str(data)!r} changed since the run in {out} started (SHA-256 {recorded[:12]}… "
        f"then, {now[:12]}… now): the model would take 3 features and the checkpoint's weights take 2, so they cannot carry over, not even "
        "with force=True; put the original file back, or start a new run in another folder "
        "(out=NEW_DIR)"
    )


def test_new_content_of_other_features_through_a_link_to_the_runs_file_is_its_own_fix(
    tmp_path: Path,
) -> None:
    """data='link.csv', a link to the run's own file rewritten with a column more, was told to
    "leave data out to resume on the run's own data" (its path was judged by its spelling), and
    leaving it out was refused again: the fix is the run's own file's, which then resumes."""
    data, link = tmp_path / "d.csv", tmp_path / "link.csv"
    data.write_text(_TWO_FEATURES)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    recorded = json.loads((out / "config.json").read_text())["data_sha256"]
    data.write_text(_THREE_FEATURES)
    now = hashlib.sha256(data.read_bytes()).hexdigest()
    link.symlink_to(data)
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, data=link, force=True)
    assert str(info.value) == (
        f"data={str(link)!r} changed since the run in {out} started (SHA-256 {recorded[:12]}… "
        f"then, {now[:12]}… now): the model would take 3 features and the checkpoint's weights "
        "take 2, so they cannot carry over, not even with force=True; put the original file "
        "back, or start a new run in another folder (out=NEW_DIR)"
    )
    data.write_text(_TWO_FEATURES)  # as told
    result = resume_linreg(out, epochs=2, data=link)
    assert (result.epochs, len(result.w)) == (2, 2)


def test_new_content_of_other_features_after_a_forced_one_is_told_to_put_that_back(
    tmp_path: Path,
) -> None:
    """After a resume forced new content at the run's own path, content of another number of
    features was told to "put the run's own file back", and the original file put back was
    refused again ("... put that content back, or pass force=True"): the fix is the content
    that resume forced, which then resumes."""
    data = tmp_path / "d.csv"
    data.write_text(_TWO_FEATURES)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    forced = "".join(f"{i % 5},{i % 3},{i % 5 + i % 3}\n" for i in range(20))
    data.write_text(forced)
    resume_linreg(out, epochs=2, force=True)
    data.write_text(_THREE_FEATURES)
    was, now = (
        hashlib.sha256(forced.encode()).hexdigest(),
        hashlib.sha256(data.read_bytes()).hexdigest(),
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, force=True)
    assert str(info.value) == (
        f"data={str(data)!r} changed since an earlier resume from epoch 1 forced new content at "
        f"this path (SHA-256 {was[:12]}… then, {now[:12]}… now): the model would take 3 features "
        "and the checkpoint's weights take 2, so they cannot carry over, not even with "
        "force=True; put that content back, or start a new run in another folder (out=NEW_DIR)"
    )
    data.write_text(forced)  # as told
    result = resume_linreg(out, epochs=3)
    assert (result.epochs, len(result.w)) == (3, 2)


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("guard", 1, "guard must be true or false, got 1"),
        ("seed", None, "seed must be a non-negative integer (at most 2**31 - 1), got null"),
        ("data", True, "data must be a path (a string) or null, got true"),
        # Python's words for JSON's: "got ()", "got a dict {}", "got nan", "got -inf"
        ("true_w", [], "true_w must hold at least one weight, got []"),
        (
            "true_w",
            {},
            "true_w must be a sequence of numbers, in order, got an object {} (its keys would be "
            "the weights)",
        ),
        ("lr", float("nan"), "lr must be a finite number > 0, got NaN"),
        ("true_b", float("-inf"), "true_b must be a finite number, got -Infinity"),
        # JSON's objects, arrays and strings in its double quotes: not Python's {'a': 1}, '0.1'
        ("lr", {"a": 1}, 'lr must be a positive number, got {"a": 1}'),
        ("true_b", ["x", None, True], 'true_b must be a number, got ["x", null, true]'),
        ("lr", "0.1", 'lr must be a positive number, got "0.1"'),
        (
            "impl",
            "Scratch",
            'impl must be one of "scratch", "analytic", "concise", got "Scratch"',
        ),
    ],
    ids=[
        "guard",
        "seed",
        "data",
        "true_w-empty-array",
        "true_w-object",
        "lr-NaN",
        "true_b--inf",
        "lr-object",
        "true_b-array",
        "lr-string",
        "impl-string",
    ],
)
def test_a_hand_edited_config_value_is_refused_in_the_files_words(
    tmp_path: Path, key: str, value: Any, rule: str
) -> None:
    """It was said in Python's words ("guard must be True or False", "got None", "a path (str,
    pathlib.Path or another os.PathLike) or None"), which config.json does not write."""
    out, path, saved = _finished_run(tmp_path)
    path.write_text(json.dumps({**saved, "config": {**saved["config"], key: value}}))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"{path}: its 'config' section holds a value no run takes ({rule}); correct it, or put "
        "back the run's config.json from a copy of the run"
    )


@pytest.mark.parametrize(
    ("key", "meant"),
    [("learning_rate", "(did you mean 'lr'?)"), ("lr ", "(drop the blank: 'lr')")],
    ids=["typo", "blank"],
)
def test_a_config_json_key_that_is_no_setting_is_refused_as_resume_softmax_refuses_it(
    tmp_path: Path, key: str, meant: str
) -> None:
    """A key added by hand that is no setting ("learning_rate", "lr " with a blank) was dropped
    silently: the run resumed with the lr it was trained with. It is refused naming the key,
    quoted as every message names a key ('lr ', its blank shown; a value of the file is said in
    JSON's words, a key not), in resume_softmax's words for the same edit; every key a run writes
    is taken."""
    from linearnets.tasks.resume_saved import last_asked

    out, path, saved = _finished_run(tmp_path)
    path.write_text(json.dumps({**saved, "config": {**saved["config"], key: 0.5}}))
    with pytest.raises(UsageError) as linreg:
        resume_linreg(out, epochs=2)
    rule = f"config has settings this linearnets does not know: {key!r} {meant}"
    assert str(linreg.value) == (
        f"{path}: its 'config' section holds a value no run takes ({rule}); correct it, or put "
        "back the run's config.json from a copy of the run"
    )
    with pytest.raises(UsageError) as softmax:
        last_asked({"config": {key: 0.5}}, run_dir=out)
    assert str(softmax.value).startswith(
        f"{path}: its 'config' section holds a value no run takes ({rule}); correct it"
    )
    path.write_text(json.dumps(saved))  # the run's own keys, out and every synthetic setting too
    assert len(resume_linreg(out, epochs=2).history.epochs) == 2


def test_a_keyword_that_is_no_setting_names_the_one_it_likely_meant(tmp_path: Path) -> None:
    """resume_linreg(out, epoch=9) named only the settings there are, where LinregConfig's own
    refusal of num_epochs=3 says "did you mean epochs=3?"."""
    out, _, _ = _finished_run(tmp_path)
    settings = (
        "batch_size, data, device, epochs, guard, impl, lr, noise_std, num_examples, num_threads, "
        "seed, true_b, true_w"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epoch=9)
    assert str(info.value) == (
        f"epoch is no setting of LinregConfig; did you mean epochs=9? pass only {settings}"
    )
    with pytest.raises(
        UsageError,
        match=r"^learning_rate, num_epochs are no settings of "
        r"LinregConfig; did you mean lr=0\.1 and epochs=3\? pass only ",
    ):
        resume_linreg(out, num_epochs=3, learning_rate=0.1)
    with pytest.raises(
        UsageError, match=r"^zzz is no setting of LinregConfig; pass only batch_size"
    ):
        resume_linreg(out, zzz=1)
    # beside the setting it meant: "did you mean epochs=9?" of a call holding epochs=3 already
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epoch=9, epochs=3)
    assert str(info.value) == (
        "epoch is no setting of LinregConfig; drop epoch (epochs=3 is given too); pass only "
        f"{settings}"
    )


def test_a_setting_taken_out_of_config_json_is_named_not_taken_at_its_default(
    tmp_path: Path,
) -> None:
    """A setting every run writes, deleted by hand, was taken at its default: a run trained at lr
    0.1 on 200 examples resumed at lr 0.03 on the default 1,000, and nothing said so."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, lr=0.1, num_examples=200, out=out))
    path = out / "config.json"
    saved = json.loads(path.read_text())
    edited = {k: v for k, v in saved["config"].items() if k not in ("lr", "num_examples")}
    path.write_text(json.dumps({**saved, "config": edited}))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"{path}: its 'config' section lacks 'lr' and 'num_examples', which every run writes (a "
        "resume would take their defaults, lr 0.03, num_examples null, not the values the run was "
        "trained with); put back what the run was trained with, or the run's config.json from a "
        "copy of the run"
    )
    path.write_text(json.dumps(saved))  # put back: it resumes, at the lr it was trained with
    result = resume_linreg(out, epochs=2)
    assert len(result.history.epochs) == 2 and result.config.lr == 0.1


@pytest.mark.parametrize(
    ("task", "said"),
    [
        ("other", '"other"'),
        (5, "the number 5"),
        ("", '""'),
        ([], "an array []"),
        (float("nan"), "NaN"),
    ],
    ids=["other", "number", "empty", "array", "NaN"],
)
def test_a_config_json_of_another_task_is_named_with_the_fix_of_either_run(
    tmp_path: Path, task: Any, said: str
) -> None:
    """It read "its config.json is of other" ("of 5"; an empty task passed for a softmax run's),
    and only named resume_softmax, which refuses a linear-regression run's settings: one whose
    task was edited away is resumed once it is put back, as the message says. The task in the
    file's words: a NaN was "task nan", a string 'other'."""
    out, path, saved = _finished_run(tmp_path)
    path.write_text(json.dumps({**saved, "task": task}))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"the run folder {out} holds no linear-regression run (its config.json is for a run of "
        f"task {said}, not linear regression); a softmax run resumes with: "
        f"linearnets.resume_softmax({str(out)!r}); a linear-regression run's config.json names "
        'task "linreg": correct it'
    )
    path.write_text(json.dumps(saved))  # as advised
    assert resume_linreg(out, epochs=2).history.epochs[-1].epoch == 2


@pytest.mark.parametrize(
    ("resumes", "got"), [(5, "the number 5"), ({"from_epoch": 1}, 'an object {"from_epoch": 1}')]
)
def test_resumes_that_are_not_an_array_are_named_in_config_json(
    tmp_path: Path, resumes: Any, got: str
) -> None:
    """A hand edit of config.json's "resumes" crashed the resume with "unexpected TypeError: Value
    after * must be an iterable, not int" (resume_softmax named it); the fix given works, and a
    null is taken as no resumes recorded."""
    out, path, saved = _finished_run(tmp_path)
    path.write_text(json.dumps({**saved, "resumes": resumes}))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"{path}: 'resumes' must be an array of the run's resumes, got {got}; set it to [] (the "
        "record of earlier resumes is lost, the run is not), or put back the run's config.json "
        "from a copy of the run"
    )
    path.write_text(json.dumps({**saved, "resumes": None}))  # null: none recorded
    assert resume_linreg(out, epochs=2).history.epochs[-1].epoch == 2
    assert [r["from_epoch"] for r in json.loads(path.read_text())["resumes"]] == [1]


@pytest.mark.parametrize(
    ("saved", "said"),
    [
        ([], " must hold a JSON object, got an array []"),
        # a run's file (its task), its settings gone: the section is named
        ({"task": "linreg"}, " has no 'config' section (the run's settings)"),
        # another tool's file
        ({"model_type": "bert"}, " is not a linearnets run config (it has no 'config' section)"),
        *[
            (
                {"task": "linreg", "config": value},
                f": its 'config' section must be a JSON object (the run's settings), got {said}",
            )
            for value, said in [
                (5, "the number 5"),
                ([], "an array []"),
                (float("nan"), "NaN"),
                ("lr=0.03", 'the string "lr=0.03"'),
                (None, "null"),
            ]
        ],
    ],
    ids=[
        "array",
        "no-section",
        "another-tools",
        "config-5",
        "config-array",
        "config-NaN",
        "config-string",
        "config-null",
    ],
)
def test_a_config_json_holding_no_run_config_is_refused_naming_it(
    tmp_path: Path, saved: Any, said: str
) -> None:
    """Its value is named, in the file's words, as read_config names it: "holds no run config"
    said neither that a 'config' section was there nor what it held. Its fix, as read_config's
    (no checkpoint here rebuilds the file): a copy, or a new run."""
    (tmp_path / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_linreg(tmp_path)
    fix = (
        "restore it from a copy of the run, or start a new run in another folder"
        if saved == []
        else "put back the run's config.json from a copy of the run"
    )
    assert str(info.value) == f"{tmp_path / 'config.json'}{said}; {fix}"


@pytest.mark.parametrize("route", ["checkpoint-gone", "forced-lr"])
def test_a_forced_resume_of_a_finished_run_stopped_mid_training_leaves_no_results_json(
    tmp_path: Path, route: str
) -> None:
    """The finished run's results.json goes as the forced resume starts training: one stopped
    before its end shows no result (the earlier, shorter run's would pass for this one's), and
    the resume that finishes it writes the whole run's."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    assert json.loads((out / "results.json").read_text())["epochs"] == 2
    if route == "checkpoint-gone":  # forced: the run starts over, stopped in its epoch 2
        (out / "checkpoint.pt").unlink()
        overrides: dict[str, Any] = {}
        at, kept, epochs = 2, 1, 2
    else:  # forced: two more epochs with another lr, stopped in epoch 4
        overrides = {"epochs": 4, "lr": 0.01}
        at, kept, epochs = 4, 3, 4
    # started over, the finished run's metrics are kept beside the new ones
    kept_old = (
        pytest.warns(ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak")
        if route == "checkpoint-gone"
        else nullcontext()
    )
    with kept_old, pytest.raises(TrainingInterrupted) as info:
        resume_linreg(out, force=True, callbacks=[_SignalAt(at, 4)], **overrides)
    assert str(info.value) == (
        f"interrupted by SIGINT after batch 5 of epoch {at}; the checkpoint of epoch {kept} is kept in "
        f"{out}; resume with: linearnets.resume_linreg({str(out)!r})"
    )
    assert load_checkpoint(out / "checkpoint.pt").epoch == kept
    assert not (out / "results.json").exists()
    resumed = resume_linreg(out)
    results = json.loads((out / "results.json").read_text())
    assert results["epochs"] == resumed.config.epochs == epochs
    assert (results["w"], results["b"]) == (resumed.w, resumed.b)


def test_a_resumed_run_is_stopped_by_the_guard_where_the_run_never_stopped_is(
    tmp_path: Path,
) -> None:
    """The guard's starting loss (the untrained model's) is kept in the checkpoint: at lr 1.75
    the loss grows past 100× it in epoch 2, and the run stopped after epoch 1 and resumed is
    stopped at the same step, with the same words, as the run never stopped. A guard starting
    afresh at the resume would take the grown loss of epoch 2's first steps as its start (and
    let the run train on to its end)."""
    config = ln.LinregConfig(impl="scratch", epochs=3, num_examples=200, lr=1.75)
    never, out = tmp_path / "never", tmp_path / "run"
    with pytest.raises(DivergenceError) as uninterrupted:
        ln.run_linreg(replace(config, out=never))
    expected = str(uninterrupted.value)
    assert re.match(r"training diverged at batch \d+ of epoch 2: ", expected)
    assert f"the checkpoint of epoch 1 is kept in {never} " in expected
    with pytest.raises(TrainingInterrupted):
        ln.run_linreg(replace(config, out=out), callbacks=[_SignalAt(2, 0)])
    assert load_checkpoint(out / "checkpoint.pt").epoch == 1
    with pytest.raises(DivergenceError) as resumed:
        resume_linreg(out)
    assert str(resumed.value) == expected.replace(str(never), str(out))


def test_a_guard_turned_on_at_a_resume_stops_the_run_where_one_guarded_from_its_start_stops(
    tmp_path: Path,
) -> None:
    """A run trained with guard=False keeps no guard state: resumed with guard=True, the guard
    took the resumed epoch's loss (791 after epoch 4) as its start, and the run trained on to a
    loss of 44619, exit 0. It now starts from the untrained model's loss, as the run guarded from
    its start (the oracle) does: stopped in epoch 5, "more than 100× its starting value 17.02"."""
    config = ln.LinregConfig(impl="scratch", lr=2.5, batch_size=1000, epochs=8)
    guarded, out = tmp_path / "guarded", tmp_path / "run"
    with pytest.raises(DivergenceError) as always:
        ln.run_linreg(replace(config, out=guarded))
    expected = str(always.value)
    assert expected.startswith("training diverged in epoch 5: ")
    assert "more than 100× its starting value 17.02, " in expected
    ln.run_linreg(replace(config, out=out, epochs=2, guard=False))
    resume_linreg(out, epochs=4)
    with pytest.raises(DivergenceError) as resumed:
        resume_linreg(out, epochs=8, guard=True)
    assert str(resumed.value) == expected.replace(str(guarded), str(out))


def test_a_guard_turned_on_at_a_resume_leaves_a_healthy_run_bit_identical(tmp_path: Path) -> None:
    """The guard's start is read from the first batches of the run made again, before the
    checkpoint's generators are loaded: the resumed run is the one never stopped, bit for bit."""
    config = ln.LinregConfig(impl="concise", epochs=3, num_examples=200, guard=False)
    never = ln.run_linreg(config)
    ln.run_linreg(replace(config, epochs=1, out=tmp_path / "run"))
    resumed = resume_linreg(tmp_path / "run", epochs=3, guard=True)
    assert (resumed.w, resumed.b) == (never.w, never.b)
    assert _losses(resumed) == _losses(never)


def test_a_guard_turned_on_at_a_resume_sees_the_targets_floor_as_the_guarded_run_does(
    tmp_path: Path,
) -> None:
    """Targets mostly 0 with five of ±1000: the loss stays at their floor, Var(y)/2 ≈ 2499, and
    a run guarded from its start (the oracle) trains through it, its guard's floor the targets'
    spread. The guard turned on at a resume was given the start alone, no floor: the healthy run
    was stopped at once ("7.976, more than 100× its starting value 0.0001234"). It now sees the
    first epoch's targets: its floor's state is the guarded run's, and the run ends alike."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1000, 2))
    y = np.zeros(1000)
    y[rng.choice(1000, 5, replace=False)] = rng.choice([-1000, 1000], 5)
    data = tmp_path / "heavy.csv"
    np.savetxt(data, np.c_[X, y], delimiter=",", header="a,b,y", comments="")
    config = ln.LinregConfig(data=data, epochs=3)
    guarded = ln.run_linreg(replace(config, out=tmp_path / "guarded"))
    ln.run_linreg(replace(config, epochs=1, guard=False, out=tmp_path / "run"))
    resumed = resume_linreg(tmp_path / "run", epochs=3, guard=True)
    assert (resumed.w, resumed.b) == (guarded.w, guarded.b)
    assert _losses(resumed) == _losses(guarded)
    floors = [
        {k: v for k, v in load_checkpoint(tmp_path / d / "checkpoint.pt").extra["guard"].items()
         if k.startswith("floor_")}
        for d in ("guarded", "run")
    ]  # fmt: skip
    assert floors[0]["floor_count"] == 3000 and floors[0] == floors[1]
    assert floors[1]["floor_m2"] == [pytest.approx(float(((y - y.mean()) ** 2).sum()) * 3)]


def test_a_checkpoint_of_another_shape_is_refused_whole_with_its_fix(tmp_path: Path) -> None:
    """The refusal names the checkpoint, the model's reason, the two causes and the fix: restore the
    checkpoint, or delete it and start over (the command line says --force)."""
    from linearnets.cli._report import one_line

    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    path = out / "checkpoint.pt"
    _weights_of_three_features(path)
    with pytest.raises(CheckpointError) as info:
        resume_linreg(out)
    reason = (  # the scratch model's own refusal of weights (3, 1) for its w (2, 1)
        "UsageError: state_dict['w'] must have shape (2, 1), got (3, 1); load a state saved from "
        "the same model size"
    )
    assert str(info.value) == (
        f"checkpoint {path} holds states this run cannot take ({reason}): it is "
        "damaged, or from a run of another model shape; restore checkpoint.pt from a copy of the "
        "run, or delete it and resume with force=True to start the run over"
    )
    assert one_line(info.value).endswith(
        "; restore checkpoint.pt from a copy of the run, or delete it and resume with --force to "
        "start the run over"
    )
    assert load_checkpoint(path).epoch == 1  # refused before anything was trained


def test_a_data_file_moved_away_is_named_as_the_run_s_with_the_way_to_pass_its_new_path(
    tmp_path: Path,
) -> None:
    """The user gave no data: the path is the run's config's. It was told "data changed from
    .../d.csv (SHA-256 ...) to .../d.csv ... leave it out to resume", the same path twice, and
    the user had left it out; resume_softmax's words now, and the new path resumes the run as one
    never stopped. A new path that does not exist either is named as such, leaving config.json
    (its SHA-256) as it was."""
    X = torch.randn(40, 2, generator=torch.Generator().manual_seed(5))
    rows = [f"{a:.6f},{b:.6f},{2 * a - 3 * b + 1:.6f}" for a, b in X.tolist()]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=path, epochs=1, lr=0.01, out=out))
    config_json = (out / "config.json").read_text()
    moved = path.rename(tmp_path / "moved.csv")
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"the run in {out} was trained on data={str(path)!r}, as the run's config records, which "
        "does not exist or is not a file now; if the file moved, pass data=NEWPATH (its SHA-256 "
        "is checked: the same content continues the run, without force=True)"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, data=path, epochs=2)  # given, and gone: the file is named
    assert str(info.value) == (
        f"data={str(path)!r} does not exist or is not a file; pass an existing .csv file"
    )
    assert (out / "config.json").read_text() == config_json  # its SHA-256 kept for the next
    resumed = resume_linreg(out, data=moved, epochs=2)
    never = ln.run_linreg(ln.LinregConfig(data=moved, epochs=2, lr=0.01))
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))
    assert json.loads((out / "config.json").read_text())["resumes"][-1]["forced"] == {}


def test_the_runs_own_data_file_with_new_content_is_told_to_be_put_back_not_left_out(
    tmp_path: Path,
) -> None:
    """No data given, the run's file rewritten: it was told "--data changed from .../d.csv
    (SHA-256 ...) to .../d.csv: ... leave it out to resume the run as it was", which the user
    had; now resume_softmax's words, whose fixes work: the original file back resumes as a run
    never stopped, or force=True continues on the new content. With a setting changed too, both
    are named, each with its fix."""
    from linearnets.cli._report import one_line
    from linearnets.tasks.linreg_run import data_sha256

    path = _rows_file(tmp_path / "d.csv", 0)
    original = path.read_bytes()
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=path, epochs=1, lr=0.01, out=out))
    was = json.loads((out / "config.json").read_text())["data_sha256"]
    _rows_file(path, 1)
    now = data_sha256(path)
    assert now is not None
    said = (
        "{} changed since the run in {} started (SHA-256 {}… then, {}… now), which would change "
        "its result; put the original file back, or pass {} to continue on the new content"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == said.format(f"data={str(path)!r}", out, was[:12], now[:12], "force=True")  # fmt: skip
    assert one_line(info.value) == said.format(f"--data {path}", out, was[:12], now[:12], "--force")  # fmt: skip
    # the run's own path given again is no other file: the same refusal, not "leave it out"
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, data=path)
    assert str(info.value) == said.format(f"data={str(path)!r}", out, was[:12], now[:12], "force=True")  # fmt: skip
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, lr=0.02)
    assert one_line(info.value) == (
        f"--lr changed from 0.01 to 0.02, and --data {path} changed since the run in {out} "
        f"started (SHA-256 {was[:12]}… then, {now[:12]}… now): each changes the run's result; "
        "leave the changed setting out and put the original file back to resume the run as it "
        "was, or pass --force to continue with both"
    )
    # the fixes work: the original file back resumes the run as one never stopped ...
    path.write_bytes(original)
    resumed = resume_linreg(out, epochs=2)
    never = ln.run_linreg(ln.LinregConfig(data=path, epochs=2, lr=0.01))
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))
    # ... and force=True continues on new content
    _rows_file(path, 1)
    assert len(resume_linreg(out, epochs=3, force=True).history.epochs) == 3
    assert json.loads((out / "config.json").read_text())["data_sha256"] == now


def test_a_resume_loads_its_checks_from_their_own_modules_not_softmaxs_resume_changes() -> None:
    """warn_not_bit_exact and check_recorded_data came through resume_changes' re-exports, which
    loaded softmax's setting comparisons into every linear-regression resume."""
    import subprocess

    code = (
        "import sys, linearnets.tasks.linreg_resume; "
        "print('linearnets.tasks.resume_changes' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("setting", "value", "old"),
    [
        ("lr", 0.05, 0.03),
        ("impl", "concise", "scratch"),
        ("seed", 3, 0),
        ("num_examples", 300, 200),
        ("true_w", [1.0, 2.0], [2.0, -3.4]),
    ],
)
def test_a_setting_edited_into_config_json_is_named_against_the_checkpoint_s(
    tmp_path: Path, setting: str, value: object, old: object
) -> None:
    """config.json's settings were compared with the caller's alone: an edited lr (impl, seed,
    the synthetic data's) trained on without a word, its resume recording nothing forced, and
    results.json gave it as the whole run's. The checkpoint's settings are what the run was
    trained with: the edit is refused as resume_softmax refuses it, unless forced, and then
    recorded as forced."""
    from linearnets.cli._report import one_line

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    path = out / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "config": {**saved["config"], setting: value}}))
    before = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    # the fix keeping the run as trained, where an option gives the value back (no truth's)
    kept = "" if setting == "true_w" else f", or pass {setting}={old!r} to continue as the "
    kept += "" if setting == "true_w" else "checkpoint was trained"
    assert str(info.value) == (
        f"{out}/checkpoint.pt was trained with {setting}={old!r}, but {out}/config.json asks for "
        f"{setting}={value!r} (a checkpoint from another run?), which would change its result; "
        f"put the run's own checkpoint.pt back{kept}, or pass force=True to continue with the "
        "settings of config.json"
    )
    if setting == "lr":  # in the command line's words, as softmax's
        assert one_line(info.value) == (
            f"{out}/checkpoint.pt was trained with --lr 0.03, but {out}/config.json asks for "
            "--lr 0.05 (a checkpoint from another run?), which would change its result; put the "
            "run's own checkpoint.pt back, or pass --lr 0.03 to continue as the checkpoint was "
            "trained, or pass --force to continue with the settings of config.json"
        )
    if setting != "true_w":  # as advised: the run goes on as trained, config.json corrected
        copy = tmp_path / "copy"
        copy.mkdir()
        for name in ("config.json", "checkpoint.pt", "metrics.jsonl"):
            (copy / name).write_bytes((out / name).read_bytes())
        kept_run = resume_linreg(copy, epochs=2, **{setting: old})
        never = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200))
        assert (kept_run.w, kept_run.b) == (never.w, never.b)
        continued = json.loads((copy / "config.json").read_text())
        assert continued["config"][setting] == old and continued["resumes"][-1]["forced"] == {}
    assert (out / "checkpoint.pt").read_bytes() == before
    noted = pytest.warns(ResumeWarning, match="loss") if setting == "impl" else nullcontext()
    with noted:
        forced = resume_linreg(out, epochs=2, force=True)
    assert forced.config is not None and forced.config.to_dict()[setting] == value
    trained = json.loads(path.read_text())
    assert trained["resumes"][-1]["forced"] == {setting: [old, value]}
    # the oracle for lr: epoch 2 trained at the edited value, as a forced --lr trains it
    if setting == "lr":
        given = tmp_path / "given"
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=given))
        oracle = resume_linreg(given, epochs=2, lr=0.05, force=True)
        assert (forced.w, forced.b) == (oracle.w, oracle.b)


def test_a_checkpoint_copied_from_another_run_is_named(tmp_path: Path) -> None:
    """A checkpoint.pt of a run at another lr copied over the run's own trained on at the run's
    config.json lr, silently (the copy's epochs now trained at a value it never had)."""
    out, other = tmp_path / "run", tmp_path / "other"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, lr=0.01, out=other))
    (out / "checkpoint.pt").write_bytes((other / "checkpoint.pt").read_bytes())
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, seed=2)
    assert str(info.value) == (
        f"seed changed from 0 to 2 since the run in {out} started; {out}/checkpoint.pt was "
        f"trained with lr=0.01, but {out}/config.json asks for lr=0.03 (a checkpoint from another "
        "run?), which would change its result; leave seed out to continue the same run and put "
        "the run's own checkpoint.pt back, or pass lr=0.01 and seed=0 to continue as the "
        "checkpoint was trained, or pass force=True to continue with the new values"
    )


def test_a_given_setting_config_json_also_edited_is_passed_back_with_the_others(
    tmp_path: Path,
) -> None:
    """config.json's lr and batch_size edited by hand, lr=0.07 given: "drop the option and pass
    batch_size=10" was refused next, for config.json's lr=0.05. Passing every value said trains
    on as the checkpoint was trained (the oracle: the unedited run resumed)."""
    out, reference = tmp_path / "run", tmp_path / "reference"
    for folder in (out, reference):
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=folder))
    saved = json.loads((out / "config.json").read_text())
    saved["config"]["lr"], saved["config"]["batch_size"] = 0.05, 20
    (out / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, lr=0.07)
    assert str(info.value).endswith(
        "which would change its result; leave lr out to continue the same run and put the "
        "run's own checkpoint.pt back, or pass lr=0.03 and batch_size=10 to continue as the "
        "checkpoint was trained, or pass force=True to continue with the new values"
    )
    resumed = resume_linreg(out, epochs=2, lr=0.03, batch_size=10)
    oracle = resume_linreg(reference, epochs=2)
    assert (resumed.w, resumed.b) == (oracle.w, oracle.b)


def test_a_value_forced_by_a_resume_stopped_before_its_first_checkpoint_carries_on(
    tmp_path: Path,
) -> None:
    """A forced resume stopped in its first epoch wrote its lr into config.json, and the checkpoint
    is still of the lr before: its plain resume, the one the stop advises, carries the forced lr on
    (it is no disagreement), as resume_softmax's does, and records it forced."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, lr=0.05, force=True, callbacks=[_SignalAt(2, 4)])
    assert load_checkpoint(out / "checkpoint.pt").config["lr"] == 0.03
    resumed = resume_linreg(out)
    assert resumed.config is not None and resumed.config.lr == 0.05
    saved = json.loads((out / "config.json").read_text())
    assert [r["forced"] for r in saved["resumes"]] == [{"lr": [0.03, 0.05]}] * 2
    given = tmp_path / "given"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=given))
    oracle = resume_linreg(given, epochs=3, lr=0.05, force=True)
    assert (resumed.w, resumed.b, _losses(resumed)) == (oracle.w, oracle.b, _losses(oracle))


def test_a_forced_change_on_a_resume_that_trains_nothing_is_refused(tmp_path: Path) -> None:
    """results.json deleted, the checkpoint at the last epoch: a forced lr trained nothing, yet
    config.json and results.json gave the run lr 0.5. Refused now, forced or not, before
    anything is written; an lr carried from config.json (an earlier forced resume stopped before
    its first checkpoint) is dropped, as resume_softmax drops it."""
    from linearnets.cli._report import one_line

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, out=out))
    (out / "results.json").unlink()
    config_json = (out / "config.json").read_text()
    for force in (True, False):
        with pytest.raises(UsageError) as info:
            resume_linreg(out, lr=0.5, force=force)
        assert one_line(info.value) == (
            f"--lr changed from 0.03 to 0.5, but the run in {out} already trained its 1 epoch "
            "(checkpoint.pt is of epoch 1), so no epoch would train with it; pass e.g. --epochs 6 "
            "--force to train further with it, or leave it out to keep the run as it was trained"
        )  # "--epochs 6" alone was refused next for want of --force
    assert (out / "config.json").read_text() == config_json and not (out / "results.json").exists()
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, lr=0.5, force=True, callbacks=[_SignalAt(2, 4)])
    resumed = resume_linreg(out, epochs=1)  # ends the run where it is, at its own lr
    assert resumed.config is not None and resumed.config.lr == 0.03
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["lr"] == 0.03
    saved = json.loads((out / "config.json").read_text())
    assert [r["forced"] for r in saved["resumes"]] == [{"lr": [0.03, 0.5]}, {}]


@pytest.mark.parametrize(
    ("before", "after", "ratio"),
    [("scratch", "concise", "twice"), ("concise", "analytic", "half"), ("analytic", "scratch", "")],
)
def test_a_forced_impl_change_of_loss_says_the_losses_unit_changes(
    tmp_path: Path, before: str, after: str, ratio: str
) -> None:
    """scratch and analytic train and log ½(ŷ − y)², concise nn.MSELoss's (ŷ − y)²: a forced impl
    change between them mixed two losses in one history (metrics.csv epoch 3 4.9e-05, then epoch
    4 9.8e-05) without a word. A ResumeWarning says so now, naming the epoch it starts at."""
    from linearnets.models.scratch import squared_loss

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(impl=before, epochs=1, num_examples=200, out=out))
    with warnings_caught() as caught:
        resume_linreg(out, impl=after, epochs=2, force=True)
    said = [str(w.message) for w in caught if issubclass(w.category, ResumeWarning)]
    if not ratio:  # the same loss: nothing to say
        assert said == []
        return
    losses = {
        "scratch": "½·(ŷ − y)², squared_loss (D2L §3.2.5)",
        "analytic": "½·(ŷ − y)², squared_loss (D2L §3.2.5)",
        "concise": "(ŷ − y)², nn.MSELoss (D2L §3.3.4)",
    }
    assert said == [
        f"impl changed from {before!r} to {after!r}: {after}'s loss is {losses[after]}, "
        f"{before}'s {losses[before]}, so the losses logged from epoch 2 on are {ratio} the "
        f"earlier epochs' for the same fit (the history mixes the two), and the gradients "
        f"{ratio} as large"
    ]
    # the oracle of "twice": nn.MSELoss's per-example loss against the book's squared_loss
    y_hat, y = torch.randn(8, 1), torch.randn(8, 1)
    mse = torch.nn.MSELoss(reduction="none")(y_hat, y)
    assert torch.allclose(mse, 2 * squared_loss(y_hat, y))


@contextlib.contextmanager
def warnings_caught() -> Iterator[list[Any]]:
    """Every warning raised inside, each recorded (none shown)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def test_a_folder_in_config_json_s_place_is_named_not_read_as_a_damaged_file(
    tmp_path: Path,
) -> None:
    """It was read as a file: "is not a readable JSON config ([Errno 21] Is a directory ...);
    delete config.json alone ..."; named now as a folder to move out, as resume_softmax names it."""
    out = _stopped(ln.LinregConfig(epochs=3, num_examples=200, out=tmp_path / "run"))
    (out / "config.json").unlink()
    (out / "config.json").mkdir()
    with pytest.raises(UsageError) as info:
        resume_linreg(out)
    assert str(info.value) == (
        f"the run folder {out} holds a folder {out}/config.json where the run keeps its "
        "config.json file; move that folder out of the run folder, then try again (a resume then "
        "rebuilds config.json from checkpoint.pt)"
    )
    (out / "config.json").rmdir()
    assert len(resume_linreg(out).history.epochs) == 3


def test_a_data_file_of_other_features_with_the_runs_own_gone_advises_putting_it_back(
    tmp_path: Path,
) -> None:
    """ "leave data out to resume on the run's own data" was refused next where that file is gone;
    the fix now is the file put back, or its copy's path, which continues the run exactly."""
    path = _rows_file(tmp_path / "d.csv", 0)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=path, epochs=1, lr=0.01, out=out))
    moved = path.rename(tmp_path / "moved.csv")
    wide = tmp_path / "wide.csv"
    wide.write_text(_THREE_FEATURES)
    with pytest.raises(UsageError) as info:
        resume_linreg(out, data=wide, epochs=2, force=True)
    assert str(info.value).endswith(
        "the model would take 3 features and the checkpoint's weights take 2, so they cannot "
        f"carry over, not even with force=True; put the run's own file back in its place, {path}, "
        "or pass data=NEWPATH for a copy of it moved elsewhere (its SHA-256 is checked: the same "
        "content continues the run), or start a new run in another folder (out=NEW_DIR)"
    )
    resumed = resume_linreg(out, data=moved, epochs=2)
    never = ln.run_linreg(ln.LinregConfig(data=moved, epochs=2, lr=0.01))
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


class _StopAtFirstStep:
    """Raise KeyboardInterrupt at the first step: a resume stopped before its first checkpoint."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        raise KeyboardInterrupt


def test_content_never_forced_after_a_forced_and_stopped_content_change_is_refused(
    tmp_path: Path,
) -> None:
    """A forced resume onto new content B, stopped before its first checkpoint, recorded the
    run's path as forced: content C at that path later was taken as carried on, unforced, since
    the path alone was compared. The content forced is now recorded (``data_sha256`` [old, new],
    as softmax's resume records it) and new content since refused; B itself carries on."""
    from linearnets.tasks.linreg_run import data_sha256

    path = _rows_file(tmp_path / "d.csv", 0)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=path, epochs=1, lr=0.01, out=out))
    a = data_sha256(path)
    _rows_file(path, 1)
    b = data_sha256(path)
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, force=True, callbacks=[_StopAtFirstStep()])
    saved = json.loads((out / "config.json").read_text())
    assert saved["resumes"][-1]["forced"]["data_sha256"] == [a, b]
    _rows_file(path, 2)
    c = data_sha256(path)
    assert a is not None and b is not None and c is not None
    with pytest.raises(UsageError) as info:
        resume_linreg(out)
    # B, "then", is what that resume forced at the run's path (it was said "since the run
    # started", whose content was A)
    assert str(info.value) == (
        f"data={str(path)!r} changed since an earlier resume from epoch 1 forced new content at "
        f"this path (SHA-256 {b[:12]}… then, {c[:12]}… now), which would change its result; put "
        "that content back, or pass force=True to continue on the new content"
    )
    _rows_file(path, 1)  # B back, as the fix says: the forced content carries on
    assert len(resume_linreg(out).history.epochs) == 3


def test_content_changed_after_a_forced_switch_to_a_data_file_is_refused(tmp_path: Path) -> None:
    """A forced switch from synthetic data to a file, stopped before its first checkpoint: the
    file's SHA-256 was never compared again, so new content in it trained on unforced."""
    path = _rows_file(tmp_path / "d.csv", 0)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=200, true_w=[1.0, -2.0], out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=path, force=True, callbacks=[_StopAtFirstStep()])
    _rows_file(path, 3)
    # the file an earlier resume switched to: its content then is the one to put back
    changed = r"^data=.*d\.csv' changed since an earlier resume from epoch 1 switched to it"
    with pytest.raises(UsageError, match=changed):
        resume_linreg(out)
    _rows_file(path, 0)
    assert len(resume_linreg(out).history.epochs) == 3


def test_a_checkpoint_copied_from_a_run_on_another_data_file_is_named(tmp_path: Path) -> None:
    """The checkpoint records its data file's SHA-256; config.json's was never compared with it,
    so a checkpoint of a run on another file resumed silently on this run's file."""
    from linearnets.cli._report import one_line
    from linearnets.tasks.linreg_run import data_sha256

    mine, theirs = _rows_file(tmp_path / "a.csv", 0), _rows_file(tmp_path / "b.csv", 1)
    out, other = tmp_path / "run", tmp_path / "other"
    ln.run_linreg(ln.LinregConfig(data=mine, epochs=1, out=out))
    ln.run_linreg(ln.LinregConfig(data=theirs, epochs=1, out=other))
    (out / "checkpoint.pt").write_bytes((other / "checkpoint.pt").read_bytes())
    a, b = data_sha256(mine), data_sha256(theirs)
    assert a is not None and b is not None
    assert load_checkpoint(out / "checkpoint.pt").extra["data_sha256"] == b
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert one_line(info.value) == (
        f"{out}/checkpoint.pt was trained on --data {theirs} (SHA-256 {b[:12]}…), but "
        f"{out}/config.json is of the run on --data {mine} (SHA-256 {a[:12]}…) (a checkpoint from "
        "another run?), which would change its result; put the run's own checkpoint.pt back, "
        "or pass --force to continue from this one on config.json's data"
    )
    with pytest.warns(
        ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak"
    ):  # the other run's checkpoint: its metrics written, this run's kept
        assert len(resume_linreg(out, epochs=2, force=True).history.epochs) == 2


def test_a_data_path_edited_into_config_json_is_named_against_the_checkpoint_s(
    tmp_path: Path,
) -> None:
    """config.json's "data" edited by hand to another file was told as the run's own file whose
    content changed, "put the original file back", though no data was given and the original was
    untouched: it is config.json disagreeing with the checkpoint, as resume_softmax names it."""
    mine, theirs = _rows_file(tmp_path / "a.csv", 0), _rows_file(tmp_path / "b.csv", 1)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=mine, epochs=1, out=out))
    saved = json.loads((out / "config.json").read_text())
    saved["config"]["data"] = str(theirs)
    (out / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    said = str(info.value)
    assert said.startswith(f"{out}/checkpoint.pt was trained with data='{mine}")
    assert (
        f"but {out}/config.json asks for data='{theirs}' (a checkpoint from another run?)" in said
    )
    assert "changed since" not in said and "original file" not in said


@pytest.mark.parametrize(
    ("hook", "epoch", "kept", "where"),
    [
        ("on_epoch_end", 2, 2, "at the end of epoch 2"),
        ("on_batch_end", 2, 1, "after batch 2 of epoch 2"),  # raised at its step=1 (from 0)
        ("on_epoch_start", 2, 1, "at the end of epoch 1"),
    ],
)
def test_a_callbacks_own_keyboard_interrupt_is_told_as_raised_in_the_run(
    tmp_path: Path, hook: str, epoch: int, kept: int, where: str
) -> None:
    """As run_softmax's: raised at epoch 2's second step, it was told "interrupted by SIGINT at
    the end of epoch 1", though no signal came and the run was in epoch 2."""
    out = tmp_path / "run"
    with pytest.raises(TrainingInterrupted) as caught:
        ln.run_linreg(ln.LinregConfig(epochs=3, out=out), callbacks=[StopNow(hook, epoch)])
    assert str(caught.value) == (
        f"stopped by a KeyboardInterrupt raised in the run (by a callback) {where}; the checkpoint "
        f"of epoch {kept} is kept in {out}; resume with: linearnets.resume_linreg({str(out)!r})"
    )
    assert len(resume_linreg(out).history.epochs) == 3


def test_a_callbacks_own_keyboard_interrupt_before_the_first_checkpoint_leaves_no_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt) as caught:
        ln.run_linreg(ln.LinregConfig(epochs=3, out=out), callbacks=[StopNow("on_batch_end", 1)])
    assert type(caught.value) is KeyboardInterrupt
    assert not out.exists()


@pytest.mark.parametrize(
    ("hook", "where"),
    [("on_fit_start", "at the end of epoch 1"), ("on_batch_end", "after batch 2 of epoch 2")],
)
def test_a_callbacks_own_keyboard_interrupt_in_a_resume_is_told_as_raised_in_the_run(
    tmp_path: Path, hook: str, where: str
) -> None:
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, out=out))
    with pytest.raises(TrainingInterrupted) as caught:
        resume_linreg(out, epochs=3, callbacks=[StopNow(hook, 2)])
    assert str(caught.value) == (
        f"stopped by a KeyboardInterrupt raised in the run (by a callback) {where}; the checkpoint "
        f"of epoch 1 is kept in {out}; resume with: linearnets.resume_linreg({str(out)!r})"
    )
    assert len(resume_linreg(out).history.epochs) == 3


@pytest.mark.parametrize("lr", [None, 0.5])
def test_a_new_data_path_refused_where_the_runs_own_file_is_gone_advises_its_return(
    tmp_path: Path, lr: float | None
) -> None:
    """ "leave it out to resume the run as it was" was refused next: the recorded file does not
    exist. The fix is the file put back, or its moved copy passed (which then resumes)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    np.savez(tmp_path / "d.npz", X=X, y=X @ [2.0, -3.4] + 4.2)
    np.savez(tmp_path / "e.npz", X=X + 1, y=X @ [1.0, 1.0])
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, data=tmp_path / "d.npz", out=out))
    (tmp_path / "d.npz").rename(tmp_path / "moved.npz")
    extra = {} if lr is None else {"lr": lr}
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, data=tmp_path / "e.npz", **extra)
    others = "" if lr is None else " and leave the other changed settings out"
    them = "it" if lr is None else "them"  # two changes, lr's and data's
    assert str(info.value).endswith(
        "changed setting changes its result; to resume the run as it was, put the run's own file "
        f"back in its place, {tmp_path / 'd.npz'}, or pass data=NEWPATH for a copy of it moved "
        f"elsewhere (its SHA-256 is checked: the same content continues the run){others}; or "
        f"pass force=True to continue with {them}"
    )
    assert len(resume_linreg(out, epochs=2, data=tmp_path / "moved.npz").history.epochs) == 2


def test_the_checkpoints_own_file_continues_after_a_forced_switch_stopped_before_its_checkpoint(
    tmp_path: Path,
) -> None:
    """A forced switch to file b, stopped before its first checkpoint, recorded b's SHA-256 in
    config.json; the checkpoint's own file a, passed back, was refused as a changed from b's
    SHA-256 ("... SHA-256 <b's> then, <a's> now"), and a third file named a with b's SHA-256.
    The checkpoint's own content continues unforced, and each path is named with its own."""
    from linearnets.tasks.linreg_run import data_sha256

    a, b, c = (
        _rows_file(tmp_path / f"{n}.csv", seed) for n, seed in (("a", 0), ("b", 1), ("c", 2))
    )
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=1, lr=0.01, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.json", "checkpoint.pt", "metrics.jsonl"):
        (copy / name).write_bytes((out / name).read_bytes())
    sha_a = data_sha256(a)
    assert sha_a is not None
    with pytest.raises(UsageError) as info:
        resume_linreg(copy, data=c)
    # leaving it out continues on b, the forced switch carried (not "to resume the run as it was")
    assert str(info.value) == (
        f"data changed from '{a} (SHA-256 {sha_a[:12]})' to '{c}': the run in {copy} was trained "
        f"with the first, and a changed setting changes its result; leave it out to continue "
        f"with data='{b}', as an earlier resume from epoch 1 forced, or pass force=True to "
        "continue with it"
    )
    resumed = resume_linreg(out, data=a)
    saved = json.loads((out / "config.json").read_text())
    assert saved["resumes"][-1]["forced"] == {}
    assert (saved["config"]["data"], saved["data_sha256"]) == (str(a), sha_a)
    never = ln.run_linreg(ln.LinregConfig(data=a, epochs=3, lr=0.01))
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_leaving_a_file_out_after_a_forced_switch_from_synthetic_data_names_the_file_forced(
    tmp_path: Path,
) -> None:
    """A forced switch from synthetic data to file b, stopped before its first checkpoint: a
    resume given file d was told "leave it out to resume the run as it was", but leaving it out
    continues on b, as the switch from a file says."""
    b, d = _rows_file(tmp_path / "b.csv", 1), _rows_file(tmp_path / "d.csv", 2)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=100, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, data=d)
    assert str(info.value).endswith(
        f"the run in {out} was trained with the first, and a changed setting changes its result; "
        f"leave it out to continue with data='{b}', as an earlier resume from epoch 2 forced, or "
        "pass force=True to continue with it"
    )
    resume_linreg(out, epochs=3)  # left out: it continues on b, unforced
    assert json.loads((out / "config.json").read_text())["config"]["data"] == str(b)


def test_the_checkpoints_own_file_passed_beside_a_config_json_edited_to_another_continues(
    tmp_path: Path,
) -> None:
    """config.json's data and data_sha256 edited by hand to file b's: the checkpoint's own file
    a, passed, was refused as "a checkpoint from another run?", and forced, recorded a change of
    content (b's SHA-256 to a's) no step took. a's content is the checkpoint's: it continues."""
    from linearnets.tasks.linreg_run import data_sha256

    a, b = _rows_file(tmp_path / "a.csv", 0), _rows_file(tmp_path / "b.csv", 1)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=1, lr=0.01, out=out))
    saved = json.loads((out / "config.json").read_text())
    saved["config"]["data"], saved["data_sha256"] = str(b), data_sha256(b)
    (out / "config.json").write_text(json.dumps(saved))
    resumed = resume_linreg(out, epochs=2, data=a)
    saved = json.loads((out / "config.json").read_text())
    assert saved["resumes"][-1]["forced"] == {}
    assert (saved["config"]["data"], saved["data_sha256"]) == (str(a), data_sha256(a))
    never = ln.run_linreg(ln.LinregConfig(data=a, epochs=2, lr=0.01))
    assert (resumed.w, resumed.b) == (never.w, never.b)


def test_a_callbacks_own_keyboard_interrupt_resuming_a_run_without_a_checkpoint_goes_on_as_it_is(
    tmp_path: Path,
) -> None:
    """A run stopped by SIGINT before its first checkpoint, resumed, stopped by a callback's own
    KeyboardInterrupt at epoch 1's second step: it was told "interrupted by SIGINT at the start,
    before the first checkpoint", though no signal came. As resume_softmax's, it goes on as it
    is; the folder is still the run's to start over."""
    out = _stopped(ln.LinregConfig(epochs=2, num_examples=200, out=tmp_path / "run"), epoch=1)
    assert not (out / "checkpoint.pt").exists()
    with pytest.raises(KeyboardInterrupt) as caught:
        resume_linreg(out, callbacks=[StopNow("on_batch_end", 1)])
    assert type(caught.value) is KeyboardInterrupt
    assert not (out / "checkpoint.pt").exists()
    never = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200))
    resumed = resume_linreg(out)
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_a_run_stopped_before_its_first_checkpoint_starts_over_with_the_settings_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No epoch kept: --lr and --num-examples were refused with "the run in DIR was trained with
    the first ... pass --force", though nothing was trained and the stop said to start it over. As
    resume_softmax's start over, they are taken unforced, recorded in config.json as the run's,
    and the run is a new run of those settings (the oracle)."""
    from linearnets.cli import main

    out = _stopped(ln.LinregConfig(epochs=2, num_examples=200, out=tmp_path / "run"), epoch=1)
    assert not (out / "checkpoint.pt").exists()
    code = main(["linreg", "--resume", str(out), "--lr", "0.01", "--num-examples", "300"])
    assert (code, capsys.readouterr().err) == (0, "")
    saved = json.loads((out / "config.json").read_text())
    assert (saved["config"]["lr"], saved["config"]["num_examples"]) == (0.01, 300)
    assert saved["resumes"][-1]["from_epoch"] == 0
    assert saved["resumes"][-1]["forced"] == {}  # none forced: nothing was trained before
    results = json.loads((out / "results.json").read_text())
    never = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=300, lr=0.01))
    assert (results["w"], results["b"]) == (never.w, never.b)
    assert resume_linreg(out, epochs=3, lr=0.01).config.num_examples == 300  # the run's now


def test_logged_epochs_without_a_checkpoint_are_refused_unless_forced_as_softmax_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """checkpoint.pt and results.json removed from a run that logged 2 epochs: its resume started
    over silently, overwriting the logged metrics; resume_softmax refuses it. Forced, it starts
    over, as a new run of the same settings."""
    from linearnets.cli import main

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    (out / "checkpoint.pt").unlink()
    (out / "results.json").unlink()
    logged = (out / "metrics.jsonl").read_text()
    with pytest.raises(CheckpointError) as info:
        resume_linreg(out)
    assert str(info.value) == (
        f"the run in {out} logged 2 finished epochs in metrics.jsonl but has no checkpoint.pt to "
        "continue from; put the checkpoint back, or pass force=True to start the run over, "
        "replacing its metrics"
    )
    assert main(["linreg", "--resume", str(out)]) != 0
    assert "or pass --force to start the run over" in capsys.readouterr().err
    assert (out / "metrics.jsonl").read_text() == logged  # nothing overwritten
    with pytest.warns(
        ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak"
    ):  # started over: the metrics logged are kept
        resumed = resume_linreg(out, force=True)
    never = ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200))
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))
    saved = json.loads((out / "config.json").read_text())
    assert saved["resumes"][-1]["from_epoch"] == 0


def _copied_run(out: Path, to: Path) -> Path:
    """Copy the files of the stopped run in ``out`` to the new folder ``to``; return it."""
    to.mkdir()
    for name in ("config.json", "checkpoint.pt", "metrics.jsonl"):
        (to / name).write_bytes((out / name).read_bytes())
    return to


def test_the_file_a_forced_switch_carried_continues_moved_or_copied(tmp_path: Path) -> None:
    """A forced switch from a to b, stopped before its first checkpoint, carries on. b moved was
    told "pass data=NEWPATH (... the same content continues the run, without force=True)", then
    refused as "data changed from a (SHA-256 …) to b2": a new path was compared with the
    checkpoint's content alone, and the forced values by path. A copy of b too. b's content, at
    any path, is the carried forced switch: it continues, as a run forced to b never stopped."""
    a, b = _rows_file(tmp_path / "a.csv", 0), _rows_file(tmp_path / "b.csv", 1)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=1, lr=0.01, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    copy = _copied_run(out, tmp_path / "copy")
    reference = tmp_path / "reference"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=1, lr=0.01, out=reference))
    never = resume_linreg(reference, epochs=3, data=b, force=True)
    b_copy = tmp_path / "b_copy.csv"
    b_copy.write_bytes(b.read_bytes())
    copied = resume_linreg(copy, data=b_copy)  # while b is in place
    moved = b.rename(tmp_path / "b2.csv")
    with pytest.raises(UsageError, match="if the file moved, pass data=NEWPATH"):
        resume_linreg(out)
    resumed = resume_linreg(out, data=moved)
    for result in (copied, resumed):
        assert (result.w, result.b, _losses(result)) == (never.w, never.b, _losses(never))
    sha_a = hashlib.sha256(a.read_bytes()).hexdigest()
    forced = json.loads((out / "config.json").read_text())["resumes"][-1]["forced"]
    assert forced == {"data": [f"{a} (SHA-256 {sha_a[:12]})", str(moved)]}  # b's, carried


def test_a_data_sha256_deleted_from_config_json_is_checked_against_the_checkpoints(
    tmp_path: Path,
) -> None:
    """config.json's data_sha256 deleted and the file edited: the resume trained on the new
    content silently, though checkpoint.pt records the content it was trained on. It is
    compared with the checkpoint's record, refused as a change unless forced; a null there is
    the user's choice (docs/cli.md): no check."""
    path = _rows_file(tmp_path / "d.csv", 0)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=path, epochs=1, lr=0.01, out=out))
    saved = json.loads((out / "config.json").read_text())
    del saved["data_sha256"]
    (out / "config.json").write_text(json.dumps(saved))
    _rows_file(path, 1)
    now = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"data={str(path)!r} changed since the run in {out} started (SHA-256 {sha[:12]}… then, "
        f"{now[:12]}… now), which would change its result; put the original file back, or pass "
        "force=True to continue on the new content"
    )
    saved["data_sha256"] = None
    (out / "config.json").write_text(json.dumps(saved))
    assert len(resume_linreg(out, epochs=2).history.epochs) == 2


_RUN_STOP_NOTE = (
    "the run was stopped by a KeyboardInterrupt raised in it (by a callback) before its first "
    "checkpoint was kept, so no epoch of it is kept to resume from; the same call starts it over"
)


def test_a_callbacks_interrupt_before_any_checkpoint_drops_fits_advice(tmp_path: Path) -> None:
    """A callback's bare KeyboardInterrupt out of run_linreg or resume_linreg, no checkpoint kept,
    carried fit's note "To go on, call fit again with start_epoch=0 and history=that History",
    advice for a caller of fit, which the caller of a whole run never was. It says the run's."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, out=out))
    for name in ("checkpoint.pt", "results.json", "metrics.jsonl", "metrics.csv"):
        (out / name).unlink()
    calls = [
        lambda: resume_linreg(out, callbacks=[_StopAtFirstStep()]),
        lambda: ln.run_linreg(
            ln.LinregConfig(out=tmp_path / "new"), callbacks=[_StopAtFirstStep()]
        ),
    ]
    for call in calls:
        with pytest.raises(KeyboardInterrupt) as caught:
            call()
        assert type(caught.value) is KeyboardInterrupt
        assert caught.value.__notes__ == [_RUN_STOP_NOTE]
        render = caught.value._render_traceback_()  # type: ignore[attr-defined]
        assert render == [f"KeyboardInterrupt: {_RUN_STOP_NOTE}"]
    assert len(resume_linreg(out).history.epochs) == 1  # the same call starts it over


def test_a_given_change_beside_a_hand_edited_config_json_is_offered_the_checkpoints_value(
    tmp_path: Path,
) -> None:
    """config.json edited to lr 0.05, the checkpoint trained at 0.03, resumed with lr=0.07: told
    "leave it out to resume the run as it was", though leaving it out was refused next
    (config.json's 0.05). The fix that works, lr=0.03, is offered."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, lr=0.03, out=out))
    saved = json.loads((out / "config.json").read_text())
    saved["config"]["lr"] = 0.05
    (out / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, lr=0.07)
    assert str(info.value) == (
        f"lr changed from 0.03 to 0.07: the run in {out} was trained with the first, and a "
        "changed setting changes its result; pass lr=0.03 to resume the run as it was (left out, "
        "config.json's lr=0.05 is taken, which the checkpoint was not trained with), or pass "
        "force=True to continue with it"
    )
    with pytest.raises(UsageError, match=r"asks for lr=0\.05 \(a checkpoint from another run\?\)"):
        resume_linreg(out, epochs=2)
    resumed = resume_linreg(out, epochs=2, lr=0.03)
    never = ln.run_linreg(ln.LinregConfig(epochs=2, lr=0.03))
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_a_change_beside_a_forced_setting_names_what_leaving_it_out_continues_with(
    tmp_path: Path,
) -> None:
    """After a forced lr=0.05 stopped before its first checkpoint, batch_size=20 was told
    "checkpoint.pt was trained with lr=0.03, but config.json asks for lr=0.05 (a checkpoint from
    another run?)" and to "pass lr=0.03 and batch_size=10": the forced lr, carried on, was named
    as config.json disagreeing with the checkpoint, where resume_softmax names only the change."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=100, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, lr=0.05, force=True, callbacks=[_StopAtFirstStep()])
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, batch_size=20)
    assert str(info.value) == (
        f"batch_size changed from 10 to 20: the run in {out} was trained with the first, and a "
        "changed setting changes its result; leave it out to continue with lr=0.05, as an "
        "earlier resume from epoch 2 forced, or pass force=True to continue with it"
    )
    assert json.loads((out / "config.json").read_text())["config"]["lr"] == 0.05
    assert len(resume_linreg(out, epochs=3).history.epochs) == 3  # left out: it continues


def test_a_change_after_a_forced_switch_to_a_file_names_the_file_it_continues_with(
    tmp_path: Path,
) -> None:
    """After a forced switch from synthetic data to b.csv, stopped, lr=0.05 was told that
    config.json asks for other synthetic settings and data than the checkpoint's (a checkpoint
    from another run?): the switch, forced, carries on."""
    b = _rows_file(tmp_path / "b.csv", 1)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=100, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, lr=0.05)
    assert str(info.value) == (
        f"lr changed from 0.03 to 0.05: the run in {out} was trained with the first, and a "
        f"changed setting changes its result; leave it out to continue with data={str(b)!r}, as "
        "an earlier resume from epoch 2 forced, or pass force=True to continue with it"
    )


@pytest.mark.parametrize("after", ["edited", "moved"])
def test_a_forced_file_changed_or_moved_since_is_named_so_in_the_leave_it_out_fix(
    tmp_path: Path, after: str
) -> None:
    """A forced switch from a to b, stopped, then b edited (or moved away): a resume given d was
    told "leave it out to resume the run as it was" (or "to continue with data=b"), but leaving
    it out was refused next: b's content changed since (or b does not exist)."""
    a, b, d = (_rows_file(tmp_path / f"{n}.csv", s) for n, s in (("a", 0), ("b", 1), ("d", 2)))
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=2, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    moved = tmp_path / "b2.csv"
    if after == "edited":
        _rows_file(b, 3)
    else:
        b.rename(moved)
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, data=d)
    back = (
        "once that file's content is put back (it changed since)"
        if after == "edited"
        else "once that file is put back (it does not exist now), or pass data=NEWPATH for it "
        "moved elsewhere (its SHA-256 is checked)"
    )
    assert str(info.value).endswith(
        f"leave it out to continue with data='{b}', as an earlier resume from epoch 2 forced, "
        f"{back}, or pass force=True to continue with it"
    )
    with pytest.raises(UsageError):  # left out as it stands: refused, as the fix says
        resume_linreg(out, epochs=3)
    if after == "edited":
        _rows_file(b, 1)
        assert len(resume_linreg(out, epochs=3).history.epochs) == 3
    else:
        assert len(resume_linreg(out, epochs=3, data=moved).history.epochs) == 3


def test_two_changes_after_a_forced_switch_are_told_to_be_left_out_both(tmp_path: Path) -> None:
    """After a forced switch from a to b, stopped, lr=0.05 with data=d was told "leave it out to
    continue with data=b": leaving data out alone was refused next, for lr."""
    a, b, d = (_rows_file(tmp_path / f"{n}.csv", s) for n, s in (("a", 0), ("b", 1), ("d", 2)))
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=2, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, lr=0.05, data=d)
    assert str(info.value).endswith(
        f"leave them out to continue with data='{b}', as an earlier resume from epoch 2 forced, "
        "or pass force=True to continue with them"
    )
    with pytest.raises(UsageError, match=r"^lr changed from 0\.03 to 0\.05"):
        resume_linreg(out, epochs=3, lr=0.05)  # data alone left out
    assert len(resume_linreg(out, epochs=3).history.epochs) == 3


def test_a_change_after_a_forced_switch_to_synthetic_data_is_named_and_left_out_continues_on_it(
    tmp_path: Path,
) -> None:
    """After a forced switch from file a to synthetic data (num_examples=100), stopped before its
    first checkpoint: num_examples=50 was refused with no change named (": the run in ... was
    trained with the first"), as a switch's synthetic settings have no clause and the switch
    itself was dropped as carried; lr=0.05 and data=b were told "leave it out to resume the run
    as it was", but leaving them out continues on the synthetic data forced, not on a; b was
    said to replace "a (no SHA-256 recorded)", and a copy of a was refused, though the
    checkpoint records a's content. The switch is named as data's change, leaving out continues
    with the synthetic data forced, and a's content continues the run as trained."""
    a, b = _rows_file(tmp_path / "a.csv", 0), _rows_file(tmp_path / "b.csv", 1)
    sha_a = hashlib.sha256(a.read_bytes()).hexdigest()
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=2, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(
            out, epochs=3, data=None, num_examples=100, force=True, callbacks=[_StopAtFirstStep()]
        )
    forced = (
        "None (synthetic data: num_examples=100, noise_std=0.01, true_w=[2.0, -3.4], true_b=4.2)"
    )
    rest = (
        f": the run in {out} was trained with the first, and a changed setting changes its "
        f"result; leave {{0}} out to continue with data={forced}, as an earlier resume from "
        "epoch 2 forced, or pass force=True to continue with {0}"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, num_examples=50)
    assert str(info.value) == (
        f"data changed from '{a}' to None (synthetic data: num_examples=50, noise_std=0.01, "
        f"true_w=[2.0, -3.4], true_b=4.2){rest.format('it')}"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, num_examples=50, lr=0.05)
    assert str(info.value) == (
        f"lr changed from 0.03 to 0.05; data changed from '{a}' to None (synthetic data: "
        "num_examples=50, noise_std=0.01, true_w=[2.0, -3.4], true_b=4.2)"
        f"{rest.format('them')}"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, lr=0.05)
    assert str(info.value) == f"lr changed from 0.03 to 0.05{rest.format('it')}"
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, data=b)
    assert str(info.value) == (
        f"data changed from '{a} (SHA-256 {sha_a[:12]})' to '{b}'{rest.format('it')}"
    )
    a_copy = tmp_path / "a_copy.csv"
    a_copy.write_bytes(a.read_bytes())
    copy = _copied_run(out, tmp_path / "copy")
    as_trained = resume_linreg(copy, epochs=3, data=a_copy)  # the checkpoint's content: unforced
    never_stopped = ln.run_linreg(ln.LinregConfig(data=a, epochs=3))
    assert (as_trained.w, as_trained.b) == (never_stopped.w, never_stopped.b)
    resumed = resume_linreg(out, epochs=3)  # left out, as the fix says: on the synthetic data
    reference = tmp_path / "reference"
    ln.run_linreg(ln.LinregConfig(data=a, epochs=2, out=reference))
    never = resume_linreg(reference, epochs=3, data=None, num_examples=100, force=True)
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_a_forced_file_edited_since_is_said_changed_since_that_resume_switched_to_it(
    tmp_path: Path,
) -> None:
    """A forced switch from a to b, stopped before its first checkpoint, then b edited: b was
    said to have "changed since the run in R started", to be put back "to resume the run as it
    was", though the run started on a and b was forced at epoch 2. It is said changed since that
    resume switched to it, its content put back to continue with it, as forced."""
    a, b = _rows_file(tmp_path / "a.csv", 0), _rows_file(tmp_path / "b.csv", 1)
    was = hashlib.sha256(b.read_bytes()).hexdigest()
    out, reference = tmp_path / "run", tmp_path / "reference"
    for folder in (out, reference):
        ln.run_linreg(ln.LinregConfig(data=a, epochs=2, out=folder))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    _rows_file(b, 3)
    now = hashlib.sha256(b.read_bytes()).hexdigest()
    change = (
        f"data='{b}' changed since an earlier resume from epoch 2 switched to it (SHA-256 "
        f"{was[:12]}… then, {now[:12]}… now)"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, batch_size=20)
    assert str(info.value) == (
        f"batch_size changed from 10 to 20, and {change}: each changes the run's result; leave "
        "the changed setting out and put its content back to continue with it, as that resume "
        "forced, or pass force=True to continue with both"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3)
    assert str(info.value) == (
        f"{change}, which would change its result; put its content back to continue with it, as "
        "that resume forced, or pass force=True to continue on the new content"
    )
    _rows_file(b, 1)
    resumed = resume_linreg(out, epochs=3)
    never = resume_linreg(reference, epochs=3, data=b, force=True)
    assert (resumed.w, resumed.b, _losses(resumed)) == (never.w, never.b, _losses(never))


def test_a_checkpoint_the_system_refuses_is_not_called_damaged_on_a_linreg_resume(
    tmp_path: Path, refuse_open: Callable[[Path, int], None]
) -> None:
    """linreg's resume reads the checkpoint with softmax's reader: a permission refusal was
    "truncated, damaged ...; delete it and resume with force=True". It says to chmod it. (Tests
    run as root, which reads any file: the refusal is stood in for.)"""
    import errno
    import shlex

    out, _, _ = _finished_run(tmp_path)
    ckpt = out / "checkpoint.pt"
    refuse_open(ckpt, errno.EACCES)
    with pytest.raises(CheckpointError) as info:
        resume_linreg(out, epochs=2)
    assert str(info.value) == (
        f"checkpoint {ckpt} cannot be read (Permission denied): make it readable (chmod u+r "
        f"{shlex.quote(str(ckpt))}), then resume again"
    )


@pytest.mark.parametrize("name", ["results.json", "checkpoint.pt", "metrics.jsonl", "metrics.csv"])
@pytest.mark.parametrize("extra", [{}, {"epochs": 3, "force": True}], ids=["plain", "forced"])
def test_a_folder_where_the_run_keeps_a_file_is_refused_in_resume_softmax_s_words(
    tmp_path: Path, name: str, extra: dict[str, Any]
) -> None:
    """results.json a folder ended the resume in a raw "[Errno 21] Is a directory" as it was read;
    refused now up front, as resume_softmax refuses it, the folder named with its fix."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    (out / name).unlink()
    (out / name).mkdir()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, **extra)
    assert str(info.value) == (
        f"linearnets.resume_linreg({str(out)!r}): the run folder holds a folder {out / name} "
        "where the run keeps a file, which resuming replaces; move that folder out of the run "
        "folder, then resume"
    )
    assert (out / name).is_dir()


def test_the_original_file_put_back_after_new_content_forced_at_its_path_is_told_so(
    tmp_path: Path,
) -> None:
    """New content forced at the run's own path from epoch 1, then the original file put back:
    the refusal said the file "changed since the run in R started" (SHA-256 the forced content's
    "then", the run's first "now") and "put the original file back", which was the file there.
    It names the forced resume and the content to put back, the one that resume forced."""
    data = _rows_file(tmp_path / "q.csv", 0)
    first = hashlib.sha256(data.read_bytes()).hexdigest()
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    _rows_file(data, 1)
    forced = hashlib.sha256(data.read_bytes()).hexdigest()
    resume_linreg(out, epochs=2, force=True)
    _rows_file(data, 0)
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3)
    assert str(info.value) == (
        f"data='{data}' changed since an earlier resume from epoch 1 forced new content at this "
        f"path (SHA-256 {forced[:12]}… then, {first[:12]}… now), which would change its result; "
        "put that content back, or pass force=True to continue on the new content"
    )
    _rows_file(data, 1)  # as the fix says: the forced content continues unforced
    assert len(resume_linreg(out, epochs=3).history.train_loss) == 3


def test_a_file_switched_to_then_edited_is_refused_as_switched_to_not_new_content_here(
    tmp_path: Path,
) -> None:
    """A forced switch from q to o, then o edited: the refusal said o "changed since an earlier
    resume from epoch 1 forced new content at this path", though that resume switched to it from
    another file. Switching away and back to q, then q edited, said the same of the run's own
    file. Each is said switched to, its content put back to continue with it, as forced."""
    q, o = _rows_file(tmp_path / "q.csv", 0), _rows_file(tmp_path / "o.csv", 1)
    first, switched = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (q, o))
    out, back = tmp_path / "run", tmp_path / "back"
    ln.run_linreg(ln.LinregConfig(data=q, epochs=1, out=out))
    resume_linreg(out, epochs=2, data=o, force=True)
    _rows_file(o, 2)
    edited = hashlib.sha256(o.read_bytes()).hexdigest()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3)
    assert str(info.value) == (
        f"data='{o}' changed since an earlier resume from epoch 1 switched to it (SHA-256 "
        f"{switched[:12]}… then, {edited[:12]}… now), which would change its result; put its "
        "content back to continue with it, as that resume forced, or pass force=True to continue "
        "on the new content"
    )
    _rows_file(o, 1)
    ln.run_linreg(ln.LinregConfig(data=q, epochs=1, out=back))
    resume_linreg(back, epochs=2, data=o, force=True)
    resume_linreg(back, epochs=3, data=q, force=True)
    _rows_file(q, 2)
    with pytest.raises(UsageError) as info:
        resume_linreg(back, epochs=4)
    assert str(info.value).startswith(
        f"data='{q}' changed since an earlier resume from epoch 2 switched to it (SHA-256 "
        f"{first[:12]}… then, {edited[:12]}… now), which would change its result; put its content "
        "back to continue with it, as that resume forced"
    )
    _rows_file(q, 0)  # as the fix says
    assert len(resume_linreg(back, epochs=4).history.epochs) == 4


def test_a_lost_config_json_s_refused_content_is_said_changed_since_the_checkpoint(
    tmp_path: Path,
) -> None:
    """New content forced at the run's path, then config.json lost and the original file put
    back: it was said "changed since the run in R started" (the forced content's SHA-256 "then"),
    its fix "put the original file back", the file there. Without config.json's history the
    change is said against the checkpoint, its fix that content put back."""
    data = _rows_file(tmp_path / "q.csv", 0)
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    _rows_file(data, 1)
    forced = hashlib.sha256(data.read_bytes()).hexdigest()
    resume_linreg(out, epochs=2, force=True)
    (out / "config.json").rename(out / "config.json.bak")
    first = hashlib.sha256(_rows_file(data, 0).read_bytes()).hexdigest()
    change = (
        f"data='{data}' changed since the checkpoint was trained on it (SHA-256 {forced[:12]}… "
        f"then, {first[:12]}… now)"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3)
    assert str(info.value) == (
        f"{change}, which would change its result; put that content back, or pass force=True to "
        "continue on the new content"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, batch_size=5)
    assert str(info.value).endswith(
        f"and {change}: each changes the run's result; leave the changed setting out and put "
        "that content back, or pass force=True to continue with both"
    )
    _rows_file(data, 1)  # as the fix says
    assert len(resume_linreg(out, epochs=3).history.epochs) == 3


class _WritesAt:
    """The user's callback: writes ``path`` (a run file of its own) at the end of epoch ``epoch``."""

    def __init__(self, path: Path, epoch: int) -> None:
        self.path, self.epoch = path, epoch

    def on_epoch_end(self, *, metrics: Any) -> None:
        from linearnets.training.checkpoint_write import write_text_atomic

        if metrics.epoch == self.epoch:
            write_text_atomic(self.path, "x\n")


def _checkpoint_lost(tmp_path: Path) -> Path:
    """A finished 1-epoch run whose checkpoint and results were lost: a resume starts it over."""
    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, out=run))
    for name in ("checkpoint.pt", "results.json"):
        (run / name).unlink()
    return run


def test_a_start_over_whose_metrics_cannot_be_rewritten_advises_the_same_resume_again(
    tmp_path: Path,
) -> None:
    """A lost checkpoint's run started over with new settings (epochs=2, lr=0.3, forced), its
    metrics' rewrite failing: the advice was the plain resume, refused for the epoch the old
    metrics logged ("pass force=True"). Now it is the same resume again, which trains."""
    from linearnets.errors import RunFileError

    run = _checkpoint_lost(tmp_path)
    (run / ".metrics.jsonl.tmp").mkdir()
    with (
        pytest.warns(ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak"),
        pytest.raises(RunFileError) as caught,
    ):  # kept before the write failed
        resume_linreg(run, epochs=2, lr=0.3, force=True)
    assert str(caught.value).endswith(
        "; the run has no checkpoint yet: fix that and start it over with "
        f"linearnets.resume_linreg({str(run)!r}, epochs=2, lr=0.3, force=True)"
    ), str(caught.value)
    (run / ".metrics.jsonl.tmp").rmdir()
    with pytest.warns(
        ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak"
    ):
        resumed = resume_linreg(run, epochs=2, lr=0.3, force=True)
    assert [m.epoch for m in resumed.history.epochs] == [1, 2]
    assert resumed.config is not None and resumed.config.lr == 0.3


def test_a_start_over_stopped_after_its_first_checkpoint_advises_the_plain_resume(
    tmp_path: Path,
) -> None:
    """Once the start over kept an epoch, config.json records its settings: a file of the user's
    unwritten advises the plain resume (the new settings and force=True again skipped the
    data-changed refusal), which continues them."""
    from linearnets.errors import RunFileError

    run = _checkpoint_lost(tmp_path)
    (run / ".mine.txt.tmp").mkdir()
    with (
        pytest.warns(ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak"),
        pytest.raises(RunFileError) as caught,
    ):
        resume_linreg(run, epochs=3, lr=0.3, force=True, callbacks=[_WritesAt(run / "mine.txt", 2)])
    assert str(caught.value).endswith(
        "; the checkpoint of the run's last finished epoch is kept: fix that and continue it "
        f"with linearnets.resume_linreg({str(run)!r})"
    ), str(caught.value)
    (run / ".mine.txt.tmp").rmdir()
    resumed = resume_linreg(run)
    assert [m.epoch for m in resumed.history.epochs] == [1, 2, 3]
    assert resumed.config is not None and resumed.config.lr == 0.3


@pytest.mark.parametrize("resuming", [False, True], ids=["run", "resume"])
def test_too_many_threads_are_warned_of_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resuming: bool
) -> None:
    """A resume pinned the threads before config.json recorded them, then again as it made the
    data: `linearnets linreg --resume RUN --threads 8` on 2 cores printed the warning twice."""
    import warnings

    from linearnets.errors import ThreadsWarning

    out = tmp_path / "run"
    if resuming:
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, out=out))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if resuming:
            resume_linreg(out, epochs=2, num_threads=2)
        else:
            ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, num_threads=2, out=out))
    assert [str(w.message) for w in caught if w.category is ThreadsWarning] == [
        "the run's thread count, 2, is more than the 1 CPU core this process may use: the "
        "threads take turns, and training slows, often many times over; pass num_threads=1"
    ]


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_a_resume_that_trains_nothing_warns_of_no_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int | None
) -> None:
    """A run recorded at 2 threads on 1 core, complete: its resume, refused as complete, warned
    of the 2 threads twice, and told `num_threads=1` given to pass num_threads=1; stopped before
    results.json, its resume writes them from the checkpoint, training on no thread."""
    import warnings

    from linearnets.errors import ThreadsWarning

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=50, num_threads=2, out=out))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    given = {} if threads is None else {"num_threads": threads}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(UsageError, match="is complete"):
            resume_linreg(out, **given)
        (out / "results.json").unlink()
        resume_linreg(out, **given)
    assert [str(w.message) for w in caught if w.category is ThreadsWarning] == []
    assert (out / "results.json").is_file()


@pytest.mark.parametrize("cut", ["a-row-short", "torn"])
def test_metrics_a_row_short_or_torn_at_the_end_are_rewritten_without_a_backup(
    tmp_path: Path, cut: str
) -> None:
    """A kill right after a checkpoint's save leaves metrics a row short, or its last row torn
    mid-append: what is there is a start of the rewrite, so nothing is lost. Such a resume made
    metrics.jsonl.bak and metrics.csv.bak and a note that read like damage."""
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=200, out=out))
    whole = {name: (out / name).read_bytes() for name in ("metrics.jsonl", "metrics.csv")}
    for name, text in whole.items():
        short = text[: text.rindex(b"\n", 0, -1) + 1] if cut == "a-row-short" else text[:-7]
        (out / name).write_bytes(short)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        result = resume_linreg(out, epochs=3)
    assert [str(w.message) for w in said if "kept as" in str(w.message)] == []
    assert sorted(p.name for p in out.glob("*.bak*")) == []
    assert len(result.history.epochs) == 3
    for name, text in whole.items():
        assert (out / name).read_bytes().startswith(text)  # the two epochs' rows, then the third


@pytest.mark.parametrize(("name", "said"), TYPED_DATA)
def test_a_data_file_typed_for_the_resume_is_named_as_typed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    said: str,
) -> None:
    """linreg --resume l1 --data ./nothere.npz said "--data /tmp/.../nothere.npz does not exist",
    where a new run names it as typed (the resume read it by its absolute path); the run's own
    file, from its config.json, stays absolute."""
    from linearnets.cli import main

    monkeypatch.chdir(tmp_path)
    data = _rows_file(tmp_path / "d.csv", 0)
    np.savez(tmp_path / "m.npz", A=np.ones(3))
    assert main(["linreg", "--data", "d.csv", "--epochs", "1", "--lr", "0.01", "--out", "l1"]) == 0
    capsys.readouterr()
    resume = ["linreg", "--resume", "l1", "--data", f"./{name}", "--epochs", "2", "--force"]
    assert main(resume) != 0
    err = capsys.readouterr().err
    assert said in err and str(tmp_path) not in err, err
    data.unlink()  # the run's own file gone: named by config.json's absolute path
    assert main(["linreg", "--resume", "l1", "--epochs", "2"]) != 0
    assert str(data) in capsys.readouterr().err


def test_a_data_file_typed_for_the_resume_is_named_as_typed_when_its_content_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From a sub folder, after d.csv changed: linreg --resume ../r1 --data ../d.csv said
    "--data /tmp/.../d.csv changed since the run in ../r1 started", and --data ../o.csv "--data
    changed from /tmp/.../d.csv (SHA-256 ...) to /tmp/.../o.csv": the file typed is named as
    typed, as softmax's resume names it, the run's own from its config.json absolute."""
    from linearnets.cli import main

    monkeypatch.chdir(tmp_path)
    data = _rows_file(tmp_path / "d.csv", 0)
    _rows_file(tmp_path / "o.csv", 2)
    assert main(["linreg", "--data", "d.csv", "--epochs", "1", "--lr", "0.01", "--out", "r1"]) == 0
    refused_as_typed(
        data,
        lambda: _rows_file(data, 1),
        monkeypatch=monkeypatch,
        capsys=capsys,
        other="o.csv",
        tail=": the run in ../r1 was trained with the first",
    )


def test_the_runs_own_file_reshaped_is_named_as_changed_since_the_run_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From a sub folder, d.csv rewritten with 3 features: linreg --resume ../r1 --data ../d.csv
    --force said "--data changed from /tmp/.../d.csv (SHA-256 ...) to ../d.csv: the model would
    take 3 features ...", one file told as two (without --data: "changed from /tmp/.../d.csv
    (...) to /tmp/.../d.csv"); it is named as softmax's resume names it, as typed, config.json's
    absolute where none is typed."""
    from linearnets.cli import main

    monkeypatch.chdir(tmp_path)
    data = _rows_file(tmp_path / "d.csv", 0)
    assert main(["linreg", "--data", "d.csv", "--epochs", "1", "--lr", "0.01", "--out", "r1"]) == 0
    was = hashlib.sha256(data.read_bytes()).hexdigest()
    data.write_text(_THREE_FEATURES)
    now = hashlib.sha256(data.read_bytes()).hexdigest()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    capsys.readouterr()
    for typed, shown in ((["--data", "../d.csv"], "../d.csv"), ([], str(data))):
        assert main(["linreg", "--resume", "../r1", "--epochs", "2", *typed, "--force"]) == 2
        assert capsys.readouterr().err == (
            f"linearnets linreg: error: --data {shown} changed since the run in ../r1 started "
            f"(SHA-256 {was[:12]}… then, {now[:12]}… now): the model would take 3 features and "
            "the checkpoint's weights take 2, so they cannot carry over, not even with --force; "
            "put the original file back, or start a new run in another folder (--out NEW_DIR)\n"
        )


def _columns_file(path: Path, features: int, seed: int) -> str:
    """Write 20 rows of ``features`` features and y drawn from ``seed``; return the text."""
    X = torch.randn(20, features, generator=torch.Generator().manual_seed(seed))
    text = "".join(",".join(f"{v:.6f}" for v in [*row, sum(row)]) + "\n" for row in X.tolist())
    path.write_text(text)
    return text


def test_another_file_refused_while_the_runs_own_file_changed_is_told_to_put_it_back_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """data='o.csv' of 3 features, the run's own d.csv given 4: "leave data out to resume on the
    run's own data" was refused next (d.csv changed since the run started): d.csv's change is
    named and its content put back first, then data left out resumes."""
    from linearnets.cli import main

    data, other, out = tmp_path / "d.csv", tmp_path / "o.csv", tmp_path / "run"
    first = _columns_file(data, 2, 1)
    _columns_file(other, 3, 2)
    ln.run_linreg(ln.LinregConfig(data=data, epochs=1, out=out))
    was = hashlib.sha256(first.encode()).hexdigest()
    _columns_file(data, 4, 3)
    now = hashlib.sha256(data.read_bytes()).hexdigest()
    said = (
        "{0} changed from {1} to {2}: the model would take 3 features and the checkpoint's "
        "weights take 2, so they cannot carry over, not even with {3}; and {4} changed since the "
        f"run in {out} started (SHA-256 {was[:12]}… then, {now[:12]}… now): put the original "
        "file back, then leave {0} out to resume on the run's own data, or start a new run in "
        "another folder ({5}NEW_DIR)"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, data=other, force=True)
    shown = f"{data} (SHA-256 {was[:12]})"
    assert str(info.value) == said.format(
        "data", repr(shown), repr(str(other)), "force=True", f"data={str(data)!r}", "out="
    )
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2", "--data", str(other)]) == 2
    cli = said.format("--data", shown, other, "--force", f"--data {data}", "--out ")
    assert capsys.readouterr().err == f"linearnets linreg: error: {cli}\n"
    data.write_text(first)  # as told
    assert resume_linreg(out, epochs=2).epochs == 2


def test_the_runs_file_given_back_after_a_switch_whose_file_changed_is_told_that_file_first(
    tmp_path: Path,
) -> None:
    """A forced switch from a.csv to b.csv, then b.csv given a feature more: data='a.csv' was
    told "leave it out to resume the run as it was", refused next (b.csv changed since that
    switch): b.csv's change is named and its content put back first, then data left out
    resumes."""
    a, b, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "run"
    _columns_file(a, 2, 1)
    switched = _columns_file(b, 2, 2)
    ln.run_linreg(ln.LinregConfig(data=a, epochs=1, out=out))
    resume_linreg(out, epochs=2, data=b, force=True)
    was = hashlib.sha256(switched.encode()).hexdigest()
    _columns_file(b, 3, 3)
    now = hashlib.sha256(b.read_bytes()).hexdigest()
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=3, data=a)
    assert str(info.value) == (
        f"data changed from {str(b) + f' (SHA-256 {was[:12]})'!r} to {str(a)!r}: the run in "
        f"{out} was trained with the first, and a changed setting changes its result; and "
        f"data={str(b)!r} changed since an earlier resume from epoch 1 switched to it (SHA-256 "
        f"{was[:12]}… then, {now[:12]}… now): put that file's content back, then leave data out "
        "to resume the run as it was, or pass force=True to continue with it"
    )
    b.write_text(switched)  # as told
    assert resume_linreg(out, epochs=3).epochs == 3
