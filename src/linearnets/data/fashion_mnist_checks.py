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


def check_splits(
    arrays: FashionMNISTArrays, splits: tuple[str, ...], table: dict[str, tuple[int, str]]
) -> None:
    """Raise DatasetError unless each split read is images (N, 28, 28) with N labels in [0, 10),
    naming the file at fault: the images of another shape, the labels out of range, or of the two
    files the one whose size is not the one ``table`` gives (both named where that cannot tell).

    See D2L §3.5.1.
    """
    paths = arrays.found.paths
    for split in splits:
        prefix = "train" if split == "train" else "t10k"
        image_name, label_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        images, labels = getattr(arrays, f"{split}_images"), getattr(arrays, f"{split}_labels")
        image_path, label_path = paths[image_name], paths[label_name]
        if images.shape[1:] != (28, 28):
            raise DatasetError(
                f"{shown_path(image_path)}: expected {split} images (N, 28, 28), got "
                f"{tuple(images.shape)}; this is no Fashion-MNIST file — {how_to_replace(image_path)}"
            )
        if images.shape[0] != labels.shape[0]:
            raise _count_mismatch(arrays, (image_name, label_name), table, split)
        if int(labels.max()) > 9:
            bad = (labels > 9).nonzero().flatten()
            raise DatasetError(
                f"{shown_path(label_path)}: expected {split} labels in [0, 10), got "
                f"{int(labels[bad[0]])} at index {int(bad[0])} ({bad.numel()} of the "
                f"{labels.numel()} labels {'is' if bad.numel() == 1 else 'are'} 10 or more); "
                "this is no Fashion-MNIST file — "
                f"{how_to_replace(label_path)}"
            )


def _count_mismatch(
    arrays: FashionMNISTArrays,
    names: tuple[str, str],
    table: dict[str, tuple[int, str]],
    split: str,
) -> DatasetError:
    """Return the error for a split whose images file and labels file (``names``) hold different
    counts: the one whose size is not ``table``'s, named with the other split's file it has the
    size of, if any; both where ``table`` cannot tell (both off, or neither)."""
    read = {name: getattr(arrays, f"{split}_{name.split('-')[1]}") for name in names}
    off = [name for name in names if _idx_size(read[name]) != table[name][0]]
    paths = arrays.found.paths
    if len(off) != 1:
        (image_name, images), (label_name, labels) = read.items()
        fix = (
            how_to_replace(paths[image_name])
            if arrays.verified
            else "read them with verify=True (the default), which names the file that is not "
            "Fashion-MNIST's and how to get it again"
        )
        return DatasetError(
            f"{shown_path(arrays.found.folder)}: expected one {split} label per image, got "
            f"{images.shape[0]} images in {paths[image_name].name} and {labels.shape[0]} labels "
            f"in {paths[label_name].name}; these files do not form Fashion-MNIST — {fix}"
        )
    name, other = off[0], next(n for n in names if n != off[0])
    kind, other_kind = name.split("-")[1], other.split("-")[1]
    got = f"{read[name].shape[0]} {kind}"
    twin = name.replace("t10k-", "train-") if split == "test" else name.replace("train-", "t10k-")
    fix = how_to_replace(paths[name])
    if _idx_size(read[name]) == table[twin][0]:
        got += f", the size of {twin}: that file is here under the name of {name}"
        fix = f"put each file under its own name, or {fix}"
    return DatasetError(
        f"{shown_path(paths[name])}: expected {read[other].shape[0]} {split} {kind}, one per "
        f"{other_kind[:-1]} in {paths[other].name}, got {got} — {fix}"
    )
