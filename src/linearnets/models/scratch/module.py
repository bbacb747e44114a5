"""The small contract scratch models share with ``nn.Module``: call, ``parameters()``, state dicts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import describe

__all__ = ["ScratchModule"]


class ScratchModule:
    """Base of the from-scratch models: tensors as attributes, no ``torch.nn``.

    Subclasses name their parameters in :meth:`param_names` and implement :meth:`forward`.
    """

    training: bool = True

    def param_names(self) -> tuple[str, ...]:
        """Return the parameters' attribute names."""
        raise NotImplementedError

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Compute the model's output for ``X``."""
        raise NotImplementedError

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return self.forward(X)

    def parameters(self) -> Iterator[torch.Tensor]:
        """Yield the trainable tensors, like ``nn.Module.parameters()``."""
        for name in self.param_names():
            yield getattr(self, name)

    def named_parameters(self) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield ``(name, tensor)`` pairs, like ``nn.Module.named_parameters()``."""
        for name in self.param_names():
            yield name, getattr(self, name)

    def train(self, mode: bool = True) -> ScratchModule:
        """Set training mode (kept for ``nn.Module`` parity; these models behave the same in both)."""
        self.training = mode
        return self

    def eval(self) -> ScratchModule:
        """Set evaluation mode."""
        return self.train(False)

    def to(self, device: torch.device | str) -> ScratchModule:
        """Move every parameter to ``device`` in place, as ``nn.Module.to`` does.

        The parameter objects stay the same, so an optimizer built before the move keeps updating them;
        where torch cannot swap a tensor's data across the two devices (e.g. to ``"meta"``), each
        parameter is replaced by a moved copy, as ``nn.Module.to`` then does.
        """
        for name in self.param_names():
            param = getattr(self, name)
            moved = param.data.to(device)
            try:
                param.data = moved
            except RuntimeError:  # an incompatible tensor type: a new tensor, as nn.Module makes
                setattr(self, name, moved.requires_grad_(param.requires_grad))
        return self

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return a copy of the parameters by name."""
        return {name: param.detach().clone() for name, param in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Copy tensors from ``state`` into the parameters, checking names and shapes."""
        names = set(self.param_names())
        if set(state) != names:
            raise UsageError(
                f"state must hold exactly the parameters {sorted(names)}, got {sorted(state)}; "
                "load a state saved from the same kind of model"
            )
        with torch.no_grad():
            for name, param in self.named_parameters():
                value = state[name]
                if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                    raise UsageTypeError(
                        f"state[{name!r}] must be a floating-point tensor, got {describe(value)}; "
                        "load a state saved by state_dict()"
                    )
                if value.shape != param.shape:
                    raise UsageError(
                        f"state[{name!r}] must have shape {tuple(param.shape)}, "
                        f"got {tuple(value.shape)}; load a state saved from the same model size"
                    )
                param.copy_(value)
