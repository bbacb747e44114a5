"""Accuracy, the book's correct count, and the running-sum Accumulator (D2L §3.6.5)."""

from __future__ import annotations

import decimal
import fractions
import warnings
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.metrics import Accumulator, accuracy, correct_count

SCORES = torch.tensor(
    [
        [0.1, 0.3, 0.6],  # predicts 2
        [0.3, 0.2, 0.5],  # predicts 2
        [0.7, 0.2, 0.1],  # predicts 0
        [0.2, 0.5, 0.3],  # predicts 1
        [0.4, 0.4, 0.2],  # tie: argmax picks the first, 0
    ]
)
LABELS = torch.tensor([0, 2, 0, 2, 0])  # right on rows 1, 2 and 4


def test_correct_count_is_the_book_count() -> None:
    assert correct_count(SCORES, LABELS) == 3
    # the book's own example: y_hat of §3.6.3 with y = [0, 2] -> 1 correct
    assert correct_count(SCORES[:2], torch.tensor([0, 2])) == 1
    assert isinstance(correct_count(SCORES, LABELS), int)


def test_accuracy_is_a_ratio_of_a_hand_count(gen: torch.Generator) -> None:
    assert accuracy(SCORES, LABELS) == pytest.approx(3 / 5)
    y_hat = torch.randn(200, 10, generator=gen)
    y = torch.randint(0, 10, (200,), generator=gen)
    by_hand = sum(
        1
        for row, label in zip(y_hat.tolist(), y.tolist(), strict=True)
        if row.index(max(row)) == label
    )
    assert accuracy(y_hat, y) == pytest.approx(by_hand / 200)
    assert correct_count(y_hat, y) == by_hand


def test_logits_and_probabilities_give_the_same_accuracy(gen: torch.Generator) -> None:
    O = torch.randn(50, 10, generator=gen)
    y = torch.randint(0, 10, (50,), generator=gen)
    assert accuracy(O, y) == accuracy(torch.softmax(O, dim=1), y)


def test_predicted_labels_are_accepted() -> None:
    pred = SCORES.argmax(dim=1)  # (B,)
    assert correct_count(pred, LABELS) == 3
    assert accuracy(pred, LABELS) == pytest.approx(3 / 5)
    assert accuracy(pred.float(), LABELS) == pytest.approx(3 / 5)


def test_accuracy_bounds() -> None:
    assert accuracy(torch.eye(4), torch.arange(4)) == 1.0
    assert accuracy(torch.eye(4), torch.tensor([1, 2, 3, 0])) == 0.0


def test_accumulator_adds_resets_and_indexes() -> None:
    acc = Accumulator(3)
    assert [acc[i] for i in range(3)] == [0.0, 0.0, 0.0]
    acc.add(1.5, 2, torch.tensor(4.0))  # tensors and ints are summed as floats
    acc.add(0.5, 1, 6)
    assert [acc[0], acc[1], acc[2]] == [2.0, 3.0, 10.0]
    assert all(isinstance(v, float) for v in acc.data)
    assert acc[-1] == 10.0
    acc.reset()
    assert acc.data == [0.0, 0.0, 0.0]
    acc.add(1, 1, 1)
    assert acc.data == [1.0, 1.0, 1.0]


def test_accumulator_with_accuracy_reproduces_the_epoch_ratio() -> None:
    # the book's evaluate_accuracy: Accumulator(2) of (correct, count) over batches of unequal size
    metric = Accumulator(2)
    for rows in (slice(0, 2), slice(2, 5)):
        metric.add(correct_count(SCORES[rows], LABELS[rows]), LABELS[rows].numel())
    assert metric[0] / metric[1] == accuracy(SCORES, LABELS)


BAD_INPUT = [
    (
        lambda: accuracy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64)),
        UsageError,
        r"y must hold at least one label, got an empty tensor",
    ),
    (
        lambda: accuracy(SCORES, LABELS[:4]),
        UsageError,
        r"same number of rows, got 5 and 4",
    ),
    (
        lambda: correct_count(SCORES, LABELS.float()),
        TypeError,
        r"y must be an integer tensor of class indices",
    ),
    (
        lambda: correct_count(SCORES, LABELS.reshape(5, 1)),
        UsageError,
        r"y must be 1-dimensional",
    ),
    (  # one-hot rows: one message with the fix that works (.long() then .reshape(-1) would not)
        lambda: accuracy(SCORES, torch.nn.functional.one_hot(LABELS, 3).bool()),
        TypeError,
        r"y must be an integer tensor of class indices, got .*shape \(5, 3\).*torch\.bool; "
        r"use y\.argmax\(dim=1\) \(one-hot rows to class indices\)",
    ),
    (
        lambda: accuracy(SCORES, torch.nn.functional.one_hot(LABELS, 3)),
        UsageError,
        r"y must be 1-dimensional \(B,\), got .*shape \(5, 3\).*; use y\.argmax\(dim=1\)",
    ),
    *[
        (  # labels first, scores second: the order named, not "use y.argmax(dim=1)"
            lambda count=count, first=first: count(first, SCORES),
            TypeError,
            rf"^{count.__name__} takes the model's outputs y_hat \(B, C\) first, then the labels "
            rf"y \(B,\), got a tensor of shape \({shape}\) and dtype torch\.int64 as y_hat and a "
            r"tensor of shape \(5, 3\) and dtype torch\.float32 as y: the arguments are in the "
            rf"wrong order; call {count.__name__}\(y_hat, y\) \(D2L §3\.6\.5\)$",
        )
        for count in (accuracy, correct_count)
        for first, shape in ((LABELS, "5,"), (LABELS.reshape(5, 1), "5, 1"))
    ],
    (  # predicted labels beside float one-hot labels: the labels' own fix, not swapped
        lambda: accuracy(SCORES.argmax(dim=1), torch.nn.functional.one_hot(LABELS, 3).float()),
        TypeError,
        r"^y must be an integer tensor of class indices, got .*shape \(5, 3\).*; "
        r"use y\.argmax\(dim=1\) \(one-hot rows to class indices\)$",
    ),
    (  # (B, C, 1) would broadcast against (B,) and count more rows than there are
        lambda: correct_count(SCORES.unsqueeze(-1), LABELS),
        UsageError,
        r"y_hat must be scores of shape \(B, C\) or labels of shape \(B,\), got shape \(5, 3, 1\)",
    ),
    *[
        (  # torch has no aminmax, comparison or promotion for them
            lambda dtype=dtype: accuracy(SCORES, LABELS.to(dtype)),
            TypeError,
            r"y must be class indices of a signed integer dtype or uint8 \(torch has no "
            rf"arithmetic for uint16/uint32/uint64\), got .*dtype {dtype}; use y\.long\(\)",
        )
        for dtype in (torch.uint16, torch.uint32, torch.uint64)
    ],
    (  # a label the scores have no column for can never be predicted: an error, not a miss
        lambda: accuracy(SCORES, torch.tensor([0, 2, 0, 3, 0])),
        UsageError,
        r"y must hold class indices in \[0, 3\), got 3; check the labels match",
    ),
    (
        lambda: correct_count(SCORES, torch.tensor([0, 2, -1, 2, 0])),
        UsageError,
        r"y must hold class indices in \[0, 3\), got -1",
    ),
    (  # labels are checked also against predicted labels (B,), not only against scores
        lambda: correct_count(SCORES.argmax(dim=1), LABELS.float()),
        TypeError,
        r"y must be an integer tensor of class indices, got .*torch\.float32; use y\.long\(\)",
    ),
    (
        lambda: correct_count(SCORES.argmax(dim=1), [0, 2, 0, 2, 0]),
        TypeError,
        r"y must be a torch\.Tensor of class indices, got \[0, 2, 0, 2, 0\]",
    ),
    (
        lambda: correct_count(SCORES.tolist(), LABELS),
        TypeError,
        r"y_hat must be a torch\.Tensor of scores \(B, C\) or labels \(B,\), got list; "
        r"convert it with torch\.as_tensor\(y_hat\)",
    ),
    (
        lambda: Accumulator(2).add(1.0, True),
        TypeError,
        r"add\(\) takes numbers, got True as value 2",
    ),
    (  # float("0.5") would accept it: a string is refused, not parsed
        lambda: Accumulator(2).add("0.5", 1.0),
        TypeError,
        r"add\(\) takes numbers, got '0\.5' as value 1; pass a number",
    ),
    (lambda: Accumulator(2).add(1.0), UsageError, r"add\(\) needs 2 values, got 1"),
    (lambda: Accumulator(2).add(1.0, 2.0, 3.0), UsageError, r"add\(\) needs 2 values, got 3"),
    # it said "needs 1 values"
    (
        lambda: Accumulator(1).add(1, 2),
        UsageError,
        r"^add\(\) needs 1 value, got 2; pass one number per total \(1\)$",
    ),
    (lambda: Accumulator(2)[2], IndexError, r"out of range"),
    # read as labels once flattened: "got 0 and 2 rows", or 3 rows against 0 labels counted 0
    (
        lambda: accuracy(torch.zeros(2, 0), torch.tensor([0, 1])),
        UsageError,
        r"^y_hat must hold at least one score per row, one per class, got shape \(2, 0\); ",
    ),
    (
        lambda: correct_count(torch.zeros(3, 0), torch.zeros(0, dtype=torch.long)),
        UsageError,
        r"^y_hat must hold at least one score per row, one per class, got shape \(3, 0\); ",
    ),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_accumulator_rejects_a_non_positive_count(n: object) -> None:
    with pytest.raises(ValueError, match=r"n must be a positive integer"):
        Accumulator(n)  # type: ignore[arg-type]


def test_predictions_are_compared_without_wrapping_to_the_labels_dtype() -> None:
    """uint8 labels against 300-class predictions: 257 must not wrap around to 1."""
    labels = torch.tensor([1, 3], dtype=torch.uint8)
    assert correct_count(torch.tensor([257, 3]), labels) == 1
    scores = torch.zeros(2, 300)
    scores[0, 257], scores[1, 3] = 1.0, 1.0
    assert accuracy(scores, labels.long()) == 0.5


def test_nan_scores_are_refused_not_counted_as_right() -> None:
    """NaN is every row's maximum: a blown-up model would score its labels' share as accuracy."""
    from linearnets.errors import DivergenceError
    from linearnets.training.loop import evaluate

    scores = torch.tensor([[float("nan"), 1.0, 0.0], [0.0, float("nan"), 5.0]])
    labels = torch.tensor([0, 1])
    with pytest.raises(DivergenceError) as info:
        accuracy(scores, labels)
    assert str(info.value) == (  # the scores given, which may be typed in: no lr to blame
        "y_hat holds NaN in rows 0 and 1 of its 2 (counting from 0), so no accuracy can be "
        "computed: NaN is taken as a row's largest score, so their predicted class would mean "
        "nothing; pass finite scores (where y_hat is a model's output, its weights or its inputs "
        "hold NaN: weights blow up when the lr is too large, so train again with a smaller one)"
    )
    assert scores.max(dim=1).values.isnan().all()  # the oracle: NaN is each row's maximum
    with pytest.raises(DivergenceError, match=r"^y_hat holds NaN in row 1 of its 3 \(counting"):
        accuracy(
            torch.tensor([[1.0, 0.0], [float("nan"), 0.0], [0.0, 1.0]]), torch.tensor([0, 0, 1])
        )
    with pytest.raises(DivergenceError, match="scores hold NaN"):
        evaluate(lambda X: scores, [(torch.zeros(2, 1), labels)])


def test_a_column_of_predicted_labels_is_read_as_labels() -> None:
    """(B, 1) holds one predicted label per row, not one score: it is compared as labels."""
    pred = torch.tensor([[2], [1], [0], [2]])
    assert correct_count(pred, torch.tensor([2, 0, 0, 1])) == 2  # rows 0 and 2, by hand
    assert accuracy(pred, torch.tensor([2, 1, 0, 2])) == 1.0


def test_accumulator_totals_are_floats_before_any_add_and_after_reset() -> None:
    acc = Accumulator(2)
    assert [type(acc[0]), type(acc[1])] == [float, float]
    acc.add(3, 4)
    acc.reset()
    assert [type(v) for v in acc.data] == [float, float] and acc.data == [0.0, 0.0]


class BookAccumulator:
    """The book's Accumulator (D2L §3.6.5), verbatim: the oracle."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: Any) -> None:
        self.data = [a + float(b) for a, b in zip(self.data, args)]  # noqa: B905


def test_accumulator_adds_0d_numpy_values_as_the_books_float_does() -> None:
    l = torch.tensor([0.75, 1.5, 0.25], requires_grad=True) * 2
    batches = [
        (l.sum().detach().numpy(), np.array(3), np.float32(0.5)),  # 0-d float32 and int64 arrays
        (np.array(2.5, dtype=np.float64), np.array(7, dtype=np.uint8), np.int64(2)),
        (l.detach().sum(), 4, 1.0),  # tensors and numbers, as before
    ]
    ours, book = Accumulator(3), BookAccumulator(3)
    for args in batches:
        ours.add(*args)
        book.add(*args)
    assert ours.data == book.data == [5.0 + 2.5 + 5.0, 3 + 7 + 4, 0.5 + 2 + 1]
    assert all(type(v) is float for v in ours.data)


def test_accumulator_adds_a_one_element_array_as_it_adds_a_one_element_tensor() -> None:
    """float(torch.tensor([[2.5]])) works; NumPy 2's float() takes 0-d arrays only: taken alike."""
    acc = Accumulator(2)
    acc.add(np.array([2.5], dtype=np.float32), np.array([[3]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # float() of a tensor needing grad warns; a total needs none
        acc.add(torch.tensor([[2.5]], requires_grad=True), torch.tensor([3]))
    assert acc.data == [5.0, 6.0]


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (np.array([1.0, 2.0]), r"got array\(\[1\., 2\.\]\) as value 1; pass a number \(a one-element tensor or array also works"),
        (np.array(True), r"got array\(True\) as value 1;"),
        (np.array("1.5"), r"got array\('1\.5', dtype='<U3'\) as value 1;"),
        (np.zeros(0), r"got array\(\[\], dtype=float64\) as value 1;"),
    ],
    ids=["two values", "bool", "string", "empty"],
)  # fmt: skip
def test_accumulator_refuses_arrays_that_are_not_one_number(value: Any, pattern: str) -> None:
    with pytest.raises(UsageTypeError, match=r"^add\(\) takes numbers, " + pattern):
        Accumulator(2).add(value, 1.0)


def test_accumulator_repr_shows_its_totals() -> None:
    metric = Accumulator(3)
    metric.add(1.5, 2, torch.tensor(4.0))
    metric.add(0.5, 1, np.float32(1))
    assert repr(metric) == "Accumulator(3 totals: [2.0, 3.0, 5.0])"  # summed by hand


# --- float predictions are labels only when whole (no silent truncation) -------------------------


@pytest.mark.parametrize("count", [correct_count, accuracy], ids=["correct_count", "accuracy"])
def test_a_float_column_of_one_score_per_example_is_refused_not_truncated(count: Any) -> None:
    """A binary classifier's P(class 1), (B, 1): .long() would make every row class 0."""
    probs = torch.tensor([[0.9], [0.8], [0.1], [0.7]])
    with pytest.raises(
        UsageError,
        match=r"^y_hat must be scores of shape \(B, C\), one per class, or labels \(B,\), got a "
        r"float column of shape \(4, 1\).*pass all C scores \(B, C\) or their argmax over "
        r"classes, scores\.argmax\(dim=1\), or .* \(y_hat > 0\.5\)\.long\(\)\.reshape\(-1\)$",
    ):
        count(probs, torch.tensor([1, 1, 0, 1]))
    # the fix the message gives counts every row right, as a hand count says
    fixed, y = (probs > 0.5).long().reshape(-1), torch.tensor([1, 1, 0, 1])
    assert correct_count(fixed, y) == 4 and accuracy(fixed, y) == 1.0


@pytest.mark.parametrize(
    ("y_hat", "shown", "row"),
    [
        (torch.tensor([1.0, 0.9, 2.0]), "0.9", 1),  # float32: its shortest text, not 0.89999997
        (torch.tensor([2.0, 1.0, 2.99], dtype=torch.float64), "2.99", 2),
        (torch.tensor([1.0, float("nan"), 2.0]), "nan", 1),  # no label either (.long() is garbage)
        (torch.tensor([float("inf"), 1.0, 2.0]), "inf", 0),
        (torch.tensor([1.0, 1.0, 1.5], dtype=torch.float16), "1.5", 2),
    ],
    ids=["float32", "float64", "nan", "inf", "float16"],
)
def test_float_labels_that_are_not_whole_are_refused_naming_value_and_row(
    y_hat: torch.Tensor, shown: str, row: int
) -> None:
    with pytest.raises(
        UsageError,
        match=rf"^y_hat of shape \(B,\) must hold class labels, whole numbers, got {shown} in "
        rf"row {row} of a tensor of shape \(3,\) and dtype {y_hat.dtype}; pass the scores "
        r"\(B, C\), one per class, or their argmax over classes, scores\.argmax\(dim=1\); .*"
        r"\(y_hat > 0\.5\)\.long\(\)$",
    ):
        accuracy(y_hat, torch.tensor([1, 1, 2]))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_whole_float_labels_are_still_counted_as_labels(dtype: torch.dtype) -> None:
    labels = torch.tensor([2, 0, 1, 1, 0, 2, 200])  # 200: even bfloat16 holds it exactly
    y = torch.tensor([2, 1, 1, 0, 0, 2, 200])
    by_hand = sum(int(a == b) for a, b in zip(labels.tolist(), y.tolist(), strict=True))
    assert correct_count(labels.to(dtype), y) == by_hand == 5


def test_integer_and_bool_predicted_labels_are_taken_as_before() -> None:
    """Only floats were truncated: integer columns (B, 1) and bool labels (B,) keep their meaning."""
    assert correct_count(torch.tensor([[1], [0], [1]]), torch.tensor([1, 1, 1])) == 2
    assert correct_count(torch.tensor([True, False, True]), torch.tensor([1, 1, 1])) == 2


def test_complex_predictions_are_refused_not_cut_to_their_real_part() -> None:
    with pytest.raises(
        TypeError, match=r"^y_hat must be real scores \(B, C\) or labels \(B,\), got .*complex64"
    ):
        accuracy(torch.tensor([1 + 1j, 0j]), torch.tensor([1, 0]))


def test_whole_float_labels_cost_one_read_of_the_device_as_the_count_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole-number check rides on the count's own read (one .tolist() of two numbers, where
    the count alone took one int()): no read of its own, so a loop waits on a device no longer."""
    reads: list[str] = []
    for name in ("item", "tolist", "__int__", "__bool__", "__float__"):
        real = getattr(torch.Tensor, name)
        monkeypatch.setattr(
            torch.Tensor,
            name,
            lambda self, *a, _real=real, _name=name: (reads.append(_name), _real(self, *a))[1],
        )
    assert correct_count(torch.tensor([2.0, 0.0, 1.0]), torch.tensor([2, 1, 1])) == 2
    assert len(reads) == 1, reads


# --- meta tensors: the data side's refusal -------------------------------------------------------


@pytest.mark.parametrize(
    ("y_hat", "y", "name", "shape"),
    [
        (torch.zeros(4, 3, device="meta"), torch.zeros(4, dtype=torch.long), "y_hat", r"\(4, 3\)"),
        (torch.zeros(4, 3), torch.zeros(4, dtype=torch.long, device="meta"), "y", r"\(4,\)"),
        (torch.zeros(4, device="meta"), torch.zeros(4, dtype=torch.long), "y_hat", r"\(4,\)"),
    ],
    ids=["meta scores", "meta labels", "meta predicted labels"],
)
def test_meta_tensors_are_refused_as_the_data_functions_refuse_them(
    y_hat: torch.Tensor, y: torch.Tensor, name: str, shape: str
) -> None:
    """A shape without values gives no count: the one refusal data_iter gives, not torch's .item()."""
    with pytest.raises(
        UsageError,
        match=rf"^{name} must hold values, got a tensor of shape {shape} on the meta device \(a "
        r"shape without data\); pass one that holds its values, on the CPU or a GPU$",
    ):
        accuracy(y_hat, y)


# --- Accumulator: bools alike, complex values named ----------------------------------------------


@pytest.mark.parametrize(
    "value",
    [True, np.True_, np.array(True), np.array([True]), torch.tensor(True), torch.tensor([False])],
    ids=["python", "numpy scalar", "numpy 0-d", "numpy 1-element", "tensor 0-d", "tensor (1,)"],
)
def test_accumulator_refuses_a_bool_whatever_holds_it(value: Any) -> None:
    acc = Accumulator(2)
    with pytest.raises(UsageTypeError, match=r"^add\(\) takes numbers, got .* as value 1; pass"):
        acc.add(value, 1.0)
    assert acc.data == [0.0, 0.0]  # nothing added


@pytest.mark.parametrize(
    "value",
    [
        1 + 2j,
        np.complex128(1 + 2j),
        np.array([1 + 2j]),
        torch.tensor(1 + 2j),
        torch.tensor([3 + 0j]),
    ],
    ids=["python", "numpy scalar", "numpy array", "tensor", "tensor, no imaginary part"],
)
def test_accumulator_refuses_a_complex_value_as_not_a_number(value: Any) -> None:
    """Not torch's false "cannot be converted to type double without overflow"."""
    with pytest.raises(UsageTypeError, match=r"^add\(\) takes numbers, got .* as value 2; pass"):
        Accumulator(2).add(1.0, value)


def test_accumulator_refuses_a_meta_tensor_naming_the_value() -> None:
    with pytest.raises(
        UsageError,
        match=r"^add\(\)'s value 2 must hold values, got a tensor of shape \(\) on the meta device",
    ):
        Accumulator(2).add(1.0, torch.tensor(1.0, device="meta"))


def test_accumulator_still_adds_what_the_books_float_reads(gen: torch.Generator) -> None:
    """The refusals above take nothing from the numbers it took: the book's Accumulator agrees."""
    l = torch.randn(8, generator=gen)
    args = (l.sum(), torch.tensor([3], dtype=torch.int64), np.float32(0.5))
    ours, book = Accumulator(3), BookAccumulator(3)
    ours.add(*args)
    book.add(*args)
    assert ours.data == book.data


def test_accumulator_adds_a_decimal_as_the_books_float_reads_it() -> None:
    """Its docstring says what float() reads is taken; a Decimal (a Number, registered as no Real)
    was refused."""
    total = Accumulator(2)
    total.add(decimal.Decimal("1.5"), fractions.Fraction(1, 4))
    assert total.data == [1.5, 0.25] and all(type(v) is float for v in total.data)


# --- Accumulator: a number past float's range refused, naming it ---------------------------------

_PAST_FLOAT = r"must be a number float can hold \(at most about 1\.8e308 in size\), got "
_SCALE_DOWN = r"; scale it down, e.g. add a mean rather than a sum, or count in thousands$"
_LONG_DOUBLE_WIDER = np.finfo(np.longdouble).max > np.finfo(np.float64).max


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**400, r"an int of 401 digits"),
        (-(10**400), r"a negative int of 401 digits"),
        (10**309 - 1, r"an int of 309 digits"),  # log10 rounds it to 309.0: the count is exact
        (10**5000, r"an int of 5001 digits"),  # past the 4300 digits Python prints
        (fractions.Fraction(10**400, 3), r"Fraction\(10{47}\.\.\."),
        (decimal.Decimal("1e400"), r"Decimal\('1E\+400'\)"),  # float() gave inf
        (decimal.Decimal("-1e400"), r"Decimal\('-1E\+400'\)"),
        (decimal.Decimal("sNaN"), r"Decimal\('sNaN'\)"),  # float() raised a bare ValueError
        pytest.param(np.longdouble("1e400"), r"np\.longdouble\('1e\+400'\)",
                     marks=pytest.mark.skipif(not _LONG_DOUBLE_WIDER, reason="long double is double")),
        pytest.param(np.array([np.longdouble("1e400")]), r"array\(\[1\.e\+400\], dtype=float128\)",
                     marks=pytest.mark.skipif(not _LONG_DOUBLE_WIDER, reason="long double is double")),
    ],
    ids=["int", "negative int", "309 digits", "5001 digits", "fraction", "decimal",
         "negative decimal", "signaling nan", "long double", "long double array"],
)  # fmt: skip
def test_accumulator_refuses_a_number_past_floats_range(value: Any, shown: str) -> None:
    """Not Python's bare "OverflowError: int too large to convert to float", nor a silent inf."""
    acc = Accumulator(2)
    acc.add(1.0, 2.0)
    with pytest.raises(
        UsageError, match=r"^add\(\)'s value 2 " + _PAST_FLOAT + shown + _SCALE_DOWN
    ):
        acc.add(1.0, value)
    assert acc.data == [1.0, 2.0]  # nothing added


def test_accumulator_still_adds_the_largest_numbers_and_the_infinities_float_holds() -> None:
    """The range check takes nothing the book's float(b) holds: 10**308, inf and NaN stay totals."""
    args = (10**308, decimal.Decimal("Infinity"), float("nan"), -(10**300))
    ours, book = Accumulator(4), BookAccumulator(4)
    ours.add(*args)
    book.add(*args)
    assert ours.data[0] == book.data[0] == 1e308 and ours.data[3] == -1e300
    assert ours.data[1] == float("inf") and np.isnan(ours.data[2]) and np.isnan(book.data[2])
