"""The command's help wrapped as its output writes it (unit tests of cli/_help_formatter.py): an
output that cannot encode ``§`` gets ``section `` wrapped to the terminal's width, an output that
can gets argparse's help as it is."""

from __future__ import annotations

import argparse
import codecs
import io
import sys

import pytest

from linearnets.cli import OneLineParser, build_parser
from linearnets.cli._unencodable import ERRORS, spelt_for, spelt_in_ascii

# every command and action with a --help, and terminals narrower and wider than argparse's usage
COMMANDS = [
    [],
    ["softmax"],
    ["linreg"],
    ["predict"],
    ["data"],
    ["data", "show"],
    ["data", "download"],
]
COLUMNS = [40, 64, 80, 100]


@pytest.fixture(autouse=True)
def _registered() -> None:
    codecs.register_error(ERRORS, spelt_in_ascii)  # as the command's streams have it


def _help(
    command: list[str], monkeypatch: pytest.MonkeyPatch, *, columns: int, encoding: str
) -> str:
    """Return what ``linearnets COMMAND --help`` writes on a stdout of ``encoding`` (as the
    command's, writing what it cannot encode spelt) in a terminal ``columns`` wide."""
    monkeypatch.setenv("COLUMNS", str(columns))
    out = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=ERRORS)
    monkeypatch.setattr(sys, "stdout", out)
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*command, "--help"])
    assert exited.value.code == 0
    out.flush()
    return out.buffer.getvalue().decode(encoding)  # type: ignore[attr-defined]


def _too_long(text: str, columns: int) -> list[str]:
    """The lines of ``text`` longer than argparse's width for ``columns`` (2 less)."""
    return [line for line in text.splitlines() if len(line) > columns - 2]


@pytest.mark.parametrize("columns", COLUMNS)
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "linearnets")
def test_a_help_spelt_for_its_output_fits_the_terminal(
    command: list[str], encoding: str, columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spelt after argparse had wrapped it, a line holding § ran up to 7 characters past the width
    (softmax --impl's "scratch (section 3.6: autograd), analytic" at COLUMNS=60); no line runs
    past it now but argparse's own, which do in UTF-8 too (a usage group wider than the width)."""
    text = _help(command, monkeypatch, columns=columns, encoding=encoding)
    utf8 = _help(command, monkeypatch, columns=columns, encoding="utf-8")
    assert text.split() == spelt_for(utf8, encoding).split()  # the same words, spelt
    assert not [line for line in _too_long(text, columns) if line not in _too_long(utf8, columns)]
    if encoding == "ascii":
        assert text.isascii()


def test_the_help_with_a_section_mark_is_wrapped_as_it_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """softmax --impl at COLUMNS=60: its first line was "scratch (section 3.6: autograd),
    analytic", 65 characters; the help's column holds 34."""
    text = _help(["softmax"], monkeypatch, columns=60, encoding="ascii")
    assert (
        "\n  --impl {scratch,concise,analytic}\n"
        "                        scratch (section 3.6: autograd),\n"
        "                        analytic (scratch, explicit\n"
        "                        gradient) or concise (section 3.7:\n"
        "                        nn.Linear) (with --resume, the\n"
        "                        run's own; default: analytic)\n"
    ) in text


@pytest.mark.parametrize("columns", COLUMNS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "linearnets")
def test_a_help_its_output_can_encode_is_argparses_own(
    command: list[str], columns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UTF-8 gets the help argparse's own formatter writes, § and all, wrapped as it wraps it."""
    text = _help(command, monkeypatch, columns=columns, encoding="utf-8")
    parser = build_parser()
    for each in parser._tree():
        each.formatter_class = argparse.HelpFormatter
    for name in command:
        parser = parser.subcommands[name]  # type: ignore[assignment]
    assert text == parser.format_help()


def test_a_metavar_is_spelt_before_the_options_column_is_placed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The usage's words and the options' column are measured as written: FILE… takes 7 columns
    in ASCII (FILE...), the help after it starts 2 after them."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    parser = OneLineParser(prog="p", add_help=False)
    parser.add_argument("--out", metavar="FILE…", help="where §3 goes")
    assert parser.format_help() == (
        "usage: p [--out FILE...]\n\noptions:\n  --out FILE...  where section 3 goes\n"
    )


def test_a_stdout_without_an_encoding_gets_the_help_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No stdout (``>&-``) or one without an encoding (a StringIO): nothing to spell for."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys, "stdout", None)
    parser = OneLineParser(prog="p", add_help=False)
    parser.add_argument("--out", metavar="FILE…", help="where §3 goes")
    assert parser.format_help() == (
        "usage: p [--out FILE…]\n\noptions:\n  --out FILE…  where §3 goes\n"
    )
