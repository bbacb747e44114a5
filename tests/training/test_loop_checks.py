"""The checks the loop makes once, before any step: fit's arguments and an updater for this model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch import SGD, SoftmaxRegressionScratch
from linearnets.training.callbacks import ConsoleLogger
from linearnets.training.history import History
from linearnets.training.loop import evaluate, fit, train_epoch
from linearnets.training.loop_checks import check_updater_lr, check_updater_params

_X16 = torch.randn(16, 3, generator=torch.Generator().manual_seed(5))
_Y16 = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(6))


class NoUpdate:
    """An updater that never moves the parameters, so every batch sees the same model."""

    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        pass


# --- fit's arguments -----------------------------------------------------------------------------


def test_fit_refuses_a_callback_class_for_an_instance() -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(
        UsageTypeError,
        match=r"callbacks\[1\] must be a callback object, got the class ConsoleLogger; pass an "
        r"instance: ConsoleLogger\(\)",
    ):
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 1,
            callbacks=[ConsoleLogger(progress=False), ConsoleLogger])  # fmt: skip


# --- an updater built for another model ----------------------------------------------------------


UPDATERS_FOR_ANOTHER_MODEL = {
    "torch.optim.SGD": (lambda: nn.Linear(3, 2), lambda other: torch.optim.SGD(other.parameters(), lr=0.1)),
    "scratch SGD": (
        lambda: SoftmaxRegressionScratch(3, 2),
        lambda other: SGD(other.parameters(), lr=0.1),
    ),
    "a model without parameters": (
        lambda: nn.Identity(),
        lambda other: torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", UPDATERS_FOR_ANOTHER_MODEL)
def test_an_updater_built_for_another_model_is_refused(name: str) -> None:
    make_net, make_updater = UPDATERS_FOR_ANOTHER_MODEL[name]
    net = make_net()
    before = [p.detach().clone() for p in net.parameters()]
    updater = make_updater(make_net())
    with pytest.raises(
        UsageError,
        match=r"updater must update the model's parameters, but (none of its \d+ parameters is "
        r"one of net's \d+|net has none): it was built for another model",
    ):
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), updater, 3)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_an_updater_sharing_any_parameter_with_the_model_is_accepted() -> None:
    net = nn.Linear(3, 2)
    extra = torch.zeros(1, requires_grad=True)  # e.g. a learned temperature in the loss
    check_updater_params(net, torch.optim.SGD([*net.parameters(), extra], lr=0.1))
    check_updater_params(net, torch.optim.SGD([net.bias], lr=0.1))
    check_updater_params(lambda X: X, torch.optim.SGD([extra], lr=0.1))  # no parameters() to list
    check_updater_params(net, NoUpdate())  # no param_groups to list


def test_an_updater_of_a_data_parallel_models_module_is_accepted(tmp_path: Path) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    if not dist.is_available() or dist.is_initialized():
        pytest.skip("needs torch.distributed, not already initialised")
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        model = nn.Linear(3, 2)
        ddp = DistributedDataParallel(model)
        check_updater_params(ddp, torch.optim.SGD(model.parameters(), lr=0.1))
        check_updater_params(ddp, torch.optim.SGD(ddp.parameters(), lr=0.1))
        with pytest.raises(UsageError, match=r"updater must update the model's parameters"):
            check_updater_params(ddp, torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1))
    finally:
        dist.destroy_process_group()


def _two_epochs() -> tuple[nn.Module, History]:
    """A model and the History of its first two epochs, for a fit to continue."""
    net = nn.Linear(3, 2)
    return net, fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 2)


class _Starts:
    """A callback recording the start_epoch fit tells it."""

    def __init__(self) -> None:
        self.starts: list[object] = []

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        self.starts.append(start_epoch)


@pytest.mark.parametrize(
    "start_epoch",
    [np.int64(2), np.int32(2), np.array(2), torch.tensor(2), torch.tensor(2, dtype=torch.uint8)],
    ids=["np.int64", "np.int32", "0-d array", "0-d tensor", "0-d uint8 tensor"],
)
def test_fit_takes_a_numpy_or_0d_tensor_start_epoch_as_num_epochs_is_taken(
    start_epoch: Any,
) -> None:
    net, history = _two_epochs()
    seen = _Starts()
    fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), np.int64(3),  # type: ignore[arg-type]
        start_epoch=start_epoch, history=history, callbacks=[seen])  # fmt: skip
    assert [m.epoch for m in history.epochs] == [1, 2, 3]
    assert [type(m.epoch) for m in history.epochs] == [int, int, int]
    assert seen.starts == [2] and type(seen.starts[0]) is int


_TYPE_RULE = (
    "start_epoch must be an integer, the number of epochs already done (a NumPy integer or a 0-d "
    "integer tensor too; not a bool or a float), got "
)
_NEW_OR_CONTINUED = (
    "pass start_epoch=0 for a new run, or start_epoch=len(history.epochs) with history=the "
    "History a previous fit returned, to continue it"
)


@pytest.mark.parametrize(
    ("start_epoch", "got", "fix"),
    [
        (True, "True", _NEW_OR_CONTINUED),
        (1.0, "1.0", "pass start_epoch=1"),
        (np.float64(2.0), "np.float64(2.0)", "pass start_epoch=2"),
        (torch.tensor(1.0), "a tensor of shape () and dtype torch.float32", "pass start_epoch=1"),
        (3.0, "3.0", _NEW_OR_CONTINUED),  # past num_epochs=2: no start_epoch=3 to suggest
        (1.5, "1.5", _NEW_OR_CONTINUED),
        ("1", "'1'", _NEW_OR_CONTINUED),
    ],
    ids=["bool", "whole float", "numpy float", "float tensor", "float past num_epochs", "fraction", "str"],
)  # fmt: skip
def test_a_start_epoch_that_is_not_an_int_is_refused_naming_the_type_rule(
    start_epoch: object, got: str, fix: str
) -> None:
    with pytest.raises(UsageTypeError, match=f"^{re.escape(_TYPE_RULE + got + '; ' + fix)}$"):
        fit(nn.Linear(3, 2), [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 2,
            start_epoch=start_epoch)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("start_epoch", [True, 2.0, 1.5], ids=["bool", "whole float", "fraction"])
def test_a_start_epoch_that_is_not_an_int_is_refused_with_the_one_continuing_history(
    start_epoch: object,
) -> None:
    net, history = _two_epochs()
    with pytest.raises(UsageTypeError) as info:
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 3,
            start_epoch=start_epoch, history=history)  # type: ignore[arg-type]  # fmt: skip
    assert str(info.value) == (
        f"{_TYPE_RULE}{start_epoch}; pass start_epoch=2"
        + ("" if start_epoch == 2.0 else " to continue history, which holds 2 epochs")
    )
    fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 3, start_epoch=2, history=history)
    assert [m.epoch for m in history.epochs] == [1, 2, 3]  # the fix continues it


@pytest.mark.parametrize(
    ("num_epochs", "start_epoch", "fix", "then"),
    [
        (3, 3.0, "pass start_epoch=2 to continue history, which holds 2 epochs", 3),
        (3, np.float64(1.0), "pass start_epoch=2 to continue history, which holds 2 epochs", 3),
        (1, 1.0, "to continue history, which holds 2 epochs, pass start_epoch=2 and num_epochs=3, "
         "the last epoch, for 1 more", 3),
        (1, -1.5, "to continue history, which holds 2 epochs, pass start_epoch=2 and num_epochs=3, "
         "the last epoch, for 1 more", 3),
    ],
    ids=["whole float past history", "numpy float short of history", "history past num_epochs", "fraction"],
)  # fmt: skip
def test_a_whole_float_start_epoch_beside_history_is_told_the_one_history_takes(
    num_epochs: int, start_epoch: object, fix: str, then: int
) -> None:
    """fit(..., 3, start_epoch=2.0, history=h), h of 1 epoch, said "pass start_epoch=2", which the
    history check then refused ("history must hold the start_epoch=2 epochs already done ... pass
    start_epoch=1"): beside a History, the fix is the start_epoch that continues it, and with it a
    num_epochs past its epochs where num_epochs is fewer. The fix then trains."""
    net, history = _two_epochs()
    with pytest.raises(UsageTypeError) as info:
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), num_epochs,
            start_epoch=start_epoch, history=history)  # type: ignore[arg-type]  # fmt: skip
    assert str(info.value) == f"{_TYPE_RULE}{start_epoch!r}; {fix}"
    fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), then, start_epoch=2,
        history=history)  # fmt: skip
    assert [m.epoch for m in history.epochs] == list(range(1, then + 1))  # the fix continues it


def test_the_reported_whole_float_start_epoch_call_is_told_the_call_that_trains() -> None:
    """The review's call: a History of 1 epoch, num_epochs=3, start_epoch=2.0."""
    net = nn.Linear(3, 2)
    history = fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 1)
    with pytest.raises(UsageTypeError) as info:
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 3, start_epoch=2.0,
            history=history)  # type: ignore[arg-type]  # fmt: skip
    assert str(info.value) == (
        f"{_TYPE_RULE}2.0; pass start_epoch=1 to continue history, which holds 1 epoch"
    )
    fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 3, start_epoch=1, history=history)
    assert [m.epoch for m in history.epochs] == [1, 2, 3]


def _range_rule(num_epochs: int, got: int) -> str:
    return (
        f"start_epoch must be in [0, num_epochs={num_epochs}], the number of epochs already done "
        f"(fit runs epochs start_epoch + 1 to num_epochs), got {got}; "
    )


def test_a_start_epoch_past_num_epochs_is_refused_telling_num_epochs_is_the_last() -> None:
    """The book's num_epochs is the last epoch: 3 after 5 done is num_epochs=8, not 3."""
    net = nn.Linear(3, 2)
    with pytest.raises(
        UsageError,
        match="^" + re.escape(_range_rule(3, 5) + "num_epochs is the last epoch to run, not the "
        "number of epochs more: for 3 more after the 5 done pass num_epochs=8") + "$",
    ):  # fmt: skip
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 3, start_epoch=5)
    ran = fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 8, start_epoch=5)
    assert [m.epoch for m in ran.epochs] == [6, 7, 8]


@pytest.mark.parametrize(
    ("num_epochs", "start_epoch", "fix", "then"),
    [
        (3, 5, "to continue history, which holds 2 epochs, pass start_epoch=2", 3),
        (2, 3, "to continue history, which holds 2 epochs, pass start_epoch=2 and num_epochs=4, "
         "the last epoch, for 2 more", 4),
        (3, -1, "pass start_epoch=2 to continue history, which holds 2 epochs", 3),
    ],
    ids=["past num_epochs", "past num_epochs and history", "negative"],
)  # fmt: skip
def test_a_start_epoch_out_of_range_is_refused_with_the_one_continuing_history(
    num_epochs: int, start_epoch: int, fix: str, then: int
) -> None:
    net, history = _two_epochs()
    with pytest.raises(
        UsageError, match="^" + re.escape(_range_rule(num_epochs, start_epoch) + fix) + "$"
    ):
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), num_epochs,
            start_epoch=start_epoch, history=history)  # fmt: skip
    fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), then, start_epoch=2,
        history=history)  # fmt: skip
    assert [m.epoch for m in history.epochs] == list(range(1, then + 1))  # the fix continues it


def test_a_negative_start_epoch_without_history_is_refused_telling_to_start_at_0() -> None:
    with pytest.raises(
        UsageError, match="^" + re.escape(_range_rule(2, -1) + _NEW_OR_CONTINUED) + "$"
    ):
        fit(nn.Linear(3, 2), [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 2, start_epoch=-1)


class _Logger:
    def on_epoch_end(self, metrics: object) -> None:
        pass


@pytest.mark.parametrize(
    ("callbacks", "got"),
    [("logger", "str"), (_Logger(), "_Logger"), ({_Logger()}, "set"), (iter([_Logger()]), "list_iterator")],
    ids=["str", "one-object", "set", "iterator"],
)  # fmt: skip
def test_fit_refuses_callbacks_that_are_not_a_list(callbacks: object, got: str) -> None:
    with pytest.raises(
        UsageTypeError,
        match=rf"^callbacks must be a list of callback objects, got {got}; pass e.g. "
        r"callbacks=\[ConsoleLogger\(\)\]$",
    ):
        fit(nn.Linear(3, 2), [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 1,
            callbacks=callbacks)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("history", [[], {"epochs": []}], ids=["list", "dict"])
def test_fit_refuses_a_history_that_is_not_a_history(history: object) -> None:
    with pytest.raises(
        UsageTypeError,
        match=rf"^history must be the History of the epochs so far, got {type(history).__name__};",
    ):
        fit(nn.Linear(3, 2), [(_X16, _Y16)], nn.CrossEntropyLoss(), NoUpdate(), 1,
            history=history)  # type: ignore[arg-type]  # fmt: skip


class _Groups:
    """An updater whose param_groups are not torch's layout: nothing to compare against."""

    def __init__(self, groups: object) -> None:
        self.param_groups = groups

    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        pass


@pytest.mark.parametrize(
    "groups",
    [[{"lr": 0.1}], ["params"], [None], 3, [{"params": []}]],
    ids=["no-params-key", "str-group", "none-group", "not-iterable", "empty-group"],
)
def test_param_groups_of_another_layout_or_empty_are_not_compared(groups: object) -> None:
    check_updater_params(nn.Linear(3, 2), _Groups(groups))


@pytest.mark.parametrize(
    ("net", "held"),
    [
        (nn.Linear(3, 2), "none of its 2 parameters is one of net's 2"),  # weight and bias each
        (nn.Identity(), "net has none"),
    ],
    ids=["another-model", "no-parameters"],
)
def test_an_updater_for_another_model_says_how_many_parameters_each_holds(
    net: nn.Module, held: str
) -> None:
    with pytest.raises(
        UsageError, match=rf"^updater must update the model's parameters, but {held}: "
    ):
        check_updater_params(net, torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1))


# --- batches that cannot last every epoch, and classes passed for objects -------------------------


def _pairs() -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(_X16[:8], _Y16[:8]), (_X16[8:], _Y16[8:])]


@pytest.mark.parametrize("name", ["train_iter", "test_iter", "train_eval_iter"])
def test_fit_refuses_a_generator_it_would_need_again_before_training(name: str) -> None:
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    iters = {"train_iter": _pairs(), "test_iter": _pairs(), "train_eval_iter": None}
    iters[name] = (batch for batch in _pairs())  # a one-shot generator
    with pytest.raises(
        UsageTypeError,
        match=rf"{name} must give its batches again in every epoch, got a one-shot generator .*"
        r"for 2 epochs; pass a DataLoader, a list of \(X, y\) pairs",
    ):
        fit(
            net,
            iters["train_iter"],
            nn.CrossEntropyLoss(reduction="none"),
            torch.optim.SGD(net.parameters(), lr=0.1),
            2,
            test_iter=iters["test_iter"],
            train_eval_iter=iters["train_eval_iter"],
        )
    # refused before any step: the first epoch's work is not trained and then lost
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


class _Restarting:
    """A learner's batch iterator, the textbook Python iterator class: __iter__ starts again
    (self.i = 0) and returns self, so each epoch's `for` loop gets every batch, as the book's
    train_ch3 loop would."""

    def __init__(self, pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.pairs, self.i = pairs, 0

    def __iter__(self) -> _Restarting:
        self.i = 0
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.i == len(self.pairs):
            raise StopIteration
        self.i += 1
        return self.pairs[self.i - 1]


def test_an_iterator_class_that_starts_again_in_its_iter_serves_every_epoch() -> None:
    """It is an Iterator (it has __next__), and was refused as a one-shot one for 2 epochs. The
    oracle: the same fit over a list of the same batches."""
    histories, weights = [], []
    for batches in (_Restarting(_pairs()), _pairs()):
        torch.manual_seed(0)
        net = nn.Linear(3, 2)
        loss = nn.CrossEntropyLoss(reduction="none")
        updater = torch.optim.SGD(net.parameters(), lr=0.1)
        histories.append(fit(net, batches, loss, updater, 2, test_iter=batches))
        weights.append(net.weight.detach())
    assert [m.train_loss for m in histories[0].epochs] == histories[1].train_loss
    assert histories[0].test_acc == histories[1].test_acc
    assert torch.equal(weights[0], weights[1])


def test_an_iterator_whose_iter_only_returns_itself_is_refused_and_one_doing_more_is_named_later() -> (
    None
):
    """An __iter__ that only returns self (its own, collections.abc.Iterator's, a DataLoader's
    iterator's) surely yields once: refused before any step. One that does more may start again:
    if it does not, the second epoch, finding no batch, names it."""
    from collections.abc import Iterator

    class Once:
        def __init__(self) -> None:
            self.it = iter(_pairs())

        def __iter__(self) -> Once:
            return self

        def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
            return next(self.it)

    class OnceAbc(Iterator[tuple[torch.Tensor, torch.Tensor]]):
        def __init__(self) -> None:
            self.it = iter(_pairs())

        def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
            return next(self.it)

    class OnceCounted(Once):
        def __iter__(self) -> OnceCounted:
            self.passes = getattr(self, "passes", 0) + 1
            return self

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_X16, _Y16), batch_size=8)
    net = nn.Linear(3, 2)
    loss, updater = nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1)
    for batches in (Once(), OnceAbc(), iter(loader)):
        with pytest.raises(UsageTypeError, match=rf"^train_iter must give its batches again in every epoch, got a one-shot {type(batches).__name__}"):  # fmt: skip
            fit(net, batches, loss, updater, 2)
    with pytest.raises(UsageError, match=r"^train_iter must yield at least one example, got none; .*used up by an earlier pass"):  # fmt: skip
        fit(net, OnceCounted(), loss, updater, 2)


def test_a_generator_serves_one_epoch_and_the_last_epoch_of_a_resumed_run() -> None:
    net = nn.Linear(3, 2)
    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)
    history = fit(net, iter(_pairs()), loss, updater, 1, test_iter=iter(_pairs()))
    assert len(history.epochs) == 1 and history.test_acc[0] is not None
    for last in (2, 3):  # resumed for its last epoch, each time from the history so far
        history = fit(
            net, iter(_pairs()), loss, updater, last, start_epoch=last - 1, history=history
        )
    assert [m.epoch for m in history.epochs] == [1, 2, 3]


def test_fit_tells_to_call_a_function_passed_for_its_batches() -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(
        UsageTypeError,
        match=r"train_iter must be an iterable of \(X, y\) batches, got function; call it to get "
        r"the batches, or pass a DataLoader",
    ):
        fit(net, _pairs, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["test_iter", "train_eval_iter"])
def test_fit_names_the_evaluation_iterator_that_yields_nothing(name: str) -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(UsageError, match=rf"^{name} must yield at least one example, got none"):
        fit(
            net,
            _pairs(),
            nn.CrossEntropyLoss(reduction="none"),
            torch.optim.SGD(net.parameters(), lr=0.1),
            1,
            **{name: []},
        )


_DROPPED = (
    "{name} must yield at least one example, got none: its DataLoader has drop_last=True, and "
    "its dataset holds 16 example(s), fewer than batch_size=32: the one incomplete batch is "
    "dropped; pass drop_last=False{every}, or a batch_size of at most 16"
)


class _Calls(ConsoleLogger):
    """A callback that records the hooks fit called."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def on_fit_start(self, **kwargs: Any) -> None:
        self.calls.append("on_fit_start")

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        self.calls.append("on_batch_end")


@pytest.mark.parametrize("name", ["train_iter", "test_iter", "train_eval_iter"])
def test_a_loader_that_drop_last_leaves_empty_is_refused_before_training_naming_why(
    name: str,
) -> None:
    """A whole epoch was trained, then refused ("check the dataset is not empty ... no generator
    or iterator used up"), the epoch's metrics lost and drop_last, the cause, not named."""
    net = nn.Linear(3, 2)
    before = net.weight.detach().clone()
    dropped = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(_X16, _Y16), batch_size=32, drop_last=True
    )
    iters = {"train_iter": _pairs(), name: dropped}
    every = "" if name == "train_iter" else " (an evaluation should see every example)"
    calls = _Calls()
    with pytest.raises(UsageError) as caught:
        fit(
            net,
            iters.pop("train_iter"),
            nn.CrossEntropyLoss(),
            torch.optim.SGD(net.parameters(), lr=0.1),
            2,
            callbacks=[calls],
            **iters,
        )
    assert str(caught.value) == _DROPPED.format(name=name, every=every)
    assert calls.calls == [] and torch.equal(net.weight, before)
    with pytest.raises(UsageError) as caught:
        evaluate(net, dropped, nn.CrossEntropyLoss())
    every = " (an evaluation should see every example)"
    assert str(caught.value) == _DROPPED.format(name="data_iter", every=every)


@pytest.mark.parametrize(
    ("batches", "said"),
    [
        ([], "it is an empty list; pass the (X, y) batches, e.g. a DataLoader of a non-empty "
             "dataset or load_array((X, y), batch_size)"),
        (torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_X16[:0], _Y16[:0]), 4),
         "its DataLoader's dataset (TensorDataset) holds no example; check the data it is built "
         "from (an empty file, a filter that kept nothing)"),
        (torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_X16, _Y16), 4, sampler=[]),
         "its DataLoader's sampler (list) gives no index, though its dataset holds 16 "
         "example(s); check the sampler"),
        # the sampler's 5 indices, not the dataset's 16, are what drop_last drops: it was told the
        # sampler "gives no index"
        (torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(_X16, _Y16), batch_size=10, drop_last=True,
            sampler=torch.utils.data.SubsetRandomSampler(range(5)),
        ),
         "its DataLoader has drop_last=True, and its sampler (SubsetRandomSampler) gives 5 "
         "index(es), fewer than batch_size=10: the one incomplete batch is dropped; pass "
         "drop_last=False (an evaluation should see every example), or a batch_size of at most 5"),
        (torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(_X16, _Y16), batch_sampler=[],
        ),
         "its DataLoader's batch_sampler (list) gives no batch, though its dataset holds 16 "
         "example(s); check the batch_sampler"),
    ],
    ids=["list", "empty dataset", "empty sampler", "sampler short of a batch", "batch_sampler"],
)  # fmt: skip
def test_a_test_iter_that_len_says_is_empty_is_refused_before_training(
    batches: Any, said: str
) -> None:
    net = nn.Linear(3, 2)
    calls = _Calls()
    with pytest.raises(UsageError) as caught:
        fit(
            net,
            _pairs(),
            nn.CrossEntropyLoss(),
            NoUpdate(),
            1,
            test_iter=batches,
            callbacks=[calls],
        )
    assert str(caught.value) == f"test_iter must yield at least one example, got none: {said}"
    assert calls.calls == []


def test_an_empty_iterable_without_len_is_still_refused_after_its_pass() -> None:
    net = nn.Linear(3, 2)
    calls = _Calls()
    with pytest.raises(UsageError, match=r"^test_iter must yield at least one example, got none; check the dataset is not empty"):  # fmt: skip
        fit(
            net,
            _pairs(),
            nn.CrossEntropyLoss(),
            NoUpdate(),
            1,
            test_iter=iter([]),
            callbacks=[calls],
        )
    assert "on_batch_end" in calls.calls


def test_a_loss_class_passed_for_a_loss_is_refused_by_fit_and_evaluate() -> None:
    net = nn.Linear(3, 2)
    pattern = (
        r"loss must be a loss function or object, got the class CrossEntropyLoss; pass an "
        r"instance: CrossEntropyLoss\(reduction='none'\)"
    )
    with pytest.raises(UsageTypeError, match=pattern):
        fit(net, _pairs(), nn.CrossEntropyLoss, torch.optim.SGD(net.parameters(), lr=0.1), 1)  # type: ignore[arg-type]
    with pytest.raises(UsageTypeError, match=pattern):
        evaluate(net, _pairs(), nn.CrossEntropyLoss)  # type: ignore[arg-type]


def test_a_loss_and_an_optimizer_in_each_others_place_are_named_as_swapped() -> None:
    """fit(net, it, trainer, loss, 1) once failed at the first batch: 'SGD' object is not callable."""
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    trainer, loss = torch.optim.SGD(net.parameters(), lr=0.1), nn.CrossEntropyLoss()
    with pytest.raises(
        UsageTypeError,
        match=r"^loss must be a loss function or object called as loss\(y_hat, y\), got the "
        r"optimizer SGD, and updater is CrossEntropyLoss: the two are swapped; pass them as "
        r"fit\(net, train_iter, loss, updater, num_epochs\)$",
    ):
        fit(net, _pairs(), trainer, loss, 1)  # type: ignore[arg-type]
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_an_optimizer_for_the_loss_beside_a_function_updater_is_named_not_called_swapped() -> None:
    """Swapping them as told would fail: the book's updater(batch_size) cannot be a loss."""
    from linearnets import d2l

    net = nn.Linear(3, 2)
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    pattern = (
        r"^loss must be a loss function or object called as loss\(y_hat, y\), got the optimizer "
        r"SGD; pass e\.g\. nn\.CrossEntropyLoss\(reduction='none'\)"
    )
    with pytest.raises(UsageTypeError, match=pattern):
        d2l.train_epoch_ch3(net, _pairs(), trainer, lambda batch_size: None)
    with pytest.raises(UsageTypeError, match=pattern):
        evaluate(net, _pairs(), trainer)  # one line, not the optimizer's repr


@pytest.mark.parametrize(
    ("loss", "shown"),
    [(None, "None"), ("cross_entropy", "'cross_entropy'"), (3, "3")],
)
def test_a_loss_that_cannot_be_called_is_refused_by_fit_train_epoch_and_evaluate(
    loss: object, shown: str
) -> None:
    net = nn.Linear(3, 2)
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    pattern = (
        r"^loss must be a loss function or object called as loss\(y_hat, y\), got "
        rf"{re.escape(shown)}; pass e\.g\. nn\.CrossEntropyLoss\(reduction='none'\)"
    )
    with pytest.raises(UsageTypeError, match=pattern):
        fit(net, _pairs(), loss, trainer, 1)  # type: ignore[arg-type]
    with pytest.raises(UsageTypeError, match=pattern):
        train_epoch(net, _pairs(), loss, trainer)  # type: ignore[arg-type]
    if loss is not None:  # evaluate(net, data_iter, None) asks for accuracy alone
        with pytest.raises(UsageTypeError, match=pattern):
            evaluate(net, _pairs(), loss)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [torch.optim.SGD, SGD])
def test_an_optimizer_class_passed_for_an_optimizer_is_refused(cls: type) -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(
        UsageTypeError,
        match=rf"updater must be an optimizer object, got the class {cls.__name__}; build it for "
        rf"the model's parameters: {cls.__name__}\(net\.parameters\(\), lr=0\.1\)",
    ):
        fit(net, _pairs(), nn.CrossEntropyLoss(reduction="none"), cls, 1)


def _fit_with(callbacks: list[object], net: nn.Module | None = None, **kwargs: Any) -> Any:
    net = net if net is not None else nn.Linear(3, 2)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    return fit(
        net, [(_X16, _Y16)], nn.CrossEntropyLoss(), updater, 2, callbacks=callbacks, **kwargs
    )


# --- a history that does not match start_epoch ---------------------------------------------------


def test_a_history_of_other_epochs_than_start_epoch_is_refused_naming_both() -> None:
    net = nn.Linear(3, 2)
    history = _fit_with([], net)
    assert [m.epoch for m in history.epochs] == [1, 2]
    with pytest.raises(
        UsageError,
        match=r"^history must hold the start_epoch=0 epochs already done, got a History of 2 "
        r"epochs; to continue it pass start_epoch=2 \(and num_epochs=4, the last epoch, for 2 "
        r"more\), or leave history out for a new one$",
    ):
        _fit_with([], net, history=history)  # "2 more epochs" without start_epoch: [1, 2, 1, 2]
    with pytest.raises(UsageError, match=r"start_epoch=1 epochs already done, got a History of 0"):
        _fit_with([], net, history=History(), start_epoch=1)  # epochs [2] alone
    one = History(epochs=history.epochs[:1])
    with pytest.raises(
        UsageError,
        match=r"^history must hold the start_epoch=0 epochs already done, got a History of 1 "
        r"epoch; to continue it pass start_epoch=1 \(and num_epochs=3, the last epoch, for 2 "
        r"more\), or leave history out for a new one$",
    ):
        _fit_with([], net, history=one)  # one epoch, in the singular
    assert [m.epoch for m in history.epochs] == [1, 2]  # left as it was
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    resumed = fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), updater, 4, start_epoch=2,
                  history=history)  # fmt: skip
    assert resumed is history and [m.epoch for m in history.epochs] == [1, 2, 3, 4]


# --- grad mode and inference tensors -------------------------------------------------------------


def _grad_off() -> Any:
    return torch.set_grad_enabled(False)


@pytest.mark.parametrize(
    ("mode", "where"),
    [
        (torch.no_grad, r"inside torch\.no_grad\(\), or after torch\.set_grad_enabled\(False\)"),
        (_grad_off, r"inside torch\.no_grad\(\), or after torch\.set_grad_enabled\(False\)"),
        (torch.inference_mode, r"inside torch\.inference_mode\(\)"),
    ],
    ids=["no_grad", "set_grad_enabled", "inference_mode"],
)
def test_fit_with_gradients_disabled_blames_the_calling_code_not_the_loss(
    mode: Any, where: str
) -> None:
    """torch records no graph with grad mode off, so backward fails whatever the loss is."""
    net = nn.Linear(3, 2)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(UsageError) as info, mode():
        fit(net, _pairs(), nn.CrossEntropyLoss(reduction="none"), updater, 1)
    message = str(info.value)
    assert re.search(
        rf"gradients are disabled in the calling code .*training was called {where}", message
    )
    assert "torch.set_grad_enabled(True)" in message
    assert "compute the loss with torch operations" not in message


@pytest.mark.parametrize(
    "mode", [torch.no_grad, torch.inference_mode], ids=["no_grad", "inference"]
)
def test_an_analytic_model_trains_as_well_with_gradients_disabled(mode: Any) -> None:
    """It needs no autograd: the same steps as with grad mode on, so it is not refused."""
    nets = [SoftmaxRegressionScratch(3, 2, analytic=True) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    losses = []
    for i, net in enumerate(nets):
        with mode() if i else torch.enable_grad():
            history = fit(net, _pairs(), net.analytic_loss, SGD(net.parameters(), lr=0.5), 2)
        losses.append([m.train_loss for m in history.epochs])
    assert losses[0] == losses[1]
    assert all(torch.equal(a, b) for a, b in zip(*(n.parameters() for n in nets), strict=True))


@pytest.mark.parametrize("analytic", [False, True])
def test_a_model_built_in_inference_mode_is_refused_before_any_step(analytic: bool) -> None:
    """Its parameters are inference tensors, which torch lets no update change outside that mode."""
    with torch.inference_mode():
        net = SoftmaxRegressionScratch(3, 2, analytic=analytic)
    calls = []

    class Counting(NoUpdate):
        def zero_grad(self) -> None:
            calls.append("zero_grad")

    with pytest.raises(
        UsageError,
        match=r"the model's parameters were created under torch\.inference_mode\(\).*build the "
        r"model outside torch\.inference_mode\(\)",
    ):
        fit(net, _pairs(), net.analytic_loss, Counting(), 1)
    assert calls == []


def test_a_model_built_in_inference_mode_may_train_analytically_inside_it() -> None:
    """Inside inference mode torch allows the in-place updates: nothing to refuse."""
    with torch.inference_mode():
        net = SoftmaxRegressionScratch(3, 2, analytic=True)
        before = net.W.clone()
        fit(net, _pairs(), net.analytic_loss, SGD(net.parameters(), lr=0.5), 1)
        assert not torch.equal(before, net.W)


# --- a model on the meta device ------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: SoftmaxRegressionScratch(3, 2),
        lambda: SoftmaxRegressionScratch(3, 2, analytic=True),
        lambda: nn.Linear(3, 2),
    ],
    ids=["scratch", "analytic", "concise"],
)
@pytest.mark.parametrize("data", ["cpu", "meta"])
def test_a_model_on_the_meta_device_is_refused_before_any_step(build: Any, data: str) -> None:
    """Shapes without values train nothing: one refusal naming net, not torch's ".item() cannot be
    called on meta tensors" after a whole epoch (meta data) or a device error (CPU data)."""
    net = build().to("meta")
    calls = []

    class Counting(NoUpdate):
        def zero_grad(self) -> None:
            calls.append("zero_grad")

    pairs = [(X.to(data), y.to(data)) for X, y in _pairs()]
    with pytest.raises(
        UsageError,
        match=r"^net's parameters must hold values, got a parameter of shape \((3, 2|2, 3)\) on "
        r"the meta device \(a shape without data, which computes nothing to count\); build the "
        r"model on the CPU or a GPU \(an nn\.Module built on meta gets its values with "
        r"net\.to_empty\(device='cpu'\) and then net\.load_state_dict\(\.\.\.\)\)$",
    ):
        fit(net, pairs, nn.CrossEntropyLoss(reduction="none"), Counting(), 1)
    assert calls == []


def test_the_meta_refusal_names_a_fix_that_trains() -> None:
    """The message's nn.Module fix: to_empty, then load_state_dict, and fit then trains."""
    net = nn.Linear(3, 2, device="meta")
    net.to_empty(device="cpu").load_state_dict(nn.Linear(3, 2).state_dict())
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    history = fit(net, _pairs(), nn.CrossEntropyLoss(reduction="none"), updater, 1)
    assert len(history.epochs) == 1


def test_check_net_passes_models_it_cannot_list() -> None:
    from linearnets.training.loop_checks import check_net

    check_net(lambda X: X)  # a function: no parameters() to look at
    check_net(nn.Linear(3, 2))
    with pytest.raises(UsageError, match=r"^net's parameters must hold values"):
        check_net(nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2, device="meta")))


def _dataset() -> torch.utils.data.TensorDataset:
    return torch.utils.data.TensorDataset(_X16, _Y16)


@pytest.mark.parametrize(
    ("name", "call", "fix"),
    [
        (
            "train_iter",
            lambda net, data: fit(net, data, nn.CrossEntropyLoss(reduction="none"), NoUpdate(), 1),
            r"DataLoader\(dataset, batch_size, shuffle=True\)$",
        ),
        (
            "test_iter",
            lambda net, data: fit(
                net, _pairs(), nn.CrossEntropyLoss(reduction="none"), NoUpdate(), 1, test_iter=data
            ),
            r"DataLoader\(dataset, batch_size\)$",
        ),
        ("data_iter", lambda net, data: evaluate(net, data), r"DataLoader\(dataset, batch_size\)$"),
    ],
)
def test_a_dataset_for_batches_is_told_to_take_a_dataloader(name: str, call: Any, fix: str) -> None:
    """The book's §3.5 mnist_train passed straight to training: one example at a time, not batches."""
    with pytest.raises(
        UsageTypeError,
        match=rf"^{name} must yield \(X, y\) batches, got the dataset TensorDataset, which gives "
        r"one \(X, y\) example at a time; wrap it in a DataLoader: torch\.utils\.data\." + fix,
    ):
        call(nn.Linear(3, 2), _dataset())


def test_a_dataloader_and_an_iterable_dataset_are_batches() -> None:
    """Only a map-style dataset is refused: a DataLoader over it, or an IterableDataset of batches,
    trains."""

    class Batches(torch.utils.data.IterableDataset):  # type: ignore[type-arg]
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(_pairs())

    net = nn.Linear(3, 2)
    loader = torch.utils.data.DataLoader(_dataset(), batch_size=8)
    for data in (loader, Batches()):
        _, acc = evaluate(net, data)
        expected = float((net(_X16).argmax(1) == _Y16).float().mean())
        assert acc == pytest.approx(expected)


def test_a_lazy_module_trains_as_in_a_hand_loop() -> None:
    """The parameter check asked the uninitialised parameters of nn.LazyLinear whether they were
    inference tensors, and torch raised inside it; a hand loop trains the same model."""
    batches = [(_X16[:8], _Y16[:8]), (_X16[8:], _Y16[8:])]
    torch.manual_seed(3)
    ours = nn.Sequential(nn.LazyLinear(2))
    fit(ours, batches, nn.CrossEntropyLoss(), torch.optim.SGD(ours.parameters(), lr=0.5), 2)
    torch.manual_seed(3)
    theirs = nn.Sequential(nn.LazyLinear(2))
    opt = torch.optim.SGD(theirs.parameters(), lr=0.5)
    for _ in range(2):
        for X, y in batches:
            opt.zero_grad()
            nn.functional.cross_entropy(theirs(X), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)


class _Hooks:
    """A callback that records every hook fit calls on it."""

    def __init__(self) -> None:
        self.called: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.called.append(name)


def _book_sgd(net: nn.Module) -> Any:
    from linearnets import d2l

    return lambda batch_size: d2l.sgd(list(net.parameters()), 0.1, batch_size)


@pytest.mark.parametrize(
    ("make_updater", "error", "message"),
    [
        (
            _book_sgd,
            UsageTypeError,
            r"^updater must have zero_grad\(\) and step\(\), e\.g\. torch\.optim\.SGD or "
            r"linearnets\.SGD, got function; the book's function updater\(batch_size\) runs with "
            r"linearnets\.d2l\.train_epoch_ch3$",
        ),
        (
            lambda net: torch.optim.LBFGS(net.parameters()),
            UsageError,
            r"^updater must take step\(\) without arguments, as the loop calls it after its own "
            r"backward, got LBFGS, whose step\(closure\) re-evaluates the loss itself",
        ),
        (
            lambda net: torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1),
            UsageError,
            r"^updater must update the model's parameters, but none of its 2 parameters is one "
            r"of net's 2",
        ),
    ],
    ids=["book-function", "lbfgs", "another-model"],
)
def test_fit_refuses_an_updater_before_any_callback_runs(
    tmp_path: Path, make_updater: Any, error: type[Exception], message: str
) -> None:
    """The updater was refused inside the first epoch, after the callbacks' on_fit_start and
    on_epoch_start had run: MetricsWriter had written its files, a logger its header. It is
    refused before them now, as the model is."""
    from linearnets.training.callbacks import MetricsWriter

    net = nn.Linear(3, 2)
    hooks = _Hooks()
    with pytest.raises(error, match=message):
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), make_updater(net), 1,
            callbacks=[hooks, MetricsWriter(tmp_path)])  # fmt: skip
    assert hooks.called == []
    assert list(tmp_path.iterdir()) == []
    assert net.weight.grad is None  # no step either


def test_an_optimizer_whose_step_needs_a_closure_is_refused_before_any_step() -> None:
    """LBFGS.step(closure) failed inside torch after a forward and backward had run. The fix the
    message gives is run as written: its closure once was ``lambda: loss_of(net)``, which computes
    no gradient, so LBFGS found a zero gradient and left the model as it was."""
    net = nn.Linear(3, 2)
    fix = (
        "def closure(): updater.zero_grad(); l = loss(net(X), y).mean(); l.backward(); return l, "
        "then updater.step(closure) for each batch (X, y)"
    )
    with pytest.raises(
        UsageError,
        match=r"^updater must take step\(\) without arguments, as the loop calls it after its own "
        r"backward, got LBFGS, whose step\(closure\) re-evaluates the loss itself; train with",
    ) as info:
        fit(net, [(_X16, _Y16)], nn.CrossEntropyLoss(), torch.optim.LBFGS(net.parameters()), 1)
    assert net.weight.grad is None  # nothing ran
    assert str(info.value).endswith(
        "or step this one in a loop of your own with a closure that computes the loss and its "
        f"gradient: {fix}"
    )
    updater, loss, X, y = torch.optim.LBFGS(net.parameters()), nn.CrossEntropyLoss(), _X16, _Y16
    with torch.no_grad():
        before = float(loss(net(X), y))
    closure_code, step_code = fix.removesuffix(" for each batch (X, y)").split(", then ")
    scope = {"updater": updater, "loss": loss, "net": net, "X": X, "y": y}
    exec(closure_code.replace("; ", "\n    ").replace(": ", ":\n    ", 1), scope)
    exec(step_code, scope)
    with torch.no_grad():
        assert float(loss(net(X), y)) < before - 1e-3  # the fix trains


@pytest.mark.parametrize(
    "loss",
    [nn.CrossEntropyLoss(), nn.CrossEntropyLoss(reduction="none"), nn.functional.cross_entropy],
    ids=["mean", "none", "F.cross_entropy"],
)
def test_labels_the_loss_would_ignore_are_refused_before_the_update_naming_ignore_index(
    loss: Any,
) -> None:
    """torch's losses skip the label -100 (their ignore_index) without a word; the epoch's totals
    then refused it as out of range, after the weights had changed."""
    net = nn.Linear(3, 2)
    before = net.weight.detach().clone()
    y = torch.where(_Y16 == 0, -100, _Y16)
    with pytest.raises(
        UsageError,
        match=r"^y must hold class indices in \[0, 2\), got -100, the loss's ignore_index: the "
        r"loss skips such examples, but the loop's loss and accuracy count every example, so none "
        r"can be ignored; drop them from the data \(keep = y != -100; X, y = X\[keep\], y\[keep\]\)$",
    ):
        fit(net, [(_X16, y)], loss, torch.optim.SGD(net.parameters(), lr=1.0), 1)
    assert torch.equal(net.weight, before)
    with pytest.raises(UsageError, match=r"got -100, the loss's ignore_index"):
        evaluate(net, [(_X16, y)], loss)  # no step: the totals say it


@pytest.mark.parametrize(
    "reduction", ["mean", "none", "partial", "partial np.int64", "partial tensor"]
)
def test_an_ignore_index_that_is_a_class_is_refused_before_the_update(reduction: str) -> None:
    """nn.CrossEntropyLoss(ignore_index=0) skipped class 0's examples while the loop counted
    every example: fit reported 1.0596 where torch's mean over the kept examples was 1.0902. So
    did functools.partial(F.cross_entropy, ignore_index=0), the functional form; given as
    np.int64(0) or torch.tensor(0), which torch skips alike, it was taken silently."""
    import functools

    net = nn.Linear(3, 2)
    before = net.weight.detach().clone()
    index = {"partial np.int64": np.int64(0), "partial tensor": torch.tensor(0)}.get(reduction, 0)
    loss: Any = (
        functools.partial(nn.functional.cross_entropy, ignore_index=index)
        if reduction.startswith("partial")
        else nn.CrossEntropyLoss(ignore_index=0, reduction=reduction)
    )
    message = (
        r"^the loss's ignore_index must lie outside the classes \[0, 2\) \(torch's default is "
        r"-100\), got ignore_index=0: the loss skips that class's examples, but the loop's loss "
        r"and accuracy count every example; leave ignore_index out and drop them from the data "
        r"instead \(keep = y != 0; X, y = X\[keep\], y\[keep\]\)$"
    )
    with pytest.raises(UsageError, match=message):
        fit(net, [(_X16, _Y16)], loss, torch.optim.SGD(net.parameters(), lr=1.0), 1)
    assert torch.equal(net.weight, before)
    with pytest.raises(UsageError, match=message):
        evaluate(net, [(_X16, _Y16)], loss)  # no step: the totals say it


def test_an_ignore_index_outside_the_classes_trains_as_torch_counts_it() -> None:
    net = nn.Linear(3, 2)
    loss = nn.CrossEntropyLoss(ignore_index=2)
    with torch.no_grad():
        expected = float(nn.functional.cross_entropy(net(_X16), _Y16))  # the oracle: torch's mean
    assert evaluate(net, [(_X16, _Y16)], loss)[0] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("scratch", [False, True], ids=["torch.optim.SGD", "scratch SGD"])
@pytest.mark.parametrize("call", ["fit", "train_epoch"])
def test_an_lr_past_what_the_weights_dtype_holds_is_named_before_any_step(
    scratch: bool, call: str
) -> None:
    """lr 1e300 on float32 weights: torch failed at the first step, after its forward and backward,
    with "value cannot be converted to type float without overflow"; the float32 limit (3.4e38,
    torch.finfo) is named now, the weights untouched. Float64 weights hold 1e300: no refusal."""
    net = SoftmaxRegressionScratch(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    largest = torch.finfo(torch.float32).max
    if scratch:
        # the scratch SGD refuses such an lr when made; one set past it into its param_groups
        # (as a scheduler does) is still named by the loop before any step
        with pytest.raises(
            UsageError, match=r"^lr must be a number from about 1\.18e-38 .* to 3\.40+2823\d*e\+38 "
        ):
            SGD(list(net.parameters()), lr=1e300)
        updater: Any = SGD(list(net.parameters()), lr=0.1)
        updater.param_groups[0]["lr"] = 1e300
    else:
        updater = torch.optim.SGD(net.parameters(), lr=1e300)
    loss = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(UsageError) as info:
        if call == "fit":
            fit(net, _pairs(), loss, updater, 1)
        else:
            train_epoch(net, _pairs(), loss, updater)
    assert str(info.value) == (
        f"updater's lr must be at most {largest:.4g}, the largest torch.float32 value its "
        "parameters hold, got lr=1e+300; pass a far smaller lr (the book's is 0.1)"
    )
    assert all(torch.equal(p, b) for p, b in zip(net.parameters(), before, strict=True))
    # float64 weights hold 1e300, and float32 ones the largest float32 lr: both pass the check
    # (what their steps then do is the divergence guard's to judge)
    W = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    check_updater_lr(torch.optim.SGD([W], lr=1e300))
    check_updater_lr(torch.optim.SGD(net.parameters(), lr=float(largest)))
    # an infinite lr converts to float without torch's overflow error: also the guard's to judge
    check_updater_lr(torch.optim.SGD(net.parameters(), lr=float("inf")))
    # an integer tensor among the groups (a counter) has no float range to exceed: skipped, not
    # torch.finfo's TypeError
    counter = torch.zeros(1, dtype=torch.int64)
    check_updater_lr(torch.optim.SGD([{"params": [counter], "lr": 1e300}], lr=0.1))


def test_the_scratch_sgd_on_float16_weights_takes_the_lrs_float32_holds() -> None:
    """fit refused ln.SGD(params, 7e4) on a float16 model ("at most 6.55e+04, the largest
    torch.float16 value its parameters hold"), though the scratch SGD steps it, as sgd does, by the
    grad times lr in float32; torch.optim.SGD, which fails there in torch, is still refused."""
    X = torch.full((1, 1), 0.01, dtype=torch.float16)
    Y = torch.full((1, 1), 0.5, dtype=torch.float16)
    for make in (SGD, torch.optim.SGD):
        net = nn.Linear(1, 1, bias=False).half()
        with torch.no_grad():
            net.weight.zero_()
        if make is SGD:
            history = fit(net, [(X, Y)], nn.MSELoss(), make(net.parameters(), 7e4), 1)
            assert history.train_loss == [0.25]  # (0 - 0.5)² before the step
            # the oracle: the MSE gradient 2 (0 - 0.5) x of float16's x, then lr times it, rounded
            # to float16 once: 700
            grad = 2 * (0 - 0.5) * float(X)
            assert float(net.weight.detach()) == float(torch.tensor(-7e4 * grad).half()) == 700.0
            continue
        with pytest.raises(
            UsageError,
            match=r"^updater's lr must be at most 6\.55e\+04, the largest torch\.float16 value its "
            r"parameters hold, got lr=70000; ",
        ):
            fit(net, [(X, Y)], nn.MSELoss(), make(net.parameters(), 7e4), 1)
        assert float(net.weight.detach()) == 0.0
    # past float32's range, the scratch SGD's lr is named in float32's words
    updater = SGD([torch.zeros(2, dtype=torch.float16, requires_grad=True)], 0.1)
    updater.param_groups[0]["lr"] = 1e300
    with pytest.raises(UsageError) as info:
        check_updater_lr(updater)
    assert str(info.value) == (
        f"updater's lr must be at most {torch.finfo(torch.float32).max:.4g}, the largest "
        "torch.float32 value, in which it steps its torch.float16 parameters, got lr=1e+300; "
        "pass a far smaller lr (the book's is 0.1)"
    )


@pytest.mark.parametrize("call", ["fit", "train_ch3", "train_epoch_ch3"])
def test_net_and_train_iter_swapped_are_told_in_the_books_order(call: str) -> None:
    """fit(train_iter, net, ...) and d2l.train_ch3(train_iter, net, ...) were refused as 'net must
    be a model ..., got <torch.utils.data.dataloader.DataLoader object at 0x...>'."""
    from torch.utils.data import DataLoader, TensorDataset

    from linearnets import d2l
    from linearnets.training.loop import fit

    net = nn.Linear(4, 3)
    before = net.weight.detach().clone()
    batches = DataLoader(TensorDataset(torch.rand(8, 4), torch.randint(0, 3, (8,))), batch_size=4)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    run = {
        "fit": lambda: fit(batches, net, loss, updater, 2),  # type: ignore[arg-type]
        "train_ch3": lambda: d2l.train_ch3(batches, net, batches, loss, 2, updater),  # type: ignore[arg-type]
        "train_epoch_ch3": lambda: d2l.train_epoch_ch3(batches, net, loss, updater),  # type: ignore[arg-type]
    }
    order = {
        "fit": r"fit\(net, train_iter, loss, updater, num_epochs\)",
        "train_ch3": r"train_ch3\(net, train_iter, test_iter, loss, num_epochs, updater\)",
        "train_epoch_ch3": r"train_epoch_ch3\(net, train_iter, loss, updater\)",
    }
    with pytest.raises(
        UsageTypeError,
        match=r"^net and train_iter look swapped: got net=DataLoader \(batches to train on\) and "
        rf"train_iter=Linear \(a model\); pass the model first, in the book's order, {order[call]}$",
    ):
        run[call]()
    assert torch.equal(net.weight, before)


@pytest.mark.parametrize(
    ("imports", "passed", "told"),
    [
        ("import torch.nn as tnn", "tnn.Linear", r"tnn\.Linear\(in_features, out_features\)"),
        ("from torch.nn import Linear", "Linear", r"Linear\(in_features, out_features\)"),
        ("import torch", "torch.nn.Linear", r"torch\.nn\.Linear\(in_features, out_features\)"),
        ("", "__import__('torch').nn.Linear", r"torch\.nn\.Linear\(in_features, out_features\)"),
        ("import torch", "torch.nn.parallel.DistributedDataParallel",
         r"torch\.nn\.parallel\.DistributedDataParallel\(module\)"),
        ("import torch\ndef make():\n    class Local(torch.nn.Module):\n        pass\n    return Local",
         "make()", r"Local\(\.\.\.\)"),
        # a lazy proxy's __class__ raised out of isinstance: a traceback, not the refusal
        ("import torch\nclass Lazy:\n    @property\n    def __class__(self):\n"
         "        raise RuntimeError('not bound')\nproxy = Lazy()",
         "torch.nn.Linear", r"torch\.nn\.Linear\(in_features, out_features\)"),
        ("import types, torch\nm = types.ModuleType('gone')\ndel m.__name__",
         "torch.nn.Linear", r"torch\.nn\.Linear\(in_features, out_features\)"),
        ("import torch\nglobals()[1] = 'x'", "torch.nn.Linear",
         r"torch\.nn\.Linear\(in_features, out_features\)"),
        # a module of a ModuleType subclass (module properties, a lazy loader's) is a module
        ("import types, torch.nn\nclass M(types.ModuleType):\n    pass\n"
         "tnn = M('torch.nn')\ntnn.__dict__.update(vars(torch.nn))\ndel torch",
         "tnn.Linear", r"tnn\.Linear\(in_features, out_features\)"),
    ],
    ids=["alias", "from-import", "torch", "unbound", "ddp", "local-class", "lazy-proxy",
         "nameless-module", "int-key", "module-subclass"],
)  # fmt: skip
def test_a_model_class_is_told_built_in_the_names_the_callers_module_has(
    imports: str, passed: str, told: str
) -> None:
    """Every torch.nn class was told as nn.Linear(...) (a NameError after `import torch.nn as
    tnn` or `from torch.nn import Linear`), DDP by its private module path, and a class defined in
    a function as make.<locals>.Local() (a SyntaxError)."""
    script = f"{imports}\nimport linearnets as _ln\n_ln.evaluate_accuracy({passed}, [(_X, _y)])\n"
    namespace = {"__name__": "__main__", "_X": torch.ones(2, 4), "_y": torch.tensor([0, 1])}
    with pytest.raises(UsageTypeError, match=rf"; pass an instance: net = {told}$"):
        exec(compile(script, "<notebook cell>", "exec"), namespace)


@pytest.mark.parametrize("call", ["fit", "train_ch3", "train_epoch_ch3"])
def test_the_books_function_model_swapped_with_its_batches_is_told_swapped(call: str) -> None:
    """A plain function as the model (the book's `def net(X)`), passed second, was refused as 'net
    must be a model ..., got <torch.utils.data.dataloader.DataLoader object at 0x...>'."""
    from linearnets import d2l
    from linearnets.training.loop import fit

    W = torch.zeros(4, 3, requires_grad=True)

    def fnet(X: torch.Tensor) -> torch.Tensor:
        return X @ W

    batches = d2l.load_array((torch.rand(8, 4), torch.randint(0, 3, (8,))), 4)
    updater = torch.optim.SGD([W], lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    run = {
        "fit": lambda: fit(batches, fnet, loss, updater, 2),  # type: ignore[arg-type]
        "train_ch3": lambda: d2l.train_ch3(batches, fnet, batches, loss, 2, updater),  # type: ignore[arg-type]
        "train_epoch_ch3": lambda: d2l.train_epoch_ch3(batches, fnet, loss, updater),  # type: ignore[arg-type]
    }
    with pytest.raises(
        UsageTypeError,
        match=r"^net and train_iter look swapped: got net=DataLoader \(batches to train on\) and "
        r"train_iter=fnet \(a model\); pass the model first, in the book's order, ",
    ):
        run[call]()
    assert torch.equal(W, torch.zeros(4, 3))
