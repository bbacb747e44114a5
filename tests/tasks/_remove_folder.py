"""Removing a run folder while its plotting process may be writing a figure into it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path


def remove_run_folder(path: Path) -> None:
    """Remove ``path`` as ``rm -rf`` would, again until it is gone.

    A run's plotting process may write a figure into the folder while :func:`shutil.rmtree`
    walks it, which then fails with "Directory not empty" (seen in CI); a user's ``rm -rf``
    run again removes it, and so does this.
    """
    for _ in range(100):
        try:
            shutil.rmtree(path)
            return
        except OSError:  # a figure written there meanwhile: again
            time.sleep(0.01)
    shutil.rmtree(path)
