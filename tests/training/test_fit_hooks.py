"""How fit tidies its callbacks when an epoch raises (D2L §3.6.6): the error raised is the one
the caller sees, whatever the tidying meets."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import nn

from linearnets.errors import DivergenceError
from linearnets.training.callbacks import ConsoleLogger
from linearnets.training.fit_hooks import flush_guards, len_or_none, step_hook
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import fit


class _Failing:
    """Two batches, then the error a broken data pipeline raises."""

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        gen = torch.Generator().manual_seed(0)
        for _ in range(2):
            yield torch.randn(4, 3, generator=gen), torch.randint(0, 2, (4,), generator=gen)
        raise RuntimeError("the third batch could not be read")


class _ClosedStreamLogger(ConsoleLogger):
    """A logger whose stream was closed under it (``| head`` exited): closing its bar fails."""

    def close(self) -> None:
        raise ValueError("I/O operation on closed file.")


def test_a_logger_failing_to_close_its_bar_does_not_hide_the_epochs_error() -> None:
    net = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"^the third batch could not be read$"):
        fit(net, _Failing(), nn.CrossEntropyLoss(reduction="none"),
            torch.optim.SGD(net.parameters(), lr=0.1), 1,
            callbacks=[_ClosedStreamLogger(progress=False)])  # fmt: skip


def test_len_or_none_gives_the_length_or_none_for_an_iterable_without_one() -> None:
    assert len_or_none([(torch.zeros(1), torch.zeros(1))] * 3) == 3
    assert len_or_none(iter([])) is None


def test_no_step_hook_without_an_on_step_or_a_batch_callback() -> None:
    assert step_hook([object()], None) is None
    seen: list[tuple[str, int]] = []
    hook = step_hook([], lambda step, losses: seen.append(("on_step", step)))
    assert hook is not None
    hook(3, torch.zeros(2))
    assert seen == [("on_step", 3)]


def test_the_hooks_show_each_batch_to_every_guard_that_watches_them() -> None:
    """fit's on_step guard and a callback guard both hold the step's batch, so either can name a
    NaN in it; hooks without a guard (or with a guard of checked data) are shown none."""
    first, second = DivergenceGuard(0.1, check_every=1), DivergenceGuard(0.1, check_every=1)
    hook = step_hook([second, ConsoleLogger(progress=False)], first)
    assert hook is not None
    see = hook.watch_batches([])
    assert see is not None
    X, y = torch.tensor([[1.0], [math.nan]]), torch.zeros(2)
    see(X, y)
    named = r"features X hold NaN or inf on 1 of its 2 examples \(position 1 in the batch"
    with pytest.raises(DivergenceError, match=named):
        hook(0, torch.tensor([0.5, math.nan]))  # the on_step guard, first in the chain, raised
    with pytest.raises(DivergenceError, match=named):
        second(0, torch.tensor([0.5, math.nan]))  # the callback holds the same batch
    checked = DivergenceGuard(0.1, data_checked=True)
    for hook in (step_hook([checked], None), step_hook([], lambda step, losses: None)):
        assert hook is not None and hook.watch_batches([]) is None


def test_a_batch_hook_set_to_none_is_not_chained() -> None:
    """It failed at the first step, after its update: 'NoneType' object is not callable."""

    class Quiet(ConsoleLogger):
        on_batch_end = None  # type: ignore[assignment]

    assert step_hook([Quiet(progress=False)], None) is None


def test_flushing_a_guard_raises_its_error_naming_the_epoch_and_step() -> None:
    """The guard holds a NaN loss at step 2 (from 0), unread: flushed once the epoch's totals
    stopped fit, it raises its own error, which names the epoch and the step, in their place."""
    guard = DivergenceGuard(0.1, check_every=8)
    for step, value in enumerate([1.0, 1.0, float("nan")]):
        guard(step, torch.full((4,), value))
    with pytest.raises(DivergenceError, match=r"^training diverged at batch 3 of epoch 1: the batch loss is nan"):  # fmt: skip
        flush_guards([guard])


def _oracle_train_losses(
    net: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], epochs: int, lr: float
) -> list[float]:
    """Each epoch's mean per-example cross-entropy over its steps, each taken before that step's
    update: the train loss fit reports, by a loop of torch's own."""
    updater = torch.optim.SGD(net.parameters(), lr=lr)
    means = []
    for _ in range(epochs):
        seen = []
        for X, y in batches:
            l = nn.functional.cross_entropy(net(X), y, reduction="none")
            seen.append(l.detach().double())
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        means.append(float(torch.cat(seen).mean()))
    return means


def _three_batches(
    gen: torch.Generator,
) -> tuple[nn.Module, list[tuple[torch.Tensor, torch.Tensor]], list[float]]:
    """A classifier of 3 features and classes drawn from ``gen``, 3 batches of 10, and the train
    losses of 2 epochs at lr 0.1 by torch's own loop (:func:`_oracle_train_losses`, on a copy)."""
    import copy

    X, y = torch.randn(30, 3, generator=gen), torch.randint(0, 3, (30,), generator=gen)
    batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 30, 10)]
    net = nn.Linear(3, 3)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return net, batches, _oracle_train_losses(copy.deepcopy(net), batches, 2, 0.1)


@pytest.mark.parametrize("where", ["callback", "on_step", "train_epoch"])
def test_a_hook_changing_the_losses_in_place_leaves_the_reported_loss_as_it_was(
    gen: torch.Generator, where: str
) -> None:
    """A callback's losses.mul_(0) in on_batch_end made the history's train loss 0: the hook was
    handed the very tensor the epoch's totals had stashed (and a guard held). A hook of yours now
    gets a copy; the library's own hooks copy nothing."""

    from linearnets.training.callbacks import Callback
    from linearnets.training.loop import train_epoch

    net, batches, expected = _three_batches(gen)
    zeroed: list[int] = []

    def zero(step: int, losses: torch.Tensor) -> None:
        losses.mul_(0)
        zeroed.append(step)

    class Zero(Callback):
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            zero(step, losses)

    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)
    if where == "train_epoch":
        got = [train_epoch(net, batches, loss, updater, on_step=zero)[0] for _ in range(2)]
    else:
        hooks = {"callbacks": [Zero()]} if where == "callback" else {"on_step": zero}
        history = fit(net, batches, loss, updater, 2, **hooks)  # type: ignore[arg-type]
        got = [m.train_loss for m in history.epochs]
    assert zeroed == [0, 1, 2] * 2  # the premise: it zeroed every step's losses
    assert got == pytest.approx(expected, rel=1e-6) and min(got) > 0.1


def test_own_hooks_are_the_librarys_methods_and_objects() -> None:
    from linearnets.training.callbacks import Callback
    from linearnets.training.fit_hooks import own_hook

    class Mine(Callback):
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None: ...

    class Inherits(Callback): ...

    guard = DivergenceGuard(0.1)
    assert own_hook(guard) and own_hook(ConsoleLogger().on_batch_end)
    assert own_hook(Inherits().on_batch_end)  # Callback's own, which does nothing
    assert not own_hook(Mine().on_batch_end) and not own_hook(lambda step, losses: None)
    assert not own_hook(type("MyGuard", (DivergenceGuard,), {"__call__": lambda *a: None})(0.1))


class _ZeroingGuard(DivergenceGuard):
    """A user's guard whose own ``__call__`` zeroes the losses, reached through the inherited
    ``on_batch_end`` (the library's method)."""

    def __call__(self, step: int, losses: torch.Tensor) -> None:
        losses.mul_(0)


class _ZeroingLogger(ConsoleLogger):
    """A user's logger zeroing the losses in its own ``on_batch_end``."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        losses.mul_(0)


@pytest.mark.parametrize("where", ["guard-callback", "guard-on_step", "logger-callback"])
def test_a_subclass_of_a_library_callback_changing_the_losses_gets_a_copy(
    gen: torch.Generator, where: str
) -> None:
    """own_hook judged a user subclass of DivergenceGuard by the inherited on_batch_end (the
    library's function), which calls the user's __call__ with the shared tensor: the history's
    train loss came out 0. A hook is the library's own only where its object's class is."""
    import io

    net, batches, expected = _three_batches(gen)
    hooks: dict[str, object] = {
        "guard-callback": {"callbacks": [_ZeroingGuard(0.1)]},
        "guard-on_step": {"on_step": _ZeroingGuard(0.1)},
        "logger-callback": {"callbacks": [_ZeroingLogger(stream=io.StringIO())]},
    }
    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)
    history = fit(net, batches, loss, updater, 2, **hooks[where])  # type: ignore[arg-type]
    got = [m.train_loss for m in history.epochs]
    assert got == pytest.approx(expected, rel=1e-6) and min(got) > 0.1


def test_a_hook_is_the_librarys_own_only_where_its_objects_class_is() -> None:
    import functools
    import io

    from linearnets.training.fit_hooks import own_hook

    guard = DivergenceGuard(0.1)
    assert own_hook(guard.on_batch_end) and own_hook(guard)
    assert not own_hook(_ZeroingGuard(0.1).on_batch_end) and not own_hook(_ZeroingGuard(0.1))
    assert not own_hook(type("Plain", (DivergenceGuard,), {})(0.1).on_batch_end)
    assert not own_hook(_ZeroingLogger(stream=io.StringIO()).on_batch_end)
    assert not own_hook(functools.partial(guard.on_batch_end))  # a partial: not the library's


class _BrokenStream:
    """A console's stream whose reader quit (``| head``)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def _raising_guard(error: Exception) -> DivergenceGuard:
    class Raising(DivergenceGuard):
        def __call__(self, step: int, losses: torch.Tensor) -> None:
            raise error

    return Raising(0.1)


def _raises(error: Exception, hook: str) -> object:
    def raise_it(*args: object, **kwargs: object) -> None:
        raise error

    return type("Mine", (), {hook: raise_it})()


@pytest.mark.parametrize(
    ("where", "raised", "marked"),
    [
        ("on_batch_end", ValueError, True),
        ("on_epoch_end", OSError, True),
        ("on_step", ValueError, True),
        ("guard-subclass-divergence", DivergenceError, False),
        ("guard-subclass-other", ValueError, True),
        ("console-logger", BrokenPipeError, False),
    ],
)
def test_fit_marks_an_error_a_callback_of_yours_raised(
    gen: torch.Generator, where: str, raised: type[Exception], marked: bool
) -> None:
    """A whole run told its own stops (a file unwritten, a full disk) from a callback's by the
    run_dir they carried, which a callback's own error got on its way out too. fit marks an error
    a hook of yours raised (raised_by_callback); a library callback's (the console's closed
    output) and a divergence guard's DivergenceError (a subclass's too: the run's guard in
    spirit) stay unmarked."""
    import errno

    from linearnets.training.hook_owners import raised_by_callback

    X, y = torch.randn(30, 3, generator=gen), torch.randint(0, 3, (30,), generator=gen)
    batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 30, 10)]
    net = nn.Linear(3, 3)
    full = OSError(errno.ENOSPC, "No space left on device")
    hooks: dict[str, Any] = {
        "on_batch_end": {"callbacks": [_raises(ValueError("mine"), "on_batch_end")]},
        "on_epoch_end": {"callbacks": [_raises(full, "on_epoch_end")]},
        "on_step": {"on_step": _raises(ValueError("mine"), "__call__")},
        "guard-subclass-divergence": {"callbacks": [_raising_guard(DivergenceError("blew up"))]},
        "guard-subclass-other": {"callbacks": [_raising_guard(ValueError("mine"))]},
        "console-logger": {"callbacks": [ConsoleLogger(stream=_BrokenStream())]},  # type: ignore[arg-type]
    }
    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(raised) as info:
        fit(net, batches, loss, updater, 2, **hooks[where])
    assert type(info.value) is raised
    assert raised_by_callback(info.value) is marked
