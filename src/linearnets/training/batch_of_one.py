"""A training batch of one example that a BatchNorm layer cannot take, named with its fix (D2L §3.7).

In training mode ``nn.BatchNorm1d`` needs more than one value per channel: 33 examples in batches
of 32 leave a last batch of one, on which torch raises "Expected more than 1 value per channel when
training", naming neither the batch nor the fix. :func:`raise_batch_of_one` says which batch it is
and how to avoid it: ``drop_last=True`` or another ``batch_size`` for a ``DataLoader`` (a
``batch_size`` of 2 or more where it is 1), the batch of one left out of a list of batches; data
of one example in all are told that no batching helps (add examples, or remove BatchNorm), and a
sampler that gives one index to give more. It runs
only once the step has raised, on ``fit``'s path and the book's function ``updater(batch_size)``'s.
"""

from __future__ import annotations

from typing import Any, NoReturn

import torch
from torch import nn
from torch.utils.data import DataLoader

from linearnets.errors import UsageError

__all__ = ["raise_batch_of_one"]

# how torch's batch_norm words it (torch.nn.functional._verify_batch_size)
_TORCH_WORDS = "Expected more than 1 value per channel when training"


def raise_batch_of_one(
    net: Any,
    X: torch.Tensor,
    err: ValueError,
    *,
    step: int,
    epoch: int | None,
    batches: Any,
) -> NoReturn:
    """Raise the readable error for ``err``, which the training step on ``X`` raised; else ``err``.

    Args:
        net: the model trained.
        X: the batch, (1, ...) when it is this error.
        err: what the step raised.
        step: the batch's index in the epoch, from 0.
        epoch: the epoch's number, from 1 (``None``: a ``train_epoch`` of its own).
        batches: ``train_iter``, whose ``DataLoader`` gives the dataset's size and batch size.
    """
    if _TORCH_WORDS not in str(err) or X.ndim == 0 or X.shape[0] != 1:
        raise err
    when = f" in epoch {epoch}" if epoch is not None else ""
    raise UsageError(
        f"train_iter's batch {step + 1}{when} holds 1 example, and the model's "
        f"{_batch_norms(net)} needs more than one per channel in training (torch: {err}); "
        f"{_fix(batches)}"
    ) from None


_ONE_EXAMPLE = (
    "it holds one example in all, which BatchNorm cannot train on in training mode (no other "
    "batch size or drop_last helps): add examples, or remove the BatchNorm layers"
)


def _fix(batches: Any) -> str:
    """Return the fix that fits ``train_iter``: its DataLoader's settings, or batches of its own;
    for data of one example in all, none of them works; for a sampler that gives one index of a
    larger dataset, a sampler of more (drop_last=True was advised, which leaves no batch, and its
    refusal advised drop_last=False again)."""
    if _examples(batches) == 1:
        size = _dataset_size(batches) if isinstance(batches, DataLoader) else None
        if size is not None and size > 1:
            sampler = type(batches.sampler).__name__
            return (
                f"train_iter's DataLoader's sampler ({sampler}) gives 1 index of its dataset's "
                f"{size} examples, one example an epoch, which BatchNorm cannot train on in "
                "training mode (no other batch size or drop_last helps): give the DataLoader a "
                "sampler of 2 or more indices, or remove the BatchNorm layers"
            )
        return _ONE_EXAMPLE
    if not isinstance(batches, DataLoader):  # a list or generator of batches cut by the caller
        return (
            "drop that one-example batch from train_iter, or cut its batches so that none holds "
            "one example"
        )
    if batches.batch_size is None:  # a batch_sampler of the caller's
        return "give train_iter's DataLoader a batch_sampler that makes no batch of one example"
    if batches.batch_size == 1:  # every batch is of one: drop_last cannot help
        return (
            "pass a batch_size of 2 or more to train_iter's DataLoader: with batch_size=1 every "
            "batch holds one example"
        )
    return (
        "pass drop_last=True to train_iter's DataLoader, or a batch_size that leaves no batch of "
        f"one{_sizes(batches)}"
    )


def _batch_norms(net: Any) -> str:
    """Return the model's BatchNorm layers, named as ``named_modules`` names them."""
    if not isinstance(net, nn.Module):
        return "batch normalization"
    found = [
        f"{type(module).__name__} ({name!r})" if name else type(module).__name__
        for name, module in net.named_modules()
        if isinstance(module, nn.modules.batchnorm._BatchNorm)
    ]
    if not found:
        return "batch normalization"
    return ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")


def _examples(batches: Any) -> int | None:
    """Return how many examples ``train_iter`` holds in all, where it says: the indices its
    DataLoader's sampler gives (a ``SubsetRandomSampler([5])`` one, of a dataset of 100; its
    dataset's size was counted), its dataset's size where a batch_sampler of the caller's cuts
    the batches, or a list's or tuple's one batch's (this batch of one); else ``None``."""
    if isinstance(batches, DataLoader):
        if batches.batch_size is not None:  # batches cut from the sampler's indices
            try:
                return len(batches.sampler)  # type: ignore[arg-type]
            except (TypeError, NotImplementedError):  # an IterableDataset's: no length
                return None
        return _dataset_size(batches)
    if isinstance(batches, list | tuple) and len(batches) == 1:
        return 1  # its one batch is the one that raised, of one example
    return None


def _dataset_size(loader: DataLoader[Any]) -> int | None:
    """Return the size of ``loader``'s dataset, ``None`` where it has none."""
    try:
        return len(loader.dataset)  # type: ignore[arg-type]
    except (TypeError, NotImplementedError):
        return None


def _sizes(batches: Any) -> str:
    """Return ``" (N examples in batches of B leave 1 over)"`` for a ``DataLoader`` (N its
    sampler's indices), else ``""``."""
    if not isinstance(batches, DataLoader) or batches.batch_size is None:
        return ""
    size = _examples(batches)
    if size is None or size % batches.batch_size != 1:
        return ""
    return f" ({size} examples in batches of {batches.batch_size} leave 1 over)"
