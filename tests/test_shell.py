"""Tests for linearnets._shell: a path written as one word a shell and the parser read back."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
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


@pytest.mark.skipif(shutil.which("bash") is None, reason="the oracle is bash")
def test_a_word_the_output_cannot_encode_is_the_dollar_quoted_word_of_its_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under PYTHONIOENCODING=ascii, shlex.quote's 'rü2' was printed 'r\\xfc2', which bash reads
    as a backslash, an x, f, c and 2. The oracle: bash reads the $'...' word back as the path."""
    import io
    import sys

    import linearnets._shell as shell

    monkeypatch.setattr(shell.os, "name", "posix")
    assert shell_word("runs/rü2") == "'runs/rü2'"  # this test's streams: UTF-8
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    word = shell_word("runs/rü 2")
    assert word == r"$'runs/r\xc3\xbc 2'"
    out = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert out.stdout == os.fsencode("runs/rü 2")


def test_a_plain_name_stays_as_it_is() -> None:
    assert shell_word("runs/a") == "runs/a"
    assert shell_word(Path("/tmp/-x")) == "/tmp/-x"  # only a leading dash is an option's


@pytest.mark.skipif(shutil.which("bash") is None, reason="the oracle is bash")
@pytest.mark.parametrize(
    ("name", "word"),
    [("runs/a\nb", r"$'runs/a\nb'"), ("-a\x1bb", r"$'./-a\x1bb'"), ("my\trun", r"$'my\trun'")],
)
def test_a_word_with_a_line_break_or_escape_is_one_line_the_shell_reads_back(
    name: str, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """shlex.quote kept a line break inside its quotes: "--resume 'runs/a" and "b'" on two
    lines of a one-line message. The oracle: bash reads the $'...' word back as the path."""
    import linearnets._shell as shell

    monkeypatch.setattr(shell.os, "name", "posix")
    assert shell_word(name) == word
    out = subprocess.run(
        ["bash", "-c", f"printf %s {word}"], capture_output=True, check=True
    ).stdout
    assert os.fsdecode(out) == (f"./{name}" if name.startswith("-") else name)


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


@pytest.mark.skipif(shutil.which("bash") is None, reason="the oracle is bash")
@pytest.mark.parametrize("example", ["~/a b.svg", "~/-x.png", "f.png", "/tmp/it's.png"])
def test_a_typed_path_leaves_its_home_to_the_shell_and_quotes_the_rest(
    example: str, tmp_path: Path
) -> None:
    """typed_path(~/a b.svg) is ~/'a b.svg': bash expands the ~ and reads the rest as one word."""
    from linearnets._shell import typed_path

    typed = typed_path(example)
    home = str(tmp_path)
    env = {**os.environ, "HOME": home}
    said = subprocess.run(
        ["bash", "-c", f"printf '%s' {typed}"], env=env, capture_output=True, text=True, check=True
    ).stdout
    expected = home + example[1:] if example.startswith("~/") else example
    assert Path(said) == Path(expected)  # ~/./-x.png: the file -x.png in the home folder
