"""matplotlib's ``findfont`` warnings said once each, not once per text drawn.

A matplotlibrc (or ``rcParams``) naming fonts that are not installed makes matplotlib log
``findfont: Font family 'X' not found.`` at every new size, weight or style a figure asks for: one
``linearnets softmax`` run printed that line about 2,500 times (804 in one epoch), ``data show``
104. :func:`say_findfont_once` filters matplotlib's ``matplotlib.font_manager`` logger so that each
distinct ``findfont`` line is let through once per process: the first still tells the user, and a
font newly missing (another setting) is told too. Other records of that logger, and those below
WARNING, pass as before; a user who silenced the logger sees nothing, as before. The filter stays
for the rest of the process, the user's own later figures included. Called by
:func:`linearnets.plotting._mpl.matplotlib_module`, so it applies from the package's first figure on
(D2L §3.5, §3.7 draw the figures).
"""

from __future__ import annotations

import logging

__all__ = ["look_up_text_font", "say_findfont_once"]

LOGGER = "matplotlib.font_manager"
_WEIGHTS = ("font.weight", "axes.titleweight", "axes.labelweight")


class _FindfontOnce(logging.Filter):
    """Drop a ``findfont`` warning whose text was already let through."""

    def __init__(self) -> None:
        super().__init__()
        self._said: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.getMessage()
        if not text.startswith("findfont:"):
            return True
        if text in self._said:
            return False
        self._said.add(text)
        return True


def say_findfont_once() -> None:
    """Add the filter to matplotlib's font logger, once (a second call changes nothing)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(each, _FindfontOnce) for each in logger.filters):
        logger.addFilter(_FindfontOnce())


def look_up_text_font() -> None:
    """Look up the font of rcParams' texts now, before forking processes that draw.

    They inherit this process's verdict (matplotlib's cache and the lines already let through), so a
    font that is not installed is told once, not once by each process that draws a text in it.
    """
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib = matplotlib_module()
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(1, 1, 72)
    # each weight texts, titles and labels are drawn in: a bold one missing is a line of its own
    weights = {matplotlib.rcParams[key] for key in _WEIGHTS}
    try:  # as a figure measures a text (an empty one: no glyph to miss): the same lookup, line
        for weight in sorted(weights, key=str):
            props = FontProperties(weight=weight)
            renderer.get_text_width_height_descent("", props, ismath=False)
    except (OSError, RuntimeError, ValueError):  # no font at all: each drawing says so itself
        return
