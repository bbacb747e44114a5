"""What every process of a data-parallel softmax resume must be given alike.

``force``, the overrides (as a config holds them) and the checkpoint, by content
(:func:`shared_overrides`), agreed on before any process resumes; :func:`with_others` tells whether
a process resumes with others. The resume itself is :mod:`linearnets.tasks.resume`'s.

See D2L §3.6.6.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linearnets.config import SoftmaxConfig
from linearnets.tasks.resume_settings import resumed_config
from linearnets.tasks.softmax import shared_settings
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.distributed import DistContext, env_int, in_process_group
from linearnets.training.rank_agreement import RunMode

__all__ = ["checkpoint_id", "shared_overrides", "with_others"]


def with_others(dist: DistContext | None) -> bool:
    """Whether this process resumes together with others: ``dist``'s, a group it joined, or
    torchrun's."""
    if dist is not None:
        return dist.enabled
    return in_process_group() or env_int("WORLD_SIZE", 1) > 1


def shared_overrides(run_dir: Path, overrides: dict[str, Any], *, force: bool) -> dict[str, Any]:
    """Return what every process of a data-parallel resume must be given alike: ``force``, the
    overrides (as a config holds them), but those each process may have of its own, and the
    checkpoint it resumes (by content: ranks resuming different ones trained a silently wrong run,
    or waited forever on a peer that had fewer epochs left)."""
    checked = resumed_config(SoftmaxConfig(), overrides, run_dir)
    # shown to the other processes, each in its own working folder: '../ry' told rank 0 nothing
    # (absolute, '..' dropped as a shell's cd does, not resolved: a symlink keeps the name typed)
    folder = Path(os.path.abspath(run_dir))
    return {
        "mode": RunMode(resumes=True, folder=str(folder)),  # a new run's is told apart first
        "force": force,
        **shared_settings(checked, names=overrides),
        "checkpoint": _Checkpoint(
            checkpoint_id(folder / CHECKPOINT_FILE), str(folder / CHECKPOINT_FILE)
        ),
    }


@dataclass(frozen=True, repr=False)
class _Checkpoint:
    """A resume's checkpoint as processes compare it: by content (:func:`checkpoint_id`, the
    same file wherever it is mounted); its path only shown, so that ranks resuming different runs
    are told the folders, not two SHA-256s alone."""

    content: str
    path: str = field(compare=False)

    def __repr__(self) -> str:
        return f"{self.path!r} ({self.content})"


def checkpoint_id(path: Path) -> str:
    """Return ``path``'s content as a short SHA-256 (the same file on every machine of a run,
    wherever it is mounted), or say it is missing."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "none"
    except OSError as exc:  # unreadable here: the resume names it when it loads the checkpoint
        return f"unreadable ({exc.strerror or type(exc).__name__})"
    return f"SHA-256 {digest[:16]}"
