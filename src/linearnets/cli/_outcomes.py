"""How the command reports each way it ends early: stopped while starting, interrupted, its output
closed by the reader (``| head``), or failed; one line on stderr (once, under torchrun: rank 0's;
an unexpected error by each rank it stops, naming it), with ``--json`` the same as a JSON object
ending stdout, and the exit status (130, 141, 2 or 1).
"""

from __future__ import annotations

import contextlib
import errno
import sys

from linearnets._paths import absolute_path
from linearnets._signals import first_signal, held_signals, note_stop
from linearnets.cli import _ranks
from linearnets.cli._invocation import as_started
from linearnets.cli._report import (
    EXIT_INTERRUPTED,
    EXIT_RUNTIME,
    cli_words,
    exit_status,
    one_line,
    print_json_error,
    resume_advice,
    say,
    signal_name,
)
from linearnets.errors import LinearnetsError

__all__ = ["report_error", "report_interrupt", "report_output_closed", "report_start_interrupted"]


def report_start_interrupted(exc: KeyboardInterrupt, *, json_errors: bool) -> int:
    """Say that the command was stopped while starting (and in JSON, if asked; rank 0 only); return 130."""
    note_stop()  # held while linearnets.cli loaded, or raised: the report's waits are short
    with held_signals(raise_after=False):  # the report is printed whole, a second signal or not
        # the rank comes from the environment alone (no torch, whose import this may have cut short);
        # under torchrun the others were stopped with rank 0, or by it: when it failed first (a usage
        # error), torchrun stops them while they still start, and stdout must end with its object
        rank = _ranks.rank()
        if rank != 0 and _ranks.by_launcher():
            return EXIT_INTERRUPTED
        # before the command did anything: no file made, nothing to resume
        detail = _ranks.stopped_while_starting(first_signal(exc))
        # a process started by hand has a terminal and stdout of its own: it says it too
        say(f"linearnets{f' (rank {rank})' if rank else ''}: {detail}")
        if json_errors:
            print_json_error(detail, type(exc).__name__, EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def report_interrupt(exc: KeyboardInterrupt, prog: str, *, json_errors: bool) -> int:
    """Say where the command was stopped (rank 0 only) and return the exit status 130.

    A stop that came while a lost peer's error was on its way out (torchrun stopping this rank
    because another died, its SIGTERM landing in the clean-up) is that error's: it is reported,
    since a silent rank 1 left a run whose rank 0 was killed with no word of its checkpoint.
    """
    note_stop()  # raised, not held: the report's waits on a stuck output are short too
    lost = _peer_lost_beneath(exc)
    if lost is not None:
        return report_error(lost, prog, json_errors=json_errors)
    rank = _ranks.rank()
    if rank != 0 and _ranks.by_launcher():  # every rank stopped after the same step: rank 0 says
        _ranks.let_rank_0_speak()  # where (a process started by hand says it itself)
        return EXIT_INTERRUPTED
    # a training stop only once its module is loaded: importing it (and torch) here failed with
    # a traceback where the stop had cut torch's own import short
    interrupt = sys.modules.get("linearnets.training.interrupt")
    with held_signals(raise_after=False):  # the report is printed whole, a second signal or not
        if interrupt is not None and isinstance(exc, interrupt.TrainingInterrupted):
            exc.from_cli = True  # the hint names the command, not the Python call
        detail = str(exc) if type(exc) is not KeyboardInterrupt else signal_name(exc)
        detail = detail or signal_name(exc)  # a stop of the library's own that says nothing
        if getattr(exc, "asked", None):  # its resume with the settings given: as the command
            detail = cli_words(detail)
        detail = as_started(detail)  # its resume as the user can type it here
        say(f"{prog}{f' (rank {rank})' if rank else ''}: {detail}")
        if json_errors:
            print_json_error(detail, _error_type(exc), EXIT_INTERRUPTED, run_dir=_json_run_dir(exc))
    return EXIT_INTERRUPTED


def _error_type(exc: BaseException) -> str:
    """Return ``--json``'s ``error_type`` of the stop ``exc``: the event's name where the stop
    gives one (a command's own stop, told in another command's words: the same event is named
    alike by both, see :class:`~linearnets.cli.linreg.LinregInterrupted`), else its class's."""
    named = getattr(exc, "error_type", None)
    return named if isinstance(named, str) else type(exc).__name__


def _json_run_dir(exc: BaseException) -> str | None:
    """Return the folder of the run ``exc`` stopped, as ``--json`` names it: absolute, as a
    success's object and results.json name it (the line on stderr keeps the path as typed, which
    its resume command repeats); None where it names none."""
    run_dir = getattr(exc, "run_dir", None)
    return None if run_dir is None else str(absolute_path(run_dir))


def report_output_closed(exc: BrokenPipeError, prog: str) -> None:
    """Tell a run stopped by its closed output (``| head``) where it can be continued, on stderr.

    The run's stop names its folder (``run_dir``), the epochs its checkpoint holds
    (``checkpoint_epoch``, ``None``: none yet) and how a data-parallel run's processes start again
    (``launched_again``); a stderr closed too gets nothing.
    """
    run_dir = getattr(exc, "run_dir", None)
    if run_dir is None or _ranks.rank() != 0:
        return
    kept = as_started(
        resume_advice(
            prog,
            run_dir,
            getattr(exc, "checkpoint_epoch", None),
            launched=getattr(exc, "launched_again", ""),
        )
    )
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(
            f"{prog}: stopped: its output was closed (a reader such as head quit); {kept}",
            file=sys.stderr,
            flush=True,
        )


def report_output_lost(exc: OSError, prog: str, *, what: str = "its output") -> int:
    """Say in one line that ``prog``'s output, ``what`` it printed ("its help", "the version",
    "its report"), could not be written to stdout (a full device, an I/O error), and return 1,
    whatever it did: ``--help`` and ``--version`` too, which argparse let exit 0. Worded as a
    lost result's line names stdout (:mod:`~linearnets.cli._lost_output`): it said "a device is
    full (the disk, or where the output goes)", not that stdout was. The advice is that of no run
    (none to resume: the help's was softmax's ``--resume``); stdout is what failed, so no
    ``--json`` object."""
    why = exc.strerror or str(exc)
    fix = "run it again with stdout elsewhere (a terminal, a file or a pipe)"
    if exc.errno == errno.ENOSPC:
        fix = f"free some space where stdout goes, or {fix}"
    say(f"{prog}: error: {what} could not be written to stdout ({why}); {fix}")
    return EXIT_RUNTIME


def report_error(
    exc: Exception, prog: str, *, json_errors: bool, traceback_shown: bool = False
) -> int:
    """Say what failed in one line (once, under torchrun) and return the exit status: 2 or 1."""
    rank = _ranks.rank()
    if rank == 0:
        # made and printed whole, a second signal (torchrun stopping the others) or not
        with held_signals(raise_after=False):
            line = as_started(one_line(exc, traceback_shown=traceback_shown, command=prog))
            say(f"{prog}: error: {line}")
            if json_errors:  # run_dir: a run that stopped on a full disk, say
                print_json_error(
                    line, type(exc).__name__, exit_status(exc), run_dir=_json_run_dir(exc)
                )
    else:
        try:
            _report_on_another_rank(
                exc, prog, rank, json_errors=json_errors, traceback_shown=traceback_shown
            )
        except KeyboardInterrupt:
            # torchrun stopping this rank while it decided (rank 0 failed first and exited): the
            # error is rank 0's to say, and this rank leaves with its own status, as when the
            # signal ends its wait; a rank started by hand has a terminal of its own to say it
            if not _ranks.by_launcher():
                raise
    return exit_status(exc)


def _report_on_another_rank(
    exc: Exception, prog: str, rank: int, *, json_errors: bool, traceback_shown: bool
) -> None:
    """:func:`report_error` on a rank other than 0: said here only where rank 0 may not say it."""
    if isinstance(exc, LinearnetsError) and _lost_a_peer(exc) and _ranks.rank_0_reported():
        # rank 0 stopped with an error of its own and says it, with the resume: this rank lost it
        # as it left, and a line of its own gave a second instruction beside rank 0's
        _ranks.let_rank_0_speak()
    elif not isinstance(exc, LinearnetsError) or _lost_a_peer(exc):
        # the library's own errors are the same on every rank and said once, by rank 0; an
        # unexpected one may be this rank's alone, and a lost peer may be rank 0 itself
        with held_signals(raise_after=False):
            line = as_started(one_line(exc, traceback_shown=traceback_shown, command=prog))
            say(f"{prog} (rank {rank}): error: {line}")
    elif _ranks.let_rank_0_speak():
        # the wait ran out: rank 0 did not stop the run with the same error, so this is this
        # rank's own (its data, its environment, its options given by hand): said here
        with held_signals(raise_after=False):
            line = as_started(one_line(exc, traceback_shown=traceback_shown, command=prog))
            say(f"{prog} (rank {rank}): error: {line}")
            if json_errors and not _ranks.by_launcher():  # its own stdout: rank 0 has another
                print_json_error(line, type(exc).__name__, exit_status(exc))


def _peer_lost_beneath(exc: BaseException) -> Exception | None:
    """Return the lost peer's error (``PeerLostError``) that ``exc`` was raised while handling, if
    any; ``None`` when the library's distributed code is not loaded (nothing lost a peer)."""
    failures = sys.modules.get("linearnets.training.dist_failures")
    seen: set[int] = set()
    cause = exc.__context__
    while failures is not None and cause is not None and id(cause) not in seen:
        if isinstance(cause, failures.PeerLostError):
            return cause
        seen.add(id(cause))
        cause = cause.__context__
    return None


def _lost_a_peer(exc: Exception) -> bool:
    """Whether ``exc`` says another process of the run stopped (rank 0 may be the one gone).

    Read from the modules already loaded: where the library's distributed code is not, nothing
    lost a peer. Importing it (and torch, about a second) to tell a usage error found before torch
    loaded gave torchrun's SIGTERM, once rank 0 had said that error and exited, a window to land
    in the import, and the stop got out as a second line (``linearnets: interrupted by SIGTERM``).
    """
    failures = sys.modules.get("linearnets.training.dist_failures")
    return failures is not None and isinstance(exc, failures.PeerLostError)
