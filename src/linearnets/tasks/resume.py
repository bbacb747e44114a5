"""Continue a softmax run from its last checkpoint, exactly as if it had never stopped.

The checkpoint (:mod:`linearnets.training.checkpoint`) holds the model, optimizer and generator states,
the history and the config. Resuming rebuilds the run from that config, loads the states, rewrites the
metrics files from the checkpoint's history and trains the remaining epochs, so an interrupted and
resumed run ends bit-identical to an uninterrupted one (at the same thread count). Which settings
it continues with is :mod:`linearnets.tasks.resume_settings`'s job, which changes it refuses
:mod:`linearnets.tasks.resume_changes`'s, which files of the run folder it rewrites or removes
:mod:`linearnets.tasks.resume_files`'s, what every process of a data-parallel resume is given alike
:mod:`linearnets.tasks.resume_shared`'s.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.config import SoftmaxConfig
from linearnets.device import resolve_device
from linearnets.errors import (
    CheckpointError,
    ResumeWarning,
    UsageError,
    usage_errors_on_one_line,
)
from linearnets.seeding import grad_enabled, kept_global_state
from linearnets.tasks.checkpoint_data import refuse_checkpoint_data
from linearnets.tasks.experiment import Experiment, prepare
from linearnets.tasks.reports import check_backend
from linearnets.tasks.restore import restore_states
from linearnets.tasks.resume_changes import changed_settings, untrained_changes_dropped
from linearnets.tasks.resume_content import data_change
from linearnets.tasks.resume_data import check_recorded_data, warn_unchecked_content
from linearnets.tasks.resume_diverged import (
    asked_again_when_unrecorded,
    forced_put_back,
    forced_undone_on_divergence,
)
from linearnets.tasks.resume_exactness import warn_not_bit_exact
from linearnets.tasks.resume_files import (
    RUN_FILE_NAMES,
    checked_folder,
    drop_figures,
    drop_final_outputs,
    rewrite_run_files,
)
from linearnets.tasks.resume_fit import check_inputs_fit
from linearnets.tasks.resume_saved import (
    checkpoint_config,
    last_asked,
    saved_config,
    started_environment,
)
from linearnets.tasks.resume_settings import (
    check_epochs_left,
    check_logged_epochs,
    config_lost,
    note_config_rewritten,
    note_metrics_kept,
    note_metrics_rewritten,
    resumed_config,
)
from linearnets.tasks.resume_shared import shared_overrides, with_others
from linearnets.tasks.softmax import environment_group, write_run_config
from linearnets.tasks.stopping import complete_when_returned, stop_names_its_folder
from linearnets.tasks.training_run import SoftmaxResult, divergence_guard, train_experiment
from linearnets.tasks.weights import WEIGHTS_FILE
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.checkpoint import (
    CHECKPOINT_FILE,
    checkpoint_history,
    load_checkpoint,
    record_epochs,
)
from linearnets.training.config_sections import notes_of
from linearnets.training.distributed import DistContext
from linearnets.training.guard_growth import data_since, resumed_state
from linearnets.training.guard_start import higher_start, seed_guard_start
from linearnets.training.metrics_files import KeptMetrics, MetricsWriter
from linearnets.training.rank_agreement import (
    before_training,
    check_callbacks_on_every_rank,
    check_same_settings,
    on_rank_0,
)
from linearnets.training.run_config import run_dir_path
from linearnets.training.run_files import RESULTS_FILE, keep_replaced
from linearnets.training.runs import (
    CONFIG_FILE,
    RunLock,
    environment,
    remove_stale_temporaries,
)
from linearnets.validation import check_bool

__all__ = ["resume_softmax", "saved_config"]


def resume_softmax(
    run_dir: str | os.PathLike[str],
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
    ``force=True``, and a new image size or data shape even then (the weights cannot carry over).
    Without overrides the run goes on with the settings last asked for (those of an earlier resume
    that was stopped before its first checkpoint included).

    A run stopped before its first epoch ended has no checkpoint: it starts over in ``run_dir``
    (as does, with ``force``, one whose checkpoint is lost). A run stopped after its last epoch but
    before its weights and reports were written trains nothing and writes them. A resume that
    trains removes the weights and reports of the epochs before (written again at its end), so a
    stop after its last checkpoint is finished by the same plain resume, and the figures
    ``linearnets predict`` drew from those weights (a :class:`~linearnets.errors.ResumeWarning`
    names them). A lost ``config.json`` is
    rebuilt from the checkpoint; a ``--data`` file that moved (same SHA-256) may be passed at its
    new path. The folder is locked while the resume writes it. As :func:`run_softmax`, it trains
    with autograd on, inside the caller's ``torch.no_grad()`` or ``torch.inference_mode()`` too.

    Args:
        run_dir: the run folder, as :func:`run_softmax` made it (``result.run_dir``).
        force: accept settings that change the result, or start over a run whose checkpoint is
            lost.
        callbacks: more ``fit`` callbacks, e.g. a console logger (rank 0 only; a
            ``DivergenceGuard`` on every process, as in :func:`run_softmax`).
        dist: the data-parallel context, as in :func:`run_softmax`.
        overrides: :class:`~linearnets.config.SoftmaxConfig` settings by name (``out`` excepted:
            the run stays in ``run_dir``).

    Returns:
        The whole run's result, its history holding the epochs before the stop too.

    Raises:
        UsageError: ``run_dir`` is not a run folder, a setting changed without ``force`` (or one the
            weights cannot follow), the run's ``--data`` file is gone, the run already finished
            its epochs, or (data-parallel) another process was given other overrides or ``force``.
        CheckpointError: ``checkpoint.pt`` is damaged or foreign, or missing beside trained weights
            (or logged epochs) without ``force``.
    """
    # outermost: a Ctrl-C once the run returned, even while the caller's state comes back, is
    # the stop of a complete run (see complete_when_returned)
    with complete_when_returned() as done:
        # its refusals (a complete run, a changed setting) as one line in a notebook
        with usage_errors_on_one_line(), kept_global_state(), grad_enabled():
            done.append(
                _checked_resume(run_dir, force=force, callbacks=callbacks, dist=dist, **overrides)
            )
        return done[0]


def _checked_resume(
    run_dir: str | os.PathLike[str],
    *,
    force: bool,
    callbacks: Sequence[Any],
    dist: DistContext | None,
    **overrides: Any,
) -> SoftmaxResult:
    """:func:`resume_softmax`'s arguments and folder checked, the folder locked, then the resume."""
    run_dir = run_dir_path(
        run_dir, example="resume_softmax('runs/a') (a new run from a config is run_softmax(config))"
    )
    force = check_bool("force", force)
    callbacks = check_callbacks(callbacks)  # before config.json records the resume
    # a folder refused on one process alone (missing on its machine) is said to every process in
    # the settings' agreement: refused before the join, it left the others waiting up to 30 minutes
    own: UsageError | None = None
    try:
        saved = checked_folder(run_dir)
    except UsageError as exc:
        if not with_others(dist):
            raise
        own, saved = exc, {}
    locks: list[RunLock] = []

    def lock() -> str:  # one writer per folder: a second resume (or run) there is refused
        locks.append(
            RunLock(
                run_dir,
                resuming=True,
                named=f"linearnets.resume_softmax({str(run_dir)!r}): the run folder",
            ).acquire()
        )
        # a writer killed mid-write (kill -9) left its temporary file: the lock says none is alive
        remove_stale_temporaries(run_dir, names=RUN_FILE_NAMES)
        return ""

    device = str(overrides.get("device", saved.get("config", {}).get("device", "auto")))
    group = environment_group(device, dist)  # torchrun's group, in a script too

    def shared() -> dict[str, Any]:
        if own is not None:
            raise own
        # a device this process's machine lacks is said to every process too (see run_softmax)
        resolve_device(device, local_rank=group.local_rank)
        return shared_overrides(run_dir, overrides, force=force)

    check_same_settings(group, shared)
    if own is not None:  # a group of one process
        raise own
    # a writer of the caller's on the run's folder, a guard on some processes alone: told to
    # every process before the folder is locked
    check_callbacks_on_every_rank(group, callbacks, run_dir=run_dir)
    on_rank_0(group, lock)
    try:
        with complete_when_returned() as done:
            done.append(
                _resume(run_dir, saved, force=force, callbacks=callbacks, dist=group, **overrides)
            )
            for held in locks:  # inside: an interrupt while the lock goes is a complete run's
                held.release()
            return done[0]
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
    asked = last_asked(saved, run_dir=run_dir)
    check_backend(resumed_config(asked, overrides, run_dir, saved=saved))
    if not (run_dir / CHECKPOINT_FILE).exists():
        _check_nothing_lost(run_dir, force=force)
        return _start_over(
            run_dir, saved, callbacks=callbacks, dist=dist, overrides=overrides, force=force
        )
    ckpt = load_checkpoint(run_dir / CHECKPOINT_FILE)
    old = checkpoint_config(ckpt)
    # before any advice counting its epochs ("pass --epochs 17"), which this damage refuses
    history = checkpoint_history(ckpt)
    # the settings last asked for: an earlier resume's options (--epochs 6, a forced --lr) are in
    # config.json before its first checkpoint is, so the plain "--resume DIR" its interrupt
    # message advises carries them on
    new = resumed_config(asked, overrides, run_dir, saved=saved)
    # a file holding the checkpoint's own content continues it as trained
    refuse_checkpoint_data(ckpt, saved, run_dir, force=force, data=new.data)
    check_recorded_data(new, saved, given=overrides, run_dir=run_dir)
    check_inputs_fit(ckpt, old, new, given=overrides, run_dir=run_dir, saved=saved)
    changed = changed_settings(
        old,
        new,
        saved=saved,
        epoch=ckpt.epoch,
        run_dir=run_dir,
        force=force,
        given=overrides,
        untrained=ckpt.epoch == new.epochs,
        trained=ckpt.extra.get("data_sha256"),
    )
    logged = [m.epoch for m in history.epochs]
    wrong = check_epochs_left(run_dir, ckpt.epoch, new, given="epochs" in overrides, logged=logged)
    lost = config_lost(run_dir)  # written again from the checkpoint's settings: said if so
    if ckpt.epoch == new.epochs:  # trains nothing: the run ends with the checkpoint's settings
        new, changed = untrained_changes_dropped(new, changed, given=overrides)
        # and with the thread count it asked for: a num_threads given here, recorded as the
        # run's, was the next plain resume's, which trained on it, not bit for bit
        new = replace(new, num_threads=asked.num_threads)
    exp = prepare(new, dist=dist)
    if exp.dist.is_main and ckpt.epoch < new.epochs:  # one that trains nothing changes nothing
        warn_not_bit_exact(
            saved,
            num_threads=new.num_threads,
            world_size=exp.dist.world_size,
            epoch=ckpt.epoch,
            on_cpu=exp.device.type == "cpu",
        )
        warn_unchecked_content(new, saved, run_dir=run_dir)
    data = data_change(
        saved,
        exp,
        run_dir,
        force=force,
        trained=ckpt.extra.get("data_sha256"),
        epoch=ckpt.epoch,
        old_data=old.data,
    )
    if data is not None:
        changed["data_sha256"] = data
    guard_state = ckpt.extra.get("guard")
    new_data = _new_data(changed, trained=ckpt.extra.get("data_sha256"), now=exp.data_sha256)
    # trained with guard=False so far, or forced onto other data: the start measured on them too,
    # the higher of it and the saved one kept (guard_start.higher_start)
    if (new_data or not guard_state) and ckpt.epoch < new.epochs:
        # before the states: the untrained model, its batches
        guard_state = higher_start(guard_state, _guard_from_start(exp))
    # the epoch the checkpoint's data were used after: its own record, else config.json's
    since = data_since(
        ckpt.extra.get("data_since"), saved.get("resumes", []), epoch=ckpt.epoch, keys=_DATA_KEYS
    )
    if guard_state:  # the lowest epoch loss: dropped on new data, from the history where none
        # an old checkpoint's lowest: from the epochs since the last change of the data
        epochs = [(m.epoch, m.train_loss) for m in history.epochs if m.epoch > since]
        guard_state = resumed_state(guard_state, new_data=new_data, epochs=epochs)
    restore_states(exp, ckpt, old, changed)
    # a divergence before this resume's first checkpoint puts its forced settings back (its
    # message asks for another lr); a Ctrl-C keeps them, for the plain --resume it advises. Every
    # rank's advice names the values put back (rank 0 alone writes the file)
    forced = forced_put_back(saved, exp.config.to_dict(), changed)
    kept: dict[str, KeptMetrics] = {}  # what rank 0's metrics rewrite kept of the old files
    with forced_undone_on_divergence(run_dir, changed, main=exp.dist.is_main):
        if exp.dist.is_main:
            # a file unwritten here (a full disk) names the folder for --json, as in training
            # the settings not recorded yet: the advice is this resume again, not the plain one
            again = asked_again_when_unrecorded("softmax", run_dir, overrides, force=force)
            with stop_names_its_folder(exp, run_dir), again:
                kept = rewrite_run_files(
                    run_dir, exp, saved, from_epoch=ckpt.epoch, changed=changed, history=history
                )
                if ckpt.epoch == new.epochs:  # ended there: a config.json rebuilt says so too
                    record_epochs(ckpt, new.epochs)
            if ckpt.epoch < new.epochs:  # a column of yours, a link: kept, said before training
                note_metrics_kept(run_dir, kept, epochs=ckpt.epoch)
        result = train_experiment(
            exp,
            run_dir,
            callbacks=callbacks,
            start_epoch=ckpt.epoch,
            history=history,
            guard_state=guard_state,
            forced=forced,
            data_since=ckpt.epoch if new_data else since,
        )
    if exp.dist.is_main and ckpt.epoch == new.epochs:  # the lost files were all it had to write
        note_config_rewritten(run_dir, lost=lost)
        note_metrics_rewritten(run_dir, wrong, epochs=ckpt.epoch, kept=kept)
    return result


# the settings whose forced change is one of the data: the file, its content, the images' size
_DATA_KEYS = ("data", "data_sha256", "resize")


def _new_data(changed: dict[str, Any], *, trained: object, now: str | None) -> bool:
    """Return whether a resume goes on with other data than its checkpoint was trained on: its
    ``changed`` settings name another ``data`` file or content (``data_sha256``, forced) or
    ``resize``, or the file's content ``now`` is not the checkpoint's (``trained``: its
    ``extra["data_sha256"]``; an earlier forced resume from its epoch may have switched to it).
    The divergence guard then drops the lowest epoch loss it kept
    (:func:`~linearnets.training.guard_growth.resumed_state`)."""
    if any(key in changed for key in _DATA_KEYS):
        return True
    return isinstance(trained, str) and now is not None and trained != now


def _guard_from_start(exp: Experiment) -> dict[str, Any] | None:
    """Return the state of the guard a run trained with ``guard=False`` so far resumes with
    (``None``: ``exp.config.guard`` off): its starting loss the untrained model's on the run's
    first batches, as a run guarded from its start measured it (see
    :func:`~linearnets.training.guard_start.seed_guard_start`), not the resumed epoch's.

    Call it on ``exp`` as prepared, before the checkpoint's states load: its model is untrained.
    The batches drawn advance the data generator, whose state is put back after them, so the
    resumed run is the same bit for bit (where the checkpoint's generator states are not loaded
    too: a forced new seed). In a data-parallel run every rank takes the same start (the losses
    summed over the processes, as the guard sums a step's); a peer lost meanwhile stops every
    process as before training.
    """
    guard = divergence_guard(exp, None)
    if guard is None:
        return None
    drawn = exp.generators.state_dict()
    with before_training():
        seed_guard_start(guard, net=exp.model, loss=exp.setup.loss, batches=exp.train_iter)
    exp.generators.load_state_dict(drawn)
    return guard.state_dict()


def _check_nothing_lost(run_dir: Path, *, force: bool) -> None:
    """Refuse to start over, unless ``force``, a run without a checkpoint that has trained weights or
    logged epochs: its checkpoint went missing, and starting over would throw that work away."""
    if (run_dir / WEIGHTS_FILE).exists() and not force:
        raise CheckpointError(
            f"checkpoint {shown_path(run_dir / CHECKPOINT_FILE)} does not exist, but the trained "
            f"weights {WEIGHTS_FILE} do: the run finished, and training it further needs its "
            "checkpoint; put the checkpoint back, or pass --force (force=True) to start the run "
            f"over, replacing its weights and metrics (each old file kept as NAME.bak, e.g. "
            f"{WEIGHTS_FILE}.bak)"
        )
    check_logged_epochs(run_dir, force=force)


def _start_over(
    run_dir: Path,
    saved: dict[str, Any],
    *,
    callbacks: Sequence[Any],
    dist: DistContext | None,
    overrides: dict[str, Any],
    force: bool,
) -> SoftmaxResult:
    """Run again, in place, a run stopped before its first checkpoint: there is nothing to continue.

    A run file unwritten (``config.json``, the metrics' rewrite as it starts: a full disk) advises
    this resume again with its settings and ``force`` (:func:`asked_again_when_unrecorded`): the
    plain one trained the settings before (lr 0.1 where 0.3 was asked), or was refused for the
    epochs the old metrics still logged ("pass force=True"). Once the run kept its first
    checkpoint, ``config.json`` records those settings: the plain resume is advised, which
    continues them (and refuses a data file changed meanwhile, as ``force`` would not).
    """
    try:
        old = SoftmaxConfig.from_dict(saved.get("config", {}), check_batch=False)
    except (UsageError, TypeError) as exc:
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)} holds an unusable config: {exc}"
        ) from None
    new = resumed_config(old, overrides, run_dir, saved=saved)
    check_recorded_data(new, saved, given=overrides, run_dir=run_dir)
    exp = prepare(new, dist=dist)
    # the same resume again, where a file of the run is unwritten (names the folder for --json),
    # until the first checkpoint: config.json then records its settings for the plain resume
    again = functools.partial(
        asked_again_when_unrecorded,
        "softmax",
        run_dir,
        overrides,
        force=force,
        until_checkpoint=True,
    )
    if exp.dist.is_main:
        with stop_names_its_folder(exp, run_dir), again():
            # what the start over replaces, kept first and said (the metrics files and a
            # finished run's weights and results): nothing of the run before is lost unsaid
            _keep_before_start_over(run_dir)
            resumes = [{"from_epoch": 0, "forced": {}, "environment": environment()}]
            write_run_config(
                run_dir,
                exp,
                resumes=resumes,
                started=started_environment(saved),
                notes=notes_of(saved),
            )
            # a lost checkpoint's run, started over with --force: none of its outputs is this run's
            drop_final_outputs(run_dir)
            drop_figures(run_dir)
    with again():
        return train_experiment(exp, run_dir, callbacks=callbacks)


def _keep_before_start_over(run_dir: Path) -> None:
    """Keep what starting the run in ``run_dir`` over replaces, and say so (a
    :class:`~linearnets.errors.ResumeWarning` each): the metrics files that differ from the empty
    ones written (``NAME.bak``, :func:`note_metrics_kept`), and a finished run's weights and
    results (``model.pt.bak``, ``results.json.bak``: :func:`keep_replaced`), which the new run
    writes again at its end, with the ``config.json`` of the settings that trained them
    (``config.json.bak``): the start over writes its own, a forced change's settings in it and its
    resumes begun again."""
    finished = (WEIGHTS_FILE, RESULTS_FILE)
    replaced: tuple[str, ...] = finished
    if any(os.path.lexists(run_dir / name) for name in finished):
        replaced = (*finished, CONFIG_FILE)
    kept = keep_replaced(run_dir, replaced)  # first: a file it cannot read refuses the start over
    note_metrics_kept(run_dir, MetricsWriter(run_dir).keep_old([]), epochs=None)
    settings = kept.pop(CONFIG_FILE, None)
    said = [f"the old {name} is kept as {backup}" for name, backup in kept.items()]
    if settings is not None:
        said.append(f"the old {CONFIG_FILE}, the settings that trained them, as {settings}")
    if said:
        warn(
            f"starting the run in {shown_path(run_dir)} over replaces the weights and results "
            f"of its finished run: {', '.join(said)}",
            ResumeWarning,
        )
