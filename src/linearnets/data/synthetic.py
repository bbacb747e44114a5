"""Synthetic regression data, y = Xw + b + noise (D2L §3.2.1, §3.3.1).

The minibatch iterators over it, ``data_iter`` and ``load_array``, live in
:mod:`linearnets.data.minibatches` and are importable from here too, as before.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from linearnets.config_checks import MAX_EXAMPLES, check_data_size, plain_number

# the iterators over the data, importable from here as before
from linearnets.data.minibatches import data_iter as data_iter
from linearnets.data.minibatches import load_array as load_array
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_finite,
    check_generator,
    check_holds_values,
    check_non_negative_float,
    check_positive_int,
    describe,
    is_finite_number,
)

__all__ = ["data_iter", "load_array", "synthetic_data"]


def synthetic_data(
    w: torch.Tensor | Sequence[float],
    b: float | torch.Tensor,
    num_examples: int,
    *,
    noise_std: float | torch.Tensor = 0.01,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``y = Xw + b + ε`` with ``X ~ N(0, 1)`` and ``ε ~ N(0, noise_std²)``.

    Args:
        w: true weights, shape (d,) or (d, 1) (as the book's ``linreg`` takes them).
        b: true bias, a number or a one-element tensor or NumPy array.
        num_examples: n, the number of rows, at most 10⁸; X (n, d) may take at most 2 GiB.
        noise_std: standard deviation σ of the Gaussian noise (not the variance), a number or a
            one-element tensor or NumPy array.
        generator: source of randomness; ``None`` uses torch's global generator.

    Returns:
        ``X`` of shape (n, d) and ``y`` of shape (n, 1) in ``w``'s floating dtype (integer weights:
        torch's default, float32 unless changed, as a list of floats gives), on
        ``w``'s device (drawn on the generator's, so a seed gives the same data on any device).

    See D2L §3.2.1.
    """
    w = _weights(w)
    num_examples = check_positive_int(
        "num_examples",
        num_examples,
        maximum=MAX_EXAMPLES,
        fix=f"pass e.g. num_examples=1000 (at most {MAX_EXAMPLES}, as LinregConfig takes)",
    )
    check_data_size(
        num_examples,
        w.numel(),
        weights="w",
        dtype=str(w.dtype).removeprefix("torch."),
        itemsize=w.element_size(),
    )
    if isinstance(noise_std, torch.Tensor) and noise_std.numel() == 1:
        noise_std = check_holds_values(
            "noise_std", noise_std
        ).item()  # the book's torch.tensor(0.01)
    # a NumPy array of one number, np.array(0.01), is its number, as LinregConfig takes it
    noise_std = check_non_negative_float("noise_std", plain_number(noise_std))
    b = _bias(b)
    check_generator("generator", generator)
    # drawn where the generator lives (a CUDA generator draws only there; None: torch's default
    # device), then taken to w's device: the same seed gives the same data wherever w is
    source = generator.device if generator is not None else None
    X = torch.randn(num_examples, w.numel(), generator=generator, dtype=w.dtype, device=source)
    X = X.to(w.device)  # (n, d)
    y = X @ w + float(b)  # (n,)
    noise = torch.randn(y.shape, generator=generator, dtype=w.dtype, device=source)
    y += noise_std * noise.to(w.device)
    _check_finite_result(y, w.dtype)
    return X, y.reshape(-1, 1)  # (n, d), (n, 1)


def _check_finite_result(y: torch.Tensor, dtype: torch.dtype) -> None:
    """Refuse labels that overflowed ``w``'s dtype (float16 ends at 65504): finite w and b can still
    give an infinite ``Xw + b``."""
    if not bool(torch.isfinite(y).all()):
        largest = torch.finfo(dtype).max
        fix = (
            "pass w as float32, e.g. w.float(), or smaller w, b and noise_std"
            if largest < torch.finfo(torch.float32).max
            else "pass smaller w, b and noise_std"
        )
        raise UsageError(
            f"y = Xw + b + noise must be finite in w's dtype {dtype}, got "
            f"{int((~torch.isfinite(y)).sum())} of {y.numel()} labels infinite or NaN (past its "
            f"largest value, {largest:g}); {fix}"
        )


def _weights(w: torch.Tensor | Sequence[float]) -> torch.Tensor:
    """Return the true weights as a finite, real floating-point (d,) tensor, or raise."""
    try:
        # detached: the data are constants, and labels drawn from a w that requires grad (the
        # model's w, or true_w built with requires_grad=True) would carry its graph into every
        # batch, so the second backward of a training loop fails ("backward through the graph a
        # second time")
        given, w = w, torch.as_tensor(w).detach()
    except (TypeError, ValueError, RuntimeError, OverflowError):
        _refuse_past_range(w)
        raise UsageTypeError(
            f"w must be a 1-d tensor or sequence of numbers, got {w!r:.60}; "
            "pass e.g. w=torch.tensor([2, -3.4])"
        ) from None
    if w.dtype == torch.bool or w.is_complex():
        raise UsageTypeError(
            f"w must hold real numbers, got dtype {w.dtype}; pass e.g. w=torch.tensor([2, -3.4])"
        )
    check_holds_values("w", w)
    if not w.is_floating_point():
        # torch's default float dtype, as a list of floats becomes (float64 after
        # torch.set_default_dtype(torch.float64), as the book's X drawn by torch.normal is)
        w = w.to(torch.get_default_dtype())
    if w.ndim == 2 and w.shape[1] == 1:
        # a column (d, 1), as the book's synthetic_data takes it (its matmul gives y of shape
        # (n, 1), then reshaped): the same draws and labels as the (d,) weights
        w = w.reshape(-1)
    if w.ndim == 0:  # a number: b or num_examples in w's place, or one weight not in a tensor
        raise UsageError(
            f"w must be a 1-d tensor of weights (d,), got the number {_as_given(given)}; the "
            "arguments go in the order synthetic_data(w, b, num_examples): pass e.g. "
            "synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000)"
        )
    if w.ndim != 1 or w.numel() == 0:
        raise UsageError(
            f"w must be a non-empty 1-d tensor of weights (d,), got shape {tuple(w.shape)}; "
            "pass e.g. w=torch.tensor([2, -3.4]) (a column (d, 1) is taken too)"
        )
    if not isinstance(given, torch.Tensor) and w.dtype == torch.float32:
        _refuse_past_float32(given, w)
    # the weights the data are drawn with, not data to clean
    return check_finite("w", w, fix="pass finite weights, e.g. w=torch.tensor([2, -3.4])")


def _as_given(given: Any) -> str:
    """Return a number passed as ``w`` as written (a 0-d tensor as its repr, ``tensor(2.)``)."""
    return repr(given) if isinstance(given, torch.Tensor) else describe(given)


def _leaves(given: list[Any] | tuple[Any, ...]) -> Iterator[Any]:
    """Yield the values of a list, nested lists included."""
    for value in given:
        if isinstance(value, list | tuple):
            yield from _leaves(value)
        else:
            yield value


def _refuse_past_range(given: Any) -> None:
    """Name an integer of the list of numbers ``given`` that torch could not make a tensor of: one
    past float's range (``10**400``), or past int64's (``10**20``), which a list of integers becomes."""
    if not isinstance(given, list | tuple):
        return
    values = list(_leaves(given))
    if not all(isinstance(value, numbers.Real) for value in values):
        return  # not a list of numbers: the caller says so
    for value in values:
        if not isinstance(value, numbers.Integral):
            continue
        if not is_finite_number(value):
            raise UsageError(
                f"w must hold finite numbers, got {describe(value)}; pass e.g. "
                "w=torch.tensor([2, -3.4])"
            )
        if not -(2**63) <= int(value) < 2**63:
            raise UsageError(
                f"w must hold integers within int64's range (±9.2e+18), as a list of integers "
                f"becomes int64, got {describe(value)}; write it as a float, e.g. {float(value):g}"
            )


def _refuse_past_float32(given: Any, w: torch.Tensor) -> None:
    """Refuse finite numbers that became inf in the float32 tensor a list of them makes (w (d,)),
    rather than let them be named as NaN/inf data to clean."""
    if bool(torch.isfinite(w).all()):
        return
    wide = torch.as_tensor(given, dtype=torch.float64).reshape(-1)  # (d,)
    if bool(torch.isfinite(wide).all()):
        raise UsageError(
            "w must hold numbers within float32's range (±3.4e+38), as a list of numbers becomes "
            f"float32, got {wide[~torch.isfinite(w)][0].item():g}; pass smaller weights, or "
            "w=torch.tensor(w, dtype=torch.float64)"
        )


def _bias(b: Any) -> float:
    """Return the true bias as a finite float: a real number, or a one-element real tensor or array."""
    if (
        isinstance(b, torch.Tensor)
        and b.numel() == 1
        and not (b.dtype == torch.bool or b.is_complex())
    ):
        b = check_holds_values("b", b).item()
    elif not isinstance(b, torch.Tensor):
        b = plain_number(b)  # a NumPy array of one number, np.array(4.2), as LinregConfig takes it
    if isinstance(b, bool) or not isinstance(b, numbers.Real):
        raise UsageTypeError(f"b must be a number, got {b!r:.60}; pass e.g. b=4.2")
    if not is_finite_number(b):
        raise UsageError(f"b must be a finite number, got {describe(b)}; pass e.g. b=4.2")
    return float(b)
