"""Whether a model is certain to hold no weights, so that NaN scores are never blamed on them nor
on an lr (:mod:`linearnets.model_checks`); looked at only once scores came out NaN (D2L §3.6).

A model can hold weights where torch does not list them: the book's 2nd edition keeps
``self.W = torch.normal(..., requires_grad=True)`` as a plain attribute and overrides
``parameters()``; a ``Lambda`` module closes over a global ``W``; layers sit in a plain Python
list; a ``forward`` reads a global tensor. Only a model whose every reachable value has been seen
to be no tensor is said to hold none.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

__all__ = ["holds_no_weights"]

# the packages whose objects a model's code may name without reaching a weight of the user's
_TRUSTED = frozenset(
    ("torch", "numpy", "linearnets", "math", "builtins", "operator", "functools", "itertools")
)
_PLAIN = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device)
# torch's registries, looked at through named_parameters() and named_buffers(), and modules()
_REGISTRIES = frozenset({"_parameters", "_buffers", "_modules"})


def holds_no_weights(net: Any) -> bool:
    """Return whether ``net`` is certain to hold no floating-point weights.

    ``True`` only for an ``nn.Module`` such that:

    1. ``net.parameters()``, the method as its class defines it (the book's 2nd edition returns
       ``[self.W, self.b]``), and ``named_parameters()`` yield nothing, and no buffer is of a
       floating-point or complex dtype (an integer one is no weight);
    2. every submodule keeps in its attributes, past torch's registries of parameters, buffers
       and submodules, only plain values: ``None``, bools, numbers, strings, dtypes, devices and
       containers of them (torch's hook registries, empty, are such). A tensor, a module in a
       plain list, a function (a ``Lambda``'s), a hook or any other object may hold or reach one;
    3. every submodule whose class is not torch's own defines, in that class and its bases up to
       torch's, only plain values and functions whose code (nested functions and comprehensions
       too), defaults and closure name no tensor nor module, and no object but plain values and
       Python modules, functions and classes of torch, numpy, linearnets, math and the standard
       library's ``operator``, ``functools`` and ``itertools``: a global ``W``, or
       a function or object of the user's that may read one, could be a weight.

    Anything else is not known to hold none: a function or closure (whose globals may reach a
    tensor another way), an object with ``parameters()`` that is no ``nn.Module``, a module whose
    listing raises. A name the code uses as an attribute (``self.W``) that is also a global's
    counts as the global's: the rule errs toward "not known", never toward "none".
    """
    if not isinstance(net, nn.Module):
        return False
    try:
        if next(iter(net.parameters()), None) is not None:
            return False
        if next(net.named_parameters(), None) is not None:
            return False
        if any(b.is_floating_point() or b.is_complex() for _, b in net.named_buffers()):
            return False
        modules = list(net.modules())
    except Exception:  # a module that fails to list its tensors is not known to hold none
        return False
    return all(_plain_attributes(m) and _plain_class(type(m)) for m in modules)


def _plain_attributes(module: nn.Module) -> bool:
    """Whether ``module``'s own attributes, past torch's registries, are all plain values."""
    return all(_plain(value) for key, value in vars(module).items() if key not in _REGISTRIES)


def _plain(value: object, depth: int = 0) -> bool:
    """Whether ``value`` is a plain value, or a container of them, that can reach no tensor."""
    if isinstance(value, _PLAIN) or type(value) is torch.Size:
        return True
    if depth > 4:
        return False
    if isinstance(value, tuple | list | set | frozenset):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _trusted(value: object) -> bool:
    """Whether ``value`` is a Python module, function or class of a trusted package."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
    elif isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
        name = getattr(value, "__module__", None) or ""
    else:
        return False
    return name.partition(".")[0] in _TRUSTED


def _plain_class(cls: type) -> bool:
    """Whether the classes of ``cls``'s method resolution order that are not torch's define only
    plain values and functions that name no weight (see :func:`holds_no_weights`)."""
    mro = cls.__mro__
    for base in mro:
        if _trusted(base):
            continue
        for key, value in vars(base).items():
            functions = list(_functions(value))
            if functions:
                if not all(_names_no_weight(f, mro) for f in functions):
                    return False
            elif not (key.startswith("__") and key.endswith("__")) and not _plain(value):
                return False  # a class attribute W = torch.zeros(...), a nested class
    return True


def _functions(value: object) -> Iterator[types.FunctionType]:
    """Yield the functions a class attribute runs: a method, a static or class method's, a
    property's getter, setter and deleter."""
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        yield from (
            f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType)
        )
    elif isinstance(value, types.FunctionType):
        yield value


def _names_no_weight(function: types.FunctionType, mro: tuple[type, ...]) -> bool:
    """Whether ``function``'s globals (those its code names), closure and defaults reach no
    tensor, module or object of the user's (a super() call's ``__class__`` is the class itself)."""
    scope = function.__globals__  # a name not there is a builtin's, or unbound
    values = [scope[name] for name in _code_names(function.__code__) if name in scope]
    values += [cell.cell_contents for cell in function.__closure__ or () if _filled(cell)]
    values += list(function.__defaults__ or ()) + list((function.__kwdefaults__ or {}).values())
    return all((isinstance(v, type) and v in mro) or _plain(v) or _trusted(v) for v in values)


def _filled(cell: types.CellType) -> bool:
    """Whether a closure ``cell`` holds a value yet."""
    try:
        cell.cell_contents  # noqa: B018 (the access is the test)
    except ValueError:
        return False
    return True


def _code_names(code: types.CodeType) -> set[str]:
    """Return the global and attribute names ``code`` and the code nested in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names
