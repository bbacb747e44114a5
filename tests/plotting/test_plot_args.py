"""Tests of linearnets.plotting._plot_args: figure sizes, format strings, limits, plot's X and Y."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting import (
    plot,
    set_figsize,
)
from linearnets.plotting._plot_args import check_figsize, check_fmts, check_limits, curves

BAD_INPUT: list[Any] = [
    (
        lambda: plot([1.0, 2.0], [[1.0], [2.0]] * 2, fmts=()),
        UsageError,
        r"fmts must be a non-empty sequence of format strings, got \(\)",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], fmts="--"),
        UsageError,
        r"fmts must be a non-empty sequence.*got '--'",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], xlim=5),
        UsageTypeError,
        r"xlim must be two numbers \(low, high\), got 5",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], ylim=[1, 1]),
        UsageError,
        r"ylim must be two different finite numbers",
    ),
    (lambda: set_figsize(5), UsageTypeError, r"figsize must be \(width, height\) in inches, got 5"),
    (
        lambda: set_figsize((-1, 2)),
        UsageError,
        r"figsize must be \(width, height\) in inches, each in \(0, 100\], got \(-1, 2\)",
    ),
    (lambda: plot([[1.0], [2.0]], [[1.0], [2.0], [3.0]]), UsageError, r"same number of curves"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


BOUNDARY_INPUT: list[Any] = [
    (lambda: plot([1, 2, 3], [4, 5]), UsageError, r"X\[0\] and Y\[0\] must have the same length \(one x per y\), got 3 and 2"),
    (lambda: plot(torch.arange(3.0), [torch.ones(3), torch.ones(4)]), UsageError, r"X\[1\] and Y\[1\] must have the same length .*got 3 and 4"),
    (lambda: plot(None), UsageTypeError, r"X must be a list, array or tensor of numbers, or a list of them \(one per curve\), got None"),
    (lambda: plot(3.0), UsageTypeError, r"X must be a list, array or tensor of numbers.*got 3\.0"),
    (lambda: plot(torch.tensor(3.0)), UsageTypeError, r"X must be .*got a tensor of shape \(\)"),
    (lambda: plot([1, 2], {1: 2}), UsageTypeError, r"Y must be a list, array or tensor of numbers.*got \{1: 2\}"),
    (lambda: plot([1, 2], [[1, 2], [1, "a"]]), UsageTypeError, r"Y\[1\] must be a 1-d list, array or tensor of real numbers, got \[1, 'a'\]"),
    (lambda: plot([1, 2], [torch.tensor([1, 2j])]), UsageTypeError, r"Y\[0\] must be .*real numbers, got a tensor .*complex64"),
    (lambda: plot([1, 2], [3, 4], fmts=["-", "zz"]), UsageError, r"fmts\[1\] must be a matplotlib format string .*got 'zz' \(unrecognized character 'z'\)"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), BOUNDARY_INPUT)
def test_inputs_are_checked_before_matplotlib_sees_them(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- the checks, value by value


@pytest.mark.parametrize(
    ("figsize", "expected"),
    [((3.5, 2.5), (3.5, 2.5)), ([100, 0.01], (100.0, 0.01)), ((np.float32(2), 1), (2.0, 1.0))],
)
def test_check_figsize_returns_width_then_height(
    figsize: Any, expected: tuple[float, float]
) -> None:
    assert check_figsize("figsize", figsize) == expected


@pytest.mark.parametrize("figsize", [(0, 1), (1, 0.0), (100.5, 1), (1, math.inf), (math.nan, 1)])
def test_check_figsize_refuses_sizes_outside_0_to_100_inches(figsize: Any) -> None:
    with pytest.raises(UsageError, match=r"figsize must be \(width, height\) in inches, each in"):
        check_figsize("figsize", figsize)


def test_check_fmts_returns_every_format_and_refuses_non_sequences() -> None:
    assert check_fmts("fmts", ["-", "m--", "g-.", "r:", "b"]) == ("-", "m--", "g-.", "r:", "b")
    for bad in (5, None, []):
        with pytest.raises(UsageError, match=r"fmts must be a non-empty sequence of format"):
            check_fmts("fmts", bad)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (None, None),
        ([0, 1], (0.0, 1.0)),
        ((2, -1), (2.0, -1.0)),
        (np.array([1e-3, 1e3]), (1e-3, 1e3)),
    ],
    ids=["none", "list", "reversed", "array"],
)
def test_check_limits_keeps_low_and_high_in_order(limits: Any, expected: Any) -> None:
    assert check_limits("xlim", limits) == expected  # (high, low) flips the axis, as in matplotlib


@pytest.mark.parametrize("limits", [(1, 1), (0, math.inf), (math.nan, 1), (-math.inf, 0)])
def test_check_limits_refuses_equal_or_infinite_limits(limits: Any) -> None:
    with pytest.raises(UsageError, match=r"xlim must be two different finite numbers"):
        check_limits("xlim", limits)


def test_curves_pairs_each_y_with_its_x() -> None:
    pairs = curves([1.0, 2.0], [[3.0, 4.0], [5.0, 6.0]])
    assert [(x.tolist(), y.tolist()) for x, y in pairs] == [([1, 2], [3, 4]), ([1, 2], [5, 6])]
    ((x, y),) = curves([7.0, 8.0, 9.0], None)  # Y alone: no x, drawn against its indices
    assert (x.tolist(), y.tolist()) == ([], [7, 8, 9])
    assert curves([], None) == []  # nothing to draw


@pytest.mark.parametrize(
    ("X", "Y", "error", "match"),
    [
        ("abc", None, UsageTypeError, r"X must be a list, array or tensor of numbers.*got 'abc'"),
        ([1, 2], [np.ones((2, 2))], UsageTypeError, r"Y\[0\] must be a 1-d list, array or tensor"),
        ([1, 2], [[1, 2], [3, 4], [5, 6]], None, None),
    ],
    ids=["string", "2-d curve", "three curves, one x"],
)
def test_curves_refuses_strings_and_2d_curves(X: Any, Y: Any, error: Any, match: Any) -> None:
    if error is None:
        assert len(curves(X, Y)) == 3
        return
    with pytest.raises(error, match=match):
        curves(X, Y)


def test_check_fmts_says_which_format_is_not_a_string() -> None:
    with pytest.raises(
        UsageTypeError, match=r"fmts\[1\] must be a matplotlib format .*got 3 \(not a string\)"
    ):
        check_fmts("fmts", ["-", 3])
    with pytest.raises(
        UsageError, match=r"fmts\[0\] must be .*got 'q' \(unrecognized character 'q'\)"
    ):
        check_fmts("fmts", ["q"])
