"""A stdout that cannot be written while a command works (linearnets.cli._lost_output)."""

from __future__ import annotations

import errno
import io
import sys

import pytest

from linearnets.cli._lost_output import lost_output_status, output_may_be_lost

LOST = (
    "linearnets softmax: warning: stdout could not be written (No space left on device): the "
    "lines it prints are lost from here on; the command goes on, and the files it writes are "
    "written as usual\n"
)


class _Full(io.StringIO):
    """A stdout on a full device for its first ``failures`` writes, then writable again."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def write(self, text: str) -> int:
        if self.failures:
            self.failures -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(text)

    def flush(self) -> None:
        if self.failures:
            raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(("failures", "left"), [(1, "stream"), (100, None)])
def test_lines_are_dropped_said_once_and_stdout_left_closed_unless_it_flushes(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failures: int,
    left: str | None,
) -> None:
    stream = _Full(failures)
    monkeypatch.setattr(sys, "stdout", stream)
    with output_may_be_lost("linearnets softmax") as losing:
        print("epoch 1", flush=True)
        print("epoch 2", flush=True)  # dropped, unsaid
    assert capsys.readouterr().err == LOST
    assert stream.getvalue() == ""
    assert sys.stdout is (stream if left else None)  # a session's stream (IPython's) goes on
    assert lost_output_status(0, losing, as_json=False) == 0
    assert lost_output_status(0, losing, as_json=True) == 1
    assert capsys.readouterr().err.startswith(
        "linearnets softmax: error: its --json object could not be written to stdout (No space "
        "left on device); the command's work is done and its files are written"
    )
    assert lost_output_status(2, losing, as_json=True) == 2  # its own error said already


def test_a_reader_that_quit_still_stops_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Gone())
    with pytest.raises(BrokenPipeError), output_may_be_lost("linearnets softmax"):
        print("epoch 1")


def test_a_closed_stdout_loses_its_lines_as_a_full_one_said_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``>&-`` (stdout None) lost every line unsaid where a full device's loss was warned of."""
    monkeypatch.setattr(sys, "stdout", None)
    with output_may_be_lost("linearnets softmax") as losing:
        print("epoch 1", flush=True)
        print("epoch 2", flush=True)
    assert capsys.readouterr().err == LOST.replace("No space left on device", "stdout is closed")
    assert sys.stdout is None
    assert lost_output_status(0, losing, as_json=False) == 0  # its run folder keeps the result


@pytest.mark.parametrize("closed", [False, True])
def test_a_result_kept_nowhere_and_lost_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], closed: bool
) -> None:
    """A linreg without --out lost its w and b with status 0, told "the files it writes are
    written as usual" (a full device) or nothing (a closed stdout), none being written."""
    monkeypatch.setattr(sys, "stdout", None if closed else _Full(100))
    with output_may_be_lost("linearnets linreg", kept=False) as losing:
        print("w [2.0, -3.4], b 4.2", flush=True)
    assert capsys.readouterr().err == ""  # said once, as it ends
    assert lost_output_status(0, losing, as_json=False) == 1
    why = "stdout is closed" if closed else "No space left on device"
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: its results could not be written to stdout ({why}); the "
        "command's work is done, but with no --out its result is kept nowhere; run it again with "
        "stdout open (a terminal, a file or a pipe), or with --out DIR to keep it in "
        "DIR/results.json\n"
    )
    assert lost_output_status(1, losing, as_json=False) == 1  # its own error said already
    assert capsys.readouterr().err == ""
