"""One training step's error handling: a loss that raises is explained from its inputs (D2L §3.6.6)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.models.scratch import (
    LinearRegressionScratch,
    SoftmaxRegressionScratch,
    cross_entropy_logits,
)
from linearnets.training.step import (
    check_same_loss,
    explain_loss_error,
    raise_loss_error,
    train_step,
)

LABELS = torch.tensor([2, 0, 1, 2])


class NoUpdate:
    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        pass


def _loss_error(loss: nn.Module, y_hat: torch.Tensor, y: torch.Tensor) -> Exception:
    try:
        loss(y_hat, y)
    except Exception as err:  # the error under test, whatever torch raises
        return err
    raise AssertionError("the loss did not raise")


def test_an_error_the_inputs_do_not_explain_is_re_raised_unchanged() -> None:
    """Labels fine, the loss misconfigured (3 classes, 5 weights): torch's own error, the same object."""
    loss = nn.CrossEntropyLoss(weight=torch.ones(5), reduction="none")
    y_hat = torch.zeros(4, 3)
    err = _loss_error(loss, y_hat, LABELS)
    assert explain_loss_error(loss, y_hat, LABELS) is None
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined") as info:
        raise_loss_error(loss, y_hat, LABELS, err)
    assert info.value is err and info.value.__cause__ is None


def test_train_step_re_raises_an_unexplained_loss_error_as_torch_raised_it() -> None:
    net = nn.Linear(3, 3)
    loss = nn.CrossEntropyLoss(weight=torch.ones(5), reduction="none")
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined") as info:
        train_step(net, torch.zeros(4, 3), LABELS, loss, NoUpdate(), scale=0.25)
    assert not isinstance(info.value, UsageError)


def test_linearnets_own_errors_pass_through_unchanged() -> None:
    y = LABELS.float()
    with pytest.raises(UsageError) as raised:
        cross_entropy_logits(torch.zeros(4, 3), y)
    with pytest.raises(UsageError) as info:
        raise_loss_error(cross_entropy_logits, torch.zeros(4, 3), y, raised.value)
    assert info.value is raised.value


def test_a_function_loss_gets_the_same_explanation_as_torchs_module() -> None:
    """A function around F.cross_entropy (not an nn.Module) is diagnosed too."""

    def loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(y_hat, y, reduction="none")

    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 3\).*got 7") as info:
        train_step(nn.Linear(3, 3), torch.zeros(4, 3), LABELS + 5, loss, NoUpdate(), scale=0.25)
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, IndexError)


def test_a_model_returning_fewer_rows_than_labels_is_explained() -> None:
    """torch says "Expected input batch_size (2) to match target batch_size (4)"."""
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(
        UsageError,
        match=r"y must hold one label per row of the model's output: the output has shape "
        r"\(2, 3\), y has 4 rows; make the model return one row of scores per example",
    ) as info:
        train_step(lambda X: X[:2], torch.zeros(4, 3), LABELS, loss, NoUpdate(), scale=0.25)
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, ValueError)


def test_a_model_making_rows_of_each_example_is_told_to_check_the_image_size() -> None:
    """The book's X.reshape((-1, 784)) on 56×56 images: 3136 = 4 × 784 values, so 4 rows each."""
    loss = nn.CrossEntropyLoss(reduction="none")
    W = torch.zeros(4, 3)

    def net(X: torch.Tensor) -> torch.Tensor:
        return X.reshape(-1, 4) @ W

    with pytest.raises(
        UsageError,
        match=r"^y must hold one label per row of the model's output: the output has shape "
        r"\(8, 3\), y has 4 rows; the model made 2 rows of each example, as X\.reshape\(-1, d\) "
        r"does with 2·d values per example: check the image size \(resize\) and channels \(3 for "
        r"RGB\) match the model's input$",
    ):
        train_step(net, torch.zeros(4, 1, 2, 4), LABELS, loss, NoUpdate(), scale=0.25)


def test_a_model_returning_its_scores_transposed_is_told_so() -> None:
    """Scores (C, B) = (10, 4), one column per example: it said "the model made 2 rows of each
    example ... check the image size (resize)"."""
    loss = nn.CrossEntropyLoss(reduction="none")
    lin = nn.Linear(3, 10)
    with pytest.raises(UsageError) as info:
        train_step(lambda X: lin(X).T, torch.zeros(4, 3), LABELS, loss, NoUpdate(), scale=0.25)
    assert str(info.value) == (
        "y must hold one label per row of the model's output: the output has shape (10, 4), y "
        "has 4 rows; the output is transposed, (C, B) with one column per example: return it as "
        "(B, C) = (4, 10), e.g. o.T for the output o, or check the matmul order (X @ W, with X of "
        "shape (B, d) and W (d, C))"
    )


def test_a_torch_regression_loss_is_not_explained_as_class_labels() -> None:
    """MSELoss on (B, C) outputs and (B,) float targets is a regression mistake, not labels."""
    loss = nn.MSELoss(reduction="none")
    y_hat, y = torch.zeros(4, 3), torch.zeros(4)
    assert explain_loss_error(loss, y_hat, y) is None
    assert explain_loss_error(nn.CrossEntropyLoss(), y_hat, y) is not None


def test_class_probabilities_are_not_explained_as_labels() -> None:
    probs = torch.full((4, 3), 1 / 3, dtype=torch.float64)  # (B, C): whatever failed, not labels
    assert explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(4, 3), probs) is None


def test_an_analytic_model_explains_bad_labels_its_reporting_loss_raises_on() -> None:
    """analytic=True with torch's cross-entropy, which only reports: a batch with a label out of
    range is explained as for autograd, before any update (fit checks only the first batch)."""
    from linearnets.models.scratch import SoftmaxRegressionScratch

    net = SoftmaxRegressionScratch(
        num_inputs=3, num_outputs=3, analytic=True, generator=torch.Generator().manual_seed(0)
    )
    before = [p.detach().clone() for p in net.parameters()]
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(
        UsageError,
        match=r"^y must hold class indices in \[0, 3\) for the model's 3 outputs, got 3;",
    ) as info:
        train_step(net, torch.zeros(4, 3), torch.tensor([0, 3, 1, 2]), loss, NoUpdate(), scale=0.25)
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, IndexError)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_a_label_equal_to_the_number_of_classes_is_out_of_range() -> None:
    err = explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(4, 3), torch.tensor([0, 1, 2, 3]))
    assert isinstance(err, UsageError)
    assert str(err) == (
        "y must hold class indices in [0, 3) for the model's 3 outputs, got 3; relabel the "
        "classes 0..2, or give the model one output per class"
    )


def test_a_users_own_loss_module_is_explained_as_a_classification_loss() -> None:
    """Only torch's own regression losses are left alone: a user's nn.Module around
    F.cross_entropy gets the labels' explanation."""

    class SmoothedCrossEntropy(nn.Module):
        def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(y_hat, y, reduction="none", label_smoothing=0.1)

    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 3\).*got 7"):
        train_step(
            nn.Linear(3, 3),
            torch.zeros(4, 3),
            LABELS + 5,
            SmoothedCrossEntropy(),
            NoUpdate(),
            scale=0.25,
        )


def _function_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(y_hat, y, reduction="none")


@pytest.mark.parametrize(
    ("loss", "y_hat", "y"),
    [
        # labels fine, the loss misconfigured: torch's error stands, not a dtype lecture
        (nn.CrossEntropyLoss(weight=torch.ones(5)), torch.zeros(4, 3), LABELS.to(torch.uint8)),
        (_function_loss, torch.zeros(4, 3), LABELS.int()),  # only torch's losses need int64
        (_function_loss, torch.zeros(4, 1), torch.zeros(4)),  # one output: not class scores
        (nn.CrossEntropyLoss(), torch.zeros(4, 3), torch.tensor(1)),  # 0-d labels: no rows
    ],
    ids=["uint8-labels", "int32-function-loss", "one-output", "0-d-labels"],
)
def test_inputs_that_do_not_explain_the_error_give_none(
    loss: Any, y_hat: torch.Tensor, y: torch.Tensor
) -> None:
    assert explain_loss_error(loss, y_hat, y) is None


def test_empty_int32_labels_for_torchs_cross_entropy_are_explained() -> None:
    err = explain_loss_error(
        nn.CrossEntropyLoss(), torch.zeros(0, 3), torch.zeros(0, dtype=torch.int32)
    )
    assert str(err) == (
        "y must be int64 class indices for CrossEntropyLoss, got a tensor of shape (0,) and dtype "
        "torch.int32; use y.long()"
    )


def test_a_device_left_unusable_keeps_the_losss_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GPU's device-side assert makes reading the labels fail too: no explanation, torch's error."""
    y = LABELS + 5
    assert explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(4, 3), y) is not None

    def unusable(t: torch.Tensor) -> Any:
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(torch, "aminmax", unusable)
    assert explain_loss_error(nn.CrossEntropyLoss(), torch.zeros(4, 3), y) is None


def test_each_step_applies_only_its_own_batchs_gradient() -> None:
    """Two steps: the second must not add the first batch's gradient again (zero_grad each step);
    the oracle is the same two steps written out with torch.optim.SGD on loss.mean()."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5], [2.0, -1.0]])
    y = torch.tensor([0, 1, 1, 0])
    nets = [nn.Linear(2, 2) for _ in "ab"]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [torch.optim.SGD(n.parameters(), lr=0.1) for n in nets]
    for rows in (slice(0, 2), slice(2, 4)):
        opts[0].zero_grad()
        F.cross_entropy(nets[0](X[rows]), y[rows]).backward()
        opts[0].step()
        loss = nn.CrossEntropyLoss(reduction="none")
        train_step(nets[1], X[rows], y[rows], loss, opts[1], scale=0.5)
    for expected, got in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(got, expected)


# --- check_same_loss: a loss that is not the analytic model's own --------------------------------


def test_a_loss_that_differs_slightly_is_shown_with_numbers_that_differ() -> None:
    """A smoothed cross-entropy differs from the model's own by ~1e-3 on a loss of ~1.39: printed
    to 4 digits both read 1.388. The oracle: both means and the largest gap, by hand in float64."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 12, generator=gen), torch.randint(0, 4, (256,), generator=gen)
    net = SoftmaxRegressionScratch(12, 4, analytic=True, generator=gen)
    loss = nn.CrossEntropyLoss(reduction="none", label_smoothing=0.01)
    with torch.no_grad():
        given = loss(net(X), y).double()
        own = F.cross_entropy(net(X).double(), y, reduction="none")
    with pytest.raises(UsageError, match="differs on the first batch") as info:
        check_same_loss(net, loss, X, y)
    found = re.search(r"\(mean (\S+) against (\S+); largest difference (\S+)\)", str(info.value))
    assert found is not None, str(info.value)
    shown_given, shown_own, gap = found.groups()
    assert shown_given != shown_own  # visibly different
    assert float(shown_given) == pytest.approx(float(given.mean()), rel=1e-5)
    assert float(shown_own) == pytest.approx(float(own.mean()), rel=1e-5)
    assert float(gap) == pytest.approx(float((given - own).abs().max()), rel=1e-2)


class CountingUpdate(torch.optim.SGD):
    """torch's SGD, counting its steps."""

    steps = 0

    def step(self, closure: Any = None) -> Any:
        self.steps += 1
        return super().step(closure)


@pytest.mark.parametrize("analytic", [False, True], ids=["autograd", "analytic"])
def test_check_targets_refuses_integer_regression_targets_before_the_update(
    analytic: bool,
) -> None:
    """The loop asks it on an epoch's first step: the refusal once came after the update."""
    from linearnets.errors import UsageTypeError
    from linearnets.models.scratch import LinearRegressionScratch, squared_loss

    net = LinearRegressionScratch(2, generator=torch.Generator().manual_seed(0), analytic=analytic)
    updater = CountingUpdate(net.parameters(), lr=0.1)
    before = [p.detach().clone() for p in net.parameters()]
    X, y = torch.randn(4, 2), torch.tensor([[1], [0], [3], [2]])
    with pytest.raises(UsageTypeError, match=r"^y must be float targets for a regression \(the model gives one output per example, y_hat of shape \(4, 1\).*convert them with y\.float\(\)"):  # fmt: skip
        train_step(net, X, y, squared_loss, updater, scale=0.25, check_targets=True)
    assert updater.steps == 0
    assert all(torch.equal(a, p) for a, p in zip(before, net.parameters(), strict=True))
    train_step(net, X, y.float(), squared_loss, updater, scale=0.25, check_targets=True)
    assert updater.steps == 1  # float targets pass
    # unchecked (a later step's): the epoch's totals refuse it, after the update
    train_step(net, X, y, squared_loss, updater, scale=0.25)
    assert updater.steps == 2


# --- the gradient each kind of loss applies: the batch mean's ----------------------------------


def _one_step_oracle(
    net: nn.Module, X: torch.Tensor, Y: torch.Tensor, mean_loss: nn.Module
) -> list[torch.Tensor]:
    """The parameters after one torch.optim.SGD step on the loss's batch mean (reduction="mean")."""
    twin = nn.Linear(net.in_features, net.out_features)  # type: ignore[arg-type]
    twin.load_state_dict(net.state_dict())
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    mean_loss(twin(X), Y).backward()
    optimizer.step()
    return [p.detach() for p in twin.parameters()]


@pytest.mark.parametrize(
    "loss,mean_loss,targets",
    [
        (nn.CrossEntropyLoss(), nn.CrossEntropyLoss(), "labels"),  # 0-d: the batch mean already
        (nn.MSELoss(reduction="none"), nn.MSELoss(), "values"),  # (B, k): k = 3 values each
        (nn.CrossEntropyLoss(reduction="none"), nn.CrossEntropyLoss(), "labels"),  # (B,)
    ],
    ids=["0-d mean", "(B, k)", "(B,)"],
)
def test_a_step_applies_the_gradient_of_the_mean_over_all_loss_values(
    loss: nn.Module, mean_loss: nn.Module, targets: str
) -> None:
    """scale = 1/B is per example: a 0-d mean is scaled back up by B, a (B, k) loss's k values per
    example share it, so every kind of loss steps as loss.mean().backward() would. The oracle:
    torch.optim.SGD on the mean-reduced loss."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(6, 4, generator=gen)
    Y = (
        torch.randint(0, 3, (6,), generator=gen)
        if targets == "labels"
        else torch.randn(6, 3, generator=gen)
    )
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    expected = _one_step_oracle(net, X, Y, mean_loss)
    train_step(net, X, Y, loss, torch.optim.SGD(net.parameters(), lr=0.1), scale=1 / 6)
    for got, want in zip(net.parameters(), expected, strict=True):
        torch.testing.assert_close(got.detach(), want, rtol=1e-6, atol=1e-7)


def test_check_same_loss_takes_the_own_loss_reduced_to_its_mean_or_its_sum() -> None:
    """nn.CrossEntropyLoss() is the model's own loss averaged over the batch, and
    reduction="sum" its batch sum: the same loss, told apart (True: the sum, whose gradient the
    step applies). A batch of one, whose sum is its mean, tells nothing (None, the reduction
    aside: a later batch tells); a smoothed cross-entropy summed is neither: refused, both means
    shown."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 5, generator=gen), torch.randint(0, 3, (8,), generator=gen)
    net = SoftmaxRegressionScratch(5, 3, sigma=0.5, analytic=True, generator=gen)
    assert check_same_loss(net, nn.CrossEntropyLoss(), X, y) is False
    assert check_same_loss(net, cross_entropy_logits, X, y) is False
    assert check_same_loss(net, nn.CrossEntropyLoss(reduction="sum"), X, y) is True
    summed = lambda o, t: F.cross_entropy(o, t, reduction="sum")  # noqa: E731
    assert check_same_loss(net, summed, X, y) is True
    assert check_same_loss(net, nn.CrossEntropyLoss(reduction="sum"), X[:1], y[:1]) is None
    assert check_same_loss(net, nn.CrossEntropyLoss(), X[:1], y[:1]) is None
    smoothed = nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.3)
    with torch.no_grad():
        own_sum = F.cross_entropy(net(X), y, reduction="sum").item()
        smoothed_sum = smoothed(net(X), y).item()
    with pytest.raises(
        UsageError, match=r"own loss \(cross_entropy_logits, reduced to its batch mean or sum\)"
    ) as info:
        check_same_loss(net, smoothed, X, y)
    # beside the model's own sum, which the smoothed sum is nearer than its mean
    found = re.search(r"\(sum (\S+) against (\S+);", str(info.value))
    assert found is not None, str(info.value)
    assert float(found.group(1)) == pytest.approx(smoothed_sum, rel=1e-3)
    assert float(found.group(2)) == pytest.approx(own_sum, rel=1e-3)


def test_check_same_loss_refused_values_of_the_other_reduction_than_the_losss_or_decided() -> None:
    """nn.MSELoss()'s mean of r² is the sum of ½r² on a batch of two: values that tell a sum where
    its reduction says mean are refused, and so are values that tell the other reduction than an
    earlier batch decided; a class-weighted cross-entropy, whose weighted mean of one example
    is its own loss, is refused by its weights, on any batch (all weights one value pass)."""
    gen = torch.Generator().manual_seed(0)
    X, Y = torch.randn(2, 3, generator=gen), torch.randn(2, 1, generator=gen)
    linear = LinearRegressionScratch(3, analytic=True, generator=gen)
    with pytest.raises(UsageError, match=r"own loss \(squared_loss, reduced to its batch mean"):
        check_same_loss(linear, nn.MSELoss(), X, Y)
    doubled = lambda o, t: F.mse_loss(o, t)  # noqa: E731
    assert check_same_loss(linear, doubled, X, Y) is True  # on two examples, the sum of ½r²
    with pytest.raises(UsageError, match=r"own loss"):
        check_same_loss(linear, doubled, X, Y, decided=False)
    X, y = torch.randn(4, 5, generator=gen), torch.randint(0, 3, (4,), generator=gen)
    net = SoftmaxRegressionScratch(5, 3, sigma=0.5, analytic=True, generator=gen)
    weighted = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0]))
    for rows in (slice(0, 1), slice(0, 4)):  # its one example's value the model's own loss too
        with pytest.raises(UsageError, match=r"with class weights \[1, 2, 3\]"):
            check_same_loss(net, weighted, X[rows], y[rows])
    assert check_same_loss(net, nn.CrossEntropyLoss(weight=torch.ones(3)), X, y) is False


def test_check_same_loss_takes_float32_losses_near_0_that_differ_by_a_few_ulps() -> None:
    """In float32 torch's cross-entropy and the model's own differ by an ulp or two (~6e-8) on
    losses near 0: a batch of two whose torch mean came out as the model's own sum was refused
    as the other reduction (33 of 3000 such batches), and a confident model's summed
    cross-entropy of 256 examples over 100 classes, whose sum gathers 256 such roundings, was
    refused after 77 epochs. Neither is now: near 0 nothing is told, a sum is compared within
    B ulps."""
    gen = torch.Generator().manual_seed(0)
    net = SoftmaxRegressionScratch(10, 10, analytic=True, generator=gen)
    with torch.no_grad():
        net.W.copy_(torch.eye(10))
        net.b.zero_()
    for reduction in ("mean", "sum"):
        loss = nn.CrossEntropyLoss(reduction=reduction)
        for _ in range(1500):
            X, y = torch.randn(2, 10, generator=gen), torch.randint(0, 10, (2,), generator=gen)
            X[torch.arange(2), y] += float(torch.empty(()).uniform_(14, 20, generator=gen))
            assert check_same_loss(net, loss, X, y) in (None, reduction == "sum")
    C = 100
    X = torch.randn(256, C, generator=gen)
    y = X.argmax(1)
    X[torch.arange(256), y] += 16.0
    confident = SoftmaxRegressionScratch(C, C, analytic=True, generator=gen)
    with torch.no_grad():
        confident.W.copy_(torch.eye(C))
        confident.b.zero_()
    assert check_same_loss(confident, nn.CrossEntropyLoss(reduction="sum"), X, y) is True


def test_check_targets_refuses_a_loss_that_cannot_train_before_the_update() -> None:
    """nn.NLLLoss on raw scores (not log-probabilities) is unbounded below: the epoch's first step
    names it before any weight changes. The oracle for "cannot train": the scores reach above 0,
    where -score[y] has no minimum; the weights are compared with a copy taken before."""
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    X, y = torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
    with torch.no_grad():
        assert float(net(X).max()) > 0
    before = [p.detach().clone() for p in net.parameters()]
    updater = CountingUpdate(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageError, match=r"^nn\.NLLLoss takes log-probabilities .* unbounded below"
    ):
        train_step(net, X, y, nn.NLLLoss(reduction="none"), updater, scale=0.25, check_targets=True)
    assert updater.steps == 0
    assert all(torch.equal(a, p) for a, p in zip(before, net.parameters(), strict=True))


def test_check_same_loss_leaves_a_batch_that_cannot_tell_sum_from_mean_undecided() -> None:
    """A lambda's batch of one (its sum is its mean) and an empty batch say nothing: None, not
    "mean"; a torch loss's reduction says (True for "sum"). Near 0, where the sum and the mean
    both agree with the value within atol, their relative sizes tell the sum from the mean."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 5, generator=gen), torch.randint(0, 3, (8,), generator=gen)
    net = SoftmaxRegressionScratch(5, 3, sigma=0.5, analytic=True, generator=gen)
    summed = lambda o, t: F.cross_entropy(o, t, reduction="sum")  # noqa: E731
    assert check_same_loss(net, summed, X[:1], y[:1]) is None
    assert check_same_loss(net, summed, X[:0], y[:0]) is None
    assert check_same_loss(net, nn.CrossEntropyLoss(reduction="sum"), X[:0], y[:0]) is True
    net.double()
    with torch.no_grad():  # confident right answers: each loss ~3e-8
        net.W.zero_()
        net.b.zero_()
        net.W[0, 0] = 18.0
    Xc = torch.zeros(8, 5, dtype=torch.float64)
    Xc[:, 0] = 1.0
    yc = torch.zeros(8, dtype=torch.long)
    own = cross_entropy_logits(net(Xc), yc)
    assert 0 < float(own.sum()) < 1e-6  # both within atol 1e-6 of the sum
    assert check_same_loss(net, summed, Xc, yc) is True
    assert check_same_loss(net, lambda o, t: F.cross_entropy(o, t), Xc, yc) is False
