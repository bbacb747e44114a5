"""Fashion-MNIST's class names against their sources: torchvision's ``FashionMNIST.classes`` and the
book's ``get_fashion_mnist_labels`` (D2L §3.5.1) and the Chinese names the Chinese edition's text
gives the classes (its code returns the English ones), written out here."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.data.labels import CLASSES, TEXT_LABELS, TEXT_LABELS_ZH, get_fashion_mnist_labels
from linearnets.errors import UsageError, UsageTypeError

# torchvision/datasets/mnist.py, class FashionMNIST
TORCHVISION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip
# d2l-en §3.5.1 (text_labels) and d2l-zh §3.5.1
BOOK_EN = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]  # fmt: skip
BOOK_ZH = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]


def test_every_class_name_in_order() -> None:
    assert list(CLASSES) == TORCHVISION_CLASSES
    assert list(TEXT_LABELS) == BOOK_EN and list(TEXT_LABELS_ZH) == BOOK_ZH
    everything = torch.arange(10)
    assert get_fashion_mnist_labels(everything) == BOOK_EN
    assert get_fashion_mnist_labels(everything.flip(0), lang="zh") == BOOK_ZH[::-1]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # 0-d tensors, as list(y) or [ds[i][1] for i ...] give; the book's int(i) reads each
        (list(torch.tensor([3, 1, 9])), ["dress", "trouser", "ankle boot"]),
        ([torch.tensor([3]), torch.tensor([[1]])], ["dress", "trouser"]),  # int() takes these too
        ([torch.tensor(3, dtype=torch.uint8), torch.tensor(9.0)], ["dress", "ankle boot"]),
        ([np.int64(3), np.uint8(1), np.float32(9.0)], ["dress", "trouser", "ankle boot"]),
        ([np.array(3), np.array([1])], ["dress", "trouser"]),  # as the one-value tensors above
        (np.array(3), ["dress"]),  # one label, as a 0-d tensor gives
    ],
    ids=["0-d tensors", "1-value tensors", "uint8 and float", "numpy scalars", "numpy arrays", "0-d array"],
)  # fmt: skip
def test_one_value_tensors_and_arrays_in_a_list_are_indices_as_int_reads_them(
    labels: Any, expected: list[str]
) -> None:
    assert get_fashion_mnist_labels(labels) == expected
    assert get_fashion_mnist_labels(labels, lang="zh") == [
        BOOK_ZH[BOOK_EN.index(e)] for e in expected
    ]


@pytest.mark.parametrize(
    ("labels", "error", "pattern"),
    [
        ([torch.tensor(12)], UsageError, r"^labels must be class indices in \[0, 10\), got 12; pass"),
        ([9, 10], UsageError, r"^labels must be class indices in \[0, 10\), got 10; pass"),
        ([np.array(-1)], UsageError, r"^labels must be class indices in \[0, 10\), got -1;"),
        ([1e300], UsageError, r"^labels must be class indices in \[0, 10\), got 1e\+300; pass Fashion-MNIST labels such as y from a batch$"),
        (torch.tensor([10.0]), UsageError, r"^labels must be class indices in \[0, 10\), got 10\.0; pass"),
        ([-1e20], UsageError, r"^labels must be class indices in \[0, 10\), got -1e\+20; pass"),
        ([0, torch.tensor([3, 4])], UsageError, r"^labels\[1\] must be one class index, got a Tensor of shape \(2,\); pass one index per label"),
        ([np.zeros((0,))], UsageError, r"^labels\[0\] must be one class index, got a ndarray of shape \(0,\);"),
    ],
    ids=["too big", "one past the last", "negative", "huge float", "whole float", "negative float", "two values", "no value"],
)  # fmt: skip
def test_what_is_no_class_index_is_refused_by_its_value(
    labels: Any, error: type[Exception], pattern: str
) -> None:
    """A whole float out of range is shown as given: 1e300 was printed as its 301-digit int."""
    with pytest.raises(error, match=pattern):
        get_fashion_mnist_labels(labels)


_FRACTION = (
    "labels must be class indices, whole numbers, got {}; pass each example's class, not a score "
    "or probability: y from a batch, or the predicted classes y_hat.argmax(1)"
)
_BOOL = (
    "labels must be class indices, whole numbers and not bools, got True; pass the class indices "
    "themselves, such as y from a batch, not the bools of a comparison (y == 3); to read False as "
    "class 0 and True as class 1, convert them first: torch.as_tensor(labels).long()"
)


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        (torch.tensor([1.5]), UsageError, _FRACTION.format("1.5")),
        (np.array([1.5]), UsageError, _FRACTION.format("1.5")),
        ([1.5], UsageError, _FRACTION.format("1.5")),
        (1.5, UsageError, _FRACTION.format("1.5")),
        ([torch.tensor(0.25)], UsageError, _FRACTION.format("0.25")),
        ([float("nan")], UsageError, _FRACTION.format("nan")),
        ([True], UsageTypeError, _BOOL),
        (torch.tensor([True, False]), UsageTypeError, _BOOL),
        (np.array([True]), UsageTypeError, _BOOL),
        ([torch.tensor(True)], UsageTypeError, _BOOL),
        (["dress"], UsageTypeError, "labels must be class indices, whole numbers, got str 'dress'; "
         "pass Fashion-MNIST labels such as y from a batch"),
    ],
    ids=["fraction tensor", "fraction array", "fraction list", "one fraction", "0-d fraction", "nan",
         "bool list", "bool tensor", "bool array", "0-d bool tensor", "name"],
)  # fmt: skip
def test_a_label_in_range_that_is_no_whole_number_is_refused_by_that_rule_not_range(
    labels: Any, error: type[Exception], message: str
) -> None:
    """1.5 and True are in [0, 10): the rule they break is a whole number, not a bool."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        get_fashion_mnist_labels(labels)


def test_whole_floats_are_class_indices_and_the_bool_fix_reads_them() -> None:
    assert get_fashion_mnist_labels([1.0, 9.0]) == ["trouser", "ankle boot"]
    assert get_fashion_mnist_labels(torch.tensor([1.0])) == ["trouser"]
    assert get_fashion_mnist_labels(np.array([[3.0]])) == ["dress"]
    assert get_fashion_mnist_labels(torch.as_tensor([True, False]).long()) == ["trouser", "t-shirt"]


@pytest.mark.parametrize(
    "scalar", [np.float32, np.float16, np.float64, float], ids=lambda t: t.__name__
)
def test_one_whole_numpy_float_of_any_width_is_one_label_and_a_fraction_breaks_that_rule(
    scalar: type,
) -> None:
    """np.float32(3.0) was "labels must be class indices (a tensor, list or one int), got float32",
    while np.float64(3.0) (a float) and [np.float32(3.0)] gave ['dress'], as int(i) reads all."""
    assert get_fashion_mnist_labels(scalar(3.0)) == [BOOK_EN[int(scalar(3.0))]] == ["dress"]
    assert get_fashion_mnist_labels(scalar(3.0), lang="zh") == ["连衣裙"]
    with pytest.raises(UsageError, match=f"^{re.escape(_FRACTION.format('3.5'))}$"):
        get_fashion_mnist_labels(scalar(3.5))


@pytest.mark.parametrize(
    "labels",
    [np.longdouble(3), [np.longdouble(3)], np.array([3.0], dtype=np.longdouble)],
    ids=["scalar", "list", "array"],
)
def test_a_whole_longdouble_is_a_label_as_float64_is_and_its_fraction_breaks_that_rule(
    labels: Any,
) -> None:
    """np.longdouble(3) was "must be class indices, whole numbers, got longdouble
    np.longdouble('3.0')": its .item() is a longdouble, no float, where float64's is 3.0."""
    assert get_fashion_mnist_labels(labels) == [BOOK_EN[int(np.longdouble(3))]] == ["dress"]
    assert get_fashion_mnist_labels(labels) == get_fashion_mnist_labels(np.float64(3))
    fraction = [np.longdouble(3.5)] if isinstance(labels, list) else np.longdouble(3.5)
    if isinstance(labels, np.ndarray):
        fraction = np.array([3.5], dtype=np.longdouble)
    with pytest.raises(UsageError, match=f"^{re.escape(_FRACTION.format('3.5'))}$"):
        get_fashion_mnist_labels(fraction)


# the book's body, written out: d2l-en §3.5.1 get_fashion_mnist_labels
def _book(labels: Any) -> list[str]:
    return [BOOK_EN[int(i)] for i in labels]


@pytest.mark.parametrize(
    "labels",
    [torch.tensor([9, 2, 0]), torch.tensor([[9], [2], [0]]), [9, 2, 0], np.array([9, 2, 0]),
     np.array([[9], [2], [0]])],
    ids=["(N,) tensor", "(N, 1) tensor", "list", "(N,) array", "(N, 1) array"],
)  # fmt: skip
def test_what_the_books_version_accepts_gives_its_labels(labels: Any) -> None:
    # as a tensor: NumPy 2's int() no longer reads a one-value (1,) array, torch's still does
    book = _book(torch.as_tensor(labels))
    assert get_fashion_mnist_labels(labels) == book == ["ankle boot", "pullover", "t-shirt"]


@pytest.mark.parametrize(
    ("labels", "kind", "fix"),
    [(torch.nn.functional.one_hot(torch.tensor([9, 2]), 10).float(), "tensor", r"labels\.argmax\(dim=1\)"),
     (np.eye(10)[[9, 2]], "array", r"labels\.argmax\(axis=1\)")],
    ids=["one-hot tensor", "one-hot array"],
)  # fmt: skip
def test_rows_of_several_values_are_refused_as_the_books_version_refuses_them(
    labels: Any, kind: str, fix: str
) -> None:
    with pytest.raises((TypeError, ValueError)):  # the book's int() of a 10-value row
        _book(labels)
    with pytest.raises(
        UsageError,
        match=rf"^labels must be class indices \(N,\) or \(N, 1\), one per row, got a {kind} of "
        rf"shape \(2, 10\), whose rows hold 10 values; pass {fix} for one-hot labels",
    ):
        get_fashion_mnist_labels(labels)
    # the fix it gives reads each row's class
    assert get_fashion_mnist_labels(labels.argmax(1)) == ["ankle boot", "pullover"]


def test_a_list_of_one_hot_rows_is_told_to_take_their_argmax() -> None:
    rows = list(torch.nn.functional.one_hot(torch.tensor([9, 2]), 10))
    with pytest.raises(UsageError, match=r"torch\.stack\(rows\)\.argmax\(dim=1\) for one-hot"):
        get_fashion_mnist_labels(rows)
    assert get_fashion_mnist_labels(torch.stack(rows).argmax(dim=1)) == ["ankle boot", "pullover"]
