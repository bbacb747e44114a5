"""The run folder's files as a resume finds and leaves them: which it may rewrite, whether it can.

Before anything is written the folder is checked writable, with no folder where a file goes;
then this resume is recorded in ``config.json``, the metrics files are rewritten from the
checkpoint's history, and the outputs of an earlier end (weights, reports, figures) are removed,
so that a stop never leaves an earlier, shorter run looking finished. Used by
:mod:`linearnets.tasks.resume`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from linearnets._shell import shell_word
from linearnets._text import and_list, shown_path
from linearnets._warn import warn
from linearnets.errors import ResumeWarning, UsageError
from linearnets.path_writable import on_read_only_file_system
from linearnets.tasks.experiment import Experiment
from linearnets.tasks.replaceable_files import check_replaceable
from linearnets.tasks.replaceable_files import folder_in_place as first_folder
from linearnets.tasks.resume_saved import saved_config, started_environment
from linearnets.tasks.softmax import write_run_config
from linearnets.tasks.weights import WEIGHTS_FILE
from linearnets.training.callbacks import MetricsWriter
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.config_sections import notes_of
from linearnets.training.loop import History
from linearnets.training.metrics_files import KeptMetrics
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE, environment, predict_figures

__all__ = [
    "FIGURES",
    "FINAL_OUTPUTS",
    "METRICS_FILES",
    "RUN_FILE_NAMES",
    "checked_folder",
    "drop_figures",
    "drop_final_outputs",
    "folder_in_place",
    "rewrite_run_files",
]

# the figures a run draws (see tasks.reports); a resume that trains with plot="none" removes them,
# as does a run started over. Only these: a curves.pdf (never a run's) is the user's own
FIGURES = ("curves.png", "curves.svg", "predictions.png", "confusion.png")
# what a run writes once its last epoch is done (results.json last): a resume that trains removes
# them, results.json first, so that the folder never shows an earlier, shorter run as finished.
# curves.svg too: drawn in this process (a notebook, no fork) it is drawn once, as training ends
# (tasks.reports.live_curves), and a stop after an epoch left the earlier run's beside a current
# curves.png; a plotting process draws it again with the past epochs as the resume starts
FINAL_OUTPUTS = (
    RESULTS_FILE,
    WEIGHTS_FILE,
    "per_class.txt",
    "confusion.pt",
    "predictions.png",
    "confusion.png",
    "curves.svg",
)
METRICS_FILES = ("metrics.jsonl", "metrics.csv")  # rewritten from the checkpoint's history
# every file a resume may write or replace in the run folder
RUN_FILE_NAMES = (CONFIG_FILE, CHECKPOINT_FILE, *METRICS_FILES, *FINAL_OUTPUTS, *FIGURES)


def checked_folder(run_dir: Path) -> dict[str, Any]:
    """Return the run's saved config once its folder is found writable and replaceable."""
    saved = saved_config(run_dir)
    if not os.access(run_dir, os.W_OK | os.X_OK):
        if on_read_only_file_system(run_dir):  # where chmod cannot help
            why, fix = " (a read-only file system)", "copy the run folder somewhere you can write"
        else:
            why, fix = (
                "",
                "make it writable (chmod u+w) or copy the run folder somewhere you can write",
            )
        raise UsageError(
            f"linearnets.resume_softmax({str(run_dir)!r}): the run folder is not writable{why}, and "
            f"resuming rewrites its files; {fix}"
        )
    # a folder where a file goes: the rename or removal would fail half-way, after the earlier
    # end's outputs are gone
    check_replaceable(run_dir, names=RUN_FILE_NAMES, function="resume_softmax")
    return saved


def folder_in_place(run_dir: Path) -> Path | None:
    """Return the first of the run's files (:data:`RUN_FILE_NAMES`) that is a folder in
    ``run_dir`` (not a link to one), or ``None``: no resume, nor figure, can be written there."""
    return first_folder(run_dir, RUN_FILE_NAMES)


def drop_final_outputs(run_dir: Path) -> None:
    """Remove the weights, summary, reports and last figures of an earlier end
    (:data:`FINAL_OUTPUTS`): they would outlive a stop.

    The figures ``linearnets predict`` drew from those weights go too (they would pass for the new
    model's), and a :class:`~linearnets.errors.ResumeWarning` names them and how to draw them again.
    """
    for name in FINAL_OUTPUTS:
        (run_dir / name).unlink(missing_ok=True)
    removed = []
    for figure in predict_figures(run_dir):  # predict-N.png and predict-wrong-N.png
        with contextlib.suppress(FileNotFoundError):
            figure.path.unlink()
            removed.append(figure)
    if removed:
        them = "it" if len(removed) == 1 else "them"
        names = [figure.path.name for figure in removed]
        again = "; ".join(
            f"linearnets predict {shell_word(run_dir)} {figure.options}" for figure in removed
        )
        warn(
            f"removed {and_list(names)} from {shown_path(run_dir)}: linearnets predict drew {them} "
            "from the weights before this resume (an older model than the run's); once the run "
            f"ends, draw {them} again with: {again}",
            ResumeWarning,
        )


def drop_figures(run_dir: Path) -> None:
    """Remove the curves, prediction grid and confusion matrix the run drew before."""
    for figure in FIGURES:
        (run_dir / figure).unlink(missing_ok=True)


def rewrite_run_files(
    run_dir: Path,
    exp: Experiment,
    saved: dict[str, Any],
    *,
    from_epoch: int,
    changed: dict[str, tuple[Any, Any]],
    history: History,
) -> dict[str, KeptMetrics]:
    """Record this resume in ``config.json``; bring metrics and figures back to ``from_epoch``.

    Returns what the metrics' rewrite kept of the old files (``NAME.bak``, a link replaced; see
    :meth:`~linearnets.training.metrics_files.MetricsWriter.keep_old`), for the resume's note.

    What can fail (the metrics files, then ``config.json``, each written atomically) is written
    before the earlier end's outputs are removed: a failed resume leaves the finished run as it was.
    """
    resumes = [*saved.get("resumes", [])]
    resumes.append(
        {
            "from_epoch": from_epoch,
            "forced": {k: [str(a), str(b)] for k, (a, b) in changed.items()},
            "environment": environment(),
        }
    )
    # the checkpoint's rows are the truth: a crash right after it leaves metrics a row behind
    kept = MetricsWriter(run_dir).rewrite([m.as_dict() for m in history.epochs])
    write_run_config(
        run_dir, exp, resumes=resumes, started=started_environment(saved), notes=notes_of(saved)
    )
    if from_epoch < exp.config.epochs:  # rewritten at the end, once the new epochs are trained
        drop_final_outputs(run_dir)
        if exp.config.plot == "none":  # not redrawn: they would show the model of an earlier epoch
            drop_figures(run_dir)
    # a resume that trains nothing keeps them even with plot="none": they show the weights the
    # run ends with, and a complete run could no longer draw them again (it is refused as complete)
    return kept
