"""Live training curves that work in a notebook, in a terminal and on a headless server.

The book's ``Animator`` only works in Jupyter. Here (:class:`~linearnets.plotting.Animator` and
:class:`LiveCurves`) a figure is drawn once and its lines are updated in
place (``Line2D.set_data``); each update is then shown in one of three ways, the *mode*:

* ``"notebook"``: one output in the Jupyter cell, replaced on every update (a display id); a later
  cell updating the same figure (training continued, the ``Animator`` reused) shows it anew there,
  as the book's ``Animator`` does; refused outside a Jupyter kernel;
* ``"file"``: a PNG and an SVG rewritten atomically on every update (watch them in any viewer);
* ``"none"``: nothing is shown or written; the data and the figure stay available as attributes.

``"auto"`` picks ``"notebook"`` inside a Jupyter kernel, else ``"file"`` when an output path was given, else
``"none"``, so a script using the book's ``Animator`` runs in a terminal without opening windows; there
both warn that they show and save nothing (the figure is still drawn), naming the output to pass
(``mode="none"`` says it is meant).

See D2L §3.6.6.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, SupportsFloat, cast

from linearnets.errors import UsageError
from linearnets.plotting._drawable import draw_points
from linearnets.plotting._live_args import check_mapping, check_names, check_value, curve_files
from linearnets.plotting._live_legend import place_legend
from linearnets.plotting._live_output import MODES, LiveOutput, resolve_mode, warn_drawn_nowhere
from linearnets.plotting._mpl import (
    matplotlib_module,
    pyplot,
    save_figure,
)
from linearnets.plotting._plot_args import check_figsize
from linearnets.plotting._runs_own import check_curves
from linearnets.plotting._view import autoscale
from linearnets.plotting.axes import BOOK_FMTS
from linearnets.validation import check_bool, check_choice, check_positive_int

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import RendererAgg

__all__ = [
    "MODES",
    "LiveCurves",
    "LiveOutput",
    "resolve_mode",
]

_BOTTOM = 0.15  # the axes' bottom, a figure fraction: room for the tick labels and "epoch"
# the axes' left edge, a figure fraction: at least _LEFT, moved right where the y tick labels need
# more ("3×10⁻¹" on a log axis), up to _MOST_LEFT; _EDGE points kept between them and the edge
_LEFT = 0.14
_MOST_LEFT = 0.5
_EDGE = 2.0
_RIGHT = 0.97  # the axes' right edge, where the legend is not beside them


class LiveCurves:
    """Redraw training curves (one line per metric, x = epoch) after each epoch, used by the trainer.

    In "file" mode ``curves.png`` and ``curves.svg`` (see ``formats``) in ``out_dir`` are rewritten
    atomically after every update. A metric missing from an update (e.g. no "test acc" for linear
    regression) gets no point, and a metric that never got one stays out of the legend. The legend
    sits under the axes (in rows, as many as the width needs), or right of them where the rows
    would leave the curves too little height, where it hides no point (see
    :mod:`linearnets.plotting._live_legend`).

    Each metric's epochs go forward: a later ``fit`` continuing the training (``start_epoch``)
    extends the lines (in a notebook, in the same display when in the same cell, as the figure
    anew in a later one), while one starting again at epoch 1 starts the curves over (the earlier
    points are dropped, and a notebook shows the figure anew in the cell running then); any other
    epoch at or before a metric's last one is refused rather than drawn as a line going back.

    Args:
        out_dir: folder for ``curves.png``/``curves.svg`` (needed by "file" mode; "auto" writes there).
        mode: "auto", "notebook", "file" or "none" (see :mod:`linearnets.plotting.live`).
        metrics: the names of the lines, in legend order.
        num_epochs: fixes the x range to [1, num_epochs] plus a 5% margin (grown if training goes
            further); ``None`` lets it follow the data.
        figsize: the figure's (width, height) in inches.
        yscale: "linear", or "log" for a loss that falls by orders of magnitude (linear regression).
        formats: the files written per update, ``curves.<format>``; each costs one draw (~30 ms).
        final_formats: files written once more by :meth:`close` (e.g. a vector SVG of the finished
            curves while only the PNG is rewritten per epoch).
        make_out_dir: make ``out_dir`` when it is missing (a run passes ``False``: its folder,
            removed while it trains, is not made again holding the curves alone). Not a
            folder holding a run (its ``config.json``, ``model.pt`` or ``checkpoint.pt``): its
            ``curves.png`` and ``curves.svg`` are the run's.

    Raises:
        UsageError: ``out_dir`` is a run's folder (and the mode writes files): the curves would
            replace the run's own ``curves.png``/``curves.svg``.

    Where matplotlib cannot draw the axis around the values (a loss diverging to 1.7e308; on a log
    axis, values over more decades than the figure's few ticks can step past within float64),
    those beyond a bound are drawn at it, the line flat there, unmarked: at the first of 1e307 and
    1e306 on a linear axis, of 1e300, 1e200, 1e150 and 1e90 on a log one (those below its inverse
    at that), at which it can (see :func:`~linearnets.plotting._drawable.draw_points`). ``values``
    keeps them as received.

    Attributes:
        epochs, values: per metric, the epochs and values received.

    See D2L §3.6.6 (the book's ``Animator``, which ``train_ch3`` feeds the same three lines).
    """

    def __init__(
        self,
        *,
        out_dir: Path | str | None = None,
        mode: str = "auto",
        metrics: Sequence[str] = ("train loss", "train acc", "test acc"),
        num_epochs: int | None = None,
        figsize: tuple[float, float] = (4.5, 3.0),
        yscale: str = "linear",
        formats: Sequence[str] = ("png", "svg"),
        final_formats: Sequence[str] = (),
        make_out_dir: bool = True,
    ) -> None:
        self.metrics = check_names("metrics", metrics, "('train loss', 'test acc')")
        figsize = check_figsize("figsize", figsize)
        self.num_epochs = (
            None if num_epochs is None else check_positive_int("num_epochs", num_epochs)
        )
        yscale = check_choice("yscale", yscale, ("linear", "log", "symlog", "logit"))
        self.mode = resolve_mode(mode, has_out=out_dir is not None, out_name="out_dir")
        paths, self._final_paths = curve_files(out_dir, formats, final_formats)
        if self.mode != "none":  # a run's own curves draw into its folder (as_runs_own)
            check_curves((*paths, *self._final_paths))
        # a bare figure: pyplot would keep every one made (long runs, the plotting process)
        self._output = LiveOutput(
            self.mode,
            paths,
            name="out_dir",
            managed=False,
            make_folder=check_bool("make_out_dir", make_out_dir),
            names_folder=True,
        )
        self.epochs: dict[str, list[int]] = {m: [] for m in self.metrics}
        self.values: dict[str, list[float]] = {m: [] for m in self.metrics}
        self.fig = self._output.new_figure(figsize)
        self.ax = self.fig.subplots()
        # markers, so a single epoch is visible as a point
        self.lines = {
            m: self.ax.plot([], [], f, marker="o", ms=3, label=m)[0]
            for m, f in zip(self.metrics, itertools.cycle(BOOK_FMTS))
        }
        self._legend_for: tuple[tuple[str, ...], tuple[float, ...]] | None = None
        self._drew: dict[str, tuple[float, float]] = {}  # the ranges the points last drew within
        # _fit_left's: the tick labels and figure size last measured, and the renderer that
        # measures them (kept: matplotlib caches text sizes per renderer, a new one measured all
        # again)
        self._left_for: tuple[object, ...] | None = None
        self._measurer: tuple[tuple[int, int, float], RendererAgg] | None = None
        self._xmax = self.num_epochs or 1
        self._setup_axes()
        self.ax.set_yscale(yscale)
        if mode == "auto" and self.mode == "none":  # a script asked for curves it would never see
            warn_drawn_nowhere(
                "LiveCurves",
                out_name="out_dir",
                files="curves.png rewritten each epoch",
                saved_by="LiveCurves.fig.savefig",  # a bare figure: pyplot's plt.savefig never sees it
            )

    @property
    def files(self) -> tuple[Path, ...]:
        """The files these curves write: each update's ``curves.<format>`` and those drawn at the
        end, in ``out_dir`` (none in mode "none" or without ``out_dir``)."""
        return tuple(Path(path) for path in (*self._output.paths, *self._final_paths))

    def __repr__(self) -> str:
        shown = sum(len(epochs) for epochs in self.epochs.values())
        return (
            f"LiveCurves(mode={self.mode!r}, metrics={list(self.metrics)!r}, "
            f"num_epochs={self.num_epochs}, points={shown})"
        )

    def _setup_axes(self) -> None:
        matplotlib_module()
        from matplotlib.ticker import MaxNLocator

        self.ax.set_xlabel("epoch")
        self.ax.grid(True)
        self.ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        self._set_xlim()
        # fixed margins: a layout engine would cost a second draw on every save
        # (the legend, under the x label or right of the axes, moves them: see place_legend)
        # (the left edge, by the y tick labels: see _fit_left; the top, room for an offset "1e-5")
        self.fig.subplots_adjust(left=_LEFT, right=_RIGHT, bottom=_BOTTOM, top=0.92)

    def _set_xlim(self) -> None:
        if self.num_epochs is not None:
            # so the end markers are not cut in half; one epoch gets a range of one epoch around it,
            # where the integer tick locator can put its single tick "1" (not 0.96, 0.975, ...)
            pad = 0.05 * (self._xmax - 1) if self._xmax > 1 else 0.5
            self.ax.set_xlim(1 - pad, self._xmax + pad)

    def update(self, epoch: int, values: Mapping[str, SupportsFloat]) -> None:
        """Append each metric's value at ``epoch`` and redraw.

        Args:
            epoch: the epoch just finished: after the last one of each metric in ``values``, or 1
                to start the curves over (see :meth:`add`).
            values: metric name → value; names must be among ``metrics``, any of them may be missing.
        """
        self.add(epoch, values)
        self.redraw()

    def extend(self, points: Iterable[tuple[int, Mapping[str, SupportsFloat]]]) -> None:
        """Append several epochs' values, then redraw once (a resumed run's past epochs: one draw).

        Args:
            points: ``(epoch, values)`` pairs, each as :meth:`update` takes them.
        """
        for epoch, values in points:
            self.add(epoch, values)
        self.redraw()

    def add(self, epoch: int, values: Mapping[str, SupportsFloat]) -> None:
        """Append each metric's value at ``epoch`` without redrawing (:meth:`redraw` shows them).

        Epoch 1 for a metric that already has points starts the curves over: a new fit with the
        same curves (every metric's points are dropped; a notebook shows the figure in a new
        display, in the cell running then).

        Args:
            epoch: the epoch just finished: after the last one of each metric in ``values``, or 1.
            values: metric name → value; names must be among ``metrics``, any of them may be missing.

        Raises:
            UsageError: an unknown metric, or an epoch other than 1 at or before a metric's last.
        """
        epoch = check_positive_int("epoch", epoch)
        check_mapping(values, example=self.metrics[0])
        unknown = [k for k in values if k not in self.lines]
        if unknown:
            raise UsageError(
                f"values must name metrics among {list(self.metrics)}, got {unknown}; "
                "pass LiveCurves(metrics=...) with every metric you will plot"
            )
        points = {name: check_value(name, value) for name, value in values.items()}
        behind = [name for name in points if self.epochs[name] and epoch <= self.epochs[name][-1]]
        if behind and epoch == 1:
            self._start_over()
        elif behind:
            last = self.epochs[behind[0]][-1]
            # drawn, it would be a line going back over the earlier epochs (a zigzag)
            raise UsageError(
                f"epoch must come after the last epoch of {behind[0]!r} ({last}), got {epoch}; "
                f"continue from epoch {last + 1}, start a new fit from epoch 1 (the curves start "
                "over), or make new LiveCurves"
            )
        for name, value in points.items():
            self.epochs[name].append(epoch)
            self.values[name].append(value)
        if self.num_epochs is not None and epoch > self._xmax:
            self._xmax = epoch
            self._set_xlim()

    def _start_over(self) -> None:
        """Drop every point and forget the notebook display: a new fit from epoch 1."""
        for name in self.metrics:
            self.epochs[name].clear()
            self.values[name].clear()
        self._xmax = self.num_epochs or 1
        self._set_xlim()
        self._drew.clear()  # the last fit's ranges: its values are gone
        # its own output in the cell running now, even when the last fit stopped before close()
        self._output.forget_display()

    def redraw(self) -> None:
        """Draw the points added so far and show them (the files, the notebook's output)."""
        shown = tuple(m for m in self.metrics if self.epochs[m])
        # laid out once per set of metrics and size of the figure (resized between updates: a
        # notebook's widget, set_size_inches), not on every draw
        layout = (shown, tuple(self.fig.bbox.size))
        if layout != self._legend_for:
            handles = [self.lines[m] for m in shown]
            place_legend(self.fig, self.ax, handles, bottom=_BOTTOM, right=_RIGHT)
            self._legend_for = layout
        points = [(self.epochs[name], self.values[name]) for name in self.lines]
        # what no bound draws (0 or 1 on a logit axis) fails in savefig, as matplotlib's own
        lines, fit = list(self.lines.values()), lambda: autoscale(self.ax)
        draw_points(self.ax, lines, points, fit, {}, self._drew)
        self._fit_left()
        self._output.publish(self.fig)

    def _fit_left(self) -> None:
        """Move the axes' left edge so that the y tick labels, as the view drawn now gives them,
        lie inside the figure: a fixed 0.14 cut "3×10⁻¹" and "6×10⁻¹" of a log axis off at
        the left edge. Measured without drawing, as the legend's room is (see place_legend),
        and only where the labels' text or the figure's size changed since the last measure
        (a view moved by a new point mostly keeps them), by one renderer kept, whose cached
        text sizes make a measure cheap: a new one measured on every redraw cost ~25 ms of an
        update of ~75."""
        width, height = self.fig.bbox.size
        if width <= 0 or height <= 0:
            return
        key = (self._tick_texts(), width, height, self.fig.dpi)
        if key == self._left_for:
            return
        self._left_for = key
        yaxis = self.ax.yaxis
        box = yaxis.get_tightbbox(self._renderer(int(width), int(height)))
        if box is None:
            return
        reach = self.ax.bbox.x0 - box.x0  # pixels the labels reach left of the axes
        pad = _EDGE * self.fig.dpi / 72
        left = min(max(_LEFT, (reach + pad) / width), _MOST_LEFT)
        if abs(left - self.fig.subplotpars.left) > 1e-9:
            self.fig.subplots_adjust(left=left)

    def _tick_texts(self) -> tuple[str, ...]:
        """Return the y tick labels within the view, major then minor, and the major ones'
        offset ("1e-5" above them), as the draw formats them (the axis' locators and
        formatters, all of a locator's ticks at once): what :meth:`_fit_left` measures."""
        yaxis = self.ax.yaxis
        low, high = sorted(yaxis.get_view_interval())
        texts = []
        for locs, formatter in (
            (yaxis.get_majorticklocs(), yaxis.get_major_formatter()),
            (yaxis.get_minorticklocs(), yaxis.get_minor_formatter()),
        ):
            # the array the draw passes (matplotlib's stubs say a list)
            labels = formatter.format_ticks(cast("list[float]", locs))
            texts += [
                text for loc, text in zip(locs, labels, strict=True) if text and low <= loc <= high
            ]
        return (*texts, yaxis.get_major_formatter().get_offset())

    def _renderer(self, width: int, height: int) -> RendererAgg:
        """Return the Agg renderer that measures the tick labels of a ``width``×``height``-pixel
        figure at its dpi: the one made last where the size is the same."""
        size = (width, height, float(self.fig.dpi))
        if self._measurer is None or self._measurer[0] != size:
            matplotlib_module()  # imported past the MPLCONFIGDIR set-up, as every import of it
            from matplotlib.backends.backend_agg import RendererAgg

            self._measurer = (size, RendererAgg(width, height, self.fig.dpi))
        return self._measurer[1]

    def close(self) -> None:
        """Write the ``final_formats`` files (file and notebook modes), then release the figure."""
        if self.mode in ("file", "notebook") and any(self.epochs.values()):
            for path in self._final_paths:
                save_figure(
                    self.fig,
                    path,
                    tight=False,
                    name="out_dir",
                    make_folder=self._output.make_folder,
                    names_folder=True,
                )
        if self.mode == "notebook":
            pyplot().close(self.fig)
            # a later fit (same curves) shows in its own cell, not in this one out of sight; one
            # continuing the training in this cell updates this display, not a second figure
            self._output.end_display()
