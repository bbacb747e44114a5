"""linearnets._fs: a folder's fsync after a rename, and the mode ``open()`` gives a new file.

The oracle for :func:`new_file_mode` is the file system itself: the mode of a file ``open()`` creates.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from linearnets import _fs


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process's umask after a test that sets it."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def _created_mode(folder: Path) -> int:
    """The permission bits of a file that ``open()`` creates in ``folder`` now."""
    path = folder / "probe"
    with open(path, "w"):
        pass
    mode = stat.S_IMODE(path.stat().st_mode)
    path.unlink()
    return mode


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_fsync_dir_syncs_the_folder_itself_and_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        st = os.fstat(fd)
        synced.append((st.st_ino, fd))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    _fs.fsync_dir(tmp_path)
    ((inode, fd),) = synced
    assert (
        inode == tmp_path.stat().st_ino
    )  # the folder, opened for reading (a folder can't be written)
    with pytest.raises(OSError) as info:
        os.fstat(fd)  # closed again: no descriptor leaks per checkpoint
    assert info.value.errno == errno.EBADF


def test_fsync_dir_of_a_folder_that_cannot_be_opened_does_nothing(tmp_path: Path) -> None:
    assert _fs.fsync_dir(tmp_path / "missing") is None  # no error: the file itself was synced


def test_fsync_dir_where_folders_cannot_be_synced_still_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[int] = []
    real_open = os.open

    def spy_open(path: Path, flags: int) -> int:
        opened.append(real_open(path, flags))
        return opened[-1]

    def refuse(fd: int) -> None:
        raise OSError(
            errno.EINVAL, "Invalid argument"
        )  # what some file systems answer for a folder

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "fsync", refuse)
    _fs.fsync_dir(tmp_path)
    ((fd,),) = [opened]
    with pytest.raises(OSError) as info:
        os.fstat(fd)
    assert info.value.errno == errno.EBADF


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002, 0o027])
def test_new_file_mode_is_the_mode_open_gives_a_new_file(
    mask: int, tmp_path: Path, umask: None
) -> None:
    os.umask(mask)
    assert _fs.new_file_mode() == _created_mode(tmp_path)
    assert _current_umask() == mask  # read, not changed


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o027])
def test_new_file_mode_without_proc_reads_the_umask_and_puts_it_back(
    mask: int, tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_fs, "PROC_STATUS", tmp_path / "no-proc" / "status")  # not Linux
    os.umask(mask)
    assert _fs.new_file_mode() == _created_mode(tmp_path)
    assert _current_umask() == mask


def test_new_file_mode_without_proc_never_opens_files_other_threads_create_meanwhile(
    tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS, Windows: the umask is read by setting it and putting it back. A file another thread
    (torch's, Jupyter's) creates in between gets the value set for that moment: private (0o077),
    not group- and world-readable (0o022) under a user's umask of 0o077."""
    monkeypatch.setattr(_fs, "PROC_STATUS", tmp_path / "no-proc" / "status")
    os.umask(0o077)
    created: list[int] = []
    real_umask = os.umask

    def umask_then_another_thread_creates_a_file(mask: int) -> int:
        previous = real_umask(mask)
        if not created:  # the moment between the two calls
            created.append(_created_mode(tmp_path))
        return previous

    monkeypatch.setattr(os, "umask", umask_then_another_thread_creates_a_file)
    assert _fs.new_file_mode() == 0o600
    assert created == [0o600]
    assert _current_umask() == 0o077


@pytest.mark.parametrize(
    ("status", "mode"),
    [
        ("Name:\tpython\nUmask:\t0027\nState:\tR (running)\n", 0o640),
        ("Umask:\t0077\n", 0o600),
        ("Umask:\t0000\n", 0o666),
    ],
)
def test_new_file_mode_reads_the_umask_line_of_proc_status(
    status: str, mode: int, tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status file wins over the process's umask (set to 0o022 here): it is the one read."""
    fake = tmp_path / "status"
    fake.write_text(status)
    monkeypatch.setattr(_fs, "PROC_STATUS", fake)
    os.umask(0o022)
    assert _fs.new_file_mode() == mode


@pytest.mark.parametrize("status", ["Umask:\tzz\n", "Name:\tpython\n"])
def test_new_file_mode_with_an_unreadable_umask_line_falls_back_to_the_umask(
    status: str, tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "status"
    fake.write_text(status)
    monkeypatch.setattr(_fs, "PROC_STATUS", fake)
    os.umask(0o077)
    assert _fs.new_file_mode() == 0o600
    assert _current_umask() == 0o077


def test_missing_folders_are_what_mkdir_parents_makes_and_are_removed_while_empty(
    tmp_path: Path,
) -> None:
    target = tmp_path / "a" / "b" / "c"
    made = _fs.missing_folders(target)
    assert made == [target, tmp_path / "a" / "b", tmp_path / "a"]  # innermost first
    target.mkdir(parents=True)
    (tmp_path / "a" / "keep.txt").write_text("another process's file")
    _fs.remove_empty_folders(made)
    assert not (tmp_path / "a" / "b").exists()  # emptied and removed
    assert (tmp_path / "a" / "keep.txt").is_file()  # a folder that is not empty stays
    assert _fs.missing_folders(tmp_path) == []
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    assert _fs.missing_folders(tmp_path / "link") == []  # a link exists, even dangling


def test_sha256_file_is_hashlibs_digest_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    data = os.urandom(3 << 20 | 5)  # several 1 MiB chunks and a tail
    (tmp_path / "f").write_bytes(data)
    assert _fs.sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_folders_never_made_are_skipped_and_their_empty_parents_still_removed(
    tmp_path: Path,
) -> None:
    """A mkdir that failed part-way made only the outer folders: the inner ones, never made, are
    passed over and the outer ones, empty, removed (the file system as it was found)."""
    target = tmp_path / "a" / "b" / "c"
    made = _fs.missing_folders(target)
    (tmp_path / "a" / "b").mkdir(parents=True)  # c never made
    _fs.remove_empty_folders(made)
    assert list(tmp_path.iterdir()) == []
