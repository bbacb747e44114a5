"""FashionMNIST as torchvision's dataset: items, splits, attributes, summary and ``download`` (D2L §3.5.1).

Uses the tiny fixture files; the expected values come from their NumPy arrays and from torchvision's
documented class names, not from the dataset under test.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.data import (
    dataset,
    dataset_root,
    download,
    download_destination,
    fashion_mnist,
    files,
    http_deadline,
)
from linearnets.data.dataset import FashionMNIST
from linearnets.data.transforms import Compose, Resize, ToTensor
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError

from .conftest import NUM_TEST, NUM_TRAIN, Tiny
from .test_download import Server

# torchvision.datasets.FashionMNIST.classes, as torchvision documents them
TORCHVISION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip


@pytest.fixture
def root(tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny files in a folder, with their checksums the expected ones."""
    for module in (files, fashion_mnist, download):
        monkeypatch.setattr(module, "FASHION_MNIST_FILES", dict(tiny.files))
    return tiny.write(tmp_path / "root")


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("no download expected")


@pytest.mark.parametrize(
    ("train", "prefix", "n"), [(True, "train", NUM_TRAIN), (False, "t10k", NUM_TEST)]
)
def test_items_are_the_split_images_over_255_and_int_labels(
    root: Path, tiny: Tiny, train: bool, prefix: str, n: int
) -> None:
    ds = FashionMNIST(root, train=train)
    images = tiny.arrays[f"{prefix}-images-idx3-ubyte"]
    labels = tiny.arrays[f"{prefix}-labels-idx1-ubyte"]
    assert len(ds) == n and ds.train is train
    for i in range(n):
        image, label = ds[i]
        assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
        # ToTensor's scaling: uint8 / 255 in float32
        expected = torch.from_numpy((images[i].astype(np.float32) / np.float32(255))[None])
        assert torch.equal(image, expected)
        assert type(label) is int and label == int(labels[i])
    assert torch.equal(ds.data, torch.from_numpy(images))
    assert torch.equal(ds.targets, torch.from_numpy(labels.astype(np.int64)))


def test_classes_and_class_to_idx_are_torchvisions(root: Path) -> None:
    ds = FashionMNIST(root)
    assert ds.classes == TORCHVISION_CLASSES
    assert ds.class_to_idx == {name: i for i, name in enumerate(TORCHVISION_CLASSES)}
    assert ds.class_to_idx["Ankle boot"] == 9 and ds.class_to_idx["T-shirt/top"] == 0


@pytest.mark.parametrize("method", ["download", "_check_exists"])
def test_torchvisions_download_methods_are_not_there(root: Path, method: str) -> None:
    """docs/fashion-mnist.md's table of differences: the download is the constructor's
    ``download=True`` (or download_fashion_mnist), not a method to call afterwards."""
    ds = FashionMNIST(root)
    with pytest.raises(AttributeError, match=f"'FashionMNIST' object has no attribute '{method}'"):
        getattr(ds, method)()


@pytest.mark.parametrize(
    ("old", "new"),
    [("train_labels", "targets"), ("test_labels", "targets"), ("train_data", "data"),
     ("test_data", "data")],
)  # fmt: skip
def test_torchvisions_old_attribute_names_answer_with_its_warning(
    root: Path, old: str, new: str
) -> None:
    ds = FashionMNIST(root, train=False)
    with pytest.warns(
        UserWarning, match=rf"^{old} has been renamed {new}$"
    ) as seen:  # torchvision's
        value = getattr(ds, old)
    assert seen[0].filename == __file__
    assert value is getattr(ds, new)


def test_raw_folder_is_the_folder_the_files_were_read_from(root: Path) -> None:
    ds = FashionMNIST(root)
    assert Path(ds.raw_folder) == root and sorted(p.name for p in Path(ds.raw_folder).iterdir())


def _torchvision_raw_folder(root: str) -> str:
    """torchvision's MNIST.raw_folder, written out: os.path.join(root, class name, "raw")."""
    return os.path.join(root, "FashionMNIST", "raw")


def test_raw_folder_in_torchvisions_layout_is_its_raw_folder(
    root: Path, tiny: Tiny, tmp_path: Path
) -> None:
    tv_root = tmp_path / "tv"
    tiny.write(tv_root / "FashionMNIST" / "raw")
    ds = FashionMNIST(str(tv_root), train=False)
    assert ds.root == str(tv_root)
    assert ds.raw_folder == _torchvision_raw_folder(str(tv_root))
    assert sorted(os.listdir(ds.raw_folder)) == sorted(f"{name}.gz" for name in tiny.files)
    assert ds.processed_folder == os.path.join(str(tv_root), "FashionMNIST", "processed")


@pytest.fixture
def no_machine_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave this machine without a copy of Fashion-MNIST for the search to find, ``root`` kept:
    no $LINEARNETS_DATA, no Debian package, an empty home, and a working folder whose data/ and
    ../data/ do not exist (where it has one, a missing root's fix names it)."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "elsewhere" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)


def _no_copy_anywhere(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave this machine without Fashion-MNIST: no $LINEARNETS_DATA, no Debian package, an empty
    home and working folder, and ``root`` (the tiny copy) moved away."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    root.rename(tmp_path / "gone")


def test_download_true_from_a_mirror_sets_root_and_raw_folder_as_torchvision(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No copy on this machine: the files come from a mirror on 127.0.0.1 into root/FashionMNIST/raw,
    the one set as torchvision's users set theirs: FashionMNIST.mirrors = [...] (it was ignored)."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        target = str(tmp_path / "target")
        ds = FashionMNIST(target, train=False, download=True)
    finally:
        server.close()
    assert server.requests  # really fetched
    assert ds.root == target and ds.raw_folder == _torchvision_raw_folder(target)
    assert sorted(os.listdir(ds.raw_folder)) == sorted(f"{name}.gz" for name in tiny.files)
    assert torch.equal(ds.data, torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"]))


def _download_from(server: Server, tiny: Tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    """Have FashionMNIST(download=True) fetch the tiny files from ``server``'s good mirror, as
    torchvision's users set their mirrors, quietly."""
    monkeypatch.setattr(FashionMNIST, "mirrors", [server.mirror("good")])
    monkeypatch.setattr(
        download,
        "download_fashion_mnist",
        functools.partial(download.download_fashion_mnist, checksums=tiny.files, progress=False),
    )


def test_a_full_disk_under_download_true_is_told_to_try_the_same_call_again(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FashionMNIST(root, download=True) on a full disk was told to "call download_fashion_mnist
    again", a function its user never called: the fix now says to try the same call again."""
    import errno

    from linearnets.data import fetch, transfer

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    server = Server(tiny)

    def full(url: str, f: Any, **kwargs: Any) -> Any:
        raise transfer.DiskError(OSError(errno.ENOSPC, "No space left on device"))

    try:
        _download_from(server, tiny, monkeypatch)
        monkeypatch.setattr(fetch, "fetch_url", full)
        with pytest.raises(fetch.LocalFileError) as info:
            FashionMNIST(str(tmp_path / "a"), train=False, download=True)
    finally:
        server.close()
    assert str(info.value).endswith(
        f"free some space on the disk that holds {tmp_path / 'a' / 'FashionMNIST' / 'raw'} and "
        "try again (the same call), or pass root=DIR to download elsewhere"
    ), str(info.value)


def test_mirrors_set_as_an_iterator_serve_one_download_and_then_are_refused(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FashionMNIST.mirrors = map(...): the check used the iterator up, and the download tried no
    mirror, saying "could not download ... from any mirror (); without a network, ..."."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        monkeypatch.setattr(FashionMNIST, "mirrors", map(str, [server.mirror("good")]))
        monkeypatch.setattr(
            download,
            "download_fashion_mnist",
            functools.partial(
                download.download_fashion_mnist, checksums=tiny.files, progress=False
            ),
        )
        ds = FashionMNIST(str(tmp_path / "a"), train=False, download=True)
        assert sorted(os.listdir(ds.raw_folder)) == sorted(f"{name}.gz" for name in tiny.files)
        # the map is used up: the next download is told why, not sent to no mirror
        with pytest.raises(
            UsageError,
            match=r"^FashionMNIST\.mirrors must be a non-empty list of base URLs, got an iterator "
            r"that gave no URLs \(an iterator gives its URLs once: set FashionMNIST\.mirrors to a "
            r"list\); set e\.g\. FashionMNIST\.mirrors = \['http://fashion-mnist",
        ):
            FashionMNIST(str(tmp_path / "b"), train=False, download=True)
    finally:
        server.close()
    assert not (tmp_path / "b").exists()


def _in_a_work_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in ``tmp_path/work``, so that the book's ``../data`` is ``tmp_path/data`` (not the
    folder above every test's ``tmp_path``); return that ``../data``."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path / "data"


def test_load_data_fashion_mnist_downloads_into_the_books_data_where_no_copy_is_found(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """d2l.load_data_fashion_mnist(batch_size) raised "Fashion-MNIST was not found" where the
    book's, through torchvision's FashionMNIST(root="../data", download=True), downloads: it now
    downloads into ../data/FashionMNIST/raw, saying so once, and reads them; the next call reads
    that copy, with no request and no word."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        with pytest.warns(DataWarning) as seen:
            train_iter, test_iter = d2l.load_data_fashion_mnist(2)
        fetched = list(server.requests)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no second note
            again, _ = d2l.load_data_fashion_mnist(2)
    finally:
        server.close()
    assert [str(w.message) for w in seen] == [
        "Fashion-MNIST was not found on this machine: downloading it into ../data, the book's "
        f"root ({book_data}), as the book's load_data_fashion_mnist does (pass root=DIR to read "
        "a copy elsewhere)"
    ]
    assert sorted(fetched) == sorted(f"/good/{name}.gz" for name in tiny.files)
    assert server.requests == fetched  # the second call read the copy
    raw = book_data / "FashionMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(f"{name}.gz" for name in tiny.files)
    images = torch.cat([X for X, _ in test_iter])
    expected = torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"]).float().div(255)
    assert torch.equal(images, expected.unsqueeze(1))
    assert len(train_iter.dataset) == len(again.dataset) == NUM_TRAIN


def test_load_data_fashion_mnist_reads_a_copy_found_anywhere_without_downloading(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search comes first: a copy in the last place searched (the Keras cache) is read, and
    nothing is downloaded."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    tiny.write(tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist")
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, test_iter = d2l.load_data_fashion_mnist(2)
    assert len(test_iter.dataset) == NUM_TEST and not book_data.exists()


def test_load_data_fashion_mnist_whose_download_fails_names_the_search_and_how_to_get_it(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download that fails (each mirror answers 404) still says where the files were searched
    for and how to get them, after why the download failed; no empty ../data stays."""

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    keras = tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist"
    message, missing = _load_from_a_404(tiny, monkeypatch)
    assert message.startswith(
        f"Fashion-MNIST was not found (searched data, ../data, {keras}), and the download into "
        f"../data, the book's root ({book_data}), failed: could not download "
        f"train-images-idx3-ubyte.gz from any mirror ({missing}"
        "train-images-idx3-ubyte.gz: HTTP 404 Not Found); "
    ), message
    # one set of advice, the download's own (it gave the same twice, about 900 characters)
    assert message.endswith("into a folder and pass root=DIR (or set LINEARNETS_DATA)"), message
    assert message.count("sudo apt-get install dataset-fashion-mnist") == 1, message
    assert not message.endswith(files.HOW_TO_GET), message
    assert not book_data.exists()


@pytest.mark.parametrize("gone", ["all four files", "the test files"])
def test_load_data_fashion_mnist_with_the_package_s_files_gone_is_told_to_reinstall_it(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gone: str
) -> None:
    """dpkg has the Debian package installed, its files deleted, and the download fails: the
    advice was to "install the Debian package ('sudo apt-get install dataset-fashion-mnist')",
    which does nothing for an installed package; it is to reinstall it, as reading says. With the
    training files there (the first to fetch), it said to read or copy the four from there."""

    from .conftest import dpkg_lists

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    pkg = tmp_path / "pkg"  # listed by dpkg, gone from the disk
    what = "its files are gone: get them"
    if gone == "the test files":
        tiny.write(pkg)
        for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
            (pkg / f"{name}.gz").unlink()
        what = (
            f"its files t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte are gone from {pkg}: "
            "get them"
        )
    dpkg_lists(monkeypatch, pkg)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    message, _ = _load_from_a_404(tiny, monkeypatch)
    assert message.endswith(
        f", or the Debian package dataset-fashion-mnist is installed here, but {what} "
        "again with 'sudo apt-get install --reinstall dataset-fashion-mnist', or copy "
        "the four files (*-ubyte.gz) from a machine that has them into a folder and pass "
        "root=DIR (or set LINEARNETS_DATA)"
    ), message
    assert "apt-get install dataset-fashion-mnist" not in message, message
    assert not book_data.exists()


def _load_from_a_404(tiny: Tiny, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Return the DatasetError's message of ``d2l.load_data_fashion_mnist(2)`` where no copy is
    found (it warns so) and the mirror answers 404 for each file, and that mirror."""
    from linearnets import d2l

    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        monkeypatch.setattr(FashionMNIST, "mirrors", [server.mirror("missing")])
        with (
            pytest.warns(DataWarning, match="^Fashion-MNIST was not found on this machine"),
            pytest.raises(DatasetError) as info,
        ):
            d2l.load_data_fashion_mnist(2)
    finally:
        server.close()
    return str(info.value), server.mirror("missing")


def _refused_before_any_warning(monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the DatasetError of ``d2l.load_data_fashion_mnist(2)``, no warning said before it
    (warnings are errors) and no mirror asked (the download fails the test if called)."""
    from linearnets import d2l

    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with warnings.catch_warnings(), pytest.raises(DatasetError) as info:
        warnings.simplefilter("error")
        d2l.load_data_fashion_mnist(2)
    return str(info.value)


def test_load_data_fashion_mnist_whose_books_data_is_a_file_says_so_in_its_own_words(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../data a file: the download's refusal ("root must be a folder ..., got '../data'; pass a
    folder path") told the caller to change a root they never passed; it says what to do, with
    no warning before it that it downloads into ../data."""

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    book_data.write_text("not a folder")
    message = _refused_before_any_warning(monkeypatch)
    assert message.endswith(
        f"and the download into ../data, the book's root ({book_data}), could not be made: ../data "
        "cannot be written (a file is there, not a folder); run from a folder whose ../data can "
        "be written, or call linearnets.data.download.download_fashion_mnist('DIR') and pass "
        "root=DIR"
    ), message
    assert "root must be" not in message and "pass a folder" not in message


def test_load_data_fashion_mnist_whose_books_data_is_a_dangling_link_names_the_link(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../data a link to nowhere was told "../data is a file, not a folder" (since the refusal
    came before the warning); the download's words named the link and where it leads."""

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    book_data.symlink_to(tmp_path / "nowhere", target_is_directory=True)
    message = _refused_before_any_warning(monkeypatch)
    assert message.endswith(
        f"could not be made: ../data cannot be written (../data is a symbolic link to "
        f"{tmp_path / 'nowhere'}, which does not exist); run from a folder whose ../data can be "
        "written, or call linearnets.data.download.download_fashion_mnist('DIR') and pass root=DIR"
    ), message


def test_load_data_fashion_mnist_whose_books_data_is_read_only_says_so_before_any_warning(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../data read-only: "downloading it into ../data" was warned, then refused as not
    writable; the refusal comes alone, and nothing is asked of a mirror."""

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    book_data.mkdir()
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    message = _refused_before_any_warning(monkeypatch)
    assert message.endswith(
        f"and the download into ../data, the book's root ({book_data}), could not be made: ../data "
        "cannot be written (not writable); run from a folder whose ../data can be written, or "
        "call linearnets.data.download.download_fashion_mnist('DIR') and pass root=DIR"
    ), message
    assert list(book_data.iterdir()) == []


def test_load_data_fashion_mnist_passes_on_the_rename_of_a_near_miss_file_in_the_books_data(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../data holding train-images.idx3-ubyte.gz (a near-miss name) beside the other three: the
    download's refusal, which says to rename it, was told as "../data cannot be written"; and it
    came after the warning "downloading it into ../data", though nothing was: it comes alone,
    before any warning, as for a ../data that cannot be written (docs/fashion-mnist.md)."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = tiny.write(_in_a_work_folder(tmp_path, monkeypatch))
    (book_data / "train-images-idx3-ubyte.gz").rename(book_data / "train-images.idx3-ubyte.gz")
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    with warnings.catch_warnings(), pytest.raises(download_destination.FilesToMoveError) as info:
        warnings.simplefilter("error")  # no "downloading it into ../data": nothing is
        d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    assert "cannot be written" not in message, message
    assert message.startswith("Fashion-MNIST was not found (searched "), message
    assert (
        f"the download into ../data, the book's root ({book_data}), was refused: ../data must "
        "hold the 4 files under their own names" in message
    ), message
    assert message.endswith(
        "rename ../data/train-images.idx3-ubyte.gz to ../data/train-images-idx3-ubyte.gz, the "
        "names linearnets and torchvision read"
    ), message


def test_load_data_fashion_mnist_passes_on_the_move_of_files_apart_before_any_warning(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../data holding train-images beside a FashionMNIST/raw/ that holds the other three: the
    download's refusal, which says to move them, came after the warning "downloading it into
    ../data", though nothing was; it comes alone, and no mirror is asked."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    tiny.write(book_data / "FashionMNIST" / "raw")
    (book_data / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz").rename(
        book_data / "train-images-idx3-ubyte.gz"
    )
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with warnings.catch_warnings(), pytest.raises(download_destination.FilesToMoveError) as info:
        warnings.simplefilter("error")  # no "downloading it into ../data": nothing is
        d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    others = "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
    assert message.startswith("Fashion-MNIST was not found (searched "), message
    assert message.endswith(
        f"the download into ../data, the book's root ({book_data}), was refused: ../data must "
        "hold the 4 files in one folder, itself or its FashionMNIST/raw/, got '../data', where "
        f"../data/FashionMNIST/raw holds valid copies of {others}, apart from the others in "
        "../data (nothing was downloaded: they would be fetched again); the 4 files must sit in "
        f"one folder: move {others} from ../data/FashionMNIST/raw/ into ../data (or the others "
        "into ../data/FashionMNIST/raw/)"
    ), message


@pytest.mark.parametrize(
    ("mirror", "why"),
    [
        ("http://127.0.0.1:99999/", "its port 99999 is outside 1-65535"),
        ("ftp://x/", "got 'ftp://x/'; set e.g. ln.FashionMNIST.mirrors = ["),
    ],
)
def test_load_data_fashion_mnist_refuses_a_bad_mirror_naming_fashion_mnist_mirrors(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: str, why: str
) -> None:
    """A bad ln.FashionMNIST.mirrors was told "../data cannot be written": it names the setting,
    what is wrong with the URL and how to set it; nothing is downloaded, nothing made."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    monkeypatch.setattr(FashionMNIST, "mirrors", [mirror])
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "downloading it into ../data": nothing is
        with pytest.raises(UsageError) as info:
            d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    assert "cannot be written" not in message, message
    assert ", was not tried: ln.FashionMNIST.mirrors must be http:// or https:// URLs" in message
    assert why in message, message
    assert "load_data_fashion_mnist downloads from" not in message, message  # said once
    assert not book_data.exists()


_SET_EXAMPLE = (
    "set e.g. ln.FashionMNIST.mirrors = "
    "['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', "
    "'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/']"
)


@pytest.mark.parametrize(
    ("mirrors", "ends"),
    [
        (
            "http://x/",
            "ln.FashionMNIST.mirrors must be a non-empty list of base URLs, got 'http://x/'; "
            f"{_SET_EXAMPLE}",
        ),
        (
            iter([]),
            "ln.FashionMNIST.mirrors must be a non-empty list of base URLs, got an iterator that "
            "gave no URLs (an iterator gives its URLs once: set ln.FashionMNIST.mirrors to a "
            f"list); {_SET_EXAMPLE}",
        ),
        (["http://me:pw@x/"], "yourself into a folder and pass root=DIR (or set LINEARNETS_DATA)"),
        (["http://x/a b/"], "set it percent-encoded: 'http://x/a%20b/'"),
    ],
)
@pytest.mark.parametrize("copy", ["none", "damaged"])
def test_a_bad_fashion_mnist_mirrors_setting_is_refused_with_its_example_once(
    root: Path,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mirrors: Any,
    ends: str,
    copy: str,
) -> None:
    """check_mirrors(setting=...) ends with "; set e.g. FashionMNIST.mirrors = [...]", and both
    load_data_fashion_mnist's paths added "set it ... e.g. ln.FashionMNIST.mirrors = [...]" again;
    a damaged copy's fix downloaded from that refused setting, and said the download "failed"."""
    from linearnets import d2l

    if copy == "damaged":
        _damaged_in_book_data(root, tiny, tmp_path, monkeypatch)
    else:
        _no_copy_anywhere(root, tmp_path, monkeypatch)
        _in_a_work_folder(tmp_path, monkeypatch)
    monkeypatch.setattr(FashionMNIST, "mirrors", mirrors)
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with pytest.raises((UsageError, DatasetError)) as info:
        d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    examples = message.count("ln.FashionMNIST.mirrors = [")
    assert examples == (1 if _SET_EXAMPLE in ends else 0), message  # once, where it is given
    assert "set it to such URLs" not in message and " FashionMNIST.mirrors" not in message
    assert message.endswith(f"{ends})" if copy == "damaged" else ends), message
    if copy == "damaged":
        assert "download_fashion_mnist('../data') (load_data_fashion_mnist's download" in message
        assert "mirrors=ln.FashionMNIST.mirrors" not in message, message
        assert "was refused before fetching anything: ln.FashionMNIST.mirrors must" in message


def test_load_data_fashion_mnist_downloads_nothing_elsewhere_where_linearnets_data_is_set(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINEARNETS_DATA naming an empty folder: the files were downloaded into ../data, the warning
    silent about the variable. Set on purpose, it is where the files are to be: the search's
    NotFoundError names it and how to fill it, and nothing is downloaded."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setenv("LINEARNETS_DATA", str(mine))
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "downloading it into ../data"
        with pytest.raises(files.NotFoundError) as info:
            d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    assert message.startswith(
        f"Fashion-MNIST was not found (searched {mine} (from $LINEARNETS_DATA, which lacks "
    ), message
    assert message.endswith(
        "; LINEARNETS_DATA is set, so nothing is downloaded into the book's ../data: "
        f"linearnets.data.download.download_fashion_mnist({str(mine)!r}) fetches the four files "
        "into the folder it names where a network exists, or unset it (unset LINEARNETS_DATA) to "
        "have load_data_fashion_mnist download them into ../data"
    ), message
    assert not book_data.exists()


def test_root_is_the_one_passed_with_tilde_expanded(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # os.path.expanduser reads HOME
    ds = FashionMNIST("~/root", train=False)
    assert ds.root == str(root) and ds.raw_folder == str(root)


def test_a_path_root_is_kept_as_the_path_passed(root: Path) -> None:
    """torchvision's ``VisionDataset`` expands a str and keeps any other root as it is."""
    ds = FashionMNIST(root, train=False)
    assert type(ds.root) is type(root) and ds.root == root
    assert ds.processed_folder == str(root / "FashionMNIST" / "processed")


@pytest.mark.parametrize("download_", ["False", None, 2, 1.0])
def test_download_must_be_true_or_false(tmp_path: Path, download_: Any) -> None:
    """``download="False"`` is truthy: taken as is, it would download (train= is checked alike)."""
    with pytest.raises(
        UsageTypeError,
        match=rf"download must be True or False, got {download_!r}; pass download=True or "
        "download=False",
    ):
        FashionMNIST(tmp_path / "nowhere", download=download_)
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(("flag", "expected"), [(0, False), (1, True), (np.int64(1), True)])
def test_train_and_download_take_0_and_1_as_torchvision_code_passes_them(
    root: Path, flag: Any, expected: bool
) -> None:
    ds = FashionMNIST(root, train=flag, download=0)
    assert ds.train is expected and len(ds) == (NUM_TRAIN if expected else NUM_TEST)
    assert FashionMNIST(root, train=False, download=flag).train is False


@pytest.mark.parametrize("train", [None, "True", 2])
def test_train_must_be_true_or_false(root: Path, train: Any) -> None:
    with pytest.raises(
        UsageTypeError,
        match=rf"^train must be True or False, got {re.escape(repr(train))}; pass train=True or "
        "train=False",
    ):
        FashionMNIST(root, train=train)


def test_torchvisions_class_attributes() -> None:
    # torchvision's FashionMNIST.resources: the upstream files and the MD5s Zalando publishes
    assert FashionMNIST.resources == [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    # torchvision's one mirror comes first, as download=True tries them
    assert FashionMNIST.mirrors[0] == "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    assert (FashionMNIST.training_file, FashionMNIST.test_file) == ("training.pt", "test.pt")


def test_transforms_is_none_without_transforms(root: Path) -> None:
    assert FashionMNIST(root).transforms is None


def test_transforms_applies_transform_and_target_transform_as_torchvisions(
    root: Path, tiny: Tiny
) -> None:
    ds = FashionMNIST(root, train=False, transform=ToTensor(), target_transform=lambda t: t + 100)
    assert isinstance(ds.transforms, dataset.StandardTransform)
    image = Image.fromarray(tiny.arrays["t10k-images-idx3-ubyte"][0], mode="L")
    x, y = ds.transforms(image, 3)
    expected = torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"][0].astype(np.float32) / 255)
    assert torch.equal(x, expected[None]) and y == 103
    assert dataset.StandardTransform(target_transform=str)(image, 3) == (image, "3")
    # torchvision's StandardTransform repr: the class name, then one line per transform, a
    # multi-line repr continued under its head
    assert repr(ds.transforms).splitlines()[:2] == ["StandardTransform", "Transform: ToTensor()"]
    two = dataset.StandardTransform(target_transform=_TwoLines())
    assert (
        repr(two)
        == "StandardTransform\nTarget transform: TwoLines(\n                      a\n                  )"
    )


@pytest.mark.parametrize("name", ["transform", "target_transform"])
@pytest.mark.parametrize("cls", [ToTensor, Resize, Compose])
def test_a_transforms_class_given_for_a_transform_is_refused_when_made(
    root: Path, name: str, cls: type
) -> None:
    """``transform=ToTensor`` (no parentheses) failed only at ``ds[0]``: "ToTensor() takes no
    arguments", or Resize saying that its size was a PIL image."""
    with pytest.raises(
        UsageTypeError,
        match=rf"^{name} must be a transform \(a function, or an object made from a transform "
        rf"class\), got the class {cls.__name__} itself, .*: {cls.__name__}\(\.\.\.\) with the "
        r"parentheses, e\.g\. ToTensor\(\) or Resize\(64\)$",
    ):
        FashionMNIST(root, train=False, **{name: cls})
    # classes whose objects are no transforms are functions of the image or label, as before
    assert FashionMNIST(root, train=False, target_transform=str)[0][1] == str(
        int(FashionMNIST(root, train=False).targets[0])
    )


class _TwoLines:
    def __call__(self, x: Any) -> Any:
        return x

    def __repr__(self) -> str:
        return "TwoLines(\n    a\n)"


@pytest.mark.parametrize(("train", "split"), [(True, "Train"), (False, "Test")])
def test_extra_repr_is_the_split_line(root: Path, train: bool, split: str) -> None:
    ds = FashionMNIST(root, train=train)
    assert ds.extra_repr() == f"Split: {split}"
    assert f"    Split: {split}" in repr(ds).splitlines()


def test_editing_one_datasets_tensors_leaves_the_next_dataset_alone(root: Path, tiny: Tiny) -> None:
    first = FashionMNIST(root, train=False)
    first.data.zero_()
    first.targets.fill_(7)
    second = FashionMNIST(root, train=False)
    assert torch.equal(second.data, torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"]))
    assert torch.equal(
        second.targets, torch.from_numpy(tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64))
    )


def test_the_pil_image_is_made_without_the_mode_pillow_deprecates(
    root: Path, tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Image.fromarray(..., mode="L")`` warned "'mode' parameter is deprecated" at each item on
    Pillow 11.3 and 12.0 (an error under -W error); Pillow's fromarray stands in for theirs here,
    whatever Pillow is installed, and the real one must give mode L from the array alone."""
    fromarray = Image.fromarray

    def deprecating(obj: Any, mode: str | None = None) -> Image.Image:
        if mode is not None:
            warnings.warn("'mode' parameter is deprecated", DeprecationWarning, stacklevel=2)
        return fromarray(obj)

    monkeypatch.setattr(Image, "fromarray", deprecating)
    ds = FashionMNIST(root, train=False, transform=lambda img: img)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        image, _ = ds[1]
    assert image.mode == "L"
    assert np.array_equal(np.asarray(image), tiny.arrays["t10k-images-idx3-ubyte"][1])


def test_transforms_get_a_pil_image_and_the_int_label(root: Path, tiny: Tiny) -> None:
    seen: list[Any] = []

    def transform(img: Any) -> str:
        seen.append(img)
        return "image"

    ds = FashionMNIST(root, train=False, transform=transform, target_transform=lambda t: t + 100)
    image, target = ds[1]
    assert image == "image"
    assert target == int(tiny.arrays["t10k-labels-idx1-ubyte"][1]) + 100
    assert isinstance(seen[0], Image.Image) and seen[0].mode == "L"
    assert np.array_equal(np.asarray(seen[0]), tiny.arrays["t10k-images-idx3-ubyte"][1])


# torchvision 0.28's reprs of its FashionMNIST with these transforms, observed (the root aside)
_RESIZE_64 = (
    "Transform: Compose(\n"
    "               Resize(size=64, interpolation=bilinear, max_size=None, antialias=True)\n"
    "               ToTensor()\n"
    "           )"
)
_TWO_LINES = "Target transform: TwoLines(\n                      a\n                  )"


@pytest.mark.parametrize(
    ("transform", "target_transform", "tail"),
    [
        (None, None, ""),
        (ToTensor(), None, "\n    StandardTransform\nTransform: ToTensor()"),
        (Compose([Resize(64), ToTensor()]), None, "\n    StandardTransform\n" + _RESIZE_64),
        (None, _TwoLines(), "\n    StandardTransform\n" + _TWO_LINES),
        (
            Compose([Resize(64), ToTensor()]),
            _TwoLines(),
            "\n    StandardTransform\n" + _RESIZE_64 + "\n" + _TWO_LINES,
        ),
    ],
    ids=["none", "ToTensor", "Resize then ToTensor", "target only", "both"],
)
def test_repr_is_torchvisions_byte_for_byte(
    root: Path, transform: Any, target_transform: Any, tail: str
) -> None:
    ds = FashionMNIST(root, train=False, transform=transform, target_transform=target_transform)
    head = (
        f"Dataset FashionMNIST\n    Number of datapoints: {NUM_TEST}\n    Root location: {root}\n"
    )
    assert repr(ds) == head + "    Split: Test" + tail


def test_repr_and_len_of_a_dataset_whose_data_was_scaled_or_dropped(root: Path) -> None:
    """``ds.data = ds.data.float() / 255``: repr(ds) raised the refusal meant for ds[i] (len ran
    its check), where it had printed. It prints N; where ds.data has no length, "?" and what it
    is, and len(ds) alone is refused, with the fix."""
    ds = FashionMNIST(root, train=False)
    ds.data = ds.data.float() / 255
    assert len(ds) == NUM_TEST
    assert f"    Number of datapoints: {NUM_TEST}\n" in repr(ds)
    with pytest.raises(UsageTypeError, match=r"items are scaled to \[0, 1\] already"):
        ds[0]
    ds.data = None
    assert repr(ds) == (
        "Dataset FashionMNIST\n    Number of datapoints: ? (ds.data is not as read: None)\n"
        f"    Root location: {root}\n    Split: Test"
    )
    with pytest.raises(
        UsageTypeError, match=r"^ds\.data must hold the images as read, .* got None; "
    ):
        len(ds)


def test_an_empty_list_set_as_data_is_called_so(root: Path) -> None:
    """``ds.data = []`` was "a list of 0 items of several kinds"."""
    ds = FashionMNIST(root, train=False)
    ds.data = []
    with pytest.raises(
        UsageTypeError,
        match=r"^ds\.data must hold the images as read, a uint8 tensor \(N, H, W\), got an empty "
        r"list; keep ds\.data the uint8 tensor read: ",
    ):
        len(ds)
    assert "Number of datapoints: ? (ds.data is not as read: an empty list)\n" in repr(ds)


def test_repr_shows_a_transform_assigned_after_construction(root: Path) -> None:
    """A deliberate difference: torchvision's repr keeps the constructor's transforms."""
    ds = FashionMNIST(root)
    ds.transform = ToTensor()
    assert repr(ds).endswith("    Split: Train\n    StandardTransform\nTransform: ToTensor()")
    ds.transform = None
    assert repr(ds).endswith("    Split: Train")


@pytest.mark.parametrize("index", [True, False])
def test_a_bool_index_is_refused(root: Path, index: bool) -> None:
    with pytest.raises(UsageTypeError, match=rf"index must be an int, got bool {index}"):
        FashionMNIST(root)[index]


@pytest.mark.parametrize(("index", "position"), [(-NUM_TEST, 0), (-1, NUM_TEST - 1)])
def test_the_first_and_last_negative_indices_are_items(
    root: Path, tiny: Tiny, index: int, position: int
) -> None:
    ds = FashionMNIST(root, train=False)
    assert ds._position(index) == position
    assert ds[index][1] == int(tiny.arrays["t10k-labels-idx1-ubyte"][position])


_ALL = (
    "which lacks train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
    "t10k-labels-idx1-ubyte"
)


@pytest.mark.parametrize("train", [False, True])
def test_a_root_lacking_one_file_is_told_which(
    root: Path, no_machine_copy: None, tiny: Tiny, tmp_path: Path, train: bool
) -> None:
    """A root holding three of the four files was told it "must hold the Fashion-MNIST files",
    not which one it lacks, where load_data_fashion_mnist and --data-dir name it."""
    some = tiny.write(tmp_path / "some")
    (some / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(dataset_root.DatasetNotFoundError) as info:
        FashionMNIST(some, train=train)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(some)!r}, which lacks train-images-idx3-ubyte; pass download=True (reads this "
        "machine's verified copy, else downloads into root), or root=None to search the usual "
        "places"
    )


def test_a_root_with_the_files_split_across_two_layouts_is_told_to_move_them(
    root: Path, tiny: Tiny, tmp_path: Path
) -> None:
    """The test files in root/FashionMNIST/raw/, the training ones in root: "pass download=True"
    was the fix, where moving two files is."""
    split = tiny.write(tmp_path / "split")
    raw = split / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (split / f"{name}.gz").rename(raw / f"{name}.gz")
    with pytest.raises(dataset_root.DatasetNotFoundError) as info:
        FashionMNIST(split, train=False)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(split)!r}, which lacks t10k-images-idx3-ubyte (found in FashionMNIST/raw/, apart "
        "from the others), t10k-labels-idx1-ubyte (found in FashionMNIST/raw/, apart from the "
        "others); the 4 files must sit in one folder: move t10k-images-idx3-ubyte.gz and "
        f"t10k-labels-idx1-ubyte.gz from {raw}/ into {split} (or the others into {raw}/)"
    )


def test_a_root_download_true_wrote_nothing_into_is_told_where_it_read(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FashionMNIST("../data", download=True)`` read this machine's copy in place; a later
    ``FashionMNIST("../data")`` was told only that ../data does not exist, not where the first
    one read, nor that download=True (or root=None) reads that copy again."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: root)  # the tiny copy, as Debian's
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    data = tmp_path / "data"
    assert FashionMNIST(data, train=False, download=True).raw_folder == str(root)
    assert not data.exists()  # read in place: nothing written
    with pytest.raises(dataset_root.DatasetNotFoundError) as info:
        FashionMNIST(data, train=False)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(data)!r}, which does not exist; this machine has them in {root} (Debian package "
        "dataset-fashion-mnist), which download=True reads in place, writing nothing into root: "
        "pass download=True or root=None to read it"
    )
    assert FashionMNIST(None, train=False).raw_folder == str(root)


def test_a_root_refused_says_nothing_of_a_linearnets_data_passed_over(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINEARNETS_DATA naming an empty folder: FashionMNIST('../nodata') warned that the variable
    was "passed over" as its refusal looked for this machine's copy, of a root it was given."""
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("LINEARNETS_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(files, "_debian_dir", lambda: root)  # the tiny copy, as Debian's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            dataset_root.DatasetNotFoundError,
            match=f"this machine has them in {re.escape(str(root))} ",
        ):
            FashionMNIST(tmp_path / "nodata", train=False)


@pytest.mark.parametrize("caught", [UsageError, ValueError, RuntimeError])
def test_a_root_without_the_files_is_refused_when_made(
    root: Path, no_machine_copy: None, tmp_path: Path, caught: type[Exception]
) -> None:
    """torchvision raises RuntimeError("Dataset not found..."): code catching it catches this too."""
    with pytest.raises(caught) as info:
        FashionMNIST(tmp_path / "empty")
    assert type(info.value) is dataset_root.DatasetNotFoundError
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(tmp_path / 'empty')!r}, which does not exist; pass download=True (reads this "
        "machine's verified copy, "
        "else downloads into root), or root=None to search the usual places"
    )


def test_a_fashionmnist_folder_passed_as_root_is_told_to_pass_the_folder_above(
    root: Path, tiny: Tiny, tmp_path: Path
) -> None:
    """root='data/FashionMNIST', its raw/ holding the files: "pass download=True" was the fix
    given, which downloads into data/FashionMNIST/FashionMNIST/raw (or reads another copy)."""
    tiny.write(tmp_path / "data" / "FashionMNIST" / "raw")
    passed = tmp_path / "data" / "FashionMNIST"
    with pytest.raises(dataset_root.DatasetNotFoundError) as info:
        FashionMNIST(passed)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(passed)!r}, {_ALL}; its raw/ holds them: pass root={str(tmp_path / 'data')!r}, "
        "torchvision's root above FashionMNIST/raw/"
    )
    assert len(FashionMNIST(tmp_path / "data", train=False)) == NUM_TEST  # the fix works


@pytest.mark.parametrize("given,cwd", [(".", ""), ("raw/..", ""), ("../..", "raw/sub")])
def test_a_fashionmnist_folder_given_as_dot_is_told_the_folder_above_by_its_path(
    root: Path,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given: str,
    cwd: str,
) -> None:
    """FashionMNIST('.') inside data/FashionMNIST, whose raw/ holds the files, got no hint ('.' has
    no name), where 'linearnets softmax --data-dir .' there is told to pass the folder above."""
    tiny.write(tmp_path / "data" / "FashionMNIST" / "raw")
    inside = tmp_path / "data" / "FashionMNIST" / cwd
    inside.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(inside)
    message = (
        f"root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got {given!r}, "
        f"{_ALL}; "
        f"its raw/ holds them: pass root={str(tmp_path / 'data')!r}, torchvision's root above "
        "FashionMNIST/raw/"
    )
    with pytest.raises(dataset_root.DatasetNotFoundError) as info:
        FashionMNIST(given)
    assert str(info.value) == message
    assert len(FashionMNIST(tmp_path / "data", train=False)) == NUM_TEST  # the fix works


@pytest.mark.parametrize("given", ["data ", " data", "data\t\n"])
def test_a_root_with_a_blank_around_it_is_told_to_drop_it(
    root: Path, tiny: Tiny, tmp_path: Path, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """root='data ' (a script's variable) was told to install the dataset or pass download=True,
    though 'data' holds the files; the command line's --data-dir says to drop the blank."""
    tiny.write(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    blanks = "s" if len(given.strip()) < len(given) - 1 else ""
    # a tab and a line break as the shell takes them (repr's '\t' is a backslash and a t there)
    got = "$'data\\t\\n'" if given == "data\t\n" else repr(given)
    with pytest.raises(dataset_root.DatasetNotFoundError) as info:
        FashionMNIST(given)
    assert str(info.value) == (
        "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{got}, which does not exist; drop the blank{blanks}: 'data'"
    )
    with pytest.raises(UsageError) as found:
        files.find_fashion_mnist(given, checksums=tiny.files)
    assert (
        str(found.value)
        == f"root must be an existing folder, got {got}; drop the blank{blanks}: 'data'"
    )
    # made absolute (a config's Path.cwd() / ' data'): the blank begins the folder's name
    with pytest.raises(UsageError) as found:
        files.find_fashion_mnist(tmp_path / " data", checksums=tiny.files)
    assert str(found.value).endswith(f"; drop the blank: {str(tmp_path / 'data')!r}")
    assert len(FashionMNIST("data", train=False)) == NUM_TEST  # the fix works


def test_download_true_with_the_files_in_root_reads_root_not_another_copy(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEARNETS_DATA", str(tiny.write(tmp_path / "local")))
    monkeypatch.setattr(http_deadline, "urlopen", _no_network)
    ds = FashionMNIST(root, train=False, download=True)
    assert ds.root == root and len(ds) == NUM_TEST


def test_download_true_with_a_corrupt_file_in_root_fetches_it_again(
    root: Path, tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files in root are verified and fetched again if corrupt, not replaced by a copy elsewhere."""
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8bcorrupt")
    fetched: list[Path] = []

    def fake_download(target: Path, *, mirrors: list[str]) -> None:
        assert mirrors == list(download.DEFAULT_MIRRORS)  # the class's, left as they are
        fetched.append(target)
        tiny.write(target)

    monkeypatch.setattr(download, "download_fashion_mnist", fake_download)
    ds = FashionMNIST(root, train=False, download=True)
    assert fetched == [root] and ds.root == root


def test_download_true_without_files_anywhere_downloads_into_root(
    tiny: Tiny, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    fetched: list[Path] = []

    def fake_download(target: Path, *, mirrors: list[str]) -> None:
        assert mirrors == list(download.DEFAULT_MIRRORS)
        fetched.append(target)
        tiny.write(target / "FashionMNIST" / "raw")

    monkeypatch.setattr(download, "download_fashion_mnist", fake_download)
    target = tmp_path / "target"
    ds = FashionMNIST(str(target), download=True)
    assert fetched == [target] and ds.root == str(target) and len(ds) == NUM_TRAIN


def test_download_true_downloads_into_root_past_a_damaged_copy_elsewhere(
    tiny: Tiny, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root lacking the files read this machine's first copy unverified: a damaged one (a Keras
    cache or $LINEARNETS_DATA folder cut short) failed download=True, which never downloaded."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    damaged = tiny.write(tmp_path / "damaged")
    labels = damaged / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(tiny.gz["t10k-labels-idx1-ubyte"][:-9])  # cut short
    monkeypatch.setenv("LINEARNETS_DATA", str(damaged))
    fetched: list[Path] = []

    def fake_download(target: Path, *, mirrors: list[str]) -> None:
        fetched.append(target)
        tiny.write(target / "FashionMNIST" / "raw")

    monkeypatch.setattr(download, "download_fashion_mnist", fake_download)
    target = tmp_path / "target"
    with pytest.warns(DataWarning) as seen:
        ds = FashionMNIST(str(target), train=False, download=True)
    assert fetched == [target] and ds.raw_folder == _torchvision_raw_folder(str(target))
    labels_read = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    assert torch.equal(ds.targets, torch.from_numpy(labels_read))
    assert len(seen) == 1
    assert str(seen[0].message).startswith(
        f"download=True passed over this machine's copy in {damaged} ($LINEARNETS_DATA), which "
        f"is damaged, and downloads into {str(target)!r} instead: {labels}: "
    )


def test_the_books_resize_pipeline_runs_without_pillow(
    root: Path, tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Pillow the transform gets the uint8 (28, 28) tensor, which Resize must take."""
    import torch.nn.functional as F

    from linearnets.data.transforms import Compose, Resize

    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    ds = FashionMNIST(root, train=False, transform=Compose([Resize(64), ToTensor()]))
    image, _ = ds[0]
    pixels = torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"][0]).float()[None, None]
    # tensors are resampled antialiased-bilinear, uint8 rounded back, then / 255 by ToTensor
    resized = F.interpolate(pixels, size=(64, 64), mode="bilinear", antialias=True)[0]
    assert torch.equal(image, resized.round().clamp(0, 255) / 255)


def _root_kinds(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Roots that can never be the files' folder, each with what the refusal says of it."""
    (tmp_path / "afile").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    return {
        "file": (str(tmp_path / "afile"), r"which is a file; pass the folder that holds it"),
        "fifo": (str(tmp_path / "fifo"), r"which is no file or folder \(a FIFO, a device, \.\.\.\); pass a folder"),
        "/dev/null": ("/dev/null", r"which is no file or folder"),
        "loop": (str(tmp_path / "loop"), r"but .*loop is a symbolic link that loops back to itself; point the link"),
        "dangling": (str(tmp_path / "dangling"), r"but .*dangling is a symbolic link to .*gone, which does not exist"),
        "file on the path": (str(tmp_path / "afile" / "sub"), r"which cannot be one: a file is on its path; pass a folder path$"),
    }  # fmt: skip


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize(
    "kind", ["file", "fifo", "/dev/null", "loop", "dangling", "file on the path"]
)
@pytest.mark.parametrize("download_", [True, False])
def test_a_root_that_can_be_no_folder_is_refused_whatever_download_says(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, download_: bool
) -> None:
    """With download=True such a root was taken for one lacking the files, and this machine's copy
    read without a word; with download=False the refusal advised download=True."""
    monkeypatch.setenv("LINEARNETS_DATA", str(root))  # a copy that download=True would read
    monkeypatch.setattr(http_deadline, "urlopen", _no_network)
    path, what = _root_kinds(tmp_path)[kind]
    with pytest.raises(UsageError, match=rf"^root must be a folder, got {re.escape(repr(path))}, {what}") as info:  # fmt: skip
        FashionMNIST(path, download=download_)
    assert "pass download=True" not in str(info.value)


@pytest.mark.parametrize("download_", [True, False])
def test_an_empty_root_is_refused(
    root: Path, monkeypatch: pytest.MonkeyPatch, download_: bool
) -> None:
    """Path("") is the working folder: "" named none (the command line refuses --data-dir '')."""
    monkeypatch.setenv("LINEARNETS_DATA", str(root))
    with pytest.raises(
        UsageError,
        match=r"^root must be a folder path, got an empty string; pass e\.g\. root='\.\./data'",
    ):
        FashionMNIST("", download=download_)
    with pytest.raises(
        UsageTypeError, match=r"^root must be a folder path \(str or Path\), got 3;"
    ):
        FashionMNIST(3, download=download_)  # type: ignore[arg-type]


def test_download_true_reads_the_valid_gz_a_truncated_extraction_hides(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torchvision's raw/ holds X.gz and X; X cut short by an interrupted extraction made
    download=True go to the network (and fail offline) for a file the folder held."""
    tv = tiny.write(tmp_path / "tv" / "FashionMNIST" / "raw")
    for name in tiny.files:
        (tv / name).write_bytes(tiny.raw[name])
    (tv / "t10k-labels-idx1-ubyte").write_bytes(tiny.raw["t10k-labels-idx1-ubyte"][:9])
    monkeypatch.setattr(http_deadline, "urlopen", _no_network)
    ds = FashionMNIST(tmp_path / "tv", train=False, download=True)
    labels = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    assert torch.equal(ds.targets, torch.from_numpy(labels))
    assert not (tv / "t10k-labels-idx1-ubyte").exists()  # the damaged copy is gone


def test_an_item_without_a_transform_is_in_the_default_dtype_as_to_tensor_gives(
    root: Path,
) -> None:
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        ds = FashionMNIST(root, train=False)
        image = ds[0][0]
        assert image.dtype == torch.float64
        assert torch.equal(image, ToTensor()(ds.data[0].numpy()))
    finally:
        torch.set_default_dtype(before)
    assert FashionMNIST(root, train=False)[0][0].dtype == torch.float32


@pytest.mark.parametrize("transform", [None, ToTensor()], ids=["no transform", "ToTensor"])
def test_data_changed_from_uint8_is_refused_not_divided_again(
    root: Path, tiny: Tiny, transform: Any
) -> None:
    """``ds.data = ds.data.float() / 255`` gave items divided by 255 twice (max 1/255) without a
    transform, and Pillow's "Invalid mode for data type" with one; torchvision fails on both."""
    ds = FashionMNIST(root, train=False, transform=transform)
    ds.data = ds.data.float() / 255
    with pytest.raises(
        UsageTypeError,
        match=r"^ds\.data must hold the images as read, a uint8 tensor \(N, H, W\), got a tensor "
        r"of shape \(\d+, 28, 28\) and dtype torch\.float32; items are scaled to \[0, 1\] already",
    ):
        ds[0]
    ds.data = torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"][1:3].copy())  # a subset
    ds.targets = ds.targets[1:3]
    expected = tiny.arrays["t10k-images-idx3-ubyte"][1].astype(np.float32) / np.float32(255)
    assert len(ds) == 2 and torch.equal(ds[0][0], torch.from_numpy(expected)[None])
    assert ds[0][1] == int(tiny.arrays["t10k-labels-idx1-ubyte"][1])


DATA_REPLACED = [  # (id, the replacement, what the message says it got, its fix)
    ("NumPy array", lambda d: d.numpy(), r"a NumPy array of shape \(\d+, 28, 28\) and dtype uint8", "torch.from_numpy(ds.data)"),
    ("channel dim", lambda d: d[:, None], r"a tensor of shape \(\d+, 1, 28, 28\) and dtype torch\.uint8", "ds.data[:, 0]"),
    ("channels last", lambda d: d[..., None], r"a tensor of shape \(\d+, 28, 28, 1\) and dtype torch\.uint8", "ds.data[..., 0]"),
    ("flat rows", lambda d: d.reshape(-1, 784), r"a tensor of shape \(\d+, 784\) and dtype torch\.uint8", "ds.data.reshape(-1, 28, 28)"),
    ("int64", lambda d: d.long(), r"a tensor of shape \(\d+, 28, 28\) and dtype torch\.int64", "ds.data.to(torch.uint8)"),
    ("int64 NumPy (N, 1, H, W)", lambda d: d[:, None].numpy().astype(np.int64), r"a NumPy array of shape \(\d+, 1, 28, 28\) and dtype int64", "torch.from_numpy(ds.data)[:, 0].to(torch.uint8)"),
    ("list of tensors", lambda d: list(d), r"a list of \d+ tensors", "torch.stack(ds.data)"),
    ("list of NumPy arrays", lambda d: [x.numpy() for x in d], r"a list of \d+ NumPy arrays", "torch.from_numpy(np.stack(ds.data))"),
    ("nested lists", lambda d: d.tolist(), r"a list of \d+ lists", "torch.tensor(ds.data, dtype=torch.uint8)"),
    # torch.tensor(ds.data, dtype=torch.uint8) was advised, which raises a TypeError on them
    ("tensors and arrays mixed", lambda d: [d[0], *d[1:].numpy()], r"a list of \d+ items of several kinds", "torch.stack([torch.as_tensor(x) for x in ds.data])"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("replace", "got", "fix"), [d[1:] for d in DATA_REPLACED], ids=[d[0] for d in DATA_REPLACED]
)
def test_data_replaced_by_uint8_pixels_in_another_form_is_told_the_fix_for_it(
    root: Path, replace: Any, got: str, fix: str
) -> None:
    """``ds.data = ds.data.numpy()`` or ``ds.data[:, None]``, uint8 both, were told that items
    are scaled already, "so keep ds.data uint8", the advice for a float ``ds.data``."""
    ds = FashionMNIST(root, train=False)
    expected = ds[1]
    ds.data = replace(ds.data)
    with pytest.raises(
        UsageTypeError,
        match=rf"^ds\.data must hold the images as read, a uint8 tensor \(N, H, W\), got {got}; "
        rf"set ds\.data = {re.escape(fix)}$",
    ):
        ds[1]
    # its length is had all the same (a list's too: it was "'list' object has no attribute
    # 'shape'"), as torchvision's len(ds.data): repr(ds), which shows it, never raises
    assert len(ds) == NUM_TEST and f"Number of datapoints: {NUM_TEST}\n" in repr(ds)
    exec(f"ds.data = {fix}", {"ds": ds, "torch": torch, "np": np})  # the fix, followed
    assert torch.equal(ds[1][0], expected[0]) and ds[1][1] == expected[1]


@pytest.mark.parametrize("subset", ["data", "targets"])
def test_data_and_targets_subset_apart_are_refused(root: Path, tiny: Tiny, subset: str) -> None:
    """``ds.data = ds.data[:2]`` alone gave its images the first labels of the whole split (and
    ``ds.targets`` alone torch's IndexError past its end): torchvision does the same, silently."""
    ds = FashionMNIST(root, train=False)
    n = len(ds)
    setattr(ds, subset, getattr(ds, subset)[1:3])
    given = n - 1 if subset == "targets" else n
    with pytest.raises(
        UsageTypeError,
        match=rf"^ds\.targets must hold one label per image of ds\.data \({len(ds)}\), got a "
        rf"tensor of shape \({given},\) and dtype torch\.int64; take a subset of both",
    ):
        ds[0]


@pytest.mark.parametrize("kind", [list, tuple, np.array], ids=["list", "tuple", "array"])
def test_targets_relabelled_as_a_list_or_array_are_read_as_torchvision_reads_them(
    root: Path, tiny: Tiny, kind: Any
) -> None:
    """``ds.targets = [int(y) % 2 for y in ds.targets]`` (two classes, a D2L exercise) was refused as
    not one label per image although it held one: torchvision reads ``int(targets[i])`` of a list,
    a tuple or an array alike."""
    ds = FashionMNIST(root, train=False)
    labels = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    ds.targets = kind([int(y) % 2 for y in labels])
    items = [ds[i][1] for i in range(len(ds))]
    assert items == [int(y) % 2 for y in labels]
    assert all(type(y) is int for y in items)
    ds.targets = kind(["Bag"] * len(ds))  # class names, not indices
    with pytest.raises(
        UsageTypeError, match=r"^ds\.targets\[0\] must be a class index \(an integer\), got .*'Bag'"
    ):
        ds[0]


def test_download_true_reads_this_machine_s_verified_copy_without_downloading(
    tiny: Tiny, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root lacking the files, beside a verified copy on this machine: that copy is read, and
    nothing is downloaded (no network needed)."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    monkeypatch.setenv("LINEARNETS_DATA", str(tiny.write(tmp_path / "local")))
    fetched: list[Path] = []
    monkeypatch.setattr(
        download, "download_fashion_mnist", lambda target, *, mirrors: fetched.append(target)
    )
    target = tmp_path / "target"
    ds = FashionMNIST(str(target), train=False, download=True)
    assert fetched == [] and not target.exists()
    labels = tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64)
    assert torch.equal(ds.targets, torch.from_numpy(labels))


def test_download_true_without_a_root_is_told_to_give_the_folder() -> None:
    """No folder to download into: refused, not a search of this machine for a copy."""
    with pytest.raises(UsageError) as info:
        FashionMNIST(None, train=False, download=True)  # type: ignore[arg-type]
    assert str(info.value) == ("root must be given with download=True: the folder to download into")


@pytest.mark.parametrize("download_", [False, True])
def test_a_root_that_is_a_file_is_told_to_pass_its_folder(tmp_path: Path, download_: bool) -> None:
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(b"\x1f\x8b")
    with pytest.raises(UsageError) as info:
        FashionMNIST(str(path), train=False, download=download_)
    assert str(info.value) == (
        f"root must be a folder, got {str(path)!r}, which is a file; pass the folder that holds "
        f"it ({str(tmp_path)!r}), or with download=True a folder to download into"
    )


@pytest.mark.parametrize("download_", [False, True])
def test_a_root_with_a_tilde_that_is_a_file_is_refused_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, download_: bool
) -> None:
    """The tilde is expanded before the root is checked: '~/f.gz' is the home folder's file."""
    monkeypatch.setenv("HOME", str(tmp_path))  # os.path.expanduser reads HOME
    monkeypatch.chdir(tmp_path)  # no folder named '~' here
    (tmp_path / "f.gz").write_bytes(b"\x1f\x8b")
    with pytest.raises(UsageError) as info:
        FashionMNIST("~/f.gz", train=False, download=download_)
    assert str(info.value) == (
        f"root must be a folder, got '~/f.gz', which is a file; pass the folder that holds it "
        f"({str(tmp_path)!r}), or with download=True a folder to download into"
    )


@pytest.mark.parametrize("case", ["file", "empty", "blank"])
def test_a_root_named_with_a_line_break_is_named_on_one_line_as_the_shell_takes_it(
    root: Path, no_machine_copy: None, tmp_path: Path, case: str
) -> None:
    """repr named root, and the folder to pass in its fix, '.../a\\nb' in Python's escapes, which
    the shell reads as a backslash and an n: each as shown_path names it."""
    odd, said = tmp_path / "a\nb", f"$'{tmp_path}/a\\nb"
    odd.mkdir()
    given = odd
    if case == "file":
        given = odd / "t10k-labels-idx1-ubyte.gz"
        given.write_bytes(b"\x1f\x8b")
        expected = (
            f"root must be a folder, got {said}/t10k-labels-idx1-ubyte.gz', which is a file; pass "
            f"the folder that holds it ({said}'), or with download=True a folder to download into"
        )
    else:
        fix = (
            "pass download=True (reads this machine's verified copy, else downloads into root), "
            "or root=None to search the usual places"
        )
        why = _ALL
        if case == "blank":
            given, fix = tmp_path / "a\nb ", f"drop the blank: {said}'"
            why = "which does not exist"
        expected = (
            "root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
            f"{said}{' ' * (case == 'blank')}', {why}; {fix}"
        )
    with pytest.raises(UsageError) as info:
        FashionMNIST(str(given), train=False)
    assert str(info.value) == expected


def test_download_true_names_a_root_with_a_line_break_as_the_shell_takes_it_past_a_damaged_copy(
    tiny: Tiny, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """repr named the root downloaded into '.../a\\nb' in Python's escapes, beside the damaged
    copy's folder as shown_path names it ($'...'): named as that."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    damaged = tiny.write(tmp_path / "damaged")
    (damaged / "t10k-labels-idx1-ubyte.gz").write_bytes(tiny.gz["t10k-labels-idx1-ubyte"][:-9])
    monkeypatch.setenv("LINEARNETS_DATA", str(damaged))
    monkeypatch.setattr(
        download,
        "download_fashion_mnist",
        lambda target, *, mirrors: tiny.write(target / "FashionMNIST" / "raw"),
    )
    with pytest.warns(DataWarning) as seen:
        FashionMNIST(str(tmp_path / "a\nb"), train=False, download=True)
    assert str(seen[0].message).startswith(
        f"download=True passed over this machine's copy in {damaged} ($LINEARNETS_DATA), which "
        f"is damaged, and downloads into $'{tmp_path}/a\\nb' instead: "
    )


@pytest.mark.parametrize(
    ("kind", "advice"),
    [
        ("status-500", "try again later or pass other mirrors"),
        ("missing", "pass mirrors that serve Fashion-MNIST's original files"),
    ],
)
def test_load_data_fashion_mnist_whose_download_fails_says_how_to_pass_other_mirrors_from_python(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, advice: str
) -> None:
    """A mirror failing (HTTP 500, or 404) was told "pass other mirrors", while
    load_data_fashion_mnist has no mirrors argument: it names the two ways that take them."""
    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    _in_a_work_folder(tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        monkeypatch.setattr(FashionMNIST, "mirrors", [server.mirror(kind)])
        with (
            pytest.warns(DataWarning, match="^Fashion-MNIST was not found on this machine"),
            pytest.raises(DatasetError) as info,
        ):
            d2l.load_data_fashion_mnist(2)
    finally:
        server.close()
    assert (
        f"{advice} (load_data_fashion_mnist takes none: set ln.FashionMNIST.mirrors = "
        "['https://HOST/PATH/', ...] before calling it, or call "
        "linearnets.data.download.download_fashion_mnist('DIR', mirrors=[...]) and pass "
        "root='DIR')"
    ) in str(info.value), str(info.value)


def _damaged_in_book_data(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Work where ../data/FashionMNIST/raw holds the tiny files, t10k-labels-idx1-ubyte.gz cut
    short, and no other copy is on this machine; return that damaged file."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    book_data = _in_a_work_folder(tmp_path, monkeypatch)
    raw = tiny.write(book_data / "FashionMNIST" / "raw")
    damaged = raw / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(tiny.gz["t10k-labels-idx1-ubyte"][:-9])
    return damaged


def test_load_data_fashion_mnist_downloads_a_damaged_file_in_the_books_data_again(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A truncated file in ../data raised TruncatedGzipError where the book's, through
    FashionMNIST(root="../data", download=True), fetches it again: it is downloaded again from
    FashionMNIST.mirrors, saying so once, and read."""
    from linearnets import d2l

    damaged = _damaged_in_book_data(root, tiny, tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        with pytest.warns(DataWarning) as seen:
            _, test_iter = d2l.load_data_fashion_mnist(NUM_TEST)
    finally:
        server.close()
    assert server.requests == ["/good/t10k-labels-idx1-ubyte.gz"]  # that file alone
    assert damaged.read_bytes() == tiny.gz["t10k-labels-idx1-ubyte"]
    [warning] = seen
    assert str(warning.message).startswith(
        f"Fashion-MNIST's copy in ../data, the book's root ({tmp_path / 'data'}) is damaged "
        "(../data/FashionMNIST/raw/t10k-labels-idx1-ubyte.gz: "
    ), str(warning.message)
    assert str(warning.message).endswith(
        "downloading the files that fail their check again from ln.FashionMNIST.mirrors, as the "
        'book\'s FashionMNIST(root="../data", ..., download=True) does'
    ), str(warning.message)
    [(_, labels)] = list(test_iter)
    assert torch.equal(labels, torch.from_numpy(tiny.arrays["t10k-labels-idx1-ubyte"]).long())


def test_load_data_fashion_mnist_damaged_file_refused_with_its_fix_where_no_mirror_serves_it(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No mirror serving the file (HTTP 404): the damaged file's own error and fix, as before,
    with why the download did not mend it; the file is left as it was."""
    from linearnets import d2l

    damaged = _damaged_in_book_data(root, tiny, tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        monkeypatch.setattr(FashionMNIST, "mirrors", [server.mirror("missing")])
        with pytest.warns(DataWarning), pytest.raises(DatasetError) as info:
            d2l.load_data_fashion_mnist(2)
    finally:
        server.close()
    message = str(info.value)
    assert message.startswith("../data/FashionMNIST/raw/t10k-labels-idx1-ubyte.gz: "), message
    assert message.endswith(
        "get it again where a network exists: "
        "linearnets.data.download.download_fashion_mnist('../data', "
        "mirrors=ln.FashionMNIST.mirrors) (load_data_fashion_mnist's download of it again from "
        "ln.FashionMNIST.mirrors failed: could not download "
        f"t10k-labels-idx1-ubyte.gz from any mirror ({server.mirror('missing')}"
        "t10k-labels-idx1-ubyte.gz: HTTP 404 Not Found))"
    ), message
    assert damaged.read_bytes() == tiny.gz["t10k-labels-idx1-ubyte"][:-9]


def test_load_data_fashion_mnist_damaged_file_beside_another_of_other_content_refused_naming_both(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """../data holds a truncated train-labels .gz and a t10k-labels of the right size but another
    MD5: the error named the truncated file and a download the other file then refused (two
    tries); the refusal's reason is said with it."""
    import gzip

    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    raw = tiny.write(_in_a_work_folder(tmp_path, monkeypatch) / "FashionMNIST" / "raw")
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(tiny.gz["train-labels-idx1-ubyte"][:-9])
    labels = bytearray(tiny.raw["t10k-labels-idx1-ubyte"])
    labels[-1] = (labels[-1] + 1) % 10  # one label changed: same size, another MD5
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with pytest.raises(DatasetError) as info:
        d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    assert message.startswith("../data/FashionMNIST/raw/train-labels-idx1-ubyte.gz: "), message
    assert (
        " (load_data_fashion_mnist's download of it again from ln.FashionMNIST.mirrors was "
        "refused before fetching anything: ../data must hold no other dataset's files under "
        "Fashion-MNIST's names, which the download would replace, got '../data', where "
        "../data/FashionMNIST/raw/t10k-labels-idx1-ubyte.gz has the decompressed size of "
        "Fashion-MNIST's file of that name but another MD5"
    ) in message, message
    assert message.endswith("or pass root=DIR to download elsewhere)"), message


def test_load_data_fashion_mnist_other_content_in_the_books_data_refused_without_a_download_said(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of the right size but another MD5 in ../data: the download refuses to replace it
    before fetching anything, so no warning says a download, and the error gives one fix, not
    the download's "pass root=DIR to download elsewhere" (root= only reads here)."""
    import gzip

    from linearnets import d2l

    _no_copy_anywhere(root, tmp_path, monkeypatch)
    raw = tiny.write(_in_a_work_folder(tmp_path, monkeypatch) / "FashionMNIST" / "raw")
    labels = bytearray(tiny.raw["train-labels-idx1-ubyte"])
    labels[-1] = (labels[-1] + 1) % 10  # one label changed: same size, another MD5
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        with warnings.catch_warnings(record=True) as seen, pytest.raises(DatasetError) as info:
            warnings.simplefilter("always")
            d2l.load_data_fashion_mnist(2)
    finally:
        server.close()
    assert server.requests == []
    assert [str(w.message) for w in seen] == [], info.value
    message = str(info.value)
    assert message.startswith("../data/FashionMNIST/raw/train-labels-idx1-ubyte.gz: "), message
    assert "download elsewhere" not in message and "load_data_fashion_mnist's download" not in (
        message
    ), message
    assert message.count("; ") == 1, message  # the file's defect; its one fix


def test_load_data_fashion_mnist_damaged_file_with_bad_mirrors_names_the_setting(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FashionMNIST.mirrors set to an ftp URL: why the repair failed names the class attribute
    (not "pass e.g. ..."), and the leading fix downloads from the user's mirrors setting."""
    from linearnets import d2l

    damaged = _damaged_in_book_data(root, tiny, tmp_path, monkeypatch)
    monkeypatch.setattr(FashionMNIST, "mirrors", ["ftp://x/"])
    with pytest.raises(DatasetError) as info:
        d2l.load_data_fashion_mnist(2)
    message = str(info.value)
    assert message.endswith(
        "get it again where a network exists: linearnets.data.download.download_fashion_mnist("
        "'../data') (load_data_fashion_mnist's download of it again from ln.FashionMNIST.mirrors "
        "was refused before fetching anything: ln.FashionMNIST.mirrors must be http:// or "
        "https:// URLs with a host (and a valid port), got 'ftp://x/'; set e.g. "
        "ln.FashionMNIST.mirrors = ['https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'])"
    ), message
    assert damaged.read_bytes() == tiny.gz["t10k-labels-idx1-ubyte"][:-9]


_NO_MIRRORS_ARGUMENT = "FashionMNIST(..., download=True) has no mirrors argument"


@pytest.mark.parametrize(
    ("mirrors", "said"),
    [
        (
            "http://127.0.0.1:9/good/",  # one URL, not a list
            "FashionMNIST.mirrors must be a non-empty list of base URLs, got "
            "'http://127.0.0.1:9/good/'; set e.g. FashionMNIST.mirrors = "
            "['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', "
            "'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'] ",
        ),
        (
            ["ftp://x/"],
            "FashionMNIST.mirrors must be http:// or https:// URLs with a host (and a valid "
            "port), got 'ftp://x/'; set e.g. FashionMNIST.mirrors = "
            "['https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'] ",
        ),
    ],
)
def test_download_true_with_bad_class_mirrors_names_the_setting_not_a_mirrors_argument(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirrors: Any, said: str
) -> None:
    """FashionMNIST.mirrors = 'http://...' (a string) was told "pass e.g. mirrors=[...]", an
    argument FashionMNIST does not take (following it raised a TypeError): it names the class's
    setting, how to set it, and that the constructor takes no mirrors; nothing is made."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    monkeypatch.setattr(FashionMNIST, "mirrors", mirrors)
    monkeypatch.setattr(download, "download_fashion_mnist", _no_network)
    with pytest.raises(UsageError) as info:
        FashionMNIST(str(tmp_path / "target"), train=False, download=True)
    message = str(info.value)
    assert "mirrors=[" not in message, message
    assert message == (
        f"{said}({_NO_MIRRORS_ARGUMENT}: it downloads from FashionMNIST.mirrors, as "
        "torchvision's does; set that before the call)"
    ), message
    assert not (tmp_path / "target").exists()


@pytest.mark.parametrize(
    ("kind", "advice"),
    [
        ("status-500", "try again later or pass other mirrors"),
        ("missing", "pass mirrors that serve Fashion-MNIST's original files"),
    ],
)
def test_download_true_whose_mirrors_fail_says_to_set_the_class_mirrors(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, advice: str
) -> None:
    """A mirror failing (HTTP 500, or 404) under FashionMNIST(root, download=True) was told "pass
    other mirrors", with no word of how: the constructor takes none. It names the class's
    ``FashionMNIST.mirrors`` and how to set it, in the error's own type."""
    _no_copy_anywhere(root, tmp_path, monkeypatch)
    server = Server(tiny)
    try:
        _download_from(server, tiny, monkeypatch)
        monkeypatch.setattr(FashionMNIST, "mirrors", [server.mirror(kind)])
        with pytest.raises(DatasetError) as info:
            FashionMNIST(str(tmp_path / "target"), train=False, download=True)
    finally:
        server.close()
    assert server.requests  # the mirror was asked
    assert type(info.value) is DatasetError
    assert (
        f"{advice} ({_NO_MIRRORS_ARGUMENT}: set FashionMNIST.mirrors = ['https://HOST/PATH/', "
        "...] before the call, as in torchvision)"
    ) in str(info.value), str(info.value)


def test_an_error_inside_target_transform_says_it_came_from_there(root: Path, tiny: Tiny) -> None:
    """Compose([Lambda(...), ToTensor()]) as target_transform raised "pic must be a PIL image
    ..., got int 9", read as the image's failure: it names target_transform and the label, its
    type kept; another library's error is kept as it was, with a note."""
    from linearnets.data.transforms import Lambda

    label = int(tiny.arrays["t10k-labels-idx1-ubyte"][1])
    ds = FashionMNIST(root, train=False, target_transform=Compose([Lambda(lambda y: y), ToTensor()]))  # fmt: skip
    with pytest.raises(UsageTypeError) as info:
        ds[1]
    assert str(info.value).startswith(
        f"target_transform failed on the label of item 1, {label}: pic must be a PIL image, a "
        f"NumPy array or a tensor, got int {label}; "
    )

    def mine(y: int) -> int:
        raise KeyError("no such class")

    ds.target_transform = mine
    with pytest.raises(KeyError) as caught:
        ds[1]
    assert caught.value.args == ("no such class",)
    assert caught.value.__notes__ == [
        f"linearnets: target_transform failed on the label of item 1, {label} "
        "(ds.target_transform gets each item's int label)"
    ]
