"""The check of fit's callbacks, before any step: objects with fit's hooks, each taking fit's arguments."""

from __future__ import annotations

import io
import re
import sys
import sysconfig
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

from linearnets.errors import UsageTypeError
from linearnets.plotting import LiveCurves
from linearnets.training.callbacks import ConsoleLogger
from linearnets.training.history import History
from linearnets.training.loop import fit

from .test_loop_checks import _fit_with

# --- callbacks fit would never call, or whose hooks would fail after an epoch --------------------


NO_HOOKS = {
    # README: CurvesCallback(LiveCurves(...)); the curves alone have update(), no hook
    "LiveCurves": (
        lambda: LiveCurves(mode="none"),
        r"callbacks\[1\] must be a callback object with at least one of fit's hooks \(on_fit_start, "
        r"on_epoch_start, on_batch_end, on_epoch_end, on_fit_end\), got LiveCurves, which fit would "
        r"never call: .* pass CurvesCallback\(LiveCurves\(\.\.\.\)\) instead",
    ),
    "print": (
        lambda: print,
        r"callbacks\[1\] must be a callback object with at least one of fit's hooks .*, got the "
        r"function print; fit calls a callback's methods by these names, so define a class, e\.g\. "
        r"class Show\(linearnets\.Callback\): def on_epoch_end\(self, \*, metrics\)",
    ),
    "History": (
        lambda: History(),
        r"callbacks\[1\] must be a callback object .*, got a History, the record fit returns, not a "
        r"callback; to add the new epochs to it pass history=h with start_epoch=len\(h\.epochs\)",
    ),
    "object": (lambda: object(), r"got an object of type object, which has none of them"),
}


@pytest.mark.parametrize("name", NO_HOOKS)
def test_an_object_with_none_of_the_hooks_is_refused_naming_the_fix(name: str) -> None:
    make, pattern = NO_HOOKS[name]
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageTypeError, match=pattern):
        _fit_with([ConsoleLogger(progress=False), make()], net)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


class KerasStyle:
    """Keras's hook name with Keras's arguments: fit passes metrics=..., which it cannot take."""

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        pass


class Renamed(ConsoleLogger):
    def on_epoch_end(self, m: object) -> None:  # type: ignore[override]
        pass


class KeywordStep:
    """Keyword-only step and losses, which fit passes by position."""

    def on_batch_end(self, *, step: int, losses: torch.Tensor) -> None:
        pass


class NotAMethod:
    on_epoch_end = "print"


HOOK_MISMATCHES = {
    "keras": (KerasStyle, r"callbacks\[0\]\.on_epoch_end must take the arguments fit passes, "
              r"on_epoch_end\(metrics=\.\.\.\), got KerasStyle\.on_epoch_end\(epoch, logs=None\) "
              r"\(missing a required argument: 'epoch'\); define it as def "
              r"on_epoch_end\(self, \*, metrics\): \.\.\. \(see linearnets\.Callback\)"),
    "renamed": (Renamed, r"callbacks\[0\]\.on_epoch_end must take .*, got Renamed\.on_epoch_end\(m\) "
                r"\(missing a required argument: 'm'\)"),
    "keyword-only step": (KeywordStep, r"callbacks\[0\]\.on_batch_end must take the arguments fit "
                          r"passes, on_batch_end\(step, losses\), positionally, got "
                          r"KeywordStep\.on_batch_end\(\*, step, losses\)"),
    "not callable": (NotAMethod, r"callbacks\[0\]\.on_epoch_end must be a method, got str 'print'; "
                     r"define it as def on_epoch_end\(self, \*, metrics\): \.\.\."),
}  # fmt: skip


@pytest.mark.parametrize("name", HOOK_MISMATCHES)
def test_a_hook_that_cannot_take_fits_arguments_is_refused_before_any_step(name: str) -> None:
    cls, pattern = HOOK_MISMATCHES[name]
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageTypeError, match=pattern):
        _fit_with([cls()], net)
    # the oracle: called as fit calls it, the hook fails (after an epoch, before the check)
    from linearnets.training.callback_checks import HOOKS

    hook = re.search(r"\.(on_\w+) must", pattern)
    assert hook is not None
    args, kwargs = HOOKS[hook.group(1)]
    with pytest.raises(TypeError):
        getattr(cls(), hook.group(1))(*args, **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


# --- a callback of no Callback class, with a method named like a hook but none ------------------


class KerasNamed:
    """fit's hook, and Keras' name for another: on_train_begin would never run."""

    def on_epoch_end(self, *, metrics: Any) -> None:
        pass

    def on_train_begin(self, **kwargs: Any) -> None:
        raise AssertionError("never called")


class OnlyMisspelt:
    """No hook but a misspelt one: fit would call nothing."""

    def on_epoch_ended(self, *, metrics: Any) -> None:
        raise AssertionError("never called")


class Mixin:
    def on_fit_ends(self, **kwargs: Any) -> None:
        raise AssertionError("never called")


class LoggerWithMixin(ConsoleLogger, Mixin):
    """A Callback subclass whose other base, no Callback, the class statement did not check."""


_NOT_A_HOOK = (
    r"^callbacks\[1\]'s methods named on_\.\.\. must be fit's hooks \(on_fit_start, on_epoch_start, "
    r"on_batch_end, on_epoch_end, on_fit_end\), got {name}, which fit would never call; "
    r"did you mean '{hook}'\? \(a method of your own: name it without on_\)$"
)
MISNAMED = {
    "keras-name": (KerasNamed, _NOT_A_HOOK.format(name=r"KerasNamed\.on_train_begin", hook="on_fit_start")),
    "only-misspelt": (OnlyMisspelt, _NOT_A_HOOK.format(name=r"OnlyMisspelt\.on_epoch_ended", hook="on_epoch_end")),
    "mixin": (lambda: LoggerWithMixin(progress=False), _NOT_A_HOOK.format(name=r"LoggerWithMixin\.on_fit_ends", hook="on_fit_end")),
}  # fmt: skip


@pytest.mark.parametrize("name", MISNAMED)
def test_a_callback_of_any_class_with_a_misnamed_hook_is_refused_naming_the_hook(
    name: str,
) -> None:
    """A Callback subclass is refused at its class statement; an object of another class (fit
    takes any object with its hooks), when fit is given it, before any step, naming its class,
    the method and the hook meant."""
    make, pattern = MISNAMED[name]
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageTypeError, match=pattern):
        _fit_with([ConsoleLogger(progress=False), make()], net)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_attributes_and_helpers_of_a_plain_callback_are_no_hooks() -> None:
    """As in a Callback subclass: a flag ``on_gpu`` and a helper ``_on_plateau`` are taken."""

    class Plain:
        on_gpu = False

        def __init__(self) -> None:
            self.epochs: list[int] = []
            self.on_cpu = True

        def on_epoch_end(self, *, metrics: Any) -> None:
            self.epochs.append(self._on_plateau(metrics.epoch))

        def _on_plateau(self, epoch: int) -> int:
            return epoch

    plain = Plain()
    _fit_with([plain])
    assert plain.epochs == [1, 2]


def test_a_function_stored_on_the_callback_is_no_method_of_it() -> None:
    """``self.on_best = notify``, a function the user passed in, is an attribute set on the
    object, not a method its class defines: it is called by the callback, never refused as a
    misnamed hook (a SimpleNamespace's attributes, likewise)."""
    best: list[float] = []

    class Notify:
        def __init__(self, on_best: Any) -> None:
            self.on_best, self.best = on_best, -1.0

        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.train_acc > self.best:
                self.best = metrics.train_acc
                self.on_best(self.best)

    _fit_with([Notify(best.append)])
    assert len(best) >= 1
    seen: list[int] = []
    spare = SimpleNamespace(
        on_epoch_end=lambda *, metrics: seen.append(metrics.epoch), on_done=print
    )
    _fit_with([spare])
    assert seen == [1, 2]


def _library_base(monkeypatch: pytest.MonkeyPatch, folder: str) -> type:
    """Return a class of a module installed under ``folder`` with an ``on_…`` method of its own, as
    traitlets' HasTraits has ``on_trait_change`` (every ipywidgets widget inherits it)."""
    module = ModuleType("observable_lib")
    module.__file__ = str(Path(folder) / "observable_lib" / "__init__.py")
    monkeypatch.setitem(sys.modules, "observable_lib", module)

    def on_trait_change(self: Any, handler: Any = None, name: Any = None) -> None:
        raise AssertionError("never called by fit")

    return type(
        "HasTraits", (), {"__module__": "observable_lib", "on_trait_change": on_trait_change}
    )


@pytest.mark.parametrize(
    "folder",
    ["/venv/lib/python3.11/site-packages", "/usr/lib/python3/dist-packages", sysconfig.get_paths()["stdlib"]],
    ids=["site-packages", "dist-packages", "stdlib"],
)  # fmt: skip
def test_methods_a_callback_inherits_from_an_installed_package_are_not_checked(
    monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    """The user's own class is checked, not the library base it inherits ``on_trait_change``
    from: fit trains, as a Callback subclass with that base does."""
    base = _library_base(monkeypatch, folder)
    epochs: list[int] = []
    plain = type("Live", (base,), {"on_epoch_end": lambda self, *, metrics: epochs.append(metrics.epoch)})  # fmt: skip
    both = type("LiveCallback", (base, ConsoleLogger), {})
    _fit_with([plain(), both(progress=False)])
    assert epochs == [1, 2]
    misnamed = type("Misnamed", (base,), {"on_epoch_end": lambda self, *, metrics: None, "on_epoch_ended": lambda self, **kw: None})  # fmt: skip
    with pytest.raises(UsageTypeError, match=r"got Misnamed\.on_epoch_ended, which fit would never call; did you mean 'on_epoch_end'\?"):  # fmt: skip
        _fit_with([misnamed()])


def test_a_traitlets_callback_trains() -> None:
    """What an ipywidgets-style observable display is: a HasTraits subclass, with or without
    linearnets.Callback."""
    traitlets = pytest.importorskip("traitlets")
    from linearnets import Callback

    class Live(traitlets.HasTraits, Callback):  # type: ignore[misc]
        acc = traitlets.Float(0.0)

        def on_epoch_end(self, *, metrics: Any) -> None:
            self.acc = metrics.train_acc

    class Plain(traitlets.HasTraits):  # type: ignore[misc]
        epochs = traitlets.Int(0)

        def on_epoch_end(self, *, metrics: Any) -> None:
            self.epochs = metrics.epoch

    live, plain = Live(), Plain()
    _fit_with([live, plain])
    assert plain.epochs == 2 and 0.0 <= live.acc <= 1.0


class Loose:
    """Hooks taking anything: *args/**kwargs pass the check, and fit calls them."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_epoch_end(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(f"epoch_end {sorted(kwargs)}")

    def on_batch_end(self, *args: Any) -> None:
        self.calls.append(f"batch_end {len(args)}")

    def on_fit_end(self, **kwargs: Any) -> None:
        self.calls.append(f"fit_end {sorted(kwargs)}")


def test_hooks_taking_args_and_kwargs_are_accepted() -> None:
    loose = Loose()
    _fit_with([loose])
    assert loose.calls == ["batch_end 2", "epoch_end ['metrics']"] * 2 + ["fit_end ['history']"]


def test_every_callback_the_library_passes_is_accepted(tmp_path: Path) -> None:
    from linearnets.training.callback_checks import HOOKS, check_callbacks
    from linearnets.training.callbacks import Callback, CurvesCallback, MetricsWriter
    from linearnets.training.checkpoint import CheckpointCallback
    from linearnets.training.guard import DivergenceGuard
    from linearnets.training.interrupt import GracefulInterrupt

    own = [
        Callback(),
        DivergenceGuard(0.1),
        CheckpointCallback(tmp_path, get_state=dict),
        MetricsWriter(tmp_path),
        CurvesCallback(LiveCurves(mode="none")),
        ConsoleLogger(progress=False),
        GracefulInterrupt(),
    ]
    assert check_callbacks(own) == own
    # the table the check binds against is what fit passes: the base class's hooks take exactly it
    for hook, (args, kwargs) in HOOKS.items():
        getattr(Callback(), hook)(*args, **kwargs)


# --- fit's and train_epoch's on_step: refused before the first step, the weights untouched -----


@pytest.mark.parametrize(
    ("on_step", "pattern"),
    [
        (3, r"^on_step must be a function or None, got 3; pass a function of the step index and "
            r"the batch's losses, e\.g\. on_step=lambda step, losses: \.\.\.$"),
        (lambda step: None, r"^on_step must take the arguments passed after each step, "
            r"on_step\(step, losses\), got .*<lambda>\(step\) \(too many positional arguments\)"),
    ],
    ids=["int", "one-argument"],
)  # fmt: skip
@pytest.mark.parametrize("call", ["fit", "train_epoch"])
def test_a_bad_on_step_is_refused_before_the_first_update(
    on_step: Any, pattern: str, call: str
) -> None:
    from linearnets.training.loop import fit, train_epoch

    net = nn.Linear(3, 2)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    batches = [(torch.randn(4, 3), torch.tensor([0, 1, 1, 0]))]
    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(UsageTypeError, match=pattern):
        if call == "fit":
            fit(net, batches, loss, updater, 1, on_step=on_step)
        else:
            train_epoch(net, batches, loss, updater, on_step=on_step)
    assert all(torch.equal(net.state_dict()[k], v) for k, v in before.items())


def test_a_hook_set_to_none_counts_as_absent_as_fit_calls_it() -> None:
    """fit calls a hook only where getattr gives one: a callback switching a hook off with None
    is no error, and the check says the same."""
    from linearnets.training.callback_checks import check_callbacks

    class Quiet(ConsoleLogger):
        on_batch_end = None  # type: ignore[assignment]

    quiet = Quiet(progress=False)
    assert check_callbacks((quiet,)) == [quiet]
    history = _fit_with([quiet])
    assert [m.epoch for m in history.epochs] == [1, 2]


def test_an_update_that_is_no_method_does_not_make_curves() -> None:
    class Counter:
        update = 3

    with pytest.raises(UsageTypeError, match=r"^callbacks\[0\] must be a callback object with at least one of fit's hooks \(.*\), got an object of type Counter, which has none of them; fit calls"):  # fmt: skip
        _fit_with([Counter()])


def test_check_callbacks_returns_a_list_of_the_callbacks_given() -> None:
    """A tuple comes back a list, which the runs extend with their own callbacks."""
    from linearnets.training.callback_checks import check_callbacks

    logger = ConsoleLogger()
    checked = check_callbacks((logger,))
    assert type(checked) is list and checked == [logger]


# --- one live-curves object fed twice ------------------------------------------------------------


@pytest.mark.parametrize("num_epochs", [1, 2])
@pytest.mark.parametrize("listed", ["one callback twice", "two callbacks, one curves"])
def test_curves_fed_twice_are_refused_before_any_step(listed: str, num_epochs: int) -> None:
    """Each epoch reached the curves twice: fit failed after epoch 2 with "epoch must come after
    the last epoch of 'train loss' (2), got 2; continue from epoch 3, ...", a fix that could not
    help; a fit of one epoch started the curves over without a word."""
    from linearnets.errors import UsageError
    from linearnets.training.callbacks import CurvesCallback

    curves = LiveCurves(mode="none", metrics=("train loss",))
    first = CurvesCallback(curves)
    if listed == "one callback twice":
        second = first
        told = r"^callbacks\[1\] and callbacks\[3\] are the same CurvesCallback listed twice: it would send each epoch to its curves twice; list it once$"  # fmt: skip
    else:
        second = CurvesCallback(curves)
        told = r"^callbacks\[1\] and callbacks\[3\] share one LiveCurves: each epoch would be sent to it twice; pass one CurvesCallback for it, or give each its own LiveCurves$"  # fmt: skip
    net = nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    quiet = [ConsoleLogger(progress=False, stream=io.StringIO()) for _ in range(2)]
    callbacks = [quiet[0], first, quiet[1], second]
    with pytest.raises(UsageError, match=told):
        fit(net, [(torch.ones(4, 3), torch.zeros(4, dtype=torch.long))], nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), num_epochs, callbacks=callbacks)  # fmt: skip
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert curves.epochs == {"train loss": []}
    # each its own curves: both drawn
    other = LiveCurves(mode="none", metrics=("train loss",))
    _fit_with([first, CurvesCallback(other)], net)
    assert curves.epochs == other.epochs == {"train loss": [1, 2]}
