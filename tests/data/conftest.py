"""Fixtures for the data layer: tiny IDX files (raw and gzipped) with their checksums, and the real set.

Every test gets its own cache folder (``LINEARNETS_CACHE_DIR``) and a clean in-process memo, so nothing
leaks between tests or into the user's cache; the real Fashion-MNIST is read once per session.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import subprocess
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.data import fashion_mnist_memo, files
from linearnets.data.fashion_mnist import FashionMNISTArrays, read_fashion_mnist

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")
NO_REAL_DATA = (
    f"the real Fashion-MNIST is not in {REAL_DIR} (sudo apt-get install dataset-fashion-mnist)"
)
NUM_TRAIN, NUM_TEST = 5, 3


def idx_bytes(array: np.ndarray) -> bytes:
    """Return ``array`` (uint8) encoded as an IDX file."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@dataclass(frozen=True)
class Tiny:
    """Four tiny Fashion-MNIST-like files: their arrays, encoded bytes and (size, MD5) table."""

    arrays: dict[str, np.ndarray]
    raw: dict[str, bytes]  # decompressed IDX bytes
    gz: dict[str, bytes]  # the same, gzipped
    files: dict[str, tuple[int, str]]  # name -> (decompressed size, MD5)

    def write(self, folder: Path, *, gz: bool = True) -> Path:
        """Write the four files into ``folder`` (created), as ``<name>.gz`` or plain; return it."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.files:
            if gz:
                (folder / f"{name}.gz").write_bytes(self.gz[name])
            else:
                (folder / name).write_bytes(self.raw[name])
        return folder


@pytest.fixture(scope="session")
def tiny() -> Tiny:
    """5 training and 3 test random 28x28 images with labels, as IDX bytes and checksums."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (NUM_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, NUM_TRAIN, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (NUM_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, NUM_TEST, dtype=np.uint8),
    }
    raw = {name: idx_bytes(a) for name, a in arrays.items()}
    gz = {name: gzip.compress(b, mtime=0) for name, b in raw.items()}
    files = {name: (len(b), hashlib.md5(b).hexdigest()) for name, b in raw.items()}
    return Tiny(arrays, raw, gz, files)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Give each test its own cache folder and an empty memo (the real set's entry is restored after)."""
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "cache"))
    saved = dict(fashion_mnist_memo.MEMO)
    fashion_mnist_memo.MEMO.clear()
    yield
    fashion_mnist_memo.MEMO.clear()
    fashion_mnist_memo.MEMO.update(saved)


@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory) -> FashionMNISTArrays:
    """The real Fashion-MNIST, read and verified once per session (skips when it is not installed)."""
    if not REAL_DIR.is_dir():
        pytest.skip(NO_REAL_DATA)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINEARNETS_CACHE_DIR", str(tmp_path_factory.mktemp("real-cache")))
        arrays = read_fashion_mnist(REAL_DIR)
    _REAL_MEMO.update({k: v for k, v in fashion_mnist_memo.MEMO.items() if v is arrays})
    return arrays


_REAL_MEMO: dict[tuple[Hashable, ...], FashionMNISTArrays] = {}


@pytest.fixture
def real_memo(real: FashionMNISTArrays, monkeypatch: pytest.MonkeyPatch) -> FashionMNISTArrays:
    """The real set, also in the memo, and the first place a search looks (the Debian folder)."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: REAL_DIR)
    fashion_mnist_memo.MEMO.update(_REAL_MEMO)
    return real


def get_again(folder: str | Path) -> str:
    """Return the fix of a damaged file read from ``folder``, in the Python API's words, where the
    Debian package is not installed (see :func:`linearnets.data.files.how_to_replace`)."""
    return f"get it again where a network exists: linearnets.data.download.download_fashion_mnist({str(folder)!r})"


def as_float_images(images: torch.Tensor) -> torch.Tensor:
    """Return uint8 (N, H, W) as float32 (N, 1, H, W) in [0, 1]."""
    return images.to(torch.float32).div(255).unsqueeze(1)


@pytest.fixture
def no_debian(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine as one without the Debian package, whose fixes say to install it (with it
    installed they point at its folder)."""
    monkeypatch.setattr(files, "_debian_dir", lambda: None)


def dpkg_lists(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Have ``dpkg -L dataset-fashion-mnist`` list the package's files in ``folder`` (installed,
    whether or not they are there), and no package folder where dpkg is absent; the package's
    folder is looked up again (where ``no_debian`` left none)."""
    run = subprocess.run
    listing = SimpleNamespace(stdout=f"/.\n{folder}\n{folder}/train-images-idx3-ubyte.gz\n")

    def fake(args: Any, *rest: Any, **kwargs: Any) -> Any:
        return listing if args[:2] == ["dpkg", "-L"] else run(args, *rest, **kwargs)

    monkeypatch.setattr(files.subprocess, "run", fake)
    monkeypatch.setattr(files, "DEBIAN_DIR", folder.parent / "absent")
    monkeypatch.setattr(files, "_debian_dir", _DEBIAN_DIR_LOOKUP)  # no_debian's undone


_DEBIAN_DIR_LOOKUP = files._debian_dir  # as the module has it, before any test replaces it


@pytest.fixture
def no_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """No home folder, as for a uid without a user-database entry under ``env -i``: HOME unset and
    the user database knowing nobody."""
    pwd = pytest.importorskip("pwd")  # POSIX

    def unknown(*args: object) -> Any:
        raise KeyError(args)

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    monkeypatch.setattr(pwd, "getpwnam", unknown)
    # the oracle: pathlib itself cannot tell a home folder then
    with pytest.raises(RuntimeError, match="Could not determine home directory"):
        Path.home()


def broken_link(folder: Path, name: str, kind: str) -> tuple[Path, str]:
    """Make ``folder/name`` a symbolic link to nowhere (``kind`` "broken") or to itself ("loop");
    return it and what the library's messages say of it (path_checks.link_problem's words)."""
    link = folder / name
    link.symlink_to(folder / "gone" if kind == "broken" else link)
    what = (
        f"{link} is a symbolic link to {folder / 'gone'}, which does not exist"
        if kind == "broken"
        else f"{link} is a symbolic link that loops back to itself"
    )
    return link, what
