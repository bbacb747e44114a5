"""How the command reports a failure: one line in the command line's words, an exit status, and
with ``--json`` the same as a JSON object on stdout."""

from __future__ import annotations

import ast
import contextlib
import errno
import re
import select
import sys
from typing import Any

from linearnets._shell import shell_word
from linearnets._signals import first_signal
from linearnets._text import printable
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
    "signal_name",
]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141


def signal_name(exc: KeyboardInterrupt) -> str:
    """Return "interrupted by SIGTERM" for the SIGTERM turned into an interrupt, "" for a Ctrl-C
    (also one that a second signal, torchrun's SIGTERM, cut short: see :func:`first_signal`)."""
    return "interrupted by SIGTERM" if first_signal(exc) == "SIGTERM" else ""


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
    "run_dir": "RUN_DIR",  # predict's argument, and --resume's value
}
# and those only the rules below that need them translate: a validator's "pass e.g. impl='scratch'"
# stays as the command printed it
_SETTINGS = {**_OPTIONS, "impl": "--impl", "plot": "--plot"}
# another rank's refusal of a data-parallel run, as rank 0 relays it: "rank 1 stopped: run_dir ..."
_RELAYED = re.compile(r"(rank \d+ stopped: )(.*)", re.DOTALL)


def _cli_spelling(text: str) -> str:
    """Return a usage error in the command line's words: ``lr must ...; pass e.g. lr=0.1`` becomes
    ``--lr must ...; pass e.g. --lr 0.1``, and ``resize applies to ...`` ``--resize applies to ...``;
    another rank's, relayed as ``rank 1 stopped: ...``, as it would have been said alone."""
    relayed = _RELAYED.fullmatch(text)
    if relayed is not None:
        return relayed[1] + _cli_spelling(relayed[2])
    names = "|".join(_OPTIONS)
    # the setting a message is about, as its subject
    text = re.sub(rf"^({names}) (?=(?:must|applies|finds)\b)", lambda m: f"{_OPTIONS[m[1]]} ", text)
    for name, option in _OPTIONS.items():
        # pass e.g. lr=0.1 / device='auto' -> pass e.g. --lr 0.1 / --device auto
        text = re.sub(rf"\bpass e\.g\. {name}='?([^\s';,]+)'?", rf"pass e.g. {option} \1", text)
        # or resize=None -> or leave --resize out: a command line has no None ("asks for
        # resize=None (28×28)" is no "or")
        text = re.sub(rf"\bor {name}=None\b", f"or leave {option} out", text)
    return cli_words(text)


# a Python string literal, as repr() writes a path
_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
# a setting's value as repr() writes it: a string, a number or None
_VALUE = rf"{_STRING}|None\b|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b"
_RESUME_CALL = re.compile(rf"linearnets\.resume_(softmax|linreg)\(((?:{_STRING}|[^'\"()])*)\)")
# the words before a setting given with its value mid-sentence ("got resize=64 with data='d.npz'",
# "this run's impl='scratch' model"); others ("pass e.g. lr=0.1", "or resize=None", "the folder
# out='a'") are left as they are
_BEFORE_VALUE = r"got|with|on|and|for|an|to|at|pass|run's"


def cli_words(text: str) -> str:
    """Return any of the library's messages with its Python words put as the command line's.

    ``out='runs/a' already holds a run`` becomes ``--out runs/a already holds a run``;
    ``linearnets.resume_softmax('my run', lr=0.01, force=True)`` becomes
    ``--resume 'my run' --lr 0.01 --force`` (the path quoted for the shell), and a bare
    ``linearnets.resume_softmax()`` ``--resume``; ``pass out=DIR`` becomes ``pass --out DIR``; a
    setting named in parentheses, ``(lr)``, becomes its option, ``(--lr)``; " (force=True)" goes.
    A setting with its value mid-sentence, ``got resize=64 with data='d.npz'``, becomes
    ``got --resize 64 with --data d.npz`` (None as ``none``); ``lr changed from 0.1 to 0.5``
    ``--lr changed from 0.1 to 0.5``; ``pass force=True`` (or ``with``, ``without``) ``pass --force``;
    ``lower resize or batch_size`` ``lower --resize or --batch-size``.
    """

    def leading(match: re.Match[str]) -> str:
        try:  # the value as given, unquoted, as the option printed it
            return f"{_OPTIONS[match[1]]} {_not_an_option(str(ast.literal_eval(match[2])))}"
        except (SyntaxError, ValueError):
            return match[0]

    def placeholder(match: re.Match[str]) -> str:
        return f"{_OPTIONS[match[1]]} {match[2]}"

    def named(match: re.Match[str]) -> str:
        return f"({_OPTIONS[match[1]]})"

    def valued(match: re.Match[str]) -> str:
        return f"{match[1]} {_SETTINGS[match[2]]} {_cli_value(match[3])}"

    def lowered(match: re.Match[str]) -> str:
        other = f" {match[3]} {_OPTIONS[match[4]]}" if match[3] else ""
        return f"{match[1]} {_OPTIONS[match[2]]}{other}"

    def changed(match: re.Match[str]) -> str:
        old, meaning, new = _cli_value(match[2]), match[3] or "", _cli_value(match[4])
        return f"{_SETTINGS[match[1]]} changed from {old}{meaning} to {new}"

    # only the settings the command has an option for: other words are left alone
    names = "|".join(_OPTIONS)
    settings = "|".join(_SETTINGS)
    # a call given as the command to run ("resume with: ...") is the whole command line
    text = re.sub(
        rf"(?<=with: ){_RESUME_CALL.pattern}",
        lambda m: f"linearnets {m[1]} {_resume_command(m)}",
        text,
    )
    text = _RESUME_CALL.sub(_resume_command, text)
    text = re.sub(rf"^({names})=({_STRING})(?=[ :])", leading, text)
    # one clause per changed setting: "lr changed from 0.1 to 0.5; resize changed from None
    # (28×28) to 14", what None means in parentheses
    text = re.sub(
        rf"(?:^|(?<=; ))({settings}) changed from ({_VALUE})( \([^()]*\))? to ({_VALUE})",
        changed,
        text,
    )
    text = re.sub(rf"\b({_BEFORE_VALUE}) ({settings})=({_VALUE})", valued, text)
    # a word of its own ("pass out=DIR", "(out=NEW_DIR)"), not part of a quoted path ('device=GPU')
    text = re.sub(rf"(?<![^\s(])({names})=([A-Z][A-Z_]*)\b", placeholder, text)
    # a flag; "force=True (force=True)" names it twice, and is left to the line below
    text = re.sub(r"\b(with|without|pass) force=True\b(?! \(force=True\))", r"\1 --force", text)
    text = re.sub(rf"\(({names})\)", named, text)
    # the settings to lower: "lower resize or batch_size" ("a smaller lr" reads as English)
    text = re.sub(rf"\b(lower) ({names})(?: (or|and) ({names}))?\b(?!=)", lowered, text)
    return text.replace(" (force=True)", "")


def _cli_value(literal: str) -> str:
    """Return a setting's value written in Python (``'d.npz'``, ``None``, ``0.1``) as the option
    takes it: ``d.npz``, ``none``, ``0.1`` (a number as the message wrote it)."""
    try:
        value = ast.literal_eval(literal)
    except (SyntaxError, ValueError):  # no literal Python reads back: left as written
        return literal
    if value is None:
        return "none"
    return _not_an_option(value) if isinstance(value, str) else literal


def _not_an_option(path: str) -> str:
    """Return ``path`` as an option's value the parser takes: ``-x`` (an option to argparse, and
    what ``Path("./-x")`` prints) as ``./-x``."""
    return f"./{path}" if path.startswith("-") else path


def _resume_command(match: re.Match[str]) -> str:
    """Return the call ``linearnets.resume_softmax(...)`` matched as the options that do the same."""
    source = match[0]
    try:
        call = ast.parse(source, mode="eval").body
        if not isinstance(call, ast.Call) or any(kw.arg is None for kw in call.keywords):
            return source
        words = ["--resume", *(shell_word(str(ast.literal_eval(arg))) for arg in call.args)]
        for keyword in call.keywords:
            value = ast.literal_eval(keyword.value)
            option = _OPTIONS.get(str(keyword.arg), f"--{str(keyword.arg).replace('_', '-')}")
            if value is True:  # force=True: a flag
                words.append(option)
            elif isinstance(value, str):
                words += [option, shell_word(value)]
            elif value is False and keyword.arg == "guard":  # the flag that turns it off
                words.append("--no-guard")
            elif value is not False:  # a number as the message wrote it (lr=1e-05 stays 1e-05)
                words += [option, ast.get_source_segment(source, keyword.value) or str(value)]
    except (SyntaxError, ValueError):  # not a call of literals: left as written
        return source
    return " ".join(words)


def _flat(text: str) -> str:
    """Return ``text`` on one line: its line breaks joined, other characters a terminal would
    not show as themselves (``\\x0b``, ``\\x85`` in a path) written as their escapes."""
    # only the line breaks go (with the blanks around them): runs of spaces inside a path stay, so
    # the commands the messages give can be pasted
    return printable(re.sub(r"\s*[\r\n]\s*", " ", text).strip())


def one_line(exc: Exception, *, traceback_shown: bool = False, command: str | None = None) -> str:
    """Return the error as one line; an unexpected error also says how to see the traceback
    (unless ``traceback_shown``: ``--debug`` has printed it).

    Args:
        command: the command that failed, as its usage names it (``linearnets softmax``), for the
            advice that fits it: only softmax has a ``--resume``. ``None`` when unknown: the
            advice then says which command it is for.
    """
    text = _flat(str(exc)) or type(exc).__name__
    if isinstance(exc, UsageError):
        return _flat(_cli_spelling(text))  # again: a path read back from its repr may hold a \n
    if isinstance(exc, LinearnetsError):
        return _flat(cli_words(text))
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return f"{text} ({type(exc).__name__}): {_disk_full_advice(command, exc)}"
        return f"{text} ({type(exc).__name__})"
    hint = "" if traceback_shown else " (re-run with --debug for the traceback)"
    return f"unexpected {type(exc).__name__}: {text}{hint}"


def resume_advice(command: str, run_dir: Any, epoch: int | None, *, launched: str = "") -> str:
    """Return where a stopped run's checkpoint is and the command that continues it: ``epoch``
    finished epochs kept in ``run_dir`` (``None``: none yet, and the resume starts it over).

    ``launched``: how a data-parallel run's processes are started again, after the command
    (``", launched by torchrun as before"``; see :func:`linearnets.tasks.stopping.launched_again`).
    """
    again = f"{command} --resume {shell_word(run_dir)}{launched}"
    if epoch:
        return f"the checkpoint of epoch {epoch} is kept in {run_dir}; continue it with: {again}"
    return f"no epoch had finished; start it over with: {again}"


def _disk_full_advice(command: str | None, exc: OSError) -> str:
    """Return what to do when a device is full; the resume for ``command`` softmax only (for an
    unknown command, said to be softmax's), naming the run's folder, what its checkpoint holds and
    how its processes start again where the run told them (``exc.run_dir``,
    ``exc.checkpoint_epoch``, ``exc.launched_again``)."""
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
    if command is None:
        return (
            f"{full} and run it again (a softmax run keeps the checkpoint of its last finished "
            "epoch: continue it with --resume RUN_DIR)"
        )
    if command.split()[-1:] == ["softmax"]:
        return (
            f"{full}, then continue the run with --resume RUN_DIR (it keeps the checkpoint of "
            "its last finished epoch) or run it again"
        )
    return f"{full} and run it again"
