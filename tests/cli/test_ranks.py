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
    with pytest.raises(
        UsageError,
        match=rf"^linreg runs in one process, got {world} processes \(torchrun\); run it without "
        r"torchrun \(only 'linearnets softmax' trains data-parallel\)$",
    ):
        ranks.refuse_data_parallel("linreg")


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
