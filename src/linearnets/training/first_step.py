"""What a classifier's first step of each epoch checks beyond shapes: the values of its scores and losses.

Read before the step's update, so that a refused model is left as it was. A model or loss that
cannot train fails here with its cause, rather than as NaN weights blamed on the learning rate
(steps later) or as "loss nan" printed every epoch:

- scores holding NaN on finite weights and inputs: the model's own computation overflowed (the
  book's naive softmax, D2L §3.6 exercise 1);
- a loss that is not finite on scores that hold inf: the weights or the features that do, or an
  overflow in the model, named (:mod:`~linearnets.training.inf_scores`);
- a loss that is not finite for finite scores: a log of 0 (a probability that underflowed, §3.6
  exercise 2), of a value that is no probability (logits given to a loss on probabilities: it is
  finite on their softmax), or the loss's own computation (not finite on their softmax either);
- ``nn.NLLLoss`` given scores that are no log-probabilities: its loss is unbounded below;
- ``nn.CrossEntropyLoss`` given probabilities (a model ending in ``nn.Softmax``): a warning, as
  it trains, badly.

One read-back per epoch. See D2L §3.6–3.7.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from linearnets._warn import warn
from linearnets.errors import DoubleSoftmaxWarning, UsageError
from linearnets.training.inf_scores import infinite_scores_error
from linearnets.training.loss_diagnosis import computes_as
from linearnets.training.loss_kinds import ignored
from linearnets.training.model_diagnosis import nan_source
from linearnets.validation import check_label_range, check_no_nan_scores

__all__ = ["check_first_values"]


_WARNED: weakref.WeakSet[Any] = weakref.WeakSet()  # models warned of a double softmax


def check_first_values(
    net: Any, X: torch.Tensor, y: torch.Tensor, y_hat: torch.Tensor, l: torch.Tensor, loss: Any
) -> None:
    """Raise if a classifier's first-step labels ``y``, scores ``y_hat`` (B, q) or losses ``l``
    cannot train.

    Args:
        net: the model, run again (on the failure path only) to tell where NaN scores came from.
        X: the batch (B, ...) that gave ``y_hat``.
        y: its labels (B,): each in [0, q) (a loss skipping its ``ignore_index`` took -100 without a
            word, and the update would have been made before the epoch's totals refused it).
        y_hat: the model's scores (B, q), from parameters not yet updated in this step.
        l: the step's losses, per example (B,) or reduced (0-d).
        loss: the loss function or module, for the checks that depend on which it is.
    """
    # torch's own: a subclass with a forward of its own may apply log_softmax itself
    nll = computes_as(loss, (nn.NLLLoss,)) or loss is F.nll_loss
    ce = computes_as(loss, (nn.CrossEntropyLoss,)) or loss is F.cross_entropy
    scores = y_hat.detach()
    # one read-back: [any NaN score, every loss finite, largest score, smallest score, lowest
    # label, highest label]; float64 holds every label a model can have scores for
    wide = torch.float64 if scores.device.type != "mps" else torch.float32
    labels = y.to(wide) if y.numel() else y.new_zeros(1, dtype=wide)
    flags = torch.stack(
        [
            scores.isnan().any().to(wide),
            torch.isfinite(l.detach()).all().to(wide),
            scores.amax().to(wide) if scores.numel() else scores.new_zeros((), dtype=wide),
            scores.amin().to(wide) if scores.numel() else scores.new_zeros((), dtype=wide),
            labels.amin(),
            labels.amax(),
        ]
    ).tolist()
    nan, finite, largest, smallest, low, high = flags
    check_label_range(
        "y", int(low), int(high), scores.shape[1] if scores.ndim == 2 else 0,
        ignore_index=ignored(loss),
    )  # fmt: skip
    if nan:
        check_no_nan_scores(True, source=nan_source(net, X, batch="the epoch's first batch"))
    if not finite and (math.isinf(largest) or math.isinf(smallest)):
        value = "NaN" if bool(l.detach().isnan().any()) else "inf"
        raise infinite_scores_error(
            net, X, value=value, smallest=smallest, largest=largest, scores=scores, y=y, loss=loss
        )
    if not finite:
        raise UsageError(
            _loss_not_finite(l, largest, smallest, _finite_on_softmax(loss, scores, y))
        )
    if nll and largest > 1e-6:
        raise UsageError(
            "nn.NLLLoss takes log-probabilities (each <= 0, as log_softmax gives), but the model's "
            f"scores reach {largest:.4g}, so its loss -score[y] is unbounded below and training "
            "would push it to -inf; end the model with nn.LogSoftmax(dim=1), or train the scores "
            "with nn.CrossEntropyLoss(reduction='none'), which applies log-softmax itself"
        )
    if ce and _probabilities(scores, smallest, largest) and _first_warning(net):
        warn(
            "nn.CrossEntropyLoss takes scores (logits) and applies softmax itself, but the "
            "model's outputs are probabilities (each row in [0, 1], summing to 1): softmax "
            f"applied twice trains slowly and to a worse model; {_double_softmax_fix(net)}",
            DoubleSoftmaxWarning,
        )


def _double_softmax_fix(net: Any) -> str:
    """Return the fix for a double softmax: remove the model's ``nn.Softmax`` where it has one;
    else (the book's §3.6 function net, a forward calling softmax) drop the call, or keep it and
    take the loss on probabilities."""
    if isinstance(net, nn.Module) and any(isinstance(m, nn.Softmax) for m in net.modules()):
        return (
            "remove the model's final nn.Softmax and let the loss apply it (softmax(net(X)) "
            "still gives probabilities)"
        )
    return (
        "the model returns probabilities (softmax): drop the softmax from net and let the loss "
        "apply it, or keep it and use the book's cross_entropy(y_hat, y), "
        "-torch.log(y_hat[range(len(y_hat)), y]), which takes probabilities (D2L §3.6.4)"
    )


def _first_warning(net: Any) -> bool:
    """Return whether ``net`` has not been warned yet: once per model, not once per epoch (a
    figure's ``warnings.catch_warnings`` resets the registry that shows a warning once)."""
    try:
        if net in _WARNED:
            return False
        _WARNED.add(net)
    except TypeError:  # a model that cannot be weakly referenced is warned each time
        pass
    return True


def _probabilities(scores: torch.Tensor, smallest: float, largest: float) -> bool:
    """Return whether every row of ``scores`` (B, q) is a distribution: in [0, 1], summing to 1."""
    if scores.ndim != 2 or scores.shape[1] < 2 or smallest < 0 or largest > 1:
        return False
    return bool(torch.allclose(scores.sum(dim=1), scores.new_ones(()), atol=1e-4))


def _finite_on_softmax(loss: Any, scores: torch.Tensor, y: torch.Tensor) -> bool:
    """Return whether ``loss`` is finite on the softmax of ``scores`` (B, q), each probability
    kept from 0 (an underflow is the other message's): a loss on probabilities then, given logits.
    A loss that fails on them, or is not finite, is not one (its own computation is at fault)."""
    if scores.ndim != 2:
        return False
    probabilities = torch.softmax(scores.float(), dim=1).clamp(min=1e-12).to(scores.dtype)
    try:
        with torch.no_grad():
            value = loss(probabilities, y)
        return isinstance(value, torch.Tensor) and bool(torch.isfinite(value).all())
    except Exception:  # the loss's own failure on them only means "no"
        return False


def _loss_not_finite(
    l: torch.Tensor, largest: float, smallest: float, finite_on_softmax: bool
) -> str:
    """Return the message for a loss that is inf or NaN on finite scores in [smallest, largest];
    ``finite_on_softmax``: whether the loss is finite on their softmax (it takes probabilities)."""
    value = "NaN" if bool(l.detach().isnan().any()) else "inf"
    if (smallest < 0 or largest > 1) and not finite_on_softmax:
        why = (
            f"it is {value} on their softmax too, so not only because they are no probabilities "
            f"(they range over [{smallest:.4g}, {largest:.4g}]): check the loss function's own "
            "computation on this batch (a log or a division of a value that can be 0 or below)"
        )
    elif smallest < 0 or largest > 1:
        why = (
            f"the model's scores are no probabilities (they range over [{smallest:.4g}, "
            f"{largest:.4g}]), and a loss on probabilities takes the log of each, NaN below 0: "
            "the model returns scores (logits), so give them to a loss on logits, "
            "nn.CrossEntropyLoss(reduction='none') or linearnets.cross_entropy_logits, or make "
            "the model return softmax(scores)"
        )
    else:
        why = (
            "a probability of the true class is 0 (its softmax underflowed: a score far below its "
            "row's max), and -log(0) is inf; have the model return its scores before the softmax "
            "(logits) and take the loss from them with nn.CrossEntropyLoss(reduction='none') or "
            "linearnets.cross_entropy_logits, which stay finite, or clamp the probability before "
            "the log, -torch.log(y_hat[range(len(y_hat)), y].clamp(min=1e-12))"
        )
    return (
        f"the loss is {value} on the epoch's first batch though the model's scores are finite, "
        f"before any update of this step, so not because of the learning rate: {why}"
    )
