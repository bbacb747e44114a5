"""What the place where a pass's scores first held NaN says of the cause (D2L §3.6): the message
:func:`~linearnets.model_checks.check_no_nan_scores` raises once the batch is known (a
:class:`~linearnets.nan_places.NanStep`, found by
:func:`~linearnets.training.model_diagnosis.nan_step`).

Only what the scores show is stated: where they cannot tell causes apart (features that hold NaN
or inf, an overflow in the model, weights an update made NaN), all are named, the likelier first,
with the check that tells them apart.
"""

from __future__ import annotations

import math

from linearnets.nan_places import NanStep, examples_at, other_examples, unused_note, weight_names

__all__ = ["HUGE_SCORE", "LARGE_WEIGHT", "located_message"]

# past this size the scores of a linear classifier say its weights blew up, or its features are far
# from scaled: a trained one's stay within a few hundred, on features as raw as 0-255 pixels
# within ~1e5
HUGE_SCORE = 1e10


# what else makes a row's scores NaN on finite features: an overflow in the model's own computation
_OVERFLOW = (
    "the model's computation overflowed on them (on large features a softmax computed as exp(o) / "
    "exp(o).sum(1) does: subtract each row's max first, o - o.max(dim=1, keepdim=True).values, or "
    "use linearnets.softmax)"
)

# past this size a linear model's weights are no longer small next to its scores
LARGE_WEIGHT = 1e4


def located_message(head: str, at: NanStep) -> tuple[str, bool] | None:
    """Return the message for scores that first held NaN ``at`` a batch, and whether it blames
    examples' features (not the weights); ``None`` where the place tells no more than a look at
    the first batch (:class:`NanSource`) does: every example of a pass's first batch.

    Only what the scores show is stated: where they cannot tell two causes apart (features that
    hold NaN or inf, an overflow in the model, weights an update made NaN), both are named, the
    likelier first, with the check that tells them apart.
    """
    if not at.tells:
        return None
    found = _located(head, at)
    # buffers the forward does not use (BatchNorm's running statistics in training mode): a side
    # note, never the cause
    return found[0] + unused_note(at.unused_buffers), found[1]


def _located(head: str, at: NanStep) -> tuple[str, bool]:
    """:func:`located_message` for a place that tells more than the first batch, without its side
    note on unused buffers."""
    number = at.batch + 1
    where = f"they first did at batch {number} of {at.name}"
    if at.training:
        where += f" in epoch {at.epoch}" if at.epoch is not None else " in this epoch"
    tell = (
        f"torch.isfinite(X).all() on batch {number}'s features tells which (False: clean or drop "
        "the examples that hold NaN or inf; True: the model overflowed)"
    )
    n, size = len(at.positions), at.size
    if n < size:
        return _some_rows(head, where, at, tell)
    every = "its only example" if size == 1 else f"all {size} of its examples"
    if not at.training and at.finite_weights is False:  # weights a row of which one batch uses
        return (
            f"{head}: {where}, on {every}, while the batches before gave scores free of NaN with "
            f"the same weights, which hold NaN or inf{_named(at)}: either weights that hold NaN "
            "or inf reach that batch's examples alone (as a NaN row of an embedding does for the "
            f"examples that use it), or that batch's features X hold NaN or inf, or {_OVERFLOW}; "
            f"{_weights_tell(number)}"
        ), False
    if not at.training:
        same = "" if at.no_weights else " with the same weights"
        return (
            f"{head}: {where}, on {every}, while the batches before gave scores free of NaN"
            f"{same}: that batch's features X hold NaN or inf, or {_OVERFLOW}; {tell}"
        ), False
    before = at.largest_before
    if before is not None and not math.isfinite(before):
        return f"{head}: {where}, on {every}, {_infinite_before(at)}", False
    if at.finite_weights is True:  # no update left them NaN: that batch's own values did it
        return (
            f"{head}: {where}, on {every}, though the weights are finite: that batch's features X "
            f"hold NaN or inf, or {_OVERFLOW}; {tell}"
        ), False
    mixes = (
        ""
        if size == 1
        else " (one example's are enough in a model that mixes a batch's examples, such as "
        "BatchNorm in training mode)"
    )
    data = f"batch {number}'s features X hold NaN or inf{mixes}"
    seen = "" if before is None else f" (largest absolute value {before:.3g})"
    lr = "an update made the weights NaN or inf, as a learning rate too large does"
    if before is not None and before >= HUGE_SCORE:  # the scores before had already blown up
        causes = f"{lr}, or {data}"
    else:
        causes = f"{data}, or {lr}"
    return (
        f"{head}: {where}, on {every}, after scores free of NaN at the batch before{seen}: either "
        f"{causes}, or {_OVERFLOW}; torch.isfinite(X).all() on batch {number}'s features tells "
        "the first from the others (False: clean or drop the examples that hold NaN or inf; True: "
        "train with a smaller learning rate, or a stable softmax), then train again from fresh "
        "weights"
    ), False


def _infinite_before(at: NanStep) -> str:
    """Return what the infinite scores of the batch before ``at``'s tell: their examples' features
    hold inf or overflowed the model (the batch's other scores finite), or that or weights grown
    so large that every score overflowed; either way the update on them made the weights NaN."""
    number, size = at.batch, at.before_size
    n = len(at.before_positions)
    now = " (they hold NaN or inf now)" if at.finite_weights is False else ""
    some = 0 < n < size
    largest = at.largest_finite_before if at.largest_finite_before is not None else 0.0
    huge = some and largest >= HUGE_SCORE  # the others' scores had blown up too
    update = (
        f"an update on infinite scores makes the weights NaN{now}, and with them every score "
        f"after; torch.isfinite(X).all() on batch {number}'s features tells which (False: clean "
        "or drop the examples that hold NaN or inf; True: the model overflowed"
        f"{', or the lr was too large' if huge or not some else ''}), then train again from "
        "fresh weights"
    )
    grown = (
        "the weights had grown so large that the scores overflowed, as a learning rate too large "
        "makes them"
    )
    if some:
        earlier = at._replace(
            positions=at.before_positions, size=size, first_example=at.first_example - size
        )
        them = "that example's" if n == 1 else "those examples'"
        others = other_examples(size - n)
        rows = f"{them} features X hold inf, or {_OVERFLOW}"
        if huge:
            return (
                f"after batch {number} gave infinite scores on {n} of its {size} examples "
                f"({_positions(earlier)}), while {others} scores were finite but reach "
                f"{largest:.3g}: either {grown}, or {rows}; {update}"
            )
        return (
            f"after batch {number} gave infinite scores on {n} of its {size} examples "
            f"({_positions(earlier)}), while {others} scores were finite (none above "
            f"{largest:.3g} in absolute value): {rows}; {update}"
        )
    every = "its only example" if size == 1 else "all its examples"
    return (
        f"after batch {number} gave infinite scores on {every}: either its features X hold inf, "
        f"or {_OVERFLOW}, or {grown}; {update}"
    )


def _some_rows(head: str, where: str, at: NanStep, tell: str) -> tuple[str, bool]:
    """Return the message for NaN scores on some of ``at``'s examples only, the others' not NaN.

    The weights are said finite only where that was verified (``finite_weights``), or, in a
    training pass, where the model is one affine map (``affine``): NaN or inf weights there make
    every example's scores non-finite, so finite scores on the others say the weights were
    finite when that batch was computed. In any other model NaN weights may reach some examples
    alone (a NaN row of an embedding): named where the weights hold NaN or inf.
    """
    n, size = len(at.positions), at.size
    them = "that example's" if n == 1 else "those examples'"
    which = f"{n} of its {size} examples ({_positions(at)})"
    largest = at.largest_other if at.largest_other is not None else 0.0
    rows = f"{them} features X hold NaN or inf, or {_OVERFLOW}"
    bad = at.finite_weights is False
    alone = (
        f"reach {'that example' if n == 1 else 'those examples'} alone (as a NaN row of an "
        "embedding does for the examples that use it)"
    )
    if largest >= HUGE_SCORE:  # the others' scores are huge: the weights, or the features, are
        weight = at.largest_weight
        if at.training:
            now = f"; they hold NaN or inf now{_named(at)}" if bad else ""
            large = (
                "the weights or the features are very large (weights blow up when the learning "
                f"rate is too large; raw features need scaling{now})"
            )
        elif bad:
            large = (
                f"the weights hold NaN or inf{_named(at)}, and they or the features are very "
                f"large; either the weights that hold NaN or inf {alone}, or"
            )
            return (
                f"{head}: {where}, on {which}, while the others' scores are not NaN but reach "
                f"{largest:.3g}: {large} {rows}; {_weights_tell(at.batch + 1)}"
            ), False
        elif weight is not None and at.affine and weight < LARGE_WEIGHT:
            large = (
                f"the parameters are no larger than {weight:.3g} in absolute value, so the "
                "features are that large (scale them, e.g. standardise each one)"
            )
        elif weight is not None:
            large = (
                f"the weights (largest absolute value {weight:.3g}) or the features are very "
                "large (raw features need scaling)"
            )
        elif at.no_weights:
            large = "the features are very large (scale them, e.g. standardise each one)"
        else:
            large = "the weights or the features are very large"
        return (
            f"{head}: {where}, on {which}, while the others' scores are not NaN but reach "
            f"{largest:.3g}: {large}; and {rows}; {tell}"
        ), False
    others = other_examples(size - n)
    finite = f"while {others} scores are finite (none above {largest:.3g} in absolute value)"
    if not at.training and bad:  # the weights were the same for every example: a cause
        return (
            f"{head}: {where}, on {which}, {finite}, but the model's weights hold NaN or inf"
            f"{_named(at)}: either those weights {alone}, or {rows}; "
            f"{_weights_tell(at.batch + 1)}"
        ), False
    if at.finite_weights is True:
        return (
            f"{head}: {where}, on {which}, {finite}, and the weights are finite: {rows}; {tell}",
            True,
        )
    if not at.training:  # the weights could not be listed
        return f"{head}: {where}, on {which}, {finite}: {rows}; {tell}", True
    again = (
        ", then train again from fresh weights (they hold NaN or inf now)"
        if bad
        else ", then train again from fresh weights (that batch's update most likely made them NaN)"
    )
    if at.affine:  # NaN or inf weights would have made every example's scores non-finite
        return (
            f"{head}: {where}, on {which}, {finite}, so the weights were still finite: {rows}; "
            f"{tell}{again}"
        ), True
    if bad:
        return (
            f"{head}: {where}, on {which}, {finite}: {rows}, or weights that held NaN or inf "
            f"already {alone}; they hold NaN or inf now{_named(at)}, as an update on NaN scores "
            f"leaves them; torch.isfinite(X).all() on batch {at.batch + 1}'s features tells the "
            "features from the others (False: clean or drop the examples that hold NaN or inf; "
            "True: the model overflowed, or the weights held NaN or inf already), then train "
            "again from fresh weights"
        ), True
    return f"{head}: {where}, on {which}, {finite}: {rows}; {tell}{again}", True


def _weights_tell(number: int) -> str:
    """Return how to tell weights that hold NaN or inf from batch ``number``'s features, and that
    such weights are to be replaced either way."""
    return (
        f"torch.isfinite(X).all() on batch {number}'s features tells the features from the others "
        "(False: clean or drop the examples that hold NaN or inf; True: the weights, or an "
        "overflow); replace the weights that hold NaN or inf either way (train again from fresh "
        "weights, or load finite ones)"
    )


def _named(at: NanStep) -> str:
    """Return the names of ``at``'s weights that are not finite, in parentheses after a space
    (``" (emb.weight)"``), or ``""`` where none is known."""
    names = weight_names(at.nonfinite_params, at.nonfinite_buffers)
    return f" ({names})" if names else ""


def _positions(at: NanStep) -> str:
    """Return where ``at``'s examples are (see :func:`~linearnets.nan_places.examples_at`)."""
    return examples_at(
        at.positions,
        first_example=at.first_example,
        name=at.name,
        training=at.training,
        order=at.order,
    )
