"""The book's plotting helpers with the book's signatures: figure size, axes setup, line plots.

Their arguments are checked by :mod:`linearnets.plotting._plot_args` before anything is drawn.

See D2L §2.4.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting._drawable import drawn_anywhere
from linearnets.plotting._mpl import in_notebook, matplotlib_module, pyplot
from linearnets.plotting._notebook import current_axes
from linearnets.plotting._plot_args import SCALES, check_limits, curves
from linearnets.plotting._plot_args import check_figsize as check_figsize
from linearnets.plotting._plot_args import check_fmts as check_fmts
from linearnets.plotting._undrawable import copy_error, copy_view, root_call, undrawable_message
from linearnets.plotting._view import set_view
from linearnets.validation import describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "BOOK_FMTS",
    "check_axes_settings",
    "check_legend",
    "plot",
    "set_axes",
    "set_figsize",
    "use_svg_display",
]

BOOK_FMTS = ("-", "m--", "g-.", "r:")


def use_svg_display() -> None:
    """Use the SVG format for inline figures in Jupyter; do nothing elsewhere.

    See D2L §2.4.
    """
    if not in_notebook():
        return
    matplotlib_module()  # matplotlib_inline imports it
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # an old Jupyter without matplotlib-inline keeps its PNG figures
        return
    set_matplotlib_formats("svg")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set the default size (width, height) in inches of new matplotlib figures.

    Args:
        figsize: (width, height) in inches, each > 0.

    See D2L §2.4.
    """
    figsize = check_figsize("figsize", figsize)
    use_svg_display()
    matplotlib_module().rcParams["figure.figsize"] = figsize


def set_axes(
    axes: Any,
    xlabel: str | None,
    ylabel: str | None,
    xlim: Sequence[float] | None,
    ylim: Sequence[float] | None,
    xscale: str,
    yscale: str,
    legend: Sequence[str] | None,
) -> None:
    """Set the labels, limits, scales and legend of a matplotlib ``Axes``, and turn its grid on.

    Limits and legend left as ``None`` keep matplotlib's automatic choice; a limit's end left as
    ``None`` (``ylim=[0, None]``) follows the points drawn, as matplotlib keeps it, and a free log
    axis with no point above 0 is drawn over (1, 10), without matplotlib's warnings (see
    :func:`~linearnets.plotting._view.fit_view`).

    Args:
        axes: the matplotlib ``Axes`` to set up.
        xlabel, ylabel: the axis labels (``None``: none).
        xlim, ylim: the axis limits (low, high).
        xscale, yscale: "linear", "log" or another matplotlib scale.
        legend: one label per line drawn.

    See D2L §2.4.
    """
    if not hasattr(axes, "set_xlabel"):
        raise UsageTypeError(
            f"axes must be a matplotlib Axes, got {type(axes).__name__}; pass e.g. plt.gca()"
        )
    xlim, ylim, legend = check_axes_settings(xlim, ylim, xscale, yscale, legend)
    axes.set_xlabel(xlabel or "")
    axes.set_ylabel(ylabel or "")
    set_view(axes, xscale, yscale, xlim, ylim)
    if legend:
        axes.legend(legend)
    # the book calls grid() with no argument, which toggles; on a reused Axes that would flicker
    axes.grid(True)


def check_axes_settings(
    xlim: Any, ylim: Any, xscale: Any, yscale: Any, legend: Any
) -> tuple[Any, Any, list[Any] | None]:
    """Return (xlim, ylim, legend) as :func:`set_axes` uses them if every setting is valid, else raise.

    Called by ``plot`` and ``Animator`` before they draw or make a figure too: a typo in a scale
    must not clear the axes passed to ``plot``, nor leave an empty figure open in pyplot.
    """
    # the limits after the scales: what a log axis takes is not a linear one's
    scales = _scales()
    for name, scale in (("xscale", xscale), ("yscale", yscale)):
        if scale not in scales:
            raise UsageError(f"{name} must be one of {', '.join(scales)}, got {scale!r}")
    xlim, ylim = check_limits("xlim", xlim, xscale), check_limits("ylim", ylim, yscale)
    return xlim, ylim, check_legend(legend)


def check_legend(legend: Any) -> list[Any] | None:
    """Return ``legend``, any iterable of labels (an array, a pandas Index), as a list; ``None`` stays.

    A list, as the book's ``if legend:`` needs: an array's truth is ambiguous (a ValueError).
    """
    if legend is None:
        return None
    if isinstance(legend, str):  # list("abc") would label three lines "a", "b" and "c"
        raise UsageTypeError(
            f"legend must be a sequence of labels, one per line, got the string {legend!r}; "
            f"pass legend=[{legend!r}]"
        )
    if not isinstance(legend, Iterable) or getattr(legend, "ndim", 1) == 0:
        raise UsageTypeError(
            f"legend must be a sequence of labels, one per line, got {describe(legend)}; pass "
            "e.g. legend=['train loss', 'test acc']"
        )
    return list(legend)


def _scales() -> tuple[str, ...]:
    """Return the scales set_axes takes: :data:`SCALES`, then any other matplotlib has registered
    ("asinh", one of the user's own) that needs no argument, as the book's set_axes passes any."""
    matplotlib_module()
    from matplotlib import scale

    # "function" and "functionlog" need functions=, which set_axes cannot pass
    extra = set(scale.get_scale_names()) - {*SCALES, "function", "functionlog"}
    return (*SCALES, *sorted(extra))


def plot(
    X: Any,
    Y: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = BOOK_FMTS,
    figsize: tuple[float, float] = (3.5, 2.5),
    axes: Axes | None = None,
) -> Axes:
    """Plot one or several curves on ``axes`` (default: the current axes) and return the axes.

    Args:
        X: x values (n,), or a list of them, one per curve; with ``Y=None`` these are the y values.
        Y: y values (n,), or a list of them, one per curve; a single X is shared by every curve.
            ``None`` in a list is a missing value, a gap in the line (as matplotlib draws it).
        xlabel, ylabel, xlim, ylim, xscale, yscale, legend: as in :func:`set_axes`.
        fmts: matplotlib format strings, used in turn (cycled when there are more curves), or
            one string, ``fmts='o'``, for every curve.
        figsize: the figure's (width, height) in inches, as in :func:`set_figsize`.
        axes: the matplotlib ``Axes`` to draw on (``None``: the current one; in a notebook
            whose figures stay open across cells, ``%matplotlib notebook``, a new figure
            rather than one an earlier cell drew, as :func:`~linearnets.plotting._notebook.current_axes`
            says).

    Returns:
        The matplotlib ``Axes`` drawn on.

    Values or limits near float64's ends that matplotlib cannot draw in the figure (its ticks or
    margins overflow: see :func:`~linearnets.plotting._drawable.view_error`) are refused before the
    axes are cleared.

    See D2L §2.4.
    """
    fmts = check_fmts("fmts", fmts)
    lines = curves(X, Y)
    # before the axes are cleared; a legend given as a generator is read here, once
    xlim, ylim, legend = check_axes_settings(xlim, ylim, xscale, yscale, legend)
    rc = matplotlib_module().rcParams
    before_size = rc["figure.figsize"]
    set_figsize(figsize)  # before current_axes, which may make the figure
    try:
        labels = (xlabel or "", ylabel or "")
        axes = _checked_axes(axes, lines, (xlim, ylim), (xscale, yscale), labels, Y is None)
    except UsageError:  # a refused plot leaves the size of new figures as it was
        rc["figure.figsize"] = before_size
        raise
    axes.cla()
    _draw(axes, lines, fmts)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    fig = axes.figure.figure  # the root figure: a subfigure's is the figure holding it
    if in_notebook() and getattr(fig.canvas, "manager", None) is not None:  # pyplot's figure
        from linearnets.plotting._live_output import show_at_cell_end

        # shown (and closed) at the cell end where the kernel's backend would not (MPLBACKEND=Agg),
        # as show_images' grids are
        show_at_cell_end(fig)
    return axes


def _checked_axes(
    axes: Axes | None,
    lines: list[tuple[Any, Any]],
    lims: tuple[Any, Any],
    scales: tuple[str, str],
    labels: tuple[str, str],
    y_in_x: bool,
) -> Axes:
    """Return the axes ``plot`` draws on (``axes``, else the current ones), once the curves are
    known to draw there (:func:`_refuse_undrawable`); a figure made for them is let go if not."""
    if axes is None:
        before = pyplot().get_fignums()
        axes = current_axes()  # in a notebook, a figure of this cell (see current_axes)
        made = axes.figure.figure.number not in before  # at the figsize given
        try:
            _refuse_undrawable(axes, lines, lims, scales, labels, y_in_x, sized=made)
        except UsageError:
            if made:  # no empty figure left in pyplot
                pyplot().close(axes.figure.figure)
            raise
    elif not hasattr(axes, "cla"):
        raise UsageTypeError(
            f"axes must be a matplotlib Axes, got {type(axes).__name__}; pass e.g. plt.gca()"
        )
    else:
        _refuse_undrawable(axes, lines, lims, scales, labels, y_in_x, sized=False)
    return axes


def _draw(axes: Axes, lines: list[tuple[Any, Any]], fmts: Sequence[str]) -> None:
    """Draw each curve (x, y) on ``axes``, against its indices where x is empty, cycling ``fmts``."""
    for (x, y), fmt in zip(lines, itertools.cycle(fmts)):
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)


def _refuse_undrawable(
    target: Axes,
    lines: list[tuple[Any, Any]],
    lims: tuple[Any, Any],
    scales: tuple[str, str],
    labels: tuple[str, str],
    y_in_x: bool,
    *,
    sized: bool,
) -> None:
    """Refuse curves or limits matplotlib cannot draw on ``target`` (``plt.savefig`` failed deep
    in its tick locator, or the axis left the points out: see
    :func:`~linearnets.plotting._drawable.view_error`), asked of a bare copy of it, so that ``target``
    is left as it was, with its ``labels``, and laid out (see
    :func:`~linearnets.plotting._undrawable.copy_error`). ``y_in_x``: the y values were passed
    as ``X``; ``sized``: ``plot`` made the figure, at its ``figsize``."""
    (xlim, ylim), (xscale, yscale) = lims, scales
    drawn = [(x if len(x) else np.arange(len(y)), y) for x, y in lines]
    if drawn_anywhere([x for x, _ in drawn], xlim, xscale) and drawn_anywhere(
        [y for _, y in drawn], ylim, yscale
    ):
        return
    limits = {"x": xlim, "y": ylim}
    with np.errstate(all="ignore"):  # matplotlib's margins around values it cannot draw
        copy = copy_view(target, drawn, scales, limits, labels=labels)
        engine = target.figure.figure.get_layout_engine()
        failed = copy_error(copy, limits, engine)
    if failed is not None:
        data = "X" if failed.axis == "x" or y_in_x else "Y"
        given = limits[failed.axis]
        name = data if given is None else f"{failed.axis}lim"
        name = f"{data} and {name}" if given is not None and None in given else name
        resized_by = root_call(target)
        message = undrawable_message(
            copy, failed, name, drawn, limits, sized=sized, resized_by=resized_by, engine=engine
        )
        raise UsageError(message)
