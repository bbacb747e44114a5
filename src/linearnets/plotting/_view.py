"""What an axis shows: its limits, those given and the rest fitted to the points drawn, as
:func:`set_axes`, ``plot`` and ``Animator`` draw them (whether matplotlib can draw them near
float64's ends: :mod:`linearnets.plotting._drawable`).

See D2L §2.4 and §3.6.6.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from linearnets.plotting._plot_args import decade_beside

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["autoscale", "fit_view", "logit_values", "set_view"]

# the scales matplotlib cannot fit to points none of which is below a value (the smallest
# positive point's): the limits it gives such an axis, and that value
_UNSCALABLE = {"log": (1.0, 10.0, np.inf), "logit": (1e-7, 1 - 1e-7, 1.0)}
# the ends of float64's numbers in (0, 1): its smallest, and 1 less the largest below 1
_SMALLEST, _BELOW_ONE = math.ulp(0.0), float(np.spacing(1.0)) / 2


def autoscale(ax: Axes) -> None:
    """Fit the axes' free limits to the points drawn (``ax.autoscale_view()``); a free log axis
    with no point above 0 (a loss of exactly 0) gets (1, 10), the limits matplotlib gives it,
    without its warning "Data has no positive values, and therefore cannot be log-scaled", which
    pointed at our line (a logit one with none in (0, 1): (1e-7, 1 - 1e-7), without "Data has no
    values between 0 and 1")."""
    drawn = ax.dataLim
    fit = {}
    for axis, minpos in (("x", drawn.minposx), ("y", drawn.minposy)):
        scale = getattr(ax, f"get_{axis}scale")()
        # a logit axis with no point in (0, 1) (an accuracy of 0): "Data has no values between
        # 0 and 1", and matplotlib's (1e-7, 1 - 1e-7) with its margins
        unscalable = scale in _UNSCALABLE and not minpos < _UNSCALABLE[scale][2]
        fit[axis] = not unscalable
        if unscalable and getattr(ax, f"get_autoscale{axis}_on")():
            low, high, _ = _UNSCALABLE[scale]
            getattr(ax, f"set_{axis}lim")(low, high, auto=None)  # still free: later points fit it
    ax.autoscale_view(scalex=fit["x"], scaley=fit["y"])
    for axis in ("x", "y"):
        if fit[axis] and getattr(ax, f"get_{axis}scale")() == "logit":
            _fit_logit_value(ax, axis)


def _fit_logit_value(ax: Axes, axis: str) -> None:
    """Widen a free logit axis that leaves out its points: matplotlib draws one value ``v``
    over (v / 10, 1 - v / 10) (with margins), which leaves out any above about 0.9 (an accuracy
    of 1, drawn at 1 - 1e-10, was drawn over (0.08, 0.92), an empty axes); such an axis is drawn
    over the mirror of that, (m / 10, 1 - m / 10) for the distance m of the points in (0, 1) from
    0 or 1 (those outside it, which it does not draw, left aside: a 2 among them kept it as
    matplotlib drew it), each end within float64's numbers in (0, 1): ``1 - 1e-17`` is 1, a
    view matplotlib inverts."""
    if not getattr(ax, f"get_autoscale{axis}_on")():
        return
    low, high = getattr(ax, f"get_{axis}lim")()
    values = logit_values(ax, axis)
    inside = values[(values > 0) & (values < 1)]
    if not inside.size:
        return
    data_low, data_high = float(inside.min()), float(inside.max())
    if 0 < low <= data_low and data_high <= high < 1:  # its view of 1e-300 reaches 1
        return
    ends = [end for end in (low, 1 - high) if end > 0]  # its view's, where within (0, 1)
    edge = min(data_low, 1 - data_high, *ends) / 10
    getattr(ax, f"set_{axis}lim")(max(edge, _SMALLEST), 1 - max(edge, _BELOW_ONE), auto=None)


def logit_values(ax: Axes, axis: str) -> Any:
    """Return the values of the lines of ``ax`` on ``axis`` that a logit axis can show: those in
    [0, 1] (its ends included, which it leaves out), as one float64 array."""
    data = [np.asarray(getattr(line, f"get_{axis}data")(), np.float64) for line in ax.lines]
    return np.concatenate([v[(v >= 0) & (v <= 1)] for v in data] + [np.zeros(0)])


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
