"""The checks of image-grid arguments: images, titles, grid and figure size, counts (D2L §3.5.1).

:mod:`linearnets.plotting.images` draws; this module turns what it is given into arrays and titles
``imshow`` takes, or refuses it naming the parameter, the rule, the value and a fix.
"""

from __future__ import annotations

import difflib
import itertools
import math
import sys
from collections.abc import Iterable, Mapping, Sequence, Sized
from numbers import Number
from typing import Any

import numpy as np

# images in one figure, the command line's -n bound too: defined where the command line reads it
# without loading this package (torch, NumPy)
from linearnets._figure_limits import MAX_SHOW
from linearnets._text import exact_number
from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting._mpl import as_numpy, matplotlib_module
from linearnets.validation import check_positive_int, describe

__all__ = [
    "MAX_CELLS",
    "MAX_FIGURE_PIXELS",
    "MAX_FIGURE_SIDE",
    "MAX_SHOW",
    "check_batch",
    "check_cmap",
    "check_figure_size",
    "check_finite_images",
    "check_grid",
    "check_show_count",
    "even_grid",
    "flattened_side",
    "grid_images",
    "image_list",
    "scalar",
    "scalars",
    "title_list",
    "title_text",
]

# cells in one grid of show_images: a 20×20 grid at most; more are unreadable and slow (a 28×28 grid,
# the image size passed as the grid's shape, takes ~13 s to draw), and a million crash the process
MAX_CELLS = 4 * MAX_SHOW
# pixels of one figure at its dpi: each side below Agg's 2**16 limit, and 100 megapixels in all
# (400 MB as RGBA) where scale=1000 asked for terabytes and died in the renderer
MAX_FIGURE_SIDE = 2**16 - 1
MAX_FIGURE_PIXELS = 10**8


def image_array(img: Any, index: int, name: str = "imgs", *, batch: bool = False) -> np.ndarray:
    """Return one image as (H, W) or (H, W, C) for ``imshow``; ``batch``: ``img`` is one of a
    tensor or array (N, ...) ``name``, not an item of a list (for the fix a refusal names).

    A 3-d image is (C, H, W) or (H, W, C), C in {1, 3, 4}: whichever end holds such a size (a leading
    1 always); when both do, a tensor is taken as channels-first (torch's layout), NumPy as
    channels-last. A PIL image is read as ``imshow`` reads it (see :func:`_pil_pixels`).
    """
    pil = _pil_pixels(img, index, name)
    if pil is None and _is_example(img):
        raise UsageTypeError(
            f"{name}[{index}] must be an image, got an (image, label) pair (label "
            f"{scalar(img[1], f'{name}[{index}]', 1)!r}), as a dataset's items are; pass the "
            "images alone, e.g. "
            "[img for img, label in examples]"
        )
    try:
        arr = as_numpy(img) if pil is None else pil
        if isinstance(img, np.ma.MaskedArray):  # its mask kept: imshow draws those pixels blank
            # the values under it zeroed: an RGB image's NaN there warned in the cast to bytes
            arr = np.ma.masked_array(img.filled(0), mask=np.ma.getmaskarray(img))
    except (TypeError, ValueError, RuntimeError):  # ragged lists and the like: no array at all
        arr = np.asarray(None)
    if arr.dtype.kind == "O" or arr.dtype.kind in "SUV":  # None, strings, objects: no pixels
        raise UsageTypeError(
            f"{name}[{index}] must be an image (a tensor, an array or a PIL image), got "
            f"{describe(img)}; pass e.g. a tensor (H, W) of pixel values"
        )
    if arr.dtype.kind not in "biuf":  # complex: imshow has no colour for it
        raise UsageTypeError(
            f"{name}[{index}] must hold real pixel values (float, integer or bool), got dtype "
            f"{getattr(img, 'dtype', arr.dtype)}; pass e.g. x.abs() for a complex image"
        )
    channels_first = False  # the rule show_images's docstring states: keep the two alike
    if arr.ndim == 3 and pil is None:  # PIL's pixels are (H, W, C), even one row high
        first, last = arr.shape[0] in (1, 3, 4), arr.shape[-1] in (1, 3, 4)
        # a leading 1 is always one channel: an image one pixel high is no image
        channels_first = arr.shape[0] == 1 or (first and (not last or hasattr(img, "detach")))
    if channels_first:
        arr = np.moveaxis(arr, 0, -1)  # (C, H, W) -> (H, W, C)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    # a side of 0 in any layout: (0, 5) once its one channel dropped was drawn blank, unsaid
    empty = 0 in arr.shape
    if empty or (arr.ndim != 2 and not (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        fix = "pass a batch as (N, H, W) or (N, C, H, W)"
        if empty:  # img[:1] of 0 channels is as empty
            fix = (
                "it holds no pixels (a side of 0): there is nothing to draw; pass images with at "
                "least one channel, row and column"
            )
        elif arr.ndim == 3:  # (C, H, W) or (H, W, C), but C of 2 (grey and alpha), 5, ...
            fix = _channel_fix(arr.shape, name, tensor=hasattr(img, "detach"), batch=batch) or fix
        raise UsageError(
            f"{name}[{index}] must be an image (H, W), (C, H, W) or (H, W, C) with C of 1, 3 or 4 "
            f"(grey, RGB, RGBA), got shape {arr.shape}; {fix}"
        )
    return arr


def _channel_fix(shape: tuple[int, ...], name: str, *, tensor: bool, batch: bool) -> str | None:
    """Return the fix for a 3-d image whose channel count ``imshow`` cannot draw: its first or last
    side, whichever is smaller than the side next to it (the first for a tensor and the last for
    an array when both are, as :func:`image_array` reads them), is named, and one channel of it
    drawn grey; None when neither side can be its channels. One of a batch (N, ...) always has
    channels: a tensor's first side (N, C, H, W), an array's last (N, H, W, C), when neither is
    smaller."""
    first, last = shape[0] < shape[1], shape[-1] < shape[-2]
    if not (first or last or batch):
        return None
    channels_first = first and (tensor or not last)
    if batch and not (first or last):  # (N, 64, 7, 7) feature maps: a tensor's C is shape[1]
        channels_first = tensor  # an array's (N, H, W, C) is shape[-1], its front being no C
    channels = shape[0] if channels_first else shape[-1]
    layout = "(C, H, W)" if channels_first else "(H, W, C)"
    one = ":1" if channels_first else "..., :1"
    example = f"{name}[:, {one}]" if channels_first and batch else f"{name}[{one}]"
    if not batch:
        example = f"[img[{one}] for img in {name}]"
    return f"it has {channels} channels {layout}; draw one of them (grey), e.g. pass {example}"


def _is_example(img: Any) -> bool:
    """Return whether ``img`` is a dataset's (image, label) pair: an image, then one number."""
    if not isinstance(img, tuple | list) or len(img) != 2:
        return False
    image, label = img
    one_number = isinstance(label, Number) or getattr(label, "ndim", None) == 0
    return one_number and (getattr(image, "ndim", 0) >= 2 or hasattr(image, "getbands"))


def _pil_pixels(img: Any, index: int, name: str) -> np.ndarray | None:
    """Return a PIL image's pixels as matplotlib's ``imshow`` reads them, ``None`` for another object.

    The book passes PIL images to ``imshow``, which keeps grey (L, 16-bit), RGB and RGBA pixels and
    converts any other mode to RGBA: a palette image (P, most GIFs and many PNGs) shows its colours,
    not its palette indices through a colormap; CMYK, YCbCr, 1-bit, grey with alpha (LA) and 32-bit
    (I, F) images show as they look.
    """
    pil_image = sys.modules.get("PIL.Image")  # loaded wherever a PIL image exists
    if pil_image is None or not isinstance(img, pil_image.Image):
        return None
    matplotlib_module()  # a bad MPLBACKEND named, as for the images of other types
    from matplotlib.image import pil_to_array

    try:
        return np.asarray(pil_to_array(img))
    except RuntimeError:  # "Unknown image mode": PIL has no RGBA conversion for it ("La")
        raise UsageError(
            f"{name}[{index}] must be a PIL image matplotlib can show, got one of mode "
            f"{img.mode!r}, which PIL cannot convert to RGBA; pass it converted to a mode PIL can "
            "(img.convert('LA') for 'La')"
        ) from None


def check_batch(imgs: Any, name: str = "imgs") -> None:
    """Refuse ``imgs`` (the caller's parameter ``name``) unless it is a batch of images (a tensor
    or an array (N, H, W) or (N, C, H, W)) or an iterable of images, each checked as it is read
    (:func:`image_array`); a batch's ``[X, y]`` pair is told to pass ``X``."""
    if _is_batch_pair(imgs):
        images, labels = imgs
        call = "show_images(X, ...)" if name == "imgs" else f"pass {name}=X"
        y = f"y of shape {tuple(labels.shape)}" if hasattr(labels, "shape") else None
        y = y or f"y a {type(labels).__name__} of {len(labels)} labels"
        raise UsageTypeError(
            f"{name} must be images, got a batch's [X, y] pair (X of shape "
            f"{tuple(images.shape)}, {y}), as next(iter(train_iter)) "
            f"gives; pass X alone (the batch's images), e.g. X, y = next(iter(train_iter)), then "
            f"{call}"
        )
    if hasattr(imgs, "ndim") and hasattr(imgs, "shape"):  # one tensor or array holding a batch
        shape = tuple(imgs.shape)
        # (N, 1, 784) is (N, H, W) too, but of flattened images, drawn as strips one pixel high;
        # (B, N, 1, 784) is (N, C, H, W) of N channels, which no image has
        if imgs.ndim not in (3, 4) or flattened_side(shape) or _flattened_rows_side(shape):
            raise UsageError(
                f"{name} must be a batch of images (N, H, W) or (N, C, H, W), got shape "
                f"{shape}{_batch_fix(name, shape)}"
            )
    elif not isinstance(imgs, Iterable):
        if hasattr(imgs, "__getitem__") and hasattr(imgs, "__len__"):  # a Dataset of examples
            raise UsageTypeError(
                f"{name} must be a tensor, an array or a list of images, got a dataset "
                f"({type(imgs).__name__}), whose items are (image, label) pairs; pass a batch of "
                "its images, e.g. X from X, y = next(iter(data.DataLoader(dataset, "
                "batch_size=18)))"
            )
        raise UsageTypeError(
            f"{name} must be a tensor, an array or a list of images, got {describe(imgs)}; pass "
            "e.g. a batch X of shape (N, 28, 28)"
        )


def _is_batch_pair(imgs: Any) -> bool:
    """Return whether ``imgs`` is a batch as a loader gives it, ``[X, y]``: images (N, ...) of two
    dimensions or more, then their N labels (N,); beside a batch (N, H, W) or (N, C, H, W), also
    labels (N, 1) or a list of N numbers (``y.tolist()``, or ``list(y)``'s 0-d tensors), which
    beside one image (H, W) may be an image, or no image at all, rather than its labels."""
    if not isinstance(imgs, tuple | list) or len(imgs) != 2:
        return False
    images, labels = tuple(getattr(imgs[0], "shape", ())), imgs[1]
    if len(images) < 2:
        return False
    if hasattr(labels, "shape"):
        shape = tuple(labels.shape)
        one_a_row = len(shape) == 1 or (len(images) > 2 and shape[1:] == (1,))
        return one_a_row and shape[0] == images[0]
    numbers = isinstance(labels, list | tuple) and len(images) > 2 and len(labels) == images[0]
    return numbers and all(_one_number(v) for v in labels)


def _one_number(value: Any) -> bool:
    """Return whether ``value`` is one number, not a bool: a 0-d tensor or array too, as
    ``list(y)`` gives them."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    return isinstance(value, Number) and not isinstance(value, bool)


def image_list(imgs: Any, limit: int, name: str = "imgs") -> list[np.ndarray]:
    """Return the first ``limit`` images of ``imgs`` (the caller's parameter ``name``) for ``imshow``."""
    check_batch(imgs, name)
    batch = getattr(imgs, "ndim", None) == 4  # (N, C, H, W) or (N, H, W, C): the fix slices it
    images = enumerate(itertools.islice(imgs, limit))
    arrays = [image_array(img, i, name, batch=batch) for i, img in images]
    if not arrays:
        raise UsageError(f"{name} must hold at least one image, got none")
    return arrays


def flattened_side(shape: tuple[int, ...]) -> int:
    """Return the side s of the square images a batch (N, 1, s*s) holds flattened, as (N, s*s, 1),
    (N, 1, 1, s*s) and (N, 1, s*s, 1) do (s >= 2): its one size other than 1 on an axis of pixels;
    0 for any other shape. A size on a channel axis is no row of pixels: (N, 4, 1, 1) and, read
    channels-last, (N, 1, 1, 4) are RGBA images of one pixel, or strips of 4 (see image_array)."""
    rest = [axis for axis, size in enumerate(shape) if axis and size != 1]
    if len(shape) not in (3, 4) or len(rest) != 1:
        return 0
    axis = rest[0]
    if len(shape) == 4 and (axis == 1 or (axis == 3 and shape[axis] in (3, 4))):
        return 0
    return _square_side(shape[axis])


def _flattened_rows_side(shape: tuple[int, ...]) -> int:
    """Return the side s of the square images a batch or a stack of batches holds as rows
    (..., 1, s*s) no image of it can be drawn from: (B, N, 1, s*s) of N not 1, 3 or 4, or a
    stack of 5 dimensions or more; 0 for any other shape, those of a channel count (..., 1, 4)
    too."""
    if len(shape) < 4 or shape[-2] != 1 or shape[-1] in (3, 4):
        return 0
    if len(shape) == 4 and shape[1] in (1, 3, 4):  # (N, C, 1, W): C drawn as grey or colour
        return 0
    return _square_side(shape[-1])


def _square_side(size: int) -> int:
    """Return s where ``size`` is s*s pixels of a square image (s >= 2), else 0."""
    side = math.isqrt(size) if size > 0 else 0
    return side if side > 1 and side * side == size else 0


def _batch_fix(name: str, shape: tuple[int, ...]) -> str:
    """Return "; pass ..." for a batch of the wrong rank: flattened images (the model's input,
    (N, s*s), or (N, 1, s*s)) are reshaped, one 2-D image gets its batch axis, where both could be,
    both are named; a batch of more dimensions (a stack of batches, a channel axis too many) is
    reshaped to one batch of its trailing images."""
    side = _square_side(shape[-1]) if shape else 0
    if flattened_side(shape):  # or strips one pixel high, drawn as such one at a time
        side = flattened_side(shape)
        return (
            f"; if it holds {shape[0]} flattened images of {side}×{side} pixels (a model's input), "
            f"pass {name}.reshape(-1, {side}, {side}); to draw them as strips of "
            f"{shape[-2]}×{shape[-1]} pixels, pass them as a list: list({name})"
        )
    if _flattened_rows_side(shape) and 0 not in shape:
        side = _flattened_rows_side(shape)
        return (
            f"; if it holds {math.prod(shape) // shape[-1]} flattened images of {side}×{side} "
            f"pixels (a model's input), pass {name}.reshape(-1, {side}, {side})"
        )
    if len(shape) == 2 and side:
        return (
            f"; if it holds {shape[0]} flattened images of {side}×{side} pixels (a model's input), "
            f"pass {name}.reshape(-1, {side}, {side}); if it is one image of {shape[0]}×{shape[1]} "
            f"pixels, pass {name}[None]"
        )
    if len(shape) == 2:
        return f"; for one image of {shape[0]}×{shape[1]} pixels pass {name}[None]"
    if len(shape) == 1 and side:
        return f"; for one flattened image of {side}×{side} pixels pass {name}.reshape(1, {side}, {side})"
    if len(shape) > 4 and 0 not in shape:
        return _stacked_fix(name, shape)
    return ""


def _stacked_fix(name: str, shape: tuple[int, ...]) -> str:
    """Return "; if it holds ..., pass name.reshape(...)" for a batch of 5 dimensions or more: its
    trailing (C, H, W) or (H, W, C) images when C is 3 or 4 (colour, read as :func:`image_array`
    reads them), else its trailing (H, W) ones (grey), the size-1 axes of (N, 1, 1, H, W), the
    one channel of (B, N, H, W, 1) and the batches of a stack (B, N, 1, H, W) dropped alike; ""
    where no image is H and W pixels of 2 or more."""
    colour = shape[-3] in (3, 4) or (shape[-1] in (3, 4) and shape[-3] != 1)
    grey_last = shape[-1] == 1 and min(shape[-3:-1]) > 1  # (..., H, W, 1), channels-last
    if not (colour or grey_last) and min(shape[-2:]) == 1:
        return ""
    image = shape[-3:] if colour else shape[-3:-1] if grey_last else shape[-2:]
    count = math.prod(shape) // math.prod(image)
    kind = f"colour image{'s' * (count != 1)}"
    if not colour:
        kind = f"grey image{'s' * (count != 1)} of {image[0]}×{image[1]} pixels"
    sizes = ", ".join(str(size) for size in image)
    return f"; if it holds {count} {kind}, pass {name}.reshape(-1, {sizes})"


def title_list(titles: Any, limit: int) -> list[Any] | None:
    """Return the first ``limit`` of ``titles`` (any iterable, a generator too; a dict by position)
    as a list; ``None`` and an empty sequence give ``None``."""
    if titles is None:
        return None
    if isinstance(titles, str | bytes):  # each character would become a title
        raise UsageTypeError(
            f"titles must be a sequence of titles, one per image, got the string {titles!r:.40}; "
            "pass e.g. titles=get_fashion_mnist_labels(y)"
        )
    if not isinstance(titles, Iterable):
        raise UsageTypeError(
            f"titles must be an iterable of titles, one per image, got {titles!r:.40}; "
            "pass e.g. titles=get_fashion_mnist_labels(y)"
        )
    if hasattr(titles, "ndim") and titles.ndim == 0:  # a 0-d tensor or array: iter() would fail
        raise UsageTypeError(
            f"titles must be an iterable of titles, one per image, got {titles!r:.40}; "
            "pass e.g. titles=[str(y.item())]"
        )
    if isinstance(titles, Sized) and len(titles) == 0:
        return None  # the book's `if titles:` draws no titles for titles=[]
    if isinstance(titles, Mapping):
        # the book reads titles[i]: a dict keyed by position gives its values, not its keys
        missing = next((i for i in range(limit) if i not in titles), None)
        if missing is not None:
            raise UsageError(
                f"titles must hold a title for each image drawn, read as titles[i], got a "
                f"{type(titles).__name__} without the key {missing}; pass a list of titles, one "
                "per image"
            )
        return [scalar(titles[i], "titles", i) for i in range(limit)]
    # an endless generator is read only this far; a label tensor's items print as "3", not "tensor(3)"
    return scalars("titles", titles, limit, rows="labels", each="one title")


def title_text(title: Any) -> str:
    """Return a title (a label) as drawn: a whole float as the class index it is (9.0 as 9, as
    ``y.float()`` gives it), exact ones only (1e300 stays ``1e+300``, not its 301 digits)."""
    if isinstance(title, float) and title.is_integer() and abs(title) <= 2**53:
        return str(int(title))
    return str(title)


def grid_images(imgs: Any, num_rows: int, num_cols: int, name: str = "imgs") -> list[np.ndarray]:
    """Return the images a ``num_rows`` × ``num_cols`` grid draws, refusing a grid past :data:`MAX_CELLS`.

    At most ``MAX_CELLS + 1`` images are read: enough to tell a grid that fits them from one that
    does not.
    """
    arrays = image_list(imgs, min(num_rows * num_cols, MAX_CELLS + 1), name)
    check_grid(num_rows, num_cols, arrays)
    fix = (
        f"replace them before drawing, e.g. {name}.nan_to_num() (a tensor) or "
        f"np.nan_to_num({name}), mask them to draw them blank (np.ma.masked_invalid), or leave "
        "those images out"
    )
    check_finite_images(arrays[: num_rows * num_cols], name, item=f"{name}[{{}}]", fix=fix)
    return arrays


def check_finite_images(arrays: Sequence[np.ndarray], name: str, *, item: str, fix: str) -> None:
    """Refuse images ``arrays`` (each (H, W), (C, H, W) or (H, W, C)) holding NaN or inf, which
    matplotlib draws as blank cells without a word: naming ``name``, how many such values there
    are, the first one and where (``item`` formatted with the image's index, its pixel after it),
    and ``fix``. A masked array's masked values pass, whatever they hold
    (``np.ma.masked_invalid(img)``): those pixels are drawn blank by design.

    Raises:
        UsageError: a NaN or inf among the images' values, unmasked.
    """
    first: tuple[int, tuple[int, ...], float] | None = None
    count = 0
    for i, arr in enumerate(arrays):
        if arr.dtype.kind not in "fc":  # integers and bools are always finite
            continue
        pixels = np.ma.getdata(arr)
        bad = ~np.isfinite(pixels) & ~np.ma.getmaskarray(arr)
        found = int(bad.sum())
        if found and first is None:
            at = tuple(int(k) for k in np.argwhere(bad)[0])
            first = (i, at, pixels[at])
        count += found
    if first is None:
        return
    i, at, value = first
    values = "value" if count == 1 else "values"
    raise UsageError(
        f"{name} must hold finite pixel values to be drawn (NaN and inf draw blank cells), got "
        f"{count:,} NaN or inf {values}, the first {value} in {item.format(i)} at pixel "
        f"{at}; {fix}"
    )


def even_grid(count: int, most: int = 10) -> tuple[int, int]:
    """Return (rows, columns) of a grid for ``count`` images: rows of at most ``most``, as evenly
    filled as they can be (18: 2 × 9, 20: 2 × 10, 100: 10 × 10, 6: one row of 6)."""
    rows = -(-count // most)
    return rows, -(-count // rows)


def check_grid(num_rows: int, num_cols: int, arrays: list[np.ndarray]) -> None:
    """Refuse a grid of more than :data:`MAX_CELLS` cells, suggesting one that fits the images."""
    cells = num_rows * num_cols
    if cells <= MAX_CELLS:
        return
    count = len(arrays)  # at most MAX_CELLS + 1: how many there are beyond that does not matter
    if count > MAX_CELLS:
        side = math.isqrt(MAX_CELLS)
        have = f"{MAX_CELLS}+ images"
        fix = f"draw at most {MAX_CELLS} per figure, e.g. num_rows={side}, num_cols={side}"
    else:
        rows, cols = even_grid(count)
        have = f"{count} image{'s' * (count > 1)}"
        fix = f"pass a grid that fits them, e.g. num_rows={rows}, num_cols={cols}"
    mixup = ""
    if arrays and (num_rows, num_cols) == arrays[0].shape[:2]:
        mixup = (
            f" (they shape the grid, not each image: the images are {num_rows}×{num_cols} already)"
        )
    raise UsageError(
        f"num_rows and num_cols must make a grid of at most {MAX_CELLS} cells "
        f"(4 × linearnets.plotting.images.MAX_SHOW), got num_rows={num_rows}, num_cols={num_cols}"
        f"{mixup}: {cells:,} cells for {have}; {fix}"
    )


def check_figure_size(num_rows: int, num_cols: int, scale: float) -> None:
    """Refuse a figure of more pixels than :data:`MAX_FIGURE_SIDE` a side or :data:`MAX_FIGURE_PIXELS`
    in all at the dpi it is drawn and saved at; the fix is the largest scale that fits."""
    rc = matplotlib_module().rcParams
    dpis = [rc["figure.dpi"], rc["savefig.dpi"]]  # savefig.dpi may be "figure"
    dpi = max(float(d) for d in dpis if isinstance(d, int | float))
    width, height = num_cols * scale * dpi, num_rows * scale * dpi
    if max(width, height) <= MAX_FIGURE_SIDE and width * height <= MAX_FIGURE_PIXELS:
        return
    largest = min(
        MAX_FIGURE_SIDE / (max(num_rows, num_cols) * dpi),
        math.sqrt(MAX_FIGURE_PIXELS / (num_rows * num_cols)) / dpi,
    )
    most = math.floor(largest * 100) / 100  # rounded down: the value suggested is accepted
    fix = f"lower scale to {most:g} or less (the book's is 1.5)" if most else "lower the dpi"
    raise UsageError(
        f"num_rows, num_cols and scale must keep the figure within {MAX_FIGURE_SIDE:,} pixels a "
        f"side and {MAX_FIGURE_PIXELS:,} in all, got num_rows={num_rows}, num_cols={num_cols}, "
        f"scale={exact_number(scale)}: a {num_cols * scale:.15g}×{num_rows * scale:.15g}-inch "
        f"figure of {_pixels_past(width, height)} pixels at {dpi:g} dpi; {fix}"
    )


def _pixels_past(width: float, height: float) -> str:
    """Return a figure's ``width``×``height`` pixels, past a bound, to the fewest decimals that
    still read as past it: 10,000.001 × 10,000.001 pixels are 10**8 and a bit, not 10,000×10,000
    (a size past 10¹⁵, from a scale of 1e300, in ``:g``'s exponent rather than its 300 digits)."""
    if max(width, height) >= 1e15:
        return f"{width:g}×{height:g}"
    for places in range(16):
        w, h = round(width, places), round(height, places)
        if max(w, h) > MAX_FIGURE_SIDE or w * h > MAX_FIGURE_PIXELS:
            return f"{w:,.{places}f}×{h:,.{places}f}"
    return f"{width!r}×{height!r}"


def check_show_count(name: str, n: Any, *, example: int = 18) -> int:
    """Return ``n`` if it is an integer in [1, :data:`MAX_SHOW`], the images one figure draws;
    the fix of a larger one passes ``example`` (the book's 18 images, its 6 predictions)."""
    n = check_positive_int(name, n)
    if n > MAX_SHOW:
        raise UsageError(
            f"{name} must be an integer in [1, {MAX_SHOW}], got {n}; a figure of more images is "
            f"unreadable and slow to draw: pass at most {MAX_SHOW} (linearnets.plotting.images."
            f"MAX_SHOW), e.g. {name}={example}, and draw the rest in more figures"
        )
    return n


def check_cmap(cmap: Any) -> Any:
    """Return ``cmap`` if ``imshow`` takes it: ``None``, a colormap matplotlib has registered by that
    name (``"gray"``, ``"gray_r"``, ...) or a ``Colormap``; refused before any figure is made."""
    if cmap is None:
        return None
    colors = matplotlib_module().colors
    if isinstance(cmap, colors.Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise UsageTypeError(
            f"cmap must be a colormap's name or a matplotlib Colormap, got {type(cmap).__name__} "
            f"{cmap!r}; pass e.g. cmap='gray', or cmap=None for matplotlib's default"
        )
    names = list(matplotlib_module().colormaps)
    if cmap in names:
        return cmap
    close = difflib.get_close_matches(cmap, names, n=3)
    fix = f"did you mean {' or '.join(repr(n) for n in close)}?" if close else "pass e.g. 'gray'"
    raise UsageError(
        f"cmap must name a colormap matplotlib knows (matplotlib.colormaps), got {cmap!r}; {fix}"
    )


def scalar(label: Any, name: str, index: int, each: str = "one title") -> Any:
    """Return a one-value tensor or NumPy array/scalar as a Python value so it prints as ``3``, not
    ``tensor(3)``; any other value as it is. One of more values (a row of scores, a one-hot row) is
    refused as ``name[index]``, which must be ``each`` (a title, a label)."""
    from linearnets.data.labels import one_value  # torch: loaded where titles are drawn

    return one_value(index, label, name, each)


def scalars(name: str, values: Any, limit: int | None = None, *, rows: str, each: str) -> list[Any]:
    """Return the first ``limit`` (all with ``None``) of ``values``, the caller's parameter
    ``name``, each as :func:`scalar` gives it; a tensor or array whose rows hold several values
    (class scores, one-hot labels (N, C)) is refused first, with their ``argmax`` as the fix, as
    ``get_fashion_mnist_labels`` refuses them. ``rows`` and ``each`` say what ``values`` must hold
    and each of them must be (the refusal's words)."""
    from linearnets.data.labels import check_one_per_row  # torch: loaded where titles are drawn

    if hasattr(values, "shape") and hasattr(values, "ndim"):
        check_one_per_row(values, name, rows)
    return [scalar(v, name, i, each) for i, v in enumerate(itertools.islice(values, limit))]
