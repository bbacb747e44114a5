"""The few torchvision transforms the book uses on Fashion-MNIST: ``Compose`` and ``Lambda`` here.

They behave like torchvision's for the images this package meets (PIL images, uint8 and float
arrays, float tensors), so ``FashionMNIST(transform=Compose([Resize(64), ToTensor()]))`` reads as in
the book without torchvision installed. ``ToTensor`` (from :mod:`linearnets.data.to_tensor`),
``PILToTensor``, ``Resize`` and ``InterpolationMode`` (from :mod:`linearnets.data.resize`) and
``Normalize`` (from :mod:`linearnets.data.normalize`) are importable from here too. See D2L §3.5.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from linearnets.data.normalize import Normalize
from linearnets.data.resize import InterpolationMode, Resize
from linearnets.data.to_tensor import PILToTensor, ToTensor
from linearnets.errors import UsageTypeError
from linearnets.validation import check_transform, describe

__all__ = [
    "Compose",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Resize",
    "ToTensor",
]


class Compose:
    """Apply ``transforms`` one after another, like ``torchvision.transforms.Compose``.

    See D2L §3.5.1.
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        if not isinstance(transforms, Sequence):
            raise UsageTypeError(
                f"transforms must be a list of transforms, got {describe(transforms)}; "
                "pass e.g. Compose([ToTensor()])"
            )
        for i, t in enumerate(transforms):
            if not callable(t):
                raise UsageTypeError(
                    f"transforms[{i}] must be callable, got {describe(t)}; pass e.g. [ToTensor()]"
                )
            check_transform(f"transforms[{i}]", t)
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        """Return ``img`` passed through every transform in order."""
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        """torchvision's: one transform a line, indented (only a nested repr's first line)."""
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class Lambda:
    """Apply ``lambd``, any callable, as a transform, like ``torchvision.transforms.Lambda``.

    E.g. ``Lambda(lambda y: torch.tensor(y))`` as a ``target_transform``. See D2L §3.5.1.
    """

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise UsageTypeError(
                f"lambd must be callable (a function), got {describe(lambd)}; pass e.g. "
                "Lambda(lambda x: x * 2)"
            )
        check_transform("lambd", lambd)
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        """Return ``lambd(img)``."""
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"  # torchvision's: the function is not shown
