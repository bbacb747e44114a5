"""Run folders: where a run keeps its effective config, metrics, plots, weights and checkpoints.

A folder is checked here, writing nothing, before a run reads its data (:func:`check_run_dir`;
where one can be made is :mod:`linearnets.training.run_dir_checks`'), then claimed once they are
read (:func:`claim_run_dir`: created or checked, locked, refused when it holds another run); the
names of its files and what is written or refused among them are
:mod:`linearnets.training.run_files`' (re-exported here).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import torch

from linearnets import _fs
from linearnets._text import counted
from linearnets.errors import UsageError
from linearnets.path_checks import link_problem
from linearnets.training.asked_settings import AskedSettings, call_arguments, differing, said
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.run_dir_checks import (
    RUNS,
    check_creatable,
    check_default_runs,
    check_writable,
    default_name,
    setting,
)
from linearnets.training.run_files import (
    CONFIG_FILE,
    RESULTS_FILE,
    RUN_FILES,
    RUN_OUTPUTS,
    WEIGHTS_FILE,
    check_not_a_runs_figure,
    holds_a_run,
    holds_another_tools_config,
    passing_for_a_runs,
    predict_figure_name,
    predict_figures,
    remove_stale_temporaries,
    write_json_atomic,
)
from linearnets.training.run_lock import LOCK_FILE, RunLock, being_written, lock_holder
from linearnets.training.run_task import ResumeCall, held_checkpoint_task, held_resume

__all__ = [
    "CONFIG_FILE",
    "RESULTS_FILE",
    "RUN_FILES",
    "RUN_OUTPUTS",
    "WEIGHTS_FILE",
    "RunLock",
    "check_not_a_runs_figure",
    "check_run_dir",
    "claim_run_dir",
    "environment",
    "finished_epochs",
    "holds_a_run",
    "missing_folders",
    "predict_figure_name",
    "predict_figures",
    "remove_stale_temporaries",
    "write_json_atomic",
]


def environment() -> dict[str, Any]:
    """Return the versions and machine facts a run depends on (recorded with its config)."""
    import numpy as np

    from linearnets import __version__

    return {
        "linearnets": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "num_threads": torch.get_num_threads(),
        "cuda": torch.version.cuda,
        # the vector instructions torch's CPU kernels use here (AVX512, AVX2, ...): sums on
        # another kind match to rounding, not bit for bit
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def claim_run_dir(
    out: Path | None,
    *,
    name: str,
    resume_function: ResumeCall = "resume_softmax",
    asked: AskedSettings | None = None,
) -> RunLock:
    """Create the run folder and lock it: ``out`` itself, or a new ``runs/<name>-<timestamp>``.

    ``resume_function``: the claimant's own resume call, named in the refusal of a folder that
    already holds a run where its ``config.json`` does not say which task's it is (a
    linear-regression run's says so; the refusal names ``resume_linreg`` for it, whoever claims).
    ``asked``: the new run's settings; where the run the folder holds ran with others, the
    refusal's resume applies them (a plain one continues with the folder's own).

    Returns the held :class:`RunLock` (its ``run_dir`` is the folder); release it when the run ends.
    A refused ``out`` leaves no folder the claim created (its parents and ``runs/`` included).

    Raises:
        UsageError: ``out`` is a file or a broken link, is not writable, is too long a path for the
            run's files, already holds a run (resume it instead), or another run is writing it.
    """
    made = missing_folders(out)
    try:
        if out is None:
            check_default_runs(name)
            out = _new_default_dir(name)
            made.insert(0, out)
        out = Path(out)
        _make_writable_dir(out)
        had_lock_file = (out / LOCK_FILE).exists()
        lock = RunLock(out, named=setting(out)).acquire()
    except BaseException:
        _fs.remove_empty_folders(made)
        raise
    try:
        # checked again under the lock: a run that finished between the checks and the lock
        # is not overwritten
        held, drawn, alike = _found_in(out)
    except BaseException:  # a Ctrl-C: the folder was left holding the lock file alone
        lock.release(remove=not had_lock_file)
        _fs.remove_empty_folders(made)
        raise
    if held or drawn or alike:
        lock.release(remove=not had_lock_file)  # a refused run leaves nothing in the folder
        raise _already_used(out, (held, drawn, alike), resume_function, asked)
    return lock


def check_run_dir(
    out: Path | None,
    *,
    name: str,
    resume_function: ResumeCall = "resume_softmax",
    asked: AskedSettings | None = None,
) -> None:
    """Refuse now, writing nothing, the ``out`` that :func:`claim_run_dir` would refuse.

    A new run checks its folder here before it reads its data, and claims it once they are read:
    a bad ``out`` is told at once, and a run refused for its data has written nothing (no
    ``runs/`` made, then removed).

    Raises:
        UsageError: as :func:`claim_run_dir` does; for ``out=None``, a ``runs`` here that is a
            file, a broken link, or a folder this process cannot write.
    """
    if out is None:
        check_default_runs(name)
        return
    out = Path(out)
    check_creatable(out)
    if out.is_dir():
        holder = lock_holder(out)  # asked with a shared lock let go at once: nothing written
        if holder is not None:  # the claim's refusal: its run's files are that run's own
            raise UsageError(being_written(out, holder))
        held, drawn, alike = _found_in(out)
        if held or drawn or alike:
            raise _already_used(out, (held, drawn, alike), resume_function, asked)


def _found_in(out: Path) -> tuple[list[str], list[str], list[str]]:
    """Return the files a run writes that the folder ``out`` holds, the figures there named as
    predict names its own, and the run's files in another letters' case or suffix (beside the
    new run's files both would pass for its own: :func:`passing_for_a_runs`)."""
    held = [name for name in RUN_OUTPUTS if (out / name).exists()]
    drawn, alike = passing_for_a_runs(out)
    # where a file system tells no case apart (macOS's), a Confusion.png is held as confusion.png:
    # the same file, listed once; on Linux they are two files, both to move away
    return held, drawn, [name for name in alike if not _one_of(out, name, held)]


def _one_of(out: Path, name: str, held: list[str]) -> bool:
    """Whether the file ``name`` in ``out`` is one of the files ``held`` there, under another
    letters' case (a file system that tells no case apart)."""
    for other in held:
        if other.casefold() == name.casefold():
            try:
                return (out / other).samefile(out / name)
            except OSError:  # gone since, or a broken link: not the same file
                return False
    return False


def missing_folders(out: Path | None) -> list[Path]:
    """Return the folders that claiming ``out`` would create, the innermost first.

    For ``out=None``: ``runs/`` if it does not exist (the run folder in it is always new). A run
    refused before it starts removes them with :func:`~linearnets._fs.remove_empty_folders`.
    """
    return _fs.missing_folders(RUNS if out is None else Path(out))


def _make_writable_dir(out: Path) -> None:
    """Create the folder ``out`` (and its parents), or raise UsageError naming ``out``."""
    check_creatable(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # made meanwhile into a file or a link, a name too long, no permission
        link = link_problem(out)
        if link:
            raise UsageError(
                f"{setting(out)} cannot be created: {link}; fix or remove the link, or pass "
                "another folder"
            ) from None
        raise UsageError(
            f"{setting(out)} cannot be created ({exc.strerror}); pass a writable folder"
        ) from None
    check_writable(out)  # made, but not for this user (an ACL, a default mode)


def _without_config(out: Path, held: list[str], resume_function: ResumeCall) -> str:
    """Return the advice for ``out``, a run's files without its config.json: its checkpoint is
    continued by its task's resume, which rebuilds config.json from it (the advice said no resume
    could)."""
    task = held_checkpoint_task(out) if CHECKPOINT_FILE in held else None
    if task in ("softmax", "linreg"):
        return (
            f"it has no config.json, but linearnets.resume_{task}({str(out)!r}) continues it "
            "from its checkpoint.pt, rebuilding config.json; or pass a new folder"
        )
    return (
        f"it has no config.json, so linearnets.{resume_function}() cannot continue it: pass a new "
        "folder, or move those files away"
    )


def _with_config(
    out: Path, held: list[str], resume: ResumeCall, asked: AskedSettings | None
) -> str:
    """Return the advice for ``out``, a run with its config.json: the call that continues it, or
    where it is complete (its results.json says after how many epochs) the call that trains it
    further (a plain resume of a complete run is refused in turn). Settings of ``asked`` (the
    refused run's, of the same task) that differ from the folder's are named and given to the
    call, with ``force=True`` where a checkpoint is kept and a result's setting changes."""
    epochs = finished_epochs(out) if RESULTS_FILE in held else None
    changes = differing(out, asked) if asked is not None else {}
    # imported here: the checkpoint's writer imports this module for its advice
    from linearnets.training.run_config import resumable_checkpoint

    ckpt = resumable_checkpoint(out)
    kept = ""
    fewer = None  # the epochs asked of a complete run that are none past its own: named
    if epochs is not None:
        asked_epochs = changes.pop("epochs", None)  # given by _further
        if asked_epochs is not None and not _past(asked_epochs, epochs):
            fewer = (epochs, asked_epochs[1])  # --epochs 2 of a run complete after 3: named
    elif ckpt is not None and not _past(changes.get("epochs"), ckpt.epoch):
        # a run stopped after 2 of 5 epochs, asked for 1: resume(epochs=1) is refused (it must
        # be past the checkpoint's 2), and continuing to its own 5 is what a resume does: said
        kept = _epochs_kept(changes.pop("epochs", None), ckpt.epoch)
    # the differences named: those that change the run's results; --plot, the thread count, the
    # device are given to the call alone (naming --plot as the difference hid --epochs 2 of 3)
    shown = {k: v for k, v in changes.items() if k not in NO_RESULT_SETTINGS}
    if fewer is not None:
        shown = {"epochs": fewer, **shown}
    named = f"{said(shown)}: " if shown else ""
    # the resume's own check: weights of another shape are refused even forced
    if (
        changes
        and ckpt is not None
        and asked
        and asked.carries_over
        and not asked.carries_over(out)
    ):
        return (  # no resume runs: what one would train is not said
            f"{named}its checkpoint's weights do not fit the model of yours, so those settings "
            "cannot carry over, not even with force=True; pass a new folder"
        )
    differ = kept + named
    force = bool(asked and asked.forced & set(changes) and ckpt)
    given = call_arguments(changes, force=force)
    if epochs is None:
        return (
            f"{differ}continue it with linearnets.{resume}({str(out)!r}{given}), or pass a new "
            "folder"
        )
    return (
        f"{differ}it is complete after {counted(epochs, 'epoch')}: train it further with "
        f"linearnets.{resume}({str(out)!r}, epochs={_further(asked, epochs)}{given}), or pass a "
        "new folder"
    )


# settings a refusal gives to the resume it advises but names as no difference: the figures,
# and what changes the results to rounding alone
NO_RESULT_SETTINGS = frozenset({"plot", "num_threads", "device"})


def _further(asked: AskedSettings | None, finished: int) -> int:
    """Return the epochs (a resume's ``epochs`` is the run's total) that the resume of a run
    complete after ``finished`` is told: those ``asked`` for where past them (the run the user
    asked for), else five more."""
    wanted = asked.values.get("epochs") if asked is not None else None
    return wanted if type(wanted) is int and wanted > finished else finished + 5


def _epochs_kept(dropped: tuple[Any, Any] | None, trained: int) -> str:
    """Say why the epochs ``dropped`` asks for (the folder's, the refused run's) are not given to
    the resume of a checkpoint at epoch ``trained``: what a resume does instead; "" for none."""
    if dropped is None:
        return ""
    then = (
        f"a resume trains on to its own {dropped[0]}"
        if isinstance(dropped[0], int) and dropped[0] > trained
        else "a resume finishes it"
    )
    return f"its checkpoint has {trained} epochs already, no fewer than yours asks for, so {then}; "


def _past(change: tuple[Any, Any] | None, trained: int) -> bool:
    """Whether the epochs ``change`` asks for (the folder's, the refused run's) lie past
    ``trained``, the checkpoint's epoch, as a resume's must; no change is past."""
    return change is not None and isinstance(change[1], int) and change[1] > trained


def finished_epochs(out: Path) -> int | None:
    """Return the epochs ``out``'s results.json says its run finished, or None where it cannot be
    read as such, or names another epoch count than the checkpoint's (then the advice is the plain
    resume's, which rewrites a damaged results.json, as ``results_summarize`` has it)."""
    # imported here: the checkpoint's writer imports this module for its advice
    from linearnets.training.run_config import resumable_checkpoint

    path = out / RESULTS_FILE
    if not path.is_file():  # a FIFO would block the read
        return None
    try:
        epochs = json.loads(path.read_text(encoding="utf-8")).get("epochs")
    except (OSError, ValueError, AttributeError):
        return None
    if type(epochs) is not int or epochs <= 0:
        return None
    # the checkpoint's epoch is the truth: "--epochs 6" after a hand-edited "epochs": 1 was refused
    # next, the run having finished 7; no checkpoint to read leaves the results' count
    ckpt = resumable_checkpoint(out)
    return epochs if ckpt is None or ckpt.epoch == epochs else None


def _already_used(
    out: Path,
    found: tuple[list[str], list[str], list[str]],
    resume_function: ResumeCall,
    asked: AskedSettings | None = None,
) -> UsageError:
    """Return the error for ``out``, which holds what :func:`_found_in` ``found``: ``held``,
    (part of) a run or files a run writes, ``drawn``, figures named as ``linearnets predict``
    names its own (``data show --out`` may have drawn them), and ``alike``, a run's files in
    another letters' case or suffix."""
    held, drawn, alike = found
    if any(name in RUN_FILES for name in held) and not _foreign_config(out, held):
        resume = held_resume(out, resume_function)
        advice = (
            # the call that continues it (on the command line linearnets softmax --resume, the
            # path quoted for the shell): the run's own, else a softmax run's resume would refuse
            # a linreg run in turn
            _with_config(out, held, resume, asked if resume == resume_function else None)
            if CONFIG_FILE in held
            else _without_config(out, held, resume_function)
        )
        return UsageError(
            f"{setting(out)} already holds a run (it has {', '.join(held + alike + drawn)}); "
            f"{advice}"
        )
    said = []
    if held:
        said.append(f"files a run writes ({', '.join(held)}), which the run would overwrite")
    if alike:  # a confusion.pdf beside the run's confusion.png passes for it as much
        whose = "this run's" if resume_function == "resume_softmax" else "a run's"
        said.append(
            f"files named as a run's own in another letters' case or suffix ({', '.join(alike)}), "
            f"which would pass for {whose}"
        )
    if drawn:
        # a run does not write them, so nothing would replace them: they would show another
        # model's predictions in this run's folder. Named for predict, not blamed on it: outside
        # a run's folder data show --out draws under these names too
        # a linreg run draws none: they would not pass for its own, but sit in its folder
        said.append(
            f"figures such as linearnets predict draws from a run's weights ({', '.join(drawn)}), "
            "which would pass for this run's"
            if resume_function == "resume_softmax"
            else f"figures such as linearnets predict draws from a softmax run's weights "
            f"({', '.join(drawn)}), which have no place in a linear regression run's folder"
        )
    return UsageError(
        f"{setting(out)} already has {', and '.join(said)}; pass a new folder, or move those "
        "files away"
    )


def _foreign_config(out: Path, held: list[str]) -> bool:
    """Whether ``out`` holds no run but a ``config.json`` of another tool's (an editor's
    ``{"editor": "vim"}``): it was refused as a run's, with a resume that refused it in turn."""
    if CONFIG_FILE not in held:
        return False
    try:
        return holds_another_tools_config(out)
    except OSError:  # unreadable: read as a run's, whose resume names the problem
        return False


def _new_default_dir(name: str) -> Path:
    """Create and return ``runs/<name>-<timestamp>[-N]``, a folder no other process took."""
    first = default_name(name)
    try:
        RUNS.mkdir(exist_ok=True)
    except OSError as exc:  # made meanwhile into a file, say: check_default_runs names the rest
        raise UsageError(
            f"runs/ cannot be created here ({exc.strerror or type(exc).__name__}); pass out=DIR"
        ) from None
    for suffix in range(1, 10_000):
        out = first if suffix == 1 else first.with_name(f"{first.name}-{suffix}")
        try:
            out.mkdir()  # atomic: of two runs started in the same second, one gets -2
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(
                f"runs/ cannot hold a new run folder ({exc.strerror}); pass out=DIR"
            ) from None
        return out
    raise UsageError(f"runs/ has no free name for {first.name}; pass out=DIR")
