"""A softmax run whose loss blows up: stopped by the guard (keeping its checkpoint), or not, as asked."""

from __future__ import annotations

import os
import re
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import DataWarning, DivergenceError
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.checkpoint import load_checkpoint
from linearnets.training.interrupt import TrainingInterrupted


def _noise(path: Path) -> Path:
    """Random labels on wide features: lr 1e4 finishes epoch 1, then the loss blows up."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 4)).astype(np.float32) * 10
    np.savez(path, X=X, y=rng.integers(0, 3, size=256))
    return path


def test_a_run_that_diverges_after_its_first_epoch_names_that_epochs_checkpoint(
    tmp_path: Path,
) -> None:
    """One batch an epoch: epoch 1's update at lr 1e4 blew up, seen by no step's loss, and its
    weights became the checkpoint (the stop came at epoch 2's first step, before any update). The
    epoch's last batch, re-scored after that update, now stops epoch 1 before its checkpoint; at
    lr 10 epoch 1 is fine and epoch 2 stops, keeping epoch 1's checkpoint to continue."""
    out = tmp_path / "run"
    data = _noise(tmp_path / "d.npz")
    with pytest.raises(DivergenceError) as info:
        run_softmax(SoftmaxConfig(data=data, epochs=2, lr=1e4, plot="none", out=out))
    assert str(info.value).startswith(
        "training diverged in epoch 1: the loss of its last examples after the epoch's last update is "
    )
    assert "no epoch had finished, so no checkpoint was written" in str(info.value)
    assert not (out / "checkpoint.pt").exists()
    out = tmp_path / "run10"
    config = SoftmaxConfig(data=data, epochs=3, lr=10, plot="none", out=out)
    with pytest.raises(DivergenceError) as info:
        run_softmax(config)
    message = str(info.value)
    assert message.startswith("training diverged in epoch 2: the loss of its last examples ")
    assert f"the checkpoint of epoch 1 is kept in {out} (continue it with a smaller lr: " in message
    assert info.value.resumable is True
    assert load_checkpoint(out / "checkpoint.pt").epoch == 1


def _huge(path: Path) -> Path:
    """60 examples (one batch) of 4 features of ~1e6: lr 0.1 blows up in epoch 1's update."""
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.normal(size=(60, 4)) * 1e6, y=rng.integers(0, 3, 60))
    return path


def test_a_blow_up_in_an_epoch_of_one_batch_keeps_no_checkpoint_to_resume_from(
    tmp_path: Path,
) -> None:
    """Data of one batch: epoch 1's update blew up and became the checkpoint, the stop at epoch 2's
    first step (that checkpoint's loss) advised resuming it at a tenth of the lr, and each retry
    stopped at the same loss with the same advice a tenth lower, for ever. The epoch's last
    batch, re-scored after its update, now stops epoch 1 with no checkpoint written; the advised
    start over at a tenth of the lr stops at a tenth of the loss (the oracle: one update of the
    untrained model grows the loss in proportion to the lr, as lr · ‖∇‖² dominates)."""
    data, out = _huge(tmp_path / "big.npz"), tmp_path / "run"
    with pytest.raises(DivergenceError) as fresh:
        run_softmax(SoftmaxConfig(data=data, epochs=3, plot="none", out=out))
    said = str(fresh.value)
    loss = re.search(r"last update is (\S+), more than", said)
    assert loss is not None and fresh.value.resumable is True
    assert said.startswith("training diverged in epoch 1: the loss of its last examples after ")
    assert "no epoch had finished, so no checkpoint was written" in said
    assert not (out / "checkpoint.pt").exists()
    with pytest.raises(DivergenceError) as again:
        resume_softmax(out, lr=0.01, force=True)
    grown = re.search(r"last update is (\S+), more than", str(again.value))
    assert grown is not None and float(grown[1]) == pytest.approx(float(loss[1]) / 10, rel=0.01)


def _pixels(path: Path, dtype: type) -> Path:
    """3 classes of 50 "pixels" in 0..255, stored as ``dtype``: float pixels are trained as they
    are, uint8 ones scaled to [0, 1]."""
    rng = np.random.default_rng(0)
    centers = rng.integers(0, 256, size=(3, 50))
    y = rng.integers(0, 3, size=300)
    X = np.clip(centers[y] + rng.normal(0, 40, size=(300, 50)), 0, 255).round()
    np.savez(path, X=X[:200].astype(dtype), y=y[:200], X_test=X[200:].astype(dtype), y_test=y[200:])
    return path


def test_features_far_past_unit_size_are_named_as_the_cause_with_their_scaling(
    tmp_path: Path,
) -> None:
    """Pixels of 0-255 stored as float diverge at the book's lr, and at a tenth of it too: the
    stop also names the features' size and the scaling (it advised a smaller lr alone)."""
    data = _pixels(tmp_path / "pixels.npz", np.float32)
    for lr in (0.1, 0.01):
        with pytest.raises(DivergenceError) as info:
            run_softmax(
                SoftmaxConfig(data=data, epochs=2, lr=lr, plot="none", out=tmp_path / f"{lr}")
            )
        assert (
            f"(a tenth); or scale the features, which reach 255 in {data}, where the book's lr "
            "suits values of about 1: e.g. X / 255 for 8-bit pixels (X stored as uint8 is scaled "
            "to [0, 1] for you), or standardise each column; "
        ) in str(info.value)
    # the advice works: the same pixels as uint8 train at the book's lr
    scaled = run_softmax(
        SoftmaxConfig(data=_pixels(tmp_path / "u8.npz", np.uint8), epochs=2, plot="none",
                      out=tmp_path / "u8")
    )  # fmt: skip
    assert scaled.history.last.test_acc > 0.9
    # features of a few units that diverge at a huge lr: the lr alone is named
    with pytest.raises(DivergenceError) as info:
        run_softmax(
            SoftmaxConfig(data=_noise(tmp_path / "d.npz"), epochs=2, lr=1e4, plot="none",
                          out=tmp_path / "noise")
        )  # fmt: skip
    assert "scale the features" not in str(info.value)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16])
def test_pixels_stored_as_wider_integers_train_as_uint8_ones_do(
    tmp_path: Path, dtype: type
) -> None:
    """Pixels of 0-255 as int64 (pandas' columns of a pixel CSV, np.loadtxt(..., dtype=int)) were
    trained as they are and diverged at the book's lr, told to "scale the features" only then:
    they are scaled as uint8 ones are, with a warning, and the run is the uint8 run, bit for bit."""
    wide = _pixels(tmp_path / "wide.npz", dtype)
    with pytest.warns(DataWarning, match=r"X \(.* of 0\.\.255\) and X_test \(.*\) are taken for 8-bit pixels"):  # fmt: skip
        result = run_softmax(SoftmaxConfig(data=wide, epochs=2, plot="none", out=tmp_path / "w"))
    u8 = _pixels(tmp_path / "u8.npz", np.uint8)
    scaled = run_softmax(SoftmaxConfig(data=u8, epochs=2, plot="none", out=tmp_path / "u8"))
    assert result.history.train_loss == scaled.history.train_loss
    assert result.history.last.test_acc == scaled.history.last.test_acc > 0.9


def test_the_resume_without_the_guard_ends_as_a_run_without_it(tmp_path: Path) -> None:
    """The advice the stop gives works: resumed with guard=False, the run ends bit-identical to the
    same run started without the guard (the guard only reads the losses)."""
    data = _noise(tmp_path / "d.npz")
    stopped, free = tmp_path / "stopped", tmp_path / "free"
    with pytest.raises(DivergenceError):
        run_softmax(SoftmaxConfig(data=data, epochs=2, lr=1e4, plot="none", out=stopped))
    resumed = resume_softmax(stopped, guard=False)
    plain = run_softmax(
        SoftmaxConfig(data=data, epochs=2, lr=1e4, guard=False, plot="none", out=free)
    )
    assert resumed.history.train_loss == plain.history.train_loss
    ours, theirs = (
        load_checkpoint(stopped / "checkpoint.pt"),
        load_checkpoint(free / "checkpoint.pt"),
    )
    assert ours.epoch == theirs.epoch == 2
    for name, value in ours.model_state.items():
        assert torch.equal(value, theirs.model_state[name]), name


def test_without_the_guard_the_same_run_trains_to_the_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = SoftmaxConfig(
        data=_noise(tmp_path / "d.npz"), epochs=2, lr=1e4, guard=False, plot="none", out=out
    )
    result = run_softmax(config)
    assert len(result.history.epochs) == 2
    assert result.history.train_loss[1] > 100 * result.history.train_loss[0]  # it did blow up
    assert load_checkpoint(out / "checkpoint.pt").epoch == 2


def _blobs(path: Path) -> Path:
    """64 examples of 3 well-separated blobs of 5 features: a tiny file, at batch 16 the guard's
    whole reference window (the first 64 examples) in one epoch."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=64)
    centers = rng.standard_normal((3, 5)) * 4
    np.savez(path, X=(centers[y] + rng.standard_normal((64, 5))).astype(np.float32), y=y)
    return path


@pytest.mark.parametrize("lr", [1e30, 1e36])
def test_a_tiny_file_at_an_absurd_lr_is_stopped_inside_its_reference_window(
    tmp_path: Path, lr: float, first_epoch_losses: Any
) -> None:
    """At lr 1e30 the first update makes the classifier confidently right (loss 0) on most
    examples and wrong by ~1e29 on the others: the step's mean stands 10²⁹× past the untrained
    model's loss while its median example is 0. The guard judged the window's steps by their
    median example, so the window's mean (1.7e29) became the starting loss, and the run
    "trained" on to a loss of 0 with weights of ~1e30. The oracle: the first step of the window
    whose mean passes 100× the mean of the steps before it, in the run without the guard."""
    data = _blobs(tmp_path / "blobs.npz")
    steps = first_epoch_losses
    config = SoftmaxConfig(data=data, batch_size=16, lr=lr, epochs=3, plot="none", device="cpu")
    free = run_softmax(replace(config, guard=False, out=tmp_path / "free"), callbacks=[steps])
    losses = [l.numpy() for l in steps.losses]
    means = [float(np.mean(l)) for l in losses]
    medians = [float(np.median(l)) for l in losses]
    k = next(i for i in range(1, 4) if means[i] > 100 * np.mean(means[:i]))
    before = float(np.mean(means[:k]))
    assert medians[k] <= 100 * before  # its median example had not grown: not stopped
    assert min(medians[1 : k + 1]) < medians[0] / 100  # but one update made it 100× smaller
    assert free.history.train_loss[0] > 1e20 * means[0]  # the epoch blew up, unstopped
    with pytest.raises(DivergenceError) as info:
        run_softmax(replace(config, out=tmp_path / "run"))
    assert str(info.value).startswith(
        f"training diverged at batch {k + 1} of epoch 1: the batch loss is {means[k]:.4g}, more "
        f"than 100× its starting value {min(before, means[0]):.4g}, at lr {lr:g}; try a far "
        f"smaller learning rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, "
        f"{lr / 10:g}, would most likely blow up too); no epoch had finished"
    )


@pytest.mark.parametrize(("batch_size", "judged"), [(8, 3), (1, 17)])
def test_small_batches_at_an_absurd_lr_are_stopped_by_their_pooled_steps(
    tmp_path: Path, batch_size: int, judged: int, first_epoch_losses: Any
) -> None:
    """Batches under 16 were never judged inside the reference window, and every step after the
    first came after an update: at lr 1e30 a cross-entropy's losses are ~1e29 from step 2 on, the
    window's mean became the starting loss and the run "trained" to the end (``--batch-size 8
    --lr 1e30`` on Fashion-MNIST: train loss 6e30, exit 0). Now the steps after the first are
    pooled till they hold 16 examples, and judged against the first step's loss (the untrained
    model's). The oracle: the run without the guard, its first step's mean and the pool's."""
    data = _noise(tmp_path / "d.npz")  # random labels: most examples are wrong once blown up
    config = SoftmaxConfig(
        data=data, batch_size=batch_size, lr=1e30, epochs=2, plot="none", device="cpu"
    )
    free = run_softmax(
        replace(config, guard=False, out=tmp_path / "free"), callbacks=[first_epoch_losses]
    )
    losses = [l.numpy().reshape(-1) for l in first_epoch_losses.losses]
    means = [float(np.mean(l)) for l in losses]
    assert free.history.train_loss[0] > 1e20 * means[0]  # it blew up, unstopped
    pool = np.concatenate(losses[1:judged])  # the 16 examples after the first step's
    assert pool.shape == (16,)
    assert min(np.mean(pool), np.median(pool)) > 100 * means[0]
    with pytest.raises(DivergenceError) as info:
        run_softmax(replace(config, out=tmp_path / "run"))
    assert means[0] > np.log(2)  # the untrained model's: its own bound, not 100 × ln 2
    assert str(info.value).startswith(
        f"training diverged at batch {judged} of epoch 1: the mean loss of the last {judged - 1} "
        f"steps (16 examples) is {np.mean(pool):.4g}, more than 100× its starting value "
        f"{means[0]:.4g}, at lr 1e+30"
    )


class _CtrlCAt:
    """A callback that sends SIGINT as epoch ``epoch`` starts, as a Ctrl-C in it would."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)  # delivered to the main thread before kill returns


def test_a_resumed_run_is_stopped_by_the_guard_where_the_run_never_stopped_is(
    tmp_path: Path,
) -> None:
    """The guard's starting loss (the untrained model's, ~ln 3) is kept in the checkpoint: the run
    stopped by a Ctrl-C after epoch 1 and resumed blows up at the same step, told in the same
    words, as the run never stopped. A guard starting afresh would take epoch 2's first, already
    grown, batch as its start."""
    config = SoftmaxConfig(data=_noise(tmp_path / "d.npz"), epochs=3, lr=10, plot="none")
    never, out = tmp_path / "never", tmp_path / "run"
    with pytest.raises(DivergenceError) as uninterrupted:
        run_softmax(replace(config, out=never))
    expected = str(uninterrupted.value)
    assert expected.startswith("training diverged in epoch 2: ")
    assert f"the checkpoint of epoch 1 is kept in {never} (continue it" in expected
    with pytest.raises(TrainingInterrupted):
        run_softmax(replace(config, out=out), callbacks=[_CtrlCAt(2)])
    assert load_checkpoint(out / "checkpoint.pt").epoch == 1
    with pytest.raises(DivergenceError) as resumed:
        resume_softmax(out)
    assert str(resumed.value) == expected.replace(str(never), str(out))


def test_the_features_file_is_named_as_every_message_names_a_path(tmp_path: Path) -> None:
    """A line break in the --data path was printed as is, the one-line message's newline then
    shown as a space (a file that does not exist); it is the shell's $'...' word, as elsewhere."""
    data = _pixels(tmp_path / "pix\nels.npz", np.float32)
    with pytest.raises(DivergenceError) as info:
        run_softmax(SoftmaxConfig(data=data, epochs=2, plot="none", out=tmp_path / "run"))
    assert f"which reach 255 in $'{tmp_path}/pix\\nels.npz', where" in str(info.value)
