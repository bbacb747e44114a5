"""Training a prepared softmax run in its run folder, for a new run and a resumed one (D2L §3.6.6).

:func:`train_experiment` wires the run's own callbacks (divergence guard, checkpoint, metrics files,
curves, interrupt) around :func:`~linearnets.training.loop.fit`, then saves the weights and reports
and writes ``results.json``; :class:`SoftmaxResult` is what it returns. A signal after the last epoch
becomes a :class:`~linearnets.training.interrupt.TrainingInterrupted` with the resume hint.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets.config import SoftmaxConfig
from linearnets.errors import DivergenceError, PlotError
from linearnets.tasks.experiment import Experiment
from linearnets.tasks.reports import live_curves, plot_process, write_reports
from linearnets.tasks.weights import WEIGHTS_FILE, save_weights
from linearnets.training.callbacks import CurvesCallback, MetricsWriter
from linearnets.training.checkpoint import CheckpointCallback, global_rng_state
from linearnets.training.guard import DivergenceGuard
from linearnets.training.interrupt import (
    GracefulInterrupt,
    TrainingInterrupted,
    sigterm_as_keyboard_interrupt,
)
from linearnets.training.loop import History, fit
from linearnets.training.runs import RESULTS_FILE, write_json_atomic

if TYPE_CHECKING:
    from linearnets.plotting.background import PlotProcess

__all__ = ["SoftmaxResult", "train_experiment"]


@dataclass
class SoftmaxResult:
    """What a softmax run did: its history, timings, run folder and per-class accuracy."""

    config: SoftmaxConfig
    history: History
    run_dir: Path
    seconds_per_epoch: float
    data_source: str
    per_class_acc: list[float] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        last = self.history.last
        return {
            "impl": self.config.impl,
            "epochs": len(self.history.epochs),
            "train_loss": last.train_loss,
            "train_acc": last.train_acc,
            "test_acc": last.test_acc,
            "seconds_per_epoch": self.seconds_per_epoch,
            "run_dir": str(self.run_dir),
            "data_source": self.data_source,
            "per_class_acc": dict(zip(self.classes, self.per_class_acc, strict=False)),
        }


def _checkpoint_state(
    exp: Experiment, history: History, guard: DivergenceGuard | None
) -> dict[str, Any]:
    """Return what :func:`save_checkpoint` needs besides the path and epoch."""
    return {
        "model_state": exp.model.state_dict(),
        "optimizer_state": exp.setup.updater.state_dict(),
        "generators_state": {"run": exp.generators.state_dict(), "global": global_rng_state()},
        "history": [m.as_dict() for m in history.epochs],
        "config": exp.config.to_dict(),
        "extra": {"guard": guard.state_dict() if guard is not None else None},
    }


def train_experiment(
    exp: Experiment,
    run_dir: Path,
    *,
    callbacks: Sequence[Any],
    start_epoch: int = 0,
    history: History | None = None,
    guard_state: dict[str, Any] | None = None,
) -> SoftmaxResult:
    """Train epochs ``start_epoch + 1 … config.epochs`` in ``run_dir``, then write the reports.

    Callbacks, in order: the divergence guard (so a blown-up epoch is neither logged nor saved), the
    checkpoint (so an epoch is saved before anything can fail to print or draw it), the metrics files,
    the curves, ``callbacks``, and the interrupt check (so a signal during an epoch's evaluation stops
    the run only once that epoch is saved).

    Args:
        exp: the prepared run (its model, optimizer and generators already restored when resuming).
        run_dir: the run folder.
        callbacks: more callbacks (rank 0 only), e.g. a console logger.
        start_epoch: epochs already done.
        history: their metrics.
        guard_state: the divergence guard's state saved with the checkpoint.
    """
    config, main = exp.config, exp.dist.is_main
    history = history if history is not None else History()
    own: list[Any] = []
    guard = DivergenceGuard(config.lr, dist=exp.dist) if config.guard else None
    if guard is not None:
        if guard_state:
            guard.load_state_dict(guard_state)
        own.append(guard)
    checkpoint = CheckpointCallback(
        run_dir, get_state=lambda: _checkpoint_state(exp, history, guard)
    )
    plotter = plot_process(config) if main else None
    if main:
        # the checkpoint first: an epoch is kept even if printing its line (stdout gone, `| head`)
        # or drawing it fails afterwards
        own.append(checkpoint)
        own.append(MetricsWriter(run_dir))
        curves = live_curves(config, run_dir, plotter)
        if curves is not None:
            own.append(CurvesCallback(curves))
            for metrics in history.epochs:  # redraw the epochs before a resume
                own[-1].on_epoch_end(metrics=metrics)
        own.extend(callbacks)
    interrupt = GracefulInterrupt(dist=exp.dist, device=exp.device)
    own.append(interrupt)
    with _resume_hint_after_training(exp, run_dir, history, checkpoint, start_epoch):
        try:
            result = _train(
                exp,
                run_dir,
                callbacks=own,
                interrupt=interrupt,
                checkpoint=checkpoint,
                start_epoch=start_epoch,
                history=history,
                plotter=plotter,
            )
        except BaseException:
            # keep what the epochs saved drew; the error that stopped us wins
            if plotter is not None:
                plotter.close(raise_errors=False)
            raise
        # results.json is written last, once every other file is complete: a run stopped before this
        # point (even while its figures were drawn) is finished by --resume. A figure that failed to
        # draw is reported after it (PlotError): that attempt is complete.
        try:
            if plotter is not None:
                plotter.close()  # the figures are complete when the command returns
        except PlotError:
            write_json_atomic(run_dir / RESULTS_FILE, result.summary())
            raise
        if main:
            write_json_atomic(run_dir / RESULTS_FILE, result.summary())
        exp.dist.barrier()
        return result


@contextlib.contextmanager
def _resume_hint_after_training(
    exp: Experiment,
    run_dir: Path,
    history: History,
    checkpoint: CheckpointCallback,
    start_epoch: int,
) -> Iterator[None]:
    """Turn a Ctrl-C or SIGTERM after the last epoch into a :class:`TrainingInterrupted` with its hint.

    It would stop the run while the weights, reports or figures are written; the resume the message
    advises trains nothing and writes them. During training the interrupt says where it stopped
    itself (or a second, aborting signal does).
    """
    try:
        with sigterm_as_keyboard_interrupt():
            yield
    except KeyboardInterrupt as exc:
        if isinstance(exc, TrainingInterrupted) or len(history.epochs) < exp.config.epochs:
            raise
        stopped = TrainingInterrupted(
            signal_name=str(exc.args[0]) if exc.args else "SIGINT",
            epoch=exp.config.epochs,
            step=0,
        )
        stopped.run_dir, stopped.checkpoint_epoch = run_dir, checkpoint.last_epoch or start_epoch
        stopped.launcher = "torchrun" if exp.dist.enabled else ""
        raise stopped from None


def _train(
    exp: Experiment,
    run_dir: Path,
    *,
    callbacks: list[Any],
    interrupt: GracefulInterrupt,
    checkpoint: CheckpointCallback,
    start_epoch: int,
    history: History,
    plotter: PlotProcess | None,
) -> SoftmaxResult:
    """Run :func:`fit` with ``callbacks``, then save the weights, reports and results."""
    config, main, setup = exp.config, exp.dist.is_main, exp.setup
    start = time.perf_counter()
    try:
        with interrupt:
            fit(
                setup.net,
                exp.train_iter,
                setup.loss,
                setup.updater,
                config.epochs,
                test_iter=exp.test_iter,
                callbacks=callbacks,
                start_epoch=start_epoch,
                history=history,
                dist=exp.dist,
            )
    except TrainingInterrupted as exc:
        exc.run_dir, exc.command = run_dir, "linearnets softmax"
        exc.launcher = "torchrun" if exp.dist.enabled else ""
        exc.checkpoint_epoch = checkpoint.last_epoch or (start_epoch or None)
        raise
    except DivergenceError as exc:
        kept = checkpoint.last_epoch or start_epoch
        where = (
            f"the checkpoint of epoch {kept} is kept in {run_dir} (continue it with a smaller lr: "
            f"--resume {run_dir} --lr {config.lr / 10:g} --force)"
            if kept
            else "no epoch had finished, so no checkpoint was written"
        )
        raise DivergenceError(f"{exc}; {where}") from None
    elapsed = time.perf_counter() - start
    per_class: list[float] = []
    if main:
        save_weights(run_dir / WEIGHTS_FILE, exp)
        if exp.test_iter is not None:
            per_class = write_reports(exp, run_dir, plots=config.plot != "none", plotter=plotter)
    result = SoftmaxResult(
        config=config,
        history=history,
        run_dir=run_dir,
        seconds_per_epoch=(
            elapsed / (config.epochs - start_epoch)
            if config.epochs > start_epoch
            # nothing left to train (a resume that only writes the reports): the epochs' own times
            else sum(m.seconds for m in history.epochs) / max(len(history.epochs), 1)
        ),
        data_source=exp.data_source,
        per_class_acc=per_class,
        classes=exp.classes,
    )
    return result
