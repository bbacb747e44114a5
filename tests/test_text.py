"""Words in messages (linearnets._text): lists as prose, and what was given made printable."""

from __future__ import annotations

import os

import pytest

from linearnets._text import and_list, printable


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
     (os.fsdecode(b"caf\xe9"), r"caf\xe9")],
)  # fmt: skip
def test_printable_escapes_what_a_terminal_would_not_show_as_itself(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(text).replace("\t", " ").isprintable()
    assert len(printable(text).splitlines()) == 1
