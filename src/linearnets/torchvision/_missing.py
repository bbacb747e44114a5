"""The ``__getattr__`` of a ``linearnets.torchvision`` module: a missing name says what is provided.

``datasets.MNIST`` or ``from linearnets.torchvision.transforms import RandomCrop`` (D2L §3.5
exercises, code written for torchvision) get a message that names what the module provides and the
fix (install torchvision), where Python would say only "has no attribute" or "cannot import name".
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from typing import NoReturn

from linearnets._pip_words import pip_install

__all__ = ["missing_names"]


def missing_names(module: str, path: str, *, provides: str, what: str) -> Callable[[str], NoReturn]:
    """Return a module ``__getattr__`` refusing every name the module ``module`` (at ``path``) lacks.

    Args:
        module: the module's name, e.g. ``"linearnets.torchvision.datasets"``.
        path: its file (``__file__``), for the ``ImportError``.
        provides: what it provides, after "it provides", e.g. ``"FashionMNIST alone, ..."``.
        what: the kind of thing for the fix, e.g. ``"datasets"``.
    """
    torchvision_module = module.removeprefix("linearnets.")

    def refuse(name: str) -> NoReturn:
        # copy, pickle and doctest probe for dunders: a plain AttributeError, but __version__ is
        # asked for by people (print(torchvision.__version__)), as the book's readers check setups
        if name.startswith("__") and name != "__version__":
            raise AttributeError(name)
        message = (
            f"{module} has no {name}: it provides {provides}; for other {what} install torchvision "
            f"itself ({pip_install('torchvision')}) and use {torchvision_module}.{name}"
            if name != "__version__"
            else _no_version(module, torchvision_module)
        )
        if _importing_from():  # Python would replace an AttributeError with its own words
            raise ImportError(message, name=module, path=path)
        raise AttributeError(message)

    return refuse


def _no_version(module: str, torchvision_module: str) -> str:
    """Return the message refusing ``module``'s ``__version__``: it is no torchvision's."""
    return (
        f"{module} has no __version__: it is linearnets' stand-in for {torchvision_module}, not "
        "torchvision itself; for linearnets' version use linearnets.__version__; for "
        f"torchvision's, install it ({pip_install('torchvision')}) and use torchvision.__version__"
    )


_IMPORT_FROM = dis.opmap.get("IMPORT_FROM")
_EXTENDED_ARG = dis.EXTENDED_ARG  # the prefix of an argument over 255 (a 256th name, say)


def _importing_from() -> bool:
    """Whether the caller of ``__getattr__`` runs ``from linearnets.torchvision.<module> import X``.

    There Python turns an ``AttributeError`` into its generic "cannot import name 'X'", dropping the
    message; an ``ImportError`` (what that statement raises anyway) keeps it.
    """
    try:
        frame = sys._getframe(2)  # 0: this function, 1: refuse (__getattr__), 2: the importer
    except (AttributeError, ValueError):  # an interpreter without frames: the plain message
        return False
    code, i = frame.f_code.co_code, frame.f_lasti
    while 0 <= i < len(code) - 2 and code[i] == _EXTENDED_ARG:  # 3.10 points at the prefix
        i += 2
    return 0 <= i < len(code) and code[i] == _IMPORT_FROM
