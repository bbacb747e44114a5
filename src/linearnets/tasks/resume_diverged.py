"""A forced resume that diverged before its first checkpoint: ``config.json``'s forced settings
put back (D2L §3.6.6's training, continued from a checkpoint).

A resume records its settings in ``config.json`` before it trains, so that a plain ``--resume``
after a Ctrl-C carries on what it was asked for (a forced ``--lr`` too). A divergence is no such
stop: its message asks for another lr, and a forced value that blew up before any epoch was
trained with it, kept, made a plain ``--resume`` diverge again and showed the run as trained with
it (``"lr": 1e6``, ``resumes`` forced). So there the forced settings take their earlier values
back, this resume's record goes (it trained no epoch: not counted), and what it was asked for
besides (``--epochs``) stays.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from linearnets._json import loads_shallow
from linearnets.errors import DivergenceError
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.run_files import CONFIG_FILE, write_json_atomic

__all__ = ["forced_undone_on_divergence"]


@contextlib.contextmanager
def forced_undone_on_divergence(
    run_dir: Path, forced: Iterable[str], *, main: bool = True
) -> Iterator[None]:
    """Put ``config.json``'s settings ``forced`` (keys of its ``config`` section) back to their
    values on entry, where the block raises :class:`DivergenceError` before a checkpoint is
    written; enter it before the resume rewrites ``config.json``.

    ``main``: this process writes the run's files (rank 0 of a data-parallel run). A Ctrl-C, or
    a divergence once an epoch was checkpointed with the forced values, keeps them.
    """
    keys = set(forced)
    path = run_dir / CONFIG_FILE
    if not keys or not main or not path.is_file():
        yield
        return
    before = loads_shallow(path.read_bytes())
    stamp = _stamp(run_dir / CHECKPOINT_FILE)
    try:
        yield
    except DivergenceError:
        if _stamp(run_dir / CHECKPOINT_FILE) == stamp and isinstance(before, dict):
            _put_back(path, before, keys)
        raise


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Return what tells the file at ``path`` rewritten (a checkpoint is renamed into place: a
    new inode), or ``None`` where there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _put_back(path: Path, before: dict[str, Any], keys: set[str]) -> None:
    """Write ``config.json`` at ``path`` as the resume left it, but for the ``keys`` of its
    ``config`` section and everything outside that section (the data's SHA-256 and source, the
    resumes recorded), as they were ``before`` it."""
    now = loads_shallow(path.read_bytes())
    if not isinstance(now, dict) or not isinstance(now.get("config"), dict):
        return
    old = before.get("config")
    if not isinstance(old, dict):
        return
    config = {**now["config"], **{k: old[k] for k in keys if k in old}}
    write_json_atomic(path, {**before, "config": config})
