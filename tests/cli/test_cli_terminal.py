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


def _command(tmp_path: Path) -> list[str]:
    out = str(tmp_path / "run")
    return [sys.executable, "-m", "linearnets", "softmax", "--epochs", "2", "--plot", "none", "--out", out]  # fmt: skip


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
