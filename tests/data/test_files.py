"""Finding the files (each search location, in order) and verifying them once (the verified cache)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.data import files
from linearnets.data.files import cache_dir, find_fashion_mnist, read_verified
from linearnets.errors import DatasetError, UsageError

from .conftest import Tiny

LOCATIONS = ["env", "debian", "data", "parent-data", "keras"]


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One empty folder per search location, wired in: env var, Debian dir, cwd, ../, home."""
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    folders = {
        "env": tmp_path / "env",
        "debian": tmp_path / "debian",
        "data": work / "data" / "FashionMNIST" / "raw",
        "parent-data": tmp_path / "project" / "data" / "FashionMNIST" / "raw",
        "keras": home / ".keras" / "datasets" / "fashion-mnist",
    }
    monkeypatch.setenv("LINEARNETS_DATA", str(folders["env"]))
    monkeypatch.setattr(files, "_debian_dir", lambda: folders["debian"])
    return folders


LABELS = {
    "env": "$LINEARNETS_DATA",
    "debian": "Debian package",
    "data": "data/FashionMNIST/raw",
    "parent-data": "../data/FashionMNIST/raw",
    "keras": "Keras cache",
}


@pytest.mark.parametrize("first", range(len(LOCATIONS)), ids=LOCATIONS)
def test_each_location_in_order(places: dict[str, Path], tiny: Tiny, first: int) -> None:
    for where in LOCATIONS[first:]:  # every later location holds the files too: the earliest wins
        tiny.write(places[where])
    found = find_fashion_mnist(files=tiny.files)
    where = LOCATIONS[first]
    assert LABELS[where] in found.source
    assert found.directory.resolve() in (
        places[where].resolve(),
        places[where].parents[1].resolve(),
    )
    assert set(found.paths) == set(tiny.files)
    assert all(p.resolve().parent == places[where].resolve() for p in found.paths.values())


def test_explicit_root_comes_first(places: dict[str, Path], tiny: Tiny, tmp_path: Path) -> None:
    for where in LOCATIONS:
        tiny.write(places[where])
    root = tiny.write(tmp_path / "mine", gz=False)
    found = find_fashion_mnist(root, files=tiny.files)
    assert found.source == f"--data-dir {root}"
    assert found.paths["train-images-idx3-ubyte"] == root / "train-images-idx3-ubyte"


def test_root_with_torchvision_layout(places: dict[str, Path], tiny: Tiny, tmp_path: Path) -> None:
    tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    found = find_fashion_mnist(tmp_path / "root", files=tiny.files)
    assert (
        found.paths["t10k-labels-idx1-ubyte"].parent == tmp_path / "root" / "FashionMNIST" / "raw"
    )


def test_unset_env_and_missing_debian_are_skipped(
    places: dict[str, Path], tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEARNETS_DATA")
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    tiny.write(places["keras"])
    assert "Keras" in find_fashion_mnist(files=tiny.files).source


def test_a_location_missing_one_file_is_passed_over(places: dict[str, Path], tiny: Tiny) -> None:
    tiny.write(places["env"])
    (places["env"] / "t10k-labels-idx1-ubyte.gz").unlink()
    tiny.write(places["keras"])
    assert "Keras" in find_fashion_mnist(files=tiny.files).source


def test_explicit_root_missing_files_lists_them(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    (root / "train-labels-idx1-ubyte.gz").unlink()
    (root / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(
        UsageError, match=r"missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte;"
    ):
        find_fashion_mnist(root, files=tiny.files)


def test_explicit_root_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--data-dir must be an existing folder, got .*nowhere"):
        find_fashion_mnist(tmp_path / "nowhere")


def test_nothing_found_says_how_to_get_it(places: dict[str, Path], tiny: Tiny) -> None:
    with pytest.raises(DatasetError) as info:
        find_fashion_mnist(files=tiny.files)
    message = str(info.value)
    assert "was not found" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "linearnets data download" in message
    assert str(places["env"]) in message  # says where it looked


def test_debian_dir_from_dpkg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    listing = f"/.\n{tmp_path}/pkg\n{tmp_path}/pkg/train-images-idx3-ubyte.gz\n"
    fake = SimpleNamespace(stdout=listing)
    monkeypatch.setattr(files.subprocess, "run", lambda *a, **k: fake)
    assert files._debian_dir() == tmp_path / "pkg"


def test_debian_dir_without_dpkg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_dpkg(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("dpkg")

    monkeypatch.setattr(files.subprocess, "run", no_dpkg)
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path)
    assert files._debian_dir() == tmp_path
    monkeypatch.setattr(files, "DEBIAN_DIR", tmp_path / "absent")
    assert files._debian_dir() is None


def test_debian_dir_when_dpkg_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired("dpkg", 10)

    monkeypatch.setattr(files.subprocess, "run", hang)
    monkeypatch.setattr(files, "DEBIAN_DIR", Path("/nonexistent-linearnets"))
    assert files._debian_dir() is None


def test_cache_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("LINEARNETS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "linearnets"


# --- verification ---------------------------------------------------------------------------------

NAME = "train-images-idx3-ubyte"


@pytest.fixture
def md5_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the MD5 computations read_verified makes."""
    calls: list[int] = []

    def counting(data: bytes, **kwargs: Any) -> Any:
        calls.append(len(data))
        return hashlib.md5(data, **kwargs)

    monkeypatch.setattr(files, "hashlib", SimpleNamespace(md5=counting))
    return calls


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_verified_once_then_read_from_the_cache(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int], gz: bool
) -> None:
    path = tiny.write(tmp_path / "d", gz=gz) / (f"{NAME}.gz" if gz else NAME)
    cache = tmp_path / "cache"
    data, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    assert (data, hashed) == (tiny.raw[NAME], True)
    assert len(md5_calls) == 1
    data, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    assert (data, hashed) == (tiny.raw[NAME], False)
    assert len(md5_calls) == 1  # not hashed again
    assert (cache / "verified.json").is_file()
    assert (cache / "fashion-mnist" / NAME).is_file() == gz  # decompressed copy of a .gz only


def test_new_mtime_means_hashing_again(tiny: Tiny, tmp_path: Path, md5_calls: list[int]) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    read_verified(path, NAME, expected=tiny.files[NAME], cache=tmp_path / "cache")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=tmp_path / "cache")
    assert hashed and len(md5_calls) == 2


def test_default_cache_is_linearnets_cache_dir(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    read_verified(path, NAME, expected=tiny.files[NAME])
    assert (tmp_path / "cache" / "verified.json").is_file()  # the per-test LINEARNETS_CACHE_DIR


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_corrupt_index_is_ignored(
    tiny: Tiny, tmp_path: Path, md5_calls: list[int], content: str
) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    (cache / "verified.json").write_text(content)
    data, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    assert data == tiny.raw[NAME] and hashed and len(md5_calls) == 2
    _, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    assert not hashed  # the index was rewritten


def test_missing_copy_means_hashing_again(tiny: Tiny, tmp_path: Path, md5_calls: list[int]) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    (cache / "fashion-mnist" / NAME).write_bytes(b"short")
    data, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    assert data == tiny.raw[NAME] and hashed


def test_another_expectation_is_verified_anew(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "cache"
    read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    size, _ = tiny.files[NAME]
    with pytest.raises(DatasetError, match=r"expected MD5 0{32}"):
        read_verified(path, NAME, expected=(size, "0" * 32), cache=cache)


def test_read_only_cache_is_not_an_error(tiny: Tiny, tmp_path: Path) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    cache = tmp_path / "file-not-folder"
    cache.write_text("")
    data, hashed = read_verified(path, NAME, expected=tiny.files[NAME], cache=cache)
    assert data == tiny.raw[NAME] and hashed


MISMATCH = [
    ("wrong size", lambda size, md5: (size + 1, md5), r"expected \d+ bytes of train-images-idx3-ubyte once decompressed, got \d+"),
    ("wrong MD5", lambda size, md5: (size, "f" * 32), r"expected MD5 f{32} for the decompressed train-images-idx3-ubyte, got [0-9a-f]{32}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "pattern"), [m[1:] for m in MISMATCH], ids=[m[0] for m in MISMATCH]
)
def test_mismatch_names_the_file(tiny: Tiny, tmp_path: Path, change: Any, pattern: str) -> None:
    path = tiny.write(tmp_path / "d") / f"{NAME}.gz"
    with pytest.raises(DatasetError, match=pattern) as info:
        read_verified(path, NAME, expected=change(*tiny.files[NAME]), cache=tmp_path / "cache")
    assert str(info.value).startswith(str(path))
    assert "apt-get install dataset-fashion-mnist" in str(info.value)


def test_corrupt_file_is_refused_and_not_remembered(tiny: Tiny, tmp_path: Path) -> None:
    folder = tiny.write(tmp_path / "d", gz=False)
    path = folder / NAME
    data = bytearray(tiny.raw[NAME])
    data[100] ^= 0xFF  # same size, one byte flipped
    path.write_bytes(bytes(data))
    for _ in range(2):  # refused every time: a failed check leaves nothing in the cache
        with pytest.raises(DatasetError, match=f"{path}: expected MD5"):
            read_verified(path, NAME, expected=tiny.files[NAME], cache=tmp_path / "cache")


def test_missing_files_are_listed_for_the_torchvision_layout(tiny: Tiny, tmp_path: Path) -> None:
    raw = tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    (raw / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(UsageError, match=r"missing t10k-images-idx3-ubyte;"):
        find_fashion_mnist(tmp_path / "root", files=tiny.files)
