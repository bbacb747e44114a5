"""Whose a hook of ``fit`` is, linearnets' own or yours, and the errors of yours marked as such.

A step hook of yours is handed a copy of the step's losses (:func:`own_hook`); an exception one of
your callbacks raises is marked (:func:`mark_callbacks_error`), so that a whole run tells its own
stops (a checkpoint or metrics file unwritten, its divergence guard, a lost peer), which keep the
run folder and name the resume, from a callback's own error, which goes on as it is, a new run's
folder left as it was found (D2L §3.6.6).
"""

from __future__ import annotations

import contextlib
import types
from pathlib import Path

__all__ = [
    "mark_callbacks_error",
    "mark_runs_own",
    "mark_yours",
    "own_hook",
    "raised_by_callback",
]

# the attribute set on an exception a callback of yours raised
_MARK = "raised_by_callback"
# the attribute set on a run file's error, which no callback's mark overrides
_RUNS = "a_run_files_error"


def _linearnets(module: object) -> bool:
    return isinstance(module, str) and (module == "linearnets" or module.startswith("linearnets."))


def own_hook(hook: object) -> bool:
    """Return whether the hook ``hook`` is linearnets' own: a function of the library, a method of
    an object whose class (``type(obj)``, not a base of it) is the library's, or such an object
    called; a hook of yours (a subclass of a library class included, whose inherited method may
    call one it overrides: a ``DivergenceGuard`` subclass's ``__call__``) is handed a copy of a
    step's losses (:class:`~linearnets.training.fit_hooks.StepHooks`,
    :func:`~linearnets.training.loop.train_epoch`).

    The no-op hooks of :class:`~linearnets.training.callback_base.Callback`, which call nothing,
    are the library's in any subclass.
    """
    if hook is None:
        return False
    if isinstance(hook, types.MethodType):  # a bound method: its function and its object's class
        function, owner = hook.__func__, type(hook.__self__)
        if _no_op(function):
            return True
        return _linearnets(getattr(function, "__module__", None)) and _linearnets(owner.__module__)
    if isinstance(hook, types.FunctionType | types.BuiltinFunctionType):
        return _linearnets(getattr(hook, "__module__", None))
    # a callable object (a functools.partial too, whose class is not the library's)
    return callable(hook) and _linearnets(type(hook).__module__)


def _no_op(function: object) -> bool:
    """Return whether ``function`` is one of :class:`Callback`'s hooks, which do nothing."""
    from linearnets.training.callback_base import Callback

    return any(function is vars(Callback).get(name) for name in _CALLBACK_HOOKS)


_CALLBACK_HOOKS = ("on_fit_start", "on_epoch_start", "on_batch_end", "on_epoch_end", "on_fit_end")


def mark_callbacks_error(exc: BaseException, hook: object) -> None:
    """Mark ``exc``, raised by ``hook``, as a callback's own where ``hook`` is not linearnets'
    (:func:`own_hook`). A ``DivergenceError`` of a ``DivergenceGuard`` (a subclass's too) stays
    unmarked: the guard is the run's in spirit, wherever it was passed, and its advice (a resume at
    a smaller lr) holds, nor does a file of the run folder's (:func:`mark_runs_own`). An exception
    marked already keeps its mark."""
    from linearnets.errors import DivergenceError
    from linearnets.training.checkpoint_write import current_run
    from linearnets.training.guard import DivergenceGuard

    if own_hook(hook) or _runs_file_of(exc, current_run()):
        return
    owner = hook.__self__ if isinstance(hook, types.MethodType) else hook
    if isinstance(exc, DivergenceError) and isinstance(owner, DivergenceGuard):
        return
    mark_yours(exc)


def mark_runs_own(exc: BaseException, run_dir: Path) -> None:
    """Mark ``exc`` as a file of the run in ``run_dir`` unwritten, whoever raised it (a writer of
    yours, of a subclass too, writing there): that run's stops treat it as its own files' (the
    folder kept, the resume its message advises working), not as a callback's. A run inside a
    callback of another is another run: its error is that callback's, to the outer run."""
    with contextlib.suppress(AttributeError, TypeError):  # an exception taking no attributes
        setattr(exc, _RUNS, run_dir)


def _runs_file_of(exc: BaseException, run_dir: Path | None) -> bool:
    """Whether ``exc`` is a file of the run in ``run_dir`` unwritten (:func:`mark_runs_own`)."""
    return run_dir is not None and getattr(exc, _RUNS, None) == run_dir


def mark_yours(exc: BaseException) -> None:
    """Mark ``exc`` as a callback's own, whoever raised it: a file of yours a writer of the
    library's could not write outside the run folder
    (:func:`~linearnets.training.checkpoint_write.the_run_in`) is no file of the run's."""
    with contextlib.suppress(AttributeError, TypeError):  # an exception taking no attributes
        setattr(exc, _MARK, True)


def raised_by_callback(exc: BaseException) -> bool:
    """Return whether ``exc`` was raised by a callback of yours (:func:`mark_callbacks_error`)."""
    return getattr(exc, _MARK, False) is True
