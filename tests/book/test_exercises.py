"""The chapter's exercises and the edits they invite, on ``linearnets.d2l``, against the book's code.

What a learner does right after the printed code (D2L §3.2–3.7 exercises): another initialisation,
another learning rate, another loss or optimizer, the gradient read back. Each runs as the book's
code runs it, the oracle being the book's own loop written out here; where the book's code goes on
with NaN, linearnets stops with an error naming the cause (a deliberate difference, docs/d2l.md).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from linearnets import d2l
from linearnets.errors import DivergenceError, DoubleSoftmaxWarning

from .chapter3 import SOFTMAX_SCRATCH_MODEL, SOFTMAX_SCRATCH_UPDATER, data_iter

REAL_DATA = Path("/usr/share/datasets/fashion-mnist")
needs_data = pytest.mark.skipif(
    not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)"
)

TRUE_W, TRUE_B = torch.tensor([2, -3.4]), 4.2


def _train_32(
    w: torch.Tensor, b: torch.Tensor, lr: float, features: torch.Tensor, labels: torch.Tensor
) -> list[float]:
    """The book's §3.2 training loop on d2l's names; the mean loss after each of 3 epochs."""
    losses = []
    for _ in range(3):
        for X, y in data_iter(10, features, labels):
            l = d2l.squared_loss(d2l.linreg(X, w, b), y)
            l.sum().backward()
            d2l.sgd([w, b], lr, 10)
        with torch.no_grad():
            losses.append(float(d2l.squared_loss(d2l.linreg(features, w, b), labels).mean()))
    return losses


def test_32_weights_initialised_to_zero_still_train() -> None:
    """Exercise 1 of §3.2: w = 0 (no symmetry to break in a linear model) learns w and b."""
    torch.manual_seed(0)
    random.seed(0)
    features, labels = d2l.synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.zeros((2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = _train_32(w, b, 0.03, features, labels)
    assert losses[-1] < 1e-3
    torch.testing.assert_close(w.detach().reshape(-1), TRUE_W, rtol=0, atol=0.01)
    assert abs(float(b.detach()) - TRUE_B) < 0.01


def test_32_a_learning_rate_too_large_blows_up_to_inf_and_nan_as_in_torch() -> None:
    """Exercise 6 of §3.2: lr = 3 is not refused; the loss overflows, as the book's sgd makes it."""
    torch.manual_seed(0)
    random.seed(0)
    features, labels = d2l.synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = _train_32(w, b, 3, features, labels)
    assert not math.isfinite(losses[0]) and math.isnan(losses[-1])


def test_32_the_gradient_read_after_backward_is_the_squared_losss() -> None:
    """``w.grad`` after ``l.sum().backward()`` is Xᵀ(Xw + b − y), and its second derivative XᵀX
    (§3.2 exercise 4); ``d2l.sgd`` then zeroes it."""
    torch.manual_seed(0)
    X, y = d2l.synthetic_data(TRUE_W, TRUE_B, 10)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    l = d2l.squared_loss(d2l.linreg(X, w, b), y).sum()
    (g,) = torch.autograd.grad(l, w, create_graph=True)
    residuals = X @ w.detach() + b.detach() - y
    torch.testing.assert_close(g.detach(), X.T @ residuals)
    rows = [torch.autograd.grad(g[i, 0], w, retain_graph=True)[0][:, 0] for i in range(2)]
    hessian = torch.stack(rows)
    torch.testing.assert_close(hessian, X.T @ X)
    l.backward()
    torch.testing.assert_close(w.grad, X.T @ residuals)
    d2l.sgd([w, b], 0.03, 10)
    assert torch.equal(w.grad, torch.zeros(2, 1)) and torch.equal(b.grad, torch.zeros(1))


def _train_33(loss: nn.Module, lr: float) -> nn.Sequential:
    """§3.3's loop, as printed, on the same unshuffled batches (load_array(..., is_train=False))."""
    torch.manual_seed(0)
    features, labels = d2l.synthetic_data(TRUE_W, TRUE_B, 1000)
    data_iter = d2l.load_array((features, labels), 10, is_train=False)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(2):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
    return net


def test_33_a_summed_loss_with_the_rate_over_the_batch_size_takes_the_means_steps() -> None:
    """Exercise 1 of §3.3: ``nn.MSELoss(reduction='sum')`` with lr / batch_size trains as the mean."""
    mean = _train_33(nn.MSELoss(), 0.03)
    summed = _train_33(nn.MSELoss(reduction="sum"), 0.03 / 10)
    for a, b in zip(mean.parameters(), summed.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(mean[0].weight.data.reshape(-1), TRUE_W, rtol=0, atol=0.01)
    assert mean[0].weight.grad.shape == (1, 2)  # exercise 3: the gradient, read back


def test_33_the_huber_loss_trains_too() -> None:
    """Exercise 2 of §3.3: ``nn.HuberLoss()`` in place of the squared loss."""
    net = _train_33(nn.HuberLoss(), 0.3)
    torch.testing.assert_close(net[0].weight.data.reshape(-1), TRUE_W, rtol=0, atol=0.01)


def _batches(seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(70, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (70,), generator=g)
    return [(X[i : i + 16], y[i : i + 16]) for i in range(0, 70, 16)]


def _net(extra: tuple[nn.Module, ...] = ()) -> nn.Sequential:
    torch.manual_seed(3)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3), *extra)
    nn.init.normal_(net[1].weight, std=0.5)
    return net


def _books_epoch(
    net: nn.Module,
    batches: Any,
    loss: Callable[..., torch.Tensor],
    updater: torch.optim.Optimizer,
) -> tuple[float, float]:
    """The book's ``train_epoch_ch3`` (d2l 0.17.6) with an optimizer, as printed."""
    net.train()
    total = correct = count = 0.0
    for X, y in batches:
        y_hat = net(X)
        l = loss(y_hat, y)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
        total += float(l.detach().sum())
        correct += float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())
        count += y.numel()
    return total / count, correct / count


OPTIMIZERS: dict[str, Callable[[Any], torch.optim.Optimizer]] = {
    "Adam": lambda params: torch.optim.Adam(params, lr=0.01),
    "SGD with weight decay": lambda params: torch.optim.SGD(params, lr=0.1, weight_decay=1e-3),
    "SGD with momentum": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_37_another_optimizer_takes_the_books_steps(name: str) -> None:
    """Exercise 1 of §3.7 (other hyperparameters): an optimizer with state of its own, stepped by
    linearnets' loop, takes the book's steps and reports its numbers, over 3 epochs."""
    ours, theirs = _net(), _net()
    our_opt, their_opt = OPTIMIZERS[name](ours.parameters()), OPTIMIZERS[name](theirs.parameters())
    loss = nn.CrossEntropyLoss(reduction="none")
    for _ in range(3):
        got = d2l.train_epoch_ch3(ours, _batches(), loss, our_opt)
        expected = _books_epoch(theirs, _batches(), loss, their_opt)
        assert got == pytest.approx(expected, rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_37_an_extra_softmax_trains_as_the_books_and_warns() -> None:
    """The learner's mistake, ``nn.Softmax`` after the ``nn.Linear`` with ``nn.CrossEntropyLoss``:
    it trains as in the book (the same steps and numbers), with a warning naming the mistake."""
    ours, theirs = _net((nn.Softmax(dim=1),)), _net((nn.Softmax(dim=1),))
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.warns(DoubleSoftmaxWarning, match=r"softmax applied twice"):
        got = d2l.train_epoch_ch3(
            ours, _batches(), loss, torch.optim.SGD(ours.parameters(), lr=0.1)
        )
    expected = _books_epoch(theirs, _batches(), loss, torch.optim.SGD(theirs.parameters(), lr=0.1))
    assert got == pytest.approx(expected, rel=1e-6)


def _train_ch3(names: dict[str, Any], num_epochs: int) -> None:
    """The book's §3.6 call, ``train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs,
    updater)``, on the names its code defined."""
    d2l.train_ch3(
        names["net"],
        names["train_iter"],
        names["test_iter"],
        names["cross_entropy"],
        num_epochs,
        names["updater"],
    )


@needs_data
def test_36_the_books_model_at_lr_1_stops_with_the_divergence_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """§3.6 at lr = 1: the book's ``cross_entropy`` reaches -log(0) = inf within the first epoch, and
    its update writes NaN into W. The book's loop trains on (a loss of nan, an accuracy of 0.1) until
    ``train_ch3``'s closing assert fails; ours stops in the first epoch, saying why."""
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    names: dict[str, Any] = {"torch": torch, "d2l": d2l}
    exec(SOFTMAX_SCRATCH_MODEL + SOFTMAX_SCRATCH_UPDATER.replace("lr = 0.1", "lr = 1"), names)
    with pytest.raises(DivergenceError, match=r"the model's scores hold NaN.* they first did at batch \d+ of train_iter in epoch 1, on all 256 of its examples, .*: either batch \d+'s features X hold NaN or inf .*, or an update made the weights NaN or inf, as a learning rate too large does, or the model's computation overflowed on them .*; torch\.isfinite\(X\)\.all\(\) on batch \d+'s features tells the first from the others"):  # fmt: skip
        _train_ch3(names, 2)
    assert not bool(torch.isfinite(names["W"]).all())


@needs_data
def test_36_the_books_model_trains_in_double_precision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """§3.6 exercise 3 tried with float64 (its exp overflows past 709, not 88): after
    ``torch.set_default_dtype(torch.float64)`` the book's W, b and, through ``ToTensor``, its
    images are float64, and the model trains; the batches were float32, a dtype error at once."""
    monkeypatch.chdir(tmp_path)
    before = torch.get_default_dtype()
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float64)
    try:
        names: dict[str, Any] = {"torch": torch, "d2l": d2l}
        exec(SOFTMAX_SCRATCH_MODEL + SOFTMAX_SCRATCH_UPDATER, names)
        X, _ = next(iter(names["test_iter"]))
        _train_ch3(names, 1)
        accuracy = d2l.evaluate_accuracy(names["net"], names["test_iter"])
    finally:
        torch.set_default_dtype(before)
    assert X.dtype == names["W"].dtype == torch.float64
    assert accuracy > 0.7
