"""One training step, the same for every model: forward → per-example loss → zero_grad → backward
(autograd, or the model's analytic gradient) → step (D2L §3.6.6).

The checks around it (batch, output, loss value) live in :mod:`linearnets.training.step_checks`
and are re-exported here; the diagnosis of a failed forward lives in
:mod:`linearnets.training.forward_diagnosis`, of a failed backward in
:mod:`linearnets.training.model_diagnosis`, of a failed loss in
:mod:`linearnets.training.loss_diagnosis`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import torch
from torch.nn.parallel import DistributedDataParallel

from linearnets.device import accumulation_dtype
from linearnets.errors import UsageError
from linearnets.training.backward import backward_scaled
from linearnets.training.distributed import DistContext
from linearnets.training.first_step import check_first_values
from linearnets.training.forward_diagnosis import raise_forward_error
from linearnets.training.kept_grads import grads_kept, step_tensors
from linearnets.training.loss_kinds import Loss, is_class_loss, reduction_of
from linearnets.training.loss_notes import note_user_loss_error
from linearnets.training.model_diagnosis import raise_backward_error
from linearnets.training.probability_targets import check_probability_targets
from linearnets.training.score_checks import check_scores
from linearnets.training.stash import detached
from linearnets.training.step_checks import (
    LOSS_ERRORS,
    check_loss_value,
    check_targets_shape,
    compute_loss,
    explain_loss_error,
    raise_loss_error,
    raise_output_error,
    unpack,
)
from linearnets.training.updaters import Updater

__all__ = [
    "check_loss_value",
    "check_same_loss",
    "check_targets_shape",
    "compute_loss",
    "explain_loss_error",
    "raise_backward_error",
    "raise_loss_error",
    "raise_output_error",
    "train_step",
    "unpack",
    "value_scale",
]

Net = Callable[[torch.Tensor], torch.Tensor]


def train_step(
    net: Net,
    X: torch.Tensor,
    y: torch.Tensor,
    loss: Loss,
    updater: Updater,
    *,
    scale: float,
    dist: DistContext | None = None,
    check_targets: bool = False,
    scalar_seed: float | None = None,
    analytic_sum: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run one update and return ``(y_hat, l)``; ``l`` holds per-example losses, detached.

    ``y_hat`` may still name its ``grad_fn`` (its graph was consumed by ``backward``, so it holds no
    saved tensors): detaching it costs an op per step, and only a classifier's metrics keep it (they
    detach it then).

    ``scale`` turns the summed per-example losses into the objective whose gradient is applied:
    ``1 / B`` gives the batch mean, as ``loss.mean().backward()`` does (a loss of k values per example,
    (B, k), is averaged over all B · k of them, as that call averages it: see :func:`value_scale`). An ``analytic`` model trained on its own loss
    (``net.analytic_loss``) runs its fused ``analytic_step``; with another loss, its
    ``analytic_backward``. In a data-parallel run ``scale`` is
    ``world_size / global_B``, so that averaging the gradients over processes gives the global mean;
    a loss reduced to one number (0-d) is then seeded with ``scalar_seed`` where given, its share
    of the global objective when that is no batch mean (a sum, a class-weighted mean: see
    :func:`~linearnets.training.shards.scalar_seed`). ``analytic_sum``: the loss of an
    ``analytic`` model is its own loss summed over the batch (one number, as
    :func:`check_same_loss` finds it), whose gradient it applies with that 0-d loss's seed, as
    autograd differentiates the sum.

    ``check_targets`` checks integer targets against the output before the update
    (:func:`~linearnets.training.score_checks.check_scores`: a classifier's labels (B,) for scores (B, C),
    no class labels for a regression's one output per example) and a classifier's score and loss
    values (:func:`~linearnets.training.first_step.check_first_values`), so that a refused batch
    leaves the parameters as they were, their ``.grad`` too (:mod:`~linearnets.training.kept_grads`); the loop asks it on an epoch's first step only (the epoch's totals
    check every later batch, after its step).
    """
    # a refusal before the update leaves each .grad as it was too
    kept = grads_kept(step_tensors(net, updater)) if check_targets else contextlib.nullcontext()
    with kept:
        if getattr(net, "analytic", False) and loss is getattr(net, "analytic_loss", None):
            # the model computes output, losses and gradient in one pass (one softmax, not two)
            updater.zero_grad()
            y_hat, l = net.analytic_step(X, y, scale=scale)  # type: ignore[attr-defined]
        elif getattr(net, "analytic", False):
            with torch.no_grad():
                y_hat = net(X)
                l = compute_loss(loss, y_hat, y)
            updater.zero_grad()
            if analytic_sum and not l.ndim:  # d(seed · Σ l_i): seed per example, as autograd's
                scale = value_scale(l, y.shape[0], scale, scalar_seed)
            net.analytic_backward(X, y_hat, y, scale=scale)  # type: ignore[attr-defined]
        else:
            try:  # free unless the forward raises
                y_hat = net(X)
            except RuntimeError as err:
                raise_forward_error(net, X, err)
            l = compute_loss(loss, y_hat, y)
            updater.zero_grad()
            try:  # free unless backward raises (try costs nothing in Python 3.11)
                # l.backward(full_like(l, value_scale(l, B, scale))), minus its Python checks
                backward_scaled(l, value_scale(l, y.shape[0], scale, scalar_seed))
            except RuntimeError as err:
                if (
                    not y.is_floating_point()
                ):  # some torch versions fail a regression's int targets here
                    check_scores(y_hat, y)
                raise_backward_error(net, err, (X, y))
            # (DistributedDataParallel averages the gradients over processes during backward)
        if check_targets:
            _check_first_step(net, X, y, y_hat, l, loss, dist=dist)
    if dist is not None and dist.enabled and not isinstance(net, DistributedDataParallel):
        dist.average_gradients(net.parameters())  # type: ignore[attr-defined]
    updater.step()
    return y_hat, detached(l)


def _check_first_step(
    net: Net,
    X: torch.Tensor,
    y: torch.Tensor,
    y_hat: torch.Tensor,
    l: torch.Tensor,
    loss: Loss,
    *,
    dist: DistContext | None,
) -> None:
    """Raise where an epoch's first batch cannot train, before its update (see :func:`train_step`)."""
    if y.is_floating_point() and (dist is None or not dist.enabled):
        check_probability_targets(y_hat, y, loss, batch="the epoch's first batch")
    if not y.is_floating_point():
        check_scores(y_hat, y, classifier=is_class_loss(loss))
        if dist is None or not dist.enabled:  # one process alone must not stop a group
            check_first_values(net, X, y, y_hat, l, loss)


def value_scale(
    l: torch.Tensor, batch: int, scale: float, scalar_seed: float | None = None
) -> float:
    """Return the gradient seed of each value of the loss ``l`` for ``scale`` per example.

    Per-example losses (B,) or (B, 1) take ``scale`` each. A loss with k values per example (B, k) (e.g.
    ``nn.MSELoss(reduction="none")`` on k outputs) is averaged over all of them, as
    ``reduction="mean"`` and the book's ``l.mean().backward()`` do: ``scale / k`` each. A loss already
    reduced to the batch mean (0-d) is scaled back to the sum: d(scale · B · mean)/d mean = scale · B;
    ``scalar_seed``, where given, is a 0-d loss's seed instead.
    """
    if not l.ndim:
        return batch * scale if scalar_seed is None else scalar_seed
    return scale / max(math.prod(l.shape[1:]), 1)


@torch.no_grad()
def check_same_loss(
    net: Net,
    loss: Loss,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    batch: str = "the first batch",
    decided: bool | None = None,
) -> bool | None:
    """Raise unless ``loss`` gives an analytic model's own loss values on this batch; return
    whether it gives their batch sum (one number), whose gradient :func:`train_step` then applies
    (``analytic_sum``), as autograd would; ``None`` where this batch cannot tell.

    The model applies the gradient of its own loss whatever loss is passed (which then only reports):
    a wrapper of the same loss, ``nn.CrossEntropyLoss()`` for softmax (the batch mean) or
    ``nn.CrossEntropyLoss(reduction="sum")`` (the batch sum, trained with the sum's gradient, as
    autograd trains it), trains the same model, but ``nn.L1Loss``, ``nn.MSELoss`` (twice the
    book's squared loss) or a weighted or smoothed cross-entropy would report one objective while
    following another; class weights, which a batch of one class or one example does not show in
    the values, are refused by the loss's ``weight``. Where the values cannot tell a sum from a
    mean (a batch of one, whose sum is its mean; an empty batch; losses so near 0 that both agree
    within a few ulps of the scores' dtype, and, in float64, whose relative sizes do not tell
    either), this returns ``None``: the loop asks again at the next batch (a
    caller's ``scalar_loss`` says how the value is counted, not what it is: ``linearnets.d2l``
    passes ``"sum"`` for any function). Values that tell the other reduction than the loss's
    ``reduction`` (:func:`~linearnets.training.loss_kinds.reduction_of`: torch's own losses) or
    than an earlier batch ``decided`` are refused: ``nn.MSELoss()``'s mean of r² is the sum of
    ½r² on a batch of two, and another loss on any other. ``batch`` names the batch in a
    refusal.
    """
    reduction = reduction_of(loss)
    known = {"sum": True, "mean": False}.get(reduction) if isinstance(reduction, str) else None
    known = decided if decided is not None else known
    own_loss = net.analytic_loss  # type: ignore[attr-defined]
    name = getattr(loss, "__name__", type(loss).__name__)
    _refuse_class_weights(loss, name, own_loss.__name__)
    if not X.shape[0]:
        return known
    y_hat = net(X)
    try:
        given = loss(y_hat, y)
    except LOSS_ERRORS as err:
        raise_loss_error(loss, y_hat, y, err)
    except Exception as err:  # a TypeError, a KeyError of the loss's own code: noted, re-raised
        note_user_loss_error(loss, y_hat, y, err)
        raise
    own = own_loss(y_hat, y)
    wide = accumulation_dtype(given.device)
    # each loss rounded in the scores' dtype: two computations of it differ by a few of its ulps
    # (torch's float32 log_softmax and the model's own, ~6e-8 on losses near 0), a sum by B times
    ulps = 16 * torch.finfo(y_hat.dtype).eps if y_hat.is_floating_point() else 0.0
    atol = max(1e-6, ulps)
    reference, what = own, "mean"
    if given.ndim == 0:
        summed = own.to(wide).sum()
        own = own.mean()
        as_mean = _same(given, own, wide, atol=atol)
        as_sum = _same(given, summed, wide, atol=max(atol, ulps * X.shape[0]))
        if as_mean and as_sum:  # a batch of one, or losses near 0
            if X.shape[0] == 1 or y_hat.dtype != torch.float64:
                return None  # one: nothing told; near 0 in float32, a few ulps tell no reduction
            as_mean, as_sum = (
                _same(given, own, wide, atol=0.0),
                _same(given, summed, wide, atol=0.0),
            )
            # relative sizes in float64 tell, where nothing said otherwise before
            return as_sum if as_mean != as_sum and known in (None, as_sum) else None
        if (as_mean or as_sum) and known in (None, as_sum):
            return as_sum
        # the values say one reduction, the loss (or an earlier batch) the other: MSELoss's mean
        # of r² is the sum of ½r² on a batch of two; else shown beside the nearer of the two
        if abs(float(given) - float(summed)) < abs(float(given) - float(own)):
            reference, what = summed, "sum"
        else:
            reference = own
    elif _same(given, own, wide, atol=atol):
        return False
    reduced = ", reduced to its batch mean or sum" if given.ndim == 0 else ""
    raise UsageError(
        f"loss must give the analytic model's own loss ({own_loss.__name__}{reduced}), whose "
        f"gradient it applies whatever loss is passed; got {name}, which differs on {batch} "
        f"({_difference(given.to(wide), reference.to(wide), what=what)}); pass "
        "loss=net.analytic_loss, or build the model with analytic=False to train this loss with "
        "autograd"
    )


def _refuse_class_weights(loss: Loss, name: str, own: str) -> None:
    """Refuse a loss with class weights that are not all one value (``nn.CrossEntropyLoss(weight=
    w)``): on a batch of one class, or of one example, its values are the model's own loss, so
    the batches checked may not tell it, while the model would train the unweighted loss."""
    weight = getattr(loss, "weight", None)
    if not isinstance(loss, torch.nn.Module) or not isinstance(weight, torch.Tensor):
        return
    if weight.numel() and bool((weight == weight.reshape(-1)[0]).all()):
        return
    raise UsageError(
        f"loss must give the analytic model's own loss ({own}), whose gradient it applies "
        f"whatever loss is passed; got {name} with class weights {_shown_weights(weight)}, "
        "whose gradient weighs each example by its class; pass loss=net.analytic_loss, or build "
        "the model with analytic=False to train this loss with autograd"
    )


def _shown_weights(weight: torch.Tensor) -> str:
    """The first few class weights, e.g. ``[1, 2, 3]`` or ``[1, 2, 3, 4, 5, ...] (100 classes)``."""
    values = [f"{float(v):g}" for v in weight.reshape(-1)[:5]]
    more = f", ...] ({weight.numel()} classes)" if weight.numel() > 5 else "]"
    return "[" + ", ".join(values) + more


def _same(given: torch.Tensor, own: torch.Tensor, wide: torch.dtype, *, atol: float) -> bool:
    """Whether the losses ``given`` and ``own`` agree in shape and, in ``wide``, in value
    (``atol=0``: relatively alone, for losses near 0)."""
    return given.shape == own.shape and torch.allclose(
        given.to(wide), own.to(wide), rtol=1e-4, atol=atol
    )


def _difference(given: torch.Tensor, own: torch.Tensor, *, what: str = "mean") -> str:
    """Return how the losses ``given`` and ``own`` differ, in numbers that visibly do.

    The means are printed with as many digits as it takes to tell them apart (a smoothed
    cross-entropy is off by ~1e-3 of a loss of ~1.4); the largest difference of one value, when
    the shapes agree, shows the gap whatever the means do. ``what``: ``"sum"`` where ``own`` is
    the model's loss summed over the batch, which a one-number ``given`` came nearer.
    """
    a, b = float(given.mean()), float(own.mean())
    digits = next((d for d in range(4, 18) if f"{a:.{d}g}" != f"{b:.{d}g}"), 17)
    text = f"{what} {a:.{digits}g} against {b:.{digits}g}"
    if given.shape != own.shape:
        return f"{text}, shape {tuple(given.shape)} against {tuple(own.shape)}"
    gap = float((given - own).abs().max()) if given.numel() else 0.0
    return f"{text}; largest difference {gap:.3g}"
