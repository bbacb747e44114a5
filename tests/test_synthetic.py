"""Synthetic data and minibatch iterators (D2L §3.2.1–3.2.2, §3.3.2)."""

from __future__ import annotations

import pytest
import torch

from linearnets.data.synthetic import data_iter, load_array, synthetic_data
from linearnets.errors import UsageError

TRUE_W = torch.tensor([2.0, -3.4])


def test_shapes_and_dtypes(gen: torch.Generator) -> None:
    X, y = synthetic_data(TRUE_W, 4.2, 1000, generator=gen)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert X.dtype == y.dtype == torch.float32


@pytest.mark.parametrize("noise_std", [0.01, 0.5, 2.0])
def test_noise_has_requested_standard_deviation(noise_std: float) -> None:
    g = torch.Generator().manual_seed(1)
    X, y = synthetic_data(TRUE_W, 4.2, 200_000, noise_std=noise_std, generator=g)
    residuals = y.reshape(-1) - (X @ TRUE_W + 4.2)
    # the sample std of 200k normals is within ~0.5% of sigma (4+ standard errors)
    assert residuals.std().item() == pytest.approx(noise_std, rel=0.01)
    assert residuals.mean().item() == pytest.approx(0.0, abs=0.01 * noise_std + 1e-6)


def test_features_are_standard_normal() -> None:
    X, _ = synthetic_data(TRUE_W, 0.0, 100_000, generator=torch.Generator().manual_seed(2))
    assert X.mean().item() == pytest.approx(0.0, abs=0.01)
    assert X.std().item() == pytest.approx(1.0, abs=0.01)


def test_zero_noise_is_exact() -> None:
    X, y = synthetic_data(
        TRUE_W, 4.2, 50, noise_std=0.0, generator=torch.Generator().manual_seed(3)
    )
    torch.testing.assert_close(y.reshape(-1), X @ TRUE_W + 4.2)


def test_same_seed_same_data() -> None:
    a = synthetic_data(TRUE_W, 4.2, 10, generator=torch.Generator().manual_seed(5))
    b = synthetic_data(TRUE_W, 4.2, 10, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def _visit(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    return torch.cat([y.reshape(-1) for _, y in batches])


@pytest.mark.parametrize("n,batch_size", [(103, 10), (100, 10), (5, 7), (1, 1)])
def test_data_iter_visits_every_example_once(n: int, batch_size: int, gen: torch.Generator) -> None:
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 2)
    labels = torch.arange(n)
    batches = list(data_iter(batch_size, features, labels, generator=gen))
    sizes = [len(y) for _, y in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = _visit(batches)
    assert sorted(seen.tolist()) == list(range(n))
    for X, y in batches:  # rows stay paired with their labels
        assert torch.equal(X[:, 0].long(), y)


def test_data_iter_shuffles_and_is_seeded() -> None:
    features, labels = torch.randn(50, 2), torch.arange(50)
    a = _visit(list(data_iter(8, features, labels, generator=torch.Generator().manual_seed(9))))
    b = _visit(list(data_iter(8, features, labels, generator=torch.Generator().manual_seed(9))))
    assert torch.equal(a, b)
    assert not torch.equal(a, labels)


def test_data_iter_does_not_copy_the_dataset() -> None:
    # a lazy generator: nothing is gathered before the first batch is asked for
    features = torch.randn(10, 2)
    it = data_iter(4, features, torch.arange(10))
    features.zero_()
    X, _ = next(it)
    assert torch.count_nonzero(X) == 0


@pytest.mark.parametrize("is_train", [True, False])
def test_load_array_visits_every_example_once(is_train: bool, gen: torch.Generator) -> None:
    features, labels = torch.randn(23, 2), torch.arange(23)
    batches = list(load_array((features, labels), 5, is_train, generator=gen))
    assert [len(y) for _, y in batches] == [5, 5, 5, 5, 3]
    seen = _visit(batches)
    assert sorted(seen.tolist()) == list(range(23))
    assert torch.equal(seen, labels) is (not is_train)


def test_load_array_seeded_order() -> None:
    arrays = (torch.randn(40, 2), torch.arange(40))
    a = _visit(list(load_array(arrays, 6, generator=torch.Generator().manual_seed(4))))
    b = _visit(list(load_array(arrays, 6, generator=torch.Generator().manual_seed(4))))
    assert torch.equal(a, b)


BAD_INPUT = [
    (
        lambda: synthetic_data(torch.tensor([[1.0, 2.0]]), 1.0, 10),
        UsageError,
        r"w must be a non-empty 1-d",
    ),
    (
        lambda: synthetic_data(TRUE_W, 1.0, 0),
        UsageError,
        r"num_examples must be a positive integer.*got 0",
    ),
    (
        lambda: synthetic_data(TRUE_W, 1.0, 10.5),
        TypeError,
        r"num_examples must be a positive integer",
    ),
    (
        lambda: synthetic_data(TRUE_W, 1.0, 10, noise_std=-1),
        UsageError,
        r"noise_std must be a finite number >= 0",
    ),
    (
        lambda: next(data_iter(0, torch.randn(3, 2), torch.randn(3, 1))),
        UsageError,
        r"batch_size.*got 0",
    ),
    (
        lambda: next(data_iter(2, torch.randn(3, 2), torch.randn(4, 1))),
        UsageError,
        r"same number of examples",
    ),
    (
        lambda: next(data_iter(2, torch.ones(3, 2, dtype=torch.int64), torch.randn(3, 1))),
        TypeError,
        r"floating",
    ),
    (
        lambda: next(data_iter(2, torch.randn(0, 2), torch.randn(0, 1))),
        UsageError,
        r"at least one example",
    ),
    (
        lambda: load_array((torch.randn(3, 2), torch.randn(2, 1)), 2),
        UsageError,
        r"same number of examples",
    ),
    (
        lambda: load_array((torch.randn(3, 2),), -1),
        UsageError,
        r"batch_size must be a positive integer",
    ),
    (lambda: load_array([], 2), UsageError, r"non-empty tuple"),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        call()


def test_integer_weights_give_float32_data() -> None:
    X, y = synthetic_data(torch.tensor([2, -3]), 4, 50, generator=torch.Generator().manual_seed(0))
    Xf, yf = synthetic_data(torch.tensor([2.0, -3.0]), 4.0, 50, generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert X.dtype == y.dtype == torch.float32
    assert torch.equal(X, Xf) and torch.equal(y, yf)


def test_float64_weights_give_float64_data() -> None:
    w = torch.tensor([2.0, -3.4], dtype=torch.float64)
    X, y = synthetic_data(w, 4.2, 50, noise_std=0.0, generator=torch.Generator().manual_seed(0))
    assert X.dtype == y.dtype == torch.float64
    torch.testing.assert_close(y, (X @ w + 4.2).reshape(-1, 1), rtol=0, atol=1e-12)
