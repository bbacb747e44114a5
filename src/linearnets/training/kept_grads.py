"""Gradients put back as they were when a step is refused before its update (D2L §3.6.6).

The first step's checks (:mod:`~linearnets.training.first_step`) read the loss after ``backward``
has added this batch's gradient to each ``.grad``. A refusal there must leave the model as it was,
gradients included: the book's ``sgd`` zeroes them only after its step, so the rerun a message
asks for would otherwise add its gradient to the refused batch's (NaN ones make the weights NaN,
blamed on the learning rate).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import torch

__all__ = ["grads_kept", "graph_leaves", "step_tensors"]


def graph_leaves(l: torch.Tensor) -> list[torch.Tensor]:
    """Return the leaf tensors whose ``.grad`` a ``backward`` from ``l`` fills (none if no graph)."""
    leaves: list[torch.Tensor] = []
    seen: set[object] = set()
    todo = [l.grad_fn] if l.grad_fn is not None else []
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        leaf = getattr(node, "variable", None)  # an AccumulateGrad node: its leaf
        if isinstance(leaf, torch.Tensor):
            leaves.append(leaf)
        todo.extend(child for child, _ in node.next_functions if child is not None)
    return leaves


def step_tensors(net: Any, updater: Any) -> list[torch.Tensor]:
    """Return the tensors whose ``.grad`` a step of ``updater`` on ``net`` may change, as far as
    they can be listed: ``net.parameters()`` and ``updater.param_groups``' (``torch.optim``, the
    scratch ``SGD``; a function model has no ``parameters()``)."""
    tensors: dict[int, torch.Tensor] = {}
    if callable(getattr(net, "parameters", None)):
        tensors.update((id(p), p) for p in net.parameters())
    try:
        for group in getattr(updater, "param_groups", None) or ():
            tensors.update((id(p), p) for p in group["params"] if isinstance(p, torch.Tensor))
    except (KeyError, TypeError):  # not torch's layout: the model's alone
        pass
    return list(tensors.values())


@contextlib.contextmanager
def grads_kept(params: Iterable[torch.Tensor]) -> Iterator[None]:
    """Put each tensor's ``.grad`` back as it was (``None``, or its values, in the same tensor) if
    the block raises; the block's gradients stay otherwise."""
    kept = [
        (p, p.grad, None if p.grad is None else p.grad.detach().clone()) for p in params
    ]  # (tensor, its .grad, that .grad's values): backward adds into .grad in place
    try:
        yield
    except BaseException:
        with torch.no_grad():
            for p, grad, values in kept:
                if grad is not None and values is not None:
                    grad.copy_(values)
                p.grad = grad
        raise
