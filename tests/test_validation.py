"""The boundary checks themselves: each accepts exactly its rule's edge, refuses one step past it with
the argument, the rule, the value and the fix, and hands back plain Python values."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import linearnets as ln
from linearnets import d2l
from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.models.concise import linreg_concise, softmax_concise
from linearnets.models.scratch import LinearRegressionScratch, SoftmaxRegressionScratch
from linearnets.validation import (
    NanSource,
    NanStep,
    check_bool,
    check_choice,
    check_finite,
    check_finite_init,
    check_float_tensor,
    check_generator,
    check_holds_values,
    check_label_range,
    check_label_tensor,
    check_labels_device,
    check_model_size,
    check_no_nan_scores,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
    check_same_length,
    check_transform,
    describe,
    scalar_value,
)


def test_describe_names_a_tensor_by_shape_and_dtype_and_shortens_long_reprs() -> None:
    assert describe(torch.zeros(2, 3)) == "a tensor of shape (2, 3) and dtype torch.float32"
    assert (
        describe(torch.zeros((), dtype=torch.int64)) == "a tensor of shape () and dtype torch.int64"
    )
    assert describe("abc") == "'abc'"
    at_limit = "x" * 58  # repr adds two quotes: 60 characters, kept whole
    assert describe(at_limit) == repr(at_limit) and len(repr(at_limit)) == 60
    past_limit = "y" * 59  # 61 characters: cut to 57 and an ellipsis, 60 in all
    assert describe(past_limit) == repr(past_limit)[:57] + "..."
    assert len(describe(past_limit)) == 60


def test_describe_keeps_a_numpy_array_or_a_multiline_repr_to_one_line() -> None:
    """A NumPy array's repr spans lines, which the one-line message took in whole."""
    features = np.random.default_rng(0).normal(size=(100, 2)).astype("float32")
    assert describe(features) == "a NumPy array of shape (100, 2) and dtype float32"
    assert describe(np.array(True)) == "array(True)"  # 0-d: its repr is short and one line
    assert describe(_Multiline()) == "<a value spanning lines>"


class _Multiline:
    def __repr__(self) -> str:
        return "<a value\n  spanning\tlines>"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda X, y: list(ln.data_iter(10, X, y)), "features"),
        (lambda X, y: ln.load_array((X, y), 10), "data_arrays[0]"),
        (lambda X, y: ln.closed_form(X, y), "X"),
        (lambda X, y: ln.linreg(X, y[:2], 0.0), "X"),
        (lambda X, y: ln.squared_loss(X, y), "y_hat"),
    ],
    ids=["data_iter", "load_array", "closed_form", "linreg", "squared_loss"],
)
def test_numpy_arrays_are_refused_in_one_short_line(call: Callable[..., Any], name: str) -> None:
    """It said "got array([[ 1.93...,\\n  ...]])": the array's repr, lines and all."""
    X = np.random.default_rng(0).normal(size=(100, 2)).astype("float32")
    y = np.ones((100, 1), dtype="float32")
    with pytest.raises(UsageTypeError) as info:
        call(X, y)
    assert str(info.value) == (
        f"{name} must be a torch.Tensor, got a NumPy array of shape (100, 2) and dtype float32; "
        f"convert it with torch.as_tensor({name})"
    )


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (
            lambda: ln.linreg(torch.randn(5, 2), torch.tensor([[1], [2]]), 0.0),
            "w must be a floating-point tensor, got a tensor of shape (2, 1) and dtype torch.int64; "
            "convert it with w.float()",
        ),
        (
            lambda: ln.closed_form(torch.randn(5, 2), torch.ones(5, 1).long()),
            "y must be a floating-point tensor, got a tensor of shape (5, 1) and dtype torch.int64; "
            "convert it with y.float()",
        ),
        (
            lambda: ln.squared_loss(torch.ones(5, 1).long(), torch.ones(5, 1)),
            "y_hat must be a floating-point tensor, got a tensor of shape (5, 1) and dtype "
            "torch.int64; convert it with y_hat.float()",
        ),
        (
            lambda: ln.closed_form(torch.ones(5, 2).long(), torch.ones(5, 1)),
            "X must be a floating-point tensor, got a tensor of shape (5, 2) and dtype torch.int64; "
            "convert it with X.float() (images: X.float() / 255)",
        ),
    ],
    ids=["weights", "targets", "predictions", "features"],
)
def test_only_features_are_told_to_scale_image_pixels(call: Callable[[], Any], said: str) -> None:
    """w.float() / 255 was suggested for integer weights, y.float() / 255 for targets."""
    with pytest.raises(UsageTypeError) as info:
        call()
    assert str(info.value) == said


def _raises(kind: type[Exception], pattern: str, check: Any, *args: Any, **kwargs: Any) -> None:
    """Assert ``check(*args)`` raises exactly ``kind`` (not a subclass) with ``pattern``."""
    with pytest.raises(kind, match=pattern) as info:
        check(*args, **kwargs)
    assert type(info.value) is kind, type(info.value)


@pytest.mark.parametrize(
    ("value", "kwargs", "kind", "pattern"),
    [
        (0, {}, UsageError, r"^n must be a positive integer \(>= 1\), got 0; pass e.g. n=1$"),
        (-3, {"fix": "pass n=2"}, UsageError, r"^n must be a positive integer \(>= 1\), got -3; pass n=2$"),
        (4, {"maximum": 3}, UsageError, r"^n must be an integer in \[1, 3\], got 4; pass at most 3$"),
        (True, {}, UsageTypeError, r"^n must be a positive integer, got True; pass e.g. n=1$"),
        # a whole float or a string of digits: the int it plainly means is the fix, if allowed
        (2.0, {}, UsageTypeError, r"^n must be a positive integer, got 2.0; pass n=2$"),
        ("2", {}, UsageTypeError, r"^n must be a positive integer, got '2'; pass n=2$"),
        (np.float64(3.0), {}, UsageTypeError, r"^n must be a positive integer, got np.float64\(3.0\); pass n=3$"),
        (5.0, {"maximum": 3}, UsageTypeError, r"^n must be a positive integer, got 5.0; pass e.g. n=1$"),
        (2.0, {"fix": "pass n=4"}, UsageTypeError, r"^n must be a positive integer, got 2.0; pass n=4$"),
        (2.5, {}, UsageTypeError, r"^n must be a positive integer, got 2.5; pass e.g. n=1$"),
        (0.0, {}, UsageTypeError, r"^n must be a positive integer, got 0.0; pass e.g. n=1$"),
        ("0", {}, UsageTypeError, r"^n must be a positive integer, got '0'; pass e.g. n=1$"),
        ("²", {}, UsageTypeError, r"^n must be a positive integer, got '²'; pass e.g. n=1$"),
        # a 0-d integer tensor is its int (then judged as one); bools, floats, one-element 1-d
        # tensors (as for lr) and a tensor without values are not
        (torch.tensor(0), {}, UsageError, r"^n must be a positive integer \(>= 1\), got 0; pass e.g. n=1$"),
        (torch.tensor(4), {"maximum": 3}, UsageError, r"^n must be an integer in \[1, 3\], got 4; pass at most 3$"),
        (torch.tensor(True), {}, UsageTypeError, r"^n must be a positive integer, got a tensor of shape \(\) and dtype torch\.bool"),
        (torch.tensor(4.0), {}, UsageTypeError, r"^n must be a positive integer, got a tensor of shape \(\) and dtype torch\.float32"),
        (torch.tensor([4]), {}, UsageTypeError, r"^n must be a positive integer, got a tensor of shape \(1,\) and dtype torch\.int64"),
        (torch.tensor(4, device="meta"), {}, UsageTypeError, r"^n must be a positive integer, got a tensor of shape \(\) and dtype torch\.int64"),
    ],
)  # fmt: skip
def test_check_positive_int_refuses(
    value: object, kwargs: dict[str, Any], kind: type[Exception], pattern: str
) -> None:
    _raises(kind, pattern, check_positive_int, "n", value, **kwargs)


def test_check_positive_int_accepts_its_edges_and_returns_a_plain_int() -> None:
    assert check_positive_int("n", 1) == 1
    assert check_positive_int("n", 3, maximum=3) == 3
    value = check_positive_int("n", np.int64(7))
    assert type(value) is int and value == 7


@pytest.mark.parametrize(
    ("value", "kwargs", "kind", "pattern"),
    [
        (0.0, {}, UsageError, r"^lr must be a finite number > 0, got 0.0; pass e.g. lr=0.1$"),
        (-1e-300, {"fix": "pass lr=0.1"}, UsageError, r"^lr must be a finite number > 0, got -1e-300; pass lr=0.1$"),
        (float("inf"), {}, UsageError, r"^lr must be a finite number > 0, got inf; pass e.g. lr=0.1$"),
        (float("nan"), {"maximum": 0.05}, UsageError, r"^lr must be a finite number > 0, got nan; pass e.g. lr=0.05$"),
        (2.5, {"maximum": 2.0}, UsageError, r"^lr must be a number in \(0, 2\], got 2.5; pass at most 2$"),
        (True, {}, UsageTypeError, r"^lr must be a positive number, got True; pass e.g. lr=0.1$"),
        ("0.1", {"fix": "pass lr=0.1"}, UsageTypeError, r"^lr must be a positive number, got '0.1'; pass lr=0.1$"),
        # an int past float's range: float() raised a bare OverflowError naming nothing
        pytest.param(10**400, {}, UsageError, r"^lr must be a finite number > 0, got 1000000000\d{47}\.\.\.; pass e.g. lr=0.1$", id="int-past-float"),
    ],
)  # fmt: skip
def test_check_positive_float_refuses(
    value: object, kwargs: dict[str, Any], kind: type[Exception], pattern: str
) -> None:
    _raises(kind, pattern, check_positive_float, "lr", value, **kwargs)


def test_check_positive_float_accepts_its_edges_and_returns_a_plain_float() -> None:
    assert check_positive_float("lr", 5e-324) == 5e-324  # the smallest positive double
    assert check_positive_float("lr", 2.0, maximum=2.0) == 2.0
    for value, expected in [(np.float32(0.5), 0.5), (3, 3.0), (np.int64(2), 2.0)]:
        result = check_positive_float("lr", value)
        assert type(result) is float and result == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "kind", "pattern"),
    [
        (-5e-324, {}, UsageError, r"^s must be a finite number >= 0, got -5e-324; pass e.g. s=0.01$"),
        (float("inf"), {"maximum": 0.0}, UsageError, r"^s must be a finite number >= 0, got inf; pass e.g. s=0$"),
        (float("nan"), {"fix": "pass s=0"}, UsageError, r"^s must be a finite number >= 0, got nan; pass s=0$"),
        (1.5, {"maximum": 1.0}, UsageError, r"^s must be a number in \[0, 1\], got 1.5; pass at most 1$"),
        (False, {}, UsageTypeError, r"^s must be a non-negative number, got False; pass e.g. s=0.01$"),
        (None, {}, UsageTypeError, r"^s must be a non-negative number, got None; pass e.g. s=0.01$"),
        pytest.param(10**400, {}, UsageError, r"^s must be a finite number >= 0, got 1000000000\d{47}\.\.\.; pass e.g. s=0.01$", id="int-past-float"),
    ],
)  # fmt: skip
def test_check_non_negative_float_refuses(
    value: object, kwargs: dict[str, Any], kind: type[Exception], pattern: str
) -> None:
    _raises(kind, pattern, check_non_negative_float, "s", value, **kwargs)


def test_check_non_negative_float_accepts_zero_and_its_maximum_as_plain_floats() -> None:
    for value, kwargs, expected in [(0, {}, 0.0), (1.0, {"maximum": 1.0}, 1.0),
                                    (np.float32(0.25), {}, 0.25)]:  # fmt: skip
        result = check_non_negative_float("s", value, **kwargs)
        assert type(result) is float and result == expected


@pytest.mark.parametrize("zero", [-0.0, np.float32(-0.0), torch.tensor(-0.0)])
def test_check_non_negative_float_returns_minus_zero_as_zero(zero: object) -> None:
    """-0.0 keeps the rule (it is not < 0), but a config that stored it read "noise_std": -0.0."""
    result = check_non_negative_float("noise_std", zero)
    assert result == 0.0 and math.copysign(1.0, result) == 1.0
    assert repr(result) == "0.0"


def test_check_bool_takes_only_bools_and_returns_a_plain_bool() -> None:
    assert check_bool("guard", True) is True and check_bool("guard", False) is False
    for value in ("no", 1, None, torch.tensor(True)):
        _raises(
            UsageTypeError,
            r"^guard must be True or False, got .*; pass guard=True or guard=False$",
            check_bool,
            "guard",
            value,
        )


@pytest.mark.parametrize("flag", [True, False])
def test_check_bool_takes_a_numpy_bool_as_its_docstring_promises(flag: bool) -> None:
    value = check_bool("guard", np.bool_(flag))  # a value of a NumPy mask, say
    assert value is flag  # stored as Python's bool, so a config writes as JSON


def test_check_generator_takes_a_generator_or_none() -> None:
    gen = torch.Generator().manual_seed(0)
    assert check_generator("generator", gen) is gen
    assert check_generator("generator", None) is None
    _raises(
        UsageTypeError,
        r"^generator must be a torch.Generator or None, got 0; "
        r"pass e.g. generator=torch.Generator\(\).manual_seed\(0\)$",
        check_generator,
        "generator",
        0,
    )


def test_check_choice_lists_the_choices_and_returns_a_plain_str() -> None:
    assert check_choice("impl", "b", ("a", "b")) == "b"
    value = check_choice("impl", np.str_("a"), ("a", "b"))
    assert type(value) is str and value == "a"
    _raises(
        UsageError,
        r"^impl must be one of 'a', 'b', got 'c'; pass e.g. impl='a'$",
        check_choice,
        "impl",
        "c",
        ("a", "b"),
    )


def test_check_float_tensor() -> None:
    X = torch.zeros(2, 3)
    assert check_float_tensor("X", X) is X and check_float_tensor("X", X, ndim=2) is X
    _raises(
        UsageTypeError,
        r"^X must be a torch.Tensor, got \[1.0\]; convert it with torch.as_tensor\(X\)$",
        check_float_tensor,
        "X",
        [1.0],
    )
    _raises(
        UsageTypeError,
        r"^X must be a floating-point tensor, got a tensor of shape \(2,\) and dtype torch.uint8; "
        r"convert it with X.float\(\) \(images: X.float\(\) / 255\)$",
        check_float_tensor,
        "X",
        torch.zeros(2, dtype=torch.uint8),
    )
    _raises(
        UsageError,
        r"^X must be 3-dimensional, got a tensor of shape \(2, 3\) and dtype torch.float32; add the "
        r"missing leading dimensions with X.reshape\(1, \*X.shape\)$",
        check_float_tensor,
        "X",
        X,
        ndim=3,
    )
    assert check_float_tensor("X", X.reshape(1, *X.shape), ndim=3).shape == (1, 2, 3)  # the fix


@pytest.mark.parametrize(
    ("shape", "fix", "apply"),
    [
        ((3,), r"for one example use X\.reshape\(1, -1\), a batch of one", lambda X: X.reshape(1, -1)),
        ((), r"add the missing leading dimensions with X\.reshape\(1, 1, \*X\.shape\)", lambda X: X.reshape(1, 1, *X.shape)),
        ((4, 1, 28, 28), r"flatten each example's trailing dimensions with X\.flatten\(1\)", lambda X: X.flatten(1)),
        ((0, 1, 2), r"flatten each example's trailing dimensions with X\.flatten\(1\)", lambda X: X.flatten(1)),
    ],
    ids=["one-example", "scalar", "images", "empty-batch"],
)  # fmt: skip
def test_a_wrong_number_of_dimensions_ends_with_a_fix_that_works(
    shape: tuple[int, ...], fix: str, apply: Any
) -> None:
    """The message used to stop at the rule; its fix (``apply``, as the message spells it) now
    passes the check, keeping the batch's rows (an empty batch too, where reshape(0, -1) fails)."""
    X = torch.zeros(shape)
    with pytest.raises(UsageError, match=rf"^X must be 2-dimensional, got .*; {fix}$"):
        check_float_tensor("X", X, ndim=2)
    fixed = check_float_tensor("X", apply(X), ndim=2)
    assert fixed.shape[0] == (shape[0] if len(shape) > 2 else 1)


@pytest.mark.parametrize(
    ("shape", "ndim", "fix", "apply"),
    [
        ((2, 3, 4, 5), 3, r"flatten each example's trailing dimensions with X\.flatten\(2\)", lambda X: X.flatten(2)),
        ((2, 3), 1, r"flatten each example's trailing dimensions with X\.flatten\(0\)", lambda X: X.flatten(0)),
        ((3,), 3, r"add the missing leading dimensions with X\.reshape\(1, 1, \*X\.shape\)", lambda X: X.reshape(1, 1, *X.shape)),
    ],
    ids=["4d-for-3d", "2d-for-1d", "1d-for-3d"],
)  # fmt: skip
def test_the_fix_for_another_number_of_dimensions_than_2_works_too(
    shape: tuple[int, ...], ndim: int, fix: str, apply: Any
) -> None:
    """The fix is worked out from the dimensions asked for, not only for a batch (B, n): X.reshape(1,
    -1) would leave a 1-d X 2-d where 3 are asked for, and flatten(1) a 4-d X 2-d."""
    X = torch.zeros(shape)
    with pytest.raises(UsageError, match=rf"^X must be {ndim}-dimensional, got .*; {fix}$"):
        check_float_tensor("X", X, ndim=ndim)
    assert check_float_tensor("X", apply(X), ndim=ndim).ndim == ndim


@pytest.mark.parametrize(
    ("y", "kind", "pattern"),
    [
        ([0, 1], UsageTypeError, r"^y must be a torch.Tensor of class indices, got \[0, 1\]; convert it with torch.as_tensor\(y\)$"),
        (torch.tensor([0.0, 1.0]), UsageTypeError, r"an integer tensor of class indices, .*; use y.long\(\)$"),
        # one-hot rows: .long() would keep them 2-d; argmax turns them into indices
        (torch.eye(3), UsageTypeError, r"an integer tensor of class indices, .*; use y.argmax\(dim=1\) \(one-hot"),
        (torch.ones(3, 1), UsageTypeError, r"an integer tensor of class indices, .*; use y.long\(\)$"),
        (torch.tensor([True, False]), UsageTypeError, r"an integer tensor of class indices, .*torch.bool; use y.long\(\)$"),
        (torch.tensor([1j]), UsageTypeError, r"an integer tensor of class indices, .*torch.complex64; use y.long\(\)$"),
        (torch.eye(3, dtype=torch.long), UsageError, r"^y must be 1-dimensional \(B,\), .*; use y.argmax\(dim=1\)"),
        (torch.eye(3, dtype=torch.long)[:1], UsageError, r"^y must be 1-dimensional \(B,\), .*; use y.argmax\(dim=1\)"),
        (torch.zeros(3, 1, dtype=torch.long), UsageError, r"^y must be 1-dimensional \(B,\), .*; use y.reshape\(-1\)$"),
        (torch.tensor(1), UsageError, r"^y must be 1-dimensional \(B,\), got a tensor of shape \(\) .*; use y.reshape\(-1\)$"),
        (torch.tensor([0, 3]), UsageError, r"^y must hold class indices in \[0, 3\), got 3; check the labels"),
        (torch.tensor([-1, 2]), UsageError, r"^y must hold class indices in \[0, 3\), got -1; check the labels"),
        (torch.tensor([-1, 5]), UsageError, r"^y must hold class indices in \[0, 3\), got -1; check the labels"),
    ],
)  # fmt: skip
def test_check_label_tensor_refuses(y: object, kind: type[Exception], pattern: str) -> None:
    _raises(kind, pattern, check_label_tensor, "y", y, num_classes=3)


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_check_label_tensor_refuses_the_wide_unsigned_dtypes(dtype: str) -> None:
    y = torch.tensor([0, 1], dtype=torch.int32).to(getattr(torch, dtype))
    _raises(
        UsageTypeError,
        rf"signed integer dtype or uint8 .*torch.{dtype}; use y.long\(\)$",
        check_label_tensor,
        "y",
        y,
        num_classes=3,
    )


def test_check_label_tensor_accepts_every_valid_index_and_no_labels() -> None:
    for y in (torch.tensor([0, 2, 1]), torch.tensor([2, 0], dtype=torch.uint8),
              torch.tensor([1], dtype=torch.int8)):  # fmt: skip
        assert check_label_tensor("y", y, num_classes=3) is y
    empty = torch.zeros(0, dtype=torch.long)
    assert check_label_tensor("y", empty, num_classes=3) is empty  # nothing to range-check
    big = torch.tensor([7])
    assert check_label_tensor("y", big) is big  # no num_classes: no range


def test_check_label_range_edges() -> None:
    check_label_range("y", 0, 2, 3)  # both edges inside [0, 3)
    _raises(
        UsageError,
        r"^y must hold class indices in \[0, 3\), got 3; check the labels match the model's number "
        r"of outputs$",
        check_label_range,
        "y",
        0,
        3,
        3,
    )
    _raises(UsageError, r"in \[0, 3\), got -1;", check_label_range, "y", -1, 1, 3)


def test_check_finite_counts_every_non_finite_entry() -> None:
    x = torch.tensor([1.0, 2.0])
    assert check_finite("X", x) is x
    ints = torch.tensor([1, 2])
    assert check_finite("X", ints) is ints
    bad = torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 0.0])
    _raises(
        UsageError,
        r"^X must hold only finite values, got 3 NaN/inf entries in a tensor of shape \(5,\) and "
        r"dtype torch.float32; clean or impute the data first$",
        check_finite,
        "X",
        bad,
    )


_META_REFUSAL = (
    r"^{name} must hold values, got a tensor of shape {shape} on the meta device \(a shape "
    r"without data\); pass one that holds its values, on the CPU or a GPU$"
)


def test_check_holds_values_refuses_only_the_meta_device() -> None:
    x = torch.zeros(2, 3)
    assert check_holds_values("X", x) is x
    empty = torch.zeros(0)  # no values, but none are missing: not refused
    assert check_holds_values("X", empty) is empty
    pattern = _META_REFUSAL.format(name="X", shape=r"\(2, 3\)")
    _raises(UsageError, pattern, check_holds_values, "X", torch.zeros(2, 3, device="meta"))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.complex64])
def test_check_finite_refuses_a_meta_tensor_rather_than_fail_reading_it(dtype: torch.dtype) -> None:
    """Not torch's "Tensor.item() cannot be called on meta tensors"; integers too, for one rule."""
    meta = torch.zeros(4, dtype=dtype, device="meta")
    pattern = _META_REFUSAL.format(name="y", shape=r"\(4,\)")
    _raises(UsageError, pattern, check_finite, "y", meta)


def test_check_label_tensor_refuses_a_meta_tensor_only_for_a_range_check() -> None:
    """The range needs values; the dtype and shape checks do not, so they still pass meta labels."""
    y = torch.zeros(5, dtype=torch.long, device="meta")
    assert check_label_tensor("y", y) is y
    pattern = _META_REFUSAL.format(name="y", shape=r"\(5,\)")
    _raises(UsageError, pattern, check_label_tensor, "y", y, num_classes=3)
    _raises(UsageTypeError, r"^y must be an integer tensor", check_label_tensor, "y", y.float())


def test_check_labels_device_leaves_meta_scores_to_the_model_and_refuses_meta_labels() -> None:
    """Meta scores are the model's checks' to refuse, not a device mismatch; meta labels are refused
    as holding no values, not told to move to the scores' device (which would not give them any)."""
    y = torch.tensor([0, 1])
    check_labels_device(y, torch.zeros(2, 3), "y_hat")
    check_labels_device(y, torch.zeros(2, 3, device="meta"), "y_hat")
    pattern = _META_REFUSAL.format(name="y", shape=r"\(2,\)")
    _raises(UsageError, pattern, check_labels_device, y.to("meta"), torch.zeros(2, 3), "y_hat")


def test_check_finite_checks_complex_values_too() -> None:
    z = torch.tensor([1 + 2j, 3 - 1j])
    assert check_finite("X", z) is z
    bad = torch.tensor([complex(1, float("inf")), complex(float("nan"), 0), 2j])
    assert torch.isfinite(bad).tolist() == [False, False, True]  # the oracle: torch's own test
    _raises(
        UsageError,
        r"^X must hold only finite values, got 2 NaN/inf entries",
        check_finite,
        "X",
        bad,
    )


def test_check_same_length() -> None:
    X, y = torch.zeros(3, 2), torch.zeros(3)
    assert check_same_length(("X", "y"), (X, y)) == 3
    assert check_same_length(("X", "y"), (torch.zeros(0, 5), torch.zeros(0))) == 0
    _raises(
        UsageError,
        r"^X and y must have the same number of examples \(first dimension\), got X has 3, "
        r"y has 2; pass matching arrays$",
        check_same_length,
        ("X", "y"),
        (X, torch.zeros(2)),
    )
    _raises(
        UsageError,
        r"got a has 3, b has 2, c has 2;",
        check_same_length,
        ("a", "b", "c"),
        (torch.zeros(3), torch.zeros(2), torch.zeros(2)),
    )
    _raises(  # the odd one out in the middle: the first and the last agree
        UsageError,
        r"got a has 3, b has 2, c has 3;",
        check_same_length,
        ("a", "b", "c"),
        (torch.zeros(3), torch.zeros(2), torch.zeros(3)),
    )
    _raises(
        UsageError,
        r"^y must be a tensor with one row per example \(n, ...\), .*; use y.reshape\(1\)$",
        check_same_length,
        ("X", "y"),
        (X, torch.tensor(1.0)),
    )
    _raises(
        UsageTypeError,
        r"^y must be a torch.Tensor, got \[0, 1, 2\]",
        check_same_length,
        ("X", "y"),
        (X, [0, 1, 2]),
    )


@pytest.mark.parametrize(
    ("check", "args", "kind"),
    [
        (check_positive_float, ("timeout", 0), UsageError),
        (check_positive_float, ("timeout", "30"), UsageTypeError),
        (check_non_negative_float, ("noise_std", -0.1), UsageError),
        (check_non_negative_float, ("noise_std", None), UsageTypeError),
        (check_choice, ("impl", "fast", ("scratch", "concise")), UsageError),
        (check_label_tensor, ("y", [0, 2]), UsageTypeError),
    ],
    ids=["positive-value", "positive-type", "non-negative-value", "non-negative-type", "choice", "labels-list"],
)  # fmt: skip
def test_every_refusal_ends_with_a_fix_that_passes_the_check(
    check: Any, args: tuple[Any, ...], kind: type[Exception]
) -> None:
    """The house rule: the parameter, the rule, the value received and the fix. These checks were
    called without a fix and said none; the example each gives now is itself accepted."""
    with pytest.raises(kind) as info:
        check(*args)
    fix = re.fullmatch(
        r"\w+ must be .+, got .+; (pass e\.g\. \w+=(.+)|convert it with (.+))", str(info.value)
    )
    assert fix is not None, str(info.value)
    example, conversion = fix.group(2), fix.group(3)
    if example is not None:  # pass e.g. name=value: that value passes
        assert check(args[0], ast.literal_eval(example), *args[2:]) == ast.literal_eval(example)
    else:  # convert it with torch.as_tensor(y): the converted list passes, as int64 indices
        assert conversion == "torch.as_tensor(y)"
        fixed = check(args[0], torch.as_tensor(args[1]))
        assert fixed.dtype == torch.int64 and fixed.tolist() == [0, 2]


def test_check_no_nan_scores() -> None:
    check_no_nan_scores(False)
    check_no_nan_scores(torch.tensor(False))
    scores = torch.tensor([[0.0, float("nan")]])
    _raises(
        DivergenceError,
        r"^the model's scores hold NaN, so no accuracy can be computed: its weights or its inputs "
        r"hold NaN \(weights blow up when the lr is too large: train again with a smaller one\)$",
        check_no_nan_scores,
        torch.isnan(scores).any(),
    )


def test_check_no_nan_scores_from_finite_values_names_the_overflow_and_its_fix() -> None:
    """The book's softmax on a score of 100: exp(100) is inf in float32 and inf / inf is NaN, so
    the weights are not to blame; the fix it names, subtracting the row's max, gives finite values."""
    o = torch.tensor([[100.0, 0.0]])
    naive = torch.exp(o) / torch.exp(o).sum(1, keepdim=True)
    assert torch.isinf(torch.exp(o[0, 0])) and torch.isnan(naive[0, 0])  # the overflow, written out
    shifted = o - o.max(dim=1, keepdim=True).values
    stable = torch.exp(shifted) / torch.exp(shifted).sum(1, keepdim=True)
    assert bool(torch.isfinite(stable).all()) and stable[0, 0] == 1.0  # exp(0) / (1 + exp(-100))
    check_no_nan_scores(False, source=NanSource(nan_on_batch=True, finite_weights=True))
    with pytest.raises(DivergenceError) as info:
        check_no_nan_scores(
            torch.isnan(naive).any(), source=NanSource(nan_on_batch=True, finite_weights=True)
        )
    said = str(info.value)
    assert said.startswith(
        "the model's scores hold NaN, so no accuracy can be computed, though its "
    )
    assert "parameters and its inputs are finite: its own computation overflowed" in said
    assert "o - o.max(dim=1, keepdim=True).values" in said and "nn.CrossEntropyLoss" in said
    assert "weights or its inputs hold NaN" not in said and "lr" not in said.split()


_NAN_HEAD = "the model's scores hold NaN, so no accuracy can be computed"
_SOFTMAX = (
    "{head}, though its parameters and its inputs are finite: its own computation overflowed, "
    "e.g. a softmax computed as exp(o) / exp(o).sum(1) without subtracting each row's max first "
    "(exp of a score above ~{limit} is inf in {dtype}, and inf / inf is NaN); subtract each "
    "row's max before exp, o - o.max(dim=1, keepdim=True).values, or use linearnets.softmax, "
    "which does, or return the scores themselves (logits) and train with nn.CrossEntropyLoss"
)
_TOO_LARGE = (
    "{head}, though its parameters and its inputs are finite: its own computation overflowed, "
    "its scores going past the largest value of their dtype ({top}) from features or weights "
    "far too large ({seen}), and inf - inf or 0 × inf is NaN; scale the features (e.g. "
    "standardise each one){fresh}; run the model's steps on that batch one at a time to find "
    "the one that gives inf"
)
_FRESH = (
    ", and train again from fresh weights (weights that large come from their initialisation or "
    "a learning rate too large)"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (NanSource(nan_on_batch=True, dtype=torch.float64, score_range=(0.0, 1.0), largest_input=30.0, largest_weight=40.0), _SOFTMAX.format(head=_NAN_HEAD, limit=709, dtype="float64")),
        (NanSource(nan_on_batch=True, dtype=torch.float16), _SOFTMAX.format(head=_NAN_HEAD, limit=11, dtype="float16")),
        (NanSource(nan_on_batch=True, dtype=torch.float32, score_range=(-math.inf, 0.0)), _SOFTMAX.format(head=_NAN_HEAD, limit=88, dtype="float32")),
        (NanSource(nan_on_batch=True, dtype=torch.float32, score_range=(-math.inf, math.inf), largest_input=2e20, largest_weight=3e19, batch="the first batch"), _TOO_LARGE.format(head=_NAN_HEAD, top="3.4e38 in float32", seen="its scores on the first batch hold inf; the features reach 2e+20 in absolute value, the weights 3e+19", fresh=_FRESH)),
        (NanSource(nan_on_batch=True, dtype=torch.float64, score_range=(-4e12, 5.0), largest_input=4e12, largest_weight=0.5), _TOO_LARGE.format(head=_NAN_HEAD, top="1.8e308 in float64", seen="its scores on a batch reach 4e+12 in absolute value; the features reach 4e+12 in absolute value, the weights 0.5", fresh="")),
        (NanSource(nan_on_batch=True, dtype=torch.float32, largest_input=1e20, largest_weight=1e20), _TOO_LARGE.format(head=_NAN_HEAD, top="3.4e38 in float32", seen="the features reach 1e+20 in absolute value, the weights 1e+20", fresh=_FRESH)),
        (NanSource(nan_on_batch=True, dtype=torch.float32, score_range=(math.inf, math.inf)), _TOO_LARGE.format(head=_NAN_HEAD, top="3.4e38 in float32", seen="its scores on a batch hold inf", fresh="")),
    ],
    ids=["softmax-float64", "softmax-float16", "log-softmax", "inf-scores", "huge-finite-score", "every-score-nan", "sizes-unknown"],
)  # fmt: skip
def test_an_overflow_is_told_from_a_softmax_by_the_scores_sizes(
    source: NanSource, message: str
) -> None:
    """Finite parameters and features, NaN scores: a softmax's lie in [0, 1] (a log-softmax's in
    [-inf, 0]), where the message names a naive softmax and the dtype's own exp limit (~709 in
    float64; it said ~88 in float32 for every dtype); scores that reach +inf or 1e10, or
    features times weights past the dtype's largest value, are the model's sizes' doing (an
    nn.Linear that returns logits to nn.CrossEntropyLoss was told to return logits)."""
    with pytest.raises(DivergenceError) as info:
        check_no_nan_scores(True, source=source)
    assert str(info.value) == message


def test_a_weightless_models_overflow_quotes_its_dtypes_exp_limit() -> None:
    """A model without weights whose float64 scores hold NaN: exp overflows past ~709 there."""
    source = NanSource(nan_on_batch=True, no_weights=True, dtype=torch.float64, batch="the first batch")  # fmt: skip
    with pytest.raises(DivergenceError, match=r"an overflow \(a softmax computed as exp\(o\) / exp\(o\)\.sum\(1\): exp of a score above ~709 is inf in float64, and inf / inf is NaN\)"):  # fmt: skip
        check_no_nan_scores(True, source=source)


_FIND_IN_DATA = (
    "find them in the data, checking each batch with torch.isfinite(X).all() (torch.isnan(X).any() "
    "for NaN alone), and clean or drop the examples that hold them"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (NanSource(nonfinite_inputs=1, finite_weights=True), f"{_NAN_HEAD}: its inputs hold NaN or inf (1 value of the features X of a batch), while its weights are finite; {_FIND_IN_DATA}"),
        (NanSource(nonfinite_inputs=3), f"{_NAN_HEAD}: its inputs hold NaN or inf (3 values of the features X of a batch); {_FIND_IN_DATA}"),
        (NanSource(nonfinite_inputs=2, finite_weights=False), f"{_NAN_HEAD}: its inputs hold NaN or inf (2 values of the features X of a batch), and so do its weights; {_FIND_IN_DATA}, then train again from fresh weights"),
        (NanSource(finite_weights=False), f"{_NAN_HEAD}: its weights hold NaN or inf: weights blow up when the lr is too large (train again with a smaller one), or after a step on features that hold NaN or inf (check each batch with torch.isfinite(X).all())"),
        (NanSource(nan_on_batch=False, finite_weights=True), f"{_NAN_HEAD}, though its weights are finite and so are the features of the batch it was checked on, and its scores there: another batch's features X hold NaN or inf, or the model's computation overflowed on them; {_FIND_IN_DATA}"),
        (NanSource(finite_weights=True), f"{_NAN_HEAD}: its weights or its inputs hold NaN (weights blow up when the lr is too large: train again with a smaller one)"),
        (NanSource(nonfinite_inputs=2, finite_weights=False, nonfinite_params=("W", "b")), f"{_NAN_HEAD}: its inputs hold NaN or inf (2 values of the features X of a batch), and so do its weights (W and b); {_FIND_IN_DATA}, then train again from fresh weights"),
        (NanSource(finite_weights=False, nonfinite_params=("lin.weight",), nonfinite_buffers=("W",)), f"{_NAN_HEAD}: its weights hold NaN or inf (lin.weight and the buffer W): weights blow up when the lr is too large (train again with a smaller one), or after a step on features that hold NaN or inf (check each batch with torch.isfinite(X).all())"),
        (NanSource(finite_weights=False, nonfinite_buffers=("0.running_mean", "0.running_var")), f"{_NAN_HEAD}: its buffers 0.running_mean and 0.running_var hold NaN or inf, though its parameters are finite (no optimizer updates a buffer: BatchNorm's running_mean and running_var take NaN from a forward in training mode on features that hold NaN or inf, and other buffers are set by the model's own code); give them finite values again (BatchNorm's reset_running_stats(), or a fresh model), and check each batch with torch.isfinite(X).all()"),
        (NanSource(finite_weights=False, nonfinite_buffers=("W",)), f"{_NAN_HEAD}: its buffer W holds NaN or inf, though its parameters are finite (no optimizer updates a buffer: BatchNorm's running_mean and running_var take NaN from a forward in training mode on features that hold NaN or inf, and other buffers are set by the model's own code); give it finite values again (BatchNorm's reset_running_stats(), or a fresh model), and check each batch with torch.isfinite(X).all()"),
    ],
    ids=["inputs", "inputs-weights-unknown", "inputs-and-weights", "weights", "another-batch", "unknown", "inputs-and-named-weights", "named-weights-and-buffer", "buffers", "buffer"],
)  # fmt: skip
def test_check_no_nan_scores_names_what_is_not_finite(source: NanSource, message: str) -> None:
    """NaN features are named as such, without the lr advice no smaller lr could answer; NaN
    weights keep it, named where known; a NaN buffer among finite parameters is named as the
    cause, without the lr (no optimizer updates it), and not called an overflow; what the look
    found nothing of keeps the message that names both."""
    check_no_nan_scores(False, source=source)
    with pytest.raises(DivergenceError) as info:
        check_no_nan_scores(torch.tensor(True), source=source)
    assert str(info.value) == message
    buffers_alone = bool(source.nonfinite_buffers) and not source.nonfinite_params
    assert ("lr" in str(info.value).split()) == (
        source.nonfinite_inputs == 0 and source.nan_on_batch is None and not buffers_alone
    )
    assert "overflowed" not in str(info.value) or source.finite_weights is not False


_ATTRIBUTES = (
    "its tensor attributes scale and 1.shift hold NaN, though its parameters are finite "
    "(plain tensors, neither parameter nor buffer, which no optimizer updates, so no smaller lr "
    "helps: the model's own code set them); give them finite values where the model sets them, "
    'and register them as buffers (self.register_buffer("scale", tensor) in __init__, one call '
    "each), which .to(device), state_dict() and these checks see"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (NanSource(finite_weights=False, nonfinite_attributes=("scale", "1.shift")), f"{_NAN_HEAD}: {_ATTRIBUTES}"),
        (NanSource(finite_weights=False, nonfinite_attributes=("scale", "1.shift"), nonfinite_buffers=("b",)), f"{_NAN_HEAD}: {_ATTRIBUTES}; its buffer b holds NaN or inf too: give it finite values again (BatchNorm's reset_running_stats(), or a fresh model)"),
        (NanSource(finite_weights=False, nonfinite_attributes=("scale",), nonfinite_params=("lin.weight",)), f"{_NAN_HEAD}: its weights hold NaN or inf (lin.weight and the tensor attribute scale): weights blow up when the lr is too large (train again with a smaller one), or after a step on features that hold NaN or inf (check each batch with torch.isfinite(X).all())"),
        (NanSource(nonfinite_inputs=2, finite_weights=False, nonfinite_attributes=("scale",)), f"{_NAN_HEAD}: its inputs hold NaN or inf (2 values of the features X of a batch), and so do its weights (the tensor attribute scale); {_FIND_IN_DATA}, then train again from fresh weights"),
    ],
    ids=["attributes", "attributes-and-buffer", "with-a-parameter", "with-inputs"],
)  # fmt: skip
def test_plain_tensor_attributes_that_hold_nan_are_named(source: NanSource, message: str) -> None:
    """A module's plain tensor attributes (neither parameter nor buffer) that hold NaN, among
    finite parameters: named as the cause, with no lr advice (the message said "its
    weights or its inputs hold NaN (weights blow up when the lr is too large ...)"); among NaN
    parameters or features, named among the weights."""
    with pytest.raises(DivergenceError) as info:
        check_no_nan_scores(True, source=source)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (NanSource(nan_on_batch=False, finite_weights=True, inf_buffers=("mask", "1.bias_mask")), f"{_NAN_HEAD}, though its parameters are finite and so are the features of the batch it was checked on, and its scores there: another batch's features X hold NaN or inf, or the model's computation overflowed on them; {_FIND_IN_DATA}; its buffers mask and 1.bias_mask hold inf or -inf and no NaN, as a mask may on purpose: not the cause by themselves, but NaN where they meet an infinite score of the other sign (-inf + inf) or mask every class of an example (a softmax over scores all -inf is 0 / 0); if the NaN stays once the above is fixed, mask with a large negative finite value such as torch.finfo(torch.float32).min instead of -inf"),
        (NanSource(nonfinite_inputs=2, finite_weights=True, inf_buffers=("mask",), inf_attributes=("1.pad",)), f"{_NAN_HEAD}: its inputs hold NaN or inf (2 values of the features X of a batch), while its parameters are finite; {_FIND_IN_DATA}; its buffer mask and tensor attribute 1.pad hold inf or -inf and no NaN, as a mask may on purpose: not the cause by themselves, but NaN where they meet an infinite score of the other sign (-inf + inf) or mask every class of an example (a softmax over scores all -inf is 0 / 0); if the NaN stays once the above is fixed, mask with a large negative finite value such as torch.finfo(torch.float32).min instead of -inf; register it as a buffer (self.register_buffer(\"pad\", tensor) in __init__), which .to(device), state_dict() and these checks see"),
        (NanSource(finite_weights=False, nonfinite_params=("lin.weight",), inf_buffers=("mask",), dtype=torch.float64), f"{_NAN_HEAD}: its weights hold NaN or inf (lin.weight): weights blow up when the lr is too large (train again with a smaller one), or after a step on features that hold NaN or inf (check each batch with torch.isfinite(X).all()); its buffer mask holds inf or -inf and no NaN, as a mask may on purpose: not the cause by itself, but NaN where it meets an infinite score of the other sign (-inf + inf) or masks every class of an example (a softmax over scores all -inf is 0 / 0); if the NaN stays once the above is fixed, mask with a large negative finite value such as torch.finfo(torch.float64).min instead of -inf"),
    ],
    ids=["another-batch", "inputs", "nan-weights"],
)  # fmt: skip
def test_buffers_and_attributes_of_inf_alone_are_masks_perhaps_named_after_the_cause(
    source: NanSource, message: str
) -> None:
    """A buffer or plain tensor attribute that holds inf and no NaN may be a mask, on purpose:
    the cause found without it stands, and it is named after it, with what it can do and the
    fix if it does; the weights' finiteness is said of the parameters then."""
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$"):
        check_no_nan_scores(True, source=source)


def test_the_examples_whose_features_hold_nan_are_listed_by_position() -> None:
    source = NanSource(nonfinite_inputs=9, finite_weights=True, positions=(0, 2, 3, 5, 8, 9, 11), batch="the first batch")  # fmt: skip
    with pytest.raises(DivergenceError) as info:
        check_no_nan_scores(True, source=source)
    assert str(info.value) == (
        f"{_NAN_HEAD}: its inputs hold NaN or inf (9 values of the features X of the first batch, "
        "in its examples at positions 0, 2, 3, 5, 8 and 2 more, counting from 0), while its "
        f"weights are finite; {_FIND_IN_DATA}"
    )


_PLACE = "they first did at batch 5 of train_iter in this epoch"
_ROW = "position 3 in the batch, counting from 0: example 35 in the order train_iter yielded them"
_OVERFLOW = (
    "the model's computation overflowed on them (on large features a softmax computed as exp(o) / "
    "exp(o).sum(1) does: subtract each row's max first, o - o.max(dim=1, keepdim=True).values, or "
    "use linearnets.softmax)"
)
_TELLS = "torch.isfinite(X).all() on batch {}'s features tells which (False: clean or drop the examples that hold NaN or inf; True: {})"  # fmt: skip
_BOTH = (
    "either batch 5's features X hold NaN or inf (one example's are enough in a model that mixes a "
    "batch's examples, such as BatchNorm in training mode), or an update made the weights NaN or "
    "inf, as a learning rate too large does"
)
_LR_FIRST = (
    "either an update made the weights NaN or inf, as a learning rate too large does, or batch 5's "
    "features X hold NaN or inf (one example's are enough in a model that mixes a batch's "
    "examples, such as BatchNorm in training mode)"
)
_FRESH = ", then train again from fresh weights"
_TEST_ROW = "on 1 of its 8 examples (position 3 in the batch, counting from 0: example 35 in the order test_iter yielded them)"  # fmt: skip
_ALONE = "reach that example alone (as a NaN row of an embedding does for the examples that use it)"
_WEIGHTS_TELL = "torch.isfinite(X).all() on batch {}'s features tells the features from the others (False: clean or drop the examples that hold NaN or inf; True: the weights, or an overflow); replace the weights that hold NaN or inf either way (train again from fresh weights, or load finite ones)"  # fmt: skip
_ALL_TELL = (
    f"or {_OVERFLOW}; torch.isfinite(X).all() on batch 5's features tells the first from the "
    "others (False: clean or drop the examples that hold NaN or inf; True: train with a smaller "
    "learning rate, or a stable softmax), then train again from fresh weights"
)


@pytest.mark.parametrize(
    ("at", "message", "examples"),
    [
        (NanStep("train_iter", 4, 8, (3,), 32, 2.5, 3.0, training=True, finite_weights=False, affine=True), f"{_NAN_HEAD}: {_PLACE}, on 1 of its 8 examples ({_ROW}), while the other 7 examples' scores are finite (none above 2.5 in absolute value), so the weights were still finite: that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}{_FRESH} (they hold NaN or inf now)", True),
        (NanStep("train_iter", 4, 8, (3,), 32, 2.5, 3.0, training=True), f"{_NAN_HEAD}: {_PLACE}, on 1 of its 8 examples ({_ROW}), while the other 7 examples' scores are finite (none above 2.5 in absolute value): that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}{_FRESH} (that batch's update most likely made them NaN)", True),
        (NanStep("train_iter", 4, 8, (3,), 32, 2.5, 3.0, training=True, finite_weights=True), f"{_NAN_HEAD}: {_PLACE}, on 1 of its 8 examples ({_ROW}), while the other 7 examples' scores are finite (none above 2.5 in absolute value), and the weights are finite: that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", True),
        (NanStep("train_iter", 4, 8, (3,), 32, 2.5, 3.0, training=True, finite_weights=False, nonfinite_params=("emb.weight", "lin.weight")), f"{_NAN_HEAD}: {_PLACE}, on 1 of its 8 examples ({_ROW}), while the other 7 examples' scores are finite (none above 2.5 in absolute value): that example's features X hold NaN or inf, or {_OVERFLOW}, or weights that held NaN or inf already {_ALONE}; they hold NaN or inf now (emb.weight and lin.weight), as an update on NaN scores leaves them; torch.isfinite(X).all() on batch 5's features tells the features from the others (False: clean or drop the examples that hold NaN or inf; True: the model overflowed, or the weights held NaN or inf already){_FRESH}", True),
        (NanStep("test_iter", 4, 8, (3,), 32, 2.5, 3.0, finite_weights=False, nonfinite_params=("emb.weight",)), f"{_NAN_HEAD}: they first did at batch 5 of test_iter, {_TEST_ROW}, while the other 7 examples' scores are finite (none above 2.5 in absolute value), but the model's weights hold NaN or inf (emb.weight): either those weights {_ALONE}, or that example's features X hold NaN or inf, or {_OVERFLOW}; {_WEIGHTS_TELL.format(5)}", False),
        (NanStep("train_iter", 4, 8, (3,), 32, 4e37, 3e37, training=True), f"{_NAN_HEAD}: {_PLACE}, on 1 of its 8 examples ({_ROW}), while the others' scores are not NaN but reach 4e+37: the weights or the features are very large (weights blow up when the learning rate is too large; raw features need scaling); and that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", False),
        (NanStep("test_iter", 4, 8, (3,), 32, 4e11, 3e11, finite_weights=True, largest_weight=0.5, affine=True), f"{_NAN_HEAD}: they first did at batch 5 of test_iter, {_TEST_ROW}, while the others' scores are not NaN but reach 4e+11: the parameters are no larger than 0.5 in absolute value, so the features are that large (scale them, e.g. standardise each one); and that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", False),
        (NanStep("test_iter", 4, 8, (3,), 32, 4e11, 3e11, finite_weights=True, largest_weight=0.5), f"{_NAN_HEAD}: they first did at batch 5 of test_iter, {_TEST_ROW}, while the others' scores are not NaN but reach 4e+11: the weights (largest absolute value 0.5) or the features are very large (raw features need scaling); and that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", False),
        (NanStep("test_iter", 4, 8, (3,), 32, 4e11, 3e11, finite_weights=True, largest_weight=2e6, affine=True), f"{_NAN_HEAD}: they first did at batch 5 of test_iter, {_TEST_ROW}, while the others' scores are not NaN but reach 4e+11: the weights (largest absolute value 2e+06) or the features are very large (raw features need scaling); and that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", False),
        (NanStep("test_iter", 4, 8, (3,), 32, 4e11, 3e11, finite_weights=False, nonfinite_buffers=("W",)), f"{_NAN_HEAD}: they first did at batch 5 of test_iter, {_TEST_ROW}, while the others' scores are not NaN but reach 4e+11: the weights hold NaN or inf (the buffer W), and they or the features are very large; either the weights that hold NaN or inf {_ALONE}, or that example's features X hold NaN or inf, or {_OVERFLOW}; {_WEIGHTS_TELL.format(5)}", False),
        (NanStep("train_iter", 4, 8, (3,), 32, 4e37, 3e37, training=True, finite_weights=False, nonfinite_params=("W",)), f"{_NAN_HEAD}: {_PLACE}, on 1 of its 8 examples ({_ROW}), while the others' scores are not NaN but reach 4e+37: the weights or the features are very large (weights blow up when the learning rate is too large; raw features need scaling; they hold NaN or inf now (W)); and that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", False),
        (NanStep("test_iter", 1, 4, (0, 1), 4, 0.5, order=True, finite_weights=True), f"{_NAN_HEAD}: they first did at batch 2 of test_iter, on 2 of its 4 examples (positions 0 and 1 in the batch, counting from 0: examples 4 and 5 of test_iter, their indices in the dataset), while the other 2 examples' scores are finite (none above 0.5 in absolute value), and the weights are finite: those examples' features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(2, 'the model overflowed')}", True),
        (NanStep("test_iter", 1, 2, (1,), 2, 0.5, order=False), f"{_NAN_HEAD}: they first did at batch 2 of test_iter, on 1 of its 2 examples (position 1 in the batch, counting from 0: example 3 in test_iter's shuffled order, not its index in the dataset), while the other example's scores are finite (none above 0.5 in absolute value): that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(2, 'the model overflowed')}", True),
        (NanStep("train_iter", 4, 8, tuple(range(8)), 32, None, math.inf, training=True, epoch=3, finite_weights=False, before_size=8, before_positions=(6,), largest_finite_before=1.5), f"{_NAN_HEAD}: they first did at batch 5 of train_iter in epoch 3, on all 8 of its examples, after batch 4 gave infinite scores on 1 of its 8 examples (position 6 in the batch, counting from 0: example 30 in the order train_iter yielded them), while the other 7 examples' scores were finite (none above 1.5 in absolute value): that example's features X hold inf, or {_OVERFLOW}; an update on infinite scores makes the weights NaN (they hold NaN or inf now), and with them every score after; {_TELLS.format(4, 'the model overflowed')}{_FRESH}", False),
        (NanStep("train_iter", 4, 8, tuple(range(8)), 512, None, math.inf, training=True, epoch=1, finite_weights=False, before_size=256, before_positions=tuple(range(198)), largest_finite_before=3.4e38), f"{_NAN_HEAD}: they first did at batch 5 of train_iter in epoch 1, on all 8 of its examples, after batch 4 gave infinite scores on 198 of its 256 examples (positions 0, 1, 2, 3, 4 and 193 more in the batch, counting from 0: examples 256, 257, 258, 259, 260 and 193 more in the order train_iter yielded them), while the other 58 examples' scores were finite but reach 3.4e+38: either the weights had grown so large that the scores overflowed, as a learning rate too large makes them, or those examples' features X hold inf, or {_OVERFLOW}; an update on infinite scores makes the weights NaN (they hold NaN or inf now), and with them every score after; {_TELLS.format(4, 'the model overflowed, or the lr was too large')}{_FRESH}", False),
        (NanStep("train_iter", 4, 8, tuple(range(8)), 32, None, math.inf, training=True, before_size=8, before_positions=tuple(range(8))), f"{_NAN_HEAD}: {_PLACE}, on all 8 of its examples, after batch 4 gave infinite scores on all its examples: either its features X hold inf, or {_OVERFLOW}, or the weights had grown so large that the scores overflowed, as a learning rate too large makes them; an update on infinite scores makes the weights NaN, and with them every score after; {_TELLS.format(4, 'the model overflowed, or the lr was too large')}{_FRESH}", False),
        (NanStep("train_iter", 4, 8, tuple(range(8)), 32, None, 3.0, training=True, finite_weights=False), f"{_NAN_HEAD}: {_PLACE}, on all 8 of its examples, after scores free of NaN at the batch before (largest absolute value 3): {_BOTH}, {_ALL_TELL}", False),
        (NanStep("train_iter", 4, 8, tuple(range(8)), 32, None, 3e12, training=True), f"{_NAN_HEAD}: {_PLACE}, on all 8 of its examples, after scores free of NaN at the batch before (largest absolute value 3e+12): {_LR_FIRST}, {_ALL_TELL}", False),
        (NanStep("train_iter", 4, 1, (0,), 32, None, 3.0, training=True), f"{_NAN_HEAD}: {_PLACE}, on its only example, after scores free of NaN at the batch before (largest absolute value 3): either batch 5's features X hold NaN or inf, or an update made the weights NaN or inf, as a learning rate too large does, {_ALL_TELL}", False),
        (NanStep("train_iter", 4, 8, tuple(range(8)), 32, None, 3.0, training=True, finite_weights=True), f"{_NAN_HEAD}: {_PLACE}, on all 8 of its examples, though the weights are finite: that batch's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}", False),
        (NanStep("test_iter", 2, 4, (0, 1, 2, 3), 8), f"{_NAN_HEAD}: they first did at batch 3 of test_iter, on all 4 of its examples, while the batches before gave scores free of NaN with the same weights: that batch's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(3, 'the model overflowed')}", False),
        (NanStep("test_iter", 2, 4, (0, 1, 2, 3), 8, finite_weights=False, nonfinite_params=("emb.weight",)), f"{_NAN_HEAD}: they first did at batch 3 of test_iter, on all 4 of its examples, while the batches before gave scores free of NaN with the same weights, which hold NaN or inf (emb.weight): either weights that hold NaN or inf reach that batch's examples alone (as a NaN row of an embedding does for the examples that use it), or that batch's features X hold NaN or inf, or {_OVERFLOW}; {_WEIGHTS_TELL.format(3)}", False),
        (NanStep("train_iter", 0, 4, (0, 1, 2, 3), training=True), f"{_NAN_HEAD}: its weights or its inputs hold NaN (weights blow up when the lr is too large: train again with a smaller one)", False),
    ],
    ids=["examples", "examples-weights-unknown", "examples-weights-finite", "examples-weights-nan-not-affine", "examples-evaluated-weights-nan", "examples-of-huge-scores", "huge-scores-small-weights-affine-evaluated", "huge-scores-small-weights-evaluated", "huge-scores-large-weights-evaluated", "huge-scores-nan-buffer-evaluated", "huge-scores-nan-weights-training", "examples-evaluated-in-order", "one-other-shuffled", "infinite-row-before", "infinite-rows-before-huge-others", "infinite-batch-before", "every-example", "every-example-after-huge-scores", "only-example", "every-example-weights-finite", "every-example-evaluated", "every-example-evaluated-weights-nan", "every-example-of-the-first"],
)  # fmt: skip
def test_nan_scores_first_found_at_a_batch_name_it_and_tell_features_from_weights(
    at: NanStep, message: str, examples: bool
) -> None:
    """Some of a batch's examples NaN, the others finite: their features, or an overflow on them,
    are named (the lr nowhere in an evaluation); the weights are said finite only where they were
    looked at, or the model is one affine map (NaN weights there reach every example); weights
    that hold NaN or inf are named too, in another model (an embedding's row reaches some
    examples only). Huge scores: small weights say the features are large only in an affine map.
    Every example NaN after a batch of finite scores, in training: both that batch's features and
    an update, the likelier first, unless the weights are known finite; after infinite scores,
    that batch's examples, or the weights first where the others' scores had blown up too. A
    dataset index only where the order is known. Every example of a pass's first batch says no
    more than a look at that batch."""
    check_no_nan_scores(False, at=at)
    with pytest.raises(DivergenceError) as info:
        check_no_nan_scores(True, at=at)
    assert str(info.value) == message
    assert info.value.examples == examples
    assert info.value.step == (None if not at.tells else at.batch)
    assert "a learning rate too large" not in message or at.training
    assert "in the dataset when" not in message
    # the weights are called finite only where looked at, or inferred in a single affine map
    assert "weights are finite" not in message or at.finite_weights is True
    assert "weights were still finite" not in message or at.affine
    assert "so the features are that large" not in message or at.affine


_UNDEFINED_OR_OVERFLOW = (
    "an operation undefined on its inputs (log or sqrt of a negative value, 0 / 0), or an overflow "
    "(a softmax computed as exp(o) / exp(o).sum(1): exp of a score above ~88 is inf in float32, "
    "and inf / inf is NaN)"
)


@pytest.mark.parametrize(
    ("nan", "message"),
    [
        (NanSource(nan_on_batch=True, no_weights=True, batch="the first batch"), f"{_NAN_HEAD}, though the features X of the first batch are finite and the model has no floating-point parameters or buffers: its own computation made the NaN there: {_UNDEFINED_OR_OVERFLOW}; find the operation by running the model's steps on that batch one at a time (a softmax: subtract each row's max before exp, o - o.max(dim=1, keepdim=True).values, or use linearnets.softmax)"),
        (NanSource(nan_on_batch=False, no_weights=True, batch="the first batch"), f"{_NAN_HEAD}, though the model has no floating-point parameters or buffers and the features X of the first batch are finite, and so are its scores there: another batch's features X hold NaN or inf, or the model's own computation made NaN on them ({_UNDEFINED_OR_OVERFLOW}); {_FIND_IN_DATA}"),
        (NanSource(no_weights=True), f"{_NAN_HEAD}: the model has no floating-point parameters or buffers, so its inputs hold NaN or inf, or its own computation made the NaN ({_UNDEFINED_OR_OVERFLOW}); check each batch with torch.isfinite(X).all()"),
        (NanSource(nonfinite_inputs=2, positions=(1,), no_weights=True), f"{_NAN_HEAD}: its inputs hold NaN or inf (2 values of the features X of a batch, in its example at position 1, counting from 0); {_FIND_IN_DATA}"),
        (NanStep("test_iter", 2, 4, (0, 1, 2, 3), 8, no_weights=True), f"{_NAN_HEAD}: they first did at batch 3 of test_iter, on all 4 of its examples, while the batches before gave scores free of NaN: that batch's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(3, 'the model overflowed')}"),
        (NanStep("test_iter", 4, 8, (3,), 32, 4e11, 3e11, no_weights=True), f"{_NAN_HEAD}: they first did at batch 5 of test_iter, {_TEST_ROW}, while the others' scores are not NaN but reach 4e+11: the features are very large (scale them, e.g. standardise each one); and that example's features X hold NaN or inf, or {_OVERFLOW}; {_TELLS.format(5, 'the model overflowed')}"),
    ],
    ids=["own-computation", "another-batch", "not-run", "inputs", "every-example-evaluated", "huge-scores-evaluated"],
)  # fmt: skip
def test_nan_scores_of_a_model_without_weights_never_name_weights(
    nan: NanSource | NanStep, message: str
) -> None:
    """A model with no parameters or floating-point buffers (a fixed function in an nn.Module):
    its inputs or its own computation are named, never its weights nor an lr (the first batch's
    NaN on finite features was "its weights or its inputs hold NaN (weights blow up when the lr
    is too large: ...)")."""
    source, at = (nan, None) if isinstance(nan, NanSource) else (None, nan)
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$") as info:
        check_no_nan_scores(True, source=source, at=at)
    assert "weight" not in str(info.value) and "lr" not in str(info.value).split()


def test_a_0d_tensor_is_a_number_as_torch_optim_sgd_takes_its_lr() -> None:
    """torch.optim.SGD(params, lr=torch.tensor(0.03)) trains; the scratch SGD and d2l.sgd refused it."""
    from linearnets import d2l
    from linearnets.models.scratch import SGD

    assert check_positive_float("lr", torch.tensor(0.03)) == pytest.approx(0.03)
    assert check_positive_float("lr", torch.tensor(3)) == 3.0
    assert check_non_negative_float("noise_std", torch.tensor(0.0, dtype=torch.float64)) == 0.0
    with pytest.raises(UsageError, match=r"^lr must be a finite number > 0, got -0\.1"):
        check_positive_float("lr", torch.tensor(-0.1, dtype=torch.float64))
    for refused in (torch.tensor([0.03]), torch.tensor(True), torch.tensor(0.1, device="meta")):
        with pytest.raises(UsageTypeError, match=r"^lr must be a positive number"):
            check_positive_float("lr", refused)
    # the same step as torch's, with the tensor lr
    w = torch.ones(2, requires_grad=True)
    w.grad = torch.tensor([1.0, -2.0])
    d2l.sgd([w], torch.tensor(0.5), 1)
    assert w.detach().tolist() == [0.5, 2.0]
    v = torch.ones(2, requires_grad=True)
    v.grad = torch.tensor([1.0, -2.0])
    SGD([v], torch.tensor(0.5)).step()
    assert v.detach().tolist() == [0.5, 2.0]


def test_a_0d_integer_tensor_is_a_size_as_a_0d_tensor_is_an_lr() -> None:
    """torch.tensor(4) as batch_size or num_examples (a size computed with torch) was refused while
    lr took torch.tensor(0.03): it is now its int, with the same results as the int."""
    from linearnets import d2l
    from linearnets.data.synthetic import data_iter, load_array, synthetic_data

    for dtype in (torch.int64, torch.int32, torch.uint8):
        size = check_positive_int("n", torch.tensor(4, dtype=dtype))
        assert type(size) is int and size == 4
    # d2l.sgd divides by the batch size: the same step as with the int
    w, v = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    w.grad, v.grad = torch.tensor([1.0, -2.0]), torch.tensor([1.0, -2.0])
    d2l.sgd([w], 0.5, torch.tensor(4))
    d2l.sgd([v], 0.5, 4)
    assert w.detach().tolist() == v.detach().tolist() == [0.875, 1.25]
    # the same draws and batches as with the int
    X, y = synthetic_data(
        [2.0, -3.4], 4.2, torch.tensor(6), generator=torch.Generator().manual_seed(0)
    )
    X1, y1 = synthetic_data([2.0, -3.4], 4.2, 6, generator=torch.Generator().manual_seed(0))
    assert torch.equal(X, X1) and torch.equal(y, y1)
    ours = data_iter(torch.tensor(4), X, y, generator=torch.Generator().manual_seed(1))
    theirs = data_iter(4, X, y, generator=torch.Generator().manual_seed(1))
    for (a, b), (c, d) in zip(ours, theirs, strict=True):
        assert torch.equal(a, c) and torch.equal(b, d)
    assert [len(b[0]) for b in load_array((X, y), torch.tensor(4), False)] == [4, 2]


def test_a_0d_numpy_array_is_a_number_as_a_numpy_scalar_is() -> None:
    """np.array(0.03) as lr (what arithmetic on NumPy arrays leaves, e.g. np.mean of one) was
    refused while np.float64(0.03) was taken: it is now its number; bools, strings, 1-element
    1-d arrays and, for sizes, floats are still refused."""
    from linearnets import d2l

    assert check_positive_float("lr", np.array(0.03)) == 0.03
    assert check_positive_float("lr", np.array(3, dtype=np.int32)) == 3.0
    assert check_non_negative_float("noise_std", np.array(0.0, dtype=np.float32)) == 0.0
    size = check_positive_int("n", np.array(4, dtype=np.uint8))
    assert type(size) is int and size == 4
    with pytest.raises(UsageError, match=r"^lr must be a finite number > 0, got -0\.1"):
        check_positive_float("lr", np.array(-0.1))
    for refused in (np.array([0.03]), np.array(True), np.array("0.03")):
        with pytest.raises(UsageTypeError, match=r"^lr must be a positive number"):
            check_positive_float("lr", refused)
    with pytest.raises(UsageTypeError, match=r"^n must be a positive integer, got "):
        check_positive_int("n", np.array(4.0))
    # the same step as with the float
    w, v = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    w.grad, v.grad = torch.tensor([1.0, -2.0]), torch.tensor([1.0, -2.0])
    d2l.sgd([w], np.array(0.5), np.array(4))
    d2l.sgd([v], 0.5, 4)
    assert w.detach().tolist() == v.detach().tolist() == [0.875, 1.25]


MODELS_OF_SIZE: list[tuple[str, Callable[[int, int], object]]] = [
    ("linreg scratch", lambda d, q: LinearRegressionScratch(d)),
    ("linreg concise", lambda d, q: linreg_concise(d)),
    ("softmax scratch", lambda d, q: SoftmaxRegressionScratch(d, q)),
    ("softmax concise", lambda d, q: softmax_concise(d, q)),
]


@pytest.mark.parametrize("make", [m[1] for m in MODELS_OF_SIZE], ids=[m[0] for m in MODELS_OF_SIZE])
def test_a_model_past_2_gib_of_weights_is_refused_before_any_is_allocated(
    make: Callable[[int, int], object],
) -> None:
    """torch's allocator failed deep inside (or the machine swapped while the weights were drawn);
    2 GiB of float32 is 2**29 weights, and the largest model within it is still built."""
    with pytest.raises(UsageError, match=r"at most 536,870,912 .*\(2 GiB of float32.*; pass fewer"):
        make(10**12, 10)  # 37,253 GiB
    with pytest.raises(UsageError, match=r"got 9,223,372,036,854,775,808"):
        make(2**63, 1)  # torch's own error was a TypeError from C
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:  # twice the bytes a weight: half as many
        with pytest.raises(UsageError, match=r"at most 268,435,456 .*\(2 GiB of float64"):
            make(2**28 + 1, 1)
    finally:
        torch.set_default_dtype(previous)
    assert make(2**20, 1) is not None  # 4 MiB: built


def test_check_model_size_takes_exactly_2_gib_and_names_the_classes_only_for_several() -> None:
    """The check itself allocates nothing: 2**29 float32 weights are exactly 2 GiB, taken; one more
    weight is refused, in words for linear regression (one output) or for classes (two or more)."""
    assert torch.get_default_dtype() == torch.float32
    check_model_size(2**29, 1)
    check_model_size(2**28, 2)
    _raises(
        UsageError,
        r"^num_inputs must be at most 536,870,912 \(2 GiB of float32 weights\), got 536,870,913 "
        r"\(2 GiB \+ 4 bytes\); pass fewer features$",
        check_model_size,
        2**29 + 1,
        1,
    )
    _raises(
        UsageError,
        r"^num_inputs × num_outputs must make at most 536,870,912 weights \(2 GiB of float32\), "
        r"got 268,435,457 × 2 \(2 GiB \+ 8 bytes\); pass fewer inputs \(e\.g\. a smaller image "
        r"size\) or fewer classes$",
        check_model_size,
        2**28 + 1,
        2,
    )


def test_check_finite_init_refuses_one_infinite_weight_naming_its_dtypes_largest_value() -> None:
    check_finite_init("sigma", 0.01, torch.zeros(3))
    weights = torch.tensor([0.0, float("inf"), 1.0], dtype=torch.float64)
    largest = f"{torch.finfo(torch.float64).max:.3g}"
    assert largest == "1.8e+308"  # float64's, not float32's 3.4e+38
    _raises(
        UsageError,
        r"^sigma must give finite initial weights in torch\.float64 \(largest value 1\.8e\+308\), "
        r"got sigma=1e\+300, which drew 1 of 3 weights infinite; pass a smaller sigma, e\.g\. "
        r"sigma=0\.01 \(the book's\)$",
        check_finite_init,
        "sigma",
        1e300,
        weights,
    )


def test_a_0d_complex_tensor_or_bool_array_is_described_as_given_not_as_its_item() -> None:
    """scalar_value takes real numbers only: a complex 0-d tensor or a bool 0-d array is left as it
    is, so the refusal shows what was passed (not (1+0j) or True, which were never given)."""
    z, flag = torch.tensor(1 + 0j), np.array(True)
    assert scalar_value(z) is z and scalar_value(flag) is flag
    _raises(
        UsageTypeError,
        r"^lr must be a positive number, got a tensor of shape \(\) and dtype torch\.complex64; "
        r"pass e\.g\. lr=0\.1$",
        check_positive_float,
        "lr",
        z,
    )
    _raises(
        UsageTypeError,
        r"^n must be a positive integer, got a tensor of shape \(\) and dtype torch\.complex64; "
        r"pass e\.g\. n=1$",
        check_positive_int,
        "n",
        torch.tensor(4 + 0j),
    )
    _raises(
        UsageTypeError,
        r"^lr must be a positive number, got array\(True\); pass e\.g\. lr=0\.1$",
        check_positive_float,
        "lr",
        flag,
    )


class _Transform:
    def __call__(self, x: Any) -> Any:
        return x


class _SubTransform(_Transform):
    pass


@pytest.mark.parametrize("cls", [_Transform, _SubTransform, torch.nn.Flatten])
def test_check_transform_refuses_a_class_whose_objects_are_transforms(cls: type) -> None:
    with pytest.raises(
        UsageTypeError, match=rf"^transform must be a transform .*, got the class {cls.__name__} "
    ):
        check_transform("transform", cls)


@pytest.mark.parametrize(
    "fn", [_Transform(), str, int, float, np.float32, torch.tensor, lambda x: x, None]
)
def test_check_transform_takes_functions_objects_and_other_classes(fn: Any) -> None:
    check_transform("transform", fn)  # str(label), np.float32(x): functions of the value


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda X, y: ln.data_iter(X, y, 3),
            r"^data_iter takes batch_size first, then features and labels, got a tensor of shape "
            r"\(7, 2\).* as batch_size and the int 3 as labels: the arguments are in the wrong "
            r"order; call data_iter\(3, features, labels\) \(D2L §3\.2\.2\)$",
        ),
        (  # NumPy features: told "batch_size must be a positive integer, got a NumPy array"
            lambda X, y: ln.data_iter(X.numpy(), y, 3),
            r"^data_iter takes batch_size first, then features and labels, got a NumPy array of "
            r"shape \(7, 2\).* as batch_size and the int 3 as labels: the arguments are in the "
            r"wrong order; call data_iter\(3, features, labels\) \(D2L §3\.2\.2\)$",
        ),
        (
            lambda X, y: ln.load_array(3, (X, y)),
            r"^load_array takes data_arrays first, then batch_size, got the int 3 as data_arrays "
            r"and a tuple of 2 tensors as batch_size: the arguments are in the wrong order; call "
            r"load_array\(\(features, labels\), 3\) \(D2L §3\.3\.2\)$",
        ),
        (  # told "batch_size must be a positive integer, got a tensor of shape (7, 1)"
            lambda X, y: ln.load_array(X, y, 10),
            r"^data_arrays must be one tuple of the arrays, got a tensor of shape \(7, 2\) and "
            r"dtype torch\.float32 as data_arrays and a tensor of shape \(7, 1\) and dtype "
            r"torch\.float32 as batch_size: the arrays were passed apart; call "
            r"load_array\(\(features, labels\), 10\) \(D2L §3\.3\.2\)$",
        ),
        (  # no batch size given at all: its name stands in
            lambda X, y: d2l.load_array(X, y),
            r"^data_arrays must be one tuple of the arrays, got a tensor of shape \(7, 2\) and "
            r"dtype torch\.float32 as data_arrays and a tensor of shape \(7, 1\) and dtype "
            r"torch\.float32 as batch_size: the arrays were passed apart; call "
            r"load_array\(\(features, labels\), batch_size\) \(D2L §3\.3\.2\)$",
        ),
        (  # a batch size of 0 was put in the call advised, which batch_size's check then refused
            lambda X, y: ln.load_array(X, y, 0),
            r"^data_arrays must be one tuple of the arrays, got a tensor of shape \(7, 2\) and "
            r"dtype torch\.float32 as data_arrays and a tensor of shape \(7, 1\) and dtype "
            r"torch\.float32 as batch_size: the arrays were passed apart; call "
            r"load_array\(\(features, labels\), batch_size\) \(D2L §3\.3\.2\)$",
        ),
    ],
    ids=[
        "data_iter",
        "data_iter of NumPy features",
        "load_array",
        "load_array of arrays apart",
        "d2l.load_array of arrays apart, no batch size",
        "load_array of arrays apart, a batch size of 0",
    ],
)
def test_arguments_in_the_wrong_order_are_named_as_such(call: Any, match: str) -> None:
    """The batch size passed last (first for load_array), or load_array's arrays passed apart, was
    refused as "batch_size must be a positive integer, got a tensor ...; pass e.g. batch_size=1",
    not naming the order."""
    X, y = torch.randn(7, 2), torch.randn(7, 1)
    with pytest.raises(TypeError, match=match):
        call(X, y)
