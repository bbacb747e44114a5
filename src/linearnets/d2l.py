"""The book's names with the book's signatures, so chapter 3 runs unchanged with ``from linearnets import d2l``.

Swap ``from d2l import torch as d2l`` for ``from linearnets import d2l``: the chapter's code keeps working,
in a script as in a notebook, and trains at linearnets' speed (Fashion-MNIST batches are sliced from one
in-memory tensor, and an optimizer is run by linearnets' own loop). Differences, all deliberate:
``train_ch3`` prints one line per epoch outside Jupyter instead of asserting on the final accuracy, and
outside Jupyter ``train_ch3`` and ``predict_ch3`` also save their figures (``train_ch3.png``/``.svg`` and
``predict_ch3.png`` in the working directory). The tensor names ``d2l.torch`` defines for code shared
between frameworks (``d2l.normal``, ``d2l.matmul``, ``d2l.argmax``, ``d2l.reduce_sum``, …) are here too,
and the modules it imports, by the names code written for it uses (``d2l.nn``, ``d2l.F``,
``d2l.data``, ``d2l.np``, ``d2l.math``, ``d2l.display``, ``d2l.Image``, ``d2l.pd``, …).

This module gathers the names; the training functions live in :mod:`linearnets._d2l_training`, the
figure functions in :mod:`linearnets._d2l_figures` and the tensor names in
:mod:`linearnets._d2l_aliases`.

See D2L chapter 3.
"""

from __future__ import annotations

# the modules upstream d2l.torch imports at its top, under the names the book's code (and d2l's own)
# uses them by: d2l.nn.Linear, d2l.F.relu, d2l.data.DataLoader, d2l.math.sqrt, ... (all loaded by
# torch already); those from packages torch does not load come on first use (_LAZY_MODULES)
import collections as collections
import hashlib as hashlib
import math as math
import os as os
import random as random
import re as re
import shutil as shutil
import sys as sys
import tarfile as tarfile
import time as time
import zipfile as zipfile
from collections import defaultdict as defaultdict
from typing import TYPE_CHECKING, Any

import numpy as _numpy
import torch as torch
from torch import nn as nn
from torch.utils import data as data

from linearnets import _d2l_aliases
from linearnets._d2l_aliases import *  # noqa: F403 (d2l.torch's tensor names: d2l.normal, …)
from linearnets._d2l_figures import plot as plot
from linearnets._d2l_figures import predict_ch3 as predict_ch3
from linearnets._d2l_later import missing_name
from linearnets._d2l_training import evaluate_accuracy as evaluate_accuracy
from linearnets._d2l_training import train_ch3 as train_ch3
from linearnets._d2l_training import train_epoch_ch3 as train_epoch_ch3
from linearnets._pip_words import pip_install
from linearnets.data.minibatches import load_array as load_array
from linearnets.data.synthetic import synthetic_data as synthetic_data
from linearnets.errors import UsageError
from linearnets.metrics import Accumulator as Accumulator
from linearnets.metrics import correct_count
from linearnets.models.scratch import linreg as linreg
from linearnets.models.scratch import sgd as sgd
from linearnets.models.scratch import squared_loss as squared_loss
from linearnets.validation import check_scores_first

# d2l.np, as the book's `import numpy as np` gives it: assigned, so that type checkers read it as
# this module's (an `import ... as np` is not re-exported), and kept out of __all__, so that a star
# import brings chapter 3's names only
np = _numpy

_LAZY = {
    "Animator": "linearnets.plotting",
    "set_figsize": "linearnets.plotting",
    "set_axes": "linearnets.plotting",
    "use_svg_display": "linearnets.plotting",
    "show_images": "linearnets.plotting",
    "get_fashion_mnist_labels": "linearnets.data.fashion_mnist",
    "load_data_fashion_mnist": "linearnets.data.fashion_mnist",
}

F = torch.nn.functional  # d2l.torch's `from torch.nn import functional as F`
d2l = sys.modules[__name__]  # d2l.torch's name for itself, as code written inside it uses: d2l.d2l

# d2l.torch's imports from packages that `import torch` does not load: name -> module
_LAZY_MODULES = {
    "Image": "PIL.Image",
    "display": "IPython.display",  # Jupyter's; a plain script may have no IPython
    "backend_inline": "matplotlib_inline.backend_inline",  # Jupyter's too
    "torchvision": "linearnets.torchvision",  # torchvision's pieces the chapter uses (no download)
    "transforms": "linearnets.torchvision.transforms",
    "pd": "pandas",  # d2l.torch's `import pandas as pd` (its later chapters' tables); optional here
    "requests": "requests",  # and its downloads' (d2l.download); optional here
}
_PIP_NAMES = {"IPython": "ipython", "matplotlib_inline": "matplotlib-inline", "PIL": "pillow"}
_IMPORTED = (
    "F", "collections", "data", "defaultdict", "hashlib", "math", "nn", "np", "os", "plt", "random",
    "re", "shutil", "sys", "tarfile", "time", "torch", "zipfile", "d2l", *_LAZY_MODULES,
)  # fmt: skip

# written out (the lazy names too) rather than computed, so that type checkers read it: a star
# import then gives them every name
__all__ = [
    "Accumulator",
    "Animator",
    "Timer",
    "accuracy",
    "evaluate_accuracy",
    "get_dataloader_workers",
    "get_fashion_mnist_labels",
    "linreg",
    "load_array",
    "load_data_fashion_mnist",
    "plot",
    "predict_ch3",
    "set_axes",
    "set_figsize",
    "sgd",
    "show_images",
    "squared_loss",
    "synthetic_data",
    "train_ch3",
    "train_epoch_ch3",
    "use_svg_display",
]
__all__ += _d2l_aliases.__all__
__all__.sort()


if TYPE_CHECKING:
    # type checkers see the lazy names with their real types (tests/test_d2l.py checks these match
    # _LAZY), and a misspelt one as an error
    import matplotlib.pyplot

    from linearnets.data.fashion_mnist import get_fashion_mnist_labels as get_fashion_mnist_labels
    from linearnets.data.fashion_mnist import load_data_fashion_mnist as load_data_fashion_mnist
    from linearnets.plotting import Animator as Animator
    from linearnets.plotting import set_axes as set_axes
    from linearnets.plotting import set_figsize as set_figsize
    from linearnets.plotting import show_images as show_images
    from linearnets.plotting import use_svg_display as use_svg_display

    plt = matplotlib.pyplot  # d2l.plt, as the book calls it (an alias: an import is not exported)
    import pandas as pd  # noqa: F401 (d2l.pd, as d2l.torch imports it)
    import requests as requests
    from IPython import display as display
    from matplotlib_inline import backend_inline as backend_inline
    from PIL import Image as Image

    from linearnets import torchvision as torchvision
    from linearnets.torchvision import transforms as transforms
else:
    # at run time, hidden from type checkers: a module __getattr__ would make every misspelt name Any

    def __getattr__(name: str) -> Any:
        if name[:1] == "_":  # __path__, _repr_html_: probes, told Python's plain no at once
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        # matplotlib and the dataset code load on first use, so `from linearnets import d2l` stays
        # cheap
        # matplotlib through plotting/_mpl.py: a home it cannot write in gets MPLCONFIGDIR set
        # first, rather than its two lines of warning and a temporary folder left behind
        if name == "plt":
            from linearnets.plotting._mpl import pyplot

            return pyplot()
        import importlib

        if name in _LAZY_MODULES:
            if _LAZY_MODULES[name].startswith("matplotlib"):  # matplotlib_inline imports it
                from linearnets.plotting._mpl import matplotlib_module

                matplotlib_module()
            try:
                return importlib.import_module(_LAZY_MODULES[name])
            except ImportError as exc:
                package = (exc.name or _LAZY_MODULES[name]).split(".")[0]
                raise AttributeError(
                    f"d2l.{name} is {_LAZY_MODULES[name]}, from the package {package}, which is "
                    f"not installed here; install it ({pip_install(_PIP_NAMES.get(package, package))})"
                ) from None
        module = _LAZY.get(name)
        if module is None:  # a later chapter's name (d2l.try_gpu) or a misspelt one: says which
            raise missing_name(name)
        return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    # the book's names and d2l.torch's imported modules, loaded or not, so a notebook's `d2l.<Tab>`
    # offers them (and not this module's other imports); not one whose package is not installed
    import importlib.util

    def installed(package: str) -> bool:
        if package in sys.modules:  # imported already (None: blocked)
            return sys.modules[package] is not None
        return importlib.util.find_spec(package) is not None

    absent = {name for name, module in _LAZY_MODULES.items() if not installed(module.split(".")[0])}
    return sorted({*__all__, *_IMPORTED} - absent)


class Timer:
    """Record several running times (D2L §3.1.2)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start the timer."""
        self.tik = time.perf_counter()

    def stop(self) -> float:
        """Stop the timer and record the time in a list."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """Return the average time."""
        if not self.times:
            raise UsageError("Timer.avg() needs a recorded time; call stop() first")
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """Return the sum of time."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """Return the accumulated time."""
        return np.array(self.times).cumsum().tolist()


def get_dataloader_workers() -> int:
    """Return 0: batches are slices of one in-memory tensor, so worker processes only add overhead."""
    return 0


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Return the *number* of correct predictions, as the book's ``accuracy`` does (D2L §3.6.5).

    Unlike the book's, it checks its input: labels of shape (B, 1) would broadcast against (B,)
    predictions and count up to B² "correct" rows, and a label outside the C classes never matches.
    """
    check_scores_first("accuracy", "y_hat", y_hat, y, section="§3.6.5")  # named as called
    return float(correct_count(y_hat, y))
