"""backward_scaled: the gradients of l.backward(full_like(l, scale)), with or without the engine call."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType

import pytest
import torch
from torch import nn

from linearnets.models.scratch import (
    LinearRegressionScratch,
    SoftmaxRegressionScratch,
    cross_entropy_logits,
    squared_loss,
)
from linearnets.training import backward as backward_module
from linearnets.training.backward import backward_scaled

Case = Callable[[torch.Generator], tuple[list[torch.Tensor], torch.Tensor]]


def _softmax_scratch(gen: torch.Generator) -> tuple[list[torch.Tensor], torch.Tensor]:
    net = SoftmaxRegressionScratch(12, 4, generator=gen)
    X, y = torch.randn(9, 12, generator=gen), torch.randint(0, 4, (9,), generator=gen)
    return list(net.parameters()), cross_entropy_logits(net(X), y)  # (9,)


def _softmax_concise(gen: torch.Generator) -> tuple[list[torch.Tensor], torch.Tensor]:
    torch.manual_seed(5)  # nn.Linear draws its initial weights from the global generator
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 4))
    X, y = torch.randn(9, 3, 4, generator=gen), torch.randint(0, 4, (9,), generator=gen)
    return list(net.parameters()), nn.CrossEntropyLoss(reduction="none")(net(X), y)


def _linreg_scratch(gen: torch.Generator) -> tuple[list[torch.Tensor], torch.Tensor]:
    net = LinearRegressionScratch(3, generator=gen)
    X, y = torch.randn(9, 3, generator=gen), torch.randn(9, 1, generator=gen)
    return list(net.parameters()), squared_loss(net(X), y)  # (9, 1)


CASES: dict[str, Case] = {
    "softmax scratch": _softmax_scratch,
    "softmax concise": _softmax_concise,
    "linreg scratch (B, 1) losses": _linreg_scratch,
}


def _grads(case: Case, run: Callable[[torch.Tensor], None]) -> list[torch.Tensor]:
    params, l = case(torch.Generator().manual_seed(3))
    run(l)
    return [p.grad.clone() for p in params if p.grad is not None]


@pytest.mark.parametrize("name", CASES)
def test_gradients_equal_a_seeded_public_backward_bit_for_bit(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _grads(CASES[name], lambda l: l.backward(torch.full_like(l, 0.25)))

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the public Tensor.backward was called")

    monkeypatch.setattr(torch.Tensor, "backward", refuse)  # prove the engine path ran
    got = _grads(CASES[name], lambda l: backward_scaled(l, 0.25))
    assert len(got) == len(expected) == 2
    for a, b in zip(got, expected, strict=True):
        assert torch.equal(a, b)


def _recording_backward(monkeypatch: pytest.MonkeyPatch) -> list[torch.Tensor]:
    seeds: list[torch.Tensor] = []
    public = torch.Tensor.backward

    def record(self: torch.Tensor, gradient: torch.Tensor | None = None, **kwargs: object) -> None:
        seeds.append(gradient)  # type: ignore[arg-type]
        public(self, gradient, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(torch.Tensor, "backward", record)
    return seeds


def test_a_torch_without_the_engine_call_takes_the_public_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = _grads(_softmax_scratch, lambda l: l.backward(torch.full_like(l, 0.5)))
    seeds = _recording_backward(monkeypatch)
    monkeypatch.setattr(backward_module, "_ENGINE", None)
    got = _grads(_softmax_scratch, lambda l: backward_scaled(l, 0.5))
    assert len(seeds) == 1 and torch.equal(seeds[0], torch.full((9,), 0.5))
    for a, b in zip(got, expected, strict=True):
        assert torch.equal(a, b)


def test_an_active_torch_function_mode_takes_the_public_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeds = _recording_backward(monkeypatch)
    params, l = _softmax_scratch(torch.Generator().manual_seed(3))
    with torch.device("cpu"):  # a TorchFunctionMode: it must see the backward call
        backward_scaled(l, 0.5)
    assert seeds  # (the mode re-enters the patched Tensor.backward, so it may be seen twice)
    assert all(p.grad is not None for p in params)


def test_a_loss_without_a_graph_fails_as_torch_does() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        backward_scaled(torch.ones(3), 0.5)


@pytest.mark.parametrize("name", CASES)
def test_a_batch_mean_scale_of_one_ninth_gives_the_public_gradients_bit_for_bit(name: str) -> None:
    """scale = 1/9 (the mean of 9 losses) seeds in the losses' dtype, as full_like(l, 1/9) does."""
    expected = _grads(CASES[name], lambda l: l.backward(torch.full_like(l, 1 / 9)))
    got = _grads(CASES[name], lambda l: backward_scaled(l, 1 / 9))
    for a, b in zip(got, expected, strict=True):
        assert torch.equal(a, b)


def test_the_graph_is_freed_as_a_plain_backward_frees_it() -> None:
    """retain_graph=False: a step's graph is not kept alive (nor backward through twice)."""
    params, l = _softmax_scratch(torch.Generator().manual_seed(3))
    backward_scaled(l, 0.5)
    assert all(
        p.grad is not None and not p.grad.requires_grad for p in params
    )  # no 2nd-order graph
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        backward_scaled(l, 0.5)


def _fresh_copy() -> ModuleType:
    """A fresh import of the module, as a torch that lacks what it asks for at import would give."""
    spec = importlib.util.spec_from_file_location("_backward_copy", backward_module.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (torch.autograd.graph, "_engine_run_backward"),  # private: may go in any release
        (torch.overrides, "has_torch_function_unary"),  # not in torch.overrides.__all__
    ],
)
def test_a_torch_without_a_name_it_asks_for_imports_it_and_takes_the_public_path(
    module: ModuleType, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(module, name)
    copy = _fresh_copy()
    assert copy._ENGINE is None
    expected = _grads(_softmax_scratch, lambda l: l.backward(torch.full_like(l, 0.5)))
    seeds = _recording_backward(monkeypatch)
    got = _grads(_softmax_scratch, lambda l: copy.backward_scaled(l, 0.5))
    assert len(seeds) == 1
    for a, b in zip(got, expected, strict=True):
        assert torch.equal(a, b)
