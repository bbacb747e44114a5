"""Titles in Chinese (linearnets.plotting._fonts): drawn with a font that has the glyphs, or refused."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # headless, before anything imports pyplot

import io
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
import torch

from linearnets.errors import UsageError
from linearnets.plotting import plot_confusion_matrix, plot_predictions, show_images

# the fix offered for the book's Chinese labels: lang='en' where they came from (none of the
# drawing functions has a lang)
ENGLISH = (
    "use the book's English labels, passing lang='en' to what gave them "
    "(get_fashion_mnist_labels(..., lang='en'), prediction_samples(..., lang='en'))"
)


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
    assert axes[0].title.get_fontfamily() == _with_default_fonts(family)
    plt.close(axes[0].figure)


def test_chinese_titles_without_such_a_font_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(
        UsageError,
        match=r"^titles hold Chinese, Japanese or Korean characters \(.+\), but no installed font",
    ):
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


def _with_default_fonts(family: str) -> list[str]:
    """Return the font list titles that need ``family`` are drawn with: rcParams' first."""
    return [*plt.rcParams["font.family"], family]


def _installed_cjk_family() -> str:
    from linearnets.plotting._fonts import cjk_family

    family = cjk_family()
    if family is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    return family


def test_predictions_in_chinese_keep_a_chosen_font_though_it_lacks_the_newline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # plot_predictions titles "true\npredicted": only the Chinese glyphs are looked for in the
    # chosen font (no font maps "\n"), as the Chinese edition's predict_ch3 with SimHei draws
    import matplotlib

    import linearnets.plotting._fonts as fonts
    from linearnets.plotting import plot_predictions

    family = _installed_cjk_family()
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    chosen = {"font.family": "sans-serif", "font.sans-serif": [family]}
    with matplotlib.rc_context(chosen), warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = plot_predictions(torch.rand(1, 4, 4), ["T恤"], ["短靴"])
        axes[0].figure.canvas.draw()
    assert axes[0].get_title() == "T恤\n短靴"


def test_a_default_font_with_some_of_the_glyphs_is_not_enough() -> None:
    # DejaVu Sans has the Yijing hexagrams (U+4DC0...) but no Chinese: all glyphs must be there
    from linearnets.plotting._fonts import title_font

    family = _installed_cjk_family()
    assert title_font(["\u4dc0恤"]) == {"fontfamily": _with_default_fonts(family)}
    assert title_font(["\u4dc0"]) == {}  # DejaVu Sans draws that one itself


@pytest.mark.parametrize(
    "text",
    ["、。", "\uf900"],
    ids=["ideographic punctuation", "compatibility"],
)
def test_cjk_symbols_outside_the_unified_ideographs_get_the_cjk_font(text: str) -> None:
    from linearnets.plotting._fonts import title_font

    family = _installed_cjk_family()
    assert title_font([text]) == {"fontfamily": _with_default_fonts(family)}


def test_a_cjk_font_known_by_name_is_found_without_scanning_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib import font_manager

    from linearnets.plotting._fonts import cjk_family

    family = _installed_cjk_family()
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [])
    assert cjk_family() == family


def test_a_cjk_font_missing_from_matplotlibs_cache_is_found_among_the_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a font installed after matplotlib cached its font list: found by file name and added
    from matplotlib import font_manager

    from linearnets.plotting._fonts import _CJK_FAMILIES, cjk_family

    family = _installed_cjk_family()
    paths = [f.fname for f in font_manager.fontManager.ttflist if f.name == family]
    cached = [f for f in font_manager.fontManager.ttflist if f.name not in _CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", cached)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: paths)
    assert cjk_family() == font_manager.FontProperties(fname=paths[0]).get_name() == family
    assert family in {f.name for f in font_manager.fontManager.ttflist}  # added


def test_a_cjk_font_whose_file_was_removed_is_refused_not_drawn_as_boxes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # matplotlib's cached font list still names a font uninstalled since: its titles were drawn
    # as empty boxes (matplotlib fell back to DejaVu Sans), and the command succeeded
    from matplotlib import font_manager

    from linearnets.plotting._fonts import _CJK_FAMILIES, cjk_family

    others = [f for f in font_manager.fontManager.ttflist if f.name not in _CJK_FAMILIES]
    gone = font_manager.FontEntry(fname=str(tmp_path / "wqy-microhei.ttc"), name=_CJK_FAMILIES[0])
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [*others, gone])
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [])  # none left among the files
    assert cjk_family() is None
    with pytest.raises(
        UsageError,
        match=r"^titles hold Chinese, Japanese or Korean characters \(.+\), but no installed font",
    ):
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["T恤", "短靴"])


@pytest.mark.parametrize(
    "titles",
    [["티셔츠", "바지"], ["ㄱ", "ㅏ"], ["ＡＢＣ", "ｔ"], ["⑪", "⑫"]],
    ids=["Hangul syllables", "Hangul compatibility jamo", "full-width forms", "a symbol"],
)
def test_titles_get_the_cjk_font_wherever_it_has_glyphs_the_default_font_lacks(
    titles: list[str],
) -> None:
    """Korean and full-width titles were drawn as empty boxes, a "Glyph missing" warning each,
    though the CJK font has them: only Chinese code points (to U+9FFF, U+F900-FAFF) switched."""
    family = _installed_cjk_family()
    with warnings.catch_warnings():  # DejaVu Sans would warn once per missing glyph
        warnings.simplefilter("error")
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=titles)
        axes[0].figure.canvas.draw()
    assert [ax.title.get_fontfamily() for ax in axes] == [_with_default_fonts(family)] * 2


def test_korean_titles_without_such_a_font_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(
        UsageError,
        match=r"^titles hold Chinese, Japanese or Korean characters \(titles\[0\] = '바'\), but no "
        r"installed font has them \(the figure would show empty boxes\); install one",
    ):
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["바", "지"])


def test_glyphs_the_default_font_has_keep_it() -> None:
    """Hebrew, accents and the Yijing hexagrams are DejaVu Sans's own: no CJK font for them."""
    from linearnets.plotting._fonts import title_font

    _installed_cjk_family()
    assert title_font(["חולצה", "café", "\u4dc0", "T-shirt\nshirt"]) == {}


@pytest.mark.parametrize(
    "titles",
    [["שמלה", "가방"], ["Ɓag 가방", "T恤"], ["שמלה 가방 Ɓ", "bag"]],
    ids=["Hebrew beside Korean", "Ɓ beside Hangul", "one title of three scripts"],
)
def test_titles_mixing_scripts_draw_each_glyph_from_a_font_that_has_it(titles: list[str]) -> None:
    """One family drew every title: the CJK font, which lacks Hebrew and Ɓ, so ['שמלה', '가방']
    warned "Glyph missing" for the Hebrew that DejaVu Sans drew before. The default fonts come
    first, the CJK font after: matplotlib falls back glyph by glyph."""
    family = _installed_cjk_family()
    for suffix in ("png", "svg", "pdf"):  # each backend lays out the glyphs itself
        with warnings.catch_warnings():  # a glyph missing from the fonts warns
            warnings.simplefilter("error")
            axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=titles)
            axes[0].figure.savefig(io.BytesIO(), format=suffix)
        assert [ax.get_title() for ax in axes] == titles
        assert [ax.title.get_fontfamily() for ax in axes] == [_with_default_fonts(family)] * 2
        plt.close(axes[0].figure)


@pytest.mark.parametrize(
    ("draw", "shown"),
    [
        (lambda: show_images(torch.rand(3, 4, 4), 1, 3, titles=["bag", "티셔츠", "바지"]), "titles[1] = '티셔츠'"),
        (lambda: plot_confusion_matrix(torch.eye(2), ["T-shirt 티셔츠", "바지"]), "class_names[0] = 'T-shirt 티셔츠'"),
        (lambda: plot_predictions(torch.rand(2, 4, 4), ["bag", "coat"], ["bag", "외투"]), "pred_labels[1] = '외투'"),
        (lambda: plot_predictions(torch.rand(1, 4, 4), ["T恤"], ["T恤"]), "true_labels[0] = 'T恤'"),
    ],
    ids=["show_images", "plot_confusion_matrix", "plot_predictions", "both labels"],
)  # fmt: skip
def test_the_refusal_without_a_cjk_font_names_the_parameter_and_the_title_as_written(
    draw: Callable[[], Any], shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The confusion matrix's refusal named 'titles' (its parameter is class_names), and showed
    the characters sorted by code point: '바셔지츠티' for ['티셔츠', '바지']."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        draw()
    name = shown.split("[")[0]
    # lang='en' is a fix for the book's Chinese labels ('T恤' is its T-shirt) alone: Korean or a
    # user's own names have no English ones to switch to
    books = "T恤" in shown
    other = ENGLISH if books else "write them in Latin letters"
    assert str(info.value) == (
        f"{name} hold Chinese, Japanese or Korean characters ({shown}), but no installed font has "
        "them (the figure would show empty boxes); install one, e.g. 'sudo apt-get install "
        f"fonts-wqy-microhei', or {other}"
    )
    assert plt.get_fignums() == []  # refused before a figure was made


@pytest.mark.parametrize(
    ("draw", "books"),
    [
        (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=["包", "猫"]), False),
        (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=["猫", "包"]), False),
        (lambda: plot_confusion_matrix(torch.eye(2), ["包", "猫"]), False),
        (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=["包\n短靴", "T恤\n猫"]), False),
        (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=["包\nbag", "T恤\n短靴"]), True),
    ],
    ids=["a book label first", "a book label second", "plot_confusion_matrix", "two-line titles", "the book's alone"],
)  # fmt: skip
def test_english_labels_are_offered_where_every_cjk_title_is_one_of_the_books(
    draw: Callable[[], Any], books: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix was picked by the first CJK title alone: ['包', '猫'] was told lang='en', which
    leaves '猫' (no book label) as it is, and ['猫', '包'] to write them in Latin letters."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        draw()
    other = ENGLISH if books else "write them in Latin letters"
    assert str(info.value).endswith(f"'sudo apt-get install fonts-wqy-microhei', or {other}")
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("draw", "shown", "other"),
    [
        (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=["包", "猫"]), "titles[1] = '猫'", "write them in Latin letters"),
        (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=["包\n短靴", "T恤\n猫"]), "titles[1] = 'T恤\\n猫'", "write them in Latin letters"),
        (lambda: plot_predictions(torch.rand(2, 4, 4), ["包", "包"], ["猫", "包"]), "pred_labels[0] = '猫'", "write them in Latin letters"),
        (lambda: plot_predictions(torch.rand(2, 4, 4), ["bag", "猫"], ["包", "bag"]), "true_labels[1] = '猫'", "write them in Latin letters"),
        (lambda: plot_predictions(torch.rand(2, 4, 4), ["bag", "包"], ["T恤", "包"]), "true_labels[1] = '包'", ENGLISH),
    ],
    ids=["titles", "two-line titles", "plot_predictions", "plot_predictions' true_labels", "the book's labels in both"],
)  # fmt: skip
def test_the_refusal_shows_the_text_to_write_in_latin_letters_from_either_labels(
    draw: Callable[[], Any], shown: str, other: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plot_predictions(X, ['包', '包'], ['猫', '包']) judged true_labels alone: 'true_labels[0] =
    '包' ... or use English labels (lang='en')', though '猫' has no English label; and titles
    ['包', '猫'], told to write them in Latin letters, were shown '包', the book's label."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        draw()
    name = shown.split("[")[0]
    assert str(info.value) == (
        f"{name} hold Chinese, Japanese or Korean characters ({shown}), but no installed font has "
        "them (the figure would show empty boxes); install one, e.g. 'sudo apt-get install "
        f"fonts-wqy-microhei', or {other}"
    )
    assert plt.get_fignums() == []


# the refusal of a text that neither matplotlib's font nor the CJK font draws
UNDRAWN = (
    "{shown}), so the figure would show empty boxes; write them in Latin letters, or set "
    "matplotlib.rcParams['font.family'] to installed fonts that have them"
)


# the refusal of Chinese, Japanese or Korean characters without a CJK font, the book's labels
NO_CJK_FONT = (
    "{shown}), but no installed font has them (the figure would show empty boxes); install one, "
    f"e.g. 'sudo apt-get install fonts-wqy-microhei', or {ENGLISH}"
)


@pytest.mark.parametrize("cjk_font", [True, False], ids=["a CJK font", "no CJK font"])
@pytest.mark.parametrize(
    ("draw", "shown", "cjk"),
    [
        (lambda t: show_images(torch.rand(2, 4, 4), 1, 2, titles=["包", t]), "titles[1] = 'बैग'", "titles[0] = '包'"),
        (lambda t: show_images(torch.rand(2, 4, 4), 1, 2, titles=[t, "T恤"]), "titles[0] = 'बैग'", "titles[1] = 'T恤'"),
        (lambda t: show_images(torch.rand(2, 4, 4), 1, 2, titles=["Bag", t]), "titles[1] = 'बैग'", None),
        (lambda t: show_images(torch.rand(2, 4, 4), 1, 2, titles=["T恤", "包\n" + t]), "titles[1] = '包\\nबैग'", "titles[0] = 'T恤'"),
        (lambda t: plot_predictions(torch.rand(2, 4, 4), ["包", "包"], [t, "包"]), "pred_labels[0] = 'बैग'", "true_labels[0] = '包'"),
        (lambda t: plot_confusion_matrix(torch.eye(2), ["包", t]), "class_names[1] = 'बैग'", "class_names[0] = '包'"),
    ],
    ids=["beside Chinese", "first", "beside English", "another script's line", "plot_predictions", "plot_confusion_matrix"],
)  # fmt: skip
def test_a_text_no_font_draws_is_refused_alike_with_a_cjk_font_or_without(
    draw: Callable[[str], Any],
    shown: str,
    cjk: str | None,
    cjk_font: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only where no CJK font was installed and another text held CJK characters was 'बैग'
    refused, told to install fonts 'e.g. fonts-wqy-microhei for Chinese', which would not draw
    it (only the CJK font is added to the titles' fonts); ['包', 'बैग'] with that font, and
    ['Bag', 'बैग'] without, drew boxes with a "Glyph ... missing" warning each. Written in Latin
    letters, as told, it is drawn. Without a CJK font, the Chinese beside it was left out of its
    refusal: 'बैग' written as 'Bag', as told, was refused again, told to install a CJK font; the
    one refusal names both, each with its fix, and writing 'Bag' leaves the Chinese's alone."""
    import linearnets.plotting._fonts as fonts

    if cjk_font:
        _installed_cjk_family()
    else:
        monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        draw("बैग")
    name = shown.split("[")[0]
    undrawn = (
        f"{name} hold characters none of the fonts drawing them has ({UNDRAWN.format(shown=shown)}"
    )
    if cjk_font or cjk is None:
        assert str(info.value) == undrawn
    else:
        chinese = f"{cjk.split('[')[0]} hold Chinese, Japanese or Korean characters ({NO_CJK_FONT.format(shown=cjk)}"
        assert str(info.value) == f"{undrawn}. Also, {chinese}"
        with pytest.raises(UsageError) as again:  # the Chinese alone is left
            draw("Bag")
        assert str(again.value) == chinese
    assert plt.get_fignums() == []
    if cjk_font or cjk is None:
        with warnings.catch_warnings():  # a glyph missing from the fonts warns
            warnings.simplefilter("error")
            draw("Bag")
            plt.gcf().savefig(io.BytesIO(), format="png")


def test_a_text_no_font_draws_beside_the_books_chinese_follows_both_fixes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """['T恤', 'बैग'] without a CJK font named 'बैग' alone; written 'Bag', as told, the titles
    were refused again for 'T恤'. Both are named, each with its fix; following both (the book's
    English label, 'Bag'), or installing the CJK font and writing 'Bag', draws them."""
    import linearnets.plotting._fonts as fonts

    family = _installed_cjk_family()
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["T恤", "बैग"])
    assert str(info.value) == (
        "titles hold characters none of the fonts drawing them has (titles[1] = 'बैग'), so the "
        "figure would show empty boxes; write them in Latin letters, or set "
        "matplotlib.rcParams['font.family'] to installed fonts that have them. Also, titles hold "
        "Chinese, Japanese or Korean characters (titles[0] = 'T恤'), but no installed font has "
        "them (the figure would show empty boxes); install one, e.g. 'sudo apt-get install "
        "fonts-wqy-microhei', or use the book's English labels, passing lang='en' to what gave "
        "them (get_fashion_mnist_labels(..., lang='en'), prediction_samples(..., lang='en'))"
    )
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels

    english = get_fashion_mnist_labels(torch.tensor([0]), lang="en")
    with warnings.catch_warnings():  # a glyph missing from the fonts warns
        warnings.simplefilter("error")
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=[*english, "Bag"])
        axes[0].figure.savefig(io.BytesIO(), format="png")
        monkeypatch.setattr(fonts, "cjk_family", lambda: family)  # installed, as told
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=["T恤", "Bag"])
        axes[0].figure.savefig(io.BytesIO(), format="png")
    assert [ax.get_title() for ax in axes] == ["T恤", "Bag"]


@pytest.mark.parametrize("text", ["\U0001f45c", "\u2e80"], ids=["an emoji", "a CJK radical"])
def test_a_text_the_cjk_font_lacks_is_refused_though_it_is_installed(text: str) -> None:
    """With the CJK font installed ['Bag', '👜'] drew a box, and a radical it lacks got that font,
    and a box; without one, the same refusal (no CJK font offered has a radical)."""
    from linearnets.plotting._fonts import _charmap

    family = _installed_cjk_family()
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=[family]))
    if ord(text) in _charmap(path):
        pytest.skip(f"{family} has {text!r}")
    with pytest.raises(UsageError) as info:
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["Bag", text])
    assert str(info.value) == (
        f"titles hold characters none of the fonts drawing them has ("
        f"{UNDRAWN.format(shown=f'titles[1] = {text!r}')}"
    )


def test_a_text_refused_is_drawn_with_the_fonts_the_refusal_says_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'⑪' (the CJK font's, no CJK character) drew a box where that font was not found: refused,
    it is drawn once rcParams' fonts have it, each glyph from the first that has it."""
    import matplotlib

    import linearnets.plotting._fonts as fonts

    family = _installed_cjk_family()
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)  # a font linearnets does not know
    with pytest.raises(UsageError) as info:
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["Bag é", "⑪"])
    assert str(info.value) == (
        f"titles hold characters none of the fonts drawing them has ("
        f"{UNDRAWN.format(shown='titles[1] = ' + repr('⑪'))}"
    )
    # a glyph missing from the fonts warns
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", family]}), warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=["Bag é", "⑪"])
        axes[0].figure.canvas.draw()
    assert [ax.get_title() for ax in axes] == ["Bag é", "⑪"]


@pytest.mark.parametrize("text", ["10㎏", "いすゞ", "㈱", "︰"])
def test_cjk_characters_the_font_offered_has_are_told_to_install_it(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Squared units, kana's iteration marks, enclosed and vertical forms, which fonts-wqy-microhei
    draws, were told no font has them ('set rcParams['font.family'] to installed fonts that have
    them', none here), 'いすゞ' that and the install at once; installing that font draws them."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["Bag", text])
    said = str(info.value)
    assert said.startswith(
        f"titles hold Chinese, Japanese or Korean characters (titles[1] = {text!r})"
    )
    assert said.endswith(
        "'sudo apt-get install fonts-wqy-microhei', or write them in Latin letters"
    )
    assert "none of the fonts" not in said


def test_a_cjk_radical_without_a_cjk_font_is_refused_as_no_font_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a CJK font, a radical (U+2E80) was told to install one, 'e.g. fonts-wqy-microhei',
    which lacks it: installed, as told, it was refused again, as a character no font has. It is
    refused so at once; written in Latin letters, as told, it is drawn."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.raises(UsageError) as info:
        show_images(torch.rand(2, 4, 4), 1, 2, titles=["Bag", "\u2e80"])
    shown = UNDRAWN.format(shown="titles[1] = '\u2e80'")
    assert str(info.value) == f"titles hold characters none of the fonts drawing them has ({shown}"
    assert _png(["Bag", "Radical"]).startswith(b"\x89PNG")  # drawn, no glyph missing


def test_a_cjk_font_is_offered_only_for_characters_the_font_offered_has() -> None:
    """Every character told to install fonts-wqy-microhei is one that font has (its file read
    by FreeType): a radical was told to, and the font installed lacked it."""
    from matplotlib import font_manager, ft2font

    from linearnets.plotting._fonts import _CJK_RANGES

    try:
        path = font_manager.findfont(
            font_manager.FontProperties(family=["WenQuanYi Micro Hei"]), fallback_to_default=False
        )
    except ValueError:
        pytest.skip("fonts-wqy-microhei is not installed (scripts/setup.sh installs it)")
    charmap = set(ft2font.FT2Font(path).get_charmap())
    offered = {code for low, high in _CJK_RANGES for code in range(ord(low), ord(high) + 1)}
    assert sorted(offered - charmap) == []
    # and every CJK character it has and matplotlib's own font lacks: '10㎏' and 'いすゞ' were
    # told no font has them, where installing it draws them
    default = font_manager.findfont(font_manager.FontProperties(family=["DejaVu Sans"]))
    lacking = charmap - set(ft2font.FT2Font(default).get_charmap())
    assert sorted(hex(c) for c in lacking - offered if 0x3000 <= c <= 0xFFEF) == []
    assert {
        0x4E00,
        0x9FA5,
        0x3042,
        0x30A2,
        0xAC00,
        0xD7A3,
        0xFF21,
    } <= offered  # 一 龥 あ ア 가 힣 Ａ


def _not_installed(family: str) -> None:
    from matplotlib import font_manager

    try:
        font_manager.findfont(
            font_manager.FontProperties(family=[family]), fallback_to_default=False
        )
    except ValueError:
        return
    pytest.skip(f"{family} is installed")


def _png(titles: list[str]) -> bytes:
    """Return the PNG show_images draws ``titles`` into, refusing any glyph missing."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a glyph missing from the fonts warns
        warnings.simplefilter("error")
        axes = show_images(torch.linspace(0, 1, 32).reshape(2, 4, 4), 1, 2, titles=titles)
        axes[0].figure.savefig(buffer, format="png")
    plt.close(axes[0].figure)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("rc", "missing"),
    [({"font.sans-serif": ["SimHei"]}, "SimHei"), ({"font.family": ["Arial"]}, "Arial")],
    ids=["font.sans-serif", "font.family"],
)
def test_rcparams_fonts_not_installed_are_judged_by_the_font_matplotlib_falls_back_to(
    rc: dict[str, Any], missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fonts of rcParams that are not installed were skipped, and 'Café' refused as no font's,
    though matplotlib falls back to DejaVu Sans then and draws it: it is drawn, as that font
    draws it by default."""
    import matplotlib

    import linearnets.plotting._fonts as fonts

    _not_installed(missing)
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    default = _png(["Bag", "Café"])
    with matplotlib.rc_context(rc):
        assert _png(["Bag", "Café"]) == default


def test_cjk_titles_beside_rcparams_fonts_not_installed_keep_the_fallback_font() -> None:
    """With font.family = ['Arial'], not installed, 'Ɓag 가방' was refused for 'Ɓ', which DejaVu
    Sans, the font matplotlib falls back to, has: the fonts are that one and the CJK font."""
    import matplotlib

    family = _installed_cjk_family()
    _not_installed("Arial")
    titles = ["Ɓag 가방", "T恤"]
    default = _png(titles)
    with matplotlib.rc_context({"font.family": ["Arial"]}):
        assert _png(titles) == default
        axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=titles)
        assert axes[0].title.get_fontfamily() == ["DejaVu Sans", family]
