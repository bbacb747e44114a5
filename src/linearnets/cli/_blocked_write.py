"""Lines written on a non-blocking stdout or stderr (``O_NONBLOCK`` set on a shared pipe or
terminal by another program) wait while its reader catches up, rather than being lost.

Such a stream refuses a write it cannot take at once (``EAGAIN``: a ``BlockingIOError``, or
``None`` from an unbuffered one, ``python -u``, which ``io.TextIOWrapper`` drops unsaid), though
the next one would likely be taken. A text stream's words are written here as its bytes, on its
binary buffer, so the bytes that got through are known and only the rest are written again, in
order, once the stream's file can be written; a stream that takes nothing for
:data:`BLOCKED_TIMEOUT_S` seconds raises ``BlockingIOError`` naming the wait, as lost.

Such a file is then remembered as stuck, for the rest of the process, as is one whose wait a
Ctrl-C (or SIGTERM) cut short: a later write or flush on it is tried once, and what it refuses is
lost at once, not waited for again (each line said, and the exit's flush, started a wait of its
own for the same stuck bytes: minutes, with Ctrl-C taken only after them).

The command writes every line so (:func:`streams_waiting`: its ``--help``, usage errors,
warnings, ``--json`` objects, reports), not only those of :func:`~linearnets.cli._report.say`
and :class:`~linearnets.cli._lost_output.LosingStdout`: a ``print`` on the stream itself dropped
the refused bytes under ``python -u``, or raised ``BlockingIOError`` (a warning's, out of
``warnings.warn``, ending the command before it trained).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import select
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from linearnets._signals import stops_seen

__all__ = [
    "BLOCKED_TIMEOUT_S",
    "WaitingStream",
    "flush_waiting",
    "streams_waiting",
    "write_waiting",
]

# how long a blocked stream may take nothing before its line counts as lost (a reader stopped)
BLOCKED_TIMEOUT_S = 30.0
# how long once the command is stopping (a Ctrl-C or SIGTERM came): a lagging reader takes its
# report in that time; a stopped one held the report of a stop 30 s more, without a word
STOPPING_TIMEOUT_S = 5.0

# the files (device, inode: stdout and stderr on one pipe or terminal have one reader) whose
# reader stopped, or whose wait was interrupted: not waited on again
_STUCK: set[tuple[int, int]] = set()
# stops_seen() when the command began (streams_waiting): a later count is this command's stop
_STOPS_BEFORE = [0]


class WaitingStream:
    """``stream`` (``sys.stdout``, ``sys.stderr``) whose writes and flushes wait out a
    non-blocking file's refusals (:func:`write_waiting`).

    Args:
        stream: a plain ``io.TextIOWrapper``.
        drop_stuck: drop a line its file refused after the wait (stderr's: nowhere is left to say
            it, and a warning's line must not end the command), rather than raise
            ``BlockingIOError`` (stdout's: the command says its lines are lost, or fails).
    """

    def __init__(self, stream: io.TextIOWrapper, *, drop_stuck: bool) -> None:
        self.stream = stream
        self.drop_stuck = drop_stuck
        self._written = False  # the words the stream held before it are written first

    def write(self, text: str) -> int:
        flush_first, self._written = not self._written, True
        try:
            return write_waiting(self.stream, text, flush_first=flush_first)
        except BlockingIOError:
            if self.drop_stuck:
                return len(text)
            raise

    def flush(self) -> None:
        try:
            flush_waiting(self.stream)
        except BlockingIOError:
            if not self.drop_stuck:
                raise

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each of ``lines`` as :meth:`write` does (the stream's own would not wait)."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, isatty, buffer: the stream's own
        return getattr(self.stream, name)


@contextlib.contextmanager
def streams_waiting() -> Iterator[None]:
    """Run the command with ``sys.stdout`` and ``sys.stderr`` each a :class:`WaitingStream`, put
    back after it where it left them so; a stream of another kind (a test's, a session's: IPython's)
    is left as it is."""
    stdout, stderr = sys.stdout, sys.stderr
    if type(stdout) is io.TextIOWrapper:
        sys.stdout = WaitingStream(stdout, drop_stuck=False)
    if type(stderr) is io.TextIOWrapper:
        sys.stderr = WaitingStream(stderr, drop_stuck=True)
    wrapped_out, wrapped_err = sys.stdout, sys.stderr
    stops_before, _STOPS_BEFORE[0] = _STOPS_BEFORE[0], stops_seen()
    try:
        yield
    finally:
        if sys.stderr is wrapped_err and wrapped_err is not stderr:
            # what a buffered stderr holds is written while it waits (stdout's: the exit's flush);
            # a full device's or a closed file's failure is no reason to leave the streams wrapped
            with contextlib.suppress(OSError, ValueError):
                wrapped_err.flush()
        _STOPS_BEFORE[0] = stops_before
        if sys.stdout is wrapped_out:
            sys.stdout = stdout
        if sys.stderr is wrapped_err:
            sys.stderr = stderr


def write_waiting(stream: Any, text: str, *, flush_first: bool = False) -> int:
    """Write ``text`` on ``stream``, waiting out a non-blocking stream's refusals.

    Args:
        stream: a text stream; a plain ``io.TextIOWrapper`` (``sys.stdout``, ``sys.stderr``) is
            written through its binary buffer, any other (``io.StringIO``, IPython's) as usual.
        text: the words to write.
        flush_first: first write the words the stream still holds unwritten, which would
            otherwise follow ``text`` (once per stream, where others may have written on it).

    Returns:
        ``len(text)``, as ``write`` does.

    Raises:
        BlockingIOError: the stream took nothing for :data:`BLOCKED_TIMEOUT_S` seconds.
        OSError: any other failed write (a full device, a reader gone), as the stream raised it.
    """
    if type(stream) is not io.TextIOWrapper:  # a subclass may write its own way
        return int(stream.write(text))
    if flush_first:
        flush_waiting(stream)
    encoded = text.replace("\n", os.linesep) if os.linesep != "\n" else text
    _write_bytes(stream.buffer, encoded.encode(stream.encoding, stream.errors or "strict"), stream)
    if stream.line_buffering and ("\n" in text or "\r" in text):
        flush_waiting(stream)
    return len(text)


def flush_waiting(stream: Any) -> None:
    """Flush ``stream``, waiting while it is blocked (a blocked flush keeps the bytes it holds).

    Raises:
        BlockingIOError: the stream took nothing for :data:`BLOCKED_TIMEOUT_S` seconds.
    """
    deadline, stops = _deadline(stream), stops_seen()
    while True:
        try:
            stream.flush()
            return
        except BlockingIOError:
            _wait_writable(stream, deadline, stops)


def _write_bytes(buffer: Any, data: bytes, stream: Any) -> None:
    """Write ``data`` whole on ``buffer`` (buffered or raw), the bytes refused written again."""
    rest = memoryview(data)
    deadline, stops = _deadline(stream), stops_seen()
    while rest:
        try:
            taken = buffer.write(rest)
        except BlockingIOError as exc:  # a buffered writer: characters_written are its bytes
            taken = exc.characters_written
        if taken:  # the reader is moving: its wait starts again
            rest = rest[taken:]
            deadline = _deadline(stream)
        if rest:
            _wait_writable(stream, deadline, stops)


def _wait_writable(stream: Any, deadline: float, stops: int) -> None:
    """Wait until ``stream``'s file can be written, or a moment where it has none.

    Raises:
        BlockingIOError: ``deadline`` (``time.monotonic()``) has passed, or a Ctrl-C or SIGTERM
            came that was held or deferred (the report of a stop, a run's results, a training
            step: not raised in the wait), ``stops_seen()`` no longer ``stops``.
    """
    if stops_seen() != stops:
        _STUCK.add(_file_key(stream))
        raise BlockingIOError(
            errno.EAGAIN,
            "the command was stopped (Ctrl-C or SIGTERM) while it waited for its reader",
        )
    left = deadline - time.monotonic()
    if left <= 0:
        _STUCK.add(_file_key(stream))
        raise BlockingIOError(
            errno.EAGAIN,
            f"it took nothing for {BLOCKED_TIMEOUT_S:g} s: it is non-blocking (O_NONBLOCK) and "
            "its reader stopped reading",
        )
    try:
        select.select([], [stream.fileno()], [], min(left, 1.0))
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: the command stops, its last lines not waited for
        _STUCK.add(_file_key(stream))
        raise
    except (
        AttributeError,
        OSError,
        ValueError,
    ):  # no file (a session's), or one select cannot watch
        time.sleep(min(left, 0.01))


def _file_key(stream: Any) -> tuple[int, int]:
    """Return the device and inode of ``stream``'s file; ``(-1, -1)`` where it has none (a
    session's stream)."""
    try:
        stat = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return (-1, -1)
    return (stat.st_dev, stat.st_ino)


def _deadline(stream: Any) -> float:
    """Return when a wait on ``stream`` gives up: at once where its file is stuck."""
    now = time.monotonic()
    if _STUCK and _file_key(stream) in _STUCK:
        return now
    # a stop that came before the wait began does not cut it (only one during it does): the
    # command is ending, so its report waits a moment for the reader, not BLOCKED_TIMEOUT_S
    stopping = stops_seen() > _STOPS_BEFORE[0]
    return now + (min(STOPPING_TIMEOUT_S, BLOCKED_TIMEOUT_S) if stopping else BLOCKED_TIMEOUT_S)
