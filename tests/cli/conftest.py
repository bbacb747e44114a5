"""Fixtures shared by the command-line tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture
def blobs_npz(tmp_path: Path) -> Path:
    """A small ``--data`` file: 60 rows of 4 features, 2 classes, no test split."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 2, size=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    return tmp_path / "d.npz"


@pytest.fixture
def capture_drawing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[tuple[Any, ...]]]:
    """``drawn = capture_drawing()``: from then on, what predict would draw is recorded in
    ``drawn``, one ``(images as an array, true labels, predicted labels, out, num_cols)`` per
    figure, instead of drawn."""

    def capture() -> list[tuple[Any, ...]]:
        import linearnets.plotting

        drawn: list[tuple[Any, ...]] = []
        monkeypatch.setattr(
            linearnets.plotting,
            "plot_predictions",
            lambda images, true, pred, *, out, num_cols: drawn.append(
                (np.asarray(images), true, pred, out, num_cols)
            ),
        )
        return drawn

    return capture
