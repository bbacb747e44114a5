"""The warnings helper: attributed to the first frame outside linearnets, at any depth."""

from __future__ import annotations

import sys
import warnings

import pytest

import linearnets._warn as warn_module
from linearnets._warn import warn
from linearnets.errors import DataWarning


def test_a_warning_raised_here_names_this_line() -> None:
    with pytest.warns(DataWarning, match="^said$") as seen:
        warn("said", DataWarning)
    assert seen[0].filename == __file__


def _ours(monkeypatch: pytest.MonkeyPatch, source: str, **names: object) -> dict[str, object]:
    """Run ``source`` as a module of the package (a file in its folder) and return its names."""
    monkeypatch.setattr(warn_module, "_PACKAGE_DIR", __file__.rsplit("/", 1)[0] + "/nowhere/")
    namespace: dict[str, object] = {"warn": warn, **names}
    exec(compile(source, warn_module._PACKAGE_DIR + "ours.py", "exec"), namespace)
    return namespace


def test_a_warning_from_deep_inside_the_package_names_the_first_caller_outside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three frames of ours (this helper's own folder counts as the package), then this file."""
    namespace = _ours(
        monkeypatch,
        "def inner():\n    warn('deep')\ndef middle():\n    inner()\ndef outer():\n    middle()\n",
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        namespace["outer"]()  # type: ignore[operator]
    assert [(w.filename, w.lineno) for w in seen] == [(__file__, line)]
    assert str(seen[0].message) == "deep" and seen[0].category is UserWarning


@pytest.mark.parametrize("decorator", ["torch.no_grad()", "torch.inference_mode()"])
def test_a_warning_from_a_function_of_ours_under_a_torch_decorator_names_its_caller(
    monkeypatch: pytest.MonkeyPatch, decorator: str
) -> None:
    """``@torch.no_grad()`` on a function of ours puts torch's wrapper between it and the caller:
    the warning named torch's ``_contextlib.py`` line, ``return func(*args, **kwargs)``."""
    import torch

    namespace = _ours(monkeypatch, f"@{decorator}\ndef ours():\n    warn('wrapped')\n", torch=torch)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        namespace["ours"]()  # type: ignore[operator]
    assert [(w.filename, w.lineno) for w in seen] == [(__file__, line)]
