"""A stdout that cannot be written (a full device, ``>/dev/full``; an I/O error) or is closed
(``>&-``) while a command works: its printed lines are a side effect, so the work goes on.

Said once on stderr as the first line is lost; the exit status is then the work's, except where
the lost lines were the result itself: a ``--json`` object (status 1), the results of a run that
keeps them nowhere (``linreg`` without ``--out``: status 1, said in one line at the end, not
warned of first: no file of it is written), or a report that only prints (:data:`REPORTS`, which
fails on it as on any error, or in one line where stdout was closed from the start:
:func:`closed_output_status`). A reader that quit (``| head``, a broken pipe) still stops the
command: see :func:`linearnets.cli._outcomes.report_output_closed`. A non-blocking stdout that
refuses a write (``EAGAIN``) is waited on, not lost, unless it stays blocked: see
:mod:`linearnets.cli._blocked_write`.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Iterator
from typing import Any

from linearnets.cli._blocked_write import flush_waiting, write_waiting
from linearnets.cli._report import EXIT_OK, EXIT_RUNTIME, say

__all__ = [
    "REPORTS",
    "LosingStdout",
    "closed_output_status",
    "keeps_its_result",
    "lost_from_stdout",
    "lost_output_status",
    "output_may_be_lost",
]

# commands whose printed lines are their whole result: a lost line fails them (status 1), as before
REPORTS = frozenset({"linearnets data"})


class _ClosedStdout:
    """What a closed stdout (``>&-``, which leaves ``sys.stdout`` None) is written as: each line
    fails as on a full device, and so is lost and said as that one is; it holds nothing to flush."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        pass


class _ReportStdout:
    """A report's stdout (:data:`REPORTS`): a line it cannot write fails the command, its error
    marked as stdout's (``stdout_lost``: :func:`lost_from_stdout`), for the command's line to
    name stdout as a lost ``--help`` is named; it said "a device is full (the disk, or where the
    output goes)". A reader that quit (``| head``) is left as it is."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with _marked_as_stdouts():
            return int(self.stream.write(text))

    def flush(self) -> None:
        with _marked_as_stdouts():
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, isatty: the stream's own
        return getattr(self.stream, name)


@contextlib.contextmanager
def _marked_as_stdouts() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        exc.stdout_lost = True  # type: ignore[attr-defined]
        raise


def lost_from_stdout(exc: BaseException) -> bool:
    """Whether ``exc`` is a report's line that stdout could not take (:class:`_ReportStdout`)."""
    return bool(getattr(exc, "stdout_lost", False))


class LosingStdout:
    """``stream`` (stdout) whose failed writes are dropped: the first said on stderr, naming
    ``prog``, where the command's result is ``kept`` in its files (else its end says it, in one
    line: :func:`lost_output_status`), and every write after it dropped unwritten.

    Attributes:
        lost: the error that lost the first line, ``None`` while every line is written.
        kept: whether the command's files keep its result (:func:`keeps_its_result`).
    """

    def __init__(self, stream: Any, *, prog: str, kept: bool = True) -> None:
        self.stream = stream
        self.prog = prog
        self.kept = kept
        self.lost: OSError | None = None
        self._written = False  # the words the stream held before it are written first

    def write(self, text: str) -> int:
        if self.lost is None:
            with self._dropped_if_lost():
                flush_first, self._written = not self._written, True
                return write_waiting(self.stream, text, flush_first=flush_first)
        return len(text)

    def flush(self) -> None:
        if self.lost is None:
            with self._dropped_if_lost():
                flush_waiting(self.stream)

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, isatty: the stream's own
        return getattr(self.stream, name)

    @contextlib.contextmanager
    def _dropped_if_lost(self) -> Iterator[None]:
        try:
            yield
        except BrokenPipeError:
            raise  # its reader quit (`| head`): the command stops, as its reader wanted
        except OSError as exc:
            self.lost = exc
            if not self.kept:  # "its files are written" would be untrue: its end fails, said
                return
            # stderr on the same full device (>/dev/full 2>&1) must not stop the work either
            with contextlib.suppress(OSError, ValueError):
                say(
                    f"{self.prog}: warning: stdout could not be written ({exc.strerror or exc}): "
                    "the lines it prints are lost from here on; the command goes on, and the "
                    "files it writes are written as usual"
                )


@contextlib.contextmanager
def output_may_be_lost(prog: str, *, kept: bool = True) -> Iterator[LosingStdout | None]:
    """Run the command with stdout a :class:`LosingStdout` (``None``: a report, :data:`REPORTS`),
    whose result is ``kept`` in its files or not (:func:`keeps_its_result`); a closed stdout
    (``None``, ``>&-``) loses each line as a full device does.

    Once a line is lost the command's later lines are dropped; after it, stdout is put back where
    it flushes again (a full device's buffer is emptied by the failed write, and a session's
    stream, IPython's, goes on there), else left closed (``None``, as ``>&-`` leaves it): the
    lines its buffer still holds would fail the last flush again.
    """
    stream = sys.stdout
    if prog in REPORTS:  # a report's lost line fails it, as any error does, said as stdout's
        report = None if stream is None else _ReportStdout(stream)
        if report is not None:
            sys.stdout = report
        try:
            yield None
        finally:
            if report is not None and sys.stdout is report:
                sys.stdout = stream
        return
    losing = LosingStdout(_ClosedStdout() if stream is None else stream, prog=prog, kept=kept)
    sys.stdout = losing
    try:
        yield losing
    finally:
        if sys.stdout is losing:
            flushes = stream is not None and (losing.lost is None or _flushes(stream))
            sys.stdout = stream if flushes else None


def _flushes(stream: Any) -> bool:
    """Return whether ``stream`` flushes now, its buffer written."""
    try:
        stream.flush()
    except (OSError, ValueError):
        return False
    return True


def keeps_its_result(args: Any, prog: str) -> bool:
    """Whether the command ``prog`` keeps its result in the files it writes: a run folder, whose
    ``results.json`` holds the object ``--json`` prints (softmax's always, ``runs/softmax-IMPL-TIME``
    without ``--out``), a figure (``predict``, ``data show``); linreg only with ``--out`` or
    ``--resume``: without, its printed lines are its only result."""
    if prog != "linearnets linreg":
        return True
    return getattr(args, "out", None) is not None or getattr(args, "resume", None) is not None


def _result_lost(prog: str, why: str, *, kept: bool, what: str = "its --json object") -> str:
    """Return the line saying ``prog``'s result (``what``) was lost (``why``: the system's words),
    and where it is still to be had: in the run folder (``kept``), else nowhere. A linreg without
    --out was told "its files are written", none being written."""
    lost = f"{prog}: error: {what} could not be written to stdout ({why}); "
    if kept:
        return (
            f"{lost}the command's work is done and its files are written (a run's folder holds "
            "its results in results.json)"
        )
    return (
        f"{lost}the command's work is done, but with no --out its result is kept nowhere; run it "
        "again with stdout open (a terminal, a file or a pipe), or with --out DIR to keep it in "
        "DIR/results.json"
    )


def lost_output_status(code: int, losing: LosingStdout | None, *, as_json: bool) -> int:
    """Return the status of a command that ended with ``code``: 1 where it succeeded but lost
    its result, its ``--json`` object (``as_json``) or the printed results of a run kept nowhere
    (``losing.kept`` false, :func:`keeps_its_result`), said in one line with where the result is
    kept: its run folder, or nowhere."""
    if code != EXIT_OK or losing is None or losing.lost is None:
        return code
    if as_json or not losing.kept:
        what = "its --json object" if as_json else "its results"
        why = str(losing.lost.strerror or losing.lost)
        with contextlib.suppress(OSError, ValueError):  # stderr lost too: the status says it
            say(_result_lost(losing.prog, why, kept=losing.kept, what=what))
        return EXIT_RUNTIME
    return code


def closed_output_status(code: int, prog: str) -> int:
    """Return the status of a report (:data:`REPORTS`) that ended with ``code`` while stdout was
    closed (``>&-``, which leaves ``sys.stdout`` None): 1 where it succeeded but its lines were
    lost unprinted, said in one line as a full device's loss is (another command's closed stdout
    is a :class:`LosingStdout`'s)."""
    if code != EXIT_OK or prog not in REPORTS:
        return code
    with contextlib.suppress(OSError, ValueError):  # stderr closed too: the status says it
        say(
            f"{prog}: error: its report could not be written to stdout (stdout is closed); run "
            "it again with stdout open (a terminal, a file or a pipe)"
        )
    return EXIT_RUNTIME
