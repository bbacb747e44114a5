"""How the command reports a failure: one line in the command line's words, an exit status, and
with ``--json`` the same as a JSON object on stdout. The rewording of the library's messages is
:mod:`linearnets.cli._cli_words`' (``cli_words``, re-exported here)."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import sys
from collections.abc import Mapping
from typing import Any, Literal

from linearnets._dependencies import dependency_failure
from linearnets._fs import DISK_FULL
from linearnets._shell import shell_word
from linearnets._signals import first_signal
from linearnets._text import on_one_line, shown_path
from linearnets.cli._blocked_write import write_waiting
from linearnets.cli._cli_words import cli_spelling, cli_words
from linearnets.errors import LinearnetsError, UsageError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "cli_words",
    "exit_status",
    "one_line",
    "output_closed",
    "print_json_error",
    "resume_advice",
    "resume_as_asked",
    "say",
    "signal_name",
]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141


def signal_name(exc: KeyboardInterrupt) -> str:
    """Return "interrupted by SIGTERM" for the SIGTERM turned into an interrupt, "interrupted by
    SIGINT" for a Ctrl-C (also one that a second signal, torchrun's SIGTERM, cut short: see
    :func:`first_signal`), as every stop of a run names its signal."""
    return f"interrupted by {first_signal(exc)}"


def say(line: str) -> None:
    """Write ``line`` and its line break on stderr in one write.

    ``print`` writes them apart (stderr is written through), and under torchrun the other writers
    of the same terminal or pipe (torchrun's own "Closing process ... via signal SIGTERM", another
    rank) could land between the two: the command's one line then ran on into theirs. Where
    stderr is gone (``2>&-``) it goes where ``print`` would put it, stdout, or nowhere; where it
    cannot be written (``2>/dev/full``) it is lost, and what follows goes on: an error's ``--json``
    object and its status, 2 for a usage error (they were lost to the write's OSError, status 1).
    A non-blocking stderr that refuses it for a moment (``EAGAIN``) is waited on: see
    :mod:`linearnets.cli._blocked_write`.
    """
    stream = sys.stderr if sys.stderr is not None else sys.stdout
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            write_waiting(stream, f"{line}\n", flush_first=True)


def print_json_error(message: str, error_type: str, status: int, **extra: Any) -> None:
    """End stdout with the failure as one JSON object (``--json``), as a success ends it with results.

    A reader that has gone (``| head`` done) gets nothing: the line on stderr has said it all.
    """
    from linearnets._json import dumps_strict

    fields = {"error": message, "error_type": error_type, "exit_status": status, **extra}
    with contextlib.suppress(OSError, ValueError):
        print(dumps_strict({k: v for k, v in fields.items() if v is not None}), flush=True)


def output_closed() -> bool:
    """Return whether the reader of stdout or stderr has gone (a pipe whose other end is closed).

    A broken pipe to a child process (the plotting process) is a real error; one on the command's own
    output only means the reader (``head``) had enough. ``poll`` tells them apart: it flags the write
    end of a pipe without readers, with ``POLLERR`` on Linux and ``POLLHUP`` on macOS and the BSDs
    (their poll reports the pipe's end of file as a hang-up); a terminal that hung up is gone too.
    Where there is no ``poll`` (Windows) any broken pipe counts as the output's.
    """
    if not hasattr(select, "poll"):
        return True  # Windows has no poll: there, any broken pipe counts as the output's
    poller = select.poll()
    for stream in (sys.stdout, sys.stderr):
        try:
            poller.register(stream.fileno(), select.POLLOUT)
        except (AttributeError, OSError, ValueError):  # replaced or closed streams (e.g. pytest's)
            continue
    gone = select.POLLERR | select.POLLHUP
    return any(events & gone for _, events in poller.poll(0))


def exit_status(exc: Exception) -> int:
    """Return 2 for a usage error, 1 for any other failure."""
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_RUNTIME


def one_line(exc: Exception, *, traceback_shown: bool = False, command: str | None = None) -> str:
    """Return the error as one line; an unexpected error also says how to see the traceback
    (unless ``traceback_shown``: ``--debug`` has printed it).

    Args:
        command: the command that failed, as its usage names it (``linearnets softmax``), for the
            advice that fits it: only softmax has a ``--resume``. ``None`` when unknown: the
            advice then says which command it is for.
    """
    text = on_one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, UsageError):
        return on_one_line(
            cli_spelling(text)
        )  # again: a path read back from its repr may hold a \n
    if isinstance(exc, LinearnetsError):
        return on_one_line(cli_words(text))
    if isinstance(exc, OSError):
        if exc.errno in DISK_FULL:
            if isinstance(exc.filename, str | bytes) and exc.filename2 is None and exc.strerror:
                # "[Errno 28] No space left on device: 'run/predict-20.png'": the file first
                text = on_one_line(
                    f"{shown_path(os.fsdecode(exc.filename))} could not be written: {exc.strerror}"
                )
            return f"{text} ({type(exc).__name__}): {_disk_full_advice(command, exc)}"
        if exc.errno == errno.EACCES and isinstance(exc.filename, str | bytes):
            return on_one_line(_permission_denied(exc.filename))
        return f"{text} ({type(exc).__name__})"
    damaged = dependency_failure(exc)
    if damaged is not None:
        return damaged
    hint = "" if traceback_shown else " (re-run with --debug for the traceback)"
    return f"unexpected {type(exc).__name__}: {text}{hint}"


def _permission_denied(filename: str | bytes) -> str:
    """Return an access refused on ``filename`` that no check before it named (a folder on its
    path that this user cannot search, which ``Path.is_dir`` raises on in Python 3.11): the path,
    the rule and the fix, not ``[Errno 13] Permission denied: 'x' (PermissionError)``."""
    path = shown_path(filename if isinstance(filename, str) else filename.decode(errors="replace"))
    return (
        f"{path}: permission denied: this user may not read, write or search it, or a folder on "
        "its path; give it the access (chmod u+rwx on the folder that refuses it, ls -ld shows "
        "which), or pass another path"
    )


def resume_advice(command: str, run_dir: Any, epoch: int | None, *, launched: str = "") -> str:
    """Return where a stopped run's checkpoint is and the command that continues it: ``epoch``
    finished epochs kept in ``run_dir`` (``None``: none yet, and the resume starts it over).

    ``launched``: how a data-parallel run's processes are started again, after the command
    (``", launched by torchrun as before"``; see :func:`linearnets.tasks.stopping.launched_again`).
    """
    again = f"{command} --resume {shell_word(run_dir)}{launched}"
    if epoch:
        return (
            f"the checkpoint of epoch {epoch} is kept in {shown_path(run_dir)}; continue it with: "
            f"{again}"
        )
    return f"no epoch had finished; start it over with: {again}"


def resume_as_asked(
    task: Literal["softmax", "linreg"],
    run_dir: str,
    given: Mapping[str, Any],
    *,
    force: bool,
    launched: str = "",
) -> str:
    """Return how a resume stopped before it recorded its settings goes on: "resume it with: "
    and the command with the options it was ``given`` (and ``--force``), e.g. ``linearnets
    softmax --resume run --lr 0.05 --force``, as a file it could not write advises it
    (:func:`~linearnets.tasks.resume_diverged.asked_again_when_unrecorded`); the plain one then
    trained the run's old settings. ``launched``: how a data-parallel run's processes are started
    again, after the command (``", launched by torchrun as before"``)."""
    from linearnets.training.run_task import asked_resume  # its configs: not at the start

    return (
        cli_words(f"resume it with: {asked_resume(task, run_dir, given, force=force)}") + launched
    )


def _disk_full_advice(command: str | None, exc: OSError) -> str:
    """Return what to do when a device is full; the resume of a run that told its folder (softmax's,
    linreg's), naming it, what its checkpoint holds and how its processes start again
    (``exc.run_dir``, ``exc.checkpoint_epoch``, ``exc.launched_again``); else softmax's, its
    folder a placeholder (for an unknown command, said to be softmax's)."""
    full = "a device is full (the disk, or where the output goes); free some space"
    run_dir = getattr(exc, "run_dir", None)
    if run_dir is not None and command is not None:
        kept = resume_advice(
            command,
            run_dir,
            getattr(exc, "checkpoint_epoch", None),
            launched=getattr(exc, "launched_again", ""),
        )
        return f"{full}; {kept}"
    # the run's folder unknown, the resume is still the whole command, RUN_DIR its placeholder:
    # "--resume RUN_DIR" alone was no command to paste
    if command is None:
        return (
            f"{full} and run it again (a softmax run keeps the checkpoint of its last finished "
            "epoch: continue it with linearnets softmax --resume RUN_DIR)"
        )
    if command.split()[-1:] == ["softmax"]:
        return (
            f"{full}, then continue the run with {command} --resume RUN_DIR (it keeps the "
            "checkpoint of its last finished epoch) or run it again"
        )
    return f"{full} and run it again"
