"""fit and train_epoch called in another order than theirs (the book's train_ch3 order, test_iter
by position, a keyword they lack): one line naming the parameter, the rule and the call to make."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from linearnets.errors import UsageTypeError
from linearnets.models.concise import softmax_concise
from linearnets.training.call_order import told_signature
from linearnets.training.loop import fit, train_epoch

BOOK = r"ln\.fit\(net, train_iter, loss, updater, num_epochs, test_iter=test_iter\)"


@pytest.fixture
def parts() -> tuple[Any, Any, Any, Any]:
    torch.manual_seed(0)
    net = softmax_concise()
    batches = [(torch.randn(16, 784), torch.randint(0, 10, (16,)))]
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    return net, batches, nn.CrossEntropyLoss(reduction="none"), updater


def _weights(net: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def test_fit_in_the_books_train_ch3_order_is_refused_with_the_keyword_call(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, upd = parts
    before = _weights(net)
    with pytest.raises(
        UsageTypeError,
        match=r"^fit takes 5 positional arguments, fit\(net, train_iter, loss, updater, "
        r"num_epochs\), got 6, in the book's train_ch3 order \(net, train_iter, test_iter, loss, "
        rf"num_epochs, updater\); test_iter is keyword-only: call {BOOK}, or d2l\.train_ch3\(",
    ) as info:
        fit(net, it, it, loss, 2, upd)  # type: ignore[arg-type, call-arg, misc]
    assert isinstance(info.value, TypeError) and "\n" not in str(info.value)
    assert all(torch.equal(a, b) for a, b in zip(_weights(net), before, strict=True))


def test_fit_given_test_iter_by_position_is_refused_as_keyword_only(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, upd = parts
    with pytest.raises(
        UsageTypeError,
        match=rf"got 6: the 6th, a list of batches, looks like test_iter, which is keyword-only; "
        rf"call {BOOK}$",
    ):
        fit(net, it, loss, upd, 1, it)  # type: ignore[misc]
    with pytest.raises(UsageTypeError, match=r"got 7; test_iter, train_eval_iter, .* are "):
        fit(net, it, loss, upd, 2, 0, 1)  # type: ignore[misc]


def test_train_epoch_given_a_number_of_epochs_is_refused_with_fit(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, upd = parts
    with pytest.raises(
        UsageTypeError,
        match=r"^train_epoch takes 4 positional arguments, train_epoch\(net, train_iter, loss, "
        r"updater\), got 5: the 5th, 2, looks like num_epochs, but train_epoch trains one epoch; "
        r"call ln\.fit\(net, train_iter, loss, updater, num_epochs\) to train 2 epochs",
    ):
        train_epoch(net, it, loss, upd, 2)  # type: ignore[misc]


def test_fit_with_test_iter_third_and_no_updater_is_refused_as_the_books_order(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, _ = parts
    with pytest.raises(
        UsageTypeError,
        match=r"^loss must be a loss function .*, got a list of batches, which looks like "
        r"test_iter, in the book's train_ch3 order .* without its updater; fit takes test_iter "
        rf"by keyword: call {BOOK}, or d2l\.train_ch3",
    ):
        fit(net, it, it, loss, 2)  # type: ignore[arg-type]
    with pytest.raises(UsageTypeError, match=r"got a list of batches \(and the loss in updater"):
        train_epoch(net, it, it, loss)  # type: ignore[arg-type]


def test_fit_with_updater_and_num_epochs_swapped_is_refused_as_swapped(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, upd = parts
    with pytest.raises(
        UsageTypeError,
        match=r"^updater and num_epochs look swapped: got updater=2 and num_epochs=SGD; pass "
        r"them as fit\(net, train_iter, loss, updater, num_epochs\)$",
    ):
        fit(net, it, loss, 2, upd)  # type: ignore[arg-type]


def test_fit_refuses_a_bad_keyword_with_the_one_it_likely_meant(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, upd = parts
    with pytest.raises(UsageTypeError, match=r"^fit has no parameter 'epochs'; did you mean num_epochs=2\?$"):  # fmt: skip
        fit(net, it, loss, upd, epochs=2)  # type: ignore[call-arg]
    with pytest.raises(
        UsageTypeError,
        match=r"^fit has no parameter 'lr'; the learning rate is the updater's: "
        r"updater=torch\.optim\.SGD\(net\.parameters\(\), lr=0\.1\)$",
    ):
        fit(net, it, loss, upd, 2, lr=0.1)  # type: ignore[call-arg]
    with pytest.raises(UsageTypeError, match=r"^fit has no parameter 'foo'; its parameters are net, train_iter, "):  # fmt: skip
        fit(net, it, loss, upd, 2, foo=1)  # type: ignore[call-arg]
    with pytest.raises(UsageTypeError, match=r"^train_epoch has no parameter 'epochs'; "):
        train_epoch(net, it, loss, upd, epochs=1)  # type: ignore[call-arg]


def test_the_wrapped_functions_keep_their_signature_and_train_as_before(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    net, it, loss, upd = parts
    assert list(inspect.signature(fit).parameters)[:6] == [
        "net", "train_iter", "loss", "updater", "num_epochs", "test_iter",
    ]  # fmt: skip
    assert inspect.signature(fit).parameters["test_iter"].kind is inspect.Parameter.KEYWORD_ONLY
    history = fit(net, it, loss, upd, 1, test_iter=it)
    assert len(history.epochs) == 1 and history.epochs[0].test_acc is not None
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'num_epochs'"):
        fit(net, it, loss, upd)  # type: ignore[call-arg]


def test_told_signature_passes_a_good_call_through_and_refuses_a_bad_one() -> None:
    @told_signature
    def add(a: int, b: int, *, c: int = 0) -> int:
        return a + b + c

    assert add(1, 2, c=3) == 6 and add.__name__ == "add"
    with pytest.raises(UsageTypeError, match=r"^add takes 2 positional arguments, add\(a, b\), got 3; c is keyword-only: pass it by name \(e\.g\. c=\.\.\.\)$"):  # fmt: skip
        add(1, 2, 3)  # type: ignore[misc]


def test_train_epoch_in_the_books_order_with_its_updater_is_refused_as_one_iterator(
    parts: tuple[Any, Any, Any, Any],
) -> None:
    """train_epoch(net, train_iter, test_iter, loss, updater): five arguments, told as the four
    are (a second iterator it does not take), not as keyword-only on_step, dist, ..."""
    net, it, loss, upd = parts
    with pytest.raises(UsageTypeError) as four:
        train_epoch(net, it, it, loss)  # type: ignore[arg-type]
    with pytest.raises(
        UsageTypeError,
        match=r"^loss must be a loss function .*, got a list of batches \(and the loss in "
        r"updater's place\): train_epoch takes one iterator, train_iter; call "
        rf"train_epoch\(net, train_iter, loss, updater\), or {BOOK} to evaluate",
    ) as five:
        train_epoch(net, it, it, loss, upd)  # type: ignore[arg-type, misc]
    assert str(five.value) == str(four.value)


@pytest.mark.parametrize(
    ("start", "shown"),
    [
        (2, "2"),
        (np.int64(2), r"np\.int64\(2\)"),
        (torch.tensor(2), r"a tensor of shape \(\) and dtype torch\.int64"),
    ],
    ids=["int", "numpy", "0-d tensor"],
)
def test_fit_given_start_epoch_by_position_is_refused_as_start_epoch(
    parts: tuple[Any, Any, Any, Any], start: object, shown: str
) -> None:
    """start_epoch takes an int, a NumPy one or a 0-d integer tensor: each told by its name."""
    net, it, loss, upd = parts
    with pytest.raises(
        UsageTypeError,
        match=rf"^fit takes 5 positional arguments, .*got 6: the 6th, {shown}, looks like "
        r"start_epoch \(the epochs already done, when resuming\), which is keyword-only; call "
        r"fit\(net, train_iter, loss, updater, num_epochs, start_epoch=2\)$",
    ):
        fit(net, it, loss, upd, 5, start)  # type: ignore[misc]
