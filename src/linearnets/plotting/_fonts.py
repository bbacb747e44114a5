"""Fonts for titles in Chinese (``lang="zh"`` labels): find an installed CJK font, or refuse clearly.

matplotlib's default DejaVu Sans has no Chinese glyphs: a title in Chinese would be drawn as empty
boxes, with a warning per missing glyph. matplotlib is imported only inside these functions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from linearnets.errors import UsageError

__all__ = ["cjk_family", "title_font"]

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


def _has_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


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


def _default_font_has(chars: set[str]) -> bool:
    """Return whether the font matplotlib draws text with by default (rcParams) has ``chars``."""
    from linearnets.plotting._mpl import matplotlib_module  # which imports this module

    matplotlib_module()
    from matplotlib import font_manager, ft2font

    try:
        path = font_manager.findfont(font_manager.FontProperties(), fallback_to_default=False)
        charmap = ft2font.FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):  # no such font, or one FreeType cannot read
        return False
    return all(ord(ch) in charmap for ch in chars)


def title_font(texts: Sequence[str]) -> dict[str, Any]:
    """Return the ``set_title`` keyword arguments that draw ``texts``: a CJK font for Chinese ones.

    None (``{}``) when matplotlib's own font, as rcParams choose it, has their glyphs already.

    Raises:
        UsageError: a text holds Chinese characters and no installed font has them (the figure
            would show empty boxes, with a warning per missing glyph).
    """
    if not any(_has_cjk(text) for text in texts):
        return {}
    if _default_font_has({ch for text in texts for ch in text if _has_cjk(ch)}):
        return {}  # the user's own font (rcParams, e.g. font.sans-serif=["SimHei"]) draws them
    family = cjk_family()
    if family is None:
        raise UsageError(
            "titles hold Chinese characters, but no installed font has them (the figure would show "
            "empty boxes); install one, e.g. 'sudo apt-get install fonts-wqy-microhei', or use "
            "English labels (lang='en', --lang en)"
        )
    return {"fontfamily": family}
