"""What ``fit`` tells the divergence guards among its callbacks (and its ``on_step``) before its
first epoch: its own loss, where a guard was built without one; and what it refuses of them, a
guard's lr that is not the updater's, or a loss of another kind than fit's (D2L §3.6.6).

``callbacks=[DivergenceGuard(lr)]`` is how the docs guard a run; without ``loss=`` such a guard took a
mean-reduced cross-entropy's one value per batch of 20 for a loss that may hold rare large values,
and let a classifier blown up at lr 1e4 train on at chance. ``fit`` knows the loss it trains with.

A guard's lr is named in its advice ("at lr 0.1; try … 0.01") and weighed against the data when it
blames one of them: a guard at 0.1 on SGD at lr 10 advised a tenth of the wrong lr. It is refused,
not replaced, where the updater's ``param_groups`` show the lr (torch's optimizers, the scratch
``SGD``): a guard may be shared by runs, and a silent change would hide the typo. A scheduler's
``initial_lr`` (and OneCycleLR's ``max_lr``) count too.

A guard passed to ``fit`` starts over as a fresh guard (its starting loss that run's, its lr
checked as a fresh guard's) unless ``fit`` goes on with its run: ``start_epoch`` > 0, or the
guard's ``load_state_dict`` called since its last fit (a checkpoint's state, as a resume of a run
folder loads it). Such a guard, once it has judged steps, keeps its lr where the updater's went
down since (ReduceLROnPlateau, a decay by hand). Nothing else tells a run apart, so a model
re-initialised in place is a new run: taken for the same run, a first run's guard let a second one
at half its lr through, judged it against the first run's starting loss and named the first run's
lr. A guard is reset only once every guard of the fit passed its checks: a refused fit leaves it as
it was. The lr is not checked for a summed loss (``reduction="sum"``, a ``partial`` of torch's loss
function with it, or ``scalar_loss="sum"``): its gradient is B times the mean's, so its updater's
lr is the mean's ÷ B, and a guard may name either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from linearnets.errors import UsageError
from linearnets.training.guard_floor import squared_scale
from linearnets.training.loss_kinds import is_binary_loss, is_class_loss, reduction_of

__all__ = ["guards_of", "prepare_guards"]


def guards_of(
    callbacks: Sequence[Any], on_step: Callable[[int, torch.Tensor], None] | None
) -> list[Any]:
    """Return the :class:`~linearnets.training.guard.DivergenceGuard` objects among ``on_step``
    and ``callbacks``, each once."""
    from linearnets.training.guard import DivergenceGuard

    guards: list[Any] = []
    for hook in (on_step, *callbacks):
        if isinstance(hook, DivergenceGuard) and not any(hook is g for g in guards):
            guards.append(hook)
    return guards


def prepare_guards(
    callbacks: Sequence[Any],
    on_step: Callable[[int, torch.Tensor], None] | None,
    *,
    loss: object,
    updater: object,
    scalar_loss: str | None = None,
    start_epoch: int = 0,
) -> None:
    """Refuse a guard whose lr is not ``updater``'s or whose loss is of another kind than fit's
    ``loss`` (the lr unless the loss is summed, per ``scalar_loss`` or its ``reduction``); then
    start each guard's run (a fresh guard's unless fit goes on from ``start_epoch`` > 0 or its
    state was loaded since) and hand it ``loss`` where built without one (``loss=`` is kept)."""
    guards = guards_of(callbacks, on_step)
    summed = scalar_loss == "sum" or (scalar_loss is None and reduction_of(loss) == "sum")
    for guard in guards:
        if not summed:
            # a guard going on with its run guarded it at its lr: the updater's may be lower now
            _check_lr(
                guard.lr,
                updater,
                guarded=guard.resumes(start_epoch=start_epoch),
                used=guard.first_loss is not None,
            )
        _check_loss(guard.loss, loss)
    for guard in guards:  # every check passed: only now does a guard start over
        guard.begin_run(start_epoch=start_epoch)
        guard.use_fit_loss(loss)
        guard.use_updater(updater)


def updater_lrs(updater: object, *, keys: tuple[str, ...] = ("lr",)) -> list[float] | None:
    """Return the lrs ``updater``'s ``param_groups`` hold under ``keys`` (each group's ``lr``, the
    one it trains at now; a scheduler's ``initial_lr`` or ``max_lr``), or ``None`` where it shows
    none (an updater of one's own)."""
    groups = getattr(updater, "param_groups", None)
    if not isinstance(groups, list | tuple):
        return None
    lrs: list[float] = []
    for group in groups:
        for key in keys:
            value = group.get(key) if isinstance(group, dict) else None
            try:
                lrs.append(float(value))  # type: ignore[arg-type]
            except (TypeError, ValueError):  # absent, or a tensor of many values
                continue
    return lrs or None


def _check_lr(lr: float, updater: object, *, guarded: bool, used: bool = False) -> None:
    """Refuse a guard whose ``lr`` is none the updater holds (a group's ``lr``, a scheduler's
    ``initial_lr`` or ``max_lr``): its advice would name another lr than the run's (a larger one
    advised an lr above the one that diverged), and it weighs the lr against the data. A guard
    that has ``guarded`` steps may hold a larger one than the updater trains at now: the lr the
    run started at, lowered since by ReduceLROnPlateau (which keeps no ``initial_lr``) or by
    hand; never a smaller one. The refusal names the largest lr held (OneCycleLR's ``max_lr``,
    not the warm-up's start it trains at first) to pass instead; a guard ``used`` by a fit before
    is told too how to go on with that run."""
    now = updater_lrs(updater)
    held = updater_lrs(updater, keys=("lr", "initial_lr", "max_lr"))
    if now is None or held is None:
        return
    if any(math.isclose(lr, value, rel_tol=1e-6) for value in held):
        return
    if guarded and lr >= max(now) * (1 - 1e-6):
        return
    trains, peak = max(now), max(held)
    if not (math.isfinite(peak) and peak > 0):  # no guard takes it: the updater's lr is the fault
        raise UsageError(
            f"the updater's lr must be a finite number > 0 for DivergenceGuard({lr_text(lr)}) to "
            f"guard it, got lr {lr_text(peak)}; give the optimizer the lr to train at, e.g. "
            f"{lr_text(lr)}"
        )
    if math.isclose(peak, trains, rel_tol=1e-6):
        held_too, which = "", "the updater's lr"
    else:
        key = "max_lr" if peak in (updater_lrs(updater, keys=("max_lr",)) or []) else "initial_lr"
        held_too, which = f" and its scheduler's {key} is {lr_text(peak)}", f"its {key}"
    raise UsageError(
        f"DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
        f"against the data), got DivergenceGuard({lr_text(lr)}) while the updater trains at lr "
        f"{lr_text(trains)}{held_too}; pass DivergenceGuard({lr_text(peak)}), {which}"
        + (
            "; or, if this fit goes on with the run the guard guarded before, keep the guard and "
            "pass fit(..., start_epoch=N), N the epochs trained"
            if used and lr > trains
            else ""
        )
    )


def lr_text(lr: float) -> str:
    """Return ``lr`` in the fewest significant digits that give it back within 1e-7 relative,
    tighter than the 1e-6 a guard's lr is taken at, so the lr a refusal names is taken: ``0.1``,
    ``10``, ``0.1234567`` for 0.12345671 (``:g``'s 0.123457 is refused), ``0.004`` for
    OneCycleLR's 0.0040000000000000036, ``0.01`` for a float32 tensor's 0.00999999977648."""
    for digits in range(6, 17):  # ``:g`` drops trailing zeros; fewer than 6 writes 10 as 1e+01
        text = f"{lr:.{digits}g}"
        if math.isclose(float(text), lr, rel_tol=1e-7):
            return text
    return repr(lr)


def loss_kind(loss: object) -> str | None:
    """Return what kind of loss the guard tells ``loss`` for, or ``None`` where it cannot tell (a
    function of one's own)."""
    if is_class_loss(loss):
        return "a classification loss"
    if is_binary_loss(loss):
        return "a binary cross-entropy"
    if squared_scale(loss) is not None:
        return "a squared-error loss"
    return None


def _check_loss(given: object, loss: object) -> None:
    if given is None:
        return
    kind, fits = loss_kind(given), loss_kind(loss)
    if kind is None or fits is None or kind == fits:
        return
    raise UsageError(
        f"DivergenceGuard's loss must be of fit's kind, got loss={_name(given)} ({kind}) while "
        f"fit trains with {_name(loss)} ({fits}); pass DivergenceGuard(lr, loss=loss) with fit's "
        "loss, or leave loss= out (fit hands a guard its own)"
    )


def _name(loss: object) -> str:
    name = getattr(loss, "__name__", None)
    return name if isinstance(name, str) else f"{type(loss).__name__}()"
