"""Fixtures shared by the command-line tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def blobs_npz(tmp_path: Path) -> Path:
    """A small ``--data`` file: 60 rows of 4 features, 2 classes, no test split."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 2, size=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    return tmp_path / "d.npz"
