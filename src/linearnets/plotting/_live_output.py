"""Where a live figure goes after each redraw (D2L §3.6.6): the *mode* and its output.

:func:`resolve_mode` turns ``"auto"`` into ``"notebook"``, ``"file"`` or ``"none"``; a
:class:`LiveOutput` then shows each redraw there. Shared by :class:`~linearnets.plotting.live.LiveCurves`
and the book's :class:`~linearnets.plotting.Animator`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from linearnets._warn import warn
from linearnets.errors import UsageError
from linearnets.plotting._mpl import (
    in_notebook,
    matplotlib_module,
    new_figure,
    pyplot,
    save_figure,
)
from linearnets.plotting._notebook import (
    _shown_by_its_backend,
    as_an_image,
    current_cell,
    unshown_pyplot_figure,
)
from linearnets.plotting._notebook import shell as _shell
from linearnets.plotting.axes import use_svg_display
from linearnets.validation import check_choice

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MODES",
    "LiveOutput",
    "current_cell",
    "resolve_mode",
    "show_at_cell_end",
    "warn_drawn_nowhere",
]

MODES: tuple[str, ...] = ("auto", "notebook", "file", "none")


def resolve_mode(mode: str, *, has_out: bool, out_name: str = "out") -> str:
    """Return the concrete mode ("notebook", "file" or "none") that ``mode`` means here.

    Raises:
        UsageError: ``mode`` is unknown; "notebook" outside a Jupyter kernel (by the test "auto"
            uses); "file" without a place to write.
    """
    check_choice("mode", mode, MODES)
    if mode == "auto":
        return "notebook" if in_notebook() else "file" if has_out else "none"
    if mode == "notebook" and not in_notebook():
        # refused now: a script would print "Figure(450x300)" each update (or, without IPython,
        # fail at the first one, after an epoch of training)
        raise UsageError(
            "mode='notebook' needs a running Jupyter kernel (the test mode='auto' uses to pick "
            "the notebook), got mode='notebook' outside one; pass mode='auto' (the notebook in "
            f"Jupyter, files elsewhere) or mode='file' with {out_name}=..."
        )
    if mode == "file" and not has_out:
        raise UsageError(
            f"mode='file' needs a place to write, got {out_name}=None; pass {out_name}=... "
            "or use mode='none'"
        )
    return mode


def warn_drawn_nowhere(owner: str, *, out_name: str, files: str, saved_by: str) -> None:
    """Warn that ``owner``, whose mode "auto" resolved to "none", shows and saves nothing: a script
    asked for a figure it would never see. Its figure is still drawn (``saved_by`` saves it);
    ``files`` says what ``out_name`` would give."""
    warn(
        f"{owner} shows and saves nothing here: this is not Jupyter and no {out_name} was given "
        f"(its figure is drawn; {saved_by} saves it); pass {out_name}=... for {files}, or "
        "mode='none' to say so",
    )


class LiveOutput:
    """Where a live figure goes after each redraw: a notebook display, files, or nowhere.

    ``svg=True`` switches the notebook's figures to SVG first, as the book's ``Animator`` does (it
    calls ``use_svg_display``); otherwise the notebook's own format setting is left alone. ``name``
    is the caller's parameter for the files (``out``, ``out_dir``), named when one cannot be written.

    Outside a notebook the figure is kept by pyplot when ``managed`` (the default, for the book's
    ``Animator``, whose figure comes from ``plt.subplots``: a script's ``plt.savefig`` and
    ``plt.show()`` see it); :class:`~linearnets.plotting.live.LiveCurves` passes ``managed=False``
    for a bare figure that pyplot never keeps (no window, no figures piling up over long runs or
    in the plotting process). In a notebook pyplot keeps a managed figure until the end of the
    cell that made it, as the book's (``plt.savefig`` after ``train_ch3`` saves the curves), and
    lets it go then, before its own cell-end display would show it again (see
    :func:`_close_at_cell_end`), in the modes "file" and "none" too (not to be shown there); a
    figure not managed leaves pyplot at once.

    In a notebook the first :meth:`publish` displays the figure in the cell running then, and the
    next ones update that display in place while that cell runs; one from a later cell (training
    continued there, the book's ``Animator`` reused) displays the figure anew in that cell, as the
    book's ``Animator`` does, rather than redrawing an earlier cell's output out of sight. Training
    in a thread of its own keeps updating the display it started, whichever cell runs meanwhile.
    ``display(fig)``, ``plt.show()`` or the figure as a cell's last line show it the same way (the
    live display, not a copy of it below). A backend that shows figures as pyplot makes them
    (``%matplotlib notebook``'s nbagg) is not let show ours: the display is the one figure, as
    with the inline backend (see :func:`~linearnets.plotting._notebook.unshown_pyplot_figure`).
    """

    def __init__(
        self,
        mode: str,
        paths: Sequence[Path],
        *,
        svg: bool = False,
        name: str = "out",
        managed: bool = True,
        make_folder: bool = True,
        names_folder: bool = False,
    ) -> None:
        self.mode = mode
        self.name = name  # the caller's parameter for the files, named when one cannot be written
        self.make_folder = make_folder  # make the files' folder if missing (see save_figure)
        self.names_folder = names_folder  # ``name`` is the files' folder's setting (out_dir)
        self.paths = tuple(paths) if mode != "none" else ()
        self.svg = svg
        self.managed = managed
        self.display_id: str | None = None
        self._cell: object = None  # the cell the display is in (see current_cell)
        self._ended = False  # the training that showed the figure ended (see end_display)

    def new_figure(self, figsize: tuple[float, float]) -> Figure:
        """Return the figure to draw on: see the class's note on ``managed`` and notebooks."""
        if self.mode != "notebook":
            if not (self.managed and in_notebook()):
                return new_figure(figsize, managed=self.managed)
            # not to be shown there ("file", "none"): not as it is made (nbagg would), nor at the
            # cell end (the inline backend shows every figure pyplot holds): it leaves pyplot then,
            # as a live one does
            fig = unshown_pyplot_figure(figsize)
            if not _close_at_cell_end(fig):
                pyplot().close(fig)
            return fig
        if self.svg:
            use_svg_display()
        else:
            _figures_as_images()
        # the notebook's canvas and formatters, and pyplot's figure in its cell; unshown as it is
        # made: under %matplotlib notebook (nbagg) the backend's own output of it, never updated,
        # showed above the live display
        fig = unshown_pyplot_figure(figsize)
        # the cell end must not show it a second time below the live display: pyplot lets it go
        # then (the book's Animator: plt.savefig or plt.gcf() after it in its cell see it), or at
        # once where that cannot be arranged and for a figure pyplot is not to keep
        if not (self.managed and _close_at_cell_end(fig)):
            pyplot().close(fig)
        # plt.show() (which displays every figure pyplot holds), display(fig) or fig as a cell's
        # last line: the live display, updated, not a copy below it (the book's Animator, whose
        # pending clear_output removes its last display, shows one figure there too)
        fig._ipython_display_ = _ShowLive(self, fig)  # type: ignore[attr-defined]
        # so do plt.show() and fig.show() under a backend that shows figures itself (nbagg)
        if fig.canvas.manager is not None:
            fig.canvas.manager.show = _ShowLive(self, fig)  # type: ignore[method-assign]
        return fig

    def publish(self, fig: Figure) -> None:
        """Write ``fig`` to the files and show it in the notebook (see the class's note on cells)."""
        for path in self.paths:
            save_figure(
                fig,
                path,
                tight=False,
                name=self.name,
                make_folder=self.make_folder,
                names_folder=self.names_folder,
            )
        if self.mode == "notebook":
            self._show(fig)

    def _show(self, fig: Figure) -> None:
        """Show ``fig`` in the notebook: in a new display, or by updating the one in this cell."""
        from IPython.display import display, update_display

        # the main thread runs the cells one after the other: another cell there is a new one
        on_main = threading.current_thread() is threading.main_thread()
        cell = current_cell() if on_main else self._cell
        # a thread cannot tell the cells apart: a training ended, the next one's is another display
        anew = self.display_id is None or cell != self._cell or (self._ended and not on_main)
        self._ended = False
        # not through the figure's own hook (see new_figure), which calls this
        with as_an_image(fig):
            if anew:
                self.display_id, self._cell = uuid.uuid4().hex, cell
                display(fig, display_id=self.display_id)
            else:
                update_display(fig, display_id=self.display_id)

    def forget_display(self) -> None:
        """Let the next :meth:`publish` start a new display (in the cell running then)."""
        self.display_id = None

    def end_display(self) -> None:
        """Say that the training showing the figure ended. The next :meth:`publish` from the main
        thread starts a new display only in another cell (a fit continuing the training in this
        cell updates this one); from another thread, which cannot tell the cells apart, it always
        starts one (a later fit trained in a thread of its own)."""
        self._ended = True


class _ShowLive:
    """A live figure's ``_ipython_display_`` (IPython calls it for ``display(fig)``): shows the
    figure through its :class:`LiveOutput`. A copy of the figure (pickle, ``copy.deepcopy``) is an
    ordinary one: the hook copies as ``None``, which IPython ignores."""

    def __init__(self, output: LiveOutput, fig: Figure) -> None:
        self.output, self.fig = output, fig

    def __call__(self) -> None:
        self.output._show(self.fig)

    def __reduce__(self) -> tuple[type[None], tuple[()]]:
        return type(None), ()


class _CellEnd:
    """An IPython ``post_execute`` callback: closes in pyplot the figures handed to it in the cell
    just run (``shown`` ones displayed as images first), then unregisters itself (one registration
    per cell that made figures, none left)."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.shown: list[Figure] = []  # displayed before they are closed (see show_at_cell_end)
        self.queue: list[object] | None = None  # the post_execute callbacks it is in

    def __call__(self) -> None:
        queue, self.queue = self.queue, None
        if queue is not None and self in queue:  # IPython calls a copy of the list: safe
            queue.remove(self)
        shown, self.shown = self.shown, []
        figures, self.figures = self.figures, []
        plt = pyplot()
        for fig in shown:  # one the user closed meanwhile is not shown: closed is not to be seen
            if plt.fignum_exists(fig.number):
                _display_as_image(fig)
        for fig in [*shown, *figures]:  # one closed meanwhile is no longer there: nothing done
            plt.close(fig)


_cell_end = _CellEnd()


def _close_at_cell_end(fig: Figure) -> bool:
    """Have pyplot let ``fig`` go when the cell running ends, before its own cell-end display;
    return whether that was arranged (else the caller closes it now).

    matplotlib-inline's ``flush_figures`` (registered on ``post_execute`` when the inline backend
    loads, or by ``%matplotlib inline``) shows, then closes, every figure pyplot holds; IPython
    calls the ``post_execute`` callbacks in their list's order, so ours goes first in it. Only on
    the main thread, which runs the cells: a thread's figure may outlive the cell running. Not
    arranged without an IPython shell whose ``events`` keep that list.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    callbacks = getattr(getattr(_shell(), "events", None), "callbacks", None)
    queue = callbacks.get("post_execute") if isinstance(callbacks, dict) else None
    if not isinstance(queue, list):
        return False
    for registered in (_cell_end.queue, queue):  # already there for this cell: kept first
        if registered is not None and _cell_end in registered:
            registered.remove(_cell_end)
    queue.insert(0, _cell_end)
    _cell_end.queue = queue
    _cell_end.figures.append(fig)
    return True


def show_at_cell_end(fig: Figure) -> None:
    """Show pyplot's ``fig`` as an image when the cell running ends, then close it, where the
    kernel's backend shows no figure: one started with ``MPLBACKEND=Agg`` (a headless server's
    setting) never loads the inline backend, and a confusion matrix or prediction grid drawn in a
    notebook was neither shown nor closed (they piled up in pyplot over runs). The inline backend
    (which shows, then closes, every figure pyplot holds at the cell end) and those that show a
    figure themselves (nbagg, ipympl) are left to do so; so is a figure made outside a notebook.
    As the inline backend, it is shown at the cell end: ``plt.savefig`` after it in its cell sees it.
    """
    if not in_notebook() or _shown_by_its_backend(fig) or fig in _cell_end.shown:
        return  # (plot() drawing again on its figure in the same cell: shown once)
    if "inline" in str(pyplot().get_backend()).lower():
        return
    # a thread's, or one without IPython events to wait for, stays pyplot's, as before
    if _close_at_cell_end(fig):
        _cell_end.figures.remove(fig)
        _cell_end.shown.append(fig)


def _display_as_image(fig: Figure) -> None:
    """Display ``fig`` in the notebook as an image (PNG where IPython has no figure format)."""
    from IPython.display import display

    _figures_as_images()
    with as_an_image(fig):
        display(fig)


def _figures_as_images() -> None:
    """Have IPython show a figure as an image (PNG) where it has no image format for figures.

    The inline backend sets one when it loads; a kernel started with ``MPLBACKEND=Agg`` (a
    headless server's setting, made for scripts) never loads it, and ``display(fig)`` then showed
    the figure's repr, ``<Figure size 450x300 with 1 Axes>``, as the live curves. A format the
    notebook has (PNG, SVG, retina) is left as it is.
    """
    formatters = getattr(getattr(_shell(), "display_formatter", None), "formatters", None)
    if not isinstance(formatters, dict):
        return
    matplotlib_module()
    from matplotlib.figure import Figure

    for mime in ("image/png", "image/svg+xml", "image/jpeg", "application/pdf"):
        try:
            formatters[mime].lookup_by_type(Figure)
            return
        except (KeyError, AttributeError):  # none for figures (or no such formatter)
            continue
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # an old Jupyter without matplotlib-inline: nothing to set it with
        return
    set_matplotlib_formats("png")
