"""The shared training loop (D2L §3.6.6): updates, loss means, modes, callbacks, history, resuming."""

from __future__ import annotations

import copy
import math
import pickle
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.metrics import accuracy
from linearnets.models.concise import linreg_concise, softmax_concise
from linearnets.models.factory import build_softmax
from linearnets.models.scratch import (
    SGD,
    LinearRegressionScratch,
    SoftmaxRegressionScratch,
    cross_entropy,
    cross_entropy_logits,
    squared_loss,
)
from linearnets.training.callbacks import Callback
from linearnets.training.distributed import DistContext
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import (
    EpochMetrics,
    History,
    evaluate,
    evaluate_accuracy,
    fit,
    train_epoch,
)
from linearnets.training.loss_kinds import Loss

Batch = tuple[torch.Tensor, torch.Tensor]


def _batches(X: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[Batch]:
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]


class NoUpdate:
    """An updater that never moves the parameters, so every batch sees the same model."""

    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        pass


class ModeRecorder(nn.Module):
    """A linear classifier that records ``self.training`` on every forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.modes: list[bool] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return self.linear(X)


def _classification(gen: torch.Generator, n: int = 10, batch_size: int = 4) -> list[Batch]:
    return _batches(
        torch.randn(n, 3, generator=gen), torch.randint(0, 2, (n,), generator=gen), batch_size
    )


def _regression(gen: torch.Generator, n: int = 10, batch_size: int = 4) -> list[Batch]:
    return _batches(torch.randn(n, 2, generator=gen), torch.randn(n, 1, generator=gen), batch_size)


# --- one step, by hand ---------------------------------------------------------------------------

# X = [[1, 2], [3, 4]], y = [1, 2], w = 0, b = 0, lr 0.1. Residuals r = ŷ − y = [−1, −2].
# Squared loss ½r²: losses [0.5, 2], mean 1.25; ∂mean/∂w = Xᵀr / 2 = [−3.5, −5], ∂/∂b = mean(r) = −1.5,
# so w ← [0.35, 0.5], b ← 0.15. MSELoss (no ½, already a mean) doubles loss and gradient.
X_HAND = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
Y_HAND = torch.tensor([[1.0], [2.0]])


def _scratch(analytic: bool) -> tuple[Any, Callable[[Any], torch.Tensor], Any]:
    net = LinearRegressionScratch(2, sigma=0.0, analytic=analytic)
    return net, lambda n: torch.cat([n.w.reshape(-1), n.b]), SGD(net.parameters(), lr=0.1)


def _concise() -> tuple[Any, Callable[[Any], torch.Tensor], Any]:
    net = linreg_concise(2)
    with torch.no_grad():
        net[0].weight.zero_()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    return net, lambda n: torch.cat([n[0].weight.reshape(-1), n[0].bias]), opt


@pytest.mark.parametrize(
    "make,loss,expected_params,expected_loss",
    [
        (lambda: _scratch(False), squared_loss, [0.35, 0.5, 0.15], 1.25),
        (lambda: _scratch(True), squared_loss, [0.35, 0.5, 0.15], 1.25),
        (_concise, squared_loss, [0.35, 0.5, 0.15], 1.25),
        (_concise, nn.MSELoss(), [0.7, 1.0, 0.3], 2.5),  # a mean-reduced loss
        (_concise, nn.MSELoss(reduction="none"), [0.7, 1.0, 0.3], 2.5),
    ],
    ids=["scratch", "scratch-analytic", "concise", "concise-mse-mean", "concise-mse-none"],
)
def test_one_step_on_a_known_quadratic(  # type: ignore[no-untyped-def]
    make, loss, expected_params: list[float], expected_loss: float
) -> None:
    net, params, updater = make()
    mean_loss, acc = train_epoch(net, [(X_HAND, Y_HAND)], loss, updater)
    assert mean_loss == pytest.approx(expected_loss)
    assert acc is None
    torch.testing.assert_close(params(net).detach(), torch.tensor(expected_params))


# --- means over a short last batch ---------------------------------------------------------------


@pytest.mark.parametrize(
    "loss,whole",
    [
        (squared_loss, lambda y_hat, y: squared_loss(y_hat, y).mean()),
        (nn.MSELoss(), F.mse_loss),  # reduced to a batch mean: must still count once per example
    ],
    ids=["per-example", "batch-mean"],
)
def test_loss_mean_weights_every_example_once(  # type: ignore[no-untyped-def]
    loss, whole, gen: torch.Generator
) -> None:
    X, y = torch.randn(10, 2, generator=gen), torch.randn(10, 1, generator=gen)
    batches = _batches(X, y, 4)  # 4, 4, 2
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    net = LinearRegressionScratch(2, sigma=1.0, generator=gen)
    expected = whole(net(X), y).item()
    assert evaluate(net, batches, loss)[0] == pytest.approx(expected, rel=1e-6)
    assert train_epoch(net, batches, loss, NoUpdate())[0] == pytest.approx(expected, rel=1e-6)
    batch_means = [whole(net(Xb), yb).item() for Xb, yb in batches]
    assert sum(batch_means) / 3 != pytest.approx(expected, rel=1e-3)  # the naive mean is wrong


@pytest.mark.parametrize(
    "num_examples,batch_size,num_classes",
    [
        (1000, 3, 10),  # 334 steps: several reductions at the step bound, a short last batch
        (40000, 3000, 4),  # 14 steps of 3000 rows: reductions at the row bound
        (6000, 500, 1000),  # 12 steps of 500 000 outputs: a reduction every few steps (value bound)
    ],
    ids=["many-steps", "many-rows", "many-values"],
)
def test_epoch_metrics_are_exact_however_the_steps_are_grouped(
    num_examples: int, batch_size: int, num_classes: int, gen: torch.Generator
) -> None:
    # the loop folds its per-step metrics in groups; the result must be that of the whole set
    X = torch.randn(num_examples, 5, generator=gen)
    y = torch.randint(0, num_classes, (num_examples,), generator=gen)
    net = nn.Linear(5, num_classes)
    batches = _batches(X, y, batch_size)
    with torch.no_grad():
        O = net(X)
    expected_loss = F.cross_entropy(O.double(), y).item()
    expected_acc = (O.argmax(dim=1) == y).double().mean().item()
    loss = nn.CrossEntropyLoss(reduction="none")
    for mean_loss, acc in (
        evaluate(net, batches, loss),
        train_epoch(net, batches, loss, NoUpdate()),
        train_epoch(net, batches, nn.CrossEntropyLoss(), NoUpdate()),  # batch means, reweighted
    ):
        assert mean_loss == pytest.approx(expected_loss, rel=1e-5)
        assert acc == pytest.approx(expected_acc, abs=1e-12)


def test_losses_of_mixed_shapes_are_each_counted_once_per_example(gen: torch.Generator) -> None:
    # the stash keeps each step's losses as they come: (B,), (B, 1) and batch means may all appear
    X, y = torch.randn(30, 2, generator=gen), torch.randn(30, 1, generator=gen)
    net = LinearRegressionScratch(2, sigma=1.0, generator=gen)
    shapes = iter(["column", "flat", "mean"] * 4)

    def shifting_loss(y_hat: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        l = squared_loss(y_hat, target)  # (B, 1)
        shape = next(shapes)
        return l if shape == "column" else l.reshape(-1) if shape == "flat" else l.mean()

    expected = squared_loss(net(X), y).mean().item()
    mean_loss, _ = evaluate(net, _batches(X, y, 4), shifting_loss)  # 8 steps, the last of 2 rows
    assert mean_loss == pytest.approx(expected, rel=1e-6)


def test_a_mean_loss_trains_as_its_per_example_form(gen: torch.Generator) -> None:
    X, y = torch.randn(30, 2, generator=gen), torch.randn(30, 1, generator=gen)
    runs = []
    for loss in (squared_loss, lambda y_hat, t: squared_loss(y_hat, t).mean()):
        net = LinearRegressionScratch(2, generator=torch.Generator().manual_seed(1))
        mean_loss, _ = train_epoch(net, _batches(X, y, 4), loss, SGD(net.parameters(), lr=0.1))
        runs.append((mean_loss, net.w.detach().clone(), net.b.detach().clone()))
    (l_a, w_a, b_a), (l_b, w_b, b_b) = runs
    assert l_a == pytest.approx(l_b, rel=1e-6)
    torch.testing.assert_close(w_a, w_b, rtol=0, atol=1e-7)
    torch.testing.assert_close(b_a, b_b, rtol=0, atol=1e-7)


def test_analytic_model_falls_back_to_its_backward_with_another_loss(gen: torch.Generator) -> None:
    X = torch.randn(40, 784, generator=gen)
    y = torch.randint(0, 10, (40,), generator=gen)
    nets = [
        SoftmaxRegressionScratch(analytic=True, generator=torch.Generator().manual_seed(1))
        for _ in "ab"
    ]
    wrapped_calls = []

    def wrapped(O: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # not the model's own loss
        wrapped_calls.append(len(target))
        return cross_entropy_logits(O, target)

    fused = train_epoch(
        nets[0], _batches(X, y, 8), cross_entropy_logits, SGD(nets[0].parameters(), lr=0.5)
    )
    plain = train_epoch(nets[1], _batches(X, y, 8), wrapped, SGD(nets[1].parameters(), lr=0.5))
    # the loss given was used, through analytic_backward (and once more on the first batch, to
    # check it gives the model's own loss values)
    assert wrapped_calls == [8] * 6
    assert fused[0] == pytest.approx(plain[0], rel=1e-6) and fused[1] == plain[1]
    torch.testing.assert_close(nets[0].W, nets[1].W)
    torch.testing.assert_close(nets[0].b, nets[1].b)


@pytest.mark.parametrize(
    "loss",
    [
        nn.L1Loss(reduction="none"),
        nn.MSELoss(),  # twice the book's squared loss: twice its gradient
        lambda y_hat, y: 10 * squared_loss(y_hat, y),
    ],
    ids=["L1Loss", "MSELoss", "10x"],
)
def test_an_analytic_model_refuses_a_loss_whose_gradient_it_would_not_apply(
    loss: Any, gen: torch.Generator
) -> None:
    X = torch.randn(40, 3, generator=gen)
    y = X @ torch.tensor([[2.0], [-3.4], [1.0]]) + 4.2
    net = LinearRegressionScratch(3, generator=gen, analytic=True)
    before = net.w.clone()
    with pytest.raises(UsageError, match=r"loss must give the analytic model's own loss \(squared_loss(, reduced to its batch mean or sum)?\).*analytic=False"):  # fmt: skip
        train_epoch(net, [(X, y)], loss, SGD(net.parameters(), lr=0.01))
    assert torch.equal(net.w, before)  # refused before any step


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_an_analytic_softmax_model_trains_on_torchs_cross_entropy_as_on_its_own(
    reduction: str, gen: torch.Generator
) -> None:
    X = torch.randn(40, 784, generator=gen)
    y = torch.randint(0, 10, (40,), generator=gen)
    nets = [SoftmaxRegressionScratch(analytic=True, generator=torch.Generator().manual_seed(1)) for _ in "ab"]  # fmt: skip
    own = train_epoch(nets[0], _batches(X, y, 8), cross_entropy_logits, SGD(nets[0].parameters(), lr=0.5))  # fmt: skip
    torch_ce = nn.CrossEntropyLoss(reduction=reduction)
    theirs = train_epoch(nets[1], _batches(X, y, 8), torch_ce, SGD(nets[1].parameters(), lr=0.5))
    assert own[0] == pytest.approx(theirs[0], rel=1e-5) and own[1] == theirs[1]
    torch.testing.assert_close(nets[0].W, nets[1].W)


def test_a_summed_loss_reports_the_mean_per_example(gen: torch.Generator) -> None:
    """reduction="sum": the book's gradient (the sum's) and the book's report (sum / examples)."""
    X = torch.randn(40, 5, generator=gen)
    y = torch.randint(0, 3, (40,), generator=gen)
    nets = [nn.Linear(5, 3) for _ in "ab"]
    nets[1].load_state_dict(nets[0].state_dict())
    per_example = nn.CrossEntropyLoss(reduction="none")
    with torch.no_grad():
        expected = float(per_example(nets[0](X), y).mean())
    summed, _ = train_epoch(nets[0], [(X, y)], nn.CrossEntropyLoss(reduction="sum"),
                            torch.optim.SGD(nets[0].parameters(), lr=0.01))  # fmt: skip
    assert summed == pytest.approx(expected, rel=1e-6)
    loss, _ = evaluate(nets[1], [(X, y)], nn.CrossEntropyLoss(reduction="sum"))
    assert loss == pytest.approx(expected, rel=1e-6)


# --- modes ---------------------------------------------------------------------------------------


def test_train_epoch_trains_in_train_mode_and_restores_eval(gen: torch.Generator) -> None:
    net = ModeRecorder().eval()
    train_epoch(net, _classification(gen), nn.CrossEntropyLoss(reduction="none"), NoUpdate())
    assert net.modes == [True, True, True]
    assert not net.training


def test_evaluate_runs_in_eval_mode_and_restores_train(gen: torch.Generator) -> None:
    net = ModeRecorder().train()
    evaluate(net, _classification(gen), nn.CrossEntropyLoss(reduction="none"))
    assert net.modes == [False, False, False]
    assert net.training


@pytest.mark.parametrize("start_in_train", [True, False])
def test_modes_are_restored_when_a_batch_fails(start_in_train: bool, gen: torch.Generator) -> None:
    net = ModeRecorder().train(start_in_train)
    batches: list[Any] = [*_classification(gen), (torch.zeros(2, 3),)]  # the last is not a pair
    with pytest.raises(UsageError, match=r"pair \(X, y\)"):
        evaluate(net, batches)
    assert net.training is start_in_train
    with pytest.raises(UsageError, match=r"pair \(X, y\)"):
        train_epoch(net, batches, nn.CrossEntropyLoss(reduction="none"), NoUpdate())
    assert net.training is start_in_train


def test_scratch_models_get_modes_too(gen: torch.Generator) -> None:
    net = LinearRegressionScratch(2)
    evaluate(net, _regression(gen), squared_loss)
    assert net.training
    net.eval()
    train_epoch(net, _regression(gen), squared_loss, NoUpdate())
    assert not net.training


# --- fit -----------------------------------------------------------------------------------------


def test_fit_leaves_accuracies_none_for_float_targets(gen: torch.Generator) -> None:
    net = linreg_concise(2, generator=gen)
    history = fit(
        net,
        _regression(gen),
        squared_loss,
        torch.optim.SGD(net.parameters(), lr=0.03),
        2,
        test_iter=_regression(gen),
    )
    assert history.train_acc == [None, None] and history.test_acc == [None, None]
    assert all(isinstance(m.test_loss, float) for m in history.epochs)


def test_fit_reports_test_loss_and_accuracy_of_the_final_model(gen: torch.Generator) -> None:
    net = softmax_concise(3, 2, generator=gen)
    train, test = _classification(gen, n=30), _classification(gen, n=13, batch_size=5)
    loss = nn.CrossEntropyLoss(reduction="none")
    history = fit(net, train, loss, torch.optim.SGD(net.parameters(), lr=0.5), 3, test_iter=test)
    X = torch.cat([b[0] for b in test])
    y = torch.cat([b[1] for b in test])
    with torch.no_grad():
        O = net(X)
    assert history.last.test_loss == pytest.approx(F.cross_entropy(O, y).item(), rel=1e-6)
    assert history.last.test_acc == pytest.approx(accuracy(O, y))
    assert all(0.0 <= a <= 1.0 for a in history.train_acc if a is not None)
    assert [m.epoch for m in history.epochs] == [1, 2, 3]
    assert all(m.seconds >= 0 for m in history.epochs)


def test_fit_with_train_eval_iter_reports_the_end_of_epoch_loss(gen: torch.Generator) -> None:
    batches = _regression(gen, n=40, batch_size=8)
    nets = [
        LinearRegressionScratch(2, generator=torch.Generator().manual_seed(1)) for _ in range(2)
    ]
    running = fit(nets[0], batches, squared_loss, SGD(nets[0].parameters(), lr=0.1), 1)
    at_end = fit(
        nets[1],
        batches,
        squared_loss,
        SGD(nets[1].parameters(), lr=0.1),
        1,
        train_eval_iter=batches,
    )
    assert torch.equal(nets[0].w, nets[1].w)  # same training either way
    end_loss = evaluate(nets[1], batches, squared_loss)[0]
    assert at_end.train_loss == [pytest.approx(end_loss)]
    assert running.train_loss[0] != pytest.approx(end_loss)  # the running mean saw older weights


class Recorder:
    """A callback logging every hook it receives, with its arguments, into a shared list."""

    def __init__(self, name: str, log: list[tuple[Any, ...]]) -> None:
        self.name, self.log = name, log

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        self.log.append((self.name, "fit_start", num_epochs, start_epoch))

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self.log.append((self.name, "epoch_start", epoch, num_batches))

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        self.log.append((self.name, "batch_end", step, tuple(losses.shape)))

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        self.log.append((self.name, "epoch_end", metrics))

    def on_fit_end(self, *, history: History) -> None:
        self.log.append((self.name, "fit_end", history))


class OnlyEpochEnd:
    """A callback with one hook: the others must simply be skipped."""

    def __init__(self) -> None:
        self.epochs: list[int] = []

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        self.epochs.append(metrics.epoch)


def test_callbacks_are_called_in_order_with_their_arguments(gen: torch.Generator) -> None:
    log: list[tuple[Any, ...]] = []
    net = softmax_concise(3, 2, generator=gen)
    partial = OnlyEpochEnd()
    history = fit(
        net,
        _classification(gen),  # batches of 4, 4, 2
        nn.CrossEntropyLoss(reduction="none"),
        torch.optim.SGD(net.parameters(), lr=0.1),
        2,
        callbacks=[Recorder("a", log), partial, Recorder("b", log)],
        on_step=lambda step, losses: log.append(("on_step", step, tuple(losses.shape))),
    )
    expected: list[tuple[Any, ...]] = [("a", "fit_start", 2, 0), ("b", "fit_start", 2, 0)]
    for epoch in (1, 2):
        expected += [("a", "epoch_start", epoch, 3), ("b", "epoch_start", epoch, 3)]
        for step, size in enumerate((4, 4, 2)):
            expected += [
                ("on_step", step, (size,)),
                ("a", "batch_end", step, (size,)),
                ("b", "batch_end", step, (size,)),
            ]
        metrics = history.epochs[epoch - 1]
        expected += [("a", "epoch_end", metrics), ("b", "epoch_end", metrics)]
    expected += [("a", "fit_end", history), ("b", "fit_end", history)]
    assert log == expected
    assert partial.epochs == [1, 2]


class Unsized:
    """A re-iterable batch source with no ``len``."""

    def __init__(self, batches: list[Batch]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.batches)


def test_unsized_iterators_report_no_batch_count(gen: torch.Generator) -> None:
    log: list[tuple[Any, ...]] = []
    net = LinearRegressionScratch(2)
    fit(
        net,
        Unsized(_regression(gen)),
        squared_loss,
        SGD(net.parameters(), lr=0.1),
        1,
        callbacks=[Recorder("a", log)],
    )
    assert ("a", "epoch_start", 1, None) in log


def test_on_step_sees_each_batch_once_with_its_losses(gen: torch.Generator) -> None:
    seen: list[tuple[int, torch.Tensor]] = []
    batches = _classification(gen, n=11, batch_size=4)
    net = softmax_concise(3, 2, generator=gen)
    train_loss, _ = train_epoch(
        net,
        batches,
        nn.CrossEntropyLoss(reduction="none"),
        torch.optim.SGD(net.parameters(), lr=0.1),
        on_step=lambda step, losses: seen.append((step, losses)),
    )
    assert [step for step, _ in seen] == [0, 1, 2]
    assert [tuple(l.shape) for _, l in seen] == [(4,), (4,), (3,)]
    assert not any(l.requires_grad for _, l in seen)
    assert sum(l.sum().item() for _, l in seen) / 11 == pytest.approx(train_loss)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_on_step_sees_a_reduced_loss_as_one_value_per_example(
    gen: torch.Generator, reduction: str
) -> None:
    """A 0-d batch mean reaches the hook repeated B times, a batch sum shared out: B values that
    add up to the batch's summed loss, as the per-example losses would."""
    seen: list[torch.Tensor] = []
    batches = _classification(gen, n=11, batch_size=4)
    net = softmax_concise(3, 2, generator=gen)
    train_epoch(
        net,
        batches,
        nn.CrossEntropyLoss(reduction=reduction),
        NoUpdate(),  # the model stays as it is, so the oracle below sees the same outputs
        on_step=lambda step, losses: seen.append(losses),
    )
    with torch.no_grad():
        per_batch = [F.cross_entropy(net(X), y, reduction="sum") for X, y in batches]
    assert [tuple(l.shape) for l in seen] == [(4,), (4,), (3,)]
    for l, total, (_, y) in zip(seen, per_batch, batches, strict=True):
        torch.testing.assert_close(l, (total / len(y)).expand(len(y)))


class _ReleaseChecker:
    """Yields (X, y) batches and records, at each request, whether the previous X is still alive."""

    def __init__(self, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.batches = batches
        self.alive: list[bool] = []

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        previous: weakref.ref[torch.Tensor] | None = None
        for X, y in self.batches:
            if previous is not None:
                self.alive.append(previous() is not None)
            X = X.clone()  # a tensor only the loop holds once yielded
            previous = weakref.ref(X)
            yield X, y
            del X


@pytest.mark.parametrize("impl", ["concise", "scratch", "analytic"])
def test_the_loop_lets_go_of_each_batch_before_asking_for_the_next(
    impl: str, gen: torch.Generator
) -> None:
    # so the allocator can hand the next batch the block just freed, still in cache
    setup = build_softmax(impl, num_inputs=3, num_outputs=2, lr=0.1, generator=gen)
    batches = _ReleaseChecker(_classification(gen, n=11, batch_size=4))
    train_epoch(setup.net, batches, setup.loss, setup.updater)
    assert batches.alive == [False, False]
    evaluate(setup.net, batches, setup.loss)
    assert batches.alive == [False] * 4


def test_history_properties() -> None:
    history = History()
    history.epochs += [
        EpochMetrics(1, 0.9, 0.5, 0.8, 0.55, 1.0),
        EpochMetrics(2, 0.7, 0.6, 0.6, None, 2.0),
    ]
    assert history.train_loss == [0.9, 0.7]
    assert history.train_acc == [0.5, 0.6]
    assert history.test_acc == [0.55, None]
    assert history.last.epoch == 2
    assert history.last.as_dict() == {
        "epoch": 2,
        "train_loss": 0.7,
        "train_acc": 0.6,
        "test_loss": 0.6,
        "test_acc": None,
        "seconds": 2.0,
    }


def test_start_epoch_resumes_the_numbering(gen: torch.Generator) -> None:
    batches = _regression(gen)
    net = LinearRegressionScratch(2, generator=gen)
    updater = SGD(net.parameters(), lr=0.1)
    history = fit(net, batches, squared_loss, updater, 2)
    log: list[tuple[Any, ...]] = []
    resumed = fit(
        net,
        batches,
        squared_loss,
        updater,
        4,
        start_epoch=2,
        history=history,
        callbacks=[Recorder("a", log)],
    )
    assert resumed is history
    assert [m.epoch for m in history.epochs] == [1, 2, 3, 4]
    assert log[0] == ("a", "fit_start", 4, 2)
    assert [entry[2] for entry in log if entry[1] == "epoch_start"] == [3, 4]
    # resuming at the end runs nothing but still opens and closes the run
    log.clear()
    fit(
        net,
        batches,
        squared_loss,
        updater,
        4,
        start_epoch=4,
        history=history,
        callbacks=[Recorder("a", log)],
    )
    assert [entry[1] for entry in log] == ["fit_start", "fit_end"]
    assert len(history.epochs) == 4


# --- bad input, as data --------------------------------------------------------------------------


def _net() -> LinearRegressionScratch:
    return LinearRegressionScratch(2)


def _ok() -> list[Batch]:
    return [(torch.zeros(3, 2), torch.zeros(3, 1))]


BAD_INPUT = [
    (
        lambda: train_epoch(_net(), [], squared_loss, NoUpdate()),
        r"train_iter must yield at least one example, got none",
    ),
    (lambda: evaluate(_net(), [], squared_loss), r"data_iter must yield at least one example"),
    (
        lambda: train_epoch(
            _net(), [(torch.zeros(0, 2), torch.zeros(0, 1))], squared_loss, NoUpdate()
        ),
        r"^train_iter's batch 1 is empty \(0 rows\): each batch must hold at least one example",
    ),
    (
        lambda: evaluate(_net(), [(torch.zeros(0, 2), torch.zeros(0, 1))], squared_loss),
        r"^data_iter's batch 1 is empty \(0 rows\)",
    ),
    (
        lambda: train_epoch(_net(), [(torch.zeros(3, 2),)], squared_loss, NoUpdate()),
        r"each batch must be a pair \(X, y\), got tuple of length 1",
    ),
    (
        lambda: evaluate(_net(), [[torch.zeros(3, 2), torch.zeros(3, 1), torch.zeros(3)]]),
        r"pair \(X, y\), got list of length 3",
    ),
    (
        lambda: evaluate(_net(), [torch.zeros(2, 3, 2)]),  # a tensor, not a pair
        r"pair \(X, y\), got Tensor",
    ),
    (
        lambda: fit(_net(), _ok(), squared_loss, NoUpdate(), 0),
        r"num_epochs must be a positive integer \(>= 1\), got 0",
    ),
    (
        lambda: fit(_net(), _ok(), squared_loss, NoUpdate(), 2, start_epoch=3),
        r"^start_epoch must be in \[0, num_epochs=2\], the number of epochs already done \(fit runs "
        r"epochs start_epoch \+ 1 to num_epochs\), got 3; num_epochs is the last epoch to run, not "
        r"the number of epochs more: for 2 more after the 3 done pass num_epochs=5$",
    ),
    (
        lambda: fit(_net(), _ok(), squared_loss, NoUpdate(), 2, start_epoch=-1),
        r"^start_epoch must be in \[0, num_epochs=2\], .* got -1; pass start_epoch=0 for a new run",
    ),
    (
        lambda: evaluate_accuracy(_net(), _ok()),
        r"^data_iter must yield integer class labels y for evaluate_accuracy, got a tensor of "
        r"shape \(3, 1\) and dtype torch\.float32 in its first batch: accuracy counts a "
        r"classifier's right classes; for class labels stored as a float column \(B, 1\) pass "
        r"y\.squeeze\(1\)\.long\(\); for a regression measure the loss instead, "
        r"evaluate\(net, data_iter, loss\)$",
    ),
    (lambda: History().last, r"history is empty"),
]


@pytest.mark.parametrize("call,pattern", BAD_INPUT)
def test_bad_input(call, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=pattern):
        call()


def test_fit_rejects_a_non_integer_num_epochs() -> None:
    with pytest.raises(TypeError, match=r"num_epochs must be a positive integer, got 2.5"):
        fit(_net(), _ok(), squared_loss, NoUpdate(), 2.5)  # type: ignore[arg-type]


def test_regression_targets_that_would_broadcast_in_the_loss_are_refused(
    gen: torch.Generator,
) -> None:
    X = torch.randn(20, 2, generator=gen)
    y = X @ torch.tensor([2.0, -3.4]) + 4.2  # (20,): nn.Linear(2, 1) outputs (20, 1)
    net = nn.Linear(2, 1)
    with pytest.raises(UsageError, match=r"targets y must have the model's output shape \(20, 1\), got \(20,\), which would broadcast to \(20, 20\)"):  # fmt: skip
        train_epoch(net, [(X, y)], nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03))
    with pytest.raises(UsageError, match="would broadcast"):
        evaluate(net, [(X, y)], nn.MSELoss())
    train_epoch(net, [(X, y.reshape(-1, 1))], nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03))  # fmt: skip


def test_the_books_squared_loss_reshapes_the_targets_itself(gen: torch.Generator) -> None:
    """linreg with the book's 1-d w outputs (B,); squared_loss reshapes y (B, 1) to it."""
    X = torch.randn(20, 2, generator=gen)
    y = (X @ torch.tensor([2.0, -3.4]) + 4.2).reshape(-1, 1)
    w = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    loss, _ = train_epoch(lambda X: X @ w + b, [(X, y)], squared_loss, SGD([w, b], lr=0.03))
    assert loss == pytest.approx(float((y**2 / 2).mean()), rel=1e-6)


def test_regression_targets_with_fewer_columns_than_outputs_are_refused(
    gen: torch.Generator,
) -> None:
    """(B, 1) targets against (B, 3) outputs broadcast to the outputs' shape: still refused."""
    X = torch.randn(20, 2, generator=gen)
    y = torch.randn(20, 1, generator=gen)
    net = nn.Linear(2, 3)
    with pytest.raises(UsageError, match=r"model's output shape \(20, 3\), got \(20, 1\), which would broadcast to \(20, 3\)"):  # fmt: skip
        train_epoch(net, [(X, y)], nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03))
    with pytest.raises(UsageError, match="would broadcast"):
        evaluate(net, [(X, y)], nn.MSELoss())


def test_an_analytic_softmax_model_refuses_label_smoothed_cross_entropy(
    gen: torch.Generator,
) -> None:
    """Smoothing changes each example's loss by a few hundredths: not the model's own loss."""
    X = torch.randn(40, 784, generator=gen)
    y = torch.randint(0, 10, (40,), generator=gen)
    net = SoftmaxRegressionScratch(analytic=True, generator=gen)
    smoothed = nn.CrossEntropyLoss(reduction="none", label_smoothing=0.1)
    with torch.no_grad():
        gap = (smoothed(net(X), y) - cross_entropy_logits(net(X), y)).abs().max()
    assert gap > 1e-2  # far beyond the check's tolerance (1e-4 relative)
    before = net.W.clone()
    with pytest.raises(UsageError, match=r"loss must give the analytic model's own loss"):
        train_epoch(net, [(X, y)], smoothed, SGD(net.parameters(), lr=0.1))
    assert torch.equal(net.W, before)


def test_each_epochs_seconds_cover_its_steps(gen: torch.Generator) -> None:
    import time

    X = torch.randn(12, 2, generator=gen)
    y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2
    net = LinearRegressionScratch(2, generator=gen)
    start = time.perf_counter()
    history = fit(
        net,
        _batches(X, y, 4),
        squared_loss,
        SGD(net.parameters(), lr=0.03),
        2,
        on_step=lambda step, losses: time.sleep(0.01),
    )
    elapsed = time.perf_counter() - start
    assert all(m.seconds >= 0.03 for m in history.epochs)  # 3 steps of >= 10 ms each
    assert sum(m.seconds for m in history.epochs) <= elapsed


def test_scores_with_fewer_rows_than_labels_are_refused() -> None:
    """One row of scores for four labels would broadcast and count every label against it."""
    y = torch.tensor([0, 0, 1, 0])
    with pytest.raises(UsageError, match=r"scores of shape \(B, C\), one row per label, got shape \(1, 2\) for 4 labels"):  # fmt: skip
        evaluate_accuracy(lambda X: torch.tensor([[1.0, 0.0]]), [(torch.zeros(4, 3), y)])


@pytest.mark.parametrize("examples", [3, 4])
def test_scores_transposed_are_refused_as_transposed(examples: int) -> None:
    """Scores (C, B), one column per example, whose rows are no multiple of the examples: (10, 4)
    was "the model made 2 rows of each example ... check the image size (resize)", (10, 3)
    "3 rows"."""
    y = torch.zeros(examples, dtype=torch.int64)
    with pytest.raises(UsageError) as info:
        evaluate_accuracy(lambda X: torch.zeros(10, X.shape[0]), [(torch.zeros(examples, 3), y)])
    assert str(info.value) == (
        "a classifier's output must be scores of shape (B, C), one row per label, got shape "
        f"(10, {examples}) for {examples} labels; the output is transposed, (C, B) with one "
        f"column per example: return it as (B, C) = ({examples}, 10), e.g. o.T for the output "
        "o, or check the matmul order (X @ W, with X of shape (B, d) and W (d, C))"
    )


def test_rows_made_of_each_rgb_image_are_not_called_only_transposed() -> None:
    """Linear(784, 10) on RGB images' reshape(-1, 784): (30, 10) for 10 examples, 3 rows of each.
    It was told "the output is transposed ... return it as (B, C) = (10, 30), e.g. o.T", and o.T
    trains a 30-class model on it silently; both causes are named, fit's, evaluate_accuracy's and
    predict_labels' alike."""
    from linearnets.inference import predict_labels

    lin = nn.Linear(784, 10)
    net = lambda X: lin(X.reshape(-1, 784))  # noqa: E731
    X, y = torch.zeros(10, 3, 28, 28), torch.zeros(10, dtype=torch.int64)
    fix = (
        "either, if the model has 10 classes, it made 3 rows of each example, as X.reshape(-1, d) "
        "does with 3·d values per example: check the image size (resize) and channels (3 for RGB) "
        "match the model's input; or, if it has 30 classes, the output is transposed, (C, B) with "
        "one column per example: return it as (B, C) = (10, 30), e.g. o.T for the output o, or "
        "check the matmul order (X @ W, with X of shape (B, d) and W (d, C))"
    )
    loss = nn.CrossEntropyLoss(reduction="none")
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    with pytest.raises(UsageError) as info:
        fit(net, [(X, y)], loss, opt, 1)
    assert str(info.value) == (
        f"y must hold one label per row of the model's output: the output has shape (30, 10), y "
        f"has 10 rows; {fix}"
    )
    with pytest.raises(UsageError) as info:
        evaluate_accuracy(net, [(X, y)])
    assert str(info.value) == (
        "a classifier's output must be scores of shape (B, C), one row per label, got shape "
        f"(30, 10) for 10 labels; {fix}"
    )
    with pytest.raises(UsageError) as info:
        predict_labels(net, X)
    assert str(info.value) == (
        "the model (net) must return one row of class scores per example to predict labels, got "
        f"shape (30, 10) for 10 examples; {fix}"
    )


# --- class labels that do not fit torch's cross-entropy (the README's quick-start setup) -------

_B = 6
_LABELS = torch.tensor([8, 0, 3, 9, 1, 5])

BAD_LABELS = [
    (
        _LABELS.float(),
        r"y must be an integer tensor of class indices, got a tensor of shape \(6,\) and dtype "
        r"torch\.float32; use y\.long\(\)",
        RuntimeError,
    ),
    (
        _LABELS[:, None],
        r"y must be 1-dimensional \(B,\), got a tensor of shape \(6, 1\).*use y\.reshape\(-1\)",
        RuntimeError,
    ),
    (
        _LABELS.float()[:, None],  # not refused before the loss as regression targets would be
        r"y must be class indices of shape \(6,\) and an integer dtype.*got a tensor of shape "
        r"\(6, 1\) and dtype torch\.float32; use y\.reshape\(-1\)\.long\(\)",
        RuntimeError,
    ),
    (
        _LABELS + 10,
        r"y must hold class indices in \[0, 10\) for the model's 10 outputs, got 19; relabel the "
        r"classes 0\.\.9",
        IndexError,
    ),
    (
        _LABELS - 1,
        r"y must hold class indices in \[0, 10\).*got -1; relabel the classes 0\.\.9",
        IndexError,
    ),
    (
        F.one_hot(_LABELS, 10),
        r"y must be class indices of shape \(6,\), or float class probabilities.*\(one-hot "
        r"labels\?\); use y\.argmax\(dim=1\)",
        RuntimeError,
    ),
    (
        _LABELS.int(),
        r"y must be int64 class indices for CrossEntropyLoss, got .*torch\.int32; use y\.long\(\)",
        RuntimeError,
    ),
]
BAD_LABELS += [
    (
        _LABELS.to(dtype),
        r"y must be class indices of a signed integer dtype or uint8 \(torch has no arithmetic "
        rf"for uint16/uint32/uint64\), got a tensor of shape \(6,\) and dtype torch\.{name}; use "
        r"y\.long\(\)",
        RuntimeError,
    )
    for name, dtype in [
        ("uint16", torch.uint16),
        ("uint32", torch.uint32),
        ("uint64", torch.uint64),
    ]
]
BAD_LABEL_IDS = ["float", "column", "float-column", "above-C", "negative", "one-hot", "int32"]
BAD_LABEL_IDS += ["uint16", "uint32", "uint64"]


def _images(gen: torch.Generator) -> torch.Tensor:
    return torch.randn(_B, 1, 28, 28, generator=gen)


@pytest.mark.parametrize("y,pattern,cause", BAD_LABELS, ids=BAD_LABEL_IDS)
def test_fit_with_torch_cross_entropy_explains_bad_labels(  # type: ignore[no-untyped-def]
    y, pattern, cause, gen: torch.Generator
) -> None:
    net = softmax_concise(generator=gen)
    before = [p.detach().clone() for p in net.parameters()]
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(UsageError, match=pattern) as info:
        fit(net, [(_images(gen), y)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    # raised alone: torch's own error is kept as its context, not shown before it
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, cause)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.parametrize("y,pattern,cause", BAD_LABELS, ids=BAD_LABEL_IDS)
def test_evaluate_with_torch_cross_entropy_explains_bad_labels(  # type: ignore[no-untyped-def]
    y, pattern, cause, gen: torch.Generator
) -> None:
    net = softmax_concise(generator=gen)
    with pytest.raises(UsageError, match=pattern) as info:
        evaluate(net, [(_images(gen), y)], nn.CrossEntropyLoss(reduction="none"))
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, cause)


# --- a model of one output trained or scored as a classifier -------------------------------------

_ONE_X = torch.randn(300, 5, generator=torch.Generator().manual_seed(0))
_ONE_Y = _ONE_X[:, :3].argmax(1)  # classes 0..2
_ONE_OUTPUT = (
    r"^y must hold class indices in \[0, 1\) for the model's 1 output, got 2; give the model one "
    r"output per class, e.g\. nn\.Linear\(d, 3\) for classes 0\.\.2$"
)


def _one_batches(y: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(_ONE_X[i : i + 32], y[i : i + 32]) for i in range(0, len(y), 32)]


def _one_output_net(log_softmax: bool) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 1), nn.LogSoftmax(dim=1)) if log_softmax else nn.Linear(5, 1)


def test_the_whole_data_as_a_pair_of_tensors_is_told_to_take_load_array() -> None:
    """(X, y) iterates as X, then y (the oracle): no (X, y) batch; the fix is batches of them."""
    X, y = _ONE_X, _ONE_Y
    assert next(iter((X, y))) is X  # the oracle: the pair yields X first, no (X, y) batch
    whole = r"got the whole data as a pair of tensors \(X of shape \(300, 5\), y of shape \(300,\)\), which would yield X, then y; pass ln\.load_array\(\(X, y\), batch_size"  # fmt: skip
    net = nn.Linear(5, 3)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(UsageError, match=rf"^train_iter must be an iterable of \(X, y\) batches, {whole}\), or a DataLoader of TensorDataset\(X, y\)$"):  # fmt: skip
        fit(net, (X, y), loss, optimizer, 1)
    with pytest.raises(UsageError, match=rf"^train_iter must be .*{whole}\)"):
        train_epoch(net, [X, y], loss, optimizer)
    with pytest.raises(UsageError, match=rf"^test_iter must be .*{whole}, is_train=False\)"):
        fit(net, _one_batches(y), loss, optimizer, 1, test_iter=(X, y))
    with pytest.raises(UsageError, match=rf"^data_iter must be .*{whole}, is_train=False\)"):
        evaluate(net, (X, y), loss)
    import linearnets as ln

    history = fit(net, ln.load_array((X, y), 32), loss, optimizer, 1)  # the fix
    assert len(history.epochs) == 1


_DROP_EMPTY = (
    "each batch must hold at least one example; drop the empty batches: slice the data only up to "
    "its end, [(X[i:i + b], y[i:i + b]) for i in range(0, len(X), b)], or pass "
    "ln.load_array((X, y), b), which yields none"
)


def test_an_empty_batch_is_named_by_its_iterator_batch_and_epoch_with_the_fix() -> None:
    import linearnets as ln
    from linearnets import d2l

    torch.manual_seed(0)
    X, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    net = ln.SoftmaxRegressionScratch(4, 3)
    batches = [(X, y), (X[:0], y[:0])]
    with pytest.raises(UsageError) as info:
        ln.fit(net, batches, ln.cross_entropy_logits, ln.SGD(net.parameters(), 0.1), 2)
    assert str(info.value) == f"train_iter's batch 2 of epoch 1 is empty (0 rows): {_DROP_EMPTY}"
    with pytest.raises(UsageError) as info:
        ln.fit(net, [(X, y)], ln.cross_entropy_logits, ln.SGD(net.parameters(), 0.1), 3,
               test_iter=[(X, y), (X, y), (X[:0], y[:0])])  # fmt: skip
    assert str(info.value) == f"test_iter's batch 3 of epoch 1 is empty (0 rows): {_DROP_EMPTY}"
    with pytest.raises(UsageError) as info:
        d2l.train_epoch_ch3(net, batches, ln.cross_entropy_logits, ln.SGD(net.parameters(), 0.1))
    book = _DROP_EMPTY.replace("ln.load_array", "d2l.load_array")  # a d2l session has no ln
    assert str(info.value) == f"train_iter's batch 2 is empty (0 rows): {book}"
    # train_ch3's own test_iter, which it hands to evaluate_accuracy: it was told as data_iter's
    with pytest.raises(UsageError) as info:
        d2l.train_ch3(net, [(X, y)], [(X, y), (X[:0], y[:0])], ln.cross_entropy_logits, 1,
                      ln.SGD(net.parameters(), 0.1))  # fmt: skip
    assert str(info.value) == f"test_iter's batch 2 of epoch 1 is empty (0 rows): {book}"
    b = 3  # the fix: slices up to the data's end only, none of them empty
    fixed = [(X[i : i + b], y[i : i + b]) for i in range(0, len(X), b)]
    assert [len(t) for _, t in fixed] == [3, 3, 2]
    ln.fit(net, fixed, ln.cross_entropy_logits, ln.SGD(net.parameters(), 0.1), 1)


def test_the_features_alone_as_one_tensor_are_told_to_take_load_array() -> None:
    """X iterates as its rows (the oracle): no (X, y) batch, no labels; the fix is batches of
    (X, y)."""
    from linearnets import evaluate_accuracy, load_array

    X, y = _ONE_X[:20], _ONE_Y[:20]
    assert next(iter(X)).shape == (5,)  # the oracle: one row, no pair
    got = r"got a tensor of shape \(20, 5\), which would yield its rows one at a time, with no labels; pass ln\.load_array\(\(X, y\), batch_size"  # fmt: skip
    net = nn.Linear(5, 3)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(UsageTypeError, match=rf"^train_iter must be an iterable of \(X, y\) batches, {got}\) of the features and their labels, or a DataLoader of TensorDataset\(X, y\)$"):  # fmt: skip
        fit(net, X, loss, optimizer, 1)
    with pytest.raises(UsageTypeError, match=rf"^data_iter must be .*{got}, is_train=False\)"):
        evaluate_accuracy(net, X)
    with pytest.raises(UsageTypeError, match=rf"^test_iter must be .*{got}, is_train=False\)"):
        fit(net, _one_batches(_ONE_Y), loss, optimizer, 1, test_iter=X)
    assert len(fit(net, load_array((X, y), 4), loss, optimizer, 1).epochs) == 1  # the fix


@pytest.mark.parametrize(
    ("loss", "log_softmax"),
    [
        (nn.CrossEntropyLoss(), False),
        (nn.NLLLoss(), True),
        (lambda o, t: F.cross_entropy(o, t, reduction="none"), False),
        (lambda o, t: -o[range(len(o)), t], True),  # the book's picking by the labels
    ],
    ids=["CrossEntropyLoss", "NLLLoss", "cross_entropy-function", "book-indexing"],
)
def test_class_labels_for_a_model_of_one_output_are_explained(
    loss: Loss, log_softmax: bool
) -> None:
    """torch's own word is a bare IndexError ("Target 1 is out of bounds."): the oracle."""
    net = _one_output_net(log_softmax)
    with pytest.raises(IndexError):
        loss(net(_ONE_X[:32]), _ONE_Y[:32])
    with pytest.raises(UsageError, match=_ONE_OUTPUT) as info:
        fit(net, _one_batches(_ONE_Y), loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert isinstance(info.value.__context__, IndexError)
    with pytest.raises(UsageError, match=_ONE_OUTPUT):
        evaluate(net, _one_batches(_ONE_Y), loss)


def test_a_one_output_model_whose_first_labels_fit_is_told_to_give_one_output_per_class() -> None:
    """Labels all 0 pass torch's cross-entropy (a loss of 0); the model is a classifier's, not a
    regression's, so the fix is more outputs, not float targets."""
    y = _ONE_Y.clone()
    y[:32] = 0
    net = _one_output_net(False)
    message = (
        "a classifier's output must be scores of shape (B, C), one per class, got shape (32, 1) for "
        "32 labels: one output scores one class only; give the model one output per class, e.g. "
        "nn.Linear(d, C) for C classes"
    )
    assert float(nn.CrossEntropyLoss()(net(_ONE_X[:32]), y[:32]).detach()) == 0.0  # the oracle
    loss = nn.CrossEntropyLoss()
    with pytest.raises(UsageError) as info:
        fit(net, _one_batches(y), loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value) == message
    for labels in (y, _ONE_Y):
        with pytest.raises(UsageError) as info:
            evaluate_accuracy(_one_output_net(False), _one_batches(labels))
        assert str(info.value) == message


@pytest.mark.parametrize(
    "loss",
    [
        nn.CrossEntropyLoss(reduction="none"),
        lambda o, t: -torch.log(o[range(len(o)), t]),  # the book's cross_entropy (§3.6.4)
    ],
    ids=["CrossEntropyLoss", "book-cross_entropy"],
)
def test_a_weight_vector_s_one_score_per_example_is_told_to_give_one_per_class(
    loss: Loss,
) -> None:
    """The book's §3.6 net with w (d,) for W (d, C) gives (B,): torch's cross-entropy said
    "Expected floating point type for target with class probabilities, got Long", the book's
    picking "too many indices for tensor of dimension 1", both tracebacks from train_ch3, where
    evaluate_accuracy named the shape and the fix."""
    from linearnets import d2l

    w = torch.normal(0, 0.01, size=(5,), requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return X @ w

    with pytest.raises((RuntimeError, IndexError)):  # the oracle: torch's words, no shape named
        loss(net(_ONE_X[:32]), _ONE_Y[:32])
    message = (
        "a classifier's output must be scores of shape (B, C), one per class, got shape (32,) for "
        "32 labels: one output scores one class only; give the model one output per class, e.g. "
        "nn.Linear(d, C) for C classes, or a weight W of shape (d, C), not a vector (d,)"
    )
    for train in (
        lambda: fit(net, _one_batches(_ONE_Y), loss, torch.optim.SGD([w], lr=0.1), 1),
        lambda: d2l.train_ch3(
            net, _one_batches(_ONE_Y), _one_batches(_ONE_Y), loss, 1, lambda n: d2l.sgd([w], 0.1, n)
        ),
    ):
        with pytest.raises(UsageError) as info:
            train()
        assert str(info.value) == message
    with pytest.raises(UsageError) as info:
        evaluate_accuracy(net, _one_batches(_ONE_Y))
    assert str(info.value) == message


def _ce_of_own(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A loss of the user's own around torch's: not told apart as a class loss."""
    return F.cross_entropy(o, t, reduction="none")


def _book_ce(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return -torch.log(o[range(len(o)), t])  # the book's cross_entropy (§3.6.4)


_VECTOR_SCORES = (
    "a classifier's output must be scores of shape (B, C), one per class, got shape (32,) for "
    "32 labels: one output scores one class only; give the model one output per class, e.g. "
    "nn.Linear(d, C) for C classes, or a weight W of shape (d, C), not a vector (d,)"
)


def _vector_trainings(loss: Any, y: torch.Tensor) -> list[Callable[[], Any]]:
    """fit and train_ch3 of the book's §3.6 net with a weight vector w (5,) for W (5, C)."""
    from linearnets import d2l

    w = torch.normal(0, 0.01, size=(5,), requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return X @ w

    return [
        lambda: fit(net, _one_batches(y), loss, torch.optim.SGD([w], lr=0.1), 1),
        lambda: d2l.train_ch3(
            net, _one_batches(y), _one_batches(y), loss, 1, lambda n: d2l.sgd([w], 0.1, n)
        ),
        lambda: evaluate_accuracy(net, _one_batches(y)),
    ]


@pytest.mark.parametrize(
    ("loss", "labels"),
    [
        (cross_entropy, "int64"),  # said "y_hat must be 2-dimensional ... use y_hat.reshape(1, -1)"
        (cross_entropy_logits, "int64"),  # "O must be 2-dimensional ..."
        (_ce_of_own, "int64"),  # "Expected floating point type for target with class probabilities"
        (nn.CrossEntropyLoss(reduction="none"), "bool"),  # "... got Bool"
        (_book_ce, "bool"),  # "too many indices for tensor of dimension 1"
        (cross_entropy, "bool"),
        (nn.CrossEntropyLoss(reduction="none"), "column"),  # "0D or 1D target tensor expected"
        (_book_ce, "column"),  # "too many indices for tensor of dimension 1"
        (_ce_of_own, "column"),  # "0D or 1D target tensor expected"
        (cross_entropy_logits, "column"),
    ],
    ids=[
        "scratch-ce", "scratch-logits", "own-F.ce", "CE-bool", "book-bool", "scratch-bool",
        "CE-column", "book-column", "own-F.ce-column", "scratch-logits-column",
    ],
)  # fmt: skip
def test_a_weight_vector_s_scores_are_named_for_every_loss_and_label_spelling(
    loss: Loss, labels: str
) -> None:
    """The one-score message of fit, train_ch3 and evaluate_accuracy for an output (B,), whatever
    the loss (the library's own scratch ones, torch's in a function of the user's own) and labels
    (bool, a column (B, 1)): each said torch's words, or advice for one example."""
    y = {"int64": _ONE_Y, "bool": _ONE_Y.bool(), "column": _ONE_Y[:, None]}[labels]
    if loss not in (cross_entropy, cross_entropy_logits):  # theirs: tests/models/test_cross_entropy
        with pytest.raises((RuntimeError, IndexError)):  # the oracle: torch's words, no shape named
            loss(_ONE_X[:32] @ torch.zeros(5), y[:32])
    for train in _vector_trainings(loss, y):
        with pytest.raises(UsageError) as info:
            train()
        assert str(info.value) == _VECTOR_SCORES


@pytest.mark.parametrize(
    "loss",
    [nn.CrossEntropyLoss(reduction="none"), F.cross_entropy, cross_entropy_logits],
    ids=["CrossEntropyLoss", "F.cross_entropy", "scratch-logits"],
)
@pytest.mark.parametrize("column", [False, True], ids=["labels", "column"])
def test_a_weight_vector_s_float_labels_are_refused_before_the_first_update(
    loss: Loss, column: bool
) -> None:
    """torch's cross-entropy took an output (B,) and float labels (B,) as one example's scores of
    B classes and their probabilities: fit trained on that silently (train loss 17.67), as it
    refused a (B, 1) output's float labels."""
    y = _ONE_Y.float()[:, None] if column else _ONE_Y.float()
    name = getattr(loss, "__name__", type(loss).__name__)
    if not column and loss is not cross_entropy_logits:  # the oracle: torch takes them, finite
        assert torch.isfinite(loss(_ONE_X[:32] @ torch.ones(5), y[:32])).all()
    w = torch.normal(0, 0.01, size=(5,), requires_grad=True)
    before = w.detach().clone()
    with pytest.raises(UsageError) as info:
        fit(lambda X: X @ w, _one_batches(y), loss, torch.optim.SGD([w], lr=0.1), 1)
    assert str(info.value) == (
        f"y must be integer class labels for {name}, got a tensor of shape "
        f"{tuple(y[:32].shape)} and dtype torch.float32, and the model gives one output per "
        "example (y_hat of shape (32,)): a cross-entropy takes a 1-d output as one example's "
        "scores, of 32 classes here, and float targets of its shape as their probabilities, "
        "which trains on nonsense; give the model one output per class, e.g. nn.Linear(d, C) for "
        "C classes, or a weight W of shape (d, C), not a vector (d,), and pass "
        f"{'y.reshape(-1).long()' if column else 'y.long()'} (for a regression, use a regression "
        "loss such as nn.MSELoss())"
    )
    assert torch.equal(w.detach(), before)  # refused before any update


@pytest.mark.parametrize(
    "loss",
    [nn.MSELoss(), nn.HuberLoss(), squared_loss, nn.BCEWithLogitsLoss()],
    ids=["MSELoss", "HuberLoss", "squared_loss", "BCEWithLogitsLoss"],
)
def test_a_weight_vector_s_float_targets_still_train_a_regression(loss: Loss) -> None:
    """The refusal above is a class loss's: a regression's (B,) output and float targets (B,)
    train, the loss falling."""
    y = (_ONE_Y > 0).float()  # 0/1: a probability for the binary cross-entropy too
    w = torch.zeros(5, requires_grad=True)
    first = float(loss(_ONE_X @ w.detach(), y).mean())
    fit(lambda X: X @ w, _one_batches(y), loss, torch.optim.SGD([w], lr=0.1), 3)
    assert float(loss(_ONE_X @ w.detach(), y).mean()) < first


_CLASSIFIER = (
    "a classifier's output must be scores of shape (B, C), one per class, got shape (32, 1) for "
    "32 labels: one output scores one class only; give the model one output per class, e.g. "
    "nn.Linear(d, C) for C classes"
)


def _float_labels(name: str, y: torch.Tensor, fix: str = "y.long()") -> str:
    return (
        f"y must be integer class labels for {name}, got a tensor of shape {tuple(y.shape)} and "
        "dtype torch.float32, and the model gives one output per example (y_hat of shape (32, 1)): "
        "a 1-output model's cross-entropy is always 0 (a softmax over one class is 1); give the "
        f"model one output per class, e.g. nn.Linear(d, C) for C classes, and pass {fix} (for a "
        "regression, use a regression loss such as nn.MSELoss())"
    )


@pytest.mark.parametrize("book", [False, True], ids=["fit", "train_epoch_ch3"])
def test_the_books_cross_entropy_on_one_output_is_told_one_output_per_class_not_float(
    book: bool,
) -> None:
    """The book's scratch cross_entropy was not taken as a class loss: a one-output softmax model
    with labels all 0 was told "y must be float targets for a regression ... y.float()", then,
    with y.float(), "use y.long()": a loop. Its loss is 0 (the oracle), whatever the weights."""
    from linearnets import d2l
    from linearnets.models.scratch import cross_entropy

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 1), nn.Softmax(dim=1))
    zeros = torch.zeros(64, dtype=torch.long)
    assert float(cross_entropy(net(_ONE_X[:32]), zeros[:32]).detach().sum()) == 0.0  # the oracle
    before = net[0].weight.detach().clone()
    for y, message in ((zeros, _CLASSIFIER), (zeros.float(), _float_labels("cross_entropy", zeros[:32]))):  # fmt: skip
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        with pytest.raises(UsageError) as info:
            if book:
                d2l.train_epoch_ch3(net, _one_batches(y), cross_entropy, optimizer)
            else:
                fit(net, _one_batches(y), cross_entropy, optimizer, 1)
        assert str(info.value) == message
    assert torch.equal(net[0].weight, before)  # refused before any update


@pytest.mark.parametrize(
    ("loss", "name", "column"),
    [
        (nn.CrossEntropyLoss(), "CrossEntropyLoss", False),
        (nn.CrossEntropyLoss(), "CrossEntropyLoss", True),
        (F.cross_entropy, "cross_entropy", False),
        (
            lambda o, y: F.cross_entropy(o, y),
            "the loss, which takes class labels (expected target dtype to be Long or Byte, but "
            "got Float)",
            False,
        ),
    ],
    ids=["CrossEntropyLoss", "CrossEntropyLoss-column", "F.cross_entropy", "lambda"],
)
def test_float_targets_of_a_class_loss_on_one_output_are_told_one_output_per_class(
    loss: Loss, name: str, column: bool
) -> None:
    """Float (B,) targets of a one-output model's cross-entropy raised torch's bare "expected
    target dtype to be Long or Byte" (after the advice y.float() for labels all 0, for a lambda);
    float (B, 1) targets, taken as probabilities over one class, trained silently with loss 0.0.
    The oracle: torch's loss on them raises, or is 0 for any weights."""
    torch.manual_seed(0)
    net = nn.Linear(5, 1)
    y = _ONE_Y[:64].float().reshape(-1, 1) if column else _ONE_Y[:64].float()
    if column:
        assert float(loss(net(_ONE_X[:32]), y[:32]).detach()) == 0.0
    else:
        with pytest.raises(RuntimeError, match="expected target dtype to be Long"):
            loss(net(_ONE_X[:32]), y[:32])
    before = net.weight.detach().clone()
    with pytest.raises(UsageError) as info:
        fit(net, _one_batches(y), loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    fix = "y.reshape(-1).long()" if column else "y.long()"
    assert str(info.value) == _float_labels(name, y[:32], fix)
    assert torch.equal(net.weight, before)


@pytest.mark.parametrize("analytic", [False, True], ids=["autograd", "analytic"])
def test_scratch_softmax_with_torch_cross_entropy_explains_float_labels(
    analytic: bool, gen: torch.Generator
) -> None:
    """The analytic model first compares the loss with its own (check_same_loss): same error."""
    net = SoftmaxRegressionScratch(analytic=analytic, generator=gen)
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(UsageError, match=r"y must be an integer tensor.*use y\.long\(\)") as info:
        train_epoch(net, [(_images(gen), _LABELS.float())], loss, SGD(net.parameters(), lr=0.1))
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, RuntimeError)


def test_torch_cross_entropy_still_takes_class_probabilities(gen: torch.Generator) -> None:
    """Float targets of the scores' shape (B, C) are probabilities: trained on, not refused."""
    net = softmax_concise(generator=gen)
    loss = nn.CrossEntropyLoss(reduction="none")
    probs = F.one_hot(_LABELS, 10).float() * 0.9 + 0.01  # smoothed labels, rows sum to 1
    history = fit(net, [(_images(gen), probs)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert history.last.train_loss > 0 and history.last.train_acc is None
    assert evaluate(net, [(_images(gen), probs)], loss)[0] is not None


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.uint64])
def test_accuracy_without_a_loss_refuses_wide_unsigned_labels(
    dtype: torch.dtype, gen: torch.Generator
) -> None:
    """No loss to raise first: the totals' own check (a dtype comparison) names the labels."""
    net = softmax_concise(generator=gen)
    with pytest.raises(UsageTypeError, match=rf"dtype torch\.{str(dtype)[6:]}; use y\.long\(\)"):
        evaluate_accuracy(net, [(_images(gen), _LABELS.to(dtype))])
    with pytest.raises(UsageTypeError, match=r"uint8 \(torch has no arithmetic"):
        fit(net, [(_images(gen), _LABELS.to(dtype))], lambda y_hat, y: y_hat.sum(1) * 0 + 1.0,
            torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip


# --- losses and outputs that do not fit the batch ------------------------------------------------

_X16 = torch.randn(16, 3, generator=torch.Generator().manual_seed(5))
_Y16 = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(6))

WRONG_SHAPED_LOSSES = {
    "sliced": (lambda y_hat, y: cross_entropy_logits(y_hat, y)[:3], r"got shape \(3,\)"),
    "broadcast": (
        lambda y_hat, y: cross_entropy_logits(y_hat, y)[:, None] * torch.ones(len(y)),
        r"got shape \(16, 16\)",
    ),
}


@pytest.mark.parametrize("name", WRONG_SHAPED_LOSSES)
def test_a_loss_that_drops_or_broadcasts_examples_is_refused(name: str) -> None:
    loss, got = WRONG_SHAPED_LOSSES[name]
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    pattern = (
        r"loss must return one loss per example, shape \(16,\) \(or one per output value, "
        rf"\(16, 2\), or a 0-d mean or sum\), {got} for a batch of 16 examples"
    )
    with pytest.raises(UsageError, match=pattern):
        fit(net, [(_X16, _Y16)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    with pytest.raises(UsageError, match=pattern):
        evaluate(net, [(_X16, _Y16)], loss)


def test_a_multi_output_loss_per_value_is_accepted(gen: torch.Generator) -> None:
    """nn.MSELoss(reduction="none") on (B, k) outputs gives (B, k): one loss per output value,
    reported as their mean, the number nn.MSELoss() gives."""
    X, Y = torch.randn(10, 2, generator=gen), torch.randn(10, 3, generator=gen)
    net = nn.Linear(2, 3)
    mean_loss, acc = evaluate(net, _batches(X, Y, 4), nn.MSELoss(reduction="none"))
    with torch.no_grad():
        expected = float(((net(X) - Y) ** 2).double().mean())  # over all 10 × 3 values
    assert mean_loss == pytest.approx(expected, rel=1e-6) and acc is None


def test_a_multi_output_loss_trains_on_the_mean_of_all_its_values(gen: torch.Generator) -> None:
    """(B, k) losses train as l.mean().backward() does (the book's train_epoch_ch3, torch's mean)."""
    X, Y = torch.randn(12, 2, generator=gen), torch.randn(12, 3, generator=gen)
    start = nn.Linear(2, 3)
    nets = {}
    for name in ("none", "mean"):
        net = copy.deepcopy(start)
        updater = torch.optim.SGD(net.parameters(), lr=0.1)
        loss, _ = train_epoch(net, _batches(X, Y, 5), nn.MSELoss(reduction=name), updater)
        nets[name] = (net, loss)
    oracle = copy.deepcopy(start)  # the book's loop with a torch optimizer
    updater = torch.optim.SGD(oracle.parameters(), lr=0.1)
    for Xb, Yb in _batches(X, Y, 5):
        l = nn.MSELoss(reduction="none")(oracle(Xb), Yb)  # (B, 3)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
    for net, _ in nets.values():
        for p, q in zip(net.parameters(), oracle.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=0, atol=1e-7)
    # the running mean over every value: the same number whichever reduction was passed
    assert nets["none"][1] == pytest.approx(nets["mean"][1], rel=1e-6)


NOT_TENSORS = {
    "tuple": (lambda X: (X, X), r"got tuple; return one tensor from the model"),
    "numpy": (lambda X: X.numpy(), r"got ndarray; compute the output with torch operations"),
    "dict": (
        lambda X: {"logits": X},
        r"got dict with the key 'logits'; return the tensor itself, e.g. its 'logits' entry",
    ),
}


@pytest.mark.parametrize("name", NOT_TENSORS)
def test_a_model_that_returns_no_tensor_is_refused(name: str) -> None:
    net, fix = NOT_TENSORS[name]
    pattern = r"the model \(net\) must return a torch\.Tensor of outputs \(B, q\), " + fix
    with pytest.raises(UsageTypeError, match=pattern):
        evaluate_accuracy(net, [(_X16, _Y16)])
    with pytest.raises(UsageTypeError, match=pattern):
        evaluate(net, [(_X16, _Y16)], nn.CrossEntropyLoss())
    with pytest.raises(UsageTypeError, match=pattern):
        train_epoch(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate())


def _torch_batch_norm_words() -> str:
    """Return torch's own error for a batch of one in a training BatchNorm1d(4): the oracle."""
    with pytest.raises(ValueError) as caught:
        nn.BatchNorm1d(4).train()(torch.zeros(1, 4))
    return str(caught.value)


@pytest.mark.parametrize("loader", [True, False], ids=["DataLoader", "list"])
def test_a_last_batch_of_one_that_batch_norm_refuses_is_named_with_its_fix(loader: bool) -> None:
    """torch's bare "Expected more than 1 value per channel when training" named no batch."""
    X = torch.randn(17, 3, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (17,), generator=torch.Generator().manual_seed(2))
    batches: Any = (
        torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8)
        if loader
        else [(X[i : i + 8], y[i : i + 8]) for i in range(0, 17, 8)]
    )
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    fix = (  # a list has no DataLoader to change (it was told to change one)
        "pass drop_last=True to train_iter's DataLoader, or a batch_size that leaves no batch of "
        "one (17 examples in batches of 8 leave 1 over)"
        if loader
        else "drop that one-example batch from train_iter, or cut its batches so that none holds "
        "one example"
    )
    with pytest.raises(UsageError) as caught:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 2)
    assert str(caught.value) == (
        "train_iter's batch 3 in epoch 1 holds 1 example, and the model's BatchNorm1d ('1') needs "
        f"more than one per channel in training (torch: {_torch_batch_norm_words()}); {fix}"
    )
    assert net.training  # the mode restored, as after any refused step
    if loader:  # the fix it gives trains
        batches = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(X, y), batch_size=8, drop_last=True
        )
        assert len(fit(net, batches, nn.CrossEntropyLoss(), NoUpdate(), 2).epochs) == 2


@pytest.mark.parametrize("drop_last", [False, True])
def test_a_batch_size_of_one_that_batch_norm_refuses_is_told_to_grow(drop_last: bool) -> None:
    """It was told to pass drop_last=True, which leaves every batch of one as it is."""
    X = torch.randn(17, 3, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (17,), generator=torch.Generator().manual_seed(2))
    data = torch.utils.data.TensorDataset(X, y)
    batches = torch.utils.data.DataLoader(data, batch_size=1, drop_last=drop_last)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    with pytest.raises(UsageError) as caught:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(caught.value) == (
        "train_iter's batch 1 in epoch 1 holds 1 example, and the model's BatchNorm1d ('1') needs "
        f"more than one per channel in training (torch: {_torch_batch_norm_words()}); pass a "
        "batch_size of 2 or more to train_iter's DataLoader: with batch_size=1 every batch holds "
        "one example"
    )
    batches = torch.utils.data.DataLoader(data, batch_size=2, drop_last=True)  # the fix trains
    assert len(fit(net, batches, nn.CrossEntropyLoss(), NoUpdate(), 1).epochs) == 1


def test_another_value_error_of_the_model_passes_through_as_it_was() -> None:
    def net(X: torch.Tensor) -> torch.Tensor:
        raise ValueError("Expected more than 1 value per channel when training (mine)")

    net.parameters = lambda: iter(())  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when training \(mine\)$"):  # fmt: skip
        train_epoch(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate())


def test_a_loss_that_returns_no_tensor_is_refused() -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(
        UsageTypeError,
        match=r"loss must return a torch\.Tensor \(per-example losses \(B,\) or their 0-d mean\), "
        r"got 1\.0; compute it with torch operations on y_hat and y",
    ):
        fit(net, [(_X16, _Y16)], lambda y_hat, y: 1.0, torch.optim.SGD(net.parameters(), lr=0.1), 1)  # type: ignore[arg-type,return-value]  # fmt: skip


# --- parameters that do not train -----------------------------------------------------------------


def test_a_frozen_model_is_named_when_backward_fails() -> None:
    net = nn.Linear(3, 2).requires_grad_(False)
    with pytest.raises(
        UsageError,
        match=r"the loss does not depend on any parameter that requires grad: the model has no "
        r"trainable parameter \(all 2 have requires_grad=False\); unfreeze them with "
        r"net\.requires_grad_\(\)",
    ) as info:
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, RuntimeError)


def test_a_loss_computed_outside_the_graph_is_named() -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(
        UsageError,
        match=r"the loss does not depend on any parameter that requires grad: it was computed "
        r"outside autograd's graph \(from y_hat\.detach\(\)",
    ):
        fit(net, [(_X16, _Y16)], lambda y_hat, y: cross_entropy_logits(y_hat.detach(), y),
            torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip


# --- a regression loss on a classifier (the book's §3.6 setup with nn.MSELoss) -----------------


@pytest.mark.parametrize("classes", [3, 16], ids=["C<B", "C=B"])  # C = B used to train silently
def test_a_regression_loss_on_class_labels_is_named(classes: int) -> None:
    net = nn.Linear(3, classes)
    y = torch.randint(0, classes, (16,), generator=torch.Generator().manual_seed(0))
    pattern = (
        rf"loss MSELoss is a regression loss, which compares the outputs \(16, {classes}\) with "
        r"targets of that shape, but y holds class labels \(a tensor of shape \(16,\) and dtype "
        rf"torch\.int64\) for a classifier's {classes} scores"
    )
    with pytest.raises(UsageError, match=pattern):
        fit(net, [(_X16, y)], nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    with pytest.raises(UsageError, match=pattern):
        evaluate(net, [(_X16, y)], nn.MSELoss())


def test_a_summed_loss_is_counted_once_with_scalar_loss_sum(gen: torch.Generator) -> None:
    """linearnets.d2l's option: a 0-d loss is the batch's sum, as the book counts float(l.sum())."""
    X, y = torch.randn(10, 3, generator=gen), torch.randint(0, 2, (10,), generator=gen)
    net = nn.Linear(3, 2)
    with torch.no_grad():
        expected = float(F.cross_entropy(net(X), y, reduction="sum")) / 10  # the oracle
    summed = lambda y_hat, t: cross_entropy_logits(y_hat, t).sum()  # noqa: E731
    mean_loss, _ = train_epoch(net, _batches(X, y, 4), summed, NoUpdate(), scalar_loss="sum")
    assert mean_loss == pytest.approx(expected, rel=1e-6)
    default, _ = train_epoch(net, _batches(X, y, 4), summed, NoUpdate())  # fit's: a 0-d mean
    assert default != pytest.approx(expected, rel=1e-3)
    with pytest.raises(UsageError, match=r"scalar_loss must be one of 'mean', 'sum', got 'total'"):
        train_epoch(net, _batches(X, y, 4), summed, NoUpdate(), scalar_loss="total")


def test_the_docs_scalar_loss_sum_reports_a_function_returning_its_sum_as_torchs_mean(
    gen: torch.Generator,
) -> None:
    """docs/python.md's "What fit takes" names scalar_loss="sum" for a plain function returning its
    batch's sum, which fit cannot tell from a mean; with it, fit and evaluate report what
    nn.CrossEntropyLoss(reduction="sum") gives, F.cross_entropy's mean over the data (the oracle);
    without it, B times that."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "python.md").read_text(encoding="utf-8")
    bullet = doc.split("- **any loss**", 1)[1].split("\n- **", 1)[0]
    summed_fn = 'lambda o, y: F.cross_entropy(o, y, reduction="sum")'
    assert summed_fn in bullet and 'scalar_loss="sum"' in bullet and "`reduction`" in bullet
    X, y = torch.randn(40, 3, generator=gen), torch.randint(0, 2, (40,), generator=gen)
    net = nn.Linear(3, 2)
    with torch.no_grad():
        expected = float(F.cross_entropy(net(X), y))  # the oracle: the mean over all 40
    summed = eval(summed_fn, {"F": F})  # the docs' function, as printed
    data = _batches(X, y, 8)
    for loss, scalar_loss in [(summed, "sum"), (nn.CrossEntropyLoss(reduction="sum"), None)]:
        history = fit(net, data, loss, NoUpdate(), 1, test_iter=data, scalar_loss=scalar_loss)
        assert history.train_loss == [pytest.approx(expected, rel=1e-6)]
        assert history.test_loss == [pytest.approx(expected, rel=1e-6)]
        assert evaluate(net, data, loss, scalar_loss=scalar_loss)[0] == pytest.approx(expected)
    assert evaluate(net, data, summed)[0] == pytest.approx(8 * expected)  # what the docs warn of


# --- a batch of one, a separate train_eval_iter, data-parallel runs ------------------------------


def test_a_batch_of_one_example_takes_its_own_full_gradient() -> None:
    """B = 1: x = [1, 2], y = 1, w = 0, b = 0, r = −1; ∂(½r²)/∂w = x·r = [−1, −2], ∂/∂b = −1, lr 0.1."""
    net, params, updater = _scratch(False)
    mean_loss, _ = train_epoch(net, [(X_HAND[:1], Y_HAND[:1])], squared_loss, updater)
    assert mean_loss == pytest.approx(0.5)
    torch.testing.assert_close(params(net).detach(), torch.tensor([0.1, 0.2, 0.1]))


def test_fit_reports_the_train_loss_over_train_eval_iter_not_over_train_iter(
    gen: torch.Generator,
) -> None:
    train = _regression(gen, n=8, batch_size=4)
    X_eval, y_eval = torch.randn(6, 2, generator=gen), torch.randn(6, 1, generator=gen)
    net = nn.Linear(2, 1)
    history = fit(net, train, nn.MSELoss(), NoUpdate(), 1, train_eval_iter=[(X_eval, y_eval)])
    with torch.no_grad():
        expected = float(F.mse_loss(net(X_eval), y_eval))  # the oracle, on the eval set only
    assert history.train_loss == [pytest.approx(expected, rel=1e-6)]


def test_fit_reports_the_train_accuracy_over_train_eval_iter_beside_its_loss(
    gen: torch.Generator,
) -> None:
    """With train_eval_iter the train loss was the end-of-epoch model's over it, while the train
    accuracy beside it stayed the running one, of the weights each step had."""
    X, y = torch.randn(40, 3, generator=gen), torch.randint(0, 3, (40,), generator=gen)
    nets = [nn.Linear(3, 3) for _ in range(2)]
    with torch.no_grad():
        nets[0].weight.copy_(torch.randn(3, 3, generator=gen))
        nets[1].load_state_dict(nets[0].state_dict())
    train = [(X[i : i + 8], y[i : i + 8]) for i in range(0, 40, 8)]

    def run(net: nn.Linear, **kwargs: Any) -> History:
        updater = torch.optim.SGD(net.parameters(), lr=2.0)
        return fit(net, train, nn.CrossEntropyLoss(), updater, 1, **kwargs)

    running, at_end = run(nets[0]), run(nets[1], train_eval_iter=[(X, y)])
    with torch.no_grad():
        scores = nets[1](X)  # the oracle: the final model, the whole set in one pass
    expected = float((scores.argmax(dim=1) == y).double().mean())
    assert at_end.train_loss == [pytest.approx(float(F.cross_entropy(scores, y)), rel=1e-6)]
    assert at_end.train_acc == [expected]
    assert running.train_acc != [expected]  # what it reported: the steps' running accuracy


class _Sized(list[Batch]):
    """Batches that know each step's global batch size, as the sharded FashionMNIST loader does."""

    def __init__(self, batches: list[Batch], global_sizes: list[int]) -> None:
        super().__init__(batches)
        self.global_sizes = global_sizes

    def global_batch_size(self, step: int) -> int:
        return self.global_sizes[step]


def _twin_rank(monkeypatch: pytest.MonkeyPatch) -> DistContext:
    """Rank 0 of two whose twin holds the same batches: torch.distributed's all_reduce(SUM) doubles."""

    def all_reduce(tensor: torch.Tensor, op: Any = None) -> None:
        tensor.mul_(2)

    monkeypatch.setattr(torch.distributed, "all_reduce", all_reduce)
    return DistContext(rank=0, world_size=2)


@pytest.mark.parametrize("sized", [False, True], ids=["all-reduced-size", "loader-size"])
def test_twin_data_parallel_ranks_train_as_one_process_on_the_batch(
    monkeypatch: pytest.MonkeyPatch, sized: bool
) -> None:
    """Two ranks on the same batch: the global mean gradient is the batch's own (see the quadratic above)."""
    net, params, updater = _scratch(False)
    batches = _Sized([(X_HAND, Y_HAND)], [4]) if sized else [(X_HAND, Y_HAND)]
    mean_loss, _ = train_epoch(net, batches, squared_loss, updater, dist=_twin_rank(monkeypatch))
    assert mean_loss == pytest.approx(1.25)
    torch.testing.assert_close(params(net).detach(), torch.tensor([0.35, 0.5, 0.15]))


def test_each_steps_global_batch_size_scales_its_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 2 and 1 on each of two twin ranks (4 and 2 examples in all): each step applies
    its own batch's mean gradient, as torch.optim.SGD on loss.mean() does in one process."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])
    y = torch.tensor([[1.0], [2.0], [0.5]])
    batches = [(X[:2], y[:2]), (X[2:], y[2:])]
    oracle = nn.Linear(2, 1)
    with torch.no_grad():
        oracle.weight.zero_()
        oracle.bias.zero_()
    opt = torch.optim.SGD(oracle.parameters(), lr=0.1)
    for Xb, yb in batches:
        opt.zero_grad()
        (0.5 * (oracle(Xb) - yb) ** 2).mean().backward()
        opt.step()
    net, params, updater = _scratch(False)
    train_epoch(net, _Sized(batches, [4, 2]), squared_loss, updater, dist=_twin_rank(monkeypatch))
    expected = torch.cat([oracle.weight.reshape(-1), oracle.bias]).detach()
    torch.testing.assert_close(params(net).detach(), expected)


@dataclass(frozen=True)
class _RankOfTwo(DistContext):
    """Rank 0 of two whose other rank's totals (loss sum, hits, examples) are given."""

    other: tuple[float, ...] = ()

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.add_(torch.tensor(self.other, dtype=tensor.dtype))

    def average_gradients(self, params: Any) -> None:
        pass  # the updater never steps


def test_a_data_parallel_epoch_reports_the_metrics_of_every_ranks_examples(
    gen: torch.Generator,
) -> None:
    X, y = torch.randn(10, 3, generator=gen), torch.randint(0, 2, (10,), generator=gen)
    net = nn.Linear(3, 2)
    with torch.no_grad():  # the oracle: every example of both ranks at once
        losses = F.cross_entropy(net(X), y, reduction="none")
        hits = (net(X).argmax(dim=1) == y).float()
    other = (float(losses[6:].sum()), float(hits[6:].sum()), 4.0)  # rank 1 holds the last 4
    dist = _RankOfTwo(rank=0, world_size=2, other=other)
    mine = _Sized(_batches(X[:6], y[:6], 3), [6, 6])
    loss = nn.CrossEntropyLoss(reduction="none")
    mean_loss, acc = train_epoch(net, mine, loss, NoUpdate(), dist=dist)
    assert mean_loss == pytest.approx(float(losses.mean()), rel=1e-6)
    assert acc == pytest.approx(float(hits.mean()))
    assert evaluate(net, mine, loss, dist=dist) == (
        pytest.approx(float(losses.mean()), rel=1e-6),
        pytest.approx(float(hits.mean())),
    )


def _summed_ce(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A plain loss function returning its batch's sum, 0-d: nothing on it says it is a sum."""
    return F.cross_entropy(y_hat, y, reduction="sum")


def test_fit_counts_a_summed_loss_function_once_with_scalar_loss_sum(gen: torch.Generator) -> None:
    """fit had no scalar_loss: such a function's 0-d value was counted as a batch mean, once per
    example, and reported 25 times the loss (train and test) on batches of 25. The oracle is the
    book's loop by hand: the sum's gradient, and every batch's sum added over the examples."""
    X, y = torch.randn(100, 8, generator=gen), torch.randint(0, 4, (100,), generator=gen)
    batches = _batches(X, y, 25)
    nets = [nn.Linear(8, 4) for _ in range(3)]
    for net in nets[1:]:
        net.load_state_dict(nets[0].state_dict())
    opt = torch.optim.SGD(nets[0].parameters(), lr=0.01)
    sums = []
    for Xb, yb in batches:
        l = _summed_ce(nets[0](Xb), yb)
        sums.append(float(l.detach()))
        opt.zero_grad()
        l.backward()
        opt.step()
    with torch.no_grad():
        test_loss = F.cross_entropy(nets[0](X), y).item()  # the mean per example, at the end
    history = fit(nets[1], batches, _summed_ce, torch.optim.SGD(nets[1].parameters(), lr=0.01), 1,
                  test_iter=batches, scalar_loss="sum")  # fmt: skip
    assert history.last.train_loss == pytest.approx(sum(sums) / 100, rel=1e-6)
    assert history.last.test_loss == pytest.approx(test_loss, rel=1e-6)
    at_end = fit(nets[2], batches, _summed_ce, torch.optim.SGD(nets[2].parameters(), lr=0.01), 1,
                 train_eval_iter=[(X, y)], scalar_loss="sum")  # fmt: skip
    assert at_end.last.train_loss == pytest.approx(test_loss, rel=1e-6)
    assert torch.equal(nets[1].weight, nets[2].weight)  # the option changes the report only


def test_fit_refuses_an_unknown_scalar_loss_before_any_update(gen: torch.Generator) -> None:
    """Refused before any callback runs too: a header printed (or a metrics file opened) by
    on_fit_start would otherwise come before the error."""
    net = nn.Linear(3, 2)
    before = copy.deepcopy(net.state_dict())
    calls: list[str] = []

    class Recorder(Callback):
        def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
            calls.append("on_fit_start")

    with pytest.raises(UsageError, match=r"^scalar_loss must be one of 'mean', 'sum', got 'total'; pass e\.g\. scalar_loss="):  # fmt: skip
        fit(net, _classification(gen), _summed_ce, torch.optim.SGD(net.parameters(), lr=0.5), 1,
            callbacks=[Recorder()], scalar_loss="total")  # fmt: skip
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert calls == []


def _int_regression_setup(impl: str) -> tuple[Any, Any, Any]:
    gen = torch.Generator().manual_seed(2)
    if impl == "concise":
        net: Any = linreg_concise(2, generator=gen)
        return net, nn.MSELoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)
    net = LinearRegressionScratch(2, generator=gen, analytic=impl == "analytic")
    return net, squared_loss, SGD(net.parameters(), lr=0.1)


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_integer_regression_targets_are_refused_before_the_first_update(impl: str) -> None:
    """The refusal once came after the first step: a model fixed with y.float() and fitted again
    started from weights already moved. The oracle: the parameters as they were, and the fit
    after the fix equal to a fresh model's."""
    X = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 5, (20, 1), generator=torch.Generator().manual_seed(1))
    net, loss, updater = _int_regression_setup(impl)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageTypeError, match=r"^y must be float targets for a regression .*convert them with y\.float\(\)"):  # fmt: skip
        fit(net, [(X, y)], loss, updater, 1)
    assert all(torch.equal(a, p) for a, p in zip(before, net.parameters(), strict=True))
    fresh, fresh_loss, fresh_updater = _int_regression_setup(impl)
    fit(net, [(X, y.float())], loss, updater, 1)
    fit(fresh, [(X, y.float())], fresh_loss, fresh_updater, 1)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), fresh.parameters(), strict=True))


# --- a divergence in a short epoch -------------------------------------------------------------


@pytest.mark.parametrize("as_on_step", [False, True], ids=["callback", "on_step"])
def test_a_guard_names_the_step_of_a_nan_loss_in_an_epoch_shorter_than_its_read_back(
    as_on_step: bool,
) -> None:
    """A NaN input row in the 4th of 6 batches: its loss is NaN, its update makes the weights NaN,
    and the epoch's totals stop at its end on NaN scores. The guard, reading its steps back every
    16, held that step unread, with its small batch: flushed then, its error (epoch, step, the
    features' example) stands for the totals'. It once blamed the lr first."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(24, 3, generator=gen), torch.randint(0, 2, (24,), generator=gen)
    X[13, 1] = math.nan  # batch 4 of 6, at batch size 4: a broken row, as a bad CSV would give
    net = nn.Linear(3, 2)
    guard = DivergenceGuard(0.1, check_every=16 if as_on_step else None)
    hooks: dict[str, Any] = {"on_step": guard} if as_on_step else {"callbacks": [guard]}
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, 4), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 2, **hooks)  # fmt: skip
    assert str(info.value) == (
        "training stopped at batch 4 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's features X hold NaN or inf on 1 of its 4 examples (position 1 in the batch, "
        "counting from 0: example 13 in the order train_iter yielded them), so not because of lr "
        "0.1; that step's update most likely made the weights non-finite: clean or drop that "
        "example (torch.isfinite(X).all(dim=1) is False on it), then train again from fresh weights"
    )
    assert "scores hold NaN" in str(info.value.__context__)  # what the totals found first


class _TwoEpochs:
    """Clean batches in epoch 1; in epoch 2 example 100 holds a NaN (batch 4, at batch size 32)."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        self.X, self.y = (
            torch.randn(256, 4, generator=gen),
            torch.randint(0, 3, (256,), generator=gen),
        )
        self.passes = 0

    def __len__(self) -> int:
        return 8

    def __iter__(self) -> Iterator[Batch]:
        self.passes += 1
        X = self.X.clone()
        if self.passes == 2:
            X[100, 0] = math.nan
        return iter(_batches(X, self.y, 32))


def test_a_guards_error_stands_naming_the_epoch_and_unguarded_the_totals_name_it_too() -> None:
    """A NaN in epoch 2: the guard reads the step's NaN loss first and its error, naming the epoch,
    the step and the features' example, stands (the totals' once took its place, naming "this epoch"). Unguarded, the
    totals' error names the epoch fit is in, and the example's place in the order the batches came
    (no dataset index: the iterable says nothing of its order)."""
    for guarded in (True, False):
        torch.manual_seed(0)
        net = nn.Linear(4, 3)
        callbacks = [DivergenceGuard(0.1)] if guarded else []
        with pytest.raises(DivergenceError) as info:
            fit(net, _TwoEpochs(), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 3, callbacks=callbacks)  # fmt: skip
        message = str(info.value)
        if guarded:
            assert message.startswith(
                "training stopped at batch 4 of epoch 2: the batch loss is nan (not finite) because "
                "the batch's features X hold NaN or inf on 1 of its 32 examples (position 4 in the "
                "batch, counting from 0: example 100 in the order train_iter yielded them)"
            ), message
        else:
            assert message.startswith(
                "the model's scores hold NaN, so no accuracy can be computed: they first did at "
                "batch 4 of train_iter in epoch 2, on 1 of its 32 examples (position 4 in the "
                "batch, counting from 0: example 100 in the order train_iter yielded them)"
            ), message
            assert "this epoch" not in message and "in the dataset" not in message


def test_a_shuffled_loaders_example_is_named_by_its_place_in_the_epoch_not_as_a_dataset_index() -> (
    None
):
    """shuffle=True: example 130 comes 84th; its place in the epoch is no index in the dataset."""
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 4, generator=gen), torch.randint(0, 3, (256,), generator=gen)
    X[130, 2] = math.nan
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    loader = DataLoader(TensorDataset(X, y), 32, shuffle=True, generator=torch.Generator().manual_seed(3))  # fmt: skip
    with pytest.raises(DivergenceError) as info:
        fit(net, loader, nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    message = str(info.value)
    assert "(position 19 in the batch, counting from 0: example 83 in the epoch's shuffled order, not its index in the dataset)" in message, message  # fmt: skip
    assert "its index in the dataset when" not in message


_BOTH_CAUSES = (
    r"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch "
    r"{batch} of train_iter in epoch 1, on {every}, after scores free of NaN at the batch before "
    r"\(largest absolute value [\d.]+\): either batch {batch}'s features X hold NaN or inf{mixes}, or "
    r"an update made the weights NaN or inf, as a learning rate too large does, or the model's "
    r"computation overflowed on them \(.*\); torch\.isfinite\(X\)\.all\(\) on batch {batch}'s "
    r"features tells the first from the others \(False: clean or drop the examples that hold NaN "
    r"or inf; True: train with a smaller learning rate, or a stable softmax\), then train again "
    r"from fresh weights{note}$"
)

# BatchNorm's running statistics, made NaN by that batch in training mode, where it does not use them
_UNUSED_NOTE = (
    r"; its buffers 0\.running_mean and 0\.running_var hold NaN or inf, but their modules are in "
    r"training mode, where BatchNorm normalises by the batch's own statistics and does not use "
    r"them \(give them finite values before evaluating: reset_running_stats\(\)\)"
)


@pytest.mark.parametrize("case", ["batch-norm", "one-example"])
def test_every_score_of_a_batch_nan_names_its_features_and_an_update_not_one_as_fact(
    case: str,
) -> None:
    """One NaN feature of example 130 (batch 5), in a model that mixes a batch's examples
    (BatchNorm in training mode), or at batch size 1: every score of its batch is NaN, as an update
    that blew up the weights would make them. The scores cannot tell the two apart, so both are
    named, its features first (the scores before were small), with the check that tells them
    apart; "an update made the weights NaN" is no fact of it."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 4, generator=gen), torch.randint(0, 3, (256,), generator=gen)
    X[130, 2] = math.nan
    torch.manual_seed(0)
    if case == "batch-norm":
        net: nn.Module = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3))
        size, batch, every = 32, 5, "all 32 of its examples"
        mixes = r" \(one example's are enough in a model that mixes a batch's examples, such as BatchNorm in training mode\)"  # fmt: skip
        note = _UNUSED_NOTE
    else:
        net, size, batch, every, mixes = nn.Linear(4, 3), 1, 131, "its only example", ""
        note = ""
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, size), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    assert re.match(_BOTH_CAUSES.format(batch=batch, every=every, mixes=mixes, note=note), str(info.value)), str(info.value)  # fmt: skip
    assert info.value.step == batch - 1 and not info.value.examples


def test_an_inf_feature_is_named_by_the_infinite_scores_of_its_batch_not_the_lr() -> None:
    """An inf feature of example 130 gives its scores ±inf (not NaN) at batch 5; the update on
    them makes the weights NaN, and every score of batch 6 NaN. The error names batch 5's
    infinite scores and its example, not a learning rate too large."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 4, generator=gen), torch.randint(0, 3, (256,), generator=gen)
    X[130, 1] = math.inf
    torch.manual_seed(0)
    net = nn.Linear(4, 3)
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, 32), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    message = str(info.value)
    assert re.match(
        r"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch 6 "
        r"of train_iter in epoch 1, on all 32 of its examples, after batch 5 gave infinite scores "
        r"on 1 of its 32 examples \(position 2 in the batch, counting from 0: example 130 in the "
        r"order train_iter yielded them\), while the other 31 examples' scores were finite \(none "
        r"above [\d.]+ in absolute value\): that example's features X hold inf, or the model's "
        r"computation overflowed on them .*; an update on infinite scores makes the weights NaN "
        r"\(they hold NaN or inf now\), and with them every score after; torch\.isfinite\(X\)\.all\(\) "
        r"on batch 5's features tells which",
        message,
    ), message
    assert "learning rate" not in message
    assert info.value.step == 5


def test_infinite_scores_beside_huge_ones_name_weights_blown_up_by_the_lr_first() -> None:
    """lr 1e38 without a guard: batch 7's scores are inf on 9 examples and reach 3.35e38 on the
    others, so the weights had blown up, not those examples' features alone: the lr is named
    first, and as what the check's True answer means."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.rand(256, 20, generator=gen), torch.randint(0, 10, (256,), generator=gen)
    torch.manual_seed(0)
    net = nn.Linear(20, 10)
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, 32), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=1e38), 1)  # fmt: skip
    message = str(info.value)
    assert re.match(
        r"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch 8 "
        r"of train_iter in epoch 1, on all 32 of its examples, after batch 7 gave infinite scores "
        r"on 9 of its 32 examples \(.*\), while the other 23 examples' scores were finite but reach "
        r"3\.\d+e\+38: either the weights had grown so large that the scores overflowed, as a "
        r"learning rate too large makes them, or those examples' features X hold inf, or the "
        r"model's computation overflowed on them \(.*\); an update on infinite scores makes the "
        r"weights NaN \(they hold NaN or inf now\), and with them every score after; "
        r"torch\.isfinite\(X\)\.all\(\) on batch 7's features tells which \(False: clean or drop "
        r"the examples that hold NaN or inf; True: the model overflowed, or the lr was too large\)",
        message,
    ), message
    assert "(none above" not in message
    assert info.value.step == 7 and not info.value.examples


def test_weights_blown_up_in_a_model_with_its_own_parameters_are_named_in_fit() -> None:
    """D2L 2nd edition's scratch model (plain W and b, its own parameters()) trained at lr 1e38:
    the step whose scores first hold NaN names W and b as NaN now, and fitting it again names
    them outright at the first step, as for an nn.Linear's weight and bias; torch's
    named_parameters() lists neither, so both messages left them unknown ("its weights or its
    inputs hold NaN")."""
    from .test_weightless import BookScratch

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(256, 4, generator=gen) * 10, torch.randint(0, 3, (256,), generator=gen)
    torch.manual_seed(0)
    net, loss = BookScratch(), nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(DivergenceError, match=r"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch 2 of train_iter in epoch 1, .* \(weights blow up when the learning rate is too large; raw features need scaling; they hold NaN or inf now \(W and b\)\); "):  # fmt: skip
        fit(net, _batches(X, y, 32), loss, torch.optim.SGD(net.parameters(), lr=1e38), 1)
    with pytest.raises(DivergenceError, match=r"^the model's scores hold NaN, so no accuracy can be computed: its weights hold NaN or inf \(W and b\): weights blow up when the lr is too large \(train again with a smaller one\), or after a step on features that hold NaN or inf \(check each batch with torch\.isfinite\(X\)\.all\(\)\)$"):  # fmt: skip
        fit(net, _batches(X, y, 32), loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_a_nan_weight_reaching_one_example_is_named_as_a_cause_in_training() -> None:
    """An embedding's row 7 NaN, used by example 37 alone: the other examples' scores are finite,
    but that says the weights were finite only in one linear layer; here weights already NaN are
    named as a cause beside the example's features, and the weights are not called finite."""
    torch.manual_seed(0)

    class Embedded(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb, self.lin = nn.Embedding(10, 3), nn.Linear(3, 3)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.lin(self.emb(X[:, 0]))

    net = Embedded()
    with torch.no_grad():
        net.emb.weight[7] = math.nan
    X, y = torch.randint(0, 7, (64, 1)), torch.randint(0, 3, (64,))
    X[37, 0] = 7
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, 16), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    message = str(info.value)
    assert "weights were still finite" not in message and "weights are finite" not in message
    assert re.search(
        r"while the other 15 examples' scores are finite \(none above [\d.]+ in absolute value\): "
        r"that example's features X hold NaN or inf, or the model's computation overflowed on "
        r"them \(.*\), or weights that held NaN or inf already reach that example alone \(as a NaN "
        r"row of an embedding does for the examples that use it\); they hold NaN or inf now "
        r"\(emb\.weight.*\), as an update on NaN scores leaves them; ",
        message,
    ), message


def test_a_nan_buffer_is_named_in_training_not_an_overflow() -> None:
    """Weights kept in a registered buffer that holds a NaN, the parameter (a bias) and the data
    finite: fit names the buffer, not an overflow of finite values."""

    class Buffered(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            W = torch.randn(4, 3)
            W[2, 1] = math.nan
            self.register_buffer("W", W)
            self.b = nn.Parameter(torch.zeros(3))

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return X @ self.W + self.b

    torch.manual_seed(0)
    net = Buffered()
    X, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, 16), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # fmt: skip
    message = str(info.value)
    assert "overflowed" not in message and "inputs are finite" not in message, message
    assert message.startswith(
        "the model's scores hold NaN, so no accuracy can be computed: its buffer W holds NaN or "
        "inf, though its parameters are finite"
    ), message


def test_a_guard_blaming_the_lr_keeps_its_error_where_every_score_went_nan() -> None:
    """lr 1e38 makes the weights inf in one update: the guard's error, naming the step and the
    lr, stands."""
    gen = torch.Generator().manual_seed(0)
    X, y = 10 * torch.randn(64, 20, generator=gen), torch.randint(0, 10, (64,), generator=gen)
    torch.manual_seed(0)
    net = nn.Linear(20, 10)
    with pytest.raises(DivergenceError, match=r"^training diverged at batch 2 of epoch 1: .* at lr 1e\+38; ") as info:  # fmt: skip
        fit(net, _batches(X, y, 8), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=1e38), 1, callbacks=[DivergenceGuard(1e38)])  # fmt: skip
    assert info.value.step == 1 and not info.value.examples


def test_fit_names_the_batch_whose_scores_all_went_nan_after_an_update() -> None:
    """Without a guard: lr 1e38 makes the weights inf in the first update, so every score of batch
    2 is NaN after finite scores at batch 1. The scores alone cannot tell that from NaN features
    in batch 2: both are named, with the check that tells them apart."""
    gen = torch.Generator().manual_seed(0)
    X, y = 10 * torch.randn(64, 20, generator=gen), torch.randint(0, 10, (64,), generator=gen)
    torch.manual_seed(0)
    net = nn.Linear(20, 10)
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(X, y, 8), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=1e38), 1)  # fmt: skip
    mixes = r" \(one example's are enough in a model that mixes a batch's examples, such as BatchNorm in training mode\)"  # fmt: skip
    assert re.match(_BOTH_CAUSES.format(batch=2, every="all 8 of its examples", mixes=mixes, note=""), str(info.value)), str(info.value)  # fmt: skip


class _MyStop(KeyboardInterrupt):
    """A callback's own stop, of a class of its own."""


@pytest.mark.parametrize("stop", [KeyboardInterrupt, _MyStop])
@pytest.mark.parametrize("when", ["epoch_end", "batch_end"])
def test_a_ctrl_c_in_fit_hands_over_the_finished_epochs_history(
    when: str, stop: type[KeyboardInterrupt]
) -> None:
    """A Ctrl-C (a kernel interrupt) in a notebook's ``history = fit(...)`` lost the finished
    epochs' metrics: the exception now holds them, as the uninterrupted run has them. A subclass
    of KeyboardInterrupt a callback raised got neither the history nor the note."""

    def run(callbacks: list[Any]) -> History:
        torch.manual_seed(0)
        X, y = torch.randn(60, 3), torch.randn(60, 1)
        net = nn.Linear(3, 1)
        batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 60, 10)]
        updater = torch.optim.SGD(net.parameters(), lr=0.03)
        return fit(net, batches, nn.MSELoss(), updater, 4, callbacks=callbacks)

    class CtrlC(Callback):
        def on_epoch_end(self, *, metrics: Any) -> None:
            if when == "epoch_end" and metrics.epoch == 2:
                raise stop

        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            if when == "batch_end" and self.epoch == 3 and step == 2:
                raise stop

        def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
            self.epoch = epoch

    with pytest.raises(KeyboardInterrupt) as info:
        run([CtrlC()])
    assert type(info.value) is stop
    kept = info.value.history.epochs  # type: ignore[attr-defined]
    whole = run([]).epochs[:2]  # the oracle: the same epochs, not interrupted
    assert [(m.epoch, m.train_loss) for m in kept] == [(m.epoch, m.train_loss) for m in whole]
    if hasattr(info.value, "add_note"):
        assert info.value.__notes__ == [
            "fit was interrupted after 2 finished epoch(s), whose metrics are this exception's "
            ".history; the model keeps the weights of its last step. To go on, call fit again "
            "with start_epoch=2 and history=that History (a history passed to fit is extended in "
            "place, so it keeps them however fit stops)"
        ]


def test_a_ctrl_c_in_fit_shows_in_ipython_as_its_one_line(
    ipython: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Jupyter showed a fit stopped by "Interrupt the kernel" as a traceback of 40 lines into
    torch's autograd engine, the note on going on at its bottom (and none on Python 3.10), which
    spoke of "this exception" to a cell that had no name for it. It shows its line, as a run's stop
    does, naming where IPython keeps the exception; it still pickles (a process pool's hand-back)."""

    class CtrlC(Callback):
        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.epoch == 2:
                raise KeyboardInterrupt

    torch.manual_seed(0)
    X, y = torch.randn(60, 3), torch.randn(60, 1)
    net = nn.Linear(3, 1)
    batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 60, 10)]
    ipython.user_ns.update(
        fit=fit, net=net, batches=batches, loss=nn.MSELoss(), CtrlC=CtrlC,
        updater=torch.optim.SGD(net.parameters(), lr=0.03),
    )  # fmt: skip
    result = ipython.run_cell("fit(net, batches, loss, updater, 4, callbacks=[CtrlC()])")
    assert type(result.error_in_exec) is KeyboardInterrupt  # still the plain one, to catch
    line = (
        "KeyboardInterrupt: fit was interrupted after 2 finished epoch(s); the model keeps the "
        "weights of its last step, and this exception their metrics: import sys; history = "
        "sys.last_value.history (in the next cell). To go on, call fit again with start_epoch=2 "
        "and history=history (a history passed to fit is extended in place, so it keeps them "
        "however fit stops)"
    )
    assert capsys.readouterr() == (line + "\n", "")
    copied = pickle.loads(pickle.dumps(result.error_in_exec))
    assert copied._render_traceback_() == [line] and len(copied.history.epochs) == 2
    # what the line says to run: the epochs kept, then the fit goes on to the end
    ipython.run_cell(
        "import sys\nhistory = sys.last_value.history\n"
        "fit(net, batches, loss, updater, 4, start_epoch=2, history=history)\n"
        "print([m.epoch for m in history.epochs])"
    )
    assert capsys.readouterr() == ("[1, 2, 3, 4]\n", "")


@pytest.mark.parametrize(
    "dist", [1, "nccl", SimpleNamespace(enabled=True)], ids=["int", "str", "namespace"]
)
@pytest.mark.parametrize("call", ["fit", "train_epoch", "evaluate"])
def test_a_dist_that_is_no_dist_context_is_named_before_any_step(dist: Any, call: str) -> None:
    """fit, train_epoch and evaluate failed with "'int' object has no attribute 'enabled'" (or,
    for an object with 'enabled', further in, at its world_size) for a dist of another type."""
    net = SoftmaxRegressionScratch(4, 3, generator=torch.Generator().manual_seed(0))
    before = net.state_dict()
    batches = [(torch.ones(2, 4), torch.tensor([0, 2]))]
    updater = SGD(net.parameters(), lr=0.1)
    run: dict[str, Callable[[], object]] = {
        "fit": lambda: fit(net, batches, cross_entropy_logits, updater, 1, dist=dist),
        "train_epoch": lambda: train_epoch(net, batches, cross_entropy_logits, updater, dist=dist),
        "evaluate": lambda: evaluate(net, batches, cross_entropy_logits, dist=dist),
    }
    with pytest.raises(UsageTypeError, match=r"^dist must be a DistContext or None, got \w+ "):
        run[call]()
    assert all(torch.equal(p, before[name]) for name, p in net.named_parameters())


_IMAGES = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(0))
_CLASSES = torch.randint(0, 10, (40,), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize(
    ("test_X", "test_y", "error", "told"),
    [
        (_IMAGES[:20].double(), _CLASSES[:20], UsageTypeError,
         r"X must have the model's dtype torch.float32, got torch.float64"),
        (torch.rand(20, 100), _CLASSES[:20], UsageError, r"X must hold 784 features per example"),
        (_IMAGES[:20], _CLASSES[:20] + 10, UsageError, r"y must hold class indices in \[0, 10\)"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("which", ["test_iter", "train_eval_iter"])
def test_a_bad_first_evaluation_batch_is_named_before_the_first_step(
    test_X: torch.Tensor, test_y: torch.Tensor, error: type[Exception], told: str, which: str
) -> None:
    """It was told after epoch 1's updates, in words that read as train_iter's."""
    net = softmax_concise(generator=torch.Generator().manual_seed(2))
    before = net[1].weight.detach().clone()
    train = [(_IMAGES[:20], _CLASSES[:20]), (_IMAGES[20:], _CLASSES[20:])]
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(error, match=rf"^{which}'s batch 1: {told}"):
        fit(net, train, nn.CrossEntropyLoss(), updater, 3, **{which: [(test_X, test_y)]})
    assert torch.equal(net[1].weight, before)


def test_train_ch3_names_a_bad_first_test_batch_before_the_first_step() -> None:
    from linearnets import d2l

    net = softmax_concise(generator=torch.Generator().manual_seed(2))
    before = net[1].weight.detach().clone()
    train = [(_IMAGES[:20], _CLASSES[:20]), (_IMAGES[20:], _CLASSES[20:])]
    with pytest.raises(
        UsageTypeError, match=r"^test_iter's batch 1: X must have the model's dtype"
    ):
        d2l.train_ch3(net, train, [(_IMAGES[:20].double(), _CLASSES[:20])],
                      nn.CrossEntropyLoss(), 2, torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip
    assert torch.equal(net[1].weight, before)


def test_a_bad_later_test_batch_is_named_with_the_epochs_done() -> None:
    """Only the first batch is looked at before training: a later one is told after the epoch,
    naming test_iter, the error holding the history of the epochs done: epoch 1 trained, its
    test metrics None (it held none, so start_epoch=len(history.epochs) would train epoch 1
    over again)."""
    net = softmax_concise(generator=torch.Generator().manual_seed(2))
    train = [(_IMAGES[:20], _CLASSES[:20]), (_IMAGES[20:], _CLASSES[20:])]
    test = [(_IMAGES[:20], _CLASSES[:20]), (_IMAGES[20:], _CLASSES[20:] + 10)]
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(
        UsageError,
        match=r"^test_iter's batch 2, evaluated after epoch 1: y must hold class indices",
    ) as info:
        fit(net, train, nn.CrossEntropyLoss(), updater, 2, test_iter=test)
    history = info.value.history  # type: ignore[attr-defined]
    assert isinstance(history, History) and [m.epoch for m in history.epochs] == [1]
    done = history.epochs[0]
    assert math.isfinite(done.train_loss) and (done.test_loss, done.test_acc) == (None, None)


def test_train_ch3_names_the_bad_later_test_batch() -> None:
    """It said "test_iter, evaluated after epoch 1", not which of its batches."""
    from linearnets import d2l

    net = softmax_concise(generator=torch.Generator().manual_seed(2))
    train = [(_IMAGES[:20], _CLASSES[:20]), (_IMAGES[20:], _CLASSES[20:])]
    test = [(_IMAGES[:10], _CLASSES[:10]), (_IMAGES[10:20], _CLASSES[10:20]),
            (torch.rand(20, 100), _CLASSES[20:])]  # fmt: skip
    with pytest.raises(UsageError, match=r"^test_iter's batch 3, evaluated after epoch 1: "):
        d2l.train_ch3(net, train, test, nn.CrossEntropyLoss(), 2,
                      torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip


def test_a_shuffled_test_loader_looked_at_before_training_leaves_the_random_order_as_it_was() -> (
    None
):
    from torch.utils.data import DataLoader, TensorDataset

    def run(test_iter: Any) -> torch.Tensor:
        torch.manual_seed(5)
        net = softmax_concise(generator=torch.Generator().manual_seed(2))
        train = DataLoader(TensorDataset(_IMAGES, _CLASSES), batch_size=8, shuffle=True)
        fit(net, train, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1,
            test_iter=test_iter)  # fmt: skip
        return net[1].weight.detach().clone()

    shuffled = DataLoader(TensorDataset(_IMAGES, _CLASSES), batch_size=8, shuffle=True)
    assert torch.equal(run(None), run(shuffled))


def test_a_bad_label_in_a_later_training_batch_names_the_batch_its_row_and_the_updates_taken() -> (
    None
):
    """A label out of range in train_iter's 5th batch was told with no place at all (test_iter's
    was named), after the model had taken 4 updates: now the batch, the row and the updates."""
    from torch.utils.data import DataLoader, TensorDataset

    X = torch.randn(500, 784, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (500,), generator=torch.Generator().manual_seed(1))
    y[300] = 10  # batch 5 (rows 256..319), its row 44
    data = DataLoader(TensorDataset(X, y), batch_size=64)
    net = nn.Linear(784, 10)
    with pytest.raises(
        UsageError,
        match=r"^train_iter's batch 5 of epoch 1, row 44 of that batch \(counted from 0\) \(the model took 4 updates before it, "
        r"and keeps their weights\): y must hold class indices in \[0, 10\) for the model's 10 "
        r"outputs, got 10",
    ):
        fit(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.05), 2)
    with pytest.raises(
        UsageError,
        match=r"^train_iter's batch 5, row 44 of that batch \(counted from 0\) \(this train_epoch took 4 updates before it, kept "
        r"by the model\): y must hold class indices in \[0, 10\)",
    ):
        train_epoch(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.05))
    y[300], y[3] = 3, -100  # the first batch, before any update: the message as it was
    with pytest.raises(UsageError, match=r"^y must hold class indices in \[0, 10\)"):
        fit(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.05), 1)


def test_a_bad_label_of_a_shuffled_loader_or_an_epochs_first_batch_is_worded_as_such() -> None:
    """A shuffling DataLoader's row is no index of the dataset, and batch 1 of epoch 2 was told
    'the epochs before it and 0 updates of this epoch'."""
    from torch.utils.data import DataLoader, TensorDataset

    X = torch.randn(128, 4, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 3, (128,), generator=torch.Generator().manual_seed(1))
    y[5] = 3
    data = DataLoader(
        TensorDataset(X, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(2)
    )
    net = nn.Linear(4, 3)
    with pytest.raises(
        UsageError,
        match=r"^train_iter's batch \d+ of epoch 1, row \d+ of that batch \(counted from 0; "
        r"shuffled: not the dataset's index\) \(the model took",
    ):
        fit(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.05), 1)

    class SecondEpochBad:
        def __init__(self) -> None:
            self.passes = 0

        def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            self.passes += 1
            labels = y.clamp(max=2)
            if self.passes == 2:
                labels = labels.clone()
                labels[5] = 3
            yield from ((X[i : i + 16], labels[i : i + 16]) for i in range(0, 128, 16))

    with pytest.raises(
        UsageError,
        match=r"^train_iter's batch 1 of epoch 2, row 5 of that batch \(counted from 0\) \(the "
        r"model took the epochs before it, and keeps their weights\): y must hold",
    ):
        fit(net, SecondEpochBad(), nn.CrossEntropyLoss(),
            torch.optim.SGD(net.parameters(), lr=0.05), 2)  # fmt: skip


def test_the_ignore_index_in_a_later_training_batch_is_refused_at_that_batch_with_its_row() -> None:
    """A -100 (CrossEntropyLoss's ignore_index) in batch 5 was refused only after the whole epoch
    trained, with no batch or row: the loss takes it without a word, so the totals look per batch."""
    X = torch.randn(160, 5, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 3, (160,), generator=torch.Generator().manual_seed(1))
    y[140] = -100  # batch 5 (rows 128..159), its row 12
    batches = [(X[i : i + 32], y[i : i + 32]) for i in range(0, 160, 32)] * 2
    net = nn.Linear(5, 3)
    with pytest.raises(
        UsageError,
        match=r"^train_iter's batch 5 of epoch 1, row 12 of that batch \(counted from 0\) \(the model took 5 updates, this "
        r"batch's the last, and keeps their weights\): y must hold class indices in \[0, 3\), "
        r"got -100, the loss's ignore_index",
    ) as info:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert "batch 10" not in str(info.value)


@pytest.mark.parametrize("hook", ["on_epoch_end", "on_fit_end"])
def test_an_error_a_callback_raises_holds_the_finished_epochs(hook: str) -> None:
    """Only a KeyboardInterrupt held them: a callback's ValueError at epoch 2 (or at the fit's end)
    lost the epochs done; now any error fit raises holds them as its .history, its type kept."""

    class Fails(Callback):
        def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
            if hook == "on_epoch_end" and metrics.epoch == 2:
                raise ValueError("my check failed")

        def on_fit_end(self, *, history: History) -> None:
            if hook == "on_fit_end":
                raise ValueError("my check failed")

    net = softmax_concise(generator=torch.Generator().manual_seed(2))
    train = [(_IMAGES[:20], _CLASSES[:20]), (_IMAGES[20:], _CLASSES[20:])]
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^my check failed$") as info:
        fit(net, train, nn.CrossEntropyLoss(), updater, 3, callbacks=[Fails()])
    assert type(info.value) is ValueError
    history = info.value.history  # type: ignore[attr-defined]
    assert [m.epoch for m in history.epochs] == ([1, 2] if hook == "on_epoch_end" else [1, 2, 3])


def test_a_callbacks_error_with_a_history_of_its_own_keeps_it() -> None:
    class OwnError(Exception):
        history = "mine"

    class Fails(Callback):
        def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
            raise OwnError("stop")

    net = softmax_concise(generator=torch.Generator().manual_seed(2))
    with pytest.raises(OwnError) as info:
        fit(net, [(_IMAGES, _CLASSES)], nn.CrossEntropyLoss(),
            torch.optim.SGD(net.parameters(), lr=0.1), 2, callbacks=[Fails()])  # fmt: skip
    assert info.value.history == "mine"


def test_a_bad_label_beside_the_ignore_index_is_named_not_the_ignore_index() -> None:
    """With a -100 (the loss's ignore_index) and a 7 in a batch, the advice named the -100's row and
    'relabel them from 0, e.g. y - y.min() (classes 0..107) ... nn.Linear(d, 108)'."""
    X = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 3, (32,), generator=torch.Generator().manual_seed(1))
    y[2], y[9] = -100, 7
    net = nn.Linear(4, 3)
    with pytest.raises(UsageError) as info:
        fit(net, [(X, y)], nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value) == (
        "y must hold class indices in [0, 3) for the model's 3 outputs, got 7; relabel the "
        "classes 0..2, or give the model one output per class"
    )
    assert info.value.row == 9  # type: ignore[attr-defined]


def test_an_analytic_softmax_model_trains_a_summed_cross_entropy_as_autograd_does() -> None:
    """nn.CrossEntropyLoss(reduction="sum") is the model's own loss summed over the batch: fit
    takes it (it was refused as "differs on the first batch", 32 times the mean), and the
    analytic model follows the sum's gradient, as the autograd model does: the same weights
    and history, in float64, batch after batch (a last batch of 7 too)."""
    gen = torch.Generator().manual_seed(3)
    X = torch.randn(39, 784, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 10, (39,), generator=gen)
    batches = [(X[:32], y[:32]), (X[32:], y[32:])]
    summed = nn.CrossEntropyLoss(reduction="sum")
    nets, histories = [], []
    for analytic in (True, False):
        net = SoftmaxRegressionScratch(
            analytic=analytic, generator=torch.Generator().manual_seed(0)
        )
        net.to(torch.float64)
        histories.append(fit(net, batches, summed, SGD(net.parameters(), lr=0.01), 2))
        nets.append(net)
    analytic_net, autograd_net = nets
    assert not torch.equal(analytic_net.W, torch.zeros_like(analytic_net.W))
    torch.testing.assert_close(analytic_net.W, autograd_net.W.detach(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(analytic_net.b, autograd_net.b.detach(), rtol=1e-10, atol=1e-12)
    assert histories[0].train_loss == pytest.approx(histories[1].train_loss, rel=1e-10)


def _regression_weights(
    batches: list[Batch], loss: Loss, *, analytic: bool, epochs: int = 1, **kw: Any
) -> torch.Tensor:
    """The weights of a float64 scratch regression after ``fit`` on ``batches``."""
    net = LinearRegressionScratch(
        3, analytic=analytic, generator=torch.Generator().manual_seed(0)
    ).double()
    init = kw.pop("init", None)
    if init is not None:
        with torch.no_grad():
            net.w.copy_(init[0])
            net.b.fill_(init[1])
    fit(net, batches, loss, torch.optim.SGD(net.parameters(), lr=0.01), epochs, **kw)
    return torch.cat([p.detach().flatten() for p in net.parameters()])


@pytest.mark.parametrize("scalar_loss", [None, "sum"])
def test_an_analytic_summed_loss_after_a_first_batch_of_one_trains_as_autograd(
    scalar_loss: str | None,
) -> None:
    """A first batch of one example cannot tell a sum from a mean (a lambda has no reduction):
    the epoch was decided "mean" there and its later batches trained with a gradient 16 times
    too small (1.06 off autograd's weights); the next batch now decides, and the weights are
    autograd's, scalar_loss="sum" given or not."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(33, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    batches = [(X[:1], y[:1]), (X[1:17], y[1:17]), (X[17:], y[17:])]
    summed = lambda o, t: squared_loss(o, t).sum()  # noqa: E731
    autograd = _regression_weights(batches, summed, analytic=False, scalar_loss=scalar_loss)
    analytic = _regression_weights(batches, summed, analytic=True, scalar_loss=scalar_loss)
    torch.testing.assert_close(analytic, autograd, rtol=0, atol=1e-12)


_BEFORE_ANY_UPDATE = r"^loss must give the analytic model's own loss .* on the first batch"
_AFTER_ONE_UPDATE = r"^train_iter's batch 2 of epoch 1 \(the model took 1 update before it"


@pytest.mark.parametrize(
    ("loss", "sizes", "refused"),
    [
        (nn.MSELoss(), (2, 4, 4), _BEFORE_ANY_UPDATE),
        (nn.MSELoss(), (1, 4, 4), _BEFORE_ANY_UPDATE),
        (lambda o, t: F.mse_loss(o, t), (2, 4, 4), _AFTER_ONE_UPDATE),
    ],
    ids=["MSELoss first 2", "MSELoss first 1", "mse lambda first 2"],
)
def test_an_analytic_model_refuses_a_loss_that_is_its_own_on_its_first_batch_size_alone(
    loss: Loss, sizes: tuple[int, ...], refused: str
) -> None:
    """nn.MSELoss()'s mean of r² is the sum of ½r² on a batch of two: the first batch was taken
    as the loss's verdict for the epoch and the batches of four trained with a gradient half
    autograd's (0.51 off its weights), silently. Values that tell the other reduction than the
    loss's own are now refused at once, and a function's, which has none, at the next batch
    size (each other size is checked once), its update named."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(sum(sizes), 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    batches = list(zip(X.split(list(sizes)), y.split(list(sizes)), strict=True))
    with pytest.raises(UsageError, match=refused):
        _regression_weights(batches, loss, analytic=True)


@pytest.mark.parametrize(
    ("labels", "sizes"),
    [([1, 0, 2, 1, 2, 0, 1, 1, 0], (1, 4, 4)), ([1, 1, 1, 3, 2, 0], (3, 3))],
    ids=["first batch of one", "first batch of one class"],
)
def test_an_analytic_model_refuses_a_class_weighted_cross_entropy_before_any_update(
    labels: list[int], sizes: tuple[int, ...]
) -> None:
    """A class-weighted cross-entropy's weighted mean of one example, or of one class, is the
    model's own loss: such a first batch took it for the model's own, and the model trained the
    unweighted loss (0.063 off autograd's weights), silently, every epoch, or, every batch size
    once checked, all the same where each size's first batch held one class. Its weights are
    now read and refused before any update."""
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(len(labels), 4, generator=g), torch.tensor(labels)
    data = list(zip(X.split(list(sizes)), y.split(list(sizes)), strict=True))
    net = SoftmaxRegressionScratch(4, 4, sigma=0.5, generator=g, analytic=True)
    before = [p.clone() for p in net.parameters()]
    weighted = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(
        UsageError,
        match=r"^loss must give the analytic model's own loss \(cross_entropy_logits\), .*got "
        r"CrossEntropyLoss with class weights \[1, 2, 3, 4\], whose gradient weighs each example",
    ):
        fit(net, data, weighted, SGD(net.parameters(), lr=0.1), 2)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_an_analytic_model_trains_a_loss_that_is_its_own_sum_on_every_batch_size_given() -> None:
    """F.mse_loss's mean of r² is the sum of ½r² on every batch of two: trained as autograd
    trains it, each batch checked once per size (the one size here)."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(8, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    batches = _batches(X, y, 2)
    loss = lambda o, t: F.mse_loss(o, t)  # noqa: E731
    autograd = _regression_weights(batches, loss, analytic=False, epochs=2)
    analytic = _regression_weights(batches, loss, analytic=True, epochs=2)
    torch.testing.assert_close(analytic, autograd, rtol=0, atol=1e-12)


def test_an_analytic_summed_loss_near_zero_trains_as_autograd() -> None:
    """Near the optimum of noise-free data a batch's summed loss (~6e-9) and its mean both
    agree with the loss within the tolerance (atol 1e-6): their relative sizes now tell the sum,
    where the mean's gradient was taken for the epoch (7.8e-6 off autograd's weights)."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(48, 3, generator=g, dtype=torch.float64)
    w = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    batches = _batches(X, X @ w + 0.5, 16)
    summed = lambda o, t: squared_loss(o, t).sum()  # noqa: E731
    kw: dict[str, Any] = {"init": (w + 1e-5, 0.5), "epochs": 2}
    autograd = _regression_weights(batches, summed, analytic=False, **kw)
    analytic = _regression_weights(batches, summed, analytic=True, **kw)
    assert not torch.equal(analytic[:3], (w + 1e-5).flatten())  # it trained
    torch.testing.assert_close(analytic, autograd, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scalar_loss", [None, "sum", "mean"])
def test_an_analytic_mean_or_per_example_loss_after_a_first_batch_of_one_is_unchanged(
    scalar_loss: str | None,
) -> None:
    """A mean (or per-example) loss, whose first batch of one leaves the epoch undecided, trains
    bit for bit as where its reduction decides from the start (a loss with reduction="mean")."""

    class Mean:
        reduction = "mean"

        def __call__(self, o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return squared_loss(o, t).mean()

    g = torch.Generator().manual_seed(1)
    X = torch.randn(33, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    batches = [(X[:1], y[:1]), (X[1:17], y[1:17]), (X[17:], y[17:])]
    mean = lambda o, t: squared_loss(o, t).mean()  # noqa: E731
    kw: dict[str, Any] = {"scalar_loss": scalar_loss, "epochs": 2}
    told = _regression_weights(batches, Mean(), analytic=True, **kw)
    assert torch.equal(_regression_weights(batches, mean, analytic=True, **kw), told)
    per_example = _regression_weights(batches, squared_loss, analytic=True, **kw)
    assert torch.equal(per_example, told)


def test_an_analytic_model_refuses_a_later_batch_that_differs_from_its_own_loss() -> None:
    """A loss checked past the first batch (that one could not tell a sum from a mean) and
    found to be neither is refused there, the batch and the updates before it named."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(17, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    odd = lambda o, t: squared_loss(o, t).sum() * (1 if len(t) == 1 else 3)  # noqa: E731
    net = LinearRegressionScratch(3, analytic=True).double()
    with pytest.raises(
        UsageError,
        match=r"^train_iter's batch 2 of epoch 1 \(the model took 1 update before it.*"
        r"differs on this batch \(sum",  # 3 times the sum: beside the sum, the nearer
    ):
        fit(net, [(X[:1], y[:1]), (X[1:], y[1:])], odd, SGD(net.parameters(), lr=0.01), 1)


@pytest.mark.parametrize("scalar_loss", [None, "sum"])
def test_data_parallel_analytic_summed_loss_after_a_first_batch_of_one_trains_as_autograd(
    monkeypatch: pytest.MonkeyPatch, scalar_loss: str | None
) -> None:
    """Twin ranks, a first batch of one: each rank's undecided batch trains with the seed
    autograd gives it, and the next batch decides from the loss's own values (the same loss on
    every rank, so the same answer, with no collective of its own)."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(33, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    batches = [(X[:1], y[:1]), (X[1:17], y[1:17]), (X[17:], y[17:])]
    summed = lambda o, t: squared_loss(o, t).sum()  # noqa: E731
    dist = _twin_rank(monkeypatch)
    kw: dict[str, Any] = {"scalar_loss": scalar_loss, "dist": dist}
    autograd = _regression_weights(batches, summed, analytic=False, **kw)
    analytic = _regression_weights(batches, summed, analytic=True, **kw)
    torch.testing.assert_close(analytic, autograd, rtol=0, atol=1e-12)


def test_an_analytic_lambda_loss_at_batch_size_one_is_checked_once_per_epoch() -> None:
    """Batches of one never tell a sum from a mean: only the first is compared (the refusal
    before any update), the others cost no second forward and loss of their own."""
    calls: list[int] = []

    def summed(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        calls.append(len(t))
        return squared_loss(o, t).sum()

    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    net = LinearRegressionScratch(3, analytic=True)
    train_epoch(net, _batches(X, X.sum(1, keepdim=True), 1), summed, SGD(net.parameters(), lr=0.01))
    assert calls == [1] * 6  # the first batch's check, then one loss a step
