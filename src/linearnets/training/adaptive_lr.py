"""The lr a divergence guard words its advice from, marked with the adaptive optimizer that trains
at it (Adam, RMSprop, ...), whose rates are not SGD's.

An adaptive optimizer moves each weight by about lr a step whatever the gradient's size, so the
book's SGD rates (0.03, 0.1) and the guard's 0.5 do not carry over: ``Adam(lr=100)`` was told to
try 0.5, at which it still blew up (a loss of 38.9). ``fit`` marks its guards' lr with the
optimizer (:func:`lr_for`); :func:`~linearnets.training.guard_messages.smaller` then advises
around torch's default for Adam, 1e-3.
"""

from __future__ import annotations

import torch

__all__ = ["ADAPTIVE_ADVISED_LR", "AdaptiveLr", "adaptive_name", "lr_for"]

# the largest rate advised after an adaptive optimizer's blow-up: torch's default for Adam (and
# AdamW, Adamax's 2e-3, RMSprop's 1e-2 are of its order)
ADAPTIVE_ADVISED_LR = 1e-3

# scaled per weight by running gradient statistics; Adadelta (lr 1.0 by default, a factor on its
# own step) and SGD-like optimizers are not
_ADAPTIVE = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "SparseAdam")


class AdaptiveLr(float):
    """A learning rate (a ``float``) trained at by the adaptive optimizer ``optimizer`` names
    (``"Adam"``): arithmetic on it gives plain floats."""

    optimizer: str

    def __new__(cls, lr: float, optimizer: str) -> AdaptiveLr:
        value = super().__new__(cls, lr)
        value.optimizer = optimizer
        return value

    def __reduce__(self) -> tuple[type[AdaptiveLr], tuple[float, str]]:
        return AdaptiveLr, (float(self), self.optimizer)


def adaptive_name(updater: object) -> str | None:
    """Return the name of ``updater``'s adaptive torch optimizer class, the nearest in its
    ancestry (``"AdamW"``, though torch's AdamW subclasses Adam; a subclass of yours by the torch
    class it extends), or ``None`` for any other (SGD, the scratch SGD, one of your own)."""
    for kind in type(updater).__mro__:
        if kind.__name__ in _ADAPTIVE and getattr(torch.optim, kind.__name__, None) is kind:
            return kind.__name__
    return None


def lr_for(lr: float, optimizer: str | None) -> float:
    """Return ``lr`` marked as an :class:`AdaptiveLr` of ``optimizer``, the adaptive optimizer's
    name (:func:`adaptive_name`'s), else (``None``) as a plain ``float``. The marked value is for
    the advice alone: the guard's own ``lr`` stays a float, which a checkpoint saved with
    ``torch.save`` gives back under ``torch.load(weights_only=True)``."""
    return float(lr) if optimizer is None else AdaptiveLr(lr, optimizer)
