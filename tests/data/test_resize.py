"""Resize's guards and warnings: outputs over 2 GiB counted in the bytes really held, images of
no pixels, and torchvision's warning for antialias=False on PIL images (D2L §3.5.1)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from linearnets.data import resize
from linearnets.data.resize import Resize
from linearnets.data.transforms import Compose
from linearnets.errors import UsageError, UsageTypeError

# bytes each output value takes at once: the resampling dtype's, plus the cast back's where it
# differs (measured as peak RSS: 8 for float64, 4 + 1 for uint8 resampled in float32, ...)
TENSOR_BYTES = [
    (torch.float32, 4),
    (torch.float64, 8),
    (torch.float16, 4 + 2),
    (torch.bfloat16, 4 + 2),
    (torch.uint8, 4 + 1),
    (torch.int16, 4 + 2),
    (torch.int32, 8 + 4),
    (torch.int64, 8 + 8),
]


@pytest.mark.parametrize(("dtype", "per_value"), TENSOR_BYTES, ids=lambda v: str(v))
def test_the_2_gib_guard_counts_the_bytes_the_dtype_takes(
    monkeypatch: pytest.MonkeyPatch, dtype: torch.dtype, per_value: int
) -> None:
    monkeypatch.setattr(resize, "MAX_BATCH_BYTES", 10 * 10 * per_value)  # one 10x10 output
    assert Resize(10)(torch.zeros(1, 28, 28, dtype=dtype)).shape == (1, 10, 10)
    name = str(dtype).removeprefix("torch.")
    with pytest.raises(
        UsageError,
        match=rf"a {name} tensor of shape \(1, 10, 11\) \(.*\): {110 * per_value:,} bytes",
    ):
        Resize((10, 11))(torch.zeros(1, 28, 28, dtype=dtype))


def test_a_float64_output_is_refused_at_half_the_float32_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resize, "MAX_BATCH_BYTES", 600)  # a 10x10 float32 output, not a float64
    assert Resize(10)(torch.zeros(1, 28, 28)).shape == (1, 10, 10)
    with pytest.raises(UsageError) as info:
        Resize(10)(torch.zeros(1, 28, 28, dtype=torch.float64))
    assert str(info.value) == (
        "size must keep the resized image within 2 GiB (600 bytes), got Resize(size=10) of a "
        "tensor of shape (1, 28, 28) and dtype torch.float64, which would make a float64 tensor "
        "of shape (1, 10, 10) (8 bytes a value): 800 bytes (600 bytes + 200 bytes); pass a smaller "
        "size, e.g. Resize(224)"
    )


def test_a_uint8_output_counts_its_float32_resampling_and_the_cast_back() -> None:
    """16384 x 16384 values are 2**28: 1 GiB as float32, 1.25 GiB with the uint8 result, and
    2.5 GiB for two channels; refused before any memory is taken."""
    with pytest.raises(
        UsageError,
        match=r"a uint8 tensor of shape \(2, 16384, 16384\) \(resampled in float32, then cast back: "
        r"4 \+ 1 bytes a value\): 2,684,354,560 bytes \(2\.50 GiB\)",
    ):
        Resize((16384, 16384))(torch.zeros(2, 28, 28, dtype=torch.uint8))


# 4 bytes a channel: the float32 tensor ToTensor makes next, which is more than Pillow holds while
# resampling (1 to 4 bytes a pixel, RGB stored as 4; 8 for LA and RGBA, resampled premultiplied
# and converted back: measured as peak RSS)
PIL_BYTES = [("1", 4), ("L", 4), ("P", 4), ("I;16", 4), ("I", 4), ("F", 4), ("RGB", 12)]
PIL_BYTES += [("CMYK", 16), ("LA", 8), ("RGBA", 16)]


@pytest.mark.parametrize(("mode", "per_pixel"), PIL_BYTES)
def test_the_2_gib_guard_counts_a_pil_image_as_its_float32_tensor(
    monkeypatch: pytest.MonkeyPatch, mode: str, per_pixel: int
) -> None:
    monkeypatch.setattr(resize, "MAX_BATCH_BYTES", 10 * 10 * per_pixel)  # one 10x10 output
    assert Resize(10)(Image.new(mode, (28, 28))).size == (10, 10)
    with pytest.raises(
        UsageError, match=rf"a 10×11 {mode} image \(.*\): {110 * per_pixel:,} bytes"
    ):
        Resize((10, 11))(Image.new(mode, (28, 28)))


def test_an_rgba_image_names_its_four_float32_channels() -> None:
    with pytest.raises(UsageError) as info:
        Resize((20000, 20000))(Image.new("RGBA", (28, 28)))
    assert str(info.value) == (
        "size must keep the resized image within 2 GiB (2,147,483,648 bytes), got "
        "Resize(size=(20000, 20000)) of a 28×28 (H×W) RGBA image, which would make a 20000×20000 "
        "RGBA image (4 channels of 4 bytes as float32, as ToTensor makes it): "
        "6,400,000,000 bytes (5.96 GiB); pass a smaller size, e.g. Resize(224)"
    )


# torchvision 0.28's words (torchvision/transforms/functional.py, resize), a UserWarning
PIL_ANTIALIAS = (
    "Anti-alias option is always applied for PIL Image input. Argument antialias is ignored."
)


def _pil_gray() -> Image.Image:
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7), dtype=np.uint8)
    return Image.fromarray(pixels, mode="L")


def test_antialias_false_on_a_pil_image_warns_as_torchvision_and_antialiases() -> None:
    img = _pil_gray()
    with pytest.warns(UserWarning) as record:
        out = Resize((2, 3), antialias=False)(img)
    assert [(w.category, str(w.message)) for w in record] == [(UserWarning, PIL_ANTIALIAS)]
    assert record[0].filename == __file__  # pointed at the user's line
    expected = np.asarray(img.resize((3, 2), Image.Resampling.BILINEAR))  # PIL has no other
    assert np.array_equal(np.asarray(out), expected)


def test_the_warning_points_at_the_users_line_through_compose() -> None:
    with pytest.warns(UserWarning, match="Anti-alias option is always applied") as record:
        Compose([Resize(3, antialias=False)])(_pil_gray())
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    ("antialias", "size", "img"),
    [
        (True, (2, 3), _pil_gray()),
        (None, (2, 3), _pil_gray()),  # torchvision warns for False only
        (False, (5, 7), _pil_gray()),  # the same size: torchvision returns before warning
        (False, (2, 3), torch.zeros(1, 5, 7)),  # tensors honour it
    ],
    ids=["True", "None", "same size", "tensor"],
)
def test_no_warning_where_torchvision_gives_none(
    antialias: bool | None, size: tuple[int, int], img: object
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Resize(size, antialias=antialias)(img)


EMPTY_IMAGES = [
    (torch.zeros(1, 0, 28), r"a tensor of shape \(1, 0, 28\) and dtype torch.float32, of 0×28"),
    (torch.zeros(1, 28, 0), r"a tensor of shape \(1, 28, 0\) .*, of 28×0"),
    (torch.zeros(0, 28, dtype=torch.uint8), r"a tensor of shape \(0, 28\) .*, of 0×28"),
    (torch.zeros(2, 1, 0, 0), r"a tensor of shape \(2, 1, 0, 0\) .*, of 0×0"),
    (Image.new("L", (0, 28)), r"a PIL image of mode L, of 28×0"),  # Pillow makes 0-wide ones
    (Image.new("RGB", (28, 0)), r"a PIL image of mode RGB, of 0×28"),
]
EMPTY_IDS = ["1x0x28", "1x28x0", "0x28", "2x1x0x0", "pil 28x0", "pil 0x28"]


@pytest.mark.parametrize("size", [14, (14, 10)], ids=["int", "pair"])
@pytest.mark.parametrize(("img", "given"), EMPTY_IMAGES, ids=EMPTY_IDS)
def test_an_image_of_no_rows_or_columns_is_refused_by_name(
    size: object, img: object, given: str
) -> None:
    """torchvision divides by zero (int size), fails inside F.interpolate, or makes a black PIL
    image of pixels it never had."""
    with pytest.raises(
        UsageError,
        match=rf"^img must be at least 1×1 pixels \(H×W\) to be resampled, got {given}; pass a "
        r"non-empty image \(check the crop or slice that made it\)$",
    ):
        Resize(size)(img)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((0, 1, 28, 28), (0, 1, 14, 10)),
        ((0, 28, 28), (0, 14, 10)),
        ((2, 0, 28, 28), (2, 0, 14, 10)),
    ],
)
def test_no_images_at_all_give_an_empty_result(
    shape: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    """(0, 1, 28, 28) gives (0, 1, 14, 10) in torchvision too; (0, 28, 28) fails there."""
    out = Resize((14, 10))(torch.zeros(shape, dtype=torch.float64))
    assert out.shape == expected and out.dtype == torch.float64


@pytest.mark.parametrize("size", [28, (28, 20), [28, 20]])
def test_an_image_already_that_size_is_returned_itself_as_torchvision_does(size: object) -> None:
    """torchvision's resize returns ``img`` when the size is already right: no copy, no work."""
    height, width = (28, 28) if size == 28 else (28, 20)
    tensor = torch.arange(3 * height * width, dtype=torch.float32).reshape(3, height, width)
    image = Image.fromarray(np.zeros((height, width), np.uint8), mode="L")
    transform = Resize(size, antialias=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor does it warn of antialias for a PIL image then
        assert transform(tensor) is tensor
        assert transform(image) is image


def test_size_max_size_antialias_and_interpolation_assigned_later_are_used_as_torchvision() -> None:
    """torchvision reads them at each call; ``.size`` assigned after construction was ignored (the
    size given to the constructor was kept), while ``repr`` showed the new one."""
    img = Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (20, 30), dtype=np.uint8), mode="L"
    )
    r = Resize(10)
    r.size = (7, 9)
    out = r(img)
    assert out.size == (9, 7)  # PIL's (W, H)
    assert np.array_equal(np.array(out), np.array(img.resize((9, 7), Image.Resampling.BILINEAR)))
    # shorter side 20 -> 14, longer 30 -> int(14 * 30 / 20) = 21 > 16: capped to 16, and the
    # shorter one to int(16 * 14 / 21) = 10
    r.size, r.max_size = 14, 16
    assert r(img).size == (16, 10) and "size=14" in repr(r)
    x = torch.rand(1, 20, 30, generator=torch.Generator().manual_seed(0))
    r.antialias = False
    expected = torch.nn.functional.interpolate(
        x[None], size=(10, 16), mode="bilinear", antialias=False, align_corners=False
    )[0]
    assert torch.equal(r(x), expected)
    r.size = (7, 9)  # with max_size still 16: refused, as torchvision refuses it when called
    with pytest.raises(UsageError, match=r"^max_size must be None when size is a pair \(h, w\)"):
        r(img)
    r.max_size, r.interpolation = None, resize.InterpolationMode.NEAREST
    with pytest.raises(UsageError, match=r"^interpolation must be bilinear, .* got "):
        r(img)


def test_a_numpy_array_is_refused_by_shape_and_dtype_with_the_conversions() -> None:
    """It said "got array([[0, 0, 0, ..." (its first values) and no fix; torchvision refuses
    arrays too ("img should be PIL Image")."""
    from linearnets.errors import UsageTypeError

    with pytest.raises(
        UsageTypeError,
        match=(
            r"^img must be a PIL image or a tensor \[\.\.\., H, W\], got a NumPy array of shape "
            r"\(28, 28\) and dtype uint8; convert it first: Image\.fromarray\(img\) for a uint8 "
            r"\(H, W\) or \(H, W, C\) image, or ToTensor\(\) before Resize, as in "
            r"Compose\(\[ToTensor\(\), Resize\(64\)\]\)$"
        ),
    ):
        Resize(64)(np.zeros((28, 28), np.uint8))
    image = Image.fromarray(np.zeros((28, 28), np.uint8))  # the first fix named works
    assert Resize(64)(image).size == (64, 64)


def test_an_int_size_truncates_the_longer_side_as_torchvision() -> None:
    """torchvision's rule: the longer side is int(size * long / short), 64 * 30 / 28 = 68.57 -> 68."""
    assert Resize(64)(torch.zeros(1, 28, 30)).shape == (1, 64, 68)
    assert Resize(64)(torch.zeros(1, 30, 28)).shape == (1, 68, 64)


def test_integer_pixels_are_rounded_to_the_nearest_not_truncated() -> None:
    """uint8 pixels are resampled in float32 and rounded back, as torchvision rounds them."""
    gen = torch.Generator().manual_seed(0)
    img = torch.randint(0, 256, (2, 9, 9), dtype=torch.uint8, generator=gen)
    exact = F.interpolate(
        img.float()[:, None], size=(5, 5), mode="bilinear", antialias=True, align_corners=False
    )[:, 0]
    expected = exact.round().clamp(0, 255).to(torch.uint8)
    assert not torch.equal(expected, exact.to(torch.uint8))  # truncating would differ
    assert torch.equal(Resize((5, 5))(img), expected)


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)], ids=["max", "min"])
@pytest.mark.parametrize("size", [(3, 4), (8, 9)], ids=["shrink", "enlarge"])
def test_an_int64_image_at_its_ends_stays_there_without_wrapping_around(
    value: int, size: tuple[int, int]
) -> None:
    """float64 holds int64's ends to 2048 (its spacing at 2**63), and a resampled value may round
    past them (2**63 itself, or -2**63 - 2048 where the weights sum to a hair over 1): clamped, the
    pixels stay within that of the constant; cast back unclamped, they wrapped to the other end."""
    out = Resize(size)(torch.full((1, 5, 6), value, dtype=torch.int64))
    assert out.dtype == torch.int64 and out.shape == (1, *size)
    assert all(abs(v - value) <= 2048 for v in out.flatten().tolist())


def test_an_antialias_assigned_later_is_checked_at_the_call() -> None:
    """As size, max_size and interpolation are: a value no constructor takes is refused, not read
    as its truth value."""
    r = Resize(4)
    r.antialias = "yes"  # type: ignore[assignment]
    with pytest.raises(
        UsageTypeError,
        match=r"^antialias must be True, False or None, got 'yes'; pass e\.g\. "
        r"Resize\(64, antialias=True\)$",
    ):
        r(torch.zeros(1, 8, 8))


def test_an_empty_size_sequence_is_refused_as_no_size() -> None:
    with pytest.raises(
        UsageTypeError,
        match=r"^size must be a positive int or a pair \(h, w\), got \[\]; pass e\.g\. "
        r"Resize\(64\)$",
    ):
        Resize([])


def test_interpolation_true_is_refused_as_no_filter_not_read_as_pillows_1() -> None:
    """True == 1, Pillow's Image.LANCZOS: a bool is no filter constant at all."""
    with pytest.raises(
        UsageTypeError,
        match=r"^interpolation must be InterpolationMode\.BILINEAR or Pillow's Image\.BILINEAR, "
        r"got True; pass interpolation=InterpolationMode\.BILINEAR \(or leave it out\)$",
    ):
        Resize(10, interpolation=True)
