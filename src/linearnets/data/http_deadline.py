"""``urlopen`` with a deadline on the response headers, for downloads (D2L §3.5.1).

A socket's timeout bounds each read, not the whole: a mirror that sends its status line and headers a
byte every few seconds would hold a download forever. Here the status line and headers are due
``timeout`` seconds after the request; past that, with some bytes received, the response fails with
"no response headers within N s (stalled)" (with none at all, the socket's own timeout says "timed
out"). The body is left to the caller, which bounds it by a minimum speed.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
import urllib.request
from typing import Any

from linearnets.errors import DatasetError

__all__ = ["urlopen"]


class _HeaderDeadline(io.RawIOBase):
    """A response's socket reads, its status line and headers all due ``timeout`` s after the request.

    The socket's own timeout bounds each read only, so a mirror sending its headers a byte at a time
    would hold a download forever; the body has the minimum speed of :func:`_copy_body` instead.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket) -> None:
        super().__init__()
        self.raw, self.sock = raw, sock
        self.timeout = sock.gettimeout()
        self.deadline = None if self.timeout is None else time.monotonic() + self.timeout
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int | None:
        if self.deadline is None or self.timeout is None:  # the headers are in: plain reads
            return self.raw.readinto(b)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 and self.received:
            raise _stalled(self.timeout)
        self.sock.settimeout(max(remaining, 1e-3))
        try:
            n = self.raw.readinto(b)
        except TimeoutError:
            if self.received:  # some bytes came, not all the headers: stalled, not silent
                raise _stalled(self.timeout) from None
            raise  # nothing at all: failure_reason's "no answer within N s (timed out)"
        finally:
            self.sock.settimeout(self.timeout)
        self.received += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def _stalled(timeout: float) -> DatasetError:
    return DatasetError(f"no response headers within {timeout:g} s (stalled)")


class _Response(http.client.HTTPResponse):
    """An HTTP response whose status line and headers must arrive within the socket's timeout."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        # the socket file stays underneath (urllib closes the socket once the response is done)
        self._reader = _HeaderDeadline(self.fp.detach(), sock)
        self.fp = io.BufferedReader(self._reader)

    def begin(self) -> None:
        try:
            super().begin()
        finally:
            self._reader.deadline = None  # the body: bounded by _copy_body's minimum speed


class _HTTPConnection(http.client.HTTPConnection):
    response_class = _Response


class _HTTPHandler(urllib.request.HTTPHandler):
    def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> http.client.HTTPResponse:
        return super().do_open(_HTTPConnection, req, **kwargs)


_HANDLERS: list[type[urllib.request.BaseHandler]] = [_HTTPHandler]
if hasattr(http.client, "HTTPSConnection"):  # Python built with ssl

    class _HTTPSConnection(http.client.HTTPSConnection):
        response_class = _Response

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> http.client.HTTPResponse:
            return super().do_open(_HTTPSConnection, req, **kwargs)

    _HANDLERS.append(_HTTPSHandler)


def urlopen(url: str, *, timeout: float) -> http.client.HTTPResponse:
    """Open ``url`` as ``urllib.request.urlopen`` does, the response headers due within ``timeout``."""
    return urllib.request.build_opener(*_HANDLERS).open(url, timeout=timeout)
