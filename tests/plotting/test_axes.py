"""Tests of linearnets.plotting.axes: the book's plot, set_axes and set_figsize."""

from __future__ import annotations

import io
import re
import sys
import tracemalloc
import types
import warnings
from collections.abc import Callable
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.ticker import FuncFormatter

import linearnets.plotting.axes as axes_module
from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting import (
    plot,
    set_axes,
    set_figsize,
    use_svg_display,
)

from ._bad_settings import bad_axes_settings

try:  # read before a test fakes IPython (fake_notebook)
    from IPython.core import events
except ImportError:
    events = None


def test_plot_draws_one_line_per_y_with_a_shared_x() -> None:
    x = torch.arange(0, 3, 0.5)
    ax = plot(x, [x**2, 2 * x - 3], "x", "f(x)", legend=["f(x)", "tangent"])
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), (2 * x - 3).numpy())
    np.testing.assert_allclose(ax.lines[0].get_xdata(), x.numpy())
    assert ax.get_xlabel() == "x" and [t.get_text() for t in ax.get_legend().texts] == [
        "f(x)",
        "tangent",
    ]


def test_plot_with_y_only_uses_indices_and_cycles_formats() -> None:
    ax = plot([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], fmts=("-", "r:"))
    assert [line.get_linestyle() for line in ax.lines] == ["-", ":", "-"]
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), [0, 1])


def test_set_axes_and_set_figsize() -> None:
    with matplotlib.rc_context():
        set_figsize((5.0, 2.0))
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (5.0, 2.0)
    _, ax = plt.subplots()
    ax.plot([1, 10], [1, 100])
    set_axes(ax, "x", "y", [1, 10], [1, 100], "log", "linear", ["data"])
    assert ax.get_xscale() == "log" and ax.get_xlim() == (1, 10) and ax.get_ylabel() == "y"


def test_plot_keeps_the_books_forms() -> None:
    x = np.arange(4.0)
    ax = plot(x, torch.stack([torch.arange(4.0), torch.ones(4)]))  # a 2-d Y: one curve per row
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), np.ones(4))
    ax = plot([x, x[:2]], [x**2, [5.0, 6.0]])  # one x per curve, of its own length
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0.0, 1.0])
    ax = plot((1, 2, 3))  # a tuple of y values alone, against 0, 1, 2
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])


def test_any_scale_matplotlib_registers_is_taken() -> None:
    # the book's set_axes passes xscale/yscale to matplotlib, which knows "asinh" too
    ax = plot([0.0, 1.0, 2.0], [-5.0, 0.0, 5.0], yscale="asinh")
    assert ax.get_yscale() == "asinh"


def test_a_limit_with_an_open_end_keeps_that_end_as_matplotlib_does() -> None:
    # the book's set_axes passes ylim=[0, None] on to set_ylim, which keeps the open end
    ax = plot([0.0, 1.0, 2.0], [1.0, 5.0, 9.0], ylim=[0, None], xlim=(None, 3))
    low, high = ax.get_ylim()
    assert low == 0.0 and high >= 9.0
    left, right = ax.get_xlim()
    assert left <= 0.0 and right == 3.0


BAD_INPUT: list[Any] = [
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], legend="f(x)"),
        UsageTypeError,
        r"legend must be a sequence of labels.*\['f\(x\)'\]",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], xscale="bogus"),
        UsageError,
        r"xscale must be one of linear, log, symlog, logit, asinh, got 'bogus'",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], axes="ax"),
        UsageTypeError,
        r"axes must be a matplotlib Axes, got str",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(("settings", "error", "match"), bad_axes_settings("f(x)"))
def test_a_bad_setting_leaves_the_axes_and_pyplot_as_they_were(
    settings: dict[str, Any], error: type[Exception], match: str
) -> None:
    # refused before anything is drawn: the axes passed keep their lines, and no figure is made
    fig = plt.figure()
    ax = fig.subplots()
    ax.plot([0.0, 1.0], [2.0, 3.0])
    with pytest.raises(error, match=match) as info:
        plot([1.0, 2.0], [3.0, 4.0], axes=ax, **settings)
    assert type(info.value) is error  # a UsageTypeError is a UsageError too
    assert [line.get_xydata().tolist() for line in ax.get_lines()] == [[[0.0, 2.0], [1.0, 3.0]]]
    plt.close("all")
    with pytest.raises(error, match=match) as info:
        plot([1.0, 2.0], [3.0, 4.0], **settings)
    assert type(info.value) is error
    assert plt.get_fignums() == []


# ---------------------------------------------------------------- each setting reaches the axes


@pytest.fixture
def svg_switches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the inline formats set through a fake matplotlib-inline."""
    calls: list[str] = []
    inline = types.SimpleNamespace(set_matplotlib_formats=calls.append)
    monkeypatch.setitem(
        sys.modules, "matplotlib_inline", types.SimpleNamespace(backend_inline=inline)
    )
    monkeypatch.setitem(sys.modules, "matplotlib_inline.backend_inline", inline)
    return calls


@pytest.mark.parametrize("notebook", [True, False])
def test_use_svg_display_switches_only_a_notebook_to_svg(
    monkeypatch: pytest.MonkeyPatch, svg_switches: list[str], notebook: bool
) -> None:
    monkeypatch.setattr(axes_module, "in_notebook", lambda: notebook)
    use_svg_display()
    with matplotlib.rc_context():
        set_figsize((2.0, 1.0))  # the book's set_figsize switches too
    assert svg_switches == (["svg", "svg"] if notebook else [])


def test_set_axes_sets_every_setting_and_keeps_the_grid_on() -> None:
    _, ax = plt.subplots()
    ax.plot([1, 10], [1, 100])
    for _ in range(2):  # a second call on the same axes: the grid stays on (the book toggles it)
        set_axes(ax, "x", "y", [2, 8], [10, 50], "linear", "log", ["only line"])
    assert (ax.get_xlim(), ax.get_ylim()) == ((2.0, 8.0), (10.0, 50.0))
    assert (ax.get_xscale(), ax.get_yscale()) == ("linear", "log")
    assert [t.get_text() for t in ax.get_legend().texts] == ["only line"]
    ax.figure.canvas.draw()
    assert all(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())


def test_plot_redraws_the_axes_it_is_given() -> None:
    _, ax = plt.subplots()
    plot([0.0, 1.0], [[5.0, 6.0], [7.0, 8.0]], axes=ax)
    plot([0.0, 1.0], [2.0, 3.0], axes=ax, yscale="log", ylim=[1, 4])  # replaces, not adds
    assert len(ax.lines) == 1
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2.0, 3.0])
    assert ax.get_yscale() == "log" and ax.get_ylim() == (1.0, 4.0)


def test_set_axes_with_an_empty_legend_draws_no_legend() -> None:
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    set_axes(ax, None, None, None, None, "linear", "linear", [])
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.array(["f(x)", "g(x)"]),
        lambda: (s for s in ("f(x)", "g(x)")),
        lambda: ("f(x)", "g(x)"),
    ],
    ids=["array", "generator", "tuple"],
)
def test_a_legend_of_any_iterable_labels_every_line(make: Callable[[], Any]) -> None:
    # an array's truth is ambiguous: `if legend:` raised ValueError; a generator labelled nothing
    ax = plot([0.0, 1.0], [[5.0, 6.0], [7.0, 8.0]], legend=make(), axes=plt.figure().add_subplot())
    assert [t.get_text() for t in ax.get_legend().texts] == ["f(x)", "g(x)"]
    with pytest.raises(UsageTypeError, match=r"legend must be a sequence of labels, one per line, "
                       r"got 3; pass e.g. legend=\['train loss', 'test acc'\]"):  # fmt: skip
        plot([0.0, 1.0], [5.0, 6.0], legend=3)


def test_the_fourth_curve_gets_the_books_fourth_format_red_dotted() -> None:
    from matplotlib.colors import to_rgba

    ax = plot(np.arange(3.0), [np.full(3, float(k)) for k in range(4)])
    assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--", "-.", ":"]
    assert to_rgba(ax.get_lines()[3].get_color()) == to_rgba("r")


def test_no_labels_given_leaves_both_axis_labels_empty() -> None:
    ax = plot([1.0, 2.0, 3.0])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("", "")


def test_a_0_d_array_legend_is_refused_by_name() -> None:
    with pytest.raises(
        UsageTypeError,
        match=r"^legend must be a sequence of labels, one per line, got .*; pass e\.g\. "
        r"legend=\['train loss', 'test acc'\]$",
    ):
        plot([1.0, 2.0], legend=np.array("loss"))


def test_plot_on_no_figure_makes_one_of_figsize_inches() -> None:
    # the book's plot calls set_figsize(figsize) before gca(): the new figure has that size
    plt.close("all")
    with matplotlib.rc_context():
        ax = plot([1.0, 2.0, 3.0], figsize=(4.0, 3.0))
        assert tuple(ax.figure.get_size_inches()) == (4.0, 3.0)
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (4.0, 3.0)


def test_plot_shows_and_closes_its_figure_at_the_cell_end_under_agg(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """d2l.plot([1, 2, 3]) in a kernel started with MPLBACKEND=Agg (no inline backend to show
    and close pyplot's figures) showed nothing and left its figure open, where show_images and
    the confusion matrix show theirs at the cell end. Drawn again in its cell: shown once."""
    if events is None:
        pytest.skip("needs IPython's event manager")

    class ZMQInteractiveShell:  # Jupyter's kernel shell, by name, with IPython's own events
        execution_count = 1

        def __init__(self) -> None:
            self.events = events.EventManager(self, events.available_events)

    kernel = ZMQInteractiveShell()
    monkeypatch.setattr(sys.modules["IPython"], "get_ipython", lambda: kernel)
    ax = plot([1.0, 2.0, 3.0])
    assert plot([3.0, 2.0, 1.0]) is ax  # the book's plot, again on the current axes
    assert plt.get_fignums() == [ax.figure.number] and not fake_notebook  # plt.savefig sees it
    kernel.events.trigger("post_execute")
    assert [(kind, obj) for kind, obj, _ in fake_notebook] == [("display", ax.figure)]
    assert plt.get_fignums() == [] and kernel.events.callbacks["post_execute"] == []


# (Y, yscale): drawn and saved by plain matplotlib, even in a 1 x 0.8 inch figure; refused by
# plot as "beyond ±1e+100" (log) or "±1e+307" (linear), matplotlib "cannot place ticks around it"
DRAWABLE = [([1e101, 2e101], "log"), ([1e140, 1e150], "log"), ([1.5e307, 1.6e307], "linear")]


@pytest.mark.parametrize(("Y", "yscale"), DRAWABLE)
def test_plot_draws_what_matplotlib_draws_near_float64s_ends(Y: list[float], yscale: str) -> None:
    plt.close("all")
    oracle = plt.figure(figsize=(1, 0.8)).add_subplot()
    oracle.plot([1, 2], Y)
    oracle.set_yscale(yscale)
    oracle.figure.savefig(io.BytesIO(), format="png")
    ax = plot([1, 2], Y, yscale=yscale, figsize=(1, 0.8))
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), Y)
    assert ax.get_ylim() == oracle.get_ylim()
    ax.figure.savefig(io.BytesIO(), format="png")
    plt.close("all")


# (Y, yscale, figure size, what plot says after "Y cannot be drawn on a ... axis in a ... figure: ")
UNDRAWABLE = [
    ([1e-3, 1.7e308, 1], "linear", (3.5, 2.5),
     "matplotlib cannot place its ticks over (-8.5e+306, 1.78e+308) in this figure, so savefig "
     "fails (ValueError: arange: cannot compute length); pass Y divided by a power of ten, e.g. "
     "by 1e+308, saying so in the ylabel"),
    # ticks as many decades past the axis's ends as it spans, where a small figure has room for 2
    ([1e290, 1e295, 1e300], "log", (1, 0.8),
     "matplotlib cannot place its ticks over (3.16e+289, 3.16e+300) in this figure, so savefig "
     "fails (OverflowError: cannot convert float infinity to integer); pass Y divided by a power "
     "of ten, e.g. by 1e+295, saying so in the ylabel, or make the figure larger, with room for "
     "more ticks: ax.figure.set_size_inches(2, 1.6)"),
    ([1e-3, 1e150, 1], "log", (1, 0.8),
     "matplotlib cannot place its ticks over (2.24e-11, 4.47e+157) in this figure, so savefig "
     "fails (OverflowError: cannot convert float infinity to integer); pass Y divided by a power "
     "of ten, e.g. by 1e+74, saying so in the ylabel, or make the figure larger, with room for "
     "more ticks: ax.figure.set_size_inches(2, 1.6)"),
    # matplotlib's 5% margins, 15 decades, overflow: it draws (1, 10), no point in it
    ([1e-3, 1e300, 1], "log", (3.5, 2.5),
     "the margins matplotlib adds around its values (0.001 to 1e+300) leave float64, and it "
     "draws the axis over (1, 10) instead, leaving them out; pass Y divided by a power of ten, "
     "e.g. by 1e+148, saying so in the ylabel"),
]  # fmt: skip


@pytest.mark.parametrize(("Y", "yscale", "size", "said"), UNDRAWABLE)
def test_values_matplotlib_cannot_draw_are_refused_by_plot(
    Y: list[float], yscale: str, size: tuple[float, float], said: str
) -> None:
    """plot([1, 2, 3], [1e-3, 1.7e308, 1]) drew, then plt.savefig failed deep in matplotlib's
    tick locator ('arange: cannot compute length'); refused before the axes are cleared, with
    the fix it offers drawn."""
    plt.close("all")
    oracle = plt.figure(figsize=size).add_subplot()
    oracle.plot([1, 2, 3], Y)
    with np.errstate(all="ignore"):  # matplotlib's margins overflow, and its ticks
        oracle.set_yscale(yscale)
        try:
            oracle.figure.savefig(io.BytesIO(), format="png")
        except (ValueError, OverflowError) as exc:
            assert f"({type(exc).__name__}: {exc})" in said
        else:  # saved, with no point in it
            assert not oracle.get_ylim()[0] <= min(Y) <= max(Y) <= oracle.get_ylim()[1]
    plt.close("all")
    ax = plt.figure(figsize=size).add_subplot()
    ax.plot([1, 2], [3.0, 4.0])
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], Y, yscale=yscale, axes=ax)
    width, height = size
    assert str(info.value) == (
        f"Y cannot be drawn on a {yscale} y axis in a {width:g} x {height:g} inch figure: {said}"
    )
    assert len(ax.lines) == 1  # the axes as they were
    power = float(said.split("e.g. by ")[1].split(",")[0])
    ax = plot([1, 2, 3], np.asarray(Y) / power, yscale=yscale, axes=ax)  # the fix it offers
    ax.figure.savefig(io.BytesIO(), format="png")
    plt.close("all")
    resized = re.search(r"set_size_inches\(([\d.]+), ([\d.]+)\)$", said)
    if resized:  # the fix offered where plot did not make the figure, followed
        ax = plt.figure(figsize=size).add_subplot()
        ax.figure.set_size_inches(float(resized[1]), float(resized[2]))
        ax = plot([1, 2, 3], Y, yscale=yscale, axes=ax)
        ax.figure.savefig(io.BytesIO(), format="png")
        low, high = ax.get_ylim()
        assert low <= min(Y) and max(Y) <= high
        plt.close("all")
    with pytest.raises(UsageError, match=r"^Y cannot be drawn") as info:
        plot([1, 2, 3], Y, yscale=yscale, figsize=size)
    assert plt.get_fignums() == []  # the figure made for it let go
    if resized:  # figsize sizes the figure plot makes
        assert str(info.value).endswith("ylabel, or a larger figsize, with room for more ticks")


@pytest.mark.parametrize(
    ("ylim", "drawn"), [(None, (1.0, 10.0)), ([None, 1], (0.1, 1.0)), ([None, 0.5], (0.05, 0.5))]
)
def test_plot_draws_a_log_axis_of_zeros_as_the_animator_does(
    ylim: list[float | None] | None, drawn: tuple[float, float]
) -> None:
    """plot([1, 2], [0, 0], yscale='log', ylim=[None, 0.5]) warned 'Data has no positive values'
    twice and drew an inverted (0.891, 0.5); with no ylim (0.891, 11.2): an open end is a decade
    from the given one and a free axis (1, 10), as Animator draws them, without the warning."""
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot([1, 2], [0.0, 0.0], yscale="log", ylim=ylim)
        ax.figure.savefig(io.BytesIO(), format="png")
    assert ax.get_ylim() == pytest.approx(drawn)
    plt.close("all")


# (Y, whether a power of ten is offered): over 600 decades none is (the margins leave float64
# whatever divides them); over fewer, one is, and followed draws
SWEEP = [*(([low, middle, high], False) for low in (1e-320, 1e-310, 1e-300)
           for middle in (1.0, 10.0) for high in (1e300, 1e305, 1.7e308)),
         ([1e-3, 1.0, 1.7e308], True), ([1e-50, 1.0, 1e300], True), ([1e-10, 10.0, 1e305], True),
         ([1e-3, 1e300, 1.0], True), ([1e-100, 10.0, 1.7e308], True)]  # fmt: skip


def test_the_sweep_follows_a_power_of_ten() -> None:
    """Every row of the sweep was told 'pass Y over fewer decades': the power's path never ran.
    The rows plot offers a power for, run, are those flagged, and some are."""
    plt.close("all")
    said = []
    for Y, _ in SWEEP:
        with pytest.raises(UsageError) as info:
            plot([1, 2, 3], Y, yscale="log")
        said.append("e.g. by " in str(info.value))
    assert said == [offered for _, offered in SWEEP]
    assert sum(said) == 5
    plt.close("all")


@pytest.mark.parametrize(("Y", "offered"), SWEEP)
def test_the_power_of_ten_plot_offers_draws_every_point(Y: list[float], offered: bool) -> None:
    """plot([1, 2, 3], [1e-320, 1, 1e300], yscale='log') offered 'by 1e-10': Y / 1e-10 is
    [1e-310, 1e10, inf], drawn without its top point (and numpy warned 'overflow encountered in
    divide'). A power offered keeps every point, and following it draws each within the view."""
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UsageError) as info:
            plot([1, 2, 3], Y, yscale="log")
    said = str(info.value)
    assert ("e.g. by " in said) == offered
    if not offered:
        assert said.endswith("; pass Y over fewer decades")
        return
    power = float(said.split("e.g. by ")[1].split(",")[0])
    scaled = np.asarray(Y) / power
    size = (30, 20) if "and a larger figsize" in said else (3.5, 2.5)
    ax = plot([1, 2, 3], scaled, yscale="log", figsize=size)
    ax.figure.savefig(io.BytesIO(), format="png")
    drawn = ax.lines[0].get_ydata()
    low, high = ax.get_ylim()
    assert np.isfinite(drawn).all() and (drawn > 0).all()
    assert low <= drawn.min() and drawn.max() <= high
    plt.close("all")


def test_a_refused_plot_leaves_the_size_of_new_figures_as_it_was() -> None:
    """set_figsize ran before the check: a refused plot(..., figsize=(1, 0.8)) left
    rcParams['figure.figsize'] at (1, 0.8) for every figure made after it."""
    plt.close("all")
    before = list(plt.rcParams["figure.figsize"])
    with pytest.raises(UsageError, match=r"^Y cannot be drawn"):
        plot([1, 2, 3], [1e290, 1e295, 1e300], yscale="log", figsize=(1, 0.8))
    with pytest.raises(UsageTypeError, match=r"^axes must be a matplotlib Axes"):
        plot([1, 2], [3, 4], figsize=(1, 0.8), axes="ax")  # type: ignore[arg-type]
    assert list(plt.rcParams["figure.figsize"]) == before
    assert list(plt.figure().get_size_inches()) == before
    plt.close("all")


def test_limits_over_too_many_decades_are_said_to_be_the_limits() -> None:
    """plot(..., yscale='log', ylim=[1e-300, 1e300]) said 'pass values over fewer decades', where
    the values (1 to 3) draw: it is ylim that spans too many."""
    plt.close("all")
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], [1, 2, 3], yscale="log", ylim=[1e-300, 1e300])
    assert str(info.value).startswith("ylim cannot be drawn on a log y axis")
    assert str(info.value).endswith("; pass ylim over fewer decades")
    plt.close("all")


def _laid_out(layout: str) -> Callable[[dict[str, Any]], Any]:
    """Return a plot on axes of a 3.5 x 1.5 inch figure laid out by ``layout``, then saved."""

    def drawn(kwargs: dict[str, Any]) -> Any:
        _, axes = plt.subplots(figsize=(3.5, 1.5), layout=layout)
        ax = plot(axes=axes, **kwargs)
        with np.errstate(all="ignore"):  # matplotlib's ticks overflow, if any
            ax.figure.savefig(io.BytesIO(), format="png")
        return ax

    return drawn


@pytest.mark.parametrize(("layout", "label"), [("tight", "loss"), ("constrained", "a\nb\nc")])
def test_plot_refuses_what_its_figures_layout_leaves_no_room_to_draw(
    layout: str, label: str
) -> None:
    """Measured before the layout, [1e290, 1e295, 1e300] on a log axis drew in 3.5 x 1.5 inches;
    the layout shrank the axes to make room for the labels, and savefig raised OverflowError. It
    is refused, and the power of ten offered draws, laid out."""
    plt.close("all")
    draw = _laid_out(layout)
    Y = np.array([1e290, 1e295, 1e300])
    kwargs = {"X": [1, 2, 3], "yscale": "log", "xlabel": label, "ylabel": label}
    with pytest.raises(UsageError) as info:
        draw({**kwargs, "Y": Y})
    assert str(info.value).startswith("Y cannot be drawn on a log y axis in a 3.5 x 1.5 inch")
    power = float(str(info.value).split("e.g. by ")[1].split(",")[0])
    ax = draw({**kwargs, "Y": Y / power})
    low, high = ax.get_ylim()
    assert low <= (Y / power).min() and (Y / power).max() <= high
    plt.close("all")


@pytest.mark.parametrize("bbox_inches", [None, "tight"])
def test_a_figure_with_no_layout_engine_is_checked_as_it_is(bbox_inches: str | None) -> None:
    """The copy of a figure with no layout engine was laid out by tight_layout, on the guess that
    the script would call it: [1e290, 1e295, 1e300] with labels in 3.5 x 1.5 inches was refused
    ('so savefig fails'), where the figure as plot draws it saves. It is drawn; a later
    plt.tight_layout(), which leaves the axes too little room, fails in savefig, as matplotlib's."""
    plt.close("all")
    Y = [1e290, 1e295, 1e300]
    ax = plot([1, 2, 3], Y, xlabel="epoch", ylabel="loss", yscale="log", figsize=(3.5, 1.5))
    plt.savefig(io.BytesIO(), format="png", bbox_inches=bbox_inches)
    low, high = ax.get_ylim()
    assert low <= min(Y) and max(Y) <= high
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), Y)
    plt.tight_layout()
    with np.errstate(all="ignore"), pytest.raises(OverflowError):
        plt.savefig(io.BytesIO(), format="png", bbox_inches=bbox_inches)
    plt.close("all")


def test_plot_onto_a_figure_already_made_offers_its_resizing_not_figsize() -> None:
    """plt.figure(figsize=(1, 0.8)) then plot(...) draws on it (gca): figsize sets only the size
    of new figures, so 'a larger figsize' could not work; the size offered draws."""
    plt.close("all")
    fig = plt.figure(figsize=(1, 0.8))
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], [1, 2, 3], yscale="log", ylim=[1e-230, 1e230], figsize=(30, 20))
    said = str(info.value)
    assert said.startswith("ylim cannot be drawn on a log y axis in a 1 x 0.8 inch figure")
    resized = re.search(
        r"; make the figure larger, .*: ax.figure.set_size_inches\((.*), (.*)\)$", said
    )
    assert resized is not None
    fig.set_size_inches(float(resized[1]), float(resized[2]))
    ax = plot([1, 2, 3], [1, 2, 3], yscale="log", ylim=[1e-230, 1e230])
    assert ax.figure is fig
    fig.savefig(io.BytesIO(), format="png")
    plt.close("all")


@pytest.mark.parametrize("root_keyword", [True, False])
def test_axes_in_a_subfigure_are_offered_a_resize_that_works(
    monkeypatch: pytest.MonkeyPatch, root_keyword: bool
) -> None:
    """For axes in a subfigure the fix offered was ax.figure.set_size_inches(...), and ax.figure
    is a SubFigure, which has none: AttributeError when followed. It resizes the figure the
    subfigure sits in (ax.get_figure(root=True), or ax.figure.figure where matplotlib before
    3.10 has no root=), followed here as written."""
    from linearnets.plotting import _undrawable

    if not root_keyword:  # matplotlib 3.8 and 3.9
        monkeypatch.setattr(_undrawable, "_gets_root", lambda ax: False)
    plt.close("all")
    Y = [1e290, 1e295, 1e300]
    fig = plt.figure(figsize=(1, 0.6))
    ax = fig.subfigures(1, 2)[0].subplots()
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], Y, yscale="log", axes=ax)
    code = "ax.get_figure(root=True)" if root_keyword else "ax.figure.figure"
    resized = re.search(
        r"make the figure larger, with room for more ticks: (\S*)\.set_size_inches\((.*), (.*)\)$",
        str(info.value),
    )
    assert resized is not None and resized[1] == code
    eval(f"{code}.set_size_inches({resized[2]}, {resized[3]})", {"ax": ax})  # as written
    assert list(fig.get_size_inches()) == [float(resized[2]), float(resized[3])]
    ax = plot([1, 2, 3], Y, yscale="log", axes=ax)
    fig.savefig(io.BytesIO(), format="png")
    low, high = ax.get_ylim()
    assert low <= min(Y) and max(Y) <= high
    plt.close("all")


@pytest.mark.parametrize("layout", ["tight", "constrained"])
@pytest.mark.parametrize("subfigure", [False, True])
def test_the_larger_figure_offered_in_a_laid_out_figure_draws(layout: str, subfigure: bool) -> None:
    """In a 1 x 0.6 inch figure with layout='tight', plot offered set_size_inches(2, 1.2), and
    followed, refused it again, offering (4, 2.4): the sizes offered were checked on a copy
    without the figure's layout engine. Followed, the size offered draws and saves."""
    plt.close("all")
    offered = None
    for _ in range(2):
        fig = plt.figure(figsize=(1, 0.6), layout=layout)
        ax = (fig.subfigures(1, 2)[0] if subfigure else fig).subplots()
        ax.set_ylabel("loss")
        if offered is not None:
            ax.get_figure(root=True).set_size_inches(*offered)
        try:
            plot([1, 2, 3], [1e290, 1e295, 1e300], yscale="log", axes=ax)
        except UsageError as error:
            assert offered is None, f"refused again at {offered}: {error}"
            found = re.search(r"set_size_inches\(([\d.]+), ([\d.]+)\)$", str(error))
            assert found is not None, str(error)
            offered = (float(found[1]), float(found[2]))
            continue
        assert offered is not None
        fig.savefig(io.BytesIO(), format="png")
        low, high = ax.get_ylim()
        assert low <= 1e290 and high >= 1e300
        break
    else:
        raise AssertionError("never drawn")
    plt.close("all")


def _second_of_two(layout: str, nesting: int) -> Any:
    """Return the lower of two axes in a 1 x 0.6 inch figure laid out by ``layout``, in no
    subfigure (``nesting`` 0), a subfigure (1), or a subfigure of one (2)."""
    parent: Any = plt.figure(figsize=(1, 0.6), layout=layout)
    for _ in range(nesting):
        parent = parent.subfigures(1, 2)[0] if parent is parent.figure else parent.subfigures(2)[1]
    return parent.subplots(2, 1)[1]


@pytest.mark.parametrize(
    ("layout", "nesting", "code", "size"),
    [
        ("tight", 0, "ax.figure", (8, 4.8)),
        ("constrained", 1, "ax.get_figure(root=True)", (4, 2.4)),
        ("constrained", 2, "ax.get_figure(root=True)", (30, 20)),
    ],
)
def test_the_size_offered_for_one_of_several_laid_out_axes_draws(
    layout: str, nesting: int, code: str, size: tuple[float, float]
) -> None:
    """Sizes offered were checked on a copy of the axes alone, where the other axes take no room
    in the layout: for the lower of two axes in a tight 1 x 0.6 inch figure it offered (4, 2.4),
    which plot then drew and savefig failed at (OverflowError). They are checked on a copy of the
    whole figure; followed, the size offered draws and saves."""
    plt.close("all")
    Y = [1e290, 1e295, 1e300]
    ax = _second_of_two(layout, nesting)
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], Y, yscale="log", axes=ax, ylabel="loss")
    assert str(info.value) == (
        "Y cannot be drawn on a log y axis in a 1 x 0.6 inch figure: matplotlib cannot place its "
        "ticks over (3.16e+289, 3.16e+300) in this figure, so savefig fails (OverflowError: "
        "cannot convert float infinity to integer); pass Y divided by a power of ten, e.g. by "
        "1e+295, saying so in the ylabel, or make the figure larger, with room for more ticks: "
        f"{code}.set_size_inches({size[0]:g}, {size[1]:g})"
    )
    eval(f"{code}.set_size_inches{size}", {"ax": ax})  # as written
    plot([1, 2, 3], Y, yscale="log", axes=ax, ylabel="loss")
    ax.get_figure(root=True).savefig(io.BytesIO(), format="png")
    low, high = ax.get_ylim()
    assert low <= min(Y) and max(Y) <= high
    plt.close("all")


@pytest.mark.parametrize(
    "Y",
    [[0.9999, 2.0, 0.5], [1 - 1e-16], [1e-300], [1e-200, 1 - 1e-16], [1e-300, 0.5]],
)
@pytest.mark.parametrize("figsize", [(3.5, 2.5), (12, 9)])
def test_values_within_0_and_1_are_drawn_on_a_logit_axis(
    Y: list[float], figsize: tuple[float, float]
) -> None:
    """A logit axis was fitted to the points' highest value, 2.0 in [0.9999, 2.0, 0.5], which it
    does not draw: matplotlib's view (0.0377, 0.962) left 0.9999 out, refused ('pass values
    within (0, 1)'); its fit of 1 - 1e-16 had an end of 1 - 1.1e-17, which is 1 in float64
    (drawn over (1.11e-17, 1.11e-16)), and of 1e-300 one of 1 - 1e-301 (ticks over (1e-301, 1)
    overflowed): refused as not within (0, 1). Each is drawn within the view and saved."""
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # matplotlib's logit transform of 1e-300
        ax = plot(list(range(len(Y))), Y, yscale="logit", figsize=figsize)
        ax.figure.savefig(io.BytesIO(), format="png")
    low, high = ax.get_ylim()
    inside = [y for y in Y if 0 < y < 1]
    assert 0 < low <= min(inside) and max(inside) <= high < 1
    plt.close("all")


def test_values_too_near_0_for_a_logit_axis_are_told_to_be_farther_from_it() -> None:
    """5e-324, within (0, 1), whose ticks overflow in 30 x 20 inches, was told to 'pass values
    within (0, 1)'. It is told to pass them farther from 0 and 1, with the view's top shown
    apart from 1; 1e-300, farther, draws."""
    plt.close("all")
    with pytest.raises(UsageError) as info:
        plot([0], [5e-324], yscale="logit", figsize=(30, 20))
    assert str(info.value) == (
        "Y cannot be drawn on a logit y axis in a 30 x 20 inch figure: matplotlib cannot place "
        "its ticks over (4.94e-324, 0.9999999999999999) in this figure, so savefig fails "
        "(OverflowError: int too large to convert to float); pass values farther from 0 and 1, "
        "or another scale"
    )
    ax = plot([0], [1e-300], yscale="logit", figsize=(30, 20))
    ax.figure.savefig(io.BytesIO(), format="png")
    assert ax.get_ylim()[0] <= 1e-300
    plt.close("all")


def test_a_laid_out_figure_pickle_cannot_copy_is_offered_no_unchecked_size() -> None:
    """A laid-out figure pickle cannot copy (a lambda formatter on the other axes) was checked
    on a copy of the axes alone, which offered set_size_inches(4, 2.4); followed, savefig raised
    OverflowError. No size is offered there: the figure is to be made larger, said unchecked; the
    power of ten offered draws and saves."""
    plt.close("all")
    fig, (top, ax) = plt.subplots(2, 1, figsize=(1, 0.6), layout="tight")
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], [1e290, 1e295, 1e300], yscale="log", axes=ax, ylabel="loss")
    assert str(info.value) == (
        "Y cannot be drawn on a log y axis in a 1 x 0.6 inch figure: matplotlib cannot place its "
        "ticks over (3.16e+289, 3.16e+300) in this figure, so savefig fails (OverflowError: "
        "cannot convert float infinity to integer); pass Y divided by a power of ten, e.g. by "
        "1e+295, saying so in the ylabel, or make the figure larger, with room for more ticks "
        "(pickle cannot copy this figure to check a size: one that draws its axes alone may not "
        "draw them laid out beside the rest)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "Tight layout not applied")  # the figure's own size
        plot([1, 2, 3], [1e-5, 1.0, 1e5], yscale="log", axes=ax, ylabel="loss / 1e+295")
        fig.savefig(io.BytesIO(), format="png")
    plt.close("all")


def test_a_laid_out_figure_pickle_cannot_copy_is_told_fewer_decades_where_no_size_draws() -> None:
    """Told to be made larger there too, at 100 x 100 inches (check_figsize's largest) as at 1 x
    0.6, where no size draws the axes even alone: the fix that works, fewer decades, was left
    out. It is offered, as for a figure pickle copies."""
    plt.close("all")
    fig, (top, ax) = plt.subplots(2, 1, figsize=(1, 0.6), layout="tight")
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    with pytest.raises(UsageError) as info:
        plot([1, 2, 3], [1, 2, 3], yscale="log", ylim=[1e-300, 1e300], axes=ax)
    assert str(info.value).endswith("; pass ylim over fewer decades")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "Tight layout not applied")  # the figure's own size
        plot([1, 2, 3], [1, 2, 3], yscale="log", ylim=[0.1, 10], axes=ax)
        fig.savefig(io.BytesIO(), format="png")
    plt.close("all")


def test_a_check_in_a_laid_out_figure_copies_no_image_or_line_beside_it() -> None:
    """Each check pickled the whole figure, a 3000 x 3000 image and a 1M-point line beside the
    axes included: 733 MB at its peak for a refused plot (2 MB before the copy). Their arrays
    are copied empty: the layout takes no room for them."""
    plt.close("all")
    _, (a, b, c) = plt.subplots(3, 1, figsize=(1.5, 1.2), layout="tight")
    a.imshow(np.zeros((3000, 3000)))
    b.plot(np.arange(1_000_000.0))
    tracemalloc.start()
    try:
        with pytest.raises(UsageError, match=r"set_size_inches\(6, 4.8\)$"):
            plot([1, 2, 3], [1e290, 1e295, 1e300], yscale="log", axes=c)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6
    plt.close("all")
