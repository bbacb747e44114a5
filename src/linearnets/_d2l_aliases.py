"""The framework-neutral tensor names of the book's ``d2l.torch`` (``d2l.normal``, ``d2l.argmax``, …).

The d2l library's own functions, and the book's cells shared between frameworks, write tensor
operations through these names rather than through ``torch``; :mod:`linearnets.d2l` re-exports them so
such code runs unchanged. Each is PyTorch's own function, or a method call on the tensor passed first,
exactly as ``d2l.torch`` defines it.

See D2L §2.1 (the aliases are introduced with the tensor basics) and chapter 3.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = [
    "abs",
    "arange",
    "argmax",
    "astype",
    "batch_matmul",
    "concat",
    "cos",
    "cosh",
    "exp",
    "expand_dims",
    "eye",
    "float32",
    "int32",
    "int64",
    "linspace",
    "log",
    "matmul",
    "meshgrid",
    "nn_Module",
    "normal",
    "numpy",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "reduce_mean",
    "reduce_sum",
    "repeat",
    "reshape",
    "sigmoid",
    "sin",
    "sinh",
    "size",
    "stack",
    "swapaxes",
    "tanh",
    "tensor",
    "to",
    "transpose",
    "zeros",
    "zeros_like",
]

abs = torch.abs  # the book's name: it shadows the builtin in d2l.torch too
arange = torch.arange
batch_matmul = torch.bmm
concat = torch.cat
cos = torch.cos
cosh = torch.cosh
exp = torch.exp
eye = torch.eye
float32 = torch.float32
int32 = torch.int32
int64 = torch.int64
linspace = torch.linspace
log = torch.log
matmul = torch.matmul
meshgrid = torch.meshgrid
nn_Module = torch.nn.Module  # noqa: N816 (d2l.torch's own name)
normal = torch.normal
ones = torch.ones
ones_like = torch.ones_like
rand = torch.rand
randn = torch.randn
sigmoid = torch.sigmoid
sin = torch.sin
sinh = torch.sinh
stack = torch.stack
tanh = torch.tanh
tensor = torch.tensor
zeros = torch.zeros
zeros_like = torch.zeros_like


def numpy(x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
    """Return ``x`` as a NumPy array, cut from the autograd graph (``x.detach().numpy()``)."""
    return x.detach().numpy(*args, **kwargs)


def size(x: torch.Tensor, *args: Any, **kwargs: Any) -> int:
    """Return the number of elements of ``x`` (``x.numel()``), not its shape."""
    return x.numel(*args, **kwargs)


def reshape(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.reshape(*args)``."""
    return x.reshape(*args, **kwargs)


def to(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.to(*args)`` (a device or dtype)."""
    return x.to(*args, **kwargs)


def reduce_sum(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.sum(*args)``."""
    return x.sum(*args, **kwargs)


def reduce_mean(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.mean(*args)``."""
    return x.mean(*args, **kwargs)


def argmax(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.argmax(*args)``: ``d2l.argmax(y_hat, axis=1)`` as the book writes it."""
    return x.argmax(*args, **kwargs)


def astype(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.type(dtype)``: ``d2l.astype(cmp, y.dtype)`` as the book writes it."""
    return x.type(*args, **kwargs)


def transpose(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.t()``, the transpose of a matrix."""
    return x.t(*args, **kwargs)


def expand_dims(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.unsqueeze(dim)``: ``x`` with a new axis of size 1 at ``dim``."""
    return x.unsqueeze(*args, **kwargs)


def swapaxes(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.swapaxes(axis0, axis1)``."""
    return x.swapaxes(*args, **kwargs)


def repeat(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Return ``x.repeat(*sizes)``: ``x`` tiled that many times along each axis."""
    return x.repeat(*args, **kwargs)
