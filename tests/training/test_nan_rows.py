"""The rows a TargetsWatch keeps of a group of steps: which examples' losses, targets, scores and
features hold NaN or inf (D2L §3.6)."""

from __future__ import annotations

import math

import torch

from linearnets.training.nan_rows import Step, all_finite, group_rows, not_finite_rows


def _step(
    B: int,
    *,
    l: torch.Tensor,
    bad_y: int | None = None,
    X: torch.Tensor | None = None,
    ndim: int = 2,
) -> Step:
    y = torch.full((B, 3), 1 / 3)
    if bad_y is not None:
        y[bad_y, 1] = math.inf
    y_hat = torch.zeros(B, 3)
    if X is not None:
        y_hat[~torch.isfinite(X).flatten(1).all(dim=1)] = math.nan
    return (y, l, y_hat, X, ndim)


def test_each_rows_finiteness_is_told_per_example_over_the_group() -> None:
    """Three steps of 2, 3 and 2 examples: a 0-d loss counts for every example of its step; a
    step's features not held (None) are False on its rows and told apart by features_held;
    image-shaped features (B, 1, 2, 2) are any NaN or inf in the example's values."""
    X1 = torch.ones(2, 1, 2, 2)
    X1[1, 0, 0, 1] = math.nan
    X3 = torch.ones(2, 1, 2, 2)
    X3[0, 0, 1, 0] = -math.inf
    group = group_rows(
        [
            _step(2, l=torch.tensor([0.5, math.nan]), X=X1, ndim=4),
            _step(3, l=torch.tensor(math.nan), bad_y=2, ndim=4),  # a 0-d mean; X not held
            _step(2, l=torch.tensor([math.inf, 0.5]), X=X3, ndim=4),
        ]
    )
    assert group.sizes == [2, 3, 2] and group.per_example == [True, False, True]
    assert group.loss_rows.tolist() == [False, True, True, True, True, True, False]
    assert group.target_rows.tolist() == [False, False, False, False, True, False, False]
    assert group.score_rows is not None and group.feature_rows is not None
    assert group.score_rows.tolist() == [False, True, False, False, False, True, False]
    assert group.feature_rows.tolist() == [False, True, False, False, False, True, False]
    assert group.features_held == [True, False, True] and group.feature_dims == [4, 4, 4]


def test_scores_and_features_not_handed_are_none() -> None:
    """A step held without its scores or features (a caller that hands only y and l): their
    rows are None, not a tensor of False, so nothing is said of them."""
    step = (torch.full((2, 3), 1 / 3), torch.tensor([math.nan, 0.0]), None, None, 0)
    group = group_rows([step, step])
    assert group.score_rows is None and group.feature_rows is None
    assert group.loss_rows.tolist() == [True, False, True, False]
    assert group.features_held == [False, False] and group.feature_dims == [0, 0]


def test_steps_of_other_trailing_shapes_are_told_one_by_one() -> None:
    """Losses of (B,) and (B, 2) in one group, as a loss of several values per example gives:
    each step's rows are found on their own, in order."""
    rows = not_finite_rows(
        [torch.tensor([0.0, math.nan]), torch.tensor([[0.0, 0.0], [math.inf, 1.0], [0.0, 0.0]])],
        [2, 3],
    )
    assert rows.tolist() == [False, True, False, True, False]
    assert bool(all_finite([torch.tensor(1.0), torch.tensor(2.0)]))
    assert not bool(all_finite([torch.tensor([1.0]), torch.tensor([[2.0, math.nan]])]))
