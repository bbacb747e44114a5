"""Training a prepared softmax run in its run folder, for a new run and a resumed one (D2L §3.6.6).

:func:`train_experiment` wires the run's own callbacks (divergence guard, checkpoint, metrics files,
curves, interrupt) around :func:`~linearnets.training.loop.fit`, then saves the weights and reports
and writes ``results.json`` (:mod:`linearnets.tasks.run_results`); :class:`SoftmaxResult`
(:mod:`linearnets.tasks.softmax_result`, importable from here too) is what it returns. What a run that
stops early says (a signal, a diverged loss) is :mod:`linearnets.tasks.stopping`'s job
(:mod:`linearnets.tasks.run_failures`'s for a diverged loss, a lost peer or a failed output).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets.errors import DivergenceError
from linearnets.tasks.experiment import Experiment
from linearnets.tasks.reports import live_curves, plot_process, write_reports
from linearnets.tasks.run_failures import diverged, name_run_on_os_error, peer_lost
from linearnets.tasks.run_results import (
    finish_run as _finish,
)  # tests import and patch _finish here
from linearnets.tasks.softmax_result import SoftmaxResult, seconds_per_epoch
from linearnets.tasks.stopping import (
    RunPosition,
    name_resume,
    resume_hint_after_training,
    stop_names_its_folder,
    user_stop,
)
from linearnets.tasks.weights import WEIGHTS_FILE, save_weights
from linearnets.training.callbacks import CurvesCallback, MetricsWriter
from linearnets.training.checkpoint import CheckpointCallback, global_rng_state
from linearnets.training.distributed import PeerLostError, lost_connection
from linearnets.training.guard import DivergenceGuard, guards_first
from linearnets.training.history import HistoryRows
from linearnets.training.interrupt import GracefulInterrupt, TrainingInterrupted
from linearnets.training.loop import History, fit

if TYPE_CHECKING:
    from linearnets.plotting.background import PlotProcess

__all__ = ["SoftmaxResult", "divergence_guard", "train_experiment"]


def _checkpoint_state(
    exp: Experiment, rows: HistoryRows, guard: DivergenceGuard | None, *, since: int
) -> dict[str, Any]:
    """Return what :func:`save_checkpoint` needs besides the path and epoch; the ``data`` file's
    SHA-256 too, which stands in for ``config.json``'s where that is lost, and ``since``, the epoch
    after which the run trained on its current data (``"data_since"``), which stands in for
    ``config.json``'s record of resumes: a resume takes the guard's lowest epoch loss after it."""
    return {
        "model_state": exp.model.state_dict(),
        "optimizer_state": exp.setup.updater.state_dict(),
        "generators_state": {"run": exp.generators.state_dict(), "global": global_rng_state()},
        "history": rows.rows(),  # only the new epoch's row is built
        "config": exp.config.to_dict(),
        "extra": {
            "guard": guard.state_dict() if guard is not None else None,
            "data_sha256": exp.data_sha256,
            "data_since": since,
        },
    }


def train_experiment(
    exp: Experiment,
    run_dir: Path,
    *,
    callbacks: Sequence[Any],
    start_epoch: int = 0,
    history: History | None = None,
    guard_state: dict[str, Any] | None = None,
    forced: Mapping[str, Any] | None = None,
    data_since: int = 0,
) -> SoftmaxResult:
    """Train epochs ``start_epoch + 1 … config.epochs`` in ``run_dir``, then write the reports.

    Callbacks, in order: the divergence guard (so a blown-up epoch is neither logged nor saved), the
    checkpoint (so an epoch is saved before anything can fail to print or draw it), the metrics files,
    the curves, ``callbacks``, and the interrupt check (so a signal during an epoch's evaluation stops
    the run only once that epoch is saved).

    Args:
        exp: the prepared run (its model, optimizer and generators already restored when resuming).
        run_dir: the run folder.
        callbacks: more callbacks, e.g. a console logger (rank 0 only; a ``DivergenceGuard`` on
            every process).
        start_epoch: epochs already done.
        history: their metrics.
        guard_state: the divergence guard's state saved with the checkpoint.
        forced: a resume's forced values that ``config.json`` takes back where it diverges before
            its first checkpoint, named by the stop's advice (see
            :func:`~linearnets.tasks.resume_diverged.forced_put_back`).
        data_since: the epoch after which the run trained on the data it trains on now (0, or the
            epoch a forced resume onto other data goes on from), recorded by every checkpoint.
    """
    history = history if history is not None else History()
    guard = divergence_guard(exp, guard_state)
    rows = HistoryRows(history)
    checkpoint = CheckpointCallback(
        run_dir, get_state=lambda: _checkpoint_state(exp, rows, guard, since=data_since)
    )
    interrupt = GracefulInterrupt(dist=exp.dist, device=exp.device)
    plotter: PlotProcess | None = None
    with (
        stop_names_its_folder(exp, run_dir),
        resume_hint_after_training(exp, run_dir, history, checkpoint, start_epoch),
    ):
        try:
            # in here: a Ctrl-C while a resume queues the past epochs' curves closes the plotter
            # and names the resume, as one during training does
            with _stopped_with_resume(exp, run_dir, checkpoint, start_epoch):
                plotter = plot_process(exp.config) if exp.dist.is_main else None
                own = _run_callbacks(exp, run_dir, guard, checkpoint, plotter, history, callbacks)
            own.append(interrupt)
            position = RunPosition()  # first: it knows a step before a callback can stop in it
            result = _train(
                exp,
                run_dir,
                callbacks=[position, *own],
                interrupt=interrupt,
                position=position,
                checkpoint=checkpoint,
                start_epoch=start_epoch,
                history=history,
                plotter=plotter,
                forced=forced,
            )
        except BaseException as exc:
            _close_after_failure(plotter)
            raise exc
        try:
            _finish(exp, run_dir, result, plotter)
        except RuntimeError as exc:  # the last barrier: a peer gone after training (gloo's error)
            reason = lost_connection(exc) if exp.dist.enabled else None
            if reason is None:
                raise
            raise peer_lost(reason, exp, run_dir, checkpoint, start_epoch, complete=True) from exc
        return result


def divergence_guard(exp: Experiment, guard_state: dict[str, Any] | None) -> DivergenceGuard | None:
    """Return the run's divergence guard, with its saved state (``None``: ``config.guard`` off)."""
    if not exp.config.guard:
        return None
    # the verified Fashion-MNIST's pixels, or a data file's features, refused if not finite
    # its cross-entropy: growth measured from the start, never from a rare loss's level
    guard = DivergenceGuard(exp.config.lr, dist=exp.dist, data_checked=True, loss=exp.setup.loss)
    if guard_state:
        guard.load_state_dict(guard_state)
    return guard


def _close_after_failure(plotter: PlotProcess | None) -> None:
    """Close the plotting process of a run that failed, keeping what the epochs saved drew."""
    # the error that stopped us wins
    if plotter is not None:
        # a second Ctrl-C while the figures close stops the plotting child; the first
        # stop, with its resume hint, is the one told
        with contextlib.suppress(KeyboardInterrupt):
            plotter.close(raise_errors=False)


@contextlib.contextmanager
def _stopped_with_resume(
    exp: Experiment, run_dir: Path, checkpoint: CheckpointCallback, start_epoch: int
) -> Iterator[None]:
    """Turn a Ctrl-C or SIGTERM before training into a :class:`TrainingInterrupted` naming the resume."""
    try:
        yield
    except TrainingInterrupted:
        raise
    except KeyboardInterrupt as exc:  # SIGTERM too: resume_hint_after_training makes it one
        stopped = TrainingInterrupted(
            signal_name=str(exc.args[0]) if exc.args else "SIGINT", epoch=start_epoch, step=0
        )
        name_resume(stopped, exp, run_dir, checkpoint, start_epoch)
        raise stopped from None


def _run_callbacks(
    exp: Experiment,
    run_dir: Path,
    guard: DivergenceGuard | None,
    checkpoint: CheckpointCallback,
    plotter: PlotProcess | None,
    history: History,
    callbacks: Sequence[Any],
) -> list[Any]:
    """Return the callbacks before the interrupt check: the guard and the caller's guards, then
    (rank 0) the writers and the caller's other callbacks."""
    # a guard of the caller's before the checkpoint too, its stop at an epoch's end keeping the
    # epoch before, not the blown-up one; on every process, deciding alike (it sums the loss over
    # them as the run's own does): on rank 0 alone it judged rank 0's share, and the others
    # were told of a lost process
    # (the same number on every process: run_softmax and resume_softmax checked that)
    guards, callbacks = guards_first(callbacks)
    for theirs in guards:
        if theirs.dist is None and exp.dist.enabled:
            theirs.dist = exp.dist
    own: list[Any] = [*([] if guard is None else [guard]), *guards]
    if not exp.dist.is_main:
        return own
    # the checkpoint first: an epoch is kept even if printing its line (stdout gone, `| head`)
    # or drawing it fails afterwards
    own.append(checkpoint)
    own.append(MetricsWriter(run_dir))
    curves = live_curves(exp.config, run_dir, plotter)
    if curves is not None:
        own.append(CurvesCallback(curves, warn_missing=False))  # the command chose the metrics
        if history.epochs:  # a resume: the epochs before it, in one draw (not one per epoch)
            curves.extend(_curve_points(history, getattr(curves, "metrics", None)))
    own.extend(callbacks)
    return own


class _Points:
    """Curves that only collect what :class:`CurvesCallback` sends them, as ``(epoch, values)``."""

    def __init__(self, metrics: Sequence[str] | None) -> None:
        self.metrics = metrics  # CurvesCallback sends only these (all, when None)
        self.points: list[tuple[int, dict[str, float]]] = []

    def update(self, epoch: int, values: dict[str, float]) -> None:
        self.points.append((epoch, values))


def _curve_points(
    history: History, metrics: Sequence[str] | None
) -> list[tuple[int, dict[str, float]]]:
    """Return each epoch's points, as :class:`CurvesCallback` would have sent them after it."""
    collected = _Points(metrics)
    send = CurvesCallback(collected, warn_missing=False)
    for metrics_of_epoch in history.epochs:
        send.on_epoch_end(metrics=metrics_of_epoch)
    return collected.points


def _train(
    exp: Experiment,
    run_dir: Path,
    *,
    callbacks: list[Any],
    interrupt: GracefulInterrupt,
    position: RunPosition,
    checkpoint: CheckpointCallback,
    start_epoch: int,
    history: History,
    plotter: PlotProcess | None,
    forced: Mapping[str, Any] | None,
) -> SoftmaxResult:
    """Run :func:`fit` with ``callbacks``, then save the weights and reports (rank 0)."""
    config, setup = exp.config, exp.setup
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
        name_resume(exc, exp, run_dir, checkpoint, start_epoch)
        raise
    except KeyboardInterrupt as exc:
        # a plain one is a callback's own ("stop now"): it names the resume once an epoch is kept
        stop = user_stop(exc, exp, run_dir, checkpoint, start_epoch, where=position)
        if stop is exc:
            raise
        raise stop from None
    except DivergenceError as exc:
        # the epoch running when it diverged, as every rank's interrupt check knows it
        raise diverged(
            exc, exp, run_dir, checkpoint, start_epoch, epoch=interrupt.epoch, forced=forced
        ) from None
    except OSError as exc:
        name_run_on_os_error(exc, exp, run_dir, checkpoint, start_epoch)
        raise
    except PeerLostError as exc:  # fit's: another rank stopped; the run's checkpoint and resume
        reason = lost_connection(exc.__cause__) if exc.__cause__ is not None else None
        if reason is None:
            raise
        raise peer_lost(reason, exp, run_dir, checkpoint, start_epoch) from exc.__cause__
    except RuntimeError as exc:
        reason = lost_connection(exc) if exp.dist.enabled else None
        if reason is None:
            raise
        raise peer_lost(reason, exp, run_dir, checkpoint, start_epoch) from exc
    elapsed = time.perf_counter() - start
    return SoftmaxResult(
        config=config,
        history=history,
        run_dir=run_dir,
        seconds_per_epoch=seconds_per_epoch(elapsed, config, start_epoch, history, run_dir=run_dir),
        data_source=exp.data_source,
        per_class_acc=_write_outputs(exp, run_dir, plotter),
        classes=exp.classes,
    )


def _write_outputs(exp: Experiment, run_dir: Path, plotter: PlotProcess | None) -> list[float]:
    """Save the weights and (with a test set) the reports, on rank 0; return per-class accuracy."""
    if not exp.dist.is_main:
        return []
    save_weights(run_dir / WEIGHTS_FILE, exp)
    if exp.test_iter is None:
        return []
    return write_reports(exp, run_dir, plots=exp.config.plot != "none", plotter=plotter)
