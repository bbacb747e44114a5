"""The diagnosis of what a model's forward or backward raised, and of NaN scores (D2L §3.6, §3.7):
what is wrong with the model or the batch, and the fix.

Every case is built from what torch itself raises on the same inputs, so a diagnosis is checked
against a real failure, not a made-up one.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.model_diagnosis import (
    NanScoresProbe,
    model_tensors,
    nan_from_finite,
    raise_backward_error,
    raise_forward_error,
)
from linearnets.training.step import train_step


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
        (lambda X: X, r"it was computed outside autograd's graph .*, or the model's weights do not require grad; .* and create the weights with requires_grad=True"),
        (_BrokenParameters(), r"it was computed outside autograd's graph .*, or the model's weights do not require grad;"),
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
    from linearnets.training.step import train_step

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
    """analytic=True builds no autograd graph: the old advice (net.requires_grad_()) names a method
    scratch models lack; both fixes the message gives are run here and train the model."""
    from linearnets import d2l
    from linearnets.models.scratch import SGD, SoftmaxRegressionScratch, cross_entropy_logits

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 12, generator=gen), torch.randint(0, 4, (64,), generator=gen)

    def model(analytic: bool) -> SoftmaxRegressionScratch:
        return SoftmaxRegressionScratch(12, 4, analytic=analytic, generator=torch.Generator())

    net = model(analytic=True)
    assert not hasattr(net, "requires_grad_")  # the old fix did not exist
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
BOOK_SOFTMAX = """
W = torch.zeros((16, 3), requires_grad=True)
b = torch.zeros(3, requires_grad=True)

def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition

def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)
"""


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
    are finite; NaN in W, or in X, is not an overflow."""
    X = torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    book = book_softmax(100.0)
    o = X.reshape(-1, 16) @ book["W"].detach()
    assert bool((o[:, 0] > 88.8).all()) and torch.isinf(torch.exp(o[:, 0])).all()  # the oracle
    assert nan_from_finite(book["net"], X)
    assert not nan_from_finite(book_softmax(1.0)["net"], X)  # scores ~8: no NaN to explain
    nan_weight = book_softmax(100.0)
    with torch.no_grad():
        nan_weight["W"][3, 1] = float("nan")
    assert not nan_from_finite(nan_weight["net"], X)
    assert not nan_from_finite(book["net"], X.index_fill(0, torch.tensor([2]), float("nan")))
    # the same overflowing model behind a dict: its tensors are not listed, so not claimed finite
    assert not nan_from_finite(lambda X: book["net"](X), X)


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
    assert probe() is False  # no batch seen: nothing to tell
    first, second = torch.ones(2, 16), torch.zeros(2, 16)
    probe.keep(first)
    probe.keep(second)
    assert net.inputs == [] and probe.X is not first and torch.equal(probe.X, first)  # a copy
    assert probe() is True  # exp(1600) = inf: an overflow from finite weights and inputs
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


def test_a_batch_on_another_device_than_the_model_is_named_not_left_to_torch() -> None:
    """torch says "Tensor on device meta is not on the expected device cpu!", naming no argument."""
    net = torch.nn.Linear(4, 3).to("meta")
    X, y = torch.zeros(2, 4), torch.tensor([0, 1])
    loss, updater = torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)  # fmt: skip
    with pytest.raises(UsageError) as info:
        train_step(net, X, y, loss, updater, scale=0.5)
    assert str(info.value) == (
        "X must be on the device of the model's parameters, got a batch on cpu for the model's "
        "parameters on the meta device (shapes without values, which compute nothing); build the "
        "model again on the CPU (the default) or a GPU"
    )
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, RuntimeError)


def test_another_error_of_the_forward_is_raised_as_it_was() -> None:
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x5 and 4x3)")

    class Broken(torch.nn.Linear):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            raise error

    net = Broken(4, 3)
    with pytest.raises(RuntimeError) as info:
        train_step(net, torch.zeros(2, 4), torch.tensor([0, 1]), torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), scale=0.5)  # fmt: skip
    assert info.value is error


# --- a batch the model's first nn.Linear cannot take (torch: "mat1 and mat2 ...") ----------------

_BAD_BATCHES = {
    # D2L §3.5 with resize=8, or 8×8 images, for the §3.7 model built for 28×28
    "8x8 images": (
        lambda: torch.rand(2, 1, 8, 8),
        UsageError,
        r"^X must hold 784 features per example for the model's first layer, nn\.Linear\(784, 10\), "
        r"shape \(B, 784\) or \(B, 1, H, W\), got shape \(2, 1, 8, 8\); check the image size "
        r"\(resize\) matches the model, or build the model for this data, with nn\.Linear\(64, 10\)$",
    ),
    # the dataset's raw bytes (mnist_train.data) without ToTensor
    "bytes": (
        lambda: torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8),
        UsageTypeError,
        r"^X must be floating point, the model's dtype torch\.float32, got torch\.uint8; convert "
        r"the batch with X\.to\(torch\.float32\) \(images of bytes 0–255: X\.to\(torch\.float32\) "
        r"/ 255, as ToTensor does\)$",
    ),
    # a NumPy array's float64 through torch.from_numpy
    "float64": (
        lambda: torch.rand(2, 784, dtype=torch.float64),
        UsageTypeError,
        r"^X must have the model's dtype torch\.float32, got torch\.float64; convert the batch "
        r"with X\.to\(torch\.float32\) \(or the model with net\.to\(torch\.float64\)\)$",
    ),
}


@pytest.mark.parametrize("entry", ["fit", "evaluate", "train_epoch_ch3", "predict_labels"])
@pytest.mark.parametrize("case", _BAD_BATCHES)
def test_a_batch_the_first_linear_layer_cannot_take_is_named(case: str, entry: str) -> None:
    """torch says "mat1 and mat2 shapes cannot be multiplied (2x64 and 784x10)" or "must have the
    same dtype, but got Byte and Float"; the error names the batch, the layer and the fix."""
    import linearnets as ln
    from linearnets import d2l
    from linearnets.inference import predict_labels

    make, kind, pattern = _BAD_BATCHES[case]
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    X, y = make(), torch.tensor([0, 1])
    loss = nn.CrossEntropyLoss(reduction="none")
    calls = {
        "fit": lambda: ln.fit(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1),
        "evaluate": lambda: ln.evaluate(net, [(X, y)]),
        "train_epoch_ch3": lambda: d2l.train_epoch_ch3(net, [(X, y)], loss, lambda bs: None),
        "predict_labels": lambda: predict_labels(net, X),
    }
    with pytest.raises(kind, match=pattern) as info:
        calls[entry]()
    assert type(info.value) is kind and isinstance(info.value.__context__, RuntimeError)


def test_a_linear_layer_alone_names_the_features_of_the_last_dimension() -> None:
    net = nn.Linear(2, 1)  # D2L §3.3's layer, given three features
    with pytest.raises(
        UsageError, match=r"shape \(B, 2\), got shape \(4, 3\); .* nn\.Linear\(3, 1\)$"
    ):
        raise_forward_error(net, torch.zeros(4, 3), _forward_error(net, torch.zeros(4, 3)))


@pytest.mark.parametrize(
    "net",
    [
        nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(144, 10)),  # channels
        nn.Sequential(nn.Embedding(5, 784), nn.Linear(784, 10)),  # takes integers, not floats
    ],
    ids=["convolution", "embedding"],
)
def test_a_model_whose_first_layer_is_no_linear_gets_torchs_own_error(net: nn.Module) -> None:
    X = torch.rand(2, 1, 8, 8) if isinstance(net[0], nn.Conv2d) else torch.rand(2, 2)  # not indices
    err = _forward_error(net, X)
    with pytest.raises(type(err)) as info:
        raise_forward_error(net, X, err)
    assert info.value is err


def test_a_modules_own_forward_is_not_second_guessed() -> None:
    """Registration order is not call order in a module's own forward: only nn.Sequential says it."""

    class Reshaping(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.out = nn.Linear(3, 2)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.out(X.reshape(-1, 4))  # a wrong reshape of its own

    net = Reshaping()
    X = torch.zeros(2, 4)
    err = _forward_error(net, X)
    with pytest.raises(RuntimeError) as info:
        raise_forward_error(net, X, err)
    assert info.value is err


def _forward_error(net: nn.Module, X: torch.Tensor) -> RuntimeError:
    try:
        net(X)
    except RuntimeError as err:  # the error under test, as torch raises it
        return err
    raise AssertionError("the forward did not raise")


# --- an image batch with no nn.Flatten before the first nn.Linear (D2L §3.7) ---------------------


def _entry(entry: str, net: Any, X: torch.Tensor) -> Any:
    """Call the public ``entry`` that runs ``net(X)`` (a batch of labels 0, 1, ...)."""
    import linearnets as ln
    from linearnets.inference import predict_labels

    y = torch.arange(len(X), device=X.device) % 2
    loss = nn.CrossEntropyLoss(reduction="none")
    if entry == "fit":
        return ln.fit(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    if entry == "evaluate":
        return ln.evaluate(net, [(X, y)])
    return predict_labels(net, X)


@pytest.mark.parametrize("entry", ["fit", "evaluate", "predict_labels"])
@pytest.mark.parametrize("wrapped", [True, False], ids=["sequential", "bare-linear"])
def test_an_image_batch_with_no_flatten_is_told_to_add_one(wrapped: bool, entry: str) -> None:
    """torch says "mat1 and mat2 shapes cannot be multiplied (56x28 and 784x10)": nn.Linear takes
    the last dimension, 28; the fix is nn.Flatten() (or a reshape), not nn.Linear(28, 10)."""
    linear = nn.Linear(784, 10)
    net = nn.Sequential(linear) if wrapped else linear
    X = torch.rand(2, 1, 28, 28)
    with pytest.raises(UsageError) as info:
        _entry(entry, net, X)
    assert str(info.value) == (
        "X must hold 784 features per example for the model's first layer, nn.Linear(784, 10), "
        "shape (B, 784), got shape (2, 1, 28, 28): 1×28×28 = 784 values per example, not "
        "flattened, as no nn.Flatten() comes before the layer; add nn.Flatten() before it, as in "
        "nn.Sequential(nn.Flatten(), nn.Linear(784, 10)) (D2L §3.7), or reshape the batch with "
        "X.reshape(-1, 784)"
    )
    assert "nn.Linear(28, 10)" not in str(info.value)  # the old, wrong advice
    _entry(entry, nn.Sequential(nn.Flatten(), linear), X)  # both fixes run
    _entry(entry, net, X.reshape(-1, 784))


def test_an_image_batch_of_another_size_with_no_flatten_names_its_flattened_size() -> None:
    net = nn.Sequential(nn.Linear(784, 10))
    with pytest.raises(
        UsageError,
        match=r"^X must hold 784 features per example for the model's first layer, "
        r"nn\.Linear\(784, 10\), shape \(B, 784\), got shape \(2, 1, 8, 8\): 1×8×8 = 64 values per "
        r"example, not flattened, as no nn\.Flatten\(\) comes before the layer; check the image "
        r"size \(resize\) matches the model, or build the model for this data, with "
        r"nn\.Flatten\(\) before nn\.Linear\(64, 10\)$",
    ):
        _entry("evaluate", net, torch.rand(2, 1, 8, 8))
    _entry("evaluate", nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), torch.rand(2, 1, 8, 8))


@pytest.mark.parametrize(
    ("size", "fix"),
    [
        (4, r"stack the examples as rows with X\.reshape\(-1, 2\)$"),
        (5, r"check that the data matches the model \(5 values make no rows of 2\)$"),
    ],
    ids=["whole-rows", "no-whole-rows"],
)
def test_a_vector_is_no_batch_of_rows(size: int, fix: str) -> None:
    """torch takes a vector (d,) as one example of d features: nn.Linear(d, 1) is no fix."""
    net = nn.Linear(2, 1)
    X = torch.zeros(size)
    with pytest.raises(
        UsageError,
        match=r"^X must hold 2 features per example for the model's first layer, nn\.Linear\(2, "
        rf"1\), shape \(B, 2\), got a vector of shape \({size},\); " + fix,
    ):
        raise_forward_error(net, X, _forward_error(net, X))
    if size == 4:
        assert net(X.reshape(-1, 2)).shape == (2, 1)  # the fix runs: two examples


# --- a diagnosis only where it holds: confirmed, and only where the order of layers is known ----


class _Casting(nn.Sequential):
    """A Sequential whose own forward converts the batch (float64 → float32) first."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return super().forward(X.float())


class _CastingLinear(nn.Linear):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return super().forward(X.float())


@pytest.mark.parametrize(
    "make",
    [
        lambda: _Casting(nn.Linear(4, 3), nn.Linear(5, 2)),
        lambda: nn.Sequential(_Casting(nn.Linear(4, 3)), nn.Linear(5, 2)),
        lambda: nn.Sequential(_CastingLinear(4, 3), nn.Linear(5, 2)),
    ],
    ids=["sequential-own-forward", "nested-own-forward", "linear-own-forward"],
)
def test_a_layer_with_its_own_forward_is_not_second_guessed(make: Any) -> None:
    """The float64 batch is converted by the model itself; the error is the second layer's, (2x3
    and 5x2), not "X must have the model's dtype torch.float32"."""
    net, X = make(), torch.rand(2, 4, dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"shapes cannot be multiplied \(2x3 and 5x2\)") as info:
        _entry("evaluate", net, X)
    assert type(info.value) is RuntimeError


def test_a_sequential_subclass_with_nn_sequentials_forward_is_still_diagnosed() -> None:
    class Named(nn.Sequential):
        """A subclass for a name only: nn.Sequential's forward runs its layers in order."""

    net = Named(nn.Flatten(), nn.Linear(784, 10))
    with pytest.raises(UsageTypeError, match=r"^X must be floating point, the model's dtype"):
        _entry("evaluate", net, torch.zeros(2, 1, 28, 28, dtype=torch.uint8))


def test_a_batch_the_first_layer_takes_under_autocast_keeps_torchs_error() -> None:
    """Autocast runs the first nn.Linear on the float16 batch in bfloat16: the dtype is no error;
    the second layer's shapes are, and torch's error says so."""
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2))
    X = torch.rand(2, 4, dtype=torch.float16)
    with (
        torch.autocast("cpu", dtype=torch.bfloat16),
        pytest.raises(RuntimeError, match=r"\(2x3 and 5x2\)") as info,
    ):
        _entry("evaluate", net, X)
    assert type(info.value) is RuntimeError
    with pytest.raises(UsageTypeError, match=r"^X must have the model's dtype torch\.float32"):
        _entry("evaluate", net, X)  # without autocast the first layer fails on it: named


def test_a_model_that_moves_the_batch_itself_keeps_torchs_error() -> None:
    """The batch is on the CPU and the model on meta, but the model moves the batch: its error is a
    shape's, which a "device" message would hide."""

    class MovesBatch(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.out = nn.Linear(4, 3, device="meta")

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.out(X.to(self.out.weight.device))

    net = MovesBatch()
    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)  # fmt: skip
    with pytest.raises(RuntimeError, match=r"same reduction dim") as info:
        train_step(net, torch.zeros(2, 5), torch.tensor([0, 1]), loss, updater, scale=0.5)
    assert type(info.value) is RuntimeError


# --- a function model (D2L §3.6) on another device: no net.to to call ----------------------------


def _book_softmax_on(device: str) -> dict[str, Any]:
    book = book_softmax(0.0)
    book["W"] = torch.zeros((16, 3), requires_grad=True, device=device)
    book["b"] = torch.zeros(3, requires_grad=True, device=device)
    return book


def test_a_function_model_on_the_meta_device_is_told_to_create_its_tensors_again() -> None:
    book = _book_softmax_on("meta")
    with pytest.raises(UsageError) as info:
        _entry("evaluate", book["net"], torch.rand(2, 1, 4, 4))
    assert str(info.value) == (
        "X must be on the device of the model's tensors, got a batch on cpu for the model's "
        "tensors on the meta device (shapes without values, which compute nothing); create W and "
        "b again on the CPU (the default) or a GPU"
    )


def test_the_move_advised_for_a_function_models_tensors_keeps_them_trainable() -> None:
    """``W.to(device)`` alone is a copy that is no leaf (its .grad stays None); the advice is not."""
    from linearnets.training.model_diagnosis import _device_words

    book = book_softmax(1.0)
    words = _device_words(book["net"], torch.device("meta"))
    move = words["move"].format(device="meta")
    assert move == (
        "the model's tensors: W = W.detach().to('meta').requires_grad_() and "
        "b = b.detach().to('meta').requires_grad_() (or create W and b on that device)"
    )
    assert words["of"] == "the model's tensors" and "net.to" not in str(words)
    exec(move.removeprefix("the model's tensors: ").split(" (or")[0].replace(" and ", "\n"), book)
    for name in ("W", "b"):
        assert book[name].is_meta and book[name].is_leaf and book[name].requires_grad


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a second device with values")
def test_a_function_model_on_the_gpu_is_told_to_move_its_tensors_or_the_batch() -> None:
    book = _book_softmax_on("cuda")
    X = torch.rand(2, 1, 4, 4)
    with pytest.raises(UsageError) as info:
        _entry("predict_labels", book["net"], X)
    assert str(info.value) == (
        "X must be on the device of the model's tensors, cuda:0, got a batch on cpu; move the "
        "batch with X.to('cuda:0'), or the model's tensors: W = W.detach().to('cpu')"
        ".requires_grad_() and b = b.detach().to('cpu').requires_grad_() (or create W and b on "
        "that device)"
    )
    _entry("predict_labels", book["net"], X.to("cuda:0"))  # the first fix runs
    exec(
        "W = W.detach().to('cpu').requires_grad_()\nb = b.detach().to('cpu').requires_grad_()", book
    )
    _entry("predict_labels", book["net"], X)  # and the second
