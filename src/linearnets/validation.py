"""Checks for values entering the library: each failure names the argument, the rule, the value and the fix.

Imports neither torch nor NumPy itself: the command's options are checked with these before either
is loaded (``linearnets softmax --epochs 0`` answers without waiting seconds for torch). A
value that is a tensor or an array can only exist once its library is loaded, so the checks of
numbers look for them in :data:`sys.modules`; the checks of tensors import torch, already loaded.
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from linearnets._text import respelled
from linearnets.errors import DivergenceError, UsageError, UsageTypeError

if TYPE_CHECKING:
    import torch

__all__ = [
    "MAX_WEIGHT_BYTES",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_finite_init",
    "check_float_tensor",
    "check_generator",
    "check_holds_values",
    "check_label_range",
    "check_label_tensor",
    "check_labels_device",
    "check_model_size",
    "check_no_nan_scores",
    "check_non_negative_float",
    "check_positive_float",
    "check_positive_int",
    "check_same_length",
    "check_transform",
    "describe",
    "is_column",
    "is_finite_number",
    "scalar_value",
]

# a linear model's weights, at most: training holds their gradient (and a copy per step) too
MAX_WEIGHT_BYTES = 2**31


@functools.cache
def _wide_unsigned() -> frozenset[torch.dtype]:
    """The unsigned integer dtypes torch stores but barely computes with (no promotion, no aminmax
    on a CPU)."""
    import torch

    names = ("uint16", "uint32", "uint64")
    return frozenset(d for d in (getattr(torch, name, None) for name in names) if d is not None)


def _is_a(value: object, module: str, kind: str) -> bool:
    """Whether ``value`` is a ``module.kind`` ("torch", "Tensor"), without loading ``module``:
    none of its objects exists before it is loaded."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, kind))


def _is_tensor(value: object) -> bool:
    """Whether ``value`` is a ``torch.Tensor``, without loading torch."""
    return _is_a(value, "torch", "Tensor")


def describe(value: Any) -> str:
    """Return a short description of ``value`` for error messages (tensors by shape and dtype)."""
    if _is_tensor(value):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_finite_number(value: numbers.Real) -> bool:
    """Whether the real number ``value`` is finite as a float: an ``int`` past float's range
    (``10**400``) is not, where ``float()`` raises ``OverflowError`` on it."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def is_column(t: torch.Tensor) -> bool:
    """Whether ``t`` holds one value per example: shape (B,) or (B, 1)."""
    return t.ndim == 1 or (t.ndim == 2 and t.shape[1] == 1)


def _fail(
    name: str, rule: str, value: Any, fix: str, *, kind: type[Exception] = UsageError
) -> None:
    raise kind(f"{name} must be {rule}, got {describe(value)}; {fix}")


def check_positive_int(name: str, value: Any, *, fix: str = "", maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer ≥ 1 (a NumPy integer or a 0-d integer tensor
    too; bools and floats rejected), else raise :class:`UsageError`."""
    value = scalar_value(value, integral=True)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(name, "a positive integer", value, fix or f"pass e.g. {name}=1", kind=UsageTypeError)
    if value < 1:
        _fail(name, "a positive integer (>= 1)", value, fix or f"pass e.g. {name}=1")
    if maximum is not None and value > maximum:
        _fail(name, f"an integer in [1, {maximum}]", value, fix or f"pass at most {maximum}")
    return int(value)


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


def check_positive_float(
    name: str, value: Any, *, fix: str = "", maximum: float | None = None
) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (a NumPy scalar or a 0-d tensor
    too), else raise :class:`UsageError`; ``fix`` defaults to an example value."""
    example = fix or f"pass e.g. {name}={min(0.1, maximum if maximum is not None else 0.1):g}"
    value = scalar_value(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, "a positive number", value, example, kind=UsageTypeError)
    if not is_finite_number(value) or value <= 0:
        _fail(name, "a finite number > 0", value, example)
    if maximum is not None and value > maximum:
        _fail(name, f"a number in (0, {maximum:g}]", value, fix or f"pass at most {maximum:g}")
    return float(value)


def check_non_negative_float(
    name: str, value: Any, *, fix: str = "", maximum: float | None = None
) -> float:
    """Return ``value`` as a float if it is a finite real number ≥ 0 (a NumPy scalar or a 0-d tensor
    too), else raise :class:`UsageError`; ``fix`` defaults to an example value."""
    example = fix or f"pass e.g. {name}={min(0.01, maximum if maximum is not None else 0.01):g}"
    value = scalar_value(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, "a non-negative number", value, example, kind=UsageTypeError)
    if not is_finite_number(value) or value < 0:
        _fail(name, "a finite number >= 0", value, example)
    if maximum is not None and value > maximum:
        _fail(name, f"a number in [0, {maximum:g}]", value, fix or f"pass at most {maximum:g}")
    return abs(float(value))  # -0.0 as 0.0: a config read "noise_std": -0.0, against this rule


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


def _check_tensor(name: str, value: Any) -> None:
    if not _is_tensor(value):
        _fail(
            name,
            "a torch.Tensor",
            value,
            f"convert it with torch.as_tensor({name})",
            kind=UsageTypeError,
        )


def check_float_tensor(name: str, value: Any, *, ndim: int | None = None) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor (of ``ndim`` dimensions when given)."""
    _check_tensor(name, value)
    if not value.is_floating_point():
        _fail(
            name,
            "a floating-point tensor",
            value,
            f"convert it with {name}.float() (images: {name}.float() / 255)",
            kind=UsageTypeError,
        )
    if ndim is not None and value.ndim != ndim:
        _fail(name, f"{ndim}-dimensional", value, _reshape_fix(name, value.ndim, ndim))
    return value


def _reshape_fix(name: str, got: int, ndim: int) -> str:
    """Return the reshape that most likely gives a ``got``-dimensional ``name`` its ``ndim`` dimensions."""
    if ndim == 0:
        return f"pass one value, e.g. {name}.reshape(()) for a one-element tensor"
    if got > ndim:
        # e.g. images (B, 1, 28, 28) for a function of (B, n); flatten(1) keeps B, even B = 0
        return f"flatten each example's trailing dimensions with {name}.flatten({ndim - 1})"
    if ndim == 2 and got == 1:  # most often one example's values, for a function of a batch (B, n)
        return f"for one example use {name}.reshape(1, -1), a batch of one"
    ones = ", ".join(["1"] * (ndim - got))
    return f"add the missing leading dimensions with {name}.reshape({ones}, *{name}.shape)"


def check_label_tensor(name: str, value: Any, *, num_classes: int | None = None) -> torch.Tensor:
    """Return ``value`` if it is a 1-d integer tensor of class indices in ``[0, num_classes)``."""
    import torch

    if not isinstance(value, torch.Tensor):
        _fail(
            name,
            "a torch.Tensor of class indices",
            value,
            f"convert it with torch.as_tensor({name})",  # a list of ints gives int64 indices
            kind=UsageTypeError,
        )
    # rows of C > 1 scores or flags are one-hot (or soft) labels: .long() or .reshape(-1) would not do
    one_hot = value.ndim == 2 and value.shape[1] > 1
    to_index = f"use {name}.argmax(dim=1) (one-hot rows to class indices)"
    if value.is_floating_point() or value.dtype == torch.bool or value.is_complex():
        _fail(
            name,
            "an integer tensor of class indices",
            value,
            to_index if one_hot else f"use {name}.long()",
            kind=UsageTypeError,
        )
    if value.dtype in _wide_unsigned():  # torch compares, promotes and reduces none of them
        _fail(
            name,
            "class indices of a signed integer dtype or uint8 (torch has no arithmetic for "
            "uint16/uint32/uint64)",
            value,
            f"use {name}.long()",
            kind=UsageTypeError,
        )
    if value.ndim != 1:
        _fail(name, "1-dimensional (B,)", value, to_index if one_hot else f"use {name}.reshape(-1)")
    if num_classes is not None and value.numel() > 0:
        check_holds_values(name, value)  # a range needs values; see the losses' own skip of meta
        low, high = (int(v) for v in torch.aminmax(value))  # one pass, not two
        check_label_range(name, low, high, num_classes)
    return value


def check_label_range(
    name: str, low: int, high: int, num_classes: int, *, ignore_index: int | None = None
) -> None:
    """Raise :class:`UsageError` unless labels whose extremes are ``low``/``high`` lie in [0, C).

    ``ignore_index``: the label the loss skips (``nn.CrossEntropyLoss``'s, -100 by default): a label
    of that value is named as such, since the loss took it without a word.
    """
    if low >= 0 and high < num_classes:
        return
    bad = low if low < 0 else high
    if bad == ignore_index:
        raise UsageError(
            f"{name} must hold class indices in [0, {num_classes}), got {bad}, the loss's "
            "ignore_index: the loss skips such examples, but the loop's loss and accuracy count "
            f"every example, so none can be ignored; drop them from the data (keep = {name} != "
            f"{bad}; X, {name} = X[keep], {name}[keep])"
        )
    raise UsageError(
        f"{name} must hold class indices in [0, {num_classes}), got {bad}; check the labels match "
        "the model's number of outputs"
    )


def check_holds_values(name: str, value: torch.Tensor) -> torch.Tensor:
    """Return ``value`` unless it is on the meta device, a shape without values, which nothing that
    reads values (a count, a range, a finiteness check) can use: raise :class:`UsageError` then."""
    if value.is_meta:
        raise UsageError(
            f"{name} must hold values, got a tensor of shape {tuple(value.shape)} on the meta "
            "device (a shape without data); pass one that holds its values, on the CPU or a GPU"
        )
    return value


def check_labels_device(y: torch.Tensor, scores: torch.Tensor, of: str) -> None:
    """Raise :class:`UsageError` unless the labels ``y`` are on the device of ``scores`` (named
    ``of``, e.g. "y_hat"): torch fails on the two in its own words ("Expected all tensors to be
    on the same device"), or, where its indexing moves CPU labels for it, at a later step. Meta
    labels are refused as holding no values; meta ``scores`` are left to the model's checks."""
    if y.device == scores.device or scores.is_meta:
        return
    check_holds_values("y", y)
    what = "targets" if y.is_floating_point() else "labels"
    raise UsageError(
        f"y must be on the device of {of}, {scores.device}, got {what} on {y.device}; move them "
        f"with y.to('{scores.device}') (a batch's X and y belong on the model's device)"
    )


def check_finite(
    name: str, value: torch.Tensor, *, fix: str = "clean or impute the data first"
) -> torch.Tensor:
    """Return ``value`` if every entry is finite, else raise :class:`UsageError` ending in ``fix``
    (data's by default); a tensor on the meta device has no entries to check and is refused
    (:func:`check_holds_values`)."""
    import torch

    check_holds_values(name, value)
    if (value.is_floating_point() or value.is_complex()) and not bool(torch.isfinite(value).all()):
        count = int((~torch.isfinite(value)).sum())
        raise UsageError(
            f"{name} must hold only finite values, got {count} NaN/inf entries in {describe(value)}; "
            f"{fix}"
        )
    return value


def check_same_length(names: Sequence[str], values: Sequence[torch.Tensor]) -> int:
    """Return the common first dimension of ``values``, else raise :class:`UsageError`."""
    for name, value in zip(names, values, strict=True):
        _check_tensor(name, value)
        if value.ndim == 0:
            _fail(
                name, "a tensor with one row per example (n, ...)", value, f"use {name}.reshape(1)"
            )
    lengths = [int(v.shape[0]) for v in values]
    if len(set(lengths)) != 1:
        pairs = ", ".join(f"{n} has {k}" for n, k in zip(names, lengths, strict=True))
        raise UsageError(
            f"{' and '.join(names)} must have the same number of examples (first dimension), "
            f"got {pairs}; pass matching arrays"
        )
    return lengths[0]


def check_model_size(num_inputs: int, num_outputs: int) -> None:
    """Refuse a linear model whose num_inputs × num_outputs weights, in torch's default dtype,
    pass :data:`MAX_WEIGHT_BYTES`: torch's allocator would fail deep inside, or the machine
    swap, when their initial values are drawn."""
    import torch

    dtype = torch.get_default_dtype()
    itemsize = torch.finfo(dtype).bits // 8
    nbytes = num_inputs * num_outputs * itemsize
    if nbytes <= MAX_WEIGHT_BYTES:
        return
    most, gib, kind = MAX_WEIGHT_BYTES // itemsize, MAX_WEIGHT_BYTES // 2**30, str(dtype)[6:]
    if num_outputs == 1:  # linear regression: one weight per feature
        raise UsageError(
            f"num_inputs must be at most {most:,} ({gib} GiB of {kind} weights), got "
            f"{num_inputs:,} ({nbytes / 2**30:,.1f} GiB); pass fewer features"
        )
    raise UsageError(
        f"num_inputs × num_outputs must make at most {most:,} weights ({gib} GiB of {kind}), got "
        f"{num_inputs:,} × {num_outputs:,} ({nbytes / 2**30:,.1f} GiB); pass fewer inputs (e.g. a "
        "smaller image size) or fewer classes"
    )


def check_no_nan_scores(nan: torch.Tensor | bool, *, from_finite: bool = False) -> None:
    """Raise DivergenceError if a model's scores held NaN (``nan``: whether they did).

    A NaN score is every row's maximum, so a NaN model would count as right on its class: its
    accuracy would mean nothing. ``from_finite`` says the caller, once the scores were NaN, found
    the model's parameters and a batch finite and the model's scores on that batch NaN: then the
    model's own computation made the NaN, most often the book's softmax ``exp(o) / Σ exp(o)`` on a
    score above ~88, whose exp is inf in float32 (inf / inf is NaN; D2L §3.6, exercise 1).
    """
    if not bool(nan):
        return
    if from_finite:
        raise DivergenceError(
            "the model's scores hold NaN, so no accuracy can be computed, though its parameters "
            "and its inputs are finite: its own computation overflowed, e.g. a softmax computed as "
            "exp(o) / exp(o).sum(1) without subtracting each row's max first (exp of a score above "
            "~88 is inf in float32, and inf / inf is NaN); subtract each row's max before exp, "
            "o - o.max(dim=1, keepdim=True).values, or use linearnets.softmax, which does, or "
            "return the scores themselves (logits) and train with nn.CrossEntropyLoss"
        )
    raise DivergenceError(
        "the model's scores hold NaN, so no accuracy can be computed: its weights or its "
        "inputs hold NaN (weights blow up when the lr is too large: train again with a smaller "
        "one)"
    )


def check_finite_init(name: str, value: float, weights: torch.Tensor) -> None:
    """Refuse initial ``weights`` that the standard deviation ``name`` = ``value`` drew past the
    largest value of their dtype: a finite one (1e40) can still give infinite float32 weights, and
    with them a NaN loss at the first step. Meta weights (a deferred initialisation, made
    real later by ``to_empty``) hold no values to check."""
    if weights.is_meta:
        return
    import torch

    infinite = int((~torch.isfinite(weights)).sum())
    if infinite:
        raise UsageError(
            f"{name} must give finite initial weights in {weights.dtype} (largest value "
            f"{torch.finfo(weights.dtype).max:.3g}), got {name}={value:g}, which drew {infinite} of "
            f"{weights.numel()} weights infinite; pass a smaller {name}, e.g. {name}=0.01 (the book's)"
        )
