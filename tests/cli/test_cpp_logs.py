"""torch's C++ warnings quieted for a data-parallel run of the console command, before torch loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from linearnets.cli._cpp_logs import quiet_torch_warnings


@pytest.mark.parametrize(
    ("environ", "debug", "level"),
    [
        ({"WORLD_SIZE": "2"}, False, "ERROR"),
        ({"WORLD_SIZE": "16"}, False, "ERROR"),
        # read as the run reads it (env_int): these are 2 processes there, and were 1 here
        ({"WORLD_SIZE": " 2"}, False, "ERROR"),
        ({"WORLD_SIZE": "+2"}, False, "ERROR"),
        ({"WORLD_SIZE": "2\n"}, False, "ERROR"),
        ({"WORLD_SIZE": "2"}, True, None),  # --debug: torch's every word
        ({"WORLD_SIZE": "2", "TORCH_CPP_LOG_LEVEL": "INFO"}, False, "INFO"),  # the user's own
        ({}, False, None),  # one process: nothing to join
        ({"WORLD_SIZE": "1"}, False, None),
        ({"WORLD_SIZE": "two"}, False, None),  # malformed: the command refuses it, in its words
        ({"WORLD_SIZE": "2_0"}, False, None),
        ({"WORLD_SIZE": "\u00a02"}, False, None),
        ({"WORLD_SIZE": "0"}, False, None),
        ({"WORLD_SIZE": " "}, False, None),
    ],
)
def test_a_data_parallel_run_logs_torchs_cpp_errors_alone(
    environ: dict[str, str], debug: bool, level: str | None
) -> None:
    quiet_torch_warnings(debug=debug, environ=environ)
    assert environ.get("TORCH_CPP_LOG_LEVEL") == level


# the console command's softmax, its run replaced by one that says what it found as it started
_RUN_SEES = """
import os, sys
import linearnets.cli.softmax as softmax

def run(args):
    print(os.environ.get("TORCH_CPP_LOG_LEVEL"), "torch" in sys.modules)
    return 0

softmax.run = run
sys.argv = ["linearnets", "softmax", *sys.argv[1:]]
from linearnets.cli import entry
entry()
"""


@pytest.mark.parametrize(
    ("world", "argv", "seen"),
    [
        ("2", (), "ERROR False\n"),
        ("2", ("--debug",), "None False\n"),
        (" 2", (), "ERROR False\n"),  # 2 processes for the run, and unquieted: 282 lines of C++
    ],
)
def test_the_console_command_sets_the_level_before_torch_loads(
    tmp_path: Path, world: str, argv: tuple[str, ...], seen: str
) -> None:
    """torch reads TORCH_CPP_LOG_LEVEL once, as it loads: set later, it changed nothing."""
    env = {k: v for k, v in os.environ.items() if k != "TORCH_CPP_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_SEES, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "WORLD_SIZE": world},
    )
    assert (done.stdout, done.stderr) == (seen, "")


def test_main_leaves_its_callers_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() runs in its caller's process (a notebook, a script): torch's level is the caller's."""
    from linearnets.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("TORCH_CPP_LOG_LEVEL", raising=False)
    monkeypatch.setattr("linearnets.cli.linreg.run", lambda args: 0)
    assert main(["linreg"]) == 0
    assert "TORCH_CPP_LOG_LEVEL" not in os.environ
