"""Shared fixtures: seeded generators, headless plotting, one thread for bit-exact runs."""

from __future__ import annotations

import atexit
import builtins
import contextlib
import os
import signal
import struct
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")
# a test run started with SIGINT ignored (under nohup, or by a script that runs it in the
# background) would keep it ignored, as a command does (linearnets._signals): the tests that stop
# a run with a Ctrl-C need it delivered, as at a terminal
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_figures_left_open() -> Iterator[None]:
    """Close the pyplot figures a test left (the book's figures are pyplot's, as in d2l), so that
    they neither pile up past matplotlib's 20-figure warning nor show up in a later test's count."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")  # never imported just for this
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture(autouse=True)
def _matplotlib_settings_restored() -> Iterator[None]:
    """Put matplotlib's rcParams back as they were before the test (its defaults, where the test
    imported it): the book's plot() and set_figsize() set the default figure size for good, as
    in d2l, and a later test would draw at the size an earlier one left."""
    mpl = sys.modules.get("matplotlib")  # never imported just for this
    saved = None if mpl is None else dict(mpl.rcParams.copy())
    yield
    mpl = sys.modules.get("matplotlib")
    if mpl is None:
        return
    if saved is None:
        mpl.rc_file_defaults()  # as at its import (the backend kept)
    else:
        del saved["backend"]  # as rc_context does: setting it would switch backends
        dict.update(mpl.rcParams, saved)


_RUNS_HERE = Path.cwd() / "runs"  # where a run without out= goes: the folder the suite runs from


def _runs_here() -> set[str]:
    try:
        return set(os.listdir(_RUNS_HERE))
    except OSError:  # none yet (or no folder there)
        return set()


@pytest.fixture(autouse=True)
def _no_run_left_in_the_working_folder() -> Iterator[None]:
    """Fail a test that leaves a run folder in the folder the suite was started from (the
    checkout): a run without ``out`` writes runs/NAME-TIME there, and it stays."""
    before = _runs_here()
    yield
    left = sorted(_runs_here() - before)
    if left:
        pytest.fail(
            f"the test left {', '.join(left)} in {_RUNS_HERE}: give its run an out= (or --out) "
            "under tmp_path, or monkeypatch.chdir(tmp_path)"
        )


@pytest.fixture
def gen() -> torch.Generator:
    """A torch generator seeded with 0."""
    return torch.Generator().manual_seed(0)


class FirstEpochLosses:
    """A ``fit`` callback that keeps each step's per-example losses of the first epoch, as float64
    copies of shape (B,) (fit calls the hooks a callback has: no base class needed here)."""

    def __init__(self) -> None:
        self.epoch = 0
        self.losses: list[torch.Tensor] = []

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self.epoch = epoch

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        if self.epoch == 1:
            self.losses.append(losses.detach().double().flatten().clone())


@pytest.fixture
def first_epoch_losses() -> FirstEpochLosses:
    """A :class:`FirstEpochLosses` to pass in a run's ``callbacks``."""
    return FirstEpochLosses()


class PseudoTerminal:
    """A pseudo-terminal of 24 rows and 40 columns: ``stream`` writes to it, ``written()`` returns
    all written so far."""

    def __init__(self) -> None:
        fcntl = pytest.importorskip("fcntl")
        termios = pytest.importorskip("termios")
        self._master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
        self.stream = os.fdopen(slave, "w")

    def written(self) -> str:
        """Return what was written to ``stream``; a pseudo-terminal passes writes on a moment
        later, so it reads up to a mark written last."""
        self.stream.write("<end>")
        self.stream.flush()
        output = b""
        while not output.endswith(b"<end>"):
            output += os.read(self._master, 65536)
        return output[: -len(b"<end>")].decode()

    def close(self) -> None:
        self.stream.close()
        os.close(self._master)


@pytest.fixture
def pseudo_terminal() -> Iterator[PseudoTerminal]:
    """A :class:`PseudoTerminal` 40 columns wide (set it as sys.stderr in the test itself: pytest
    puts back its own capture between a fixture's setup and the test)."""
    terminal = PseudoTerminal()
    try:
        yield terminal
    finally:
        terminal.close()


def _path_without_this_python() -> str:
    """Return ``$PATH`` without the folder of the Python running the tests (the virtual
    environment's ``bin``): a command started with it runs as where the environment is not
    activated, and says to start itself again as ``/path/to/python -m linearnets``."""
    here = os.path.abspath(os.path.dirname(sys.executable))
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and os.path.abspath(f) != here)


def _signal_at_first_checkpoint(args: list[str], out: Path, signum: int) -> tuple[int, str]:
    """Start ``python -m linearnets *args --out out`` on one thread, the virtual environment not
    on the ``PATH`` (:func:`_path_without_this_python`), send ``signum`` once its first checkpoint
    is written; return (exit status, stderr)."""
    import subprocess
    import time

    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", PATH=_path_without_this_python())
    cmd = [sys.executable, "-m", "linearnets", *args, "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no checkpoint appeared; stderr: {proc.communicate()[1]}")
        time.sleep(0.005)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.fixture
def path_without_this_python() -> str:
    """``$PATH`` without the virtual environment's ``bin`` (see :func:`_path_without_this_python`)."""
    return _path_without_this_python()


@pytest.fixture
def signal_at_first_checkpoint() -> Callable[[list[str], Path, int], tuple[int, str]]:
    """``signal_at_first_checkpoint(["softmax", ...], out, signal.SIGINT)``: a real run, stopped by
    a real signal once its first checkpoint exists; returns (exit status, stderr)."""
    return _signal_at_first_checkpoint


@contextlib.contextmanager
def _failing_after(seconds: int, what: str) -> Iterator[None]:
    """Fail the test saying ``what``, rather than hang the suite, if the block runs ``seconds``
    (a FIFO opened, a loop that never ends); pytest.fail's exception is no OSError, nor any
    Exception: nothing in the code under test swallows it."""

    def fail(*_: object) -> None:
        pytest.fail(what)

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def failing_after() -> Callable[[int, str], AbstractContextManager[None]]:
    """``with failing_after(5, "blocked opening the FIFO"):`` fail, not hang, past 5 s."""
    return _failing_after


@contextlib.contextmanager
def _lock_held_by_a_child(folder: Path) -> Iterator[int]:
    """Fork a child that holds ``folder``'s run lock as a training run does; yield its pid once it
    holds it, and kill it (-9: the lock file stays, stale) when the block ends."""
    from linearnets.training.run_lock import RunLock

    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # the child: hold the folder until killed
        try:
            RunLock(folder).acquire()
            os.write(ready_w, b"1")
            signal.pause()
        finally:
            os._exit(0)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"1"
        os.close(ready_r)
        yield child
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


@pytest.fixture
def deny_search(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``deny_search(*folders)``: make ``folders`` unsearchable (no ``x`` permission): looking up
    anything in them fails with EACCES, as a chmod 000 does for a user who is not root (faked: the
    tests may run as root)."""

    def deny(*folders: Path) -> None:
        real = os.stat

        def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if not isinstance(path, int):
                where = Path(os.path.abspath(os.fsdecode(path)))
                if any(folder in where.parents for folder in folders):
                    raise PermissionError(13, "Permission denied", os.fsdecode(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, "stat", stat)

    return deny


@pytest.fixture
def not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as a user who is not root (euid 1000), whom a folder's mode refuses and a
    chmod fixes: faked, the tests may run as root."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)


def _interrupted_checkpoint(run_dir: Path) -> Path:
    """Write the ``checkpoint.pt`` a softmax run interrupted after its first epoch leaves (a
    small model's state: only its loading matters) into ``run_dir``, made if missing."""
    from linearnets.training.checkpoint import CHECKPOINT_FILE, save_checkpoint

    run_dir.mkdir(parents=True, exist_ok=True)
    net = torch.nn.Linear(4, 3)
    return save_checkpoint(
        run_dir / CHECKPOINT_FILE,
        model_state=net.state_dict(),
        optimizer_state=torch.optim.SGD(net.parameters(), lr=0.1).state_dict(),
        epoch=1,
        generators_state={},
        history=[],
        config={"impl": "concise", "lr": 0.1, "epochs": 2},
    )


@pytest.fixture
def interrupted_checkpoint() -> Callable[[Path], Path]:
    """``interrupted_checkpoint(run_dir)`` writes a readable checkpoint of an unfinished run."""
    return _interrupted_checkpoint


@pytest.fixture
def lock_held_by_a_child() -> Callable[[Path], AbstractContextManager[int]]:
    """``with lock_held_by_a_child(folder) as pid:`` a live process holds ``folder``'s run lock."""
    return _lock_held_by_a_child


@pytest.fixture
def ipython(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """An IPython shell (the one Jupyter's kernel subclasses), without the globals it would keep."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    for name in ("__IPYTHON__", "display"):  # the shell puts them in builtins: taken out after
        monkeypatch.setattr(builtins, name, None, raising=False)
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # the shell takes it
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = interactiveshell.InteractiveShell(config=config)
    atexit.unregister(shell.atexit_operations)
    return shell


class FullDisk:
    """Makes a run's files find the disk full (ENOSPC) as a given epoch writes them, until
    :meth:`undo` (or the test's end)."""

    def __init__(self) -> None:
        self._monkeypatch = pytest.MonkeyPatch()

    def undo(self) -> None:
        """Give the disk its space back."""
        self._monkeypatch.undo()

    def metrics_at_epoch_2(self) -> None:
        """metrics.jsonl fails as epoch 2's line is appended, after epoch 2's checkpoint."""
        import errno

        from linearnets.training import metrics_files

        append = metrics_files.MetricsWriter._append
        written: list[Path] = []

        def full(path: Path, text: str) -> None:
            written.append(path)
            if len(written) > 2:  # metrics.jsonl and metrics.csv of epoch 1, then epoch 2's
                # as _append raises it when the write fails
                error = OSError(errno.ENOSPC, "No space left on device")
                raise metrics_files.run_file_error(path, error)
            append(path, text)

        self._monkeypatch.setattr(metrics_files.MetricsWriter, "_append", staticmethod(full))

    def checkpoint_at_epoch(self, epoch: int) -> None:
        """checkpoint.pt fails as epoch ``epoch``'s checkpoint is written."""
        import errno

        from linearnets.training import checkpoint_write

        save = checkpoint_write._torch_save

        def full(obj: Any, f: Any) -> None:
            if isinstance(obj, dict) and obj.get("epoch") == epoch:  # that epoch's checkpoint
                raise OSError(errno.ENOSPC, "No space left on device")
            save(obj, f)

        self._monkeypatch.setattr(checkpoint_write, "_torch_save", full)


@pytest.fixture
def full_disk() -> Iterator[FullDisk]:
    """A :class:`FullDisk` for the test's run files."""
    disk = FullDisk()
    yield disk
    disk.undo()


@pytest.fixture
def refuse_open(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, int], None]:
    """Return ``refuse(path, errno_)``, which makes ``open(path)`` fail with ``errno_`` (a
    ``PermissionError`` for EACCES), as the system would for a file its permissions or the disk
    deny: tests run as root, which reads any file. ``monkeypatch.undo()`` reads it again."""
    real_open = builtins.open

    def refuse(path: Path, errno_: int) -> None:
        def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, str | os.PathLike) and Path(file) == path:
                raise OSError(errno_, os.strerror(errno_), str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)

    return refuse
