"""The numbers the divergence guard reads from a step's losses (linearnets.training.guard_stats)."""

from __future__ import annotations

import torch

from linearnets.training.guard_stats import median_example, per_example


def test_the_median_example_of_an_even_batch_is_the_mean_of_the_middle_two() -> None:
    assert median_example(torch.tensor([4.0, 1.0, 3.0, 2.0])) == 2.5
    # an example's loss is the sum of its row
    assert median_example(torch.tensor([[1.0, 0.0], [2.0, 2.0], [5.0, 5.0]])) == 4.0


def test_per_example_losses_are_told_from_one_loss_repeated() -> None:
    """fit passes a loss reduced to one number as a view of B copies of it (stride 0); with B = 1
    that one copy is the one example's loss."""
    mean = torch.tensor(2.0)
    assert per_example(torch.tensor([1.0, 2.0, 3.0])) is True
    assert per_example(mean.expand(3)) is False
    assert per_example(mean.expand(1)) is True
    assert per_example(mean) is False
