"""A model's tensors, as far as they can be listed (an ``nn.Module``'s parameters and buffers, and
the plain tensors its own ``parameters()`` returns, as D2L 2nd edition's ``self.W``; a function's
closure and globals, the book's ``net(X)`` over ``W`` and ``b``), whether they are finite, whether
the model is one affine map, and whether batches keep their dataset's order: the facts the
NaN-score messages state (:mod:`linearnets.nan_located`), looked at only once scores came out NaN
(D2L §3.6).
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import torch
from torch import nn

from linearnets.training.weightless import holds_no_weights

__all__ = [
    "WeightsSeen",
    "affine",
    "batch_order",
    "masking_every_class",
    "model_tensors",
    "named_tensors",
    "named_weights",
    "unused_buffers",
    "weight_sizes",
    "weights_seen",
    "weights_used",
]


class WeightsSeen(NamedTuple):
    """What a look at a model's weights found: whether all are finite (``None``: none could be
    listed), their largest absolute value where they are, and the names of those that are not
    (parameters, buffers). ``none``: the model is certain to hold no floating-point weights (see
    :func:`~linearnets.training.weightless.holds_no_weights`): it has none to blame.
    ``attributes``: the plain tensor attributes of a module (``self.scale = torch.ones(3)``,
    neither parameter nor buffer) that hold NaN; those finite leave the weights unknown, as they
    may be weights or not.

    A buffer or plain attribute that holds inf or -inf and no NaN may hold it on purpose (a mask
    of -inf added to the scores): it is no cause by itself, so it does not make the weights
    non-finite, but is kept by name (``inf_buffers``, ``inf_attributes``) for the message to
    mention; ``largest`` counts its finite values only. BatchNorm's running statistics are never
    a mask: an infinite one counts as not finite. Only NaN, never legitimate, makes a buffer or
    an attribute a cause; a parameter that holds inf or NaN is one either way."""

    finite: bool | None = None
    largest: float | None = None
    params: tuple[str, ...] = ()
    buffers: tuple[str, ...] = ()
    none: bool = False
    attributes: tuple[str, ...] = ()
    inf_buffers: tuple[str, ...] = ()
    inf_attributes: tuple[str, ...] = ()


def weights_seen(net: Any, *, skip: frozenset[str] = frozenset()) -> WeightsSeen:
    """Return what a look at ``net``'s floating-point parameters and buffers finds (see
    :func:`named_weights`), past those named in ``skip``; nothing where they cannot be listed, or
    ``net`` is ``None``. They are not called finite where some could not be listed (see
    :func:`_own_parameters`): only those that are not finite are named then, a module's plain
    tensor attributes that hold NaN among them (``attributes``). Buffers and attributes that hold
    inf and no NaN are masks, perhaps (see :class:`WeightsSeen`)."""
    if net is None:
        return WeightsSeen()
    named, complete, plain = _named_weights(net)
    listed = [
        (name, tensor.detach(), buffer)
        for name, tensor, buffer in named or []
        if name not in skip
        and tensor.numel()
        and (tensor.is_floating_point() or tensor.is_complex())
    ]
    kept = [(name, t.detach()) for name, t in plain if name not in skip and t.numel()]
    attributes = tuple(name for name, t in kept if bool(t.isnan().any()))
    masks = tuple(name for name, t in kept if name not in attributes and _infinite(t))
    statistics = _statistics(net)
    bad = [
        (name, buffer)
        for name, tensor, buffer in listed
        if not bool(torch.isfinite(tensor).all())
        and (not buffer or name in statistics or bool(tensor.isnan().any()))
    ]
    inf_buffers = tuple(
        name
        for name, tensor, buffer in listed
        if buffer and (name, buffer) not in bad and _infinite(tensor)
    )
    found = WeightsSeen(inf_buffers=inf_buffers, inf_attributes=masks)
    if not listed and not attributes:  # none listed, which is not none held (holds_no_weights)
        return found._replace(none=complete and not masks and holds_no_weights(net))
    if bad or attributes:
        return found._replace(
            finite=False,
            params=tuple(name for name, buffer in bad if not buffer),
            buffers=tuple(name for name, buffer in bad if buffer),
            attributes=attributes,
        )
    if not complete:  # those listed are finite, the others are not known
        return found
    sizes = [
        t[torch.isfinite(t)].abs().max() for _, t, _ in listed if bool(torch.isfinite(t).any())
    ]
    largest = max((float(size) for size in sizes), default=None)
    return found._replace(finite=True, largest=largest)


def masking_every_class(
    net: Any, names: tuple[str, ...], *, rows: tuple[int, ...], shape: torch.Size
) -> tuple[str, ...]:
    """Return those of ``names`` (``net``'s buffers and plain tensor attributes that hold inf) that
    are -inf at the examples ``rows`` of scores of ``shape`` (B, C), broadcast against them (a
    (C,) mask, or (B, C)), where together they are -inf on every class of those rows: the masks
    that made those rows' scores all -inf. ``()`` where they do not cover every class of them
    (the scores' -inf there came from elsewhere, an overflow)."""
    if not names or not rows:
        return ()
    named, _, plain = _named_weights(net)
    tensors = {name: tensor for name, tensor, _ in named or []} | dict(plain)
    union = torch.zeros(len(rows), shape[-1], dtype=torch.bool)
    found = []
    for name in names:
        tensor = tensors.get(name)
        if tensor is None or not tensor.is_floating_point():
            continue
        try:
            if torch.broadcast_shapes(tensor.shape, shape) != shape:
                continue
        except RuntimeError:  # not broadcastable against the scores: no mask of theirs
            continue
        minus = (tensor.detach() == -torch.inf).broadcast_to(shape)[list(rows)].cpu()
        if bool(minus.any()):
            found.append(name)
            union |= minus
    return tuple(found) if bool(union.all()) else ()


def weight_sizes(net: Any) -> tuple[torch.Tensor, ...] | None:
    """Return the largest absolute value of each of ``net``'s floating-point parameters (see
    :func:`named_weights`; no buffer, which no learning rate updates) as a 0-d tensor, not read
    back: what they are now, before an update that follows, for a message to read once a loss
    is not finite. ``None`` where they cannot be listed."""
    named = named_weights(net)
    if named is None:
        return None
    # for a message only: a parameter that takes no amax (sparse) or holds no values yet (a lazy
    # module's, before its first forward: numel() raises ValueError) must not stop the training
    if any(nn.parameter.is_lazy(tensor) for _, tensor, _ in named):
        return None
    try:
        return tuple(
            tensor.detach().abs().amax()
            for _, tensor, buffer in named
            if not buffer and tensor.numel() and (tensor.is_floating_point() or tensor.is_complex())
        )
    except Exception:  # any tensor subclass's failure: the sizes are not known
        return None


def _infinite(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` holds inf or -inf (and so, past a look for NaN, no NaN)."""
    return bool(tensor.isinf().any())


def _statistics(net: Any) -> frozenset[str]:
    """Return the names of ``net``'s BatchNorm running statistics (``"1.running_var"``): buffers
    that never hold inf on purpose, unlike a mask."""
    if not isinstance(net, nn.Module):
        return frozenset()
    try:
        modules = list(net.named_modules())
    except Exception:  # a module that fails to list its submodules: none known
        return frozenset()
    return frozenset(
        f"{prefix}.{leaf}" if prefix else leaf
        for prefix, module in modules
        if isinstance(module, nn.modules.batchnorm._BatchNorm)
        for leaf in ("running_mean", "running_var")
    )


def weights_used(net: Any) -> tuple[WeightsSeen, tuple[str, ...]]:
    """Return what :func:`weights_seen` finds past the buffers that ``net``'s forward does not use
    now (see :func:`unused_buffers`), and the names of those that are not finite: a running
    statistic that BatchNorm in training mode ignores is no cause of its scores."""
    seen = weights_seen(net)
    unused = unused_buffers(net, seen.buffers)
    if unused:
        seen = weights_seen(net, skip=frozenset(unused))
    return seen, unused


def unused_buffers(net: Any, buffers: tuple[str, ...]) -> tuple[str, ...]:
    """Return those of ``buffers`` (named in ``net``) that ``net``'s forward does not use now: the
    running statistics of a BatchNorm in training mode, which normalises by the batch's own."""
    if not isinstance(net, nn.Module):
        return ()
    unused = []
    for name in buffers:
        prefix, _, leaf = name.rpartition(".")
        try:
            module = net.get_submodule(prefix)
        except Exception:  # a name that is no submodule's: not known to be unused
            continue
        if (
            isinstance(module, nn.modules.batchnorm._BatchNorm)
            and module.training
            and leaf in ("running_mean", "running_var")
        ):
            unused.append(name)
    return tuple(unused)


def affine(net: Any) -> bool:
    """Return whether ``net`` is known to be one affine map ``X W + b`` (its input flattened)
    whose weights are all its parameters: an ``nn.Linear``, alone or in an ``nn.Sequential``
    with nothing but ``nn.Flatten`` and ``nn.Identity``, and no floating-point buffer;
    linearnets' scratch linear or softmax regression; or the book's model, a function whose only
    tensors are one matrix ``W`` and at most one vector ``b`` (D2L §3.6.3: ``softmax(X W + b)``),
    taken to compute ``X W + b`` as the book's does. Only then do NaN or inf weights make every
    example's scores non-finite, and do small weights bound the scores by the features' size;
    any other model (two layers, an embedding, a subclass with its own forward) is not known to
    be one.
    """
    from linearnets.models.scratch.linear import LinearRegressionScratch
    from linearnets.models.scratch.softmax import SoftmaxRegressionScratch

    if type(net) in (LinearRegressionScratch, SoftmaxRegressionScratch):
        return True
    if not isinstance(net, nn.Module):
        named = named_tensors(net)  # [] for anything but a function
        tensors = [t for _, t in named if isinstance(t, torch.Tensor) and t.is_floating_point()]
        shapes = sorted(t.ndim for t in tensors)
        return len(tensors) == len(named) and shapes in ([2], [1, 2])
    modules = list(net.modules())
    if any(type(m) not in (nn.Sequential, nn.Linear, nn.Flatten, nn.Identity) for m in modules):
        return False
    if sum(type(m) is nn.Linear for m in modules) != 1:
        return False
    return not any(b.is_floating_point() or b.is_complex() for b in net.buffers())


def batch_order(batches: object) -> bool | None:
    """Return whether ``batches`` yields the examples of its dataset in their order (``True``:
    a position in a pass is the example's index in the dataset), shuffled (``False``), or
    ``None`` where that is not known.

    Known for a torch ``DataLoader`` over a map-style dataset whose ``BatchSampler`` draws from
    a ``SequentialSampler`` (``shuffle=False``) or a ``RandomSampler`` (``shuffle=True``), and
    for linearnets' :class:`~linearnets.data.loader.ArrayLoader` in one process. Only torch's own
    classes are trusted, not subclasses of them: a subclass may yield the batches in another order
    (a ``BatchSampler`` that walks them backwards) though it draws from a ``SequentialSampler``.
    """
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

    from linearnets.data.loader import ArrayLoader

    if isinstance(batches, ArrayLoader):
        return None if batches.world_size > 1 else not batches.shuffle
    if type(batches) is not DataLoader or type(batches.batch_sampler) is not BatchSampler:
        return None
    sampler = batches.batch_sampler.sampler
    if type(sampler) is SequentialSampler:
        return True
    if type(sampler) is RandomSampler:
        return False
    return None


def model_tensors(net: Any) -> list[torch.Tensor]:
    """Return the tensors holding ``net``'s parameters, as far as they can be listed (else ``[]``).

    A model with ``parameters()`` (``nn.Module``, the scratch models) lists them. The book's model
    is a function of global tensors, ``def net(X): return softmax(torch.matmul(X.reshape((-1,
    W.shape[0])), W) + b)`` (D2L §3.6.3): its tensors are those among the globals and closure
    variables its code names, with the parameters of any module among them.
    """
    if callable(getattr(net, "parameters", None)):
        try:
            return list(net.parameters())
        except Exception:  # a parameters() that fails lists nothing
            return []
    found: list[torch.Tensor] = []
    for _, value in named_tensors(net):
        found.extend([value] if isinstance(value, torch.Tensor) else value.parameters())
    return found


def named_weights(net: Any) -> list[tuple[str, torch.Tensor, bool]] | None:
    """Return ``net``'s parameters and buffers as ``(name, tensor, is_buffer)``, as far as they
    can be listed (``None`` where listing them failed): an ``nn.Module``'s named parameters and
    buffers (BatchNorm's running statistics, a registered buffer) with the tensors its own
    ``parameters()``, or a submodule's, returns that torch does not list (D2L 2nd edition's
    ``self.W``: see :func:`_own_parameters`), a scratch model's named parameters, and a
    function's tensors and modules (see :func:`model_tensors`), a module's names after its own
    (``"net.0.running_mean"``)."""
    return _named_weights(net)[0]


# a module's floating-point tensors held as plain attributes, past any parameters() and buffer:
# (name, tensor), a submodule's named after it ("1.scale")
_Plain = list[tuple[str, torch.Tensor]]


def _named_weights(
    net: Any,
) -> tuple[list[tuple[str, torch.Tensor, bool]] | None, bool, _Plain]:
    """Return :func:`named_weights`'s listing, whether it is complete (``False`` where a
    module's tensors may lie past it, see :func:`_own_parameters`), and the floating-point
    tensors its modules hold as plain attributes past it."""
    if isinstance(net, nn.Module):
        try:
            params: list[tuple[str, torch.Tensor, bool]] = [
                (name, p, False) for name, p in net.named_parameters()
            ]
            buffers = [(name, b, True) for name, b in net.named_buffers()]
        except Exception:  # a module that fails to list its tensors lists nothing
            return None, False, []
        own, complete, plain = _own_parameters(net, params + buffers)
        return params + own + buffers, complete, plain
    if callable(getattr(net, "parameters", None)):
        try:
            if callable(getattr(net, "named_parameters", None)):
                return [(name, p, False) for name, p in net.named_parameters()], True, []
            return [(f"parameter {i}", p, False) for i, p in enumerate(net.parameters())], True, []
        except Exception:  # a parameters() that fails lists nothing
            return None, False, []
    found: list[tuple[str, torch.Tensor, bool]] = []
    complete = True
    attributes: _Plain = []
    for name, value in named_tensors(net):
        if isinstance(value, torch.Tensor):
            found.append((name, value, False))
        else:
            inner, whole, plain = _named_weights(value)
            complete = complete and whole and inner is not None
            found.extend((f"{name}.{n}", t, buffer) for n, t, buffer in inner or [])
            attributes.extend((f"{name}.{n}", t) for n, t in plain)
    return found, complete, attributes


def _own_parameters(
    net: nn.Module, registered: list[tuple[str, torch.Tensor, bool]]
) -> tuple[list[tuple[str, torch.Tensor, bool]], bool, _Plain]:
    """Return the tensors that the own ``parameters()`` of ``net`` and of each of its submodules
    returns past those torch registered, as ``(name, tensor, False)``, and whether every
    floating-point tensor they hold is now listed: D2L 2nd edition keeps ``self.W =
    torch.normal(..., requires_grad=True)`` as a plain attribute and overrides ``parameters()``
    to return ``[self.W, self.b]``, which ``named_parameters()`` does not list, alone or as a
    layer inside an ``nn.Sequential``. Only where a class of the user's (not torch's) overrides
    the method; each is named by the attribute that holds it (``"W"``, a submodule's ``"1.W"``),
    else by its place in what the method returned (``"parameter 0"``, ``"parameter 0 of 1"``).

    Not complete where a submodule's own ``parameters()`` raises or returns anything but tensors,
    or a module holds a floating-point tensor as a plain attribute that no ``parameters()``
    returned: its weights could be there, unseen. Those attributes are returned too, by name
    (``"scale"``, a submodule's ``"1.scale"``), to be looked at."""
    names = _attribute_names(net)
    seen = {id(t) for _, t, _ in registered}
    found: list[tuple[str, torch.Tensor, bool]] = []
    complete = True
    try:
        modules = list(net.named_modules())
    except Exception:  # a module that fails to list its submodules is looked at alone
        modules, complete = [("", net)], False
    for prefix, module in modules:
        owner = next((c for c in type(module).__mro__ if "parameters" in vars(c)), nn.Module)
        if (owner.__module__ or "").partition(".")[0] == "torch":
            continue
        try:
            tensors = list(module.parameters())
        except Exception:  # a parameters() that fails (or is no method) lists nothing of its own
            complete = False
            continue
        if not all(isinstance(t, torch.Tensor) for t in tensors):
            complete = False
            continue
        for i, tensor in enumerate(tensors):
            if id(tensor) not in seen:
                seen.add(id(tensor))
                place = f"parameter {i} of {prefix}" if prefix else f"parameter {i}"
                found.append((names.get(id(tensor), place), tensor, False))
    plain: _Plain = []
    for prefix, module in modules:
        for key, value in vars(module).items():
            if (
                isinstance(value, torch.Tensor)
                and id(value) not in seen
                and (value.is_floating_point() or value.is_complex())
            ):
                seen.add(id(value))  # one tensor held twice is named once
                plain.append((f"{prefix}.{key}" if prefix else key, value))
    return found, complete and not plain, plain


def _attribute_names(net: nn.Module) -> dict[int, str]:
    """Return the name of each tensor ``net`` and its submodules hold as a plain attribute (in
    their ``__dict__``, past torch's registries), by the tensor's id; the first name found wins."""
    names: dict[int, str] = {}
    try:
        modules = list(net.named_modules())
    except Exception:  # a module that fails to list its submodules names only its own
        modules = [("", net)]
    for prefix, module in modules:
        for key, value in vars(module).items():
            if isinstance(value, torch.Tensor):
                names.setdefault(id(value), f"{prefix}.{key}" if prefix else key)
    return names


def named_tensors(net: Any) -> list[tuple[str, torch.Tensor | nn.Module]]:
    """Return the tensors and modules among the closure variables and globals a function names."""
    if not (inspect.isfunction(net) or inspect.ismethod(net)):
        return []
    names = inspect.getclosurevars(net)
    return [
        (name, value)
        for name, value in (*names.nonlocals.items(), *names.globals.items())
        if isinstance(value, torch.Tensor | nn.Module)
    ]
