"""torchvision's ``StandardTransform``: a dataset's image and label transforms applied as a pair, and
summarised as torchvision prints them (D2L §3.5.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["StandardTransform"]


class StandardTransform:
    """Apply ``transform`` to an image and ``target_transform`` to its label, as torchvision's does.

    ``FashionMNIST(...).transforms`` is one of these when either is given (else ``None``).

    Args:
        transform: applied to the image (``None``: kept as it is).
        target_transform: applied to the label (``None``: kept as it is).
    """

    def __init__(
        self,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        """Return ``(transform(input), target_transform(target))``, each only where it is given."""
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self) -> str:
        lines = [type(self).__name__]
        for head, fn in (
            ("Transform: ", self.transform),
            ("Target transform: ", self.target_transform),
        ):
            if fn is not None:
                first, *rest = repr(fn).splitlines() or [""]
                lines += [head + first, *(" " * len(head) + line for line in rest)]
        return "\n".join(lines)
