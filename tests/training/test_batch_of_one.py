"""A dataset of one example under BatchNorm: no batch size or drop_last can help, and the message
says so (it advised drop_last=True, or a batch_size of 2 or more, each leaving the one batch of
one, or no batch at all)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from linearnets.errors import UsageError
from linearnets.training.loop import fit


def _torch_words() -> str:
    with pytest.raises(ValueError) as caught:
        nn.BatchNorm1d(4).train()(torch.zeros(1, 4))
    return str(caught.value)


@pytest.mark.parametrize("kind", ["batch_size=1", "batch_size=8", "list"])
def test_a_dataset_of_one_example_is_told_to_add_examples_or_remove_batch_norm(kind: str) -> None:
    X, y = torch.randn(1, 3), torch.tensor([1])
    data = torch.utils.data.TensorDataset(X, y)
    batches: Any = (
        [(X, y)]
        if kind == "list"
        else torch.utils.data.DataLoader(data, batch_size=int(kind.split("=")[1]))
    )
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    with pytest.raises(UsageError) as caught:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(caught.value) == (
        "train_iter's batch 1 in epoch 1 holds 1 example, and the model's BatchNorm1d ('1') needs "
        f"more than one per channel in training (torch: {_torch_words()}); it holds one example "
        "in all, which BatchNorm cannot train on in training mode (no other batch size or "
        "drop_last helps): add examples, or remove the BatchNorm layers"
    )
