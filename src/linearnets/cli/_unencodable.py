"""What the command writes in place of a character its output cannot encode (an ASCII locale,
``PYTHONIOENCODING=ascii``): a finished run is never failed for it, and what is written reads.

Python's ``backslashreplace`` wrote ``§3.2`` as ``\\xa73.2`` and ``28×28`` as ``28\\xd728``: an
escape that runs into the digits after it (C's ``\\x`` takes every hex digit that follows). Here
the characters of the command's own words are spelt in ASCII (``section 3.2``, ``28x28``,
``resize^2``), and any other (a label in Chinese, a name of the user's: ``rü2``) is written as
its fixed-length escape, ``r\\u00fc2``, which no digit after it extends; it is also JSON's. A
path the output cannot encode is written as the shell's ``$'...'`` word of its bytes before it
gets here (:func:`~linearnets._text.shown_path`), so that it can be pasted back.

A run of superscripts the output cannot encode all of is spelt whole, opened by one caret:
``10⁻¹⁵`` as ``10^-15`` and ``2³⁰`` as ``2^30`` in Latin-1 or cp1252, which have ``¹²³`` (spelt
as ``2³0`` it read as 2 cubed, then 0). :func:`spelt_for` spells such runs first; a stream,
with the handler alone, has written a run's encodable start (``2³``) before the handler sees the
rest, which is then escaped: ``2³\\u2070`` reads as what it is.

The help is spelt before argparse wraps it (:func:`spelt_for`,
:mod:`linearnets.cli._help_formatter`): spelt as it is written, ``§`` grows into ``section `` and
a line wrapped to the terminal's width ran past it.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import sys
from typing import TextIO

__all__ = ["ERRORS", "as_written", "escape_what_cannot_be_shown", "spelt_for", "spelt_in_ascii"]

# the name of the codec error handler, as errors= takes it
ERRORS = "linearnets.spelt"

# the characters of the command's own words (its help, its messages), in ASCII
_ASCII = {
    "§": "section ",
    "×": "x",
    "…": "...",
    "−": "-",
    "–": "-",
    "—": "--",
    "·": "*",
    "→": "->",
    "≥": ">=",
    "≤": "<=",
    "±": "+/-",
    "⌈": "ceil(",
    "⌉": ")",
    "µ": "u",
    "√": "sqrt",
    "½": "1/2",
    "Σ": "sum",
    "‖": "||",
    "ŷ": "y_hat",
}
# 10⁻⁸ as 10^-8, resize² as resize^2: a caret opens each run of superscripts
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ", "0123456789-T", strict=True))
_SUPERSCRIPT_RUN = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+")


def spelt_in_ascii(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler :data:`ERRORS`: return what is written in place of the characters
    ``exc`` could not encode, and where encoding resumes.

    Raises:
        UnicodeError: ``exc`` itself where it is no encoding error (a decoder's).
    """
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text, out, at = exc.object, [], exc.start
    while at < exc.end:
        char = text[at]
        if char in _SUPERSCRIPTS and at > 0 and text[at - 1] in _SUPERSCRIPTS:
            # a run whose start the encoding has (¹²³ in Latin-1) is written already, as it is
            # (a stream's; spelt_for spells such a run before): ⁰ after 2³ spelt as 0 read as
            # 2³0, 2 cubed then 0; its escape, 2³\u2070, reads as what it is
            out.append(_escape(char))
            at += 1
        elif char in _SUPERSCRIPTS:  # the whole run spelt, any ¹²³ after in it too: 10^-15
            stop = at
            while stop < len(text) and text[stop] in _SUPERSCRIPTS:
                stop += 1
            out.append(_spelt_run(text[at:stop]))
            at = stop
        else:
            out.append(_ASCII.get(char) or _escape(char))
            at += 1
    return "".join(out), at


def spelt_for(text: str, encoding: str) -> str:
    """Return ``text`` as a stream of ``encoding`` writes it with the handler :data:`ERRORS`:
    ``"(§3.6)"`` as ``"(section 3.6)"`` for ASCII, unchanged for UTF-8; a run of superscripts
    the encoding lacks any of is spelt whole (``"2³⁰"`` as ``"2^30"`` for Latin-1). Written
    again, it is written as it is.

    Raises:
        LookupError: ``encoding`` is no codec's name (and ``text`` not all ASCII).
    """
    if text.isascii():  # the help's text, nearly all of it: no terminal's encoding lacks ASCII
        return text
    codecs.register_error(ERRORS, spelt_in_ascii)  # again: the same handler under its name
    text = _SUPERSCRIPT_RUN.sub(lambda run: _run_for(run[0], encoding), text)
    return text.encode(encoding, errors=ERRORS).decode(encoding)


def as_written(text: str, stream: TextIO | None = None) -> str:
    """Return ``text`` as ``stream`` (default: stdout, as it is now) writes it, spelt or escaped
    where it cannot encode it (:func:`spelt_for`): what to measure a column's width on, ``恤``
    taking six columns as ``\\u6064``, not two."""
    encoding = getattr(sys.stdout if stream is None else stream, "encoding", None)
    try:
        return spelt_for(text, encoding or "utf-8")
    except LookupError:  # a replaced stream naming no codec: written as it is, or not at all
        return text


def _run_for(run: str, encoding: str) -> str:
    """Return a run of superscripts as ``encoding`` writes it: as it is where the encoding has
    all of it, else all of it spelt (``2³⁰`` as ``2^30`` in Latin-1, which has ³ but not ⁰)."""
    try:
        run.encode(encoding)
    except UnicodeEncodeError:
        return _spelt_run(run)
    return run


def _spelt_run(run: str) -> str:
    """Return a run of superscripts in ASCII: ``⁻¹⁵`` as ``^-15``."""
    return "^" + "".join(_SUPERSCRIPTS[char] for char in run)


def _escape(char: str) -> str:
    """Return ``char`` as its escape of fixed length: ``\\u00fc``, ``\\U0001f600``."""
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_what_cannot_be_shown() -> None:
    """Let stdout and stderr write what they cannot encode as :func:`spelt_in_ascii` spells it:
    a terminal or pipe that cannot encode a run folder's name or a Chinese label (an ASCII
    locale) shows it spelt or escaped rather than failing a finished run."""
    codecs.register_error(ERRORS, spelt_in_ascii)  # again: the same handler under its name
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors=ERRORS)  # type: ignore[union-attr]
