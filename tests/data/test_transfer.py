"""One response body into a file: every chunk written, the size bound, the speed limit, a body cut
short (D2L §3.5.1).

The tests feed ``copy_body`` (and through it ``_read_some``) a response object of their own, on a
clock of their own; whole downloads from a server on 127.0.0.1 are in ``test_fetch.py``.
"""

from __future__ import annotations

import http.client
import io
import time
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.data import transfer
from linearnets.errors import DatasetError


class _Response:
    """What ``copy_body`` reads: ``read1`` gives the next chunk, each read advancing the clock."""

    def __init__(self, chunks: list[bytes], clock: list[float], step: float = 0.0) -> None:
        self.chunks, self.clock, self.step = list(chunks), clock, step

    def read1(self, n: int) -> bytes:
        self.clock[0] += self.step
        return self.chunks.pop(0) if self.chunks else b""


def _ignore(n: int) -> None:
    pass


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [100.0]
    monkeypatch.setattr(transfer, "time", SimpleNamespace(monotonic=lambda: now[0], time=time.time))
    return now


def test_copy_body_writes_every_chunk_and_reports_each(clock: list[float]) -> None:
    out, seen = io.BytesIO(), []
    chunks = [b"abc", b"de", b"fghij"]
    received = transfer.copy_body(
        _Response(chunks, clock),
        out,
        seen.append,
        size=10,
        timeout=1.0,  # type: ignore[arg-type]
    )
    assert received == 10 and out.getvalue() == b"abcdefghij" and seen == [3, 2, 5]


def test_copy_body_allows_the_bound_and_refuses_one_byte_more(clock: list[float]) -> None:
    size = 1000
    bound = size + size // 100 + 65536  # a gzip is never meaningfully bigger than the file
    out = io.BytesIO()
    body = [bytes(bound)]
    assert transfer.copy_body(_Response(body, clock), out, _ignore, size=size, timeout=1.0) == bound  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match=rf"^sent more than {bound} bytes for a file of {size} bytes \(too big\)$"):  # fmt: skip
        transfer.copy_body(_Response([bytes(bound), b"x"], clock), io.BytesIO(), _ignore, size=size, timeout=1.0)  # type: ignore[arg-type]  # fmt: skip


def test_the_minimum_speed_is_per_second_over_each_window(clock: list[float]) -> None:
    """At 1 KiB/s over 2 s windows, 2048 bytes per window pass and 2047 do not."""
    assert transfer.MIN_BYTES_PER_SECOND == 1024
    # each read takes 1 s: the window of 2 s ends after every second chunk
    fast = [bytes(1024)] * 6  # exactly 2048 per window
    assert transfer.copy_body(_Response(fast, clock, 1.0), io.BytesIO(), _ignore, size=10**6, timeout=2.0) == 6144  # type: ignore[arg-type]  # fmt: skip
    slow = [bytes(1024), bytes(1024), bytes(1024), bytes(1023)]  # the second window holds 2047
    with pytest.raises(DatasetError, match=r"^slower than 1 KiB/s for 2 s \(stalled\)$"):
        transfer.copy_body(_Response(slow, clock, 1.0), io.BytesIO(), _ignore, size=10**6, timeout=2.0)  # type: ignore[arg-type]  # fmt: skip


def test_a_window_ends_when_exactly_timeout_seconds_have_passed(clock: list[float]) -> None:
    """A window is judged at its end (``>= timeout``), not one read later."""
    chunks = [b"x"]  # 1 byte in the first 2 s window, the last one at its very end: too slow
    with pytest.raises(DatasetError, match="stalled"):
        transfer.copy_body(_Response(chunks, clock, 2.0), io.BytesIO(), _ignore, size=100, timeout=2.0)  # type: ignore[arg-type]  # fmt: skip


def test_a_body_cut_mid_chunk_names_every_byte_received(clock: list[float]) -> None:
    class Cut(_Response):
        def read1(self, n: int) -> bytes:
            if self.chunks:
                return self.chunks.pop(0)
            raise http.client.IncompleteRead(b"xyz", 100)

    with pytest.raises(DatasetError, match=r"^the connection closed after 8 bytes \(truncated\)$"):
        transfer.copy_body(Cut([b"abcde"], clock), io.BytesIO(), _ignore, size=100, timeout=1.0)  # type: ignore[arg-type]  # fmt: skip


def _receive_with_a_bar(clock: list[float]) -> bytes:
    """Receive a 5-byte body announced by its Content-Length, asking for a bar; return the bytes."""
    response = _Response([b"abc", b"de"], clock)
    response.headers = {"Content-Length": "5"}  # type: ignore[attr-defined]
    out = io.BytesIO()
    transfer.receive(response, out, size=5, timeout=1.0, progress=True, desc="f.gz")  # type: ignore[arg-type]
    return out.getvalue()


def test_the_bar_leaves_room_for_an_echoed_ctrl_c_and_is_erased_with_it(
    clock: list[float], pseudo_terminal: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C's "^C", echoed where the bar ends, must fit on the bar's row (at the last column it
    wrapped, leaving the bar above the stop's message) and go when the bar does."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr("sys.stderr", pseudo_terminal.stream)
    assert _receive_with_a_bar(clock) == b"abcde"
    text = pseudo_terminal.written()
    drawn = [part for part in text.split("\r") if part.strip()]
    assert drawn and drawn[0].startswith("f.gz:")
    assert all(len(part) <= 37 for part in drawn)  # 40 columns: 3 free on the right
    assert text.endswith("\r" + " " * 39 + "\r")  # the echo's columns blanked too


def test_no_bar_is_drawn_on_a_dumb_terminal(
    clock: list[float], pseudo_terminal: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TERM=dumb (Emacs' shell): a terminal to isatty(), but the bar's carriage-return redraws
    would pile up there; the file arrives all the same, with nothing drawn."""
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr("sys.stderr", pseudo_terminal.stream)
    assert _receive_with_a_bar(clock) == b"abcde"
    assert pseudo_terminal.written() == ""


def test_a_write_that_fails_is_this_machines_error_not_the_mirrors(clock: list[float]) -> None:
    """A disk that fills mid-body: the OSError of the write is a DiskError (which the download
    stops at, naming the file), not one more mirror failure to try the next mirror after."""
    full = OSError(28, "No space left on device")

    class Full(io.BytesIO):
        def write(self, data: Any) -> int:
            raise full

    with pytest.raises(transfer.DiskError) as info:
        transfer.copy_body(_Response([b"abc"], clock), Full(), _ignore, size=10, timeout=1.0)  # type: ignore[arg-type]
    assert info.value.error is full
