"""A forced resume that diverged before its first checkpoint: config.json keeps the settings the
run trained with, not the forced value that blew up (a Ctrl-C keeps it: tests/tasks/test_resume.py,
test_the_advised_resume_keeps_the_options_of_the_resume_it_interrupted)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.errors import DivergenceError
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.linreg_resume import resume_linreg
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.checkpoint import load_checkpoint


def _config(run: Path) -> dict[str, Any]:
    return json.loads((run / "config.json").read_text(encoding="utf-8"))


def _blobs(path: Path) -> Path:
    """512 examples of 3 blobs of 5 features (batches of 64: 8 steps an epoch)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=512)
    centers = rng.standard_normal((3, 5)) * 2
    np.savez(path, X=(centers[y] + rng.standard_normal((512, 5))).astype(np.float32), y=y)
    return path


def test_a_forced_lr_that_diverged_before_its_first_checkpoint_is_not_kept(tmp_path: Path) -> None:
    """--resume --epochs 2 --lr 1e6 --force blew up in epoch 2, before its checkpoint: config.json
    kept lr 1e6, recorded as forced, and a plain --resume diverged again. The earlier lr and
    resumes come back, the --epochs asked for stays. The oracle: the plain resume then ends
    bit-identical to a run of 2 epochs at lr 0.1 never stopped."""
    data = _blobs(tmp_path / "d.npz")
    base = SoftmaxConfig(data=data, batch_size=64, plot="none", device="cpu")
    run = tmp_path / "run"
    run_softmax(replace(base, epochs=1, out=run))
    before = _config(run)
    with pytest.raises(DivergenceError, match=r"^training diverged at batch \d+ of epoch 2: "):
        resume_softmax(run, epochs=2, lr=1e6, force=True)
    after = _config(run)
    assert after["config"] == {**before["config"], "epochs": 2}
    assert after["resumes"] == before["resumes"] == []
    assert load_checkpoint(run / "checkpoint.pt").epoch == 1
    resumed = resume_softmax(run)  # as a plain --resume: lr 0.1 again
    assert resumed.config.lr == 0.1 and resumed.config.epochs == 2
    whole_dir = tmp_path / "whole"
    whole = run_softmax(replace(base, epochs=2, out=whole_dir))
    assert resumed.history.train_loss == whole.history.train_loss
    weights = [
        torch.load(r / "model.pt", weights_only=True)["state_dict"] for r in (run, whole_dir)
    ]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[1])


class _StopAt:
    """A callback that stops the run as the guard does, as epoch ``epoch`` starts."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        if epoch == self.epoch:
            raise DivergenceError(f"training diverged at batch 1 of epoch {epoch}: a test's stop")


def test_a_forced_lr_stays_once_an_epoch_trained_with_it(tmp_path: Path) -> None:
    """A forced lr that trained epoch 2 (checkpointed), stopped in epoch 3, stays recorded: the
    checkpoint kept was trained with it."""
    run = tmp_path / "run"
    data = _blobs(tmp_path / "d.npz")
    run_softmax(SoftmaxConfig(data=data, batch_size=64, plot="none", epochs=1, out=run))
    with pytest.raises(DivergenceError, match=r"^training diverged at batch 1 of epoch 3: "):
        resume_softmax(run, epochs=3, lr=0.5, force=True, callbacks=[_StopAt(3)])
    assert load_checkpoint(run / "checkpoint.pt").epoch == 2
    saved = _config(run)
    assert (saved["config"]["lr"], saved["config"]["epochs"]) == (0.5, 3)
    assert [r["forced"] for r in saved["resumes"]] == [{"lr": ["0.1", "0.5"]}]


def test_linreg_puts_a_forced_lr_that_diverged_before_its_first_checkpoint_back(
    tmp_path: Path,
) -> None:
    """linreg --resume --epochs 2 --lr 1e10 --force, blown up in epoch 2: config.json kept lr
    1e10. The run's lr comes back; the plain resume then trains epoch 2 at it, as a run of 2
    epochs never stopped does."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, 2.0, 3.0]) + 0.1 * rng.normal(size=64)).astype(np.float32)
    np.savez(tmp_path / "r.npz", X=X, y=y)
    run = tmp_path / "run"
    config = LinregConfig(data=tmp_path / "r.npz", batch_size=8, epochs=1)
    run_linreg(replace(config, out=run))
    before = _config(run)
    with pytest.raises(DivergenceError, match=r"^training diverged at batch \d+ of epoch 2: "):
        resume_linreg(run, epochs=2, lr=1e10, force=True)
    after = _config(run)
    assert after["config"] == {**before["config"], "epochs": 2}
    assert after["resumes"] == before["resumes"] == []
    resumed = resume_linreg(run)
    whole = run_linreg(replace(config, epochs=2))
    assert resumed.config.lr == 0.03
    assert resumed.history.train_loss == whole.history.train_loss


def test_the_advice_of_a_divergence_that_put_forced_values_back_carries_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--resume --epochs 3 --lr 1e30 --batch-size 32 --force blew up in epoch 2: config.json's lr
    and batch size were put back, but the stop advised "--resume DIR --no-guard trains on
    regardless", which then trained silently at the old lr 0.1, and a smaller lr without the
    forced batch size. Its resumes carry the forced values put back; followed, the one without
    the guard trains as a resume forced so with --no-guard from the start does (the oracle: a
    copy of the run resumed so)."""
    from linearnets.cli import main

    data = _blobs(tmp_path / "d.npz")
    run, copy = tmp_path / "run", tmp_path / "copy"
    run_softmax(SoftmaxConfig(data=data, batch_size=64, plot="none", epochs=1, out=run))
    shutil.copytree(run, copy)
    forced = {"epochs": 3, "lr": 1e30, "batch_size": 32, "force": True}
    with pytest.raises(DivergenceError) as stop:
        resume_softmax(run, **forced)
    assert str(stop.value).endswith(
        f"(continue it with a smaller lr: linearnets.resume_softmax('{run}', lr=0.5, "
        "batch_size=32, force=True)); a loss that grew may still settle, far above a smaller "
        f"lr's: linearnets.resume_softmax('{run}', lr=1e+30, batch_size=32, force=True, "
        "guard=False) trains on regardless"
    ), str(stop.value)
    assert (_config(run)["config"]["lr"], _config(run)["config"]["batch_size"]) == (0.1, 64)
    capsys.readouterr()
    argv = ["--epochs", "3", "--lr", "1e30", "--batch-size", "32", "--force"]
    assert main(["softmax", "--resume", str(run), *argv]) == 1
    err = capsys.readouterr().err
    assert f"--resume {run} --lr 0.5 --batch-size 32 --force);" in err, err
    advised = f"linearnets softmax --resume {run} --lr 1e+30 --batch-size 32 --force --no-guard"
    assert err.rstrip().endswith(f"{advised} trains on regardless"), err
    assert main(advised.split()[1:]) == 0  # as it says
    saved = _config(run)["config"]
    assert (saved["lr"], saved["batch_size"], saved["epochs"]) == (1e30, 32, 3)
    whole = resume_softmax(copy, **forced, guard=False)
    results = json.loads((run / "results.json").read_text())
    assert results["train_loss"] == whole.history.train_loss[-1]
    weights = [torch.load(r / "model.pt", weights_only=True)["state_dict"] for r in (run, copy)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[1])


def test_linreg_s_smaller_lr_advice_keeps_the_forced_values_put_back(tmp_path: Path) -> None:
    """linreg --resume --epochs 2 --lr 1e10 --batch-size 10 --force, blown up in epoch 2: the lr
    and batch size were put back, and the advice "--resume DIR --lr 1 --force" dropped the
    batch size asked for. It keeps it; followed, the run trains epoch 2 at lr 1, batches of 10."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, 2.0, 3.0]) + 0.1 * rng.normal(size=64)).astype(np.float32)
    np.savez(tmp_path / "r.npz", X=X, y=y)
    run = tmp_path / "run"
    run_linreg(LinregConfig(data=tmp_path / "r.npz", batch_size=8, epochs=1, out=run))
    with pytest.raises(DivergenceError) as stop:
        resume_linreg(run, epochs=2, lr=1e10, batch_size=10, force=True)
    advised = f"linearnets.resume_linreg('{run}', lr=0.5, batch_size=10, force=True)"
    assert str(stop.value).endswith(f"(continue it with a smaller lr: {advised})"), stop.value
    assert (_config(run)["config"]["lr"], _config(run)["config"]["batch_size"]) == (0.03, 8)
    resumed = resume_linreg(run, lr=0.5, batch_size=10, force=True)  # as it says
    assert (resumed.config.lr, resumed.config.batch_size, resumed.config.epochs) == (0.5, 10, 2)


@pytest.mark.parametrize(
    "launch", ["", ", launched by torchrun as before", " in 2 processes, started as before"]
)
def test_the_same_resume_again_keeps_how_the_processes_are_started(
    tmp_path: Path, launch: str
) -> None:
    """A data-parallel stop's advice ends with how its processes start again: the plain call so
    followed was left plain (a start over's metrics unwritten under torchrun), not the resume
    with its settings and force. Something else after the call still leaves it as it is."""
    from linearnets.errors import RunFileError
    from linearnets.tasks.resume_diverged import asked_again_when_unrecorded

    plain = f"linearnets.resume_softmax({str(tmp_path)!r})"
    again = f"linearnets.resume_softmax({str(tmp_path)!r}, epochs=2, lr=0.3, force=True)"
    for said, advised in [
        (f"x; start it over with {plain}{launch}", f"x; start it over with {again}{launch}"),
        (f"x; start it over with {plain}, or not", f"x; start it over with {plain}, or not"),
    ]:
        with (
            pytest.raises(RunFileError) as caught,
            asked_again_when_unrecorded("softmax", tmp_path, {"epochs": 2, "lr": 0.3}, force=True),
        ):
            raise RunFileError(said)
        assert str(caught.value) == advised
