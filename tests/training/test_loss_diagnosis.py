"""The diagnosis of a loss that raised (D2L §3.7): which input broke which rule, and the fix.

Every case is built from what torch itself raises on the same inputs, so a diagnosis is checked
against a real failure, not a made-up one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.loss_diagnosis import (
    explain_loss_error,
    one_row_per_example_fix,
    raise_loss_error,
    regression_loss_error,
)

# --- regression losses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_hat", "y", "broadcast"),
    [
        (torch.zeros(3, 1), torch.zeros(3), r"got \(3,\), which would broadcast to \(3, 3\)"),
        (torch.zeros(3), torch.zeros(3, 1), r"got \(3, 1\), which would broadcast to \(3, 3\)"),
        (torch.zeros(3, 1), torch.zeros(1, 3), r"got \(1, 3\), which would broadcast to \(3, 3\)"),
        (torch.zeros(3, 1), torch.zeros(3, dtype=torch.long), r"got \(3,\), which would broadcast"),
        (torch.zeros(3, 1), torch.zeros(3, 3), r"got \(3, 3\), which would broadcast to \(3, 3\)"),
    ],
    ids=["column-vs-row", "row-vs-column", "transposed", "int-labels-one-output", "outputs-widen"],
)
def test_targets_that_broadcast_against_the_outputs_are_named(
    y_hat: torch.Tensor, y: torch.Tensor, broadcast: str
) -> None:
    # the oracle: torch would compare every output with every target
    assert torch.broadcast_shapes(y_hat.shape, y.shape) == (3, 3)
    err = regression_loss_error(nn.MSELoss(), y_hat, y)
    assert isinstance(err, UsageError)
    assert str(err).startswith(
        f"the targets y must have the model's output shape {tuple(y_hat.shape)}"
    )
    assert re.search(broadcast, str(err))
    reshape = f"y.reshape({', '.join(str(d) for d in y_hat.shape)})"
    # integer targets of a one-output model are a regression's: the reshape alone leaves them labels
    float_fix = f"{reshape}.float() (float targets for a regression)"
    assert (float_fix if not y.is_floating_point() else f"{reshape} (") in str(err)


def test_following_the_fix_for_integer_targets_of_a_regression_trains() -> None:
    """The bug hunt's ping-pong: (B, 1) int targets were told reshape(-1), then (B,) reshape(B, 1).
    The fix now given for (B,) is reshape and float, and following it trains."""
    import linearnets as ln
    from linearnets.models.concise import linreg_concise

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(10, 2, generator=gen)
    y = (X @ torch.tensor([2.0, -3.4]) + 4.2).round().long()  # integer-valued targets (10,)
    net = linreg_concise(2)
    loss = nn.MSELoss(reduction="none")

    def run(targets: torch.Tensor) -> Any:
        optimizer = torch.optim.SGD(net.parameters(), lr=0.03)
        return ln.fit(net, ln.load_array((X, targets), 10), loss, optimizer, 1)

    with pytest.raises(UsageError, match=r"reshape them with y\.reshape\(10, 1\)\.float\(\)"):
        run(y)
    history = run(y.reshape(10, 1).float())  # the fix, verbatim
    assert history.epochs[-1].train_acc is None


@pytest.mark.parametrize(
    ("y_hat", "y"),
    [
        (torch.zeros(3, 1), torch.zeros(3, 1)),  # the same shape
        (torch.zeros(3, 2), torch.zeros(4)),  # do not broadcast at all: the loss says so
        (torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.long)),  # int targets of the same shape
    ],
    ids=["same", "incompatible", "int-same-shape"],
)
def test_targets_that_do_not_broadcast_give_none(y_hat: torch.Tensor, y: torch.Tensor) -> None:
    assert regression_loss_error(nn.MSELoss(), y_hat, y) is None


@pytest.mark.parametrize("C", [2, 4])
def test_class_labels_for_a_classifiers_scores_name_one_hot(C: int) -> None:
    y = torch.tensor([0, 1, 1])
    err = regression_loss_error(nn.L1Loss(), torch.zeros(3, C), y)
    assert isinstance(err, UsageError)
    assert str(err) == (
        f"loss L1Loss is a regression loss, which compares the outputs (3, {C}) with targets of "
        f"that shape, but y holds class labels (a tensor of shape (3,) and dtype torch.int64) for "
        f"a classifier's {C} scores; train a classifier with nn.CrossEntropyLoss(), or give L1Loss "
        f"one-hot targets: torch.nn.functional.one_hot(y, {C}).float()"
    )
    assert F.one_hot(y, C).shape == (3, C)  # the fix gives targets of the outputs' shape


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss()])
def test_every_torch_regression_loss_on_class_labels_is_explained(loss: nn.Module) -> None:
    y_hat, y = torch.zeros(3, 4), torch.tensor([0, 1, 3])
    err = explain_loss_error(loss, y_hat, y)
    assert isinstance(err, UsageError) and "is a regression loss" in str(err)


def test_a_float_target_of_the_outputs_rows_for_a_regression_loss_is_not_explained() -> None:
    assert explain_loss_error(nn.MSELoss(), torch.zeros(3, 4), torch.zeros(3, 4)) is None


# --- binary cross-entropy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "y_hat", "y", "message"),
    [
        (
            nn.BCEWithLogitsLoss(),
            torch.zeros(3, 1),
            torch.tensor([0, 1, 1]),
            r"^y must be float targets of the model's output shape \(3, 1\) for BCEWithLogitsLoss, which takes each target as a probability in \[0, 1\], got a tensor of shape \(3,\) and dtype torch.int64; convert them with y.float\(\).reshape\(3, 1\) \(0/1 labels of a binary classifier too\)$",
        ),
        (
            nn.BCEWithLogitsLoss(),
            torch.zeros(3, 1),
            torch.tensor([[0], [1], [1]]),
            r"^y must be float targets of the model's output shape \(3, 1\) for BCEWithLogitsLoss, .* convert them with y.float\(\) \(",
        ),
        (
            nn.BCELoss(),
            torch.full((3,), 0.5),
            torch.tensor([False, True, True]),
            r"^y must be float targets of the model's output shape \(3,\) for BCELoss, .*dtype torch.bool; convert them with y.float\(\) \(",
        ),
        (
            F.binary_cross_entropy_with_logits,
            torch.zeros(3, 1),
            torch.tensor([0, 1, 1]),
            r"for binary_cross_entropy_with_logits, .* y.float\(\).reshape\(3, 1\)",
        ),
        (
            nn.BCEWithLogitsLoss(),
            torch.zeros(3, 4),
            torch.tensor([0, 3, 1]),
            r"^y must be float targets of the model's output shape \(3, 4\) for BCEWithLogitsLoss, one 0/1 target per output, got class labels \(a tensor of shape \(3,\) and dtype torch.int64\); train a classifier of one class per example with nn.CrossEntropyLoss\(\), or give BCEWithLogitsLoss one-hot targets: torch.nn.functional.one_hot\(y, 4\).float\(\)$",
        ),
    ],
    ids=[
        "labels-for-one-output",
        "int-column",
        "bool-labels",
        "functional",
        "class-labels-for-scores",
    ],
)
def test_integer_targets_of_a_binary_cross_entropy_are_explained(
    loss: Any, y_hat: torch.Tensor, y: torch.Tensor, message: str
) -> None:
    """torch's own words were "result type Float can't be cast to the desired output type Long" or
    "Target size (torch.Size([3])) must be the same as input size (torch.Size([3, 1]))"."""
    with pytest.raises((RuntimeError, ValueError)) as raised:  # the oracle: torch refuses them
        loss(y_hat, y)
    with pytest.raises(UsageTypeError, match=message):
        raise_loss_error(loss, y_hat, y, raised.value)


def test_following_the_fix_for_a_binary_classifiers_labels_trains() -> None:
    import linearnets as ln

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(10, 2, generator=gen)
    y = (X[:, 0] > 0).long()  # 0/1 labels (10,), as a binary classifier's data gives them
    net = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(UsageTypeError, match=r"convert them with y\.float\(\)\.reshape\(10, 1\)"):
        ln.fit(net, [(X, y)], nn.BCEWithLogitsLoss(), optimizer, 1)
    history = ln.fit(net, [(X, y.float().reshape(10, 1))], nn.BCEWithLogitsLoss(), optimizer, 1)
    assert history.epochs[-1].train_acc is None


@pytest.mark.parametrize(
    "loss", [nn.BCEWithLogitsLoss(), nn.BCELoss()], ids=lambda l: type(l).__name__
)
def test_float_targets_of_another_shape_for_a_binary_cross_entropy_are_refused_not_broadcast(
    loss: nn.Module,
) -> None:
    """torch's binary cross-entropies refuse a target size other than the input's (the oracle):
    nothing broadcasts to (10, 10), and the reshape named trains."""
    import linearnets as ln

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(10, 2, generator=gen)
    y = (X[:, 0] > 0).float()  # (10,)
    net = (
        nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        if isinstance(loss, nn.BCELoss)
        else nn.Linear(2, 1)
    )
    with pytest.raises(ValueError, match="size"):
        loss(net(X), y)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(UsageError) as info:
        ln.fit(net, [(X, y)], loss, optimizer, 1)
    assert str(info.value) == (
        f"the targets y must have the model's output shape (10, 1), got (10,), which "
        f"{type(loss).__name__} refuses (a binary cross-entropy takes one target per output, never "
        "broadcast); reshape them with y.reshape(10, 1) (e.g. labels.reshape(-1, 1))"
    )
    ln.fit(net, [(X, y.reshape(10, 1))], loss, optimizer, 1)


# --- class labels --------------------------------------------------------------------------------


def _explained(loss: Any, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError:
    with pytest.raises((RuntimeError, IndexError, ValueError)) as raised:  # torch refuses them
        F.cross_entropy(y_hat, y)
    with pytest.raises(UsageError) as info:
        raise_loss_error(loss, y_hat, y, raised.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert info.value.__context__ is raised.value
    return info.value


@pytest.mark.parametrize(
    ("y", "kind", "message"),
    [
        (torch.tensor([0.0, 1.0, 1.0]), UsageTypeError, r"^y must be an integer tensor of class indices, got a tensor of shape \(3,\) and dtype torch.float32; use y.long\(\)$"),
        (torch.tensor([[0.0], [1.0], [1.0]]), UsageTypeError, r"^y must be class indices of shape \(3,\) and an integer dtype \(or class probabilities of the output's shape \(3, 2\)\), got a tensor of shape \(3, 1\) and dtype torch.float32; use y.reshape\(-1\).long\(\)$"),
        (torch.tensor([[1, 0], [0, 1], [0, 1]]), UsageTypeError, r"^y must be class indices of shape \(3,\), or float class probabilities .*\(one-hot labels\?\); use y.argmax\(dim=1\)"),
        (torch.tensor([[True, False], [False, True], [False, True]]), UsageTypeError, r"^y must be an integer tensor of class indices, got .*torch.bool; use y.argmax\(dim=1\)"),
        (torch.tensor([[0], [1], [1]]), UsageError, r"^y must be 1-dimensional \(B,\), got a tensor of shape \(3, 1\)"),
        (torch.tensor([0, -1, 1]), UsageError, r"^y must hold class indices in \[0, 2\) for the model's 2 outputs, got -1; relabel them from 0, e.g. y - y.min\(\) \(classes 0..2\), and give the model one output per class, e.g. nn.Linear\(d, 3\)$"),
        (torch.tensor([0, 2, 1]), UsageError, r"^y must hold class indices in \[0, 2\) for the model's 2 outputs, got 2;"),
        (torch.tensor([-3, 5, 1]), UsageError, r"in \[0, 2\) for the model's 2 outputs, got -3;"),
    ],
    ids=["float-labels", "float-column", "one-hot", "bool-one-hot", "int-column", "negative", "equal-to-C", "both-sides"],
)  # fmt: skip
def test_labels_a_classifier_cannot_take_are_explained(
    y: torch.Tensor, kind: type[Exception], message: str
) -> None:
    err = _explained(nn.CrossEntropyLoss(), torch.zeros(3, 2), y)
    assert type(err) is kind
    assert re.search(message, str(err))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64])
@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize(
    "loss",
    [nn.CrossEntropyLoss(reduction="none"), lambda o, t: F.cross_entropy(o, t, reduction="none")],
    ids=["CrossEntropyLoss", "function"],
)
def test_one_hot_labels_of_another_class_count_than_outputs_name_the_fixes_that_fit(
    loss: Any, K: int, dtype: torch.dtype
) -> None:
    """y.reshape(-1).long() would give K·B values for B examples: the fixes are K outputs, or,
    where K <= C, the labels' argmax. For K = 4 > C = 3 the argmax was offered too (and integer
    one-hot was told only "use y.argmax(dim=1)"), then refused: label 3 for 3 outputs. The oracle:
    torch refuses the (32, K) targets for (32, 3) scores, and the argmax fix where K > 3."""
    from linearnets.training.step_checks import compute_loss

    g = torch.Generator().manual_seed(0)
    y_hat, y = torch.randn(32, 3, generator=g), F.one_hot(torch.arange(32) % K, K).to(dtype)
    with pytest.raises(RuntimeError):
        loss(y_hat, y)
    with pytest.raises(UsageError) as info:
        compute_loss(loss, y_hat, y)
    fits = ", or pass y.argmax(1)" if K < 3 else ", one per class"
    assert str(info.value) == (
        "y must be class indices of shape (32,) and an integer dtype, or class probabilities of "
        f"the output's shape (32, 3), got a tensor of shape (32, {K}) and dtype {dtype}: {K} values "
        f"per example (one-hot labels of {K} classes?) for the model's 3 outputs; give the model {K} "
        f"outputs{fits}"
    )
    scores = torch.randn(32, K, generator=g)  # the first fix: K outputs
    expected = F.cross_entropy(scores, y.argmax(1), reduction="none")
    torch.testing.assert_close(compute_loss(loss, scores, y.argmax(1)), expected)
    if K < 3:  # the argmax fix: labels the 3 outputs take
        compute_loss(loss, y_hat, y.argmax(1))
    else:
        with pytest.raises(IndexError):  # torch: "Target 3 is out of bounds"
            F.cross_entropy(y_hat, y.argmax(1))


@pytest.mark.parametrize(
    ("C", "fix"),
    [
        (1, "relabel them from 0, e.g. (y + 1) // 2 for ±1 labels (classes 0..1), and give the model one output per class, e.g. nn.Linear(d, 2)"),
        (2, "relabel the classes 0..1, e.g. with (y + 1) // 2 for ±1 labels"),
    ],
    ids=["one-output", "two-outputs"],
)  # fmt: skip
def test_plus_minus_one_labels_are_told_to_be_relabelled_not_only_given_outputs(
    C: int, fix: str
) -> None:
    """y in {-1, 1} on one output was told only "give the model one output per class, e.g.
    nn.Linear(d, 2)", where -1 was refused again: a negative label fits no count of outputs.
    The oracle: torch refuses -1, and takes the relabelled (y + 1) // 2 for 2 outputs."""
    g = torch.Generator().manual_seed(0)
    y = torch.where(torch.randn(32, generator=g) > 0, 1, -1)
    err = _explained(nn.CrossEntropyLoss(), torch.randn(32, C, generator=g), y)
    assert str(err) == (
        f"y must hold class indices in [0, {C}) for the model's {counted(C, 'output')}, got -1; "
        f"{fix}"
    )
    relabelled = (y + 1) // 2
    assert set(relabelled.tolist()) == {0, 1} and torch.equal(relabelled == 1, y == 1)
    assert torch.isfinite(F.cross_entropy(torch.randn(32, 2, generator=g), relabelled))


def test_negative_labels_of_more_classes_than_outputs_are_told_to_shift_and_widen() -> None:
    """Labels -1..1 for 2 outputs: y - y.min() gives 3 classes, so 3 outputs too."""
    err = _explained(nn.CrossEntropyLoss(), torch.zeros(3, 2), torch.tensor([-1, 0, 1]))
    assert str(err) == (
        "y must hold class indices in [0, 2) for the model's 2 outputs, got -1; relabel them from "
        "0, e.g. y - y.min() (classes 0..2), and give the model one output per class, e.g. "
        "nn.Linear(d, 3)"
    )
    shifted = torch.tensor([-1, 0, 1]) - torch.tensor([-1, 0, 1]).min()
    assert shifted.tolist() == [0, 1, 2]  # within [0, 3)
    F.cross_entropy(torch.zeros(3, 3), shifted)


@pytest.mark.parametrize(
    ("loss", "name"),
    [
        (nn.CrossEntropyLoss(), "CrossEntropyLoss"),
        (nn.NLLLoss(), "NLLLoss"),
        # the functions, and a partial of one, were told "check it takes (y_hat, y) in that order"
        (F.cross_entropy, "F.cross_entropy"),
        (F.nll_loss, "F.nll_loss"),
        (functools.partial(F.cross_entropy, reduction="none"), "F.cross_entropy"),
    ],
    ids=["CrossEntropyLoss", "NLLLoss", "F.cross_entropy", "F.nll_loss", "partial"],
)
def test_torchs_class_losses_refuse_int32_labels_told_to_use_long(
    loss: Callable[..., torch.Tensor], name: str
) -> None:
    y = torch.tensor([0, 1, 1], dtype=torch.int32)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long"):  # torch's refusal
        loss(torch.zeros(3, 2), y)
    err = explain_loss_error(loss, torch.zeros(3, 2), y)
    assert isinstance(err, UsageTypeError)
    assert str(err) == (
        f"y must be int64 class indices for {name}, got a tensor of shape (3,) and dtype "
        "torch.int32; use y.long()"
    )
    loss(torch.zeros(3, 2), y.long())  # the fix runs


def test_uint8_labels_in_range_are_not_blamed() -> None:
    """torch's cross-entropy takes uint8 labels (byte targets): whatever failed, not the labels."""
    y = torch.tensor([0, 1, 1], dtype=torch.uint8)
    F.cross_entropy(torch.zeros(3, 2), y)  # the oracle: torch accepts them
    assert explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(3, 2), y) is None


def test_two_classes_and_more_rows_than_labels_are_explained() -> None:
    """Scores of 2 classes are a classifier's; 5 rows of output for 3 labels is the model's fault."""
    err = explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(5, 2), torch.tensor([0, 1, 1]))
    assert isinstance(err, UsageError)
    assert str(err).startswith(
        "y must hold one label per row of the model's output: the output has shape (5, 2), y has 3 rows"
    )
    one = explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(3, 2), torch.tensor([1]))
    assert str(one).startswith("y must hold one label per row of the model's output: the output "
                               "has shape (3, 2), y has 1 row; ")  # fmt: skip


@pytest.mark.parametrize(
    ("y", "said"),
    [
        (torch.tensor([0, 5, 1]), "class probabilities, got Long"),
        (torch.tensor([0, 5, 1]).bool(), "class probabilities, got Bool"),  # gave None
        (torch.tensor([[0], [5], [1]]), "0D or 1D target tensor expected"),  # gave None
    ],
    ids=["int64", "bool", "column"],
)
def test_one_output_per_example_as_1d_is_told_to_give_one_score_per_class(
    y: torch.Tensor, said: str
) -> None:
    """torch takes scores (3,) and labels (3,) as one example's class probabilities, and refuses
    the int64 ones ("Expected floating point type for target with class probabilities"), bool
    ones as well, and labels (3, 1) as "multi-target"; evaluate_accuracy names the output."""
    y_hat = torch.zeros(3)
    with pytest.raises(RuntimeError, match=said):  # the oracle
        nn.CrossEntropyLoss()(y_hat, y)
    err = explain_loss_error(nn.CrossEntropyLoss(), y_hat, y)
    assert isinstance(err, UsageError)
    assert str(err).startswith(
        "a classifier's output must be scores of shape (B, C), one per class, got shape (3,) "
        "for 3 labels: "
    )
    assert str(err).endswith("or a weight W of shape (d, C), not a vector (d,)")


@pytest.mark.parametrize(
    ("torchs", "y"),
    [
        (F.cross_entropy, torch.tensor([0, 5, 1])),
        (F.cross_entropy, torch.tensor([[0], [5], [1]])),
        (F.nll_loss, torch.tensor([0, 5, 1])),
        (F.nll_loss, torch.tensor([0, 5, 1], dtype=torch.int32)),
        (F.nll_loss, torch.tensor([0, 1, 1], dtype=torch.bool)),
    ],
    ids=["labels", "column", "nll-labels", "nll-int32", "nll-bool"],
)
def test_torchs_cross_entropy_in_a_loss_of_ones_own_on_a_1d_output_is_named_by_its_words(
    torchs: Callable[..., torch.Tensor], y: torch.Tensor
) -> None:
    """A function around F.cross_entropy or F.nll_loss is not known as a class loss: its error
    ("... target with class probabilities, got Long", "0D or 1D target tensor expected"; NLL's
    "For 1D input, 1D target must have size 1", "expected target dtype to be Long or Byte") was
    re-raised with a note of the inputs alone."""

    def my_ce(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torchs(o, t, reduction="none")

    y_hat = torch.zeros(3)
    with pytest.raises((RuntimeError, ValueError)) as raised:  # the oracle: torch's words
        my_ce(y_hat, y)
    with pytest.raises(UsageError) as info:
        raise_loss_error(my_ce, y_hat, y, raised.value)
    assert str(info.value) == (
        "a classifier's output must be scores of shape (B, C), one per class, got shape (3,) for "
        "3 labels: one output scores one class only; give the model one output per class, e.g. "
        "nn.Linear(d, C) for C classes, or a weight W of shape (d, C), not a vector (d,)"
    )


@pytest.mark.parametrize(
    ("y_hat", "y"),
    [
        (torch.tensor(0.0), torch.tensor([0, 1])),  # 0-d output
        (torch.zeros(3, 2), torch.tensor(1)),  # 0-d labels
        (torch.zeros(3, 2, 2), torch.tensor([0, 5, 1])),  # not (B, C) scores
        ((torch.zeros(3, 2),), torch.tensor([0, 5, 1])),  # not a tensor
    ],
    ids=["0d-output", "0d-labels", "3d-output", "tuple-output"],
)
def test_inputs_that_are_not_a_classifiers_scores_and_labels_give_none(
    y_hat: Any, y: torch.Tensor
) -> None:
    assert explain_loss_error(nn.CrossEntropyLoss(), y_hat, y) is None


def test_empty_labels_are_not_read() -> None:
    assert explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)) is None  # fmt: skip


def test_an_unexplained_error_is_re_raised_as_it_is() -> None:
    err = ValueError("something else")
    with pytest.raises(ValueError) as info:
        raise_loss_error(nn.CrossEntropyLoss(), torch.zeros(3, 2), torch.tensor([0, 1, 1]), err)
    assert info.value is err


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16])
# torch's own word on the user's indexing with uint8, before it fails: not the library's to keep
@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8 is now deprecated:UserWarning")
def test_labels_a_users_loss_cannot_index_with_are_named_with_the_fix(dtype: torch.dtype) -> None:
    """The book's cross_entropy, y_hat[range(len(y_hat)), y], fails on them in torch's words: int8
    and int16 are no index, uint8 a boolean mask ("The shape of the mask [4] at index 0 does not
    match"). The oracle: torch raises IndexError, and y.long() gives F.nll_loss's values."""
    from linearnets.training.step_checks import compute_loss

    def book_cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    probs = torch.softmax(torch.randn(4, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    y = torch.tensor([0, 2, 1, 2], dtype=dtype)
    with pytest.raises(IndexError):
        book_cross_entropy(probs, y)
    with pytest.raises(UsageTypeError, match=rf"^y must be int64 class indices for the loss book_cross_entropy, which failed indexing with a tensor of shape \(4,\) and dtype {dtype}: .*; use y\.long\(\)$"):  # fmt: skip
        compute_loss(book_cross_entropy, probs, y)
    torch.testing.assert_close(
        compute_loss(book_cross_entropy, probs, y.long()),
        F.nll_loss(probs.log(), y.long(), reduction="none"),
    )


_TRANSPOSED = (
    "the output is transposed, (C, B) with one column per example: return it as (B, C) = {}, "
    "e.g. o.T for the output o, or check the matmul order (X @ W, with X of shape (B, d) and W "
    "(d, C))"
)
_MADE = (
    "made {k} rows of each example, as X.reshape(-1, d) does with {k}·d values per example: "
    "check the image size (resize) and channels (3 for RGB) match the model's input"
)


def _both(rows: int, examples: int) -> str:
    return (
        f"either, if the model has {examples} classes, it {_MADE.format(k=rows // examples)}; or, "
        f"if it has {rows} classes, {_TRANSPOSED.format((examples, rows))}"
    )


@pytest.mark.parametrize(
    ("rows", "examples", "columns", "fix"),
    [
        (10, 3, 3, _TRANSPOSED.format("(3, 10)")),
        (3, 7, 7, _TRANSPOSED.format("(7, 3)")),
        (30, 10, 10, _both(30, 10)),
        (40, 10, 10, _both(40, 10)),
        (10, 5, 5, _both(10, 5)),
        # one column for one example: k rows of it would be a one-class model, no classifier
        (10, 1, 1, _TRANSPOSED.format("(1, 10)")),
        (24, 6, 10, f"the model {_MADE.format(k=4)}"),
        (10, 5, 3, f"the model {_MADE.format(k=2)}"),
        (2, 4, 3, "make the model return one row of scores per example"),
        (2, 4, None, "make the model return one row of scores per example"),
    ],
    ids=["(10, 3)", "fewer", "RGB", "square-multiple", "(10, 5)", "one example", "resize", "multiple", "fewer-rows", "not-2-d"],
)  # fmt: skip
def test_one_row_per_example_fix_tells_a_transposed_output_from_rows_made_of_each_example(
    rows: int, examples: int, columns: int | None, fix: str
) -> None:
    """An output (C, B), one column per example, whose rows are no multiple of B is transposed.
    Where they are k > 1 times B, it fits k rows made of each example as well, so both are named:
    (30, 10) for 10 examples, Linear(784, 10) on RGB images' reshape(-1, 784), was told
    "transposed ... o.T" alone (both only where k was a square), and o.T trains a 30-class model
    on it silently."""
    assert one_row_per_example_fix(rows, examples, columns=columns) == fix


# --- a loss of the user's own that raised, for no cause in its inputs -----------------------------

needs_notes = pytest.mark.skipif(
    not hasattr(Exception(), "add_note"), reason="Python 3.11+ shows an exception's notes"
)


@needs_notes
def test_a_users_loss_taking_its_arguments_swapped_keeps_its_traceback_with_the_cause_noted() -> None:  # fmt: skip
    """F.cross_entropy(y, y_hat): torch's own words, "log_softmax... not implemented for 'Long'",
    say nothing of the labels; its error stays (its frames point into the user's lambda)."""
    import linearnets as ln

    torch.manual_seed(0)
    X, y, net = torch.randn(20, 5), torch.randint(0, 3, (20,)), nn.Linear(5, 3)

    def swapped(o: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(y, o, reduction="none")

    updater = torch.optim.SGD(net.parameters(), 0.1)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'") as info:
        ln.train_epoch(net, [(X, y)], swapped, updater)
    assert not isinstance(info.value, UsageError)
    assert any(f.name == "swapped" for f in info.traceback)  # the user's frame, kept
    assert info.value.__notes__ == [
        "linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) float32 "
        "(20, 3) and y (the labels) int64 (20,); it ran an op for floats on an int64 tensor: the "
        "labels y, as a loss taking its arguments swapped does (F.cross_entropy(y, y_hat)), or one "
        "made inside the loss (y_hat.argmax(1), F.one_hot(y)): check it takes (y_hat, y) in that "
        "order, e.g. F.cross_entropy(y_hat, y, reduction='none'), and turn an integer tensor it "
        "computes with into floats (.float())"
    ]


@needs_notes
def test_an_integer_tensor_made_inside_a_users_loss_is_not_told_as_a_swap_alone() -> None:
    """A one-hot taken through log_softmax, in the right order, raised the same words as a swap,
    and its note said the arguments were swapped: the swap is one cause, the other is named."""
    import linearnets as ln

    torch.manual_seed(0)
    X, y, net = torch.randn(20, 4), torch.randint(0, 3, (20,)), nn.Linear(4, 3)

    def smoothed(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return -(F.one_hot(t, 3).log_softmax(1) * o).sum(1)

    with pytest.raises(NotImplementedError, match="not implemented for 'Long'") as info:
        ln.train_epoch(net, [(X, y)], smoothed, torch.optim.SGD(net.parameters(), 0.1))
    (note,) = info.value.__notes__
    assert "or one made inside the loss (y_hat.argmax(1), F.one_hot(y))" in note
    assert "into floats (.float())" in note


def test_linearnets_own_error_inside_a_users_loss_gets_no_note() -> None:
    """ln.cross_entropy(o, t.float()) inside a loss of one's own: its readable error says y is
    float32 (the inner call's y), and a note said y was int64 (fit's): two y's, one name."""
    import linearnets as ln

    torch.manual_seed(0)
    X, y, net = torch.randn(20, 4), torch.randint(0, 3, (20,)), nn.Linear(4, 3)
    with pytest.raises(UsageError, match=r"^y must be an integer tensor of class indices") as info:
        ln.train_epoch(net, [(X, y)], lambda o, t: ln.cross_entropy(o, t.float()),
                       torch.optim.SGD(net.parameters(), 0.1))  # fmt: skip
    assert getattr(info.value, "__notes__", None) is None


@needs_notes
def test_any_other_error_of_a_users_loss_is_noted_with_its_inputs_once() -> None:
    def broken(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("a bug of its own")

    y_hat, y = torch.zeros(4, 3), torch.tensor([0, 1, 2, 0])
    err = RuntimeError("a bug of its own")
    for _ in range(2):  # raised through twice: noted once
        with pytest.raises(RuntimeError, match="a bug of its own") as info:
            raise_loss_error(broken, y_hat, y, err)
    assert info.value is err
    assert err.__notes__ == [
        "linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) float32 "
        "(4, 3) and y (the labels) int64 (4,); check it takes (y_hat, y) in that order, and works "
        "on these"
    ]


def test_torchs_own_loss_modules_get_no_note() -> None:
    loss = nn.CrossEntropyLoss(weight=torch.ones(5))
    y_hat, y = torch.zeros(4, 3), torch.tensor([0, 1, 2, 0])
    with pytest.raises(RuntimeError, match="weight tensor should be defined") as info:
        loss(y_hat, y)
    with pytest.raises(RuntimeError):
        raise_loss_error(loss, y_hat, y, info.value)
    assert getattr(info.value, "__notes__", None) is None


class _Interrupted(KeyboardInterrupt):
    pass


@needs_notes
@pytest.mark.parametrize("error", [TypeError("bad operand"), KeyError("x"), AttributeError("no")])
@pytest.mark.parametrize("call", ["train_epoch", "evaluate"])
def test_a_users_loss_raising_any_exception_keeps_its_traceback_with_the_inputs_noted(
    error: Exception, call: str
) -> None:
    """Only RuntimeError, IndexError and ValueError were noted: a TypeError or KeyError of the
    user's own code came out bare, where docs/python.md promises the note for any error."""
    import linearnets as ln

    torch.manual_seed(0)
    X, y, net = torch.randn(6, 4), torch.randint(0, 3, (6,)), nn.Linear(4, 3)

    def broken(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        raise error

    with pytest.raises(type(error)) as info:
        if call == "train_epoch":
            ln.train_epoch(net, [(X, y)], broken, torch.optim.SGD(net.parameters(), 0.1))
        else:
            ln.evaluate(net, [(X, y)], broken)
    assert info.value is error
    assert any(f.name == "broken" for f in info.traceback)  # the user's frame, kept
    assert error.__notes__ == [
        "linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) float32 "
        "(6, 3) and y (the labels) int64 (6,); check it takes (y_hat, y) in that order, and works "
        "on these"
    ]
    del error.__notes__  # the parametrized error is shared by the calls


def test_a_keyboard_interrupt_inside_a_users_loss_gets_no_note() -> None:
    import linearnets as ln

    X, y, net = torch.randn(6, 4), torch.randint(0, 3, (6,)), nn.Linear(4, 3)

    def stopped(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        raise _Interrupted

    with pytest.raises(_Interrupted) as info:
        ln.evaluate(net, [(X, y)], stopped)
    assert getattr(info.value, "__notes__", None) is None


_PARTIAL_CASES = {
    "weight of 3 for 4 classes": (
        {"weight": torch.ones(3)},
        RuntimeError,
        "weight=<float32 (3,) tensor>), which takes (y_hat, y) in torch's order and runs on these "
        "without weight: pass weight as a float tensor of one weight per class, 4 here",
    ),
    "float ignore_index": (
        {"ignore_index": 1.0},
        TypeError,
        "ignore_index=1.0), which takes (y_hat, y) in torch's order and runs on these without "
        "ignore_index: pass ignore_index as an int, the class label to skip",
    ),
    "weight beside reduction": (
        {"weight": torch.ones(3), "reduction": "none"},
        RuntimeError,
        "weight=<float32 (3,) tensor>, reduction='none'), which takes (y_hat, y) in torch's order "
        "and runs on these without weight: pass weight as a float tensor of one weight per class, "
        "4 here",
    ),
    # it was told "pass weight as a float tensor of one weight per class": what it was passed
    "float64 weight for float32 scores": (
        {"weight": torch.ones(4, dtype=torch.float64)},
        RuntimeError,
        "weight=<float64 (4,) tensor>), which takes (y_hat, y) in torch's order and runs on these "
        "without weight: pass weight as a tensor of the model output's dtype, float32 here (it "
        "is float64), of one weight per class, 4 here",
    ),
    # it was told "pass wieght as F.cross_entropy's documentation says", which has no wieght
    "misspelt weight": (
        {"wieght": torch.ones(4)},
        TypeError,
        "wieght=<float32 (4,) tensor>), which takes (y_hat, y) in torch's order and runs on these "
        "without wieght: wieght is no keyword of F.cross_entropy (did you mean weight?)",
    ),
    "misspelt weight beside a float ignore_index": (
        {"wieght": torch.ones(4), "ignore_index": 1.0},
        TypeError,
        "wieght=<float32 (4,) tensor>, ignore_index=1.0), which takes (y_hat, y) in torch's order "
        "and runs on these without wieght and ignore_index: pass ignore_index as an int, the "
        "class label to skip, and wieght is no keyword of F.cross_entropy (did you mean weight?)",
    ),
    # reduction='none' was blamed with the two faulty ones ("without reduction, wieght and
    # ignore_index: pass reduction as ..."): only the keywords that fail alone are
    "misspelt weight and a float ignore_index beside a good reduction": (
        {"reduction": "none", "wieght": torch.ones(4), "ignore_index": 1.0},
        TypeError,
        "reduction='none', wieght=<float32 (4,) tensor>, ignore_index=1.0), which takes (y_hat, "
        "y) in torch's order and runs on these without wieght and ignore_index: pass "
        "ignore_index as an int, the class label to skip, and wieght is no keyword of "
        "F.cross_entropy (did you mean weight?)",
    ),
    "two bad keywords beside a good reduction": (
        {"reduction": "sum", "weight": torch.ones(3), "ignore_index": 1.0},
        TypeError,
        "reduction='sum', weight=<float32 (3,) tensor>, ignore_index=1.0), which takes (y_hat, "
        "y) in torch's order and runs on these without weight and ignore_index: pass weight as "
        "a float tensor of one weight per class, 4 here and ignore_index as an int, the class "
        "label to skip",
    ),
}


@needs_notes
@pytest.mark.parametrize("case", list(_PARTIAL_CASES))
def test_a_partial_of_torchs_class_loss_failing_on_its_keywords_is_told_them_not_the_order(
    case: str,
) -> None:
    """partial(F.cross_entropy, weight=torch.ones(3)) on 4 classes was told "check it takes (y_hat,
    y) in that order", the one thing a partial of torch's function does right; a float
    ignore_index's TypeError got no note at all. The keyword torch runs without is named."""
    import functools

    import linearnets as ln

    keywords, error, said = _PARTIAL_CASES[case]
    torch.manual_seed(0)
    X, y, net = torch.randn(8, 5), torch.randint(0, 4, (8,)), nn.Linear(5, 4)
    loss = functools.partial(F.cross_entropy, **keywords)
    with pytest.raises(error) as info:
        ln.train_epoch(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), 0.1))
    assert info.value.__notes__ == [
        "linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) float32 "
        f"(8, 4) and y (the labels) int64 (8,); it is partial(F.cross_entropy, {said}"
    ]


@needs_notes
@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.int8])
def test_a_users_loss_wrapping_cross_entropy_given_narrow_int_labels_is_told_to_use_long(
    dtype: torch.dtype,
) -> None:
    """int32 (int16, int8) labels given to the user's own function around F.cross_entropy got the
    note "check it takes (y_hat, y) in that order, and works on these", though the order was
    right and torch said "expected target dtype to be Long or Byte, but got Int": the note says
    the labels must be int64, y.long(), as F.cross_entropy itself is told since 93512fa0."""
    from linearnets import train_epoch

    def loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(a, b)

    net = nn.Linear(5, 3)
    X, y = torch.randn(8, 5), torch.randint(0, 3, (8,), dtype=dtype)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long") as info:
        train_epoch(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1))
    name = str(dtype).removeprefix("torch.")
    assert info.value.__notes__ == [
        "linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) float32 "
        f"(8, 3) and y (the labels) {name} (8,); torch's class loss inside it refused the labels' "
        f"dtype, {name}: the labels y must be int64 class indices, use y.long() (on the labels, "
        "or in the loss: F.cross_entropy(y_hat, y.long()))"
    ]
    train_epoch(net, [(X, y.long())], loss, torch.optim.SGD(net.parameters(), lr=0.1))  # the fix


@needs_notes
def test_a_users_loss_wrapping_nll_loss_given_int32_labels_is_told_its_own_call_of_long() -> None:
    """int32 labels given to the user's own function around F.nll_loss were told "or in the loss:
    F.cross_entropy(y_hat, y.long())", a function the loss never called (and which takes logits,
    not the log-probabilities nll_loss takes): the note names the function whose refusal the
    traceback shows, or, where none shows, says y.long() on the labels alone."""
    from linearnets import train_epoch

    def loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(F.log_softmax(a, dim=1), b)

    def raw(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # torch's words, no F frame
        raise RuntimeError("expected target dtype to be Long or Byte, but got Int")

    net = nn.Linear(5, 3)
    X, y = torch.randn(8, 5), torch.randint(0, 3, (8,), dtype=torch.int32)
    said = (
        "linearnets: the loss failed on loss(y_hat, y) with y_hat (the model's output) float32 "
        "(8, 3) and y (the labels) int32 (8,); torch's class loss inside it refused the labels' "
        "dtype, int32: the labels y must be int64 class indices, use y.long() "
    )
    with pytest.raises(RuntimeError, match="expected target dtype to be Long") as info:
        train_epoch(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1))
    assert info.value.__notes__ == [
        f"{said}(on the labels, or in the loss: F.nll_loss(..., y.long()))"
    ]
    with pytest.raises(RuntimeError, match="expected target dtype to be Long") as info:
        train_epoch(net, [(X, y)], raw, torch.optim.SGD(net.parameters(), lr=0.1))
    assert info.value.__notes__ == [f"{said}on the labels"]
    train_epoch(net, [(X, y.long())], loss, torch.optim.SGD(net.parameters(), lr=0.1))  # the fix


def _book_rows(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """§3.6's softmax(X.reshape((-1, W.shape[0])) @ W + b) for a bias of zeros."""
    scores = torch.matmul(X.reshape((-1, W.shape[0])), W) + torch.zeros(W.shape[1])
    return torch.softmax(scores, dim=1)


def test_a_weight_matrix_of_too_few_rows_is_named_beside_the_image_size() -> None:
    """§3.6's W created (28, 10) for images of 784 values: the net's X.reshape((-1, W.shape[0]))
    made 28 rows of each image, and the diagnosis named the image size alone ("check the image
    size (resize) and channels"), not W, the real cause; its graph names W's shape."""
    W = torch.normal(0, 0.01, size=(28, 10), requires_grad=True)
    X, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    usage = explain_loss_error(nn.CrossEntropyLoss(reduction="none"), _book_rows(W, X), y)
    assert str(usage) == (
        "y must hold one label per row of the model's output: the output has shape (112, 10), y "
        f"has 4 rows; the model {_MADE.format(k=28)}; or the model's weight matrix of shape "
        "(28, 10) has 28 rows, the images' width, where each example holds 784 values: create it "
        "with shape (784, 10)"
    )


def test_rows_made_of_each_example_without_a_graph_name_the_image_size_alone() -> None:
    """The same output computed with no graph (W without requires_grad, or under no_grad): no
    weight is known, so the image size alone is named."""
    W = torch.normal(0, 0.01, size=(28, 10))
    X, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    usage = explain_loss_error(nn.CrossEntropyLoss(reduction="none"), _book_rows(W, X), y)
    assert str(usage).endswith(f"y has 4 rows; the model {_MADE.format(k=28)}")
