"""Checks of the book's plotting arguments: figure size, format strings, limits, and plot's X and Y.

Each refuses a bad value with the parameter's name, the rule and an example, before anything is
drawn; :func:`curves` turns ``plot``'s X and Y into one (x, y) pair of arrays per curve, the book's
way. matplotlib is imported only to ask it whether a format string is valid.

See D2L §2.4.
"""

from __future__ import annotations

import math
import struct
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting._mpl import as_numpy, matplotlib_module
from linearnets.validation import describe

__all__ = ["SCALES", "check_figsize", "check_fmts", "check_limits", "curves", "decade_beside"]

# the common axis scales, named first; set_axes takes any other that matplotlib has registered
SCALES = ("linear", "log", "symlog", "logit")


def check_figsize(name: str, figsize: Any) -> tuple[float, float]:
    """Return ``figsize`` as (width, height) in inches if both are finite and > 0, else raise."""
    values, shown = _figsize_values(name, figsize)
    try:
        items = tuple(values)
        width, height = (float(v) for v in items)
    except (TypeError, ValueError):
        raise UsageTypeError(
            f"{name} must be (width, height) in inches, got {shown}; pass e.g. {name}=(3.5, 2.5)"
        ) from None
    booleans = [_is_bool(v) for v in items]
    if any(booleans):  # (True, True) was read as 1 x 1 inch
        what = (
            "booleans"
            if all(booleans)
            else f"its {('width', 'height')[booleans.index(True)]} a boolean"
        )
        raise _text_refusal(name, shown, what)
    if not all(math.isfinite(v) and 0 < v <= 100 for v in (width, height)):
        raise UsageError(
            f"{name} must be (width, height) in inches, each in (0, 100], got {shown}; "
            f"pass e.g. {name}=(3.5, 2.5)"
        )
    return width, height


def _is_bool(value: Any) -> bool:
    """Return whether ``value`` is a boolean: Python's, NumPy's, or a 0-d array or tensor of
    them (a memoryview of ctypes' ``c_bool``, format ``'?'``, reads as Python's)."""
    return isinstance(value, bool | np.bool_) or str(getattr(value, "dtype", "")) in (
        "bool",
        "torch.bool",
    )


def _figsize_values(name: str, figsize: Any) -> tuple[Any, str]:
    """Return what ``figsize``'s two sizes are read from, and ``figsize`` as a refusal shows it;
    refuse text, which would be read character by character ("32" as (3, 2) inches,
    ``bytearray(b"45")`` byte by byte as 52x53), and a memoryview that cannot be read as numbers.

    A memoryview is read as the numbers it views: of floats (``d``, ``f``, ``e``) whatever it
    views (bytes packed by ``struct``, a big-endian NumPy array, NumPy's ``float16``, ctypes'
    long doubles ``<g``), of integers where it views a NumPy array (uint8, int8). One of
    characters (an array of bytes or of str strings) is text, and so is one of bytes or a
    bytearray cast to integers (``memoryview(b"4\\x005\\x00").cast("h")`` was read as 52x53).
    One whose items are not of its format's size is refused: a packed ctypes structure or a
    union says ``'B'`` of its whole size, and was read one byte of each."""
    if isinstance(figsize, str | bytes | bytearray):
        raise _text_refusal(name, _cut(repr(figsize)), "a string")
    if not isinstance(figsize, memoryview):
        return figsize, _cut(repr(figsize))
    try:
        fmt, obj = figsize.format, figsize.obj
    except ValueError:  # released: nothing left to read
        raise UsageTypeError(
            f"{name} must be (width, height) in inches, got a released memoryview, which holds "
            f"nothing to read; pass e.g. {name}=(3.5, 2.5)"
        ) from None
    if fmt.endswith(("c", "s")) or (
        isinstance(obj, bytes | bytearray) and fmt.lstrip("@=<>!") not in ("e", "f", "d")
    ):
        raise _text_refusal(name, _cut(f"memoryview({figsize.tobytes()!r})"), "a string")
    size = _format_size(figsize)
    if size is not None and size != figsize.itemsize:
        raise _misfit_refusal(name, figsize, size)
    try:
        values = figsize.tolist()
    except NotImplementedError:  # a format it cannot read (">d", "1w", a record's): NumPy's
        try:
            array, said = _numpy_array(figsize)
        except (ValueError, TypeError):  # nor NumPy: ctypes' wide characters "<u", pointers
            # "<z", records, bitfields ("ctypes bitfields have no dtype equivalent")
            raise _unparsed_refusal(name, figsize) from None
        if array.dtype.kind == "U":  # an array of str strings
            raise _text_refusal(name, _cut(f"memoryview({array.tolist()!r})"), "strings") from None
        if array.dtype.kind not in "biuf":  # records, complex numbers
            raise UsageTypeError(
                f"{name} must be (width, height) in inches, got a memoryview of format {fmt!r} "
                f"(NumPy's dtype {array.dtype}), which cannot be read as real numbers; pass e.g. "
                f"{name}=(3.5, 2.5)"
            ) from None
        for warning in said:  # NumPy's, given only where the numbers it read are taken
            warnings.warn(warning.message, warning.category, stacklevel=3)
        values = array.tolist()
    return values, _cut(f"memoryview({values!r})")


def _format_size(figsize: memoryview) -> int | None:
    """Return the size of one item of ``figsize``'s format as :mod:`struct` sizes it, or
    ``None`` where struct cannot (a record's ``T{...}``, ctypes' long doubles ``<g``)."""
    try:
        return struct.calcsize(figsize.format)
    except struct.error:
        return None


def _misfit_refusal(name: str, figsize: memoryview, size: int) -> UsageTypeError:
    """Return the refusal of ``figsize``, whose items are not of its format's ``size``: a
    packed ctypes structure or a union is said to be bytes ``'B'`` of its whole size, read one
    byte of each (two packed structures of (30, 20) and (40, 50) as 30x40 inches)."""
    return UsageTypeError(
        f"{name} must be (width, height) in inches, got a memoryview of format "
        f"{figsize.format!r} with items of {counted(figsize.itemsize, 'byte')}, where that "
        f"format reads {counted(size, 'byte')} of each, which cannot be read as real numbers; "
        f"pass e.g. {name}=(3.5, 2.5)"
    )


def _numpy_array(figsize: memoryview) -> tuple[np.ndarray, list[warnings.WarningMessage]]:
    """Return ``figsize`` as NumPy reads it (its long doubles as :func:`_long_doubles` reads
    them) with NumPy's warnings on the way, kept for the caller to give only where it takes
    the array (a padded ctypes record gave NumPy's best-guess warning, then its refusal), or
    raise NumPy's error."""
    if _is_long_double(figsize):
        return _long_doubles(figsize), []
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        array = np.asarray(figsize)
    return array, said


def _is_long_double(figsize: memoryview) -> bool:
    """Return whether ``figsize`` views long doubles of this machine's size (ctypes'
    ``c_longdouble``, format ``'<g'``, which NumPy does not parse)."""
    return (
        figsize.format.lstrip("@=<>!") == "g"
        and figsize.itemsize == np.dtype(np.longdouble).itemsize
    )


def _long_doubles(figsize: memoryview) -> np.ndarray:
    """Return the long doubles ``figsize`` views as an array of floats, in its byte order and
    shape (one too large for a float is infinite)."""
    dtype = np.dtype(np.longdouble)
    if figsize.format[0] in ">!":
        dtype = dtype.newbyteorder(">")
    elif figsize.format[0] == "<":
        dtype = dtype.newbyteorder("<")
    values = np.frombuffer(figsize.tobytes(), dtype)
    with np.errstate(over="ignore"):
        return values.astype(float).reshape(figsize.shape)


def _unparsed_refusal(name: str, figsize: memoryview) -> UsageTypeError:
    """Return the refusal of ``figsize``, a memoryview of a format neither it nor NumPy reads:
    wide characters (``u``, a ctypes ``c_wchar`` array's) are text, refused as strings, shown
    character by character as NumPy shows its ``w`` strings; any other names its format."""
    fmt = figsize.format
    if fmt.lstrip("@=<>!") == "u":
        order = "big" if fmt[0] in ">!" else "little" if fmt[0] == "<" else sys.byteorder
        codec = f"utf-{8 * figsize.itemsize}-{order[0]}e"  # wchar_t: utf-32-le on Linux
        chars = list(figsize.tobytes().decode(codec, errors="backslashreplace"))
        return _text_refusal(name, _cut(f"memoryview({chars!r})"), "strings")
    return UsageTypeError(
        f"{name} must be (width, height) in inches, got a memoryview of format {fmt!r}, which "
        f"cannot be read as real numbers; pass e.g. {name}=(3.5, 2.5)"
    )


def _text_refusal(name: str, shown: str, what: str) -> UsageTypeError:
    """Return the refusal of ``figsize`` given as ``what`` (text, booleans), shown as
    ``shown``."""
    return UsageTypeError(
        f"{name} must be (width, height) in inches, got {shown}, {what}; pass e.g. "
        f"{name}=(3.5, 2.5)"
    )


def _cut(text: str, most: int = 40) -> str:
    """Return ``text``, a value's repr, cut to at most ``most`` characters with ``...`` where it
    is longer, at a whole character: never inside an escape (``\\x00``, ``\\n``,
    ``\\u00e9``)."""
    if len(text) <= most:
        return text
    end = i = 0
    while i <= most - 3:  # the whole characters and escapes that fit before the "..."
        end = i
        i += {"x": 4, "u": 6, "U": 10}.get(text[i + 1], 2) if text[i] == "\\" else 1
    return f"{text[:end]}..."


def check_fmts(name: str, fmts: Any) -> tuple[str, ...]:
    """Return ``fmts`` as a tuple of matplotlib format strings, or raise.

    A non-empty sequence of them is used in turn; one string (``fmts='o'``) is one format for every
    curve, where the book's ``zip(X, Y, fmts)`` would take it character by character (``'r-'`` as
    ``'r'`` then ``'-'``, and a third curve dropped).
    """
    if isinstance(fmts, str) and fmts:
        reason = _fmt_error(fmts)
        if reason:
            raise UsageError(
                f"{name} must be a matplotlib format string such as '-', 'm--' or 'g-.', got "
                f"{fmts!r:.40} ({reason}); pass e.g. {name}='o' or {name}=('-', 'm--')"
            )
        return (fmts,)
    if isinstance(fmts, str) or not isinstance(fmts, Sequence) or not fmts:
        raise UsageError(
            f"{name} must be a non-empty sequence of format strings, or one format string for "
            f"every curve, got {fmts!r:.60}; pass e.g. {name}=('-', 'm--') or {name}='o'"
        )
    for i, fmt in enumerate(fmts):
        reason = "not a string" if not isinstance(fmt, str) else _fmt_error(fmt)
        if reason:
            raise (UsageError if isinstance(fmt, str) else UsageTypeError)(
                f"{name}[{i}] must be a matplotlib format string such as '-', 'm--' or 'g-.', got "
                f"{fmt!r:.40} ({reason}); pass e.g. {name}=('-', 'm--')"
            )
    return tuple(fmts)


def _fmt_error(fmt: str) -> str:
    """Return why matplotlib refuses the format string ``fmt``, or "" if it is valid."""
    matplotlib_module()
    try:
        from matplotlib.axes._base import _process_plot_format  # type: ignore[attr-defined]
    except ImportError:  # the helper moved: matplotlib will say it when drawing
        return ""
    try:
        _process_plot_format(fmt)
    except ValueError as exc:
        text = str(exc)
        return text[text.find("(") + 1 : text.rfind(")")] if "(" in text else text
    return ""


def check_limits(name: str, limits: Any, scale: str = "linear") -> Any:
    """Return axis limits as (low, high) floats if they are None or two finite numbers, else raise.

    Either end may be ``None`` (e.g. ``ylim=[0, None]``): that end follows the points drawn, as
    matplotlib's ``set_xlim`` keeps it where the book's ``set_axes`` passes it (see
    :func:`~linearnets.plotting._view.fit_view`). On a ``"log"`` ``scale`` an end at or below 0 is
    refused: matplotlib ignores that end, with a warning, and fits it to the points. Equal limits, an
    empty range (the book's ``xlim=[1, num_epochs]`` with one epoch), are widened as matplotlib
    widens them, without its warning (see :func:`_widened`): (1, 1) to (0.95, 1.05), (10, 10) on
    a log axis to (1, 100).
    """
    if limits is None:
        return None
    try:
        low, high = (None if v is None else float(v) for v in limits)
    except (TypeError, ValueError):
        raise UsageTypeError(
            f"{name} must be two numbers (low, high), got {limits!r:.40}; pass e.g. {name}=[0, 1]"
        ) from None
    if not all(v is None or math.isfinite(v) for v in (low, high)):
        raise UsageError(
            f"{name} must be two finite numbers (low, high), got {limits!r:.40}; pass "
            f"e.g. {name}=[0, 1]"
        )
    if scale == "log" and any(v is not None and v <= 0 for v in (low, high)):
        top = high if high is not None and high > 0 else 1.0
        raise UsageError(
            f"{name} must be above 0 on a log axis ({name[0]}scale='log'), got {limits!r:.40}, "
            f"an end that axis cannot show; pass e.g. {name}=[{top / 1000:g}, {top:g}], or "
            f"{name[0]}scale='linear'"
        )
    if low is not None and low == high:
        return _widened(low, scale)
    return low, high


def _widened(v: float, scale: str) -> tuple[float, float]:
    """Return the range drawn for the empty one (v, v): a decade each side of ``v`` on a log
    axis (see :func:`decade_beside`), else 5% of ``|v|`` each side (0.05 at 0), as matplotlib
    widens it; an end past float64's (1.79e308 + 5%) is float64's largest. Whether matplotlib
    can draw the range is asked where it is drawn (:func:`~linearnets.plotting._drawable.view_error`).
    """
    largest = sys.float_info.max
    if scale == "log":
        return decade_beside(v, below=True)[0], decade_beside(v, below=False)[1]
    pad = 0.05 * abs(v) or 0.05
    return max(v - pad, -largest), min(v + pad, largest)


def decade_beside(v: float, *, below: bool) -> tuple[float, float]:
    """Return the decade beside ``v`` > 0 on a log axis: (v / 10, v) ``below`` it, else (v, v * 10).

    Where that decade leaves float64's positive numbers (5e-324 / 10 is 0, 1e308 * 10 is inf, an
    end a log axis cannot take), the decade on the other side of ``v``.
    """
    low, high = (v / 10, v) if below else (v, v * 10)
    if low > 0 and math.isfinite(high):
        return low, high
    return (v, v * 10) if below else (v / 10, v)


def _has_one_axis(X: Any) -> bool:
    """Return whether ``X`` is one curve: a 1-d array/tensor, or a sequence whose first item is a number.

    The book's rule, for any sequence (a range, a tuple, a list of 0-d tensors), not lists alone.
    """
    if hasattr(X, "ndim"):
        return bool(X.ndim == 1)
    if isinstance(X, str | bytes | Mapping) or not hasattr(X, "__len__") or len(X) == 0:
        return False
    first = next(iter(X))
    # a 0-d tensor has __len__ (that raises), yet it is one number
    return getattr(first, "ndim", None) == 0 or not hasattr(first, "__len__")


def _check_many(name: str, value: Any) -> None:
    """Raise unless ``value`` is a list/array/tensor of numbers or a list of them (not a number)."""
    if isinstance(value, str | bytes | Mapping) or not (
        hasattr(value, "__len__") and getattr(value, "ndim", 1) >= 1
    ):
        raise UsageTypeError(
            f"{name} must be a list, array or tensor of numbers, or a list of them (one per curve), "
            f"got {describe(value)}; pass e.g. plot([1, 2, 3], [4, 5, 6])"
        )


def _check_not_column(name: str, value: Any) -> None:
    """Raise if ``value`` is a 2-d array or tensor of one column, (n, 1) with n > 1.

    By the book's rule its n rows are n curves of one point each, which draw no line: a blank
    figure, or X and Y of different lengths. Such a column is most often one curve, e.g. the
    labels (n, 1) of ``synthetic_data`` or a linear model's output.
    """
    shape = tuple(getattr(value, "shape", ()))
    if getattr(value, "ndim", None) == 2 and shape[1] == 1 and shape[0] > 1:
        raise UsageError(
            f"{name} must be one curve (n,) or one curve per row, got shape {shape}: {shape[0]} "
            f"curves of one point each, which draw no line; pass {name}.reshape(-1) for one curve "
            f"of {shape[0]} points"
        )


def _curve(name: str, values: Any) -> np.ndarray:
    """Return one curve's values as a 1-d NumPy array of real numbers, or raise naming ``name``.

    ``None`` in a list is a missing value, NaN: a gap in the line, as matplotlib draws it.
    """
    numbers = values
    if (
        not hasattr(values, "ndim")
        and isinstance(values, Sequence)
        and not isinstance(values, str | bytes)
    ):
        # numbers that are 0-d tensors (e.g. [l.mean() for ...]) may need grad or sit on a GPU
        numbers = [
            math.nan if v is None else as_numpy(v) if hasattr(v, "detach") else v for v in values
        ]
    try:
        arr = as_numpy(numbers)
    except (TypeError, ValueError, RuntimeError):  # ragged lists, tensors needing grad, ...
        arr = np.asarray(None)
    if arr.dtype.kind not in "biuf" or arr.ndim != 1:
        fix = "pass one sequence of numbers per curve"
        column_or_row = arr.dtype.kind in "biuf" and arr.ndim == 2 and 1 in arr.shape
        if column_or_row and hasattr(values, "reshape"):  # a tensor's or an array's
            fix = f"pass {name}.reshape(-1) for its {arr.size} numbers as one curve"
        raise UsageTypeError(
            f"{name} must be a 1-d list, array or tensor of real numbers, got {describe(values)}; "
            f"{fix}"
        )
    return arr


def curves(X: Any, Y: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (x, y) per curve, the book's way: one X for every Y, Y alone against its indices."""
    _check_many("X", X)
    _check_not_column("X", X)
    if Y is not None:
        _check_many("Y", Y)
        _check_not_column("Y", Y)
    given_y = Y
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) == 1 and len(Y) > 1:
        X = list(X) * len(Y)
    if len(X) != len(Y):
        raise UsageError(
            f"X and Y must hold the same number of curves (or X just one), got {len(X)} and "
            f"{len(Y)}; pass one x sequence per y sequence"
        )
    curves = []
    for i, (x, y) in enumerate(zip(X, Y, strict=True)):
        xs, ys = _curve(f"X[{i}]", x), _curve(f"Y[{i}]", y)
        if len(xs) and len(xs) != len(ys):
            fix = "pass as many x values as y values"
            shape = tuple(getattr(given_y, "shape", ()))
            if len(shape) == 2 and shape == (len(xs), len(ys)):  # np.stack([y1, y2], axis=1)
                fix = (
                    f"Y's {shape[0]} rows are its points and its {shape[1]} columns the curves, "
                    f"where plot takes one curve per row: pass Y.T"
                )
            raise UsageError(
                f"X[{i}] and Y[{i}] must have the same length (one x per y), got {len(xs)} and "
                f"{len(ys)}; {fix}"
            )
        curves.append((xs, ys))
    return curves
