"""A trained softmax run's last step: its figures awaited, then ``results.json``, written last."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
        raise PlotError(
            f"{exc}; draw them with: linearnets.resume_softmax({str(run_dir)!r})"
            f"{launched_again(exp)}"
        ) from None
    if exp.dist.is_main:
        write_json_atomic(run_dir / RESULTS_FILE, result.summary())
    exp.dist.barrier()
