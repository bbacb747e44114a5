"""``torchvision.transforms``: the transforms chapter 3 uses, with torchvision's values (D2L §3.5)."""

from linearnets.data.to_tensor import PILToTensor
from linearnets.data.transforms import (
    Compose,
    InterpolationMode,
    Lambda,
    Normalize,
    Resize,
    ToTensor,
)
from linearnets.torchvision._missing import missing_names

__all__ = [
    "Compose",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Resize",
    "ToTensor",
]

# transforms.RandomCrop and the like: say which transforms are here
__getattr__ = missing_names(
    __name__,
    __file__,
    provides=(
        "only Compose, Lambda, Normalize, PILToTensor, Resize (bilinear, with InterpolationMode) "
        "and ToTensor, the transforms chapter 3 needs"
    ),
    what="transforms",
)
