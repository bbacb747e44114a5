"""``urlopen`` with a deadline on the response headers and limits on the body's bytes, for downloads
(D2L §3.5.1).

A socket's timeout bounds each read, not the whole: a mirror that sends its status line and headers a
byte every few seconds would hold a download forever. Here the status line and headers are due
``timeout`` seconds after the request; past that, with some bytes received, the response fails with
"no response headers within N s (stalled)" (with none at all, the socket's own timeout says "timed
out"). Once :func:`limit_body` is called on the response, every byte of the body on the wire counts:
those of a chunked body's size lines and trailers too, which http.client reads inside one ``read1``
of the caller's, so that no check of the caller's runs while they come. They must keep a
:class:`SpeedFloor` and stay within a number of bytes: a mirror trickling a chunk-size line, or
sending trailer lines without end, is given up like one trickling its data.

Redirects are followed to http:// and https:// URLs without a login only, and a redirect's own body
is never read: nothing would bound it, so a mirror could hold the download with it forever or fill
the memory. A failure at the end of a redirect is a :class:`RedirectError`, which names the URL that
failed: the one asked for answered.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from linearnets.errors import DatasetError

__all__ = [
    "ChunksCutError",
    "RedirectError",
    "SilentError",
    "SpeedFloor",
    "StalledError",
    "UnfinishedError",
    "limit_body",
    "urlopen",
]


class RedirectError(DatasetError):
    """A download that failed after a redirect: ``url`` is where it went, ``error`` what failed there."""

    def __init__(self, url: str, error: BaseException) -> None:
        super().__init__(f"redirected to {url}: {error}")
        self.url, self.error = url, error


class UnfinishedError(DatasetError):
    """A mirror that answered, then did not finish the body: it stalled, slowed below the
    :class:`SpeedFloor`, or the connection closed or was reset before the end. The file it serves
    may be the right one: another try may get it whole."""


class SpeedFloor:
    """At least ``rate`` bytes a second over every ``window`` seconds, counted from ``start``.

    :meth:`check` is given the running total after each read; once a window has passed, the bytes it
    brought must reach ``rate * window``, and the next window starts.
    """

    def __init__(self, rate: float, window: float, start: float) -> None:
        self.rate, self.window = rate, window
        self.window_start, self.window_total = start, 0

    def check(self, total: int, now: float) -> None:
        """Raise :class:`UnfinishedError` if the window that ended by ``now`` brought too few bytes."""
        if now - self.window_start < self.window:
            return
        if total - self.window_total < self.rate * self.window:
            raise UnfinishedError(
                f"slower than {self.rate / 1024:g} KiB/s for {self.window:g} s (stalled)"
            )
        self.window_start, self.window_total = now, total


class _Wire(io.RawIOBase):
    """A response's socket reads: its status line and headers all due ``timeout`` s after the request;
    then, once :func:`limit_body` set ``floor`` and ``most``, the body's bytes (chunk-size lines and
    trailers included) at least that fast and at most that many.

    The socket's own timeout bounds each read only, so a mirror sending its headers a byte at a time
    would hold a download forever.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket) -> None:
        super().__init__()
        self.raw, self.sock = raw, sock
        self.timeout = sock.gettimeout()
        self.deadline = None if self.timeout is None else time.monotonic() + self.timeout
        self.received = 0
        self.floor: SpeedFloor | None = None  # the body's, from limit_body
        self.most: int | None = None
        self.body = 0  # bytes read since limit_body

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int | None:
        if self.deadline is None or self.timeout is None:  # the headers are in
            n = self.raw.readinto(b)
            if self.floor is not None:
                self.body += n or 0
                if self.most is not None and self.body > self.most:
                    raise DatasetError(f"sent more than {self.most} bytes in all (too big)")
                self.floor.check(self.body, time.monotonic())
            return n
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 and self.received:
            raise _stalled(self.timeout)
        self.sock.settimeout(max(remaining, 1e-3))
        try:
            n = self.raw.readinto(b)
        except TimeoutError as exc:
            if self.received:  # some bytes came, not all the headers: stalled, not silent
                raise _stalled(self.timeout) from None
            # nothing at all: failure_reason's "no answer within N s (timed out)", but from a
            # mirror that took the connection (the network works), unlike a connect's timeout
            raise SilentError(*exc.args) from None
        finally:
            self.sock.settimeout(self.timeout)
        self.received += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class StalledError(DatasetError):
    """A mirror that took the connection but sent no response headers in time: no answer."""


class SilentError(TimeoutError):
    """A mirror that took the connection but sent not one byte in time: the socket's timeout,
    worded as any timeout is ("no answer"), though the mirror was reached."""


def _stalled(timeout: float) -> StalledError:
    return StalledError(f"no response headers within {timeout:g} s (stalled)")


class ChunksCutError(ValueError):
    """A chunked body whose connection closed where the next chunk-size line was due: cut between
    two chunks. A ValueError, as http.client's own reading of a size line raises, so that
    http.client turns it into the same ``IncompleteRead``, with this as its ``__context__``."""


class _Response(http.client.HTTPResponse):
    """An HTTP response whose status line and headers must arrive within the socket's timeout, and
    whose chunked body cut between two chunks says so (:class:`ChunksCutError`)."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        # the socket file stays underneath (urllib closes the socket once the response is done)
        self._reader = _Wire(self.fp.detach(), sock)
        self.fp = io.BufferedReader(self._reader)

    def begin(self) -> None:
        try:
            super().begin()
        finally:
            self._reader.deadline = None  # the body: bounded by limit_body's floor and size

    def _read_next_chunk_size(self) -> int:
        # http.client reads the end of the stream as an empty size line, a malformed one: a mirror
        # that sent whole chunks and then closed was told "not HTTP/1.1 chunking"
        if self.fp is not None and not self.fp.peek(1):
            self._close_conn()  # type: ignore[attr-defined]
            raise ChunksCutError("the connection closed where a chunk-size line was due")
        size: int = super()._read_next_chunk_size()  # type: ignore[misc]
        return size


class _HTTPConnection(http.client.HTTPConnection):
    response_class = _Response


def _redirected(req: urllib.request.Request) -> bool:
    """Whether ``req`` is the request of a redirect (urllib marks those it makes)."""
    return hasattr(req, "redirect_dict")


def _open(
    do_open: Callable[..., http.client.HTTPResponse], http_class: Any, req: Any, **kwargs: Any
) -> http.client.HTTPResponse:
    """Open ``req`` with urllib's ``do_open``; a failure after a redirect is a :class:`RedirectError`."""
    try:
        response = do_open(http_class, req, **kwargs)
    except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
        if _redirected(req) and not isinstance(exc, RedirectError):
            raise RedirectError(req.full_url, exc) from exc
        raise
    return response


class _HTTPHandler(urllib.request.HTTPHandler):
    def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> http.client.HTTPResponse:
        return _open(super().do_open, _HTTPConnection, req, **kwargs)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow a redirect to an http:// or https:// URL without a login, never reading its body."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        parts = urllib.parse.urlsplit(newurl)
        # urllib also follows ftp:// (which has no header deadline), and takes a login for part of
        # the host name
        if parts.scheme not in ("http", "https") or "@" in parts.netloc:
            raise urllib.error.HTTPError(
                newurl,
                code,
                f"{msg} - Redirection to url '{newurl}' is not allowed (only http:// or https:// "
                "URLs without a login are followed)",
                headers,
                fp,
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def http_error_302(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any
    ) -> http.client.HTTPResponse | None:
        # urllib reads the whole body before it follows: unbounded in time and size. Closed, the
        # response reads as empty (the connection is this request's alone: urllib asks for its close)
        fp.close()
        response: http.client.HTTPResponse | None = super().http_error_302(
            req, fp, code, msg, headers
        )
        return response

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _ErrorHandler(urllib.request.HTTPDefaultErrorHandler):
    """Raise the HTTPError of an error status; after a redirect, as a :class:`RedirectError`."""

    def http_error_default(self, req: Any, fp: Any, code: int, msg: str, hdrs: Any) -> Any:
        # the error's body is never read: closed now, the connection goes at once, not when a
        # garbage collection finds the error (its traceback is a cycle) and the socket, which then
        # says "ResourceWarning: unclosed <socket.socket [closed] ...>"
        fp.close()
        error = urllib.error.HTTPError(req.full_url, code, msg, hdrs, fp)
        if _redirected(req):
            raise RedirectError(req.full_url, error)
        raise error


_HANDLERS: list[type[urllib.request.BaseHandler]] = [_HTTPHandler, _RedirectHandler, _ErrorHandler]
if hasattr(http.client, "HTTPSConnection"):  # Python built with ssl

    class _HTTPSConnection(http.client.HTTPSConnection):
        response_class = _Response

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> http.client.HTTPResponse:
            return _open(super().do_open, _HTTPSConnection, req, **kwargs)

    _HANDLERS.append(_HTTPSHandler)


def limit_body(
    response: http.client.HTTPResponse, *, rate: float, window: float, most: int
) -> None:
    """Hold the rest of ``response``'s bytes on the wire to ``rate`` bytes a second over every
    ``window`` seconds and ``most`` bytes in all, from now on; each read that breaks a limit raises
    DatasetError. A response not opened by :func:`urlopen` is left as it is."""
    reader = getattr(response, "_reader", None)
    if isinstance(reader, _Wire):
        reader.body, reader.most = 0, most
        reader.floor = SpeedFloor(rate, window, time.monotonic())


def urlopen(url: str, *, timeout: float) -> http.client.HTTPResponse:
    """Open ``url`` as ``urllib.request.urlopen`` does, the response headers due within ``timeout``
    (those of each redirect too); follow http(s) redirects only, without reading their bodies.

    Raises:
        RedirectError: the request failed after a redirect (its ``error`` says how).
        urllib.error.HTTPError, OSError, http.client.HTTPException, DatasetError, ValueError: it
            failed at ``url`` itself (a redirect refused is an HTTPError of the redirect's status).
    """
    return urllib.request.build_opener(*_HANDLERS).open(url, timeout=timeout)
