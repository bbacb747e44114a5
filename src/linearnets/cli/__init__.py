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
import builtins
import contextlib
import difflib
import os
import shlex
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import TextIO

from linearnets._shell import shell_word
from linearnets._signals import (
    command_signals,
    held_signals,
    interrupt_for,
    interrupts_never_dropped,
    sigterm_as_keyboard_interrupt,
)
from linearnets._text import and_list, printable
from linearnets.cli import _ranks
from linearnets.cli._outcomes import (
    report_error,
    report_interrupt,
    report_output_closed,
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
    cli_words,
    output_closed,
    print_json_error,
)
from linearnets.cli._thread_variables import check_thread_variables
from linearnets.errors import DataWarning, ResumeWarning, UsageError

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
    with sigterm_as_keyboard_interrupt(), interrupts_never_dropped(), _warnings_on_one_line():
        return _main(list(sys.argv[1:] if argv is None else argv), debug_raises=True)


@contextlib.contextmanager
def _warnings_on_one_line() -> Iterator[None]:
    """Show the library's :class:`~linearnets.errors.DataWarning` and
    :class:`~linearnets.errors.ResumeWarning` as a line like the errors', with no source line;
    other warnings as Python shows them."""
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
                print(f"linearnets: warning: {printable(str(message))}", file=sys.stderr)
            elif issubclass(category, ResumeWarning):  # in the command's words: --threads
                print(f"linearnets: note: {printable(cli_words(str(message)))}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = one_line
        yield


def _main(argv: list[str], *, debug_raises: bool, stopped_while_loading: int | None = None) -> int:
    """:func:`main`; with ``--debug`` and not ``debug_raises``, print the traceback, then report.

    ``stopped_while_loading``: the signal :mod:`linearnets._command` held while this module loaded.
    """
    # decided from the words given, so that a command line that does not parse reports in JSON too
    json_errors = any(map(_names_json, argv))  # --js and --json=1 (which argparse refuses) too
    if stopped_while_loading is not None:
        return report_start_interrupted(
            interrupt_for(stopped_while_loading), json_errors=json_errors
        )
    try:
        # before the parser, which loads torch: OpenMP would warn of a bad OMP_NUM_THREADS as it does
        check_thread_variables()
    except UsageError as exc:
        return report_error(exc, "linearnets", json_errors=json_errors)
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
        return int(args.func(args))
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
    parser.refuse_options_before_command(argv)
    # and an action's option before the action ("data -n 3" for "data show -n 3"); linearnets'
    # own options take no value, so the first other word is the command
    command = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command is not None:
        actions = parser.subcommands.get(argv[command])
        if isinstance(actions, OneLineParser) and actions.subcommands:
            # ("data --json show": --json is told below, where it applies)
            words = [w for w in argv[command + 1 :] if not _names_json(w)]
            actions.refuse_options_before_command(words)
    args, unknown = parser.parse_known_args(argv)
    # the word to drop: after the command, or before it (taken by linearnets itself)
    json_word = next(filter(_names_json, unknown), None)
    if json_word is None and args.json_before_command:
        json_word = next(filter(_names_json, argv), "--json")
    if not hasattr(args, "json") and json_word is not None:
        # "linearnets --json data show", "linearnets data show --json" (or --js, --json=1)
        given = parser.given(args)
        given.error(
            f"--json is an option of linearnets softmax and linreg only (they end with one JSON "
            f"object of their results); {given.prog} has no JSON output: drop {json_word}"
        )
    if "--version" in unknown:  # "linearnets softmax --version": linearnets' own option
        parser.given(args).error(
            "--version is an option of linearnets itself, not of its commands: write "
            "linearnets --version"
        )
    if unknown:
        _refuse_more_positionals(parser.given(args), args, unknown)
    if unknown:  # named by the subcommand that was given them, which has the --help to read
        parser.given(args).error(_unrecognized(parser, parser.given(args), argv, unknown))
    if args.json_before_command:
        args.json = True  # "linearnets --json softmax" as "linearnets softmax --json"
    del args.json_before_command
    return parser, args


def _unrecognized(
    parser: OneLineParser, given: argparse.ArgumentParser, argv: list[str], unknown: list[str]
) -> str:
    """Return the error of words no option took, each quoted as the shell reads it back (an empty
    word as '', "a b" in quotes): another command's option as that command's, an option none has
    with the one meant where one is close, a word after a flag as the value it does not take."""
    first, words = unknown[0], " ".join(shlex.quote(word) for word in unknown)
    at = argv.index(first) if first in argv else 0
    flag = argv[at - 1] if at > 0 else ""
    action = given._option_string_actions.get(flag.split("=", 1)[0])
    if action is not None and action.nargs == 0 and not first.startswith("-"):
        # "--json 0": argparse said "unrecognized arguments: 0"
        return (
            f"unrecognized arguments: {words}: {flag} is a flag and takes no value, got "
            f"{shlex.quote(first)} after it; write {flag} alone"
        )
    if first.startswith("-") and first != "--":  # "--ephocs": argparse named it, and no fix
        name = first.split("=", 1)[0]
        owners, shown = parser._owners(name)
        owners = [owner for owner in owners if f"{parser.prog} {owner}" != given.prog]
        if owners:  # "predict --data x.npz": softmax's and linreg's
            return (
                f"unrecognized arguments: {words}: {shown} is an option of {and_list(owners)}, "
                f"not of {given.prog}"
            )
        options = [o for o in given._option_string_actions if o.startswith("--")]
        close = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
        fix = f"; did you mean {close[0]}?" if close else ""
        return f"unrecognized arguments: {words}: {given.prog} has no option {name}{fix}"
    them = "them" if len(unknown) > 1 else "it"
    return f"unrecognized arguments: {words}: no option of {given.prog} takes {them}; drop {them}"


def _refuse_more_positionals(
    given: argparse.ArgumentParser, args: argparse.Namespace, unknown: list[str]
) -> None:
    """Refuse words left over after the one positional argument a command takes (``linearnets
    predict runs/*`` matching two runs): argparse said "unrecognized arguments: runs/b"."""
    positionals = [a for a in given._actions if not a.option_strings and a.nargs is None]
    if len(positionals) != 1 or any(word.startswith("-") for word in unknown):
        return
    action = positionals[0]
    first = getattr(args, action.dest, None)
    if first is None:
        return
    name = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    words = [str(first), *unknown]
    given.error(
        f"expected one {name}, got {len(words)} ({and_list(words)}): give one per command, e.g. "
        f"{given.prog} {shell_word(first)}"
    )


def _names_json(word: str) -> bool:
    """Whether ``word`` is --json as argparse reads it: whole or abbreviated (--js), with a value
    (--json=1) or not."""
    name = word.split("=", 1)[0]
    return len(name) > 2 and "--json".startswith(name)


def entry(*, stopped_while_loading: int | None = None) -> None:
    """The ``linearnets`` command and ``python -m linearnets``: run :func:`main` and exit at once.

    Called by :func:`linearnets._command.entry`, which holds a Ctrl-C or SIGTERM while this module
    loads and passes it on as ``stopped_while_loading``: reported as a stop while starting.

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
    code: int | None = None
    # one handler for the whole way: Python's own, put back as the command ended, took a SIGTERM
    # landing before the process was gone (a usage error's teardown, say) as the default does,
    # and the command that had said all ended as killed by it (status -15, 143 in a shell)
    with command_signals() as ended:
        try:
            with interrupts_never_dropped(), _warnings_on_one_line():
                try:
                    code = _main(
                        sys.argv[1:],
                        debug_raises=False,
                        stopped_while_loading=stopped_while_loading,
                    )
                except SystemExit as exc:  # a command line that did not parse (said), --help,
                    # --version: left below as any other end, without argparse's chain of errors
                    code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            ended()
        except KeyboardInterrupt:  # in the last steps of the way out: the command had reported
            ended()
            if code is None:
                print("linearnets: interrupted", file=sys.stderr)
                code = EXIT_INTERRUPTED
        # the command is done: a Ctrl-C or SIGTERM now is dropped (it would only print a
        # traceback over the command's report, or end it as killed)
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
