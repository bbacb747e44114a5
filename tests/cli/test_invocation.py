"""The commands the messages give start the program as the user started it
(``linearnets.cli._invocation``)."""

from __future__ import annotations

import builtins
import errno
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from linearnets.cli import _invocation
from linearnets.cli._invocation import as_started, program
from linearnets.cli._report import one_line, resume_advice

_PACKAGE_MAIN = str(Path(_invocation.__file__).parent.parent / "__main__.py")


def _executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No launcher's variables, an empty PATH: each test sets what it needs."""
    for name in ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "")
    return monkeypatch


def test_the_console_script_not_on_the_path_is_named_as_typed(
    started: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started.setattr(sys, "argv", [".venv/bin/linearnets", "softmax"])
    assert program() == ".venv/bin/linearnets"
    started.setattr(sys, "argv", [f"{tmp_path}/my env/bin/linearnets", "softmax"])
    assert program() == shlex.quote(f"{tmp_path}/my env/bin/linearnets")


def test_the_console_script_the_path_finds_is_linearnets(
    started: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = _executable(tmp_path / "bin", "linearnets")
    started.setenv("PATH", str(tmp_path / "bin"))
    started.setattr(sys, "argv", [str(script), "softmax"])  # as the shell passes it on
    assert program() == "linearnets"
    started.setattr(sys, "argv", ["linearnets", "softmax"])
    assert program() == "linearnets"
    # another install's linearnets on the PATH is not this one
    other = _executable(tmp_path / "other", "linearnets")
    started.setattr(sys, "argv", [str(other), "softmax"])
    assert program() == str(other)


def test_python_m_is_named_with_its_interpreter(
    started: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    python = _executable(tmp_path / "venv" / "bin", "python")
    started.setattr(sys, "executable", str(python))
    started.setattr(sys, "argv", [_PACKAGE_MAIN, "softmax"])
    assert program() == f"{python} -m linearnets"
    # that interpreter found on the PATH by its name (an activated environment, linearnets
    # not installed as a command)
    started.setenv("PATH", str(python.parent))
    assert program() == "python -m linearnets"
    # its own console script beside it, on the PATH
    _executable(python.parent, "linearnets")
    assert program() == "linearnets"


def test_run_m_in_ipython_is_named_as_its_prompt_takes_it(
    started: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started.setattr(sys, "argv", [_PACKAGE_MAIN, "softmax"])
    started.setattr(builtins, "__IPYTHON__", True, raising=False)
    assert program() == "%run -m linearnets"
    assert as_started("resume with: linearnets softmax --resume runs/a") == (
        "resume with: %run -m linearnets softmax --resume runs/a"
    )


def test_a_launched_process_and_a_call_from_python_say_linearnets(
    started: pytest.MonkeyPatch,
) -> None:
    started.setattr(sys, "argv", [".venv/bin/linearnets", "softmax"])
    started.setenv("MASTER_ADDR", "127.0.0.1")
    started.setenv("MASTER_PORT", "29500")
    assert program() == "linearnets"  # its resume is "launched by torchrun as before"
    started.delenv("MASTER_ADDR")
    started.setenv("TORCHELASTIC_RUN_ID", "none")
    assert program() == "linearnets"
    started.delenv("TORCHELASTIC_RUN_ID")
    started.setattr(sys, "argv", ["/usr/bin/ipython"])  # linearnets.cli.main([...]) from Python
    assert program() == "linearnets"


def test_only_the_commands_to_run_are_rewritten(started: pytest.MonkeyPatch) -> None:
    started.setattr(sys, "argv", [".venv/bin/linearnets", "softmax"])
    commands = [
        resume_advice("linearnets softmax", "my run", 2),
        resume_advice("linearnets linreg", "-x", None),
        "finish it with linearnets softmax --resume 'a b' (linearnets.resume_softmax in Python)",
        "draw it again with: linearnets predict runs/a -n 3",
        "draw it again with: linearnets predict 'my run' -n 3",
        "get it again where a network exists: linearnets data download --data-dir /d",
        "or 'linearnets data download --data-dir DIR' to fetch it",
        "the command that made it (linearnets softmax --out runs/a and the same options)",
        # a full disk's, the run's folder unknown: the command, not "--resume RUN_DIR" alone
        one_line(OSError(errno.ENOSPC, "No space left"), command="linearnets softmax"),
        one_line(OSError(errno.ENOSPC, "No space left")),
    ]
    for text in commands:
        assert as_started(text) == text.replace("linearnets ", ".venv/bin/linearnets ", 1)
        assert text.count("linearnets ") == 1
    words = [
        "pass the folder a 'linearnets softmax' run wrote",
        "torchrun --nproc-per-node 2 -m linearnets softmax --epochs 3",
        "linearnets predict drew them from the weights before this resume",
        "linearnets: interrupted",
        "linearnets.resume_softmax('my run')",
    ]
    for text in words:
        assert as_started(text) == text


def test_a_run_folder_named_linearnets_is_not_rewritten(started: pytest.MonkeyPatch) -> None:
    """A run folder named ``linearnets`` (--out linearnets) was rewritten as the program in the
    advice a diverged run gave: "--resume /work/main/.venv/bin/python -m linearnets --lr 1"."""
    started.setattr(sys, "argv", [".venv/bin/linearnets", "softmax"])
    text = (
        "start the run over there: linearnets softmax --resume linearnets --lr 1 --force); "
        "linearnets softmax --resume linearnets --no-guard trains on regardless; draw them: "
        "linearnets predict linearnets -n 3; linearnets softmax --out linearnets --lr 1"
    )
    assert as_started(text) == (
        "start the run over there: .venv/bin/linearnets softmax --resume linearnets --lr 1 "
        "--force); .venv/bin/linearnets softmax --resume linearnets --no-guard trains on "
        "regardless; draw them: .venv/bin/linearnets predict linearnets -n 3; "
        ".venv/bin/linearnets softmax --out linearnets --lr 1"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["foo"], "argument COMMAND: invalid choice: 'foo' (choose from 'linreg', 'softmax', "
            "'predict', 'data') (see .venv/bin/linearnets --help)"),
        ([], "COMMAND is required and was not given: give one of linreg, softmax, predict, data, "
            "e.g. .venv/bin/linearnets linreg (see .venv/bin/linearnets --help)"),
        (["predict"], "RUN_DIR is required and was not given: give the run folder a 'linearnets "
            "softmax' run wrote, e.g. .venv/bin/linearnets predict runs/a (see "
            ".venv/bin/linearnets predict --help)"),
        (["predict", "A", "B"], "expected one RUN_DIR, got 2 (A and B): give one per command, "
            "e.g. .venv/bin/linearnets predict A (see .venv/bin/linearnets predict --help)"),
        (["softmax", "--version"], "--version is an option of linearnets itself, not of its "
            "commands: write .venv/bin/linearnets --version (see .venv/bin/linearnets softmax "
            "--help)"),
        # the command named, not one to run, stays as it is
        (["predict", "A", "--epochs", "3"], "unrecognized arguments: --epochs 3: --epochs is an "
            "option of linreg and softmax, not of linearnets predict (see .venv/bin/linearnets "
            "predict --help)"),
    ],
    ids=["invalid-command", "no-command", "no-run-dir", "two-run-dirs", "version", "named"],
)  # fmt: skip
def test_every_command_a_usage_error_gives_is_written_as_started(
    started: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    """docs/cli.md: "Every command an error or note gives is written the same way". Only the
    commands of an option after a subcommand were: "(see linearnets --help)", "e.g. linearnets
    predict runs/a" and "write linearnets --version" named a program the shell did not find."""
    from linearnets.cli import UsageExit, main

    started.setattr(sys, "argv", [".venv/bin/linearnets", *argv])
    with pytest.raises(UsageExit) as info:
        main(argv)
    assert info.value.message == message


def _as_typed(
    tmp_path: Path, path: str
) -> tuple[str, Callable[[str], subprocess.CompletedProcess[str]]]:
    """Return ``.venv/bin/linearnets`` as typed from ``tmp_path`` (the README's way, the
    environment not activated: ``path`` leaves it off the PATH), and a runner of a command as
    typed at a shell prompt there; skip where the command is not installed beside this Python."""
    script = Path(sys.executable).parent / "linearnets"
    if not script.is_file():
        pytest.skip("linearnets is not installed as a command beside this Python")
    env = {**os.environ, "PATH": path, "MPLBACKEND": "Agg"}

    def typed_in_shell(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    return os.path.relpath(script, tmp_path), typed_in_shell


def test_the_resume_a_stopped_command_prints_runs_as_pasted(
    tmp_path: Path, blobs_npz: Path, path_without_this_python: str
) -> None:
    """The README's way, ``.venv/bin/linearnets`` typed by its path with the environment not
    activated: the advice after a stop names the command by that path, and pasted as printed, in
    the same folder, it continues the run."""
    typed, typed_in_shell = _as_typed(tmp_path, path_without_this_python)

    # its reader gone before the first line (a full stdout no longer stops a run)
    full = typed_in_shell(
        f"{typed} softmax --data {blobs_npz} --epochs 3 --plot none --out run | true"
    )
    assert "stopped: its output was closed" in full.stderr
    assert full.stderr.endswith(f"continue it with: {typed} softmax --resume run\n")
    again = full.stderr.rstrip("\n").rsplit("continue it with: ", 1)[1]
    resumed = typed_in_shell(f"{again} --json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["epochs"] == 3
    # a usage error's pointer to --help too
    usage = typed_in_shell(f"{typed} softmax --epochs 0")
    assert usage.returncode == 2
    assert usage.stderr.endswith(f"(see {typed} softmax --help)\n")


def test_the_resumes_a_divergence_gives_are_whole_commands_that_run_as_pasted(
    tmp_path: Path, blobs_npz: Path, path_without_this_python: str
) -> None:
    """A diverged run said "start it over with a smaller lr: --resume 'my run' --lr 1" (linreg's
    "continue it with a smaller lr: --resume ... --force"): options, no command to paste. Each is
    the whole command now, the task's own (softmax, linreg), the program named as typed; pasted
    as printed, in the same folder, each trains the run on."""
    typed, typed_in_shell = _as_typed(tmp_path, path_without_this_python)

    common = f"--data {blobs_npz} --plot none --batch-size 20"
    diverged = typed_in_shell(f"{typed} softmax {common} --lr 1e6 --epochs 2 --out 'my run'")
    assert diverged.returncode == 1, diverged.stderr
    start_over = f"start it over with a smaller lr: {typed} softmax --resume 'my run' --lr 0.5; "
    assert start_over in diverged.stderr
    resumed = typed_in_shell(f"{start_over.split(': ', 1)[1].removesuffix('; ')} --json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["epochs"] == 2
    # linreg's, from the checkpoint it kept: linreg's command, not softmax's
    assert typed_in_shell(f"{typed} linreg --epochs 1 --out 'lin run'").returncode == 0
    diverged = typed_in_shell(f"{typed} linreg --resume 'lin run' --epochs 3 --lr 100 --force")
    assert diverged.returncode == 1, diverged.stderr
    assert diverged.stderr.endswith(
        f"(continue it with a smaller lr: {typed} linreg --resume 'lin run' --lr 0.5 --force)\n"
    )
    again = diverged.stderr.rsplit("(continue it with a smaller lr: ", 1)[1].removesuffix(")\n")
    resumed = typed_in_shell(f"{again} --json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["epochs"] == 3
