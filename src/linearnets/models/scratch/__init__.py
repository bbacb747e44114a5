"""From-scratch models (no ``torch.nn``): linear and softmax regression, losses, and SGD."""

from linearnets.models.scratch.linear import LinearRegressionScratch, linreg, squared_loss
from linearnets.models.scratch.module import ScratchModule
from linearnets.models.scratch.optim import SGD, sgd
from linearnets.models.scratch.softmax import (
    SoftmaxRegressionScratch,
    cross_entropy,
    cross_entropy_logits,
    softmax,
    softmax_cross_entropy_grad,
)

__all__ = [
    "SGD",
    "LinearRegressionScratch",
    "ScratchModule",
    "SoftmaxRegressionScratch",
    "cross_entropy",
    "cross_entropy_logits",
    "linreg",
    "sgd",
    "softmax",
    "softmax_cross_entropy_grad",
    "squared_loss",
]
