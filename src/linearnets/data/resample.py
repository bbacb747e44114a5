"""Resizing a batch of uint8 images to Pillow's own pixels (D2L §3.5.1).

The book resizes each image with ``transforms.Resize`` (Pillow's bilinear filter on the uint8 PIL
image) and only then divides by 255 (``ToTensor``). :func:`resize_uint8` gives those pixels for a
whole batch at once, bit for bit:

- Pillow resamples in two passes, along the rows and then along the columns, each with fixed-point
  weights (the triangle filter's, widened when shrinking, normalised, times 2**22 and rounded) and
  each rounding its result back to uint8. Here each pass is one float64 product with a table of those
  integer weights, which is exact (every sum is an integer below 2**53), then the same rounding.
- Pillow 13 runs the column pass first when the height shrinks by more than twice what the width
  loses (``2 * (W - w) < H - h``), which rounds differently; Pillow 12 and before always run the
  row pass first. This module follows the Pillow installed (matplotlib requires it), and the
  newer rule where none is. The rule was measured against Pillow 13, the order against 12 too
  (``tests/data/test_resample.py`` checks the installed one over a grid of sizes).
- When every weight is a multiple of 2**-14 (28 → 32, 56, 64, 112, 128, 224, 256: the book's 64 and
  224 among them) and the row pass comes first, torch's own antialiased uint8 kernel, which rounds
  its weights to 16 bits, holds them exactly and so gives the same pixels, 5–20× faster than the
  float64 products. It is vectorised over the channels of a channels-last image, so four images are
  packed as the four channels of one (each channel is resized on its own).
- The float64 products multiply by whole (n_out, n_in) tables: cheap when shrinking, slower than
  Pillow's own per-image loop when enlarging to a size without exact weights (96: ~2.5× the float32
  resize's time; 300: ~3× Pillow's), and they hold about twice the float32 batch in memory.

Resizing after the division by 255, in float32, differs from Pillow's pixels by up to 1/255 in most
of them; torch's kernel at other sizes (28 → 26, say) by 1 or 2 grey levels in up to 12% of them.
"""

from __future__ import annotations

import functools
import importlib.metadata

import torch
import torch.nn.functional as F

__all__ = ["pillow_weights", "resize_uint8"]

PRECISION_BITS = 22  # Pillow's fixed point: 32 bits less 8 for the pixel and 2 for overflow
TORCH_WEIGHT_BITS = 14  # the fewest fraction bits torch's uint8 kernel keeps of a weight <= 1


def pillow_weights(n_in: int, n_out: int) -> tuple[torch.Tensor, bool]:
    """Return Pillow's bilinear weights for resampling ``n_in`` pixels to ``n_out``.

    Returns:
        weights: float64 (n_out, n_in), each the integer Pillow multiplies the pixel by
            (weight × 2**22, rounded), 0 outside the filter; a copy the caller may change.
        dyadic: whether every weight is a multiple of 2**-14, which torch's kernel holds exactly.
    """
    table, dyadic = _weights(n_in, n_out)
    return table.clone(), dyadic


@functools.lru_cache(maxsize=64)
def _weights(n_in: int, n_out: int) -> tuple[torch.Tensor, bool]:
    """:func:`pillow_weights`, computed once per size (the table shared: never changed in place)."""
    scale = n_in / n_out
    stretch = max(scale, 1.0)  # shrinking widens the triangle, so every input pixel counts
    inverse = 1.0 / stretch
    table = torch.zeros(n_out, n_in, dtype=torch.float64)
    dyadic = True
    for out in range(n_out):
        centre = (out + 0.5) * scale
        first = max(int(centre - stretch + 0.5), 0)
        stop = min(int(centre + stretch + 0.5), n_in)
        raw = [max(1.0 - abs((i - centre + 0.5) * inverse), 0.0) for i in range(first, stop)]
        total = 0.0
        for w in raw:  # summed left to right, in double, as Pillow does
            total += w
        for i, w in zip(range(first, stop), raw, strict=True):
            weight = w / total if total != 0.0 else w
            dyadic = dyadic and (weight * 2**TORCH_WEIGHT_BITS).is_integer()
            table[out, i] = int(0.5 + weight * 2**PRECISION_BITS)
    return table, dyadic


@functools.cache
def _columns_first_ever() -> bool:
    """Whether the Pillow installed runs the column pass first for some sizes (13 and later)."""
    try:
        major = importlib.metadata.version("pillow").split(".")[0]
    except importlib.metadata.PackageNotFoundError:  # no Pillow: the newer rule
        return True
    return not major.isdigit() or int(major) >= 13


def _rounded(sums: torch.Tensor) -> torch.Tensor:
    """Pillow's rounding of a pass's fixed-point sums back to pixels 0..255 (still float64)."""
    return sums.add_(2 ** (PRECISION_BITS - 1)).mul_(2.0**-PRECISION_BITS).floor_().clamp_(0, 255)


def _pillow_passes(
    images: torch.Tensor, size: tuple[int, int], *, columns_first: bool
) -> torch.Tensor:
    """Pillow's two passes as float64 products: (B, H, W) uint8 -> (B, h, w) uint8."""
    (height, width), (h, w) = images.shape[-2:], size
    x = images.to(torch.float64)

    def along_rows(x: torch.Tensor) -> torch.Tensor:  # (B, R, W) -> (B, R, w)
        return _rounded(x @ _weights(width, w)[0].T) if w != width else x

    def along_columns(x: torch.Tensor) -> torch.Tensor:  # (B, H, C) -> (B, h, C)
        return _rounded(_weights(height, h)[0] @ x) if h != height else x

    x = along_rows(along_columns(x)) if columns_first else along_columns(along_rows(x))
    return x.to(torch.uint8)


def _torch_kernel(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """torch's antialiased uint8 kernel, four images packed as the channels of one."""
    count = images.shape[0]
    spare = -count % 4  # the last group is filled with blank images, dropped afterwards
    if spare:
        images = torch.cat([images, images.new_zeros((spare, *images.shape[1:]))])
    packed = images.view(-1, 4, *images.shape[1:]).contiguous(memory_format=torch.channels_last)
    out = F.interpolate(packed, size=size, mode="bilinear", antialias=True, align_corners=False)
    return out.contiguous().view(-1, *size)[:count]


def resize_uint8(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Return the uint8 ``images`` (B, H, W) resized to ``size`` (h, w): (B, h, w) uint8, each
    image's pixels those of the installed Pillow's ``Image.resize((w, h), Image.BILINEAR)``.

    CPU tensors only (torch's uint8 kernel has no CUDA version). See the module's docstring.
    """
    height, width = images.shape[-2:]
    h, w = size
    columns_first = _columns_first_ever() and h < height and 2 * (width - w) < height - h
    if not columns_first and _weights(height, h)[1] and _weights(width, w)[1]:
        return _torch_kernel(images, size)
    return _pillow_passes(images, size, columns_first=columns_first)
