"""Edges of the scratch softmax and cross-entropy (D2L §3.6–3.7): one class, no class, which device
checks a label's range, and which row an error names."""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch import (
    cross_entropy,
    cross_entropy_logits,
    softmax,
    softmax_cross_entropy_grad,
)

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


# --- the clamp: a finite loss and gradient, and in float16/bfloat16 the true value ---------------

# true-class probabilities the dtypes hold: subnormal in float16 (1e-7, 1e-5), below float16's tiny
# (6.1e-5), ordinary ones, 1, and bfloat16's smallest subnormal (1e-40 rounds to it)
_PROBS = [1e-40, 1e-7, 1e-5, 6e-5, 1e-3, 0.25, 0.5, 1.0]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_half_precision_loss_is_the_float64_value_rounded_once(dtype: torch.dtype) -> None:
    """The log is taken in float32: p = 1e-5 in float16 gives 11.51, where the float16 clamp at its
    tiny (6.1e-5) gave 9.70. The oracle: −log p in float64 of the probability the dtype holds,
    rounded to the dtype (within one of its ulps: float32's log is rounded twice)."""
    p = torch.tensor(_PROBS, dtype=dtype)
    p = p[p > 0]  # 1e-40 is 0 in float16, a subnormal in bfloat16
    y_hat = torch.stack([p, 1 - p], dim=1)  # (B, 2)
    loss = cross_entropy(y_hat, torch.zeros(len(p), dtype=torch.int64))
    expected = (-torch.log(p.double())).to(dtype)
    assert loss.dtype == dtype
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(loss, expected, rtol=eps, atol=0)
    if dtype == torch.float16:  # the bug hunt's case
        one = torch.tensor([[1e-5, 1 - 1e-5]], dtype=dtype)
        assert float(cross_entropy(one, torch.tensor([0]))) == pytest.approx(11.51, abs=0.01)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_half_precision_loss_that_backpropagates_has_the_values_of_one_that_does_not(
    dtype: torch.dtype,
) -> None:
    """Probabilities that require grad (a model's softmax, in training) must give the losses of
    the same probabilities outside a graph: −log p from float32, not from the clamp at the dtype's
    tiny (9.70 for p = 1e-5 in float16, where −log p is 11.51). The oracle: −log p in float64."""
    p = torch.tensor(_PROBS, dtype=dtype)
    p = p[p > 0]
    y_hat = torch.stack([p, 1 - p], dim=1).requires_grad_()  # (B, 2)
    y = torch.zeros(len(p), dtype=torch.int64)
    loss = cross_entropy(y_hat, y)
    assert loss.requires_grad and loss.dtype == dtype
    assert torch.equal(loss.detach(), cross_entropy(y_hat.detach(), y))
    expected = (-torch.log(p.double())).to(dtype)
    torch.testing.assert_close(loss.detach(), expected, rtol=torch.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_the_loss_and_its_gradient_stay_finite_with_the_gradient_the_docstring_gives(
    dtype: torch.dtype,
) -> None:
    """−1/p for p ≥ finfo.tiny, 0 below it (1/p would overflow float16 at p = 1e-5), by hand."""
    p = torch.tensor([0.0, *_PROBS], dtype=dtype)
    y_hat = torch.stack([p, 1 - p], dim=1).requires_grad_()  # (B, 2)
    loss = cross_entropy(y_hat, torch.zeros(len(p), dtype=torch.int64))
    loss.sum().backward()
    assert y_hat.grad is not None
    assert bool(torch.isfinite(loss).all()) and bool(torch.isfinite(y_hat.grad).all())
    tiny = torch.finfo(dtype).tiny
    held = p.double()
    expected = torch.where(held >= tiny, -1 / held, torch.zeros_like(held)).to(dtype)
    torch.testing.assert_close(y_hat.grad[:, 0], expected, rtol=torch.finfo(dtype).eps, atol=0)
    assert torch.equal(y_hat.grad[:, 1], torch.zeros(len(p), dtype=dtype))


def test_a_probability_of_zero_counts_as_the_dtypes_smallest_positive_value() -> None:
    """float16: −log(2⁻²⁴) = 16.64 (its smallest subnormal); float32 keeps its clamp at tiny, 87.34."""
    zero = torch.tensor([[0.0, 1.0]])
    y = torch.tensor([0])
    assert float(cross_entropy(zero.half(), y)) == pytest.approx(24 * math.log(2), rel=1e-3)
    assert float(cross_entropy(zero, y)) == pytest.approx(-math.log(torch.finfo().tiny), rel=1e-6)


# --- no class at all -----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 0])
@pytest.mark.parametrize(
    ("call", "name", "kind"),
    [
        (cross_entropy_logits, "O", "logit"),
        (softmax_cross_entropy_grad, "O", "logit"),
        (cross_entropy, "y_hat", "probability"),
    ],
    ids=["cross_entropy_logits", "softmax_cross_entropy_grad", "cross_entropy"],
)
def test_scores_of_no_class_are_refused_as_softmax_refuses_them(
    call: Any, name: str, kind: str, rows: int
) -> None:
    """cross_entropy_logits raised torch's IndexError from amax(); the others named a label range
    [0, 0). softmax's wording (above) is the model."""
    O = torch.zeros(rows, 0)
    with pytest.raises(
        UsageError,
        match=rf"^{name} must hold at least one {kind} per row \(one per class\), got shape "
        rf"\({rows}, 0\); pass {name} of shape \(B, C\) with C >= 1$",
    ):
        call(O, torch.zeros(rows, dtype=torch.int64))


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_the_losses_give_torchs_shapes_on_the_meta_device(layout: str) -> None:
    """Meta tensors hold shapes only: no label range or probability can be checked there, so the
    checks are skipped (as for an empty batch) and the losses work wherever torch's own do."""
    O = torch.zeros(4, 3, device="meta") if layout == "rows" else torch.zeros(3, 4, device="meta").T
    y = torch.zeros(4, dtype=torch.long, device="meta")
    oracle = F.cross_entropy(O, y, reduction="none")  # (4,) on meta
    for loss in (cross_entropy_logits(O, y), cross_entropy(softmax(O), y)):
        assert (loss.device, loss.shape, loss.dtype) == (oracle.device, oracle.shape, oracle.dtype)
    grad = softmax_cross_entropy_grad(O, y)
    assert (grad.device.type, grad.shape) == ("meta", O.shape)


@pytest.mark.parametrize(
    "loss",
    [cross_entropy_logits, lambda O, y: cross_entropy(softmax(O), y), softmax_cross_entropy_grad],
    ids=["cross_entropy_logits", "cross_entropy", "softmax_cross_entropy_grad"],
)
def test_meta_labels_for_scores_that_hold_values_are_refused(loss: Any) -> None:
    """A CPU gather with a meta index reads whatever memory it points to (a loss of garbage,
    silently): the labels' own refusal instead, as data_iter gives it."""
    with pytest.raises(
        UsageError,
        match=r"^y must hold values, got a tensor of shape \(4,\) on the meta device \(a shape "
        r"without data\); pass one that holds its values, on the CPU or a GPU$",
    ):
        loss(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long, device="meta"))


@pytest.mark.parametrize(
    "O", [[[0.0, 1.0]], np.zeros((1, 2), dtype=np.float32)], ids=["list", "numpy"]
)
@pytest.mark.parametrize(
    "loss",
    [cross_entropy_logits, softmax_cross_entropy_grad, cross_entropy],
    ids=lambda f: f.__name__,
)
def test_logits_that_are_no_tensor_are_named_by_every_loss(O: Any, loss: Any) -> None:
    """A list or NumPy array of logits is named as O (y_hat): cross_entropy_logits read its device
    before its type and failed with "'list' object has no attribute 'is_cpu'"."""
    name = "y_hat" if loss is cross_entropy else "O"
    with pytest.raises(
        UsageTypeError, match=rf"^{name} must be a torch.Tensor, got .*torch.as_tensor\({name}\)"
    ):
        loss(O, torch.tensor([1]))


@pytest.mark.parametrize(
    "y",
    [
        torch.tensor([0, 2, 1, 1, 0, 2, 2, 1]),
        torch.tensor([0, 2, 1, 1, 0, 2, 2, 1])[:, None],
        torch.tensor([0, 1, 1, 1, 0, 1, 1, 1]).bool(),
        torch.tensor([0, 2, 1, 1, 0, 2, 2, 1]).float(),
    ],
    ids=["int64", "column", "bool", "float"],
)
@pytest.mark.parametrize(
    "loss",
    [cross_entropy_logits, softmax_cross_entropy_grad, cross_entropy],
    ids=lambda f: f.__name__,
)
def test_a_weight_vector_s_one_score_per_example_is_named_not_taken_for_one_example(
    loss: Any, y: torch.Tensor
) -> None:
    """The book's X @ w with w (d,) gives (B,) for B labels: "for one example use
    y_hat.reshape(1, -1), a batch of one" made it (1, B), scores of B classes for one label."""
    with pytest.raises(UsageError) as info:
        loss(torch.full((8,), 0.125), y)
    assert str(info.value) == (
        "a classifier's output must be scores of shape (B, C), one per class, got shape (8,) for "
        "8 labels: one output scores one class only; give the model one output per class, e.g. "
        "nn.Linear(d, C) for C classes, or a weight W of shape (d, C), not a vector (d,)"
    )


@pytest.mark.parametrize("y", [torch.tensor([1]), torch.tensor(1)], ids=["one-label", "0d"])
def test_one_example_s_scores_for_one_label_are_still_told_to_make_a_batch_of_one(
    y: torch.Tensor,
) -> None:
    """Scores (C,) of one example, for one label: reshape(1, -1) fits them."""
    with pytest.raises(UsageError) as info:
        cross_entropy(torch.full((3,), 1 / 3), y)
    assert str(info.value).endswith("for one example use y_hat.reshape(1, -1), a batch of one")


@pytest.mark.parametrize("column", [False, True], ids=["labels", "label-column"])
@pytest.mark.parametrize(
    "loss,name,section",
    [
        (cross_entropy, "y_hat", "3.6.4"),
        (cross_entropy_logits, "O", "3.7.2"),
        (softmax_cross_entropy_grad, "O", "3.4.6.2"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_labels_first_and_scores_second_are_named_as_swapped_arguments(
    loss: Any, name: str, section: str, column: bool
) -> None:
    """``cross_entropy(y, y_hat)`` said "y_hat must be a floating-point tensor ... y_hat.float()",
    a fix that leads further astray: it is the arguments' order."""
    y = torch.tensor([3, 1, 4, 1])
    scores = softmax(torch.randn(4, 10, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(UsageTypeError) as info:
        loss(y.reshape(-1, 1) if column else y, scores)
    shape = "(4, 1)" if column else "(4,)"
    assert str(info.value) == (
        f"{loss.__name__} takes the model's outputs {name} (B, C) first, then the labels y (B,), "
        f"got a tensor of shape {shape} and dtype torch.int64 as {name} and a tensor of shape "
        f"(4, 10) and dtype torch.float32 as y: the arguments are in the wrong order; call "
        f"{loss.__name__}({name}, y) (D2L §{section})"
    )
    assert loss(scores, y).shape[0] == 4  # the call it names works
