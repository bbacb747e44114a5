"""Tests of :mod:`linearnets.tasks.config_file`: a softmax run's ``config.json``."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets import SoftmaxConfig, resume_softmax, run_softmax
from linearnets.training.interrupt import TrainingInterrupted


def _data(path: Path) -> Path:
    """100 training rows of 4 features, 3 classes."""
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.normal(size=(100, 4)).astype(np.float32), y=rng.integers(0, 3, 100))
    return path


class _Signal:
    """A callback sending SIGINT (a Ctrl-C) as fit starts, or at the end of ``epoch``."""

    def __init__(self, epoch: int | None = None) -> None:
        self.epoch = epoch

    def on_fit_start(self, **_: Any) -> None:
        if self.epoch is None:
            os.kill(os.getpid(), signal.SIGINT)

    def on_epoch_end(self, *, metrics: Any) -> None:
        if metrics.epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


def _resumes(run: Path) -> list[dict[str, Any]]:
    entries = json.loads((run / "config.json").read_text())["resumes"]
    return [{k: e[k] for k in ("from_epoch", "forced")} for e in entries]


def test_a_forced_change_is_recorded_once_when_its_resume_trained_no_epoch(
    tmp_path: Path,
) -> None:
    """A run stopped after epoch 1's checkpoint, resumed with a forced lr and stopped again before
    its first checkpoint, then resumed plainly (which carries the forced lr on): config.json's
    resumes held the one forced change twice, {'lr': ['0.1', '0.05']} from epoch 1 each."""
    run = tmp_path / "run"
    config = SoftmaxConfig(data=_data(tmp_path / "d.npz"), plot="none", epochs=3, out=run)
    with pytest.raises(TrainingInterrupted):
        run_softmax(config, callbacks=[_Signal(1)])
    with pytest.raises(TrainingInterrupted):
        resume_softmax(run, lr=0.05, force=True, callbacks=[_Signal()])
    forced = {"from_epoch": 1, "forced": {"lr": ["0.1", "0.05"]}}
    assert _resumes(run) == [forced]
    resume_softmax(run)
    assert _resumes(run) == [forced]  # once, the resume that trained it
    assert json.loads((run / "results.json").read_text())["epochs"] == 3
