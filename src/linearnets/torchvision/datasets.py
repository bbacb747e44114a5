"""``torchvision.datasets``: Fashion-MNIST, the one dataset chapter 3 uses (D2L §3.5.1)."""

from linearnets.data.fashion_mnist import FashionMNIST
from linearnets.torchvision._missing import missing_names

__all__ = ["FashionMNIST"]

# datasets.MNIST and the like (D2L §3.5 exercises): say that only Fashion-MNIST is here
__getattr__ = missing_names(
    __name__,
    __file__,
    provides="FashionMNIST alone, the dataset chapter 3 uses",
    what="datasets",
)
