"""One rank's error in a data-parallel ``fit`` stops the others at once (two real gloo processes)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linearnets.errors import DivergenceError, UsageError
from linearnets.training.dist_failures import PeerLostError
from linearnets.training.distributed import DistContext
from linearnets.training.rank_stop import raised_on_every_rank, stop_together

# a learner's script: each rank trains on its share, one rank's labels hold a -1 in batch 1; that
# rank catches the error and lives on (a notebook), the other says what it raised, and when
_RANK = """
import json, sys, time
import torch
import torch.distributed as dist
from torch import nn
import linearnets as ln
from linearnets.training.distributed import DistContext

rank, port, bad, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
torch.manual_seed(0)
X, y = torch.randn(64, 5), torch.randint(0, 4, (64,))
if rank == bad:
    y[rank + 32] = -1  # row 0 of its batch 3 (counted from 1), after two updates
net = nn.Linear(5, 4)
start = time.monotonic()
try:
    ln.fit(net, ln.load_array((X[rank::2], y[rank::2]), 8, is_train=False), nn.CrossEntropyLoss(),
           torch.optim.SGD(net.parameters(), lr=0.1), 2, dist=DistContext(rank=rank, world_size=2))
    said = {"error": None}
except Exception as exc:
    said = {"error": type(exc).__name__, "message": str(exc)}
said["seconds"] = time.monotonic() - start
open(out, "w").write(json.dumps(said))
if rank == bad:
    time.sleep(60)  # alive, as in a notebook: the other rank waited this long, then longer
"""


# two ranks in one of a few cases; each writes what its fit calls raised, and how long they took
_CASE = """
import json, sys, time
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
import linearnets as ln
from linearnets.training.distributed import DistContext

rank, port, case, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
# the first torch.optim.SGD imports torch._dynamo (about 2 s of CPU): built inside the first fit,
# a loaded machine drifted the ranks past fit's 2 s wait for a refusal alike on every rank (the
# group was let go of, "refused-alike" failed); built here, the ranks line up after it
torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
dist.barrier()
torch.manual_seed(0)
X, y = torch.randn(64, 5), torch.randint(0, 4, (64,))
if case == "nan" and rank == 1:
    X[51, 2] = float("nan")  # its batch 4's: NaN scores, on this rank alone


class Interrupt:
    def on_batch_end(self, step, losses):
        if rank == 1 and step == 2:
            raise KeyboardInterrupt


class LastEpochFails:
    def on_epoch_end(self, *, metrics):
        if rank == 0 and metrics.epoch == 2:  # after the last collective of the call
            raise ValueError("the plot's folder is gone")


def fit(net, epochs=2):
    said = {"error": None}
    start = time.monotonic()
    callbacks = {"interrupt": [Interrupt()], "last": [LastEpochFails()]}.get(case, [])
    try:
        ln.fit(net, DataLoader(TensorDataset(X[rank::2], y[rank::2]), 8), nn.CrossEntropyLoss(),
               torch.optim.SGD(net.parameters(), lr=0.1), epochs,
               dist=DistContext(rank=rank, world_size=2), callbacks=callbacks)
    except BaseException as exc:
        said = {"error": type(exc).__name__, "message": str(exc)}
    said["seconds"] = time.monotonic() - start
    return said


if case == "refused":  # rank 1's call refused for its arguments, rank 0's good
    said = [fit(nn.Linear(5, 4), epochs=0 if rank == 1 else 2)]
elif case == "refused-alike":  # every rank's call refused alike: fixed, fit again
    said = [fit(nn.Linear(5, 4), epochs=0), fit(nn.Linear(5, 4))]
else:
    said = [fit(nn.Linear(6 if case == "alike" else 5, 4))]
if case in ("alike", "last"):  # the model fixed, or the last fit returned: fit again
    said.append(fit(nn.Linear(5, 4)))
open(out, "w").write(json.dumps(said))
time.sleep(30 if said[0]["error"] not in (None, "PeerLostError") else 0)  # alive, as a notebook
"""


def _run_case(tmp_path, case: str) -> list[list[dict]]:
    """Run ``case`` on two gloo processes; return what each rank's fit calls raised."""
    port = str(_free_port())
    outs = [tmp_path / f"rank{rank}.json" for rank in (0, 1)]
    procs = _start_ranks(_CASE, port, case, outs)
    try:
        deadline = time.monotonic() + 100
        while not all(out.exists() for out in outs) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    for out, proc in zip(outs, procs, strict=True):
        assert out.exists(), proc.stderr.read() if proc.stderr else ""
    return [json.loads(out.read_text()) for out in outs]


def test_a_ranks_own_nan_scores_stop_the_other_at_once(tmp_path) -> None:
    """fit's NaN-scores check raised a DivergenceError on rank 1 alone, which was counted as every
    rank's: rank 0 waited in the next all-reduce (33.9 s), then was told that "another process"
    stopped."""
    (stopped,), (diverged,) = _run_case(tmp_path, "nan")
    assert diverged["error"] == "DivergenceError"
    assert stopped["error"] == "PeerLostError"
    assert stopped["message"].startswith(f"rank 1 stopped: DivergenceError: {diverged['message']}")
    assert stopped["seconds"] < diverged["seconds"] + 10


def test_a_call_refused_for_its_arguments_on_one_rank_stops_the_other_at_once(tmp_path) -> None:
    """num_epochs=0 on rank 1 alone was refused before fit's notes were armed: rank 0 waited in its
    first all-reduce for as long as rank 1 lived, then said "another process ... stopped"."""
    (stopped,), (refused,) = _run_case(tmp_path, "refused")
    assert refused["error"] == "UsageError"
    assert "num_epochs" in refused["message"]
    assert stopped["error"] == "PeerLostError"
    assert stopped["message"].startswith(f"rank 1 stopped: UsageError: {refused['message']}; ")
    assert stopped["seconds"] < refused["seconds"] + 10


def test_a_call_refused_for_its_arguments_on_every_rank_keeps_the_group(tmp_path) -> None:
    for first, second in _run_case(tmp_path, "refused-alike"):
        assert first["error"] == "UsageError"
        assert "num_epochs" in first["message"]
        assert second["error"] is None


def test_a_rank_that_failed_after_the_last_collective_is_named_in_the_others_next_fit(
    tmp_path,
) -> None:
    """Rank 0's callback failed at the end of the last epoch, rank 1's fit returned: its next fit
    said "another process ... stopped" (the note was looked for under that next call alone), and
    rank 0's next fit raised torch's "Default process group has not been initialized"."""
    (failed, left), (returned, stopped) = _run_case(tmp_path, "last")
    assert failed["error"] == "ValueError"
    assert returned["error"] is None
    assert stopped["error"] == "PeerLostError"
    assert stopped["message"] == (
        "rank 0 stopped: ValueError: the plot's folder is gone; every rank of the data-parallel "
        "run stopped with it (rank 0 left the process group): fix it there and start every rank "
        "again, on a new port (or after 10 s)"
    )
    assert left["error"] == "UsageError"
    assert left["message"] == (
        "dist: this rank (rank 0) left the process group as its error stopped an earlier fit; "
        "join again with init_process_group (on a new port, or after 10 s), every rank, to train "
        "again"
    )


def _start_ranks(script: str, port: str, case: str, outs: list[Path]) -> list[subprocess.Popen]:
    """Start ranks 0 and 1 of ``script`` (argv: rank, port, ``case``, its output file)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return [
        subprocess.Popen(
            [sys.executable, "-c", script, str(rank), port, case, str(outs[rank])],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("bad", [0, 1], ids=["rank-0-refused", "rank-1-refused"])
def test_a_rank_that_refused_its_batch_stops_the_other_at_once(tmp_path, bad: int) -> None:
    """The other rank waited in the next all-reduce for as long as the refusing rank's process
    lived (gloo: up to 30 minutes), then raised gloo's raw "Connection closed by peer ... GLHF!"."""
    port, good = str(_free_port()), 1 - bad
    outs = [tmp_path / f"rank{rank}.json" for rank in (0, 1)]
    procs = _start_ranks(_RANK, port, str(bad), outs)
    try:
        procs[good].wait(timeout=100)
        deadline = time.monotonic() + 30
        while not outs[bad].exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert outs[good].exists(), procs[good].stderr.read() if procs[good].stderr else ""
    refused, stopped = (json.loads(outs[rank].read_text()) for rank in (bad, good))
    assert refused["error"] == "UsageError"
    assert refused["message"].startswith("train_iter's batch 3 of epoch 1, row 0 of that batch")
    said = "y must hold class indices in [0, 4) for the model's 4 outputs, got -1"
    assert said in refused["message"]
    assert stopped["error"] == "PeerLostError"
    assert stopped["message"] == (
        f"rank {bad} stopped: UsageError: {refused['message']}; every rank of the data-parallel "
        f"run stopped with it (rank {bad} left the process group): fix it there and start every "
        "rank again, on a new port (or after 10 s)"
    )
    # told as the refusing rank raised, not once its process ended 60 s later
    assert stopped["seconds"] < refused["seconds"] + 20


def test_a_lost_connection_without_a_note_says_another_process_stopped() -> None:
    gloo = RuntimeError(
        "[/x/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by peer "
        "[127.0.0.1]:1948. This is typically caused by a remote worker hanging. GLHF!"
    )
    with pytest.raises(PeerLostError) as info, stop_together(DistContext(rank=0, world_size=2)):
        raise gloo
    assert str(info.value) == (
        "another process of the data-parallel run stopped (lost connection: Connection closed by "
        "peer [127.0.0.1]:1948); see its own output for why, and start every rank again, on a new "
        "port (or after 10 s)"
    )
    assert info.value.__cause__ is gloo  # gloo's own words, for --debug


@pytest.mark.parametrize(
    "error",
    [
        raised_on_every_rank(UsageError("refused by every rank")),
        raised_on_every_rank(DivergenceError("diverged on every rank")),
    ],
    ids=["marked", "divergence"],
)
def test_an_error_every_rank_raises_leaves_the_group_as_it_is(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """A refusal every rank raised after one collective (unequal batch counts), or the guard's
    divergence (marked by the guard), leaves the group for the next call; a rank's own error
    leaves it."""
    import linearnets.training.rank_stop as rank_stop

    told: list[BaseException] = []
    monkeypatch.setattr(rank_stop, "_tell_the_others", lambda context, exc, call: told.append(exc))
    with pytest.raises(type(error)), stop_together(DistContext(rank=1, world_size=2)):
        raise error
    assert told == []
    own = UsageError("y must hold class indices in [0, 4), got -1")
    with pytest.raises(UsageError), stop_together(DistContext(rank=1, world_size=2)):
        raise own
    assert told == [own]


def test_the_guards_divergence_is_marked_as_every_ranks_a_ranks_own_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every DivergenceError counted as raised by all ranks: one rank's NaN scores (fit's own
    check, a plain DataLoader) left the others in the next all-reduce (34 s in a run)."""
    import linearnets.training.rank_stop as rank_stop
    from linearnets.training.guard import DivergenceGuard
    from linearnets.training.history import EpochMetrics

    told: list[BaseException] = []
    monkeypatch.setattr(rank_stop, "_tell_the_others", lambda context, exc, call: told.append(exc))
    context = DistContext(rank=1, world_size=2)
    guard = DivergenceGuard(0.1, dist=context)
    with pytest.raises(DivergenceError, match="training loss") as info:
        guard.on_epoch_end(metrics=EpochMetrics(1, float("nan"), 0.5, None, None, 1.0))
    assert getattr(info.value, "raised_on_every_rank", False)
    with pytest.raises(DivergenceError), stop_together(context):
        raise info.value
    own = DivergenceError("NaN scores in batch 2 of epoch 1")
    with pytest.raises(DivergenceError), stop_together(context):
        raise own
    assert told == [own]
    alone = DivergenceGuard(0.1)  # one process's: its errors are its own
    with pytest.raises(DivergenceError) as info:
        alone.on_epoch_end(metrics=EpochMetrics(1, float("nan"), 0.5, None, None, 1.0))
    assert not getattr(info.value, "raised_on_every_rank", False)


def test_an_error_every_rank_raised_alike_keeps_the_group_for_the_next_fit(tmp_path) -> None:
    """nn.Linear(6, 4) on 5 features, refused on the first batch by both ranks: each left the
    process group, so fit again with the model fixed raised "Default process group has not been
    initialized"."""
    firsts, seconds = zip(*_run_case(tmp_path, "alike"), strict=True)
    for first in firsts:
        assert first["error"] == "UsageError"
        assert first["message"].startswith("X must hold 6 features per example")
    assert [second["error"] for second in seconds] == [None, None]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch):
    """A real store, as the group's, of one process."""
    import datetime

    import torch.distributed as dist

    import linearnets.training.rank_stop as rank_stop

    held = dist.TCPStore(
        "127.0.0.1", 0, is_master=True, wait_for_workers=False,
        timeout=datetime.timedelta(seconds=5),
    )  # fmt: skip
    monkeypatch.setattr(rank_stop, "_store", lambda: held)
    monkeypatch.setattr(rank_stop, "_AGREE_WAIT", 0.3)
    return held


def test_the_ranks_that_raised_share_one_verdict(store) -> None:
    """Every rank raised in the call: the group kept; the others held in a collective: "stop",
    which a rank raising later in the same call follows, though the count is then full."""
    from linearnets.training.rank_stop import _every_rank_raised

    context = DistContext(rank=0, world_size=2)
    store.add("linearnets/stopped/1/count", 1)  # rank 1 raised first
    assert _every_rank_raised(store, context, 1)
    assert not _every_rank_raised(store, context, 2)  # alone, 0.3 s
    assert not _every_rank_raised(store, DistContext(rank=1, world_size=2), 2)  # too late
    assert store.timeout.total_seconds() == 5  # the group's store left as it was


def test_a_note_of_an_earlier_fit_is_not_told_as_this_ones(store) -> None:
    """Notes were kept by rank alone: a rank killed in a second fit of the same job was told as
    stopped by the first fit's error."""
    from linearnets.training.rank_stop import _peer_stopped

    store.set("linearnets/stopped/1/1", "UsageError: y must hold class indices in [0, 4), got -1")
    context = DistContext(rank=0, world_size=2)
    said = str(_peer_stopped(context, "Connection closed by peer", 2))
    assert said.startswith("another process of the data-parallel run stopped (lost connection")
    said = str(_peer_stopped(context, "Connection closed by peer", 1))
    assert said.startswith("rank 1 stopped: UsageError: y must hold class indices")


def test_a_ctrl_c_on_one_rank_is_told_as_an_interruption_with_nothing_to_fix(tmp_path) -> None:
    """Told as "rank 1 stopped: KeyboardInterrupt: KeyboardInterrupt; ... fix it there and ..."."""
    (stopped,), (interrupted,) = _run_case(tmp_path, "interrupt")
    assert interrupted["error"] == "KeyboardInterrupt"
    assert stopped["error"] == "PeerLostError"
    assert stopped["message"] == (
        "rank 1 stopped: interrupted (KeyboardInterrupt); every rank of the data-parallel run "
        "stopped with it (rank 1 left the process group): start every rank again, on a new port "
        "(or after 10 s)"
    )


@pytest.mark.parametrize(
    ("error", "noted"),
    [
        (SystemExit(), "interrupted (SystemExit)"),
        (SystemExit("bad data"), "interrupted (SystemExit: bad data)"),
        (RuntimeError(), "RuntimeError"),
        (RuntimeError("RuntimeError"), "RuntimeError"),
        (UsageError("y must hold class indices"), "UsageError: y must hold class indices"),
    ],
    ids=["exit", "exit-said", "empty", "its-name", "said"],
)
def test_a_note_names_the_error_once(error: BaseException, noted: str) -> None:
    from linearnets.training.rank_stop import _noted

    assert _noted(error) == noted


def test_a_rank_that_left_the_group_in_an_earlier_fit_is_named_in_a_later_one(store) -> None:
    """Its error came after the others' call had returned: their next call lost it, and looked for
    its note under that call alone."""
    from linearnets.training.rank_stop import _peer_stopped

    store.set("linearnets/left/1", "ValueError: the plot's folder is gone")
    said = str(_peer_stopped(DistContext(rank=0, world_size=2), "Connection closed by peer", 2))
    assert said.startswith("rank 1 stopped: ValueError: the plot's folder is gone; ")
