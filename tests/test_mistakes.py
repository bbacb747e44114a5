"""The test images a model gets wrong (D2L §3.6.7), against torch's argmax of the model's scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.data.fashion_mnist import get_fashion_mnist_labels
from linearnets.data.loader import ArrayLoader
from linearnets.errors import UsageError, UsageTypeError
from linearnets.inference import predict
from linearnets.mistakes import find_mistakes, wrong_indices


@pytest.fixture
def net() -> nn.Module:
    torch.manual_seed(3)  # nn.Linear's own initialisation
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


@pytest.fixture
def images(gen: torch.Generator) -> torch.Tensor:
    return torch.randint(0, 256, (57, 28, 28), dtype=torch.uint8, generator=gen)


def _oracle(net: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The predicted classes (N,): torch's argmax of the linear layer's scores, computed here."""
    layer = net[1]
    with torch.no_grad():
        scores = F.linear(images.reshape(len(images), -1).float() / 255, layer.weight, layer.bias)
    top2 = scores.topk(2, dim=1).values
    assert float((top2[:, 0] - top2[:, 1]).min()) > 1e-4  # no near-ties: any summation order agrees
    return scores.argmax(dim=1)


def _labels_wrong_at(pred: torch.Tensor, wrong: list[int]) -> torch.Tensor:
    """Labels equal to ``pred`` but at the positions ``wrong``, where they are another class."""
    labels = pred.clone()
    labels[wrong] = (pred[wrong] + 1) % 10
    return labels


def test_wrong_indices_are_the_positions_whose_prediction_is_not_the_label() -> None:
    y = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    y_hat = torch.tensor([3, 7, 4, 1, 0, 9, 2, 5])
    by_hand = [i for i in range(len(y)) if int(y[i]) != int(y_hat[i])]
    assert wrong_indices(y, y_hat).tolist() == by_hand == [1, 4, 7]
    assert wrong_indices(y, y).dtype == torch.int64 and wrong_indices(y, y).shape == (0,)
    with pytest.raises(UsageError) as info:
        wrong_indices(y, y_hat[:5])
    assert str(info.value) == (
        "y and y_hat must be class indices of the same shape (B,), one per example, got shapes "
        "(8,) and (5,); pass y_hat = argmax of the scores over the classes (predict_labels)"
    )


@pytest.mark.parametrize("n", [1, 5, 100])
def test_find_mistakes_keeps_the_first_n_wrong_in_test_set_order_across_batches(
    net: nn.Module, images: torch.Tensor, n: int
) -> None:
    pred = _oracle(net, images)
    wrong = [1, 2, 9, 10, 11, 30, 56]  # across batches of 8, the last one short
    labels = _labels_wrong_at(pred, wrong)
    found = find_mistakes(net, ArrayLoader(images, labels, 8, shuffle=False), n)
    first = wrong[:n]
    assert found.indices.tolist() == first and found.indices.dtype == torch.int64
    assert torch.equal(found.images, images[first].float() / 255)
    assert found.true_labels == get_fashion_mnist_labels(labels[first])
    assert found.pred_labels == get_fashion_mnist_labels(pred[first])
    assert (found.num_wrong, found.num_examples) == (7, 57)


def test_find_mistakes_of_a_model_that_gets_everything_right_is_empty(
    net: nn.Module, images: torch.Tensor
) -> None:
    pred = _oracle(net, images)
    found = find_mistakes(net, ArrayLoader(images, pred, 8, shuffle=False), 6, lang="zh")
    assert found.images.shape == (0, 28, 28) and found.indices.tolist() == []
    assert (found.true_labels, found.pred_labels) == ([], [])
    assert (found.num_wrong, found.num_examples) == (0, 57)


def test_find_mistakes_names_labels_in_chinese_and_skips_empty_batches(
    net: nn.Module, images: torch.Tensor
) -> None:
    pred = _oracle(net, images)
    labels = _labels_wrong_at(pred, [0, 40])
    X = images.float() / 255
    batches = [(X[:0], labels[:0]), (X[:30], labels[:30]), (X[30:30], labels[30:30]),
               (X[30:], labels[30:])]  # fmt: skip
    found = find_mistakes(net, batches, 6, lang="zh")
    assert found.indices.tolist() == [0, 40] and found.num_examples == 57
    assert found.true_labels == get_fashion_mnist_labels(labels[[0, 40]], lang="zh")
    assert found.pred_labels == get_fashion_mnist_labels(pred[[0, 40]], lang="zh")


def test_find_mistakes_needs_an_example_and_fashion_mnist_labels(net: nn.Module) -> None:
    with pytest.raises(UsageError, match=r"^test_iter must yield at least one batch, got none"):
        find_mistakes(net, [], 6)
    empty = [(torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long))] * 2
    with pytest.raises(
        UsageError,
        match=r"^test_iter must yield at least one example, got 2 empty batches; check the test "
        "set is not empty$",
    ):
        find_mistakes(net, empty, 6)
    with pytest.raises(UsageError, match=r"^y must hold class indices in \[0, 10\), got 10"):
        find_mistakes(net, [(torch.zeros(2, 28, 28), torch.tensor([0, 10]))], 6)
    with pytest.raises(UsageError, match=r"^n must be a positive integer \(>= 1\), got 0"):
        find_mistakes(net, [(torch.zeros(2, 28, 28), torch.tensor([0, 1]))], 0)


def test_predict_wrong_only_draws_the_mistakes_find_mistakes_gives(
    net: nn.Module, images: torch.Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pred = _oracle(net, images)
    wrong = [4, 8, 20, 21, 50]
    labels = _labels_wrong_at(pred, wrong)
    loader = ArrayLoader(images, labels, 16, shuffle=False)
    axes = predict(net, loader, 3, out=tmp_path / "w.png", wrong_only=True)
    expected = [
        f"{t}\n{p}"
        for t, p in zip(
            get_fashion_mnist_labels(labels[wrong[:3]]),
            get_fashion_mnist_labels(pred[wrong[:3]]),
            strict=True,
        )
    ]
    assert [ax.get_title() for ax in axes] == expected
    assert (tmp_path / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import linearnets.plotting

    drawn: list[Any] = []
    monkeypatch.setattr(
        linearnets.plotting, "plot_predictions", lambda *args, **kwargs: drawn.append(args)
    )
    predict(net, loader, 20, wrong_only=True)  # fewer wrong than n: all 5
    ((X, true, guess),) = drawn
    assert torch.equal(X, images[wrong].float() / 255)
    assert (true, guess) == (
        get_fashion_mnist_labels(labels[wrong]),
        get_fashion_mnist_labels(pred[wrong]),
    )


def test_predict_wrong_only_of_a_model_without_mistakes_draws_and_writes_nothing(
    net: nn.Module, images: torch.Tensor, tmp_path: Path
) -> None:
    loader = ArrayLoader(images, _oracle(net, images), 16, shuffle=False)
    axes = predict(net, loader, 6, out=tmp_path / "w.png", wrong_only=True)
    assert axes.shape == (0,) and list(tmp_path.iterdir()) == []


def test_predict_wrong_only_must_be_a_bool(net: nn.Module) -> None:
    with pytest.raises(UsageTypeError, match=r"^wrong_only must be True or False, got 'yes'"):
        predict(net, [], 6, wrong_only="yes")  # type: ignore[arg-type]
