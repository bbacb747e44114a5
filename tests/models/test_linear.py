"""Linear regression from scratch and concise (D2L §3.2–3.3), against closed forms and torch."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.models.closed_form import closed_form
from linearnets.models.concise import linreg_concise
from linearnets.models.scratch import (
    SGD,
    LinearRegressionScratch,
    SoftmaxRegressionScratch,
    linreg,
    sgd,
    squared_loss,
)
from linearnets.seeding import default_dtype
from linearnets.training.step import train_step


def test_linreg_is_xw_plus_b() -> None:
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[0.5], [-1.0]])
    b = torch.tensor([2.0])
    torch.testing.assert_close(linreg(X, w, b), torch.tensor([[0.5], [-0.5]]))


def test_squared_loss_is_half_squared_error() -> None:
    y_hat = torch.tensor([[1.0], [2.0], [4.0]])
    y = torch.tensor([1.5, 2.0, 1.0])  # (n,) against (n, 1): must match element-wise, not broadcast
    l = squared_loss(y_hat, y)
    assert l.shape == (3, 1)
    torch.testing.assert_close(l.reshape(-1), torch.tensor([0.125, 0.0, 4.5]))
    # against torch: MSELoss has no 1/2
    torch.testing.assert_close(l.mean() * 2, nn.functional.mse_loss(y_hat, y.reshape(-1, 1)))


def test_squared_loss_equals_the_books_formula_bit_for_bit(gen: torch.Generator) -> None:
    y = torch.randn(64, generator=gen) * 100  # (n,) targets, as synthetic_data's callers may pass
    ours = torch.randn(64, 1, generator=gen).mul_(100).requires_grad_()
    book = ours.detach().clone().requires_grad_()
    l_ours, l_book = squared_loss(ours, y), (book - y.reshape(book.shape)) ** 2 / 2  # D2L §3.2.4
    assert torch.equal(l_ours, l_book)
    seed = torch.rand(64, 1, generator=gen)
    l_ours.backward(seed)
    l_book.backward(seed)
    assert torch.equal(ours.grad, book.grad)


@pytest.mark.parametrize("analytic", [False, True])
def test_a_0d_target_is_one_target_for_a_batch_of_one(analytic: bool) -> None:
    """``labels[i]`` of (n,) labels is 0-d: the book's ``y.reshape(y_hat.shape)`` takes it against
    a batch of one's (1, 1) prediction, which was refused as "y must hold one target per
    prediction" though it holds exactly one."""
    X, y = torch.tensor([[1.0, 2.0]]), torch.tensor(3.0)  # one example, its 0-d target
    net = LinearRegressionScratch(2, analytic=analytic)
    with torch.no_grad():
        net.w.copy_(torch.tensor([[0.5], [1.5]]))
        net.b.fill_(-1.0)
    l = squared_loss(net(X), y)  # ŷ = 0.5 + 3 - 1 = 2.5, ½(2.5 - 3)² = 0.125, by hand
    assert l.shape == (1, 1)
    torch.testing.assert_close(l, torch.tensor([[0.125]]))
    torch.testing.assert_close(
        squared_loss(torch.tensor(2.5), torch.tensor([[3.0]])), torch.tensor(0.125)
    )
    if analytic:
        _, l = net.analytic_step(X, y, scale=1.0)
        torch.testing.assert_close(l, torch.tensor([[0.125]]))
    else:
        l.sum().backward()
    # ∂l/∂w = x (ŷ − y) = [-0.5, -1], ∂l/∂b = -0.5, by hand
    torch.testing.assert_close(net.w.grad, torch.tensor([[-0.5], [-1.0]]))
    torch.testing.assert_close(net.b.grad, torch.tensor([-0.5]))
    with pytest.raises(
        UsageError, match=r"y must hold one target per prediction.*y has shape \(\)"
    ):
        squared_loss(torch.zeros(4, 1), torch.tensor(3.0))  # one target for four predictions


def test_initialisation_matches_the_book(gen: torch.Generator) -> None:
    net = LinearRegressionScratch(10_000, generator=gen)
    assert net.w.shape == (10_000, 1) and net.b.shape == (1,)
    assert net.w.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.equal(net.b, torch.zeros(1))
    assert all(p.requires_grad for p in net.parameters())
    concise = linreg_concise(10_000, generator=gen)
    assert concise[0].weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.equal(concise[0].bias, torch.zeros(1))


def test_initial_weights_are_the_books_draw() -> None:
    """The oracle is §3.2.3's ``torch.normal(0, 0.01, size=(2, 1))`` from the same generator: a
    std check alone passes weights drawn around another mean, or scaled by another sigma."""
    net = LinearRegressionScratch(2, generator=torch.Generator().manual_seed(3))
    book = torch.normal(0, 0.01, size=(2, 1), generator=torch.Generator().manual_seed(3))
    # the book's normal computes z·σ + 0 where ours takes z·σ: equal to float32's last bit
    torch.testing.assert_close(net.w.detach(), book, rtol=1e-6, atol=0)
    assert torch.equal(net.b.detach(), torch.zeros(1))


def test_book_sgd_step_equals_torch_sgd_on_mean_loss(gen: torch.Generator) -> None:
    X, y = torch.randn(16, 3, generator=gen), torch.randn(16, 1, generator=gen)
    w0, b0 = torch.randn(3, 1, generator=gen), torch.randn(1, generator=gen)
    # scratch: summed loss, sgd divides by the batch size (the book's form)
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    squared_loss(linreg(X, w, b), y).sum().backward()
    sgd([w, b], lr=0.03, batch_size=16)
    # torch: mean loss, torch.optim.SGD
    tw, tb = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    opt = torch.optim.SGD([tw, tb], lr=0.03)
    squared_loss(X @ tw + tb, y).mean().backward()
    opt.step()
    torch.testing.assert_close(w, tw, atol=1e-6, rtol=0)
    torch.testing.assert_close(b, tb, atol=1e-6, rtol=0)
    assert torch.count_nonzero(w.grad) == 0 and torch.count_nonzero(b.grad) == 0  # zeroed


def test_scratch_sgd_class_equals_torch_sgd(gen: torch.Generator) -> None:
    p0 = torch.randn(5, generator=gen)
    grad = torch.randn(5, generator=gen)
    ours, theirs = p0.clone().requires_grad_(), p0.clone().requires_grad_()
    opt_ours, opt_theirs = SGD([ours], lr=0.1), torch.optim.SGD([theirs], lr=0.1)
    for _ in range(3):
        for opt, p in ((opt_ours, ours), (opt_theirs, theirs)):
            opt.zero_grad()
            (p * grad).sum().backward()
            opt.step()
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)
    opt_ours.zero_grad()
    assert ours.grad is None


def test_scratch_sgd_reads_the_lr_of_param_groups_at_every_step_as_torch_does(
    gen: torch.Generator,
) -> None:
    p0, grad = torch.randn(5, generator=gen), torch.randn(5, generator=gen)
    ours, theirs = p0.clone().requires_grad_(), p0.clone().requires_grad_()
    opt_ours, opt_theirs = SGD([ours], lr=0.1), torch.optim.SGD([theirs], lr=0.1)
    for step in range(4):
        if step == 1:  # what a schedule does between steps
            opt_ours.param_groups[0]["lr"] = opt_theirs.param_groups[0]["lr"] = 0.5
        if step == 3:  # a restored state sets the lr the next step uses
            opt_ours.load_state_dict({"lr": 0.02})
            opt_theirs.param_groups[0]["lr"] = 0.02
        for opt, p in ((opt_ours, ours), (opt_theirs, theirs)):
            opt.zero_grad()
            (p * grad).sum().backward()
            opt.step()
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)
    # and not the constructor's lr: 0.1 four times would end elsewhere
    assert not torch.allclose(ours, p0 - 4 * 0.1 * grad, atol=1e-3)
    assert opt_ours.state_dict() == {"lr": 0.02}


def test_scratch_sgd_zero_grad_without_set_to_none_zeroes_in_place_as_torch_does(
    gen: torch.Generator,
) -> None:
    p0, grad = torch.randn(5, generator=gen), torch.randn(5, generator=gen)
    ours, theirs = p0.clone().requires_grad_(), p0.clone().requires_grad_()
    for opt, p in ((SGD([ours], lr=0.1), ours), (torch.optim.SGD([theirs], lr=0.1), theirs)):
        (p * grad).sum().backward()
        held = p.grad
        opt.zero_grad(set_to_none=False)
        assert p.grad is held  # the same tensor, zeroed in place
    torch.testing.assert_close(ours.grad, theirs.grad, atol=0, rtol=0)
    assert torch.equal(ours.grad, torch.zeros(5))


@pytest.mark.parametrize(
    "update",
    [
        lambda params: SGD(params, lr=0.1),
        lambda params: sgd(params, lr=0.1, batch_size=1),
    ],
    ids=["SGD", "sgd"],
)
def test_a_parameter_listed_twice_is_refused_by_both_optimizers(update: Any) -> None:
    """SGD([p, p]) stepped p twice per step() (−0.2 for lr 0.1), sgd([p, p]) once: both now refuse."""
    p, q = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    p.grad, q.grad = torch.ones(2), torch.ones(3)
    with pytest.raises(
        UsageError,
        match=r"params must list each tensor once, got params\[2\] the same tensor as params\[0\] "
        r"\(a tensor of shape \(2,\).*pass each parameter once, e\.g\. net\.parameters\(\)",
    ):
        update([p, q, p])
    assert torch.equal(p, torch.zeros(2))  # nothing moved


def test_distinct_tensors_of_equal_values_are_not_duplicates() -> None:
    """Duplicates are the same tensor object; two zero tensors are two parameters."""
    w, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    w.grad, b.grad = torch.ones(2), torch.ones(2)
    SGD([w, b], lr=0.1).step()
    assert torch.equal(w, torch.full((2,), -0.1)) and torch.equal(b, torch.full((2,), -0.1))


def test_closed_form_recovers_noiseless_weights(gen: torch.Generator) -> None:
    X = torch.randn(50, 3, generator=gen)
    w_true = torch.tensor([1.0, -2.0, 0.5])
    w, b = closed_form(X, X @ w_true + 0.7)
    torch.testing.assert_close(w, w_true, atol=1e-5, rtol=0)
    assert b == pytest.approx(0.7, abs=1e-6)


def test_state_dict_round_trip(gen: torch.Generator) -> None:
    a, b = LinearRegressionScratch(3, generator=gen), LinearRegressionScratch(3, generator=gen)
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.w, b.w) and torch.equal(a.b, b.b)


BAD_INPUT = [
    (  # reshaping X (4, 3) to (-1, 2) would make 6 examples of mixed features
        lambda: linreg(torch.randn(4, 3), torch.randn(2, 1), torch.zeros(1)),
        UsageError,
        r"^X must have 2 feature columns to match w of shape \(2, 1\), got X of shape \(4, 3\); "
        r"make w with one row per column of X, shape \(3, 1\) \(a model: "
        r"LinearRegressionScratch\(num_inputs=3\)\), or check X holds the data w was made for$",
    ),
    (  # the module's w, too: (10, 2) cannot be reshaped to (batch, 3)
        lambda: LinearRegressionScratch(3)(torch.randn(10, 2)),
        UsageError,
        r"^X must have 3 feature columns to match w of shape \(3, 1\), got X of shape \(10, 2\); "
        r"make w with one row per column of X, shape \(2, 1\) \(a model: "
        r"LinearRegressionScratch\(num_inputs=2\)\), or check X holds the data w was made for$",
    ),
    (  # the book's 1-d w: no model to build
        lambda: linreg(torch.randn(4, 2), torch.randn(3), 0.0),
        UsageError,
        r"^X must have 3 feature columns to match w of shape \(3,\), got X of shape \(4, 2\); "
        r"make w with one row per column of X, shape \(2,\), or check X holds the data w was "
        r"made for$",
    ),
    (  # w and b swapped: the bias's one value taken as the weights of 1 feature
        lambda: linreg(torch.randn(4, 2), torch.zeros(1), torch.zeros(2, 1)),
        UsageError,
        r"^X must have 1 feature column to match w of shape \(1,\), got X of shape \(4, 2\); "
        r"w and b may be swapped: b of shape \(2, 1\) is a column of weights for X's 2 columns "
        r"and w holds one value; pass the weights before the bias: linreg\(X, w, b\)$",
    ),
    (  # one weight, but no column of them in b: the data or w is wrong, not the order
        lambda: linreg(torch.randn(4, 2), torch.zeros(1, 1), torch.zeros(1)),
        UsageError,
        r"^X must have 1 feature column to match w of shape \(1, 1\), got X of shape \(4, 2\); "
        r"make w with one row per column of X, shape \(2, 1\) \(a model: "
        r"LinearRegressionScratch\(num_inputs=2\)\), or check X holds the data w was made for$",
    ),
    (
        lambda: linreg(torch.ones(4, 2, dtype=torch.int64), torch.randn(2, 1), torch.zeros(1)),
        TypeError,
        "floating",
    ),
    (
        lambda: squared_loss(torch.randn(4, 1), torch.randn(5)),
        UsageError,
        r"one target per prediction",
    ),
    (
        lambda: sgd([torch.zeros(1)], lr=0, batch_size=1),
        UsageError,
        r"lr must be a finite number > 0, got 0",
    ),
    (
        lambda: sgd([torch.zeros(1)], lr=0.1, batch_size=0),
        UsageError,
        r"batch_size must be a positive integer",
    ),
    (lambda: SGD([], lr=0.1), UsageError, r"params must hold at least one tensor"),
    (
        lambda: SGD([torch.zeros(1)], lr=float("nan")),
        UsageError,
        r"lr must be a finite number > 0, got nan",
    ),
    (lambda: LinearRegressionScratch(0), UsageError, r"num_inputs must be a positive integer"),
    (
        lambda: LinearRegressionScratch(2).load_state_dict({"w": torch.zeros(2, 1)}),
        UsageError,
        r"exactly the",
    ),
    (
        lambda: closed_form(torch.randn(3, 2), torch.randn(4)),
        UsageError,
        r"same number of examples",
    ),
    (  # a matrix of weights would give (B, 2) predictions
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 2), torch.zeros(1)),
        UsageError,
        r"w must be a column of weights, shape \(d, 1\) or \(d,\), got shape \(2, 2\)",
    ),
    (
        lambda: linreg(torch.randn(4, 2), torch.tensor(2.0), 0.0),
        UsageError,
        r"w must be a column of weights.*got shape \(\)",
    ),
    (
        lambda: linreg(torch.randn(4, 2, dtype=torch.float64), torch.randn(2, 1), torch.zeros(1)),
        TypeError,
        r"X must have w's dtype torch\.float32, got torch\.float64; .*X\.to\(torch\.float32\)",
    ),
    (  # one bias per row would broadcast silently, on either path
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), torch.zeros(4, 1)),
        UsageError,
        r"b must be a one-element floating-point tensor or a number, got a tensor of shape \(4, 1\)",
    ),
    (  # one value, but X @ w (4,) + b (1, 1) broadcast to (1, 4): predictions of a new shape
        lambda: linreg(torch.randn(4, 2), torch.randn(2), torch.zeros(1, 1)),
        UsageError,
        r"^b must have at most w's 1 dimension, got shape \(1, 1\) for w of shape \(2,\): X @ w "
        r"\+ b would broadcast the predictions to shape \(1, 4\); pass b\.reshape\(1\)$",
    ),
    (  # the model's (d, 1) weights: a (1, 1, 1) bias gave (1, B, 1) predictions
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), torch.zeros(1, 1, 1)),
        UsageError,
        r"^b must have at most w's 2 dimensions, got shape \(1, 1, 1\) .* to shape \(1, 4, 1\)",
    ),
    (
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), torch.zeros(2)),
        UsageError,
        r"b must be a one-element floating-point tensor.*shape \(2,\)",
    ),
    (
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), torch.tensor([1])),
        UsageError,
        r"b must be a one-element floating-point tensor.*dtype torch\.int64",
    ),
    (
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), True),
        TypeError,
        r"b must be a one-element tensor or a number, got True",
    ),
    (
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), "1"),  # type: ignore[arg-type]
        TypeError,
        r"b must be a one-element tensor or a number, got '1'",
    ),
    (
        lambda: squared_loss(torch.zeros(2, 1), torch.tensor([[True], [False]])),
        TypeError,
        r"y must be a floating-point tensor",
    ),
    (
        lambda: squared_loss([[1.0]], torch.zeros(1, 1)),  # type: ignore[arg-type]
        TypeError,
        r"y_hat must be a torch\.Tensor",
    ),
    (  # two targets per prediction: not a column, whatever the lengths
        lambda: squared_loss(torch.zeros(4, 1), torch.zeros(4, 2)),
        UsageError,
        r"y must hold one target per prediction: y_hat has shape \(4, 1\), y has shape \(4, 2\)",
    ),
    (  # X @ w + b was promoted to float64, silently, where a float64 X is refused
        lambda: linreg(torch.randn(4, 2), torch.randn(2, 1), torch.zeros(1, dtype=torch.float64)),
        TypeError,
        r"^b must have w's dtype torch\.float32, got torch\.float64; .*"
        r"torch\.zeros\(1, dtype=torch\.float32, requires_grad=True\)",
    ),
    (  # a complex loss, silently, which no backward() takes
        lambda: squared_loss(torch.zeros(4, 1), torch.zeros(4, dtype=torch.complex64)),
        TypeError,
        r"^y must be a floating-point tensor, got a tensor of shape \(4,\) and dtype torch\.complex64",
    ),
    (
        lambda: LinearRegressionScratch(2, sigma=-1.0),
        UsageError,
        r"sigma must be a finite number >= 0, got -1\.0; pass e\.g\. sigma=0\.01",
    ),
    (
        lambda: LinearRegressionScratch(2, generator=0),  # type: ignore[arg-type]
        TypeError,
        r"generator must be a torch\.Generator or None, got 0",
    ),
    (
        lambda: LinearRegressionScratch(2, analytic=1),  # type: ignore[arg-type]
        TypeError,
        r"analytic must be True or False, got 1",
    ),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        call()


def test_analytic_backward_equals_autograd(gen: torch.Generator) -> None:
    X = torch.randn(12, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(12, 1, generator=gen, dtype=torch.float64)
    net = LinearRegressionScratch(3, generator=gen)
    net.w = net.w.detach().double().requires_grad_()
    net.b = net.b.detach().double().requires_grad_()
    squared_loss(net(X), y).mean().backward()
    expected = (net.w.grad.clone(), net.b.grad.clone())
    analytic = LinearRegressionScratch(3, analytic=True)
    analytic.w, analytic.b = net.w.detach().clone(), net.b.detach().clone()
    analytic.analytic_backward(X, analytic(X), y, scale=1 / 12)
    torch.testing.assert_close(analytic.w.grad, expected[0])
    torch.testing.assert_close(analytic.b.grad, expected[1])
    assert not analytic.w.requires_grad


@pytest.mark.parametrize("target_shape", [(12, 1), (12,)])
def test_analytic_step_equals_the_closed_form_gradient(
    target_shape: tuple[int, ...], gen: torch.Generator
) -> None:
    X = torch.randn(12, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(target_shape, generator=gen, dtype=torch.float64)
    net = LinearRegressionScratch(3, analytic=True)
    net.w = torch.randn(3, 1, generator=gen, dtype=torch.float64)
    net.b = torch.randn(1, generator=gen, dtype=torch.float64)
    y_hat, l = net.analytic_step(X, y, scale=1 / 12)
    # the oracle: mean of ½(Xw + b − y)², its gradient (1/B) Xᵀr and (1/B) Σ r by hand
    r = X @ net.w + net.b - y.reshape(12, 1)
    torch.testing.assert_close(y_hat, X @ net.w + net.b)
    torch.testing.assert_close(l, r**2 / 2)
    torch.testing.assert_close(net.w.grad, X.T @ r / 12)
    torch.testing.assert_close(net.b.grad, r.sum(dim=0) / 12)


@pytest.mark.parametrize("y_dtype", [torch.float64, torch.float16])
@pytest.mark.parametrize("fused", [True, False], ids=["analytic_step", "analytic_backward"])
def test_targets_of_another_float_dtype_train_as_autograd_trains_them(
    y_dtype: torch.dtype, fused: bool, gen: torch.Generator
) -> None:
    """float64 targets (torch.tensor of a NumPy array) with a float32 model: the analytic path
    crashed in Xᵀr (float @ double); it now steps exactly as autograd does, whose loss is float64
    and whose gradient comes back to the float32 parameters (the oracle: the same steps, autograd)."""
    X = torch.randn(40, 2, generator=gen)
    y = (X.double() @ torch.tensor([2.0, -3.4], dtype=torch.float64) + 4.2).to(y_dtype)
    init = torch.Generator().manual_seed(1)
    ours = LinearRegressionScratch(2, analytic=True, generator=init)
    autograd = LinearRegressionScratch(2, generator=init.manual_seed(1))
    loss = squared_loss if fused else (lambda y_hat, y: squared_loss(y_hat, y))  # not its own
    ours_opt, autograd_opt = SGD(ours.parameters(), lr=0.03), SGD(autograd.parameters(), lr=0.03)
    for i in range(0, 40, 10):
        Xb, yb = X[i : i + 10], y[i : i + 10]
        _, l_ours = train_step(ours, Xb, yb, loss, ours_opt, scale=0.1)
        _, l_autograd = train_step(autograd, Xb, yb, squared_loss, autograd_opt, scale=0.1)
        assert l_ours.dtype == l_autograd.dtype == torch.promote_types(torch.float32, y_dtype)
        assert torch.equal(l_ours, l_autograd)
    for a, b in zip(ours.parameters(), autograd.parameters(), strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b.detach(), rtol=1e-6, atol=1e-7)


def test_analytic_step_rejects_mismatched_targets(gen: torch.Generator) -> None:
    net = LinearRegressionScratch(2, analytic=True, generator=gen)
    with pytest.raises(UsageError, match=r"y must hold one target per prediction"):
        net.analytic_step(torch.randn(5, 2, generator=gen), torch.randn(4, 1), scale=0.2)


@pytest.mark.parametrize(
    ("y", "pattern"),
    [
        (torch.ones(2, 2), r"y must hold one target per prediction: y_hat has shape \(4, 1\), y has shape \(2, 2\)"),
        (torch.ones(4, 1, dtype=torch.bool), r"y must be a floating-point tensor, got .*dtype torch\.bool"),
    ],
    ids=["square (2, 2)", "bool (4, 1)"],
)  # fmt: skip
@pytest.mark.parametrize("analytic", [False, True])
def test_both_paths_refuse_targets_that_only_match_by_count(
    analytic: bool, y: torch.Tensor, pattern: str
) -> None:
    """4 targets for 4 predictions, but not one per row (or not numbers): the analytic step refuses
    exactly what squared_loss does, before any parameter moves."""
    net = LinearRegressionScratch(2, analytic=analytic)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageError, match=pattern):
        train_step(
            net, torch.randn(4, 2), y, squared_loss, SGD(net.parameters(), lr=0.1), scale=0.25
        )
    for p, old in zip(net.parameters(), before, strict=True):
        assert torch.equal(p, old)


def test_to_keeps_the_parameter_objects_an_optimizer_holds(gen: torch.Generator) -> None:
    net = LinearRegressionScratch(2, generator=gen)
    opt = SGD(net.parameters(), lr=0.1)
    net.to("cpu")
    assert all(a is b for a, b in zip(opt.params, net.parameters(), strict=True))
    before = net.w.detach().clone()
    squared_loss(net(torch.ones(4, 2)), torch.zeros(4, 1)).mean().backward()
    opt.step()
    assert not torch.equal(net.w, before)


def test_linreg_with_the_books_1d_weights_and_a_number_bias() -> None:
    """The other path (the book's ``true_w`` and a float ``b``): predictions (B,), checked by hand."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([0.5, -1.0])
    y_hat = linreg(X, w, 2.0)
    torch.testing.assert_close(y_hat, torch.tensor([0.5, -0.5]))
    torch.testing.assert_close(y_hat, F.linear(X, w.reshape(1, 2), torch.tensor([2.0])).reshape(2))


@pytest.mark.parametrize(
    ("w_shape", "b_shape"),
    [((2,), ()), ((2,), (1,)), ((2, 1), ()), ((2, 1), (1,)), ((2, 1), (1, 1))],
)
def test_a_one_element_bias_of_up_to_ws_dimensions_keeps_the_predictions_shape(
    w_shape: tuple[int, ...], b_shape: tuple[int, ...]
) -> None:
    """Those still taken beside the (1, 1, 1) and (1, 1)-for-(d,) biases refused: X @ w's shape."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w = torch.tensor([0.5, -1.0]).reshape(w_shape)
    y_hat = linreg(X, w, torch.full(b_shape, 2.0))
    expected = F.linear(X, torch.tensor([[0.5, -1.0]]), torch.tensor([2.0]))  # (3, 1)
    torch.testing.assert_close(y_hat, expected.reshape((3, *w_shape[1:])))


@pytest.mark.parametrize("analytic", [False, True])
def test_parameters_are_w_then_b_and_track_gradients_unless_analytic(analytic: bool) -> None:
    net = LinearRegressionScratch(3, analytic=analytic)
    assert [name for name, _ in net.named_parameters()] == ["w", "b"]
    assert [p.requires_grad for p in net.parameters()] == [not analytic, not analytic]


# --- the contract both scratch models share with nn.Module ---------------------------------------

SCRATCH_MODELS = [
    pytest.param(lambda g: LinearRegressionScratch(3, generator=g), id="linreg"),
    pytest.param(lambda g: SoftmaxRegressionScratch(3, 4, generator=g), id="softmax"),
]


def _weight(net: Any) -> torch.Tensor:
    """The (d, q) weight matrix of either scratch model."""
    return net.w if isinstance(net, LinearRegressionScratch) else net.W


@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_parameters_are_the_models_own_tensors_in_order(build: Any, gen: torch.Generator) -> None:
    net = build(gen)
    names = net.param_names()
    assert [p for p in net.parameters()] == [getattr(net, n) for n in names]
    assert all(p is getattr(net, n) for p, n in zip(net.parameters(), names, strict=True))
    assert all(p is getattr(net, n) for n, p in net.named_parameters())
    assert names[0] in ("w", "W")  # weights first, as nn.Linear lists them


@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_train_and_eval_set_the_mode_as_nn_module_does(build: Any, gen: torch.Generator) -> None:
    net, module = build(gen), nn.Linear(3, 1)
    assert net.training is module.training is True
    assert net.eval() is net and module.eval() is module
    assert net.training is module.training is False
    assert net.train() is net and net.training is True
    assert net.train(False) is net and net.training is False


DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_to_moves_every_parameter_in_place(build: Any, device: str, gen: torch.Generator) -> None:
    net = build(gen)
    before = [(p, p.detach().clone()) for p in net.parameters()]
    assert net.to(device) is net  # chained as net = Model(...).to(device)
    assert [p.device.type for p in net.parameters()] == [device, device]
    for (old, value), new in zip(before, net.parameters(), strict=True):
        assert old is new and torch.equal(new.cpu(), value)


@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_to_meta_replaces_the_parameters_as_nn_module_does(
    build: Any, gen: torch.Generator
) -> None:
    """A tensor's data cannot be swapped for a meta tensor's: like ``nn.Module.to("meta")``, the
    model then holds new parameters, of the same shapes and ``requires_grad``."""
    net = build(gen)
    before = list(net.parameters())
    reference = torch.nn.Linear(2, 1).to("meta")  # the oracle: what nn.Module does
    assert reference.weight.device.type == "meta"
    assert net.to("meta") is net
    after = list(net.parameters())
    assert [p.device.type for p in after] == ["meta", "meta"]
    assert [p.shape for p in after] == [p.shape for p in before]
    assert [p.requires_grad for p in after] == [p.requires_grad for p in before]
    assert [p.device.type for p in before] == ["cpu", "cpu"]  # the old tensors are untouched


@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_state_dict_is_a_detached_copy(build: Any, gen: torch.Generator) -> None:
    net = build(gen)
    state = net.state_dict()
    saved = {k: v.clone() for k, v in state.items()}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)  # training goes on after the save
    assert all(torch.equal(state[k], saved[k]) for k in saved)
    assert not any(v.requires_grad for v in state.values())


@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_load_state_dict_refuses_integer_tensors(build: Any, gen: torch.Generator) -> None:
    net = build(gen)
    state = {k: v.long() for k, v in net.state_dict().items()}
    name = net.param_names()[0]
    with pytest.raises(
        TypeError,
        match=rf"state_dict\['{name}'\] must be a floating-point tensor, got a tensor of shape .* "
        r"dtype torch\.int64; load a state saved by state_dict\(\)",
    ):
        net.load_state_dict(state)


@pytest.mark.parametrize("build", SCRATCH_MODELS)
def test_calling_the_model_passes_gradients_to_its_input(build: Any, gen: torch.Generator) -> None:
    """As an nn.Module's call does (input saliency): the oracle is autograd through F.linear."""
    net = build(gen)
    X = torch.randn(5, 3, generator=gen, requires_grad=True)
    net(X).sum().backward()
    ref = X.detach().clone().requires_grad_()
    W = _weight(net).detach()
    F.linear(ref, W.T, net.b.detach()).sum().backward()
    assert X.grad is not None
    torch.testing.assert_close(X.grad, ref.grad)


@pytest.mark.parametrize(
    ("n", "d", "fix", "shape"),
    [
        (100, 1, "X.reshape(-1, 1)", (-1, 1)),  # one feature per example: a column
        (2, 2, "X.reshape(1, -1)", (1, -1)),  # as many values as features: one example
        (6, 2, "X.reshape(-1, 2)", (-1, 2)),
    ],
)
def test_a_flat_x_gets_the_reshape_that_its_weights_call_for_and_it_works(
    n: int, d: int, fix: str, shape: tuple[int, int]
) -> None:
    """A one-feature model was told X.reshape(1, -1), which then failed on its width."""
    X, w, b = torch.linspace(0, 1, n), torch.ones(d, 1), torch.zeros(1)
    with pytest.raises(UsageError) as info:
        linreg(X, w, b)
    assert str(info.value).startswith(f"X must be 2-dimensional (B, d), d = {d} ")
    assert fix in str(info.value)
    fixed = X.reshape(*shape)  # the advised reshape
    assert torch.allclose(linreg(fixed, w, b), fixed @ w + b)  # the oracle: Xw + b by hand


# --- the batch on another device than the weights ------------------------------------------------


def test_a_cpu_batch_for_meta_weights_is_named() -> None:
    net = LinearRegressionScratch(2).to("meta")
    for call in (lambda X: net(X), lambda X: linreg(X, net.w, net.b)):
        with pytest.raises(
            UsageError,
            match=r"^X must be on the device of w, got a batch on cpu for w on the meta device "
            r"\(shapes without values, which compute nothing\); create w and b \(or the model\) "
            r"again on the CPU \(the default\) or a GPU$",
        ):
            call(torch.zeros(4, 2))


def test_a_meta_batch_for_weights_that_hold_values_is_refused_as_data() -> None:
    with pytest.raises(
        UsageError, match=r"^X must hold values, got a tensor of shape \(4, 2\) on the meta device"
    ):
        LinearRegressionScratch(2)(torch.zeros(4, 2, device="meta"))


def test_meta_weights_and_a_meta_batch_still_give_torchs_shapes() -> None:
    """Both on meta is no mismatch: shapes only, on the fast path and on the checked one."""
    X, w = torch.zeros(4, 2, device="meta"), torch.zeros(2, 1, device="meta")
    fast = linreg(X, w, torch.zeros(1, device="meta"))
    checked = linreg(X, w.reshape(-1), 0.5)  # a (d,) w and a float b take the checked path
    assert (fast.shape, fast.is_meta, checked.shape, checked.is_meta) == ((4, 1), True, (4,), True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cpu_batch_for_cuda_weights_names_both_devices_and_both_moves() -> None:
    net = LinearRegressionScratch(2).to("cuda")
    device = net.w.device
    with pytest.raises(
        UsageError,
        match=rf"^X must be on the device of w, {device}, got a batch on cpu; move the batch "
        rf"with X\.to\('{device}'\), or w and b with \.to\('cpu'\) \(a model: net\.to\('cpu'\)\)$",
    ):
        net(torch.zeros(4, 2))
    assert net(torch.zeros(4, 2, device=device)).shape == (4, 1)


def test_a_sigma_past_the_dtypes_range_is_refused_and_a_large_one_still_trains(
    gen: torch.Generator,
) -> None:
    """The exercise "initialise the weights to large values": sigma = 1e40 is finite, but its
    float32 weights were silently inf (and the first loss NaN); float32 ends at 3.4e38."""
    with pytest.raises(
        UsageError,
        match=r"^sigma must give finite initial weights in torch\.float32 \(largest value 3\.4e\+38\), "
        r"got sigma=1e\+40, which drew 3 of 3 weights infinite; pass a smaller sigma, e\.g\. sigma=0\.01",
    ):
        LinearRegressionScratch(3, sigma=1e40, generator=gen)
    # a large sigma that float32 holds is kept: the weights are sigma times the standard normal draws
    net = LinearRegressionScratch(3, sigma=1e30, generator=torch.Generator().manual_seed(4))
    draws = torch.randn(3, 1, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(net.w.detach(), draws * 1e30)
    # and in float64, whose range holds it, 1e40 is a value like any other
    with default_dtype(torch.float64):
        net64 = LinearRegressionScratch(3, sigma=1e40, generator=torch.Generator().manual_seed(4))
    draws64 = torch.randn(3, 1, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    torch.testing.assert_close(net64.w.detach(), draws64 * 1e40)


def test_a_row_of_targets_is_taken_as_the_books_reshape_takes_it() -> None:
    """y (1, B) against y_hat (B, 1) holds one target per prediction, in order: the book's
    ``(y_hat - y.reshape(y_hat.shape)) ** 2 / 2`` takes it, and so do squared_loss and the analytic
    step (it was refused as "y must hold one target per prediction")."""
    gen = torch.Generator().manual_seed(0)
    y_hat, y = torch.randn(4, 1, generator=gen), torch.randn(1, 4, generator=gen)
    book = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2  # the oracle, D2L §3.2.5
    assert torch.equal(squared_loss(y_hat, y), book)
    assert torch.equal(squared_loss(y_hat.reshape(4), y), book.reshape(4))  # a (B,) prediction too
    net = LinearRegressionScratch(2, analytic=True, generator=gen)
    X = torch.randn(4, 2, generator=gen)
    y_hat_row, l_row = net.analytic_step(X, y, scale=0.25)
    grads_row = [p.grad.clone() for p in net.parameters()]  # type: ignore[union-attr]
    _, l_column = net.analytic_step(X, y.T, scale=0.25)
    assert torch.equal(l_row, l_column)
    assert torch.equal(l_row, (y_hat_row - y.reshape(y_hat_row.shape)) ** 2 / 2)
    for grad, p in zip(grads_row, net.parameters(), strict=True):
        assert torch.equal(grad, p.grad)


def test_squared_loss_still_rejects_a_square_of_as_many_targets() -> None:
    """(2, 2) holds 4 targets for 4 predictions but in no order one per prediction: refused."""
    with pytest.raises(
        UsageError,
        match=r"^y must hold one target per prediction: y_hat has shape \(4, 1\), y has shape "
        r"\(2, 2\); pass targets of shape \(batch, 1\) \(or \(batch,\) or \(1, batch\)\)$",
    ):
        squared_loss(torch.zeros(4, 1), torch.zeros(2, 2))
