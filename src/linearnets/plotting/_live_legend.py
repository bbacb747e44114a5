"""The live curves' legend: outside the axes, where it hides no point and no label, cut by no edge.

Inside the axes a legend at a fixed place hid the last epochs' points whenever they came there
(the accuracies at mid-height, right), and ``loc="best"`` searches every line for a free place on
each draw (and still covers points where there is none). Under the axes' x label nothing is
drawn: the legend goes there, in as few rows as the figure's width takes. Where those rows would
leave the curves less than 40% of the figure's height (many metrics, a small figure), it goes
right of the axes, in as few columns as the height takes, if they keep 40% of the width. Its font
shrinks, down to 6 points, before either place is given up. Then the axes give up more (down to
20%), and a name wider than the figure is shortened in its middle (``a very long…surely yes``;
not one drawn as math text, ``$...$``: cut, its TeX would not parse).
Where the figure cannot hold every metric's entry even so, the legend lists the first ones and
says how many it leaves out (``… and 12 more``): pass a larger ``figsize`` to see them all.

:func:`place_legend` lays it out, once per set of metrics and size of the figure (see
:meth:`~linearnets.plotting.live.LiveCurves.redraw`), and moves the axes' margins to make room for
it (the figure keeps its size; no layout engine, which would cost a second draw on every save).
The rows or columns that fit are counted from each name's measured width; only the legend chosen
is laid out, and measured again: it must fit as drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from linearnets.plotting._mpl import matplotlib_module

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

__all__ = ["place_legend"]

# between the axes' labels and the legend, and the legend and the figure's edge, in font sizes
_GAP = 0.3
# the legend's font, as a share of matplotlib's (10 points): smaller before it moves, down to 6
_SCALES = (1.0, 0.9, 0.8, 0.7, 0.6)
# the share of the figure's height (a legend below) or width (one to the right) the axes keep,
# then, where the legend fits nowhere with that, the least they keep
_SHARE, _LEAST_SHARE = 0.4, 0.2
_ELLIPSIS = "…"


def place_legend(
    fig: Figure, ax: Axes, handles: Sequence[Artist], *, bottom: float, right: float
) -> None:
    """Draw the legend of ``handles`` (their labels) outside ``ax``, where it covers nothing drawn
    and fits the figure, and move the axes' bottom (from ``bottom`` at least, a figure fraction)
    or right edge (``right`` where the legend is not there) to make room for it and for the x
    axis' labels. See the module's docstring for the places tried, in order."""
    old = ax.get_legend()
    if old is not None:
        old.remove()
    layout = _Layout(fig, ax, bottom=bottom, right=right)
    if not handles:
        fig.subplots_adjust(bottom=layout.label_room(0.0), right=right)
        return
    matplotlib_module()
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    labels = [str(handle.get_label()) for handle in handles]
    full = FontProperties(size=rcParams["legend.fontsize"]).get_size_in_points()
    # each name measured once, at the full size: its width at another is counted from it (see
    # _Layout.entries), and the legend chosen is measured as drawn
    widths = [layout.name_width(label, full) for label in labels]
    for scale in _SCALES:
        entries = layout.entries(handles, labels, full * scale, widths)
        if layout.below(entries) or layout.right(entries):
            return
    layout.share = _LEAST_SHARE  # nothing fits beside the axes: they give up more of the figure
    entries = layout.shortened(entries)
    if layout.below(entries) or layout.right(entries):
        return
    layout.some(entries)


class _Entries:
    """A legend's entries (``handles`` and their ``labels``) at a font ``size`` in points, each
    name's width measured (``names``), and the legend's spacing, all in pixels, from which the
    extent of any number of columns is counted."""

    def __init__(
        self,
        handles: Sequence[Artist],
        labels: Sequence[str],
        size: float,
        names: Sequence[float],
        spacing: tuple[float, float, float, float, float],
    ) -> None:
        self.handles, self.labels, self.size, self.names = list(handles), list(labels), size, names
        self.spacing = spacing
        # the border's padding, the space between rows and between columns, a marker and the
        # space after it, and a row's height and the space under it
        self.pad, self.row_space, self.column_space, self.handle, self.pitch = spacing

    def extent(self, ncol: int) -> tuple[float, float]:
        """Return the width and height of the legend in ``ncol`` columns: its entries dealt to the
        columns in order, the first ones a row longer where they do not divide (as matplotlib
        deals them)."""
        n = len(self.names)
        rows, longer = divmod(n, ncol)
        start, widths = 0, []
        for column in range(min(ncol, n)):
            end = start + rows + (column < longer)
            widths.append(max(self.names[start:end]) + self.handle)
            start = end
        width = sum(widths) + (len(widths) - 1) * self.column_space + 2 * self.pad
        height = -(-n // ncol) * self.pitch - self.row_space + 2 * self.pad
        return width, height

    def columns(self, fits: Callable[[float, float], bool], *, most: bool) -> Iterator[int]:
        """Yield the numbers of columns whose extent ``fits``, the most (or fewest) first."""
        counts = range(len(self.names), 0, -1) if most else range(1, len(self.names) + 1)
        return (ncol for ncol in counts if fits(*self.extent(ncol)))


class _Layout:
    """The figure and its axes, and the places a legend is tried in: one that fits is drawn
    there (the axes moved); one that does not changes nothing."""

    def __init__(self, fig: Figure, ax: Axes, *, bottom: float, right: float) -> None:
        matplotlib_module()
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.lines import Line2D
        from matplotlib.text import Text

        self.fig, self.ax, self.bottom, self.axes_right = fig, ax, bottom, right
        self.width, self.height = fig.bbox.width, fig.bbox.height
        # the renderer a draw uses (Agg at the figure's dpi), measuring text only: nothing drawn
        self.renderer = RendererAgg(int(self.width), int(self.height), fig.dpi)
        axis = ax.xaxis.get_tightbbox(self.renderer)
        # under the axes: their ticks, tick labels and x label
        self.under = 0.0 if axis is None else ax.bbox.y0 - axis.y0
        self.share = _SHARE
        self.text = Text()  # measures names, in the legend's font (see name_width)
        self.text.set_figure(fig)
        self.blank = Line2D([], [], linestyle="none")  # no line, no marker: an entry of words

    def entries(
        self, handles: Sequence[Artist], labels: Sequence[str], size: float, full: list[float]
    ) -> _Entries:
        """Return the entries of ``handles`` named ``labels`` at the font ``size``, the names
        ``full`` pixels wide at the legend's full size, and the spacing around them.

        The widest name is measured at ``size``, in a legend of its entry alone that gives the
        spacing: the others' widths are theirs at the full size times its ratio (text does not
        shrink in proportion with its font, its glyphs fitted to whole pixels).
        """
        widest = max(range(len(labels)), key=full.__getitem__)
        legend = self._legend(handles[widest : widest + 1], labels[widest : widest + 1], size, 1)
        width, height = self._extent(legend)
        px = size * self.fig.dpi / 72  # the font's size in pixels
        pad, row_space = legend.borderpad * px, legend.labelspacing * px
        name = legend.get_texts()[0].get_window_extent(self.renderer).width
        legend.remove()
        ratio = name / full[widest] if full[widest] else 0.0
        spacing = (
            pad,
            row_space,
            legend.columnspacing * px,
            width - 2 * pad - name,
            height - 2 * pad + row_space,
        )
        return _Entries(handles, labels, size, [w * ratio for w in full], spacing)

    def below(self, entries: _Entries) -> bool:
        """Under the x label, in as few rows as fit the figure's width, if the axes keep their
        share of the height."""
        gap = self._gap(entries)
        room = self.width - 2 * gap
        for ncol in entries.columns(lambda w, h: w <= room, most=True):
            if self._raised(entries.extent(ncol)[1], gap) is None:
                return False  # fewer columns are taller still
            legend = self._legend(entries.handles, entries.labels, entries.size, ncol)
            w, h = self._extent(legend)
            axes_bottom = self._raised(h, gap)
            if w > room or axes_bottom is None:
                legend.remove()
                continue
            self.fig.subplots_adjust(bottom=axes_bottom, right=self.axes_right)
            # under the axes' middle, as the x label is, unless that puts it past an edge
            middle = (self.fig.subplotpars.left + self.axes_right) / 2 * self.width
            x = min(max(middle, gap + w / 2), self.width - gap - w / 2)
            legend.set_loc("lower center")
            legend.set_bbox_to_anchor((x / self.width, gap / self.height), self.fig.transFigure)
            return True
        return False

    def right(self, entries: _Entries) -> bool:
        """Right of the axes, in as few columns as fit the figure's height, if the axes keep
        their share of the width."""
        gap = self._gap(entries)
        room, left = self.height - 2 * gap, self.fig.subplotpars.left
        for ncol in entries.columns(lambda w, h: h <= room, most=False):
            if (self.width - entries.extent(ncol)[0] - 2 * gap) / self.width - left < self.share:
                return False  # more columns are wider still
            legend = self._legend(entries.handles, entries.labels, entries.size, ncol)
            w, h = self._extent(legend)
            axes_right = (self.width - w - 2 * gap) / self.width
            if h > room or axes_right - left < self.share:
                legend.remove()
                continue
            self.fig.subplots_adjust(bottom=self.label_room(gap), right=axes_right)
            box = self.fig.subplotpars
            middle = (box.bottom + box.top) / 2 * self.height  # beside the axes' middle
            y = min(max(middle, gap + h / 2), self.height - gap - h / 2)
            legend.set_loc("center left")
            anchor = ((self.width - w - gap) / self.width, y / self.height)
            legend.set_bbox_to_anchor(anchor, self.fig.transFigure)
            return True
        return False

    def shortened(self, entries: _Entries) -> _Entries:
        """Return ``entries`` with each name too wide for the figure (in one column, below)
        shortened in its middle to the most characters that fit, its start and end kept."""
        # less a pixel: the legend chosen is measured again as laid out, and a cut fitted to the
        # room exactly could miss it by rounding (then every entry went into "… and N more")
        room = self.width - 2 * self._gap(entries) - 2 * entries.pad - entries.handle - 1.0
        labels = [
            self._shortened(label, entries.size, room) if width > room else label
            for label, width in zip(entries.labels, entries.names, strict=True)
        ]
        names = [self.name_width(label, entries.size) for label in labels]
        return _Entries(entries.handles, labels, entries.size, names, entries.spacing)

    def _shortened(self, label: str, size: float, room: float) -> str:
        """Return ``label`` shortened in its middle to the most characters that fit ``room``, or
        whole: a name drawn as math text (``$\\alpha$``, an even number of ``$``), cut, would be
        TeX that does not parse; and a name whose cut cannot be measured is not cut."""
        matplotlib_module()
        from matplotlib.cbook import is_math_text

        if is_math_text(label):
            return label
        shown = label.replace(r"\$", "$")  # as drawn: an escaped dollar shows bare
        try:
            return _cut(shown, self._most_kept(shown, size, room))
        except (ValueError, RuntimeError):  # the full name, rather than a run stopped
            return label

    def some(self, entries: _Entries) -> None:
        """Below, the most of the first entries that fit and one more saying how many are left
        out (``… and 12 more``); none where not even that fits: the figure cannot hold it."""
        low, high = 0, len(entries.labels) - 1  # the most entries kept that fit, bisected
        while low < high:
            kept = (low + high + 1) // 2
            low, high = (
                (kept, high) if self._fits_below(self._first(entries, kept)) else (low, kept - 1)
            )
        for kept in range(low, -1, -1):  # as drawn, it may take one fewer
            if self.below(self._first(entries, kept)):
                return
        self.fig.subplots_adjust(bottom=self.label_room(0.0), right=self.axes_right)

    def _first(self, entries: _Entries, kept: int) -> _Entries:
        """Return the first ``kept`` of ``entries`` and one saying how many more there are, their
        spacing measured again: a row as high as a name left out (one of 40 lines) made even
        ``… and 2 more`` alone too high for the figure."""
        more = f"{_ELLIPSIS} and {len(entries.labels) - kept} more"
        return self.entries(
            [*entries.handles[:kept], self.blank],
            [*entries.labels[:kept], more],
            entries.size,
            [*entries.names[:kept], self.name_width(more, entries.size)],
        )

    def _fits_below(self, entries: _Entries) -> bool:
        """Whether ``entries`` fit below, as counted (not laid out)."""
        room = self.width - 2 * self._gap(entries)
        ncol = next(entries.columns(lambda w, h: w <= room, most=True), None)
        return (
            ncol is not None
            and self._raised(entries.extent(ncol)[1], self._gap(entries)) is not None
        )

    def label_room(self, gap: float) -> float:
        """Return the axes' bottom that keeps the x axis' labels in the figure."""
        return max(self.bottom, (self.under + gap) / self.height)

    def _raised(self, height: float, gap: float) -> float | None:
        """Return the axes' bottom over a legend ``height`` pixels high under their labels, or
        ``None`` where it leaves the axes less than their share of the figure's height."""
        bottom = max(self.bottom, (self.under + 2 * gap + height) / self.height)
        return bottom if self.fig.subplotpars.top - bottom >= self.share else None

    def _gap(self, entries: _Entries) -> float:
        return _GAP * entries.size * self.fig.dpi / 72

    def _legend(
        self, handles: Sequence[Artist], labels: Sequence[str], size: float, ncol: int
    ) -> Legend:
        return self.ax.legend(
            handles=list(handles),
            labels=list(labels),
            ncol=ncol,
            fontsize=size,
            borderaxespad=0,
            frameon=False,
        )

    def _extent(self, legend: Legend) -> tuple[float, float]:
        box = legend.get_window_extent(self.renderer)
        return box.width, box.height

    def name_width(self, label: str, size: float) -> float:
        """Return the width of ``label`` in a legend's font of ``size`` points, in pixels."""
        self.text.set_text(label)
        self.text.set_fontsize(size)
        return float(self.text.get_window_extent(self.renderer).width)

    def _most_kept(self, label: str, size: float, room: float) -> int:
        """Return the most characters of ``label`` that :func:`_cut` keeps within ``room``."""
        low, high = 0, len(label) - 1
        while low < high:
            keep = (low + high + 1) // 2
            if self.name_width(_cut(label, keep), size) <= room:
                low = keep
            else:
                high = keep - 1
        return low


def _cut(name: str, keep: int) -> str:
    """Return ``name`` with ``keep`` of its characters, its start and end, an ellipsis between,
    each ``$`` escaped (``\\$``, drawn as ``$``): two left by the cut would make it math text."""
    head = (keep + 1) // 2
    cut = name[:head] + _ELLIPSIS + name[len(name) - (keep - head) :]
    return cut.replace("$", r"\$")
