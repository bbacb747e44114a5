"""The live curves' legend: in rows under the axes, where it never hides a point.

Inside the axes a legend at a fixed place hid the last epochs' points whenever they came there
(the accuracies at mid-height, right), and ``loc="best"`` searches every line for a free place on
each draw. Under the axes' x label nothing is drawn: the legend goes there, laid out once per set
of metrics, and the axes are raised by its height (the figure keeps its size; no layout engine,
which would cost a second draw on every save).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from linearnets.plotting._mpl import matplotlib_module

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

__all__ = ["legend_below"]

# between the x label and the legend, and the legend and the figure's edge, in font sizes
_GAP = 0.3
_MAX_BOTTOM = 0.6  # the axes keep at least the top 30% of a figure too small for the whole legend


def legend_below(fig: Figure, ax: Axes, handles: Sequence[Artist], *, bottom: float) -> None:
    """Draw the legend of ``handles`` under ``ax``'s x label, in as few rows as fit the figure's
    width, and raise the axes' bottom to make room for both (from ``bottom`` at least, a figure
    fraction); no handles: no legend, the axes' bottom at ``bottom``."""
    old = ax.get_legend()
    if old is not None:
        old.remove()
    if not handles:
        fig.subplots_adjust(bottom=bottom)
        return
    matplotlib_module()
    from matplotlib.backends.backend_agg import RendererAgg

    # the renderer a draw uses (Agg at the figure's dpi), measuring text only: nothing is drawn
    renderer = RendererAgg(int(fig.bbox.width), int(fig.bbox.height), fig.dpi)
    legend = _widest_that_fits(fig, ax, handles, renderer)
    # under the axes: their ticks, tick labels and x label, a gap, the legend's rows, a gap
    axis = ax.xaxis.get_tightbbox(renderer)
    under_axes = 0.0 if axis is None else ax.bbox.y0 - axis.y0
    gap = _GAP * legend.prop.get_size_in_points() * fig.dpi / 72
    height = legend.get_window_extent(renderer).height
    raised = (under_axes + 2 * gap + height) / fig.bbox.height
    fig.subplots_adjust(bottom=min(max(raised, bottom), _MAX_BOTTOM))


def _widest_that_fits(
    fig: Figure, ax: Axes, handles: Sequence[Artist], renderer: RendererAgg
) -> Legend:
    """Return ``ax``'s new legend of ``handles`` at the figure's bottom, centred under the axes,
    with the most entries per row that fit the width there (one per row if none do)."""
    box = fig.subplotpars
    center = (box.left + box.right) / 2  # under the axes, as the x label is
    room = 2 * min(center, 1 - center) * fig.bbox.width  # pixels, centred there
    for ncol in range(len(handles), 0, -1):
        legend = ax.legend(
            handles=list(handles),
            ncol=ncol,
            loc="lower center",
            bbox_to_anchor=(center, 0.0),
            bbox_transform=fig.transFigure,
            borderaxespad=_GAP,
            frameon=False,
        )
        if legend.get_window_extent(renderer).width <= room:
            break
    return legend
