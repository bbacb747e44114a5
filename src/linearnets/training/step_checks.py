"""The checks around a training step: the batch, the model's output, the loss and its value, and the
diagnosis of a loss or backward that raised (D2L §3.6.6).

Everything a step checks before it runs is a comparison of shapes, types and dtypes in Python, no
tensor op; the labels themselves are examined only once a loss has raised, so a batch that trains
pays nothing for the readable errors of one that does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import torch
from torch import nn

from linearnets.errors import LinearnetsError, UsageError, UsageTypeError
from linearnets.training.totals import Loss
from linearnets.validation import check_label_tensor, describe

__all__ = [
    "LOSS_ERRORS",
    "check_loss_value",
    "check_targets_shape",
    "compute_loss",
    "explain_loss_error",
    "raise_backward_error",
    "raise_loss_error",
    "raise_output_error",
    "unpack",
]

# torch's losses that take class indices (B,) against scores (B, C) and never broadcast
_CLASS_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
# torch's losses that compare outputs with targets element by element, broadcasting them
_REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
# what torch's losses raise on targets that do not fit (a batch-size mismatch is a ValueError)
LOSS_ERRORS = (RuntimeError, IndexError, ValueError)


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
