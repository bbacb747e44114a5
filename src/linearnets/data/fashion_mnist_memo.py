"""The Fashion-MNIST sets read in this process, kept: a second read of the same files is free.

Each set is keyed by what one ``stat`` tells of each file: a file changed on disk since it was
read (replaced, rewritten, its time put back or not) gives a new key, and is read again.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Hashable
from pathlib import Path

from linearnets.data.fashion_mnist_arrays import FashionMNISTArrays
from linearnets.data.folder_contents import Found

__all__ = ["MEMO", "memo_key", "recall", "remember"]

MEMO: dict[tuple[Hashable, ...], FashionMNISTArrays] = {}  # per process: see memo_key
# the sets the memo holds at most, the least recently used dropped first: each is ~55 MB of
# tensors, and a file changed on disk gives a new key, which would keep every older copy for good
_MEMO_SETS = 2


def _identity(path: Path) -> tuple[int, ...] | None:
    """Return what one ``stat`` of ``path`` tells of its content (``None``: nothing there)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    # ctime, which no one can set, moves with every write: touch -r, cp -p, rsync -t put the
    # mtime back; the inode changes when the file is replaced
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def memo_key(found: Found, table: dict[str, tuple[int, str]]) -> tuple[Hashable, ...] | None:
    """Return the memo's key for the files ``found`` and the checksums ``table`` (``None``: a file
    vanished since it was found; reading says why).

    Each file's identity (:func:`_identity`), with that of the ``.gz`` beside a plain file (read
    in its place when it is rejected): a file changed since it was read is read again. Stats only
    (a few microseconds), no path resolved: a link to the same files shares their key.
    """
    key: list[Hashable] = []
    for name, path in found.paths.items():
        own = _identity(path)
        if own is None:
            return None
        key.append((own, _identity(path.with_name(f"{name}.gz")) if path.name == name else None))
    return (*key, *table.items())


def recall(
    key: tuple[Hashable, ...] | None, found: Found, *, verify: bool
) -> FashionMNISTArrays | None:
    """Return the set kept under ``key`` (:func:`memo_key`), as the search ``found`` finds it, and
    make it the most recently used (``None``: none kept, or one read unverified when ``verify``)."""
    memo = MEMO.pop(key, None) if key is not None else None
    if key is None or memo is None:
        return None
    MEMO[key] = memo  # the most recently used, last
    if verify and not memo.verified:
        return None
    # the same files, perhaps found another way: report this search's source, and the .gz
    # read in place of a rejected plain file as the file read (the key watches both)
    read = {
        name: path.with_name(f"{name}.gz") if memo.found.paths[name].name != path.name else path
        for name, path in found.paths.items()
    }
    found = dataclasses.replace(found, paths=read)
    return dataclasses.replace(memo, found=found, hashed_files=())


def remember(key: tuple[Hashable, ...] | None, arrays: FashionMNISTArrays) -> None:
    """Keep ``arrays`` under ``key`` as the most recently used set, the least recently used
    dropped beyond :data:`_MEMO_SETS` (``key`` ``None``: a file vanished, nothing is kept)."""
    if key is None:
        return
    MEMO.pop(key, None)
    while len(MEMO) >= _MEMO_SETS:
        del MEMO[next(iter(MEMO))]  # the least recently used
    MEMO[key] = arrays
