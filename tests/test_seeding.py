"""Runs started from Python leave the caller's session as they found it (threads, global generators)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.seeding import kept_global_state
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax


def _draws() -> tuple[float, float, float]:
    return float(torch.rand(1)), float(np.random.rand()), random.random()


def _npz(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(90, 5)).astype(np.float32), rng.integers(0, 3, size=90)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X[:20], y_test=y[:20])
    return tmp_path / "d.npz"


def _softmax(tmp_path: Path) -> None:
    config = SoftmaxConfig(data=_npz(tmp_path), out=tmp_path / "run", epochs=1, plot="none", seed=5)
    run_softmax(config)
    resume_softmax(tmp_path / "run", epochs=2)


def _linreg(tmp_path: Path) -> None:
    run_linreg(LinregConfig(epochs=1, seed=5))


@pytest.mark.parametrize("run", [_softmax, _linreg], ids=["softmax", "linreg"])
def test_a_run_gives_back_the_thread_count_and_the_global_generators(
    tmp_path: Path, run: Callable[[Path], Any]
) -> None:
    threads = 2 if torch.get_num_threads() != 2 else 3  # not the runs' default of 1
    torch.set_num_threads(threads)
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    expected = _draws()
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    run(tmp_path)  # pins 1 thread, seeds everything with 5
    assert torch.get_num_threads() == threads
    assert _draws() == expected  # the caller's streams go on where they were


def test_kept_global_state_restores_on_error() -> None:
    torch.manual_seed(7)
    expected = float(torch.rand(1))
    torch.manual_seed(7)
    with pytest.raises(RuntimeError), kept_global_state():
        torch.manual_seed(0)
        torch.set_num_threads(torch.get_num_threads() + 1)
        raise RuntimeError("stopped")
    assert float(torch.rand(1)) == expected


def test_every_accepted_seed_gives_its_own_streams() -> None:
    """torch keeps a seed's low 32 bits only: 2**32 would silently repeat seed 0, so it is refused."""
    from linearnets.errors import UsageError
    from linearnets.seeding import seed_everything

    def draws(seed: int) -> tuple[list[float], list[float]]:
        gens = seed_everything(seed)
        return torch.randn(3, generator=gens.init).tolist(), torch.randn(
            3, generator=gens.data
        ).tolist()

    top = draws(2**31 - 1)
    assert top != draws(0) and top[0] != top[1]
    for seed in (2**31, 2**32):
        with pytest.raises(UsageError, match=r"seed must be a non-negative integer \(at most 2\*\*31 - 1\)"):  # fmt: skip
            seed_everything(seed)


def test_a_bool_is_no_seed_and_a_thread_count_below_one_is_refused() -> None:
    from linearnets.errors import UsageError
    from linearnets.seeding import pin_threads, seed_everything

    with pytest.raises(UsageError, match=r"seed must be a non-negative integer .*got True"):
        seed_everything(True)  # type: ignore[arg-type]
    threads = torch.get_num_threads()
    with pytest.raises(UsageError, match=r"num_threads must be a positive integer \(>= 1\), got 0"):
        pin_threads(0)
    assert torch.get_num_threads() == threads
    assert pin_threads(2) == 2 and torch.get_num_threads() == 2
