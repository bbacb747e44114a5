"""Float targets a probability loss cannot take, refused at the first batch before its update
(D2L §3.4.2): a binary cross-entropy's outside [0, 1], class probabilities that are negative or
whose rows do not sum to 1."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.training.evaluation import evaluate
from linearnets.training.loop import fit


def _features() -> torch.Tensor:
    return torch.randn(120, 5, generator=torch.Generator().manual_seed(0))


def _labels() -> torch.Tensor:
    return torch.randint(0, 3, (120,), generator=torch.Generator().manual_seed(1))


def _batches(X: torch.Tensor, y: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(X[i : i + 20], y[i : i + 20]) for i in range(0, len(X), 20)]


def _net(outputs: int) -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(5, outputs)


@pytest.mark.parametrize(
    "loss", [nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits], ids=["module", "F"]
)
def test_a_0_255_mask_for_a_binary_cross_entropy_is_refused_before_the_update(loss: Any) -> None:
    # it trained silently: losses -3788, -13583, -23376
    y = (_labels() * 127.5).float().reshape(-1, 1)
    # the oracle: torch's BCELoss refuses such targets itself
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        nn.BCELoss()(torch.full_like(y[:20], 0.5), y[:20])
    net = _net(1)
    before = net.weight.detach().clone()
    at = tuple(int(i) for i in (y[:20] > 1).nonzero()[0])
    with pytest.raises(UsageError) as err:
        fit(net, _batches(_features(), y), loss, torch.optim.SGD(net.parameters(), lr=0.1), 3)
    assert str(err.value) == (
        "y of the epoch's first batch must hold probabilities in [0, 1] for a binary "
        f"cross-entropy, got {float(y[at]):g} at index {at}; scale the targets into [0, 1] (a "
        "0/255 mask: y / 255; labels 1 and 2: y - 1)"
    )
    assert torch.equal(net.weight, before)


def test_class_probabilities_not_summing_to_1_are_refused_naming_the_row() -> None:
    y = torch.full((120, 3), 0.5)
    net = _net(3)
    with pytest.raises(UsageError) as err:
        fit(net, _batches(_features(), y), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    assert str(err.value) == (
        "y of the epoch's first batch must hold class probabilities for nn.CrossEntropyLoss "
        "(each >= 0, each row summing to 1 within 0.001), got row 0 summing to "
        f"{float(y[0].sum()):g}; divide each row by its sum (y / y.sum(dim=1, keepdim=True)), or "
        "pass class indices y.argmax(dim=1)"
    )


def test_negative_class_probabilities_are_refused_naming_the_value() -> None:
    y = F.one_hot(_labels(), 3).float()
    y[0] = torch.tensor([-0.5, 1.0, 0.5])  # sums to 1: only its sign is wrong
    net = _net(3)
    with pytest.raises(UsageError, match=re.escape("got -0.5 at index (0, 0); pass probabilities")):
        fit(net, _batches(_features(), y), nn.CrossEntropyLoss(reduction="none"),
            torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip


def test_a_test_sets_first_batch_is_checked_too() -> None:
    y = F.one_hot(_labels(), 3).float()
    bad = y.clone() * 2
    net = _net(3)
    with pytest.raises(UsageError, match=r"^y of test_iter's first batch must hold class probabilities"):  # fmt: skip
        fit(net, _batches(_features(), y), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1),
            1, test_iter=_batches(_features(), bad))  # fmt: skip
    with pytest.raises(UsageError, match=r"^y of data_iter's first batch must hold class probabilities"):  # fmt: skip
        evaluate(net, _batches(_features(), bad), nn.CrossEntropyLoss())


def test_probabilities_train_as_before() -> None:
    # label smoothing's rows, in float32, sum to 1 within rounding; the loss is torch's
    y = F.one_hot(_labels(), 3).float() * 0.9 + 0.1 / 3
    net = _net(3)
    history = fit(net, _batches(_features(), y), nn.CrossEntropyLoss(),
                  torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    with torch.no_grad():
        expected = float(F.cross_entropy(net(_features()), y))  # the oracle, after the epoch
    assert evaluate(net, _batches(_features(), y), nn.CrossEntropyLoss())[0] == pytest.approx(
        expected, rel=1e-5
    )
    assert history.epochs[0].train_loss > 0
