"""Tests of linearnets.plotting._plot_args: figure sizes, format strings, limits, plot's X and Y."""

from __future__ import annotations

import array
import ctypes
import math
import re
import struct
import sys
import warnings
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


class _Pointer(ctypes.Structure):
    """A ctypes record of one pointer, whose arrays' format ('T{<P:p:}') NumPy cannot parse."""

    _fields_ = [("p", ctypes.c_void_p)]


class _Packed(ctypes.Structure):
    """A packed ctypes record of two bytes, whose memoryview says format 'B' of items of 2."""

    _pack_ = 1
    _fields_ = [("w", ctypes.c_uint8), ("h", ctypes.c_uint8)]


class _PackedDoubles(ctypes.Structure):
    """A packed ctypes record of two doubles, said to be format 'B' of items of 16."""

    _pack_ = 1
    _fields_ = [("w", ctypes.c_double), ("h", ctypes.c_double)]


class _Union(ctypes.Union):
    """A ctypes union of a double and an int, said to be format 'B' of items of 8."""

    _fields_ = [("d", ctypes.c_double), ("i", ctypes.c_int)]


class _Padded(ctypes.Structure):
    """A ctypes record of an int then a double, padded between: NumPy warns of its best guess."""

    _fields_ = [("n", ctypes.c_int), ("h", ctypes.c_double)]


class _Bitfields(ctypes.Structure):
    """A ctypes record of two bitfields, whose arrays NumPy refuses with a TypeError."""

    _fields_ = [("a", ctypes.c_int, 3), ("b", ctypes.c_int, 5)]


BAD_INPUT: list[Any] = [
    (
        lambda: plot([1.0, 2.0], [[1.0], [2.0]] * 2, fmts=()),
        UsageError,
        r"fmts must be a non-empty sequence of format strings, or one format string for every "
        r"curve, got \(\)",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], fmts=""),
        UsageError,
        r"^fmts must be a non-empty sequence of format strings, or one format string for every "
        r"curve, got ''; pass e.g. fmts=\('-', 'm--'\) or fmts='o'$",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], fmts="zz"),
        UsageError,
        r"^fmts must be a matplotlib format string such as '-', 'm--' or 'g-\.', got 'zz' "
        r"\(unrecognized character 'z'\); pass e.g. fmts='o' or fmts=\('-', 'm--'\)$",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], xlim=5),
        UsageTypeError,
        r"xlim must be two numbers \(low, high\), got 5",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], ylim=[1, math.nan]),
        UsageError,
        r"ylim must be two finite numbers \(low, high\), got \[1, nan\]",
    ),
    (lambda: set_figsize(5), UsageTypeError, r"figsize must be \(width, height\) in inches, got 5"),
    (
        lambda: set_figsize((-1, 2)),
        UsageError,
        r"figsize must be \(width, height\) in inches, each in \(0, 100\], got \(-1, 2\)",
    ),
    (lambda: plot([[1.0], [2.0]], [[1.0], [2.0], [3.0]]), UsageError, r"same number of curves"),
    # a string of two digits was read as (3, 2) inches
    (
        lambda: set_figsize("32"),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got '32', a string; pass e\.g\. "
        r"figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: plot([1, 2, 3], figsize=b"45"),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got b'45', a string; pass e\.g\. ",
    ),
    # read byte by byte, as a 52x53-inch figure
    (
        lambda: set_figsize(bytearray(b"45")),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got bytearray\(b'45'\), a string; pass ",
    ),
    (
        lambda: plot([1, 2, 3], figsize=memoryview(b"45")),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(b'45'\), a string; ",
    ),
    # bytes cast to shorts, read as (52, 53); an array of bytes strings, a bare NotImplementedError
    (
        lambda: set_figsize(memoryview(b"4\x005\x00").cast("h")),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(b'4\\x005\\x00'\), a "
        r"string; ",
    ),
    (
        lambda: set_figsize(memoryview(np.array([b"4", b"5"]))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(b'45'\), a string; ",
    ),
    # a memoryview it cannot read was shown by its address alone, "got <memory at 0x7f...>"
    (
        lambda: set_figsize(memoryview(np.zeros(2, dtype=[("w", "f4")]))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'T\{f:w:\}' "
        r"\(NumPy's dtype \[\('w', '<f4'\)\]\), which cannot be read as real numbers; pass e\.g\. "
        r"figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize(memoryview(np.array([1 + 2j, 3]))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'Zd' "
        r"\(NumPy's dtype complex128\), which cannot be read as real numbers; pass e\.g\. ",
    ),
    (
        lambda: set_figsize(memoryview(np.array(["4", "5"]))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(\['4', '5'\]\), strings; "
        r"pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize(memoryview(np.array([[3.5, 2.5]]))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(\[\[3\.5, 2\.5\]\]\); pass ",
    ),
    # formats NumPy cannot parse either ended in its ValueError, "'<u' is not a valid PEP 3118
    # buffer format string": ctypes' wide characters are text, its pointers and records not numbers
    (
        lambda: set_figsize(memoryview(ctypes.create_unicode_buffer("32"))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(\['3', '2', '\\x00'\]\), "
        r"strings; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize(memoryview((ctypes.c_char_p * 2)())),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format '<z', which "
        r"cannot be read as real numbers; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize(memoryview((_Pointer * 2)())),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format "
        r"'T\{<P:p:\}', which cannot be read as real numbers; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    # bitfields ended in NumPy's raw TypeError: "ctypes bitfields have no dtype equivalent"
    (
        lambda: set_figsize(memoryview((_Bitfields * 2)())),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format "
        r"'T\{<i:a:<i:b:\}', which cannot be read as real numbers; pass e\.g\. "
        r"figsize=\(3\.5, 2\.5\)$",
    ),
    # packed ctypes records and unions, said to be bytes ('B') of their whole size, were read
    # one byte of each: (30, 20), (40, 50) as 30x40 inches, unions of ints 3 and 2 as 3x2
    (
        lambda: set_figsize(memoryview((_Packed * 2)(_Packed(30, 20), _Packed(40, 50)))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'B' with "
        r"items of 2 bytes, where that format reads 1 byte of each, which cannot be read as real "
        r"numbers; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize(memoryview((_Union * 2)(_Union(i=3), _Union(i=2)))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'B' with "
        r"items of 8 bytes, where that format reads 1 byte of each, which cannot be read as real "
        r"numbers; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    # refused as sizes out of range, shown as memoryview([0, 0]) and memoryview(0)
    (
        lambda: set_figsize(memoryview((_Union * 2)(_Union(d=3.5), _Union(d=2.5)))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'B' with "
        r"items of 8 bytes, where that format reads 1 byte of each, which cannot be read as real ",
    ),
    (
        lambda: set_figsize(memoryview((_PackedDoubles * 2)(_PackedDoubles(3.5, 2.5)))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'B' with "
        r"items of 16 bytes, where that format reads 1 byte of each, which cannot be read as ",
    ),
    (
        lambda: set_figsize(memoryview(_Packed(30, 20))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a memoryview of format 'B' with "
        r"items of 2 bytes, where that format reads 1 byte of each, which cannot be read as ",
    ),
    # long doubles were said to be no real numbers
    (
        lambda: set_figsize(memoryview((ctypes.c_longdouble * 2)(-1, 2.5))),
        UsageError,
        r"^figsize must be \(width, height\) in inches, each in \(0, 100\], got "
        r"memoryview\(\[-1\.0, 2\.5\]\); pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize(_released()),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got a released memoryview, which holds "
        r"nothing to read; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    # the value was cut at 40 characters mid-escape: memoryview(b'\x00\x00\x00\x00\x00\x00\x0
    (
        lambda: set_figsize(memoryview(bytes(16))),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got memoryview\(b'(\\x00){6}\.\.\., a "
        r"string; pass e\.g\. figsize=\(3\.5, 2\.5\)$",
    ),
    (
        lambda: set_figsize("\n" * 30),
        UsageTypeError,
        r"^figsize must be \(width, height\) in inches, got '(\\n){18}\.\.\., a string; pass ",
    ),
]


def _released() -> memoryview:
    """Return a memoryview released: nothing left to read."""
    view = memoryview(b"45")
    view.release()
    return view


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


BOUNDARY_INPUT: list[Any] = [
    (lambda: plot([1, 2, 3], [4, 5]), UsageError, r"X\[0\] and Y\[0\] must have the same length \(one x per y\), got 3 and 2"),
    (lambda: plot(torch.arange(3.0), [torch.ones(3), torch.ones(4)]), UsageError, r"X\[1\] and Y\[1\] must have the same length .*got 3 and 4"),
    (lambda: plot(np.arange(3.0), np.ones((3, 2))), UsageError, r"X\[0\] and Y\[0\] must have the same length \(one x per y\), got 3 and 2; Y's 3 rows are its points and its 2 columns the curves, where plot takes one curve per row: pass Y\.T$"),
    (lambda: plot(torch.arange(4.0), torch.ones(4, 3)), UsageError, r"got 4 and 3; Y's 4 rows are its points .*pass Y\.T$"),
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
    [
        ((3.5, 2.5), (3.5, 2.5)),
        ([100, 0.01], (100.0, 0.01)),
        ((np.float32(2), 1), (2.0, 1.0)),
        (memoryview(np.array([3.5, 2.5])), (3.5, 2.5)),  # of floats, not of bytes: sizes
        # of a NumPy array of bytes, as the array: it was refused as a string
        (memoryview(np.array([4, 5], dtype=np.uint8)), (4.0, 5.0)),
        (memoryview(np.array([4, 5], dtype=np.int8)), (4.0, 5.0)),
        # bytes cast to floats, as the floats: they were refused as a string
        (memoryview(struct.pack("2d", 4.0, 5.0)).cast("d"), (4.0, 5.0)),
        (memoryview(bytearray(array.array("f", [4, 5]).tobytes())).cast("f"), (4.0, 5.0)),
        # formats memoryview cannot read, as NumPy reads them: refused with no reason
        (memoryview(np.array([4, 5], dtype=">f8")), (4.0, 5.0)),
        (memoryview(np.array([4, 5], dtype=">i4")), (4.0, 5.0)),
        (memoryview(np.array([3.5, 2.5], dtype=np.float16)), (3.5, 2.5)),
        # ctypes' long doubles ('<g'), which NumPy does not parse: said to be no real numbers
        (memoryview((ctypes.c_longdouble * 2)(3.5, 2.5)), (3.5, 2.5)),
    ],
)
def test_check_figsize_returns_width_then_height(
    figsize: Any, expected: tuple[float, float]
) -> None:
    assert check_figsize("figsize", figsize) == expected


def test_a_memoryview_of_bitfields_is_refused_without_numpys_warning() -> None:
    """NumPy warns of its best guess at ctypes' bitfields, then raises: the refusal is said
    alone, with no warning before it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UsageTypeError, match=r"format 'T\{<i:a:<i:b:\}', which cannot be"):
            check_figsize("figsize", memoryview((_Bitfields * 2)()))


def test_a_memoryview_of_a_padded_record_is_refused_without_numpys_warning() -> None:
    """NumPy warns of its best guess at a padded ctypes record, then reads a record, which is
    refused: its warning was given before the refusal (pointing at the caller's line); the
    refusal is said alone."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            UsageTypeError, match=r"format 'T\{<i:n:<d:h:\}' \(NumPy's dtype .*cannot be read"
        ):
            set_figsize(memoryview(_Padded(3, 2.5)))


@pytest.mark.parametrize("figsize", [(0, 1), (1, 0.0), (100.5, 1), (1, math.inf), (math.nan, 1)])
def test_check_figsize_refuses_sizes_outside_0_to_100_inches(figsize: Any) -> None:
    with pytest.raises(UsageError, match=r"figsize must be \(width, height\) in inches, each in"):
        check_figsize("figsize", figsize)


def test_check_fmts_returns_every_format_and_refuses_non_sequences() -> None:
    assert check_fmts("fmts", ["-", "m--", "g-.", "r:", "b"]) == ("-", "m--", "g-.", "r:", "b")
    for bad in (5, None, [], ""):
        with pytest.raises(
            UsageError, match=rf"^fmts must be a non-empty sequence of format strings, or one "
            rf"format string for every curve, got {re.escape(repr(bad))}; pass e\.g\."
        ):  # fmt: skip
            check_fmts("fmts", bad)


def test_check_fmts_takes_one_string_as_one_format_not_one_per_character() -> None:
    """The book's zip(X, Y, fmts) cycles 'r-' as 'r' then '-': one format meant for every curve."""
    assert check_fmts("fmts", "r-") == ("r-",)
    assert check_fmts("fmts", "o") == ("o",)


@pytest.mark.parametrize("fmts", ["o", "r-"])
def test_plot_draws_every_curve_in_one_string_format(fmts: str) -> None:
    """Every curve in the one format: the book's zip(X, Y, fmts) stops at the string's characters,
    drawing one curve of three for fmts='o', and for 'r-' a red one ('r') and a plain line ('-')."""
    x = np.arange(4.0)
    axes = plot(x, [x, x**2, x**3], fmts=fmts)
    style = axes.lines[0].get_marker(), axes.lines[0].get_linestyle()
    assert len(axes.lines) == 3
    assert [(line.get_marker(), line.get_linestyle()) for line in axes.lines] == [style] * 3
    assert style == (("o", "None") if fmts == "o" else ("None", "-"))
    if fmts == "r-":
        assert {line.get_color() for line in axes.lines} == {"r"}


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (None, None),
        ([0, 1], (0.0, 1.0)),
        ((2, -1), (2.0, -1.0)),
        (np.array([1e-3, 1e3]), (1e-3, 1e3)),
        ([0, None], (0.0, None)),  # matplotlib keeps the open end, as the book's set_axes passes it
        ((None, 2), (None, 2.0)),
    ],
    ids=["none", "list", "reversed", "array", "open-high", "open-low"],
)
def test_check_limits_keeps_low_and_high_in_order(limits: Any, expected: Any) -> None:
    assert check_limits("xlim", limits) == expected  # (high, low) flips the axis, as in matplotlib


@pytest.mark.parametrize("limits", [(0, math.inf), (math.nan, 1), (-math.inf, 0)])
def test_check_limits_refuses_infinite_limits(limits: Any) -> None:
    with pytest.raises(UsageError, match=r"^xlim must be two finite numbers \(low, high\), got"):
        check_limits("xlim", limits)


def test_check_limits_refuses_what_is_not_two_numbers() -> None:
    for bad in (5, [1, 2, 3], ["a", "b"], "ab"):
        with pytest.raises(UsageTypeError, match=r"^xlim must be two numbers \(low, high\), got"):
            check_limits("xlim", bad)


# matplotlib's set_xlim(v, v) warns "Attempting to set identical low and high xlims" (pointing at
# our set_axes) and widens the limits by its locator's nonsingular(): 5% of |v| each side on a
# linear axis (0.05 at 0), a decade each side on a log axis; worked out by hand from
# matplotlib.transforms.nonsingular. check_limits widens them so, and nothing warns
SAME_LIMITS = [((1, 1), "linear", (0.95, 1.05)), ((0, 0), "linear", (-0.05, 0.05)),
               ((-2, -2), "linear", (-2.1, -1.9)), ((10, 10), "log", (1.0, 100.0))]  # fmt: skip


@pytest.mark.parametrize(("limits", "scale", "widened"), SAME_LIMITS)
def test_equal_limits_are_widened_as_matplotlib_widens_them_without_its_warning(
    limits: tuple[int, int], scale: str, widened: tuple[float, float]
) -> None:
    import matplotlib.pyplot as plt

    assert check_limits("xlim", limits, scale) == pytest.approx(widened)
    oracle = plt.figure().add_subplot()
    oracle.set_xscale(scale)
    with pytest.warns(UserWarning, match="identical low and high xlims"):
        oracle.set_xlim(limits)  # what the book's set_axes does with them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = plot([1.0, 10.0], [1.0, 10.0], xlim=limits, ylim=limits, xscale=scale, yscale=scale)
    assert [str(w.message) for w in caught] == []  # matplotlib's pointed at our set_axes
    assert ours.get_xlim() == ours.get_ylim() == pytest.approx(widened)
    assert ours.get_xlim() == pytest.approx(oracle.get_xlim())
    plt.close("all")


# at float64's ends: 1e308 * 10 overflowed ([1e308, 1e308] on a log axis was refused as
# "(1e+307, inf)", a value never passed) and 5e-324 / 10 underflowed to 0, a log axis's low end.
# Widened, they were drawn where matplotlib cannot place ticks: savefig failed
EDGE_LIMITS = [((1e308, 1e308), "log", (1e307, 1e308), False),
               ((5e-324, 5e-324), "log", (5e-324, 5e-323), True),
               ((1.79e308, 1.79e308), "linear", (1.79e308 * 0.95, sys.float_info.max), False),
               ((-1.79e308, -1.79e308), "linear", (-sys.float_info.max, -1.79e308 * 0.95), False)]  # fmt: skip


@pytest.mark.parametrize(("limits", "scale", "widened", "drawable"), EDGE_LIMITS)
def test_equal_limits_at_float64s_ends_are_drawn_only_where_matplotlib_draws_them(
    limits: tuple[float, float], scale: str, widened: tuple[float, float], drawable: bool
) -> None:
    import io

    import matplotlib.pyplot as plt

    low, high = check_limits("xlim", limits, scale)
    assert (low, high) == widened and 0 < high - low < math.inf
    assert scale != "log" or low > 0
    oracle = plt.figure(figsize=(3.5, 2.5)).add_subplot()
    oracle.plot([1.0, 2.0], [1.0, 2.0])
    oracle.set_xscale(scale)
    oracle.set_xlim(widened)
    if drawable:
        ours = plot([1.0, 2.0], [1.0, 2.0], xlim=limits, xscale=scale)
        ours.figure.savefig(io.BytesIO(), format="png")
        assert ours.get_xlim() == widened
    else:
        with pytest.raises((ValueError, OverflowError)), np.errstate(all="ignore"):
            oracle.figure.savefig(io.BytesIO(), format="png")  # what the widened limits gave
        plt.close(oracle.figure)
        with pytest.raises(UsageError) as info:
            plot([1.0, 2.0], [1.0, 2.0], xlim=limits, xscale=scale)
        assert str(info.value).startswith(
            f"xlim cannot be drawn on a {scale} x axis in a 3.5 x 2.5 inch figure: matplotlib "
            f"cannot place its ticks over ({widened[0]:.3g}, {widened[1]:.3g}) in this figure, "
            "so savefig fails ("
        )
        assert str(info.value).endswith(
            "); pass xlim and the values divided by a power of ten, e.g. by 1e+308, saying so in "
            "the xlabel"
        )
        assert plt.get_fignums() == []  # the figure made for it let go
    plt.close("all")


DECADES = [(10.0, True, (1.0, 10.0)), (10.0, False, (10.0, 100.0)),
           (5e-324, True, (5e-324, 5e-323)), (1e308, False, (1e307, 1e308))]  # fmt: skip


@pytest.mark.parametrize(("v", "below", "decade"), DECADES)
def test_the_decade_beside_an_end_stays_within_float64s_positive_numbers(
    v: float, below: bool, decade: tuple[float, float]
) -> None:
    """5e-324 / 10 is 0 and 1e308 * 10 inf, ends no log axis takes: the decade on the other side
    of the end is drawn instead, as the widened limits (5e-324, 5e-324) and an open-ended ylim on
    a log axis of zeros (see fit_view) draw it."""
    from linearnets.plotting._plot_args import decade_beside

    assert decade_beside(v, below=below) == decade
    assert check_limits("ylim", (v, v), "log") == (
        decade_beside(v, below=True)[0],
        decade_beside(v, below=False)[1],
    )


def test_an_animator_over_one_epoch_keeps_the_books_xlim() -> None:
    import matplotlib.pyplot as plt

    from linearnets import d2l

    num_epochs = 1  # the book's train_ch3 passes xlim=[1, num_epochs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "identical low and high xlims" no more
        animator = d2l.Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                                legend=["train loss", "train acc", "test acc"], mode="none")  # fmt: skip
        animator.add(1, (0.5, 0.8, 0.79))
    assert animator.axes[0].get_xlim() == pytest.approx((0.95, 1.05))
    assert animator.axes[0].get_ylim() == pytest.approx((0.3, 0.9))
    assert [line.get_xydata().tolist() for line in animator.lines] == [
        [[1, 0.5]],
        [[1, 0.8]],
        [[1, 0.79]],
    ]
    plt.close("all")


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


def _drawn(axes: Any) -> list[tuple[list[list[float]], str, str]]:
    from matplotlib.colors import to_hex

    return [
        (ln.get_xydata().tolist(), ln.get_linestyle(), to_hex(ln.get_color())) for ln in axes.lines
    ]


W = torch.tensor(1.0, requires_grad=True)
ONE_CURVE = [
    ((range(3), [1.0, 2.0, 3.0]), ([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])),
    ((range(3), None), ([0.0, 1.0, 2.0], None)),
    ((range(1, 4), np.array([1.0, 2.0, 3.0])), ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])),
    ((np.arange(3.0), range(1, 4)), ([0.0, 1.0, 2.0], [1, 2, 3])),
    (((0.0, 1.0, 2.0), (1.0, 2.0, 3.0)), ([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])),
    # numbers as 0-d tensors, some needing grad, as [l.mean() for ...] gives
    (([1, 2, 3], [W * 1, W * 2, W * 3]), ([1, 2, 3], [1.0, 2.0, 3.0])),
    (([torch.tensor(0), torch.tensor(1)], None), ([0.0, 1.0], None)),
]


@pytest.mark.parametrize(("args", "as_floats"), ONE_CURVE, ids=[
    "range and list", "range alone", "range and array", "array and range", "tuples",
    "0-d tensors needing grad", "0-d tensors alone",
])  # fmt: skip
def test_any_sequence_of_numbers_is_one_curve_as_a_list_of_floats_is(
    args: tuple[Any, Any], as_floats: tuple[list[float], Any]
) -> None:
    import matplotlib.pyplot as plt

    ours = _drawn(plot(*args, axes=plt.figure().add_subplot()))
    floats = _drawn(plot(*as_floats, axes=plt.figure().add_subplot()))
    # the book's plot draws one line, x against y (y against its indices when Y is None), fmt "-"
    x, y = as_floats if as_floats[1] is not None else (range(len(as_floats[0])), as_floats[0])
    expected = [[float(a), float(b)] for a, b in zip(x, y, strict=True)]
    assert ours == floats == [(expected, "-", "#1f77b4")]
    plt.close("all")


def test_curves_reads_a_range_or_0d_tensors_as_one_curve() -> None:
    ((x, y),) = curves(range(3), [1.0, 2.0, 3.0])
    assert (x.tolist(), y.tolist()) == ([0, 1, 2], [1.0, 2.0, 3.0])
    ((x, y),) = curves([torch.tensor(2.0), torch.tensor(5.0)], None)
    assert (x.tolist(), y.tolist()) == ([], [2.0, 5.0])
    pairs = curves(range(2), [range(2), [torch.tensor(3.0), torch.tensor(4.0)]])  # two curves
    assert [(x.tolist(), y.tolist()) for x, y in pairs] == [([0, 1], [0, 1]), ([0, 1], [3.0, 4.0])]


@pytest.mark.parametrize(
    ("X", "Y", "name", "n"),
    [
        (torch.arange(5.0), torch.arange(5.0).reshape(-1, 1), "Y", 5),  # synthetic_data's labels
        (np.arange(4.0).reshape(-1, 1), np.arange(4.0).reshape(-1, 1), "X", 4),
        (torch.arange(3.0).reshape(-1, 1), None, "X", 3),  # plot(labels): Y alone
    ],
    ids=["x and a column", "two columns", "a column alone"],
)
def test_a_column_n_by_1_is_named_with_its_reshape(X: Any, Y: Any, name: str, n: int) -> None:
    # by the book's rule a column's n rows are n curves of one point, which draw no line: a blank
    # figure (two columns, a column alone) or a mismatch of lengths "100 and 1" (x and a column)
    with pytest.raises(
        UsageError,
        match=rf"{name} must be one curve \(n,\) or one curve per row, got shape \({n}, 1\): {n} "
        rf"curves of one point each.*pass {name}\.reshape\(-1\) for one curve of {n} points",
    ):
        curves(X, Y)


def test_a_column_among_the_curves_is_named_with_its_reshape() -> None:
    x = torch.arange(3.0)
    with pytest.raises(UsageTypeError, match=r"Y\[1\] must be a 1-d .*shape \(3, 1\).*pass "
                       r"Y\[1\]\.reshape\(-1\) for its 3 numbers as one curve"):  # fmt: skip
        curves(x, [x, x.reshape(-1, 1)])
    with pytest.raises(UsageTypeError, match=r"pass one sequence of numbers per curve"):
        curves([1, 2], [[[1], [2]]])  # a list has no reshape: the general fix


def test_a_row_and_a_1_by_1_array_stay_the_books_curves() -> None:
    ((x, y),) = curves(np.arange(3.0), np.arange(3.0).reshape(1, 3))  # one row: one curve
    assert (x.tolist(), y.tolist()) == ([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    ((x, y),) = curves(np.ones((1, 1)), np.full((1, 1), 2.0))  # one curve of one point
    assert (x.tolist(), y.tolist()) == ([1.0], [2.0])


def test_none_in_a_list_is_a_gap_in_the_line_as_matplotlib_draws_it() -> None:
    import matplotlib.pyplot as plt

    # e.g. a test accuracy measured every other epoch; the book's plot hands it to matplotlib,
    # which draws None as a gap (NaN); it was refused as "not real numbers"
    epochs, loss, acc = [1, 2, 3, 4], [0.9, 0.6, 0.5, 0.45], [None, 0.7, None, 0.8]
    ours = plot(epochs, [loss, acc], axes=plt.figure().add_subplot())
    oracle = plt.figure().add_subplot()
    oracle.plot(epochs, loss, "-")
    oracle.plot(epochs, acc, "m--")
    for line, expected in zip(ours.lines, oracle.lines, strict=True):
        np.testing.assert_array_equal(line.get_xydata(), expected.get_xydata())
    assert np.isnan(ours.lines[1].get_xydata()[[0, 2], 1]).all()
    ((x, y),) = curves([None, 2.0, 3.0], None)  # Y alone, against its indices
    assert x.tolist() == [] and np.array_equal(y, [np.nan, 2.0, 3.0], equal_nan=True)
    plt.close("all")


def test_a_two_d_y_whose_shape_is_not_points_by_curves_gets_the_plain_length_fix() -> None:
    # Y (2, 4) holds 2 curves of 4 points; X has 3: Y.T (4, 2) would not fit either, so no "pass Y.T"
    with pytest.raises(UsageError) as info:
        curves(np.arange(3.0), np.ones((2, 4)))
    assert str(info.value) == (
        "X[0] and Y[0] must have the same length (one x per y), got 3 and 4; "
        "pass as many x values as y values"
    )


def test_a_boolean_curve_is_accepted_as_numbers_of_0_and_1() -> None:
    # e.g. plot(y_hat == y) per example: matplotlib draws bool as 0 and 1
    [(xs, ys)] = curves(torch.tensor([True, False, True]), None)
    assert xs.size == 0
    assert ys.dtype == np.bool_
    assert ys.tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("figsize", "shown"),
    [
        ((True, True), "(True, True), booleans"),
        ((np.True_, 2), "(np.True_, 2), its width a boolean"),
        (np.array([True, True]), "array([ True,  True]), booleans"),
        (torch.tensor([True, True]), "tensor([True, True]), booleans"),
        (memoryview((ctypes.c_bool * 2)(True, True)), "memoryview([True, True]), booleans"),
        (memoryview(np.array([True, False])), "memoryview([True, False]), booleans"),
    ],
)
def test_check_figsize_refuses_booleans(figsize: Any, shown: str) -> None:
    """(True, True), and a memoryview of ctypes' c_bool, were read as a 1 x 1 inch figure."""
    with pytest.raises(UsageTypeError) as info:
        check_figsize("figsize", figsize)
    assert str(info.value) == (
        f"figsize must be (width, height) in inches, got {shown}; pass e.g. figsize=(3.5, 2.5)"
    )
    assert check_figsize("figsize", (3.5, 2.5)) == (3.5, 2.5)  # the fix offered


def test_check_figsize_names_the_one_boolean() -> None:
    """(3.5, True) was said to be 'booleans'; the one that is a boolean is named."""
    with pytest.raises(UsageTypeError) as info:
        check_figsize("figsize", (3.5, True))
    assert str(info.value) == (
        "figsize must be (width, height) in inches, got (3.5, True), its height a boolean; pass "
        "e.g. figsize=(3.5, 2.5)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_figsize("figsize", (3.5, 2.5)) == (3.5, 2.5)
