"""The library's own warnings, shown by the command as a line like its errors' (no source line)."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import TextIO

from linearnets._text import printable
from linearnets.cli._cli_words import cli_words
from linearnets.cli._invocation import as_started
from linearnets.errors import DataWarning, ResumeWarning, ThreadsWarning

__all__ = ["warnings_on_one_line"]


@contextlib.contextmanager
def warnings_on_one_line() -> Iterator[None]:
    """Show the library's :class:`~linearnets.errors.DataWarning`,
    :class:`~linearnets.errors.ThreadsWarning` and :class:`~linearnets.errors.ResumeWarning` as a
    line like the errors', with no source line; other warnings as Python shows them."""
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def one_line(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, DataWarning):
                _warn_line(f"linearnets: warning: {printable(as_started(str(message)))}")
            elif issubclass(category, ThreadsWarning):  # in the command's words: --threads 2
                _warn_line(f"linearnets: warning: {printable(cli_words(str(message)))}")
            elif issubclass(category, ResumeWarning):  # in the command's words: --threads
                text = as_started(cli_words(str(message)))  # its commands as typed here
                _warn_line(f"linearnets: note: {printable(text)}")
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = one_line
        yield


def _warn_line(line: str) -> None:
    """Print a warning's ``line`` on stderr; a stderr that cannot take it (a full device) loses
    it, as Python's own ``showwarning`` does: a warning's line must not end the command."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr)
