"""Ctrl-C / SIGTERM handling: the step that runs finishes, training stops, handlers come back.

The end-to-end test with a real subprocess, a real signal and a resume is in tests/tasks/test_resume.py.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.cli import main
from linearnets.training.callbacks import Callback
from linearnets.training.distributed import DistContext
from linearnets.training.history import EpochMetrics
from linearnets.training.interrupt import (
    GracefulInterrupt,
    TrainingInterrupted,
    raise_run_stop,
    sigterm_as_keyboard_interrupt,
    stop_behind,
)
from linearnets.training.loop import fit


def test_handlers_are_installed_then_restored() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with GracefulInterrupt() as interrupt:
        for s in before:
            assert signal.getsignal(s) == interrupt._handle
    assert {s: signal.getsignal(s) for s in before} == before


def test_sigterm_outside_training_is_a_keyboard_interrupt_then_the_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt) as info, sigterm_as_keyboard_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)  # delivered to the main thread before kill returns
    assert info.value.args == ("SIGTERM",)
    assert signal.getsignal(signal.SIGTERM) is before
    with sigterm_as_keyboard_interrupt():
        pass  # no signal: nothing raised, and the handler is restored all the same
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_outside_the_main_thread_is_left_alone() -> None:
    seen: list[object] = []

    def run() -> None:
        with sigterm_as_keyboard_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [before]  # no handler set (none can be, off the main thread), nothing raised


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_first_signal_sets_a_flag_the_next_check_raises(signum: int) -> None:
    with GracefulInterrupt() as interrupt:
        interrupt.on_fit_start(num_epochs=5, start_epoch=0)
        interrupt.on_epoch_start(epoch=3, num_batches=10)
        os.kill(os.getpid(), signum)  # delivered to the main thread before kill returns
        assert interrupt.requested == signal.Signals(signum).name
        with pytest.raises(TrainingInterrupted) as info:
            interrupt.on_batch_end(6, torch.zeros(1))
    exc = info.value
    assert isinstance(exc, KeyboardInterrupt)
    assert (exc.signal_name, exc.epoch, exc.step) == (signal.Signals(signum).name, 3, 7)
    assert str(exc) == f"interrupted by {exc.signal_name} after batch 7 of epoch 3"


def test_second_signal_aborts_at_once() -> None:
    """The abort is still a TrainingInterrupted (a KeyboardInterrupt: exit 130), so the run says
    where it is; it is marked aborted, since it did not wait for the step to finish."""
    with GracefulInterrupt() as interrupt:
        interrupt.on_fit_start(num_epochs=5, start_epoch=0)
        interrupt.on_epoch_start(epoch=2, num_batches=10)
        interrupt.on_batch_end(3, torch.zeros(1))
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(TrainingInterrupted) as info:
            os.kill(os.getpid(), signal.SIGTERM)  # raised in the handler, before kill returns
    exc = info.value
    assert isinstance(exc, KeyboardInterrupt) and exc.aborted
    assert (exc.signal_name, exc.epoch, exc.step) == ("SIGTERM", 2, 4)
    assert str(exc) == "aborted by a second SIGTERM during epoch 2"
    exc.run_dir, exc.checkpoint_epoch, exc.from_cli = Path("runs/a"), 1, True
    assert str(exc) == (
        "aborted by a second SIGTERM during epoch 2; the checkpoint of epoch 1 is kept in runs/a; "
        "resume with: linearnets softmax --resume runs/a"
    )
    # the abort came once epoch 2's checkpoint was written (while its line was printed, say): it
    # once said "during epoch 2; the checkpoint of epoch 2 is kept", which contradicts itself
    exc.checkpoint_epoch = 2
    assert str(exc) == (
        "aborted by a second SIGTERM at the end of epoch 2; the checkpoint of epoch 2 is kept in "
        "runs/a; resume with: linearnets softmax --resume runs/a"
    )


def test_nothing_is_installed_outside_the_main_thread_or_when_disabled() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def worker() -> None:
        with GracefulInterrupt():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    with GracefulInterrupt(enabled=False):
        seen.append(signal.getsignal(signal.SIGINT))
    assert seen == [before, before]


def test_fit_finishes_the_running_step_then_stops() -> None:
    net = torch.nn.Linear(2, 1)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    steps_taken: list[int] = []

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for step in range(10):
            if step == 3:
                os.kill(os.getpid(), signal.SIGTERM)  # arrives while step 3 is running
            steps_taken.append(step)
            yield torch.ones(4, 2), torch.zeros(4, 1)

    class Data:
        def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            return batches()

    loss = torch.nn.MSELoss(reduction="none")
    with GracefulInterrupt() as interrupt, pytest.raises(TrainingInterrupted) as info:
        fit(net, Data(), loss, updater, 3, callbacks=[interrupt])
    assert steps_taken == [0, 1, 2, 3]  # step 3 completed, step 4 never began
    assert (info.value.epoch, info.value.step) == (1, 4)


def test_signal_between_epochs_stops_before_the_next_one() -> None:
    interrupt = GracefulInterrupt()
    interrupt.on_fit_start(num_epochs=5, start_epoch=2)
    interrupt.requested = "SIGINT"
    with pytest.raises(TrainingInterrupted, match="at the end of epoch 2"):
        interrupt.on_epoch_start(epoch=3, num_batches=None)


def test_message_tells_how_to_resume(tmp_path: Path) -> None:
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=3, step=120)
    exc.run_dir, exc.checkpoint_epoch, exc.from_cli = tmp_path, 2, True
    assert str(exc) == (
        f"interrupted by SIGINT after batch 120 of epoch 3; the checkpoint of epoch 2 is kept in "
        f"{tmp_path}; resume with: linearnets softmax --resume {tmp_path}"
    )
    exc.checkpoint_epoch = None
    assert str(exc).endswith(
        f"before the first checkpoint; start it over with: linearnets softmax --resume {tmp_path}"
    )


def test_the_command_in_the_message_is_quoted_for_the_shell(tmp_path: Path) -> None:
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=1, step=0)
    exc.run_dir, exc.checkpoint_epoch, exc.from_cli = tmp_path / "my run", 1, True
    assert str(exc).endswith(f"resume with: linearnets softmax --resume '{tmp_path}/my run'")


def test_called_from_python_the_message_names_the_python_call(tmp_path: Path) -> None:
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=3, step=0)
    exc.run_dir, exc.checkpoint_epoch = tmp_path, 3
    assert str(exc).endswith(f"resume with: linearnets.resume_softmax({str(tmp_path)!r})")


def test_cli_exits_130_with_the_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        exc = TrainingInterrupted(signal_name="SIGTERM", epoch=2, step=5)
        exc.run_dir, exc.checkpoint_epoch = tmp_path, 1
        raise exc

    monkeypatch.setattr("linearnets.tasks.linreg.run_linreg", interrupted)
    assert main(["linreg"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"resume with: linearnets softmax --resume {tmp_path}" in err


class _TwoRanks(DistContext):
    """Rank 0 of a 2-process run whose all-reduce adds the other rank's flags (no processes)."""

    other: torch.Tensor
    calls: list[int]

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        self.calls.append(1)
        return tensor.add_(self.other)


def _two_ranks(other_got: str | None) -> _TwoRanks:
    dist = _TwoRanks(rank=0, world_size=2)
    other = torch.zeros(2, 2)  # (signals, ranks): what rank 1 puts in
    if other_got is not None:
        other[("SIGINT", "SIGTERM").index(other_got), 1] = 1.0
    object.__setattr__(dist, "other", other)
    object.__setattr__(dist, "calls", [])
    return dist


def test_data_parallel_processes_stop_together_when_another_was_signalled() -> None:
    dist = _two_ranks(None)
    interrupt = GracefulInterrupt(dist=dist)
    interrupt.on_fit_start(num_epochs=5, start_epoch=0)
    assert len(dist.calls) == 0
    interrupt.on_epoch_start(epoch=1, num_batches=20)  # an agreement: nobody was signalled
    assert len(dist.calls) == 1
    dist.other[1, 1] = 1.0  # the other rank gets SIGTERM
    for step in range(7):  # no collective between agreements
        interrupt.on_batch_end(step, torch.zeros(1))
    assert len(dist.calls) == 1
    with pytest.raises(TrainingInterrupted) as info:
        interrupt.on_batch_end(7, torch.zeros(1))  # the 8th step: every rank agrees here
    assert len(dist.calls) == 2
    assert (info.value.signal_name, info.value.epoch, info.value.step) == ("SIGTERM", 1, 8)
    # rank 0 got no signal: it was told "interrupted by SIGTERM" as if it had
    assert str(info.value) == "interrupted by SIGTERM to rank 1 after batch 8 of epoch 1"
    # and at the end of an epoch (after its checkpoint)
    with pytest.raises(TrainingInterrupted, match=r"by SIGTERM to rank 1 at the end of epoch 1$"):
        interrupt.on_epoch_end(metrics=EpochMetrics(1, 0.5, 0.9, None, None, 0.1))


def test_data_parallel_own_signal_stops_at_the_next_agreement_and_a_repeat_does_not_abort() -> None:
    dist = _two_ranks(None)
    with GracefulInterrupt(dist=dist) as interrupt:
        interrupt.on_fit_start(num_epochs=2, start_epoch=0)
        interrupt.on_epoch_start(epoch=1, num_batches=20)
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # torchrun passing on the terminal's Ctrl-C: no abort
        assert interrupt.requested == "SIGINT"
        for step in range(7):
            interrupt.on_batch_end(step, torch.zeros(1))  # the others would still be training
        with pytest.raises(TrainingInterrupted) as info:
            interrupt.on_batch_end(7, torch.zeros(1))
    assert (info.value.signal_name, info.value.step) == ("SIGINT", 8)
    assert str(info.value) == "interrupted by SIGINT after batch 8 of epoch 1"  # its own
    # at an agreement nobody was signalled: no stop
    quiet = GracefulInterrupt(dist=_two_ranks(None))
    quiet.on_epoch_end(metrics=EpochMetrics(1, 0.5, 0.9, None, None, 0.1))


def test_message_names_the_launcher_to_resume_with(tmp_path: Path) -> None:
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=2, step=0)
    exc.run_dir, exc.checkpoint_epoch, exc.launcher = tmp_path, 2, "torchrun"
    exc.from_cli = True
    assert str(exc).endswith(
        f"resume with: linearnets softmax --resume {tmp_path}, launched by torchrun as before"
    )


def test_a_signal_during_an_agreement_waits_for_the_next_one() -> None:
    """The decision rests on the all-reduced flags alone: a flag set while they were summed (by a
    signal landing then) is not in the peers' sums, so this process must not stop on it either."""
    dist = _two_ranks(None)
    interrupt = GracefulInterrupt(dist=dist)

    def sum_while_signalled(tensor: torch.Tensor) -> torch.Tensor:
        dist.calls.append(1)
        interrupt.requested = "SIGINT"  # the handler ran during the collective
        return tensor.add_(dist.other)

    object.__setattr__(dist, "all_reduce_sum", sum_while_signalled)
    try:
        interrupt.on_epoch_start(epoch=1, num_batches=20)  # the peers saw no flag: go on
    except TrainingInterrupted:  # (a KeyboardInterrupt: pytest would stop the whole session)
        pytest.fail("stopped on a flag the other processes did not see")
    with pytest.raises(TrainingInterrupted):  # the next agreement carries it, for everyone
        interrupt.on_epoch_end(metrics=EpochMetrics(1, 0.5, 0.9, None, None, 0.1))


@pytest.mark.parametrize(
    ("epoch", "step", "where"),
    [
        (0, 0, "at the start"),
        (2, 0, "at the end of epoch 2"),
        (2, 1, "after batch 1 of epoch 2"),  # a callback's step 0
    ],
)
def test_message_says_where_training_stopped(epoch: int, step: int, where: str) -> None:
    exc = TrainingInterrupted(signal_name="SIGTERM", epoch=epoch, step=step)
    assert str(exc) == f"interrupted by SIGTERM {where}"


def test_a_signal_before_the_first_epoch_stops_at_the_start() -> None:
    interrupt = GracefulInterrupt()
    interrupt.on_fit_start(num_epochs=3, start_epoch=0)
    interrupt.requested = "SIGINT"
    with pytest.raises(TrainingInterrupted, match=r"^interrupted by SIGINT at the start$"):
        interrupt.on_epoch_start(epoch=1, num_batches=4)


def test_second_signal_puts_the_previous_handlers_back_before_aborting() -> None:
    """Once the user has insisted, a third Ctrl-C during the clean-up acts as Python's usual one."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with GracefulInterrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
        assert {s: signal.getsignal(s) for s in before} == before  # still inside the `with`


def test_a_one_process_context_is_not_data_parallel() -> None:
    """world_size 1 (a plain run): no agreement, no collective, and a second signal aborts."""
    single = _TwoRanks(rank=0, world_size=1)
    object.__setattr__(single, "other", torch.zeros(2))
    object.__setattr__(single, "calls", [])
    with GracefulInterrupt(dist=single) as interrupt:
        interrupt.on_epoch_start(epoch=1, num_batches=20)
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(TrainingInterrupted) as info:
            interrupt.on_batch_end(0, torch.zeros(1))  # not held back to the 8th step
        assert info.value.step == 1
        with pytest.raises(TrainingInterrupted) as abort:
            os.kill(os.getpid(), signal.SIGINT)
        assert abort.value.aborted
    assert single.calls == []


@pytest.mark.parametrize(("mine", "peer"), [("SIGTERM", "SIGINT"), ("SIGINT", "SIGTERM")])
def test_data_parallel_each_process_reports_its_own_signal_first(mine: str, peer: str) -> None:
    interrupt = GracefulInterrupt(dist=_two_ranks(peer))
    interrupt.requested = mine
    with pytest.raises(TrainingInterrupted) as info:
        interrupt.on_epoch_start(epoch=1, num_batches=20)
    assert info.value.signal_name == mine


def test_data_parallel_a_signal_during_the_agreement_stops_only_on_the_sums() -> None:
    """SIGINT landing here during the all-reduce was in nobody's sums: it stops this process only
    where the peers' sums say stop (SIGTERM to rank 1), named as the signal this process got
    (:func:`test_data_parallel_own_signal_landing_in_the_agreement_is_named_not_anothers`);
    where nobody else was signalled, it waits for the next agreement, as the peers do."""
    for other_got in ("SIGTERM", None):
        dist = _two_ranks(other_got)
        interrupt = GracefulInterrupt(dist=dist)

        def sum_while_signalled(
            tensor: torch.Tensor, dist: _TwoRanks = dist, interrupt: GracefulInterrupt = interrupt
        ) -> torch.Tensor:
            interrupt.requested = "SIGINT"
            return tensor.add_(dist.other)

        object.__setattr__(dist, "all_reduce_sum", sum_while_signalled)
        if other_got is None:
            interrupt.on_epoch_start(epoch=1, num_batches=20)  # no stop: in nobody's sums
            continue
        with pytest.raises(TrainingInterrupted) as info:
            interrupt.on_epoch_start(epoch=1, num_batches=20)
        assert info.value.signal_name == "SIGINT"


def test_data_parallel_agreement_runs_on_the_models_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """NCCL all-reduces CUDA tensors only: the flags are made on the device given (recorded here, as
    this machine may have no GPU, and made on the CPU so the test runs)."""
    asked: list[object] = []
    real_zeros = torch.zeros

    def zeros(*size: int, device: object = None) -> torch.Tensor:
        asked.append(device)
        return real_zeros(*size)

    dist = _two_ranks("SIGINT")
    interrupt = GracefulInterrupt(dist=dist, device=torch.device("meta"))
    monkeypatch.setattr(torch, "zeros", zeros)
    with pytest.raises(TrainingInterrupted):
        interrupt.on_epoch_end(metrics=EpochMetrics(1, 0.5, 0.9, None, None, 0.1))
    assert asked == [torch.device("meta")]
    assert GracefulInterrupt().device == torch.device("cpu")  # gloo's, the default


@pytest.mark.parametrize("got", ["SIGINT", "SIGTERM"])
def test_data_parallel_a_peer_that_got_no_signal_stops_on_the_one_another_got(got: str) -> None:
    """Two ranks in one process: rank 0 was signalled, rank 1 not; rank 1's all-reduce adds what
    rank 0 put in, and rank 1 stops naming rank 0's signal."""
    sent: list[torch.Tensor] = []
    rank0 = GracefulInterrupt(dist=_two_ranks(None))
    rank0.requested = got

    def send(tensor: torch.Tensor) -> torch.Tensor:  # rank 0's side of the sum
        sent.append(tensor.clone())
        return tensor

    object.__setattr__(rank0.dist, "all_reduce_sum", send)
    with pytest.raises(TrainingInterrupted) as info0:
        rank0.on_epoch_start(epoch=1, num_batches=20)
    ((flags0,),) = [sent]
    rank1 = GracefulInterrupt(dist=_two_ranks(None))
    object.__setattr__(rank1.dist, "all_reduce_sum", lambda tensor: tensor.add_(flags0))
    with pytest.raises(TrainingInterrupted) as info1:
        rank1.on_epoch_start(epoch=1, num_batches=20)
    assert info0.value.signal_name == info1.value.signal_name == got
    assert (str(info0.value), str(info1.value)) == (
        f"interrupted by {got} at the start",
        f"interrupted by {got} to rank 0 at the start",
    )


@pytest.mark.parametrize("own", ["SIGINT", "SIGTERM"])
def test_data_parallel_own_signal_landing_in_the_agreement_is_named_not_anothers(own: str) -> None:
    """Rank 1 got SIGTERM; this rank's own signal (the terminal's Ctrl-C) ran its handler only as
    the all-reduce returned: it was told rank 1's SIGTERM, a signal it never got."""
    dist = _two_ranks("SIGTERM")
    interrupt = GracefulInterrupt(dist=dist)
    reduce = dist.all_reduce_sum

    def own_signal_meanwhile(tensor: torch.Tensor) -> torch.Tensor:
        interrupt.requested = own  # this rank's handler, as the all-reduce returns
        return reduce(tensor)

    object.__setattr__(dist, "all_reduce_sum", own_signal_meanwhile)
    interrupt.on_fit_start(num_epochs=2, start_epoch=0)
    with pytest.raises(TrainingInterrupted) as info:
        interrupt.on_epoch_start(epoch=1, num_batches=20)
    assert (info.value.signal_name, str(info.value)) == (own, f"interrupted by {own} at the start")


def test_an_interrupt_survives_pickling_with_its_resume_hint() -> None:
    """A run in a process pool hands its exception back pickled: the copy says the same."""
    import pickle

    exc = TrainingInterrupted(signal_name="SIGTERM", epoch=2, step=5)
    exc.run_dir, exc.checkpoint_epoch, exc.from_cli = Path("runs/my run"), 1, True
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is TrainingInterrupted and isinstance(copy, KeyboardInterrupt)
    assert vars(copy) == vars(exc) and copy.args == exc.args
    assert str(copy) == (
        "interrupted by SIGTERM after batch 5 of epoch 2; the checkpoint of epoch 1 is kept in runs/my run; "
        "resume with: linearnets softmax --resume 'runs/my run'"
    )


# ------------------------------------------------------------- in IPython and Jupyter: one line
def _train_until_sigint(run_dir: Path) -> None:
    """Train until a real SIGINT in epoch 2's third step; raise its stop as a run names it."""
    net = torch.nn.Linear(2, 1)
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    steps = iter(range(100))

    class Data:
        def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            for _ in range(5):
                if next(steps) == 7:  # the kernel's interrupt, in epoch 2's third step
                    os.kill(os.getpid(), signal.SIGINT)
                yield torch.ones(4, 2), torch.zeros(4, 1)

    loss = torch.nn.MSELoss(reduction="none")
    try:
        with GracefulInterrupt() as interrupt:
            fit(net, Data(), loss, updater, 3, callbacks=[interrupt])
    except TrainingInterrupted as exc:  # what tasks.stopping.name_resume adds for a run
        exc.run_dir, exc.checkpoint_epoch = run_dir, 1
        raise


_STOPPED = (
    "TrainingInterrupted: interrupted by SIGINT after batch 3 of epoch 2; the checkpoint of epoch 1 is "
    "kept in runs/a; resume with: linearnets.resume_softmax('runs/a')"
)


def test_a_stop_in_ipython_is_its_one_line_not_a_traceback(
    ipython: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Jupyter showed 14 frames and 90 lines of the library, with the resume call at the bottom."""
    ipython.user_ns.update(train=_train_until_sigint, Path=Path)
    result = ipython.run_cell("train(Path('runs/a'))")
    assert isinstance(result.error_in_exec, TrainingInterrupted)
    assert capsys.readouterr() == (_STOPPED + "\n", "")


def test_a_second_interrupt_while_ipython_shows_the_stop_cannot_swallow_it(
    ipython: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second "Interrupt the kernel" came while IPython rendered the traceback (0.15-0.3 s): it
    caught that KeyboardInterrupt and showed only "KeyboardInterrupt", without the run folder or
    the resume call. The stop's line no longer goes through that rendering."""

    def second_interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ipython.InteractiveTB, "structured_traceback", second_interrupt)
    ipython.user_ns.update(train=_train_until_sigint, Path=Path)
    ipython.run_cell("train(Path('runs/a'))")
    assert capsys.readouterr() == (_STOPPED + "\n", "")


def test_an_unexpected_keyboard_interrupt_in_ipython_keeps_its_traceback(
    ipython: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ipython.run_cell("def stop():\n    raise KeyboardInterrupt('elsewhere')\nstop()")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Traceback (most recent call last)" in lines[1] and "----> 3 stop()" in lines
    assert lines[-1] == "KeyboardInterrupt: elsewhere"


class _SignalAt(Callback):
    """Sends ``signum`` to this process from the hook ``hook`` (after epoch ``epoch`` for epoch ends)."""

    def __init__(self, hook: str, signum: int = signal.SIGINT, epoch: int = 0) -> None:
        self.hook, self.signum, self.epoch = hook, signum, epoch

    def on_epoch_end(self, *, metrics: Any) -> None:
        if self.hook == "epoch_end" and metrics.epoch == self.epoch:
            os.kill(os.getpid(), self.signum)

    def on_fit_end(self, *, history: Any) -> None:
        if self.hook == "fit_end":
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_after_the_last_epochs_check_stops_there(signum: int) -> None:
    """It came while fit closed its callbacks (the curves' last drawing): the flag was set, no
    check read it, and the run went on to the end without a word."""
    net = torch.nn.Linear(2, 1)
    batches = [(torch.ones(4, 2), torch.zeros(4, 1))]
    interrupt = GracefulInterrupt()
    with pytest.raises(TrainingInterrupted) as info, interrupt:
        fit(net, batches, torch.nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.1), 2,
            callbacks=[_SignalAt("fit_end", signum), interrupt])  # fmt: skip
    assert str(info.value) == f"interrupted by {signal.Signals(signum).name} at the end of epoch 2"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back first


def test_a_stop_already_raised_is_not_raised_again_on_the_way_out() -> None:
    with GracefulInterrupt() as interrupt:
        interrupt.on_fit_start(num_epochs=2, start_epoch=0)
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(TrainingInterrupted):
            interrupt.on_epoch_start(epoch=1, num_batches=None)
    # the with ended without raising it a second time


def test_stop_behind_finds_the_stop_a_second_signal_cut_short() -> None:
    first = TrainingInterrupted(signal_name="SIGTERM", epoch=2, step=0)
    try:
        try:
            raise first
        except TrainingInterrupted:
            try:
                raise ValueError("while the stop went out")
            except ValueError:
                raise KeyboardInterrupt("SIGTERM") from None  # a second signal, lands here
    except KeyboardInterrupt as second:
        assert stop_behind(second) is first  # through the chain's contexts, from None or not
    assert stop_behind(KeyboardInterrupt()) is None


class _BeforeTraining(KeyboardInterrupt):
    """A command's own stop before training began, built from the plain stop it stands for."""

    def __init__(self, stop: KeyboardInterrupt) -> None:
        super().__init__(*stop.args)
        self.stop = stop


def _raised_for(exc: KeyboardInterrupt, *, returned: bool) -> BaseException:
    """Return what raise_run_stop raises for ``exc``, raised and caught as a command catches it."""
    try:
        try:
            raise exc
        except KeyboardInterrupt as caught:
            raise_run_stop(caught, returned=returned, before_training=_BeforeTraining)
    except BaseException as raised:
        return raised
    raise AssertionError("raise_run_stop returned")


def test_a_commands_stop_is_trainings_own_the_one_a_second_signal_cut_short_or_its_own() -> None:
    own = TrainingInterrupted(signal_name="SIGINT", epoch=2, step=5)
    assert _raised_for(own, returned=False) is own  # it names where training stopped
    plain = KeyboardInterrupt("SIGTERM")
    assert _raised_for(plain, returned=True) is plain  # the run returned: the caller's stop
    before = _raised_for(KeyboardInterrupt("SIGTERM"), returned=False)
    assert type(before) is _BeforeTraining and before.args == ("SIGTERM",)
    assert before.__suppress_context__  # said in the command's words alone
    first = TrainingInterrupted(signal_name="SIGTERM", epoch=1, step=0)
    try:
        raise first
    except TrainingInterrupted:
        second = _raised_for(KeyboardInterrupt("SIGTERM"), returned=False)  # a second signal
    assert second is first


def test_an_abort_before_the_first_epoch_says_at_the_start() -> None:
    exc = TrainingInterrupted(signal_name="SIGINT", epoch=0, step=0)
    exc.aborted = True
    assert str(exc) == "aborted by a second SIGINT at the start"


def test_a_signal_after_the_run_finished_says_its_results_are_complete(tmp_path: Path) -> None:
    exc = TrainingInterrupted(signal_name="SIGTERM", epoch=3, step=0)
    exc.run_dir, exc.checkpoint_epoch, exc.complete = tmp_path, 3, True
    assert str(exc) == (
        f"interrupted by SIGTERM after the run finished: its results are complete in {tmp_path}"
    )


def test_stop_behind_finds_only_a_training_stop_and_ends_on_a_cycle(
    failing_after: Callable[[int, str], AbstractContextManager[None]],
) -> None:
    """A plain KeyboardInterrupt behind is no stop of training; a cycle of contexts (an exception
    re-raised while handling itself) ends the search."""
    outer, plain = KeyboardInterrupt(), KeyboardInterrupt()
    outer.__context__ = plain
    assert stop_behind(outer) is None
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    with failing_after(5, "stop_behind went round the cycle"):
        assert stop_behind(a) is None
    stop = TrainingInterrupted(signal_name="SIGINT", epoch=1, step=2)
    plain.__context__ = stop
    assert stop_behind(outer) is stop


def test_a_signal_ignored_by_whoever_started_the_run_stays_ignored() -> None:
    """`cmd &` in a script starts it with SIGINT ignored: training must not start catching it."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with GracefulInterrupt():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_error_leaving_the_block_is_not_replaced_by_an_unread_signal() -> None:
    """A signal no step read stops the run at the block's end, but only when the block ended
    normally: an error on its way out stays the error."""
    with pytest.raises(ValueError, match=r"^the epoch failed$"), GracefulInterrupt() as guard:
        guard.requested = "SIGINT"
        raise ValueError("the epoch failed")
