"""Run folders: where a run keeps its effective config, metrics, plots, weights and checkpoints."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch

from linearnets._json import dumps_strict
from linearnets.errors import UsageError
from linearnets.training.checkpoint import CHECKPOINT_FILE

__all__ = [
    "CONFIG_FILE",
    "RESULTS_FILE",
    "RUN_FILES",
    "RUN_OUTPUTS",
    "WEIGHTS_FILE",
    "RunLock",
    "claim_run_dir",
    "environment",
    "read_config",
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
LOCK_FILE = ".lock"  # held (flock) by the one process writing the folder


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


_HELD: set[int] = set()  # the lock files this process holds open


def _close_held_in_child() -> None:
    """In a forked child (the plotting process), let go of the parent's locks.

    A flock belongs to the open file, which a fork shares: a child still drawing would otherwise
    hold the folder after its parent died.
    """
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


class RunLock:
    """One process's exclusive hold on a run folder while it writes it (``with`` or :meth:`release`).

    An advisory ``flock`` on ``.lock`` in the folder: a second run or resume in the same folder is
    refused instead of mixing its files with the first's, and the operating system lets go of the
    lock when the process ends in any way (even ``kill -9``), so a dead run never blocks the folder.
    Where ``fcntl`` does not exist (Windows) nothing is locked.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock, or raise UsageError naming the process that holds it."""
        try:
            import fcntl
        except ImportError:  # Windows
            return self
        path = self.run_dir / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(
                f"{self.run_dir} cannot be written ({exc.strerror or type(exc).__name__}); pass a "
                "folder you can write to"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(fd)  # a file system without locks (ENOLCK, EOPNOTSUPP): run unlocked
                return self
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise UsageError(
                f"{self.run_dir} is being written by another linearnets run (process {holder}); "
                "wait for it to end, or pass another folder"
            ) from None
        with contextlib.suppress(OSError):  # the holder's pid is for the message only
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def release(self, *, remove: bool = False) -> None:
        """Let go of the lock; ``remove`` also deletes the lock file (before removing the folder)."""
        if self._fd is None:
            return
        if remove:
            (self.run_dir / LOCK_FILE).unlink(missing_ok=True)
        _HELD.discard(self._fd)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim_run_dir(out: Path | None, *, name: str) -> RunLock:
    """Create the run folder and lock it: ``out`` itself, or a new ``runs/<name>-<timestamp>``.

    Returns the held :class:`RunLock` (its ``run_dir`` is the folder); release it when the run ends.

    Raises:
        UsageError: ``out`` is a file, is not writable, already holds a run (resume it instead), or
            another run is writing it.
    """
    if out is None:
        out = _new_default_dir(name)
    out = Path(out)
    try:
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out must be a folder, got the file {out}; pass a new folder name")
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a name too long for the file system, a file on the path, no permission
        raise UsageError(
            f"--out {out} cannot be created ({exc.strerror}); pass a writable folder"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out} is not writable; pass a folder you can write to")
    had_lock_file = (out / LOCK_FILE).exists()
    lock = RunLock(out).acquire()
    # checked under the lock: a run that finished between a check and the lock is not overwritten
    held = [name for name in RUN_OUTPUTS if (out / name).exists()]
    if held:
        lock.release(remove=not had_lock_file)  # a refused run leaves nothing in the folder
        if any(name in RUN_FILES for name in held):
            advice = (
                f"continue it with --resume {out}, or pass a new folder"
                if CONFIG_FILE in held
                else "it has no config.json, so --resume cannot continue it: pass a new folder, "
                "or move those files away"
            )
            raise UsageError(
                f"--out {out} already holds a run (it has {', '.join(held)}); {advice}"
            )
        raise UsageError(
            f"--out {out} already has files a run writes ({', '.join(held)}), which the run would "
            "overwrite; pass a new folder, or move those files away"
        )
    return lock


def _new_default_dir(name: str) -> Path:
    """Create and return ``runs/<name>-<timestamp>[-N]``, a folder no other process took."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        Path("runs").mkdir(exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"runs/ cannot be created here ({exc.strerror or type(exc).__name__}); pass --out DIR"
        ) from None
    for suffix in range(1, 10_000):
        out = Path("runs") / (f"{name}-{stamp}" if suffix == 1 else f"{name}-{stamp}-{suffix}")
        try:
            out.mkdir()  # atomic: of two runs started in the same second, one gets -2
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(
                f"runs/ cannot hold a new run folder ({exc.strerror}); pass --out DIR"
            ) from None
        return out
    raise UsageError(f"runs/ has no free name for {name}-{stamp}; pass --out DIR")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dumps_strict(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_config(run_dir: Path) -> dict[str, Any]:
    """Return the ``config.json`` of ``run_dir``, with a clear error when it is missing or unreadable."""
    path = Path(run_dir) / CONFIG_FILE
    if not Path(run_dir).is_dir():
        raise UsageError(
            f"RUN_DIR must be a run folder, got {run_dir}, which "
            f"{'is a file' if Path(run_dir).exists() else 'does not exist'}; pass the folder a "
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
            f"{path} is not a readable JSON config ({exc}); the run folder is damaged"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} must hold a JSON object, got {type(data).__name__}")
    if not isinstance(data.get("config"), dict):
        # another tool's config.json (a model hub's, say): not a run to resume or overwrite
        raise UsageError(
            f"{path} is not a linearnets run config (it has no 'config' section); pass the "
            "folder a 'linearnets softmax' run wrote"
        )
    return data
