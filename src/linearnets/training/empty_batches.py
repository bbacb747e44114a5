"""Batches that ``len()`` says are none, refused before training (D2L §3.6.6).

``fit`` learns that an iterable yields no example only once it has run through it: a ``test_iter``
at the end of the first epoch, whose metrics were lost to the error. Where ``len()`` tells it
first (a list, a ``DataLoader`` of a map-style dataset), :func:`check_some_batches` refuses it
before any step, naming the cause: most often a ``DataLoader`` with ``drop_last=True`` over a
dataset smaller than its ``batch_size``. An iterable without ``len()`` (a generator) is left to the
epoch's totals, which say so after the pass
(:meth:`~linearnets.training.totals.EpochTotals.result`).
"""

from __future__ import annotations

from typing import Any

from torch.utils.data import DataLoader, IterableDataset

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


def _loader_cause(name: str, loader: DataLoader[Any]) -> str:
    """Return why ``loader``, whose length is 0, has no batch, and the fix."""
    try:
        size: int | None = len(loader.dataset)  # type: ignore[arg-type]
    except (TypeError, NotImplementedError):
        size = None
    if size == 0:
        return (
            f"its DataLoader's dataset ({type(loader.dataset).__name__}) holds no example; check "
            "the data it is built from (an empty file, a filter that kept nothing)"
        )
    batch_size = loader.batch_size
    if loader.drop_last and batch_size is not None and size is not None and size < batch_size:
        every = " (an evaluation should see every example)" if name != "train_iter" else ""
        return (
            f"its DataLoader has drop_last=True, and its dataset holds {size} example(s), fewer "
            f"than batch_size={batch_size}: the one incomplete batch is dropped; pass "
            f"drop_last=False{every}, or a batch_size of at most {size}"
        )
    held = f"{size} example(s)" if size is not None else "examples"
    return (
        f"its DataLoader has no batch, though its dataset holds {held}; check its sampler or "
        "batch_sampler, which gives no index"
    )
