"""EpochTotals: an epoch's loss and accuracy, folded in groups of steps, against direct sums."""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.training.distributed import DistContext
from linearnets.training.loss_kinds import summed_scalar_loss
from linearnets.training.totals import EpochTotals, NanContext
from linearnets.validation import NanSource


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


@pytest.mark.parametrize("steps", [1, EpochTotals._STASH_STEPS], ids=["at-result", "group-full"])
@pytest.mark.parametrize("finite", [True, False], ids=["from-finite", "unknown"])
def test_the_nan_probe_runs_only_on_nan_scores_and_picks_the_message(
    gen: torch.Generator, steps: int, finite: bool
) -> None:
    """Whether the group fills up (CPU: checked in add) or the epoch ends (checked in result), the
    probe is asked once, only then; its answer decides which cause the error names."""
    calls: list[int] = []

    def probe() -> NanSource:
        calls.append(1)
        return NanSource(nan_on_batch=True, finite_weights=True) if finite else NanSource()

    fine = EpochTotals(nan_probe=probe)
    for scores, labels, losses in _steps(gen, [8] * steps):
        fine.add(scores, labels, losses)
    fine.result("train_iter", None)
    assert calls == []  # no NaN, no probe: a pass that trains pays nothing for it
    nan = EpochTotals.for_loss(None, nan_probe=probe)
    expected = r"though its parameters and its inputs are finite" if finite else r"its weights or its inputs hold NaN"  # fmt: skip
    with pytest.raises(DivergenceError, match=rf"^the model's scores hold NaN.*{expected}"):
        for step, (scores, labels, losses) in enumerate(_steps(gen, [8] * steps)):
            if step == 0:
                scores[0, 1] = float("nan")
            nan.add(scores, labels, losses)
        nan.result("train_iter", None)
    assert calls == [1]


class _Embedded(nn.Module):
    """An embedding's row per example, then a linear layer: a NaN row reaches its examples alone."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.lin = nn.Embedding(10, 3), nn.Linear(3, 10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(self.emb(X[:, 0]))


def _nan_weight(net: nn.Module, name: str) -> nn.Module:
    with torch.no_grad():
        net.get_parameter(name)[0, 0] = float("nan")
    return net


def _book_function() -> Any:
    """The book's model (D2L §3.6.3): a function of a matrix W, one of whose weights is NaN, and b."""
    W, b = torch.zeros(2, 10), torch.zeros(10)
    W[0, 0] = float("nan")

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax(X.reshape(-1, W.shape[0]) @ W + b, dim=1)

    return net


@pytest.mark.parametrize(
    "nan_step", [3, EpochTotals._STASH_STEPS + 2], ids=["first-group", "second-group"]
)
@pytest.mark.parametrize("model", ["unknown", "linear", "book-function", "embedding"])
def test_a_later_step_of_nan_scores_is_named_with_its_examples_without_the_probe(
    gen: torch.Generator, nan_step: int, model: str
) -> None:
    """The group read back holds every step's scores: the first step with a NaN score, its
    examples, and where they stand in the pass are named, counted over the groups already
    folded; the probe, which looks at the first batch, is not asked. The weights, NaN now (as
    the update on NaN scores leaves them), are said to have been finite at that step only in one
    linear layer (or the book's function of W and b), whose NaN weights would have reached every
    example; in another model (an
    embedding) they are named as a cause too; where the model is not known, neither is said."""
    net = {
        "unknown": None,
        "linear": _nan_weight(nn.Linear(2, 10), "weight"),
        "book-function": _book_function(),
        "embedding": _nan_weight(_Embedded(), "emb.weight"),
    }[model]
    calls: list[int] = []
    totals = EpochTotals.for_loss(None, nan_probe=lambda: calls.append(1) or NanSource(), context=NanContext(name="train_iter", training=True, net=net))  # fmt: skip
    with pytest.raises(DivergenceError) as info:
        for step, (scores, labels, losses) in enumerate(_steps(gen, [8] * (nan_step + 3))):
            if step >= nan_step:  # the update after it makes every later score NaN
                scores[[2, 6] if step == nan_step else slice(None), 4] = float("nan")
            totals.add(scores, labels, losses)
        totals.result("train_iter", None)
    assert calls == []
    said = str(info.value)
    affine = model in ("linear", "book-function")
    still = ", so the weights were still finite" if affine else ""
    assert re.match(
        rf"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch "
        rf"{nan_step + 1} of train_iter in this epoch, on 2 of its 8 examples \(positions 2 and 6 "
        rf"in the batch, counting from 0: examples {8 * nan_step + 2} and {8 * nan_step + 6} in the "
        rf"order train_iter yielded them\), while the other 6 examples' scores are finite \(none "
        rf"above [\d.]+ in absolute value\){still}: those examples' "
        rf"features X hold NaN or inf, or the model's computation overflowed on them \(",
        said,
    ), said
    assert ("weights were still finite" in said) == affine
    assert "weights are finite" not in said
    cause = "or weights that held NaN or inf already reach those examples alone (as a NaN row of an embedding does for the examples that use it); they hold NaN or inf now (emb.weight)"  # fmt: skip
    assert (cause in said) == (model == "embedding"), said
    assert info.value.step == nan_step and info.value.examples


def test_every_score_of_a_later_step_nan_names_the_update_first_after_huge_scores(
    gen: torch.Generator,
) -> None:
    """The step before the group (the last of the group folded before) still gives its largest
    score: 1e30 there, every score NaN after it: an update that blew up the weights is named
    first, the batch's features second, not one as a fact."""
    totals = EpochTotals(context=NanContext(name="train_iter", training=True))
    steps = _steps(gen, [8] * (EpochTotals._STASH_STEPS + 1))
    steps[EpochTotals._STASH_STEPS - 1][0][0, 0] = -1e30
    steps[EpochTotals._STASH_STEPS][0][:, 1] = float("nan")
    with pytest.raises(DivergenceError) as info:
        for scores, labels, losses in steps:
            totals.add(scores, labels, losses)
        totals.result("train_iter", None)
    assert str(info.value) == (
        "the model's scores hold NaN, so no accuracy can be computed: they first did at batch 65 of "
        "train_iter in this epoch, on all 8 of its examples, after scores free of NaN at the batch "
        "before (largest absolute value 1e+30): either an update made the weights NaN or inf, as a "
        "learning rate too large does, or batch 65's features X hold NaN or inf (one example's are "
        "enough in a model that mixes a batch's examples, such as BatchNorm in training mode), or "
        "the model's computation overflowed on them (on large features a softmax computed as "
        "exp(o) / exp(o).sum(1) does: subtract each row's max first, o - o.max(dim=1, "
        "keepdim=True).values, or use linearnets.softmax); torch.isfinite(X).all() on batch 65's "
        "features tells the first from the others (False: clean or drop the examples that hold "
        "NaN or inf; True: train with a smaller learning rate, or a stable softmax), then train "
        "again from fresh weights"
    )
    assert info.value.step == 64 and not info.value.examples


def test_the_model_the_loader_and_the_epoch_say_more_only_once_scores_are_nan(
    gen: torch.Generator,
) -> None:
    """Every score of batch 3 NaN after small ones, with weights still finite: no update made
    them NaN, so that batch's values are named, and not the lr; a DataLoader that keeps its order
    gives the dataset's index of a NaN row, a shuffling one does not; fit's epoch is named."""
    from torch.utils.data import DataLoader, TensorDataset

    net = nn.Linear(2, 10)
    data = TensorDataset(torch.zeros(24, 2), torch.zeros(24, dtype=torch.long))
    steps = _steps(gen, [8] * 3)
    steps[2][0][:, 1] = float("nan")
    context = NanContext(name="train_iter", training=True, net=net, batches=data, epoch=4)
    totals = EpochTotals(context=context)
    with pytest.raises(DivergenceError) as info:
        for step in steps:
            totals.add(*step)
        totals.result("train_iter", None)
    assert str(info.value).startswith(
        "the model's scores hold NaN, so no accuracy can be computed: they first did at batch 3 of "
        "train_iter in epoch 4, on all 8 of its examples, though the weights are finite: that "
        "batch's features X hold NaN or inf, or the model's computation overflowed on them"
    ), str(info.value)
    assert "learning rate" not in str(info.value)
    for shuffle, seat in ((False, "example 17 of the epoch, its index in the dataset"), (True, "example 17 in the epoch's shuffled order, not its index in the dataset")):  # fmt: skip
        steps = _steps(gen, [8] * 3)
        steps[2][0][1, 1] = float("nan")
        loader = DataLoader(data, 8, shuffle=shuffle)
        context = NanContext(name="train_iter", training=True, net=net, batches=loader)
        totals = EpochTotals(context=context)
        with pytest.raises(DivergenceError, match=rf"\(position 1 in the batch, counting from 0: {seat}\)"):  # fmt: skip
            for step in steps:
                totals.add(*step)
            totals.result("train_iter", None)


def test_a_label_outside_the_classes_is_named(gen: torch.Generator) -> None:
    scores, labels, losses = _steps(gen, [8])[0]
    labels[5] = 10  # 10 classes: 0..9
    totals = EpochTotals()
    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 10\), got 10") as info:
        totals.add(scores, labels, losses)  # on a CPU, at its own batch
    assert info.value.row == 5  # type: ignore[attr-defined]


def test_labels_that_would_broadcast_are_refused(gen: torch.Generator) -> None:
    scores, labels, losses = _steps(gen, [8])[0]
    with pytest.raises(
        UsageError,
        match=r"^y must be 1-dimensional \(B,\), got a tensor of shape \(8, 1\) and dtype "
        r"torch\.int64; use y\.reshape\(-1\)$",
    ):
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


def _first_max_hits(scores: torch.Tensor, labels: torch.Tensor) -> int:
    """The oracle: rows whose first maximal score (in plain Python) is at the label."""
    return sum(
        row.index(max(row)) == y for row, y in zip(scores.tolist(), labels.tolist(), strict=True)
    )


@pytest.mark.parametrize(
    "layouts",
    [
        ["t"] * 150,  # transposed views only, across the 64-step groups
        ["t", "c"] * 40,  # both layouts in every group
        ["t"] * 63 + ["row"],  # a last batch of one row: (1, q), whose transpose is contiguous too
    ],
)
def test_accuracy_takes_the_first_maximum_whatever_the_outputs_layout(
    gen: torch.Generator, layouts: list[str]
) -> None:
    totals, hits, count = EpochTotals(), 0, 0
    for layout in layouts:
        rows = 1 if layout == "row" else 5
        scores = torch.randint(0, 3, (rows, 10), generator=gen).float()  # ties in most rows
        labels = torch.randint(0, 10, (rows,), generator=gen)
        # "t": stored (q, B) and handed over as its (B, q) view, as the scratch models do
        given = scores.T.contiguous().T if layout == "t" else scores
        totals.add(given, labels, torch.ones(rows))
        hits, count = hits + _first_max_hits(scores, labels), count + rows
    _, acc = totals.result("train_iter", None)
    assert 0 < hits < count  # the check has both hits and misses to get right
    assert acc == hits / count


@pytest.mark.parametrize("transposed", [True, False])
def test_a_nan_score_below_its_rows_maximum_is_found(
    gen: torch.Generator, transposed: bool
) -> None:
    scores, labels, losses = _steps(gen, [8])[0]
    scores[2] = torch.arange(10.0)  # the maximum is class 9 ...
    scores[2, 4] = float("nan")  # ... and a NaN sits elsewhere in the row
    totals = EpochTotals()
    totals.add(scores.T.contiguous().T if transposed else scores, labels, losses)
    with pytest.raises(DivergenceError, match="scores hold NaN"):
        totals.result("train_iter", None)


def test_for_loss_takes_a_0d_loss_as_a_sum_when_told() -> None:
    """summed=True (linearnets.d2l's): every 0-d loss is its batch's sum, whatever the reduction."""
    mean_reduced = torch.nn.CrossEntropyLoss()
    assert not EpochTotals.for_loss(mean_reduced).summed
    assert EpochTotals.for_loss(torch.nn.CrossEntropyLoss(reduction="sum")).summed
    totals = EpochTotals.for_loss(mean_reduced, summed=True)
    totals.add(torch.zeros(4, 1), torch.zeros(4, 1), torch.tensor(8.0))
    totals.add(torch.zeros(2, 1), torch.zeros(2, 1), torch.tensor(1.0))
    assert totals.result("train_iter", None) == (pytest.approx(9.0 / 6), None)


@pytest.mark.parametrize(
    "shape",
    [(8, 10, 1), (4, 10)],  # (B, C, 1) would count up to B² rows; (4, C) holds too few rows
)
def test_an_output_that_is_not_one_row_of_scores_per_label_is_refused(
    gen: torch.Generator, shape: tuple[int, ...]
) -> None:
    _, labels, losses = _steps(gen, [8])[0]
    with pytest.raises(
        UsageError,
        match=rf"a classifier's output must be scores of shape \(B, C\), one row per label, got "
        rf"shape {re.escape(str(shape))} for 8 labels",
    ):
        EpochTotals().add(torch.randn(shape, generator=gen), labels, losses)


def test_scores_for_one_label_say_one_label(gen: torch.Generator) -> None:
    """It said "for 1 labels"."""
    with pytest.raises(
        UsageError,
        match=r"^a classifier's output must be scores of shape \(B, C\), one row per label, got "
        r"shape \(3, 10\) for 1 label; ",
    ):
        EpochTotals().add(torch.randn(3, 10, generator=gen), torch.tensor([1]), torch.ones(1))


def test_empty_classification_shards_count_for_nothing(gen: torch.Generator) -> None:
    """A data-parallel rank left with no rows: (0, C) scores and (0,) labels add nothing."""
    empty = (torch.zeros(0, 10), torch.zeros(0, dtype=torch.int64), torch.zeros(0))
    alone = EpochTotals()
    alone.add(*empty)
    with pytest.raises(UsageError, match="train_iter must yield at least one example, got none"):
        alone.result("train_iter", None)
    steps = _steps(gen, [6, 4])
    totals = EpochTotals()
    for step in (steps[0], empty, steps[1]):
        totals.add(*step)
    hits = sum(int((s.argmax(dim=1) == y).sum()) for s, y, _ in steps)
    losses = torch.cat([l for _, _, l in steps]).double()
    assert totals.result("train_iter", None) == (pytest.approx(float(losses.mean())), hits / 10)


# (steps, rows per step, classes): each fills a group of steps exactly at its last step
_GROUPS = {
    "steps": (EpochTotals._STASH_STEPS, 1, 3),
    "rows": (1, EpochTotals._STASH_ROWS, 2),
    "values": (2, 512, EpochTotals._STASH_VALUES // 1024),
}


@pytest.mark.parametrize("bad_group", [0, 1])
@pytest.mark.parametrize("group", _GROUPS)
def test_on_the_cpu_a_bad_label_stops_the_epoch_at_its_own_batch(
    group: str, bad_group: int, gen: torch.Generator
) -> None:
    """Not at the epoch's end (an epoch would train on labels past the model), nor when its group
    of steps is full (the steps after it trained on, and the batch unnamed): on a CPU one aminmax
    of each batch's labels (about 2 µs for 256) refuses the bad one as it is added, naming its row;
    the adds before it read nothing back that fails."""
    num_steps, rows, classes = _GROUPS[group]
    totals = EpochTotals()
    bad_step = bad_group * num_steps
    for step in range(bad_step + 1):
        labels = torch.zeros(rows, dtype=torch.int64)
        labels[-1] = classes if step == bad_step else 0
        args = (torch.randn(rows, classes, generator=gen), labels, torch.rand(rows, generator=gen))
        if step < bad_step:
            totals.add(*args)
            continue
        with pytest.raises(UsageError, match=rf"y must hold class indices in \[0, {classes}\), got {classes}") as info:  # fmt: skip
            totals.add(*args)
        assert info.value.row == rows - 1  # type: ignore[attr-defined]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_bad_labels_and_nan_scores_are_refused_with_the_epochs_totals() -> None:
    """On a device the group's checks are read back at result(), not when the group is full."""
    bad = EpochTotals()
    bad.add(torch.zeros(2, 3, device="cuda"), torch.tensor([0, 3], device="cuda"), None)
    with pytest.raises(UsageError, match=r"y must hold class indices in \[0, 3\), got 3"):
        bad.result("train_iter", None)
    nan = EpochTotals()
    scores = torch.tensor([[0.0, float("nan"), 1.0]], device="cuda")
    nan.add(scores, torch.tensor([1], device="cuda"), None)
    with pytest.raises(DivergenceError, match="scores hold NaN"):
        nan.result("train_iter", None)


@pytest.mark.parametrize("hold", ["scores", "losses"])
def test_the_stash_holds_no_graph_that_keeps_a_batch_alive(hold: str) -> None:
    """Outputs and losses are stashed detached: a step's graph (and the batch it saved) is freed."""
    w = torch.ones(3, 2, requires_grad=True)
    X = torch.rand(4, 3)
    batch = weakref.ref(X)
    y_hat = X @ w  # the graph saves X for the gradient of w
    l = torch.nn.functional.cross_entropy(y_hat, torch.tensor([0, 1, 1, 0]), reduction="none")
    totals = EpochTotals()
    if hold == "scores":
        totals.add(y_hat, torch.tensor([0, 1, 1, 0]), None)
    else:
        totals.add(torch.zeros(4, 1), torch.zeros(4, 1), l)
    del X, y_hat, l
    assert batch() is None


@dataclass(frozen=True)
class _RankOfTwo(DistContext):
    """Rank 0 of a 2-process run whose other rank's totals are given: all-reduce adds them."""

    other: tuple[float, ...] = ()

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.add_(torch.tensor(self.other, dtype=tensor.dtype))


def test_a_data_parallel_epoch_combines_every_ranks_totals(gen: torch.Generator) -> None:
    steps = _steps(gen, [5, 3])
    totals = EpochTotals()
    for step in steps:
        totals.add(*step)
    # the other rank saw 4 examples, loss sum 10, 1 right
    dist = _RankOfTwo(rank=0, world_size=2, other=(10.0, 1.0, 4.0))
    loss_sum = float(torch.cat([l for _, _, l in steps]).double().sum())
    hits = sum(int((s.argmax(dim=1) == y).sum()) for s, y, _ in steps)
    mean_loss, acc = totals.result("train_iter", dist)
    assert mean_loss == pytest.approx((loss_sum + 10.0) / 12) and acc == (hits + 1) / 12


# --- integer targets of a one-output model: a regression, whose fix is y.float() -----------------

_FLOAT_FIX = (
    r"^y must be float targets for a regression \(the model gives one output per example, y_hat "
    r"of shape \({shape}\); integer or bool targets would be taken as class labels\), got a "
    r"tensor of shape .* and dtype {dtype}; convert them with y\.float\(\)"
)


@pytest.mark.parametrize("out_shape", [(8, 1), (8,)])
@pytest.mark.parametrize("y_shape", [(8,), (8, 1)])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_targets_of_a_one_output_model_are_refused_with_float_as_the_fix(
    gen: torch.Generator, out_shape: tuple[int, ...], y_shape: tuple[int, ...], dtype: torch.dtype
) -> None:
    """Integer-valued regression targets (counts, ratings) were taken as the labels of one class,
    refused as "class indices in [0, 1)" or told to reshape; the fix is float targets."""
    y_hat = torch.randn(out_shape, generator=gen)
    y = torch.randint(-5, 6, y_shape, generator=gen).to(dtype)
    losses = torch.rand(8, generator=gen)
    pattern = _FLOAT_FIX.format(shape=re.escape(str(out_shape)[1:-1]), dtype=re.escape(str(dtype)))
    with pytest.raises(UsageTypeError, match=pattern):
        totals = EpochTotals()
        totals.add(y_hat, y, losses)
        totals.result("train_iter", None)
    # the fix: float targets are a regression's, with no accuracy (the oracle: the plain mean)
    totals = EpochTotals()
    totals.add(y_hat, y.float(), losses)
    assert totals.result("train_iter", None) == (pytest.approx(float(losses.double().mean())), None)


def test_a_multi_output_classifier_still_takes_integer_labels(gen: torch.Generator) -> None:
    """Two or more scores per example: integer targets stay class labels, as before."""
    scores, labels = torch.randn(8, 2, generator=gen), torch.randint(0, 2, (8,), generator=gen)
    totals = EpochTotals()
    totals.add(scores, labels, torch.ones(8))
    assert totals.result("train_iter", None)[1] == float((scores.argmax(1) == labels).sum()) / 8


def _int_regression_fit(impl: str, y_shape: tuple[int, ...]) -> Any:
    """Fit one epoch of linear regression on integer-valued targets, as the bug hunt did."""
    import linearnets as ln
    from linearnets.models.concise import linreg_concise
    from linearnets.models.scratch import SGD, LinearRegressionScratch, squared_loss

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(40, 2, generator=gen)
    y = (X @ torch.tensor([2.0, -3.4]) + 4.2).round().long().reshape(y_shape)
    if impl == "concise":
        net: Any = linreg_concise(2)
        loss: Any = torch.nn.MSELoss(reduction="none")
        updater: Any = torch.optim.SGD(net.parameters(), lr=0.03)
    else:
        net = LinearRegressionScratch(2, analytic=impl == "analytic", generator=gen)
        loss, updater = squared_loss, SGD(net.parameters(), lr=0.03)
    return lambda targets: ln.fit(net, ln.load_array((X, targets), 10), loss, updater, 1), y


@pytest.mark.parametrize(
    ("impl", "y_shape"), [("scratch", (40,)), ("analytic", (40,)), ("concise", (40, 1))]
)
def test_fit_on_integer_regression_targets_names_y_float_and_the_fix_trains(
    impl: str, y_shape: tuple[int, ...]
) -> None:
    run, y = _int_regression_fit(impl, y_shape)
    with pytest.raises(UsageTypeError, match=r"y must be float targets for a regression.*y\.float\(\)"):  # fmt: skip
        run(y)
    history = run(y.float())  # the fix the message gives
    assert history.epochs[-1].train_acc is None and math.isfinite(history.epochs[-1].train_loss)


def test_integer_targets_are_named_when_backward_itself_refuses_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch 2.11 (seen on a CUDA machine) fails MSELoss's backward on int64 targets, where 2.13 runs it."""
    import linearnets.training.step as step

    def backward_as_torch_2_11(*args: Any) -> None:
        raise RuntimeError("Found dtype Long but expected Float")

    monkeypatch.setattr(step, "backward_scaled", backward_as_torch_2_11)
    run, y = _int_regression_fit("concise", (40, 1))
    with pytest.raises(UsageTypeError, match=r"y must be float targets for a regression.*y\.float\(\)"):  # fmt: skip
        run(y)


def test_scalar_loss_sum_counts_a_0d_loss_once_as_its_batchs_sum() -> None:
    """fit, evaluate and train_epoch read their scalar_loss through summed_scalar_loss."""
    totals = EpochTotals.for_loss(None, summed=summed_scalar_loss("sum"))
    totals.add(torch.zeros(4, 1), torch.zeros(4, 1), torch.tensor(6.0))  # a batch of 4 summing to 6
    assert totals.result("data_iter", None) == (1.5, None)


def test_predicted_labels_without_a_loss_are_counted_as_the_books_accuracy_counts_them() -> None:
    """A model of argmax labels (B,) or (B, 1), evaluated for its accuracy alone (no loss): the
    labels are compared as they are, uint8 against int64 without a wrap; not refused as a
    regression's outputs."""
    totals = EpochTotals()
    totals.add(torch.tensor([1, 2, 300]), torch.tensor([1, 0, 300]), None)  # 2 right
    totals.add(torch.tensor([[4], [3]], dtype=torch.int32), torch.tensor([4, 3], dtype=torch.uint8), None)  # fmt: skip
    totals.add(torch.tensor([300]), torch.tensor([300 - 256], dtype=torch.uint8), None)  # a miss
    assert totals.result("data_iter", None) == (0.0, 4 / 6)
    with pytest.raises(UsageError, match=r"^a classifier's output must be one predicted label per label, got shape \(3,\) for 2 labels"):  # fmt: skip
        EpochTotals().add(torch.tensor([1, 2, 3]), torch.tensor([1, 2]), None)
    # one label is no "1 labels"
    with pytest.raises(UsageError, match=r"^a classifier's output must be one predicted label per label, got shape \(3,\) for 1 label; return"):  # fmt: skip
        EpochTotals().add(torch.tensor([1, 2, 3]), torch.tensor([1]), None)
    with pytest.raises(UsageTypeError, match=r"^y must be float targets for a regression"):
        EpochTotals().add(torch.tensor([1, 2]), torch.tensor([1, 2]), torch.ones(2))  # with a loss


def test_a_loss_of_k_values_per_example_reports_the_mean_over_all_values() -> None:
    """nn.MSELoss(reduction="none") on k = 3 outputs gives (B, 3): the epoch's loss is the mean of
    all B · k values, as reduction="mean" (and the gradient applied) take it; summed=True (the
    book's float(l.sum())) adds them all. The oracle: torch's own reductions over the epoch."""
    gen = torch.Generator().manual_seed(0)
    outputs, targets = torch.randn(7, 3, generator=gen), torch.randn(7, 3, generator=gen)
    values = torch.nn.MSELoss(reduction="none")(outputs, targets)  # (7, 3)
    for summed, expected in (
        (False, torch.nn.MSELoss()),
        (True, torch.nn.MSELoss(reduction="sum")),
    ):
        totals = EpochTotals(summed=summed)
        totals.add(outputs[:4], targets[:4], values[:4])
        totals.add(outputs[4:], targets[4:], values[4:])
        oracle = expected(outputs, targets).double().item() / (7 if summed else 1)
        assert totals.result("train_iter", None) == (pytest.approx(oracle, rel=1e-6), None)


@pytest.mark.parametrize("form", ["module", "partial"])
@pytest.mark.parametrize("batch", [8, 3])
def test_a_class_weighted_mean_is_weighed_by_each_batchs_weights(batch: int, form: str) -> None:
    """nn.CrossEntropyLoss(weight=w)'s mean is Σ w[y]·l / Σ w[y]: folded per batch by its Σ w[y],
    the epoch's loss is that mean over the whole set, whatever the batch size. The oracle: the
    loss over all 8 examples at once. So is partial(F.cross_entropy, weight=w)'s, whose batches'
    means were averaged unweighted (1.05396 where torch's was 1.05343 on 100 examples)."""
    import functools

    gen = torch.Generator().manual_seed(0)
    scores, labels = torch.randn(8, 3, generator=gen), torch.tensor([0, 2, 2, 1, 2, 0, 2, 2])
    w = torch.tensor([1.0, 4.0, 0.5])
    loss: Any = (
        torch.nn.CrossEntropyLoss(weight=w)
        if form == "module"
        else functools.partial(torch.nn.functional.cross_entropy, weight=w)
    )
    totals = EpochTotals.for_loss(loss)
    for i in range(0, 8, batch):
        totals.add(
            scores[i : i + batch],
            labels[i : i + batch],
            loss(scores[i : i + batch], labels[i : i + batch]),
        )
    mean_loss, acc = totals.result("test_iter", None)
    assert mean_loss == pytest.approx(loss(scores, labels).item(), rel=1e-6)
    assert acc == float((scores.argmax(1) == labels).sum()) / 8


def test_a_class_weighted_loss_of_per_example_values_is_averaged_over_the_examples() -> None:
    """With reduction="none" the weights are already in each value, w[y]·l: the epoch's loss is
    their mean over the examples, as the book's l.mean() takes it, not a weighted mean divided by
    Σ w[y] (none was stashed: NaN). The oracle: torch's values, averaged over the 6 examples."""
    gen = torch.Generator().manual_seed(0)
    scores, labels = torch.randn(6, 3, generator=gen), torch.tensor([0, 1, 2, 2, 1, 0])
    loss = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0, 0.5]), reduction="none")
    totals = EpochTotals.for_loss(loss)
    totals.add(scores[:4], labels[:4], loss(scores[:4], labels[:4]))
    totals.add(scores[4:], labels[4:], loss(scores[4:], labels[4:]))
    mean_loss, _ = totals.result("train_iter", None)
    assert mean_loss == pytest.approx(loss(scores, labels).double().mean().item(), rel=1e-6)


def test_a_class_weighted_mean_on_probability_targets_is_divided_by_the_count_as_torchs() -> None:
    """With probability (soft) targets torch's weighted mean divides by the batch size, not by
    Σ w[y] (there is no y to weigh): each batch counts once per example. The oracle: torch's loss
    over all 6 examples at once."""
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(6, 3, generator=gen)
    targets = torch.softmax(torch.randn(6, 3, generator=gen), dim=1)
    loss = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 4.0, 0.5]))
    totals = EpochTotals.for_loss(loss)
    totals.add(scores[:4], targets[:4], loss(scores[:4], targets[:4]))
    totals.add(scores[4:], targets[4:], loss(scores[4:], targets[4:]))
    assert totals.result("train_iter", None) == (
        pytest.approx(loss(scores, targets).item(), rel=1e-6),
        None,
    )
