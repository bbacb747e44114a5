"""The diagnosis of what a model's forward raised: a batch the model cannot take, and the fix
(D2L §3.6, §3.7).

torch names neither the batch nor the model ("Expected all tensors to be on the same device",
"mat1 and mat2 shapes cannot be multiplied (10x64 and 784x10)"); :func:`raise_forward_error` says
which rule the batch broke and how to fix it. It runs only once the forward has raised, so a batch
that trains pays nothing for it.
"""

from __future__ import annotations

import math
import re
from typing import Any, NoReturn

import torch
from torch import nn

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.model_tensors import model_tensors, named_tensors

__all__ = ["raise_forward_error"]


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
    usage = _device_error(net, X, err) or _input_error(net, X) or _function_input_error(net, X, err)
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
    model that has it; for a function of global tensors (D2L §3.6.3), which has none, the tensors
    off ``device`` by the names its code gives them: ``W = W.detach().to(...).requires_grad_()``
    (not ``W.to(...)`` alone, a copy that is no leaf: its ``.grad`` stays ``None``)."""
    if callable(getattr(net, "to", None)):
        return {
            "of": "the model's parameters",
            "move": "the model with net.to('{device}')",
            "build": "build the model again",
        }
    moves, names = [], []
    for name, value in named_tensors(net):
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
    if not moves:  # a model with parameters() but no .to, whose tensors have no names here
        return {
            "of": "the model's parameters",
            "move": "the model's parameters to '{device}' (or build the model there)",
            "build": "build the model again",
        }
    listed = " and ".join(names)
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


# how torch words a product or a reshape that the batch's values per example do not fit
_SHAPE_WORDS = ("cannot be multiplied", "is invalid for input of size", "size mismatch", "einsum()")


def _function_input_error(net: Any, X: torch.Tensor, err: RuntimeError) -> UsageError | None:
    """Return the error for a batch that a function model's one weight matrix cannot take, else
    ``None``.

    The book's model is a function of global tensors, ``softmax(matmul(X.reshape((-1,
    W.shape[0])), W) + b)`` (D2L §3.6.3): where its code names exactly one matrix ``W`` (d, q),
    and no module, a batch of another dtype, or with another number of values per example than d
    (images of another size: ``resize=64`` gives 4096), is named, once ``flatten(X) @ W`` fails
    too.
    """
    named = named_tensors(net)
    if any(isinstance(value, nn.Module) for _, value in named):
        return None  # a module may meet the batch first: which tensor does is not known
    matrices = [
        (name, value)
        for name, value in named
        if isinstance(value, torch.Tensor) and value.ndim == 2 and value.is_floating_point()
    ]
    if len(matrices) != 1 or X.ndim < 1:
        return None
    name, W = matrices[0]
    if W.device != X.device:
        return None
    rows = torch.flatten(X, 1) if X.ndim > 1 else X.reshape(1, -1)  # (B, values per example)
    try:
        with torch.no_grad():
            scores = rows @ W  # (B, q)
    except RuntimeError:
        pass  # W fails on the batch too: the diagnosis below names why
    else:
        return _bias_error(named, name, W, scores, err)
    d, q = W.shape
    if not X.is_floating_point() or X.dtype != W.dtype:
        convert = f"X.to({W.dtype})" + (" / 255" if X.dtype == torch.uint8 else "")
        return UsageTypeError(
            f"X must have the dtype of the model's {name}, {W.dtype}, got {X.dtype}; convert the "
            f"batch with {convert}, or create the model's tensors in {X.dtype}"
            if X.is_floating_point()
            else f"X must be floating point, the dtype of the model's {name}, {W.dtype}, got "
            f"{X.dtype}; convert the batch with {convert}"
        )
    got = rows.shape[1]
    if got == d or not any(words in str(err) for words in _SHAPE_WORDS):
        # the batch fits W, or the forward failed on no product or reshape of it: a function
        # using W otherwise (X @ W.T, an nn.Linear layout) failed elsewhere, e.g. on a bias of
        # the wrong size, which torch's own error names
        return None
    dims = "×".join(map(str, X.shape[1:])) or str(got)
    said = (
        f"X must hold {d} values per example for the model's {name} of shape ({d}, {q}), got "
        f"shape {tuple(X.shape)}: {dims} = {got} values per example"
    )
    if got == q:  # (outputs, inputs): the data fit the other size, the book's is (inputs, outputs)
        return UsageError(
            f"{said}, {name}'s second size: {name} looks transposed; create it with shape "
            f"({q}, {d}), (inputs, outputs) as the book's W = torch.normal(0, 0.01, "
            "size=(num_inputs, num_outputs)) (D2L §3.6.1)"
        )
    return UsageError(
        f"{said}; check the image size (resize) matches the model, or create {name} for this "
        f"data, with shape ({got}, {q})"
    )


_SIZES = re.compile(
    r"size of tensor a \((?P<a>\d+)\) must match the size of tensor b \((?P<b>\d+)\)"
)


def _bias_error(
    named: list[tuple[str, Any]],
    name: str,
    W: torch.Tensor,
    scores: torch.Tensor,
    err: RuntimeError,
) -> UsageError | None:
    """Return the error for a function model's bias that ``X @ W``, the ``scores`` (B, q), cannot
    be added to (the book's b (q,) created with another size: ``torch.zeros(784)`` for W (784,
    10)), else ``None``: where torch's error is no failed addition, or no one 1-d tensor the
    function names (``name`` is W's) fails to add to the scores. Only a tensor that requires
    grad, a trained bias, is blamed: a constant that fails (a ``scale`` (5,) multiplying the
    scores) keeps torch's error. A bias of W's row count is the book's slip (b made with
    num_inputs values) and is told to take q; one of another length may be right and W's columns
    wrong (W (784, 5) for 10 classes): both fixes are named.

    torch's message names both sizes, "The size of tensor a (A) must match the size of tensor b
    (B)": a tensor is named only where they are the scores' q and its own length, in either order,
    so a mis-sized constant met elsewhere (``X.reshape(-1, 784) - mu``, mu (28,): sizes 784 and 28)
    is not blamed and torch's error stands."""
    sizes = _SIZES.search(str(err))
    if sizes is None:
        return None
    q = scores.shape[1]
    a, b = int(sizes["a"]), int(sizes["b"])
    if q not in (a, b):
        return None
    length = b if a == q else a  # the bias's size: scores + b, or b + scores
    wrong = []
    for other, value in named:
        if other == name or not isinstance(value, torch.Tensor) or value.ndim != 1:
            continue
        if value.device != scores.device or value.shape[0] != length or not value.requires_grad:
            continue  # a constant (a scale, a mean) is no trained bias: torch's error stands
        try:
            with torch.no_grad():
                scores + value
        except RuntimeError:
            wrong.append((other, value))
    if len(wrong) != 1:
        return None
    other, bias = wrong[0]
    d = W.shape[0]
    if length == d:  # the book's slip: b made with num_inputs values, not num_outputs
        return UsageError(
            f"the model's {other} must have shape ({q},), one value per column of {name} ({d}, "
            f"{q}), got shape {tuple(bias.shape)}: X @ {name} gives scores of shape (B, {q}), and "
            f"{other} cannot be added to them; create {other} with shape ({q},), e.g. {other} = "
            f"torch.zeros({q}, requires_grad=True) (D2L §3.6.1)"
        )
    # W's columns may be the wrong size as well as the bias: name both ways out
    return UsageError(
        f"the model's {other} {tuple(bias.shape)} cannot be added to the scores X @ {name} of "
        f"shape (B, {q}): {other} has {length} values but {name} {q} columns, one per class; give "
        f"{name} shape ({d}, {length}) for {length} classes, or {other} shape ({q},) (D2L §3.6.1)"
    )


def _feature_error(first: nn.Linear, flattens: bool, X: torch.Tensor) -> UsageError | None:
    """Return the error for a batch ``X`` with another number of features than ``first`` takes,
    seen flattened when ``flattens`` (an ``nn.Flatten`` before it), else by its last dimension."""
    n, q, shape = first.in_features, first.out_features, tuple(X.shape)
    rule = (
        f"X must hold {counted(n, 'feature')} per example for the model's first layer, "
        f"nn.Linear({n}, {q})"
    )
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
