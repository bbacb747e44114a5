"""The diagnosis of what the model's forward or backward raised, or of NaN scores: what is wrong with
the model or the batch, and the fix (D2L §3.6, §3.7).

torch reports a batch on another device and a loss outside autograd's graph in its own terms
("Expected all tensors to be on the same device", "element 0 of tensors does not require grad"); these
name the argument, the rule, the value and the fix instead. They run only once something has raised
(or scores came out NaN), so a batch that trains pays nothing for them.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, NoReturn

import torch
from torch import nn

from linearnets.errors import UsageError, UsageTypeError

__all__ = [
    "NanScoresProbe",
    "model_tensors",
    "nan_from_finite",
    "raise_backward_error",
    "raise_forward_error",
]


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

    torch names neither the batch nor the model ("Expected all tensors to be on the same device",
    "mat1 and mat2 shapes cannot be multiplied (10x64 and 784x10)", "mat1 and mat2 must have the same
    dtype, but got Byte and Float"); these say which rule the batch ``X`` broke and the fix: a batch
    on another device than the model's tensors, a batch of another dtype (bytes, float64), or one
    with another number of features than the model's first layer, an ``nn.Linear``, takes (an
    image batch with no ``nn.Flatten()`` before it, D2L §3.7). Each is confirmed first: torch's
    error speaks of devices, or that layer alone fails on the batch; any other error propagates
    unchanged. Like :func:`raise_backward_error`, the readable error is raised alone, ``err`` kept
    as its ``__context__``.
    """
    usage = _device_error(net, X, err) or _input_error(net, X)
    if usage is None:
        raise err
    raise usage from None


# how torch words a batch and a tensor on two devices (CUDA, meta, MPS; older releases)
_DEVICE_WORDS = ("same device", "expected device", "device type", "on mps device")


def _device_error(net: Any, X: torch.Tensor, err: RuntimeError) -> UsageError | None:
    """Return the error for a batch on another device than one of ``net``'s tensors, else ``None``:
    also when ``err`` does not speak of devices (a model that moves ``X`` itself failed on
    something else)."""
    from linearnets.models.scratch.module import check_batch_device

    if not any(words in str(err).lower() for words in _DEVICE_WORDS):
        return None
    elsewhere = next((t for t in model_tensors(net) if t.device != X.device), None)
    if elsewhere is None:
        return None
    try:
        check_batch_device(X, elsewhere, **_device_words(net, X.device))
    except UsageError as usage:
        return usage
    return None  # not reached: the devices differ, so the check raised


def _device_words(net: Any, device: torch.device) -> dict[str, str]:
    """Return how :func:`check_batch_device` names ``net``'s tensors and their fix: ``net.to`` for a
    model that has it; for a function of global tensors (D2L §3.6.2), which has none, the tensors
    off ``device`` by the names its code gives them: ``W = W.detach().to(...).requires_grad_()``
    (not ``W.to(...)`` alone, a copy that is no leaf: its ``.grad`` stays ``None``)."""
    if callable(getattr(net, "to", None)):
        return {
            "of": "the model's parameters",
            "move": "the model with net.to('{device}')",
            "build": "build the model again",
        }
    moves, names = [], []
    for name, value in _named_tensors(net):
        tensors = [value] if isinstance(value, torch.Tensor) else list(value.parameters())
        if all(t.device == device for t in tensors):
            continue
        names.append(name)
        if isinstance(value, nn.Module):
            moves.append(f"{name}.to('{{device}}')")
        elif value.is_leaf and value.requires_grad:
            moves.append(f"{name} = {name}.detach().to('{{device}}').requires_grad_()")
        else:
            moves.append(f"{name} = {name}.to('{{device}}')")
    listed = " and ".join(names) or "its tensors"
    return {
        "of": "the model's tensors",
        "move": f"the model's tensors: {' and '.join(moves)} (or create {listed} on that device)",
        "build": f"create {listed} again",
    }


def _input_error(net: Any, X: torch.Tensor) -> UsageError | None:
    """Return the error for a batch that the model's first layer, an ``nn.Linear`` (after any
    ``nn.Flatten``), cannot take: of another dtype than its weights, or with another number of
    features; ``None`` for any other model (an embedding takes integers, a convolution channels),
    or where that layer alone takes the batch (the error lies elsewhere, or autocast casts it)."""
    first, flattens = _first_layer(net)
    if first is None or X.ndim < (2 if flattens else 1) or first.weight.device != X.device:
        return None
    try:  # the batch as the layer sees it: (B, d) after nn.Flatten
        with torch.no_grad():
            first(torch.flatten(X, 1) if flattens else X)
    except RuntimeError:
        pass  # the layer fails too: the diagnosis below names why
    else:
        return None
    dtype = first.weight.dtype
    if not X.is_floating_point():
        return UsageTypeError(
            f"X must be floating point, the model's dtype {dtype}, got {X.dtype}; convert the "
            f"batch with X.to({dtype}) (images of bytes 0–255: X.to({dtype}) / 255, as ToTensor does)"
        )
    if X.dtype != dtype:
        return UsageTypeError(
            f"X must have the model's dtype {dtype}, got {X.dtype}; convert the batch with "
            f"X.to({dtype}) (or the model with net.to({X.dtype}))"
        )
    return _feature_error(first, flattens, X)


def _feature_error(first: nn.Linear, flattens: bool, X: torch.Tensor) -> UsageError | None:
    """Return the error for a batch ``X`` with another number of features than ``first`` takes,
    seen flattened when ``flattens`` (an ``nn.Flatten`` before it), else by its last dimension."""
    n, q, shape = first.in_features, first.out_features, tuple(X.shape)
    rule = f"X must hold {n} features per example for the model's first layer, nn.Linear({n}, {q})"
    if flattens or X.ndim == 2:
        got = math.prod(X.shape[1:])
        if got == n:
            return None
        shapes = f"(B, {n}) or (B, 1, H, W)" if flattens else f"(B, {n})"
        return UsageError(
            f"{rule}, shape {shapes}, got shape {shape}; check the image size (resize) matches the "
            f"model, or build the model for this data, with nn.Linear({got}, {q})"
        )
    if X.ndim == 1:  # one example of X.numel() features, to torch
        fix = (
            f"stack the examples as rows with X.reshape(-1, {n})"
            if n and X.numel() % n == 0
            else f"check that the data matches the model ({X.numel()} values make no rows of {n})"
        )
        return UsageError(f"{rule}, shape (B, {n}), got a vector of shape {shape}; {fix}")
    # (B, C, H, W) or any (B, ...): nn.Linear takes the last dimension alone
    got, dims = math.prod(X.shape[1:]), "×".join(map(str, X.shape[1:]))
    said = (
        f"{rule}, shape (B, {n}), got shape {shape}: {dims} = {got} values per example, not "
        "flattened, as no nn.Flatten() comes before the layer"
    )
    if got == n:
        return UsageError(
            f"{said}; add nn.Flatten() before it, as in nn.Sequential(nn.Flatten(), "
            f"nn.Linear({n}, {q})) (D2L §3.7), or reshape the batch with X.reshape(-1, {n})"
        )
    return UsageError(
        f"{said}; check the image size (resize) matches the model, or build the model for this "
        f"data, with nn.Flatten() before nn.Linear({got}, {q})"
    )


def _first_layer(net: Any) -> tuple[nn.Linear | None, bool]:
    """Return the ``nn.Linear`` that first sees a batch of ``net`` and whether an ``nn.Flatten``
    comes before it; ``(None, False)`` when the first layer that computes is no ``nn.Linear``, or
    when the order its layers run in is not known: only an ``nn.Sequential`` whose forward is
    ``nn.Sequential``'s own says it (a module's own forward may call its layers in any order)."""
    if _stock(net, nn.Linear):
        return (None if nn.parameter.is_lazy(net.weight) else net), False
    if not _stock(net, nn.Sequential):
        return None, False
    flattens = False
    for module in net.modules():
        if _stock(module, nn.Sequential, nn.Identity, nn.Dropout):
            continue  # a container running its layers in order, or a layer that keeps the shape
        if _stock(module, nn.Flatten) and (module.start_dim, module.end_dim) == (1, -1):
            flattens = True
            continue
        if _stock(module, nn.Linear) and not nn.parameter.is_lazy(module.weight):
            return module, flattens
        return None, False
    return None, False


def _stock(module: Any, *kinds: type[nn.Module]) -> bool:
    """Return whether ``module`` is one of ``kinds`` with the ``forward`` torch defines for it."""
    return any(isinstance(module, k) and type(module).forward is k.forward for k in kinds)


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
    found: list[torch.Tensor] = []
    for _, value in _named_tensors(net):
        found.extend([value] if isinstance(value, torch.Tensor) else value.parameters())
    return found


def _named_tensors(net: Any) -> list[tuple[str, torch.Tensor | nn.Module]]:
    """Return the tensors and modules among the closure variables and globals a function names."""
    if not (inspect.isfunction(net) or inspect.ismethod(net)):
        return []
    names = inspect.getclosurevars(net)
    return [
        (name, value)
        for name, value in (*names.nonlocals.items(), *names.globals.items())
        if isinstance(value, torch.Tensor | nn.Module)
    ]
