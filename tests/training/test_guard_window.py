"""The divergence guard's reference window (linearnets.training.guard_window): a step inside it
judged by its mean and median example against the mean so far, the window closed at its
``min_examples`` or at an epoch's end."""

from __future__ import annotations

import torch

from linearnets.training.guard_window import ReferenceWindow


def _window(*, lr: float = 0.1, factor: float = 100.0) -> ReferenceWindow:
    return ReferenceWindow(lr=lr, factor=factor, min_examples=64)


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
