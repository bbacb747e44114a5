"""``torchvision.datasets``: Fashion-MNIST, the one dataset chapter 3 uses (D2L §3.5.1)."""

from linearnets.data.fashion_mnist import FashionMNIST

__all__ = ["FashionMNIST"]


def __getattr__(name: str) -> object:
    """Say that only Fashion-MNIST is here, for ``datasets.MNIST`` and the like (D2L §3.5 exercises)."""
    if name.startswith("__"):  # copy, pickle and doctest probe for dunders: a plain AttributeError
        raise AttributeError(name)
    raise AttributeError(
        f"linearnets.torchvision.datasets has no {name}: it provides FashionMNIST alone, the "
        "dataset chapter 3 uses; for other datasets install torchvision itself (pip install "
        "torchvision) and use torchvision.datasets." + name
    )
