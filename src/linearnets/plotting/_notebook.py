"""How a Jupyter kernel shows pyplot's figures, so that each of ours shows once, in its cell.

The inline backend (Jupyter's default) shows every figure pyplot holds when the cell ends, then
closes it. The others (``%matplotlib notebook``'s nbagg, ``%matplotlib widget``'s ipympl, a GUI
window) show a figure as pyplot makes it and keep it open across cells until it is closed: a live
figure made there would show twice (the backend's, and the display updated in place), and a plot
drawn on "the current axes" would land in an earlier cell's figure, out of sight.

matplotlib and IPython are never imported here before a figure is asked for.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from linearnets.plotting._mpl import in_notebook, matplotlib_module, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["as_an_image", "current_axes", "current_cell", "shell", "unshown_pyplot_figure"]

# the cell in which plot() last drew on a figure (see current_axes)
_PLOTTED_IN = "_linearnets_plotted_in"


def shell() -> object:
    """Return IPython's running shell, ``None`` outside IPython (never imports it)."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython() if get_ipython is not None else None


def current_cell() -> object:
    """Return what tells the cell running now from the others: the id of the request a display
    goes to (ipykernel's), else IPython's execution count; ``None`` when neither is known."""
    running = shell()
    # the parent header of the display messages: the cell they are shown in
    header = getattr(getattr(running, "display_pub", None), "parent_header", None)
    if isinstance(header, dict) and header.get("msg_id"):
        return header["msg_id"]
    return getattr(running, "execution_count", None)


def unshown_pyplot_figure(figsize: tuple[float, float]) -> Figure:
    """Return a new figure of pyplot's that its backend does not show as it is made.

    Interactive backends show a figure made in interactive mode (``%matplotlib notebook`` turns
    it on) at once: nbagg as an output of its own, ipympl as a widget, a GUI backend as a window.
    It is made with interactive mode off instead, so a figure shown by a display of ours shows
    there alone; pyplot still holds it (``plt.gcf()``, ``plt.savefig``). The inline backend shows
    figures only when the cell ends, made either way.
    """
    plt = pyplot()
    matplotlib = matplotlib_module()
    interactive = matplotlib.is_interactive()
    matplotlib.interactive(False)
    try:
        return plt.figure(figsize=figsize)
    finally:
        matplotlib.interactive(interactive)


@contextlib.contextmanager
def as_an_image(fig: Figure) -> Iterator[None]:
    """Have IPython's ``display(fig)`` show ``fig`` as an image (PNG, SVG) while this lasts.

    Two hooks are set aside meanwhile: the figure's own ``_ipython_display_`` (a live figure's,
    which displays it through this), and the one IPython sets for every figure when its figure
    formats are chosen under nbagg (spelled "nbAgg", as ``MPLBACKEND=nbAgg`` or ``%matplotlib
    nbagg`` name it) or ipympl: that one shows the backend's own figure (``manager.reshow()``),
    a new one at each epoch, and, for a live figure whose ``show`` is its display, calls this
    display again without end.
    """
    matplotlib_module()
    from matplotlib.figure import Figure

    hook = vars(fig).pop("_ipython_display_", None)
    formatters = getattr(shell(), "display_formatter", None)
    formatter: Any = getattr(formatters, "ipython_display_formatter", None)
    # IPython's (not a stand-in's without one)
    printer = formatter.pop(Figure, None) if hasattr(formatter, "pop") else None
    try:
        yield
    finally:
        if printer is not None:
            formatter.for_type(Figure, printer)
        if hook is not None:
            fig._ipython_display_ = hook  # type: ignore[attr-defined]


def _shown_by_its_backend(fig: Figure) -> bool:
    """Return whether ``fig``'s backend shows it on its own (nbagg, ipympl, a GUI window): its
    figure manager has a ``show`` of its own, not the base class's (inline, Agg)."""
    matplotlib_module()
    from matplotlib.backend_bases import FigureManagerBase

    manager = fig.canvas.manager
    return manager is not None and type(manager).show is not FigureManagerBase.show


def current_axes() -> Axes:
    """Return the axes the book's ``plot`` draws on by default: pyplot's current ones (D2L §2.4).

    In a notebook whose backend keeps figures open across cells (nbagg), the current figure may
    be an earlier cell's, shown there: a new figure is made instead, so the plot shows in the cell
    that drew it, as with the inline backend, whose figures each cell's end closes. The current
    figure is kept when it holds nothing drawn yet (``plt.figure()`` just before) or when
    ``plot`` drew on it in this same cell (the book's ``plot`` clears the axes and draws again).
    """
    plt = pyplot()
    notebook = in_notebook()
    if notebook and plt.get_fignums():
        fig = plt.gcf()
        drawn = any(ax.has_data() for ax in fig.axes)
        if (
            drawn
            and _shown_by_its_backend(fig)
            and getattr(fig, _PLOTTED_IN, None) != current_cell()
        ):
            plt.figure()
    axes = plt.gca()
    if notebook:
        setattr(axes.figure, _PLOTTED_IN, current_cell())
    return axes
