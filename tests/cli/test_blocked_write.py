"""A non-blocking stdout or stderr whose reader lags (linearnets.cli._blocked_write)."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator

import pytest

from linearnets.cli import _blocked_write
from linearnets.cli._lost_output import output_may_be_lost
from linearnets.cli._one_line_warnings import warnings_on_one_line
from linearnets.cli._report import say

pytestmark = pytest.mark.skipif(os.name != "posix", reason="O_NONBLOCK pipes are POSIX's")


@pytest.fixture(autouse=True)
def _no_file_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's pipes start unknown (an inode number may be used again by the next test)."""
    monkeypatch.setattr(_blocked_write, "_STUCK", set(), raising=False)


LINES = [f"epoch {i:5d} loss {i / 7:.6f} accuracy 0.{i:06d}" for i in range(4000)]  # ~200 kB


def _text_stream(w: int, kind: str) -> io.TextIOWrapper:
    """``sys.stdout`` as Python makes it: on a pipe, on a terminal, under ``python -u``."""
    if kind == "unbuffered":  # python -u: no BufferedWriter; an EAGAIN is a write returning None
        raw = io.FileIO(w, "w", closefd=False)
        return io.TextIOWrapper(raw, encoding="utf-8", write_through=True)  # type: ignore[arg-type]
    buffered = io.BufferedWriter(io.FileIO(w, "w", closefd=False))
    return io.TextIOWrapper(buffered, encoding="utf-8", line_buffering=kind == "line")


@contextlib.contextmanager
def _lagging_pipe(
    kind: str, *, reader: bool = True
) -> Iterator[tuple[io.TextIOWrapper, list[bytes]]]:
    """Yield a non-blocking pipe's text stream with a small buffer, read only after 0.3 s."""
    r, w = os.pipe()
    with contextlib.suppress(AttributeError, OSError):
        import fcntl

        fcntl.fcntl(w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
    os.set_blocking(w, False)
    got: list[bytes] = []

    def drain() -> None:
        time.sleep(0.3)  # the writer fills the pipe and is refused first
        while chunk := os.read(r, 1000):
            got.append(chunk)

    thread = threading.Thread(target=drain, daemon=True)
    if reader:
        thread.start()
    stream = _text_stream(w, kind)
    try:
        yield stream, got
    finally:
        if not reader:  # what the stream still holds waits for the reader
            thread.start()
            os.set_blocking(w, True)
        # what the stream still holds (the command's exit flushes it, waiting: _flush_output),
        # waited out here too: a bare flush on the pipe the reader has not emptied yet is refused
        _blocked_write.flush_waiting(stream)
        os.close(w)
        thread.join(timeout=30)
        os.close(r)


@pytest.mark.parametrize("kind", ["buffered", "line", "unbuffered"])
def test_every_stdout_line_arrives_once_in_order_on_a_lagging_nonblocking_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    with _lagging_pipe(kind) as (stream, got):
        monkeypatch.setattr(sys, "stdout", stream)
        with output_may_be_lost("linearnets softmax") as losing:
            for line in LINES:
                print(line)
        assert losing is not None
        assert losing.lost is None
    assert b"".join(got).decode().splitlines() == LINES
    assert capsys.readouterr().err == ""  # no line said lost


def test_the_last_lines_a_lagging_nonblocking_stdout_holds_are_waited_for_at_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lines the buffer holds (6 kB: more than the 4 kB pipe takes before its reader reads)
    failed the exit's flush, status 1 and the lines lost."""
    from linearnets.cli import _flush_output

    lines = LINES[:120]
    with _lagging_pipe("buffered") as (stream, got):
        monkeypatch.setattr(sys, "stdout", stream)
        for line in lines:
            print(line)
        assert _flush_output(0, ["softmax"]) == 0
    assert b"".join(got).decode().splitlines() == lines
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kind", ["line", "unbuffered"])
def test_every_stderr_line_said_arrives_once_in_order_on_a_lagging_nonblocking_pipe(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    with _lagging_pipe(kind) as (stream, got):
        monkeypatch.setattr(sys, "stderr", stream)
        for line in LINES:
            say(line)
    assert b"".join(got).decode().splitlines() == LINES


@pytest.mark.parametrize("write", [lambda text: print(text), lambda text: print(text, flush=True)])
def test_a_pipe_that_stays_blocked_loses_its_lines_said_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    write: Callable[[str], None],
) -> None:
    monkeypatch.setattr(_blocked_write, "BLOCKED_TIMEOUT_S", 0.2)
    with _lagging_pipe("buffered", reader=False) as (stream, _):
        monkeypatch.setattr(sys, "stdout", stream)
        with output_may_be_lost("linearnets softmax") as losing:
            for line in LINES:
                write(line)
        assert losing is not None
        assert isinstance(losing.lost, BlockingIOError)
    assert capsys.readouterr().err == (
        "linearnets softmax: warning: stdout could not be written (it took nothing for 0.2 s: it "
        "is non-blocking (O_NONBLOCK) and its reader stopped reading): the lines it prints are "
        "lost from here on; the command goes on, and the files it writes are written as usual\n"
    )


def _took(call: Callable[[], object]) -> float:
    """Return the seconds ``call`` took to raise BlockingIOError (it must)."""
    start = time.monotonic()
    with pytest.raises(BlockingIOError, match=r"it took nothing for .* its reader stopped reading"):
        call()
    return time.monotonic() - start


@pytest.mark.parametrize("kind", ["buffered", "line", "unbuffered"])
def test_a_file_whose_reader_stopped_is_waited_on_once_its_later_lines_lost_at_once(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Each line said and the exit's flush waited 30 s again for the same stuck bytes (and a
    stderr on the same pipe 30 s more)."""
    # a wait again would take 2 s: under 1 s is "at once" with room for a loaded machine's
    # scheduling (a bound of 0.2 s against a 0.5 s wait timed the machine as much as the code)
    monkeypatch.setattr(_blocked_write, "BLOCKED_TIMEOUT_S", 2.0)
    with _lagging_pipe(kind, reader=False) as (stream, _):
        write = functools.partial(_blocked_write.write_waiting, stream, "x" * 30000 + "\n")
        assert _took(write) >= 2.0
        assert _took(write) < 1.0
        if kind != "unbuffered":  # its bytes are held: the flush fails at once too
            assert _took(functools.partial(_blocked_write.flush_waiting, stream)) < 1.0
        # stderr on the same pipe (2>&1) has the same stopped reader: not waited on either
        stderr = _text_stream(stream.fileno(), "unbuffered")
        assert _took(functools.partial(_blocked_write.write_waiting, stderr, "error\n")) < 1.0


def test_a_wait_cut_by_ctrl_c_is_not_waited_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a Ctrl-C in a wait, the report's line and the exit's flush waited 30 s each, and
    another Ctrl-C did not cut them: the command exited minutes later."""
    monkeypatch.setattr(_blocked_write, "BLOCKED_TIMEOUT_S", 5.0)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with _lagging_pipe("buffered", reader=False) as (stream, _):
            write = functools.partial(_blocked_write.write_waiting, stream, "x" * 30000 + "\n")
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            start = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                write()
            assert time.monotonic() - start < 2
            # waited again, each would take STOPPING_TIMEOUT_S (5 s)
            assert _took(write) < 1.0
            assert _took(functools.partial(_blocked_write.flush_waiting, stream)) < 1.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _filled(stream: io.TextIOWrapper) -> io.TextIOWrapper:
    """Return ``stream``, its pipe filled with dots (read first): its next write is refused."""
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(stream.fileno(), b"." * 512)
    return stream


def _after_dots(got: list[bytes]) -> str:
    return b"".join(got).decode().lstrip(".")


@pytest.mark.parametrize("kind", ["buffered", "unbuffered"])
def test_help_and_a_json_usage_error_arrive_whole_on_lagging_nonblocking_pipes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """They were written by argparse and print, not say(): under python -u the bytes the pipe
    refused were dropped unsaid (0 bytes of --help, status 0)."""
    from linearnets.cli import main

    with pytest.raises(SystemExit):
        main(["linreg", "--help"])
    help_text = capsys.readouterr().out
    with _lagging_pipe(kind) as (stream, got):
        monkeypatch.setattr(sys, "stdout", _filled(stream))
        with pytest.raises(SystemExit) as exc:
            main(["linreg", "--help"])
        _blocked_write.flush_waiting(stream)  # the exit's
    assert exc.value.code == 0
    assert _after_dots(got) == help_text
    with _lagging_pipe(kind) as (stream, got), _lagging_pipe(kind) as (err, err_got):
        monkeypatch.setattr(sys, "stdout", _filled(stream))
        monkeypatch.setattr(sys, "stderr", _filled(err))
        with pytest.raises(SystemExit):
            main(["linreg", "--epochs", "x", "--json"])
        _blocked_write.flush_waiting(err)
    assert _after_dots(err_got).startswith(
        "linearnets linreg: error: argument --epochs: must be a positive integer, got 'x'"
    )
    assert _after_dots(got).startswith('{"error": "argument --epochs: must be a positive')
    assert _after_dots(got).endswith('"error_type": "UsageError", "exit_status": 2}\n')


@pytest.mark.parametrize("kind", ["buffered", "line", "unbuffered"])
def test_every_line_printed_on_stderr_arrives_once_in_order_on_a_lagging_nonblocking_pipe(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A warning's line (print(file=sys.stderr)) raised BlockingIOError out of warnings.warn,
    ending the command, or was dropped under python -u."""
    from linearnets.errors import DataWarning

    with _lagging_pipe(kind) as (stream, got):
        monkeypatch.setattr(sys, "stderr", _filled(stream))
        with _blocked_write.streams_waiting(), warnings_on_one_line():
            for line in LINES[:400]:
                warnings.warn(line, DataWarning, stacklevel=1)
            print("done", file=sys.stderr)
        assert sys.stderr is stream
    assert _after_dots(got).splitlines() == [
        f"linearnets: warning: {line}" for line in LINES[:400]
    ] + ["done"]


def test_a_ctrl_c_held_while_a_line_waits_ends_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C that is held (a run's results and a stop's report are printed whole) or deferred
    (training stops after its step) raised nothing in the wait: it went on for its 30 s."""
    from linearnets._signals import held_signals

    monkeypatch.setattr(_blocked_write, "BLOCKED_TIMEOUT_S", 10.0)
    with _lagging_pipe("buffered", reader=False) as (stream, _):
        write = functools.partial(_blocked_write.write_waiting, stream, "x" * 30000 + "\n")
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        with held_signals(raise_after=False):
            timer.start()
            start = time.monotonic()
            with pytest.raises(BlockingIOError, match=r"stopped \(Ctrl-C or SIGTERM\) while it"):
                write()
            assert time.monotonic() - start < 2
            assert _took(write) < 1.0  # not waited on again (that would take 5 s)


def _elapsed(call: Callable[[], object]) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start


def test_a_stop_that_came_before_a_wait_shortens_it_for_this_command_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C held or raised before the stop's report began to wait on a stuck stderr cut
    nothing: the command exited BLOCKED_TIMEOUT_S (30 s) after the Ctrl-C, without a word."""
    from linearnets._signals import note_stop

    monkeypatch.setattr(_blocked_write, "BLOCKED_TIMEOUT_S", 1.5)
    monkeypatch.setattr(_blocked_write, "STOPPING_TIMEOUT_S", 0.2)
    note_stop()  # an earlier command's stop: not this one's
    with _lagging_pipe("buffered", reader=False) as (stream, _), _blocked_write.streams_waiting():
        write = functools.partial(_blocked_write.write_waiting, stream, "x" * 30000 + "\n")
        assert _took(write) >= 1.5
    monkeypatch.setattr(_blocked_write, "_STUCK", set())
    with _lagging_pipe("buffered", reader=False) as (stream, _), _blocked_write.streams_waiting():
        note_stop()
        write = functools.partial(_blocked_write.write_waiting, stream, "x" * 30000 + "\n")
        assert _took(write) < 1


def test_the_report_of_a_stop_while_starting_waits_only_a_moment_on_a_stuck_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linearnets.cli._outcomes import report_start_interrupted

    monkeypatch.setattr(_blocked_write, "BLOCKED_TIMEOUT_S", 3.0)
    monkeypatch.setattr(_blocked_write, "STOPPING_TIMEOUT_S", 0.2)
    monkeypatch.delenv("RANK", raising=False)
    with _lagging_pipe("unbuffered", reader=False) as (stream, _):
        monkeypatch.setattr(sys, "stderr", _filled(stream))
        with _blocked_write.streams_waiting():
            report = functools.partial(
                report_start_interrupted, KeyboardInterrupt(), json_errors=False
            )
            assert _elapsed(report) < 2


def test_writelines_waits_as_write_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """WaitingStream.writelines was the stream's own: refused at once on a lagging pipe."""
    with _lagging_pipe("buffered") as (stream, got):
        waiting = _blocked_write.WaitingStream(_filled(stream), drop_stuck=False)
        waiting.writelines(line + "\n" for line in LINES)
        waiting.flush()
    assert _after_dots(got).splitlines() == LINES


def test_a_stderr_that_cannot_take_its_last_words_leaves_the_streams_as_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flush of what a buffered stderr held, as the command ended, raised a full device's
    OSError out of streams_waiting, leaving sys.stderr wrapped (a session's, %run's)."""
    full = open("/dev/full", "w")  # noqa: SIM115
    monkeypatch.setattr(sys, "stderr", full)
    try:
        with _blocked_write.streams_waiting():
            sys.stderr.write("partial, no newline")
        assert sys.stderr is full
    finally:
        with contextlib.suppress(OSError):
            full.close()


def test_a_warning_stderr_cannot_take_does_not_end_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A warning's line to a full stderr (2>/dev/full, --threads 4 on 2 cores) raised OSError out
    of warnings.warn: the run stopped before it trained, where Python's own showwarning is quiet."""
    from linearnets.errors import DataWarning, ResumeWarning, ThreadsWarning

    full = open("/dev/full", "w", buffering=1)  # noqa: SIM115
    monkeypatch.setattr(sys, "stderr", full)
    try:
        with warnings_on_one_line():
            for category in (DataWarning, ThreadsWarning, ResumeWarning):
                warnings.warn("a warning", category, stacklevel=1)
    finally:
        with contextlib.suppress(OSError):
            full.close()
