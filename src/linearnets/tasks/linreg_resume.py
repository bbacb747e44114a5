"""Continue a linear-regression run from its last checkpoint, exactly as if it had never stopped (D2L §3.2.7).

The data and the model are made again from the run's seed, then the checkpoint's states are loaded into
them (:func:`~linearnets.tasks.linreg_run.train_in_folder`), so the result is bit-identical to a run never
stopped (at the same thread count). Which settings may change, and which need ``force``, is here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from linearnets._paths import absolute_path
from linearnets._signals import held_signals
from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.config import LinregConfig
from linearnets.config_values import (
    check_known_settings,
    lacking,
    meant_advice,
    path_setting,
)
from linearnets.errors import (
    CheckpointError,
    ResumeWarning,
    UsageError,
    usage_errors_on_one_line,
)
from linearnets.seeding import grad_enabled, kept_global_state, pin_threads
from linearnets.tasks.checkpoint_data import refuse_checkpoint_data
from linearnets.tasks.linreg import LinregResult, prepare_linreg
from linearnets.tasks.linreg_changes import (
    RESULT_SETTINGS,
    SYNTHETIC,
    carried,
    changes,
    checkpoint_sha256,
    not_config_json_s,
    warn_loss_unit,
)
from linearnets.tasks.linreg_refusal import named, untrained
from linearnets.tasks.linreg_refusal import unforced as refused
from linearnets.tasks.linreg_resume_fit import check_features_fit
from linearnets.tasks.linreg_run import (
    RUN_FILE_NAMES,
    TASK,
    stop_named,
    train_in_folder,
    write_run_config,
)
from linearnets.tasks.linreg_saved import read_linreg_config
from linearnets.tasks.linreg_stops import names_its_folder
from linearnets.tasks.linreg_train import data_source
from linearnets.tasks.logged_epochs import check_logged_epochs
from linearnets.tasks.replaceable_files import check_replaceable
from linearnets.tasks.resume_content import (
    CHANGED,
    forced_at,
    judge_data,
    recorded_for,
)
from linearnets.tasks.resume_data import check_recorded_data, warn_unchecked_content
from linearnets.tasks.resume_diverged import (
    asked_again_when_unrecorded,
    forced_put_back,
    forced_undone_on_divergence,
)
from linearnets.tasks.resume_exactness import warn_not_bit_exact
from linearnets.tasks.resume_saved import unusable_checkpoint_config
from linearnets.tasks.resume_settings import (
    config_lost,
    note_config_rewritten,
    note_metrics_kept,
    note_metrics_rewritten,
    results_summarize,
)
from linearnets.tasks.stopping import complete_when_returned
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.callback_folder import check_apart_from_run
from linearnets.training.checkpoint import (
    CHECKPOINT_FILE,
    Checkpoint,
    check_history,
    load_checkpoint,
    record_epochs,
)
from linearnets.training.config_sections import notes_of
from linearnets.training.guard_growth import data_since
from linearnets.training.interrupt import TrainingInterrupted
from linearnets.training.metrics_files import MetricsWriter, metrics_disagreements
from linearnets.training.run_config import (
    bad_config_value,
    refuse_out,
    run_complete,
    run_dir_path,
)
from linearnets.training.run_files import keep_replaced
from linearnets.training.run_task import asked_resume, refuse_foreign_checkpoint
from linearnets.training.runs import (
    CONFIG_FILE,
    RESULTS_FILE,
    RunLock,
    environment,
    remove_stale_temporaries,
)
from linearnets.validation import check_bool

__all__ = ["RESULT_SETTINGS", "resume_linreg"]


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
    checkpoint starts over in ``run_dir``, with any setting given, none refused (one whose ``metrics.jsonl`` logged epochs, its
    checkpoint lost, only with ``force=True``, as ``resume_softmax`` has it). A lost ``config.json`` is rebuilt from the checkpoint
    (as :func:`~linearnets.tasks.resume.resume_softmax` rebuilds its own). The folder is locked
    while the resume writes it.

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
            ``force``, the run's ``data`` file is gone (moved: pass ``data=NEWPATH``), or the
            run already finished its epochs.
        CheckpointError: ``checkpoint.pt`` is damaged, or missing beside ``results.json`` or
            logged epochs.
        TrainingInterrupted: SIGINT/SIGTERM arrived; the last checkpoint stays (once
            ``results.json`` is written, the stop says the run is complete).
        KeyboardInterrupt: a callback's own, raised before any checkpoint was kept (as
            ``resume_softmax`` lets it go on).

    See D2L §3.2.7.
    """
    # outermost: a Ctrl-C once the run returned, even while the caller's state comes back, is
    # the stop of a complete run (see complete_when_returned)
    with complete_when_returned() as done:
        # its refusals (a changed setting, a finished run) as one line in a notebook
        with usage_errors_on_one_line(), kept_global_state(), grad_enabled():
            done.append(_checked_resume(run_dir, force, callbacks, overrides))
        return done[0]


def _checked_resume(
    run_dir: str | os.PathLike[str],
    force: bool,
    callbacks: Sequence[Any],
    overrides: dict[str, Any],
) -> LinregResult:
    """:func:`resume_linreg`'s arguments and folder checked, the folder locked, then the resume."""
    run_dir = run_dir_path(
        run_dir, example="resume_linreg('runs/a') (a new run is run_linreg(LinregConfig(out=...)))"
    )
    force = check_bool("force", force)
    callbacks = check_callbacks(callbacks)
    # a writer of yours on the run's own files
    check_apart_from_run(callbacks, run_dir, outputs=RUN_FILE_NAMES)
    refuse_out("resume_linreg", overrides, run_dir)
    saved = read_linreg_config(run_dir)
    # a folder where a file goes ([Errno 21] as the results were read or written): as
    # resume_softmax refuses it, before anything is rewritten
    check_replaceable(run_dir, names=RUN_FILE_NAMES, function="resume_linreg")
    lock = RunLock(
        run_dir, resuming=True, named=f"linearnets.resume_linreg({str(run_dir)!r}): the run folder"
    ).acquire()
    recorded: list[bool] = []  # once config.json records this resume's settings
    try:
        # a writer killed mid-write (kill -9) left its temporary file: the lock says none is alive
        remove_stale_temporaries(run_dir, names=RUN_FILE_NAMES)
        with complete_when_returned() as done:
            done.append(
                _resume(
                    run_dir,
                    saved,
                    force=force,
                    callbacks=callbacks,
                    overrides=overrides,
                    recorded=recorded,
                )
            )
            lock.release()  # inside: an interrupt while the lock goes is a complete run's
            return done[0]
    except KeyboardInterrupt as exc:
        stop = stop_named(exc, run_dir)
        if isinstance(stop, TrainingInterrupted) and not recorded and (overrides or force):
            # stopped as its data were made: the plain resume trained the run's old settings
            stop.asked = asked_resume("linreg", run_dir, overrides, force=force)
        raise stop from None
    finally:
        lock.release()


def _resume(
    run_dir: Path,
    saved: dict[str, Any],
    *,
    force: bool,
    callbacks: Sequence[Any],
    overrides: dict[str, Any],
    recorded: list[bool],
) -> LinregResult:
    """:func:`resume_linreg` once the folder is read and locked; ``recorded`` is appended to once
    ``config.json`` records the resume's settings."""
    # the settings last asked for: those of an earlier resume stopped before its first
    # checkpoint included, as resume_softmax has them
    asked = _replaced(LinregConfig(), _saved_settings(saved["config"]), run_dir, saved=True)
    missing = lacking(LinregConfig, saved["config"])
    if missing and not (run_dir / CONFIG_FILE).is_file():  # the checkpoint's, edited by hand
        raise unusable_checkpoint_config(run_dir / CHECKPOINT_FILE, f"it {missing}")
    if missing:  # a hand edit: the defaults took its place
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)}: its 'config' section {missing}; put back what "
            f"the run was trained with, or the run's {CONFIG_FILE} from a copy of the run"
        )
    # out: the folder it continues in, as resume_softmax's config has it (results.json shows it)
    new = replace(_replaced(asked, overrides, run_dir), out=run_dir)
    # before config.json records the environment's threads; too many are warned of once the
    # resume is known to train (prepare_linreg): one that trains nothing runs on none of them
    pin_threads(new.num_threads, told=False)
    path = run_dir / CHECKPOINT_FILE
    ckpt = load_checkpoint(path) if path.exists() or path.is_symlink() else None
    if ckpt is not None:  # a softmax run's, copied in: its weights were refused as damaged
        refuse_foreign_checkpoint(ckpt, task=TASK)
        # before any advice counting its epochs ("pass --epochs 17"), which this damage refuses
        check_history(ckpt)
        # a file holding the checkpoint's own content continues it as trained, whatever
        # config.json records (a forced switch stopped before its first checkpoint, a hand edit)
        refuse_checkpoint_data(ckpt, saved, run_dir, force=force, data=new.data)
    # what the run was trained with: config.json's, compared alone, let a hand edit (lr, impl,
    # seed, true_w) or a checkpoint copied from another run train on without a word
    old = asked if ckpt is None else _trained_settings(ckpt, run_dir)
    if ckpt is None and (run_dir / RESULTS_FILE).exists() and not force:
        raise CheckpointError(
            f"checkpoint {shown_path(path)} does not exist, but {RESULTS_FILE} does: the run "
            "finished, and training it further needs its checkpoint; put the checkpoint back, or "
            "pass force=True to start the run over, replacing its metrics and results (each old "
            f"file kept as NAME.bak, e.g. {RESULTS_FILE}.bak)"
        )
    if ckpt is None:  # its logged epochs, overwritten by a start over: as resume_softmax refuses
        check_logged_epochs(run_dir, force=force)
    # a file moved away is told as resume_softmax tells it: the path is the run's, not the caller's
    check_recorded_data(new, saved, given=overrides, run_dir=run_dir)
    trained = checkpoint_sha256(ckpt)
    epoch = None if ckpt is None else ckpt.epoch
    # no epoch kept: the run starts over with the settings given, none of them a change of what
    # was trained (a refusal said "was trained with the first ... pass force=True"), as a softmax
    # run's start over takes them; config.json records them as the run's
    changed = (
        {} if ckpt is None else changes(old, new, saved, run_dir, trained=trained, epoch=epoch)
    )
    # refused even forced, told before --force is: the weights' size is the data's features
    for key in ("data", "true_w"):
        if ckpt is not None and key in changed:
            clause = named(
                old,
                new,
                {key: changed[key]},
                given=overrides,
                run_dir=run_dir,
                saved=saved,
                trained=trained,
                epoch=epoch,
            )
            given = key in not_config_json_s(old, new, given=overrides)
            since = forced_at(new.data, saved, epoch, old_data=old.data, run_dir=run_dir)
            check_features_fit(
                ckpt,
                old,
                new,
                change=clause,
                given=given,
                since=since,
                saved=saved,
                run_dir=run_dir,
            )
    if ckpt is not None and ckpt.epoch == new.epochs:  # trains nothing: its own settings end it
        new, changed = untrained(
            old, new, changed, given=overrides, run_dir=run_dir, saved=saved, trained=trained
        )
        # and the thread count it asked for: one given here, recorded as the run's, was the next
        # plain resume's, which trained on it, not bit for bit
        new = replace(new, num_threads=asked.num_threads)
        pin_threads(new.num_threads, told=False)
    unforced = set(changed) - carried(
        changed, saved, epoch=epoch, new=new, trained=trained, old_data=old.data
    )
    if unforced and not force:
        raise refused(
            old,
            new,
            changed,
            saved,
            run_dir,
            given=overrides,
            epoch=epoch,
            trained=trained,
            left=asked,
        )
    wrong: dict[str, str] = {}  # the metrics files a finished run's resume writes again
    lost = config_lost(run_dir)  # written again from the checkpoint's settings: said if so
    if ckpt is not None:
        logged = [row["epoch"] for row in ckpt.history]
        wrong = _check_epochs_left(
            run_dir, ckpt.epoch, new, given="epochs" in overrides, logged=logged
        )
    content = _forced_content(new, saved, trained=trained, epoch=epoch, old_data=old.data)
    content = {} if ckpt is None else content  # a start over's data, like its settings: no change
    resumes = [*saved.get("resumes", [])]
    resumes.append(
        {
            "from_epoch": ckpt.epoch if ckpt is not None else 0,
            # the settings' own JSON values, as every version wrote them (resume_softmax's are
            # strings): read_linreg_config checks them as such (resume_entries.check_entries)
            "forced": {k: list(v) for k, v in changed.items()} | content,
            "environment": environment(),
        }
    )
    if ckpt is not None and ckpt.epoch < new.epochs:
        warn_not_bit_exact(saved, num_threads=new.num_threads, world_size=1, epoch=ckpt.epoch)
        warn_unchecked_content(new, saved, run_dir=run_dir)
        warn_loss_unit(old, new, epoch=ckpt.epoch)
    # the data first: a file refused (gone, damaged) leaves config.json, its SHA-256 in it, as it was
    # too many threads warned of here, once, where the resume trains on them
    # read by the name typed after --data, as its messages show it; the run records it absolute
    setup = prepare_linreg(
        replace(new, data=new.data_as_given()), pinned=ckpt is not None and ckpt.epoch >= new.epochs
    )
    setup = replace(setup, config=new)
    # a divergence before this resume's first checkpoint puts its forced settings back (its
    # message asks for another lr); a Ctrl-C keeps them, for the plain --resume it advises
    forced = changed if ckpt is not None else {}
    # the metrics' rewrite keeps the old files that differ (a column of yours) as NAME.bak first,
    # and replaces a link by a file: said in the note (train_in_folder's rewrite finds them kept)
    kept = MetricsWriter(run_dir).keep_old(ckpt.history if ckpt is not None else [])
    if ckpt is None or ckpt.epoch < new.epochs:
        note_metrics_kept(run_dir, kept, epochs=ckpt.epoch if ckpt is not None else None)
    # config.json unwritten (a full disk) names the folder for --json, and advises this resume
    # again, its settings not recorded: the plain one took the run's old ones
    unrecorded = asked_again_when_unrecorded("linreg", run_dir, overrides, force=force)
    with forced_undone_on_divergence(run_dir, forced):
        with names_its_folder(run_dir), unrecorded, held_signals(raise_after=True):
            if ckpt is None:  # a start over: a finished run's results, written again, kept first
                _keep_results(run_dir)
            write_run_config(
                run_dir,
                new,
                source=data_source(new, setup.features),
                resumes=resumes,
                started=saved.get("environment"),
                notes=notes_of(saved),
            )
            if ckpt is not None and ckpt.epoch == new.epochs:  # ended there, as config.json says
                record_epochs(ckpt, new.epochs)
            recorded.append(True)
        # a start over's metrics rewrite unwritten advises it again too, as resume_softmax's
        # does (the plain one was refused for the epochs the old metrics logged), until its
        # first checkpoint: config.json then records its settings for the plain one
        with _started_over(run_dir, overrides, force=force, start_over=ckpt is None):
            result = train_in_folder(
                run_dir,
                new,
                callbacks=callbacks,
                ckpt=ckpt,
                setup=setup,
                forced=forced_put_back(saved, new.to_dict(), forced),
                new_data=_new_data(changed, content, synthetic=new.data is None),
                data_since=0 if ckpt is None else _data_since(saved, ckpt, new=new),
            )
    if ckpt is not None and ckpt.epoch == new.epochs:  # the lost files were all it had to write
        note_config_rewritten(run_dir, lost=lost)
        note_metrics_rewritten(run_dir, wrong, epochs=ckpt.epoch, kept=kept)
    return result


def _keep_results(run_dir: Path) -> None:
    """Keep the ``results.json`` of a finished run in ``run_dir`` that a start over replaces (its
    learned w and b) as ``results.json.bak`` (:func:`keep_replaced`), and say so (a
    :class:`~linearnets.errors.ResumeWarning`), as ``resume_softmax`` keeps its weights and
    results.

    Raises:
        RunFileError: the backup could not be written (a full disk): nothing is replaced yet.
    """
    kept = keep_replaced(run_dir, (RESULTS_FILE,))
    if kept:
        said = ", ".join(f"the old {name} is kept as {backup}" for name, backup in kept.items())
        warn(
            f"starting the run in {shown_path(run_dir)} over replaces the results of its "
            f"finished run: {said}",
            ResumeWarning,
        )


def _new_data(changed: dict[str, Any], content: dict[str, Any], *, synthetic: bool) -> bool:
    """Return whether a resume goes on with other data than its checkpoint was trained on, by
    its ``changed`` settings (forced now or by an earlier resume from its epoch) and the data
    file's new ``content``: another file or content, noise, number of examples, true weights or,
    for ``synthetic`` data, seed (the data are drawn from it). Its divergence guard then drops the
    lowest epoch loss it kept (:func:`~linearnets.training.guard_growth.resumed_state`)."""
    return bool(content) or any(key in changed for key in _data_keys(synthetic=synthetic))


def _data_keys(*, synthetic: bool) -> set[str]:
    """Return the settings whose forced change is one of the data: the file, its content, the
    synthetic data's settings and, for ``synthetic`` data, the seed they are drawn from."""
    return {"data", "data_sha256", *SYNTHETIC, *(["seed"] if synthetic else [])}


def _data_since(saved: dict[str, Any], ckpt: Checkpoint, *, new: LinregConfig) -> int:
    """Return the epoch after which ``ckpt`` trained on its current data: its own record
    (``extra["data_since"]``), else, a checkpoint from before it, by ``saved``'s record of earlier
    resumes: the lowest epoch loss of a checkpoint from before it was kept is taken from the
    later epochs alone (:func:`~linearnets.training.guard_growth.data_since`)."""
    keys = _data_keys(synthetic=new.data is None)
    recorded = ckpt.extra.get("data_since")
    return data_since(recorded, saved.get("resumes", []), epoch=ckpt.epoch, keys=keys)


def _started_over(
    run_dir: Path, overrides: dict[str, Any], *, force: bool, start_over: bool
) -> contextlib.AbstractContextManager[None]:
    """Return the context a resume trains in: for a ``start_over`` (no checkpoint to continue),
    :func:`asked_again_when_unrecorded` until its first checkpoint; else none."""
    if not start_over:
        return contextlib.nullcontext()
    return asked_again_when_unrecorded(
        "linreg", run_dir, overrides, force=force, until_checkpoint=True
    )


def _forced_content(
    new: LinregConfig,
    saved: dict[str, Any],
    *,
    trained: str | None,
    epoch: int | None,
    old_data: object,
) -> dict[str, list[str]]:
    """Return the ``forced`` record of the data file's new content, ``data_sha256`` as ``[old,
    new]``, as a softmax resume records it: the content the checkpoint was trained on, then the
    file's (a second forced switch from b to d recorded b's, though the checkpoint was trained on
    a). A resume stopped before its first checkpoint leaves the checkpoint of the old content,
    whose ``extra["data_sha256"]`` this record accounts for (:func:`refuse_checkpoint_data`).
    ``{}`` where the content is no change a resume forces now: the checkpoint's own, or one an
    earlier resume from ``epoch`` forced (:func:`~linearnets.tasks.resume_content.judge_data`)."""
    content = judge_data(new.data, saved, trained=trained, epoch=epoch, old_data=old_data)
    if new.data is None or content.verdict != CHANGED or content.sha is None:
        return {}
    was = content.baseline or recorded_for(new.data, saved, baseline=None)
    return {} if was is None else {"data_sha256": [was, content.sha]}


def _saved_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Return the settings of a saved config, ``out`` dropped (the run stays in its folder); a key
    that is no setting is kept for :func:`_replaced` to refuse, as ``resume_softmax`` refuses it
    (``"lr "`` by hand was dropped silently, and the run resumed with the lr it was trained with)."""
    return {k: v for k, v in values.items() if k != "out"}


def _trained_settings(ckpt: Checkpoint, run_dir: Path) -> LinregConfig:
    """Return the settings ``ckpt`` was trained with, refusing a config it holds that no run
    writes, naming the checkpoint (as :func:`~linearnets.tasks.resume_saved.checkpoint_config`
    does a softmax run's)."""
    missing = lacking(LinregConfig, ckpt.config)
    if missing:
        raise unusable_checkpoint_config(ckpt.path, f"it {missing}")
    return _replaced(
        LinregConfig(), _saved_settings(ckpt.config), run_dir, saved=True, checkpoint=ckpt.path
    )


def _replaced(
    base: LinregConfig,
    changes: dict[str, Any],
    run_dir: Path,
    *,
    saved: bool = False,
    checkpoint: Path | None = None,
) -> LinregConfig:
    """Return ``base`` with ``changes``: the synthetic settings dropped for a new ``data`` file,
    a ``data`` path made absolute as a run records it
    (:func:`~linearnets._paths.absolute_path`); an unknown or bad setting refused naming
    it (``checkpoint``: the checkpoint whose config ``changes`` is, named as unusable)."""
    names = {f.name for f in fields(LinregConfig) if not f.name.startswith("_")}
    unknown = sorted(set(changes) - names)
    if unknown and not saved:  # the file's keys: check_known_settings below names them
        settings = sorted(names - {"out"})
        # the setting each likely meant, as LinregConfig(num_epochs=3) names it: epochs=3
        # (or, where that setting is given too, to drop the misspelt keyword)
        raise UsageError(
            f"{', '.join(unknown)} {'is no setting' if len(unknown) == 1 else 'are no settings'} "
            f"of LinregConfig; {meant_advice(unknown, changes, settings)}pass only "
            f"{', '.join(settings)}"
        )
    if not saved and base.data is not None and "data" not in changes:
        _refuse_synthetic_settings(changes, base.data, run_dir)
    values = {**base.to_dict(), **changes}
    if changes.get("data") is not None and base.data is None:
        values.update({k: changes.get(k) for k in SYNTHETIC})  # the file decides them
    try:
        check_known_settings(LinregConfig, changes)  # the words of resume_softmax's refusal
        # checked before made absolute: "" was this folder, and "~/d.csv" a folder "~" in it
        data = path_setting("data", values.get("data"))
        if data is None:
            return LinregConfig(**values)
        # its messages name it as given (data_as_given)
        return LinregConfig(**{**values, "data": absolute_path(data)})._with_data_given(data)
    except (UsageError, TypeError) as exc:
        if checkpoint is not None:
            raise unusable_checkpoint_config(checkpoint, exc) from None
        if saved and not (run_dir / CONFIG_FILE).is_file():  # rebuilt from the checkpoint's
            raise unusable_checkpoint_config(run_dir / CHECKPOINT_FILE, exc) from None
        if saved:  # resume_softmax's words for the same hand edit
            fix = f", or put back the run's {CONFIG_FILE} from a copy of the run"
            raise bad_config_value(run_dir, exc, fix=fix) from None
        raise


def _refuse_synthetic_settings(changes: dict[str, Any], data: Path, run_dir: Path) -> None:
    """Refuse a synthetic setting given to resume the run in ``run_dir``, trained on the file
    ``data``, which decides the examples (the refusal of a new run, "or pass data=None", offered
    the command line a switch it has no word for, the resume keeping the run's file)."""
    given = [name for name in SYNTHETIC if changes.get(name) is not None]
    if given:
        named = " and ".join(given)
        raise UsageError(
            f"{named} {'sets' if len(given) == 1 else 'set'} the synthetic data, but the run in "
            f"{shown_path(run_dir)} was trained on data={str(data)!r} (the file decides the "
            f"examples); leave {named} out to resume it on that file"
        )


def _check_epochs_left(
    run_dir: Path, done: int, new: LinregConfig, *, given: bool, logged: Sequence[int]
) -> dict[str, str]:
    """Refuse a resume with nothing to do: the run finished ``new.epochs``, or more. Finished
    means ``results.json`` written, readable and of the checkpoint's epoch count, and the metrics
    files holding a row of each of the history's ``logged`` epochs (as ``resume_softmax``'s
    check_epochs_left has it): without them, or damaged, the checkpoint's own epoch count is
    taken, the resume writing them again, so the rule then said is "at least". Returns the
    metrics files that disagree, with why (for note_metrics_rewritten). A lost config.json is
    no finished run's either: the resume writes it again from the checkpoint."""
    wrong = metrics_disagreements(run_dir, logged)
    finished = results_summarize(run_dir, done) and not wrong and not config_lost(run_dir)
    if done == new.epochs and finished and not given:
        raise run_complete(run_dir, done)
    if done > new.epochs or (done == new.epochs and finished):
        # in the API's words; the command line says --epochs (linearnets.cli spells it)
        own = "" if given else ", the run's own (none was given)"
        fix = f"pass e.g. epochs={done + 5} to train further"
        rule = "more than"
        if not finished:  # its own epoch count ends the run there: results.json written, as
            # resume_softmax's check_epochs_left words it (a "more than" refused what it took)
            rule, fix = "at least", f"{fix}, or pass epochs={done} to end the run there"
        raise UsageError(
            f"epochs must be {rule} the epochs the run in {shown_path(run_dir)} already "
            f"finished ({done}), got {new.epochs}{own}; {fix}"
        )
    return wrong
