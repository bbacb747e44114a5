"""What a loss tells an epoch's totals about how its values count (D2L §3.6.6): whether a 0-d loss
is its batch's mean or its sum, the class weights a mean divides by, and the label a classification
loss skips (a bool refused: torch's own internal assert took it). Read once per pass, before its
first step; the totals themselves are :mod:`linearnets.training.totals`'s.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageTypeError
from linearnets.models.scratch import cross_entropy, cross_entropy_logits
from linearnets.validation import check_choice

__all__ = [
    "BINARY_LOSSES",
    "CLASS_LOSSES",
    "Loss",
    "check_ignore_index",
    "class_weight",
    "ignored",
    "is_binary_loss",
    "is_class_loss",
    "is_torch_loss",
    "reduction_of",
    "summed_scalar_loss",
    "torch_class_loss_name",
]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# torch's losses that take class indices (B,) against scores (B, C) and never broadcast
CLASS_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
# by identity (a user's callable may define __eq__ as it likes): module-level functions, alive for good
_CLASS_FUNCTIONS = frozenset(
    id(f) for f in (F.cross_entropy, F.nll_loss, cross_entropy, cross_entropy_logits)
)
# torch's binary cross-entropies: a float target (a probability) per output, never class labels
BINARY_LOSSES = (nn.BCELoss, nn.BCEWithLogitsLoss)
_BINARY_FUNCTIONS = frozenset(
    id(f) for f in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits)
)


def class_weight(loss: object) -> torch.Tensor | None:
    """Return the class weights of a mean-reduced ``nn.CrossEntropyLoss`` / ``nn.NLLLoss``, or of
    ``partial(F.cross_entropy, weight=w)`` / ``F.nll_loss`` (whose mean divides by the batch's
    Σ w[y]), else ``None``. The reduction is the one torch applies (:func:`reduction_of`): a
    partial's ``reduce=False`` gives one loss per example, ``reduction="sum", size_average=True``
    the weighted mean."""
    weight: object
    if isinstance(loss, CLASS_LOSSES):
        weight = loss.weight
    else:
        keywords = _class_partial(loss)
        if keywords is None:
            return None
        weight = keywords.get("weight")
    if reduction_of(loss) != "mean":
        return None
    return weight.detach() if isinstance(weight, torch.Tensor) else None


def reduction_of(loss: object) -> object:
    """Return the ``reduction`` ``loss`` applies: a torch loss module's (``nn.MSELoss(reduction=
    "sum")``), or that of a ``partial`` of torch's loss function fixing keywords alone
    (``partial(F.cross_entropy, reduction="sum")``; ``"mean"``, torch's default, where it fixes
    none); else ``None`` (a function of one's own, which may return either)."""
    function, keywords = _partial_of(loss)
    if function is loss:
        return getattr(loss, "reduction", None)
    if getattr(function, "__module__", None) != F.__name__:
        return None
    size_average, reduce = keywords.get("size_average"), keywords.get("reduce")
    if size_average is not None or reduce is not None:
        # torch's deprecated keywords, which override reduction as its legacy_get_string reads
        # them (None is True): partial(F.cross_entropy, size_average=False) sums
        if reduce is not None and not reduce:
            return "none"
        return "sum" if size_average is not None and not size_average else "mean"
    return keywords.get("reduction", "mean")


def _partial_of(loss: object) -> tuple[object, dict[str, object]]:
    """Return the function and keywords of ``partial(f, **keywords)`` (a partial of positional
    arguments, or no partial: ``loss`` itself and none)."""
    if isinstance(loss, functools.partial) and not loss.args:  # partial(F.cross_entropy, ...)
        return loss.func, dict(loss.keywords)
    return loss, {}


def _class_partial(loss: object) -> dict[str, object] | None:
    """Return the keywords ``loss``, ``F.cross_entropy`` / ``F.nll_loss`` or a ``partial`` of
    either, fixes (none for the bare function); ``None`` for any other loss."""
    function, keywords = _partial_of(loss)
    return keywords if function is F.cross_entropy or function is F.nll_loss else None


def _is_bool(value: object) -> bool:
    """Whether ``value`` is a bool: Python's, numpy's or a bool tensor's."""
    return isinstance(value, bool | np.bool_) or (
        isinstance(value, torch.Tensor) and value.dtype == torch.bool
    )


def is_class_loss(loss: object) -> bool:
    """Whether ``loss`` takes class labels (B,) against a classifier's scores (B, C): torch's
    ``nn.CrossEntropyLoss`` / ``nn.NLLLoss`` (or a subclass), ``F.cross_entropy`` / ``F.nll_loss``,
    or the book's scratch ``cross_entropy`` (§3.6.5) / ``cross_entropy_logits``. A function of the
    user's own is not told apart (it may compute anything)."""
    # checked at every step (step_checks): an isinstance and a set lookup, no generator
    return isinstance(loss, CLASS_LOSSES) or id(loss) in _CLASS_FUNCTIONS


def torch_class_loss_name(loss: object) -> str | None:
    """Return the name of torch's class-index loss ``loss`` is, as a user wrote it:
    ``CrossEntropyLoss`` / ``NLLLoss`` (a module, or a subclass's name), ``F.cross_entropy`` /
    ``F.nll_loss`` (the function, or a ``partial`` of it); ``None`` for any other loss (the
    book's scratch ones included, which index by int32 labels as by int64)."""
    if isinstance(loss, CLASS_LOSSES):
        return type(loss).__name__
    function, _ = _partial_of(loss)
    if function is F.cross_entropy or function is F.nll_loss:
        return f"F.{function.__name__}"
    return None


def is_torch_loss(loss: object) -> bool:
    """Whether ``loss`` is one of torch's loss modules (``nn.MSELoss()``, ``nn.CrossEntropyLoss()``),
    whose rules are torch's documented ones, rather than a loss of the user's own."""
    return isinstance(loss, nn.Module) and type(loss).__module__.startswith("torch.nn.")


def is_binary_loss(loss: object) -> bool:
    """Whether ``loss`` is torch's binary cross-entropy (``nn.BCELoss`` / ``nn.BCEWithLogitsLoss``,
    or a subclass, or their functions): a float target, a probability, per output."""
    return isinstance(loss, BINARY_LOSSES) or id(loss) in _BINARY_FUNCTIONS


def ignored(loss: object) -> int | None:
    """Return the label torch's classification loss ``loss`` skips (its ``ignore_index``), or
    ``None`` for a loss that skips none."""
    if isinstance(loss, CLASS_LOSSES):
        return int(loss.ignore_index)
    keywords = _class_partial(loss)
    if keywords is None:
        return None
    index = keywords.get("ignore_index", -100)  # their default
    if _is_bool(index):  # refused by check_ignore_index
        return None
    try:  # an int, numpy's np.int64(0), a 0-d integer tensor: all taken by torch as the label
        return operator.index(index)  # type: ignore[arg-type]
    except TypeError:  # a float or a tensor of many values: torch's own error says
        return None


def check_ignore_index(loss: object) -> None:
    """Refuse a bool ``ignore_index`` of torch's classification loss ``loss`` (a module's, or a
    ``partial`` of ``F.cross_entropy`` / ``F.nll_loss``): ``torch.tensor(True)`` reached torch's
    "INTERNAL ASSERT FAILED ... report a bug to PyTorch", ``True`` a TypeError of its
    internals, a module's was read as label 1."""
    index: object
    if isinstance(loss, CLASS_LOSSES):
        index, name = loss.ignore_index, f"{type(loss).__name__}(ignore_index=...)"
    else:
        keywords = _class_partial(loss)
        if keywords is None or "ignore_index" not in keywords:
            return
        index = keywords["ignore_index"]
        function = _partial_of(loss)[0]
        name = f"partial(F.{getattr(function, '__name__', 'loss')}, ignore_index=...)"
    if _is_bool(index):
        raise UsageTypeError(
            f"the ignore_index of loss {name} must be an int, the class label the loss skips, got "
            f"{index!r} (a bool); pass an int such as ignore_index=-100 (torch's default, no "
            "class) or the label to skip"
        )


def summed_scalar_loss(scalar_loss: str | None) -> bool | None:
    """Return ``scalar_loss`` (``"mean"``, ``"sum"`` or ``None``) as
    :meth:`~linearnets.training.totals.EpochTotals.for_loss`'s ``summed``: whether a 0-d loss is
    its batch's sum (``None``: the loss's ``reduction`` says)."""
    if scalar_loss is None:
        return None
    return check_choice("scalar_loss", scalar_loss, ("mean", "sum")) == "sum"
