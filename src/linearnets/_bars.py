"""Progress bars in a terminal: the size tqdm draws them for, and their row blanked as they close.

A Ctrl-C makes the terminal echo ``^C`` where its cursor is, at the end of a bar. tqdm's bar ends one
column short of the right edge, so the echo wrapped, and the bar stayed on the row above the stop's
message, where nothing erases it. The bars of training (:class:`~linearnets.training.callbacks.ConsoleLogger`)
and of ``data download`` end 3 columns short, and their whole row is blanked as they close (tqdm blanks
only its bar's own columns). In Jupyter a bar is a display output updated in place
(:class:`NotebookBar`), not stderr's frames.
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any, TextIO

__all__ = [
    "ECHO_ROOM",
    "NotebookBar",
    "bar_size",
    "blank_row",
    "close_bar",
    "drawn",
    "dumb_terminal",
]

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
    shown = drawn(bar)
    bar.close()
    if shown:
        blank_row(bar.fp, size)


def drawn(bar: Any) -> bool:
    """Whether the tqdm ``bar`` has drawn itself (ask before closing it): neither disabled nor
    held back by its ``delay=`` and never shown (tqdm's own close clears nothing then)."""
    if getattr(bar, "disable", True):
        return False
    delay = getattr(bar, "delay", 0)
    last = getattr(bar, "last_print_t", None)
    if last is None:  # a Ctrl-C cut its __init__ short: in its first frame, where it drew one
        return delay <= 0
    return last >= bar.start_t + delay


def blank_row(stream: TextIO, size: dict[str, int]) -> None:
    """Blank the row of a bar drawn on ``stream`` with ``size`` (nothing for ``{}``: tqdm's own
    blanking sufficed), and leave the cursor at its start."""
    if size:
        # one write, so no echo lands inside; tqdm's wrapper of the stream ignores a hung-up terminal
        stream.write("\r" + " " * (size["ncols"] + ECHO_ROOM) + "\r")
        stream.flush()


class NotebookBar:
    """Where tqdm draws a bar in Jupyter (its ``file``): one display output, each frame in place of
    the last, emptied when the bar closes; the bars of one cell share it (a later cell gets its own).

    On stderr every frame was a stream output of its own, stored so in a notebook run by nbclient,
    and each epoch's closed bar stayed as a row of blanks on stderr's red background between the
    epoch lines (the lines, on stdout, cut stderr's text into one output per epoch).
    """

    encoding = "utf-8"  # tqdm draws its Unicode blocks only on a stream that says it takes them

    def __init__(self) -> None:
        self.display_id: str | None = None
        self._cell: object = None  # the cell the display is in (see current_cell)
        self._shown = ""

    def write(self, text: str) -> int:
        """Show the last frame in ``text`` (tqdm starts each with a carriage return)."""
        from IPython.display import display, update_display

        from linearnets.plotting._live_output import current_cell

        frame = text.rsplit("\r", 1)[-1].rstrip()
        # the main thread runs the cells one after the other: another cell there is a new one
        on_main = threading.current_thread() is threading.main_thread()
        cell = current_cell() if on_main else self._cell
        if self.display_id is None or cell != self._cell:
            if frame:  # a closing bar's blanks: no new output for them
                self.display_id, self._cell = uuid.uuid4().hex, cell
                display({"text/plain": frame}, raw=True, display_id=self.display_id)
                self._shown = frame
        elif frame != self._shown:
            update_display({"text/plain": frame}, raw=True, display_id=self.display_id)
            self._shown = frame
        return len(text)

    def flush(self) -> None:
        """Nothing is held back: :meth:`write` shows each frame."""


def _size_from_env(name: str, default: int) -> int:
    """Return the positive whole number the environment variable ``name`` holds, else ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else default
