"""``torchvision.transforms``: the transforms chapter 3 uses, with torchvision's values (D2L §3.5)."""

# the same names as linearnets.data.transforms, listed once, in its __all__
from linearnets.data.transforms import *  # noqa: F403
from linearnets.data.transforms import __all__ as __all__
from linearnets.torchvision._missing import missing_names

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
