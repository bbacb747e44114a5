"""Evaluation (D2L §3.6.5): the mean loss and accuracy over a data set, in eval mode."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets import d2l
from linearnets.errors import DivergenceError, UsageError
from linearnets.metrics import accuracy
from linearnets.models.scratch import SoftmaxRegressionScratch, cross_entropy_logits
from linearnets.training.evaluation import evaluate, evaluate_accuracy, set_mode
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import fit

from .test_model_diagnosis import NaiveSoftmax, book_softmax
from .test_weightless import BookScratch

Batch = tuple[torch.Tensor, torch.Tensor]


def _batches(X: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[Batch]:
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]


def _classification(gen: torch.Generator, n: int = 10, batch_size: int = 4) -> list[Batch]:
    return _batches(
        torch.randn(n, 3, generator=gen), torch.randint(0, 2, (n,), generator=gen), batch_size
    )


def test_evaluate_matches_the_whole_set_at_once(gen: torch.Generator) -> None:
    X = torch.randn(23, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (23,), generator=gen)
    net = SoftmaxRegressionScratch(sigma=0.1, generator=gen)
    mean_loss, acc = evaluate(net, _batches(X, y, 5), cross_entropy_logits)
    O = net(X).detach()
    assert mean_loss == pytest.approx(F.cross_entropy(O, y).item(), rel=1e-6)
    assert acc == pytest.approx(accuracy(O, y))
    assert evaluate(net, _batches(X, y, 5)) == (None, acc)  # without a loss


def test_evaluate_accuracy_is_a_ratio() -> None:
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.5, 0.6]])
    labels = torch.tensor([1, 1, 1, 0, 0])  # right on rows 0, 2, 3
    batches = _batches(scores, labels, 2)
    assert evaluate_accuracy(lambda X: X, batches) == pytest.approx(3 / 5)


def test_evaluate_turns_dropout_off(gen: torch.Generator) -> None:
    net = nn.Sequential(nn.Dropout(0.5), nn.Linear(3, 2))
    batches = _classification(gen)
    first, second = (evaluate(net, batches, nn.CrossEntropyLoss())[0] for _ in range(2))
    assert first == second  # no random masks in eval mode
    assert net.training


class _GradRecorder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.grad_enabled: list[bool] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.linear(X)


def test_evaluate_builds_no_graph(gen: torch.Generator) -> None:
    net = _GradRecorder()
    evaluate(net, _classification(gen), nn.CrossEntropyLoss())
    assert net.grad_enabled == [False, False, False] and torch.is_grad_enabled()


class _ModeOnly:
    """A model with train(mode) but no ``training`` attribute: no nn.Module protocol, so no modes."""

    def __init__(self) -> None:
        self.modes: list[bool] = []

    def train(self, mode: bool) -> None:
        self.modes.append(mode)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X[:, :2]


def test_evaluate_leaves_a_model_without_a_training_flag_alone(gen: torch.Generator) -> None:
    """Its ``train`` may be anything (the book calls ``net.eval()`` only on an nn.Module); a model
    with modes has the flag (nn.Module, the scratch models: see set_mode's test below)."""
    net = _ModeOnly()
    batches = _classification(gen)
    _, acc = evaluate(net, batches)
    assert net.modes == []
    X, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    assert acc == pytest.approx(accuracy(X[:, :2], y))


class _Learner:
    """A learner's own model class, as the book's readers write them: a ``train`` method that runs
    training epochs, not nn.Module's mode switch, and no ``training`` attribute."""

    def __init__(self) -> None:
        self.W = torch.zeros(4, 3)
        self.calls: list[tuple[str, object]] = []

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X.reshape(len(X), -1) @ self.W

    def train(self, num_epochs: object = None) -> None:
        self.calls.append(("train", num_epochs))

    def eval(self) -> None:
        self.calls.append(("eval", None))


def test_a_models_own_train_method_is_not_taken_for_a_mode_switch() -> None:
    """The book switches modes only on an nn.Module (``if isinstance(net, torch.nn.Module)``)."""
    net = _Learner()
    X, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    assert evaluate_accuracy(net, [(X, y)]) == pytest.approx(2 / 5)  # all scores 0: class 0 wins
    assert evaluate(net, [(X, y)], F.cross_entropy)[0] == pytest.approx(
        float(torch.log(torch.tensor(3.0)))
    )
    assert net.calls == []


class _Flagged:
    """A learner's own model with nn.Module's ``training`` flag (read by a dropout written by
    hand) but no ``train`` method: the book calls nothing on it."""

    def __init__(self) -> None:
        self.W = torch.zeros(4, 3)
        self.training = True

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.W


def test_a_model_with_a_training_flag_and_no_train_method_is_evaluated_and_trained() -> None:
    """set_mode called its missing train(): AttributeError "'_Flagged' object has no attribute
    'train'" in evaluate, evaluate_accuracy and fit. The oracle: all scores 0, class 0 wins, and
    the loss is log 3; fit's step changes W as torch.optim.SGD's own step on the mean loss does."""
    from linearnets.training.loop import fit

    net = _Flagged()
    X, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    assert evaluate_accuracy(net, [(X, y)]) == pytest.approx(2 / 5)
    assert d2l.evaluate_accuracy(net, [(X, y)]) == pytest.approx(2 / 5)
    assert evaluate(net, [(X, y)], F.cross_entropy)[0] == pytest.approx(math.log(3))
    net.W.requires_grad_(True)
    expected = net.W.detach() - 0.5 * torch.func.grad(lambda W: F.cross_entropy(X @ W, y))(
        net.W.detach()
    )
    fit(net, [(X, y)], F.cross_entropy, torch.optim.SGD([net.W], lr=0.5), 1)
    torch.testing.assert_close(net.W.detach(), expected)
    assert net.training is True


@pytest.mark.parametrize("training", [True, False])
def test_set_mode_switches_and_restores_a_module_protocol_model(training: bool) -> None:
    net = SoftmaxRegressionScratch(4, 3)
    net.train(training)
    assert set_mode(net, not training) is training and net.training is (not training)
    assert set_mode(_Learner(), False) is True  # no modes: reported as training, left alone


def _frozen_norm(training: bool) -> nn.Sequential:
    """A model in mode ``training`` whose BatchNorm the caller keeps in the other mode (frozen
    statistics while fine-tuning, or updated ones in an otherwise evaluated model)."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.BatchNorm1d(4), nn.Linear(4, 3))
    net.train(training)
    net[2].train(not training)
    return net


@pytest.mark.parametrize("training", [True, False])
def test_evaluation_training_and_prediction_put_back_each_modules_own_mode(
    gen: torch.Generator, training: bool
) -> None:
    """Not only the model's mode: a frozen BatchNorm in a training model stays frozen afterwards
    (switched back with the rest, its running statistics would change at the next step)."""
    from linearnets.inference import predict_labels
    from linearnets.training.loop import train_epoch

    X, y = torch.randn(6, 12, generator=gen), torch.randint(0, 3, (6,), generator=gen)
    calls = {
        "evaluate": lambda net: evaluate(net, [(X, y)], F.cross_entropy),
        "evaluate_accuracy": lambda net: evaluate_accuracy(net, [(X, y)]),
        "predict_labels": lambda net: predict_labels(net, X),
        "train_epoch": lambda net: train_epoch(
            net, [(X, y)], F.cross_entropy, torch.optim.SGD(net.parameters(), lr=0.1)
        ),
    }
    for name, call in calls.items():
        net = _frozen_norm(training)
        call(net)
        modes = [m.training for m in net]
        assert modes == [training, training, not training, training], name


# --- NaN scores: an overflow in the model, or NaN weights or inputs (D2L §3.6) -------------------

OVERFLOW = r"^the model's scores hold NaN, .* though its parameters and its inputs are finite: its own computation overflowed"  # fmt: skip


def _images(n: int = 12) -> list[Batch]:
    X = torch.rand(n, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    return _batches(X, torch.arange(n) % 3, 4)


def test_the_books_softmax_overflowing_on_finite_weights_is_named_with_its_fix() -> None:
    """D2L §3.6's exercise 1 (exp of a large score): with W[:, 0] = 100 the scores reach ~800, exp
    gives inf and inf / inf NaN, though W, b and every image are finite. The fix the error names,
    subtracting each row's max, makes the same model evaluate: every row predicts class 0."""
    book = book_softmax(100.0)
    batches = _images()
    assert all(bool(torch.isfinite(t).all()) for t in (book["W"], book["b"], *(X for X, _ in batches)))  # fmt: skip
    with pytest.raises(DivergenceError, match=OVERFLOW + r".*o - o\.max\(dim=1, keepdim=True\)\.values"):  # fmt: skip
        evaluate_accuracy(book["net"], batches)

    def softmax(X: torch.Tensor) -> torch.Tensor:  # the fix, as the error words it
        X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
        return X_exp / X_exp.sum(1, keepdim=True)

    book["softmax"] = softmax
    assert evaluate_accuracy(book["net"], batches) == pytest.approx(
        4 / 12
    )  # labels 0, 1, 2, 0, ...


_NAN_HEAD = "the model's scores hold NaN, so no accuracy can be computed"
_FIND_IN_DATA = (
    "find them in the data, checking each batch with torch.isfinite(X).all() (torch.isnan(X).any() "
    "for NaN alone), and clean or drop the examples that hold them"
)


def test_nan_weights_are_named_with_the_lr_and_nan_inputs_without_it() -> None:
    """A NaN weight gives every score of its class NaN; a NaN pixel of the first batch gives its
    row's scores NaN with the weights finite: no smaller lr would mend that, the data would."""
    nan_weight = book_softmax(1.0)
    with torch.no_grad():
        nan_weight["W"][5, 2] = float("nan")
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(nan_weight["net"], _images())
    assert str(info.value) == (
        f"{_NAN_HEAD}: its weights hold NaN or inf (W): weights blow up when the lr is too large "
        "(train again with a smaller one), or after a step on features that hold NaN or inf (check "
        "each batch with torch.isfinite(X).all())"
    )
    nan_input = _images()
    nan_input[0][0][1, 0, 2, 2] = float("nan")
    book = book_softmax(1.0)
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(book["net"], nan_input)
    assert str(info.value) == (
        f"{_NAN_HEAD}: its inputs hold NaN or inf (1 value of the features X of the first batch, "
        f"in its example at position 1, counting from 0), while its weights are finite; "
        f"{_FIND_IN_DATA}"
    )
    assert bool(torch.isfinite(book["W"]).all()) and bool(torch.isfinite(book["b"]).all())


_OVERFLOW = (
    "the model's computation overflowed on them (on large features a softmax computed as exp(o) / "
    "exp(o).sum(1) does: subtract each row's max first, o - o.max(dim=1, keepdim=True).values, or "
    "use linearnets.softmax)"
)


def _tells(batch: int) -> str:
    return (
        f"torch.isfinite(X).all() on batch {batch}'s features tells which (False: clean or drop "
        "the examples that hold NaN or inf; True: the model overflowed)"
    )


def test_a_nan_pixel_in_a_later_batch_is_named_by_its_batch_and_example() -> None:
    """The first batch is fine, so the probe's look at it would only say "another batch": the
    scores read back together show which batch first gave NaN, and that its other examples'
    scores were finite, and the weights, looked at, are finite; the example's features or an
    overflow on them are named, not the lr. A list of batches gives no dataset index."""
    batches = _images()
    batches[2][0][0, 0, 0, 0] = float("nan")
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(book_softmax(1.0)["net"], batches)
    assert str(info.value) == (
        f"{_NAN_HEAD}: they first did at batch 3 of data_iter, on 1 of its 4 examples (position 0 "
        "in the batch, counting from 0: example 8 in the order data_iter yielded them), while the "
        "other 3 examples' scores are finite (none above 1 in absolute value), and the weights are "
        f"finite: that example's features X hold NaN or inf, or {_OVERFLOW}; {_tells(3)}"
    )
    assert info.value.step == 2 and info.value.examples


def test_an_example_whose_finite_features_overflow_the_books_softmax_is_not_blamed_on_nan() -> None:
    """Example 130's features 1000 times the others', all finite: the book's exp(o) / sum
    overflows on its scores alone. The error names the overflow beside NaN or inf features, and
    the check that tells them apart (isfinite on the batch is True here), not a search that
    would find nothing; the loader keeps its order, so 130 is the dataset's index."""
    from linearnets import load_array

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 4, generator=gen), torch.randint(0, 3, (256,), generator=gen)
    X[130] *= 1000.0
    torch.manual_seed(0)
    lin = nn.Linear(4, 3)

    def net(X: torch.Tensor) -> torch.Tensor:  # D2L §3.6.1's softmax, verbatim
        X_exp = torch.exp(lin(X))
        return X_exp / X_exp.sum(1, keepdim=True)

    assert bool(torch.isfinite(X).all())
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(net, load_array((X, y), 32, is_train=False))
    message = str(info.value)
    assert message.startswith(
        f"{_NAN_HEAD}: they first did at batch 5 of data_iter, on 1 of its 32 examples (position "
        "2 in the batch, counting from 0: example 130 of data_iter, its index in the dataset), "
        "while the other 31 examples' scores are finite"
    ), message
    assert message.endswith(
        f"and the weights are finite: that example's features X hold NaN or inf, or {_OVERFLOW}; "
        f"{_tells(5)}"
    ), message
    assert "find them in the data" not in message


def test_huge_features_on_a_fresh_model_are_named_not_weights_blown_up_by_an_lr() -> None:
    """Raw features of ~1e11 on untrained weights (|w| < 0.5), a NaN in example 130: the other
    scores reach ~1e11. An evaluation updates nothing, so no lr is named, and the weights, looked
    at, are small: the features are named as that large."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 4, generator=gen) * 1e11, torch.randint(0, 3, (256,), generator=gen)
    X[130, 2] = float("nan")
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    largest = max(float(p.detach().abs().max()) for p in net.parameters())
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(net, _batches(X, y, 32))
    message = str(info.value)
    assert re.search(
        r"while the others' scores are not NaN but reach [\d.]+e\+11: the parameters are no larger "
        rf"than {largest:.3g} in absolute value, so the features are that large \(scale them, e\.g\. "
        r"standardise each one\); and that example's features X hold NaN or inf, or ",
        message,
    ), message
    assert "learning rate" not in message and "blown up" not in message
    assert not info.value.examples


class _Embedded(nn.Module):
    """An embedding's row per example (its index in X's first column), then a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.lin = nn.Embedding(10, 3), nn.Linear(3, 3)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(self.emb(X[:, 0]))


def test_a_nan_weight_that_reaches_one_example_alone_is_named_not_called_finite() -> None:
    """An embedding's row 7 NaN, used by example 37 alone, its features finite integers: the other
    examples' scores are finite, yet the weights are not; they are named, as a cause, with the
    check that tells them from the features, and not called finite."""
    torch.manual_seed(0)
    net = _Embedded()
    with torch.no_grad():
        net.emb.weight[7] = float("nan")
    X, y = torch.randint(0, 7, (64, 1)), torch.randint(0, 3, (64,))
    X[37, 0] = 7
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(net, _batches(X, y, 16))
    message = str(info.value)
    assert "weights are finite" not in message, message
    assert re.match(
        rf"^{_NAN_HEAD}: they first did at batch 3 of data_iter, on 1 of its 16 examples \(position "
        r"5 in the batch, counting from 0: example 37 in the order data_iter yielded them\), while "
        r"the other 15 examples' scores are finite \(none above [\d.]+ in absolute value\), but the "
        r"model's weights hold NaN or inf \(emb\.weight\): either those weights reach that example "
        r"alone \(as a NaN row of an embedding does for the examples that use it\), or that "
        r"example's features X hold NaN or inf, or ",
        message,
    ), message
    assert message.endswith(
        "torch.isfinite(X).all() on batch 3's features tells the features from the others (False: "
        "clean or drop the examples that hold NaN or inf; True: the weights, or an overflow); "
        "replace the weights that hold NaN or inf either way (train again from fresh weights, or "
        "load finite ones)"
    ), message
    assert not info.value.examples


class _BufferWeights(nn.Module):
    """Weights kept in a buffer, a bias its only parameter."""

    def __init__(self, W: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("W", W)
        self.b = nn.Parameter(torch.zeros(W.shape[1]))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.W + self.b


@pytest.mark.parametrize("model", ["weights-in-a-buffer", "two-layers"])
def test_huge_scores_from_small_parameters_blame_the_features_only_in_one_linear_layer(
    model: str,
) -> None:
    """Features ~N(0, 1), a NaN in example 20, the other scores past 1e10: from weights kept in a
    buffer (the parameter, a zero bias, is small), or two layers of parameters below 1e4. Small
    parameters bound the scores by the features only in one linear layer: here the weights
    (buffers too) or the features are named, not the features as a fact."""
    torch.manual_seed(0)
    if model == "two-layers":
        net: nn.Module = nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 3))
        with torch.no_grad():
            for p in net.parameters():
                p.uniform_(5e3, 9e3)
        X = torch.randn(64, 100)
    else:
        net = _BufferWeights(torch.randn(4, 3) * 1e12)
        X = torch.randn(64, 4)
    largest = max(float(t.detach().abs().max()) for t in [*net.parameters(), *net.buffers()])
    X[20, 1] = float("nan")
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(net, _batches(X, torch.randint(0, 3, (64,)), 16))
    message = str(info.value)
    assert "so the features are that large" not in message and "no larger than" not in message
    assert re.search(
        r"while the others' scores are not NaN but reach [\d.]+e\+1\d: the weights \(largest "
        rf"absolute value {re.escape(f'{largest:.3g}')}\) or the features are very large \(raw "
        r"features need scaling\); and that example's features X hold NaN or inf, or ",
        message,
    ), message


@pytest.mark.parametrize("model", ["batchnorm", "buffer"])
def test_a_nan_buffer_among_finite_parameters_is_named_not_called_an_overflow(model: str) -> None:
    """BatchNorm's running mean made NaN by one forward in training mode on a NaN feature, or a
    registered buffer set to NaN; the parameters and the features finite: the buffer is named as
    the cause, not an overflow of the model's own computation."""
    torch.manual_seed(0)
    if model == "batchnorm":
        net: nn.Module = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3))
        bad = torch.randn(8, 4)
        bad[0, 0] = float("nan")
        with torch.no_grad():
            net(bad)  # training mode: the running statistics take the NaN
        named = "buffers 0.running_mean and 0.running_var hold"
    else:
        W = torch.randn(4, 3)
        W[2, 1] = float("nan")
        net = _BufferWeights(W)
        named = "buffer W holds"
    assert all(bool(torch.isfinite(p).all()) for p in net.parameters())
    X = torch.randn(64, 4)
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(net, _batches(X, torch.randint(0, 3, (64,)), 16))
    message = str(info.value)
    assert "overflowed" not in message and "inputs are finite" not in message, message
    assert message.startswith(
        f"{_NAN_HEAD}: its {named} NaN or inf, though its parameters are finite (no optimizer "
        "updates a buffer: BatchNorm's running_mean and running_var take NaN from a forward in "
        "training mode on features that hold NaN or inf"
    ), message


def test_a_nan_running_statistic_is_named_in_eval_mode_where_it_is_used() -> None:
    """Evaluation runs BatchNorm in eval mode, where it normalises by its running statistics: a
    NaN running_mean is a cause there, named with the NaN weight, not set aside as unused."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(12, 12), nn.BatchNorm1d(12), nn.Linear(12, 4))
    with torch.no_grad():
        net[1].running_mean[0] = float("nan")
        net[2].weight[0, 0] = float("nan")
    X, y = torch.rand(32, 12), torch.randint(0, 4, (32,))
    with pytest.raises(DivergenceError, match=rf"^{_NAN_HEAD}: its weights hold NaN or inf \(2\.weight and the buffer 1\.running_mean\): weights blow up when the lr is too large \(train again with a smaller one\), or after a step on features that hold NaN or inf \(check each batch with torch\.isfinite\(X\)\.all\(\)\)$"):  # fmt: skip
        evaluate_accuracy(net, _batches(X, y, 16))
    assert net.training  # the caller's mode, restored


def test_a_later_batch_all_nan_is_named_as_the_batch_not_the_weights() -> None:
    """Every example of batch 2 NaN, after a first batch scored with the same weights: in an
    evaluation the weights did not change, so that batch's features are named, not the lr."""
    batches = _images()
    batches[1][0][:, 0, 1, 1] = float("inf")
    with pytest.raises(DivergenceError) as info:
        evaluate_accuracy(book_softmax(1.0)["net"], batches)
    assert str(info.value) == (
        f"{_NAN_HEAD}: they first did at batch 2 of data_iter, on all 4 of its examples, while the "
        "batches before gave scores free of NaN with the same weights: that batch's features X "
        f"hold NaN or inf, or {_OVERFLOW}; {_tells(2)}"
    )
    assert info.value.step == 1 and not info.value.examples


def test_a_module_that_overflows_is_probed_once_in_eval_mode_and_only_on_failure() -> None:
    net = NaiveSoftmax(1.0)  # scores ~8: no overflow
    modes: list[bool] = []
    net.register_forward_pre_hook(lambda module, args: modes.append(module.training))
    evaluate(net, _images(), nn.CrossEntropyLoss())
    assert len(net.inputs) == 3  # one forward per batch: no probe on a pass that works
    overflowing = NaiveSoftmax(100.0)
    overflowing.register_forward_pre_hook(lambda module, args: modes.append(module.training))
    batches = _images()
    with pytest.raises(DivergenceError, match=OVERFLOW):
        evaluate(overflowing, batches)
    assert len(overflowing.inputs) == 4 and torch.equal(overflowing.inputs[-1], batches[0][0])
    assert modes == [False] * 7 and overflowing.training  # probed in eval mode, then restored


def test_evaluate_counts_a_summed_loss_function_once_with_scalar_loss_sum(
    gen: torch.Generator,
) -> None:
    """A plain function returning its batch's sum: by default its 0-d value is taken as a mean
    (each batch's sum counted B times); with scalar_loss="sum", once. The oracle is torch's mean
    cross-entropy over the whole set."""
    X, y = torch.randn(20, 3, generator=gen), torch.randint(0, 2, (20,), generator=gen)
    net = nn.Linear(3, 2)
    summed = lambda y_hat, t: F.cross_entropy(y_hat, t, reduction="sum")  # noqa: E731
    with torch.no_grad():
        expected = F.cross_entropy(net(X), y).item()
    assert evaluate(net, _batches(X, y, 5), summed, scalar_loss="sum")[0] == pytest.approx(
        expected, rel=1e-6
    )
    assert evaluate(net, _batches(X, y, 5), summed)[0] == pytest.approx(5 * expected, rel=1e-6)
    mean = nn.CrossEntropyLoss()  # a mean module, told what it is
    assert evaluate(net, _batches(X, y, 5), mean, scalar_loss="mean")[0] == pytest.approx(
        expected, rel=1e-6
    )
    with pytest.raises(UsageError, match=r"^scalar_loss must be one of 'mean', 'sum', got 'total'"):
        evaluate(net, _batches(X, y, 5), summed, scalar_loss="total")


def test_a_model_on_meta_is_refused_before_any_batch() -> None:
    """torch said "Tensor on device cpu is not on the expected device meta!" from deep inside."""
    from linearnets.models.scratch import SoftmaxRegressionScratch

    net = SoftmaxRegressionScratch().to("meta")
    batches = [(torch.randn(4, 784), torch.randint(0, 10, (4,)))]
    with pytest.raises(UsageError, match=r"^net's parameters must hold values, got a parameter "):
        evaluate_accuracy(net, batches)


@pytest.mark.parametrize("batch", [40, 10, 7, 1])
def test_a_class_weighted_mean_loss_is_the_loss_over_the_whole_set(batch: int) -> None:
    """Each batch's weighted mean was counted once per example, as if every weight were 1: the same
    model on the same data reported 1.1105, 1.1184 and 1.1363 for batches of 40, 10 and 1."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 5, generator=gen), torch.randint(0, 3, (40,), generator=gen)
    torch.manual_seed(0)
    net = nn.Linear(5, 3)
    for loss in (
        nn.CrossEntropyLoss(weight=torch.tensor([1.0, 5.0, 10.0])),
        nn.NLLLoss(weight=torch.tensor([0.5, 2.0, 1.0])),
    ):
        model = (
            net if isinstance(loss, nn.CrossEntropyLoss) else nn.Sequential(net, nn.LogSoftmax(1))
        )
        with torch.no_grad():
            oracle = loss(model(X), y).item()  # torch's own: Σ w[y]·l / Σ w[y] over the 40
        batches = [(X[i : i + batch], y[i : i + batch]) for i in range(0, 40, batch)]
        assert evaluate(model, batches, loss)[0] == pytest.approx(oracle, rel=1e-6)


_W = torch.tensor([1.0, 2.0, 0.5, 3.0])


@pytest.mark.parametrize(
    ("keywords", "reduction"),
    [
        ({"reduce": False}, "none"),
        ({"size_average": False}, "sum"),
        ({"reduction": "sum", "size_average": True}, "mean"),
        ({"reduction": "none", "reduce": True}, "mean"),
    ],
    ids=["reduce=False", "size_average=False", "sum,size_average=True", "none,reduce=True"],
)
@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated")
def test_a_weighted_partial_reduced_by_torchs_legacy_keywords_is_its_loss_over_the_set(
    keywords: dict[str, object], reduction: str
) -> None:
    """class_weight read only the partial's reduction= keyword: reduce=False (one loss per example)
    was taken for a weighted mean and reported NaN (a DivergenceGuard stopped the run), and
    reduction="sum", size_average=True, torch's weighted mean, an unweighted one. The oracle: torch's own loss over the 60 examples, reduced as it says."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(60, 5, generator=gen), torch.randint(0, 4, (60,), generator=gen)
    net = nn.Linear(5, 4)
    loss = functools.partial(F.cross_entropy, weight=_W, **keywords)
    batches = _batches(X, y, 16)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    history = fit(
        net, batches, loss, updater, 2, test_iter=batches, callbacks=[DivergenceGuard(0.1)]
    )
    with torch.no_grad():
        whole = F.cross_entropy(net(X), y, weight=_W, reduction=reduction)
    oracle = whole.item() / 60 if reduction == "sum" else whole.mean().item()
    assert evaluate(net, batches, loss)[0] == pytest.approx(oracle, rel=1e-6)
    assert history.test_loss[-1] == pytest.approx(oracle, rel=1e-6)


def test_a_class_weighted_mean_whose_weights_are_all_zero_is_nan_as_torchs() -> None:
    X, y = torch.randn(6, 2), torch.zeros(6, dtype=torch.long)
    loss = nn.CrossEntropyLoss(weight=torch.tensor([0.0, 1.0]))
    with torch.no_grad():
        assert math.isnan(loss(nn.Linear(2, 2)(X), y).item())
    assert math.isnan(evaluate(nn.Linear(2, 2), [(X, y)], loss)[0])


@pytest.mark.parametrize("shape", ["(B,)", "(B, 1)"])
@pytest.mark.parametrize("label_dtype", [torch.int64, torch.int32, torch.uint8])
def test_evaluate_accuracy_counts_a_model_returning_predicted_labels_as_the_book_does(
    gen: torch.Generator, shape: str, label_dtype: torch.dtype
) -> None:
    """The book's evaluate_accuracy takes what its accuracy takes: a model of argmax labels too;
    it was refused as a regression whose targets should be y.float()."""
    X = torch.randn(23, 3, generator=gen)
    y = torch.randint(0, 4, (23,), generator=gen)
    scores = nn.Linear(3, 4)
    keep = shape == "(B, 1)"

    def labels(X: torch.Tensor) -> torch.Tensor:
        return scores(X).argmax(dim=1, keepdim=keep)

    data = _batches(X, y.to(label_dtype), 5)
    with torch.no_grad():
        expected = float((scores(X).argmax(dim=1) == y).double().mean())  # oracle: one pass
    assert evaluate_accuracy(labels, data) == pytest.approx(expected)
    assert evaluate(labels, data) == (None, pytest.approx(expected))
    assert d2l.evaluate_accuracy(labels, data) == pytest.approx(expected)


@pytest.mark.parametrize("training", [True, False])
def test_a_scratch_model_is_evaluated_in_eval_mode_and_left_in_its_own(training: bool) -> None:
    """A scratch model has no submodules to put back one by one: its own mode must be restored
    (the book's evaluate_accuracy leaves an nn.Module in eval mode; ours puts it back)."""
    seen: list[bool] = []
    net = SoftmaxRegressionScratch(3, 2, generator=torch.Generator().manual_seed(0))
    forward = net.forward

    def recording(X: torch.Tensor) -> torch.Tensor:
        seen.append(net.training)
        return forward(X)

    net.forward = recording  # type: ignore[method-assign]
    net.train(training)
    X, y = (
        torch.randn(5, 3, generator=torch.Generator().manual_seed(1)),
        torch.tensor([0, 1, 1, 0, 1]),
    )
    evaluate(net, [(X, y)], cross_entropy_logits)
    assert seen == [False] and net.training is training
    evaluate_accuracy(net, [(X, y)])
    assert seen == [False, False] and net.training is training


def test_evaluate_accuracy_refuses_regression_targets_rather_than_return_none() -> None:
    """Float targets have no accuracy: evaluate reports None for it, evaluate_accuracy (whose
    caller expects a ratio) names the cause and both fixes."""
    X, y = torch.randn(4, 2), torch.tensor([0.0, 1.0, 1.0, 0.0])
    net = nn.Linear(2, 2)
    assert evaluate(net, [(X, y)]) == (None, None)
    with pytest.raises(
        UsageError,
        match=r"^data_iter must yield integer class labels y for evaluate_accuracy, got a tensor "
        r"of shape \(4,\) and dtype torch\.float32 in its first batch: .*pass y\.long\(\).*"
        r"evaluate\(net, data_iter, loss\)$",
    ):
        evaluate_accuracy(net, [(X, y)])
    assert evaluate_accuracy(net, [(X, y.long())]) == pytest.approx(
        accuracy(net(X).detach(), y.long())
    )


def test_an_ignored_label_under_a_class_weighted_mean_loss_is_named_not_an_index_error() -> None:
    """nn.CrossEntropyLoss(weight=w) skips the label -100 without a word; evaluating with it failed
    the count of the batch's weights, w[y], in torch's words (IndexError "index -100 is out of
    bounds"); it is named as the unweighted loss names it."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 3, generator=gen), torch.tensor([0, 1, 2, -100, 1, 0, 2, 2])
    loss = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0, 0.5]))
    with pytest.raises(UsageError, match=r"^y must hold class indices in \[0, 3\), got -100, the loss's ignore_index"):  # fmt: skip
        evaluate(nn.Identity(), _batches(X, y, 4), loss)


class _LogShifted(nn.Module):
    """A model without parameters or buffers: scores log(x − 0.5), NaN on a pixel below 0.5."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.log(X.reshape(X.shape[0], -1)[:, :3] - 0.5)


_WEIGHTLESS_OWN = (
    f"{_NAN_HEAD}, though the features X of the first batch are finite and the model has no "
    "floating-point parameters or buffers: its own computation made the NaN there: an operation "
    "undefined on its "
    "inputs (log or sqrt of a negative value, 0 / 0), or an overflow (a softmax computed as "
    "exp(o) / exp(o).sum(1): exp of a score above ~88 is inf in float32, and inf / inf is NaN); "
    "find the operation by running the model's steps on that batch one at a time (a softmax: "
    "subtract each row's max before exp, o - o.max(dim=1, keepdim=True).values, or use "
    "linearnets.softmax)"
)


class _PickedColumns(nn.Module):
    """A model whose only buffer is integer: the columns it picks, then log(x − 0.5) as above."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("columns", torch.tensor([0, 1, 2]))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.log(X.reshape(X.shape[0], -1)[:, self.columns] - 0.5)


@pytest.mark.parametrize(
    "net",
    [_LogShifted(), nn.Sequential(nn.Flatten(), _LogShifted()), _PickedColumns()],
    ids=["own-module", "flatten-then-fixed-function", "integer-buffer"],
)
def test_a_model_without_weights_whose_first_batch_gives_nan_names_its_own_computation(
    net: nn.Module,
) -> None:
    """No weights can hold NaN, nor an lr have blown them up: on finite features the model's own
    computation made the NaN (it was "its weights or its inputs hold NaN (weights blow up when the
    lr is too large ...)"). NaN features are named as the inputs, the weights nowhere. An integer
    buffer is no weight, but a buffer: the model has no floating-point ones (it was told it had
    "no parameters or buffers")."""
    batches = _images()
    with pytest.raises(DivergenceError, match=f"^{re.escape(_WEIGHTLESS_OWN)}$") as info:
        evaluate_accuracy(net, batches)
    assert "weights" not in str(info.value) and "lr" not in str(info.value).split()
    batches[0][0][2, 0, 0, 0] = float("nan")
    with pytest.raises(DivergenceError) as info:
        evaluate(net, batches, nn.CrossEntropyLoss(reduction="none"))
    assert str(info.value) == (
        f"{_NAN_HEAD}: its inputs hold NaN or inf (1 value of the features X of the first batch, "
        f"in its example at position 2, counting from 0); {_FIND_IN_DATA}"
    )


def test_nan_weights_torch_does_not_list_are_named_from_the_models_own_parameters() -> None:
    """D2L 2nd edition's scratch model keeps W and b as plain tensors and overrides parameters():
    named_parameters() lists none, and its NaN W was "its weights or its inputs hold NaN", as
    though unknown. The tensors its parameters() returns are looked at: W is named outright, as
    an nn.Linear's weight is; with W and b finite, an overflow of its own softmax is told as one
    (it was the same "weights or inputs")."""
    net = BookScratch()
    with torch.no_grad():
        net.W[0, 0] = math.nan
    X = torch.rand(12, 4, generator=torch.Generator().manual_seed(1))
    with pytest.raises(DivergenceError, match=f"^{re.escape(_NAN_HEAD)}: its weights hold NaN or inf \\(W\\): weights blow up when the lr is too large \\(train again with a smaller one\\), or after a step on features that hold NaN or inf \\(check each batch with torch\\.isfinite\\(X\\)\\.all\\(\\)\\)$"):  # fmt: skip
        evaluate_accuracy(net, _batches(X, torch.arange(12) % 3, 4))

    class Naive(BookScratch):  # the book's softmax, exp(o) / exp(o).sum(1), on X W + b
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            X_exp = torch.exp(super().forward(X))
            return X_exp / X_exp.sum(1, keepdim=True)

    naive = Naive()
    with torch.no_grad():
        naive.W[:, 0] = 100.0  # class 0's score 100 · ΣX > 88 where ΣX > 0.9: exp is inf
    assert bool(naive(X).isnan().any())  # the oracle
    with pytest.raises(DivergenceError, match=f"^{re.escape(_NAN_HEAD)}, though its parameters and its inputs are finite: its own computation overflowed"):  # fmt: skip
        evaluate_accuracy(naive, _batches(X, torch.arange(12) % 3, 4))


class _Counting(nn.Module):
    """log(x − 0.5), counting its calls in an integer buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.log(X.reshape(X.shape[0], -1)[:, :3] - 0.5)


def test_the_look_at_nan_scores_leaves_the_models_buffers_as_the_pass_left_them() -> None:
    """evaluate_accuracy runs the 3 batches, then the look runs the model on the first once more:
    its call count ended at 4, not 3."""
    net = _Counting()
    with pytest.raises(DivergenceError, match=f"^{re.escape(_WEIGHTLESS_OWN)}$"):
        evaluate_accuracy(net, _images())
    assert int(net.calls) == 3


@pytest.mark.parametrize(
    ("targets", "fix"),
    [
        (lambda y: F.one_hot(y, 10).float(), r"\(B, C\) pass their classes, y\.argmax\(dim=1\)"),
        (lambda y: torch.softmax(torch.randn(len(y), 10), 1), r"y\.argmax\(dim=1\)"),
        (lambda y: y.float()[:, None], r"\(B, 1\) pass y\.squeeze\(1\)\.long\(\)"),
    ],
)
def test_evaluate_accuracy_tells_one_hot_targets_their_argmax_on_the_first_batch(
    targets: Callable[[torch.Tensor], torch.Tensor], fix: str
) -> None:
    """One-hot (B, C) targets were told to pass y.long(), which is refused again (and truncates
    soft labels to 0), after the whole set was evaluated: now their argmax, with the shape and
    dtype, before the model sees a second batch."""
    y = torch.randint(0, 10, (100,), generator=torch.Generator().manual_seed(0))
    X, Y = torch.randn(100, 784), targets(y)
    seen: list[int] = []
    net = nn.Linear(784, 10)
    net.register_forward_hook(lambda *_: seen.append(1))
    batches = [(X[:50], Y[:50]), (X[50:], Y[50:])]
    shape = tuple(Y[:50].shape)
    with pytest.raises(
        UsageError,
        match=rf"^data_iter must yield integer class labels y for evaluate_accuracy, got a tensor "
        rf"of shape {re.escape(str(shape))} and dtype torch\.float32 in its first batch: accuracy "
        rf"counts a classifier's right classes; for .*{fix}",
    ):
        evaluate_accuracy(net, batches)
    assert seen == []


def test_a_model_of_no_outputs_is_told_it_gives_no_class_scores() -> None:
    # it said "y must hold class indices in [0, 0), got 1": a range no label could be in
    X, y = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    empty = nn.Linear(3, 10)
    with torch.no_grad():
        empty.weight, empty.bias = nn.Parameter(torch.zeros(0, 3)), nn.Parameter(torch.zeros(0))
    with pytest.raises(
        UsageError,
        match=r"^y must hold class indices, but the model gives no class scores \(0 outputs per "
        r"example, e\.g\. nn\.Linear\(d, 0\)\); give it one output per class, e\.g\. nn\.Linear\(d, 10\)$",
    ):
        evaluate_accuracy(empty, [(X, y)])


def _labels_out_of_range_in_batch(number: int) -> tuple[nn.Linear, list[Batch]]:
    torch.manual_seed(0)
    X, y = torch.randn(8, 4), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    batches = [(X, y)] * 5
    batches[number - 1] = (X, y + 4)  # 4..7 for 4 outputs
    return nn.Linear(4, 4), batches


@pytest.mark.parametrize("number", [2, 5])
def test_a_direct_evaluate_accuracy_names_the_later_batch_its_labels_were_refused_at(
    number: int,
) -> None:
    """It said "y must hold class indices in [0, 4), got 7" with no batch, where float labels of
    a later batch say theirs and fit names test_iter's batch: the batch, as fit names it."""
    net, batches = _labels_out_of_range_in_batch(number)
    with pytest.raises(UsageError) as info:
        evaluate_accuracy(net, batches)
    assert str(info.value) == (
        f"data_iter's batch {number}: y must hold class indices in [0, 4), got 7; check the "
        f"labels match the model's number of outputs"
    )
    with pytest.raises(UsageError, match=rf"^data_iter's batch {number}: y must hold class "):
        evaluate(net, batches, nn.CrossEntropyLoss(reduction="none"))
    with pytest.raises(UsageError, match=rf"^data_iter's batch {number}: y must hold class "):
        d2l.evaluate_accuracy(net, batches)


def test_a_refusal_that_names_its_batch_already_is_not_told_it_twice() -> None:
    net, batches = _labels_out_of_range_in_batch(2)
    batches[1] = (batches[0][0], batches[0][1].float())
    with pytest.raises(
        UsageError, match=r"^y must be integer class labels in every batch .* in batch 2: "
    ):
        evaluate_accuracy(net, batches)
