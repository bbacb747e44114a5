"""What an axis shows: its limits fitted to the points, and whether matplotlib can draw them.

Near float64's ends matplotlib cannot draw every view. Its tick locators overflow (savefig fails:
"arange: cannot compute length" on a linear axis, "cannot convert float infinity to integer" on a
log one, whose ticks step as many decades past its ends as its few ticks need: in a figure with
room for two, as many as it spans), and where the margins it adds around the points leave
float64, it draws the axis elsewhere, leaving them out. Which views fail depends on the figure's
size; :func:`view_error` asks matplotlib itself, for ``plot`` (which refuses such a view) and the
live curves (which draw the values beyond a bound at it: :func:`draw_points`).

See D2L §2.4 and §3.6.6.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from linearnets.plotting._mpl import matplotlib_module, new_figure
from linearnets.plotting._plot_args import decade_beside

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DRAWN_BOUNDS",
    "Undrawable",
    "autoscale",
    "copy_error",
    "copy_view",
    "draw_points",
    "drawn_anywhere",
    "fit_view",
    "on_chart",
    "set_view",
    "undrawable_message",
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
# room for the most ticks matplotlib places on an axis, 9: the fixes offered are tried there too
_LARGE_FIGURE = (30.0, 20.0)


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


def autoscale(ax: Axes) -> None:
    """Fit the axes' free limits to the points drawn (``ax.autoscale_view()``); a free log axis
    with no point above 0 (a loss of exactly 0) gets (1, 10), the limits matplotlib gives it,
    without its warning "Data has no positive values, and therefore cannot be log-scaled", which
    pointed at our line."""
    drawn = ax.dataLim
    fit = {}
    for axis, minpos in (("x", drawn.minposx), ("y", drawn.minposy)):
        unscalable = getattr(ax, f"get_{axis}scale")() == "log" and not np.isfinite(minpos)
        fit[axis] = not unscalable
        if unscalable and getattr(ax, f"get_autoscale{axis}_on")():
            getattr(ax, f"set_{axis}lim")(1, 10, auto=None)  # still free: later points fit it
    ax.autoscale_view(scalex=fit["x"], scaley=fit["y"])


def fit_view(ax: Axes, xlim: Any, ylim: Any) -> None:
    """Fit the limits of ``ax`` that ``xlim`` and ``ylim`` (checked) leave open to the points.

    A free axis is fitted by :func:`autoscale`. Of a limit with one end ``None`` (``ylim=[0,
    None]``) the given end is kept and the other is the points' fit; on a log axis where that fit
    leaves no range beside the given end, as a loss of exactly 0 does (matplotlib kept its fit's
    (1, 10): ``ylim=[None, 0.5]`` showed an inverted (1, 0.5)), the other end is a decade from it.
    """
    partial = [(axis, lim) for axis, lim in (("x", xlim), ("y", ylim)) if _open_ended(lim)]
    for axis, _lim in partial:
        # not ax.autoscale(True, axis): its own fit warns on a log axis of zeros
        getattr(ax, f"set_autoscale{axis}_on")(True)
    autoscale(ax)
    for axis, (low, high) in partial:
        fit_low, fit_high = getattr(ax, f"get_{axis}lim")()
        drawn = (fit_low if low is None else low, fit_high if high is None else high)
        if getattr(ax, f"get_{axis}scale")() == "log" and drawn[0] >= drawn[1]:
            drawn = (
                decade_beside(high, below=True) if low is None else decade_beside(low, below=False)
            )
        getattr(ax, f"set_{axis}lim")(drawn)


def set_view(ax: Axes, xscale: str, yscale: str, xlim: Any, ylim: Any) -> None:
    """Set the scales and limits (checked) of ``ax`` as :func:`set_axes` does: the limits given,
    then the rest fitted to the points (:func:`fit_view`)."""
    # matplotlib fits an axis to the points as it sets its scale, and where they were just drawn,
    # as it next reads its limits: on a log axis of zeros, warning "Data has no positive values";
    # the fit due is made before, on the scale they were drawn on, and fit_view fits it without
    ax.get_xlim()
    for axis, scale in (("x", xscale), ("y", yscale)):
        auto = getattr(ax, f"get_autoscale{axis}_on")()
        getattr(ax, f"set_autoscale{axis}_on")(False)
        getattr(ax, f"set_{axis}scale")(scale)
        getattr(ax, f"set_autoscale{axis}_on")(auto)
    for axis, limits in (("x", xlim), ("y", ylim)):
        if limits is not None and None not in limits:
            getattr(ax, f"set_{axis}lim")(limits)
    fit_view(ax, xlim, ylim)


def _open_ended(limits: Any) -> bool:
    """Return whether axis limits (checked) give one end and leave the other to the points."""
    return limits is not None and (limits[0] is None) != (limits[1] is None)


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
        if points is not None and (
            (given[0] is None and points[0] < low) or (given[1] is None and points[1] > high)
        ):
            why = (
                f"the margins matplotlib adds around its values ({points[0]:.3g} to "
                f"{points[1]:.3g}) leave float64, and it draws the axis over ({low:.3g}, "
                f"{high:.3g}) instead, leaving them out"
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
            why = f"matplotlib's ticks over ({low:.3g}, {high:.3g}) overflow float64 ({exc})"
            return Undrawable(axis, why, low, high, ticks=True)
        except (ValueError, OverflowError) as exc:
            why = (
                f"matplotlib cannot place its ticks over ({low:.3g}, {high:.3g}) in this "
                f"figure, so savefig fails ({type(exc).__name__}: {exc})"
            )
            return Undrawable(axis, why, low, high, ticks=True)
    return None


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
    """Return the finite (low, high) of the points on ``axis`` that its scale shows, if any."""
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
    it, a sixteenth of its decades at a time. ``drew`` holds the (low, high) each axis last drew at (its
    ladder starts there: a diverging loss redrawn on each add is not asked of matplotlib at each
    bound again) and is updated. Return what matplotlib still cannot draw at the last bound,
    else ``None``.
    """
    drew = {} if drew is None else drew
    steps = {axis: _ranges(ax, axis, limits.get(axis), drew.get(axis)) for axis in ("x", "y")}
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
            drew.update(ranges)
            return None
        following = next(steps[failed.axis], None)
        if following is None:
            return failed
        ranges[failed.axis] = following


def _ranges(ax: Axes, axis: str, given: Any, start: tuple[float, float] | None) -> Any:
    """Yield the (low, high) values on ``axis`` of ``ax`` are drawn within, tried in turn by
    :func:`draw_points`: none, its scale's :data:`DRAWN_BOUNDS` (on a log axis, a range within
    ``given``'s end included), then, on a log axis with one end given, the other halving its
    decades to it in :data:`_GIVEN_END_STEPS` steps; from ``start`` on, where given."""
    scale = getattr(ax, f"get_{axis}scale")()
    low, high = given if given is not None else (None, None)
    ranges: list[tuple[float, float]] = [(-math.inf, math.inf)]
    for bound in DRAWN_BOUNDS.get(scale, DRAWN_BOUNDS["log"]):  # symlog, asinh: the log one's
        ranges.append((1 / bound if scale == "log" else -bound, bound))
    if scale == "log" and (low is None) != (high is None):
        ranges = [(min(lo, low or lo), max(hi, high or hi)) for lo, hi in ranges]
        lo, hi = ranges[-1]
        span = math.log10(hi) - math.log10(lo)
        end = next(v for v in (low, high) if v is not None)
        for step in range(1, _GIVEN_END_STEPS):
            far = 10 ** (span * (1 - step / _GIVEN_END_STEPS))
            ranges.append((lo, end * far) if low is not None else (end / far, hi))
    if start is not None and start in ranges:
        ranges = ranges[ranges.index(start) :]
    yield from ranges


def _clip(values: Sequence[float], scale: str, low: float, high: float) -> Any:
    """Return ``values`` with each finite one beyond (low, high) drawn at it, as
    :func:`on_chart` does: on a linear axis (and symlog, asinh) (-high, high); on a log one each
    positive one below ``low`` at that."""
    if high == math.inf:
        return values
    if scale != "log":
        return on_chart(values, scale, high)
    array = np.asarray(values, dtype=np.float64)
    drawn = np.where(array > 0, np.clip(array, low, high), np.maximum(array, -high))
    return np.where(np.isfinite(array), drawn, array)


def copy_view(
    ax: Axes,
    lines: Sequence[tuple[Any, Any]],
    scales: tuple[str, str],
    limits: Mapping[str, Any],
    *,
    size: tuple[float, float] | None = None,
    labels: tuple[str, str] | None = None,
) -> Axes:
    """Return a bare copy of ``ax``, at its place in a figure of its figure's size (or ``size``
    inches), with ``lines`` (x, y) drawn, the ``scales`` and ``limits`` set (:func:`set_view`)
    and its labels (or ``labels``, (xlabel, ylabel)): what matplotlib can draw there is asked of
    it (:func:`copy_error`), leaving ``ax`` as it is. A subplot's copy stands in the same cell of
    a grid of the same shape, where a layout engine places it."""
    root: Any = ax.figure.figure  # the root figure: a subfigure's axes sit in it
    bounds = ax.bbox.transformed(root.transFigure.inverted()).bounds
    width, height = root.get_size_inches() if size is None else size
    fig = new_figure((width, height), managed=False)
    spec = ax.get_subplotspec() if ax.figure is root else None
    if spec is None:
        copy = fig.add_axes(bounds)
    else:
        grid = spec.get_gridspec()
        cells = fig.add_gridspec(
            *grid.get_geometry(),
            width_ratios=grid.get_width_ratios(),
            height_ratios=grid.get_height_ratios(),
        )
        rows, cols = spec.rowspan, spec.colspan
        copy = fig.add_subplot(cells[rows.start : rows.stop, cols.start : cols.stop])
        copy.set_position(bounds)  # where it is now, before any layout
        copy.set_in_layout(True)
    for xs, ys in lines:
        copy.plot(xs, ys)
    set_view(copy, *scales, limits.get("x"), limits.get("y"))
    xlabel, ylabel = (ax.get_xlabel(), ax.get_ylabel()) if labels is None else labels
    copy.set_xlabel(xlabel)
    copy.set_ylabel(ylabel)
    return copy


def copy_error(copy: Axes, limits: Mapping[str, Any], engine: Any = None) -> Undrawable | None:
    """Return the first axis of ``copy`` (:func:`copy_view`) matplotlib cannot draw, as it is now
    and once laid out (a subplot's: by ``engine``, the layout engine of the figure copied, else
    by ``tight_layout``, which a script may call before saving): the axes a layout shrinks to
    make room for the labels have room for fewer ticks ([1e290, 1e300] on a log axis draws in a
    3.5 x 1.5 inch figure, not once laid out with labels)."""
    failed = view_error(copy, limits)
    if failed is not None or copy.get_subplotspec() is None:
        return failed
    fig: Any = copy.figure
    matplotlib_module()
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine

    kind = type(engine) if isinstance(engine, ConstrainedLayoutEngine) else TightLayoutEngine
    params = engine.get() if isinstance(engine, kind) else {}
    with warnings.catch_warnings(), contextlib.suppress(ValueError, OverflowError):
        warnings.simplefilter("ignore")  # "Tight layout not applied": the copy stays as it is
        fig.set_layout_engine(kind(**params))
        fig.get_layout_engine().execute(fig)
    return view_error(copy, limits)


def undrawable_message(
    ax: Axes,
    failed: Undrawable,
    name: str,
    lines: Sequence[tuple[Any, Any]],
    limits: Mapping[str, Any],
    *,
    sized: bool = True,
) -> str:
    """Return the error for ``name`` (``"Y"``, or ``"ylim"`` for limits given) on the axis of
    ``ax`` that matplotlib cannot draw (``failed``: :func:`view_error` with ``limits``), drawing
    ``lines``; the fixes it offers are those a copy of ``ax`` draws. ``sized``: the figure is
    made for the call, so its ``figsize`` sizes it; else (``plot(axes=...)``, or onto a figure
    already made) ``ax.figure.set_size_inches`` does, at a size checked to draw."""
    root: Any = ax.figure.figure
    width, height = root.get_size_inches()
    scale = ax.get_xscale() if failed.axis == "x" else ax.get_yscale()
    text = (
        f"{name} cannot be drawn on a {scale} {failed.axis} axis in a {width:.3g} x {height:.3g} "
        f"inch figure: {failed.why}; "
    )
    if scale == "logit":
        return text + "pass values within (0, 1), or another scale"
    power = _power_of_ten(failed.low, failed.high, scale, _axis_values(lines, failed.axis))
    what = f"{name} and the values" if name in ("xlim", "ylim") else name
    scaled = (
        f"pass {what} divided by a power of ten, e.g. by {power:g}, saying so in the "
        f"{failed.axis}label"
    )
    fixes = [scaled] if power != 1 and _draws(ax, failed, lines, limits, power) else []
    larger = _larger_size(ax, failed, lines, limits, 1.0) if failed.ticks else None
    if larger is not None:
        fixes.append(_resize(larger, sized=sized))
    elif not fixes and power != 1:
        both = _larger_size(ax, failed, lines, limits, power)
        if both is not None:
            fixes.append(f"{scaled}, and {_resize(both, sized=sized).removeprefix('pass ')}")
    if not fixes:
        return text + f"pass {name} over fewer decades"
    if all(fix.startswith("pass ") for fix in fixes):
        return text + "pass " + ", or ".join(fix.removeprefix("pass ") for fix in fixes)
    return text + ", or ".join(fixes)


def _resize(size: tuple[float, float], *, sized: bool) -> str:
    """Return the fix of a figure made larger: by ``figsize`` where it sizes the figure."""
    if sized:
        return "pass a larger figsize, with room for more ticks"
    # figsize sizes only the figures plot makes
    return (
        "make the figure larger, with room for more ticks: "
        f"ax.figure.set_size_inches({size[0]:g}, {size[1]:g})"
    )


def _larger_size(
    ax: Axes,
    failed: Undrawable,
    lines: Sequence[tuple[Any, Any]],
    limits: Mapping[str, Any],
    power: float,
) -> tuple[float, float] | None:
    """Return the first of the figure's size twice, 4 and 8 times over (within 30 x 20 inches),
    then 30 x 20, at which a copy of ``ax`` draws the axis that ``failed`` (its values divided
    by ``power``), or ``None``."""
    width, height = ax.figure.figure.get_size_inches()
    sizes = [(width * k, height * k) for k in (2, 4, 8)]
    sizes = [s for s in sizes if s[0] <= _LARGE_FIGURE[0] and s[1] <= _LARGE_FIGURE[1]]
    for size in [*sizes, _LARGE_FIGURE]:
        if _draws(ax, failed, lines, limits, power, size):
            return size
    return None


def _draws(
    ax: Axes,
    failed: Undrawable,
    lines: Sequence[tuple[Any, Any]],
    limits: Mapping[str, Any],
    power: float,
    size: tuple[float, float] | None = None,
) -> bool:
    """Return whether a copy of ``ax`` (in a figure of ``size``) draws the axis that ``failed``
    with its values and limits divided by ``power``."""
    px, py = (power, 1.0) if failed.axis == "x" else (1.0, power)
    with np.errstate(all="ignore"):  # a power that loses a point is not offered (_power_of_ten)
        scaled = [
            (np.asarray(xs, np.float64) / px, np.asarray(ys, np.float64) / py) for xs, ys in lines
        ]
    given = limits.get(failed.axis)
    if given is not None:
        given = tuple(None if v is None else v / power for v in given)
    scaled_limits = {**limits, failed.axis: given}
    scales = (ax.get_xscale(), ax.get_yscale())
    engine = ax.figure.figure.get_layout_engine()
    with np.errstate(all="ignore"):  # matplotlib's margins around values it cannot draw
        copy = copy_view(ax, scaled, scales, scaled_limits, size=size)
        again = copy_error(copy, scaled_limits, engine)
    return again is None or again.axis != failed.axis


def _axis_values(lines: Sequence[tuple[Any, Any]], axis: str) -> Any:
    """Return the finite values of ``lines`` (x, y) on ``axis``, as one float64 array."""
    arrays = [np.asarray(xs if axis == "x" else ys, np.float64).ravel() for xs, ys in lines]
    values = np.concatenate(arrays) if arrays else np.zeros(0)
    return values[np.isfinite(values)]


def _power_of_ten(low: float, high: float, scale: str, values: Any) -> float:
    """Return the power of ten that brings (low, high) around 1: their geometric middle on a log
    axis, else the larger magnitude's; or the nearest to it that keeps each of ``values`` (finite)
    finite, and on a log axis each above 0 above 0 (``1e300 / 1e-10`` is inf, which matplotlib
    leaves out); 1 where none does."""
    if scale == "log":
        power = 10.0 ** round((math.log10(low) + math.log10(high)) / 2)
    else:
        power = 10.0 ** math.floor(math.log10(max(abs(low), abs(high), 1.0)))
    largest = float(np.abs(values).max()) if values.size else 0.0
    if largest > 0:  # the smallest power that keeps it finite
        least = math.ceil(math.log10(largest) - math.log10(sys.float_info.max))
        power = max(power, 10.0**least)
    positive = values[values > 0]
    if scale == "log" and positive.size:  # the largest power that keeps the smallest above 0
        most = math.floor(math.log10(float(positive.min())) - math.log10(math.ulp(0.0)))
        power = min(power, 10.0 ** min(most, 308))
    return power if _keeps(values, power, scale) else 1.0


def _keeps(values: Any, power: float, scale: str) -> bool:
    """Return whether ``values`` divided by ``power`` stay finite (on a log axis, above 0)."""
    with np.errstate(all="ignore"):
        scaled = values / power
    return bool(np.isfinite(scaled).all()) and (
        scale != "log" or bool((scaled[values > 0] > 0).all())
    )
