"""How :func:`~linearnets.training.loop.fit` calls its callbacks and step hooks, and tidies them
when an epoch raises: open progress bars erased, divergence guards flushed, and a Ctrl-C handed the
history of the finished epochs (D2L §3.6.6).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch

from linearnets.errors import DivergenceError, one_line_in_ipython
from linearnets.training.evaluation import Batches
from linearnets.training.history import History
from linearnets.training.hook_owners import mark_callbacks_error, own_hook

# how keep_history's note starts: a whole run, which never called fit, drops it (run_stop_note)
FIT_STOP_NOTE = "fit was interrupted after"


def on_stop(
    exc: BaseException,
    callbacks: Sequence[Any],
    on_step: Callable[[int, torch.Tensor], None] | None,
    history: History,
) -> None:
    """Tidy up after ``exc`` stopped fit's epochs; the caller then re-raises it."""
    # a bar left open (a Ctrl-C, a diverged loss) holds the line the error would start on
    close_bars(callbacks)
    if isinstance(exc, DivergenceError):
        flush_guards([*callbacks, on_step])
    release_batches([*callbacks, on_step])
    from linearnets.training.interrupt import plain_stop  # imports the callbacks

    # Ctrl-C (a kernel interrupt) with no GracefulInterrupt, or a callback's own stop, of a
    # subclass of KeyboardInterrupt too (it got no history, nor the note)
    if plain_stop(exc):
        keep_history(exc, history)
    else:
        hand_history(exc, history)


def hand_history(exc: BaseException, history: History) -> None:
    """Hand ``exc`` (any error that stopped fit, a callback's ``ValueError`` too) the history of
    the finished epochs as its ``.history``, where it takes attributes and holds no ``history``
    of its own; its type and message kept.
    """
    if getattr(exc, "history", history) is not history:  # an error of yours with its own
        return
    with contextlib.suppress(AttributeError, TypeError):  # __slots__, or a read-only property
        exc.history = history  # type: ignore[attr-defined]


def keep_history(exc: KeyboardInterrupt, history: History) -> None:
    """Hand ``exc`` the history of the epochs that finished, and say how to go on (a note).

    A Ctrl-C in a notebook's ``history = fit(...)`` left ``history`` unassigned: the finished
    epochs' metrics were lost, while the model kept its weights. IPython and Jupyter show the stop
    as its one line, as a whole run's (a traceback of 40 lines into torch's autograd engine, the
    note at its bottom, and none on Python 3.10), naming where the uncaught exception is kept.
    """
    done = len(history.epochs)
    with contextlib.suppress(AttributeError, TypeError):  # __slots__, or a read-only property
        exc.history = history  # type: ignore[attr-defined]
    if getattr(exc, "history", None) is history:
        line = (
            f"{FIT_STOP_NOTE} {done} finished epoch(s); the model keeps the weights of its "
            "last step, and this exception their metrics: import sys; history = "
            "sys.last_value.history (in the next cell). To go on, call fit again with "
            f"start_epoch={done} and history=history (a history passed to fit is extended in "
            "place, so it keeps them however fit stops)"
        )
        note = (
            f"{FIT_STOP_NOTE} {done} finished epoch(s), whose metrics are this "
            "exception's .history; the model keeps the weights of its last step. To go on, call "
            f"fit again with start_epoch={done} and history=that History (a history passed to "
            "fit is extended in place, so it keeps them however fit stops)"
        )
    else:  # a stop of yours whose history is its own
        line = note = (
            f"{FIT_STOP_NOTE} {done} finished epoch(s); the model keeps the weights of its last "
            "step, but this exception's own .history could not take their metrics, which only a "
            "History passed to fit as history= keeps (fit extends it in place); to go on, call "
            f"fit again with start_epoch={done} and that History"
        )
    one_line_in_ipython(exc, line)
    if hasattr(exc, "add_note"):  # Python 3.11+: shown under the traceback
        exc.add_note(note)


def close_bars(callbacks: Sequence[Any]) -> None:
    """Erase the progress bar of each :class:`~linearnets.training.callbacks.ConsoleLogger` in
    ``callbacks`` (one an epoch that raised left open)."""
    from linearnets.training.callbacks import ConsoleLogger

    for cb in callbacks:
        if isinstance(cb, ConsoleLogger):
            # a stream closed too (| head) must not put its error in the place of the one raised
            with contextlib.suppress(OSError, ValueError):
                cb.close()


def flush_guards(hooks: Sequence[Any]) -> None:
    """Let each :class:`~linearnets.training.guard.DivergenceGuard` in ``hooks`` check the steps it
    holds unread, raising its error, which names the epoch, the step and a smaller lr.

    The epoch's totals stop a classifier whose scores went NaN when they read back (at its end, or
    every 64 steps), while a guard reads its steps every 16 on a CPU: in a shorter epoch, or its last
    steps, the totals' error would otherwise stand for the guard's, which names the epoch.
    """
    from linearnets.training.guard import DivergenceGuard

    for hook in hooks:
        if isinstance(hook, DivergenceGuard):
            hook.flush()


def release_batches(hooks: Sequence[Any]) -> None:
    """Have each :class:`~linearnets.training.guard.DivergenceGuard` in ``hooks`` let go of the
    batches it holds for steps not read back (after :func:`flush_guards`: fit stopped, and no
    flush will look at them), so that they keep neither the data nor the loader alive."""
    from linearnets.training.guard import DivergenceGuard

    for hook in hooks:
        if isinstance(hook, DivergenceGuard):
            hook.end_watch(failed=True)


def call_hook(callback: Any, hook: str, **kwargs: Any) -> None:
    """Call ``callback``'s ``hook`` (if it has one) with ``kwargs``; an error of a callback of yours
    is marked as its own (:func:`~linearnets.training.hook_owners.mark_callbacks_error`)."""
    method = getattr(callback, hook, None)
    if method is None:
        return
    try:
        method(**kwargs)
    except Exception as exc:
        mark_callbacks_error(exc, method)
        raise


def check_fit_starts(callbacks: Sequence[Any], *, num_epochs: int, start_epoch: int) -> None:
    """Run the refusals of linearnets' own callbacks that must come before any ``on_fit_start``
    (a ``CurvesCallback``'s ``check_fit_start``: a continued fit going back over its points).

    Only the library's: ``check_fit_start`` is no hook of fit's, and a callback of yours may have
    an attribute of that name for its own use (a method of another signature, a flag).
    """
    from linearnets.training.callbacks import CurvesCallback  # callbacks import the loop's modules

    for cb in callbacks:
        if isinstance(cb, CurvesCallback):
            cb.check_fit_start(num_epochs=num_epochs, start_epoch=start_epoch)


def step_hook(
    callbacks: Sequence[Any], on_step: Callable[[int, torch.Tensor], None] | None
) -> StepHooks | None:
    """Return the one hook run after each step: ``on_step``, then each callback's ``on_batch_end``.

    A :class:`~linearnets.training.guard.DivergenceGuard` passed as ``on_step`` and among the
    callbacks too (or twice among them) checks each step once, where it first comes: twice, it
    would count each step's examples twice.
    """
    from linearnets.training.guard import DivergenceGuard

    # a hook set to None is absent, as call_hook and check_callbacks have it
    guards = [on_step] if isinstance(on_step, DivergenceGuard) else []
    batch_hooks = []
    for cb in callbacks:
        if isinstance(cb, DivergenceGuard):
            if any(cb is guard for guard in guards):
                continue  # one guard checks each step once
            guards.append(cb)
        hook = getattr(cb, "on_batch_end", None)
        if hook is not None:
            batch_hooks.append((hook, own_hook(hook)))
    if on_step is not None:
        batch_hooks.insert(0, (on_step, own_hook(on_step)))
    if not batch_hooks:
        return None
    # those shown each batch (a divergence guard's look at a non-finite step's data), each once
    owners = {id(hook): hook for hook in (on_step, *callbacks) if hook is not None}.values()
    return StepHooks(batch_hooks, [hook for hook in owners if hasattr(hook, "watch_batches")])


class StepHooks:
    """The hooks run after each step, in order, and those shown each step's batch first
    (``watch_batches``, as :func:`~linearnets.training.loop.train_epoch` looks for on its
    ``on_step``).

    The hooks not linearnets' own (:func:`own_hook`) get a copy of the step's losses, made once a
    step where there is one: a callback changing them in place (``losses.mul_(0)``) changed the
    epoch's totals (a train loss of 0) and what a divergence guard held of the step, which share
    them. The library's own, alone, copy nothing.
    """

    def __init__(
        self,
        hooks: list[tuple[Callable[[int, torch.Tensor], None], bool]],
        watchers: list[Any],
    ) -> None:
        self._hooks, self._watchers = hooks, watchers
        # None where no hook judges the last batch's loss after the epoch's last update: the loop
        # then neither holds that batch nor re-scores it
        judges = [hook for hook in watchers if hasattr(hook, "after_last_update")]
        self.after_last_update: Callable[[torch.Tensor], None] | None = (
            functools.partial(_after_last_update, judges) if judges else None
        )
        # how many of the epoch's last examples the loop re-scores for them: the most any asks
        self.min_examples = max((int(getattr(h, "min_examples", 64)) for h in judges), default=64)

    def __call__(self, step: int, losses: torch.Tensor) -> None:
        copy = None
        for hook, own in self._hooks:
            if own:
                hook(step, losses)
                continue
            if copy is None:  # (B,) values: one copy a step, for every hook of yours
                copy = losses.clone()
            try:
                hook(step, copy)
            except Exception as exc:  # a callback's own error, told from the run's stops
                mark_callbacks_error(exc, hook)
                raise

    def watch_batches(self, batches: object) -> Callable[[torch.Tensor, torch.Tensor], None] | None:
        """Return the function showing each batch of ``batches`` to the hooks that watch them,
        or ``None`` where none does."""
        sees = [see for hook in self._watchers if (see := hook.watch_batches(batches)) is not None]
        if len(sees) < 2:
            return sees[0] if sees else None

        def see_all(X: torch.Tensor, y: torch.Tensor) -> None:
            for see in sees:
                see(X, y)

        return see_all

    def end_watch(self, *, failed: bool) -> None:
        """Have the hooks that watch the batches let go of a step's batch no check took, as an
        epoch of fit's ends; fit lets go of those of the steps not read back once it stopped
        (:func:`release_batches`), after a divergence's flush has looked at them."""
        for hook in self._watchers:
            end = getattr(hook, "end_watch", None)
            if end is not None:
                end(failed=False)


def _after_last_update(judges: list[Any], losses: torch.Tensor) -> None:
    """Hand the epoch's last batch's ``losses`` after its last update to each of ``judges``
    (divergence guards, see :mod:`~linearnets.training.last_update`)."""
    for hook in judges:
        hook.after_last_update(losses)


def len_or_none(iterable: Batches) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None
