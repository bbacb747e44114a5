"""A new run's folder as the run found it: recorded before the claim, and left so by a run refused
or stopped before it started (a softmax run's and a linear-regression run's alike)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linearnets import _fs
from linearnets._signals import held_signals
from linearnets.training.run_lock import LOCK_FILE, RunLock
from linearnets.training.runs import CONFIG_FILE, missing_folders

__all__ = ["FolderAsFound"]


@dataclass
class FolderAsFound:
    """What a new run's ``out`` was before the run claimed it, to leave it so if it never started.

    Attributes:
        existed: ``out`` was a folder already.
        made: the folders the claim creates (its parents, or ``runs/``).
        had_lock_file: ``out`` held a lock file (a stale one is kept).
        files: the run's files removed from the claimed folder (it held none of them, or the
            claim would have refused it): ``config.json``, and what training wrote before an
            epoch was kept.
        locks: the claim's held lock, once it claimed the folder (rank 0's in a process group).
    """

    existed: bool
    made: list[Path]
    had_lock_file: bool
    files: tuple[str, ...] = (CONFIG_FILE,)
    locks: list[RunLock] = field(default_factory=list)

    @classmethod
    def look(cls, out: Path | None, *, files: Sequence[str] = (CONFIG_FILE,)) -> FolderAsFound:
        """Return ``out`` (``None``: a new folder in ``runs/``) as it is now, ``files`` the run's
        files :meth:`leave_as_found` removes.

        Raises nothing: a folder it may not look into (Python 3.11's ``Path.is_dir`` raised the
        bare PermissionError) is no folder it can claim either, which the run's check of ``out``
        (:func:`~linearnets.training.runs.check_run_dir`) refuses by name, on rank 0 for every
        rank of a process group.
        """
        existed = out is not None and os.path.isdir(out)
        made = missing_folders(out)  # its parents, or runs/: made by the claim
        had_lock_file = out is not None and os.path.exists(out / LOCK_FILE)
        return cls(existed, made, had_lock_file, files=tuple(files))

    def leave_as_found(self) -> None:
        """Leave the folders as the run found them, whole: a further Ctrl-C must not cut this
        short (a stop says nothing was kept, an error that the same call, fixed, runs). Nothing
        is done before the claim, which left nothing (refused, or stopped in it).

        Raises nothing the folder's state causes: it runs as an error or stop is raised, which
        must reach the user as it is. ``out`` gone or made a file while the run was in it (a
        callback's ``shutil.rmtree(out)``) leaves nothing to remove: ``.lock`` raised
        NotADirectoryError, the user's error only its context.
        """
        if not self.locks:
            return
        with held_signals(raise_after=False):
            lock, run_dir = self.locks[0], self.locks[0].run_dir
            # config.json too (a Ctrl-C during the write's fsync): the folder held none, or the
            # claim would have refused it, and with it the same call again is refused
            for name in self.files:
                with contextlib.suppress(OSError):
                    (run_dir / name).unlink(missing_ok=True)
            if not self.had_lock_file:  # removed while held, as release(remove=True) does
                with contextlib.suppress(OSError):
                    (run_dir / LOCK_FILE).unlink(missing_ok=True)
            lock.release()
            if not self.existed:
                _fs.remove_empty_folders([run_dir, *self.made])
