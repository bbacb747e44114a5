"""The transforms where torchvision's rules meet linearnets': layouts ToTensor can tell, the values
Normalize takes, the dtypes Resize refuses (D2L §3.5.1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from linearnets.errors import UsageError, UsageTypeError
from linearnets.torchvision.transforms import Normalize, Resize, ToTensor


def _pixels(*shape: int) -> torch.Tensor:
    return torch.randint(
        0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )


def test_to_tensor_keeps_reading_hw_and_hwc_tensors() -> None:
    """FashionMNIST hands a transform the uint8 tensor (28, 28) when Pillow is missing."""
    gray = _pixels(28, 28)
    assert torch.equal(ToTensor()(gray), gray.float().div(255).unsqueeze(0))
    rgb = _pixels(28, 20, 3)
    assert torch.equal(ToTensor()(rgb), rgb.permute(2, 0, 1).float().div(255))


@pytest.mark.parametrize(
    ("pic", "convert"),
    [
        (_pixels(1, 28, 28), r"pic\.float\(\) / 255"),
        (_pixels(3, 28, 28), r"pic\.float\(\) / 255"),
        (_pixels(1, 28, 28).numpy(), r"torch\.from_numpy\(pic\)\.float\(\) / 255"),
    ],
    ids=["tensor (1,28,28)", "tensor (3,28,28)", "array (1,28,28)"],
)
def test_to_tensor_refuses_channels_first_input_instead_of_transposing_it(
    pic: Any, convert: str
) -> None:
    with pytest.raises(
        UsageError,
        match=r"pic must be an image \(H, W\) or \(H, W, C\), channels last with C in "
        rf"\(1, 2, 3, 4\).*, got a uint8 \w+ of shape \({pic.shape[0]}, 28, 28\); it already is "
        rf"channels-first \(C, H, W\): convert it with {convert}",
    ):
        ToTensor()(pic)


@pytest.mark.parametrize("shape", [(4, 4, 3), (3, 4, 4), (3, 28, 3)])
def test_to_tensor_refuses_a_tensor_too_small_to_tell_its_layout(shape: tuple[int, ...]) -> None:
    with pytest.raises(
        UsageError, match=r"and H, W > 4, got .*could be \(C, H, W\) or \(H, W, C\)"
    ):
        ToTensor()(_pixels(*shape))


def test_to_tensor_still_reads_a_small_channels_last_array() -> None:
    """NumPy's (and PIL's) layout is (H, W, C): a 4×4 RGB array is one."""
    rgb = _pixels(4, 4, 3).numpy()
    assert torch.equal(ToTensor()(rgb), torch.from_numpy(rgb).permute(2, 0, 1).float() / 255)


def test_normalize_names_the_one_channel_rule() -> None:
    with pytest.raises(
        UsageError,
        match=r"mean and std must have 1 value \(the image has 1 channel\), got 3 and 3 for a "
        r"tensor of shape \(1, 4, 4\); .*Normalize\(\(0\.5,\), \(0\.5,\)\)",
    ):
        Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(torch.rand(1, 4, 4))


@pytest.mark.parametrize(
    ("mean", "std"),
    [
        (np.float32(0.25), torch.tensor(0.5)),
        (torch.tensor([0.25, 0.5, 0.75]), np.array([0.5, 1.0, 2.0])),
        ([np.float64(0.25), torch.tensor(0.5).item(), 0.75], (np.int64(1), 2, 4)),
    ],
    ids=["numpy and 0-d tensor", "1-d tensor and array", "sequences of numpy numbers"],
)
def test_normalize_takes_real_numbers_of_any_kind(mean: Any, std: Any) -> None:
    """As torchvision does; the values are exact in float32, so the results are equal."""
    x = torch.rand(3, 4, 5, generator=torch.Generator().manual_seed(1))
    as_floats = [np.asarray(v, dtype=np.float64).reshape(-1).tolist() for v in (mean, std)]
    expected = Normalize(*(tuple(float(v) for v in vs) for vs in as_floats))(x)
    assert torch.equal(Normalize(mean, std)(x), expected)


@pytest.mark.parametrize(
    "mean",
    [torch.tensor([True]), torch.tensor([1j]), torch.ones(2, 2), np.bool_(True), [0.5, "a"]],
    ids=["bool tensor", "complex tensor", "2-d tensor", "numpy bool", "a string inside"],
)
def test_normalize_still_refuses_what_is_no_real_number(mean: Any) -> None:
    with pytest.raises(UsageTypeError, match=r"mean must be a finite number or a non-empty list"):
        Normalize(mean, 1.0)


@pytest.mark.parametrize("dtype", [torch.bool, torch.complex64])
def test_resize_refuses_bool_and_complex_images(dtype: torch.dtype) -> None:
    with pytest.raises(
        UsageTypeError,
        match=rf"img must hold real pixel values \(float or integer\), got a tensor of shape "
        rf"\(1, 4, 4\) and dtype {dtype}",
    ):
        Resize(8)(torch.zeros(1, 4, 4, dtype=dtype))


def test_resize_keeps_integer_pixels_beyond_uint8_range() -> None:
    """An int32 image of 1000s stays 1000s (it was clamped to 255 as if it were uint8)."""
    out = Resize(8)(torch.full((1, 4, 4), 1000, dtype=torch.int32))
    assert out.dtype == torch.int32 and torch.equal(
        out, torch.full((1, 8, 8), 1000, dtype=torch.int32)
    )


def test_the_books_compose_through_linearnets_torchvision() -> None:
    """D2L §3.5's ``transforms.Compose([transforms.Resize(64), transforms.ToTensor()])``, against Pillow."""
    from PIL import Image

    from linearnets.torchvision import transforms

    pixels = _pixels(28, 28).numpy()
    trans = transforms.Compose([transforms.Resize(64), transforms.ToTensor()])
    out = trans(Image.fromarray(pixels, mode="L"))
    resized = Image.fromarray(pixels, mode="L").resize((64, 64), Image.Resampling.BILINEAR)
    assert torch.equal(out, torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255)[None])


def test_the_package_exports_its_two_modules_under_torchvisions_names() -> None:
    """``from linearnets import torchvision`` then ``torchvision.transforms.ToTensor()``, as the book
    reads it: the package itself (re-run here) must bind both names to the right modules."""
    import importlib

    import linearnets.torchvision as tv
    from linearnets.data.fashion_mnist import FashionMNIST

    tv = importlib.reload(tv)
    assert tv.transforms.ToTensor is ToTensor and tv.transforms.Resize is Resize
    assert tv.datasets.FashionMNIST is FashionMNIST


def test_lambda_applies_its_function_and_prints_as_torchvisions() -> None:
    from linearnets.torchvision.transforms import Lambda

    double = Lambda(lambda x: x * 2)
    assert double(21) == 42 and repr(double) == "Lambda()"  # torchvision 0.28's repr
    assert double.lambd(1) == 2
    with pytest.raises(
        UsageTypeError,
        match=r"^lambd must be callable \(a function\), got 3; pass e.g. Lambda\(lambda x: x \* 2\)",
    ):
        Lambda(3)  # type: ignore[arg-type]
    with pytest.raises(
        UsageTypeError, match=r"^lambd must be a transform .* got the class ToTensor"
    ):
        Lambda(ToTensor)  # a class whose objects are transforms: ToTensor(img) would fail
    assert Lambda(str)(3) == "3"  # other classes are functions of the image


def test_pil_to_tensor_keeps_the_pixels_and_the_modes_dtype_as_torchvision() -> None:
    """torchvision 0.28 gives these (observed): (C, H, W), nothing scaled, the mode's dtype."""
    from PIL import Image

    from linearnets.torchvision.transforms import PILToTensor

    to = PILToTensor()
    assert repr(to) == "PILToTensor()"
    gray = to(Image.fromarray(np.array([[0, 255], [7, 0]], np.uint8)))
    assert gray.dtype == torch.uint8 and gray.tolist() == [[[0, 255], [7, 0]]]
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)  # (H, W, C)
    assert torch.equal(to(Image.fromarray(rgb)), torch.from_numpy(rgb).permute(2, 0, 1))
    one = to(Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).convert("1"))
    assert one.dtype == torch.bool and one.tolist() == [[[False, True], [True, False]]]
    sixteen = to(Image.fromarray(np.array([[40000, 1]], np.uint16)))
    assert sixteen.dtype == torch.uint16 and sixteen.tolist() == [[[40000, 1]]]
    wide = to(Image.fromarray(np.array([[70000, 1]], np.int32)))
    assert wide.dtype == torch.int32 and wide.tolist() == [[[70000, 1]]]
    floats = to(Image.fromarray(np.array([[0.5, 1.0]], np.float32)))
    assert floats.dtype == torch.float32 and floats.tolist() == [[[0.5, 1.0]]]
    with pytest.raises(UsageTypeError, match=r"^pic must be a PIL image, got ndarray;"):
        to(np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("name", ["RandomCrop", "functional", "ColorJitter"])
def test_another_torchvision_transform_says_which_are_provided(name: str) -> None:
    """As linearnets.torchvision.datasets does: the message names what is here and the fix, as an
    AttributeError, and as an ImportError (not Python's "cannot import name") from an import."""
    from linearnets.torchvision import transforms

    message = (
        rf"^linearnets\.torchvision\.transforms has no {name}: it provides only Compose, Lambda, "
        r"Normalize, PILToTensor, Resize \(bilinear, with InterpolationMode\) and ToTensor, the "
        r"transforms chapter 3 needs; for other transforms install torchvision itself \(pip "
        rf"install torchvision\) and use torchvision\.transforms\.{name}$"
    )
    with pytest.raises(AttributeError, match=message):
        getattr(transforms, name)
    with pytest.raises(ImportError, match=message) as info:
        exec(f"from linearnets.torchvision.transforms import ToTensor, {name}", {})
    assert info.value.name == "linearnets.torchvision.transforms"
    assert not hasattr(transforms, "__wrapped__")  # dunders stay plain AttributeErrors
    namespace: dict[str, Any] = {}
    exec("from linearnets.torchvision.transforms import *", namespace)
    assert sorted(k for k in namespace if not k.startswith("__")) == [
        "Compose",
        "InterpolationMode",
        "Lambda",
        "Normalize",
        "PILToTensor",
        "Resize",
        "ToTensor",
    ]


@pytest.mark.parametrize(
    ("pic", "expected"),
    [
        (np.zeros((0, 28), np.uint8), (1, 0, 28)),
        (np.zeros((28, 0), np.uint8), (1, 28, 0)),
        (np.zeros((0, 0, 3), np.uint8), (3, 0, 0)),
        (Image.new("L", (0, 28)), (1, 28, 0)),
    ],
    ids=["0x28", "28x0", "0x0x3", "pil"],
)
def test_to_tensor_gives_an_empty_image_as_an_empty_tensor_as_torchvision(
    pic: object, expected: tuple[int, ...]
) -> None:
    out = ToTensor()(pic)
    assert out.shape == expected and out.dtype == torch.float32


@pytest.mark.parametrize("name", ["models", "utils", "io"])
def test_another_torchvision_module_says_which_are_provided(name: str) -> None:
    """``torchvision.models`` or ``torchvision.utils.make_grid`` said only "module
    'linearnets.torchvision' has no attribute 'models'", not that linearnets provides two modules."""
    from linearnets import torchvision

    message = (
        rf"^linearnets\.torchvision has no {name}: it provides only datasets \(FashionMNIST\) and "
        r"transforms \(Compose, Lambda, Normalize, PILToTensor, Resize, ToTensor\), the parts of "
        r"torchvision chapter 3 uses; for other modules install torchvision itself \(pip install "
        rf"torchvision\) and use torchvision\.{name}$"
    )
    with pytest.raises(AttributeError, match=message):
        getattr(torchvision, name)
    with pytest.raises(ImportError, match=message) as info:
        exec(f"from linearnets.torchvision import transforms, {name}", {})
    assert info.value.name == "linearnets.torchvision"
    assert not hasattr(torchvision, "__version__")  # dunders stay plain AttributeErrors
    namespace: dict[str, Any] = {}
    exec("from linearnets.torchvision import *", namespace)
    assert sorted(k for k in namespace if not k.startswith("__")) == ["datasets", "transforms"]


def test_the_torchvision_stand_ins_version_says_whose_version_to_ask() -> None:
    """``print(torchvision.__version__)`` (checking a setup) raised a bare
    ``AttributeError: __version__``; hasattr stays False, as for the other dunders."""
    from linearnets import torchvision

    message = (
        r"^linearnets\.torchvision has no __version__: it is linearnets' stand-in for torchvision, "
        r"not torchvision itself; for linearnets' version use linearnets\.__version__; for "
        r"torchvision's, install it \(pip install torchvision\) and use torchvision\.__version__$"
    )
    with pytest.raises(AttributeError, match=message):
        torchvision.__version__  # noqa: B018
    with pytest.raises(ImportError, match=message):
        exec("from linearnets.torchvision import __version__", {})
    assert not hasattr(torchvision, "__version__")
    with pytest.raises(AttributeError) as info:
        torchvision.__wrapped__  # noqa: B018
    assert str(info.value) == "__wrapped__"  # other dunders: plain, as copy and pickle probe them


def test_resize_and_normalize_are_modules_as_torchvisions() -> None:
    """torchvision's Resize and Normalize are nn.Modules with a documented forward(), which its
    Compose docs use in an nn.Sequential; here they were plain objects: `.forward` was an
    AttributeError and nn.Sequential refused them ("is not a Module subclass")."""
    x = torch.linspace(0, 1, 2 * 8 * 8).reshape(2, 1, 8, 8)
    resize, normalize = Resize(4), Normalize((0.5,), (0.25,))
    assert isinstance(resize, nn.Module) and isinstance(normalize, nn.Module)
    assert torch.equal(normalize.forward(x), (x - 0.5) / 0.25)
    assert torch.equal(resize.forward(x), resize(x))
    net = nn.Sequential(resize, normalize, nn.Flatten(), nn.Linear(16, 10))
    assert net(x).shape == (2, 10)
    assert torch.equal(
        net[1](net[0](x)), (F.interpolate(x, (4, 4), mode="bilinear", antialias=True) - 0.5) / 0.25
    )
    assert repr(net[0]) == "Resize(size=4, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(net[1]) == "Normalize(mean=(0.5,), std=(0.25,))"
    assert list(net[0].parameters()) == [] and net[1].state_dict() == {}
