"""Ctrl-C / SIGTERM handling: the step that runs finishes, training stops, handlers come back.

The end-to-end test with a real subprocess, a real signal and a resume is in tests/tasks/test_resume.py.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from linearnets.cli import main
from linearnets.training.interrupt import GracefulInterrupt, TrainingInterrupted
from linearnets.training.loop import fit


def test_handlers_are_installed_then_restored() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with GracefulInterrupt() as interrupt:
        for s in before:
            assert signal.getsignal(s) == interrupt._handle
    assert {s: signal.getsignal(s) for s in before} == before


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
    assert str(exc) == f"interrupted by {exc.signal_name} at epoch 3 step 7"


def test_second_signal_aborts_at_once() -> None:
    with GracefulInterrupt():
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(KeyboardInterrupt) as info:
            os.kill(os.getpid(), signal.SIGINT)
        assert type(info.value) is KeyboardInterrupt


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
    exc.run_dir, exc.checkpoint_epoch = tmp_path, 2
    assert str(exc) == (
        f"interrupted by SIGINT at epoch 3 step 120; the checkpoint of epoch 2 is kept in "
        f"{tmp_path}; resume with: linearnets softmax --resume {tmp_path}"
    )
    exc.checkpoint_epoch = None
    assert str(exc).endswith(
        f"before the first checkpoint; start it over with: linearnets softmax --resume {tmp_path}"
    )


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
