"""The per-step cost of ``torch.optim.SGD``, cut where the result is provably the same (D2L §3.7.3).

``torch.optim.SGD.zero_grad()`` and ``.step()`` spend ~40 µs a step in Python around two ``add_``
kernels (profiler scopes, hook dispatch, per-group bookkeeping); inside a real softmax regression step
on a CPU that came to ~15% of the concise model's epoch. For a plain SGD, the book's (no momentum,
no weight decay, no hooks, no scheduler patching its ``step``), the update is exactly
``p.add_(p.grad, alpha=-lr)`` per parameter, which is what :class:`PlainSGDStep` does, reading ``lr``
from ``param_groups`` at every step as ``torch.optim`` does. Anything else keeps the optimizer's own
methods.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch.optim import optimizer as optim_base

from linearnets.errors import UsageTypeError

__all__ = ["PlainSGDStep", "Updater", "check_optimizer", "is_optimizer", "streamlined"]


class Updater(Protocol):
    """What the loop needs of an optimizer: ``torch.optim.SGD`` and the scratch ``SGD`` both fit."""

    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


def is_optimizer(updater: Any) -> bool:
    """Whether ``updater`` is an optimizer object (``zero_grad`` and ``step``), not a function."""
    return hasattr(updater, "zero_grad") and hasattr(updater, "step")


# the options under which torch.optim.SGD's step is exactly p -= lr * p.grad; a group with any other
# key (an option of a later torch, or one added by a scheduler) keeps torch's own step
_PLAIN = {
    "momentum": 0,
    "dampening": 0,
    "weight_decay": 0,
    "nesterov": False,
    "maximize": False,
    "differentiable": False,
}
_KNOWN = {*_PLAIN, "params", "lr", "foreach", "fused"}
# where torch keeps step hooks (private names: if this torch lacks one, nothing is streamlined)
_INSTANCE_HOOKS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks")
_GLOBAL_HOOKS = ("_global_optimizer_pre_hooks", "_global_optimizer_post_hooks")


class PlainSGDStep:
    """``zero_grad()`` and ``step()`` of a plain ``torch.optim.SGD``, without its Python overhead.

    The arithmetic of ``torch.optim.SGD``'s single-tensor path with momentum 0,
    ``p.add_(p.grad, alpha=-lr)`` (on a CPU its foreach path computes the same, bit for bit), and
    ``zero_grad`` setting gradients to ``None`` (its default). Build it with :func:`streamlined`, which
    falls back to the optimizer itself whenever that would not hold.
    """

    def __init__(self, optimizer: torch.optim.SGD) -> None:
        self.optimizer = optimizer
        self.param_groups = optimizer.param_groups  # (its name: the tensors it steps can be listed)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to ``None``."""
        for group in self.param_groups:
            for param in group["params"]:
                param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """Apply ``p -= lr * p.grad`` to every parameter that has a gradient."""
        for group in self.param_groups:
            lr = group["lr"]
            for param in group["params"]:
                if param.grad is not None:
                    param.add_(param.grad, alpha=-lr)


def _is_plain_sgd(optimizer: Any) -> bool:
    """Whether ``optimizer`` is an unmodified ``torch.optim.SGD`` whose step is ``p -= lr * grad``."""
    if type(optimizer) is not torch.optim.SGD:  # a subclass may change step or zero_grad
        return False
    patched = vars(optimizer).keys() & {"step", "zero_grad"}  # e.g. an LR scheduler wraps step
    hooks = [getattr(optimizer, name, None) for name in _INSTANCE_HOOKS]
    hooks += [getattr(optim_base, name, None) for name in _GLOBAL_HOOKS]
    if patched or any(h is None or h for h in hooks):  # hooks unknown or registered
        return False
    if getattr(optimizer, "grad_scale", None) is not None:
        return False
    return all(
        group.keys() <= _KNOWN
        and all(group.get(key, value) == value for key, value in _PLAIN.items())
        and not group.get("fused")
        and isinstance(group["lr"], float | int)
        and not isinstance(group["lr"], bool)
        for group in optimizer.param_groups
    )


def check_optimizer(updater: Any) -> None:
    """Raise unless ``updater`` is an optimizer object with ``zero_grad()`` and ``step()``: the book's
    function ``updater(batch_size)`` is named with the loop that runs it."""
    if not is_optimizer(updater):
        hint = (
            "; the book's function updater(batch_size) runs with linearnets.d2l.train_epoch_ch3"
            if callable(updater)
            else ""
        )
        raise UsageTypeError(
            f"updater must have zero_grad() and step(), e.g. torch.optim.SGD or linearnets.SGD, got "
            f"{type(updater).__name__}{hint}"
        )


def streamlined(updater: Updater) -> Updater:
    """Return an updater with the same effect and less per-step overhead, or ``updater`` itself.

    A plain ``torch.optim.SGD`` (see the module docstring) becomes a :class:`PlainSGDStep` over the
    same parameter groups; every other updater, including the scratch ``SGD`` (already that cheap),
    is returned unchanged. Decided once per epoch: an optimizer hook registered mid-epoch takes
    effect from the next one.
    """
    check_optimizer(updater)
    return PlainSGDStep(updater) if _is_plain_sgd(updater) else updater  # type: ignore[arg-type]
