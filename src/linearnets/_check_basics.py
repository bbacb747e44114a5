"""What every check shares: telling a tensor or an array without loading its library, describing a
value, telling whether a function can take given arguments, and raising the message that names the
argument, the rule, the value and the fix.

Imports neither torch nor NumPy: see :mod:`linearnets.validation`.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linearnets.errors import UsageError

if TYPE_CHECKING:
    import inspect

__all__ = ["describe", "is_finite_number", "refused_arguments", "scalar_value"]


def _is_a(value: object, module: str, kind: str) -> bool:
    """Whether ``value`` is a ``module.kind`` ("torch", "Tensor"), without loading ``module``:
    none of its objects exists before it is loaded."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, kind))


def _is_tensor(value: object) -> bool:
    """Whether ``value`` is a ``torch.Tensor``, without loading torch."""
    return _is_a(value, "torch", "Tensor")


def describe(value: Any) -> str:
    """Return a short, one-line description of ``value`` for error messages: tensors by shape and
    dtype; NumPy arrays of one dimension or more by their repr where it is one line of at most 60
    (``array([1.e+400], dtype=float128)``: the value refused), else by shape and dtype (a larger
    array's repr spans lines: the message is one); anything else by its repr, its whitespace runs
    made one space, cut at 60."""
    if _is_tensor(value):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if _is_a(value, "numpy", "ndarray") and value.ndim:
        text = repr(value)
        if "\n" not in text and len(text) <= 60:
            return text
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def refused_arguments(
    fn: Callable[..., object], /, *args: Any, **kwargs: Any
) -> tuple[inspect.Signature, TypeError] | None:
    """Return ``fn``'s signature and the error binding ``args`` and ``kwargs`` to it raises, where
    ``fn`` cannot take them; ``None`` where it can, or has no signature to tell (a builtin's: its
    call will tell)."""
    import inspect  # not at import: the command's option checks load this module, not inspect

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        return signature, exc
    return None


def is_finite_number(value: numbers.Real) -> bool:
    """Whether the real number ``value`` is finite as a float: an ``int`` past float's range
    (``10**400``) is not, where ``float()`` raises ``OverflowError`` on it."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _fail(
    name: str, rule: str, value: Any, fix: str, *, kind: type[Exception] = UsageError
) -> None:
    raise kind(f"{name} must be {rule}, got {describe(value)}; {fix}")


def scalar_value(value: Any, *, integral: bool = False) -> Any:
    """Return a 0-d real tensor's number (``torch.tensor(0.03)``, which ``torch.optim.SGD`` takes as
    its ``lr``; with ``integral``, a 0-d integer tensor's int alone, ``torch.tensor(4)``, a size
    computed with torch) or a 0-d NumPy array's (``np.array(0.03)``, ``np.float64(x).reshape(())``:
    NumPy's scalars are taken, its 0-d arrays were refused), anything else as it is."""
    if (
        _is_tensor(value)
        and value.ndim == 0
        and value.dtype != sys.modules["torch"].bool
        and not value.is_complex()
        and not value.is_meta
        and not (integral and value.is_floating_point())
    ):
        return value.item()
    if (
        _is_a(value, "numpy", "ndarray")
        and value.ndim == 0
        and value.dtype.kind in ("iu" if integral else "iuf")
    ):
        return value.item()
    return value
