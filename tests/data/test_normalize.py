"""Normalize against NumPy's per-channel ``(x - mean) / std``, and its refusals (D2L §3.5.1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.data.normalize import Normalize
from linearnets.data.to_tensor import ToTensor
from linearnets.errors import UsageError, UsageTypeError

MEAN, STD = (0.1, 0.5, -0.3), (0.2, 4.0, 0.5)


def _oracle(x: torch.Tensor, mean: Any, std: Any) -> np.ndarray:
    """NumPy in float64: channel c is (x[..., c, :, :] - mean[c]) / std[c]."""
    a = x.double().numpy()
    m = np.broadcast_to(np.asarray(mean, dtype=np.float64), (a.shape[-3],))
    s = np.broadcast_to(np.asarray(std, dtype=np.float64), (a.shape[-3],))
    out = np.empty_like(a)
    for c in range(a.shape[-3]):
        out[..., c, :, :] = (a[..., c, :, :] - m[c]) / s[c]
    return out


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)], ids=["CHW", "BCHW"])
def test_each_channel_is_standardized_with_its_own_mean_and_std(
    shape: tuple[int, ...], gen: torch.Generator
) -> None:
    x = torch.rand(shape, generator=gen, dtype=torch.float64)
    before = x.clone()
    out = Normalize(MEAN, STD)(x)
    assert out.shape == x.shape and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), _oracle(x, MEAN, STD), rtol=1e-12, atol=1e-12)
    assert torch.equal(x, before)  # the input is left as it was


def test_float64_input_uses_float64_mean_and_std(gen: torch.Generator) -> None:
    """0.1 is not a float32: a float32 mean would be off by ~1e-9 in float64."""
    x = torch.rand(1, 2, 2, generator=gen, dtype=torch.float64)
    out = Normalize(0.1, 0.3)(x)
    np.testing.assert_array_equal(out.numpy(), (x.numpy() - 0.1) / 0.3)


def test_a_batch_with_as_many_images_as_channels_uses_the_channel_axis(
    gen: torch.Generator,
) -> None:
    """(B, C, H, W) with B == 2 and C == 1: one value for every channel, not per image."""
    x = torch.rand(2, 1, 3, 3, generator=gen, dtype=torch.float64)
    out = Normalize((0.5,), (0.25,))(x)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - 0.5) / 0.25, rtol=1e-12)
    y = torch.rand(3, 2, 3, 3, generator=gen, dtype=torch.float64)
    np.testing.assert_allclose(
        Normalize((0.5, 0.1), (0.25, 2.0))(y).numpy(), _oracle(y, (0.5, 0.1), (0.25, 2.0))
    )


def test_one_value_serves_every_channel(gen: torch.Generator) -> None:
    x = torch.rand(3, 2, 2, generator=gen, dtype=torch.float64)
    np.testing.assert_allclose(Normalize(0.5, STD)(x).numpy(), _oracle(x, 0.5, STD), rtol=1e-12)
    np.testing.assert_allclose(Normalize(MEAN, 2.0)(x).numpy(), _oracle(x, MEAN, 2.0), rtol=1e-12)


@pytest.mark.parametrize("kind", [torch.tensor, np.array], ids=["tensor", "array"])
def test_a_mean_and_std_of_shape_c_1_1_are_taken_as_torchvision_takes_them(
    kind: Any, gen: torch.Generator
) -> None:
    """torchvision views a 1-d mean as (C, 1, 1) and takes one given so, as
    ``x.mean((0, 2, 3), keepdim=True)[0]`` gives it; it was refused as not a list of numbers."""
    x = torch.rand(2, 3, 4, 5, generator=gen, dtype=torch.float64)
    mean, std = kind(MEAN).reshape(3, 1, 1), kind(STD).reshape(3, 1, 1)
    out = Normalize(mean, std)(x)
    np.testing.assert_allclose(out.numpy(), _oracle(x, MEAN, STD), rtol=1e-6)


@pytest.mark.parametrize(
    ("mean", "shown"),
    [
        (np.float32(0.25), "0.25"),
        (torch.tensor(0.25), "0.25"),
        (torch.tensor([0.25]), "tensor([0.2500])"),
        (np.array([0.25]), "[0.25]"),
        (1, "1"),
        ((0.5,), "(0.5,)"),
        ([1, 2, 3], "[1, 2, 3]"),
    ],
    ids=["numpy-scalar", "0-d-tensor", "1-d-tensor", "1-d-array", "python-int", "tuple", "list"],
)
def test_mean_and_std_are_kept_and_shown_as_given_as_torchvision(mean: Any, shown: str) -> None:
    """The reprs torchvision 0.28 prints for these (observed); the values apply as floats."""
    norm = Normalize(mean, mean)
    assert norm.mean is mean and norm.std is mean
    assert repr(norm) == f"Normalize(mean={shown}, std={shown})"
    x = torch.rand(3, 2, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    m = np.asarray(mean, dtype=np.float64).reshape(-1)
    expected = _oracle(x, np.broadcast_to(m, (3,)), np.broadcast_to(m, (3,)))
    np.testing.assert_allclose(norm(x).numpy(), expected, rtol=1e-12)


def test_repr_lists_mean_then_std() -> None:
    assert repr(Normalize((0.1, 0.2), (3, 4))) == "Normalize(mean=(0.1, 0.2), std=(3, 4))"
    assert repr(Normalize(0.5, 0.5, inplace=True)) == "Normalize(mean=0.5, std=0.5)"


def test_a_mean_assigned_later_is_used_as_torchvision_reads_it_when_applied() -> None:
    norm = Normalize(0.0, 1.0)
    norm.mean = 0.5
    assert Normalize(0.0, 1.0)(torch.ones(1, 1, 1)).item() == 1.0
    assert norm(torch.ones(1, 1, 1)).item() == 0.5


def test_a_negative_std_flips_the_sign_as_torchvisions() -> None:
    """torchvision 0.28 gives [-2.0, 10.0] here (observed): (1 - 0.5) / -0.25, (-2 - 0.5) / -0.25."""
    x = torch.tensor([[[1.0, -2.0]]])
    assert Normalize((0.5,), (-0.25,))(x).tolist() == [[[-2.0, 10.0]]]


def test_inplace_standardizes_the_tensor_given_and_returns_it(gen: torch.Generator) -> None:
    x = torch.rand(3, 4, 5, generator=gen, dtype=torch.float64)
    before = x.clone()
    out = Normalize(MEAN, STD, inplace=True)(x)
    assert out is x
    np.testing.assert_allclose(x.numpy(), _oracle(before, MEAN, STD), rtol=1e-12, atol=1e-12)
    y = before.clone()
    assert Normalize(MEAN, STD, inplace=False)(y) is not y and torch.equal(y, before)


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["same dtype", "cast"])
def test_a_mean_and_std_that_require_grad_stay_in_the_graph_as_torchvisions(
    gen: torch.Generator, dtype: torch.dtype, inplace: bool
) -> None:
    """torchvision 0.28 casts them with torch.as_tensor, which keeps the graph: d(sum out)/d mean_c
    is -N/std_c and d(sum out)/d std_c is -sum((x - mean_c) / std_c**2), N pixels a channel."""
    x = torch.rand(2, 3, 4, 5, generator=gen, dtype=torch.float64)
    mean = torch.tensor(MEAN, dtype=dtype, requires_grad=True)
    std = torch.tensor(STD, dtype=dtype, requires_grad=True)
    out = Normalize(mean, std, inplace=inplace)(x.clone())
    out.sum().backward()
    a, m, s = x.numpy(), mean.detach().double().numpy(), std.detach().double().numpy()
    n = 2 * 4 * 5
    expected_mean = [-n / s[c] for c in range(3)]
    expected_std = [-((a[:, c] - m[c]) / s[c] ** 2).sum() for c in range(3)]
    assert mean.grad is not None and std.grad is not None
    np.testing.assert_allclose(mean.grad.double().numpy(), expected_mean, rtol=1e-6)
    np.testing.assert_allclose(std.grad.double().numpy(), expected_std, rtol=1e-6)


def test_a_one_value_mean_that_requires_grad_gets_every_pixels_gradient() -> None:
    mean = torch.tensor(0.5, requires_grad=True)  # 0-d: one value for all channels
    Normalize(mean, 0.25)(torch.zeros(3, 2, 2)).sum().backward()
    assert mean.grad is not None and mean.grad.item() == -12 / 0.25


def test_mean_and_std_gradients_pass_gradcheck(gen: torch.Generator) -> None:
    x = torch.rand(2, 3, 2, 2, generator=gen, dtype=torch.float64)
    mean = torch.tensor(MEAN, dtype=torch.float64, requires_grad=True)
    std = torch.tensor(STD, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda m, s: Normalize(m, s)(x), (mean, std))


@pytest.mark.parametrize(
    ("std", "dtype"), [(1e-8, torch.float16), (1e-46, torch.float32), ((1.0, 1e-8), torch.float16)]
)
def test_a_std_that_is_zero_in_the_tensors_dtype_is_refused(std: Any, dtype: torch.dtype) -> None:
    """torchvision refuses these too ("std evaluated to zero after conversion to ...")."""
    x = torch.ones(2 if isinstance(std, tuple) else 1, 2, 2, dtype=dtype)
    with pytest.raises(
        UsageError,
        match=rf"^std must be nonzero in the tensor's dtype, got std={re.escape(repr(std))}, "
        rf"which is 0 in {dtype}, leading to division by zero; pass a larger std",
    ):
        Normalize(0.5, std)(x)
    assert Normalize(0.5, 1e-8)(torch.ones(1, 1, 1)).item() == pytest.approx(5e7)  # float32: 1e-8


BAD = [
    ("std zero", lambda: Normalize(0.0, 0), UsageError, r"^std must hold nonzero values \(it divides\), got 0; pass e.g. std=\(0.5,\)"),
    ("std zero in a list", lambda: Normalize(0.0, [2.0, 0.0]), UsageError, r"^std must hold nonzero values \(it divides\), got \[2.0, 0.0\]"),
    ("inplace not a bool", lambda: Normalize(0.0, 1.0, inplace="yes"), UsageTypeError, r"^inplace must be True or False, got 'yes'"),
    ("bool mean", lambda: Normalize(True, 1.0), UsageTypeError, r"mean must be a finite number or a non-empty list of them, got True"),
    ("bool in list", lambda: Normalize([0.5, False], 1.0), UsageTypeError, r"mean must be a finite number or a non-empty list"),
    ("bool std", lambda: Normalize(0.5, True), UsageTypeError, r"std must be a finite number or a non-empty list of them"),
    ("inf std", lambda: Normalize(0.5, [float("inf")]), UsageTypeError, r"std must be a finite number or a non-empty list"),
    ("empty std", lambda: Normalize(0.5, ()), UsageTypeError, r"std must be a finite number or a non-empty list of them"),
    ("string std", lambda: Normalize(0.5, "1"), UsageTypeError, r"std must be a finite number or a non-empty list"),
    ("2-d tensor", lambda: Normalize(torch.ones(1, 1), 1.0), UsageTypeError, r"mean must be a finite number or a non-empty list"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "error", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_mean_or_std_is_refused_when_made(
    make: Any, error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        make()


BAD_TENSORS = [  # (id, tensor, the fix the message gives, that fix applied)
    ("list", [[[0.0]]], "apply ToTensor() first", None),
    (
        "float (H, W)",
        torch.rand(28, 28),
        "add its channel with tensor[None], which makes it (1, H, W)",
        lambda t: t[None],
    ),
    (
        "float 1-d",
        torch.rand(784),
        "give it its channel, rows and columns first, e.g. tensor.reshape(1, 28, 28) for 784 pixels",
        lambda t: t.reshape(1, 28, 28),
    ),
    (
        "uint8 (C, H, W)",
        torch.zeros(1, 28, 28, dtype=torch.uint8),
        "convert it with tensor.float() / 255",
        lambda t: t.float() / 255,
    ),
    (
        "uint8 small",
        torch.zeros(1, 2, 2, dtype=torch.uint8),
        "convert it with tensor.float() / 255",
        lambda t: t.float() / 255,
    ),
    (
        "uint8 (B, C, H, W)",
        torch.zeros(2, 1, 28, 28, dtype=torch.uint8),
        "convert it with tensor.float() / 255",
        lambda t: t.float() / 255,
    ),
    (
        "uint8 (H, W)",
        torch.zeros(28, 28, dtype=torch.uint8),
        "apply ToTensor() first, which makes it (C, H, W) in [0, 1]",
        lambda t: ToTensor()(t),
    ),
    (
        "uint8 (H, W, C)",
        torch.zeros(28, 28, 3, dtype=torch.uint8),
        "apply ToTensor() first, which makes it (C, H, W) in [0, 1]",
        lambda t: ToTensor()(t),
    ),
    (
        "int64 (C, H, W)",
        torch.zeros(1, 28, 28, dtype=torch.int64),
        "convert it with tensor.float() / 255 (pixels 0..255) or tensor.float() (other values)",
        lambda t: t.float() / 255,
    ),
    (
        "int64 (H, W)",
        torch.zeros(28, 28, dtype=torch.int64),
        "convert it with tensor[None].float() / 255 (pixels 0..255) or tensor[None].float() (other values)",
        lambda t: t[None].float() / 255,
    ),
    (  # the same layout ToTensor names: the fix is not refused again for its 28 "channels"
        "int64 (H, W, C)",
        torch.randint(0, 256, (28, 28, 3)),
        "convert it with tensor.permute(2, 0, 1).float() / 255 (pixels 0..255) or "
        "tensor.permute(2, 0, 1).float() (other values)",
        lambda t: t.permute(2, 0, 1).float() / 255,
    ),
    (
        "bool (H, W)",
        torch.ones(28, 28, dtype=torch.bool),
        "convert it with tensor[None].float(), which makes it 0 and 1",
        lambda t: t[None].float(),
    ),
    (
        "bool (H, W, C)",
        torch.ones(28, 28, 3, dtype=torch.bool),
        "convert it with tensor.permute(2, 0, 1).float(), which makes it 0 and 1",
        lambda t: t.permute(2, 0, 1).float(),
    ),
    (  # a batch read as (B, C, H, W) was told .float() / 255, then refused for its 28 "channels"
        "int64 (B, H, W, C)",
        torch.randint(0, 256, (2, 28, 28, 3)),
        "convert it with tensor.permute(0, 3, 1, 2).float() / 255 (pixels 0..255) or "
        "tensor.permute(0, 3, 1, 2).float() (other values)",
        lambda t: t.permute(0, 3, 1, 2).float() / 255,
    ),
    (
        "uint8 (B, H, W, C)",
        torch.zeros(2, 28, 28, 3, dtype=torch.uint8),
        "convert it with tensor.permute(0, 3, 1, 2).float() / 255",
        lambda t: t.permute(0, 3, 1, 2).float() / 255,
    ),
    (  # .float() drops the imaginary part
        "complex (C, H, W)",
        torch.rand(3, 28, 28, dtype=torch.complex64),
        "make it real with tensor.abs() (the magnitudes) or tensor.real (the real parts)",
        lambda t: t.abs(),
    ),
    (
        "complex (H, W, C)",
        torch.rand(28, 28, 3, dtype=torch.complex64),
        "make it real with tensor.permute(2, 0, 1).abs() (the magnitudes) or "
        "tensor.permute(2, 0, 1).real (the real parts)",
        lambda t: t.permute(2, 0, 1).real,
    ),
    (  # tensor.reshape(1, 28, 28) fails on it
        "0-d",
        torch.tensor(0.5),
        "it holds one number, not an image: pass an image (C, H, W), e.g. x[None] for x (H, W)",
        None,
    ),
]


@pytest.mark.parametrize(
    ("tensor", "fix", "apply"), [b[1:] for b in BAD_TENSORS], ids=[b[0] for b in BAD_TENSORS]
)
def test_only_float_tensors_of_three_or_four_dims_are_normalized(
    tensor: Any, fix: str, apply: Any
) -> None:
    """The message gives the fix that works for the tensor received, never a circle back to
    ToTensor when ToTensor would refuse it."""
    norm = Normalize(0.5, 0.5)
    with pytest.raises(
        UsageTypeError,
        match=r"^tensor must be a float tensor \(C, H, W\) or \(B, C, H, W\), got .*; "
        + re.escape(fix)
        + "$",
    ):
        norm(tensor)
    if apply is not None:
        assert norm(apply(tensor)).shape[-3:] == apply(tensor).shape[-3:]


@pytest.mark.parametrize(
    ("mean", "std", "shape", "pattern"),
    [
        ((0.5, 0.5), (0.5,), (1, 2, 2), r"mean and std must have 1 value \(the image has 1 channel\), got 2 and 1 for a tensor of shape \(1, 2, 2\); .*Normalize\(\(0\.5,\), \(0\.5,\)\)"),
        ((0.5,), (0.5, 0.5), (3, 2, 2), r"mean and std must have 1 or 3 values \(the channels\), got 1 and 2 for a tensor of shape \(3, 2, 2\); .*Normalize\(\(0\.5, 0\.5, 0\.5\), \(0\.5, 0\.5, 0\.5\)\)"),
        ((0.5, 0.5), (0.5,), (4, 3, 2, 2), r"got 2 and 1 for a tensor of shape \(4, 3, 2, 2\)"),
    ],
)  # fmt: skip
def test_channel_counts_must_match(
    mean: Any, std: Any, shape: tuple[int, ...], pattern: str
) -> None:
    with pytest.raises(UsageError, match=pattern):
        Normalize(mean, std)(torch.zeros(shape))


def test_the_fix_for_a_channels_last_tensor_is_normalized_by_three_values() -> None:
    """ToTensor's advice for an int64 (H, W, C) tensor and Normalize's agree, and the fix they
    give is taken by Normalize((0.5,) * 3, (0.5,) * 3), not refused for its 28 "channels"."""
    norm = Normalize((0.5,) * 3, (0.5,) * 3)
    x = torch.randint(0, 256, (28, 28, 3))
    fix = "tensor.permute(2, 0, 1).float() / 255"
    with pytest.raises(UsageTypeError, match=re.escape(f"convert it with {fix}")):
        norm(x)
    with pytest.raises(UsageTypeError, match=re.escape(f"{fix.replace('tensor', 'pic')}")):
        ToTensor()(x)
    out = norm(x.permute(2, 0, 1).float() / 255)
    assert out.shape == (3, 28, 28) and out.min() >= -1 and out.max() <= 1


@pytest.mark.parametrize(
    ("shape", "mean", "std", "layouts", "order"),
    [
        ((28, 28, 3), (0.5,) * 3, (0.5,) * 3, ("(H, W, C)", "(C, H, W)"), (2, 0, 1)),
        ((28, 28, 3), (0.5,) * 3, 0.5, ("(H, W, C)", "(C, H, W)"), (2, 0, 1)),
        ((2, 28, 28, 3), (0.5,) * 3, (0.5,) * 3, ("(B, H, W, C)", "(B, C, H, W)"), (0, 3, 1, 2)),
        ((2, 28, 28, 3), 0.5, (0.5,) * 3, ("(B, H, W, C)", "(B, C, H, W)"), (0, 3, 1, 2)),
    ],
)
def test_a_float_channels_last_tensor_or_batch_is_told_to_permute(
    shape: tuple[int, ...], mean: Any, std: Any, layouts: tuple[str, str], order: tuple[int, ...]
) -> None:
    """Not offered 28 means: the values given fit the channels-last reading of the shape."""
    x = torch.rand(*shape)
    with pytest.raises(UsageError) as info:
        Normalize(mean, std)(x)
    counts = [1 if isinstance(v, float) else 3 for v in (mean, std)]
    assert str(info.value) == (
        f"mean and std must have 1 or 28 values (the channels), got {counts[0]} and {counts[1]} "
        f"for a tensor of shape {shape}; the tensor looks channels-last {layouts[0]} with C = 3: "
        f"make it {layouts[1]} with tensor.permute{order}"
    )
    assert Normalize(mean, std)(x.permute(*order)).shape[-3:] == (3, 28, 28)


@pytest.mark.parametrize(
    ("shape", "layouts", "order"),
    [
        ((4, 28, 3), ("(H, W, C)", "(C, H, W)"), (2, 0, 1)),
        ((2, 5, 3), ("(H, W, C)", "(C, H, W)"), (2, 0, 1)),
        ((8, 4, 28, 3), ("(B, H, W, C)", "(B, C, H, W)"), (0, 3, 1, 2)),
    ],
)
def test_a_short_image_whose_last_side_fits_the_values_is_told_both_readings(
    shape: tuple[int, ...], layouts: tuple[str, str], order: tuple[int, ...]
) -> None:
    """A (4, 28, 3) image, 4 channels by its layout, with 3 means was told only to pass 4 values,
    where docs/fashion-mnist.md says a channels-last tensor is told to permute, not to pass H
    means: both readings are offered, and each, followed, is taken."""
    x = torch.rand(*shape)
    channels = shape[-3]
    with pytest.raises(UsageError) as info:
        Normalize((0.5,) * 3, (0.5,) * 3)(x)
    example = (0.5,) * channels
    assert str(info.value) == (
        f"mean and std must have 1 or {channels} values (the channels), got 3 and 3 for a tensor "
        f"of shape {shape}; pass one value per channel, or one for all, e.g. Normalize({example}, "
        f"{example}); or, if it is channels-last {layouts[0]} with C = 3, make it {layouts[1]} "
        f"with tensor.permute{order}"
    )
    assert Normalize(example, example)(x).shape == shape
    assert Normalize((0.5,) * 3, (0.5,) * 3)(x.permute(*order)).shape[-3] == 3


def test_a_zero_dim_tensor_is_not_told_to_reshape() -> None:
    with pytest.raises(UsageTypeError, match="it holds one number, not an image") as info:
        Normalize(0.5, 0.5)(torch.tensor(0.5))
    assert "reshape" not in str(info.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_gpu_tensor_is_normalized_on_the_gpu(gen: torch.Generator) -> None:
    x = torch.rand(2, 3, 4, 5, generator=gen, dtype=torch.float64)
    out = Normalize(MEAN, STD)(x.cuda())
    assert out.device.type == "cuda"
    np.testing.assert_allclose(out.cpu().numpy(), _oracle(x, MEAN, STD), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 0, 5), (2, 3, 0, 0), (0, 3, 4, 5)])
def test_normalize_gives_an_empty_tensor_back_as_torchvision(shape: tuple[int, ...]) -> None:
    out = Normalize((0.1, 0.2, 0.3), (1.0, 2.0, 3.0))(torch.zeros(shape))
    assert out.shape == shape and out.dtype == torch.float32


def test_normalize_of_no_channels_names_the_one_value_that_fits() -> None:
    """torchvision fails inside torch ("The size of tensor a (0) must match ...")."""
    assert Normalize(0.5, 2.0)(torch.zeros(0, 4, 5)).shape == (0, 4, 5)
    with pytest.raises(UsageError) as info:
        Normalize((0.1, 0.2, 0.3), (1.0, 2.0, 3.0))(torch.zeros(0, 4, 5))
    assert str(info.value) == (
        "mean and std must have 1 value (the image has 0 channels), got 3 and 3 for a tensor of "
        "shape (0, 4, 5); pass one value per channel, or one for all, e.g. "
        "Normalize((0.5,), (0.5,))"
    )


def test_the_docs_name_the_fix_normalize_gives_a_bool_channels_last_tensor() -> None:
    """docs/fashion-mnist.md said `x.float()` for a bool (H, W, C), which Normalize then refuses
    for its 28 "channels"; the code says x.permute(2, 0, 1).float()."""
    docs = Path(__file__).parents[2] / "docs" / "fashion-mnist.md"
    text = " ".join(docs.read_text().split())
    assert "a bool (H, W, C) `x.permute(2, 0, 1).float()`" in text
    assert "a bool one `x.float()`" not in text
    x = torch.ones(28, 28, 3, dtype=torch.bool)
    with pytest.raises(UsageTypeError, match=re.escape("tensor.permute(2, 0, 1).float()")):
        Normalize((0.5,) * 3, (0.5,) * 3)(x)
    assert Normalize((0.5,) * 3, (0.5,) * 3)(x.permute(2, 0, 1).float()).shape == (3, 28, 28)
