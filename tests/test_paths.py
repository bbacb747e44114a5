"""linearnets._paths: a path as a run records it, absolute and without its "..", symlinks kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linearnets._paths import absolute_path, same_folder


@pytest.mark.parametrize("given", ["../d.npz", "./../sub/../d.npz", "../sub/./../d.npz"])
def test_a_relative_path_is_made_absolute_without_its_dot_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "d.npz").write_bytes(b"")
    monkeypatch.chdir(tmp_path / "sub")
    assert absolute_path(given) == absolute_path(Path(given)) == tmp_path / "d.npz"
    assert type(absolute_path(given)) is type(tmp_path)


def test_an_absolute_path_loses_its_dot_dot_and_a_folder_is_taken_as_a_file_is(
    tmp_path: Path,
) -> None:
    (tmp_path / "fm").mkdir()
    assert absolute_path(tmp_path / "fm" / ".." / "fm") == tmp_path / "fm"
    assert absolute_path(tmp_path / "fm") == tmp_path / "fm"  # nothing to drop: kept


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_a_symlink_is_kept_not_resolved_and_a_dot_dot_after_it_kept_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """link/../d.npz, link a symlink to elsewhere/inner, names elsewhere/d.npz: dropping the ".."
    would name tmp/d.npz, another file."""
    (tmp_path / "elsewhere" / "inner").mkdir(parents=True)
    (tmp_path / "elsewhere" / "d.npz").write_bytes(b"a")
    (tmp_path / "d.npz").write_bytes(b"b")
    os.symlink(tmp_path / "elsewhere" / "inner", tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    assert absolute_path("link") == tmp_path / "link"
    assert absolute_path("link/../d.npz") == tmp_path / "link" / ".." / "d.npz"
    # a link to a folder beside the file: the ".." names the same file, and is dropped
    os.symlink(tmp_path / "elsewhere", tmp_path / "beside")
    assert absolute_path("beside/../d.npz") == tmp_path / "d.npz"


def test_a_path_that_names_nothing_is_made_absolute_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether its ".." could be dropped cannot be told: the run reads, and names, the path given."""
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert absolute_path("../gone.npz") == tmp_path / "sub" / ".." / "gone.npz"


def test_same_folder_sees_through_a_link_and_compares_one_not_made_by_its_name(
    tmp_path: Path,
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    (tmp_path / "later").symlink_to(tmp_path / "unmade")  # dangling: names the folder to come
    assert same_folder(tmp_path / "alias", tmp_path / "real")
    assert not same_folder(tmp_path / "other", tmp_path / "real")
    assert same_folder(tmp_path / "later", tmp_path / "other" / ".." / "unmade")
    assert not same_folder(tmp_path / "later", tmp_path / "real")
