"""linearnets._command: a Ctrl-C or SIGTERM while the command's modules load is held, then reported.

The command (the console script pip writes from ``pyproject.toml``, and ``python -m linearnets``)
is run in a child Python whose import system sends the signal while :mod:`linearnets.cli` loads,
before the command has set any handler of its own.
"""

from __future__ import annotations

import importlib.metadata
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import linearnets._command
import linearnets.cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")

# a signal sent from inside the import of one of linearnets.cli's modules, as a Ctrl-C typed while
# the command starts; sent again at the next one, as a user pressing twice
_SIGNAL_WHILE_LOADING = """
import os, signal, sys

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name in ("linearnets.cli._report", "linearnets.cli._parser"):
            os.kill(os.getpid(), signal.{signal})
        return None

{ignore}
sys.meta_path.insert(0, SignalOnImport())
sys.argv = {argv}
{start}
"""

_STARTS = {
    # what the console script pip writes runs: the entry point pyproject.toml declares
    "console-script": "import importlib.metadata\n"
    "(ep,) = importlib.metadata.entry_points(group='console_scripts', name='linearnets')\n"
    "ep.load()()",
    "python -m": "import runpy\nrunpy.run_module('linearnets', run_name='__main__')",
}


def _command_signalled(
    sig: str,
    *,
    start: str = "console-script",
    argv: tuple[str, ...] = ("softmax", "--epochs", "1", "--json"),
    ignored: bool = False,
) -> str:
    """The child's code: ``linearnets ARGV`` started as ``start``, ``sig`` sent while it loads."""
    return _SIGNAL_WHILE_LOADING.format(
        signal=sig,
        start=_STARTS[start],
        argv=repr(["linearnets", *argv]),
        ignore=f"signal.signal(signal.{sig}, signal.SIG_IGN)" if ignored else "",
    )


@pytest.mark.parametrize("start", sorted(_STARTS))
@pytest.mark.parametrize(
    ("sig", "detail"),
    [
        (
            "SIGINT",
            "interrupted by SIGINT while starting; nothing was done: run the same command again",
        ),
        (
            "SIGTERM",
            "interrupted by SIGTERM while starting; nothing was done: run the same command again",
        ),
    ],
)
def test_a_signal_while_the_command_loads_is_reported_in_one_line(
    tmp_path: Path, start: str, sig: str, detail: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _command_signalled(sig, start=start)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == f"linearnets: {detail}\n"  # not Python's traceback, nor silence
    assert done.returncode == 130
    error = {"error": detail, "error_type": "KeyboardInterrupt", "exit_status": 130}
    assert done.stdout == json.dumps(error) + "\n"
    assert list(tmp_path.iterdir()) == []  # no run folder was started


def test_nothing_is_imported_before_the_signals_are_held(tmp_path: Path) -> None:
    """The console script imports the package and ``linearnets._command``, then calls ``entry``,
    whose first act is to hold the signals: until then a Ctrl-C is Python's traceback. Those two
    modules import nothing else (``signal`` built its enums there, 0.5–5 ms, and ``__future__``),
    and ``_signal``, which ``entry`` uses, is the one Python loaded at its start."""
    code = (
        "import sys\n"
        "started = set(sys.modules)\n"
        "import linearnets._command\n"
        "print(sorted(set(sys.modules) - started), '_signal' in started)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert (done.stdout, done.stderr) == ("['linearnets', 'linearnets._command'] True\n", "")


def test_the_console_script_is_this_entry() -> None:
    (point,) = importlib.metadata.entry_points(group="console_scripts", name="linearnets")
    assert point.value == "linearnets._command:entry"


def test_nothing_held_the_command_runs_with_the_handlers_there_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    seen: list[tuple[int | None, dict[int, object]]] = []

    def command(*, stopped_while_loading: int | None = None) -> None:
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        seen.append((stopped_while_loading, handlers))

    monkeypatch.setattr(linearnets.cli, "entry", command)
    linearnets._command.entry()
    assert seen == [(None, before)]


def test_two_signals_while_loading_are_held_and_the_first_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C, then a SIGTERM, both while linearnets.cli loads (here: as its ``entry`` is looked
    up): neither stops the load, and the stop reported is the first, the one the user gave."""
    import os
    import types

    seen: list[int | None] = []

    def command(*, stopped_while_loading: int | None = None) -> None:
        seen.append(stopped_while_loading)

    class Loading(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            if name != "entry":
                raise AttributeError(name)
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)
            return command

    monkeypatch.setitem(sys.modules, "linearnets.cli", Loading("linearnets.cli"))
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    linearnets._command.entry()
    assert seen == [signal.SIGINT]
    assert {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} == before


def test_a_signal_the_command_was_started_with_ignored_stays_ignored(tmp_path: Path) -> None:
    """``cmd &`` in a shell script starts the command with SIGINT ignored: it is not held either."""
    done = subprocess.run(
        [sys.executable, "-c", _command_signalled("SIGINT", argv=("--version",), ignored=True)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "linearnets 0.1.0\n", "")


# a signal sent once, from inside torch's own import, as a Ctrl-C typed while a command loads it
_SIGNAL_WHILE_TORCH_LOADS = """
import os, signal, sys

class SignalOnImport:
    sent = False
    def find_spec(self, name, path=None, target=None):
        if name == {module!r} and not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.{signal})
        return None

sys.meta_path.insert(0, SignalOnImport())
sys.argv = {argv}
import runpy
runpy.run_module('linearnets', run_name='__main__')
"""


@pytest.mark.parametrize(
    "argv",
    [("linreg", "--epochs", "1", "--json"), ("predict", "no-run")],
    ids=["linreg", "predict"],
)
@pytest.mark.parametrize(
    # torch._prims: deep in torch's import, which the stop left half-made (the report then
    # failed importing torch again: "partially initialized module 'torch' has no attribute 'fx'",
    # a traceback, exit 1); numpy.linalg: numpy's import under torch._C's, which swallowed the
    # KeyboardInterrupt (the command ran to its end, exit 0)
    "module",
    ["torch._prims", "numpy.linalg"],
)
@pytest.mark.parametrize(
    ("sig", "said"), [("SIGINT", "interrupted by SIGINT"), ("SIGTERM", "interrupted by SIGTERM")]
)
def test_a_signal_while_a_command_imports_torch_is_one_line_and_exit_130(
    tmp_path: Path, argv: tuple[str, ...], module: str, sig: str, said: str
) -> None:
    code = _SIGNAL_WHILE_TORCH_LOADS.format(
        module=module, signal=sig, argv=repr(["linearnets", *argv])
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    detail = f"{said} while starting; nothing was done: run the same command again"
    assert done.stderr == f"linearnets {argv[0]}: {detail}\n"
    assert done.returncode == 130
    error = {"error": detail, "error_type": "StoppedWhileStarting", "exit_status": 130}
    assert done.stdout == (json.dumps(error) + "\n" if "--json" in argv else "")
    assert list(tmp_path.iterdir()) == []


def test_a_stop_is_reported_in_one_line_where_torch_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stop that cut torch's import short: reporting it imported torch again (to tell a
    training stop), which failed with a traceback in place of the line."""
    from linearnets.cli._outcomes import report_interrupt

    monkeypatch.delitem(sys.modules, "linearnets.training.interrupt", raising=False)
    monkeypatch.setitem(sys.modules, "torch", None)  # an import of it raises ImportError
    assert report_interrupt(KeyboardInterrupt("SIGTERM"), "linearnets linreg", json_errors=False)
    assert capsys.readouterr().err == "linearnets linreg: interrupted by SIGTERM\n"


# a SIGTERM sent once, as the command leaves: at the first handler put back once it has ended (the
# command's own, as it gave Python's back), at exit, or in the interpreter's teardown, whichever
# comes first; the loop lets Python run the handler then in place before the process is gone
_SIGTERM_AS_THE_COMMAND_LEAVES = """
import atexit, os, signal, sys
import linearnets.cli as cli

sent, ended = [], []

def sigterm():
    if not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10000):
            pass

real_main, real_signal, real_exit = cli._main, signal.signal, os._exit

def main(*args, **kwargs):
    try:
        return real_main(*args, **kwargs)
    finally:
        ended.append(1)

def put(signum, handler):
    previous = real_signal(signum, handler)
    if ended:
        sigterm()
    return previous

def leave(code):
    sigterm()
    real_exit(code)

cli._main, signal.signal, os._exit = main, put, leave
atexit.register(sigterm)
sys.argv = {argv}
import runpy
runpy.run_module('linearnets', run_name='__main__')
"""


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (("linreg", "--epochs", "1", "--out", "run"), 0),
        (("softmax", "--epochs", "0"), 2),
        (("linreg", "--help"), 0),
    ],
    ids=["run", "usage-error", "help"],
)
def test_a_sigterm_once_the_command_has_ended_leaves_its_status(
    tmp_path: Path, argv: tuple[str, ...], status: int
) -> None:
    """The command had printed all and written its run folder whole; a SIGTERM as it left (its
    handlers given back, or a usage error's interpreter teardown) ended it as killed by SIGTERM,
    status -15 (143 in a shell), which a script or CI reads as a failed run."""
    code = _SIGTERM_AS_THE_COMMAND_LEAVES.format(argv=repr(["linearnets", *argv]))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == status, done.stderr
    if argv[0] == "linreg" and status == 0 and "--help" not in argv:
        assert done.stderr == ""
        assert done.stdout.splitlines()[-1] == "run folder: run"
        assert json.loads((tmp_path / "run" / "results.json").read_text())["epochs"] == 1
    elif status == 2:
        assert done.stderr.count("\n") == 1 and "--epochs" in done.stderr
    else:
        assert done.stdout.startswith("usage: linearnets linreg")
