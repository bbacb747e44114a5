"""Calls of :func:`~linearnets.training.loop.fit` and
:func:`~linearnets.training.loop.train_epoch` in another order than theirs, told as such (D2L §3.6.6).

The book's ``train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)`` takes its test
set third and its updater last, where ``fit(net, train_iter, loss, updater, num_epochs, *,
test_iter=...)`` takes ``test_iter`` by keyword only. A call in the book's order failed in
Python's words (``fit() takes 5 positional arguments but 6 were given``) or in a check of the
argument that happened to land in the wrong place (``loss must be a loss function ..., got
[(tensor(...``), neither naming the order. :func:`told_signature` wraps a function so that a call
its signature refuses (too many positional arguments, a keyword it lacks) is told with the rule
and the fix, its signature and types unchanged for a type checker (a ``ParamSpec``); the
checks of :func:`check_fit_order` and :func:`check_epoch_order` tell the calls it takes whose
values sit in each other's places (the book's order without its updater, ``updater`` and
``num_epochs`` swapped).
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

import torch

from linearnets._text import and_list
from linearnets.config_values import meant_advice
from linearnets.errors import UsageTypeError
from linearnets.training.updaters import is_optimizer
from linearnets.validation import describe

__all__ = ["check_epoch_order", "check_fit_order", "told_signature"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

FIT_CALL = "ln.fit(net, train_iter, loss, updater, num_epochs, test_iter=test_iter)"
BOOK_CALL = "d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)"
BOOK_ORDER = "the book's train_ch3 order (net, train_iter, test_iter, loss, num_epochs, updater)"

# keywords of other functions, which belong to another object than fit's arguments
_ELSEWHERE = {
    "lr": "the learning rate is the updater's: updater=torch.optim.SGD(net.parameters(), lr=0.1)",
    "learning_rate": (
        "the learning rate is the updater's: updater=torch.optim.SGD(net.parameters(), lr=0.1)"
    ),
    "batch_size": "the batch size is train_iter's: train_iter=ln.load_array((X, y), batch_size)",
}


def told_signature(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Return ``fn``, its calls that its signature refuses told in one line naming the parameter,
    the rule and the fix (a :class:`~linearnets.errors.UsageTypeError`, a ``TypeError``):
    more positional arguments than it takes (the book's order; ``test_iter`` by position), or a
    keyword it lacks (``epochs=2``: ``did you mean num_epochs=2?``, as a config's settings are
    told). Every other call goes to ``fn`` as it was; a type checker sees ``fn``'s own signature.
    """
    params = inspect.signature(fn).parameters
    positional = [
        name
        for name, p in params.items()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    names = frozenset(params)

    @functools.wraps(fn)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if len(args) > len(positional) or not names.issuperset(kwargs):
            raise UsageTypeError(
                _refusal(fn.__name__, positional, list(params), args, kwargs)
            ) from None
        return fn(*args, **kwargs)

    return call


def _refusal(
    name: str,
    positional: list[str],
    params: list[str],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> str:
    """Return the refusal of a call of ``name`` with ``args`` and ``kwargs`` its signature
    (``positional`` first, then keyword-only, all ``params``) refuses."""
    if len(args) > len(positional):
        return _too_many(name, positional, params, args)
    unknown = [key for key in kwargs if key not in params]
    told = ("parameter " if len(unknown) == 1 else "parameters ") + and_list(
        [repr(key) for key in unknown]
    )
    advice = meant_advice(unknown, kwargs, params)
    advice += "".join(f"{_ELSEWHERE[key]}; " for key in unknown if key in _ELSEWHERE)
    if not advice:
        advice = f"its parameters are {', '.join(params)}"
    return f"{name} has no {told}; {advice}".rstrip("; ")


def _too_many(name: str, positional: list[str], params: list[str], args: Sequence[Any]) -> str:
    """Return the refusal of ``len(args)`` positional arguments, more than ``positional``."""
    rule = (
        f"{name} takes {len(positional)} positional arguments, {name}({', '.join(positional)}), "
        f"got {len(args)}"
    )
    rest = [p for p in params if p not in positional]
    if not rest:
        return rule
    keywords = f"{and_list(rest)} {'is' if len(rest) == 1 else 'are'} keyword-only"
    extra = args[len(positional)]
    if name == "fit":
        if len(args) == 6 and _batches(args[2]) and _loss_like(args[3]):
            return (
                f"{rule}, in {BOOK_ORDER}; test_iter is keyword-only: call {FIT_CALL}, or "
                f"{BOOK_CALL} for the book's order"
            )
        if _batches(extra):
            return (
                f"{rule}: the {_nth(len(positional) + 1)}, a {type(extra).__name__} of batches, "
                f"looks like test_iter, which is keyword-only; call {FIT_CALL}"
            )
        if _int_like(extra) and len(args) == len(positional) + 1:
            return (
                f"{rule}: the {_nth(len(positional) + 1)}, {describe(extra)}, looks like "
                "start_epoch (the epochs already done, when resuming), which is keyword-only; "
                f"call fit(net, train_iter, loss, updater, num_epochs, start_epoch={int(extra)})"
            )
    if name == "train_epoch" and len(args) > 3:
        told = _epoch_order(args[2], args[3])  # the book's order: test_iter third
        if told is not None:
            return told
    if name == "train_epoch" and _int_like(extra):
        return (
            f"{rule}: the {_nth(len(positional) + 1)}, {describe(extra)}, looks like num_epochs, "
            "but train_epoch trains one epoch; call ln.fit(net, train_iter, loss, updater, "
            f"num_epochs) to train {describe(extra)} epochs, or train_epoch(net, train_iter, "
            "loss, updater) once per epoch"
        )
    them = "it" if len(rest) == 1 else "them"
    return f"{rule}; {keywords}: pass {them} by name (e.g. {rest[0]}=...)"


def check_fit_order(loss: Any, updater: Any, num_epochs: Any) -> None:
    """Raise where :func:`~linearnets.training.loop.fit`'s ``loss``, ``updater`` and
    ``num_epochs`` hold each other's values: batches as ``loss`` (the book's order, its
    ``test_iter`` third, without the updater), or an updater as ``num_epochs`` beside an int
    ``updater`` (the two swapped)."""
    if _batches(loss):
        book = f", in {BOOK_ORDER} without its updater" if _loss_like(updater) else ""
        raise UsageTypeError(
            f"loss must be a loss function or object called as loss(y_hat, y), got a "
            f"{type(loss).__name__} of batches, which looks like test_iter{book}; fit takes "
            f"test_iter by keyword: call {FIT_CALL}, or {BOOK_CALL} for the book's order"
        )
    if _int_like(updater) and _updater_like(num_epochs):
        raise UsageTypeError(
            f"updater and num_epochs look swapped: got updater={describe(updater)} and "
            f"num_epochs={type(num_epochs).__name__}; pass them as fit(net, train_iter, loss, "
            "updater, num_epochs)"
        )


def check_epoch_order(loss: Any, updater: Any) -> None:
    """Raise where :func:`~linearnets.training.loop.train_epoch`'s ``loss`` holds batches: a
    second iterator (a test set), which it does not take."""
    told = _epoch_order(loss, updater)
    if told is not None:
        raise UsageTypeError(told)


def _epoch_order(loss: Any, updater: Any) -> str | None:
    """Return :func:`check_epoch_order`'s refusal of batches as ``loss``, else ``None`` (also
    told where a fifth positional argument follows them, the book's order)."""
    if not _batches(loss):
        return None
    after = " (and the loss in updater's place)" if _loss_like(updater) else ""
    return (
        f"loss must be a loss function or object called as loss(y_hat, y), got a "
        f"{type(loss).__name__} of batches{after}: train_epoch takes one iterator, "
        "train_iter; call train_epoch(net, train_iter, loss, updater), or "
        f"{FIT_CALL} to evaluate a test set after each epoch"
    )


def _batches(value: Any) -> bool:
    """Whether ``value`` looks like batches to iterate: no function, tensor or text."""
    return (
        not callable(value)
        and hasattr(value, "__iter__")
        and not isinstance(value, str | bytes | torch.Tensor | Mapping)
    )


def _loss_like(value: Any) -> bool:
    """Whether ``value`` could be a loss: callable, no class, no optimizer, no batches."""
    return callable(value) and not isinstance(value, type) and not _updater_like(value)


def _updater_like(value: Any) -> bool:
    """Whether ``value`` is an optimizer object (``zero_grad`` and ``step``), no class."""
    return is_optimizer(value) and not isinstance(value, type)


def _int_like(value: Any) -> bool:
    """Whether ``value`` is an integer (a NumPy one, or a 0-d integer tensor, as ``start_epoch``
    takes, too), no bool."""
    if isinstance(value, torch.Tensor):
        return (
            value.ndim == 0
            and value.dtype != torch.bool
            and not (value.is_floating_point() or value.is_complex())
        )
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _nth(n: int) -> str:
    """``6th``, ``5th`` (the counts met here: 5 or more)."""
    return f"{n}th"
