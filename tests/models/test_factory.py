"""build_softmax: the (model, loss, optimizer) of each implementation, one contract (D2L §3.6–3.7)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.models.concise import softmax_concise
from linearnets.models.factory import build_softmax
from linearnets.models.scratch import SGD, SoftmaxRegressionScratch

IMPLS = ["scratch", "analytic", "concise"]


def _params(net: Any) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def test_each_impl_is_the_model_the_book_describes() -> None:
    scratch, analytic, concise = (build_softmax(impl) for impl in IMPLS)
    for setup, is_analytic in ((scratch, False), (analytic, True)):
        assert isinstance(setup.net, SoftmaxRegressionScratch)
        assert setup.net.analytic is is_analytic
        assert isinstance(setup.updater, SGD)
    assert isinstance(concise.net, nn.Sequential)
    assert isinstance(concise.updater, torch.optim.SGD)
    assert isinstance(concise.loss, nn.CrossEntropyLoss)


@pytest.mark.parametrize("impl", IMPLS)
def test_defaults_are_fashion_mnist_and_the_books_lr(impl: str, gen: torch.Generator) -> None:
    """28 × 28 images, 10 classes and lr = 0.1, as D2L §3.6 trains them."""
    setup = build_softmax(impl)
    assert setup.net(torch.rand(2, 1, 28, 28, generator=gen)).shape == (2, 10)
    assert setup.updater.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("impl", IMPLS)
def test_sizes_and_lr_are_passed_through(impl: str, gen: torch.Generator) -> None:
    setup = build_softmax(impl, num_inputs=6, num_outputs=3, lr=0.5)
    assert setup.net(torch.rand(4, 6, generator=gen)).shape == (4, 3)
    assert setup.updater.param_groups[0]["lr"] == 0.5


@pytest.mark.parametrize("impl", IMPLS)
def test_the_loss_is_per_example_cross_entropy_on_logits(impl: str, gen: torch.Generator) -> None:
    """One loop trains all three: each loss returns (B,) losses, torch's cross-entropy the oracle."""
    setup = build_softmax(impl, num_inputs=6, num_outputs=3, generator=gen)
    O = torch.randn(5, 3, generator=gen) * 3
    y = torch.tensor([0, 2, 1, 1, 0])
    torch.testing.assert_close(setup.loss(O, y), F.cross_entropy(O, y, reduction="none"))


@pytest.mark.parametrize("impl", IMPLS)
def test_the_optimizer_steps_the_models_own_parameters(impl: str, gen: torch.Generator) -> None:
    """One plain SGD step on the mean loss, checked against torch.optim.SGD on copies."""
    setup = build_softmax(impl, num_inputs=6, num_outputs=3, lr=0.5, generator=gen)
    X, y = torch.randn(8, 6, generator=gen), torch.randint(0, 3, (8,), generator=gen)
    copies = [p.requires_grad_() for p in _params(setup.net)]  # (W or weight, b)
    W_ref, b_ref = copies
    weight = W_ref.T if impl != "concise" else W_ref  # nn.Linear keeps (out, in)
    reference = torch.optim.SGD(copies, lr=0.5)
    F.cross_entropy(F.linear(X, weight, b_ref), y).backward()
    reference.step()
    if impl == "analytic":
        setup.net.analytic_step(X, y, scale=1 / 8)
    else:
        setup.loss(setup.net(X), y).mean().backward()
    setup.updater.step()
    for ours, ref in zip(setup.net.parameters(), copies, strict=True):
        torch.testing.assert_close(ours.detach(), ref.detach())


@pytest.mark.parametrize("impl", IMPLS)
def test_the_generator_seeds_the_model_as_its_constructor_does(impl: str) -> None:
    setup = build_softmax(impl, generator=torch.Generator().manual_seed(5))
    direct: Any = (
        softmax_concise(generator=torch.Generator().manual_seed(5))
        if impl == "concise"
        else SoftmaxRegressionScratch(generator=torch.Generator().manual_seed(5))
    )
    for ours, expected in zip(_params(setup.net), _params(direct), strict=True):
        assert torch.equal(ours, expected)


@pytest.mark.parametrize(
    "kwargs,error,pattern",
    [
        ({"impl": "torch"}, UsageError, r"impl must be one of 'scratch', 'concise', 'analytic', got 'torch'"),
        ({"impl": "concise", "lr": 0.0}, UsageError, r"lr must be a finite number > 0, got 0\.0"),
        ({"impl": "concise", "lr": -0.1}, UsageError, r"lr must be a finite number > 0, got -0\.1"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused(
    kwargs: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        build_softmax(**kwargs)
