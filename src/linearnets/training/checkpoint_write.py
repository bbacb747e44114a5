"""How a run's files reach the disk: atomically, or not at all, with the reason named.

A file is written to a temporary file in the same folder, flushed and fsync'ed, then renamed over
the old one (and the folder fsync'ed), so a crash mid-write leaves the previous file intact. A write
that fails, even to create its temporary file (a path too long), leaves no temporary file, names a
full disk as such and says what is kept: for a checkpoint, whether an earlier one is; for it and
the run's other files, whether a resume of the run folder (``linearnets.resume_softmax(RUN)``, or
``resume_linreg`` for a linear-regression run; the command ``linearnets softmax --resume RUN``) can
continue the run or start it over.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import io
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import torch

from linearnets._fs import fsync_dir, new_file_mode
from linearnets._paths import same_folder
from linearnets._text import shown_path
from linearnets.errors import CheckpointError, RunFileError
from linearnets.training.hook_owners import mark_runs_own, mark_yours
from linearnets.training.run_task import held_resume

__all__ = [
    "a_new_run",
    "current_run",
    "run_file_error",
    "save_run_file",
    "the_run_in",
    "write_atomic",
    "write_text_atomic",
]

# errors that say a disk (or the user's share of it) has no room left
_FULL = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up"}


# the folder of the whole run in progress (run_softmax, run_linreg, their resumes), if any
_RUN: contextvars.ContextVar[Path | None] = contextvars.ContextVar("linearnets_run", default=None)


@contextlib.contextmanager
def the_run_in(run_dir: Path) -> Iterator[None]:
    """Within the block, the run in ``run_dir`` is in progress: a file unwritten inside its
    folder is the run's, whoever wrote it; one outside it (a ``MetricsWriter`` or
    ``CheckpointCallback`` of yours writing elsewhere) a callback's own (:func:`_whose`), and
    both advise this run's resume where one works (:func:`_advice`). A writer of yours elsewhere
    was told of its own folder: "the run has no checkpoint to continue from: fix that and run it
    again", the run holding one, a run again refused as "already holds a run"."""
    token = _RUN.set(run_dir)
    try:
        yield
    finally:
        _RUN.reset(token)


# the folder of the new run in progress, whose folder a callback's error before its first
# checkpoint leaves as it was found (a resume's stays; one inside a new run's callback is no new run)
_NEW: contextvars.ContextVar[Path | None] = contextvars.ContextVar("linearnets_new", default=None)


@contextlib.contextmanager
def a_new_run(run_dir: Path) -> Iterator[None]:
    """Within the block, the run in ``run_dir`` is a new one (``run_softmax``, ``run_linreg``): a
    file of yours outside its folder unwritten before its first checkpoint is told to run it
    again, its folder left as found; in a resume, whose folder stays, to start it over with the
    resume ("run it again" was refused: "already holds a run")."""
    token = _NEW.set(run_dir)
    try:
        yield
    finally:
        _NEW.reset(token)


def current_run() -> Path | None:
    """Return the folder of the run in progress (:func:`the_run_in`), or ``None``."""
    return _RUN.get()


def _run_elsewhere(path: Path) -> Path | None:
    """Return the folder of the run in progress (:func:`the_run_in`) where ``path`` is not in it
    (a writer of yours): a failure to write ``path`` stops that run; else ``None``."""
    run_dir = _RUN.get()
    if run_dir is None:
        return None
    # one gone (the run folder removed while it trained) is compared by its name
    return None if same_folder(run_dir, path.parent) else run_dir


def write_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Save the checkpoint ``payload`` to ``path`` through a temporary file, fsync'ed, then renamed.

    Raises:
        CheckpointError: it could not be written; the message says whether an earlier one is kept,
            and the resume of its run folder that continues the run.
    """
    _replace(
        path,
        lambda f: _torch_save(payload, f),
        lambda exc: _whose(CheckpointError(_unwritten(path, exc)), path),
    )


def save_run_file(path: Path, obj: Any) -> None:
    """Save ``obj`` with ``torch.save`` to ``path`` (``model.pt``, ``confusion.pt``), atomically.

    Raises:
        RunFileError: it could not be written; the message names the file and the fix.
    """
    _replace(path, lambda f: _torch_save(obj, f), lambda exc: run_file_error(path, exc))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through the hidden ``.NAME.tmp`` beside it, atomically.

    The name is fixed: the folder's lock allows one writer, and a crash leaves one dot-file at most.

    Raises:
        RunFileError: it could not be written; the message names the file and the fix.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:  # the bytes as given (CSV's \r\n)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it visible
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a folder in the file's place, a name too long
        _remove(tmp)
        raise run_file_error(path, exc) from exc
    except BaseException:
        _remove(tmp)
        raise
    fsync_dir(path.parent)  # the rename itself survives a crash


def _replace(
    path: Path, write: Callable[[IO[bytes]], None], failure: Callable[[BaseException], Exception]
) -> None:
    """Write ``path`` with ``write`` through a temporary file beside it; raise ``failure(exc)``.

    The temporary file's name is chosen before the file is made, so that an interrupt at any
    point leaves no file the clean-up cannot name (``mkstemp`` returns the name only once the
    file exists).
    """
    tmp_name: str | None = None
    try:
        while True:  # a fresh name, as mkstemp draws one
            tmp_name = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                break
            except FileExistsError:
                continue
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, new_file_mode())  # not 0o600, like the run's other files
        os.replace(tmp_name, path)
    except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as a RuntimeError
        _remove(tmp_name)
        raise failure(exc) from exc
    except BaseException:
        _remove(tmp_name)
        raise
    fsync_dir(path.parent)


def _torch_save(obj: Any, f: IO[bytes]) -> None:
    """``torch.save(obj, f)`` through memory, then one write.

    torch's writer calls a Python file's ``write`` from C++ and turns any exception raised there
    into its own RuntimeError ("unexpected pos"): a Ctrl-C landing in it would be reported as a
    failed write. A ``BytesIO``'s ``write`` runs no Python code, so the interrupt is raised as
    itself, before or after.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    f.write(buffer.getbuffer())


def _remove(tmp: str | Path | None) -> None:
    """Delete the temporary file ``tmp`` if it was made; a failure to is not the error to report."""
    if tmp is not None:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)


def _reason(path: Path, exc: BaseException) -> str:
    """Say why ``path`` could not be written, on one line: a full disk as such, else the error."""
    try:
        free: int | None = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    code = exc.errno if isinstance(exc, OSError) else None
    if code == errno.EDQUOT:
        return _FULL[code]
    # torch's zip writer reports a full disk as "unexpected pos …": the free space tells
    if code == errno.ENOSPC or (free is not None and free < (1 << 20)):
        return f"{_FULL[errno.ENOSPC]} ({free // 1024 if free is not None else 0} KiB free)"
    return " ".join(str(exc).split())[:200]


def _unwritten(path: Path, exc: BaseException) -> str:
    """Say why the checkpoint ``path`` could not be written, whether the old one is kept, and the
    resume of its run folder ``path.parent`` that continues it, or starts it over without one
    (a checkpoint of yours in another folder than the run in progress's: that run's resume).

    The resume is the Python call, naming the folder as :func:`run_file_error`'s does (the command
    line prints the command, ``linearnets softmax --resume`` and the folder), and only where it
    works, as there: a file that is no run's checkpoint (another name, outside a run; in one,
    the run's advice), or a first one with no ``config.json`` beside it to start the run over
    from, has none to advise.
    """
    from linearnets.training.checkpoint import CHECKPOINT_FILE  # imports this module

    if not path.parent.is_dir():
        return _folder_gone(path)
    said = f"{shown_path(path)} could not be written: {_reason(path, exc)}"
    kept = path.is_file()  # a folder in its place is no checkpoint
    if _run_elsewhere(path) is not None:  # a checkpoint of yours: the run's own is resumed
        said += "; your previous one is kept" if kept else "; you have no earlier one"
        return f"{said}; {_advice(path)}"
    if path.name != CHECKPOINT_FILE and _RUN.get() is not None:
        # a checkpoint of yours under another name in the run folder: the run's file, its folder
        # kept (_whose), so its advice is the run's, not "run it again", which it then refuses
        said += (
            f"; the previous {path.name} is kept" if kept else f"; no earlier {path.name} exists"
        )
        return f"{said}; {_advice(path)}"
    said += "; the previous checkpoint is kept" if kept else "; no earlier checkpoint exists"
    run_dir = path.parent
    resume = _resume(run_dir)
    if path.name != CHECKPOINT_FILE:
        return f"{said}; fix that and run it again"
    if kept:
        return f"{said}; fix that and continue it with {resume}"
    if (run_dir / "config.json").is_file():
        return f"{said}; fix that and start it over with {resume}"
    return f"{said}; fix that and run it again"


def _resume(run_dir: Path) -> str:
    """Return the call that resumes the run in ``run_dir``: ``linearnets.resume_linreg(...)`` for
    a linear-regression run, whose checkpoint and metrics files this module writes too (a softmax
    resume refuses its folder), else ``linearnets.resume_softmax(...)``."""
    return f"linearnets.{held_resume(run_dir, 'resume_softmax')}({str(run_dir)!r})"


def _folder_gone(path: Path) -> str:
    """Say that ``path``'s run folder is gone, and its checkpoints with it: nothing to resume; or,
    for a file of yours outside the run in progress's folder (:func:`_run_elsewhere`), that its
    folder is gone, and the run's resume (its folder is not that one)."""
    if _run_elsewhere(path) is not None:
        return (
            f"{shown_path(path)} could not be written: its folder {shown_path(path.parent)} is "
            f"gone (removed or moved while the run trained); {_advice(path)}"
        )
    return (
        f"{shown_path(path)} could not be written: the run folder {shown_path(path.parent)} is "
        "gone (removed or moved while the run trained), and its checkpoints with it; start the "
        "run again (a folder moved elsewhere holds the checkpoints up to then: resume it there)"
    )


def run_file_error(path: Path, exc: BaseException, *, read: bool = False) -> RunFileError:
    """Return the error for a file of the run folder ``path.parent`` that could not be written.

    It names the file and the reason, and advises a resume only where it works: to continue the
    run from its checkpoint, or, before the first one, to start it over in place (which needs the
    run's ``config.json``). A file of yours in another folder than the run in progress's (a
    ``MetricsWriter`` of yours, :func:`the_run_in`) advises that run's resume, naming its folder.
    ``read``: the file could not be read back (a writer's rows kept on a resume), not written.

    The resume is the Python call; the command line prints the command, ``linearnets softmax
    --resume`` (or ``linreg``) with the folder quoted for the shell (:mod:`linearnets.cli._report`).
    """
    if not path.parent.is_dir():
        return _whose(RunFileError(_folder_gone(path)), path)
    advice = _advice(path)
    # a read's error as it is (no disk's free space makes it a full disk)
    reason = " ".join(str(exc).split())[:200] if read else _reason(path, exc)
    said = (
        f"{shown_path(path)} could not be {'read back' if read else 'written'}: {reason}; {advice}"
    )
    return _whose(RunFileError(said), path)


_Error = TypeVar("_Error", bound=BaseException)


def _whose(error: _Error, path: Path) -> _Error:
    """Return ``error``, marked with whose file ``path`` is, in a run (:func:`the_run_in`): a
    callback's own outside the run folder (:func:`_run_elsewhere`): a writer of yours, of the
    library's class or not, stops the run as any callback of yours does (before a checkpoint is
    kept, a new run's folder is left as it was found, and the same call, fixed, runs there); the
    run's inside it, whoever wrote it (a subclass's error was a callback's, the new folder
    emptied, though its message advised the resume of it)."""
    run_dir = _RUN.get()
    if run_dir is None:
        return error
    if _run_elsewhere(path) is not None:
        mark_yours(error)
    else:
        mark_runs_own(error, run_dir)
    return error


def _advice(path: Path) -> str:
    """Say, for the file ``path`` unwritten, what is kept of its run (the folder it is in, or the
    run in progress's, named, :func:`_run_elsewhere`) and the resume that continues it, or starts
    it over (a ``config.json`` and no checkpoint), else to run it again."""
    from linearnets.training.checkpoint import CHECKPOINT_FILE  # imports this module

    elsewhere = _run_elsewhere(path)
    run_dir = path.parent if elsewhere is None else elsewhere
    where = "" if elsewhere is None else f" in {shown_path(elsewhere)}"
    if elsewhere is not None and not elsewhere.is_dir():  # the run's folder gone as well
        return (
            f"the run folder {shown_path(elsewhere)} is gone too (removed or moved while the run "
            "trained), and its checkpoints with it; start the run again (a folder moved elsewhere "
            "holds the checkpoints up to then: resume it there)"
        )
    resume = _resume(run_dir)
    if (run_dir / CHECKPOINT_FILE).is_file():
        return (
            f"the checkpoint of the run's last finished epoch is kept{where}: fix that and "
            f"continue it with {resume}"
        )
    if elsewhere is not None and _NEW.get() == elsewhere:  # yours: its folder is left as found
        return f"the run{where} has no checkpoint yet: fix that and run it again"
    if (run_dir / "config.json").is_file():
        return f"the run{where} has no checkpoint yet: fix that and start it over with {resume}"
    return "the run has no checkpoint to continue from: fix that and run it again"
