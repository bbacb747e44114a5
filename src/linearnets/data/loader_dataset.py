"""``loader.dataset`` for :class:`~linearnets.data.loader.ArrayLoader`: the examples one by one, as
a ``DataLoader``'s ``dataset`` gives them (D2L §3.5).

Code written for torch's ``DataLoader`` reads ``len(train_iter.dataset)`` (the number of examples)
or ``train_iter.dataset[i]`` (one ``(image, label)``); the loader's batches do not go through it.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import torch
from torch.utils.data import Dataset

from linearnets._text import counted
from linearnets.errors import UsageTypeError
from linearnets.validation import describe

if TYPE_CHECKING:
    from linearnets.data.loader import ArrayLoader

__all__ = ["LoaderDataset"]


class LoaderDataset(Dataset[tuple[torch.Tensor, int | torch.Tensor]]):
    """Every example of ``loader`` (all ranks' in a data-parallel run), converted as its batches are.

    ``dataset[i]`` is ``(X, y)``: ``X`` of the loader's ``feature_shape`` (uint8 images as float32
    (1, H, W) in [0, 1], resized as the loader resizes them); ``y`` a class index as a Python
    int, as torchvision's ``FashionMNIST`` gives it, or a regression target as a tensor, as
    ``TensorDataset`` gives it.
    """

    def __init__(self, loader: ArrayLoader) -> None:
        self.loader = loader

    def __len__(self) -> int:
        return self.loader.num_examples

    @property
    def data(self) -> torch.Tensor:
        """The examples as the loader holds them: uint8 images (N, H, W) unresized, as
        torchvision's ``FashionMNIST.data`` (float features (N, ...) as given)."""
        return self.loader.features

    @property
    def targets(self) -> torch.Tensor:
        """The labels (N,), int64 class indices as torchvision's ``FashionMNIST.targets`` (or the
        float regression targets)."""
        return self.loader.labels

    @property
    def classes(self) -> list[str]:
        """The class names, as torchvision's ``FashionMNIST.classes`` (the loader's ``classes``)."""
        if self.loader.classes is None:
            raise AttributeError(
                "this dataset has no classes: its ArrayLoader was made without class names; "
                "pass ArrayLoader(..., classes=[...]) (load_data_fashion_mnist's loaders have "
                "Fashion-MNIST's ten)"
            )
        return list(self.loader.classes)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int | torch.Tensor]:
        try:
            if isinstance(index, bool):  # True would be example 1 (operator.index takes it)
                raise TypeError
            i = operator.index(index)
        except TypeError:
            raise UsageTypeError(
                f"index must be an integer, got {describe(index)}; take one example, e.g. "
                "dataset[0] (batches come from the loader itself)"
            ) from None
        n = self.loader.num_examples
        if not -n <= i < n:
            raise IndexError(
                f"index must be in [-{n}, {n}), got {i}: the dataset holds {counted(n, 'example')}"
            )
        i %= n
        rows = self.loader.features[i : i + 1].reshape(1, -1)  # (1, H*W): a batch of one
        X = self.loader.convert(rows if rows.dtype == torch.uint8 else rows.clone())[0]
        y = self.loader.labels[i]
        return X, (y.clone() if y.is_floating_point() else int(y))

    def __repr__(self) -> str:
        return (
            f"LoaderDataset({counted(len(self), 'example')} of shape {self.loader.feature_shape})"
        )
