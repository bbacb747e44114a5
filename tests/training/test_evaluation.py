"""Evaluation (D2L §3.6.5): the mean loss and accuracy over a data set, in eval mode."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.metrics import accuracy
from linearnets.models.scratch import SoftmaxRegressionScratch, cross_entropy_logits
from linearnets.training.evaluation import evaluate, evaluate_accuracy, set_mode

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
    """A model with train(mode) but no ``training`` attribute: no nn.Module protocol, so no modes."""

    def __init__(self) -> None:
        self.modes: list[bool] = []

    def train(self, mode: bool) -> None:
        self.modes.append(mode)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X[:, :2]


def test_evaluate_leaves_a_model_without_a_training_flag_alone(gen: torch.Generator) -> None:
    """Its ``train`` may be anything (the book calls ``net.eval()`` only on an nn.Module); a model
    with modes has the flag (nn.Module, the scratch models: see set_mode's test below)."""
    net = _ModeOnly()
    batches = _classification(gen)
    _, acc = evaluate(net, batches)
    assert net.modes == []
    X, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    assert acc == pytest.approx(accuracy(X[:, :2], y))


class _Learner:
    """A learner's own model class, as the book's readers write them: a ``train`` method that runs
    training epochs, not nn.Module's mode switch, and no ``training`` attribute."""

    def __init__(self) -> None:
        self.W = torch.zeros(4, 3)
        self.calls: list[tuple[str, object]] = []

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X.reshape(len(X), -1) @ self.W

    def train(self, num_epochs: object = None) -> None:
        self.calls.append(("train", num_epochs))

    def eval(self) -> None:
        self.calls.append(("eval", None))


def test_a_models_own_train_method_is_not_taken_for_a_mode_switch() -> None:
    """The book switches modes only on an nn.Module (``if isinstance(net, torch.nn.Module)``)."""
    net = _Learner()
    X, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    assert evaluate_accuracy(net, [(X, y)]) == pytest.approx(2 / 5)  # all scores 0: class 0 wins
    assert evaluate(net, [(X, y)], F.cross_entropy)[0] == pytest.approx(
        float(torch.log(torch.tensor(3.0)))
    )
    assert net.calls == []


@pytest.mark.parametrize("training", [True, False])
def test_set_mode_switches_and_restores_a_module_protocol_model(training: bool) -> None:
    net = SoftmaxRegressionScratch(4, 3)
    net.train(training)
    assert set_mode(net, not training) is training and net.training is (not training)
    assert set_mode(_Learner(), False) is True  # no modes: reported as training, left alone
