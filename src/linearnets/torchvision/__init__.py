"""torchvision's names for the few pieces of it chapter 3 uses, so §3.5 runs without torchvision.

torchvision costs gigabytes here and is not a dependency. The book's §3.5 imports it twice; swap
``import torchvision`` for ``from linearnets import torchvision`` and ``from torchvision import
transforms`` for ``from linearnets.torchvision import transforms``, and its code runs as printed:
``torchvision.datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)``
(read offline and verified; see :class:`linearnets.data.fashion_mnist.FashionMNIST`) and
``transforms.ToTensor``/``Resize``/``Compose``/``Normalize`` (and ``Lambda``, ``PILToTensor``,
``InterpolationMode``), which give torchvision's values; any other name of ``datasets`` or
``transforms``, or another module (``torchvision.models``, ``torchvision.utils``), says what is
provided instead.

See D2L §3.5.1.
"""

from linearnets.torchvision import datasets, transforms
from linearnets.torchvision._missing import missing_names

__all__ = ["datasets", "transforms"]

# torchvision.models, torchvision.utils.make_grid and the like: say which two modules are here
__getattr__ = missing_names(
    __name__,
    __file__,
    provides=(
        "only datasets (FashionMNIST) and transforms (Compose, Lambda, Normalize, PILToTensor, "
        "Resize, ToTensor), the parts of torchvision chapter 3 uses"
    ),
    what="modules",
)
