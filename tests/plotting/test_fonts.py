"""Titles in Chinese (linearnets.plotting._fonts): drawn with a font that has the glyphs, or refused."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # headless, before anything imports pyplot

import warnings
from collections.abc import Iterator

import matplotlib.pyplot as plt
import pytest
import torch

from linearnets.errors import UsageError
from linearnets.plotting import show_images


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def test_chinese_titles_are_drawn_with_a_font_that_has_their_glyphs() -> None:
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels
    from linearnets.plotting._fonts import cjk_family

    family = cjk_family()
    if family is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    titles = get_fashion_mnist_labels(torch.tensor([0, 9]), lang="zh")
    with warnings.catch_warnings():  # DejaVu Sans would warn once per missing glyph
        warnings.simplefilter("error")
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=titles)
        axes[0].figure.canvas.draw()
    assert [ax.get_title() for ax in axes] == ["T恤", "短靴"]
    assert axes[0].title.get_fontfamily() == [family]
    plt.close(axes[0].figure)


def test_chinese_titles_without_such_a_font_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError, match=r"titles hold Chinese characters, but no installed font"):
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["T恤", "短靴"])
    show_images(
        torch.rand(2, 4, 4), 1, 2, titles=["T-shirt", "ankle boot"]
    )  # English: no font needed
    plt.close("all")


def test_chinese_titles_keep_a_chosen_font_that_has_their_glyphs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a font the user chose (the Chinese edition's rcParams["font.sans-serif"] = ["SimHei"]) draws
    # them, as in the book, though it is none of the fonts linearnets looks for
    import matplotlib

    import linearnets.plotting._fonts as fonts

    family = fonts.cjk_family()
    if family is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)  # none of those linearnets knows
    chosen = {"font.family": "sans-serif", "font.sans-serif": [family]}
    # a font without the glyphs would warn once per glyph
    with matplotlib.rc_context(chosen), warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=["T恤", "短靴"])
        axes[0].figure.canvas.draw()
    assert [ax.get_title() for ax in axes] == ["T恤", "短靴"]
