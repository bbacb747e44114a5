"""Shared fixtures of the plotting tests: headless pyplot, figures closed, a fake Jupyter kernel."""

from __future__ import annotations

import html
import os
import re

os.environ.setdefault("MPLBACKEND", "Agg")  # headless, before anything imports pyplot

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def fake_notebook(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Pretend to run in a Jupyter kernel; return the list of display calls made."""
    # pyplot hooks itself into the IPython it finds when its first figure is made: make that
    # happen here, outside the fake, as it does when another test drew first
    plt.close(plt.figure())
    calls: list[tuple[Any, ...]] = []

    class ZMQInteractiveShell:
        pass

    def display(obj: Any, display_id: str | None = None) -> None:
        calls.append(("display", obj, display_id))

    def update_display(obj: Any, display_id: str | None = None) -> None:
        calls.append(("update", obj, display_id))

    def clear_output(wait: bool = False) -> None:
        calls.append(("clear", wait))

    # version_info: matplotlib 3.10+ reads it from whatever IPython module is loaded
    ipython = types.SimpleNamespace(get_ipython=ZMQInteractiveShell, version_info=(8, 30, 0, ""))
    ipython_display = types.SimpleNamespace(
        display=display, update_display=update_display, clear_output=clear_output
    )
    ipython.display = ipython_display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    monkeypatch.setitem(sys.modules, "matplotlib_inline", None)  # no SVG switch in the fake
    return calls


def run_cell(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Let the fake kernel run its cell ``count`` from now on (IPython's execution count)."""

    class ZMQInteractiveShell:
        execution_count = count

    monkeypatch.setattr(sys.modules["IPython"], "get_ipython", ZMQInteractiveShell)


def svg_texts(path: Path) -> list[str]:
    """Return the texts an SVG saved with ``svg.fonttype='none'`` draws, each as written there."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())]
