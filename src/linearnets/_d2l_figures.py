"""The book's figure functions for :mod:`linearnets.d2l`: ``plot``, ``predict_ch3``, and where their files go.

Outside Jupyter a figure of the book's functions is also saved in the working folder, so a script
shows its results too. matplotlib loads on the first figure, not with this module.

See D2L §2.4 and §3.6.7.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch

from linearnets._fs import DISK_FULL
from linearnets._warn import warn
from linearnets.errors import UsageError

__all__ = [
    "close_earlier_figures",
    "figure_file",
    "file_failure",
    "in_notebook",
    "plot",
    "predict_ch3",
    "remove_earlier_figure",
    "warn_unsaved",
]


def figure_file(name: str, notebook: bool) -> str | None:
    """Return where a figure is saved outside Jupyter: ``name`` in the working folder if writable.

    The file is a convenience the book's functions do not have: a read-only folder, or a folder
    named ``name``, only skips it (with a warning), it does not stop the training or prediction the
    book's code asked for (nor does a failure to write it later: see :func:`file_failure`).
    """
    if notebook:
        return None
    if not os.access(".", os.W_OK | os.X_OK):
        warn(
            f"the working folder is not writable, so {name} is not saved; run from a folder you "
            "can write to for the file",
        )
        return None
    if os.path.isdir(name):
        warn(
            f"{name} is a folder in the working folder, so the figure is not saved there; rename "
            "that folder for the file",
        )
        return None
    return name


def remove_earlier_figure(name: str, *, svg: bool = True) -> None:
    """Remove the figure file ``name`` and the SVG beside it, an earlier call's, before a new one draws.

    Each call rewrites them once its first epoch is drawn: a call failing before that (its model
    raising, a divergence, Ctrl-C) would leave the earlier call's curves passing for its own. As a
    run started over drops its curves (:mod:`linearnets.tasks.resume`), they go when training starts.
    ``svg=False`` leaves the SVG, for a figure saved without one (``predict_ch3.png``).
    """
    svgs = [os.path.splitext(name)[0] + ".svg"] if svg else []
    for path in (name, *svgs):
        # missing, a folder (skipped with a warning when written), or not removable: the write of
        # the first epoch replaces it or warns, as it would have without this
        with contextlib.suppress(OSError):
            os.unlink(path)


def file_failure(exc: BaseException, name: str) -> bool:
    """Return whether ``exc`` is a failure to write the figure file ``name`` (or its ``.svg``).

    An OSError (a full disk) or a UsageError naming the file (a folder put in its place): the
    book's code then goes on without the file. Any other error is the code's own, and is raised.
    """
    return isinstance(exc, OSError) or (
        isinstance(exc, UsageError) and os.path.splitext(name)[0] in str(exc)
    )


def warn_unsaved(name: str, exc: BaseException) -> None:
    """Warn, for the caller of train_ch3 or predict_ch3, that the figure file ``name`` (or the SVG
    beside it) could not be written, naming the file that failed and a fix for its cause."""
    # in our words: the plotting package's message advises an out= these functions do not have
    svg = os.path.splitext(name)[0] + ".svg"
    folders = [p for p in (name, svg) if os.path.isdir(p)]
    failed = folders[0] if folders else str(getattr(exc, "filename", None) or name)
    if folders:
        reason, fix = "a folder has its name", f"rename or move the folder {failed}"
    elif isinstance(exc, OSError) and exc.errno in DISK_FULL:
        reason, fix = exc.strerror or "the disk is full", "free some space"
    elif isinstance(exc, OSError):
        reason, fix = exc.strerror or str(exc), "run from a folder you can write to"
    else:
        reason = " ".join(str(exc).split(";")[0].split())
        fix = "run from a folder you can write to"
    warn(
        f"{failed} could not be written ({reason}); the book's code goes on without it ({fix}, "
        "for the file)",
    )


def close_earlier_figures(label: str) -> None:
    """Close in pyplot the figures labelled ``label`` that earlier calls of a book's function left
    there (``train_ch3``'s curves, ``predict_ch3``'s images), outside a notebook.

    Each call's figure stays pyplot's current one, as the book's (a script's ``plt.savefig`` or
    ``plt.show()`` after it sees it), until the next call: a script's sweep of 21 calls piled
    them up ("More than 20 figures have been opened"). In a notebook pyplot lets each go as its
    cell ends, its display kept.
    """
    from linearnets.plotting._mpl import pyplot

    plt = pyplot()
    while label in plt.get_figlabels():
        plt.close(label)


def in_notebook() -> bool:
    """Return whether code runs in a Jupyter kernel, by the plotting package's test."""
    # the plotting package's test (Colab's and VS Code's shells subclass Jupyter's), so train_ch3's
    # printing and saving agree with where its Animator draws
    from linearnets.plotting._mpl import in_notebook

    return in_notebook()


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

    A test set of fewer than ``n`` examples shows all of them (the book's
    ``X[0:n].reshape((n, 28, 28))`` fails there), and a first batch of fewer reads the next ones.

    The figure is pyplot's, as the book's (``d2l.plt.show()`` or ``d2l.plt.savefig`` after it see
    it). Outside Jupyter it is also saved to ``predict_ch3.png`` in the working directory (a
    failure to write it is a warning, not an error: the file is not the book's); an earlier
    call's file there is removed once the arguments are checked, before the model runs, and its
    figure closed in pyplot, as ``train_ch3`` closes its curves (a sweep of 21 calls holds one
    figure, not 21). Returns ``None``, as the book's does (a notebook cell ending in it shows the
    figure and nothing else); :func:`linearnets.inference.predict` returns the axes.
    """
    from linearnets.inference import prediction_samples
    from linearnets.plotting import plot_predictions
    from linearnets.plotting.images import check_show_count
    from linearnets.training.loop_checks import check_batches, check_net

    notebook = in_notebook()
    out = figure_file("predict_ch3.png", notebook)
    n = check_show_count(
        "n", n, example=6
    )  # before reading any batch, as linearnets.inference.predict
    check_net(net, library="d2l")
    check_batches("test_iter", test_iter, passes=1, library="d2l")
    if out is not None:  # an earlier call's images would pass for this one's if the net fails
        remove_earlier_figure(out, svg=False)
    if not notebook:  # and in pyplot (see close_earlier_figures)
        close_earlier_figures(_PREDICTIONS_LABEL)
    images, true_labels, pred_labels = prediction_samples(net, test_iter, n)
    with contextlib.nullcontext() if notebook else _labelling_its_figure(_PREDICTIONS_LABEL):
        try:
            plot_predictions(images, true_labels, pred_labels, out=out, managed=True)
        except (OSError, UsageError) as exc:
            if out is None or not file_failure(exc, out):
                raise
            warn_unsaved(out, exc)


# the label of predict_ch3's figure in pyplot, by which the next call outside a notebook finds it
_PREDICTIONS_LABEL = "d2l.predict_ch3"


@contextlib.contextmanager
def _labelling_its_figure(label: str) -> Iterator[None]:
    """Give the figure drawn in the block, pyplot's current one after it, ``label``; none where
    the block made none (a figure of the caller's own is current then, and keeps its label)."""
    from linearnets.plotting._mpl import pyplot

    plt = pyplot()
    before = set(plt.get_fignums())
    try:
        yield
    finally:
        # gcf() would make a figure where pyplot holds none
        if plt.get_fignums() and plt.gcf().number not in before:
            plt.gcf().set_label(label)
