"""Figures for chapter 3: the book's helpers, image grids, confusion matrices and live training curves.

matplotlib is imported on first use, never by ``import linearnets``; the confusion-matrix helpers
(:func:`confusion_matrix`, :func:`per_class_accuracy`, :func:`format_per_class_table`) need only torch.
Outside Jupyter and without a display, Agg is used unless a backend was chosen (``MPLBACKEND``,
``matplotlibrc`` or ``matplotlib.use``); figures that are only saved are never kept by pyplot.
"""

from __future__ import annotations

from linearnets.plotting.animator import Animator
from linearnets.plotting.axes import plot, set_axes, set_figsize, use_svg_display
from linearnets.plotting.confusion import (
    confusion_matrix,
    format_per_class_table,
    per_class_accuracy,
    plot_confusion_matrix,
)
from linearnets.plotting.images import plot_predictions, show_images
from linearnets.plotting.live import LiveCurves

__all__ = [
    "Animator",
    "LiveCurves",
    "confusion_matrix",
    "format_per_class_table",
    "per_class_accuracy",
    "plot",
    "plot_confusion_matrix",
    "plot_predictions",
    "set_axes",
    "set_figsize",
    "show_images",
    "use_svg_display",
]
