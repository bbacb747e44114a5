"""EpochTotals: an epoch's loss and accuracy, folded in groups of steps, against direct sums."""

from __future__ import annotations

import pytest
import torch

from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.training.totals import EpochTotals, predicted


def _steps(
    gen: torch.Generator, sizes: list[int], classes: int = 10
) -> list[tuple[torch.Tensor, ...]]:
    """(scores, labels, per-example losses) of steps with the given batch sizes."""
    return [
        (
            torch.randn(size, classes, generator=gen),
            torch.randint(0, classes, (size,), generator=gen),
            torch.rand(size, generator=gen),
        )
        for size in sizes
    ]


@pytest.mark.parametrize("sizes", [[7], [256] * 3, [5] * 150, [300] * 60 + [1]])
def test_folded_totals_equal_the_direct_sums(gen: torch.Generator, sizes: list[int]) -> None:
    # 150 steps cross the 64-step group, 60 x 300 rows the 16384-row group: each fold must add up
    steps = _steps(gen, sizes)
    totals = EpochTotals()
    for scores, labels, losses in steps:
        totals.add(scores, labels, losses)
    mean_loss, acc = totals.result("train_iter", None)
    all_losses = torch.cat([l for _, _, l in steps]).double()
    hits = sum(int((s.argmax(dim=1) == y).sum()) for s, y, _ in steps)  # the oracle, per step
    assert mean_loss == pytest.approx(float(all_losses.mean()), rel=1e-12)
    assert acc == hits / sum(sizes)


def test_a_summed_loss_counts_once_per_batch() -> None:
    totals = EpochTotals(summed=True)  # reduction="sum": each 0-d loss is its batch's sum
    totals.add(torch.zeros(4, 1), torch.zeros(4, 1), torch.tensor(8.0))
    totals.add(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor(1.0))
    mean_loss, acc = totals.result("train_iter", None)
    assert mean_loss == pytest.approx(9.0 / 6) and acc is None


def test_nan_scores_stop_the_epoch_rather_than_count_as_right(gen: torch.Generator) -> None:
    scores, labels, losses = _steps(gen, [8])[0]
    scores[3, 0] = float("nan")
    totals = EpochTotals()
    totals.add(scores, labels, losses)
    with pytest.raises(DivergenceError, match="scores hold NaN"):
        totals.result("train_iter", None)


def test_a_label_outside_the_classes_is_named(gen: torch.Generator) -> None:
    scores, labels, losses = _steps(gen, [8])[0]
    labels[5] = 10  # 10 classes: 0..9
    totals = EpochTotals()
    totals.add(scores, labels, losses)
    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 10\), got 10"):
        totals.result("train_iter", None)


def test_labels_that_would_broadcast_are_refused(gen: torch.Generator) -> None:
    scores, labels, losses = _steps(gen, [8])[0]
    with pytest.raises(UsageError, match="y must"):
        EpochTotals().add(scores, labels.reshape(8, 1), losses)


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.uint64])
def test_wide_unsigned_labels_are_refused_when_added(
    gen: torch.Generator, dtype: torch.dtype
) -> None:
    """torch compares uint16/32/64 with nothing: refused at once, by a dtype check, not at the fold."""
    scores, labels, losses = _steps(gen, [8])[0]
    with pytest.raises(UsageTypeError, match=rf"dtype {dtype}; use y\.long\(\)"):
        EpochTotals().add(scores, labels.to(dtype), losses)


def test_no_examples_is_an_error() -> None:
    with pytest.raises(UsageError, match="data_iter must yield at least one example, got none"):
        EpochTotals().result("data_iter", None)


def test_an_empty_shards_mean_loss_counts_for_nothing() -> None:
    # a data-parallel rank with no rows left computes nn.MSELoss() over nothing: NaN, 0 examples
    totals = EpochTotals()
    totals.add(torch.zeros(4, 1), torch.zeros(4, 1), torch.tensor(2.5))  # mean 2.5 over 4
    totals.add(torch.zeros(0, 1), torch.zeros(0, 1), torch.tensor(float("nan")))
    totals.add(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor(1.0))
    mean_loss, acc = totals.result("train_iter", None)
    assert mean_loss == pytest.approx((2.5 * 4 + 1.0 * 2) / 6) and acc is None


def test_predictions_are_argmax_first_on_ties_also_for_transposed_views(
    gen: torch.Generator,
) -> None:
    O = torch.randint(0, 4, (64, 10), generator=gen).float()  # many ties in every row
    O_t = O.T.contiguous().T  # the same values, stored (q, B) as the scratch model returns them
    first_max = torch.tensor([row.tolist().index(max(row.tolist())) for row in O])  # oracle
    assert torch.equal(predicted(O), first_max) and torch.equal(predicted(O_t), first_max)
    assert torch.equal(O_t.argmax(dim=1), first_max)


def test_for_loss_takes_a_0d_loss_as_a_sum_when_told() -> None:
    """summed=True (linearnets.d2l's): every 0-d loss is its batch's sum, whatever the reduction."""
    mean_reduced = torch.nn.CrossEntropyLoss()
    assert not EpochTotals.for_loss(mean_reduced).summed
    assert EpochTotals.for_loss(torch.nn.CrossEntropyLoss(reduction="sum")).summed
    totals = EpochTotals.for_loss(mean_reduced, summed=True)
    totals.add(torch.zeros(4, 1), torch.zeros(4, 1), torch.tensor(8.0))
    totals.add(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor(1.0))
    assert totals.result("train_iter", None) == (pytest.approx(9.0 / 6), None)
