"""How a checkpoint reaches the disk: atomically, or not at all, with the reason named.

The file is written to a temporary file in the same folder, flushed and fsync'ed, then renamed over
the old one (and the folder fsync'ed), so a crash mid-write leaves the previous checkpoint intact. A
write that fails names a full disk as such and says whether an earlier checkpoint is kept.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from linearnets._fs import fsync_dir, new_file_mode
from linearnets.errors import CheckpointError

__all__ = ["write_atomic"]


def write_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Save ``payload`` to ``path`` through a temporary file in its folder, fsync'ed, then renamed."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, new_file_mode())  # not mkstemp's 0o600, like the run's other files
        os.replace(tmp_name, path)
    except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as a RuntimeError
        Path(tmp_name).unlink(missing_ok=True)
        raise CheckpointError(_unwritten(path, exc)) from exc
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _unwritten(path: Path, exc: BaseException) -> str:
    """Say why ``path`` could not be written, naming a full disk, and that the old file is kept."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
        free is not None and free < (1 << 20)
    )
    reason = (
        f"the disk is full ({free // 1024 if free is not None else 0} KiB free)"
        if full
        else " ".join(str(exc).split())[:200]
    )
    kept = "the previous checkpoint is kept" if path.exists() else "no earlier checkpoint exists"
    return f"{path} could not be written: {reason}; {kept}; fix that and continue with --resume"
