"""A classifier's first step checks its score and loss values before the update (D2L §3.6–3.7):
the book's exercises' overflow and log(0), logits given to a loss on probabilities, NLLLoss on
scores, and a double softmax, each named with its cause, the weights left as they were."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets import d2l
from linearnets.errors import DivergenceError, DoubleSoftmaxWarning, UsageError
from linearnets.models.scratch import SGD, SoftmaxRegressionScratch, cross_entropy_logits
from linearnets.training.loop import fit

D, Q, B = 12, 4, 16


def _batches(seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    return [(torch.rand(B, D, generator=gen), torch.randint(0, Q, (B,), generator=gen)) for _ in range(3)]  # fmt: skip


def naive_softmax(X: torch.Tensor) -> torch.Tensor:  # the book's §3.6.2 softmax
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(1, keepdim=True)


def book_cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # the book's §3.6.3
    return -torch.log(y_hat[range(len(y_hat)), y])


def _function_model(
    scale: float, softmax: Callable[[torch.Tensor], torch.Tensor]
) -> tuple[Callable[[torch.Tensor], torch.Tensor], list[torch.Tensor]]:
    """The book's §3.6 model, a function of its tensors, with weights ~ N(0, scale²)."""
    W = torch.normal(0, scale, (D, Q), generator=torch.Generator().manual_seed(1)).requires_grad_()
    b = torch.zeros(Q, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return softmax(X.reshape(-1, D) @ W + b)

    return net, [W, b]


def _updaters(params: list[torch.Tensor]) -> dict[str, Any]:
    return {
        "book's sgd": lambda batch_size: d2l.sgd(params, 0.1, batch_size),
        "torch.optim.SGD": torch.optim.SGD(params, lr=0.1),
    }


def _train(net: Any, loss: Any, updater: Any) -> None:
    d2l.train_epoch_ch3(net, _batches(), loss, updater)


@pytest.mark.parametrize("updater", ["book's sgd", "torch.optim.SGD"])
def test_the_naive_softmax_overflowing_at_the_first_batch_is_named_not_blamed_on_lr(
    updater: str,
) -> None:
    """§3.6 exercise 1: exp of scores of ~100 is inf, inf / inf is NaN, at any learning rate."""
    net, params = _function_model(30.0, naive_softmax)
    assert net(_batches()[0][0]).isnan().any()  # the premise: NaN on the very first batch
    before = [p.detach().clone() for p in params]
    with pytest.raises(DivergenceError, match=r"its own computation overflowed") as info:
        _train(net, book_cross_entropy, _updaters(params)[updater])
    assert "lr" not in str(info.value)
    assert all(torch.equal(p, q) for p, q in zip(params, before, strict=True))


@pytest.mark.parametrize("call", ["train_ch3 with the book's sgd", "train_ch3", "fit"])
def test_a_nan_pixel_in_the_first_batch_is_named_in_the_data_not_blamed_on_lr(call: str) -> None:
    """One NaN feature makes its row's scores NaN at the first step, with the weights finite: the
    error names the batch's features and how to find them, and no smaller lr (which would not help)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, Q))
    batches = _batches()
    batches[0][0][5, 3] = float("nan")
    before = [p.detach().clone() for p in net.parameters()]
    updater: Any = torch.optim.SGD(net.parameters(), lr=0.1)
    if call == "train_ch3 with the book's sgd":
        updater = _updaters(list(net.parameters()))["book's sgd"]
    with pytest.raises(DivergenceError) as info:
        if call == "fit":
            fit(net, batches, nn.CrossEntropyLoss(), updater, 1)
        else:
            d2l.train_ch3(net, batches, batches, nn.CrossEntropyLoss(reduction="none"), 1, updater)
    assert str(info.value) == (
        "the model's scores hold NaN, so no accuracy can be computed: its inputs hold NaN or inf "
        "(1 value of the features X of the epoch's first batch, in its example at position 5, "
        "counting from 0), while its weights are finite; find them in the data, "
        "checking each batch with torch.isfinite(X).all() (torch.isnan(X).any() for NaN alone), "
        "and clean or drop the examples that hold them"
    )
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))


@pytest.mark.parametrize("updater", ["book's sgd", "torch.optim.SGD"])
def test_a_log_of_zero_is_named_before_it_ruins_the_weights(updater: str) -> None:
    """§3.6 exercise 2: a stable softmax underflows to 0 far below the row's max; the book's
    cross_entropy gives inf there and a NaN gradient, which would make every weight NaN."""
    net, params = _function_model(30.0, lambda O: torch.softmax(O, dim=1))
    X, y = _batches()[0]
    assert (book_cross_entropy(net(X), y) == torch.inf).any()  # the premise
    before = [p.detach().clone() for p in params]
    with pytest.raises(
        UsageError,
        match=r"^the loss is inf on the epoch's first batch though the model's scores are finite, "
        r"before any update of this step, so not because of the learning rate: a probability of "
        r"the true class is 0 .* -torch\.log\(y_hat\[range\(len\(y_hat\)\), y\]\.clamp\(min=1e-12\)\)$",
    ):
        _train(net, book_cross_entropy, _updaters(params)[updater])
    assert all(torch.equal(p, q) for p, q in zip(params, before, strict=True))


_INF_HEAD = (
    "the loss is {value} on the epoch's first batch because the model's scores are not finite "
    "(they range over [{low}, {high}]), before any update of this step"
)
_REPLACE = (
    "replace them with finite ones (train again from fresh weights, or load finite ones): an "
    "earlier update made them so (a learning rate too large, or a step on features that hold NaN "
    "or inf), or the code that set or loaded them did"
)


@pytest.mark.parametrize("test_iter", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("inf", [float("inf"), float("-inf")])
def test_an_infinite_weight_is_named_not_the_loss(
    inf: float, reduction: str, test_iter: bool
) -> None:
    """A bias of inf makes its class's scores inf, and cross-entropy NaN (inf - inf); one of -inf
    makes -log(0) = inf at that class's labels: the scores are not finite, and the weight is named,
    not the loss's own computation."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, Q))
    net[1].bias.data[0] = inf
    batches = _batches()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(DivergenceError) as info:
        fit(
            net,
            batches,
            nn.CrossEntropyLoss(reduction=reduction),
            torch.optim.SGD(net.parameters(), lr=0.1),
            1,
            test_iter=batches if test_iter else None,
        )
    scores = net(batches[0][0]).detach()
    value, low, high = ("NaN", f"{float(scores.min()):.4g}", "inf") if inf > 0 else ("inf", "-inf", f"{float(scores.max()):.4g}")  # fmt: skip
    assert str(info.value) == (
        f"{_INF_HEAD.format(value=value, low=low, high=high)}: its weights hold NaN or inf "
        f"(1.bias), while the features X are finite; {_REPLACE}"
    )
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))


def test_an_infinite_weight_of_a_plain_linear_and_of_the_books_model_is_named() -> None:
    """An nn.Linear alone names its own parameter; the book's function of W and b names b."""
    net = nn.Linear(D, Q)
    net.bias.data[1] = float("inf")
    with pytest.raises(DivergenceError, match=r"^the loss is NaN on the epoch's first batch because the model's scores are not finite \(they range over \[-\d\.\d+, inf\]\), before any update of this step: its weights hold NaN or inf \(bias\), while the features X are finite; replace them "):  # fmt: skip
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    book, params = _function_model(0.01, lambda O: O)
    params[1].data[2] = float("inf")
    with pytest.raises(DivergenceError, match=r"before any update of this step: its weights hold NaN or inf \(b\), while"):  # fmt: skip
        _train(book, nn.CrossEntropyLoss(reduction="none"), _updaters(params)["torch.optim.SGD"])


@pytest.mark.parametrize("inf", [float("inf"), float("-inf")])
def test_an_infinite_feature_is_named_in_the_data_not_the_loss(inf: float) -> None:
    """One feature of inf makes its row's scores ±inf (the weights' signs), and the loss NaN."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, Q))
    batches = _batches()
    batches[0][0][5, 3] = inf
    with pytest.raises(DivergenceError) as info:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value) == (
        f"{_INF_HEAD.format(value='NaN', low='-inf', high='inf')}: its inputs hold NaN or inf "
        "(1 value of the features X of the epoch's first batch, in its example at position 5, "
        "counting from 0), while its weights are finite; find them in the data, checking each "
        "batch with torch.isfinite(X).all(), and clean or drop the examples that hold them"
    )


def test_infinite_features_and_weights_are_both_named() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, Q))
    net[1].bias.data[0] = float("inf")
    net[1].weight.data[:, 3].abs_()  # row 2's scores all +inf, none inf - inf = NaN
    batches = _batches()
    batches[0][0][2, 3] = float("inf")
    with pytest.raises(DivergenceError, match=r": its inputs hold NaN or inf \(1 value of the features X of the epoch's first batch, in its example at position 2, counting from 0\), and its weights hold NaN or inf \(1\.bias\); find them in the data, .* and replace them with finite ones "):  # fmt: skip
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_scores_that_overflow_to_inf_on_finite_weights_and_features_are_named() -> None:
    """Finite features of 1e30 and weights of up to 1e10 give scores past float32's 3.4e38."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, Q))
    net[1].weight.data.fill_(1e10)
    net[1].weight.data[0] = -1e10
    batches = [(X * 1e30, y) for X, y in _batches()]
    with pytest.raises(DivergenceError, match=r"^the loss is NaN on the epoch's first batch because the model's scores are not finite \(they range over \[-inf, inf\]\), before any update of this step, though the features X are finite and its weights are finite \(none above 1e\+10 in absolute value\): its own computation overflowed, a score past the largest value of its dtype \(3\.4e38 in float32\), "):  # fmt: skip
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


class _BookLayer(nn.Module):
    """D2L 2nd edition's layer: W and b plain tensors, returned by its own parameters()."""

    def __init__(self) -> None:
        super().__init__()
        self.W = torch.normal(0, 0.01, (D, Q), generator=torch.Generator().manual_seed(0))
        self.W.requires_grad_()
        self.b = torch.zeros(Q, requires_grad=True)

    def parameters(self, recurse: bool = True) -> list[torch.Tensor]:  # type: ignore[override]
        return [self.W, self.b]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X.reshape(-1, D) @ self.W + self.b


def test_an_infinite_weight_of_the_books_layer_inside_a_sequential_is_named() -> None:
    """It was called finite ("its weights are finite (none above 0.288 ...): its own computation
    overflowed"): the layer's own parameters() was never looked at."""
    torch.manual_seed(0)
    layer = _BookLayer()
    net = nn.Sequential(nn.Linear(D, D), layer)
    layer.b.data[1] = float("inf")
    params = [layer.W, layer.b, *net[0].parameters()]
    with pytest.raises(DivergenceError, match=r"before any update of this step: its weights hold NaN or inf \(1\.b\), while the features X are finite; replace them "):  # fmt: skip
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(params, lr=0.1), 1)


def test_weights_not_all_listed_are_not_called_finite() -> None:
    """A plain tensor attribute no parameters() returns may be a weight: not "its weights are
    finite" then."""

    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(D, Q)
            self.scale = torch.full((Q,), 1e38)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.lin(X) * self.scale * 100

    torch.manual_seed(0)
    net = Scaled()
    with pytest.raises(DivergenceError, match=r"before any update of this step, on finite features X: either the model's weights, which could not all be listed, hold NaN or inf, or its own computation overflowed, a score past the largest value of its dtype \(3\.4e38 in float32\), "):  # fmt: skip
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_an_overflow_in_float64_quotes_float64s_largest_value() -> None:
    torch.manual_seed(0)
    net = nn.Linear(D, Q).double()
    net.weight.data.fill_(1e200)
    batches = [(X.double() * 1e200, y) for X, y in _batches()]
    with pytest.raises(DivergenceError, match=r"its own computation overflowed, a score past the largest value of its dtype \(1\.8e308 in float64\), "):  # fmt: skip
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


@pytest.mark.parametrize(
    ("dtype", "size", "d", "inf"),
    [(torch.float32, 1e20, 4, True), (torch.float64, 1e200, 4, True), (torch.float32, 1e20, D, False)],
    ids=["float32", "float64", "every-score-nan"],
)  # fmt: skip
def test_nan_scores_of_a_linear_model_far_too_large_name_its_sizes_not_a_softmax(
    dtype: torch.dtype, size: float, d: int, inf: bool
) -> None:
    """nn.Linear(d, 3) with weights and features ~1e20 (1e200 in float64), of mixed signs: its
    scores overflow to inf and -inf, whose sum is NaN. The message told of "a softmax computed
    as exp(o) / exp(o).sum(1) ... or return the scores themselves (logits) and train with
    nn.CrossEntropyLoss", which the model does already; it names the sizes, as the inf-only
    variant does ("from features or weights far too large; scale the features"): the scores'
    inf where some are, else (every score NaN) the features' and weights' sizes, whose product
    passes the dtype's largest value."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(B, d, generator=gen, dtype=dtype) * size
    torch.manual_seed(0)  # the weights' draw, whatever ran before
    net = nn.Linear(d, 3).to(dtype)
    with torch.no_grad():
        net.weight *= size
    scores = net(X).detach()
    assert bool(scores.isnan().any()) and bool((scores == math.inf).any()) is inf  # the premise
    assert inf or bool(scores.isnan().all())
    top = torch.finfo(dtype).max
    largest, weight = float(X.abs().max()), float(net.weight.detach().abs().max())
    assert largest * weight >= top
    batches = [(X, torch.randint(0, 3, (B,), generator=gen))]
    seen = "its scores on the epoch's first batch hold inf; " if inf else ""
    message = (
        "the model's scores hold NaN, so no accuracy can be computed, though its parameters and "
        "its inputs are finite: its own computation overflowed, its scores going past the largest "
        f"value of their dtype ({top:.2g} in {str(dtype)[6:]}) from features or weights far too "
        f"large ({seen}the features reach {largest:.3g} in absolute value, the weights "
        f"{weight:.3g}), and inf - inf or 0 × inf is NaN; scale the features (e.g. standardise "
        "each one), and train again from fresh weights (weights that large come from their "
        "initialisation or a learning rate too large); run the model's steps on that batch one "
        "at a time to find the one that gives inf"
    ).replace(f"{top:.2g}", f"{top:.2g}".replace("e+", "e"))
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$"):
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


def test_the_naive_softmax_in_float64_quotes_float64s_exp_limit() -> None:
    """exp overflows past ~709 in float64, not float32's ~88: the book's softmax on scores of
    ~1000 is NaN there, and the message gives float64's limit (it said "exp of a score above ~88
    is inf in float32" whatever the dtype)."""
    W = torch.full((D, Q), 1000.0 / D, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(Q, dtype=torch.float64, requires_grad=True)

    def net(X: torch.Tensor) -> torch.Tensor:
        return naive_softmax(X.reshape(-1, D).double() @ W + b)  # scores 1000 · mean(X) ≈ 500

    batches = [(X.double() * 2, y) for X, y in _batches()]  # scores ≈ 1000
    assert bool(net(batches[0][0]).isnan().any())  # the premise: exp(1000) is inf in float64
    with pytest.raises(DivergenceError, match=r"\(exp of a score above ~709 is inf in float64, and inf / inf is NaN\); subtract each row's max before exp"):  # fmt: skip
        d2l.train_epoch_ch3(net, batches, book_cross_entropy, lambda n: d2l.sgd([W, b], 0.1, n))


class _Shift(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(D, Q)
        self.register_buffer("offset", torch.zeros(Q))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(X) + self.offset


def test_an_infinite_buffer_is_a_mask_perhaps_named_after_the_cause_not_as_it() -> None:
    """A buffer of -inf added to the scores, as a mask is on purpose, under a loss that takes the
    log-probability of the masked true class: the mask at the true class is the cause, with its
    fix, and the buffer is named after it. It was named as the cause ("its buffer offset holds
    NaN or inf (no optimizer updates a buffer ...); give it finite values again"), though -inf
    is what a mask holds."""
    torch.manual_seed(0)
    net = _Shift()
    net.offset[0] = float("-inf")
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value).endswith(
        "before any update of this step, though the features X are finite and its parameters "
        "are finite (none above 0.287 in absolute value): its scores hold -inf and no +inf (a "
        "mask, or a log of 0), on which a loss that takes the log-probability of every class "
        "(label_smoothing) or of a masked true class is inf (here the true class's score is -inf "
        "in the examples at positions 2, 3, 4, 7 and 15, counting from 0); unmask the true "
        "class, drop label smoothing, or mask with a large negative finite value such as "
        "torch.finfo(torch.float32).min instead of -inf; its buffer offset holds inf or -inf and "
        "no NaN, as a mask may on purpose: the scores' -inf may be its own"
    )


_EVERY_CLASS_FIX = (
    "and a softmax over scores all -inf is 0 / 0 (nothing overflowed); leave at least one class "
    "of each example unmasked, or mask with a large negative finite value such as "
    "torch.finfo(torch.float32).min instead of -inf"
)


def test_a_buffer_that_masks_every_class_is_named_not_an_overflow() -> None:
    """A buffer of -inf for every class, added to the scores: they range over [-inf, -inf]. It
    was "its own computation overflowed ... scale the features", though nothing overflowed."""
    torch.manual_seed(0)
    net = _Shift()
    net.offset.fill_(float("-inf"))
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value).endswith(
        "(they range over [-inf, -inf]), before any update of this step, though the features X "
        "are finite and its parameters are finite (none above 0.287 in absolute value): every "
        "class's score is -inf in every example of the batch: its buffer offset, which holds inf "
        f"or -inf, masks every class of them, {_EVERY_CLASS_FIX}"
    )


def test_a_mask_that_leaves_a_class_open_is_no_cause_of_an_overflow_to_minus_inf() -> None:
    """A buffer that masks every class but 0, whose score overflows to -inf in example 2 (features
    -3e38): every class's score is -inf there, but not by the mask, which left class 0 open. It
    was "its buffer offset ... masks every class of it ... (nothing overflowed)"."""
    torch.manual_seed(0)
    net = _Shift()
    net.offset[1:] = float("-inf")
    with torch.no_grad():
        net.lin.weight.fill_(1.0)
        net.lin.bias.zero_()
    X, y = _batches()[0]
    X[2] = -3e38
    y = torch.zeros_like(y)
    with pytest.raises(DivergenceError) as info:
        fit(net, [(X, y)], nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value).endswith(
        "though the features X are finite and its parameters are finite (none above 1 in "
        "absolute value): its own computation overflowed, a score past the largest value of its "
        "dtype (3.4e38 in float32), from features or weights far too large, or an exp or a "
        "division by 0 in the model's forward; scale the features (e.g. standardise each one), "
        "and run the model's steps on that batch one at a time to find the one that gives inf; "
        "its buffer offset holds inf or -inf and no NaN, as a mask may on purpose, so it is not "
        "named as the cause, but the scores' inf may be its own (a finite score plus inf, or "
        "times inf, is inf): if so, give it finite values (a mask: a large negative finite value "
        "such as torch.finfo(torch.float32).min instead of -inf)"
    )


def test_an_attribute_that_masks_every_class_of_some_examples_names_them() -> None:
    """A plain tensor attribute, one mask row per example, that masks every class of examples 2
    and 5 only: those are named, with the fix and the buffer it should be registered as."""

    class RowMasked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(D, Q)
            self.rowmask = torch.zeros(B, Q)
            self.rowmask[[2, 5]] = float("-inf")

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.lin(X) + self.rowmask

    torch.manual_seed(0)
    net = RowMasked()
    with pytest.raises(DivergenceError) as info:
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    message = str(info.value)
    assert "overflow" not in message.replace("nothing overflowed", "")
    assert message.endswith(
        ": every class's score is -inf in the examples at positions 2 and 5, counting from 0: its "
        f"tensor attribute rowmask, which holds inf or -inf, masks every class of them, "
        f"{_EVERY_CLASS_FIX}; register it as a buffer "
        '(self.register_buffer("rowmask", tensor) in __init__), which .to(device), state_dict() '
        "and these checks see"
    )


def test_a_buffer_that_holds_nan_is_named_as_a_buffer_not_blamed_on_the_learning_rate() -> None:
    """NaN, unlike inf, is never a buffer's on purpose: it is the cause, named as a buffer, which
    no optimizer updates (no lr to blame)."""
    torch.manual_seed(0)
    net = _Shift()
    net.offset[0] = math.nan
    with pytest.raises(DivergenceError, match=f"^{re.escape(_NAN_BUFFER)}$"):
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


_NAN_BUFFER = (
    "the model's scores hold NaN, so no accuracy can be computed: its buffer offset holds NaN or "
    "inf, though its parameters are finite (no optimizer updates a buffer: BatchNorm's "
    "running_mean and running_var take NaN from a forward in training mode on features that "
    "hold NaN or inf, and other buffers are set by the model's own code); give it finite values "
    "again (BatchNorm's reset_running_stats(), or a fresh model), and check each batch with "
    "torch.isfinite(X).all()"
)


class _Scaled(nn.Module):
    """A linear layer whose scores a plain tensor attribute scales: neither parameter nor buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(D, Q)
        self.scale = torch.ones(Q)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.lin(X) * self.scale


_PLAIN = (
    "a plain tensor, neither parameter nor buffer, which no optimizer updates, so no smaller lr "
    "helps: the model's own code set it"
)
_REGISTER = (
    'give it finite values where the model sets it, and register it as a buffer (self.register_buffer("scale", '
    "tensor) in __init__), which .to(device), state_dict() and these checks see"
)
_REGISTER_ONLY = (
    'register it as a buffer (self.register_buffer("scale", tensor) in __init__), which '
    ".to(device), state_dict() and these checks see"
)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, f"the model's scores hold NaN, so no accuracy can be computed: its tensor attribute scale holds NaN, though its parameters are finite ({_PLAIN}); {_REGISTER}"),
        (math.inf, f"the loss is NaN on the epoch's first batch because the model's scores are not finite (they range over [-inf, inf]), before any update of this step, on finite features X: either the model's weights, which could not all be listed, hold NaN or inf, or its own computation overflowed, a score past the largest value of its dtype (3.4e38 in float32), from features or weights far too large, or an exp or a division by 0 in the model's forward; scale the features (e.g. standardise each one), and run the model's steps on that batch one at a time to find the one that gives inf; its tensor attribute scale holds inf or -inf and no NaN, as a mask may on purpose, so it is not named as the cause, but the scores' inf may be its own (a finite score plus inf, or times inf, is inf): if so, give it finite values (a mask: a large negative finite value such as torch.finfo(torch.float32).min instead of -inf); {_REGISTER_ONLY}"),
    ],
    ids=["nan", "inf"],
)  # fmt: skip
def test_a_plain_tensor_attribute_that_holds_nan_is_named_not_the_weights_or_the_lr(
    value: float, message: str
) -> None:
    """self.scale, a plain tensor holding NaN, used in forward beside a finite nn.Linear: the
    message said "its weights or its inputs hold NaN (weights blow up when the lr is too large:
    train again with a smaller one)", though the inputs are finite and no lr can mend it (inf:
    "its buffers  hold NaN or inf", naming none). It is named, as a buffer in its place is, with
    the fix, before the update. One that holds inf and no NaN may be a mask, held on purpose: it
    is named after the cause found without it, as a possibility (it was named as the cause, and
    a finite mask registered as a buffer then gave another message)."""
    torch.manual_seed(0)
    net = _Scaled()
    net.scale[1] = value
    before = net.lin.weight.detach().clone()
    with pytest.raises(DivergenceError, match=f"^{re.escape(message)}$"):
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert torch.equal(net.lin.weight, before)


def test_a_batchnorm_running_statistic_unused_in_training_mode_is_not_the_cause() -> None:
    """In training mode BatchNorm normalises by the batch's statistics: its inf running_mean does
    not make the scores inf; the overflow of the last layer's weights does."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(D, 1), nn.BatchNorm1d(1), nn.Linear(1, Q))
    with torch.no_grad():
        net[1].running_mean[0] = float("inf")
        net[2].weight.zero_()
        net[2].bias.zero_()
        net[2].weight[0, 0] = 3e38
    with pytest.raises(DivergenceError, match=r"though the features X are finite and its weights are finite \(none above 3e\+38 in absolute value\): its own computation overflowed, .* to find the one that gives inf; its buffer 1\.running_mean holds NaN or inf, but its module is in training mode, where BatchNorm normalises by the batch's own statistics and does not use it \(give it finite values before evaluating: reset_running_stats\(\)\)$"):  # fmt: skip
        fit(net, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


class _BookSoftmax(nn.Module):
    """The book's §3.6.2 softmax after a model's scores: exp overflows past a score of ~88."""

    def forward(self, o: torch.Tensor) -> torch.Tensor:
        return naive_softmax(o)


_UNUSED_ONE = (
    "; its buffer 1.running_mean holds NaN or inf, but its module is in training mode, where "
    "BatchNorm normalises by the batch's own statistics and does not use it (give it finite "
    "values before evaluating: reset_running_stats())"
)
_NAN_HEAD = "the model's scores hold NaN, so no accuracy can be computed"


def _batchnorm_net(cause: str) -> nn.Module:
    """A BatchNorm between two layers, its running_mean NaN, and the NaN scores' own ``cause``."""
    torch.manual_seed(0)
    layers = [nn.Linear(D, D), nn.BatchNorm1d(D), nn.Linear(D, Q)]
    if cause == "overflow":
        layers.append(_BookSoftmax())
    net = nn.Sequential(*layers)
    with torch.no_grad():
        net[1].running_mean[0] = float("nan")
        if cause == "weight":
            net[2].weight[0, 0] = float("nan")
        if cause == "overflow":
            net[2].weight.fill_(100.0)  # scores past 88 on normalised features: exp is inf
    return net


@pytest.mark.parametrize(
    ("cause", "ending"),
    [
        (
            "feature",
            "its inputs hold NaN or inf (1 value of the features X of the epoch's first batch, in "
            "its example at position 3, counting from 0), while its weights are finite; find them "
            "in the data, checking each batch with torch.isfinite(X).all() (torch.isnan(X).any() "
            "for NaN alone), and clean or drop the examples that hold them; its buffers "
            "1.running_mean and 1.running_var hold NaN or inf, but their modules are in training "
            "mode, where BatchNorm normalises by the batch's own statistics and does not use them "
            "(give them finite values before evaluating: reset_running_stats())",
        ),
        (
            "weight",
            "its weights hold NaN or inf (2.weight): weights blow up when the lr is too large "
            "(train again with a smaller one), or after a step on features that hold NaN or inf "
            f"(check each batch with torch.isfinite(X).all()){_UNUSED_ONE}",
        ),
        (
            "overflow",
            "though its parameters and its inputs are finite: its own computation overflowed, e.g. "
            "a softmax computed as exp(o) / exp(o).sum(1) without subtracting each row's max first",
        ),
    ],
)
def test_a_nan_running_statistic_unused_in_training_mode_is_a_side_note_not_the_cause(
    cause: str, ending: str
) -> None:
    """In training mode BatchNorm normalises by the batch's statistics: its NaN running_mean does
    not make the scores NaN. The cause that did (a NaN feature, which also makes both running
    statistics NaN; a NaN weight; an overflow) is named, the buffer after it as a side note."""
    batches = _batches()
    if cause == "feature":
        batches[0][0][3, 2] = float("nan")
    net = _batchnorm_net(cause)
    with pytest.raises(DivergenceError) as info:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    message = str(info.value)
    assert message.startswith(_NAN_HEAD), message
    if cause == "overflow":
        assert ending in message and message.endswith(f"nn.CrossEntropyLoss{_UNUSED_ONE}"), message
    else:
        assert message.endswith(f": {ending}"), message
    assert "though its parameters are finite (no optimizer" not in message


def test_a_nan_running_statistic_unused_at_a_later_batch_is_a_side_note() -> None:
    """A NaN feature at batch 2 of a training pass: the place names the batch's features or an
    update as the cause; the running statistics, NaN but unused in training mode, a side note."""
    batches = _batches()
    batches[1][0][3, 2] = float("nan")
    net = _batchnorm_net("feature")
    with pytest.raises(DivergenceError, match=r"^the model's scores hold NaN, so no accuracy can be computed: they first did at batch 2 of train_iter in epoch 1, on all 16 of its examples, .* then train again from fresh weights; its buffers 1\.running_mean and 1\.running_var hold NaN or inf, but their modules are in training mode, where BatchNorm normalises by the batch's own statistics and does not use them \(give them finite values before evaluating: reset_running_stats\(\)\)$"):  # fmt: skip
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)


class _Masked(nn.Module):
    """Scores of class 3 masked to -inf, a deliberate mask."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(D, Q)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros(X.shape[0], Q)
        mask[:, 3] = float("-inf")
        return self.lin(X) + mask


_MASK_FIX = (
    "unmask the true class, drop label smoothing, or mask with a large negative finite value "
    "such as torch.finfo(torch.float32).min instead of -inf"
)


def test_a_mask_of_minus_inf_under_label_smoothing_is_named_not_an_overflow() -> None:
    torch.manual_seed(0)
    batches = [(X, y % 3) for X, y in _batches()]  # class 3, masked, is never true
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    net = _Masked()
    with pytest.raises(DivergenceError) as info:
        fit(net, batches, loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert "overflow" not in str(info.value)
    assert str(info.value).endswith(
        ": its scores hold -inf and no +inf (a mask, or a log of 0), on which a loss that takes "
        "the log-probability of every class (label_smoothing) or of a masked true class is inf "
        f"(here label_smoothing=0.1); {_MASK_FIX}"
    )


def test_a_mask_of_minus_inf_at_the_true_class_names_its_examples() -> None:
    torch.manual_seed(0)
    batches = _batches()
    rows = (batches[0][1] == 3).nonzero().flatten().tolist()
    assert rows == [1, 10, 13]  # the premise
    net = _Masked()
    with pytest.raises(DivergenceError) as info:
        fit(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert str(info.value).endswith(
        "(here the true class's score is -inf in the examples at positions 1, 10 and 13, "
        f"counting from 0); {_MASK_FIX}"
    )


def test_logits_given_to_a_loss_on_probabilities_are_named() -> None:
    """linearnets' scratch model returns logits; the book's cross_entropy takes log of them: NaN."""
    net = SoftmaxRegressionScratch(D, Q, generator=torch.Generator().manual_seed(2))
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(
        UsageError,
        match=r"^the loss is NaN on the epoch's first batch .*: the model's scores are no "
        r"probabilities \(they range over \[-\d\.\d+, \d\.\d+\]\), .* nn\.CrossEntropyLoss\(reduction='none'\) "
        r"or linearnets\.cross_entropy_logits, or make the model return softmax\(scores\)$",
    ):
        _train(
            net, book_cross_entropy, lambda batch_size: d2l.sgd(net.parameters(), 0.1, batch_size)
        )
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))


def test_a_loss_not_finite_on_probabilities_either_is_not_blamed_on_the_scores() -> None:
    """Logits given to a loss that is NaN for its own reason (here a log of y_hat - 1, negative
    on any probability too): advising a loss on logits, or a softmax, would not help."""
    net = SoftmaxRegressionScratch(D, Q, generator=torch.Generator().manual_seed(2))

    def broken(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y] - 1)

    with pytest.raises(
        UsageError,
        match=r"^the loss is NaN on the epoch's first batch .*: it is NaN on their softmax too, so "
        r"not only because they are no probabilities \(they range over \[-\d\.\d+, \d\.\d+\]\): "
        r"check the loss function's own computation on this batch \(a log or a division of a "
        r"value that can be 0 or below\)$",
    ):
        _train(net, broken, lambda batch_size: d2l.sgd(net.parameters(), 0.1, batch_size))


@pytest.mark.parametrize("loss", [nn.NLLLoss(reduction="none"), F.nll_loss])
def test_nll_loss_on_scores_is_refused_and_on_log_probabilities_trains(loss: Any) -> None:
    """NLLLoss(o)[i] = -o[i, y_i]: on scores that are no log-probabilities it falls without bound."""
    net = nn.Sequential(nn.Linear(D, Q))
    with pytest.raises(
        UsageError,
        match=r"^nn\.NLLLoss takes log-probabilities \(each <= 0, as log_softmax gives\), but the "
        r"model's scores reach \d\.\d+, .* end the model with nn\.LogSoftmax\(dim=1\)",
    ):
        fit(net, _batches(), loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    net.append(nn.LogSoftmax(dim=1))
    history = fit(net, _batches(), loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    assert history.train_loss[0] > 0  # log-probabilities give positive losses


def test_nll_after_log_softmax_matches_cross_entropy_on_the_scores() -> None:
    """The check lets the right pairing through unchanged: the same weights as CrossEntropyLoss."""
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(D, Q))
    b = nn.Sequential(nn.Linear(D, Q), nn.LogSoftmax(dim=1))
    b[0].load_state_dict(a[0].state_dict())
    fit(a, _batches(), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(a.parameters(), lr=0.1), 2)  # fmt: skip
    fit(b, _batches(), nn.NLLLoss(reduction="none"), torch.optim.SGD(b.parameters(), lr=0.1), 2)
    torch.testing.assert_close(a[0].weight, b[0].weight)


class _LogitNLL(nn.NLLLoss):
    """NLLLoss on logits, a subclass applying log_softmax in a forward of its own."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return super().forward(F.log_softmax(input, dim=1), target)


def test_a_subclass_of_nll_loss_taking_logits_itself_trains_as_cross_entropy() -> None:
    """It was refused as nn.NLLLoss on scores ("unbounded below") though its forward applies
    log_softmax. The oracle: the same steps with CrossEntropyLoss, on scores above 0."""
    torch.manual_seed(0)
    a, b = nn.Linear(D, Q), nn.Linear(D, Q)
    with torch.no_grad():
        a.bias.fill_(2.0)  # every score above 0 at the first step
    b.load_state_dict(a.state_dict())
    got = fit(a, _batches(), _LogitNLL(reduction="none"), torch.optim.SGD(a.parameters(), lr=0.1), 1)  # fmt: skip
    expected = fit(b, _batches(), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(b.parameters(), lr=0.1), 1)  # fmt: skip
    assert got.train_loss == pytest.approx(expected.train_loss, rel=1e-6)
    torch.testing.assert_close(a.weight, b.weight)


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(reduction="none"), F.cross_entropy])
def test_a_double_softmax_is_warned_once_per_model(loss: Any) -> None:
    net = nn.Sequential(nn.Linear(D, Q), nn.Softmax(dim=1))
    with pytest.warns(DoubleSoftmaxWarning, match=r"remove the model's final nn\.Softmax") as seen:
        fit(net, _batches(), loss, torch.optim.SGD(net.parameters(), lr=0.1), 3)
    ours = [w for w in seen if w.category is DoubleSoftmaxWarning]
    assert len(ours) == 1  # not once per epoch
    assert ours[0].filename == __file__  # the line that called fit, not the library's


def test_scores_and_other_losses_are_not_warned() -> None:
    """Logits with CrossEntropyLoss, probabilities with the book's cross_entropy: no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DoubleSoftmaxWarning)
        net = nn.Sequential(nn.Linear(D, Q))
        fit(net, _batches(), nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), 2)  # fmt: skip
        book, params = _function_model(0.01, naive_softmax)
        d2l.train_epoch_ch3(book, _batches(), book_cross_entropy, _updaters(params)["book's sgd"])


def test_the_analytic_model_and_its_own_loss_pass() -> None:
    """No refusal and no warning: it trains as the autograd model does with torch's cross-entropy
    and SGD from the same first weights (the oracle)."""
    net = SoftmaxRegressionScratch(D, Q, analytic=True, generator=torch.Generator().manual_seed(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit(net, _batches(), cross_entropy_logits, SGD(net.parameters(), lr=0.1), 2)
    oracle = SoftmaxRegressionScratch(D, Q, generator=torch.Generator().manual_seed(3))
    updater = torch.optim.SGD(oracle.parameters(), lr=0.1)
    losses = []
    for _ in range(2):
        epoch = []
        for X, y in _batches():
            l = F.cross_entropy(oracle(X), y, reduction="none")  # (B,)
            updater.zero_grad()
            l.mean().backward()
            updater.step()
            epoch.append(l.detach())
        losses.append(float(torch.cat(epoch).double().mean()))
    assert history.train_loss == pytest.approx(losses, rel=1e-6)
    for ours, theirs in zip(net.parameters(), oracle.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)


# --- check_first_values on hand-made scores: the thresholds and the message chosen -----------------


def _check(y_hat: list[list[float]], y: list[int], loss: Any) -> None:
    from linearnets.training.first_step import check_first_values

    scores, labels = torch.tensor(y_hat), torch.tensor(y)
    check_first_values(lambda X: scores, scores, labels, scores, loss(scores, labels), loss)


def test_nll_loss_takes_log_probabilities_up_to_rounding_and_refuses_a_positive_score() -> None:
    """log_softmax rounds a certain class's log-probability to a few 1e-7 above 0: let through.
    A score of 1e-4 is no log-probability: refused."""
    nll = nn.NLLLoss(reduction="none")
    _check([[5e-7, -20.0], [-20.0, -1e-3]], [0, 1], nll)
    with pytest.raises(UsageError, match=r"^nn\.NLLLoss takes log-probabilities .* but the model's scores reach 0\.0001, "):  # fmt: skip
        _check([[1e-4, -20.0], [-20.0, -1e-3]], [0, 1], nll)


@pytest.mark.parametrize(
    "y_hat",
    [
        [[-0.5, 1.0, 0.5], [1.0, 0.5, -0.5]],  # rows summing to 1, but scores below 0
        [[0.5, 0.45], [0.3, 0.65]],  # in [0, 1], summing to 0.95: no distribution
        [[1.0], [1.0]],  # one output: a row of one 1 says nothing of a softmax
    ],
)
def test_scores_that_are_no_distributions_are_not_warned_of_a_double_softmax(
    y_hat: list[list[float]],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DoubleSoftmaxWarning)
        _check(y_hat, [0, 0], nn.CrossEntropyLoss(reduction="none"))


def test_a_label_equal_to_the_losss_ignore_index_at_q_is_named_as_such() -> None:
    """nn.CrossEntropyLoss(ignore_index=Q) takes a label Q, past the scores, as 0 without a word."""
    loss = nn.CrossEntropyLoss(reduction="none", ignore_index=2)
    assert float(loss(torch.tensor([[0.1, 0.2]]), torch.tensor([2]))) == 0.0  # the premise
    with pytest.raises(UsageError, match=r"^y must hold class indices in \[0, 2\), got 2, the loss's ignore_index: the loss skips such examples"):  # fmt: skip
        _check([[0.1, 0.2], [0.3, 0.4]], [0, 2], loss)


def test_an_inf_loss_on_scores_above_1_is_blamed_on_the_scores_not_an_underflow() -> None:
    """Scores in [0, 5] are no probabilities though none is negative: a score of 0 at the true
    class gives -log(0) = inf, and the fix is a loss on logits, not a clamp of an underflow."""
    with pytest.raises(UsageError, match=r"^the loss is inf on the epoch's first batch .*: the model's scores are no probabilities \(they range over \[0, 5\]\), "):  # fmt: skip
        _check([[0.0, 5.0], [5.0, 0.0]], [0, 0], book_cross_entropy)


def test_a_loss_not_finite_on_some_rows_of_the_softmax_is_its_own_fault() -> None:
    """-log(p - 0.3) is finite where p > 0.3 and NaN elsewhere, on logits and on their softmax
    alike: finite on only part of the softmax is not finite on it."""

    def shifted(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log(y_hat[range(len(y_hat)), y] - 0.3)

    probabilities = torch.softmax(torch.tensor([[5.0, -5.0], [-5.0, 5.0]]), dim=1)
    on_softmax = shifted(probabilities, torch.tensor([0, 0]))
    assert on_softmax[0].isfinite() and on_softmax[1].isnan()  # the premise
    with pytest.raises(UsageError, match=r"^the loss is NaN on the epoch's first batch .*: it is NaN on their softmax too"):  # fmt: skip
        _check([[5.0, -5.0], [-5.0, 5.0]], [0, 0], shifted)


@pytest.mark.parametrize("updater", ["book's sgd", "torch.optim.SGD"])
def test_a_double_softmax_in_a_function_net_is_told_to_drop_its_softmax_not_an_nn_softmax(
    updater: str,
) -> None:
    """The book's §3.6 net, a function calling softmax, has no nn.Softmax to remove."""
    net, params = _function_model(0.01, naive_softmax)
    with pytest.warns(DoubleSoftmaxWarning) as seen:
        _train(net, nn.CrossEntropyLoss(reduction="none"), _updaters(params)[updater])
    (message,) = [str(w.message) for w in seen if w.category is DoubleSoftmaxWarning]
    assert "nn.Softmax" not in message
    assert message.endswith(
        "softmax applied twice trains slowly and to a worse model; the model returns "
        "probabilities (softmax): drop the softmax from net and let the loss apply it, or keep "
        "it and use the book's cross_entropy(y_hat, y), -torch.log(y_hat[range(len(y_hat)), y]), "
        "which takes probabilities (D2L §3.6.4)"
    )
