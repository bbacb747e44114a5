"""A trained softmax run's last step: its figures awaited, then ``results.json``, written last."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from linearnets._text import shown_path
from linearnets.errors import PlotError
from linearnets.tasks.experiment import Experiment
from linearnets.tasks.resume_advice import launched_again
from linearnets.tasks.softmax_result import SoftmaxResult
from linearnets.training.runs import RESULTS_FILE, write_json_atomic

if TYPE_CHECKING:
    from linearnets.plotting.background import PlotProcess

__all__ = ["finish_run"]


def finish_run(
    exp: Experiment, run_dir: Path, result: SoftmaxResult, plotter: PlotProcess | None
) -> None:
    """Wait for the figures, then write ``results.json``: last, once every other file is complete.

    A run stopped before this point (even while its figures were drawn) is finished by --resume. A
    figure that failed to draw is reported after it (PlotError), with the --resume that draws the
    figures still missing (a data-parallel run's in its processes, started again as before).
    """
    try:
        if plotter is not None:
            plotter.close()  # the figures are complete when the command returns
    except PlotError as exc:
        write_json_atomic(run_dir / RESULTS_FILE, result.summary())
        # the figures missing keep the run open to --resume, which draws them without training
        # the call; the command line prints it as linearnets softmax --resume DIR, quoted for the
        # shell
        said, fix = _failure(exc, run_dir)
        raise PlotError(
            f"{said}; {fix}: linearnets.resume_softmax({str(run_dir)!r}){launched_again(exp)}"
        ) from None
    if exp.dist.is_main:
        write_json_atomic(run_dir / RESULTS_FILE, result.summary())
    exp.dist.barrier()


def _failure(exc: PlotError, run_dir: Path) -> tuple[str, str]:
    """Return what failed and the words before the resume that draws the figures missing.

    A folder where the run writes a file (made there while it trained) is said as such, with its
    fix: the drawing's own message named the curves' parameter (``out_dir``), which the command
    line has not, and a resume is refused until that folder is moved.
    """
    from linearnets.tasks.resume_files import folder_in_place  # it imports the run: not at the top

    folder = folder_in_place(run_dir)
    if folder is None:
        # a dependency that could not be loaded (a stray PIL.py): the bare resume failed the same way
        return str(exc), "once that is fixed, draw them with" if exc.fix_first else "draw them with"
    return (
        f"the figures were not all drawn: the run folder holds a folder {shown_path(folder)} "
        "where the run writes a file; the other files of the run are saved",
        "move that folder out of the run folder, then draw them with",
    )
