"""The package's public names: each resolves to what its module defines, and importing is cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import linearnets


@pytest.mark.parametrize("name", sorted(linearnets._EXPORTS))
def test_every_public_name_is_its_modules_own(name: str) -> None:
    module = importlib.import_module(linearnets._EXPORTS[name])
    assert getattr(linearnets, name) is getattr(module, name)
    assert name in linearnets.__all__ and name in dir(linearnets)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'linearnets' has no attribute 'run_softmx'"):
        linearnets.run_softmx  # noqa: B018


def test_importing_the_package_loads_neither_torch_nor_matplotlib() -> None:
    code = "import sys, linearnets; print(sorted({'torch', 'matplotlib'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
