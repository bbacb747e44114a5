"""Tests of linearnets.plotting._drawable: which views matplotlib draws, asked of it, and the bounds
the live curves draw values beyond at."""

from __future__ import annotations

import io
import math
import sys
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from linearnets.plotting import _drawable
from linearnets.plotting._drawable import DRAWN_BOUNDS, on_chart, view_error

BIG = sys.float_info.max * 0.95  # 1.7e308

# (values, scale, figure size): each drawn by plain matplotlib, whose savefig is the oracle
VIEWS = [([1e290, 1e300], "log", (1, 0.8)),  # ticks a span of decades past 1e300: inf
         ([1e290, 1e300], "log", (3.5, 2.5)),  # room for more ticks, closer: drawn
         ([1e101, 2e101], "log", (1, 0.8)), ([1e140, 1e150], "log", (1, 0.8)),
         ([1e-100, 1e100], "log", (3.5, 2.5)), ([1e-100, 1e100], "log", (30, 20)),
         ([5e-324, 1.0], "log", (1, 0.8)), ([1e-320, 1e-310], "log", (1, 0.8)),
         ([0.0, 1e308], "linear", (1, 0.8)), ([0.0, 1e308], "linear", (3.5, 2.5)),
         ([1.5e307, 1.6e307], "linear", (1, 0.8)), ([-1e308, 1e308], "linear", (30, 20)),
         ([-5e-324, 5e-324], "linear", (1, 0.8))]  # fmt: skip


def _drawn(values: list[float], scale: str, size: tuple[float, float]) -> tuple[Figure, object]:
    fig = Figure(figsize=size, dpi=20)
    ax = fig.add_subplot()
    ax.plot([1.0, 2.0], values)
    with np.errstate(all="ignore"):  # matplotlib's margins overflow (see below)
        ax.set_yscale(scale)
        ax.get_ylim()
    return fig, ax


@pytest.mark.parametrize(("values", "scale", "size"), VIEWS)
def test_view_error_answers_as_savefig_does_at_the_figures_size(
    values: list[float], scale: str, size: tuple[float, float]
) -> None:
    """view_error asks matplotlib's own tick locators, so it answers as savefig does, at the
    figure's size: [1e290, 1e300] on a log axis fails in 1 x 0.8 inches, not in 3.5 x 2.5."""
    fig, ax = _drawn(values, scale, size)
    with np.errstate(all="ignore"):
        failed = view_error(ax, {})  # type: ignore[arg-type]
    try:
        with np.errstate(all="ignore"):
            fig.savefig(io.BytesIO(), format="png")
    except (ValueError, OverflowError) as exc:
        assert failed is not None and failed.axis == "y" and failed.ticks
        assert f"({type(exc).__name__}: {exc})" in failed.why
    else:
        assert failed is None


def test_points_the_margins_push_past_float64_are_said_to_be_left_out() -> None:
    """[1e-3, 1e300] on a log axis: matplotlib's 5% margins (15 decades) overflow, and it draws
    (1, 10) with no point in it: savefig succeeds on a figure showing nothing."""
    fig, ax = _drawn([1e-3, 1e300], "log", (3.5, 2.5))
    with np.errstate(all="ignore"):
        fig.savefig(io.BytesIO(), format="png")
    assert ax.get_ylim() == (1.0, 10.0)  # type: ignore[attr-defined]
    failed = view_error(ax, {})  # type: ignore[arg-type]
    assert failed is not None and not failed.ticks and (failed.low, failed.high) == (1e-3, 1e300)
    assert failed.why == (
        "the margins matplotlib adds around its values (0.001 to 1e+300) leave float64, and it "
        "draws the axis over (1, 10) instead, leaving them out"
    )
    assert view_error(ax, {"y": (1e-3, None)}) is not None  # the open end still leaves them out
    assert view_error(ax, {"y": (1.0, 10.0)}) is None  # limits given: the points are not asked


WIDEST = [([-BIG, 0.0, BIG], "linear"), ([5e-324, 1.0, BIG], "log")]


@pytest.mark.parametrize("size", [(0.3, 0.3), (1, 0.8), (30, 20)])
@pytest.mark.parametrize(("values", "scale"), WIDEST)
def test_values_drawn_at_the_last_bound_are_drawn_in_any_figure(
    values: list[float], scale: str, size: tuple[float, float]
) -> None:
    """The last of DRAWN_BOUNDS, where the live curves stop, draws the widest values float64
    has, from the smallest figure to the largest, without numpy's overflow warning."""
    bound = DRAWN_BOUNDS[scale][-1]
    drawn = on_chart(values, scale, bound)
    low = 1 / bound if scale == "log" else -bound
    np.testing.assert_array_equal(drawn, [low, 1.0 if scale == "log" else 0.0, bound])
    fig = Figure(figsize=size, dpi=20)
    ax = fig.add_subplot()
    ax.plot([1.0, 2.0, 3.0], drawn)
    ax.set_yscale(scale)
    with np.errstate(over="raise"):
        fig.savefig(io.BytesIO(), format="png")
    low, high = ax.get_ylim()
    assert low < drawn[0] and drawn[-1] < high  # every point shown


def test_on_chart_keeps_values_within_the_bound_and_nan_and_inf() -> None:
    values = [1.0, float("inf"), float("nan"), -3e200, 1e-250, 0.0]
    assert on_chart(values, "log") is values  # no bound: as they are
    np.testing.assert_array_equal(
        on_chart(values, "log", 1e200), [1.0, float("inf"), float("nan"), -1e200, 1e-200, 0.0]
    )
    np.testing.assert_array_equal(
        on_chart(values, "linear", 1e200), [1.0, float("inf"), float("nan"), -1e200, 1e-250, 0.0]
    )


@pytest.mark.parametrize("size", [(0.3, 0.3), (1, 0.8), (30, 20)])
@pytest.mark.parametrize(
    ("limits", "scale"), [((-4e306, 4e306), "linear"), ((1e-100, 1e100), "log")]
)
def test_the_views_not_asked_of_matplotlib_are_drawn_in_any_figure(
    limits: tuple[float, float], scale: str, size: tuple[float, float]
) -> None:
    """view_error does not ask matplotlib of a view within these (the cost of placing the ticks
    twice on each redraw): they draw from the smallest figure to the largest, without numpy's
    overflow warning."""
    fig = Figure(figsize=size, dpi=20)
    ax = fig.add_subplot()
    ax.set_yscale(scale)
    ax.set_ylim(limits)
    with np.errstate(over="raise"):
        fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("size", [(0.3, 0.3), (1, 0.8), (30, 20)])
@pytest.mark.parametrize(("values", "scale"), [([-1e306, 1e306], "linear"), ([1e-50, 1e50], "log")])
def test_the_values_plot_draws_without_asking_matplotlib_are_drawn_in_any_figure(
    values: list[float], scale: str, size: tuple[float, float]
) -> None:
    """plot asks matplotlib (a copy of the figure, costing more than plot itself) only of values
    beyond these: within them, matplotlib draws every point, even with margins of 50%."""
    from linearnets.plotting._drawable import drawn_anywhere

    assert drawn_anywhere([values], None, scale)
    assert not drawn_anywhere([values], (values[0] / 10, values[1] * 10), scale)
    assert not drawn_anywhere([[values[1] * 10]], None, scale)
    fig = Figure(figsize=size, dpi=20)
    ax = fig.add_subplot()
    ax.plot([1.0, 2.0], values)
    ax.margins(0.5)
    ax.set_yscale(scale)
    with np.errstate(over="raise"):
        fig.savefig(io.BytesIO(), format="png")
    low, high = ax.get_ylim()
    assert low < values[0] and values[1] < high


def test_an_ordinary_add_does_not_scan_the_points_held() -> None:
    """Each Animator.add compared every point held against the range last drawn within, even
    where it drew them as they are: its cost grew with the points (3.7 ms at 10000). Where the
    last range was (-inf, inf), no point lies beyond it: the points are not read."""

    class Unread:
        def __iter__(self) -> Any:
            raise AssertionError("the points were scanned")

    plt.close("all")
    ax = plt.figure().add_subplot()
    assert _drawable._start((-math.inf, math.inf), Unread(), "y", ax) is None  # type: ignore[arg-type]
    assert _drawable._start((-1e307, 1e307), [([1.0], [1e308])], "y", ax) == (-1e307, 1e307)
    assert _drawable._start((-1e307, 1e307), [([1.0], [2.0])], "y", ax) is None
    plt.close("all")


def test_a_logit_axis_shows_values_near_1_apart_from_1() -> None:
    """'.3g' wrote 0.9999 as 1: 'leaving out its values (0.5 to 1)' read as the case of values
    at 1, which a logit axis leaves out. It is written as it is."""
    ax = Figure(figsize=(3.5, 2.5)).add_subplot()
    ax.plot([0, 1], [0.9999, 0.5])
    ax.set_yscale("logit")
    ax.set_ylim(0.6, 0.9)
    failed = view_error(ax, {})
    assert failed is not None
    assert failed.why == (
        "it draws the axis over (0.6, 0.9), leaving out its values (0.5 to 0.9999)"
    )
