"""Fonts for titles in Chinese (``lang="zh"`` labels), Japanese or Korean: find an installed CJK
font, or refuse clearly.

matplotlib's default DejaVu Sans has no Chinese, Japanese or Korean glyphs: such a title would be
drawn as empty boxes, with a warning per missing glyph. A title that neither matplotlib's fonts nor
the CJK font can draw (another script's, 'बैग') is refused too. matplotlib is imported only inside
these functions.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from linearnets.errors import UsageError

__all__ = ["check_lang_font", "cjk_family", "title_font"]

# fonts holding the Chinese glyphs of lang="zh" labels; matplotlib's default DejaVu Sans has none
_CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)
_CJK_FILES = (
    "wqymicrohei",
    "wqyzenhei",
    "notosanscjk",
    "sourcehansans",
    "droidsansfallback",
    "uming",
)


# Chinese, Japanese and Korean scripts: radicals to ideographs (kana, Hangul's compatibility jamo
# among them), Hangul jamo and syllables, compatibility ideographs and forms, full-width forms,
# and the ideographs of Extension B on (planes 2 and 3)
_CJK_RANGES = (
    ("\u1100", "\u11ff"),
    ("\u2e80", "\u9fff"),
    ("\ua960", "\ua97f"),
    ("\uac00", "\ud7ff"),
    ("\uf900", "\ufaff"),
    ("\ufe30", "\ufe4f"),
    ("\uff00", "\uffef"),
    ("\U00020000", "\U0003ffff"),
)


def _has_cjk(text: str) -> bool:
    return any(low <= ch <= high for ch in text for low, high in _CJK_RANGES)


def cjk_family() -> str | None:
    """Return the family name of an installed font with Chinese glyphs, or ``None``.

    matplotlib's font list is cached from its first run, so a font installed since then is looked
    for among the system's font files and added; one removed since then is still listed, and
    counts only while its file is there (else titles in its name were drawn as empty boxes).
    """
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib_module()
    from matplotlib import font_manager

    installed = {
        font.name
        for font in font_manager.fontManager.ttflist
        if font.name in _CJK_FAMILIES and os.path.isfile(font.fname)
    }
    found = next((family for family in _CJK_FAMILIES if family in installed), None)
    if found is not None:
        return found
    for path in font_manager.findSystemFonts():
        if any(part in Path(path).name.lower().replace("-", "") for part in _CJK_FILES):
            try:
                font_manager.fontManager.addfont(path)
                return str(font_manager.FontProperties(fname=path).get_name())
            except (OSError, RuntimeError, ValueError):
                continue
    return None


def _fonts_lack(families: Sequence[str], chars: set[str]) -> set[str]:
    """Return those of ``chars`` that no font of ``families`` (one each, as matplotlib picks it:
    ``'sans-serif'`` by rcParams' list) has; matplotlib draws each glyph with the first that has it."""
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib_module()
    from matplotlib import font_manager

    lacking = set(chars)
    for family in families:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=[family]), fallback_to_default=False
            )
        except (OSError, RuntimeError, ValueError):  # no such font
            continue
        charmap = _charmap(path)
        lacking = {ch for ch in lacking if ord(ch) not in charmap}
    return lacking


def _default_fonts() -> list[str]:
    """Return the font families matplotlib draws text with by default (rcParams)."""
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    return list(matplotlib_module().rcParams["font.family"])


@functools.lru_cache(maxsize=8)
def _charmap(path: str) -> frozenset[int]:
    """Return the code points the font file ``path`` has glyphs for (none where FreeType cannot
    read it); a few milliseconds for a CJK font's 30,000, once."""
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib_module()
    from matplotlib import ft2font

    try:
        return frozenset(ft2font.FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def title_font(
    texts: Sequence[str] | Mapping[str, Sequence[str]], name: str = "titles"
) -> dict[str, Any]:
    """Return the ``set_title`` keyword arguments that draw ``texts``: matplotlib's own fonts, as
    rcParams choose them, then the installed CJK font (:func:`cjk_family`) where they lack Chinese,
    Japanese or Korean characters of theirs (Hangul and full-width forms too), or other glyphs that
    font has; none (``{}``) where matplotlib's fonts have them all. matplotlib draws each glyph with the first font of the list
    that has it: Hebrew beside Korean ('שמלה', '가방') and 'Ɓag 가방' are drawn whole.

    Args:
        texts: the titles (tick labels) to draw; or, drawn together, each parameter's by its name
            (``{"true_labels": [...], "pred_labels": [...]}``), judged together.
        name: the caller's parameter that gave them, named by the refusal (``class_names``).

    Raises:
        UsageError: a text holds characters that none of these fonts has, with a CJK font or
            without: its fix to write them in Latin letters or to set rcParams' font.family to
            fonts that have them (another script's, ``'बैग'``, shown first); or, with no CJK font
            installed, Chinese, Japanese or Korean characters, their fix to install one or: the
            first text to write in Latin letters (none of the book's labels), where one is,
            shown; else the first such text, and the book's English labels (``lang='en'``,
            passed to what gave them). A text is shown, as written, by its parameter and index.
    """
    named = [
        (key, i, text)
        for key, group in (texts.items() if isinstance(texts, Mapping) else [(name, texts)])
        for i, text in enumerate(group)
    ]
    # ASCII is in every font; "\n" (two-line titles) is in none, and needs none
    chars = {ch for _, _, text in named for ch in text if ord(ch) > 0x7F}
    default = _default_fonts()
    missing = _fonts_lack(default, chars) if chars else set()
    if not missing:
        return {}  # the user's own font (rcParams, e.g. font.sans-serif=["SimHei"]) draws them
    family = cjk_family()
    undrawn = missing if family is None else _fonts_lack([family], missing)
    if not undrawn:
        # the default fonts first: the CJK font's own Latin, Hebrew, ... would replace theirs
        return {"fontfamily": [*default, family]}
    # a CJK font installed draws CJK characters; none draws another script's ('बैग'), nor one
    # the CJK font found lacks: such a text is refused alike with that font or without
    other = {ch for ch in undrawn if family is not None or not _has_cjk(ch)}
    if other:
        key, i, text = next(entry for entry in named if not other.isdisjoint(entry[2]))
        raise UsageError(
            f"{key} hold characters none of the fonts drawing them has ({key}[{i}] = {text!r}), "
            "so the figure would show empty boxes; write them in Latin letters, or set "
            "matplotlib.rcParams['font.family'] to installed fonts that have them"
        )
    from linearnets.data.labels import TEXT_LABELS_ZH

    # Chinese, Japanese or Korean alone, and no CJK font: the book's Chinese labels (lang='zh')
    # have English ones; a user's own names may not: one among them ('猫' beside '包') and
    # lang='en' leaves it as it is, so it is shown
    own = [
        entry
        for entry in named
        for line in entry[2].split("\n")  # a two-line title's, each
        if not undrawn.isdisjoint(line) and line not in TEXT_LABELS_ZH
    ]
    key, i, text = (own or [entry for entry in named if not undrawn.isdisjoint(entry[2])])[0]
    fix = (
        "write them in Latin letters"
        if own
        else "use the book's English labels, passing lang='en' to what gave them "
        "(get_fashion_mnist_labels(..., lang='en'), prediction_samples(..., lang='en'))"
    )
    raise UsageError(
        f"{key} hold Chinese, Japanese or Korean characters ({key}[{i}] = {text!r}), but "
        "no installed font has them (the figure would show empty boxes); install one, e.g. "
        f"'sudo apt-get install fonts-wqy-microhei', or {fix}"
    )


def check_lang_font(lang: object) -> None:
    """Refuse ``lang='zh'`` where no installed font draws the book's Chinese label names, before
    any image is read: the caller (``predict``, ``data show``) asked for them by ``lang`` and
    passed no titles, so the refusal names ``lang`` (:func:`title_font`'s names its titles).
    Another ``lang`` is left to :func:`~linearnets.data.labels.get_fashion_mnist_labels`'s check.

    Raises:
        UsageError: ``lang`` is ``'zh'`` and no installed font has the labels' characters.
    """
    if not isinstance(lang, str) or lang != "zh":
        return
    from linearnets.data.labels import TEXT_LABELS_ZH

    try:
        title_font(TEXT_LABELS_ZH, "labels")
    except UsageError:
        missing = _fonts_lack(_default_fonts(), set("".join(TEXT_LABELS_ZH)))
        first = next(label for label in TEXT_LABELS_ZH if not missing.isdisjoint(label))
        raise UsageError(
            f"lang='zh' gives Chinese label names ({first!r}), but no installed font has their "
            "characters (the figure would show empty boxes); pass lang='en' for the book's "
            "English labels, or install a font that has them, e.g. 'sudo apt-get install "
            "fonts-wqy-microhei'"
        ) from None
