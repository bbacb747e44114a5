"""One training step, the same for every model: forward → per-example loss → zero_grad → backward
(autograd, or the model's analytic gradient) → step; and the checks on a batch before it is used
(D2L §3.6.6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from linearnets.errors import LinearnetsError, UsageError, UsageTypeError
from linearnets.training.backward import backward_scaled
from linearnets.training.distributed import DistContext
from linearnets.training.totals import Loss, detached
from linearnets.training.updaters import Updater
from linearnets.validation import check_label_tensor, describe

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
]

# torch's losses that take class indices (B,) against scores (B, C) and never broadcast
_CLASS_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
# torch's losses that compare outputs with targets element by element, broadcasting them
_REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
# what torch's losses raise on targets that do not fit (a batch-size mismatch is a ValueError)
LOSS_ERRORS = (RuntimeError, IndexError, ValueError)

Net = Callable[[torch.Tensor], torch.Tensor]


def unpack(
    batch: Sequence[torch.Tensor], *, allow_empty: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, list | tuple) or len(batch) != 2:
        raise UsageError(
            f"each batch must be a pair (X, y), got {type(batch).__name__} of length "
            f"{len(batch) if hasattr(batch, '__len__') else '?'}; yield (features, labels) from the iterator"
        )
    X, y = batch
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise UsageTypeError(
            f"each batch must be a pair of tensors (X, y), got ({type(X).__name__}, "
            f"{type(y).__name__}); convert them with torch.as_tensor"
        )
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise UsageError(
            f"each batch must hold one label per example, got X of shape {tuple(X.shape)} and y of "
            f"shape {tuple(y.shape)}; yield (features, labels) of the same examples"
        )
    if X.shape[0] == 0 and not allow_empty:
        raise UsageError("each batch must hold at least one example, got an empty batch (0 rows)")
    return X, y


def train_step(
    net: Net,
    X: torch.Tensor,
    y: torch.Tensor,
    loss: Loss,
    updater: Updater,
    *,
    scale: float,
    dist: DistContext | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run one update and return ``(y_hat, l)``; ``l`` holds per-example losses, detached.

    ``y_hat`` may still name its ``grad_fn`` (its graph was consumed by ``backward``, so it holds no
    saved tensors): detaching it costs an op per step, and only a classifier's metrics keep it (they
    detach it then).

    ``scale`` turns the summed loss into the objective whose gradient is applied: ``1 / B`` gives the
    batch mean, as ``loss.mean().backward()`` does. An ``analytic`` model trained on its own loss
    (``net.analytic_loss``) runs its fused ``analytic_step``; with another loss, its
    ``analytic_backward``. In a data-parallel run ``scale`` is
    ``world_size / global_B``, so that averaging the gradients over processes gives the global mean.
    """
    if getattr(net, "analytic", False) and loss is getattr(net, "analytic_loss", None):
        # the model computes output, losses and gradient in one pass (one softmax, not two)
        updater.zero_grad()
        y_hat, l = net.analytic_step(X, y, scale=scale)  # type: ignore[attr-defined]
    elif getattr(net, "analytic", False):
        with torch.no_grad():
            y_hat = net(X)
            l = compute_loss(loss, y_hat, y)
        updater.zero_grad()
        net.analytic_backward(X, y_hat, y, scale=scale)  # type: ignore[attr-defined]
    else:
        y_hat = net(X)
        l = compute_loss(loss, y_hat, y)
        updater.zero_grad()
        try:  # free unless backward raises (try costs nothing in Python 3.11)
            # l.backward(full_like(l, scale)), minus its Python checks; a loss already reduced to the
            # batch mean (0-d) is scaled back to the sum first: d(scale · B · mean)/d mean = scale · B
            backward_scaled(l, scale if l.ndim else y.shape[0] * scale)
        except RuntimeError as err:
            raise_backward_error(net, err)
        # (DistributedDataParallel averages the gradients over processes during backward)
    if dist is not None and dist.enabled and not isinstance(net, DistributedDataParallel):
        dist.average_gradients(net.parameters())  # type: ignore[attr-defined]
    updater.step()
    return y_hat, detached(l)


def compute_loss(loss: Loss, y_hat: Any, y: torch.Tensor) -> torch.Tensor:
    """Return ``loss(y_hat, y)`` once the model's output, the targets and the loss's value are checked.

    Shapes, types and dtypes compared in Python, no tensor op: the labels themselves are examined
    only once the loss has raised (see :func:`explain_loss_error`).
    """
    if not isinstance(y_hat, torch.Tensor):
        raise_output_error(y_hat)
    check_targets_shape(y_hat, y, loss)
    try:
        l = loss(y_hat, y)
    except LOSS_ERRORS as err:
        raise_loss_error(loss, y_hat, y, err)
    check_loss_value(l, y_hat, y)
    return l


def raise_output_error(y_hat: Any) -> NoReturn:
    """Raise the error for a model whose output ``y_hat`` is not a tensor (a tuple, a NumPy array)."""
    if isinstance(y_hat, tuple | list):
        fix = "return one tensor from the model (e.g. `return logits`, not `return logits, probs`)"
    else:
        fix = (
            "compute the output with torch operations (NumPy results carry no gradient), or "
            "convert it with torch.as_tensor"
        )
    raise UsageTypeError(
        f"the model (net) must return a torch.Tensor of outputs (B, q), got "
        f"{type(y_hat).__name__}; {fix}"
    )


def check_loss_value(l: Any, y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """Raise unless ``l`` is a 0-d loss or one per example: (B,), or (B, ...) with one per output value.

    A loss that drops examples (``l[:3]``) or broadcasts them against each other ((B, B)) would
    otherwise be averaged over B and train silently wrong; a multi-output regression loss with
    ``reduction="none"`` has the output's shape (B, k), which is fine.
    """
    if not isinstance(l, torch.Tensor):
        raise UsageTypeError(
            f"loss must return a torch.Tensor (per-example losses (B,) or their 0-d mean), got "
            f"{describe(l)}; compute it with torch operations on y_hat and y, so it has a gradient"
        )
    ndim = l.ndim
    if ndim:  # (B,) needs one comparison; (B, k) the count of its values too
        B = y.shape[0]
        if l.shape[0] != B or (ndim > 1 and l.numel() not in (B, y_hat.numel())):
            raise UsageError(
                f"loss must return one loss per example, shape ({B},) (or one per output value, "
                f"{tuple(y_hat.shape)}, or a 0-d mean or sum), got shape {tuple(l.shape)} for a "
                f"batch of {B} examples; return every example's loss, unsliced, with targets of "
                "the output's shape so that nothing broadcasts"
            )


def raise_backward_error(net: Any, err: RuntimeError) -> NoReturn:
    """Raise the readable error for ``err``, which backward raised, chained from it; or ``err`` itself.

    torch's "element 0 of tensors does not require grad" is named: the model's parameters are frozen
    (or it has none), or the loss was computed outside autograd's graph.
    """
    if "does not require grad" not in str(err):
        raise err
    try:
        params = list(net.parameters()) if callable(getattr(net, "parameters", None)) else None
    except Exception:  # a parameters() that fails: say what holds in general
        params = None
    if params is not None and not any(getattr(p, "requires_grad", False) for p in params):
        what = (
            f"the model has no trainable parameter (all {len(params)} have requires_grad=False)"
            if params
            else "the model has no parameters"
        )
        fix = (
            "unfreeze them with net.requires_grad_() (or p.requires_grad_() for each tensor), or "
            "pass the parameters you mean to train"
        )
    else:
        what = (
            "it was computed outside autograd's graph (from y_hat.detach(), .item(), .numpy(), "
            "under torch.no_grad(), or as a new tensor)"
        )
        fix = "compute the loss with torch operations on the model's output y_hat and on y"
        if params is None:  # a function model: its tensors may be frozen too
            what += ", or the model's weights do not require grad"
            fix += ", and create the weights with requires_grad=True (or call w.requires_grad_())"
    raise UsageError(
        f"the loss does not depend on any parameter that requires grad: {what}; {fix}"
    ) from err


def check_targets_shape(y_hat: torch.Tensor, y: torch.Tensor, loss: Loss | None) -> None:
    """Raise if outputs and targets of different shapes would broadcast in a torch regression loss.

    ``nn.MSELoss`` on outputs (B, 1) and targets (B,) compares every output with every target,
    (B, B) pairs, with only a warning: the model then learns the targets' mean. On a classifier's
    scores (B, C) and class labels (B,) it fails, or, when C = B, trains on nonsense. Checked for
    torch's loss modules; a loss function (the book's ``squared_loss`` reshapes y itself) answers
    for its own.
    """
    if not y.is_floating_point():  # class labels: wrong only for a regression loss
        if isinstance(loss, _REGRESSION_LOSSES) and y_hat.shape != y.shape:
            usage = _regression_loss_error(loss, y_hat, y)
            if usage is not None:
                raise usage
        return
    if y_hat.shape == y.shape or not isinstance(loss, nn.Module):
        return  # matching shapes, or a loss function: nothing to check
    if isinstance(loss, _CLASS_LOSSES):
        return  # float labels for a classification loss: explain_loss_error says what to do
    usage = _regression_loss_error(loss, y_hat, y)
    if usage is not None:
        raise usage


def _regression_loss_error(
    loss: nn.Module, y_hat: torch.Tensor, y: torch.Tensor
) -> UsageError | None:
    """Return the error for targets ``y`` a regression loss would broadcast against ``y_hat``, if any."""
    labels = isinstance(loss, _REGRESSION_LOSSES) and not y.is_floating_point() and y.ndim == 1
    if labels and y_hat.ndim == 2 and y_hat.shape[1] > 1:  # a classifier's scores (B, C)
        B, C = y_hat.shape
        name = type(loss).__name__
        return UsageError(
            f"loss {name} is a regression loss, which compares the outputs {(B, C)} with "
            f"targets of that shape, but y holds class labels ({describe(y)}) for a "
            f"classifier's {C} scores; train a classifier with nn.CrossEntropyLoss(), or give "
            f"{name} one-hot targets: torch.nn.functional.one_hot(y, {C}).float()"
        )
    try:
        shape = torch.broadcast_shapes(y_hat.shape, y.shape)
    except RuntimeError:
        return None  # the loss will say the shapes do not fit
    if shape != y_hat.shape or shape != y.shape:
        return UsageError(
            f"the targets y must have the model's output shape {tuple(y_hat.shape)}, got "
            f"{tuple(y.shape)}, which would broadcast to {tuple(shape)} in the loss; reshape them "
            f"with y.reshape({', '.join(str(d) for d in y_hat.shape)}) (e.g. labels.reshape(-1, 1))"
        )
    return None


@torch.no_grad()
def check_same_loss(net: Net, loss: Loss, X: torch.Tensor, y: torch.Tensor) -> None:
    """Raise unless ``loss`` gives an analytic model's own loss values on this batch.

    The model applies the gradient of its own loss whatever loss is passed (which then only reports):
    a wrapper of the same loss, or ``nn.CrossEntropyLoss()`` for softmax, trains the same model, but
    ``nn.L1Loss``, ``nn.MSELoss`` (twice the book's squared loss), a weighted or smoothed
    cross-entropy or a summed loss would report one objective while following another.
    """
    if not X.shape[0]:
        return
    own_loss = net.analytic_loss  # type: ignore[attr-defined]
    y_hat = net(X)
    try:
        given = loss(y_hat, y)
    except LOSS_ERRORS as err:
        raise_loss_error(loss, y_hat, y, err)
    own = own_loss(y_hat, y)
    if given.ndim == 0:
        own = own.mean()
    if given.shape != own.shape or not torch.allclose(
        given.double(), own.double(), rtol=1e-4, atol=1e-6
    ):
        name = getattr(loss, "__name__", type(loss).__name__)
        raise UsageError(
            f"loss must give the analytic model's own loss ({own_loss.__name__}), whose gradient it "
            f"applies whatever loss is passed; got {name}, which differs on the first batch "
            f"({float(given.double().mean()):.4g} against {float(own.double().mean()):.4g}); pass "
            "loss=net.analytic_loss, or build the model with analytic=False to train this loss "
            "with autograd"
        )


def raise_loss_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, err: Exception) -> NoReturn:
    """Raise the readable error for ``err``, which ``loss(y_hat, y)`` raised, chained from it; or, when
    :func:`explain_loss_error` finds no cause in the inputs, ``err`` itself, unchanged."""
    usage = None if isinstance(err, LinearnetsError) else explain_loss_error(loss, y_hat, y)
    if usage is None:
        raise err
    raise usage from err


def explain_loss_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError | None:
    """Return the error that says why ``loss(y_hat, y)`` failed, or ``None`` if the inputs look fine.

    Run only once the loss has raised, so a batch that trains pays nothing for it. torch's
    cross-entropy on a classifier's scores (B, C) reports bad labels in its own terms ("expected
    target dtype to be Long", "0D or 1D target tensor expected", "Target 18 is out of bounds"); this
    names the labels, the rule and the fix instead. Float targets of the scores' shape (B, C) are
    class probabilities, which ``nn.CrossEntropyLoss`` takes: not labels, so not diagnosed.

    See D2L §3.7.
    """
    if not isinstance(y_hat, torch.Tensor) or y_hat.ndim == 0 or y.ndim == 0:
        return None
    if y_hat.shape[0] != y.shape[0]:
        return UsageError(
            f"y must hold one label per row of the model's output: the output has shape "
            f"{tuple(y_hat.shape)}, y has {y.shape[0]} rows; make the model return one row of "
            "scores per example"
        )
    is_torch_loss = isinstance(loss, nn.Module) and type(loss).__module__.startswith("torch.nn.")
    if isinstance(loss, _REGRESSION_LOSSES) and not y.is_floating_point():
        return _regression_loss_error(loss, y_hat, y)  # class labels for a regression loss
    if (
        y_hat.ndim != 2
        or y_hat.shape[1] < 2
        or (is_torch_loss and not isinstance(loss, _CLASS_LOSSES))
    ):
        return None  # not scores (B, C) of a classifier, or a torch regression loss
    B, C = y_hat.shape
    if y.is_floating_point() and y.shape == y_hat.shape:
        return None  # class probabilities (B, C)
    if y.is_floating_point() and y.ndim != 1:
        return UsageTypeError(
            f"y must be class indices of shape ({B},) and an integer dtype (or class probabilities "
            f"of the output's shape ({B}, {C})), got {describe(y)}; use y.reshape(-1).long()"
        )
    if y.shape == y_hat.shape and not (y.dtype == torch.bool or y.is_complex()):
        return UsageTypeError(
            f"y must be class indices of shape ({B},), or float class probabilities of the "
            f"output's shape ({B}, {C}), got {describe(y)} (one-hot labels?); use y.argmax(dim=1) "
            "(or y.float() as probabilities)"
        )
    try:
        check_label_tensor("y", y)  # an integer dtype, shape (B,)
    except UsageError as usage:
        return usage
    if y.numel():
        try:
            low, high = (int(v) for v in torch.aminmax(y))
        except RuntimeError:  # a device left unusable by the failed kernel: keep the loss's error
            return None
        if low < 0 or high >= C:
            return UsageError(
                f"y must hold class indices in [0, {C}) for the model's {C} outputs, got "
                f"{low if low < 0 else high}; relabel the classes 0..{C - 1}, or give the model "
                "one output per class"
            )
    if isinstance(loss, _CLASS_LOSSES) and y.dtype not in (torch.int64, torch.uint8):
        return UsageTypeError(
            f"y must be int64 class indices for {type(loss).__name__}, got {describe(y)}; use "
            "y.long()"
        )
    return None
