"""``torchvision.datasets``: Fashion-MNIST, the one dataset chapter 3 uses (D2L §3.5.1)."""

import dis
import sys

from linearnets.data.fashion_mnist import FashionMNIST

__all__ = ["FashionMNIST"]


def __getattr__(name: str) -> object:
    """Say that only Fashion-MNIST is here, for ``datasets.MNIST`` and the like (D2L §3.5 exercises)."""
    if name.startswith("__"):  # copy, pickle and doctest probe for dunders: a plain AttributeError
        raise AttributeError(name)
    message = (
        f"linearnets.torchvision.datasets has no {name}: it provides FashionMNIST alone, the "
        "dataset chapter 3 uses; for other datasets install torchvision itself (pip install "
        "torchvision) and use torchvision.datasets." + name
    )
    if _importing_from():  # Python would replace an AttributeError with its own words
        raise ImportError(message, name=__name__, path=__file__)
    raise AttributeError(message)


_IMPORT_FROM = dis.opmap.get("IMPORT_FROM")
_EXTENDED_ARG = dis.EXTENDED_ARG  # the prefix of an argument over 255 (a 256th name, say)


def _importing_from() -> bool:
    """Whether the caller of ``__getattr__`` runs ``from linearnets.torchvision.datasets import X``.

    There Python turns an ``AttributeError`` into its generic "cannot import name 'X'", dropping the
    message; an ``ImportError`` (what that statement raises anyway) keeps it.
    """
    try:
        frame = sys._getframe(2)  # 0: this function, 1: __getattr__, 2: the importing code
    except (AttributeError, ValueError):  # an interpreter without frames: the plain message
        return False
    code, i = frame.f_code.co_code, frame.f_lasti
    while 0 <= i < len(code) - 2 and code[i] == _EXTENDED_ARG:  # 3.10 points at the prefix
        i += 2
    return 0 <= i < len(code) and code[i] == _IMPORT_FROM
