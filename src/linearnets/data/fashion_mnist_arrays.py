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
    then raise, naming the fix; read with ``test=False``, the training split alone, and the test
    arrays raise.
    """

    _train_images: torch.Tensor | None  # None: read with train=False
    _train_labels: torch.Tensor | None
    _test_images: torch.Tensor | None  # None: read with test=False
    _test_labels: torch.Tensor | None
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

    @property
    def test_images(self) -> torch.Tensor:
        """The test images, uint8 (10000, 28, 28)."""
        return self._split("test_images", self._test_images, held="training", flag="test")

    @property
    def test_labels(self) -> torch.Tensor:
        """The test labels, int64 (10000,)."""
        return self._split("test_labels", self._test_labels, held="training", flag="test")

    def _train(self, name: str, array: torch.Tensor | None) -> torch.Tensor:
        return self._split(name, array, held="test", flag="train")

    def _split(
        self, name: str, array: torch.Tensor | None, *, held: str, flag: str
    ) -> torch.Tensor:
        """Return ``array``, or refuse the split not read (``flag=False``), the ``held`` one alone."""
        if array is None:
            raise UsageError(
                f"{name} was not read: these arrays hold the {held} split alone, read with "
                f"read_fashion_mnist(..., {flag}=False) from {shown_path(self.found.folder)}; read "
                f"them with {flag}=True (the default) from a folder holding all four files"
            )
        return array

    @property
    def hashed(self) -> bool:
        """Whether some file was hashed now (False: every file came verified from the cache, or
        unverified)."""
        return bool(self.hashed_files)
