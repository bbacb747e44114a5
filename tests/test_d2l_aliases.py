"""d2l.torch's framework-neutral tensor names, through ``linearnets.d2l``, against torch itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from linearnets import _d2l_aliases, d2l


def test_every_alias_is_reachable_and_listed() -> None:
    for name in _d2l_aliases.__all__:
        assert getattr(d2l, name) is getattr(_d2l_aliases, name)
        assert name in dir(d2l) and name in d2l.__all__


@pytest.mark.parametrize(
    ("name", "torch_name"),
    [
        ("normal", "normal"),
        ("matmul", "matmul"),
        ("concat", "cat"),
        ("exp", "exp"),
        ("zeros", "zeros"),
        ("ones_like", "ones_like"),
        ("zeros_like", "zeros_like"),
        ("sigmoid", "sigmoid"),
        ("batch_matmul", "bmm"),
    ],
)
def test_function_aliases_are_torchs_own(name: str, torch_name: str) -> None:
    assert getattr(d2l, name) is getattr(torch, torch_name)


def test_nn_module_is_torchs() -> None:
    assert d2l.nn_Module is torch.nn.Module


def test_method_aliases_call_the_tensors_method() -> None:
    x = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    assert torch.equal(d2l.argmax(x, axis=1), torch.tensor([1, 0]))
    assert torch.equal(d2l.reduce_sum(x, axis=0), torch.tensor([8.0, 5.0, 5.0]))
    assert torch.equal(d2l.reduce_mean(x), torch.tensor(3.0))
    assert d2l.size(x) == 6
    assert d2l.reshape(x, (3, 2)).shape == (3, 2)
    assert torch.equal(d2l.transpose(x), x.detach().T)
    assert d2l.astype(x, torch.int64).dtype == torch.int64
    assert d2l.to(x, torch.float64).dtype == torch.float64
    as_array = d2l.numpy(x)  # x requires grad: .numpy() alone would raise
    assert isinstance(as_array, np.ndarray)
    np.testing.assert_array_equal(as_array, [[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])


def test_the_books_framework_neutral_accuracy_runs_and_counts_right() -> None:
    """``accuracy`` as the book's cells shared by every framework write it, through the aliases."""

    def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
        if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
            y_hat = d2l.argmax(y_hat, axis=1)
        cmp = d2l.astype(y_hat, y.dtype) == y
        return float(d2l.reduce_sum(d2l.astype(cmp, y.dtype)))

    generator = torch.Generator().manual_seed(0)
    y_hat = d2l.normal(0, 1, (50, 10), generator=generator)
    y = torch.randint(0, 10, (50,), generator=generator)
    assert accuracy(y_hat, y) == float((y_hat.argmax(dim=1) == y).sum()) == d2l.accuracy(y_hat, y)
