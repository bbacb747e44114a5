"""What a loss tells an epoch's totals: its class weights, the label it skips, a 0-d loss's
reduction as scalar_loss names it."""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from linearnets.d2l import train_epoch_ch3
from linearnets.errors import UsageError
from linearnets.training.evaluation import evaluate
from linearnets.training.loop import fit
from linearnets.training.loss_kinds import class_weight, ignored, reduction_of, summed_scalar_loss


def test_class_weight_is_that_of_a_mean_reduced_weighted_classification_loss() -> None:
    """Only a mean divides by Σ w[y]; the weights come back cut from any graph."""
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    got = class_weight(torch.nn.CrossEntropyLoss(weight=w))
    assert got is not None and not got.requires_grad and torch.equal(got, w.detach())
    nll = class_weight(torch.nn.NLLLoss(weight=torch.tensor([0.5, 1.0])))
    assert nll is not None and torch.equal(nll, torch.tensor([0.5, 1.0]))
    assert class_weight(torch.nn.CrossEntropyLoss(weight=w, reduction="sum")) is None
    assert class_weight(torch.nn.CrossEntropyLoss()) is None  # no weights
    assert class_weight(F.cross_entropy) is None and class_weight(torch.nn.MSELoss()) is None


def test_class_weight_is_that_of_a_partial_of_torchs_classification_function() -> None:
    """partial(F.cross_entropy, weight=w) means as nn.CrossEntropyLoss(weight=w) does; its
    weights were not read (the epoch's loss an unweighted mean of the batches')."""
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for function in (F.cross_entropy, F.nll_loss):
        got = class_weight(functools.partial(function, weight=w))
        assert got is not None and not got.requires_grad and torch.equal(got, w.detach())
        assert class_weight(functools.partial(function, weight=w, reduction="sum")) is None
        assert class_weight(functools.partial(function, weight=w, reduction="none")) is None
        assert class_weight(functools.partial(function, label_smoothing=0.1)) is None
        # torch's legacy keywords decide over reduction=, as torch reads them
        assert class_weight(functools.partial(function, weight=w, reduce=False)) is None
        legacy_mean = functools.partial(function, weight=w, reduction="sum", size_average=True)
        assert torch.equal(class_weight(legacy_mean), w.detach())  # type: ignore[arg-type]
    assert class_weight(functools.partial(F.mse_loss, weight=w)) is None  # not a class loss


def test_ignored_is_the_ignore_index_torchs_losses_skip() -> None:
    """The oracle: the default of F.cross_entropy's and F.nll_loss's own ignore_index, and a
    module's attribute."""
    for function in (F.cross_entropy, F.nll_loss):
        default = inspect.signature(function).parameters["ignore_index"].default
        assert ignored(function) == default == -100
    assert ignored(torch.nn.CrossEntropyLoss(ignore_index=7)) == 7
    assert ignored(torch.nn.NLLLoss()) == -100
    assert ignored(torch.nn.MSELoss()) is None


@pytest.mark.parametrize(
    "index",
    [0, np.int64(0), torch.tensor(0), np.array(0)],
    ids=["int", "np.int64", "tensor", "array"],
)
def test_ignored_reads_a_partials_ignore_index_of_any_integer_type(index: object) -> None:
    """torch takes np.int64(0) or a 0-d integer tensor as label 0; they were read as no
    ignore_index, so fit took a class torch skipped for none."""
    got = ignored(functools.partial(F.cross_entropy, ignore_index=index))
    assert got == 0 and type(got) is int
    assert ignored(functools.partial(F.nll_loss, ignore_index=index)) == 0
    assert ignored(functools.partial(F.cross_entropy, ignore_index=True)) is None  # a bool
    assert ignored(functools.partial(F.cross_entropy, ignore_index=torch.tensor(True))) is None
    assert ignored(functools.partial(F.cross_entropy, ignore_index=0.0)) is None  # torch refuses


def test_scalar_loss_says_whether_a_0d_loss_is_its_batchs_sum() -> None:
    assert summed_scalar_loss("sum") is True and summed_scalar_loss("mean") is False
    assert summed_scalar_loss(None) is None  # the loss's reduction decides
    with pytest.raises(UsageError, match=r"^scalar_loss must be one of 'mean', 'sum', got 'Sum'; write it in lower case: pass scalar_loss='sum'$"):  # fmt: skip
        summed_scalar_loss("Sum")
    with pytest.raises(UsageError, match=r"^scalar_loss must be one of 'mean', 'sum', got 'total'; pass e\.g\. scalar_loss='mean'$"):  # fmt: skip
        summed_scalar_loss("total")


def test_reduction_of_reads_a_partial_of_torchs_loss_function() -> None:
    """The oracle: torch's own default reduction, and what the partial fixes."""
    default = inspect.signature(F.cross_entropy).parameters["reduction"].default
    assert reduction_of(functools.partial(F.cross_entropy)) == default == "mean"
    assert reduction_of(functools.partial(F.cross_entropy, reduction="sum")) == "sum"
    assert reduction_of(functools.partial(F.mse_loss, reduction="none")) == "none"
    assert reduction_of(torch.nn.CrossEntropyLoss(reduction="sum")) == "sum"
    assert reduction_of(F.cross_entropy) is None  # bare: fit's default, a mean
    own = functools.partial(lambda o, y, reduction: o.sum(), reduction="sum")
    assert reduction_of(own) is None  # a function of one's own may return either


@pytest.mark.parametrize("size_average", [None, True, False])
@pytest.mark.parametrize("reduce", [None, True, False])
def test_reduction_of_reads_torchs_deprecated_keywords_as_torch_does(
    size_average: bool | None, reduce: bool | None
) -> None:
    """partial(F.cross_entropy, size_average=False) sums, as torch reads it, and was counted as a
    mean (reported B times too large). The oracle: the reduction torch's own module takes from the
    same keywords."""
    import warnings

    keywords = {
        name: value
        for name, value in (("size_average", size_average), ("reduce", reduce))
        if value is not None
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch says they are deprecated
        module = torch.nn.CrossEntropyLoss(**keywords, reduction="sum")  # type: ignore[arg-type]
    expected = module.reduction if keywords else "sum"
    partial = functools.partial(F.cross_entropy, reduction="sum", **keywords)
    assert reduction_of(partial) == expected


def test_fit_reports_a_summed_partials_loss_as_the_mean_per_example() -> None:
    """partial(F.cross_entropy, reduction="sum") was counted as a batch mean, reported B (50)
    times too large (55.48 where nn.CrossEntropyLoss(reduction="sum") reports 1.1096). The
    oracle: torch's full-batch mean over the training and the test set, the model unchanged."""
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(200, 5, generator=g), torch.randint(0, 3, (200,), generator=g)
    data = list(zip(X.split(50), y.split(50), strict=True))
    torch.manual_seed(1)
    net = torch.nn.Linear(5, 3)
    loss = functools.partial(F.cross_entropy, reduction="sum")
    history = fit(net, data, loss, torch.optim.SGD(net.parameters(), lr=0.0), 1, test_iter=data)
    mean = F.cross_entropy(net(X), y).item()
    assert history.train_loss[-1] == pytest.approx(mean, rel=1e-6)
    assert history.test_loss[-1] == pytest.approx(mean, rel=1e-6)


@pytest.mark.parametrize(
    "index",
    [True, np.bool_(True), torch.tensor(True), torch.tensor(False)],
    ids=["bool", "np.bool_", "tensor", "tensor-false"],
)
@pytest.mark.parametrize("function", [F.cross_entropy, F.nll_loss], ids=lambda f: f.__name__)
def test_a_bool_ignore_index_is_refused_in_one_line(index: object, function: object) -> None:
    """torch.tensor(True) reached torch's "INTERNAL ASSERT FAILED ... report a bug to PyTorch",
    True and np.bool_ a TypeError of torch's internals; fit, evaluate and the book's loop now
    name it and the fix before any batch."""
    loss = functools.partial(function, ignore_index=index)
    name = getattr(function, "__name__", "")
    message = (
        f"the ignore_index of loss partial(F.{name}, ignore_index=...) must be an int, the class "
        f"label the loss skips, got {index!r} (a bool); pass an int such as ignore_index=-100 "
        "(torch's default, no class) or the label to skip"
    )
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(10, 5, generator=g), torch.randint(0, 3, (10,), generator=g))]
    net = torch.nn.Linear(5, 3)
    with pytest.raises(UsageError) as err:
        fit(net, data, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert isinstance(err.value, TypeError) and str(err.value) == message
    with pytest.raises(UsageError, match=re.escape(message)):
        evaluate(net, data, loss)
    with pytest.raises(UsageError, match=re.escape(message)):
        train_epoch_ch3(net, data, loss, torch.optim.SGD(net.parameters(), lr=0.1))


def test_a_bool_ignore_index_of_a_loss_module_is_refused_too() -> None:
    """nn.CrossEntropyLoss(ignore_index=torch.tensor(True)) was read as label 1 by fit's
    totals and reached torch's internal assert."""
    net = torch.nn.Linear(5, 3)
    data = [(torch.randn(10, 5), torch.randint(0, 3, (10,)))]
    loss = torch.nn.CrossEntropyLoss(ignore_index=torch.tensor(True))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^the ignore_index of loss CrossEntropyLoss\(ignore_index=\.\.\.\) must be an int, the class label the loss skips, got tensor\(True\) \(a bool\); pass an int such as ignore_index=-100 "):  # fmt: skip
        fit(net, data, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
