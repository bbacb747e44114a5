"""``torchvision.datasets``: Fashion-MNIST, the one dataset chapter 3 uses (D2L §3.5.1)."""

from linearnets.data.fashion_mnist import FashionMNIST

__all__ = ["FashionMNIST"]
