"""The plotting process: calls run in order in a forked child, failures surface at close, signals end it."""

from __future__ import annotations

import errno
import functools
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from linearnets.plotting import plot_confusion_matrix, plot_predictions
from linearnets.plotting.background import PlotError, PlotProcess, start_plot_process
from linearnets.plotting.remote_curves import RemoteCurves, _close_curves, _update_curves

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the plotting process forks (Linux only)"
)


def _record(path: str, value: int) -> None:
    with open(path, "a") as f:
        f.write(f"{os.getpid()} {value}\n")


def _fail(message: str) -> None:
    raise ValueError(message)


def _die() -> None:
    os._exit(3)


def test_calls_run_in_order_in_another_process(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    plots = start_plot_process()
    assert isinstance(plots, PlotProcess)
    for value in range(20):
        plots.call(_record, str(log), value)
    plots.close()
    rows = [line.split() for line in log.read_text().splitlines()]
    assert [int(v) for _, v in rows] == list(range(20))  # all of them, in order, done at close
    assert {int(pid) for pid, _ in rows} != {os.getpid()} and len({pid for pid, _ in rows}) == 1


def test_failed_calls_are_reported_at_close_and_the_others_still_run(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    plots = PlotProcess()
    plots.call(_record, str(log), 1)
    plots.call(_fail, "no such font")
    plots.call(_record, str(log), 2)
    plots.call(_fail, "again")
    plots.call(_fail, "and again")
    with pytest.raises(
        PlotError,
        match=r"drawing fail failed with ValueError: no such font \(and 2 more\); the other files",
    ):
        plots.close()
    assert log.read_text().split()[1::2] == ["1", "2"]


def _import_matplotlib_afresh() -> None:
    """Import matplotlib in the child as a fresh process would: its modules and PIL's dropped."""
    for name in [n for n in sys.modules if n.partition(".")[0] in ("matplotlib", "PIL")]:
        del sys.modules[name]
    import matplotlib.pyplot  # noqa: F401


def test_a_stray_module_that_shadows_a_dependency_is_named_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stray PIL.py ahead of pillow's on sys.path (the working folder): the figures failed with
    "ImportError: broken", and the resume advised after it failed the same way. The child says what
    the command line says of it, the count of failures before the fix, the fix last."""
    pytest.importorskip("PIL")
    (tmp_path / "PIL.py").write_text("raise ImportError('broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # the fork copies it to the child
    plots = PlotProcess()
    plots.call(_import_matplotlib_afresh)
    plots.call(_import_matplotlib_afresh)
    with pytest.raises(PlotError) as info:
        plots.close()
    assert str(info.value) == (
        "the figures were not all drawn: drawing import matplotlib afresh failed (and 1 more): "
        "matplotlib could not be loaded: broken (ImportError); PIL is loaded from "
        f"{tmp_path / 'PIL.py'}, which shadows pillow's; rename or remove it; the other files of "
        "the run are saved"
    )
    assert info.value.fix_first


def test_another_failure_names_no_fix_to_make_first() -> None:
    plots = PlotProcess()
    plots.call(_fail, "no such font")
    with pytest.raises(PlotError, match=r"failed with ValueError: no such font; the") as info:
        plots.close()
    assert not info.value.fix_first


def test_close_without_raising_and_twice(tmp_path: Path) -> None:
    plots = PlotProcess()
    plots.call(_fail, "boom")
    plots.close(raise_errors=False)
    plots.close()  # a second close does nothing
    with pytest.raises(PlotError, match="the plotting process is closed"):
        plots.call(_record, str(tmp_path / "log.txt"), 1)


def test_a_dead_child_is_reported() -> None:
    plots = PlotProcess()
    plots.call(_die)
    with pytest.raises(PlotError, match=r"the plotting process died \(exit code 3\)"):
        plots.close()


def test_a_parent_that_stops_waiting_gets_no_traceback_from_the_child(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """SIGTERM while the parent waits for the child's report: the parent closes its end first."""
    plots = PlotProcess()
    plots._conn.send(None)  # what close() sends, but the parent leaves before the child answers
    plots._conn.close()
    plots._process.join(timeout=30)
    assert plots._process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


def test_the_child_ignores_ctrl_c(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    plots = PlotProcess()
    plots.call(_record, str(log), 1)
    pid = plots._process.pid
    assert pid is not None
    deadline = time.monotonic() + 30
    while not log.exists() and time.monotonic() < deadline:  # the child is past its set-up
        time.sleep(0.01)
    os.kill(pid, signal.SIGINT)  # what a Ctrl-C in the terminal sends to the whole process group
    plots.call(_record, str(log), 2)
    plots.close()
    assert log.read_text().split()[1::2] == ["1", "2"]


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie nobody reaped counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_the_child_exits_when_the_parent_is_killed(tmp_path: Path) -> None:
    """kill -9 of the parent (or the OOM killer) must not leave the child holding stdout open."""
    import subprocess

    script = (
        "import os, signal, sys\n"
        "from linearnets.plotting.background import PlotProcess\n"
        "plots = PlotProcess()\n"
        "print(plots._process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    parent = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert parent.returncode == -signal.SIGKILL
    child = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child), f"the plotting process {child} outlived its parent"


def _draw_loss_landscape() -> None:
    raise ValueError("no data")


def _failure(call: Any) -> str:
    """The PlotError a plotting process reports for ``call(plots)``, the one failed call."""
    plots = PlotProcess()
    call(plots)
    with pytest.raises(PlotError) as info:
        plots.close()
    return str(info.value)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda p: p.call(_update_curves, 10**6, [(1, {"loss": 1.0})]), r"drawing the curves failed with KeyError: 1000000"),
        (lambda p: p.call(_close_curves, 10**6), r"drawing the curves failed with KeyError: 1000000"),
        (lambda p: p.call(plot_confusion_matrix, "counts", ["a"]), r"drawing the confusion matrix failed with "),
        (lambda p: p.call(plot_predictions, "images", ["a"], ["b"]), r"drawing the predictions failed with "),
        (lambda p: p.call(_draw_loss_landscape), r"drawing draw loss landscape failed with ValueError: no data"),
        # no __name__: named by what it is
        (lambda p: p.call(functools.partial(_fail, "bad font")), r"drawing functools\.partial\(.*\) failed with ValueError: bad font"),
    ],
    ids=["curves-update", "curves-close", "confusion", "predictions", "own-function", "partial"],
)  # fmt: skip
def test_a_failed_drawing_is_named_by_what_it_draws(call: Any, pattern: str) -> None:
    assert re.match(rf"the figures were not all drawn: {pattern}", _failure(call))


def test_calls_after_the_child_died_are_dropped_and_close_says_so(tmp_path: Path) -> None:
    plots = PlotProcess()
    plots.call(_die)
    plots._process.join(timeout=30)  # the child is gone: the pipe is broken
    for value in range(3):
        plots.call(_record, str(tmp_path / "log.txt"), value)  # no BrokenPipeError here
    with pytest.raises(PlotError, match=r"the plotting process died \(exit code 3\)"):
        plots.close()
    assert not (tmp_path / "log.txt").exists()


def test_close_returns_only_once_the_child_has_exited(tmp_path: Path) -> None:
    """No zombie and no child left drawing: close() reaps it, with exit code 0 (read at once)."""
    plots = PlotProcess()
    plots.call(_record, str(tmp_path / "log.txt"), 1)
    plots.close()
    assert plots._process.exitcode == 0  # polled without waiting: set only once the child is reaped
    assert not plots._process.is_alive()


def test_a_script_that_exits_without_closing_is_not_held_up_by_the_child() -> None:
    """The child is a daemon: at the parent's exit it is stopped, not waited for (it would wait forever)."""
    import subprocess

    script = (
        "from linearnets.plotting.background import PlotProcess\n"
        "plots = PlotProcess()\n"
        "print(plots._process.pid, flush=True)\n"
    )
    parent = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert parent.returncode == 0, parent.stderr
    child = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)


def _close_pipe_then_die(code: int) -> None:
    """A child whose end of the pipe closes a moment before it exits (a slow interpreter teardown)."""
    os.closerange(3, 1024)
    time.sleep(0.2)
    os._exit(code)


def test_a_dead_child_is_reported_with_its_exit_code_even_after_an_early_end_of_file() -> None:
    """close() reaps the dead child before reading its exit code, so the code is never None."""
    plots = PlotProcess()
    plots.call(_close_pipe_then_die, 9)
    with pytest.raises(PlotError, match=r"the plotting process died \(exit code 9\)"):
        plots.close()  # end-of-file before the exit: close() waits for the code, never says None


# a parent that takes SIGTERM as Ctrl-C (as every linearnets command does) forks the plotting
# process, whose first call marks that it is past its set-up, and whose second keeps it busy
_TERM_PARENT = """
import pathlib, sys, time
from linearnets._signals import sigterm_as_keyboard_interrupt
from linearnets.plotting.background import PlotProcess
marker = pathlib.Path(sys.argv[1])
with sigterm_as_keyboard_interrupt():
    plots = PlotProcess()
    plots.call(pathlib.Path.touch, marker)
    plots.call(time.sleep, 60)
    while not marker.exists():
        time.sleep(0.01)
    if sys.argv[2] == "group":
        try:  # said from in here: the SIGTERM may come before print() has returned
            print("drawing", flush=True)
            time.sleep(60)  # until the SIGTERM to the process group
        except KeyboardInterrupt:
            plots.close(raise_errors=False)
            print("stopped", flush=True)
    else:
        print("drawing", flush=True)
# "exit": leave without closing; multiprocessing stops the daemon child with SIGTERM
"""


@pytest.mark.parametrize("how", ["group", "exit"])
def test_sigterm_ends_the_child_without_a_traceback(tmp_path: Path, how: str) -> None:
    """SIGTERM to the whole process group (systemd, Slurm's scancel, kill -TERM -PGID), or the one
    multiprocessing sends the daemon child at the parent's exit, ends the child quietly: the
    parent's SIGTERM handler, copied by the fork, would raise KeyboardInterrupt there."""
    import subprocess

    parent = subprocess.Popen(
        [sys.executable, "-c", _TERM_PARENT, str(tmp_path / "ready"), how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a service's or a batch job's
    )
    assert parent.stdout is not None
    assert parent.stdout.readline() == "drawing\n"
    if how == "group":
        os.killpg(parent.pid, signal.SIGTERM)  # parent and child alike
    out, err = parent.communicate(timeout=60)
    assert parent.returncode == 0, err
    assert out == ("stopped\n" if how == "group" else "")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def _sigterm_in_a_weakref_callback(path: str) -> None:
    """In the child: the SIGTERM handler runs inside a weakref callback, as it can when the signal
    lands while the garbage collector frees a matplotlib object; Python prints and drops the
    SystemExit it raises there. The call then goes on and finishes its file."""
    import weakref

    from linearnets.plotting import _plot_child

    class Thing:
        pass

    thing = Thing()
    _ref = weakref.ref(thing, lambda _: _plot_child._exit_on_sigterm(signal.SIGTERM, None))
    del thing  # the callback runs here: its SystemExit is printed and dropped
    Path(path).write_text("whole")


def test_a_sigterm_python_dropped_still_ends_the_child_once_the_call_returns(
    tmp_path: Path,
) -> None:
    """The child drew on after such a SIGTERM (and ignored the next one, so the parent waited for
    its SIGKILL): it now ends once the call returns, the figure drawn whole, nothing more drawn."""
    plots = PlotProcess()
    plots.call(_sigterm_in_a_weakref_callback, str(tmp_path / "first"))
    plots.call(_record, str(tmp_path / "second"), 2)
    with pytest.raises(PlotError, match=r"the plotting process died \(exit code 143\)"):
        plots.close()
    assert (tmp_path / "first").read_text() == "whole"
    assert not (tmp_path / "second").exists()


def test_the_childs_own_dropped_stop_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python printed "Exception ignored in ..." and the SystemExit's traceback on the user's
    terminal, after the command's own one-line report; other unraisable errors are still shown."""
    from types import SimpleNamespace

    from linearnets.plotting import _plot_child

    shown: list[Any] = []
    hook = _plot_child._quiet_when_stopped(shown.append)
    stop, other = SimpleNamespace(exc_value=SystemExit(143)), SimpleNamespace(exc_value=OSError())
    hook(stop)  # type: ignore[arg-type]
    assert shown == [stop]  # not this process's stop: shown
    monkeypatch.setattr(_plot_child, "_stopped_by", signal.SIGTERM)
    hook(stop)  # type: ignore[arg-type]
    hook(other)  # type: ignore[arg-type]
    assert shown == [stop, other]


def _wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert path.exists(), f"{path.name} never appeared"


def test_the_parent_never_waits_for_a_slow_draw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the pipe's 64 KiB were full, each epoch waited for a redraw (0.2-0.3 s an epoch)."""
    from linearnets.plotting.live import LiveOutput

    monkeypatch.setattr(LiveOutput, "publish", lambda self, fig: time.sleep(0.5))
    plots = PlotProcess()
    curves = RemoteCurves(plots, out_dir=tmp_path, formats=("png",))
    values = {"train loss": 0.5, "train acc": 0.8, "test acc": 0.75}

    def train() -> None:  # 3000 epochs of updates: several times what the pipe holds
        for epoch in range(1, 3001):
            curves.update(epoch, values)

    sender = threading.Thread(target=train, daemon=True)
    sender.start()
    sender.join(timeout=10)
    try:
        assert not sender.is_alive(), "the parent waited for the drawing"
    finally:
        if sender.is_alive():  # release it: its send fails once the child is gone
            plots._process.kill()
            sender.join(timeout=30)
        plots.close(raise_errors=False)


def test_sigterm_while_a_figure_is_written_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM to the process group (systemd, scancel) left a 0-byte .curves.png.*.tmp behind."""
    from matplotlib.figure import Figure

    writing = tmp_path / "writing"

    def slow_savefig(self: Figure, fname: Any, **kwargs: Any) -> None:
        fname.write(b"half a figure")
        writing.touch()
        time.sleep(60)

    monkeypatch.setattr(Figure, "savefig", slow_savefig)
    out = tmp_path / "run"
    plots = PlotProcess()
    RemoteCurves(plots, out_dir=out, formats=("png",)).update(1, {"train loss": 0.5})
    _wait_for(writing)
    assert [p.suffix for p in out.iterdir()] == [".tmp"]  # the write under way
    os.kill(plots._process.pid or 0, signal.SIGTERM)
    plots._process.join(timeout=10)
    assert plots._process.exitcode == 128 + signal.SIGTERM  # its own exit, not killed by it
    assert list(out.iterdir()) == []
    plots.close(raise_errors=False)
    assert "Traceback" not in capfd.readouterr().err


# a parent killed while its child draws, with more updates queued behind that drawing
_KILLED_PARENT = """
import os, pathlib, signal, sys, time
from matplotlib.figure import Figure
from linearnets.plotting.background import PlotProcess
from linearnets.plotting.remote_curves import RemoteCurves
out, log = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def slow_savefig(self, fname, **kwargs):
    with open(log, "a") as f:
        f.write("draw\\n")
    time.sleep(60)
Figure.savefig = slow_savefig
plots = PlotProcess()
curves = RemoteCurves(plots, out_dir=out, formats=("png",))
curves.update(1, {"train loss": 0.5})
while not (log.exists() and log.read_text()):  # written, not only made: the kill must not cut it
    time.sleep(0.01)
for epoch in range(2, 50):
    curves.update(epoch, {"train loss": 0.5})
print(plots._process.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _kill_parent_and_wait_for_its_child(script: str, out: Path, log: Path) -> None:
    """Run ``script`` (which prints its plotting child's pid, then SIGKILLs itself); assert the
    child is gone within 10 s (killed here if not, so no test leaves it behind)."""
    import subprocess

    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(out), str(log)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    with parent.stdout:  # not read to its end: a child drawing on would hold it open
        child = int(parent.stdout.readline())
    assert parent.wait(timeout=60) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert _gone(child), "the plotting process lived on after its parent was killed"
    finally:
        if not _gone(child):
            os.kill(child, signal.SIGKILL)


def test_a_child_whose_parent_is_killed_stops_drawing_at_once(tmp_path: Path) -> None:
    """It drew every update still queued into the run folder after the command had gone."""

    out, log = tmp_path / "run", tmp_path / "draws.txt"
    _kill_parent_and_wait_for_its_child(_KILLED_PARENT, out, log)
    assert log.read_text() == "draw\n"  # the updates queued behind it were never drawn
    assert list(out.iterdir()) == []  # the drawing it was in left no temporary file


# a parent killed while it waits in close() for its child's last drawings (the closing turn,
# when the child's reader thread, which would see the pipe's end-of-file, has ended)
_KILLED_CLOSING = """
import os, pathlib, signal, sys, threading, time
from linearnets.plotting.background import PlotProcess
out, log = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def last_drawing():
    log.write_text("draw")
    time.sleep(20)
    (out / "late.png").write_text("drawn after the parent died")
plots = PlotProcess()
print(plots._process.pid, flush=True)
plots.call_beside(last_drawing)
def kill_when_drawing():
    while not (log.exists() and log.read_text()):  # written, not only made
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGKILL)
threading.Thread(target=kill_when_drawing, daemon=True).start()
plots.close()
"""


def test_a_child_in_its_closing_turn_dies_with_its_parent(tmp_path: Path) -> None:
    """kill -9 of the command while the last figures are drawn: the child must not live on and
    write into the run folder (a resume may have started there)."""

    out, log = tmp_path / "run", tmp_path / "draws.txt"
    out.mkdir()
    _kill_parent_and_wait_for_its_child(_KILLED_CLOSING, out, log)
    assert log.read_text() == "draw" and list(out.iterdir()) == []


def test_a_second_ctrl_c_while_close_waits_stops_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command must not end while its plotting process goes on drawing into the run folder."""
    from linearnets.plotting.live import LiveOutput

    monkeypatch.setattr(LiveOutput, "publish", lambda self, fig: time.sleep(60))
    plots = PlotProcess()
    RemoteCurves(plots, out_dir=tmp_path, formats=("png",)).update(1, {"train loss": 0.5})
    main = threading.main_thread().ident or 0
    ctrl_c = threading.Timer(1.0, signal.pthread_kill, (main, signal.SIGINT))
    ctrl_c.start()
    caught: BaseException | None = None
    try:
        plots.close()
    except KeyboardInterrupt as exc:
        caught = exc
    finally:
        ctrl_c.cancel()
    try:
        assert type(caught) is KeyboardInterrupt
        assert plots._process.exitcode is not None  # stopped before close() passed the Ctrl-C on
    finally:
        if plots._process.is_alive():
            plots._process.kill()


def test_a_third_ctrl_c_while_the_child_is_ended_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stop that close() passes on is the first: a later one, while the child is ended, would
    replace it (naming the wrong signal) and leave the child unreaped."""
    from linearnets.plotting.live import LiveOutput

    monkeypatch.setattr(LiveOutput, "publish", lambda self, fig: time.sleep(60))
    plots = PlotProcess()
    RemoteCurves(plots, out_dir=tmp_path, formats=("png",)).update(1, {"train loss": 0.5})
    real_stop = plots._stop

    def stop() -> None:
        signal.raise_signal(signal.SIGINT)  # another Ctrl-C, as the child is being ended
        real_stop()

    monkeypatch.setattr(plots, "_stop", stop)
    count = iter(range(1, 10))

    def numbered(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(next(count))

    previous = signal.signal(signal.SIGINT, numbered)
    main = threading.main_thread().ident or 0
    ctrl_c = threading.Timer(1.0, signal.pthread_kill, (main, signal.SIGINT))
    ctrl_c.start()
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            plots.close()
    finally:
        ctrl_c.cancel()
        signal.signal(signal.SIGINT, previous)
        if plots._process.is_alive():
            plots._process.kill()
    assert info.value.args == (1,)  # the first stop, not the one during the child's end
    assert plots._process.exitcode is not None


def test_a_fork_that_fails_leaves_the_drawing_to_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """EAGAIN (a container's process limit) or ENOMEM from fork: no plotting process, and the pipe
    to it closed again, rather than a failed run."""
    import multiprocessing.context

    made: list[Any] = []
    real_pipe = multiprocessing.context.BaseContext.Pipe

    def recorded_pipe(self: Any, duplex: bool = True) -> Any:
        ends = real_pipe(self, duplex)
        made.extend(ends)
        return ends

    def refuse() -> int:
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.BaseContext, "Pipe", recorded_pipe)
    monkeypatch.setattr(os, "fork", refuse)
    assert start_plot_process() is None
    assert len(made) == 2 and all(end.closed for end in made)
    made.clear()
    with pytest.raises(BlockingIOError):
        PlotProcess()  # the class itself says why
    assert len(made) == 2 and all(end.closed for end in made)


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_off_linux_no_process_is_forked(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS (forking a process with threads is unsafe there) and Windows draw in-process."""
    forks: list[int] = []
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or 4242)
    monkeypatch.setattr(sys, "platform", platform)
    assert start_plot_process() is None and not forks


def test_without_the_fork_start_method_no_process_is_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing

    forks: list[int] = []
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or 4242)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert start_plot_process() is None and not forks


def test_a_signal_during_the_fork_is_held_and_stops_the_caller_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C landing in the fork ran in its at-fork callbacks (logging's), which print and drop
    it: the run trained on. Held over the fork, it is raised once the fork is done, and the child
    just made is ended."""
    import multiprocessing.process

    seen: list[Any] = []
    children: list[int] = []
    real_start = multiprocessing.process.BaseProcess.start

    def start(self: Any) -> None:
        seen.append(signal.getsignal(signal.SIGINT))
        signal.raise_signal(signal.SIGINT)  # arrives now, mid-fork
        real_start(self)
        children.append(self.pid)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    with pytest.raises(KeyboardInterrupt):
        PlotProcess()
    assert seen[0] is not signal.default_int_handler  # held, not raised, during the fork
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored after
    [child] = children
    assert _gone(child)  # the child made before the stop was ended and reaped


def _save_tensor(path: str, values: Any) -> None:
    import torch

    torch.save(values.clone(), path)


def test_tensors_go_to_the_child_by_value_not_through_shared_memory(tmp_path: Path) -> None:
    """Connection.send moved a tensor to shared memory and passed its descriptor through a
    listener thread, whose handshake a stopped child cut (a traceback in the parent)."""
    import torch

    matrix = torch.arange(12.0).reshape(3, 4)
    plots = start_plot_process()
    assert isinstance(plots, PlotProcess)
    plots.call(_save_tensor, str(tmp_path / "got.pt"), matrix)
    plots.call_beside(_save_tensor, str(tmp_path / "beside.pt"), matrix)
    plots.close()
    assert not matrix.is_shared()
    for name in ("got.pt", "beside.pt"):
        assert torch.equal(torch.load(tmp_path / name), matrix)


def test_a_call_cut_short_by_ctrl_c_stops_the_child_and_close_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pipe may hold half a message: close() ends the child rather than talking to it
    import torch

    plots = PlotProcess()
    plots.call(_save_tensor, str(tmp_path / "before.pt"), torch.zeros(2))

    def interrupted(data: bytes) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(plots._conn, "send_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plots.call(_save_tensor, str(tmp_path / "cut.pt"), torch.ones(2))
    monkeypatch.undo()
    with pytest.raises(
        PlotError,
        match=r"^the figures were not all drawn: a call to the plotting process was interrupted; "
        r"the other files of the run are saved$",
    ):
        plots.close()
    assert plots._process.exitcode is not None  # ended, not left running
    assert not (tmp_path / "cut.pt").exists()
