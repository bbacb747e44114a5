"""Checks of option values: positive numbers, bools, choices, transforms and generators.

Imports neither torch nor NumPy: the command's options are checked with these before either is
loaded (see :mod:`linearnets.validation`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from linearnets._check_basics import _fail, _is_a, is_finite_number, scalar_value
from linearnets._text import respelled
from linearnets.errors import UsageTypeError

if TYPE_CHECKING:
    import torch

__all__ = [
    "check_bool",
    "check_choice",
    "check_generator",
    "check_non_negative_float",
    "check_positive_float",
    "check_positive_int",
    "check_transform",
]


def check_positive_int(name: str, value: Any, *, fix: str = "", maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer ≥ 1 (a NumPy integer or a 0-d integer tensor
    too; bools and floats rejected), else raise :class:`UsageError`."""
    value = scalar_value(value, integral=True)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if not fix:
            meant = _whole_meant(value)
            fits = meant is not None and (maximum is None or meant <= maximum)
            fix = f"pass {name}={meant}" if fits else f"pass e.g. {name}=1"
        _fail(name, "a positive integer", value, fix, kind=UsageTypeError)
    if value < 1:
        _fail(name, "a positive integer (>= 1)", value, fix or f"pass e.g. {name}=1")
    if maximum is not None and value > maximum:
        _fail(name, f"an integer in [1, {maximum}]", value, fix or f"pass at most {maximum}")
    return int(value)


def _whole_meant(value: Any) -> int | None:
    """The positive integer a float or a string plainly means (``2.0``, ``"3"``), else ``None``:
    what to pass instead, rather than an example that changes the value."""
    digits = isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()
    if not (digits or (isinstance(value, float) and value.is_integer())):
        return None
    whole = int(value)
    return whole if whole >= 1 else None


def check_positive_float(
    name: str, value: Any, *, fix: str = "", maximum: float | None = None
) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (a NumPy scalar or a 0-d tensor
    too), else raise :class:`UsageError`; ``fix`` defaults to an example value."""
    return _check_from_zero(name, value, zero=False, fix=fix, maximum=maximum)


def check_non_negative_float(
    name: str, value: Any, *, fix: str = "", maximum: float | None = None
) -> float:
    """Return ``value`` as a float if it is a finite real number ≥ 0 (a NumPy scalar or a 0-d tensor
    too), else raise :class:`UsageError`; ``fix`` defaults to an example value."""
    return _check_from_zero(name, value, zero=True, fix=fix, maximum=maximum)


def _check_from_zero(
    name: str, value: Any, *, zero: bool, fix: str, maximum: float | None
) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (≥ 0 with ``zero``) and at
    most ``maximum``, else raise :class:`UsageError` with ``fix`` (default: an example value)."""
    typical = 0.01 if zero else 0.1
    example = (
        fix or f"pass e.g. {name}={min(typical, maximum if maximum is not None else typical):g}"
    )
    kind, bound, low = ("non-negative", ">= 0", "[") if zero else ("positive", "> 0", "(")
    value = scalar_value(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, f"a {kind} number", value, example, kind=UsageTypeError)
    if not is_finite_number(value) or value < 0 or (value == 0 and not zero):
        _fail(name, f"a finite number {bound}", value, example)
    if maximum is not None and value > maximum:
        _fail(name, f"a number in {low}0, {maximum:g}]", value, fix or f"pass at most {maximum:g}")
    return abs(float(value))  # -0.0 as 0.0: a config read "noise_std": -0.0, against the rule >= 0


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (a NumPy bool too), else raise :class:`UsageTypeError`.

    Truthiness is not enough: ``analytic="no"`` would otherwise mean True.
    """
    if not (isinstance(value, bool) or _is_a(value, "numpy", "bool_")):  # NumPy 2 calls it "bool"
        _fail(
            name, "True or False", value, f"pass {name}=True or {name}=False", kind=UsageTypeError
        )
    return bool(value)


def check_transform(name: str, value: Any) -> None:
    """Raise :class:`UsageTypeError` if ``value`` is a transform's class, not a transform made from it.

    ``transform=ToTensor`` (no parentheses) is callable, so it passes a ``callable`` check and fails
    only at the first item, far from here: ``ToTensor(img)`` says "takes no arguments",
    ``Resize(img)`` that its size is a PIL image. A class is taken as a transform (``str``, ``int``)
    unless its instances are callable, which marks it as a transform's class (D2L §3.5.1).
    """
    if isinstance(value, type) and any("__call__" in vars(k) for k in value.__mro__[:-1]):
        cls = value.__name__
        raise UsageTypeError(
            f"{name} must be a transform (a function, or an object made from a transform class), "
            f"got the class {cls} itself, which would be called with each image as its "
            f"constructor's argument; make one with its arguments and pass that: {cls}(...) with "
            "the parentheses, e.g. ToTensor() or Resize(64)"
        )


def check_generator(name: str, value: Any) -> torch.Generator | None:
    """Return ``value`` if it is a ``torch.Generator`` or ``None``, else raise :class:`UsageTypeError`."""
    if value is not None and not _is_a(value, "torch", "Generator"):
        _fail(
            name,
            "a torch.Generator or None",
            value,
            f"pass e.g. {name}=torch.Generator().manual_seed(0)",
            kind=UsageTypeError,
        )
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`UsageError`."""
    if value not in choices:
        rule = "one of " + ", ".join(repr(c) for c in choices)
        respelling = respelled(value, choices.__contains__)
        fix = (
            f"{respelling[0]}: pass {name}={respelling[1]!r}"
            if respelling
            else f"pass e.g. {name}={choices[0]!r}"
        )
        _fail(name, rule, value, fix)
    return str(value)
