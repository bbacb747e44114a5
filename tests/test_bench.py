"""The benchmarks' baselines are the book's code: bench/ imported as its scripts import each other."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench() -> Iterator[Callable[[str], ModuleType]]:
    """Return an importer of bench/'s modules by name, with bench/ first on sys.path as when a
    script runs; they are forgotten afterwards."""
    sys.path.insert(0, str(BENCH))
    names = set(sys.modules)
    try:
        yield importlib.import_module
    finally:
        sys.path.remove(str(BENCH))
        for name in set(sys.modules) - names:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(BENCH)):
                del sys.modules[name]


def test_bench_data_and_bench_softmax_time_one_book_dataset(
    bench: Callable[[str], ModuleType],
) -> None:
    """bench_data.py had its own shortcut (the whole set converted once, NumPy's division per item);
    both now time the one step-for-step copy of torchvision's FashionMNIST + ToTensor()."""
    data, softmax = bench("bench_data"), bench("bench_softmax")
    assert data.BookFashionMNIST is softmax.BookFashionMNIST is bench("_book_data").BookFashionMNIST


def test_the_book_dataset_keeps_torchvisions_tensors_and_converts_each_item(
    bench: Callable[[str], ModuleType],
) -> None:
    """As torchvision's FashionMNIST: ``data`` and ``targets`` are the tensors given (nothing
    converted up front); an item is ((1, 28, 28) float32 pixels / 255, an int label)."""
    book = bench("_book_data")
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8, generator=gen)
    images[0, 0, :3] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    labels = torch.tensor([9, 0, 4])
    dataset = book.BookFashionMNIST(images, labels)
    assert dataset.data is images and dataset.targets is labels and len(dataset) == 3
    for i in range(3):
        x, y = dataset[i]
        assert type(y) is int and y == int(labels[i])
        assert x.shape == (1, 28, 28) and x.dtype == torch.float32
        oracle = torch.from_numpy(images[i].numpy().astype("float64") / 255).float()
        assert torch.equal(x[0], oracle)
    assert dataset[0][0][0, 0, :3].tolist() == [0.0, float(torch.tensor(1 / 255)), 1.0]
