"""``read_fashion_mnist(..., train=False)``: the test split's two files alone, found, verified and
read as strictly as the four are (what ``linearnets predict`` needs, D2L §3.6.7)."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.data import fashion_mnist_memo, files
from linearnets.data.fashion_mnist import FashionMNISTArrays, read_fashion_mnist
from linearnets.data.files import HOW_TO_GET, TEST_FILES
from linearnets.errors import DatasetError, UsageError, UsageTypeError

from .conftest import REAL_DIR, Tiny, get_again

TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def _test_only(tiny: Tiny, folder: Path, *, gz: bool = True) -> Path:
    """Write the tiny set's two test files alone into ``folder``; return it."""
    tiny.write(folder, gz=gz)
    for name in TRAIN_FILES:
        (folder / (f"{name}.gz" if gz else name)).unlink()
    return folder


def _numpy_idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped) read with numpy alone: the oracle."""
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def test_the_real_test_files_alone_are_read_as_the_full_folder_gives_them(
    real: FashionMNISTArrays, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder holding only the two test files (copied from the Debian package) was refused:
    'root must hold the Fashion-MNIST files ..., which lacks train-images-idx3-ubyte, ...'."""
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "only-test"
    root.mkdir()
    for name in TEST_FILES:
        shutil.copy(REAL_DIR / f"{name}.gz", root)
    arrays = read_fashion_mnist(root, train=False)
    assert arrays.verified and arrays.hashed_files == TEST_FILES  # both MD5-checked now
    assert arrays.found.paths == {name: root / f"{name}.gz" for name in TEST_FILES}
    images = _numpy_idx(REAL_DIR / "t10k-images-idx3-ubyte.gz")  # (10000, 28, 28)
    labels = _numpy_idx(REAL_DIR / "t10k-labels-idx1-ubyte.gz")  # (10000,)
    assert arrays.test_images.dtype == torch.uint8 and arrays.test_labels.dtype == torch.int64
    assert np.array_equal(arrays.test_images.numpy(), images)
    assert np.array_equal(arrays.test_labels.numpy(), labels)
    assert torch.equal(arrays.test_images, real.test_images)  # as the full folder gives them
    assert torch.equal(arrays.test_labels, real.test_labels)
    monkeypatch.setattr(files, "_debian_dir", lambda: REAL_DIR)  # the Debian package installed
    with pytest.raises(UsageError) as info:
        read_fashion_mnist(root)  # training needs all four: still refused, naming where they are
    assert str(info.value) == (
        f"root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"'{root}', which lacks train-images-idx3-ubyte, train-labels-idx1-ubyte; the Debian "
        f"package dataset-fashion-mnist is installed here, with the files in {REAL_DIR}: they are "
        "read from there when no root=DIR is passed (and LINEARNETS_DATA is unset), or pass "
        f"root='{REAL_DIR}'"
    )
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # without it: install it, or download
    with pytest.raises(UsageError, match=f"; {re.escape(HOW_TO_GET)}$"):
        read_fashion_mnist(root)


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_the_tiny_test_files_alone_are_read_verified_and_memoised(
    tiny: Tiny, tmp_path: Path, gz: bool
) -> None:
    root = _test_only(tiny, tmp_path / "root", gz=gz)
    arrays = read_fashion_mnist(root, checksums=tiny.files, train=False)
    assert arrays.verified and arrays.hashed_files == TEST_FILES
    assert np.array_equal(arrays.test_images.numpy(), tiny.arrays["t10k-images-idx3-ubyte"])
    assert np.array_equal(arrays.test_labels.numpy(), tiny.arrays["t10k-labels-idx1-ubyte"])
    again = read_fashion_mnist(root, checksums=tiny.files, train=False)
    assert again.test_images is arrays.test_images and not again.hashed  # the memo
    fashion_mnist_memo.MEMO.clear()
    assert not read_fashion_mnist(root, checksums=tiny.files, train=False).hashed  # the cache
    with pytest.raises(UsageError, match=r"which lacks train-images-idx3-ubyte, train-labels"):
        read_fashion_mnist(root, checksums=tiny.files)


@pytest.mark.parametrize("field", ["train_images", "train_labels"])
def test_the_train_arrays_of_a_test_only_read_raise_naming_the_fix(
    tiny: Tiny, tmp_path: Path, field: str
) -> None:
    root = _test_only(tiny, tmp_path / "root")
    arrays = read_fashion_mnist(root, checksums=tiny.files, train=False)
    with pytest.raises(UsageError) as info:
        getattr(arrays, field)
    assert str(info.value) == (
        f"{field} was not read: these arrays hold the test split alone, read with "
        f"read_fashion_mnist(..., train=False) from {root}; read them with train=True (the "
        "default) from a folder holding all four files"
    )


def test_a_full_folder_read_for_its_test_split_reads_no_train_file(
    tiny: Tiny, tmp_path: Path
) -> None:
    """The train files are neither read nor verified: a damaged one does not stop predicting."""
    root = tiny.write(tmp_path / "root")
    (root / "train-images-idx3-ubyte.gz").write_bytes(b"junk")
    arrays = read_fashion_mnist(root, checksums=tiny.files, train=False)
    assert set(arrays.found.paths) == set(TEST_FILES) and arrays.hashed_files == TEST_FILES
    assert np.array_equal(arrays.test_images.numpy(), tiny.arrays["t10k-images-idx3-ubyte"])
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte"):
        read_fashion_mnist(root, checksums=tiny.files)  # the four: the damaged one is named


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_a_damaged_test_file_read_alone_is_refused_as_strictly(
    tiny: Tiny, tmp_path: Path, gz: bool
) -> None:
    """Same size, one byte changed: the MD5 of the decompressed content refuses it."""
    root = _test_only(tiny, tmp_path / "root", gz=gz)
    raw = bytearray(tiny.raw["t10k-labels-idx1-ubyte"])
    raw[-1] ^= 1
    path = root / ("t10k-labels-idx1-ubyte.gz" if gz else "t10k-labels-idx1-ubyte")
    path.write_bytes(gzip.compress(bytes(raw), mtime=0) if gz else bytes(raw))
    with pytest.raises(DatasetError, match=rf"^{path}: expected MD5 .* the file is corrupt"):
        read_fashion_mnist(root, checksums=tiny.files, train=False)
    path.write_bytes(gzip.compress(bytes(raw[:-1]), mtime=0) if gz else bytes(raw[:-1]))
    size = tiny.files["t10k-labels-idx1-ubyte"][0]
    with pytest.raises(DatasetError, match=rf"^{path}: expected {size} bytes .*, got {size - 1};"):
        read_fashion_mnist(root, checksums=tiny.files, train=False)


@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_unverified_a_train_file_under_a_test_files_name_is_refused(
    tiny: Tiny, tmp_path: Path
) -> None:
    """Read with verify=False and without the train files, no swap can be seen: a test file of
    its train counterpart's size is named as that file."""
    root = _test_only(tiny, tmp_path / "root")
    path = root / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(tiny.gz["train-images-idx3-ubyte"])
    size = tiny.files["t10k-images-idx3-ubyte"][0]
    train_size = tiny.files["train-images-idx3-ubyte"][0]
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False, checksums=tiny.files, train=False)
    assert str(info.value) == (
        f"{path}: expected {size} bytes of t10k-images-idx3-ubyte once decompressed, got "
        f"{train_size}, the size of train-images-idx3-ubyte: that file is here under the name of "
        f"t10k-images-idx3-ubyte — put each file under its own name, or {get_again(root)}"
    )
    path.write_bytes(tiny.gz["t10k-images-idx3-ubyte"])
    arrays = read_fashion_mnist(root, verify=False, checksums=tiny.files, train=False)
    assert not arrays.verified
    assert np.array_equal(arrays.test_images.numpy(), tiny.arrays["t10k-images-idx3-ubyte"])


@pytest.mark.parametrize("where", ["env", "debian", "raw"])
def test_the_search_finds_the_test_files_alone(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """$LINEARNETS_DATA, the Debian package's folder and data/FashionMNIST/raw holding the two."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    folder = {
        "env": tmp_path / "env",
        "debian": tmp_path / "debian",
        "raw": tmp_path / "data" / "FashionMNIST" / "raw",
    }[where]
    _test_only(tiny, folder)
    if where == "env":
        monkeypatch.setenv("LINEARNETS_DATA", str(folder))
    if where == "debian":
        monkeypatch.setattr(files, "_debian_dir", lambda: folder)
    arrays = read_fashion_mnist(checksums=tiny.files, train=False)
    assert arrays.found.folder.resolve() == folder.resolve()
    assert np.array_equal(arrays.test_labels.numpy(), tiny.arrays["t10k-labels-idx1-ubyte"])
    with pytest.raises(DatasetError, match=r"^Fashion-MNIST was not found \(searched "):
        read_fashion_mnist(checksums=tiny.files)  # training's search still wants all four


def test_test_files_found_nowhere_are_named(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LINEARNETS_DATA", str(tiny.write(tmp_path / "env")))
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    for name in TEST_FILES:
        (tmp_path / "env" / f"{name}.gz").unlink()  # the train files alone
    keras = tmp_path / ".keras" / "datasets" / "fashion-mnist"
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(checksums=tiny.files, train=False)
    assert str(info.value) == (
        "Fashion-MNIST's t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte were not found "
        f"(searched {tmp_path / 'env'} (from $LINEARNETS_DATA, which lacks "
        f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), data, ../data, {keras}); {HOW_TO_GET}"
    )
    with pytest.raises(UsageError) as info:
        read_fashion_mnist(tmp_path / "env", checksums=tiny.files, train=False)
    assert str(info.value) == (
        "root must hold Fashion-MNIST's t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (or "
        f"FashionMNIST/raw/ with them), got '{tmp_path / 'env'}', which lacks "
        f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; {HOW_TO_GET}"
    )


@pytest.mark.parametrize("train", [0, "False", None])
def test_train_must_be_true_or_false(tiny: Tiny, tmp_path: Path, train: object) -> None:
    root = tiny.write(tmp_path / "root")
    with pytest.raises(UsageTypeError, match=rf"^train must be True or False, got {train!r}$"):
        read_fashion_mnist(root, checksums=tiny.files, train=train)  # type: ignore[arg-type]


# read_fashion_mnist(..., test=False): the training split's two files alone (what 'data show' needs)


def _train_only(tiny: Tiny, folder: Path) -> Path:
    """Write the tiny set's two training files alone into ``folder``; return it."""
    tiny.write(folder)
    for name in TEST_FILES:
        (folder / f"{name}.gz").unlink()
    return folder


def test_the_training_files_alone_are_read_and_the_test_arrays_raise_naming_the_fix(
    tiny: Tiny, tmp_path: Path
) -> None:
    """A folder of the training files alone was refused for lacking the test files, though
    drawing training images needs none of them."""
    root = _train_only(tiny, tmp_path / "root")
    arrays = read_fashion_mnist(root, checksums=tiny.files, test=False)
    assert set(arrays.found.paths) == set(TRAIN_FILES) and arrays.hashed_files == TRAIN_FILES
    assert np.array_equal(arrays.train_images.numpy(), tiny.arrays["train-images-idx3-ubyte"])
    labels = tiny.arrays["train-labels-idx1-ubyte"].astype(np.int64)
    assert np.array_equal(arrays.train_labels.numpy(), labels)
    assert arrays.train_labels.dtype == torch.int64
    for field in ("test_images", "test_labels"):
        with pytest.raises(UsageError) as info:
            getattr(arrays, field)
        assert str(info.value) == (
            f"{field} was not read: these arrays hold the training split alone, read with "
            f"read_fashion_mnist(..., test=False) from {root}; read them with test=True (the "
            "default) from a folder holding all four files"
        )
    with pytest.raises(UsageError, match=r"which lacks t10k-images-idx3-ubyte, t10k-labels"):
        read_fashion_mnist(root, checksums=tiny.files)  # the four: still refused


@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_unverified_a_test_file_under_a_training_files_name_is_refused(
    tiny: Tiny, tmp_path: Path
) -> None:
    root = _train_only(tiny, tmp_path / "root")
    path = root / "train-images-idx3-ubyte.gz"
    path.write_bytes(tiny.gz["t10k-images-idx3-ubyte"])
    size = tiny.files["train-images-idx3-ubyte"][0]
    test_size = tiny.files["t10k-images-idx3-ubyte"][0]
    with pytest.raises(DatasetError) as info:
        read_fashion_mnist(root, verify=False, checksums=tiny.files, test=False)
    assert str(info.value) == (
        f"{path}: expected {size} bytes of train-images-idx3-ubyte once decompressed, got "
        f"{test_size}, the size of t10k-images-idx3-ubyte: that file is here under the name of "
        f"train-images-idx3-ubyte — put each file under its own name, or {get_again(root)}"
    )


def test_train_and_test_both_false_is_refused(tiny: Tiny, tmp_path: Path) -> None:
    root = tiny.write(tmp_path / "root")
    with pytest.raises(UsageError) as info:
        read_fashion_mnist(root, checksums=tiny.files, train=False, test=False)
    assert str(info.value) == (
        "train and test must not both be False, got train=False and test=False: nothing would be "
        "read; pass one of them alone to read the other split, or neither for both"
    )
    with pytest.raises(UsageTypeError, match=r"^test must be True or False, got 'False'$"):
        read_fashion_mnist(root, checksums=tiny.files, test="False")  # type: ignore[arg-type]
