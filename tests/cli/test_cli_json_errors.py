"""``--json`` on failure: stdout ends with one JSON object naming the error, as success ends with results.

The line on stderr is unchanged; the object carries the same text, the error's type and the exit status.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from linearnets.cli import main


def _last_json(out: str) -> dict[str, Any]:
    lines = out.strip().splitlines()
    assert lines, "nothing on stdout"
    parsed = json.loads(lines[-1])
    assert isinstance(parsed, dict)
    return parsed


def _error_text(err: str, command: str) -> str:
    prefix = f"linearnets {command}: error: "
    (line,) = err.strip().splitlines()
    assert line.startswith(prefix), line
    return line[len(prefix) :]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["softmax", "--lr", "-1", "--json"], "softmax"),
        (["linreg", "--json", "--epochs", "zero"], "linreg"),
        (["linreg", "--json", "--no-such-option"], "linreg"),
    ],
)
def test_a_command_line_that_does_not_parse(
    argv: list[str], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert _last_json(out) == {
        "error": _error_text(err, command),
        "error_type": "UsageError",
        "exit_status": 2,
    }


def test_a_usage_error_found_while_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.npz"
    assert main(["linreg", "--data", str(missing), "--json"]) == 2
    out, err = capsys.readouterr()
    error = _last_json(out)
    assert error == {
        "error": _error_text(err, "linreg"),
        "error_type": "UsageError",
        "exit_status": 2,
    }
    assert str(missing) in error["error"]


def test_a_runtime_error_exits_1_with_its_type(capsys: pytest.CaptureFixture[str]) -> None:
    """lr 10 blows linear regression up: the divergence guard stops it (exit 1)."""
    assert main(["linreg", "--lr", "10", "--json"]) == 1
    out, err = capsys.readouterr()
    error = _last_json(out)
    assert error["error_type"] == "DivergenceError"
    assert error["exit_status"] == 1
    assert error["error"] == _error_text(err, "linreg")
    assert "epoch 1, loss" not in out.splitlines()[-1]  # the object is the last line, on its own


def test_an_interrupted_run_names_its_folder(
    tmp_path: Path,
    blobs_npz: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import linearnets.tasks.training_run as training_run

    saved = training_run.save_weights

    def signalled(*args: Any, **kwargs: Any) -> None:
        saved(*args, **kwargs)
        os.kill(
            os.getpid(), signal.SIGINT
        )  # after the last epoch, while the run's files are written

    monkeypatch.setattr(training_run, "save_weights", signalled)
    run = tmp_path / "run"
    argv = ["softmax", "--data", str(blobs_npz), "--plot", "none", "--epochs", "1", "--json"]
    assert main([*argv, "--out", str(run)]) == 130
    out, err = capsys.readouterr()
    error = _last_json(out)
    assert error["error_type"] == "TrainingInterrupted"
    assert error["exit_status"] == 130
    assert error["run_dir"] == str(run)
    assert err == f"linearnets softmax: {error['error']}\n"
    assert f"--resume {run}" in error["error"]


def test_without_json_a_failure_prints_nothing_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["linreg", "--data", str(tmp_path / "missing.npz")]) == 2
    with pytest.raises(SystemExit):
        main(["softmax", "--lr", "-1"])
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX process")
def test_the_real_command_ends_stdout_with_the_object(tmp_path: Path) -> None:
    """Through the console entry point, which leaves with os._exit: the object must be flushed."""
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "linreg", "--batch-size", "0", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    error = _last_json(done.stdout)
    assert error == {
        "error": _error_text(done.stderr, "linreg"),
        "error_type": "UsageError",
        "exit_status": 2,
    }
    assert "--batch-size" in error["error"]
