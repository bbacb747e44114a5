"""Where a softmax run's figures are drawn: a plotting process for files, in-process otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import linearnets.plotting.background
from linearnets.config import SoftmaxConfig
from linearnets.plotting.background import PlotProcess
from linearnets.tasks.reports import plot_process
from linearnets.tasks.softmax import run_softmax

REAL_DATA = Path("/usr/share/datasets/fashion-mnist")
FIGURES = ("curves.png", "curves.svg", "confusion.png", "predictions.png")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
@pytest.mark.parametrize("plot", ["auto", "file"])
def test_files_get_a_plotting_process(plot: str) -> None:
    plotter = plot_process(SoftmaxConfig(plot=plot))
    assert isinstance(plotter, PlotProcess)
    plotter.close()


def test_no_plots_no_process() -> None:
    assert plot_process(SoftmaxConfig(plot="none")) is None


def test_a_notebook_draws_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("linearnets.plotting.live.in_notebook", lambda: True)
    assert plot_process(SoftmaxConfig(plot="auto")) is None


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)")
def test_without_fork_the_figures_are_drawn_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linearnets.plotting.background, "start_plot_process", lambda: None)
    started = []
    monkeypatch.setattr(PlotProcess, "__init__", lambda self: started.append(self))
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, plot="file", num_threads=1, device="cpu", out=out))
    assert started == []  # no process: everything below was drawn here
    for name in FIGURES:
        assert (out / name).stat().st_size > 1000, name
