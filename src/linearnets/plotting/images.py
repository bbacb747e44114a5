"""Grids of images: the book's ``show_images`` and the ``predict_ch3`` figure of true vs predicted labels.

See D2L §3.5 and §3.6.7.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Sized
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from linearnets.errors import UsageError
from linearnets.option_checks import check_bool
from linearnets.plotting._fonts import title_font
from linearnets.plotting._image_args import (
    MAX_CELLS,
    MAX_FIGURE_PIXELS,
    MAX_FIGURE_SIDE,
    MAX_SHOW,
    check_batch,
    check_cmap,
    check_figure_size,
    check_show_count,
    grid_images,
    scalars,
    title_list,
    title_text,
)
from linearnets.plotting._mistake_marks import marked_wrong
from linearnets.plotting._mpl import check_out_path, in_notebook, new_figure, save_figure
from linearnets.plotting._out_path import check_out_writable
from linearnets.plotting._runs_own import check_out
from linearnets.validation import check_positive_float, check_positive_int

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure

__all__ = [
    "MAX_CELLS",
    "MAX_FIGURE_PIXELS",
    "MAX_FIGURE_SIDE",
    "MAX_SHOW",
    "MISTAKE_COLOR",
    "check_show_count",
    "plot_predictions",
    "show_images",
]

MISTAKE_COLOR = "tab:red"


# rows of titled images kept at matplotlib's spacing (the book's §3.5 grid is 2 × 9); more are
# drawn _TITLED_ROWS_SPACE apart, in axes heights, so that no label touches the row above it
_BOOK_ROWS = 2
_TITLED_ROWS_SPACE = 0.3


def draw_images(
    imgs: Any,
    num_rows: int,
    num_cols: int,
    titles: Iterable[Any] | None,
    scale: float,
    *,
    managed: bool,
    cmap: str | None = None,
    name: str = "imgs",
) -> tuple[Figure, np.ndarray]:
    """Draw the grid and return (figure, flat axes); :func:`show_images` without the saving.

    ``name`` is the caller's name for ``imgs`` in error messages.
    """
    num_rows = check_positive_int("num_rows", num_rows)
    num_cols = check_positive_int("num_cols", num_cols)
    scale = check_positive_float("scale", scale, fix="pass e.g. scale=1.5 (the book's)")
    arrays = grid_images(imgs, num_rows, num_cols, name)
    check_figure_size(num_rows, num_cols, scale)
    cmap = check_cmap(cmap)
    names = title_list(titles, len(arrays))
    if names is not None and len(names) < len(arrays):
        raise UsageError(
            f"titles must hold one title per image drawn ({len(arrays)}), got {len(names)}; "
            "pass as many titles as images, or titles=None"
        )
    texts = None if names is None else [title_text(t) for t in names]  # 9.0 titled 9
    font = {} if texts is None else title_font(texts)
    fig = new_figure((num_cols * scale, num_rows * scale), managed=managed)
    axes = fig.subplots(num_rows, num_cols, squeeze=False).flatten()
    for i, ax in enumerate(axes):
        if i >= len(arrays):
            ax.set_axis_off()  # an empty cell of the grid
            continue
        ax.imshow(arrays[i], cmap=cmap)
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)
        if texts is not None:  # a label, drawn as written: "$5" is no mathtext
            ax.set_title(texts[i], parse_math=False, **font)
    if texts is not None and num_rows > _BOOK_ROWS:
        # the book's spacing left a label 6 px under the row above in its 2 rows, 0.7 px in 4,
        # and overlapped it from 6 rows on (-1.8 px in 10 × 10): 0.3 leaves 6-8 px in 3 to 10
        fig.subplots_adjust(hspace=_TITLED_ROWS_SPACE)
    return fig, axes


def _sized(value: Any) -> Any:
    """Return a generator's items as a list, any other value as it is."""
    return value if isinstance(value, Sized) or not isinstance(value, Iterable) else list(value)


def _checked_out(out: str | Path | None) -> Path | None:
    """Return ``out`` as the path to save to, once its name and its folder's permissions are
    checked: before a figure shows (a notebook showed it, then the error). A file a run writes
    into its folder is refused (:func:`~linearnets.plotting._runs_own.check_out`) but where the
    run's own figure, or one its caller checked, is drawn (``as_runs_own``)."""
    if out is None:
        return None
    path = check_out_path("out", out)
    check_out(path)
    return check_out_writable("out", path)


def _finish(fig: Figure, path: Path | None, *, managed: bool, make_folder: bool = True) -> None:
    """Save ``fig`` to ``path`` (checked before it was drawn) if given; a notebook's figure of
    pyplot's is shown (and closed) at the cell end where the kernel's backend would not
    (``MPLBACKEND=Agg``). Its folder is made if missing, with ``make_folder``."""
    if path is not None:
        save_figure(fig, path, make_folder=make_folder)
    if managed and in_notebook():
        from linearnets.plotting._live_output import show_at_cell_end

        show_at_cell_end(fig)


def show_images(
    imgs: Any,
    num_rows: int,
    num_cols: int,
    titles: Iterable[Any] | None = None,
    scale: float = 1.5,
    *,
    out: str | Path | None = None,
    cmap: str | None = None,
) -> np.ndarray:
    """Draw a grid of images, each titled when ``titles`` is given, and return its axes.

    Only the images that exist are drawn: with fewer than ``num_rows * num_cols`` the remaining cells stay
    empty; with more, the first ``num_rows * num_cols`` are drawn. In Jupyter the figure shows inline as
    usual; in a script without ``out`` it stays open in pyplot (``plt.show()`` or ``plt.savefig``).

    Args:
        imgs: a batch (N, H, W) or (N, C, H, W) (a tensor or an array), float, integer or bool, or a
            list of images (H, W), (C, H, W) or (H, W, C) (tensors, arrays) or PIL images; C is 1, 3
            or 4 (grey, RGB, RGBA). A 3-d image is read as (C, H, W) when its first side is 1, or
            is 3 or 4 and its last side is not 1, 3 or 4 (an array (3, 28, 28) too); when both
            ends are 1, 3 or 4, a tensor is read as (C, H, W) (torch's layout) and an array as
            (H, W, C); any other 3-d image as (H, W, C).
        num_rows, num_cols: the grid's shape, each ≥ 1, at most :data:`MAX_CELLS` (400) cells.
        titles: one title per drawn image (at least as many as images drawn): a list, a tuple, a
            generator, any iterable (a dict is read by position, ``titles[i]``, as the book reads
            it); only the titles of the images drawn are read. An empty one
            (``[]``) draws no titles, as the book's ``if titles:`` does. Each is drawn as
            written, ``$`` included: labels are data, not matplotlib's mathtext.
        scale: inches per grid cell; the figure must stay within :data:`MAX_FIGURE_SIDE` pixels
            a side and :data:`MAX_FIGURE_PIXELS` in all at matplotlib's dpi.
        out: save the figure there too; PNG, SVG or PDF by the extension. Outside Jupyter the figure
            is then not kept by pyplot, so saving many figures does not grow memory. Not a
            file a run writes into its folder (``curves.png``, ``confusion.png``, ``predictions.png``,
            ..., or ``linearnets predict``'s ``predict-6.png``) in a folder holding a run: the
            figure would replace or pass for the run's.
        cmap: colormap for one-channel images (matplotlib's default, like the book, when ``None``).

    Returns:
        The flat array of ``num_rows * num_cols`` matplotlib ``Axes``.

    Raises:
        UsageError: bad images, grid, titles or scale, or ``out`` is a file of a run's folder.

    See D2L §3.5.1.
    """
    path = _checked_out(out)
    managed = out is None or in_notebook()
    fig, axes = draw_images(imgs, num_rows, num_cols, titles, scale, managed=managed, cmap=cmap)
    _finish(fig, path, managed=managed)
    return axes


def plot_predictions(
    images: Any,
    true_labels: Sequence[Any] | torch.Tensor,
    pred_labels: Sequence[Any] | torch.Tensor,
    *,
    out: str | Path | None = None,
    n: int | None = None,
    num_cols: int | None = None,
    cmap: str | None = None,
    managed: bool | None = None,
    make_folder: bool = True,
) -> np.ndarray:
    """Draw ``n`` images titled "true\\npredicted", in one row or ``num_cols`` a row; titles of
    mistakes are red.

    Args:
        images: what :func:`show_images` accepts, at least ``n`` images.
        true_labels, pred_labels: label names (or class indices), one per image; any of the
            three may be a generator, read whole. Names are drawn as written (``$`` is no
            mathtext), as :func:`show_images` draws titles. A mistake is told by value: 9.0 is
            class 9 (and titled 9), '9' is 9; names against class indices, and bools, are
            refused.
        out: save the figure there too (PNG, SVG or PDF by the extension). Not a file a run
            writes into its folder (``predictions.png``, ``curves.svg``, ``confusion.png``,
            ..., or ``linearnets predict``'s ``predict-6.png``) in a folder holding a run: the
            figure would replace or pass for the run's, as :func:`show_images` refuses it.
        n: how many images to draw, at most :data:`MAX_SHOW` (default: all of them).
        num_cols: images a row, the rest wrapped onto further rows (default: all ``n`` in one
            row, as the book's ``predict_ch3`` draws them; ``linearnets predict`` draws rows of
            at most 10, as evenly filled as they can be: 20 images as 2 rows of 10).
        cmap: colormap for one-channel images, as in :func:`show_images`.
        managed: True, False or None: whether pyplot keeps the figure (``plt.gcf()``,
            ``plt.savefig``, ``plt.show()`` see it), as the book's ``predict_ch3`` does; by
            default (None) only in Jupyter or without ``out``, as :func:`show_images` (a figure
            saved to ``out`` is then freed).
        make_folder: True or False (a string, ``'False'``, is refused): make ``out``'s folder when
            it is missing; ``False`` where it must exist (a run's folder, removed as the run ends,
            is not made again holding this figure alone).

    Returns:
        The flat array of ``n`` matplotlib ``Axes``.

    Raises:
        UsageError: bad images, labels, ``n`` or ``num_cols``, or ``out`` is a file of a run's
            folder.

    See D2L §3.6.7.
    """
    make_folder = check_bool("make_folder", make_folder)  # "False" is true
    if managed is not None:
        managed = check_bool("managed", managed)  # as make_folder
    # a generator of them (show_images takes one too): read into a list, to be counted
    images, true_labels, pred_labels = (
        _sized(value) for value in (images, true_labels, pred_labels)
    )
    check_batch(images, "images")  # one image (28, 28), a batch's [X, y]: before it is counted
    total = len(images)
    if total == 0:
        raise UsageError(
            "images must hold at least one image, got none: there is nothing to draw (as with "
            "the mistakes X[pred != y] of a model that makes none); draw only where "
            "len(images) > 0"
        )
    # (N, C) scores or one-hot rows are refused before the lengths: their argmax is the fix
    true = scalars("true_labels", true_labels, rows="class indices", each="one label")
    pred = scalars("pred_labels", pred_labels, rows="class indices", each="one label")
    if len(true) != total or len(pred) != total:
        raise UsageError(
            f"images, true_labels and pred_labels must have the same length, got {total}, "
            f"{len(true)} and {len(pred)}; pass one label of each kind per image"
        )
    if n is None and total > MAX_SHOW:
        raise UsageError(
            f"images must be at most {MAX_SHOW} (linearnets.plotting.images.MAX_SHOW) when n is not "
            f"given, got {total}; pass e.g. n=6 to draw the first ones"
        )
    n = check_show_count("n", total if n is None else n, example=6)
    if n > total:
        raise UsageError(
            f"n must be at most the number of images ({total}), got {n}; pass n={total} or "
            "fewer, or more images (with their true_labels and pred_labels)"
        )
    true, pred = true[:n], pred[:n]
    wrong = marked_wrong(true, pred)
    # no CJK font: refused naming the parameter, the two judged together for lang='en'
    title_font(
        {"true_labels": [title_text(t) for t in true], "pred_labels": [title_text(p) for p in pred]}
    )
    titles = [f"{title_text(t)}\n{title_text(p)}" for t, p in zip(true, pred, strict=True)]
    path = _checked_out(out)
    if managed is None:
        managed = out is None or in_notebook()
    cols = n if num_cols is None else min(check_positive_int("num_cols", num_cols), n)
    rows = -(-n // cols)
    fig, axes = draw_images(
        images[:n], rows, cols, titles, 1.5, managed=managed, cmap=cmap, name="images"
    )
    if rows > 1:  # room between the rows for each image's two-line title
        fig.set_size_inches(cols * 1.5, rows * 1.5 * 1.4)
        fig.subplots_adjust(hspace=0.5)
    axes = axes[:n]  # a last row's empty cells aside
    for ax, mistake in zip(axes, wrong, strict=True):
        if mistake:
            ax.title.set_color(MISTAKE_COLOR)
    _finish(fig, path, managed=managed, make_folder=make_folder)
    return axes
