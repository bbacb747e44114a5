"""Whether a model is certain to hold no weights, so that NaN scores are never blamed on them nor
on an lr (:mod:`linearnets.model_checks`); looked at only once scores came out NaN (D2L §3.6).

A model can hold weights where torch does not list them: the book's 2nd edition keeps
``self.W = torch.normal(..., requires_grad=True)`` as a plain attribute and overrides
``parameters()``; a ``Lambda`` module closes over a global ``W``; layers sit in a plain Python
list; a ``forward`` reads a global tensor, by its name or by one it is given (``globals()["W"]``,
``eval("W")``, ``sys.modules[...]``). Only a model whose every reachable value has been seen to be
no tensor, by code that reads no variable it does not name, is said to hold none.
"""

from __future__ import annotations

import builtins
import dis
import operator
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
# the names by which code reads a variable it never names (globals()["W"], eval("W"),
# getattr(f, "__globals__"), F.__dict__) or reaches another module's (sys.modules[...].W,
# importlib.import_module(...).W, __import__(...)): the code names no weight, yet may read one
_DYNAMIC = frozenset(
    {
        "globals", "locals", "vars", "eval", "exec", "compile", "getattr", "__import__",
        "__dict__", "__globals__", "__builtins__", "__getattribute__", "f_globals", "f_locals",
        "sys", "importlib", "inspect", "attrgetter", "methodcaller",
    }
)  # fmt: skip
# the same, as values a function may hold under another name (g = globals, a default getattr):
# builtins' and operator's, which count as trusted otherwise
_DYNAMIC_VALUES = tuple(getattr(builtins, name) for name in sorted(_DYNAMIC & set(dir(builtins))))
_DYNAMIC_VALUES += (operator.attrgetter, operator.methodcaller)
# nn.Module's methods named as builtins of _DYNAMIC are: a method's self.eval() is no eval
_MODULE_METHODS = frozenset(name for name in _DYNAMIC if callable(getattr(nn.Module, name, None)))
_MODULE_METHODS -= {name for name in _MODULE_METHODS if name.startswith("__")}


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
       a function or object of the user's that may read one, could be a weight. Nor does the
       code read a name it does not write out, or another module's: it names none of
       ``globals``, ``locals``, ``vars``, ``eval``, ``exec``, ``compile``, ``getattr``,
       ``__import__``, ``__dict__``, ``__globals__``, ``__builtins__``, ``__getattribute__``,
       ``f_globals``, ``f_locals``, ``sys``, ``importlib``, ``inspect``, ``attrgetter`` or
       ``methodcaller`` (``X @ globals()["W"]``, ``eval("W")``, ``sys.modules[...].W``; a
       method's ``self.eval()`` is nn.Module's), holds none of those functions under another
       name (a closure's ``g = globals``), and imports nothing but those packages.

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
    """Whether ``value`` is a Python module, function or class of a trusted package, and none
    that reads a variable by a name it is given (``globals``, ``getattr``: :data:`_DYNAMIC`)."""
    if any(value is dynamic for dynamic in _DYNAMIC_VALUES):
        return False
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
                method = not isinstance(value, staticmethod)  # its first argument is self
                if not all(_names_no_weight(f, mro, method=method) for f in functions):
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


def _names_no_weight(
    function: types.FunctionType, mro: tuple[type, ...], *, method: bool = False
) -> bool:
    """Whether ``function``'s globals (those its code names), closure and defaults reach no
    tensor, module or object of the user's (a super() call's ``__class__`` is the class itself),
    and its code reads no variable by a name it is given nor imports another package's module
    (``method``: its first argument is the model, whose ``self.eval()`` is no ``eval``)."""
    if _reads_unnamed(function.__code__, method=method):
        return False  # globals()["W"], eval("W"), import sys: any weight may be read
    names = _code_names(function.__code__)
    scope = function.__globals__  # a name not there is a builtin's, or unbound
    values = [scope[name] for name in names if name in scope]
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


def _reads_unnamed(code: types.CodeType, *, method: bool = False) -> bool:
    """Whether ``code``, or code nested in it, may read a variable it does not name: it names
    one of :data:`_DYNAMIC`, or imports a package that is not trusted (``from . import``, a
    user's module). Where ``code`` is a ``method``'s, ``self.eval()`` and ``self.compile()``
    are nn.Module's methods, not the builtins: passed over while the code never assigns
    ``self``."""
    instructions = list(dis.get_instructions(code))
    own = code.co_varnames[0] if method and code.co_argcount else None
    if any(i.opname in ("STORE_FAST", "DELETE_FAST") and i.argval == own for i in instructions):
        own = None  # self = builtins: its eval is the builtin
    for at, instruction in enumerate(instructions):
        if instruction.opname == "IMPORT_NAME":
            # the level is loaded two instructions before: 0 for an absolute import
            level = instructions[at - 2].argval if at >= 2 else None
            if level != 0 or str(instruction.argval).partition(".")[0] not in _TRUSTED:
                return True
        elif instruction.opcode in dis.hasname and instruction.argval in _DYNAMIC:
            before = instructions[at - 1] if at else None
            modules_method = (
                instruction.argval in _MODULE_METHODS
                and instruction.opname in ("LOAD_ATTR", "LOAD_METHOD")
                and before is not None
                and before.opname.startswith("LOAD_FAST")
                and own is not None
                and before.argval == own
            )
            if not modules_method:
                return True
    return any(_reads_unnamed(c) for c in code.co_consts if isinstance(c, types.CodeType))
