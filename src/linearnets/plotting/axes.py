"""The book's plotting helpers with the book's signatures: figure size, axes setup, line plots.

See D2L §2.4.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting._mpl import as_numpy, in_notebook, pyplot
from linearnets.validation import describe

__all__ = ["BOOK_FMTS", "plot", "set_axes", "set_figsize", "use_svg_display"]

BOOK_FMTS = ("-", "m--", "g-.", "r:")


def use_svg_display() -> None:
    """Use the SVG format for inline figures in Jupyter; do nothing elsewhere.

    See D2L §2.4.
    """
    if not in_notebook():
        return
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # an old Jupyter without matplotlib-inline keeps its PNG figures
        return
    set_matplotlib_formats("svg")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set the default size (width, height) in inches of new matplotlib figures.

    See D2L §2.4.
    """
    import matplotlib

    figsize = check_figsize("figsize", figsize)
    use_svg_display()
    matplotlib.rcParams["figure.figsize"] = figsize


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

    Limits and legend left as ``None`` keep matplotlib's automatic choice.

    See D2L §2.4.
    """
    if not hasattr(axes, "set_xlabel"):
        raise UsageTypeError(
            f"axes must be a matplotlib Axes, got {type(axes).__name__}; pass e.g. plt.gca()"
        )
    xlim, ylim = _check_limits("xlim", xlim), _check_limits("ylim", ylim)
    for name, scale in (("xscale", xscale), ("yscale", yscale)):
        if scale not in _SCALES:
            raise UsageError(f"{name} must be one of {', '.join(_SCALES)}, got {scale!r}")
    if isinstance(legend, str):  # list("abc") would label three lines "a", "b" and "c"
        raise UsageTypeError(
            f"legend must be a sequence of labels, one per line, got the string {legend!r}; "
            f"pass legend=[{legend!r}]"
        )
    axes.set_xlabel(xlabel or "")
    axes.set_ylabel(ylabel or "")
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    # the book calls grid() with no argument, which toggles; on a reused Axes that would flicker
    axes.grid(True)


_SCALES = ("linear", "log", "symlog", "logit")


def check_figsize(name: str, figsize: Any) -> tuple[float, float]:
    """Return ``figsize`` as (width, height) in inches if both are finite and > 0, else raise."""
    try:
        width, height = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise UsageTypeError(
            f"{name} must be (width, height) in inches, got {figsize!r:.40}; pass e.g. "
            f"{name}=(3.5, 2.5)"
        ) from None
    if not all(math.isfinite(v) and 0 < v <= 100 for v in (width, height)):
        raise UsageError(
            f"{name} must be (width, height) in inches, each in (0, 100], got {figsize!r:.40}; "
            f"pass e.g. {name}=(3.5, 2.5)"
        )
    return width, height


def check_fmts(name: str, fmts: Any) -> tuple[str, ...]:
    """Return ``fmts`` as a tuple if it is a non-empty sequence of matplotlib format strings, else raise."""
    # a string would be cycled character by character
    if isinstance(fmts, str) or not isinstance(fmts, Sequence) or not fmts:
        raise UsageError(
            f"{name} must be a non-empty sequence of format strings, got {fmts!r:.60}; pass e.g. "
            f"{name}=('-', 'm--')"
        )
    for i, fmt in enumerate(fmts):
        reason = "not a string" if not isinstance(fmt, str) else _fmt_error(fmt)
        if reason:
            raise (UsageError if isinstance(fmt, str) else UsageTypeError)(
                f"{name}[{i}] must be a matplotlib format string such as '-', 'm--' or 'g-.', got "
                f"{fmt!r:.40} ({reason}); pass e.g. {name}=('-', 'm--')"
            )
    return tuple(fmts)


def _fmt_error(fmt: str) -> str:
    """Return why matplotlib refuses the format string ``fmt``, or "" if it is valid."""
    try:
        from matplotlib.axes._base import _process_plot_format  # type: ignore[attr-defined]
    except ImportError:  # the helper moved: matplotlib will say it when drawing
        return ""
    try:
        _process_plot_format(fmt)
    except ValueError as exc:
        text = str(exc)
        return text[text.find("(") + 1 : text.rfind(")")] if "(" in text else text
    return ""


def _check_limits(name: str, limits: Any) -> Any:
    """Return axis limits if they are None or two finite, different numbers (low, high), else raise."""
    if limits is None:
        return None
    try:
        low, high = (float(v) for v in limits)
    except (TypeError, ValueError):
        raise UsageTypeError(
            f"{name} must be two numbers (low, high), got {limits!r:.40}; pass e.g. {name}=[0, 1]"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        raise UsageError(
            f"{name} must be two different finite numbers (low, high), got {limits!r:.40}; pass "
            f"e.g. {name}=[0, 1]"
        )
    return low, high


def _has_one_axis(X: Any) -> bool:
    if hasattr(X, "ndim"):
        return bool(X.ndim == 1)
    return isinstance(X, list | tuple) and len(X) > 0 and not hasattr(X[0], "__len__")


def _check_many(name: str, value: Any) -> None:
    """Raise unless ``value`` is a list/array/tensor of numbers or a list of them (not a number)."""
    if isinstance(value, str | bytes | Mapping) or not (
        hasattr(value, "__len__") and getattr(value, "ndim", 1) >= 1
    ):
        raise UsageTypeError(
            f"{name} must be a list, array or tensor of numbers, or a list of them (one per curve), "
            f"got {describe(value)}; pass e.g. plot([1, 2, 3], [4, 5, 6])"
        )


def _curve(name: str, values: Any) -> np.ndarray:
    """Return one curve's values as a 1-d NumPy array of real numbers, or raise naming ``name``."""
    try:
        arr = as_numpy(values)
    except (TypeError, ValueError, RuntimeError):  # ragged lists, tensors needing grad, ...
        arr = np.asarray(None)
    if arr.dtype.kind not in "biuf" or arr.ndim != 1:
        raise UsageTypeError(
            f"{name} must be a 1-d list, array or tensor of real numbers, got {describe(values)}; "
            "pass one sequence of numbers per curve"
        )
    return arr


def _curves(X: Any, Y: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (x, y) per curve, the book's way: one X for every Y, Y alone against its indices."""
    _check_many("X", X)
    if Y is not None:
        _check_many("Y", Y)
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) == 1 and len(Y) > 1:
        X = list(X) * len(Y)
    if len(X) != len(Y):
        raise UsageError(
            f"X and Y must hold the same number of curves (or X just one), got {len(X)} and "
            f"{len(Y)}; pass one x sequence per y sequence"
        )
    curves = []
    for i, (x, y) in enumerate(zip(X, Y, strict=True)):
        xs, ys = _curve(f"X[{i}]", x), _curve(f"Y[{i}]", y)
        if len(xs) and len(xs) != len(ys):
            raise UsageError(
                f"X[{i}] and Y[{i}] must have the same length (one x per y), got {len(xs)} and "
                f"{len(ys)}; pass as many x values as y values"
            )
        curves.append((xs, ys))
    return curves


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
    axes: Any = None,
) -> Any:
    """Plot one or several curves on ``axes`` (default: the current axes) and return the axes.

    Args:
        X: x values (n,), or a list of them, one per curve; with ``Y=None`` these are the y values.
        Y: y values (n,), or a list of them, one per curve; a single X is shared by every curve.
        fmts: matplotlib format strings, used in turn (cycled when there are more curves).

    Returns:
        The matplotlib ``Axes`` drawn on.

    See D2L §2.4.
    """
    fmts = check_fmts("fmts", fmts)
    curves = _curves(X, Y)
    set_figsize(figsize)
    if axes is None:
        axes = pyplot().gca()
    elif not hasattr(axes, "cla"):
        raise UsageTypeError(
            f"axes must be a matplotlib Axes, got {type(axes).__name__}; pass e.g. plt.gca()"
        )
    axes.cla()
    for (x, y), fmt in zip(curves, itertools.cycle(fmts)):
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    return axes
