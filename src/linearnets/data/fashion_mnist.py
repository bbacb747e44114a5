"""Fashion-MNIST: read and verified offline, and batched by fast iterators (D2L §3.5).

The torchvision-style ``FashionMNIST`` dataset (:mod:`linearnets.data.dataset`) and the class
labels (:mod:`linearnets.data.labels`) are re-exported here.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from linearnets._warn import warn
from linearnets.data.dataset import FashionMNIST
from linearnets.data.files import (
    FASHION_MNIST_FILES,
    TEST_FILES,
    Found,
    find_fashion_mnist,
    how_to_replace,
)
from linearnets.data.idx import GZIP_MAGIC, MAX_HEADER, check_plain_size, parse_idx
from linearnets.data.labels import CLASSES, TEXT_LABELS, TEXT_LABELS_ZH, get_fashion_mnist_labels
from linearnets.data.loader import ArrayLoader
from linearnets.data.verify import read_verified, remove_killed_runs_temps_in
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError
from linearnets.validation import check_positive_int

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


@dataclass(frozen=True)
class FashionMNISTArrays:
    """The whole dataset in memory: images uint8 (N, 28, 28), labels int64 (N,), and where it came from.

    Read with ``train=False``, it holds the test split alone: ``train_images`` and ``train_labels``
    then raise, naming the fix.
    """

    _train_images: torch.Tensor | None  # None: read with train=False
    _train_labels: torch.Tensor | None
    test_images: torch.Tensor
    test_labels: torch.Tensor
    found: Found
    verified: bool  # size and MD5 checked, now or on an earlier run (False: read with verify=False)
    hashed_files: tuple[str, ...] = ()  # the names of those hashed now (the others: from the cache)

    @property
    def train_images(self) -> torch.Tensor:
        """The training images, uint8 (60000, 28, 28)."""
        return self._train("train_images", self._train_images)

    @property
    def train_labels(self) -> torch.Tensor:
        """The training labels, int64 (60000,)."""
        return self._train("train_labels", self._train_labels)

    def _train(self, name: str, array: torch.Tensor | None) -> torch.Tensor:
        if array is None:
            raise UsageError(
                f"{name} was not read: these arrays hold the test split alone, read with "
                f"read_fashion_mnist(..., train=False) from {self.found.folder}; read them with "
                "train=True (the default) from a folder holding all four files"
            )
        return array

    @property
    def hashed(self) -> bool:
        """Whether some file was hashed now (False: every file came verified from the cache, or
        unverified)."""
        return bool(self.hashed_files)


_MEMO: dict[tuple[Hashable, ...], FashionMNISTArrays] = {}  # per process: see _memo_key
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


def _memo_key(found: Found, table: dict[str, tuple[int, str]]) -> tuple[Hashable, ...] | None:
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


def _read_file(
    path: Path, name: str, expected: tuple[int, str], verify: bool
) -> tuple[torch.Tensor, bool]:
    """Return one file's array and whether it was hashed now.

    Raises:
        OSError: the file cannot be read (see :func:`_unreadable`).
        DatasetError: it is not the file expected (or, unverified, not a well-formed IDX file).
    """
    ndim = 3 if "images" in name else 1
    if not verify:
        return _read_unverified(path, ndim), False
    # the caller removes killed runs' temporary files once for the four files
    data, hashed = read_verified(path, name, expected=expected, tidy=False)
    return parse_idx(data, name=str(path), ndim=ndim, copy=False), hashed  # data is ours: no copy


def _read_unverified(path: Path, ndim: int) -> torch.Tensor:
    """Return the array of the IDX file ``path``, gzipped or not, checked to be well-formed alone.

    A plain file's size is checked against its header before the file is read: a huge file under
    the name (a 3 GB one) is refused without being read into memory.
    """
    with path.open("rb") as f:
        head = f.read(MAX_HEADER)
        if head[:2] != GZIP_MAGIC:
            check_plain_size(head, os.fstat(f.fileno()).st_size, name=str(path), ndim=ndim)
        f.seek(0)
        raw = f.read()
    return parse_idx(raw, name=str(path), ndim=ndim)


def _unreadable(path: Path, exc: OSError) -> DatasetError:
    """Return the error for the file ``path`` that reading failed on with ``exc``."""
    # unreadable (permissions), vanished, or an I/O error on the disk
    return DatasetError(
        f"{path} cannot be read ({exc.strerror or type(exc).__name__}); check the file's "
        "permissions, or pass another folder as root=DIR"
    )


def _read_or_gz(
    path: Path, name: str, expected: tuple[int, str], verify: bool
) -> tuple[torch.Tensor, bool, Path]:
    """Return :func:`_read_file`'s array and flag, and the path read: the ``.gz`` beside a plain
    file that is rejected or cannot be read, when that one is valid (torchvision's ``raw/`` holds
    both, and its extraction, not atomic, leaves a truncated plain file when cut short)."""
    try:
        return (*_read_file(path, name, expected, verify), path)
    except OSError as exc:
        error = _unreadable(path, exc)
        # the fix for a file that cannot be read is not its deletion alone
        why = f"cannot be read ({exc.strerror or type(exc).__name__})"
        fix = f"make {path} readable, or delete it: it is read first"
    except DatasetError as exc:
        error = exc
        # unverified, the .gz is only well-formed, and the plain file was never hashed
        why = (
            "is damaged (it fails its size or MD5 check)"
            if verify
            else "is damaged (it is not a well-formed IDX file)"
        )
        fix = f"delete {path}, which is read first"
    gz = path.with_name(f"{name}.gz")
    if path.name != name or not gz.is_file():
        raise error from None
    try:
        array, hashed = _read_file(gz, name, expected, verify)
    except (OSError, DatasetError):
        raise error from None  # damaged too: the plain file's error says what to do
    state = "intact" if verify else "well-formed"
    warn(
        f"{path} {why}, so {gz.name} beside it, which is {state}, was read instead; {fix}",
        DataWarning,
    )
    return array, hashed, gz


def read_fashion_mnist(
    root: str | Path | None = None,
    *,
    verify: bool = True,
    checksums: dict[str, tuple[int, str]] | None = None,
    train: bool = True,
) -> FashionMNISTArrays:
    """Find, verify and parse the four Fashion-MNIST files (the test split's two with
    ``train=False``); a second call in the same process is free.

    Args:
        root: folder holding the files (``--data-dir``); ``None`` searches the usual places
            (see :func:`~linearnets.data.files.find_fashion_mnist`).
        verify: check each file's decompressed size and MD5 (remembered between runs); ``False`` only
            checks that the files are well-formed IDX, and not the train and test files swapped
            (each with the size ``checksums`` gives the other).
        checksums: each file name with its (size, MD5); default :data:`FASHION_MNIST_FILES`, the real
            dataset's (tests pass their tiny files').
        train: read the training split too; ``False`` looks for, verifies and reads the
            :data:`~linearnets.data.files.TEST_FILES` alone (what predicting needs), so a folder
            holding only those two serves.

    Returns:
        The arrays: images uint8 (60000, 28, 28) and (10000, 28, 28), labels int64 (60000,) and
        (10000,), with where they were found and whether they were hashed (with ``train=False``,
        the test split's alone: the train arrays raise). Later reads of the same
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
    if not isinstance(train, bool):
        raise UsageTypeError(f"train must be True or False, got {train!r}")
    table = checksums or FASHION_MNIST_FILES
    # the files read: the search, the memo key and the reads take these alone
    wanted = table if train else {name: table[name] for name in TEST_FILES}
    found = find_fashion_mnist(root, checksums=wanted)
    key = _memo_key(found, wanted)
    memo = _MEMO.pop(key, None) if key is not None else None
    if key is not None and memo is not None:
        _MEMO[key] = memo  # the most recently used, last
    if memo is not None and (memo.verified or not verify):
        # the same files, perhaps found another way: report this search's source, and the .gz
        # read in place of a rejected plain file as the file read (the key watches both)
        read = {
            name: path.with_name(f"{name}.gz") if memo.found.paths[name].name != path.name else path
            for name, path in found.paths.items()
        }
        found = dataclasses.replace(found, paths=read)
        return dataclasses.replace(memo, found=found, hashed_files=())
    arrays: dict[str, torch.Tensor] = {}
    hashed: list[str] = []
    read = {}
    for name, path in found.paths.items():
        arrays[name], did_hash, read[name] = _read_or_gz(path, name, wanted[name], verify)
        if did_hash:
            hashed.append(name)
    if verify:
        remove_killed_runs_temps_in()  # each cache folder listed once, not once a file
    found = dataclasses.replace(found, paths=read)  # a damaged plain file's .gz, if read instead
    if not verify:  # verified, each file's MD5 was its own name's
        _check_not_swapped(arrays, table, found)  # the one check that tells train from test
    train_labels = arrays.get("train-labels-idx1-ubyte")
    result = FashionMNISTArrays(
        _train_images=arrays.get("train-images-idx3-ubyte"),
        _train_labels=train_labels.long() if train_labels is not None else None,
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"].long(),
        found=found,
        verified=verify,
        hashed_files=tuple(hashed),
    )
    _check_splits(result, ("train", "test") if train else ("test",))
    if key is not None:
        _MEMO.pop(key, None)
        while len(_MEMO) >= _MEMO_SETS:
            del _MEMO[next(iter(_MEMO))]  # the least recently used
        _MEMO[key] = result
    return result


# each train file with its test counterpart
_PAIRS = (
    ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"),
    ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"),
)


def _idx_size(array: torch.Tensor) -> int:
    """Return the decompressed size of the uint8 IDX file ``array`` was read from: its header
    (magic and one 4-byte size per dimension), then one byte per element."""
    return 4 + 4 * array.dim() + array.numel()


def _check_not_swapped(
    arrays: dict[str, torch.Tensor], table: dict[str, tuple[int, str]], found: Found
) -> None:
    """Raise DatasetError when a train file and its test counterpart hold each other's split.

    Read with ``verify=False`` no MD5 tells a train file from a test one, and swapped files form
    two consistent splits (10,000 images to train on, 60,000 to test). Swapped, each file has the
    size ``table`` gives its counterpart; a subset, or a table's own tiny files, has no such pair,
    and where the table gives both files one size a swap changes nothing it can tell. Read alone
    (``train=False``), a test file of its train counterpart's size is refused too.

    See D2L §3.5.1.
    """
    _check_not_train_file(arrays, table, found)
    swapped = [
        (train, test)
        for train, test in _PAIRS
        if train in arrays
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
        f"{found.folder}: the train and test files look swapped: {held}; exchange the names of "
        f"{exchange}"
    )


def _check_not_train_file(
    arrays: dict[str, torch.Tensor], table: dict[str, tuple[int, str]], found: Found
) -> None:
    """Raise DatasetError when a test file read without its train counterpart (``train=False``,
    unverified) has the size ``table`` gives that counterpart: the train file under its name."""
    for train, test in _PAIRS:
        size = _idx_size(arrays[test])
        if train not in arrays and table[train][0] != table[test][0] and size == table[train][0]:
            raise DatasetError(
                f"{found.paths[test]}: expected {table[test][0]} bytes of {test} once "
                f"decompressed, got {size}, the size of {train}: that file is here under the "
                f"name of {test} — put each file under its own name, or "
                f"{how_to_replace(found.paths[test])}"
            )


def _check_splits(arrays: FashionMNISTArrays, splits: tuple[str, ...]) -> None:
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
                f"{arrays.found.directory}: expected {split} images (N, 28, 28) with N labels in [0, 10), "
                f"got images {tuple(images.shape)} and labels {tuple(labels.shape)} up to "
                f"{int(labels.max())}; these files do not form Fashion-MNIST — {fix}"
            )


def load_data_fashion_mnist(
    batch_size: int,
    resize: int | Sequence[int] | None = None,
    *,
    root: str | Path | None = None,
    num_workers: int = 0,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> tuple[ArrayLoader, ArrayLoader]:
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST: train shuffled each epoch, test in order.

    Batches are ``X`` (B, 1, 28, 28) in [0, 1] and ``y`` int64 (B,), sliced from the whole set held
    in memory (on ``device`` when given) and converted per batch: ``X`` in torch's default dtype
    read at each batch, float32 unless changed, as the book's ``ToTensor`` gives it
    (``torch.set_default_dtype(torch.float64)`` gives float64 images, as in the book).

    Args:
        batch_size: B, images per batch (the last batch of an epoch may be shorter).
        resize: what the book hands ``transforms.Resize``: an int n (or ``[n]``) gives
            (B, 1, n, n), a pair (h, w) gives (B, 1, h, w), with the pixels of the book's
            ``Compose([Resize(n), ToTensor()])`` bit for bit (on the CPU;
            :mod:`linearnets.data.resample`).
        root: the folder holding the four files, directly or in ``FashionMNIST/raw`` (``None``:
            search the usual places, as docs/fashion-mnist.md lists).
        num_workers: accepted for the book's signature; slicing needs no worker processes.
        generator: source of the training set's shuffle; ``None`` uses torch's global generator.
        device: where the whole set is held and the batches come from (``None``: the CPU).

    See D2L §3.5.3.
    """
    if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral):
        raise UsageTypeError(
            f"num_workers must be an integer >= 0, got {num_workers!r}; pass e.g. num_workers=4, "
            "the book's (it is accepted for the book's signature: slicing needs no workers)"
        )
    if num_workers < 0:
        raise UsageError(
            f"num_workers must be an integer >= 0, got {num_workers}; pass e.g. num_workers=4"
        )
    # before the 60 MB are read and verified, with the book's batch size as the example
    batch_size = check_positive_int(
        "batch_size", batch_size, fix="pass e.g. batch_size=256, the book's"
    )
    arrays = read_fashion_mnist(root)
    train_iter = ArrayLoader(
        arrays.train_images,
        arrays.train_labels,
        batch_size,
        shuffle=True,
        generator=generator,
        resize=resize,
        device=device,
        image_dtype=None,  # torch's default, as the book's ToTensor
    )
    test_iter = ArrayLoader(
        arrays.test_images,
        arrays.test_labels,
        batch_size,
        shuffle=False,
        resize=resize,
        device=device,
        image_dtype=None,
    )
    return train_iter, test_iter
