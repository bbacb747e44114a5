"""A softmax run trained with guard=False, resumed with guard=True: the guard's start is the
untrained model's loss on the run's first batches, as a run guarded from its start has it, and
the resumed run is the same bit for bit (tests/tasks/test_linreg_resume.py has linreg's; the
real Fashion-MNIST's repro is in tests/tasks/test_resume.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import DivergenceError
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.checkpoint import load_checkpoint

from .test_resume_diverged import _blobs  # 512 examples of 3 blobs, 8 steps an epoch


def _guard_state(run: Path) -> dict[str, Any]:
    state = load_checkpoint(run / "checkpoint.pt").extra["guard"]
    assert isinstance(state, dict)
    return state


def _weights(run: Path) -> dict[str, torch.Tensor]:
    weights = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    assert isinstance(weights, dict)
    return weights


def _same_weights(a: Path, b: Path) -> bool:
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_a_guard_turned_on_at_a_resume_starts_where_a_run_guarded_from_its_start_does(
    tmp_path: Path, impl: str
) -> None:
    """The checkpoint of a guard=False run holds no guard state: resumed with guard=True the
    guard took the resumed epoch's first batch (a trained model's loss, ~0.1) as its start. Its
    start and first loss are now the untrained model's, bit for bit those of the run guarded from
    its start (the oracle: its checkpoint's guard state), and the weights are that run's too."""
    base = SoftmaxConfig(
        data=_blobs(tmp_path / "d.npz"), impl=impl, batch_size=64, plot="none", device="cpu"
    )
    guarded, run = tmp_path / "guarded", tmp_path / "run"
    run_softmax(replace(base, epochs=2, out=guarded))
    run_softmax(replace(base, epochs=1, out=run, guard=False))
    resume_softmax(run, epochs=2, guard=True)
    expected, got = _guard_state(guarded), _guard_state(run)
    assert expected["start_loss"] == pytest.approx(1.1128, abs=1e-4)  # the untrained model's
    keys = ("start_loss", "first_loss", "sum", "count")
    assert {k: got[k] for k in keys} == {k: expected[k] for k in keys}
    assert _same_weights(run, guarded)


@pytest.mark.parametrize("forced", [{}, {"seed": 7, "force": True}])
def test_a_guard_turned_on_at_a_resume_leaves_a_healthy_run_bit_identical(
    tmp_path: Path, forced: dict[str, Any]
) -> None:
    """The guard's start is read from the run's first batches, drawn from its data generator
    before the checkpoint's states load, and that generator's state put back: the run resumed
    with guard=True is the one resumed without it, bit for bit, a forced new seed's too (whose
    generators the checkpoint's do not replace: its batches would have been drawn twice)."""
    base = SoftmaxConfig(
        data=_blobs(tmp_path / "d.npz"), batch_size=64, plot="none", device="cpu", guard=False
    )
    for name in ("with", "without"):
        run_softmax(replace(base, epochs=1, out=tmp_path / name))
    guarded = resume_softmax(tmp_path / "with", epochs=3, guard=True, **forced)
    unguarded = resume_softmax(tmp_path / "without", epochs=3, **forced)
    assert guarded.config.guard and not unguarded.config.guard
    assert guarded.history.train_loss == unguarded.history.train_loss
    assert _same_weights(tmp_path / "with", tmp_path / "without")


def test_a_blown_up_run_resumed_with_the_guard_stops_measured_from_its_untrained_loss(
    tmp_path: Path,
) -> None:
    """At lr 1000 on labels no feature predicts, the guard=False run's first epoch blew up (a
    loss of 210, 1.101 untrained); resumed with guard=True, the guard took the resumed epoch's
    blown-up loss as its start and the run trained on to 283, exit 0. It now stops at its first
    batch, grown past 100× the untrained model's loss: the start the run guarded from its start
    (the oracle) names, stopped in its epoch 1."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((512, 5)).astype(np.float32), rng.integers(0, 3, size=512)
    np.savez(tmp_path / "noise.npz", X=X, y=y)
    base = SoftmaxConfig(
        data=tmp_path / "noise.npz", batch_size=64, lr=1e3, plot="none", device="cpu"
    )
    with pytest.raises(DivergenceError) as always:
        run_softmax(replace(base, epochs=3, out=tmp_path / "guarded"))
    start = re.search(r"more than 100× its starting value ([\d.e+-]+),", str(always.value))
    assert start is not None and start.group(1) == "1.101"
    assert str(always.value).startswith("training diverged at batch 2 of epoch 1: ")
    run = tmp_path / "run"
    run_softmax(replace(base, epochs=1, out=run, guard=False))
    with pytest.raises(DivergenceError) as resumed:
        resume_softmax(run, epochs=3, guard=True)
    said = str(resumed.value)
    assert said.startswith("training diverged at batch 1 of epoch 2: the batch loss is 263, "), said
    assert (
        f"more than 100× its starting value {start.group(1)}, before any update of epoch 2" in said
    )
