"""Softmax regression from scratch and concise (D2L §3.4–3.7), against torch and closed forms."""

from __future__ import annotations

import importlib
import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.models.concise import linreg_concise, softmax_concise
from linearnets.models.scratch import (
    SGD,
    SoftmaxRegressionScratch,
    cross_entropy,
    cross_entropy_logits,
    softmax,
    softmax_cross_entropy_grad,
)
from linearnets.training.loop import train_epoch

# rows where exp overflows float32 (and, for ±1000 and up, float64): the naive softmax gives inf/inf
EXTREME = [
    ([[1000.0, -1000.0, 0.0]], [[1.0, 0.0, 0.0]]),
    ([[-1e4, 1e4]], [[0.0, 1.0]]),
    ([[1e4, 1e4], [-1e4, -1e4]], [[0.5, 0.5], [0.5, 0.5]]),
    ([[1e4, -1e4, 1e4, -1e4]], [[0.5, 0.0, 0.5, 0.0]]),
]


def _naive_softmax(X: torch.Tensor) -> torch.Tensor:
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(dim=1, keepdim=True)


# --- softmax -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_equals_torch_and_rows_sum_to_one(dtype: torch.dtype, gen: torch.Generator) -> None:
    X = torch.randn(64, 10, generator=gen, dtype=dtype) * 5
    P = softmax(X)
    assert P.shape == X.shape and P.dtype == dtype
    torch.testing.assert_close(P, torch.softmax(X, dim=1))
    torch.testing.assert_close(P.sum(dim=1), torch.ones(64, dtype=dtype))
    assert bool((P > 0).all())


@pytest.mark.parametrize("logits,expected", EXTREME)
def test_softmax_is_finite_and_exact_on_extreme_logits(
    logits: list[list[float]], expected: list[list[float]]
) -> None:
    X = torch.tensor(logits)
    P = softmax(X)
    assert bool(torch.isfinite(P).all())
    torch.testing.assert_close(P, torch.tensor(expected), atol=1e-12, rtol=0)
    torch.testing.assert_close(P, torch.softmax(X, dim=1))
    # the contrast: the book's first softmax overflows to inf / inf
    assert bool(torch.isnan(_naive_softmax(X)).any())


def test_softmax_is_shift_invariant_closed_form() -> None:
    X = torch.tensor([[100.0, 101.0, 102.0]])  # exp(102) > float32's max (~3.4e38)
    e = [1.0, math.e, math.e**2]
    expected = torch.tensor([[v / sum(e) for v in e]])
    torch.testing.assert_close(softmax(X), expected)
    torch.testing.assert_close(softmax(X), softmax(torch.tensor([[0.0, 1.0, 2.0]])))
    assert bool(torch.isnan(_naive_softmax(X)).all())


def test_softmax_gradcheck_float64(gen: torch.Generator) -> None:
    X = torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(softmax, (X,))


# --- cross-entropy -------------------------------------------------------------------------------


def test_cross_entropy_equals_nll_of_log_probabilities(gen: torch.Generator) -> None:
    p = torch.softmax(torch.randn(32, 10, generator=gen), dim=1)
    y = torch.randint(0, 10, (32,), generator=gen)
    l = cross_entropy(p, y)
    assert l.shape == (32,)
    torch.testing.assert_close(l, F.nll_loss(torch.log(p), y, reduction="none"))


def test_cross_entropy_book_example() -> None:
    # D2L §3.6.3: y_hat = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], y = [0, 2] -> -log(0.1), -log(0.5)
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    l = cross_entropy(y_hat, torch.tensor([0, 2]))
    torch.testing.assert_close(l, torch.tensor([-math.log(0.1), -math.log(0.5)]))


def test_cross_entropy_of_an_underflowed_probability_is_finite() -> None:
    O = torch.tensor([[0.0, 200.0], [1.0, 0.0]], requires_grad=True)
    p = softmax(O)  # exp(-200) underflows float32: p[0, 0] is exactly 0
    assert p[0, 0].item() == 0.0
    assert torch.isinf(F.nll_loss(torch.log(p), torch.tensor([0, 0]), reduction="none")[0])
    l = cross_entropy(p, torch.tensor([0, 0]))
    assert bool(torch.isfinite(l).all())
    assert l[0].item() == pytest.approx(-math.log(torch.finfo(torch.float32).tiny), rel=1e-6)
    l.sum().backward()
    assert O.grad is not None and bool(torch.isfinite(O.grad).all())


@pytest.mark.parametrize(
    "y_hat,value,row",
    [
        ([[2.5, 0.1, -1.0], [0.2, 0.3, 0.5]], r"2\.5", 0),  # logits: −log 2.5 < 0
        ([[0.2, 0.3, 0.5], [0.1, 0.2, -0.7]], r"-0\.7", 1),
        ([[0.2, 0.3, 0.5], [0.1, 0.2, math.nan]], r"nan", 1),
    ],
    ids=["logit-above-1", "negative", "nan"],
)
def test_cross_entropy_refuses_values_that_are_not_probabilities(
    y_hat: list[list[float]], value: str, row: int
) -> None:
    """Logits handed to the book's cross_entropy gave negative losses, silently."""
    with pytest.raises(
        UsageError,
        match=rf"y_hat must be probabilities \(rows of softmax outputs, in \[0, 1\]\), got {value} "
        rf"for the true class of row {row} .*pass softmax\(O\), or use cross_entropy_logits\(O, y\)",
    ):
        cross_entropy(torch.tensor(y_hat), torch.tensor([0, 2]))


def test_cross_entropy_checks_only_the_true_class_and_allows_rounding_above_one() -> None:
    # a value > 1 in another class is not read; a softmax rounded a few ulps above 1 is a probability
    y_hat = torch.tensor([[5.0, 1.0 + 4e-7], [0.0, 1.0]], dtype=torch.float32)
    l = cross_entropy(y_hat, torch.tensor([1, 1]))
    assert l.shape == (2,) and bool((l.abs() < 1e-6).all())
    assert cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64)).shape == (0,)


def test_cross_entropy_of_probabilities_still_backpropagates_float64(gen: torch.Generator) -> None:
    O = torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 5, (4,), generator=gen)
    assert torch.autograd.gradcheck(lambda O: cross_entropy(softmax(O), y), (O,))
    cross_entropy(softmax(O), y).sum().backward()
    assert O.grad is not None
    torch.testing.assert_close(O.grad, softmax_cross_entropy_grad(O.detach(), y))


def _laid_out(O: torch.Tensor, layout: str) -> torch.Tensor:
    """Return ``O`` (B, C) as rows (contiguous) or as columns: a view of a contiguous (C, B) tensor,
    the scratch model's layout, which ``cross_entropy_logits`` reduces along the other dimension."""
    if layout == "rows":
        return O
    T = O.detach().T.contiguous()  # (C, B)
    assert T.T.stride() == (1, O.shape[0])
    return T.requires_grad_(O.requires_grad).T


LAYOUTS = ["rows", "columns"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cross_entropy_logits_equals_torch(
    dtype: torch.dtype, layout: str, gen: torch.Generator
) -> None:
    O = _laid_out(torch.randn(32, 10, generator=gen, dtype=dtype) * 3, layout)
    y = torch.randint(0, 10, (32,), generator=gen)
    l = cross_entropy_logits(O, y)
    assert l.shape == (32,) and l.dtype == dtype
    torch.testing.assert_close(l, F.cross_entropy(O, y, reduction="none"))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cross_entropy_logits_is_finite_at_extreme_logits(dtype: torch.dtype, layout: str) -> None:
    O = torch.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    y = torch.tensor([0, 1, 2])
    O = _laid_out(O.requires_grad_(), layout)
    O.retain_grad()
    l = cross_entropy_logits(O, y)
    # closed forms: a sure right answer costs 0, a sure wrong one costs the logit gap
    expected = torch.tensor([0.0, 2e4, math.log(3)], dtype=dtype)
    ulp = 1e4 * torch.finfo(dtype).eps  # o_y − logsumexp cancels two numbers of size 1e4
    torch.testing.assert_close(l.detach(), expected, atol=ulp, rtol=0)
    torch.testing.assert_close(l.detach(), F.cross_entropy(O.detach(), y, reduction="none"))
    l.sum().backward()
    assert O.grad is not None and bool(torch.isfinite(O.grad).all())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cross_entropy_logits_gradcheck_float64(layout: str, gen: torch.Generator) -> None:
    O = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    T = O.T.contiguous().requires_grad_()  # (5, 4)
    y = torch.tensor([0, 4, 2, 2])
    # differentiate through the layout: gradcheck perturbs the leaf, the loss sees the (B, C) view
    if layout == "rows":
        assert torch.autograd.gradcheck(lambda O: cross_entropy_logits(O, y), (O.requires_grad_(),))
    else:
        assert torch.autograd.gradcheck(lambda T: cross_entropy_logits(T.T, y), (T,))


# --- the analytic gradient -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_analytic_gradient_equals_autograd(dtype: torch.dtype, gen: torch.Generator) -> None:
    O = (torch.randn(16, 10, generator=gen, dtype=dtype) * 4).requires_grad_()
    y = torch.randint(0, 10, (16,), generator=gen)
    cross_entropy_logits(O, y).sum().backward()
    G = softmax_cross_entropy_grad(O.detach(), y)
    assert G.shape == O.shape
    torch.testing.assert_close(G, O.grad)
    torch.testing.assert_close(G.sum(dim=1), torch.zeros(16, dtype=dtype), atol=1e-6, rtol=0)


def test_analytic_gradient_equals_central_differences(gen: torch.Generator) -> None:
    O = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    y = torch.tensor([1, 3, 0])
    h = 1e-6
    numeric = torch.zeros_like(O)
    for i in range(3):
        for j in range(4):
            plus, minus = O.clone(), O.clone()
            plus[i, j] += h
            minus[i, j] -= h
            diff = cross_entropy_logits(plus, y).sum() - cross_entropy_logits(minus, y).sum()
            numeric[i, j] = diff / (2 * h)
    torch.testing.assert_close(softmax_cross_entropy_grad(O, y), numeric, atol=1e-8, rtol=1e-6)


def test_analytic_gradient_leaves_its_input_alone(gen: torch.Generator) -> None:
    O = torch.randn(5, 3, generator=gen)
    before = O.clone()
    softmax_cross_entropy_grad(O, torch.tensor([0, 1, 2, 0, 1]))
    assert torch.equal(O, before)


# --- the scratch model ---------------------------------------------------------------------------


@pytest.mark.parametrize("analytic", [False, True])
def test_scratch_initialisation_matches_the_book(analytic: bool, gen: torch.Generator) -> None:
    net = SoftmaxRegressionScratch(generator=gen, analytic=analytic)
    assert net.W.shape == (784, 10) and net.b.shape == (10,)
    assert net.W.std().item() == pytest.approx(0.01, rel=0.05)
    assert net.W.mean().item() == pytest.approx(0.0, abs=0.001)
    assert torch.equal(net.b, torch.zeros(10))
    assert [p.requires_grad for p in net.parameters()] == [not analytic, not analytic]
    assert [name for name, _ in net.named_parameters()] == ["W", "b"]


def test_scratch_accepts_images_and_flat_rows(gen: torch.Generator) -> None:
    net = SoftmaxRegressionScratch(generator=gen)
    images = torch.rand(6, 1, 28, 28, generator=gen)
    O = net(images)
    assert O.shape == (6, 10)
    torch.testing.assert_close(O, net(images.reshape(6, 784)))
    torch.testing.assert_close(O, images.reshape(6, 784) @ net.W + net.b)
    assert net(torch.zeros(0, 784)).shape == (0, 10)  # an empty data-parallel shard


def test_zero_weights_give_loss_log_num_classes(gen: torch.Generator) -> None:
    net = SoftmaxRegressionScratch(sigma=0.0)
    X = torch.randn(37, 1, 28, 28, generator=gen) * 100
    y = torch.randint(0, 10, (37,), generator=gen)
    l = cross_entropy_logits(net(X), y)
    # uniform probabilities 1/10 for every class: the loss of pure guessing
    torch.testing.assert_close(l, torch.full((37,), math.log(10)), atol=0, rtol=1e-7)
    torch.testing.assert_close(cross_entropy(softmax(net(X)), y), l)


def _set_params(net: SoftmaxRegressionScratch, W: torch.Tensor, b: torch.Tensor) -> None:
    net.W = W.detach().clone().requires_grad_(not net.analytic)
    net.b = b.detach().clone().requires_grad_(not net.analytic)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_analytic_backward_equals_autograd_of_the_mean(
    dtype: torch.dtype, gen: torch.Generator
) -> None:
    W = torch.randn(784, 10, generator=gen, dtype=dtype)
    b = torch.randn(10, generator=gen, dtype=dtype)
    X = torch.rand(8, 1, 28, 28, generator=gen, dtype=dtype)
    y = torch.randint(0, 10, (8,), generator=gen)
    auto, analytic = SoftmaxRegressionScratch(), SoftmaxRegressionScratch(analytic=True)
    _set_params(auto, W, b)
    _set_params(analytic, W, b)
    cross_entropy_logits(auto(X), y).mean().backward()
    analytic.analytic_backward(X, analytic(X), y, scale=1 / 8)
    torch.testing.assert_close(analytic.W.grad, auto.W.grad)
    torch.testing.assert_close(analytic.b.grad, auto.b.grad)
    assert not analytic.W.requires_grad and analytic.W.grad.dtype == dtype


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("weight_scale", [1.0, 1e3])  # 1e3: logits of ±1e4, exp overflows unshifted
def test_analytic_step_equals_forward_loss_and_autograd(
    dtype: torch.dtype, weight_scale: float, gen: torch.Generator
) -> None:
    W = torch.randn(784, 10, generator=gen, dtype=dtype) * weight_scale
    b = torch.randn(10, generator=gen, dtype=dtype)
    X = torch.rand(13, 1, 28, 28, generator=gen, dtype=dtype)
    y = torch.randint(0, 10, (13,), generator=gen)
    auto, analytic = SoftmaxRegressionScratch(), SoftmaxRegressionScratch(analytic=True)
    _set_params(auto, W, b)  # row-major W: the fused step does not rely on the column-major layout
    _set_params(analytic, W, b)
    O, l = analytic.analytic_step(X, y, scale=1 / 13)
    # the oracle: torch's own linear layer and cross-entropy, differentiated by autograd
    O_ref = F.linear(X.reshape(13, 784), W.T, b)
    l_ref = F.cross_entropy(O_ref, y, reduction="none")
    # float32 sums of 784 products differ with the summation order: allow for it, scaled to the logits
    tol = {"rtol": 1e-4, "atol": 3e-5 * weight_scale} if dtype == torch.float32 else {}
    torch.testing.assert_close(O, O_ref, **tol)
    torch.testing.assert_close(l, l_ref, **tol)
    assert torch.isfinite(l).all()
    cross_entropy_logits(auto(X), y).mean().backward()
    torch.testing.assert_close(analytic.W.grad, auto.W.grad)
    torch.testing.assert_close(analytic.b.grad, auto.b.grad)


def test_analytic_step_rejects_bad_labels(gen: torch.Generator) -> None:
    net = SoftmaxRegressionScratch(analytic=True, generator=gen)
    X = torch.rand(4, 784, generator=gen)
    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 10\), got 10"):
        net.analytic_step(X, torch.tensor([0, 1, 2, 10]), scale=0.25)
    with pytest.raises(
        UsageError, match=r"y must hold one label per row of X: X has 4 rows, y has 3"
    ):
        net.analytic_step(X, torch.tensor([0, 1, 2]), scale=0.25)
    with pytest.raises(UsageError, match=r"X has 1 row, y has 2; pass labels of shape \(1,\)"):
        net.analytic_step(X[:1], torch.tensor([0, 1]), scale=1.0)
    assert net.W.grad is None and net.b.grad is None  # a rejected step writes no gradient


def test_labels_are_range_checked_first_where_gather_does_not(monkeypatch, gen) -> None:  # type: ignore[no-untyped-def]
    """Where a gather does not raise for a bad index (a GPU), the labels are checked before it."""
    # the package re-exports the function softmax under the submodule's name: fetch the module itself
    module = importlib.import_module("linearnets.models.scratch.softmax")

    def no_gather(*args: object) -> None:
        raise AssertionError("the labels reached the gather unchecked")

    monkeypatch.setattr(module, "_gather_checks_range", lambda t: False)
    monkeypatch.setattr(module, "_pick", no_gather)
    net = SoftmaxRegressionScratch(analytic=True, generator=gen)
    X, y = torch.rand(2, 784, generator=gen), torch.tensor([0, 10])
    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 10\), got 10"):
        net.analytic_step(X, y, scale=0.5)
    with pytest.raises(UsageError, match=r"got 10"):
        cross_entropy_logits(net(X), y)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16, torch.int32])
def test_any_integer_labels_work_like_int64(dtype: torch.dtype, gen: torch.Generator) -> None:
    X = torch.rand(6, 784, generator=gen)
    y = torch.tensor([0, 9, 3, 3, 1, 7])
    net = SoftmaxRegressionScratch(generator=gen)
    O = net(X)
    torch.testing.assert_close(cross_entropy_logits(O, y.to(dtype)), cross_entropy_logits(O, y))
    # the book's picking form and the explicit gradient too (uint8 must not index as a mask)
    P = softmax(O.detach())
    torch.testing.assert_close(cross_entropy(P, y.to(dtype)), cross_entropy(P, y))
    torch.testing.assert_close(
        softmax_cross_entropy_grad(O.detach(), y.to(dtype)),
        softmax_cross_entropy_grad(O.detach(), y),
    )
    analytic = SoftmaxRegressionScratch(analytic=True)
    _set_params(analytic, net.W.detach(), net.b.detach())
    _, l = analytic.analytic_step(X, y.to(dtype), scale=1 / 6)
    W_grad = analytic.W.grad
    _, l_ref = analytic.analytic_step(X, y, scale=1 / 6)
    torch.testing.assert_close(l, l_ref)
    torch.testing.assert_close(W_grad, analytic.W.grad)


# --- concise -------------------------------------------------------------------------------------


def test_concise_is_flatten_then_linear(gen: torch.Generator) -> None:
    net = softmax_concise(generator=gen)
    assert isinstance(net, nn.Sequential) and len(net) == 2
    assert isinstance(net[0], nn.Flatten) and isinstance(net[1], nn.Linear)
    assert (net[1].in_features, net[1].out_features) == (784, 10)
    assert net[1].weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.equal(net[1].bias, torch.zeros(10))
    X = torch.rand(4, 1, 28, 28, generator=gen)
    torch.testing.assert_close(net(X), X.reshape(4, 784) @ net[1].weight.T + net[1].bias)


def test_concise_seeded_twice_is_identical() -> None:
    a = softmax_concise(generator=torch.Generator().manual_seed(3))
    b = softmax_concise(generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[1].weight, b[1].weight)
    # the weights are the generator's first normal draws, times 0.01: nothing drawn before them
    expected = torch.empty(10, 784).normal_(0.0, 0.01, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[1].weight, expected)
    assert a[1].weight.requires_grad and a[1].bias.requires_grad


@pytest.mark.parametrize("build", [lambda g: softmax_concise(generator=g), lambda g: linreg_concise(2, generator=g)], ids=["softmax", "linreg"])  # fmt: skip
def test_a_seeded_concise_model_leaves_the_global_generator_alone(build: Any) -> None:
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    build(torch.Generator().manual_seed(0))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "reduction,ours",
    [
        ("none", lambda l: l),
        ("mean", lambda l: l.mean()),
        ("sum", lambda l: l.sum()),
    ],
)
def test_cross_entropy_loss_reductions_match_ours(  # type: ignore[no-untyped-def]
    reduction: str, ours, gen: torch.Generator
) -> None:
    net = softmax_concise(generator=gen)
    X = torch.rand(20, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (20,), generator=gen)
    O = net(X)
    torch.testing.assert_close(
        nn.CrossEntropyLoss(reduction=reduction)(O, y), ours(cross_entropy_logits(O, y))
    )


# --- scratch, analytic and concise follow one trajectory -----------------------------------------


def _batches(gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    X = torch.rand(512, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (512,), generator=gen)
    return [(X[i : i + 64], y[i : i + 64]) for i in range(0, 512, 64)]


def test_scratch_and_concise_follow_the_same_trajectory(gen: torch.Generator) -> None:
    batches = _batches(gen)
    scratch = SoftmaxRegressionScratch(generator=gen)
    concise = softmax_concise()
    with torch.no_grad():
        concise[1].weight.copy_(scratch.W.T)  # nn.Linear stores (out, in)
    loss_s, acc_s = train_epoch(
        scratch, batches, cross_entropy_logits, SGD(scratch.parameters(), lr=0.1)
    )
    loss_c, acc_c = train_epoch(
        concise,
        batches,
        nn.CrossEntropyLoss(reduction="none"),
        torch.optim.SGD(concise.parameters(), lr=0.1),
    )
    assert not torch.equal(scratch.b, torch.zeros(10))  # it did move
    torch.testing.assert_close(concise[1].weight, scratch.W.T, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(concise[1].bias, scratch.b, atol=1e-6, rtol=1e-5)
    assert loss_s == pytest.approx(loss_c, rel=1e-5)
    assert acc_s == acc_c


def test_analytic_and_autograd_follow_the_same_trajectory(gen: torch.Generator) -> None:
    batches = _batches(gen)
    auto = SoftmaxRegressionScratch(generator=torch.Generator().manual_seed(1))
    analytic = SoftmaxRegressionScratch(generator=torch.Generator().manual_seed(1), analytic=True)
    assert torch.equal(auto.W, analytic.W)
    results = [
        train_epoch(net, batches, cross_entropy_logits, SGD(net.parameters(), lr=0.1))
        for net in (auto, analytic)
    ]
    torch.testing.assert_close(analytic.W, auto.W.detach(), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(analytic.b, auto.b.detach(), atol=1e-6, rtol=1e-5)
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)


# --- bad input, as data --------------------------------------------------------------------------


def _logits() -> torch.Tensor:
    return torch.zeros(4, 3)


BAD_INPUT = [
    (
        lambda: cross_entropy_logits(_logits(), torch.tensor([0, 1, 2, 3])),
        UsageError,
        r"y must hold class indices in \[0, 3\), got 3",
    ),
    (
        lambda: cross_entropy_logits(_logits(), torch.tensor([0, -1, 2, 0])),
        UsageError,
        r"y must hold class indices in \[0, 3\), got -1",
    ),
    (  # the scratch model's layout: (B, C) logits that are a view of a contiguous (C, B) tensor
        lambda: cross_entropy_logits(torch.zeros(3, 4).T, torch.tensor([0, 1, 2, 3])),
        UsageError,
        r"y must hold class indices in \[0, 3\), got 3",
    ),
    (
        lambda: SoftmaxRegressionScratch(analytic=True).analytic_step(
            torch.zeros(2, 784), torch.tensor([-1, 0], dtype=torch.int32), scale=0.5
        ),
        UsageError,
        r"y must hold class indices in \[0, 10\), got -1",
    ),
    (
        lambda: SoftmaxRegressionScratch(analytic=True).analytic_step(
            torch.zeros(2, 784), torch.tensor([0.0, 1.0]), scale=0.5
        ),
        TypeError,
        r"y must be an integer tensor of class indices",
    ),
    (
        lambda: cross_entropy(softmax(_logits()), torch.tensor([0, -1, 2, 0])),
        UsageError,
        r"y must hold class indices in \[0, 3\), got -1",
    ),
    (
        lambda: softmax_cross_entropy_grad(_logits(), torch.tensor([0, 1, 2, 9])),
        UsageError,
        r"class indices in \[0, 3\), got 9",
    ),
    (
        lambda: cross_entropy_logits(_logits(), torch.tensor([0.0, 1.0, 2.0, 0.0])),
        TypeError,
        r"y must be an integer tensor of class indices.*y\.long\(\)",
    ),
    (
        lambda: cross_entropy_logits(_logits(), torch.tensor([True, False, True, False])),
        TypeError,
        r"integer tensor of class indices",
    ),
    (  # one-hot labels (B, C) where indices (B,) are expected
        lambda: cross_entropy_logits(_logits(), torch.eye(3, dtype=torch.int64)[[0, 1, 2, 0]]),
        UsageError,
        r"y must be 1-dimensional \(B,\).*y\.argmax\(dim=1\) \(one-hot rows to class indices\)",
    ),
    (  # logits (B,) where (B, C) is expected: one score per example, the book's X @ w
        lambda: cross_entropy_logits(torch.zeros(4), torch.tensor([0, 1, 2, 0])),
        UsageError,
        r"^a classifier's output must be scores of shape \(B, C\), one per class, got shape "
        r"\(4,\) for 4 labels: .*or a weight W of shape \(d, C\), not a vector \(d,\)$",
    ),
    (  # arguments swapped
        lambda: cross_entropy_logits(torch.tensor([0, 1, 2, 0]), _logits()),
        TypeError,
        r"^cross_entropy_logits takes the model's outputs O \(B, C\) first, .* the arguments are "
        r"in the wrong order; call cross_entropy_logits\(O, y\)",
    ),
    (
        lambda: cross_entropy(torch.zeros(4, 3, dtype=torch.int64), torch.tensor([0, 1, 2, 0])),
        TypeError,
        r"y_hat must be a floating-point tensor",
    ),
    (
        lambda: cross_entropy_logits(_logits(), torch.tensor([0, 1, 2])),
        UsageError,
        r"one label per row of O: O has 4 rows, y has 3",
    ),
    (
        lambda: cross_entropy_logits(_logits()[:1], torch.tensor([0, 1])),
        UsageError,
        r"one label per row of O: O has 1 row, y has 2",
    ),
    (
        lambda: cross_entropy(softmax(_logits()), torch.tensor([0, 1, 2, 0, 1])),
        UsageError,
        r"one label per row of y_hat",
    ),
    (lambda: softmax(torch.zeros(3)), UsageError, r"X must be 2-dimensional"),
    (lambda: softmax(torch.zeros(2, 3, 4)), UsageError, r"X must be 2-dimensional"),
    (lambda: softmax([[0.0, 1.0]]), TypeError, r"X must be a torch.Tensor"),
    (
        lambda: SoftmaxRegressionScratch()(torch.zeros(4, 10)),
        UsageError,
        r"X must hold 784 features per example.*got shape \(4, 10\)",
    ),
    (
        lambda: SoftmaxRegressionScratch()(torch.zeros(4, 1, 32, 32)),
        UsageError,
        r"784 features",
    ),
    (
        lambda: SoftmaxRegressionScratch()(torch.zeros(784)),
        UsageError,
        r"784 features",
    ),
    (
        lambda: SoftmaxRegressionScratch()(torch.zeros(4, 1, 28, 28, dtype=torch.uint8)),
        TypeError,
        r"X must be a floating-point tensor.*X\.float\(\) / 255",
    ),
    (lambda: SoftmaxRegressionScratch(0), UsageError, r"num_inputs must be a positive integer"),
    (
        lambda: SoftmaxRegressionScratch(784, 1.5),  # type: ignore[arg-type]
        TypeError,
        r"num_outputs must be a positive integer",
    ),
    (
        lambda: SoftmaxRegressionScratch().load_state_dict({"W": torch.zeros(784, 10)}),
        UsageError,
        r"exactly the parameters",
    ),
    (
        lambda: SoftmaxRegressionScratch().load_state_dict(
            {"W": torch.zeros(10, 784), "b": torch.zeros(10)}
        ),
        UsageError,
        r"state_dict\['W'\] must have shape \(784, 10\)",
    ),
    (lambda: softmax_concise(0), UsageError, r"num_inputs must be a positive integer"),
    (
        lambda: SoftmaxRegressionScratch(sigma=-0.01),
        UsageError,
        r"sigma must be a finite number >= 0, got -0\.01; pass e\.g\. sigma=0\.01",
    ),
    (
        lambda: SoftmaxRegressionScratch(generator=0),  # type: ignore[arg-type]
        TypeError,
        r"generator must be a torch\.Generator or None, got 0",
    ),
    (  # a truthy string is not a yes
        lambda: SoftmaxRegressionScratch(analytic="no"),  # type: ignore[arg-type]
        TypeError,
        r"analytic must be True or False, got 'no'",
    ),
    (  # one feature per example still needs the batch dimension: (B,) is not (B, 1)
        lambda: SoftmaxRegressionScratch(1, 3)(torch.zeros(5)),
        UsageError,
        r"X must hold 1 feature per example.*got shape \(5,\)",
    ),
    (  # one example's 784 features, not a batch: the reshape to a batch of one, not "check the data"
        lambda: SoftmaxRegressionScratch()(torch.rand(784)),
        UsageError,
        r"X must hold 784 features per example, e\.g\. shape \(B, 784\) or \(B, 1, 28, 28\), got "
        r"shape \(784,\); for one example of its 784 features use X\.reshape\(1, -1\), a batch of one$",
    ),
    (  # one example of one feature: the singular, not "its 1 features"
        lambda: SoftmaxRegressionScratch(1, 3)(torch.zeros(1)),
        UsageError,
        r"got shape \(1,\); for one example of its 1 feature use X\.reshape\(1, -1\), a batch of one$",
    ),
    (
        lambda: SoftmaxRegressionScratch()(torch.zeros(2, 784, dtype=torch.float64)),
        TypeError,
        r"X must have the model's dtype torch\.float32, got torch\.float64; .*X\.to\(torch\.float32\)",
    ),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        call()


CONCISE_BAD_INPUT = [
    (
        lambda: softmax_concise()(torch.rand(4, 1, 32, 32)),
        UsageError,
        r"X must hold 784 features per example",
    ),
    (
        lambda: softmax_concise()(torch.zeros(4, 784, dtype=torch.uint8)),
        TypeError,
        r"floating-point.*255",
    ),
    (
        lambda: softmax_concise()(torch.rand(784)),
        UsageError,
        r"got shape \(784,\); for one example of its 784 features use X\.reshape\(1, -1\), a batch "
        r"of one$",
    ),
]


@pytest.mark.parametrize("call,error,pattern", CONCISE_BAD_INPUT)
def test_concise_rejects_bad_input(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize(
    ("dtype", "accepted", "refused"),
    [
        # 8 ulps above 1 where an ulp is coarse; at least 1e-6 where it is fine
        (torch.float16, 1 + 8 * 2.0**-10, 1 + 9 * 2.0**-10),
        (torch.float32, 1 + 8 * 2.0**-23, 1 + 9 * 2.0**-23),
        (torch.float64, 1 + 1e-6, 1 + 2e-6),
    ],
)
def test_cross_entropy_allows_rounding_above_one_up_to_its_edge(
    dtype: torch.dtype, accepted: float, refused: float
) -> None:
    y = torch.tensor([0])
    l = cross_entropy(torch.tensor([[accepted, 0.0]], dtype=dtype), y)
    assert float(l) == pytest.approx(-math.log(accepted), rel=1e-2)
    with pytest.raises(UsageError, match=r"y_hat must be probabilities .* row 0 \(logits\?"):
        cross_entropy(torch.tensor([[refused, 0.0]], dtype=dtype), y)


def test_cross_entropy_names_the_first_row_past_the_tolerance() -> None:
    """A row rounded just above 1 is a probability: the row named is the one that is not."""
    y_hat = torch.tensor([[0.0, 1.0 + 2.0**-23], [0.0, 1.5], [0.0, 3.0]])
    with pytest.raises(UsageError, match=r"got 1\.5 for the true class of row 1 "):
        cross_entropy(y_hat, torch.tensor([1, 1, 1]))


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (math.nan, "NaN: the model's outputs hold NaN (diverged weights? lower the lr)"),
        (-0.25, "logits? they give negative or meaningless losses"),
    ],
    ids=["nan", "negative"],
)
def test_cross_entropy_says_why_a_value_is_no_probability(value: float, why: str) -> None:
    with pytest.raises(UsageError) as info:
        cross_entropy(torch.tensor([[0.5, 0.5], [0.5, value]]), torch.tensor([0, 1]))
    assert str(info.value) == (
        f"y_hat must be probabilities (rows of softmax outputs, in [0, 1]), got {value:.6g} for "
        f"the true class of row 1 ({why}); pass softmax(O), or use cross_entropy_logits(O, y) on "
        "the logits O"
    )


def test_a_value_just_past_the_tolerance_is_shown_as_it_is() -> None:
    """Not rounded to "got 1", which would read as a valid probability."""
    with pytest.raises(UsageError, match=r"got 1\.0000012 for the true class of row 0"):
        cross_entropy(torch.tensor([[1.0000012, 0.0]]), torch.tensor([0]))


@pytest.mark.parametrize(
    ("num_inputs", "shape", "example"),
    [
        (196, (3, 1, 28, 28), "(B, 1, 14, 14)"),  # a resize=14 model fed 28×28 images
        (784, (3, 1, 32, 32), "(B, 1, 28, 28)"),
        (2, (4, 5), "(B, 1, H, W) with H·W = 2"),  # 2 is no square: no concrete image size
    ],
    ids=["resized", "default", "not-square"],
)
def test_shape_error_offers_an_image_shape_that_fits_num_inputs(
    num_inputs: int, shape: tuple[int, ...], example: str
) -> None:
    """The example shape must itself hold num_inputs pixels, not a fixed 28×28."""
    with pytest.raises(UsageError) as info:
        SoftmaxRegressionScratch(num_inputs)(torch.zeros(shape))
    # images of another size come from another resize; rows of features from other data
    fix = "image size (resize)" if len(shape) == 4 else "data"
    assert str(info.value) == (
        f"X must hold {num_inputs} features per example, e.g. shape (B, {num_inputs}) or {example}, "
        f"got shape {shape}; check the {fix} matches the model's num_inputs"
    )


# --- the batch on another device than the model --------------------------------------------------

_META_MODEL = (
    r"^X must be on the device of the model's parameters, got a batch on cpu for the model's "
    r"parameters on the meta device \(shapes without values, which compute nothing\); build the "
    r"model again on the CPU \(the default\) or a GPU$"
)


@pytest.mark.parametrize("analytic", [False, True])
def test_a_cpu_batch_for_a_meta_model_is_named_not_mixed_into_its_output(analytic: bool) -> None:
    """torch's addmm would return meta logits for it (the batch's values ignored), failing later
    in its own words: the model names the mismatch, as it names a dtype mismatch."""
    net = SoftmaxRegressionScratch(4, 3, analytic=analytic).to("meta")
    X, y = torch.zeros(2, 4), torch.tensor([0, 2])
    assert torch.addmm(net.b.unsqueeze(1), net.W.T, X.T).is_meta  # what torch does unchecked
    with pytest.raises(UsageError, match=_META_MODEL):
        net(X)
    with pytest.raises(UsageError, match=_META_MODEL):
        net.analytic_step(X, y, scale=0.5)


def test_a_meta_batch_for_a_model_that_holds_values_is_refused_as_data() -> None:
    with pytest.raises(
        UsageError, match=r"^X must hold values, got a tensor of shape \(2, 4\) on the meta device"
    ):
        SoftmaxRegressionScratch(4, 3)(torch.zeros(2, 4, device="meta"))


def test_a_meta_model_still_computes_shapes_from_a_meta_batch() -> None:
    """Both on meta is no mismatch: the shapes come out as nn.Linear's do there."""
    X = torch.zeros(2, 4, device="meta")
    out = SoftmaxRegressionScratch(4, 3).to("meta")(X)
    oracle = nn.Linear(4, 3, device="meta")(X)
    assert (out.device, out.shape) == (oracle.device, oracle.shape)
    _, losses = (
        SoftmaxRegressionScratch(4, 3, analytic=True)
        .to("meta")
        .analytic_step(
            torch.zeros(2, 4, device="meta"),
            torch.zeros(2, dtype=torch.long, device="meta"),
            scale=0.5,
        )
    )
    assert (losses.device.type, losses.shape) == ("meta", (2,))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cpu_batch_for_a_cuda_model_names_both_devices_and_both_moves() -> None:
    net = SoftmaxRegressionScratch(4, 3).to("cuda")
    device = net.W.device  # cuda:0 (or the current device)
    with pytest.raises(
        UsageError,
        match=rf"^X must be on the device of the model's parameters, {device}, got a batch on "
        rf"cpu; move the batch with X\.to\('{device}'\), or the model with net\.to\('cpu'\)$",
    ):
        net(torch.zeros(2, 4))
    assert net(torch.zeros(2, 4, device=device)).shape == (2, 3)  # the first fix works


def test_a_sigma_that_draws_infinite_weights_is_refused() -> None:
    """As for linear regression: sigma = 1e40 drew float32 weights of ±inf, and a NaN first loss."""
    with pytest.raises(
        UsageError,
        match=r"^sigma must give finite initial weights in torch\.float32 .*, got sigma=1e\+40, "
        r"which drew 30 of 30 weights infinite; pass a smaller sigma, e\.g\. sigma=0\.01",
    ):
        SoftmaxRegressionScratch(3, 10, sigma=1e40)
    net = SoftmaxRegressionScratch(3, 10, sigma=1e30, generator=torch.Generator().manual_seed(5))
    draws = torch.randn(10, 3, generator=torch.Generator().manual_seed(5)).T
    torch.testing.assert_close(net.W.detach(), draws * 1e30)
