"""The divergence guard: trips on NaN and on blow-ups (lr 10 for regression, 1e4 for softmax), never on
healthy runs at the book's settings."""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from linearnets.config import LinregConfig
from linearnets.data.fashion_mnist_loaders import load_data_fashion_mnist
from linearnets.data.files import find_fashion_mnist
from linearnets.data.synthetic import load_array, synthetic_data
from linearnets.errors import DivergenceError, UsageError
from linearnets.models.concise import linreg_concise, softmax_concise
from linearnets.models.scratch import SGD
from linearnets.tasks.linreg import run_linreg
from linearnets.training.distributed import DistContext
from linearnets.training.guard import FAR_LR, DivergenceGuard, smaller_lr
from linearnets.training.loop import EpochMetrics, fit


def _losses(value: float, n: int) -> torch.Tensor:
    return torch.full((n,), value)


def test_nan_loss_trips_at_once_naming_step_loss_and_lr() -> None:
    guard = DivergenceGuard(0.5, check_every=1)
    guard.on_epoch_start(epoch=2, num_batches=10)
    guard(0, _losses(2.0, 8))
    with pytest.raises(DivergenceError) as info:
        guard(4, torch.tensor([1.0, math.nan]))
    message = str(info.value)
    assert "batch 5 of epoch 2" in message and "nan (not finite)" in message
    assert "lr 0.5" in message and "smaller learning rate (lr), e.g. 0.05" in message
    assert info.value.grew is False  # no loss settles from NaN


def test_growth_beyond_factor_trips_but_a_drop_never_does() -> None:
    guard = DivergenceGuard(0.1, factor=100, check_every=1)
    guard(0, _losses(2.3, 256))
    guard(1, _losses(1e-6, 256))  # linear regression's loss falls 10^4-fold and more: fine
    guard(2, _losses(229.0, 256))
    with pytest.raises(DivergenceError, match=r"batch loss is 231, more than 100× its starting") as info:  # fmt: skip
        guard(3, _losses(231.0, 256))
    assert info.value.grew is True  # finite: it may settle later (the run's message says so)


def test_one_hard_example_in_a_tiny_batch_is_not_a_blow_up() -> None:
    guard = DivergenceGuard(0.1, min_examples=64)
    for step in range(64):  # batches of 1 set the reference over 64 examples
        guard(step, _losses(2.3, 1))
    guard(64, _losses(500.0, 1))  # one confidently wrong example: (500 + 63·2.3) / 64 ≈ 10
    for step in range(65, 70):
        guard(step, _losses(2.0, 1))
    with pytest.raises(DivergenceError, match=r"loss of the latest steps"):
        for step in range(70, 140):
            guard(step, _losses(1e4, 1))


def test_reference_window_is_not_inflated_by_a_blow_up() -> None:
    guard = DivergenceGuard(10.0, min_examples=30, check_every=1)
    guard(0, _losses(16.0, 10))
    guard(1, _losses(16.0 * 81, 10))
    guard(2, _losses(16.0 * 81**2, 10))  # the reference window ends here
    # named as the bound uses it, the window's mean, beside the untrained model's loss: no
    # starting value, that mean having grown from the first step's already
    with pytest.raises(
        DivergenceError,
        match=r"more than 100× the mean loss over its first 30 examples \(3\.543e\+04, already "
        r"grown from the first step's 16\),",
    ):
        for step in range(3, 10):
            guard(step, _losses(16.0 * 81**step, 10))


def test_non_finite_evaluation_after_an_epoch_trips() -> None:
    guard = DivergenceGuard(1.0)
    healthy = EpochMetrics(1, 0.5, 0.8, 0.6, 0.8, 0.1)
    guard.on_epoch_end(metrics=healthy)
    with pytest.raises(DivergenceError, match=r"epoch 2: the test loss after the epoch is nan"):
        guard.on_epoch_end(metrics=EpochMetrics(2, 0.5, 0.8, math.nan, 0.1, 0.1))


def test_state_round_trip_keeps_the_reference() -> None:
    guard = DivergenceGuard(0.1)
    guard(0, _losses(2.0, 100))
    guard(1, _losses(1.0, 100))
    restored = DivergenceGuard(0.1, check_every=1)
    restored.load_state_dict(guard.state_dict())
    assert restored.state_dict() == guard.state_dict()
    with pytest.raises(DivergenceError, match="starting value 2,"):
        restored(0, _losses(1000.0, 100))


def test_epoch_end_refuses_a_training_loss_grown_past_factor_times_the_start() -> None:
    guard = DivergenceGuard(0.1, factor=100, min_examples=16, check_every=1)
    guard(0, _losses(2.0, 16))  # the reference: 2
    guard.on_epoch_end(metrics=EpochMetrics(1, 199.0, None, None, None, 0.1))  # under 100 × 2
    with pytest.raises(
        DivergenceError,
        match=r"epoch 2: the training loss after the epoch is 201, more than 100× its starting "
        r"value 2, at lr 0.1",
    ) as info:
        guard.on_epoch_end(metrics=EpochMetrics(2, 201.0, None, None, None, 0.1))
    assert info.value.grew is True


def test_a_dataset_smaller_than_min_examples_is_judged_against_its_mean_so_far() -> None:
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    guard(0, _losses(3.0, 10))  # 10 examples: the reference window never closes
    guard(1, _losses(5.0, 10))  # no step is checked against a reference still open
    assert guard.state_dict()["start_loss"] is None
    guard.on_epoch_end(metrics=EpochMetrics(1, 399.0, None, None, None, 0.1))  # < 100 x mean 4
    assert guard.state_dict()["start_loss"] == 4.0  # the first epoch closed the window
    with pytest.raises(
        DivergenceError,
        match=r"loss after the epoch is 401, .* starting value 4 \(the mean loss over its first 20 "
        r"examples; the first step's was 3\),",
    ):
        guard.on_epoch_end(metrics=EpochMetrics(1, 401.0, None, None, None, 0.1))


def test_one_lucky_first_example_is_no_reference_for_a_tiny_dataset() -> None:
    # 3 examples at batch 1 (`linearnets linreg --num-examples 3 --batch-size 1 --seed 0`): the
    # first example's loss was 0.0136, the others' ~20, the loss after the epoch 22.45; judged
    # against the first step alone, that healthy run "diverged"
    guard = DivergenceGuard(0.03, factor=100, min_examples=64, check_every=1)
    for step, loss in enumerate((0.0136, 25.0, 20.0)):
        guard(step, _losses(loss, 1))
    guard.on_epoch_end(metrics=EpochMetrics(1, 22.45, None, None, None, 0.1))
    assert guard.state_dict()["start_loss"] == pytest.approx(45.0136 / 3)  # the window is closed
    # from then on each step is checked: a real blow-up in the next epoch trips once the typical
    # step has grown too (the median of the latest 5 steps): at its third step, where the mean of
    # the latest steps is (0.0136 + 25 + 20 + 1e4 + 2e4 + 4e4) / 6 = 11674 > 100 x 15.0 and the
    # median of 25, 20, 1e4, 2e4, 4e4 is 1e4
    guard.on_epoch_start(epoch=2, num_batches=3)
    guard(0, _losses(1e4, 1))  # one step of a large loss: a hard example, as far as one can tell
    guard(1, _losses(2e4, 1))
    with pytest.raises(
        DivergenceError, match=r"batch 3 of epoch 2: the loss of the latest steps is 1\.167e\+04"
    ):
        guard(2, _losses(4e4, 1))


def test_a_restored_guard_carries_on_exactly_as_the_original() -> None:
    """The window of the latest steps (sums and counts) survives a checkpoint, not just its list."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    for step in range(4):  # batches of 32: the reference (2) over the first 64, then a window
        guard(step, _losses(2.0, 32))
    restored = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    restored.load_state_dict(guard.state_dict())
    # the window is the last 64 examples: (2·32 + 300·32) / 64 = 151, under 100 × 2
    for g in (guard, restored):
        g(4, _losses(300.0, 32))
    assert restored.state_dict() == guard.state_dict()
    assert restored.state_dict()["recent"] == [[64.0, 32], [9600.0, 32]]
    for g in (guard, restored):  # (300·32 + 500·32) / 64 = 400: both trip at the same step
        with pytest.raises(DivergenceError, match=r"batch 6 of epoch 1: the loss of the latest steps is 400"):  # fmt: skip
            g(5, _losses(500.0, 32))


@pytest.mark.parametrize(
    "kwargs,pattern",
    [
        ({"lr": 0.0}, r"lr must be a finite number > 0, got 0.0"),
        ({"lr": 0.1, "factor": 1.0}, r"factor must be > 1, got 1.0"),
        ({"lr": 0.1, "min_examples": 0}, r"min_examples must be a positive integer"),
        ({"lr": 0.1, "check_every": 0}, r"check_every must be a positive integer \(>= 1\), got 0"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], pattern: str) -> None:
    with pytest.raises(UsageError, match=pattern):
        DivergenceGuard(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_linreg_lr_10_trips_in_the_first_epoch(impl: str) -> None:
    with pytest.raises(
        DivergenceError, match=r"at batch \d+ of epoch 1: .* at lr 10; .*\(lr\), e.g. 0.5 "
    ):
        run_linreg(LinregConfig(impl=impl, lr=10.0))


@pytest.mark.parametrize(
    ("losses", "tail"),
    [
        (torch.tensor([1.0, math.nan]), ", and check the data holds no NaN or inf"),
        (_losses(1e4, 8), ""),
    ],
    ids=["not-finite", "blown-up"],
)
def test_the_fix_names_the_setting_lr_and_the_command_line_its_option(
    losses: torch.Tensor, tail: str
) -> None:
    """From Python (fit, run_linreg) there is no --lr: the fix names the setting lr; the command
    line prints the same message with its option, as it did."""
    from linearnets.cli._report import one_line

    guard = DivergenceGuard(0.3, min_examples=8, check_every=1)
    guard(0, _losses(2.0, 8))
    with pytest.raises(DivergenceError) as info:
        guard(1, losses)
    message = str(info.value)
    # the oracle: a tenth of lr 0.3, written out
    assert message.endswith(
        f"at lr 0.3; try a smaller learning rate (lr), e.g. 0.03 (a tenth){tail}"
    )
    assert "--" not in message
    assert one_line(info.value).endswith(
        f"at lr 0.3; try a smaller learning rate (--lr), e.g. 0.03 (a tenth){tail}"
    )


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
@pytest.mark.parametrize("batch_size", [1, 10, 1000])
def test_linreg_book_lr_never_trips(impl: str, batch_size: int) -> None:
    run_linreg(LinregConfig(impl=impl, lr=0.03, batch_size=batch_size, seed=batch_size))


def test_linreg_guard_can_be_turned_off() -> None:
    result = run_linreg(LinregConfig(lr=10.0, guard=False))
    assert not math.isfinite(result.loss)


def test_nan_in_the_data_stops_training_at_its_step() -> None:
    gen = torch.Generator().manual_seed(0)
    X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 100, generator=gen)
    y[37] = math.nan  # one bad label, as a broken CSV would give
    net = linreg_concise(2, generator=gen)
    loss = torch.nn.MSELoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=0.03)
    # a plain DataLoader: load_array would refuse the NaN before training starts
    train_iter = DataLoader(TensorDataset(X, y), 10, shuffle=False)
    with pytest.raises(DivergenceError, match=r"batch 4 of epoch 1: the batch loss is nan"):
        fit(net, train_iter, loss, updater, 2, callbacks=[DivergenceGuard(0.03)])


def test_fit_alone_trains_through_a_nan_as_the_books_loop_does() -> None:
    """docs/python.md: ``fit`` is unguarded unless given the guard; the same NaN label then ends
    in a ``nan`` history and NaN weights, which ``ln.DivergenceGuard`` would have stopped."""
    import linearnets as ln

    gen = torch.Generator().manual_seed(0)
    X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 100, generator=gen)
    y[37] = math.nan
    net = linreg_concise(2, generator=gen)
    updater = torch.optim.SGD(net.parameters(), lr=0.03)
    train_iter = DataLoader(TensorDataset(X, y), 10, shuffle=False)
    history = fit(net, train_iter, torch.nn.MSELoss(reduction="none"), updater, 1)
    assert math.isnan(history.train_loss[-1])
    assert net[0].weight.isnan().all()
    assert ln.DivergenceGuard is DivergenceGuard


@pytest.mark.parametrize("row", [3, 40], ids=["first-batch", "later-batch"])
def test_fit_alone_stops_a_classifier_whose_data_hold_a_nan(row: int) -> None:
    """docs/python.md: unguarded, a classifier does not train through a NaN as regression does: its
    scores turn NaN, and NaN scores have no accuracy. In an epoch's first batch, the check before
    the update stops it with the weights untouched; later, the epoch's totals do, the weights NaN.
    Either way the batch and the example are named."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.rand(64, 1, 28, 28, generator=gen), torch.randint(0, 10, (64,), generator=gen)
    X[row, 0, 3, 3] = math.nan
    net = softmax_concise(generator=gen)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    batches = [(X[:32], y[:32]), (X[32:], y[32:])]
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    where = {
        3: r"its inputs hold NaN or inf \(1 value of the features X of the epoch's first batch, in "
        r"its example at position 3, counting from 0\), while its weights are finite; ",
        40: r"they first did at batch 2 of train_iter in epoch 1, on 1 of its 32 examples "
        r"\(position 8 in the batch, counting from 0: example 40 in the order train_iter yielded "
        r"them\), while the other 31 examples' scores are finite .*: that example's features X "
        r"hold NaN or inf, or the model's computation overflowed on them ",
    }[row]
    with pytest.raises(
        DivergenceError,
        match=rf"^the model's scores hold NaN, so no accuracy can be computed: {where}",
    ):
        fit(net, batches, loss, updater, 1)
    assert net[1].weight.isnan().any() == (row >= 32)


def _blobs(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Ten Gaussian blobs in 784 dimensions with pixel-like values in [0, 1]."""
    y = torch.randint(0, 10, (n,), generator=gen)
    centers = torch.rand(10, 784, generator=gen)
    X = (centers[y] + 0.3 * torch.randn(n, 784, generator=gen)).clamp(0, 1)
    return X, y


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("lr,diverges", [(1e4, True), (0.1, False)])
def test_softmax_blow_up_trips_though_its_loss_stays_finite(
    lr: float, diverges: bool, reduction: str
) -> None:
    """The same verdict whatever the reduction: a 0-d batch loss counts as the batch's B examples
    (a summed loss's gradient is B = 256 times the mean's, so it takes lr / 256 for the same steps)."""
    gen = torch.Generator().manual_seed(0)
    X, y = _blobs(2048, gen)
    net = softmax_concise(generator=gen)
    loss = torch.nn.CrossEntropyLoss(reduction=reduction)
    updater = torch.optim.SGD(net.parameters(), lr=lr / 256 if reduction == "sum" else lr)
    train_iter = load_array((X, y), 256, generator=gen)
    guard = DivergenceGuard(lr)
    if diverges:
        with pytest.raises(DivergenceError, match=r"batch [2-8] of epoch 1: the batch loss is"):
            fit(net, train_iter, loss, updater, 3, callbacks=[guard])
    else:
        history = fit(net, train_iter, loss, updater, 3, callbacks=[guard])
        assert history.train_loss[-1] < history.train_loss[0]


def test_batched_checks_still_name_the_exact_step() -> None:
    guard = DivergenceGuard(0.1, check_every=4)  # as on an accelerator: one read-back per 4 steps
    guard(0, _losses(2.0, 64))
    guard(1, _losses(math.nan, 64))
    guard(2, _losses(2.0, 64))
    with pytest.raises(DivergenceError, match=r"batch 2 of epoch 1: the batch loss is nan"):
        guard(3, _losses(2.0, 64))


def test_called_alone_on_the_cpu_it_checks_every_step() -> None:
    guard = DivergenceGuard(0.1)  # no fit around it: nothing would check the steps left at the end
    guard(0, _losses(2.0, 64))
    with pytest.raises(DivergenceError, match=r"batch 2 of epoch 1: the batch loss is inf"):
        guard(1, _losses(math.inf, 64))


def test_as_a_fit_callback_a_cpu_run_is_checked_in_groups_of_16_naming_the_exact_step() -> None:
    guard = DivergenceGuard(0.1)
    guard.on_fit_start(num_epochs=1, start_epoch=0)
    guard.on_epoch_start(epoch=1, num_batches=None)
    guard(0, _losses(2.0, 64))
    guard(1, _losses(math.inf, 64))
    for step in range(2, 15):  # nothing read back yet: no sync, no op per step
        guard(step, _losses(2.0, 64))
    with pytest.raises(DivergenceError, match=r"batch 2 of epoch 1: the batch loss is inf"):
        guard(15, _losses(2.0, 64))


@pytest.mark.parametrize(
    "shapes",
    [
        [(64,)] * 5,  # full batches, per-example losses
        [(10, 1)] * 3,  # linear regression's (B, 1) losses
        [(6, 3)] * 3,  # several outputs per example: a row's losses are one example's
        [()] * 4,  # mean-reduced losses
        [(64,), (64,), (17,)],  # an epoch's short last batch
        [(8,), (0,), (8,)],  # an empty shard of a data-parallel batch
        [(0,), (0,)],
    ],
)
def test_a_group_of_steps_is_checked_on_the_same_sums_as_step_by_step(
    shapes: list[tuple[int, ...]],
) -> None:
    gen = torch.Generator().manual_seed(0)
    steps = [torch.rand(shape, generator=gen) * 3 for shape in shapes]
    grouped, single = (
        DivergenceGuard(0.1, check_every=len(steps)),
        DivergenceGuard(0.1, check_every=1),
    )
    for step, losses in enumerate(steps):
        grouped(step, losses)
        single(step, losses)
    assert grouped.state_dict() == single.state_dict()
    # and those sums are the steps' own, summed independently in float64 (empty steps are skipped)
    counted = [(float(l.double().sum()), l.shape[0] if l.ndim else 1) for l in steps]
    counted = [(total, count) for total, count in counted if count]
    recent = grouped.state_dict()["recent"]  # the latest steps, [sum, count] each
    assert 0 < len(recent) <= len(counted) or not counted
    for (total, count), (expected_total, expected_count) in zip(
        recent, counted[len(counted) - len(recent) :], strict=True
    ):
        assert count == expected_count and total == pytest.approx(expected_total, rel=1e-12)


def test_epoch_end_checks_the_steps_not_read_back_yet() -> None:
    guard = DivergenceGuard(0.1, check_every=1000)
    guard.on_epoch_start(epoch=4, num_batches=None)
    guard(0, _losses(math.inf, 8))
    with pytest.raises(DivergenceError, match=r"batch 1 of epoch 4: the batch loss is inf"):
        guard.on_epoch_end(metrics=EpochMetrics(4, 0.5, 0.8, 0.6, 0.8, 0.1))


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_training_loss_after_an_epoch_trips(value: float) -> None:
    guard = DivergenceGuard(0.2)  # no step seen: only the epoch's own figure can tell
    with pytest.raises(
        DivergenceError,
        match=rf"epoch 3: the training loss after the epoch is {value} at lr 0.2; try a smaller",
    ):
        guard.on_epoch_end(metrics=EpochMetrics(3, value, None, None, None, 0.1))


def test_exactly_factor_times_the_start_is_not_yet_more_than_it() -> None:
    guard = DivergenceGuard(0.1, factor=100, min_examples=16, check_every=1)
    guard(0, _losses(2.0, 16))  # the reference: 2
    guard(1, _losses(200.0, 16))  # 100 × 2: not more than that
    guard.on_epoch_end(metrics=EpochMetrics(1, 200.0, None, None, None, 0.1))
    with pytest.raises(
        DivergenceError, match=r"batch 3 of epoch \d+: the batch loss is 200\.5, more than 100×"
    ):
        guard(2, _losses(200.5, 16))


def test_a_batch_of_exactly_min_examples_is_judged_as_a_batch() -> None:
    guard = DivergenceGuard(0.1, factor=10, min_examples=32, check_every=1)
    guard(0, _losses(1.0, 32))
    with pytest.raises(
        DivergenceError, match=r"batch 2 of epoch \d+: the batch loss is 50, more than 10×"
    ):
        guard(1, _losses(50.0, 32))


def test_a_start_at_zero_loss_is_not_blown_up_by_rounding_noise() -> None:
    """A model that starts on the data exactly (loss 0): 1e-12 later is noise, 1 is a blow-up."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=8, check_every=1)
    guard(0, _losses(0.0, 8))
    guard(1, _losses(1e-12, 8))
    guard.on_epoch_end(metrics=EpochMetrics(1, 1e-12, None, None, None, 0.1))
    with pytest.raises(
        DivergenceError, match=r"batch 3 of epoch \d+: the batch loss is 1, .*starting value 0,"
    ):
        guard(2, _losses(1.0, 8))


def test_a_checkpoint_includes_the_steps_not_read_back_yet() -> None:
    guard = DivergenceGuard(0.1, min_examples=8, check_every=100)
    guard(0, _losses(3.0, 4))
    guard(1, _losses(5.0, 4))
    state = guard.state_dict()  # pending steps are checked first, so they are not lost
    assert state["start_loss"] == 4.0 and state["first_loss"] == 3.0
    assert state["recent"] == [[12.0, 4], [20.0, 4]]


def test_pending_steps_hold_no_graph_that_keeps_a_batch_alive() -> None:
    w = torch.ones(3, 1, requires_grad=True)
    X = torch.rand(4, 3)
    batch = weakref.ref(X)
    losses = (X @ w).reshape(-1) ** 2  # the graph saves X for the gradient of w
    guard = DivergenceGuard(0.1, check_every=100)
    guard(0, losses)
    del X, losses
    assert batch() is None


@dataclass(frozen=True)
class _RankOfTwo(DistContext):
    """Rank 0 of a 2-process run; the other rank's (loss sum, count) of each step is given."""

    other: tuple[float, float] = (0.0, 0.0)

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.add_(torch.tensor(self.other, dtype=tensor.dtype))


def test_in_a_data_parallel_run_every_rank_decides_on_the_sums_of_all() -> None:
    dist = _RankOfTwo(rank=0, world_size=2, other=(12.0, 4.0))  # 4 examples, loss sum 12
    guard = DivergenceGuard(0.1, factor=10, min_examples=8, check_every=1, dist=dist)
    guard(0, torch.ones(4, 2))  # 4 examples of 2 outputs each: loss sum 8
    state = guard.state_dict()
    assert state["start_loss"] == (8.0 + 12.0) / (4 + 4) and state["recent"] == [[20.0, 8]]
    # this rank's 4 examples at 200 (sum 800) and the other's 12: 812 / 8 = 101.5 > 10 × 2.5
    with pytest.raises(
        DivergenceError, match=r"batch 2 of epoch \d+: the batch loss is 101\.5, more than 10×"
    ):
        guard(1, torch.full((4, 2), 100.0))


def _overflowing_regression(scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Two features and targets of about ``scale``, finite in float32 (up to 3.4e38)."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(64, 2, generator=gen)
    y = scale * (1 + torch.rand(64, 1, generator=gen))
    assert torch.isfinite(y).all()
    return X, y


def test_a_loss_that_overflows_before_any_update_is_named_a_scale_problem_not_lr() -> None:
    """Targets of ~1e20: the untrained model's ½(ŷ − y)² is ~5e39, past float32's largest value
    (torch.finfo: 3.4028e38), at step 1, before any update, so lr (1e-30) is no cause. Training
    itself would go on: the gradient ŷ − y is finite."""
    from linearnets.cli._report import one_line
    from linearnets.models.scratch import SGD, LinearRegressionScratch, squared_loss

    X, y = _overflowing_regression(1e20)
    assert torch.finfo(torch.float32).max < 0.5 * (1e20) ** 2  # the hand computation
    net = LinearRegressionScratch(2, generator=torch.Generator().manual_seed(0))
    losses = squared_loss(net(X), y)
    assert torch.isinf(losses).all()
    losses.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())  # r is finite, r² is not
    for p in net.parameters():
        p.grad = None
    train_iter = DataLoader(TensorDataset(X, y), 16, shuffle=False)
    updater = SGD(net.parameters(), lr=1e-30)
    with pytest.raises(DivergenceError) as info:
        fit(net, train_iter, squared_loss, updater, 1, callbacks=[DivergenceGuard(1e-30)])
    message = str(info.value)
    assert message == (
        "the loss is inf at batch 1 of epoch 1, before any update, so not because of lr 1e-30: the "
        "targets or the model's outputs are too large for float32, whose largest value is "
        "3.4e+38 (a squared loss overflows once |ŷ − y| passes about 2e+19), or the data hold "
        "inf; the batch's targets y reach 1.97e+20, on all 16 of its examples; rescale the data, "
        "e.g. standardise y (and X where its values are as large)"
    )
    assert "diverged" not in message and "smaller learning rate" not in message
    assert one_line(info.value) == message  # no setting of the command line's is named


def test_one_huge_target_before_any_update_is_named_not_the_features_not_held() -> None:
    """y[3] = 1e20 under a squared loss, X of 32 × 600 (75 KiB, not held past its step): its
    loss alone is inf at the first step. The guard blamed that example's features X ("most likely
    not because of lr 0.01 ... that step's update most likely made the weights non-finite"): no
    update had run, and the target is the cause, which it holds."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(32, 600, generator=gen), torch.randn(32, 1, generator=gen)
    y[3] = 1e20
    torch.manual_seed(0)
    net = torch.nn.Linear(600, 1)
    error = _stopped(X, y, net, torch.nn.MSELoss(reduction="none"), 0.01, 32)
    assert str(error) == (
        "the loss is inf at batch 1 of epoch 1, before any update, so not because of lr 0.01: the "
        "targets or the model's outputs are too large for float32, whose largest value is "
        "3.4e+38 (a squared loss overflows once |ŷ − y| passes about 2e+19), or the data hold "
        "inf; it is not finite on 1 of the batch's 32 examples (position 3 in the batch, "
        "counting from 0: example 3 of the epoch, its index in the dataset), whose targets y "
        "reach 1e+20; rescale the data, e.g. standardise y (and X where its values are as large)"
    )
    assert error.step == 0 and not error.resumable
    # a mean loss singles no example out: the targets that large are named
    torch.manual_seed(0)
    net = torch.nn.Linear(600, 1)
    mean = _stopped(X, y, net, torch.nn.MSELoss(), 0.01, 32)
    assert str(mean).endswith(
        "or the data hold inf; the batch's targets y reach 1e+20 on 1 of its 32 examples "
        "(position 3 in the batch, counting from 0: example 3 of the epoch, its index in the "
        "dataset); rescale the data, e.g. standardise y (and X where its values are as large)"
    ), str(mean)


@pytest.mark.parametrize("check_every", [16, 1])
def test_a_huge_target_after_an_update_is_named_not_the_features_or_the_lr(
    check_every: int,
) -> None:
    """y[99] = 1e20 under a squared loss, in step 4 (X of 32 × 600, 75 KiB, not held past its
    step): with checks in groups its loss was blamed on that example's features X or the lr
    ("True: try a smaller learning rate (lr), e.g. 0.001"), checked every step on the lr ("and
    check the data holds no NaN or inf"); a tenth failed the same way. The held target is the
    cause, and standardising y, the fix named, trains."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(128, 600, generator=gen), torch.randn(128, 1, generator=gen)
    y[99] = 1e20
    message = (
        "training stopped at batch 4 of epoch 1: the batch loss is inf (not finite) because the "
        "batch's targets y reach 1e+20 on 1 of its 32 examples (position 3 in the batch, "
        "counting from 0: example 99 of the epoch, its index in the dataset), too large for "
        "float32, whose largest value is 3.4e+38 (a squared loss overflows once |ŷ − y| passes "
        "about 2e+19), so not because of lr {lr:g}; that step's update most likely broke the "
        "weights: rescale the data, e.g. standardise y (and X where its values are as large), "
        "then train again from fresh weights"
    )
    train_iter = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=False)
    loss = torch.nn.MSELoss(reduction="none")
    for lr in (0.01, 0.001):
        torch.manual_seed(0)
        net = torch.nn.Linear(600, 1)
        guard = DivergenceGuard(lr, check_every=check_every)
        with pytest.raises(DivergenceError) as info:
            fit(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=lr), 2, callbacks=[guard])  # fmt: skip
        assert str(info.value) == message.format(lr=lr)
        assert info.value.step == 3 and info.value.examples and not info.value.resumable
    standard = (y - y.mean()) / y.std()
    torch.manual_seed(0)
    net = torch.nn.Linear(600, 1)
    train_iter = DataLoader(TensorDataset(X, standard), batch_size=32, shuffle=False)
    guard = DivergenceGuard(0.01, check_every=check_every)
    fit(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=0.01), 2, callbacks=[guard])


def test_the_overflow_before_any_update_names_the_losses_own_dtype() -> None:
    guard = DivergenceGuard(0.1, check_every=1)
    with pytest.raises(
        DivergenceError,
        match=r"^the loss is inf at batch 1 of epoch 1, before any update, so not because of lr "
        r"0\.1: the targets or the model's outputs are too large for float64, whose largest value "
        r"is 1\.8e\+308 \(a squared loss overflows once \|ŷ − y\| passes about 1e\+154\)",
    ):
        guard(0, torch.tensor([1.0, math.inf], dtype=torch.float64))


def test_a_nan_loss_before_any_update_points_at_the_data_not_at_lr() -> None:
    guard = DivergenceGuard(0.1, check_every=1)
    with pytest.raises(DivergenceError) as info:
        guard(0, torch.tensor([1.0, math.nan]))
    assert str(info.value) == (
        "the loss is nan at batch 1 of epoch 1, before any update, so not because of lr 0.1: the data "
        "hold NaN or inf, or the targets or the model's outputs are too large for float32; check "
        "the data holds no NaN or inf, and rescale values too large"
    )
    assert info.value.resumable is False  # the data are the cause: the run's stop offers no lr


def test_after_an_update_a_non_finite_loss_is_still_a_divergence_naming_lr() -> None:
    guard = DivergenceGuard(0.1, check_every=1)
    guard(0, _losses(2.0, 8))  # a finite step: its update was made
    with pytest.raises(
        DivergenceError,
        match=r"^training diverged at batch 2 of epoch 1: the batch loss is inf \(not finite\) at lr "
        r"0\.1; try a smaller learning rate \(lr\), e.g. 0\.01 \(a tenth\)",
    ):
        guard(1, _losses(math.inf, 8))


@pytest.mark.parametrize(
    ("data_checked", "tail"),
    [(False, ", and check the data holds no NaN or inf"), (True, "")],
    ids=["data-as-passed", "data-checked"],
)
@pytest.mark.parametrize("value", [math.inf, math.nan], ids=["inf", "nan"])
def test_after_an_update_only_unchecked_data_are_told_to_be_checked_for_nan(
    data_checked: bool, tail: str, value: float
) -> None:
    """The tasks' data are refused when not finite (generated, verified Fashion-MNIST, a data file
    whose reader refuses NaN and inf): their run was told to check them for NaN all the same. Data
    passed to fit as they are (the default) still are."""
    guard = DivergenceGuard(1e30, check_every=1, data_checked=data_checked)
    guard(0, _losses(2.0, 8))  # a finite step: its update was made
    with pytest.raises(DivergenceError) as info:
        guard(1, torch.tensor([1.0, value]))
    assert str(info.value) == (
        f"training diverged at batch 2 of epoch 1: the batch loss is {value} (not finite) at lr "
        "1e+30; try a far smaller learning rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a "
        f"tenth, 1e+29, would most likely blow up too){tail}"
    )


def test_before_any_update_checked_data_are_never_named_as_holding_nan_or_inf() -> None:
    """Finite data and an untrained model's finite weights give a NaN loss only where the model's
    outputs overflow (inf − inf), an inf one only where they or the targets are too large."""
    guard = DivergenceGuard(0.1, check_every=1, data_checked=True)
    with pytest.raises(DivergenceError) as info:
        guard(0, torch.tensor([1.0, math.nan]))
    assert str(info.value) == (
        "the loss is nan at batch 1 of epoch 1, before any update, so not because of lr 0.1: the "
        "model's outputs on the data overflow float32, whose largest value is 3.4e+38 (the data "
        "were checked to hold no NaN or inf); rescale the data, e.g. standardise X"
    )
    assert info.value.resumable is False
    guard = DivergenceGuard(0.1, check_every=1, data_checked=True)
    with pytest.raises(DivergenceError) as info:
        guard(0, torch.tensor([1.0, math.inf], dtype=torch.float64))
    assert str(info.value) == (
        "the loss is inf at batch 1 of epoch 1, before any update, so not because of lr 0.1: the "
        "targets or the model's outputs are too large for float64, whose largest value is "
        "1.8e+308 (a squared loss overflows once |ŷ − y| passes about 1e+154); rescale the data, "
        "e.g. standardise y (and X where its values are as large)"
    )


def test_fit_with_a_default_guard_on_data_holding_nan_names_the_targets_not_the_lr() -> None:
    """A library user's own data, a NaN target in the third batch: the guard cannot know them
    checked, and the NaN is indeed the cause. It was blamed on the lr first ("try a smaller
    learning rate (lr), e.g. 0.003 (a tenth), and check the data holds no NaN or inf"), which
    could not help: the batch's targets and their example are named instead."""
    from linearnets.models.scratch import SGD, LinearRegressionScratch, squared_loss

    X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 32, generator=torch.Generator().manual_seed(0))  # fmt: skip
    y[20, 0] = math.nan  # batch 3 of 4, at batch size 8
    net = LinearRegressionScratch(2, generator=torch.Generator().manual_seed(0))
    train_iter = DataLoader(TensorDataset(X, y), 8, shuffle=False)
    with pytest.raises(DivergenceError) as info:
        fit(net, train_iter, squared_loss, SGD(net.parameters(), lr=0.03), 1, callbacks=[DivergenceGuard(0.03)])  # fmt: skip
    assert str(info.value) == (
        "training stopped at batch 3 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's targets y hold NaN or inf on 1 of its 8 examples (position 4 in the batch, "
        "counting from 0: example 20 of the epoch, its index in the dataset), so not because of "
        "lr 0.03; that step's update most likely made the weights non-finite: clean or drop that "
        "example (torch.isfinite(y).all(dim=1) is False on it), then train again from fresh "
        "weights"
    )
    assert info.value.step == 2 and info.value.examples and not info.value.resumable


def test_fit_names_a_nan_row_of_class_probabilities_at_its_place_in_a_later_epoch() -> None:
    """Soft targets (B, q), one NaN row: the steps before it were read back in an earlier group
    (16 a group on a CPU), so its place in the epoch counts their examples, from the epoch's
    start."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(100, 4, generator=gen), torch.softmax(torch.randn(100, 3, generator=gen), 1)

    class SecondEpochNaN:  # epoch 2 gives example 86 (batch 22 of 25, at batch size 4) a NaN row
        passes = 0

        def __len__(self) -> int:
            return 25

        def __iter__(self) -> Any:
            self.passes += 1
            targets = y.clone()
            if self.passes == 2:
                targets[86] = math.nan
            return iter([(X[i : i + 4], targets[i : i + 4]) for i in range(0, 100, 4)])

    torch.manual_seed(0)
    net = torch.nn.Linear(4, 3)
    with pytest.raises(DivergenceError) as info:
        fit(net, SecondEpochNaN(), torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 3, callbacks=[DivergenceGuard(0.1)])  # fmt: skip
    assert str(info.value).startswith(
        "training stopped at batch 22 of epoch 2: the batch loss is nan (not finite) because the "
        "batch's targets y hold NaN or inf on 1 of its 4 examples (position 2 in the batch, "
        "counting from 0: example 86 in the order train_iter yielded them), so not because of lr "
        "0.1; "
    ), str(info.value)


def test_a_guard_as_train_epochs_on_step_is_shown_the_batches_too() -> None:
    from linearnets.training.loop import train_epoch

    X, y = torch.randn(12, 2), torch.randn(12)
    X[7, 0] = math.inf
    net = torch.nn.Linear(2, 1)
    guard = DivergenceGuard(0.1)  # called per step outside fit: each step is read back at once
    with pytest.raises(DivergenceError, match=r"^training stopped at batch 2 of epoch 1: the batch loss is \S+ \(not finite\) because the batch's features X hold NaN or inf on 1 of its 6 examples \(position 1 in the batch, counting from 0: example 7 of the epoch, its index in the dataset\), so not because of lr 0\.1; "):  # fmt: skip
        train_epoch(net, DataLoader(TensorDataset(X, y), 6), lambda o, t: (o.squeeze(1) - t) ** 2, torch.optim.SGD(net.parameters(), lr=0.1), on_step=guard)  # fmt: skip


def test_a_finite_batch_keeps_the_lr_message() -> None:
    """Finite data at lr 1e38: the weights turn inf in one update, and the lr is blamed as before
    (the data named as one more thing to check, as the guard cannot know the other batches)."""
    gen = torch.Generator().manual_seed(0)
    X, y = 10 * torch.randn(64, 20, generator=gen), torch.randint(0, 10, (64,), generator=gen)
    torch.manual_seed(0)
    net = torch.nn.Linear(20, 10)
    with pytest.raises(DivergenceError) as info:
        fit(net, DataLoader(TensorDataset(X, y), 8), torch.nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=1e38), 1, callbacks=[DivergenceGuard(1e38)])  # fmt: skip
    assert str(info.value) == (
        "training diverged at batch 2 of epoch 1: the batch loss is nan (not finite) at lr 1e+38; "
        "try a far smaller learning rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, "
        "1e+37, would most likely blow up too), and check the data holds no NaN or inf"
    )
    assert not info.value.examples and info.value.resumable


def _images_with_a_nan(nan_batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """20 batches of 32 images 1×32×32 (128 KiB a batch: more than the guard holds past a step),
    the first image of batch ``nan_batch`` (from 0) holding a NaN."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.rand(640, 1, 32, 32, generator=gen), torch.randint(0, 10, (640,), generator=gen)
    X[32 * nan_batch, 0, 3, 3] = math.nan
    return X, y


@pytest.mark.parametrize(
    ("nan_batch", "start"),
    [
        (15, "training stopped at batch 16 of epoch 1: the batch loss is nan (not finite) because the "
             "batch's features X hold NaN or inf on 1 of its 32 examples (position 0 in the batch, "
             "counting from 0: example 480 of the epoch, its index in the dataset), so not because "
             "of lr 0.1; that step's update most likely made the weights non-finite: clean or drop that "
             "example (torch.isfinite(X).flatten(1).all(dim=1) is False on it)"),
        (14, "training diverged at batch 15 of epoch 1: the batch loss is nan (not finite) at lr "
             "0.1, on 1 of its 32 examples (position 0 in the batch, counting from 0: example 448 "
             "of the epoch, its index in the dataset), the other 31 examples' losses finite (none "
             "above 12.8, their median 6.08, the first step's loss 3.25): either that example's "
             "features X hold NaN or inf (the guard holds a batch's X over 64 KiB through its own "
             "step only, so it did not look), or an update made the weights so large that the "
             "model's computation overflowed on it, as a learning rate too large does; "
             "torch.isfinite(X).all() on that batch tells which (False: clean or drop that "
             "example (torch.isfinite(X).flatten(1).all(dim=1) is False on it), then train again "
             "from fresh weights; True: "),
    ],
    ids=["read-at-its-step", "read-a-step-later"],
)  # fmt: skip
def test_large_features_are_looked_at_only_where_their_step_is_read_back_at_once(
    nan_batch: int, start: str
) -> None:
    """Holding a batch's large features until a group of 16 steps is read back would cost each
    step new memory: the guard looks at them only when their own step is the group's last. Else
    the step's per-example losses single that example out, the others' not grown: it is named
    first, beside the lr, with the test that tells them apart (the lr alone was named)."""
    X, y = _images_with_a_nan(nan_batch)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1024, 10))
    with pytest.raises(DivergenceError) as info:
        fit(net, DataLoader(TensorDataset(X, y), 32), torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1, callbacks=[DivergenceGuard(0.1)])  # fmt: skip
    assert str(info.value).startswith(start), str(info.value)


def test_checked_data_and_a_data_parallel_run_are_not_watched() -> None:
    """The tasks' data are finite (checked as read): their steps pay nothing for a look. A
    data-parallel run's processes must all give the same message, each from its own shard."""
    assert DivergenceGuard(0.1, data_checked=True).watch_batches([]) is None

    assert DivergenceGuard(0.1, dist=DistContext(rank=1, world_size=2)).watch_batches([]) is None
    assert DivergenceGuard(0.1).watch_batches([]) is not None


def test_data_checked_must_be_a_bool() -> None:
    with pytest.raises(UsageError, match=r"data_checked must be True or False, got 'yes'"):
        DivergenceGuard(0.1, data_checked="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["state", "start_epoch"])
def test_a_non_finite_loss_at_a_resumes_first_step_blames_the_updates_before_it(how: str) -> None:
    """A resume's first loss is on the checkpoint's weights: no update of the resume (at its lr)
    made them; the updates before the checkpoint did."""
    before = DivergenceGuard(0.5, min_examples=8, check_every=1)
    before(0, _losses(2.0, 8))
    guard = DivergenceGuard(0.5, min_examples=8, check_every=1)
    if how == "state":
        guard.load_state_dict(before.state_dict())
    else:
        guard.on_fit_start(num_epochs=5, start_epoch=2)
    guard.on_epoch_start(epoch=3, num_batches=None)
    with pytest.raises(DivergenceError) as info:
        guard(0, _losses(math.inf, 8))
    assert str(info.value) == (
        "training diverged at batch 1 of epoch 3: the batch loss is inf (not finite) at the first "
        "step after resuming, before any update of this resume, so not because of lr 0.5: the "
        "weights it resumed from give it, so the updates before its checkpoint diverged; start "
        "the run over with a smaller learning rate (lr), e.g. 0.05 (a tenth), or rescale the data"
    )
    assert info.value.resumable is False  # so the run's message offers no resume from it
    guard = DivergenceGuard(0.5, min_examples=8, check_every=1)
    guard.load_state_dict(before.state_dict())
    guard(0, _losses(2.0, 8))  # a resume's later step: its own updates, at its lr
    with pytest.raises(
        DivergenceError, match=r"batch 2 of epoch \d+: the batch loss is inf \(not finite\) at lr"
    ):
        guard(1, _losses(math.inf, 8))


def test_a_linreg_run_on_targets_too_large_for_float32_names_the_scale(tmp_path: Path) -> None:
    """The command's run: a CSV whose y is ~1e20 loads finite in float32, but stopped at step 1
    told neither the file nor the value, and with the guard off "trained" to a loss of inf: it is
    refused as it loads, guard on or off, naming the file and the largest |y| by its line
    (NumPy's oracle), with the rescaling and no lr."""
    from dataclasses import replace

    import numpy as np

    from linearnets.errors import DatasetError

    X, y = _overflowing_regression(1e20)
    table = np.column_stack([X.numpy(), y.numpy()])
    np.savetxt(tmp_path / "big.csv", table, delimiter=",", header="x1,x2,y", comments="")
    read = np.loadtxt(tmp_path / "big.csv", delimiter=",", skiprows=1)[:, -1].astype(np.float32)
    i = int(np.abs(read).argmax())
    config = LinregConfig(data=tmp_path / "big.csv", lr=1e-30)
    for guarded in (config, replace(config, guard=False, epochs=1)):
        with pytest.raises(DatasetError) as info:
            run_linreg(guarded)
        assert str(info.value).startswith(
            f"{tmp_path / 'big.csv'}: y (the last column) is too large for the squared loss in "
            f"float32: its largest in size is {read[i]:.4g}, at line {i + 2}, column 3, and "
        )
        assert "lr;" in str(info.value) and "rescale y" in str(info.value)


def test_one_step_of_a_rare_large_loss_is_no_blow_up_but_steps_that_keep_growing_are() -> None:
    """Batches of 10 on targets with a heavy tail: one step holding a rare large target weighed
    643 against a start of 3, and the run "diverged" at any lr (the typical step had not grown)."""
    guard = DivergenceGuard(0.03, factor=100, min_examples=64, check_every=1)
    for step in range(7):  # the reference: 7 batches of 10, mean 3
        guard(step, _losses(3.0, 10))
    for step, loss in enumerate((2.0, 4500.0, 2.5, 3.0, 2.0, 2.5, 2.0), start=7):
        guard(step, _losses(loss, 10))  # the window's mean passes 300 with the large step
    with pytest.raises(
        DivergenceError, match=r"batch 17 of epoch \d+: the loss of the latest steps is"
    ):
        for step, loss in enumerate((400.0, 800.0, 1600.0), start=14):
            guard(step, _losses(loss, 10))  # three of the latest five past 300


def test_an_epoch_past_the_bound_whose_typical_step_grew_tenfold_stops_at_its_end() -> None:
    """A loss after the epoch past 100× the start, its steps (measured before their updates)
    oscillating at 30×, 5× and 69× it: a blow-up, not a heavy tail (whose typical step stays
    near the start). It needed the typical step past 100× too, and such a run ended unstopped.
    √100 = 10× is the typical step's bound at an epoch's end."""
    for typical, stops in ((30.0, True), (9.9, False)):
        guard = DivergenceGuard(0.03, factor=100, min_examples=30, check_every=1)
        guard.on_epoch_start(epoch=1, num_batches=3)
        for step in range(3):
            guard(step, _losses(1.0, 10))  # the start: 1
        guard.on_epoch_end(metrics=EpochMetrics(1, 1.0, None, None, None, 0.1))
        guard.on_epoch_start(epoch=2, num_batches=3)
        for step, loss in enumerate((typical, 5.0, 69.0)):  # their median: the first
            guard(step, _losses(loss, 10))
        metrics = EpochMetrics(2, 380.0, None, None, None, 0.1)
        if not stops:
            guard.on_epoch_end(metrics=metrics)
            continue
        with pytest.raises(DivergenceError) as info:
            guard.on_epoch_end(metrics=metrics)
        assert str(info.value) == (
            "training diverged in epoch 2: the training loss after the epoch is 380, more than "
            "100× its starting value 1, at lr 0.03; try a smaller learning rate (lr), e.g. "
            "0.003 (a tenth)"
        )


def test_an_epoch_whose_mean_a_heavy_tail_raised_is_not_refused_at_its_end() -> None:
    guard = DivergenceGuard(0.03, factor=100, min_examples=20, check_every=1)
    guard.on_epoch_start(epoch=1, num_batches=None)
    for step in range(2):
        guard(step, _losses(3.0, 10))  # the reference, closed before the epoch ends: 3
    for step in range(2, 10):
        guard(step, _losses(2.0, 10))
    # a loss after the epoch of 495 (> 100 × 3) from a few examples of huge loss; its steps: ~2
    guard.on_epoch_end(metrics=EpochMetrics(1, 495.0, None, None, None, 0.1))
    # without steps of its own, an epoch is judged by its loss alone, as before
    with pytest.raises(DivergenceError, match=r"epoch 2: the training loss after the epoch is 495"):
        guard.on_epoch_end(metrics=EpochMetrics(2, 495.0, None, None, None, 0.1))


def test_a_rare_large_loss_that_moves_the_model_for_good_is_no_blow_up() -> None:
    """Targets that are 0 but for a few of 10³ (batches of 10): the untrained model's loss is ~1e-4
    on the first 64 examples, and every step's is ~5 once one target of 10³ has pulled the
    weights towards it, as the least-squares solution is; the guard stopped that healthy run
    two steps after the large loss. Growth is measured from the level after it instead, and a
    checkpoint carries that level."""
    guard = DivergenceGuard(0.03, factor=100, min_examples=64, check_every=1)
    for step in range(7):  # the reference: 7 batches of 10, mean 1e-4 (a bound of 0.01)
        guard(step, _losses(1e-4, 10))
    guard(7, _losses(5e4, 10))  # one target of 10³: ½·10⁶ over the batch's 10 examples
    after = [5.0, 4.0, 6.0, 5.0]  # the weights moved a long way: every later step is ~5
    for step, loss in enumerate(after, start=8):
        guard(step, _losses(loss, 10))
    restored = DivergenceGuard(0.03, factor=100, min_examples=64, check_every=1)
    restored.load_state_dict(guard.state_dict())
    assert restored.state_dict()["after"] == [[loss, 10] for loss in after]
    for g in (guard, restored):
        for step, loss in enumerate([4.5, 5.5, 4.0, 3.0, 2.0] * 6, start=12):
            g(step, _losses(loss, 10))  # 30 steps: no stop
    assert restored.state_dict() == guard.state_dict()
    assert guard.state_dict()["level"] == 5.0  # the median of the 7 steps after the large loss
    assert guard.state_dict()["start_loss"] == pytest.approx(1e-4)  # the start is kept
    # a blow-up from there is still stopped, once its typical step passes 100 × 5
    for g in (guard, restored):
        g(42, _losses(600.0, 10))  # passes 500 alone; the next step is higher: no new level
        g(43, _losses(2000.0, 10))
        with pytest.raises(  # (5.5 + 4 + 3 + 2 + 600 + 2000 + 4000) / 7; median 600 > 500
            DivergenceError,
            match=r"^training diverged at batch 45 of epoch 1: the loss of the latest steps is "
            r"944\.9, more than 100× its level 5 after a rare large loss \(its starting "
            r"value 0\.0001\), at lr 0\.03; try a smaller learning rate",
        ):
            g(44, _losses(4000.0, 10))


def test_each_rare_large_loss_leaves_its_own_level() -> None:
    """At batch 1 the weights settle back between two large targets; the level after the second
    is its own, not the median of the steps since the first (whose update had settled)."""
    guard = DivergenceGuard(0.03, factor=100, min_examples=64, check_every=1)
    for step in range(7):
        guard(step, _losses(1e-4, 10))
    losses = [5e4, 0.02, 0.03, 0.02, 5e5, 50.0, 40.0, 60.0, 50.0, 50.0, 45.0, 55.0, 50.0]
    for step, loss in enumerate(losses, start=7):
        guard(step, _losses(loss, 10))
    state = guard.state_dict()  # the median of the 7 steps after the second, not the first's
    assert state["level"] == 50.0 and state["after"] == []  # kept once they hold 70 examples
    with pytest.raises(
        DivergenceError, match=r"batch 23 of epoch \d+: .*× its level 50 after a rare large"
    ):
        for step, loss in enumerate([6e3, 1.2e4, 2.4e4], start=20):
            guard(step, _losses(loss, 10))


def test_a_blow_up_that_starts_with_a_rare_large_loss_is_still_stopped() -> None:
    """A large loss whose update sets off a blow-up: the steps after it grow, so their median,
    the level growth is measured from, lags behind them (later than a blow-up from the start:
    the steps after a large loss may settle at any level)."""
    guard = DivergenceGuard(3.0, factor=100, min_examples=64, check_every=1)
    for step in range(7):
        guard(step, _losses(1e-4, 10))
    guard(7, _losses(5e4, 10))
    # 5, 10, 20, ... 320: the median of those 7 steps (70 examples) is 40, the level from then on;
    # 7 steps later the median of the latest 5 is 5120, past 100 × 40
    with pytest.raises(
        DivergenceError,
        match=r"batch 21 of epoch \d+: the loss of the latest steps is 5806, .*× its level 40 ",
    ):
        for step in range(8, 40):
            guard(step, _losses(5.0 * 2 ** (step - 8), 10))


def test_a_step_that_passes_the_bound_and_keeps_growing_sets_no_level() -> None:
    """The step after a blow-up's first one is higher, not lower: no level is taken from it."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    for step in range(7):
        guard(step, _losses(1.0, 10))
    guard(7, _losses(1.0, 10))
    guard(8, _losses(150.0, 10))  # passes 100 × 1 alone, the typical step does not
    guard(9, _losses(300.0, 10))
    assert guard.state_dict()["after"] == [] and guard.state_dict()["level"] is None
    with pytest.raises(
        DivergenceError, match=r"batch 11 of epoch \d+: .* more than 100× its starting value 1,"
    ):
        guard(10, _losses(600.0, 10))


def _heavy_tailed_regression(path: Path, num_large: int = 5) -> float:
    """Two N(0, 1) features and 1000 targets of 0 but ``num_large`` of ±1000, saved to ``path``
    (an .npz); return its least-squares loss (mean ½ r², float64)."""
    import numpy as np

    gen = torch.Generator().manual_seed(2)  # no large target among the first 64 seen, at seed 0
    X = torch.randn(1000, 2, generator=gen)
    y = torch.zeros(1000)
    rows = torch.randperm(1000, generator=gen)[:num_large]
    y[rows] = 1000.0 * torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])[:num_large]
    np.savez(path, X=X.numpy(), y=y.numpy())
    A = torch.cat([X, torch.ones(1000, 1)], dim=1).double()
    residual = A @ torch.linalg.lstsq(A, y.double()[:, None]).solution - y.double()[:, None]
    return float((residual**2).mean() / 2)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
@pytest.mark.parametrize(("batch_size", "seed"), [(1, 0), (10, 0), (16, 0), (20, 1), (24, 1)])
def test_linreg_on_targets_with_a_heavy_tail_trains_as_without_the_guard(
    tmp_path: Path, impl: str, batch_size: int, seed: int
) -> None:
    """995 targets of 0 and 5 of ±1000, at the book's lr: plain SGD stays within 2% of the
    least-squares loss (mean ½ r² 2497) after every epoch, and the guarded run is that run, bit for
    bit. The guard stopped it in the first epoch, two steps after a large target, at batches 1
    and 10; and at batches of 16 to 31, where 3 or 4 steps hold the 64 examples, the median of
    their means held the large target's step, so the step after it, at the level that target's
    update left (~3), stopped the run ("batch 13 of epoch 1: the loss of the latest steps is 7813,
    more than 100× its starting value 0.000124" for scratch at batch 16, seed 0), as did a second
    large target within 4 steps."""
    from dataclasses import replace

    least_squares = _heavy_tailed_regression(tmp_path / "tail.npz")
    if impl == "concise":
        least_squares *= 2  # nn.MSELoss: r², not ½ r²
    config = LinregConfig(
        impl=impl, data=tmp_path / "tail.npz", batch_size=batch_size, epochs=3, seed=seed
    )
    free = run_linreg(replace(config, guard=False))
    assert all(1 <= m.train_loss / least_squares < 1.02 for m in free.history.epochs)
    guarded = run_linreg(config)
    assert (guarded.w, guarded.b) == (free.w, free.b)
    assert guarded.history.train_loss == free.history.train_loss
    # too large an lr on the same data is still a blow-up, and still stopped
    with pytest.raises(
        DivergenceError, match=r"training diverged at batch \d+ of epoch 1: .* at lr 3"
    ):
        run_linreg(replace(config, lr=3.0))


@pytest.mark.parametrize("seed", range(5))
def test_a_noisy_blow_up_at_batch_1_stops_where_growth_from_the_start_says(seed: int) -> None:
    """Each step one example's loss, scattered like χ²₁, growing 1.1× a step after the reference
    window: a step often stands 100× past the typical one and is followed by a lower one, yet it
    is no rare large loss (RARE_RATIO); with a ratio of 100 the guard stopped seeds 0 and 4 55 and
    78 steps late. The oracle: the rule without levels, computed here."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(400, generator=gen, dtype=torch.float64) ** 2
    losses = [float(noise[k]) * 1.1 ** max(k - 63, 0) for k in range(400)]
    bound = 100 * sum(losses[:64]) / 64
    expected = next(
        k
        for k in range(64, 400)
        if sum(losses[k - 63 : k + 1]) / 64 > bound
        and sorted(losses[k - 4 : k + 1])[2] > bound  # the median of the latest 5
    )
    guard = DivergenceGuard(1.0, check_every=1)
    with pytest.raises(
        DivergenceError,
        match=rf"batch {expected + 1} of epoch 1: .* more than 100× (its starting value|the mean loss over its first 64 examples \(.*, already grown)",
    ):
        for step, loss in enumerate(losses):
            guard(step, torch.tensor([loss], dtype=torch.float64))


def _batch(
    value: float, n: int = 64, *, large: float | None = None, columns: int = 1
) -> torch.Tensor:
    """``n`` per-example losses of ``value``, the first ``large`` if given, each split evenly over
    ``columns`` outputs: shape (n,) or (n, columns)."""
    losses = torch.full((n,), value, dtype=torch.float64)
    if large is not None:
        losses[0] = large
    return losses if columns == 1 else (losses / columns)[:, None].expand(n, columns).clone()


@pytest.mark.parametrize("columns", [1, 2])
def test_a_batch_judged_alone_is_typical_by_its_typical_example_not_its_mean(columns: int) -> None:
    """Batches of 64 on targets with a heavy tail: a batch holding one loss of 5e5 among 63 of 1e-4
    has a mean of 7813, and the guard stopped it (it had no typical step to ask). Its typical
    example's loss (the 90th percentile) is 1e-4: a rare large loss, whose next batch's typical
    example sets the level."""
    guard = DivergenceGuard(0.03, check_every=1)
    guard(0, _batch(1e-4, columns=columns))  # the reference: 1e-4, a bound of 0.01
    guard(1, _batch(1e-4, large=5e5, columns=columns))
    guard(2, _batch(0.5, large=2.0, columns=columns))  # lower: the level is its median, 0.5
    guard(3, _batch(0.5, large=5e5, columns=columns))  # another rare large loss
    guard(4, _batch(0.5, columns=columns))
    state = guard.state_dict()
    assert state["level"] == 0.5 and state["start_loss"] == pytest.approx(1e-4)
    with pytest.raises(
        DivergenceError,
        match=r"^training diverged at batch 6 of epoch 1: the batch loss is 60, more than 100× its "
        r"level 0\.5 after a rare large loss \(its starting value 0\.0001\), at lr 0\.03; try",
    ):
        guard(5, _batch(60.0, columns=columns))  # every example's loss grew: a blow-up


def test_a_batch_without_per_example_losses_is_judged_by_its_mean_as_before() -> None:
    """A mean-reduced loss (``fit`` passes its mean once per example) and a data-parallel step (only
    the sum and count are reduced) have no typical example: the batch of 7813 still stops."""
    message = (
        r"batch 2 of epoch 1: the batch loss is {}, more than 100× its starting value 0\.0001,"
    )
    guard = DivergenceGuard(0.03, check_every=1)
    guard(0, _batch(1e-4))
    with pytest.raises(DivergenceError, match=message.format("7813")):
        guard(1, _batch(float(_batch(1e-4, large=5e5).mean())))
    dist = _RankOfTwo(rank=0, world_size=2, other=(64e-4, 64.0))  # the other rank: 64 of 1e-4
    guard = DivergenceGuard(0.03, check_every=1, dist=dist)
    guard(0, _batch(1e-4))
    with pytest.raises(DivergenceError, match=message.format("3906")):
        guard(1, _batch(1e-4, large=5e5))


@pytest.mark.parametrize(
    "impl,batch_size", [("scratch", 64), ("scratch", 100), ("concise", 32), ("concise", 64)]
)
def test_linreg_on_targets_with_a_heavy_tail_at_large_batches_trains_as_without_the_guard(
    tmp_path: Path, impl: str, batch_size: int
) -> None:
    """995 targets of 0 and 5 of ±1000 at batches of 32 or more (a last batch of 40 at 64): the
    guard stopped the run on the first batch holding a large target ("batch loss 7812")."""
    from dataclasses import replace

    _heavy_tailed_regression(tmp_path / "tail.npz")
    config = LinregConfig(impl=impl, data=tmp_path / "tail.npz", batch_size=batch_size, epochs=3)
    free = run_linreg(replace(config, guard=False))
    guarded = run_linreg(config)
    assert (guarded.w, guarded.b) == (free.w, free.b)
    assert guarded.history.train_loss == free.history.train_loss


def test_at_batch_16_rare_large_losses_pass_and_a_blow_up_after_them_is_stopped() -> None:
    """4 steps of 16 hold the 64 examples. A step whose mean passed the bound counts, in their
    median, as the lower of its mean and its typical example's loss: a rare large loss's step
    counts as 1e-4 (its mean, 31250, made the median 1.5 at the next step, at the level 3 its
    update left, which stopped the run), a second one 3 steps later as 3; a blow-up from that
    level stops once the median of the latest 4 steps passes 100 × 3."""
    guard = DivergenceGuard(0.03, check_every=1)
    for step in range(6):  # the reference: the first 4 steps, 1e-4 (a bound of 0.01)
        guard(step, _batch(1e-4, 16))
    guard(6, _batch(1e-4, 16, large=5e5))  # mean 31250: a rare large loss
    guard(7, _batch(3.0, 16))  # the level its update left: (1e-4 + 3) / 2 > 0.01 stopped here
    guard(8, _batch(3.0, 16))
    guard(9, _batch(3.0, 16, large=1e6))  # mean 62503: another, 3 steps after the first
    guard(10, _batch(3.0, 16))
    guard(11, _batch(3.0, 16))
    state = guard.state_dict()
    assert state["level"] == 3.0 and state["start_loss"] == pytest.approx(1e-4)
    assert state["values"] == [3.0] * 5  # the rare step 9 counts as its typical example's 3
    guard(12, _batch(3e3, 16))  # the median of 3, 3, 3, 3000: 3
    with pytest.raises(
        DivergenceError,
        # (3 + 3 + 3000 + 3e4) / 4 and the median (3 + 3000) / 2 = 1501.5 both past 300
        match=r"^training diverged at batch 14 of epoch 1: the loss of the latest steps is 8252, more "
        r"than 100× its level 3 after a rare large loss \(its starting value 0\.0001\), at lr",
    ):
        guard(13, _batch(3e4, 16))


def _two_large_targets(path: Path, scale: float) -> float:
    """The book's data (1000 rows, y = 2 x₁ − 3.4 x₂ + 4.2 + noise) with the targets of rows 100
    and 700 set to ``scale`` × 4.2, saved to ``path`` (a CSV with a header); return its
    least-squares loss (mean ½ r², float64)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 2)).astype(np.float32)
    y = (X @ np.array([2, -3.4], np.float32) + 4.2 + 0.01 * rng.standard_normal(1000)).astype(
        np.float32
    )
    y[[100, 700]] = scale * 4.2
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="x1,x2,y", comments="",
               fmt="%.6g")  # fmt: skip
    table = torch.from_numpy(np.loadtxt(path, delimiter=",", skiprows=1))
    A = torch.cat([table[:, :2], torch.ones(1000, 1, dtype=torch.float64)], dim=1)
    residual = A @ torch.linalg.lstsq(A, table[:, 2:]).solution - table[:, 2:]
    return float((residual**2).mean() / 2)


@pytest.mark.parametrize(
    ("scale", "impl", "batch_size", "seed", "stop"),
    [
        # lr 3 stopped at steps 3, 5 and 3 before the guard's floor, the loss of predicting the
        # mean of the targets seen (test_guard_floor.py): 10³× the start once a large target is seen
        (500, "concise", 32, 0, (5, 2)),  # its large targets' steps: 3 and 5
        (1000, "scratch", 32, 18, (10, 4)),
        (1000, "concise", 40, 21, (5, 2)),  # stopped at step 4: "... steps is 2.21e+05"
    ],
)
def test_linreg_on_two_large_targets_at_batches_of_32_or_more_trains_as_without_the_guard(
    tmp_path: Path, scale: float, impl: str, batch_size: int, seed: int, stop: tuple[int, int]
) -> None:
    """Ordinary targets but two of 500 or 1000 × 4.2, at lr 0.1: a large target's update raised the
    typical example of the step after it past the bound, and with that target's step in the mean
    of the latest two steps the guard stopped the run ("batch 6 of epoch 1: the loss of the latest
    steps is 6.788e+04, more than 100× its starting value 23.93" at 500, concise, batch 32), though
    plain SGD stays within 1% of the least-squares loss after every epoch. The guarded run is that
    run, bit for bit; lr 3 and 10 on the same file still stop in their first steps (lr 10 where
    it did, lr 3 two to five steps later, past 100× the loss of predicting 0 on the targets
    seen, 5.5·10⁴ to 8.8·10⁴, not the start's)."""
    from dataclasses import replace

    least_squares = _two_large_targets(tmp_path / "two.csv", scale)
    if impl == "concise":
        least_squares *= 2  # nn.MSELoss: r², not ½ r²
    config = LinregConfig(
        impl=impl, data=tmp_path / "two.csv", batch_size=batch_size, lr=0.1, epochs=3, seed=seed
    )
    free = run_linreg(replace(config, guard=False))
    assert all(1 <= m.train_loss / least_squares < 1.01 for m in free.history.epochs)
    guarded = run_linreg(config)
    assert (guarded.w, guarded.b) == (free.w, free.b)
    assert guarded.history.train_loss == free.history.train_loss
    for lr, step in zip((3.0, 10.0), stop, strict=True):
        with pytest.raises(
            DivergenceError, match=rf"^training diverged at batch {step} of epoch 1: "
        ):
            run_linreg(replace(config, lr=lr))


@pytest.mark.parametrize(("batch_size", "sign"), [(32, -1.0), (56, 1.0)])
def test_two_large_targets_in_consecutive_batches_are_no_blow_up(
    batch_size: int, sign: float, first_epoch_losses: Any
) -> None:
    """The book's data but two targets of ±4300 (1000 × the typical one), in the 3rd and 4th
    batches of 32 or 56, nn.MSELoss at lr 0.1. The first one's update raised every example's loss
    past 100× the start for a few steps, and the guard stopped the run at the second one's step
    (or, where that one was lower, at the step after it), though the loss falls back and every
    epoch ends within 3% of the least-squares loss. The oracle: the run without the guard."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(1000, 2, generator=gen)
    y = (X @ torch.tensor([2.0, -3.4]) + 4.2 + 0.01 * torch.randn(1000, generator=gen))[:, None]
    y[2 * batch_size + 3], y[3 * batch_size + 5] = 4300.0, sign * 4300.0
    A = torch.cat([X, torch.ones(1000, 1)], dim=1).double()
    residual = A @ torch.linalg.lstsq(A, y.double()).solution - y.double()
    least_squares = float((residual**2).mean())  # nn.MSELoss: r²

    def train(lr: float, callbacks: list[Any]) -> tuple[list[float], torch.Tensor]:
        net = linreg_concise(2, generator=torch.Generator().manual_seed(0))
        updater = torch.optim.SGD(net.parameters(), lr=lr)
        batches = _batches(X, y, batch_size)
        loss = torch.nn.MSELoss(reduction="none")
        history = fit(net, batches, loss, updater, 3, callbacks=callbacks)
        return history.train_loss, torch.cat([p.detach().flatten() for p in net.parameters()])

    steps = first_epoch_losses
    free = train(0.1, [steps])
    assert all(1 <= loss / least_squares < 1.03 for loss in free[0])
    # the guard's bound: 100 × the mean over the first 64 examples (2 batches)
    bound = 100 * float(torch.cat(steps.losses[:2]).mean())
    means = [float(l.mean()) for l in steps.losses]
    typical = [float(torch.quantile(l, 0.9)) for l in steps.losses]
    assert min(means[2:4]) > 10 * bound  # the two large targets' steps
    assert max(typical[3:5]) > 2 * bound  # every example's loss then stood past the bound
    assert max(means[5:]) < bound and max(typical[14:]) < bound / 10  # and fell back
    guarded = train(0.1, [DivergenceGuard(0.1)])
    assert guarded[0] == free[0] and torch.equal(guarded[1], free[1])
    # a blow-up on the same data still stops where it did
    for lr, step in ((3.0, 3), (10.0, 2)):
        with pytest.raises(
            DivergenceError, match=rf"^training diverged at batch {step} of epoch 1: "
        ):
            train(lr, [DivergenceGuard(lr)])


def test_at_batch_32_the_step_after_a_rare_large_loss_is_judged_by_its_own_mean_too() -> None:
    """2 steps of 32 hold the 64 examples, and the typical loss is the latest step's typical
    example. A rare large loss's update may raise the next step's typical example past the bound
    while its mean stays below: with the rare loss's step in the mean of the latest two, that step
    stopped healthy runs. A blow-up raises the step's own mean too, and still stops."""
    guard = DivergenceGuard(0.1, check_every=1)
    guard(0, _batch(1.0, 32))  # the reference: 1, a bound of 100
    guard(1, _batch(1.0, 32))
    guard(2, _batch(1.0, 32, large=32 * 2e3))  # mean 2001: a rare large loss (typical example 1)
    lifted = torch.cat([torch.full((28,), 20.0), torch.full((4,), 500.0)])  # mean 80, q90 452
    guard(3, lifted.double())  # (2001 + 80) / 2 and 452 > 100: this step stopped the run
    guard(4, _batch(20.0, 32))
    assert guard.state_dict()["start_loss"] == 1.0 and guard.state_dict()["level"] is None
    guard(5, _batch(150.0, 32))  # the mean of the latest two, 85, is under the bound
    with pytest.raises(
        DivergenceError,
        match=r"^training diverged at batch 7 of epoch 1: the loss of the latest steps is 225, more "
        r"than 100× its starting value 1, at lr 0\.1; try",
    ):
        guard(6, _batch(300.0, 32))


def test_at_batch_32_two_rare_large_losses_in_a_row_are_no_blow_up() -> None:
    """The second of two rare large losses in consecutive steps of 32, higher than the first: the
    first's update had raised every example's loss past the bound (its typical example, 200), and
    the step stopped the run. Its typical example, below the first loss's step mean, is the level
    that loss left; growth is measured from the level of the steps after it, and a blow-up from
    there still stops."""
    guard = DivergenceGuard(0.1, check_every=1)
    guard(0, _batch(1.0, 32))
    guard(1, _batch(1.0, 32))  # the reference: 1, a bound of 100
    guard(2, _batch(1.0, 32, large=32 * 2e3))  # mean 2001, its typical example 1
    restored = DivergenceGuard(0.1, check_every=1)  # a checkpoint keeps that step's mean
    restored.load_state_dict(guard.state_dict())
    assert restored.state_dict()["heavy"] == pytest.approx(2000 + 31 / 32)
    for g in (guard, restored):
        g(3, _batch(200.0, 32, large=32 * 4e3))  # mean 4194, its typical example 200
        assert g.state_dict()["after"] == [[200.0, 32]]  # its typical example opens the window
        g(4, _batch(150.0, 32))  # the window holds 64 examples: the level is the median, 175
        assert g.state_dict()["level"] == 175.0
        g(5, _batch(2e4, 32))  # (150 + 2e4) / 2 = 10075: under 100 × 175
        with pytest.raises(
            DivergenceError,
            match=r"^training diverged at batch 7 of epoch 1: the loss of the latest steps is 3e\+04, "
            r"more than 100× its level 175 after a rare large loss \(its starting value 1\), at",
        ):
            g(6, _batch(4e4, 32))


def test_at_batch_16_a_blow_up_that_stands_out_and_then_plateaus_is_still_stopped() -> None:
    """A blown-up classifier's first step stands 10⁴ × past the typical step (a rare loss, by its
    mean) and the next is lower: but most of its examples' losses grew too (4 of 16 at 4e5: its
    typical example's loss is 4e5), so it counts in full, and the plateau after it is stopped at
    its first step, not taken for the level a rare loss left."""
    split = [0.0] * 12 + [4e5] * 4  # right on 12 examples, confidently wrong on 4: mean 1e5
    guard = DivergenceGuard(1e3, check_every=1)
    for step in range(6):  # the reference: 2 (a bound of 200)
        guard(step, _batch(2.0, 16))
    guard(6, torch.tensor(split, dtype=torch.float64))  # the median of 2, 2, 2, 1e5: 2
    assert guard.state_dict()["rare"] == 1e5
    plateau = torch.tensor([0.0] * 13 + [2e5] * 3, dtype=torch.float64)  # mean 37500, lower
    with pytest.raises(
        DivergenceError,
        # (2 + 2 + 1e5 + 37500) / 4; the median of 2, 2, 1e5, 37500: 18751
        match=r"^training diverged at batch 8 of epoch 1: the loss of the latest steps is 3.438e\+04, "
        r"more than 100× its starting value 2, at lr 1000",
    ):
        guard(7, plateau)


def test_a_checkpoint_from_before_values_counts_the_latest_steps_by_their_means() -> None:
    guard = DivergenceGuard(0.1, min_examples=32, check_every=1)
    for step, loss in enumerate((2.0, 4.0, 3.0)):
        guard(step, _batch(loss, 16))
    state = guard.state_dict()
    assert state["values"] == [2.0, 4.0, 3.0]
    del state["values"]  # as saved before steps counted as anything but their means
    restored = DivergenceGuard(0.1, min_examples=32, check_every=1)
    restored.load_state_dict(state)
    assert restored.state_dict()["values"] == [4.0, 3.0]  # those of the latest steps kept


def test_a_blow_up_on_targets_with_a_heavy_tail_stops_where_it_did(tmp_path: Path) -> None:
    """lr 10 at batch 64 on the same data (its loss becomes NaN without the guard): every example's
    loss had grown at the batch holding the first large target (step 3, whose loss of 7815 is
    that of predicting 0 on it, 1000²/2/64), where it stopped; it now stops two steps later,
    past 100× the loss of predicting the mean of the targets seen (their mean is 0 by then: one
    of +1000 and one of −1000 among 320, ½·2·1000²/320 = 3125 at step 5)."""
    _heavy_tailed_regression(tmp_path / "tail.npz")
    config = LinregConfig(data=tmp_path / "tail.npz", batch_size=64, lr=10.0, epochs=3)
    with pytest.raises(
        DivergenceError,
        match=r"^training diverged at batch 5 of epoch 1: the batch loss is 1\.154e\+06, more than "
        r"100× 3125, the loss of predicting the mean of the targets seen so far \(the run's "
        r"starting loss was 0\.0001364\), at lr 10; try",
    ):
        run_linreg(config)


def test_a_blown_up_classifier_whose_losses_split_in_two_is_still_stopped() -> None:
    """Confidently right on 40 of 64 examples (loss 0), wrong on 24 (loss 1e4): the median example's
    loss is 0, yet this is a blow-up, and stops as before."""
    guard = DivergenceGuard(10.0, check_every=1)
    guard(0, _batch(2.3))
    split = torch.cat([torch.zeros(40), torch.full((24,), 1e4)])
    with pytest.raises(
        DivergenceError, match=r"batch 2 of epoch \d+: the batch loss is 3750, more than 100× its"
    ):
        guard(1, split)


# --- a blow-up inside the reference window (batches smaller than min_examples) -------------------


def _random_labels(n: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Five features of about 10 (standard normals × 10) and random labels of 3 classes: a
    classifier can do no better than chance (1/3)."""
    gen = torch.Generator().manual_seed(0)
    return torch.randn(n, 5, generator=gen) * 10, torch.randint(0, 3, (n,), generator=gen)


def _batches(X: torch.Tensor, y: torch.Tensor, size: int) -> list[tuple[torch.Tensor, ...]]:
    return [(X[i : i + size], y[i : i + size]) for i in range(0, X.shape[0], size)]


def _fit_classifier(lr: float, batch_size: int, callbacks: list[DivergenceGuard]) -> list[float]:
    X, y = _random_labels()
    torch.manual_seed(0)
    net = torch.nn.Linear(5, 3)
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=lr)
    history = fit(net, _batches(X, y, batch_size), loss, updater, 3, callbacks=callbacks)
    return history.train_loss


def test_a_blow_up_inside_the_reference_window_stops_at_its_step() -> None:
    """lr 1e3 at batch 16 on features of about 10: the second step's loss is 10⁴ times the first's.
    The starting loss is the mean over the first 64 examples (4 steps, 3 after an update), so that
    blow-up set it at ~3·10⁴ and the run trained on unstopped, at ~3·10⁴ every epoch. The first
    step (the untrained model's loss) now judges the steps after it in the window."""
    X, y = _random_labels()
    # the oracle: the first two steps by hand
    torch.manual_seed(0)
    net = torch.nn.Linear(5, 3)
    first = torch.nn.functional.cross_entropy(net(X[:16]), y[:16], reduction="none")
    start = float(first.detach().mean())
    first.mean().backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= 1e3 * p.grad
        second = torch.nn.functional.cross_entropy(net(X[16:32]), y[16:32], reduction="none")
    assert float(second.mean()) > 100 * start and float(second.median()) > 100 * start
    # without the guard it trains on, blown up: far past 100× the start after every epoch
    assert all(loss > 100 * start for loss in _fit_classifier(1e3, 16, []))
    with pytest.raises(DivergenceError) as info:
        _fit_classifier(1e3, 16, [DivergenceGuard(1e3)])
    assert str(info.value) == (
        f"training diverged at batch 2 of epoch 1: the batch loss is {float(second.mean()):.4g}, "
        f"more than 100× its starting value {start:.4g}, at lr 1000; try a far smaller learning "
        "rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, 100, would most likely blow "
        "up too)"
    )
    assert info.value.grew is True


def test_a_healthy_run_at_batch_16_trains_as_without_the_guard() -> None:
    free = _fit_classifier(0.1, 16, [])
    assert _fit_classifier(0.1, 16, [DivergenceGuard(0.1)]) == free


@pytest.mark.parametrize("batch_size", [1, 4, 8, 16])
@pytest.mark.parametrize("rows", [[20], [40, 41], [16, 17, 18], [20, 40, 60]])
def test_large_targets_inside_the_reference_window_are_no_blow_up(
    batch_size: int, rows: list[int]
) -> None:
    """Targets of 0 but for a few of ±1000 among the first 64 examples (in order): a step holding
    one, two or three of them has a mean 10⁸ times the first step's, and every later step is
    ~10⁴ times it once their update has moved the weights, yet no step's median example has grown:
    the run trains as without the guard."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(1000, 2, generator=gen)
    y = torch.zeros(1000, 1)
    y[rows] = 1000.0 * torch.tensor([1.0, -1.0, 1.0])[: len(rows), None]
    losses = []
    for callbacks in ([], [DivergenceGuard(0.03)]):
        net = linreg_concise(2, generator=torch.Generator().manual_seed(0))
        updater = torch.optim.SGD(net.parameters(), lr=0.03)
        loss = torch.nn.MSELoss(reduction="none")
        history = fit(net, _batches(X, y, batch_size), loss, updater, 2, callbacks=callbacks)
        losses.append(history.train_loss)
    assert losses[0] == losses[1]


def test_inside_the_reference_window_a_step_is_judged_by_its_median_example() -> None:
    guard = DivergenceGuard(0.1, check_every=1)
    guard(0, _losses(2.0, 16))  # the untrained model's loss: 2, a bound of 200
    rare = torch.cat([torch.full((7,), 1e4), torch.full((9,), 1.0)])  # mean 4376, median 1
    guard(1, rare)
    # judged against the mean so far, (32 + 7·10⁴ + 9) / 32 = 2189: the rare losses' update may
    # have moved every example's loss (here to 100); a bound of 2.2·10⁵
    guard(2, _losses(100.0, 16))
    with pytest.raises(
        DivergenceError,
        match=r"^training diverged at batch 4 of epoch 1: the batch loss is 3e\+05, more than 100× "
        r"the mean loss over its first 48 examples \(1493, already grown from the first step's "
        r"2\), at lr 0\.1; try",
    ):
        guard(3, torch.cat([torch.full((7,), 0.0), torch.full((9,), 3e5 * 16 / 9)]))


def test_inside_the_reference_window_losses_split_in_two_stop_past_far_lr() -> None:
    """A window step whose mean passed 100× the mean so far while its median example did not:
    rare large losses, or a classifier blown up to be confidently right (~0) on most examples and
    wrong on the rest, whose median fell 100-fold with one update. Past FAR_LR that stops the run
    (tiny files at lr 1e30 trained on to nonsense); at a rate a linear model trains at, a step
    can shrink most losses that far (a Newton step on one feature and exact targets) just before a
    large target: no stop. Nor does a fall spread over several updates, at any rate."""
    split = torch.cat([torch.zeros(12, dtype=torch.float64), torch.full((4,), 1e4)])  # mean 2500
    for lr in (FAR_LR, 11.0):
        guard = DivergenceGuard(lr, check_every=1)
        guard(0, _losses(1.0, 16))  # the untrained model's: a bound of 100
        if lr <= FAR_LR:
            guard(1, split)
            assert guard.state_dict()["start_loss"] is None  # the window is open, unstopped
            continue
        with pytest.raises(
            DivergenceError,
            match=r"^training diverged at batch 2 of epoch 1: the batch loss is 2500, more than 100× "
            r"its starting value 1, at lr 11; try a far smaller learning rate",
        ):
            guard(1, split)
    guard = DivergenceGuard(1e30, check_every=1)
    guard(0, _losses(1.0, 16))
    guard(1, _losses(0.1, 16))  # 10× smaller, then 20×: no update shrank them 100-fold
    rare = torch.cat([torch.full((15,), 0.005, dtype=torch.float64), torch.tensor([1e4])])
    guard(2, rare)  # mean 625 > 100 × 0.55, its median example 0.005
    guard(3, _losses(0.004, 16))
    assert guard.state_dict()["start_loss"] == pytest.approx((1 + 0.1 + 625.0046875 + 0.004) / 4)


@pytest.mark.parametrize(
    "losses",
    [
        torch.tensor(1e4).expand(16),  # a mean-reduced loss as fit passes it: no example's
        _losses(1e4, 8),  # 8 examples: one or two rare losses are a quarter of them
    ],
    ids=["mean-reduced", "batch-of-8"],
)
def test_inside_the_reference_window_steps_without_a_median_example_wait_for_it_to_close(
    losses: torch.Tensor,
) -> None:
    guard = DivergenceGuard(0.1, check_every=1)
    guard(0, _losses(2.0, 16))
    guard(1, losses)
    assert guard.state_dict()["start_loss"] is None  # the window is still open, nothing stopped


@pytest.mark.parametrize(
    ("lr", "smaller"),
    [(0.3, 0.03), (1.0, 0.1), (5.0, 0.5), (10.0, 0.5), (10.5, 0.5), (1e4, 0.5), (1e30, 0.5)],
)
def test_the_rate_to_try_is_a_tenth_up_to_one_half(lr: float, smaller: float) -> None:
    """A run that blew up at lr 1e30 was told to try 1e29 (a tenth), which blows up as surely;
    one at lr 10 or 100 to try 1, at which nn.MSELoss (no ½) blows up again."""
    assert FAR_LR == 10.0
    assert smaller_lr(lr) == pytest.approx(smaller)


def test_a_blow_up_at_a_far_rate_names_a_rate_a_linear_model_trains_at() -> None:
    """The advice after linear regression at lr 1e30 trains: lr 0.5 recovers the true weights."""
    with pytest.raises(DivergenceError, match=r"try a far smaller learning rate \(lr\), e\.g\. 0\.5 "
                       r"\(the book trains at 0\.03 and 0\.1; a tenth, 1e\+29, would most likely "
                       r"blow up too\)"):  # fmt: skip
        run_linreg(LinregConfig(lr=1e30))
    result = run_linreg(LinregConfig(lr=smaller_lr(1e30)))
    assert max(abs(w - t) for w, t in zip(result.w, result.true_w, strict=True)) < 0.01


@pytest.mark.parametrize("impl", ["scratch", "concise"])
@pytest.mark.parametrize("lr", [10.0, 100.0])
def test_the_rate_advised_after_a_blow_up_trains_either_squared_loss(impl: str, lr: float) -> None:
    """nn.MSELoss has no ½ (its gradient is twice squared_loss's): the concise model was advised
    lr 1 after a blow-up at 10 or 100, where it blew up again for seeds 0-3; 0.5 trains both."""
    for seed in range(4):
        with pytest.raises(DivergenceError, match=r"learning rate \(lr\), e\.g\. 0\.5 \("):
            run_linreg(LinregConfig(impl=impl, lr=lr, seed=seed))
        result = run_linreg(LinregConfig(impl=impl, lr=smaller_lr(lr), seed=seed))
        assert max(abs(w - t) for w, t in zip(result.w, result.true_w, strict=True)) < 0.01


@pytest.mark.parametrize("start_epoch", [0, 1])
def test_a_fit_that_resumes_after_one_epoch_is_a_resume(start_epoch: int) -> None:
    """fit's ``start_epoch`` counts the epochs done: 1 resumes from the first epoch's checkpoint,
    whose first non-finite loss the updates before it caused; 0 is a fresh run's untrained model."""
    guard = DivergenceGuard(0.5, min_examples=8, check_every=1)
    guard.on_fit_start(num_epochs=3, start_epoch=start_epoch)
    guard.on_epoch_start(epoch=start_epoch + 1, num_batches=None)
    with pytest.raises(DivergenceError) as info:
        guard(0, _losses(math.inf, 8))
    resumed = "at the first step after resuming, before any update of this resume" in str(
        info.value
    )
    assert resumed == (start_epoch == 1)


def _after_one_epoch(lr: float = 0.1) -> DivergenceGuard:
    """A guard that ran epoch 1 as ``fit`` runs it: 2 steps of 32 examples, the start 1."""
    guard = DivergenceGuard(lr, factor=100, min_examples=64, check_every=1)
    guard.on_epoch_start(epoch=1, num_batches=2)
    for step in range(2):
        guard(step, _losses(1.0, 32))
    guard.on_epoch_end(metrics=EpochMetrics(1, 1.0, None, None, None, 0.1))
    guard.on_epoch_start(epoch=2, num_batches=2)
    return guard


_KEPT = (
    "before any update of epoch 2: the weights epoch 1 left give it (the updates before grew "
    "it), and a resume from those weights starts at this loss whatever its lr; start the run "
    "over with a smaller learning rate (lr), e.g. 0.01 (a tenth)"
)


def test_a_loss_grown_at_an_epochs_first_step_is_the_kept_weights_no_smaller_lr_resumes() -> None:
    """An epoch's first loss is that of the weights the epoch before left, which its checkpoint
    holds, before any update: a resume from it at any lr starts at this loss and stops again
    (each retry was advised a tenth of the lr, for ever). The run is to start over."""
    for guard in (_after_one_epoch(), _after_one_epoch()):
        restored = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
        restored.load_state_dict(guard.state_dict())  # a resume from epoch 1's checkpoint
        restored.on_fit_start(num_epochs=3, start_epoch=1)
        restored.on_epoch_start(epoch=2, num_batches=2)
        for g in (guard, restored):
            with pytest.raises(DivergenceError) as info:
                g(0, _losses(500.0, 32))  # (1 + 500) / 2 over the latest 64 examples
            assert str(info.value) == (
                "training diverged at batch 1 of epoch 2: the loss of the latest steps is 250.5, "
                f"more than 100× its starting value 1, {_KEPT}"
            )
            assert (info.value.resumable, info.value.grew) == (False, True)
    # the epoch's second step follows an update at this lr: a resume with a smaller one helps
    guard = _after_one_epoch()
    guard(0, _losses(1.0, 32))
    with pytest.raises(
        DivergenceError, match=r"batch 2 of epoch \d+: .*, at lr 0\.1; try a smaller"
    ) as info:
        guard(1, _losses(500.0, 32))
    assert info.value.resumable is True
    # a fresh run's first epoch has no such weights
    guard = DivergenceGuard(0.1, factor=100, min_examples=32, check_every=1)
    guard.on_epoch_start(epoch=1, num_batches=3)
    guard(0, _losses(1.0, 32))
    with pytest.raises(DivergenceError) as info:
        guard(1, _losses(500.0, 32))
    assert info.value.resumable is True


def test_an_epoch_of_one_step_judged_by_its_mean_is_the_kept_weights_loss() -> None:
    """Data of one batch: softmax's epoch loss is its only step's mean, the kept weights' loss
    before any update; linreg's, measured after the epoch's update (300), is this lr's doing."""
    for train_loss, resumable in ((150.0, False), (300.0, True)):
        guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
        guard.on_epoch_start(epoch=1, num_batches=1)
        guard(0, _losses(1.0, 40))  # the window stays open: 40 examples
        guard.on_epoch_end(metrics=EpochMetrics(1, 1.0, None, None, None, 0.1))  # the start: 1
        guard.on_epoch_start(epoch=2, num_batches=1)
        guard(0, _losses(150.0, 40))  # (40 + 6000) / 80 = 75.5 over the latest 80: no stop yet
        with pytest.raises(DivergenceError) as info:
            guard.on_epoch_end(metrics=EpochMetrics(2, train_loss, None, None, None, 0.1))
        said = (
            f"over its only step, {_KEPT}"
            if not resumable
            else "at lr 0.1; try a smaller learning rate (lr), e.g. 0.01 (a tenth)"
        )
        assert str(info.value) == (
            f"training diverged in epoch 2: the training loss after the epoch is {train_loss:g}, "
            f"more than 100× its starting value 1, {said}"
        )
        assert info.value.resumable is resumable


def test_a_dataset_of_one_example_sets_the_start_at_the_first_epochs_end() -> None:
    """A window that one example's epoch leaves open closes at that epoch's end, on that example:
    the loss it sets is the start the next epoch is judged against."""
    guard = DivergenceGuard(0.1, min_examples=64, check_every=1)
    guard.on_fit_start(num_epochs=2, start_epoch=0)
    guard.on_epoch_start(epoch=1, num_batches=1)
    guard(0, _losses(0.5, 1))
    assert guard.start_loss is None  # 1 example of the 64
    guard.on_epoch_end(metrics=EpochMetrics(1, 0.5, None, None, None, 0.0))
    assert guard.start_loss == 0.5
    guard.on_epoch_start(epoch=2, num_batches=1)
    with pytest.raises(
        DivergenceError, match=r"at batch 1 of epoch 2: the loss of the latest steps"
    ):
        guard(0, _losses(1000.0, 1))  # the latest two steps' mean: 500, 1000 × the start


def test_inside_the_reference_window_exactly_factor_times_the_mean_so_far_is_not_yet_more() -> None:
    """Past FAR_LR a window step whose losses split in two stops the run only where its mean is
    more than factor × the mean so far: at exactly 100× (mean 100 over a start of 1) it goes on;
    a hair above, the same split stops it."""
    at_bound = torch.cat([torch.zeros(12, dtype=torch.float64), torch.full((4,), 400.0)])
    guard = DivergenceGuard(11.0, check_every=1)
    guard(0, _losses(1.0, 16))  # the untrained model's: a bound of 100
    guard(1, at_bound)  # mean exactly 100, median example 0 (100-fold below 1)
    assert guard.state_dict()["start_loss"] is None  # the window is open, unstopped
    guard = DivergenceGuard(11.0, check_every=1)
    guard(0, _losses(1.0, 16))
    with pytest.raises(
        DivergenceError, match=r"batch 2 of epoch \d+: the batch loss is 100\.1, more than 100×"
    ):
        guard(1, at_bound + torch.cat([torch.zeros(12), torch.full((4,), 0.4)]).double())


def _rare(value: float, rest: float = 1.0, n: int = 64) -> torch.Tensor:
    """A batch of ``n`` float64 losses: ``rest`` but for one example's ``value``."""
    losses = torch.full((n,), rest, dtype=torch.float64)
    losses[-1] = value
    return losses


def test_an_epoch_that_closes_the_window_is_judged_by_its_loss_after_it_alone() -> None:
    """The window closed by this epoch holds its steps, blown up or not: their median (the start
    itself here) says nothing, and the loss after the epoch, 1000× the start, is refused."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    for step in range(3):
        guard(step, _losses(1.0, 8))  # 24 examples: the window stays open
    with pytest.raises(DivergenceError) as info:
        guard.on_epoch_end(metrics=EpochMetrics(1, 1000.0, None, None, None, 0.1))
    assert str(info.value).startswith(
        "training diverged in epoch 1: the training loss after the epoch is 1000, more than 100× "
        "its starting value 1, at lr 0.1;"
    )


def test_at_an_epochs_end_steps_with_a_rare_large_loss_count_as_their_typical_example() -> None:
    """Two of three batches of 64 hold one loss of 10⁵ among losses of 1: their means (1563)
    raise the epoch's loss (1042) past 100× the start, not its typical step (each counts as its
    typical example, 1): no blow-up."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    guard(0, _rare(1.0))  # the start: 1
    guard(1, _rare(1e5))
    guard(2, _rare(1e5))
    train_loss = (64 + 2 * (63 + 1e5)) / 192
    assert train_loss > 100
    guard.on_epoch_end(metrics=EpochMetrics(1, train_loss, None, None, None, 0.1))  # no error


def test_after_a_rare_large_loss_a_step_whose_typical_example_passes_its_mean_is_a_blow_up() -> (
    None
):
    """A batch of 64 whose mean (157) passed 100× the start on one loss of 10⁴ (its typical
    example 1), then one whose typical example (200) stands past that mean too: every example
    grew, a blow-up, not the level the rare loss's update left."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    guard(0, _rare(1.0))  # the start: 1
    guard(1, _rare(1e4))  # mean (63 + 10⁴) / 64 = 157.2: a rare large loss
    with pytest.raises(DivergenceError) as info:
        guard(2, _rare(1e6, rest=200.0))  # mean 15822, typical example 200
    assert str(info.value).startswith(
        "training diverged at batch 3 of epoch 1: the batch loss is 1.582e+04, more than 100× its "
        "starting value 1, at lr 0.1;"
    )


def test_at_batch_16_an_epochs_steps_with_a_rare_large_loss_count_as_their_typical_example() -> (
    None
):
    """Batches of 16 (four steps make the latest steps' window): two of an epoch's three steps
    hold one loss of 10⁵ among losses of 1 (their means 6251); each counts as its typical
    example, 1, in the median of the epoch's steps, so the epoch's loss, 4167, is no blow-up."""
    guard = DivergenceGuard(0.1, factor=100, min_examples=64, check_every=1)
    guard.on_epoch_start(epoch=1, num_batches=4)
    for step in range(4):
        guard(step, _rare(1.0, n=16))  # the start: 1
    guard.on_epoch_end(metrics=EpochMetrics(1, 1.0, None, None, None, 0.1))
    guard.on_epoch_start(epoch=2, num_batches=3)
    guard(0, _rare(1e5, n=16))
    guard(1, _rare(1e5, n=16))
    guard(2, _rare(1.0, n=16))
    train_loss = (2 * (15 + 1e5) + 16) / 48
    guard.on_epoch_end(metrics=EpochMetrics(2, train_loss, None, None, None, 0.1))  # no error


# --- the data are blamed only on evidence; the batches are let go of --------------------------


class _FillsNaN(torch.nn.Module):
    """A model that fills missing features (NaN) in with 0 itself: NaN in X is no fault."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(4, 3)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(torch.nan_to_num(X))


def _missing_features() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 4, generator=gen) * 5, torch.randint(0, 3, (64,), generator=gen)
    X[17, 2] = X[21, 0] = math.nan  # missing values, in the second batch of 16
    return X, y


_LR_1E38 = (
    "training diverged at batch 2 of epoch 1: the batch loss is nan (not finite) at lr 1e+38; try a "
    "far smaller learning rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, 1e+37, "
    "would most likely blow up too), and check the data holds no NaN or inf"
)


_FILLED_BESIDE = (
    "; the batch's features X hold NaN or inf on 2 of its 16 examples (positions 1 and 5 in "
    "the batch, counting from 0: examples 17 and 21 of the epoch, their indices in the "
    "dataset), which may be the cause instead: clean or drop those examples "
    "(torch.isfinite(X).all(dim=1) is False on them)"
)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_nan_features_a_model_fills_in_are_named_beside_an_lr_past_far_lr(reduction: str) -> None:
    """The model tolerates the NaN in X, and lr 1e38 blew the weights up at the first step: every
    example's loss is NaN at the second, the finite ones' too. Nothing tells the two apart: the
    lr, past FAR_LR, leads, the NaN examples are named beside it (they were named as the sole
    cause; per example, at one time, not at all)."""
    X, y = _missing_features()
    torch.manual_seed(0)
    net = _FillsNaN()
    loss = torch.nn.CrossEntropyLoss(reduction=reduction)
    with pytest.raises(DivergenceError) as info:
        fit(net, DataLoader(TensorDataset(X, y), 16), loss, torch.optim.SGD(net.parameters(), lr=1e38), 1, callbacks=[DivergenceGuard(1e38)])  # fmt: skip
    assert str(info.value) == _LR_1E38 + _FILLED_BESIDE
    assert not info.value.examples and info.value.resumable


def test_sparse_features_are_neither_held_nor_looked_at() -> None:
    """A sparse X has no nbytes and no torch.isfinite: a fit that trained before the guard
    watched batches trains again (it raised RuntimeError: nbytes is not defined)."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 5, generator=gen), torch.randint(0, 3, (64,), generator=gen)
    batches = [(X[i : i + 16].to_sparse(), y[i : i + 16]) for i in range(0, 64, 16)]
    W = torch.nn.Parameter(torch.zeros(5, 3))

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.sparse.mm(X, W)

    net.parameters = lambda: [W]  # type: ignore[attr-defined]
    history = fit(net, batches, torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD([W], lr=0.1), 2, callbacks=[DivergenceGuard(0.1)])  # fmt: skip
    assert len(history.epochs) == 2 and math.isfinite(history.epochs[-1].train_loss)


@pytest.mark.parametrize(
    "how", ["callback", "on_step", "callback, raising", "user on_step raising", "callback raising"]
)
def test_the_loader_and_its_batches_are_not_kept_once_fit_returns_or_raises(how: str) -> None:
    """The guard kept the loader (and its dataset) after fit, and, where another hook raised,
    the batches of the steps not read back, or the whole batch of the step it raised in."""
    X, y = torch.randn(512, 4), torch.randint(0, 3, (512,))
    loader = DataLoader(TensorDataset(X, y), 16)
    alive = weakref.ref(X), weakref.ref(loader)
    guard = DivergenceGuard(0.1)

    class Stop:
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            if "raising" in how and step == 5:
                raise RuntimeError("stopped by the user")

    def user_on_step(step: int, losses: torch.Tensor) -> None:
        Stop().on_batch_end(step, losses)

    hooks: dict[str, Any] = {
        "callback": {"callbacks": [guard]},
        "on_step": {"on_step": guard},
        "callback, raising": {"callbacks": [guard, Stop()]},
        "user on_step raising": {"callbacks": [guard], "on_step": user_on_step},
        "callback raising": {"on_step": guard, "callbacks": [Stop()]},
    }[how]
    net = torch.nn.Linear(4, 3)
    try:
        fit(net, loader, torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1, **hooks)  # fmt: skip
    except RuntimeError as exc:
        assert str(exc) == "stopped by the user"
    del X, y, loader, hooks
    assert [ref() for ref in alive] == [None, None]
    assert guard._batch is None
    assert all(batch is None for *_, batch in guard._pending)


def test_one_guard_as_on_step_and_as_a_callback_checks_each_step_once() -> None:
    """Checked twice a step, it counted each step's examples twice: example 100 was named 164."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(512, 20, generator=gen), torch.randint(0, 3, (512,), generator=gen)
    X[100, 1] = math.nan
    guard = DivergenceGuard(0.1)
    net = torch.nn.Linear(20, 3)
    with pytest.raises(DivergenceError, match=r"\(position 4 in the batch, counting from 0: example 100 of the epoch, its index in the dataset\)"):  # fmt: skip
        fit(net, DataLoader(TensorDataset(X, y), 32), torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 1, on_step=guard, callbacks=[guard])  # fmt: skip


# --- data holding NaN lead over the lr where the evidence points at them ------------------------


def _stopped(
    X: torch.Tensor, y: torch.Tensor, net: torch.nn.Module, loss: Any, lr: float, batch: int = 16
) -> DivergenceError:
    """Return the error of a guarded fit on (X, y), in order, at ``lr``."""
    train_iter = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=False)
    with pytest.raises(DivergenceError) as info:
        fit(net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=lr), 2, callbacks=[DivergenceGuard(lr)])  # fmt: skip
    return info.value


def _mixing() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 3)
    )


def test_one_examples_nan_spread_by_batchnorm_names_the_features_not_the_lr() -> None:
    """BatchNorm spreads example 37's NaN to its whole batch: the guard said "try a smaller
    learning rate (lr), e.g. 0.001", worse than the loop without it, which names the features."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 4, generator=gen), torch.randint(0, 3, (64,), generator=gen)
    X[37, 1] = math.nan
    error = _stopped(X, y, _mixing(), torch.nn.CrossEntropyLoss(reduction="none"), 0.01)
    assert str(error) == (
        "training stopped at batch 3 of epoch 1: the batch loss is nan (not finite), most likely "
        "because the batch's features X hold NaN or inf on 1 of its 16 examples (position 5 in "
        "the batch, counting from 0: example 37 of the epoch, its index in the dataset), not "
        "because of lr 0.01: its loss is not finite on all 15 others too, as one example's NaN or "
        "inf in X is enough in a model that mixes a batch's examples (such as BatchNorm in "
        "training mode); that step's update most likely made the weights non-finite: clean or "
        "drop that example (torch.isfinite(X).all(dim=1) is False on it), then train again from "
        "fresh weights"
    )
    assert error.step == 2 and error.examples and not error.resumable


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_past_far_lr_one_examples_nan_spread_by_batchnorm_is_named_beside_the_lr(
    reduction: str,
) -> None:
    """Past lr 10 one update can break the weights, as one example's NaN spread by BatchNorm
    does: the lr leads and the features are named beside it, as the docs say (with per-example
    losses the guard said "try a far smaller learning rate" alone)."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 4, generator=gen), torch.randint(0, 3, (64,), generator=gen)
    X[37, 1] = math.nan
    error = _stopped(X, y, _mixing(), torch.nn.CrossEntropyLoss(reduction=reduction), 11)
    assert str(error) == (
        "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 11; try a "
        "far smaller learning rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, 1.1, "
        "would most likely blow up too), and check the data holds no NaN or inf; the batch's "
        "features X hold NaN or inf on 1 of its 16 examples (position 5 in the batch, counting "
        "from 0: example 37 of the epoch, its index in the dataset), which may be the cause "
        "instead: clean or drop that example (torch.isfinite(X).all(dim=1) is False on it)"
    )
    assert not error.examples and error.resumable


def test_a_batchnorm_model_on_finite_data_blown_up_by_the_lr_still_names_the_lr() -> None:
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 4, generator=gen), torch.randint(0, 3, (64,), generator=gen)
    error = _stopped(X, y, _mixing(), torch.nn.CrossEntropyLoss(reduction="none"), 1e38)
    assert str(error) == _LR_1E38
    assert not error.examples and error.resumable


def _fashion_sized(nan: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """2048 examples of 784 features (batches of 256: 784 KiB, held through their step only)."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(2048, 784, generator=gen), torch.randint(0, 10, (2048,), generator=gen)
    if nan:
        X[700, 3] = math.nan
    return X, y


def _flat_softmax() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))


def test_fashion_sized_features_not_held_name_the_example_whose_loss_alone_is_nan() -> None:
    """X of 784 KiB a batch is not held past its step: the guard blamed lr 0.1 for example 700's
    NaN pixel. Its per-example losses single that example out, the others' not grown: it is
    named first, as the unguarded loop names it from its scores, but the lr is not ruled out
    (a later change said "most likely not because of lr 0.1", which at lr 5 blamed finite
    data): the test on that batch tells which."""
    X, y = _fashion_sized(nan=True)
    error = _stopped(X, y, _flat_softmax(), torch.nn.CrossEntropyLoss(reduction="none"), 0.1, 256)
    assert str(error) == (
        "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 0.1, on 1 "
        "of its 256 examples (position 188 in the batch, counting from 0: example 700 of the "
        "epoch, its index in the dataset), the other 255 examples' losses finite (none above "
        "3.95, their median 2.41, the first step's loss 2.37): either that example's features X "
        "hold NaN or inf (the guard holds a batch's X over 64 KiB through its own step only, so "
        "it did not look), or an update made the weights so large that the model's computation "
        "overflowed on it, as a learning rate too large does; torch.isfinite(X).all() on that "
        "batch tells which (False: clean or drop that example (torch.isfinite(X).all(dim=1) is "
        "False on it), then train again from fresh weights; True: try a smaller learning rate "
        "(lr), e.g. 0.01 (a tenth))"
    )
    assert not error.examples and error.resumable


def test_fashion_sized_features_not_held_and_a_mean_loss_name_them_before_the_lr() -> None:
    """A mean loss tells no example's: the features, not looked at, lead (the lr alone was told
    "try a smaller learning rate"), with the test that tells them from the lr."""
    X, y = _fashion_sized(nan=True)
    error = _stopped(X, y, _flat_softmax(), torch.nn.CrossEntropyLoss(), 0.1, 256)
    assert str(error) == (
        "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 0.1: "
        "either that batch's features X hold NaN or inf (the guard holds a batch's X over 64 KiB "
        "through its own step only, so it did not look), or an update made the weights "
        "non-finite, as a learning rate too large does; torch.isfinite(X).all() on that batch "
        "tells which (False: clean or drop the examples that hold NaN or inf "
        "(torch.isfinite(X).all(dim=1) is False on them), then train again from fresh weights; "
        "True: try a smaller learning rate (lr), e.g. 0.01 (a tenth))"
    )


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_fashion_sized_finite_features_blown_up_by_the_lr_still_name_the_lr(reduction: str) -> None:
    """lr 1e38 breaks the weights in one update: every example's loss is NaN, and past FAR_LR the
    lr is named as it was, the features not held as a thing to check."""
    X, y = _fashion_sized(nan=False)
    loss = torch.nn.CrossEntropyLoss(reduction=reduction)
    error = _stopped(10 * X, y, _flat_softmax(), loss, 1e38, 256)
    assert str(error) == _LR_1E38
    assert not error.examples and error.resumable


def _has_fashion_mnist() -> bool:
    try:
        find_fashion_mnist()
    except Exception:
        return False
    return True


def _books_naive_softmax(lr: float) -> DivergenceError:
    """The book's scratch softmax (D2L §3.6) on the real Fashion-MNIST, batches of 256, its naive
    exp(o) / exp(o).sum(1) and -log(y_hat[range(n), y]), guarded: the error at ``lr``."""
    torch.manual_seed(0)
    train_iter, _ = load_data_fashion_mnist(256)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        X_exp = torch.exp(X.reshape((-1, W.shape[0])) @ W + b)
        return X_exp / X_exp.sum(1, keepdim=True)

    def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y])

    with pytest.raises(DivergenceError) as info:
        fit(net, train_iter, cross_entropy, SGD([W, b], lr), 1, callbacks=[DivergenceGuard(lr)])  # fmt: skip
    return info.value


_N = r"[\d.e+]+"  # a number the data and the float arithmetic set
_OVERFLOWED = (
    r": either an update made the weights so large that the model's computation overflowed on "
    r"them, as a learning rate too large does, or those examples' features X hold NaN or inf "
    r"\(the guard holds a batch's X over 64 KiB through its own step only, so it did not look\); "
    r"torch\.isfinite\(X\)\.all\(\) on that batch tells which \(True: try a smaller learning rate "
    r"\(lr\), e\.g\. {advice}; False: clean or drop those examples "
    r"\(torch\.isfinite\(X\)\.flatten\(1\)\.all\(dim=1\) is False on them\), then train again from "
    r"fresh weights\)"
)


@pytest.mark.skipif(not _has_fashion_mnist(), reason="needs the real Fashion-MNIST")
@pytest.mark.parametrize(
    ("lr", "advice"),
    [
        (5.0, r"0\.5 \(a tenth\)"),
        (10.0, r"0\.5 \(a tenth, 1, can blow up too\)"),
    ],
)
def test_the_books_naive_softmax_blown_up_by_the_lr_names_the_lr_first(
    lr: float, advice: str
) -> None:
    """exp overflowed on the brightest images first (162 of 256 at lr 5, 13 at lr 10), the data
    finite: the guard said "most likely not because of lr 5 ...: those examples' features X hold
    NaN or inf ... clean or drop those examples". The others' median loss, 6.7 to 12× the first
    step's, puts the lr first, with the test that tells."""
    error = _books_naive_softmax(lr)
    assert re.fullmatch(
        rf"training diverged at batch \d of epoch 1: the batch loss is nan \(not finite\) at lr "
        rf"{lr:g}, on \d+ of its 256 examples \(positions [\d, ]+and \d+ more in the batch, counting "
        rf"from 0: examples [\d, ]+and \d+ more in the epoch's shuffled order, not their indices "
        rf"in the dataset\), the other \d+ examples' losses finite \(none above {_N}, their median "
        rf"{_N}, {_N}× the first step's loss, 2\.34\)" + _OVERFLOWED.format(advice=advice),
        str(error),
    ), str(error)
    assert not error.examples and error.resumable


@pytest.mark.skipif(not _has_fashion_mnist(), reason="needs the real Fashion-MNIST")
def test_the_books_naive_softmax_at_lr_1_names_the_lr_first_after_a_grown_loss() -> None:
    """Every example's loss NaN at step 4, the step before's 6.8× the first's: the lr leads (the
    features X, not looked at, did)."""
    error = _books_naive_softmax(1.0)
    assert re.fullmatch(
        rf"training diverged at batch \d of epoch 1: the batch loss is nan \(not finite\) at lr 1, "
        rf"after the step before's loss grew to {_N} \({_N}× the first step's, 2\.34\): either an "
        r"update made the weights non-finite, as a learning rate too large does, or that batch's "
        r"features X hold NaN or inf \(the guard holds a batch's X over 64 KiB through its own "
        r"step only, so it did not look; one example's are enough in a model that mixes a "
        r"batch's examples, such as BatchNorm in training mode\); torch\.isfinite\(X\)\.all\(\) "
        r"on that batch tells which \(True: try a smaller learning rate \(lr\), e\.g\. 0\.1 \(a "
        r"tenth\); False: clean or drop the examples that hold NaN or inf "
        r"\(torch\.isfinite\(X\)\.flatten\(1\)\.all\(dim=1\) is False on them\), then train again "
        r"from fresh weights\)",
        str(error),
    ), str(error)


def test_features_not_held_after_a_grown_loss_name_the_lr_first() -> None:
    """At a rate a linear model trains at, a loss grown past the bound before the NaN step (a
    rare large loss, which the growth check lets pass) makes the lr the likelier cause."""
    guard = DivergenceGuard(0.1, min_examples=32, check_every=4)
    see = guard.watch_batches([])
    assert see is not None
    images, y = torch.zeros(32, 1, 32, 32), torch.zeros(32, dtype=torch.long)  # 128 KiB
    rare = torch.tensor([1.0] * 31 + [1e4])  # mean 313.5, past the bound of 100
    for step, losses in enumerate([_losses(1.0, 32), rare, _losses(math.nan, 32)]):
        see(images, y)
        guard(step, losses)
    with pytest.raises(DivergenceError) as info:
        guard.flush()
    assert str(info.value) == (
        "training diverged at batch 3 of epoch 1: the batch loss is nan (not finite) at lr 0.1; try "
        "a smaller learning rate (lr), e.g. 0.01 (a tenth), and check the data holds no NaN or inf"
    )


def _soft_targets() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    X, Y = torch.randn(64, 4, generator=gen), torch.softmax(torch.randn(64, 3, generator=gen), 1)
    Y[37, 1] = math.nan
    return X, Y


def test_a_nan_soft_target_with_a_mean_loss_leads_over_the_lr() -> None:
    """nn.CrossEntropyLoss() (mean) on class probabilities: the guard led with "at lr 0.1; try a
    smaller learning rate" and named the targets as "which may be the cause instead". A NaN
    target makes the loss NaN whatever the lr: they lead, as TargetsWatch says unguarded."""
    X, Y = _soft_targets()
    torch.manual_seed(0)
    error = _stopped(X, Y, torch.nn.Linear(4, 3), torch.nn.CrossEntropyLoss(), 0.1)
    assert str(error) == (
        "training stopped at batch 3 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's targets y hold NaN or inf on 1 of its 16 examples (position 5 in the batch, "
        "counting from 0: example 37 of the epoch, its index in the dataset), so not because of "
        "lr 0.1: a NaN or inf there makes its example's loss so, and the batch's loss, reduced to "
        "one number, with it; that step's update most likely made the weights non-finite: clean "
        "or drop that example (torch.isfinite(y).all(dim=1) is False on it), then train again "
        "from fresh weights"
    )
    assert error.examples and not error.resumable
    # the loop without the guard names the same batch and example
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 3)
    with pytest.raises(DivergenceError, match=r"batch 3 of train_iter in epoch 1, whose targets y hold NaN or inf on 1 of its 16 examples \(position 5 in the batch, counting from 0: example 37 "):  # fmt: skip
        fit(net, DataLoader(TensorDataset(X, Y), 16), torch.nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 2)  # fmt: skip


def test_a_nan_regression_target_with_a_mean_loss_leads_over_the_lr() -> None:
    """nn.MSELoss() on linear regression's data, target 37 NaN."""
    gen = torch.Generator().manual_seed(0)
    X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 64, generator=gen)
    y[37, 0] = math.nan
    error = _stopped(X, y, linreg_concise(2, generator=gen), torch.nn.MSELoss(), 0.03)
    assert str(error).startswith(
        "training stopped at batch 3 of epoch 1: the batch loss is nan (not finite) because the "
        "batch's targets y hold NaN or inf on 1 of its 16 examples (position 5 in the batch, "
        "counting from 0: example 37 of the epoch, its index in the dataset), so not because of "
        "lr 0.03: "
    ), str(error)
    assert "smaller" not in str(error)


def test_finite_regression_data_blown_up_by_the_lr_still_name_the_lr() -> None:
    """The same data, finite, at lr 1e30 with nn.MSELoss(): the squared loss overflows at the
    second step, inside the 64-example window a mean loss waits for, and the lr is named."""
    gen = torch.Generator().manual_seed(0)
    X, y = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 64, generator=gen)
    error = _stopped(X, y, linreg_concise(2, generator=gen), torch.nn.MSELoss(), 1e30)
    assert str(error).startswith(
        "training diverged at batch 2 of epoch 1: the batch loss is inf (not finite) at lr 1e+30; "
        "try a far smaller learning rate (lr), e.g. 0.5 "
    ), str(error)


@pytest.mark.parametrize("batch_size", [1, 2])
def test_a_model_of_large_initial_weights_is_not_stopped_by_one_right_first_example(
    batch_size: int,
) -> None:
    """A user's model trained on other labels: right on class 0 (loss ~0), confidently wrong on
    classes 1 and 2 (~120 nats). At batch 1 or 2 a first step of class-0 examples made the
    pooled steps' bound 100 × ln 2 = 69 nats, and the guard stopped the run at step 17 at every
    lr ("the batch loss is 0, more than 100× its starting value 0"). The oracle: the same run
    without the guard, its loss falling, bit for bit."""

    def run(guarded: bool) -> list[float]:
        torch.manual_seed(1)
        centers = torch.tensor([[4.0, 0.0], [0.0, 4.0], [-4.0, -4.0]])
        y = torch.randint(0, 3, (300,))
        y[:2] = 0  # the first step's examples are right, at a loss of ~0
        X = centers[y] + torch.randn(300, 2)
        net = torch.nn.Linear(2, 3)
        with torch.no_grad():
            net.weight.copy_(60 * centers[[0, 2, 1]] / 16)
            net.bias.zero_()
        loss = torch.nn.CrossEntropyLoss(reduction="none")
        guard = [DivergenceGuard(1e-3, loss=loss)] if guarded else []
        batches = load_array((X, y), batch_size, is_train=False)
        updater = torch.optim.SGD(net.parameters(), lr=1e-3)
        return fit(net, batches, loss, updater, 2, callbacks=guard).train_loss

    free = run(False)
    assert free[0] > 69 and free[1] < free[0]  # most examples far past 100 × ln 2, and learning
    assert run(True) == free
