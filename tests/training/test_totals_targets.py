"""An epoch's totals refuse batches whose targets are not of the earlier batches' kind."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import linearnets as ln
from linearnets.errors import UsageError
from linearnets.training.evaluation import evaluate


def _batches(ys: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    return [(torch.randn(y.shape[0], 20, generator=gen), y) for y in ys]


@pytest.fixture
def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Linear(20, 5)


def test_float_labels_in_a_later_batch_are_refused_not_counted(net: nn.Module) -> None:
    y = torch.randint(0, 5, (64,), generator=torch.Generator().manual_seed(1))
    batches = _batches([y[:16], y[16:32].float(), y[32:48], y[48:]])
    with pytest.raises(
        UsageError,
        match=r"y must be integer class labels in every batch once batch 1 gave them, got a "
        r"tensor of shape \(16,\) and dtype torch.float32 in batch 2: .*pass y.long\(\)",
    ):
        ln.evaluate_accuracy(net, batches)


def test_one_hot_later_batch_is_told_argmax(net: nn.Module) -> None:
    y = torch.randint(0, 5, (32,), generator=torch.Generator().manual_seed(1))
    one_hot = nn.functional.one_hot(y[16:], 5).float()
    with pytest.raises(UsageError, match=r"in batch 2: .*y.argmax\(dim=1\)"):
        ln.evaluate_accuracy(net, _batches([y[:16], one_hot]))


def test_class_labels_after_float_targets_are_refused(net: nn.Module) -> None:
    y = torch.randint(0, 5, (32,), generator=torch.Generator().manual_seed(1))
    soft = nn.functional.one_hot(y[:16], 5).float()
    with pytest.raises(
        UsageError, match=r"got integer class labels .* in batch 2 after float targets"
    ):
        evaluate(net, _batches([soft, y[16:]]), nn.CrossEntropyLoss())
