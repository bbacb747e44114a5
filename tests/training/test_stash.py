"""The tensors an epoch's totals hold between folds: detached, and joined when folded."""

from __future__ import annotations

import torch

from linearnets.training.stash import detached, flat, joined


def test_detached_cuts_a_tensor_from_its_graph_and_returns_others_as_they_are() -> None:
    w = torch.ones(3, requires_grad=True)
    l = w * 2
    cut = detached(l)
    assert not cut.requires_grad and cut.grad_fn is None and torch.equal(cut, torch.full((3,), 2.0))
    plain = torch.ones(3)
    assert detached(plain) is plain


def test_joined_concatenates_along_the_rows_and_returns_one_tensor_uncopied() -> None:
    one = torch.arange(6.0).reshape(3, 2)
    assert joined([one]) is one
    assert torch.equal(joined([one, one[:1]]), torch.cat([one, one[:1]]))


def test_flat_keeps_the_values_of_tensors_of_any_trailing_shape_in_order() -> None:
    column, row = torch.tensor([[1.0], [2.0]]), torch.tensor([3.0, 4.0, 5.0])
    assert flat([column, column]).shape == (4, 1)  # one cat: same trailing shape
    assert torch.equal(flat([column, row]), torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
