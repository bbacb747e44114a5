"""A model run once on the failure path, its state left as it was found."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from linearnets.model_checks import NanSource
from linearnets.training.model_diagnosis import nan_source
from linearnets.training.quiet_forward import quiet_forward


class Counting(nn.Module):
    """No weights: counts its calls in a buffer, in place and by reassigning a second one, drops
    out half its inputs in training mode, and leaves training mode when called."""

    def __init__(self) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.register_buffer("reassigned", torch.zeros((), dtype=torch.long))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.reassigned = self.reassigned + 1
        scores = torch.log(self.drop(X) - 0.5)
        self.eval()
        return scores


def test_the_look_leaves_buffers_random_state_and_mode_as_found() -> None:
    """The look at NaN scores ran the model once more: its call count ended one past the batches
    run, Dropout drew from torch's generator, and the mode the forward set stayed."""
    net = Counting().train()
    reassigned = net.reassigned
    X = torch.rand(4, 3, generator=torch.Generator().manual_seed(0))
    state = torch.get_rng_state()
    found = nan_source(net, X)
    sizes = {"dtype": None, "score_range": None, "largest_input": None}
    assert found._replace(**sizes) == NanSource(nan_on_batch=True, no_weights=True)
    assert torch.equal(torch.get_rng_state(), state)
    assert int(net.calls) == 0 and net.reassigned is reassigned and int(reassigned) == 0
    assert net.training and net.drop.training


def test_batchnorm_statistics_are_left_as_found_by_the_look_at_finite_weights() -> None:
    """Finite weights: the look runs the model in training mode, which would move BatchNorm's
    running statistics towards the batch's and count one more batch."""
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).train()
    X = torch.rand(4, 3, generator=torch.Generator().manual_seed(0)) * 100
    before = {name: b.clone() for name, b in net.named_buffers()}
    assert nan_source(net, X) == NanSource(nan_on_batch=False, finite_weights=True)
    assert all(torch.equal(b, before[name]) for name, b in net.named_buffers())


def test_the_state_is_restored_when_the_forward_raises() -> None:
    class Raising(Counting):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            super().forward(X)
            raise RuntimeError("after counting")

    net = Raising().train()
    state = torch.get_rng_state()
    with pytest.raises(RuntimeError, match=r"^after counting$"):
        quiet_forward(net, torch.ones(2, 3))
    assert int(net.calls) == 0 and net.training and torch.equal(torch.get_rng_state(), state)


def test_a_function_model_runs_without_gradients_and_keeps_the_random_state() -> None:
    W = torch.ones(3, 2, requires_grad=True)
    state = torch.get_rng_state()
    y_hat = quiet_forward(lambda X: torch.dropout(X @ W, 0.5, True), torch.ones(4, 3))
    assert isinstance(y_hat, torch.Tensor) and not y_hat.requires_grad
    assert torch.equal(torch.get_rng_state(), state)
