"""Backward from per-example losses, seeded with the batch scale (D2L §3.6.6).

``l.backward(seed)`` spends ~30 µs in Python before autograd's engine starts: dispatch for tensor
subclasses, argument normalisation and ``_make_grads``, which checks that the seed matches the loss,
something :func:`backward_scaled` guarantees by building it with ``full_like``. On a CPU that is
7–10% of a softmax regression epoch from scratch. So, for a plain tensor with no ``__torch_function__``
override or mode active, the engine is called as ``torch.autograd.backward`` itself calls it (through
``torch.autograd.graph._engine_run_backward``, which keeps the context and logging hooks); anything
else, or a torch without that function or without ``torch.overrides.has_torch_function_unary`` (which
tells the plain tensor apart; not in ``torch.overrides.__all__``), takes the public path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

__all__ = ["backward_scaled"]


def _engine() -> Callable[..., Any] | None:
    """Return torch's own call into the autograd engine, or ``None`` where this torch lacks it."""
    try:
        from torch.autograd.graph import _engine_run_backward
    except ImportError:
        return None
    return _engine_run_backward if callable(_engine_run_backward) else None


def _override_check() -> Callable[[Any], bool] | None:
    """Return torch's test for a ``__torch_function__`` override or mode, or ``None`` if it is gone."""
    try:
        from torch.overrides import has_torch_function_unary
    except ImportError:
        return None
    return has_torch_function_unary if callable(has_torch_function_unary) else None


_OVERRIDDEN = _override_check()
# the engine is called directly only where a tensor that must not skip dispatch can be told apart
_ENGINE = _engine() if _OVERRIDDEN is not None else None


def backward_scaled(l: torch.Tensor, scale: float) -> None:
    """Accumulate the gradient of ``scale · Σ_i l_i`` into the leaves of ``l``'s graph.

    The same as ``l.backward(torch.full_like(l, scale))``: d(scale · Σ l_i)/d l_i = scale, so seeding
    backward with it spares the sum and product nodes a ``(l.sum() * scale).backward()`` would add.

    Args:
        l: per-example losses, any shape (e.g. (B,) or (B, 1)), with a graph.
        scale: the factor on the sum (``1 / B`` for the batch mean).

    See D2L §3.6.6.
    """
    seed = torch.full_like(l, scale)
    if _ENGINE is None or _OVERRIDDEN is None or type(l) is not torch.Tensor or _OVERRIDDEN(l):
        l.backward(seed)
        return
    # torch.autograd.backward's own call once it has checked its arguments: free the graph
    # (retain_graph=False), no higher-order graph, no `inputs`, accumulate into .grad
    _ENGINE((l,), (seed,), False, False, (), allow_unreachable=True, accumulate_grad=True)
