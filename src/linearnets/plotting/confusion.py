"""Confusion matrix: counting (pure, torch only), per-class accuracy, a text table and a heatmap.

See D2L §3.6.7 (the book stops at a few predictions; the matrix shows every class at once).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from linearnets._text import display_width, padded
from linearnets.errors import UsageError
from linearnets.option_checks import check_bool
from linearnets.plotting._runs_own import check_out
from linearnets.validation import check_label_tensor, check_positive_int, check_same_length

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "MAX_DENSE_CLASSES",
    "MAX_DRAWN_CLASSES",
    "MAX_NUMBERED_CLASSES",
    "confusion_matrix",
    "diagonal_and_totals",
    "format_per_class_table",
    "per_class_accuracy",
    "plot_confusion_matrix",
]

# Above 30 classes the cells are not numbered and the figure stops growing: a number needs about
# 0.6 inch of cell, so 30 numbered classes already make a 19.5-inch figure (~1 s to draw), and the
# drawing time and memory grow with the C² numbers (200 classes: 40,000 texts, 76 s, 4.6 GB).
MAX_NUMBERED_CLASSES = 30
# Above 200 classes a run draws no heatmap at all: in the capped figure a cell is then under
# ~7 pixels, resampled away; the per-class table and confusion.pt keep every count.
MAX_DRAWN_CLASSES = 200
# Above 1024 classes the matrix is a sparse COO tensor of its nonzero cells: a dense int64 one is
# 8 MiB at 1024 classes but 800 MB at 10⁴ and 80 GB at the 10⁵ classes a --data file may have,
# while a test set of N examples fills at most N cells.
MAX_DENSE_CLASSES = 1024
# a sparse matrix is drawn densely up to this many classes (a float64 copy of 128 MiB)
MAX_DRAWN_DENSE = 4096


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Return how often each true class got each prediction.

    Args:
        y_true: true class indices, int (N,).
        y_pred: predicted class indices, int (N,).
        num_classes: C, the number of classes; every label must be in [0, C).

    Returns:
        int64 (C, C): entry [i, j] counts examples of true class i predicted as class j; above
        :data:`MAX_DENSE_CLASSES` classes a coalesced sparse COO tensor of the nonzero cells
        (``.to_dense()`` gives the matrix where it fits in memory).
    """
    num_classes = check_positive_int("num_classes", num_classes)
    check_label_tensor("y_true", y_true, num_classes=num_classes)
    check_label_tensor("y_pred", y_pred, num_classes=num_classes)
    check_same_length(["y_true", "y_pred"], [y_true, y_pred])
    flat = y_true.long().cpu() * num_classes + y_pred.long().cpu()  # (N,) cell index i * C + j
    if num_classes > MAX_DENSE_CLASSES:
        cells, counts = torch.unique(flat, return_counts=True)  # sorted: already coalesced
        rows = torch.stack([cells // num_classes, cells % num_classes])  # (2, nnz)
        with torch.sparse.check_sparse_tensor_invariants(False):  # built valid: no checks
            return torch.sparse_coo_tensor(
                rows, counts, (num_classes, num_classes), is_coalesced=True
            )
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def diagonal_and_totals(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return each class's correct count (the diagonal) and its examples (row sums), both (C,).

    For a dense or a sparse (COO) confusion matrix alike, of counts: a row- or column-normalized
    one (fractions whose rows, or columns, sum to 1) is refused, as its sums are no examples.
    """
    m = _check_counts(_check_matrix(matrix))
    if not m.is_sparse:
        return m.diagonal(), m.sum(dim=1)
    m = m.coalesce()
    (rows, cols), values = m.indices(), m.values()
    totals = torch.zeros(m.shape[0], dtype=values.dtype).index_add_(0, rows, values)
    hit = rows == cols
    diagonal = torch.zeros_like(totals).index_add_(0, rows[hit], values[hit])
    return diagonal, totals


def _check_matrix(matrix: Any) -> torch.Tensor:
    m = torch.as_tensor(matrix)
    if str(m.dtype) in ("torch.uint16", "torch.uint32", "torch.uint64"):
        # counts kept in NumPy's wide unsigned ints (np.zeros((C, C), np.uint32)): torch stores
        # them but neither compares nor sums them ('"lt_cpu" not implemented for UInt64')
        m = m.to(torch.int64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise UsageError(
            f"matrix must be a square (C, C) confusion matrix, got shape {tuple(m.shape)}; "
            "build one with confusion_matrix(y_true, y_pred, num_classes)"
        )
    values = m.coalesce().values() if m.is_sparse else m
    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
        raise UsageError("matrix must hold finite counts, got NaN or inf entries")
    if bool((values < 0).any()):
        raise UsageError("matrix must hold counts >= 0, got negative entries")
    return m


def _check_counts(m: torch.Tensor) -> torch.Tensor:
    """Refuse a normalized matrix ``m`` (C, C): floats whose nonempty rows (or columns) all sum
    to 1, as ``plot_confusion_matrix(normalize=True)`` draws them. Its row sums are no example
    counts: the overall accuracy of ``[[990, 0], [10, 0]]`` normalized read 0.500, not 0.990.
    Other fractions pass (the mean of two runs' matrices: counts still)."""
    if not m.is_floating_point() or m.shape[0] < 2:
        return m
    dense = m.to_dense() if m.is_sparse else m
    fractional = dense != dense.round()  # (C, C)
    # whole cells need two nonempty lines: one alone reads the same accuracy either way
    what = _normalized_side(dense, min_lines=1 if bool(fractional.any()) else 2)
    if what is None:
        return m
    if bool(fractional.any()):
        i, j = (int(k) for k in fractional.nonzero()[0])
        raise UsageError(
            f"matrix must hold counts, got fractions whose {what}s sum to 1, e.g. "
            f"{float(dense[i, j]):.3g} at [{i}, {j}]: pass the counts confusion_counts (or "
            f"confusion_matrix) gives, not a {what}-normalized matrix"
        )
    # whole floats, one 1 per nonempty row: [[1., 0], [1, 0]] is [[990, 0], [10, 0]] normalized
    # as well as one example per class. Off the diagonal the two readings' accuracies differ;
    # on it (every class right) they agree, so a diagonal matrix passes.
    off_diagonal = (dense != 0) & ~torch.eye(dense.shape[0], dtype=torch.bool)  # (C, C)
    if not bool(off_diagonal.any()):
        return m
    i, j = (int(k) for k in off_diagonal.nonzero()[0])
    per = "class" if what == "row" else "predicted class"
    raise UsageError(
        f"matrix must hold counts, got floats whose {what}s all sum to 1 (e.g. 1 at [{i}, {j}]), "
        f"as a {what}-normalized matrix's do: pass the counts confusion_counts (or "
        f"confusion_matrix) gives; if these are counts of one example per {per}, pass them as "
        "integers (matrix.long())"
    )


def _normalized_side(dense: torch.Tensor, *, min_lines: int) -> str | None:
    """Return "row" or "column" when ``min_lines`` or more nonempty rows (columns) of ``dense``
    (C, C) all sum to 1, else None."""
    for what, sums in (("row", dense.sum(dim=1)), ("column", dense.sum(dim=0))):  # (C,) each
        kept = sums[sums != 0]
        if len(kept) >= min_lines and bool(
            torch.isclose(kept, torch.ones_like(kept), atol=1e-6).all()
        ):
            return what
    return None


def _check_names(class_names: Sequence[str], size: int) -> list[str]:
    """Return one name per class as strings; a label tensor's items as "3", not "tensor(3)"."""
    names = None  # a string, a number or a 0-d tensor: no names to list
    listable = isinstance(class_names, Iterable) and not isinstance(class_names, str)
    if listable and getattr(class_names, "ndim", 1) != 0:
        names = list(class_names)  # a generator, a range, a tensor of class indices too
    if names is None or len(names) != size:
        got = repr(class_names) if names is None else f"{len(names)} names"
        raise UsageError(
            f"class_names must hold one name per class ({size}), got {got}; "
            "e.g. linearnets.get_fashion_mnist_labels(range(10))"
        )
    return [str(c.item() if hasattr(c, "item") else c) for c in names]


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Return each class's accuracy (its recall): correct / examples of that true class.

    Args:
        matrix: confusion counts (C, C), rows = true class; not a row-normalized one.

    Returns:
        float64 (C,); NaN for a class with no examples (its accuracy is undefined, not 0).
    """
    diagonal, totals = diagonal_and_totals(matrix)  # (C,) correct, examples per true class
    # a class without examples has 0 on its diagonal: 0/0 = NaN
    return diagonal.to(torch.float64) / totals.to(torch.float64)


def format_per_class_table(matrix: torch.Tensor, class_names: Sequence[str]) -> str:
    """Return a text table: one row per class (correct, total, accuracy), then the overall row.

    Classes without examples show ``n/a`` as their accuracy.

    Args:
        matrix: confusion counts (C, C), rows = true class, as :func:`confusion_matrix` gives;
            a row- or column-normalized one is refused: its overall row would be no accuracy.
        class_names: C names, one per row: any iterable (a label tensor's items read as numbers).
    """
    diagonal, totals = diagonal_and_totals(matrix)
    names = _check_names(class_names, len(totals))
    acc = per_class_accuracy(matrix)
    # in terminal columns: a Chinese name (lang="zh") takes two a character
    width = max(len("overall"), len("class"), *(display_width(n) for n in names))
    lines = [f"{'class':<{width}}  {'correct':>9}  {'total':>9}  {'accuracy':>8}"]
    rows = list(zip(names, diagonal.tolist(), totals.tolist(), acc.tolist(), strict=True))
    correct, total = diagonal.sum().item(), totals.sum().item()
    rows.append(("overall", correct, total, correct / total if total else math.nan))
    for name, correct, count, ratio in rows:
        shown = "n/a" if math.isnan(ratio) else f"{ratio:.3f}"
        lines.append(f"{padded(name, width)}  {_count(correct):>9}  {_count(count):>9}  {shown:>8}")
    return "\n".join(lines)


def plot_confusion_matrix(
    matrix: torch.Tensor,
    class_names: Sequence[str],
    *,
    out: str | Path | None = None,
    normalize: bool = True,
    make_folder: bool = True,
) -> Axes:
    """Draw the confusion matrix as an annotated heatmap and return its ``Axes`` (``ax.figure``).

    Up to :data:`MAX_NUMBERED_CLASSES` classes every cell is numbered and the figure grows with the
    classes; above, the heatmap alone is drawn in a figure of the 30-class size, with at most 30
    class names on each axis.

    Args:
        matrix: confusion counts (C, C), rows = true class, columns = predicted class.
        class_names: C names, for the tick labels, as in :func:`format_per_class_table`; each
            drawn as written (``$`` is no matplotlib mathtext).
        out: save the figure there too (PNG, SVG or PDF by the extension). Not a file a run
            writes into its folder (``confusion.png``, ``curves.svg``, ...) in a folder holding a
            run: the figure would replace or pass for the run's.
        normalize: divide each row by its total, so cells are ratios and the diagonal is the
            per-class accuracy; a row without examples has no ratios (0/0), and is drawn gray,
            its cells ``n/a`` (as :func:`format_per_class_table` shows its accuracy). With
            ``False`` cells are counts.
        make_folder: True or False (a string, ``'False'``, is refused): make ``out``'s folder when
            it is missing; ``False`` where it must exist (a run's folder, removed as the run ends,
            is not made again holding this figure alone).

    Returns:
        The matplotlib ``Axes`` of the heatmap.

    Raises:
        UsageError: a bad matrix or class names, or ``out`` is a file of a run's folder: the
            figure would replace or pass for the run's.
    """
    from linearnets.plotting._fonts import title_font
    from linearnets.plotting._mpl import check_out_path, in_notebook, new_figure, save_figure
    from linearnets.plotting._out_path import check_out_writable

    normalize = check_bool("normalize", normalize)  # "False" is true
    make_folder = check_bool("make_folder", make_folder)
    m = _check_matrix(matrix)
    if m.is_sparse:  # confusion_matrix's form past MAX_DENSE_CLASSES classes
        if m.shape[0] > MAX_DRAWN_DENSE:
            raise UsageError(
                f"matrix must have at most {MAX_DRAWN_DENSE} classes to be drawn, got a sparse one "
                f"of {m.shape[0]}: a heatmap of so many cells shows nothing; read its counts "
                "(per_class_accuracy, format_per_class_table) or draw a slice of its .to_dense()"
            )
        m = m.to_dense()
    m = m.to(torch.float64)
    names = _check_names(class_names, m.shape[0])
    font = title_font([str(name) for name in names], "class_names")  # Chinese ones need a CJK font
    path = None if out is None else check_out_path("out", out)
    if path is not None:
        check_out(path)  # refused in a run's folder, but the run's own confusion.png
    path = None if path is None else check_out_writable("out", path)
    if normalize:
        m = m / m.sum(dim=1, keepdim=True)  # (C, C); a row without examples: 0/0, NaN
    values = m.numpy()
    size = min(max(3.0, 0.6 * len(names) + 1.5), 0.6 * MAX_NUMBERED_CLASSES + 1.5)
    fig = new_figure((size + 1.0, size), managed=out is None or in_notebook())
    ax = fig.subplots()
    _draw_heatmap(fig, ax, values, names, font=font, normalize=normalize)
    if path is not None:
        save_figure(fig, path, make_folder=make_folder)
    if in_notebook():  # pyplot's: shown (and closed) at the cell end where the backend would not
        from linearnets.plotting._live_output import show_at_cell_end

        show_at_cell_end(fig)
    return ax


def _draw_heatmap(
    fig: Figure,
    ax: Axes,
    values: np.ndarray,
    names: list[str],
    *,
    font: dict[str, Any],
    normalize: bool,
) -> None:
    """Draw ``values`` (C, C) on ``ax``: cells coloured (and numbered up to 30), a colour bar, class
    ticks (every k-th beyond 30, so at most 30 names fit the capped figure); NaN cells, the ratios
    of a row without examples, gray and ``n/a``."""
    import numpy as np

    from linearnets.plotting._mpl import matplotlib_module

    matplotlib = matplotlib_module()
    empty = bool(np.isnan(values).any())
    # counts: vmax at least 1, so an all-zero matrix is drawn empty (white), not mid-blue
    vmin, vmax = 0.0, 1.0 if normalize else max(float(values.max()) if values.size else 0.0, 1.0)
    # NaN, a row without examples, gray: white is a ratio of 0
    blues = matplotlib.colormaps["Blues"].with_extremes(bad="0.8")
    image = ax.imshow(values, cmap=blues, vmin=vmin, vmax=vmax)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = range(0, len(names), math.ceil(len(names) / MAX_NUMBERED_CLASSES) or 1)
    shown = [names[i] for i in ticks]
    literal = {"parse_math": False, **font}  # names are data: "$5" is no mathtext
    ax.set_xticks(ticks, shown, rotation=45, ha="right", rotation_mode="anchor", **literal)
    ax.set_yticks(ticks, shown, **literal)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    what = "rows sum to 1" + ("; gray rows: no examples" if empty else "")
    ax.set_title(f"confusion matrix ({what if normalize else 'counts'})")
    if len(names) > MAX_NUMBERED_CLASSES:
        return
    # half the colour scale drawn, not half the largest value: a weak model's ratios (at most
    # 0.12 of a scale to 1) are all near-white cells, numbered black
    threshold = (vmin + vmax) / 2
    fontsize = 8 if len(names) <= 12 else 6
    for (i, j), v in _cells(values):
        text = "n/a" if math.isnan(v) else f"{v:.2f}" if normalize else f"{v:g}"
        color = "white" if v > threshold else "black"  # readable on the darker half
        ax.text(j, i, text, ha="center", va="center", color=color, fontsize=fontsize)


def _count(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def _cells(values: Any) -> list[tuple[tuple[int, int], float]]:
    rows, cols = values.shape
    return [((i, j), float(values[i, j])) for i in range(rows) for j in range(cols)]
