"""The size of progress bars in a terminal, and the row they leave blank (``linearnets._bars``)."""

from __future__ import annotations

import os
import struct

import pytest

from linearnets._bars import bar_size


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
