"""A resume's divergence guard and the lowest training loss after an epoch it keeps ("best"):
dropped where a forced resume changes the data, taken from the checkpoint's history where a
checkpoint from before it holds none (training/guard_growth.py's resumed_state)."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_a_forced_resume_onto_noisier_data_trains_on_at_the_noises_level(tmp_path: Path) -> None:
    """Without noise epoch 3 ended at 2.1e-07; with noise 10 the loss sits at its level, 48.9,
    for good: 100× the old data's lowest, a stop whatever the lr, before the guard dropped it."""
    out = tmp_path / "n0"
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=out))
    result = resume_linreg(out, noise_std=10.0, epochs=6, force=True)
    losses = [e.train_loss for e in result.history.epochs]
    assert len(losses) == 6
    assert losses[2] < 1e-5
    assert all(40 < loss < 60 for loss in losses[3:])
    assert load_checkpoint(out / "checkpoint.pt").extra["guard"]["best"][1] == 4


def test_a_forced_resume_of_the_lr_alone_keeps_the_lowest(tmp_path: Path) -> None:
    """The same data: epoch 3 at lr 1.79 (0.00116) is above epoch 2's 0.000548, still the lowest."""
    out = tmp_path / "lr"
    run_linreg(LinregConfig(lr=1.8, epochs=2, out=out))
    resume_linreg(out, lr=1.79, epochs=3, force=True)
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt.history[-1]["train_loss"] > 0.001
    epoch_2 = ckpt.history[1]  # the lowest of the three, by the run's own history
    assert epoch_2["epoch"] == 2
    assert epoch_2["train_loss"] == min(e["train_loss"] for e in ckpt.history)
    assert ckpt.extra["guard"]["best"] == [epoch_2["train_loss"], 2]


def _old_checkpoint(out: Path) -> None:
    """Remove ``"best"`` from the guard state of ``out``'s checkpoint, as one written before it."""
    path = out / "checkpoint.pt"
    payload = torch.load(path, map_location="cpu", weights_only=True)
    del payload["extra"]["guard"]["best"]
    torch.save(payload, path)


def test_a_checkpoint_from_before_the_lowest_takes_it_from_its_history(tmp_path: Path) -> None:
    """linreg at lr 1.8 ended epochs at 2.28, 0.000548 and 0.0016; resumed from a checkpoint
    without "best", epoch 4 (357513) went unstopped and overwrote epoch 3's checkpoint."""
    out = tmp_path / "old"
    run_linreg(LinregConfig(lr=1.8, epochs=3, out=out))
    _old_checkpoint(out)
    with pytest.raises(DivergenceError) as info:
        resume_linreg(out, epochs=6)
    assert str(info.value).startswith(
        "training diverged in epoch 4: the training loss after the epoch is 3.575e+05, more than "
        "100× its lowest after an earlier epoch (0.0005477, after epoch 2) and more than the "
        "mean loss over its first 70 examples (1.296e+04, already grown"
    )
    assert load_checkpoint(out / "checkpoint.pt").epoch == 3


def test_a_checkpoint_from_before_the_lowest_resumed_onto_new_data_takes_none(
    tmp_path: Path,
) -> None:
    out = tmp_path / "old_n0"
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=out))
    _old_checkpoint(out)
    result = resume_linreg(out, noise_std=10.0, epochs=4, force=True)
    assert 40 < result.history.epochs[-1].train_loss < 60


def test_a_run_trained_unguarded_resumed_guarded_checks_its_first_epoch_against_the_lowest(
    tmp_path: Path,
) -> None:
    """lr 1.76 without the guard: epochs end at 0.000117 (epoch 1) and on. Resumed guarded, its
    seeded guard took no lowest from the history: epoch 4 (466) went unstopped and its checkpoint
    was written, then epoch 5 stopped at batch 31 keeping that blown-up one (softmax checked it)."""
    out = tmp_path / "unguarded"
    run_linreg(LinregConfig(lr=1.76, epochs=3, out=out, guard=False))
    with pytest.raises(DivergenceError) as info:
        resume_linreg(out, epochs=5, guard=True, force=True)
    assert str(info.value).startswith(
        "training diverged in epoch 4: the training loss after the epoch is 465.6, more than "
        "100× its lowest after an earlier epoch (0.0001172, after epoch 1) and more than its "
        "starting value 24.96"
    )
    assert "the checkpoint of epoch 3 is kept" in str(info.value)
    assert load_checkpoint(out / "checkpoint.pt").epoch == 3


def test_an_old_checkpoint_after_a_forced_data_change_takes_its_lowest_from_the_new_data(
    tmp_path: Path,
) -> None:
    """Noise 0 for 3 epochs (2.1e-07), forced onto noise 10 (48.9): a checkpoint without "best"
    took the lowest of its whole history, the old data's, and epoch 6 (49.07) was stopped as
    "more than 100× its lowest (2.125e-07, after epoch 3)". config.json's resumes record the
    change from epoch 3: the lowest is that of epochs 4 and 5."""
    out = tmp_path / "old_changed"
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=out))
    resume_linreg(out, noise_std=10.0, epochs=5, force=True)
    _old_checkpoint(out)
    result = resume_linreg(out, epochs=7)
    assert len(result.history.epochs) == 7
    assert all(40 < e.train_loss < 60 for e in result.history.epochs[3:])
    assert load_checkpoint(out / "checkpoint.pt").extra["guard"]["best"][1] == 4


def _npz(path: Path, y: np.ndarray | None) -> Path:
    """256 examples of 3 features: each its class's one-hot × 10 plus unit noise, labels ``y``."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=256)
    X = (np.eye(3)[labels] * 10 + rng.normal(size=(256, 3))).astype(np.float32)
    np.savez(path, X=X, y=labels if y is None else y)
    return path


def test_a_forced_resume_of_softmax_onto_another_data_file_trains_on(tmp_path: Path) -> None:
    """A separable file trained at lr 3 to a loss of 0; random labels on the same features sit
    far above it for good (67.9, then 5.2), and stopped the resume as blown up before the guard
    dropped its lowest."""
    out = tmp_path / "sm"
    data = _npz(tmp_path / "sep.npz", None)
    run_softmax(SoftmaxConfig(data=data, epochs=3, lr=3, plot="none", out=out))
    assert load_checkpoint(out / "checkpoint.pt").history[-1]["train_loss"] < 1e-6
    labels = np.random.default_rng(1).integers(0, 3, size=256)
    noise = _npz(tmp_path / "noise.npz", labels)
    result = resume_softmax(out, data=noise, epochs=5, force=True)
    assert [e.epoch for e in result.history.epochs] == [1, 2, 3, 4, 5]
    assert result.history.epochs[-1].train_loss > 0.5


def test_an_old_softmax_checkpoint_after_a_forced_data_change_takes_its_lowest_from_it(
    tmp_path: Path,
) -> None:
    """As linreg's: the lowest of the separable file's epochs (under 1e-6) stopped the random
    labels' epoch 6 as blown up; the resume from epoch 3 forced the new file, so epochs 4 and 5's."""
    out = tmp_path / "sm_old"
    data = _npz(tmp_path / "sep.npz", None)
    run_softmax(SoftmaxConfig(data=data, epochs=3, lr=3, plot="none", out=out))
    noise = _npz(tmp_path / "noise.npz", np.random.default_rng(1).integers(0, 3, size=256))
    resume_softmax(out, data=noise, epochs=5, force=True)
    _old_checkpoint(out)
    result = resume_softmax(out, epochs=6)
    assert [e.epoch for e in result.history.epochs] == [1, 2, 3, 4, 5, 6]
    assert load_checkpoint(out / "checkpoint.pt").extra["guard"]["best"][1] >= 4


def _resumes_lost(out: Path, *, how: str) -> None:
    """Lose ``config.json``'s record of earlier resumes: its ``"resumes"`` emptied, or the file
    deleted (the resume rebuilds it from the checkpoint, without that record)."""
    path = out / "config.json"
    if how == "deleted":
        path.unlink()
        return
    saved = json.loads(path.read_text())
    assert saved["resumes"]
    path.write_text(json.dumps({**saved, "resumes": []}))


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_an_old_checkpoint_after_a_data_change_whose_record_is_lost_takes_the_new_datas_lowest(
    tmp_path: Path, how: str
) -> None:
    """As above, config.json's resumes lost: the lowest was taken from every epoch, the old
    data's 2.1e-07, and epoch 6 (49.07) stopped as blown up. The checkpoint records the epoch its
    data were used from (3): the lowest is that of epochs 4 and 5."""
    out = tmp_path / "lost"
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=out))
    resume_linreg(out, noise_std=10.0, epochs=5, force=True)
    assert load_checkpoint(out / "checkpoint.pt").extra["data_since"] == 3
    _old_checkpoint(out)
    _resumes_lost(out, how=how)
    result = resume_linreg(out, epochs=7)
    assert len(result.history.epochs) == 7
    assert all(40 < e.train_loss < 60 for e in result.history.epochs[3:])
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt.extra["guard"]["best"][1] >= 4
    assert ckpt.extra["data_since"] == 3  # carried through the plain resume


def test_a_softmax_checkpoint_after_a_data_change_whose_record_is_lost_takes_the_new_files_lowest(
    tmp_path: Path,
) -> None:
    """As linreg's: config.json's resumes emptied, the separable file's lowest (under 1e-6) stopped
    the random labels' epoch 6 as blown up; the checkpoint records the new file's use from epoch 3."""
    out = tmp_path / "sm_lost"
    data = _npz(tmp_path / "sep.npz", None)
    run_softmax(SoftmaxConfig(data=data, epochs=3, lr=3, plot="none", out=out))
    assert load_checkpoint(out / "checkpoint.pt").extra["data_since"] == 0
    noise = _npz(tmp_path / "noise.npz", np.random.default_rng(1).integers(0, 3, size=256))
    resume_softmax(out, data=noise, epochs=5, force=True)
    assert load_checkpoint(out / "checkpoint.pt").extra["data_since"] == 3
    _old_checkpoint(out)
    _resumes_lost(out, how="emptied")
    result = resume_softmax(out, epochs=6)
    assert [e.epoch for e in result.history.epochs] == [1, 2, 3, 4, 5, 6]
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt.extra["guard"]["best"][1] >= 4
    assert ckpt.extra["data_since"] == 3


def test_a_checkpoint_without_its_data_since_takes_it_from_config_json(tmp_path: Path) -> None:
    """A checkpoint from before "data_since" (and "best"): config.json's resumes stand in."""
    out = tmp_path / "older"
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=out))
    resume_linreg(out, noise_std=10.0, epochs=5, force=True)
    _old_checkpoint(out)
    path = out / "checkpoint.pt"
    payload = torch.load(path, map_location="cpu", weights_only=True)
    del payload["extra"]["data_since"]
    torch.save(payload, path)
    result = resume_linreg(out, epochs=7)
    assert len(result.history.epochs) == 7
    ckpt = load_checkpoint(path)
    assert ckpt.extra["guard"]["best"][1] >= 4
    assert ckpt.extra["data_since"] == 3


def test_a_forced_resume_onto_noisier_data_takes_its_start_from_the_new_data(
    tmp_path: Path,
) -> None:
    """At batch 1 and lr 0.3 the noise-free run's start, over its first 70 examples, fell to
    0.8373 as it learned; forced onto noise 10, whose losses sit at 50-400 at that lr, the resume
    was stopped at "94.71, more than 100× its starting value 0.8373", where the same settings from
    the start (the oracle) train to the end. Its start is now the new data's, as a run trained
    unguarded and resumed guarded takes it: the untrained model's loss on their first batches."""
    settings = {"batch_size": 1, "lr": 0.3}
    fresh = run_linreg(LinregConfig(noise_std=10.0, epochs=6, **settings))
    assert len(fresh.history.epochs) == 6  # the oracle: no blow-up on these data at this lr
    out = tmp_path / "n0"
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=out, **settings))
    old_start = load_checkpoint(out / "checkpoint.pt").extra["guard"]["start_loss"]
    assert old_start < 1.0
    result = resume_linreg(out, noise_std=10.0, epochs=6, force=True)
    assert len(result.history.epochs) == 6
    unguarded = tmp_path / "unguarded"  # the same start, seeded where no guard state is kept
    run_linreg(LinregConfig(noise_std=0.0, epochs=3, out=unguarded, guard=False, **settings))
    resume_linreg(unguarded, noise_std=10.0, epochs=4, force=True, guard=True)
    start = load_checkpoint(out / "checkpoint.pt").extra["guard"]["start_loss"]
    assert start == load_checkpoint(unguarded / "checkpoint.pt").extra["guard"]["start_loss"]
    assert start > 10 * old_start  # 64.28 against 0.8373


def test_a_forced_resume_of_softmax_onto_other_data_takes_the_higher_start(
    tmp_path: Path,
) -> None:
    """The same for softmax: a forced new --data file's start is the higher of the saved one and
    the untrained model's on the new file, which a run trained unguarded and resumed guarded
    takes alone (the oracle)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    np.savez(tmp_path / "small.npz", X=X, y=y)
    np.savez(tmp_path / "large.npz", X=X * 3, y=1 - y)  # other losses at the start
    runs, saved = {}, {}
    for guarded in (True, False):
        out = runs[guarded] = tmp_path / f"guarded-{guarded}"
        run_softmax(SoftmaxConfig(data=tmp_path / "small.npz", epochs=1, plot="none", out=out,
                                  guard=guarded))  # fmt: skip
        saved[guarded] = (load_checkpoint(out / "checkpoint.pt").extra.get("guard") or {}).get(
            "start_loss"
        )
        resume_softmax(out, data=tmp_path / "large.npz", epochs=2, force=True, guard=True)
    starts = {g: load_checkpoint(runs[g] / "checkpoint.pt").extra["guard"]["start_loss"] for g in runs}  # fmt: skip
    assert saved[False] is None and starts[True] == max(saved[True], starts[False])


def test_a_forced_resume_onto_smaller_targets_keeps_the_saved_start(tmp_path: Path) -> None:
    """The same features, the targets in other units (y / 100): the untrained model's loss on
    them (0.001437) was taken as the start, and the trained weights' first batch on them, 15.23,
    was stopped as blown up whatever the lr, told to delete the checkpoint; unguarded (the oracle)
    the resume converges. The saved start, the higher, stays."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2)).astype(np.float32)
    y = X @ np.array([2.0, -3.4], np.float32) + 4.2 + rng.normal(0, 0.01, 1000).astype(np.float32)
    np.savez(tmp_path / "a.npz", X=X, y=y)
    np.savez(tmp_path / "u.npz", X=X, y=y / 100)
    for guard in (False, True):
        out = tmp_path / f"guard-{guard}"
        run_linreg(LinregConfig(data=tmp_path / "a.npz", epochs=2, out=out, guard=guard))
        result = resume_linreg(out, data=tmp_path / "u.npz", epochs=5, force=True, guard=guard)
        assert len(result.history.epochs) == 5
        assert result.history.epochs[-1].train_loss < 1e-4


def test_an_unguarded_run_resumed_guarded_onto_smaller_targets_trains_on(tmp_path: Path) -> None:
    """Trained with guard=False on y, resumed guarded onto y / 100: with no saved start, the
    untrained model's loss on the new targets (0.001437) was the start alone, and the resumed
    weights' first batch, 15.23, was stopped at once. The resumed weights' loss on the new data
    is a start too, the higher kept: the run trains on to the very weights an unguarded resume
    reaches (the oracle; measuring it draws no batch the run would have drawn)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2)).astype(np.float32)
    y = X @ np.array([2.0, -3.4], np.float32) + 4.2 + rng.normal(0, 0.01, 1000).astype(np.float32)
    np.savez(tmp_path / "a.npz", X=X, y=y)
    np.savez(tmp_path / "u.npz", X=X, y=y / 100)
    weights = {}
    for guard in (False, True):
        out = tmp_path / f"resumed-guard-{guard}"
        run_linreg(LinregConfig(data=tmp_path / "a.npz", epochs=2, out=out, guard=False))
        result = resume_linreg(out, data=tmp_path / "u.npz", epochs=5, force=True, guard=guard)
        assert len(result.history.epochs) == 5
        weights[guard] = load_checkpoint(out / "checkpoint.pt").model_state
    assert all(torch.equal(weights[True][k], weights[False][k]) for k in ("w", "b"))
    start = load_checkpoint(tmp_path / "resumed-guard-True" / "checkpoint.pt").extra["guard"]
    assert start["start_loss"] > 1.0  # the resumed weights' loss, not the untrained 0.001437


def test_an_unguarded_run_blowing_up_resumed_guarded_onto_other_data_still_stops(
    tmp_path: Path,
) -> None:
    """The resumed weights' loss is a start only where the run's epochs fell to their end: a run
    blowing up unguarded (lr 2.5, one step an epoch: 42.8, 111, 294, 791) took its blown-up loss
    as the start on the new data and trained on to 44619, where the untrained model's loss on
    them (17.02) stops it in its first resumed epoch, as before the resumed start was weighed."""
    out = tmp_path / "blowing-up"
    settings = {"lr": 2.5, "batch_size": 1000}
    result = run_linreg(LinregConfig(epochs=4, out=out, guard=False, **settings))
    losses = [e.train_loss for e in result.history.epochs]
    assert losses == sorted(losses) and losses[-1] > 10 * losses[0]  # rising: 42.8 to 791
    with pytest.raises(DivergenceError) as info:
        resume_linreg(out, noise_std=0.02, epochs=8, force=True, guard=True)
    assert "diverged in epoch 5" in str(info.value)
    assert "more than 100× its starting value 17.02" in str(info.value)
