"""The checks around a training step (D2L §3.6.6): the batch, the model's output, the targets'
shape and the loss's value, each refused with the rule and the fix before anything trains wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch import squared_loss
from linearnets.training.step_checks import (
    check_loss_value,
    check_targets_shape,
    compute_loss,
    raise_output_error,
    unpack,
)

X3 = torch.zeros(3, 2)
Y3 = torch.zeros(3, 1)


# --- unpack: one (X, y) pair per batch -----------------------------------------------------------


@pytest.mark.parametrize(
    ("batch", "kind", "message"),
    [
        ((X3, [0.0, 0.0, 0.0]), UsageTypeError, r"pair of tensors \(X, y\), got \(Tensor, list\)"),
        (([0.0, 0.0, 0.0], Y3), UsageTypeError, r"pair of tensors \(X, y\), got \(list, Tensor\)"),
        ((X3, torch.zeros(2)), UsageError, r"one label per example, got X of shape \(3, 2\) and y of shape \(2,\)"),
        ((torch.tensor(1.0), Y3), UsageError, r"one label per example, got X of shape \(\) and y"),
        ((X3, torch.tensor(1.0)), UsageError, r"one label per example, got X of shape \(3, 2\) and y of shape \(\)"),
        ((X3, Y3, Y3), UsageError, r"^each batch must be a pair \(X, y\), got tuple of length 3;"),
        ({"image": X3, "label": Y3}, UsageError, r"^each batch must be a pair \(X, y\), got a dict with keys \['image', 'label'\]; yield \(X, y\) tuples from the iterator, e\.g\. \(\(b\['image'\], b\['label'\]\) for b in loader\)$"),
        ({"a": X3, "b": Y3, "c": Y3}, UsageError, r"keys \['a', 'b', 'c'\]; .*\(\(b\[KEY_OF_X\], b\[KEY_OF_Y\]\) for b in loader\)$"),
    ],
    ids=["y-list", "X-list", "rows-differ", "X-0d", "y-0d", "triple", "dict", "dict-of-3"],
)  # fmt: skip
def test_unpack_refuses_anything_but_a_pair_of_tensors_with_one_row_per_example(
    batch: Any, kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind, match=message):
        unpack(batch)


def test_unpack_returns_the_pair_and_takes_an_empty_batch_only_when_allowed() -> None:
    X, y = unpack([X3, Y3])
    assert X is X3 and y is Y3
    X1, y1 = unpack((X3[:1], Y3[:1]))  # one example is a batch
    assert X1.shape == (1, 2) and y1.shape == (1, 1)
    empty = (torch.zeros(0, 2), torch.zeros(0, 1))
    assert unpack(empty, allow_empty=True) == empty  # a data-parallel rank may get none
    with pytest.raises(UsageError, match=r"^each batch must hold at least one example"):
        unpack(empty)


# --- the model's output --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_hat", "fix"),
    [
        ((torch.zeros(3, 2), torch.zeros(3, 2)), r"tuple; return one tensor from the model"),
        ([torch.zeros(3, 2)], r"list; return one tensor from the model"),
        (np.zeros((3, 2)), r"ndarray; compute the output with torch operations"),
    ],
    ids=["tuple", "list", "numpy"],
)
def test_an_output_that_is_not_a_tensor_is_refused_with_its_fix(y_hat: Any, fix: str) -> None:
    pattern = r"^the model \(net\) must return a torch.Tensor of outputs \(B, q\), got " + fix
    with pytest.raises(UsageTypeError, match=pattern):
        raise_output_error(y_hat)
    with pytest.raises(UsageTypeError, match=pattern):
        compute_loss(squared_loss, y_hat, Y3)


@pytest.mark.parametrize(
    ("y_hat", "said"),
    [
        ({"probs": torch.zeros(3, 2), "logits": torch.zeros(3, 2)},
         "dict with the keys 'probs', 'logits'; return the tensor itself, e.g. its 'logits' entry: "
         "`return out['logits']` at the end of the model's forward"),
        ({"aux": 1.0, "scores": torch.zeros(3, 2)},
         "dict with the keys 'aux', 'scores'; return the tensor itself, e.g. its 'scores' entry: "
         "`return out['scores']` at the end of the model's forward"),
        ({"scores": [1.0]}, "dict with the key 'scores'; return the tensor of outputs itself, not "
         "a dict of them"),
        ({}, "dict with no key; return the tensor of outputs itself, not a dict of them"),
    ],
    ids=["logits", "another tensor", "no tensor", "empty"],
)  # fmt: skip
def test_a_dict_of_outputs_is_refused_naming_its_keys_and_the_entry_to_return(
    y_hat: Any, said: str
) -> None:
    """It was told to compute the output with torch operations or torch.as_tensor: neither fits."""
    whole = f"the model (net) must return a torch.Tensor of outputs (B, q), got {said}"
    with pytest.raises(UsageTypeError) as caught:
        compute_loss(squared_loss, y_hat, Y3)
    assert str(caught.value) == whole


# --- the loss's value ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "l",
    [torch.tensor(0.5), torch.zeros(3), torch.zeros(3, 1), torch.zeros(3, 4)],
    ids=["0-d", "per-example", "per-example-column", "per-output-value"],
)
def test_a_loss_per_example_or_per_output_value_or_0d_is_accepted(l: torch.Tensor) -> None:
    check_loss_value(l, torch.zeros(3, 4), torch.zeros(3, 4))


@pytest.mark.parametrize(
    ("l", "shape"),
    [
        (torch.zeros(2), r"\(2,\)"),  # drops an example
        (torch.zeros(4), r"\(4,\)"),  # an example too many
        (torch.zeros(3, 3), r"\(3, 3\)"),  # (B, B): targets broadcast against outputs
        (torch.zeros(3, 1, 3), r"\(3, 1, 3\)"),  # 9 values for 3 examples of 1 output
        (torch.zeros(3, 2, 2), r"\(3, 2, 2\)"),  # (B, ...) with neither B nor B·q values
    ],
)
def test_a_loss_of_another_shape_is_refused(l: torch.Tensor, shape: str) -> None:
    with pytest.raises(
        UsageError,
        match=r"^loss must return one loss per example, shape \(3,\) \(or one per output value, "
        r"\(3, 1\), or a 0-d mean or sum\), got shape " + shape + r" for a batch of 3 examples",
    ):
        check_loss_value(l, torch.zeros(3, 1), Y3)


def test_a_loss_that_returns_a_number_is_refused() -> None:
    with pytest.raises(UsageTypeError, match=r"^loss must return a torch.Tensor .*got 0\.5;"):
        check_loss_value(0.5, torch.zeros(3, 1), Y3)


def test_compute_loss_checks_the_value_the_loss_returns() -> None:
    with pytest.raises(UsageError, match=r"got shape \(2,\) for a batch of 3 examples"):
        compute_loss(lambda y_hat, y: squared_loss(y_hat, y).reshape(-1)[:2], X3[:, :1], Y3)
    with pytest.raises(UsageError, match=r"got shape \(2,\) for a batch of 1 example; return"):
        compute_loss(lambda y_hat, y: torch.zeros(2), X3[:1, :1], Y3[:1])
    l = compute_loss(squared_loss, torch.tensor([[1.0], [2.0], [3.0]]), Y3)
    torch.testing.assert_close(l.reshape(-1), torch.tensor([0.5, 2.0, 4.5]))  # ½(ŷ − y)²


# --- a loss of the wrong shape explained by the class labels (D2L §3.6.3) ----------------------


def book_cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -torch.log(y_hat[range(len(y_hat)), y])  # the book's §3.6.3


def every_label_cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -torch.log(y_hat[:, y])  # the book's, mistyped: every example's score of every label


def _probabilities(B: int = 6, C: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    y_hat = torch.softmax(torch.randn(B, C, generator=gen), dim=1)
    return y_hat, torch.tensor([0, 3, 1, 1, 2, 0])[:B]


_GENERIC_SHAPE = (
    r"^loss must return one loss per example, shape \(6,\) \(or one per output value, \(6, 4\), "
    r"or a 0-d mean or sum\), got shape \(6, 6\) for a batch of 6 examples; return every "
    r"example's loss, unsliced, with targets of the output's shape so that nothing broadcasts$"
)


def test_labels_as_a_column_broadcast_by_the_books_cross_entropy_are_named_with_reshape() -> None:
    """y (B, 1) picks y_hat[range(B), y] as (B, B): the labels' shape is the mistake, the loss is
    the book's; the oracle, the same loss on y.reshape(-1), gives one loss per example."""
    y_hat, y = _probabilities()
    column = y.reshape(-1, 1)
    assert book_cross_entropy(y_hat, column).shape == (6, 6)  # the premise
    assert book_cross_entropy(y_hat, column.reshape(-1)).shape == (6,)  # the fix the error names
    with pytest.raises(UsageError) as info:
        compute_loss(book_cross_entropy, y_hat, column)
    assert str(info.value) == (
        "y must be 1-dimensional (B,) for the loss book_cross_entropy, got a tensor of shape "
        "(6, 1) and dtype torch.int64, which it broadcast into losses of shape (6, 6) for a batch "
        "of 6 examples; use y.reshape(-1), with which it returns shape (6,)"
    )


def test_a_loss_picking_every_examples_score_of_every_label_is_named_with_the_books_indexing() -> (
    None
):
    """y_hat[:, y] gives (B, B), row i example i's scores, column j label j: the labels are fine;
    the fix it names, the book's y_hat[range(len(y_hat)), y], is the diagonal of that block."""
    y_hat, y = _probabilities()
    block = every_label_cross_entropy(y_hat, y)
    torch.testing.assert_close(block.diagonal(), book_cross_entropy(y_hat, y))  # the oracle
    with pytest.raises(UsageError) as info:
        compute_loss(every_label_cross_entropy, y_hat, y)
    assert str(info.value) == (
        "loss must return one loss per example, shape (6,), got shape (6, 6) for a batch of 6 "
        "examples: the loss every_label_cross_entropy paired every example's scores with every "
        "example's label, a (6, 6) block, as y_hat[:, y] does; pick each example's score of its "
        "own label, y_hat[range(len(y_hat)), y]"
    )
    with pytest.raises(UsageError) as info:
        compute_loss(every_label_cross_entropy, y_hat, y.reshape(-1, 1))  # both mistakes
    assert str(info.value) == (
        "loss must return one loss per example, shape (6,), got shape (6, 6, 1) for a batch of 6 "
        "examples: y is not 1-dimensional (a tensor of shape (6, 1) and dtype torch.int64), and "
        "with y.reshape(-1) the loss every_label_cross_entropy paired every example's scores with "
        "every example's label, a (6, 6) block, as y_hat[:, y] does; use y.reshape(-1), and pick "
        "each example's score of its own label, y_hat[range(len(y_hat)), y]"
    )


@pytest.mark.parametrize(
    ("loss", "y_hat", "y"),
    [
        (lambda y_hat, y: F.cross_entropy(y_hat, y, reduction="none")[:, None] * torch.ones(len(y)), _probabilities()[0], _probabilities()[1]),
        (every_label_cross_entropy, torch.full((6, 4), 0.25), _probabilities()[1]),
        (every_label_cross_entropy, _probabilities()[0], torch.full((6,), 2)),
        (lambda y_hat, y: (y_hat[:, :1] - y) ** 2, _probabilities()[0], _probabilities()[1].float()),
    ],
    ids=["rows-repeated", "equal-scores", "equal-labels", "float-targets"],
)  # fmt: skip
def test_a_loss_of_the_wrong_shape_the_labels_do_not_explain_keeps_the_general_message(
    loss: Any, y_hat: torch.Tensor, y: torch.Tensor
) -> None:
    """A (B, B) value whose columns do not follow the labels, or that a shift leaves unchanged
    (equal scores, as a zero initialisation gives, or equal labels), or of float targets: the
    labels are not claimed as its cause."""
    assert loss(y_hat, y).shape == (6, 6)  # the premise
    with pytest.raises(UsageError, match=_GENERIC_SHAPE):
        compute_loss(loss, y_hat, y)


# --- targets that would broadcast in a torch loss ------------------------------------------------


@pytest.mark.parametrize(
    "loss",
    [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss()],
    ids=lambda l: type(l).__name__,
)
def test_regression_targets_that_would_broadcast_are_refused_for_every_torch_regression_loss(
    loss: nn.Module,
) -> None:
    with pytest.raises(UsageError, match=r"^the targets y must have the model's output shape \(3, 1\), got \(3,\), which would broadcast to \(3, 3\)"):  # fmt: skip
        compute_loss(loss, torch.zeros(3, 1), torch.zeros(3))


def test_class_labels_for_a_regression_loss_are_refused_before_the_loss_runs() -> None:
    called: list[int] = []
    loss = nn.MSELoss()
    loss.register_forward_pre_hook(lambda module, args: called.append(1))
    with pytest.raises(UsageError, match=r"loss MSELoss is a regression loss.*one_hot\(y, 4\)"):
        compute_loss(loss, torch.zeros(3, 4), torch.tensor([0, 1, 3]))
    assert called == []


def test_class_labels_a_subclass_passes_on_to_torchs_forward_are_named_once_it_raised() -> None:
    """A subclass with a forward of its own may encode the labels itself (see _OneHotMSE below), so
    it runs; one that passes them on as they are fails in torch, and is named as torch's is."""
    called: list[int] = []

    class CountingMSE(nn.MSELoss):
        def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            called.append(1)
            return super().forward(y_hat, y)

    # torch warns of the broadcast in the user's forward, then fails: the error says what to do
    with (
        pytest.warns(UserWarning, match=r"^Using a target size \(torch\.Size\(\[3\]\)\)"),
        pytest.raises(UsageError, match=r"loss CountingMSE is a regression loss.*one_hot\(y, 4\)"),
    ):
        compute_loss(CountingMSE(), torch.zeros(3, 4), torch.tensor([0, 1, 3]))
    assert called == [1]


@pytest.mark.parametrize(
    ("loss", "y_hat", "y"),
    [
        (squared_loss, torch.zeros(3, 1), torch.zeros(3)),  # a function: it reshapes y itself
        (nn.CrossEntropyLoss(), torch.zeros(3, 4), torch.zeros(3)),  # float labels: the loss says
        (nn.MSELoss(), torch.zeros(3, 1), torch.zeros(3, 1)),  # shapes match
        (nn.CrossEntropyLoss(), torch.zeros(3, 4), torch.tensor([0, 1, 3])),  # class labels
        (None, torch.zeros(3, 1), torch.zeros(3)),  # no loss (accuracy only)
    ],
    ids=["function", "float-labels-for-ce", "same-shape", "labels-for-ce", "no-loss"],
)
def test_targets_a_loss_answers_for_pass_the_shape_check(
    loss: Any, y_hat: torch.Tensor, y: torch.Tensor
) -> None:
    check_targets_shape(y_hat, y, loss)


def test_compute_loss_gives_the_losss_own_value() -> None:
    y_hat = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    y = torch.tensor([0, 2])
    l = compute_loss(nn.CrossEntropyLoss(reduction="none"), y_hat, y)
    torch.testing.assert_close(l, F.cross_entropy(y_hat, y, reduction="none"))


class _UserLoss(nn.Module):
    """A loss module of the user's own (not one of torch's): element-wise, so it broadcasts."""

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (y_hat - y).abs()


def test_float_targets_a_users_loss_module_would_broadcast_are_refused() -> None:
    assert _UserLoss()(torch.zeros(3, 1), torch.zeros(3)).shape == (
        3,
        3,
    )  # the oracle: it broadcasts
    with pytest.raises(UsageError, match=r"^loss must return one loss per example, shape \(3,\) \(or one per output value, \(3, 1\), or a 0-d mean or sum\), got shape \(3, 3\) for a batch of 3 examples; .*targets of the output's shape"):  # fmt: skip
        compute_loss(_UserLoss(), torch.zeros(3, 1), torch.zeros(3))


class _HalfSquares(nn.Module):
    """The book's squared loss as a module of the user's own: it reshapes y to the output's shape."""

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def test_a_users_loss_module_that_reshapes_y_itself_is_not_refused() -> None:
    """Targets (B,) for outputs (B, 1) are fine for a loss that reshapes them, module or function
    alike (they were refused before the call, as for nn.MSELoss). The oracle: F.mse_loss."""
    gen = torch.Generator().manual_seed(1)
    y_hat, y = torch.randn(4, 1, generator=gen), torch.randn(4, generator=gen)
    check_targets_shape(y_hat, y, _HalfSquares())
    l = compute_loss(_HalfSquares(), y_hat, y)
    torch.testing.assert_close(l, F.mse_loss(y_hat, y.reshape(4, 1), reduction="none") / 2)


class _MeanOfSquares(nn.Module):
    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((y_hat - y) ** 2).mean()  # no reshape: (B, 1) against (B,) gives (B, B) pairs


def test_a_users_loss_module_averaging_broadcast_pairs_is_refused_with_both_values() -> None:
    gen = torch.Generator().manual_seed(2)
    y_hat, y = torch.randn(5, 1, generator=gen), torch.randn(5, generator=gen)
    paired = float(((y_hat - y.reshape(1, 5)) ** 2).mean())
    aligned = float(F.mse_loss(y_hat, y.reshape(5, 1)))
    assert abs(paired - aligned) > 1e-3
    with pytest.raises(UsageError) as info:
        compute_loss(_MeanOfSquares(), y_hat, y)
    assert str(info.value).endswith(
        "; the loss module _MeanOfSquares compared every output with every target and averaged "
        f"the (5, 5) pairs into one number ({paired:.6g}, against {aligned:.6g} with y in the "
        "output's shape), so the model would learn the targets' mean; or reshape inside the "
        "loss, as the book's squared_loss does: y.reshape(y_hat.shape)"
    )


class _MeanOfHalfSquares(nn.Module):
    """The book's squared loss, reshaping y, reduced to its mean: aligned, as F.mse_loss / 2."""

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).mean()


def test_a_broadcasting_loss_made_at_the_id_of_a_collected_aligned_one_is_still_refused() -> None:
    """The check is made once per loss and pair of shapes, remembered by id(loss): a loss made
    after an aligned one was collected, at its id (CPython reuses the memory at once), was taken
    for it and trained on the (B, B) pairs' mean without a word. Each of 20 such pairs: the
    aligned one trains (the oracle: F.mse_loss / 2), the broadcasting one is refused."""
    gen = torch.Generator().manual_seed(6)
    y_hat, y = torch.randn(5, 1, generator=gen), torch.randn(5, generator=gen)
    for _ in range(20):
        good = _MeanOfHalfSquares()
        torch.testing.assert_close(
            compute_loss(good, y_hat, y), F.mse_loss(y_hat, y.reshape(5, 1)) / 2
        )
        del good
        with pytest.raises(UsageError, match=r"the loss module _MeanOfSquares compared every output with every target"):  # fmt: skip
            compute_loss(_MeanOfSquares(), y_hat, y)


def test_a_subclass_of_a_torch_regression_loss_is_checked_before_it_runs() -> None:
    class LoggedMSE(nn.MSELoss):
        pass

    with pytest.raises(UsageError, match=r"^the targets y must have the model's output shape \(3, 1\), got \(3,\)"):  # fmt: skip
        check_targets_shape(torch.zeros(3, 1), torch.zeros(3), LoggedMSE())


def test_class_labels_a_subclass_passes_on_unencoded_are_refused_where_they_broadcast() -> None:
    """Scores (B, C) with C = B: torch broadcasts the labels (B,) against every row with only a
    warning, and the subclass's loss trains on nonsense. Refused after its call, before any update,
    as torch's own module is before it; the oracle: the loss ran once, torch's value."""
    called: list[int] = []

    class CountingMSE(nn.MSELoss):
        def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            called.append(1)
            return super().forward(y_hat, y)

    scores = torch.randn(3, 3, generator=torch.Generator().manual_seed(5))
    with pytest.warns(UserWarning, match="Using a target size"):
        nn.MSELoss()(scores, torch.tensor([0, 1, 2]))  # torch's only word
    with (
        pytest.warns(UserWarning, match="Using a target size"),
        pytest.raises(UsageError, match=r"^loss CountingMSE is a regression loss.*one_hot\(y, 3\)"),
    ):
        compute_loss(CountingMSE(), scores, torch.tensor([0, 1, 2]))
    assert called == [1]


class _FlatMSE(nn.MSELoss):
    """A subclass of torch's loss with a forward of its own, which reshapes y first."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return super().forward(input, target.reshape(input.shape))


class _ScaledMSE(nn.MSELoss):
    """A subclass with a forward of its own that broadcasts, as torch's would."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 0.5 * super().forward(input, target)


def test_a_subclass_with_a_forward_of_its_own_is_judged_by_what_it_returns() -> None:
    """_FlatMSE reshapes y: targets (B,) for outputs (B, 1) were refused before the call, as
    for nn.MSELoss. The oracle: F.mse_loss on y in the output's shape. One that broadcasts is
    still refused, after the call, as a loss function is."""
    gen = torch.Generator().manual_seed(3)
    y_hat, y = torch.randn(4, 1, generator=gen), torch.randn(4, generator=gen)
    check_targets_shape(y_hat, y, _FlatMSE())
    torch.testing.assert_close(
        compute_loss(_FlatMSE(), y_hat, y), F.mse_loss(y_hat, y.reshape(4, 1))
    )
    with (
        pytest.warns(UserWarning, match=r"^Using a target size \(torch\.Size\(\[4\]\)\)"),
        pytest.raises(UsageError, match=r"; the loss module _ScaledMSE compared every output with every target"),
    ):  # fmt: skip
        compute_loss(_ScaledMSE(), y_hat, y)


class _OneHotMSE(nn.MSELoss):
    """The squared loss of a classifier, as courses train one: class labels one-hot encoded in
    its forward before torch's."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return super().forward(input, F.one_hot(target, input.shape[1]).to(input.dtype))


def test_class_labels_for_a_subclass_that_encodes_them_train_a_classifier() -> None:
    """They were refused as class labels for a regression loss ("give _OneHotMSE one-hot
    targets"), which it makes itself. The oracle: the same steps with F.mse_loss on one-hot
    targets, and the accuracy of the scores each step saw."""
    from linearnets.training.loop import fit

    gen = torch.Generator().manual_seed(4)
    X, y = torch.randn(12, 3, generator=gen), torch.randint(0, 3, (12,), generator=gen)
    batches = [(X[:6], y[:6]), (X[6:], y[6:])]
    torch.manual_seed(0)
    net, oracle = nn.Linear(3, 3), nn.Linear(3, 3)
    oracle.load_state_dict(net.state_dict())
    history = fit(net, batches, _OneHotMSE(), torch.optim.SGD(net.parameters(), lr=0.5), 1)
    updater, total, correct = torch.optim.SGD(oracle.parameters(), lr=0.5), 0.0, 0
    for Xb, yb in batches:
        scores = oracle(Xb)
        l = F.mse_loss(scores, F.one_hot(yb, 3).float())
        total += float(l.detach()) * len(yb)
        correct += int((scores.argmax(1) == yb).sum())
        updater.zero_grad()
        l.backward()
        updater.step()
    assert history.train_loss[0] == pytest.approx(total / 12, rel=1e-6)
    assert history.train_acc[0] == correct / 12
    torch.testing.assert_close(net.weight, oracle.weight)


def test_class_labels_for_a_users_loss_module_are_its_own_business() -> None:
    """Integer targets are refused only for torch's regression losses; a user's module answers for them."""
    check_targets_shape(torch.zeros(3, 1), torch.tensor([0, 1, 1]), _UserLoss())


# --- a loss function that reduced broadcast pairs into one number ---------------------------------


def _mean_of_squares(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((y_hat - y) ** 2).mean()  # no reshape: (B,) against (B, 1) gives (B, B) pairs


def test_a_loss_function_averaging_broadcast_pairs_is_refused_with_both_values() -> None:
    """Outputs (B,) against targets (B, 1): the mean over (B, B) pairs trains to the targets' mean
    with no error. The oracle: the same function on y in the output's shape, and F.mse_loss."""
    gen = torch.Generator().manual_seed(0)
    y_hat, y = torch.randn(5, generator=gen), torch.randn(5, 1, generator=gen)
    paired = float(((y_hat.reshape(1, 5) - y) ** 2).mean())
    aligned = float(F.mse_loss(y_hat, y.reshape(5)))
    assert abs(paired - aligned) > 1e-3
    with pytest.raises(UsageError) as info:
        compute_loss(_mean_of_squares, y_hat, y)
    assert str(info.value) == (
        "the targets y must have the model's output shape (5,), got (5, 1), which would "
        "broadcast to (5, 5) in the loss; reshape them with y.reshape(5) (e.g. "
        "labels.reshape(-1)); the loss function _mean_of_squares compared every output with "
        f"every target and averaged the (5, 5) pairs into one number ({paired:.6g}, against "
        f"{aligned:.6g} with y in the output's shape), so the model would learn the targets' "
        "mean; or reshape inside the loss, as the book's squared_loss does: y.reshape(y_hat.shape)"
    )


def test_a_loss_function_that_reshapes_y_itself_is_asked_once_per_pair_of_shapes() -> None:
    """The book's squared_loss reshapes y: it trains as it should, and the check costs two extra
    calls (y as given, y reshaped) per function and shapes, not one a step."""
    calls = []

    def book_mean(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return squared_loss(y_hat, y).mean()

    y_hat, y = torch.randn(4, 1), torch.randn(4)
    for _ in range(3):
        compute_loss(book_mean, y_hat, y)
    assert len(calls) == 5  # three steps and the oracle's two
    assert float(compute_loss(book_mean, y_hat, y)) == pytest.approx(
        float(F.mse_loss(y_hat.reshape(4), y)) / 2
    )


def test_a_fit_with_a_broadcasting_loss_function_stops_before_any_update() -> None:
    """Through the training loop: the first step refuses, the weights stay as they were."""
    from linearnets.training.loop import fit

    w = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    X = torch.randn(8, 2)
    data = [(X, (X @ torch.tensor([2.0, -3.4]) + 4.2).reshape(-1, 1))]

    def net(X: torch.Tensor) -> torch.Tensor:
        return X @ w + b  # (B,): the book's linreg with a 1-d w

    with pytest.raises(UsageError, match=r"averaged the \(8, 8\) pairs into one number"):
        fit(net, data, _mean_of_squares, torch.optim.SGD([w, b], lr=0.03), 1)
    assert not w.any() and not b.any()


def test_a_batch_of_equal_targets_does_not_excuse_the_pair_of_shapes() -> None:
    """Equal targets give the broadcast and the aligned forms the same value and gradient: that
    batch cannot tell them apart, so the pair of shapes is asked again at the next batch."""
    y_hat = torch.tensor([0.5, -1.0, 2.0, 0.0])
    same = torch.full((4, 1), 3.0)
    # the oracle: on equal targets the (4, 4) mean and the aligned mean are one number
    assert float(((y_hat.reshape(1, 4) - same) ** 2).mean()) == pytest.approx(
        float(F.mse_loss(y_hat, same.reshape(4)))
    )
    compute_loss(_mean_of_squares, y_hat, same)
    with pytest.raises(UsageError, match=r"averaged the \(4, 4\) pairs into one number"):
        compute_loss(_mean_of_squares, y_hat, torch.tensor([[1.0], [2.0], [3.0], [4.0]]))


def test_broadcast_pairs_of_small_values_are_refused_too() -> None:
    """The two forms are compared relative to their size: losses of order 1e-6 that differ by
    half are told apart (an absolute tolerance of 0.1 would take them for equal)."""
    gen = torch.Generator().manual_seed(0)
    y_hat, y = 1e-3 * torch.randn(5, generator=gen), 1e-3 * torch.randn(5, 1, generator=gen)
    paired = float(((y_hat.reshape(1, 5) - y) ** 2).mean())
    aligned = float(F.mse_loss(y_hat, y.reshape(5)))
    assert paired < 1e-4 and aligned < 1e-4 and abs(paired - aligned) > 0.1 * aligned
    with pytest.raises(UsageError, match=r"averaged the \(5, 5\) pairs into one number"):
        compute_loss(_mean_of_squares, y_hat, y)


def test_the_pairs_of_shapes_found_aligned_are_remembered_up_to_a_bound() -> None:
    """One entry per (function, output shape, target shape): a run of ever new batch sizes keeps
    at most _ALIGNED_MAX of them, the oldest let go first."""
    from linearnets.training import step_checks

    def book_mean(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return squared_loss(y_hat, y).mean()

    for n in range(2, 2 + step_checks._ALIGNED_MAX + 6):
        compute_loss(book_mean, torch.randn(n, 1), torch.randn(n))
    assert len(step_checks._ALIGNED) == step_checks._ALIGNED_MAX == 64
    assert (id(book_mean), (2, 1), (2,)) not in step_checks._ALIGNED  # the oldest, let go
    assert (id(book_mean), (71, 1), (71,)) in step_checks._ALIGNED


def test_float_class_labels_in_a_batch_of_one_are_named_for_a_classification_loss() -> None:
    """Scores (1, 3) and float labels (1,) broadcast; for nn.CrossEntropyLoss that is no
    regression's shape mismatch: the labels' dtype is what is wrong."""
    with pytest.raises(UsageTypeError, match=r"^y must be an integer tensor of class indices, got a tensor of shape \(1,\) and dtype torch\.float32; use y\.long\(\)$"):  # fmt: skip
        compute_loss(nn.CrossEntropyLoss(reduction="none"), torch.randn(1, 3), torch.zeros(1))
