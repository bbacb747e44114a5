"""Evaluation (D2L §3.6.5): the mean loss and accuracy over a data set, in eval mode."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.metrics import accuracy
from linearnets.models.scratch import SoftmaxRegressionScratch, cross_entropy_logits
from linearnets.training.evaluation import evaluate, evaluate_accuracy

Batch = tuple[torch.Tensor, torch.Tensor]


def _batches(X: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[Batch]:
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]


def _classification(gen: torch.Generator, n: int = 10, batch_size: int = 4) -> list[Batch]:
    return _batches(
        torch.randn(n, 3, generator=gen), torch.randint(0, 2, (n,), generator=gen), batch_size
    )


def test_evaluate_matches_the_whole_set_at_once(gen: torch.Generator) -> None:
    X = torch.randn(23, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (23,), generator=gen)
    net = SoftmaxRegressionScratch(sigma=0.1, generator=gen)
    mean_loss, acc = evaluate(net, _batches(X, y, 5), cross_entropy_logits)
    O = net(X).detach()
    assert mean_loss == pytest.approx(F.cross_entropy(O, y).item(), rel=1e-6)
    assert acc == pytest.approx(accuracy(O, y))
    assert evaluate(net, _batches(X, y, 5)) == (None, acc)  # without a loss


def test_evaluate_accuracy_is_a_ratio() -> None:
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.5, 0.6]])
    labels = torch.tensor([1, 1, 1, 0, 0])  # right on rows 0, 2, 3
    batches = _batches(scores, labels, 2)
    assert evaluate_accuracy(lambda X: X, batches) == pytest.approx(3 / 5)


def test_evaluate_turns_dropout_off(gen: torch.Generator) -> None:
    net = nn.Sequential(nn.Dropout(0.5), nn.Linear(3, 2))
    batches = _classification(gen)
    first, second = (evaluate(net, batches, nn.CrossEntropyLoss())[0] for _ in range(2))
    assert first == second  # no random masks in eval mode
    assert net.training


class _GradRecorder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.grad_enabled: list[bool] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.linear(X)


def test_evaluate_builds_no_graph(gen: torch.Generator) -> None:
    net = _GradRecorder()
    evaluate(net, _classification(gen), nn.CrossEntropyLoss())
    assert net.grad_enabled == [False, False, False] and torch.is_grad_enabled()


class _ModeOnly:
    """A model with train(mode) but no ``training`` attribute: taken to be in training mode."""

    def __init__(self) -> None:
        self.modes: list[bool] = []

    def train(self, mode: bool) -> None:
        self.modes.append(mode)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X[:, :2]


def test_evaluate_puts_a_model_without_a_training_flag_back_in_training_mode(
    gen: torch.Generator,
) -> None:
    net = _ModeOnly()
    batches = _classification(gen)
    _, acc = evaluate(net, batches)
    assert net.modes == [False, True]
    X, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    assert acc == pytest.approx(accuracy(X[:, :2], y))
