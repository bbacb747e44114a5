"""The ``linearnets`` command's first code: a stop that comes while the command's modules load is held.

Loading :mod:`linearnets.cli` (argparse, the reports, the signal helpers) took 0.05–0.22 s on the
2-core VM (``bench/bench_startup.py``), before the command could set its own handlers: a Ctrl-C
then gave Python's traceback and exit status -2, and a SIGTERM ended the process without a word. Here both signals are held while it
loads, then reported as any stop while starting is (one line, exit status 130, and the ``--json``
object). Imports nothing but :mod:`signal`, so that what is left unguarded is Python's own start.
"""

from __future__ import annotations

import signal

# typing.TYPE_CHECKING without importing typing; type checkers take it as True
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

__all__ = ["entry"]


def entry() -> None:
    """The ``linearnets`` console command and ``python -m linearnets``: :func:`linearnets.cli.entry`."""
    came: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        came.append(signum)

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        # ignored by whoever started us (SIGINT for `cmd &` in a script): it stays ignored; None:
        # a handler Python did not set, which could not be put back
        if signal.getsignal(sig) not in (signal.SIG_IGN, None):
            try:
                previous[sig] = signal.signal(sig, hold)
            except ValueError:  # not the main thread: no handler can be set there
                break
    try:
        from linearnets.cli import entry as command
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    command(stopped_while_loading=came[0] if came else None)
