"""The divergence guard's reference window (linearnets.training.guard_window): a step inside it
judged by its mean and median example against the mean so far, the window closed at its
``min_examples`` or at an epoch's end."""

from __future__ import annotations

import math

import pytest
import torch

from linearnets.training.guard_window import CHANCE_LOSS, Pooled, ReferenceWindow


def _window(*, lr: float = 0.1, factor: float = 100.0, classes: bool = False) -> ReferenceWindow:
    return ReferenceWindow(lr=lr, factor=factor, min_examples=64, classes=classes)


def _add(window: ReferenceWindow, losses: torch.Tensor) -> None:
    window.add(float(losses.sum()), losses.shape[0], losses)


def _step(*values: tuple[float, int]) -> torch.Tensor:
    """A step's per-example losses, float64: ``value`` repeated ``n`` times, for each pair."""
    return torch.cat([torch.full((n,), v, dtype=torch.float64) for v, n in values])


def test_a_blow_up_returns_the_mean_of_the_windows_steps_so_far() -> None:
    """The message names that mean as the starting value where lower than the first step's."""
    window = _window()
    _add(window, _step((3.0, 16)))
    _add(window, _step((1.0, 16)))  # the mean so far: 2
    blown = _step((500.0, 16))
    assert window.blown_up(500.0, 16, blown) == 2.0


def test_a_median_example_of_exactly_factor_times_the_mean_so_far_is_not_yet_more() -> None:
    window = _window()
    _add(window, _step((1.0, 16)))
    # mean 493.75, past the bound 100; the middle two examples exactly 100
    step = _step((100.0, 9), (1000.0, 7))
    assert window.blown_up(float(step.mean()), 16, step) is None
    above = _step((100.5, 9), (1000.0, 7))
    assert window.blown_up(float(above.mean()), 16, above) == 1.0


def test_a_window_of_zero_losses_is_not_blown_up_by_rounding_noise() -> None:
    """Zero targets and zero weights: the mean so far is 0, and 1e-15 is no blow-up of it."""
    window = _window()
    _add(window, _step((0.0, 16)))
    noise = _step((1e-15, 16))
    assert window.blown_up(1e-15, 16, noise) is None
    assert window.blown_up(1.0, 16, _step((1.0, 16))) == 0.0  # past 100 × 10⁻¹²


def test_past_far_lr_exactly_factor_fold_smaller_is_not_yet_a_collapse() -> None:
    """The median example of the step judged fell from 1 to exactly 1/100 of it: not more than
    factor-fold; a little further is."""
    window = _window(lr=1e3)
    _add(window, _step((1.0, 16)))
    step = _step((0.01, 9), (1000.0, 7))  # mean 437.5, past the bound; median 0.01
    assert window.blown_up(float(step.mean()), 16, step) is None
    lower = _step((0.0099, 9), (1000.0, 7))
    assert window.blown_up(float(lower.mean()), 16, lower) == 1.0


def test_past_far_lr_one_collapse_between_any_two_steps_is_enough() -> None:
    """Medians 1, then 0.5 (no collapse), then 0.001: the last update made most examples'
    losses 500-fold smaller."""
    window = _window(lr=1e3)
    _add(window, _step((1.0, 16)))
    _add(window, _step((0.5, 16)))
    step = _step((0.001, 9), (1000.0, 7))
    assert window.blown_up(float(step.mean()), 16, step) == 0.75


def test_a_step_reduced_to_one_number_gives_no_median_to_collapse_from() -> None:
    """fit passes a mean-reduced loss as a view of B copies of it (stride 0): its "median" is
    the mean, no example's, so a later step's median is not compared with it."""
    window = _window(lr=1e3)
    reduced = torch.tensor(1.0, dtype=torch.float64).expand(16)
    window.add(16.0, 16, reduced)
    step = _step((0.001, 9), (1000.0, 7))  # mean ~437.5, median 0.001 (1000-fold below 1)
    assert window.blown_up(float(step.mean()), 16, step) is None


def test_closing_a_window_that_holds_no_step_sets_no_start() -> None:
    """An epoch whose steps held no example (each skipped) leaves the window open, not 0 / 0."""
    window = _window()
    assert window.close() is False and window.start_loss is None
    window.add(0.0, 0, None)
    assert window.close() is False and window.start_loss is None
    _add(window, _step((2.0, 4)))
    assert window.close() is True and window.start_loss == 2.0
    assert window.close() is False and window.start_loss == 2.0


def _pool(window: ReferenceWindow, *steps: torch.Tensor) -> list[float | Pooled | None]:
    """Judge and add each step in turn, as the guard does inside the window: what each returned."""
    judged = []
    for losses in steps:
        judged.append(window.blown_up(float(losses.mean()), losses.shape[0], losses))
        _add(window, losses)
    return judged


# 100 × ln 2 (69.31 nats), the least a first step of fewer than 16 examples counts as
_LEAST = "100 × ln 2, the least a first step of {n} example{s} below ½ ln 2 counts as"


@pytest.mark.parametrize("classes", [True, False])
def test_a_classifiers_small_steps_are_pooled_and_judged_against_its_first_step(
    classes: bool,
) -> None:
    """Batches of 8: steps 2 and 3, pooled (16 examples), stand 10²⁹× past the first step's
    mean: the stop names the pool's mean and that bound; another loss (a squared error's example
    may be ~0 by chance) waits for the window to close."""
    window = _window(classes=classes)
    judged = _pool(window, _step((1.1, 8)), _step((1e29, 8)), _step((3e29, 8)))
    if not classes:
        assert judged == [None, None, None]
        return
    assert judged[:2] == [None, None]
    assert judged[2] == Pooled(
        loss=pytest.approx(2e29),
        what="mean loss of the last 2 steps (16 examples)",
        past="100× its starting value 1.1",
    )


def test_an_untrained_first_step_of_few_examples_keeps_its_own_bound() -> None:
    """Batch 8 at lr 100 on Fashion-MNIST: the first step's loss, ~ln 10 = 2.3, is the untrained
    model's, not one example right by chance: the pool is judged against 100 × 2.3, not 100 ×
    100 × ln 2 (6931 nats, which let the run end at a train loss of 600, exit 0)."""
    window = _window(classes=True)
    judged = _pool(window, _step((2.3, 8)), _step((300.0, 8)), _step((300.0, 8)))
    assert judged[-1] == Pooled(
        loss=pytest.approx(300.0),
        what="mean loss of the last 2 steps (16 examples)",
        past="100× its starting value 2.3",
    )


def test_a_pool_whose_median_example_has_not_grown_is_no_blow_up() -> None:
    """Rare large losses (2 mislabelled examples of 16) raise the pool's mean, not its median."""
    window = _window(classes=True)
    judged = _pool(window, _step((1.0, 8)), _step((1e5, 1), (0.5, 7)), _step((1e5, 1), (0.5, 7)))
    assert judged == [None, None, None]
    assert window.count == 24  # the steps were added all the same


def test_a_first_step_of_one_example_counts_as_no_less_than_100_times_a_coin_flips_loss() -> None:
    """Batch 1: one example may be right by chance (loss ~0) while a model of large initial
    weights (a user's own) has most examples at ~120 nats: judged against 100 × that one
    example, or 100 × ln 2, such a run was stopped at every lr. The least is 100 × ln 2 for
    a first step of fewer than 16 examples: 10⁴ nats is past 100 × it, 120 is not."""
    assert math.log(2) == CHANCE_LOSS
    healthy = _window(classes=True)
    assert _pool(healthy, _step((1e-4, 1)), *[_step((120.0, 1))] * 16)[-1] is None
    blown = _window(classes=True)
    stop = _pool(blown, _step((1e-4, 1)), *[_step((1e4, 1))] * 16)[-1]
    assert stop == Pooled(
        loss=pytest.approx(1e4),
        what="mean loss of the last 16 steps (16 examples)",
        past=f"100× 69.31 ({_LEAST.format(n=1, s='')}; its loss was 0.0001)",
    )


def test_an_untrained_two_class_first_step_just_below_ln_2_keeps_its_own_bound() -> None:
    """Two classes: an untrained model's loss is about ln 2, a first step of 8 below it half the
    time (0.6729); judged against 100 × 100 × ln 2 such runs at lr 100 trained on at 250 nats.
    Only a first step below ½ ln 2 (right by chance) counts as 100 × ln 2."""
    window = _window(classes=True)
    judged = _pool(window, _step((0.6729, 8)), _step((120.0, 8)), _step((120.0, 8)))
    assert judged[-1] == Pooled(
        loss=pytest.approx(120.0),
        what="mean loss of the last 2 steps (16 examples)",
        past="100× 0.6931 (ln 2, the least a first step counts as; its loss was 0.6729)",
    )


def test_a_first_step_of_16_examples_counts_as_no_less_than_ln_2() -> None:
    """A data-parallel step of 16 (an all-reduced sum and count): its mean stands for the
    untrained model's loss, no less than ln 2."""
    window = _window(classes=True)
    window.add(16 * 0.01, 16, None)
    assert window.blown_up(69.0, 16, None) is None  # not past 100 × ln 2
    assert window.blown_up(70.0, 16, None) == Pooled(
        loss=70.0,
        what="batch loss",
        past="100× 0.6931 (ln 2, the least a first step counts as; its loss was 0.01)",
    )


def test_a_mean_reduced_loss_pools_its_steps_means() -> None:
    """A loss reduced to one number has no examples' losses: the steps' means are pooled."""
    window = _window(classes=True)
    first = window.blown_up(2.0, 8, None)
    window.add(16.0, 8, None)
    second = window.blown_up(1e29, 8, None)
    window.add(8e29, 8, None)
    third = window.blown_up(1e29, 8, None)
    assert (first, second) == (None, None)
    assert isinstance(third, Pooled)
    assert third.loss == pytest.approx(1e29)


@pytest.mark.parametrize(("lr", "stopped"), [(1e30, True), (0.1, False)])
def test_past_far_lr_a_pool_confidently_right_on_most_examples_has_blown_up(
    lr: float, stopped: bool
) -> None:
    """Blobs at lr 1e30: one update makes the classifier right with loss 0 on most examples and
    wrong by ~1e29 on the others. The pool's median example (0) fell more than 100-fold below the
    first step's (1.1): a blow-up past FAR_LR, not at a rate a linear model trains at."""
    window = _window(lr=lr, classes=True)
    blown = _step((0.0, 7), (1e29, 1))
    judged = _pool(window, _step((1.1, 8)), blown, blown)
    assert isinstance(judged[-1], Pooled) is stopped


@pytest.mark.parametrize("classes", [True, False])
def test_a_step_of_16_or_more_without_its_examples_losses_is_judged_by_its_mean(
    classes: bool,
) -> None:
    """A data-parallel step (an all-reduced sum and count) or a loss reduced to one number has no
    median example: a classifier's is judged by its mean against the first step's; another
    loss's waits for the window to close, as before."""
    window = _window(classes=classes)
    assert window.blown_up(1.1, 32, None) is None
    window.add(32 * 1.1, 32, None)
    stop = Pooled(loss=1e30, what="batch loss", past="100× its starting value 1.1")
    assert window.blown_up(1e30, 32, None) == (stop if classes else None)
    assert window.blown_up(100.0, 32, None) is None  # 100 is not past 100 × 1.1
