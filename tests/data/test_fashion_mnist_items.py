"""FashionMNIST items: indices as torchvision takes them, refusals that name the index, transforms
checked when the dataset is made (D2L §3.5.1). Uses the tiny fixture files."""

from __future__ import annotations

import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.data import download, fashion_mnist, files, http_deadline
from linearnets.data.fashion_mnist import FashionMNIST
from linearnets.data.transforms import Compose, Lambda, Normalize, PILToTensor, Resize, ToTensor
from linearnets.errors import UsageError, UsageTypeError

from .conftest import NUM_TEST, NUM_TRAIN, Tiny


@pytest.fixture
def root(tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny files in a folder, with their checksums the expected ones."""
    for module in (files, fashion_mnist, download):
        monkeypatch.setattr(module, "FASHION_MNIST_FILES", dict(tiny.files))
    return tiny.write(tmp_path / "root")


def test_negative_and_numpy_and_tensor_indices_work_as_in_torchvision(root: Path) -> None:
    ds = FashionMNIST(root)
    last, first = ds[NUM_TRAIN - 1], ds[0]
    for index, expected in ((-1, last), (-NUM_TRAIN, first), (np.int64(0), first), (torch.tensor(0), first)):  # fmt: skip
        image, label = ds[index]
        assert torch.equal(image, expected[0]) and label == expected[1]


@pytest.mark.parametrize(
    ("train", "index", "n", "split"),
    [(True, NUM_TRAIN, NUM_TRAIN, "training"), (False, -NUM_TEST - 1, NUM_TEST, "test")],
)
def test_an_index_out_of_range_is_an_index_error_naming_the_range(
    root: Path, train: bool, index: int, n: int, split: str
) -> None:
    ds = FashionMNIST(root, train=train)
    with pytest.raises(
        IndexError,
        match=rf"index must be in \[-{n}, {n}\) \(the {split} split holds {n} images\), got "
        rf"{index}; pass e.g. index {n - 1}",
    ) as info:
        ds[index]
    assert not isinstance(info.value, UsageError)  # a plain IndexError, as iteration expects


def test_iterating_stops_at_the_end(root: Path) -> None:
    """``Dataset`` has no ``__iter__``: ``for item in ds`` stops on __getitem__'s IndexError."""
    assert len(list(FashionMNIST(root, train=False))) == NUM_TEST


POSITION = "pass the item's position, e.g. ds[0]"
SEVERAL = "for several items pass a list comprehension [ds[i] for i in range(2)] or torch.utils.data.Subset(ds, indices)"
BAD_INDICES = [  # (id, index, the fix the message gives, that fix applied: None for several)
    ("slice", slice(0, 2), SEVERAL, None),
    ("list", [0, 1], SEVERAL, None),
    ("array of two", np.array([0, 1]), SEVERAL, None),
    ("tensor of two", torch.tensor([0, 1]), SEVERAL, None),
    ("float", 1.0, "pass ds[int(index)]", int),
    ("str", "3", "pass ds[int(index)]", int),
    ("0-d float tensor", torch.tensor(2.0), "pass ds[int(index)]", int),
    ("bool", True, "pass the item's position, e.g. ds[0]", None),
    ("bool tensor", torch.tensor(True), "pass the item's position, e.g. ds[0]", None),
    ("list of one", [3], "for its one item pass ds[index[0]]", lambda i: i[0]),
    ("array of one", np.array([3]), "for its one item pass ds[index.item()]", lambda i: i.item()),
    ("tensor of one", torch.tensor([3]), "for its one item pass ds[index.item()]", lambda i: i.item()),
    ("None", None, "pass the item's position, e.g. ds[0]", None),
    # a float of one element: index.item() would be 3.0, refused again
    ("float tensor of one", torch.tensor([3.0]), "for its one item pass ds[int(index.item())]", lambda i: int(i.item())),
    ("float array of one", np.array([3.0]), "for its one item pass ds[int(index.item())]", lambda i: int(i.item())),
    ("list of one float", [3.0], "for its one item pass ds[int(index[0])]", lambda i: int(i[0])),
    ("list of one str", ["3"], "for its one item pass ds[int(index[0])]", lambda i: int(i[0])),
    ("negative str", "-1", "pass ds[int(index)]", int),
    # no int(...) that fails ("abc") or silently truncates (3.5 would be item 3)
    ("str not a number", "abc", f"an index must be a whole number, got 'abc'; {POSITION}", None),
    ("float not whole", 3.5, f"an index must be a whole number, got 3.5; {POSITION}", None),
    ("0-d tensor not whole", torch.tensor(3.7), f"an index must be a whole number, got 3.7; {POSITION}", None),
    ("tensor of one not whole", torch.tensor([3.5]), f"an index must be a whole number, got 3.5; {POSITION}", None),
    ("nan", float("nan"), f"an index must be a whole number, got nan; {POSITION}", None),
    # several values in a list of one: not "must be a whole number, got 3"; an empty one raised IndexError
    ("list of a tensor of two", [torch.tensor([3, 4])], SEVERAL, None),
    ("list of a list of two", [[3, 4]], SEVERAL, None),
    ("list of an empty tensor", [torch.tensor([])], SEVERAL, None),
    ("list of an empty array", [np.array([])], SEVERAL, None),
    # a string of a whole float: int("3.0") raises, float first
    ("str of a whole float", "3.0", "pass ds[int(float(index))]", lambda i: int(float(i))),
    ("list of one str float", ["3.0"], "for its one item pass ds[int(float(index[0]))]", lambda i: int(float(i[0]))),
    ("str not whole", "3.5", f"an index must be a whole number, got '3.5'; {POSITION}", None),
    # a list of one array of one (int() of a 1-d array raises in NumPy 2: "not a whole number, got 3"),
    # of a list of one ("got [3]"): unwrapped to the one value
    ("list of an array of one", [np.array([3])], "for its one item pass ds[index[0].item()]", lambda i: i[0].item()),
    ("list of a float array of one", [np.array([[3.0]])], "for its one item pass ds[int(index[0].item())]", lambda i: int(i[0].item())),
    ("list of a list of one", [[3]], "for its one item pass ds[index[0][0]]", lambda i: i[0][0]),
    ("tuple of a list of one", ([3],), "for its one item pass ds[index[0][0]]", lambda i: i[0][0]),
    ("list of a list of one str", [["3"]], "for its one item pass ds[int(index[0][0])]", lambda i: int(i[0][0])),
    ("list of a list of a list of two", [[[3, 4]]], SEVERAL, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("index", "fix", "apply"), [b[1:] for b in BAD_INDICES], ids=[b[0] for b in BAD_INDICES]
)
def test_an_index_that_is_no_int_is_refused_with_the_fix_for_it(
    root: Path, index: Any, fix: str, apply: Any
) -> None:
    """One value (1.0, "3") is told int(index); a one-element tensor and array alike (torchvision
    fails on both: its data[index] is then an image (1, 28, 28)) .item(); several the list
    comprehension or Subset."""
    ds = FashionMNIST(root)
    with pytest.raises(
        UsageTypeError,
        match=rf"^index must be an int, got {type(index).__name__} .*; {re.escape(fix)}$",
    ):
        ds[index]
    if apply is not None:
        image, label = ds[apply(index)]
        assert image.shape == (1, 28, 28) and label == ds[int(apply(index))][1]


@pytest.mark.parametrize(
    "index",
    [3, np.int64(3), np.array(3), torch.tensor(3)],
    ids=["int", "np.int64", "0-d array", "0-d tensor"],
)
def test_one_integer_in_any_form_torchvision_takes_is_an_index(root: Path, index: Any) -> None:
    ds = FashionMNIST(root)
    assert torch.equal(ds[index][0], ds[3][0]) and ds[index][1] == ds[3][1]


@pytest.mark.parametrize(
    ("name", "example"),
    [
        ("transform", r"transform=ToTensor\(\) or Compose\(\[\.\.\.\]\)"),
        # ToTensor cannot take the int label a target_transform gets
        (
            "target_transform",
            r"target_transform=lambda y: torch\.tensor\(y\) \(it gets the int label\)",
        ),
    ],
)
def test_a_transform_that_cannot_be_called_is_refused_when_the_dataset_is_made(
    root: Path, name: str, example: str
) -> None:
    with pytest.raises(
        UsageTypeError,
        match=rf"^{name} must be callable \(a function or a transform\) or None, got 3; "
        rf"pass e.g. {example}$",
    ):
        FashionMNIST(root, **{name: 3})


@pytest.mark.parametrize(
    ("target_transform", "got"),
    [
        (
            Normalize((0.5,), (0.5,)),
            r"Normalize\(mean=\(0\.5,\), std=\(0\.5,\)\), an image transform",
        ),
        (ToTensor(), r"ToTensor\(\), an image transform"),
        (PILToTensor(), r"PILToTensor\(\), an image transform"),
        (Resize(64), r"Resize\(size=64, .*, an image transform"),
        (
            Compose([Compose([ToTensor()]), Lambda(int)]),
            r"Compose\(.*\), which holds the image transform ToTensor\(\)",
        ),
        # the label itself handed to ToTensor: ds[0] said "pic must be ..., got int 9"
        (Lambda(ToTensor()), r"Lambda\(\), which holds the image transform ToTensor\(\)"),
        (  # its repr cut between steps, closed: it was cut mid-number ("std=(0...")
            Compose([Compose([]), Resize(64), ToTensor(), Normalize((0.2860,), (0.3530,))]),
            r"Compose\( Compose\( \) \.\.\. \), which holds the image transform "
            r"Resize\(size=64, interpolation=bilinear, max_size=None, antialias=True\)",
        ),
    ],
    ids=["Normalize", "ToTensor", "PILToTensor", "Resize", "Compose", "Lambda", "long Compose"],
)
def test_an_image_transform_given_as_target_transform_is_refused_when_made(
    root: Path, target_transform: Any, got: str
) -> None:
    """It failed at ds[0] on the label, in the transform's words: Normalize's even advised
    "apply ToTensor() first", which cannot work on an int."""
    with pytest.raises(
        UsageTypeError,
        match=rf"^target_transform must be a function of the label, got {got}: target_transform "
        r"receives the int class label \(e\.g\. 9\), not the image; pass image transforms as "
        r"transform=\.\.\., e\.g\. transform=ToTensor\(\), and for the label e\.g\. "
        r"target_transform=lambda y: torch\.tensor\(y\)$",
    ):
        FashionMNIST(root, train=False, target_transform=target_transform)
    # a function of the label, and the same transforms as transform, are taken
    ds = FashionMNIST(
        root, train=False, transform=ToTensor(), target_transform=Lambda(torch.tensor)
    )
    assert ds[0][1] == torch.tensor(int(ds.targets[0]))


def _label_image(y: int) -> Any:
    from PIL import Image

    return Image.new("L", (2, 2), y)


@pytest.mark.parametrize(
    "target_transform",
    [
        Compose([Lambda(lambda y: np.full((2, 2), y, np.uint8)), ToTensor()]),
        Compose([Lambda(_label_image), PILToTensor()]),
    ],
    ids=["label to array, ToTensor", "label to PIL image, PILToTensor"],
)
def test_an_image_transform_after_a_step_of_ones_own_is_taken_as_target_transform(
    root: Path, target_transform: Any
) -> None:
    """A Compose whose first step makes an image of the label, then ToTensor (valid: torchvision
    runs it) was refused for holding an image transform. Only one applied first is refused."""
    ds = FashionMNIST(root, train=False, target_transform=target_transform)
    label = int(ds.targets[0])
    target = ds[0][1]  # (1, 2, 2): ToTensor's in [0, 1], PILToTensor's uint8
    if target.is_floating_point():
        target = (target * 255).round().to(torch.uint8)
    assert torch.equal(target, torch.full((1, 2, 2), label, dtype=torch.uint8))


def test_without_pillow_to_tensor_gets_the_uint8_tensor_and_gives_the_default_item(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    seen: list[Any] = []
    ds = FashionMNIST(root, transform=lambda img: seen.append(img) or ToTensor()(img))
    image, _ = ds[1]
    assert isinstance(seen[0], torch.Tensor) and seen[0].shape == (28, 28)
    assert torch.equal(image, FashionMNIST(root)[1][0])  # float32 (1, 28, 28), as without one


def test_train_must_be_true_or_false(root: Path) -> None:
    """``train="test"`` is truthy: taken as is, it would give the training split."""
    with pytest.raises(UsageTypeError, match=r"train must be True or False, got 'test'"):
        FashionMNIST(root, train="test")  # type: ignore[arg-type]


def test_root_names_the_folder_found_by_searching(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEARNETS_DATA", str(root))
    ds = FashionMNIST(train=False)
    assert ds.root == str(root) and f"Root location: {root}" in repr(ds)


def test_a_root_that_is_no_path_is_refused_by_type(root: Path) -> None:
    for download_ in (False, True):
        with pytest.raises(
            UsageTypeError, match=r"root must be a folder path \(str or Path\), got 3"
        ):
            FashionMNIST(3, download=download_)  # type: ignore[arg-type]


def test_download_true_without_any_local_copy_downloads_into_root(
    tiny: Tiny, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No copy anywhere on this machine: the files are fetched into root/FashionMNIST/raw, then read."""
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no Keras cache
    monkeypatch.chdir(tmp_path / "root")  # no data/ here; ../data is the target, not made yet
    fetched: list[Path] = []

    def fake_download(target: Path, *, mirrors: list[str]) -> None:  # what the network brings
        assert mirrors == FashionMNIST.mirrors  # torchvision's attribute, as its download() reads
        fetched.append(target)
        tiny.write(target / "FashionMNIST" / "raw")

    monkeypatch.setattr(download, "download_fashion_mnist", fake_download)
    target = tmp_path / "data"
    ds = FashionMNIST(target, train=False, download=True)
    assert fetched == [target] and ds.root == target
    images = tiny.arrays["t10k-images-idx3-ubyte"]
    assert torch.equal(ds[2][0], torch.from_numpy(images[2].astype(np.float32) / 255)[None])


def test_the_books_code_runs_through_linearnets_torchvision(
    tiny: Tiny, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D2L §3.5.1 as printed, with ``import torchvision`` swapped for linearnets' module."""
    from linearnets import torchvision
    from linearnets.torchvision import transforms

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no download expected: root holds the files")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(http_deadline, "urlopen", no_network)  # what downloads call
    trans = transforms.ToTensor()
    mnist_test = torchvision.datasets.FashionMNIST(
        root=str(root), train=False, transform=trans, download=True
    )
    assert len(mnist_test) == NUM_TEST
    images = tiny.arrays["t10k-images-idx3-ubyte"]
    x, y = mnist_test[1]
    assert torch.equal(x, torch.from_numpy(images[1].astype(np.float32) / 255)[None])
    assert y == int(tiny.arrays["t10k-labels-idx1-ubyte"][1])
