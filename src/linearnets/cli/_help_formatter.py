"""The command's help formatter: argparse's, wrapping the help as its output will write it.

An output that cannot encode the help's typography (an ASCII locale, ``PYTHONIOENCODING=ascii``)
writes it spelt in ASCII (:mod:`linearnets.cli._unencodable`): ``§3.6`` as ``section 3.6``. Spelt
as it was written, after argparse had wrapped the help to the terminal's width, a line holding
``§`` ran up to 7 characters past it; the help is spelt first here, then wrapped. An output that
can encode it (UTF-8) gets argparse's help as it is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from linearnets.cli._unencodable import spelt_for

__all__ = ["SpeltHelpFormatter"]


class SpeltHelpFormatter(argparse.HelpFormatter):
    """``argparse.HelpFormatter`` whose text (help, description, epilog, metavars, choices) is
    spelt for stdout's encoding before it is wrapped: argparse prints --help, usage and --version
    there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # None where stdout is gone (>&-) or not a text stream with an encoding: left as it is
        encoding = getattr(sys.stdout, "encoding", None)
        self._encoding = encoding if isinstance(encoding, str) else None

    def _spelt(self, text: str) -> str:
        return text if self._encoding is None else spelt_for(text, self._encoding)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return list(super()._split_lines(self._spelt(text), width))

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return str(super()._fill_text(self._spelt(text), width, indent))

    def _metavar_formatter(
        self, action: argparse.Action, default_metavar: str
    ) -> Callable[[int], tuple[Any, ...]]:
        # the usage's words and the options' column: their lengths place what follows them (None:
        # add_argument's check of an action without a metavar)
        formatter = super()._metavar_formatter(action, default_metavar)
        return lambda size: tuple(
            self._spelt(m) if isinstance(m, str) else m for m in formatter(size)
        )
