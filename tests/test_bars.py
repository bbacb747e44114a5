"""The size of progress bars in a terminal, and the row they leave blank (``linearnets._bars``)."""

from __future__ import annotations

import io
import os
import struct
import sys
import threading
import types
from typing import Any

import pytest
import tqdm

import linearnets.plotting._live_output as live_output
from linearnets._bars import NotebookBar, bar_size, close_bar


@pytest.mark.parametrize(
    ("columns", "lines", "expected"),
    [
        ("40", "10", {"ncols": 37, "nrows": 10}),
        ("0", "-3", {"ncols": 77, "nrows": 24}),
        ("wide", "²", {"ncols": 77, "nrows": 24}),
    ],
)
def test_a_terminal_without_a_size_takes_columns_and_lines_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, columns: str, lines: str, expected: dict[str, int]
) -> None:
    """A serial console reports 0 x 0 and its user sets $COLUMNS: an 80-column bar on a 40-column
    terminal wraps, and each redraw leaves a row of bar behind."""
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", lines)
    master, slave = os.openpty()
    with os.fdopen(master, "wb", buffering=0), os.fdopen(slave, "w") as terminal:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        assert bar_size(terminal) == expected
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        assert bar_size(terminal) == {"ncols": 97, "nrows": 30}  # the terminal's own


def test_a_terminal_narrower_than_the_room_kept_gets_a_bar_of_one_column() -> None:
    """3 columns less tqdm's 1 and the 2 kept for an echo leave none: a bar of 1 column, not 0."""
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    master, slave = os.openpty()
    with os.fdopen(master, "wb", buffering=0), os.fdopen(slave, "w") as terminal:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 5, 3, 0, 0))
        assert bar_size(terminal) == {"ncols": 1, "nrows": 5}


@pytest.mark.parametrize(
    "kwargs", [{"disable": True}, {"delay": 30.0}], ids=["disabled", "held back by its delay"]
)
def test_closing_a_bar_that_was_never_shown_writes_nothing(kwargs: dict[str, Any]) -> None:
    """progress off on a terminal: a disabled bar (tqdm gives it no stream) leaves no blanked
    row; nor does one that its delay held back, never drawn (tqdm's close skips it too)."""
    stream = io.StringIO()
    bar = tqdm.tqdm(total=3, file=stream, **kwargs)
    bar.update(1)
    close_bar(bar, {"ncols": 10, "nrows": 5})
    assert stream.getvalue() == ""


def test_closing_a_bar_drawn_blanks_its_whole_row() -> None:
    stream = io.StringIO()
    bar = tqdm.tqdm(total=3, file=stream, leave=False, ncols=10)
    bar.update(1)
    close_bar(bar, {"ncols": 10, "nrows": 5})
    assert stream.getvalue().endswith("\r" + " " * 12 + "\r")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """A fake Jupyter display: the (call, text, display id) of each output shown or updated."""
    calls: list[tuple[str, str, str]] = []

    def display(obj: Any, *, raw: bool, display_id: str) -> None:
        assert raw
        calls.append(("display", obj["text/plain"], display_id))

    def update_display(obj: Any, *, raw: bool, display_id: str) -> None:
        assert raw
        calls.append(("update", obj["text/plain"], display_id))

    fake = types.SimpleNamespace(display=display, update_display=update_display)
    monkeypatch.setitem(sys.modules, "IPython.display", fake)
    monkeypatch.setattr(live_output, "current_cell", lambda: 1)
    return calls


def test_a_notebook_bar_is_one_output_updated_in_place_and_emptied_as_it_closes(
    shown: list[tuple[str, str, str]],
) -> None:
    bar = NotebookBar()
    assert bar.write("\r" + " " * 8) == 9  # a closing bar's blanks first: no output for them
    assert shown == []
    bar.write("\r 10%|#  | 1/10")
    bar.write("\r 10%|#  | 1/10")  # the same frame again: nothing to update
    bar.write("\r 10%|#  | 1/10\r 20%|## | 2/10   ")  # the last frame, its trailing blanks cut
    bar.write("\r" + " " * 20 + "\r")  # tqdm's close with leave=False: the output emptied
    one = bar.display_id
    assert shown == [
        ("display", " 10%|#  | 1/10", one),
        ("update", " 20%|## | 2/10", one),
        ("update", "", one),
    ]


def test_a_notebook_bar_in_a_later_cell_is_a_new_output(
    shown: list[tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The earlier cell's output stays where it is; a frame drawn from another thread (tqdm's
    monitor) goes to the output of the cell the bar was last drawn in."""
    bar = NotebookBar()
    bar.write("\r 10%|#  | 1/10")
    first = bar.display_id
    monkeypatch.setattr(live_output, "current_cell", lambda: 2)
    bar.write("\r" + " " * 20)  # blanks in a new cell: no output of their own
    bar.write("\r  0%|   | 0/10")
    second = bar.display_id
    monkeypatch.setattr(live_output, "current_cell", lambda: 3)  # not the thread's to ask
    drawer = threading.Thread(target=bar.write, args=("\r 50%|#  | 5/10",))
    drawer.start()
    drawer.join()
    assert second != first
    assert shown == [
        ("display", " 10%|#  | 1/10", first),
        ("display", "  0%|   | 0/10", second),
        ("update", " 50%|#  | 5/10", second),
    ]
