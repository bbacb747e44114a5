"""Gradients put back as they were when a step is refused before its update."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from linearnets.training.kept_grads import grads_kept, graph_leaves, step_tensors


def test_graph_leaves_are_the_tensors_backward_fills_once_each_and_none_without_a_graph() -> None:
    W = torch.ones(4, 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    X = torch.ones(2, 4)  # no gradient asked: no leaf of the graph
    l = torch.log_softmax(X @ W + b, dim=1)[:, 0] + (b * b).sum()  # b reached twice
    leaves = graph_leaves(l)
    assert len(leaves) == 2 and {id(t) for t in leaves} == {id(W), id(b)}
    assert graph_leaves(torch.ones(3)) == []


def test_grads_kept_puts_back_none_and_the_earlier_values_in_their_own_tensor_when_the_block_raises() -> (
    None
):
    W = torch.ones(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    b.grad = torch.tensor([1.0, 2.0])
    theirs = b.grad
    with pytest.raises(ValueError, match="refused"), grads_kept([W, b]):
        (W * b + b).sum().backward()  # adds into b.grad in place
        assert b.grad.tolist() == [3.0, 4.0]
        raise ValueError("refused")
    assert W.grad is None
    assert b.grad is theirs and b.grad.tolist() == [1.0, 2.0]


def test_grads_kept_leaves_the_blocks_gradients_when_it_ends_normally() -> None:
    W = torch.ones(2, requires_grad=True)
    with grads_kept([W]):
        (3 * W).sum().backward()
    assert W.grad is not None and W.grad.tolist() == [3.0, 3.0]


def test_step_tensors_lists_the_models_and_the_optimizers_tensors_once_each() -> None:
    net = nn.Linear(2, 1)
    extra = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([*net.parameters(), extra], lr=0.1)
    listed = step_tensors(net, optimizer)
    assert [id(t) for t in listed] == [id(net.weight), id(net.bias), id(extra)]
    assert step_tensors(lambda X: X, lambda batch_size: None) == []  # nothing to list
