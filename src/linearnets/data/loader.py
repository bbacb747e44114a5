"""The fast iterator: the whole dataset as one tensor in memory, batches sliced from it (D2L §3.5.3).

No per-item Python work: each batch is one index gather (or one slice copy when not shuffling),
resized as a whole batch (to Pillow's own pixels, as the book's Resize-then-ToTensor gives: see
:mod:`linearnets.data.resample`) and converted to float32 (or torch's default dtype); like torch's
``DataLoader``, every batch is new memory, never a view of the dataset. In a data-parallel run every
rank draws the same permutation from its identically seeded generator and takes its share of each
global batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from linearnets._text import counted, gib_past
from linearnets.config_checks import MAX_BATCH_BYTES, share_of
from linearnets.data.loader_checks import (
    check_classes,
    check_image_dtype,
    check_num_workers,
    check_rank,
    check_tensors,
    checked_num_classes,
    resize_size,
)
from linearnets.data.loader_dataset import LoaderDataset
from linearnets.data.resample import resize_uint8
from linearnets.data.to_tensor import unit_pixels
from linearnets.device import antialias_resize_runs_on, resolve_device
from linearnets.errors import UsageError
from linearnets.validation import (
    check_bool,
    check_generator,
    check_positive_int,
)

__all__ = ["ArrayLoader", "largest_share"]

# a DataLoader's attributes that ArrayLoader has no faithful value for
_SAMPLERS = frozenset({"sampler", "batch_sampler"})


def largest_share(batch_size: int, num_examples: int, world_size: int) -> int:
    """Return the most rows one rank holds of a batch: rank 0's ⌈min(batch_size, N) / world_size⌉
    (rank r takes rows r, r + world_size, ... of each batch; the first batch is the largest)."""
    return share_of(min(batch_size, num_examples), world_size)


def _check_batch_bytes(
    images: torch.Tensor,
    batch_size: int,
    resize: Any,
    size: tuple[int, int] | None,
    dtype: torch.dtype = torch.float32,
    world_size: int = 1,
) -> None:
    """Refuse a loader whose largest batch of uint8 ``images`` as ``dtype`` would pass 2 GiB in one
    process: the whole batch, or in a data-parallel run of ``world_size`` ranks its largest share.

    The largest batch holds min(batch_size, N) images, rank 0 ⌈min(batch_size, N) / world_size⌉
    of them, converted to ``dtype`` (float32 unless asked) at their own size and then resized to
    ``size`` (what ``resize`` means): both must fit in
    :data:`~linearnets.config_checks.MAX_BATCH_BYTES`. Every rank checks rank 0's share, so all
    of them accept or refuse alike.
    """
    itemsize, name = dtype.itemsize, str(dtype).removeprefix("torch.")
    n, image = images.shape[0], tuple(images.shape[1:])
    rows = largest_share(batch_size, n, world_size)
    sizes = [(math.prod(image), "×".join(map(str, image)), False)]
    if size is not None:
        sizes.append((size[0] * size[1], f"{size[0]}×{size[1]}", True))
    for pixels, shape, resized in sizes:
        nbytes = rows * pixels * itemsize
        if nbytes <= MAX_BATCH_BYTES:
            continue
        # the largest batch_size whose share fits: W ranks of `most` rows each
        most = MAX_BATCH_BYTES // (pixels * itemsize) * world_size
        names, given = "batch_size", f"batch_size={batch_size}"
        if min(batch_size, n) < batch_size:
            given += f" (capped at the {n:,} images there are)"
        held = "each batch"
        if world_size > 1:
            held = "each process's share of a batch"
            given += f" shared by world_size={world_size} processes (up to {rows:,} images each)"
        if resized:
            names, given = "batch_size and resize", f"{given} and resize={resize!r}"
        # the largest side whose batch of `rows` images fits: every value suggested is accepted
        side = math.isqrt(MAX_BATCH_BYTES // (itemsize * rows))
        fix = _smaller_batch_fix(resize, resized, most, side)
        raise UsageError(
            f"{names} must keep {held} of {name} images within 2 GiB ({MAX_BATCH_BYTES:,} "
            f"bytes), got {given}: {rows:,} images of {shape} pixels take {nbytes:,} bytes "
            f"({gib_past(nbytes, MAX_BATCH_BYTES, decimals=2)}); {fix}"
        )


def _smaller_batch_fix(resize: Any, resized: bool, most: int, side: int) -> str:
    """Return the fix for a batch past 2 GiB: a batch_size of ``most`` images or fewer (0: none
    fits), or a resize to ``side`` or less (0: none fits), where ``resized`` says the batch is the
    one resized to what ``resize`` means."""
    if resized and most:
        fix = f"lower batch_size to {most} or less at resize={resize!r}, or lower resize"
        return fix + (f" to {side} or less" if side else "")
    if resized:
        return f"lower resize to {side} or less" if side else "lower batch_size and resize"
    if most:
        return f"lower batch_size to {most} or less"
    # converted to the float dtype before any resize: no batch_size fits
    return "shrink the images before building the loader"


class ArrayLoader:
    """Iterate over ``[X, y]`` minibatches of in-memory tensors; reshuffles every epoch when ``shuffle``.

    Each batch is a list ``[X, y]``, as torch's ``DataLoader`` gives one (its ``default_collate``
    turns each example's ``(X, y)`` into a list), so ``batch == [X, y]`` and ``batch.append(...)``
    behave as in the book.

    Args:
        features: uint8 images (N, H, W), yielded as ``image_dtype`` (B, 1, H, W) in [0, 1]; or a
            float tensor (N, ...) yielded as is.
        labels: class indices int64 (N,) (or float targets (N, ...) for regression).
        batch_size: B, the *global* batch size: in a run of ``world_size`` processes each rank gets
            about B / world_size rows of each batch.
        shuffle: draw a new permutation from ``generator`` at the start of each epoch.
        generator: source of the permutations (``None``: torch's global generator), on the CPU
            or a GPU: drawn on its device, so a seed gives the same batches wherever the data is.
        resize: resample uint8 images (N, H, W) to (resize, resize) for an int (or ``[resize]``),
            to (h, w) for a pair, a whole batch at once, to Pillow's bilinear pixels, as the book's
            ``Resize`` gives them (on a GPU within 1/255 of them: :mod:`linearnets.data.resample`).
            Float features are refused with it: resize them first, e.g. with ``transforms.Resize``.
        device: where the data lives; moved there once, so no copy per batch.
        rank, world_size: this process's share: rank r takes rows r, r + world_size, ... of each batch.
        num_classes: the number of classes (default: the largest label + 1); ``None`` for float
            (regression) targets.
        image_dtype: the floating dtype uint8 images are yielded in: float32, or ``None`` for torch's
            default dtype read at each batch, as the book's ``ToTensor`` reads it
            (``torch.set_default_dtype(torch.float64)`` then gives float64 images, as in the book).
        num_workers: kept as ``num_workers``, as a ``DataLoader`` keeps it (code reading
            ``train_iter.num_workers`` works); slicing needs no worker processes.
        classes: the class names, ``loader.dataset.classes`` (``None``: the dataset has none).

    As a ``DataLoader``'s, ``drop_last`` is False (the last, shorter batch is yielded); there is no
    ``sampler`` or ``batch_sampler``: the order is ``shuffle`` and ``generator``'s (an
    AttributeError says so). Setting any of the three is refused, as a made ``DataLoader`` refuses
    it (a UsageError with the fix: a ``DataLoader`` over ``loader.dataset``).

    ``len()`` is the number of (global) batches, the same on every rank, and every rank yields exactly
    that many. A rank whose share of the last batch is empty (fewer rows left than ranks) still yields it,
    as an empty batch (0 rows): skipping it would leave that rank one step short while the others wait
    in the step's gradient all-reduce. The training loop accepts empty batches in data-parallel runs.

    See D2L §3.5.3.
    """

    def __init__(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool,
        generator: torch.Generator | None = None,
        resize: int | Sequence[int] | None = None,
        device: str | torch.device | None = None,
        rank: int = 0,
        world_size: int = 1,
        num_classes: int | None = None,
        image_dtype: torch.dtype | None = torch.float32,
        num_workers: int = 0,
        classes: Sequence[str] | None = None,
    ) -> None:
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.world_size = check_positive_int("world_size", world_size)
        rank = check_rank(rank, world_size)
        size = resize_size(resize)
        check_tensors(features, labels, size)
        self.image_dtype = check_image_dtype(image_dtype)
        if features.dtype == torch.uint8:  # yielded as floats: 4 bytes per pixel in float32
            dtype = image_dtype or torch.get_default_dtype()
            _check_batch_bytes(features, self.batch_size, resize, size, dtype, self.world_size)
        self.num_classes = checked_num_classes(labels, num_classes)
        self.resize = resize  # as given
        self.resize_to = size  # the (h, w) it means, or None
        self.device = resolve_device(device) if device is not None else features.device
        # MPS before torch 2.7 has no antialiased resize: batches are resized on the CPU there
        self._resize_here = antialias_resize_runs_on(self.device)
        check_generator("generator", generator)
        self.features = features.to(self.device).contiguous()
        self.labels = (
            labels.to(self.device) if labels.is_floating_point() else labels.long().to(self.device)
        )
        self.shuffle = check_bool("shuffle", shuffle)
        self.generator = generator
        self.rank = rank
        self.num_examples = int(features.shape[0])
        self.num_workers = check_num_workers(num_workers)
        self.classes = check_classes(classes, self.num_classes, asked=num_classes is not None)
        # a subclass's own drop_last or sampler, set before: gone, as a DataLoader's __init__
        # sets its own (this one yields every batch, in shuffle's order); refused from now on
        for name in ("drop_last", *_SAMPLERS):
            self.__dict__.pop(name, None)
        self._made = True

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """Shape of one yielded example, e.g. (1, 28, 28)."""
        if self.features.dtype == torch.uint8:
            return (1, *(self.resize_to or self.features.shape[1:]))
        return tuple(self.features.shape[1:])

    @property
    def dataset(self) -> LoaderDataset:
        """The examples one by one, as a ``DataLoader``'s ``dataset``: ``len(train_iter.dataset)``
        is the number of examples, ``train_iter.dataset[i]`` one ``(X, y)``."""
        return LoaderDataset(self)

    drop_last = False  # as a DataLoader's default: the last, shorter batch is yielded

    def __len__(self) -> int:
        return -(-self.num_examples // self.batch_size)

    if not TYPE_CHECKING:  # hidden from type checkers: it would make every misspelt name Any

        def __getattr__(self, name: str) -> Any:
            # only for a name the loader lacks: a DataLoader's sampler, read by code written for one
            if name in _SAMPLERS:
                raise AttributeError(
                    f"ArrayLoader has no {name}: it slices batches from tensors in memory, in the "
                    "order shuffle and generator give (a new permutation each pass when "
                    "shuffled); read loader.shuffle and loader.generator, or wrap loader.dataset "
                    f"in torch.utils.data.DataLoader for a {name}"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def __setattr__(self, name: str, value: Any) -> None:
            # a DataLoader refuses these once made; set here, they would be ignored in silence
            # (a subclass's __init__ may set them before ArrayLoader's has run, as a DataLoader's)
            made = self.__dict__.get("_made", False)
            if made and (name == "drop_last" or name in _SAMPLERS):
                # a sampler by its type: its repr is an address
                sampled = name in _SAMPLERS and value is not None
                shown = f"a {type(value).__name__}" if sampled else repr(value)
                order = "shuffle=loader.shuffle, generator=loader.generator"
                wrap = {  # what DataLoader takes beside each: a batch_sampler makes the batches
                    "drop_last": f"loader.batch_size, {order}, drop_last=True",
                    "sampler": "loader.batch_size, sampler=...",
                    "batch_sampler": "batch_sampler=...",
                }[name]
                fix = (
                    f"; wrap loader.dataset in torch.utils.data.DataLoader(loader.dataset, {wrap})"
                )
                if not value:  # drop_last=False, sampler=None: what it does already
                    fix = ": drop the assignment"
                raise UsageError(
                    f"{name} cannot be set on an ArrayLoader, as on a DataLoader once made, got "
                    f"{name}={shown}: it yields every batch, the last, shorter one too, in the "
                    f"order shuffle and generator give{fix}"
                )
            super().__setattr__(name, value)

    def __repr__(self) -> str:
        # what a notebook cell ending in `train_iter` should say: not the address, nor the data
        count = len(self)
        shown = [
            f"{counted(count, 'batch', 'batches')} of {counted(self.num_examples, 'example')}",
            f"batch_size={self.batch_size}",
            f"shuffle={self.shuffle}",
            f"device={self.device}",
        ]
        if self.resize is not None:
            shown.append(f"resize={self.resize!r}")
        if self.world_size > 1:
            shown.append(f"rank={self.rank} of world_size={self.world_size}")
        return f"ArrayLoader({', '.join(shown)})"

    def global_batch_size(self, step: int) -> int:
        """Return the number of examples in batch ``step`` summed over every rank."""
        return min(self.batch_size, self.num_examples - step * self.batch_size)

    def convert(self, X: torch.Tensor) -> torch.Tensor:
        """Turn gathered rows (B, H*W) of uint8 into ``image_dtype`` (B, 1, H, W) in [0, 1]; floats
        pass through."""
        if self.features.dtype != torch.uint8:
            return X.view(X.shape[0], *self.features.shape[1:])
        # torch's default, read now as ToTensor reads it for each image
        dtype = self.image_dtype or torch.get_default_dtype()
        images = X.view(X.shape[0], *self.features.shape[1:])  # (B, H, W)
        if self.resize_to is None:
            return unit_pixels(images, dtype).unsqueeze(1)  # (B, 1, H, W)
        if not X.shape[0]:  # an empty shard: the shape it would have
            return X.new_empty((0, 1, *self.resize_to), dtype=dtype)
        if X.device.type != "cpu" and self._resize_here:
            # a GPU: torch has no uint8 kernel there; in floats the pixels are within 1/255 of PIL's
            X = unit_pixels(images, dtype).unsqueeze(1)
            return F.interpolate(
                X, size=self.resize_to, mode="bilinear", antialias=True, align_corners=False
            )
        # resized before the division, as the book's Resize-then-ToTensor: PIL's own pixels
        images = resize_uint8(images.cpu(), self.resize_to).to(X.device)
        return unit_pixels(images, dtype).unsqueeze(1)  # (B, 1, h, w)

    def _order(self, n: int) -> torch.Tensor | None:
        """Return this pass's permutation of the ``n`` rows (``None`` unshuffled).

        Without a generator, the global generator is drawn from as torch's ``DataLoader`` draws
        from it: one number per pass (its workers' base seed), then, shuffled, the seed of
        ``RandomSampler``'s own generator, whose ``randperm`` is the order. So after
        ``torch.manual_seed(s)`` the book's code gets the batches the book's ``DataLoader`` gives,
        and the user's later random numbers are the book's too.
        """
        generator = self.generator
        if generator is None:
            torch.empty((), dtype=torch.int64).random_()  # DataLoader's base seed, per pass
            if not self.shuffle:
                return None
            generator = torch.Generator()
            generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
        elif not self.shuffle:
            return None
        # drawn on the generator's device (a CUDA generator draws only there, and torch's default
        # device may be another), then taken once to the data's
        return torch.randperm(n, generator=generator, device=generator.device).to(self.device)

    def __iter__(self) -> Iterator[list[torch.Tensor]]:
        n, size = self.num_examples, self.batch_size
        flat = self.features.view(n, -1)  # (N, H*W): one contiguous row per example
        order = self._order(n)
        labels, convert, rank, step = self.labels, self.convert, self.rank, self.world_size
        convert_copies = self.features.dtype == torch.uint8
        for start in range(0, n, size):
            if order is None:
                rows = slice(start + rank, min(start + size, n), step)
                # copies, as torch's DataLoader yields: a batch changed in place (y.zero_()) must
                # not change the dataset; uint8 rows are copied by their conversion to floats
                X = flat[rows] if convert_copies else flat[rows].clone()
                y = labels[rows].clone()
            else:
                # index_select on 2-d rows is ~3x faster than advanced indexing of (B, H, W)
                idx = order[start + rank : start + size : step]
                X, y = flat.index_select(0, idx), labels.index_select(0, idx)
            batch = [convert(X), y]  # a list, as DataLoader's default_collate gives
            del X, y  # the gathered rows are spent: their block is free for the next gather
            yield batch
            del batch  # hold nothing the consumer was given (it may then free the batch)
