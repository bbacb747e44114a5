"""ToTensor, Resize, Normalize and Compose against oracles: Pillow's pixels, F.interpolate, ArrayLoader."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from linearnets.data import resize
from linearnets.data.loader import ArrayLoader
from linearnets.data.transforms import Compose, InterpolationMode, Normalize, Resize, ToTensor
from linearnets.errors import UsageError, UsageTypeError

from .conftest import as_float_images


@pytest.fixture
def gray() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (5, 7), dtype=np.uint8)


def test_to_tensor_of_a_gray_pil_image(gray: np.ndarray) -> None:
    x = ToTensor()(Image.fromarray(gray, mode="L"))
    assert x.dtype == torch.float32 and tuple(x.shape) == (1, 5, 7)
    assert torch.equal(x, torch.from_numpy(gray.astype(np.float32) / 255).unsqueeze(0))


def test_to_tensor_of_an_rgb_pil_image() -> None:
    rgb = np.random.default_rng(1).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    x = ToTensor()(Image.fromarray(rgb, mode="RGB"))
    assert tuple(x.shape) == (3, 4, 6)
    assert torch.equal(x, torch.from_numpy(rgb.astype(np.float32) / 255).permute(2, 0, 1))


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_to_tensor_of_arrays(gray: np.ndarray, kind: str) -> None:
    hwc = np.stack([gray, 255 - gray], axis=-1)  # (5, 7, 2)
    for pic, channels in ((gray, 1), (hwc, 2)):
        arg: Any = pic if kind == "numpy" else torch.from_numpy(pic)
        x = ToTensor()(arg)
        assert tuple(x.shape) == (channels, 5, 7) and x.is_contiguous()
        assert float(x.min()) >= 0 and float(x.max()) <= 1
        assert torch.equal(x[0], torch.from_numpy(gray.astype(np.float32) / 255))
        # every channel, in order: the last one of hwc is 255 − gray
        assert torch.equal(x[-1], torch.from_numpy(pic[..., -1] if pic.ndim == 3 else pic) / 255)


@pytest.mark.parametrize("shape", [(4, 4), (10, 3), (2, 30), (0, 0)])
def test_to_tensor_takes_any_2d_uint8_tensor_or_array_as_one_gray_image(
    shape: tuple[int, int],
) -> None:
    """(H, W) has one reading, however small: (1, H, W). Only 3-d inputs can be ambiguous."""
    pixels = torch.arange(shape[0] * shape[1], dtype=torch.uint8).reshape(shape)
    expected = pixels.float().div(255).unsqueeze(0)
    for pic in (pixels, pixels.numpy()):
        x = ToTensor()(pic)
        assert tuple(x.shape) == (1, *shape) and torch.equal(x, expected)


def test_to_tensor_converts_a_tensor_on_its_own_device() -> None:
    """A uint8 tensor was taken to the CPU first (and came back there from a GPU; the meta
    device's, standing in for one here, failed: "Cannot copy out of meta tensor")."""
    x = ToTensor()(torch.zeros(4, 5, dtype=torch.uint8, device="meta"))
    assert x.is_meta and x.shape == (1, 4, 5) and x.dtype == torch.get_default_dtype()


BAD_PICS = [
    ("string array", np.array([["a"]]), UsageTypeError, r"^pic must hold real pixels \(uint8, other integers, float or bool\), got an array of shape \(1, 1\) and dtype <U1; convert it with pic.astype\(np.uint8\)"),
    ("complex array", np.zeros((2, 2), np.complex64), UsageTypeError, r"^pic must hold real pixels \(uint8, other integers, float or bool\), got an array of shape \(2, 2\) and dtype complex64; make it real with np\.abs\(pic\) \(the magnitudes\) or pic\.real \(the real parts\)$"),
    ("five channels array", np.zeros((28, 28, 5), np.uint8), UsageError, r"^pic must be an image \(H, W\) or \(H, W, C\), channels last with C in \(1, 2, 3, 4\), got a uint8 array of shape \(28, 28, 5\); pass one image, an array \(H, W\) or \(H, W, C\) with C of 1 to 4, e.g. a uint8 array of shape \(28, 28\) or \(28, 28, 3\)$"),
    ("float batch", np.zeros((2, 2, 2, 1), np.float32), UsageError, r"^pic must be an image \(H, W\) or \(H, W, C\), got an array of shape \(2, 2, 2, 1\); pass one image"),
    ("float channels first", np.zeros((1, 28, 28), np.float32), UsageError, r"got a float32 array of shape \(1, 28, 28\); it already is channels-first \(C, H, W\): convert it with torch.from_numpy\(pic\), not ToTensor"),
    ("batch", np.zeros((2, 2, 2, 1), np.uint8), UsageError, r"pic must be an image \(H, W\) or \(H, W, C\)"),
    ("1-d", torch.zeros(4, dtype=torch.uint8), UsageError, r"got a tensor of shape \(4,\)"),
    ("0-d array", np.array(7, np.uint8), UsageError, r"^pic must be an image \(H, W\) or \(H, W, C\), got an array of shape \(\); it holds one number, not an image: pass one image, e\.g\. a uint8 \(28, 28\) array$"),
    ("0-d string array", np.array("x"), UsageTypeError, r"^pic must hold real pixels \(uint8, other integers, float or bool\), got an array of shape \(\) and dtype <U1; it holds one value, not an image: pass one image, e\.g\. a uint8 \(28, 28\) array$"),
    ("0-d object array", np.array(None, dtype=object), UsageTypeError, r"^pic must hold real pixels \(uint8, other integers, float or bool\), got an array of shape \(\) and dtype object; it holds one value, not an image: pass one image, e\.g\. a uint8 \(28, 28\) array$"),
    ("flat row", np.zeros(784, np.uint8), UsageError, r"^pic must be an image \(H, W\) or \(H, W, C\), got an array of shape \(784,\); pass it with its rows and columns, e.g. pic.reshape\(28, 28\) for 784 pixels$"),
    ("0-d tensor", torch.tensor(7, dtype=torch.uint8), UsageError, r"^pic must be an image \(H, W\) or \(H, W, C\), got a tensor of shape \(\); it holds one number, not an image: pass one image, e\.g\. a uint8 \(28, 28\) tensor$"),
    ("0-d float tensor", torch.tensor(0.5), UsageTypeError, r"^pic must hold uint8 pixels, got a tensor of shape \(\) and dtype torch\.float32; it holds one number, not an image: pass one image, e\.g\. a uint8 \(28, 28\) tensor$"),
    ("list", [[0, 1]], UsageTypeError, r"pic must be a PIL image, a NumPy array or a tensor, got list"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pic", "error", "pattern"), [b[1:] for b in BAD_PICS], ids=[b[0] for b in BAD_PICS]
)
def test_to_tensor_rejects(pic: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        ToTensor()(pic)


def test_to_tensor_shows_an_input_that_is_no_image_and_the_fix_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said only "got list" (or str, NoneType), with no value and no way on."""
    monkeypatch.chdir(tmp_path)
    rows = [[1, 2], [3, 4]]
    with pytest.raises(UsageTypeError) as info:
        ToTensor()(rows)
    assert str(info.value) == (
        "pic must be a PIL image, a NumPy array or a tensor, got list [[1, 2], [3, 4]]; make the "
        "pixels an array first, e.g. ToTensor()(np.array(pic, dtype=np.uint8)) for pixels 0..255 "
        "(dtype=np.float32 for other values, kept as they are)"
    )
    assert torch.equal(ToTensor()(np.array(rows, dtype=np.uint8)), torch.tensor([rows]) / 255)
    path = Path("x.png")
    Image.fromarray(np.array(rows, dtype=np.uint8)).save(path)
    with pytest.raises(UsageTypeError) as info:
        ToTensor()(str(path))
    assert str(info.value) == (
        "pic must be a PIL image, a NumPy array or a tensor, got str 'x.png'; open the "
        "image file first: ToTensor()(PIL.Image.open(pic))"
    )
    assert torch.equal(ToTensor()(Image.open(path)), torch.tensor([rows]) / 255)
    with pytest.raises(UsageTypeError) as info:
        ToTensor()(path)  # its type was said twice: "got PosixPath PosixPath('x.png')"
    assert str(info.value) == (
        f"pic must be a PIL image, a NumPy array or a tensor, got {path!r}; open the image file "
        "first: ToTensor()(PIL.Image.open(pic))"
    )
    with pytest.raises(
        UsageTypeError,
        match=r"^pic must be a PIL image, a NumPy array or a tensor, got None; pass one image: a "
        r"PIL image \(e\.g\. PIL\.Image\.open\(path\)\), a NumPy array \(H, W\) or \(H, W, C\), or a "
        r"uint8 tensor$",
    ):
        ToTensor()(None)


TENSOR_REFUSALS = [  # (id, tensor, the fix the message gives, that fix applied)
    ("float (C, H, W)", torch.rand(1, 28, 28), "a float tensor (C, H, W) needs no ToTensor: use it as it is", lambda p: p),
    ("float (H, W)", torch.rand(28, 28), "a float tensor (H, W) needs no ToTensor, only its layout: use pic[None]", lambda p: p[None]),
    ("float (H, W, C)", torch.rand(28, 28, 3), "a float tensor (H, W, C) needs no ToTensor, only its layout: use pic.permute(2, 0, 1)", lambda p: p.permute(2, 0, 1)),
    ("float batch", torch.rand(2, 1, 28, 28), "a float batch (B, C, H, W) needs no ToTensor: use it as it is", lambda p: p),
    ("float flat row", torch.rand(784), "give it its channel, rows and columns, e.g. pic.reshape(1, 28, 28) for 784 pixels", lambda p: p.reshape(1, 28, 28)),
    ("int64 (H, W)", torch.full((28, 28), 255), "convert it with pic[None].float() / 255 (pixels 0..255, as ToTensor gives them) or pic[None].float() (other values)", lambda p: p[None].float() / 255),
    ("int32 (C, H, W)", torch.full((1, 28, 28), 255, dtype=torch.int32), "convert it with pic.float() / 255 (pixels 0..255, as ToTensor gives them) or pic.float() (other values)", lambda p: p.float() / 255),
    ("int16 (H, W, C)", torch.full((28, 28, 3), 255, dtype=torch.int16), "convert it with pic.permute(2, 0, 1).float() / 255 (pixels 0..255, as ToTensor gives them) or pic.permute(2, 0, 1).float() (other values)", lambda p: p.permute(2, 0, 1).float() / 255),
    ("bool (H, W)", torch.ones(28, 28, dtype=torch.bool), "convert it with pic[None].float(), which makes it 0 and 1", lambda p: p[None].float()),
    ("complex (C, H, W)", torch.ones(1, 28, 28, dtype=torch.complex64), "make it real with pic.abs() (the magnitudes) or pic.real (the real parts)", lambda p: p.abs()),
    ("complex (H, W, C)", torch.full((28, 28, 3), 1j), "make it real with pic.permute(2, 0, 1).abs() (the magnitudes) or pic.permute(2, 0, 1).real (the real parts)", lambda p: p.permute(2, 0, 1).abs()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pic", "fix", "apply"), [r[1:] for r in TENSOR_REFUSALS], ids=[r[0] for r in TENSOR_REFUSALS]
)
def test_to_tensor_refuses_a_tensor_not_uint8_with_the_fix_for_its_shape(
    pic: torch.Tensor, fix: str, apply: Any
) -> None:
    """The fix makes the tensor (C, H, W) (or a batch) that Normalize takes: no circle between
    ToTensor and Normalize, each saying to use the other."""
    with pytest.raises(
        UsageTypeError,
        match=rf"^pic must hold uint8 pixels, got a tensor of shape {re.escape(str(tuple(pic.shape)))} "
        rf"and dtype {re.escape(str(pic.dtype))}; {re.escape(fix)}$",
    ):
        ToTensor()(pic)
    fixed = apply(pic)
    assert fixed.is_floating_point() and fixed.ndim in (3, 4) and fixed.shape[-3] in (1, 3)
    assert float(fixed.max()) == 1.0 or pic.is_floating_point()
    Normalize((0.5,), (0.5,))(fixed)  # the next step of the book's pipeline takes it


def test_a_0d_or_complex_input_is_told_what_no_reshape_or_float_fixes() -> None:
    """A 0-d tensor was told "pic.reshape(1, 28, 28) for 784 pixels" (pic.reshape(28, 28) if uint8,
    or an array), which fails on its one number; a complex tensor "pic.float() / 255", which drops
    its imaginary part (with a warning), and a complex array pic.astype(np.float32), alike. Each
    is told as Normalize tells it (docs/fashion-mnist.md): one number, or abs() or real."""
    with pytest.raises(RuntimeError, match="invalid for input of size 1"):
        torch.tensor(0.5).reshape(1, 28, 28)  # the advice the message gave before
    pic = torch.tensor([[[3 + 4j, 0.5]]] * 5 * 5, dtype=torch.complex64).reshape(5, 5, 2)
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        pic.float()  # the other: (3+4j) would be 3
    for bad, fixed in ((pic, pic.permute(2, 0, 1)), (pic.numpy(), pic.numpy())):
        with pytest.raises(UsageTypeError) as info:
            ToTensor()(bad)
        assert "; make it real with" in str(info.value)
        assert "float()" not in str(info.value) and "astype" not in str(info.value)
        magnitude = fixed.abs() if isinstance(fixed, torch.Tensor) else np.abs(fixed)
        assert float(magnitude.max()) == 5.0  # |3 + 4j|, the imaginary part kept
    # one message for a complex tensor from both transforms, but the name
    with pytest.raises(UsageTypeError) as told:
        Normalize((0.5,), (0.5,))(pic)
    with pytest.raises(UsageTypeError) as info:
        ToTensor()(pic)
    assert str(info.value).split("; ")[1] == str(told.value).split("; ")[1].replace("tensor", "pic")


def test_a_uint8_tensor_channels_first_gets_the_same_fix_from_to_tensor_and_normalize() -> None:
    pic = torch.full((1, 28, 28), 255, dtype=torch.uint8)  # ds.data[:1]
    with pytest.raises(UsageError, match=r"convert it with pic\.float\(\) / 255, not ToTensor"):
        ToTensor()(pic)
    with pytest.raises(UsageTypeError, match=r"; convert it with tensor\.float\(\) / 255$"):
        Normalize((0.5,), (0.5,))(pic)
    assert torch.equal(Normalize((0.5,), (0.5,))(pic.float() / 255), torch.ones(1, 28, 28))


SIXTEEN_BIT = np.array([[0, 1000], [30000, 65535]], dtype=np.uint16)


def test_to_tensor_refuses_a_16_bit_image_with_a_fix_that_keeps_its_values() -> None:
    """torchvision gives mode I;16 as int16, 65535 wrapped to -1: refused instead."""
    img = Image.fromarray(SIXTEEN_BIT)
    assert img.mode == "I;16"
    with pytest.raises(
        UsageTypeError,
        match=r"^pic must hold 8-bit, 1-bit, 32-bit integer or float pixels \(modes L, RGB, \.\.\., "
        r"1, I, F\), got a PIL image of mode I;16 of shape \(2, 2\) and dtype uint16; convert it "
        r"with img\.convert\('F'\)",
    ) as info:
        ToTensor()(img)
    assert "ToTensor()(img.convert('F')) / 65535" in str(info.value)
    fixed = ToTensor()(img.convert("F")) / 65535  # the fix the message gives
    expected = torch.from_numpy(SIXTEEN_BIT.astype(np.float32) / 65535)[None]  # by hand
    assert torch.equal(fixed, expected) and fixed.unique().numel() == 4  # all four kept apart


def test_to_tensor_gives_a_32_bit_image_as_int32_as_torchvision() -> None:
    """torchvision 0.28 gives mode I unscaled as int32 (observed: [70000, 1])."""
    x = ToTensor()(Image.fromarray(np.array([[70000, 1]], np.int32)))
    assert x.dtype == torch.int32 and x.tolist() == [[[70000, 1]]]


def test_to_tensor_gives_a_one_bit_image_as_zeros_and_ones_as_torchvision() -> None:
    """torchvision 0.28 gives mode "1" as float32 0. and 1. (observed), float64 by default dtype."""
    img = Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).convert("1")
    x = ToTensor()(img)
    assert x.dtype == torch.float32 and x.tolist() == [[[0.0, 1.0], [1.0, 0.0]]]


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "bool"]
)
def test_to_tensor_keeps_integer_and_bool_arrays_as_torchvision(dtype: str) -> None:
    """torchvision 0.28 divides only uint8 by 255: these come back (C, H, W) in their own dtype."""
    big = 40000 if dtype in ("int32", "int64", "uint16", "uint32") else 1
    pic = np.array([[1, 0], [3, big]]).astype(dtype)
    for arg, shape in ((pic, (1, 2, 2)), (np.stack([pic, pic], axis=-1), (2, 2, 2))):
        x = ToTensor()(arg)
        assert x.dtype == torch.from_numpy(pic).dtype and tuple(x.shape) == shape
        assert x[0].tolist() == pic.tolist() and x.is_contiguous()


@pytest.mark.parametrize("dtype", [">f4", ">u2", ">f8"])
def test_to_tensor_converts_a_big_endian_array_keeping_its_values(dtype: str) -> None:
    """torch.from_numpy (and so torchvision) refuses another byte order; the values are kept."""
    pic = np.array([[1.5, 0], [3, 200]]).astype(dtype)
    x = ToTensor()(pic)
    assert x.dtype == torch.from_numpy(pic.astype(pic.dtype.newbyteorder("="))).dtype
    assert x.tolist() == [[[1.5 if dtype != ">u2" else 1, 0], [3, 200]]]


@pytest.mark.parametrize("default", [torch.float32, torch.float64])
def test_to_tensor_gives_uint8_pixels_in_the_default_dtype(default: torch.dtype) -> None:
    """torchvision converts uint8 to torch.get_default_dtype(): float32 unless it was changed."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(default)
    try:
        pixels = np.array([[0, 51], [255, 128]], np.uint8)
        for pic in (pixels, Image.fromarray(pixels), Image.fromarray(pixels).convert("1")):
            assert ToTensor()(pic).dtype == default
        expected = torch.tensor([[[0, 51], [255, 128]]], dtype=default) / 255
        assert torch.equal(ToTensor()(pixels), expected)
    finally:
        torch.set_default_dtype(before)
    assert torch.get_default_dtype() == torch.float32


def torchvision_to_tensor(pic: np.ndarray) -> torch.Tensor:
    """torchvision's to_tensor for an ndarray, written out: HW -> HW1, HWC -> CHW, only uint8 / 255."""
    if pic.ndim == 2:
        pic = pic[:, :, None]
    img = torch.from_numpy(pic.transpose((2, 0, 1))).contiguous()
    return img.float().div(255) if img.dtype == torch.uint8 else img


@pytest.mark.parametrize(
    "pic",
    [
        np.random.default_rng(2).random((28, 28, 1), dtype=np.float32) * 3 - 1,  # beyond [0, 1] too
        np.random.default_rng(3).random((5, 7, 3)),  # float64
        np.random.default_rng(4).random((5, 7), dtype=np.float32),
        np.random.default_rng(5).random((6, 4, 2)).astype(np.float16),
    ],
    ids=["float32 HWC", "float64 HWC", "float32 HW", "float16 HWC"],
)
def test_to_tensor_keeps_a_float_arrays_values_as_torchvision_does(pic: np.ndarray) -> None:
    x = ToTensor()(pic)
    expected = torchvision_to_tensor(pic)
    assert x.dtype == expected.dtype == torch.from_numpy(pic).dtype and x.is_contiguous()
    assert tuple(x.shape) == ((1, *pic.shape) if pic.ndim == 2 else (pic.shape[2], *pic.shape[:2]))
    assert torch.equal(x, expected)


def test_to_tensor_keeps_a_float_pil_images_values(gray: np.ndarray) -> None:
    values = gray.astype(np.float32) * 1.5  # mode "F" holds float32 values, not 0..255 pixels
    x = ToTensor()(Image.fromarray(values, mode="F"))
    assert x.dtype == torch.float32 and torch.equal(x, torch.from_numpy(values)[None])


def test_resize_tensor_is_antialiased_bilinear() -> None:
    x = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0))
    expected = F.interpolate(x[None], size=(64, 64), mode="bilinear", antialias=True)[0]
    assert torch.equal(Resize(64)(x), expected)
    assert torch.equal(Resize((64, 64))(x[None]), expected[None])  # batches too
    down = F.interpolate(x[None], size=(14, 9), mode="bilinear", antialias=True)[0]
    assert torch.equal(Resize((14, 9))(x), down)


@pytest.mark.parametrize("antialias", [True, False, None])
@pytest.mark.parametrize("size", [(14, 9), (64, 64)], ids=["down", "up"])
def test_resize_takes_torchvisions_antialias(antialias: bool | None, size: tuple[int, int]) -> None:
    x = torch.rand(2, 28, 28, generator=torch.Generator().manual_seed(3))
    # torchvision: True antialiases tensors; False does not, and None is False for tensors
    expected = F.interpolate(x[None], size=size, mode="bilinear", antialias=bool(antialias))[0]
    assert torch.equal(Resize(size, antialias=antialias)(x), expected)
    if size == (14, 9):  # downsampling is where the two differ
        plain = F.interpolate(x[None], size=size, mode="bilinear", antialias=False)[0]
        smooth = F.interpolate(x[None], size=size, mode="bilinear", antialias=True)[0]
        assert not torch.allclose(plain, smooth)


@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(14, 9), (64, 64)], ids=["down", "up"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_resize_half_precision_resamples_in_float32_and_casts_back(
    dtype: torch.dtype, size: tuple[int, int], antialias: bool
) -> None:
    """torchvision casts what is not float32/float64 to float32, interpolates, and casts back."""
    x = torch.rand(2, 28, 28, generator=torch.Generator().manual_seed(5)).to(dtype)
    expected = F.interpolate(
        x[None].float(), size=size, mode="bilinear", antialias=antialias, align_corners=False
    )[0].to(dtype)
    out = Resize(size, antialias=antialias)(x)
    assert out.dtype == dtype and torch.equal(out, expected)


def test_resize_takes_a_2d_tensor_as_one_plane() -> None:
    """torchvision's tensors are [..., H, W]: (H, W) is one channel, and comes back (h, w)."""
    x = torch.rand(28, 20, generator=torch.Generator().manual_seed(6))
    # the shorter side (20) becomes 14, the longer int(14 * 28 / 20) = 19
    expected = F.interpolate(x[None, None], size=(19, 14), mode="bilinear", antialias=True)[0, 0]
    assert torch.equal(Resize(14)(x), expected)
    pixels = torch.randint(
        0, 256, (28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(7)
    )
    resized = F.interpolate(
        pixels[None, None].float(), size=(64, 64), mode="bilinear", antialias=True
    )
    out = Resize(64)(pixels)
    assert out.dtype == torch.uint8 and torch.equal(
        out, resized[0, 0].round().clamp(0, 255).to(torch.uint8)
    )
    # the book's Compose([Resize(n), ToTensor()]) on what FashionMNIST hands it without Pillow
    book = Compose([Resize(64), ToTensor()])(pixels)
    assert torch.equal(book, resized[0].round().clamp(0, 255) / 255)


def test_resize_folds_every_leading_dimension() -> None:
    x = torch.rand(2, 3, 1, 10, 12, generator=torch.Generator().manual_seed(8))
    expected = F.interpolate(x.reshape(6, 1, 10, 12), size=(5, 6), mode="bilinear", antialias=True)
    assert torch.equal(Resize(5)(x), expected.reshape(2, 3, 1, 5, 6))


def test_resize_without_antialias_keeps_integer_pixels_rounded() -> None:
    x = torch.randint(
        0, 256, (1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(4)
    )
    ref = F.interpolate(x[None].float(), size=(10, 10), mode="bilinear", antialias=False)[0]
    out = Resize((10, 10), antialias=False)(x)
    assert out.dtype == torch.uint8 and torch.equal(out, ref.round().clamp(0, 255).to(torch.uint8))


def test_resize_pil_is_antialiased_whatever_antialias_says(gray: np.ndarray) -> None:
    img = Image.fromarray(gray, mode="L")
    expected = np.asarray(img.resize((3, 2), Image.Resampling.BILINEAR))  # PIL has no other
    for antialias in (True, None):
        assert np.array_equal(np.asarray(Resize((2, 3), antialias=antialias)(img)), expected)
    with pytest.warns(UserWarning, match="Argument antialias is ignored"):  # as torchvision's
        assert np.array_equal(np.asarray(Resize((2, 3), antialias=False)(img)), expected)


def test_resize_repr_and_size_are_torchvisions() -> None:
    """The strings torchvision 0.28 prints; ``size`` kept as given ([40] stays a list)."""
    assert repr(Resize(64)) == (
        "Resize(size=64, interpolation=bilinear, max_size=None, antialias=True)"
    )
    assert repr(Resize([40])) == (
        "Resize(size=[40], interpolation=bilinear, max_size=None, antialias=True)"
    )
    assert repr(Resize((2, 3), antialias=False)) == (
        "Resize(size=(2, 3), interpolation=bilinear, max_size=None, antialias=False)"
    )
    assert repr(Resize(8, max_size=100, antialias=None)) == (
        "Resize(size=8, interpolation=bilinear, max_size=100, antialias=None)"
    )
    assert Resize([40]).size == [40] and Resize((40,)).size == (40,) and Resize(40).size == 40
    assert Resize([3, 4]).size == [3, 4] and Resize((3, 4)).size == (3, 4)


def test_resize_takes_numpy_integers_as_torchvision_does() -> None:
    x = torch.rand(1, 12, 16, generator=torch.Generator().manual_seed(1))
    for size in (np.int64(6), [np.int64(6)], (np.int32(6), np.int16(8))):
        expected = Resize(6 if not isinstance(size, tuple) else (6, 8))(x)
        assert torch.equal(Resize(size)(x), expected), size
    assert tuple(Resize([np.int64(6)])(x).shape) == (1, 6, 8)  # the shorter side, the ratio kept


def test_resize_takes_bilinear_as_torchvision_spells_it() -> None:
    """``InterpolationMode.BILINEAR`` or Pillow's constant (the int 2), both kept as the enum."""
    assert [(m.name, m.value) for m in InterpolationMode] == [
        ("NEAREST", "nearest"),
        ("NEAREST_EXACT", "nearest-exact"),
        ("BILINEAR", "bilinear"),
        ("BICUBIC", "bicubic"),
        ("BOX", "box"),
        ("HAMMING", "hamming"),
        ("LANCZOS", "lanczos"),
    ]
    x = torch.rand(1, 12, 12, generator=torch.Generator().manual_seed(0))
    expected = F.interpolate(x[None], size=(5, 5), mode="bilinear", antialias=True)[0]
    import enum

    class TorchvisionMode(enum.Enum):  # torchvision's own enum, where both are installed
        BILINEAR = "bilinear"

    for interpolation in (
        InterpolationMode.BILINEAR,
        Image.BILINEAR,
        Image.Resampling.BILINEAR,
        TorchvisionMode.BILINEAR,
    ):
        r = Resize(5, interpolation)
        assert r.interpolation is InterpolationMode.BILINEAR
        assert torch.equal(r(x), expected)


@pytest.mark.parametrize(
    ("interpolation", "shown"),
    [
        (InterpolationMode.NEAREST, "InterpolationMode.NEAREST"),
        (InterpolationMode.BICUBIC, "InterpolationMode.BICUBIC"),
        (Image.Resampling.LANCZOS, "Image.LANCZOS"),
        (Image.NEAREST, "Image.NEAREST"),
    ],
)
def test_resize_refuses_every_other_filter(interpolation: Any, shown: str) -> None:
    with pytest.raises(
        UsageError,
        match=r"^interpolation must be bilinear, the only filter linearnets provides \(the book's "
        rf"and torchvision's default\), got {shown}; pass interpolation=InterpolationMode.BILINEAR",
    ):
        Resize(64, interpolation=interpolation)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((1, 20, 40), (1, 10, 20)),  # 20 <= max_size: as without it
        ((1, 20, 80), (1, 7, 30)),  # 40 > 30: the longer side 30, the shorter int(30 · 10 / 40) = 7
        ((1, 80, 20), (1, 30, 7)),
        ((1, 7, 100), (1, 2, 30)),  # int(10 · 100 / 7) = 142 > 30: int(30 · 10 / 142) = 2
    ],
)
def test_resize_max_size_caps_the_longer_side_as_torchvision(
    shape: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    """torchvision 0.28 gives these sizes (observed): the capped side's ratio is truncated."""
    r = Resize(10, max_size=30)
    assert tuple(r(torch.rand(shape)).shape) == expected
    h, w = expected[1:]
    assert r(Image.new("L", (shape[2], shape[1]))).size == (w, h)  # PIL sizes are (w, h)


def test_resize_int_keeps_the_aspect_ratio() -> None:
    x = torch.rand(3, 20, 40)
    assert tuple(Resize(10)(x).shape) == (3, 10, 20)
    assert tuple(Resize(10)(x.transpose(1, 2)).shape) == (3, 20, 10)
    img = Image.new("L", (40, 20))  # PIL sizes are (width, height)
    assert Resize(10)(img).size == (20, 10)
    # a ratio that is not whole: torchvision truncates the longer side, int(10 · 47 / 30) = 15 (not 16)
    odd = torch.rand(1, 30, 47)
    assert tuple(Resize(10)(odd).shape) == (1, 10, 15)
    assert tuple(Resize(10)(odd.transpose(1, 2)).shape) == (1, 15, 10)
    assert Resize(10)(Image.new("L", (47, 30))).size == (15, 10)
    assert Resize(10)(Image.new("L", (30, 47))).size == (10, 15)


@pytest.mark.parametrize("size", [[10], (10,)])
def test_resize_reads_a_one_item_sequence_as_the_shorter_side(size: Any) -> None:
    """torchvision: "if size is a sequence of length 1, it will be interpreted as (size[0], )",
    the shorter side, as an int is."""
    x = torch.rand(1, 30, 47)
    assert torch.equal(Resize(size)(x), Resize(10)(x))
    assert tuple(Resize(size)(x).shape) == (1, 10, 15)


def test_resize_uint8_tensor_stays_uint8() -> None:
    x = torch.randint(
        0, 256, (1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    y = Resize(56)(x)
    assert y.dtype == torch.uint8 and tuple(y.shape) == (1, 56, 56)
    ref = F.interpolate(x[None].float(), size=(56, 56), mode="bilinear", antialias=True)[0]
    assert torch.equal(y, ref.round().clamp(0, 255).to(torch.uint8))


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        (torch.int32, 2**31 - 1),
        (torch.int32, -(2**31)),
        (torch.int32, 2**24 + 1),  # the first integer float32 cannot hold
        (torch.int64, -(2**63)),
        (torch.int16, 2**15 - 1),
    ],
)
def test_resize_keeps_a_constant_integer_image_exactly(dtype: torch.dtype, value: int) -> None:
    """Resampling a constant image gives the same constant: no overflow at the dtype's ends, no
    float32 rounding of a wide integer."""
    y = Resize(8)(torch.full((1, 4, 4), value, dtype=dtype))
    assert y.dtype == dtype and torch.equal(y, torch.full((1, 8, 8), value, dtype=dtype))


def test_resize_int32_matches_float64_resampling_rounded() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(-(2**31), 2**31 - 1, (1, 6, 6), dtype=torch.int32, generator=gen)
    ref = F.interpolate(x[None].double(), size=(9, 9), mode="bilinear", antialias=True)[0]
    assert torch.equal(Resize(9)(x), ref.round().clamp(-(2**31), 2**31 - 1).to(torch.int32))


def test_resize_pil_uses_pil_bilinear(gray: np.ndarray) -> None:
    img = Image.fromarray(gray, mode="L")
    out = Resize((10, 14))(img)
    assert out.size == (14, 10)
    assert np.array_equal(np.asarray(out), np.asarray(img.resize((14, 10), Image.BILINEAR)))


def test_compose_equals_the_fast_loader() -> None:
    images = torch.randint(
        0, 256, (4, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    loader = ArrayLoader(images, torch.zeros(4, dtype=torch.long), 4, shuffle=False, resize=64)
    X, _ = next(iter(loader))  # (4, 1, 64, 64)
    pipeline = Compose([Resize(64), ToTensor()])  # the book's order, on PIL images
    for i in range(4):
        assert torch.equal(pipeline(Image.fromarray(images[i].numpy(), mode="L")), X[i])
    assert torch.equal(as_float_images(images)[0], ToTensor()(images[0]))


def test_compose_order_and_repr() -> None:
    pipeline = Compose([lambda v: v + 1, lambda v: v * 2])
    assert pipeline(3) == 8
    # torchvision 0.28's strings: one transform a line; a nested repr's later lines not indented
    assert repr(Compose([Resize(64), ToTensor()])) == (
        "Compose(\n"
        "    Resize(size=64, interpolation=bilinear, max_size=None, antialias=True)\n"
        "    ToTensor()\n"
        ")"
    )
    assert repr(Compose([Compose([ToTensor()]), ToTensor()])) == (
        "Compose(\n    Compose(\n    ToTensor()\n)\n    ToTensor()\n)"
    )
    assert repr(Compose([])) == "Compose(\n)"


def test_normalize_per_channel() -> None:
    x = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(0))  # (B, C, H, W)
    mean, std = (0.1, 0.2, 0.3), (0.5, 1.0, 2.0)
    out = Normalize(mean, std)(x)
    for c in range(3):
        assert torch.allclose(out[:, c], (x[:, c] - mean[c]) / std[c])
    single = Normalize(0.5, 0.25)(x[0])  # one value for every channel, (C, H, W)
    assert torch.allclose(single, (x[0] - 0.5) / 0.25)
    assert torch.equal(x, torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(0)))
    assert repr(Normalize(0.5, 0.25)) == "Normalize(mean=0.5, std=0.25)"


def test_normalize_after_to_tensor_matches_the_formula(gray: np.ndarray) -> None:
    out = Compose([ToTensor(), Normalize((0.2860,), (0.3530,))])(gray)
    expected = (torch.from_numpy(gray).float() / 255 - 0.2860) / 0.3530
    assert torch.allclose(out[0], expected)


BAD_ARGS = [
    ("normalize std 0", lambda: Normalize(0.5, 0), UsageError, r"std must hold nonzero values \(it divides\), got 0"),
    ("normalize nan mean", lambda: Normalize(float("nan"), 1), UsageTypeError, r"mean must be a finite number or a non-empty list"),
    ("normalize empty", lambda: Normalize([], 1), UsageTypeError, r"mean must be a finite number or a non-empty list of them, got \[\]"),
    ("normalize string", lambda: Normalize("0.5", 1), UsageTypeError, r"mean must be a finite number"),
    ("normalize uint8", lambda: Normalize(0.5, 1)(torch.zeros(1, 2, 2, dtype=torch.uint8)), UsageTypeError, r"tensor must be a float tensor \(C, H, W\).*; convert it with tensor\.float\(\) / 255$"),
    ("normalize channels", lambda: Normalize((0.1, 0.2), (1, 1))(torch.zeros(3, 2, 2)), UsageError, r"mean and std must have 1 or 3 values \(the channels\), got 2 and 2"),
    ("resize zero", lambda: Resize(0), UsageError, r"^size must be a positive integer \(>= 1\), got 0; pass e\.g\. Resize\(64\) \(the shorter side's length\) or Resize\(\(64, 32\)\) \(h, w\)$"),
    ("resize negative", lambda: Resize(-1), UsageError, r"^size must be a positive integer \(>= 1\), got -1; pass e\.g\. Resize\(64\) \(the shorter side's length\) or Resize\(\(64, 32\)\) \(h, w\)$"),
    ("resize pair with 0", lambda: Resize((64, 0)), UsageError, r"^size must be a positive integer or a pair \(h, w\) of them, got \(64, 0\); pass e\.g\. Resize\(64\) \(the shorter side's length\) or Resize\(\(64, 32\)\) \(h, w\)$"),
    ("resize [0]", lambda: Resize([0]), UsageError, r"^size must be a positive integer or a pair \(h, w\) of them, got \[0\]; pass e\.g\. Resize\(64\)"),
    ("resize pair with a float", lambda: Resize((64, 2.5)), UsageTypeError, r"^size must be a positive integer or a pair \(h, w\) of them, got \(64, 2\.5\); pass e\.g\. Resize\(64\)"),  # type: ignore[arg-type]
    ("resize float", lambda: Resize(2.5), UsageTypeError, r"size must be a positive int or a pair \(h, w\), got 2.5"),  # type: ignore[arg-type]
    ("resize triple", lambda: Resize((1, 2, 3)), UsageTypeError, r"got \(1, 2, 3\)"),
    ("resize bool", lambda: Resize(True), UsageTypeError, r"size must be a positive int or a pair \(h, w\), got True"),
    ("resize antialias string", lambda: Resize(64, antialias="yes"), UsageTypeError, r"^antialias must be True, False or None, got 'yes'; pass e.g. Resize\(64, antialias=True\)"),  # type: ignore[arg-type]
    ("resize antialias int", lambda: Resize(64, antialias=1), UsageTypeError, r"^antialias must be True, False or None, got 1;"),  # type: ignore[arg-type]
    ("resize 1-d tensor", lambda: Resize(4)(torch.zeros(3)), UsageTypeError, r"img must be a PIL image or a tensor \[\.\.\., H, W\] such as \(H, W\), \(C, H, W\) or \(B, C, H, W\), got a tensor of shape \(3,\)"),
    ("resize max_size with a pair", lambda: Resize((3, 4), max_size=10), UsageError, r"^max_size must be None when size is a pair \(h, w\), got max_size=10 with size=\(3, 4\); pass an int size"),
    ("resize max_size not above size", lambda: Resize(10, max_size=10), UsageError, r"^max_size must be greater than size \(the shorter side's length\), got max_size=10 with size=10; pass e.g. max_size=20"),
    ("resize max_size float", lambda: Resize(10, max_size=15.0), UsageTypeError, r"^max_size must be a positive integer, got 15.0"),  # type: ignore[arg-type]
    ("resize max_size leaves no row", lambda: Resize(10, max_size=16)(torch.zeros(1, 3, 100)), UsageError, r"^max_size must leave the shorter side at least 1 pixel, got Resize\(size=10, .*max_size=16.*\) for an image of 3×100"),
    ("resize interpolation string", lambda: Resize(10, interpolation="bilinear"), UsageTypeError, r"^interpolation must be InterpolationMode.BILINEAR or Pillow's Image.BILINEAR, got 'bilinear'"),  # type: ignore[arg-type]
    ("compose not a list", lambda: Compose(ToTensor()), UsageTypeError, r"transforms must be a list"),  # type: ignore[arg-type]
    ("compose not callable", lambda: Compose([ToTensor(), 3]), UsageTypeError, r"transforms\[1\] must be callable, got 3"),  # type: ignore[list-item]
    ("compose a class", lambda: Compose([Resize, ToTensor()]), UsageTypeError, r"^transforms\[0\] must be a transform \(a function, or an object made from a transform class\), got the class Resize itself, which would be called with each image as its constructor's argument; make one with its arguments and pass that: Resize\(\.\.\.\) with the parentheses"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "error", "pattern"), [b[1:] for b in BAD_ARGS], ids=[b[0] for b in BAD_ARGS]
)
def test_bad_arguments(make: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize(
    ("img", "size", "output"),
    [
        (torch.zeros(1, 28, 28), 10**6, r"a float32 tensor of shape \(1, 1000000, 1000000\)"),
        (
            torch.zeros(1, 28, 28, dtype=torch.uint8),
            (10**5, 10**5),
            r"a uint8 tensor of shape \(1, 100000, 100000\)",
        ),
        (torch.zeros(4, 1, 28, 28), 10**5, r"a float32 tensor of shape \(4, 1, 100000, 100000\)"),
        (
            Image.new("RGB", (28, 56)),
            10**6,
            r"a 2000000×1000000 RGB image \(3 channels of 4 bytes as float32",
        ),
    ],
    ids=["float", "uint8", "batch", "pil"],
)
def test_resize_refuses_an_output_over_2_gib(img: Any, size: Any, output: str) -> None:
    with pytest.raises(
        UsageError,
        match=rf"size must keep the resized image within 2 GiB \(2,147,483,648 bytes\), got "
        rf"Resize\(size=.*\) of .*, which would make {output}.*: [\d,]+ bytes .*; pass a "
        r"smaller size",
    ):
        Resize(size)(img)


def test_resize_names_the_output_and_its_bytes() -> None:
    with pytest.raises(UsageError) as info:
        Resize(10**6)(Image.new("RGB", (28, 56)))  # 28 wide, 56 high: the width becomes 10**6
    assert str(info.value) == (
        "size must keep the resized image within 2 GiB (2,147,483,648 bytes), got "
        "Resize(size=1000000) of a 56×28 (H×W) RGB image, which would make a 2000000×1000000 RGB "
        "image (3 channels of 4 bytes as float32, as ToTensor makes it): 24,000,000,000,000 bytes "
        "(22,351.74 GiB); pass a smaller size, e.g. Resize(224)"
    )


def test_resize_allows_an_output_of_exactly_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resize, "MAX_BATCH_BYTES", 10 * 10 * 4)  # one 10x10 float32 image
    assert Resize(10)(torch.zeros(1, 28, 28)).shape == (1, 10, 10)
    with pytest.raises(
        UsageError, match=r"a float32 tensor of shape \(1, 10, 11\) \(4 bytes a value\): 440 bytes"
    ):
        Resize((10, 11))(torch.zeros(1, 28, 28))


def test_resize_counts_every_image_of_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resize, "MAX_BATCH_BYTES", 2 * 10 * 10 * 4)  # two 10x10 images
    assert Resize(10)(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 10, 10)
    with pytest.raises(
        UsageError, match=r"a float32 tensor of shape \(3, 1, 10, 10\) .*: 1,200 bytes"
    ):
        Resize(10)(torch.zeros(3, 1, 28, 28))


def test_to_tensor_of_an_array_with_negative_strides(gray: np.ndarray) -> None:
    """``np.fliplr(img)`` is a view with a negative stride, which torch.from_numpy cannot take."""
    x = ToTensor()(np.fliplr(gray))
    assert torch.equal(x[0], torch.from_numpy(gray[:, ::-1].astype(np.float32) / 255))


def test_resize_keeps_a_float64_tensor_float64() -> None:
    x = torch.rand(1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    out = Resize(14)(x)
    expected = F.interpolate(x[None], size=(14, 14), mode="bilinear", antialias=True)[0]
    assert out.dtype == torch.float64 and torch.equal(out, expected)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16])
def test_normalize_is_exact_in_the_tensors_own_dtype(dtype: torch.dtype) -> None:
    """The mean and std are cast to the tensor's dtype, as torchvision does: (x - m) / s per channel,
    in that dtype, with no float32 rounding of m and s and no promotion of float16."""
    x = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(0)).to(dtype)
    mean, std = (0.1, 0.2, 0.3), (0.3, 0.7, 1.1)
    out = Normalize(mean, std)(x)
    assert out.dtype == dtype
    for c in range(3):
        m = torch.tensor(mean[c], dtype=dtype)
        s = torch.tensor(std[c], dtype=dtype)
        assert torch.equal(out[:, c], (x[:, c] - m) / s)


def test_normalize_applies_values_of_any_real_kind_as_floats() -> None:
    """Ints, NumPy scalars and arrays apply as the floats they hold; kept as given, as torchvision."""
    n = Normalize((0, np.float32(0.5)), np.array([1, 2]))
    assert n.mean == (0, 0.5) and n.std.tolist() == [1, 2]
    x = torch.ones(2, 1, 1, dtype=torch.float64)
    assert n(x).flatten().tolist() == [1.0, 0.25]
    assert repr(n) == "Normalize(mean=(0, np.float32(0.5)), std=[1 2])"


MORE_BAD_ARGS = [
    ("normalize 2-d tensor", lambda: Normalize(0.5, 0.5)(torch.rand(4, 4)), UsageTypeError, r"tensor must be a float tensor \(C, H, W\) or \(B, C, H, W\), got a tensor of shape \(4, 4\)"),
    ("normalize std channels", lambda: Normalize(0.5, (1.0, 2.0))(torch.zeros(3, 2, 2)), UsageError, r"mean and std must have 1 or 3 values \(the channels\), got 1 and 2"),
    ("normalize mean channels", lambda: Normalize((0.1, 0.2), 1.0)(torch.zeros(3, 2, 2)), UsageError, r"mean and std must have 1 or 3 values \(the channels\), got 2 and 1"),
    ("normalize std string", lambda: Normalize(0.5, "a"), UsageTypeError, r"std must be a finite number or a non-empty list of them, got 'a'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "error", "pattern"), [b[1:] for b in MORE_BAD_ARGS], ids=[b[0] for b in MORE_BAD_ARGS]
)
def test_more_bad_arguments(make: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()
