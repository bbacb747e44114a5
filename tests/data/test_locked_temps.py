"""Tests for linearnets.data.locked_temps: a killed writer's temporary file removed, a live one's kept."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

from linearnets.data import locked_temps
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


def _module_without_fcntl(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A fresh copy of the module, imported where ``import fcntl`` fails (Windows, WASI)."""
    monkeypatch.setitem(sys.modules, "fcntl", None)  # None: the import raises ImportError
    spec = importlib.util.spec_from_file_location("_locked_temps_copy", locked_temps.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_fcntl_it_imports_locks_nothing_and_keeps_every_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked of the module, not of sys.platform: a platform without fcntl still imports it (the
    data loading imports it) and degrades to keeping every temporary file."""
    module = _module_without_fcntl(monkeypatch)
    assert not module.HAVE_FLOCK
    f, path = module.open_locked_temp(tmp_path, prefix=".a.", suffix=".tmp")
    with f:
        f.write(b"data")
        with open(path, "rb") as other:
            assert module.try_lock(other)  # nothing is locked: taking it "succeeds"
    dead = tmp_path / ".b.abcd1234.tmp"
    dead.write_bytes(b"half")
    module.remove_stale_temps(tmp_path, ANY_TEMP)
    assert path.read_bytes() == b"data" and dead.exists()  # a live writer's cannot be told apart


def test_without_o_nofollow_a_dead_file_is_removed_and_a_link_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "O_NOFOLLOW")
    target = tmp_path / "target.bin"
    target.write_bytes(b"keep")
    link = tmp_path / ".l.linklink.tmp"
    link.symlink_to(target)
    dead = tmp_path / ".b.abcd1234.tmp"
    dead.write_bytes(b"half")
    remove_stale_temps(tmp_path, ANY_TEMP)
    assert not dead.exists()
    assert link.is_symlink() and target.read_bytes() == b"keep"
