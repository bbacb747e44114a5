"""What ``prepare`` builds from a config: shuffled training batches, test batches in file order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from linearnets.config import SoftmaxConfig
from linearnets.tasks.experiment import prepare


def _data(path: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    X[:, 0] = np.arange(64)  # each row says which example it is
    y = rng.integers(0, 2, size=64)
    np.savez(path, X=X, y=y, X_test=X[:32], y_test=y[:32])
    return path


def _rows(batches: object) -> list[int]:
    return [int(i) for X, _ in batches for i in X[:, 0]]  # type: ignore[attr-defined]


def test_training_batches_are_reshuffled_every_epoch_and_test_batches_keep_file_order(
    tmp_path: Path,
) -> None:
    exp = prepare(SoftmaxConfig(data=_data(tmp_path / "d.npz"), batch_size=16, plot="none"))
    first, second = _rows(exp.train_iter), _rows(exp.train_iter)
    assert sorted(first) == sorted(second) == list(range(64))  # every example once an epoch
    assert first != list(range(64)) and second != first
    assert _rows(exp.test_iter) == list(range(32)) == _rows(exp.test_iter)
    # the order is the seed's: the same config draws the same batches
    again = prepare(SoftmaxConfig(data=_data(tmp_path / "d.npz"), batch_size=16, plot="none"))
    torch.rand(100)  # e.g. a notebook's own random draws: the run's data order is its own
    assert _rows(again.train_iter) == first


def test_the_seed_chooses_the_initial_weights_and_the_data_order(tmp_path: Path) -> None:
    data = _data(tmp_path / "d.npz")
    runs = [
        prepare(SoftmaxConfig(data=data, seed=s, batch_size=16, plot="none")) for s in (0, 0, 1)
    ]
    weights = [torch.cat([p.detach().reshape(-1) for p in e.setup.net.parameters()]) for e in runs]
    orders = [_rows(e.train_iter) for e in runs]
    assert torch.equal(weights[0], weights[1]) and orders[0] == orders[1]
    assert not torch.equal(weights[0], weights[2]) and orders[0] != orders[2]
