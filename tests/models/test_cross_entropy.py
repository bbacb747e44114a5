"""Edges of the scratch softmax and cross-entropy (D2L §3.6–3.7): one class, no class, which device
checks a label's range, and which row an error names."""

from __future__ import annotations

import importlib

import pytest
import torch
import torch.nn.functional as F

from linearnets.errors import UsageError
from linearnets.models.scratch import cross_entropy, cross_entropy_logits, softmax

# the package re-exports the function cross_entropy under the submodule's name: fetch the module itself
ce_module = importlib.import_module("linearnets.models.scratch.cross_entropy")


def test_softmax_of_a_single_class_is_certain(gen: torch.Generator) -> None:
    """One logit per row is a valid (if trivial) softmax: probability 1, as torch gives."""
    X = torch.randn(5, 1, generator=gen) * 100
    torch.testing.assert_close(softmax(X), torch.softmax(X, dim=1), atol=0, rtol=0)
    assert torch.equal(softmax(X), torch.ones(5, 1))


def test_softmax_refuses_rows_without_a_logit() -> None:
    with pytest.raises(
        UsageError,
        match=r"X must hold at least one logit per row, got shape \(2, 0\); pass logits \(B, C\)",
    ):
        softmax(torch.zeros(2, 0))


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_gather_checks_range_says_what_gather_does(device: str) -> None:
    """The predicate that skips the label pass is checked against gather itself: on the CPU a bad
    index raises, on a device that reads no data (meta, like a GPU's asynchronous kernel) it does not."""
    values = torch.zeros(2, 3, device=device)
    index = torch.tensor([[5], [0]], device=device)  # 5 is out of [0, 3)
    try:
        values.gather(1, index)
        raises = False
    except RuntimeError:
        raises = True
    assert ce_module._gather_checks_range(values) is raises


def test_cross_entropy_logits_checks_labels_first_where_gather_does_not(
    monkeypatch: pytest.MonkeyPatch, gen: torch.Generator
) -> None:
    """On a GPU an out-of-range label would be a device-side assert: it must be named before any
    gather reads it, in both layouts of the logits."""

    def no_gather(*args: object) -> None:
        raise AssertionError("the labels reached the gather unchecked")

    monkeypatch.setattr(ce_module, "_gather_checks_range", lambda t: False)
    monkeypatch.setattr(ce_module, "_pick", no_gather)
    O = torch.randn(3, 4, generator=gen)
    for logits in (O, O.T.contiguous().T):
        with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 4\), got 4"):
            cross_entropy_logits(logits, torch.tensor([0, 4, 1]))


def test_cross_entropy_logits_of_a_single_class_is_zero(gen: torch.Generator) -> None:
    O = torch.randn(4, 1, generator=gen) * 10
    y = torch.zeros(4, dtype=torch.int64)
    torch.testing.assert_close(cross_entropy_logits(O, y), F.cross_entropy(O, y, reduction="none"))


def test_an_exact_zero_is_a_probability_and_is_not_the_row_named() -> None:
    """A true-class probability of exactly 0 (an underflow) is allowed: the bad row is the next one."""
    y_hat = torch.tensor([[0.0, 1.0], [0.5, -0.5]])
    with pytest.raises(UsageError, match=r"got -0\.5 for the true class of row 1 "):
        cross_entropy(y_hat, torch.tensor([0, 1]))


def test_a_value_exactly_at_the_tolerance_is_a_probability_and_is_not_the_row_named() -> None:
    """In float16 the tolerance 1 + 8 ulps is representable: that row is accepted, the 2.0 is named."""
    top = 1 + 8 * 2.0**-10  # 8 float16 ulps above 1, the largest value allowed
    y_hat = torch.tensor([[top, 0.0], [2.0, 0.0]], dtype=torch.float16)
    with pytest.raises(UsageError, match=r"got 2\.0 for the true class of row 1 "):
        cross_entropy(y_hat, torch.tensor([0, 0]))
