"""The data-parallel context outside a process group: single-process no-ops, torchrun's environment,
and the combining steps with torch.distributed's collectives replaced by an identical second rank."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
from torch import nn

import linearnets.training.dist_failures as dist_failures
import linearnets.training.distributed as distributed
from linearnets.errors import UsageError
from linearnets.training.distributed import (
    DistContext,
    PeerLostError,
    env_int,
    init_distributed,
    shutdown_distributed,
    waiting_line,
)

# what the group is joined with where the join's limit is shorter than torch's own timeout
_TORCH_DEFAULT = timedelta(minutes=30)

TORCHRUN_VARS = (
    "WORLD_SIZE",
    "RANK",
    "LOCAL_RANK",
    "MASTER_ADDR",
    "MASTER_PORT",
    "TORCHELASTIC_RUN_ID",
    "LINEARNETS_JOIN_TIMEOUT",
)


@pytest.fixture
def no_torchrun(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No launcher variables, and a process group that must not be joined for real."""
    for name in TORCHRUN_VARS:
        monkeypatch.delenv(name, raising=False)

    def no_group(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("init_process_group must not be called")

    monkeypatch.setattr(dist, "init_process_group", no_group)
    return monkeypatch


def _twin_rank_all_reduce(tensor: torch.Tensor, op: Any = None) -> None:
    """all_reduce(SUM) when the other rank holds the same tensor: every value doubles."""
    assert op == dist.ReduceOp.SUM
    tensor.mul_(2)


@pytest.mark.parametrize(
    ("context", "enabled", "is_main"),
    [
        (DistContext(), False, True),
        (DistContext(rank=0, world_size=1), False, True),
        (DistContext(rank=0, world_size=2), True, True),
        (DistContext(rank=1, world_size=2, local_rank=1), True, False),
    ],
)
def test_enabled_needs_two_processes_and_rank_0_is_main(
    context: DistContext, enabled: bool, is_main: bool
) -> None:
    assert context.enabled is enabled and context.is_main is is_main


def test_a_single_process_context_touches_no_process_group() -> None:
    """Without a process group every collective would raise: the single-process context calls none."""
    assert not dist.is_initialized()
    context = DistContext()
    t = torch.tensor([1.0, 2.0])
    assert context.all_reduce_sum(t) is t and torch.equal(t, torch.tensor([1.0, 2.0]))
    net = nn.Linear(2, 1)
    net(torch.ones(3, 2)).sum().backward()
    grads = [p.grad.clone() for p in net.parameters() if p.grad is not None]
    context.average_gradients(net.parameters())
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, net.parameters(), strict=True))
    context.barrier()
    shutdown_distributed()  # nothing joined: nothing to leave


def test_averaging_over_identical_ranks_keeps_each_gradient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two ranks with the same gradient g: the sum 2g over world size 2 is g; a missing grad is skipped."""
    monkeypatch.setattr(dist, "all_reduce", _twin_rank_all_reduce)
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    frozen = torch.zeros(2, requires_grad=True)  # grad None: nothing to reduce
    (3 * w).sum().backward()
    DistContext(rank=0, world_size=2).average_gradients([w, frozen])
    assert torch.equal(w.grad, torch.tensor([3.0, 3.0])) and frozen.grad is None
    t = torch.tensor([2.0, 5.0])
    assert torch.equal(
        DistContext(rank=0, world_size=2).all_reduce_sum(t), torch.tensor([4.0, 10.0])
    )


@pytest.mark.parametrize("world_size", [None, "", "1"])
def test_without_a_data_parallel_world_size_the_context_is_single_process(
    no_torchrun: pytest.MonkeyPatch, world_size: str | None
) -> None:
    if world_size is not None:
        no_torchrun.setenv("WORLD_SIZE", world_size)
    assert init_distributed() == DistContext(rank=0, world_size=1, local_rank=0)


@pytest.mark.parametrize("world_size", [None, "1"])
def test_a_malformed_rank_is_refused_in_one_process_too(
    no_torchrun: pytest.MonkeyPatch, world_size: str | None
) -> None:
    """RANK=abc was ignored without WORLD_SIZE, while LOCAL_RANK=abc was refused (by the device)."""
    if world_size is not None:
        no_torchrun.setenv("WORLD_SIZE", world_size)
    no_torchrun.setenv("RANK", "abc")
    with pytest.raises(
        UsageError,
        match=r"^environment variable RANK must be an integer in the digits 0-9, got 'abc';",
    ):
        init_distributed()
    no_torchrun.setenv("RANK", "3")  # well formed, with no launcher: ignored, as torch ignores it
    assert init_distributed() == DistContext(rank=0, world_size=1, local_rank=0)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {},
            r"^WORLD_SIZE=2 asks for a data-parallel run, but RANK, MASTER_ADDR, MASTER_PORT are not set;",
        ),
        (
            {"RANK": "0", "MASTER_ADDR": "localhost"},
            r"^WORLD_SIZE=2 .*, but MASTER_PORT is not set; start",
        ),
        (
            {"RANK": "0", "MASTER_PORT": "29500"},
            r"^WORLD_SIZE=2 .*, but MASTER_ADDR is not set; start",
        ),
        (
            {"RANK": "2", "MASTER_ADDR": "localhost", "MASTER_PORT": "29500"},
            r"^RANK must be in \[0, 2\) for WORLD_SIZE=2, got 2; start the 2 processes with torchrun "
            r"\(e\.g\. torchrun --nproc_per_node=2 -m linearnets softmax \.\.\.\)",
        ),
        (
            {"RANK": "-1", "MASTER_ADDR": "localhost", "MASTER_PORT": "29500"},
            r"^RANK must be in \[0, 2\) for WORLD_SIZE=2, got -1;",
        ),
    ],
    ids=["nothing-set", "no-port", "no-addr", "rank-too-high", "rank-negative"],
)
def test_a_world_size_without_a_launchers_variables_is_refused(
    no_torchrun: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    no_torchrun.setenv("WORLD_SIZE", "2")
    for name, value in env.items():
        no_torchrun.setenv(name, value)
    with pytest.raises(UsageError, match=message):
        init_distributed()


def _joining(monkeypatch: pytest.MonkeyPatch, rank: int) -> list[dict[str, Any]]:
    """Set a launched rank's variables; record init_process_group's arguments instead of joining.

    Rank 0's machine is ``node0``, which resolves here as a cluster's own names do."""
    for name, value in {"WORLD_SIZE": "2", "RANK": str(rank), "LOCAL_RANK": "0",
                        "MASTER_ADDR": "node0", "MASTER_PORT": "29500"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    resolve = socket.getaddrinfo

    def node0_resolves(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return resolve("127.0.0.1" if host == "node0" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", node0_resolves)
    # whatever listens on this machine's port 29500 (another test's torchrun) is not asked
    monkeypatch.setattr(distributed, "port_held_by_another_program", lambda: None)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", lambda **kwargs: calls.append(kwargs))
    return calls


def test_a_rank_started_by_hand_says_what_it_waits_for_then_joins_with_gloo_on_cpu(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    calls = _joining(no_torchrun, rank=1)  # rank 1 on the first node's GPU 0 (LOCAL_RANK 0)
    said: list[str] = []
    context = init_distributed(device=torch.device("cpu"), announce=said.append)
    assert context == DistContext(rank=1, world_size=2, local_rank=0)
    assert calls == [{"backend": "gloo", "init_method": "env://", "timeout": _TORCH_DEFAULT}]
    assert said == [waiting_line(1, 2)]


def test_a_rank_started_by_torchrun_joins_without_a_word(no_torchrun: pytest.MonkeyPatch) -> None:
    calls = _joining(no_torchrun, rank=0)
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "run-1")
    said: list[str] = []
    assert init_distributed(announce=said.append) == DistContext(rank=0, world_size=2)
    assert said == [] and calls == [
        {"backend": "gloo", "init_method": "env://", "timeout": _TORCH_DEFAULT}
    ]


def test_a_cuda_rank_selects_its_device_then_joins_with_nccl(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    calls = _joining(no_torchrun, rank=0)
    selected: list[torch.device] = []
    no_torchrun.setattr(torch.cuda, "set_device", selected.append)
    device = torch.device("cuda", 0)
    said: list[str] = []
    init_distributed(device=device, announce=said.append)
    # the current CUDA device is per thread: set for training (main) and for the joining helper
    assert selected == [device, device]
    assert calls == [{"backend": "nccl", "init_method": "env://", "timeout": _TORCH_DEFAULT}]
    assert said == [waiting_line(0, 2)]


def test_a_rank_that_cannot_use_its_device_joins_with_gloo_to_say_so(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """Its refusal is said to every process once joined; gloo is the backend every machine has."""
    calls = _joining(no_torchrun, rank=1)
    refused = UsageError("device 'cuda:3' names GPU 3, but this machine has 2")
    said: list[str] = []
    context = init_distributed(
        device=torch.device("cuda", 3), announce=said.append, refused=refused
    )
    assert context == DistContext(rank=1, world_size=2)
    assert calls == [{"backend": "gloo", "init_method": "env://", "timeout": _TORCH_DEFAULT}]
    assert said == [waiting_line(1, 2)]


def test_a_rank_that_cannot_train_gives_up_the_join_with_its_own_error(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """Peers on NCCL never meet its gloo group: after JOIN_PATIENCE it says its own error (not
    gloo's timeout 30 minutes later), as it does when the join fails."""
    _joining(no_torchrun, rank=1)
    refused = UsageError("device 'cuda' needs CUDA")
    released = threading.Event()
    no_torchrun.setattr(dist, "init_process_group", lambda **kwargs: released.wait(30))
    no_torchrun.setattr(distributed, "JOIN_PATIENCE", 0.3)
    started = time.monotonic()
    with pytest.raises(UsageError, match=r"^device 'cuda' needs CUDA$"):
        init_distributed(refused=refused)
    assert time.monotonic() - started < 10
    released.set()

    def fails(**kwargs: Any) -> None:
        raise RuntimeError("Socket Timeout")

    no_torchrun.setattr(dist, "init_process_group", fails)
    with pytest.raises(UsageError, match=r"^device 'cuda' needs CUDA$"):
        init_distributed(refused=refused)


def test_the_waiting_line_names_the_address_the_ranks_and_how_long_it_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MASTER_ADDR", "node0")
    monkeypatch.setenv("MASTER_PORT", "29500")
    assert distributed.JOIN_PATIENCE == 60.0
    assert waiting_line(2, 4) == (
        "rank 2 of 4: waiting for all 4 processes to join at node0:29500 (started without "
        "torchrun: each needs its own RANK in 0..3 and the same WORLD_SIZE, MASTER_ADDR and "
        "MASTER_PORT; gives up after 60 s)"
    )
    monkeypatch.setattr(distributed, "JOIN_PATIENCE", 2.5)
    assert waiting_line(0, 2).endswith("; gives up after 2.5 s)")


def _join_blocks(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Let init_process_group take ``seconds``, as when the other processes join that late."""

    def slow(**kwargs: Any) -> None:
        time.sleep(seconds)

    monkeypatch.setattr(dist, "init_process_group", slow)


@pytest.mark.parametrize(
    ("rank", "world_size", "line"),
    [
        (
            0,
            2,
            "rank 1 did not join at node0:29500 within 0.3 s (rank 0 of 2 waited for it): it may "
            "have failed before joining (see its own output), not have been started or have been "
            "given another WORLD_SIZE, MASTER_ADDR or MASTER_PORT; start every rank with the same "
            "options and the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT, each with its own RANK, "
            "within 0.3 s of each other, or start them all with torchrun, which stops the others "
            "when one fails",
        ),
        (
            1,
            4,
            "not every rank of 0..3 joined at node0:29500 within 0.3 s (rank 1 of 4 waited for "
            "ranks 0, 2 and 3): some may have failed before joining (see their own output), not "
            "have been started or have been given another WORLD_SIZE, MASTER_ADDR or MASTER_PORT; "
            "start every rank with the same options and the same WORLD_SIZE, MASTER_ADDR and "
            "MASTER_PORT, each with its own RANK, within 0.3 s of each other, or start them all "
            "with torchrun, which stops the others when one fails",
        ),
        (  # rank 1 joined, rank 2 never started: not 'ranks 1 and 2 did not all join'
            0,
            3,
            "not every rank of 0..2 joined at node0:29500 within 0.3 s (rank 0 of 3 waited for "
            "ranks 1 and 2): some may have failed before joining (see their own output), not "
            "have been started or have been given another WORLD_SIZE, MASTER_ADDR or MASTER_PORT; "
            "start every rank with the same options and the same WORLD_SIZE, MASTER_ADDR and "
            "MASTER_PORT, each with its own RANK, within 0.3 s of each other, or start them all "
            "with torchrun, which stops the others when one fails",
        ),
    ],
    ids=["2-processes", "4-processes", "3-processes-rank-0"],
)
def test_a_rank_started_by_hand_gives_up_on_peers_that_do_not_join(
    no_torchrun: pytest.MonkeyPatch, rank: int, world_size: int, line: str
) -> None:
    """One that failed before joining (a bad option) left it waiting up to torch's 30 minutes."""
    _joining(no_torchrun, rank=rank)
    no_torchrun.setenv("WORLD_SIZE", str(world_size))
    _join_blocks(no_torchrun, 30)
    no_torchrun.setattr(distributed, "JOIN_PATIENCE", 0.3)
    started = time.monotonic()
    with pytest.raises(UsageError) as info:
        init_distributed(device=torch.device("cpu"))
    assert str(info.value) == line
    assert 0.3 <= time.monotonic() - started < 10


def test_a_rank_that_joined_is_told_that_rank_0_stopped_waiting(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """WORLD_SIZE=3, rank 2 never started: rank 0 gave up and its store closed under rank 1,
    which printed an unexpected DistNetworkError ("Failed to recv, got 0 bytes")."""

    def store_closed(**kwargs: Any) -> None:
        raise dist.DistNetworkError(
            "Failed to recv, got 0 bytes. Connection was likely closed. Did the remote server "
            "shutdown or crash?"
        )

    _joining(no_torchrun, rank=1)
    no_torchrun.setenv("WORLD_SIZE", "3")
    no_torchrun.setattr(dist, "init_process_group", store_closed)
    with pytest.raises(UsageError) as info:
        init_distributed(device=torch.device("cpu"))
    assert str(info.value) == (
        "rank 0's store closed (it stopped waiting for the other ranks, or ended: see its "
        "output): start every rank again with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT, "
        "each with its own RANK"
    )
    # on rank 0 (its own store) or under torchrun (which stops every rank), torch's own error
    no_torchrun.setenv("RANK", "0")
    with pytest.raises(dist.DistNetworkError, match="Failed to recv"):
        init_distributed(device=torch.device("cpu"))
    no_torchrun.setenv("RANK", "1")
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "job")
    with pytest.raises(dist.DistNetworkError, match="Failed to recv"):
        init_distributed(device=torch.device("cpu"))


def test_a_rank_started_by_hand_names_another_program_in_rank_0s_place(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """Rank 0 refused the port another program held (EADDRINUSE); rank 1 retried that program's
    answers behind ~200 lines of C++ frames, then said rank 0 had not joined."""
    _joining(no_torchrun, rank=1)
    _join_blocks(no_torchrun, 30)
    no_torchrun.setattr(distributed, "JOIN_PATIENCE", 0.3)
    held = UsageError("MASTER_PORT must be a port no other program listens on, got ...")
    no_torchrun.setattr(distributed, "port_held_by_another_program", lambda: held)
    with pytest.raises(UsageError) as info:
        init_distributed(device=torch.device("cpu"))
    assert info.value is held
    # a process that cannot train says its own error all the same
    with pytest.raises(UsageError, match=r"^device 'cuda' needs CUDA$"):
        init_distributed(refused=UsageError("device 'cuda' needs CUDA"))


def test_a_rank_started_by_hand_waits_for_peers_that_join_in_time(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    _joining(no_torchrun, rank=0)
    _join_blocks(no_torchrun, 0.3)
    no_torchrun.setattr(distributed, "JOIN_PATIENCE", 5.0)
    assert init_distributed(device=torch.device("cpu")) == DistContext(rank=0, world_size=2)


def test_a_rank_started_by_torchrun_waits_for_a_slow_peer_within_join_patience(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """Workers start seconds apart: a peer that joins within JOIN_PATIENCE is waited for, and
    one that joins at once is not told of."""
    _joining(no_torchrun, rank=0)
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "run-1")
    _join_blocks(no_torchrun, 0.6)
    no_torchrun.setattr(distributed, "TORCHRUN_JOIN_PATIENCE", 5.0)
    said: list[str] = []
    context = init_distributed(device=torch.device("cpu"), announce=said.append)
    assert context == DistContext(rank=0, world_size=2)
    assert said == []  # the note comes at a sixth of JOIN_PATIENCE: 0.83 s here


@pytest.mark.parametrize(
    ("rank", "world_size", "absent"),
    [
        (0, 2, "rank 1 did not join the data-parallel run within 0.6 s (rank 0 of 2, started by "
         "torchrun, waited for it): it may"),
        (1, 3, "not every rank of 0..2 joined the data-parallel run within 0.6 s (rank 1 of 3, "
         "started by torchrun, waited for ranks 0 and 2): some may"),
    ],
)  # fmt: skip
def test_a_rank_started_by_torchrun_is_refused_when_a_peer_never_joins_naming_the_fix(
    no_torchrun: pytest.MonkeyPatch, rank: int, world_size: int, absent: str
) -> None:
    """A script's run_softmax under `if rank == 0:`: rank 1 exits cleanly, so torchrun does not
    stop rank 0, which waited in torch's join, silent, for its 30 minutes. Now it says it still
    waits, then gives up after JOIN_PATIENCE with the fix."""
    _joining(no_torchrun, rank=rank)
    no_torchrun.setenv("WORLD_SIZE", str(world_size))
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "run-1")
    _join_blocks(no_torchrun, 30)
    no_torchrun.setattr(distributed, "TORCHRUN_JOIN_PATIENCE", 0.6)
    asked: list[int] = []
    no_torchrun.setattr(distributed, "port_held_by_another_program", lambda: asked.append(1))
    said: list[str] = []
    started = time.monotonic()
    with pytest.raises(UsageError) as info:
        init_distributed(device=torch.device("cpu"), announce=said.append)
    assert 0.6 <= time.monotonic() - started < 10
    assert str(info.value) == (
        f"{absent} have ended without making this call (a run_softmax or resume_softmax under "
        "`if rank == 0:`), or be still busy before it; every process torchrun starts must make "
        "the same run_softmax and resume_softmax calls, with the same settings, in the same "
        "order: call them on every rank, not under `if rank == 0:` (rank 0 alone writes the run "
        "folder and prints); for a rank busy longer before its call (preparing data), set "
        "LINEARNETS_JOIN_TIMEOUT=SECONDS for torchrun, or call "
        "torch.distributed.init_process_group() on every rank before that work"
    )
    other = "the other process" if world_size == 2 else "the other 2 processes"
    assert said == [
        f"rank {rank} of {world_size}: still waiting for {other} to join the data-parallel run "
        "(gives up after 0.6 s): every process torchrun starts must make the same run_softmax "
        "and resume_softmax calls"
    ]
    assert asked == []  # torchrun's agent holds the port: no other program to look for


def test_the_join_limit_is_set_by_linearnets_join_timeout(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """A rank busy longer before its first run_softmax (preparing data) was given up on after
    60 s, changed only by patching JOIN_PATIENCE: $LINEARNETS_JOIN_TIMEOUT sets it, read as the
    join starts."""
    _joining(no_torchrun, rank=0)
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "run-1")
    _join_blocks(no_torchrun, 30)
    no_torchrun.setenv("LINEARNETS_JOIN_TIMEOUT", "0.5")
    said: list[str] = []
    started = time.monotonic()
    with pytest.raises(
        UsageError, match=r"^rank 1 did not join the data-parallel run within 0\.5 s"
    ):
        init_distributed(device=torch.device("cpu"), announce=said.append)
    assert 0.5 <= time.monotonic() - started < 10
    assert said == [
        "rank 0 of 2: still waiting for the other process to join the data-parallel run (gives "
        "up after 0.5 s): every process torchrun starts must make the same run_softmax and "
        "resume_softmax calls"
    ]
    _join_blocks(no_torchrun, 0.3)  # a peer that joins within the limit: waited for
    no_torchrun.setenv("LINEARNETS_JOIN_TIMEOUT", "2")
    assert init_distributed(device=torch.device("cpu"), announce=said.append).world_size == 2


_NOT_A_NUMBER = "a number of seconds > 0"
_ABOVE_A_WEEK = "at most 604800 seconds (a week)"


@pytest.mark.parametrize(
    ("value", "rule", "shown"),
    [
        *((v, _NOT_A_NUMBER, repr(v)) for v in ["0", "-5", "abc", "inf", "nan", "1_0", "٣"]),
        ("604801", _ABOVE_A_WEEK, "'604801'"),
        ("1e20", _ABOVE_A_WEEK, "'1e20'"),  # timedelta(seconds=1e20) overflows
        ("9" * 400, _ABOVE_A_WEEK, repr("9" * 40 + "...")),  # inf to float(), yet a number
    ],
)
def test_a_bad_linearnets_join_timeout_is_refused_before_the_wait(
    no_torchrun: pytest.MonkeyPatch, value: str, rule: str, shown: str
) -> None:
    """A value that is no number of seconds > 0, or one above a week, is refused in one line
    before any wait, naming the variable, the rule, the value and the fix."""
    _joining(no_torchrun, rank=0)
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "run-1")
    no_torchrun.setenv("LINEARNETS_JOIN_TIMEOUT", value)
    told = re.escape(
        f"environment variable LINEARNETS_JOIN_TIMEOUT must be {rule}, how long each process "
        f"waits for the others to join, got {shown}; set it on every process, e.g. "
        "LINEARNETS_JOIN_TIMEOUT=600, or unset it for the default (60 s started by hand, 300 s "
        "under torchrun)"
    )
    with pytest.raises(UsageError, match=f"^{told}$"):
        init_distributed(device=torch.device("cpu"))


@pytest.mark.parametrize(("value", "seconds"), [("1e3", 1000.0), ("+30", 30.0), (" 2.5 ", 2.5)])
def test_linearnets_join_timeout_takes_what_its_docstring_says(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: float
) -> None:
    monkeypatch.setenv("LINEARNETS_JOIN_TIMEOUT", value)
    assert distributed.join_patience() == seconds
    doc = distributed.join_patience.__doc__ or ""
    assert "``+30``" in doc and "``1e3``" in doc and "0-9" not in doc


def test_the_join_limit_defaults_to_60_s_by_hand_and_300_s_under_torchrun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under torchrun every join gave up after 60 s where torch waited 30 minutes: a rank
    preparing data first failed unless the variable was set."""
    monkeypatch.delenv("LINEARNETS_JOIN_TIMEOUT", raising=False)
    assert distributed.join_patience() == 60.0
    assert distributed.join_patience(by_hand=False) == 300.0


@pytest.mark.parametrize(
    ("patience", "torch_default", "expected"),
    [("3000", 1800, 3060), ("30", 5, 90), ("30", 1800, 1800), (None, 1800, 1800)],
)
def test_the_group_is_joined_with_a_store_timeout_past_the_join_limit(
    no_torchrun: pytest.MonkeyPatch, patience: str | None, torch_default: int, expected: int
) -> None:
    """LINEARNETS_JOIN_TIMEOUT above torch's default (30 minutes) was accepted, but torch's own
    store gave up first, with a raw DistStoreError: the group is joined with the longer of the
    two (never less than torch's default, which training's collectives keep)."""
    _joining(no_torchrun, rank=0)
    no_torchrun.setenv("TORCHELASTIC_RUN_ID", "run-1")
    if patience is not None:
        no_torchrun.setenv("LINEARNETS_JOIN_TIMEOUT", patience)
    no_torchrun.setattr(
        dist.distributed_c10d, "default_pg_timeout", timedelta(seconds=torch_default)
    )
    got: list[Any] = []
    no_torchrun.setattr(dist, "init_process_group", lambda **kwargs: got.append(kwargs))
    init_distributed(device=torch.device("cpu"))
    assert got == [
        {"backend": "gloo", "init_method": "env://", "timeout": timedelta(seconds=expected)}
    ]


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 7), ("", 7), ("0", 0), ("3", 3), ("-1", -1)]
)
def test_env_int_reads_an_integer_or_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int
) -> None:
    monkeypatch.delenv("LINEARNETS_TEST_INT", raising=False)
    if value is not None:
        monkeypatch.setenv("LINEARNETS_TEST_INT", value)
    assert env_int("LINEARNETS_TEST_INT", 7) == expected


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("RANK", "first", "must be an integer in the digits 0-9, got 'first'"),
        ("RANK", "1_0", "must be an integer in the digits 0-9, got '1_0'"),  # int(): 10
        ("LOCAL_RANK", "１", "must be an integer in the digits 0-9, got '１'"),  # int(): 1
        ("WORLD_SIZE", "0", "must be the number of processes, at least 1, got '0'"),
        ("WORLD_SIZE", "-2", "must be the number of processes, at least 1, got '-2'"),
    ],
)
def test_env_int_refuses_what_torchrun_would_not_set(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, rule: str
) -> None:
    monkeypatch.setenv(name, value)
    fix = (
        f"torchrun sets {name} for each process it starts: unset it to run a single process, or "
        "start the processes with torchrun"
    )
    with pytest.raises(UsageError) as info:
        env_int(name, 0)
    assert str(info.value) == f"environment variable {name} {rule}; {fix}"


# -- a process group the caller joined itself, settings compared, lost peers -----------------------


@pytest.mark.parametrize(("local_rank", "expected"), [(None, 1), ("0", 0)])
def test_a_group_joined_without_torchrun_gives_its_rank_and_size(
    no_torchrun: pytest.MonkeyPatch, local_rank: str | None, expected: int
) -> None:
    """PyTorch's DDP tutorial: mp.spawn on one machine, init_process_group(rank=r, world_size=2), no
    LOCAL_RANK: the local rank is the rank (its device_ids=[rank]); torchrun's LOCAL_RANK wins."""
    no_torchrun.setattr(dist, "get_rank", lambda: 1)
    no_torchrun.setattr(dist, "get_world_size", lambda: 2)
    if local_rank is not None:
        no_torchrun.setenv("LOCAL_RANK", local_rank)
    assert distributed.group_context() == DistContext(rank=1, world_size=2, local_rank=expected)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (  # what gloo raised in a survivor's all_reduce when its peer was SIGKILLed (torch 2.13)
            RuntimeError(
                "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error "
                "[127.0.0.1]:12011: Connection reset by peer. This is typically caused by a remote "
                "worker hanging or bugs in the application. Check the logs of the remote worker "
                "before reporting an error. GLHF! 🏖️"
            ),
            "Read error [127.0.0.1]:12011: Connection reset by peer",
        ),
        (
            RuntimeError(
                "[../third_party/gloo/gloo/transport/tcp/unbound_buffer.cc:81] Timed out waiting "
                "1800000ms for recv operation to complete"
            ),
            "Timed out waiting 1800000ms for recv operation to complete",
        ),
        (
            dist.DistBackendError("NCCL error: remote process exited\ndetails"),
            "NCCL error: remote process exited",
        ),
        (dist.DistNetworkError("Connection refused"), "Connection refused"),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), None),  # a bug of ours
        (RuntimeError("[enforce fail at ../gloo/gloo/allreduce.cc:1] sizes differ"), None),
        (ValueError("[/x/gloo/pair.cc:1] a ValueError"), None),
    ],
    ids=["gloo-reset", "gloo-timeout", "nccl", "store", "bug", "gloo-enforce", "not-runtime"],
)
def test_a_collective_that_lost_a_process_is_told_from_other_errors(
    error: BaseException, reason: str | None
) -> None:
    assert distributed.lost_connection(error) == reason


@pytest.mark.parametrize("port", ["notaport", "99999", "0", "-1", "", "2950²", "٢٩٥٠٠"])
def test_a_master_port_that_is_no_port_is_named(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    """torch said "unexpected ValueError: invalid literal for int() with base 10: 'notaport'";
    a superscript ("²", which str.isdigit takes and int() refuses) was let through to say it."""
    for name, value in {"WORLD_SIZE": "2", "RANK": "1", "MASTER_ADDR": "127.0.0.1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MASTER_PORT", port)
    pattern = (
        r"MASTER_PORT is not set"
        if not port
        else rf"^MASTER_PORT must be a TCP port, an integer in \[1, 65535\], got '{port}'; pass "
        r"the same free port to every process, e\.g\. MASTER_PORT=29500 \(torchrun --master-port\)$"
    )
    with pytest.raises(UsageError, match=pattern):
        distributed.init_distributed()


def test_a_master_port_in_use_is_named() -> None:
    taken = dist.DistNetworkError(
        "The server socket has failed to listen on any local network address. port: 29500, "
        "useIpv6: 0, code: -98, name: EADDRINUSE, message: address already in use"
    )
    error = dist_failures.address_in_use(taken)
    assert error is not None and str(error).startswith(
        "MASTER_PORT must be a port no other program listens on, got "
    )
    assert dist_failures.address_in_use(dist.DistNetworkError("connection refused")) is None
    assert dist_failures.address_in_use(RuntimeError("EADDRINUSE")) is None


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("cuda:nccl", "cuda:1"),
        ("cpu:gloo,cuda:gloo", "cpu"),
        ("cpu:gloo,cuda:nccl", "cpu"),
        ("xpu:xccl", "cpu"),  # no CUDA backend to go through: left to torch to refuse
    ],
    ids=["nccl", "gloo", "both", "no-cuda"],
)
def test_a_cpu_total_is_summed_where_the_group_has_a_backend_for_it(
    monkeypatch: pytest.MonkeyPatch, config: str, expected: str
) -> None:
    """NCCL alone reduces CUDA tensors only: an epoch's totals, made on the CPU, were all-reduced
    there, and every data-parallel run on NCCL failed ("No backend type associated with device
    type cpu"); they go through this process's GPU (tests/test_cuda.py sums them for real)."""
    monkeypatch.setattr(distributed, "in_process_group", lambda: True)
    monkeypatch.setattr(dist, "get_backend_config", lambda: config)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)  # this process's GPU: 1
    where = distributed._collective_device(torch.tensor([1.0, 2.0]))
    assert where == torch.device(expected)
    monkeypatch.setattr(dist, "all_reduce", _twin_rank_all_reduce)
    if expected == "cpu":  # summed in place, as before
        t = torch.tensor([2.0, 5.0])
        assert DistContext(rank=0, world_size=2).all_reduce_sum(t) is t
        assert t.tolist() == [4.0, 10.0]


def test_a_total_summed_through_another_device_is_copied_back_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The callers (an epoch's totals, the interrupt flags) read the tensor they passed: a sum made
    on this process's GPU is copied back into it (cpu:0 stands for the GPU: ``to`` copies there)."""
    monkeypatch.setattr(distributed, "_collective_device", lambda tensor: torch.device("cpu", 0))
    monkeypatch.setattr(dist, "all_reduce", _twin_rank_all_reduce)
    t = torch.tensor([2.0, 5.0])
    assert DistContext(rank=0, world_size=2).all_reduce_sum(t) is t
    assert t.tolist() == [4.0, 10.0]


_MESH_REFUSED = (
    "Gloo connectFullMesh failed with [/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/"
    "pair.cc:152] timed out connecting: SO_ERROR: Connection refused, remote=[127.0.0.1]:15764$0"
)


@pytest.mark.parametrize("torchrun", [False, True], ids=["by-hand", "torchrun"])
def test_a_process_gone_while_the_group_is_joined_is_named(
    no_torchrun: pytest.MonkeyPatch, torchrun: bool
) -> None:
    """A peer killed while gloo connected the processes: the command printed "error: unexpected
    RuntimeError: Gloo connectFullMesh failed with [...]"."""
    _joining(no_torchrun, rank=0)
    if torchrun:
        no_torchrun.setenv("TORCHELASTIC_RUN_ID", "job-1")

    def fails(**kwargs: Any) -> None:
        raise RuntimeError(_MESH_REFUSED)

    no_torchrun.setattr(dist, "init_process_group", fails)
    with pytest.raises(PeerLostError) as info:
        init_distributed()
    assert str(info.value) == (
        "another process of the data-parallel run could not be reached as the processes joined "
        "(gloo: timed out connecting: SO_ERROR: Connection refused, remote=[127.0.0.1]:15764$0): "
        "it may have stopped (see its own output), or this machine cannot reach it (a firewall, "
        "or another network interface: set GLOO_SOCKET_IFNAME); nothing was trained: start every "
        "process again as before"
    )
    assert str(info.value.__cause__) == _MESH_REFUSED  # gloo's own, for --debug
    # any other failure of the join is raised as it is
    no_torchrun.setattr(dist, "init_process_group", lambda **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        init_distributed()


def _in_a_group_of_one(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c script *args`` as torchrun's one process (rank 0 of 1, a free local port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if k not in TORCHRUN_VARS},
        "WORLD_SIZE": "1",
        "RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }
    return subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=120
    )


_JOINED_THEN_EXITS = """
import atexit, sys
import torch.distributed as dist

# registered before linearnets' own hook: atexit runs it after that one
atexit.register(lambda: open(sys.argv[1], "w").write(str(dist.is_initialized())))
from linearnets.training.distributed import _join_group

_join_group("gloo", None)
assert dist.is_initialized()
"""


def test_a_group_joined_here_and_never_left_is_left_as_the_interpreter_exits(
    tmp_path: Path,
) -> None:
    """Left to the interpreter's teardown, gloo's threads were now and then destroyed while still
    running: a torchrun script that had trained and written everything ended in SIGABRT
    ("terminate called without an active exception"). The process group is now left at exit."""
    seen = tmp_path / "initialized_at_exit"
    done = _in_a_group_of_one(_JOINED_THEN_EXITS, str(seen))
    assert done.returncode == 0, done.stderr
    assert seen.read_text() == "False"


_JOINED_LEFT_THEN_EXITS = """
from linearnets.training.distributed import _join_group, shutdown_distributed

_join_group("gloo", None)
shutdown_distributed()  # the caller left the group itself: nothing is left at exit
"""


def test_a_group_left_by_its_caller_is_not_left_again_at_exit(tmp_path: Path) -> None:
    """Leaving a group twice raises ("Default process group has not been initialized"): the exit
    hook of a script that called shutdown_distributed printed that error as it exited."""
    done = _in_a_group_of_one(_JOINED_LEFT_THEN_EXITS)
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_a_group_the_caller_joined_already_is_not_joined_again(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """torch refuses a second join ("trying to initialize the default process group twice"): a
    script that joined the group itself gets its place in it, and is told nothing to wait for."""
    calls = _joining(no_torchrun, rank=1)
    no_torchrun.setattr(dist, "is_initialized", lambda: True)
    said: list[str] = []
    context = init_distributed(device=torch.device("cpu"), announce=said.append)
    assert context == DistContext(rank=1, world_size=2, local_rank=0)
    assert calls == [] and said == []


def test_a_torch_build_without_distributed_is_in_no_process_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where torch.distributed is not available its is_initialized may not exist: it is not asked."""

    def absent() -> bool:
        raise AttributeError("module 'torch.distributed' has no attribute 'is_initialized'")

    monkeypatch.setattr(dist, "is_available", lambda: False)
    monkeypatch.setattr(dist, "is_initialized", absent)
    assert distributed.in_process_group() is False
    shutdown_distributed()  # nothing joined: nothing to leave


# -- torchrun's variables, checked -----------------------------------------------------------------


@pytest.mark.parametrize("port", ["1", "65535", " 29500 ", "29500\n"])
def test_a_master_port_in_range_is_taken_as_torch_reads_it(
    monkeypatch: pytest.MonkeyPatch, port: str
) -> None:
    """torch reads MASTER_PORT with int(), which takes 1..65535 and surrounding blanks."""
    from linearnets.training.dist_env import check_launched

    for name, value in {"RANK": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}.items():
        monkeypatch.setenv(name, value)
    check_launched(2)  # no error
    monkeypatch.setenv("MASTER_PORT", "65536")
    with pytest.raises(UsageError, match=r"^MASTER_PORT must be a TCP port, an integer in "):
        check_launched(2)


def test_missing_launcher_variables_are_refused_with_both_fixes(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    no_torchrun.setenv("WORLD_SIZE", "3")
    no_torchrun.setenv("MASTER_ADDR", "localhost")
    with pytest.raises(UsageError) as info:
        init_distributed()
    assert str(info.value) == (
        "WORLD_SIZE=3 asks for a data-parallel run, but RANK, MASTER_PORT are not set; start the "
        "3 processes with torchrun (e.g. torchrun --nproc_per_node=3 -m linearnets softmax ...), "
        "or unset WORLD_SIZE for a single process"
    )


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1"])
def test_a_master_addr_that_resolves_passes(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    from linearnets.training.dist_env import check_master_addr

    monkeypatch.setenv("MASTER_ADDR", address)
    monkeypatch.setenv("MASTER_PORT", "29500")
    check_master_addr()  # no error


def test_a_master_addr_that_does_not_resolve_is_refused_before_the_join(
    no_torchrun: pytest.MonkeyPatch,
) -> None:
    """Each process started by hand retried it in silence but for 11 warnings of c10d's, then blamed
    the other for not joining after 60 s; named here at once, before the waiting line."""
    for name, value in {"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "node9",
                        "MASTER_PORT": "29500"}.items():  # fmt: skip
        no_torchrun.setenv(name, value)
    asked: list[tuple[Any, ...]] = []

    def unknown(*args: Any, **kwargs: Any) -> Any:
        asked.append(args)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    no_torchrun.setattr(socket, "getaddrinfo", unknown)
    said: list[str] = []
    with pytest.raises(UsageError) as info:
        init_distributed(device=torch.device("cpu"), announce=said.append)
    assert str(info.value) == (
        "MASTER_ADDR must be a host name or IP address this machine can resolve, got 'node9' "
        "(Name or service not known); set it to the address of rank 0's machine, the same for "
        "every process, e.g. MASTER_ADDR=127.0.0.1 for processes all on this machine (torchrun "
        "--master-addr)"
    )
    assert asked == [("node9", 29500)] and said == []  # no wait announced, no join


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("nonexistent.invalid", r"\(Name or service not known\)|\(Temporary failure"),
        ("a" * 64 + ".invalid", r"\(not a host name\)"),  # idna refuses a label over 63 letters
    ],
    ids=["reserved-name", "label-too-long"],
)
def test_a_real_name_that_does_not_resolve_is_refused(
    monkeypatch: pytest.MonkeyPatch, address: str, why: str
) -> None:
    """``.invalid`` never resolves (RFC 6761); offline it fails at once all the same (26 ms here)."""
    from linearnets.training.dist_env import check_master_addr

    monkeypatch.setenv("MASTER_ADDR", address)
    monkeypatch.setenv("MASTER_PORT", "29612")
    started = time.monotonic()
    with pytest.raises(UsageError, match=rf"^MASTER_ADDR must be .*, got '{address}' {why}"):
        check_master_addr()
    assert time.monotonic() - started < 30


# -- failures told in words -------------------------------------------------------------------------


def _answering(reply: bytes) -> tuple[socket.socket, threading.Thread]:
    """Listen on a free port of 127.0.0.1 as another program would: each connection gets
    ``reply`` (an HTTP server's answer to torch's bytes), then is closed."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(64)
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


def _at(monkeypatch: pytest.MonkeyPatch, port: int, rank: str = "1") -> None:
    for name, value in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": rank}.items():
        monkeypatch.setenv(name, value)


def _held_message(port: int) -> str:
    return (
        f"MASTER_PORT must be a port no other program listens on, got 127.0.0.1:{port}, where a "
        "program other than rank 0's torch.distributed store answered; pass a free port to every "
        "process, e.g. MASTER_PORT=29501 (or start them with torchrun --standalone, which picks "
        "one)"
    )


def test_another_program_answering_in_rank_0s_place_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """torch's own client asks, in a Python of its own: none of its C++ frames gets out."""
    server, _ = _answering(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    port = server.getsockname()[1]
    _at(monkeypatch, port)
    try:
        held = dist_failures.port_held_by_another_program()
    finally:
        server.close()
    assert str(held) == _held_message(port)
    assert capfd.readouterr() == ("", "")


def _master_store(*, libuv: bool | None = None) -> Any:
    """A rank 0's store on a free port of 127.0.0.1, not waiting for workers (``libuv``: torch's
    default server, or the older one; None: torch's default)."""
    from datetime import timedelta

    extra = {} if libuv is None else {"use_libuv": libuv}
    return dist.TCPStore(
        "127.0.0.1",
        0,
        is_master=True,
        timeout=timedelta(seconds=10),
        wait_for_workers=False,
        **extra,
    )


def test_rank_0s_store_answering_is_no_other_program(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _master_store()
    _at(monkeypatch, store.port)
    assert dist_failures.port_held_by_another_program() is None


def test_a_web_server_that_gives_torchs_ping_no_answer_is_named(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """python -m http.server waits for a line that torch's ping never sends: the probe timed out
    and rank 0 was blamed for not joining. Asked as a web server is, it answers as one."""
    import http.server

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    web.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
    threading.Thread(target=web.serve_forever, daemon=True).start()
    port = web.server_address[1]
    _at(monkeypatch, port)
    try:
        held = dist_failures.port_held_by_another_program(limit=4.0)
    finally:
        web.shutdown()
        web.server_close()
    assert str(held) == _held_message(port)
    assert capfd.readouterr() == ("", "")


def test_a_port_that_answers_nothing_is_not_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rank 0 stopped (Ctrl-Z) still takes connections (the kernel's backlog) and answers
    nothing: no program other than rank 0's store may be named then."""
    server = socket.create_server(("127.0.0.1", 0))  # listens, never accepts
    _at(monkeypatch, server.getsockname()[1])
    try:
        assert dist_failures.port_held_by_another_program(limit=4.0) is None
    finally:
        server.close()


def test_rank_0s_store_is_not_named_where_torchs_probe_ran_out_of_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch's client too slow to answer in time (a loaded machine): rank 0's real store is then
    asked as a web server is, and gives no HTTP answer."""
    from datetime import timedelta

    def timed_out(*args: Any, **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    for libuv in (True, False):  # torch's default store, and the older one
        store = _master_store(libuv=libuv)
        _at(monkeypatch, store.port)
        with monkeypatch.context() as slow:
            slow.setattr(subprocess, "run", timed_out)
            assert dist_failures.port_held_by_another_program() is None
        client = dist.TCPStore(
            "127.0.0.1", store.port, is_master=False, timeout=timedelta(seconds=10)
        )
        client.set("still", "served")  # the store goes on as before
        assert store.get("still") == b"served"


def test_no_other_program_is_looked_for_where_nothing_listens_or_by_rank_0(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rank 0 holds the store itself; a port nothing listens on (rank 0 not started) is told at
    once, with no Python started to ask."""

    def no_probe(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no probe where nothing answers")

    monkeypatch.setattr(subprocess, "run", no_probe)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()  # free again: nothing listens there
    _at(monkeypatch, port)
    assert dist_failures.port_held_by_another_program() is None
    server, _ = _answering(b"HTTP/1.0 200 OK\r\n\r\n")
    _at(monkeypatch, server.getsockname()[1], rank="0")
    try:
        assert dist_failures.port_held_by_another_program() is None
    finally:
        server.close()


def test_a_master_port_in_use_names_the_address_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MASTER_ADDR", "node0")
    monkeypatch.setenv("MASTER_PORT", "29500")
    taken = dist.DistNetworkError("... name: EADDRINUSE, message: address already in use")
    assert str(dist_failures.address_in_use(taken)) == (
        "MASTER_PORT must be a port no other program listens on, got node0:29500, which is in use "
        "(EADDRINUSE); pass another to every process, e.g. torchrun --master-port 29501 (or "
        "torchrun --standalone, which picks a free one)"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "Gloo connectFullMesh failed with [../third_party/gloo/gloo/transport/tcp/pair.cc:144] "
            "Connection closed by peer [127.0.0.1]:4242. This is typically caused by a remote "
            "worker crashing.\nException raised from connectFullMesh",
            "Connection closed by peer [127.0.0.1]:4242",
        ),
        (
            "Gloo connectFullMesh failed with [../gloo/transport/tcp/pair.cc:1] timed out.\nmore",
            "timed out",
        ),
    ],
    ids=["advice-and-trace", "trailing-period"],
)
def test_a_mesh_failure_keeps_only_gloos_first_words(text: str, reason: str) -> None:
    error = dist_failures.mesh_unreachable(RuntimeError(text))
    assert error is not None
    assert str(error).startswith(
        f"another process of the data-parallel run could not be reached as the processes joined "
        f"(gloo: {reason}): it may have stopped"
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (  # gloo's first line only, its trailing period dropped
            RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:1] Broken pipe.\ntrace"),
            "Broken pipe",
        ),
        (dist.DistNetworkError("\n  Connection refused\nsecond line"), "Connection refused"),
        (dist.DistNetworkError(""), "DistNetworkError"),  # nothing said: its kind
        (dist.DistBackendError("x" * 200), "x" * 200),  # 200 characters: kept whole
        (dist.DistBackendError("x" * 201), "x" * 199 + "…"),  # longer: cut to 200
        (RuntimeError("[/pytorch/c10/cuda/CUDAException.cpp:42] CUDA error"), None),  # not gloo's
    ],
    ids=["gloo-lines", "leading-blank", "empty", "200", "201", "other-source"],
)
def test_a_lost_connection_is_said_in_one_short_line(
    error: BaseException, reason: str | None
) -> None:
    assert distributed.lost_connection(error) == reason


def test_a_port_in_use_by_another_rank_0s_store_names_the_duplicate_rank(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Two processes started by hand with RANK=0: the second was told to pick another port, when
    its RANK (or another job on that port) was the fault; a store answering there says so."""
    store = _master_store()
    _at(monkeypatch, store.port, rank="0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    taken = dist.DistNetworkError("... name: EADDRINUSE, message: address already in use")
    assert str(dist_failures.address_in_use(taken)) == (
        "RANK=0 must be given to one process only, but a torch.distributed store already answers "
        f"at 127.0.0.1:{store.port} (EADDRINUSE): another process started with RANK=0 serves it, "
        "or another data-parallel job uses that port; give each process its own RANK in 0..1, or "
        "pass another port to every process of a separate job, e.g. MASTER_PORT=29501 (torchrun "
        "--master-port 29501)"
    )
    assert capfd.readouterr() == ("", "")


def test_a_port_in_use_by_a_program_that_answers_nothing_is_told_in_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """nc -l, python -m http.server or a stopped earlier rank 0 take the connection and answer
    nothing: rank 0 was told its port was in use some 10 s late (torch's client, started in a
    Python of its own, waited for its whole limit). Pinged over a socket, it is told in 2 s."""
    import time

    server = socket.create_server(("127.0.0.1", 0))  # listens, never answers
    port = server.getsockname()[1]
    _at(monkeypatch, port, rank="0")
    taken = dist.DistNetworkError("... name: EADDRINUSE, message: address already in use")
    start = time.monotonic()
    try:
        error = dist_failures.address_in_use(taken)
    finally:
        server.close()
    # the ping waits 2 s (dist_failures._PING_WAIT); 8 s leaves a loaded machine room and still
    # proves torch's own client's wait of 10 s and more is not taken
    assert time.monotonic() - start < 8.0
    assert str(error).startswith(
        f"MASTER_PORT must be a port no other program listens on, got 127.0.0.1:{port}, which is "
        "in use (EADDRINUSE)"
    )


@pytest.mark.parametrize("libuv", [True, False], ids=["libuv-store", "older-store"])
def test_rank_0s_store_is_told_by_a_ping_over_the_socket(
    monkeypatch: pytest.MonkeyPatch, libuv: bool
) -> None:
    """No Python of its own is started (its torch import alone takes seconds) to tell a store."""

    def no_probe(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a store answers the socket's ping")

    monkeypatch.setattr(subprocess, "run", no_probe)
    store = _master_store(libuv=libuv)
    assert dist_failures._store_at("127.0.0.1", str(store.port)) == "store"
    server, _ = _answering(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    try:
        assert dist_failures._store_at("127.0.0.1", str(server.getsockname()[1])) == "other"
    finally:
        server.close()


def test_a_port_in_use_by_another_program_keeps_the_port_advice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = _answering(b"HTTP/1.0 200 OK\r\n\r\n")
    port = server.getsockname()[1]
    _at(monkeypatch, port, rank="0")
    taken = dist.DistNetworkError("... name: EADDRINUSE, message: address already in use")
    try:
        error = dist_failures.address_in_use(taken)
    finally:
        server.close()
    assert str(error).startswith(
        f"MASTER_PORT must be a port no other program listens on, got 127.0.0.1:{port}, which is "
        "in use (EADDRINUSE)"
    )
