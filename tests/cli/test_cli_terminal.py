"""`linearnets softmax` in a real terminal (a pseudo-terminal) and in a pipe (D2L §3.6.6).

In a terminal each epoch shows a progress bar, redrawn in place and cleared when the epoch ends, then
one summary line; in a pipe or a file only the lines, with no carriage returns or bar residue.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

REAL_DATA = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)"
)
EPOCH_LINE = re.compile(r"^epoch (\d), loss \d\.\d{4}, train acc 0\.\d{3}, test acc 0\.\d{3}, ")


def _command(tmp_path: Path, *options: str) -> list[str]:
    out = str(tmp_path / "run")
    return [sys.executable, "-m", "linearnets", "softmax", "--epochs", "2", "--plot", "none", "--out", out, *options]  # fmt: skip


def _env() -> dict[str, str]:
    return dict(os.environ, MPLBACKEND="Agg")


@pytest.mark.parametrize("size", [(24, 100), (0, 0)], ids=["24x100", "size-unknown"])
def test_a_terminal_gets_a_bar_per_epoch_then_its_line(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    controller, terminal = pty.openpty()
    # the terminal's window; a new pseudo-terminal reports 0 x 0, as a container started before its
    # window was sized can (tqdm alone then shows no bar at all)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
    proc = subprocess.Popen(
        _command(tmp_path), stdin=terminal, stdout=terminal, stderr=terminal, env=_env()
    )
    os.close(terminal)
    chunks = []
    while True:  # read until the command closes the terminal (EIO on Linux)
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode()
    # tqdm's bar: "epoch 1:  40%|████ | 94/235 [...]", redrawn with \r, for each epoch
    for epoch in (1, 2):
        assert re.search(rf"\repoch {epoch}:\s+\d+%\|.*\| \d+/235 ", text), text[:2000]
    lines = [line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n")]
    epochs = [m.group(1) for line in lines if (m := EPOCH_LINE.match(line))]
    assert epochs == ["1", "2"]  # each summary line starts clean: the bar was cleared first
    assert "run folder:" in text


def test_a_pipe_gets_only_the_lines(tmp_path: Path) -> None:
    done = subprocess.run(
        _command(tmp_path), capture_output=True, text=True, env=_env(), timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout + done.stderr and "235" not in done.stderr  # no bar anywhere
    epochs = [m.group(1) for line in done.stdout.splitlines() if (m := EPOCH_LINE.match(line))]
    assert epochs == ["1", "2"]


def _screen(output: bytes, columns: int) -> list[str]:
    """Return the rows a terminal `columns` wide shows for `output` (text, \\r, \\n; a character
    written past the last column wraps to the next row, as xterm's does)."""
    rows: list[list[str]] = [[]]
    row = column = 0
    for char in output.decode():
        if char == "\r":
            column = 0
        elif char == "\n":
            row += 1
        else:
            if column == columns:
                row, column = row + 1, 0
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            column += 1
        while len(rows) <= row:
            rows.append([])
    return ["".join(line).rstrip() for line in rows]


def test_a_ctrl_c_in_the_terminal_leaves_no_bar_above_its_line(tmp_path: Path) -> None:
    """The terminal echoes "^C" where the bar ends: at the last column it wrapped, and the bar
    stayed on the line above the stop's message."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    attrs = termios.tcgetattr(terminal)  # a terminal's defaults: Ctrl-C sends SIGINT, echoed "^C"
    attrs[3] |= termios.ISIG | termios.ECHO | termios.ECHOCTL
    termios.tcsetattr(terminal, termios.TCSANOW, attrs)
    proc = subprocess.Popen(
        # an epoch of 60,000 steps lasts seconds: an epoch of 235 can end (bar drawn and cleared)
        # within one read, and then no read ends on a drawn bar
        _command(tmp_path, "--batch-size", "1"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=_env(),
        start_new_session=True,  # then the terminal becomes the command's own, as a shell's is
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if b"\x03" not in output and re.search(rb"\repoch \d+:\s+\d+%\|[^\r]*\dbatch/s\]$", output):
            os.write(controller, b"\x03")  # Ctrl-C, once the bar has drawn itself (not at 0%)
            output += b"\x03"
    os.close(controller)
    assert proc.wait(timeout=120) == 130
    screen = _screen(output.replace(b"\x03", b""), 80)
    assert "^C" in output.decode()  # the terminal echoed it, as a user's does
    assert not any("%|" in row or "batch/s" in row for row in screen), screen  # the bar's unit
    # the epochs that ended keep their lines; the stop's message starts the next row clean
    stops = [i for i, row in enumerate(screen) if row.startswith("linearnets softmax: ")]
    assert stops, screen
    stop = stops[0]
    assert all(EPOCH_LINE.match(row) for row in screen[:stop]), screen
    assert re.match(
        r"linearnets softmax: interrupted by SIGINT after batch \d+ of epoch \d+", screen[stop]
    )
    assert "^" not in "".join(screen), screen
