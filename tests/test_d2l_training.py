"""linearnets._d2l_training (``d2l.train_epoch_ch3``, ``d2l.train_ch3``) against the book's definitions.

The book's ``train_epoch_ch3`` returns ``(metric[0] / metric[2], metric[1] / metric[2])``: the summed
loss and the number of correct predictions, each over the number of examples; its ``train_ch3`` draws
(train loss, train acc, test acc) per epoch, the test accuracy by ``evaluate_accuracy`` (D2L §3.6.6).
The comparisons with the book's whole loop are in tests/test_d2l.py.
"""

from __future__ import annotations

import collections
import math
import re
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from book.chapter3 import SOFTMAX_SCRATCH_FUNCTIONS
from matplotlib.figure import Figure
from torch import nn

import linearnets
import linearnets.plotting
from linearnets import d2l
from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.models.scratch import SGD

Batches = list[tuple[torch.Tensor, torch.Tensor]]


def _batches(seed: int = 0) -> Batches:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(70, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (70,), generator=g)
    return [(X[i : i + 16], y[i : i + 16]) for i in range(0, 70, 16)]  # 16, 16, 16, 16, 6 rows


def _net(seed: int = 3) -> nn.Sequential:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    nn.init.normal_(net[1].weight, std=0.5)
    return net


def _book_metrics(net: nn.Module, batches: Batches) -> tuple[float, float]:
    """(summed cross-entropy / n, correct / n) of a fixed model: the book's metric[0]/metric[2], metric[1]/metric[2]."""
    with torch.no_grad():
        X = torch.cat([X for X, _ in batches])
        y = torch.cat([y for _, y in batches])
        logits = net(X)
        loss = F.cross_entropy(logits.double(), y, reduction="sum").item() / len(y)
        correct = sum(int(row.argmax()) == int(label) for row, label in zip(logits, y, strict=True))
    return loss, correct / len(y)


def test_the_books_updater_is_called_with_each_batch_size_and_a_builtin_without_signature_passes() -> (
    None
):
    """``deque.append`` has no inspectable signature: it is let through, and its call records what the
    book's loop passes, ``updater(X.shape[0])`` once per batch (the short last batch too)."""
    net = _net()
    sizes: collections.deque[int] = collections.deque()
    loss, acc = d2l.train_epoch_ch3(
        net, _batches(), nn.CrossEntropyLoss(reduction="none"), sizes.append
    )
    assert list(sizes) == [16, 16, 16, 16, 6]
    # nothing updated the model: the epoch's numbers are those of the fixed model, by the book's formula
    expected_loss, expected_acc = _book_metrics(net, _batches())
    assert loss == pytest.approx(expected_loss, rel=1e-6)
    assert acc == pytest.approx(expected_acc, abs=1e-12)


def test_an_updater_function_object_with_a_step_attribute_is_called_not_stepped() -> None:
    """An optimizer has both ``zero_grad`` and ``step``; a callable that merely counts its steps in
    ``.step`` is the book's ``updater(batch_size)`` and trains as the book's ``d2l.sgd`` does."""

    class CountingUpdater:
        def __init__(self, params: list[torch.Tensor], lr: float) -> None:
            self.params, self.lr, self.step = params, lr, 0

        def __call__(self, batch_size: int) -> None:
            d2l.sgd(self.params, self.lr, batch_size)
            self.step += 1

    ours, theirs = _net(), _net()
    updater = CountingUpdater(list(ours.parameters()), 0.5)
    loss = nn.CrossEntropyLoss(reduction="none")
    d2l.train_epoch_ch3(ours, _batches(), loss, updater)
    assert updater.step == 5
    # the book's loop by hand: backward of the summed loss, then params -= lr * grad / batch_size
    for X, y in _batches():
        loss(theirs(X), y).sum().backward()
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.5 * p.grad / X.shape[0]
                p.grad.zero_()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.allclose(
            a, b, rtol=1e-6, atol=1e-7
        )  # (assert_close's first call imports ~2 s)


@pytest.mark.parametrize("updater", [0.1, "sgd", None], ids=["a-float", "a-string", "None"])
def test_an_updater_that_is_neither_an_optimizer_nor_callable_is_refused(updater: object) -> None:
    net = _net()
    with pytest.raises(
        UsageTypeError,
        match=r"updater must be an optimizer \(e\.g\. torch\.optim\.SGD\) or a function "
        rf"updater\(batch_size\), got {type(updater).__name__}; pass e\.g\. "
        r"torch\.optim\.SGD\(net\.parameters\(\), lr=0\.1\)",
    ):
        d2l.train_epoch_ch3(net, _batches(), nn.CrossEntropyLoss(reduction="none"), updater)
    assert all(p.grad is None for p in net.parameters())  # refused before the first batch


def test_a_one_output_model_for_class_labels_is_told_to_give_one_output_per_class() -> None:
    """torch's own word is a bare IndexError ("Target 1 is out of bounds."); the first batch's
    labels all 0 pass its loss (the oracle), and are no regression's either: the loss is a
    classifier's."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    batches = _batches()
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(IndexError):
        loss(net(batches[0][0]), batches[0][1])
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageError,
        match=r"^y must hold class indices in \[0, 1\) for the model's 1 output, got 2; give the "
        r"model one output per class, e\.g\. nn\.Linear\(d, 3\) for classes 0\.\.2$",
    ):
        d2l.train_epoch_ch3(net, batches, loss, updater)
    zeros = [(X, torch.zeros_like(y)) for X, y in batches]
    assert not loss(net(zeros[0][0]), zeros[0][1]).any()
    with pytest.raises(
        UsageError, match=r"^a classifier's output must be scores of shape \(B, C\)"
    ):
        d2l.train_epoch_ch3(net, zeros, loss, updater)


def test_a_regression_epoch_reports_the_books_loss_and_no_accuracy() -> None:
    """Linear regression through ``train_epoch_ch3`` (the book's ``linreg``/``squared_loss``/``sgd``):
    the loss is the book's sum over examples / n, each batch's taken before its update; accuracy has no
    meaning for real-valued targets, so it is NaN rather than a count of exact float matches."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(40, 2, generator=g)
    y = (X @ torch.tensor([2.0, -3.4]) + 4.2).reshape(-1, 1)
    batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 40, 10)]
    w = torch.zeros(2, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    loss, acc = d2l.train_epoch_ch3(
        lambda X: d2l.linreg(X, w, b), batches, d2l.squared_loss,
        lambda batch_size: d2l.sgd([w, b], 0.1, batch_size),
    )  # fmt: skip
    # the same epoch by hand: squared loss (y_hat - y)^2 / 2, then w -= lr * grad / B
    w_ref, b_ref, total = torch.zeros(2, 1), torch.zeros(1), 0.0
    for Xb, yb in batches:
        err = Xb @ w_ref + b_ref - yb  # (B, 1)
        total += float((err**2 / 2).sum())
        w_ref = w_ref - 0.1 * (Xb.T @ err) / len(Xb)
        b_ref = b_ref - 0.1 * err.sum(0) / len(Xb)
    assert loss == pytest.approx(total / 40, rel=1e-5)
    assert math.isnan(acc)
    assert torch.allclose(w.detach(), w_ref, rtol=1e-5, atol=1e-6)
    assert torch.allclose(b.detach(), b_ref, rtol=1e-5, atol=1e-6)


def test_a_loss_of_one_value_per_class_trains_and_reports_as_the_books_loop() -> None:
    """A squared loss on one-hot targets, (B, C) per batch, with an optimizer: the book's loop steps
    on ``l.mean()``, the mean over all B · C values, and reports ``float(l.sum())`` over the examples."""
    batches = _batches()

    def loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (y_hat - F.one_hot(y, 3).float()) ** 2 / 2  # (B, 3)

    net, oracle = _net(), _net()
    train_loss, _ = d2l.train_epoch_ch3(
        net, batches, loss, torch.optim.SGD(net.parameters(), lr=0.5)
    )
    updater, total = torch.optim.SGD(oracle.parameters(), lr=0.5), 0.0
    for X, y in batches:  # the book's train_epoch_ch3, optimizer branch
        l = loss(oracle(X), y)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
        total += float(l.detach().sum())
    for p, q in zip(net.parameters(), oracle.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-7)
    assert train_loss == pytest.approx(total / 70, rel=1e-6)


# --- a loss reduced to one number (0-d): what its loss says it is decides how it counts --------------


def _english_pre_1_0_epoch(
    net: nn.Module, batches: Batches, loss: nn.Module, updater: torch.optim.Optimizer
) -> tuple[float, float]:
    """The English releases' train_epoch_ch3 before 1.0 (d2l-en 0.16, d2l/torch.py), optimizer branch,
    verbatim but for its Accumulator and a detach (torch warns on ``float`` of a graph's tensor):
    ``l.backward()`` on the 0-d loss, ``float(l) * len(y)``."""
    net.train()
    metric = [0.0, 0.0, 0.0]
    for X, y in batches:
        y_hat = net(X)
        l = loss(y_hat, y)
        updater.zero_grad()
        l.backward()
        updater.step()
        correct = float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())
        metric = [
            metric[0] + float(l.detach()) * len(y),
            metric[1] + correct,
            metric[2] + y.numel(),
        ]
    return metric[0] / metric[2], metric[1] / metric[2]


def test_a_mean_reduced_loss_reports_the_mean_per_example_as_the_english_edition_does() -> None:
    """D2L-en before 1.0, §3.7: ``loss = nn.CrossEntropyLoss()`` (0-d mean) with torch.optim.SGD.
    Its loop reports the mean per example, not mean / B, and takes the same steps as ours."""
    ours, theirs = _net(), _net()
    got = d2l.train_epoch_ch3(
        ours, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(ours.parameters(), lr=0.5)
    )
    expected = _english_pre_1_0_epoch(
        theirs, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(theirs.parameters(), lr=0.5)
    )
    assert got == pytest.approx(expected, rel=1e-6)
    assert got[0] > 0.2  # a cross-entropy per example; mean / B would be ~16x smaller
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_a_summed_torch_loss_reports_its_sum_over_the_examples() -> None:
    """``reduction="sum"``: the step is the sum's gradient (the English loop's ``l.backward()``), the
    loss reported the sum over the examples / n, the mean per example (the English loop's
    ``float(l) * len(y)`` would give B times it)."""
    batches = _batches()
    ours, theirs = _net(), _net()
    got_loss, _ = d2l.train_epoch_ch3(
        ours, batches, nn.CrossEntropyLoss(reduction="sum"), torch.optim.SGD(ours.parameters(), lr=0.05)
    )  # fmt: skip
    updater, total = torch.optim.SGD(theirs.parameters(), lr=0.05), 0.0
    for X, y in batches:
        logits = theirs(X)
        l = F.cross_entropy(logits, y, reduction="sum")
        total += float(F.cross_entropy(logits.detach().double(), y, reduction="none").sum())
        updater.zero_grad()
        l.backward()
        updater.step()
    assert got_loss == pytest.approx(total / 70, rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_a_mean_reduced_loss_with_the_books_function_updater_reports_the_mean_per_example() -> None:
    """The function path takes the book's step (``l.sum().backward()``, then the updater divides by
    B) and counts the 0-d mean once per example, as the optimizer path does."""
    batches = _batches()
    ours, theirs = _net(), _net()
    params = list(ours.parameters())
    with pytest.warns(UserWarning, match="already averaged"):  # each step lr/B of the book's
        got_loss, _ = d2l.train_epoch_ch3(
            ours, batches, nn.CrossEntropyLoss(), lambda b: d2l.sgd(params, 0.5, b)
        )
    total = 0.0
    for X, y in batches:
        l = F.cross_entropy(theirs(X), y)  # the batch mean, 0-d
        total += float(l.detach()) * len(y)
        theirs.zero_grad()
        l.sum().backward()
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.5 * p.grad / len(y)  # the book's sgd: param -= lr * param.grad / batch_size
    assert got_loss == pytest.approx(total / 70, rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_a_class_weighted_mean_with_the_books_function_updater_reports_as_the_optimizer_path() -> (
    None
):
    """nn.CrossEntropyLoss(weight=w) with the book's updater(batch_size) reports the weighted mean
    over all the epoch's examples, Σ w[y]·l / Σ w[y], as the optimizer path does (it counted each
    batch's mean once per example). The oracle: torch's loss over all 70 examples at once, each
    batch scored by the model before its step; an lr of 0 keeps the model fixed."""
    loss = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0, 0.5]))
    batches, net = _batches(), _net()
    params = list(net.parameters())
    with pytest.warns(
        UserWarning, match=r"^the loss is already averaged over the batch"
    ):  # a mean with the book's updater(batch_size): told, and trained as asked
        got_loss, _ = d2l.train_epoch_ch3(net, batches, loss, lambda b: d2l.sgd(params, 1e-30, b))
    X, y = torch.cat([X for X, _ in batches]), torch.cat([y for _, y in batches])
    with torch.no_grad():
        expected = F.cross_entropy(net(X).double(), y, weight=loss.weight.double()).item()
    assert got_loss == pytest.approx(expected, rel=1e-6)


def test_an_ignored_label_in_a_later_batch_of_a_class_weighted_loss_is_named() -> None:
    """nn.CrossEntropyLoss(weight=w) skips the label -100 without a word; in a batch after the
    first (past the first step's checks) it failed the loop's count of the weights in torch's
    words, IndexError "index -100 is out of bounds"; both paths now name the ignore_index."""
    loss = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0, 0.5]))
    for make_updater, mean_told in (
        (lambda net: torch.optim.SGD(net.parameters(), lr=0.1), nullcontext()),
        (
            lambda net: lambda b: d2l.sgd(list(net.parameters()), 0.1, b),
            pytest.warns(UserWarning, match=r"^the loss is already averaged over the batch"),
        ),
    ):
        batches, net = _batches(), _net()
        batches[1][1][3] = -100
        with mean_told, pytest.raises(UsageError, match=r"^train_iter's batch 2, row 3 of that batch \(counted from 0\) \(this train_epoch took 2 updates, this batch's the last, kept by the model\): y must hold class indices in \[0, 3\), got -100, the loss's ignore_index"):  # fmt: skip
            d2l.train_epoch_ch3(net, batches, loss, make_updater(net))


def test_a_plain_functions_0d_loss_counts_once_as_the_books_float_l_sum() -> None:
    """A function cannot say whether its 0-d value is a mean or a sum: counted once, as the book's
    ``float(l.sum())`` counts it (a batch mean then reports mean / B, as the book's loop does)."""
    batches = _batches()
    net, oracle = _net(), _net()
    got_loss, _ = d2l.train_epoch_ch3(
        net, batches, lambda y_hat, y: F.cross_entropy(y_hat, y), torch.optim.SGD(net.parameters(), lr=0.5)
    )  # fmt: skip
    updater, total = torch.optim.SGD(oracle.parameters(), lr=0.5), 0.0
    for X, y in batches:
        l = F.cross_entropy(oracle(X), y)
        updater.zero_grad()
        l.mean().backward()  # the 2nd edition's (d2l 0.17) optimizer branch, as printed
        updater.step()
        total += float(l.detach().sum())
    assert got_loss == pytest.approx(total / 70, rel=1e-6)


def test_a_function_updater_gets_the_batch_checks_a_bad_batch_shape_is_explained() -> None:
    net = _net()
    batches = [(X, y, y) for X, y in _batches()]
    with pytest.raises(
        UsageError, match=r"each batch must be a pair \(X, y\), got tuple of length 3"
    ):
        d2l.train_epoch_ch3(net, batches, nn.CrossEntropyLoss(reduction="none"),  # type: ignore[arg-type]
                            lambda batch_size: None)  # fmt: skip


def test_a_function_updater_names_integer_targets_when_backward_itself_refuses_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch 2.11 (seen on a CUDA machine) fails MSELoss's backward on int64 targets, where 2.13 runs it."""

    def backward_as_torch_2_11(self: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Found dtype Long but expected Float")

    net = nn.Linear(2, 1)
    monkeypatch.setattr(torch.Tensor, "backward", backward_as_torch_2_11)
    X, y = torch.randn(8, 2), torch.randint(0, 5, (8, 1))
    with pytest.raises(
        UsageTypeError, match=r"^y must be float targets for a regression .*y\.float\(\)"
    ):
        d2l.train_epoch_ch3(net, [(X, y)], nn.MSELoss(reduction="none"), lambda bs: None)


def test_a_function_updater_refuses_integer_regression_targets_before_its_update() -> None:
    """The book's §3.2 model and sgd with y of ints: refused, as fit refuses them, and w unmoved
    (a retry after y.float() starts from the model as it was)."""
    w = torch.normal(
        0, 0.01, size=(2, 1), requires_grad=True, generator=torch.Generator().manual_seed(0)
    )
    b = torch.zeros(1, requires_grad=True)
    before = w.detach().clone()
    X, y = torch.randn(8, 2), torch.randint(0, 5, (8, 1))
    with pytest.raises(
        UsageTypeError, match=r"^y must be float targets for a regression .*y\.float\(\)"
    ):
        d2l.train_epoch_ch3(
            lambda X: d2l.linreg(X, w, b),
            [(X, y)],
            d2l.squared_loss,
            lambda bs: d2l.sgd([w, b], 0.1, bs),
        )
    assert torch.equal(w.detach(), before) and torch.equal(b.detach(), torch.zeros(1))


def test_a_function_updater_with_a_regression_loss_on_a_classifier_names_the_mistake() -> None:
    net = _net()
    params = list(net.parameters())
    with pytest.raises(
        UsageError,
        match=r"loss MSELoss is a regression loss, which compares the outputs \(16, 3\) with "
        r"targets of that shape, but y holds class labels",
    ):
        d2l.train_epoch_ch3(net, _batches(), nn.MSELoss(),
                            lambda batch_size: d2l.sgd(params, 0.1, batch_size))  # fmt: skip


# the book's §3.6 model as printed, in a namespace of its own (a script's globals), W[:, 0] = 100:
# scores ~800 on images in [0, 1], whose exp is inf in float32, and inf / inf NaN
BOOK_OVERFLOWING_SOFTMAX = (
    """
W = torch.zeros((16, 3), requires_grad=True)
b = torch.zeros(3, requires_grad=True)
with torch.no_grad():
    W[:, 0] = 100.0
"""
    + SOFTMAX_SCRATCH_FUNCTIONS
)


def _book_overflowing_softmax() -> dict[str, Any]:
    names: dict[str, Any] = {"torch": torch}
    exec(BOOK_OVERFLOWING_SOFTMAX, names)
    return names


def test_train_epoch_ch3_names_an_overflow_of_finite_weights_left_finite() -> None:
    """An updater that leaves W alone (finite, as the images are): the NaN is the softmax's own."""
    book = _book_overflowing_softmax()
    with pytest.raises(DivergenceError, match=r"though its parameters and its inputs are finite: its own computation overflowed"):  # fmt: skip
        d2l.train_epoch_ch3(book["net"], _batches(), book["cross_entropy"], lambda batch_size: None)
    assert bool(torch.isfinite(book["W"]).all())


def test_train_epoch_ch3_names_the_overflow_before_the_books_sgd_writes_nan_into_the_weights() -> (
    None
):
    """With d2l.sgd the first step's NaN gradient would be applied, and the error then said only
    that the weights hold NaN (with the lr as the cause): the first step's scores are checked before
    its update, so the overflow is named and the weights stay finite."""
    book = _book_overflowing_softmax()
    updater = lambda batch_size: d2l.sgd([book["W"], book["b"]], 0.1, batch_size)  # noqa: E731
    with pytest.raises(DivergenceError, match=r"its own computation overflowed"):
        d2l.train_epoch_ch3(book["net"], _batches(), book["cross_entropy"], updater)
    assert bool(torch.isfinite(book["W"]).all())


class _SecondEditionScratch(nn.Module):
    """D2L 2nd edition §4.4's SoftmaxRegressionScratch: plain W and b, its own parameters()."""

    def __init__(self, num_inputs: int, num_outputs: int) -> None:
        super().__init__()
        self.W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
        self.b = torch.zeros(num_outputs, requires_grad=True)

    def parameters(self) -> list[torch.Tensor]:  # type: ignore[override]
        return [self.W, self.b]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X.reshape((-1, self.W.shape[0])) @ self.W + self.b


def test_the_books_loops_name_a_nan_weight_of_a_model_with_its_own_parameters() -> None:
    """Its W and b are not torch's registered parameters, but its parameters() returns them: a
    NaN b is named outright by train_epoch_ch3 and evaluate_accuracy, as an nn.Linear's bias is
    (it was "its weights or its inputs hold NaN")."""
    torch.manual_seed(0)
    net = _SecondEditionScratch(16, 3)
    with torch.no_grad():
        net.b[2] = math.nan
    named = (
        r"^the model's scores hold NaN, so no accuracy can be computed: its weights hold NaN or "
        r"inf \(b\): weights blow up when the lr is too large \(train again with a smaller one\), "
        r"or after a step on features that hold NaN or inf \(check each batch with "
        r"torch\.isfinite\(X\)\.all\(\)\)$"
    )
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(DivergenceError, match=named):
        d2l.train_epoch_ch3(net, _batches(), loss, torch.optim.SGD(net.parameters(), lr=0.1))
    with pytest.raises(DivergenceError, match=named):
        d2l.evaluate_accuracy(net, _batches())


@pytest.mark.parametrize("updater", ["book's sgd", "torch.optim.SGD"])
def test_train_ch3_names_the_batch_and_example_of_a_nan_pixel_after_the_first(
    updater: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NaN pixel in example 2 of batch 3 (of 16): the first batch's check cannot see it, the
    epoch's totals do, on both loops (the book's function updater, and an optimizer's), and name
    the epoch train_ch3 was in."""
    monkeypatch.chdir(tmp_path)  # train_ch3 saves its figure in the working directory
    batches = _batches()
    batches[2][0][2, 0, 1, 1] = float("nan")
    net = _net()
    update: Any = torch.optim.SGD(net.parameters(), lr=0.1)
    if updater == "book's sgd":
        params = list(net.parameters())
        update = lambda batch_size: d2l.sgd(params, 0.1, batch_size)  # noqa: E731
    with pytest.raises(DivergenceError) as info:
        d2l.train_ch3(net, batches, _batches(1), nn.CrossEntropyLoss(reduction="none"), 1, update)
    assert re.match(
        r"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch 3 "
        r"of train_iter in epoch 1, on 1 of its 16 examples \(position 2 in the batch, counting "
        r"from 0: example 34 in the order train_iter yielded them\), while the other 15 examples' "
        r"scores are finite \(none above [\d.]+ in absolute value\), so the weights were still "
        r"finite: that example's features X hold NaN or inf, or the model's computation "
        r"overflowed on them .*then train again from fresh weights \(they hold NaN or inf now\)$",
        str(info.value),
    ), str(info.value)


def test_train_epoch_ch3_names_labels_given_as_a_column_to_the_books_cross_entropy() -> None:
    """The book's §3.6 model, loss and sgd on labels of shape (B, 1): its cross_entropy broadcasts
    them into (B, B) losses. The error names y's shape and y.reshape(-1), before any update."""
    names: dict[str, Any] = {"torch": torch}
    exec(
        "W = torch.normal(0, 0.01, size=(16, 3), requires_grad=True)\n"
        "b = torch.zeros(3, requires_grad=True)\n" + SOFTMAX_SCRATCH_FUNCTIONS,
        names,
    )
    before = names["W"].detach().clone()
    batches = [(X, y.reshape(-1, 1)) for X, y in _batches()]
    updater = lambda batch_size: d2l.sgd([names["W"], names["b"]], 0.1, batch_size)  # noqa: E731
    with pytest.raises(UsageError) as info:
        d2l.train_epoch_ch3(names["net"], batches, names["cross_entropy"], updater)
    assert str(info.value) == (
        "y must be 1-dimensional (B,) for the loss cross_entropy, got a tensor of shape (16, 1) "
        "and dtype torch.int64, which it broadcast into losses of shape (16, 16) for a batch of 16 "
        "examples; use y.reshape(-1), with which it returns shape (16,)"
    )
    assert torch.equal(names["W"], before)
    fixed = [(X, y.reshape(-1)) for X, y in batches]  # the fix the error names trains
    loss, acc = d2l.train_epoch_ch3(names["net"], fixed, names["cross_entropy"], updater)
    assert math.isfinite(loss) and 0.0 <= acc <= 1.0


class _Recorder:
    """Stands in for the Animator: keeps its settings and the points added."""

    made: list[dict[str, object]]
    points: list[tuple[int, tuple[float, ...]]]

    def __init__(self, **kwargs: object) -> None:
        type(self).made.append(kwargs)
        self.fig = Figure()  # the book's Animator's, which train_ch3 labels

    def add(self, x: int, y: tuple[float, ...]) -> None:
        type(self).points.append((x, y))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[_Recorder]:
    monkeypatch.setattr(_Recorder, "made", [], raising=False)
    monkeypatch.setattr(_Recorder, "points", [], raising=False)
    monkeypatch.setattr(linearnets.plotting, "Animator", _Recorder)
    monkeypatch.chdir(tmp_path)
    return _Recorder


def test_train_ch3_draws_and_prints_train_loss_train_acc_and_test_acc_of_each_epoch(
    recorder: type[_Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    """Per epoch: the book's loop by hand for (train loss, train acc), then the test accuracy of the
    model so far (correct / n on the *test* batches), drawn and printed with the epoch's seconds."""
    ours, theirs = _net(), _net()
    # linearnets' SGD (zero_grad/step, p -= lr * grad): the optimizer path, without torch.optim's
    # first-use import (~3 s); the book's steps are written out below
    d2l.train_ch3(ours, _batches(), _batches(1), nn.CrossEntropyLoss(reduction="none"), 2,
                  SGD(ours.parameters(), lr=0.5))  # fmt: skip
    expected: list[tuple[float, float, float]] = []
    for _ in range(2):
        total = correct = 0.0
        for X, y in _batches():
            y_hat = theirs(X)
            l = F.cross_entropy(y_hat, y, reduction="none")
            theirs.zero_grad()
            l.mean().backward()
            with torch.no_grad():
                for p in theirs.parameters():
                    p -= 0.5 * p.grad
            total += float(l.detach().sum())
            correct += float((y_hat.argmax(dim=1) == y).sum())
        test_acc = _book_metrics(theirs, _batches(1))[1]
        expected.append((total / 70, correct / 70, test_acc))
    assert [x for x, _ in recorder.points] == [1, 2]
    got = [v for _, point in recorder.points for v in point]
    assert got == pytest.approx([v for row in expected for v in row], rel=1e-5)
    assert expected[0][2] != expected[0][1]  # the test accuracy is not the train one here
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for epoch, (line, (loss, acc, test_acc)) in enumerate(zip(lines, expected, strict=True), 1):
        numbers = re.fullmatch(
            rf"epoch {epoch}, loss (\d+\.\d{{4}}), train acc (\d\.\d{{3}}), "
            r"test acc (\d\.\d{3}), (\d+\.\d\d) s",
            line,
        )
        assert numbers is not None, line
        printed = [float(v) for v in numbers.groups()]
        assert printed[:3] == pytest.approx([loss, acc, test_acc], abs=6e-4)
        assert 0 <= printed[3] < 60  # the epoch's wall time, from its own start


def test_train_ch3_refuses_a_bad_updater_before_drawing(recorder: type[_Recorder]) -> None:
    net = _net()
    with pytest.raises(UsageTypeError, match=r"which cannot take one argument"):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), 2, lambda: None)
    assert recorder.made == [] and recorder.points == []  # no empty figure left behind


@pytest.mark.parametrize("which", ["train_iter", "test_iter"])
def test_train_ch3_refuses_a_generator_for_several_epochs_before_training(
    recorder: type[_Recorder], which: str
) -> None:
    """The book calls data_iter(...) anew each epoch; a generator passed once would be empty in
    epoch 2, after the first epoch's training and drawing."""
    net = _net()
    before = [p.detach().clone() for p in net.parameters()]
    iters = {"train_iter": _batches(), "test_iter": _batches(1)}
    iters[which] = (batch for batch in iters[which])
    with pytest.raises(
        UsageTypeError, match=rf"{which} must give its batches again in every epoch"
    ):
        d2l.train_ch3(net, iters["train_iter"], iters["test_iter"], nn.CrossEntropyLoss(), 2,
                      torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip
    assert recorder.made == [] and recorder.points == []
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_the_books_functions_advise_d2l_load_array_for_the_whole_data_as_a_pair() -> None:
    """`from linearnets import d2l` defines no `ln`: the fix is written in the book's names."""
    X = torch.rand(20, 1, 4, 4)
    y = torch.randint(0, 3, (20,))
    fix = r"pass d2l\.load_array\(\(X, y\), batch_size, is_train=False\)"
    with pytest.raises(UsageTypeError, match=rf"data_iter must be an iterable .*{fix}"):
        d2l.evaluate_accuracy(_net(), (X, y))
    with pytest.raises(UsageTypeError, match=rf"test_iter must be an iterable .*{fix}"):
        d2l.train_ch3(_net(), _batches(), (X, y), nn.CrossEntropyLoss(), 1, lambda b: None)
    with pytest.raises(UsageTypeError, match=r"pass d2l\.load_array\(\(X, y\), batch_size\)"):
        d2l.train_epoch_ch3(_net(), (X, y), nn.CrossEntropyLoss(), lambda b: None)


@pytest.mark.parametrize("epochs", [1, 3.0])
def test_train_ch3_names_num_epochs_and_updater_swapped(epochs: float) -> None:
    net = _net()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageTypeError,
        match=r"num_epochs and updater look swapped: got num_epochs=SGD and updater="
        + rf"{epochs}.*train_ch3\(net, train_iter, test_iter, loss, num_epochs, updater\)",
    ):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), trainer, epochs)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_train_ch3_tells_a_rate_after_an_optimizer_as_a_learning_rate_not_a_swap(
    rate: float,
) -> None:
    """train_ch3(net, tr, te, loss, trainer, 0.1) was told num_epochs and updater look swapped,
    but swapped back, num_epochs=0.1 is refused: the 0.1 is a rate, which goes into the optimizer."""
    net = _net()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageTypeError,
        match=rf"^updater must be an optimizer .*updater={rate}, which looks like a learning rate"
        rf".*torch\.optim\.SGD\(net\.parameters\(\), lr={rate}\).*"
        r"train_ch3\(net, train_iter, test_iter, loss, num_epochs, updater\)",
    ):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), trainer, rate)  # type: ignore[arg-type]


def test_train_ch3_tells_a_0d_tensor_rate_after_an_optimizer_as_a_learning_rate() -> None:
    """torch.tensor(0.1) was refused as num_epochs: 'num_epochs must be a positive integer, got
    SGD (...)', the swap untold."""
    net = _net()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageTypeError,
        match=r"^updater must be an optimizer .*updater=tensor\(0\.1000\), which looks like a "
        r"learning rate.*torch\.optim\.SGD\(net\.parameters\(\), lr=0\.1\);",
    ):
        d2l.train_ch3(
            net, _batches(), _batches(1), nn.CrossEntropyLoss(), trainer, torch.tensor(0.1)
        )  # type: ignore[arg-type]


def test_train_ch3_tells_numpy_scalars_as_python_numbers() -> None:
    """np.float32(0.1) and np.int64(3) as updater (num_epochs takes np.int64) were refused as
    'num_epochs must be a positive integer, got SGD (...)', the rate or the swap untold."""
    import numpy as np

    net = _net()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(UsageTypeError, match=r"learning rate.*lr=0\.1\);"):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), trainer, np.float32(0.1))  # type: ignore[arg-type]
    with pytest.raises(UsageTypeError, match=r"^num_epochs and updater look swapped"):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), trainer, np.int64(3))  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [-0.1, 0.0, float("nan")])
def test_train_ch3_advises_no_learning_rate_that_is_not_positive(rate: float) -> None:
    """train_ch3(net, tr, te, loss, trainer, -0.1) advised torch.optim.SGD(..., lr=-0.1)."""
    net = _net()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageTypeError, match=r"which is no number of epochs; the two look swapped"
    ) as info:
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), trainer, rate)  # type: ignore[arg-type]
    assert "lr=" not in str(info.value) and "learning rate" not in str(info.value)


class _OwnRefusal(nn.Module):
    """A model raising a UsageError of the user's own, naming ln.load_array."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        raise UsageError("my pipeline: build it with ln.load_array((X, y), 32, generator=g) first")


def test_a_usage_error_of_the_callers_own_is_raised_in_their_words() -> None:
    """The book's functions rewrote 'ln.load_array(' in any UsageError inside the epoch: the
    caller's own message was changed to name d2l.load_array."""
    net = _OwnRefusal()
    with pytest.raises(UsageError, match=r"ln\.load_array\(\(X, y\), 32, generator=g\) first$"):
        d2l.train_epoch_ch3(
            net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1)
        )


@pytest.mark.parametrize("updater", ["optimizer", "function"])
def test_an_empty_batch_is_told_d2l_load_array_in_the_books_functions(updater: str) -> None:
    """train_epoch_ch3, train_ch3 and evaluate_accuracy advised ln.load_array for an empty batch
    (their loops are linearnets'): a 'from linearnets import d2l' session has no ln."""
    net = _net()
    batches = _batches()
    empty = [batches[0], (batches[1][0][:0], batches[1][1][:0])]
    step: Any = (
        torch.optim.SGD(net.parameters(), lr=0.1)
        if updater == "optimizer"
        else lambda batch_size: d2l.sgd(list(net.parameters()), 0.1, batch_size)
    )
    fix = r"or pass d2l\.load_array\(\(X, y\), b\), which yields none"
    with pytest.raises(UsageError, match=rf"^train_iter's batch 2 is empty .*{fix}"):
        d2l.train_epoch_ch3(net, empty, nn.CrossEntropyLoss(reduction="none"), step)
    with pytest.raises(UsageError, match=rf"^data_iter's batch 2 is empty .*{fix}"):
        d2l.evaluate_accuracy(net, empty)


def test_train_epoch_ch3_refuses_an_optimizer_class() -> None:
    with pytest.raises(
        UsageTypeError, match=r"updater must be an optimizer object, got the class SGD"
    ):
        d2l.train_epoch_ch3(_net(), _batches(), nn.CrossEntropyLoss(), torch.optim.SGD)


def test_train_ch3_trains_the_number_of_epochs_asked(recorder: type[_Recorder]) -> None:
    seen: list[int] = []

    d2l.train_ch3(
        _net(), _batches(), _batches(1), nn.CrossEntropyLoss(reduction="none"), 3, seen.append
    )
    assert seen == [16, 16, 16, 16, 6] * 3
    assert [x for x, _ in recorder.points] == [1, 2, 3]
    assert recorder.made[0]["xlim"] == [1, 3]


def _train_ch3_twice() -> tuple[nn.Sequential, torch.Tensor]:
    """The book's §3.7 call for 2 epochs; returns the net and its weight before training."""
    net = _net()
    before = net[1].weight.detach().clone()
    d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(reduction="none"), 2,
                  torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip
    return net, before


def test_train_ch3_goes_on_with_one_warning_when_its_figure_file_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The working folder's disk full (OSError ENOSPC from the save, each epoch): the file is the
    convenience the book's train_ch3 lacks, so it costs the file, not the run."""
    import errno

    import linearnets.plotting._live_output
    import linearnets.plotting.live

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    # each epoch's files (the live output) and the final ones (the curves' close)
    monkeypatch.setattr(linearnets.plotting._live_output, "save_figure", full)
    monkeypatch.setattr(linearnets.plotting.live, "save_figure", full)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning) as record:
        net, before = _train_ch3_twice()
    assert [str(w.message) for w in record] == [
        "train_ch3.png could not be written (No space left on device); the book's code goes on "
        "without it (free some space, for the file)"
    ]  # once, not once per epoch
    assert record[0].filename == __file__  # pointed at the caller of train_ch3
    assert not torch.equal(net[1].weight, before)  # it trained
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch 1", "epoch 2"]


def test_train_ch3_skips_a_figure_file_whose_name_is_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """train_ch3.png a folder: it was "UsageError: out train_ch3.png is a folder", naming an out
    parameter train_ch3 does not have."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train_ch3.png").mkdir()
    with pytest.warns(UserWarning, match=r"^train_ch3\.png is a folder in the working folder, so the figure is not saved there; rename that folder for the file$"):  # fmt: skip
        net, before = _train_ch3_twice()
    assert not torch.equal(net[1].weight, before)
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train_ch3.png"]
    assert list((tmp_path / "train_ch3.png").iterdir()) == []


def test_train_ch3_with_its_svg_name_a_folder_saves_the_png_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train_ch3.svg").mkdir()
    with pytest.warns(UserWarning) as record:
        _train_ch3_twice()
    assert [str(w.message) for w in record] == [
        # the PNG is saved: the file that failed is named, with the fix for its cause
        "train_ch3.svg could not be written (a folder has its name); the book's code goes on "
        "without it (rename or move the folder train_ch3.svg, for the file)"
    ]
    assert (tmp_path / "train_ch3.png").stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train_ch3.png", "train_ch3.svg"]


def _interrupted(batch_size: int) -> None:
    raise KeyboardInterrupt  # Ctrl-C during the first epoch


def _failing_call(failure: str) -> Any:
    """A train_ch3 call that fails in its first epoch: its net raising, a divergence, or Ctrl-C."""
    loss = nn.CrossEntropyLoss(reduction="none")
    if failure == "net":
        broken = nn.Sequential(nn.Flatten(), nn.Linear(15, 3))  # 16 pixels: the forward fails
        return lambda: d2l.train_ch3(broken, _batches(), _batches(1), loss, 2,
                                     torch.optim.SGD(broken.parameters(), lr=0.1))  # fmt: skip
    if failure == "divergence":
        book = _book_overflowing_softmax()
        return lambda: d2l.train_ch3(book["net"], _batches(), _batches(1), book["cross_entropy"],
                                     2, lambda batch_size: None)  # fmt: skip
    return lambda: d2l.train_ch3(_net(), _batches(), _batches(1), loss, 2, _interrupted)


@pytest.mark.parametrize(
    ("failure", "error"),
    [("net", UsageError), ("divergence", DivergenceError), ("ctrl-c", KeyboardInterrupt)],
)
def test_train_ch3_failing_in_its_first_epoch_leaves_no_earlier_calls_figure(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: str,
    error: type[BaseException],
) -> None:
    """The files of an earlier call stayed, unchanged, after a call that failed before drawing its
    first epoch: its curves passed for the failed call's. They go when the training starts, as a
    run started over drops its curves; a call refused on its arguments, which trains nothing,
    leaves them."""
    monkeypatch.chdir(tmp_path)
    _train_ch3_twice()
    assert (tmp_path / "train_ch3.png").stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train_ch3.png", "train_ch3.svg"]
    with pytest.raises(UsageError, match="num_epochs"):
        d2l.train_ch3(_net(), _batches(), _batches(1), nn.CrossEntropyLoss(), 0,
                      torch.optim.SGD(_net().parameters(), lr=0.1))  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train_ch3.png", "train_ch3.svg"]
    capsys.readouterr()
    with pytest.raises(error):
        _failing_call(failure)()
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""  # no epoch finished: none was drawn


def test_train_ch3_names_a_loss_and_an_optimizer_passed_in_each_others_place(
    recorder: type[_Recorder],
) -> None:
    """``train_ch3(net, train_iter, test_iter, trainer, num_epochs, loss)``: the loss module is
    callable, so it passed as a function updater, and torch failed on ``'SGD' object is not
    callable`` after a forward pass; now refused before any batch, naming the swap."""
    net = _net()
    before = [p.detach().clone() for p in net.parameters()]
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageTypeError,
        match=r"loss must be a loss function or object called as loss\(y_hat, y\), got the "
        r"optimizer SGD, and updater is CrossEntropyLoss: the two are swapped; pass them as "
        r"train_ch3\(net, train_iter, test_iter, loss, num_epochs, updater\)",
    ):
        d2l.train_ch3(net, _batches(), _batches(1), trainer, 1, nn.CrossEntropyLoss())
    assert recorder.made == [] and recorder.points == []
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.parametrize("loss", [None, "cross_entropy", 3], ids=["None", "a-string", "an-int"])
def test_train_epoch_ch3_refuses_a_loss_that_cannot_be_called(loss: object) -> None:
    """Before the fix: torch's own ``TypeError: 'NoneType' object is not callable`` from deep in
    the loop, after the first forward pass."""
    net = _net()
    with pytest.raises(
        UsageTypeError,
        match=rf"loss must be a loss function or object called as loss\(y_hat, y\), got "
        rf"{re.escape(repr(loss))}; pass e\.g\. nn\.CrossEntropyLoss\(reduction='none'\)",
    ):
        d2l.train_epoch_ch3(
            net, _batches(), loss, lambda batch_size: d2l.sgd(net.parameters(), 0.1, batch_size)
        )
    assert all(p.grad is None for p in net.parameters())  # refused before the first batch


def test_train_epoch_ch3_with_a_function_updater_refuses_a_loss_class() -> None:
    """The optimizer path refused ``nn.CrossEntropyLoss`` (the class) by name; the book's function
    updater fed it ``(y_hat, y)`` as ``weight`` and ``size_average`` instead, and torch failed on
    "Boolean value of Tensor with more than one value is ambiguous"."""
    net = _net()
    with pytest.raises(
        UsageTypeError,
        match=r"loss must be a loss function or object, got the class CrossEntropyLoss; pass an "
        r"instance: CrossEntropyLoss\(reduction='none'\)",
    ):
        d2l.train_epoch_ch3(
            net,
            _batches(),
            nn.CrossEntropyLoss,  # type: ignore[arg-type]
            lambda batch_size: d2l.sgd(net.parameters(), 0.1, batch_size),
        )
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("updater", ["optimizer", "function"])
def test_a_loss_of_k_values_per_example_unreduced_reports_their_sum_per_example(
    updater: str,
) -> None:
    """``nn.MSELoss(reduction="none")`` on (B, 2) outputs: the book's ``float(l.sum())`` sums both
    values of each example, then divides by the examples (its ``metric[2]``), not the values."""
    g = torch.Generator().manual_seed(4)
    X, Y = torch.randn(10, 3, generator=g), torch.randn(10, 2, generator=g)
    net = nn.Linear(3, 2)
    with torch.no_grad():
        expected = F.mse_loss(net(X).double(), Y.double(), reduction="sum").item() / 10
    step: Any = SGD(net.parameters(), lr=1e-30) if updater == "optimizer" else (lambda b: None)
    loss, acc = d2l.train_epoch_ch3(net, [(X[:6], Y[:6]), (X[6:], Y[6:])], nn.MSELoss(reduction="none"), step)  # fmt: skip
    assert loss == pytest.approx(expected, rel=1e-6)
    assert math.isnan(acc)  # a regression: no accuracy


def test_in_jupyter_train_ch3_draws_without_printing_or_saving(
    recorder: type[_Recorder], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notebook shows the curves: no epoch lines under them, and no train_ch3.png beside it."""
    import linearnets._d2l_training

    monkeypatch.setattr(linearnets._d2l_training, "in_notebook", lambda: True)
    d2l.train_ch3(
        _net(), _batches(), _batches(1), nn.CrossEntropyLoss(reduction="none"), 2, lambda b: None
    )
    assert capsys.readouterr().out == ""
    assert recorder.made[0]["out"] is None
    assert [x for x, _ in recorder.points] == [1, 2]


def test_a_d2l_caller_is_told_to_import_a_builder_the_d2l_module_lacks() -> None:
    """The advice said net = linearnets.softmax_concise(): a NameError in a session that ran only
    `from linearnets import d2l` (the book's `from d2l import torch as d2l`)."""
    import linearnets

    X, y = torch.randn(4, 784), torch.tensor([0, 1, 2, 3])
    with pytest.raises(
        UsageTypeError,
        match=r"which builds one; call it and pass the model it returns: "
        r"from linearnets import softmax_concise; net = softmax_concise\(\)$",
    ):
        d2l.train_epoch_ch3(linearnets.softmax_concise, [(X, y)], nn.CrossEntropyLoss(), 0.1)
    with pytest.raises(
        UsageTypeError,
        match=r"got 42; pass the model itself, e.g. "
        r"from linearnets import softmax_concise; net = softmax_concise\(\)$",
    ):
        d2l.train_epoch_ch3(42, [(X, y)], nn.CrossEntropyLoss(), 0.1)


def test_an_ln_caller_is_told_the_ln_spelling_when_net_is_no_model() -> None:
    """The not-callable message said linearnets.softmax_concise() to every caller."""
    import linearnets as ln

    X, y = torch.randn(4, 784), torch.tensor([0, 1, 2, 3])
    with pytest.raises(
        UsageTypeError, match=r"got 42; pass the model itself, e.g. net = ln\.softmax_concise\(\)$"
    ):
        ln.evaluate_accuracy(42, [(X, y)])


class _StopAfter:
    """Batches whose third batch raises a ``KeyboardInterrupt`` in pass ``stop`` (from 0; the checks
    before training look at the first batch alone), as a kernel interrupt landing in the data
    loader does."""

    def __init__(self, batches: Batches, stop: int) -> None:
        self.batches, self.stop, self.third = batches, stop, 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Any:
        for i, batch in enumerate(self.batches):
            if i == 2:
                if self.third == self.stop:
                    raise KeyboardInterrupt
                self.third += 1
            yield batch


@pytest.mark.parametrize("updater", ["book's sgd", "optimizer"])
@pytest.mark.parametrize("done", [0, 1])
def test_a_ctrl_c_in_train_ch3_says_how_many_epochs_finished_and_keeps_their_metrics(
    updater: str, done: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel interrupt in train_ch3 was a bare KeyboardInterrupt, 8 to 12 frames into the data
    loader, not saying how many epochs had finished; fit's says it in one line. train_ch3's says
    it too, in its own words, with the finished epochs' metrics; the figure keeps their curves."""
    monkeypatch.chdir(tmp_path)  # train_ch3 saves its figure in the working directory
    net = _net()
    update: Any = torch.optim.SGD(net.parameters(), lr=0.1)
    if updater == "book's sgd":
        params = list(net.parameters())
        update = lambda batch_size: d2l.sgd(params, 0.1, batch_size)  # noqa: E731
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(KeyboardInterrupt) as info:
        d2l.train_ch3(net, _StopAfter(_batches(), stop=done), _batches(1), loss, 3, update)
    exc: Any = info.value
    assert type(exc) is KeyboardInterrupt  # still the plain one, to catch
    go_on = (
        f"To go on, call train_ch3 again with num_epochs={3 - done} (its curves start again at "
        "epoch 1), or linearnets.fit (import linearnets), which returns a history"
    )
    if done == 0:  # no figure and no metrics to point at (it said "the finished epochs' curves")
        said = (
            "train_ch3 was interrupted after 0 of 3 epoch(s); the model keeps the weights of its "
            f"last step, and nothing was drawn and no metrics kept yet (no epoch finished). {go_on}"
        )
        assert exc._render_traceback_() == [f"KeyboardInterrupt: {said}"]
        assert exc.__notes__ == [said]
    else:
        line = (
            "KeyboardInterrupt: train_ch3 was interrupted after 1 of 3 epoch(s); the model keeps "
            "the weights of its last step, the figure the finished epochs' curves, and this "
            "exception their metrics: import sys; history = sys.last_value.history (in the next "
            f"cell). {go_on}"
        )
        assert exc._render_traceback_() == [line]  # IPython's and Jupyter's one line
        assert exc.__notes__ == [
            "train_ch3 was interrupted after 1 of 3 epoch(s), whose metrics are this exception's "
            ".history (a linearnets History); the model keeps the weights of its last step, the "
            f"figure the finished epochs' curves. {go_on}"
        ]
    assert [m.epoch for m in exc.history.epochs] == list(range(1, done + 1))
    # the figure as fit's curves leave it: the finished epochs drawn, not removed
    assert (tmp_path / "train_ch3.png").exists() == (done > 0)


def _stopped_in_test_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, epoch: int) -> Any:
    """Return the KeyboardInterrupt of a train_ch3 of 3 epochs stopped in ``epoch``'s test pass
    (its training done), as a Ctrl-C there lands."""
    monkeypatch.chdir(tmp_path)  # train_ch3 saves its figure in the working directory
    net = _net()
    update = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    test_iter = _StopAfter(_batches(1), stop=epoch - 1)
    with pytest.raises(KeyboardInterrupt) as info:
        d2l.train_ch3(net, _batches(), test_iter, loss, 3, update)
    return info.value


def test_a_ctrl_c_in_an_epochs_test_pass_counts_its_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C in epoch 2's test pass said "interrupted after 1 of 3" and advised num_epochs=2,
    though epoch 2's training was in the weights: following it trained 4 epochs, not 3."""
    exc = _stopped_in_test_pass(tmp_path, monkeypatch, epoch=2)
    assert exc._render_traceback_() == [
        "KeyboardInterrupt: train_ch3 was interrupted after 1 of 3 epoch(s) (epoch 2 trained "
        "too, but not tested); the model keeps the weights of its last step, the figure the "
        "finished epochs' curves, and this exception their metrics: import sys; history = "
        "sys.last_value.history (in the next cell). To go on, call train_ch3 again with "
        "num_epochs=1 (its curves start again at epoch 1), or linearnets.fit (import "
        "linearnets), which returns a history"
    ]
    assert [m.epoch for m in exc.history.epochs] == [1]


def test_a_ctrl_c_in_the_first_epochs_test_pass_says_no_epoch_finished_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "(epoch 1 trained too, but not tested)" and then "(no epoch finished)"."""
    exc = _stopped_in_test_pass(tmp_path, monkeypatch, epoch=1)
    assert exc._render_traceback_() == [
        "KeyboardInterrupt: train_ch3 was interrupted after 0 of 3 epoch(s) (epoch 1 trained "
        "too, but not tested); the model keeps the weights of its last step, and nothing was "
        "drawn and no metrics kept yet. To go on, call train_ch3 again with num_epochs=2 (its "
        "curves start again at epoch 1), or linearnets.fit (import linearnets), which returns a "
        "history"
    ]
    assert exc.history.epochs == []


def _stopped_while_drawing_epoch_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, num_epochs: int, epoch: int = 2
) -> Any:
    """Return the KeyboardInterrupt of a train_ch3 of ``num_epochs`` stopped in epoch 2's figure
    update (the Animator's second add; ``epoch``'s add where given), as a Ctrl-C while drawing
    lands."""
    monkeypatch.chdir(tmp_path)
    from linearnets.plotting import animator

    calls = []

    def add(self: Any, x: Any, y: Any) -> None:
        calls.append(x)
        if len(calls) == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(animator.Animator, "add", add)
    net = _net()
    update = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(KeyboardInterrupt) as info:
        d2l.train_ch3(net, _batches(), _batches(1), loss, num_epochs, update)
    return info.value


def test_a_ctrl_c_while_drawing_an_epoch_keeps_its_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C in epoch 2's figure update dropped its metrics, tested, and advised training it
    again; the figure may hold its points in part."""
    exc = _stopped_while_drawing_epoch_2(tmp_path, monkeypatch, num_epochs=3)
    assert exc._render_traceback_() == [
        "KeyboardInterrupt: train_ch3 was interrupted after 2 of 3 epoch(s); the model keeps the "
        "weights of its last step, the figure the curves before epoch 2 (its own perhaps in "
        "part: its drawing was interrupted), and this exception their metrics: import sys; "
        "history = sys.last_value.history (in the next cell). To go on, call train_ch3 again "
        "with num_epochs=1 (its curves start again at epoch 1), or linearnets.fit (import "
        "linearnets), which returns a "
        "history"
    ]
    assert [m.epoch for m in exc.history.epochs] == [1, 2]


def test_a_ctrl_c_while_drawing_the_first_epoch_names_no_curves_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "the figure the curves before epoch 1", curves there are none of, where the figure
    may not have been shown at all."""
    exc = _stopped_while_drawing_epoch_2(tmp_path, monkeypatch, num_epochs=3, epoch=1)
    assert exc._render_traceback_() == [
        "KeyboardInterrupt: train_ch3 was interrupted after 1 of 3 epoch(s); the model keeps the "
        "weights of its last step, the figure, if it was shown, epoch 1's points perhaps in part "
        "(its drawing was interrupted), and this exception their metrics: import sys; history = "
        "sys.last_value.history (in the next cell). To go on, call train_ch3 again with "
        "num_epochs=2 (its curves start again at epoch 1), or linearnets.fit (import "
        "linearnets), which returns a "
        "history"
    ]
    assert [m.epoch for m in exc.history.epochs] == [1]


def test_a_ctrl_c_in_the_last_epochs_test_pass_says_nothing_is_left_to_train(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C in the last epoch's test pass advised num_epochs=0, which train_ch3 refuses; all
    epochs are trained, so nothing is left, and evaluate_accuracy gives the untested accuracy."""
    exc = _stopped_in_test_pass(tmp_path, monkeypatch, epoch=3)
    assert exc._render_traceback_() == [
        "KeyboardInterrupt: train_ch3 was interrupted after 2 of 3 epoch(s) (epoch 3 trained "
        "too, but not tested); the model keeps the weights of its last step, the figure the "
        "finished epochs' curves, and this exception their metrics: import sys; history = "
        "sys.last_value.history (in the next cell). All 3 epoch(s) trained: nothing is left to "
        "train; d2l.evaluate_accuracy(net, test_iter) gives epoch 3's test accuracy"
    ]
    assert "num_epochs=0" not in exc.__notes__[0]
    assert [m.epoch for m in exc.history.epochs] == [1, 2]


def test_a_ctrl_c_while_drawing_the_last_epoch_says_all_epochs_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C in the last epoch's figure update said "interrupted after 2 of 2" and advised
    num_epochs=0, which train_ch3 refuses."""
    exc = _stopped_while_drawing_epoch_2(tmp_path, monkeypatch, num_epochs=2)
    assert exc.__notes__ == [
        "train_ch3 was interrupted after all 2 epoch(s), whose metrics are this exception's "
        ".history (a linearnets History); the model keeps the weights of its last step, the "
        "figure the curves before epoch 2 (its own perhaps in part: its drawing was "
        "interrupted). All 2 epoch(s) trained: nothing is left to train"
    ]
    assert [m.epoch for m in exc.history.epochs] == [1, 2]


def test_train_ch3_stopped_by_a_bad_later_batch_hands_the_finished_epochs_as_fits_errors_do() -> (
    None
):
    """Only a Ctrl-C carried .history: fit's errors hold the finished epochs, train_ch3's did not."""

    class SecondEpochBad:
        def __init__(self) -> None:
            self.passes, self.batches = 0, _batches()

        def __iter__(self) -> Any:
            self.passes += 1
            for i, (X, y) in enumerate(self.batches):
                yield X, (torch.full_like(y, 7) if self.passes == 2 and i == 2 else y)

    net = _net()
    with pytest.raises(UsageError, match=r"^train_iter's batch 3 of epoch 2") as info:
        d2l.train_ch3(net, SecondEpochBad(), _batches(1), nn.CrossEntropyLoss(), 3,
                      torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip
    assert [m.epoch for m in info.value.history.epochs] == [1]  # type: ignore[attr-defined]


def test_the_books_cross_entropy_with_a_minus_one_label_is_refused_at_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's cross_entropy, -log(y_hat[range(n), y]), reads a label -1 as the last class
    without a word: the epoch trained on to its end before the totals named it, with no batch.
    Each batch's labels are checked as they are counted (on a CPU), so it is named at its own."""
    monkeypatch.chdir(tmp_path)
    batches = _batches()
    X, y = batches[2]
    y = y.clone()
    y[4] = -1
    batches[2] = (X, y)
    net = _net()

    def softmax_net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax(net(X), dim=1)

    def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    with pytest.raises(UsageError) as info:
        d2l.train_ch3(
            softmax_net, batches, _batches(1), cross_entropy, 2,
            torch.optim.SGD(net.parameters(), lr=0.1),
        )  # fmt: skip
    assert str(info.value).startswith(
        "train_iter's batch 3 of epoch 1, row 4 of that batch (counted from 0) (the model took 3 "
        "updates, this batch's the last, and keeps their weights): y must hold class indices in "
        "[0, 3), got -1"
    )
    assert info.value.history.epochs == []  # type: ignore[attr-defined]


_TWICE = (
    r"already averaged over the batch .*: if your updater divides by batch_size, as the book's sgd "
    r"does \(lr \* grad / batch_size\), each step is lr/batch_size of the book's \(lr/16 here\) "
    r"and the model trains far slower than the book's"
)


def _book_cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -torch.log(torch.softmax(y_hat, dim=1)[range(len(y_hat)), y])


@pytest.mark.parametrize(
    ("loss", "fix"),
    [
        (nn.CrossEntropyLoss(), r"pass CrossEntropyLoss\(reduction='none'\), per-example losses"),
        (
            lambda y_hat, y: _book_cross_entropy(y_hat, y).mean(),
            r"return per-example losses from it, as the book's "
            r"cross_entropy does, .* without \.mean\(\) \(D2L §3\.6\.4\); the loss shown per "
            r"epoch is that mean divided by the batch size too",
        ),
    ],
)
def test_a_mean_loss_with_the_books_function_updater_warns_once_of_the_double_division(
    loss: Any, fix: str
) -> None:
    """A 0-d mean given to ``updater(batch_size)`` is divided by B twice: each step lr/B of the
    book's, trained silently to near chance. Warned once (two epochs here), the numbers unchanged."""
    net = _net()
    params = list(net.parameters())
    with pytest.warns(UserWarning, match=_TWICE + "; " + fix) as caught:
        for _ in range(2):
            d2l.train_epoch_ch3(net, _batches(), loss, lambda b: d2l.sgd(params, 0.1, b))
    assert sum("already averaged" in str(w.message) for w in caught) == 1


def test_a_mean_loss_with_an_updater_that_does_not_divide_is_not_told_it_divides_again() -> None:
    """``updater = lambda bs: d2l.sgd(params, lr, 1)`` divides by nothing: the warning said
    "updater(batch_size) divides by the batch size again" and "(it ends in .mean())" as facts; it
    says what holds where the updater divides, as the book's sgd does."""
    net = _net()
    params = list(net.parameters())
    with pytest.warns(UserWarning) as caught:
        d2l.train_epoch_ch3(
            net, _batches(), lambda y_hat, y: _book_cross_entropy(y_hat, y).mean(),
            lambda b: d2l.sgd(params, 0.1, 1),
        )  # fmt: skip
    (message,) = [str(w.message) for w in caught if "already averaged" in str(w.message)]
    assert message.startswith(
        "the loss function is already averaged over the batch (it gives the batch's mean): if "
        "your updater divides by batch_size, as the book's sgd does (lr * grad / batch_size), "
    )
    assert "divides by the batch size again" not in message and "ends in" not in message


def _noisy_sum(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A summed loss weighting each example by a random draw (0-d): the check's calls of it drew
    from torch's generator and changed the training's numbers."""
    l = _book_cross_entropy(y_hat, y)
    return (l * (0.5 + torch.rand(len(y)))).sum()


def test_the_mean_loss_check_leaves_a_random_loss_and_torchs_generator_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two epochs with the check and without it train the same weights and leave torch's generator
    in the same state (the check called the loss 3 more times, each drawing, at every epoch)."""
    import linearnets._d2l_training as training

    def train() -> tuple[torch.Tensor, float]:
        net = _net()
        params = list(net.parameters())
        for _ in range(2):
            d2l.train_epoch_ch3(net, _batches(), _noisy_sum, lambda b: d2l.sgd(params, 0.1, b))
        return net[1].weight.detach().clone(), float(torch.rand(1))

    checked = train()
    training._MEAN_VERDICT.clear()
    monkeypatch.setattr(training, "_warn_mean_loss", lambda *args: None)
    unchecked = train()
    assert torch.equal(checked[0], unchecked[0]) and checked[1] == unchecked[1]


@pytest.mark.parametrize("mean", [False, True])
def test_the_mean_loss_check_calls_a_loss_at_most_three_times_in_all(mean: bool) -> None:
    """A stateful loss (it records each call) is probed once, on its first batch, not at the start
    of every epoch and again after its verdict: 2 epochs of 5 batches make 10 calls, and 3."""
    calls = []

    def loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls.append(len(y))
        l = _book_cross_entropy(y_hat, y)
        return l.mean() if mean else l.sum()

    net = _net()
    params = list(net.parameters())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            d2l.train_epoch_ch3(net, _batches(), loss, lambda b: d2l.sgd(params, 0.1, b))
    assert len(calls) == 10 + 3
    assert sum("already averaged" in str(w.message) for w in caught) == (1 if mean else 0)


def test_a_loss_module_is_judged_by_its_reduction_without_extra_calls() -> None:
    calls = []

    class Counted(nn.CrossEntropyLoss):
        def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            calls.append(len(target))
            return super().forward(input, target)

    net = _net()
    params = list(net.parameters())
    with pytest.warns(UserWarning, match=r"Counted's reduction='mean'"):
        for _ in range(2):
            d2l.train_epoch_ch3(net, _batches(), Counted(), lambda b: d2l.sgd(params, 0.1, b))
    assert len(calls) == 10


@pytest.mark.parametrize(
    ("loss", "optimizer"),
    [
        (nn.CrossEntropyLoss(reduction="none"), False),  # the book's §3.7 loss, its own updater
        (nn.CrossEntropyLoss(reduction="none"), True),  # the book's §3.7
        (nn.CrossEntropyLoss(), True),  # torch.optim takes a mean
        (_book_cross_entropy, False),  # the book's §3.6
        (nn.CrossEntropyLoss(reduction="sum"), False),
        (lambda y_hat, y: _book_cross_entropy(y_hat, y).sum(), False),
    ],
)
def test_the_books_losses_and_sums_warn_of_no_double_division(loss: Any, optimizer: bool) -> None:
    import warnings

    net = _net()
    params = list(net.parameters())
    updater = torch.optim.SGD(params, lr=0.1) if optimizer else lambda b: d2l.sgd(params, 0.1, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2l.train_epoch_ch3(net, _batches(), loss, updater)


def _underflowing_softmax() -> tuple[Batches, torch.Tensor, torch.Tensor, Any]:
    """The book's scratch softmax with a bias of -200 for class 2: its probability underflows to 0,
    so the book's -log(p[y]) is inf on the first batch, whose first label is 2."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 4, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    y[0] = 2
    W = torch.zeros(4, 3, requires_grad=True)
    b = torch.tensor([0.0, 0.0, -200.0], requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return linearnets.softmax(X @ W + b)

    return [(X[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)], W, b, net


def _clamped_cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -torch.log(y_hat[range(len(y_hat)), y].clamp(min=1e-12))


def test_a_refused_first_batch_leaves_the_function_updaters_gradients_and_the_fixed_rerun_trains_as_fresh() -> (
    None
):
    """The refusal says "before any update of this step": the book's sgd zeroes .grad only after
    its step, so a backward left in .grad (inf - inf: NaN) would be added to the rerun's, its
    weights made NaN and the learning rate blamed. Each .grad is put back as it was."""
    batches, W, b, net = _underflowing_softmax()
    b.grad = torch.tensor([1.0, 2.0, 3.0])  # a gradient of the user's own: kept, in its tensor
    theirs = b.grad

    def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    def updater(batch_size: int) -> None:
        d2l.sgd([W, b], 0.1, batch_size)

    with pytest.raises(
        UsageError, match=r"the loss is inf on the epoch's first batch .* before any update"
    ):
        d2l.train_epoch_ch3(net, batches, cross_entropy, updater)
    assert W.grad is None
    assert b.grad is theirs and b.grad.tolist() == [1.0, 2.0, 3.0]
    assert W.tolist() == [[0.0] * 3] * 4 and b.tolist() == [0.0, 0.0, -200.0]
    b.grad = None  # the fixed rerun against a fresh run of the same model
    ours = d2l.train_epoch_ch3(net, batches, _clamped_cross_entropy, updater)
    fresh_batches, W2, b2, fresh_net = _underflowing_softmax()
    fresh = d2l.train_epoch_ch3(
        fresh_net, fresh_batches, _clamped_cross_entropy, lambda bs: d2l.sgd([W2, b2], 0.1, bs)
    )
    assert ours == fresh and math.isfinite(ours[0])
    assert torch.equal(W, W2) and torch.equal(b, b2)


@pytest.mark.parametrize(
    ("updater_of", "refusal"),
    [
        (lambda W, b: lambda bs: d2l.sgd([W, b], bs, 0.1), r"batch_size must be a whole number"),
        (lambda W, b: lambda bs: d2l.sgd([W, b], -1, bs), r"lr must be a finite number > 0"),
    ],
    ids=["lr and batch_size swapped", "negative lr"],
)
def test_a_function_updater_refused_at_the_first_batch_leaves_its_gradients_and_the_rerun_trains_as_fresh(
    updater_of: Any, refusal: str
) -> None:
    """d2l.sgd refuses before it changes a weight, but it zeroes .grad only after its step: the
    first batch's gradient was left in .grad, and the fixed rerun's first update took it too."""
    batches, W, b, net = _underflowing_softmax()
    with pytest.raises(UsageError, match=refusal):
        d2l.train_epoch_ch3(net, batches, _clamped_cross_entropy, updater_of(W, b))
    assert W.grad is None and b.grad is None
    ours = d2l.train_epoch_ch3(
        net, batches, _clamped_cross_entropy, lambda bs: d2l.sgd([W, b], 0.1, bs)
    )
    fresh_batches, W2, b2, fresh_net = _underflowing_softmax()
    fresh = d2l.train_epoch_ch3(
        fresh_net, fresh_batches, _clamped_cross_entropy, lambda bs: d2l.sgd([W2, b2], 0.1, bs)
    )
    assert ours == fresh and torch.equal(W, W2) and torch.equal(b, b2)


def test_a_refused_first_batch_leaves_the_optimizers_gradients_as_they_were() -> None:
    """The optimizer path zeroes them before its backward: they are put back as before the step."""
    batches, W, b, net = _underflowing_softmax()
    W.grad = torch.ones(4, 3)
    theirs = W.grad

    def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    with pytest.raises(UsageError, match=r"before any update of this step"):
        d2l.train_epoch_ch3(net, batches, cross_entropy, torch.optim.SGD([W, b], lr=0.1))
    assert W.grad is theirs and torch.equal(W.grad, torch.ones(4, 3))
    assert b.grad is None
