"""The checks the training loop makes once, before any step: :func:`~linearnets.training.loop.fit`'s
arguments (its callbacks in :mod:`linearnets.training.callback_checks`), and an updater built for
the model it trains (D2L §3.6.6).

Each error names the argument, the rule, the value received and the fix; nothing here runs per step.
"""

from __future__ import annotations

import inspect
import math
import sys
import types
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy
from torch.utils.data import Dataset, IterableDataset

from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch.optim import SGD
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.epoch_checks import check_history, check_start_epoch
from linearnets.training.history import History
from linearnets.training.loss_kinds import check_ignore_index
from linearnets.training.step import Net
from linearnets.training.updaters import is_optimizer
from linearnets.validation import check_positive_int, describe

if TYPE_CHECKING:
    from linearnets.config_values import IntArg

__all__ = [
    "check_batches",
    "check_fit_args",
    "check_loss_object",
    "check_net",
    "check_net_before_batches",
    "check_net_tensors",
    "check_updater_lr",
    "check_updater_object",
    "check_updater_params",
    "is_one_shot",
    "is_optimizer",
]


def check_fit_args(
    num_epochs: IntArg | torch.Tensor,
    *,
    start_epoch: IntArg | torch.Tensor,
    callbacks: Sequence[Any],
    history: History | None,
) -> tuple[int, int]:
    """Raise unless :func:`~linearnets.training.loop.fit`'s epochs, callbacks and history fit together.

    Returns:
        ``num_epochs`` and ``start_epoch``, checked to be ints (a NumPy integer or a 0-d integer
        tensor is taken for either), 1 <= num_epochs and 0 <= start_epoch <= num_epochs.
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    start_epoch = check_start_epoch(start_epoch, num_epochs=num_epochs, history=history)
    check_callbacks(callbacks)
    check_history(history, num_epochs=num_epochs, start_epoch=start_epoch)
    return num_epochs, start_epoch


def check_batches(name: str, batches: Any, *, passes: int, library: str = "ln") -> None:
    """Raise unless ``batches`` can be iterated ``passes`` times (once per epoch).

    A generator or any other iterator yields its batches once: a second epoch would find it empty
    (and the first epoch's work would be lost to the error). Nothing is iterated here: a
    ``DataLoader`` would start its workers. A map-style dataset (the book's ``mnist_train``, a
    ``TensorDataset``) is iterable too, but one example at a time: it is told to take a
    ``DataLoader``; so is the whole data as a pair of tensors, ``(X, y)``, which yields X, then y,
    and the features alone, one tensor ``X``, which yields its rows. ``library`` is the name the
    caller knows the package by, for the fix: ``"d2l"`` for :mod:`linearnets.d2l`'s functions,
    whose callers may not have ``ln`` defined.
    """
    if not (hasattr(batches, "__iter__") or hasattr(batches, "__getitem__")):
        called = "; call it to get the batches, or pass" if callable(batches) else "; pass"
        raise UsageTypeError(
            f"{name} must be an iterable of (X, y) batches, got {type(batches).__name__}{called} "
            "a DataLoader, a list of (X, y) pairs or load_array((X, y), batch_size)"
        )
    got = None
    if isinstance(batches, torch.Tensor):
        got = (
            f"a tensor of shape {tuple(batches.shape)}, which would yield its rows one at a time, "
            "with no labels"
        )
    elif _whole_tensors(batches):
        X, y = batches
        got = (
            f"the whole data as a pair of tensors (X of shape {tuple(X.shape)}, y of shape "
            f"{tuple(y.shape)}), which would yield X, then y"
        )
    if got is not None:
        shuffled = "" if name == "train_iter" else ", is_train=False"  # evaluation keeps the order
        features = " of the features and their labels" if isinstance(batches, torch.Tensor) else ""
        raise UsageTypeError(
            f"{name} must be an iterable of (X, y) batches, got {got}; pass "
            f"{library}.load_array((X, y), batch_size{shuffled}){features}, or a DataLoader of "
            "TensorDataset(X, y)"
        )
    if isinstance(batches, Dataset) and not isinstance(batches, IterableDataset):
        shuffle = ", shuffle=True" if name == "train_iter" else ""  # evaluation keeps the order
        raise UsageTypeError(
            f"{name} must yield (X, y) batches, got the dataset {type(batches).__name__}, which "
            "gives one (X, y) example at a time; wrap it in a DataLoader: "
            f"torch.utils.data.DataLoader(dataset, batch_size{shuffle})"
        )
    if passes > 1 and _one_shot(batches):
        raise UsageTypeError(
            f"{name} must give its batches again in every epoch, got a one-shot "
            f"{type(batches).__name__} (a generator or iterator is used up after one pass), for "
            f"{passes} epochs; pass a DataLoader, a list of (X, y) pairs or "
            "load_array((X, y), batch_size), or list(...) of the iterator"
        )


def _whole_tensors(batches: Any) -> bool:
    """Whether ``batches`` is a pair of tensors with one row per example each, ``(X, y)``: the whole
    data, not its batches (a batch is a pair, no tensor)."""
    return (
        isinstance(batches, list | tuple)
        and len(batches) == 2
        and all(isinstance(t, torch.Tensor) and t.ndim for t in batches)
        and batches[0].shape[0] == batches[1].shape[0]
    )


def is_one_shot(batches: Any) -> bool:
    """Whether ``batches`` surely yields its batches once (see :func:`_one_shot`)."""
    return _one_shot(batches)


def _returns_self(self: Any) -> Any:
    return self


def _one_shot(batches: Any) -> bool:
    """Whether ``batches`` is an iterator that surely yields its batches once: a generator, one of
    Python's own (``iter(list)``, ``map``, ``zip``, ``itertools``), or one whose ``__iter__`` only
    returns itself (``collections.abc.Iterator``'s, a ``DataLoader``'s iterator's). An iterator
    class of the user's own whose ``__iter__`` does more may start again there (``self.i = 0;
    return self``), as the book's loop lets it each epoch: it is taken, and one that does not
    start again yields no example in the second epoch, which the epoch's totals refuse by name.
    """
    if not isinstance(batches, Iterator):
        return False
    own = getattr(type(batches), "__iter__", None)
    if not isinstance(own, types.FunctionType):
        return True
    # the same bytecode as `return self`, whatever the argument is called
    return own.__code__.co_code == _returns_self.__code__.co_code


def check_loss_object(loss: Any, *, updater: Any = None, call: str | None = None) -> None:
    """Raise unless ``loss`` can be called as ``loss(y_hat, y)``, before any batch is read.

    A loss *class* (``nn.CrossEntropyLoss``), called with ``(y_hat, y)``, would build a loss module
    with them as its ``weight`` and ``size_average`` and fail deep inside torch; anything that
    cannot be called would fail at the first batch, after its forward. An optimizer in the loss's
    place beside an ``updater`` that is a loss (a loss module binds any arguments, so it passes as
    the book's ``updater(batch_size)``) is named as the swap it is; ``call`` is the caller's
    signature, for that fix. A bool ``ignore_index`` of torch's classification loss is refused
    (:func:`~linearnets.training.loss_kinds.check_ignore_index`).
    """
    if isinstance(loss, type) and issubclass(loss, nn.Module):
        raise UsageTypeError(
            f"loss must be a loss function or object, got the class {loss.__name__}; pass an "
            f"instance: {loss.__name__}(reduction='none')"
        )
    if callable(loss):
        check_ignore_index(loss)  # a bool reached torch's internal assert
        return
    # a swap only where the updater could be the loss: a loss module (the book's function
    # updater(batch_size) cannot take (y_hat, y))
    if is_optimizer(loss) and isinstance(updater, nn.Module):
        theirs = getattr(updater, "__name__", type(updater).__name__)
        order = f"pass them as {call}" if call else "pass the loss first, then the updater"
        raise UsageTypeError(
            f"loss must be a loss function or object called as loss(y_hat, y), got the optimizer "
            f"{type(loss).__name__}, and updater is {theirs}: the two are swapped; {order}"
        )
    raise UsageTypeError(
        f"loss must be a loss function or object called as loss(y_hat, y), got "
        f"{'the optimizer ' + type(loss).__name__ if is_optimizer(loss) else describe(loss)}; "
        "pass e.g. nn.CrossEntropyLoss(reduction='none') or the book's cross_entropy"
    )


def check_updater_object(updater: Any) -> None:
    """Raise if ``updater`` is an optimizer *class* (``torch.optim.SGD``) rather than an optimizer,
    or one whose ``step`` needs a closure (``torch.optim.LBFGS``).

    A class's ``zero_grad`` and ``step`` are plain functions, which fail for want of ``self``. An
    optimizer that re-evaluates the loss through a closure cannot be stepped once per batch after
    the loop's own backward: torch raised at the first step, after its forward and backward.
    """
    if isinstance(updater, type):
        raise UsageTypeError(
            f"updater must be an optimizer object, got the class {updater.__name__}; build it for "
            f"the model's parameters: {updater.__name__}(net.parameters(), lr=0.1)"
        )
    if _needs_closure(getattr(updater, "step", None)):
        raise UsageError(
            f"updater must take step() without arguments, as the loop calls it after its own "
            f"backward, got {type(updater).__name__}, whose step(closure) re-evaluates the loss "
            "itself; train with an optimizer stepped once per batch (torch.optim.SGD, Adam, ...), "
            "or step this one in a loop of your own with a closure that computes the loss and its "
            "gradient: def closure(): updater.zero_grad(); l = loss(net(X), y).mean(); "
            "l.backward(); return l, then updater.step(closure) for each batch (X, y)"
        )


def _needs_closure(step: Any) -> bool:
    """Whether ``step`` has a ``closure`` parameter without a default (``LBFGS.step(closure)``)."""
    if not callable(step):
        return False
    try:
        closure = inspect.signature(step).parameters.get("closure")
    except (TypeError, ValueError):  # a builtin without a signature: nothing to tell
        return False
    return closure is not None and closure.default is inspect.Parameter.empty


def check_updater_params(net: Net, updater: Any) -> None:
    """Raise if ``updater`` updates none of ``net``'s parameters (an optimizer built for another model).

    Such an optimizer steps parameters the model never uses: the model trains not at all, the loss
    stays the same every epoch. Checked once per epoch, by identity, where both sides can be
    listed: ``net.parameters()`` (``nn.Module``, ``DistributedDataParallel``, whose ``parameters()``
    are its module's, and the scratch models) and ``updater.param_groups`` (``torch.optim``, the
    scratch ``SGD``).
    """
    groups = getattr(updater, "param_groups", None)
    if groups is None or not callable(getattr(net, "parameters", None)):
        return
    try:
        theirs = [p for group in groups for p in group["params"]]
        ours = {id(p) for p in net.parameters()}  # type: ignore[attr-defined]
    except (KeyError, TypeError):  # not torch's layout: nothing to compare
        return
    if theirs and not any(id(p) in ours for p in theirs):
        held = (
            f"none of its {len(theirs)} parameters is one of net's {len(ours)}"
            if ours
            else "net has none"
        )
        raise UsageError(
            f"updater must update the model's parameters, but {held}: it was built for another "
            "model (or for tensors the model no longer holds), so training would change nothing; "
            "build it from this model, e.g. torch.optim.SGD(net.parameters(), lr=0.1)"
        )


def check_updater_lr(updater: Any) -> None:
    """Raise if a parameter group of ``updater`` has an ``lr`` past the largest value its
    parameters' dtype holds (1e300 for float32 weights: 3.4e38 at most).

    torch failed at the first step, after its forward and backward, with "value cannot be
    converted to type float without overflow", naming neither the lr nor the fix. Checked where
    ``updater.param_groups`` can be read (``torch.optim``, the scratch ``SGD``). The scratch
    ``SGD`` steps a narrower parameter by its grad times lr in float32 (``7e4`` steps float16
    weights, as ``sgd`` does, where ``torch.optim.SGD`` fails past 65504), so float32's range
    bounds its lr there.
    """
    groups = getattr(updater, "param_groups", None)
    if groups is None:
        return
    in_float32 = isinstance(updater, SGD)
    try:
        pairs = [(group["lr"], p) for group in groups for p in group["params"]]
    except (KeyError, TypeError):  # not torch's layout: nothing to compare
        return
    for lr, p in pairs:
        if not isinstance(p, torch.Tensor) or not p.is_floating_point():
            continue
        try:
            value = float(lr)
        except (TypeError, ValueError):  # a tensor lr of many values: torch's to tell
            return
        dtype = p.dtype
        held = " its parameters hold"
        if in_float32 and dtype.itemsize < 4:
            dtype, held = torch.float32, f", in which it steps its {p.dtype} parameters"
        largest = torch.finfo(dtype).max
        if math.isfinite(value) and value > largest:
            raise UsageError(
                f"updater's lr must be at most {largest:.4g}, the largest {dtype} value{held}, "
                f"got lr={value:g}; pass a far smaller lr (the book's is 0.1)"
            )


def check_net_before_batches(net: Any, train_iter: Any, *, call: str) -> None:
    """Raise if ``net`` and ``train_iter`` look swapped: batches (a ``DataLoader``, a list of
    ``(X, y)``) as ``net`` and a model as ``train_iter``; ``call`` is the book's order,
    ``"fit(net, train_iter, loss, updater, num_epochs)"``.

    Without this, the loader was refused as no model (its repr with its address), leaving the
    model in the next argument unmentioned.
    """
    if callable(net) or isinstance(net, torch.Tensor) or not hasattr(net, "__iter__"):
        return
    if not _looks_like_a_model(train_iter):
        return
    shown = getattr(train_iter, "__name__", None) if callable(train_iter) else None
    raise UsageTypeError(
        f"net and train_iter look swapped: got net={type(net).__name__} (batches to train on) "
        f"and train_iter={shown or type(train_iter).__name__} (a model); pass the model first, "
        f"in the book's order, {call}"
    )


def _looks_like_a_model(obj: Any) -> bool:
    """Whether ``obj`` reads as a model in train_iter's place: an ``nn.Module`` or an object with
    ``parameters()`` (a scratch model), or a callable that yields no batches (the book's function
    model, ``def net(X): ...``); not a class."""
    if isinstance(obj, type):
        return False
    if isinstance(obj, nn.Module) or callable(getattr(obj, "parameters", None)):
        return True
    return callable(obj) and not hasattr(obj, "__iter__")


def check_net(net: Net, *, library: str = "ln") -> None:
    """Raise unless ``net`` is a model to call on a batch whose parameters hold values.

    A parameter on the meta device has a shape but no value: nothing the model computes can be
    counted, and torch would fail at the end of the epoch (or on the first batch on another
    device), in its own words. Checked once, before any batch; a model without ``parameters()``
    has none to look at. A model *class* (``nn.Linear``, ``SoftmaxRegressionScratch``) or one of
    linearnets' builders (``softmax_concise``) is callable too, but calling it on a batch would
    build a model from the batch (an error about its constructor's arguments, deep inside): it is
    told to build the model first, in the caller's names (``nn.Linear(...)``,
    ``ln.softmax_concise()``; ``library="d2l"``: :mod:`linearnets.d2l`'s callers, who may have no
    ``ln``).
    """
    _check_not_a_builder(net, library=library)
    if not callable(net):  # or it fails at the first batch, after an updater may have stepped
        raise UsageTypeError(
            f"net must be a model to call on a batch of inputs (an nn.Module or a scratch model "
            f"such as linearnets.SoftmaxRegressionScratch), got {describe(net)}; pass the model "
            f"itself, e.g. {_own_call('softmax_concise', library, '')}"
        )
    meta = next((p for p in _tensor_params(net) if p.is_meta), None)
    if meta is not None:
        raise UsageError(
            f"net's parameters must hold values, got a parameter of shape {tuple(meta.shape)} on "
            "the meta device (a shape without data, which computes nothing to count); build the "
            "model on the CPU or a GPU (an nn.Module built on meta gets its values with "
            "net.to_empty(device='cpu') and then net.load_state_dict(...))"
        )


# linearnets' public functions that build a model: (module, name), as a builder passed uncalled is
# recognised without importing the models here
_BUILDERS = {
    ("linearnets.models.concise", "softmax_concise"),
    ("linearnets.models.concise", "linreg_concise"),
}


def _check_not_a_builder(net: Any, *, library: str) -> None:
    """Raise if ``net`` is a class, or a linearnets function that builds a model, not a model."""
    if isinstance(net, type):
        raise UsageTypeError(
            f"net must be a model instance, got the class {net.__name__}; pass an instance: "
            f"{_build_call(net, library, _required_arguments(net))}"
        )
    key = (getattr(net, "__module__", None), getattr(net, "__qualname__", None))
    if isinstance(net, types.FunctionType) and key in _BUILDERS:
        raise UsageTypeError(
            f"net must be a model instance, got the function {net.__name__}, which builds one; "
            f"call it and pass the model it returns: {_build_call(net, library, '')}"
        )


def _build_call(obj: Any, library: str, arguments: str) -> str:
    """The line that builds the model from the class or builder ``obj``, in the caller's names:
    ``net = ln.softmax_concise()`` for linearnets' own (``library="d2l"``: ``d2l.`` where
    :mod:`linearnets.d2l` has it, else an import first, as a ``from linearnets import d2l``
    session has no ``ln``), another's as the caller's code names it (:func:`_called_as`)."""
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or obj.__name__
    if module.partition(".")[0] == "linearnets":
        import linearnets  # here: the package imports this module

        if getattr(linearnets, name, None) is obj:
            return _own_call(name, library, arguments)
    return f"net = {_called_as(obj)}({arguments})"


def _own_call(name: str, library: str, arguments: str) -> str:
    """The line that builds a model with linearnets' ``name``: ``net = ln.{name}(...)``; for a
    :mod:`linearnets.d2l` caller ``net = d2l.{name}(...)`` where the module has it, else
    ``from linearnets import {name}; net = {name}(...)``."""
    if library != "d2l":
        return f"net = ln.{name}({arguments})"
    import linearnets  # here: the package imports this module

    book = sys.modules.get("linearnets.d2l")  # imported by the d2l caller
    if book is not None and getattr(book, name, None) is getattr(linearnets, name, None):
        return f"net = d2l.{name}({arguments})"
    return f"from linearnets import {name}; net = {name}({arguments})"


def _called_as(obj: Any) -> str:
    """How the caller's code reaches the class or function ``obj``: the name its code binds to it
    (``Linear`` after ``from torch.nn import Linear``, ``tnn.Linear`` after ``import torch.nn as
    tnn``), where one is found; else its public path (``torch.nn.Linear``,
    ``torch.nn.parallel.DistributedDataParallel``), the bare name for the script's own (a class
    defined in a function too: ``make.<locals>.Local`` is no expression)."""
    try:
        found = _callers_name(obj)
    except Exception:  # a caller's global that cannot be looked at (a lazy proxy): the public path
        found = None
    if found is not None:
        return found
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or obj.__name__
    if "<locals>" in name:
        return str(obj.__name__)
    if module in ("", "__main__", "builtins"):
        return name
    return f"{_public_module(obj, module, name)}.{name}"


def _public_module(obj: Any, module: str, name: str) -> str:
    """The shortest package above ``module`` that exports ``obj`` as ``name`` (``torch.nn`` for
    ``torch.nn.modules.linear``), else ``module`` itself."""
    parts = module.split(".")
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if _resolve(sys.modules.get(package), name) is obj:
            return package
    return module


def _callers_name(obj: Any) -> str | None:
    """The expression the module of the nearest frame outside linearnets (and the wrappers of its
    functions) has for ``obj``: a name bound to it, or a module's name and the path from it
    (``nn.Linear``, ``torch.nn.Linear``); the shortest, ``None`` where that module has none."""
    frame = inspect.currentframe()
    while frame is not None and _in_library(frame.f_globals.get("__name__")):
        frame = frame.f_back
    if frame is None:
        return None
    # its module's names, where the imports are: a function's locals may name the argument it
    # passes on (net = net(...) would read as the model)
    names = frame.f_globals
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or obj.__name__
    public = f"{_public_module(obj, module, name)}.{name}"
    found = []
    for bound, value in list(names.items()):
        # IPython's outputs (_, _12), a module's private names; a key set by hand may be no str
        if not isinstance(bound, str) or bound.startswith("_"):
            continue
        if value is obj:
            found.append(bound)
            continue
        # type(), not isinstance(): a lazy proxy's __class__ may raise; a module of a subclass
        # (module properties, a lazy loader's) is a module too
        module_like = issubclass(type(value), types.ModuleType)
        prefix = getattr(value, "__name__", None) if module_like else None
        if isinstance(prefix, str) and public.startswith(f"{prefix}."):
            rest = public[len(prefix) + 1 :]
            if _resolve(value, rest) is obj:
                found.append(f"{bound}.{rest}")
    return min(found, key=len, default=None)


# the packages between the caller and this check: linearnets' own, and the wrappers of its
# functions (torch.no_grad's, contextlib's, functools')
_LIBRARY = frozenset({"linearnets", "torch", "contextlib", "functools"})


def _in_library(module: object) -> bool:
    """Whether ``module`` (a frame's ``__name__``) is linearnets' own or a wrapper's."""
    return isinstance(module, str) and module.partition(".")[0] in _LIBRARY


def _resolve(root: object, path: str) -> object:
    """``root`` followed along the dotted ``path``, or ``None`` where an attribute is missing."""
    value = root
    for part in path.split("."):
        try:
            value = getattr(value, part, None)
        except Exception:  # any: a module's own __getattr__ may raise what it likes
            return None
        if value is None:
            return None
    return value


def _required_arguments(cls: type) -> str:
    """Return the arguments ``cls(...)`` needs, by name (``"in_features, out_features"``), or
    ``"..."`` for a class that takes any (``nn.Sequential(*args)``); ``""`` where none is needed."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return "..."
    needed = [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if not needed and any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return "..."
    return ", ".join(needed)


def check_net_tensors(net: Net) -> None:
    """Raise if ``net``'s parameters cannot be trained: on the meta device
    (:func:`check_net`), or inference tensors while training runs outside inference
    mode.

    A model built inside ``torch.inference_mode()`` holds inference tensors, which no update may
    change in place outside it: torch would fail at the first step, after a forward and backward,
    in its own words. Inside inference mode they may be updated (an analytic model trains there).
    """
    check_net(net)
    if torch.is_inference_mode_enabled():
        return
    if any(p.is_inference() for p in _tensor_params(net)):
        raise UsageError(
            "net's parameters must be ordinary tensors, got inference tensors: the model's "
            "parameters were created under torch.inference_mode(), and torch refuses to update "
            "them outside it; build the model outside torch.inference_mode() (use torch.no_grad() "
            "for a cell that only predicts)"
        )


def _tensor_params(net: Net) -> list[torch.Tensor]:
    """Return ``net.parameters()``'s tensors, or none where ``net`` has no such method."""
    if not callable(getattr(net, "parameters", None)):
        return []
    try:
        params = list(net.parameters())  # type: ignore[attr-defined]
    except TypeError:  # not torch's layout: nothing to check
        return []
    # a lazy module's parameters (nn.LazyLinear) get their shape and values at the first forward:
    # until then every tensor query on them raises
    return [p for p in params if isinstance(p, torch.Tensor) and not is_lazy(p)]
