"""Fonts that matplotlib's settings name but are not installed (``font.sans-serif: SimHei`` in a
matplotlibrc, ``font.family: Arial`` on Linux): said once, in one line, not matplotlib's hundreds.

matplotlib logs "findfont: Generic family 'sans-serif' not found ..." for every text it lays out
(800 lines for a run's figures, written into a progress bar's row by the plotting process), then
draws with its fallback font all the same. Those lines are dropped here (a filter on its font
logger), and the fonts are judged as :mod:`linearnets.plotting._fonts` judges them: one
:class:`FontWarning` names those not found and the font the text is drawn in, once for each set
of settings. The plotting process of a run holds its note (:func:`hold_notes`) and hands it to
the parent, which says it once the bars are gone.
"""

from __future__ import annotations

import logging
from typing import Any

from linearnets._warn import warn
from linearnets.errors import FontWarning

__all__ = ["held_notes", "hold_notes", "settle_fonts", "tell"]

# the font settings judged last (font.family and the lists of its generic names), the families
# of font.family found missing then, and for each generic one the fonts it listed as matplotlib
# writes them: matplotlib's lines about those are dropped, never about fonts set since
_judged: tuple[Any, ...] | None = None
_missing: frozenset[str] = frozenset()
_missing_lists: frozenset[tuple[str, str]] = frozenset()
# the note on the fonts judged missing, said when matplotlib first looks for one of them (a text
# drawn in them): not for a refusal before any drawing, nor where every text names its own fonts
_pending: str | None = None
_told: set[str] = set()
_held: list[str] | None = None  # in the plotting process: notes kept for the parent


class _DropMissingFonts(logging.Filter):
    """Drop matplotlib's "findfont: ... not found" lines about the families told missing."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if not (message.startswith("findfont: ") and "not found" in message) or not record.args:
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        if message.startswith("findfont: Generic family") and len(args) == 2:
            # its fonts as listed now: another list than the one judged is the user's to see
            kept = (str(args[0]).lower(), str(args[1])) not in _missing_lists
        else:
            first = args[0] if args else None
            families = first if isinstance(first, list) else [first]
            kept = not all(str(family).lower() in _missing for family in families)
        if not kept:
            _tell_pending()
        return kept


def _tell_pending() -> None:
    """Say the note on the fonts judged missing, once: matplotlib looked for one of them."""
    global _pending
    note, _pending = _pending, None
    if note is not None:
        tell(note)


def settle_fonts(rc: Any, font_manager: Any) -> None:
    """Judge matplotlib's font settings ``rc`` (again where they changed since): fonts of
    font.family that are not installed are told once (:func:`tell`), when matplotlib first looks
    for one of them, and matplotlib's own lines about them dropped. Called by
    :func:`~linearnets.plotting._mpl.matplotlib_module` with ``matplotlib.rcParams`` and
    ``matplotlib.font_manager``, which it imported."""
    global _judged, _missing, _missing_lists, _pending
    logger = logging.getLogger("matplotlib.font_manager")
    if not any(isinstance(f, _DropMissingFonts) for f in logger.filters):
        logger.addFilter(_DropMissingFonts())
    families = [str(family) for family in rc["font.family"]]
    lists = {family: _list_of(family, font_manager.font_family_aliases) for family in families}
    key = (tuple(families), tuple((name, tuple(rc[name])) for name in lists.values() if name))
    if key == _judged:
        return
    from linearnets.plotting._fonts import _font_paths

    _judged = key  # first: _font_paths calls matplotlib_module, which calls this
    paths = {family: _font_paths([family]) for family in families}
    missing = [family for family in families if not paths[family]]
    _missing = frozenset(family.lower() for family in missing)
    _missing_lists = frozenset(
        (family.lower(), ", ".join(rc[lists[family]])) for family in missing if lists[family]
    )
    _pending = None
    if not missing:
        return
    own = [family for family in missing if not lists[family]]  # fonts named in font.family
    named = [f"font.family: {', '.join(own)}"] if own else []
    named += [
        f"{lists[family]}: {', '.join(rc[lists[family]]) or 'none'}"
        for family in missing
        if lists[family]
    ]
    found = [path for family in families for path in paths[family]]
    if found:
        used = font_manager.FontProperties(fname=found[0]).get_name()
        drawn = (
            f"the figures' text is drawn in {used}, font.family's first, which they only back up"
            if paths[families[0]]
            else f"the figures' text is drawn in {used}, the next font of font.family"
        )
    else:
        used = font_manager.fontManager.defaultFamily["ttf"]
        drawn = f"the figures' text is drawn in {used}, matplotlib's fallback font"
    _pending = (
        f"matplotlib's settings name fonts that are not installed ({'; '.join(named)}), so "
        f"{drawn}; install them, or name installed fonts in matplotlib.rcParams or a matplotlibrc "
        "(matplotlib.matplotlib_fname() names the one read)"
    )


def _list_of(family: str, generic: set[str]) -> str | None:
    """Return the setting that lists the fonts of ``family``, one of the ``generic`` names
    (font.sans-serif for 'sans-serif'); ``None`` for a font's own name."""
    name = family.lower()
    if name not in generic:
        return None
    return "font.sans-serif" if name in ("sans", "sans serif") else f"font.{name}"


def tell(note: str) -> None:
    """Say ``note`` as a :class:`FontWarning`, once a process; hold it instead while
    :func:`hold_notes` holds them (the plotting process: its stderr is the progress bar's row)."""
    if note in _told:
        return
    _told.add(note)
    if _held is not None:
        _held.append(note)
    else:
        warn(note, FontWarning)


def hold_notes() -> None:
    """Keep the notes :func:`tell` is given from now on, for :func:`held_notes` (the plotting process)."""
    global _held
    _held = []


def held_notes() -> list[str]:
    """Return the notes held since :func:`hold_notes`."""
    return list(_held or [])
