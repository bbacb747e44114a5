"""LinregConfig's synthetic settings (D2L §3.1.1): the size of the data they ask for is refused up front."""

from __future__ import annotations

import pytest

from linearnets.config import LinregConfig
from linearnets.config_checks import MAX_EXAMPLES
from linearnets.errors import UsageError


def test_features_past_2_gib_are_refused_naming_both_settings() -> None:
    """10⁸ examples × 1000 weights would be 4·10¹¹ bytes of float32 X (torch's allocator died on it);
    the largest num_examples that fits is computed here: ⌊2³¹ / (1000 × 4)⌋ = 536870."""
    assert 2**31 // (1000 * 4) == 536_870  # the 2 GiB limit, as a batch of images has
    with pytest.raises(
        UsageError,
        match=r"^num_examples × the 1000 weights of true_w must give features X of at most 2 GiB of "
        r"float32, got 100000000 × 1000 × 4 bytes \(372\.5 GiB\); pass num_examples=536870 or "
        r"fewer, or fewer weights$",
    ):
        LinregConfig(true_w=[1.0] * 1000, num_examples=MAX_EXAMPLES)
    assert LinregConfig(true_w=[1.0] * 1000, num_examples=536_870).num_examples == 536_870
    with pytest.raises(UsageError, match=r"got 536871 × 1000 × 4 bytes"):
        LinregConfig(true_w=[1.0] * 1000, num_examples=536_871)


def test_the_largest_examples_of_few_weights_still_fit() -> None:
    """10⁸ examples of 5 float32 features are 2·10⁹ bytes < 2³¹; 6 are past it."""
    assert LinregConfig(true_w=[1.0] * 5, num_examples=MAX_EXAMPLES).num_examples == MAX_EXAMPLES
    with pytest.raises(UsageError, match=r"got 100000000 × 6 × 4 bytes \(2\.2 GiB\)"):
        LinregConfig(true_w=[1.0] * 6, num_examples=MAX_EXAMPLES)
