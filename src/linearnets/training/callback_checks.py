"""The check of the callbacks passed to :func:`~linearnets.training.loop.fit`: objects with fit's hooks,
each able to take the arguments fit passes it (D2L §3.6.6).

A callback fit would never call (a ``LiveCurves`` not wrapped in a ``CurvesCallback``, a ``History``,
``print``), a method named like a hook but none (``on_epoch_ended``, Keras' ``on_train_begin``), which
fit would never call, or a hook that would fail on its first call, after a whole epoch of training,
is refused before any step, naming the callback's index, the rule and the fix. Only the methods the
user's own classes define are held to the hooks' names: not those a base class of an installed
package brings (traitlets' ``on_trait_change``), nor a function stored on the object. A subclass of
:class:`~linearnets.training.callback_base.Callback` is held to them as it is defined.
"""

from __future__ import annotations

import inspect
import os
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from typing import Any

from linearnets._check_basics import refused_arguments
from linearnets.config_values import likely_meant
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.history import History

__all__ = ["HOOKS", "check_callbacks", "check_on_step", "misnamed_hook", "not_a_hook"]


# the hooks fit calls, with the arguments it passes (fit_hooks.py: call_hook's keywords, step_hook's
# positional step and losses); placeholders stand for the values, for Signature.bind
HOOKS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "on_fit_start": ((), {"num_epochs": 1, "start_epoch": 0}),
    "on_epoch_start": ((), {"epoch": 1, "num_batches": None}),
    "on_batch_end": ((0, None), {}),
    "on_epoch_end": ((), {"metrics": None}),
    "on_fit_end": ((), {"history": None}),
}
_CALLS = {
    "on_fit_start": "on_fit_start(num_epochs=..., start_epoch=...)",
    "on_epoch_start": "on_epoch_start(epoch=..., num_batches=...)",
    "on_batch_end": "on_batch_end(step, losses), positionally",
    "on_epoch_end": "on_epoch_end(metrics=...)",
    "on_fit_end": "on_fit_end(history=...)",
}
_DEFS = {
    "on_fit_start": "def on_fit_start(self, *, num_epochs, start_epoch)",
    "on_epoch_start": "def on_epoch_start(self, *, epoch, num_batches)",
    "on_batch_end": "def on_batch_end(self, step, losses)",
    "on_epoch_end": "def on_epoch_end(self, *, metrics)",
    "on_fit_end": "def on_fit_end(self, *, history)",
}


def check_callbacks(callbacks: Any) -> list[Any]:
    """Return ``callbacks`` as a list if it is a sequence of callback objects, else raise naming it.

    A callback object has at least one of fit's hooks (:data:`HOOKS`), each able to take the
    arguments fit passes it: an object fit would never call (a ``LiveCurves`` not wrapped in a
    ``CurvesCallback``, a ``History``, ``print``), or a hook that would fail on its first call
    (after a whole epoch of training), is refused here, before any.

    The runs (``run_softmax``, ``resume_softmax``, ``run_linreg``) check theirs before they claim a
    folder or load data, and in the user's own numbering (their own callbacks come first in ``fit``).
    """
    if isinstance(callbacks, str) or not isinstance(callbacks, Sequence):
        raise UsageTypeError(
            f"callbacks must be a list of callback objects, got {type(callbacks).__name__}; pass "
            "e.g. callbacks=[ConsoleLogger()]"
        )
    for i, cb in enumerate(callbacks):
        if isinstance(cb, type):  # the class itself: its hooks would be called without `self`
            raise UsageTypeError(
                f"callbacks[{i}] must be a callback object, got the class {cb.__name__}; pass an "
                f"instance: {cb.__name__}()"
            )
        _check_names(i, cb)
        hooks = [hook for hook in HOOKS if getattr(cb, hook, None) is not None]
        if not hooks:
            raise UsageTypeError(_no_hooks(i, cb))
        for hook in hooks:
            _check_hook(i, cb, hook)
    _check_curves_once(callbacks)
    return list(callbacks)


def _check_curves_once(callbacks: Sequence[Any]) -> None:
    """Raise if a ``CurvesCallback`` is listed twice, or two of them share one curves object.

    Each epoch would reach the curves twice: from epoch 2 on the second was refused, after the
    epoch was trained, as "epoch must come after the last epoch" (a fix that could not help), and
    at epoch 1 it started them over without a word.
    """
    from linearnets.training.callbacks import CurvesCallback  # it imports this module

    firsts: dict[int, int] = {}  # id of a callback or of its curves -> index of its first
    for j, cb in enumerate(callbacks):
        if not isinstance(cb, CurvesCallback):
            continue
        i = firsts.get(id(cb))
        if i is not None:
            raise UsageError(
                f"callbacks[{i}] and callbacks[{j}] are the same CurvesCallback listed twice: it "
                "would send each epoch to its curves twice; list it once"
            )
        i = firsts.get(id(cb.curves))
        if i is not None:
            kind = type(cb.curves).__name__
            raise UsageError(
                f"callbacks[{i}] and callbacks[{j}] share one {kind}: each epoch would be sent to "
                f"it twice; pass one CurvesCallback for it, or give each its own {kind}"
            )
        firsts[id(cb)] = firsts[id(cb.curves)] = j


def _check_names(i: int, cb: Any) -> None:
    """Raise if ``callbacks[i]`` has a method named like a hook but none: fit would never call it.

    Only the methods the user wrote are looked at: those defined in its class and its bases but
    ``object`` and the classes of installed packages and of the standard library (see
    :func:`_library_class`), whose own ``on_…`` methods (traitlets' ``on_trait_change``, which
    every ipywidgets widget has) are theirs, not misnamed hooks. Attributes set on the object
    (``self.on_best = notify``, a function it was given) are no methods of it: not looked at.
    A few dictionaries, once per fit. A subclass of ``Callback`` was checked as it was defined;
    its other bases, and a class of no Callback (fit needs no base class), are checked here.
    """
    for cls in type(cb).__mro__[:-1]:
        if _library_class(cls):
            continue
        name = misnamed_hook(vars(cls))
        if name is not None:
            raise UsageTypeError(not_a_hook(f"callbacks[{i}]'s", type(cb).__name__, name))


def _library_class(cls: type) -> bool:
    """Return whether ``cls`` comes from an installed package or the standard library (a module
    file under site-packages, dist-packages or the standard library's folder, or one of no file, a
    builtin), not from the user's code (``__main__``, a notebook's, or a module of their own)."""
    if cls.__module__ == "__main__":
        return False
    module = sys.modules.get(cls.__module__)
    if module is None:  # a class made by exec(), or its module gone: the user's
        return False
    file = getattr(module, "__file__", None)
    if not file:
        return True  # a builtin or compiled-in module
    path = os.path.realpath(file)
    parts = set(path.split(os.sep))
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return any(path.startswith(root + os.sep) for root in _stdlib_roots())


def _stdlib_roots() -> tuple[str, ...]:
    """Return the standard library's folders, resolved."""
    paths = sysconfig.get_paths()
    return tuple({os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib") if key in paths})


def misnamed_hook(namespace: Mapping[str, Any]) -> str | None:
    """Return the first method in ``namespace`` (a class's or an object's attributes) named
    ``on_…`` that is none of fit's hooks (:data:`HOOKS`), else ``None``; ``On_epoch_end`` too, named
    as the hook but for its capitals. Other attributes (a flag ``on_gpu``) are no hooks."""
    for name, value in namespace.items():
        method = callable(value) or isinstance(value, (staticmethod, classmethod))
        if name[:3].lower() == "on_" and name not in HOOKS and method:
            return name
    return None


# other libraries' names for a hook (Keras', Lightning's), which spelling distance misses or
# mistakes (on_epoch_begin is nearest on_epoch_end), and names for a hook before each batch
_OTHER_NAMES = {
    "on_train_begin": "on_fit_start",
    "on_train_start": "on_fit_start",
    "on_fit_begin": "on_fit_start",
    "on_epoch_begin": "on_epoch_start",
    "on_train_epoch_start": "on_epoch_start",
    "on_train_epoch_end": "on_epoch_end",
    "on_train_batch_end": "on_batch_end",
    "on_step": "on_batch_end",
    "on_step_end": "on_batch_end",
    "on_train_end": "on_fit_end",
}
_BEFORE_BATCH = {"on_batch_begin", "on_batch_start", "on_train_batch_start", "on_step_start"}


def not_a_hook(owner: str, cls_name: str, name: str) -> str:
    """Return the error for the method ``name`` of class ``cls_name``, named like a hook but none,
    and its fix; ``owner`` says whose methods the rule is for (``"a Callback's"``,
    ``"callbacks[1]'s"``)."""
    head = (
        f"{owner} methods named on_... must be fit's hooks ({', '.join(HOOKS)}), got "
        f"{cls_name}.{name}, which fit would never call"
    )
    if name in _BEFORE_BATCH:
        return (
            f"{head}; fit calls no hook before a batch: on_batch_end(step, losses) runs after "
            "each step (a method of your own: name it without on_)"
        )
    hook = _OTHER_NAMES.get(name)
    meant = f"did you mean {hook!r}?" if hook else likely_meant(name, HOOKS, one_edit=True)
    if meant is not None:
        return f"{head}; {meant} (a method of your own: name it without on_)"
    return (
        f"{head}; rename it to the hook it is for, or, if it is a method of your own, to a name "
        "without on_"
    )


def _no_hooks(i: int, cb: Any) -> str:
    """Return the error for ``callbacks[i]``, an object with none of fit's hooks, and its fix."""
    hooks = ", ".join(HOOKS)
    kind = type(cb).__name__
    head = f"callbacks[{i}] must be a callback object with at least one of fit's hooks ({hooks})"
    if isinstance(cb, History):
        return (
            f"{head}, got a History, the record fit returns, not a callback; to add the new "
            f"epochs to it pass history=h with start_epoch=len(h.epochs) (here {len(cb.epochs)})"
        )
    # LiveCurves, or other curves with update(epoch, values)
    if callable(getattr(cb, "update", None)):
        return (
            f"{head}, got {kind}, which fit would never call: curves are drawn by a callback "
            f"that sends them each epoch; pass CurvesCallback({kind}(...)) instead "
            f"(linearnets.CurvesCallback)"
        )
    what = (
        f"the function {getattr(cb, '__qualname__', kind)}"
        if callable(cb)
        else f"an object of type {kind}, which has none of them"
    )
    return (
        f"{head}, got {what}; fit calls a callback's methods by these names, so define a class, "
        "e.g. class Show(linearnets.Callback): def on_epoch_end(self, *, metrics): "
        "print(metrics), and pass Show()"
    )


def _check_hook(i: int, cb: Any, hook: str) -> None:
    """Raise unless ``callbacks[i]``'s ``hook`` can be called as fit calls it."""
    method = getattr(cb, hook)
    if not callable(method):
        raise UsageTypeError(
            f"callbacks[{i}].{hook} must be a method, got {type(method).__name__} "
            f"{method!r:.40}; define it as {_DEFS[hook]}: ..."
        )
    args, kwargs = HOOKS[hook]
    refused = refused_arguments(method, *args, **kwargs)
    if refused:
        signature, exc = refused
        raise UsageTypeError(
            f"callbacks[{i}].{hook} must take the arguments fit passes, "
            f"{_CALLS[hook]}, got {type(cb).__name__}.{hook}{_bare(signature)} ({exc}); define "
            f"it as {_DEFS[hook]}: ... (see linearnets.Callback)"
        ) from None


def _bare(signature: inspect.Signature) -> inspect.Signature:
    """Return ``signature`` without annotations: the names and defaults are what fails to bind."""
    empty = inspect.Parameter.empty
    return signature.replace(
        parameters=[p.replace(annotation=empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )


def check_on_step(on_step: Any) -> None:
    """Raise unless ``on_step`` is ``None`` or a function fit and train_epoch can call after each
    step as ``on_step(step, losses)``: refused before the first step, not after its update."""
    if on_step is None:
        return
    fix = "pass a function of the step index and the batch's losses, e.g. on_step=lambda step, losses: ..."
    if not callable(on_step):
        raise UsageTypeError(f"on_step must be a function or None, got {on_step!r:.40}; {fix}")
    refused = refused_arguments(on_step, 0, None)
    if refused:
        signature, exc = refused
        raise UsageTypeError(
            f"on_step must take the arguments passed after each step, on_step(step, losses), got "
            f"{getattr(on_step, '__qualname__', type(on_step).__name__)}{_bare(signature)} ({exc}); "
            f"{fix}"
        ) from None
