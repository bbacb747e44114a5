"""Linear-regression runs kept in a run folder: a checkpoint after every epoch (D2L §3.2.7).

:func:`run_in_folder` is :func:`~linearnets.tasks.linreg.run_linreg` with ``config.out``: it checks
the folder, makes the data, then claims the folder and writes ``config.json`` (the effective config,
versions, data source), then after every epoch ``checkpoint.pt`` (model, optimizer, epoch, every
generator's state, history, config, version) and a row of ``metrics.jsonl``/``metrics.csv``, and
``results.json`` at the end. A Ctrl-C or SIGTERM stops it
after the current step with the last checkpoint kept, naming the resume
(:func:`~linearnets.tasks.linreg_resume.resume_linreg`), which trains on with :func:`train_in_folder`.
What a stopped or diverged run says is :mod:`linearnets.tasks.linreg_stops`'s (:func:`stop_named`,
importable from here).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import torch

from linearnets import _fs
from linearnets._paths import absolute_path
from linearnets._signals import held_signals, sigterm_as_keyboard_interrupt
from linearnets._text import shown_path
from linearnets.config import LinregConfig
from linearnets.errors import CheckpointError, DivergenceError, UsageError
from linearnets.seeding import pin_threads
from linearnets.tasks.linreg import LinregResult, LinregSetup, prepare_linreg, train_linreg
from linearnets.tasks.linreg_changes import RESULT_SETTINGS as LINREG_RESULT_SETTINGS
from linearnets.tasks.linreg_resume_fit import features_carry_over
from linearnets.tasks.linreg_stops import (
    diverged,
    keeps_its_folder,
    name_resume,
    names_its_folder,
    stop_named,
    user_stop,
)
from linearnets.tasks.linreg_train import data_source
from linearnets.tasks.run_failures import name_run_on_lost_output
from linearnets.tasks.stopping import (
    RunPosition,
    complete_when_returned,
    interrupted_when_complete,
)
from linearnets.training.asked_settings import AskedSettings
from linearnets.training.callbacks import MetricsWriter
from linearnets.training.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    CheckpointCallback,
    checkpoint_history,
    global_rng_state,
    set_global_rng_state,
)
from linearnets.training.checkpoint_values import restore_hint
from linearnets.training.checkpoint_write import a_new_run
from linearnets.training.folder_as_found import FolderAsFound
from linearnets.training.guard import DivergenceGuard, guards_first
from linearnets.training.guard_start import higher_start, seed_guard_start
from linearnets.training.history import History, HistoryRows
from linearnets.training.interrupt import (
    GracefulInterrupt,
    TrainingInterrupted,
    plain_stop,
    stop_behind,
)
from linearnets.training.runs import (
    CONFIG_FILE,
    RESULTS_FILE,
    check_run_dir,
    claim_run_dir,
    environment,
    write_json_atomic,
)

__all__ = [
    "RUN_FILE_NAMES",
    "TASK",
    "data_sha256",
    "run_in_folder",
    "stop_named",
    "train_in_folder",
    "write_run_config",
]

TASK = "linreg"  # config.json's "task": a softmax run's folder is not resumed as a linreg one
# the files a linreg run writes in its folder
RUN_FILE_NAMES = (CONFIG_FILE, CHECKPOINT_FILE, RESULTS_FILE, "metrics.jsonl", "metrics.csv")


def run_in_folder(config: LinregConfig, *, callbacks: Sequence[Any]) -> LinregResult:
    """Train ``config`` in the new run folder ``config.out``, checkpointing every epoch.

    Args:
        config: the run's settings (``out`` set).
        callbacks: checked ``fit`` callbacks, e.g. a console logger.

    Raises:
        UsageError: ``config.out`` already holds a run, or is no writable folder.
        TrainingInterrupted: SIGINT/SIGTERM arrived; the last checkpoint stays, and the message
            gives the resume (or, once ``results.json`` is written, says the run is complete).
        KeyboardInterrupt: SIGINT/SIGTERM arrived before training (while the data were made):
            nothing was kept, the folder is left as it was found.

    See D2L §3.2.7.
    """
    if config.out is None:
        raise UsageError(
            "run_in_folder needs config.out, the run folder; pass LinregConfig(out=DIR)"
        )
    pin_threads(config.num_threads)  # before config.json records the environment's threads
    out = Path(config.out)
    # the folders as found, left so by a run refused or stopped before an epoch was kept
    found = FolderAsFound.look(out, files=RUN_FILE_NAMES)
    locks = found.locks  # the folder's, once claimed
    given = config  # its data read by the name it was given, as its messages show it
    if config.data is not None:  # a resume from another folder finds the same file
        config = replace(config, data=absolute_path(config.data))
    run_name = f"linreg-{config.impl}"
    try:
        # the folder checked first, writing nothing: a bad out fails before the data are made;
        # claimed once they are made: a run refused for its data never touches the disk
        asked = AskedSettings(
            config.to_dict(),
            forced=LINREG_RESULT_SETTINGS,
            carries_over=partial(features_carry_over, config),
        )
        check_run_dir(out, name=run_name, resume_function="resume_linreg", asked=asked)
        # warned of too many threads above; the run holds (and records) its data's absolute path
        setup = replace(prepare_linreg(given, pinned=True), config=config)
        # in here: a Ctrl-C as the claim returns leaves no folder holding the lock file alone
        locks.append(
            claim_run_dir(out, name=run_name, resume_function="resume_linreg", asked=asked)
        )
        lock, run_dir = locks[0], locks[0].run_dir  # out itself
        # whole: a signal during the write stops the run once config.json is there, to be removed
        with held_signals(raise_after=True):
            source = data_source(config, setup.features)  # as results.json names it
            write_run_config(run_dir, config, source=source, resumes=[], started=environment())
        # a file of yours unwritten before the first checkpoint: the folder left as found
        with complete_when_returned() as done, a_new_run(run_dir):
            done.append(
                train_in_folder(run_dir, config, callbacks=callbacks, ckpt=None, setup=setup)
            )
            lock.release()  # inside: an interrupt while the lock goes is a complete run's
            return done[0]
    except KeyboardInterrupt as exc:
        # a plain one (not training's stop, nor a second signal cutting that short) before an
        # epoch was kept came before training: nothing was trained, and a folder holding
        # config.json alone refused the same command ("already holds a run"); before the
        # claim, nothing in out is this run's to remove
        first = stop_behind(exc) if plain_stop(exc) else exc
        if not locks or (first is None and not (out / CHECKPOINT_FILE).exists()):
            found.leave_as_found()
            raise
        raise stop_named(exc, out) from None
    except BaseException as exc:  # a callback's SystemExit too, as run_softmax has it
        if locks and not (out / CHECKPOINT_FILE).exists() and not keeps_its_folder(exc, out):
            # refused once claimed, before an epoch was kept (config.json not written, a
            # blow-up in epoch 1, a callback's own error): the same command, fixed, must find
            # the folder free; a file of the run's unwritten names the resume, which starts it
            # over there
            found.leave_as_found()
        raise
    finally:
        for held in locks:
            held.release()


def train_in_folder(
    run_dir: Path,
    config: LinregConfig,
    *,
    callbacks: Sequence[Any],
    ckpt: Checkpoint | None,
    setup: LinregSetup | None = None,
    forced: Mapping[str, Any] | None = None,
    new_data: bool = False,
    data_since: int = 0,
) -> LinregResult:
    """Train ``config`` in ``run_dir`` from ``ckpt`` (``None``: from the start), then write
    ``results.json``. ``setup``: ``config``'s data and model, made already (a resume makes them
    before it rewrites ``config.json``, so a data file refused leaves the run's config as it was).
    ``forced``: a resume's forced values that ``config.json`` takes back where it diverges before
    its first checkpoint, named by the stop's advice (see
    :func:`~linearnets.tasks.resume_diverged.forced_put_back`). ``new_data``: a forced resume
    goes on with other data than ``ckpt`` was trained on (its file's content, the noise, the
    number of examples, the seed of synthetic data): the divergence guard drops the lowest epoch
    loss it kept (:func:`~linearnets.training.guard_growth.resumed_state`). ``data_since``: the
    epoch after which ``ckpt``'s epochs trained on its current data (an earlier forced resume's
    change, recorded by ``ckpt`` or else ``config.json``): a checkpoint from before the lowest
    epoch loss was kept takes it from those alone. Every checkpoint written records it (``ckpt``'s
    epoch where ``new_data``), so a later resume finds it where ``config.json``'s record is lost.

    Callbacks, in order: where training is (a callback's own ``KeyboardInterrupt`` says it), the
    divergence guard (a blown-up epoch is neither saved nor logged), the
    checkpoint (an epoch is kept before anything can fail to print it), the metrics files,
    ``callbacks``, and the interrupt check (a signal during an epoch's evaluation stops the run
    once that epoch is saved).

    A SIGTERM stops it as a Ctrl-C does once the data are made, until ``results.json`` is
    written (as softmax's :func:`~linearnets.tasks.training_run.train_experiment` has it), not only
    during ``fit``: one while the results were written ended the process at once, without a word.
    """
    if setup is None:
        setup = prepare_linreg(config)
    with sigterm_as_keyboard_interrupt():
        return _train_setup(
            run_dir,
            setup,
            callbacks=callbacks,
            ckpt=ckpt,
            forced=forced,
            new_data=new_data,
            data_since=data_since,
        )


def _train_setup(
    run_dir: Path,
    setup: LinregSetup,
    *,
    callbacks: Sequence[Any],
    ckpt: Checkpoint | None,
    forced: Mapping[str, Any] | None,
    new_data: bool,
    data_since: int,
) -> LinregResult:
    """:func:`train_in_folder` once ``setup`` is made."""
    config = setup.config
    floor = setup.loss if config.data is not None else None  # a file's targets: see with_guard
    guard = DivergenceGuard(config.lr, data_checked=True, loss=floor) if config.guard else None
    history = History()
    if ckpt is not None:
        history = checkpoint_history(ckpt)
        # the epochs on the current data: an old checkpoint's lowest epoch loss is theirs
        current = History([m for m in history.epochs if m.epoch > data_since])
        saved = ckpt.extra.get("guard")
        # trained with guard=False so far, or forced onto other data: the start measured on them
        # too, the higher of it and the saved one kept (guard_start.higher_start)
        if guard is not None and (new_data or not saved):
            # before the states: the untrained model, its batches (the generators then loaded)
            seed_guard_start(
                guard,
                net=setup.net,
                loss=setup.loss,
                batches=setup.train_iter,
                new_data=new_data,
                history=current,
            )
            saved = saved if higher_start(saved, guard.state_dict()) is saved else None
        _restore(setup, ckpt, guard, saved, new_data=new_data, history=current)
        # trained unguarded, healthily: no saved start, and the epochs' losses fell to their end
        if guard is not None and new_data and not ckpt.extra.get("guard") and _fell(current):
            _start_from_resumed(setup, guard, history=current)
    rows = HistoryRows(history)
    # the file's content, once: every checkpoint records it, for a resume whose config.json is lost
    sha = data_sha256(config.data) if config.data is not None else None
    # the epoch the current data are used after, recorded by every checkpoint: a resume takes the
    # lowest epoch loss from the epochs past it where config.json's record of resumes is lost
    start = ckpt.epoch if ckpt is not None else 0
    since = start if new_data else data_since
    checkpoint = CheckpointCallback(
        run_dir, get_state=lambda: _checkpoint_state(setup, rows, guard, sha, since=since)
    )
    # a file of the run's unwritten (a full disk), its metrics' rewrite, an epoch's checkpoint or
    # results.json, of a run or a resume: the folder stays, named for --json as softmax's is
    with names_its_folder(run_dir):
        writer = MetricsWriter(run_dir)
        writer.rewrite(ckpt.history if ckpt is not None else [])  # the kept epochs' rows, whole
        (run_dir / RESULTS_FILE).unlink(missing_ok=True)  # written again at the end
        interrupt = GracefulInterrupt()
        position = RunPosition()  # first: it knows a step before a callback can stop in it
        # the caller's guards before the checkpoint: a stop at an epoch's end keeps the one before
        guards, others = guards_first(callbacks)
        guards = [guard, *guards] if guard is not None else guards
        own = [position, *guards, checkpoint, writer, *others, interrupt]
        try:
            with interrupt:
                result = train_linreg(setup, callbacks=own, start_epoch=start, history=history)
        except TrainingInterrupted as exc:
            name_resume(exc, run_dir, checkpoint.last_epoch or start or None)
            raise
        except KeyboardInterrupt as exc:
            # a plain one is a callback's own ("stop now"): it names the resume once an epoch is
            # kept
            stop = user_stop(exc, run_dir, checkpoint.last_epoch or start or None, where=position)
            if stop is exc:
                raise
            raise stop from None
        except DivergenceError as exc:
            kept = checkpoint.last_epoch or start
            if not kept:  # nothing kept: a new run's folder is removed (run_in_folder)
                raise
            # none of this resume's kept yet: its forced values put back
            put_back = forced if checkpoint.last_epoch is None else None
            raise diverged(exc, run_dir, kept, config.lr, forced=put_back) from None
        except OSError as exc:
            # its output's reader quit (| head), or a full disk: the command names the resume, as
            # softmax's does
            name_run_on_lost_output(exc, run_dir, checkpoint.last_epoch or start or None)
            raise
        try:
            result = result.in_folder(run_dir)
            write_json_atomic(run_dir / RESULTS_FILE, result.summary())
        except KeyboardInterrupt as exc:
            if (run_dir / RESULTS_FILE).exists():  # this call's (the one before was removed above)
                # the run is complete: a resume advised would be refused, nothing being left to do
                raise interrupted_when_complete(exc, run_dir, epoch=config.epochs) from None
            raise stop_named(exc, run_dir) from None  # every epoch kept: the resume writes results
        return result


def _checkpoint_state(
    setup: LinregSetup,
    rows: HistoryRows,
    guard: DivergenceGuard | None,
    sha: str | None,
    *,
    since: int,
) -> dict[str, Any]:
    """Return what :func:`~linearnets.training.checkpoint.save_checkpoint` needs besides the path
    and the epoch; ``sha``: the data file's SHA-256 (``None`` for synthetic data), which stands in
    for ``config.json``'s where that is lost, so the resume still checks the file's content.
    ``since``: the epoch after which the run trained on its current data (``"data_since"``: 0, or
    the epoch a forced resume onto other data went on from), which a resume takes the divergence
    guard's lowest epoch loss after, ``config.json``'s record of resumes being no longer needed."""
    return {
        "model_state": setup.net.state_dict(),
        "optimizer_state": setup.updater.state_dict(),
        "generators_state": {"run": setup.gens.state_dict(), "global": global_rng_state()},
        "history": rows.rows(),
        "config": setup.config.to_dict(),
        "extra": {
            "task": TASK,
            "guard": guard.state_dict() if guard is not None else None,
            "data_sha256": sha,
            "data_since": since,
        },
    }


def _restore(
    setup: LinregSetup,
    ckpt: Checkpoint,
    guard: DivergenceGuard | None,
    saved: dict[str, Any] | None,
    *,
    new_data: bool,
    history: History,
) -> None:
    """Load the checkpoint's model, optimizer, generator and guard states into ``setup``: the
    guard's ``saved`` (the checkpoint's, where kept: ``None`` leaves the one seeded), its lowest
    epoch loss dropped on ``new_data``, or taken from ``history`` where a checkpoint from before
    it holds none (see :meth:`DivergenceGuard.load_state_dict`)."""
    try:
        setup.net.load_state_dict(_model_state(ckpt.model_state, set(setup.net.state_dict())))
        # plain SGD keeps no buffers, only its lr (set below): a forced change of impl between
        # scratch's SGD and torch.optim.SGD, whose states differ in form, carries nothing over
        if ("param_groups" in ckpt.optimizer_state) == (
            "param_groups" in setup.updater.state_dict()
        ):
            setup.updater.load_state_dict(ckpt.optimizer_state)
        setup.gens.load_state_dict(ckpt.generators_state["run"])
        set_global_rng_state(ckpt.generators_state["global"])
        if guard is not None and saved:
            guard.load_state_dict(saved, new_data=new_data, history=history)
    except (RuntimeError, KeyError, TypeError, ValueError, UsageError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise CheckpointError(
            f"checkpoint {shown_path(ckpt.path)} holds states this run cannot take "
            f"({type(exc).__name__}: {reason}): it is damaged, or from a run of another model "
            f"shape; {restore_hint(ckpt.path)}"
        ) from None
    for group in setup.updater.param_groups:  # a forced lr: the optimizer state held the old one
        group["lr"] = setup.config.lr


def _fell(history: History) -> bool:
    """Return whether the run's epochs in ``history`` ended at their lowest training loss: the
    weights they leave fit their data as well as any before (a run blowing up does not)."""
    losses = [m.train_loss for m in history.epochs]
    return bool(losses) and math.isfinite(losses[-1]) and losses[-1] <= min(losses)


def _start_from_resumed(setup: LinregSetup, guard: DivergenceGuard, *, history: History) -> None:
    """Raise ``guard``'s start, on a resume forced onto other data of a run trained with
    ``guard=False`` whose epochs' losses fell to their end (:func:`_fell`), to the loss the
    resumed weights give on the new data's first batches, where that is the higher (see
    :func:`~linearnets.training.guard_start.higher_start`).

    Only there: weights already blowing up give a blown-up loss, which as the start let the
    blow-up train on (``--lr 2.5 --batch-size 1000 --no-guard``, epoch 4 at 791, resumed
    ``--guard --force --noise-std 0.02``: to 44619, exit 0, where it stops at 2150 without); a
    run guarded from its start has its saved start, the higher of it and the new data's kept.

    Call it once the checkpoint's states are loaded into ``setup``: the batches drawn advance the
    generators, whose states are put back after them, so the run goes on as without it. The
    untrained model's start on the new data, alone without a saved one, does not hold where the
    new targets are smaller: a run trained with ``--no-guard`` on y, resumed ``--guard --force``
    onto y / 100, was stopped at its first batch, "15.23, more than 100× its starting value
    0.001437", where the same resume unguarded trains on healthily (D2L §3.2.7)."""
    drawn, drawn_global = setup.gens.state_dict(), global_rng_state()
    trial = copy.deepcopy(guard)
    seed_guard_start(
        trial,
        net=setup.net,
        loss=setup.loss,
        batches=setup.train_iter,
        new_data=True,
        history=history,
    )
    setup.gens.load_state_dict(drawn)
    set_global_rng_state(drawn_global)
    now = guard.state_dict()
    if higher_start(now, trial.state_dict()) is not now:
        guard.load_state_dict(trial.state_dict(), new_data=True, history=history)


def _model_state(state: dict[str, torch.Tensor], keys: set[str]) -> dict[str, torch.Tensor]:
    """Return the weights ``state`` in the form of a model with parameters ``keys``: a forced change
    of impl between the scratch model (``w`` (d, 1), ``b`` (1,)) and ``nn.Linear`` (``0.weight``
    (1, d), ``0.bias`` (1,)) carries the weights over. See D2L §3.3.3."""
    if set(state) == {"w", "b"} and keys == {"0.weight", "0.bias"}:
        return {"0.weight": state["w"].reshape(1, -1), "0.bias": state["b"].reshape(1)}
    if set(state) == {"0.weight", "0.bias"} and keys == {"w", "b"}:
        return {"w": state["0.weight"].reshape(-1, 1), "b": state["0.bias"].reshape(1)}
    return state


def data_sha256(path: Path) -> str | None:
    """Return ``path``'s SHA-256 (``None`` if it cannot be read: training then names the file)."""
    try:
        return _fs.sha256_file(path)
    except OSError:
        return None


def write_run_config(
    run_dir: Path,
    config: LinregConfig,
    *,
    source: str,
    resumes: list[dict[str, Any]],
    started: dict[str, Any] | None,
    notes: dict[str, Any] | None = None,
) -> None:
    """Write ``config.json``: the task, the effective config (seed and threads in it), the
    environment the run started in, its data ``source`` (:func:`data_source`, as ``results.json``
    names it) and the resumes; then ``notes``, the keys a resume found beside them (the user's:
    :func:`~linearnets.training.config_sections.notes_of`)."""
    record = {
        "task": TASK,
        "config": {**config.to_dict(), "out": str(absolute_path(run_dir))},
        "environment": started if started is not None else environment(),
        "data_source": source,
        "data_sha256": data_sha256(config.data) if config.data is not None else None,
        "resumes": resumes,
    }
    write_json_atomic(run_dir / CONFIG_FILE, {**(notes or {}), **record})
