"""How a path is written in a command the user pastes into a shell: one word the shell and the
command line's parser read back as that path."""

from __future__ import annotations

import os
import shlex
import subprocess

__all__ = ["shell_word"]


def shell_word(path: str | os.PathLike[str], *, windows: bool | None = None) -> str:
    """Return ``path`` quoted for the user's shell, ``-x`` written ``./-x``.

    ``Path("./--x")`` prints as ``--x``, which argparse would take for an option, and ``my run``
    would be two arguments unquoted. A POSIX shell gets ``shlex.quote``'s single quotes; Windows
    (``windows``, by default where ``os.name == "nt"``), whose cmd.exe and PowerShell take no
    single-quoted words to a program, the double quotes of the Microsoft C runtime's rules.
    """
    text = os.fspath(path)
    word = f"./{text}" if text.startswith("-") else text
    if os.name == "nt" if windows is None else windows:
        return subprocess.list2cmdline([word])
    return shlex.quote(word)
