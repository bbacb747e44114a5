"""Shared fixtures: seeded generators, headless plotting, one thread for bit-exact runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_figures_left_open() -> Iterator[None]:
    """Close the pyplot figures a test left (the book's figures are pyplot's, as in d2l), so that
    they neither pile up past matplotlib's 20-figure warning nor show up in a later test's count."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")  # never imported just for this
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture
def gen() -> torch.Generator:
    """A torch generator seeded with 0."""
    return torch.Generator().manual_seed(0)
