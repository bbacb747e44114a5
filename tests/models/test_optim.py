"""The scratch SGD's learning rate: one value, read and set as ``lr`` or as ``param_groups[0]["lr"]``."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from linearnets.errors import UsageError
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


# --- parameters without a gradient, as torch.optim.SGD treats them -------------------------------


def test_the_books_sgd_skips_a_parameter_without_a_gradient() -> None:
    """A frozen or unused parameter has no .grad: it stays put, the others still step."""
    from linearnets.models.scratch import sgd

    used, unused = torch.zeros(2, requires_grad=True), torch.ones(2, requires_grad=True)
    used.grad = torch.full((2,), 4.0)
    sgd([used, unused], lr=0.5, batch_size=2)
    assert torch.equal(used, torch.full((2,), -1.0))  # 0 − 0.5 · 4 / 2
    assert torch.equal(unused, torch.ones(2)) and unused.grad is None


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
