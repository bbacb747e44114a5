"""Build (model, loss, optimizer) for a task and implementation: the one place that knows all four."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from linearnets.config import SOFTMAX_IMPLS
from linearnets.models.concise import softmax_concise
from linearnets.models.scratch import SGD, SoftmaxRegressionScratch, cross_entropy_logits
from linearnets.validation import check_choice, check_positive_float

__all__ = ["Setup", "build_softmax", "softmax_net"]


@dataclass
class Setup:
    """A model with the loss and optimizer that train it."""

    net: Any
    loss: Any
    updater: Any


def softmax_net(
    impl: str,
    *,
    num_inputs: int = 784,
    num_outputs: int = 10,
    generator: torch.Generator | None = None,
) -> SoftmaxRegressionScratch | nn.Sequential:
    """Return the model alone that :func:`build_softmax` builds for ``impl``, its weights drawn on
    ``generator`` (torch's global one if None): what a model's weights are loaded into.

    Without the optimizer: the first ``torch.optim`` optimizer of a process imports
    ``torch._dynamo``, about 1.2 s of a command that only predicts.
    """
    check_choice("impl", impl, SOFTMAX_IMPLS)
    if impl == "concise":
        return softmax_concise(num_inputs, num_outputs, generator=generator)
    return SoftmaxRegressionScratch(
        num_inputs, num_outputs, generator=generator, analytic=impl == "analytic"
    )


def build_softmax(
    impl: str,
    *,
    num_inputs: int = 784,
    num_outputs: int = 10,
    lr: float = 0.1,
    generator: torch.Generator | None = None,
) -> Setup:
    """Return softmax regression as ``impl``: "scratch", "analytic" (scratch, explicit gradient) or "concise".

    Every variant outputs logits (B, num_outputs) and uses a per-example loss, so one loop trains all.

    See D2L §3.6 (scratch) and §3.7 (concise).
    """
    check_choice("impl", impl, SOFTMAX_IMPLS)
    lr = check_positive_float("lr", lr)
    net = softmax_net(impl, num_inputs=num_inputs, num_outputs=num_outputs, generator=generator)
    if isinstance(net, nn.Sequential):
        return Setup(
            net, nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=lr)
        )
    return Setup(net, cross_entropy_logits, SGD(net.parameters(), lr=lr))
