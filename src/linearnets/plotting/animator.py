"""The book's ``Animator``, in any environment: lines updated in place, shown in a notebook or written to files.

See D2L §3.6.6 and :mod:`linearnets.plotting.live` for the modes.
"""

from __future__ import annotations

import contextlib
import itertools
import numbers
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting._drawable import Undrawable, draw_points, drawn_anywhere
from linearnets.plotting._live_output import LiveOutput, resolve_mode, warn_drawn_nowhere
from linearnets.plotting._mpl import check_out_path, pyplot
from linearnets.plotting._plot_args import check_figsize, check_fmts
from linearnets.plotting._undrawable import copy_error, copy_view, undrawable_message
from linearnets.plotting._view import fit_view
from linearnets.plotting.axes import BOOK_FMTS, check_axes_settings, set_axes
from linearnets.validation import check_positive_int, describe

__all__ = ["Animator"]


def _points(value: Any, name: str) -> list[tuple[Any, float | None]]:
    """Return each value of a number, a sequence, a tensor or an array, paired with its float.

    The values are kept as given, as the book's ``add`` keeps them: an int stays an int, a 0-d
    tensor a tensor, and a tensor or an array of several gives its elements (0-d tensors, NumPy
    numbers), as the book's ``zip`` over it does. The floats, converted once here, are what the
    lines draw (a tensor that requires grad or sits on a GPU draws as its number). A 0-d value gives
    one item; ``None`` items are kept, with ``None`` (``add`` skips them, as the book does).
    """
    if isinstance(value, str | bytes | Mapping):  # a dict would be iterated by its keys
        raise UsageTypeError(
            f"{name} must be a number or a sequence of numbers (one per line), got "
            f"{value!r:.60}; pass e.g. add(epoch, (loss, acc))"
        )
    if hasattr(value, "ndim") and value.ndim > 0:
        items = list(value.reshape(-1))  # (n,): the book's zip gives a 1-d one's elements
    elif hasattr(value, "__len__") and not hasattr(value, "ndim"):
        items = list(value)
    else:
        return [(value, _number(name, value))]
    return [(v, _number(f"{name}[{i}]", v)) for i, v in enumerate(items)]


def _number(name: str, value: Any) -> float | None:
    """Return ``value`` (a real number, a one-element tensor or array) as a float; ``None`` stays."""
    if value is None:
        return None
    if hasattr(value, "item"):  # a tensor or NumPy scalar of one element
        with contextlib.suppress(ValueError, RuntimeError):  # not one element: refused below
            value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UsageTypeError(
            f"{name} must be a real number or None, got {describe(value)}; pass e.g. "
            "add(epoch, (loss, acc)) with one number per line"
        )
    return float(value)


class Animator:
    """Plot data in animation: add points to lines and redraw (the book's class, in any environment).

    Args:
        xlabel, ylabel, legend, xlim, ylim, xscale, yscale, fmts, nrows, ncols, figsize: as in the book;
            lines are drawn on the first of the ``nrows * ncols`` axes. ``fmts`` may also be one
            format string for every line (``fmts='r-'``).
        out: where the "file" mode writes the figure, a ``.png`` path; an ``.svg`` is written next to it.
        mode: "auto", "notebook", "file" or "none" (see :mod:`linearnets.plotting.live`).

    A log axis refuses limits at or below 0; equal limits are widened (see
    :func:`~linearnets.plotting._plot_args.check_limits`); limits matplotlib cannot draw in this
    figure are refused (see :func:`~linearnets.plotting._drawable.view_error`). Where it cannot draw
    the axis around the values added (a loss diverging to 1.7e308), those beyond a bound are drawn
    at it, the line flat there, unmarked (see :func:`~linearnets.plotting._drawable.draw_points`);
    ``X`` and ``Y`` keep them. ``add`` never raises for what it cannot draw: where no bound draws
    with the limits given (the figure made smaller since), the axis is fitted to the points
    instead, with one warning; where none draws an axis with no limits given, it warns once and
    draws on. On a logit axis, 0 and 1 are drawn within (0, 1) (see ``draw_points``).

    Attributes:
        X, Y: one list of x values and one of y values per line, as given to ``add`` (an int stays
            an int, a tensor a tensor, as the book keeps them; ``None`` before the first ``add``).
        fig, axes, lines: the matplotlib figure, its flat list of axes and the ``Line2D`` of each line.

    See D2L §3.6.6.
    """

    def __init__(
        self,
        xlabel: str | None = None,
        ylabel: str | None = None,
        legend: Sequence[str] | None = None,
        xlim: Sequence[float] | None = None,
        ylim: Sequence[float] | None = None,
        xscale: str = "linear",
        yscale: str = "linear",
        fmts: Sequence[str] = BOOK_FMTS,
        nrows: int = 1,
        ncols: int = 1,
        figsize: tuple[float, float] = (3.5, 2.5),
        *,
        out: str | Path | None = None,
        mode: str = "auto",
    ) -> None:
        figsize = check_figsize("figsize", figsize)
        nrows = check_positive_int("nrows", nrows)
        ncols = check_positive_int("ncols", ncols)
        fmts = check_fmts("fmts", fmts)
        self.mode = resolve_mode(mode, has_out=out is not None)
        paths: list[Path] = []
        if out is not None:
            png = check_out_path("out", out, (".png", ".svg"))
            paths = [png.with_suffix(".png"), png.with_suffix(".svg")]
        self._output = LiveOutput(self.mode, paths, svg=True)  # the book's Animator draws SVG
        # checked before the figure is made: a bad setting leaves no empty figure in pyplot
        xlim, ylim, legend = check_axes_settings(xlim, ylim, xscale, yscale, legend)
        self.legend = legend or []
        self.fmts = fmts
        self.X: list[list[Any]] | None = None
        self.Y: list[list[Any]] | None = None
        self._drawn: list[tuple[list[float], list[float]]] = []  # each line's points, as floats
        self._drew: dict[str, tuple[float, float]] = {}  # the ranges they last drew within
        self._let_go: set[str] = set()  # the axes whose given limits were let go (warned once)
        self.fig = self._output.new_figure(figsize)
        self.axes = list(self.fig.subplots(nrows, ncols, squeeze=False).flat)
        self.lines: list[Any] = []
        self._markers: list[Any] = []  # each line's own marker (from its format string)
        self._settings = (xlabel, ylabel, xlim, ylim, xscale, yscale)
        self.config_axes()
        limits = {"x": xlim, "y": ylim}
        if not (drawn_anywhere([], xlim, xscale) and drawn_anywhere([], ylim, yscale)):
            # as laid out at the first add (tight_layout), the labels' room taken
            copy = copy_view(self.axes[0], [], (xscale, yscale), limits)
            self._refuse(copy_error(copy, limits, "tight"), [], close=True)
        # said once every setting passed (as LiveCurves): a refused call warns of nothing
        if mode == "auto" and self.mode == "none":  # a figure never to be seen
            warn_drawn_nowhere(
                "Animator",
                out_name="out",
                files="a PNG and an SVG rewritten at each add",
                saved_by="plt.savefig",  # pyplot's current figure, as the book's plt.subplots
            )

    def config_axes(self) -> None:
        """Apply the labels, limits, scales, legend and grid to the first axes."""
        xlabel, ylabel, xlim, ylim, xscale, yscale = self._settings
        legend = self.legend if self.lines else None  # a legend needs lines to label
        set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)

    def add(self, x: Any, y: Any) -> None:
        """Add one point to each line and redraw; ``y`` is a number or one number per line.

        ``x`` is one number shared by every line, or one per line; ``None`` in ``x`` or ``y`` skips that
        line's point (as in the book).
        """
        ys = _points(y, "y")
        xs = _points(x, "x")
        if len(xs) == 1:
            xs = xs * len(ys)
        if len(xs) != len(ys):
            raise UsageError(
                f"x must be one number or one per line ({len(ys)}), got {len(xs)}; "
                "pass add(epoch, (loss, acc)) or add((x1, x2), (y1, y2))"
            )
        if not self.X or not self.Y:  # the first add(), or X and Y set to None to start over
            self.X, self.Y, self._drawn = [], [], []
            self._drew.clear()  # the last run's ranges: its values are gone
        X, Y, drawn = self.X, self.Y, self._drawn
        while len(X) < len(ys):  # the first add(), or a later one bringing more lines
            X.append([])
            Y.append([])
            drawn.append(([], []))
        for i, ((a, a_float), (b, b_float)) in enumerate(zip(xs, ys, strict=True)):
            if a_float is not None and b_float is not None:
                X[i].append(a)
                Y[i].append(b)
                drawn[i][0].append(a_float)
                drawn[i][1].append(b_float)
        self._redraw(drawn)

    def _redraw(self, drawn: list[tuple[list[float], list[float]]]) -> None:
        ax = self.axes[0]
        new_lines = len(self.lines) < len(drawn)
        if new_lines:
            fmts = itertools.islice(itertools.cycle(self.fmts), len(self.lines), len(drawn))
            new = [ax.plot([], [], fmt)[0] for fmt in fmts]
            self._markers += [line.get_marker() for line in new]
            self.lines += new
            self.config_axes()  # the legend now has lines to label
        empty: list[tuple[list[float], list[float]]] = [([], [])] * (len(self.lines) - len(drawn))
        for line, marker, (xs, _) in zip(self.lines, self._markers, drawn + empty, strict=True):
            # a line of one point (after one epoch) has no length to draw: mark the point
            line.set_marker("o" if len(xs) == 1 else marker)
        self._fit(drawn + empty)
        if new_lines:
            # margins fitted to the labels once, not on every save (that would cost a second
            # draw); after the limits, which its draw needs (ylim=[1e300, None] on a log axis
            # was (1e300, 1) there); the axes it shrinks have room for fewer ticks: fitted again
            self.fig.tight_layout()
            self._fit(drawn + empty)
        self._output.publish(self.fig)

    def _fit(self, points: list[tuple[list[float], list[float]]]) -> None:
        """Draw the lines' points and fit the limits to them, on each ``add`` as the book redraws:
        a limit with one end None (``ylim=[0, None]``) fixes only that end, the other follows."""
        ax = self.axes[0]
        _, _, xlim, ylim, _, _ = self._settings
        limits = {"x": xlim, "y": ylim}
        failed = draw_points(
            ax, self.lines, points, lambda: fit_view(ax, xlim, ylim), limits, self._drew
        )
        if failed is None:
            return
        if limits[failed.axis] is None:  # none given to let go: drawn at the last bound
            self._warn_once(
                failed.axis,
                f"the {failed.axis} values added cannot be drawn in this figure: {failed.why}; "
                "the figure may fail to save (pass a larger figsize, or another "
                f"{failed.axis}scale)",
            )
            return
        # never refused mid-training: the axis is fitted to the points (drawn at the last
        # bound), its given end let go, said once
        free = {**limits, failed.axis: None}
        getattr(ax, f"set_autoscale{failed.axis}_on")(True)
        draw_points(ax, self.lines, points, lambda: fit_view(ax, free["x"], free["y"]), free)
        self._warn_once(
            failed.axis,
            f"{failed.axis}lim={list(limits[failed.axis])} cannot be drawn with the values "
            f"added in this figure: {failed.why}; the {failed.axis} axis is drawn fitted to "
            "the values instead (pass a larger figsize, or other limits, to draw them)",
        )

    def _warn_once(self, axis: str, message: str) -> None:
        """Warn of what ``add`` cannot draw on ``axis``, once per axis (not on every add)."""
        if axis not in self._let_go:
            self._let_go.add(axis)
            warnings.warn(message, UserWarning, stacklevel=5)

    def _refuse(
        self,
        failed: Undrawable | None,
        points: list[tuple[list[float], list[float]]],
        *,
        close: bool = False,
    ) -> None:
        """Raise, when made, where matplotlib cannot draw an axis of the limits given (``close``:
        the figure is let go first, as a bad setting leaves none in pyplot); an axis left to the
        points is drawn by :func:`~linearnets.plotting._drawable.draw_points`, whatever they are."""
        _, _, xlim, ylim, _, _ = self._settings
        limits = {"x": xlim, "y": ylim}
        if failed is None or limits[failed.axis] is None:
            return
        # laid out as the first add lays it out (tight_layout)
        message = undrawable_message(
            self.axes[0], failed, f"{failed.axis}lim", points, limits, engine="tight"
        )
        if close:
            self.close()
        raise UsageError(message)

    def close(self) -> None:
        """Release the figure: pyplot lets it go, in every mode (a script's figures piled up in
        it, "More than 20 figures have been opened"); the data (``X``, ``Y``) stays. In a notebook
        its display stays as it was."""
        pyplot().close(self.fig)
