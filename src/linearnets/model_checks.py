"""Checks of a model as a whole: its size before its weights are drawn, its initial weights, its
scores' NaN (D2L §3.4, §3.6).

torch is imported inside the checks (see :mod:`linearnets.validation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from linearnets._text import and_list, counted, gib_past
from linearnets.errors import DivergenceError, UsageError
from linearnets.nan_located import located_message
from linearnets.nan_overflow import exp_limit, overflow_message
from linearnets.nan_places import NanStep, listed, names_listed, unused_note, weight_names

if TYPE_CHECKING:
    import torch

__all__ = [
    "ACCURACY_HEAD",
    "MAX_WEIGHT_BYTES",
    "PREDICTION_HEAD",
    "NanSource",
    "NanStep",
    "attributes_named",
    "check_finite_init",
    "check_model_size",
    "check_no_nan_scores",
    "masks_every_class",
    "masks_note",
    "nonfinite_attributes",
    "nonfinite_buffers",
]

# a linear model's weights, at most: training holds their gradient (and a copy per step) too
MAX_WEIGHT_BYTES = 2**31


def check_model_size(num_inputs: int, num_outputs: int) -> None:
    """Refuse a linear model whose num_inputs × num_outputs weights, in torch's default dtype,
    pass :data:`MAX_WEIGHT_BYTES`: torch's allocator would fail deep inside, or the machine
    swap, when their initial values are drawn."""
    import torch

    dtype = torch.get_default_dtype()
    itemsize = torch.finfo(dtype).bits // 8
    nbytes = num_inputs * num_outputs * itemsize
    if nbytes <= MAX_WEIGHT_BYTES:
        return
    most, gib, kind = MAX_WEIGHT_BYTES // itemsize, MAX_WEIGHT_BYTES // 2**30, str(dtype)[6:]
    held = gib_past(nbytes, MAX_WEIGHT_BYTES)
    if num_outputs == 1:  # linear regression: one weight per feature
        raise UsageError(
            f"num_inputs must be at most {most:,} ({gib} GiB of {kind} weights), got "
            f"{num_inputs:,} ({held}); pass fewer features"
        )
    raise UsageError(
        f"num_inputs × num_outputs must make at most {most:,} weights ({gib} GiB of {kind}), got "
        f"{num_inputs:,} × {num_outputs:,} ({held}); pass fewer inputs (e.g. a smaller image size) "
        "or fewer classes"
    )


class NanSource(NamedTuple):
    """What a look at a model whose scores came out NaN found: its parameters and a batch's features.

    ``nan_on_batch``, where the parameters and the batch are finite: whether the model's scores on
    that batch hold NaN (``True``: its own computation made the NaN, an overflow; ``False``: the
    NaN came from another batch; ``None``: the model was not run); ``nonfinite_inputs``: how many
    of the batch's feature values are NaN or inf; ``finite_weights``: whether the weights, its
    parameters and floating-point buffers (BatchNorm's running statistics), are all finite
    (``None``: they could not be listed); ``positions``: the batch's examples whose features hold
    them, from 0; ``batch``: which batch it was, as the message names it;
    ``nonfinite_params``, ``nonfinite_buffers``: the names of those weights that are not finite,
    where known; ``no_weights``: the model is certain to have none (see
    :func:`~linearnets.training.weightless.holds_no_weights`), so none is named as a cause;
    ``unused_buffers``: buffers that hold NaN or inf but that the model's forward does not use now
    (BatchNorm's running statistics in training mode), left out of the weights above: named as a
    side note, never as the cause. Where the scores on the batch hold NaN (``nan_on_batch``
    ``True``), what tells an overflow of the scores themselves from a softmax's (whose values lie
    in [0, 1]): ``dtype``, the scores'; ``score_range``, the smallest and largest of those that are
    not NaN (``None``: none is left); ``largest_input``, ``largest_weight``: the largest absolute
    feature of the batch and weight (``None``: not known). ``nonfinite_attributes``: the plain
    tensor attributes of the model's modules (neither parameter nor buffer) that hold NaN, where
    ``finite_weights`` is ``False``. ``inf_buffers``, ``inf_attributes``: the buffers and plain
    tensor attributes that hold inf or -inf and no NaN, as a mask may on purpose: not counted
    against ``finite_weights``, never named as the cause, but mentioned after it (see
    :func:`masks_note`).
    """

    nan_on_batch: bool | None = None
    nonfinite_inputs: int = 0
    finite_weights: bool | None = None
    positions: tuple[int, ...] = ()
    batch: str = "a batch"
    nonfinite_params: tuple[str, ...] = ()
    nonfinite_buffers: tuple[str, ...] = ()
    no_weights: bool = False
    unused_buffers: tuple[str, ...] = ()
    dtype: torch.dtype | None = None
    score_range: tuple[float, float] | None = None
    largest_input: float | None = None
    largest_weight: float | None = None
    nonfinite_attributes: tuple[str, ...] = ()
    inf_buffers: tuple[str, ...] = ()
    inf_attributes: tuple[str, ...] = ()


# what NaN scores keep from being computed: an accuracy (training, evaluation), a class (inference)
ACCURACY_HEAD = "the model's scores hold NaN, so no accuracy can be computed"
PREDICTION_HEAD = "the model's scores hold NaN, so no class can be predicted"


def check_no_nan_scores(
    nan: torch.Tensor | bool,
    *,
    source: NanSource | None = None,
    at: NanStep | None = None,
    head: str = ACCURACY_HEAD,
) -> None:
    """Raise DivergenceError if a model's scores held NaN (``nan``: whether they did).

    ``head`` says what they keep from being computed: :data:`ACCURACY_HEAD` in training and
    evaluation, :data:`PREDICTION_HEAD` where a model predicts classes.

    A NaN score is every row's maximum, so a NaN model would count as right on its class: its
    accuracy would mean nothing. ``source`` says what the caller found once the scores were NaN
    (see :class:`NanSource`), and so which cause the error names: an overflow in the model's own
    computation, most often the book's softmax ``exp(o) / Σ exp(o)`` on a score above ~88, whose
    exp is inf in float32 (inf / inf is NaN; D2L §3.6, exercise 1); features that are NaN or inf,
    which no smaller lr mends; weights that are, which a too-large lr leaves; or a buffer that is
    (BatchNorm's running statistics), among finite parameters, named by its name. A buffer or
    plain tensor attribute that holds inf and no NaN, a mask perhaps, is mentioned after the
    cause, never as it (see :func:`masks_note`).

    ``at``, where given, says at which batch of the pass they first did (see :class:`NanStep`):
    the error then names it, and which of its examples, and what the scores show of the cause:
    those examples' features or an overflow on them, where the batch's other scores are finite
    (and NaN or inf weights, where the look found them and the model is no single affine map);
    where every score of the batch is NaN, both its features and an update that made the weights
    NaN, the likelier first, unless the weights are known finite or the batch before gave infinite
    scores. The error's ``step`` is then that batch, and its ``examples`` whether it named examples
    whose own values are to blame (the other examples' scores finite, and not blown up).
    """
    if not bool(nan):
        return
    source = source or NanSource()
    find = (
        "find them in the data, checking each batch with torch.isfinite(X).all() "
        "(torch.isnan(X).any() for NaN alone), and clean or drop the examples that hold them"
    )
    located = None if at is None else located_message(head, at)
    if at is not None and located is not None:
        error = DivergenceError(located[0])
        error.step, error.examples = at.batch, located[1]
        raise error
    # not the cause: said after it
    unused = unused_note(source.unused_buffers) + masks_note(
        source.inf_buffers, source.inf_attributes, dtype=source.dtype
    )
    if source.no_weights and source.nonfinite_inputs == 0:
        raise DivergenceError(_weightless_message(head, source, find))
    if source.nan_on_batch is True:
        raise DivergenceError(f"{overflow_message(head, source)}{unused}")
    if source.nan_on_batch is False:
        finite = "parameters" if source.inf_buffers else "weights"  # a buffer holds inf
        raise DivergenceError(
            f"{head}, though its {finite} are finite and so are the features of the batch it was "
            "checked on, and its scores there: another batch's features X hold NaN or inf, or the "
            f"model's computation overflowed on them; {find}{unused}"
        )
    names = weight_names(
        source.nonfinite_params + attributes_named(source.nonfinite_attributes),
        source.nonfinite_buffers,
    )
    if source.nonfinite_inputs:
        weights = {
            True: f", while its {'parameters' if source.inf_buffers else 'weights'} are finite",
            False: f", and so do its weights{f' ({names})' if names else ''}",
            None: "",
        }
        again = ", then train again from fresh weights" if source.finite_weights is False else ""
        values = counted(source.nonfinite_inputs, "value")
        rows = source.positions
        one = len(rows) == 1
        where = (
            f", in its {'example at position' if one else 'examples at positions'} "
            f"{listed(rows)}, counting from 0"
        )
        raise DivergenceError(
            f"{head}: its inputs hold NaN or inf ({values} of the features X of {source.batch}"
            f"{where if rows else ''}){weights[source.finite_weights]}; {find}{again}{unused}"
        )
    if source.nonfinite_attributes and not source.nonfinite_params:
        held, why, fix = nonfinite_attributes(source.nonfinite_attributes)
        buffers = ""
        if source.nonfinite_buffers:
            held_too, _, fix_too = nonfinite_buffers(source.nonfinite_buffers)
            buffers = f"; {held_too} too: {fix_too}"
        raise DivergenceError(
            f"{head}: {held}, though its parameters are finite ({why}); {fix}{buffers}{unused}"
        )
    if source.finite_weights is False and source.nonfinite_buffers and not source.nonfinite_params:
        held, why, fix = nonfinite_buffers(source.nonfinite_buffers)
        raise DivergenceError(
            f"{head}: {held}, though its parameters are finite ({why}); {fix}, and check each "
            f"batch with torch.isfinite(X).all(){unused}"
        )
    if source.finite_weights is False:
        raise DivergenceError(
            f"{head}: its weights hold NaN or inf{f' ({names})' if names else ''}: weights blow up "
            "when the lr is too large (train again with a smaller one), or after a step on "
            f"features that hold NaN or inf (check each batch with torch.isfinite(X).all()){unused}"
        )
    raise DivergenceError(
        f"{head}: its weights or its inputs hold NaN (weights blow up when the lr is too large: "
        f"train again with a smaller one){unused}"
    )


def attributes_named(attributes: tuple[str, ...]) -> tuple[str, ...]:
    """Return the plain tensor ``attributes`` (their names) as one name among a model's weights
    (``("the tensor attribute scale",)``), or ``()`` for none."""
    if not attributes:
        return ()
    word = "attribute" if len(attributes) == 1 else "attributes"
    return (f"the tensor {word} {names_listed(attributes)}",)


def nonfinite_attributes(attributes: tuple[str, ...]) -> tuple[str, str, str]:
    """Return what is said of a model's plain tensor ``attributes`` (their names) that hold NaN
    (``"its tensor attribute scale holds NaN"``), why no learning rate made them so, and the fix:
    finite values, and a buffer, which ``.to()``, ``state_dict()`` and these checks see. One that
    holds inf and no NaN may be a mask: see :func:`masks_note`."""
    one = len(attributes) == 1
    held = (
        f"its tensor {'attribute' if one else 'attributes'} {names_listed(attributes)} "
        f"{'holds' if one else 'hold'} NaN"
    )
    why = (
        f"{'a plain tensor' if one else 'plain tensors'}, neither parameter nor buffer, which no "
        "optimizer updates, so no smaller lr helps: the model's own code set "
        f"{'it' if one else 'them'}"
    )
    leaf = attributes[0].rpartition(".")[2]
    fix = (
        f"give {'it' if one else 'them'} finite values where the model sets "
        f"{'it' if one else 'them'}, and register {'it as a buffer' if one else 'them as buffers'} "
        f'(self.register_buffer("{leaf}", tensor) in __init__{"" if one else ", one call each"}), '
        "which .to(device), state_dict() and these checks see"
    )
    return held, why, fix


def masks_note(
    buffers: tuple[str, ...],
    attributes: tuple[str, ...],
    *,
    dtype: torch.dtype | None = None,
    scores: str = "NaN",
) -> str:
    """Return the note, to end a message, on ``buffers`` and plain tensor ``attributes`` (their
    names) that hold inf or -inf and no NaN, as a mask added to the scores does on purpose: no
    cause by itself, so the cause named before it stands, but the scores' ``scores`` (``"NaN"``,
    ``"inf"``, or ``"-inf"`` where the message names a mask and its fix) may come from it; the
    fix if they do (a large negative finite value of
    ``dtype``, the scores', else torch's default), and for an attribute, a buffer, which these
    checks see.
    ``""`` for none."""
    if not buffers and not attributes:
        return ""
    import torch

    words = _mask_words(buffers, attributes)
    one = len(buffers) + len(attributes) == 1
    kind = str(dtype or torch.get_default_dtype()).removeprefix("torch.")
    alone = "not the cause by itself" if one else "not the cause by themselves"
    finite = f"a large negative finite value such as torch.finfo(torch.{kind}).min instead of -inf"
    if scores == "NaN":
        how = (
            f"{alone}, but NaN where {'it meets' if one else 'they meet'} an infinite score of "
            f"the other sign (-inf + inf) or {'masks' if one else 'mask'} every class of an "
            "example (a softmax over scores all -inf is 0 / 0); if the NaN stays once the above "
            f"is fixed, mask with {finite}"
        )
    elif scores == "-inf":  # the message names a mask of -inf, with its fix, as the cause
        how = f"the scores' -inf may be {'its' if one else 'their'} own"
    else:
        how = (
            f"so {'it is' if one else 'they are'} not named as the cause, but the scores' inf may "
            f"be {'its' if one else 'their'} own (a finite score plus inf, or times inf, is inf): if so, give "
            f"{'it' if one else 'them'} finite values (a mask: {finite})"
        )
    register = _register_fix(attributes)
    return (
        f"; its {and_list(words)} {'holds' if one else 'hold'} inf or -inf and no NaN, as a mask "
        f"may on purpose{',' if scores == 'inf' else ':'} {how}{register}"
    )


def _register_fix(attributes: tuple[str, ...]) -> str:
    """Return the advice to register plain tensor ``attributes`` as buffers ("" for none)."""
    if not attributes:
        return ""
    leaf = attributes[0].rpartition(".")[2]
    return (
        f"; register {'it as a buffer' if len(attributes) == 1 else 'them as buffers'} "
        f'(self.register_buffer("{leaf}", tensor) in __init__), which .to(device), '
        "state_dict() and these checks see"
    )


def _mask_words(buffers: tuple[str, ...], attributes: tuple[str, ...]) -> list[str]:
    """Return ``buffers`` and plain tensor ``attributes`` named, each kind with its word."""
    words = []
    if buffers:
        words.append(f"{'buffer' if len(buffers) == 1 else 'buffers'} {names_listed(buffers)}")
    if attributes:
        word = "attribute" if len(attributes) == 1 else "attributes"
        words.append(f"tensor {word} {names_listed(attributes)}")
    return words


def masks_every_class(
    buffers: tuple[str, ...],
    attributes: tuple[str, ...],
    *,
    where: str,
    examples: int,
    dtype: torch.dtype,
) -> str:
    """Return the cause and fix of scores that are -inf for every class of ``examples`` examples
    (``where``: ``"every example of the batch"``, or which) where ``buffers`` and plain tensor ``attributes``
    (their names, at least one) hold inf or -inf: a mask added to the scores that masks every
    class of them, so a softmax over them is 0 / 0 and the loss NaN. Nothing overflowed: no
    smaller lr or scaled features helps."""
    one = len(buffers) + len(attributes) == 1
    kind = str(dtype).removeprefix("torch.")
    register = _register_fix(attributes)
    return (
        f"every class's score is -inf in {where}: its "
        f"{and_list(_mask_words(buffers, attributes))}, which {'holds' if one else 'hold'} inf or "
        f"-inf, {'masks' if one else 'mask'} every class of {'it' if examples == 1 else 'them'}, "
        "and a softmax over scores all -inf is 0 / 0 (nothing overflowed); leave at least one "
        "class of each example unmasked, or mask with a large negative finite value such as "
        f"torch.finfo(torch.{kind}).min instead of -inf{register}"
    )


def nonfinite_buffers(buffers: tuple[str, ...]) -> tuple[str, str, str]:
    """Return what is said of ``buffers`` (their names) that hold NaN or inf: that they do
    (``"its buffer offset holds NaN or inf"``), why (no optimizer updates a buffer, so no learning
    rate made them so) and the fix."""
    one = len(buffers) == 1
    held = (
        f"its {'buffer' if one else 'buffers'} {names_listed(buffers)} "
        f"{'holds' if one else 'hold'} NaN or inf"
    )
    why = (
        "no optimizer updates a buffer: BatchNorm's running_mean and running_var take NaN from a "
        "forward in training mode on features that hold NaN or inf, and other buffers are set by "
        "the model's own code"
    )
    fix = (
        f"give {'it' if one else 'them'} finite values again (BatchNorm's reset_running_stats(), "
        "or a fresh model)"
    )
    return held, why, fix


def _weightless_message(head: str, source: NanSource, find: str) -> str:
    """Return the message for NaN scores of a model without weights, on finite inputs where it
    was run on them: its inputs, or its own computation, made them, never weights or an lr."""
    import torch

    dtype = source.dtype or torch.get_default_dtype()
    kind, limit = str(dtype).removeprefix("torch."), exp_limit(torch.finfo(dtype).max)
    own = (
        "an operation undefined on its inputs (log or sqrt of a negative value, 0 / 0), or an "
        f"overflow (a softmax computed as exp(o) / exp(o).sum(1): exp of a score above ~{limit} "
        f"is inf in {kind}, and inf / inf is NaN)"
    )
    if source.nan_on_batch is True:
        return (
            f"{head}, though the features X of {source.batch} are finite and the model has no "
            f"floating-point parameters or buffers: its own computation made the NaN there: "
            f"{own}; find the operation by running the model's steps on that batch one at a time "
            "(a softmax: subtract each row's max before exp, o - o.max(dim=1, "
            "keepdim=True).values, or use linearnets.softmax)"
        )
    if source.nan_on_batch is False:
        return (
            f"{head}, though the model has no floating-point parameters or buffers and the "
            f"features X of {source.batch} are finite, and so are its scores there: another batch's features X "
            f"hold NaN or inf, or the model's own computation made NaN on them ({own}); {find}"
        )
    return (
        f"{head}: the model has no floating-point parameters or buffers, so its inputs hold NaN "
        f"or inf, or its own computation made the NaN ({own}); check each batch with torch.isfinite(X).all()"
    )


def check_finite_init(name: str, value: float, weights: torch.Tensor) -> None:
    """Refuse initial ``weights`` that the standard deviation ``name`` = ``value`` drew past the
    largest value of their dtype: a finite one (1e40) can still give infinite float32 weights, and
    with them a NaN loss at the first step. Meta weights (a deferred initialisation, made
    real later by ``to_empty``) hold no values to check."""
    if weights.is_meta:
        return
    import torch

    infinite = int((~torch.isfinite(weights)).sum())
    if infinite:
        raise UsageError(
            f"{name} must give finite initial weights in {weights.dtype} (largest value "
            f"{torch.finfo(weights.dtype).max:.3g}), got {name}={value:g}, which drew {infinite} of "
            f"{weights.numel()} weights infinite; pass a smaller {name}, e.g. {name}=0.01 (the book's)"
        )
