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

import pytest
from matplotlib.figure import Figure

from linearnets.plotting._live_output import LiveOutput


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
