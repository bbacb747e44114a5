"""Linear-regression runs kept in a run folder: a checkpoint after every epoch, an exact resume (D2L §3.2.7).

:func:`run_in_folder` is :func:`~linearnets.tasks.linreg.run_linreg` with ``config.out``: it claims the
folder, writes ``config.json`` (the effective config, versions, data source), then after every epoch
``checkpoint.pt`` (model, optimizer, epoch, every generator's state, history, config, version) and a row
of ``metrics.jsonl``/``metrics.csv``, and ``results.json`` at the end. A Ctrl-C or SIGTERM stops it
after the current step with the last checkpoint kept. :func:`resume_linreg` continues it so that the
result is bit-identical to a run never stopped (at the same thread count): the data and model are made
again from the seed, then the checkpoint's states are loaded into them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from linearnets import _fs
from linearnets._signals import first_signal, held_signals
from linearnets.config import LinregConfig
from linearnets.errors import CheckpointError, UsageError, usage_errors_on_one_line
from linearnets.seeding import grad_enabled, kept_global_state, pin_threads
from linearnets.tasks.linreg import LinregResult, LinregSetup, prepare_linreg, train_linreg
from linearnets.tasks.resume_changes import warn_not_bit_exact
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.callbacks import MetricsWriter
from linearnets.training.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    CheckpointCallback,
    checkpoint_history,
    global_rng_state,
    load_checkpoint,
    set_global_rng_state,
)
from linearnets.training.checkpoint_values import restore_hint
from linearnets.training.guard import DivergenceGuard
from linearnets.training.history import History, HistoryRows
from linearnets.training.interrupt import GracefulInterrupt, TrainingInterrupted
from linearnets.training.run_config import run_dir_path
from linearnets.training.run_lock import LOCK_FILE
from linearnets.training.runs import (
    CONFIG_FILE,
    RESULTS_FILE,
    RunLock,
    claim_run_dir,
    environment,
    missing_folders,
    remove_stale_temporaries,
    write_json_atomic,
)
from linearnets.validation import check_bool

__all__ = ["RESULT_SETTINGS", "TASK", "resume_linreg", "run_in_folder"]

TASK = "linreg"  # config.json's "task": a softmax run's folder is not resumed as a linreg one
# the settings that change what the run computes: a resume refuses a change unless force
RESULT_SETTINGS = (
    "impl",
    "lr",
    "batch_size",
    "seed",
    "num_examples",
    "noise_std",
    "true_w",
    "true_b",
    "data",
)
_RUN_FILE_NAMES = (CONFIG_FILE, CHECKPOINT_FILE, RESULTS_FILE, "metrics.jsonl", "metrics.csv")
_SYNTHETIC = ("num_examples", "noise_std", "true_w", "true_b")


def run_in_folder(config: LinregConfig, *, callbacks: Sequence[Any]) -> LinregResult:
    """Train ``config`` in the new run folder ``config.out``, checkpointing every epoch.

    Args:
        config: the run's settings (``out`` set).
        callbacks: checked ``fit`` callbacks, e.g. a console logger.

    Raises:
        UsageError: ``config.out`` already holds a run, or is no writable folder.
        TrainingInterrupted: SIGINT/SIGTERM arrived; the last checkpoint stays, and the message
            gives the resume.

    See D2L §3.2.7.
    """
    assert config.out is not None
    pin_threads(config.num_threads)  # before config.json records the environment's threads
    out = Path(config.out)
    existed, made = out.is_dir(), missing_folders(out)
    had_lock_file = (out / LOCK_FILE).exists()  # a stale one is kept
    lock = claim_run_dir(out, name=f"linreg-{config.impl}", resume_function="resume_linreg")
    run_dir = lock.run_dir
    try:
        # whole: a signal during the write is told once config.json is there to resume from
        with held_signals(raise_after=True):
            if config.data is not None:  # a resume from another folder finds the same file
                config = _replaced(config, {"data": config.data.absolute()}, run_dir)
            _write_config(run_dir, config, resumes=[], started=environment())
        return _train_in(run_dir, config, callbacks=callbacks, ckpt=None)
    except KeyboardInterrupt as exc:
        raise _stop_named(exc, run_dir) from None
    except Exception:
        if not (run_dir / CHECKPOINT_FILE).exists():
            # refused before an epoch was kept (a data file gone, no unique least-squares
            # solution, a blow-up in epoch 1): the same command, fixed, must find the folder free
            with held_signals(raise_after=False):
                for name in _RUN_FILE_NAMES:
                    (run_dir / name).unlink(missing_ok=True)
                lock.release(remove=not had_lock_file)
                if not existed:
                    _fs.remove_empty_folders([run_dir, *made])
        raise
    finally:
        lock.release()


@usage_errors_on_one_line()  # its refusals (a changed setting, a finished run) as one line
@kept_global_state()
@grad_enabled()
def resume_linreg(
    run_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    callbacks: Sequence[Any] = (),
    **overrides: Any,
) -> LinregResult:
    """Continue the linear-regression run in ``run_dir`` from its last checkpoint, exactly.

    The data and the model are made again from the run's seed, then the model, optimizer, every
    generator, the divergence guard and the history are restored from ``checkpoint.pt``, so the
    result (``w``, ``b`` and every epoch's losses) is bit-identical to a run never stopped, at the
    same thread count. ``overrides`` may change any setting, e.g. ``epochs=10`` to train further;
    one that changes the result (impl, lr, batch_size, seed, the synthetic data's settings, the
    data file or its content) is refused unless ``force=True``. A run stopped before its first
    checkpoint starts over in ``run_dir``. The folder is locked while the resume writes it.

    Args:
        run_dir: the run folder, as ``run_linreg(LinregConfig(out=...))`` made it.
        force: accept settings that change the result.
        callbacks: more ``fit`` callbacks, e.g. a console logger.
        overrides: :class:`~linearnets.config.LinregConfig` settings by name (``out`` excepted:
            the run stays in ``run_dir``).

    Returns:
        The whole run's result, its history holding the epochs before the stop too.

    Raises:
        UsageError: ``run_dir`` holds no linear-regression run, a setting changed without
            ``force``, or the run already finished its epochs.
        CheckpointError: ``checkpoint.pt`` is damaged, or missing beside ``results.json``.
        TrainingInterrupted: SIGINT/SIGTERM arrived; the last checkpoint stays.

    See D2L §3.2.7.
    """
    run_dir = run_dir_path(
        run_dir, example="resume_linreg('runs/a') (a new run is run_linreg(LinregConfig(out=...)))"
    )
    force = check_bool("force", force)
    callbacks = check_callbacks(callbacks)
    if "out" in overrides:
        raise UsageError(
            f"out cannot be passed to resume_linreg: the run continues in {run_dir}; drop out"
        )
    saved = _saved(run_dir)
    with RunLock(run_dir, resuming=True):
        # a writer killed mid-write (kill -9) left its temporary file: the lock says none is alive
        remove_stale_temporaries(run_dir, names=_RUN_FILE_NAMES)
        try:
            return _resume(run_dir, saved, force=force, callbacks=callbacks, overrides=overrides)
        except KeyboardInterrupt as exc:
            raise _stop_named(exc, run_dir) from None


def _resume(
    run_dir: Path,
    saved: dict[str, Any],
    *,
    force: bool,
    callbacks: Sequence[Any],
    overrides: dict[str, Any],
) -> LinregResult:
    """:func:`resume_linreg` once the folder is read and locked."""
    old = _replaced(LinregConfig(), _known(saved["config"]), run_dir, saved=True)
    new = _replaced(old, overrides, run_dir)
    pin_threads(new.num_threads)  # before config.json records the environment's threads
    path = run_dir / CHECKPOINT_FILE
    ckpt = load_checkpoint(path) if path.exists() or path.is_symlink() else None
    if ckpt is None and (run_dir / RESULTS_FILE).exists() and not force:
        raise CheckpointError(
            f"checkpoint {path} does not exist, but {RESULTS_FILE} does: the run finished, and "
            "training it further needs its checkpoint; put the checkpoint back, or pass "
            "force=True to start the run over, replacing its metrics and results"
        )
    changed = _changes(old, new, saved)
    if changed and not force:
        raise UsageError(
            "; ".join(f"{k} changed from {a!r} to {b!r}" for k, (a, b) in changed.items())
            + f": the run in {run_dir} was trained with the first, and a changed setting changes "
            "its result; leave it out to resume the run as it was, or pass force=True to continue "
            "with it"
        )
    if ckpt is not None:
        _check_epochs_left(run_dir, ckpt.epoch, new, given="epochs" in overrides)
    resumes = [*saved.get("resumes", [])]
    resumes.append(
        {
            "from_epoch": ckpt.epoch if ckpt is not None else 0,
            "forced": {k: list(v) for k, v in changed.items()},
            "environment": environment(),
        }
    )
    if ckpt is not None and ckpt.epoch < new.epochs:
        warn_not_bit_exact(saved, num_threads=new.num_threads, world_size=1, epoch=ckpt.epoch)
    with held_signals(raise_after=True):
        _write_config(run_dir, new, resumes=resumes, started=saved.get("environment"))
    return _train_in(run_dir, new, callbacks=callbacks, ckpt=ckpt)


def _train_in(
    run_dir: Path, config: LinregConfig, *, callbacks: Sequence[Any], ckpt: Checkpoint | None
) -> LinregResult:
    """Train ``config`` in ``run_dir`` from ``ckpt`` (``None``: from the start), then write
    ``results.json``.

    Callbacks, in order: the divergence guard (a blown-up epoch is neither saved nor logged), the
    checkpoint (an epoch is kept before anything can fail to print it), the metrics files,
    ``callbacks``, and the interrupt check (a signal during an epoch's evaluation stops the run
    once that epoch is saved).
    """
    setup = prepare_linreg(config)
    guard = DivergenceGuard(config.lr, data_checked=True) if config.guard else None
    history = History()
    if ckpt is not None:
        history = checkpoint_history(ckpt)
        _restore(setup, ckpt, guard)
    rows = HistoryRows(history)
    checkpoint = CheckpointCallback(
        run_dir, get_state=lambda: _checkpoint_state(setup, rows, guard)
    )
    writer = MetricsWriter(run_dir)
    writer.rewrite(ckpt.history if ckpt is not None else [])  # the kept epochs' rows, whole
    (run_dir / RESULTS_FILE).unlink(missing_ok=True)  # written again at the end
    interrupt = GracefulInterrupt()
    start = ckpt.epoch if ckpt is not None else 0
    own = [*([guard] if guard is not None else []), checkpoint, writer, *callbacks, interrupt]
    try:
        with interrupt:
            result = train_linreg(setup, callbacks=own, start_epoch=start, history=history)
    except TrainingInterrupted as exc:
        _name_resume(exc, run_dir, checkpoint.last_epoch or start or None)
        raise
    result = result.in_folder(run_dir)
    write_json_atomic(run_dir / RESULTS_FILE, result.summary())
    return result


def _checkpoint_state(
    setup: LinregSetup, rows: HistoryRows, guard: DivergenceGuard | None
) -> dict[str, Any]:
    """Return what :func:`~linearnets.training.checkpoint.save_checkpoint` needs besides the path
    and the epoch."""
    return {
        "model_state": setup.net.state_dict(),
        "optimizer_state": setup.updater.state_dict(),
        "generators_state": {"run": setup.gens.state_dict(), "global": global_rng_state()},
        "history": rows.rows(),
        "config": setup.config.to_dict(),
        "extra": {"task": TASK, "guard": guard.state_dict() if guard is not None else None},
    }


def _restore(setup: LinregSetup, ckpt: Checkpoint, guard: DivergenceGuard | None) -> None:
    """Load the checkpoint's model, optimizer, generator and guard states into ``setup``."""
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
        if guard is not None and ckpt.extra.get("guard"):
            guard.load_state_dict(ckpt.extra["guard"])
    except (RuntimeError, KeyError, TypeError, ValueError, UsageError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise CheckpointError(
            f"checkpoint {ckpt.path} holds states this run cannot take "
            f"({type(exc).__name__}: {reason}): it is damaged, or from a run of another model "
            f"shape; {restore_hint(ckpt.path)}"
        ) from None
    for group in setup.updater.param_groups:  # a forced lr: the optimizer state held the old one
        group["lr"] = setup.config.lr


def _model_state(state: dict[str, torch.Tensor], keys: set[str]) -> dict[str, torch.Tensor]:
    """Return the weights ``state`` in the form of a model with parameters ``keys``: a forced change
    of impl between the scratch model (``w`` (d, 1), ``b`` (1,)) and ``nn.Linear`` (``0.weight``
    (1, d), ``0.bias`` (1,)) carries the weights over. See D2L §3.3.3."""
    if set(state) == {"w", "b"} and keys == {"0.weight", "0.bias"}:
        return {"0.weight": state["w"].reshape(1, -1), "0.bias": state["b"].reshape(1)}
    if set(state) == {"0.weight", "0.bias"} and keys == {"w", "b"}:
        return {"w": state["0.weight"].reshape(-1, 1), "b": state["0.bias"].reshape(1)}
    return state


def _name_resume(exc: TrainingInterrupted, run_dir: Path, checkpoint_epoch: int | None) -> None:
    """Tell a stop where the run is, so that its message gives the resume."""
    exc.run_dir, exc.checkpoint_epoch = run_dir, checkpoint_epoch
    exc.command, exc.function = "linearnets linreg", "resume_linreg"


def _stop_named(exc: KeyboardInterrupt, run_dir: Path) -> KeyboardInterrupt:
    """Return the stop ``exc`` naming the resume of ``run_dir``; one before training (a plain
    ``KeyboardInterrupt``) as a :class:`TrainingInterrupted` at the start."""
    if isinstance(exc, TrainingInterrupted):
        return exc
    stop = TrainingInterrupted(signal_name=first_signal(exc), epoch=0, step=0)
    epoch = _checkpoint_epoch(run_dir)
    _name_resume(stop, run_dir, epoch)
    stop.epoch = epoch or 0
    return stop


def _checkpoint_epoch(run_dir: Path) -> int | None:
    """Return the epoch ``run_dir``'s checkpoint holds (``None``: none, or unreadable)."""
    try:
        return load_checkpoint(run_dir / CHECKPOINT_FILE).epoch
    except CheckpointError:
        return None


def _saved(run_dir: Path) -> dict[str, Any]:
    """Return ``run_dir/config.json``, refusing a folder that holds no linear-regression run."""
    path = run_dir / CONFIG_FILE
    if not run_dir.is_dir():
        raise UsageError(
            f"the run folder {run_dir} does not exist or is not a folder; pass the folder a run "
            "kept with out=DIR"
        )
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"the run folder {run_dir} holds no {CONFIG_FILE}, so it holds no run; pass the "
            "folder a run kept with out=DIR"
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path} cannot be read ({type(exc).__name__}: {exc}); put the run's {CONFIG_FILE} "
            "back, or start a new run"
        ) from None
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise UsageError(f"{path} holds no run config; put the run's {CONFIG_FILE} back")
    if saved.get("task") != TASK:
        raise UsageError(
            f"the run folder {run_dir} holds no linear-regression run (its {CONFIG_FILE} is of "
            f"{saved.get('task') or 'a softmax run'}); resume a softmax run with "
            f"linearnets.resume_softmax({str(run_dir)!r})"
        )
    return saved


def _known(values: dict[str, Any]) -> dict[str, Any]:
    """Return the LinregConfig settings of a saved config (``out`` dropped: the run stays)."""
    names = {f.name for f in fields(LinregConfig)} - {"_defaulted", "out"}
    return {k: v for k, v in values.items() if k in names}


def _replaced(
    base: LinregConfig, changes: dict[str, Any], run_dir: Path, *, saved: bool = False
) -> LinregConfig:
    """Return ``base`` with ``changes``: the synthetic settings dropped for a new ``data`` file,
    a ``data`` path made absolute; an unknown or bad setting refused naming it."""
    names = {f.name for f in fields(LinregConfig)} - {"_defaulted"}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise UsageError(
            f"{', '.join(unknown)} {'is no setting' if len(unknown) == 1 else 'are no settings'} "
            f"of LinregConfig; pass only {', '.join(sorted(names - {'out'}))}"
        )
    values = {**base.to_dict(), **changes}
    if changes.get("data") is not None and base.data is None:
        values.update({k: changes.get(k) for k in _SYNTHETIC})  # the file decides them
    if values.get("data") is not None:
        values["data"] = Path(values["data"]).absolute()
    try:
        return LinregConfig(**values)
    except (UsageError, TypeError) as exc:
        if saved:
            raise UsageError(f"{run_dir / CONFIG_FILE} holds an unusable config: {exc}") from None
        raise


def _changes(old: LinregConfig, new: LinregConfig, saved: dict[str, Any]) -> dict[str, Any]:
    """Return ``{setting: (old, new)}`` for each result setting that changed; a data file's
    content too (by SHA-256), whatever its path (a moved file with the same content is the same)."""
    before, after = old.to_dict(), new.to_dict()
    changed = {k: (before[k], after[k]) for k in RESULT_SETTINGS if before[k] != after[k]}
    if new.data is not None and old.data is not None:
        changed.pop("data", None)
        sha = _sha256(new.data)
        if saved.get("data_sha256") not in (None, sha):
            changed["data"] = (f"{old.data} (SHA-256 {saved['data_sha256'][:12]})", str(new.data))
    return changed


def _sha256(path: Path) -> str | None:
    """Return ``path``'s SHA-256 (``None`` if it cannot be read: training then names the file)."""
    try:
        return _fs.sha256_file(path)
    except OSError:
        return None


def _check_epochs_left(run_dir: Path, done: int, new: LinregConfig, *, given: bool) -> None:
    """Refuse a resume with nothing to do: the run finished ``new.epochs``, or more."""
    finished = (run_dir / RESULTS_FILE).exists()
    if done == new.epochs and finished and not given:
        raise UsageError(
            f"the run in {run_dir} is complete: it finished its {done} "
            f"epoch{'s' if done != 1 else ''} and wrote its results, so nothing is left to "
            f"resume; pass e.g. epochs={done + 5} to train further"
        )
    if done > new.epochs or (done == new.epochs and finished):
        own = "" if given else ", the run's own (none was given)"
        raise UsageError(
            f"epochs must be more than the epochs the run in {run_dir} already finished ({done}), "
            f"got {new.epochs}{own}; pass e.g. epochs={done + 5} to train further"
        )


def _write_config(
    run_dir: Path,
    config: LinregConfig,
    *,
    resumes: list[dict[str, Any]],
    started: dict[str, Any] | None,
) -> None:
    """Write ``config.json``: the task, the effective config (seed and threads in it), the
    environment the run started in, its data source and the resumes."""
    write_json_atomic(
        run_dir / CONFIG_FILE,
        {
            "task": TASK,
            "config": {**config.to_dict(), "out": str(run_dir)},
            "environment": started if started is not None else environment(),
            "data_source": str(config.data) if config.data is not None else "synthetic",
            "data_sha256": _sha256(config.data) if config.data is not None else None,
            "resumes": resumes,
        },
    )
