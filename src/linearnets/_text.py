"""Words in messages: lists written as prose (``a, b and c``), numbers and sizes past a limit
written so they read as past it, what was given made printable, how a value given with blanks
or capitals is respelled, and text padded to terminal columns (a Chinese character takes two)."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence

__all__ = [
    "and_list",
    "counted",
    "cut_text",
    "display_width",
    "drop_blanks",
    "exact_number",
    "gib_past",
    "in_json_words",
    "json_kind",
    "json_text",
    "on_one_line",
    "padded",
    "printable",
    "quoted_path",
    "respelled",
    "rule_of",
    "shown_path",
    "shows",
    "without_underscores",
]

_GIB = 2**30  # bytes


def and_list(words: Sequence[str]) -> str:
    """Return ``words`` joined as a sentence lists them: ``"a, b and c"`` (``""`` for none)."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def rule_of(message: str) -> str:
    """Return a refusal's rule, the words before its fix: ``message`` up to its first ``"; "``
    outside parentheses (``"x must be 1 (a; b), got 2; pass x=1"``: ``"x must be 1 (a; b), got
    2"``). An interval's brackets count as parentheses: ``"in (0, 3.4e+38], got 1e+300; pass
    lr=0.1"`` opens with one and closes with the other."""
    depth = 0
    for at, char in enumerate(message):
        depth += (char in "([") - (char in ")]")
        if depth <= 0 and message.startswith("; ", at):
            return message[:at]
    return message


# a Python literal a rule names, as repr() writes it: a quoted string (an apostrophe inside a word,
# "noise_std's", opens none; a shell word $'...', a path's, is no Python string) is said as JSON
# quotes it, whole, its words the value's (a dict's keys too: {"a": 1}); True, False and None are said
# as JSON says them, a float past JSON's numbers (nan, inf, -inf) as Python's json reads and writes
# it in the file (NaN, Infinity, -Infinity; not within a word or a path: "/runs/nan"), and a value
# named by its Python type ("a dict {}", as true_w's rule names one) by its kind in the file
_PYTHON_WORDS = re.compile(
    r"((?<![\w$])'(?:[^'\\]|\\.)*'(?!\w)|\"(?:[^\"\\]|\\.)*\")|\b(True|False|None)\b"
    r"|(?<![\w./-])(-?(?:nan|inf))(?![\w./-])|\b(a (?:dict|list|tuple))(?= [\[{(])"
)
_JSON_WORDS = {
    "True": "true",
    "False": "false",
    "None": "null",
    "nan": "NaN",
    "inf": "Infinity",
    "-inf": "-Infinity",
    "a dict": "an object",
    "a list": "an array",
    "a tuple": "an array",
}
# what a path setting takes from Python; in a JSON file, a path is a string
_PATH_TYPES = "(str, pathlib.Path or another os.PathLike)"


def in_json_words(rule: str) -> str:
    """Return ``rule``, the refusal of a value read from a JSON file (a run's ``config.json``), in
    the file's words: ``True``, ``False`` and ``None`` as ``true``, ``false`` and ``null``
    (``guard must be true or false, got 1``), ``nan`` and ``inf`` as ``NaN`` and ``Infinity``
    (``lr must be a finite number > 0, got NaN``), a string in JSON's double quotes (``got
    "0.1"``, ``got {"a": 1}``, not Python's ``'0.1'`` and ``{'a': 1}``), a value Python names by
    its type as the file's kind (``got an object {} (its keys would be the weights)``, not ``a
    dict {}``), a path as the string it is there."""
    rule = rule.replace(_PATH_TYPES, "(a string)")
    return _PYTHON_WORDS.sub(_in_json, rule)


def _in_json(match: re.Match[str]) -> str:
    """Return the Python literal ``match`` found in a rule in a JSON file's words."""
    if match.lastindex is None:
        return match[0]
    if match.lastindex == 1:
        return _json_string(match[1])
    return _JSON_WORDS[match[match.lastindex]]


def _json_string(literal: str) -> str:
    """Return ``literal``, a string as ``repr`` writes it (``'it\\'s'``), as JSON writes it
    (``"it's"``); as it is where it is no such string (a rule's own quotes around a word)."""
    import ast  # not at import: only a refusal of a config.json's value reads it

    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return literal
    return json_text(value) if isinstance(value, str) else literal


def json_text(value: object, *, cut: int | None = None) -> str:
    """Return ``value``, read from a JSON file, as JSON writes it: ``{"a": [1, null]}``, ``"x"``,
    ``true``, ``NaN`` (not Python's ``{'a': [1, None]}``, ``'x'``, ``True``, ``nan``), its
    characters as they are (``"rün"``), but for one a terminal would not show as itself (a line
    break, ESC, NEL), written as JSON's escape (``"a\\nb"``, ``"\\u001b"``, ``"\\u0085"``): a
    one-line message stays on one line, and the value reads back from it as JSON. With ``cut``,
    a text longer than ``cut`` characters is cut to ``cut`` with ``...``."""
    text = json.dumps(value, ensure_ascii=False)
    if not text.isprintable():
        # json.dumps of the one character gives its escape, a pair of them past U+FFFF
        text = "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)
    return text if cut is None or len(text) <= cut else text[: cut - 3] + "..."


def json_kind(value: object) -> str:
    """Return what ``value``, read from a JSON file, is there, and the value: ``the number 5``,
    ``the string "x"``, ``an array [1, null]``, ``an object {"a": 1}``, ``null``, ``true`` (what
    Python would call ``int 5``, ``str 'x'``, ``list [1, None]``), as :func:`json_text` writes it;
    past 60 characters, cut with ``...``.
    ``NaN``, ``Infinity`` and ``-Infinity``, which Python's json reads, are said as the file has
    them, as ``null`` is: none is a number there (``the number NaN`` said "the number not a
    number")."""
    if value is None or isinstance(value, bool):
        return _JSON_WORDS[repr(value)]
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    if isinstance(value, str):
        kind = "the string"
    elif isinstance(value, list | dict):
        kind = "an array" if isinstance(value, list) else "an object"
    else:
        kind = "the number"
    return f"{kind} {json_text(value, cut=60)}"


def counted(n: int, word: str, plural: str | None = None) -> str:
    """Return ``n`` and ``word``, in the plural but for 1: ``1 example``, ``20 examples``;
    ``plural`` where it is not ``word`` + s (``counted(2, "class", "classes")``)."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {plural or word + 's'}"


def cut_text(text: str, *, most: int, keep: int, end: bool = False) -> str:
    """Return ``text`` quoted (its ``repr``), or, past ``most`` characters, its first ``keep`` (its
    last, where ``end``) with "…" where the rest was and its length: ``'1.25,1.25,…' (100
    characters)``. A message quoting a line cut short without saying so dropped what it was about
    (the comma a line ends with) and its closing quote."""
    if len(text) <= most:
        return repr(text)
    kept = "…" + text[-keep:] if end else text[:keep] + "…"
    return f"{kept!r} ({len(text)} characters)"


def drop_blanks(blanks: int) -> str:
    """Return the fix for ``blanks`` (≥ 1) blanks around a value: ``drop the blank(s)``."""
    return f"drop the blank{'s' if blanks > 1 else ''}"


def respelled(value: object, accepts: Callable[[str], bool]) -> tuple[str, str] | None:
    """Return how to respell ``value``, a name refused, into one ``accepts`` takes where it is one
    but for the blanks around it or its capitals (``'cpu '``, ``'Scratch'``: a script's variable,
    a pasted line): what to change (``drop the blank``, ``write it in lower case``, or both) and
    the name; ``None`` where it is no such respelling of a name taken."""
    if not isinstance(value, str):
        return None
    fixed = value.strip().lower()
    if fixed == value or not accepts(fixed):
        return None
    changes = []
    blanks = len(value) - len(value.strip())
    if blanks:
        changes.append(drop_blanks(blanks))
    if value.strip() != fixed:
        changes.append("write it in lower case")
    return " and ".join(changes), fixed


def without_underscores(text: str) -> str:
    """Return ``text``, a number Python's ``float`` reads with ``_`` between its digits (``1_000``,
    ``0_1``), as numpy and pandas read one: ``1000``, ``1`` (``float`` reads ``0_1`` as 1)."""
    return re.sub(r"^([+-]?)0+(?=[0-9])", r"\1", text.strip().replace("_", ""))


def exact_number(value: float) -> str:
    """Return ``value`` as ``:g`` writes it where that reads back as it (``1000``, ``23.58``),
    else as its ``repr`` (``100.00001``, which ``:g`` would write as the ``100`` it is past)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def gib_past(nbytes: int, limit: int, *, decimals: int = 1) -> str:
    """Return ``nbytes``, a size past ``limit`` bytes, in GiB so that it reads as past it: to
    ``decimals`` places (``3.7 GiB``), or one more (2**31 + 2**24 bytes: ``2.02 GiB``); where both
    would round it to the limit (2**31 + 4 bytes: ``2.0 GiB``, as if it were the 2 GiB it passes),
    as the limit and the bytes past it: ``2 GiB + 4 bytes``."""
    for places in (decimals, decimals + 1):
        shown = f"{nbytes / _GIB:,.{places}f}"
        if nbytes <= limit or float(shown.replace(",", "")) > limit / _GIB:
            return f"{shown} GiB"
    past = nbytes - limit
    limit_text = f"{limit // _GIB:,} GiB" if limit % _GIB == 0 else f"{limit:,} bytes"
    return f"{limit_text} + {past:,} byte{'s' if past != 1 else ''}"


def display_width(text: str) -> int:
    """Return how many terminal columns ``text`` takes: two for an East Asian wide or full-width
    character (``恤``, ``Ｔ``), none for a combining mark, one for any other; ``len()`` counts
    characters, and a Chinese label padded by it stuck out of its column."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def padded(text: str, width: int, *, right: bool = False) -> str:
    """Return ``text`` padded with spaces to ``width`` terminal columns (:func:`display_width`),
    after it (left-aligned, as ``f"{text:<{width}}"``) or, with ``right``, before it; a ``text``
    wider than ``width`` is returned as it is."""
    blanks = " " * max(width - display_width(text), 0)
    return blanks + text if right else text + blanks


def printable(text: str) -> str:
    """Return ``text`` with each character a terminal would not show as itself written as its
    Python escape: a word given with a control character (``\\x85``, ``\\x0b``, a line break)
    keeps a one-line message on one line, and shows what was given. A tab stays a tab."""
    if text.isprintable():
        return text
    # a tab stays: it is a blank of the line, and a path holding one is pasted back as it is
    return "".join(c if c.isprintable() or c == "\t" else _escape(c) for c in text)


def on_one_line(text: str) -> str:
    """Return ``text`` on one line: its line breaks joined (with the blanks around them), other
    characters a terminal would not show as themselves (``\\x0b``, ``\\x85`` in a path) written
    as their escapes. Runs of spaces inside a path stay, so the commands a message gives can be
    pasted."""
    return printable(re.sub(r"\s*[\r\n]\s*", " ", text).strip())


def _escape(char: str) -> str:
    """Return ``char`` as its escape: a byte of a command-line word that is not UTF-8 (read as
    the surrogate ``\\udc85``, Python's ``surrogateescape``) as the byte given, ``\\x85``."""
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")


def shown_path(path: str | os.PathLike[str]) -> str:
    """Return ``path`` as a message names it: as it is (``runs/my run``), but where it holds a
    character a terminal would not show as itself (a line break, a tab, ESC, NEL, a byte that is
    not UTF-8; a ``ü`` where the output cannot encode it, :func:`shows`) as the shell's
    ``$'...'`` word that gives the path back, each such character by its bytes' escapes
    (``$'runs/a\\nb'``, ``$'runs/a\\x1b[31m'``, ``$'r\\xc3\\xbcn'``): a one-line message
    stays on one line, no terminal escape gets through, and the path can be pasted into bash or
    zsh.

    Every path the command line prints goes through it (the files are written at the path as
    given: only the printing changes).
    """
    text = os.fspath(path)
    if shows(text):
        return text
    return "$'" + "".join(_shell_escape(char) for char in text) + "'"


def shows(text: str) -> bool:
    """Return whether a terminal shows ``text`` as itself: every character of it printable (no
    line break, ESC or NEL), and, past ASCII, one the command's output (stdout and stderr, as
    they are now) can encode. Where it cannot (an ASCII locale, ``PYTHONIOENCODING=ascii``) a
    ``ü`` is written as an escape (:mod:`linearnets.cli._unencodable`), so that a path holding
    one, quoted for the shell as it is, named another file."""
    if not text.isprintable():
        return False
    if text.isascii():
        return True
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not isinstance(encoding, str):  # None (pythonw), a test's stand-in
            continue
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            return False
        except LookupError:  # an encoding Python does not know: nothing to tell
            continue
    return True


def quoted_path(path: str | os.PathLike[str]) -> str:
    """Return ``path``, a value received, quoted as a refusal names it: as ``repr`` quotes it
    (``'runs/a'``, ``"runs/it's"``), but where it holds a character a terminal would not show as
    itself as :func:`shown_path`'s ``$'...'`` word (``$'runs/a\\nb'``): repr's ``'runs/a\\nb'``
    named it in Python's escapes, which the shell reads as a backslash and an ``n``."""
    text = os.fspath(path)
    return repr(text) if shows(text) else shown_path(text)


# what $'...' writes by name (as repr does a line break and a tab), and the two characters it
# must escape; any other character a terminal would not show is written as its bytes (\x1b)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", "'": "\\'"}


def _shell_escape(char: str) -> str:
    """Return ``char`` as it is written inside ``$'...'``: as itself where a terminal shows it,
    else as the bytes it is in a file name (``\\x1b``; NEL, U+0085, as UTF-8's ``\\xc2\\x85``,
    whatever the shell's locale; a byte that is not UTF-8, read as the surrogate ``\\udc85``, as
    the byte ``\\x85``)."""
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if shows(char):
        return char
    try:
        raw = os.fsencode(char)
    except UnicodeEncodeError:  # a lone surrogate no file name's bytes give: as repr writes it
        return char.encode("unicode_escape").decode("ascii")
    return "".join(f"\\x{byte:02x}" for byte in raw)
