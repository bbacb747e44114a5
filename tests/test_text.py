"""Lists in messages as prose (linearnets._text)."""

from __future__ import annotations

import pytest

from linearnets._text import and_list


@pytest.mark.parametrize(
    ("words", "said"),
    [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c"),
     (("w", "x", "y", "z"), "w, x, y and z")],
)  # fmt: skip
def test_words_are_listed_as_a_sentence_lists_them(words: list[str], said: str) -> None:
    assert and_list(words) == said
