"""resize_uint8 against Pillow itself, the book's resize (D2L §3.5.1)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.data import resample
from linearnets.data.resample import pillow_weights, resize_uint8


def _pillow(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The oracle: Pillow's bilinear resize of each (H, W) uint8 image to (h, w)."""
    return torch.stack(
        [
            torch.from_numpy(
                np.array(
                    Image.fromarray(image.numpy(), mode="L").resize(size[::-1], Image.BILINEAR)
                )
            )
            for image in images
        ]
    )


def _images(count: int, height: int, width: int, seed: int) -> torch.Tensor:
    """Noise, and black-and-white noise, whose sharp edges land on many rounding boundaries."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randint(0, 256, (count, height, width), dtype=torch.uint8, generator=gen)
    edges = torch.randint(0, 2, (count, height, width), dtype=torch.uint8, generator=gen) * 255
    return torch.cat([noise, edges])


SHAPES = [(28, 28), (40, 28), (28, 40), (20, 50), (7, 3)]
SIZES = [(1, 1), (1, 40), (4, 17), (5, 29), (10, 22), (14, 14), (20, 12), (26, 26), (27, 60),
         (32, 20), (40, 5), (64, 64), (64, 40), (96, 96), (3, 100), (50, 2)]  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_equals_pillow_over_a_grid_of_sizes(shape: tuple[int, int]) -> None:
    """Shrinking and enlarging either side, both orders of Pillow's passes, both fast and slow paths."""
    images = _images(6, *shape, seed=sum(shape))
    for size in SIZES:
        assert torch.equal(resize_uint8(images, size), _pillow(images, size)), size


@pytest.mark.parametrize("count", [1, 3, 4, 5, 9])
@pytest.mark.parametrize("size", [(64, 64), (224, 224), (26, 26)], ids=["64", "224", "26"])
def test_equals_pillow_at_every_batch_size(count: int, size: tuple[int, int]) -> None:
    images = _images(count, 28, 28, seed=count)[:count]
    assert torch.equal(resize_uint8(images, size), _pillow(images, size))


def test_dyadic_sizes_take_torchs_kernel_and_it_agrees_with_the_products(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path is taken exactly where the weights are dyadic, and gives the products' pixels."""
    dyadic = [n for n in range(1, 257) if pillow_weights(28, n)[1]]
    assert dyadic == [28, 32, 56, 64, 112, 128, 224, 256]
    images = _images(5, 28, 28, seed=7)
    for n in dyadic:
        fast = resample._torch_kernel(images, (n, n))
        assert torch.equal(fast, resample._pillow_passes(images, (n, n), columns_first=False)), n
    taken: list[tuple[int, int]] = []
    kernel = resample._torch_kernel
    monkeypatch.setattr(
        resample, "_torch_kernel", lambda x, size: taken.append(size) or kernel(x, size)
    )
    for size in [(64, 64), (26, 26), (56, 112), (14, 56)]:
        resize_uint8(images, size)
    assert taken == [(64, 64), (56, 112)]  # 26 and 14 are not dyadic from 28
    # 2x4 -> 1x8: dyadic both ways, but Pillow 13 runs the column pass first there, and torch's
    # kernel always runs the row pass first: the products are used, and they give Pillow's pixels
    small = _images(3, 2, 4, seed=1)
    assert torch.equal(resize_uint8(small, (1, 8)), _pillow(small, (1, 8)))
    if resample._columns_first_ever():
        assert taken == [(64, 64), (56, 112)]
        assert not torch.equal(resample._torch_kernel(small, (1, 8)), _pillow(small, (1, 8)))
    else:  # Pillow 12 and before: the row pass first, as torch's kernel
        assert taken == [(64, 64), (56, 112), (1, 8)]


def test_the_pass_order_follows_the_pillow_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow 12 runs the row pass first always; 13 the column pass first in some shapes."""
    versions = {"12.3.0": False, "13.0.0": True, "14.1.2": True, "9.5.0": False}
    for version, columns_first in versions.items():
        monkeypatch.setattr(resample.importlib.metadata, "version", lambda name, v=version: v)
        resample._columns_first_ever.cache_clear()
        assert resample._columns_first_ever() is columns_first, version
    monkeypatch.undo()
    resample._columns_first_ever.cache_clear()  # the installed Pillow's again, for the tests after


def test_weights_given_out_are_a_copy_the_cache_keeps_its_own() -> None:
    table, _ = pillow_weights(28, 26)
    images = _images(2, 28, 28, seed=3)
    before = resize_uint8(images, (26, 26))
    table.zero_()  # the caller's copy
    assert torch.equal(resize_uint8(images, (26, 26)), before)
    assert pillow_weights(28, 26)[0].sum().item() > 0


def test_weights_are_pillows_fixed_point_triangle() -> None:
    """Each row sums to 2**22 (within rounding), and enlarging 2x gives the 1/4, 3/4 taps."""
    for n_in, n_out in [(28, 64), (28, 26), (28, 1), (5, 2), (3, 300)]:
        table, _ = pillow_weights(n_in, n_out)
        assert table.shape == (n_out, n_in)
        assert (table.sum(dim=1) - 2**22).abs().max().item() <= n_in  # one rounding per tap
        assert torch.equal(table, table.round()) and table.min().item() >= 0
    table, dyadic = pillow_weights(2, 4)
    assert dyadic and table[1].tolist() == [0.75 * 2**22, 0.25 * 2**22]


@pytest.mark.parametrize(
    ("shape", "size"), [((28, 28), (20, 24)), ((40, 28), (20, 18)), ((30, 28), (10, 18))]
)
def test_equals_pillow_where_the_height_shrinks_by_exactly_twice_what_the_width_loses(
    shape: tuple[int, int], size: tuple[int, int]
) -> None:
    """2 * (W - w) == H - h, the edge of Pillow 13's rule: the row pass still comes first there
    (the column pass first gives other pixels)."""
    images = _images(4, *shape, seed=sum(size))
    assert torch.equal(resize_uint8(images, size), _pillow(images, size))
