"""A model run once on the failure path, to look at its scores, leaving its state as it was found
(:func:`~linearnets.training.model_diagnosis.nan_source`, D2L §3.6)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["quiet_forward"]


def quiet_forward(net: Any, X: torch.Tensor) -> object:
    """Return ``net(X)``, run without gradients, leaving what torch keeps of the run as it was.

    The look at NaN scores runs the model on a batch the pass already ran: that run must not
    count as one. Restored after it, whether it returns or raises: torch's random number
    generators (the CPU's, and those of the CUDA devices ``X`` and the model's parameters and
    buffers are on), so
    a ``Dropout`` draws no number the training would have drawn; every buffer of an
    ``nn.Module`` model (BatchNorm's running statistics, a call count), kept in place as the
    same tensor, even where the forward assigned a new one; and each module's training mode.

    Not restored, as it cannot be: a Python attribute the forward changes (``self.n += 1`` on a
    plain number, a list it appends to), a parameter it changes in place, or anything outside the
    model and torch's generators (a global, a file).
    """
    modules = list(net.modules()) if isinstance(net, nn.Module) else []
    held = [(m, m.training, dict(m._buffers)) for m in modules]
    copies = [(b, b.detach().clone()) for *_, kept in held for b in kept.values() if b is not None]
    registered = [t for m in modules for t in (*m._parameters.values(), *m._buffers.values())]
    devices = sorted({_index(t.device) for t in (X, *registered) if t is not None and t.is_cuda})
    try:
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            return net(X)
    finally:
        with torch.no_grad():
            for m, mode, kept in held:
                m.training = mode
                m._buffers.clear()
                m._buffers.update(kept)  # the same tensors, where the forward assigned new ones
            for buffer, copy in copies:
                buffer.copy_(copy)


def _index(device: torch.device) -> int:
    """Return the index of a CUDA ``device``, the current one's where it names none."""
    return torch.cuda.current_device() if device.index is None else device.index
