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


@pytest.mark.parametrize("soft_first", [False, True])
def test_a_loss_taking_labels_and_mixup_targets_reports_its_loss_and_no_accuracy(
    net: nn.Module, soft_first: bool
) -> None:
    """nn.CrossEntropyLoss takes class labels in one batch and mixup's class probabilities (B, C)
    in the next: such training was refused at its first soft batch (and before that, reported an
    accuracy counting the soft batch's examples as all wrong). Its loss is torch's; no accuracy."""
    y = torch.randint(0, 5, (32,), generator=torch.Generator().manual_seed(1))
    eye = torch.eye(5)
    mix = 0.7 * eye[y[16:]] + 0.3 * eye[y[16:].roll(1)]
    ys = [mix, y[:16]] if soft_first else [y[:16], mix]
    batches = _batches(ys)
    loss = nn.CrossEntropyLoss(reduction="none")
    with torch.no_grad():  # the oracle: torch's per-example losses, averaged over all 32
        expected = torch.cat([loss(net(X), t) for X, t in batches]).mean()
    got_loss, got_acc = evaluate(net, batches, loss)
    assert got_loss == pytest.approx(float(expected), rel=1e-6)
    assert got_acc is None
    history = ln.fit(net, batches, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert history.epochs[0].train_acc is None


def test_class_labels_after_float_targets_are_refused_for_an_accuracy_alone() -> None:
    """With no loss (an accuracy alone) a batch of class labels after float targets is refused,
    its message reading as a sentence (it said "integer class labels a tensor of shape ...")."""
    from linearnets.training.totals import EpochTotals

    totals = EpochTotals()
    scores = torch.zeros(4, 5)
    totals.add(scores, torch.eye(5)[:4], None)
    with pytest.raises(UsageError) as info:
        totals.add(scores, torch.tensor([0, 1, 2, 3]), None)
    assert str(info.value).startswith(
        "y must be of one kind in every batch, got integer class labels, a tensor of shape (4,) "
    )
    assert "in batch 2 after float targets in the batches before it" in str(info.value)
