"""linearnets._signals: SIGTERM as a ``KeyboardInterrupt`` outside training, and whatever ran before back.

The first tests (a real SIGTERM, the main-thread rule) are in tests/training/test_interrupt.py.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

import pytest

from linearnets._signals import (
    first_signal,
    held_signals,
    interrupts_never_dropped,
    sigterm_as_keyboard_interrupt,
)


@pytest.fixture
def custom_sigterm() -> Iterator[list[int]]:
    """A SIGTERM handler of the caller's own (recording the signals), restored after the test."""
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    before = signal.signal(signal.SIGTERM, handler)
    yield received
    signal.signal(signal.SIGTERM, before)


def test_the_callers_own_handler_comes_back_and_works_again(custom_sigterm: list[int]) -> None:
    mine = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), sigterm_as_keyboard_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert custom_sigterm == []  # the context's handler took that one
    assert signal.getsignal(signal.SIGTERM) is mine
    os.kill(os.getpid(), signal.SIGTERM)
    assert custom_sigterm == [signal.SIGTERM]


def test_the_handler_comes_back_when_the_body_raises(custom_sigterm: list[int]) -> None:
    mine = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ValueError, match="boom"), sigterm_as_keyboard_interrupt():
        raise ValueError("boom")
    assert signal.getsignal(signal.SIGTERM) is mine


def test_sigint_is_left_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    with sigterm_as_keyboard_interrupt():
        assert signal.getsignal(signal.SIGINT) is before


def test_off_the_main_thread_the_body_runs_once_and_nothing_raises() -> None:
    errors: list[BaseException] = []
    runs: list[int] = []

    def run() -> None:
        try:
            with sigterm_as_keyboard_interrupt():
                runs.append(1)
        except BaseException as err:  # a thread's exception would otherwise only be printed
            errors.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert errors == [] and runs == [1]


@pytest.mark.parametrize(("signum", "args"), [(signal.SIGINT, ()), (signal.SIGTERM, ("SIGTERM",))])
def test_held_signals_raise_after_the_block_as_the_interrupt_they_were(
    signum: int, args: tuple[str, ...]
) -> None:
    from linearnets._signals import held_signals

    finished = False
    with pytest.raises(KeyboardInterrupt) as info, held_signals(raise_after=True):
        os.kill(os.getpid(), signum)  # delivered here, but only recorded
        finished = True
    assert finished and info.value.args == args
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers put back


def test_held_signals_without_raise_after_let_the_block_finish_quietly() -> None:
    from linearnets._signals import held_signals

    with held_signals(raise_after=False):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.fixture
def ignored() -> Iterator[None]:
    """SIGINT and SIGTERM ignored, as a process started by `cmd &` in a shell script has SIGINT."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def test_signals_the_process_was_started_ignoring_stay_ignored(ignored: None) -> None:
    """Honoured in one phase and ignored in the next, the same keypress stopped the run or not."""
    from linearnets._signals import held_signals
    from linearnets.training.interrupt import GracefulInterrupt

    with held_signals(raise_after=True):
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)  # ignored: nothing is raised after the block
    with sigterm_as_keyboard_interrupt():
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    with GracefulInterrupt() as stop:
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested is None
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


def test_a_command_s_signals_stop_it_until_it_ends_then_are_dropped(
    custom_sigterm: list[int],
) -> None:
    """The command's handlers were Python's again as soon as it ended: a SIGTERM before the
    process was gone ended a finished command as killed by it (status -15)."""
    from linearnets._signals import command_signals

    mine, python_s = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with command_signals() as ended:
        for sig, said in ((signal.SIGTERM, ("SIGTERM",)), (signal.SIGINT, ())):
            with pytest.raises(KeyboardInterrupt) as info:
                os.kill(os.getpid(), sig)
            assert type(info.value) is KeyboardInterrupt and info.value.args == said
        ended()
        os.kill(os.getpid(), signal.SIGTERM)  # dropped, as is a Ctrl-C: nothing is raised
        os.kill(os.getpid(), signal.SIGINT)
        assert custom_sigterm == []
    assert signal.getsignal(signal.SIGTERM) is mine  # for a session that goes on
    assert signal.getsignal(signal.SIGINT) is python_s
    os.kill(os.getpid(), signal.SIGTERM)
    assert custom_sigterm == [signal.SIGTERM]


def test_a_command_started_ignoring_a_signal_leaves_it_ignored(ignored: None) -> None:
    from linearnets._signals import command_signals

    with command_signals() as ended:
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)  # ignored: nothing is raised
        ended()
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def _second_signal_cutting(first: BaseException, second: KeyboardInterrupt) -> KeyboardInterrupt:
    """Return ``second`` as raised while ``first`` was on its way out (a ``finally`` it ran)."""
    try:
        try:
            raise first
        finally:
            raise second
    except KeyboardInterrupt as exc:
        return exc


@pytest.mark.parametrize(
    ("first", "second", "named"),
    [
        # torchrun passes a Ctrl-C on as SIGINT, and a second Ctrl-C as SIGTERM
        (KeyboardInterrupt(), KeyboardInterrupt("SIGTERM"), "SIGINT"),
        (KeyboardInterrupt("SIGTERM"), KeyboardInterrupt(), "SIGTERM"),
        (KeyboardInterrupt("SIGTERM"), KeyboardInterrupt("SIGTERM"), "SIGTERM"),
    ],
    ids=["ctrl-c-twice-under-torchrun", "sigterm-then-ctrl-c", "sigterm-twice"],
)
def test_first_signal_names_the_signal_a_second_one_cut_short(
    first: KeyboardInterrupt, second: KeyboardInterrupt, named: str
) -> None:
    assert first_signal(first) == ("SIGTERM" if first.args == ("SIGTERM",) else "SIGINT")
    assert first_signal(_second_signal_cutting(first, second)) == named


def test_first_signal_walks_past_other_errors_and_takes_a_named_stop_at_its_word() -> None:
    # a Ctrl-C whose clean-up failed (OSError), then the second signal, as Python chains them
    cleanup = OSError("closing")
    cleanup.__context__ = KeyboardInterrupt()
    assert first_signal(_second_signal_cutting(cleanup, KeyboardInterrupt("SIGTERM"))) == "SIGINT"

    class Named(KeyboardInterrupt):
        signal_name = "SIGTERM"

    assert first_signal(_second_signal_cutting(KeyboardInterrupt(), Named())) == "SIGTERM"
    assert first_signal(_second_signal_cutting(Named(), KeyboardInterrupt())) == "SIGTERM"


def test_held_signals_raise_the_first_of_two_that_came() -> None:
    """A Ctrl-C, then a SIGTERM while the block still ran: the stop is the Ctrl-C the user gave."""
    with pytest.raises(KeyboardInterrupt) as info, held_signals(raise_after=True):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert type(info.value) is KeyboardInterrupt and info.value.args == ()


def test_first_signal_of_a_stop_raised_while_another_error_was_handled_is_its_own() -> None:
    """A SIGTERM landing in an ``except ValueError`` block: the ValueError is no signal."""
    try:
        try:
            raise ValueError("bad value")
        except ValueError:
            raise KeyboardInterrupt("SIGTERM") from None
    except KeyboardInterrupt as exc:
        assert exc.__context__ is not None
        assert first_signal(exc) == "SIGTERM"


class _Dropper:
    """An object whose ``__del__`` raises ``error``: Python hands it to ``sys.unraisablehook``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __del__(self) -> None:
        raise self.error


@pytest.fixture
def handlers() -> Iterator[list[int]]:
    """SIGINT and SIGTERM handlers recording the signals, restored after the test."""
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield received
    for sig, handler_before in before.items():
        signal.signal(sig, handler_before)


def _wait_for(received: list[int], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.005)  # the handler runs in this thread, between its bytecodes


@pytest.mark.parametrize(
    ("error", "signum"),
    [(KeyboardInterrupt(), signal.SIGINT), (KeyboardInterrupt("SIGTERM"), signal.SIGTERM)],
)
def test_an_interrupt_python_dropped_is_sent_again_as_its_signal(
    handlers: list[int], monkeypatch: pytest.MonkeyPatch, error: KeyboardInterrupt, signum: int
) -> None:
    before: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda args: before.append(args.exc_value))
    with interrupts_never_dropped():
        _Dropper(error)  # dropped at once: its __del__ raises into the hook
        _wait_for(handlers, 1)
    assert handlers == [signum]
    assert before == []  # nothing said: no "Exception ignored in ..."


def test_an_interrupt_is_sent_again_only_once_the_hook_has_returned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a loaded machine the main thread can still be in the hook when the signal comes again:
    its KeyboardInterrupt, raised in the hook, was dropped a second time (CI failed so, the main
    thread descheduled past the sender's 1 ms). Here the main thread lingers in the hook 50 ms
    after starting the sender; the interrupt must still reach the code after it."""
    from linearnets import _signals

    start = threading.Thread.start

    def lingering_start(self: threading.Thread) -> None:
        start(self)
        if getattr(self, "_target", None) is _signals._send_later:
            time.sleep(0.05)  # still in the hook, as a main thread descheduled there is

    monkeypatch.setattr(threading.Thread, "start", lingering_start)
    monkeypatch.setattr(sys, "unraisablehook", lambda args: None)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached = False
    try:
        with interrupts_never_dropped():
            _Dropper(KeyboardInterrupt())
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.001)
    except KeyboardInterrupt:
        reached = True
    finally:
        signal.signal(signal.SIGINT, previous)
    assert reached


def test_other_unraisable_errors_go_to_the_hook_there_was(
    handlers: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ValueError, a KeyboardInterrupt of a subclass (no signal's) or one dropped off the main
    thread (signals raise only in the main thread) are no signal to send again."""

    class Stop(KeyboardInterrupt):
        pass

    before: list[BaseException | None] = []
    hook = lambda args: before.append(args.exc_value)  # noqa: E731
    monkeypatch.setattr(sys, "unraisablehook", hook)
    errors = [ValueError("closing"), Stop(), KeyboardInterrupt("off the main thread")]
    with interrupts_never_dropped():
        _Dropper(errors[0])
        _Dropper(errors[1])
        thread = threading.Thread(target=_Dropper, args=(errors[2],))
        thread.start()
        thread.join()
        time.sleep(0.05)
    assert before == errors
    assert handlers == []
    assert sys.unraisablehook is hook  # put back
