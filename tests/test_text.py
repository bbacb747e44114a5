"""Words in messages (linearnets._text): lists as prose, sizes past a limit, and what was given
made printable."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linearnets._text import (
    and_list,
    counted,
    cut_text,
    display_width,
    drop_blanks,
    exact_number,
    gib_past,
    in_json_words,
    json_kind,
    padded,
    printable,
    quoted_path,
    respelled,
    rule_of,
    shown_path,
    shows,
)


@pytest.mark.parametrize(
    ("words", "said"),
    [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c"),
     (("w", "x", "y", "z"), "w, x, y and z")],
)  # fmt: skip
def test_words_are_listed_as_a_sentence_lists_them(words: list[str], said: str) -> None:
    assert and_list(words) == said


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain words, 路径 and ü", "plain words, 路径 and ü"),
     ("a\nb\tc", r"a\nb" + "\tc"),  # a tab is a blank of the line
     ("next\x85line", r"next\x85line"),
     ("vertical\x0btab", r"vertical\x0btab"),
     ("para\u2029graph", r"para\u2029graph"),
     # a byte that is not UTF-8 in a command-line word, as Python reads it, is the byte given
     (os.fsdecode(b"caf\xe9"), r"caf\xe9"),
     # a lone surrogate below \udc80 is no byte Python read (bytes below 0x80 are ASCII): as itself
     ("odd\udc41", r"odd\udc41")],
)  # fmt: skip
def test_printable_escapes_what_a_terminal_would_not_show_as_itself(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(text).replace("\t", " ").isprintable()
    assert len(printable(text).splitlines()) == 1


@pytest.mark.parametrize(
    ("path", "shown"),
    [("runs/my run", "runs/my run"), (Path("/tmp/ü/路径"), "/tmp/ü/路径"),
     ("a\\nb", "a\\nb"), ("it's", "it's")],  # a backslash and a quote of their own: as they are
)  # fmt: skip
def test_an_ordinary_path_is_shown_as_it_is(path: str | Path, shown: str) -> None:
    assert shown_path(path) == shown


@pytest.mark.parametrize(
    ("path", "shown"),
    [("/tmp/a\nb", r"$'/tmp/a\nb'"),
     ("a\tb\rc", r"$'a\tb\rc'"),
     (Path("runs/a\x1b[31mb"), r"$'runs/a\x1b[31mb'"),  # no terminal escape gets through
     ("next\x85line", r"$'next\xc2\x85line'"),  # NEL: its UTF-8 bytes, as in the file's name
     (os.fsdecode(b"caf\xe9\n"), r"$'caf\xe9\n'"),  # a byte that is not UTF-8: the byte given
     ("it's\n\\", r"$'it\'s\n\\'")],  # quoted: the quote and the backslash escaped
)  # fmt: skip
def test_a_path_a_terminal_would_not_show_is_its_dollar_quoted_word(
    path: str | Path, shown: str
) -> None:
    """A run folder named with a line break printed as two lines ("run folder: /tmp/a", "b"),
    and one with ESC sent the terminal an escape sequence: shown as the shell's $'...' word."""
    assert shown_path(path) == shown
    assert shown_path(path).isprintable()


def _ascii_output(monkeypatch: pytest.MonkeyPatch, *, stderr: bool = False) -> None:
    """Make stdout (or stderr) a stream that cannot encode past ASCII, as PYTHONIOENCODING=ascii."""
    name = "stderr" if stderr else "stdout"
    monkeypatch.setattr(sys, name, io.TextIOWrapper(io.BytesIO(), encoding="ascii"))


@pytest.mark.parametrize("stderr", [False, True], ids=["stdout", "stderr"])
def test_a_path_the_output_cannot_encode_is_its_dollar_quoted_word(
    monkeypatch: pytest.MonkeyPatch, stderr: bool
) -> None:
    """Under PYTHONIOENCODING=ascii a run folder "rü2" was printed as r\\xfc2, quoted for the
    shell as 'r\\xfc2', a word naming another file: it is the $'...' word of its bytes."""
    assert shows("rü2") and shown_path("rü2") == "rü2"  # this test's streams: UTF-8
    _ascii_output(monkeypatch, stderr=stderr)
    assert not shows("rü2") and shows("runs/a") and not shows("a\nb")
    assert shown_path("/tmp/rü2") == r"$'/tmp/r\xc3\xbc2'"
    assert shown_path("日本") == r"$'\xe6\x97\xa5\xe6\x9c\xac'"
    assert quoted_path("rü2") == r"$'r\xc3\xbc2'"
    assert shown_path("runs/a") == "runs/a" and quoted_path("runs/a") == "'runs/a'"


def test_a_stream_without_an_encoding_does_not_hide_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """pythonw's None, a test's stand-in without one: nothing to tell, the path as it is."""
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", object())
    assert shows("rü2") and shown_path("rü2") == "rü2"


@pytest.mark.skipif(shutil.which("bash") is None, reason="the oracle is bash")
@pytest.mark.parametrize(
    "name",
    ["a\nb", "a\x1b[31mb", "tab\there", "next\x85line", "it's\n\\x", "café\r",
     os.fsdecode(b"caf\xe9\n")],
)  # fmt: skip
def test_a_dollar_quoted_path_is_read_back_by_the_shell(name: str) -> None:
    """The oracle: bash reads the word back as the file name's bytes, in any locale."""
    out = subprocess.run(
        ["bash", "-c", f"printf %s {shown_path(name)}"],
        capture_output=True,
        check=True,
        env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "")},
    ).stdout
    assert out == os.fsencode(name)


@pytest.mark.parametrize(
    ("value", "said"),
    [("cpu ", ("drop the blank", "cpu")),
     ("\tcpu\n", ("drop the blanks", "cpu")),
     ("CPU", ("write it in lower case", "cpu")),
     (" Cpu", ("drop the blank and write it in lower case", "cpu")),
     ("cpu", None),  # nothing to change: no fix of this kind
     ("gpu ", None),  # no name taken without its blank either
     ("c pu", None),  # a blank inside is no blank around it
     (3, None)],
)  # fmt: skip
def test_a_value_with_blanks_or_capitals_is_told_how_to_respell_it(
    value: object, said: tuple[str, str] | None
) -> None:
    assert respelled(value, {"cpu", "3"}.__contains__) == said


@pytest.mark.parametrize(("n", "said"), [(0, "0 epochs"), (1, "1 epoch"), (2, "2 epochs")])
def test_a_count_is_said_in_the_plural_but_for_one(n: int, said: str) -> None:
    assert counted(n, "epoch") == said


def test_a_plural_not_made_with_s_is_given() -> None:
    assert [counted(n, "class", "classes") for n in (1, 2)] == ["1 class", "2 classes"]
    assert [counted(n, "batch", "batches") for n in (1, 0)] == ["1 batch", "0 batches"]
    assert counted(3, "test example") == "3 test examples"


def test_the_blanks_to_drop_are_said_in_the_plural_past_one() -> None:
    assert (drop_blanks(1), drop_blanks(2)) == ("drop the blank", "drop the blanks")


@pytest.mark.parametrize(
    ("nbytes", "limit", "decimals", "said"),
    [(2**31 + 4, 2**31, 1, "2 GiB + 4 bytes"),  # "2.0 GiB" read as the 2 GiB it passes
     (2**31 + 1, 2**31, 1, "2 GiB + 1 byte"),
     (2**31 + 2**20, 2**31, 1, "2 GiB + 1,048,576 bytes"),  # 2.001: "2.0", then "2.00"
     (2**31 + 2**24, 2**31, 1, "2.02 GiB"),  # 2.016: "2.0", so one place more
     (2**31 + 2**27, 2**31, 1, "2.1 GiB"),  # 2.125
     (3 * 2**30, 2**31, 1, "3.0 GiB"),
     (2**45, 2**31, 1, "32,768.0 GiB"),
     (2**31 + 262_152, 2**31, 2, "2 GiB + 262,152 bytes"),
     (38_400_000_000, 2**31, 2, "35.76 GiB"),
     (800, 600, 2, "600 bytes + 200 bytes")],  # a limit of no whole GiB is said in bytes
)  # fmt: skip
def test_gib_past_never_shows_a_size_past_its_limit_as_the_limit(
    nbytes: int, limit: int, decimals: int, said: str
) -> None:
    assert gib_past(nbytes, limit, decimals=decimals) == said


def test_gib_past_reads_as_past_2_gib_for_every_size_just_past_it() -> None:
    """Every size from 1 byte to 64 MiB past 2 GiB, in steps of a 28×28 float32 image, is said as
    more than 2 (to one or two places) or as 2 GiB and the bytes past it; never as 2.0 GiB."""
    for nbytes in range(2**31 + 1, 2**31 + 2**26, 28 * 28 * 4):
        said = gib_past(nbytes, 2**31)
        assert said.startswith("2 GiB + ") or float(said.removesuffix(" GiB")) > 2, said


@pytest.mark.parametrize(
    ("value", "said"),
    [(1000.0, "1000"), (23.58, "23.58"), (1.0, "1"), (1e300, "1e+300"), (0.1, "0.1"),
     (100.00001, "100.00001"),  # :g's six digits: "100", the bound it passes
     (1234567.0, "1234567.0")],  # :g: "1.23457e+06"
)  # fmt: skip
def test_exact_number_reads_back_as_the_number_given(value: float, said: str) -> None:
    assert exact_number(value) == said
    assert float(exact_number(value)) == value


@pytest.mark.parametrize(
    ("message", "rule"),
    [("x must be 1, got 2; pass x=1", "x must be 1, got 2"),
     ("x must be 1 (a; b), got 2; pass x=1; or not", "x must be 1 (a; b), got 2"),
     ("no fix (a; b)", "no fix (a; b)"), ("", ""),
     # half-open intervals: "(0, 3.4e+38]" left the "; " of the fix inside its parentheses
     ("lr must be a number in (0, 3.4e+38], got 1e+300; pass e.g. lr=0.1",
      "lr must be a number in (0, 3.4e+38], got 1e+300"),
     ("x must be in [0, 1), got 2; pass x=0.5", "x must be in [0, 1), got 2"),
     ("x must be in [0, 1], got 2; pass x=0.5", "x must be in [0, 1], got 2")],
)  # fmt: skip
def test_a_refusals_rule_is_its_words_before_the_fix_outside_parentheses(
    message: str, rule: str
) -> None:
    """A "; " inside parentheses is the rule's own: split there, the rule lost its close. An
    interval's brackets are parentheses too."""
    assert rule_of(message) == rule


@pytest.mark.parametrize(
    ("rule", "said"),
    [("guard must be True or False, got 1", "guard must be true or false, got 1"),
     ("seed must be a non-negative integer, got None", "seed must be a non-negative integer, got null"),
     ("data must be a path (str, pathlib.Path or another os.PathLike) or None, got True",
      "data must be a path (a string) or null, got true"),
     # a string in JSON's quotes, whichever quotes repr() gave it; its words are the value's
     ("impl must be one of 'scratch', got 'None'", 'impl must be one of "scratch", got "None"'),
     ("x must be y, got \"it's True\"", "x must be y, got \"it's True\""),
     ("x must be y, got 'say \"hi\"'", 'x must be y, got "say \\"hi\\""'),
     ("x must be y, got 'a\\\\b'", 'x must be y, got "a\\\\b"'),
     ("x must be y, got 'a\\nb'", 'x must be y, got "a\\nb"'),
     ("x must be y, got 'a\\x85b'", 'x must be y, got "a\\u0085b"'),
     ("x must be y, got 'rün'", 'x must be y, got "rün"'),
     # an object or an array as the file has it: not {'a': 1}
     ("lr must be a positive number, got {'a': 1}", 'lr must be a positive number, got {"a": 1}'),
     ("x must be y, got {'a': [1, None, True, 'b']}", 'x must be y, got {"a": [1, null, true, "b"]}'),
     ("x must be y, got ['a', 'b']", 'x must be y, got ["a", "b"]'),
     # a value cut short (repr's :.40) keeps its strings that were cut, unclosed, as they are
     ("x must be y, got {'a': 1, 'bbbb", 'x must be y, got {"a": 1, \'bbbb'),
     # a shell word $'...' (a path with a line break, shown_path's) is no Python string
     ("x must be y, got $'runs/a\\nb'", "x must be y, got $'runs/a\\nb'"),
     # an apostrophe inside a word opens no string
     ("true_b must be (noise_std's limit), got None", "true_b must be (noise_std's limit), got null"),
     ("Nonesuch and Truer stay", "Nonesuch and Truer stay"),
     # JSON's NaN and Infinity, which Python's json reads, as the file has them
     ("lr must be a finite number > 0, got nan", "lr must be a finite number > 0, got NaN"),
     ("x must be finite, got inf", "x must be finite, got Infinity"),
     ("x must be finite, got -inf", "x must be finite, got -Infinity"),
     ("x must be a number, got [1.0, nan]", "x must be a number, got [1.0, NaN]"),
     # not within a word, a path or a string
     ("in /runs/nan or nan.d or a-inf or infer or 'nan'", 'in /runs/nan or nan.d or a-inf or infer or "nan"'),
     # a value Python names by its type, by its kind in the file
     ("true_w must be a sequence, got a dict {} (its keys)", "true_w must be a sequence, got an object {} (its keys)"),
     ("x must be y, got a list [1]", "x must be y, got an array [1]"),
     ("a dict of settings stays", "a dict of settings stays")],
)  # fmt: skip
def test_a_rule_about_a_json_files_value_is_said_in_its_words(rule: str, said: str) -> None:
    assert in_json_words(rule) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [(5, "the number 5"), (1.5, "the number 1.5"), ("x", 'the string "x"'), (None, "null"),
     (True, "true"), (False, "false"), ([1, None], "an array [1, null]"),
     ({"a": 1}, 'an object {"a": 1}'), (list(range(30)), "an array [0, 1, 2, 3, 4, 5, 6, 7, 8, "
      "9, 10, 11, 12, 13, 14, 15, 16..."), ("y" * 70, 'the string "' + "y" * 56 + "..."),
     # as JSON quotes and escapes it, but for what a terminal shows: not Python's 'it\'s', '\x1b'
     ("it's", 'the string "it\'s"'), ("rün\n", 'the string "rün\\n"'),
     ({"k": "\x1b\x85"}, 'an object {"k": "\\u001b\\u0085"}'),
     ([], "an array []"), ({}, "an object {}"), (float("nan"), "NaN"),
     (float("inf"), "Infinity"), (float("-inf"), "-Infinity"), ([float("nan")], "an array [NaN]")],
)  # fmt: skip
def test_a_json_files_value_is_named_by_its_kind_there(value: object, said: str) -> None:
    """Not Python's "int 5", "list [1, None]", "dict {'a': 1}"; NaN, which Python's json reads,
    not "the number NaN" (not a number)."""
    assert json_kind(value) == said


@pytest.mark.parametrize(
    ("path", "said"),
    [("runs/a", "'runs/a'"), (Path("runs/it's"), '"runs/it\'s"'), ("a\\b", "'a\\\\b'"),
     # not repr's 'runs/a\nb', which the shell reads as a backslash and an n: as shown_path
     ("runs/a\nb", "$'runs/a\\nb'"), ("runs/a\x1b[31m", "$'runs/a\\x1b[31m'"),
     ("it's\n", "$'it\\'s\\n'")],
)  # fmt: skip
def test_a_path_received_is_quoted_as_repr_but_odd_characters_as_shown_path(
    path: str | Path, said: str
) -> None:
    assert quoted_path(path) == said
    assert quoted_path(path).isprintable()


def test_display_width_counts_terminal_columns_and_padded_pads_to_them() -> None:
    """A wide or full-width character takes two columns, a combining mark none."""
    assert [display_width(t) for t in ("T恤", "连衣裙", "Ｔ", "e\u0301", "")] == [3, 6, 2, 1, 0]
    assert padded("T恤", 7) == "T恤    " and padded("T恤", 7, right=True) == "    T恤"
    assert padded("连衣裙", 4) == "连衣裙"  # wider than asked: as it is


def test_cut_text_quotes_a_short_text_whole_and_a_long_one_cut_with_its_length() -> None:
    assert cut_text("a,b,", most=4, keep=2) == "'a,b,'"  # repr, whole
    assert cut_text("abcdef", most=5, keep=2) == "'ab…' (6 characters)"
    assert cut_text("abcdef", most=5, keep=2, end=True) == "'…ef' (6 characters)"
    assert cut_text("it's long", most=3, keep=4) == '"it\'s…" (9 characters)'  # repr's quotes
