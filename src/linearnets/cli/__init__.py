"""The ``linearnets`` command: the only place that parses argv.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Usage errors exit 2, runtime errors exit 1, an interrupt exits 130; each prints one line, no traceback
unless ``--debug`` is given, which adds it (and keeps the status). With ``--json`` (before or after
the subcommand) that line also ends stdout as a JSON object
(``{"error": ..., "error_type": ..., "exit_status": ...}``), so a script reading the last line as JSON
gets the failure there, not an empty line. Output piped into a reader that stops early (``| head``)
ends the command with 141, as a process stopped by SIGPIPE would (a training run says on stderr
where its checkpoint is). How each ending is reported: :mod:`linearnets.cli._outcomes`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence

from linearnets._signals import (
    command_signals,
    held_signals,
    interrupt_for,
    interrupts_never_dropped,
    sigterm_as_keyboard_interrupt,
)
from linearnets.cli import _ranks
from linearnets.cli._argv_checks import (
    help_asked,
    name_unknown_options_first,
    names_json,
    refuse_leftover_words,
    refuse_misplaced_options,
)
from linearnets.cli._blocked_write import flush_waiting, streams_waiting
from linearnets.cli._cpp_logs import quiet_torch_warnings
from linearnets.cli._leave import leave
from linearnets.cli._lost_output import (
    REPORTS,
    closed_output_status,
    keeps_its_result,
    lost_from_stdout,
    lost_output_status,
    output_may_be_lost,
)
from linearnets.cli._one_line_warnings import warnings_on_one_line
from linearnets.cli._outcomes import (
    report_error,
    report_interrupt,
    report_output_closed,
    report_output_lost,
    report_start_interrupted,
)
from linearnets.cli._parser import OneLineParser as OneLineParser
from linearnets.cli._parser import UsageExit as UsageExit
from linearnets.cli._ranks import refuse_data_parallel as refuse_data_parallel
from linearnets.cli._report import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_RUNTIME,
    EXIT_USAGE,
    output_closed,
    print_json_error,
    say,
    signal_name,
)
from linearnets.cli._thread_variables import check_thread_variables
from linearnets.cli._unencodable import escape_what_cannot_be_shown
from linearnets.errors import UsageError

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
        epilog="Start with 'linearnets softmax': 10 epochs on Fashion-MNIST, then a run folder "
        "holding the curves, predictions, confusion matrix and each class's accuracy; "
        "'linearnets predict RUN_DIR -n 20' draws more predictions. Each command lists its "
        "options with --help, e.g. 'linearnets softmax --help'.",
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
    with (
        streams_waiting(),
        sigterm_as_keyboard_interrupt(),
        interrupts_never_dropped(),
        warnings_on_one_line(),
    ):
        return _main(list(sys.argv[1:] if argv is None else argv), debug_raises=True)


def _main(argv: list[str], *, debug_raises: bool, stopped_while_loading: int | None = None) -> int:
    """:func:`main`; with ``--debug`` and not ``debug_raises``, print the traceback, then report.

    Not ``debug_raises`` is the console command (:func:`entry`), which owns its process: a
    data-parallel run there quiets torch's C++ warnings (:mod:`linearnets.cli._cpp_logs`).

    ``stopped_while_loading``: the signal :mod:`linearnets._command` held while this module loaded.
    """
    # decided from the words given, so that a command line that does not parse reports in JSON too
    json_errors = any(map(names_json, argv))  # --js and --json=1 (which argparse refuses) too
    if stopped_while_loading is not None:
        return report_start_interrupted(
            interrupt_for(stopped_while_loading), json_errors=json_errors
        )
    try:
        parser, args = _parse(argv)
        debug = bool(getattr(args, "debug", False))
        json_errors = bool(getattr(args, "json", False))
        prog = parser.given(args).prog  # "linearnets data show": as its own usage errors name it
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while torch is imported
        return report_start_interrupted(exc, json_errors=json_errors)
    except UsageExit as exc:
        # rank 0's, or a rank's started by hand: its stdout is its own (under torchrun the others
        # exit without a word)
        if json_errors and (_ranks.rank() == 0 or not _ranks.by_launcher()):
            print_json_error(exc.message, "UsageError", EXIT_USAGE)
        raise
    try:
        # after the parser, which loads no torch (--help and --version print whatever the
        # variables say), and before the command, which does: OpenMP would warn of a bad
        # OMP_NUM_THREADS as it loads
        check_thread_variables()
    except UsageError as exc:
        return report_error(exc, "linearnets", json_errors=json_errors)
    if not debug_raises:  # the console command, whose process is its own: not main()'s caller's
        quiet_torch_warnings(debug=debug)  # before the command loads torch, which reads it then
    return _run_command(args, prog, debug=debug, debug_raises=debug_raises, json_errors=json_errors)


def _run_command(
    args: argparse.Namespace, prog: str, *, debug: bool, debug_raises: bool, json_errors: bool
) -> int:
    """Run the parsed command ``prog`` and return its status, reporting how it ended.

    With ``debug``, an error or interrupt is raised (``debug_raises``) or its traceback printed
    before the report.
    """
    try:
        # a line that cannot be written (a full device, a closed stdout) is dropped: the work
        # goes on, and the status says where its result was lost with it
        closed = sys.stdout is None  # >&-: a report's lines are lost unprinted
        with output_may_be_lost(prog, kept=keeps_its_result(args, prog)) as losing:
            code = int(args.func(args))
        if closed:
            code = closed_output_status(code, prog)
        return lost_output_status(code, losing, as_json=json_errors)
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM during training (TrainingInterrupted)
        if debug:
            if debug_raises:
                raise
            _print_traceback()  # then the line, the --json object and the status, as without it
        return report_interrupt(exc, prog, json_errors=json_errors)
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and output_closed():
            # `| head` has read what it wanted: nothing more to print there; a run stopped by it
            # says, where stderr is still read, where its checkpoint is
            report_output_closed(exc, prog)
            return EXIT_BROKEN_PIPE
        if debug:
            if debug_raises:
                raise
            _print_traceback()  # then the line, the --json object and the status, as without it
        if isinstance(exc, OSError) and lost_from_stdout(exc):  # a report's line: named as stdout's
            return report_output_lost(exc, prog, what="its report")
        return report_error(exc, prog, json_errors=json_errors, traceback_shown=debug)


def _print_traceback() -> None:
    """Print the traceback of the error being handled on stderr, if stderr is still there.

    Whole, and the line after it: a signal meanwhile (torchrun stopping every worker once one
    failed, as they read the traceback's source files) escaped as a bare "linearnets: interrupted"
    (status 130) in place of the error's line; it is dropped, as once the line is being printed.
    """
    with held_signals(raise_after=False), contextlib.suppress(AttributeError, OSError, ValueError):
        traceback.print_exc()  # (a closed stderr, or None: 2>&-)


def _parse(argv: list[str]) -> tuple[OneLineParser, argparse.Namespace]:
    """Return the parser and the arguments it parsed from ``argv``; an unknown word is a usage error."""
    # imports torch and numpy: the slow part of starting up, and one a KeyboardInterrupt must not
    # cut (numpy's import may swallow it, or fail later on a half-made module): a signal then is
    # raised once the imports are done
    with held_signals(raise_after=True):
        parser = build_parser()
    asked = help_asked(parser, argv)  # anywhere on its command's line, as if given first
    if asked is not None:
        asked.print_help()
        asked.exit()
    refuse_misplaced_options(parser, argv)
    name_unknown_options_first(parser, argv)
    args, unknown = parser.parse_known_args(argv)
    refuse_leftover_words(parser, args, argv, unknown)
    if args.json_before_command:
        args.json = True  # "linearnets --json softmax" as "linearnets softmax --json"
    del args.json_before_command
    return parser, args


def entry(*, stopped_while_loading: int | None = None) -> None:
    """The ``linearnets`` command and ``python -m linearnets``: run :func:`main` and exit at once.

    Called by :func:`linearnets._command.entry`, which holds a Ctrl-C or SIGTERM while this module
    loads and passes it on as ``stopped_while_loading``: reported as a stop while starting.

    Tearing down an interpreter that has imported torch takes about 0.4 s here (Python frees every
    module's objects one by one), a tenth of a whole training run. By the time :func:`main` returns,
    every file the command wrote is closed and any child process joined, so the command flushes its
    output and leaves with ``os._exit``, skipping that teardown — unless a session goes on in this
    process (``%run -m linearnets`` in IPython or Jupyter, ``python -i -m linearnets``; see
    :func:`~linearnets.cli._leave.leave`). ``--debug`` prints the traceback of an error or
    interrupt, then reports it as without ``--debug`` (line, status, ``--json`` object).
    """
    code: int | None = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(streams_waiting())  # every line, to the last flush, waits out EAGAIN
        try:  # Python's handlers are back from _command's until command_signals sets its own (~70 µs)
            if _working_folder_gone():
                leave(EXIT_RUNTIME)
                return
            escape_what_cannot_be_shown()
            # one handler for the whole way: Python's own, put back as the command ended, took a
            # SIGTERM landing before the process was gone (a usage error's teardown, say) as the
            # default does, and the command that had said all ended as killed by it (status -15,
            # 143 in a shell)
            ended = stack.enter_context(command_signals())
        except KeyboardInterrupt as exc:
            json_errors = any(map(names_json, sys.argv[1:]))
            leave(report_start_interrupted(exc, json_errors=json_errors))
            return
        try:
            with interrupts_never_dropped(), warnings_on_one_line():
                try:
                    code = _main(
                        sys.argv[1:],
                        debug_raises=False,
                        stopped_while_loading=stopped_while_loading,
                    )
                except SystemExit as exc:  # a command line that did not parse (said), --help,
                    # --version: left below as any other end, without argparse's chain of errors
                    code = _exit_status(exc)
            ended()
        except KeyboardInterrupt as exc:
            # in the last steps of the way out: the command had reported (code), or it is said here
            ended()
            if code is None:
                # under torchrun rank 0 speaks for the run: another rank stopped by torchrun
                # (rank 0 failed and exited first) says nothing of the stop
                if _ranks.rank() == 0 or not _ranks.by_launcher():
                    say(f"linearnets: {signal_name(exc)}")
                code = EXIT_INTERRUPTED
        # the command is done: a Ctrl-C or SIGTERM now is dropped (it would only print a
        # traceback over the command's report, or end it as killed)
        leave(_flush_output(code, sys.argv[1:]))


def _working_folder_gone() -> bool:
    """Whether the working folder was deleted (said in one line): torch's MKL cannot even load
    from one."""
    try:
        os.getcwd()
    except OSError:
        print(
            "linearnets: error: the working folder no longer exists; cd to a folder that does "
            "and run it again",
            file=sys.stderr,
        )
        return True
    return False


def _exit_status(exc: SystemExit) -> int:
    """Return the status a ``SystemExit`` (argparse's, ``--help``'s) ends the process with."""
    return exc.code if isinstance(exc.code, int) else int(exc.code is not None)


def _flush_output(code: int, argv: list[str]) -> int:
    """Flush stdout and stderr and return the status to leave with: ``code``, or 1 where the
    command had succeeded but its output could not be written (a full device, ``>/dev/full``; an
    I/O error), said in one line as any command's error is. A closed pipe (``| head``) or stream
    (``>&-`` leaves None) is quiet here: nothing more can be shown, and the reader had what it
    wanted (a result lost to a closed stdout, ``--json``'s object, a linreg's kept nowhere or
    ``linearnets data``'s report, was said as the command ended: :mod:`~linearnets.cli._lost_output`).
    A non-blocking stdout whose reader lags is waited for (:mod:`~linearnets.cli._blocked_write`):
    its last lines were lost, and the command failed."""
    try:
        flush_waiting(sys.stdout)
    except (AttributeError, ValueError):
        pass
    except OSError as exc:
        # --help and --version print as they exit, and a command's last lines wait here: their
        # ENOSPC was swallowed, and the command said it had succeeded
        if code == 0 and not (isinstance(exc, BrokenPipeError) and output_closed()):
            prog = _command_prog(argv)
            code = report_output_lost(exc, prog, what=_printed(argv, prog))
    with contextlib.suppress(AttributeError, OSError, ValueError):
        flush_waiting(sys.stderr)
    return code


def _printed(argv: list[str], prog: str) -> str:
    """Return what the command line ``argv`` of ``prog`` printed to stdout, as a lost one is told:
    "its help" (``-h``, ``--help``, ``--he``), "the version", "its report" (``linearnets data``'s
    lines, its result) or "its output"."""
    words = argv[: argv.index("--")] if "--" in argv else argv
    if any(word == "-h" or (len(word) > 2 and "--help".startswith(word)) for word in words):
        return "its help"
    if any(len(word) > 2 and "--version".startswith(word) for word in words):
        return "the version"
    return "its report" if prog in REPORTS else "its output"


def _command_prog(argv: list[str]) -> str:
    """Return the name of the (sub)command ``argv`` gives, as its own errors name it
    (``linearnets data show``); ``linearnets`` where it names none."""
    command: argparse.ArgumentParser = build_parser()
    for word in argv:
        found = command.subcommands.get(word) if isinstance(command, OneLineParser) else None
        if found is not None:
            command = found
    return command.prog
