"""fit's and d2l.train_ch3's look at an evaluation set's first batch before training: a seeded run
trains as it did without it (its random streams, its loaders' generators), and what it names."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Sampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    random_split,
)

import linearnets as ln
from linearnets.data.loader import ArrayLoader
from linearnets.errors import UsageTypeError
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
        lambda g: DataLoader(
            TensorDataset(_X, _Y), 10, sampler=SubsetRandomSampler(range(len(_Y)), generator=g)
        ),
    ],
    ids=["load_array", "DataLoader", "ArrayLoader", "SubsetRandomSampler"],
)
def test_a_loader_with_its_own_generator_trains_on_the_batches_it_did_without_the_look(
    monkeypatch: pytest.MonkeyPatch, make_loader: Callable[[torch.Generator], Any]
) -> None:
    """The look drew from the loader's generator (its permutation, a DataLoader's base seed), so
    a seeded run's weights changed: train_iter and train_eval_iter the same load_array."""
    looked, plain = _same_fit(monkeypatch, lambda: _fit_on(make_loader))
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


class _Noisy(nn.Module):
    """Adds noise to its input in both modes (a noise-injection model)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(X + 0.1 * torch.randn_like(X))


def test_a_model_drawing_random_numbers_in_eval_mode_trains_as_without_the_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The look's forward ran outside the fork of the global random state: its noise shifted the
    random stream the training's forward passes drew from."""

    def run() -> list[torch.Tensor]:
        torch.manual_seed(0)
        net = _Noisy()
        train = DataLoader(TensorDataset(_X, _Y), batch_size=10, shuffle=True)
        ln.fit(net, train, nn.CrossEntropyLoss(reduction="none"),
               torch.optim.SGD(net.parameters(), lr=0.1), 2,
               test_iter=DataLoader(TensorDataset(_X, _Y), batch_size=10))  # fmt: skip
        return _weights(net)

    looked, plain = _same_fit(monkeypatch, run)
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


def test_train_ch3_with_the_books_dropout_layer_in_a_function_model_trains_as_without_the_look(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The book's dropout_layer (§5.6) in a plain function draws in every call: the look's
    forward moved the training's dropout masks."""
    from linearnets import _d2l_training, d2l

    monkeypatch.chdir(tmp_path)  # its train_ch3.png

    def run() -> list[torch.Tensor]:
        torch.manual_seed(0)
        W = torch.normal(0, 0.01, (4, 3), requires_grad=True)
        b = torch.zeros(3, requires_grad=True)

        def net(X: torch.Tensor) -> torch.Tensor:
            mask = (torch.rand(X.shape) > 0.2).float()
            return (mask * X / 0.8) @ W + b

        d2l.train_ch3(net, d2l.load_array((_X, _Y), 10), d2l.load_array((_X, _Y), 10, False),
                      nn.CrossEntropyLoss(reduction="none"), 2,
                      lambda batch_size: d2l.sgd([W, b], 0.1, batch_size))  # fmt: skip
        return [W.detach().clone(), b.detach().clone()]

    looked = run()
    with monkeypatch.context() as patch:
        patch.setattr(_d2l_training, "check_first_batch", lambda *args, **kwargs: None)
        plain = run()
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


def test_a_test_loader_keeping_its_workers_is_not_looked_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """persistent_workers=True: the iterator the look made was kept for the epochs, without the
    global draw the first epoch's made, so the later shuffles and the weights changed."""

    def run() -> list[torch.Tensor]:
        torch.manual_seed(0)
        net = nn.Linear(4, 3)
        test = DataLoader(TensorDataset(_X, _Y), batch_size=10, num_workers=1,
                          persistent_workers=True)  # fmt: skip
        train = DataLoader(TensorDataset(_X, _Y), batch_size=10, shuffle=True)
        ln.fit(net, train, nn.CrossEntropyLoss(reduction="none"),
               torch.optim.SGD(net.parameters(), lr=0.1), 2, test_iter=test)  # fmt: skip
        return _weights(net)

    looked, plain = _same_fit(monkeypatch, run)
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


class _NumpySampler(Sampler[int]):
    """An order drawn from numpy's global random state."""

    def __iter__(self) -> Iterator[int]:
        return iter(np.random.permutation(60).tolist())

    def __len__(self) -> int:
        return 60


class _PythonSampler(Sampler[int]):
    """An order drawn from Python's ``random``."""

    def __iter__(self) -> Iterator[int]:
        order = list(range(60))
        random.shuffle(order)
        return iter(order)

    def __len__(self) -> int:
        return 60


class _OwnRngSampler(Sampler[int]):
    """An order drawn from a generator of its own, kept as ``rng`` (not ``generator``)."""

    def __init__(self) -> None:
        self.rng = torch.Generator().manual_seed(5)

    def __iter__(self) -> Iterator[int]:
        return iter(torch.randperm(60, generator=self.rng).tolist())

    def __len__(self) -> int:
        return 60


class _NumpyAugmented(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Examples shifted by a numpy draw each read (an augmentation)."""

    def __len__(self) -> int:
        return 60

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return _X[i] + float(np.random.rand()), _Y[i]


@pytest.mark.parametrize(
    ("make_loader", "same"),
    [
        (lambda: DataLoader(TensorDataset(_X, _Y), 10, sampler=_NumpySampler()), False),
        (lambda: DataLoader(TensorDataset(_X, _Y), 10, sampler=_PythonSampler()), False),
        (lambda: DataLoader(TensorDataset(_X, _Y), 10, sampler=_OwnRngSampler()), False),
        (lambda: DataLoader(TensorDataset(_X, _Y), 10, sampler=_OwnRngSampler()), True),
        (lambda: DataLoader(_NumpyAugmented(), 10, shuffle=True), False),
    ],
    ids=["numpy-sampler", "random-sampler", "own-rng-sampler", "own-rng-train-eval", "augmenting"],
)
def test_a_loader_drawing_outside_torchs_random_state_trains_as_without_the_look(
    monkeypatch: pytest.MonkeyPatch, make_loader: Callable[[], Any], same: bool
) -> None:
    """A sampler or dataset drawing from numpy, Python's random or a generator of its own was
    moved on by the look's pass: a seeded run's weights changed. Such loaders are not looked at."""

    def run() -> list[torch.Tensor]:
        torch.manual_seed(0)
        np.random.seed(0)
        random.seed(0)
        net = nn.Linear(4, 3)
        train = make_loader()
        evaluated = {"train_eval_iter": train} if same else {"test_iter": make_loader()}
        ln.fit(net, train, nn.CrossEntropyLoss(reduction="none"),
               torch.optim.SGD(net.parameters(), lr=0.1), 2, **evaluated)  # fmt: skip
        return _weights(net)

    looked, plain = _same_fit(monkeypatch, run)
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


class _DrawingExample(Sequence[torch.Tensor]):
    """An example of a list dataset that draws from NumPy when read (an augmentation)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __getitem__(self, i: Any) -> Any:
        if i not in (0, 1):  # iteration ends here (a Sequence iterates by index)
            raise IndexError(i)
        return self.x + float(np.random.rand()) if i == 0 else self.y

    def __len__(self) -> int:
        return 2


def test_a_list_dataset_of_objects_that_draw_when_read_is_not_looked_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any list dataset was taken as pure; its examples are the user's objects, indexed by the
    collate: one drawing from NumPy changed a seeded run's weights."""
    examples = [_DrawingExample(x, y) for x, y in zip(_X, _Y, strict=True)]

    def run() -> list[torch.Tensor]:
        np.random.seed(0)
        torch.manual_seed(0)
        net = nn.Linear(4, 3)
        ln.fit(net, DataLoader(examples, 10, shuffle=True), nn.CrossEntropyLoss(reduction="none"),
               torch.optim.SGD(net.parameters(), lr=0.1), 2,
               test_iter=DataLoader(examples, 10))  # fmt: skip
        return _weights(net)

    looked, plain = _same_fit(monkeypatch, run)
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


def test_a_function_model_calling_a_batchnorm_is_not_looked_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plain function has no eval mode: the look's forward moved the BatchNorm's running
    statistics by the test batch, and so the trained model."""

    def run() -> list[torch.Tensor]:
        torch.manual_seed(0)
        norm, linear = nn.BatchNorm1d(4), nn.Linear(4, 3)

        def net(X: torch.Tensor) -> torch.Tensor:
            return linear(norm(X))

        params = [*norm.parameters(), *linear.parameters()]
        ln.fit(net, ln.load_array((_X, _Y), 10), nn.CrossEntropyLoss(reduction="none"),
               torch.optim.SGD(params, lr=0.1), 2,
               test_iter=ln.load_array((_X * 5 + 3, _Y), 10, is_train=False))  # fmt: skip
        return [*_weights(linear), norm.running_mean.clone(), norm.running_var.clone()]

    looked, plain = _same_fit(monkeypatch, run)
    assert all(torch.equal(a, b) for a, b in zip(looked, plain, strict=True))


_BAD_TEST = (_X.double(), _Y)


@pytest.mark.parametrize(
    "make_test",
    [
        lambda: ArrayLoader(*_BAD_TEST, 10, shuffle=False),
        lambda: [_BAD_TEST],
        lambda: DataLoader(TensorDataset(*_BAD_TEST), batch_size=10),
        lambda: ln.load_array(_BAD_TEST, 10),
        # torch's own datasets and sampler over tensors: refused only after epoch 1 (h436)
        lambda: DataLoader(Subset(TensorDataset(*_BAD_TEST), range(20)), batch_size=10),
        lambda: DataLoader(random_split(TensorDataset(*_BAD_TEST), [0.5, 0.5])[0], batch_size=10),
        lambda: DataLoader(ConcatDataset([TensorDataset(*_BAD_TEST)] * 2), batch_size=10),
        lambda: DataLoader(list(zip(*_BAD_TEST, strict=True)), batch_size=10),
        lambda: DataLoader(
            TensorDataset(*_BAD_TEST), batch_size=10, sampler=SubsetRandomSampler(range(20))
        ),
    ],
    ids=[
        "ArrayLoader",
        "list",
        "DataLoader",
        "load_array",
        "Subset",
        "random_split",
        "ConcatDataset",
        "list-dataset",
        "SubsetRandomSampler",
    ],
)
@pytest.mark.parametrize(
    "make_train",
    [
        lambda: ln.load_array((_X, _Y), 10),
        lambda: DataLoader(TensorDataset(_X, _Y), 10, sampler=_PythonSampler()),
    ],
    ids=["load_array", "own-sampler"],
)
def test_the_common_test_loaders_are_still_refused_before_any_step(
    make_test: Callable[[], Any], make_train: Callable[[], Any]
) -> None:
    """The look runs where it is known to leave the run as it was: a float64 test set is refused
    before the first update (a train_iter not looked at leaves a refusal to the epochs only where
    the model fails the test batch)."""
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    before = net.weight.detach().clone()
    with pytest.raises(
        UsageTypeError, match=r"^test_iter's batch 1: X must have the model's dtype"
    ):
        ln.fit(net, make_train(), nn.CrossEntropyLoss(reduction="none"),
               torch.optim.SGD(net.parameters(), lr=0.1), 2, test_iter=make_test())  # fmt: skip
    assert torch.equal(net.weight, before)
