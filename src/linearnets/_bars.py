"""Progress bars in a terminal: the size tqdm draws them for, and their row blanked as they close.

A Ctrl-C makes the terminal echo ``^C`` where its cursor is, at the end of a bar. tqdm's bar ends one
column short of the right edge, so the echo wrapped, and the bar stayed on the row above the stop's
message, where nothing erases it. The bars of training (:class:`~linearnets.training.callbacks.ConsoleLogger`)
and of ``data download`` end 3 columns short, and their whole row is blanked as they close (tqdm blanks
only its bar's own columns).
"""

from __future__ import annotations

import os
from typing import Any, TextIO

__all__ = ["ECHO_ROOM", "bar_size", "blank_row", "close_bar", "dumb_terminal"]

# the columns kept free right of a bar, for the "^C" a Ctrl-C echoes where the bar ends
ECHO_ROOM = 2


def dumb_terminal() -> bool:
    """Whether the terminal is declared unable to redraw a line (``TERM=dumb``, as Emacs' shell
    sets): ``isatty()`` holds there, but a bar's carriage-return redraws would pile up as one ever
    longer line, so no bar is drawn."""
    return os.environ.get("TERM") == "dumb"


def bar_size(stream: TextIO) -> dict[str, int]:
    """Return the width and height (``ncols``, ``nrows``) tqdm draws a bar for on the terminal
    ``stream``; ``{}`` when ``stream`` has no terminal size (a file, a pipe: tqdm's defaults).

    The bar ends 3 columns short of the terminal's right edge, :data:`ECHO_ROOM` short of tqdm's
    own. A terminal that reports no size (a new pseudo-terminal, a container started before its
    window was sized, a serial console: 0 x 0) is taken as ``$COLUMNS`` x ``$LINES`` (set on a
    serial console by hand), else 80 x 24: tqdm would hide its bar entirely, as it hides bars below
    a screen's last row.
    """
    try:
        columns, lines = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return {}
    columns = columns or _size_from_env("COLUMNS", 80)
    lines = lines or _size_from_env("LINES", 24)
    return {"ncols": max(columns - 1 - ECHO_ROOM, 1), "nrows": lines}


def close_bar(bar: Any, size: dict[str, int]) -> None:
    """Close the tqdm ``bar`` (made with ``leave=False`` and ``**size`` from :func:`bar_size`) and
    blank its whole row, a ``^C`` echoed after it included."""
    shown = not getattr(bar, "disable", True)
    bar.close()
    if shown:
        blank_row(bar.fp, size)


def blank_row(stream: TextIO, size: dict[str, int]) -> None:
    """Blank the row of a bar drawn on ``stream`` with ``size`` (nothing for ``{}``: tqdm's own
    blanking sufficed), and leave the cursor at its start."""
    if size:
        # one write, so no echo lands inside; tqdm's wrapper of the stream ignores a hung-up terminal
        stream.write("\r" + " " * (size["ncols"] + ECHO_ROOM) + "\r")
        stream.flush()


def _size_from_env(name: str, default: int) -> int:
    """Return the positive whole number the environment variable ``name`` holds, else ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else default
