"""The Fashion-MNIST arrays read, checked to form the dataset: shapes and labels, and the train and
test files not swapped (what an unverified read cannot tell from their checksums)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from linearnets._text import shown_path
from linearnets.data.files import how_to_replace
from linearnets.data.folder_contents import Found
from linearnets.errors import DatasetError

if TYPE_CHECKING:
    from linearnets.data.fashion_mnist_arrays import FashionMNISTArrays

__all__ = ["check_not_swapped", "check_splits"]

# each train file with its test counterpart
_PAIRS = (
    ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"),
    ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"),
)


def _idx_size(array: torch.Tensor) -> int:
    """Return the decompressed size of the uint8 IDX file ``array`` was read from: its header
    (magic and one 4-byte size per dimension), then one byte per element."""
    return 4 + 4 * array.dim() + array.numel()


def check_not_swapped(
    arrays: dict[str, torch.Tensor], table: dict[str, tuple[int, str]], found: Found
) -> None:
    """Raise DatasetError when a train file and its test counterpart hold each other's split.

    Read with ``verify=False`` no MD5 tells a train file from a test one, and swapped files form
    two consistent splits (10,000 images to train on, 60,000 to test). Swapped, each file has the
    size ``table`` gives its counterpart; a subset, or a table's own tiny files, has no such pair,
    and where the table gives both files one size a swap changes nothing it can tell. Read alone
    (``train=False`` or ``test=False``), a file of its counterpart's size is refused too.

    See D2L §3.5.1.
    """
    _check_not_train_file(arrays, table, found)
    swapped = [
        (train, test)
        for train, test in _PAIRS
        if train in arrays
        and test in arrays
        and table[train][0] != table[test][0]
        and _idx_size(arrays[train]) == table[test][0]
        and _idx_size(arrays[test]) == table[train][0]
    ]
    if not swapped:
        return
    names = [(found.paths[train].name, found.paths[test].name) for train, test in swapped]
    held = ", ".join(
        f"{a} holds {n} {train.split('-')[1]} and {b} {m} (the checksums give train {m}, test {n})"
        for (train, test), (a, b) in zip(swapped, names, strict=True)
        for n, m in [(int(arrays[train].shape[0]), int(arrays[test].shape[0]))]
    )
    exchange = ", and of ".join(f"{a} and {b}" for a, b in names)
    raise DatasetError(
        f"{shown_path(found.folder)}: the train and test files look swapped: {held}; exchange the "
        f"names of {exchange}"
    )


def _check_not_train_file(
    arrays: dict[str, torch.Tensor], table: dict[str, tuple[int, str]], found: Found
) -> None:
    """Raise DatasetError when a file read without its counterpart of the other split
    (``train=False`` or ``test=False``, unverified) has the size ``table`` gives that counterpart:
    the other split's file under its name."""
    for pair in _PAIRS:
        for read, other in (pair, pair[::-1]):
            if read not in arrays or other in arrays or table[read][0] == table[other][0]:
                continue
            size = _idx_size(arrays[read])
            if size == table[other][0]:
                raise DatasetError(
                    f"{shown_path(found.paths[read])}: expected {table[read][0]} bytes of {read} "
                    f"once decompressed, got {size}, the size of {other}: that file is here under "
                    f"the name of {read} — put each file under its own name, or "
                    f"{how_to_replace(found.paths[read])}"
                )


def check_splits(arrays: FashionMNISTArrays, splits: tuple[str, ...]) -> None:
    """Raise DatasetError unless each split read is images (N, 28, 28) with N labels in [0, 10)."""
    for split in splits:
        images, labels = getattr(arrays, f"{split}_images"), getattr(arrays, f"{split}_labels")
        if (
            images.shape[0] != labels.shape[0]
            or images.shape[1:] != (28, 28)
            or int(labels.max()) > 9
        ):
            # unverified (verify=False), which file is wrong is unknown: the check names it
            fix = (
                how_to_replace(arrays.found.folder / f"{split}-labels")
                if arrays.verified
                else "read them with verify=True (the default), which names the file that is not "
                "Fashion-MNIST's and how to get it again"
            )
            raise DatasetError(
                f"{shown_path(arrays.found.directory)}: expected {split} images (N, 28, 28) with N "
                f"labels in [0, 10), got images {tuple(images.shape)} and labels "
                f"{tuple(labels.shape)} up to {int(labels.max())}; these files do not form "
                f"Fashion-MNIST — {fix}"
            )
