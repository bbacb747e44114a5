"""fit's and d2l.train_ch3's look at an evaluation set's first batch before training: a seeded run
trains as it did without it (its random streams, its loaders' generators), and what it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import linearnets as ln
from linearnets.data.loader import ArrayLoader
from linearnets.training import loop as loop_module

_X = torch.randn(60, 4, generator=torch.Generator().manual_seed(0))
_Y = torch.randint(0, 3, (60,), generator=torch.Generator().manual_seed(1))


def _weights(net: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def _same_fit(
    monkeypatch: pytest.MonkeyPatch, run: Callable[[], list[torch.Tensor]]
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """``run()``'s weights with the look ahead, then without it (a no-op check)."""
    looked = run()
    with monkeypatch.context() as patch:
        patch.setattr(loop_module, "check_first_batch", lambda *args, **kwargs: None)
        plain = run()
    return looked, plain


def _fit_on(make_loader: Callable[[torch.Generator], Any]) -> list[torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    loader = make_loader(torch.Generator().manual_seed(0))
    ln.fit(net, loader, nn.CrossEntropyLoss(reduction="none"),
           torch.optim.SGD(net.parameters(), lr=0.1), 2, train_eval_iter=loader)  # fmt: skip
    return _weights(net)


@pytest.mark.parametrize(
    "make_loader",
    [
        lambda g: ln.load_array((_X, _Y), 10, generator=g),
        lambda g: DataLoader(TensorDataset(_X, _Y), batch_size=10, shuffle=True, generator=g),
        lambda g: ArrayLoader(_X, _Y, 10, shuffle=True, generator=g),
    ],
    ids=["load_array", "DataLoader", "ArrayLoader"],
)
def test_a_loader_with_its_own_generator_trains_on_the_batches_it_did_without_the_look(
    monkeypatch: pytest.MonkeyPatch, make_loader: Callable[[torch.Generator], Any]
) -> None:
    """The look drew from the loader's generator (its permutation, a DataLoader's base seed), so
    a seeded run's weights changed: train_iter and train_eval_iter the same load_array."""
    looked, plain = _same_fit(monkeypatch, lambda: _fit_on(make_loader))
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))
