"""The divergence guard's check of an epoch whose loss rose far past an earlier epoch's
(unit tests of EpochEndCheck._rose in training/guard_epoch_end.py, D2L §3.6.6)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from linearnets.config import LinregConfig
from linearnets.errors import DivergenceError, UsageTypeError
from linearnets.tasks.linreg import run_linreg
from linearnets.training.checkpoint import load_checkpoint
from linearnets.training.guard import DivergenceGuard, resumed_state
from linearnets.training.guard_growth import data_changed_at, data_since
from linearnets.training.history import EpochMetrics, History


def test_a_run_that_fell_then_blew_up_stops_at_that_epoch_and_keeps_the_one_before(
    tmp_path: Path,
) -> None:
    """linreg at lr 1.8 ends epochs at 2.28, 0.000548, 0.0016 and 357513: its start (1.296e4,
    the mean of its first 70 examples, whose steps grew) let epoch 4 pass, its checkpoint kept as
    the last good one by the stop in epoch 5. Epoch 4 rose 100× past epoch 2's and past the
    start: it stops there, and epoch 3's checkpoint is the one kept and named."""
    out = tmp_path / "dv"
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(lr=1.8, epochs=5, out=out))
    assert str(info.value) == (
        "training diverged in epoch 4: the training loss after the epoch is 3.575e+05, more than "
        "100× its lowest after an earlier epoch (0.0005477, after epoch 2) and more than the "
        "mean loss over its first 70 examples (1.296e+04, already grown from the first step's "
        "18.99), at lr 1.8; try a smaller learning rate (lr), e.g. 0.18 (a tenth); the "
        f"checkpoint of epoch 3 is kept in {out} (continue it with a smaller lr: "
        f"linearnets.resume_linreg('{out}', lr=0.18, force=True))"
    )
    assert info.value.resumable is True
    assert load_checkpoint(out / "checkpoint.pt").epoch == 3
    lines = (out / "metrics.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3"]


def test_noise_free_targets_whose_loss_rounds_near_zero_train_to_the_end() -> None:
    """Without noise the loss falls to float32's rounding (0, then 4e-13 at batch 1, lr 0.3): a
    rise of any factor over the lowest epoch's, and no blow-up. The start is the lowest's floor."""
    result = run_linreg(LinregConfig(lr=0.3, batch_size=1, noise_std=0.0, epochs=3))
    losses = [e.train_loss for e in result.history.epochs]
    assert len(losses) == 3
    assert losses[1] > 100 * losses[0]  # a ratio to the lowest alone would have stopped it
    assert max(losses) < 1e-10


def _epoch(guard: DivergenceGuard, epoch: int, steps: tuple[float, ...], loss: float) -> None:
    """Show ``guard`` an epoch of steps of 10 examples, each of the loss in ``steps``, ending at
    the training loss ``loss`` (measured after the epoch, as linreg's)."""
    guard.on_epoch_start(epoch=epoch, num_batches=len(steps))
    for step, value in enumerate(steps):
        guard(step, torch.full((10,), value))
    guard.on_epoch_end(metrics=EpochMetrics(epoch, loss, None, None, None, 0.1))


def _fell() -> DivergenceGuard:
    """Return a guard whose start is 1 and whose epochs 1 and 2 ended at 0.01 and 1e-4."""
    guard = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
    _epoch(guard, 1, (1.0, 1.0, 1.0), 0.01)
    _epoch(guard, 2, (1e-3, 1e-4, 1e-4), 1e-4)
    return guard


def test_an_epoch_risen_past_the_lowest_and_the_start_whose_typical_step_rose_stops() -> None:
    guard = _fell()
    with pytest.raises(DivergenceError) as info:
        _epoch(guard, 3, (0.5, 0.5, 3.0), 5.0)
    assert str(info.value) == (
        "training diverged in epoch 3: the training loss after the epoch is 5, more than 100× its "
        "lowest after an earlier epoch (0.0001, after epoch 2) and more than its starting value 1, "
        "at lr 0.03; try a smaller learning rate (lr), e.g. 0.003 (a tenth)"
    )
    assert info.value.resumable is True


@pytest.mark.parametrize(
    ("steps", "loss"),
    [
        ((1e-4, 1e-4, 1e-4), 0.9),  # 9000× the lowest, not past the start: its floor
        ((1e-4, 1e-4, 1e-4), 5.0),  # past both, its typical step not: a heavy tail's mean
    ],
)
def test_an_epoch_under_the_start_or_whose_steps_stayed_low_is_no_blow_up(
    steps: tuple[float, ...], loss: float
) -> None:
    guard = _fell()
    _epoch(guard, 3, steps, loss)
    _epoch(guard, 4, (1e-4, 1e-4, 1e-4), 1e-4)  # its lowest unchanged: 1e-4


def test_an_epoch_whose_last_examples_blew_up_after_its_last_update_stops() -> None:
    """A blow-up in an epoch's last steps leaves its typical step low (linreg at lr 1.8: 0.45,
    the loss after the epoch 3.6e5): the last examples' loss after the last update tells."""
    guard = _fell()
    guard.on_epoch_start(epoch=3, num_batches=3)
    for step in range(3):
        guard(step, torch.full((10,), 1e-4))
    guard.after_last_update(torch.full((40,), 8.0))
    with pytest.raises(DivergenceError, match=r"epoch 3: the training loss after the epoch is 5, "):
        guard.on_epoch_end(metrics=EpochMetrics(3, 5.0, None, None, None, 0.1))


def test_a_resumed_guard_keeps_the_lowest_epoch_loss() -> None:
    guard = _fell()
    assert guard.state_dict()["best"] == [1e-4, 2]
    resumed = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
    resumed.load_state_dict(guard.state_dict())
    with pytest.raises(DivergenceError, match=r"lowest after an earlier epoch \(0\.0001, after "):
        _epoch(resumed, 3, (0.5, 0.5, 3.0), 5.0)


def test_a_guard_resumed_on_new_data_drops_the_lowest_epoch_loss() -> None:
    """fit can't tell new data from its batches: load_state_dict(new_data=True) says it. The new
    data's loss of 5, past 100× the old data's lowest and the start, then trains on."""
    resumed = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
    resumed.load_state_dict(_fell().state_dict(), new_data=True)
    _epoch(resumed, 3, (0.5, 0.5, 3.0), 5.0)
    assert resumed.state_dict()["best"] == [5.0, 3]


def test_a_state_from_before_the_lowest_takes_it_from_the_history() -> None:
    """A checkpoint written before "best" was kept: the lowest of the history's training losses."""
    state = _fell().state_dict()
    del state["best"]
    history = History([EpochMetrics(1, 0.01, None, None, None, 0.1),
                       EpochMetrics(2, 1e-4, None, None, None, 0.1)])  # fmt: skip
    resumed = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
    resumed.load_state_dict(state, history=history)
    with pytest.raises(DivergenceError, match=r"lowest after an earlier epoch \(0\.0001, after "):
        _epoch(resumed, 3, (0.5, 0.5, 3.0), 5.0)
    assert resumed_state(state, new_data=True, epochs=[(2, 1e-4)])["best"] is None


def test_load_state_dict_refuses_a_history_that_is_no_history() -> None:
    """A plain list of losses failed deep inside: "'list' object has no attribute 'epochs'"."""
    resumed = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
    with pytest.raises(
        UsageTypeError,
        match=r"^history= must be the run's History \(fit's history; .*\) or None, got "
        r"\[0\.01, 0\.0001\]; pass the History of the epochs",
    ):
        resumed.load_state_dict(_fell().state_dict(), history=[0.01, 1e-4])  # type: ignore[arg-type]


def test_load_state_dict_refuses_a_new_data_that_is_no_bool() -> None:
    """new_data="no" is truthy: it silently dropped the lowest epoch loss."""
    resumed = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
    with pytest.raises(
        UsageTypeError, match=r"^new_data must be True or False, got 'no'; pass new_data=True"
    ):
        resumed.load_state_dict(_fell().state_dict(), new_data="no")  # type: ignore[arg-type]
    assert resumed.state_dict()["best"] is None  # nothing loaded


def test_the_data_change_an_old_checkpoints_lowest_is_taken_after() -> None:
    """The latest resume that forced a data setting from the checkpoint's epoch or before, or
    started the run over (from_epoch 0, an older run's record before it); 0 where none."""
    resumes = [
        {"from_epoch": 3, "forced": {"noise_std": [0.0, 10.0]}},
        {"from_epoch": 5, "forced": {"lr": [0.03, 0.01]}},
        {"from_epoch": 6, "forced": {"data": ["a.npz", "b.npz"]}},
    ]
    keys = ("data", "noise_std")
    assert data_changed_at(resumes, epoch=5, keys=keys) == 3
    assert data_changed_at(resumes, epoch=7, keys=keys) == 6
    assert data_changed_at(resumes, epoch=2, keys=keys) == 0
    assert data_changed_at([*resumes, {"from_epoch": 0, "forced": None}], epoch=7, keys=keys) == 0
    assert data_changed_at(resumes, epoch=7, keys=("resize",)) == 0


def test_the_checkpoints_own_data_since_is_preferred_to_config_jsons_record() -> None:
    """A checkpoint's ``extra["data_since"]`` stands where config.json's resumes are lost or say
    otherwise; one from before it (``None``) falls back on that record."""
    resumes = [{"from_epoch": 3, "forced": {"noise_std": [0.0, 10.0]}}]
    keys = ("noise_std",)
    assert data_since(3, [], epoch=5, keys=keys) == 3
    assert data_since(0, resumes, epoch=5, keys=keys) == 0
    assert data_since(None, resumes, epoch=5, keys=keys) == 3
    assert data_since(None, [], epoch=5, keys=keys) == 0
