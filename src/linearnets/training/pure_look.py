"""Where fit's look at an evaluation set's first batch before training is known to leave a seeded
run as it was: a model with modes of linearnets' knowing, and loaders whose iteration draws only
from torch's random state (the global one, forked for the look, or a generator put back after it).

Anything else is not looked at: a sampler drawing from Python's ``random``, numpy or a generator of
its own, a dataset augmenting its examples, loader workers, a plain function calling a
``BatchNorm`` (no eval mode to put it in). Its error is then told when the set is evaluated after
epoch 1, as before the look.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
)
from torch.utils.data._utils.collate import default_collate, default_convert

__all__ = ["pure_model", "pure_source"]

# torch's own samplers: an order drawn from the sampler's generator or torch's global state only
_SAMPLERS = (SequentialSampler, RandomSampler, SubsetRandomSampler)


def pure_model(net: Any) -> bool:
    """Whether a forward of ``net`` in eval mode leaves it as it was: an ``nn.Module`` (its
    ``BatchNorm`` layers stop tracking their statistics) or one of linearnets' scratch models. A
    plain function has no mode to switch: a ``BatchNorm`` it calls would move its statistics."""
    from linearnets.models.scratch.module import ScratchModule  # models import training

    return isinstance(net, nn.Module | ScratchModule)


def pure_source(source: object) -> bool:
    """Whether iterating ``source`` once draws only from torch's random state: a list or tuple of
    batches, linearnets' ``ArrayLoader`` (``load_data_fashion_mnist``'s), or torch's own
    ``DataLoader`` (``load_array``'s) without workers, over a ``TensorDataset`` or linearnets'
    ``FashionMNIST`` with linearnets' own transforms (or a ``Subset`` or ``ConcatDataset`` of
    those), with torch's sampler (in order, shuffled, or a ``SubsetRandomSampler``)
    and collate. ``None`` (no such loader) is pure too."""
    from linearnets.data.loader import ArrayLoader  # data imports training

    if source is None or isinstance(source, list | tuple) or type(source) is ArrayLoader:
        return True
    if type(source) is not DataLoader or source.num_workers != 0:
        return False
    if type(source.sampler) not in _SAMPLERS or not _pure_dataset(source.dataset):
        return False
    batch_sampler = source.batch_sampler
    if batch_sampler is None:  # batch_size=None: one example at a time
        return source.collate_fn is default_convert
    return (
        type(batch_sampler) is BatchSampler
        and batch_sampler.sampler is source.sampler
        and source.collate_fn is default_collate
    )


def _pure_dataset(dataset: object) -> bool:
    """Whether reading ``dataset``'s examples draws nothing: a ``TensorDataset``, linearnets'
    ``LoaderDataset``, a list or tuple of examples, its ``FashionMNIST`` with no transforms but
    linearnets' own, or a ``Subset`` (``random_split``'s) or ``ConcatDataset`` of those."""
    from linearnets.data.dataset import FashionMNIST
    from linearnets.data.loader_dataset import LoaderDataset

    if type(dataset) in (TensorDataset, LoaderDataset):
        return True
    if type(dataset) in (list, tuple):  # its examples are read by indexing: the user's objects
        return all(_plain_example(example) for example in dataset)  # type: ignore[attr-defined]
    if type(dataset) is Subset:  # random_split's: indices into another dataset
        indices = dataset.indices
        return isinstance(indices, list | tuple | range | torch.Tensor) and _pure_dataset(
            dataset.dataset
        )
    if type(dataset) is ConcatDataset:
        return all(_pure_dataset(part) for part in dataset.datasets)
    if type(dataset) is not FashionMNIST:
        return False
    return _pure_transform(dataset.transform) and _pure_transform(dataset.target_transform)


def _plain_example(example: object) -> bool:
    """Whether ``example`` (an element of a list dataset) is read without running user code: a
    tuple or list of tensors, numbers or NumPy arrays (an object of the user's may draw when
    indexed)."""
    if type(example) not in (tuple, list):
        return False
    return all(
        isinstance(part, torch.Tensor | int | float | bool)
        or type(part).__module__ == "numpy"  # an array or a NumPy scalar: data alone
        for part in example  # type: ignore[attr-defined]
    )


def _pure_transform(transform: object) -> bool:
    """Whether ``transform`` is none, or linearnets' ``ToTensor``, ``PILToTensor``, ``Normalize``,
    ``Resize``, or a ``Compose`` of those (a ``Lambda`` runs the user's own code)."""
    from linearnets.data.normalize import Normalize
    from linearnets.data.resize import Resize
    from linearnets.data.to_tensor import PILToTensor, ToTensor
    from linearnets.data.transforms import Compose

    if transform is None or type(transform) in (ToTensor, PILToTensor, Normalize, Resize):
        return True
    if type(transform) is Compose:
        steps = getattr(transform, "transforms", None)
        return isinstance(steps, list | tuple) and all(_pure_transform(step) for step in steps)
    return False
