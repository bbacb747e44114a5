"""The levels a rare large loss's update left (linearnets.training.guard_rare)."""

from __future__ import annotations

from linearnets.training.guard_rare import RareLevels


def test_growth_is_measured_from_the_highest_level_a_rare_loss_left() -> None:
    """A first rare loss leaves a level of 5 (its window of 128 examples closed); a second one's
    steps so far, at 2, then closed at 2, leave it at 5."""
    levels = RareLevels(min_examples=128)
    levels.follow(1e5, 64, stands_out=True, opens=False, level=1e5)
    assert levels.rare == 1e5
    levels.follow(5.0, 128, stands_out=False, opens=True, level=5.0)  # closes at once
    assert levels.rare is None and levels.raised(1.0) == 5.0
    levels.follow(1e5, 64, stands_out=True, opens=False, level=1e5)
    levels.follow(2.0, 64, stands_out=False, opens=True, level=2.0)  # 64 of 128: still open
    assert levels.raised(1.0) == 5.0
    levels.follow(2.0, 64, stands_out=False, opens=False, level=2.0)  # closed at 2
    assert levels.raised(1.0) == 5.0
    assert levels.raised(7.0) == 7.0  # a start higher than every level is the start
