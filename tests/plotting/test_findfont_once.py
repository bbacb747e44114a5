"""Tests for linearnets.plotting._findfont_once: matplotlib's findfont lines said once each."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from linearnets.plotting._findfont_once import LOGGER, look_up_text_font, say_findfont_once
from linearnets.plotting._mpl import matplotlib_module


class _Kept(logging.Handler):
    """Keep the messages that reach the font logger's handlers (after its filters)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def kept() -> Iterator[_Kept]:
    logger = logging.getLogger(LOGGER)
    handler = _Kept()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _missing_font() -> str:
    """A family no machine has, new to matplotlib's cache of lookups in this process."""
    return f"NoSuchFont{uuid.uuid4().hex}"


def _draw_texts(family: str) -> None:
    """Draw texts of five sizes in ``family`` (each size a lookup of its own in matplotlib)."""
    with matplotlib.rc_context({"font.family": [family]}):
        fig = Figure()
        FigureCanvasAgg(fig)
        for size in (6, 8, 10, 12, 14):
            fig.text(0.1, size / 20, f"size {size}", fontsize=size)
        fig.canvas.draw()


def _told(messages: list[str], family: str) -> int:
    return messages.count(f"findfont: Font family {family!r} not found.")


def test_a_missing_font_is_told_once_not_per_text(
    kept: _Kept, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib itself says the line once per size drawn (the oracle, with the filter taken off);
    with it, once; a second missing font is told too, once."""
    matplotlib_module()
    logger = logging.getLogger(LOGGER)
    assert logger.level in (logging.NOTSET, logging.DEBUG, logging.INFO, logging.WARNING)
    with monkeypatch.context() as bare:
        bare.setattr(logger, "filters", [])
        plain = _missing_font()
        _draw_texts(plain)
    assert _told(kept.messages, plain) >= 5  # at least once per size
    first, second = _missing_font(), _missing_font()
    _draw_texts(first)
    _draw_texts(first)
    _draw_texts(second)
    assert (_told(kept.messages, first), _told(kept.messages, second)) == (1, 1)


def test_other_lines_of_the_font_logger_pass_each_time(kept: _Kept) -> None:
    """Only repeated findfont lines at WARNING or above are dropped: other texts, and findfont's
    DEBUG lines, pass each time."""
    say_findfont_once()
    logger = logging.getLogger(LOGGER)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    tag = uuid.uuid4().hex
    try:
        for _ in range(2):
            logger.warning("Could not save font_manager cache %s", tag)
            logger.debug("findfont: Matching %s", tag)
            logger.error("findfont: an error %s", tag)
    finally:
        logger.setLevel(level)
    assert [m for m in kept.messages if tag in m] == [
        f"Could not save font_manager cache {tag}",
        f"findfont: Matching {tag}",
        f"findfont: an error {tag}",
        f"Could not save font_manager cache {tag}",
        f"findfont: Matching {tag}",
    ]


def test_the_filter_is_added_once() -> None:
    say_findfont_once()
    say_findfont_once()
    matplotlib_module()
    names = [type(f).__name__ for f in logging.getLogger(LOGGER).filters]
    assert names.count("_FindfontOnce") == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_process_forked_after_the_look_up_does_not_say_it_again() -> None:
    """The side-by-side drawings fork after :func:`look_up_text_font`: the forked process draws
    texts in the missing font and says nothing (its parent said it once)."""
    family = _missing_font()
    read_end, write_end = os.pipe()
    with matplotlib.rc_context({"font.family": [family]}):
        look_up_text_font()
        pid = os.fork()
        if pid == 0:  # the forked process: report how many lines reached the handlers
            try:
                handler = _Kept()
                logging.getLogger(LOGGER).addHandler(handler)
                _draw_texts(family)
                os.write(write_end, str(_told(handler.messages, family)).encode())
            finally:
                os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    count = os.read(read_end, 16).decode()
    os.close(read_end)
    assert (status, count) == (0, "0")
