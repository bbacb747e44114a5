"""Tests of linearnets.path_writable: whether a file can be made there, and where instead."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from linearnets import path_writable


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path, Path]]:
    """Yield the working, home and temporary folders writable_example looks in, each new."""
    here, home, temporary = (tmp_path / name for name in ("here", "home", "tmp"))
    for folder in (here, home, temporary):
        folder.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    yield here, home, temporary


def test_the_example_is_the_first_writable_place_that_is_not_the_folder_refused(
    places: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a read-only working folder, out='x.png' was told "pass e.g. out='figure.png'": the
    same folder, refused again. The working folder is offered where it can be written, else the
    home folder, else the temporary one. As root every folder passes os.access: faked."""
    here, home, temporary = places
    writable = {here, home, temporary}
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path).resolve() in writable)
    example = path_writable.writable_example
    assert example("f.png", tmp_path / "elsewhere") == "f.png"
    assert example("f.png", here) == "~/f.png"  # not the folder refused
    writable.discard(here)
    assert example("f.png", tmp_path / "elsewhere") == "~/f.png"
    writable.discard(home)
    assert example("f.png", here) == str(temporary / "f.png")
    writable.discard(temporary)
    assert example("f.png", here) is None


def test_a_folder_this_user_cannot_write_in_is_told_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nearest folder that exists is the one judged (the missing ones would be made in it).
    As root every folder passes os.access: faked."""
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)
    assert path_writable.unwritable_reason(locked / "new" / "f.png") == (
        f"the folder {locked} is not writable"
    )
    assert path_writable.unwritable_reason(tmp_path / "f.png") is None
    assert not path_writable.on_read_only_file_system(locked)


def test_a_name_held_there_already_is_not_offered(
    places: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOME/figure.png held the user's file, and the fix '~/figure.png' overwrote it: the first
    name free in the place offered is given, a folder of that name counting as held."""
    here, home, temporary = places
    (here / "figure.png").write_bytes(b"the user's")
    (home / "figure.png").mkdir()
    (home / "figure-2.png").symlink_to(tmp_path / "nowhere")  # a link to nowhere is a name held
    example = path_writable.writable_example
    assert example("figure.png", tmp_path / "elsewhere") == "figure-2.png"
    assert example("figure.png", here) == "~/figure-3.png"
    assert example("a b.svg", here) == "~/a b.svg"  # free: as it is
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path).resolve() == temporary)
    (temporary / "predict-3.png").touch()
    assert example("predict-3.png", here) == str(temporary / "predict-3-2.png")
