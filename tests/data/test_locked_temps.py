"""Tests for linearnets.data.locked_temps: a killed writer's temporary file removed, a live one's kept."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

from linearnets.data.locked_temps import (
    open_locked_temp,
    remove_stale_temps,
    temp_pattern,
    try_lock,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")

ANY_TEMP = re.compile(r"\.[a-z]\.[a-z0-9_]{8}\.tmp")  # .a.XXXXXXXX.tmp, mkstemp's 8 characters


def test_the_pattern_matches_the_names_mkstemp_gives(tmp_path: Path) -> None:
    """The oracle: tempfile.mkstemp's own names, with the same prefix and suffix."""
    pattern = temp_pattern(".t10k.gz.", ".part")
    for _ in range(20):
        _, name = tempfile.mkstemp(prefix=".t10k.gz.", suffix=".part", dir=tmp_path)
        assert pattern.fullmatch(Path(name).name)
    assert not pattern.fullmatch(".t10k.gz.part") and not pattern.fullmatch("t10k.gz.abcdefgh.part")


def test_a_live_writers_file_is_kept_and_a_dead_ones_removed(tmp_path: Path) -> None:
    live, live_path = open_locked_temp(tmp_path, prefix=".a.", suffix=".tmp")
    dead_path = tmp_path / ".b.abcd1234.tmp"  # a killed writer's: nobody holds its lock
    dead_path.write_bytes(b"half")
    other = tmp_path / "keep.txt"  # not a temporary file's name
    other.write_bytes(b"mine")
    (tmp_path / ".c.folder12.tmp").mkdir()  # a folder is left alone
    with live:
        with open(live_path, "rb") as f:
            assert not try_lock(f)  # held by its writer
        remove_stale_temps(tmp_path, ANY_TEMP)
        assert live_path.exists() and not dead_path.exists() and other.exists()
    remove_stale_temps(tmp_path, ANY_TEMP)  # its writer is done with it
    assert not live_path.exists() and (tmp_path / ".c.folder12.tmp").is_dir()
