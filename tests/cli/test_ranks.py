"""Which process speaks under torchrun, read from the environment torchrun sets."""

from __future__ import annotations

import pytest

from linearnets.cli import _ranks as ranks
from linearnets.errors import UsageError

LAUNCHER = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}


@pytest.fixture(autouse=True)
def _no_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "WORLD_SIZE", *LAUNCHER):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "rank"),
    [
        ({}, 0),
        ({"RANK": "1", "WORLD_SIZE": "2", **LAUNCHER}, 1),
        ({"RANK": "3", "WORLD_SIZE": "4", **LAUNCHER}, 3),
        # a RANK no launcher set: that process must still speak
        ({"RANK": "1", "WORLD_SIZE": "2"}, 0),
        ({"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1"}, 0),
        ({"RANK": "1", "WORLD_SIZE": "2", "MASTER_PORT": "29500"}, 0),
        ({"RANK": "1", **LAUNCHER}, 0),  # WORLD_SIZE 1: rank 1 is outside [0, 1)
        ({"RANK": "2", "WORLD_SIZE": "2", **LAUNCHER}, 0),
        ({"RANK": "-1", "WORLD_SIZE": "2", **LAUNCHER}, 0),
        ({"RANK": "one", "WORLD_SIZE": "2", **LAUNCHER}, 0),  # malformed: speak about it
        ({"RANK": "1", "WORLD_SIZE": "two", **LAUNCHER}, 0),
    ],
)
def test_rank_is_torchruns_or_0(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], rank: int
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ranks.rank() == rank


def test_a_silent_rank_waits_two_seconds_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    ranks.let_rank_0_speak()
    ranks.let_rank_0_speak(0.5)
    assert slept == [2.0, 0.5]


@pytest.mark.parametrize("world", [None, "1"])
def test_one_process_may_run_any_command(
    monkeypatch: pytest.MonkeyPatch, world: str | None
) -> None:
    if world is not None:
        monkeypatch.setenv("WORLD_SIZE", world)
    assert ranks.refuse_data_parallel("predict") is None


@pytest.mark.parametrize("world", ["2", "8"])
def test_several_processes_are_refused_naming_the_command(
    monkeypatch: pytest.MonkeyPatch, world: str
) -> None:
    monkeypatch.setenv("WORLD_SIZE", world)
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")  # started by torchrun
    with pytest.raises(
        UsageError,
        match=rf"^linreg runs in one process, got {world} processes \(torchrun\); run it without "
        r"torchrun \(only 'linearnets softmax' trains data-parallel\)$",
    ):
        ranks.refuse_data_parallel("linreg")


@pytest.mark.parametrize(
    "env",
    [{}, {"RANK": "0", **LAUNCHER}],  # a WORLD_SIZE left set; processes started by hand
    ids=["world-size-alone", "by-hand"],
)
def test_a_world_size_set_without_torchrun_is_named_with_its_fix(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """It said "got 2 processes (torchrun); run it without torchrun" where no torchrun ran."""
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    for name, value in {"WORLD_SIZE": "2", **env}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UsageError) as info:
        ranks.refuse_data_parallel("linreg")
    assert str(info.value) == (
        "linreg runs in one process, but WORLD_SIZE=2 is set in the environment, which asks for 2 "
        "processes; unset WORLD_SIZE (only 'linearnets softmax' trains data-parallel)"
    )


def test_the_rank_is_read_without_importing_torch() -> None:
    """An interrupt that cut torch's import short is reported by rank 0 alone: the rank costs no torch."""
    import os
    import subprocess
    import sys

    code = "import sys; from linearnets.cli import _ranks; print(_ranks.rank(), 'torch' in sys.modules)"
    env = {**os.environ, "RANK": "1", "WORLD_SIZE": "2", **LAUNCHER}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.stdout == "1 False\n", done.stderr


def test_a_signal_ends_a_silent_ranks_wait_quietly() -> None:
    """torchrun's SIGTERM once rank 0 has spoken ends the wait: no interrupt escapes, no 30 s lost."""
    import os
    import signal
    import threading
    import time

    from linearnets._signals import sigterm_as_keyboard_interrupt

    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    start = time.monotonic()
    try:
        with sigterm_as_keyboard_interrupt():
            timer.start()
            assert ranks.let_rank_0_speak(30.0) is False
    except KeyboardInterrupt:  # let out, it would stop pytest itself
        pytest.fail("the silent rank let the SIGTERM out as an interrupt to report")
    assert time.monotonic() - start < 10.0


def _torchruns_store(monkeypatch: pytest.MonkeyPatch) -> object:
    """A store as torchrun's agent holds it (it outlives the workers), named in the environment
    torchrun gives its workers; returned to be kept open."""
    from datetime import timedelta

    import torch.distributed as dist

    store = dist.TCPStore(
        "127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=10), wait_for_workers=False
    )
    for name, value in {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(store.port),
        "TORCHELASTIC_RUN_ID": "none",
        "TORCHELASTIC_USE_AGENT_STORE": "True",
        "TORCHELASTIC_RESTART_COUNT": "0",
    }.items():
        monkeypatch.setenv(name, value)
    return store


def test_rank_0_reporting_its_stop_is_read_by_the_others_from_torchruns_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under torchrun rank 1 lost rank 0 as it stopped with an error, and said the resume in its own
    words beside rank 0's line: rank 0 marks in the store that it reports the stop."""
    import time

    store = _torchruns_store(monkeypatch)
    start = time.monotonic()
    assert ranks.rank_0_reported(0.3) is False  # no mark (rank 0 killed): rank 1 says it
    assert time.monotonic() - start >= 0.3  # after waiting for one
    ranks.rank_0_reports()
    assert ranks.rank_0_reported(0.3) is True
    assert store.check(["linearnets/rank 0 reports/0"])  # type: ignore[attr-defined]
    # torchrun restarted the workers (--max-restarts): the store holds the last attempt's mark
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    assert ranks.rank_0_reported(0.1) is False
    # a store rank 0 holds goes with it, and a rank started by hand says its stop itself
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "0")
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "False")
    assert ranks.rank_0_reported(0.1) is False
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
    monkeypatch.delenv("TORCHELASTIC_RUN_ID")
    assert ranks.rank_0_reported(0.1) is False


class _Clock:
    """A clock that ``time.sleep`` moves on, for the wait of :func:`ranks.rank_0_reported`."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Store:
    """torchrun's store, as rank 1 reads it: the mark set once ``marked`` is true."""

    def __init__(self) -> None:
        self.marked, self.looks = False, 0

    def check(self, keys: list[str]) -> bool:
        assert keys == ["linearnets/rank 0 reports/0"]
        self.looks += 1
        return self.marked


def test_rank_0_reported_waits_its_seconds_and_no_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    """No mark: False once ``seconds`` have passed, looking every 0.05 s (a clock of its own)."""
    clock, store = _Clock(), _Store()
    monkeypatch.setattr(ranks, "time", clock)
    monkeypatch.setattr(ranks, "_launcher_store", lambda: store)
    monkeypatch.delenv("TORCHELASTIC_RESTART_COUNT", raising=False)
    assert ranks.rank_0_reported(1.0) is False
    assert clock.now == pytest.approx(101.0, abs=0.06)
    assert store.looks >= 20  # a mark is seen within 0.05 s of being set


@pytest.mark.parametrize("marked", [True, False])
def test_a_signal_in_rank_0_reporteds_wait_takes_one_last_look(
    monkeypatch: pytest.MonkeyPatch, marked: bool
) -> None:
    """torchrun's SIGTERM (a KeyboardInterrupt) ends the wait: a mark rank 0 set meanwhile counts;
    none by then, this rank says its stop itself."""
    store = _Store()

    class Stopped(_Clock):
        def sleep(self, seconds: float) -> None:
            store.marked = marked  # rank 0 marks (or not), then torchrun stops this rank
            raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr(ranks, "time", Stopped())
    monkeypatch.setattr(ranks, "_launcher_store", lambda: store)
    monkeypatch.delenv("TORCHELASTIC_RESTART_COUNT", raising=False)
    assert ranks.rank_0_reported(1.0) is marked
    assert store.looks == 2  # the one before the signal, and the last


def test_torchruns_stop_during_the_connect_still_finds_rank_0s_mark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torchrun's SIGTERM landed while rank 1 was still connecting to its store (slow under load):
    the interrupt cut the connect short, the last look had no store, and rank 1 said the resume
    beside rank 0's line (a flaky CI failure). The signal now waits for the client."""
    import os
    import signal

    store = _Store()
    store.marked = True  # rank 0 marked before it left

    def connect(*args: object) -> _Store:
        os.kill(os.getpid(), signal.SIGINT)  # torchrun's stop, mid-connect
        return store

    monkeypatch.setattr(ranks, "_launcher_store", connect)
    monkeypatch.delenv("TORCHELASTIC_RESTART_COUNT", raising=False)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert ranks.rank_0_reported(1.0) is True
    finally:
        signal.signal(signal.SIGINT, previous)
    assert store.looks == 1  # the last look, in the store kept


def test_rank_0s_mark_is_set_whole_through_torchruns_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop during rank 0's connect or mark is no news: the mark is set all the same, and the
    connect may take 5 s, not the 2 s that a loaded machine overran."""
    import os
    import signal

    marks: dict[str, str] = {}
    waits: list[float] = []

    class Marked:
        def set(self, key: str, value: str) -> None:
            marks[key] = value

    def connect(seconds: float = 2.0) -> Marked:
        waits.append(seconds)
        os.kill(os.getpid(), signal.SIGINT)
        return Marked()

    monkeypatch.setattr(ranks, "_launcher_store", connect)
    monkeypatch.delenv("TORCHELASTIC_RESTART_COUNT", raising=False)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        ranks.rank_0_reports()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert marks == {"linearnets/rank 0 reports/0": "1"}
    assert waits == [5.0]


def test_no_store_to_reach_is_no_mark_and_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """torchrun's store gone (or never there): rank 0 stops as it would, rank 1 speaks."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name, value in {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "TORCHELASTIC_RUN_ID": "none",
        "TORCHELASTIC_USE_AGENT_STORE": "True",
    }.items():
        monkeypatch.setenv(name, value)
    assert ranks.rank_0_reports() is None  # after the store's 5 s to connect
    assert ranks.rank_0_reported(0.1) is False


@pytest.mark.parametrize(
    ("device", "count"), [("cuda:1", "2"), ("cuda:0", "4")], ids=["gpu-1", "gpu-0"]
)
def test_torchruns_processes_given_one_gpu_are_refused(
    monkeypatch: pytest.MonkeyPatch, device: str, count: str
) -> None:
    """torchrun hands every process the same --device: cuda:1 put both of a 2-process machine on
    GPU 1, which NCCL refuses at the first collective (said as a lost process)."""
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", count)
    with pytest.raises(UsageError) as info:
        ranks.refuse_one_gpu_for_all(device)
    assert str(info.value) == (
        f"--device {device} puts all {count} processes torchrun started on this machine on GPU "
        f"{device[-1]}, but each needs a GPU of its own (NCCL refuses two on one); pass --device "
        "cuda (each process on GPU LOCAL_RANK), or --nproc_per_node=1"
    )


@pytest.mark.parametrize(
    ("device", "env"),
    [
        ("cuda", {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2"}),  # each its own GPU
        ("auto", {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2"}),
        ("cpu", {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2"}),
        ("cpu:0", {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2"}),  # no GPU: none shared
        ("mps:0", {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2"}),
        (None, {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "2"}),  # a resumed run's: later
        ("cuda:1", {"TORCHELASTIC_RUN_ID": "x", "LOCAL_WORLD_SIZE": "1"}),  # one per machine
        ("cuda:1", {"LOCAL_WORLD_SIZE": "2"}),  # started by hand: each may be given its own
        ("cuda:1", {}),
    ],
)
def test_a_gpu_for_each_process_passes(
    monkeypatch: pytest.MonkeyPatch, device: str | None, env: dict[str, str]
) -> None:
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ranks.refuse_one_gpu_for_all(device) is None  # type: ignore[arg-type]


def test_the_command_refuses_one_gpu_for_torchruns_processes_before_they_join(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    import torch
    import torch.distributed as dist

    from linearnets.cli import main

    def no_group(*args: object, **kwargs: object) -> None:
        raise AssertionError("refused before the join")

    monkeypatch.setattr(dist, "init_process_group", no_group)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a machine with 2 GPUs
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    for name, value in {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "2",
                        "TORCHELASTIC_RUN_ID": "x", **LAUNCHER}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["softmax", "--device", "cuda:0", "--out", f"{tmp_path}/run"]) == 2
    assert capsys.readouterr().err == (
        "linearnets softmax: error: --device cuda:0 puts all 2 processes torchrun started on this "
        "machine on GPU 0, but each needs a GPU of its own (NCCL refuses two on one); pass "
        "--device cuda (each process on GPU LOCAL_RANK), or --nproc_per_node=1\n"
    )


@pytest.mark.parametrize(
    ("signal", "torchrun", "said"),
    [
        (
            "SIGTERM",
            True,
            "stopped by SIGTERM before training began: from torchrun, which stops every process "
            "once one exits or once it is stopped itself, or from outside (kill, a job "
            "scheduler); torchrun's report says which",
        ),
        ("SIGINT", True, "interrupted by SIGINT before training began"),  # a Ctrl-C: the user's
        ("SIGTERM", False, "interrupted by SIGTERM before training began"),  # kill, by hand
    ],
)
def test_a_sigterm_under_torchrun_names_torchrun_and_an_outside_sender(
    monkeypatch: pytest.MonkeyPatch, signal: str, torchrun: bool, said: str
) -> None:
    """Rank 1 killed (-9) before the processes joined: torchrun stopped rank 0, which said it
    was "interrupted by SIGTERM", as if the user had stopped the run. Then it said "stopped by
    torchrun" also where the SIGTERM came straight from outside (kill, a job scheduler), and
    torchrun's report named that very rank as the first to fail: the sender is not known to the
    process, so both are named."""
    if torchrun:
        monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    else:
        monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    assert ranks.stopped_by(signal, "before training began") == said


def test_sigterms_before_training_under_torchrun_name_their_senders_and_keep_their_advice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linearnets.cli.softmax import StoppedBeforeTraining

    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    monkeypatch.setenv("WORLD_SIZE", "2")
    why = (
        "from torchrun, which stops every process once one exits or once it is stopped itself, or "
        "from outside (kill, a job scheduler); torchrun's report says which"
    )
    sigterm = KeyboardInterrupt("SIGTERM")
    # a SIGTERM from torchrun may follow a bad option given to another rank alone, said by that
    # rank: "run the same command again" failed again
    first = "once the error another process said, if one did, is fixed, "
    assert str(StoppedBeforeTraining(sigterm, resume=None)) == (
        f"stopped by SIGTERM before training began: {why}; nothing was trained or "
        f"kept: {first}run the same command again"
    )
    assert str(StoppedBeforeTraining(sigterm, resume="run", given={"lr": 0.05}, force=True)) == (
        f"stopped by SIGTERM before the resume trained: {why}; the run is as it was: "
        f"{first}resume it with: linearnets softmax --resume run --lr 0.05 --force, launched by "
        "torchrun as before"
    )
    assert str(ranks.StoppedWhileStarting("SIGTERM")) == (
        f"stopped by SIGTERM while starting: {why}; nothing was done: {first}run the same "
        "command again"
    )
    # a Ctrl-C is the user's: nothing else to fix
    assert str(StoppedBeforeTraining(KeyboardInterrupt("SIGINT"), resume=None)) == (
        "interrupted by SIGINT before training began; nothing was trained or kept: run the same "
        "command again"
    )
    # torchrun --nproc_per_node=1: no other process to have said an error
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert str(ranks.StoppedWhileStarting("SIGTERM")) == (
        f"stopped by SIGTERM while starting: {why}; nothing was done: run the same command again"
    )
    assert str(StoppedBeforeTraining(KeyboardInterrupt(), resume=None)) == (
        "interrupted by SIGINT before training began; nothing was trained or kept: run the same "
        "command again"
    )
