"""The Fashion-MNIST arrays :func:`~linearnets.data.fashion_mnist.read_fashion_mnist` returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from linearnets._text import shown_path
from linearnets.data.folder_contents import Found
from linearnets.errors import UsageError

__all__ = ["FashionMNISTArrays"]


@dataclass(frozen=True)
class FashionMNISTArrays:
    """The whole dataset in memory: images uint8 (N, 28, 28), labels int64 (N,), and where it came from.

    Read with ``train=False``, it holds the test split alone: ``train_images`` and ``train_labels``
    then raise, naming the fix.
    """

    _train_images: torch.Tensor | None  # None: read with train=False
    _train_labels: torch.Tensor | None
    test_images: torch.Tensor
    test_labels: torch.Tensor
    found: Found
    verified: bool  # size and MD5 checked, now or on an earlier run (False: read with verify=False)
    hashed_files: tuple[str, ...] = ()  # the names of those hashed now (the others: from the cache)

    @property
    def train_images(self) -> torch.Tensor:
        """The training images, uint8 (60000, 28, 28)."""
        return self._train("train_images", self._train_images)

    @property
    def train_labels(self) -> torch.Tensor:
        """The training labels, int64 (60000,)."""
        return self._train("train_labels", self._train_labels)

    def _train(self, name: str, array: torch.Tensor | None) -> torch.Tensor:
        if array is None:
            raise UsageError(
                f"{name} was not read: these arrays hold the test split alone, read with "
                f"read_fashion_mnist(..., train=False) from {shown_path(self.found.folder)}; read "
                "them with train=True (the default) from a folder holding all four files"
            )
        return array

    @property
    def hashed(self) -> bool:
        """Whether some file was hashed now (False: every file came verified from the cache, or
        unverified)."""
        return bool(self.hashed_files)
