"""Callback: a subclass's methods named like hooks are hooks; a misspelt one fails at its class."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from linearnets.errors import UsageTypeError
from linearnets.models.concise import softmax_concise
from linearnets.training.callback_base import Callback
from linearnets.training.callback_checks import HOOKS
from linearnets.training.callbacks import ConsoleLogger
from linearnets.training.loop import fit

_RULE = (
    "a Callback's methods named on_... must be fit's hooks (on_fit_start, on_epoch_start, "
    "on_batch_end, on_epoch_end, on_fit_end), got Sched.{name}, which fit would never call; "
)
_OWN = " (a method of your own: name it without on_)"


def test_the_hooks_a_callback_may_define_are_those_fit_calls() -> None:
    # the base class's hooks, in the order fit first calls them, are those fit checks and calls
    assert tuple(name for name in vars(Callback) if name.startswith("on_")) == tuple(HOOKS)


_REFUSED = [
    ("on_epoch_ends", "did you mean 'on_epoch_end'?" + _OWN),
    ("on_epochend", "did you mean 'on_epoch_end'?" + _OWN),
    ("On_epoch_end", "write it in lower case: 'on_epoch_end'" + _OWN),
    # other libraries' names, which spelling distance misses or mistakes
    ("on_train_begin", "did you mean 'on_fit_start'?" + _OWN),
    ("on_epoch_begin", "did you mean 'on_epoch_start'?" + _OWN),
    ("on_train_epoch_end", "did you mean 'on_epoch_end'?" + _OWN),
    ("on_step", "did you mean 'on_batch_end'?" + _OWN),
    (
        "on_batch_begin",
        "fit calls no hook before a batch: on_batch_end(step, losses) runs after each step" + _OWN,
    ),
    (
        "on_plateau",
        "rename it to the hook it is for, or, if it is a method of your own, to a name without on_",
    ),
]


@pytest.mark.parametrize("name,fix", _REFUSED, ids=[name for name, _ in _REFUSED])
def test_a_method_named_like_a_hook_but_none_is_refused_at_its_class(name: str, fix: str) -> None:
    """fit would never call it: the callback trained on silently, its work never done."""
    with pytest.raises(UsageTypeError) as caught:
        type("Sched", (Callback,), {name: lambda self, **kwargs: None})
    assert str(caught.value) == _RULE.format(name=name) + fix


def test_a_misspelt_hook_is_refused_at_its_class_statement() -> None:
    with pytest.raises(UsageTypeError) as caught:

        class Sched(Callback):
            def on_epoch_ends(self, *, metrics: Any) -> None:
                raise AssertionError("never called")

    assert str(caught.value) == (
        _RULE.format(name="on_epoch_ends") + "did you mean 'on_epoch_end'?" + _OWN
    )


@pytest.mark.parametrize("kind", [staticmethod, classmethod])
def test_a_static_or_class_method_named_like_a_hook_is_refused_too(kind: Any) -> None:
    with pytest.raises(UsageTypeError, match=r"got Sched\.on_epoch_ends, which fit"):
        type("Sched", (Callback,), {"on_epoch_ends": kind(lambda *args: None)})


def test_a_subclass_of_a_library_callback_is_held_to_the_same_rule() -> None:
    with pytest.raises(UsageTypeError, match=r"got Sched\.on_fit_ends, .*'on_fit_end'"):
        type("Sched", (ConsoleLogger,), {"on_fit_ends": lambda self, **kwargs: None})


def test_hooks_other_names_and_attributes_named_on_are_taken(gen: torch.Generator) -> None:
    """Only methods named ``on_…`` are hooks: a flag ``on_gpu``, a helper ``_on_plateau`` are not."""
    seen: list[int] = []

    class Sched(Callback):
        on_gpu = False

        def on_epoch_end(self, *, metrics: Any) -> None:
            seen.append(self._on_plateau(metrics.epoch))

        def _on_plateau(self, epoch: int) -> int:
            return epoch

    X, y = torch.randn(8, 3, generator=gen), torch.randint(0, 2, (8,), generator=gen)
    net = softmax_concise(3, 2, generator=gen)
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    fit(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 2, callbacks=[Sched()])
    assert seen == [1, 2]
