"""The checks around a training step: the batch, the model's output, the targets' shape and the
loss's value (D2L §3.6.6).

Everything a step checks before it runs is a comparison of shapes, types and dtypes in Python, no
tensor op; the labels themselves are examined only once a loss has raised
(:mod:`linearnets.training.loss_diagnosis`, re-exported here), so a batch that trains pays nothing
for the readable errors of one that does not.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import torch
from torch import nn

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.loss_diagnosis import (
    CLASS_LOSSES,
    REGRESSION_LOSSES,
    explain_loss_error,
    is_regression_loss,
    is_torch_loss,
    one_output_class_loss_error,
    raise_loss_error,
    regression_loss_error,
)
from linearnets.training.loss_kinds import Loss, is_class_loss
from linearnets.training.loss_notes import note_user_loss_error
from linearnets.training.loss_shape import explain_loss_shape
from linearnets.validation import describe

__all__ = [
    "LOSS_ERRORS",
    "check_loss_value",
    "check_targets_shape",
    "compute_loss",
    "explain_loss_error",
    "raise_loss_error",
    "raise_output_error",
    "unpack",
]

# what torch's losses raise on targets that do not fit (a batch-size mismatch is a ValueError),
# diagnosed from the inputs; any other exception of a user's loss gets the inputs noted alone
LOSS_ERRORS = (RuntimeError, IndexError, ValueError)


def unpack(
    batch: Sequence[torch.Tensor],
    *,
    allow_empty: bool = False,
    name: str | None = None,
    step: int | None = None,
    epoch: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the ``(X, y)`` of ``batch``: two tensors with one row per example, (B, ...) and (B, ...).

    ``name`` (``"train_iter"``), ``step`` (the batch's index in its pass, from 0) and ``epoch``
    (from 1), where known, say which batch an empty one is.
    """
    if isinstance(batch, Mapping):  # a dataset of dicts, collated: {"image": X, "label": y}
        keys = list(batch)
        pair = "b[KEY_OF_X], b[KEY_OF_Y]" if len(keys) != 2 else f"b[{keys[0]!r}], b[{keys[1]!r}]"
        raise UsageError(
            f"each batch must be a pair (X, y), got a {type(batch).__name__} with keys {keys}; "
            f"yield (X, y) tuples from the iterator, e.g. (({pair}) for b in loader)"
        )
    if not isinstance(batch, list | tuple) or len(batch) != 2:
        raise UsageError(
            f"each batch must be a pair (X, y), got {type(batch).__name__} of length "
            f"{len(batch) if hasattr(batch, '__len__') else '?'}; yield (features, labels) from the iterator"
        )
    X, y = batch
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise UsageTypeError(
            f"each batch must be a pair of tensors (X, y), got ({type(X).__name__}, "
            f"{type(y).__name__}); convert them with torch.as_tensor"
        )
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise UsageError(
            f"each batch must hold one label per example, got X of shape {tuple(X.shape)} and y of "
            f"shape {tuple(y.shape)}; yield (features, labels) of the same examples"
        )
    if X.shape[0] == 0 and not allow_empty:
        err = UsageError(_empty_batch(name, step, epoch))
        # its fix names ln.load_array: the book's functions, whose callers may have no ln, tell
        # d2l.load_array instead (this refusal's words only, not a refusal of the caller's own)
        err.names_ln_load_array = True  # type: ignore[attr-defined]
        raise err
    return X, y


def _empty_batch(name: str | None, step: int | None, epoch: int | None) -> str:
    """Return the refusal of an empty batch, naming which one where known, and the fix.

    A ``DataLoader`` never yields one (nor ``load_array``): the usual cause is batches sliced by
    hand past the data's end, ``range(0, len(X) + b, b)``, or a split of it left empty.
    """
    fix = (
        "drop the empty batches: slice the data only up to its end, [(X[i:i + b], y[i:i + b]) "
        "for i in range(0, len(X), b)], or pass ln.load_array((X, y), b), which yields none"
    )
    if name is None or step is None:
        return f"each batch must hold at least one example, got an empty batch (0 rows); {fix}"
    when = f" of epoch {epoch}" if epoch is not None else ""
    return (
        f"{name}'s batch {step + 1}{when} is empty (0 rows): each batch must hold at least one "
        f"example; {fix}"
    )


def compute_loss(loss: Loss, y_hat: Any, y: torch.Tensor) -> torch.Tensor:
    """Return ``loss(y_hat, y)`` once the model's output, the targets and the loss's value are checked.

    Shapes, types and dtypes compared in Python, no tensor op: the labels themselves are examined
    only once the loss has raised (see :func:`explain_loss_error`).
    """
    if not isinstance(y_hat, torch.Tensor):
        raise_output_error(y_hat)
    check_targets_shape(y_hat, y, loss)
    try:
        l = loss(y_hat, y)
    except LOSS_ERRORS as err:
        raise_loss_error(loss, y_hat, y, err)
    except Exception as err:  # a TypeError, a KeyError of the loss's own code: noted, re-raised
        note_user_loss_error(loss, y_hat, y, err)
        raise
    check_loss_value(l, y_hat, y, loss=loss)
    if y_hat.shape != y.shape and not l.ndim:
        check_reduced_loss(loss, y_hat, y, l)
    if (
        isinstance(loss, REGRESSION_LOSSES)  # one test a step for every other loss
        and y_hat.shape != y.shape
        and not y.is_floating_point()
        and _passes_labels_on(loss, y_hat, y, l)
    ):
        usage = regression_loss_error(loss, y_hat, y)
        if usage is not None:
            raise usage
    return l


# (id of a loss module, output shape, label shape) whose forward was found to encode the labels
_ENCODED: dict[tuple[int, tuple[int, ...], tuple[int, ...]], Callable[[], Any]] = {}


def _passes_labels_on(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, l: torch.Tensor) -> bool:
    """Whether ``loss``, a subclass of torch's regression loss with a forward of its own, gave the
    value of torch's forward on the class labels ``y`` as they are: labels (B,) broadcast against
    scores (B, C) with C = B, with only torch's warning. A forward that encodes them first
    (``F.one_hot(y, C)``) gives another value. Asked once per module and pair of shapes."""
    base = next((k for k in REGRESSION_LOSSES if isinstance(loss, k)), None)
    if base is None or is_regression_loss(loss) or not y_hat.is_floating_point():
        return False
    key = (id(loss), tuple(y_hat.shape), tuple(y.shape))
    if _remembered(_ENCODED, key, loss):
        return False
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # torch's own "Using a target size ..." warning
            stock = base.forward(loss, y_hat.detach(), y)  # type: ignore[arg-type]
    except LOSS_ERRORS:
        stock = None
    if stock is not None and stock.shape == l.shape and torch.allclose(stock, l.detach()):
        return True
    _remember(_ENCODED, key, loss)
    return False


# (id of a loss function, output shape, target shape) found not to broadcast: checked once each;
# the value refers to the loss itself (weakly where it can), so that a loss made later at the id
# of a collected one (fit(..., MyLoss(), ...) called again) is not taken for it
_ALIGNED: dict[tuple[int, tuple[int, ...], tuple[int, ...]], Callable[[], Any]] = {}
_ALIGNED_MAX = 64


def _reference(loss: Loss) -> Callable[[], Any]:
    """Return a call giving ``loss`` back while it lives: a weak reference where it takes one (a
    function, a module), else the loss held (a builtin)."""
    try:
        return weakref.ref(loss)
    except TypeError:
        return lambda: loss


def _remembered(memory: dict[Any, Callable[[], Any]], key: Any, loss: Loss) -> bool:
    """Whether ``memory`` holds ``key`` for this very ``loss``, not one collected at its id."""
    reference = memory.get(key)
    return reference is not None and reference() is loss


def _remember(memory: dict[Any, Callable[[], Any]], key: Any, loss: Loss) -> None:
    """Keep ``key`` for ``loss`` in ``memory``, dropping the oldest past :data:`_ALIGNED_MAX`."""
    if len(memory) >= _ALIGNED_MAX:
        memory.pop(next(iter(memory)))
    memory[key] = _reference(loss)


def check_reduced_loss(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, l: torch.Tensor) -> None:
    """Raise if the loss function ``loss`` reduced ``y_hat`` and ``y`` broadcast against each other.

    ``((y_hat - y) ** 2).mean()`` on outputs (B,) and targets (B, 1) averages (B, B) pairs, every
    output against every target, into one number: the model learns the targets' mean, with no
    error. A function that reshapes ``y`` itself (the book's ``squared_loss``) gives the same value
    and the same gradient with ``y`` in the output's shape: that is the oracle (the gradient tells
    the two apart even where the value does not, as at a zero initialisation, whose outputs are
    all equal). Asked once per function and pair of shapes, on a copy of the outputs; torch's
    loss modules are checked before the call (:func:`check_targets_shape`), a loss module of the
    user's own here, as a function is.
    """
    if (
        _shape_checked_before(loss)
        or y.numel() != y_hat.numel()
        or not y_hat.numel()
        or not y_hat.is_floating_point()
    ):
        return
    key = (id(loss), tuple(y_hat.shape), tuple(y.shape))
    if _remembered(_ALIGNED, key, loss):
        return
    try:
        pairs = torch.broadcast_shapes(y_hat.shape, y.shape)
    except RuntimeError:
        return
    if math.prod(pairs) > y_hat.numel():
        given, aligned = (
            _value_and_grad(loss, y_hat, y),
            _value_and_grad(loss, y_hat, y.reshape(y_hat.shape)),
        )
        if given is None or aligned is None:
            return  # no gradient to compare (a loss outside autograd): other checks say so
        if not all(
            torch.allclose(a, b, rtol=1e-5, atol=1e-8) for a, b in zip(given, aligned, strict=True)
        ):
            name = getattr(loss, "__name__", type(loss).__name__)
            kind = "module" if isinstance(loss, nn.Module) else "function"
            usage = regression_loss_error(None, y_hat, y)
            assert usage is not None  # the shapes broadcast to more pairs than outputs
            raise UsageError(
                f"{usage}; the loss {kind} {name} compared every output with every target and "
                f"averaged the {tuple(pairs)} pairs into one number ({float(l.detach()):.6g}, against "
                f"{float(aligned[0]):.6g} with y in the output's shape), so the model would learn "
                "the targets' mean; or reshape inside the loss, as the book's squared_loss does: "
                "y.reshape(y_hat.shape)"
            )
        if bool((y == y.reshape(-1)[0]).all()):
            return  # equal targets: both forms agree on this batch whatever the function does
    _remember(_ALIGNED, key, loss)


def _value_and_grad(
    loss: Loss, y_hat: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Return ``loss`` on a copy of ``y_hat`` and its gradient there (float64), or ``None``."""
    probe = y_hat.detach().clone().requires_grad_(True)
    try:
        with torch.enable_grad():
            value = loss(probe, y)
            (grad,) = torch.autograd.grad(value, probe)
    except (RuntimeError, TypeError):
        return None
    return value.detach().double(), grad.double()


def raise_output_error(y_hat: Any) -> NoReturn:
    """Raise the error for a model whose output ``y_hat`` is not a tensor (a tuple, a NumPy array)."""
    if isinstance(y_hat, tuple | list):
        fix = "return one tensor from the model (e.g. `return logits`, not `return logits, probs`)"
    elif isinstance(y_hat, Mapping):  # {"logits": ...}, a Hugging Face ModelOutput
        raise UsageTypeError(
            f"the model (net) must return a torch.Tensor of outputs (B, q), got "
            f"{type(y_hat).__name__} with {_keys(y_hat)}; {_entry_fix(y_hat)}"
        )
    else:
        fix = (
            "compute the output with torch operations (NumPy results carry no gradient), or "
            "convert it with torch.as_tensor"
        )
    raise UsageTypeError(
        f"the model (net) must return a torch.Tensor of outputs (B, q), got "
        f"{type(y_hat).__name__}; {fix}"
    )


def _keys(outputs: Mapping[Any, Any]) -> str:
    """Return the keys of the model's ``outputs``, the first five shown."""
    keys = list(outputs)
    if not keys:
        return "no key"
    shown = ", ".join(repr(key) for key in keys[:5])
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    return f"the key{'s' if len(keys) > 1 else ''} {shown}{more}"


def _entry_fix(outputs: Mapping[Any, Any]) -> str:
    """Return the fix for a model returning ``outputs``: return its tensor of scores itself."""
    tensors = [key for key, value in outputs.items() if isinstance(value, torch.Tensor)]
    if not tensors:
        return "return the tensor of outputs itself, not a dict of them"
    key = "logits" if "logits" in tensors else tensors[0]
    return (
        f"return the tensor itself, e.g. its {key!r} entry: `return out[{key!r}]` at the end of "
        "the model's forward"
    )


def check_loss_value(
    l: Any, y_hat: torch.Tensor, y: torch.Tensor, *, loss: Loss | None = None
) -> None:
    """Raise unless ``l`` is a 0-d loss or one per example: (B,), or (B, ...) with one per output value.

    A loss that drops examples (``l[:3]``) or broadcasts them against each other ((B, B)) would
    otherwise be averaged over B and train silently wrong; a multi-output regression loss with
    ``reduction="none"`` has the output's shape (B, k), which is fine. ``loss``, the function that
    gave ``l``, is called again once ``l`` is refused, to name class labels that caused its shape
    (see :func:`~linearnets.training.loss_shape.explain_loss_shape`).
    """
    if not isinstance(l, torch.Tensor):
        raise UsageTypeError(
            f"loss must return a torch.Tensor (per-example losses (B,) or their 0-d mean), got "
            f"{describe(l)}; compute it with torch operations on y_hat and y, so it has a gradient"
        )
    ndim = l.ndim
    if ndim:  # (B,) needs one comparison; (B, k) the count of its values too
        B = y.shape[0]
        if l.shape[0] != B or (ndim > 1 and l.numel() not in (B, y_hat.numel())):
            raise UsageError(
                explain_loss_shape(loss, l, y_hat, y)
                or f"loss must return one loss per example, shape ({B},) (or one per output "
                f"value, {tuple(y_hat.shape)}, or a 0-d mean or sum), got shape "
                f"{tuple(l.shape)} for a batch of {counted(B, 'example')}; return every example's loss, "
                "unsliced, with targets of the output's shape so that nothing broadcasts"
            )


def check_targets_shape(y_hat: torch.Tensor, y: torch.Tensor, loss: Loss | None) -> None:
    """Raise if outputs and targets of different shapes would broadcast in a torch regression loss.

    ``nn.MSELoss`` on outputs (B, 1) and targets (B,) compares every output with every target,
    (B, B) pairs, with only a warning: the model then learns the targets' mean. On a classifier's
    scores (B, C) and class labels (B,) it fails, or, when C = B, trains on nonsense. Checked for
    torch's loss modules (and subclasses of its regression losses that keep torch's forward); a
    loss function or a loss module of the user's own (a subclass with a forward of its own too)
    may reshape y itself, as the book's ``squared_loss`` does: it is
    judged by what it returns (:func:`check_loss_value`, :func:`check_reduced_loss`).
    """
    if not y.is_floating_point():  # class labels: wrong only for a regression loss
        if is_regression_loss(loss) and y_hat.shape != y.shape:
            usage = regression_loss_error(loss, y_hat, y)
            if usage is not None:
                raise usage
        return
    if loss is not None and is_class_loss(
        loss
    ):  # float targets of one output: a cross-entropy always 0, or refused
        usage = one_output_class_loss_error(loss, y_hat, y)
        if usage is not None:
            raise usage
    if y_hat.shape == y.shape or not _shape_checked_before(loss):
        return  # matching shapes, or the user's own loss: judged by what it returns
    if isinstance(loss, CLASS_LOSSES):
        return  # float labels for a classification loss: explain_loss_error says what to do
    usage = regression_loss_error(loss, y_hat, y)
    if usage is not None:
        raise usage


def _shape_checked_before(loss: Loss | None) -> bool:
    """Whether float targets for ``loss`` are checked against the output's shape before it runs:
    torch's loss modules, and subclasses of its regression losses that keep torch's forward, which
    broadcast as torch does."""
    return is_torch_loss(loss) or is_regression_loss(loss)
