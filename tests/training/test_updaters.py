"""The streamlined torch.optim.SGD step: bit for bit torch's, and only where that holds."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.optim import optimizer as optim_base
from torch.optim.optimizer import register_optimizer_step_post_hook

from linearnets.models.scratch import SGD
from linearnets.training.loop import fit, train_epoch
from linearnets.training.updaters import PlainSGDStep, streamlined


def _net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 3))


def _data(seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    X, y = torch.randn(40, 2, 3, generator=g), torch.randint(0, 3, (40,), generator=g)
    return [(X[i : i + 8], y[i : i + 8]) for i in range(0, 40, 8)]


def _two_group_sgd(net: nn.Module) -> torch.optim.SGD:
    linear = net[1]
    return torch.optim.SGD(
        [{"params": [linear.weight]}, {"params": [linear.bias], "lr": 0.3}], lr=0.1
    )


def test_plain_sgd_steps_match_torch_bit_for_bit() -> None:
    ours, theirs = _net(), _net()
    fast = streamlined(_two_group_sgd(ours))
    slow = _two_group_sgd(theirs)
    assert isinstance(fast, PlainSGDStep)
    loss = nn.CrossEntropyLoss()
    for step, (X, y) in enumerate(_data()):
        if step == 3:  # a learning rate changed between steps is read at the next step
            fast.optimizer.param_groups[0]["lr"] = slow.param_groups[0]["lr"] = 0.05
        for net, opt in ((ours, fast), (theirs, slow)):
            opt.zero_grad()
            assert all(p.grad is None for p in net.parameters())
            loss(net(X), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)


def test_step_skips_parameters_without_gradients() -> None:
    net = _net()
    fast = streamlined(torch.optim.SGD(net.parameters(), lr=0.1))
    before = [p.detach().clone() for p in net.parameters()]
    fast.zero_grad()
    fast.step()  # no gradient anywhere: nothing moves, as with torch.optim.SGD
    for a, b in zip(net.parameters(), before, strict=True):
        assert torch.equal(a, b)


def _with_pre_hook(opt: torch.optim.SGD) -> torch.optim.SGD:
    opt.register_step_pre_hook(lambda *_: None)
    return opt


def _with_post_hook(opt: torch.optim.SGD) -> torch.optim.SGD:
    opt.register_step_post_hook(lambda *_: None)
    return opt


def _with_scheduler(opt: torch.optim.SGD) -> torch.optim.SGD:
    torch.optim.lr_scheduler.StepLR(opt, step_size=1)  # wraps opt.step to count its calls
    return opt


class _SubclassedSGD(torch.optim.SGD):
    pass


def _with_patched_step(opt: torch.optim.SGD) -> torch.optim.SGD:
    step = opt.step
    opt.step = lambda *args, **kwargs: step(*args, **kwargs)  # type: ignore[method-assign]
    return opt


def _with_patched_zero_grad(opt: torch.optim.SGD) -> torch.optim.SGD:
    zero_grad = opt.zero_grad
    opt.zero_grad = lambda *args, **kwargs: zero_grad(*args, **kwargs)  # type: ignore[method-assign]
    return opt


def _with_grad_scale(opt: torch.optim.SGD) -> torch.optim.SGD:
    opt.grad_scale = torch.tensor(
        1.0
    )  # what torch.amp.GradScaler.step sets; torch's step refuses it
    return opt


def _momentum_in_second_group(params: Any) -> torch.optim.SGD:
    weight, bias = list(params)
    return torch.optim.SGD([{"params": [weight]}, {"params": [bias], "momentum": 0.9}], lr=0.1)


FALLBACKS: dict[str, Callable[[Any], Any]] = {
    "momentum": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "weight_decay": lambda params: torch.optim.SGD(params, lr=0.1, weight_decay=1e-3),
    "maximize": lambda params: torch.optim.SGD(params, lr=0.1, maximize=True),
    "tensor lr": lambda params: torch.optim.SGD(params, lr=torch.tensor(0.1)),
    "fused": lambda params: torch.optim.SGD(params, lr=0.1, fused=True),  # its own kernel and AMP
    "step pre-hook": lambda params: _with_pre_hook(torch.optim.SGD(params, lr=0.1)),
    "step post-hook": lambda params: _with_post_hook(torch.optim.SGD(params, lr=0.1)),
    "LR scheduler": lambda params: _with_scheduler(torch.optim.SGD(params, lr=0.1)),
    "subclass": lambda params: _SubclassedSGD(params, lr=0.1),
    "patched step": lambda params: _with_patched_step(torch.optim.SGD(params, lr=0.1)),
    "patched zero_grad": lambda params: _with_patched_zero_grad(torch.optim.SGD(params, lr=0.1)),
    "grad_scale set": lambda params: _with_grad_scale(torch.optim.SGD(params, lr=0.1)),
    "momentum in a later group": _momentum_in_second_group,
    "another optimizer": lambda params: torch.optim.Adam(params, lr=0.1),
    "scratch SGD": lambda params: SGD(params, lr=0.1),
}


@pytest.mark.parametrize("name", FALLBACKS)
def test_anything_but_a_plain_sgd_keeps_its_own_methods(name: str) -> None:
    opt = FALLBACKS[name](_net().parameters())
    assert streamlined(opt) is opt


def test_an_option_it_does_not_know_keeps_torchs_step() -> None:
    opt = torch.optim.SGD(_net().parameters(), lr=0.1)
    opt.param_groups[0]["some_future_option"] = True  # e.g. an option of a later torch
    assert streamlined(opt) is opt


def test_a_torch_that_keeps_its_hooks_elsewhere_keeps_torchs_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opt = torch.optim.SGD(_net().parameters(), lr=0.1)
    assert isinstance(streamlined(opt), PlainSGDStep)
    monkeypatch.delattr(optim_base, "_global_optimizer_pre_hooks")
    assert streamlined(opt) is opt  # hooks it cannot see might be registered


def test_a_global_optimizer_hook_keeps_torchs_step() -> None:
    calls: list[int] = []
    handle = register_optimizer_step_post_hook(lambda *_: calls.append(1))
    try:
        net = _net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        assert streamlined(opt) is opt
        train_epoch(net, _data(), nn.CrossEntropyLoss(reduction="none"), opt)
    finally:
        handle.remove()
    assert len(calls) == len(_data())  # the hook saw every step of the epoch


def test_training_with_a_scheduler_counts_every_step() -> None:
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    class StepScheduler:
        def on_epoch_end(self, **_: Any) -> None:
            scheduler.step()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "lr_scheduler.step() before optimizer.step()" would raise
        fit(
            net, _data(), nn.CrossEntropyLoss(reduction="none"), opt, 2, callbacks=[StepScheduler()]
        )
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)


def test_train_epoch_with_torch_sgd_equals_torchs_own_steps() -> None:
    ours, theirs = _net(), _net()
    loss = nn.CrossEntropyLoss(reduction="none")
    train_epoch(ours, _data(), loss, torch.optim.SGD(ours.parameters(), lr=0.1))
    opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for X, y in _data():
        opt.zero_grad()
        loss(theirs(X), y).mean().backward()
        opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_a_step_the_user_replaced_runs_at_every_step() -> None:
    """e.g. a step wrapped to clip or log: the loop calls the optimizer's own (patched) step."""
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    calls: list[int] = []
    step = opt.step

    def counted_step(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return step(*args, **kwargs)

    opt.step = counted_step  # type: ignore[method-assign]
    train_epoch(net, _data(), nn.CrossEntropyLoss(reduction="none"), opt)
    assert len(calls) == len(_data())


class _StepOnly:
    def step(self) -> None: ...


@pytest.mark.parametrize(
    "updater,pattern",
    [
        (_StepOnly(), r"updater must have zero_grad\(\) and step\(\), .*got _StepOnly$"),
        (  # the book's updater(batch_size) function: pointed at the loop that takes it
            lambda batch_size: None,
            r"got function; the book's function updater\(batch_size\) runs with "
            r"linearnets\.d2l\.train_epoch_ch3$",
        ),
    ],
)
def test_an_updater_without_zero_grad_and_step_is_refused(updater: Any, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        streamlined(updater)
