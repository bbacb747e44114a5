"""The diagnosis of a loss or backward that raised, or of NaN scores: which input broke the rule, and
the fix (D2L §3.6, §3.7).

torch reports bad labels and a loss outside autograd's graph in its own terms ("expected target dtype
to be Long", "element 0 of tensors does not require grad"); these name the argument, the rule, the
value and the fix instead. They run only once something has raised (or scores came out NaN), so a
batch that trains pays nothing for them.
"""

from __future__ import annotations

import inspect
from typing import Any, NoReturn

import torch
from torch import nn

from linearnets.errors import LinearnetsError, UsageError, UsageTypeError
from linearnets.training.totals import Loss
from linearnets.validation import check_label_tensor, describe, is_column

__all__ = [
    "CLASS_LOSSES",
    "REGRESSION_LOSSES",
    "NanScoresProbe",
    "explain_loss_error",
    "model_tensors",
    "nan_from_finite",
    "raise_backward_error",
    "raise_forward_error",
    "raise_loss_error",
    "regression_loss_error",
]

# torch's losses that take class indices (B,) against scores (B, C) and never broadcast
CLASS_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
# torch's losses that compare outputs with targets element by element, broadcasting them
REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)


def raise_backward_error(net: Any, err: RuntimeError) -> NoReturn:
    """Raise the readable error for ``err``, which backward raised, in its place; or ``err`` itself.

    torch's "element 0 of tensors does not require grad" is named: the model computes its own
    gradient (``analytic=True``), its parameters are frozen (or it has none), or the loss was
    computed outside autograd's graph. The readable error is raised alone (``from None``): a
    notebook or traceback shows it without torch's frames chained before it, and ``err`` stays
    reachable as its ``__context__``, for debugging.
    """
    if "does not require grad" not in str(err):
        raise err
    usage = _no_grad_error(net)
    usage.__context__ = err  # set by the raise inside err's handler anyway; kept for other callers
    raise usage from None


def raise_forward_error(net: Any, X: torch.Tensor, err: RuntimeError) -> NoReturn:
    """Raise the readable error for ``err``, which ``net(X)`` raised, in its place; or ``err`` itself.

    A batch on another device than the model's tensors is named with both devices and the move
    that fixes it (torch says "Expected all tensors to be on the same device", naming neither the
    batch nor the model); any other error propagates unchanged. Like :func:`raise_backward_error`,
    the readable error is raised alone, ``err`` kept as its ``__context__``.
    """
    from linearnets.models.scratch.module import check_batch_device

    elsewhere = next((t for t in model_tensors(net) if t.device != X.device), None)
    if elsewhere is None:
        raise err
    try:
        check_batch_device(
            X,
            elsewhere,
            of="the model's parameters",
            move="the model with net.to('{device}')",
            build="build the model again",
        )
    except UsageError as usage:  # alone, as raise_backward_error's; err stays its __context__
        raise usage from None
    raise err  # not reached: the devices differ, so the check raised


def _no_grad_error(net: Any) -> UsageError:
    """Return the error for a loss that does not depend on any of ``net``'s trainable parameters."""
    if getattr(net, "analytic", False) is True:  # a scratch model built with analytic=True
        return UsageError(
            "the loss does not depend on any parameter that requires grad: the model was built "
            "with analytic=True, so it computes its own gradient and builds no autograd graph for "
            "backward() to follow; build it with analytic=False to train it with autograd, or "
            "pass an optimizer object as the updater, such as linearnets' "
            "SGD(net.parameters(), lr) or torch.optim.SGD(net.parameters(), lr), with which "
            "fit and train_epoch_ch3 apply the model's own gradient"
        )
    if not torch.is_grad_enabled():  # the caller's mode, not the loss: no graph could be built
        where = (
            "inside torch.inference_mode()"
            if torch.is_inference_mode_enabled()
            else "inside torch.no_grad(), or after torch.set_grad_enabled(False)"
        )
        return UsageError(
            "the loss does not depend on any parameter that requires grad: gradients are disabled "
            f"in the calling code (torch.is_grad_enabled() is False: training was called {where}), "
            "so autograd recorded no graph for backward() to follow; call fit (or train_epoch_ch3) "
            "outside torch.no_grad() and torch.inference_mode(), or run torch.set_grad_enabled(True) "
            "first"
        )
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
    return UsageError(
        f"the loss does not depend on any parameter that requires grad: {what}; {fix}"
    )


def regression_loss_error(
    loss: nn.Module, y_hat: torch.Tensor, y: torch.Tensor
) -> UsageError | None:
    """Return the error for targets ``y`` a regression loss would broadcast against ``y_hat``, if any."""
    labels = isinstance(loss, REGRESSION_LOSSES) and not y.is_floating_point() and y.ndim == 1
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
        reshape = f"y.reshape({', '.join(str(d) for d in y_hat.shape)})"
        if not y.is_floating_point() and is_column(y_hat):
            # integer targets of a one-output model: the reshape alone would leave them class labels
            fix = f"{reshape}.float() (float targets for a regression)"
        else:
            fix = f"{reshape} (e.g. labels.reshape(-1, 1))"
        return UsageError(
            f"the targets y must have the model's output shape {tuple(y_hat.shape)}, got "
            f"{tuple(y.shape)}, which would broadcast to {tuple(shape)} in the loss; reshape them "
            f"with {fix}"
        )
    return None


def raise_loss_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, err: Exception) -> NoReturn:
    """Raise the readable error for ``err``, which ``loss(y_hat, y)`` raised, in its place; or, when
    :func:`explain_loss_error` finds no cause in the inputs, ``err`` itself, unchanged.

    The readable error is raised alone, without torch's chained before it (in a notebook, one error
    instead of torch's 15–20 frames first); ``err`` stays reachable as its ``__context__``.
    """
    usage = None if isinstance(err, LinearnetsError) else explain_loss_error(loss, y_hat, y)
    if usage is None:
        raise err
    usage.__context__ = err  # set by the raise inside err's handler anyway; kept for other callers
    raise usage from None


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
    if isinstance(loss, REGRESSION_LOSSES) and not y.is_floating_point():
        return regression_loss_error(loss, y_hat, y)  # class labels for a regression loss
    if (
        y_hat.ndim != 2
        or y_hat.shape[1] < 2
        or (is_torch_loss and not isinstance(loss, CLASS_LOSSES))
    ):
        return None  # not scores (B, C) of a classifier, or a torch regression loss
    return _explain_class_labels(loss, y_hat, y)


def _explain_class_labels(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError | None:
    """Return the error for targets ``y`` that are not class labels of a classifier's scores (B, C)."""
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
    return _class_label_value_error(loss, y, C)


def _class_label_value_error(loss: Loss, y: torch.Tensor, C: int) -> UsageError | None:
    """Return the error for labels ``y`` (B,) outside [0, C), or of a dtype torch's class losses refuse."""
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
    if isinstance(loss, CLASS_LOSSES) and y.dtype not in (torch.int64, torch.uint8):
        return UsageTypeError(
            f"y must be int64 class indices for {type(loss).__name__}, got {describe(y)}; use "
            "y.long()"
        )
    return None


class NanScoresProbe:
    """Tell, once a pass's scores came out NaN, whether finite parameters and inputs gave them.

    The pass hands it every batch (:meth:`keep`); it copies the first, once per pass (not the
    batch itself: the pass lets go of each batch before it asks for the next, so that the allocator
    hands the next one the block just freed). Only when called, on the failure path, does it run
    the model on that copy (see :func:`nan_from_finite`).
    """

    def __init__(self, net: Any) -> None:
        self.net = net
        self.X: torch.Tensor | None = None

    def keep(self, X: torch.Tensor) -> None:
        if self.X is None:
            self.X = X.detach().clone()

    def __call__(self) -> bool:
        return self.X is not None and nan_from_finite(self.net, self.X)


def nan_from_finite(net: Any, X: torch.Tensor) -> bool:
    """Return whether ``net``'s scores on the batch ``X`` (B, ...) hold NaN though ``X`` and the
    model's parameters are all finite: then the model's own computation made the NaN (an overflow).

    One forward without gradients, for the failure path only. ``False`` where the parameters cannot
    be listed (see :func:`model_tensors`), are not finite, or the forward fails: the NaN may then
    come from the weights or the inputs. See D2L §3.6 (exercise 1: exp of a large score).
    """
    params = model_tensors(net)
    if not params or not all(bool(torch.isfinite(p).all()) for p in params):
        return False
    if not bool(torch.isfinite(X).all()):
        return False
    try:
        with torch.no_grad():
            y_hat = net(X)
    except Exception:  # a failure now says nothing about where the NaN came from
        return False
    return isinstance(y_hat, torch.Tensor) and bool(y_hat.isnan().any())


def model_tensors(net: Any) -> list[torch.Tensor]:
    """Return the tensors holding ``net``'s parameters, as far as they can be listed (else ``[]``).

    A model with ``parameters()`` (``nn.Module``, the scratch models) lists them. The book's model
    is a function of global tensors, ``def net(X): return softmax(torch.matmul(X.reshape((-1,
    W.shape[0])), W) + b)`` (D2L §3.6.2): its tensors are those among the globals and closure
    variables its code names, with the parameters of any module among them.
    """
    if callable(getattr(net, "parameters", None)):
        try:
            return list(net.parameters())
        except Exception:  # a parameters() that fails lists nothing
            return []
    if not (inspect.isfunction(net) or inspect.ismethod(net)):
        return []
    names = inspect.getclosurevars(net)
    found: list[torch.Tensor] = []
    for value in (*names.nonlocals.values(), *names.globals.values()):
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, nn.Module):
            found.extend(value.parameters())
    return found
