"""FashionMNIST as torchvision's dataset: items, splits, attributes, summary and ``download`` (D2L §3.5.1).

Uses the tiny fixture files; the expected values come from their NumPy arrays and from torchvision's
documented class names, not from the dataset under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.data import download, fashion_mnist, files, http_deadline
from linearnets.data.dataset import FashionMNIST
from linearnets.errors import UsageError, UsageTypeError

from .conftest import NUM_TEST, NUM_TRAIN, Tiny

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


@pytest.mark.parametrize(
    ("old", "new"),
    [("train_labels", "targets"), ("test_labels", "targets"), ("train_data", "data"),
     ("test_data", "data")],
)  # fmt: skip
def test_torchvisions_old_attribute_names_answer_with_its_warning(
    root: Path, old: str, new: str
) -> None:
    ds = FashionMNIST(root, train=False)
    with pytest.warns(UserWarning, match=rf"^{old} has been renamed {new}$"):  # torchvision's text
        value = getattr(ds, old)
    assert value is getattr(ds, new)


def test_raw_folder_is_the_folder_the_files_were_read_from(root: Path) -> None:
    ds = FashionMNIST(root)
    assert Path(ds.raw_folder) == root and sorted(p.name for p in Path(ds.raw_folder).iterdir())


def test_editing_one_datasets_tensors_leaves_the_next_dataset_alone(root: Path, tiny: Tiny) -> None:
    first = FashionMNIST(root, train=False)
    first.data.zero_()
    first.targets.fill_(7)
    second = FashionMNIST(root, train=False)
    assert torch.equal(second.data, torch.from_numpy(tiny.arrays["t10k-images-idx3-ubyte"]))
    assert torch.equal(
        second.targets, torch.from_numpy(tiny.arrays["t10k-labels-idx1-ubyte"].astype(np.int64))
    )


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


def test_repr_names_the_split_and_indents_multiline_transforms(root: Path) -> None:
    class TwoLines:
        def __call__(self, x: Any) -> Any:
            return x

        def __repr__(self) -> str:
            return "TwoLines(\n    a\n)"

    ds = FashionMNIST(root, train=False, target_transform=TwoLines())
    assert repr(ds) == (
        "Dataset FashionMNIST\n"
        f"    Number of datapoints: {NUM_TEST}\n"
        f"    Root location: {root}\n"
        "    Split: Test\n"
        "    Target transform: TwoLines(\n        a\n    )"
    )
    assert repr(FashionMNIST(root)).splitlines()[1:] == [
        f"    Number of datapoints: {NUM_TRAIN}",
        f"    Root location: {root}",
        "    Split: Train",
    ]


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


def test_a_root_without_the_files_is_refused_when_made(root: Path, tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"root must hold the Fashion-MNIST files.*got " + str(tmp_path / "empty")
    ):
        FashionMNIST(tmp_path / "empty")


def test_download_true_with_the_files_in_root_reads_root_not_another_copy(
    root: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEARNETS_DATA", str(tiny.write(tmp_path / "local")))
    monkeypatch.setattr(http_deadline, "urlopen", _no_network)
    ds = FashionMNIST(root, train=False, download=True)
    assert ds.root == str(root) and len(ds) == NUM_TEST


def test_download_true_with_a_corrupt_file_in_root_fetches_it_again(
    root: Path, tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files in root are verified and fetched again if corrupt, not replaced by a copy elsewhere."""
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8bcorrupt")
    fetched: list[Path] = []

    def fake_download(target: Path) -> None:
        fetched.append(target)
        tiny.write(target)

    monkeypatch.setattr(download, "download_fashion_mnist", fake_download)
    ds = FashionMNIST(root, train=False, download=True)
    assert fetched == [root] and ds.root == str(root)


def test_download_true_without_files_anywhere_downloads_into_root(
    tiny: Tiny, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    root.rename(tmp_path / "gone")
    fetched: list[Path] = []

    def fake_download(target: Path) -> None:
        fetched.append(target)
        tiny.write(target / "FashionMNIST" / "raw")

    monkeypatch.setattr(download, "download_fashion_mnist", fake_download)
    target = tmp_path / "target"
    ds = FashionMNIST(str(target), download=True)
    assert fetched == [target] and ds.root == str(target) and len(ds) == NUM_TRAIN
