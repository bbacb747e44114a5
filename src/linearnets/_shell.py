"""How a path is written in a command the user pastes into a shell: one word the shell and the
command line's parser read back as that path; and how a data-parallel run's processes are started
again after it (:func:`launched_as_before`)."""

from __future__ import annotations

import os
import re
import shlex

from linearnets._text import shown_path, shows

__all__ = ["launched_as_before", "shell_word", "typed_path"]


def shell_word(path: str | os.PathLike[str], *, windows: bool | None = None) -> str:
    """Return ``path`` quoted for the user's shell, ``-x`` written ``./-x``.

    ``Path("./--x")`` prints as ``--x``, which argparse would take for an option, and ``my run``
    would be two arguments unquoted. A POSIX shell gets ``shlex.quote``'s single quotes; a path
    holding a character a terminal would not show as itself (a line break, ESC; a ``ü`` the
    output cannot encode, which it would escape: :func:`~linearnets._text.shows`), which they
    would print raw, the ``$'...'`` word of :func:`~linearnets._text.shown_path` (one line, read back
    as the path by bash, zsh and ksh). Windows (``windows``, by default where
    ``os.name == "nt"``), whose cmd.exe takes no single-quoted word to a program, double quotes
    by the Microsoft C runtime's rules, around any word with a character beyond letters, digits
    and ``_.:\\/-`` (``&`` ends a command in cmd.exe, ``'`` opens a string in PowerShell). ``%``
    (cmd.exe) and ``$`` or a backtick (PowerShell) still expand inside them: rare in a path.
    """
    text = os.fspath(path)
    word = f"./{text}" if text.startswith("-") else text
    if not (os.name == "nt" if windows is None else windows):
        return shlex.quote(word) if shows(word) else shown_path(word)
    return word if _WINDOWS_PLAIN.fullmatch(word) else _quote_nt(word)


# a word cmd.exe and PowerShell both pass on as it is
_WINDOWS_PLAIN = re.compile(r"[A-Za-z0-9_.:\\/-]+")


def _quote_nt(word: str) -> str:
    """Return ``word`` in double quotes by the C runtime's rules: backslashes before a quote, or
    before the closing one, are doubled, and the quote itself escaped."""
    out, backslashes = ['"'], 0
    for char in word:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def typed_path(example: str) -> str:
    """Return a path as typed in a shell: quoted where it needs to be, its leading ``~/`` not (the
    shell expands it)."""
    home, rest = ("~/", example[2:]) if example.startswith("~/") else ("", example)
    return home + shell_word(rest)


def launched_as_before(launcher: str, processes: int) -> str:
    """Return how a stopped run's resume is started, to follow the resume itself.

    ``", launched by torchrun as before"`` for a data-parallel run a ``launcher`` started;
    ``" in N processes, started as before"`` for ``processes`` (N > 1) started without one, by hand
    or by the user's own code (``mp.spawn``); ``""`` for a single process.
    """
    if launcher:
        return f", launched by {launcher} as before"
    if processes > 1:
        return f" in {processes} processes, started as before"
    return ""
