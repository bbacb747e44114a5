"""Minibatch stochastic gradient descent from scratch (D2L §3.2.6)."""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import torch

from linearnets._check_basics import is_finite_number, scalar_value
from linearnets._warn import warn
from linearnets.config_checks import MAX_SIZE, check_lr_range
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_bool,
    check_positive_float,
    check_positive_int,
    describe,
)

__all__ = ["SGD", "sgd"]


def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: float) -> None:
    """Update ``params`` in place by ``-lr * grad / batch_size`` and zero their gradients.

    The book's form: the loss was *summed* over the batch, so its gradient is divided by the batch size.
    ``batch_size`` is a number of examples: an int, or a float of a whole number (``2.0``, as
    ``n / 2`` gives), which the book's division takes alike; a fraction (``2.5``) is refused, as
    no batch holds 2.5 examples (to scale the step, change ``lr``).

    A tensor without a ``.grad`` (a frozen ``nn.Parameter``, or one unused by the loss) is left as
    it is, as ``torch.optim.SGD`` leaves it; if no tensor has one, backward was not run and
    :class:`UsageTypeError` says so (a ``TypeError``, as the book's ``sgd`` raises there), as it
    does for a plain tensor made without ``requires_grad=True`` (the book's ``sgd`` fails on its
    ``None`` gradient too: skipped, it would leave the others to train alone).

    See D2L §3.2.6.
    """
    lr_given, size_given = lr, batch_size  # as passed, for the swapped-order check
    try:
        lr = check_positive_float("lr", lr, fix="pass e.g. lr=0.03 (the book's, D2L §3.2)")
        batch_size = _check_batch_size(batch_size)
    except UsageError:  # the error path alone: the book's order swapped is named as such
        _check_sgd_order(params, lr_given, size_given)
        raise
    params = _param_list(params)
    _warn_one_column(params)
    _check_lr_range(lr, params, example="0.03")
    for i, param in enumerate(params):
        if (
            param.grad is None
            and not param.requires_grad
            and not isinstance(param, torch.nn.Parameter)
        ):
            if not (param.is_floating_point() or param.is_complex()):
                # requires_grad_() raises for it: "only Tensors of floating point ... dtype"
                raise UsageTypeError(
                    f"params[{i}] must be floating point to be trained, got {describe(param)}, "
                    "which cannot require grad; create it as float, e.g. "
                    "torch.zeros(1, requires_grad=True), or convert it with "
                    ".float().requires_grad_()"
                )
            # a tensor made without requires_grad=True never gets a gradient: skipping it would
            # train the others alone, silently (the book's sgd raises TypeError on its None .grad)
            raise UsageTypeError(
                f"params[{i}] must require grad to be trained, got {describe(param)} made "
                "without requires_grad=True, so backward gives it no gradient and it would stay "
                "as made while the others train; add requires_grad=True where you create it, "
                f"e.g. {created_trainable(param)} (D2L §3.2.3), or call its requires_grad_() before "
                "training"
            )
    if all(param.grad is None for param in params):
        # the book's sgd fails here too (TypeError on lr * None), hence a TypeError still: silently
        # skipping every tensor would leave a loop that forgot backward() training nothing
        raise UsageTypeError(
            f"params must have gradients to step by, got {len(params)} tensor(s), none with a "
            ".grad (was backward() not called before sgd?); call l.sum().backward() on the "
            "loss, computed from tensors created with requires_grad=True, before "
            "sgd(params, lr, batch_size), as the book's loop does (D2L §3.2.7)"
        )
    with torch.no_grad():
        for param in params:
            if param.grad is None:
                continue
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def _check_sgd_order(params: object, lr: object, batch_size: object) -> None:
    """Refuse a number for ``params`` beside the tensors for ``lr`` or ``batch_size``: the book's
    order swapped (``sgd(0.03, [w, b], 4)``), named as such, not as an lr that is no number.

    The call offered takes the one whole positive number of the two (``4`` of ``sgd(4, 0.03, [w,
    b])``) as ``batch_size`` and the other as ``lr``; where neither or both are whole, or the other
    is no number, ``lr`` is the number passed as params and ``batch_size`` is left to write (a
    call offered with 0.03 or 10.5 as batch_size fails again)."""
    number = _number_text(params)
    if number is None:
        return
    for name, value in (("lr", lr), ("batch_size", batch_size)):
        if _looks_like_params(value):
            other = batch_size if name == "lr" else lr
            lr_text, size_text = _swapped_numbers(params, other)
            tensors = "[w, b]" if isinstance(value, list) and len(value) == 2 else "params"
            raise UsageTypeError(
                f"sgd takes params first, then lr and batch_size, got {describe(params)} as "
                f"params and {_describe_params(value)} as {name}: the arguments are in the wrong "
                f"order; call sgd({tensors}, {lr_text}, {size_text}) (D2L §3.2.6)"
            )


def _swapped_numbers(first: object, other: object) -> tuple[str, str]:
    """Return the lr and batch_size to offer for ``first``, the number passed as params, and
    ``other``, the argument beside the tensors: the one whole positive number of the two as
    batch_size, else ``first`` as lr and the placeholder ``batch_size``."""
    first_text, other_text = _number_text(first), _number_text(other)
    assert first_text is not None  # checked by the caller
    if other_text is None:
        return first_text, "batch_size"
    first_whole, other_whole = _is_batch_size(first), _is_batch_size(other)
    if first_whole and not other_whole:
        return other_text, first_text
    if other_whole and not first_whole:
        return first_text, other_text
    return first_text, "batch_size"


def _is_batch_size(value: object) -> bool:
    """Whether ``sgd`` takes ``value`` as its ``batch_size``: a whole number in [1, MAX_SIZE]."""
    try:
        _check_batch_size(value)
    except UsageError:
        return False
    return True


def _number_text(value: object) -> str | None:
    """Return ``value`` as the number to write in a call (a 0-d tensor's rounded as shown:
    ``0.03``, not float32's ``0.029999999329447746``), or ``None`` if it is no real number."""
    number = scalar_value(value)
    if not isinstance(number, numbers.Real) or isinstance(number, bool):
        return None
    return f"{number:g}" if number is not value and isinstance(number, float) else str(number)


def _looks_like_params(value: object) -> bool:
    """Whether ``value`` is what ``params`` takes: a non-empty list or tuple of tensors, or an
    iterator such as ``net.parameters()`` (not consumed here)."""
    if isinstance(value, list | tuple):
        return bool(value) and all(isinstance(item, torch.Tensor) for item in value)
    return isinstance(value, Iterator)


def _describe_params(value: object) -> str:
    """Describe what was passed as params, briefly: ``a list of 2 tensors``, ``a generator``."""
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} tensor{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


def created_trainable(param: torch.Tensor) -> str:
    """Return how the book creates a tensor of ``param``'s shape that trains: a weight matrix
    drawn from N(0, 0.01²), a bias (1-d, or 0-d) of zeros."""
    shape = tuple(param.shape)
    if param.ndim >= 2:
        return f"torch.normal(0, 0.01, size={shape}, requires_grad=True)"
    return f"torch.zeros({', '.join(map(str, shape)) or '()'}, requires_grad=True)"


def _check_lr_range(lr: float, params: list[torch.Tensor], *, example: str) -> None:
    """Refuse an ``lr`` that float32 makes inf or rounds below its normal numbers, where a
    parameter is float32 or narrower, as a run's config does
    (:func:`~linearnets.config_checks.check_lr_range`: ``1e40`` is inf); float64 parameters take
    any finite lr. float16 and bfloat16 parameters are judged by float32's range too: torch
    multiplies them by a Python number in float32 (``7e4 * grad`` of a float16 grad of 0.01 is
    700, ``1e-5 * grad`` is 1e-7, as float16 holds them), so their own range bounds the step, which
    the divergence guard judges, not the lr. ``example`` is the fix's value."""
    if _narrow(params):
        check_lr_range(lr, example)


def _narrow(params: list[torch.Tensor]) -> bool:
    """Return whether a floating parameter of ``params`` is float32 or narrower."""
    return any(p.is_floating_point() and p.dtype.itemsize <= 4 for p in params)


def _lr_bounds(params: list[torch.Tensor]) -> tuple[float, float]:
    """Return the lr range (low, high) ``step`` lets by with a compare alone: float32's normal
    numbers where a parameter is float32 or narrower, else float64's; an lr outside it is judged
    by the setter, which refuses it or takes it."""
    info = torch.finfo(torch.float32 if _narrow(params) else torch.float64)
    return float(info.tiny), float(info.max)


_HALF = torch.finfo(torch.float16)  # the narrowest range of a floating dtype a model trains in


def _holds(dtype: torch.dtype, lr: float) -> bool:
    """Return whether ``dtype`` holds ``lr`` as a normal number (``add_``'s alpha is converted to it)."""
    info = torch.finfo(dtype)
    return info.tiny <= lr <= info.max


def _check_batch_size(value: Any) -> int:
    """Return ``sgd``'s ``batch_size`` as an int if it is a whole number in [1, MAX_SIZE] (an int,
    or a float such as ``2.0``; a 0-d tensor or a NumPy number of either too), else raise."""
    number = scalar_value(value)
    if isinstance(number, numbers.Real) and not isinstance(number, bool | numbers.Integral):
        # a float: the book divides by 2.0 as by 2, but no batch holds 2.5 examples or nan
        if not is_finite_number(number):
            raise UsageError(
                f"batch_size must be a finite positive integer, got {describe(number)}; pass "
                "the number of examples in the batch, e.g. batch_size=len(y)"
            )
        real = float(number)  # finite: float() takes it
        if real > 0 and not real.is_integer():
            raise UsageError(
                f"batch_size must be a whole number of examples, got {describe(number)}; pass "
                "the number of examples in the batch, e.g. batch_size=len(y) (to scale the "
                "step, change lr)"
            )
        if real <= 0:
            raise UsageError(
                f"batch_size must be a positive integer (>= 1), got {describe(number)}; pass "
                "e.g. batch_size=1"
            )
        if real > MAX_SIZE:  # named as given (1e+19), not as the int it is
            raise UsageError(
                f"batch_size must be an integer in [1, {MAX_SIZE}], got {describe(number)}; pass "
                f"at most {MAX_SIZE}"
            )
        number = int(real)
    # at most MAX_SIZE, as load_array takes: torch cannot divide a gradient by an int past int64's
    # range (a bare OverflowError, "int too big to convert")
    return check_positive_int("batch_size", number, maximum=MAX_SIZE)


def _param_list(params: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """Return ``params`` as a non-empty list of distinct leaf tensors, or raise.

    A single tensor is refused rather than iterated: its rows are views that never get a ``.grad``,
    so the update would silently do nothing. A tensor listed twice is refused (``torch.optim`` 2.13
    warns that it "will cause an error" in future): :class:`SGD` would step it twice per ``step()``,
    :func:`sgd` once (it zeroes the gradient after the first update), so the two would silently
    disagree.
    """
    params = _as_list(params)
    for i, param in enumerate(params):
        _check_param(i, param)
    _check_distinct(params)
    return params


def _as_list(params: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """Return ``params`` as a non-empty list; a single tensor or a non-iterable is refused."""
    if isinstance(params, torch.Tensor):
        raise UsageTypeError(
            f"params must be an iterable of tensors, got {describe(params)} (a single tensor "
            "would be taken row by row); wrap it in a list, e.g. [w, b]"
        )
    try:
        params = list(params)
    except TypeError:
        raise UsageTypeError(
            f"params must be an iterable of tensors, got {describe(params)}; pass e.g. [w, b] or "
            "net.parameters()"
        ) from None
    if not params:
        raise UsageError(
            "params must hold at least one tensor, got an empty list; pass e.g. [w, b] or "
            "net.parameters()"
        )
    return params


def _check_param(i: int, param: object) -> None:
    """Raise unless ``params[i]`` is a leaf tensor (backward fills only a leaf's ``.grad``)."""
    if not isinstance(param, torch.Tensor):
        raise UsageTypeError(
            f"params[{i}] must be a torch.Tensor, got {describe(param)}; pass the model's "
            "parameter tensors"
        )
    if not param.is_leaf:  # a computed tensor: backward never fills its .grad
        raise UsageError(
            f"params[{i}] must be a leaf tensor (created, not computed from others), got "
            f"{describe(param)} computed by {type(param.grad_fn).__name__}; pass the tensors "
            "you created with requires_grad=True"
        )


# weights warned of, by id (a WeakSet compares tensors by value, which fails for several values)
_ONE_COLUMN_WARNED: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()


def _warn_one_column(params: list[torch.Tensor]) -> None:
    """Warn, once per weight, where a weight W (d, 1) of one column is followed by a bias b (q,)
    of q > 1 values: ``X @ W + b`` broadcasts (B, 1) + (q,) to (B, q), each class the same score
    plus its bias, and the model trains to chance without an error (a learner keeping §3.2's
    ``size=(num_inputs, 1)`` for §3.6's softmax). Warned, not refused: an ``nn.Linear(1, q)``,
    weight (q, 1) in (outputs, inputs) layout and bias (q,), is meant, and its rows match b."""
    for i in range(len(params) - 1):
        W, b = params[i], params[i + 1]
        if W.ndim != 2 or W.shape[1] != 1 or b.ndim != 1 or b.shape[0] <= 1:
            continue
        d, q = W.shape[0], b.shape[0]
        if d == q:  # (outputs, inputs): an nn.Linear(1, q)'s weight and bias
            continue
        if _ONE_COLUMN_WARNED.get(id(W)) is W:
            continue
        _ONE_COLUMN_WARNED[id(W)] = W
        warn(
            f"params[{i}] has shape ({d}, 1), one output, but the bias after it, params[{i + 1}], "
            f"has shape ({q},): X @ W + b broadcasts (B, 1) + ({q},) to (B, {q}), every class the "
            "same score plus its bias, so the model trains to chance; create W with shape "
            f"({d}, {q}) to match b's {q}, e.g. W = torch.normal(0, 0.01, size=({d}, {q}), "
            "requires_grad=True) (D2L §3.6.1)",
            UserWarning,
        )


def _check_distinct(params: list[torch.Tensor]) -> None:
    """Raise if a tensor is listed twice (by identity: tensors compare by value)."""
    first: dict[int, int] = {}  # id(tensor) -> its first index
    for i, param in enumerate(params):
        j = first.setdefault(id(param), i)
        if j != i:
            raise UsageError(
                f"params must list each tensor once, got params[{i}] the same tensor as "
                f"params[{j}] ({describe(param)}); it would be stepped once per listing: pass each "
                "parameter once, e.g. net.parameters()"
            )


class SGD:
    """Plain minibatch SGD that steps like ``torch.optim.SGD(params, lr)``.

    The loss is expected to be the batch *mean*, as with ``torch.optim.SGD``, so ``step()`` applies
    ``p -= lr * p.grad``. What matches ``torch.optim.SGD``: ``step()`` (a parameter without a
    ``.grad`` is skipped), ``zero_grad(set_to_none=True)``, and ``param_groups[0]["lr"]`` (read or
    set, also as ``lr``). What does not: it is no ``torch.optim.Optimizer``, so an
    ``lr_scheduler`` refuses it (use ``torch.optim.SGD`` there); its ``state_dict()`` is
    ``{"lr": lr}``, not torch's ``{"state", "param_groups"}``, and neither loads the other's; it
    has one parameter group of tensors (no dicts of groups, no ``add_param_group``), no
    ``state`` or ``defaults``, no momentum, weight decay or other options, and ``step()`` takes
    no closure.

    Args:
        params: tensors with ``requires_grad`` (e.g. ``net.parameters()``).
        lr: learning rate, > 0.

    See D2L §3.2.6.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = _param_list(params)
        _warn_one_column(self.params)
        # torch.optim's shape, so code that reads or sets param_groups[0]["lr"] keeps working (a
        # torch.optim.lr_scheduler needs a real torch.optim.Optimizer: use torch.optim.SGD there)
        self.param_groups: list[dict[str, Any]] = [{"params": self.params, "lr": 0.0}]
        self._lr_bounds = (0.0, 0.0)  # step's fast check, set with lr
        self.lr = lr

    def __repr__(self) -> str:
        # one line, where torch.optim.SGD prints a block of every option it has (this has none)
        count = len(self.params)
        return f"SGD(lr={self.lr:g}, {count} parameter tensor{'s' if count > 1 else ''})"

    @property
    def lr(self) -> float:
        """The learning rate: ``param_groups[0]["lr"]``, so either spelling reads and sets the same."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        lr = check_positive_float("lr", value, fix="pass e.g. lr=0.1")
        _check_lr_range(lr, self.params, example="0.1")
        self._lr_bounds = _lr_bounds(self.params)  # the dtypes as now (net.half() changes them)
        self.param_groups[0]["lr"] = lr

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter: set them to ``None``, or with
        ``set_to_none=False`` fill them with zeros."""
        if set_to_none is not True and set_to_none is not False:  # (two identity tests a step)
            set_to_none = check_bool("set_to_none", set_to_none)  # "no" would mean True
        for param in self.params:
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """Apply one update ``p -= lr * p.grad`` to every parameter that has a gradient.

        An lr set as ``param_groups[0]["lr"]`` (which no setter checks) is checked here as
        ``lr`` is: ``1e40`` failed in torch ("value cannot be converted to type float without
        overflow"), a string or NaN deep in ``add_``. An lr a parameter's dtype does not hold
        (7e4 or 1e-8 for float16, which float32 holds) steps it as :func:`sgd` does, by the grad
        times lr in float32, where ``torch.optim.SGD`` fails past 65504 and steps by 0 below."""
        lr = self.param_groups[0]["lr"]
        low, high = self._lr_bounds
        if type(lr) is not float or not low <= lr <= high:  # a compare a step, on the hot path
            self.lr = lr  # refused as the setter refuses it, or taken (an int, a tensor)
            lr = self.param_groups[0]["lr"]
        held = _HALF.tiny <= lr <= _HALF.max  # an alpha every floating dtype holds: the hot path
        for param in self.params:
            if param.grad is None:
                continue
            if held or _holds(param.dtype, lr):
                param.add_(param.grad, alpha=-lr)
            else:
                # add_ converts alpha to the parameter's dtype: past 65504 float16 failed ("value
                # cannot be converted to type c10::Half without overflow"), below ~3e-8 it stepped
                # by 0; the grad times lr is computed in float32, as sgd steps it (7e4 on 0.01: 700)
                param.sub_(param.grad * lr)

    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer's state (the learning rate; plain SGD keeps no buffers)."""
        return {"lr": self.param_groups[0]["lr"]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict`."""
        if not isinstance(state, dict) or "lr" not in state:
            raise UsageError(
                f"state must be a dict with key 'lr', as state_dict() returns, got {describe(state)}"
            )
        self.lr = state["lr"]
