"""Continue a softmax run from its last checkpoint, exactly as if it had never stopped.

The checkpoint (:mod:`linearnets.training.checkpoint`) holds the model, optimizer and generator states,
the history and the config. Resuming rebuilds the run from that config, loads the states, rewrites the
metrics files from the checkpoint's history and trains the remaining epochs, so an interrupted and
resumed run ends bit-identical to an uninterrupted one (at the same thread count).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from linearnets._json import dumps_strict
from linearnets.config import RESULT_SETTINGS, SoftmaxConfig
from linearnets.errors import CheckpointError, UsageError
from linearnets.seeding import kept_global_state
from linearnets.tasks.experiment import prepare
from linearnets.tasks.reports import check_backend
from linearnets.tasks.restore import restore_states
from linearnets.tasks.softmax import write_run_config
from linearnets.tasks.training_run import SoftmaxResult, train_experiment
from linearnets.tasks.weights import WEIGHTS_FILE
from linearnets.training.checkpoint import (
    CHECKPOINT_FILE,
    checkpoint_history,
    load_checkpoint,
)
from linearnets.training.distributed import DistContext, on_rank_0
from linearnets.training.runs import (
    CONFIG_FILE,
    RESULTS_FILE,
    RunLock,
    environment,
    read_config,
)

__all__ = ["resume_softmax", "saved_config"]

# the figures a run draws (see tasks.reports); a resume with plot="none" removes them
FIGURES = ("curves.png", "curves.svg", "curves.pdf", "predictions.png", "confusion.png")


@kept_global_state()
def resume_softmax(
    run_dir: Path,
    *,
    force: bool = False,
    callbacks: Sequence[Any] = (),
    dist: DistContext | None = None,
    **overrides: Any,
) -> SoftmaxResult:
    """Continue the run in ``run_dir`` from its last checkpoint, exactly as if it had never stopped.

    Model, optimizer, every generator, the history and the metrics files are restored, so the result
    is bit-identical to an uninterrupted run (at the same thread count). ``overrides`` may change any
    setting (e.g. ``epochs=20`` to train further); a setting that changes the result (impl, lr,
    batch_size, seed, resize, data, or the ``--data`` file's content) is refused unless
    ``force=True``. Without overrides the run goes on with the settings last asked for (those of an
    earlier resume that was stopped before its first checkpoint included).

    A run stopped before its first epoch ended has no checkpoint: it starts over in ``run_dir``. A run
    stopped after its last epoch but before its weights and reports were written trains nothing and
    writes them. A lost ``config.json`` is rebuilt from the checkpoint. The folder is locked while
    the resume writes it.

    Raises:
        UsageError: ``run_dir`` is not a run folder, a setting changed without ``force``, or the run
            already finished its epochs.
        CheckpointError: ``checkpoint.pt`` is damaged or foreign, or missing beside trained weights.
    """
    run_dir = Path(run_dir)
    saved = saved_config(run_dir)
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise UsageError(
            f"--resume {run_dir} is not writable, and resuming rewrites its files; make it "
            "writable (chmod u+w) or copy the run folder somewhere you can write"
        )
    locks: list[RunLock] = []

    def lock() -> str:  # one writer per folder: a second resume (or run) there is refused
        locks.append(RunLock(run_dir).acquire())
        return ""

    on_rank_0(dist or DistContext(), lock)
    try:
        return _resume(run_dir, saved, force=force, callbacks=callbacks, dist=dist, **overrides)
    finally:
        for held in locks:
            held.release()


def _resume(
    run_dir: Path,
    saved: dict[str, Any],
    *,
    force: bool,
    callbacks: Sequence[Any],
    dist: DistContext | None,
    **overrides: Any,
) -> SoftmaxResult:
    """:func:`resume_softmax` once the folder is checked and locked."""
    check_backend(_resumed_config(_last_asked(saved, SoftmaxConfig()), overrides, run_dir))
    if not (run_dir / CHECKPOINT_FILE).exists() and not (run_dir / WEIGHTS_FILE).exists():
        done = _epochs_logged(run_dir)
        # each epoch's checkpoint is written before its metrics row: a logged epoch means a
        # checkpoint went missing, and starting over would throw that work away
        if done and not force:
            raise CheckpointError(
                f"the run in {run_dir} logged {done} finished epoch{'s' if done > 1 else ''} in "
                f"metrics.jsonl but has no {CHECKPOINT_FILE} to continue from; put the checkpoint "
                "back, or pass --force (force=True) to start the run over, replacing its metrics"
            )
        return _start_over(run_dir, saved, callbacks=callbacks, dist=dist, overrides=overrides)
    ckpt = load_checkpoint(run_dir / CHECKPOINT_FILE)
    try:
        old = SoftmaxConfig.from_dict(ckpt.config)
    except (UsageError, TypeError) as exc:
        raise CheckpointError(
            f"checkpoint {ckpt.path} holds an unusable config: {exc}; restore {CHECKPOINT_FILE} "
            "from a copy of the run, or delete it and resume with --force to start the run over"
        ) from None
    # the settings last asked for: an earlier resume's options (--epochs 6, a forced --lr) are in
    # config.json before its first checkpoint is, so the plain "--resume DIR" its interrupt
    # message advises carries them on
    new = _resumed_config(_last_asked(saved, old), overrides, run_dir)
    changed = {k: (getattr(old, k), getattr(new, k)) for k in RESULT_SETTINGS}
    changed = {k: v for k, v in changed.items() if v[0] != v[1]}
    forced_before = _forced_since(saved, ckpt.epoch)
    unforced = {k: v for k, v in changed.items() if str(v[1]) not in forced_before.get(k, ())}
    if unforced and not force:
        what = "; ".join(
            f"--{key.replace('_', '-')} changed from {was} to {now}"
            for key, (was, now) in unforced.items()
        )
        raise UsageError(
            f"{what} since the run in {run_dir} started, which would change its result; drop "
            f"the option to continue the same run, or pass --force (force=True) to continue with "
            f"the new value"
        )
    finished = (run_dir / WEIGHTS_FILE).exists() and (run_dir / RESULTS_FILE).exists()
    if ckpt.epoch > new.epochs or (ckpt.epoch == new.epochs and finished):
        # in the API's words; the command line says --epochs (linearnets.cli spells it)
        given = "" if "epochs" in overrides else ", the run's own (none was given)"
        raise UsageError(
            f"epochs must be more than the epochs the run in {run_dir} already finished "
            f"({ckpt.epoch}), got {new.epochs}{given}; pass e.g. epochs={ckpt.epoch + 5} to train "
            "further"
        )
    history = checkpoint_history(ckpt)  # before any file is rewritten from it
    exp = prepare(new, dist=dist)
    was = saved.get("data_sha256")
    if isinstance(was, str) and exp.data_sha256 is not None and was != exp.data_sha256:
        if not force:
            raise UsageError(
                f"--data {new.data} changed since the run in {run_dir} started (SHA-256 "
                f"{was[:12]}… then, {exp.data_sha256[:12]}… now), which would change its result; "
                "put the original file back, or pass --force (force=True) to continue on the new "
                "content"
            )
        changed["data_sha256"] = (was, exp.data_sha256)
    restore_states(exp, ckpt, old, changed)
    if exp.dist.is_main:
        resumes = [*saved.get("resumes", [])]
        resumes.append(
            {
                "from_epoch": ckpt.epoch,
                "forced": {k: [str(a), str(b)] for k, (a, b) in changed.items()},
                "environment": environment(),
            }
        )
        write_run_config(run_dir, exp, resumes=resumes, started=_started(saved))
        if new.plot == "none":  # not redrawn: they would show the model of an earlier epoch
            for figure in FIGURES:
                (run_dir / figure).unlink(missing_ok=True)
        # the checkpoint's rows are the truth: a crash right after it leaves metrics a row behind
        (run_dir / "metrics.jsonl").write_text(
            "".join(dumps_strict(m.as_dict()) + "\n" for m in history.epochs)
        )
    return train_experiment(
        exp,
        run_dir,
        callbacks=callbacks,
        start_epoch=ckpt.epoch,
        history=history,
        guard_state=ckpt.extra.get("guard"),
    )


def saved_config(run_dir: str | Path) -> dict[str, Any]:
    """Return the run's ``config.json``; if it is gone, what the checkpoint holds (its config)."""
    run_dir = Path(run_dir)
    if run_dir.is_dir() and not (run_dir / CONFIG_FILE).exists():
        try:
            ckpt = load_checkpoint(run_dir / CHECKPOINT_FILE)
        except CheckpointError:
            pass  # no usable checkpoint either: read_config says what is missing
        else:
            return {"config": ckpt.config, "resumes": []}  # config.json is rewritten on resume
    return read_config(run_dir)


def _last_asked(saved: dict[str, Any], checkpointed: SoftmaxConfig) -> SoftmaxConfig:
    """Return the settings ``config.json`` holds (the last run or resume's), else the checkpoint's."""
    try:
        return SoftmaxConfig.from_dict(saved.get("config", {}))
    except (UsageError, TypeError):
        return checkpointed


def _forced_since(saved: dict[str, Any], epoch: int) -> dict[str, set[str]]:
    """Return the values earlier resumes from ``epoch`` forced, per setting (as recorded, strings).

    Only those: a resume interrupted before its first checkpoint left the checkpoint at ``epoch``
    with the old value, and its --force carries on; a value forced for other epochs does not.
    """
    values: dict[str, set[str]] = {}
    for entry in saved.get("resumes", []):
        if not isinstance(entry, dict) or entry.get("from_epoch") != epoch:
            continue
        forced = entry.get("forced")
        for key, pair in forced.items() if isinstance(forced, dict) else ():
            if isinstance(pair, list) and len(pair) == 2:
                values.setdefault(key, set()).add(str(pair[1]))
    return values


def _started(saved: dict[str, Any]) -> dict[str, Any] | None:
    """Return the environment the run started in, as its config.json recorded it."""
    started = saved.get("environment")
    return started if isinstance(started, dict) else None


def _epochs_logged(run_dir: Path) -> int:
    """Return how many epoch rows ``metrics.jsonl`` holds (0 when it is missing or unreadable)."""
    try:
        text = (run_dir / "metrics.jsonl").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if line.strip())


def _start_over(
    run_dir: Path,
    saved: dict[str, Any],
    *,
    callbacks: Sequence[Any],
    dist: DistContext | None,
    overrides: dict[str, Any],
) -> SoftmaxResult:
    """Run again, in place, a run stopped before its first checkpoint: there is nothing to continue."""
    try:
        old = SoftmaxConfig.from_dict(saved.get("config", {}))
    except (UsageError, TypeError) as exc:
        raise UsageError(f"{run_dir / CONFIG_FILE} holds an unusable config: {exc}") from None
    exp = prepare(_resumed_config(old, overrides, run_dir), dist=dist)
    if exp.dist.is_main:
        resumes = [{"from_epoch": 0, "forced": {}, "environment": environment()}]
        write_run_config(run_dir, exp, resumes=resumes, started=_started(saved))
    return train_experiment(exp, run_dir, callbacks=callbacks)


def _resumed_config(old: SoftmaxConfig, overrides: dict[str, Any], run_dir: Path) -> SoftmaxConfig:
    """Return the old config with ``overrides`` applied and ``out`` set to the run folder."""
    allowed = {f.name for f in fields(SoftmaxConfig)} - {"out"}
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise UsageError(
            f"resume_softmax got unknown settings {unknown}; pass SoftmaxConfig fields among "
            f"{sorted(allowed)}"
        )
    return replace(old, **overrides, out=run_dir)
