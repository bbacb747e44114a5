"""A new run's folder: checked and claimed on rank 0 and named to every rank, or left as the run
found it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from linearnets import _fs
from linearnets._signals import held_signals
from linearnets.config import SoftmaxConfig
from linearnets.training.distributed import DistContext
from linearnets.training.rank_agreement import on_rank_0
from linearnets.training.run_lock import LOCK_FILE
from linearnets.training.runs import (
    CONFIG_FILE,
    RunLock,
    check_run_dir,
    claim_run_dir,
    missing_folders,
)

__all__ = ["FolderAsFound", "check_run_dir_everywhere", "run_dir_everywhere"]


@dataclass
class FolderAsFound:
    """What a new run's ``out`` was before the run claimed it, to leave it so if it never started.

    Attributes:
        existed: ``out`` was a folder already.
        made: the folders the claim creates (its parents, or ``runs/``).
        had_lock_file: ``out`` held a lock file (a stale one is kept).
        locks: rank 0's held lock, once it claimed the folder.
    """

    existed: bool
    made: list[Path]
    had_lock_file: bool
    locks: list[RunLock] = field(default_factory=list)

    @classmethod
    def look(cls, out: Path | None) -> FolderAsFound:
        """Return ``out`` (``None``: a new folder in ``runs/``) as it is now."""
        existed = out is not None and out.is_dir()
        made = missing_folders(out)  # its parents, or runs/: made by the claim
        had_lock_file = out is not None and (out / LOCK_FILE).exists()
        return cls(existed, made, had_lock_file)

    def leave_as_found(self) -> None:
        """Leave the folders as the run found them, whole: a further Ctrl-C must not cut this
        short (the message says nothing was kept)."""
        with held_signals(raise_after=False):
            if self.locks:
                lock, run_dir = self.locks[0], self.locks[0].run_dir
                # its config.json too (a Ctrl-C during the write's fsync): the folder held none,
                # or the claim would have refused it, and with it the same call again is refused
                with contextlib.suppress(OSError):
                    (run_dir / CONFIG_FILE).unlink(missing_ok=True)
                lock.release(remove=not self.had_lock_file)
                if not self.existed:
                    _fs.remove_empty_folders([run_dir, *self.made])


def _name(config: SoftmaxConfig) -> str:
    """Return the run's name in ``runs/`` (given no ``out``): ``softmax-<impl>``."""
    return f"softmax-{config.impl}"


def check_run_dir_everywhere(config: SoftmaxConfig, dist: DistContext) -> None:
    """Check on rank 0, writing nothing, that the run folder can be claimed; its refusal stops
    every rank. Before the data are read: a bad ``--out`` (or a ``runs`` file here) is told at
    once, and the folder is claimed (:func:`run_dir_everywhere`) only once they are read, so a
    run refused for its data leaves the disk as it found it."""

    def check() -> str:
        check_run_dir(config.out, name=_name(config))
        return ""

    on_rank_0(dist, check)


def run_dir_everywhere(config: SoftmaxConfig, dist: DistContext, locks: list[RunLock]) -> Path:
    """Create and lock the run folder on rank 0 and tell every other rank its name, or why it failed.

    Returns the folder; on rank 0 its held lock is appended to ``locks`` as soon as it is claimed
    (the caller releases it, and removes the folder should another process be lost before it
    learnt the name). A refused ``--out`` then stops every rank with the same error, rather than
    rank 0 alone while the others wait in the broadcast and fail with a broken connection.
    """

    def claim() -> str:
        locks.append(claim_run_dir(config.out, name=_name(config)))
        return str(locks[0].run_dir)

    return Path(on_rank_0(dist, claim))
