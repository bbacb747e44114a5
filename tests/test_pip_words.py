"""The install a message advises: ``%pip install`` in IPython and Jupyter (linearnets._pip_words)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from linearnets import d2l
from linearnets._pip_words import in_ipython, pip_install
from linearnets.errors import UsageError


class ZMQInteractiveShell:
    """The shell a Jupyter kernel runs: what ``get_ipython()`` returns there."""


def _ipython(monkeypatch: pytest.MonkeyPatch, shell: Any) -> None:
    """Load a fake IPython whose ``get_ipython()`` returns ``shell`` (``None``: no shell runs)."""
    fake = types.SimpleNamespace(get_ipython=lambda: shell, version_info=(8, 30, 0, ""))
    monkeypatch.setitem(sys.modules, "IPython", fake)


@pytest.fixture
def jupyter(monkeypatch: pytest.MonkeyPatch) -> None:
    _ipython(monkeypatch, ZMQInteractiveShell())


def test_a_script_is_told_pip_or_its_interpreters_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert not in_ipython()
    assert pip_install("torchvision") == "pip install torchvision"
    assert pip_install("'torch>=2.3'", python="/usr/bin/python3") == (
        "/usr/bin/python3 -m pip install 'torch>=2.3'"
    )
    _ipython(monkeypatch, None)  # IPython imported by a script (tqdm.auto does), no shell running
    assert not in_ipython()
    assert pip_install("torchvision") == "pip install torchvision"


def test_a_script_that_started_ipythons_base_shell_keeps_a_scripts_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """matplotlib_inline's set_matplotlib_formats (the book's use_svg_display) makes a script an
    InteractiveShell.instance(): get_ipython() returns it from then on, and the script (the suite
    itself, in a worker after such a test) was told %pip install."""

    class InteractiveShell:  # the base class, as IPython names it
        pass

    class TerminalInteractiveShell(InteractiveShell):
        pass

    _ipython(monkeypatch, InteractiveShell())
    assert not in_ipython()
    assert pip_install("torchvision") == "pip install torchvision"
    _ipython(monkeypatch, TerminalInteractiveShell())
    assert in_ipython()


@pytest.mark.usefixtures("jupyter")
def test_a_notebook_is_told_percent_pip_which_installs_into_its_kernel() -> None:
    """A plain ``pip`` in a notebook may install into another interpreter than the kernel's."""
    assert in_ipython()
    assert pip_install("torchvision") == "%pip install torchvision"
    assert pip_install("'torch>=2.3'", python="/usr/bin/python3") == "%pip install 'torch>=2.3'"


@pytest.mark.usefixtures("jupyter")
def test_d2l_names_a_missing_package_with_percent_pip_in_a_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # its import then fails as if absent
    with pytest.raises(
        AttributeError,
        match=r"^d2l\.pd is pandas, from the package pandas, which is not installed here; "
        r"install it \(%pip install pandas\)$",
    ):
        d2l.pd  # noqa: B018


@pytest.mark.usefixtures("jupyter")
def test_d2l_points_to_the_books_package_with_percent_pip_in_a_notebook() -> None:
    with pytest.raises(AttributeError) as info:
        d2l.try_gpu  # noqa: B018
    assert str(info.value).endswith(
        "for later chapters use the book's d2l package "
        "(%pip install d2l==0.17.6, then from d2l import torch as d2l)"
    )
    with pytest.raises(
        AttributeError,
        match=r"for that edition use its d2l package \(%pip install 'd2l>=1\.0', then from d2l "
        r"import torch as d2l\)$",
    ):
        d2l.Trainer  # noqa: B018


@pytest.mark.usefixtures("jupyter")
def test_torchvision_is_advised_with_percent_pip_in_a_notebook() -> None:
    from linearnets.data.transforms import InterpolationMode, Resize
    from linearnets.torchvision import datasets

    with pytest.raises(
        AttributeError,
        match=r"for other datasets install torchvision itself \(%pip install torchvision\) and "
        r"use torchvision\.datasets\.MNIST$",
    ):
        datasets.MNIST  # noqa: B018
    with pytest.raises(
        UsageError,
        match=r"or install torchvision \(%pip install torchvision\) for other filters$",
    ):
        Resize(64, interpolation=InterpolationMode.NEAREST)


@pytest.mark.usefixtures("jupyter")
def test_a_dependency_not_installed_is_installed_with_percent_pip_in_a_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The advice a figure's failure gives (the plotting process is forked from the kernel)."""
    from linearnets import _dependencies as dependencies

    monkeypatch.setattr(dependencies, "_findable", lambda name: False)
    gone = ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
    line = dependencies.dependency_failure(gone)
    assert line is not None
    assert "install it (%pip install 'matplotlib>=3.8')" in line
    assert "-m pip" not in line
