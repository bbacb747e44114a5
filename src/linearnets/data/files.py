"""Finding the Fashion-MNIST files on this machine and verifying them, once (D2L §3.5.1).

Search order: an explicit ``root`` (``--data-dir``); ``$LINEARNETS_DATA``; the Debian package
``dataset-fashion-mnist``; a torchvision-style ``data/FashionMNIST/raw`` (here or in ``..``); the Keras
cache ``~/.keras/datasets/fashion-mnist``. Each folder may hold the files gzipped or not, directly or in
``FashionMNIST/raw``. Verification checks the decompressed size and MD5 of every file; a verified file is
remembered (by path, size and mtime) and its decompressed bytes are kept in the cache folder, so later
runs read them directly instead of inflating and hashing again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from linearnets.data.idx import decompress
from linearnets.errors import DatasetError, UsageError

__all__ = [
    "FASHION_MNIST_FILES",
    "Found",
    "cache_dir",
    "find_fashion_mnist",
    "read_verified",
]

# decompressed size and MD5 of each file (Debian re-gzipped them, so .gz hashes differ from upstream)
FASHION_MNIST_FILES: dict[str, tuple[int, str]] = {
    "train-images-idx3-ubyte": (47040016, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train-labels-idx1-ubyte": (60008, "9018921c3c673c538a1fc5bad174d6f9"),
    "t10k-images-idx3-ubyte": (7840016, "8181f5470baa50b63fa0f6fddb340f0a"),
    "t10k-labels-idx1-ubyte": (10008, "15d484375f8d13e6eb1aabb0c3f46965"),
}
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
HOW_TO_GET = (
    "get it with 'sudo apt-get install dataset-fashion-mnist', or 'linearnets data download --data-dir DIR' "
    "where a network exists, then pass --data-dir DIR (or set LINEARNETS_DATA)"
)


@dataclass(frozen=True)
class Found:
    """Where the four files were found: the folder, which search location it was, and each file's path."""

    directory: Path
    source: str
    paths: dict[str, Path]


def _files_in(directory: Path, names: dict[str, tuple[int, str]]) -> dict[str, Path] | None:
    """Return each file's path in ``directory`` (plain or .gz; also under FashionMNIST/raw), if all exist."""
    for folder in (directory, directory / "FashionMNIST" / "raw"):
        paths = {}
        for name in names:
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_file():
                    paths[name] = candidate
                    break
        if len(paths) == len(names):
            return paths
    return None


def _debian_dir() -> Path | None:
    try:
        listing = subprocess.run(
            ["dpkg", "-L", DEBIAN_PACKAGE], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():
        if line.endswith("train-images-idx3-ubyte.gz"):
            return Path(line).parent
    return DEBIAN_DIR if DEBIAN_DIR.is_dir() else None


def _candidates(root: Path | None) -> list[tuple[str, Path | None]]:
    env = os.environ.get("LINEARNETS_DATA")
    return [
        ("$LINEARNETS_DATA", Path(env).expanduser() if env else None),
        (f"Debian package {DEBIAN_PACKAGE}", _debian_dir()),
        ("torchvision-style data/FashionMNIST/raw", Path("data")),
        ("torchvision-style ../data/FashionMNIST/raw (the book's root)", Path("..") / "data"),
        (
            "Keras cache ~/.keras/datasets/fashion-mnist",
            Path.home() / ".keras" / "datasets" / "fashion-mnist",
        ),
    ]


def find_fashion_mnist(
    root: str | Path | None = None, *, files: dict[str, tuple[int, str]] | None = None
) -> Found:
    """Return where the Fashion-MNIST files are, searching the locations in order (see the module doc).

    Raises:
        UsageError: ``root`` is given but is not a folder, or lacks some of the files.
        DatasetError: no location holds the files; the message says how to get them.
    """
    names = files or FASHION_MNIST_FILES
    if root is not None:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise UsageError(f"--data-dir must be an existing folder, got {root}; {HOW_TO_GET}")
        paths = _files_in(root, names)
        if paths is None:
            missing = min(  # relative to whichever layout holds more of the files
                (
                    [n for n in names if not any((f / p).is_file() for p in (n, f"{n}.gz"))]
                    for f in (root, root / "FashionMNIST" / "raw")
                ),
                key=len,
            )
            raise UsageError(
                f"--data-dir {root} must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), "
                f"missing {', '.join(missing)}; {HOW_TO_GET}"
            )
        return Found(root, f"--data-dir {root}", paths)
    searched = []
    for label, directory in _candidates(None):
        if directory is None:
            continue
        searched.append(str(directory))
        paths = _files_in(directory, names)
        if paths is not None:
            return Found(directory, f"{label}: {directory}", paths)
    raise DatasetError(
        f"Fashion-MNIST was not found (searched {', '.join(searched)}); {HOW_TO_GET}"
    )


def cache_dir() -> Path:
    """Return the folder for linearnets' cache: ``$LINEARNETS_CACHE_DIR``, else the XDG cache folder."""
    env = os.environ.get("LINEARNETS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "linearnets"


def _load_index(path: Path) -> dict[str, dict[str, object]]:
    try:
        index = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # a missing or corrupt index only costs a re-verification
    return index if isinstance(index, dict) else {}


def _save_index(path: Path, index: dict[str, dict[str, object]]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
        os.replace(tmp, path)
    except OSError:  # a read-only cache is not an error: the next run verifies again
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def read_verified(
    path: Path, name: str, *, expected: tuple[int, str], cache: Path | None = None
) -> tuple[bytes, bool]:
    """Return the decompressed bytes of ``path`` after checking their size and MD5, and whether it hashed.

    A file verified before (same resolved path, size and mtime) is read from the cache folder's copy of
    its decompressed bytes without hashing again.

    Raises:
        DatasetError: the content is corrupt, truncated or not the expected file.
    """
    size, md5 = expected
    cache = cache if cache is not None else cache_dir()
    index_path = cache / "verified.json"
    index = _load_index(index_path)
    resolved, file_size, mtime = _key(path)
    entry = index.get(resolved)
    copy = cache / "fashion-mnist" / name
    if entry == {"size": file_size, "mtime_ns": mtime, "md5": md5}:
        if path.suffix != ".gz":
            data = path.read_bytes()
            if len(data) == size:
                return data, False
        elif copy.is_file() and copy.stat().st_size == size:
            return copy.read_bytes(), False
    data = decompress(path.read_bytes(), name=str(path), limit=size)
    if len(data) != size:
        raise DatasetError(
            f"{path}: expected {size} bytes of {name} once decompressed, got {len(data)}; "
            f"the file is truncated or another file — {HOW_TO_GET}"
        )
    found = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if found != md5:
        raise DatasetError(
            f"{path}: expected MD5 {md5} for the decompressed {name}, got {found}; the file is corrupt — {HOW_TO_GET}"
        )
    if path.suffix == ".gz":
        _keep_copy(copy, data)
    index[resolved] = {"size": file_size, "mtime_ns": mtime, "md5": md5}
    _save_index(index_path, index)
    return data, True


def _keep_copy(copy: Path, data: bytes) -> None:
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, copy)
    except OSError:  # a read-only or unusable cache is not an error: the next run inflates again
        with contextlib.suppress(OSError):
            copy.with_name(f".{copy.name}.{os.getpid()}.tmp").unlink(missing_ok=True)
