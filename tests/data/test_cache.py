"""The cache of verified files: where it lives, its index, and entries read and written safely."""

from __future__ import annotations

import errno
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from linearnets.data import cache
from linearnets.data.cache import (
    cache_dir,
    load_index,
    new_buffer,
    open_regular,
    open_sink,
    read_exact,
    replace_entry,
    save_index,
)
from linearnets.data.locked_temps import remove_stale_temps, try_lock
from linearnets.data.verify import read_verified
from linearnets.errors import UsageError

from .conftest import Tiny

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


@pytest.fixture
def no_hang(
    failing_after: Callable[[int, str], AbstractContextManager[None]],
) -> Iterator[None]:
    """Fail (instead of hanging the suite) if opening something blocks for 5 s."""

    with failing_after(5, "blocked opening a FIFO"):
        yield


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize(
    ("env", "xdg", "expected"),
    [
        ("~/mine", "/xdg", "HOME/mine"),
        ("/abs/cache", None, "/abs/cache"),
        ("", "/xdg", "/xdg/linearnets"),  # empty: as if unset
        (None, "/xdg", "/xdg/linearnets"),
        (None, "", "HOME/.cache/linearnets"),
        (None, None, "HOME/.cache/linearnets"),
        # relative: ignored, as the XDG Base Directory spec says (it followed the working folder)
        (None, "relcache", "HOME/.cache/linearnets"),
        (None, "./x", "HOME/.cache/linearnets"),
    ],
)
def test_cache_dir_follows_the_environment(
    env: str | None,
    xdg: str | None,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in (("LINEARNETS_CACHE_DIR", env), ("XDG_CACHE_HOME", xdg)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert cache_dir() == Path(expected.replace("HOME", str(tmp_path)))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"a": {"size": 1}}', {"a": {"size": 1}}),
        ("{not json", {}),
        ("[1, 2]", {}),  # valid JSON, but no index
        (b"\xff\xfe", {}),  # not UTF-8
        ("", {}),
        ("[" * 100_000 + "]" * 100_000, {}),  # nested past the parser's recursion limit
    ],
)
def test_load_index_reads_a_dict_or_gives_an_empty_one(
    content: str | bytes, expected: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "verified.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert load_index(path) == expected


@needs_fifo
def test_load_index_of_a_missing_folder_or_fifo_is_empty(tmp_path: Path, no_hang: None) -> None:
    assert load_index(tmp_path / "missing.json") == {}
    (tmp_path / "dir.json").mkdir()
    assert load_index(tmp_path / "dir.json") == {}
    os.mkfifo(tmp_path / "fifo.json")
    assert load_index(tmp_path / "fifo.json") == {}


def test_save_index_adds_to_what_is_there_in_a_new_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "verified.json"
    save_index(path, "x", {"size": 1})
    save_index(path, "w", {"size": 2})
    assert json.loads(path.read_text()) == {"w": {"size": 2}, "x": {"size": 1}}
    assert path.read_text() == json.dumps(
        {"w": {"size": 2}, "x": {"size": 1}}, indent=1, sort_keys=True
    )
    assert _leftovers(path.parent) == []


def test_save_index_keeps_entries_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "verified.json"
    path.write_text(json.dumps({"other": {"size": 3}}))
    save_index(path, "mine", {"size": 4})
    assert json.loads(path.read_text()) == {"mine": {"size": 4}, "other": {"size": 3}}


def test_save_index_in_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    save_index(tmp_path / "file" / "verified.json", "k", {})  # its folder cannot be made
    assert (tmp_path / "file").read_text() == "in the way"


def test_save_index_that_fails_while_writing_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.json, "dump", full)
    save_index(tmp_path / "verified.json", "k", {})
    assert list(tmp_path.iterdir()) == []


def test_save_index_replaces_an_empty_folder_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "verified.json"
    path.mkdir()
    save_index(path, "k", {"size": 5})
    assert json.loads(path.read_text()) == {"k": {"size": 5}}


def test_replace_entry_keeps_a_folder_with_content_and_drops_the_temporary_file(
    tmp_path: Path,
) -> None:
    entry = tmp_path / "entry"
    (entry / "inside").mkdir(parents=True)
    tmp = tmp_path / "new.tmp"
    tmp.write_bytes(b"new")
    replace_entry(tmp, entry)
    assert (entry / "inside").is_dir() and not tmp.exists()


def test_replace_entry_replaces_a_file(tmp_path: Path) -> None:
    entry, tmp = tmp_path / "entry", tmp_path / "new.tmp"
    entry.write_bytes(b"old")
    tmp.write_bytes(b"new")
    replace_entry(tmp, entry)
    assert entry.read_bytes() == b"new" and not tmp.exists()


def test_replace_entry_whose_move_fails_drops_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, Any]] = []

    def refuse(src: Any, dst: Any) -> None:
        calls.append((src, dst))
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(cache.os, "replace", refuse)
    (tmp_path / "empty").mkdir()
    tmp = tmp_path / "new.tmp"
    tmp.write_bytes(b"new")
    replace_entry(tmp, tmp_path / "empty")
    # the empty folder was removed and the move tried once more, then given up
    assert len(calls) == 2 and not (tmp_path / "empty").exists() and not tmp.exists()


def test_new_buffer_is_writable_and_of_the_size_asked() -> None:
    buf = new_buffer(10)
    assert len(buf) == 10 and buf.nbytes == 10 and not buf.readonly
    buf[:] = bytes(range(10))
    assert bytes(buf) == bytes(range(10))


def test_read_exact_gives_the_content_of_a_file_of_that_size(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    buf = read_exact(path, 10)
    assert buf is not None and bytes(buf) == b"0123456789" and not buf.readonly
    assert read_exact(path, 11) is None  # shorter than expected
    assert read_exact(path, 9) is None  # longer than expected
    assert read_exact(tmp_path / "missing", 1) is None


def test_read_exact_of_a_file_that_fails_to_read_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(io.RawIOBase):
        def readinto(self, b: Any) -> int:
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(cache, "open_regular", lambda path: Broken())
    assert read_exact(tmp_path / "f", 3) is None


@needs_fifo
def test_open_regular_opens_only_regular_files_and_closes_the_rest(
    tmp_path: Path, no_hang: None
) -> None:
    (tmp_path / "file").write_bytes(b"data")
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    f = open_regular(tmp_path / "file")
    assert f is not None
    with f:
        assert f.read() == b"data"
    before = _open_fds()
    for name in ("dir", "fifo", "missing"):
        assert open_regular(tmp_path / name) is None
    assert _open_fds() == before  # what was opened to be checked is closed again


def test_open_sink_gives_a_temporary_file_next_to_the_copy(tmp_path: Path) -> None:
    copy = tmp_path / "a" / "b" / "copy.bin"
    sink = open_sink(copy)
    assert sink is not None
    f, tmp = sink
    with f:
        f.write(b"bytes")
    assert tmp.parent == copy.parent and tmp.name.startswith(".copy.bin.")
    assert tmp.name.endswith(".tmp") and tmp.read_bytes() == b"bytes" and not copy.exists()


def test_open_sink_in_a_cache_that_cannot_be_written_is_none(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    assert open_sink(tmp_path / "file" / "copy.bin") is None


def test_open_sink_holds_its_file_locked_and_removes_a_killed_runs(tmp_path: Path) -> None:
    copy = tmp_path / "fashion-mnist" / "copy.bin"
    copy.parent.mkdir()
    killed = copy.parent / ".copy.bin.abcd1234.tmp"  # left by kill -9: nobody holds it
    killed.write_bytes(b"part")
    sink = open_sink(copy)
    assert sink is not None and not killed.exists()
    f, tmp = sink
    with f, tmp.open("rb") as other:
        assert not try_lock(other)  # held by its writer until it is closed
        remove_stale_temps(copy.parent, cache.COPY_TEMP)
        assert tmp.exists()
    remove_stale_temps(copy.parent, cache.COPY_TEMP)  # its writer is done with it
    assert not tmp.exists()


def test_save_index_removes_a_killed_runs_temporary_index(tmp_path: Path) -> None:
    killed = tmp_path / ".verified.json.x1y2z3_4.tmp"
    killed.write_text("{")
    save_index(tmp_path / "verified.json", "k", {"size": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verified.json"]


def test_without_a_home_folder_the_cache_goes_without(
    no_home: None, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a read-only cache does: nothing is remembered, and nothing fails (it raised
    "Could not determine home directory" before any file was read)."""
    monkeypatch.delenv("LINEARNETS_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    folder = cache_dir()
    assert folder == cache.NO_CACHE
    save_index(folder / "verified.json", "key", {"md5": "x"})
    assert load_index(folder / "verified.json") == {}
    assert open_sink(folder / "fashion-mnist" / "train-images-idx3-ubyte") is None
    assert not os.path.isdir(folder)
    name = "t10k-labels-idx1-ubyte"
    path = tiny.write(tmp_path / "fm") / f"{name}.gz"
    for _ in range(2):  # hashed both times: there is no cache to remember it in
        data, hashed = read_verified(path, name, expected=tiny.files[name])
        assert bytes(data) == tiny.raw[name] and hashed
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # needs no home folder
    assert cache_dir() == tmp_path / "linearnets"


def test_a_cache_dir_whose_tilde_cannot_be_expanded_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "~linearnets-nobody/cache"
    if os.path.expanduser(path) != path:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    monkeypatch.chdir(tmp_path)  # where the folder it names here is made
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", path)
    with pytest.raises(
        UsageError,
        match=r"^LINEARNETS_CACHE_DIR must be a path whose ~linearnets-nobody can be expanded, got "
        r"'~linearnets-nobody/cache', but the user database knows no user 'linearnets-nobody'; "
        r"write the path out in full \(e\.g\. /home/linearnets-nobody/cache\)",
    ) as info:
        cache_dir()
    # the folder here it names is absolute, as LINEARNETS_CACHE_DIR must be (./~... was refused)
    advised = str(info.value).split("or pass ", 1)[1].split(" for a folder named", 1)[0]
    assert advised == os.path.abspath(path)
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", advised)
    assert cache_dir() == Path(advised)


@pytest.mark.parametrize("home", ["missing", "", "relative"])
def test_a_home_that_names_no_existing_folder_counts_as_none_and_is_not_made(
    home: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOME=/nonexistent (Debian's system accounts) was made, with 53 MB of cache in it; an empty
    HOME is "/" to pathlib, a relative one would follow the working folder."""
    monkeypatch.delenv("LINEARNETS_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    value = {"missing": str(tmp_path / "nonexistent"), "": "", "relative": "home"}[home]
    Path("home").mkdir()  # a relative HOME that happens to exist here is no home either
    monkeypatch.setenv("HOME", value)
    assert cache_dir() == cache.NO_CACHE
    name = "t10k-labels-idx1-ubyte"
    path = tiny.write(tmp_path / "fm") / f"{name}.gz"
    for _ in range(2):  # hashed both times: there is no cache to remember it in
        data, hashed = read_verified(path, name, expected=tiny.files[name])
        assert bytes(data) == tiny.raw[name] and hashed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fm", "home"]  # nothing made
    assert list(Path("home").iterdir()) == []


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("afile", "it is not a folder"),
        ("afile/sub", "TMP/afile is not a folder, so none can be made in it"),
        ("gone", "TMP/gone is a symbolic link to TMP/nowhere, which does not exist"),
    ],
)
def test_a_cache_dir_that_cannot_be_a_folder_is_refused(
    given: str, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It turned caching off without a word, every run verifying again; LINEARNETS_DATA naming a
    file was already refused."""
    (tmp_path / "afile").write_text("x")
    (tmp_path / "gone").symlink_to("nowhere")
    given, problem = f"{tmp_path}/{given}", problem.replace("TMP", str(tmp_path))
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", given)
    with pytest.raises(
        UsageError,
        match=rf"^LINEARNETS_CACHE_DIR must name a folder for linearnets' cache of verified files "
        rf"\(made if missing\), got '{re.escape(given)}', but {re.escape(problem)}; point it at "
        r"a folder, or unset it "
        r"\(unset LINEARNETS_CACHE_DIR\) for the default cache folder$",
    ):
        cache_dir()


@pytest.mark.parametrize("given", ["cache", "./cache", "../x/cache"])
def test_a_relative_cache_dir_is_refused(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was taken from the working folder of each run: a cache folder appeared wherever a
    command ran."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", given)
    with pytest.raises(UsageError) as info:
        cache_dir()
    assert str(info.value) == (
        f"LINEARNETS_CACHE_DIR must be an absolute path, got {given!r}, which would put a cache in "
        f"each folder a command runs in; point it at one (here, {os.path.abspath(given)!r}), or "
        "unset it (unset LINEARNETS_CACHE_DIR) for the default cache folder"
    )
    assert list(tmp_path.iterdir()) == []  # nothing made


def _refused(given: str, problem: str, folder: str = "a folder you can write to") -> str:
    """The refusal of ``LINEARNETS_CACHE_DIR=given``, as a pattern matching the whole message."""
    return (
        rf"^LINEARNETS_CACHE_DIR must name a folder for linearnets' cache of verified files "
        rf"\(made if missing\), got '{re.escape(given)}', but {re.escape(problem)}; point it at "
        rf"{folder}, or unset it \(unset LINEARNETS_CACHE_DIR\) for the default cache folder$"
    )


@pytest.mark.parametrize("below", ["", "/sub"])
def test_a_cache_dir_that_cannot_be_made_is_refused(
    below: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINEARNETS_CACHE_DIR=/proc/foo turned caching off without a word, every run verifying
    again, though a file in the way was refused."""
    top = "/proc/linearnets-cache"
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc file system here")
    with pytest.raises(OSError) as made:  # the oracle: the system refuses the folder
        os.mkdir(top)
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", top + below)
    with pytest.raises(
        UsageError, match=_refused(top + below, f"{top} cannot be made ({made.value.strerror})")
    ):
        cache_dir()


def test_a_cache_dir_on_a_read_only_disk_is_refused_naming_the_folder_that_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = tmp_path / "ro" / "cache"

    def read_only(path: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "ro"))

    monkeypatch.setattr(os, "makedirs", read_only)
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(given))
    with pytest.raises(
        UsageError,
        match=_refused(
            str(given), f"{tmp_path / 'ro'} cannot be made ({os.strerror(errno.EROFS)})"
        ),
    ):
        cache_dir()


def test_a_read_only_cache_dir_that_exists_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It is read (another user may fill it): only one that cannot be made is refused."""
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o555)
    monkeypatch.setattr(os, "makedirs", None)  # never called: the folder exists
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(folder))
    assert cache_dir() == folder


def test_a_cache_dir_that_does_not_exist_yet_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "new" / "cache"))
    folder = cache_dir()
    assert folder == tmp_path / "new" / "cache" and folder.is_dir()
    save_index(folder / "verified.json", "k", {"size": 1})
    assert load_index(folder / "verified.json") == {"k": {"size": 1}}


def test_open_sink_removes_only_names_mkstemp_gives(tmp_path: Path) -> None:
    """A killed run's copy is ``.NAME.XXXXXXXX.tmp`` (mkstemp's 8 of [a-z0-9_]): files of other
    names beside it are none of linearnets', and stay."""
    copy = tmp_path / "fashion-mnist" / "copy.bin"
    copy.parent.mkdir()
    killed = copy.parent / ".copy.bin.ab_d1234.tmp"
    others = ["copy.bin.abcd1234.tmp", ".copy.bin.abcd12.tmp", ".copy.bin.abcd12345.tmp"]
    for name in [killed.name, *others]:
        (copy.parent / name).write_bytes(b"part")
    sink = open_sink(copy)
    assert sink is not None
    f, tmp = sink
    f.close()
    assert sorted(p.name for p in copy.parent.iterdir()) == sorted([*others, tmp.name])
