"""The diagnosis of what a model's forward or backward raised, and of NaN scores (D2L §3.6, §3.7):
what is wrong with the model or the batch, and the fix.

Every case is built from what torch itself raises on the same inputs, so a diagnosis is checked
against a real failure, not a made-up one.
"""

from __future__ import annotations

import math
import re
import traceback
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from book.chapter3 import SOFTMAX_SCRATCH_FUNCTIONS
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from linearnets import d2l
from linearnets.errors import DivergenceError, UsageError
from linearnets.inference import predict_labels
from linearnets.model_checks import NanSource, NanStep
from linearnets.nan_places import NanContext
from linearnets.training.evaluation import evaluate_accuracy
from linearnets.training.model_diagnosis import (
    NanScoresProbe,
    nan_source,
    nan_step,
    raise_backward_error,
)
from linearnets.training.model_tensors import (
    WeightsSeen,
    affine,
    batch_order,
    model_tensors,
    weights_seen,
)
from linearnets.training.step import train_step

from .test_weightless import BookScratch


def _backward_error(loss: torch.Tensor) -> RuntimeError:
    try:
        loss.backward()
    except RuntimeError as err:  # the error under test, as torch raises it
        return err
    raise AssertionError("backward did not raise")


def _no_grad_error() -> RuntimeError:
    return _backward_error(torch.zeros(3).sum())


# --- backward ------------------------------------------------------------------------------------


def test_a_backward_error_of_another_kind_is_re_raised_as_it_is() -> None:
    err = RuntimeError("Trying to backward through the graph a second time")
    with pytest.raises(RuntimeError) as info:
        raise_backward_error(nn.Linear(2, 1), err)
    assert info.value is err


def _frozen() -> nn.Module:
    return nn.Linear(2, 1).requires_grad_(False)


class _BrokenParameters:
    def parameters(self) -> Any:
        raise TypeError("parameters() needs an argument")


@pytest.mark.parametrize(
    ("net", "what"),
    [
        (_frozen(), r"the model has no trainable parameter \(all 2 have requires_grad=False\); unfreeze"),
        (nn.Identity(), r"the model has no parameters; unfreeze them with net.requires_grad_\(\)"),
        (nn.Linear(2, 1), r"it was computed outside autograd's graph \(from y_hat.detach\(\).*\); compute the loss with torch operations on the model's output y_hat and on y$"),
        (lambda X: X, r"the model's weights do not require grad, or it was computed outside autograd's graph .*; create the weights with requires_grad=True \(or call w.requires_grad_\(\)\), and compute the loss"),
        (_BrokenParameters(), r"the model's weights do not require grad, or it was computed outside autograd's graph .*; create the weights"),
    ],
    ids=["frozen", "no-parameters", "trainable", "function-model", "broken-parameters"],
)  # fmt: skip
def test_a_loss_without_a_gradient_names_the_cause(net: Any, what: str) -> None:
    err = _no_grad_error()
    with pytest.raises(UsageError, match=r"^the loss does not depend on any parameter that requires grad: " + what) as info:  # fmt: skip
        raise_backward_error(net, err)
    assert info.value.__cause__ is None and info.value.__suppress_context__  # raised alone
    assert info.value.__context__ is err  # torch's, kept for debugging


@pytest.mark.parametrize("kind", ["loss", "backward"])
def test_a_readable_error_is_shown_alone_with_torchs_kept_as_its_context(kind: str) -> None:
    """What a notebook and ``--debug`` print (Python's traceback, which IPython mirrors): one error,
    ours, without torch's frames and "The above exception was the direct cause" before it."""

    class NoUpdate:  # the step fails before any update
        def zero_grad(self) -> None: ...
        def step(self) -> None: ...

    net = nn.Linear(3, 3)
    if kind == "backward":
        net.requires_grad_(False)
    y = torch.tensor([0, 1, 2, 0]) if kind == "backward" else torch.tensor([0.0, 1.0, 2.0, 0.0])
    with pytest.raises(UsageError) as info:
        train_step(net, torch.zeros(4, 3), y, nn.CrossEntropyLoss(reduction="none"), NoUpdate(), scale=0.25)  # fmt: skip
    shown = "".join(traceback.format_exception(info.value))
    assert shown.count("Traceback (most recent call last)") == 1
    assert "direct cause" not in shown and "During handling" not in shown
    torchs = info.value.__context__
    assert isinstance(torchs, RuntimeError) and str(torchs) not in shown  # kept, not shown
    ours = f"linearnets.errors.{type(info.value).__name__}: {info.value}"
    assert shown.rstrip().splitlines()[-1] == ours


def _book_updater(params: list[torch.Tensor]) -> Any:
    """The book's function updater (D2L §3.6.6), calling linearnets' d2l.sgd."""
    from linearnets import d2l

    return lambda batch_size: d2l.sgd(params, 0.1, batch_size)


def test_an_analytic_model_in_the_books_function_updater_loop_gets_fixes_that_work() -> None:
    """analytic=True builds no autograd graph: the old advice (net.requires_grad_()) named a
    method scratch models lacked then; both fixes the message gives are run here and train the
    model."""
    from linearnets import d2l
    from linearnets.models.scratch import SGD, SoftmaxRegressionScratch, cross_entropy_logits

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 12, generator=gen), torch.randint(0, 4, (64,), generator=gen)

    def model(analytic: bool) -> SoftmaxRegressionScratch:
        return SoftmaxRegressionScratch(12, 4, analytic=analytic, generator=torch.Generator())

    net = model(analytic=True)
    with pytest.raises(
        UsageError,
        match=r"^the loss does not depend on any parameter that requires grad: the model was built "
        r"with analytic=True, so it computes its own gradient and builds no autograd graph .*; "
        r"build it with analytic=False .*, or pass an optimizer object as the updater, such as "
        r"linearnets' SGD\(net\.parameters\(\), lr\) or torch\.optim\.SGD\(net\.parameters\(\), lr\)",
    ) as info:
        d2l.train_epoch_ch3(net, [(X, y)], cross_entropy_logits, _book_updater([net.W, net.b]))
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, RuntimeError)
    # fix 1: analytic=False, the same function updater
    autograd_net = model(analytic=False)
    before = autograd_net.W.detach().clone()
    d2l.train_epoch_ch3(
        autograd_net,
        [(X, y)],
        cross_entropy_logits,
        _book_updater([autograd_net.W, autograd_net.b]),
    )
    assert not torch.equal(autograd_net.W.detach(), before)
    # fix 2: an optimizer object, linearnets' or torch's, in train_epoch_ch3 and in fit
    import linearnets as ln

    for make in (SGD, torch.optim.SGD):
        for train in ("train_epoch_ch3", "fit"):
            net = model(analytic=True)
            before = net.W.detach().clone()
            optimizer = make(net.parameters(), lr=0.1)
            if train == "fit":
                ln.fit(net, [(X, y)], cross_entropy_logits, optimizer, 1)
            else:
                d2l.train_epoch_ch3(net, [(X, y)], cross_entropy_logits, optimizer)
            assert not torch.equal(net.W, before), (make, train)


def test_one_trainable_parameter_among_frozen_ones_points_at_the_loss() -> None:
    net = nn.Sequential(nn.Linear(2, 2).requires_grad_(False), nn.Linear(2, 1))
    with pytest.raises(UsageError, match=r"it was computed outside autograd's graph"):
        raise_backward_error(net, _no_grad_error())


# --- NaN scores: from finite parameters and inputs, or not (D2L §3.6) ----------------------------

# the book's model as printed (D2L §3.6.2–3.6.3): a function of the script's global W and b
BOOK_SOFTMAX = (
    """
W = torch.zeros((16, 3), requires_grad=True)
b = torch.zeros(3, requires_grad=True)
"""
    + SOFTMAX_SCRATCH_FUNCTIONS
)


def book_softmax(weight: float) -> dict[str, Any]:
    """Run the book's code in a namespace of its own, as a script's globals, with W[:, 0] = weight."""
    names: dict[str, Any] = {"torch": torch}
    exec(BOOK_SOFTMAX, names)
    with torch.no_grad():
        names["W"][:, 0] = weight
    return names


def test_model_tensors_lists_a_modules_parameters_and_the_tensors_a_function_names() -> None:
    module = nn.Linear(4, 2)
    assert [id(p) for p in model_tensors(module)] == [id(module.weight), id(module.bias)]
    book = book_softmax(1.0)
    assert {id(t) for t in model_tensors(book["net"])} == {id(book["W"]), id(book["b"])}
    scale = torch.ones(2)

    def closure(X: torch.Tensor) -> torch.Tensor:
        return module(X) * scale

    assert {id(t) for t in model_tensors(closure)} == {
        id(module.weight),
        id(module.bias),
        id(scale),
    }
    assert model_tensors(lambda X: X.exp()) == []  # no tensor named: nothing to check
    assert model_tensors(torch.exp) == []  # a builtin: nothing to inspect


def test_the_books_softmax_overflowing_on_finite_weights_and_inputs_is_told_apart() -> None:
    """Scores o = 100 · ΣX ≈ 800: exp(800) is inf in float32, inf / inf NaN, though W, b and X
    are finite; NaN in W, or in X, is not an overflow, and is named as what it is."""
    X = torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    book = book_softmax(100.0)
    o = X.reshape(-1, 16) @ book["W"].detach()
    assert bool((o[:, 0] > 88.8).all()) and torch.isinf(torch.exp(o[:, 0])).all()  # the oracle
    scores = book["net"](X).detach()  # 0 where exp(o) / inf, NaN where inf / inf
    seen = scores[~scores.isnan()]
    assert nan_source(book["net"], X) == NanSource(
        nan_on_batch=True,
        finite_weights=True,
        dtype=torch.float32,
        score_range=(float(seen.min()), float(seen.max())),  # a softmax's: within [0, 1]
        largest_input=float(X.max()),
        largest_weight=100.0,
    )
    assert 0.0 <= float(seen.min()) <= float(seen.max()) <= 1.0
    # scores ~8: no NaN on this batch, so it came from another
    assert nan_source(book_softmax(1.0)["net"], X) == NanSource(nan_on_batch=False, finite_weights=True)  # fmt: skip
    nan_weight = book_softmax(100.0)
    with torch.no_grad():
        nan_weight["W"][3, 1] = float("nan")
    assert nan_source(nan_weight["net"], X) == NanSource(
        finite_weights=False, nonfinite_params=("W",)
    )
    nan_rows = X.index_fill(0, torch.tensor([2]), float("nan"))  # 16 values of one example
    assert nan_source(book["net"], nan_rows) == NanSource(nonfinite_inputs=16, finite_weights=True, positions=(2,))  # fmt: skip
    inf_pixel = X.clone()
    inf_pixel[1, 0, 2, 3] = float("inf")
    assert nan_source(nan_weight["net"], inf_pixel) == NanSource(nonfinite_inputs=1, finite_weights=False, positions=(1,), nonfinite_params=("W",))  # fmt: skip
    # the same overflowing model behind a dict: its tensors are not listed, so not claimed finite
    assert nan_source(lambda X: book["net"](X), X) == NanSource()
    assert nan_source(lambda X: book["net"](X), nan_rows) == NanSource(
        nonfinite_inputs=16, positions=(2,)
    )


class _Log(nn.Module):
    """A model without parameters or buffers: the log of its inputs, NaN below 0."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.log(X)


def test_a_model_without_weights_is_run_on_the_batch_and_said_to_have_none() -> None:
    """An nn.Module without parameters or floating-point buffers has no weights to blame: the look
    runs it on the batch, as on finite weights, and says it has none (an integer buffer is no
    weight). A function naming no tensor may reach some another way: its weights stay unknown,
    and it is not run."""
    X = torch.rand(4, 3, generator=torch.Generator().manual_seed(0))
    weightless = nn.Sequential(nn.Flatten(), _Log())
    log = torch.log(X - 0.5)
    seen = log[~log.isnan()]
    assert nan_source(weightless, X - 0.5) == NanSource(
        nan_on_batch=True,
        no_weights=True,
        dtype=torch.float32,
        score_range=(float(seen.min()), float(seen.max())),
        largest_input=float((X - 0.5).abs().max()),
    )
    assert nan_source(weightless, X + 1.0) == NanSource(nan_on_batch=False, no_weights=True)
    nan_pixel = X.clone()
    nan_pixel[1, 2] = float("nan")
    assert nan_source(weightless, nan_pixel) == NanSource(nonfinite_inputs=1, positions=(1,), no_weights=True)  # fmt: skip
    counter = _Log()
    counter.register_buffer("calls", torch.zeros((), dtype=torch.long))
    assert weights_seen(counter) == WeightsSeen(none=True)
    assert weights_seen(nn.Linear(3, 2)).none is False
    assert nan_source(lambda X: X.log(), X - 0.5) == NanSource()  # not run: its weights unknown
    assert weights_seen(lambda X: X.log()) == WeightsSeen()


def test_a_nan_buffer_is_named_and_not_taken_for_an_overflow() -> None:
    """BatchNorm's running statistics made NaN by a forward in training mode, the parameters and
    the batch finite: the look names the buffers (an integer one, num_batches_tracked, is not
    looked at) and does not run the model, whose NaN scores would read as an overflow; a buffer
    of a module a function names is named after the module."""
    X = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    net = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3))
    bad = X.clone()
    bad[0, 0] = float("nan")
    with torch.no_grad():
        net(bad)
    net.eval()
    assert bool(net(X).isnan().any())  # the oracle: NaN scores on finite features and parameters
    assert nan_source(net, X) == NanSource(finite_weights=False, nonfinite_buffers=("0.running_mean", "0.running_var"))  # fmt: skip

    def function(X: torch.Tensor) -> torch.Tensor:
        return net(X)

    assert nan_source(function, X).nonfinite_buffers == ("net.0.running_mean", "net.0.running_var")
    net[0].reset_running_stats()  # the fix the message names
    assert nan_source(net, X) == NanSource(nan_on_batch=False, finite_weights=True)


def test_a_nan_running_statistic_in_training_mode_is_set_aside_and_the_model_run() -> None:
    """In training mode BatchNorm does not use its running statistics: NaN there, they are kept
    apart (``unused_buffers``), the weights called finite, and the model run on the batch to tell
    an overflow; in eval mode they are a cause, named as before."""
    X = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    net = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3))
    with torch.no_grad():
        net[0].running_var[1] = float("inf")
    assert nan_source(net, X) == NanSource(
        nan_on_batch=False, finite_weights=True, unused_buffers=("0.running_var",)
    )
    assert net.training and bool(net[0].running_var[1].isinf())  # left as found
    net.eval()
    assert nan_source(net, X) == NanSource(finite_weights=False, nonfinite_buffers=("0.running_var",))  # fmt: skip


def test_only_one_linear_layer_is_taken_for_an_affine_map() -> None:
    """Only where NaN weights reach every example, and small weights keep the scores as small as
    the features: one nn.Linear (with Flatten or Identity), the scratch regressions, or the
    book's function of W and b; not two layers, an embedding, a layer with a buffer, a subclass
    with its own forward, or a function of other tensors or of a module."""
    from linearnets.models.concise import softmax_concise
    from linearnets.models.scratch.softmax import SoftmaxRegressionScratch

    assert affine(nn.Linear(4, 3)) and affine(softmax_concise(16, 3))
    assert affine(nn.Sequential(nn.Identity(), nn.Linear(4, 3), nn.Flatten()))
    assert affine(SoftmaxRegressionScratch(4, 3))
    assert affine(book_softmax(1.0)["net"])
    A, B, lin = torch.zeros(4, 4), torch.zeros(4, 3), nn.Linear(4, 3)
    buffered = nn.Linear(4, 3)
    buffered.register_buffer("scale", torch.ones(3))

    class Linear(nn.Linear):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return super().forward(X).exp()

    for net in (
        nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 3)),
        nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 3)),
        nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3)),
        nn.Sequential(nn.Flatten()),
        buffered,
        Linear(4, 3),
        lambda X: X.exp(),
        lambda X: X @ A @ B,  # two layers
        lambda X: lin(X),  # a module: its forward is not looked into
        None,
    ):
        assert not affine(net), net


def test_nan_step_names_the_weights_that_are_not_finite_and_whether_the_model_is_affine() -> None:
    outputs = [torch.ones(4, 3)]
    outputs[0][1, 0] = float("nan")
    row_max = outputs[0].max(dim=1).values
    embedded = nn.Sequential(nn.Embedding(10, 3), nn.Linear(3, 3))
    with torch.no_grad():
        embedded[0].weight[7] = float("nan")
    at = nan_step(outputs, row_max, NanContext(net=embedded), steps_before=2, examples_before=8, before=None)  # fmt: skip
    assert (at.finite_weights, at.largest_weight, at.affine) == (False, None, False)
    assert (at.nonfinite_params, at.nonfinite_buffers) == (("0.weight",), ())
    linear = nn.Linear(4, 3)
    at = nan_step(outputs, row_max, NanContext(net=linear), steps_before=2, examples_before=8, before=None)  # fmt: skip
    largest = max(float(p.detach().abs().max()) for p in linear.parameters())
    assert (at.finite_weights, at.largest_weight, at.affine) == (True, largest, True)


class _Table(nn.Module):
    """Class scores looked up, by each example's first feature, in a plain tensor attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 3)
        self.table = torch.zeros(4, 3)  # neither parameter nor buffer

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(X) + self.table[X[:, 0].long()]


def test_a_plain_tensor_attribute_that_holds_nan_is_named_where_scores_first_held_nan() -> None:
    """A NaN row of a plain tensor attribute reaches example 9 alone: its weights were "unknown",
    and the message blamed that example's features or an overflow. The attribute is named among
    the weights, by nan_source and nan_step alike; finite, the weights stay unknown."""
    torch.manual_seed(0)
    net = _Table()
    X = torch.zeros(12, 2)
    X[9, 0] = 3.0
    assert nan_source(net, X) == NanSource()  # finite: it may be a weight or not
    net.table[3] = float("nan")
    assert nan_source(net, X) == NanSource(finite_weights=False, nonfinite_attributes=("table",))
    outputs = [torch.ones(4, 3)]
    outputs[0][1, 0] = float("nan")
    at = nan_step(outputs, outputs[0].max(dim=1).values, NanContext(net=net), steps_before=2, examples_before=8, before=None)  # fmt: skip
    assert (at.finite_weights, at.nonfinite_params) == (False, ("the tensor attribute table",))
    batches = DataLoader(TensorDataset(X, torch.arange(12) % 3), batch_size=4)
    with pytest.raises(DivergenceError, match=r", but the model's weights hold NaN or inf \(the tensor attribute table\): either those weights reach that example alone \(as a NaN row of an embedding does for the examples that use it\), or that example's features X hold NaN or inf"):  # fmt: skip
        evaluate_accuracy(net, batches)


class _Masked(nn.Module):
    """The book's naive softmax, exp(o) / exp(o).sum(1), over scores masked at the last class:
    ``how`` holds the mask as a plain attribute, or as a buffer."""

    def __init__(self, value: float, how: str) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 3)
        mask = torch.tensor([0.0, 0.0, value])
        if how == "buffer":
            self.register_buffer("mask", mask)
        else:
            self.mask = mask

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        o = self.lin(X) + self.mask
        return torch.exp(o) / torch.exp(o).sum(1, keepdim=True)


_HEAD = "the model's scores hold NaN, so no accuracy can be computed"
_NAIVE_SOFTMAX = (
    f"{_HEAD}, though its parameters and its inputs are finite: its own computation overflowed, "
    "e.g. a softmax computed as exp(o) / exp(o).sum(1) without subtracting each row's max first "
    "(exp of a score above ~88 is inf in float32, and inf / inf is NaN); subtract each row's max "
    "before exp, o - o.max(dim=1, keepdim=True).values, or use linearnets.softmax, which does, "
    "or return the scores themselves (logits) and train with nn.CrossEntropyLoss"
)
_MASK_NOTE = (
    "; its {what} mask holds inf or -inf and no NaN, as a mask may on purpose: not the cause by "
    "itself, but NaN where it meets an infinite score of the other sign (-inf + inf) or masks "
    "every class of an example (a softmax over scores all -inf is 0 / 0); if the NaN stays once "
    "the above is fixed, mask with a large negative finite value such as "
    "torch.finfo(torch.float32).min instead of -inf"
)
_REGISTER_MASK = (
    '; register it as a buffer (self.register_buffer("mask", tensor) in __init__), which '
    ".to(device), state_dict() and these checks see"
)


@pytest.mark.parametrize(
    ("value", "how", "message"),
    [
        (-math.inf, "buffer", _NAIVE_SOFTMAX + _MASK_NOTE.format(what="buffer")),
        (-1e9, "buffer", _NAIVE_SOFTMAX),
        (-math.inf, "attribute", f"{_HEAD}: its weights or its inputs hold NaN (weights blow up when the lr is too large: train again with a smaller one){_MASK_NOTE.format(what='tensor attribute')}{_REGISTER_MASK}"),
        (math.nan, "attribute", f"{_HEAD}: its tensor attribute mask holds NaN, though its parameters are finite (a plain tensor, neither parameter nor buffer, which no optimizer updates, so no smaller lr helps: the model's own code set it); give it finite values where the model sets it, and register it as a buffer (self.register_buffer(\"mask\", tensor) in __init__), which .to(device), state_dict() and these checks see"),
    ],
    ids=["inf-buffer", "finite-buffer", "inf-attribute", "nan-attribute"],
)  # fmt: skip
def test_a_mask_of_minus_inf_is_no_cause_that_displaces_the_overflow(
    value: float, how: str, message: str
) -> None:
    """A mask of -inf added to the scores is legitimate: the naive softmax's overflow on features
    a thousand times too large is named, the mask after it as a possibility only, alike in a
    buffer and as a finite buffer. It was named as the cause ("its tensor attribute mask holds
    NaN or inf ... give it finite values ..., and register it as a buffer"), and doing so then
    named the overflow. A plain attribute leaves the weights unknown, as before, with the advice
    to register it; only NaN, never legitimate, makes it the cause."""
    torch.manual_seed(0)
    net = _Masked(value, how)
    X = torch.randn(8, 4) * 1000
    predicted = message.replace(_HEAD, "the model's scores hold NaN, so no class can be predicted")
    with pytest.raises(DivergenceError, match=f"^{re.escape(predicted)}$"):  # inference's head
        predict_labels(net, X)
    weights = weights_seen(net)
    if how == "buffer" and math.isinf(value):
        assert (weights.finite, weights.buffers, weights.inf_buffers) == (True, (), ("mask",))
        assert weights.largest == max(float(p.detach().abs().max()) for p in net.lin.parameters())


def test_an_infinite_running_statistic_is_no_mask() -> None:
    """BatchNorm's running statistics never hold inf on purpose: one that does is not finite,
    as one that holds NaN is, and no mask; another buffer of inf alone is one."""
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    net.register_buffer("mask", torch.tensor([0.0, -math.inf]))
    net[1].running_var[0] = math.inf
    weights = weights_seen(net)
    assert (weights.finite, weights.buffers, weights.inf_buffers) == (False, ("1.running_var",), ("mask",))  # fmt: skip


class _OwnParameters(nn.Module):
    """A plain tensor W, a registered layer, a tensor in a plain list and a plain tensor of a
    submodule, all returned by its own parameters() (the layer's first, W twice): the list's
    tensor alone has no attribute to be named by."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.W = torch.ones(4, 3, requires_grad=True)
        self.extra = [torch.ones(3, requires_grad=True)]
        self.inner = nn.Module()
        self.inner.V = torch.ones(3, requires_grad=True)

    def parameters(self, recurse: bool = True) -> list[torch.Tensor]:  # type: ignore[override]
        return [*self.lin.parameters(), self.W, self.extra[0], self.W, self.inner.V]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(X @ self.W) + self.extra[0] + self.inner.V


def test_the_tensors_a_modules_own_parameters_returns_are_looked_at_and_named() -> None:
    """D2L 2nd edition's scratch model keeps W and b as plain attributes and returns them from its
    own parameters(); torch's named_parameters() lists none of them, so their NaN was "unknown".
    They are looked at and named by the attribute that holds them, else by their place in what
    parameters() returned; registered ones keep torch's names and are listed once."""
    book = BookScratch()
    assert weights_seen(book) == WeightsSeen(finite=True, largest=float(book.W.detach().abs().max()))  # fmt: skip
    with torch.no_grad():
        book.W[0, 0] = float("nan")
        book.b[1] = float("inf")
    assert weights_seen(book) == WeightsSeen(finite=False, params=("W", "b"))
    outputs = [torch.full((4, 3), float("nan"))]
    at = nan_step(outputs, outputs[0].max(dim=1).values, NanContext(net=book), steps_before=0, examples_before=0, before=None)  # fmt: skip
    assert (at.finite_weights, at.nonfinite_params, at.affine) == (False, ("W", "b"), False)
    X = torch.rand(2, 4, generator=torch.Generator().manual_seed(0))
    assert nan_source(book, X) == NanSource(finite_weights=False, nonfinite_params=("W", "b"))
    own = _OwnParameters()
    assert weights_seen(own).finite is True
    with torch.no_grad():
        own.lin.weight[0, 0] = own.W[1, 1] = own.extra[0][2] = own.inner.V[0] = float("nan")
    assert weights_seen(own).params == ("lin.weight", "W", "parameter 3", "inner.V")


def test_a_parameters_of_torchs_own_or_returning_no_tensors_adds_nothing() -> None:
    """Only a class of the user's that overrides parameters() and gets tensors from it adds them:
    one that returns anything else, or raises, leaves torch's listing as it was. Its plain tensor
    attributes are looked at all the same: one that holds NaN is named as such (it was not
    known, and its NaN scores blamed on "its weights or its inputs" and the lr); finite, the
    weights stay unknown, as an attribute may be a weight or not."""

    class Names(BookScratch):
        def parameters(self, recurse: bool = True) -> list[Any]:  # type: ignore[override]
            return ["W", "b"]

    class Broken(BookScratch):
        def parameters(self, recurse: bool = True) -> list[torch.Tensor]:  # type: ignore[override]
            raise RuntimeError("no")

    for net in (Names(), Broken()):
        with torch.no_grad():
            net.W[0, 0] = float("nan")
        assert weights_seen(net) == WeightsSeen(finite=False, attributes=("W",)), type(net)
        with torch.no_grad():
            net.W[0, 0] = 0.0
        assert weights_seen(net) == WeightsSeen(), type(net).__name__
    linear = nn.Linear(4, 3)
    linear.scale = torch.full((3,), float("nan"))  # a plain attribute torch's parameters() skips
    assert weights_seen(linear) == WeightsSeen(finite=False, attributes=("scale",))
    assert weights_seen(linear, skip=frozenset({"scale"})) == WeightsSeen()
    linear.scale = torch.ones(3)
    assert weights_seen(linear) == WeightsSeen()
    del linear.scale
    assert weights_seen(linear).finite is True


def test_a_layers_own_parameters_inside_a_sequential_are_looked_at_and_named() -> None:
    """The book's layer, its W and b plain tensors returned by its own parameters(), inside an
    nn.Sequential: they are named by its place ("1.b"); it was never looked at, and its inf b
    called finite."""
    layer = BookScratch()
    net = nn.Sequential(nn.Linear(4, 4), layer)
    with torch.no_grad():
        layer.b[1] = float("inf")
    assert weights_seen(net) == WeightsSeen(finite=False, params=("1.b",))

    class Broken(BookScratch):
        def parameters(self, recurse: bool = True) -> list[torch.Tensor]:  # type: ignore[override]
            raise RuntimeError("no")

    assert weights_seen(nn.Sequential(nn.Linear(4, 4), Broken())) == WeightsSeen()


class NaiveSoftmax(nn.Module):
    """The book's softmax on a linear layer's scores, counting its forward passes."""

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.linear = nn.Linear(16, 3)
        with torch.no_grad():
            self.linear.weight.zero_()
            self.linear.weight[0] = weight  # class 0's score: weight · ΣX
            self.linear.bias.zero_()
        self.inputs: list[torch.Tensor] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.inputs.append(X)
        X_exp = torch.exp(self.linear(X.reshape(-1, 16)))
        return X_exp / X_exp.sum(1, keepdim=True)


def test_the_probe_keeps_the_first_batch_and_runs_the_model_only_when_called() -> None:
    net = NaiveSoftmax(100.0)
    probe = NanScoresProbe(net)
    assert probe() == NanSource()  # no batch seen: nothing to tell
    first, second = torch.ones(2, 16), torch.zeros(2, 16)
    probe.keep(first)
    probe.keep(second)
    assert net.inputs == [] and probe.X is not first and torch.equal(probe.X, first)  # a copy
    assert (
        probe().nan_on_batch is True
    )  # exp(1600) = inf: an overflow from finite weights and inputs
    assert len(net.inputs) == 1 and torch.equal(net.inputs[0], first)


def test_backward_with_grad_mode_off_names_the_calling_code() -> None:
    """A correct loss of a trainable model fails backward when grad mode is off: say so, not "the loss"."""
    net = nn.Linear(2, 3)
    with torch.no_grad():
        loss = F.cross_entropy(net(torch.ones(4, 2)), torch.tensor([0, 1, 2, 0]))
        err = _backward_error(loss)
        with pytest.raises(UsageError) as info:
            raise_backward_error(net, err)
    assert str(info.value) == (
        "the loss does not depend on any parameter that requires grad: gradients are disabled in "
        "the calling code (torch.is_grad_enabled() is False: training was called inside "
        "torch.no_grad(), or after torch.set_grad_enabled(False)), so autograd recorded no graph "
        "for backward() to follow; call fit (or train_epoch_ch3) outside torch.no_grad() and "
        "torch.inference_mode(), or run torch.set_grad_enabled(True) first"
    )


def test_a_batch_computed_inside_a_graph_is_named_when_backward_runs_a_second_time() -> None:
    """Labels drawn from a true_w with requires_grad=True, handed to fit as a plain list: the second
    step's backward failed in torch's words ("Trying to backward through the graph a second time")."""
    from linearnets.training.loop import fit

    true_w = torch.tensor([2.0, -3.4], requires_grad=True)
    X = torch.randn(8, 2)
    y = (X @ true_w + 4.2).reshape(-1, 1)  # carries true_w's graph
    batches = [(X[:4], y[:4]), (X[4:], y[4:])]
    net = nn.Linear(2, 1)
    with pytest.raises(UsageError) as info:
        fit(net, batches, nn.MSELoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.03), 1)  # fmt: skip
    # the second batch, after an update: named where it is, then what is wrong with it
    assert str(info.value).startswith("train_iter's batch 2 of epoch 1")
    assert (
        ": y must be data outside any autograd graph, got a batch computed by SliceBackward0"
        in str(info.value)
    )
    assert isinstance(info.value.__context__, RuntimeError)
    assert "a second time" in str(info.value.__context__)
    # the fix it names works
    batches = [(a, b.detach()) for a, b in batches]
    fit(net, batches, nn.MSELoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.03), 1)


def test_nan_step_finds_the_first_step_of_a_group_with_a_nan_row_and_its_examples() -> None:
    """The rows' maxima the fold computed point at the first NaN row; its step, its NaN rows and
    the largest scores of its other rows and of the step before are read only then."""
    outputs = [torch.full((4, 3), 2.0), torch.full((3, 3), -5.0), torch.full((4, 3), 1.0)]
    outputs[1][[0, 2], 1] = float("nan")
    outputs[2][:, 0] = float("nan")  # after the update, every row
    row_max = torch.cat(outputs).max(dim=1).values
    at = nan_step(outputs, row_max, NanContext(name="train_iter", training=True), steps_before=64, examples_before=512, before=None)  # fmt: skip
    assert at == NanStep("train_iter", 65, 3, (0, 2), 516, 5.0, 2.0, training=True)
    first = [torch.full((2, 3), float("nan"))]
    at = nan_step(first, torch.cat(first).max(dim=1).values, NanContext(name="test_iter"), steps_before=0, examples_before=0, before=torch.tensor([[-7.0]]))  # fmt: skip
    assert at == NanStep("test_iter", 0, 2, (0, 1), 0, None, 7.0, training=False)


def test_batch_order_is_known_only_for_loaders_that_say_it() -> None:
    """A dataset index can be named only where the batches are known to keep the dataset's order:
    a DataLoader drawing from a SequentialSampler, or an ArrayLoader unshuffled in one process;
    a shuffling one is known shuffled; anything else (a list, another sampler, a subclass of
    torch's BatchSampler or DataLoader, which may reorder the batches) is unknown."""
    from torch.utils.data import (
        BatchSampler,
        DataLoader,
        SequentialSampler,
        SubsetRandomSampler,
        TensorDataset,
    )

    from linearnets.data.loader import ArrayLoader

    X, y = torch.zeros(8, 2), torch.zeros(8, dtype=torch.long)
    data = TensorDataset(X, y)
    assert batch_order(DataLoader(data, 4)) is True
    assert batch_order(DataLoader(data, 4, shuffle=True)) is False
    assert batch_order(DataLoader(data, 4, sampler=SubsetRandomSampler([0, 1]))) is None

    class Backwards(BatchSampler):
        def __iter__(self) -> Any:
            return reversed(list(super().__iter__()))

    indices = TensorDataset(torch.arange(8))
    backwards = DataLoader(indices, batch_sampler=Backwards(SequentialSampler(indices), 4, False))
    assert next(iter(backwards))[0].tolist() == [4, 5, 6, 7]  # the oracle: the last batch first
    assert batch_order(backwards) is None

    class Loader(DataLoader):  # type: ignore[type-arg]
        pass

    assert batch_order(Loader(data, 4)) is None
    assert batch_order(ArrayLoader(X, y, 4, shuffle=False)) is True
    assert batch_order(ArrayLoader(X, y, 4, shuffle=True)) is False
    assert batch_order(ArrayLoader(X, y, 4, shuffle=False, world_size=2)) is None
    assert batch_order([(X, y)]) is None
    assert batch_order(None) is None


def test_weight_sizes_of_a_tensor_that_takes_no_amax_are_not_known() -> None:
    """fit takes them before every run's first update, for a message only: a sparse parameter's
    ``abs().amax()`` raises, and must not stop the training."""
    from linearnets.training.model_tensors import weight_sizes

    class Sparse(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.eye(3).to_sparse())

    assert weight_sizes(Sparse()) is None
    assert weight_sizes(nn.Sequential(nn.LazyLinear(2))) is None  # no values before a forward
    linear = nn.Linear(3, 2)
    sizes = weight_sizes(linear)
    assert sizes is not None
    assert [float(s) for s in sizes] == [float(p.detach().abs().max()) for p in linear.parameters()]


def test_a_function_model_whose_tensors_all_lack_requires_grad_is_told_to_create_them_so() -> None:
    """The book's §3.6 W and b, both made without requires_grad=True: the commonest cause, named
    first (it came last, after a loss computed outside the graph), with the book's own creations."""
    W = torch.normal(0, 0.01, size=(4, 3))
    b = torch.zeros(3)

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax(X.reshape(-1, 4) @ W + b, dim=1)

    X, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    with pytest.raises(UsageError) as info:
        d2l.train_epoch_ch3(
            net, [(X, y)], lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), y]),
            lambda batch_size: d2l.sgd([W, b], 0.1, batch_size),
        )  # fmt: skip
    assert str(info.value) == (
        "the loss does not depend on any parameter that requires grad: the model's W and b were "
        "made without requires_grad=True, so backward has no weight to compute a gradient for; "
        "create the weights with requires_grad=True, e.g. W = torch.normal(0, 0.01, size=(4, 3), "
        "requires_grad=True) and b = torch.zeros(3, requires_grad=True) (D2L §3.6.1), or call "
        "W.requires_grad_() and b.requires_grad_() before training"
    )


def test_a_constant_beside_weights_kept_in_a_list_leaves_the_detach_named() -> None:
    """Weights in params = [W, b] that require grad, a constant mean mu, and a loss computed from
    y_hat.detach(): the diagnosis said "the model's mu was made without requires_grad=True" and
    no longer named the loss computed outside the graph, the real cause."""
    X, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    params = [torch.normal(0, 0.01, size=(4, 3), requires_grad=True), torch.zeros(3, requires_grad=True)]  # fmt: skip
    mu = X.mean(0)

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax((X - mu) @ params[0] + params[1], dim=1)

    with pytest.raises(UsageError) as info:
        d2l.train_epoch_ch3(
            net, [(X, y)], lambda y_hat, y: -torch.log(y_hat.detach()[range(len(y_hat)), y]),
            lambda batch_size: d2l.sgd(params, 0.1, batch_size),
        )  # fmt: skip
    assert str(info.value) == (
        "the loss does not depend on any parameter that requires grad: the model's weights do not "
        "require grad, or it was computed outside autograd's graph (from y_hat.detach(), .item(), "
        ".numpy(), under torch.no_grad(), or as a new tensor); create the weights with "
        "requires_grad=True (or call w.requires_grad_()), and compute the loss with torch "
        "operations on the model's output y_hat and on y"
    )


def test_a_frozen_matrix_beside_a_constant_is_named_without_the_constant() -> None:
    """W made without requires_grad=True and a constant mean mu: W, the weight, is named; mu, which
    may be a constant, is not told to require grad."""
    W, mu = torch.normal(0, 0.01, size=(4, 3)), torch.zeros(4)

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax((X - mu) @ W, dim=1)

    with pytest.raises(UsageError) as info:
        raise_backward_error(net, _no_grad_error())
    assert str(info.value) == (
        "the loss does not depend on any parameter that requires grad: the model's W was made "
        "without requires_grad=True, so backward has no weight to compute a gradient for; create "
        "the weights with requires_grad=True, e.g. W = torch.normal(0, 0.01, size=(4, 3), "
        "requires_grad=True) (D2L §3.6.1), or call W.requires_grad_() before training"
    )


def test_only_constant_vectors_leave_both_causes_named() -> None:
    """A function naming no matrix, only a frozen vector (a constant mu): not surely a weight."""
    mu = torch.zeros(4)

    def net(X: torch.Tensor) -> torch.Tensor:
        return X - mu

    with pytest.raises(UsageError, match=r"the model's weights do not require grad, or it was computed outside autograd's graph \(from y_hat.detach\(\)"):  # fmt: skip
        raise_backward_error(net, _no_grad_error())


def test_a_frozen_constant_of_the_biass_size_is_not_told_to_train() -> None:
    """§3.6's W and b made without requires_grad=True, and a fixed prior (3,) added to the scores:
    the diagnosis told the learner to create prior = torch.zeros(3, requires_grad=True), a constant
    made trainable. Two vectors of W's column count: which is the bias is not known, so W is
    named with "its bias"."""
    W, b, prior = torch.normal(0, 0.01, size=(4, 3)), torch.zeros(3), torch.full((3,), -2.3)

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax(X @ W + b + prior, dim=1)

    with pytest.raises(UsageError) as info:
        raise_backward_error(net, _no_grad_error())
    assert str(info.value) == (
        "the loss does not depend on any parameter that requires grad: the model's W and its bias "
        "were made without requires_grad=True, so backward has no weight to compute a gradient "
        "for; create the weights with requires_grad=True, e.g. W = torch.normal(0, 0.01, "
        "size=(4, 3), requires_grad=True) and its bias as torch.zeros(3, requires_grad=True) "
        "(D2L §3.6.1), or call W.requires_grad_() and requires_grad_() on its bias before training"
    )
    assert "prior" not in str(info.value)


def test_a_frozen_mlps_tensors_are_listed_with_commas() -> None:
    """§4.2's W1, b1, W2 and b2 made without requires_grad=True: each matrix with its one bias,
    listed "W1, b1, W2 and b2" (it read "W1 and b1 and W2 and b2")."""
    W1, b1 = torch.normal(0, 0.01, size=(4, 5)), torch.zeros(5)
    W2, b2 = torch.normal(0, 0.01, size=(5, 3)), torch.zeros(3)

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.relu(X @ W1 + b1) @ W2 + b2

    with pytest.raises(UsageError) as info:
        raise_backward_error(net, _no_grad_error())
    assert str(info.value) == (
        "the loss does not depend on any parameter that requires grad: the model's W1, b1, W2 and "
        "b2 were made without requires_grad=True, so backward has no weight to compute a gradient "
        "for; create the weights with requires_grad=True, e.g. W1 = torch.normal(0, 0.01, "
        "size=(4, 5), requires_grad=True), b1 = torch.zeros(5, requires_grad=True), W2 = "
        "torch.normal(0, 0.01, size=(5, 3), requires_grad=True) and b2 = torch.zeros(3, "
        "requires_grad=True) (D2L §3.6.1), or call W1.requires_grad_(), b1.requires_grad_(), "
        "W2.requires_grad_() and b2.requires_grad_() before training"
    )
