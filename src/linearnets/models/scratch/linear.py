"""Linear regression from scratch: model and squared loss (D2L §3.2)."""

from __future__ import annotations

from typing import Any

import torch

from linearnets.errors import UsageError
from linearnets.models.scratch.linreg_checks import linreg_checked, refuse_flat_features
from linearnets.models.scratch.module import ScratchModule
from linearnets.validation import (
    check_float_tensor,
    check_holds_values,
    check_model_size,
    check_positive_int,
    is_column,
)

__all__ = ["LinearRegressionScratch", "linreg", "squared_loss"]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor | float) -> torch.Tensor:
    """Return the linear model's prediction ``Xw + b``.

    Args:
        X: features, shape (B, d).
        w: weights, shape (d, 1) (or (d,), as the book's ``true_w``, giving predictions (B,)).
        b: bias, a one-element tensor (1,) or a number.

    Returns:
        ``y_hat`` of shape (B, 1) ((B,) for a 1-d ``w``).

    See D2L §3.2.4.
    """
    if isinstance(X, torch.Tensor) and X.ndim == 1 and isinstance(w, torch.Tensor) and w.ndim:
        refuse_flat_features(X, w)
    check_float_tensor("X", X, ndim=2)
    if (
        isinstance(w, torch.Tensor)
        and isinstance(b, torch.Tensor)
        and w.ndim == 2
        and w.shape[1] == 1
        and X.dtype == w.dtype == b.dtype
        and X.device == w.device  # torch would mix some devices silently (a CPU X, meta w)
        and b.numel() == 1
    ):
        # the model's own parameters, every step: one op, one autograd node; a mismatched X fails
        # addmm and is then named below
        try:
            return torch.addmm(b, X, w)  # (1,) + (B, d) @ (d, 1) -> (B, 1)
        except RuntimeError:
            pass
    return linreg_checked(X, w, b)


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the per-example squared loss ``½(ŷ − y)²``, reshaping ``y`` to ``y_hat``'s shape.

    Reshaping (rather than broadcasting) means a (B,) target against a (B, 1) prediction is matched
    element by element instead of silently becoming a (B, B) matrix.

    Args:
        y_hat: predictions, shape (B, 1), floating point (integer ones would wrap around in
            the difference: uint8 0 − 20 is 236).
        y: targets, shape (B, 1), (B,) or (1, B) (a row, taken in order, as the book's
            ``y.reshape(y_hat.shape)`` takes it), or 0-d, one example's, for B = 1.

    Returns:
        Losses of shape (B, 1), not reduced.

    See D2L §3.2.5.
    """
    if not _targets_fit(y_hat, y):
        check_float_tensor("y_hat", y_hat)
        check_float_tensor("y", y)
        if y.device != y_hat.device:
            check_holds_values("y_hat", y_hat)  # meta: no values to move anywhere
            check_holds_values("y", y)
            raise UsageError(
                f"y must be on y_hat's device, {y_hat.device}, got targets on {y.device}; move "
                f"them with y.to('{y_hat.device}') (a batch's X and y belong on the model's device)"
            )
        raise UsageError(
            f"y must hold one target per prediction: y_hat has shape {tuple(y_hat.shape)}, y has "
            f"shape {tuple(y.shape)}; pass targets of shape (batch, 1) (or (batch,) or (1, batch))"
        )
    diff = y_hat - y.reshape(y_hat.shape)  # (B, 1)
    # the book's (ŷ − y)² / 2, value and gradient bit for bit: d * d is what pow(d, 2) computes and
    # halving is exact, and at batch 10 it saves ~9 µs of the loss's forward and backward (``**`` goes
    # through a Python wrapper, and a division node costs more than a product)
    return diff * diff * 0.5


def _targets_fit(y_hat: Any, y: Any) -> bool:
    """Whether ``y`` holds one real (non-bool) target per floating-point prediction of ``y_hat``: the
    same shape, or both columns (B,) / (B, 1) of the same length, a 0-d tensor counting as a
    column of one (``labels[i]`` of (n,) labels against a batch of one's (1, 1) prediction), and a
    row of targets (1, B) counting as a column of B (one per prediction, in order: the book's
    ``y.reshape(y_hat.shape)`` takes it so)."""
    return (
        isinstance(y_hat, torch.Tensor)
        and isinstance(y, torch.Tensor)
        and y_hat.is_floating_point()
        and y.dtype != torch.bool
        and not y.is_complex()  # ŷ − y would be complex: a loss with no real gradient
        and y.device == y_hat.device
        and (y.shape == y_hat.shape or _same_column_length(y, y_hat))
    )


def _same_column_length(y: torch.Tensor, y_hat: torch.Tensor) -> bool:
    """Whether ``y`` and ``y_hat`` both hold one value per example, for as many examples; ``y``
    may also be a row (1, B) (``y_hat`` not: a row of predictions is no model's output)."""
    length = y.shape[1] if y.ndim == 2 and y.shape[0] == 1 else _column_length(y)
    return length is not None and length == _column_length(y_hat)


def _column_length(t: torch.Tensor) -> int | None:
    """Return how many examples ``t`` holds one value each of: B for (B,) or (B, 1), 1 for a 0-d
    tensor; ``None`` for any other shape."""
    if t.ndim == 0:
        return 1
    return len(t) if is_column(t) else None


class LinearRegressionScratch(ScratchModule):
    """Linear regression with hand-made parameters ``w`` (d, 1) ~ N(0, sigma²) and ``b`` (1,) = 0.

    With ``analytic=True`` the parameters carry no autograd graph and the trainer calls
    :meth:`analytic_backward`, which writes the closed-form gradient of the squared loss into ``.grad``.

    Args:
        num_inputs: d, the number of features.
        sigma: standard deviation of the initial weights.
        generator: source of the initial weights, drawn on its device (a CUDA one too); the
            parameters are made on torch's default device, as ``nn.Linear`` makes its own.
        analytic: use the explicit gradient instead of autograd.

    See D2L §3.2.3.
    """

    _concise = "ln.linreg_concise"  # named where an nn.Module method is missing

    def __init__(
        self,
        num_inputs: int,
        *,
        sigma: float = 0.01,
        generator: torch.Generator | None = None,
        analytic: bool = False,
    ) -> None:
        num_inputs = check_positive_int("num_inputs", num_inputs)
        check_model_size(num_inputs, 1)
        w = self._initial_weights(
            num_inputs, 1, sigma=sigma, generator=generator, analytic=analytic
        )
        self.w = w.requires_grad_(not self.analytic)  # (d, 1)
        self.b = torch.zeros(1, requires_grad=not self.analytic)

    def param_names(self) -> tuple[str, ...]:
        """Return the parameters' attribute names, in :meth:`parameters` order."""
        return ("w", "b")

    def extra_repr(self) -> str:
        """Return the size, ``analytic`` when set, and the dtype, e.g. for
        ``LinearRegressionScratch(num_inputs=2, dtype=torch.float32)``."""
        analytic = ", analytic=True" if self.analytic else ""
        return f"num_inputs={self.w.shape[0]}{analytic}, {self._dtype_device()}"

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Return predictions (B, 1) for features ``X`` (B, d)."""
        return linreg(X, self.w, self.b)

    @torch.no_grad()
    def analytic_backward(
        self, X: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor, *, scale: float
    ) -> None:
        """Write ``scale · Σ_i ∂l_i/∂θ`` into ``.grad`` for ``l_i = ½(ŷ_i − y_i)²``, without autograd.

        With residuals ``r = ŷ − y`` (B, 1): ``∂/∂w = Xᵀ r`` (d, 1) and ``∂/∂b = Σ_i r_i`` (1,).
        Targets of another dtype (float64 ``y`` for a float32 model) are handled as autograd
        handles them: ``r`` in the promoted dtype, the gradient summed in the parameters' dtype.

        See D2L §3.1.1.4.
        """
        r = (y_hat - y.reshape(y_hat.shape)) * scale  # (B, 1), in the promoted dtype
        self._set_grads(X, r)

    def _set_grads(self, X: torch.Tensor, r: torch.Tensor) -> None:
        """Write ``Xᵀ r`` and ``Σ r`` into ``w.grad`` and ``b.grad``, ``r`` (B, 1) the scaled residuals.

        ``r`` is first taken to the parameters' dtype, as autograd casts the gradient it sends back
        through ``ŷ − y`` to ``ŷ``'s dtype.
        """
        r = r.to(self.w.dtype)  # (B, 1); no copy when the dtypes already agree
        self.w.grad = X.T @ r  # (d, B) @ (B, 1) -> (d, 1)
        self.b.grad = r.sum(dim=0)  # (1,)

    analytic_loss = staticmethod(squared_loss)  # the loss analytic_step computes

    @torch.no_grad()
    def analytic_step(
        self, X: torch.Tensor, y: torch.Tensor, *, scale: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward pass, per-example squared loss and its gradient, sharing the residuals.

        What :meth:`forward`, :func:`squared_loss` and :meth:`analytic_backward` compute one after the
        other, in one pass: ``r = ŷ − y`` gives both ``l = ½ r²`` and the gradient.

        Args:
            X: features (B, d).
            y: targets (B, 1) or (B,).
            scale: the factor on the summed gradient (``1 / B`` for the batch mean).

        Returns:
            ``(y_hat, l)``, both (B, 1); ``l`` in the dtype ``ŷ − y`` promotes to, as
            :func:`squared_loss` gives it. ``scale · Σ_i ∂l_i/∂θ`` is written into ``w.grad`` (d, 1) and
            ``b.grad`` (1,).

        See D2L §3.1.1.4.
        """
        y_hat = self.forward(X)  # (B, 1)
        if not _targets_fit(y_hat, y):
            squared_loss(y_hat, y)  # raises the loss's own error for mismatched targets
        r = y_hat - y.reshape(y_hat.shape)  # (B, 1), in the promoted dtype, as squared_loss's
        losses = r.square().div_(2)  # (B, 1), the same rounding as (ŷ − y) ** 2 / 2
        self._set_grads(X, r.mul_(scale))
        return y_hat, losses
