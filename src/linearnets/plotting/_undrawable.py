"""What ``plot`` and ``Animator`` say of values or limits matplotlib cannot draw (see
:func:`~linearnets.plotting._drawable.view_error`), asked of a copy of the axes, laid out
as the figure's layout engine will lay it out (in a copy of the whole figure, where it has one):
the fixes offered (the values divided by a power of ten, a larger figure) are those the copy
draws.

See D2L §2.4 and §3.6.6.
"""

from __future__ import annotations

import contextlib
import copyreg
import inspect
import io
import math
import pickle
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from linearnets.plotting._drawable import Undrawable, view_error
from linearnets.plotting._mpl import matplotlib_module, new_figure
from linearnets.plotting._view import set_view

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["copy_error", "copy_view", "root_call", "undrawable_message"]

# room for the most ticks matplotlib places on an axis, 9: the fixes offered are tried there too
_LARGE_FIGURE = (30.0, 20.0)


def copy_view(
    ax: Axes,
    lines: Sequence[tuple[Any, Any]],
    scales: tuple[str, str],
    limits: Mapping[str, Any],
    *,
    size: tuple[float, float] | None = None,
    labels: tuple[str, str] | None = None,
) -> Axes:
    """Return a copy of ``ax``, at its place in a figure of its figure's size (or ``size``
    inches: in a copy of the whole figure where it has a layout engine, else a bare one), with
    ``lines`` (x, y) drawn, the ``scales`` and ``limits`` set (:func:`set_view`)
    and its labels (or ``labels``, (xlabel, ylabel)): what matplotlib can draw there is asked of
    it (:func:`copy_error`), leaving ``ax`` as it is. A subplot's copy stands in the same cell of
    a grid of the same shape, where a layout engine places it."""
    copy = _whole_copy(ax, size)
    if copy is None:
        alone = _alone(ax)
        copy = _bare_copy(ax, size)
        root: Any = copy.figure.figure
        root._linearnets_alone = alone
    for xs, ys in lines:
        copy.plot(xs, ys)
    set_view(copy, *scales, limits.get("x"), limits.get("y"))
    xlabel, ylabel = (ax.get_xlabel(), ax.get_ylabel()) if labels is None else labels
    copy.set_xlabel(xlabel)
    copy.set_ylabel(ylabel)
    return copy


def _whole_copy(ax: Axes, size: tuple[float, float] | None) -> Axes | None:
    """Return the copy of ``ax``, emptied, in a copy of its whole figure (of ``size`` inches, if
    given), where that figure has a layout engine: the other axes, subfigures and titles there
    take room in its layout, which a bare copy leaves out (a size offered for the lower of two
    axes in a tight figure was checked with the whole figure's room, and failed when followed).
    ``None`` where it has none, or :mod:`pickle` cannot copy it (an artist holding a lambda)."""
    pickled = _pickled(ax)
    if pickled is None:
        return None
    copied_root, copy = pickle.loads(pickled)
    if size is not None:
        copied_root.set_size_inches(size)
    copy.cla()  # as plot clears the axes it draws on
    return copy


def _pickled(ax: Axes) -> bytes | None:
    """Return the figure of ``ax`` and ``ax`` pickled (:class:`_FigurePickler`), where it has a
    layout engine and :mod:`pickle` can copy it, else ``None``."""
    root: Any = ax.figure.figure
    if root.get_layout_engine() is None:
        return None
    buffer = io.BytesIO()
    try:
        _FigurePickler(buffer, root).dump((root, ax))
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return buffer.getvalue()


# arrays of more elements are left out of a figure's copy, as empty ones: a laid-out figure's
# layout takes the room of axes, labels, titles and ticks, not of its images' pixels or its
# lines' points (a 3000 x 3000 image copied took 400 MB and 2 s for a check)
_ARRAY_KEPT = 4096


def _alone(ax: Axes) -> bool:
    """Return whether a bare copy of ``ax`` stands for a laid-out figure it cannot check sizes
    in: one with a layout engine (which a copy of ``ax`` alone leaves the other axes' room out
    of) that :mod:`pickle` cannot copy (an artist holding a lambda), or such a copy's."""
    root: Any = ax.figure.figure
    return bool(getattr(root, "_linearnets_alone", root.get_layout_engine() is not None))


class _FigurePickler(pickle.Pickler):
    """A pickler of a figure whose copy stays out of pyplot (matplotlib restores a pyplot
    figure's copy to pyplot, making it the current figure, or shows it where interactive), its
    arrays of more than :data:`_ARRAY_KEPT` elements copied empty."""

    def __init__(self, file: Any, root: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._root = root

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray) and obj.size > _ARRAY_KEPT:
            return np.zeros, ((0,) * obj.ndim, obj.dtype)
        if obj is not self._root:
            return NotImplemented
        state = obj.__getstate__()
        for key in ("_restore_to_pylab", "_restore_to_pcf"):  # 3.10 on, and before
            state.pop(key, None)
        return copyreg.__newobj__, (type(obj),), state  # type: ignore[attr-defined]


def _bare_copy(ax: Axes, size: tuple[float, float] | None) -> Axes:
    """Return a bare copy of ``ax`` alone, at its place in a figure of its figure's size (or
    ``size`` inches), in the same cell of a grid of the same shape where it is a subplot."""
    root: Any = ax.figure.figure  # the root figure: a subfigure's axes sit in it
    bounds = ax.bbox.transformed(root.transFigure.inverted()).bounds
    width, height = root.get_size_inches() if size is None else size
    fig = new_figure((width, height), managed=False)
    spec = ax.get_subplotspec()
    parent = _copy_subfigures(fig, ax.figure) if spec is not None else None
    if spec is None or parent is None:
        return fig.add_axes(bounds)
    copy = parent.add_subplot(_same_cell(parent, spec))
    # where it is now, before any layout (in a subfigure, a share of it)
    copy.set_position(bounds if parent is fig else ax.get_position().bounds)
    copy.set_in_layout(True)
    return copy


def _same_cell(fig: Any, spec: Any) -> Any:
    """Return the cell of a grid in ``fig`` (a figure or subfigure) like ``spec``'s in its own."""
    grid = spec.get_gridspec()
    cells = fig.add_gridspec(
        *grid.get_geometry(),
        width_ratios=grid.get_width_ratios(),
        height_ratios=grid.get_height_ratios(),
    )
    rows, cols = spec.rowspan, spec.colspan
    return cells[rows.start : rows.stop, cols.start : cols.stop]


def _copy_subfigures(fig: Any, figure: Any) -> Any:
    """Return the (sub)figure of ``fig`` standing where ``figure`` (an axes' figure) stands in
    its root: the subfigures it sits in copied, each in the same cell of its parent, as a layout
    engine lays them out; ``None`` where one has no cell (``add_subfigure`` of a bare spec)."""
    if figure is figure.figure:
        return fig
    spec = getattr(figure, "_subplotspec", None)
    parent = _copy_subfigures(fig, figure._parent) if spec is not None else None
    return None if parent is None else parent.add_subfigure(_same_cell(parent, spec))


def copy_error(copy: Axes, limits: Mapping[str, Any], engine: Any = None) -> Undrawable | None:
    """Return the first axis of ``copy`` (:func:`copy_view`) matplotlib cannot draw, as it is now
    and, where the figure copied has a layout engine (``engine``: its tight or constrained one,
    or ``"tight"`` for a figure laid out by ``tight_layout``, as ``Animator`` lays out its own),
    once a subplot's copy is laid out by it: the axes a layout shrinks to make room for the
    labels have room for fewer ticks ([1e290, 1e300] on a log axis draws in a 3.5 x 1.5 inch
    figure, not once laid out with labels). A figure with none is checked as it is: a later
    ``plt.tight_layout()`` that leaves no room is matplotlib's to refuse."""
    failed = view_error(copy, limits)
    if failed is not None or copy.get_subplotspec() is None or engine is None:
        return failed
    fig: Any = copy.figure.figure  # the root: a subfigure's copy sits in one
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
    resized_by: str = "ax.figure",
    engine: Any = None,
) -> str:
    """Return the error for ``name`` (``"Y"``, or ``"ylim"`` for limits given) on the axis of
    ``ax`` that matplotlib cannot draw (``failed``: :func:`view_error` with ``limits``), drawing
    ``lines``; the fixes it offers are those a copy of ``ax`` draws. ``sized``: the figure is
    made for the call, so its ``figsize`` sizes it; else (``plot(axes=...)``, or onto a figure
    already made) ``set_size_inches`` of ``resized_by``, the code that gives the figure to resize
    (:func:`root_call` of the axes the user passed), does, at a size checked to draw, laid out by
    ``engine`` (the user's figure's layout engine, as :func:`copy_error` takes it: ``ax`` may be
    a bare copy, whose figure has none)."""
    root: Any = ax.figure.figure
    width, height = root.get_size_inches()
    scale = ax.get_xscale() if failed.axis == "x" else ax.get_yscale()
    text = (
        f"{name} cannot be drawn on a {scale} {failed.axis} axis in a {width:.3g} x {height:.3g} "
        f"inch figure: {failed.why}; "
    )
    if scale == "logit":  # values within (0, 1) whose ticks fail are too near 0 or 1
        where = "farther from 0 and 1" if failed.ticks else "within (0, 1)"
        return text + f"pass values {where}, or another scale"
    power = _power_of_ten(failed.low, failed.high, scale, _axis_values(lines, failed.axis))
    what = f"{name} and the values" if name in ("xlim", "ylim") else name
    scaled = (
        f"pass {what} divided by a power of ten, e.g. by {power:g}, saying so in the "
        f"{failed.axis}label"
    )
    fixes = [scaled] if power != 1 and _draws(ax, failed, lines, limits, power, engine) else []
    alone = not sized and bool(getattr(root, "_linearnets_alone", False))
    larger = _larger_size(ax, failed, lines, limits, 1.0, engine) if failed.ticks else None
    if alone and larger is not None:  # a size checked on the axes alone may fail when followed
        # (where no size draws the axes alone, none draws them beside the rest: not offered)
        fixes.append(
            "make the figure larger, with room for more ticks (pickle cannot copy this figure "
            "to check a size: one that draws its axes alone may not draw them laid out beside "
            "the rest)"
        )
    elif larger is not None:
        fixes.append(_resize(larger, sized=sized, root=resized_by))
    elif not fixes and power != 1 and not alone:
        both = _larger_size(ax, failed, lines, limits, power, engine)
        if both is not None:
            resize = _resize(both, sized=sized, root=resized_by).removeprefix("pass ")
            fixes.append(f"{scaled}, and {resize}")
    if not fixes:
        return text + f"pass {name} over fewer decades"
    if all(fix.startswith("pass ") for fix in fixes):
        return text + "pass " + ", or ".join(fix.removeprefix("pass ") for fix in fixes)
    return text + ", or ".join(fixes)


def root_call(ax: Axes) -> str:
    """Return the code that gives the figure ``ax`` sits in, to resize: ``ax.figure``, or where
    that is a subfigure (which has no ``set_size_inches``) the figure it sits in."""
    if ax.figure is ax.figure.figure:
        return "ax.figure"
    return "ax.get_figure(root=True)" if _gets_root(ax) else "ax.figure.figure"


def _gets_root(ax: Axes) -> bool:
    """Return whether ``ax.get_figure`` takes ``root=`` (matplotlib 3.10 on)."""
    return "root" in inspect.signature(ax.get_figure).parameters


def _resize(size: tuple[float, float], *, sized: bool, root: str = "ax.figure") -> str:
    """Return the fix of a figure made larger: by ``figsize`` where it sizes the figure, else
    by ``root`` (:func:`root_call`)."""
    if sized:
        return "pass a larger figsize, with room for more ticks"
    # figsize sizes only the figures plot makes
    return (
        "make the figure larger, with room for more ticks: "
        f"{root}.set_size_inches({size[0]:g}, {size[1]:g})"
    )


def _larger_size(
    ax: Axes,
    failed: Undrawable,
    lines: Sequence[tuple[Any, Any]],
    limits: Mapping[str, Any],
    power: float,
    engine: Any,
) -> tuple[float, float] | None:
    """Return the first of the figure's size twice, 4 and 8 times over (within 30 x 20 inches),
    then 30 x 20, at which a copy of ``ax`` draws the axis that ``failed`` (its values divided
    by ``power``) laid out by ``engine``, or ``None``."""
    width, height = ax.figure.figure.get_size_inches()
    sizes = [(width * k, height * k) for k in (2, 4, 8)]
    sizes = [s for s in sizes if s[0] <= _LARGE_FIGURE[0] and s[1] <= _LARGE_FIGURE[1]]
    for size in [*sizes, _LARGE_FIGURE]:
        if _draws(ax, failed, lines, limits, power, engine, size):
            return size
    return None


def _draws(
    ax: Axes,
    failed: Undrawable,
    lines: Sequence[tuple[Any, Any]],
    limits: Mapping[str, Any],
    power: float,
    engine: Any,
    size: tuple[float, float] | None = None,
) -> bool:
    """Return whether a copy of ``ax`` (in a figure of ``size``), laid out by ``engine``
    (:func:`copy_error`), draws the axis that ``failed`` with its values and limits divided by
    ``power``."""
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
