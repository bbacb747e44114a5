"""The small contract scratch models share with ``nn.Module``: call, ``parameters()``, state dicts.

The subset is listed in docs/python.md ("The scratch models"); any other name of ``nn.Module``'s
interface (hooks, ``register_buffer``, ``get_submodule``, ...) raises an ``AttributeError`` that
says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeVar

import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_bool,
    check_finite_init,
    check_generator,
    check_holds_values,
    check_non_negative_float,
    describe,
)

__all__ = ["IncompatibleKeys", "ScratchModule", "check_batch_device", "initial_normal"]

# the model's own class, as nn.Module's Self: SoftmaxRegressionScratch().to("cpu").W type-checks
_M = TypeVar("_M", bound="ScratchModule")


class IncompatibleKeys(NamedTuple):
    """The names :meth:`ScratchModule.load_state_dict` could not match, as ``nn.Module`` returns them.

    Attributes:
        missing_keys: the model's parameters the state did not hold (left as they were).
        unexpected_keys: the state's entries that are no parameter of the model (ignored).
    """

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # nn.Module's words
        return (
            f"IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )


class ScratchModule:
    """Base of the from-scratch models: tensors as attributes, no ``torch.nn``.

    Subclasses name their parameters in :meth:`param_names` and implement :meth:`forward`.
    """

    training: bool = True

    def param_names(self) -> tuple[str, ...]:
        """Return the parameters' attribute names."""
        raise NotImplementedError

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Compute the model's output for ``X``."""
        raise NotImplementedError

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return self.forward(X)

    if not TYPE_CHECKING:  # mypy still flags a misspelt attribute of a scratch model

        def __getattr__(self, name: str) -> NoReturn:
            # only reached for a name the model lacks: nn.Module's own get a message saying why
            if not name.startswith("__") and hasattr(torch.nn.Module, name):
                raise AttributeError(
                    f"{type(self).__name__} has no {name}: a scratch model is built without "
                    "torch.nn (D2L §3.4, §3.6) and implements only part of nn.Module's interface "
                    "(call, parameters, train/eval, to/casts, requires_grad_, zero_grad, apply, "
                    'modules, buffers, state_dict, load_state_dict: docs/python.md, "The scratch '
                    f'models"); for {name}, use the concise model, {self._concise}(...)'
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # the concise model of the same task, named where a scratch model lacks an nn.Module method
    _concise = "ln.softmax_concise"

    def apply(self: _M, fn: Callable[[Any], object]) -> _M:
        """Call ``fn`` on every module of the model and return the model, as ``nn.Module.apply``.

        A scratch model has no submodules, so ``fn`` is called once, on the model itself;
        :func:`~linearnets.models.concise.init_weights` (``net.apply(init_weights)``, D2L §3.7)
        then leaves it as it was, with a warning: it initialises ``nn.Linear`` layers only.
        """
        fn(self)
        return self

    def children(self) -> Iterator[Any]:
        """Yield nothing: a scratch model has no submodules (``nn.Module.children``)."""
        yield from ()

    def named_children(self) -> Iterator[tuple[str, Any]]:
        """Yield nothing: a scratch model has no submodules (``nn.Module.named_children``)."""
        yield from ()

    def modules(self) -> Iterator[Any]:
        """Yield the model itself, its only module, as ``nn.Module.modules`` yields a leaf's."""
        yield self

    def named_modules(self) -> Iterator[tuple[str, Any]]:
        """Yield ``("", model)``, as ``nn.Module.named_modules`` yields a leaf module's."""
        yield "", self

    def buffers(self) -> Iterator[torch.Tensor]:
        """Yield nothing: a scratch model has parameters only, no buffers (``nn.Module.buffers``)."""
        yield from ()

    def named_buffers(self) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield nothing: a scratch model has no buffers (``nn.Module.named_buffers``)."""
        yield from ()

    def _initial_weights(
        self, *shape: int, sigma: float, generator: torch.Generator | None, analytic: bool
    ) -> torch.Tensor:
        """Check the options both scratch models take, keep ``analytic`` as ``self.analytic``, and
        return the initial weights: ``shape`` N(0, sigma²) draws from ``generator``, in torch's
        default dtype and device (see :func:`initial_normal`), not yet requiring grad."""
        sigma = check_non_negative_float("sigma", sigma, fix="pass e.g. sigma=0.01")
        check_generator("generator", generator)
        self.analytic = check_bool("analytic", analytic)
        weights = initial_normal(*shape, generator=generator) * sigma
        check_finite_init("sigma", sigma, weights)
        return weights

    def parameters(self) -> Iterator[torch.Tensor]:
        """Yield the trainable tensors, like ``nn.Module.parameters()``."""
        for name in self.param_names():
            yield getattr(self, name)

    def named_parameters(self) -> Iterator[tuple[str, torch.Tensor]]:
        """Yield ``(name, tensor)`` pairs, like ``nn.Module.named_parameters()``."""
        for name in self.param_names():
            yield name, getattr(self, name)

    def train(self: _M, mode: bool = True) -> _M:
        """Set training mode (kept for ``nn.Module`` parity; these models behave the same in both).

        Returns:
            The model itself, as ``nn.Module.train`` returns it.
        """
        self.training = check_bool("mode", mode)  # train("no") must not mean True
        return self

    def eval(self: _M) -> _M:
        """Set evaluation mode; return the model itself, as ``nn.Module.eval`` does."""
        return self.train(False)

    def to(
        self: _M,
        device: torch.device | str | torch.dtype | None = None,
        dtype: torch.dtype | None = None,
        *,
        non_blocking: bool = False,
    ) -> _M:
        """Move and/or cast every parameter in place, as ``nn.Module.to`` does; return the model.

        Called as ``nn.Module.to`` is: ``to("cuda")``, ``to(torch.float64)``, ``to("cuda",
        torch.float64)`` or with keywords. The parameter objects stay the same, so an optimizer
        built before the move keeps updating them; where torch cannot swap a tensor's data across
        the two devices (e.g. to ``"meta"``), each parameter is replaced by a moved copy, as
        ``nn.Module.to`` then does.

        Args:
            device: where the parameters go (``None``: where they are), or a dtype (``to(dtype)``).
            dtype: a floating-point dtype to cast the parameters to (``None``: keep theirs).
            non_blocking: copy asynchronously where torch can (pinned memory to a GPU).

        Raises:
            UsageTypeError: a dtype that is not floating point (a gradient needs one), or two.
        """
        if isinstance(device, torch.dtype):  # to(torch.float64), as nn.Module.to takes it
            if dtype is not None:
                raise UsageTypeError(
                    f"to() takes one dtype, got {device} and dtype={dtype}; pass e.g. "
                    f"to('cpu', {dtype}) or to({dtype})"
                )
            device, dtype = None, device
        if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            # nn.Module.to refuses them too (a TypeError): an integer weight has no gradient
            raise UsageTypeError(
                f"dtype must be a floating-point torch.dtype, got {describe(dtype)}; pass e.g. "
                "torch.float32 or torch.float64"
            )
        for name in self.param_names():
            param = getattr(self, name)
            moved = param.data.to(device, dtype, non_blocking=non_blocking)
            try:
                param.data = moved
            except RuntimeError:  # an incompatible tensor type: a new tensor, as nn.Module makes
                setattr(self, name, moved.requires_grad_(param.requires_grad))
        return self

    def cpu(self: _M) -> _M:
        """Move every parameter to the CPU, as ``nn.Module.cpu`` does; return the model."""
        return self.to("cpu")

    def cuda(self: _M, device: int | torch.device | None = None) -> _M:
        """Move every parameter to a GPU (``device``: its index; ``None``: the current one), as
        ``nn.Module.cuda`` does; return the model."""
        if device is None or isinstance(device, torch.device):
            return self.to("cuda" if device is None else device)
        return self.to(torch.device("cuda", device))

    def float(self: _M) -> _M:
        """Cast every parameter to float32, as ``nn.Module.float`` does; return the model."""
        return self.to(torch.float32)

    def double(self: _M) -> _M:
        """Cast every parameter to float64, as ``nn.Module.double`` does; return the model."""
        return self.to(torch.float64)

    def half(self: _M) -> _M:
        """Cast every parameter to float16, as ``nn.Module.half`` does; return the model."""
        return self.to(torch.float16)

    def bfloat16(self: _M) -> _M:
        """Cast every parameter to bfloat16, as ``nn.Module.bfloat16`` does; return the model."""
        return self.to(torch.bfloat16)

    def type(self: _M, dst_type: torch.dtype) -> _M:
        """Cast every parameter to ``dst_type``, as ``nn.Module.type`` does; return the model.

        Raises:
            UsageTypeError: a ``dst_type`` that is not a floating-point ``torch.dtype`` (a
                gradient needs one; a tensor type name such as ``"torch.DoubleTensor"`` is not
                taken: pass ``torch.float64``).
        """
        if not (isinstance(dst_type, torch.dtype) and dst_type.is_floating_point):
            # named here, not as to()'s dtype: type() has no parameter of that name
            raise UsageTypeError(
                f"dst_type must be a floating-point torch.dtype, got {describe(dst_type)}; pass "
                "e.g. torch.float32 or torch.float64"
            )
        return self.to(dst_type)

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        """Have autograd record (or not) operations on every parameter, as
        ``nn.Module.requires_grad_`` does (``False`` freezes them); return the model."""
        requires_grad = check_bool("requires_grad", requires_grad)
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient, as ``nn.Module.zero_grad`` does: to ``None`` (the
        default), or to zeros in place with ``set_to_none=False``."""
        set_to_none = check_bool("set_to_none", set_to_none)
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                if param.grad.grad_fn is not None:
                    param.grad.detach_()
                else:
                    param.grad.requires_grad_(False)
                param.grad.zero_()

    def _check_device(self, X: torch.Tensor) -> None:
        """Raise :class:`UsageError` if the batch ``X`` is not on the parameters' device."""
        check_batch_device(
            X,
            next(self.parameters()),
            of="the model's parameters",
            move="the model with net.to('{device}')",
            build="build the model again",
        )

    def extra_repr(self) -> str:
        """Return what :meth:`__repr__` shows inside the parentheses (``nn.Module``'s hook).

        By default each parameter's shape, then their dtype (and device, off the CPU).
        """
        shapes = [f"{name}={tuple(p.shape)}" for name, p in self.named_parameters()]
        return ", ".join([*shapes, self._dtype_device()])

    def _dtype_device(self) -> str:
        """Return ``dtype=…`` of the first parameter, with ``device=…`` when it is not the CPU."""
        first = next(self.parameters())
        where = "" if first.device.type == "cpu" else f", device={first.device}"
        return f"dtype={first.dtype}{where}"

    def __repr__(self) -> str:
        # like nn.Linear's "Linear(in_features=784, out_features=10, bias=True)": sizes, not values
        return f"{type(self).__name__}({self.extra_repr()})"

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, torch.Tensor]:
        """Return the parameters by name, each name after ``prefix``, as ``nn.Module.state_dict``.

        Args:
            prefix: put before each name (``"m."``: ``"m.W"``).
            keep_vars: return the parameters themselves, as ``nn.Module`` does; by default a
                detached copy of each (where ``nn.Module`` gives a detached view: later training
                leaves this one as it was).
        """
        if not isinstance(prefix, str):
            raise UsageTypeError(
                f"prefix must be a str, got {describe(prefix)}; pass e.g. prefix='model.'"
            )
        keep_vars = check_bool("keep_vars", keep_vars)
        return {
            prefix + name: param if keep_vars else param.detach().clone()
            for name, param in self.named_parameters()
        }

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy tensors from ``state_dict`` into the parameters, as ``nn.Module.load_state_dict``.

        Args:
            state_dict: parameter name -> floating-point tensor of the parameter's shape, as
                :meth:`state_dict` returns.
            strict: require exactly the model's parameter names; with ``False`` the names both
                share are loaded, the others reported.
            assign: make the state's tensors the parameters (their dtype and device kept,
                ``requires_grad`` the model's), as ``nn.Module`` does, rather than copy them into
                the parameters; an optimizer built before then holds the old ones.

        Returns:
            ``(missing_keys, unexpected_keys)``, both empty when every name matched.

        Raises:
            UsageError: with ``strict``, names that differ; a tensor of another shape (strict or
                not, as ``nn.Module`` refuses it).
            UsageTypeError: a value that is not a floating-point tensor.
        """
        strict = check_bool("strict", strict)
        assign = check_bool("assign", assign)
        if not isinstance(state_dict, Mapping):
            raise UsageTypeError(
                f"state_dict must be a mapping of parameter names to tensors, got "
                f"{describe(state_dict)}; pass what state_dict() returns"
            )
        names = self.param_names()
        missing = [name for name in names if name not in state_dict]
        unexpected = [key for key in state_dict if key not in names]
        if strict and (missing or unexpected):
            raise UsageError(
                f"the state must hold exactly the parameters {sorted(names)}, got a state_dict "
                f"of {sorted(state_dict)}; load a state saved from the same kind of model, or "
                "pass strict=False to load the names both share"
            )
        loaded = [(name, param) for name, param in self.named_parameters() if name in state_dict]
        for name, param in loaded:  # all checked before any is copied: no half-loaded model
            _check_value(name, state_dict[name], param)
        if assign:  # a new tensor on the state's storage, as nn.Module wraps it in a Parameter
            for name, param in loaded:
                setattr(self, name, state_dict[name].detach().requires_grad_(param.requires_grad))
            return IncompatibleKeys(missing, unexpected)
        with torch.no_grad():
            for name, param in loaded:
                param.copy_(state_dict[name])
        return IncompatibleKeys(missing, unexpected)


def _check_value(name: str, value: Any, param: torch.Tensor) -> None:
    """Raise unless ``value`` can be copied into the parameter ``name``."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise UsageTypeError(
            f"state_dict[{name!r}] must be a floating-point tensor, got {describe(value)}; "
            "load a state saved by state_dict()"
        )
    if value.is_meta and not param.is_meta:  # copy_ failed in torch's words: no data to copy
        check_holds_values(f"state_dict[{name!r}]", value)
    if value.shape != param.shape:
        raise UsageError(
            f"state_dict[{name!r}] must have shape {tuple(param.shape)}, got "
            f"{tuple(value.shape)}; load a state saved from the same model size"
        )


def initial_normal(*shape: int, generator: torch.Generator | None) -> torch.Tensor:
    """Return standard normal draws of ``shape`` on torch's default device, where ``nn.Linear``
    makes its weights, drawn on ``generator``'s device.

    A CUDA generator draws only there (torch refuses it for a CPU tensor, "Expected a 'cpu' device
    type for generator"), and so does a CPU one under ``torch.set_default_device("cuda")``: drawn
    where the generator lives, then moved, a seed gives the same weights wherever they are made.
    """
    source = generator.device if generator is not None else None  # None: the default device
    draws = torch.randn(*shape, generator=generator, device=source)
    return draws.to(torch.get_default_device())  # torch.set_default_device's, the CPU unless set


def check_batch_device(
    X: torch.Tensor, param: torch.Tensor, *, of: str, move: str, build: str
) -> None:
    """Raise :class:`UsageError` if the batch ``X`` is not on ``param``'s device.

    Args:
        X: the batch.
        param: the parameter whose device the batch must share.
        of: what holds the parameters, for the message, e.g. ``"the model's parameters"``.
        move: how to move them, ``{device}`` standing for the batch's device, e.g.
            ``"the model with net.to('{device}')"``.
        build: how to make them anew, with values, e.g. ``"build the model again"``.
    """
    if X.device == param.device:
        return
    check_holds_values("X", X)  # a meta batch moves nowhere: it has no values to move
    if param.is_meta:
        raise UsageError(
            f"X must be on the device of {of}, got a batch on {X.device} for {of} on the meta "
            f"device (shapes without values, which compute nothing); {build} on the CPU (the "
            "default) or a GPU"
        )
    raise UsageError(
        f"X must be on the device of {of}, {param.device}, got a batch on {X.device}; move the "
        f"batch with X.to('{param.device}'), or {move.format(device=X.device)}"
    )
