"""Words in messages (linearnets._text): lists as prose, and what was given made printable."""

from __future__ import annotations

import os

import pytest

from linearnets._text import and_list, counted, drop_blanks, printable, respelled


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


def test_the_blanks_to_drop_are_said_in_the_plural_past_one() -> None:
    assert (drop_blanks(1), drop_blanks(2)) == ("drop the blank", "drop the blanks")
