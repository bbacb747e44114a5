"""A data-parallel epoch's shares: as many steps on every rank, and a 0-d loss's share of the
global batch's objective (D2L §3.6.6).

The ranks are threads of this process, each with its own model, whose collectives meet at a
barrier and add up what every rank brought (as gloo's all-reduce does); the oracle is
``torch.optim.SGD`` in one process on the global batches.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.training.distributed import DistContext
from linearnets.training.loop import train_epoch
from linearnets.training.shards import check_same_steps, scalar_seed

Batch = tuple[torch.Tensor, torch.Tensor]


class _Exchange:
    """Where the thread ranks meet: each brings a tensor, each takes back the sum of all."""

    def __init__(self, world_size: int) -> None:
        # a rank with a collective the others never make fails its wait, not the test run
        self.barrier = threading.Barrier(world_size, timeout=20)
        self.brought: list[torch.Tensor | None] = [None] * world_size

    def sum(self, rank: int, tensor: torch.Tensor) -> torch.Tensor:
        self.brought[rank] = tensor.clone()
        self.barrier.wait()
        total = torch.stack([t for t in self.brought if t is not None]).sum(dim=0)
        self.barrier.wait()  # every rank has read the others' before any brings its next
        return total


@dataclass(frozen=True)
class _ThreadRank(DistContext):
    """One rank of a group of threads: all_reduce(SUM) over the threads, gloo-like."""

    exchange: _Exchange = field(default_factory=lambda: _Exchange(1))

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.copy_(self.exchange.sum(self.rank, tensor))

    def average_gradients(self, params: Any) -> None:
        for param in params:
            if param.grad is not None:
                self.all_reduce_sum(param.grad)
                param.grad /= self.world_size


def _on_ranks(world_size: int, work: Callable[[DistContext], Any]) -> list[Any]:
    """Run ``work(dist)`` on ``world_size`` thread ranks; return each one's result or error."""
    exchange = _Exchange(world_size)
    results: list[Any] = [None] * world_size

    def run(rank: int) -> None:
        try:
            results[rank] = work(_ThreadRank(rank=rank, world_size=world_size, exchange=exchange))
        except BaseException as exc:  # handed to the test
            results[rank] = exc

    threads = [threading.Thread(target=run, args=(rank,)) for rank in range(world_size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _global_batches(gen: torch.Generator, sizes: list[int]) -> list[Batch]:
    """Batches of these sizes of 5 features and 3 classes, every class in each of 3 or more."""
    batches = []
    for size in sizes:
        X = torch.randn(size, 5, generator=gen)
        y = torch.randint(0, 3, (size,), generator=gen)
        y[:3] = torch.arange(3)[:size]
        batches.append((X, y))
    return batches


def _start(gen: torch.Generator) -> nn.Linear:
    net = nn.Linear(5, 3)
    with torch.no_grad():
        net.weight.copy_(torch.randn(3, 5, generator=gen))
        net.bias.copy_(torch.randn(3, generator=gen))
    return net


_WEIGHT = torch.tensor([1.0, 4.0, 0.25])
_LOSSES: dict[str, Callable[[], Any]] = {
    "summed": lambda: nn.CrossEntropyLoss(reduction="sum"),
    "class-weighted mean": lambda: nn.CrossEntropyLoss(weight=_WEIGHT),
    "class-weighted sum": lambda: nn.CrossEntropyLoss(weight=_WEIGHT, reduction="sum"),
    # on log-probabilities: the model ends in LogSoftmax
    "nll, class-weighted mean": lambda: nn.NLLLoss(weight=_WEIGHT),
    # a partial has no ignore_index attribute: reading one failed every data-parallel step
    "partial, class-weighted mean": lambda: functools.partial(F.cross_entropy, weight=_WEIGHT),
    "nll partial, class-weighted mean": lambda: functools.partial(F.nll_loss, weight=_WEIGHT),
    "mean": lambda: nn.CrossEntropyLoss(),
    "per-example": lambda: nn.CrossEntropyLoss(reduction="none"),
}


@pytest.mark.parametrize("name", list(_LOSSES))
def test_two_ranks_on_their_shares_train_as_one_process_on_the_global_batches(
    gen: torch.Generator, name: str
) -> None:
    """A sum's gradient was divided by the world size, and a class-weighted mean's weighed each
    rank's mean by its number of examples rather than its Σ w[y]: two ranks trained another model
    than one process on the same global batches (4 in 10 of the weight off after 3 steps of a
    sum, 1e-3 of a weighted mean). Batches of 9, 7 and 1: uneven shares, one of them empty."""
    loss_of, log_probs = _LOSSES[name], name.startswith("nll")
    batches = _global_batches(gen, [9, 7, 1])
    start = _start(gen)

    def model() -> nn.Module:
        net = _start(torch.Generator())
        net.load_state_dict(start.state_dict())
        return nn.Sequential(net, nn.LogSoftmax(dim=1)) if log_probs else net

    # the oracle: torch's SGD on each global batch's loss, reduced as the loss says
    oracle = model()
    opt = torch.optim.SGD(oracle.parameters(), lr=0.05)
    loss = loss_of()
    for X, y in batches:
        opt.zero_grad()
        l = loss(oracle(X), y)
        (l if l.ndim == 0 else l.mean()).backward()
        opt.step()

    def rank(dist: DistContext) -> list[torch.Tensor]:
        net = model()
        shares = [(X[dist.rank :: 2], y[dist.rank :: 2]) for X, y in batches]
        train_epoch(net, shares, loss_of(), torch.optim.SGD(net.parameters(), lr=0.05), dist=dist)
        return [p.detach() for p in net.parameters()]

    for got in _on_ranks(2, rank):
        assert not isinstance(got, BaseException), got
        for mine, expected in zip(got, oracle.parameters(), strict=True):
            torch.testing.assert_close(mine, expected.detach(), rtol=1e-5, atol=1e-6)


def test_a_summed_loss_reports_the_mean_per_example_of_every_rank(gen: torch.Generator) -> None:
    """The reported loss is every example's once, each at the weights its step had."""
    batches = _global_batches(gen, [6, 5])
    start = _start(gen)
    oracle = _start(torch.Generator())
    oracle.load_state_dict(start.state_dict())
    opt, total = torch.optim.SGD(oracle.parameters(), lr=0.05), 0.0
    for X, y in batches:
        opt.zero_grad()
        l = F.cross_entropy(oracle(X), y, reduction="sum")
        total += float(l.detach())
        l.backward()
        opt.step()

    def rank(dist: DistContext) -> float:
        net = _start(torch.Generator())
        net.load_state_dict(start.state_dict())
        shares = [(X[dist.rank :: 2], y[dist.rank :: 2]) for X, y in batches]
        updater = torch.optim.SGD(net.parameters(), lr=0.05)
        return train_epoch(net, shares, nn.CrossEntropyLoss(reduction="sum"), updater, dist=dist)[0]

    assert _on_ranks(2, rank) == [pytest.approx(total / 11, rel=1e-6)] * 2


def test_ranks_with_other_numbers_of_batches_are_refused_by_every_one_of_them(
    gen: torch.Generator,
) -> None:
    """X[rank::2] of 9 examples in batches of 2: 3 on rank 0, 2 on rank 1. Rank 0's third step
    waited in its gradients' all-reduce for a rank gone to the epoch's totals: it hung."""
    X, y = torch.randn(9, 5, generator=gen), torch.randint(0, 3, (9,), generator=gen)

    nets = [nn.Linear(5, 3).eval() for _ in range(2)]

    def rank(dist: DistContext) -> Any:
        net = nets[dist.rank]
        Xr, yr = X[dist.rank :: 2], y[dist.rank :: 2]
        shard = [(Xr[i : i + 2], yr[i : i + 2]) for i in range(0, len(Xr), 2)]
        updater = torch.optim.SGD(net.parameters(), lr=0.1)
        return train_epoch(net, shard, nn.CrossEntropyLoss(reduction="none"), updater, dist=dist)

    said = _on_ranks(2, rank)
    assert [net.training for net in nets] == [False, False]  # refused before the mode changed
    for error in said:
        assert isinstance(error, UsageError), said
        assert str(error) == (
            "train_iter must yield the same number of batches on every rank of a data-parallel "
            "run (each step averages the gradients of all 2), got 3 on rank 0, 2 on rank 1; give "
            "each rank its share of every global batch (rows rank::world_size of each), or shards "
            "of one length, as torch's DistributedSampler pads them"
        )


def test_ranks_with_one_number_of_batches_go_on() -> None:
    said = _on_ranks(3, lambda dist: check_same_steps("train_iter", [1] * 4, dist))
    assert said == [None, None, None]


def test_the_ranks_of_one_number_of_batches_are_named_together() -> None:
    def rank(dist: DistContext) -> None:
        check_same_steps("train_iter", [1] * (5 if dist.rank == 1 else 4), dist)

    said = _on_ranks(3, rank)
    assert all(isinstance(error, UsageError) for error in said), said
    assert "got 4 on ranks 0, 2, 5 on rank 1;" in str(said[0])


class _Unsized:
    def __iter__(self) -> Any:
        return iter([])


class _Sharded(list[Batch]):
    def global_batch_size(self, step: int) -> int:
        return 0


@pytest.mark.parametrize("batches", [_Unsized(), _Sharded()], ids=["no-len", "sharded-loader"])
def test_batches_without_a_length_or_sharded_by_global_batch_are_not_compared(
    batches: Any,
) -> None:
    """No collective at all: a rank-0-only call returns (a collective would wait forever)."""
    dist = _ThreadRank(rank=0, world_size=2, exchange=_Exchange(2))
    check_same_steps("train_iter", batches, dist)


def test_one_process_takes_a_0_d_loss_as_it_is() -> None:
    y = torch.tensor([0, 1])
    for dist in (None, DistContext()):
        assert scalar_seed(nn.CrossEntropyLoss(reduction="sum"), y, summed=True, dist=dist) is None


def test_a_class_weighted_mean_leaves_out_the_ignored_labels_as_torch_does() -> None:
    """Rank 0's labels [0, -100, 2] weigh 1 + 0.25; rank 1's [1, 1] weigh 8: its share of the
    global mean is 2 · 1.25 / 9.25 (world_size times its Σ w[y] over the global one)."""
    labels = [torch.tensor([0, -100, 2]), torch.tensor([1, 1])]
    loss = nn.CrossEntropyLoss(weight=_WEIGHT)

    def rank(dist: DistContext) -> float | None:
        return scalar_seed(loss, labels[dist.rank], summed=False, dist=dist)

    assert _on_ranks(2, rank) == [pytest.approx(2 * 1.25 / 9.25), pytest.approx(2 * 8 / 9.25)]


@pytest.mark.parametrize(("keywords", "mine"), [({}, 1.5), ({"ignore_index": 2}, 1.0)])
def test_a_partial_of_torchs_class_weighted_mean_leaves_out_its_ignored_labels(
    keywords: dict[str, int], mine: float
) -> None:
    """A partial has no ignore_index attribute (AttributeError at every data-parallel step): its
    keyword is read, torch's default -100 where it fixes none. Rank 0's labels [0, 2, 2] weigh
    1.5, or 1 with label 2 skipped; rank 1's [1, 1] weigh 8."""
    labels = [torch.tensor([0, 2, 2]), torch.tensor([1, 1])]
    loss = functools.partial(F.cross_entropy, weight=_WEIGHT, **keywords)

    def rank(dist: DistContext) -> float | None:
        return scalar_seed(loss, labels[dist.rank], summed=False, dist=dist)

    total = mine + 8
    assert _on_ranks(2, rank) == [pytest.approx(2 * mine / total), pytest.approx(2 * 8 / total)]
