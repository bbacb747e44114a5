"""Fashion-MNIST read and verified offline (D2L §3.5.1): each file found, or the ``.gz`` beside a
rejected plain file, parsed.

Around the reading: the arrays returned (:mod:`linearnets.data.fashion_mnist_arrays`), kept per
process (:mod:`linearnets.data.fashion_mnist_memo`) and checked to form the dataset
(:mod:`linearnets.data.fashion_mnist_checks`). The arrays, the book's ``load_data_fashion_mnist``
(:mod:`linearnets.data.fashion_mnist_loaders`), the torchvision-style ``FashionMNIST`` dataset
(:mod:`linearnets.data.dataset`) and the class labels (:mod:`linearnets.data.labels`) are
re-exported here.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.data.dataset import FashionMNIST
from linearnets.data.fashion_mnist_arrays import FashionMNISTArrays
from linearnets.data.fashion_mnist_checks import check_not_swapped, check_splits
from linearnets.data.fashion_mnist_loaders import load_data_fashion_mnist
from linearnets.data.fashion_mnist_memo import memo_key, recall, remember
from linearnets.data.files import find_fashion_mnist, how_to_replace
from linearnets.data.folder_contents import FASHION_MNIST_FILES, TEST_FILES, Found
from linearnets.data.idx import GZIP_MAGIC, MAX_HEADER, check_plain_size, parse_idx
from linearnets.data.labels import CLASSES, TEXT_LABELS, TEXT_LABELS_ZH, get_fashion_mnist_labels
from linearnets.data.remembered import remove_killed_runs_temps_in
from linearnets.data.verify import OtherContentError, largest_gz, read_verified
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError

__all__ = [
    "CLASSES",
    "FASHION_MNIST_FILES",
    "TEXT_LABELS",
    "TEXT_LABELS_ZH",
    "FashionMNIST",
    "FashionMNISTArrays",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
    "read_fashion_mnist",
]


def read_fashion_mnist(
    root: str | Path | None = None,
    *,
    verify: bool = True,
    checksums: dict[str, tuple[int, str]] | None = None,
    train: bool = True,
    test: bool = True,
) -> FashionMNISTArrays:
    """Find, verify and parse the four Fashion-MNIST files (the test split's two with
    ``train=False``, the training split's with ``test=False``); a second call in the same process
    is free.

    Args:
        root: folder holding the files (``--data-dir``); ``None`` searches the usual places
            (see :func:`~linearnets.data.files.find_fashion_mnist`).
        verify: check each file's decompressed size and MD5 (remembered between runs); ``False`` only
            checks that the files are well-formed IDX, and not the train and test files swapped
            (each with the size ``checksums`` gives the other).
        checksums: each file name with its (size, MD5); default :data:`FASHION_MNIST_FILES`, the real
            dataset's (tests pass their tiny files').
        train: read the training split too; ``False`` looks for, verifies and reads the
            :data:`~linearnets.data.folder_contents.TEST_FILES` alone (what predicting needs), so a folder
            holding only those two serves.
        test: read the test split too; ``False`` reads the training split's two files alone (what
            ``linearnets data show`` needs).

    Returns:
        The arrays: images uint8 (60000, 28, 28) and (10000, 28, 28), labels int64 (60000,) and
        (10000,), with where they were found and whether they were hashed (with ``train=False``,
        the test split's alone: the train arrays raise; with ``test=False``, the reverse). Later reads of the same
        files in this process return the same tensors: clone one before changing it in place. A
        file changed on disk since (replaced, rewritten, its time put back or not) is read again.

    Raises:
        UsageError: ``root`` is not a folder holding the files.
        DatasetError: the files are missing everywhere, corrupt, truncated or not Fashion-MNIST,
            or the train and test files are swapped (their names to exchange named).

    See D2L §3.5.1.
    """
    if not isinstance(verify, bool):
        raise UsageTypeError(f"verify must be True or False, got {verify!r}")
    for flag, value in (("train", train), ("test", test)):
        if not isinstance(value, bool):
            raise UsageTypeError(f"{flag} must be True or False, got {value!r}")
    if not (train or test):
        raise UsageError(
            "train and test must not both be False, got train=False and test=False: nothing "
            "would be read; pass one of them alone to read the other split, or neither for both"
        )
    table = checksums or FASHION_MNIST_FILES
    splits = ("train",) * train + ("test",) * test
    # the files read: the search, the memo key and the reads take these alone
    wanted = {
        name: size_md5
        for name, size_md5 in table.items()
        if (name in TEST_FILES and test) or (name not in TEST_FILES and train)
    }
    found = find_fashion_mnist(root, checksums=wanted)
    key = memo_key(found, wanted)
    known = recall(key, found, verify=verify)
    if known is not None:
        return known
    result = _read_found(found, wanted, table, verify=verify)
    check_splits(result, splits, table)
    remember(key, result)
    return result


def _read_found(
    found: Found,
    wanted: dict[str, tuple[int, str]],
    table: dict[str, tuple[int, str]],
    *,
    verify: bool,
) -> FashionMNISTArrays:
    """Return the arrays of the files ``found``, each checked against its ``wanted`` (size, MD5)
    (or, unverified, the train and test files of ``table`` checked not to be swapped)."""
    arrays: dict[str, torch.Tensor] = {}
    hashed: list[str] = []
    read = {}
    # unverified, a file may hold another of the set (a swap, told below): the longest bounds all
    longest = max(size for size, _ in (*table.values(), *FASHION_MNIST_FILES.values()))
    for name, path in found.paths.items():
        arrays[name], did_hash, read[name] = _read_or_gz(
            path, name, wanted[name], verify, longest=longest
        )
        if did_hash:
            hashed.append(name)
    if verify:
        remove_killed_runs_temps_in()  # each cache folder listed once, not once a file
    found = dataclasses.replace(found, paths=read)  # a damaged plain file's .gz, if read instead
    if not verify:  # verified, each file's MD5 was its own name's
        check_not_swapped(arrays, table, found)  # the one check that tells train from test
    train_labels = arrays.get("train-labels-idx1-ubyte")
    test_labels = arrays.get("t10k-labels-idx1-ubyte")
    return FashionMNISTArrays(
        _train_images=arrays.get("train-images-idx3-ubyte"),
        _train_labels=train_labels.long() if train_labels is not None else None,
        _test_images=arrays.get("t10k-images-idx3-ubyte"),
        _test_labels=test_labels.long() if test_labels is not None else None,
        found=found,
        verified=verify,
        hashed_files=tuple(hashed),
    )


def _read_or_gz(
    path: Path, name: str, expected: tuple[int, str], verify: bool, *, longest: int
) -> tuple[torch.Tensor, bool, Path]:
    """Return :func:`_read_file`'s array and flag, and the path read: the ``.gz`` beside a plain
    file that is rejected or cannot be read, when that one is valid (torchvision's ``raw/`` holds
    both, and its extraction, not atomic, leaves a truncated plain file when cut short)."""
    try:
        return (*_read_file(path, name, expected, verify, longest=longest), path)
    except OSError as exc:
        error = _unreadable(path, exc)
        # the fix for a file that cannot be read is not its deletion alone
        why = f"cannot be read ({exc.strerror or type(exc).__name__})"
        fix = f"make {shown_path(path)} readable, or delete it: it is read first"
    except OtherContentError as exc:
        error = exc
        # Fashion-MNIST's size, another MD5: maybe another dataset's (MNIST's share the names and
        # sizes), which is not for deleting unasked
        why = "has the size of Fashion-MNIST's file but another MD5 (another dataset's, or damaged)"
        fix = (
            f"move {shown_path(path)} out of {shown_path(path.parent)} (or delete it, if "
            "damaged): it is read first"
        )
    except DatasetError as exc:
        error = exc
        # unverified, the .gz is only well-formed, and the plain file was never hashed
        why = (
            "is damaged (it fails its size or MD5 check)"
            if verify
            else "is damaged (it is not a well-formed IDX file)"
        )
        fix = f"delete {shown_path(path)}, which is read first"
    gz = path.with_name(f"{name}.gz")
    if path.name != name or not gz.is_file():
        raise error from None
    try:
        array, hashed = _read_file(gz, name, expected, verify, longest=longest)
    except (OSError, DatasetError):
        raise error from None  # damaged too: the plain file's error says what to do
    state = "intact" if verify else "well-formed"
    warn(
        f"{shown_path(path)} {why}, so {gz.name} beside it, which is {state}, was read instead; "
        f"{fix}",
        DataWarning,
    )
    return array, hashed, gz


def _read_file(
    path: Path, name: str, expected: tuple[int, str], verify: bool, *, longest: int
) -> tuple[torch.Tensor, bool]:
    """Return one file's array and whether it was hashed now (unverified, a gzip file is refused
    unread beyond the size of a gzip of ``longest`` bytes, the longest file of the set).

    Raises:
        OSError: the file cannot be read (see :func:`_unreadable`).
        DatasetError: it is not the file expected (or, unverified, not a well-formed IDX file).
    """
    ndim = 3 if "images" in name else 1
    if not verify:
        return _read_unverified(path, ndim, longest=longest), False
    # the caller removes killed runs' temporary files once for the four files
    data, hashed = read_verified(path, name, expected=expected, tidy=False)
    return parse_idx(data, name=str(path), ndim=ndim, copy=False), hashed  # data is ours: no copy


def _read_unverified(path: Path, ndim: int, *, longest: int) -> torch.Tensor:
    """Return the array of the IDX file ``path``, gzipped or not, checked to be well-formed alone.

    A plain file's size is checked against its header before the file is read, and a gzip file's
    against the largest gzip of ``longest`` bytes (the longest file of the set, which a swapped
    file may hold): a huge file under the name (a 3 GB one) is refused without being read into
    memory, as a verified read refuses it.
    """
    with path.open("rb") as f:
        head = f.read(MAX_HEADER)
        size = os.fstat(f.fileno()).st_size
        if head[:2] != GZIP_MAGIC:
            check_plain_size(head, size, name=str(path), ndim=ndim)
        elif size > largest_gz(longest):
            raise DatasetError(
                f"{shown_path(path)}: expected a gzip file of at most {largest_gz(longest)} bytes "
                f"(a gzip of the longest Fashion-MNIST file, {longest} bytes once decompressed), "
                f"got {size} bytes; this is another file — {how_to_replace(path)}"
            )
        f.seek(0)
        raw = f.read()
    return parse_idx(raw, name=str(path), ndim=ndim)


def _unreadable(path: Path, exc: OSError) -> DatasetError:
    """Return the error for the file ``path`` that reading failed on with ``exc``."""
    # unreadable (permissions), vanished, or an I/O error on the disk
    return DatasetError(
        f"{shown_path(path)} cannot be read ({exc.strerror or type(exc).__name__}); check the "
        "file's permissions, or pass another folder as root=DIR"
    )
