"""LinregConfig's synthetic settings (D2L §3.2.1): the size of the data they ask for is refused up front."""

from __future__ import annotations

import math

import pytest

from linearnets.config import LinregConfig
from linearnets.config_checks import MAX_EXAMPLES, check_data_size
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


def test_features_of_exactly_2_gib_are_taken_one_value_more_refused() -> None:
    """2**29 float32 values are 2**31 bytes, the limit itself; the fix names the most examples
    that fit while they are at least the fewest the caller takes, else the most weights."""
    check_data_size(2**29, 1, weights="w")
    check_data_size(2**28, 2, weights="w")
    with pytest.raises(
        UsageError,
        match=r"^num_examples × the 1 weights of w must give features X of at most 2 GiB of "
        r"float32, got 536870913 × 1 × 4 bytes \(2 GiB \+ 4 bytes\); pass num_examples=536870912 "
        r"or fewer, or fewer weights$",
    ):
        check_data_size(2**29 + 1, 1, weights="w", fewest=2**29)  # the most that fit: the fewest


def test_too_many_weights_for_any_count_of_examples_name_a_count_of_weights_that_fits() -> None:
    """d weights need d + 1 examples: past d(d + 1) × 4 bytes > 2 GiB no num_examples fits, and the
    fix names the most weights that fit with the examples given, found here by counting."""
    d = 23_170
    assert (d + 1) * d * 4 > 2**31  # the fewest examples for d weights are already too many
    most = max(k for k in range(d + 1) if (d + 1) * k * 4 <= 2**31)
    assert most == 23_169 and (most + 1) * most * 4 <= 2**31  # and that many fit with their own
    with pytest.raises(
        UsageError,
        match=rf"got 23171 × 23170 × 4 bytes \(2 GiB \+ 4,632 bytes\); pass fewer weights \(at "
        rf"most {most}\)$",
    ):
        LinregConfig(true_w=[1.0] * d, num_examples=d + 1)
    assert LinregConfig(true_w=[1.0] * most, num_examples=most + 1).num_examples == most + 1


@pytest.mark.parametrize(
    ("settings", "pattern"),
    [
        # finite as a Python float, inf in float32: was refused in run_linreg as "w must hold only
        # finite values, got 1 NaN/inf entries ...; clean or impute the data first"
        (
            {"true_w": (1e39, 1.0)},
            r"^true_w must hold numbers in \[-1e\+15, 1e\+15\] \(noise_std's limit, which keeps the float32 labels y = Xw \+ b \+ noise and their squared errors finite\), got 1e\+39; pass e\.g\. true_w=\(2\.0, -3\.4\), or rescale the problem$",
        ),
        # finite in float32, but the first squared error is inf: was a DivergenceError telling to
        # standardise the data
        (
            {"true_w": (2.0, -1e20)},
            r"^true_w must hold numbers in \[-1e\+15, 1e\+15\] .*, got -1e\+20;",
        ),
        (
            {"true_b": 1e39},
            r"^true_b must hold numbers in \[-1e\+15, 1e\+15\] .*, got 1e\+39; pass e\.g\. true_b=4\.2, or rescale the problem$",
        ),
        # the value as received: :g showed 1.0000001e15 as 1e+15, the limit itself
        (
            {"true_b": 1.0000001e15},
            r"^true_b must hold numbers in \[-1e\+15, 1e\+15\] .*, got 1000000100000000\.0; pass e\.g\. true_b=4\.2",
        ),
    ],
)
def test_true_w_and_true_b_past_float32s_loss_range_are_refused_by_name(
    settings: dict[str, object], pattern: str
) -> None:
    with pytest.raises(UsageError, match=pattern):
        LinregConfig(**settings)  # type: ignore[arg-type]


def test_true_w_and_true_b_at_the_limit_train() -> None:
    """At the limit (1e15, as noise_std's) a run still trains: the loss stays finite and w and b
    lie within 1e-3 relative of the truth after the book's 3 epochs."""
    from linearnets.tasks.linreg import run_linreg

    for impl in ("scratch", "concise"):
        result = run_linreg(LinregConfig(impl=impl, true_w=(1e15, -1e15), true_b=-1e15))
        assert math.isfinite(result.loss)
        assert result.w == pytest.approx([1e15, -1e15], rel=1e-3)
        assert result.b == pytest.approx(-1e15, rel=1e-3)


def test_too_few_examples_for_many_weights_name_a_count_that_fits() -> None:
    """1000 weights need 1001 examples: the fix once said "pass e.g. num_examples=1000", the value
    refused, and did not say that 1000 was the book's, filled in because it was left out."""
    with pytest.raises(
        UsageError,
        match=r"^num_examples must be an integer in \[1001, 100000000\] \(at least one more than "
        r"the 1000 weights, for a unique least-squares solution\), got 1000 \(the book's, filled "
        r"in: num_examples was left out\); pass e\.g\. num_examples=1001$",
    ):
        LinregConfig(true_w=[1.0] * 1000)
    with pytest.raises(UsageError, match=r"got 10; pass e\.g\. num_examples=5001$"):
        LinregConfig(true_w=[1.0] * 5000, num_examples=10)
    with pytest.raises(UsageError, match=r"at least one more than the 1 weight, for a unique"):
        LinregConfig(true_w=[5.0], num_examples=1)
    # the fix named is taken; the book's 1000 stays the example where it fits
    assert LinregConfig(true_w=[1.0] * 1000, num_examples=1001).num_examples == 1001
    with pytest.raises(UsageError, match=r"got 2; pass e\.g\. num_examples=1000$"):
        LinregConfig(num_examples=2)
