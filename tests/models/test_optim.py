"""The scratch SGD's learning rate: one value, read and set as ``lr`` or as ``param_groups[0]["lr"]``."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch import SGD


def _stepped(optimizer: SGD, p: torch.Tensor) -> torch.Tensor:
    p.grad = torch.ones_like(p)
    before = p.detach().clone()
    optimizer.step()
    return before - p.detach()


def test_setting_lr_changes_the_step_and_the_group() -> None:
    p = torch.zeros(2, requires_grad=True)
    optimizer = SGD([p], lr=0.1)
    optimizer.lr = 1.0
    assert torch.equal(_stepped(optimizer, p), torch.ones(2))  # stepped by the new lr, not 0.1
    assert optimizer.param_groups[0]["lr"] == 1.0 and optimizer.state_dict() == {"lr": 1.0}


def test_setting_the_group_lr_is_what_lr_reads() -> None:
    p = torch.zeros(2, requires_grad=True)
    optimizer = SGD([p], lr=0.1)
    optimizer.param_groups[0]["lr"] = 0.5  # as code written for torch.optim does
    assert optimizer.lr == 0.5
    assert torch.equal(_stepped(optimizer, p), torch.full((2,), 0.5))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_a_bad_lr_is_refused_when_set_too(bad: float) -> None:
    optimizer = SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(UsageError, match=r"lr must be a finite number > 0"):
        optimizer.lr = bad
    assert optimizer.lr == 0.1


def test_load_state_dict_sets_the_same_lr() -> None:
    optimizer = SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    optimizer.load_state_dict({"lr": 0.25})
    assert optimizer.lr == optimizer.param_groups[0]["lr"] == 0.25


def test_the_books_sgd_says_what_lr_to_pass() -> None:
    from linearnets.models.scratch import sgd

    with pytest.raises(
        UsageError, match=r"lr must be a finite number > 0, got 0; pass e.g. lr=0.03"
    ):
        sgd([torch.zeros(1, requires_grad=True)], 0, 10)


def test_the_books_sgd_names_a_batch_size_past_what_torch_can_divide_by() -> None:
    """2**70 met torch's bare OverflowError ("int too big to convert") in the update; the largest
    taken, load_array's 2**62, still divides: the step is lr · grad / 2**62, by hand."""
    from linearnets.models.scratch import sgd

    w = torch.zeros(2, requires_grad=True)
    w.grad = torch.tensor([2.0**62, -(2.0**63)])
    with pytest.raises(
        UsageError,
        match=r"^batch_size must be an integer in \[1, 4611686018427387904\], got "
        r"1180591620717411303424; pass at most 4611686018427387904$",
    ):
        sgd([w], 0.5, 2**70)
    assert torch.equal(w.detach(), torch.zeros(2))  # refused before any update
    sgd([w], 0.5, 2**62)
    assert torch.equal(w.detach(), torch.tensor([-0.5, 1.0]))


@pytest.mark.parametrize(
    "batch_size",
    [2, 2.0, np.float64(2.0), np.float32(2.0), np.int64(2), torch.tensor(2), torch.tensor(2.0)],
    ids=["int", "float", "np.float64", "np.float32", "np.int64", "int tensor", "float tensor"],
)
def test_the_books_sgd_divides_by_a_whole_float_batch_size_as_by_the_int(batch_size: Any) -> None:
    """The book's sgd divides by any number: 2.0 (as len(X) / 2 gives) steps as 2 does."""
    from linearnets.models.scratch import sgd

    ours, book = (torch.ones(2, requires_grad=True) for _ in range(2))
    for p in (ours, book):
        (p * torch.tensor([3.0, -1.0])).sum().backward()
    sgd([ours], 0.1, batch_size)
    _books_sgd([book], 0.1, 2)
    assert torch.equal(ours, book) and torch.equal(ours, torch.tensor([0.85, 1.05]))
    assert ours.grad is not None and torch.equal(ours.grad, torch.zeros(2))


BAD_BATCH_SIZES: list[Any] = [
    (2.5, UsageError, r"^batch_size must be a whole number of examples, got 2\.5; pass the number of examples in the batch, e\.g\. batch_size=len\(y\) \(to scale the step, change lr\)$"),
    (torch.tensor(0.5), UsageError, r"^batch_size must be a whole number of examples, got 0\.5;"),
    (0, UsageError, r"^batch_size must be a positive integer \(>= 1\), got 0; pass e\.g\. batch_size=1$"),
    (0.0, UsageError, r"^batch_size must be a positive integer \(>= 1\), got 0\.0; pass e\.g\. batch_size=1$"),
    (-2.0, UsageError, r"^batch_size must be a positive integer \(>= 1\), got -2\.0;"),
    (-3, UsageError, r"^batch_size must be a positive integer \(>= 1\), got -3;"),
    (math.nan, UsageError, r"^batch_size must be a finite positive integer, got nan; pass the number of examples in the batch, e\.g\. batch_size=len\(y\)$"),
    (math.inf, UsageError, r"^batch_size must be a finite positive integer, got inf;"),
    (1e19, UsageError, r"^batch_size must be an integer in \[1, 4611686018427387904\], got 1e\+19; pass at most 4611686018427387904$"),
    (True, UsageTypeError, r"^batch_size must be a positive integer, got True; pass e\.g\. batch_size=1$"),
    ("2", UsageTypeError, r"^batch_size must be a positive integer, got '2';"),
    (None, UsageTypeError, r"^batch_size must be a positive integer, got None;"),
    (2 + 0j, UsageTypeError, r"^batch_size must be a positive integer, got \(2\+0j\);"),
    (torch.tensor([2.0]), UsageTypeError, r"^batch_size must be a positive integer, got a tensor of shape \(1,\)"),
]  # fmt: skip


@pytest.mark.parametrize(("batch_size", "error", "match"), BAD_BATCH_SIZES)
def test_the_books_sgd_rejects_a_bad_batch_size(
    batch_size: Any, error: type[Exception], match: str
) -> None:
    """A fraction, zero, a negative, NaN, a bool or a non-number is refused before any update."""
    from linearnets.models.scratch import sgd

    w = torch.ones(2, requires_grad=True)
    w.grad = torch.ones(2)
    with pytest.raises(error, match=match):
        sgd([w], 0.1, batch_size)
    assert torch.equal(w.detach(), torch.ones(2)) and torch.equal(w.grad, torch.ones(2))


def test_linearnets_sgd_is_the_books_sgd() -> None:
    """One function under both names, so both take 2.0 and refuse 2.5 alike."""
    import linearnets
    from linearnets import d2l

    assert linearnets.sgd is d2l.sgd


# --- parameters without a gradient, as torch.optim.SGD treats them -------------------------------


def test_the_books_sgd_skips_a_parameter_without_a_gradient() -> None:
    """A frozen or unused parameter has no .grad: it stays put, the others still step."""
    from linearnets.models.scratch import sgd

    used, unused = torch.zeros(2, requires_grad=True), torch.ones(2, requires_grad=True)
    used.grad = torch.full((2,), 4.0)
    sgd([used, unused], lr=0.5, batch_size=2)
    assert torch.equal(used, torch.full((2,), -1.0))  # 0 − 0.5 · 4 / 2
    assert torch.equal(unused, torch.ones(2)) and unused.grad is None


def _books_sgd(params: list[torch.Tensor], lr: float, batch_size: int) -> None:
    """The book's sgd, D2L §3.2.6, verbatim: the oracle for a call before any backward."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size  # type: ignore[operator]
            param.grad.zero_()  # type: ignore[union-attr]


def test_the_books_sgd_before_any_backward_is_a_type_error_that_names_the_cause() -> None:
    """The book's §3.2 loop with l.sum().backward() forgotten trained nothing, silently: no tensor
    has a .grad. The book's sgd raises TypeError there; ours too, saying why."""
    from linearnets import d2l
    from linearnets.models.scratch import sgd

    w, b = torch.zeros(2, 1, requires_grad=True), torch.zeros(1, requires_grad=True)
    with pytest.raises(TypeError):  # the oracle
        _books_sgd([w, b], 0.03, 10)
    for update in (sgd, d2l.sgd):
        with pytest.raises(
            UsageTypeError,
            match=r"^params must have gradients to step by, got 2 tensor\(s\), none with a \.grad "
            r"\(was backward\(\) not called before sgd\?\); call l\.sum\(\)\.backward\(\)",
        ):
            update([w, b], 0.03, 10)
    assert torch.equal(w, torch.zeros(2, 1)) and torch.equal(b, torch.zeros(1))
    # the fix: backward first, as the book's loop does; then it steps
    (w.sum() + b.sum()).backward()
    sgd([w, b], 0.03, 10)
    assert torch.equal(w, torch.full((2, 1), -0.003)) and torch.equal(b, torch.full((1,), -0.003))


def test_the_books_sgd_refuses_a_tensor_made_without_requires_grad() -> None:
    """The book's §3.2/§3.6 loop with requires_grad=True forgotten on w: backward still runs (b
    needs grad), w gets no .grad. The book's sgd raises TypeError; skipping w instead trained b
    alone, silently (an accuracy of ~0.2 on Fashion-MNIST). A frozen nn.Parameter still stays put."""
    from linearnets import d2l
    from linearnets.models.scratch import sgd

    w, b = torch.zeros(2, 1), torch.zeros(1, requires_grad=True)
    (torch.ones(3, 2) @ w + b).sum().backward()
    with pytest.raises(TypeError):  # the oracle
        _books_sgd([w, b], 0.03, 10)
    for update in (sgd, d2l.sgd):
        with pytest.raises(
            UsageTypeError,
            match=r"^params\[0\] must require grad to be trained, got a tensor of shape \(2, 1\) "
            r".*made without requires_grad=True.*torch\.normal\(0, 0\.01, size=\(2, 1\), "
            r"requires_grad=True\)",
        ):
            update([w, b], 0.03, 10)
    assert torch.equal(b, torch.zeros(1))  # nothing stepped
    frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
    sgd([frozen, b], 0.03, 3)
    assert torch.equal(frozen, torch.ones(2)) and torch.equal(b, torch.full((1,), -0.03))


def test_the_scratch_sgd_class_still_steps_nothing_without_gradients_as_torch_does() -> None:
    """SGD keeps torch.optim.SGD's semantics: a step before any backward is no error."""
    ours, theirs = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    SGD([ours], lr=0.1).step()
    torch.optim.SGD([theirs], lr=0.1).step()  # the oracle: no error, nothing moves
    assert torch.equal(ours, theirs) and torch.equal(ours, torch.ones(2))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_and_step_skip_a_parameter_without_a_gradient_as_torch_does(
    set_to_none: bool,
) -> None:
    ours = [torch.zeros(2, requires_grad=True), torch.ones(2, requires_grad=True)]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    for params, optimizer in ((ours, SGD(ours, lr=0.5)), (theirs, torch.optim.SGD(theirs, lr=0.5))):
        params[0].grad = torch.full((2,), 2.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=set_to_none)
        assert params[1].grad is None
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(ours[0], torch.full((2,), -1.0))


# --- what counts as parameters -------------------------------------------------------------------


def _leaf() -> torch.Tensor:
    return torch.zeros(3, requires_grad=True)


PARAMS_REFUSED = [
    (
        lambda: _leaf(),
        TypeError,
        r"params must be an iterable of tensors, got a tensor of shape \(3,\).*\(a single tensor "
        r"would be taken row by row\); wrap it in a list",
    ),
    (lambda: 5, TypeError, r"params must be an iterable of tensors, got 5; pass e\.g\. \[w, b\]"),
    (
        lambda: [_leaf(), 0.5],
        TypeError,
        r"params\[1\] must be a torch\.Tensor, got 0\.5; pass the model's parameter tensors",
    ),
    (
        lambda: [_leaf() * 2],
        UsageError,
        r"params\[0\] must be a leaf tensor \(created, not computed from others\), got a tensor "
        r"of shape \(3,\).* computed by MulBackward0",
    ),
]


@pytest.mark.parametrize("make,error,pattern", PARAMS_REFUSED)
@pytest.mark.parametrize("optimizer", ["SGD", "sgd"])
def test_params_that_would_never_step_are_refused(
    make: Any, error: type[Exception], pattern: str, optimizer: str
) -> None:
    from linearnets.models.scratch import sgd

    with pytest.raises(error, match=pattern):
        if optimizer == "SGD":
            SGD(make(), lr=0.1)
        else:
            sgd(make(), lr=0.1, batch_size=1)


# --- state dicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [{}, {"momentum": 0.9}, None, ["lr"]], ids=repr)
def test_load_state_dict_refuses_what_state_dict_never_returns(state: Any) -> None:
    optimizer = SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(UsageError, match=r"state must be a dict with key 'lr', as state_dict\(\)"):
        optimizer.load_state_dict(state)
    assert optimizer.lr == 0.1


@pytest.mark.parametrize("bad", [0.0, -0.5, float("inf")])
def test_load_state_dict_validates_the_lr_it_restores(bad: float) -> None:
    optimizer = SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(UsageError, match=r"lr must be a finite number > 0"):
        optimizer.load_state_dict({"lr": bad})
    assert optimizer.lr == 0.1


# --- what the docstring says matches torch.optim.SGD, and what does not --------------------------


def test_what_the_docstring_says_differs_from_torch_optim_sgd_does() -> None:
    """The docstring (and the README) promise step/zero_grad/param_groups[0]["lr"] only: an LR
    scheduler needs a real torch.optim.Optimizer, and the state dicts do not load each other."""
    p = torch.zeros(2, requires_grad=True)
    ours, theirs = SGD([p], lr=0.1), torch.optim.SGD([p], lr=0.1)
    assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"] == 0.1
    assert SGD.__doc__ is not None and "lr_scheduler" in SGD.__doc__
    with pytest.raises(TypeError, match="is not an Optimizer"):  # torch's own refusal
        torch.optim.lr_scheduler.StepLR(ours, step_size=1)  # type: ignore[arg-type]
    torch.optim.lr_scheduler.StepLR(theirs, step_size=1)
    assert ours.state_dict() == {"lr": 0.1} and set(theirs.state_dict()) == {
        "state",
        "param_groups",
    }
    with pytest.raises(KeyError):
        theirs.load_state_dict(ours.state_dict())
    with pytest.raises(UsageError, match="state must be a dict with key 'lr'"):
        ours.load_state_dict(theirs.state_dict())


def test_repr_is_one_line_with_the_lr_and_the_parameter_count() -> None:
    w, b = torch.zeros(2, 1, requires_grad=True), torch.zeros(1, requires_grad=True)
    # torch.optim.SGD's repr shows its lr too (in a block of every option this one lacks)
    assert "lr: 0.03" in repr(torch.optim.SGD([w, b], lr=0.03))
    optimizer = SGD([w, b], lr=0.03)
    assert repr(optimizer) == "SGD(lr=0.03, 2 parameter tensors)"
    optimizer.param_groups[0]["lr"] = 0.5  # the lr it steps by, however it was set
    assert repr(optimizer) == "SGD(lr=0.5, 2 parameter tensors)"
    assert repr(SGD([w], lr=1e-4)) == "SGD(lr=0.0001, 1 parameter tensor)"


# --- gradients after a step: zeroed by sgd, cleared by SGD.zero_grad ----------------------------


def test_the_books_sgd_zeroes_each_gradient_so_the_next_backward_starts_afresh() -> None:
    """The book's sgd ends with param.grad.zero_(): without it the next backward would add its
    gradient to the last one and every later step would re-apply all earlier batches'. The oracle:
    the book's sgd, verbatim, on a twin, over two steps of the same loss."""
    from linearnets.models.scratch import sgd

    X = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = torch.tensor([[1.0], [2.0], [0.0]])
    ours = [torch.zeros(2, 1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    for params, update in ((ours, sgd), (theirs, _books_sgd)):
        for _ in range(2):
            w, b = params
            ((X @ w + b - y) ** 2 / 2).sum().backward()
            update(params, 0.1, 3)
            assert all(p.grad is not None and not p.grad.any() for p in params)
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)
    # by hand: the gradient of Σ ½(Xw + b − y)² is Xᵀr and Σr, r the residuals
    w1 = 0.1 / 3 * (X.T @ y)  # the first step from zero weights: −lr/B · Xᵀ(0 − y)
    b1 = 0.1 / 3 * y.sum(0)
    r = X @ w1 + b1 - y  # the second step's residuals, from the first step's weights alone
    torch.testing.assert_close(ours[0].detach(), w1 - 0.1 / 3 * (X.T @ r))
    torch.testing.assert_close(ours[1].detach(), b1 - 0.1 / 3 * r.sum(0))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_clears_each_gradient_as_torch_optim_sgd_does(set_to_none: bool) -> None:
    """The oracle is torch.optim.SGD.zero_grad: None by default, zeros in place with
    set_to_none=False (the same tensor object, as torch keeps it)."""
    ours = [torch.zeros(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    for params, optimizer in ((ours, SGD(ours, lr=0.5)), (theirs, torch.optim.SGD(theirs, lr=0.5))):
        for p in params:
            p.grad = torch.full_like(p, 2.0)
        kept = [p.grad for p in params]
        optimizer.zero_grad(set_to_none=set_to_none)
        for p, grad in zip(params, kept, strict=True):
            if set_to_none:
                assert p.grad is None
            else:
                assert p.grad is not None and p.grad is grad
                assert torch.equal(p.grad, torch.zeros_like(p))


@pytest.mark.parametrize("optimizer", ["SGD", "sgd"])
def test_a_tensor_listed_twice_is_refused_where_torch_optim_warns(optimizer: str) -> None:
    """SGD would step it twice per step(), sgd once (the first update zeroes its gradient): the two
    would silently disagree. torch.optim.SGD warns that it will refuse it (the oracle); ours
    refuses it now, and nothing is stepped."""
    from linearnets.models.scratch import sgd

    w = torch.zeros(2, requires_grad=True)
    w.grad = torch.ones(2)
    with pytest.warns(
        UserWarning, match="duplicate parameters; in future, this will cause an error"
    ):
        torch.optim.SGD([w, w], lr=0.1)
    with pytest.raises(
        UsageError,
        match=r"^params must list each tensor once, got params\[1\] the same tensor as params\[0\]",
    ):
        if optimizer == "SGD":
            SGD([w, w], lr=0.1)
        else:
            sgd([w, w], 0.1, 1)
    assert torch.equal(w.detach(), torch.zeros(2))


# --- an lr float32 cannot hold; parameters that cannot be trained --------------------------------


def _float32_grad() -> torch.Tensor:
    p = torch.ones(2, requires_grad=True)
    p.grad = torch.ones(2)
    return p


LR_PAST_FLOAT32 = (
    r"^lr must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), "
    r"got 1e\+40; pass e\.g\. lr="
)


def test_an_lr_float32_makes_inf_is_refused_as_the_config_refuses_it() -> None:
    """1e40 as float32 is inf: the step made the weights -inf (or NaN) without a word, where
    LinregConfig(lr=1e40) and --lr 1e40 refuse it."""
    from linearnets.models.scratch import sgd

    p = _float32_grad()
    with pytest.raises(UsageError, match=LR_PAST_FLOAT32 + r"0\.03$"):
        sgd([p], 1e40, 1)
    assert torch.equal(p, torch.ones(2))
    with pytest.raises(UsageError, match=LR_PAST_FLOAT32 + r"0\.1$"):
        SGD([p], 1e40)
    optimizer = SGD([p], 0.1)
    with pytest.raises(UsageError, match=LR_PAST_FLOAT32):
        optimizer.lr = 1e40
    assert optimizer.lr == 0.1


def test_float64_parameters_take_an_lr_past_float32s_largest() -> None:
    from linearnets.models.scratch import sgd

    p = torch.ones(2, dtype=torch.float64, requires_grad=True)
    p.grad = torch.ones(2, dtype=torch.float64)
    sgd([p], 1e40, 1)
    assert torch.equal(p.detach(), torch.full((2,), 1 - 1e40, dtype=torch.float64))


def test_the_books_sgd_says_an_integer_tensor_must_be_floating_point() -> None:
    """requires_grad_(), the advice for a float tensor, raises for an integer one."""
    from linearnets.models.scratch import sgd

    w = torch.ones(2, dtype=torch.long)
    with pytest.raises(RuntimeError):  # the advice the message gave before
        w.requires_grad_()
    with pytest.raises(
        UsageTypeError,
        match=r"^params\[0\] must be floating point to be trained, got a tensor of shape \(2,\) "
        r"and dtype torch\.int64, which cannot require grad; create it as float, e\.g\. "
        r"torch\.zeros\(1, requires_grad=True\), or convert it with \.float\(\)\.requires_grad_\(\)$",
    ):
        sgd([w], 0.1, 1)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_narrower_dtype_takes_the_lrs_torch_steps_it_with(dtype: torch.dtype) -> None:
    """float16 and bfloat16 parameters are judged by float32's lr range: torch multiplies them by a
    Python number in float32, so lr 7e4 (past float16's 65504) on a grad of 0.01 steps by 700 and
    lr 1e-5 (below its smallest normal number) by 1e-7; refusing them (a fine-tuning lr of 1e-5 on
    a half-precision model) was wrong. An lr float32 makes inf is still
    refused, in float32's words."""
    from linearnets.models.scratch import sgd

    for lr, grad in ((7e4, 0.01), (1e-5, 1.0)):
        w = torch.zeros(2, dtype=dtype, requires_grad=True)
        w.grad = torch.full((2,), grad, dtype=dtype)
        # the oracle: the step in float64 from the grad as the dtype holds it, rounded to the dtype
        # once (0 - lr * g is exact after lr * g's own rounding): -700 and -1e-5 (subnormal)
        truth = (-lr * w.grad.double()).to(dtype)
        sgd([w], lr, 1)
        assert torch.equal(w.detach(), truth)
        assert float(w[0].detach()) == pytest.approx(-lr * grad, rel=0.01)
    w = torch.ones(2, dtype=dtype, requires_grad=True)
    w.grad = torch.ones(2, dtype=dtype)
    with pytest.raises(
        UsageError,
        match=r"^lr must be a number from about 1\.18e-38 \(float32's smallest normal number\) to "
        r"3\.4028234663852886e\+38 \(its largest\), got 1e\+40; pass e\.g\. lr=0\.03$",
    ):
        sgd([w], 1e40, 1)
    assert torch.equal(w.detach(), torch.ones(2, dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_sgd_class_steps_a_narrower_dtype_as_the_function_does(dtype: torch.dtype) -> None:
    """SGD.step, add_ with alpha=-lr, converted lr to the parameter's dtype: float16 failed at lr
    7e4 ("value cannot be converted to type c10::Half without overflow", as torch.optim.SGD
    fails) and stepped by 0 at lr 1e-8, where sgd steps by 700 and by 1e-5. An lr the dtype holds
    keeps torch.optim.SGD's step, bit for bit (bfloat16 at 7e4: 704, lr rounded to bfloat16)."""
    from linearnets.models.scratch import sgd

    for lr, grad in ((7e4, 0.01), (1e-8, 1000.0), (0.1, 0.01)):
        w, v, t = (torch.zeros(2, dtype=dtype, requires_grad=True) for _ in range(3))
        for p in (w, v, t):
            p.grad = torch.full((2,), grad, dtype=dtype)
        SGD([w], lr).step()
        sgd([v], lr, 1)
        assert float(w[0].detach()) == pytest.approx(-lr * grad, rel=0.01)
        info = torch.finfo(dtype)
        if info.tiny <= lr <= info.max:  # torch.optim.SGD steps it: the same arithmetic
            torch.optim.SGD([t], lr).step()
            assert torch.equal(w.detach(), t.detach())
        else:  # the oracle: the step in float64 from the grad as the dtype holds it, rounded once
            assert torch.equal(w.detach(), (-lr * t.grad.double()).to(dtype))
            assert torch.equal(w.detach(), v.detach())


def test_an_lr_set_in_param_groups_is_checked_at_the_step() -> None:
    """param_groups[0]['lr'] = 1e40 passed no setter: step failed in torch with "value cannot be
    converted to type float without overflow"."""
    p = _float32_grad()
    optimizer = SGD([p], 0.1)
    optimizer.param_groups[0]["lr"] = 1e40
    with pytest.raises(UsageError, match=LR_PAST_FLOAT32 + r"0\.1$"):
        optimizer.step()
    assert torch.equal(p.detach(), torch.ones(2))
    optimizer.param_groups[0]["lr"] = float("nan")
    with pytest.raises(UsageError, match=r"^lr must be a finite number > 0"):
        optimizer.step()
    optimizer.param_groups[0]["lr"] = 1  # an int, as torch.optim.SGD takes it
    optimizer.step()
    assert torch.equal(p.detach(), torch.zeros(2))
    assert optimizer.lr == 1.0


_ONE_COLUMN = (
    r"params\[0\] has shape \(784, 1\), one output, but the bias after it, params\[1\], has shape "
    r"\(10,\): X @ W \+ b broadcasts \(B, 1\) \+ \(10,\) to \(B, 10\), every class the same score "
    r"plus its bias, so the model trains to chance; create W with shape \(784, 10\) to match b's 10"
)


def test_the_books_sgd_warns_once_of_a_one_column_weight_before_a_bias_of_ten() -> None:
    """§3.2's size=(num_inputs, 1) kept for §3.6's softmax: scores (B, 1) + b (10,) broadcast to
    (B, 10), rows all equal, trained to chance without an error. Warned once, the step taken."""
    from linearnets.models.scratch import sgd

    W = torch.zeros(784, 1, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    with pytest.warns(UserWarning, match=_ONE_COLUMN) as caught:
        for _ in range(3):
            W.grad, b.grad = torch.ones_like(W), torch.ones_like(b)
            sgd([W, b], 0.1, 2)
    assert len([w for w in caught if "one output" in str(w.message)]) == 1
    assert torch.allclose(b, torch.full((10,), -0.15))


def test_the_scratch_sgd_class_warns_of_a_one_column_weight_before_a_bias_of_ten() -> None:
    with pytest.warns(UserWarning, match=_ONE_COLUMN):
        SGD([torch.zeros(784, 1, requires_grad=True), torch.zeros(10, requires_grad=True)], lr=0.1)


@pytest.mark.parametrize(
    "shapes",
    [
        [(2, 1), (1,)],  # the book's linear regression
        [(784, 10), (10,)],  # its softmax regression
        [(784, 256), (256,), (256, 10), (10,)],  # its MLP
        [(10, 1), (10,)],  # nn.Linear(1, 10): (outputs, inputs), rows matching the bias
    ],
)
def test_the_books_parameter_shapes_warn_of_nothing(shapes: list[tuple[int, ...]]) -> None:
    import warnings

    from linearnets.models.scratch import sgd

    params = [torch.zeros(shape, requires_grad=True) for shape in shapes]
    for p in params:
        p.grad = torch.ones_like(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sgd(params, 0.1, 2)
        SGD(params, lr=0.1)


@pytest.mark.parametrize(
    ("shape", "created"),
    [
        ((1,), r"torch\.zeros\(1, requires_grad=True\)"),  # the book's b (D2L §3.2.3)
        ((10,), r"torch\.zeros\(10, requires_grad=True\)"),  # its softmax b (§3.6.1)
        ((), r"torch\.zeros\(\(\), requires_grad=True\)"),
    ],
)
def test_a_bias_made_without_requires_grad_is_told_to_add_it_to_its_zeros(
    shape: tuple[int, ...], created: str
) -> None:
    """The book creates b with torch.zeros(1, requires_grad=True): a bias was advised
    torch.normal(0, 0.01, size=(1,), ...), which is no bias the book makes."""
    from linearnets.models.scratch import sgd

    b = torch.zeros(shape)
    w = torch.zeros(2, b.numel(), requires_grad=True)  # (inputs, outputs), b's outputs
    w.grad = torch.ones_like(w)
    with pytest.raises(
        UsageTypeError,
        match=r"^params\[1\] must require grad to be trained, .*made without requires_grad=True.*; "
        r"add requires_grad=True where you create it, e\.g\. " + created,
    ):
        sgd([w, b], 0.03, 10)


def _swapped_calls() -> list[Any]:
    w, b = torch.zeros(2, 1, requires_grad=True), torch.zeros(1, requires_grad=True)
    return [
        pytest.param((0.03, [w, b], 4), "0.03 as params and a list of 2 tensors as lr", "[w, b], 0.03, 4", id="lr-params"),
        pytest.param((0.03, 4, [w, b]), "0.03 as params and a list of 2 tensors as batch_size", "[w, b], 0.03, 4", id="params-last"),
        pytest.param((torch.tensor(0.03), (w, b), 10), r"a tensor of shape \(\) and dtype torch\.float32 as params and a tuple of 2 tensors as lr", "params, 0.03, 10", id="tensor-lr-tuple"),
        pytest.param((0.1, torch.nn.Linear(2, 1).parameters(), 8), "0.1 as params and a generator as lr", "params, 0.1, 8", id="generator"),
        pytest.param((0.03, [w, b], "4"), "0.03 as params and a list of 2 tensors as lr", "[w, b], 0.03, batch_size", id="no-size"),
        # the whole number is the batch size, wherever it was passed; neither or both whole: unsaid
        pytest.param((4, 0.03, [w, b]), "4 as params and a list of 2 tensors as batch_size", "[w, b], 0.03, 4", id="size-first"),
        pytest.param((4, [w, b], 0.03), "4 as params and a list of 2 tensors as lr", "[w, b], 0.03, 4", id="size-first-lr-last"),
        pytest.param((0.03, [w, b], 10.5), "0.03 as params and a list of 2 tensors as lr", "[w, b], 0.03, batch_size", id="no-whole"),
        pytest.param((0.03, [w, b], 8.0), "0.03 as params and a list of 2 tensors as lr", "[w, b], 0.03, 8.0", id="whole-float"),
        pytest.param((2, [w, b], 4), "2 as params and a list of 2 tensors as lr", "[w, b], 2, batch_size", id="both-whole"),
    ]  # fmt: skip


@pytest.mark.parametrize(("args", "got", "call"), _swapped_calls())
def test_the_books_sgd_rejects_its_arguments_swapped_by_name(
    args: Any, got: str, call: str
) -> None:
    """sgd(0.03, [w, b], 4) was told "lr must be a positive number, got [tensor(..." where
    data_iter and load_array name the order: sgd names it too."""
    from linearnets.models.scratch import sgd

    with pytest.raises(
        UsageTypeError,
        match=rf"^sgd takes params first, then lr and batch_size, got {got}: the arguments are in "
        rf"the wrong order; call sgd\({re.escape(call)}\) \(D2L §3\.2\.6\)$",
    ):
        sgd(*args)
    for p in args[1] if isinstance(args[1], list) else []:
        assert p.grad is None and not p.any()  # nothing stepped


@pytest.mark.parametrize(
    "args",
    [
        (0.03, [0], 4),
        (0.03, 4, [0]),
        (4, 0.03, [0]),
        (4, [0], 0.03),
        (0.03, [0], 10.5),
        (1.0, [0], 2.0),
    ],
    ids=["lr-params", "params-last", "size-first", "size-first-lr-last", "no-whole", "whole-float"],
)
def test_the_books_sgd_rejects_swapped_arguments_with_a_call_that_works(args: Any) -> None:
    """sgd(4, 0.03, [w, b]) and sgd(4, [w, b], 0.03) were told "call sgd([w, b], 4, 0.03)", which
    failed again (batch_size 0.03 is no whole number), and sgd(0.03, [w, b], 10.5) was offered
    batch_size 10.5. The call offered, run as written (batch_size filled in where left to write),
    steps w and b."""
    from linearnets.models.scratch import sgd

    w, b = torch.zeros(2, 1, requires_grad=True), torch.zeros(1, requires_grad=True)
    given = tuple([w, b] if arg == [0] else arg for arg in args)
    with pytest.raises(UsageTypeError) as caught:
        sgd(*given)
    call = re.search(r"; call (sgd\(\[w, b\], .*\)) \(D2L §3\.2\.6\)$", str(caught.value))
    assert call is not None, caught.value
    w.grad, b.grad = torch.ones_like(w), torch.ones_like(b)
    eval(call[1], {"sgd": sgd, "w": w, "b": b, "batch_size": 10})  # as the user runs it
    assert w.grad is not None and not w.grad.any() and w.ne(0).all() and b.ne(0).all()


def test_the_books_sgd_still_names_a_bad_lr_beside_real_params() -> None:
    """The order is named only for a number passed as params: a bad lr of its own is named as one."""
    from linearnets.models.scratch import sgd

    with pytest.raises(UsageTypeError, match=r"^lr must be a positive number, got \[1\.0\]"):
        sgd([torch.zeros(1, requires_grad=True)], [1.0], 4)
