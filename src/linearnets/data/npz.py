"""Reading the arrays of a user's ``.npz`` archive without trusting it.

Only the members asked for are read, each ``.npy`` header checked against the bytes the archive really
holds before numpy allocates anything; a bad archive or member raises a
:class:`~linearnets.errors.DatasetError` that names it and the fix.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from collections.abc import Collection
from pathlib import Path

import numpy as np

from linearnets._text import quoted_path, shown_path
from linearnets.data.class_labels import renumbering
from linearnets.data.csv_text import gunzip_fix
from linearnets.errors import DatasetError, UsageError
from linearnets.path_checks import (
    cannot_search,
    link_problem,
    searchable_fix,
    unsearchable_folder,
    without_blanks,
)

__all__ = ["check_data_file", "check_no_blanks", "open_npz"]

_FIX = "save it again with numpy.savez(path, X=..., y=...)"


def open_npz(
    path: Path, wanted: tuple[str, ...], *, labels: Collection[str] = ()
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Return the arrays of ``wanted`` that the ``.npz`` at ``path`` holds, and the names of all it holds.

    Only the wanted members are read, each checked before anything is allocated (see
    :func:`_read_member`); the others are only listed, for the messages. ``labels``: the wanted
    arrays that hold class labels (softmax's ``y``, ``y_test``), whose fix for Python objects
    (strings, as ``df["species"].to_numpy()`` gives them) is numbering them, not a float cast.
    """
    _check_is_zip(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            arrays = {
                key: _read_member(
                    path, archive, members[key], key, fix=_objects_fix(key, labels, members)
                )
                for key in wanted
                if key in members
            }
    except PermissionError as exc:
        raise UsageError(
            f"data={str(path)!r} cannot be read ({exc.strerror}); check the file's permissions"
        ) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(
            f"data={str(path)!r} is not a readable .npz file ({exc}); save it with "
            "numpy.savez(path, X=..., y=...)"
        ) from None
    return arrays, sorted(members)


def check_data_file(path: Path, kind: str) -> None:
    """Refuse a ``data`` ``path`` that is not an existing file (``kind``: ``.npz`` or ``.csv``),
    naming the folder on its way that cannot be searched, if one cannot."""
    blocked = unsearchable_folder(path)
    if blocked:  # else Path.is_file raised a bare PermissionError (Python 3.11)
        raise UsageError(
            f"data={str(path)!r} cannot be reached: {cannot_search(blocked)}; "
            f"{searchable_fix(blocked)}, or pass a file elsewhere"
        )
    if path.is_dir():  # 'runs.csv/', a folder named like the file it should hold
        raise UsageError(
            f"data={str(path)!r} is a directory, not a file; pass the {kind} file itself (a "
            "file in it?)"
        )
    if not path.is_file():
        problem = link_problem(path)  # else "does not exist" for a link that loops or dangles
        what = f"cannot be read: {problem}" if problem else "does not exist or is not a file"
        raise UsageError(f"data={str(path)!r} {what}; pass an existing {kind} file")


def check_no_blanks(path: Path) -> None:
    """Refuse a ``data`` ``path`` that begins or ends with whitespace (``'d.npz '`` from a
    script's variable) unless a file of that very name exists, as the command line's path options
    do: its suffix, ``.npz ``, was refused as no .npz or .csv file, with no word of the blank."""
    text, bare = str(path), without_blanks(path)  # a config makes ' d.npz' /w/ d.npz
    if bare is None or os.path.lexists(text):
        return
    fix = f"drop it: {quoted_path(bare)}" if path.name.strip() else "pass a .npz or .csv file"
    raise UsageError(
        f"data must not begin or end with whitespace (unless a file of that name exists), got "
        f"{quoted_path(text)}; {fix}"
    )


def _check_is_zip(path: Path) -> None:
    """Refuse a ``path`` that is not an existing file, or not a zip archive: an empty one (0
    bytes, a save that never wrote, or a file made with touch) told as such."""
    check_data_file(path, ".npz")
    if not zipfile.is_zipfile(path):  # np.load would read a .npy or complain about pickles instead
        if _empty(path):
            raise DatasetError(
                f"data={str(path)!r} is empty (0 bytes), not a .npz file (a save that never "
                "wrote?); write one with numpy.savez(path, X=X, y=y)"
            )
        if _gzip(path):  # an .npz gzip-compressed (a.npz.gz renamed), or a .npy's
            raise DatasetError(
                f"data={str(path)!r} is gzip-compressed (it starts with bytes 1f 8b), not a "
                f".npz (zip) file; {gunzip_fix(path)}"
            )
        raise DatasetError(
            f"data={str(path)!r} is not a readable .npz file (not a zip archive: a .npy array, "
            "text or a "
            "damaged file); save it with "
            "numpy.savez(path, X=..., y=...)"
        )


def _empty(path: Path) -> bool:
    """Whether the file at ``path`` holds no byte (an unreadable one: no)."""
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _gzip(path: Path) -> bool:
    """Whether the file at ``path`` starts with gzip's bytes 1f 8b (an unreadable one: no)."""
    try:
        with path.open("rb") as f:
            return f.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Return the archive's files by the array name ``np.load`` gives them (folders left out)."""
    # np.load's naming: the array X is the member "X" if there is one, else "X.npy"; of two
    # members of one name, the last (as zipfile reads it)
    by_name = {info.filename: info for info in archive.infolist() if not info.is_dir()}
    members = {name.removesuffix(".npy"): info for name, info in by_name.items()}
    members.update({name: info for name, info in by_name.items() if name in members})
    return members


def _objects_fix(key: str, labels: Collection[str], members: Collection[str]) -> str:
    """Return the fix for the array ``key`` holding Python objects: class ``labels`` numbered
    0..C-1 (with ``y_test``'s together where the archive holds one; ``astype(numpy.float32)``
    fails on strings and gives no labels), else numbers of another dtype. The objects are not
    read: missing labels (None or NaN, as pandas gives them) or mixed types, which make
    ``numpy.unique`` raise a TypeError, are named for every such array."""
    if key in labels:
        numbering = renumbering("y_test" in members and "y" in members)
        return (
            f"store the labels as integers 0..C-1, numbered e.g. with {numbering}; drop or fill "
            "missing labels first and give them one type (numpy.unique cannot sort None or NaN "
            "among strings; e.g. df.dropna() in pandas)"
        )
    return f"save numbers instead, e.g. {key}.astype(numpy.float32)"


def _read_member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, *, fix: str
) -> np.ndarray:
    """Return the array ``key`` of the archive, its .npy header checked against the member's size first.

    A header may claim any shape: one that needs more bytes than the member holds (or a member
    bigger than the archive could inflate to) is refused before numpy allocates the array.
    """
    where = f"{shown_path(path)}: array {key} (member {info.filename})"
    try:
        # sizes first: Python 3.12's zipfile refuses some lying sizes on open, in its own words
        _check_inflated_size(path, info, where)
        shape, dtype, available = _read_header(archive, info, where)
        _check_header(where, shape=shape, dtype=dtype, available=available, fix=fix)
        with archive.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    except MemoryError:
        raise DatasetError(
            f"{where} is too large to load into this machine's memory; use fewer rows or features"
        ) from None
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,  # a compression method zipfile lacks
        RuntimeError,  # an encrypted member
    ) as exc:
        if isinstance(exc, PermissionError):
            raise
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DatasetError(f"{where} cannot be read ({reason}); {_FIX}") from None


def _read_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str
) -> tuple[tuple[int, ...], np.dtype, int]:
    """Return the shape and dtype a member's .npy header claims, and the bytes the member has after it."""
    with archive.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
        except ValueError:
            raise DatasetError(
                f"{where} is not a NumPy .npy array (it lacks the .npy header); {_FIX}"
            ) from None
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:  # versions 2.0 and 3.0 share the layout; other versions are refused by numpy
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        return shape, dtype, info.file_size - f.tell()


def _check_inflated_size(path: Path, info: zipfile.ZipInfo, where: str) -> None:
    """Refuse a member whose directory claims more bytes than its compressed bytes can inflate to."""
    if info.file_size > _most_inflated(path, info):
        # the bound counts no more compressed bytes than the archive holds: name those
        compressed = min(info.compress_size, path.stat().st_size)
        raise DatasetError(
            f"{where} claims {info.file_size:,} bytes once decompressed, more than its "
            f"{compressed:,} compressed bytes can hold; the file is damaged: {_FIX}"
        )


def _check_header(
    where: str, *, shape: tuple[int, ...], dtype: np.dtype, available: int, fix: str
) -> None:
    """Refuse a member of objects (``fix``: :func:`_objects_fix`'s), or one whose header claims
    more bytes than the member holds."""
    if dtype.hasobject:
        raise DatasetError(
            f"{where} holds Python objects (dtype {dtype}), which are not read (they would "
            f"need pickle); {fix}"
        )
    needed = math.prod(shape) * dtype.itemsize
    if needed > available:
        raise DatasetError(
            f"{where} claims shape {shape} of {dtype} ({needed:,} bytes), more than the "
            f"archive holds for it ({max(available, 0):,} bytes); the file is truncated or "
            f"damaged: {_FIX}"
        )


def _most_inflated(path: Path, info: zipfile.ZipInfo) -> float:
    """Return the most bytes ``info`` can decompress to, from its compressed size in the archive."""
    compressed = min(info.compress_size, path.stat().st_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return compressed
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return compressed * 1032 + 1024  # deflate's largest ratio is about 1032:1
    return math.inf  # bzip2, lzma: unbounded here; a false size fails while reading
