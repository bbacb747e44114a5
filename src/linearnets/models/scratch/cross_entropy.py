"""Softmax and cross-entropy from scratch: stable softmax, the book's cross-entropy, the fused one on
logits, and the analytic gradient ∂l/∂o = softmax(o) − onehot(y) (D2L §3.4, §3.6, §3.7)."""

from __future__ import annotations

import math

import torch

from linearnets._text import counted
from linearnets.errors import UsageError
from linearnets.validation import (
    check_float_tensor,
    check_holds_values,
    check_label_tensor,
    check_labels_device,
    check_scores_first,
    is_one_score_per_label,
    one_score_error,
)

__all__ = [
    "cross_entropy",
    "cross_entropy_logits",
    "softmax",
    "softmax_cross_entropy_grad",
]


def softmax(X: torch.Tensor) -> torch.Tensor:
    """Return the row-wise softmax of ``X``, stable for any finite logits.

    Subtracting each row's maximum leaves the result unchanged (it cancels in the ratio) but keeps
    every ``exp`` in (0, 1], so logits of ±1000 give probabilities instead of inf/inf = NaN.

    Args:
        X: logits, shape (B, C).

    Returns:
        Probabilities, shape (B, C), each row summing to 1.

    See D2L §3.6.2 and §3.7.2.
    """
    check_float_tensor("X", X, ndim=2)
    if X.shape[1] == 0:
        raise UsageError(
            f"X must hold at least one logit per row, got shape {tuple(X.shape)}; pass logits (B, C)"
        )
    X_exp = torch.exp(X - X.amax(dim=1, keepdim=True))  # (B, C), entries in (0, 1]
    return X_exp / X_exp.sum(dim=1, keepdim=True)


# each loss's section of the book, which a call with its arguments swapped is told to read
_SECTIONS = {
    "cross_entropy": "§3.6.4",
    "cross_entropy_logits": "§3.7.2",
    "softmax_cross_entropy_grad": "§3.4.6.2",
}


def _check_targets(
    y_hat: torch.Tensor, y: torch.Tensor, what: str, function: str, *, ranged: bool = True
) -> None:
    """Check ``y_hat`` (B, C) and the labels ``y`` (B,) given to ``function``; ``ranged=False``
    leaves the labels' range to :func:`_pick`, which checks it for free.

    On the meta device the range is not checked: its tensors hold no values, only shapes, which
    torch computes these losses for (as ``F.cross_entropy`` does there). A vector ``y_hat`` (B,)
    for B labels is one score per example, the book's ``X @ w`` with w (d,): not one example's
    scores, which ``reshape(1, -1)`` would make a batch of (that fix is for a single label).
    """
    tensors = isinstance(y_hat, torch.Tensor) and isinstance(y, torch.Tensor)
    if tensors and not y_hat.is_floating_point():  # the labels first? (no cost on floats)
        check_scores_first(function, what, y_hat, y, section=_SECTIONS[function])
    if tensors and is_one_score_per_label(y_hat, y):
        raise one_score_error(y_hat, y)
    check_float_tensor(what, y_hat, ndim=2)
    if y_hat.shape[1] == 0:  # no class to pick: amax and gather would fail in torch's terms
        kind = "logit" if what == "O" else "probability"
        raise UsageError(
            f"{what} must hold at least one {kind} per row (one per class), got shape "
            f"{tuple(y_hat.shape)}; pass {what} of shape (B, C) with C >= 1"
        )
    ranged = ranged and not y_hat.is_meta
    check_label_tensor("y", y, num_classes=y_hat.shape[1] if ranged else None)
    _check_label_values(y, y_hat)
    if y.shape[0] != y_hat.shape[0]:
        raise UsageError(
            f"y must hold one label per row of {what}: {what} has {counted(y_hat.shape[0], 'row')}, "
            f"y has {y.shape[0]}; pass labels of shape ({y_hat.shape[0]},)"
        )


def _check_label_values(y: torch.Tensor, values: torch.Tensor) -> None:
    """Refuse meta labels ``y`` for ``values`` that hold values: a CPU gather would read whatever
    memory its meta index points to and return a loss of garbage, silently."""
    if y.is_meta and not values.is_meta:
        check_holds_values("y", y)


def _as_index(y: torch.Tensor) -> torch.Tensor:
    """Return integer labels as a dtype ``gather`` and ``scatter`` index with (int64 or int32)."""
    return y if y.dtype in (torch.int64, torch.int32) else y.long()


def _gather_checks_range(t: torch.Tensor) -> bool:
    """Whether a ``gather`` on ``t``'s device raises for an index out of range.

    On the CPU it raises a ``RuntimeError``, which :func:`_pick` turns into the labels' own error,
    so the range needs no pass of its own. On a GPU it is a device-side assert that leaves the device
    unusable, so there the labels are checked before any kernel reads them.
    """
    # anything else (a list, a NumPy array) is no tensor: the caller's type check names it
    return isinstance(t, torch.Tensor) and t.is_cpu


def _pick(
    values: torch.Tensor, classes: int, y: torch.Tensor, index: torch.Tensor | None = None
) -> torch.Tensor:
    """Return each example's entry for its label: ``values`` is (C, B) (``classes=0``) or (B, C).

    ``index`` is ``y`` already shaped as (1, B) or (B, 1), when the caller has it. On the CPU
    ``gather`` checks every index, so a label out of ``[0, C)`` costs no extra pass over ``y``: it
    fails the gather, which is then reported as the labels' own error.
    """
    if index is None:
        index = y.reshape(1, -1) if classes == 0 else y.reshape(-1, 1)
    try:
        return values.gather(classes, index).reshape(-1)
    except RuntimeError:
        check_labels_device(y, values, "the logits")  # gather takes no index from another device
        check_label_tensor("y", y, num_classes=values.shape[classes])  # raises the readable error
        raise


def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the per-example cross-entropy ``−log ŷ[i, y_i]`` from probabilities, as the book picks it.

    The picked probability p is clamped below at ``torch.finfo(dtype).tiny``, the dtype's smallest
    normal number (1.2e-38 in float32, 2.2e-308 in float64), so that neither the loss nor its
    gradient −1/p is ever infinite: a p that underflowed to 0, or a subnormal one, gives the loss
    −log(tiny) (87.3 in float32) and the gradient 0. float16 and bfloat16 probabilities are taken
    to float32 for the log, so the loss is −log p for every p > 0 they hold (p = 1e-5 in float16
    gives 11.51, where its own log would give 9.70 at its tiny, 6.1e-5; p = 0 counts as the dtype's
    smallest positive value), returned in the input dtype; their gradient still follows the clamp
    at their own tiny, since −1/p below it would overflow them (float16 holds no 1e5).

    Args:
        y_hat: probabilities, shape (B, C).
        y: class indices, int64 shape (B,).

    Returns:
        Losses of shape (B,), in ``y_hat``'s dtype.

    See D2L §3.6.4.
    """
    _check_targets(y_hat, y, "y_hat", "cross_entropy")
    y = _as_index(y)  # uint8 labels would index as a boolean mask
    picked = y_hat[torch.arange(y_hat.shape[0], device=y_hat.device), y]  # (B,)
    _check_probabilities(picked)
    finfo = torch.finfo(picked.dtype)
    clamped = -torch.log(picked.clamp_min(finfo.tiny))  # (B,), finite loss and gradient
    if picked.dtype not in (torch.float16, torch.bfloat16):
        return clamped
    # −log p in float32, exact for every p > 0 these dtypes hold (their smallest positive value is
    # tiny · eps: 6e-8 in float16, 9e-41 in bfloat16, both held by float32)
    exact = -torch.log(picked.detach().float().clamp_min(finfo.tiny * finfo.eps)).to(picked.dtype)
    if not clamped.requires_grad:
        return exact
    # the exact value with the clamped loss's gradient: clamped − clamped.detach() is exactly 0
    return exact + (clamped - clamped.detach())


def _check_probabilities(picked: torch.Tensor) -> None:
    """Raise unless each picked true-class value (B,) is a probability in [0, 1] (not NaN).

    Logits passed where probabilities are expected give ``−log o_y < 0`` for any o_y > 1: negative
    losses, silently. Only the B picked values are checked (one reduction), not all B × C; a
    softmax rounds a probability to at most a few ulps above 1, hence the tolerance.
    """
    if not picked.numel() or picked.is_meta:  # no values to check (meta: shapes only)
        return
    picked = picked.detach()  # the check is no part of the loss: no autograd node
    top = 1 + max(1e-6, 8 * torch.finfo(picked.dtype).eps)
    low, high = (float(v) for v in torch.aminmax(picked))  # NaN propagates into both
    if low >= 0 and high <= top:
        return
    row = int(((picked < 0) | (picked > top) | picked.isnan()).nonzero()[0, 0])
    value = float(picked[row])
    why = (
        "NaN: the model's outputs hold NaN (diverged weights? lower the lr)"
        if math.isnan(value)
        else "logits? they give negative or meaningless losses"
    )
    raise UsageError(
        f"y_hat must be probabilities (rows of softmax outputs, in [0, 1]), got {_shortest(value, picked.dtype)} for "
        f"the true class of row {row} ({why}); pass softmax(O), or use cross_entropy_logits(O, y) "
        "on the logits O"
    )


def _shortest(value: float, dtype: torch.dtype) -> str:
    """Return ``value`` as the shortest text that reads back to it in ``dtype`` (-0.7, not
    -0.699999988 for float32; 1.0000012, not a rounded 1)."""
    if dtype == torch.float64 or math.isnan(value):
        return repr(value)
    import numpy as np

    return str(np.float32(value))  # float16/bfloat16 values are float32 values too


def cross_entropy_logits(O: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the per-example cross-entropy from logits, fused and stable: ``logsumexp(o) − o_y``.

    Args:
        O: logits, shape (B, C).
        y: class indices, int64 shape (B,).

    Returns:
        Losses of shape (B,).

    See D2L §3.7.2.
    """
    _check_targets(O, y, "O", "cross_entropy_logits", ranged=not _gather_checks_range(O))
    y = _as_index(y)
    # The scratch model's logits are a (B, C) view of a contiguous (C, B) tensor: work on that tensor,
    # over its dim 0, so each reduction over the C classes runs vectorized across the batch (forward
    # and backward ~15% faster than reducing the strided rows).
    classes = 0 if O.shape[1] > 1 and O.T.is_contiguous() else 1
    logits = O.T if classes == 0 else O  # (C, B) or (B, C)
    # shift by the max first: the loss is unchanged, but logsumexp(O) − o_y would cancel two numbers
    # as large as the logits (at ±1e4 in float32 that costs ~1e-3 absolute). The shift is a constant
    # per example, so it needs no gradient.
    shifted = logits - logits.detach().amax(dim=classes, keepdim=True)  # each example's max is 0
    # every exp(shifted) is in (0, 1] and one of them is 1, so the sum is in [1, C]: log Σ exp needs
    # none of torch.logsumexp's own shift and inf handling (the same losses; forward and
    # backward ~15% faster)
    return shifted.exp().sum(dim=classes).log() - _pick(shifted, classes, y)


def softmax_cross_entropy_grad(O: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return ∂l_i/∂o_i = softmax(o_i) − onehot(y_i) for each example, the book's derivation.

    Args:
        O: logits, shape (B, C).
        y: class indices, int64 shape (B,).

    Returns:
        Gradients of shape (B, C) (of each example's own loss, not of the mean).

    See D2L §3.4.6.2.
    """
    _check_targets(O, y, "O", "softmax_cross_entropy_grad")
    G = softmax(O)  # (B, C)
    G[torch.arange(O.shape[0], device=O.device), _as_index(y)] -= 1
    return G
