"""Whether a model is certain to hold no weights: only then are NaN scores never blamed on them."""

from __future__ import annotations

import builtins
import math
import operator
import sys as _sys  # as sys, a global its models' code would reach by name: see BySysModules
import types
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.model_checks import NanSource
from linearnets.training.model_diagnosis import nan_source
from linearnets.training.model_tensors import WeightsSeen, weights_seen
from linearnets.training.weightless import holds_no_weights

W = torch.zeros(4, 3, requires_grad=True)  # a global weight, as the book's chapter 3 keeps one


class BookScratch(nn.Module):
    """D2L 2nd edition §4.4's softmax regression: plain tensor attributes, its own parameters()."""

    def __init__(self) -> None:
        super().__init__()
        self.W = torch.normal(0, 0.01, size=(4, 3), requires_grad=True)
        self.b = torch.zeros(3, requires_grad=True)

    def parameters(self, recurse: bool = True) -> list[torch.Tensor]:  # type: ignore[override]
        return [self.W, self.b]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X.reshape(-1, self.W.shape[0]) @ self.W + self.b


class Lambda(nn.Module):
    """A function as a module: it may close over any tensor."""

    def __init__(self, f: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.f = f

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.f(X)


class ListHeld(nn.Module):
    """A layer in a plain Python list: torch does not register it."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = [nn.Linear(4, 3)]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.layers[0](X)


class GlobalW(nn.Module):
    """A forward that reads the global W."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ W


def _times_w(X: torch.Tensor) -> torch.Tensor:
    return X @ W


class Helper(nn.Module):
    """A forward that calls a function of the user's, which reads W."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return _times_w(X)


class InComprehension(nn.Module):
    """W named only inside a comprehension (its own code object in Python 3.11)."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.stack([row @ W for row in X])


class ClassAttribute(nn.Module):
    """W as a class attribute."""

    W = torch.zeros(4, 3)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.W


class DefaultW(nn.Module):
    """W as a default argument."""

    def forward(self, X: torch.Tensor, W: torch.Tensor = W) -> torch.Tensor:
        return X @ W


class Log(nn.Module):
    """No weights: the log of its first three inputs."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.log(X.reshape(X.shape[0], -1)[:, :3])


class SetsEval(Log):
    """No weights: it leaves training mode when called (self.eval, not the builtin eval)."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.eval()
        return super().forward(X)


class Counted(Log):
    """No weights: an integer buffer, a class-level count, super() and torch's functions."""

    calls = 0

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("columns", torch.tensor([0, 1, 2]))
        self.scale = 1.0

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        type(self).calls += 1
        return F.relu(super().forward(X)[:, self.columns] * self.scale + math.pi)


# a module of the user's holding a weight V under a name this module does not have
_ELSEWHERE = "linearnets_test_weights_elsewhere"
_GLOBALS = globals  # the builtin under another name


class ByGlobals(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ globals()["W"]


class ByEval(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ eval("W")


class ByExec(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        out: dict[str, torch.Tensor] = {}
        exec("out['y'] = X @ W")
        return out["y"]


class ByVars(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ vars(F)["__builtins__"]["globals"]()["W"]


class ByGetattr(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ getattr(self.forward, "__globals__")["W"]  # noqa: B009


class ByDunderDict(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ F.__dict__["__builtins__"]["globals"]()["W"]


class BySysModules(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        import sys

        return X @ sys.modules[_ELSEWHERE].V


class ByImportlib(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        import importlib

        return X @ importlib.import_module(_ELSEWHERE).V


class ByDunderImport(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ __import__(_ELSEWHERE).V


class ByImport(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        from linearnets_test_weights_elsewhere import V  # type: ignore[import-not-found]

        return X @ V


class ByAttrgetter(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ operator.attrgetter("__globals__")(self.forward)["W"]


class ByAlias(nn.Module):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ _GLOBALS()["W"]


class ByDefault(nn.Module):
    def forward(self, X: torch.Tensor, g: Callable[..., dict] = getattr) -> torch.Tensor:
        return X @ g(self.forward, "__globals__")["W"]


class BySelfRebound(nn.Module):
    """self.eval() is nn.Module's, but not once self is another object."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self = builtins  # type: ignore[assignment]
        return X @ self.eval("W")  # type: ignore[call-arg]


class ByStaticEval(nn.Module):
    """A static method's first argument is no model."""

    @staticmethod
    def read(m: types.ModuleType) -> torch.Tensor:
        return m.eval("W")  # type: ignore[no-any-return]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.read(builtins)


def _by_closure() -> nn.Module:
    g = globals

    class ByClosure(nn.Module):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return X @ g()["W"]

    return ByClosure()


# each reads a weight its code never names: the global W, or V of another module
_BY_NAME_GIVEN = {
    "globals": ByGlobals(), "eval": ByEval(), "exec": ByExec(), "vars": ByVars(),
    "getattr": ByGetattr(), "__dict__": ByDunderDict(), "sys.modules": BySysModules(),
    "importlib": ByImportlib(), "__import__": ByDunderImport(), "import": ByImport(),
    "attrgetter": ByAttrgetter(), "alias": ByAlias(), "default": ByDefault(),
    "closure": _by_closure(), "self-rebound": BySelfRebound(), "static-eval": ByStaticEval(),
}  # fmt: skip


def _hooked() -> nn.Module:
    net = Log()
    net.register_forward_hook(lambda module, inputs, output: output @ W[:3])
    return net


def _empty_parameter() -> nn.Module:
    net = Log()
    net.register_parameter("W", nn.Parameter(torch.empty(0)))
    return net


@pytest.mark.parametrize(
    "net",
    [
        nn.Sequential(nn.Flatten(), Lambda(lambda X: X @ W)),
        ListHeld(),
        GlobalW(),
        Helper(),
        InComprehension(),
        ClassAttribute(),
        DefaultW(),
        _hooked(),
        _empty_parameter(),
        lambda X: X.log(),
        *_BY_NAME_GIVEN.values(),
    ],
    ids=[
        "lambda-over-global", "plain-list", "global-in-forward",
        "users-function", "comprehension", "class-attribute", "default-argument", "hook",
        "empty-parameter", "function", *(f"by-{name}" for name in _BY_NAME_GIVEN),
    ],
)  # fmt: skip
def test_a_model_that_may_hold_weights_torch_does_not_list_is_not_said_to_hold_none(
    net: Callable[[torch.Tensor], torch.Tensor],
) -> None:
    """Each reaches a tensor that named_parameters() and named_buffers() do not list (it was said
    to hold none, and its NaN weights were called its own computation): its weights are unknown,
    and it is not run."""
    assert holds_no_weights(net) is False
    assert weights_seen(net) == WeightsSeen()
    X = torch.full((2, 4), -1.0)
    assert nan_source(net, X) == NanSource()


def test_a_model_whose_own_parameters_returns_its_plain_tensors_has_them_looked_at() -> None:
    """D2L 2nd edition's model: named_parameters() lists none of its W and b, but its own
    parameters() returns them. It holds weights, and those are seen: finite here, so it is run
    on the batch (it was not, its weights unknown)."""
    net = BookScratch()
    assert holds_no_weights(net) is False
    largest = max(float(t.detach().abs().max()) for t in net.parameters())
    assert weights_seen(net) == WeightsSeen(finite=True, largest=largest)
    X = torch.full((2, 4), -1.0)
    assert nan_source(net, X) == NanSource(nan_on_batch=False, finite_weights=True)


@pytest.mark.parametrize(
    "net",
    [Log(), nn.Sequential(nn.Flatten(), Log(), nn.Dropout(0.0)), Counted(), SetsEval()],
    ids=["own-module", "in-sequential", "integer-buffer-and-super", "self-eval"],
)
def test_a_module_whose_every_value_is_seen_holds_no_weights(net: nn.Module) -> None:
    assert holds_no_weights(net) is True
    assert weights_seen(net) == WeightsSeen(none=True)
    X = torch.full((2, 4), -1.0)
    assert nan_source(net, X) == NanSource(  # log(-1): every score NaN, none left to range
        nan_on_batch=True, no_weights=True, dtype=torch.float32, largest_input=1.0
    )


def test_a_module_whose_parameters_cannot_be_listed_is_not_known_to_hold_none() -> None:
    class Broken(Log):
        def parameters(self, recurse: bool = True) -> list[nn.Parameter]:  # type: ignore[override]
            raise RuntimeError("no")

    assert holds_no_weights(Broken()) is False
    assert holds_no_weights(nn.Linear(3, 2)) is False


@pytest.mark.parametrize("net", _BY_NAME_GIVEN.values(), ids=list(_BY_NAME_GIVEN))
def test_a_model_reading_a_weight_it_does_not_name_is_not_said_to_hold_none(
    net: nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    """globals()["W"], eval("W"), sys.modules[...].V: no name of its code is the weight's, so it
    was said to hold none, and a NaN in W was called its own computation's. Each does read it."""
    elsewhere = types.ModuleType(_ELSEWHERE)
    elsewhere.V = W  # type: ignore[attr-defined]
    monkeypatch.setitem(_sys.modules, _ELSEWHERE, elsewhere)
    X = torch.ones(2, 4)
    assert torch.equal(net(X), X @ W)  # the weight read
    assert holds_no_weights(net) is False


@pytest.mark.parametrize(
    "name",
    [
        "globals", "locals", "vars", "eval", "exec", "compile", "getattr", "__import__",
        "__dict__", "__globals__", "__builtins__", "__getattribute__", "f_globals", "f_locals",
        "sys", "importlib", "inspect", "attrgetter", "methodcaller",
    ],
)  # fmt: skip
def test_code_naming_a_way_to_any_variable_is_not_known_to_hold_none(name: str) -> None:
    """Each name, alone in a forward that returns X, makes the model not known to hold none; the
    same forward naming abs instead holds none."""

    def model(named: str) -> nn.Module:
        scope: dict[str, object] = {"nn": nn, "__name__": "users_model"}
        exec(
            f"class Named(nn.Module):\n    def forward(self, X):\n        {named}\n        return X\n",
            scope,
        )
        return scope["Named"]()  # type: ignore[operator]

    assert holds_no_weights(model("abs")) is True
    assert holds_no_weights(model(name)) is False
