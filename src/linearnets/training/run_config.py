"""A run folder's settings: reading its ``config.json``, and run folders given as paths.

What every reader of a run folder needs (resume, predict, load_trained): the folder as a path, its
config with a clear error and a fix fitting the folder's state when the file is damaged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linearnets._json import loads_shallow
from linearnets._shell import shell_word
from linearnets._text import (
    counted,
    in_json_words,
    json_kind,
    json_text,
    quoted_path,
    rule_of,
    shown_path,
)
from linearnets.config_values import UnknownSettingsError
from linearnets.errors import CheckpointError, UsageError, UsageTypeError
from linearnets.path_checks import expand_user
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint, load_checkpoint
from linearnets.training.config_sections import check_sections
from linearnets.training.run_dir_checks import check_reachable
from linearnets.training.run_lock import LOCK_FILE, lock_holder
from linearnets.training.run_task import checkpoint_task
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE, WEIGHTS_FILE
from linearnets.validation import describe

__all__ = [
    "RUN_FOLDER_FIX",
    "bad_config_value",
    "checkpoint_epoch",
    "config_fix",
    "loaded_json",
    "read_config",
    "refuse_config_folder",
    "refuse_out",
    "relative_config_path",
    "resumable_checkpoint",
    "run_complete",
    "run_dir_path",
]


# where a run folder comes from, in Python's words: run_softmax prints no "run folder: ..." line,
# which the command line's run does (its words, cli._cli_words)
RUN_FOLDER_FIX = "pass the folder a run wrote, its config's out (the result's run_dir)"


def not_a_folder(run_dir: Path) -> str:
    """Return the refusal of ``run_dir``, a run folder that is a file or does not exist: a file in
    a run folder (its ``checkpoint.pt``) named with the folder that holds it, as the fix."""
    if run_dir.is_file() and (run_dir.parent / CONFIG_FILE).is_file():
        return (
            f"run_dir must be a run folder, got the file {shown_path(run_dir)}; pass the folder "
            f"that holds it: {shown_path(run_dir.parent)}"
        )
    return (
        f"run_dir must be a run folder, got {quoted_path(run_dir)}, which "
        f"{'is a file' if run_dir.exists() else 'does not exist'}; {RUN_FOLDER_FIX}"
    )


def read_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the ``config.json`` of ``run_dir``, with a clear error when it is missing or unreadable.

    ``run_dir`` may start with ``~``, as every path setting may (:func:`run_dir_path`).

    Raises:
        UsageError: ``run_dir`` is no folder, one this user may not search or in one
            (:func:`~linearnets.training.run_dir_checks.check_reachable`), or has no
            ``config.json``; the file is unreadable or no JSON object, or its ``config`` section
            (the run's settings) is missing or no object,
            or a top-level key looks meant for a reader that passes it over (a section misspelt,
            a setting out of ``config``: :func:`~linearnets.training.config_sections.check_sections`).
            For a damaged run the fix fits the folder (:func:`config_fix`).
    """
    # named as the Python argument; the command line's report names it RUN_DIR
    run_dir = run_dir_path(run_dir, example="read_config('runs/a')")
    check_reachable(run_dir)
    path = run_dir / CONFIG_FILE
    # the path quoted, as given: a folder named "lr=0.5" is no setting (the command line would
    # print "got lr=0.5" as its option --lr 0.5)
    if not run_dir.is_dir():
        raise UsageError(not_a_folder(run_dir))
    refuse_config_folder(run_dir)
    if not path.is_file():
        raise UsageError(
            f"run_dir must be a run folder holding {CONFIG_FILE}, got {quoted_path(run_dir)} "
            f"without one; {_noconfig_fix(run_dir)}"
        )
    data = loaded_json(path, fix=lambda: config_fix(run_dir))
    if not isinstance(data, dict):
        raise UsageError(
            f"{shown_path(path)} must hold a JSON object, got {json_kind(data)}; "
            f"{config_fix(run_dir)}"
        )
    if "config" in data and not isinstance(data["config"], dict):
        section = data["config"]
        raise UsageError(
            f"{shown_path(path)}: its 'config' section must be a JSON object (the run's settings), "
            f"got {json_kind(section)}; {config_fix(run_dir, foreign=True)}"
        )
    # a misspelt section, a setting out of 'config', or a run's file without 'config', named
    check_sections(data, path, fix=lambda: config_fix(run_dir))
    if "config" not in data:
        # another tool's config.json (a model hub's, say): not a run to resume or overwrite
        raise UsageError(
            f"{shown_path(path)} is not a linearnets run config (it has no 'config' section); "
            f"{config_fix(run_dir, foreign=True)}"
        )
    return data


def refuse_config_folder(run_dir: Path) -> None:
    """Refuse ``run_dir`` whose ``config.json`` is a folder, or a link to one (named with its
    target), naming it, as a resume names a folder in the place of ``checkpoint.pt`` or
    ``metrics.jsonl``. It was taken for no file at all: "nothing is left to resume: start it
    again" of a run holding a sound checkpoint, or "is not a readable JSON config ... delete
    config.json" of a folder. Only where the folder holds a run's other files: beside none, it
    is no run folder, and :func:`read_config` says so."""
    path = run_dir / CONFIG_FILE
    if not path.is_dir():
        return
    resumable = checkpoint_epoch(run_dir) is not None
    others = ("metrics.jsonl", RESULTS_FILE, WEIGHTS_FILE)
    if not resumable and not any((run_dir / name).is_file() for name in others):
        return
    rebuilt = f" (a resume then rebuilds {CONFIG_FILE} from {CHECKPOINT_FILE})" if resumable else ""
    if path.is_symlink():  # read as the folder it names: a link is removed, its folder kept
        target = shown_path(path.resolve())
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds a link {shown_path(path)} to the folder "
            f"{target} where the run keeps its {CONFIG_FILE} file; remove the link (rm "
            f"{shell_word(path)}; the folder it names stays), then try again{rebuilt}"
        )
    raise UsageError(
        f"the run folder {shown_path(run_dir)} holds a folder {shown_path(path)} where the run "
        f"keeps its {CONFIG_FILE} file; move that folder out of the run folder, then try "
        f"again{rebuilt}"
    )


def loaded_json(path: Path, *, fix: Callable[[], str]) -> Any:
    """Return the JSON value the file ``path`` (a run's ``config.json``) holds.

    Raises:
        UsageError: a file the user may not read, with its chmod (a sound file, which "delete
            it" would lose); one that is no JSON Python reads, with why and ``fix()``.
    """
    try:
        return loads_shallow(path.read_text(encoding="utf-8"))
    except PermissionError as exc:
        raise UsageError(
            f"{shown_path(path)} cannot be read ({exc.strerror}); make it readable (chmod u+r "
            f"{shell_word(path)}) and try again"
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: JSON's, UTF-8's, too long or too deep
        raise UsageError(
            f"{shown_path(path)} is not a readable JSON config ({_unread(exc)}); {fix()}"
        ) from None


def _unread(exc: Exception) -> str:
    """Return why no config was read from a file: ``exc``'s words (nesting past
    :data:`~linearnets._json.MAX_DEPTH` is said so already), but past the digits Python reads in
    words of the file (its own gave a fix of the interpreter's, "use sys.set_int_max_str_digits()")."""
    if type(exc) is ValueError:  # no JSONDecodeError, UnicodeDecodeError or too deep: int digits
        return (
            f"it holds a number of more than the {sys.get_int_max_str_digits()} digits Python reads"
        )
    return str(exc)


def bad_config_value(run_dir: Path, refusal: Exception, *, fix: str | None = None) -> UsageError:
    """Return the refusal of a value in ``run_dir``'s ``config.json`` (its ``config`` section) that
    a setting's check refused with ``refusal``: its rule in the file's words (``null``, not
    ``None``; ``{"a": 1}``, not ``{'a': 1}``: :func:`~linearnets._text.in_json_words`; the keys
    of a refusal of unknown settings as every message names a key, ``'lr '``), without the check's fix (a keyword's or an option's, which the file's value, read
    before any, would refuse again), then "correct it" and ``fix`` (by default the fix fitting
    the folder, :func:`config_fix`). The one message of predict and both resumes."""
    rule = rule_of(str(refusal))
    if not isinstance(refusal, UnknownSettingsError):  # keys are named as every message names one
        rule = in_json_words(rule)
    then = f", or {config_fix(run_dir)}" if fix is None else fix
    return UsageError(
        f"{shown_path(run_dir / CONFIG_FILE)}: its 'config' section holds a value no run takes "
        f"({rule}); correct it{then}"
    )


def relative_config_path(
    run_dir: Path, key: str, section: Any, *, what: str, reader: str, fix: str
) -> UsageError | None:
    """Return the refusal of a relative path under ``key`` in ``section``, the ``config`` section
    of ``run_dir``'s ``config.json``: a hand edit (a run writes ``what`` it trained on, ``"the
    file"``, absolute), which ``reader`` (``"a resume"``) would look for in the current folder, so
    that from another folder it read another, or none; ``fix`` the ways out. ``None`` for any other
    value: an absolute path, one from the home folder (``~/...``, expanded as every path setting
    is), ``null``, or one that is no path (the setting's check refuses it)."""
    value = section.get(key) if isinstance(section, dict) else None
    if not isinstance(value, str) or not value or value.startswith("~"):
        return None
    if Path(value).is_absolute():
        return None
    return UsageError(
        f"{shown_path(run_dir / CONFIG_FILE)}: its 'config' section's {key!r} must be an absolute "
        f"path (a run writes {what} it trained on as one), got the string {json_text(value)}, "
        f"a relative path, which {reader} would look for in the current folder, as "
        f"{shown_path(Path(value).absolute())}; {fix}"
    )


def _noconfig_fix(run_dir: Path) -> str:
    """Return the fix for a ``run_dir`` without ``config.json``, true in the folder's state.

    A run makes and locks its folder before it loads its data and writes ``config.json``: one
    killed in between (``kill -9``, a crash) leaves the folder holding its ``.lock`` alone, and
    nothing to resume from; one still starting holds the lock.
    """
    if not (run_dir / LOCK_FILE).is_file():
        return "pass the folder a 'linearnets softmax' run wrote"
    holder = lock_holder(run_dir)
    if holder is not None:
        return (
            f"a run is starting in it (linearnets process {holder}) and writes {CONFIG_FILE} "
            "once its data are loaded: wait for it"
        )
    return (
        f"the run that made it (its {LOCK_FILE} is there) ended before it wrote {CONFIG_FILE}, "
        "before its first epoch, so nothing is left to resume: start it again with the "
        f"command that made it (linearnets softmax --out {shell_word(run_dir)} and the same "
        "options)"
    )


def config_fix(run_dir: Path, *, foreign: bool = False) -> str:
    """Return the fix for a damaged ``config.json`` of ``run_dir``, true in the folder's state.

    A finished run (``model.pt``) needs no ``config.json`` to load its weights or, trained on
    Fashion-MNIST (not ``--data``), to predict; a run
    with a readable checkpoint gets it rebuilt by a plain resume, which continues an unfinished one
    (a finished one's was told to train further, as its plain resume was refused). A
    linear-regression run's is rebuilt by its own resume (``resume_linreg``), finished once
    ``results.json`` is written. Only the file is ever to be deleted, never the folder.

    Args:
        foreign: the file may be another tool's (no run files beside it: not to be deleted).
    """
    checkpoint = resumable_checkpoint(run_dir)
    epoch = None if checkpoint is None else checkpoint.epoch
    task = None if checkpoint is None else checkpoint_task(checkpoint.extra, checkpoint.config)
    # linearnets.tasks.linreg_run.TASK, which this layer does not import. Any task recorded was
    # taken for it: one no run writes (a hand edit) is no linear-regression run's, and the
    # softmax resume takes its checkpoint
    linreg = task == "linreg"
    finished = (run_dir / (RESULTS_FILE if linreg else WEIGHTS_FILE)).is_file()
    if foreign and not finished and checkpoint is None:
        return "pass the folder a 'linearnets softmax' run wrote"
    # the call that continues it (on the command line linearnets softmax --resume DIR, or
    # linreg, quoted for the shell)
    resume = f"linearnets.resume_{'linreg' if linreg else 'softmax'}({str(run_dir)!r}"
    delete = f"delete {CONFIG_FILE} alone (not the folder), or restore it from a copy of the run"
    rebuilt = (
        f"rebuilds it from {CHECKPOINT_FILE} (without the record of earlier resumes or your notes)"
    )
    if not finished and epoch is not None:
        return f"{delete}: {resume}) continues the run and {rebuilt}"
    again = f"{resume}) {rebuilt}" if epoch is not None else ""
    if finished and linreg:  # its results.json holds what it learned: nothing reads config.json
        return f"{delete}: {again}"
    if finished:
        # predict draws Fashion-MNIST's test images: a --data run's weights it refuses
        fashion_mnist = _trained_on_fashion_mnist(run_dir, checkpoint)
        works = (
            ""
            if fashion_mnist is False
            else ", so load_trained and predict work without it"
            + ("" if fashion_mnist else " for a run trained on Fashion-MNIST")
        )
        return (
            f"{delete}: the run's weights ({WEIGHTS_FILE}) do not need it{works}"
            f"{'; ' if again else ''}{again}"
        )
    # a run stopped before its first checkpoint (or with it damaged): nothing to rebuild it from
    return "restore it from a copy of the run, or start a new run in another folder"


def _trained_on_fashion_mnist(run_dir: Path, checkpoint: Checkpoint | None) -> bool | None:
    """Whether the finished run in ``run_dir`` trained on Fashion-MNIST (not on ``--data``): as
    its ``checkpoint``'s settings say, or else its ``model.pt``'s class names; None where neither
    can be read."""
    if checkpoint is not None and isinstance(checkpoint.config, dict):
        return checkpoint.config.get("data") is None
    # the layer above, which imports this module: imported when called
    from linearnets.tasks.weights import fashion_mnist_weights, weights_intact

    weights = run_dir / WEIGHTS_FILE
    if fashion_mnist_weights(weights) is not None:
        return True
    return False if weights_intact(weights) else None


def checkpoint_epoch(run_dir: Path) -> int | None:
    """Return the epochs ``run_dir``'s checkpoint finished, or None when it has none to resume from."""
    checkpoint = resumable_checkpoint(run_dir)
    return None if checkpoint is None else checkpoint.epoch


def resumable_checkpoint(run_dir: Path) -> Checkpoint | None:
    """Return ``run_dir``'s checkpoint, or None when it has none to resume from: none, one
    damaged (a resume could not rebuild config.json from it either), or one in a folder that
    cannot be searched."""
    try:
        return load_checkpoint(run_dir / CHECKPOINT_FILE)
    except (CheckpointError, OSError):
        return None


def run_complete(run_dir: Path, epochs: int) -> UsageError:
    """Return the refusal of a plain resume of the run in ``run_dir``, complete after ``epochs``
    epochs (in the API's words; the command line says --epochs)."""
    return UsageError(
        f"the run in {shown_path(run_dir)} is complete: it finished its {counted(epochs, 'epoch')} "
        f"and wrote its results, so nothing is left to resume; pass e.g. epochs={epochs + 5} to "
        "train further"
    )


def run_dir_path(run_dir: Any, *, example: str, name: str = "run_dir") -> Path:
    """Return ``run_dir`` as a Path with a leading ``~`` expanded, as every path setting has it.

    Args:
        run_dir: the run folder, a ``str`` or ``os.PathLike``.
        example: the call to make instead of a ``run_dir`` that is no path (a config, None), e.g.
            ``"load_trained('runs/a')"``.
        name: the argument, as the messages name it (``RUN_DIR`` where the command line's).

    Raises:
        UsageTypeError: ``run_dir`` is no path.
        UsageError: its ``~`` cannot be expanded (no home folder, an unknown ``~user``).
    """
    if not isinstance(run_dir, str | os.PathLike):
        raise UsageTypeError(
            f"{name} must be the path of a run folder, got {describe(run_dir)}; pass e.g. {example}"
        )
    # as out=, root= and the figures' out= are: "~/runs/a" is the shell's, not a folder named "~"
    return expand_user(name, run_dir)


def refuse_out(function: str, overrides: dict[str, Any], run_dir: Path) -> None:
    """Refuse ``out`` among a resume's ``overrides``: the run continues in its own ``run_dir``.

    One message for ``resume_softmax`` and ``resume_linreg`` (``function``), as the command line
    refuses ``--out`` with ``--resume``.
    """
    if "out" in overrides:
        raise UsageError(
            f"out cannot be passed to {function}, got out={describe(overrides['out'])}: the run "
            f"continues in its own folder, {quoted_path(run_dir)}; drop out= (to continue a copy "
            "elsewhere, copy the run folder and resume the copy)"
        )
