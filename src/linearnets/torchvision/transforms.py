"""``torchvision.transforms``: the transforms chapter 3 uses, with torchvision's values (D2L §3.5)."""

from linearnets.data.transforms import Compose, InterpolationMode, Normalize, Resize, ToTensor

__all__ = ["Compose", "InterpolationMode", "Normalize", "Resize", "ToTensor"]
