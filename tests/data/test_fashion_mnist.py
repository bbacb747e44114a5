"""Fashion-MNIST as the book uses it: the real files, torchvision's Dataset contract, the fast iterators.

The real-data tests skip when the Debian package's files are absent; the rest use tiny fixture files.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
import re
import shutil
import time
import tracemalloc
import urllib.request
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.data import download, fashion_mnist, fashion_mnist_memo, files, http_deadline
from linearnets.data import loader as loader_module
from linearnets.data.fashion_mnist import (
    CLASSES,
    TEXT_LABELS,
    TEXT_LABELS_ZH,
    FashionMNIST,
    FashionMNISTArrays,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    read_fashion_mnist,
)
from linearnets.data.files import FASHION_MNIST_FILES
from linearnets.data.transforms import Compose, Resize, ToTensor
from linearnets.data.verify import read_verified
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError
from linearnets.seeding import default_dtype

from .conftest import REAL_DIR, Tiny, get_again, idx_bytes


def _pillow_reference(arr: np.ndarray) -> torch.Tensor:
    """What torchvision's FashionMNIST + ToTensor() give for one uint8 (28, 28) image."""
    return torch.from_numpy(
        np.asarray(Image.fromarray(arr, mode="L"), dtype=np.float32) / 255
    ).unsqueeze(0)


def test_counts_dtypes_and_range(real: FashionMNISTArrays) -> None:
    assert real.train_images.shape == (60000, 28, 28) and real.test_images.shape == (10000, 28, 28)
    assert real.train_images.dtype == torch.uint8 and real.train_labels.dtype == torch.int64
    assert real.train_labels.bincount().tolist() == [6000] * 10
    assert real.test_labels.bincount().tolist() == [1000] * 10
    assert real.found.directory == REAL_DIR


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_torchvision_attributes(real_memo: FashionMNISTArrays, train: bool) -> None:
    ds = FashionMNIST(REAL_DIR, train=train)
    n = 60000 if train else 10000
    assert len(ds) == n and ds.train is train and ds.root == REAL_DIR
    assert ds.data.dtype == torch.uint8 and tuple(ds.data.shape) == (n, 28, 28)
    assert ds.targets.dtype == torch.int64 and tuple(ds.targets.shape) == (n,)
    assert ds.classes == list(CLASSES) and ds.class_to_idx["Ankle boot"] == 9
    x, y = ds[0]
    assert x.dtype == torch.float32 and tuple(x.shape) == (1, 28, 28) and isinstance(y, int)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_items_equal_pillow_and_to_tensor(real_memo: FashionMNISTArrays, train: bool) -> None:
    ds = FashionMNIST(train=train)  # found by searching, read from the memo
    rng = np.random.default_rng(0)
    indices = [0, 1, len(ds) - 1, *rng.integers(0, len(ds), 200).tolist()]
    with_transform = FashionMNIST(train=train, transform=ToTensor())
    for i in indices:
        expected = _pillow_reference(ds.data[i].numpy())
        x, y = ds[i]
        assert torch.equal(x, expected), i
        assert y == int(ds.targets[i])
        assert torch.equal(with_transform[i][0], expected), i


def test_repr_is_torchvisions_summary(real_memo: FashionMNISTArrays) -> None:
    ds = FashionMNIST(REAL_DIR, train=False, transform=Compose([Resize(64), ToTensor()]))
    assert repr(ds).splitlines() == [
        "Dataset FashionMNIST",
        "    Number of datapoints: 10000",
        f"    Root location: {REAL_DIR}",
        "    Split: Test",
        "    StandardTransform",  # torchvision 0.28's, byte for byte
        "Transform: Compose(",
        "               Resize(size=64, interpolation=bilinear, max_size=None, antialias=True)",
        "               ToTensor()",
        "           )",
    ]
    assert repr(FashionMNIST(REAL_DIR)).splitlines()[-1] == "    Split: Train"


def test_repr_names_the_target_transform(real_memo: FashionMNISTArrays) -> None:
    class OneHot:
        def __call__(self, label: int) -> int:
            return label

        def __repr__(self) -> str:
            return "OneHot(\n  num_classes=10)"

    ds = FashionMNIST(REAL_DIR, train=False, target_transform=OneHot())
    assert repr(ds).splitlines()[3:] == [
        "    Split: Test",
        "    StandardTransform",  # torchvision 0.28's: later lines indented to the first one's text
        "Target transform: OneHot(",
        "                    num_classes=10)",
    ]


def test_transform_receives_a_pil_image(real_memo: FashionMNISTArrays) -> None:
    seen: list[Any] = []

    def transform(img: Any) -> Any:
        seen.append(img)
        return img

    ds = FashionMNIST(
        REAL_DIR, train=False, transform=transform, target_transform=lambda t: t + 100
    )
    img, target = ds[5]
    assert isinstance(seen[0], Image.Image) and seen[0].mode == "L" and seen[0].size == (28, 28)
    assert np.array_equal(np.asarray(img), ds.data[5].numpy())
    assert target == int(ds.targets[5]) + 100


def test_book_style_resize_pipeline(real_memo: FashionMNISTArrays) -> None:
    ds = FashionMNIST(REAL_DIR, transform=Compose([Resize(64), ToTensor()]))
    x, _ = ds[0]
    assert x.dtype == torch.float32 and tuple(x.shape) == (1, 64, 64)
    # the oracle: Pillow's own bilinear resize of the raw image, then / 255 (what torchvision gives)
    resized = Image.fromarray(ds.data[0].numpy(), mode="L").resize((64, 64), Image.BILINEAR)
    expected = torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255).unsqueeze(0)
    assert torch.equal(x, expected)


def test_labels_in_both_languages() -> None:
    assert get_fashion_mnist_labels([0, 9, 3]) == ["t-shirt", "ankle boot", "dress"]
    assert get_fashion_mnist_labels(torch.tensor([[1], [2]]), lang="zh") == ["裤子", "套衫"]
    assert len(TEXT_LABELS) == len(TEXT_LABELS_ZH) == len(CLASSES) == 10
    assert get_fashion_mnist_labels([]) == []
    assert get_fashion_mnist_labels(np.array([8, 5])) == ["bag", "sandal"]  # NumPy integers too
    assert get_fashion_mnist_labels(range(10)) == list(TEXT_LABELS)
    # whole-number floats are classes, as the book's text_labels[int(i)] reads them
    assert get_fashion_mnist_labels(torch.tensor([9.0, 0.0])) == ["ankle boot", "t-shirt"]
    # one label, a Python or NumPy int as a 0-d tensor: a list of one name
    assert get_fashion_mnist_labels(3) == get_fashion_mnist_labels(torch.tensor(3)) == ["dress"]
    assert get_fashion_mnist_labels(np.int64(9), lang="zh") == ["短靴"]
    assert get_fashion_mnist_labels(9.0) == ["ankle boot"]  # one whole-number float, as in a list


BAD_LABELS = [
    ("too big", [10], "en", r"labels must be class indices in \[0, 10\), got 10"),
    ("negative", torch.tensor([-1]), "en", r"got -1; pass Fashion-MNIST labels"),
    ("fraction", [1.5], "en", r"got 1.5"),
    ("nan", [float("nan")], "en", r"got nan"),
    ("bool", [True], "en", r"got True"),
    (
        "language",
        [0],
        "fr",
        r"lang must be 'en' or 'zh', got 'fr'; pass lang='en' for the book's English labels or "
        r"lang='zh' for Chinese label names$",
    ),
    (
        "a string",
        "ab",
        "en",
        r"labels must be class indices \(a tensor, list or one int\), got str 'ab'",
    ),
    ("None", None, "en", r"got NoneType None; pass e.g. y from a batch, or \[3\]"),
    ("one bool", True, "en", r"got bool True"),
    ("bytes", b"\x03", "en", r"\(a tensor, list or one int\), got bytes b'\\x03'; pass e\.g\."),
    (
        "one fraction",
        2.5,
        "en",
        r"^labels must be class indices, whole numbers, got 2\.5; pass each",
    ),
    (
        "a long repr",
        Decimal("1." + "1" * 60),
        "en",
        re.escape(f"got Decimal {Decimal('1.' + '1' * 60)!r:.40}; pass e.g. y from a batch"),
    ),
]


@pytest.mark.parametrize(
    ("labels", "lang", "pattern"), [b[1:] for b in BAD_LABELS], ids=[b[0] for b in BAD_LABELS]
)
def test_bad_labels(labels: Any, lang: str, pattern: str) -> None:
    with pytest.raises(UsageError, match=pattern):
        get_fashion_mnist_labels(labels, lang=lang)


def test_load_data_shapes_and_lengths(real_memo: FashionMNISTArrays) -> None:
    train_iter, test_iter = load_data_fashion_mnist(256)
    assert len(train_iter) == 235 and len(test_iter) == 40
    batch = next(iter(train_iter))
    assert type(batch) is list  # as the book's DataLoader collates (X, y) examples: [X, y]
    X, y = batch
    assert X.dtype == torch.float32 and tuple(X.shape) == (256, 1, 28, 28)
    assert y.dtype == torch.int64 and tuple(y.shape) == (256,)
    sizes = [len(y) for _, y in test_iter]
    assert sum(sizes) == 10000 and sizes[-1] == 10000 - 39 * 256
    # as a DataLoader's: len(train_iter.dataset) examples, each (image, int label)
    assert len(train_iter.dataset) == 60000 and len(test_iter.dataset) == 10000
    image, label = test_iter.dataset[0]
    assert tuple(image.shape) == (1, 28, 28) and label == 9  # the first test image: an ankle boot


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_load_data_loaders_have_the_dataloader_and_dataset_attributes_torchvisions_have(
    real_memo: FashionMNISTArrays, train: bool
) -> None:
    """num_workers, drop_last, dataset.classes, .targets and .data were AttributeErrors, where the
    book's DataLoader over torchvision's FashionMNIST has them."""
    from linearnets.torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    train_iter, test_iter = load_data_fashion_mnist(256, resize=32, num_workers=4)
    loader = train_iter if train else test_iter
    reference = TorchvisionFashionMNIST(REAL_DIR, train=train)
    assert loader.num_workers == 4 and loader.drop_last is False
    dataset = loader.dataset
    assert dataset.classes == reference.classes == list(CLASSES)
    assert dataset.targets.dtype == reference.targets.dtype == torch.int64
    assert torch.equal(dataset.targets, reference.targets)
    assert dataset.data.dtype == torch.uint8 and tuple(dataset.data.shape[1:]) == (28, 28)
    assert torch.equal(dataset.data, reference.data)  # as held, not resized
    with pytest.raises(AttributeError, match=r"^ArrayLoader has no sampler: .*; read "):
        loader.sampler  # noqa: B018


def _pil_resized(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The book's Resize-then-ToTensor on each image: Pillow's bilinear resize, then / 255."""
    return torch.stack(
        [
            torch.from_numpy(
                np.asarray(
                    Image.fromarray(image.numpy(), mode="L").resize(size[::-1], Image.BILINEAR),
                    dtype=np.float32,
                )
                / 255
            )
            for image in images
        ]
    ).unsqueeze(1)


def test_load_data_with_resize(real_memo: FashionMNISTArrays) -> None:
    train_iter, test_iter = load_data_fashion_mnist(32, resize=64)
    X, _ = next(iter(train_iter))
    assert tuple(X.shape) == (32, 1, 64, 64)
    # the book's pipeline gives Pillow's pixels (resized in uint8, then / 255), bit for bit
    X = torch.cat([X for X, _ in itertools.islice(test_iter, 16)])  # the first 512 test images
    assert torch.equal(X, _pil_resized(real_memo.test_images[:512], (64, 64)))
    ds = FashionMNIST(REAL_DIR, train=False, transform=Compose([Resize(64), ToTensor()]))
    assert torch.equal(X[3], ds[3][0]) and torch.equal(test_iter.dataset[3][0], X[3])


@pytest.mark.parametrize("size", [224, (14, 14), (40, 64), (32, 20), (20, 12), 26])
def test_load_data_resize_matches_pillow_at_other_sizes(
    real_memo: FashionMNISTArrays, size: int | tuple[int, int]
) -> None:
    _, test_iter = load_data_fashion_mnist(20, resize=size)
    X, _ = next(iter(test_iter))  # 20 images: the packing of 4 per call leaves none over
    hw = (size, size) if isinstance(size, int) else size
    assert torch.equal(X, _pil_resized(real_memo.test_images[:20], hw))
    X, _ = next(iter(load_data_fashion_mnist(7, resize=size)[1]))  # 7: one group of 4 padded
    assert torch.equal(X, _pil_resized(real_memo.test_images[:7], hw))


def test_test_iter_in_order_train_reshuffled(real_memo: FashionMNISTArrays) -> None:
    train_iter, test_iter = load_data_fashion_mnist(
        1000, generator=torch.Generator().manual_seed(0)
    )
    y_test = torch.cat([y for _, y in test_iter])
    assert torch.equal(y_test, real_memo.test_labels)
    X, _ = next(iter(test_iter))
    assert torch.equal(X[:, 0], real_memo.test_images[:1000].float() / 255)
    first, second = (next(iter(train_iter))[1] for _ in range(2))
    assert not torch.equal(first, second)  # a new permutation each epoch


def test_seeded_generator_same_order(real_memo: FashionMNISTArrays) -> None:
    batches = [
        next(iter(load_data_fashion_mnist(64, generator=torch.Generator().manual_seed(5))[0]))
        for _ in range(2)
    ]
    assert torch.equal(batches[0][0], batches[1][0]) and torch.equal(batches[0][1], batches[1][1])


@pytest.mark.parametrize(
    ("batch_size", "resize", "images"),
    [(60000, 400, "60,000 images of 400×400"), (10**6, 200, "60,000 images of 200×200")],
)
def test_load_data_refuses_batches_over_2_gib(
    real_memo: FashionMNISTArrays, batch_size: int, resize: int, images: str
) -> None:
    """Not torch's allocator error (38 GB at 60000 × 400²), nor 9.6 GB per batch quietly."""
    with pytest.raises(
        UsageError,
        match=rf"batch_size and resize must keep each batch of float32 images within 2 GiB .*got "
        rf"batch_size={batch_size}.* and resize={resize}: {images} pixels take .*lower batch_size",
    ):
        load_data_fashion_mnist(batch_size, resize=resize)


@pytest.mark.parametrize(
    "workers, got",
    [(-1, "-1"), (1.5, "1.5"), (True, "True"), ("4", "'4'")],
)
def test_load_data_rejects_bad_workers(workers: Any, got: str) -> None:
    with pytest.raises(
        UsageError,
        match=rf"num_workers must be an integer >= 0, got {got}; pass e.g. num_workers=4",
    ):
        load_data_fashion_mnist(256, num_workers=workers)


@pytest.mark.parametrize(
    ("batch_size", "got", "kind"),
    [(0, "0", UsageError), (-1, "-1", UsageError), (2.5, "2.5", UsageTypeError),
     ("256", "'256'", UsageTypeError)],
)  # fmt: skip
def test_load_data_refuses_a_bad_batch_size_before_reading_with_the_books_example(
    batch_size: Any, got: str, kind: type[Exception], tmp_path: Path
) -> None:
    """It was refused by the loader, after the 60 MB were found, read and verified (here a folder
    holding no files would have been named instead), with the example batch_size=1."""
    with pytest.raises(kind, match=rf"^batch_size must be .*, got {got}; pass e.g. batch_size=256, "
                       "the book's$"):  # fmt: skip
        load_data_fashion_mnist(batch_size, root=tmp_path)


def test_load_data_takes_numpy_integers_for_workers_as_for_the_batch_size(
    real_memo: FashionMNISTArrays,
) -> None:
    train_iter, test_iter = load_data_fashion_mnist(np.int64(256), num_workers=np.int64(4))
    assert train_iter.batch_size == 256 and len(test_iter) == 40


# --- tiny fixture files: no real data needed ----------------------------------------------------


@pytest.fixture
def tiny_table(tiny: Tiny, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[int, str]]:
    """Make the tiny files' checksums the expected ones everywhere the table is read."""
    table = dict(tiny.files)  # a copy: a test may change it
    for module in (files, fashion_mnist, download):
        monkeypatch.setattr(module, "FASHION_MNIST_FILES", table)
    return table


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_tiny_files_read_and_memoised(tiny: Tiny, tmp_path: Path, gz: bool) -> None:
    root = tiny.write(tmp_path / "root", gz=gz)
    arrays = read_fashion_mnist(root, checksums=tiny.files)
    assert arrays.hashed and arrays.verified and tuple(arrays.train_images.shape) == (5, 28, 28)
    for name, field in zip(
        tiny.files, ("train_images", "train_labels", "test_images", "test_labels"), strict=True
    ):
        assert np.array_equal(getattr(arrays, field).numpy(), tiny.arrays[name])
    assert arrays.train_labels.dtype == torch.int64 and arrays.train_images.dtype == torch.uint8
    again = read_fashion_mnist(root, checksums=tiny.files)  # the memo: the same tensors, no reading
    assert again.train_images is arrays.train_images and again.found == arrays.found
    assert not again.hashed
    (tmp_path / "link").symlink_to(root)
    via_link = read_fashion_mnist(tmp_path / "link", checksums=tiny.files)  # another route
    assert via_link.test_labels is arrays.test_labels
    assert via_link.found.directory == tmp_path / "link"  # reports its own source
    fashion_mnist_memo.MEMO.clear()
    assert not read_fashion_mnist(root, checksums=tiny.files).hashed  # the verified cache answers


def test_verify_false_reads_without_checksums(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes: list[int] = []
    monkeypatch.setattr(fashion_mnist, "read_verified", lambda *a, **k: hashes.append(1))
    root = tiny.write(tmp_path / "root")
    arrays = read_fashion_mnist(root, verify=False)  # the real table: tiny files would fail it
    assert not arrays.verified and not arrays.hashed and hashes == []
    assert np.array_equal(arrays.test_images.numpy(), tiny.arrays["t10k-images-idx3-ubyte"])


def test_an_unverified_memo_does_not_answer_a_verified_read(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    unverified = read_fashion_mnist(root, verify=False, checksums=tiny.files)
    verified = read_fashion_mnist(root, checksums=tiny.files)
    assert verified.verified and verified.hashed
    assert read_fashion_mnist(root, verify=False, checksums=tiny.files).train_images is (
        verified.train_images  # a verified memo answers either
    )
    assert unverified.train_images is not verified.train_images
    with pytest.raises(DatasetError, match=r"expected 47040016 bytes of train-images"):
        read_fashion_mnist(root)  # the real checksums: refused, whatever the memo holds


_SWAP = {
    "train-images-idx3-ubyte": "t10k-images-idx3-ubyte",
    "t10k-images-idx3-ubyte": "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte": "t10k-labels-idx1-ubyte",
    "t10k-labels-idx1-ubyte": "train-labels-idx1-ubyte",
}


def test_verify_false_refuses_train_and_test_files_swapped(tiny: Tiny, tmp_path: Path) -> None:
    """Swapped, each split is consistent (3 images to train on, 5 to test): unverified, only the
    table's sizes tell that the train files hold the test split."""
    root = tmp_path / "root"
    root.mkdir()
    for name, data in tiny.gz.items():
        (root / f"{_SWAP[name]}.gz").write_bytes(data)
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False, checksums=tiny.files)
    assert str(info.value) == (
        f"{root}: the train and test files look swapped: train-images-idx3-ubyte.gz holds 3 "
        "images and t10k-images-idx3-ubyte.gz 5 (the checksums give train 5, test 3), "
        "train-labels-idx1-ubyte.gz holds 3 labels and t10k-labels-idx1-ubyte.gz 5 (the "
        "checksums give train 5, test 3); exchange the names of train-images-idx3-ubyte.gz and "
        "t10k-images-idx3-ubyte.gz, and of train-labels-idx1-ubyte.gz and t10k-labels-idx1-ubyte.gz"
    )
    assert not fashion_mnist_memo.MEMO  # nothing kept for a later read
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):  # as advised
        (root / f"{name}.gz").rename(root / "swap.gz")
        (root / f"{_SWAP[name]}.gz").rename(root / f"{name}.gz")
        (root / "swap.gz").rename(root / f"{_SWAP[name]}.gz")
    arrays = read_fashion_mnist(root, verify=False, checksums=tiny.files)
    assert np.array_equal(arrays.train_images.numpy(), tiny.arrays["train-images-idx3-ubyte"])
    assert np.array_equal(arrays.test_labels.numpy(), tiny.arrays["t10k-labels-idx1-ubyte"])


def test_verify_false_names_the_one_pair_swapped(tiny: Tiny, tmp_path: Path) -> None:
    """Labels swapped alone (plain files): the images' pair is not named, and each file is named
    as it is in the folder."""
    root = tiny.write(tmp_path / "root")
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        (root / f"{name}.gz").unlink()
        (root / _SWAP[name]).write_bytes(tiny.raw[name])
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False, checksums=tiny.files)
    assert str(info.value) == (
        f"{root}: the train and test files look swapped: train-labels-idx1-ubyte holds 3 labels "
        "and t10k-labels-idx1-ubyte 5 (the checksums give train 5, test 3); exchange the names "
        "of train-labels-idx1-ubyte and t10k-labels-idx1-ubyte"
    )


def test_verify_false_reads_a_subset_with_fewer_train_than_test_images(
    tiny: Tiny, tmp_path: Path
) -> None:
    """A smaller train split is no swap unless both files have each other's size."""
    root = tmp_path / "root"
    root.mkdir()
    rng = np.random.default_rng(1)
    subset = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 2, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4, dtype=np.uint8),
    }
    for name, array in subset.items():
        (root / name).write_bytes(idx_bytes(array))
    arrays = read_fashion_mnist(root, verify=False, checksums=tiny.files)  # tables of 5 and 3
    assert arrays.train_images.shape == (2, 28, 28) and arrays.test_images.shape == (4, 28, 28)
    fashion_mnist_memo.MEMO.clear()
    # train files of the test files' size, the test files not of the train's: no swap
    for name in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        (root / f"train-{name}").write_bytes(tiny.raw[f"t10k-{name}"])
    arrays = read_fashion_mnist(root, verify=False, checksums=tiny.files)
    assert arrays.train_images.shape == (3, 28, 28) and arrays.test_images.shape == (4, 28, 28)


def test_verify_false_refuses_the_real_files_swapped(tmp_path: Path) -> None:
    """The real set's files linked under each other's names: 10,000 images to train on and 60,000
    to test form two consistent splits, which the real table's sizes tell apart."""
    if not REAL_DIR.is_dir():
        pytest.skip(f"the real Fashion-MNIST is not in {REAL_DIR}")
    root = tmp_path / "root"
    root.mkdir()
    for name, other in _SWAP.items():
        (root / f"{other}.gz").symlink_to(REAL_DIR / f"{name}.gz")
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False)
    assert str(info.value).startswith(
        f"{root}: the train and test files look swapped: train-images-idx3-ubyte.gz holds 10000 "
        "images and t10k-images-idx3-ubyte.gz 60000 (the checksums give train 60000, test 10000)"
    )


def test_verify_false_still_refuses_malformed_files(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    path = root / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(tiny.gz["t10k-images-idx3-ubyte"][:-20])
    with pytest.raises(DatasetError, match=rf"^{path}: .*the gzip stream is truncated"):
        read_fashion_mnist(root, verify=False)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("tiny", r"expected 3920 data bytes for sizes \[5, 28, 28\], got 3221225456 \(the file is "
                 r"followed by extra bytes\); "),
        ("zeros", r"expected the IDX magic 2051 = 00 00 08 03 \(unsigned bytes\), got 00 00 00 00; "),
    ],
    ids=["a valid header", "no header"],
)  # fmt: skip
def test_verify_false_refuses_a_huge_plain_file_before_reading_it(
    tiny: Tiny, tmp_path: Path, start: str, message: str
) -> None:
    """A 3 GiB file under a Fashion-MNIST name was read whole into memory, then refused; its
    header and size now refuse it unread, in the same words. Sparse: it costs no disk."""
    root = tiny.write(tmp_path / "root")
    name = "train-images-idx3-ubyte"
    (root / f"{name}.gz").unlink()  # else the .gz beside it would be read in its place
    path = root / name
    with path.open("wb") as f:
        f.write(tiny.raw[name] if start == "tiny" else b"")
        f.truncate(3 * 2**30)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}: {message}"):
            read_fashion_mnist(root, verify=False, checksums=tiny.files)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak  # reading it took 3 GiB (no timing asserted: speed is bench/'s)


@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_verify_false_refuses_a_huge_gzip_file_before_reading_it(
    tiny: Tiny, tmp_path: Path
) -> None:
    """A 3 GiB file starting with gzip's magic was read whole into memory (6 GB, seconds), then
    refused as corrupt; its size now refuses it unread, as a verified read does. Sparse: it costs
    no disk."""
    root = tiny.write(tmp_path / "root")
    path = root / "t10k-images-idx3-ubyte.gz"
    with path.open("wb") as f:
        f.write(b"\x1f\x8b")
        f.truncate(3 * 2**30)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError) as info:
            read_fashion_mnist(root, verify=False, checksums=tiny.files)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == (
        f"{path}: expected a gzip file of at most 48134529 bytes (a gzip of the longest "
        "Fashion-MNIST file, 47040016 bytes once decompressed), got 3221225472 bytes; this is "
        f"another file — {get_again(root)}"
    )
    assert peak < 2**20, peak  # unread: no timing asserted (speed is bench/'s)


def test_verify_false_reads_a_gzip_file_as_large_as_the_longest_allows(
    tiny: Tiny, tmp_path: Path
) -> None:
    """The bound is the set's longest file's, not the name's: a gzip file of the bound's size is
    read (and refused for what it holds), one byte more is refused unread."""
    root = tiny.write(tmp_path / "root")
    path = root / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(
        tiny.gz["t10k-labels-idx1-ubyte"] + bytes(48134529 - len(tiny.gz["t10k-labels-idx1-ubyte"]))
    )
    arrays = read_fashion_mnist(root, verify=False, checksums=tiny.files)  # zero padding is allowed
    assert np.array_equal(arrays.test_labels.numpy(), tiny.arrays["t10k-labels-idx1-ubyte"])
    fashion_mnist_memo.MEMO.clear()
    with path.open("ab") as f:
        f.write(b"\x00")
    with pytest.raises(
        DatasetError, match=r"expected a gzip file of at most 48134529 bytes .* got 48134530 bytes"
    ):
        read_fashion_mnist(root, verify=False, checksums=tiny.files)


def test_download_true_with_files_present_fetches_nothing(
    tiny: Tiny, tiny_table: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setattr(http_deadline, "urlopen", _no_network)  # what downloads call
    ds = FashionMNIST(tmp_path / "root", train=False, download=True)
    assert len(ds) == 3 and ds.root == tmp_path / "root"


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("no download expected")


def test_download_true_reads_this_machines_copy_offline_when_root_lacks_the_files(
    tiny: Tiny, tiny_table: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's FashionMNIST(root="../data", ..., download=True) on a machine without a network."""
    local = tiny.write(tmp_path / "local")  # e.g. the Debian package's copy
    monkeypatch.setenv("LINEARNETS_DATA", str(local))
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setattr(http_deadline, "urlopen", _no_network)  # what downloads call
    (tmp_path / "data").mkdir()
    ds = FashionMNIST(tmp_path / "data", train=True, download=True)
    # torchvision's root is the one passed; raw_folder names the copy actually read
    assert len(ds) == 5 and ds.root == tmp_path / "data" and ds.raw_folder == str(local)
    assert list((tmp_path / "data").iterdir()) == []  # nothing created where nothing was fetched


def test_a_root_without_the_files_says_what_to_pass_in_python(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        FashionMNIST(tmp_path, train=True)
    message = str(info.value)
    assert "pass download=True" in message and "root=None" in message
    assert "--data-dir" not in message  # a Python call, not the command line


def test_each_dataset_has_its_own_tensors(tiny: Tiny, tiny_table: Any, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    first = FashionMNIST(root, train=True)
    first.data[0].zero_()
    first.targets[:2] = 3
    second = FashionMNIST(root, train=True)  # read from the same in-process memo
    images, labels = tiny.arrays["train-images-idx3-ubyte"], tiny.arrays["train-labels-idx1-ubyte"]
    assert torch.equal(second.data[0], torch.from_numpy(images[0]))
    assert second.targets[:2].tolist() == labels[:2].tolist()


def test_download_true_needs_a_root() -> None:
    with pytest.raises(UsageError, match="root must be given with download=True"):
        FashionMNIST(download=True)


@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_labels_out_of_range_are_refused(tiny: Tiny, tiny_table: Any, tmp_path: Path) -> None:
    name = "t10k-labels-idx1-ubyte"
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 10])
    (tiny.write(tmp_path / "root") / f"{name}.gz").write_bytes(gzip.compress(raw))
    tiny_table[name] = (len(raw), hashlib.md5(raw).hexdigest())
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(tmp_path / "root")
    # verified against this table, the files are what it says: get them again from a mirror
    assert str(info.value) == (
        f"{tmp_path / 'root' / name}.gz: expected test labels in [0, 10), got 10 at index 2 (1 of "
        f"the 3 labels is 10 or more); this is no Fashion-MNIST file — {get_again(tmp_path / 'root')}"
    )


_GET_AGAIN = (
    "get it again where a network exists: linearnets.data.download.download_fashion_mnist('{root}')"
)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("train images as test", "{root}/t10k-images-idx3-ubyte.gz: expected 3 test images, one "
         "per label in t10k-labels-idx1-ubyte.gz, got 5 images, the size of "
         "train-images-idx3-ubyte: that file is here under the name of t10k-images-idx3-ubyte — "
         "put each file under its own name, or " + _GET_AGAIN),
        ("train labels as test", "{root}/t10k-labels-idx1-ubyte.gz: expected 3 test labels, one "
         "per image in t10k-images-idx3-ubyte.gz, got 5 labels, the size of "
         "train-labels-idx1-ubyte: that file is here under the name of t10k-labels-idx1-ubyte — "
         "put each file under its own name, or " + _GET_AGAIN),
        ("fewer labels", "{root}/t10k-labels-idx1-ubyte.gz: expected 3 test labels, one per "
         "image in t10k-images-idx3-ubyte.gz, got 2 labels — " + _GET_AGAIN),
        ("label 12", "{root}/t10k-labels-idx1-ubyte.gz: expected test labels in [0, 10), got 12 "
         "at index 1 (1 of the 3 labels is 10 or more); this is no Fashion-MNIST file — "
         + _GET_AGAIN),
        ("images 28x27", "{root}/t10k-images-idx3-ubyte.gz: expected test images (N, 28, 28), "
         "got (3, 28, 27); this is no Fashion-MNIST file — " + _GET_AGAIN),
        ("both off", "{root}: expected one test label per image, got 4 images in "
         "t10k-images-idx3-ubyte.gz and 2 labels in t10k-labels-idx1-ubyte.gz; these files do "
         "not form Fashion-MNIST — read them with verify=True (the default), which names the "
         "file that is not Fashion-MNIST's and how to get it again"),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_verify_false_names_the_file_that_breaks_a_split(
    tiny: Tiny, tmp_path: Path, case: str, message: str
) -> None:
    """Unverified, a split whose files disagree was refused naming the folder alone ("expected
    test images (N, 28, 28) with N labels in [0, 10), got ..."); the file at fault is named, with
    why (the other split's size, the label out of range) and its fix."""
    root = tiny.write(tmp_path / "root")
    images, labels = root / "t10k-images-idx3-ubyte.gz", root / "t10k-labels-idx1-ubyte.gz"
    test_labels = tiny.arrays["t10k-labels-idx1-ubyte"]
    rng = np.random.default_rng(1)
    if case == "train images as test":
        images.write_bytes(tiny.gz["train-images-idx3-ubyte"])
    elif case == "train labels as test":
        labels.write_bytes(tiny.gz["train-labels-idx1-ubyte"])
    elif case == "fewer labels":
        labels.write_bytes(gzip.compress(idx_bytes(test_labels[:2])))
    elif case == "label 12":
        labels.write_bytes(gzip.compress(idx_bytes(np.array([test_labels[0], 12, 3]))))
    elif case == "images 28x27":
        images.write_bytes(gzip.compress(idx_bytes(rng.integers(0, 256, (3, 28, 27)))))
    else:
        images.write_bytes(gzip.compress(idx_bytes(rng.integers(0, 256, (4, 28, 28)))))
        labels.write_bytes(gzip.compress(idx_bytes(test_labels[:2])))
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False, checksums=tiny.files)
    assert str(info.value) == message.format(root=root)


def test_an_unreadable_file_is_named_with_the_reason(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root every file is readable, so the permission error is raised where the file is read."""

    def denied(path: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(fashion_mnist, "read_verified", denied)
    root = tiny.write(tmp_path / "root")
    with pytest.raises(
        DatasetError,
        match=r"train-images-idx3-ubyte.gz cannot be read \(Permission denied\); check the file's "
        r"permissions, or pass another folder as root=DIR$",
    ):
        read_fashion_mnist(root, checksums=tiny.files)


def test_verify_must_be_true_or_false(tiny: Tiny, tmp_path: Path) -> None:
    """``verify="no"`` is truthy: taken as is, it would hash the files the caller asked not to."""
    root = tiny.write(tmp_path / "root")
    with pytest.raises(UsageTypeError, match=r"verify must be True or False, got 'no'"):
        read_fashion_mnist(root, verify="no", checksums=tiny.files)  # type: ignore[arg-type]


def test_unverified_reads_are_memoised_too(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    first = read_fashion_mnist(root, verify=False, checksums=tiny.files)
    again = read_fashion_mnist(root, verify=False, checksums=tiny.files)
    assert again.train_images is first.train_images and again.test_labels is first.test_labels


def _new_labels_gz(tiny: Tiny, root: Path, name: str) -> Any:
    """Write other labels into ``root``'s ``name.gz``, with a later mtime; return them."""
    new_labels = (tiny.arrays[name] + 1) % 10
    path = root / f"{name}.gz"
    path.write_bytes(gzip.compress(idx_bytes(new_labels)))
    _later_mtime(path)
    return new_labels


def _later_mtime(path: Path) -> None:
    """Move ``path``'s mtime a second on, whatever the clock."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_a_file_rewritten_on_disk_is_read_again(tiny: Tiny, tmp_path: Path) -> None:
    """The memo is keyed by each file's identity (a stat): new content at the same path is not missed."""
    root = tiny.write(tmp_path / "root")
    name = "t10k-labels-idx1-ubyte"
    before = read_fashion_mnist(root, verify=False)
    assert before.test_labels.tolist() == tiny.arrays[name].tolist()
    new_labels = _new_labels_gz(tiny, root, name)
    after = read_fashion_mnist(root, verify=False)
    assert after.test_labels.tolist() == new_labels.tolist()


@pytest.mark.parametrize("change", ["truncated in place", "replaced (cp -p)", "rewritten in place"])
def test_a_file_changed_with_its_time_put_back_is_not_answered_by_the_memo(
    tiny: Tiny, tiny_table: Any, tmp_path: Path, change: str
) -> None:
    """A second load in the process returned the first one's data without a word: the memo was
    keyed by path and mtime, which touch -r, cp -p and rsync -t put back. Read again, the change
    is caught by the verification (size, then MD5)."""
    name = "t10k-labels-idx1-ubyte"
    root = tiny.write(tmp_path / "root", gz=False)
    path = root / name
    load_data_fashion_mnist(2, root=root)
    before = path.stat()
    good = tiny.raw[name]
    damaged = good[:-1] + bytes([(good[-1] + 1) % 10])  # same size, another last label
    if change == "truncated in place":
        path.write_bytes(good[:-1])
    elif change == "replaced (cp -p)":
        (root / "new").write_bytes(damaged)
        os.replace(root / "new", path)
    else:
        path.write_bytes(damaged)
        for _ in range(2000):  # until the file system's clock ticks (a few ms at most)
            if path.stat().st_ctime_ns != before.st_ctime_ns:
                break
            time.sleep(0.001)
            path.write_bytes(damaged)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    size, md5 = tiny.files[name]
    expected = (
        rf"expected {size} bytes of {name} once decompressed, got {size - 1}; the file is truncated"
        if change == "truncated in place"
        else rf"expected MD5 {md5} for the decompressed {name}, got [0-9a-f]{{32}}; the file is corrupt"
    )
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(path))}: {expected}"):
        load_data_fashion_mnist(2, root=root)


def test_the_gz_read_in_place_of_a_damaged_plain_file_is_watched_by_the_memo(
    tiny: Tiny, tmp_path: Path
) -> None:
    """The memo watched the files found, not the .gz read for a rejected plain one: new labels
    in that .gz were not read."""
    name = "t10k-labels-idx1-ubyte"
    root = tiny.write(tmp_path / "root")
    (root / name).write_bytes(b"cut")  # rejected: its .gz is read
    with pytest.warns(DataWarning):
        before = read_fashion_mnist(root, verify=False)
    assert before.test_labels.tolist() == tiny.arrays[name].tolist()
    new_labels = _new_labels_gz(tiny, root, name)
    with pytest.warns(DataWarning):
        after = read_fashion_mnist(root, verify=False)
    assert after.test_labels.tolist() == new_labels.tolist()


def test_a_load_the_memo_answers_names_the_gz_read_in_place_of_a_damaged_plain_file(
    tiny: Tiny, tmp_path: Path
) -> None:
    """The first load said it read the .gz; the second, answered by the memo with the same data,
    named the damaged plain file as the one read (its source and folder, as before)."""
    name = "t10k-labels-idx1-ubyte"
    root = tiny.write(tmp_path / "root")
    (root / name).write_bytes(b"cut")  # rejected: its .gz is read
    with pytest.warns(DataWarning):
        first = read_fashion_mnist(root, checksums=tiny.files)
    again = read_fashion_mnist(root, checksums=tiny.files)
    assert again.test_labels is first.test_labels  # from the memo
    expected = {n: root / f"{n}.gz" for n in tiny.files}
    assert first.found.paths == expected and again.found.paths == expected
    assert again.found.directory == first.found.directory and again.found.folder == root


def test_hashed_is_true_when_any_one_file_was_hashed_now(tiny: Tiny, tmp_path: Path) -> None:
    """Three files answered by the verified cache and one hashed again (its mtime changed): hashed."""
    root = tiny.write(tmp_path / "root")
    assert read_fashion_mnist(root, checksums=tiny.files).hashed  # all four hashed and remembered
    fashion_mnist_memo.MEMO.clear()
    assert not read_fashion_mnist(root, checksums=tiny.files).hashed  # all four from the cache
    fashion_mnist_memo.MEMO.clear()
    path = root / f"{next(iter(tiny.files))}.gz"  # the first file read
    _later_mtime(path)
    arrays = read_fashion_mnist(root, checksums=tiny.files)
    assert arrays.hashed and arrays.verified
    assert arrays.hashed_files == (next(iter(tiny.files)),)  # that one alone


@pytest.mark.parametrize(
    ("name", "array", "got"),
    [
        ("train-labels-idx1-ubyte", np.arange(4, dtype=np.uint8), r": expected one train label per image, got 5 images in train-images-idx3-ubyte.gz and 4 labels in train-labels-idx1-ubyte.gz;"),
        ("t10k-images-idx3-ubyte", np.zeros((3, 28, 27), np.uint8), r"/t10k-images-idx3-ubyte.gz: expected test images \(N, 28, 28\), got \(3, 28, 27\);"),
    ],
    ids=["4 labels for 5 images", "28x27 images"],
)  # fmt: skip
def test_files_that_do_not_form_fashion_mnist_are_refused(
    tiny: Tiny, tmp_path: Path, name: str, array: np.ndarray, got: str
) -> None:
    root = tiny.write(tmp_path / "root")
    (root / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    with pytest.raises(DatasetError, match=rf"^{re.escape(str(root))}{got}"):
        read_fashion_mnist(root, verify=False)


def test_load_data_reads_the_root_it_is_given(
    tiny: Tiny, tiny_table: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # nothing else to find
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    root = tiny.write(tmp_path / "root")
    _, test_iter = load_data_fashion_mnist(2, root=root)
    X = torch.cat([X for X, _ in test_iter])
    images = tiny.arrays["t10k-images-idx3-ubyte"]
    assert torch.equal(X, torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1))


def test_load_data_reads_through_the_read_fashion_mnist_of_linearnets_data_fashion_mnist(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_data_fashion_mnist lives in fashion_mnist_loaders.py: a patch of
    linearnets.data.fashion_mnist.read_fashion_mnist, where it was defined, still reaches it."""
    real = read_fashion_mnist(tiny.write(tmp_path / "root"), checksums=tiny.files)
    roots: list[object] = []

    def read(root: object) -> FashionMNISTArrays:
        roots.append(root)
        return real

    monkeypatch.setattr(fashion_mnist, "read_fashion_mnist", read)
    train_iter, _ = load_data_fashion_mnist(2, root="patched")
    assert roots == ["patched"]
    assert torch.equal(
        torch.cat([y for _, y in train_iter]).sort().values, real.train_labels.sort().values
    )


@pytest.mark.parametrize(
    ("resize", "shape"),
    [((20, 12), (20, 12)), ([14], (14, 14)), (64, (64, 64))],
    ids=["pair (h, w)", "[n]", "int n"],
)
def test_load_data_takes_every_size_transforms_resize_takes(
    tiny: Tiny,
    tiny_table: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    resize: Any,
    shape: tuple[int, int],
) -> None:
    """The book hands resize to transforms.Resize: its batches must be Resize's images."""
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    root = tiny.write(tmp_path / "root")
    train_iter, test_iter = load_data_fashion_mnist(2, resize=resize, root=root)
    X = torch.cat([X for X, _ in test_iter])
    assert tuple(X.shape) == (3, 1, *shape) and next(iter(train_iter))[0].shape[-2:] == shape
    book = Compose([Resize(resize), ToTensor()])  # the book's transform, on the same PIL images
    images = tiny.arrays["t10k-images-idx3-ubyte"]
    assert torch.equal(X, torch.stack([book(Image.fromarray(image, mode="L")) for image in images]))


@pytest.mark.parametrize("resize", [None, 64], ids=["28x28", "resize=64"])
def test_load_data_gives_torchs_default_dtype_as_the_books_to_tensor(
    tiny: Tiny,
    tiny_table: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    resize: int | None,
) -> None:
    """§3.6's exercise 3 in double precision: after torch.set_default_dtype(torch.float64) the
    book's ToTensor gives float64 images (torchvision reads the default for each image), and so
    must these batches; they were float32, which the learner's float64 W could not multiply."""
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    root = tiny.write(tmp_path / "root")
    train_iter, test_iter = load_data_fashion_mnist(2, resize=resize, root=root)
    pixels = tiny.arrays["t10k-images-idx3-ubyte"]  # uint8 (3, 28, 28)
    if resize is not None:  # the book's Resize: Pillow's bilinear pixels, still uint8
        resized = [Image.fromarray(a, mode="L").resize((64, 64), Image.BILINEAR) for a in pixels]
        pixels = np.stack([np.array(image) for image in resized])
    with default_dtype(torch.float64):
        X = torch.cat([X for X, _ in test_iter])
        X_train = next(iter(train_iter))[0]
    # torchvision's to_tensor: img.to(dtype=torch.get_default_dtype()).div(255)
    assert X.dtype == X_train.dtype == torch.float64
    assert torch.equal(X, torch.from_numpy(pixels.astype(np.float64) / 255).unsqueeze(1))
    assert next(iter(test_iter))[0].dtype == torch.float32  # the default back: float32 again


@pytest.mark.parametrize(
    ("resize", "error", "got"),
    [((0, 5), UsageError, r"\(0, 5\)"), ((64, 32, 3), UsageTypeError, r"\(64, 32, 3\)"),
     ([64.0], UsageTypeError, r"\[64\.0\]")],
)  # fmt: skip
def test_load_data_refuses_a_bad_pair_naming_all_of_it(
    tiny: Tiny, tiny_table: Any, tmp_path: Path, resize: Any, error: type[Exception], got: str
) -> None:
    root = tiny.write(tmp_path / "root")
    with pytest.raises(
        error,
        match=rf"^resize must be a positive integer or a pair \(h, w\) of them, got {got}; pass "
        r"resize=None .* resize=64 or resize=\(64, 32\)$",
    ):
        load_data_fashion_mnist(2, resize=resize, root=root)


def test_load_data_puts_both_iterators_on_the_device(
    real_memo: FashionMNISTArrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a GPU here, where the device goes is observed at its one door, resolve_device."""
    asked: list[Any] = []

    def resolve(device: Any) -> torch.device:
        asked.append(device)
        return torch.device("cpu")

    monkeypatch.setattr(loader_module, "resolve_device", resolve)
    train_iter, test_iter = load_data_fashion_mnist(256, device="cuda:1")
    assert asked == ["cuda:1", "cuda:1"]
    assert train_iter.device == test_iter.device == torch.device("cpu")


@pytest.mark.parametrize(
    ("name", "array", "message"),
    [
        ("train-labels-idx1-ubyte", np.array([1, 2, 3, 4], np.uint8),
         "{root}: expected one train label per image, got 5 images in train-images-idx3-ubyte.gz "
         "and 4 labels in train-labels-idx1-ubyte.gz; these files do not form Fashion-MNIST — "
         "read them with verify=True (the default), which names the file that is not "
         "Fashion-MNIST's and how to get it again"),
        ("t10k-images-idx3-ubyte", np.zeros((3, 28, 27), np.uint8),
         "{root}/t10k-images-idx3-ubyte.gz: expected test images (N, 28, 28), got (3, 28, 27); "
         "this is no Fashion-MNIST file — get it again where a network exists: "
         "linearnets.data.download.download_fashion_mnist('{root}')"),
    ],
    ids=["train: 4 labels for 5 images", "test: 28x27 images"],
)  # fmt: skip
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_the_split_that_does_not_form_fashion_mnist_is_named_in_full(
    tiny: Tiny, tmp_path: Path, name: str, array: np.ndarray, message: str
) -> None:
    """The message names the file at fault where one is (images of another shape), else the
    folder, the split and both files' counts (the real table's sizes fit neither tiny file)."""
    root = tiny.write(tmp_path / "root")
    (root / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False)
    assert str(info.value) == message.format(root=root)


def test_pixels_and_labels_equal_an_independent_numpy_read(real: FashionMNISTArrays) -> None:
    """The oracle: each .gz inflated by gzip and its IDX payload read by NumPy after the header
    (every test image and label, every training label, the first 5,000 training images)."""
    for field, name, header, count in [
        ("train_images", "train-images-idx3-ubyte", 16, 5000 * 28 * 28),
        ("train_labels", "train-labels-idx1-ubyte", 8, 60000),
        ("test_images", "t10k-images-idx3-ubyte", 16, 10000 * 28 * 28),
        ("test_labels", "t10k-labels-idx1-ubyte", 8, 10000),
    ]:
        with gzip.open(REAL_DIR / f"{name}.gz") as f:
            raw = f.read(header + count)
        expected = np.frombuffer(raw, np.uint8, offset=header)
        assert len(expected) == count
        assert np.array_equal(getattr(real, field).numpy().reshape(-1)[:count], expected), field


@pytest.mark.parametrize("verify", [True, False])
def test_a_damaged_plain_file_gives_way_to_the_valid_gz_beside_it(
    tiny: Tiny, tmp_path: Path, verify: bool
) -> None:
    """torchvision's raw/ holds X.gz and X, and an interrupted extraction leaves X truncated: X,
    read first, failed the read (its fix: reinstall a Debian package, or download) though X.gz
    was intact. Its array is read from X.gz, with a warning naming the file to delete."""
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    for name in tiny.files:
        (raw / name).write_bytes(tiny.raw[name])
    damaged = raw / "t10k-labels-idx1-ubyte"
    damaged.write_bytes(tiny.raw["t10k-labels-idx1-ubyte"][:9])
    with pytest.warns(DataWarning) as warned:
        arrays = read_fashion_mnist(tmp_path, verify=verify, checksums=tiny.files)
    labels = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    assert torch.equal(arrays.test_labels, torch.from_numpy(labels))
    assert torch.equal(arrays.test_images, torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"]))
    assert arrays.found.paths["t10k-labels-idx1-ubyte"] == raw / "t10k-labels-idx1-ubyte.gz"
    assert arrays.found.paths["t10k-images-idx3-ubyte"] == raw / "t10k-images-idx3-ubyte"
    # verify=False checks no MD5: the plain file is malformed, the .gz only well-formed
    why, state = (
        ("it fails its size or MD5 check", "intact")
        if verify
        else ("it is not a well-formed IDX file", "well-formed")
    )
    assert [str(w.message) for w in warned] == [
        f"{damaged} is damaged ({why}), so t10k-labels-idx1-ubyte.gz beside it, which is "
        f"{state}, was read instead; delete {damaged}, which is read first"
    ]
    assert warned[0].filename == __file__  # the caller's line, not the library's


def test_a_damaged_plain_file_beside_a_damaged_gz_is_the_error(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    (root / "t10k-labels-idx1-ubyte").write_bytes(b"cut")
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8bcut")
    size = tiny.files["t10k-labels-idx1-ubyte"][0]
    plain = re.escape(str(root / "t10k-labels-idx1-ubyte"))
    with pytest.raises(
        DatasetError,
        match=rf"^{plain}: expected {size} bytes of t10k-labels-idx1-ubyte once decompressed, got "
        r"3; the file is truncated or another file",
    ):  # the plain file's own error: the .gz could not stand in
        read_fashion_mnist(root, checksums=tiny.files)


def _plain_beside_gz(tiny: Tiny, folder: Path) -> tuple[Path, Path]:
    """Write the four .gz files and t10k-labels-idx1-ubyte also plain (valid); return that plain
    file and its .gz."""
    root = tiny.write(folder)
    name = "t10k-labels-idx1-ubyte"
    (root / name).write_bytes(tiny.raw[name])
    return root / name, root / f"{name}.gz"


def _unreadable_plain_warning(plain: Path, verify: bool) -> str:
    return (
        f"{plain} cannot be read (Permission denied), so t10k-labels-idx1-ubyte.gz beside it, "
        f"which is {'intact' if verify else 'well-formed'}, was read instead; make {plain} "
        "readable, or delete it: it is read first"
    )


@pytest.mark.parametrize("verify", [True, False])
def test_a_plain_file_that_cannot_be_read_gives_way_to_the_gz_saying_why(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verify: bool
) -> None:
    """It was warned about as "damaged (it fails its size or MD5 check)", and told to be deleted:
    it cannot be read, which is another fix. Denied where it is read, so this runs as root too."""
    plain, gz = _plain_beside_gz(tiny, tmp_path / "root")
    real_verified, real_open = fashion_mnist.read_verified, Path.open

    def denied(path: Path) -> None:
        if path == plain:
            raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(
        fashion_mnist, "read_verified", lambda p, *a, **k: denied(p) or real_verified(p, *a, **k)
    )
    monkeypatch.setattr(Path, "open", lambda p, *a, **k: denied(p) or real_open(p, *a, **k))
    with pytest.warns(DataWarning) as warned:
        arrays = read_fashion_mnist(tmp_path / "root", verify=verify, checksums=tiny.files)
    assert [str(w.message) for w in warned] == [_unreadable_plain_warning(plain, verify)]
    assert arrays.found.paths["t10k-labels-idx1-ubyte"] == gz
    labels = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    assert torch.equal(arrays.test_labels, torch.from_numpy(labels))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a file of mode 000"
)
@pytest.mark.parametrize("verify", [True, False])
def test_a_plain_file_of_mode_000_gives_way_to_the_gz_saying_why(
    tiny: Tiny, tmp_path: Path, verify: bool
) -> None:
    plain, gz = _plain_beside_gz(tiny, tmp_path / "root")
    plain.chmod(0)
    try:
        with pytest.warns(DataWarning) as warned:
            arrays = read_fashion_mnist(tmp_path / "root", verify=verify, checksums=tiny.files)
    finally:
        plain.chmod(0o644)
    assert [str(w.message) for w in warned] == [_unreadable_plain_warning(plain, verify)]
    assert arrays.found.paths["t10k-labels-idx1-ubyte"] == gz


def test_a_folder_named_as_the_plain_file_is_passed_over_for_the_gz(
    tiny: Tiny, tmp_path: Path
) -> None:
    """Only a file is read: the folder is no candidate, so the .gz is read without a word."""
    root = tiny.write(tmp_path / "root")
    (root / "t10k-labels-idx1-ubyte").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arrays = read_fashion_mnist(root, checksums=tiny.files)
    assert arrays.found.paths["t10k-labels-idx1-ubyte"] == root / "t10k-labels-idx1-ubyte.gz"
    labels = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    assert torch.equal(arrays.test_labels, torch.from_numpy(labels))


@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_train_and_test_files_swapped_are_named_as_such(tmp_path: Path) -> None:
    """The real files, each split's under the other's names: the first file read names the file
    it really is (by its size and MD5), where a download was the one fix given."""
    if not REAL_DIR.is_dir():
        pytest.skip("the real Fashion-MNIST is not installed")
    root = tmp_path / "root"
    root.mkdir()
    for kind in ("images-idx3", "labels-idx1"):
        shutil.copy(REAL_DIR / f"t10k-{kind}-ubyte.gz", root / f"train-{kind}-ubyte.gz")
        shutil.copy(REAL_DIR / f"train-{kind}-ubyte.gz", root / f"t10k-{kind}-ubyte.gz")
    path = root / "train-images-idx3-ubyte.gz"
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root)
    assert str(info.value) == (
        f"{path}: expected 47040016 bytes of train-images-idx3-ubyte once decompressed, got "
        "7840016, the size and MD5 of t10k-images-idx3-ubyte: that file is here under the name "
        f"of train-images-idx3-ubyte — put each file under its own name, or {get_again(root)}"
    )


@pytest.mark.parametrize("kind", ["images-idx3", "labels-idx1"])
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_a_train_file_copied_over_a_test_file_is_named(tmp_path: Path, kind: str) -> None:
    """The real training file under the test file's name: its content, longer than expected, was
    inflated only that far ("got more"), or its .gz was refused by its size alone, as "another
    file" to download again; it is named, as the other way round."""
    if not REAL_DIR.is_dir():
        pytest.skip("the real Fashion-MNIST is not installed")
    name, other = f"t10k-{kind}-ubyte", f"train-{kind}-ubyte"
    path = tmp_path / f"{name}.gz"
    shutil.copy(REAL_DIR / f"{other}.gz", path)
    size, found = FASHION_MNIST_FILES[name][0], FASHION_MNIST_FILES[other][0]
    with pytest.raises(DatasetError) as info:
        read_verified(path, name, expected=FASHION_MNIST_FILES[name])
    assert str(info.value) == (
        f"{path}: expected {size} bytes of {name} once decompressed, got {found}, the size and "
        f"MD5 of {other}: that file is here under the name of {name} — put each file under its "
        f"own name, or {get_again(tmp_path)}"
    )


def test_the_memo_keeps_the_two_sets_used_last(tiny: Tiny, tmp_path: Path) -> None:
    """Each set is ~55 MB of tensors, and a file changed on disk gives a new key: the memo keeps
    the two sets used last, so a process that reads a changed folder again and again does not
    keep every older copy (it kept them all)."""
    roots = [tiny.write(tmp_path / f"root{i}") for i in range(3)]
    first = read_fashion_mnist(roots[0], checksums=tiny.files)
    read_fashion_mnist(roots[1], checksums=tiny.files)
    assert read_fashion_mnist(roots[0], checksums=tiny.files).train_images is first.train_images
    read_fashion_mnist(roots[2], checksums=tiny.files)  # drops roots[1]'s, used before roots[0]'s
    assert len(fashion_mnist_memo.MEMO) == 2
    assert read_fashion_mnist(roots[0], checksums=tiny.files).train_images is first.train_images
    held = {id(arrays.train_images) for arrays in fashion_mnist_memo.MEMO.values()}
    again = read_fashion_mnist(roots[1], checksums=tiny.files)  # read again, not from the memo
    assert id(again.train_images) not in held
    for _ in range(3):  # one folder's file changed three times: one set of it held, the latest
        path = roots[0] / f"{next(iter(tiny.files))}.gz"
        _later_mtime(path)
        latest = read_fashion_mnist(roots[0], checksums=tiny.files)
    assert len(fashion_mnist_memo.MEMO) == 2
    assert any(arrays is latest for arrays in fashion_mnist_memo.MEMO.values())
