"""Run folders: where a run keeps its effective config, metrics, plots, weights and checkpoints."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch

from linearnets import _fs
from linearnets._json import dumps_strict
from linearnets.config_checks import expand_user, link_problem
from linearnets.errors import CheckpointError, UsageError, UsageTypeError
from linearnets.training.checkpoint import CHECKPOINT_FILE, load_checkpoint
from linearnets.training.checkpoint_write import write_text_atomic
from linearnets.training.run_lock import LOCK_FILE, RunLock
from linearnets.validation import describe

__all__ = [
    "CONFIG_FILE",
    "RESULTS_FILE",
    "RUN_FILES",
    "RUN_OUTPUTS",
    "WEIGHTS_FILE",
    "RunLock",
    "claim_run_dir",
    "environment",
    "missing_folders",
    "read_config",
    "run_dir_path",
    "write_json_atomic",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.pt"  # the trained weights
RESULTS_FILE = "results.json"  # the final summary, as --json prints it
# a folder holding any of these holds (part of) a run: a new run there would overwrite it
RUN_FILES = (CONFIG_FILE, CHECKPOINT_FILE, WEIGHTS_FILE, RESULTS_FILE)
# every file a softmax run writes in its folder: a new run refuses a folder holding any of them,
# rather than overwrite a file of the user's that happens to share a name
RUN_OUTPUTS = (
    *RUN_FILES,
    "metrics.jsonl",
    "metrics.csv",
    "curves.png",
    "curves.svg",
    "predictions.png",
    "confusion.png",
    "confusion.pt",
    "per_class.txt",
)
# the longest name a run gives a file in its folder: a figure's temporary file
# (plotting._mpl: ".NAME.<pid, at most 7 digits>-<8 hex digits>.tmp")
LONGEST_NAME = ".predictions.png.4194304-0123abcd.tmp"


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
    }


def claim_run_dir(out: Path | None, *, name: str) -> RunLock:
    """Create the run folder and lock it: ``out`` itself, or a new ``runs/<name>-<timestamp>``.

    Returns the held :class:`RunLock` (its ``run_dir`` is the folder); release it when the run ends.
    A refused ``out`` leaves no folder the claim created (its parents and ``runs/`` included).

    Raises:
        UsageError: ``out`` is a file or a broken link, is not writable, is too long a path for the
            run's files, already holds a run (resume it instead), or another run is writing it.
    """
    made = missing_folders(out)
    try:
        if out is None:
            out = _new_default_dir(name)
            made.insert(0, out)
        out = Path(out)
        _make_writable_dir(out)
        had_lock_file = (out / LOCK_FILE).exists()
        lock = RunLock(out).acquire()
    except BaseException:
        _fs.remove_empty_folders(made)
        raise
    # checked under the lock: a run that finished between a check and the lock is not overwritten
    held = [name for name in RUN_OUTPUTS if (out / name).exists()]
    if held:
        lock.release(remove=not had_lock_file)  # a refused run leaves nothing in the folder
        raise _already_used(out, held)
    return lock


def missing_folders(out: Path | None) -> list[Path]:
    """Return the folders that claiming ``out`` would create, the innermost first.

    For ``out=None``: ``runs/`` if it does not exist (the run folder in it is always new). A run
    refused before it starts removes them with :func:`~linearnets._fs.remove_empty_folders`.
    """
    return _fs.missing_folders(Path("runs") if out is None else Path(out))


def _make_writable_dir(out: Path) -> None:
    """Create the folder ``out`` (and its parents), or raise UsageError naming ``out``."""
    try:
        if out.exists() and not out.is_dir():
            raise UsageError(f"out must be a folder, got the file {out}; pass a new folder name")
        _check_path_length(out)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a name too long for the file system, a file on the path, no permission
        link = link_problem(out)
        if link:
            raise UsageError(
                f"{_setting(out)} cannot be created: {link}; fix or remove the link, or pass "
                "another folder"
            ) from None
        raise UsageError(
            f"{_setting(out)} cannot be created ({exc.strerror}); pass a writable folder"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"{_setting(out)} is not writable; pass a folder you can write to")


def _setting(out: Path) -> str:
    """Return ``out`` as the setting it was given as: ``out='runs/a'``.

    The messages speak the Python API's words; the command line prints ``--out runs/a`` instead
    (``linearnets.cli._report``), as it does ``--resume`` for a ``linearnets.resume_softmax`` call.
    """
    return f"out={str(out)!r}"


def _check_path_length(out: Path) -> None:
    """Refuse an ``out`` in which the run's longest file name would pass the file system's limits.

    Checked before any folder is made: otherwise the run would train an epoch and then fail to
    create its checkpoint's temporary file (``File name too long``).
    """
    existing = next((p for p in (out, *out.parents) if p.is_dir()), Path("."))
    try:
        path_max = os.pathconf(existing, "PC_PATH_MAX")  # counts the terminating NUL
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no limit given
        return
    length = len(os.fsencode(out / LONGEST_NAME))
    if length >= path_max or len(LONGEST_NAME) > name_max:
        raise UsageError(
            f"{_setting(out)} is too long a path ({len(os.fsencode(out))} bytes): the files a run "
            f"writes in it would need {length} bytes, past the file system's limit of "
            f"{path_max - 1}; pass a shorter path, e.g. a relative one or a folder nearer the root"
        )


def _already_used(out: Path, held: list[str]) -> UsageError:
    """Return the error for ``out``, which holds ``held``: (part of) a run, or files a run writes."""
    if any(name in RUN_FILES for name in held):
        advice = (
            # the call that continues it (on the command line --resume, the path quoted for the shell)
            f"continue it with linearnets.resume_softmax({str(out)!r}), or pass a new folder"
            if CONFIG_FILE in held
            else "it has no config.json, so linearnets.resume_softmax() cannot continue it: pass a "
            "new folder, or move those files away"
        )
        return UsageError(
            f"{_setting(out)} already holds a run (it has {', '.join(held)}); {advice}"
        )
    return UsageError(
        f"{_setting(out)} already has files a run writes ({', '.join(held)}), which the run would "
        "overwrite; pass a new folder, or move those files away"
    )


def _new_default_dir(name: str) -> Path:
    """Create and return ``runs/<name>-<timestamp>[-N]``, a folder no other process took."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        Path("runs").mkdir(exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"runs/ cannot be created here ({exc.strerror or type(exc).__name__}); pass out=DIR"
        ) from None
    for suffix in range(1, 10_000):
        out = Path("runs") / (f"{name}-{stamp}" if suffix == 1 else f"{name}-{stamp}-{suffix}")
        try:
            out.mkdir()  # atomic: of two runs started in the same second, one gets -2
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(
                f"runs/ cannot hold a new run folder ({exc.strerror}); pass out=DIR"
            ) from None
        return out
    raise UsageError(f"runs/ has no free name for {name}-{stamp}; pass out=DIR")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a synced temporary file and a rename.

    As a checkpoint is written: a crash leaves the old file or the new one, never a short or empty
    one, and a failed write leaves no temporary file behind.

    Raises:
        RunFileError: it could not be written; the message names the file, the reason and the fix
            (``--resume`` only where it can continue the run, or start it over).
    """
    write_text_atomic(path, dumps_strict(data, indent=2, sort_keys=True) + "\n")


def read_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the ``config.json`` of ``run_dir``, with a clear error when it is missing or unreadable.

    ``run_dir`` may start with ``~``, as every path setting may (:func:`run_dir_path`).

    Raises:
        UsageError: ``run_dir`` is no folder or has no ``config.json``; the file is unreadable or
            no JSON object, or its ``config`` section (the run's settings) is missing or no object.
            For a damaged run the fix fits the folder (:func:`_config_fix`).
    """
    run_dir = run_dir_path(run_dir, example="read_config('runs/a')", name="RUN_DIR")
    path = run_dir / CONFIG_FILE
    if not run_dir.is_dir():
        raise UsageError(
            f"RUN_DIR must be a run folder, got {run_dir}, which "
            f"{'is a file' if run_dir.exists() else 'does not exist'}; pass the folder a "
            "'linearnets softmax' run wrote (it printed 'run folder: ...')"
        )
    if not path.is_file():
        raise UsageError(
            f"RUN_DIR must be a run folder holding {CONFIG_FILE}, got {run_dir} without one; "
            "pass the folder a 'linearnets softmax' run wrote"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"{path} is not a readable JSON config ({exc}); {_config_fix(run_dir)}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"{path} must hold a JSON object, got {type(data).__name__}; {_config_fix(run_dir)}"
        )
    if "config" in data and not isinstance(data["config"], dict):
        section = data["config"]
        raise UsageError(
            f"{path}: its 'config' section must be a JSON object (the run's settings), got "
            f"{type(section).__name__} {describe(section)}; {_config_fix(run_dir, foreign=True)}"
        )
    if "config" not in data:
        # another tool's config.json (a model hub's, say): not a run to resume or overwrite
        raise UsageError(
            f"{path} is not a linearnets run config (it has no 'config' section); "
            f"{_config_fix(run_dir, foreign=True)}"
        )
    return data


def _config_fix(run_dir: Path, *, foreign: bool = False) -> str:
    """Return the fix for a damaged ``config.json`` of ``run_dir``, true in the folder's state.

    A finished run (``model.pt``) needs no ``config.json`` to load its weights or predict; an
    unfinished one with a readable checkpoint gets it rebuilt by a plain resume; a finished one by
    a resume that trains further. Only the file is ever to be deleted, never the folder.

    Args:
        foreign: the file may be another tool's (no run files beside it: not to be deleted).
    """
    finished = (run_dir / WEIGHTS_FILE).is_file()
    epoch = _checkpoint_epoch(run_dir)
    if foreign and not finished and epoch is None:
        return "pass the folder a 'linearnets softmax' run wrote"
    delete = f"delete {CONFIG_FILE} alone (not the folder), or restore it from a copy of the run"
    rebuilt = f"rebuilds it from {CHECKPOINT_FILE} (without the record of earlier resumes)"
    if not finished and epoch is not None:
        # the call that continues it (on the command line --resume DIR, quoted for the shell)
        return (
            f"{delete}: linearnets.resume_softmax({str(run_dir)!r}) continues the run and {rebuilt}"
        )
    if finished:
        again = (
            f"; a resume that trains further, linearnets.resume_softmax({str(run_dir)!r}, "
            f"epochs={epoch + 5}), {rebuilt}"
            if epoch is not None
            else ""
        )
        return (
            f"{delete}: the run's weights ({WEIGHTS_FILE}) do not need it, so load_trained and "
            f"predict work without it{again}"
        )
    # a run stopped before its first checkpoint (or with it damaged): nothing to rebuild it from
    return "restore it from a copy of the run, or start a new run in another folder"


def _checkpoint_epoch(run_dir: Path) -> int | None:
    """Return the epochs ``run_dir``'s checkpoint finished, or None when it has none to resume from."""
    if not (run_dir / CHECKPOINT_FILE).is_file():
        return None
    try:
        return load_checkpoint(run_dir / CHECKPOINT_FILE).epoch
    except CheckpointError:  # damaged: a resume could not rebuild config.json from it either
        return None


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
