"""A softmax run's ``config.json`` read back for its resume (D2L §3.6.6): the settings last asked
for, and the records beside them.

The file is refused where it holds no softmax run (a linear-regression run's) or where a hand
edit left a value no run writes (a setting, a record, a ``device``); without it, the checkpoint's
config stands in, and a resume rewrites the file. Each refusal ends with one fix past correcting
the value, true in the folder's state (:func:`_rebuilt`). What a resume continues with, the
overrides applied: :mod:`linearnets.tasks.resume_settings`, which imports these names too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linearnets._json import read_json
from linearnets._paths import same_folder
from linearnets._text import counted, json_kind, json_text, respelled, shown_path
from linearnets.config import SoftmaxConfig
from linearnets.config_checks import check_device_name
from linearnets.config_synthetic import SYNTHETIC_SETTINGS
from linearnets.config_values import lacking
from linearnets.errors import CheckpointError, UsageError
from linearnets.tasks.resume_data import refuse_data_beside
from linearnets.tasks.resume_entries import check_entries
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint
from linearnets.training.checkpoint_values import restore_hint
from linearnets.training.config_records import check_records
from linearnets.training.run_config import (
    bad_config_value,
    checkpoint_epoch,
    read_config,
    resumable_checkpoint,
    run_dir_path,
)
from linearnets.training.run_dir_checks import check_reachable
from linearnets.training.run_task import ResumeCall, checkpoint_task, refuse_foreign_checkpoint
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE, WEIGHTS_FILE, finished_epochs

__all__ = [
    "checkpoint_config",
    "config_from_checkpoint",
    "copied_config",
    "last_asked",
    "other_task_fix",
    "refuse_linreg_run",
    "saved_config",
    "started_environment",
    "unusable_checkpoint_config",
]


def saved_config(run_dir: str | Path) -> dict[str, Any]:
    """Return the run's ``config.json``; if it is gone, what the checkpoint holds (its config).

    Its ``resumes`` is a list (a ``null`` written by hand is taken as none recorded).

    Raises:
        UsageError: ``run_dir`` cannot be searched, or is in a folder that cannot be
            (:func:`~linearnets.training.run_dir_checks.check_reachable`); ``config.json`` is
            unreadable, or a record beside its settings is no value a run writes there
            (:func:`~linearnets.training.config_records.check_records`; an entry's
            ``from_epoch`` and ``forced``, :func:`~linearnets.tasks.resume_entries.check_entries`).
    """
    run_dir = run_dir_path(
        run_dir, example="resume_softmax('runs/a')"
    )  # "~/runs/a" as out= takes it
    # here, not as the path is taken: a data-parallel resume tells every process its refusal
    check_reachable(run_dir)
    # its checkpoint stands in; where none is usable either, read_config says what is missing
    stand_in = config_from_checkpoint(run_dir)
    if stand_in is not None:
        # resume_linreg rebuilds a linear-regression run's config.json from it in turn
        refuse_linreg_run(
            stand_in, run_dir, fix=other_task_fix(run_dir, "resume_linreg"), source=CHECKPOINT_FILE
        )
        return stand_in  # config.json is rewritten on resume
    saved = read_config(run_dir)
    # a linear-regression run's copied in was sent to its resume, which said to delete the
    # checkpoint: the run's weights
    copied = copied_config(run_dir, saved, reader="softmax")
    if copied is not None:
        raise copied
    refuse_linreg_run(saved, run_dir, fix=other_task_fix(run_dir, "resume_linreg"))
    rebuilt = _rebuilt(run_dir)
    # a resume compares them, or copies them forward
    check_records(saved, run_dir / CONFIG_FILE, rebuilt=rebuilt)
    check_entries(saved, run_dir / CONFIG_FILE, rebuilt=rebuilt)
    _check_device(saved, run_dir)
    return saved


def other_task_fix(run_dir: Path, resume: ResumeCall) -> str:
    """Return the fix for ``run_dir``, a run of the other task, refused by this task's resume:
    the call of its own task's resume, ``resume`` (``"resume_linreg"`` or ``"resume_softmax"``),
    or where its results.json says it is complete, that call with ``epochs`` 5 more, as the
    refusal of ``out=`` for a folder holding a run has it (a plain resume of a complete run is
    refused in turn)."""
    call = f"linearnets.{resume}({str(run_dir)!r}"
    epochs = finished_epochs(run_dir)
    if epochs is None:
        return f"resume it with: {call})"
    return (
        f"it is complete after {counted(epochs, 'epoch')}: train it further with: "
        f"{call}, epochs={epochs + 5})"
    )


def config_from_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """Return what stands in for ``run_dir``'s lost ``config.json``: the settings its checkpoint
    was trained with, no resume recorded, the task as the run's file names it (``"task":
    "linreg"`` for a linear-regression run's, none for a softmax run's), and the ``data`` file's
    SHA-256 the checkpoint records (``extra["data_sha256"]``; a checkpoint of an earlier linearnets
    records none, and the key is left out), which a resume checks the file against as it does
    ``config.json``'s. Both resumes continue from it and write ``config.json`` again; what the
    checkpoint does not hold (the record of earlier resumes, the user's notes) is lost.

    ``None`` where ``config.json`` is there (or ``run_dir`` is no folder), or no checkpoint a
    resume loads is (:func:`~linearnets.training.run_config.resumable_checkpoint`).
    """
    from linearnets.tasks.linreg_run import TASK as LINREG

    if not run_dir.is_dir() or (run_dir / CONFIG_FILE).exists():
        return None
    ckpt = resumable_checkpoint(run_dir)
    if ckpt is None:
        return None
    task = checkpoint_task(ckpt.extra, ckpt.config)
    named = {"task": LINREG} if task == LINREG else {}
    # checked as the checkpoint was read (checkpoint_values): None or 64 hex digits
    sha = {"data_sha256": ckpt.extra["data_sha256"]} if "data_sha256" in ckpt.extra else {}
    return {**named, "config": _ended_config(run_dir, ckpt), **sha, "resumes": []}


def _ended_config(run_dir: Path, ckpt: Checkpoint) -> dict[str, Any]:
    """Return ``ckpt``'s config, its ``epochs`` the checkpoint's epoch where ``run_dir``'s
    ``results.json`` says the run ended there: a resume with fewer epochs ("pass epochs=2 to end
    the run there") wrote its results without the checkpoint recording the new count (a linearnets
    before :func:`~linearnets.training.checkpoint.record_epochs`, or one stopped before it did),
    and the rebuilt old count trained the finished run on, overwriting its weights and results.
    Only results that name ``run_dir`` as their folder count (a moved folder's keep the count
    its checkpoint holds)."""
    results = read_json(run_dir / RESULTS_FILE)
    if not isinstance(results, dict):
        return ckpt.config
    # this run's own results, by the folder they name: another run's of as many epochs copied in
    # ended this unfinished one early, and record_epochs wrote that count into its checkpoint
    ended, named = results.get("epochs"), results.get("run_dir")
    ours = isinstance(named, str) and bool(named) and same_folder(named, run_dir)
    if type(ended) is int and ended == ckpt.epoch and ours:
        return {**ckpt.config, "epochs": ckpt.epoch}
    return ckpt.config


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
    had said a resume rebuilds it. What the checkpoint does not hold is said lost: it had said
    only "with the settings the run was trained with", and the rebuilt file had neither the
    earlier resumes' entries, nor the user's top-level notes
    (:func:`~linearnets.training.config_sections.notes_of`, which a resume writes back), nor a
    value an interrupted resume forced (as :func:`~linearnets.training.run_config.read_config`'s
    fix says, "without the record of earlier resumes")."""
    if checkpoint_epoch(run_dir) is not None:
        return (
            f"delete {CONFIG_FILE}: a resume rebuilds it from {CHECKPOINT_FILE}, with the "
            "settings the run was trained with, but not the record of earlier resumes, nor your "
            "own notes, nor a value forced since that checkpoint (pass it again)"
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
    its ``extra``); a ``config.json`` that names no task but holds the synthetic data's settings,
    which only a linear-regression run's does, is one whose ``"task"`` was removed by hand."""
    from linearnets.tasks.linreg_run import TASK as LINREG

    task = saved.get("task")
    if task == LINREG:
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds a linear-regression run (its {source} is "
            f"of task {LINREG!r}), not a softmax run; {fix}"
        )
    section = saved.get("config")
    linreg_keys = [k for k in SYNTHETIC_SETTINGS if isinstance(section, dict) and k in section]
    if task is None and source == CONFIG_FILE and linreg_keys:
        # its "task" removed by hand: its settings were refused as ones this linearnets does not
        # know ('noise_std', ...), as resume_linreg's own check names the file
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)} names no task, but its settings "
            f"({', '.join(linreg_keys)}) are a linear-regression run's, not a softmax run's (add "
            f'"task": {json_text(LINREG)} to it, as a linear-regression run\'s names it); {fix}'
        )
    if task is not None and source == CONFIG_FILE:
        # a hand edit ("Linreg "): its settings were read as a softmax run's, and refused as
        # settings this linearnets does not know ('noise_std', ...)
        respelling = respelled(task, LINREG.__eq__)
        meant = f" ({respelling[0]}: {json_text(LINREG)})" if respelling else ""
        # named as the file holds it: ["linreg"], not Python's ['linreg']; a string as "Linreg "
        named = json_text(task, cut=60) if isinstance(task, str) else json_kind(task)
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)} names task {named}"
            f"{meant}, which no run writes (a linear-regression run's names {json_text(LINREG)}, a softmax "
            f"run's none); correct it, or put back the run's {CONFIG_FILE} from a copy of the run"
        )


def copied_config(run_dir: Path, saved: dict[str, Any], *, reader: str) -> UsageError | None:
    """Return the error for ``run_dir``'s ``config.json`` (``saved``) where it is of one task and
    the run's checkpoint (or ``model.pt``) of the other: one of them copied in from another run.
    ``None`` where they agree, or nothing tells (a task that is a hand edit is refused later).

    ``reader``: ``"predict"`` (which draws from a softmax ``model.pt`` without ``config.json``),
    ``"softmax"`` or ``"linreg"`` (a resume, which rebuilds it from the checkpoint). Every reader
    gets the same refusal, each fix losing nothing (put back, or delete, ``config.json``; restore
    the checkpoint): the folder had been sent to the resume of the config's task, whose refusal
    of the checkpoint as the copy said to delete it and start over, the run's weights lost.

    - A linear-regression run's ``config.json`` beside a softmax run's ``checkpoint.pt`` and
      ``model.pt``: ``config.json`` is the copy.
    - Beside a softmax ``model.pt`` and a checkpoint whose task cannot be read (a damaged one):
      either may be the copy; put back the run's own ``config.json`` (no resume rebuilds it from
      that checkpoint), or, for predict, move whichever is the copy out of the folder, keeping
      it (a linear-regression run's ``config.json``, deleted, was lost for good).
    - Beside a checkpoint of the other task and no softmax ``model.pt`` (a softmax run's
      ``config.json``, which names no task, beside a linear-regression run's checkpoint alike):
      either may be the copy, and both are named, with both fixes. Where the run's records
      (``results.json``, ``metrics.jsonl``) are of the config's task too, the checkpoint is the
      copy: ``None``, for the checkpoint's refusal
      (:func:`~linearnets.training.run_task.refuse_foreign_checkpoint`, which says to move it
      out of the folder, keeping it).
    """
    from linearnets.tasks.linreg_run import TASK as LINREG
    from linearnets.tasks.weights import weights_intact
    from linearnets.training.run_task import held_checkpoint_task

    task = saved.get("task")
    if task not in (LINREG, None) or (task is None and _linreg_settings(saved)):
        return None
    held = held_checkpoint_task(run_dir)
    if held == task or (task is None and held != LINREG):  # they agree, or nothing tells
        return None
    softmax_model = weights_intact(run_dir / WEIGHTS_FILE)  # linreg writes no model.pt
    if task == LINREG:
        what = f"a linear-regression run's (task {LINREG!r})"
        if held is None:  # model.pt alone tells: its checkpoint cannot be read, if any
            if not softmax_model:
                return None
            return _copied(
                run_dir, what, f"{WEIGHTS_FILE} beside it holds a softmax model", None, reader
            )
        if softmax_model:  # two files of a softmax run against one
            beside = f"{WEIGHTS_FILE} beside it holds a softmax model and {CHECKPOINT_FILE} a softmax run"
            return _copied(run_dir, what, beside, _deleted(run_dir, reader, held, True), reader)
        beside = f"{CHECKPOINT_FILE} beside it is a softmax run's"
    else:
        if softmax_model:  # a softmax model.pt: the checkpoint is the copy
            return None
        what = "a softmax run's (it names no task)"
        beside = f"{CHECKPOINT_FILE} beside it is a linear-regression run's"
    if _records_task(run_dir) == (task or "softmax"):  # two files of a run against one
        return None
    other = "resume_softmax" if held == LINREG else "resume_linreg"
    return UsageError(
        f"{shown_path(run_dir / CONFIG_FILE)} is {what}, but {beside}: one of them was copied "
        f"from another run; if {CONFIG_FILE}, put back the run's own, or delete it "
        f"{_deleted(run_dir, reader, held, softmax_model)}; if {CHECKPOINT_FILE}, restore it from "
        f"a copy of the run, then resume with: linearnets.{other}({str(run_dir)!r})"
    )


def _records_task(run_dir: Path) -> str | None:
    """Return the task of the run whose records ``run_dir`` holds: its ``results.json`` (the
    learned ``w``: ``"linreg"``; a ``test_acc``: ``"softmax"``) and its ``metrics.jsonl``'s first
    epoch (a ``train_acc``: ``"softmax"``; ``null``, as a linear-regression run writes it:
    ``"linreg"``). ``None`` where neither tells, or they disagree."""
    told: set[str] = set()
    results = read_json(run_dir / RESULTS_FILE)
    if isinstance(results, dict) and ("w" in results) != ("test_acc" in results):
        told.add("linreg" if "w" in results else "softmax")
    first = read_json(run_dir / "metrics.jsonl", first_line=True)
    if isinstance(first, dict) and "train_acc" in first:
        told.add("linreg" if first["train_acc"] is None else "softmax")
    return told.pop() if len(told) == 1 else None


def _deleted(run_dir: Path, reader: str, held: str | None, softmax_model: bool) -> str:
    """Say what deleting ``run_dir``'s ``config.json`` does for ``reader``, its checkpoint of
    task ``held``: predict draws without it from a softmax ``model.pt`` (``softmax_model``);
    else a resume rebuilds it (predict has nothing to draw from until that resume writes one)."""
    if reader == "predict" and softmax_model:
        return "(predict reads only its data and data_dir, and draws without it)"
    from linearnets.tasks.linreg_run import TASK as LINREG

    resume = "resume_linreg" if held == LINREG else "resume_softmax"
    return (
        f"(a resume rebuilds it from {CHECKPOINT_FILE}), then resume with: "
        f"linearnets.{resume}({str(run_dir)!r})"
    )


def _copied(run_dir: Path, what: str, beside: str, deleted: str | None, reader: str) -> UsageError:
    """Return the error for ``run_dir``'s ``config.json``, ``what`` (a linear-regression run's),
    with ``beside`` (a softmax model): it was copied in, or (``deleted`` ``None``: ``model.pt``
    alone tells, its checkpoint unreadable) one of the two. There a resume rebuilds no
    ``config.json``: deleted, it was told to start the run again; predict draws without it."""
    copied = CONFIG_FILE if deleted is not None else "one of them"
    if deleted is None and reader != "predict":
        return UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)} is {what}, but {beside}: {copied} was copied "
            f"from another run; put back the run's own {CONFIG_FILE} ({CHECKPOINT_FILE} cannot "
            "be read, so a resume cannot rebuild it), then resume with: "
            f"linearnets.resume_softmax({str(run_dir)!r})"
        )
    if deleted is None:  # either may be the run's own: neither is deleted, both kept
        # (a linear-regression run's config.json, deleted as told, was lost: its checkpoint
        # cannot be read to rebuild it; model.pt was the copy)
        return UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)} is {what}, but {beside}: {copied} was copied "
            f"from another run; if {CONFIG_FILE}, put back the run's own, or move it out of the "
            "folder, keeping it (predict reads only its data and data_dir, and draws without "
            f"it); if {WEIGHTS_FILE}, move it out of the folder, keeping it"
        )
    return UsageError(
        f"{shown_path(run_dir / CONFIG_FILE)} is {what}, but {beside}: {copied} was copied "
        f"from another run; put back the run's own {CONFIG_FILE}, or delete it {deleted}"
    )


def _linreg_settings(saved: dict[str, Any]) -> list[str]:
    """Return the synthetic data's settings ``saved``'s ``config`` section holds: only a
    linear-regression run's does."""
    section = saved.get("config")
    return [k for k in SYNTHETIC_SETTINGS if isinstance(section, dict) and k in section]


def last_asked(saved: dict[str, Any], *, run_dir: Path) -> SoftmaxConfig:
    """Return the settings ``config.json`` holds (the last run or resume's).

    Raises:
        UsageError: a value there is no setting (a hand edit: ``"lr": "0.5"``); it was silently
            dropped, and every other setting of the file with it. Or a ``data`` file is there
            beside a ``resize`` or ``data_dir`` (:func:`~linearnets.tasks.resume_data.refuse_data_beside`),
            or the file lacks a setting every run writes (``"lr"`` deleted by hand), which a
            resume took at its default.
    """
    section = saved.get("config", {})
    try:  # its batch was checked for the processes it ran in: resumed_config checks it for these
        asked = SoftmaxConfig.from_dict(section, check_batch=False)
    except (UsageError, TypeError) as exc:
        if not (run_dir / CONFIG_FILE).is_file():  # the settings came from the checkpoint
            raise unusable_checkpoint_config(run_dir / CHECKPOINT_FILE, exc) from None
        raise bad_config_value(run_dir, exc, fix=f", or {_rebuilt(run_dir)}") from None
    if (run_dir / CONFIG_FILE).is_file():  # each value taken: a data file beside resize, named
        refuse_data_beside(
            saved,
            run_dir,
            ("resize", "data_dir"),
            why='a run on a data file records "resize" and "data_dir" as null: they apply to '
            "Fashion-MNIST only",
            instead=_rebuilt(run_dir),
        )
    missing = lacking(SoftmaxConfig, section)
    if missing and (run_dir / CONFIG_FILE).is_file():  # a hand edit: the defaults took its place
        raise UsageError(
            f"{shown_path(run_dir / CONFIG_FILE)}: its 'config' section {missing}; put back what "
            f"the run was trained with, or {_rebuilt(run_dir)}"
        )
    return asked


def checkpoint_config(ckpt: Checkpoint) -> SoftmaxConfig:
    """Return the config the checkpoint was trained with, refusing one that cannot be read, and
    a linear-regression run's checkpoint copied into the folder (its settings were refused as
    settings this linearnets does not know)."""
    refuse_foreign_checkpoint(ckpt, task="softmax")
    try:  # its batch held in the processes it was trained in (see last_asked)
        return SoftmaxConfig.from_dict(ckpt.config, check_batch=False)
    except (UsageError, TypeError) as exc:
        raise unusable_checkpoint_config(ckpt.path, exc) from None


def unusable_checkpoint_config(path: Path, why: object) -> CheckpointError:
    """Return the error for a checkpoint at ``path`` whose config its run's config type refused
    (``why``: the refusal, or what the config lacks), with the fix of any damaged checkpoint (a
    finished run's start over said to replace its trained weights and results)."""
    return CheckpointError(
        f"checkpoint {shown_path(path)} holds an unusable config: {why}; {restore_hint(path)}"
    )


def started_environment(saved: dict[str, Any]) -> dict[str, Any] | None:
    """Return the environment the run started in, as its config.json recorded it."""
    started = saved.get("environment")
    return started if isinstance(started, dict) else None
