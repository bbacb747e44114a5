"""The book's names with the book's signatures, so chapter 3 runs unchanged with ``from linearnets import d2l``.

Swap ``from d2l import torch as d2l`` for ``from linearnets import d2l``: the chapter's code keeps working,
in a script as in a notebook, and trains at linearnets' speed (Fashion-MNIST batches are sliced from one
in-memory tensor, and an optimizer is run by linearnets' own loop). Differences, all deliberate:
``train_ch3`` prints one line per epoch outside Jupyter instead of asserting on the final accuracy, and
outside Jupyter ``train_ch3`` and ``predict_ch3`` also save their figures (``train_ch3.png``/``.svg`` and
``predict_ch3.png`` in the working directory). The tensor names ``d2l.torch`` defines for code shared
between frameworks (``d2l.normal``, ``d2l.matmul``, ``d2l.argmax``, ``d2l.reduce_sum``, …) are here too.

See D2L chapter 3.
"""

from __future__ import annotations

import inspect
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch

from linearnets import _d2l_aliases
from linearnets._d2l_aliases import *  # noqa: F403 (d2l.torch's tensor names: d2l.normal, …)
from linearnets.data.synthetic import load_array as load_array
from linearnets.data.synthetic import synthetic_data as synthetic_data
from linearnets.errors import UsageError, UsageTypeError
from linearnets.metrics import Accumulator as Accumulator
from linearnets.metrics import correct_count
from linearnets.models.scratch import linreg as linreg
from linearnets.models.scratch import sgd as sgd
from linearnets.models.scratch import squared_loss as squared_loss
from linearnets.training.callbacks import format_epoch
from linearnets.training.loop import EpochMetrics, evaluate_accuracy, train_epoch
from linearnets.training.step import compute_loss, raise_backward_error, unpack
from linearnets.training.totals import EpochTotals
from linearnets.validation import check_positive_int

_LAZY = {
    "Animator": "linearnets.plotting",
    "set_figsize": "linearnets.plotting",
    "set_axes": "linearnets.plotting",
    "use_svg_display": "linearnets.plotting",
    "show_images": "linearnets.plotting",
    "get_fashion_mnist_labels": "linearnets.data.fashion_mnist",
    "load_data_fashion_mnist": "linearnets.data.fashion_mnist",
}


__all__ = sorted(
    [
        "Accumulator",
        "Timer",
        "accuracy",
        "evaluate_accuracy",
        "get_dataloader_workers",
        "linreg",
        "load_array",
        "plot",
        "predict_ch3",
        "sgd",
        "squared_loss",
        "synthetic_data",
        "train_ch3",
        "train_epoch_ch3",
        *_LAZY,
        *_d2l_aliases.__all__,
    ]
)


def __getattr__(name: str) -> Any:
    # matplotlib and the dataset code load on first use, so `from linearnets import d2l` stays cheap
    if name == "plt":
        import matplotlib.pyplot as plt

        return plt
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'linearnets.d2l' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    # the book's names, loaded or not, so a notebook's `d2l.<Tab>` offers them (and not the imports)
    return sorted([*__all__, "plt"])


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
    return float(correct_count(y_hat, y))


def _is_optimizer(updater: Any) -> bool:
    return hasattr(updater, "zero_grad") and hasattr(updater, "step")


def _check_updater(updater: Any) -> None:
    """Raise unless ``updater`` is an optimizer (``zero_grad``/``step``) or the book's ``updater(batch_size)``."""
    if _is_optimizer(updater):
        return
    if not callable(updater):
        raise UsageTypeError(
            f"updater must be an optimizer (e.g. torch.optim.SGD) or a function updater(batch_size), "
            f"got {type(updater).__name__}; pass e.g. torch.optim.SGD(net.parameters(), lr=0.1)"
        )
    try:
        signature = inspect.signature(updater)
    except (TypeError, ValueError):  # a builtin without a signature: its call will tell
        return
    try:
        signature.bind(1)
    except TypeError:
        name = getattr(updater, "__name__", type(updater).__name__)
        raise UsageTypeError(
            f"updater must be an optimizer or a function called as updater(batch_size), the book's "
            f"signature (D2L §3.6.6), got {name}{signature}, which cannot take one argument; define "
            "it as `def updater(batch_size): return d2l.sgd([W, b], lr, batch_size)`"
        ) from None


def train_epoch_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    updater: Any,
) -> tuple[float, float]:
    """Train for one epoch; return (mean loss, accuracy), the numbers the book's returns (D2L §3.6.6).

    ``updater`` is a ``torch.optim.Optimizer`` (mean loss) or the book's function ``updater(batch_size)``
    (summed loss, the function divides by the batch size). An optimizer (anything with ``zero_grad``
    and ``step``, the scratch ``SGD`` too) is run by linearnets' own loop: the same updates, with
    metrics read without a sync per step: an epoch of the book's concise model in ~25% less time.
    The loss reported is the book's, the epoch's ``float(l.sum())`` over its examples, whatever the
    loss returns: a loss reduced to a 0-d batch mean (``nn.CrossEntropyLoss()``) reports mean / B
    there, as the book's does (:func:`linearnets.fit` reports the mean). Both paths refuse bad
    batches, labels and losses with the same errors.
    """
    _check_updater(updater)
    if _is_optimizer(updater):
        # "sum": the book adds float(l.sum()) whatever the loss, so a 0-d loss counts once
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater, scalar_loss="sum")
    else:
        train_loss, train_acc = _train_epoch_with_function(net, train_iter, loss, updater)
    return train_loss, (train_acc if train_acc is not None else float("nan"))


def _train_epoch_with_function(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    updater: Callable[[int], Any],
) -> tuple[float, float | None]:
    """The book's loop for a function ``updater(batch_size)``: backward of the summed loss, then the
    update, which divides by the batch size; with the optimizer path's checks (D2L §3.6.6)."""
    if isinstance(net, torch.nn.Module):
        net.train()
    totals = EpochTotals(summed=True)  # the book's float(l.sum()): a 0-d loss counts once
    for batch in train_iter:
        X, y = unpack(batch)
        y_hat = net(X)
        l = compute_loss(loss, y_hat, y)
        try:
            l.sum().backward()
        except RuntimeError as err:
            raise_backward_error(net, err)
        updater(X.shape[0])
        totals.add(y_hat, y, l)
        del batch, X, y, y_hat, l  # free the batch's block for the next one (see train_epoch)
    return totals.result("train_iter", None)


def _figure_file(name: str, notebook: bool) -> str | None:
    """Return where a figure is saved outside Jupyter: ``name`` in the working folder if writable.

    The file is a convenience the book's functions do not have: a read-only folder only skips it
    (with a warning), it does not stop the training or prediction the book's code asked for.
    """
    if notebook:
        return None
    if not os.access(".", os.W_OK | os.X_OK):
        warnings.warn(
            f"the working folder is not writable, so {name} is not saved; run from a folder you "
            "can write to for the file",
            stacklevel=3,
        )
        return None
    return name


def _in_notebook() -> bool:
    # the plotting package's test (Colab's and VS Code's shells subclass Jupyter's), so train_ch3's
    # printing and saving agree with where its Animator draws
    from linearnets.plotting._mpl import in_notebook

    return in_notebook()


def train_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    test_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    num_epochs: int,
    updater: Any,
) -> None:
    """Train a model and draw the curves; print one line per epoch outside Jupyter (D2L §3.6.6).

    Outside Jupyter the curves are also written to ``train_ch3.png`` (and ``.svg``) in the working
    directory, rewritten after each epoch.

    Returns ``None``, as the book's does, so a notebook cell ending in it shows only the figure. The
    book's closing asserts on the final metrics are left out: the curves (and, outside Jupyter, the
    printed lines) show them, and :func:`linearnets.fit` returns them as a history.
    """
    from linearnets.plotting import Animator

    num_epochs = check_positive_int("num_epochs", num_epochs)
    _check_updater(updater)
    notebook = _in_notebook()
    animator = Animator(
        xlabel="epoch",
        # the book's [1, num_epochs]; for one epoch that range is empty (matplotlib warns), so widen it
        xlim=[1, num_epochs] if num_epochs > 1 else [0.5, 1.5],
        ylim=[0.3, 0.9],
        legend=["train loss", "train acc", "test acc"],
        out=_figure_file("train_ch3.png", notebook),
    )
    for epoch in range(num_epochs):
        start = time.perf_counter()
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, (train_loss, train_acc, test_acc))
        if not notebook:
            metrics = EpochMetrics(
                epoch + 1, train_loss, train_acc, None, test_acc, time.perf_counter() - start
            )
            print(format_epoch(metrics), flush=True)


def plot(
    X: Any,
    Y: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
    figsize: tuple[float, float] = (3.5, 2.5),
    axes: Any = None,
) -> None:
    """Plot data points on ``axes`` (default: the current axes) (D2L §2.4).

    Returns ``None``, as the book's does, so a notebook cell ending in it shows only the figure;
    :func:`linearnets.plotting.plot` returns the axes.
    """
    from linearnets.plotting import plot as draw

    draw(X, Y, xlabel, ylabel, legend, xlim, ylim, xscale, yscale, fmts, figsize, axes)


def predict_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    test_iter: Iterable[Sequence[torch.Tensor]],
    n: int = 6,
) -> None:
    """Show the first ``n`` test images with true and predicted labels (D2L §3.6.7).

    Outside Jupyter the figure is also saved to ``predict_ch3.png`` in the working directory. Returns
    ``None``, as the book's does (a notebook cell ending in it shows the figure and nothing else);
    :func:`linearnets.inference.predict` returns the axes.
    """
    from linearnets.inference import predict

    predict(net, test_iter, n, out=_figure_file("predict_ch3.png", _in_notebook()))
