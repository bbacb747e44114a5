"""The test images a classifier gets wrong, in the order the test set holds them (D2L §3.6.7).

The book ends §3.6.7 on the images its model mislabels (a shirt taken for a T-shirt or a coat):
:func:`wrong_indices` says which examples are wrong, from labels alone; :func:`find_mistakes` runs
a model over a whole test set and keeps the first ``n`` of them, with how many there are in all.
:func:`linearnets.predict` (``wrong_only=True``) and ``linearnets predict --wrong`` draw them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from linearnets.errors import UsageError
from linearnets.inference import (
    Net,
    _as_images,
    _batches,
    _cat_images,
    _no_batch,
    _no_example,
    _predict,
)
from linearnets.training.loop_checks import check_net
from linearnets.validation import check_label_tensor, check_positive_int

__all__ = ["Mistakes", "find_mistakes", "wrong_indices"]


def wrong_indices(y: torch.Tensor, y_hat: torch.Tensor) -> torch.Tensor:
    """Return the positions of the examples whose predicted class is not their true one.

    Args:
        y: the true classes (B,).
        y_hat: the predicted classes (B,), e.g. :func:`~linearnets.inference.predict_labels`'s.

    Returns:
        The positions ``i`` where ``y_hat[i] != y[i]``, ascending, int64 (k,), k <= B.

    See D2L §3.6.7.
    """
    if y.ndim != 1 or y_hat.shape != y.shape:
        raise UsageError(
            f"y and y_hat must be class indices of the same shape (B,), one per example, got "
            f"shapes {tuple(y.shape)} and {tuple(y_hat.shape)}; pass y_hat = argmax of the "
            "scores over the classes (predict_labels)"
        )
    return (y_hat != y).nonzero().flatten()  # nonzero lists positions in ascending order


@dataclass(frozen=True)
class Mistakes:
    """The first ``m`` test images a model gets wrong, and how many of the whole set it gets wrong.

    Attributes:
        images: the images as :func:`~linearnets.predict` draws them, (m, H, W) for one channel,
            (m, C, H, W) for colour, on the CPU.
        true_labels: their true label names (m,).
        pred_labels: their predicted label names (m,).
        indices: their positions in the test set, in the order ``test_iter`` yields it (0-based:
            the Fashion-MNIST test split's ``test_images[i]``), int64 (m,), ascending.
        num_wrong: how many examples of the whole test set the model gets wrong (m <= num_wrong).
        num_examples: how many examples the test set holds.
    """

    images: torch.Tensor
    true_labels: list[str]
    pred_labels: list[str]
    indices: torch.Tensor
    num_wrong: int
    num_examples: int


@torch.no_grad()
def find_mistakes(
    net: Net, test_iter: Iterable[Sequence[torch.Tensor]], n: int = 6, *, lang: str = "en"
) -> Mistakes:
    """Return the first ``n`` test images ``net`` predicts wrong, in test-set order, and the count.

    The whole of ``test_iter`` is read (once): ``m = min(n, num_wrong)`` images are kept, fewer
    than ``n`` (none at all) when the model gets fewer wrong.

    Args:
        net: a Fashion-MNIST classifier giving scores (B, 10); evaluated in eval mode.
        test_iter: yields ``(X, y)`` batches in test-set order (not shuffled): images ``X``
            (B, 1, H, W), (B, H, W) or flattened square ones (B, H*W), class indices ``y`` (B,).
        n: how many mistakes to keep.
        lang: "en" for the book's English label names, "zh" for Chinese label names.

    Returns:
        The images, label names and test-set positions of the first ``m`` mistakes, with how
        many the whole set holds.

    See D2L §3.6.7.
    """
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels
    from linearnets.data.labels import TEXT_LABELS

    n = check_positive_int("n", n)
    check_net(net)
    classes = len(TEXT_LABELS)
    fix = f"pass a Fashion-MNIST model, of {classes} outputs"
    images: list[torch.Tensor] = []
    trues: list[torch.Tensor] = []
    preds: list[torch.Tensor] = []
    indices: list[torch.Tensor] = []
    batches = kept = num_wrong = seen = 0
    for X, y in _batches("test_iter", test_iter):
        batches += 1
        if not len(y):  # an empty batch, as prediction_samples skips it
            continue
        as_images = _as_images(X)  # (B, H, W) or (B, C, H, W): a view, checked on every batch
        y = check_label_tensor("y", y.cpu(), num_classes=classes).long()
        pred = _predict(net, X, classes, fix=fix).cpu()
        wrong = wrong_indices(y, pred)  # (k,)
        take = wrong[: n - kept]
        if not images or len(take):  # the first batch's keeps the images' shape for m = 0
            images.append(as_images[take.to(X.device)].cpu())
            trues.append(y[take])
            preds.append(pred[take])
            indices.append(take + seen)
        kept += len(take)
        num_wrong += len(wrong)
        seen += len(y)
    if not batches:
        raise UsageError(_no_batch("test_iter"))
    if not seen:
        raise UsageError(_no_example("test_iter", batches))
    return Mistakes(
        images=_cat_images(images),
        true_labels=get_fashion_mnist_labels(torch.cat(trues), lang=lang),
        pred_labels=get_fashion_mnist_labels(torch.cat(preds), lang=lang),
        indices=torch.cat(indices),
        num_wrong=num_wrong,
        num_examples=seen,
    )
