"""The divergence guard's messages, worded from the values alone: which cause each names, the rate to
try, what the loss grew past."""

from __future__ import annotations

import math
import sys

import pytest
import torch

from linearnets.training.guard_messages import (
    Unseen,
    before_update,
    either,
    epoch_not_finite,
    grown,
    grown_past,
    not_finite,
    smaller,
    smaller_lr,
    targets_too_large,
)


@pytest.mark.parametrize(("lr", "tenth"), [(0.1, 0.01), (5.0, 0.5), (10.0, 0.5), (1e30, 0.5)])
def test_the_rate_to_try_is_a_tenth_up_to_one_half(lr: float, tenth: float) -> None:
    assert smaller_lr(lr) == pytest.approx(tenth)


def test_past_five_the_advice_says_why_not_a_tenth() -> None:
    assert smaller(5.0) == "a smaller learning rate (lr), e.g. 0.5 (a tenth)"
    assert smaller(10.0) == ("a smaller learning rate (lr), e.g. 0.5 (a tenth, 1, can blow up too)")
    assert smaller(1e30) == (
        "a far smaller learning rate (lr), e.g. 0.5 (the book trains at 0.03 and 0.1; a tenth, "
        "1e+29, would most likely blow up too)"
    )


def test_growth_is_named_from_the_untrained_models_loss_or_a_rare_losss_level() -> None:
    assert grown_past(2.0, factor=100, start_loss=2.0, first_loss=2.5) == (
        "100× its starting value 2"
    )
    # the first step lower than the window's mean, the bound's: both are named
    assert grown_past(2.0, factor=100, start_loss=2.0, first_loss=1.5, examples=64) == (
        "100× its starting value 2 (the mean loss over its first 64 examples; the first step's "
        "was 1.5)"
    )
    assert grown_past(3.0, factor=2.5, start_loss=1e-4, first_loss=None) == (
        "2.5× its level 3 after a rare large loss (its starting value 0.0001)"
    )
    # a start of exactly 0 (zero targets, zero weights) is a start: a level above it is named
    assert grown_past(3.0, factor=100, start_loss=0.0, first_loss=0.0) == (
        "100× its level 3 after a rare large loss (its starting value 0)"
    )
    # the reference window still open: its mean so far is the starting value
    assert grown_past(1.7, factor=100, start_loss=None, first_loss=1.7) == (
        "100× its starting value 1.7"
    )


def test_a_window_mean_grown_far_past_the_first_step_is_no_starting_value() -> None:
    """`linreg --lr 10`: the mean over the first 70 examples, 2.263e+14, was "its starting value"
    beside a first step of 18.99, the loss having grown 10^13-fold in those steps already."""
    assert grown_past(2.263e14, factor=100, start_loss=2.263e14, first_loss=18.99, examples=70) == (
        "100× the mean loss over its first 70 examples (2.263e+14, already grown from the first "
        "step's 18.99)"
    )
    # under GROWN_EARLY times the first step's: still the starting value, the first step beside
    assert grown_past(9.0, factor=100, start_loss=9.0, first_loss=1.0, examples=64) == (
        "100× its starting value 9 (the mean loss over its first 64 examples; the first step's "
        "was 1)"
    )
    assert grown_past(5e16, factor=100, start_loss=1.5e7, first_loss=19.0, examples=70) == (
        "100× its level 5e+16 after a rare large loss (the mean loss over its first 70 examples, "
        "1.5e+07, already grown from the first step's 19)"
    )


def test_a_grown_loss_names_place_value_and_lr_and_may_settle() -> None:
    error = grown("in epoch 2", "training loss after the epoch", 600.0, past="100× x", lr=0.5)
    assert str(error) == (
        "training diverged in epoch 2: the training loss after the epoch is 600, more than "
        "100× x, at lr 0.5; try a smaller learning rate (lr), e.g. 0.05 (a tenth)"
    )
    assert error.grew is True
    error = epoch_not_finite(4, "test", math.inf, lr=0.5)
    assert str(error) == (
        "training diverged in epoch 4: the test loss after the epoch is inf at lr 0.5; try a "
        "smaller learning rate (lr), e.g. 0.05 (a tenth)"
    )
    assert error.grew is False


def _not_finite(loss: float, **flags: object) -> str:
    options: dict = dict(
        lr=0.5, epoch=1, dtype=torch.float32, updated=False, resumed=False, data_checked=False
    )
    options.update(flags)
    error = not_finite("batch 1 of epoch 1", loss, **options)
    return f"{error} | resumable={error.resumable}"


def test_a_non_finite_loss_names_lr_only_after_an_update_or_on_weights_trained_before() -> None:
    lr_named = (
        "training diverged at batch 1 of epoch 1: the batch loss is nan (not finite) at lr 0.5; try "
        "a smaller learning rate (lr), e.g. 0.05 (a tenth)"
    )
    check = ", and check the data holds no NaN or inf"
    assert _not_finite(math.nan, updated=True) == f"{lr_named}{check} | resumable=True"
    assert _not_finite(math.nan, epoch=2) == f"{lr_named}{check} | resumable=True"
    assert _not_finite(math.nan, updated=True, data_checked=True) == (
        f"{lr_named} | resumable=True"
    )
    # a resume's first step: the updates before its checkpoint, which a resume cannot undo
    resumed = _not_finite(math.inf, epoch=3, resumed=True)
    assert resumed.startswith(
        "training diverged at batch 1 of epoch 1: the batch loss is inf (not "
    )
    assert "so not because of lr 0.5" in resumed and resumed.endswith(
        "start the run over with a smaller learning rate (lr), e.g. 0.05 (a tenth), or rescale "
        "the data | resumable=False"
    )


def test_a_non_finite_loss_before_any_update_names_the_data_and_the_dtypes_range() -> None:
    largest = sys.float_info.max  # float64's, 1.8e+308; its square root 1.3e+154
    assert _not_finite(math.inf, dtype=torch.float64, data_checked=True) == (
        "the loss is inf at batch 1 of epoch 1, before any update, so not because of lr 0.5: the "
        "targets or the model's outputs are too large for float64, whose largest value is "
        f"{largest:.3g} (a squared loss overflows once |ŷ − y| passes about 1e+154); rescale the "
        "data, e.g. standardise y (and X where its values are as large) | resumable=False"
    )
    assert _not_finite(math.nan, data_checked=True) == (
        "the loss is nan at batch 1 of epoch 1, before any update, so not because of lr 0.5: the "
        "model's outputs on the data overflow float32, whose largest value is 3.4e+38 (the data "
        "were checked to hold no NaN or inf); rescale the data, e.g. standardise X | "
        "resumable=False"
    )
    assert _not_finite(math.nan).endswith(
        "the data hold NaN or inf, or the targets or the model's outputs are too large for "
        "float32; check the data holds no NaN or inf, and rescale values too large | "
        "resumable=False"
    )
    # an integer loss has no float range: float32's is named
    assert "whose largest value is 3.4e+38" in _not_finite(math.inf, dtype=torch.int64)


def test_after_an_update_data_not_looked_at_and_the_lr_are_both_named_with_the_test() -> None:
    """Features the guard did not hold past their step: "try a smaller lr" alone could not help
    where they hold NaN, nor naming them alone where the lr broke the weights (the book's naive
    softmax at lr 5 on finite Fashion-MNIST); both are named, the test between, in the order the
    evidence gives."""
    unseen = Unseen(
        data="that batch's features X hold NaN or inf (not looked at)",
        weights="an update made the weights non-finite",
        tells="torch.isfinite(X).all()",
        fix="clean or drop the examples that hold NaN or inf (torch.isfinite(X).all(dim=1) is "
        "False on them)",
    )
    error = either("batch 1 of epoch 1", math.nan, lr=0.5, unseen=unseen)
    assert str(error) == (
        "training diverged at batch 1 of epoch 1: the batch loss is nan (not finite) at lr 0.5: "
        "either that batch's features X hold NaN or inf (not looked at), or an update made the "
        "weights non-finite, as a learning rate too large does; torch.isfinite(X).all() on that "
        "batch tells which (False: clean or drop the examples that hold NaN or inf "
        "(torch.isfinite(X).all(dim=1) is False on them), then train again from fresh weights; "
        "True: try a smaller learning rate (lr), e.g. 0.05 (a tenth))"
    )
    assert error.resumable and not error.examples  # a smaller lr may be the fix
    grown = unseen._replace(evidence=", after a grown loss", lr_first=True)
    assert str(either("batch 1 of epoch 1", math.nan, lr=0.5, unseen=grown)) == (
        "training diverged at batch 1 of epoch 1: the batch loss is nan (not finite) at lr 0.5, "
        "after a grown loss: either an update made the weights non-finite, as a learning rate "
        "too large does, or that batch's features X hold NaN or inf (not looked at); "
        "torch.isfinite(X).all() on that batch tells which (True: try a smaller learning rate "
        "(lr), e.g. 0.05 (a tenth); False: clean or drop the examples that hold NaN or inf "
        "(torch.isfinite(X).all(dim=1) is False on them), then train again from fresh weights)"
    )


def test_before_any_update_the_examples_the_losses_single_out_are_added_to_the_datas_cause() -> (
    None
):
    rows = "; it is not finite on 1 of the batch's 32 examples (...), whose targets y reach 1e+20"
    assert _not_finite(math.inf, rows=rows) == (
        "the loss is inf at batch 1 of epoch 1, before any update, so not because of lr 0.5: the "
        "targets or the model's outputs are too large for float32, whose largest value is "
        "3.4e+38 (a squared loss overflows once |ŷ − y| passes about 2e+19), or the data hold "
        "inf; it is not finite on 1 of the batch's 32 examples (...), whose targets y reach "
        "1e+20; rescale the data, e.g. standardise y (and X where its values are as large) | "
        "resumable=False"
    )
    # after an update, or on a resume's weights, they are not the data's scale: not added
    assert "32 examples" not in _not_finite(math.inf, rows=rows, updated=True)
    assert "32 examples" not in _not_finite(math.inf, rows=rows, resumed=True)


def test_before_an_update_is_a_fresh_first_epoch_or_a_resume_with_no_update_yet() -> None:
    assert before_update(updated=False, resumed=False, epoch=1)
    assert before_update(updated=False, resumed=True, epoch=3)
    assert not before_update(updated=True, resumed=False, epoch=1)
    assert not before_update(updated=False, resumed=False, epoch=2)  # trained in epoch 1


def test_huge_targets_are_named_with_the_losses_own_dtype_and_no_smaller_lr() -> None:
    error = targets_too_large(
        "batch 5 of epoch 2",
        math.inf,
        lr=0.3,
        dtype=torch.float64,
        targets="targets y reach 1e+160",
    )
    assert str(error) == (
        "training stopped at batch 5 of epoch 2: the batch loss is inf (not finite) because the "
        "batch's targets y reach 1e+160, too large for float64, whose largest value is "
        "1.8e+308 (a squared loss overflows once |ŷ − y| passes about 1e+154), so not because "
        "of lr 0.3; that step's update most likely broke the weights: rescale the data, e.g. "
        "standardise y (and X where its values are as large), then train again from fresh weights"
    )
    assert error.examples and not error.resumable
