"""Tests of linearnets.plotting._mistake_marks: which titles of plot_predictions are red."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba

from linearnets.data.fashion_mnist import CLASSES, get_fashion_mnist_labels
from linearnets.errors import UsageTypeError
from linearnets.plotting import plot_predictions
from linearnets.plotting.images import MISTAKE_COLOR

_Y = torch.tensor([9, 2, 1])
_PRED = torch.tensor([9, 2, 3])  # the last one wrong


def _marks(true: Any, pred: Any) -> tuple[list[str], list[bool]]:
    """Return the titles plot_predictions draws and whether each is red."""
    axes = plot_predictions(torch.rand(3, 4, 4), true, pred)
    red = to_rgba(MISTAKE_COLOR)
    return [ax.get_title() for ax in axes], [to_rgba(ax.title.get_color()) == red for ax in axes]


def _refused_then_marked(refused: tuple[Any, Any], message: str, fixed: tuple[Any, Any]) -> str:
    """Assert that the labels ``refused`` are refused with ``message``, and that with the fix
    followed (the labels ``fixed``) only the last of three predictions is red; return the first
    title drawn."""
    with pytest.raises(UsageTypeError) as info:
        plot_predictions(torch.rand(3, 4, 4), *refused)
    assert str(info.value) == message
    titles, red = _marks(*fixed)
    assert red == [False, False, True]
    return titles[0]


@pytest.mark.parametrize(
    ("names", "fix", "follow"),
    [
        (
            get_fashion_mnist_labels(_Y, lang="zh"),
            "pred_labels=get_fashion_mnist_labels(pred_labels, lang='zh') for Fashion-MNIST's classes",
            lambda: get_fashion_mnist_labels(_PRED, lang="zh"),
        ),
        (
            [CLASSES[int(i)] for i in _Y],
            "pred_labels=[CLASSES[int(i)] for i in pred_labels] for torchvision's names of "
            "Fashion-MNIST's classes (from linearnets.data.fashion_mnist import CLASSES)",
            lambda: [CLASSES[int(i)] for i in _PRED],
        ),
        (
            get_fashion_mnist_labels(_Y),
            "pred_labels=get_fashion_mnist_labels(pred_labels) for Fashion-MNIST's classes",
            lambda: get_fashion_mnist_labels(_PRED),
        ),
    ],
    ids=["Chinese", "torchvision's", "the book's"],
)
def test_names_against_indices_get_the_fix_in_the_names_own_words(
    names: list[str], fix: str, follow: Callable[[], list[str]]
) -> None:
    """Chinese names (lang='zh') were told to pass get_fashion_mnist_labels(pred_labels): followed,
    '短靴' was titled against 'ankle boot' and every prediction marked wrong."""
    message = (
        "true_labels and pred_labels must be of one kind, both names or both class indices, got "
        f"true_labels[0] = {names[0]!r}, a name, and pred_labels[0] = 9, a class index; pass both "
        f"as names, e.g. {fix}"
    )
    first = _refused_then_marked((names, _PRED), message, (names, follow()))
    assert first == f"{names[0]}\n{names[0]}"


def test_names_of_no_known_classes_are_told_to_use_their_own_names() -> None:
    with pytest.raises(UsageTypeError) as info:
        plot_predictions(torch.rand(1, 4, 4), [3], ["cat"])
    assert str(info.value).endswith(
        "got pred_labels[0] = 'cat', a name, and true_labels[0] = 3, a class index; pass both as "
        "names, e.g. true_labels=[names[int(i)] for i in true_labels], names being the classes' "
        "names"
    )


@pytest.mark.parametrize(
    ("true", "pred", "titles", "red"),
    [
        (["9", "2", "1"], [9, 2, 3], ["9\n9", "2\n2", "1\n3"], [False, False, True]),
        ([9, 2, 1], ["9", "2", "3"], ["9\n9", "2\n2", "1\n3"], [False, False, True]),
        (["9.0", " 2", "+1"], [9, 2.0, 1.5], ["9.0\n9", " 2\n2", "+1\n1.5"], [False, False, True]),
        (["-1", "1e3", ".5"], [-1, 1000, 0.5], ["-1\n-1", "1e3\n1000", ".5\n0.5"], [False] * 3),
        (["12345678901234567891"], [12345678901234567890], None, [True]),  # exact, not as floats
        (["9.0", "09", " 2", "1"], ["9", "9", "2.0", "1.5"], None, [False, False, False, True]),
        (["09", "9.0"], [9, "9"], ["09\n9", "9.0\n9"], [False, False]),
        (
            ["1" * 5000, "1" * 5000, "1" * 5000],
            [1, "1" * 5000, "0" + "1" * 5000],
            None,
            [True] + [False] * 2,
        ),
    ],
    ids=[
        "digits first",
        "digits second",
        "floats as text",
        "signs, exponents",
        "long ints",
        "both as text",
        "09 as 9",
        "more digits than int() reads",
    ],
)
def test_a_number_written_as_text_is_compared_with_a_number_by_value(
    true: list[Any], pred: list[Any], titles: list[str] | None, red: list[bool]
) -> None:
    """['9', '2', '1'] against [9, 2, 3] was refused, '9' called a name, its fix turning 9 into
    'ankle boot'; before that it matched as text. Drawn as written, compared by value: two texts
    too ('9.0' against '9' was red, against 9 black), and a number of more digits than int()
    reads (it raised ValueError: Exceeds the limit (4300 digits))."""
    axes = plot_predictions(torch.rand(len(true), 4, 4), true, pred)
    if titles is not None:
        assert [ax.get_title() for ax in axes] == titles
    mistake = to_rgba(MISTAKE_COLOR)
    assert [to_rgba(ax.title.get_color()) == mistake for ax in axes] == red


_TEXTS = [
    "10000000000000001.0",
    "10000000000000000.0",
    "1e16",
    "1e400",
    "2e400",
    "1e-400",
    "0.1",
    "0.10",
    "1e-1",
    "9",
    "9.0",
    "09",
    "+9e0",
    "-0",
    "0e5",
    "0.1" + "0" * 5000,
    "1" * 5000,
    "1" * 5000 + ".0",
    "1" * 4999 + "2",
]


def test_two_numbers_written_as_text_are_compared_exactly() -> None:
    """Non-whole numbers written as text were read by float(): '10000000000000001.0' against
    '10000000000000000.0' was drawn right (both 1e16), and '1e400' against '2e400' (both inf).
    The oracle: Fraction, which reads a decimal text exactly."""
    from fractions import Fraction

    from linearnets.plotting._mistake_marks import marked_wrong

    pairs = [(a, b) for a in _TEXTS for b in _TEXTS]
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # for the oracle alone: marked_wrong reads them under 4300
    try:
        expected = [Fraction(a) != Fraction(b) for a, b in pairs]
    finally:
        sys.set_int_max_str_digits(limit)
    assert marked_wrong([a for a, _ in pairs], [b for _, b in pairs]) == expected
    assert expected.count(False) == 49  # in 10 sets of one number written 1, 2 or 4 ways
    assert marked_wrong(["1e99999999999999999999"] * 2, ["2e99999999999999999999", "1e+99999999999999999999"]) == [True, False]  # fmt: skip
    _, red = _marks(["10000000000000001.0", "1e400", "9.0"], ["10000000000000000.0", "2e400", "9"])
    assert red == [True, True, False]


def test_a_number_written_as_text_is_the_float_it_reads_as_but_never_inf_or_a_false_zero() -> None:
    """Against a float, a decimal fraction or exponent written as text is the float nearest it
    ('0.1' is 0.1, though 0.1 is 0.1000000000000000055...; '9.0' is 9.0), as the float holds no
    more; but '1e400' is not inf, nor '1e-400' 0.0. A whole number written as int() writes it
    ('9', '10000000000000001') is that int, compared exactly: '10000000000000001' against 1e16
    was drawn right, as its float's nearest, where 10000000000000001 itself was drawn wrong."""
    from fractions import Fraction

    from linearnets.plotting._mistake_marks import marked_wrong

    texts = ["0.1", "9", "10000000000000001", "1e400", "1e-400", "0e9", "-0.0", "1e308"]
    floats = [0.1, 9.0, 1e16, float("inf"), 0.0, 0.0, 0.0, 1e308]
    assert marked_wrong(texts, floats) == [False, False, True, True, True] + [False] * 3
    assert marked_wrong(floats, texts) == [False, False, True, True, True] + [False] * 3
    # the oracle for a whole number: the int it writes, against the same float
    whole = ["10000000000000001", "9", "-0", "1" * 400, "9007199254740993"]
    against = [1e16, 9.0, 0.0, float("inf"), 9007199254740992.0]
    ints = [10**16 + 1, 9, 0, int("1" * 400), 2**53 + 1]
    assert marked_wrong(whole, against) == marked_wrong(ints, against)
    assert marked_wrong(whole, against) == [True, False, False, True, True]
    assert marked_wrong(["5", "5.0"], [float("nan"), float("-inf")]) == [True, True]
    ints = [9, 10**16 + 1, 10**5000 + 1]
    written = ["9.0", "10000000000000001", "1" + "0" * 4999 + "1"]
    assert marked_wrong(written, ints) == [False] * 3
    assert marked_wrong(["9.5", "1e16", "1" + "0" * 5000], ints) == [True] * 3
    assert marked_wrong(["0.5", "0.3"], [Fraction(1, 2), Fraction(1, 3)]) == [False, True]


def test_digits_of_other_scripts_are_read_alike_against_text_and_numbers() -> None:
    """'٩' (Arabic-Indic) and '９' (fullwidth) against '9' were compared by their digit strings,
    so drawn wrong, though against 9 drawn right: a digit of any script is its value, as int()
    and Fraction read it (the oracle), in both paths."""
    from fractions import Fraction

    from linearnets.plotting._mistake_marks import marked_wrong

    texts = ["٩", "９", "٩٠", "٠٩", "\U0001d7d7", "٩.٥", "١e١", "-٠"]
    values = [Fraction(t) for t in texts]  # 9, 9, 90, 9, 9, 19/2, 10, 0
    assert values == [9, 9, 90, 9, 9, Fraction(19, 2), 10, 0]
    ascii_texts = ["9", "9", "90", "9", "9", "9.5", "10", "0"]
    assert marked_wrong(texts, ascii_texts) == [False] * len(texts)
    assert marked_wrong(texts, values) == [False] * len(texts)
    assert marked_wrong(texts, [float(v) for v in values]) == [False] * len(texts)
    others = ["8", "19", "9", "90", "8", "9.4", "1", "1"]
    assert marked_wrong(texts, others) == [True] * len(texts)
    assert marked_wrong(texts, [Fraction(o) for o in others]) == [True] * len(texts)


@pytest.mark.parametrize(
    ("true", "pred", "name", "value"),
    [
        ([True, False], [1, 0], "true_labels", True),
        ([1, 0], torch.tensor([1, 0]) == 1, "pred_labels", True),
        (np.array([0, 1]), np.array([False, True]), "pred_labels", False),
        (["1", "0"], [False, True], "pred_labels", False),
    ],
    ids=["bools against indices", "a bool tensor", "a bool array", "bools against text indices"],
)
def test_bool_labels_are_refused_naming_the_parameter(
    true: Any, pred: Any, name: str, value: bool
) -> None:
    """True against 1 was drawn right (black), titled 'True' over '1': a bool is no class index,
    nor a name (get_fashion_mnist_labels refuses them too)."""
    with pytest.raises(UsageTypeError) as info:
        plot_predictions(torch.rand(2, 4, 4), true, pred)
    assert str(info.value) == (
        f"{name}[0] must be a name or a class index, got the bool {value}; pass class indices "
        "(y, y_hat.argmax(1)), not the bools of a comparison (y == 3); to draw False as 0 and "
        f"True as 1, pass {name}=torch.as_tensor({name}).long()"
    )


@pytest.mark.parametrize(
    ("names", "fix", "follow"),
    [
        (
            get_fashion_mnist_labels(_Y),
            "get_fashion_mnist_labels([float(i) for i in {p}]) for Fashion-MNIST's classes",
            lambda texts: get_fashion_mnist_labels([float(i) for i in texts]),
        ),
        (
            [CLASSES[int(i)] for i in _Y],
            "[CLASSES[int(float(i))] for i in {p}] for torchvision's names of Fashion-MNIST's "
            "classes (from linearnets.data.fashion_mnist import CLASSES)",
            lambda texts: [CLASSES[int(float(i))] for i in texts],
        ),
    ],
    ids=["the book's", "torchvision's"],
)
@pytest.mark.parametrize("names_first", [True, False], ids=["names first", "names second"])
def test_class_indices_written_as_text_against_names_are_refused(
    names: list[str], fix: str, follow: Callable[[list[str]], list[str]], names_first: bool
) -> None:
    """['ankle boot', ...] against ['9', '2', '3'] marked every title red, the right ones too:
    '9' is class 9 written as text ('9' against 9 is told by value), no name."""
    texts = [str(int(i)) for i in _PRED]
    true, pred = (names, texts) if names_first else (texts, names)
    name, index = ("true_labels", "pred_labels")[:: 1 if names_first else -1]
    message = (
        "true_labels and pred_labels must be of one kind, both names or both class indices, got "
        f"{name}[0] = {names[0]!r}, a name, and {index}[0] = '9', a class index written as "
        f"text; pass both as names, e.g. {index}={fix.format(p=index)}"
    )
    fixed = (names, follow(texts)) if names_first else (follow(texts), names)
    assert _refused_then_marked((true, pred), message, fixed) == f"{names[0]}\n{names[0]}"


@pytest.mark.parametrize(
    ("names", "fix", "follow", "drawn"),
    [
        (
            ["bag", "coat"],
            "get_fashion_mnist_labels(torch.as_tensor(pred_labels).long()) for Fashion-MNIST's "
            "classes",
            lambda bools: get_fashion_mnist_labels(torch.as_tensor(bools).long()),
            ["t-shirt", "trouser"],
        ),
        (
            ["包", "外套"],
            "get_fashion_mnist_labels(torch.as_tensor(pred_labels).long(), lang='zh') for "
            "Fashion-MNIST's classes",
            lambda bools: get_fashion_mnist_labels(torch.as_tensor(bools).long(), lang="zh"),
            ["T恤", "裤子"],
        ),
        (
            ["Bag", "Coat"],
            "[CLASSES[int(i)] for i in pred_labels] for torchvision's names of Fashion-MNIST's "
            "classes (from linearnets.data.fashion_mnist import CLASSES)",
            lambda bools: [CLASSES[int(i)] for i in bools],
            ["T-shirt/top", "Trouser"],
        ),
        (
            ["cat", "dog"],
            "[names[int(i)] for i in pred_labels], names being the classes' names",
            lambda bools: [["cat", "dog"][int(i)] for i in bools],
            ["cat", "dog"],
        ),
    ],
    ids=["the book's", "Chinese", "torchvision's", "others"],
)
def test_bools_against_names_are_told_a_fix_that_draws(
    names: list[str], fix: str, follow: Callable[[list[bool]], list[str]], drawn: list[str]
) -> None:
    """Bools against names were told pred_labels=torch.as_tensor(pred_labels).long(): followed,
    the indices were refused against the names in turn. The fix goes to the names at once."""
    bools = [False, True]
    with pytest.raises(UsageTypeError) as info:
        plot_predictions(torch.rand(2, 4, 4), names, bools)
    assert str(info.value) == (
        "pred_labels[0] must be a name or a class index, got the bool False; pass class indices "
        "(y, y_hat.argmax(1)), not the bools of a comparison (y == 3); to draw False as class 0 "
        f"and True as class 1, by name as true_labels are, pass pred_labels={fix}"
    )
    axes = plot_predictions(torch.rand(2, 4, 4), names, follow(bools))  # the fix followed
    assert [ax.get_title() for ax in axes] == [f"{names[0]}\n{drawn[0]}", f"{names[1]}\n{drawn[1]}"]
