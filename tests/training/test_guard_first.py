"""What the divergence guard names of a fresh run's first non-finite step's batch, before any
update: the examples whose losses alone are not finite, and held targets too large for a squared
loss."""

from __future__ import annotations

import math
from typing import Any

import torch

from linearnets.training.guard_first import HUGE, first_rows, huge_targets

_ARGS: dict[str, Any] = {"dtype": torch.float32, "first_example": 0, "order": True}


def _targets(**large: float) -> torch.Tensor:
    y = torch.ones(4, 1)
    for at, value in large.items():
        y[int(at.removeprefix("at"))] = value
    return y


def test_the_examples_a_loss_singles_out_are_named_with_their_huge_targets() -> None:
    losses = torch.tensor([[1.0], [1.0], [math.inf], [1.0]])
    assert first_rows(losses, _targets(at2=1e20), **_ARGS) == (
        "; it is not finite on 1 of the batch's 4 examples (position 2 in the batch, counting "
        "from 0: example 2 of the epoch, its index in the dataset), whose targets y reach 1e+20"
    )
    # targets of an ordinary size, class labels, or not held: the examples alone
    alone = (
        "; it is not finite on 1 of the batch's 4 examples (position 2 in the batch, counting "
        "from 0: example 2 of the epoch, its index in the dataset)"
    )
    assert first_rows(losses, _targets(at2=1e3), **_ARGS) == alone
    assert first_rows(losses, torch.tensor([0, 1, 2, 1]), **_ARGS) == alone
    assert first_rows(losses, None, **_ARGS) == alone
    # a huge target on another example is not this one's
    assert first_rows(losses, _targets(at0=1e20), **_ARGS) == alone


def test_huge_means_a_square_within_huge_of_the_dtypes_largest_value() -> None:
    losses = torch.tensor([1.0, math.inf, 1.0, 1.0])
    edge = math.sqrt(torch.finfo(torch.float32).max / HUGE)  # about 1.8e+17
    assert "whose targets y reach" in first_rows(losses, _targets(at1=1.01 * edge), **_ARGS)
    assert "whose targets y" not in first_rows(losses, _targets(at1=0.99 * edge), **_ARGS)
    # float64 losses overflow far later
    assert "whose targets y" not in first_rows(losses, _targets(at1=1e20), **{**_ARGS, "dtype": torch.float64})  # fmt: skip


def test_every_examples_loss_or_one_number_name_only_the_huge_targets() -> None:
    every = torch.full((4, 1), math.inf)
    assert first_rows(every, _targets(at1=1e20, at3=3e20), **_ARGS) == (
        "; the batch's targets y reach 3e+20 on 2 of its 4 examples (positions 1 and 3 in the "
        "batch, counting from 0: examples 1 and 3 of the epoch, their indices in the dataset)"
    )
    spread = torch.tensor(math.inf).expand(4)  # a mean loss, as fit hands it on
    assert first_rows(spread, torch.full((4,), 2e20), **_ARGS) == (
        "; the batch's targets y reach 2e+20, on all 4 of its examples"
    )
    assert first_rows(torch.tensor(math.inf), _targets(), **_ARGS) == ""
    assert first_rows(every, None, **_ARGS) == ""
    # a NaN or inf target is data_not_finite's to name: not counted as large here
    assert first_rows(every, _targets(at1=math.inf), **_ARGS) == ""


def test_huge_targets_are_named_only_where_they_account_for_the_non_finite_losses() -> None:
    """At any step: every example whose loss alone is not finite has a huge target; where none
    is singled out, every example's target (one loss each) or any (one number)."""
    losses = torch.tensor([[1.0], [1.0], [math.inf], [1.0]])
    assert huge_targets(losses, _targets(at2=1e20, at0=3e20), **_ARGS) == (
        "targets y reach 1e+20 on 1 of its 4 examples (position 2 in the batch, counting from "
        "0: example 2 of the epoch, its index in the dataset)"
    )
    # a non-finite loss whose target is ordinary, or not held, or class labels: not the targets
    two = torch.tensor([[math.inf], [1.0], [math.inf], [1.0]])
    assert huge_targets(two, _targets(at2=1e20), **_ARGS) is None
    assert huge_targets(losses, _targets(at2=1e3), **_ARGS) is None
    assert huge_targets(losses, None, **_ARGS) is None
    assert huge_targets(losses, torch.tensor([0, 1, 2, 1]), **_ARGS) is None
    # one loss each, every one not finite: only where every target is huge
    every = torch.full((4, 1), math.inf)
    assert huge_targets(every, _targets(at1=1e20), **_ARGS) is None
    assert huge_targets(every, torch.full((4, 1), 2e20), **_ARGS) == (
        "targets y reach 2e+20, on all 4 of its examples"
    )
    # one number (a mean loss): any huge target makes it overflow
    spread = torch.tensor(math.inf).expand(4)
    assert huge_targets(spread, _targets(at1=1e20), **_ARGS) == (
        "targets y reach 1e+20 on 1 of its 4 examples (position 1 in the batch, counting from "
        "0: example 1 of the epoch, its index in the dataset)"
    )
    assert huge_targets(torch.tensor(math.inf), _targets(), **_ARGS) is None


def test_after_an_update_only_a_target_whose_square_alone_overflows_is_named() -> None:
    """y up to ~9.4e17 in float32 trains at lr 0.3 and diverges at lr 3 (the lr's doing): a target
    past the first step's margin (:data:`HUGE`) but whose square fits is not blamed; from
    sqrt(float32 max) ~ 1.84e19 it is."""
    losses = torch.tensor([[1.0], [1.0], [math.inf], [1.0]])
    assert huge_targets(losses, _targets(at2=9.4e17), **_ARGS) is None
    assert huge_targets(losses, _targets(at2=1.8e19), **_ARGS) is None
    assert huge_targets(losses, _targets(at2=1.9e19), **_ARGS) == (
        "targets y reach 1.9e+19 on 1 of its 4 examples (position 2 in the batch, counting from "
        "0: example 2 of the epoch, its index in the dataset)"
    )
