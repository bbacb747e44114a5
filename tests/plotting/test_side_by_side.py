"""The plotting process's last drawings, side by side: in forked processes, their failures and deaths
reported at close, and none left running when the child is ended."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import linearnets.plotting._plot_child as plot_child
from linearnets.plotting import plot_confusion_matrix, plot_predictions
from linearnets.plotting._side_by_side import run_side_by_side
from linearnets.plotting.background import PlotError, PlotProcess

from .test_background import _die, _fail, _gone

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the plotting process forks (Linux only)"
)


def _span(path: str, seconds: float) -> None:
    """Record this process's pid and the time span of a drawing that takes ``seconds``."""
    start = time.monotonic()
    time.sleep(seconds)
    with open(path, "w") as f:
        f.write(f"{os.getpid()} {start} {time.monotonic()}\n")


def _spans(tmp_path: Path, names: list[str]) -> list[tuple[int, float, float]]:
    rows = [(tmp_path / name).read_text().split() for name in names]
    return [(int(pid), float(start), float(end)) for pid, start, end in rows]


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child sees two cores whatever this machine has (the fork inherits the patch)."""
    monkeypatch.setattr(plot_child, "usable_cores", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_the_last_drawings_run_at_once_in_two_processes(tmp_path: Path) -> None:
    plots = PlotProcess()
    plots.call_beside(_span, str(tmp_path / "a"), 1.0)
    plots.call_beside(_span, str(tmp_path / "b"), 1.0)
    plots.close()
    (pid_a, start_a, end_a), (pid_b, start_b, end_b) = _spans(tmp_path, ["a", "b"])
    assert pid_a != pid_b and os.getpid() not in (pid_a, pid_b)
    assert start_a < end_b and start_b < end_a  # the two spans overlap: not one after the other


def test_on_one_core_the_child_draws_them_itself_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plot_child, "usable_cores", lambda: 1)
    plots = PlotProcess()
    plots.call_beside(_span, str(tmp_path / "a"), 0.1)
    plots.call_beside(_span, str(tmp_path / "b"), 0.1)
    plots.close()
    (pid_a, _, end_a), (pid_b, start_b, _) = _spans(tmp_path, ["a", "b"])
    assert pid_a == pid_b == plots._process.pid and end_a <= start_b


@pytest.mark.usefixtures("two_cores")
def test_the_last_drawings_wait_for_the_close_while_other_calls_run(tmp_path: Path) -> None:
    """A last drawing queued early is kept for the closing turn, where it can be forked safely;
    the calls queued after it run meanwhile, in the child."""
    plots = PlotProcess()
    plots.call_beside(_span, str(tmp_path / "last"), 0.0)
    plots.call(_span, str(tmp_path / "now"), 0.0)
    deadline = time.monotonic() + 30
    while not (tmp_path / "now").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert (tmp_path / "now").exists() and not (tmp_path / "last").exists()
    plots.close()
    ((now_pid, _, now_end), (_, last_start, _)) = _spans(tmp_path, ["now", "last"])
    assert now_pid == plots._process.pid and now_end <= last_start


@pytest.mark.usefixtures("two_cores")
def test_failures_in_another_process_are_reported_and_counted(tmp_path: Path) -> None:
    plots = PlotProcess()
    plots.call_beside(_span, str(tmp_path / "a"), 0.2)  # kept by the child: the failures come back
    plots.call_beside(_fail, "no such font")
    plots.call_beside(_span, str(tmp_path / "b"), 0.0)
    plots.call_beside(_fail, "again")
    with pytest.raises(
        PlotError,
        match=r"^the figures were not all drawn: drawing fail failed with ValueError: no such "
        r"font \(and 1 more\); the other files of the run are saved$",
    ):
        plots.close()
    assert (tmp_path / "a").exists() and (tmp_path / "b").exists()


@pytest.mark.usefixtures("two_cores")
def test_a_drawing_process_that_dies_is_reported_with_its_exit_code(tmp_path: Path) -> None:
    plots = PlotProcess()
    plots.call_beside(_span, str(tmp_path / "a"), 0.0)
    plots.call_beside(_die)
    with pytest.raises(
        PlotError, match=r"drawing die failed: the process drawing it ended with exit code 3;"
    ):
        plots.close()
    assert (tmp_path / "a").exists()


def _pid_then_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(60)


@pytest.mark.usefixtures("two_cores")
def test_sigterm_to_the_child_ends_the_drawing_processes_too(tmp_path: Path) -> None:
    """A stopped command (close's second Ctrl-C, a SIGTERM) leaves no process drawing on."""
    plots = PlotProcess()
    plots.call_beside(_pid_then_sleep, str(tmp_path / "kept"))
    plots.call_beside(_pid_then_sleep, str(tmp_path / "forked"))
    plots._conn.send(None)  # what close() sends, without waiting for the answer
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        (tmp_path / name).exists() and (tmp_path / name).read_text() for name in ("kept", "forked")
    ):
        time.sleep(0.01)
    forked = int((tmp_path / "forked").read_text())
    assert forked != plots._process.pid
    os.kill(plots._process.pid, signal.SIGTERM)  # type: ignore[arg-type]
    plots._process.join(timeout=30)
    assert plots._process.exitcode == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10
    while not _gone(forked) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(forked), f"the drawing process {forked} outlived the plotting process"
    plots._closed = True
    plots._conn.close()


@pytest.mark.usefixtures("two_cores")
def test_a_runs_last_figures_drawn_side_by_side_are_whole_images(tmp_path: Path) -> None:
    import torch
    from PIL import Image

    plots = PlotProcess()
    counts = torch.tensor([[5, 1], [2, 7]])
    plots.call_beside(plot_confusion_matrix, counts, ["cat", "dog"], out=tmp_path / "c.png")
    images = torch.rand(3, 1, 8, 8)
    plots.call_beside(
        plot_predictions, images, ["a", "b", "c"], ["a", "c", "c"], out=tmp_path / "p.png"
    )
    plots.close()
    for name in ("c.png", "p.png"):
        with Image.open(tmp_path / name) as image:
            image.verify()  # a whole PNG, not a truncated one


def _busy(path: str, seconds: float) -> None:
    """Say that the child has started this call, then keep it busy for ``seconds``."""
    Path(path).touch()
    time.sleep(seconds)


def _span_publish(log: Path, seconds: float) -> Any:
    """A ``LiveOutput.publish`` that takes ``seconds`` and appends its pid, span and points to ``log``."""

    def publish(self: Any, fig: Any) -> None:
        start = time.monotonic()
        time.sleep(seconds)
        points = len(fig.axes[0].lines[0].get_xdata())
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {start} {time.monotonic()} {points}\n")

    return publish


@pytest.mark.usefixtures("two_cores")
def test_the_curves_closing_is_drawn_beside_the_other_last_drawings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's curves are closed at the end of fit, before its reports queue the confusion matrix:
    their newest points are drawn in the closing turn, at the same time as the slow figure, not
    before it (the command waited for the two one after the other)."""
    from linearnets.plotting.live import LiveOutput
    from linearnets.plotting.remote_curves import RemoteCurves

    log = tmp_path / "draws.txt"
    monkeypatch.setattr(LiveOutput, "publish", _span_publish(log, 0.5))  # before the fork
    plots = PlotProcess()
    busy = tmp_path / "busy"
    plots.call(_busy, str(busy), 0.5)
    deadline = time.monotonic() + 30
    while not busy.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    # the child is busy: the calls below reach it in one turn
    curves = RemoteCurves(plots, out_dir=tmp_path, metrics=["loss"], formats=("png",))
    curves.update(1, {"loss": 1.0})
    curves.update(2, {"loss": 0.5})
    curves.close()
    plots.call_beside(_span, str(tmp_path / "slow"), 1.0)
    plots.close()
    ((pid, start, end, points),) = [line.split() for line in log.read_text().splitlines()]
    (slow_pid, slow_start, slow_end) = _spans(tmp_path, ["slow"])[0]
    assert int(points) == 2 and pid != str(slow_pid)
    assert float(start) < slow_end and slow_start < float(end)  # at the same time


class _Recorder:
    """The caller's recorder: what was merged into it, in order."""

    def __init__(self) -> None:
        self.merged: list[tuple[str | None, int]] = []
        self.first: str | None = None
        self.count = 0

    def run(self, fn: Any, args: Any, kwargs: Any) -> None:
        raise AssertionError("each job runs with a recorder of its own")

    def merge(self, first: str | None, count: int) -> None:
        self.merged.append((first, count))


def _pids(tmp_path: Path, names: str) -> list[int]:
    return [pid for pid, _, _ in _spans(tmp_path, list(names))]


def test_the_jobs_are_dealt_to_the_cores_in_turn(tmp_path: Path) -> None:
    """Four jobs on two cores: this process keeps the 1st and 3rd, a forked one the 2nd and 4th;
    every job's outcome is merged, in the jobs' order."""
    jobs = [(_span, (str(tmp_path / name), 0.0), {}) for name in "abcd"]
    recorder = _Recorder()
    run_side_by_side(jobs, recorder, make=plot_child.Failures, cores=2)
    assert recorder.merged == [(None, 0)] * 4
    pids = _pids(tmp_path, "abcd")
    assert pids[0] == pids[2] == os.getpid() and pids[1] == pids[3] != os.getpid()


def test_a_single_job_or_a_single_core_forks_nothing(tmp_path: Path) -> None:
    for cores, names in ((2, "a"), (1, "bc")):
        jobs = [(_span, (str(tmp_path / name), 0.0), {}) for name in names]
        recorder = _Recorder()
        run_side_by_side(jobs, recorder, make=plot_child.Failures, cores=cores)
        assert recorder.merged == [(None, 0)] * len(names)
        assert set(_pids(tmp_path, names)) == {os.getpid()}


def test_the_first_failure_named_is_the_first_jobs_whichever_process_drew_it() -> None:
    """Job 1 fails in the forked process, job 2 here: job 1's failure comes first, as when one
    process draws them all."""
    jobs = [(_span, ("/dev/null", 0.0), {}), (_fail, ("queued first",), {}), (_fail, ("queued second",), {})]  # fmt: skip
    failures = plot_child.Failures()
    run_side_by_side(jobs, failures, make=plot_child.Failures, cores=2)
    assert failures.error == ("drawing fail failed with ValueError: queued first (and 1 more)")


def test_a_death_names_the_job_being_drawn_and_the_jobs_left_are_drawn_here(
    tmp_path: Path,
) -> None:
    """The forked process takes jobs 1 and 3 and dies in job 1: job 3 is drawn here, job 1 named."""
    jobs = [
        (_span, (str(tmp_path / "a"), 0.0), {}),
        (_die, (), {}),
        (_span, (str(tmp_path / "c"), 0.0), {}),
        (_span, (str(tmp_path / "d"), 0.0), {}),
    ]
    failures = plot_child.Failures()
    run_side_by_side(jobs, failures, make=plot_child.Failures, cores=2)
    assert failures.error == ("drawing die failed: the process drawing it ended with exit code 3")
    assert set(_pids(tmp_path, "acd")) == {os.getpid()}


def test_a_fork_that_fails_leaves_the_drawing_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process limit (EAGAIN) loses no figure: the group is drawn here, and no pipe is left open."""
    import errno

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    before = _pipes()
    jobs = [(_span, (str(tmp_path / name), 0.0), {}) for name in "ab"]
    recorder = _Recorder()
    run_side_by_side(jobs, recorder, make=plot_child.Failures, cores=2)
    assert recorder.merged == [(None, 0)] * 2
    assert set(_pids(tmp_path, "ab")) == {os.getpid()}
    assert _pipes() - before == set()


def _pipes() -> set[tuple[str, str]]:
    """This process's open pipes, each as (fd, its pipe): a count of every open file changed with
    files an earlier test left to the garbage collector (38 where 40 were open before)."""
    pipes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own, closed since
            continue
        if target.startswith("pipe:"):
            pipes.add((fd, target))
    return pipes


@pytest.mark.usefixtures("two_cores")
def test_the_drawings_die_with_a_plotting_process_killed_outright(tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, or close's escalation after 5 s) runs no clean-up: the kernel ends
    the forked drawings, and the parent sees the end of the pipe at once, not when they finish."""
    plots = PlotProcess()
    plots.call_beside(_pid_then_sleep, str(tmp_path / "kept"))
    plots.call_beside(_pid_then_sleep, str(tmp_path / "forked"))
    plots._conn.send(None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        (tmp_path / name).exists() and (tmp_path / name).read_text() for name in ("kept", "forked")
    ):
        time.sleep(0.01)
    forked = int((tmp_path / "forked").read_text())
    os.kill(plots._process.pid, signal.SIGKILL)  # type: ignore[arg-type]
    assert plots._conn.poll(10), "no end-of-file while the forked drawing sleeps on"
    with pytest.raises(EOFError):  # the forked drawing holds no copy of the child's end
        plots._conn.recv()
    deadline = time.monotonic() + 10
    while not _gone(forked) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(forked), f"the drawing process {forked} outlived the plotting process"
    plots._process.join(timeout=10)
    plots._closed = True
    plots._conn.close()


def test_merged_failures_add_their_count_and_keep_the_first_message() -> None:
    failures = plot_child.Failures()
    failures.merge(None, 0)
    failures.merge("drawing a failed with ValueError: x", 3)
    failures.merge("drawing b failed with ValueError: y", 2)
    assert failures.count == 5
    assert failures.error == "drawing a failed with ValueError: x (and 4 more)"


def test_the_cores_used_are_those_the_process_may_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # a run pinned to one core (taskset, a container's cpuset) forks no drawing process
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert plot_child.usable_cores() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert plot_child.usable_cores() == 3


def test_no_more_processes_are_forked_than_there_are_jobs_to_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting._side_by_side as side_by_side

    forked: list[list[int]] = []
    real_fork = side_by_side._fork

    def fork(jobs: Any, group: list[int], make: Any, close: Any) -> tuple[int, int]:
        forked.append(group)
        return real_fork(jobs, group, make, close)

    monkeypatch.setattr(side_by_side, "_fork", fork)
    jobs = [(_span, (str(tmp_path / name), 0.0), {}) for name in "ab"]
    recorder = _Recorder()
    run_side_by_side(jobs, recorder, make=plot_child.Failures, cores=8)
    assert forked == [[1]]  # job "a" here, job "b" in the one process forked
    assert recorder.merged == [(None, 0)] * 2


def _full_disk(name: str) -> None:
    import errno

    raise OSError(errno.ENOSPC, "No space left on device", f"run/{name}.png")


def test_a_full_disk_is_said_with_its_advice_last_after_how_many_failed() -> None:
    """The figure first, then what to do, as the command line says it for a figure it writes
    itself; the failures after it counted before the advice ("free some space (and 1 more)" read
    as if it were space). Another error is told as Python prints it."""
    failures = plot_child.Failures()
    failures.run(_full_disk, ("curves",), {})
    assert failures.error == (
        "drawing full disk failed: run/curves.png could not be written: No space left on device "
        "(OSError): a device is full (the disk, or where the output goes); free some space"
    )
    failures.run(_full_disk, ("confusion",), {})
    failures.run(_fail, ("x",), {})
    assert failures.error == (
        "drawing full disk failed: run/curves.png could not be written: No space left on device "
        "(OSError) (and 2 more): a device is full (the disk, or where the output goes); free some "
        "space"
    )
    failures = plot_child.Failures()
    failures.run(_fail, ("x",), {})
    failures.run(_full_disk, ("curves",), {})
    assert failures.error == "drawing fail failed with ValueError: x (and 1 more)"


def _quota_used_up(name: str) -> None:
    import errno

    raise OSError(errno.EDQUOT, "Disk quota exceeded", f"run/{name}.png")


def test_a_disk_quota_used_up_is_said_as_a_full_disk() -> None:
    """EDQUOT was told as Python prints it, with no word of what to do; free space is the fix, as
    for ENOSPC (and as a download or a checkpoint says it)."""
    failures = plot_child.Failures()
    failures.run(_quota_used_up, ("curves",), {})
    assert failures.error == (
        "drawing quota used up failed: run/curves.png could not be written: Disk quota exceeded "
        "(OSError): a device is full (the disk, or where the output goes); free some space"
    )
