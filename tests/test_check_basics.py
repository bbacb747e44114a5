"""refused_arguments: whether a function can take given arguments, as a call would tell."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from linearnets._check_basics import refused_arguments


def _step(step: int, losses: object) -> None:
    return None


def _hook(*, fn: object, epoch: int) -> None:  # a keyword the helper's own parameter is named
    return None


@pytest.mark.parametrize(
    ("function", "args", "kwargs"),
    [
        (_step, (0, None), {}),
        (_hook, (), {"fn": None, "epoch": 1}),
        (lambda batch_size: None, (1,), {}),
    ],
)
def test_a_function_that_takes_the_arguments_passes_the_check(
    function: Any, args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    function(*args, **kwargs)  # the oracle: the call itself works
    assert refused_arguments(function, *args, **kwargs) is None


@pytest.mark.parametrize(
    ("function", "args", "kwargs"),
    [
        (_step, (0,), {}),
        (_hook, (), {"epoch": 1}),
        (lambda: None, (1,), {}),
    ],
)
def test_a_function_that_cannot_take_them_gives_its_signature_and_the_error(
    function: Any, args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):  # the oracle: the call itself fails
        function(*args, **kwargs)
    refused = refused_arguments(function, *args, **kwargs)
    assert refused is not None
    signature, error = refused
    assert signature == inspect.signature(function)
    assert isinstance(error, TypeError) and str(error)


def test_a_builtin_without_a_signature_is_left_to_its_call() -> None:
    with pytest.raises(ValueError, match="no signature found"):
        inspect.signature(max)
    assert refused_arguments(max) is None
