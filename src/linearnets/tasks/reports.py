"""A softmax run's figures and reports: live curves, confusion matrix, prediction grid, per-class table.

Where the figures go to files they are drawn by a forked plotting process
(:mod:`linearnets.plotting.background`) while the run trains; in a notebook, or where no process can be
forked, they are drawn here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets._json import loads_shallow
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.experiment import Experiment
from linearnets.training.checkpoint_write import run_file_error, save_run_file, write_text_atomic

if TYPE_CHECKING:
    from linearnets.plotting.background import PlotProcess

__all__ = [
    "check_backend",
    "live_curves",
    "missing_reports",
    "plot_process",
    "write_reports",
]


def check_backend(config: SoftmaxConfig) -> None:
    """Refuse a bad ``MPLBACKEND`` before a run starts, not when its first figure fails to draw.

    Only when it is set (matplotlib is then imported here, ~0.1 s) and the run draws figures.
    """
    if config.plot != "none" and os.environ.get("MPLBACKEND"):
        from linearnets.plotting._mpl import matplotlib_module

        matplotlib_module(alternative="pass plot='none'")


def plot_process(config: SoftmaxConfig) -> PlotProcess | None:
    """Start a plotting process when the figures go to files (not to a notebook, not nowhere)."""
    from linearnets.plotting.live import resolve_mode

    if config.plot == "none" or resolve_mode(config.plot, has_out=True) != "file":
        return None
    from linearnets.plotting.background import start_plot_process

    return start_plot_process()


def live_curves(config: SoftmaxConfig, run_dir: Path, plotter: PlotProcess | None) -> Any:
    """Return the run's live curves (``None`` with ``plot='none'``): drawn by ``plotter`` if given."""
    if config.plot == "none":
        return None
    # the run's folder exists: one removed while the run trains is not made again for a figure
    kwargs: dict[str, Any] = {
        "out_dir": run_dir,
        "num_epochs": config.epochs,
        "make_out_dir": False,
    }
    # its own curves.png and .svg (runs_own): refused to anyone else's LiveCurves
    if plotter is not None:  # drawn on the other core: both files every epoch cost training nothing
        from linearnets.plotting.remote_curves import RemoteCurves

        return RemoteCurves(plotter, runs_own=True, formats=("png", "svg"), **kwargs)
    from linearnets.plotting import LiveCurves
    from linearnets.plotting._runs_own import as_runs_own

    class RunCurves(LiveCurves):
        """The run's curves drawn here: a run folder gone (removed or moved as the run ends) is
        said as a checkpoint's write says it, not as a refused ``out_dir`` the user never passed."""

        def redraw(self) -> None:
            with _kept_in_run_folder(run_dir / "curves.png"):
                super().redraw()

        def close(self) -> None:
            with _kept_in_run_folder(run_dir / "curves.svg"):
                super().close()

    # drawn here: the PNG every epoch; the SVG, a second full draw, once when training ends
    return as_runs_own(RunCurves)(
        mode=config.plot, formats=("png",), final_formats=("svg",), **kwargs
    )


def write_reports(
    exp: Experiment, run_dir: Path, *, plots: bool, plotter: PlotProcess | None
) -> list[float]:
    """Write the per-class table, and (with ``plots``) the confusion matrix and prediction grid.

    With a ``plotter`` the two figures are drawn in the plotting process. Above
    :data:`~linearnets.plotting.confusion.MAX_DRAWN_CLASSES` classes no confusion figure is drawn,
    and the table says so. ``per_class.txt`` and ``confusion.pt`` are written atomically.

    Raises:
        RunFileError: ``per_class.txt`` or ``confusion.pt`` could not be written (a full disk named
            as such); no temporary file is left.
    """
    from linearnets.inference import confusion_counts, prediction_samples
    from linearnets.plotting._runs_own import as_runs_own
    from linearnets.plotting.confusion import (
        MAX_DRAWN_CLASSES,
        format_per_class_table,
        per_class_accuracy,
        plot_confusion_matrix,
    )
    from linearnets.plotting.images import plot_predictions

    test_iter = _whole_test_set(exp)
    matrix = confusion_counts(exp.model, test_iter, len(exp.classes))
    table = format_per_class_table(matrix, exp.classes)
    drawn = len(exp.classes) <= MAX_DRAWN_CLASSES
    if plots and not drawn:
        table += (
            f"\n\nno confusion.png: {len(exp.classes)} classes are more than the "
            f"{MAX_DRAWN_CLASSES} a heatmap can show; confusion.pt holds the whole matrix "
            "(torch.load" + ("; a sparse tensor of the nonzero cells)" if matrix.is_sparse else ")")
        )
    # atomic, as the weights: a full disk names the file instead of leaving half of it
    write_text_atomic(run_dir / "per_class.txt", table + "\n")
    save_run_file(run_dir / "confusion.pt", matrix)
    if plots:
        # after the curves' closing (the end of fit): on two cores the confusion matrix, the
        # slowest of the three, is drawn alone, the curves' last files then the predictions beside it
        draw = plotter.call_beside if plotter is not None else _call_here
        # into the run's folder, which exists: one removed as the run ends is not made again
        # holding a figure alone (then results.json, refused there, says that it is gone)
        if drawn:
            draw(
                # its own confusion.png: refused to anyone else's out
                as_runs_own(plot_confusion_matrix),
                matrix,
                list(exp.classes),
                out=run_dir / "confusion.png",
                make_folder=False,
            )
        if exp.config.data is None:  # images: draw them titled true over predicted
            images, true_labels, pred_labels = prediction_samples(exp.model, test_iter, 12)
            draw(
                # its own predictions.png: refused to anyone else's out
                as_runs_own(plot_predictions),
                images,
                true_labels,
                pred_labels,
                out=run_dir / "predictions.png",
                make_folder=False,
            )
    return [float(v) for v in per_class_accuracy(matrix)]


def missing_reports(config: SoftmaxConfig, run_dir: Path) -> list[str]:
    """Return the reports and figures a finished run in ``run_dir`` should have written (with
    ``config``) but lacks.

    A run whose plotting process died still writes ``results.json``; its figures are what tells that
    it is not complete. With a test set (``results.json`` shows a per-class accuracy) the run
    writes ``per_class.txt`` and ``confusion.pt``, and draws the confusion matrix (up to
    ``MAX_DRAWN_CLASSES`` classes) and the prediction grid (Fashion-MNIST only) unless
    ``plot='none'``; the curves are drawn unless ``plot='none'``.
    """
    from linearnets.plotting.confusion import MAX_DRAWN_CLASSES
    from linearnets.training.runs import RESULTS_FILE

    try:
        per_class = loads_shallow((run_dir / RESULTS_FILE).read_text()).get("per_class_acc") or {}
    except (OSError, ValueError, AttributeError):  # unreadable: let the resume write everything
        per_class = {"?": None}
    expected = ["per_class.txt", "confusion.pt"] if per_class else []
    if config.plot != "none":
        expected += ["curves.png", "curves.svg"]
        if per_class and len(per_class) <= MAX_DRAWN_CLASSES:
            expected.append("confusion.png")
        if per_class and config.data is None:
            expected.append("predictions.png")
    return [name for name in expected if not (run_dir / name).is_file()]


def _whole_test_set(exp: Experiment) -> Any:
    """Return the run's test loader; distributed, one over the whole set rather than a shard.

    Its batches are as large as the shards' largest (about B / W images, not a global batch of
    B): the run was accepted for each process holding its share of a batch, 2 GiB of images at
    most, and a whole batch here was refused once training was over. The counts do not depend on
    the batches.
    """
    if not exp.dist.enabled:
        return exp.test_iter
    from linearnets.data.loader import ArrayLoader, largest_share

    shard = exp.test_iter
    return ArrayLoader(
        shard.features,
        shard.labels,
        largest_share(shard.batch_size, shard.num_examples, shard.world_size),
        shuffle=False,
        resize=exp.config.resize,
    )


def _call_here(fn: Any, /, *args: Any, out: Path, **kwargs: Any) -> None:
    """Call ``fn`` in this process: how a figure is drawn without a plotting process.

    Raises:
        RunFileError: the run folder, ``out``'s, is gone (removed or moved as the run ended):
            said as a checkpoint's write says it, not as a refused ``out``.
    """
    with _kept_in_run_folder(out):
        fn(*args, out=out, **kwargs)


@contextlib.contextmanager
def _kept_in_run_folder(path: Path) -> Iterator[None]:
    """Say a write of ``path`` that failed as its run folder is gone as a checkpoint's write says
    it (:func:`~linearnets.training.checkpoint_write.run_file_error`); other errors as they are."""
    try:
        yield
    except (UsageError, OSError) as exc:
        if path.parent.is_dir():
            raise
        raise run_file_error(path, exc) from exc
