"""Fashion-MNIST's class names against their sources: torchvision's ``FashionMNIST.classes`` and the
book's ``get_fashion_mnist_labels`` (D2L §3.5.1, English and Chinese editions), written out here."""

from __future__ import annotations

import torch

from linearnets.data.labels import CLASSES, TEXT_LABELS, TEXT_LABELS_ZH, get_fashion_mnist_labels

# torchvision/datasets/mnist.py, class FashionMNIST
TORCHVISION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip
# d2l-en §3.5.1 (text_labels) and d2l-zh §3.5.1
BOOK_EN = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]  # fmt: skip
BOOK_ZH = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]


def test_every_class_name_in_order() -> None:
    assert list(CLASSES) == TORCHVISION_CLASSES
    assert list(TEXT_LABELS) == BOOK_EN and list(TEXT_LABELS_ZH) == BOOK_ZH
    everything = torch.arange(10)
    assert get_fashion_mnist_labels(everything) == BOOK_EN
    assert get_fashion_mnist_labels(everything.flip(0), lang="zh") == BOOK_ZH[::-1]
