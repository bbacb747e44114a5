"""The ``linearnets`` command: the only place that parses argv.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Usage errors exit 2, runtime errors exit 1, an interrupt exits 130; each prints one line, no traceback
unless ``--debug`` is given. With ``--json`` that line also ends stdout as a JSON object
(``{"error": ..., "error_type": ..., "exit_status": ...}``), so a script reading the last line as JSON
gets the failure there, not an empty line. Output piped into a reader that stops early (``| head``)
ends the command quietly with 141, as a process stopped by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from linearnets._signals import sigterm_as_keyboard_interrupt
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
from linearnets.errors import LinearnetsError, UsageError

__all__ = ["main"]


# argparse takes "-1" and "-0.5" as values but "-1e-3", "-inf" and "-nan" as unknown options, so
# "--lr -1e-3" failed with "expected one argument" instead of naming the value and the rule
_NEGATIVE_NUMBER = re.compile(
    r"^-(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
)


class UsageExit(SystemExit):
    """The ``SystemExit`` of a command line that did not parse; ``message`` is what was printed."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_USAGE)
        self.message = message


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line naming the problem, then exit 2.

    Any negative number, in any float spelling, is read as an option's value (which the option's
    type then checks), not as an unknown option.
    """

    subcommands: dict[str, argparse.ArgumentParser]  # its subcommands (or actions) by name
    subcommand_dest: str  # the attribute of the parsed arguments that names the one given

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER  # argparse's own attribute, widened
        self.subcommands = {}
        self.subcommand_dest = ""

    def add_debug_everywhere(self) -> None:
        """Accept ``--debug`` after every subcommand and action too, not only before them."""
        for command in self.subcommands.values():
            # SUPPRESS: left out, it must not reset a --debug given earlier
            command.add_argument(
                "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
            )
            if isinstance(command, OneLineParser):
                command.add_debug_everywhere()

    def given(self, args: argparse.Namespace) -> argparse.ArgumentParser:
        """Return the innermost subcommand (or action) ``args`` were parsed by: it has the --help."""
        name = getattr(args, self.subcommand_dest, None) if self.subcommand_dest else None
        command = self.subcommands.get(name) if isinstance(name, str) else None
        if command is None:
            return self
        return command.given(args) if isinstance(command, OneLineParser) else command

    def error(self, message: str) -> NoReturn:
        # under torchrun every rank parses the same argv: rank 0 alone says what is wrong
        if _rank() != 0:
            _let_rank_0_speak()
            self.exit(EXIT_USAGE)
        text = f"{message} (see {self.prog} --help)"
        self._print_message(f"{self.prog}: error: {text}\n", sys.stderr)
        raise UsageExit(text)


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for module in (linreg_cmd, softmax_cmd, predict_cmd, data_cmd):
        module.add_parser(sub)
    parser.subcommands, parser.subcommand_dest = dict(sub.choices), "command"
    parser.add_debug_everywhere()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    A command line that does not parse raises ``SystemExit(2)`` (:class:`UsageExit`), as argparse
    does, after printing its one line. SIGTERM stops the command as Ctrl-C does (exit 130, one
    line), so that what it was writing is cleaned up or kept, not cut off mid-way.
    """
    with sigterm_as_keyboard_interrupt():
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    # decided from the words given, so that a command line that does not parse reports in JSON too
    json_errors = any(len(word) > 2 and "--json".startswith(word) for word in argv)  # --js too
    try:
        parser = build_parser()  # imports torch: the slow part of starting up
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # named by the subcommand that was given them, which has the --help to read
            parser.given(args).error(f"unrecognized arguments: {' '.join(unknown)}")
    except KeyboardInterrupt as exc:
        print(f"linearnets: {signal_name(exc) or 'interrupted'} while starting", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageExit as exc:
        if json_errors and _rank() == 0:
            print_json_error(exc.message, "UsageError", EXIT_USAGE)
        raise
    debug = bool(getattr(args, "debug", False))
    json_errors = bool(getattr(args, "json", False))
    prog = parser.given(args).prog  # "linearnets data show": as its own usage errors name it
    try:
        return int(args.func(args))
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM during training (TrainingInterrupted)
        if debug:
            raise
        if _rank() != 0:  # every rank stopped after the same step: rank 0 says where
            _let_rank_0_speak()
            return EXIT_INTERRUPTED
        from linearnets.training.interrupt import TrainingInterrupted

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
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and output_closed():
            # `| head` has read what it wanted: nothing more to say, and nowhere to say it
            return EXIT_BROKEN_PIPE
        if debug:
            raise
        rank = _rank()
        if rank == 0:
            print(f"{prog}: error: {one_line(exc)}", file=sys.stderr)
            if json_errors:
                print_json_error(one_line(exc), type(exc).__name__, exit_status(exc))
        elif not isinstance(exc, LinearnetsError):
            # the library's own errors are the same on every rank and said once, by rank 0; an
            # unexpected one may be this rank's alone
            print(f"{prog} (rank {rank}): error: {one_line(exc)}", file=sys.stderr)
        else:
            _let_rank_0_speak()
        return exit_status(exc)


def _rank() -> int:
    """Return this process's rank under torchrun (from its environment), 0 otherwise.

    A ``RANK`` that no launcher set (no ``WORLD_SIZE`` above 1, no ``MASTER_ADDR``/``MASTER_PORT``,
    or outside ``[0, WORLD_SIZE)``) is ignored: that process must still say what went wrong.
    """
    from linearnets.training.distributed import env_int

    try:
        rank, world = env_int("RANK", 0), env_int("WORLD_SIZE", 1)
    except UsageError:  # a malformed RANK or WORLD_SIZE: speak, rather than fail while reporting
        return 0
    launched = all(os.environ.get(name) for name in ("MASTER_ADDR", "MASTER_PORT"))
    return rank if launched and 0 <= rank < world else 0


def _let_rank_0_speak(seconds: float = 2.0) -> None:
    """Wait a moment before a silent rank exits with an error.

    torchrun stops every worker as soon as one fails: a rank other than 0 that left first could
    have rank 0 stopped before it printed the one line that explains the failure.
    """
    import time

    time.sleep(seconds)


def refuse_data_parallel(command: str) -> None:
    """Raise unless this is a single process: ``command`` does not split its work over processes."""
    from linearnets.training.distributed import env_int

    world = env_int("WORLD_SIZE", 1)
    if world > 1:
        raise UsageError(
            f"{command} runs in one process, got {world} processes (torchrun); run it "
            f"without torchrun (only 'linearnets softmax' trains data-parallel)"
        )


def entry() -> NoReturn:
    """The ``linearnets`` command and ``python -m linearnets``: run :func:`main` and exit at once.

    Tearing down an interpreter that has imported torch takes about 0.4 s here (Python frees every
    module's objects one by one), a tenth of a whole training run. By the time :func:`main` returns,
    every file the command wrote is closed and any child process joined, so the command flushes its
    output and leaves with ``os._exit``, skipping that teardown. With ``--debug`` an error's traceback
    is raised out of :func:`main` and printed as usual.
    """
    try:
        os.getcwd()
    except OSError:  # torch's MKL cannot even load from a deleted folder
        print(
            "linearnets: error: the working folder no longer exists; cd to a folder that does "
            "and run it again",
            file=sys.stderr,
        )
        os._exit(EXIT_RUNTIME)
    for stream in (sys.stdout, sys.stderr):
        # a terminal or pipe that cannot encode a run folder's name or a Chinese label (an ASCII
        # locale) shows it escaped rather than failing a finished run
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    code = main()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (``| head``) or stream (``>&-`` leaves None): nothing more can be shown
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    os._exit(code)
