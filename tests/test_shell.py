"""Tests for linearnets._shell: a path written as one word a shell and the parser read back."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from linearnets._shell import shell_word


@pytest.mark.parametrize("name", ["run", "my run", "it's", "--x", "-x", "-", "-a b", "ü\\x", "a;b"])
def test_a_pasted_word_gives_the_path_back_to_the_shell_and_to_argparse(name: str) -> None:
    """The oracles: POSIX word splitting (shlex.split) and argparse reading --resume's value."""
    word = shell_word(Path(name))
    (split,) = shlex.split(word)
    assert Path(split) == Path(name)  # ./--x is the folder --x
    parser = argparse.ArgumentParser()
    parser.add_argument("--resume")
    assert Path(parser.parse_args(["--resume", split]).resume) == Path(name)


def test_a_plain_name_stays_as_it_is() -> None:
    assert shell_word("runs/a") == "runs/a"
    assert shell_word(Path("/tmp/-x")) == "/tmp/-x"  # only a leading dash is an option's


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("runs\\a", "runs\\a"),  # nothing to quote
        ("C:\\runs\\softmax-1.5", "C:\\runs\\softmax-1.5"),
        ("my run", '"my run"'),  # a space: double quotes, which cmd.exe and PowerShell pass on
        ("O'Brien\\a", '"O\'Brien\\a"'),  # ' opens a string in PowerShell
        ("runs\\a&b", '"runs\\a&b"'),  # & ends a command in cmd.exe
        ("my dir\\", '"my dir\\\\"'),  # a backslash before the closing quote is doubled
        ('a"b', '"a\\"b"'),  # a double quote is escaped with a backslash
        ('a\\"b', '"a\\\\\\"b"'),  # and the backslashes before it doubled
        ("--x", "./--x"),
    ],
)
def test_a_word_for_windows_follows_the_c_runtimes_quoting(name: str, word: str) -> None:
    """The oracle: the Microsoft C runtime's rules for parsing a command line, by hand."""
    assert shell_word(name, windows=True) == word


def test_the_shell_is_windows_where_os_name_is_nt(monkeypatch: pytest.MonkeyPatch) -> None:
    import linearnets._shell as shell

    monkeypatch.setattr(shell.os, "name", "nt")
    assert shell_word("my run") == '"my run"'
    monkeypatch.setattr(shell.os, "name", "posix")
    assert shell_word("my run") == "'my run'"
