"""Batches that ``len()`` says are none, refused before training (D2L §3.6.6).

``fit`` learns that an iterable yields no example only once it has run through it: a ``test_iter``
at the end of the first epoch, whose metrics were lost to the error. Where ``len()`` tells it
first (a list, a ``DataLoader`` of a map-style dataset), :func:`check_some_batches` refuses it
before any step, naming the cause: most often a ``DataLoader`` with ``drop_last=True`` over a
dataset (or a sampler's indices) fewer than its ``batch_size``. An iterable without ``len()`` (a generator) is left to the
epoch's totals, which say so after the pass
(:meth:`~linearnets.training.totals.EpochTotals.result`).
"""

from __future__ import annotations

from typing import Any

from torch.utils.data import DataLoader, IterableDataset, RandomSampler, SequentialSampler

from linearnets.errors import UsageError

__all__ = ["check_some_batches"]


def check_some_batches(name: str, batches: Any) -> None:
    """Raise if ``len(batches)`` is 0: the iterable ``name`` would yield no example.

    Nothing is iterated: a ``DataLoader``'s length comes from its sampler. A ``DataLoader`` over an
    ``IterableDataset`` is left alone, its length only an estimate.

    Raises:
        UsageError: ``batches`` has no batch, with why (its ``DataLoader``'s ``drop_last`` and
            ``batch_size`` against the dataset's size, or an empty dataset) and the fix.
    """
    if isinstance(batches, DataLoader) and isinstance(batches.dataset, IterableDataset):
        return
    try:
        count = len(batches)
    except (TypeError, NotImplementedError):  # no len(): the pass will tell
        return
    if count != 0:
        return
    head = f"{name} must yield at least one example, got none"
    if isinstance(batches, DataLoader):
        raise UsageError(f"{head}: {_loader_cause(name, batches)}")
    raise UsageError(
        f"{head}: it is an empty {type(batches).__name__}; pass the (X, y) batches, e.g. a "
        "DataLoader of a non-empty dataset or load_array((X, y), batch_size)"
    )


def _length(sized: Any) -> int | None:
    """Return ``len(sized)``, or ``None`` where it has none."""
    try:
        return len(sized)
    except (TypeError, NotImplementedError):
        return None


def _loader_cause(name: str, loader: DataLoader[Any]) -> str:
    """Return why ``loader``, whose length is 0, has no batch, and the fix."""
    size = _length(loader.dataset)
    if size == 0:
        return (
            f"its DataLoader's dataset ({type(loader.dataset).__name__}) holds no example; check "
            "the data it is built from (an empty file, a filter that kept nothing)"
        )
    held = f"{size} example(s)" if size is not None else "examples"
    batch_size = loader.batch_size
    if batch_size is None and loader.batch_sampler is not None:  # a batch_sampler of the caller's
        return (
            f"its DataLoader's batch_sampler ({type(loader.batch_sampler).__name__}) gives no "
            f"batch, though its dataset holds {held}; check the batch_sampler"
        )
    sampler = loader.sampler
    # the indices the batches are cut from: the dataset's own, unless a sampler picks some
    indices = _length(sampler)
    whole = isinstance(sampler, SequentialSampler | RandomSampler) and indices == size
    if indices == 0:
        return (
            f"its DataLoader's sampler ({type(sampler).__name__}) gives no index, though its "
            f"dataset holds {held}; check the sampler"
        )
    if loader.drop_last and batch_size is not None and indices is not None and indices < batch_size:
        every = " (an evaluation should see every example)" if name != "train_iter" else ""
        source = (
            f"its dataset holds {indices} example(s)"
            if whole
            else f"its sampler ({type(sampler).__name__}) gives {indices} index(es)"
        )
        return (
            f"its DataLoader has drop_last=True, and {source}, fewer than batch_size={batch_size}: "
            f"the one incomplete batch is dropped; pass drop_last=False{every}, or a batch_size of "
            f"at most {indices}"
        )
    return (
        f"its DataLoader has no batch, though its dataset holds {held}; check its sampler or "
        "batch_sampler, which gives no index"
    )
