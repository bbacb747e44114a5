"""How the command reports a failure: one line in the command line's words, an exit status, and
with ``--json`` the same as a JSON object on stdout."""

from __future__ import annotations

import contextlib
import errno
import re
import select
import sys
from typing import Any

from linearnets.errors import LinearnetsError, UsageError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "exit_status",
    "one_line",
    "output_closed",
    "print_json_error",
    "signal_name",
]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141


def signal_name(exc: KeyboardInterrupt) -> str:
    """Return "interrupted by SIGTERM" for the SIGTERM turned into an interrupt, "" for a Ctrl-C."""
    return "interrupted by SIGTERM" if exc.args == ("SIGTERM",) else ""


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
    end of a pipe without readers with ``POLLERR``.
    """
    if not hasattr(select, "poll"):
        return True  # Windows has no poll: there, any broken pipe counts as the output's
    poller = select.poll()
    for stream in (sys.stdout, sys.stderr):
        try:
            poller.register(stream.fileno(), select.POLLOUT)
        except (AttributeError, OSError, ValueError):  # replaced or closed streams (e.g. pytest's)
            continue
    return any(events & select.POLLERR for _, events in poller.poll(0))


def exit_status(exc: Exception) -> int:
    """Return 2 for a usage error, 1 for any other failure."""
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_RUNTIME


# settings checked by the library under their Python names, and the options that set them
_OPTIONS = {
    "epochs": "--epochs",
    "lr": "--lr",
    "batch_size": "--batch-size",
    "num_examples": "--num-examples",
    "noise_std": "--noise-std",
    "num_threads": "--threads",
    "seed": "--seed",
    "resize": "--resize",
    "out": "--out",
    "root": "--data-dir",
    "data_dir": "--data-dir",
    "mirrors": "--mirror",
    "data": "--data",
    "device": "--device",
}


def _cli_spelling(text: str) -> str:
    """Return a usage error in the command line's words: ``lr must ...; pass e.g. lr=0.1`` becomes
    ``--lr must ...; pass e.g. --lr 0.1``."""
    for name, option in _OPTIONS.items():
        if text.startswith(f"{name} must"):
            text = option + text[len(name) :]
        # pass e.g. lr=0.1 / device='auto' -> pass e.g. --lr 0.1 / --device auto
        text = re.sub(rf"\bpass e\.g\. {name}='?([^\s';,]+)'?", rf"pass e.g. {option} \1", text)
        # or resize=None -> or leave --resize out: a command line has no None
        text = text.replace(f"or {name}=None", f"or leave {option} out")
    return text.replace(" (force=True)", "")


def one_line(exc: Exception, *, traceback_shown: bool = False) -> str:
    """Return the error as one line; an unexpected error also says how to see the traceback
    (unless ``traceback_shown``: ``--debug`` has printed it)."""
    # only the line breaks go (with the blanks around them): runs of spaces inside a path stay, so
    # the commands the messages give can be pasted
    text = re.sub(r"\s*[\r\n]\s*", " ", str(exc)).strip() or type(exc).__name__
    if isinstance(exc, UsageError):
        return _cli_spelling(text)
    if isinstance(exc, LinearnetsError):
        return text.replace(" (force=True)", "")  # the Python spelling of --force
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return (
                f"{text} ({type(exc).__name__}): a device is full (the disk, or where the output "
                "goes); free some space and run it again (a softmax run keeps the checkpoint of its "
                "last finished epoch: continue it with --resume RUN_DIR)"
            )
        return f"{text} ({type(exc).__name__})"
    hint = "" if traceback_shown else " (re-run with --debug for the traceback)"
    return f"unexpected {type(exc).__name__}: {text}{hint}"
