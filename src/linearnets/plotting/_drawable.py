"""Whether matplotlib can draw an axis near float64's ends, and the live curves' values drawn
at a bound where it cannot.

Near float64's ends matplotlib cannot draw every view. Its tick locators overflow (savefig fails:
"arange: cannot compute length" on a linear axis, "cannot convert float infinity to integer" on a
log one, whose ticks step as many decades past its ends as its few ticks need: in a figure with
room for two, as many as it spans), and where the margins it adds around the points leave
float64, it draws the axis elsewhere, leaving them out. Which views fail depends on the figure's
size; :func:`view_error` asks matplotlib itself, for ``plot`` (which refuses such a view) and the
live curves (which draw the values beyond a bound at it: :func:`draw_points`); what ``plot``
says of it is in :mod:`linearnets.plotting._undrawable`.

See D2L §2.4 and §3.6.6.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from linearnets.plotting._view import logit_values

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DRAWN_BOUNDS",
    "Undrawable",
    "draw_points",
    "drawn_anywhere",
    "on_chart",
    "view_error",
]

# the bounds a live curve's values beyond are drawn at, tried in turn where matplotlib cannot
# draw the axis around them as they are (see draw_points); at the last it can in any figure, and
# without numpy's "overflow encountered" (measured from 0.3 x 0.3 to 30 x 20 inches): on a linear
# axis ±1e306 (at ±1e307 a small figure's tick steps reach 2e308), on a log one [1e-90, 1e90],
# whose view with matplotlib's margins, at most [1e-99, 1e99], keeps its ticks within 1e300
DRAWN_BOUNDS = {"linear": (1e307, 1e306), "log": (1e300, 1e200, 1e150, 1e90)}
# views whose ticks matplotlib places in a figure of any size, so not asked of it: a linear one
# spanning less than 1e307, a log one within [1e-100, 1e100] (its ticks, a span of decades past
# its ends at most, stay within 1e300)
_SAFE_VIEWS = {"linear": (-4e306, 4e306), "log": (1e-100, 1e100)}
# values and limits whose view, with margins of up to 50%, is one of those: plot draws them
# without asking matplotlib (a copy of the figure costs more than plot itself)
_PLAIN_VALUES = {"linear": (-1e306, 1e306), "log": (1e-50, 1e50)}
# the scales whose view holds every finite point (logit draws those in (0, 1) only)
_FITTED_SCALES = ("linear", "log", "symlog", "asinh")
# the steps a log axis's bound takes to its given other end, where no DRAWN_BOUNDS draws with it
_GIVEN_END_STEPS = 16
# the range a logit axis's values in [0, 1] are drawn within where matplotlib cannot draw them
# as they are (0 and 1 are its ends, and its margins around 1 - 1e-16 reach 1): it draws
# [1e-10, 1 - 1e-10] in any figure, and down to [1e-100, 1 - 1e-10] (measured from 0.3 x 0.3
# to 30 x 20 inches); its low end is the smallest value above 0 where that is lower, down to
# _LOGIT_LEAST (a 0 beside 1e-50 is drawn at 1e-50: at 1e-100, 0.35 to 0.87 beside it took
# 2 of the axis's 176 pixels)
_LOGIT_RANGE = (1e-10, 1 - 1e-10)
_LOGIT_LEAST = 1e-100


class Undrawable(NamedTuple):
    """An axis matplotlib cannot draw: which (``"x"`` or ``"y"``), why, the values it was asked to
    span (the view's ends, or the points' where its margins left them out), and whether its ticks
    are at fault (which a larger figure may place)."""

    axis: str
    why: str
    low: float
    high: float
    ticks: bool


def on_chart(values: Sequence[float], scale: str = "linear", bound: float = math.inf) -> Any:
    """Return ``values`` with each finite one beyond ``bound`` drawn at it, keeping its sign (on
    a log axis, each positive one below ``1 / bound`` at that); NaN and inf stay (matplotlib
    leaves them out). The values themselves are kept."""
    if bound == math.inf:
        return values
    array = np.asarray(values, dtype=np.float64)
    drawn = np.clip(array, -bound, bound)
    if scale == "log":
        drawn = np.where(drawn > 0, np.maximum(drawn, 1 / bound), drawn)
    return np.where(np.isfinite(array), drawn, array)


def view_error(ax: Axes, limits: Mapping[str, Any], *, warned: bool = False) -> Undrawable | None:
    """Return the first axis of ``ax`` matplotlib cannot draw as it is now (its limits, scales and
    size), or ``None``: its ticks, which savefig fails to place (``warned``: or places with
    numpy's warning "overflow encountered"), or, where an end is not given in ``limits``
    (``{"y": ylim}``), its points, which the view leaves out."""
    for axis in ("x", "y"):
        scale = getattr(ax, f"get_{axis}scale")()
        low, high = sorted(getattr(ax, f"get_{axis}lim")())
        given = limits.get(axis) or (None, None)
        points = _points_range(ax, axis, scale)
        view = f"({_shown(low, scale)}, {_shown(high, scale)})"
        if points is not None and (
            (given[0] is None and points[0] < low) or (given[1] is None and points[1] > high)
        ):
            values = f"({_shown(points[0], scale)} to {_shown(points[1], scale)})"
            why = (
                f"the margins matplotlib adds around its values {values} leave float64, and it "
                f"draws the axis over {view} instead, leaving them out"
                if scale != "logit"
                else f"its values {values} reach 0 or 1, which a logit axis leaves out, and it "
                f"draws the axis over {view}"
                if points[0] <= 0 or points[1] >= 1
                else f"it draws the axis over {view}, leaving out its values {values}"
            )
            return Undrawable(axis, why, *points, ticks=False)
        safe = _SAFE_VIEWS.get(scale)
        if safe is not None and safe[0] <= low and high <= safe[1]:
            continue
        ticks = getattr(ax, f"{axis}axis")
        try:  # what savefig does first: place the ticks and label them
            with np.errstate(all="ignore", over="raise" if warned else "ignore"):
                ticks.get_majorticklabels()
                ticks.get_minorticklabels()
        except FloatingPointError as exc:
            why = f"matplotlib's ticks over {view} overflow float64 ({exc})"
            return Undrawable(axis, why, low, high, ticks=True)
        except (ValueError, OverflowError) as exc:
            why = (
                f"matplotlib cannot place its ticks over {view} in this figure, so savefig fails "
                f"({type(exc).__name__}: {exc})"
            )
            return Undrawable(axis, why, low, high, ticks=True)
    return None


def _shown(value: float, scale: str) -> str:
    """Return an axis's ``value`` as a message shows it: ``.3g``, or on a logit axis, where that
    reads as 0 or 1 and it is not (0.9999 as ``1``, as if at the end that axis leaves out), as
    its ``repr``."""
    short = f"{value:.3g}"
    return (
        repr(float(value))
        if scale == "logit" and float(short) in (0, 1) and 0 < value < 1
        else short
    )


def drawn_anywhere(values: Sequence[Any], limits: Any, scale: str) -> bool:
    """Return whether an axis of ``scale`` showing ``values`` (arrays) within ``limits`` (checked)
    is drawn in a figure of any size, known without asking matplotlib (see :func:`view_error`)."""
    if scale not in _PLAIN_VALUES:
        return False
    low, high = _PLAIN_VALUES[scale]
    ends = [[v for v in limits if v is not None]] if limits is not None else []
    for array in (np.asarray(v, dtype=np.float64) for v in [*values, *ends]):
        shown = array[np.isfinite(array) & ((array > 0) if scale == "log" else True)]
        if shown.size and (shown.min() < low or shown.max() > high):
            return False
    return True


def _points_range(ax: Axes, axis: str, scale: str) -> tuple[float, float] | None:
    """Return the finite (low, high) of the points on ``axis`` that its scale shows, if any (on
    a logit axis: those in [0, 1], 0 and 1 included, which it leaves out)."""
    if scale == "logit":  # those in [0, 1]: it leaves out the rest
        shown = logit_values(ax, axis)
        return (float(shown.min()), float(shown.max())) if shown.size else None
    if scale not in _FITTED_SCALES:
        return None
    low, high = getattr(ax.dataLim, f"interval{axis}")
    if scale == "log":  # the smallest above 0: those below are not drawn
        low = getattr(ax.dataLim, f"minpos{axis}")
    return (low, high) if np.isfinite(low) and np.isfinite(high) and low <= high else None


def draw_points(
    ax: Axes,
    lines: Sequence[Any],
    points: Sequence[tuple[Sequence[float], Sequence[float]]],
    fit: Callable[[], None],
    limits: Mapping[str, Any],
    drew: dict[str, tuple[float, float]] | None = None,
) -> Undrawable | None:
    """Set each line's points (xs, ys) and fit the view to them (``fit()``).

    Where matplotlib cannot draw an axis around the values as they are (:func:`view_error`), those
    beyond a bound are drawn at it (:func:`on_chart`), at the first of its scale's
    :data:`DRAWN_BOUNDS` at which it can: as a loss diverging to 1.7e308 is drawn flat at 1e307 on
    a linear axis. On a log axis whose one end is given in ``limits``, where none of them draws
    with that end (``ylim=[1e-150, None]`` in a small figure), the other bound is brought towards
    it, a sixteenth of its decades at a time. ``drew`` holds the (low, high) each axis last drew
    at (its ladder starts there: a diverging loss redrawn on each add is not asked of matplotlib
    at each bound again; where no point lies beyond it, or the axes were resized, it starts from
    the widest again) and is updated. Return what matplotlib still cannot draw at the last
    bound, else ``None``.
    """
    drew = {} if drew is None else drew
    width, height = ax.bbox.size
    room = (float(width), float(height))  # the axes' pixels: their room for ticks
    if drew.get("room", room) != room:  # resized: the wider ranges may draw now
        drew.clear()
    steps = {
        axis: _ranges(ax, axis, limits.get(axis), _start(drew.get(axis), points, axis, ax), points)
        for axis in ("x", "y")
    }
    ranges = {axis: next(steps[axis]) for axis in ("x", "y")}
    while True:
        xscale, yscale = ax.get_xscale(), ax.get_yscale()
        for line, (xs, ys) in zip(lines, points, strict=True):
            line.set_data(_clip(xs, xscale, *ranges["x"]), _clip(ys, yscale, *ranges["y"]))
        ax.relim()
        with np.errstate(all="ignore"):  # matplotlib's margins around values it cannot draw
            fit()
            # a live figure, redrawn on each update: drawn without numpy's warnings too
            failed = view_error(ax, limits, warned=True)
        if failed is None:
            drew.update(ranges, room=room)
            return None
        following = next(steps[failed.axis], None)
        if following is None:
            return failed
        ranges[failed.axis] = following


def _start(
    drew: tuple[float, float] | None, points: Sequence[Any], axis: str, ax: Axes
) -> tuple[float, float] | None:
    """Return the range ``axis`` last drew within where the points still need it (a point lies
    beyond it), else ``None``: the ladder starts over from the widest (a new fit's values)."""
    if drew is None or drew[1] == math.inf:  # drawn as they are: none lies beyond (no scan)
        return None
    scale = getattr(ax, f"get_{axis}scale")()
    index = 0 if axis == "x" else 1
    for line in points:
        values = line[index]
        if not np.array_equal(_clip(values, scale, *drew), values, equal_nan=True):
            return drew
    return None


def _ranges(
    ax: Axes, axis: str, given: Any, start: tuple[float, float] | None, points: Sequence[Any]
) -> Any:
    """Yield the (low, high) values on ``axis`` of ``ax`` are drawn within, tried in turn by
    :func:`draw_points`: none, its scale's :data:`DRAWN_BOUNDS` (on a log axis, a range within
    ``given``'s end included; on a logit one, :func:`_logit_range` of ``points``), then, on a
    log axis with one end given, the other halving its decades to it in
    :data:`_GIVEN_END_STEPS` steps; from ``start`` on, where given."""
    scale = getattr(ax, f"get_{axis}scale")()
    low, high = given if given is not None else (None, None)
    ranges: list[tuple[float, float]] = [(-math.inf, math.inf)]
    if scale == "logit":
        ranges.append(_logit_range(points, axis))
    else:  # symlog, asinh: the log one's bounds
        for bound in DRAWN_BOUNDS.get(scale, DRAWN_BOUNDS["log"]):
            ranges.append((1 / bound if scale == "log" else -bound, bound))
    if scale == "log" and (low is None) != (high is None):
        ranges = [(min(lo, low or lo), max(hi, high or hi)) for lo, hi in ranges]
        ranges = _towards_end(ranges, low, high)
    if start is not None and start in ranges:
        ranges = ranges[ranges.index(start) :]
    yield from ranges


def _logit_range(points: Sequence[Any], axis: str) -> tuple[float, float]:
    """Return the range a logit axis's values in [0, 1] (of ``points``, (xs, ys) each, on
    ``axis``) are drawn within: :data:`_LOGIT_RANGE`, its low end lowered to the smallest value
    above 0 below it (not below :data:`_LOGIT_LEAST`), and its high end raised to the largest
    value below 1 above it (float64's nearest 1 is 1 - 1.1e-16), each drawn as it is."""
    index = 0 if axis == "x" else 1
    low, high = _LOGIT_RANGE
    for line in points:
        values = np.asarray(line[index], dtype=np.float64)
        inside = values[(values > 0) & (values < low)]
        if inside.size:
            low = float(inside.min())
        inside = values[(values > high) & (values < 1)]
        if inside.size:
            high = float(inside.max())
    return max(low, _LOGIT_LEAST), high


def _towards_end(
    ranges: list[tuple[float, float]], low: float | None, high: float | None
) -> list[tuple[float, float]]:
    """Return ``ranges`` (on a log axis, with ``low`` or ``high`` given) less those at or past
    the given end, which draw every point at it ([1e300, None]: 1e308 at 1e300), then the
    other bound halving its decades to the given end in :data:`_GIVEN_END_STEPS` steps, from
    the last one's (or float64's, where none is left), counted in decades: as a ratio, from
    1e-300 to 1e90, they pass 1e308."""
    if low is not None:
        ranges = [(lo, hi) for lo, hi in ranges if hi > low]
    elif high is not None:
        ranges = [(lo, hi) for lo, hi in ranges if lo < high]
    lo, hi = ranges[-1] if len(ranges) > 1 else (math.ulp(0.0), sys.float_info.max)
    for step in range(1, _GIVEN_END_STEPS):
        share = 1 - step / _GIVEN_END_STEPS
        if low is not None:
            ranges.append(
                (lo, 10 ** (math.log10(low) + share * (math.log10(hi) - math.log10(low))))
            )
        elif high is not None:
            ranges.append(
                (10 ** (math.log10(high) - share * (math.log10(high) - math.log10(lo))), hi)
            )
    return ranges


def _clip(values: Sequence[float], scale: str, low: float, high: float) -> Any:
    """Return ``values`` with each finite one beyond (low, high) drawn at it, as
    :func:`on_chart` does: on a linear axis (and symlog, asinh) (-high, high); on a log one each
    positive one below ``low`` at that; on a logit one each in [0, 1] (0 and 1 included)."""
    if high == math.inf:
        return values
    if scale == "logit":  # those outside [0, 1] it leaves out
        array = np.asarray(values, dtype=np.float64)
        return np.where((array >= 0) & (array <= 1), np.clip(array, low, high), array)
    if scale != "log":
        return on_chart(values, scale, high)
    array = np.asarray(values, dtype=np.float64)
    drawn = np.where(array > 0, np.clip(array, low, high), np.maximum(array, -high))
    return np.where(np.isfinite(array), drawn, array)
