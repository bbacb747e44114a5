"""Minibatch stochastic gradient descent from scratch (D2L §3.2.6)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from linearnets.errors import UsageError
from linearnets.validation import check_positive_float, check_positive_int

__all__ = ["SGD", "sgd"]


def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: int) -> None:
    """Update ``params`` in place by ``-lr * grad / batch_size`` and zero their gradients.

    The book's form: the loss was *summed* over the batch, so its gradient is divided by the batch size.

    See D2L §3.2.6.
    """
    lr = check_positive_float("lr", lr)
    batch_size = check_positive_int("batch_size", batch_size)
    with torch.no_grad():
        for param in params:
            if param.grad is None:
                continue
            param -= lr * param.grad / batch_size
            param.grad.zero_()


class SGD:
    """Plain minibatch SGD with ``torch.optim.SGD``'s contract: ``zero_grad()``, ``step()``, state dicts.

    The loss is expected to be the batch *mean*, as with ``torch.optim.SGD``, so ``step()`` applies
    ``p -= lr * p.grad``.

    Args:
        params: tensors with ``requires_grad`` (e.g. ``net.parameters()``).
        lr: learning rate, > 0.

    See D2L §3.2.6.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise UsageError(
                "params must hold at least one tensor, got an empty list; pass net.parameters()"
            )
        self.lr = check_positive_float("lr", lr, fix="pass e.g. lr=0.1")
        # torch.optim's shape, so schedulers and loggers that read param_groups keep working
        self.param_groups: list[dict[str, Any]] = [{"params": self.params, "lr": self.lr}]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter."""
        for param in self.params:
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """Apply one update ``p -= lr * p.grad`` to every parameter that has a gradient."""
        lr = self.param_groups[0]["lr"]
        for param in self.params:
            if param.grad is not None:
                param.add_(param.grad, alpha=-lr)

    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer's state (the learning rate; plain SGD keeps no buffers)."""
        return {"lr": self.param_groups[0]["lr"]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict`."""
        self.lr = check_positive_float("lr", state["lr"])
        self.param_groups[0]["lr"] = self.lr
