"""The diagnosis of what the model's backward raised, or of NaN scores: what is wrong with the model,
and the fix (D2L §3.6, §3.7); the model's tensors are :mod:`linearnets.training.model_tensors`'.

torch reports a loss outside autograd's graph in its own terms ("element 0 of tensors does not
require grad"); this names the cause and the fix instead. It runs only once something has raised
(or scores came out NaN), so a batch that trains pays nothing for it. What the forward raised is
diagnosed in :mod:`linearnets.training.forward_diagnosis`.
"""

from __future__ import annotations

import bisect
import inspect
import itertools
from typing import Any, NamedTuple, NoReturn

import torch

from linearnets.errors import UsageError
from linearnets.model_checks import attributes_named
from linearnets.models.scratch.optim import created_trainable
from linearnets.nan_places import NanContext
from linearnets.training.model_tensors import affine, batch_order, named_tensors, weights_used
from linearnets.training.quiet_forward import quiet_forward
from linearnets.validation import NanSource, NanStep

__all__ = [
    "NanScoresProbe",
    "nan_source",
    "nan_step",
    "raise_backward_error",
]


def raise_backward_error(
    net: Any, err: RuntimeError, batch: tuple[torch.Tensor, torch.Tensor] | None = None
) -> NoReturn:
    """Raise the readable error for ``err``, which backward raised, in its place; or ``err`` itself.

    torch's "element 0 of tensors does not require grad" is named: the model computes its own
    gradient (``analytic=True``), its parameters are frozen (or it has none), or the loss was
    computed outside autograd's graph. So is "Trying to backward through the graph a second
    time" when the ``batch`` ``(X, y)`` was itself computed inside a graph (labels drawn from a
    weight that requires grad): every batch shares that graph. The readable error is raised
    alone (``from None``): a notebook or traceback shows it without torch's frames chained before
    it, and ``err`` stays reachable as its ``__context__``, for debugging.
    """
    text = str(err)
    usage: UsageError | None = None
    if "does not require grad" in text:
        usage = _no_grad_error(net)
    elif "a second time" in text:
        usage = _graph_data_error(batch)
    if usage is None:
        raise err
    usage.__context__ = err  # set by the raise inside err's handler anyway; kept for other callers
    raise usage from None


def _graph_data_error(batch: tuple[torch.Tensor, torch.Tensor] | None) -> UsageError | None:
    """Return the error for a batch computed inside an autograd graph, else ``None``."""
    for name, data in zip(("X", "y"), batch or (), strict=False):
        if isinstance(data, torch.Tensor) and data.grad_fn is not None:
            return UsageError(
                f"{name} must be data outside any autograd graph, got a batch computed by "
                f"{type(data.grad_fn).__name__} (from tensors that require grad, such as a true_w "
                "built with requires_grad=True): every batch shares that graph, so the second "
                "backward() fails; detach the data once, e.g. features, labels = "
                "features.detach(), labels.detach(), or make them under torch.no_grad()"
            )
    return None


def _no_grad_error(net: Any) -> UsageError:
    """Return the error for a loss that does not depend on any of ``net``'s trainable parameters."""
    if getattr(net, "analytic", False) is True:  # a scratch model built with analytic=True
        return UsageError(
            "the loss does not depend on any parameter that requires grad: the model was built "
            "with analytic=True, so it computes its own gradient and builds no autograd graph for "
            "backward() to follow; build it with analytic=False to train it with autograd, or "
            "pass an optimizer object as the updater, such as linearnets' "
            "SGD(net.parameters(), lr) or torch.optim.SGD(net.parameters(), lr), with which "
            "fit and train_epoch_ch3 apply the model's own gradient"
        )
    if not torch.is_grad_enabled():  # the caller's mode, not the loss: no graph could be built
        where = (
            "inside torch.inference_mode()"
            if torch.is_inference_mode_enabled()
            else "inside torch.no_grad(), or after torch.set_grad_enabled(False)"
        )
        return UsageError(
            "the loss does not depend on any parameter that requires grad: gradients are disabled "
            f"in the calling code (torch.is_grad_enabled() is False: training was called {where}), "
            "so autograd recorded no graph for backward() to follow; call fit (or train_epoch_ch3) "
            "outside torch.no_grad() and torch.inference_mode(), or run torch.set_grad_enabled(True) "
            "first"
        )
    try:
        params = list(net.parameters()) if callable(getattr(net, "parameters", None)) else None
    except Exception:  # a parameters() that fails: say what holds in general
        params = None
    if params is not None and not any(getattr(p, "requires_grad", False) for p in params):
        what = (
            f"the model has no trainable parameter (all {len(params)} have requires_grad=False)"
            if params
            else "the model has no parameters"
        )
        fix = (
            "unfreeze them with net.requires_grad_() (or p.requires_grad_() for each tensor), or "
            "pass the parameters you mean to train"
        )
    elif params is None and (frozen := _frozen_tensors(net)):
        return _frozen_function_error(frozen)
    else:
        what = (
            "it was computed outside autograd's graph (from y_hat.detach(), .item(), .numpy(), "
            "under torch.no_grad(), or as a new tensor)"
        )
        fix = "compute the loss with torch operations on the model's output y_hat and on y"
        if params is None:  # a function model: its frozen tensors, the commonest cause, first
            what = f"the model's weights do not require grad, or {what}"
            fix = (
                "create the weights with requires_grad=True (or call w.requires_grad_()), and "
                f"{fix}"
            )
    return UsageError(
        f"the loss does not depend on any parameter that requires grad: {what}; {fix}"
    )


def _frozen_tensors(net: Any) -> list[_Frozen]:
    """Return the floating tensors a function model names that were made without
    ``requires_grad=True`` (the book's W and b), where they are surely its weights: a 2-d one (a
    weight matrix W) among them, none that requires grad, no module, and no list, tuple or dict of
    tensors among its names (``params[0]``, weights it may hold that this cannot see); else an
    empty list, for the message that names the other cause too (a loss computed from
    ``y_hat.detach()``).

    Each matrix W (d, q) comes with its bias: the one vector of q values, named; where several
    vectors have q values (b and a fixed prior (q,) added to the scores), which is the bias is
    not known, so it is left unnamed (``"its bias"``), and none is told to require grad. Another
    vector may be a constant (a mean ``mu`` (d,) subtracted) and is not named."""
    named = named_tensors(net)
    tensors = [
        (name, value)
        for name, value in named
        if isinstance(value, torch.Tensor) and value.is_floating_point()
    ]
    if any(value.requires_grad for _, value in tensors) or any(
        isinstance(value, torch.nn.Module) for _, value in named
    ):
        return []
    matrices = [(name, value) for name, value in tensors if value.ndim == 2]
    if not matrices or _holds_tensors(net):
        return []
    vectors = [(name, value) for name, value in tensors if value.ndim == 1]
    columns = [value.shape[1] for _, value in matrices]
    frozen = []
    for name, value in matrices:
        q = value.shape[1]
        biases = [(other, vector) for other, vector in vectors if vector.shape[0] == q]
        frozen.append(_Frozen(name, value))
        if len(biases) == 1 and columns.count(q) == 1:
            frozen.append(_Frozen(*biases[0]))
        elif biases:  # b and a constant of its size, or biases two matrices could own
            bias = "its bias" if len(matrices) == 1 else f"{name}'s bias"
            frozen.append(_Frozen(bias, biases[0][1], named=False))
    return frozen


class _Frozen(NamedTuple):
    """A tensor of a function model made without ``requires_grad=True``: its ``name``, and its
    ``value``; a bias that is not ``named`` is one of several vectors of its size (``name`` says
    whose bias it is, ``value`` is one of them, for its shape)."""

    name: str
    value: torch.Tensor
    named: bool = True


def _holds_tensors(net: Any) -> bool:
    """Return whether a function names a list, tuple or dict that holds a tensor (the weights
    kept as ``params = [W, b]``), among its closure variables and globals."""
    try:
        names = inspect.getclosurevars(net)
    except (TypeError, ValueError):  # not a plain function: nothing known
        return True
    for value in (*names.nonlocals.values(), *names.globals.values()):
        items = value.values() if isinstance(value, dict) else value
        if isinstance(value, list | tuple | dict) and any(
            isinstance(item, torch.Tensor) for item in items
        ):
            return True
    return False


def _frozen_function_error(frozen: list[_Frozen]) -> UsageError:
    """Return the error for a function model whose tensors ``frozen`` were all made without
    ``requires_grad=True`` (the book's W and b, D2L §3.6.1)."""
    names = _listed([f.name for f in frozen])
    made = _listed(
        [
            f"{f.name} = {created_trainable(f.value)}"
            if f.named
            else f"{f.name} as {created_trainable(f.value)}"
            for f in frozen
        ]
    )
    unfreeze = _listed(
        [
            f"{f.name}.requires_grad_()" if f.named else f"requires_grad_() on {f.name}"
            for f in frozen
        ]
    )
    return UsageError(
        f"the loss does not depend on any parameter that requires grad: the model's {names} "
        f"{'were' if len(frozen) > 1 else 'was'} made without requires_grad=True, so backward has "
        f"no weight to compute a gradient for; create the weights with requires_grad=True, e.g. "
        f"{made} (D2L §3.6.1), or call {unfreeze} before training"
    )


def _listed(items: list[str]) -> str:
    """Return ``items`` as a list in words: ``"W"``, ``"W and b"``, ``"W1, b1, W2 and b2"``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


class NanScoresProbe:
    """Tell, once a pass's scores came out NaN, what was not finite: the weights (parameters and
    buffers), the inputs, or neither (an overflow in the model).

    The pass hands it every batch (:meth:`keep`); it copies the first, once per pass (not the
    batch itself: the pass lets go of each batch before it asks for the next, so that the allocator
    hands the next one the block just freed). Only when called, on the failure path, does it look
    at that copy and run the model on it (see :func:`nan_source`).
    """

    def __init__(self, net: Any) -> None:
        self.net = net
        self.X: torch.Tensor | None = None

    def keep(self, X: torch.Tensor) -> None:
        if self.X is None:
            self.X = X.detach().clone()

    def __call__(self) -> NanSource:
        return (
            NanSource() if self.X is None else nan_source(self.net, self.X, batch="the first batch")
        )


def nan_source(net: Any, X: torch.Tensor, *, batch: str = "a batch") -> NanSource:
    """Return what is not finite once ``net``'s scores held NaN: the batch ``X`` (B, ...), the
    model's weights (its parameters and floating-point buffers, such as BatchNorm's running
    statistics), or neither; then its scores on ``X`` tell an overflow in the model's own
    computation (NaN there too) from a NaN that came from another batch (finite there).
    ``batch``: which batch ``X`` is, as the message names it (``"the epoch's first batch"``).

    The running statistics of a BatchNorm in training mode, which its forward does not use, are
    no cause: where not finite they are left out of the weights and kept as ``unused_buffers``
    (see :func:`~linearnets.training.model_tensors.weights_used`). Nor is a buffer or plain
    tensor attribute that holds inf or -inf and no NaN, as a mask may on purpose: it is kept as
    ``inf_buffers`` or ``inf_attributes``, for the message to mention beside the cause found
    without it.

    For the failure path only: a count over ``X``, a look at each weight and, where all are
    finite, or the model is certain to have none (``no_weights``: see
    :func:`~linearnets.training.weightless.holds_no_weights`), one forward without gradients
    that leaves the model's buffers and modes and torch's random state as found (see
    :func:`~linearnets.training.quiet_forward.quiet_forward`). The weights' finiteness is
    unknown (``None``) where they cannot be listed (see :func:`named_weights`); nothing is said
    of the scores then, nor where the forward fails. Where its scores there hold NaN, their
    dtype, the range of those that do not, and the largest feature and weight are kept, which
    tell scores that overflowed from a softmax that did. See D2L §3.6 (exercise 1: exp of a
    large score).
    """
    nonfinite = int(X.numel() - torch.isfinite(X).sum())
    weights, unused = weights_used(net)
    finite = weights.finite
    if nonfinite or finite is False or (finite is None and not weights.none):
        rows = (
            ~torch.isfinite(X.reshape(X.shape[0], -1)).all(dim=1) if nonfinite and X.ndim else None
        )
        positions = () if rows is None else tuple(rows.nonzero().flatten().tolist())
        return NanSource(
            nonfinite_inputs=nonfinite,
            finite_weights=finite,
            positions=positions,
            batch=batch,
            nonfinite_params=weights.params,
            nonfinite_buffers=weights.buffers,
            no_weights=weights.none,
            unused_buffers=unused,
            nonfinite_attributes=weights.attributes,
            inf_buffers=weights.inf_buffers,
            inf_attributes=weights.inf_attributes,
        )
    ran = NanSource(
        finite_weights=finite,
        batch=batch,
        no_weights=weights.none,
        unused_buffers=unused,
        inf_buffers=weights.inf_buffers,
        inf_attributes=weights.inf_attributes,
    )
    try:
        y_hat = quiet_forward(net, X)  # its state left as found: the pass already ran X
    except Exception:  # a failure now says nothing about where the NaN came from
        return ran
    if not isinstance(y_hat, torch.Tensor):
        return ran
    if not bool(y_hat.isnan().any()):
        return ran._replace(nan_on_batch=False)
    return ran._replace(nan_on_batch=True, **_sizes(X, y_hat, weights.largest))


def _sizes(X: torch.Tensor, y_hat: torch.Tensor, largest_weight: float | None) -> dict[str, Any]:
    """Return what tells an overflow of scores ``y_hat`` that hold NaN on finite features ``X``
    from a softmax's: their dtype, the range of those not NaN, and the largest absolute feature
    and weight (see :class:`~linearnets.model_checks.NanSource`)."""
    sizes: dict[str, Any] = {"largest_weight": largest_weight}
    if X.is_floating_point() and X.numel():
        sizes["largest_input"] = float(X.abs().max())
    if y_hat.is_floating_point():
        sizes["dtype"] = y_hat.dtype
        seen = y_hat.detach()[~y_hat.detach().isnan()]
        if seen.numel():
            sizes["score_range"] = (float(seen.min()), float(seen.max()))
    return sizes


def nan_step(
    outputs: list[torch.Tensor],
    row_max: torch.Tensor,
    context: NanContext,
    *,
    steps_before: int,
    examples_before: int,
    before: torch.Tensor | None,
) -> NanStep:
    """Return where scores first held NaN among a group of steps read back together.

    Args:
        outputs: the scores of each step of the group, (B, q) each, at least one holding NaN.
        row_max: the maximum of each of their rows, (ΣB,), NaN where the row holds one (a max
            propagates NaN): what the group's fold computed anyway.
        context: the pass: its batches' name, whether it trains, its model (whose parameters
            and buffers are looked at), its batches (whether they take the dataset's examples
            in order, see :func:`batch_order`) and its epoch.
        steps_before, examples_before: the steps and examples of the pass before the group.
        before: the scores of the step before the group, if still held.

    For the failure path only: a look at the group's rows, two maxima, and one over the
    parameters and buffers.
    """
    nan = row_max.isnan()
    first = int(nan.nonzero()[0, 0])
    ends = list(itertools.accumulate(scores.shape[0] for scores in outputs))
    index = bisect.bisect_right(ends, first)  # the step whose rows end past the first NaN row
    scores = outputs[index]
    start = ends[index] - scores.shape[0]
    rows = nan[start : ends[index]]
    others = scores[~rows]
    previous = outputs[index - 1] if index else before
    net = context.net
    weights, unused = weights_used(net)
    earlier: dict[str, Any] = {}
    if previous is not None and not bool(torch.isfinite(previous).all()):
        wide = ~torch.isfinite(previous.reshape(previous.shape[0], -1)).all(dim=1)
        rest = previous[~wide]
        earlier = {
            "before_size": previous.shape[0],
            "before_positions": tuple(wide.nonzero().flatten().tolist()),
            "largest_finite_before": float(rest.abs().max()) if rest.numel() else None,
        }
    return NanStep(
        name=context.name,
        batch=steps_before + index,
        size=scores.shape[0],
        positions=tuple(rows.nonzero().flatten().tolist()),
        first_example=examples_before + start,
        largest_other=float(others.abs().max()) if others.numel() else None,
        largest_before=None if previous is None else float(previous.abs().max()),
        training=context.training,
        epoch=context.epoch,
        order=batch_order(context.batches),
        finite_weights=weights.finite,
        largest_weight=weights.largest,
        nonfinite_params=weights.params + attributes_named(weights.attributes),
        nonfinite_buffers=weights.buffers,
        affine=affine(net),
        no_weights=weights.none,
        unused_buffers=unused,
        **earlier,
    )
