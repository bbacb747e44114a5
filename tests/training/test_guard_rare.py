"""The levels a rare large loss's update left (linearnets.training.guard_rare)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import DivergenceError
from linearnets.models.scratch import cross_entropy, cross_entropy_logits, squared_loss
from linearnets.training.guard import DivergenceGuard
from linearnets.training.guard_rare import RareLevels, rare_losses


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


@pytest.mark.parametrize(
    ("loss", "rare"),
    [
        (cross_entropy_logits, False),
        (cross_entropy, False),
        (nn.CrossEntropyLoss(reduction="none"), False),
        (nn.NLLLoss(), False),
        (nn.BCEWithLogitsLoss(), False),
        (F.cross_entropy, False),
        (F.binary_cross_entropy, False),
        (squared_loss, True),
        (nn.MSELoss(), True),
        (None, True),  # not known: a regression's rare targets may leave a level
    ],
)
def test_only_a_classification_loss_is_told_to_have_no_rare_large_losses(
    loss: object, rare: bool
) -> None:
    assert rare_losses(loss) is rare


def test_a_classifiers_guard_measures_growth_from_the_start_not_a_rare_losss_level() -> None:
    """Steps of 256 examples: one whose loss stands 10⁶× past the start on one example (an
    outlier feature's), then one lower whose examples all stand at 10⁶. Measured from the level
    that step leaves (a regression's rule), the next went on; a cross-entropy's guard stops it.
    The oracle: the step's mean, 100× past the first step's."""
    start = torch.full((256,), 1.6)
    outlier = start.clone()
    outlier[7] = 1.6e6 * 256
    after = torch.full((256,), 1e6)
    for loss, stops in ((None, False), (nn.CrossEntropyLoss(reduction="none"), True)):
        guard = DivergenceGuard(0.1, check_every=1, loss=loss)
        guard(0, start)
        guard(1, outlier)
        if not stops:
            guard(2, after)
            continue
        with pytest.raises(DivergenceError, match=r"^training diverged at batch 3 of epoch 1: "):
            guard(2, after)
