"""Softmax regression from scratch: the model, its forward pass and its analytic step (D2L §3.6).

The losses and the analytic gradient it uses live in :mod:`linearnets.models.scratch.cross_entropy`
(re-exported here).
"""

from __future__ import annotations

import math

import torch

from linearnets._text import counted
from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch.cross_entropy import (
    _as_index,
    _check_label_values,
    _gather_checks_range,
    _pick,
    cross_entropy,
    cross_entropy_logits,
    softmax,
    softmax_cross_entropy_grad,
)
from linearnets.models.scratch.module import ScratchModule
from linearnets.validation import (
    check_float_tensor,
    check_label_tensor,
    check_model_size,
    check_positive_int,
)

__all__ = [
    "SoftmaxRegressionScratch",
    "cross_entropy",
    "cross_entropy_logits",
    "softmax",
    "softmax_cross_entropy_grad",
]


def _image_shape(num_inputs: int) -> str:
    """Return an image batch shape holding ``num_inputs`` pixels, e.g. ``(B, 1, 14, 14)`` for 196."""
    side = math.isqrt(num_inputs)
    # only a square count names a concrete size; any other count fits some (H, W) with H·W = d
    if side * side == num_inputs:
        return f"(B, 1, {side}, {side})"
    return f"(B, 1, H, W) with H·W = {num_inputs}"


def _features_fix(X: torch.Tensor, num_inputs: int, fix: str) -> str:
    """Return the fix for an ``X`` without ``num_inputs`` features per example: a 1-d ``X`` of
    ``num_inputs`` values is one example (a batch of one), of one feature per example a column;
    any other shape, ``check the {fix} matches the model's num_inputs``."""
    if X.ndim == 1 and len(X) == num_inputs:
        features = counted(num_inputs, "feature")  # "its 1 feature", not "its 1 features"
        return f"for one example of its {features} use X.reshape(1, -1), a batch of one"
    if X.ndim == 1 and num_inputs == 1:
        return "for one feature per example make it a column with X.reshape(-1, 1)"
    return f"check the {fix} matches the model's num_inputs"


class SoftmaxRegressionScratch(ScratchModule):
    """Softmax regression ``O = X W + b`` with ``W`` (d, q) ~ N(0, sigma²) and ``b`` (q,) = 0.

    The model returns logits; pair it with :func:`cross_entropy_logits`. ``softmax(net(X))`` gives the
    book's probabilities. With ``analytic=True`` the parameters carry no autograd graph and the
    trainer calls :meth:`analytic_backward`, which writes the book's closed-form gradient into ``.grad``.

    Args:
        num_inputs: d, features per example (784 for 28×28 images).
        num_outputs: q, the number of classes.
        sigma: standard deviation of the initial weights.
        generator: source of the initial weights, drawn on its device (a CUDA one too); the
            parameters are made on torch's default device, as ``nn.Linear`` makes its own.
        analytic: use the explicit gradient instead of autograd.

    See D2L §3.6.1.
    """

    def __init__(
        self,
        num_inputs: int = 784,
        num_outputs: int = 10,
        *,
        sigma: float = 0.01,
        generator: torch.Generator | None = None,
        analytic: bool = False,
    ) -> None:
        self.num_inputs = check_positive_int("num_inputs", num_inputs)
        self.num_outputs = check_positive_int("num_outputs", num_outputs)
        check_model_size(self.num_inputs, self.num_outputs)
        # W is (d, q) as in the book, stored column-major (the transpose of a contiguous (q, d)):
        # MKL's X @ W and its backward run ~3x faster in that layout for q = 10 columns
        W = self._initial_weights(
            self.num_outputs, self.num_inputs, sigma=sigma, generator=generator, analytic=analytic
        ).T
        self.W = W.requires_grad_(not self.analytic)
        self.b = torch.zeros(self.num_outputs, requires_grad=not self.analytic)

    def param_names(self) -> tuple[str, ...]:
        """Return the parameters' attribute names, in :meth:`parameters` order."""
        return ("W", "b")

    def extra_repr(self) -> str:
        """Return the sizes, ``analytic`` when set, and the dtype, e.g. for
        ``SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, dtype=torch.float32)``."""
        analytic = ", analytic=True" if self.analytic else ""
        return (
            f"num_inputs={self.num_inputs}, num_outputs={self.num_outputs}{analytic}, "
            f"{self._dtype_device()}"
        )

    def flatten(self, X: torch.Tensor) -> torch.Tensor:
        """Return ``X`` as a (B, d) matrix, checking it holds d features per example, in the model's
        dtype, on its device."""
        check_float_tensor("X", X)
        # features from the shape, not X[0], so an empty batch (0, d) (a data-parallel shard) passes
        if X.ndim < 2 or math.prod(X.shape[1:]) != self.num_inputs:
            # images (B, C, H, W) of the wrong size come from another resize; rows of features (a
            # --data file's) from other data, as the concise model tells them
            fix = "image size (resize)" if X.ndim == 4 else "data"
            raise UsageError(
                f"X must hold {counted(self.num_inputs, 'feature')} per example, e.g. shape "
                f"(B, {self.num_inputs}) "
                f"or {_image_shape(self.num_inputs)}, got shape {tuple(X.shape)}; "
                f"{_features_fix(X, self.num_inputs, fix)}"
            )
        if X.dtype != self.W.dtype:
            raise UsageTypeError(
                f"X must have the model's dtype {self.W.dtype}, got {X.dtype}; convert the batch "
                f"with X.to({self.W.dtype})"
            )
        if X.device != self.W.device:  # torch would mix a CPU batch into a meta model's output
            self._check_device(X)
        return X.reshape(X.shape[0], self.num_inputs)  # (B, d)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Return logits (B, q) for a batch ``X`` of shape (B, d) or (B, 1, H, W)."""
        X = self.flatten(X)  # (B, d)
        return self._logits_t(X).T  # (q, B) -> a (B, q) view

    def _logits_t(self, X: torch.Tensor) -> torch.Tensor:
        """Return the transposed logits ``Oᵀ = Wᵀ Xᵀ + b`` (q, B) for flattened ``X`` (B, d).

        The same numbers as ``X @ W + b``, but MKL runs the (q, d) @ (d, B) product about twice as
        fast as (B, d) @ (d, q) for q = 10 columns, and reductions over the q classes then run
        vectorized across the batch. One ``addmm`` is one autograd node.
        """
        return torch.addmm(self.b.unsqueeze(1), self.W.T, X.T)  # (q, 1) + (q, d) @ (d, B)

    @torch.no_grad()
    def analytic_backward(
        self, X: torch.Tensor, O: torch.Tensor, y: torch.Tensor, *, scale: float
    ) -> None:
        """Write ``scale · Σ_i ∂l_i/∂θ`` into each parameter's ``.grad``, without autograd.

        With ``G = softmax(O) − onehot(y)`` (B, q): ``∂/∂W = Xᵀ G`` (d, q) and ``∂/∂b = Σ_i G_i`` (q,).
        ``scale = 1 / B`` gives the gradient of the batch mean, as ``loss.mean().backward()`` would.

        See D2L §3.4.6.2.
        """
        G = softmax_cross_entropy_grad(O, y) * scale  # (B, q)
        self.W.grad = (
            G.T @ self.flatten(X)
        ).T  # ((q, B) @ (B, d)).T -> (d, q), column-major like W
        self.b.grad = G.sum(dim=0)  # (q,)

    analytic_loss = staticmethod(cross_entropy_logits)  # the loss analytic_step computes

    @torch.no_grad()
    def analytic_step(
        self, X: torch.Tensor, y: torch.Tensor, *, scale: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward pass, per-example cross-entropy and its gradient, sharing one softmax.

        What :meth:`forward`, :func:`cross_entropy_logits` and :meth:`analytic_backward` compute one
        after the other, in one pass: the shifted logits give both the loss, ``log Σ exp(o − m) −
        (o_y − m)``, and the softmax of the gradient ``G = softmax(O) − onehot(y)``. Works in the
        (q, B) layout, so every reduction over the q classes runs across the batch.

        Args:
            X: a batch (B, d) or (B, 1, H, W).
            y: class indices, int64 (B,).
            scale: the factor on the summed gradient (``1 / B`` for the batch mean).

        Returns:
            ``(O, l)``: logits (B, q) and per-example losses (B,). ``scale · Σ_i ∂l_i/∂θ`` is written
            into ``W.grad`` (d, q) and ``b.grad`` (q,).

        See D2L §3.4.6.2 and §3.7.2.
        """
        X = self.flatten(X)  # (B, d)
        B = X.shape[0]
        # on the CPU the range is checked by _pick's gather, for free; meta holds no labels to check
        num_classes = None if _gather_checks_range(X) or X.is_meta else self.num_outputs
        y = _as_index(check_label_tensor("y", y, num_classes=num_classes))
        _check_label_values(y, X)
        if y.shape[0] != B:
            raise UsageError(
                f"y must hold one label per row of X: X has {counted(B, 'row')}, y has {y.shape[0]}; "
                f"pass labels of shape ({B},)"
            )
        OT = self._logits_t(X)  # (q, B)
        shifted = OT - OT.amax(dim=0, keepdim=True)  # (q, B), each column's max is 0
        index = y.reshape(1, B)  # read by the gather and by the scatter
        picked = _pick(shifted, 0, y, index)  # (B,) o_y − m; every label is now known in range
        E = shifted.exp()  # (q, B), entries in (0, 1]
        S = E.sum(dim=0)  # (B,), each >= 1
        losses = S.log().sub_(picked)  # (B,) log Σ exp(o − m) − (o_y − m)
        G = E.div_(S)  # (q, B): softmax, one column per example
        # − onehot(y): one scatter, ~2x cheaper than G[y, arange(B)] -= 1 (gather, sub, index_put)
        G.scatter_(0, index, -1.0, reduce="add")
        G.mul_(scale)
        self.W.grad = (G @ X).T  # ((q, B) @ (B, d)).T -> (d, q), column-major like W
        self.b.grad = G.sum(dim=1)  # (q,)
        return OT.T, losses
