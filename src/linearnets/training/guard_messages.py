"""What the divergence guard says when it stops a run: where, how badly, why, and what to try.

Pure functions of the values the guard decided on (:mod:`linearnets.training.guard` decides; this
module only words it): each returns a :class:`~linearnets.errors.DivergenceError` or its text.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from linearnets.errors import DivergenceError
from linearnets.training.adaptive_lr import ADAPTIVE_ADVISED_LR

__all__ = [
    "ADVISED_LR",
    "FAR_LR",
    "Kept",
    "Unseen",
    "before_update",
    "either",
    "epoch_not_finite",
    "grown",
    "grown_past",
    "not_finite",
    "reference_said",
    "rose_past",
    "smaller",
    "smaller_lr",
    "suggestion",
    "targets_too_large",
]

# past this lr a tenth of it is still far above the rates a linear model trains at (the book's are
# 0.03 and 0.1; linear regression on unit-variance features blows up from about 2): a run that blew
# up at lr 1e30 was told to try 1e29.
FAR_LR = 10.0

# the largest rate advised after a blow-up: one both squared losses train at. nn.MSELoss and
# F.mse_loss have no ½, so their gradient is twice squared_loss's: the book's synthetic data train
# at lr 1 under squared_loss but blow up under nn.MSELoss (seeds 0-3, batches of 10), which
# trains at 0.5. The guard words a blow-up from the lr alone, so the advice suits either loss.
ADVISED_LR = 0.5


class Unseen(NamedTuple):
    """What the guard says of a non-finite step whose data it did not look at (see
    :mod:`linearnets.training.guard_unseen`), after an update: either those data or the lr.

    ``data``, that cause ("that batch's features X hold NaN or inf (...)"); ``weights``, the lr's
    ("an update made the weights non-finite"); ``tells``, the test on the whole batch that tells
    them apart ("torch.isfinite(X).all()"); ``fix``, the data's fix ("clean or drop that example
    (torch.isfinite(X).all(dim=1) is False on it)"); ``evidence``, what the losses show, after
    "at lr 0.1" (", on 1 of its 256 examples (...)"); ``lr_first``: whether that evidence puts
    the lr first (the other losses had grown), else the data lead."""

    data: str
    weights: str
    tells: str
    fix: str
    evidence: str = ""
    lr_first: bool = False


class Kept(NamedTuple):
    """A step before any update of its ``epoch`` (2 on), on the weights the epoch before left,
    which its checkpoint holds; ``only_step``: the epoch's loss judged is that step's alone (its
    only step's mean)."""

    epoch: int
    only_step: bool = False


def smaller_lr(lr: float) -> float:
    """Return the learning rate to try after a blow-up at ``lr``: a tenth of it, or
    :data:`ADVISED_LR` (0.5) where a tenth is higher (a tenth of 10, 1, blows up ``nn.MSELoss``);
    for an adaptive optimizer's (an :class:`~linearnets.training.adaptive_lr.AdaptiveLr`),
    :data:`~linearnets.training.adaptive_lr.ADAPTIVE_ADVISED_LR` (1e-3)."""
    if getattr(lr, "optimizer", None) is not None:
        return min(lr / 10, ADAPTIVE_ADVISED_LR)
    return min(lr / 10, ADVISED_LR)


def smaller(lr: float) -> str:
    """Return "a smaller learning rate (lr), e.g. 0.01 (a tenth)" for a blow-up at ``lr``, naming
    :data:`ADVISED_LR`, a rate a linear model trains at under either squared loss, where a tenth
    would blow up again: past :data:`FAR_LR` under any loss, up to it under ``nn.MSELoss``. An
    adaptive optimizer's lr (Adam's) is told around torch's default for Adam, not the book's
    SGD rates."""
    optimizer = getattr(lr, "optimizer", None)
    if optimizer is not None and lr / 10 > ADAPTIVE_ADVISED_LR:
        return (
            f"a far smaller learning rate (lr) for {optimizer}, e.g. {smaller_lr(lr):g} (torch's "
            f"default for Adam; {optimizer} moves each weight by about lr a step whatever the "
            "gradient's size, so SGD's rates blow it up too)"
        )
    if lr / 10 <= ADVISED_LR or optimizer is not None:
        return f"a smaller learning rate (lr), e.g. {smaller_lr(lr):g} (a tenth)"
    if lr <= FAR_LR:
        return (
            # not said why: the advice is worded from the lr alone, and nn.MSELoss (whose
            # gradient, without the ½, is twice squared_loss's) blowing up at 1 is linear
            # regression's; softmax trains at 1 (its advice once blamed nn.MSELoss)
            f"a smaller learning rate (lr), e.g. {smaller_lr(lr):g} (a tenth, {lr / 10:g}, "
            "can blow up too)"
        )
    return (
        f"a far smaller learning rate (lr), e.g. {smaller_lr(lr):g} (the book trains at "
        f"0.03 and 0.1; a tenth, {lr / 10:g}, would most likely blow up too)"
    )


def suggestion(lr: float) -> str:
    """Return the fix for a blow-up at ``lr`` in the Python API's words: the setting ``(lr)``, which
    the command line prints as its option ``(--lr)`` (``linearnets.cli._report``)."""
    return f"try {smaller(lr)}"


def grown_past(
    reference: float,
    *,
    factor: float,
    start_loss: float | None,
    first_loss: float | None,
    examples: int = 0,
    zero: float = 0.0,
) -> str:
    """Return what the loss grew past: ``factor`` × the starting value, or × the level
    ``reference`` a rare large loss left where that is higher than ``start_loss`` (``None``: the
    reference window is still open, ``reference`` is its mean so far), or × ``zero``, the loss of
    predicting the targets' mean over the examples seen (a squared-error loss's floor), where
    higher still: the run's starting loss is named beside it, as what it replaced.

    The starting value named is the one the bound uses, the mean loss over the window's first
    ``examples``; where the untrained model's ``first_loss`` was lower (the window's later steps
    had grown), it is named beside it. Naming it alone (4.3) hid the bound (100× 20.7, the mean
    of a first epoch whose steps grew), past which a loss of 380× the first went unstopped.
    Where that mean is :data:`GROWN_EARLY` times the first step's or more, it is no starting value
    (the first steps had blown up already): it is named the mean it is, beside the first step's."""
    said = reference_said(
        reference, start_loss=start_loss, first_loss=first_loss, examples=examples, zero=zero
    )
    return f"{factor:g}× {said}"


def reference_said(
    reference: float,
    *,
    start_loss: float | None,
    first_loss: float | None,
    examples: int = 0,
    zero: float = 0.0,
) -> str:
    """Return what growth is measured from, as :func:`grown_past` names it after "100× ": "its
    starting value 2.3 (...)", "its level 3 after a rare large loss (...)" or "7.8, the loss of
    predicting the mean of the targets seen so far (...)"."""
    start = reference if start_loss is None else start_loss
    if zero > reference:
        return (
            f"{zero:.4g}, the loss of predicting the mean of the targets seen so far "
            f"(the run's starting loss was {start:.4g})"
        )
    over = f"its first {examples} examples" if examples else "its first examples"
    grown = first_loss is not None and start > first_loss and start >= GROWN_EARLY * first_loss
    if reference > start:
        start_said = (
            f"the mean loss over {over}, {start:.4g}, already grown from the first step's "
            f"{first_loss:.4g}"
            if grown
            else f"its starting value {start:.4g}"
        )
        return f"its level {reference:.4g} after a rare large loss ({start_said})"
    if grown:  # no starting value: the steps it is the mean of had blown up already
        return (
            f"the mean loss over {over} ({start:.4g}, already grown from the first step's "
            f"{first_loss:.4g})"
        )
    said = f"its starting value {start:.4g}"
    if first_loss is not None and f"{first_loss:.4g}" != f"{start:.4g}" and first_loss < start:
        said += f" (the mean loss over {over}; the first step's was {first_loss:.4g})"
    return said


# the early window's mean past this many times the first step's loss had grown, not started
# there: told as the mean it is, beside the first step's (`linreg --lr 10`: 2.263e+14 over a first
# step's 18.99 was "its starting value")
GROWN_EARLY = 10.0


def rose_past(best: float, best_epoch: int, *, factor: float, reference: str) -> str:
    """Return what an epoch's loss rose past, after an earlier epoch's had fallen far below the
    start: ``factor`` × ``best``, the lowest loss after an earlier epoch (``best_epoch``), and
    the ``reference`` growth is measured from (:func:`reference_said`)."""
    return (
        f"{factor:g}× its lowest after an earlier epoch ({best:.4g}, after epoch {best_epoch}) "
        f"and more than {reference}"
    )


def grown(
    place: str, what: str, loss: float, *, past: str, lr: float, kept: Kept | None = None
) -> DivergenceError:
    """Return the error for a finite loss grown too far: the ``what`` ("batch loss", ...) is
    ``loss`` at ``place`` ("at batch 3 of epoch 1", "in epoch 2"), more than ``past`` (see
    :func:`grown_past`), at ``lr``. Its ``grew`` is set: such a loss may still settle.

    A loss ``kept`` by weights no update of this epoch touched (:class:`Kept`) is no smaller lr's
    to cure: the last checkpoint's weights give it, so a resume from them starts at this very
    loss, at any lr (each retry of that advice repeated it a tenth lower), and is not
    ``resumable``; the run is to start over."""
    if kept is None:
        error = DivergenceError(
            f"training diverged {place}: the {what} is {loss:.4g}, more than {past}, at lr "
            f"{lr:g}; {suggestion(lr)}"
        )
    else:
        only = "over its only step, " if kept.only_step else ""
        error = DivergenceError(
            f"training diverged {place}: the {what} is {loss:.4g}, more than {past}, {only}before "
            f"any update of epoch {kept.epoch}: the weights epoch {kept.epoch - 1} left give it "
            "(the updates before grew it), and a resume from those weights starts at this loss "
            f"whatever its lr; start the run over with {smaller(lr)}"
        )
        error.resumable = False
    error.grew = True
    return error


def epoch_not_finite(epoch: int, name: str, value: float, *, lr: float) -> DivergenceError:
    """Return the error for the ``name`` ("training", "test") loss ``value`` after ``epoch``, not
    finite, at ``lr``."""
    return DivergenceError(
        f"training diverged in epoch {epoch}: the {name} loss after the epoch is {value} at lr "
        f"{lr:g}; {suggestion(lr)}"
    )


def not_finite(
    where: str,
    loss: float,
    *,
    lr: float,
    epoch: int,
    dtype: torch.dtype,
    updated: bool,
    resumed: bool,
    data_checked: bool,
    rows: str = "",
) -> DivergenceError:
    """Return the error for a non-finite batch ``loss`` at ``where`` ("batch 3 of epoch 1").

    After an update (:func:`before_update` is false), the lr is named, and data not
    ``data_checked`` as a thing to check (where the step's data were not looked at, and the lr
    is not the likelier cause, :func:`either` names both instead).

    Before any update (none ``updated`` by the guard, and the weights untrained: a fresh run's
    first epoch) lr cannot be the cause: the data, or the model's outputs on them, are too large
    for the losses' ``dtype``, or hold NaN; ``rows`` says on which of the batch's examples, where
    known ("; it is not finite on 1 of the batch's 32 examples (...)"). On the weights a run
    ``resumed`` from, the updates before its checkpoint diverged. Data checked to be finite
    (``data_checked``) are named as neither holding NaN nor inf.
    """
    if not before_update(updated=updated, resumed=resumed, epoch=epoch):
        # finite data gave finite losses until the updates: lr alone is named
        check = "" if data_checked else ", and check the data holds no NaN or inf"
        return DivergenceError(
            f"training diverged at {where}: the batch loss is {loss} (not finite) at lr "
            f"{lr:g}; {suggestion(lr)}{check}"
        )
    if resumed:
        # the same data gave finite losses while these weights were trained
        error = DivergenceError(
            f"training diverged at {where}: the batch loss is {loss} (not finite) at the "
            "first step after resuming, before any update of this resume, so not because of "
            f"lr {lr:g}: the weights it resumed from give it, so the updates before its "
            f"checkpoint diverged; start the run over with {smaller(lr)}, or rescale the "
            "data"
        )
        error.resumable = False  # its checkpoint gives this loss: a resume from it cannot help
        return error
    why, fix = _data_too_large(loss, dtype=dtype, data_checked=data_checked)
    error = DivergenceError(
        f"the loss is {loss} at {where}, before any update, so not because of lr {lr:g}: {why}"
        f"{rows}; {fix}"
    )
    error.resumable = False  # the data are the cause: no smaller lr, no resume helps
    return error


def targets_too_large(
    where: str, loss: float, *, lr: float, dtype: torch.dtype, targets: str
) -> DivergenceError:
    """Return the error for a non-finite batch ``loss`` at ``where`` ("batch 4 of epoch 1"), at any
    step, that held ``targets`` too large for the losses' ``dtype`` account for ("targets y reach
    1e+20 on 1 of its 128 examples (...)", :func:`~linearnets.training.guard_first.huge_targets`):
    no smaller lr helps, so the targets are named, not features X or the lr."""
    error = DivergenceError(
        f"training stopped at {where}: the batch loss is {loss} (not finite) because the "
        f"batch's {targets}, too large for {_overflow(dtype)}, so not because of lr {lr:g}; "
        "that step's update most likely broke the weights: rescale the data, e.g. standardise "
        "y (and X where its values are as large), then train again from fresh weights"
    )
    error.examples = True  # which examples' data are to blame
    error.resumable = False  # the data are the cause: no smaller lr, no resume helps
    return error


def _overflow(dtype: torch.dtype) -> str:
    """Return "float32, whose largest value is 3.4e+38 (a squared loss overflows once |ŷ − y|
    passes about 2e+19)"."""
    name = str(dtype).removeprefix("torch.")
    largest = torch.finfo(dtype if dtype.is_floating_point else torch.float32).max
    # a squared loss r² / 2 overflows from |r| = √(2 · largest), (ŷ − y)² from √largest
    return (
        f"{name}, whose largest value is {largest:.3g} (a squared loss overflows once "
        f"|ŷ − y| passes about {math.sqrt(largest):.0e})"
    )


def before_update(*, updated: bool, resumed: bool, epoch: int) -> bool:
    """Return whether a step's weights had no update yet: none ``updated`` by the guard, on the
    untrained weights of a fresh run's first epoch or on those a run ``resumed`` from."""
    return not updated and (resumed or epoch == 1)


def either(where: str, loss: float, *, lr: float, unseen: Unseen) -> DivergenceError:
    """Return the error for a non-finite batch ``loss`` at ``where`` after an update, whose data
    were ``unseen``: those data, or an update the lr made too large, the one its evidence points
    at first, and the test that tells which."""
    weights = f"{unseen.weights}, as a learning rate too large does"
    clean = f"{unseen.fix}, then train again from fresh weights"
    if unseen.lr_first:
        causes, answers = f"{weights}, or {unseen.data}", f"True: {suggestion(lr)}; False: {clean}"
    else:
        causes, answers = f"{unseen.data}, or {weights}", f"False: {clean}; True: {suggestion(lr)}"
    return DivergenceError(
        f"training diverged at {where}: the batch loss is {loss} (not finite) at lr {lr:g}"
        f"{unseen.evidence}: either {causes}; {unseen.tells} on that batch tells which ({answers})"
    )


def _data_too_large(loss: float, *, dtype: torch.dtype, data_checked: bool) -> tuple[str, str]:
    """Return (why, fix) for the untrained model's non-finite ``loss`` in ``dtype``: NaN (from
    NaN data, or outputs that overflowed: inf − inf) or inf (a squared loss that overflowed)."""
    name = str(dtype).removeprefix("torch.")
    largest = torch.finfo(dtype if dtype.is_floating_point else torch.float32).max
    if math.isnan(loss) and data_checked:
        # finite data and weights: the model's outputs overflowed (inf − inf is NaN)
        why = (
            f"the model's outputs on the data overflow {name}, whose largest value is "
            f"{largest:.3g} (the data were checked to hold no NaN or inf)"
        )
        return why, "rescale the data, e.g. standardise X"
    if math.isnan(loss):
        why = (
            "the data hold NaN or inf, or the targets or the model's outputs are too large "
            f"for {name}"
        )
        return why, "check the data holds no NaN or inf, and rescale values too large"
    why = f"the targets or the model's outputs are too large for {_overflow(dtype)}" + (
        "" if data_checked else ", or the data hold inf"
    )
    return why, "rescale the data, e.g. standardise y (and X where its values are as large)"
