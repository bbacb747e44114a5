"""What a run that stops early says: its folder, its last checkpoint and the resume that continues it.

Unit tests of :mod:`linearnets.tasks.stopping` with stand-ins for the run; real signals and diverged
runs are in ``test_resume.py`` and ``test_divergence.py``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.config import SoftmaxConfig
from linearnets.errors import DivergenceError
from linearnets.tasks.stopping import diverged, name_resume, resume_hint_after_training
from linearnets.training.interrupt import TrainingInterrupted
from linearnets.training.loop import History


def _exp(*, enabled: bool = False) -> Any:
    return SimpleNamespace(
        config=SoftmaxConfig(epochs=2, lr=0.5), dist=SimpleNamespace(enabled=enabled)
    )


def _checkpoint(last_epoch: int | None) -> Any:
    return SimpleNamespace(last_epoch=last_epoch)


@pytest.mark.parametrize(
    ("last_epoch", "start_epoch", "where"),
    [
        (
            2,
            0,
            "the checkpoint of epoch 2 is kept in run (continue it with a smaller lr: "
            "--resume run --lr 0.05 --force)",
        ),
        (None, 1, "the checkpoint of epoch 1 is kept in run"),
        (None, 0, "no epoch had finished, so no checkpoint was written"),
    ],
)
def test_a_divergence_names_the_checkpoint_kept(
    last_epoch: int | None, start_epoch: int, where: str
) -> None:
    error = diverged(
        DivergenceError("loss is nan"), _exp(), Path("run"), _checkpoint(last_epoch), start_epoch
    )
    assert isinstance(error, DivergenceError)
    assert str(error).startswith(f"loss is nan; {where}")


@pytest.mark.parametrize(("enabled", "launcher"), [(False, ""), (True, "torchrun")])
def test_an_interrupt_during_training_names_its_run(enabled: bool, launcher: str) -> None:
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=1, step=3)
    name_resume(exc, _exp(enabled=enabled), Path("run"), _checkpoint(None), 0)
    assert (exc.run_dir, exc.command, exc.launcher) == (Path("run"), "linearnets softmax", launcher)
    assert exc.checkpoint_epoch is None  # nothing saved yet: no checkpoint to name


def test_a_signal_after_the_last_epoch_becomes_an_interrupt_with_the_hint() -> None:
    history: Any = SimpleNamespace(epochs=[object(), object()])  # both epochs done
    with (
        pytest.raises(TrainingInterrupted) as info,
        resume_hint_after_training(_exp(), Path("run"), history, _checkpoint(2), 0),
    ):
        raise KeyboardInterrupt("SIGTERM")
    assert (info.value.run_dir, info.value.checkpoint_epoch) == (Path("run"), 2)
    assert (info.value.signal_name, info.value.epoch) == ("SIGTERM", 2)


def test_a_signal_during_training_is_left_alone() -> None:
    with (
        pytest.raises(KeyboardInterrupt) as info,
        resume_hint_after_training(_exp(), Path("run"), History(), _checkpoint(None), 0),
    ):
        raise KeyboardInterrupt("SIGINT")
    assert not isinstance(info.value, TrainingInterrupted)
