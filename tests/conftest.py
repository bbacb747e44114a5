"""Shared fixtures: seeded generators, headless plotting, one thread for bit-exact runs."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def gen() -> torch.Generator:
    """A torch generator seeded with 0."""
    return torch.Generator().manual_seed(0)
