"""The scratch SGD's learning rate: one value, read and set as ``lr`` or as ``param_groups[0]["lr"]``."""

from __future__ import annotations

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
