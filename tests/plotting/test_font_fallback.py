"""Fonts matplotlib's settings name that are not installed (linearnets.plotting._font_fallback):
one warning naming them and the font drawn in, not matplotlib's line for every text drawn."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
import torch

from linearnets.errors import FontWarning
from linearnets.plotting import show_images

FALLBACK = "DejaVu Sans"  # matplotlib's fallback font (fontManager.defaultFamily["ttf"])


@contextlib.contextmanager
def _font_log() -> Iterator[list[str]]:
    """Yield the list of the messages matplotlib's font logger gives while in the block."""
    caught: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caught.append(record.getMessage())

    logger = logging.getLogger("matplotlib.font_manager")
    handler = Catch(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield caught
    finally:
        logger.removeHandler(handler)


def _draw(tmp_path: Path) -> list[str]:
    """Draw and save a grid of titled images; return the messages matplotlib's font logger gave."""
    with _font_log() as caught:
        axes = show_images(torch.rand(4, 4, 4), 2, 2, titles=["a", "b", "c", "d"])
        axes[0].figure.savefig(tmp_path / "grid.png")
    return caught


@pytest.mark.parametrize(
    ("settings", "named", "drawn"),
    [
        (
            {"font.family": ["NoSuchFontA"]},
            "font.family: NoSuchFontA",
            "matplotlib's fallback font",
        ),
        (
            {"font.family": ["sans-serif"], "font.sans-serif": ["NoSuchHeiB"]},
            "font.sans-serif: NoSuchHeiB",
            "matplotlib's fallback font",
        ),
        (
            {"font.family": ["NoSuchFontC", "sans-serif"]},
            "font.family: NoSuchFontC",
            "the next font of font.family",
        ),
    ],
    ids=["own-font", "generic-list", "one-of-two"],
)
def test_fonts_not_installed_are_told_once_not_logged_per_text(
    tmp_path: Path, settings: dict[str, list[str]], named: str, drawn: str
) -> None:
    with matplotlib.rc_context(settings), warnings.catch_warnings(record=True) as told:
        warnings.simplefilter("always")
        logged = _draw(tmp_path) + _draw(tmp_path)
    assert not [line for line in logged if "not found" in line], logged[:3]
    fonts = [w for w in told if issubclass(w.category, FontWarning)]
    assert [str(w.message) for w in fonts] == [
        f"matplotlib's settings name fonts that are not installed ({named}), so the figures' "
        f"text is drawn in {FALLBACK}, {drawn}; install them, or name installed fonts in "
        "matplotlib.rcParams or a matplotlibrc (matplotlib.matplotlib_fname() names the one read)"
    ]
    assert fonts[0].filename == __file__  # the user's line, not one of matplotlib's


def test_fonts_the_user_sets_after_a_judged_list_are_still_logged(tmp_path: Path) -> None:
    """After one drawing judged font.sans-serif: [NoSuchHeiE], the user's next try, [NoSuchHeiF],
    was dropped from matplotlib's log for good (its lines were dropped by the generic family's
    name alone): only the lines of the list judged are dropped."""
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["NoSuchHeiE"]}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FontWarning)
            _draw(tmp_path)
        matplotlib.rcParams["font.sans-serif"] = ["NoSuchHeiF"]  # the user's own figure next
        with _font_log() as caught:
            fig = matplotlib.figure.Figure()
            fig.add_subplot().set_title("x")
            fig.savefig(tmp_path / "own.png")
    assert any("NoSuchHeiF" in line for line in caught), caught[:3]


def test_a_missing_font_after_an_installed_first_is_told_as_a_backup(tmp_path: Path) -> None:
    """font.family: sans-serif, NoSuchFontG was told "drawn in DejaVu Sans, the next font of
    font.family", where DejaVu Sans is its first: the text is drawn as set, the missing font
    only backs it up."""
    settings = {"font.family": ["sans-serif", "NoSuchFontG"]}
    with matplotlib.rc_context(settings), warnings.catch_warnings(record=True) as told:
        warnings.simplefilter("always")
        _draw(tmp_path)
    assert [str(w.message) for w in told if issubclass(w.category, FontWarning)] == [
        "matplotlib's settings name fonts that are not installed (font.family: NoSuchFontG), so "
        f"the figures' text is drawn in {FALLBACK}, font.family's first, which they only back "
        "up; install them, or name installed fonts in matplotlib.rcParams or a matplotlibrc (matplotlib.matplotlib_fname() names the one read)"
    ]


def test_the_note_waits_for_a_text_drawn_in_the_missing_fonts(tmp_path: Path) -> None:
    """The note was said as matplotlib was loaded: before a refusal that draws nothing (data show
    of a missing folder), and for figures whose every text names its own fonts (--lang zh's
    titles), drawn exactly as without the setting. It waits for a text drawn in them."""
    from linearnets.plotting._mpl import matplotlib_module

    settings = {"font.family": ["NoSuchFontH"]}
    with matplotlib.rc_context(settings), warnings.catch_warnings(record=True) as told:
        warnings.simplefilter("always")
        matplotlib_module()  # loaded, nothing drawn
        fig = matplotlib.figure.Figure()
        fig.text(0.5, 0.5, "x", fontfamily=["DejaVu Sans"])  # its own fonts
        fig.savefig(tmp_path / "own.png")
        assert not [w for w in told if issubclass(w.category, FontWarning)]
        fig.text(0.2, 0.2, "y")  # in the settings' fonts
        fig.savefig(tmp_path / "rc.png")
    fonts = [w for w in told if issubclass(w.category, FontWarning)]
    assert len(fonts) == 1 and "(font.family: NoSuchFontH)" in str(fonts[0].message)
    assert fonts[0].filename == __file__  # the user's savefig line, past matplotlib's frames


def test_a_font_the_user_names_on_a_text_is_still_logged(tmp_path: Path) -> None:
    """Only the families of the settings told are dropped: matplotlib's line for another stays."""
    with _font_log() as caught:
        axes = show_images(torch.rand(1, 4, 4), 1, 1)
        axes[0].set_title("x", fontfamily="NoSuchTitleFontD")
        axes[0].figure.savefig(tmp_path / "one.png")
    assert "findfont: Font family 'NoSuchTitleFontD' not found." in caught


def test_a_script_gets_one_warning_from_train_ch3_and_predict_ch3(tmp_path: Path) -> None:
    """The book's functions in a script, with the Chinese readers' font.sans-serif: SimHei."""
    script = tmp_path / "script.py"
    script.write_text(
        "import matplotlib\n"
        "matplotlib.rcParams['font.sans-serif'] = ['NoSuchHeiE']\n"
        "import torch\n"
        "from torch import nn\n"
        "from linearnets import d2l\n"
        "X, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))\n"
        "train_iter = d2l.load_array((X, y), 32)\n"
        "net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))\n"
        "loss = nn.CrossEntropyLoss(reduction='none')\n"
        "trainer = torch.optim.SGD(net.parameters(), lr=0.1)\n"
        "d2l.train_ch3(net, train_iter, train_iter, loss, 2, trainer)\n"
        "d2l.predict_ch3(net, train_iter, n=4)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stderr
    assert "findfont" not in done.stderr
    assert done.stderr.count("FontWarning") == 1, done.stderr
    assert (
        f"{script}:11: FontWarning: matplotlib's settings name fonts that are not installed "
        f"(font.sans-serif: NoSuchHeiE), so the figures' text is drawn in {FALLBACK}" in done.stderr
    )
