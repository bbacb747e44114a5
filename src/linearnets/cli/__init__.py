"""The ``linearnets`` command: the only place that parses argv.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Usage errors exit 2, runtime errors exit 1, an interrupt exits 130; each prints one line, no traceback
unless ``--debug`` is given, which adds it (and keeps the status). With ``--json`` (before or after
the subcommand) that line also ends stdout as a JSON object
(``{"error": ..., "error_type": ..., "exit_status": ...}``), so a script reading the last line as JSON
gets the failure there, not an empty line. Output piped into a reader that stops early (``| head``)
ends the command quietly with 141, as a process stopped by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import TextIO

from linearnets._shell import shell_word
from linearnets._signals import held_signals, sigterm_as_keyboard_interrupt
from linearnets.cli import _ranks
from linearnets.cli._parser import OneLineParser as OneLineParser
from linearnets.cli._parser import UsageExit as UsageExit
from linearnets.cli._ranks import refuse_data_parallel as refuse_data_parallel
from linearnets.cli._report import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_RUNTIME,
    EXIT_USAGE,
    exit_status,
    one_line,
    output_closed,
    print_json_error,
    signal_name,
)
from linearnets.errors import DataWarning, LinearnetsError

__all__ = ["main"]


def build_parser() -> OneLineParser:
    """Return the parser of the ``linearnets`` command with every subcommand registered."""
    from linearnets import __version__
    from linearnets.cli import data as data_cmd
    from linearnets.cli import linreg as linreg_cmd
    from linearnets.cli import predict as predict_cmd
    from linearnets.cli import softmax as softmax_cmd

    parser = OneLineParser(
        prog="linearnets",
        description="Linear neural networks (D2L chapter 3): linear and softmax regression.",
    )
    parser.add_argument("--version", action="version", version=f"linearnets {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument(
        "--json",
        dest="json_before_command",  # a subcommand's own --json default would reset "json"
        action="store_true",
        help="the softmax and linreg option, also taken here: end with one JSON object of the "
        "results (or the error)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for module in (linreg_cmd, softmax_cmd, predict_cmd, data_cmd):
        module.add_parser(sub)
    parser.subcommands, parser.subcommand_dest = dict(sub.choices), "command"
    parser.add_debug_everywhere()
    parser.refuse_other_commands_options()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    A command line that does not parse raises ``SystemExit(2)`` (:class:`UsageExit`), as argparse
    does, after printing its one line. SIGTERM stops the command as Ctrl-C does (exit 130, one
    line), so that what it was writing is cleaned up or kept, not cut off mid-way. With ``--debug``
    an error or interrupt is raised, for the caller to see it whole.
    """
    with sigterm_as_keyboard_interrupt(), _data_warnings_on_one_line():
        return _main(list(sys.argv[1:] if argv is None else argv), debug_raises=True)


@contextlib.contextmanager
def _data_warnings_on_one_line() -> Iterator[None]:
    """Show the library's :class:`~linearnets.errors.DataWarning` as a line like the errors', with
    no source line; other warnings as Python shows them."""
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def one_line(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, DataWarning):
                print(f"linearnets: warning: {message}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = one_line
        yield


def _main(argv: list[str], *, debug_raises: bool) -> int:
    """:func:`main`; with ``--debug`` and not ``debug_raises``, print the traceback, then report."""
    # decided from the words given, so that a command line that does not parse reports in JSON too
    json_errors = any(  # --js and --json=1 (which argparse refuses) too
        len(word) > 2 and "--json".startswith(word.split("=", 1)[0]) for word in argv
    )
    try:
        parser, args = _parse(argv)
        debug = bool(getattr(args, "debug", False))
        json_errors = bool(getattr(args, "json", False))
        prog = parser.given(args).prog  # "linearnets data show": as its own usage errors name it
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while torch is imported
        return _report_start_interrupted(exc, json_errors=json_errors)
    except UsageExit as exc:
        if json_errors and _ranks.rank() == 0:
            print_json_error(exc.message, "UsageError", EXIT_USAGE)
        raise
    try:
        return int(args.func(args))
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM during training (TrainingInterrupted)
        if debug:
            if debug_raises:
                raise
            _print_traceback()  # then the line, the --json object and the status, as without it
        return _report_interrupt(exc, prog, json_errors=json_errors)
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and output_closed():
            # `| head` has read what it wanted: nothing more to print there; a run stopped by it
            # says, where stderr is still read, where its checkpoint is
            _report_output_closed(exc, prog)
            return EXIT_BROKEN_PIPE
        if debug:
            if debug_raises:
                raise
            _print_traceback()  # then the line, the --json object and the status, as without it
        return _report_error(exc, prog, json_errors=json_errors, traceback_shown=debug)


def _print_traceback() -> None:
    """Print the traceback of the error being handled on stderr, if stderr is still there."""
    with contextlib.suppress(AttributeError, OSError, ValueError):  # closed, or None (2>&-)
        traceback.print_exc()


def _parse(argv: list[str]) -> tuple[OneLineParser, argparse.Namespace]:
    """Return the parser and the arguments it parsed from ``argv``; an unknown word is a usage error."""
    # imports torch and numpy: the slow part of starting up, and one a KeyboardInterrupt must not
    # cut (numpy's import may swallow it, or fail later on a half-made module): a signal then is
    # raised once the imports are done
    with held_signals(raise_after=True):
        parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.json_before_command and not hasattr(args, "json"):  # "linearnets --json data show"
        given = parser.given(args)
        given.error(
            f"--json is an option of linearnets softmax and linreg only (they end with one JSON "
            f"object of their results); {given.prog} has no JSON output: drop --json"
        )
    if unknown:  # named by the subcommand that was given them, which has the --help to read
        parser.given(args).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.json_before_command:
        args.json = True  # "linearnets --json softmax" as "linearnets softmax --json"
    del args.json_before_command
    return parser, args


def _report_start_interrupted(exc: KeyboardInterrupt, *, json_errors: bool) -> int:
    """Say that the command was stopped while starting (and in JSON, if asked; rank 0 only); return 130."""
    with held_signals(raise_after=False):  # the report is printed whole, a second signal or not
        # the rank comes from the environment alone (no torch, whose import this may have cut short);
        # under torchrun the others were stopped with rank 0, or by it: when it failed first (a usage
        # error), torchrun stops them while they still start, and stdout must end with its object
        if _ranks.rank() != 0:
            return EXIT_INTERRUPTED
        detail = f"{signal_name(exc) or 'interrupted'} while starting"
        print(f"linearnets: {detail}", file=sys.stderr)
        if json_errors:
            print_json_error(detail, type(exc).__name__, EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def _report_interrupt(exc: KeyboardInterrupt, prog: str, *, json_errors: bool) -> int:
    """Say where the command was stopped (rank 0 only) and return the exit status 130."""
    if _ranks.rank() != 0:  # every rank stopped after the same step: rank 0 says where
        _ranks.let_rank_0_speak()
        return EXIT_INTERRUPTED
    from linearnets.training.interrupt import TrainingInterrupted

    with held_signals(raise_after=False):  # the report is printed whole, a second signal or not
        if isinstance(exc, TrainingInterrupted):
            exc.from_cli = True  # the hint names the command, not the Python call
        detail = str(exc) if type(exc) is not KeyboardInterrupt else signal_name(exc)
        print(f"{prog}: {detail or 'interrupted'}", file=sys.stderr)
        if json_errors:
            run_dir = getattr(exc, "run_dir", None)
            print_json_error(
                detail or "interrupted",
                type(exc).__name__,
                EXIT_INTERRUPTED,
                run_dir=None if run_dir is None else str(run_dir),
            )
    return EXIT_INTERRUPTED


def _report_output_closed(exc: BrokenPipeError, prog: str) -> None:
    """Tell a run stopped by its closed output (``| head``) where it can be continued, on stderr.

    The run's stop names its folder (``run_dir``) and the epochs its checkpoint holds
    (``checkpoint_epoch``, ``None``: none yet); a stderr closed too gets nothing.
    """
    run_dir = getattr(exc, "run_dir", None)
    if run_dir is None or _ranks.rank() != 0:
        return
    again = f"{prog} --resume {shell_word(run_dir)}"
    epoch = getattr(exc, "checkpoint_epoch", None)
    kept = (
        f"the checkpoint of epoch {epoch} is kept in {run_dir}; continue it with: {again}"
        if epoch
        else f"no epoch had finished; start it over with: {again}"
    )
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(
            f"{prog}: stopped: its output was closed (a reader such as head quit); {kept}",
            file=sys.stderr,
            flush=True,
        )


def _report_error(
    exc: Exception, prog: str, *, json_errors: bool, traceback_shown: bool = False
) -> int:
    """Say what failed in one line (once, under torchrun) and return the exit status: 2 or 1."""
    rank = _ranks.rank()
    if rank == 0:
        # made and printed whole, a second signal (torchrun stopping the others) or not
        with held_signals(raise_after=False):
            line = one_line(exc, traceback_shown=traceback_shown, command=prog)
            print(f"{prog}: error: {line}", file=sys.stderr)
            if json_errors:
                print_json_error(line, type(exc).__name__, exit_status(exc))
    elif not isinstance(exc, LinearnetsError) or _lost_a_peer(exc):
        # the library's own errors are the same on every rank and said once, by rank 0; an
        # unexpected one may be this rank's alone, and a lost peer may be rank 0 itself
        with held_signals(raise_after=False):
            line = one_line(exc, traceback_shown=traceback_shown, command=prog)
            print(f"{prog} (rank {rank}): error: {line}", file=sys.stderr)
    else:
        _ranks.let_rank_0_speak()
    return exit_status(exc)


def _lost_a_peer(exc: Exception) -> bool:
    """Whether ``exc`` says another process of the run stopped (rank 0 may be the one gone)."""
    from linearnets.training.distributed import PeerLostError  # torch is loaded by now

    return isinstance(exc, PeerLostError)


def entry() -> None:
    """The ``linearnets`` command and ``python -m linearnets``: run :func:`main` and exit at once.

    Tearing down an interpreter that has imported torch takes about 0.4 s here (Python frees every
    module's objects one by one), a tenth of a whole training run. By the time :func:`main` returns,
    every file the command wrote is closed and any child process joined, so the command flushes its
    output and leaves with ``os._exit``, skipping that teardown — unless a session goes on in this
    process (``%run -m linearnets`` in IPython or Jupyter, ``python -i -m linearnets``; see
    :func:`_leave`). ``--debug`` prints the traceback of an error or interrupt, then reports it as
    without ``--debug`` (line, status, ``--json`` object).
    """
    try:
        os.getcwd()
    except OSError:  # torch's MKL cannot even load from a deleted folder
        print(
            "linearnets: error: the working folder no longer exists; cd to a folder that does "
            "and run it again",
            file=sys.stderr,
        )
        _leave(EXIT_RUNTIME)
        return
    for stream in (sys.stdout, sys.stderr):
        # a terminal or pipe that cannot encode a run folder's name or a Chinese label (an ASCII
        # locale) shows it escaped rather than failing a finished run
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    with sigterm_as_keyboard_interrupt(), _data_warnings_on_one_line():
        try:
            code = _main(sys.argv[1:], debug_raises=False)
        except SystemExit as exc:  # a command line that did not parse (said), --help, --version
            if not _session_goes_on():
                raise
            # left below as any other end, and without argparse's chain of errors
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (``| head``) or stream (``>&-`` leaves None): nothing more can be shown
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    _leave(code)


def _leave(code: int) -> None:
    """Exit with ``code`` at once, unless a session goes on in this process.

    In IPython or Jupyter (``%run -m linearnets``) it returns, leaving ``code`` in ``_exit_code``
    as a ``!`` shell command does: the failure was told on its line, and a ``SystemExit`` would
    add a traceback and IPython's "Unknown failure executing module" (``os._exit`` would end the
    kernel, and its work with it). Under ``python -i`` it raises ``SystemExit(code)``, as any
    script does, before the prompt.
    """
    if _in_ipython():
        shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
        if shell is not None:
            shell.user_ns["_exit_code"] = code
        return
    if sys.flags.interactive:
        raise SystemExit(code)
    os._exit(code)


def _session_goes_on() -> bool:
    """Whether this process goes on after the command: IPython or Jupyter, ``python -i``."""
    return bool(sys.flags.interactive or _in_ipython())


def _in_ipython() -> bool:
    """Whether this process is an IPython session or a Jupyter kernel (``%run -m linearnets``)."""
    return bool(getattr(builtins, "__IPYTHON__", False))
