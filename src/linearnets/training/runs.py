"""Run folders: where a run keeps its effective config, metrics, plots, weights and checkpoints."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path
from typing import Any, Literal

import torch

from linearnets import _fs
from linearnets._json import dumps_strict
from linearnets.errors import UsageError
from linearnets.path_checks import link_problem
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.checkpoint_write import write_text_atomic
from linearnets.training.run_lock import LOCK_FILE, RunLock

__all__ = [
    "CONFIG_FILE",
    "RESULTS_FILE",
    "RUN_FILES",
    "RUN_OUTPUTS",
    "WEIGHTS_FILE",
    "RunLock",
    "check_not_a_runs_figure",
    "claim_run_dir",
    "environment",
    "missing_folders",
    "predict_figure_name",
    "predict_figures",
    "remove_stale_temporaries",
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
# the name ``linearnets predict RUN_DIR -n N`` gives its figure in the run folder (N as printed)
_PREDICT_FIGURE = re.compile(r"predict-([1-9][0-9]*)\.png")
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


# the API call that continues a run, named in the refusal of a folder that holds one
ResumeCall = Literal["resume_softmax", "resume_linreg"]


def claim_run_dir(
    out: Path | None, *, name: str, resume_function: ResumeCall = "resume_softmax"
) -> RunLock:
    """Create the run folder and lock it: ``out`` itself, or a new ``runs/<name>-<timestamp>``.

    ``resume_function``: the claimant's own resume call, named in the refusal of a folder that
    already holds a run where its ``config.json`` does not say which task's it is (a
    linear-regression run's says so; the refusal names ``resume_linreg`` for it, whoever claims).

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
    try:
        # checked under the lock: a run that finished between a check and the lock is not
        # overwritten
        held = [name for name in RUN_OUTPUTS if (out / name).exists()]
        # figures predict drew from other weights: beside the new run's files they would pass
        # for its own
        drawn = [path.name for _, path in predict_figures(out)]
    except BaseException:  # a Ctrl-C: the folder was left holding the lock file alone
        lock.release(remove=not had_lock_file)
        _fs.remove_empty_folders(made)
        raise
    if held or drawn:
        lock.release(remove=not had_lock_file)  # a refused run leaves nothing in the folder
        raise _already_used(out, held, drawn, resume_function)
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


def _held_resume(out: Path, default: ResumeCall) -> ResumeCall:
    """Return the resume call of the run ``out`` holds: ``resume_linreg`` where its config.json
    is a linear-regression run's, ``resume_softmax`` where it is a softmax run's (no "task"),
    else ``default`` (a config.json that cannot be read)."""
    path = out / CONFIG_FILE
    if not path.is_file():  # a FIFO would block the read
        return default
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    if not isinstance(saved, dict):
        return default
    task = saved.get("task")
    if task is None:
        return "resume_softmax"
    # "linreg" is linearnets.tasks.linreg_run.TASK, which this layer does not import
    return "resume_linreg" if task == "linreg" else default


def _setting(out: Path) -> str:
    """Return ``out`` as the setting it was given as: ``out='runs/a'``.

    The messages speak the Python API's words; the command line prints ``--out runs/a`` instead
    (``linearnets.cli._report``), as it does ``linearnets softmax --resume`` for a
    ``linearnets.resume_softmax`` call (``linreg`` for ``resume_linreg``).
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


def _already_used(
    out: Path, held: list[str], drawn: list[str], resume_function: ResumeCall
) -> UsageError:
    """Return the error for ``out``, which holds ``held``, (part of) a run or files a run writes,
    and ``drawn``, figures ``linearnets predict`` drew there (:func:`predict_figures`)."""
    if any(name in RUN_FILES for name in held):
        advice = (
            # the call that continues it (on the command line --resume, the path quoted for the
            # shell): the run's own, else a softmax run's resume would refuse a linreg run in turn
            f"continue it with linearnets.{_held_resume(out, resume_function)}({str(out)!r}), or "
            "pass a new folder"
            if CONFIG_FILE in held
            else f"it has no config.json, so linearnets.{resume_function}() cannot continue it: "
            "pass a new folder, or move those files away"
        )
        return UsageError(
            f"{_setting(out)} already holds a run (it has {', '.join(held + drawn)}); {advice}"
        )
    found = []
    if held:
        found.append(f"files a run writes ({', '.join(held)}), which the run would overwrite")
    if drawn:
        # a run does not write them, so nothing would replace them: they would show another
        # model's predictions in this run's folder
        found.append(
            f"figures linearnets predict drew from an earlier run's weights ({', '.join(drawn)}), "
            "which would pass for this run's"
        )
    return UsageError(
        f"{_setting(out)} already has {', and '.join(found)}; pass a new folder, or move those "
        "files away"
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


def predict_figure_name(n: int) -> str:
    """Return the name ``linearnets predict RUN_DIR -n n`` draws its figure under in RUN_DIR."""
    return f"predict-{n}.png"


def predict_figures(run_dir: Path) -> list[tuple[int, Path]]:
    """Return the figures ``linearnets predict`` drew into ``run_dir``, as ``(n, path)`` by ``n``.

    Only files named as predict names them, :func:`predict_figure_name` of an ``n`` from 1 to its
    bound :data:`~linearnets.plotting.images.MAX_SHOW`; no folder, link or other file.
    """
    from linearnets.plotting._image_args import MAX_SHOW

    try:
        entries = list(run_dir.iterdir())
    except OSError:
        return []
    found = []
    for path in entries:
        match = _PREDICT_FIGURE.fullmatch(path.name)
        if match and int(match[1]) <= MAX_SHOW and path.is_file() and not path.is_symlink():
            found.append((int(match[1]), path))
    return sorted(found)


def check_not_a_runs_figure(setting: str, out: Path, *, fix: str, own: Path | None = None) -> None:
    """Refuse the figure ``out`` (given as ``setting``) where it would replace or pass for a run's.

    In a folder that holds a run (any of :data:`RUN_FILES`), the names a run writes
    (:data:`RUN_OUTPUTS`: its curves, prediction grid, confusion matrix) are the run's, and
    ``predict-N.png`` is the figure ``linearnets predict`` draws from that run's weights at ``-n N``:
    ``linearnets predict --out`` and ``data show --out`` once wrote over them, leaving a figure of
    other images or another run's weights under the run's name. ``own`` is the one such file the
    caller may write (``linearnets predict``'s default figure); ``fix`` ends the message.

    Raises:
        UsageError: ``out`` names such a file.
    """
    folder, name = out.parent, out.name
    drawn = _PREDICT_FIGURE.fullmatch(name)
    if name not in RUN_OUTPUTS and drawn is None:
        return
    try:
        if not any((folder / held).exists() for held in RUN_FILES):
            return  # no run's folder
        if own is not None and name == own.name and folder.samefile(own.parent):
            return
    except OSError:  # a folder that cannot be looked into: the write names the problem
        return
    if drawn is None:
        what, whose = f"{name}, which the run in {folder} writes", "the run's"
    else:
        what = (
            f"{name} in the run folder {folder}, the name linearnets predict gives the predictions "
            f"of that run's weights at -n {drawn[1]}"
        )
        whose = "them"
    raise UsageError(
        f"{setting} {out} is {what}: a figure written there would pass for {whose}; {fix}"
    )


def remove_stale_temporaries(run_dir: Path, *, names: tuple[str, ...] = RUN_OUTPUTS) -> list[str]:
    """Remove the temporary files a killed writer left in ``run_dir``; return their names.

    Every file of a run is written through a dot-file beside it, ``.NAME.tmp`` or
    ``.NAME.<random>.tmp``, renamed over ``NAME``; a ``kill -9`` mid-write leaves it behind, and no
    later write reuses a random name. Call it holding the folder's lock (:class:`RunLock`): then no
    writer of this run is alive. Other files, folders and links are left alone.
    """
    pattern = re.compile(rf"\.(?:{'|'.join(map(re.escape, names))})(?:\.[^/]*)?\.tmp")
    removed = []
    try:
        stale = [p for p in run_dir.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return []
    for path in stale:
        try:
            if path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(path.name)
        except OSError:  # gone meanwhile, or not ours to delete: not the resume's error
            continue
    return removed
