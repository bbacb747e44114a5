"""What the command writes in place of a character its output cannot encode (an ASCII locale,
``PYTHONIOENCODING=ascii``): a finished run is never failed for it, and what is written reads.

Python's ``backslashreplace`` wrote ``§3.2`` as ``\\xa73.2`` and ``28×28`` as ``28\\xd728``: an
escape that runs into the digits after it (C's ``\\x`` takes every hex digit that follows). Here
the characters of the command's own words are spelt in ASCII (``section 3.2``, ``28x28``,
``resize^2``), and any other (a label in Chinese, a name of the user's: ``rü2``) is written as
its fixed-length escape, ``r\\u00fc2``, which no digit after it extends; it is also JSON's. A
path the output cannot encode is written as the shell's ``$'...'`` word of its bytes before it
gets here (:func:`~linearnets._text.shown_path`), so that it can be pasted back.

The help is spelt before argparse wraps it (:func:`spelt_for`,
:mod:`linearnets.cli._help_formatter`): spelt as it is written, ``§`` grows into ``section `` and
a line wrapped to the terminal's width ran past it.
"""

from __future__ import annotations

import codecs
import contextlib
import sys

__all__ = ["ERRORS", "escape_what_cannot_be_shown", "spelt_for", "spelt_in_ascii"]

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


def spelt_in_ascii(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler :data:`ERRORS`: return what is written in place of the characters
    ``exc`` could not encode, and where encoding resumes.

    Raises:
        UnicodeError: ``exc`` itself where it is no encoding error (a decoder's).
    """
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text, out = exc.object, []
    for at in range(exc.start, exc.end):
        char = text[at]
        if char in _SUPERSCRIPTS:
            opens = at == 0 or text[at - 1] not in _SUPERSCRIPTS
            out.append(("^" if opens else "") + _SUPERSCRIPTS[char])
        elif char in _ASCII:
            out.append(_ASCII[char])
        else:
            out.append(_escape(char))
    return "".join(out), exc.end


def spelt_for(text: str, encoding: str) -> str:
    """Return ``text`` as a stream of ``encoding`` writes it with the handler :data:`ERRORS`:
    ``"(§3.6)"`` as ``"(section 3.6)"`` for ASCII, unchanged for UTF-8. Written again, it is
    written as it is.

    Raises:
        LookupError: ``encoding`` is no codec's name (and ``text`` not all ASCII).
    """
    if text.isascii():  # the help's text, nearly all of it: no terminal's encoding lacks ASCII
        return text
    codecs.register_error(ERRORS, spelt_in_ascii)  # again: the same handler under its name
    return text.encode(encoding, errors=ERRORS).decode(encoding)


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
