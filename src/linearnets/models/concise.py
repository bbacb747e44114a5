"""Concise models with ``torch.nn`` (D2L §3.3 and §3.7)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from linearnets._text import counted
from linearnets._warn import warn
from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch.module import ScratchModule, check_batch_device
from linearnets.models.scratch.softmax import _features_fix, _image_shape
from linearnets.validation import (
    check_finite_init,
    check_float_tensor,
    check_generator,
    check_model_size,
    check_non_negative_float,
    check_positive_int,
    describe,
)

__all__ = ["init_weights", "linreg_concise", "softmax_concise"]


def init_weights(
    m: nn.Module, *, std: float = 0.01, generator: torch.Generator | None = None
) -> None:
    """Initialise an ``nn.Linear``'s weight to N(0, std²) and its bias to 0; other modules untouched.

    Use as ``net.apply(init_weights)``, or ``net.apply(partial(init_weights, generator=g))`` to seed it.

    Args:
        m: the module ``net.apply`` visits; an ``nn.Linear`` weight (q, d) and bias (q,) are set.
        std: the standard deviation of the weights (the book's 0.01).
        generator: source of the weights; ``None`` uses torch's global generator. Drawn on its
            device and copied into the layer: a CPU generator seeds a layer on a GPU too, and
            gives it the weights it gives on the CPU.

    A scratch model (``SoftmaxRegressionScratch``, ``LinearRegressionScratch``), which is no
    ``nn.Linear``, is left as it was, as any other module is, with a warning saying so: it drew
    its weights N(0, sigma²) and zero bias when built.

    See D2L §3.7.1.
    """
    if isinstance(m, ScratchModule):  # net.apply(init_weights) on one: doing nothing would mislead
        name = type(m).__name__
        warn(
            f"init_weights leaves the {name} as it was: it initialises nn.Linear layers only, and a "
            f"scratch model drew its weights N(0, sigma²) and zero bias when built; to draw them "
            f"again, build it again: {name}(..., sigma=0.01, generator=torch.Generator()"
            ".manual_seed(0))"
        )
        return
    if not isinstance(m, nn.Module):  # anything else was silently left as it was
        raise UsageTypeError(
            f"m must be an nn.Module, got {describe(m)}; initialise a model with "
            "net.apply(init_weights), which calls it on each of its modules"
        )
    std = check_non_negative_float("std", std, fix="pass e.g. std=0.01")
    check_generator("generator", generator)
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            # drawn aside first: a std that draws infinite weights leaves the layer as it was; on
            # the generator's device (torch refuses a CUDA generator for a CPU layer and a CPU one
            # for a CUDA layer), so a seed gives the same weights wherever the layer is; a meta
            # layer has no values to draw
            where = m.weight.device if generator is None or m.weight.is_meta else generator.device
            weight = torch.empty(m.weight.shape, dtype=m.weight.dtype, device=where)
            weight.normal_(0.0, std, generator=generator)
            check_finite_init("std", std, weight)
            m.weight.copy_(weight)
            if m.bias is not None:
                m.bias.zero_()


class _InputCheck:
    """A forward pre-hook that names a wrong input instead of letting a matmul fail deep inside.

    The hook reads the model as it is at each call: its first ``nn.Linear``, reached from the input
    through nothing but ``nn.Flatten`` (which accepts any (B, ...) shape with ``in_features`` values
    per example; without one the input must be exactly (B, in_features)). So a layer appended
    (``nn.Softmax``, the next chapter's layers) or a first layer replaced keeps a true check; a
    model whose input first meets another kind of layer is not checked. A class at module level,
    not a closure, so that the model pickles (``torch.save(net, path)``, ``copy.deepcopy``); it
    takes the input passed by keyword too, ``net(input=X)``, as ``nn.Sequential`` does.
    """

    def __call__(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        flattens = False
        for layer in module.children():
            if type(layer) is nn.Flatten:
                flattens = True
                continue
            if isinstance(layer, nn.Linear) and not isinstance(layer, nn.LazyLinear):
                break
            return  # the input meets another layer first: what reaches the Linear is not X
        else:
            return
        if args:
            X = args[0]
        elif "input" in kwargs:  # nn.Sequential.forward(input)
            X = kwargs["input"]
        else:
            return  # no input: nn.Sequential's own error names it
        num_inputs = layer.in_features
        X = check_float_tensor("X", X)
        if X.ndim < 2 or math.prod(X.shape[1:]) != num_inputs or (not flattens and X.ndim != 2):
            # images (B, C, H, W) of the wrong size for an image model come from another resize;
            # rows of features (a --data file's) from other data
            fix = "image size (resize)" if flattens and X.ndim == 4 else "data"
            raise UsageError(
                f"X must hold {counted(num_inputs, 'feature')} per example, shape (B, {num_inputs})"
                f"{f' or {_image_shape(num_inputs)}' if flattens else ''}, got shape "
                f"{tuple(X.shape)}; {_features_fix(X, num_inputs, fix)}"
            )
        check_batch_device(  # torch's words for a meta one: "not on the expected device cpu!"
            X,
            layer.weight,
            of="the model's parameters",
            move="the model with net.to('{device}')",
            build="build the model again",
        )
        dtype = layer.weight.dtype
        if X.dtype != dtype:
            raise UsageTypeError(
                f"X must have the model's dtype {dtype}, got {X.dtype}; convert the batch with "
                f"X.to({dtype}) (or the model with net.to({X.dtype}))"
            )


def _linear(num_inputs: int, num_outputs: int, generator: torch.Generator | None) -> nn.Linear:
    """Return ``nn.Linear(num_inputs, num_outputs)`` initialised by :func:`init_weights`.

    With a ``generator`` the layer is made without ``nn.Linear``'s own random initialisation (which
    would draw from torch's global generator, only to be overwritten): seeding a model must not
    move the caller's global random stream. Without one, as the book does.
    """
    if generator is None:
        layer = nn.Linear(num_inputs, num_outputs)
    else:
        device = torch.empty(0).device  # torch's default device (torch.set_default_device)
        layer = nn.Linear(num_inputs, num_outputs, device="meta")
        # its parameters made anew where they live: to_empty's empty_like of meta tensors runs
        # torch's Python reference kernels, whose first call took 0.7-1.3 s of imports
        layer.weight = nn.Parameter(torch.empty(layer.weight.shape, device=device))
        layer.bias = nn.Parameter(torch.empty(layer.bias.shape, device=device))
    init_weights(layer, generator=generator)
    return layer


def linreg_concise(
    num_inputs: int = 2, *, generator: torch.Generator | None = None
) -> nn.Sequential:
    """Return ``nn.Sequential(nn.Linear(num_inputs, 1))`` with weight ~ N(0, 0.01²) and bias 0.

    ``generator``: the weights are drawn from it alone, the global stream untouched. Without one, as
    in the book, ``nn.Linear`` first draws its own initialisation from torch's global generator, so
    ``torch.manual_seed(0)`` gives other weights than ``generator=torch.Generator().manual_seed(0)``.

    See D2L §3.3.3–3.3.4.
    """
    num_inputs = check_positive_int("num_inputs", num_inputs)
    check_model_size(num_inputs, 1)
    net = nn.Sequential(_linear(num_inputs, 1, generator))
    net.register_forward_pre_hook(_InputCheck(), with_kwargs=True)
    return net


def softmax_concise(
    num_inputs: int = 784, num_outputs: int = 10, *, generator: torch.Generator | None = None
) -> nn.Sequential:
    """Return ``nn.Sequential(nn.Flatten(), nn.Linear(num_inputs, num_outputs))``, weights ~ N(0, 0.01²).

    The network outputs logits; ``nn.CrossEntropyLoss`` applies the stable log-softmax itself.
    ``generator``: the weights are drawn from it alone, the global stream untouched. Without one, as
    in the book, ``nn.Linear`` first draws its own initialisation from torch's global generator, so
    ``torch.manual_seed(0)`` gives other weights than ``generator=torch.Generator().manual_seed(0)``.

    See D2L §3.7.1.
    """
    num_inputs = check_positive_int("num_inputs", num_inputs)
    num_outputs = check_positive_int("num_outputs", num_outputs)
    check_model_size(num_inputs, num_outputs)
    net = nn.Sequential(nn.Flatten(), _linear(num_inputs, num_outputs, generator))
    net.register_forward_pre_hook(_InputCheck(), with_kwargs=True)
    return net
