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


# d2l.torch's own bindings (d2l-en, d2l/torch.py): name = torch.<object>
D2L_TORCH_BINDINGS = {
    "abs": torch.abs, "arange": torch.arange, "batch_matmul": torch.bmm, "concat": torch.cat,
    "cos": torch.cos, "cosh": torch.cosh, "exp": torch.exp, "eye": torch.eye,
    "float32": torch.float32, "int32": torch.int32, "int64": torch.int64,
    "linspace": torch.linspace, "log": torch.log, "matmul": torch.matmul,
    "meshgrid": torch.meshgrid, "nn_Module": torch.nn.Module, "normal": torch.normal,
    "ones": torch.ones, "ones_like": torch.ones_like, "rand": torch.rand, "randn": torch.randn,
    "sigmoid": torch.sigmoid, "sin": torch.sin, "sinh": torch.sinh, "stack": torch.stack,
    "tanh": torch.tanh, "tensor": torch.tensor, "zeros": torch.zeros,
    "zeros_like": torch.zeros_like,
}  # fmt: skip
# and its lambdas x, *args, **kwargs: x.<method>(*args, **kwargs)
D2L_TORCH_METHODS = [
    "argmax", "astype", "expand_dims", "numpy", "reduce_mean", "reduce_sum", "repeat", "reshape",
    "size", "swapaxes", "to", "transpose",
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(D2L_TORCH_BINDINGS))
def test_every_binding_is_the_torch_object_d2l_torch_binds(name: str) -> None:
    assert getattr(d2l, name) is D2L_TORCH_BINDINGS[name]


def test_the_module_lists_exactly_d2l_torchs_names() -> None:
    assert sorted(_d2l_aliases.__all__) == sorted([*D2L_TORCH_BINDINGS, *D2L_TORCH_METHODS])


def test_method_aliases_pass_positional_and_keyword_arguments_on() -> None:
    x = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert torch.equal(d2l.reduce_sum(x, 0), torch.tensor([8.0, 5.0, 5.0]))
    assert torch.equal(d2l.reduce_sum(x, dim=1, keepdim=True), torch.tensor([[8.0], [10.0]]))
    assert torch.equal(d2l.reduce_mean(x, 1), torch.tensor([8.0 / 3, 10.0 / 3]))
    assert torch.equal(d2l.reduce_mean(x, dim=0, keepdim=True), torch.tensor([[4.0, 2.5, 2.5]]))
    assert torch.equal(d2l.argmax(x, 0), torch.tensor([1, 0, 1]))
    assert torch.equal(d2l.reshape(x, 3, 2), torch.tensor([[1.0, 5.0], [2.0, 7.0], [0.0, 3.0]]))
    assert torch.equal(d2l.reshape(x, shape=(6,)), torch.tensor([1.0, 5.0, 2.0, 7.0, 0.0, 3.0]))
    assert d2l.to(x, dtype=torch.float64).dtype == torch.float64
    assert torch.equal(
        d2l.astype(x, dtype=torch.int32), torch.tensor([[1, 5, 2], [7, 0, 3]], dtype=torch.int32)
    )
    assert d2l.astype(x, "torch.DoubleTensor").dtype == torch.float64  # Tensor.type's own spelling
    assert d2l.astype(x) == "torch.FloatTensor"  # and with no dtype, Tensor.type names it


def test_transpose_is_tensor_t_a_vector_stays_and_3d_is_refused() -> None:
    v = torch.tensor([1.0, 2.0, 3.0])
    assert torch.equal(d2l.transpose(v), v)  # Tensor.t(): 0-d and 1-d tensors come back as they are
    with pytest.raises(RuntimeError, match=r"expects a tensor with <= 2 dimensions"):
        d2l.transpose(torch.zeros(2, 3, 4))


def test_numpy_passes_its_keyword_on() -> None:
    z = torch.tensor([1 + 2j, 3 - 1j]).conj()  # a view with the conjugate bit set
    np.testing.assert_array_equal(d2l.numpy(z, force=True), [1 - 2j, 3 + 1j])


def test_the_aliases_d2l_1_0_adds_call_the_tensors_method() -> None:
    """d2l 1.0.3's torch.py adds expand_dims, swapaxes and repeat (x.unsqueeze, x.swapaxes, x.repeat)."""
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert torch.equal(d2l.expand_dims(x, 1), torch.tensor([[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]))
    assert d2l.expand_dims(x, dim=-1).shape == (2, 3, 1)
    assert torch.equal(d2l.swapaxes(x, 0, 1), torch.tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]))
    assert d2l.swapaxes(torch.zeros(2, 3, 4), 0, 2).shape == (4, 3, 2)
    assert torch.equal(d2l.repeat(torch.tensor([1, 2]), 2, 2), torch.tensor([[1, 2, 1, 2]] * 2))
    assert torch.equal(d2l.repeat(torch.tensor([1, 2]), (3,)), torch.tensor([1, 2, 1, 2, 1, 2]))
