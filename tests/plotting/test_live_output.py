"""Tests of linearnets.plotting._live_output: which cell a live figure shows in (D2L §3.6.6).

A notebook's live figure is one display updated in place while its cell runs; a later cell using
it (training continued there, the book's ``Animator`` reused) shows it anew there, as the book's
``Animator`` (``display`` then ``clear_output``) does, rather than redrawing an earlier cell's output.
"""

from __future__ import annotations

import sys
import threading
import types
from typing import Any

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from linearnets.plotting._live_output import LiveOutput

events = pytest.importorskip("IPython.core.events")


class ZMQInteractiveShell:
    """Jupyter's kernel shell, by name, with what tells its cells apart."""

    def __init__(self, *, msg_id: str | None = None, execution_count: int | None = None) -> None:
        if msg_id is not None:  # ipykernel: the request the display messages answer
            self.display_pub = types.SimpleNamespace(parent_header={"msg_id": msg_id})
        if execution_count is not None:  # IPython's own count of the cells run
            self.execution_count = execution_count


def _run_in(monkeypatch: pytest.MonkeyPatch, shell: ZMQInteractiveShell) -> None:
    """Make ``shell`` (in the cell it says) the kernel's shell from now on."""
    monkeypatch.setattr(sys.modules["IPython"], "get_ipython", lambda: shell)


def _shown(calls: list[tuple[Any, ...]]) -> list[tuple[str, int]]:
    """Return each call as (kind, n): n numbers the display ids in the order they came."""
    ids: dict[str, int] = {}
    return [(kind, ids.setdefault(display_id, len(ids))) for kind, _, display_id in calls]


@pytest.mark.parametrize(
    "cell",
    [
        lambda n: ZMQInteractiveShell(msg_id=f"execute-request-{n}", execution_count=1),
        lambda n: ZMQInteractiveShell(execution_count=n),  # IPython without ipykernel's header
    ],
    ids=["kernel's request id", "execution count"],
)
def test_a_later_cell_shows_the_figure_anew_and_updates_it_there(
    cell: Any, fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    output, fig = LiveOutput("notebook", []), Figure()
    for n, redraws in ((1, 3), (2, 2), (3, 1)):
        _run_in(monkeypatch, cell(n))
        for _ in range(redraws):
            output.publish(fig)
    expected = [("display", 0), ("update", 0), ("update", 0)]  # cell 1
    expected += [("display", 1), ("update", 1)]  # cell 2: not cell 1's output, redrawn unseen
    expected += [("display", 2)]  # cell 3
    assert _shown(fake_notebook) == expected
    assert all(shown is fig for _, shown, _ in fake_notebook)


def test_the_same_cell_run_again_shows_the_figure_in_its_new_output(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running a cell again clears its output: an update there would show nothing at all."""
    output, fig = LiveOutput("notebook", []), Figure()
    for request in ("a", "a", "b"):  # the kernel answers each run with a new request id
        _run_in(monkeypatch, ZMQInteractiveShell(msg_id=request, execution_count=5))
        output.publish(fig)
    assert _shown(fake_notebook) == [("display", 0), ("update", 0), ("display", 1)]


def test_training_in_a_thread_keeps_updating_its_display_whichever_cell_runs(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread's messages go to the cell running last (ipykernel), which changes while the
    thread trains: its figure stays where it was shown, updated there."""
    output, fig = LiveOutput("notebook", []), Figure()
    _run_in(monkeypatch, ZMQInteractiveShell(msg_id="a"))

    def train() -> None:
        output.publish(fig)
        _run_in(monkeypatch, ZMQInteractiveShell(msg_id="b"))  # the user runs another cell
        output.publish(fig)

    thread = threading.Thread(target=train)
    thread.start()
    thread.join()
    assert _shown(fake_notebook) == [("display", 0), ("update", 0)]


def test_where_the_cell_is_unknown_the_display_is_updated_in_place(
    fake_notebook: list[tuple[Any, ...]],
) -> None:
    """A kernel that tells neither (the plain fake): one display, updated, as before."""
    output, fig = LiveOutput("notebook", []), Figure()
    for _ in range(3):
        output.publish(fig)
    assert _shown(fake_notebook) == [("display", 0), ("update", 0), ("update", 0)]


class _Kernel(ZMQInteractiveShell):
    """The kernel's shell with IPython's own event manager, and matplotlib-inline's cell-end
    ``flush_figures`` registered (it shows, then closes, every figure pyplot still holds)."""

    def __init__(self) -> None:
        super().__init__(execution_count=1)
        self.events = events.EventManager(self, events.available_events)
        self.flushed: list[list[int]] = []  # the figures pyplot held at each flush
        self.flush_figures = lambda: self.flushed.append(plt.get_fignums())
        self.events.register("post_execute", self.flush_figures)


def test_a_figure_of_pyplots_is_current_in_its_cell_and_closed_before_the_inline_flush(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's Animator makes its figure with plt.subplots: plt.savefig after train_ch3 in the
    same cell saves it. Closed at once, it left plt.savefig a new blank figure to save (and show)."""
    kernel = _Kernel()
    _run_in(monkeypatch, kernel)
    for _ in range(3):  # cells, each making two figures: one registration, none left after
        output = LiveOutput("notebook", [])
        first, fig = output.new_figure((3, 2)), output.new_figure((3, 2))
        assert plt.gcf() is fig and first.number in plt.get_fignums()
        output.publish(fig)
        callbacks = kernel.events.callbacks["post_execute"]
        assert len(callbacks) == 2 and callbacks[1] is kernel.flush_figures
        kernel.events.trigger("post_execute")
        assert kernel.events.callbacks["post_execute"] == [kernel.flush_figures]
    assert kernel.flushed == [[], [], []]  # shown by its live display only


def test_a_bare_figure_or_one_made_on_a_thread_leaves_pyplot_at_once(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """LiveCurves' figure is not pyplot's (managed=False); a thread's may outlive the cell."""
    kernel = _Kernel()
    _run_in(monkeypatch, kernel)
    made: list[Figure] = [LiveOutput("notebook", [], managed=False).new_figure((3, 2))]
    thread = threading.Thread(
        target=lambda: made.append(LiveOutput("notebook", []).new_figure((3, 2)))
    )
    thread.start()
    thread.join()
    assert len(made) == 2 and plt.get_fignums() == []
    assert kernel.events.callbacks["post_execute"] == [kernel.flush_figures]


def test_displaying_the_live_figure_updates_its_display_and_a_copy_is_an_ordinary_figure(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """display(fig) and plt.show() go through the figure's _ipython_display_: its live display,
    updated in the cell that shows it (no second figure below it); a copy has no live display."""
    import copy
    import pickle

    _run_in(monkeypatch, ZMQInteractiveShell(msg_id="a"))
    output = LiveOutput("notebook", [])
    fig = output.new_figure((3, 2))
    output.publish(fig)
    fig._ipython_display_()  # type: ignore[attr-defined]  # what IPython's display(fig) calls
    _run_in(monkeypatch, ZMQInteractiveShell(msg_id="b"))
    fig._ipython_display_()  # type: ignore[attr-defined]
    assert _shown(fake_notebook) == [("display", 0), ("update", 0), ("display", 1)]
    assert all(shown is fig for _, shown, _ in fake_notebook)
    assert callable(fig._ipython_display_)  # type: ignore[attr-defined]  # restored after each
    for twin in (copy.deepcopy(fig), pickle.loads(pickle.dumps(fig))):
        assert twin._ipython_display_ is None  # IPython formats it as any figure


@pytest.mark.parametrize("mode", ["file", "none"])
def test_a_figure_not_for_the_notebook_is_not_shown_at_the_cell_end(
    mode: str, tmp_path: Any, fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Animator(mode='none') in Jupyter drew nothing while it ran, then the inline backend showed
    its figure when the cell ended (pyplot still held it); mode='file' likewise. It stays pyplot's
    current figure while its cell runs (plt.savefig sees it), as in a script."""
    kernel = _Kernel()
    _run_in(monkeypatch, kernel)
    output = LiveOutput(mode, [tmp_path / "anim.png"])
    fig = output.new_figure((3, 2))
    output.publish(fig)
    assert plt.gcf() is fig
    kernel.events.trigger("post_execute")
    assert kernel.flushed == [[]] and not fake_notebook
    assert (tmp_path / "anim.png").exists() == (mode == "file")


class _Formatter:
    """An IPython formatter knowing figures (``known``) or not (its lookup raises KeyError)."""

    def __init__(self, known: bool) -> None:
        self.known = known

    def lookup_by_type(self, kind: type) -> object:
        if not self.known:
            raise KeyError(kind)
        return repr


@pytest.mark.parametrize(
    ("figure_formats", "switched"),
    [((), ["png"]), (("image/svg+xml",), []), (("image/png",), []), (("application/pdf",), [])],
    ids=["none (MPLBACKEND=Agg)", "svg", "png", "pdf"],
)
def test_a_notebook_without_an_image_format_for_figures_gets_png_and_only_it(
    monkeypatch: pytest.MonkeyPatch, figure_formats: tuple[str, ...], switched: list[str]
) -> None:
    from linearnets.plotting import _live_output

    calls: list[str] = []
    inline = types.SimpleNamespace(set_matplotlib_formats=calls.append)
    monkeypatch.setitem(
        sys.modules, "matplotlib_inline", types.SimpleNamespace(backend_inline=inline)
    )
    monkeypatch.setitem(sys.modules, "matplotlib_inline.backend_inline", inline)
    mimes = ("image/png", "image/svg+xml", "image/jpeg", "application/pdf", "text/plain")
    formatters = {mime: _Formatter(mime in figure_formats) for mime in mimes}
    shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace(formatters=formatters))
    monkeypatch.setattr(_live_output, "_shell", lambda: shell)
    _live_output._figures_as_images()
    assert calls == switched


class _AggKernel(ZMQInteractiveShell):
    """A kernel started with MPLBACKEND=Agg: IPython's events, but no inline backend to show and
    close pyplot's figures at the cell end."""

    def __init__(self) -> None:
        super().__init__(execution_count=1)
        self.events = events.EventManager(self, events.available_events)


def test_a_confusion_matrix_and_prediction_grid_show_and_close_at_the_cell_end_under_agg(
    tmp_path: Any, fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_softmax in an Agg kernel showed its live curves (as images) but not these two figures,
    and left them open in pyplot, piling up over runs."""
    import torch

    from linearnets.plotting.confusion import plot_confusion_matrix
    from linearnets.plotting.images import plot_predictions

    kernel = _AggKernel()
    _run_in(monkeypatch, kernel)
    for _ in range(2):  # cells, each drawing both: none left open after either
        ax = plot_confusion_matrix(torch.eye(3), ["a", "b", "c"], out=tmp_path / "c.png")
        grid = plot_predictions(torch.rand(2, 4, 4), ["a", "b"], ["a", "c"], out=tmp_path / "p.png")
        figures = [ax.figure, grid[0].figure]
        assert plt.get_fignums() == [f.number for f in figures]  # plt.savefig sees them meanwhile
        assert not fake_notebook
        kernel.events.trigger("post_execute")
        assert [(kind, obj) for kind, obj, _ in fake_notebook] == [("display", f) for f in figures]
        assert plt.get_fignums() == [] and kernel.events.callbacks["post_execute"] == []
        fake_notebook.clear()
    assert (tmp_path / "c.png").stat().st_size > 1000 and (tmp_path / "p.png").is_file()


def test_the_inline_backend_is_left_to_show_a_confusion_matrix(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the inline backend its own cell-end flush shows (and closes) the figure: not twice."""
    import torch

    from linearnets.plotting.confusion import plot_confusion_matrix

    kernel = _Kernel()
    _run_in(monkeypatch, kernel)
    monkeypatch.setattr(plt, "get_backend", lambda: "module://matplotlib_inline.backend_inline")
    fig = plot_confusion_matrix(torch.eye(2), ["a", "b"]).figure
    kernel.events.trigger("post_execute")
    assert kernel.flushed == [[fig.number]] and not fake_notebook
    plt.close(fig)
