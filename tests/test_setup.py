"""scripts/setup.sh's checks made before any install: its argument and the Python it would use.

(The installs themselves run in every clean clone through `make run` / `make test`.)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[1] / "scripts" / "setup.sh"


def _setup(tmp_path: Path, *args: str, python: str = "python3") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": python, "VENV": str(tmp_path / "venv")}
    return subprocess.run(
        ["bash", str(SETUP), *args], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.mark.parametrize("args", [["--dev"], ["test"], ["dev", "extra"]])
def test_an_unknown_argument_is_refused_before_anything_is_installed(
    tmp_path: Path, args: list[str]
) -> None:
    done = _setup(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr == (
        "setup: the argument must be nothing (the runtime) or 'dev' (the dev tools too), got "
        f"'{' '.join(args)}'; run scripts/setup.sh or scripts/setup.sh dev\n"
    )
    assert not (tmp_path / "venv").exists()


def test_a_python_before_3_10_is_named_before_pip_would_blame_torch(tmp_path: Path) -> None:
    old = tmp_path / "python3.9"  # answers --version as Debian bullseye's python3 does
    old.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.9.18" && exit 0\nexit 1\n')
    old.chmod(0o755)
    done = _setup(tmp_path, python=str(old))
    assert done.returncode == 1
    assert done.stderr == (
        f"setup: linearnets needs Python 3.10 or later, got 'Python 3.9.18' from PYTHON={old}; "
        "install a newer python3 (and python3-venv), or point PYTHON= at one\n"
    )
    assert not (tmp_path / "venv").exists()


def test_a_python_that_is_no_command_is_named(tmp_path: Path) -> None:
    done = _setup(tmp_path, python=str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "got 'no such command' from PYTHON=" in done.stderr
