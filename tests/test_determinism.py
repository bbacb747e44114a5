"""Determinism: one seed gives bit-identical runs (threads pinned), and close ones across thread counts.

``seed_everything`` is the one place that seeds torch, NumPy, Python and the run's own generators
(parameter initialisation and data order); the run folder records the seed, the thread count and the
library versions.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import LinearnetsError
from linearnets.seeding import seed_everything
from linearnets.tasks.softmax import SoftmaxResult, run_softmax

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module", autouse=True)
def _fashion_mnist() -> None:
    from linearnets.data.fashion_mnist import read_fashion_mnist

    try:
        read_fashion_mnist(None)
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")


def _run(tmp: Path, name: str, **settings: Any) -> SoftmaxResult:
    defaults: dict[str, Any] = {"epochs": 2, "plot": "none", "device": "cpu", "num_threads": 1}
    return run_softmax(SoftmaxConfig(**(defaults | settings), out=tmp / name))


def _metrics(result: SoftmaxResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.as_dict().items() if k != "seconds"} for m in result.history.epochs]


def _weights(result: SoftmaxResult) -> dict[str, torch.Tensor]:
    return torch.load(result.run_dir / "model.pt", weights_only=True)["state_dict"]


@pytest.mark.parametrize("impl", ["scratch", "concise", "analytic"])
def test_same_seed_is_bit_identical(tmp_path: Path, impl: str) -> None:
    a = _run(tmp_path, "a", impl=impl, seed=11)
    torch.rand(100)  # disturb every global generator between the runs
    np.random.rand(100)
    random.random()
    b = _run(tmp_path, "b", impl=impl, seed=11)
    assert _metrics(a) == _metrics(b)
    wa, wb = _weights(a), _weights(b)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert (a.run_dir / "metrics.jsonl").read_text().count("\n") == 2


def test_another_seed_gives_another_run(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", impl="concise", seed=1, epochs=1)
    b = _run(tmp_path, "b", impl="concise", seed=2, epochs=1)
    assert not torch.equal(_weights(a)["1.weight"], _weights(b)["1.weight"])


def test_thread_counts_agree_closely(tmp_path: Path) -> None:
    one = _run(tmp_path, "one", seed=5)
    two = _run(tmp_path, "two", seed=5, num_threads=2)
    w1, w2 = _weights(one), _weights(two)
    for key in w1:
        torch.testing.assert_close(w1[key], w2[key], rtol=1e-4, atol=1e-5)
    assert one.history.train_loss == pytest.approx(two.history.train_loss, rel=1e-5)
    assert one.history.test_acc == pytest.approx(two.history.test_acc, abs=2e-4)
    saved = json.loads((two.run_dir / "config.json").read_text())
    assert saved["environment"]["num_threads"] == 2  # the run trained with what it was told
    assert torch.get_num_threads() == 1  # and gave the caller's count back


def test_run_folder_records_seed_threads_and_versions(tmp_path: Path) -> None:
    result = _run(tmp_path, "a", seed=3, epochs=1, num_threads=2)
    saved = json.loads((result.run_dir / "config.json").read_text())
    assert saved["config"]["seed"] == 3 and saved["config"]["num_threads"] == 2
    env = saved["environment"]
    assert env["num_threads"] == 2
    from linearnets import __version__

    assert env["linearnets"] == __version__ and env["torch"] == torch.__version__
    assert env["numpy"] == np.__version__ and env["python"]


def test_seed_everything_seeds_every_generator() -> None:
    def draw() -> tuple[Any, ...]:
        gens = seed_everything(7)
        return (
            torch.randn(3, generator=gens.init),
            torch.randn(3, generator=gens.data),
            torch.randn(3),
            np.random.rand(3),
            random.random(),
        )

    first, second = draw(), draw()
    for x, y in zip(first, second, strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y))
    assert not torch.equal(first[0], first[1])  # init and data order draw from separate streams
