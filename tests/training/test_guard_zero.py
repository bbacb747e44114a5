"""The divergence guard's floor for a squared-error loss: the loss of predicting 0 on the targets
seen. Targets mostly 0 with rare ones of ±1000 (insurance claims, sales) are no blow-up, while a
too large lr on the same data still is."""

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
from linearnets.training.guard_zero import zero_levels, zero_scale


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
    to 3 ("at epoch 1, step 64: the loss of the latest steps is 2.156e+04, more than 100× its
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
        DivergenceError, match=rf"training diverged at epoch 1, step \d+: .* lr {lr:g}"
    ):
        run_linreg(config)


def test_zero_scale_is_the_losses_own() -> None:
    """½ for the book's squared loss, 1 for torch's; none for any other loss."""
    assert zero_scale(squared_loss) == 0.5
    assert zero_scale(nn.MSELoss(reduction="none")) == 1.0
    assert zero_scale(nn.MSELoss()) == 1.0
    assert zero_scale(F.mse_loss) == 1.0
    assert zero_scale(nn.CrossEntropyLoss(reduction="none")) is None
    assert zero_scale(nn.L1Loss(reduction="none")) is None
    assert zero_scale(None) is None


def test_zero_levels_are_each_steps_zero_prediction_loss() -> None:
    """Against the losses themselves: the loss's value at ŷ = 0, per example, each step's."""
    gen = torch.Generator().manual_seed(0)
    same = [torch.randn(8, 1, generator=gen) * 100 for _ in range(3)]
    for scale, loss in ((0.5, squared_loss), (1.0, nn.MSELoss(reduction="none"))):
        expected = [float(loss(torch.zeros_like(y), y).mean()) for y in same]
        assert zero_levels(same, scale=scale).tolist() == pytest.approx(expected, rel=1e-6)
    # an epoch's shorter last batch, (B,) targets, and one example's 0-d target
    mixed = [torch.randn(8, generator=gen), torch.randn(3, generator=gen), torch.tensor(2.0)]
    expected = [float((y.double() ** 2).mean() / 2) for y in mixed]
    assert zero_levels(mixed, scale=0.5).tolist() == pytest.approx(expected, rel=1e-6)
    assert zero_levels(same, scale=1.0).dtype == torch.float64


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
    typical step is 5e4, 10⁹× the start, but ½·1000²/10, the loss of predicting 0 on those
    batches, while over the 240 examples seen that loss is 4·½·1000²/240 ≈ 8333; growth to 100× that
    stops, naming it."""
    clustered = _steps([20.0] * 16, large_at=(10, 11, 13))
    unfloored = DivergenceGuard(0.03, data_checked=True, check_every=1)  # loss unknown
    with pytest.raises(DivergenceError, match=r"more than 100× its level 20 after a rare large"):
        _feed(unfloored, clustered)
    guard = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    _feed(guard, clustered)
    state = guard.state_dict()
    assert (state["zero_sum"], state["zero_count"]) == (pytest.approx(4 * 1000**2 / 2), 240)

    guard = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    with pytest.raises(DivergenceError) as info:
        _feed(guard, _steps([20.0 * 3**k for k in range(16)]))
    # step 9 + k at 20·3^k, after 80 + 10k examples: the median of the latest 5 steps,
    # 20·3^(k-2), passes 100 × ½·1000²/(90 + 10k) at k = 11 (step 20: 393660 > 2.5e5; at k = 10,
    # 131220 < 2.63e5), where the latest 7 steps (70 examples, the fewest holding 64) average
    # 20·(3^12 − 3^5)/14
    assert str(info.value).startswith(
        "training diverged at epoch 1, step 20: the loss of the latest steps is 7.589e+05, more "
        "than 100× 2500, the loss of predicting 0 on the targets seen so far (its starting value "
        "1e-05), at lr 0.03; try"
    ), str(info.value)


def test_the_floor_survives_a_checkpoint() -> None:
    """Steps at 2e5 after a target of 1000 among 110 examples: within 100× the 4545 of
    predicting 0 on them (2380 after the 10 steps), 10⁴× the level the target's update left."""
    guard = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    _feed(guard, _steps([20.0] * 3))
    restored = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    restored.load_state_dict(guard.state_dict())
    _feed(restored, [(_QUIET, 2e5)] * 10)
    assert restored.state_dict()["zero_count"] == 210

    old = {k: v for k, v in guard.state_dict().items() if not k.startswith("zero")}  # before it
    restored = DivergenceGuard(0.03, data_checked=True, loss=squared_loss, check_every=1)
    restored.load_state_dict(old)
    with pytest.raises(
        DivergenceError, match=r"step 1: .* more than 100× its starting value 1e-05,"
    ):
        _feed(restored, [(_QUIET, 2e5)] * 10)  # its floor: 0, from none of those 110 examples


def test_checked_data_are_watched_for_their_targets_only_under_a_squared_loss() -> None:
    assert DivergenceGuard(0.1, data_checked=True, loss=squared_loss).watch_batches([]) is not None
    assert DivergenceGuard(0.1, data_checked=True, loss=F.cross_entropy).watch_batches([]) is None
