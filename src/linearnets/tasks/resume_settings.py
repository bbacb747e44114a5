"""What a resume continues with: the settings last asked for, with its overrides applied.

A resume rebuilds its config from the run's ``config.json`` (or, when it is lost, the checkpoint's)
with the caller's overrides applied, and is refused when it has nothing to do (no epochs left to
train) or would throw logged epochs away. What those settings change, and whether it may:
:mod:`linearnets.tasks.resume_changes`. Used by :mod:`linearnets.tasks.resume`.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from linearnets._text import counted, in_json_words, respelled, shown_path
from linearnets.config import SoftmaxConfig
from linearnets.config_checks import BatchBytesError, check_device_name
from linearnets.config_values import lacking
from linearnets.errors import CheckpointError, UsageError
from linearnets.tasks.experiment import check_data_source
from linearnets.tasks.reports import missing_reports
from linearnets.tasks.resume_batch import batch_refused
from linearnets.tasks.weights import WEIGHTS_FILE, weights_intact
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint, load_checkpoint
from linearnets.training.config_records import check_records
from linearnets.training.run_config import (
    bad_config_value,
    checkpoint_epoch,
    read_config,
    refuse_out,
    run_complete,
    run_dir_path,
)
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE
from linearnets.validation import describe

__all__ = [
    "check_epochs_left",
    "check_logged_epochs",
    "checkpoint_config",
    "epochs_logged",
    "last_asked",
    "refuse_linreg_run",
    "resumed_config",
    "saved_config",
    "started_environment",
]


def saved_config(run_dir: str | Path) -> dict[str, Any]:
    """Return the run's ``config.json``; if it is gone, what the checkpoint holds (its config).

    Its ``resumes`` is a list (a ``null`` written by hand is taken as none recorded).

    Raises:
        UsageError: ``config.json`` is unreadable, or a record beside its settings is no value a
            run writes there (:func:`~linearnets.training.config_records.check_records`).
    """
    run_dir = run_dir_path(
        run_dir, example="resume_softmax('runs/a')"
    )  # "~/runs/a" as out= takes it
    if run_dir.is_dir() and not (run_dir / CONFIG_FILE).exists():
        try:
            ckpt = load_checkpoint(run_dir / CHECKPOINT_FILE)
        except CheckpointError:
            pass  # no usable checkpoint either: read_config says what is missing
        else:
            # resume_linreg reads a run's config.json: without it, no resume can continue the run
            refuse_linreg_run(
                {"task": ckpt.extra.get("task")},
                run_dir,
                fix=f"put its {CONFIG_FILE} back (from a copy of the run), then resume it with: "
                f"linearnets.resume_linreg({str(run_dir)!r})",
                source=CHECKPOINT_FILE,
            )
            return {"config": ckpt.config, "resumes": []}  # config.json is rewritten on resume
    saved = read_config(run_dir)
    refuse_linreg_run(
        saved, run_dir, fix=f"resume it with: linearnets.resume_linreg({str(run_dir)!r})"
    )
    rebuilt = _rebuilt(run_dir)
    # a resume compares them, or copies them forward
    check_records(saved, run_dir / CONFIG_FILE, rebuilt=rebuilt)
    _check_device(saved, run_dir)
    return saved


def _check_device(saved: dict[str, Any], run_dir: Path) -> None:
    """Refuse a ``device`` in ``config.json``'s settings that names no device as any value no run
    takes is refused (:func:`last_asked`): each process resolves it before the other settings are
    read, and it was refused as a device given ("--device must be one of ..., got []; pass e.g.
    --device auto"), naming neither the file nor its key."""
    settings = saved.get("config")
    if not isinstance(settings, dict) or "device" not in settings:
        return
    try:
        check_device_name(settings["device"])
    except UsageError:
        last_asked(saved, run_dir=run_dir)  # raises naming the file, the key and the value


def _rebuilt(run_dir: Path) -> str:
    """Return how the run in ``run_dir`` gets a sound ``config.json`` back, past correcting a
    value there (the one fix of :func:`saved_config`'s and :func:`last_asked`'s refusals):
    deleted, where a resume rebuilds it from the run's checkpoint (as :func:`saved_config` does,
    from one it can load); else a new run in another folder. Deleted there, it left the folder
    nothing to resume ("run_dir must be a run folder holding config.json"), though the message
    had said a resume rebuilds it."""
    if checkpoint_epoch(run_dir) is not None:
        return (
            f"delete {CONFIG_FILE}: a resume rebuilds it from {CHECKPOINT_FILE}, with the "
            "settings the run was trained with"
        )
    return (
        "start a new run in another folder (out=NEW_DIR): this one has no checkpoint to rebuild "
        f"{CONFIG_FILE} from"
    )


def refuse_linreg_run(
    saved: dict[str, Any], run_dir: Path, *, fix: str, source: str = CONFIG_FILE
) -> None:
    """Refuse ``run_dir``, whose ``config.json`` is ``saved``, where it holds a linear-regression
    run: its settings were read as a softmax run's, and refused as values no run takes
    (``source``: the file ``saved``'s ``task`` is from, named in the message; a checkpoint's is in
    its ``extra``)."""
    from linearnets.tasks.linreg_run import TASK as LINREG

    task = saved.get("task")
    if task == LINREG:
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds a linear-regression run (its {source} is "
            f"of task {LINREG!r}), not a softmax run; {fix}"
        )
    if task is not None and source == CONFIG_FILE:
        # a hand edit ("Linreg "): its settings were read as a softmax run's, and refused as
        # settings this linearnets does not know ('noise_std', ...)
        respelling = respelled(task, LINREG.__eq__)
        meant = f" ({respelling[0]}: {LINREG!r})" if respelling else ""
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)} names task {in_json_words(describe(task))}"
            f"{meant}, which no run writes (a linear-regression run's names {LINREG!r}, a softmax "
            f"run's none); correct it, or put back the run's {CONFIG_FILE} from a copy of the run"
        )


def last_asked(saved: dict[str, Any], *, run_dir: Path) -> SoftmaxConfig:
    """Return the settings ``config.json`` holds (the last run or resume's).

    Raises:
        UsageError: a value there is no setting (a hand edit: ``"lr": "0.5"``); it was silently
            dropped, and every other setting of the file with it. Or the file lacks a setting
            every run writes (``"lr"`` deleted by hand), which a resume took at its default.
    """
    section = saved.get("config", {})
    try:  # its batch was checked for the processes it ran in: resumed_config checks it for these
        asked = SoftmaxConfig.from_dict(section, check_batch=False)
    except (UsageError, TypeError) as exc:
        if not (run_dir / CONFIG_FILE).is_file():  # the settings came from the checkpoint
            raise _unusable_checkpoint_config(run_dir / CHECKPOINT_FILE, exc) from None
        raise bad_config_value(run_dir, exc, fix=f", or {_rebuilt(run_dir)}") from None
    missing = lacking(SoftmaxConfig, section)
    if missing and (run_dir / CONFIG_FILE).is_file():  # a hand edit: the defaults took its place
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)}: its 'config' section {missing}; put back what "
            f"the run was trained with, or {_rebuilt(run_dir)}"
        )
    return asked


def resumed_config(
    old: SoftmaxConfig,
    overrides: dict[str, Any],
    run_dir: Path,
    *,
    saved: dict[str, Any] | None = None,
) -> SoftmaxConfig:
    """Return the old config with ``overrides`` applied and ``out`` set to the run folder (and,
    where they give a ``data`` file, without the Fashion-MNIST run's ``data_dir``).

    Its batch is checked for this process (2 GiB of each process's share): ``old``, a run's
    saved settings, held for the processes it ran in, which ``saved`` (``config.json``) records.

    Raises:
        UsageError: an unknown setting, ``out``, a setting the data cannot take (``resize``
            or ``data_dir`` with a ``data`` file), or a batch this process cannot hold.
    """
    allowed = {f.name for f in fields(SoftmaxConfig)} - {"out"}
    refuse_out("resume_softmax", overrides, run_dir)
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise UsageError(
            f"resume_softmax got unknown settings {unknown}; pass SoftmaxConfig fields among "
            f"{sorted(allowed)}"
        )
    try:
        if overrides.get("data") is not None and "data_dir" not in overrides:
            # a data file replaces Fashion-MNIST (a change --force accepts): the run's own
            # data_dir, which only finds those images, goes with it rather than be refused beside
            # the file
            old = replace(old, data_dir=None)
        new = replace(old, **overrides, out=run_dir)
    except BatchBytesError as exc:
        # a resize given as the run's own is no change: the fixes are the run's batch's
        given = [k for k, v in overrides.items() if k != "resize" or v != old.resize]
        raise batch_refused(exc, given=given, run_dir=run_dir, saved=saved) from None
    check_data_source(new)  # before the changes are named: --force cannot make these fit
    return new


def checkpoint_config(ckpt: Checkpoint) -> SoftmaxConfig:
    """Return the config the checkpoint was trained with, refusing one that cannot be read."""
    try:  # its batch held in the processes it was trained in (see last_asked)
        return SoftmaxConfig.from_dict(ckpt.config, check_batch=False)
    except (UsageError, TypeError) as exc:
        raise _unusable_checkpoint_config(ckpt.path, exc) from None


def _unusable_checkpoint_config(path: Path, exc: Exception) -> CheckpointError:
    """Return the error for a checkpoint at ``path`` whose config ``SoftmaxConfig`` refused."""
    return CheckpointError(
        f"checkpoint {shown_path(path)} holds an unusable config: {exc}; restore {CHECKPOINT_FILE} "
        "from a copy of the run, or delete it and resume with force=True to start the run over"
    )


def started_environment(saved: dict[str, Any]) -> dict[str, Any] | None:
    """Return the environment the run started in, as its config.json recorded it."""
    started = saved.get("environment")
    return started if isinstance(started, dict) else None


def check_logged_epochs(run_dir: Path, *, force: bool) -> None:
    """Refuse to start over a run with no checkpoint whose metrics logged finished epochs."""
    done = epochs_logged(run_dir)
    # each epoch's checkpoint is written before its metrics row: a logged epoch means a
    # checkpoint went missing, and starting over would throw that work away
    if done and not force:
        raise CheckpointError(
            f"the run in {shown_path(run_dir)} logged {counted(done, 'finished epoch')} in "
            f"metrics.jsonl but has no {CHECKPOINT_FILE} to continue from; put the checkpoint "
            "back, or pass force=True to start the run over, replacing its metrics"
        )


def check_epochs_left(run_dir: Path, epoch: int, new: SoftmaxConfig, *, given: bool) -> None:
    """Refuse a resume with nothing to do: no epochs left, and the weights, reports and figures written.

    Finished means ``model.pt`` and ``results.json`` of the checkpoint's epoch: those of an earlier,
    shorter run (a resume for more epochs stopped after its last checkpoint) are stale, and the
    resume writes them again.

    Args:
        epoch: the epochs the checkpoint finished.
        given: whether the caller passed ``epochs`` (else ``new.epochs`` is the run's own).
    """
    # a model.pt damaged since is not finished: the resume writes it again from the checkpoint
    finished = weights_intact(run_dir / WEIGHTS_FILE) and _summarizes(run_dir, epoch)
    # a run whose plotting process died is finished but for its figures, and one whose reports
    # were removed but for those: the resume writes them again
    finished = finished and not missing_reports(new, run_dir)
    if epoch == new.epochs and finished and not given:  # the plain resume of a complete run
        raise run_complete(run_dir, epoch)
    if epoch > new.epochs or (epoch == new.epochs and finished):
        # in the API's words; the command line says --epochs (linearnets.cli spells it)
        own = "" if given else ", the run's own (none was given)"
        fix = f"pass e.g. epochs={epoch + 5} to train further"
        rule = "more than"
        if not finished:  # its own epoch count ends the run there: the weights and reports written
            rule, fix = "at least", f"{fix}, or pass epochs={epoch} to end the run there"
        raise UsageError(
            f"epochs must be {rule} the epochs the run in {shown_path(run_dir)} already finished "
            f"({epoch}), got {new.epochs}{own}; {fix}"
        )


def _summarizes(run_dir: Path, epoch: int) -> bool:
    """Return whether ``results.json`` is readable and names no other epoch count than ``epoch``."""
    try:
        epochs = json.loads((run_dir / RESULTS_FILE).read_text(encoding="utf-8")).get(
            "epochs", epoch
        )
    except (OSError, ValueError, AttributeError):  # missing, or damaged: the resume rewrites it
        return False
    return bool(epochs == epoch)


def epochs_logged(run_dir: Path) -> int:
    """Return how many epoch rows ``metrics.jsonl`` holds (0 when it is missing or unreadable)."""
    try:
        text = (run_dir / "metrics.jsonl").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if line.strip())
