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


# the Chinese, Japanese and Korean characters the font offered for them (fonts-wqy-microhei, the
# font scripts/setup.sh installs) has and matplotlib's DejaVu Sans lacks, read from the two fonts'
# files (hex code points, ranges inclusive): CJK punctuation, kana and their marks, Bopomofo,
# Hangul's compatibility jamo and syllables, enclosed and squared CJK, the unified ideographs to
# U+9FC3, compatibility ones, vertical, small, full- and half-width forms. Others (a radical,
# U+2E80; Extension B) are told to use fonts that have them, as any text no font draws:
# installing that font would not draw them
_CJK_CODES = (
    "3000-3003 3005-3017 301d-301f 3021-3029 3041-3094 3099-309e 30a1-30f6 30fb-30fe "
    "3105-3129 3131-318e 3200-321c 3220-3229 3231-3232 3239 3260-327b 327f 32a3-32a8 3303 "
    "330d 3314 3318 3322-3323 3326-3327 332b 3336 333b 3349-334a 334d 3351 3357 337b-337e "
    "3380-3384 3388-33ca 33cd-33d3 33d5-33d6 33d8 33db-33dd 4d00 4db5 4e00-9fc3 ac00-d7a3 "
    "f900-fa2d fe30-fe31 fe33-fe44 fe49-fe52 fe54-fe57 fe59-fe66 fe68-fe6b ff01-ff5e "
    "ff61-ff9f ffe0-ffe6"
)
_CJK_RANGES = tuple(
    (chr(int(low, 16)), chr(int((high or low), 16)))
    for low, _, high in (span.partition("-") for span in _CJK_CODES.split())
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


def _font_paths(families: Sequence[str]) -> list[str]:
    """Return the files of those fonts of ``families`` that are installed (one each, as matplotlib
    picks it: ``'sans-serif'`` by rcParams' list); the others are skipped, as matplotlib skips them."""
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib_module()
    from matplotlib import font_manager

    paths: list[str] = []
    for family in families:
        try:
            paths.append(
                font_manager.findfont(
                    font_manager.FontProperties(family=[family]), fallback_to_default=False
                )
            )
        except (OSError, RuntimeError, ValueError):  # no such font
            continue
    return paths


def _fonts_lack(families: Sequence[str], chars: set[str]) -> set[str]:
    """Return those of ``chars`` that no installed font of ``families`` has; matplotlib draws each
    glyph with the first that has it."""
    lacking = set(chars)
    for path in _font_paths(families):
        charmap = _charmap(path)
        lacking = {ch for ch in lacking if ord(ch) not in charmap}
    return lacking


def _default_fonts() -> list[str]:
    """Return the font families matplotlib draws text with by default: rcParams' font.family, or
    where none of those is installed (``['Arial']``, ``'sans-serif'`` of ``['SimHei']``) the font
    matplotlib falls back to then (DejaVu Sans), named: a title's list that adds the CJK font to
    rcParams' would leave it out (matplotlib falls back only where no font of the list is found)."""
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib = matplotlib_module()
    from matplotlib import font_manager

    families = list(matplotlib.rcParams["font.family"])
    return families if _font_paths(families) else [font_manager.fontManager.defaultFamily["ttf"]]


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
    font has; none (``{}``) where matplotlib's fonts have them all. matplotlib draws each glyph
    with the first font of the list that has it: Hebrew beside Korean ('שמלה', '가방') and
    'Ɓag 가방' are drawn whole.

    Args:
        texts: the titles (tick labels) to draw; or, drawn together, each parameter's by its name
            (``{"true_labels": [...], "pred_labels": [...]}``), judged together.
        name: the caller's parameter that gave them, named by the refusal (``class_names``).

    Raises:
        UsageError: a text holds characters that none of these fonts has, with a CJK font or
            without: its fix to write them in Latin letters or to set rcParams' font.family to
            fonts that have them (another script's, ``'बैग'``, or a radical the CJK font offered
            lacks); and, with no CJK font installed, Chinese, Japanese or Korean characters
            (which that font has), their fix to install one or: the first text to write in Latin
            letters (none of the book's labels), where one is, shown; else the first such text,
            and the book's English labels (``lang='en'``, passed to what gave them). Both, where
            both are, in one refusal. A text is shown, as written, by its parameter and index.
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
    # the CJK font found lacks, nor one the font offered lacks (a radical): such a text is
    # refused alike with a CJK font or without, and beside CJK characters that want one
    # installed ('T恤'), each is told its fix in one refusal
    cjk = set() if family is not None else {ch for ch in undrawn if _has_cjk(ch)}
    other = undrawn - cjk
    refusals = []
    if other:
        key, i, text = next(entry for entry in named if not other.isdisjoint(entry[2]))
        refusals.append(
            f"{key} hold characters none of the fonts drawing them has ({key}[{i}] = {text!r}), "
            "so the figure would show empty boxes; write them in Latin letters, or set "
            "matplotlib.rcParams['font.family'] to installed fonts that have them"
        )
    if cjk:
        refusals.append(_no_cjk_font(named, cjk))
    raise UsageError(". Also, ".join(refusals))


def _no_cjk_font(named: Sequence[tuple[str, int, str]], cjk: set[str]) -> str:
    """Return the refusal of Chinese, Japanese or Korean characters ``cjk`` of the texts
    ``named`` (parameter, index, text) where no CJK font is installed."""
    from linearnets.data.labels import TEXT_LABELS_ZH

    # the book's Chinese labels (lang='zh') have English ones; a user's own names may not: one
    # among them ('猫' beside '包') and lang='en' leaves it as it is, so it is shown
    own = [
        entry
        for entry in named
        for line in entry[2].split("\n")  # a two-line title's, each
        if not cjk.isdisjoint(line) and line not in TEXT_LABELS_ZH
    ]
    key, i, text = (own or [entry for entry in named if not cjk.isdisjoint(entry[2])])[0]
    fix = (
        "write them in Latin letters"
        if own
        else "use the book's English labels, passing lang='en' to what gave them "
        "(get_fashion_mnist_labels(..., lang='en'), prediction_samples(..., lang='en'))"
    )
    return (
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
