"""Blow-ups the guard's step checks once let through: an outlier feature's (a classifier's loss
measured from the level its own huge loss left) and an epoch's last update (seen by no step's
loss), caught now at the next step or by the losses measured after the epoch."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.errors import DivergenceError
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.checkpoint import load_checkpoint


def _outlier(path: Path, value: float) -> Path:
    """5 overlapping blobs of 20 features (3000 training, 500 test examples), one feature of
    example 700 set to ``value``."""
    rng = np.random.default_rng(1)
    centers = 0.7 * rng.normal(size=(5, 20))

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 5, n)
        return (centers[y] + rng.normal(size=(n, 20))).astype(np.float32), y

    (X, y), (X_test, y_test) = make(3000), make(500)
    X[700, 1] = value
    np.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)
    return path


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_an_outlier_features_blow_up_stops_at_the_step_after_its_update(
    tmp_path: Path, impl: str, first_epoch_losses: Any
) -> None:
    """One feature of -1e10: its example's loss (5.5e6) stood out 10⁴× past the typical step, the
    next step stood lower, and the guard measured growth from the level that step left (the
    rule for a regression's rare large targets), so the run ended 3 epochs at ~4e6, worse than
    chance, exit 0. A cross-entropy has no large targets: the oracle, the run without the guard,
    has its outlier's step stand out and most examples of the step after it 100× past the
    start; the guard stops at that step, naming the features' scale, and keeps no checkpoint."""
    data = _outlier(tmp_path / "d.npz", -1e10)
    config = SoftmaxConfig(data=data, impl=impl, epochs=3, plot="none", device="cpu")
    free = run_softmax(
        replace(config, guard=False, out=tmp_path / "free"), callbacks=[first_epoch_losses]
    )
    losses = [l.double().numpy() for l in first_epoch_losses.losses]
    means = [float(l.mean()) for l in losses]
    start = means[0]  # 256 examples: the first step holds the guard's window
    k = next(i for i, m in enumerate(means) if m > 1e4 * start)  # the outlier's step
    assert np.quantile(losses[k], 0.9) < 100 * start  # its typical example had not grown
    assert np.quantile(losses[k + 1], 0.9) > 100 * start  # the next step's had
    assert free.history.train_loss[-1] > 1e5 * start  # unguarded, it ends blown up
    out = tmp_path / "run"
    with pytest.raises(DivergenceError) as info:
        run_softmax(replace(config, out=out))
    assert str(info.value).startswith(
        f"training diverged at batch {k + 2} of epoch 1: the batch loss is {means[k + 1]:.4g}, more "
        f"than 100× its starting value {start:.4g}, at lr 0.1; try a smaller learning rate (lr), "
        f"e.g. 0.01 (a tenth); or scale the features, which reach 1e+10 in {data}"
    )
    assert "no epoch had finished, so no checkpoint was written" in str(info.value)
    assert not (out / "checkpoint.pt").exists()


def test_an_outlier_of_1e30_is_stopped_at_the_advised_lr_too_keeping_no_blown_up_checkpoint(
    tmp_path: Path,
) -> None:
    """A feature of -1e30 (on an example the untrained model gets wrong: right, its loss and
    gradient are 0): the stop at lr 0.1 advised lr 0.01, at which the run finished 3 epochs,
    epoch 1's blown-up weights saved as the checkpoint to continue. It stops in epoch 1 at lr 0.01
    too, no checkpoint written, naming the features' scale."""
    data = _outlier(tmp_path / "d.npz", -1e30)
    out = tmp_path / "run"
    config = SoftmaxConfig(data=data, epochs=3, plot="none", device="cpu", out=out)
    with pytest.raises(DivergenceError, match=r"^training diverged at batch \d+ of epoch 1: "):
        run_softmax(config)
    with pytest.raises(DivergenceError) as info:
        resume_softmax(out, lr=0.01, epochs=3)
    assert re.match(r"training diverged at batch \d+ of epoch 1: ", str(info.value))
    assert "scale the features, which reach 1e+30" in str(info.value)
    assert not (out / "checkpoint.pt").exists()


def _tiny(path: Path) -> Path:
    """64 training and 50 test examples of 3 blobs of 4 features: one batch at batch 256."""
    rng = np.random.default_rng(0)
    centers = 1.5 * rng.normal(size=(3, 4))

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 3, n)
        return (centers[y] + rng.normal(size=(n, 4))).astype(np.float32), y

    (X, y), (X_test, y_test) = make(64), make(50)
    np.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)
    return path


def test_a_blow_up_in_an_epochs_only_update_is_stopped_by_its_last_batch(tmp_path: Path) -> None:
    """One batch holds the training set: its only step's loss is the untrained model's, and the
    update after it is seen by no step's loss. At lr 1e30 the run ended exit 0, its test loss
    1e29 and weights of ~1e29 saved. The oracle: the run without the guard, whose training loss
    after the update (the last epoch's loss over the training set, re-evaluated from its saved
    model below: the one batch) passes 100× the first step's. It stops at the epoch's end,
    before its checkpoint, model and results are written."""
    config = SoftmaxConfig(data=_tiny(tmp_path / "d.npz"), lr=1e30, epochs=1, plot="none")
    free = run_softmax(replace(config, guard=False, out=tmp_path / "free", epochs=2))
    start, after = free.history.train_loss[0], free.history.train_loss[1]
    assert after > 1e20 * start  # epoch 2's only step: the weights epoch 1's update left
    out = tmp_path / "run"
    with pytest.raises(DivergenceError) as info:
        run_softmax(replace(config, out=out))
    assert str(info.value).startswith(
        "training diverged in epoch 1: the loss of its last examples after the epoch's last update is "
        f"{after:.4g}, more "
        f"than 100× its starting value {start:.4g}, at lr 1e+30; try a far smaller learning rate "
        "(lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, 1e+29, would most likely blow "
        "up too); no epoch had finished, so no checkpoint was written"
    )
    for name in ("checkpoint.pt", "model.pt", "results.json"):
        assert not (out / name).exists()


def test_a_blow_up_in_a_resumed_epochs_only_update_keeps_the_checkpoint_before_it(
    tmp_path: Path,
) -> None:
    """The same blow-up in epoch 2, a resume forced to lr 1e30: epoch 1's checkpoint is kept byte
    for byte and named, with a smaller lr to continue it at."""
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=_tiny(tmp_path / "d.npz"), epochs=1, plot="none", out=out))
    before = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(DivergenceError) as info:
        resume_softmax(out, epochs=2, lr=1e30, force=True)
    message = str(info.value)
    assert message.startswith("training diverged in epoch 2: the loss of its last examples after ")
    assert f"the checkpoint of epoch 1 is kept in {out} (continue it with a smaller lr: " in message
    assert (out / "checkpoint.pt").read_bytes() == before
    assert load_checkpoint(out / "checkpoint.pt").epoch == 1
    assert not (out / "results.json").exists()


def test_a_linear_regression_blow_up_in_an_epochs_only_update_is_stopped(tmp_path: Path) -> None:
    """linreg on a 64-example file at batch 64: its loss after the epoch (measured after the
    update) was 7e20 at lr 1e10 while its only step, before the update, had not grown, so the
    epoch ended unstopped. The oracle: the unguarded run's loss after the epoch, past 100× the
    loss of predicting the targets' mean (the floor, above the start here)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, 2.0, 3.0]) + 0.1 * rng.normal(size=64)).astype(np.float32)
    np.savez(tmp_path / "r.npz", X=X, y=y)
    config = LinregConfig(data=tmp_path / "r.npz", lr=1e10, batch_size=64, epochs=1)
    free = run_linreg(replace(config, guard=False))
    after = free.history.train_loss[0]
    floor = 0.5 * float(np.var(y.astype(np.float64)))
    assert after > 1e15 * floor
    with pytest.raises(DivergenceError) as info:
        run_linreg(config)
    assert str(info.value).startswith(
        f"training diverged in epoch 1: the training loss after the epoch is {after:.4g}, more "
        "than 100× "
    )
