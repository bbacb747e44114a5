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
    prefix = f"linearnets {command}: error: " if command else "linearnets: error: "
    (line,) = err.strip().splitlines()
    assert line.startswith(prefix), line
    return line[len(prefix) :]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["softmax", "--lr", "-1", "--json"], "softmax"),
        (["linreg", "--json", "--epochs", "zero"], "linreg"),
        (["linreg", "--json", "--no-such-option"], "linreg"),
        (["linreg", "--json=1", "--lr", "0"], "linreg"),  # argparse refuses a flag's value
        (["linreg", "--js=yes"], "linreg"),
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


@pytest.mark.parametrize("command", ["softmax", "linreg"])
def test_an_interrupted_run_and_resume_name_their_folder_absolute_as_a_success_does(
    command: str,
    tmp_path: Path,
    blobs_npz: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--out s2.5`` stopped: its object said ``"run_dir": "s2.5"``, the path as typed, where a
    success's object and results.json say it absolute. The line on stderr (and the error's text)
    keeps the path as typed, in the resume command the user types next."""
    from linearnets.training import callbacks

    real, stop_after = callbacks.ConsoleLogger.on_epoch_end, [1]

    def signalled(self: callbacks.ConsoleLogger, *, metrics: Any) -> None:
        real(self, metrics=metrics)
        if metrics.epoch in stop_after:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(callbacks.ConsoleLogger, "on_epoch_end", signalled)
    monkeypatch.chdir(tmp_path)
    data = ["--data", str(blobs_npz), "--plot", "none"] if command == "softmax" else []
    absolute = str(tmp_path / "s2.5")
    for argv in ([*data, "--epochs", "3", "--out", "s2.5"], ["--resume", "s2.5"]):
        capsys.readouterr()
        assert main([command, *argv, "--json"]) == 130
        out, err = capsys.readouterr()
        error = _last_json(out)
        assert (error["error_type"], error["run_dir"]) == ("TrainingInterrupted", absolute)
        assert err == f"linearnets {command}: {error['error']}\n"
        assert error["error"].endswith(f" {command} --resume s2.5")
        stop_after[0] += 1
    stop_after.clear()  # the last resume runs to its end
    assert main([command, "--resume", "s2.5", "--json"]) == 0
    done = _last_json(capsys.readouterr().out)
    assert done["run_dir"] == absolute
    assert json.loads((tmp_path / "s2.5" / "results.json").read_text())["run_dir"] == absolute


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


def _interrupting(exc: KeyboardInterrupt) -> Any:
    def run(args: object) -> int:
        raise exc  # as Ctrl-C or SIGTERM lands while the command runs, outside training

    return run


@pytest.mark.parametrize(
    ("exc", "detail"),
    [
        (KeyboardInterrupt(), "interrupted by SIGINT"),
        (KeyboardInterrupt("SIGTERM"), "interrupted by SIGTERM"),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupt_without_a_run_folder_gives_an_object_without_run_dir(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: KeyboardInterrupt,
    detail: str,
) -> None:
    """No run folder to name: the key is left out, not written as null."""
    monkeypatch.setattr("linearnets.cli.linreg.run", _interrupting(exc))
    assert main(["linreg", "--json"]) == 130
    out, err = capsys.readouterr()
    assert err == f"linearnets linreg: {detail}\n"
    assert out.strip().splitlines()[-1] == json.dumps(
        {"error": detail, "error_type": "KeyboardInterrupt", "exit_status": 130}
    )


def test_an_abbreviated_json_option_still_ends_stdout_with_the_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse takes --js for --json: an error found while running is reported as --json asks."""
    missing = tmp_path / "missing.npz"
    assert main(["linreg", "--js", "--data", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert _last_json(out) == {
        "error": _error_text(err, "linreg"),
        "error_type": "UsageError",
        "exit_status": 2,
    }


def test_an_object_that_cannot_be_written_is_no_second_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """stdout on a full device: the line on stderr has said it all; no traceback, same status."""
    import errno

    class FullDevice:
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    missing = tmp_path / "missing.npz"
    monkeypatch.setattr(sys, "stdout", FullDevice())
    assert main(["linreg", "--data", str(missing), "--json"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"linearnets linreg: error: --data {missing} does not exist or is not a file; pass an "
        "existing .npz file\n"
    )


def test_an_error_without_a_message_still_names_itself(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(args: object) -> int:
        raise KeyError()

    monkeypatch.setattr("linearnets.cli.linreg.run", run)
    assert main(["linreg", "--json"]) == 1
    out, err = capsys.readouterr()
    text = "unexpected KeyError: KeyError (re-run with --debug for the traceback)"
    assert err == f"linearnets linreg: error: {text}\n"
    assert _last_json(out) == {"error": text, "error_type": "KeyError", "exit_status": 1}


def test_an_abbreviated_json_reports_a_parse_error_in_json_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """argparse takes --jso for --json: a command line that does not parse reports in JSON then too."""
    with pytest.raises(SystemExit):
        main(["linreg", "--jso", "--epochs", "zero"])
    out, err = capsys.readouterr()
    assert _last_json(out)["error"] == _error_text(err, "linreg")


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """``linearnets`` alone: argparse's exit 2 naming what is missing, not a failure while running."""
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        "linearnets: error: COMMAND is required and was not given: give one of linreg, softmax, "
        "predict, data, e.g. linearnets linreg (see linearnets --help)\n"
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_raises_the_error_itself_before_or_after_the_command(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from linearnets.errors import UsageError

    missing = str(tmp_path / "missing.npz")
    argv = ["linreg", "--data", missing]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    with pytest.raises(UsageError, match=r"missing\.npz' does not exist or is not a file"):
        main(argv)
    assert capsys.readouterr().err == ""  # the traceback is Python's to print, not one line


def test_debug_lets_an_interrupt_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("linearnets.cli.linreg.run", _interrupting(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        main(["linreg", "--debug"])


def test_the_subcommands_status_is_the_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("linearnets.cli.linreg.run", lambda args: 3)
    assert main(["linreg"]) == 3


def test_a_double_dash_is_no_abbreviation_of_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``--`` is a prefix of ``--json`` but ends the options: a parse error stays off stdout."""
    with pytest.raises(SystemExit) as info:
        main(["linreg", "--epochs", "zero", "--"])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "argument --epochs: must be a positive integer, got 'zero'" in err


def test_the_shortest_json_abbreviation_reports_a_parse_error_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["linreg", "--j", "--epochs", "zero"])  # --j: the shortest
    out, err = capsys.readouterr()
    assert _last_json(out) == {
        "error": _error_text(err, "linreg"),
        "error_type": "UsageError",
        "exit_status": 2,
    }


@pytest.mark.parametrize(
    ("exc", "detail"),
    [
        (
            KeyboardInterrupt(),
            "interrupted by SIGINT while starting; nothing was done: run the same command again",
        ),
        (
            KeyboardInterrupt("SIGTERM"),
            "interrupted by SIGTERM while starting; nothing was done: run the same command again",
        ),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupt_while_starting_still_ends_stdout_with_the_object(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: KeyboardInterrupt,
    detail: str,
) -> None:
    """Stopped while the parser is built (torch imported): the same object as a later interrupt."""

    def interrupted(argv: list[str]) -> Any:
        raise exc

    monkeypatch.setattr("linearnets.cli._parse", interrupted)
    assert main(["softmax", "--epochs", "1", "--json"]) == 130
    out, err = capsys.readouterr()
    assert err == f"linearnets: {detail}\n"
    error = {"error": detail, "error_type": "KeyboardInterrupt", "exit_status": 130}
    assert out == json.dumps(error) + "\n"
    assert main(["softmax", "--epochs", "1"]) == 130  # without --json: the line alone
    assert capsys.readouterr() == ("", f"linearnets: {detail}\n")


# the console command, with a SIGTERM that lands while it parses its command line: sent before the
# parse starts, it is raised by the handler the command set, within that parse
_SIGTERM_WHILE_STARTING = """
import os, signal, sys
import linearnets.cli as cli
parse = cli._parse
def parse_signalled(argv):
    os.kill(os.getpid(), signal.SIGTERM)
    return parse(argv)
cli._parse = parse_signalled
sys.argv = ["linearnets", "linreg", "--json"]
cli.entry()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
def test_the_real_command_stopped_while_starting_ends_stdout_with_the_object(
    tmp_path: Path,
) -> None:
    done = _python(_SIGTERM_WHILE_STARTING, cwd=tmp_path)
    assert done.returncode == 130
    assert (
        done.stderr
        == "linearnets: interrupted by SIGTERM while starting; nothing was done: run the same command again\n"
    )
    assert _last_json(done.stdout) == {
        "error": "interrupted by SIGTERM while starting; nothing was done: run the same command again",
        "error_type": "KeyboardInterrupt",
        "exit_status": 130,
    }


def _python(code: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python in ``cwd``; return what it printed and its status."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


# a SIGTERM while the command loads its training modules, after parsing: sent from inside the import
_SIGTERM_WHILE_LOADING_TRAINING = """
import os, signal, sys

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "linearnets.tasks.resume":
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["linearnets", "softmax", "--epochs", "1", "--plot", "none", "--out", "run", "--json"]
from linearnets.cli import entry
entry()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
def test_a_stop_while_the_training_modules_load_says_nothing_was_trained(tmp_path: Path) -> None:
    """It said "interrupted by SIGTERM" alone, not that nothing had started or what to do."""
    done = _python(_SIGTERM_WHILE_LOADING_TRAINING, cwd=tmp_path)
    detail = (
        "interrupted by SIGTERM before training began; nothing was trained or kept: run the same "
        "command again"
    )
    assert (done.returncode, done.stderr) == (130, f"linearnets softmax: {detail}\n")
    assert _last_json(done.stdout)["error"] == detail
    assert list(tmp_path.iterdir()) == []  # no run folder


# a SIGTERM while the command loads sys.argv[1], a module it needs before training's own imports
_SIGTERM_ON_IMPORT = """
import os, signal, sys

MODULE = sys.argv[1]

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == MODULE:
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["linearnets", *sys.argv[2:]]
from linearnets.cli import entry
entry()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
def test_a_stop_while_the_settings_load_says_nothing_was_trained(
    blobs_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped while the command loaded the modules it needs before training's own (~70 ms, after
    parsing): it said "interrupted by SIGTERM" alone, not what to do, and a resume's JSON object
    named no run_dir."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    new = ["softmax", "--data", str(blobs_npz), "--epochs", "1", "--plot", "none", "--json"]
    done = _python_args(
        _SIGTERM_ON_IMPORT, "linearnets.tasks.stopping", *new, "--out", "run", cwd=cwd
    )
    detail = (
        "interrupted by SIGTERM before training began; nothing was trained or kept: run the same "
        "command again"
    )
    assert (done.returncode, done.stderr) == (130, f"linearnets softmax: {detail}\n")
    assert _last_json(done.stdout)["error"] == detail
    assert list(cwd.iterdir()) == []  # no run folder
    # a resume, stopped while it loads the module that reads its saved config
    assert main([*new, "--out", str(cwd / "run")]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in (cwd / "run").iterdir()}
    again = ["softmax", "--resume", "run", "--epochs", "2", "--json"]
    done = _python_args(_SIGTERM_ON_IMPORT, "linearnets.tasks.resume", *again, cwd=cwd)
    detail = (
        "interrupted by SIGTERM before the resume trained; the run is as it was: resume it with: "
        "linearnets softmax --resume run --epochs 2"
    )
    assert (done.returncode, done.stderr) == (130, f"linearnets softmax: {detail}\n")
    assert _last_json(done.stdout)["run_dir"] == str(cwd / "run")  # absolute, as on success
    assert {p.name: p.read_bytes() for p in (cwd / "run").iterdir()} == before
    done = _python_args("from linearnets.cli import entry; entry()", *again, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert _last_json(done.stdout)["epochs"] == 2


def _python_args(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python in ``cwd`` with ``args`` as ``sys.argv[1:]``."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


class _ExitedError(Exception):
    """``os._exit`` of the console command, caught to read its status."""


def _run_entry(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    from linearnets.cli import entry

    def exit_now(status: int) -> None:
        raise _ExitedError(status)

    monkeypatch.setattr(sys, "argv", ["linearnets", *argv])
    monkeypatch.setattr(os, "_exit", exit_now)
    try:
        entry()
    except _ExitedError as exited:
        status = exited.args[0]
        assert isinstance(status, int)
        return status
    except KeyboardInterrupt:  # an interrupt let out would stop pytest itself
        pytest.fail("the command let the interrupt out instead of reporting it")
    pytest.fail("the command returned instead of leaving with os._exit")


@pytest.mark.parametrize(
    ("argv", "interrupted", "error_type", "status"),
    [
        (["--debug", "linreg", "--data", "missing.npz", "--json"], False, "UsageError", 2),
        (["linreg", "--lr", "10", "--json", "--debug"], False, "DivergenceError", 1),
        (["linreg", "--debug", "--json"], True, "KeyboardInterrupt", 130),
    ],
    ids=["usage", "runtime", "interrupt"],
)
def test_debug_adds_the_traceback_and_keeps_the_status_and_the_object(
    argv: list[str],
    interrupted: bool,
    error_type: str,
    status: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The console command with --debug: the traceback, then what it says without --debug."""
    monkeypatch.chdir(tmp_path)
    if interrupted:
        monkeypatch.setattr("linearnets.cli.linreg.run", _interrupting(KeyboardInterrupt()))
    assert _run_entry([word for word in argv if word != "--debug"], monkeypatch) == status
    plain_out, plain_err = capsys.readouterr()
    assert _run_entry(argv, monkeypatch) == status
    out, err = capsys.readouterr()
    traceback, line = err[: -len(plain_err)], err[-len(plain_err) :]
    assert traceback.startswith("Traceback (most recent call last):\n")
    raised = "KeyboardInterrupt" if interrupted else f"linearnets.errors.{error_type}: "
    assert traceback.splitlines()[-1].startswith(raised)
    assert line == plain_err  # the one line, after the traceback
    error = _last_json(out)
    assert error == _last_json(plain_out)
    assert (error["error_type"], error["exit_status"]) == (error_type, status)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX process")
def test_the_real_command_with_debug_keeps_its_status_and_object(tmp_path: Path) -> None:
    argv = ["linreg", "--data", "missing.npz", "--json", "--debug"]
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last):\n")
    line = done.stderr.splitlines()[-1]
    assert line.startswith("linearnets linreg: error: --data missing.npz does not exist")
    assert _last_json(done.stdout) == {
        "error": line.removeprefix("linearnets linreg: error: "),
        "error_type": "UsageError",
        "exit_status": 2,
    }


def test_json_before_the_command_is_its_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``linearnets --json linreg`` is ``linearnets linreg --json``: results, or the error."""
    assert main(["--json", "linreg", "--epochs", "1", "--seed", "5"]) == 0
    before = _last_json(capsys.readouterr().out)
    assert main(["linreg", "--epochs", "1", "--seed", "5", "--json"]) == 0
    after = _last_json(capsys.readouterr().out)
    for results in (before, after):
        results["history"][0].pop("seconds")
    assert before == after and before["epochs"] == 1
    missing = tmp_path / "missing.npz"
    assert main(["--js", "linreg", "--data", str(missing)]) == 2  # abbreviated, as after it
    out, err = capsys.readouterr()
    assert _last_json(out) == {
        "error": _error_text(err, "linreg"),
        "error_type": "UsageError",
        "exit_status": 2,
    }


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("command", [["data"], ["data", "show"], ["predict", "runs/a"]])
def test_json_with_a_command_without_it_says_where_json_applies(
    capsys: pytest.CaptureFixture[str], command: list[str], after: bool
) -> None:
    """Once "unrecognized arguments: --json", though the top-level --help lists --json: it
    applies to softmax and linreg only, which the line now says (and the JSON object, as asked),
    before the command or after it ("data show --json" said only "unrecognized arguments")."""
    with pytest.raises(SystemExit) as info:
        main([*command, "--json"] if after else ["--json", *command])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    name = " ".join(command[:2] if command[0] == "data" else command[:1])
    prog = f"linearnets {name}"
    assert _error_text(err, name) == (
        f"--json is an option of linearnets softmax and linreg only (they end with one JSON "
        f"object of their results); {prog} has no results as JSON, only this error's object: "
        f"drop --json (see {prog} --help)"
    )
    assert _last_json(out)["error"] == _error_text(err, name)


@pytest.mark.parametrize(
    ("argv", "command", "word"),
    [
        (["data", "show", "--json=1"], "data show", "--json=1"),
        (["data", "--json=1", "show"], "data show", "--json=1"),
        (["data", "show", "--js"], "data show", "--js"),
        (["--js", "data"], "data", "--js"),
        (["predict", "runs/a", "--json="], "predict", "--json="),
    ],
)
def test_json_abbreviated_or_given_a_value_with_a_command_without_it_says_where_json_applies(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, word: str
) -> None:
    """Once only "unrecognized arguments: --json=1" (data show --json=1); the fix names the word
    given."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    prog = f"linearnets {command}"
    assert _error_text(err, command) == (
        f"--json is an option of linearnets softmax and linreg only (they end with one JSON "
        f"object of their results); {prog} has no results as JSON, only this error's object: "
        f"drop {word} (see {prog} --help)"
    )
    assert _last_json(out)["error"] == _error_text(err, command)


@pytest.mark.parametrize(
    ("argv", "command", "message"),
    [
        (["softmax", "--json=1"], "softmax", "--json takes no value, got '--json=1': write --json "
            "alone"),
        (["--json=1", "softmax"], "", "--json takes no value, got '--json=1': write --json alone"),
        (["softmax", "--json", "--lr"], "softmax", "--lr takes a positive number and got no value: "
            "nothing follows it; give its value right after it, e.g. --lr 0.1"),
        (["linreg", "--json", "--n", "3"], "linreg", "--n is an abbreviation of more than one "
            "option (--num-examples, --noise-std, --no-guard): write the one you mean in full"),
        # ("--json predict" is told predict has no --json, as "predict X --json" is)
        (["--json"], "", "COMMAND is required and was not given: give one of linreg, softmax, "
            "predict, data, e.g. linearnets linreg"),
    ],
    ids=["flag-value", "flag-value-before", "no-value", "ambiguous", "required"],
)  # fmt: skip
def test_argparses_own_errors_carry_their_readable_line_in_the_object(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    text = f"{message} (see {' '.join(['linearnets', command]).strip()} --help)"
    assert _error_text(err, command) == text
    assert _last_json(out) == {"error": text, "error_type": "UsageError", "exit_status": 2}


# rank 1 under torchrun (which sets TORCHELASTIC_RUN_ID): rank 0 speaks for the run
_RANK_1_OF_2 = {
    "RANK": "1",
    "WORLD_SIZE": "2",
    "MASTER_ADDR": "127.0.0.1",
    "MASTER_PORT": "29500",
    "TORCHELASTIC_RUN_ID": "x",
}


def test_a_silent_rank_stopped_while_starting_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """torchrun stops rank 1 while it starts (rank 0 failed first): only rank 0's object ends stdout."""

    def interrupted(argv: list[str]) -> Any:
        raise KeyboardInterrupt("SIGTERM")

    for name, value in _RANK_1_OF_2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("linearnets.cli._parse", interrupted)
    assert main(["softmax", "--epochs", "1", "--json"]) == 130
    assert capsys.readouterr() == ("", "")


def test_rank_0_stopped_by_sigterm_while_starting_names_torchrun_and_an_outside_sender(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another worker exited (killed, failed) as rank 0 started: torchrun's SIGTERM, not the
    user's; or a kill or job scheduler's, sent to rank 0 itself: both are named."""

    def interrupted(argv: list[str]) -> Any:
        raise KeyboardInterrupt("SIGTERM")

    for name, value in {**_RANK_1_OF_2, "RANK": "0"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("linearnets.cli._parse", interrupted)
    assert main(["softmax", "--epochs", "1"]) == 130
    assert capsys.readouterr() == (
        "",
        "linearnets: stopped by SIGTERM while starting: from torchrun, which stops every process "
        "once one exits or once it is stopped itself, or from outside (kill, a job scheduler); "
        "torchrun's report says which; nothing was done: once the error another process said, "
        "if one did, is fixed, run the same command again\n",
    )


def test_a_rank_started_by_hand_stopped_while_starting_says_it_itself(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without torchrun (no TORCHELASTIC_RUN_ID) rank 1 has its own terminal and stdout: its stop
    is said there, named by its rank, with its own object."""

    def interrupted(argv: list[str]) -> Any:
        raise KeyboardInterrupt("SIGTERM")

    for name, value in _RANK_1_OF_2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID")
    monkeypatch.setattr("linearnets.cli._parse", interrupted)
    assert main(["softmax", "--epochs", "1", "--json"]) == 130
    detail = "interrupted by SIGTERM while starting; nothing was done: run the same command again"
    out, err = capsys.readouterr()
    assert err == f"linearnets (rank 1): {detail}\n"
    assert json.loads(out) == {
        "error": detail,
        "error_type": "KeyboardInterrupt",
        "exit_status": 130,
    }


def test_a_stop_of_the_librarys_own_that_says_nothing_names_its_signal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A KeyboardInterrupt subclass with no words printed "linearnets softmax: " and nothing."""
    from linearnets.cli._outcomes import report_interrupt

    class Quiet(KeyboardInterrupt):
        pass

    assert report_interrupt(Quiet(), "linearnets softmax", json_errors=True) == 130
    out, err = capsys.readouterr()
    assert err == "linearnets softmax: interrupted by SIGINT\n"
    assert json.loads(out) == {
        "error": "interrupted by SIGINT",
        "error_type": "Quiet",
        "exit_status": 130,
    }


def _sigterm_instead_of_sleep(seconds: float) -> None:
    """torchrun's SIGTERM, landing while a silent rank waits for rank 0 to speak."""
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["softmax", "--lr", "0", "--json"], 2),  # the parser's usage error
        (["linreg", "--epochs", "1", "--json"], 2),  # a UsageError while running: one process only
    ],
    ids=["parse", "run"],
)
def test_a_silent_rank_stopped_while_waiting_exits_with_its_status_in_silence(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
) -> None:
    import time

    for name, value in _RANK_1_OF_2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(time, "sleep", _sigterm_instead_of_sleep)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's way out of a command line that does not parse
            code = exc.code
    except KeyboardInterrupt:  # let out, it would stop pytest itself
        pytest.fail("the silent rank let the SIGTERM out")
    assert code == status
    assert capsys.readouterr() == ("", "")


def test_a_silent_rank_stopped_after_an_interrupt_stays_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from linearnets._signals import sigterm_as_keyboard_interrupt
    from linearnets.cli._outcomes import report_interrupt

    for name, value in _RANK_1_OF_2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(time, "sleep", _sigterm_instead_of_sleep)
    try:
        with sigterm_as_keyboard_interrupt():
            code = report_interrupt(KeyboardInterrupt(), "linearnets softmax", json_errors=True)
    except KeyboardInterrupt:
        pytest.fail("the silent rank let the SIGTERM out")
    assert code == 130
    assert capsys.readouterr() == ("", "")


def _stopped_in_prepare(*args: object, **kwargs: object) -> Any:
    raise KeyboardInterrupt("SIGTERM")  # as a SIGTERM lands while the data is read


def test_a_resume_stopped_before_training_names_the_folder_and_the_same_command(
    blobs_npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Stopped while the resume reads its data: the folder keeps its checkpoint, and the same
    command, run again, trains the epochs asked for."""
    run = tmp_path / "run"
    common = ["--data", str(blobs_npz), "--plot", "none", "--batch-size", "20"]
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    capsys.readouterr()
    again = ["softmax", "--resume", str(run), "--epochs", "2", "--json"]
    with monkeypatch.context() as m:
        m.setattr("linearnets.tasks.resume.prepare", _stopped_in_prepare)
        assert main(again) == 130
    out, err = capsys.readouterr()
    detail = (
        f"interrupted by SIGTERM before the resume trained; the run is as it was: resume it "
        f"with: linearnets softmax --resume {run} --epochs 2"
    )
    assert err == f"linearnets softmax: {detail}\n"
    assert json.loads(out.strip().splitlines()[-1]) == {
        "error": detail,
        "error_type": "StoppedBeforeTraining",
        "exit_status": 130,
        "run_dir": str(run),
    }
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert main(again) == 0
    assert _last_json(capsys.readouterr().out)["epochs"] == 2


def test_a_forced_resume_stopped_before_training_gives_its_command_with_its_options(
    blobs_npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Stopped while a forced resume ("--lr 0.05 --force") read its data, before config.json
    recorded its settings: it said "resume DIR with the same command", and the plain --resume DIR
    run next trained at the run's old lr, 0.1. It gives the command, its options with it, which
    trains at 0.05."""
    import shlex

    run = tmp_path / "my run"
    common = ["--data", str(blobs_npz), "--plot", "none", "--batch-size", "20", "--lr", "0.1"]
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    again = ["softmax", "--resume", str(run), "--epochs", "2", "--lr", "0.05", "--force"]
    with monkeypatch.context() as m:
        m.setattr("linearnets.tasks.resume.prepare", _stopped_in_prepare)
        assert main(again) == 130
    command = f"linearnets softmax --resume {shlex.quote(str(run))} --epochs 2 --lr 0.05 --force"
    assert capsys.readouterr().err == (
        "linearnets softmax: interrupted by SIGTERM before the resume trained; the run is as it "
        f"was: resume it with: {command}\n"
    )
    assert json.loads((run / "config.json").read_text())["config"]["lr"] == 0.1  # not recorded
    assert main(shlex.split(command)[1:]) == 0  # as pasted
    saved = json.loads((run / "config.json").read_text())
    assert saved["config"]["lr"] == 0.05 and saved["resumes"][-1]["forced"] == {
        "lr": ["0.1", "0.05"]
    }


def test_a_new_run_stopped_before_training_leaves_no_folder(
    blobs_npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = tmp_path / "run"
    monkeypatch.setattr("linearnets.tasks.softmax.prepare", _stopped_in_prepare)
    argv = ["softmax", "--data", str(blobs_npz), "--plot", "none", "--out", str(run)]
    assert main(argv) == 130
    detail = (
        "interrupted by SIGTERM before training began; nothing was trained or kept: run the same "
        "command again"
    )
    assert capsys.readouterr() == ("", f"linearnets softmax: {detail}\n")
    assert not run.exists()


def _ctrl_c_cut_short_by_sigterm(*args: object, **kwargs: object) -> Any:
    """torchrun's SIGINT (a Ctrl-C) while the data is read, and its SIGTERM (a second Ctrl-C)
    while that stop is on its way out."""
    try:
        raise KeyboardInterrupt
    finally:
        raise KeyboardInterrupt("SIGTERM")


@pytest.mark.parametrize("resume", [False, True], ids=["new", "resume"])
def test_a_ctrl_c_cut_short_by_a_second_signal_is_told_as_the_ctrl_c(
    blobs_npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    resume: bool,
) -> None:
    """Under torchrun a Ctrl-C pressed twice reaches the workers as SIGINT, then SIGTERM: the stop
    was told as "interrupted by SIGTERM", which the user never sent."""
    run = tmp_path / "run"
    argv = ["softmax", "--data", str(blobs_npz), "--plot", "none", "--epochs", "1"]
    if resume:
        assert main([*argv, "--out", str(run)]) == 0
        capsys.readouterr()
        argv = ["softmax", "--resume", str(run), "--epochs", "2"]
        after = (
            "before the resume trained; the run is as it was: resume it with: linearnets "
            f"softmax --resume {run} --epochs 2"
        )
    else:
        argv += ["--out", str(run)]
        after = "before training began; nothing was trained or kept: run the same command again"
    module = "resume" if resume else "softmax"
    monkeypatch.setattr(f"linearnets.tasks.{module}.prepare", _ctrl_c_cut_short_by_sigterm)
    assert main(argv) == 130
    assert capsys.readouterr().err == (f"linearnets softmax: interrupted by SIGINT {after}\n")


def test_a_new_run_stopped_while_writing_its_config_leaves_no_folder_and_runs_again(
    blobs_npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A Ctrl-C in the folder's fsync after config.json's rename (a slow disk) left config.json:
    "run the same command again" was then refused ("already holds a run")."""
    import linearnets.tasks.softmax as softmax_task

    real_write = softmax_task.write_run_config

    def written_then_stopped(*args: Any, **kwargs: Any) -> None:
        real_write(*args, **kwargs)
        assert (run / "config.json").is_file()
        raise KeyboardInterrupt("SIGTERM")  # as it lands in the fsync after the rename

    run = tmp_path / "run"
    argv = ["softmax", "--data", str(blobs_npz), "--plot", "none", "--out", str(run)]
    with monkeypatch.context() as m:
        m.setattr(softmax_task, "write_run_config", written_then_stopped)
        assert main([*argv, "--epochs", "1"]) == 130
    assert capsys.readouterr().err.endswith(
        "nothing was trained or kept: run the same command again\n"
    )
    assert not run.exists()
    assert main([*argv, "--epochs", "1"]) == 0  # the same command, as the line says


def test_a_run_stopped_by_a_full_disk_names_its_folder_in_json(
    blobs_npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The disk fills while epoch 2's metrics are written, after its checkpoint: the object names
    the run's folder, as a stopped run's does, and the resume it gives ends the run."""
    import errno

    from linearnets.training.callbacks import MetricsWriter

    real = MetricsWriter.on_epoch_end

    def fills(self: MetricsWriter, *, metrics: Any) -> None:
        if metrics.epoch == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, metrics=metrics)

    run = tmp_path / "run"
    common = ["--data", str(blobs_npz), "--plot", "none", "--batch-size", "20"]
    with monkeypatch.context() as m:
        m.setattr(MetricsWriter, "on_epoch_end", fills)
        assert main(["softmax", *common, "--epochs", "3", "--out", str(run), "--json"]) == 1
    out, err = capsys.readouterr()
    error = _last_json(out)
    assert error["run_dir"] == str(run)
    assert error["error"] == err.removeprefix("linearnets softmax: error: ").rstrip("\n")
    assert error["error"].endswith(
        f"the checkpoint of epoch 2 is kept in {run}; continue it with: linearnets softmax "
        f"--resume {run}"
    )
    assert main(["softmax", "--resume", str(run), "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["epochs"] == 3


def test_a_run_whose_metrics_file_finds_the_disk_full_names_its_folder_in_json(
    blobs_npz: Path,
    tmp_path: Path,
    full_disk: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The disk fills as metrics.jsonl takes epoch 2's line: the run stops with the RunFileError
    naming the file, and its object had no run_dir, though the folder holds the checkpoint the
    message resumes. It names it now, as an interrupted run's object does."""
    full_disk.metrics_at_epoch_2()
    run = tmp_path / "run"
    common = ["--data", str(blobs_npz), "--plot", "none", "--batch-size", "20"]
    assert main(["softmax", *common, "--epochs", "3", "--out", str(run), "--json"]) == 1
    out, err = capsys.readouterr()
    said = err.removeprefix("linearnets softmax: error: ").rstrip("\n")
    assert said.startswith(f"{run / 'metrics.jsonl'} could not be written: the disk is full (")
    assert said.endswith(
        f"the checkpoint of the run's last finished epoch is kept: fix that and continue it with "
        f"linearnets softmax --resume {run}"
    )  # no torchrun: its words are not there
    assert _last_json(out) == {
        "error": said,
        "error_type": "RunFileError",
        "exit_status": 1,
        "run_dir": str(run),
    }
    full_disk.undo()
    assert main(["softmax", "--resume", str(run), "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["epochs"] == 3


@pytest.mark.parametrize(("epoch", "again"), [(1, "start it over"), (2, "continue it")])
def test_a_run_whose_checkpoint_finds_the_disk_full_gives_the_resume_of_its_folder(
    blobs_npz: Path,
    tmp_path: Path,
    full_disk: Any,
    capsys: pytest.CaptureFixture[str],
    epoch: int,
    again: str,
) -> None:
    """The disk fills as checkpoint.pt of epoch 1 or 2 is written: the line ended "fix that and
    continue with --resume", naming no folder. It gives the resume of the run's folder now, quoted
    for the shell, as a whole command (the options alone were none to paste); the oracle: the
    command it gives, read by the shell and run, ends the run."""
    import shlex

    run = tmp_path / "my run"
    common = ["--data", str(blobs_npz), "--plot", "none", "--batch-size", "20"]
    full_disk.checkpoint_at_epoch(epoch)
    assert main(["softmax", *common, "--epochs", "3", "--out", str(run), "--json"]) == 1
    full_disk.undo()
    out, err = capsys.readouterr()
    said = err.removeprefix("linearnets softmax: error: ").rstrip("\n")
    kept = "the previous checkpoint is kept" if epoch == 2 else "no earlier checkpoint exists"
    assert said.startswith(f"{run / 'checkpoint.pt'} could not be written: the disk is full (")
    head, command = said.rsplit(f"; {kept}; fix that and {again} with ", 1)
    assert head.endswith(" KiB free)") and command == f"linearnets softmax --resume '{run}'"
    assert _last_json(out) == {
        "error": said,
        "error_type": "CheckpointError",
        "exit_status": 1,
        "run_dir": str(run),
    }
    assert main([*shlex.split(command)[1:], "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["epochs"] == 3


@pytest.mark.parametrize("how", ["new run", "resume"])
def test_a_diverged_linreg_run_names_its_folder_in_json(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """linreg's divergence after an epoch was kept gave no run_dir, where softmax's gives it: the
    folder stays (the oracle: its checkpoint), and a script found it in the message's words."""
    run = tmp_path / "run"
    if how == "new run":  # lr 1.8 blows up in epoch 4 of the book's data, 3 epochs kept
        argv = ["linreg", "--lr", "1.8", "--epochs", "5", "--out", str(run), "--json"]
    else:
        assert main(["linreg", "--epochs", "5", "--out", str(run)]) == 0
        argv = ["linreg", "--resume", str(run), "--epochs", "7", "--lr", "10", "--force", "--json"]
    capsys.readouterr()
    assert main(argv) == 1
    out, err = capsys.readouterr()
    error = _last_json(out)
    assert (error["error_type"], error["run_dir"]) == ("DivergenceError", str(run))
    assert error["error"] == _error_text(err, "linreg")
    assert (run / "checkpoint.pt").is_file()
    assert f"is kept in {run} (continue it with a smaller lr: " in error["error"]


def test_a_diverged_run_names_its_folder_in_json(
    blobs_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A divergence stops a run whose folder was made: its object names it, as a stopped run's."""
    run = tmp_path / "run"
    argv = ["softmax", "--data", str(blobs_npz), "--plot", "none", "--batch-size", "20"]
    assert main([*argv, "--lr", "1e6", "--epochs", "2", "--out", str(run), "--json"]) == 1
    out, err = capsys.readouterr()
    error = _last_json(out)
    assert (error["error_type"], error["run_dir"]) == ("DivergenceError", str(run))
    assert error["error"] == _error_text(err, "softmax")
    assert (
        f"start it over with a smaller lr: linearnets softmax --resume {run} --lr 0.5;"
        in (error["error"])
    )
    assert (run / "config.json").is_file()
