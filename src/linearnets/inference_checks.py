"""A classifier's scores checked before labels are taken from them (D2L §3.6.7): each shape that
is no (B, C), C >= 2, told with the rule it breaks (rows, dimensions, classes) and its fix."""

from __future__ import annotations

import torch

from linearnets._text import counted
from linearnets.errors import UsageError
from linearnets.training.loss_diagnosis import one_row_per_example_fix
from linearnets.training.step import raise_output_error

__all__ = ["check_scores"]


def check_scores(scores: object, batch: int, num_classes: int | None, *, fix: str) -> None:
    """Raise unless ``scores`` is a classifier's (B, C), C ≥ 2 (and C = ``num_classes`` if given):
    a tuple, a NumPy array, a regression's one output per example (every label would be class 0)
    are refused, and so is a model of other than ``num_classes`` outputs (its labels would be
    named or counted as classes they are not), ending with ``fix``."""
    if not isinstance(scores, torch.Tensor):
        raise_output_error(scores)
    if scores.ndim != 2 or scores.shape[0] != batch or scores.shape[1] < 2:
        raise UsageError(_scores_error(scores, batch))
    if num_classes is not None and scores.shape[1] != num_classes:
        raise UsageError(
            f"the model (net) must give {num_classes} class scores per example, one per class, "
            f"got scores of shape {tuple(scores.shape)}: its predicted labels would be other "
            f"classes'; {fix.format(outputs=scores.shape[1])}"
        )


def _scores_error(scores: torch.Tensor, batch: int) -> str:
    """Return the message for ``scores`` of other than one row of C ≥ 2 scores per example of a
    batch of ``batch``: the rule it breaks (rows, dimensions, classes) and its fix."""
    shape, got = (
        tuple(scores.shape),
        f"got shape {tuple(scores.shape)} for {counted(batch, 'example')}",
    )
    one_each = scores.ndim == 1 and shape[0] == batch
    if one_each and not (scores.is_floating_point() or scores.is_complex()):
        return (
            f"the model (net) must return class scores (B, C) to predict labels, {got}, of "
            f"{scores.dtype}: labels, not scores; return the scores themselves, without their "
            "argmax (the labels are taken from them here)"
        )
    if one_each or (scores.ndim == 2 and shape[0] == batch):  # C < 2
        outputs = (
            "no output per example"
            if scores.ndim == 2 and shape[1] == 0
            else "one output per example, a regression, whose outputs are no classes"
        )
        return (
            f"the model (net) must return C >= 2 class scores per example to predict labels, "
            f"{got}: {outputs}; give the model one output per class, e.g. nn.Linear(d, 10) for "
            "Fashion-MNIST's 10 classes (a binary classifier of one logit per example predicts its labels as "
            "(net(X) > 0).long().reshape(-1))"
        )
    if scores.ndim == 2:
        return (
            f"the model (net) must return one row of class scores per example to predict labels, "
            f"{got}; {one_row_per_example_fix(shape[0], batch, columns=shape[1])}"
        )
    if scores.ndim == 0:
        fix = "return the batch's scores (B, C) before any loss, sum or mean over them"
    elif scores.ndim == 1:
        fix = "return the scores (B, C), one row per example, not one row for the batch"
    else:
        fix = (
            "flatten each example to one row before the linear layer: "
            "nn.Sequential(nn.Flatten(), nn.Linear(d, C)), or X.reshape((-1, d)) in a scratch model"
        )
    return (
        f"the model (net) must return a classifier's scores (B, C), a 2-d tensor of one row of "
        f"class scores per example, to predict labels, {got}; {fix}"
    )
