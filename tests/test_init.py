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


def test_the_version_is_public_and_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert linearnets.__version__ == version("linearnets")
    assert "__version__" in linearnets.__all__ and "__version__" in dir(linearnets)


def test_every_name_the_readme_calls_from_python_is_public() -> None:
    """The README's examples (``import linearnets as ln``) are an independent list of the API."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\bln\.([A-Za-z_]\w*)", readme))
    assert {"fit", "run_softmax", "resume_softmax", "LiveCurves"} <= named  # the examples are there
    assert named <= set(linearnets.__all__)
    assert all(callable(getattr(linearnets, name)) for name in named)
