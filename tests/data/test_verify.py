"""Verifying the files once: size and MD5 checked, remembered by path, size and mtime (the verified cache)."""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from linearnets.data import cache as cache_module
from linearnets.data import fashion_mnist_memo, files, verify
from linearnets.data.fashion_mnist import read_fashion_mnist
from linearnets.data.files import how_to_replace
from linearnets.data.folder_contents import FASHION_MNIST_FILES
from linearnets.data.verify import OtherContentError, cache_dir, read_verified
from linearnets.errors import DatasetError

from .conftest import Tiny, get_again

NAME = "train-images-idx3-ubyte"


def test_cache_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("LINEARNETS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "linearnets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    (tmp_path / "home").mkdir()  # a home folder that does not exist counts as none (cache.py)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "linearnets"


@pytest.fixture
def md5_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the MD5 computations read_verified starts."""
    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return hashlib.md5(*args, **kwargs)

    monkeypatch.setattr(verify, "hashlib", SimpleNamespace(md5=counting))
    return calls


def _read(path: Path, tiny: Tiny, cache: Path, **kwargs: Any) -> tuple[bytes, bool]:
    data, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache, **kwargs)
    return bytes(data), hashed


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_verified_once_then_read_from_the_cache(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int], gz: bool
) -> None:
    path = tiny.write(tmp_path / "d", gz=gz) / (f"{NAME}.gz" if gz else NAME)
    cache = tmp_path / "cache"
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert len(md5_calls) == 1
    assert _read(path, tiny, cache) == (tiny.raw[NAME], False)
    assert len(md5_calls) == 1  # not hashed again
    index = json.loads((cache / "verified.json").read_text())
    assert list(index) == [str(path.resolve())]  # one entry: nothing else comes into the index
    entry = index[str(path.resolve())]
    stat = path.stat()
    assert entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns
    assert entry["md5"] == tiny.files[NAME][1]
    copy = cache / "fashion-mnist" / NAME
    assert copy.is_file() == gz  # a decompressed copy of a .gz only
    assert not gz or copy.read_bytes() == tiny.raw[NAME]
    assert sorted(p.name for p in cache.rglob(".*")) == []  # no temporary file left


def test_the_buffer_is_writable_and_new(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    for _ in range(2):  # hashed, then from the cache
        data, _ = read_verified(path, NAME, expected=tiny.files[NAME], cache=tmp_path / "c")
        assert not data.readonly
        data[0] = 0xFF
    assert _read(path, tiny, tmp_path / "c")[0] == tiny.raw[NAME]


def test_new_mtime_means_hashing_again(tiny: Tiny, tmp_path: Path, md5_calls: list[int]) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    _read(path, tiny, tmp_path / "cache")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _read(path, tiny, tmp_path / "cache")[1] and len(md5_calls) == 2


def test_a_file_changed_in_place_is_refused(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d", gz=False) / NAME
    _read(path, tiny, tmp_path / "cache")
    data = bytearray(tiny.raw[NAME])
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime
    with pytest.raises(DatasetError, match="expected MD5"):
        _read(path, tiny, tmp_path / "cache")


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_a_same_size_change_with_its_time_put_back_is_never_read(
    tiny: Tiny, tmp_path: Path, gz: bool
) -> None:
    """touch -r, cp -p or rsync -t of another file of the same size: size and mtime alone match."""
    path = tiny.write(tmp_path / "d", gz=gz) / (f"{NAME}.gz" if gz else NAME)
    _read(path, tiny, tmp_path / "cache")
    stat = path.stat()
    content = bytearray(tiny.raw[NAME])
    content[-1] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(content), mtime=0) if gz else bytes(content))
    if gz:  # the same compressed size too, or the size alone would tell
        assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    # the file itself is checked again, a .gz too (not only the copy of its content in the cache);
    # its stored block holds the content verbatim, so the CRC-32 of the whole .gz would not change
    with pytest.raises(DatasetError, match="expected MD5"):
        _read(path, tiny, tmp_path / "cache")


def test_a_gz_with_a_byte_damaged_and_its_time_put_back_is_verified_again(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int]
) -> None:
    """Bit rot in a .gz that was verified (then cached): ``gzip -t`` refuses it, and so must we."""
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    assert _read(path, tiny, tmp_path / "cache") == (tiny.raw[NAME], True)
    assert _read(path, tiny, tmp_path / "cache") == (tiny.raw[NAME], False)  # warm: no MD5
    stat = path.stat()
    damaged = bytearray(tiny.gz[NAME])
    damaged[len(damaged) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(gzip.BadGzipFile):  # the oracle: Python's gzip module
        gzip.decompress(bytes(damaged))
    with pytest.raises(DatasetError, match=rf"{NAME}\.gz: expected a valid gzip stream"):
        _read(path, tiny, tmp_path / "cache")
    assert len(md5_calls) == 2  # verified again, not served from the cache


def test_default_cache_is_linearnets_cache_dir(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    read_verified(path, NAME, expected=tiny.files[NAME])
    assert (tmp_path / "cache" / "verified.json").is_file()  # the per-test LINEARNETS_CACHE_DIR


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "", '{"x": 1}'])
def test_corrupt_index_is_ignored(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int], content: str
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    _read(path, tiny, cache)
    (cache / "verified.json").write_text(content)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True) and len(md5_calls) == 2
    assert not _read(path, tiny, cache)[1]  # the index was rewritten


def test_corrupt_entry_is_ignored(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    (cache).mkdir()
    (cache / "verified.json").write_text(json.dumps({str(path.resolve()): [1, 2, 3]}))
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)


@pytest.mark.parametrize("damage", ["short", "same size", "missing"])
def test_damaged_copy_means_hashing_again(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int], damage: str
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    _read(path, tiny, cache)
    copy = cache / "fashion-mnist" / NAME
    if damage == "missing":
        copy.unlink()
    elif damage == "short":
        copy.write_bytes(b"short")
    else:  # a flipped byte: caught by the copy's CRC-32
        data = bytearray(copy.read_bytes())
        data[-1] ^= 0x01
        copy.write_bytes(bytes(data))
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True) and len(md5_calls) == 2
    assert copy.read_bytes() == tiny.raw[NAME]  # the copy was rewritten


def test_another_expectation_is_verified_anew(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    _read(path, tiny, cache)
    size, _ = tiny.files[NAME]
    with pytest.raises(DatasetError, match=r"expected MD5 0{32}"):
        read_verified(path, NAME, expected=(size, "0" * 32), cache=cache)


def test_read_only_cache_is_not_an_error(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "file-not-folder"
    cache.write_text("")
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)


def test_multi_member_gzip_is_read_whole(tiny: Tiny, tmp_path: Path) -> None:
    raw = tiny.raw[NAME]
    path = tmp_path / f"{NAME}.gz"
    path.write_bytes(gzip.compress(raw[:1000]) + gzip.compress(raw[1000:]))
    assert _read(path, tiny, tmp_path / "cache") == (raw, True)


def test_chunked_inflating_matches(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "CHUNK", 7)  # many chunks: order and offsets in the hashing thread
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    assert _read(path, tiny, tmp_path / "cache") == (tiny.raw[NAME], True)
    assert (tmp_path / "cache" / "fashion-mnist" / NAME).read_bytes() == tiny.raw[NAME]


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


# (file content from the tiny file's raw IDX bytes r and its gzip g, error pattern)
MISMATCH = [
    ("gzip, wrong MD5", lambda r, g: gzip.compress(_flip(r, 100)), r"expected MD5 [0-9a-f]{32} for the decompressed train-images-idx3-ubyte, got [0-9a-f]{32}"),
    ("plain, wrong MD5", lambda r, g: _flip(r, 100), r"expected MD5 [0-9a-f]{32} for the decompressed train-images-idx3-ubyte, got"),
    ("gzip, too short", lambda r, g: gzip.compress(r[:-1]), r"expected \d+ bytes of train-images-idx3-ubyte once decompressed, got \d+"),
    ("gzip, too long", lambda r, g: gzip.compress(r + b"\0"), r"expected \d+ bytes of train-images-idx3-ubyte once decompressed, got more; this is another file — "),
    ("plain, too short", lambda r, g: r[:-1], r"expected \d+ bytes of train-images-idx3-ubyte once decompressed, got \d+"),
    ("plain, too long", lambda r, g: r + b"\0", r"expected \d+ bytes .* got \d+"),
    ("gzip cut short", lambda r, g: g[: len(g) // 2], r"the gzip stream is truncated"),
    ("gzip corrupt", lambda r, g: g[:20] + bytes(len(g) - 20), r"expected a valid gzip stream, got a corrupt one"),
    ("gzip bad CRC", lambda r, g: g[:-8] + bytes(4) + g[-4:], r"corrupt one \(.*incorrect data check"),
    ("junk after gzip", lambda r, g: g + b"junk", r"expected nothing after the gzip stream, got 4 extra bytes"),
    ("empty file", lambda r, g: b"", r"expected \d+ bytes .* got 0"),
    # refused by its size, before it is read whole: a wrong file of gigabytes never fills memory
    ("gzip far too big", lambda r, g: g + bytes(len(r) + (1 << 20)), r"expected a gzip file of at most \d+ bytes for train-images-idx3-ubyte \(\d+ bytes once decompressed\), got \d+ bytes; this is another file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "pattern"), [m[1:] for m in MISMATCH], ids=[m[0] for m in MISMATCH]
)
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_mismatch_names_the_file_and_the_fix(
    tiny: Tiny, tmp_path: Path, make: Any, pattern: str
) -> None:
    path = tmp_path / "d" / f"{NAME}.gz"
    path.parent.mkdir()
    path.write_bytes(make(tiny.raw[NAME], tiny.gz[NAME]))
    cache = tmp_path / "cache"
    for _ in range(2):  # refused every time: a failed check leaves nothing in the cache
        with pytest.raises(DatasetError, match=pattern) as info:
            _read(path, tiny, cache)
        message = str(info.value)
        assert message.startswith(str(path))
        # a download into the file's own folder replaces it (the package's folder is no other)
        assert message.endswith(get_again(path.parent))
    assert not (cache / "verified.json").exists()
    assert [p for p in cache.rglob("*") if p.is_file()] == []  # no copy, no temporary file


@pytest.fixture
def alarm(
    failing_after: Callable[[int, str], AbstractContextManager[None]],
) -> Iterator[None]:
    """Fail, rather than hang, a test whose open() of a FIFO would block (5 s)."""

    with failing_after(5, "blocked opening a cache entry"):
        yield


def test_an_empty_folder_in_place_of_the_copy_is_replaced(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int]
) -> None:
    """The tester's ``mkdir -p $LINEARNETS_CACHE_DIR/fashion-mnist/NAME``: not the data file's fault."""
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    copy = cache / "fashion-mnist" / NAME
    copy.mkdir(parents=True)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert copy.read_bytes() == tiny.raw[NAME]  # the folder gave way to the copy
    assert _read(path, tiny, cache) == (tiny.raw[NAME], False) and len(md5_calls) == 1


def test_a_folder_with_content_in_place_of_the_copy_is_left_and_ignored(
    tiny: Tiny, tmp_path: Path
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    copy = cache / "fashion-mnist" / NAME
    (copy / "someone's").mkdir(parents=True)
    for _ in range(2):  # verified each time, from the data file: the cache cannot hold its copy
        assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert (copy / "someone's").is_dir()
    assert sorted(p.name for p in copy.parent.iterdir()) == [NAME]  # no temporary file left


def test_a_folder_in_place_of_the_index_is_replaced(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    (cache / "verified.json").mkdir(parents=True)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("entry", ["verified.json", f"fashion-mnist/{NAME}"])
def test_a_fifo_in_the_cache_does_not_hang_a_run(
    tiny: Tiny, tmp_path: Path, alarm: None, entry: str
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    _read(path, tiny, cache)
    (cache / entry).unlink()
    os.mkfifo(cache / entry)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert (cache / entry).is_file()  # replaced by the real entry


def test_a_bad_cache_entry_is_not_blamed_on_the_data_file(tiny: Tiny, tmp_path: Path) -> None:
    """The whole read, as ``linearnets data --data-dir GOOD`` does it."""
    root = tiny.write(tmp_path / "good")
    for name in tiny.files:  # the per-test LINEARNETS_CACHE_DIR
        (tmp_path / "cache" / "fashion-mnist" / name).mkdir(parents=True)
    arrays = read_fashion_mnist(root, checksums=tiny.files)
    assert torch.equal(
        arrays.test_labels, torch.from_numpy(tiny.arrays["t10k-labels-idx1-ubyte"]).long()
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_never_read_as_the_index(tiny: Tiny, tmp_path: Path, alarm: None) -> None:
    """Not even one whose writer has put a valid index in it: only a regular file is an entry."""
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    _read(path, tiny, cache)
    index = (cache / "verified.json").read_bytes()
    (cache / "verified.json").unlink()
    os.mkfifo(cache / "verified.json")
    reader = os.open(cache / "verified.json", os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(cache / "verified.json", os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(writer, index)  # waiting in the pipe
        assert _read(path, tiny, cache) == (tiny.raw[NAME], True)  # hashed: the FIFO was not read
    finally:
        os.close(writer)
        os.close(reader)
    assert (cache / "verified.json").is_file()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts this process's open files")
def test_an_entry_of_the_wrong_kind_is_closed_again(tiny: Tiny, tmp_path: Path) -> None:
    """A folder in place of the index is opened (to be checked), then closed: no file is leaked."""
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    (cache / "verified.json" / "someone's").mkdir(parents=True)  # not empty: left in place
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert len(os.listdir("/proc/self/fd")) <= before


def test_a_full_disk_at_the_copys_last_flush_only_loses_the_copy(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    open_sink = verify.open_sink

    class FullAtFlush:
        def __init__(self, f: Any) -> None:
            self.f = f

        def write(self, data: bytes) -> int:
            return int(self.f.write(data))

        def fileno(self) -> int:
            return int(self.f.fileno())

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            self.f.close()
            raise OSError(errno.ENOSPC, "No space left on device")

    def sink(copy: Path) -> Any:
        opened = open_sink(copy)
        assert opened is not None
        return FullAtFlush(opened[0]), opened[1]

    monkeypatch.setattr(verify, "open_sink", sink)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert list((cache / "fashion-mnist").iterdir()) == []  # no copy, no temporary file
    index = json.loads((cache / "verified.json").read_text())
    assert index[str(path.resolve())]["md5"] == tiny.files[NAME][1]  # the file itself is verified


def test_a_full_disk_mid_copy_never_puts_a_partial_copy_in_place(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    monkeypatch.setattr(verify, "CHUNK", 1000)  # several chunks: the disk fills after the first
    open_sink = verify.open_sink

    class FullAfterOne:
        def __init__(self, f: Any) -> None:
            self.f, self.writes = f, 0

        def write(self, data: bytes) -> int:
            self.writes += 1
            if self.writes > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            return int(self.f.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.f, name)

    def sink(copy: Path) -> Any:
        opened = open_sink(copy)
        assert opened is not None
        return FullAfterOne(opened[0]), opened[1]

    monkeypatch.setattr(verify, "open_sink", sink)
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert list((cache / "fashion-mnist").iterdir()) == []  # no partial copy, no temporary file


def _temp(folder: Path, name: str) -> Path:
    """Make a copy's temporary file as a run killed mid-copy (kill -9) leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, made = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.write(fd, b"part of a copy")
    os.close(fd)
    return Path(made)


def test_temporary_files_of_a_killed_run_are_removed_and_a_live_ones_kept(
    tiny: Tiny, tmp_path: Path
) -> None:
    """As a download's .part files: only one that no live process holds locked is removed."""
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    copies = cache / "fashion-mnist"
    killed = [_temp(copies, NAME), _temp(copies, "t10k-images-idx3-ubyte")]
    killed.append(_temp(cache, "verified.json"))
    live = _temp(copies, "t10k-labels-idx1-ubyte")
    kept = [copies / "notes.tmp", cache / ".verified.json.abc.tmp"]  # not mkstemp's names
    for other in kept:
        other.write_text("the user's")
    with live.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run is writing it
        assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    assert not any(p.exists() for p in killed) and live.exists()
    assert all(p.read_text() == "the user's" for p in kept)
    assert sorted(p.name for p in copies.iterdir()) == sorted([NAME, live.name, "notes.tmp"])


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_a_killed_runs_temporary_files_are_removed_by_a_run_the_cache_answers(
    tiny: Tiny, tmp_path: Path, gz: bool
) -> None:
    """A run killed while another filled the cache leaves its temporary files to runs that hash
    nothing: they remove them too, rather than keep a partial copy (up to 47 MB) for good."""
    path = tiny.write(tmp_path / "d", gz=gz) / (f"{NAME}.gz" if gz else NAME)
    cache = tmp_path / "cache"
    assert _read(path, tiny, cache)[1]
    killed = [_temp(cache / "fashion-mnist", NAME), _temp(cache, "verified.json")]
    live = _temp(cache / "fashion-mnist", "t10k-labels-idx1-ubyte")
    with live.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run is writing it
        assert _read(path, tiny, cache) == (tiny.raw[NAME], False)
    assert not any(p.exists() for p in killed) and live.exists()


def test_a_load_the_cache_answers_lists_each_cache_folder_once(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clean-up of killed runs' temporary files listed both cache folders once a file: 8
    listings (~47 us each) for the four files of one load, where 2 do."""
    root = tiny.write(tmp_path / "d")
    cache = tmp_path / "cache"  # LINEARNETS_CACHE_DIR (conftest)
    read_fashion_mnist(root, checksums=tiny.files)  # hashes, fills the cache
    fashion_mnist_memo.MEMO.clear()
    killed = [_temp(cache / "fashion-mnist", NAME), _temp(cache, "verified.json")]
    listed: list[Path] = []
    real_remove = cache_module.remove_stale_temps

    def counting(folder: Path, pattern: Any) -> None:
        listed.append(folder)
        real_remove(folder, pattern)

    monkeypatch.setattr(cache_module, "remove_stale_temps", counting)
    arrays = read_fashion_mnist(root, checksums=tiny.files)
    assert not arrays.hashed  # the cache answered every file
    assert sorted(listed) == [cache, cache / "fashion-mnist"]
    assert not any(p.exists() for p in killed)  # still removed


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_another_fashion_mnist_file_under_this_name_is_named(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool
) -> None:
    """The test images under the training images' name (files swapped, or one copied over the
    other) were "truncated or another file", whose one fix was a download: the message names the
    file it is, by its size and MD5, and the fix a rename is."""
    monkeypatch.setattr(verify, "FASHION_MNIST_FILES", tiny.files)  # the files it may be
    other = "t10k-images-idx3-ubyte"
    path = tmp_path / "d" / (f"{NAME}.gz" if gz else NAME)
    path.parent.mkdir()
    path.write_bytes(tiny.gz[other] if gz else tiny.raw[other])
    size, found = tiny.files[NAME][0], tiny.files[other][0]
    assert found < size
    with pytest.raises(DatasetError) as info:
        _read(path, tiny, tmp_path / "cache")
    assert str(info.value) == (
        f"{path}: expected {size} bytes of {NAME} once decompressed, got {found}, the size and "
        f"MD5 of {other}: that file is here under the name of {NAME} — put each file under its "
        f"own name, or {get_again(path.parent)}"
    )
    shorter = tiny.raw[other][:-1]  # not that file: said as before
    path.write_bytes(gzip.compress(shorter) if gz else shorter)
    with pytest.raises(DatasetError, match=r"got \d+; the file is truncated or another file — "):
        _read(path, tiny, tmp_path / "cache")


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_a_longer_fashion_mnist_file_under_a_shorter_ones_name_is_named(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool
) -> None:
    """The training images copied over the test images: a .gz's content was inflated only to the
    expected size, so it was "got more; this is another file" with a download for the one fix,
    where the same file uncompressed was named."""
    monkeypatch.setattr(verify, "FASHION_MNIST_FILES", tiny.files)  # the files it may be
    name = "t10k-images-idx3-ubyte"
    path = tmp_path / "d" / (f"{name}.gz" if gz else name)
    path.parent.mkdir()
    path.write_bytes(tiny.gz[NAME] if gz else tiny.raw[NAME])
    size, found = tiny.files[name][0], tiny.files[NAME][0]
    assert found > size
    with pytest.raises(DatasetError) as info:
        read_verified(path, name, expected=tiny.files[name], cache=tmp_path / "cache")
    assert str(info.value) == (
        f"{path}: expected {size} bytes of {name} once decompressed, got {found}, the size and "
        f"MD5 of {NAME}: that file is here under the name of {name} — put each file under its "
        f"own name, or {get_again(path.parent)}"
    )
    longer = tiny.raw[NAME] + b"\0"  # no file of the set: said as before
    path.write_bytes(gzip.compress(longer) if gz else longer)
    with pytest.raises(DatasetError, match=r"got (more|\d+); this is another file — "):
        read_verified(path, name, expected=tiny.files[name], cache=tmp_path / "cache")


def test_the_remembered_crc_covers_every_chunk_of_the_content(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inflated in several chunks, the CRC-32 saved is the whole content's (zlib's, in one go), so
    the next run reads the kept copy back instead of hashing the file again."""
    monkeypatch.setattr(verify, "CHUNK", 1000)
    assert len(tiny.raw[NAME]) > 3 * 1000  # several chunks
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    assert _read(path, tiny, cache) == (tiny.raw[NAME], True)
    entry = json.loads((cache / "verified.json").read_text())[str(path.resolve())]
    assert entry["crc32"] == zlib.crc32(tiny.raw[NAME])
    assert _read(path, tiny, cache) == (tiny.raw[NAME], False)


def test_a_file_of_another_files_size_but_not_its_md5_is_not_named_as_that_file(
    tmp_path: Path,
) -> None:
    """Only the size and the MD5 together name the file of the set it is: zeros of the training
    labels' size under the test labels' name are just another file."""
    name = "t10k-labels-idx1-ubyte"
    train_size = FASHION_MNIST_FILES["train-labels-idx1-ubyte"][0]
    path = tmp_path / name
    path.write_bytes(bytes(train_size))
    size = FASHION_MNIST_FILES[name][0]
    with pytest.raises(DatasetError) as info:
        read_verified(path, name, expected=FASHION_MNIST_FILES[name], cache=tmp_path / "c")
    assert str(info.value) == (
        f"{path}: expected {size} bytes of {name} once decompressed, got {train_size}; this is "
        f"another file — {how_to_replace(path)}"
    )


def test_a_gzip_padded_with_zeros_up_to_the_bound_is_read_and_one_byte_more_is_refused(
    tiny: Tiny, tmp_path: Path
) -> None:
    """The bound is the content's size, plus 1/1024 of it (deflate's worst growth is 5 bytes a
    64 KiB block), plus 1 MiB for headers and zero padding (which gzip allows after the stream)."""
    size = tiny.files[NAME][0]
    bound = size + size // 1024 + (1 << 20)
    assert size // 1024 > 0  # the 1/1024 share counts here
    path = tmp_path / "d" / f"{NAME}.gz"
    path.parent.mkdir()
    path.write_bytes(tiny.gz[NAME] + bytes(bound - len(tiny.gz[NAME])))
    assert _read(path, tiny, tmp_path / "cache")[0] == tiny.raw[NAME]
    path.write_bytes(tiny.gz[NAME] + bytes(bound + 1 - len(tiny.gz[NAME])))
    with pytest.raises(
        DatasetError,
        match=rf"^{re.escape(str(path))}: expected a gzip file of at most {bound} bytes for {NAME} "
        rf"\({size} bytes once decompressed\), got {bound + 1} bytes; this is another file — ",
    ):
        _read(path, tiny, tmp_path / "cache")


def test_a_debian_package_file_of_other_content_is_restored_by_a_reinstall(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "move it out of /usr/share/...": the package owns that folder, and a reinstall puts its
    own file back."""
    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    path = package / f"{NAME}.gz"
    path.write_bytes(gzip.compress(_flip(tiny.raw[NAME], 100), mtime=0))
    with pytest.raises(OtherContentError) as info:
        _read(path, tiny, tmp_path / "cache")
    assert str(info.value).endswith(
        "the file is corrupt, or another dataset's (MNIST's files have Fashion-MNIST's names and "
        "sizes) — get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores "
        "the Debian package's files; without the rights to, "
        "linearnets.data.download.download_fashion_mnist('DIR') fetches all four into DIR where a "
        "network exists, then pass root=DIR (or set LINEARNETS_DATA)"
    )


def test_a_debian_package_file_read_through_a_link_is_restored_by_a_reinstall(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link to the package's folder was told to move the file out of the link's folder, then
    to reinstall: it is the package's own file (a link is followed), restored by the reinstall."""
    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    (package / f"{NAME}.gz").write_bytes(gzip.compress(_flip(tiny.raw[NAME], 100), mtime=0))
    link = tmp_path / "linked"
    link.symlink_to(package, target_is_directory=True)
    with pytest.raises(OtherContentError) as info:
        _read(link / f"{NAME}.gz", tiny, tmp_path / "cache")
    assert str(info.value).endswith(
        "sizes) — get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores "
        "the Debian package's files; without the rights to, "
        "linearnets.data.download.download_fashion_mnist('DIR') fetches all four into DIR where a "
        "network exists, then pass root=DIR (or set LINEARNETS_DATA)"
    ), str(info.value)


PAGE = (
    "an HTML page",
    "a web page saved under the file's name (a server's error page, or a page saved from a browser)",
)
TEXT = "text", "text saved under the file's name (a server's error message, say)"
SAVED_BODIES = [
    ("html", b"<html><body>Not found</body></html>\n", "<html><body>Not found</body></html>", PAGE),
    ("doctype", b"\n<!DOCTYPE html>\n<title>Sign in</title>\n", "<!DOCTYPE html> <title>Sign in</title>", PAGE),
    # a UTF-8 BOM was quoted as '\ufeff<!DOCTYPE ...', and hid the doctype
    ("bom", b"\xef\xbb\xbf<!DOCTYPE html>\n<title>Sign in</title>\n", "<!DOCTYPE html> <title>Sign in</title>", PAGE),
    # a storage service's error: never decompressed, no file cut short
    ("xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>\n',
     '<?xml version="1.0" encoding="UTF-8"?> <', TEXT),
    ("json", b'{"error": {"code": 403, "message": "The caller does not have permission"}}\n',
     '{"error": {"code": 403, "message": "The ', TEXT),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "start", "kind"), [b[1:] for b in SAVED_BODIES], ids=[b[0] for b in SAVED_BODIES]
)
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_a_web_page_or_a_message_under_the_files_name_is_told_so(
    tiny: Tiny, tmp_path: Path, body: bytes, start: str, kind: tuple[str, str]
) -> None:
    """An HTML page, or an S3 XML or JSON error body, saved as t10k-labels-idx1-ubyte.gz beside
    three valid files was told "expected 10008 bytes ... once decompressed, got 36; the file is
    truncated or another file": it is no gzip file but that page or text, as a download's check
    says of one a mirror sends."""
    folder = tiny.write(tmp_path / "d")
    name = "t10k-labels-idx1-ubyte"
    path = folder / f"{name}.gz"
    path.write_bytes(body)
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(folder, checksums=tiny.files)
    looks, what = kind
    assert str(info.value) == (
        f"{path}: expected a gzip file of {name} or the {tiny.files[name][0]}-byte file itself, "
        f"got {len(body)} bytes that are neither ({looks}, starting {start!r}): no gzip file but "
        f"{what} — {get_again(folder)}"
    )


@pytest.mark.parametrize("compressible", [True, False], ids=["shorter-inner-gz", "longer"])
@pytest.mark.usefixtures("no_debian")
def test_a_gz_file_gzipped_twice_is_told_to_be_gunzipped_once(
    tiny: Tiny, tmp_path: Path, compressible: bool
) -> None:
    """A downloaded .gz gzipped again (by a browser, a `gzip` run over the folder) was "expected
    ... bytes once decompressed, got N; the file is truncated or another file": its content starts
    with gzip's magic bytes 1f 8b again, and gunzipped once it is the file."""
    # Fashion-MNIST's files compress to a third (the inner gzip shorter than the file); random
    # pixels do not
    raw = bytes(20_000) if compressible else tiny.raw[NAME]
    expected = (len(raw), hashlib.md5(raw).hexdigest())
    path = tmp_path / "d" / f"{NAME}.gz"
    path.parent.mkdir()
    once = gzip.compress(raw, mtime=0)
    path.write_bytes(gzip.compress(once, mtime=0))
    shown = str(len(once)) if compressible else "more"
    with pytest.raises(DatasetError) as info:
        read_verified(path, NAME, expected=expected, cache=tmp_path / "cache")
    assert str(info.value) == (
        f"{path}: expected {len(raw)} bytes of {NAME} once decompressed, got {shown}, which are "
        "gzip again (they start with gzip's magic bytes 1f 8b): the file is gzipped twice (a "
        f"downloaded .gz gzipped again) — gunzip it once: gunzip -c {path} > {path}.once && mv "
        f"{path}.once {path}"
    )
    if shutil.which("gunzip") is None:  # what the command does
        path.write_bytes(gzip.decompress(path.read_bytes()))
    else:  # as told
        subprocess.run(["sh", "-c", str(info.value).rsplit(": ", 1)[1]], check=True)
    data, _ = read_verified(path, NAME, expected=expected, cache=tmp_path / "cache")
    assert bytes(data) == raw
