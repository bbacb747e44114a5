"""Tests of linearnets.plotting._notebook: each figure of ours shows once, in its cell, whether
the backend shows figures at the cell's end (inline) or as they are made (nbagg) (D2L §2.4, §3.6).

The real backends in a real kernel: tests/book/test_notebook_backends.py. Here a backend of the
second kind (tests/plotting/_showing_backend.py) in the fake kernel of tests/plotting/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import pytest

from linearnets.plotting import plot
from linearnets.plotting._live_output import LiveOutput
from linearnets.plotting._notebook import unshown_pyplot_figure

from . import _showing_backend
from .conftest import run_cell
from .test_live_output import _Kernel, _run_in


@pytest.fixture
def showing_backend() -> Iterator[list[Any]]:
    """Switch pyplot to a backend that shows each figure made in interactive mode, turned on (as
    %matplotlib notebook does); return the list of the figures it showed."""
    backend = matplotlib.get_backend()
    plt.switch_backend(f"module://{_showing_backend.__name__}")  # this module, as imported here
    _showing_backend.SHOWN.clear()
    try:
        with plt.ion():
            yield _showing_backend.SHOWN
    finally:
        plt.close("all")
        plt.switch_backend(backend)


@pytest.fixture
def shown(showing_backend: list[Any], fake_notebook: list[tuple[Any, ...]]) -> list[Any]:
    """The showing backend in the fake kernel: the figures the backend showed since."""
    showing_backend.clear()  # the figure the fake kernel makes of its own
    return showing_backend


def test_a_figure_for_a_display_of_ours_is_pyplots_but_not_shown_by_the_backend(
    showing_backend: list[Any],
) -> None:
    shown_by_pyplot = plt.figure()
    assert showing_backend == [shown_by_pyplot]  # what the backend does with a pyplot figure
    fig = unshown_pyplot_figure((3.0, 2.0))
    assert showing_backend == [shown_by_pyplot]
    assert plt.gcf() is fig and tuple(fig.get_size_inches()) == (3.0, 2.0)
    assert matplotlib.is_interactive()  # put back


def test_a_live_figure_shows_only_in_its_display_and_plt_show_updates_that(
    shown: list[Any],
    fake_notebook: list[tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under %matplotlib notebook the backend showed the live figure as it was made, above its
    display; plt.show() showed it again."""
    _run_in(monkeypatch, _Kernel())  # pyplot keeps the figure until the cell ends
    output = LiveOutput("notebook", [])
    fig = output.new_figure((3.0, 2.0))
    output.publish(fig)
    plt.show()  # the backend's show of each figure pyplot holds: ours is its live display
    fig.show()
    assert shown == []
    assert [(kind, figure) for kind, figure, _ in fake_notebook] == [
        ("display", fig),
        ("update", fig),
        ("update", fig),
    ]


@pytest.mark.parametrize("mode", ["file", "none"])
def test_a_figure_not_for_the_notebook_is_not_shown_as_it_is_made(
    mode: str,
    tmp_path: Any,
    shown: list[Any],
    fake_notebook: list[tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run_in(monkeypatch, _Kernel())
    fig = LiveOutput(mode, [tmp_path / "a.png"]).new_figure((3.0, 2.0))
    assert shown == [] and not fake_notebook
    assert plt.gcf() is fig  # pyplot's in its cell, as in a script


def test_plot_draws_on_a_figure_of_its_own_cell_where_the_backend_keeps_figures_open(
    shown: list[Any],
    fake_notebook: list[tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The book's plot drew on pyplot's current axes: under %matplotlib notebook an earlier
    cell's figure, still open and shown there, which it cleared and drew over."""
    run_cell(monkeypatch, 1)
    earlier = plt.figure()
    earlier.subplots().imshow([[0.0, 1.0]])  # an image grid of an earlier cell
    run_cell(monkeypatch, 2)
    ax = plot([1.0, 2.0, 3.0])
    assert ax.figure is not earlier and len(earlier.axes[0].images) == 1  # left as drawn
    assert plot([3.0, 2.0, 1.0]) is ax and len(ax.lines) == 1  # again in its cell: redrawn
    run_cell(monkeypatch, 3)
    blank = plt.figure()  # made for the plot: drawn on
    assert plot([1.0, 2.0]).figure is blank
    assert shown == [earlier, ax.figure, blank]  # each shown once, by the backend


def test_plot_draws_on_the_current_axes_where_the_cell_end_closes_them(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backend that shows nothing itself (the inline one, Agg): the current axes, as before."""
    run_cell(monkeypatch, 1)
    earlier = plt.figure()
    earlier.subplots().plot([1.0, 2.0])
    run_cell(monkeypatch, 2)
    assert plot([1.0, 2.0, 3.0]).figure is earlier


def test_a_figure_is_formatted_as_an_image_within_as_an_image_and_the_hooks_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """IPython's own formatter, with the hook IPython registers for every figure under nbagg
    (``%matplotlib nbagg``, ``MPLBACKEND=nbAgg``): it showed the backend's figure instead of
    the image, and for a live figure called the live display again, without end."""
    import types

    from IPython.core.formatters import DisplayFormatter
    from matplotlib.figure import Figure

    from linearnets.plotting._notebook import as_an_image

    formatter = DisplayFormatter()
    reshown: list[Any] = []
    formatter.ipython_display_formatter.for_type(Figure, reshown.append)
    formatter.formatters["image/png"].for_type(Figure, lambda fig: "png of the figure")
    monkeypatch.setattr(
        "linearnets.plotting._notebook.shell",
        lambda: types.SimpleNamespace(display_formatter=formatter),
    )
    fig = Figure()
    fig._ipython_display_ = reshown.append  # type: ignore[attr-defined]  # a live figure's
    assert formatter.format(fig) == ({}, {}) and reshown == [fig]  # the hook took it
    with as_an_image(fig):
        data, _ = formatter.format(fig)
    assert data["image/png"] == "png of the figure" and reshown == [fig]
    assert formatter.format(fig) == ({}, {}) and len(reshown) == 2  # both hooks back
    assert callable(vars(fig)["_ipython_display_"])
