"""The book's Fashion-MNIST dataset (D2L §3.5), as the benchmarks time it against linearnets'.

torchvision's ``FashionMNIST(train=..., transform=ToTensor())`` per item, step for step, on the
tensors linearnets read (torchvision is not a dependency): the uint8 image indexed out of ``data``,
the label made an ``int``, a PIL image built, and ``ToTensor()``'s conversion of that image.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset


def book_to_tensor(pic: Image.Image) -> torch.Tensor:
    """torchvision's ``ToTensor()`` on a PIL image, step for step (HWC bytes -> CHW float / 255).

    Args:
        pic: a grayscale ("L") image of H x W pixels.

    Returns:
        The float tensor of shape (1, H, W), each pixel / 255.
    """
    img = torch.from_numpy(np.array(pic, np.uint8, copy=True))
    img = img.view(pic.size[1], pic.size[0], len(pic.getbands()))
    img = img.permute((2, 0, 1)).contiguous()
    return img.to(dtype=torch.get_default_dtype()).div(255)


class BookFashionMNIST(Dataset[tuple[torch.Tensor, int]]):
    """What torchvision's FashionMNIST does per item: uint8 tensor -> PIL image -> ToTensor().

    Args:
        images: uint8 tensor of shape (N, 28, 28), kept as torchvision keeps ``data``.
        labels: int64 tensor of shape (N,), kept as ``targets``.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.data, self.targets = images, labels

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        img, target = self.data[index], int(self.targets[index])
        pic = Image.fromarray(img.numpy())  # mode L; mode= is deprecated in Pillow 11.3/12.0
        return book_to_tensor(pic), target
