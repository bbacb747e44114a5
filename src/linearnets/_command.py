"""The ``linearnets`` command's first code: a stop that comes while the command's modules load is held.

Loading :mod:`linearnets.cli` (argparse, the reports, the signal helpers) took 0.05–0.22 s on the
2-core VM (``bench/bench_startup.py``), before the command could set its own handlers: a Ctrl-C
then gave Python's traceback and exit status -2, and a SIGTERM ended the process without a word.
Here both signals are held while it loads, then reported as any stop while starting is (one line,
exit status 130, and the ``--json`` object).

Holding them is the first thing :func:`entry` does, and nothing is imported before it: not
:mod:`signal`, which builds its enums as it loads (0.5 ms; 2–4 ms where :mod:`enum` was not loaded
yet, as under ``python -m``), the most of what was left of the window, but ``_signal``, the C module
Python loaded at its own start. Left unguarded, to Python's own handling (a Ctrl-C's traceback,
exit status 1 or -2; a SIGTERM ends the process without a word):

- Python's own start (``python -c pass``: 0.02–0.04 s here), and :mod:`runpy` for
  ``python -m linearnets``;
- in the console script pip writes, what runs before :func:`entry`: its ``import re`` (about
  6 ms, enums again), the loading of the :mod:`linearnets` package and of this module (0.3 ms;
  2 ms where Python may not write their compiled code, ``PYTHONDONTWRITEBYTECODE``), and the
  ``re.sub`` that tidies ``sys.argv[0]``.

Once :mod:`linearnets.cli` has loaded, the moment (about 70 µs) between this function giving the
handlers back and :func:`linearnets.cli.entry` setting its own (its ``command_signals``) has
Python's handler, but ``entry`` reports its ``KeyboardInterrupt`` as a stop while starting too.
"""

# no `from __future__ import annotations`: it would import __future__ in that window
# typing.TYPE_CHECKING without importing typing; type checkers take it as True
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal  # the functions and constants of _signal, which signal re-exports
    from types import FrameType
else:
    import _signal  # built in, and already loaded: Python set its SIGINT handler with it

__all__ = ["entry"]


def entry() -> None:
    """The ``linearnets`` console command and ``python -m linearnets``: :func:`linearnets.cli.entry`."""
    came: list[int] = []

    def hold(signum: int, frame: "FrameType | None") -> None:
        came.append(signum)

    previous = {}
    for sig in (_signal.SIGINT, _signal.SIGTERM):
        # ignored by whoever started us (SIGINT for `cmd &` in a script): it stays ignored; None:
        # a handler Python did not set, which could not be put back
        if _signal.getsignal(sig) not in (_signal.SIG_IGN, None):
            try:
                previous[sig] = _signal.signal(sig, hold)
            except ValueError:  # not the main thread: no handler can be set there
                break
    try:
        from linearnets.cli import entry as command
    finally:
        for sig, handler in previous.items():
            _signal.signal(sig, handler)
    command(stopped_while_loading=came[0] if came else None)
