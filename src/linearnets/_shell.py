"""How a path is written in a command the user pastes into a shell: one word the shell and the
command line's parser read back as that path."""

from __future__ import annotations

import os
import shlex

__all__ = ["shell_word"]


def shell_word(path: str | os.PathLike[str]) -> str:
    """Return ``path`` quoted for a POSIX shell, ``-x`` written ``./-x``.

    ``Path("./--x")`` prints as ``--x``, which argparse would take for an option, and ``my run``
    would be two arguments unquoted.
    """
    text = os.fspath(path)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)
