"""The divergence guard's floor for a squared-error loss: the loss of predicting the mean of the
targets seen. Targets mostly 0 with rare ones of ±1000 (insurance claims, sales) are no blow-up,
while a too large lr on the same data still is, and so is one on targets offset by 10⁶ from a
model started at the offset."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.config import LinregConfig
from linearnets.errors import DivergenceError
from linearnets.models.scratch import squared_loss
from linearnets.tasks.linreg import run_linreg
from linearnets.training.guard import DivergenceGuard
from linearnets.training.guard_floor import moments_of, per_value, squared_scale
from linearnets.training.loop import fit


def _rare_targets(path: Path, gseed: int, num_large: int, big: float) -> float:
    """1000 examples of two N(0, 1) features, targets 0 but ``num_large`` of ±``big`` (generator
    ``gseed``), saved to ``path`` (an .npz); return the least-squares loss (mean ½ r², float64)."""
    gen = torch.Generator().manual_seed(gseed)
    X = torch.randn(1000, 2, generator=gen)
    y = torch.zeros(1000)
    rows = torch.randperm(1000, generator=gen)[:num_large]
    y[rows] = big * torch.where(torch.rand(num_large, generator=gen) < 0.5, 1.0, -1.0)
    np.savez(path, X=X.numpy(), y=y.numpy())
    A = torch.cat([X, torch.ones(1000, 1)], dim=1).double()
    residual = A @ torch.linalg.lstsq(A, y.double()[:, None]).solution - y.double()[:, None]
    return float((residual**2).mean() / 2)


@pytest.mark.parametrize(
    ("gseed", "num_large", "big", "seed", "impl"),
    [
        (0, 10, 1000.0, 1, "scratch"),
        (0, 10, 100.0, 1, "scratch"),
        (1, 5, 1000.0, 0, "concise"),
        (2, 10, 1000.0, 1, "concise"),
    ],
)
def test_rare_large_targets_train_as_without_the_guard(
    tmp_path: Path, gseed: int, num_large: int, big: float, seed: int, impl: str
) -> None:
    """Plain SGD at the book's lr and batch 10 ends each epoch within 3% of the least-squares
    loss, and the guarded run is that run, bit for bit. The guard stopped these runs, in epoch 1
    to 3 ("at batch 64 of epoch 1: the loss of the latest steps is 2.156e+04, more than 100× its
    level 24.37 after a rare large loss (its starting value 1.993e-05)" on 10 of ±1000): the
    first batches' targets are all 0, and the least-squares fit's own loss, near ½·mean(y²) of
    the data, is 10⁸× their loss; a batch holding a large target is one step in ten, so three of
    the latest five steps held one at times."""
    least_squares = _rare_targets(tmp_path / "tail.npz", gseed, num_large, big)
    if impl == "concise":
        least_squares *= 2  # nn.MSELoss: r², not ½ r²
    config = LinregConfig(impl=impl, data=tmp_path / "tail.npz", batch_size=10, epochs=3, seed=seed)
    free = run_linreg(replace(config, guard=False))
    assert all(1 <= m.train_loss / least_squares < 1.03 for m in free.history.epochs)
    guarded = run_linreg(config)
    assert (guarded.w, guarded.b) == (free.w, free.b)
    assert guarded.history.train_loss == free.history.train_loss


@pytest.mark.parametrize("lr", [3.0, 10.0])
@pytest.mark.parametrize("batch_size", [1, 10, 64])
def test_too_large_an_lr_on_rare_large_targets_still_stops_in_its_first_epoch(
    tmp_path: Path, lr: float, batch_size: int
) -> None:
    """The same data at lr 3 and 10 blow up (weights grow geometrically, past any level the
    targets set): still stopped, in epoch 1, naming the lr."""
    _rare_targets(tmp_path / "tail.npz", 0, 10, 1000.0)
    config = LinregConfig(
        impl="scratch", data=tmp_path / "tail.npz", batch_size=batch_size, epochs=3, seed=1, lr=lr
    )
    with pytest.raises(
        DivergenceError, match=rf"training diverged at batch \d+ of epoch 1: .* lr {lr:g}"
    ):
        run_linreg(config)


def test_zero_scale_is_the_losses_own() -> None:
    """½ for the book's squared loss, 1 for torch's; none for any other loss."""
    assert squared_scale(squared_loss) == 0.5
    assert squared_scale(nn.MSELoss(reduction="none")) == 1.0
    assert squared_scale(nn.MSELoss()) == 1.0
    assert squared_scale(F.mse_loss) == 1.0
    assert squared_scale(nn.CrossEntropyLoss(reduction="none")) is None
    assert squared_scale(nn.L1Loss(reduction="none")) is None
    assert squared_scale(None) is None


def test_per_value_is_a_mean_over_every_value() -> None:
    assert per_value(nn.MSELoss()) and per_value(F.mse_loss)
    assert not per_value(nn.MSELoss(reduction="sum"))
    assert not per_value(nn.MSELoss(reduction="none"))
    assert not per_value(squared_loss)


def test_moments_are_each_steps_column_means_and_centred_sums_of_squares() -> None:
    """Against numpy, in float64: each step's (mean, Σ(y − ȳ)²) per column, one after the other."""
    gen = torch.Generator().manual_seed(0)
    same = [torch.randn(8, 3, generator=gen) * 100 + 1e6 for _ in range(3)]
    expected = [
        v for y in same for v in (*y.double().numpy().mean(0), *y.double().numpy().var(0) * 8)
    ]
    assert moments_of(same).tolist() == pytest.approx(expected, rel=1e-9)
    # an epoch's shorter last batch, (B,) targets, and one example's 0-d target
    mixed = [torch.randn(8, generator=gen), torch.randn(3, generator=gen), torch.tensor(2.0)]
    expected = [
        v
        for y in mixed
        for v in (float(y.double().mean()), float(y.double().var(correction=0)) * y.numel())
    ]
    assert moments_of(mixed).tolist() == pytest.approx(expected, rel=1e-9)
    assert moments_of(same).dtype == torch.float64


def _feed(guard: DivergenceGuard, steps: list[tuple[torch.Tensor, float]]) -> None:
    """Show ``guard`` each step's targets, then its 10 losses of the given value."""
    see = guard.watch_batches([])
    for step, (y, value) in enumerate(steps):
        if see is not None:
            see(torch.zeros(10, 2), y)
        guard(step, torch.full((10,), value))


_QUIET = torch.zeros(10, 1)
_LARGE = torch.zeros(10, 1).index_fill_(0, torch.tensor([3]), 1000.0)  # one target of 1000


def _steps(
    after: list[float], *, large_at: tuple[int, ...] = ()
) -> list[tuple[torch.Tensor, float]]:
    """Seven steps of targets 0 at a loss of 1e-5 (the start), one holding a target of 1000 at
    its zero-predictor loss (5e4), then steps of targets 0 at the losses ``after``, but those at
    ``large_at`` (of ``after``), which hold a target of 1000 again, at 5e4."""
    later = [(_LARGE, 5e4) if i in large_at else (_QUIET, v) for i, v in enumerate(after)]
    return [(_QUIET, 1e-5)] * 7 + [(_LARGE, 5e4), *later]


def test_a_level_the_targets_explain_is_no_blow_up_but_growth_past_it_is() -> None:
    """Steps at 20 after a target of 1000, then three of five steps holding one again: the
    typical step is 5e4, 10⁹× the start, but about ½·1000²/10, the loss of predicting the
    targets' mean on those batches, while over the 240 examples seen that loss is ≈ 8194;
    growth to 100× that stops, naming it."""
    clustered = _steps([20.0] * 16, large_at=(10, 11, 13))
    unfloored = DivergenceGuard(0.03, data_checked=True, check_every=1)  # loss unknown
    with pytest.raises(DivergenceError, match=r"more than 100× its level 20 after a rare large"):
        _feed(unfloored, clustered)
    guard = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    _feed(guard, clustered)
    seen = torch.cat([y for y, _ in clustered])
    seen = seen.double()
    mean_loss = float(squared_loss(seen.mean().expand_as(seen), seen).mean())
    assert mean_loss == pytest.approx(8194.44, rel=1e-5)
    assert guard.state_dict()["floor_count"] == 240
    assert guard._growth.zero == pytest.approx(mean_loss, rel=1e-9)

    guard = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    with pytest.raises(DivergenceError) as info:
        _feed(guard, _steps([20.0 * 3**k for k in range(16)]))
    # step 9 + k at 20·3^k, after 80 + 10k examples: the median of the latest 5 steps,
    # 20·3^(k-2), passes 100 × ½·1000²·(1/n − 1/n²), n = 90 + 10k, the loss of predicting the
    # mean of one 1000 among n zeros, at k = 11 (step 20: 393660 > 2.4875e5; at k = 10, 131220 <
    # 2.618e5), where the latest 7 steps (70 examples, the fewest holding 64) average
    # 20·(3^12 − 3^5)/14
    assert str(info.value).startswith(
        "training diverged at batch 20 of epoch 1: the loss of the latest steps is 7.589e+05, more "
        "than 100× 2488, the loss of predicting the mean of the targets seen so far (the run's "
        "starting loss was 1e-05), at lr 0.03; try"
    ), str(info.value)


def test_the_floor_survives_a_checkpoint() -> None:
    """Steps at 2e5 after a target of 1000 among 110 examples: within 100× the 4504 of
    predicting their mean (2370 after the 10 steps), 10⁴× the level the target's update left."""
    guard = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    _feed(guard, _steps([20.0] * 3))
    restored = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    restored.load_state_dict(guard.state_dict())
    _feed(restored, [(_QUIET, 2e5)] * 10)
    assert restored.state_dict()["floor_count"] == 210

    old = {k: v for k, v in guard.state_dict().items() if not k.startswith("floor")}  # before it
    restored = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    restored.load_state_dict(old)
    with pytest.raises(
        DivergenceError, match=r"batch 1 of epoch \d+: .* more than 100× its starting value 1e-05,"
    ):
        _feed(restored, [(_QUIET, 2e5)] * 10)  # its floor: 0, from none of those 110 examples


def test_checked_data_are_watched_for_their_targets_only_under_a_squared_loss() -> None:
    assert DivergenceGuard(0.1, data_checked=True, loss=squared_loss).watch_batches([]) is not None
    assert DivergenceGuard(0.1, data_checked=True, loss=F.cross_entropy).watch_batches([]) is None


def _offset_run(*, loss_known: bool) -> str:
    """y = X·[2, −3.4] + 10⁶ + noise, nn.Linear started at the offset (bias 10⁶, weights 0),
    nn.MSELoss, SGD at lr 0.97 (past 2/λ_max: the weights grow ~1.9× a step), batch 10: return the
    guard's message."""
    torch.manual_seed(0)
    X = torch.randn(1000, 2)
    y = (X @ torch.tensor([2.0, -3.4]) + 1e6 + torch.randn(1000)).reshape(-1, 1)
    net = nn.Linear(2, 1)
    with torch.no_grad():
        net.bias.fill_(1e6)
        net.weight.zero_()
    loss = nn.MSELoss()
    batches = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X, y), batch_size=10, shuffle=True
    )
    guard = DivergenceGuard(0.97, loss=loss if loss_known else None)
    with pytest.raises(DivergenceError) as info:
        fit(net, batches, loss, torch.optim.SGD(net.parameters(), lr=0.97), 3, callbacks=[guard])
    return str(info.value)


def test_a_blow_up_from_a_start_better_than_predicting_0_stops_where_it_did_without_the_floor() -> (
    None
):
    """The floor was the loss of predicting 0, 10¹² on targets offset by 10⁶: the run (a warm
    start) ended epochs 1 and 2 at 4·10⁷ and 2.3·10¹⁴ and stopped in epoch 3, "more than 100×
    1e+12, the loss of predicting 0". Predicting the targets' mean costs the noise's ~13, below
    the start, so the run stops where it does with no floor at all."""
    stopped = _offset_run(loss_known=True)
    assert stopped.startswith("training diverged at batch 43 of epoch 1: "), stopped
    assert "more than 100× its starting value 96.03" in stopped
    assert stopped == _offset_run(loss_known=False)


_LOSSES = {
    "squared_loss": squared_loss,
    "MSELoss()": nn.MSELoss(),
    "MSELoss(sum)": nn.MSELoss(reduction="sum"),
    "MSELoss(none)": nn.MSELoss(reduction="none"),
    "F.mse_loss": F.mse_loss,
}


@pytest.mark.parametrize("name", list(_LOSSES))
@pytest.mark.parametrize("outputs", [1, 3])
def test_the_floor_is_the_loss_fit_reports_for_predicting_the_targets_mean(
    name: str, outputs: int
) -> None:
    """Against the loss itself: a model predicting the data's column means (weights 0, bias ȳ,
    lr ~0) is handed the guard, each step, as losses whose mean per example is the floor the
    guard holds after the epoch, and that is the loss evaluated at ŷ = ȳ: per value for a
    mean-reduced loss over k outputs, per example (the sum of its k values) for a summed or
    per-example one (fit hands a sum as the sum / B, and the guard sums an example's row)."""
    loss = _LOSSES[name]
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(203, 2, generator=gen)
    y = torch.randn(203, outputs, generator=gen) * torch.tensor([3.0, 1.0, 10.0])[:outputs] + 50
    net = nn.Linear(2, outputs)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.copy_(y.double().mean(0).float())
    handed: list[tuple[float, int]] = []

    class Recording(DivergenceGuard):
        def __call__(self, step: int, losses: torch.Tensor) -> None:
            handed.append((float(losses.double().sum()), losses.shape[0]))
            super().__call__(step, losses)

    guard = Recording(1e-30, loss=loss)
    batches = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=10)
    fit(net, batches, loss, torch.optim.SGD(net.parameters(), lr=1e-30), 1, callbacks=[guard])
    mean_handed = sum(t for t, _ in handed) / sum(c for _, c in handed)
    assert guard._growth.zero == pytest.approx(mean_handed, rel=1e-5)
    yd = y.double()
    at_mean = loss(yd.mean(0).expand_as(yd), yd)
    expected = at_mean if at_mean.ndim == 0 else at_mean.sum()  # mean; or sum, per-example
    expected = expected / 203 if name != "MSELoss()" and name != "F.mse_loss" else expected
    assert guard._growth.zero == pytest.approx(float(expected), rel=1e-9)


def test_a_multi_output_mean_squared_loss_names_its_floor_per_value() -> None:
    """50 outputs of 3·N(0, 1) under nn.MSELoss(): the floor is ~9, the loss of predicting their
    mean per value, not the ~450 of an example's row summed (which it named as 459.5)."""
    gen = torch.Generator().manual_seed(0)
    steps = [(torch.randn(10, 50, generator=gen) * 3, 1e-3 * 4**k) for k in range(20)]
    guard = DivergenceGuard(0.1, loss=nn.MSELoss(), check_every=1)
    see = guard.watch_batches([])
    assert see is not None
    with pytest.raises(DivergenceError) as info:
        for step, (y, value) in enumerate(steps):
            see(torch.zeros(10, 2), y)
            guard(step, torch.full((), value).expand(10))
    stopped = int(str(info.value).split("at batch ")[1].split(" ")[0])  # from 1
    seen = torch.cat([y for y, _ in steps[:stopped]]).double()
    floor = float(nn.MSELoss()(seen.mean(0).expand_as(seen), seen))
    assert 8 < floor < 10
    assert f"more than 100× {floor:.4g}, the loss of predicting the mean of the targets" in str(
        info.value
    ), str(info.value)


def test_the_run_watches_a_data_files_targets_not_the_books_synthetic_ones(tmp_path: Path) -> None:
    """The floor is for a file's (heavy-tailed) targets; the book's Gaussian synthetic targets are
    not watched, so their steps pay nothing for it (bench/bench_linreg.py measured ~15 µs a step)."""
    from linearnets.tasks.linreg import with_guard

    synthetic = LinregConfig()
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(20, 2)), y=rng.normal(size=20))
    on_file = LinregConfig(data=tmp_path / "d.npz")
    (guard,) = with_guard(synthetic, [], loss=squared_loss)
    assert guard.watch_batches([]) is None  # checked data, no floor: no batch is shown
    (guard,) = with_guard(on_file, [], loss=squared_loss)
    assert guard.watch_batches([]) is not None
