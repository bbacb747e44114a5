"""Fashion-MNIST: read and verified offline, as a torchvision-style ``Dataset`` and as fast iterators (D2L §3.5)."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch.utils.data import Dataset

from linearnets.data.files import FASHION_MNIST_FILES, Found, find_fashion_mnist
from linearnets.data.idx import parse_idx
from linearnets.data.loader import ArrayLoader
from linearnets.data.verify import read_verified
from linearnets.errors import DatasetError, UsageError, UsageTypeError
from linearnets.validation import check_bool

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

# torchvision's class names, then the book's text labels (English and Chinese editions)
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")  # fmt: skip
TEXT_LABELS_ZH = ("T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴")


@dataclass(frozen=True)
class FashionMNISTArrays:
    """The whole dataset in memory: images uint8 (N, 28, 28), labels int64 (N,), and where it came from."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    found: Found
    verified: bool  # size and MD5 checked, now or on an earlier run (False: read with verify=False)
    hashed: bool  # some file was hashed now (False: every file came verified from the cache, or unverified)


_MEMO: dict[tuple[str, ...], FashionMNISTArrays] = {}  # per process, keyed by the files' identity


def _read_file(
    path: Path, name: str, expected: tuple[int, str], verify: bool
) -> tuple[torch.Tensor, bool]:
    """Return one file's array and whether it was hashed now."""
    ndim = 3 if "images" in name else 1
    try:
        if not verify:
            return parse_idx(path.read_bytes(), name=str(path), ndim=ndim), False
        data, hashed = read_verified(path, name, expected=expected)
    except OSError as exc:  # unreadable (permissions), vanished, or an I/O error on the disk
        raise DatasetError(
            f"{path} cannot be read ({exc.strerror or type(exc).__name__}); check the file's "
            "permissions, or pass another --data-dir"
        ) from None
    return parse_idx(data, name=str(path), ndim=ndim, copy=False), hashed  # data is ours: no copy


def read_fashion_mnist(
    root: str | Path | None = None,
    *,
    verify: bool = True,
    checksums: dict[str, tuple[int, str]] | None = None,
) -> FashionMNISTArrays:
    """Find, verify and parse the four Fashion-MNIST files; a second call in the same process is free.

    Args:
        root: folder holding the files (``--data-dir``); ``None`` searches the usual places
            (see :func:`~linearnets.data.files.find_fashion_mnist`).
        verify: check each file's decompressed size and MD5 (remembered between runs); ``False`` only
            checks that the files are well-formed IDX.
        checksums: each file name with its (size, MD5); default :data:`FASHION_MNIST_FILES`, the real
            dataset's (tests pass their tiny files').

    Returns:
        The arrays: images uint8 (60000, 28, 28) and (10000, 28, 28), labels int64 (60000,) and
        (10000,), with where they were found and whether they were hashed. Later reads of the same
        files in this process return the same tensors: clone one before changing it in place.

    Raises:
        UsageError: ``root`` is not a folder holding the files.
        DatasetError: the files are missing everywhere, corrupt, truncated or not Fashion-MNIST.

    See D2L §3.5.1.
    """
    if not isinstance(verify, bool):
        raise UsageTypeError(f"verify must be True or False, got {verify!r}")
    table = checksums or FASHION_MNIST_FILES
    found = find_fashion_mnist(root, checksums=table)
    key = tuple(f"{p.resolve()}:{p.stat().st_mtime_ns}" for p in found.paths.values())
    key += tuple(f"{n}:{s}:{m}" for n, (s, m) in table.items())
    memo = _MEMO.get(key)
    if memo is not None and (memo.verified or not verify):
        # the same files, perhaps found another way: report this search's source
        return dataclasses.replace(memo, found=found, hashed=False)
    arrays: dict[str, torch.Tensor] = {}
    hashed = False
    for name, path in found.paths.items():
        arrays[name], did_hash = _read_file(path, name, table[name], verify)
        hashed |= did_hash
    result = FashionMNISTArrays(
        train_images=arrays["train-images-idx3-ubyte"],
        train_labels=arrays["train-labels-idx1-ubyte"].long(),
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"].long(),
        found=found,
        verified=verify,
        hashed=hashed,
    )
    _check_splits(result)
    _MEMO[key] = result
    return result


def _check_splits(arrays: FashionMNISTArrays) -> None:
    """Raise DatasetError unless each split is images (N, 28, 28) with N labels in [0, 10)."""
    for split in ("train", "test"):
        images, labels = getattr(arrays, f"{split}_images"), getattr(arrays, f"{split}_labels")
        if (
            images.shape[0] != labels.shape[0]
            or images.shape[1:] != (28, 28)
            or int(labels.max()) > 9
        ):
            raise DatasetError(
                f"{arrays.found.directory}: expected {split} images (N, 28, 28) with N labels in [0, 10), "
                f"got images {tuple(images.shape)} and labels {tuple(labels.shape)} up to "
                f"{int(labels.max())}; these files do not form Fashion-MNIST — get them again"
            )


class FashionMNIST(Dataset[tuple[Any, Any]]):
    """Fashion-MNIST with torchvision's signature and attributes, read offline and verified.

    Items are ``(image, label)``: without a transform the image is a float32 tensor (1, 28, 28) in
    [0, 1], exactly what torchvision's ``ToTensor()`` gives; with a transform, the transform receives a
    PIL image (when Pillow is installed, as in torchvision) or else the uint8 tensor (28, 28).

    Args:
        root: folder holding the files (``None``: search the usual places).
        train: the 60000-image training split, else the 10000-image test split.
        transform: applied to each image.
        target_transform: applied to each label.
        download: make sure the files can be read: those in ``root`` are verified (and fetched again
            if corrupt); if ``root`` lacks them, a verified copy elsewhere on this machine (the Debian
            package, ``$LINEARNETS_DATA``, ...) is read instead, offline; only without one are they
            downloaded into ``root/FashionMNIST/raw``. So the book's
            ``FashionMNIST(root="../data", train=True, transform=trans, download=True)`` works offline.

    See D2L §3.5.1.
    """

    classes: ClassVar[list[str]] = list(CLASSES)

    def __init__(
        self,
        root: str | Path | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        if download:
            if root is None:
                raise UsageError(
                    "root must be given with download=True: the folder to download into"
                )
            root = _readable(root)
        elif root is not None:
            _check_holds_files(root)
        train = check_bool("train", train)
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):  # else the first ds[i] fails far from here
                raise UsageTypeError(
                    f"{name} must be callable (a function or a transform) or None, got "
                    f"{fn!r:.40}; pass e.g. {name}=ToTensor() or Compose([...])"
                )
        arrays = read_fashion_mnist(root)
        self.root = str(arrays.found.directory)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        # its own copies, as torchvision's datasets have: the arrays read are shared by every later
        # read in this process, so editing ds.data in place must not change the next dataset's
        split = "train" if train else "test"
        self.data = getattr(arrays, f"{split}_images").clone()  # uint8 (N, 28, 28)
        self.targets = getattr(arrays, f"{split}_labels").clone()  # int64 (N,)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __repr__(self) -> str:
        """torchvision's summary: datapoints, root, split and the transforms."""
        lines = [
            f"Dataset {type(self).__name__}",
            f"    Number of datapoints: {len(self)}",
            f"    Root location: {self.root}",
            f"    Split: {'Train' if self.train else 'Test'}",
        ]
        for name, fn in (
            ("Transform", self.transform),
            ("Target transform", self.target_transform),
        ):
            if fn is not None:
                lines.append(f"    {name}: " + repr(fn).replace("\n", "\n    "))
        return "\n".join(lines)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Return item ``index`` (an int in [-len, len), negative from the end) as (image, label).

        Raises:
            UsageTypeError: ``index`` is not an integer (a slice, a float, a list).
            IndexError: ``index`` is out of range (what ends ``for item in ds``).
        """
        i = self._position(index)
        image: Any = self.data[i]
        target: Any = int(self.targets[i])
        if self.transform is None:
            image = (image.to(torch.float32) / 255).unsqueeze(0)  # (1, 28, 28), as ToTensor() gives
        else:
            image = self.transform(_to_pil(image))
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _position(self, index: Any) -> int:
        """Return ``index`` as a position in [0, len), or raise naming it and the valid range."""
        try:
            if isinstance(index, bool):  # True would be item 1
                raise TypeError
            i = operator.index(index)  # an int, a NumPy integer or a one-element integer tensor
        except TypeError:
            raise UsageTypeError(
                f"index must be an int, got {type(index).__name__} {index!r:.40}; for several items "
                "pass a list comprehension [ds[i] for i in range(2)] or torch.utils.data.Subset(ds, "
                "indices)"
            ) from None
        n = len(self)
        if not -n <= i < n:
            # an IndexError, not a UsageError: Python's old iteration protocol stops on it
            raise IndexError(
                f"index must be in [-{n}, {n}) (the {'training' if self.train else 'test'} split "
                f"holds {n} images), got {i}; pass e.g. index {n - 1} for the last image"
            )
        return i % n


def _root_holds_files(root: str | Path) -> bool:
    """Return whether ``root`` (or its FashionMNIST/raw) holds the four files; a bad path raises."""
    try:
        find_fashion_mnist(root)
    except UsageTypeError:
        raise
    except UsageError:
        return False
    return True


def _readable(root: str | Path) -> Path:
    """Return where ``FashionMNIST(root, download=True)`` reads: see the class's ``download``."""
    from linearnets.data.download import download_fashion_mnist

    if not _root_holds_files(root):
        try:
            return find_fashion_mnist(None).directory  # this machine's copy: no network needed
        except DatasetError:
            pass  # none: download it
    download_fashion_mnist(Path(root))  # verifies what is there; fetches what is not
    return Path(root)  # read from there (its FashionMNIST/raw, as torchvision lays it out)


def _check_holds_files(root: str | Path) -> None:
    """Raise a UsageError saying what to pass in Python when ``root`` lacks the files."""
    if not _root_holds_files(root):
        raise UsageError(
            f"root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got {root}; "
            "pass download=True (reads this machine's verified copy, else downloads into root), "
            "or root=None to search the usual places"
        )


def _to_pil(image: torch.Tensor) -> Any:
    try:
        from PIL import Image
    except ImportError:
        return image
    return Image.fromarray(image.numpy(), mode="L")


def load_data_fashion_mnist(
    batch_size: int,
    resize: int | None = None,
    *,
    root: str | Path | None = None,
    num_workers: int = 0,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> tuple[ArrayLoader, ArrayLoader]:
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST: train shuffled each epoch, test in order.

    Batches are ``X`` float32 (B, 1, 28, 28) in [0, 1] (or (B, 1, resize, resize)) and ``y`` int64 (B,),
    sliced from the whole set held in memory (on ``device`` when given) and converted per batch.
    ``num_workers`` is accepted for the book's signature; slicing needs no worker processes.

    See D2L §3.5.3.
    """
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise UsageError(f"num_workers must be a non-negative integer, got {num_workers!r}")
    arrays = read_fashion_mnist(root)
    train_iter = ArrayLoader(
        arrays.train_images,
        arrays.train_labels,
        batch_size,
        shuffle=True,
        generator=generator,
        resize=resize,
        device=device,
    )
    test_iter = ArrayLoader(
        arrays.test_images,
        arrays.test_labels,
        batch_size,
        shuffle=False,
        resize=resize,
        device=device,
    )
    return train_iter, test_iter


def get_fashion_mnist_labels(
    labels: Iterable[int] | torch.Tensor, *, lang: str = "en"
) -> list[str]:
    """Return the book's text label of each class index; ``lang="zh"`` gives the Chinese edition's.

    ``labels`` is a tensor (any shape, read in order), a sequence of ints, or one int (a list of one
    name comes back).

    See D2L §3.5.1.
    """
    names = {"en": TEXT_LABELS, "zh": TEXT_LABELS_ZH}.get(lang)
    if names is None:
        raise UsageError(f"lang must be 'en' or 'zh', got {lang!r}")
    if isinstance(labels, torch.Tensor):
        values = labels.reshape(-1).tolist()
    elif isinstance(labels, Integral | float) and not isinstance(labels, bool):
        values = [labels]  # one label, as a 0-d tensor gives: a list of one name
    elif isinstance(labels, str | bytes) or not hasattr(labels, "__iter__"):
        raise UsageTypeError(
            f"labels must be class indices (a tensor, list or one int), got "
            f"{type(labels).__name__} {labels!r:.40}; pass e.g. y from a batch, or [3]"
        )
    else:
        values = list(labels)
    out = []
    for value in values:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 9.0 is class 9, as the book's text_labels[int(i)] reads it
        if (
            isinstance(value, bool)
            or not isinstance(value, Integral)
            or not 0 <= int(value) < len(names)
        ):
            raise UsageError(
                f"labels must be class indices in [0, {len(names)}), got {value!r}; "
                "pass Fashion-MNIST labels such as y from a batch"
            )
        out.append(names[int(value)])
    return out
