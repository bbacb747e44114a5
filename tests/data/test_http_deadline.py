"""The response headers' deadline, read by read, on a clock of the test's own (D2L §3.5.1)."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.data import http_deadline
from linearnets.errors import DatasetError


class _Raw(io.RawIOBase):
    """A socket file: each read gives one byte, or raises what ``fail`` holds."""

    def __init__(self) -> None:
        self.fail: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.fail is not None:
            raise self.fail
        b[0] = ord("x")
        return 1


class _Socket:
    """Records the timeouts set on it."""

    def __init__(self, timeout: float | None) -> None:
        self.timeouts = [timeout]

    def gettimeout(self) -> float | None:
        return self.timeouts[-1]

    def settimeout(self, timeout: float | None) -> None:
        self.timeouts.append(timeout)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    clock = [1000.0]
    monkeypatch.setattr(http_deadline, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    return clock


def test_silence_past_the_deadline_is_the_sockets_own_timeout(now: list[float]) -> None:
    """No byte at all: the read is still tried (for a moment) and its TimeoutError kept, which
    failure_reason words "no answer within N s (timed out)"."""
    raw, sock = _Raw(), _Socket(2.0)
    reader = http_deadline._HeaderDeadline(raw, sock)  # type: ignore[arg-type]
    now[0] += 5.0
    raw.fail = TimeoutError("timed out")
    with pytest.raises(TimeoutError):
        reader.readinto(bytearray(1))
    assert sock.timeouts == [2.0, 1e-3, 2.0]  # the least wait, then the socket's own again
    raw.fail = None
    assert reader.readinto(bytearray(1)) == 1  # a byte that is there is still taken


def test_a_timeout_after_some_header_bytes_is_a_stall(now: list[float]) -> None:
    raw, sock = _Raw(), _Socket(2.0)
    reader = http_deadline._HeaderDeadline(raw, sock)  # type: ignore[arg-type]
    assert reader.readinto(bytearray(1)) == 1
    now[0] += 1.5
    raw.fail = TimeoutError("timed out")
    with pytest.raises(DatasetError, match=r"^no response headers within 2 s \(stalled\)$"):
        reader.readinto(bytearray(1))
    assert sock.timeouts == [2.0, 2.0, 2.0, 0.5, 2.0]  # each read waits what is left


def test_the_deadline_is_timeout_seconds_after_the_request(now: list[float]) -> None:
    raw, sock = _Raw(), _Socket(2.0)
    reader = http_deadline._HeaderDeadline(raw, sock)  # type: ignore[arg-type]
    assert reader.readinto(bytearray(1)) == 1
    now[0] += 1.999
    assert reader.readinto(bytearray(1)) == 1
    now[0] += 0.001
    with pytest.raises(DatasetError, match="stalled"):
        reader.readinto(bytearray(1))


def test_without_a_socket_timeout_there_is_no_deadline(now: list[float]) -> None:
    raw, sock = _Raw(), _Socket(None)
    reader = http_deadline._HeaderDeadline(raw, sock)  # type: ignore[arg-type]
    assert reader.deadline is None
    now[0] += 1e6
    assert reader.readinto(bytearray(1)) == 1 and sock.timeouts == [None]


def test_closing_the_reader_closes_the_socket_file() -> None:
    raw = _Raw()
    reader = http_deadline._HeaderDeadline(raw, _Socket(1.0))  # type: ignore[arg-type]
    reader.close()
    assert raw.closed and reader.closed
