"""The diagnosis of a loss that raised: which of its inputs broke the rule, and the fix (D2L §3.6, §3.7).

torch reports bad labels in its own terms ("expected target dtype to be Long"); these name the
argument, the rule, the value and the fix instead. They run only once the loss has raised, so a batch
that trains pays nothing for them. What the model's forward raised is diagnosed
in :mod:`linearnets.training.forward_diagnosis`; what backward raised, and NaN scores, in
:mod:`linearnets.training.model_diagnosis`.
"""

from __future__ import annotations

from typing import Any, NoReturn

import torch
from torch import nn

from linearnets._text import counted
from linearnets.errors import LinearnetsError, UsageError, UsageTypeError
from linearnets.training.label_diagnosis import (
    CLASS_LOSSES,
    explain_class_labels,
    one_output_class_loss_error,
    one_output_labels_error,
)
from linearnets.training.loss_kinds import (
    BINARY_LOSSES,
    Loss,
    is_binary_loss,
    is_class_loss,
    is_torch_loss,
)
from linearnets.training.loss_notes import add_loss_note, note_user_loss_error
from linearnets.validation import check_labels_device, describe, is_column

__all__ = [
    "BINARY_LOSSES",
    "CLASS_LOSSES",
    "REGRESSION_LOSSES",
    "add_loss_note",
    "computes_as",
    "explain_loss_error",
    "is_regression_loss",
    "is_torch_loss",
    "one_output_class_loss_error",
    "one_row_per_example_fix",
    "raise_loss_error",
    "regression_loss_error",
]

# torch's losses that compare outputs with targets element by element, broadcasting them
REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
# torch's cross-entropy and NLL refusing float targets that are not probabilities (B, C)
_WANTS_LABELS = "expected target dtype to be Long"
# torch's cross-entropy given a 1-d output, one example's scores to it, with labels (B,) of its
# shape (taken as class probabilities) or (B, 1); its NLL loss, with labels (B,) (int64; int32
# and bool are told _WANTS_LABELS)
_WANTS_SCORES = (
    "target with class probabilities",
    "0D or 1D target tensor expected",
    "1D target must have size 1",
    _WANTS_LABELS,
)


def computes_as(loss: Loss | None, kinds: tuple[type[nn.Module], ...]) -> bool:
    """Whether ``loss`` is one of torch's loss modules ``kinds`` computing as torch's does: the
    module itself, or a subclass that keeps its ``forward``. A subclass with a ``forward`` of its
    own may reshape, one-hot encode or ``log_softmax`` its inputs before it calls torch's
    (``super().forward(o, F.one_hot(y, C).float())``): it is judged by what it returns, as a
    loss function is."""
    return any(isinstance(loss, k) and type(loss).forward is k.forward for k in kinds)


def is_regression_loss(loss: Loss | None) -> bool:
    """Whether ``loss`` is one of torch's regression losses (:data:`REGRESSION_LOSSES`) computing
    as torch's does (see :func:`computes_as`)."""
    return computes_as(loss, REGRESSION_LOSSES)


def regression_loss_error(
    loss: Loss | None, y_hat: torch.Tensor, y: torch.Tensor
) -> UsageError | None:
    """Return the error for targets ``y`` a regression loss would broadcast against ``y_hat`` (a
    binary cross-entropy refuses them), if any."""
    labels = isinstance(loss, REGRESSION_LOSSES) and not y.is_floating_point() and y.ndim == 1
    if labels and y_hat.ndim == 2 and y_hat.shape[1] > 1:  # a classifier's scores (B, C)
        B, C = y_hat.shape
        name = type(loss).__name__
        return UsageError(
            f"loss {name} is a regression loss, which compares the outputs {(B, C)} with "
            f"targets of that shape, but y holds class labels ({describe(y)}) for a "
            f"classifier's {C} scores; train a classifier with nn.CrossEntropyLoss(), or give "
            f"{name} one-hot targets: torch.nn.functional.one_hot(y, {C}).float()"
        )
    try:
        shape = torch.broadcast_shapes(y_hat.shape, y.shape)
    except RuntimeError:
        return None  # the loss will say the shapes do not fit
    if shape != y_hat.shape or shape != y.shape:
        reshape = f"y.reshape({', '.join(str(d) for d in y_hat.shape)})"
        if not y.is_floating_point() and is_column(y_hat):
            # integer targets of a one-output model: the reshape alone would leave them class labels
            fix = f"{reshape}.float() (float targets for a regression)"
        else:  # the data's labels as they should be made, for the output's shape
            made = ", ".join(["-1", *(str(d) for d in y_hat.shape[1:])])
            fix = f"{reshape} (e.g. labels.reshape({made}))"
        fate = (
            f"which {type(loss).__name__} refuses (a binary cross-entropy takes one target per "
            "output, never broadcast)"
            if isinstance(loss, BINARY_LOSSES)
            else f"which would broadcast to {tuple(shape)} in the loss"
        )
        return UsageError(
            f"the targets y must have the model's output shape {tuple(y_hat.shape)}, got "
            f"{tuple(y.shape)}, {fate}; reshape them with {fix}"
        )
    return None


def raise_loss_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor, err: Exception) -> NoReturn:
    """Raise the readable error for ``err``, which ``loss(y_hat, y)`` raised, in its place; or, when
    :func:`explain_loss_error` finds no cause in the inputs, ``err`` itself, the same object, its
    traceback into the loss kept: a loss of the user's own gets a note naming the inputs it
    failed on (:func:`add_loss_note`).

    The readable error is raised alone, without torch's chained before it (in a notebook, one error
    instead of torch's 15–20 frames first); ``err`` stays reachable as its ``__context__``.
    """
    usage = None if isinstance(err, LinearnetsError) else explain_loss_error(loss, y_hat, y)
    if usage is None and _WANTS_LABELS in str(err):  # a class loss of the user's own, by its words
        usage = one_output_class_loss_error(loss, y_hat, y, said=str(err))
    if usage is None and isinstance(err, IndexError):
        usage = _index_dtype_error(loss, y)
    words = isinstance(err, IndexError) or any(said in str(err) for said in _WANTS_SCORES)
    if usage is None and words and not is_torch_loss(loss):
        # picking by a label a one-output model lacks; torch's cross-entropy in a function of the
        # user's own, on the book's X @ w (B,)
        usage = one_output_labels_error(loss, y_hat, y)
    if usage is None:
        # the user's code raised: its frames stay, the inputs named; linearnets' own errors are
        # readable already, and name the inner call's inputs (a note on fit's contradicted them)
        note_user_loss_error(loss, y_hat, y, err)
        raise err
    usage.__context__ = err  # set by the raise inside err's handler anyway; kept for other callers
    raise usage from None


def _index_dtype_error(loss: Loss, y: torch.Tensor) -> UsageError | None:
    """Return the error for labels ``y`` of a dtype torch does not index with, given to a loss of
    the user's own that raised ``IndexError`` picking by them (the book's
    ``y_hat[range(len(y_hat)), y]``): int8 and int16 are refused ("tensors used as indices must be
    long, int, byte or bool tensors"), uint8 taken as a boolean mask ("The shape of the mask [B]
    at index 0 does not match"); ``None`` for any other."""
    if is_torch_loss(loss) or y.dtype not in (torch.uint8, torch.int8, torch.int16):
        return None
    name = getattr(loss, "__name__", type(loss).__name__)
    return UsageTypeError(
        f"y must be int64 class indices for the loss {name}, which failed indexing with "
        f"{describe(y)}: torch indexes with int64 (or int32) labels only, and takes uint8 ones "
        "as a boolean mask, as in y_hat[range(len(y_hat)), y]; use y.long()"
    )


def one_row_per_example_fix(rows: int, examples: int, *, columns: int | None = None) -> str:
    """Return the fix for a model's output of ``rows`` rows (and ``columns`` columns, where 2-d)
    for a batch of ``examples``.

    Where ``rows`` is k > 1 times as many, the model's ``X.reshape(-1, d)`` made k rows of each
    example (images of another size than the model's inputs: ``resize=56`` gives 4·784 values;
    or with more channels: RGB gives 3·784). An output of one column per example, (C, B) with
    C ≠ B, is transposed: the fix returns it as (B, C) (``o.T``, or ``X @ W`` in that order).
    Where it has one column per example and k rows of each, both fit (Linear(784, 10) on RGB
    images' ``reshape(-1, 784)`` gives (3·B, 10), B = 10 a transposed (30, 10) too), so both
    are named, with the class count each means: ``o.T`` alone would train a 30-class model on
    it, silently.
    """
    k = rows // examples if examples and rows % examples == 0 else 0
    made = (
        f"made {k} rows of each example, as X.reshape(-1, d) does with {k}·d values per "
        "example: check the image size (resize) and channels (3 for RGB) match the model's input"
    )
    if columns == examples and rows != examples:  # (C, B): one column per example
        transposed = (
            "the output is transposed, (C, B) with one column per example: return it as (B, C) "
            f"= ({examples}, {rows}), e.g. o.T for the output o, or check the matmul order "
            "(X @ W, with X of shape (B, d) and W (d, C))"
        )
        if k > 1 and columns > 1:  # (one column: k rows of it would be a one-class model)
            return (
                f"either, if the model has {columns} classes, it {made}; or, if it has {rows} "
                f"classes, {transposed}"
            )
        return transposed
    if k > 1:
        return f"the model {made}"
    return "make the model return one row of scores per example"


def explain_loss_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError | None:
    """Return the error that says why ``loss(y_hat, y)`` failed, or ``None`` if the inputs look fine.

    Run only once the loss has raised, so a batch that trains pays nothing for it. torch's
    cross-entropy on a classifier's scores (B, C) reports bad labels in its own terms ("expected
    target dtype to be Long", "0D or 1D target tensor expected", "Target 18 is out of bounds"); this
    names the labels, the rule and the fix instead. Float targets of the scores' shape (B, C) are
    class probabilities, which ``nn.CrossEntropyLoss`` takes: not labels, so not diagnosed.

    See D2L §3.7.
    """
    if not isinstance(y_hat, torch.Tensor) or y_hat.ndim == 0 or y.ndim == 0:
        return None
    try:  # torch's words: "Expected all tensors to be on the same device"
        check_labels_device(y, y_hat, "the model's output")
    except UsageError as usage:
        return usage
    if y_hat.shape[0] != y.shape[0]:
        fix = one_row_per_example_fix(y_hat.shape[0], y.shape[0], columns=_columns(y_hat))
        return UsageError(
            f"y must hold one label per row of the model's output: the output has shape "
            f"{tuple(y_hat.shape)}, y has {counted(y.shape[0], 'row')}; "
            f"{fix}{_weight_rows_fix(y_hat, y.shape[0]) if fix.startswith('the model made') else ''}"
        )
    if not y.is_floating_point() and (is_binary_loss(loss)):
        return _binary_targets_error(loss, y_hat, y)
    # (a subclass with a forward of its own too: it raised, passing the labels on as they are)
    if isinstance(loss, REGRESSION_LOSSES) and not y.is_floating_point():
        return regression_loss_error(loss, y_hat, y)  # class labels for a regression loss
    if is_class_loss(loss) and is_column(y_hat):  # ("Target 1 is out of bounds")
        return one_output_labels_error(loss, y_hat, y)
    if (
        y_hat.ndim != 2
        or y_hat.shape[1] < 2
        or (is_torch_loss(loss) and not isinstance(loss, CLASS_LOSSES))
    ):
        return None  # not scores (B, C) of a classifier, or a torch regression loss
    return explain_class_labels(loss, y_hat, y)


# the autograd nodes of a product X @ W of two matrices, and the most of a graph walked
_PRODUCTS = ("MmBackward0", "AddmmBackward0")
_NODES_WALKED = 10_000


def _weight_rows_fix(y_hat: torch.Tensor, examples: int) -> str:
    """Return the other fix for an output ``y_hat`` of k rows of each of ``examples`` examples: a
    function model's first weight matrix W (r, q) made with the images' width for rows, where its
    code reshapes by them (the book's ``X.reshape((-1, W.shape[0])) @ W``, D2L §3.6.3: W (28, 10)
    makes 28 rows of each 28×28 image); else ``""``.

    The loss is not given the model: its output's autograd graph is, and names the weight. The
    product farthest from the output (the first layer) whose right side is a leaf matrix that
    requires grad, and whose left side had the output's rows, r values each, a view of the batch,
    is that W: each example held k·r values. It is named only where r is the batch's last size
    (an image's width): a W of 784 rows given 56×56 images (k = 4) is right for the book's
    images, and the image size alone is named, as it is where the output has no graph (computed
    under ``torch.no_grad()``, from a weight that does not require grad, or an ``nn.Linear``'s
    transposed weight)."""
    rows = y_hat.shape[0]
    k = rows // examples
    first = None
    seen: set[Any] = set()
    layer: list[Any] = [y_hat.grad_fn] if y_hat.grad_fn is not None else []
    while layer and len(seen) < _NODES_WALKED:  # breadth first: the last product found is first
        after: list[Any] = []
        for node in layer:
            if node is None or node in seen:
                continue
            seen.add(node)
            found = _product_weight(node, rows)
            if found is not None:
                first = found
            after.extend(child for child, _ in node.next_functions)
        layer = after
    if first is None:
        return ""
    weight, batch = first
    r, q = weight.shape
    if batch.ndim < 3 or batch.shape[-1] != r or batch.shape[0] != examples:
        return ""
    return (
        f"; or the model's weight matrix of shape ({r}, {q}) has {r} rows, the images' width, "
        f"where each example holds {k * r} values: create it with shape ({k * r}, {q})"
    )


def _product_weight(node: Any, rows: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Return the leaf matrix W that autograd ``node``, a product ``X @ W``, took on its right,
    and the batch whose view ``X`` of ``rows`` rows was; else ``None``."""
    if type(node).__name__ not in _PRODUCTS:
        return None
    left = getattr(node, "_saved_mat1" if "Addmm" in type(node).__name__ else "_saved_self", None)
    weight = getattr(node.next_functions[-1][0], "variable", None)  # an AccumulateGrad's leaf
    if not isinstance(left, torch.Tensor) or not isinstance(weight, torch.Tensor):
        return None
    if weight.ndim != 2 or left.ndim != 2 or left.shape != (rows, weight.shape[0]):
        return None
    return None if left._base is None else (weight, left._base)


def _columns(y_hat: torch.Tensor) -> int | None:
    """Return the columns of a 2-d output ``y_hat``, else ``None``."""
    return y_hat.shape[1] if y_hat.ndim == 2 else None


def _binary_targets_error(loss: Loss, y_hat: torch.Tensor, y: torch.Tensor) -> UsageError | None:
    """Return the error for integer or bool targets ``y`` of a binary cross-entropy, which takes a
    float target of the outputs' shape (torch says "Float can't be cast to ... Long", or names
    the sizes only), or ``None`` for shapes no conversion fits."""
    name = getattr(loss, "__name__", type(loss).__name__)
    B = y_hat.shape[0]
    if y_hat.ndim == 2 and y_hat.shape[1] > 1 and y.shape == (B,):  # a classifier's C scores
        C = y_hat.shape[1]
        return UsageTypeError(
            f"y must be float targets of the model's output shape {(B, C)} for {name}, one 0/1 "
            f"target per output, got class labels ({describe(y)}); train a classifier of one class "
            f"per example with nn.CrossEntropyLoss(), or give {name} one-hot targets: "
            f"torch.nn.functional.one_hot(y, {C}).float()"
        )
    if y.shape == y_hat.shape:
        fix = "y.float()"
    elif is_column(y_hat) and y.shape == (B,):  # a binary classifier's one output per example
        fix = f"y.float().reshape({', '.join(str(d) for d in y_hat.shape)})"
    else:
        return None
    return UsageTypeError(
        f"y must be float targets of the model's output shape {tuple(y_hat.shape)} for {name}, "
        f"which takes each target as a probability in [0, 1], got {describe(y)}; convert them with "
        f"{fix} (0/1 labels of a binary classifier too)"
    )
