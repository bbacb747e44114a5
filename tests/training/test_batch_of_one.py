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


def _torch_words(channels: int = 4) -> str:
    with pytest.raises(ValueError) as caught:
        nn.BatchNorm1d(channels).train()(torch.zeros(1, channels))
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


def _sampled(indices: list[int], *, drop_last: bool = False) -> Any:
    """A DataLoader of 100 examples, in batches of 32, whose sampler gives ``indices``."""
    data = torch.utils.data.TensorDataset(
        torch.randn(100, 4, generator=torch.Generator().manual_seed(0)),
        torch.randint(0, 3, (100,), generator=torch.Generator().manual_seed(1)),
    )
    sampler = torch.utils.data.SubsetRandomSampler(indices)
    return torch.utils.data.DataLoader(data, batch_size=32, sampler=sampler, drop_last=drop_last)


def _fit_error(batches: Any) -> str:
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    with pytest.raises(UsageError) as caught:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    return str(caught.value)


def test_a_sampler_of_one_index_is_told_to_give_more_indices() -> None:
    """A sampler giving one index of 100: its dataset's size was counted, and drop_last=True
    advised, whose refusal (no batch left) advised drop_last=False again, round and round."""
    head = (
        "train_iter's batch 1 in epoch 1 holds 1 example, and the model's BatchNorm1d ('1') needs "
        f"more than one per channel in training (torch: {_torch_words(8)}); "
    )
    assert _fit_error(_sampled([5])) == head + (
        "train_iter's DataLoader's sampler (SubsetRandomSampler) gives 1 index of its dataset's "
        "100 examples, one example an epoch, which BatchNorm cannot train on in training mode "
        "(no other batch size or drop_last helps): give the DataLoader a sampler of 2 or more "
        "indices, or remove the BatchNorm layers"
    )
    # as it says: two indices train
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    fit(net, _sampled([5, 6]), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_a_sampler_leaving_a_batch_of_one_counts_its_own_indices() -> None:
    """33 indices of 100 in batches of 32 leave one over: the sizes named are the sampler's."""
    said = _fit_error(_sampled(list(range(33))))
    assert said.startswith("train_iter's batch 2 in epoch 1 holds 1 example")
    assert said.endswith(
        "pass drop_last=True to train_iter's DataLoader, or a batch_size that leaves no batch of "
        "one (33 examples in batches of 32 leave 1 over)"
    )
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    fit(
        net,
        _sampled(list(range(33)), drop_last=True),
        nn.CrossEntropyLoss(),
        torch.optim.SGD(net.parameters(), lr=0.1),
        1,
    )
