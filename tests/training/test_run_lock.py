"""The run lock: one writer per folder, released by release(), and never held on by a forked child."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from linearnets.errors import UsageError
from linearnets.training.run_lock import RunLock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")


def test_one_process_cannot_hold_a_folder_twice_and_release_frees_it(tmp_path: Path) -> None:
    with RunLock(tmp_path), pytest.raises(UsageError, match="being written by another"):
        RunLock(tmp_path).acquire()
    RunLock(tmp_path).acquire().release()


def test_a_forked_child_does_not_keep_the_parents_lock(tmp_path: Path) -> None:
    """The plotting process is forked while the run holds its folder: it must not hold it on."""
    lock = RunLock(tmp_path).acquire()
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # the child (past the fork hooks): say so, then outlive the parent's hold
        os.write(ready_w, b"1")
        signal.pause()
        os._exit(0)
    try:
        assert os.read(ready_r, 1) == b"1"
        lock.release()
        RunLock(tmp_path).acquire().release()  # free, although the child still runs
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(ready_r), os.close(ready_w)
