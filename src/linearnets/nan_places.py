"""Where a pass's scores first held NaN (:class:`NanStep`, found with what is known of the pass:
:class:`NanContext`), and how the NaN messages name places and tensors (D2L §3.6): examples by
their position in a batch and in its pass (the dataset's index only where the batches are known to
keep its order), and weights by their names, as prose cut after the first few.

Shared by the messages on NaN scores (:mod:`linearnets.nan_located`,
:mod:`linearnets.model_checks`) and on targets that made a training loss NaN
(:mod:`linearnets.training.nan_targets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from linearnets._text import and_list

__all__ = [
    "NanContext",
    "NanStep",
    "clean_or_drop",
    "examples_at",
    "finite_rows",
    "listed",
    "names_listed",
    "other_examples",
    "unused_note",
    "weight_names",
]

# how many example positions or names a message lists before "and k more"
_LISTED = 5


@dataclass(frozen=True)
class NanContext:
    """What is known of a pass, for naming where its scores first held NaN; looked at only then.

    ``name``: the batches' argument (``"train_iter"``); ``training``: whether the weights are
    updated between the batches (a training pass, not an evaluation); ``net``: the model, whose
    parameters and buffers are looked at (``None``: not known); ``batches``: what yields the
    batches, which tells whether they take the dataset's examples in order; ``epoch``: the
    training epoch, from 1, where known.
    """

    name: str = "data_iter"
    training: bool = False
    net: object = None
    batches: object = None
    epoch: int | None = None


class NanStep(NamedTuple):
    """Where a pass's scores first held NaN, found once they did among the steps read back together.

    ``name``: the batches' argument (``"train_iter"``); ``batch``: that batch's index in the pass,
    from 0; ``size``: its examples; ``positions``: those of its examples whose scores hold NaN,
    from 0; ``first_example``: how many examples the pass held before it; ``largest_other``: the
    largest absolute score of its other examples (``None``: none is left); ``largest_before``: that
    of the batch before (``None``: not held any more); ``training``: whether the weights were
    updated between the batches (a training pass, not an evaluation); ``epoch``: the training
    epoch, from 1, where known; ``order``: whether the batches take the dataset's examples in
    order (``True``: a position in the pass is the example's index in the dataset; ``False``:
    shuffled; ``None``: unknown); ``finite_weights``: whether the model's weights (its
    parameters and floating-point buffers) are finite when the error is raised (``None``: not
    listed); ``largest_weight``: their largest absolute value then, where finite. Where the batch
    before gave infinite scores (``largest_before`` inf): ``before_size``, its examples;
    ``before_positions``, those whose scores are not finite; ``largest_finite_before``, the
    largest absolute score of its others (``None``: none is left). ``nonfinite_params``,
    ``nonfinite_buffers``: the names of the weights that are not finite, where known;
    ``affine``: whether the model is known to be one affine map ``X W + b`` whose weights are all
    its parameters (see :func:`~linearnets.training.model_tensors.affine`), in which NaN or inf
    weights make every example's scores non-finite, and small weights keep the scores as small
    as the features allow; ``no_weights``: the model is certain to have none (see
    :func:`~linearnets.training.weightless.holds_no_weights`), so none is named;
    ``unused_buffers``: buffers that hold NaN or inf but that the model's forward does not use now
    (BatchNorm's running statistics in training mode, see
    :func:`~linearnets.training.model_tensors.unused_buffers`), left out of the weights above and
    named as a side note only.
    """

    name: str
    batch: int
    size: int
    positions: tuple[int, ...]
    first_example: int = 0
    largest_other: float | None = None
    largest_before: float | None = None
    training: bool = False
    epoch: int | None = None
    order: bool | None = None
    finite_weights: bool | None = None
    largest_weight: float | None = None
    before_size: int = 0
    before_positions: tuple[int, ...] = ()
    largest_finite_before: float | None = None
    nonfinite_params: tuple[str, ...] = ()
    nonfinite_buffers: tuple[str, ...] = ()
    affine: bool = False
    no_weights: bool = False
    unused_buffers: tuple[str, ...] = ()

    @property
    def tells(self) -> bool:
        """Whether this place tells more than a look at the pass's first batch: some of the
        batch's examples only, or a batch after the first."""
        return 0 < len(self.positions) < self.size or (
            len(self.positions) == self.size and self.batch > 0
        )


def examples_at(
    positions: tuple[int, ...],
    *,
    first_example: int,
    name: str,
    training: bool,
    order: bool | None,
) -> str:
    """Return where examples ``positions`` of a batch of ``name`` are: in the batch, counting from
    0, and in the pass, which held ``first_example`` examples before that batch (``training``: an
    epoch's pass). ``order``: whether the batches take the dataset's examples in order (``True``:
    a position in the pass is the example's index in the dataset; ``False``: shuffled; ``None``:
    unknown)."""
    one = len(positions) == 1
    examples = f"{'example' if one else 'examples'} {listed(positions, start=first_example)}"
    pass_ = "the epoch" if training else name
    if order is True:
        seat = f"of {pass_}, {'its index' if one else 'their indices'} in the dataset"
    elif order is False:
        seat = f"in {pass_}'s shuffled order, not {'its index' if one else 'their indices'} in the dataset"
    else:
        seat = f"in the order {name} yielded them"
    return (
        f"{'position' if one else 'positions'} {listed(positions)} in the batch, counting "
        f"from 0: {examples} {seat}"
    )


def listed(positions: tuple[int, ...], *, start: int = 0) -> str:
    """Return ``positions``, each plus ``start``, as prose: the first :data:`_LISTED`, then how
    many more (``"1, 4, 5, 6, 7 and 2 more"``)."""
    shown = [str(start + p) for p in positions[:_LISTED]]
    more = [f"{len(positions) - _LISTED} more"] if len(positions) > _LISTED else []
    return and_list(shown + more)


def names_listed(names: tuple[str, ...]) -> str:
    """Return ``names`` as prose: the first :data:`_LISTED`, then how many more."""
    more = [f"{len(names) - _LISTED} more"] if len(names) > _LISTED else []
    return and_list([*names[:_LISTED], *more])


def weight_names(params: tuple[str, ...], buffers: tuple[str, ...]) -> str:
    """Return the names of parameters and buffers as prose (see :func:`names_listed`):
    ``"W, b and the buffer 0.running_mean"``; ``""`` for none."""
    words = [names_listed(params)] if params else []
    if buffers:
        words.append(f"the {'buffer' if len(buffers) == 1 else 'buffers'} {names_listed(buffers)}")
    return and_list(words)


def clean_or_drop(test: str, *, one: bool) -> str:
    """Return the fix for examples whose data hold NaN or inf, found by ``test`` (a boolean
    expression, ``"torch.isfinite(y).all(dim=1)"``), for one example or several
    (``"clean or drop those examples (torch.isfinite(y).all(dim=1) is False on them)"``)."""
    that, it = ("that example", "it") if one else ("those examples", "them")
    return f"clean or drop {that} ({test} is False on {it})"


def finite_rows(name: str, ndim: int) -> str:
    """Return the test that finds which examples (rows) of ``name``, a tensor of ``ndim``
    dimensions (B, ...), are finite: ``"torch.isfinite(X).all(dim=1)"`` for (B, d)."""
    if ndim == 1:
        return f"torch.isfinite({name})"
    if ndim == 2:
        return f"torch.isfinite({name}).all(dim=1)"
    return f"torch.isfinite({name}).flatten(1).all(dim=1)"


def unused_note(buffers: tuple[str, ...]) -> str:
    """Return the side note on ``buffers`` (their names) that hold NaN or inf but that the model's
    forward does not use now, BatchNorm's running statistics in training mode, to end a message
    (``"; its buffer 1.running_mean holds NaN or inf, but its module is in training mode, ..."``);
    ``""`` for none. They are not the cause, but an evaluation would use them."""
    if not buffers:
        return ""
    one = len(buffers) == 1
    it = "it" if one else "them"
    return (
        f"; its {'buffer' if one else 'buffers'} {names_listed(buffers)} "
        f"{'holds' if one else 'hold'} NaN or inf, but {'its module is' if one else 'their modules are'} "
        "in training mode, where BatchNorm normalises by the batch's own statistics and does not "
        f"use {it} (give {it} finite values before evaluating: reset_running_stats())"
    )


def other_examples(count: int) -> str:
    """Return ``the other example's`` or ``the other 3 examples'``: a batch's examples whose
    losses or scores stayed finite, as a message's evidence names them."""
    return "the other example's" if count == 1 else f"the other {count} examples'"
