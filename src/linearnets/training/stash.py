"""The tensors an epoch's totals hold between folds (see
:class:`~linearnets.training.totals.EpochTotals`): each step's, cut from the autograd graph
(:func:`detached`), and a group of them joined into one tensor when folded (:func:`joined`,
:func:`flat`). On the per-step path of training: no op where none is needed.
"""

from __future__ import annotations

import torch

__all__ = ["detached", "flat", "joined"]


def detached(t: torch.Tensor) -> torch.Tensor:
    """Return ``t`` cut from the autograd graph; a tensor outside any graph is returned as is (a
    ``detach()`` per step is a dispatched op, and the analytic path's outputs have no graph)."""
    return t.detach() if t.requires_grad else t


def joined(parts: list[torch.Tensor]) -> torch.Tensor:
    """Return the tensors concatenated along dim 0 (the one tensor itself, uncopied, if alone)."""
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def flat(parts: list[torch.Tensor]) -> torch.Tensor:
    """Return the tensors' values in one tensor: one ``cat`` when they share their trailing shape."""
    first = parts[0]
    if all(p.shape[1:] == first.shape[1:] for p in parts):
        return joined(parts)
    return torch.cat([p.reshape(-1) for p in parts])
