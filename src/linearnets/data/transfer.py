"""Streaming one HTTP response body into a file: size- and speed-limited, with a progress bar (D2L §3.5.1).

:func:`fetch_url` opens a URL (through :mod:`linearnets.data.http_deadline`, which bounds the wait for
the headers and refuses redirects elsewhere than HTTP(S)) and copies its body into an open file. The
copy fails when the mirror sends more than a gzip of the file can hold (:func:`max_body`), sends
slower than :data:`MIN_BYTES_PER_SECOND` over any ``timeout`` seconds, or stops short of the length
it announced; the bytes on the wire (a chunked body's size lines and trailers too) are held to the
same speed and to twice that size (:func:`~linearnets.data.http_deadline.limit_body`). A body
begun and not finished (stalled, too slow, cut short) is an
:class:`~linearnets.data.http_deadline.UnfinishedError`: the file may be right, and another try may
get it whole. A failure after a redirect names the URL it went to; :func:`fetch_url` also says
whether the body's end was only the connection's close (no length announced, no chunking), for
the caller to tell a file cut short that way as a transfer cut short. An OSError of the local write is
told apart from the network's (:class:`DiskError`), so that the caller can say no mirror can fix it.
"""

from __future__ import annotations

import contextlib
import http.client
import sys
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, NamedTuple

from linearnets._bars import bar_size, close_bar, dumb_terminal
from linearnets.data import http_deadline
from linearnets.data.http_deadline import (
    ChunksCutError,
    RedirectError,
    SpeedFloor,
    UnfinishedError,
)
from linearnets.errors import DatasetError

__all__ = [
    "CHUNK",
    "MIN_BYTES_PER_SECOND",
    "DiskError",
    "Fetched",
    "copy_body",
    "failed_at",
    "fetch_url",
    "max_body",
    "on_disk",
    "receive",
]

CHUNK = 1 << 16
MIN_BYTES_PER_SECOND = 1 << 10  # over any `timeout` seconds; a slower mirror is given up


class DiskError(Exception):
    """An OSError of a local write, sync or rename, told apart from the network's own OSErrors."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


@contextlib.contextmanager
def on_disk() -> Iterator[None]:
    """Mark an OSError raised inside as this machine's (see :class:`DiskError`)."""
    try:
        yield
    except OSError as exc:
        raise DiskError(exc) from exc


def max_body(size: int) -> int:
    """Return the most bytes a mirror may send for a file of ``size`` bytes once decompressed.

    A gzip of it is never meaningfully bigger (stored blocks add 5 bytes per 64 KiB), and the plain
    file served under the .gz name is exactly ``size``.
    """
    return size + size // 100 + (64 << 10)


def copy_body(
    response: http.client.HTTPResponse,
    f: BinaryIO,
    update: Callable[[int], object],
    *,
    size: int,
    timeout: float,
) -> int:
    """Copy the body into ``f`` and return its length; raise once it is too big or too slow."""
    limit = max_body(size)
    floor = SpeedFloor(MIN_BYTES_PER_SECOND, timeout, time.monotonic())
    received = 0
    # read1 returns what has arrived: no call waits longer than the socket timeout
    while chunk := _read_some(response, received, timeout):
        received += len(chunk)
        if received > limit:
            raise DatasetError(f"sent more than {limit} bytes for a file of {size} bytes (too big)")
        with on_disk():
            f.write(chunk)
        update(len(chunk))
        floor.check(received, time.monotonic())
    return received


def _read_some(response: http.client.HTTPResponse, received: int, timeout: float) -> bytes:
    """Return the next bytes that have arrived (``b""`` at the end of the body).

    A chunked body cut off mid-chunk raises ``IncompleteRead`` holding only that call's bytes: the
    error names the whole count received instead; so does one cut between two chunks (the end of
    the stream where a size line was due, :class:`~linearnets.data.http_deadline.ChunksCutError`),
    which only a size line that is there and no hexadecimal number is not. A mirror silent for ``timeout`` s after its
    headers answered, but stalled: the error says after how many bytes; so does one that resets
    the connection.
    """
    try:
        return response.read1(CHUNK)
    except http.client.IncompleteRead as exc:
        # http.client's reading of a chunk-size line (one that is not there: cut short)
        if isinstance(exc.__context__, ValueError) and not isinstance(
            exc.__context__, ChunksCutError
        ):
            raise DatasetError(
                f"sent a chunked body with a malformed chunk size after {received} bytes "
                "(not HTTP/1.1 chunking)"
            ) from None
        raise UnfinishedError(
            f"the connection closed after {received + len(exc.partial)} bytes (truncated)"
        ) from None
    except TimeoutError:
        raise UnfinishedError(
            f"sent its headers and {received} bytes, then nothing for {timeout:g} s (stalled)"
        ) from None
    except ConnectionError:
        # a reset after the headers: the mirror answered (the bare "[Errno 104] Connection reset
        # by peer" got the advice of a machine without a network)
        raise UnfinishedError(
            f"the connection was reset after {received} bytes (truncated)"
        ) from None


class Fetched(NamedTuple):
    """What :func:`fetch_url` received: ``url``, the URL that answered (another after a redirect);
    ``close_delimited``, whether the body ended where the connection closed (neither a length nor
    chunking announced its end), so that a body cut short cannot be told from a whole one here."""

    url: str
    close_delimited: bool


def fetch_url(
    url: str, f: BinaryIO, *, size: int, timeout: float, progress: bool, desc: str
) -> Fetched:
    """Stream ``url`` into ``f`` and return the URL that answered (another after a redirect) and
    whether the body was close-delimited; raise if the body is too big, too slow, or shorter than
    announced."""
    with http_deadline.urlopen(url, timeout=timeout) as response:
        close_delimited = response.length is None and not response.chunked
        # the wire, chunk framing included, within twice the body's bound (framing is a few bytes
        # per chunk) and as fast as the body
        http_deadline.limit_body(
            response, rate=MIN_BYTES_PER_SECOND, window=timeout, most=2 * max_body(size)
        )
        try:
            receive(response, f, size=size, timeout=timeout, progress=progress, desc=desc)
        except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
            raise failed_at(url, response.url, exc) from None
        final: str = response.url
    with on_disk():
        f.flush()
    return Fetched(final, close_delimited)


def failed_at(url: str, final: str, exc: Exception) -> Exception:
    """Return ``exc`` as the failure of ``final``, where ``url`` redirected (``exc`` if nowhere)."""
    return exc if final == url or isinstance(exc, RedirectError) else RedirectError(final, exc)


def receive(
    response: http.client.HTTPResponse,
    f: BinaryIO,
    *,
    size: int,
    timeout: float,
    progress: bool,
    desc: str,
) -> None:
    """Copy the body of ``response`` into ``f`` with a progress bar; raise as :func:`fetch_url` says."""
    from tqdm import tqdm

    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    if total is not None and total > max_body(size):
        raise DatasetError(
            f"announced {total} bytes, more than {max_body(size)} for a file of {size} bytes "
            "(too big)"
        )
    shape = bar_size(sys.stderr) if progress else {}  # room for a Ctrl-C's echoed "^C"
    bar = tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc=desc,
        # None: tqdm's "only on a terminal", so a log file or pipe gets no bar
        # glued to the next line
        disable=None if progress and not dumb_terminal() else True,
        leave=False,
        **shape,
    )
    try:
        received = copy_body(response, f, bar.update, size=size, timeout=timeout)
    finally:
        close_bar(bar, shape)
    if total is not None and received != total:
        raise UnfinishedError(f"the transfer stopped after {received} of {total} bytes (truncated)")
