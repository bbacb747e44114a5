"""Data-parallel training with torchrun: 2 processes on 127.0.0.1 (gloo) equal 1 process, same global batch.

Each test launches real processes: ``python -m torch.distributed.run --nproc_per_node=2 -m linearnets
softmax ...`` against a single-process run with the same seed and global batch size, then compares the
saved weights and the per-epoch metrics.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _outputs(ranks: list[subprocess.Popen[str]], *, timeout: float) -> list[tuple[str, str]]:
    """Return each process's (stdout, stderr) once it ends; kill any still running after a failure."""
    try:
        return [proc.communicate(timeout=timeout) for proc in ranks]
    finally:
        for proc in ranks:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)


@pytest.fixture(scope="module")
def npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small separable classification set: 4 classes of 20 features, 1000 train / 203 test examples."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=2.0, size=(4, 20))

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 4, size=n)
        return (centers[y] + rng.normal(size=(n, 20))).astype(np.float32), y

    X, y = draw(1000)
    X_test, y_test = draw(203)  # 203: the last test batch is short and splits unevenly across ranks
    path = tmp_path_factory.mktemp("dp") / "blobs.npz"
    np.savez(path, X=X, y=y, X_test=X_test, y_test=y_test)
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    env.pop("WORLD_SIZE", None)
    # the join's limit: 60 s (300 s under torchrun) unless a test sets it
    env.pop("LINEARNETS_JOIN_TIMEOUT", None)
    return env


def _one_machine_two_processes() -> list[str]:
    """torchrun's command line for 2 processes on this machine, on a free port (--standalone:
    its store takes one itself; a port found free here and closed was now and then taken by
    another program before torchrun bound it, on a machine running many tests at once)."""
    return [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
    ]  # fmt: skip


def _started_alone(cmd: list[str]) -> subprocess.Popen[str]:
    """Start ``cmd`` in a session of its own: a signal to its process group reaches torchrun and
    its workers, as a terminal's Ctrl-C does, and not pytest."""
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        start_new_session=True,
    )


def _train(
    npz: Path, out: Path, impl: str, nproc: int, *, epochs: int = 2, resume: bool = False
) -> subprocess.CompletedProcess[str]:
    args = [
        "-m", "linearnets", "softmax", "--data", str(npz), "--impl", impl, "--epochs", str(epochs),
        "--batch-size", "64", "--lr", "0.1", "--seed", "3", "--threads", "1", "--plot", "none",
        "--device", "cpu", "--json",
    ]  # fmt: skip
    if resume:
        args = [
            "-m",
            "linearnets",
            "softmax",
            "--resume",
            str(out),
            "--epochs",
            str(epochs),
            "--json",
        ]
    else:
        args += ["--out", str(out)]
    if nproc > 1:
        launcher = [
            sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
            "--standalone",  # its store takes a free port itself (_one_machine_two_processes)
        ]  # fmt: skip
        cmd = [*launcher, *args]
    else:
        cmd = [sys.executable, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=_env())


def _metrics(run_dir: Path) -> list[dict[str, float]]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for row in rows:
        row.pop("seconds")
    return rows


@pytest.mark.parametrize("impl", ["scratch", "concise", "analytic"])
def test_two_processes_match_one(npz: Path, tmp_path: Path, impl: str) -> None:
    single = _train(npz, tmp_path / "single", impl, 1)
    assert single.returncode == 0, single.stderr
    double = _train(npz, tmp_path / "double", impl, 2)
    assert double.returncode == 0, double.stderr + double.stdout

    ours = torch.load(tmp_path / "double" / "model.pt", weights_only=True)["state_dict"]
    ref = torch.load(tmp_path / "single" / "model.pt", weights_only=True)["state_dict"]
    assert ours.keys() == ref.keys()
    for key in ref:
        torch.testing.assert_close(ours[key], ref[key], rtol=1e-5, atol=1e-6)

    # metrics cover the whole dataset exactly once: accuracies are identical ratios, losses close
    for a, b in zip(_metrics(tmp_path / "double"), _metrics(tmp_path / "single"), strict=True):
        assert a["epoch"] == b["epoch"]
        assert a["train_acc"] == pytest.approx(b["train_acc"], abs=1 / 1000 + 1e-12)
        assert a["test_acc"] == pytest.approx(b["test_acc"], abs=1 / 203 + 1e-12)
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
        assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-5)

    # rank 0 reports on the whole test set: the confusion matrix counts all 203 test examples
    confusion = torch.load(tmp_path / "double" / "confusion.pt", weights_only=True)
    assert int(confusion.sum()) == 203

    # torchrun started the processes together: nothing to wait for, nothing said about it
    assert "waiting for all" not in double.stderr
    # only rank 0 prints: one JSON result line, one line per epoch
    lines = double.stdout.strip().splitlines()
    assert sum(line.startswith("{") for line in lines) == 1
    assert sum(line.startswith("epoch ") for line in lines) == 2
    result = json.loads(lines[-1])
    assert result["epochs"] == 2 and result["impl"] == impl


def test_distributed_run_resumes(npz: Path, tmp_path: Path) -> None:
    single = _train(npz, tmp_path / "single", "concise", 1)
    assert single.returncode == 0, single.stderr
    first = _train(npz, tmp_path / "double", "concise", 2, epochs=1)
    assert first.returncode == 0, first.stderr
    resumed = _train(npz, tmp_path / "double", "concise", 2, epochs=2, resume=True)
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    ours = torch.load(tmp_path / "double" / "model.pt", weights_only=True)["state_dict"]
    ref = torch.load(tmp_path / "single" / "model.pt", weights_only=True)["state_dict"]
    for key in ref:
        torch.testing.assert_close(ours[key], ref[key], rtol=1e-5, atol=1e-6)
    assert [m["epoch"] for m in _metrics(tmp_path / "double")] == [1, 2]


@pytest.mark.parametrize(("first", "then"), [(2, 1), (1, 2)])
def test_a_run_resumed_on_another_number_of_processes_matches_to_rounding(
    npz: Path, tmp_path: Path, first: int, then: int
) -> None:
    """docs/distributed.md: a run goes on in another number of processes, said in a note, and ends
    within float32 rounding of an uninterrupted run (the summed gradients add in another order)."""
    single = _train(npz, tmp_path / "single", "scratch", 1)
    assert single.returncode == 0, single.stderr
    started = _train(npz, tmp_path / "run", "scratch", first, epochs=1)
    assert started.returncode == 0, started.stderr
    resumed = _train(npz, tmp_path / "run", "scratch", then, epochs=2, resume=True)
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    assert f"resumed in {then} process" in resumed.stderr
    assert f"where the run last ran in {first}" in resumed.stderr
    ours = torch.load(tmp_path / "run" / "model.pt", weights_only=True)["state_dict"]
    ref = torch.load(tmp_path / "single" / "model.pt", weights_only=True)["state_dict"]
    for key in ref:
        torch.testing.assert_close(ours[key], ref[key], rtol=1e-5, atol=1e-6)
    ours_rows, ref_rows = _metrics(tmp_path / "run"), _metrics(tmp_path / "single")
    assert [m["epoch"] for m in ours_rows] == [1, 2]
    for mine, theirs in zip(ours_rows, ref_rows, strict=True):
        assert mine["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-5)


def test_the_loss_after_the_last_update_is_that_of_one_process(tmp_path: Path) -> None:
    """129 examples of 3 blobs at batch 64 and lr 16: the epoch's last examples re-scored after its
    last update are the last 2 global batches (65 examples) in 1 process and in 2 alike. Each rank
    once held at least 64 of its own (all 129 over 2 processes), and the run stopped in 1 process
    (107.9, > 100× the start) but ended exit 0 in 2 (train loss 16.62). The oracle: the
    one-process run's message, word for word past its resume command."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 129)
    X = (rng.normal(size=(129, 10)) + 1.5 * y[:, None]).astype(np.float32)
    data = tmp_path / "b129.npz"
    np.savez(data, X=X, y=y)
    args = [
        "-m", "linearnets", "softmax", "--data", str(data), "--batch-size", "64", "--epochs", "1",
        "--lr", "16", "--threads", "1", "--plot", "none", "--device", "cpu",
    ]  # fmt: skip
    env = _env()
    one = subprocess.run(
        [sys.executable, *args, "--out", str(tmp_path / "one")],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    two = subprocess.run(
        [*_one_machine_two_processes(), *args, "--out", str(tmp_path / "two")],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert one.returncode == 1 and two.returncode != 0, one.stderr + two.stdout + two.stderr
    said = (
        "linearnets softmax: error: training diverged in epoch 1: the loss of its last examples "
        "after the epoch's last update is 107.9, more than 100× its starting value 1.076, at lr 16;"
    )
    assert one.stderr.startswith(said), one.stderr
    lines = _our_lines(two.stderr)
    assert len(lines) == 1 and lines[0].startswith(said), two.stderr


def test_two_nodes_by_rendezvous_match_one_process(npz: Path, tmp_path: Path) -> None:
    """Two torchrun agents (--nnodes=2, one process each) meeting at a c10d rendezvous, as two machines do."""
    single = _train(npz, tmp_path / "single", "scratch", 1)
    assert single.returncode == 0, single.stderr
    endpoint = f"127.0.0.1:{_free_port()}"
    args = [
        "-m", "linearnets", "softmax", "--data", str(npz), "--impl", "scratch", "--epochs", "2",
        "--batch-size", "64", "--lr", "0.1", "--seed", "3", "--threads", "1", "--plot", "none",
        "--device", "cpu", "--out", str(tmp_path / "nodes"), "--json",
    ]  # fmt: skip
    launcher = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
        "--rdzv_backend=c10d", f"--rdzv_endpoint={endpoint}", "--rdzv_id=linearnets-test",
    ]  # fmt: skip
    agents = [
        subprocess.Popen(
            [*launcher, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(2)
    ]
    outputs = [agent.communicate(timeout=180) for agent in agents]
    assert all(agent.returncode == 0 for agent in agents), outputs
    ours = torch.load(tmp_path / "nodes" / "model.pt", weights_only=True)["state_dict"]
    ref = torch.load(tmp_path / "single" / "model.pt", weights_only=True)["state_dict"]
    for key in ref:
        torch.testing.assert_close(ours[key], ref[key], rtol=1e-5, atol=1e-6)
    assert sum(out.count('"run_dir"') for out, _ in outputs) == 1  # one rank 0 in the whole job


def test_ctrl_c_under_torchrun_stops_every_rank_after_one_step_and_resumes_bit_for_bit(
    npz: Path, tmp_path: Path
) -> None:
    epochs = 30
    whole = _train(npz, tmp_path / "whole", "concise", 2, epochs=epochs)
    assert whole.returncode == 0, whole.stderr
    # a terminal's Ctrl-C: SIGINT to torchrun and both workers (one process group); torchrun passes
    # it on to the workers once more
    launcher = _one_machine_two_processes()
    args = [
        "-m", "linearnets", "softmax", "--data", str(npz), "--impl", "concise", "--epochs",
        str(epochs), "--batch-size", "64", "--lr", "0.1", "--seed", "3", "--threads", "1",
        "--plot", "none", "--device", "cpu", "--out", str(tmp_path / "cut"),
    ]  # fmt: skip
    job = _started_alone([*launcher, *args])
    metrics = tmp_path / "cut" / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while not (metrics.exists() and metrics.read_text().count("\n") >= 1):
        assert job.poll() is None and time.monotonic() < deadline, job.communicate()
        time.sleep(0.01)
    os.killpg(job.pid, signal.SIGINT)
    _, err = job.communicate(timeout=120)
    assert job.returncode != 0, "the run ended before the signal: make it longer"
    lines = _our_lines(err)
    assert len(lines) == 1, err  # said once, by rank 0
    assert re.match(r"linearnets softmax: interrupted by SIGINT (at|after) ", lines[0])
    assert lines[0].endswith(
        f"resume with: linearnets softmax --resume {tmp_path / 'cut'}, launched by torchrun as before"
    )
    done = metrics.read_text().count("\n")
    assert 1 <= done < epochs
    resumed = _train(npz, tmp_path / "cut", "concise", 2, epochs=epochs, resume=True)
    assert resumed.returncode == 0, resumed.stderr
    ours = torch.load(tmp_path / "cut" / "model.pt", weights_only=True)["state_dict"]
    ref = torch.load(tmp_path / "whole" / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(ours[key], ref[key]) for key in ref)
    assert _metrics(tmp_path / "cut") == _metrics(tmp_path / "whole")


REAL_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not REAL_DIR.is_dir(), reason=f"the real Fashion-MNIST is not in {REAL_DIR}")
def test_a_batch_past_2_gib_whose_share_fits_in_each_process_trains(tmp_path: Path) -> None:
    """--batch-size 536870913 at --resize 1 is 4 bytes past 2 GiB of float32 in one process,
    which refuses it; on 2 processes each holds at most half of each batch, and the run was
    refused all the same (the check counted the global batch). It trains now, and rank 0
    reports on the whole test set. Each batch is the whole training set of 1x1 images: a few
    MB, nothing near 2 GiB is allocated."""
    args = [
        "-m", "linearnets", "softmax", "--data-dir", str(REAL_DIR), "--resize", "1",
        "--batch-size", "536870913", "--epochs", "1", "--threads", "1", "--plot", "none",
        "--device", "cpu", "--json",
    ]  # fmt: skip
    env = {**_env(), "LINEARNETS_CACHE_DIR": str(tmp_path / "cache")}
    alone = subprocess.run(
        [sys.executable, *args, "--out", str(tmp_path / "alone")],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert alone.returncode == 2
    assert "must fit in 2 GiB per batch, got 536870913 × 1² (2 GiB + 4 bytes)" in alone.stderr
    out = tmp_path / "two"
    done = subprocess.run(
        [*_one_machine_two_processes(), *args, "--out", str(out)],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["epochs"] == 1 and len(_metrics(out)) == 1
    saved = json.loads((out / "config.json").read_text())
    assert (saved["config"]["batch_size"], saved["config"]["resize"]) == (536870913, 1)
    matrix = torch.load(out / "confusion.pt")
    assert int(matrix.sum()) == 10000  # the real test set's images, each counted once


def _torchrun(*args: str) -> subprocess.CompletedProcess[str]:
    launcher = _one_machine_two_processes()
    return subprocess.run(
        [*launcher, "-m", "linearnets", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
    )


def _our_lines(stderr: str) -> list[str]:
    """The workers' lines on stderr, without torchrun's report of the failed workers.

    Kept: linearnets' own lines ("linearnets softmax: ...", "linearnets: ...") and whatever a worker
    let out as a traceback, which torch prefixes with "[rankN]:".
    """
    return [
        line
        for line in stderr.splitlines()
        if (line.startswith("linearnets") and line != "linearnets FAILED")  # torchrun's headline
        or line.startswith("[rank")
    ]


def _rank_1_not_joined(seconds: int) -> str:
    """Return the UsageError line of rank 0 of 2 under torchrun, given up on rank 1's join after
    ``seconds`` (LINEARNETS_JOIN_TIMEOUT), as torchrun's traceback ends with it."""
    return (
        f"linearnets.errors.UsageError: rank 1 did not join the data-parallel run within {seconds} "
        "s (rank 0 of 2, started by torchrun, waited for it): it may have ended without making "
        "this call (a run_softmax or resume_softmax under `if rank == 0:`), or be still busy "
        "before it; every process torchrun starts must make the same run_softmax and "
        "resume_softmax calls, with the same settings, in the same order: call them on every "
        "rank, not under `if rank == 0:` (rank 0 alone writes the run folder and prints); for a "
        "rank busy longer before its call (preparing data), set LINEARNETS_JOIN_TIMEOUT=SECONDS "
        "for torchrun, or call torch.distributed.init_process_group() on every rank before that "
        "work"
    )


# a script whose run_softmax runs on rank 0 alone (its wait for rank 1 to join shortened to 6 s
# by the test: LINEARNETS_JOIN_TIMEOUT, 300 s otherwise)
_RANK_0_ALONE = """
import os, sys
import linearnets as ln
rank = int(os.environ.get("RANK", 0))
if rank == 0:
    ln.run_softmax(ln.SoftmaxConfig(epochs=1, out=sys.argv[2], plot="none", data=sys.argv[1]))
print(f"rank {rank}: ok", flush=True)
"""


def test_a_run_softmax_under_if_rank_0_is_refused_one_line_and_exits(
    npz: Path, tmp_path: Path
) -> None:
    """Rank 1 exited cleanly without joining, so torchrun never stopped rank 0, which waited in
    torch's own join (30 minutes), silent: now it says it waits, then names the fix."""
    script = tmp_path / "rank_0_alone.py"
    script.write_text(_RANK_0_ALONE)
    started = time.monotonic()
    done = subprocess.run(
        [*_one_machine_two_processes(), str(script), str(npz), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "LINEARNETS_JOIN_TIMEOUT": "6"},  # read by torchrun's workers as they join
    )
    assert time.monotonic() - started < 100
    assert done.returncode == 1, done.stderr  # torchrun's, for a worker that failed
    assert done.stdout.splitlines() == ["rank 1: ok"], done.stdout
    note = (
        "rank 0 of 2: still waiting for the other process to join the data-parallel run (gives "
        "up after 6 s): every process torchrun starts must make the same run_softmax and "
        "resume_softmax calls"
    )
    assert note in done.stderr.splitlines(), done.stderr
    errors = [line for line in done.stderr.splitlines() if "UsageError:" in line]
    assert errors == [_rank_1_not_joined(6)], done.stderr
    assert not (tmp_path / "run").exists()  # nothing claimed before the join


# every rank calls run_softmax, rank 1 after 6 s of work of its own (preparing data, say); with
# "join" the script joins the group itself first, as docs/distributed.md says
_RANK_1_BUSY = """
import os, sys, time
import torch.distributed as dist
import linearnets as ln
if sys.argv[3] == "join":
    dist.init_process_group("gloo")
rank = int(os.environ.get("RANK", 0))
if rank == 1:
    time.sleep(6)
ln.run_softmax(ln.SoftmaxConfig(epochs=1, out=sys.argv[2], plot="none", data=sys.argv[1]))
# one write: print's text and its end, two unbuffered writes, interleaved with the other rank's
os.write(1, f"rank {rank}: ok\\n".encode())
if sys.argv[3] == "join":  # a group the script joined, the script leaves (docs/distributed.md)
    dist.destroy_process_group()
"""


@pytest.mark.parametrize("join", ["refused", "join"])
def test_a_rank_busy_before_run_softmax_past_linearnets_join_timeout(
    npz: Path, tmp_path: Path, join: str
) -> None:
    """A healthy rank busy longer than the join's limit ($LINEARNETS_JOIN_TIMEOUT, 3 s here) is
    given up on, the line naming both remedies; the group joined by the script before that work
    is used as it is, with no limit, and the run trains."""
    script = tmp_path / "rank_1_busy.py"
    script.write_text(_RANK_1_BUSY)
    done = subprocess.run(
        [*_one_machine_two_processes(), str(script), str(npz), str(tmp_path / "run"), join],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "LINEARNETS_JOIN_TIMEOUT": "3"},
    )
    if join == "join":
        assert done.returncode == 0, done.stderr
        assert sorted(done.stdout.splitlines()) == ["rank 0: ok", "rank 1: ok"], done.stdout
        assert (tmp_path / "run" / "model.pt").is_file()
        return
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if "UsageError:" in line]
    assert errors == [_rank_1_not_joined(3)], done.stderr
    assert not (tmp_path / "run").exists()


def test_errors_under_torchrun_are_said_once_by_rank_0(npz: Path, tmp_path: Path) -> None:
    # a bad option: every rank parses it, rank 0 alone says so
    done = _torchrun("softmax", "--lr", "0", "--device", "cpu", "--json")
    assert done.returncode != 0
    said = "argument --lr: must be a finite number > 0, got 0; pass e.g. --lr 0.1 (see linearnets softmax --help)"
    assert _our_lines(done.stderr) == [f"linearnets softmax: error: {said}"]
    # the other rank, stopped by torchrun while it waits or still starts, adds no object of its own
    error = {"error": said, "error_type": "UsageError", "exit_status": 2}
    assert done.stdout == json.dumps(error) + "\n"
    # an --out only rank 0 checks: the other rank gets the same error, not a broken connection
    assert _train(npz, tmp_path / "run", "analytic", 1, epochs=1).returncode == 0
    done = _torchrun(
        "softmax",
        "--data",
        str(npz),
        "--device",
        "cpu",
        "--plot",
        "none",
        "--out",
        str(tmp_path / "run"),
    )
    lines = _our_lines(done.stderr)
    assert len(lines) == 1 and "already holds a run" in lines[0], done.stderr
    assert "Connection reset" not in done.stderr
    # commands that do not split their work refuse, once
    done = _torchrun("linreg", "--epochs", "1")
    assert _our_lines(done.stderr) == [
        "linearnets linreg: error: linreg runs in one process, got 2 processes (torchrun); run it "
        "without torchrun (only 'linearnets softmax' trains data-parallel)"
    ]
    assert done.stdout == ""


# python -m linearnets whose rank 1 cannot read the --data file when it loads it (its machine's
# copy went bad after the processes compared it, say): an error of that rank alone, after the join
_RANK_1_CANNOT_LOAD = """
import os, sys
from linearnets.data import arrays
from linearnets.errors import DatasetError
if os.environ["RANK"] == "1":
    def unreadable(path):
        raise DatasetError(f"{path} cannot be read here (Input/output error); copy it again")
    arrays.load_classification_file = unreadable
from linearnets._command import entry
entry()
"""


def test_an_error_of_one_rank_while_it_loads_the_data_is_said_once_by_rank_0(
    npz: Path, tmp_path: Path
) -> None:
    """Rank 1 left the process group as it failed: rank 0 then said gloo's raw "unexpected
    RuntimeError: [.../pair.cc] Connection closed by peer ... GLHF!" (concise: in DDP's first
    broadcast) and torchrun stopped rank 1 before it could say why; now rank 0 names rank 1's
    error, every rank stops before training, and no run folder is left."""
    script = tmp_path / "rank_1_cannot_load.py"
    script.write_text(_RANK_1_CANNOT_LOAD)
    out = tmp_path / "run"
    done = subprocess.run(
        [*_one_machine_two_processes(), str(script), "softmax", "--data", str(npz), "--impl",
         "concise", "--epochs", "1", "--threads", "1", "--plot", "none", "--device", "cpu",
         "--out", str(out), "--json"],
        capture_output=True, text=True, timeout=180, env=_env(),
    )  # fmt: skip
    said = f"rank 1 stopped: {npz} cannot be read here (Input/output error); copy it again"
    assert done.returncode != 0
    assert _our_lines(done.stderr) == [f"linearnets softmax: error: {said}"], done.stderr
    error = {"error": said, "error_type": "DatasetError", "exit_status": 1}
    assert done.stdout == json.dumps(error) + "\n"
    assert not out.exists()


# python -m linearnets whose rank 0 finds the disk full as it writes epoch 2's metrics: an error of
# rank 0's own, mid-run, which the other rank meets as a lost connection
_RANK_0_DISK_FULL = """
import errno, os
from linearnets.training import metrics_files
if os.environ["RANK"] == "0":
    append = metrics_files.MetricsWriter._append
    written = []
    def full(path, text):
        written.append(path)
        if len(written) > 2:  # metrics.jsonl and metrics.csv of epoch 1, then epoch 2's
            raise metrics_files.run_file_error(path, OSError(errno.ENOSPC, "No space left on device"))
        append(path, text)
    metrics_files.MetricsWriter._append = staticmethod(full)
from linearnets._command import entry
entry()
"""


def test_an_error_of_rank_0_mid_run_gives_the_resume_once(npz: Path, tmp_path: Path) -> None:
    """Rank 1 lost rank 0 as it stopped, and said so with the resume in its own words ("rank 0
    keeps the checkpoints in ...; resume with: ..., launched by torchrun as before") beside rank
    0's line: two instructions for one stop. Rank 0 now marks in torchrun's store that it reports
    the stop, and rank 1 stays silent (a rank 0 killed leaves no mark: see the test below)."""
    script = tmp_path / "rank_0_disk_full.py"
    script.write_text(_RANK_0_DISK_FULL)
    out = tmp_path / "run"
    done = subprocess.run(
        [*_one_machine_two_processes(), str(script), "softmax", "--data", str(npz), "--impl",
         "concise", "--epochs", "3", "--batch-size", "64", "--threads", "1", "--plot", "none",
         "--device", "cpu", "--out", str(out), "--json"],
        capture_output=True, text=True, timeout=180, env=_env(),
    )  # fmt: skip
    assert done.returncode != 0
    (line,) = _our_lines(done.stderr)  # rank 0's, and no line of rank 1's
    assert re.fullmatch(
        rf"linearnets softmax: error: {re.escape(str(out / 'metrics.jsonl'))} could not be "
        r"written: the disk is full \([0-9]+ KiB free\); the checkpoint of the run's last "
        r"finished epoch is kept: fix that and continue it with linearnets softmax --resume "
        rf"{re.escape(str(out))}, launched by torchrun as before",
        line,
    ), done.stderr
    assert "resume" not in done.stderr.replace(line, "")
    # written before epoch 2's metrics (a resume rewrites them from its history)
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 2
    # stdout: epoch 1's line, then rank 0's object, the only one
    *epochs, last = done.stdout.splitlines()
    assert [e.split(",")[0] for e in epochs] == ["epoch 1"]
    said = line.removeprefix("linearnets softmax: error: ")
    assert json.loads(last) == {
        "error": said,
        "error_type": "RunFileError",
        "exit_status": 1,
        "run_dir": str(out),
    }


def test_a_start_over_under_torchrun_whose_metrics_cannot_be_rewritten_advises_it_again(
    npz: Path, tmp_path: Path
) -> None:
    """A lost checkpoint's run started over by torchrun with new settings (--epochs 2 --lr 0.3
    --force), its metrics' rewrite failing: the advice was the plain --resume (", launched by
    torchrun as before" was added before the same resume again could replace it), which was
    refused for the epoch the old metrics logged. Now it is this resume again, launched as before."""
    out = tmp_path / "run"
    assert _train(npz, out, "analytic", 1, epochs=1).returncode == 0
    for name in ("checkpoint.pt", "model.pt"):
        (out / name).unlink()
    (out / ".metrics.jsonl.tmp").mkdir()
    done = _torchrun(
        "softmax", "--resume", str(out), "--epochs", "2", "--lr", "0.3", "--force", "--json"
    )
    assert done.returncode != 0
    *notes, line = _our_lines(done.stderr)
    assert notes == _start_over_notes(out), done.stderr  # the finished run's files kept first
    assert line.endswith(
        "; the run has no checkpoint yet: fix that and start it over with linearnets softmax "
        f"--resume {out} --epochs 2 --lr 0.3 --force, launched by torchrun as before"
    ), done.stderr


def test_a_start_over_by_hand_whose_metrics_cannot_be_rewritten_advises_it_again_on_each_rank(
    npz: Path, tmp_path: Path
) -> None:
    """The same start over in 2 processes started by hand: rank 0 advised it again, but rank 1,
    told rank 0 stopped, advised the plain --resume, refused for the epoch the old metrics logged
    ("pass --force"). Each rank now advises this resume again, started as before."""
    out = tmp_path / "run"
    assert _train(npz, out, "analytic", 1, epochs=1).returncode == 0
    for name in ("checkpoint.pt", "model.pt"):
        (out / name).unlink()
    (out / ".metrics.jsonl.tmp").mkdir()
    port = _free_port()
    ranks = []
    for rank in (0, 1):
        env = _env()
        env.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
                   MASTER_PORT=str(port))  # fmt: skip
        cmd = [
            sys.executable, "-m", "linearnets", "softmax", "--resume", str(out), "--epochs", "2",
            "--lr", "0.3", "--force", "--threads", "1",
        ]  # fmt: skip
        ranks.append(
            subprocess.Popen(
                cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
            )
        )
    done = _outputs(ranks, timeout=120)
    assert [proc.returncode for proc in ranks] == [1, 1], done
    again = (
        f"linearnets softmax --resume {out} --epochs 2 --lr 0.3 --threads 1 --force in 2 "
        "processes, started as before"
    )
    for rank, (_, stderr) in enumerate(done):
        *notes, line = _our_lines(stderr)
        # rank 0 keeps the finished run's files before the rewrite that fails, and says so
        assert notes == (_start_over_notes(out) if rank == 0 else []), stderr
        assert line.endswith(again), stderr


def _start_over_notes(out: Path) -> list[str]:
    """The notes of a start over of the finished run in ``out`` (checkpoint.pt and model.pt
    deleted): its metrics files and its results.json and config.json kept as NAME.bak."""
    return [
        f"linearnets: note: before writing the metrics files in {out} again empty to start the "
        "run over: the old metrics.jsonl is kept as metrics.jsonl.bak; the old metrics.csv is kept "
        "as metrics.csv.bak",
        f"linearnets: note: starting the run in {out} over replaces the weights and results of its "
        "finished run: the old results.json is kept as results.json.bak, the old config.json, the "
        "settings that trained them, as config.json.bak",
    ]


# python -m linearnets, its wait for the other processes to join shortened
_PATIENT = (
    "import linearnets.training.distributed as d; d.JOIN_PATIENCE = {}; "
    "from linearnets._command import entry; entry()"
)


def _by_hand(
    npz: Path, out: Path, rank: int, port: int, *extra: str, patience: float | None = None
) -> subprocess.Popen[str]:
    """One process of a 2-process run started without torchrun, as the variables' docs describe
    (``extra`` options last: they override the common ones); ``patience``: how long it waits for
    the other to join (the command's JOIN_PATIENCE, else its own)."""
    env = _env()
    env.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
               MASTER_PORT=str(port))  # fmt: skip
    command = ["-m", "linearnets"] if patience is None else ["-c", _PATIENT.format(patience)]
    cmd = [
        sys.executable, *command, "softmax", "--data", str(npz), "--epochs", "1",
        "--batch-size", "64", "--seed", "3", "--threads", "1", "--plot", "none", "--device", "cpu",
        "--out", str(out), *extra,
    ]  # fmt: skip
    return subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def _rank_0_alone(npz: Path, out: Path) -> subprocess.Popen[str]:
    """Rank 0 of a 2-process run started by hand, once it has said what it waits for (rank 1 never
    comes); the caller stops it."""
    port = _free_port()
    alone = _by_hand(npz, out, 0, port)
    try:
        assert alone.stderr is not None
        # (a process that waits without a word would hang readline(): give it 60 s to speak)
        assert select.select([alone.stderr], [], [], 60)[0], "nothing said on stderr in 60 s"
        assert alone.stderr.readline() == _waiting(0, port)
    except BaseException:
        alone.kill()
        alone.communicate(timeout=30)
        raise
    return alone


def _waiting(rank: int, port: int, seconds: int = 60) -> str:
    return (
        f"rank {rank} of 2: waiting for all 2 processes to join at 127.0.0.1:{port} (started "
        "without torchrun: each needs its own RANK in 0..1 and the same WORLD_SIZE, MASTER_ADDR and "
        f"MASTER_PORT; gives up after {seconds} s)\n"
    )


def test_a_process_started_by_hand_says_what_it_waits_for(npz: Path, tmp_path: Path) -> None:
    """torch waits silently for the missing processes: the command says for what, before it waits."""
    alone = _rank_0_alone(npz, tmp_path / "run")
    try:
        time.sleep(1.0)
        assert alone.poll() is None  # still waiting for rank 1
    finally:
        alone.kill()
        alone.communicate(timeout=30)
    # both started by hand: each says so once, then they train together
    port = _free_port()
    ranks = [_by_hand(npz, tmp_path / "both", rank, port) for rank in (0, 1)]
    done = [proc.communicate(timeout=180) for proc in ranks]
    for rank, (proc, (_, err)) in enumerate(zip(ranks, done, strict=True)):
        assert proc.returncode == 0, err
        assert err.count("waiting for all") == 1 and _waiting(rank, port) in err
    assert "test acc" in done[0][0] and done[1][0] == ""  # rank 0 alone prints the results
    assert (tmp_path / "both" / "model.pt").is_file()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
@pytest.mark.parametrize(
    ("signum", "name"),
    [
        (signal.SIGTERM, "SIGTERM"),
        (signal.SIGINT, "SIGINT"),
    ],
    ids=["sigterm", "sigint"],
)
def test_a_process_waiting_for_its_peers_stops_on_a_signal(
    npz: Path, tmp_path: Path, signum: int, name: str
) -> None:
    """torch waits for the peers in C++, where no Python handler runs: the wait must not hide signals.

    Plain torch in that wait dies of SIGTERM (status 143) and ignores Ctrl-C for up to 30 minutes; the
    command stops as it does anywhere else: one line, status 130, saying that nothing was trained
    and what to do (it said "interrupted" alone).
    """
    line = (
        f"linearnets softmax: interrupted by {name} before training began; nothing was trained or "
        "kept: run the same command again\n"
    )
    alone = _rank_0_alone(npz, tmp_path / "run")
    try:
        time.sleep(0.5)  # inside init_process_group by now
        alone.send_signal(signum)
        _, err = alone.communicate(timeout=20)
    finally:
        if alone.poll() is None:
            alone.kill()
            alone.communicate(timeout=30)
    assert (alone.returncode, err) == (130, line)
    assert not (tmp_path / "run").exists()  # no folder claimed before the group was joined


def test_a_process_whose_peer_failed_before_joining_gives_up_naming_it(
    npz: Path, tmp_path: Path
) -> None:
    """Rank 1 refused its --lr before it could join, and rank 0, started by hand (no torchrun to stop
    it), waited for it up to torch's 30 minutes: now it gives up after JOIN_PATIENCE (2 s here),
    naming rank 1 and pointing to rank 1's own output, which says what it refused."""
    port = _free_port()
    ranks = [
        _by_hand(npz, tmp_path / "run", 0, port, patience=2),
        _by_hand(npz, tmp_path / "run", 1, port, "--lr", "-1", patience=2),
    ]
    done = _outputs(ranks, timeout=30)  # the old rank 0 never ends: killed, the test fails
    assert [proc.returncode for proc in ranks] == [2, 2], done
    assert done[0] == (
        "",
        _waiting(0, port, 2)
        + f"linearnets softmax: error: rank 1 did not join at 127.0.0.1:{port} "
        "within 2 s (rank 0 of 2 waited for it): it may have failed before joining (see its own "
        "output), not have been started or have been given another WORLD_SIZE, MASTER_ADDR or "
        "MASTER_PORT; start every rank with the same options and the same WORLD_SIZE, MASTER_ADDR "
        "and MASTER_PORT, each with its own RANK, within 2 s of each other, or start them all "
        "with torchrun, which stops the others when one fails\n",
    )
    assert done[1] == (
        "",
        "linearnets softmax (rank 1): error: argument --lr: must be a finite number > 0, got -1; "
        "pass e.g. --lr 0.1 (see linearnets softmax --help)\n",
    )
    assert not (tmp_path / "run").exists()  # given up before any folder was claimed


# rank 1 joins the group, then dies at once (killed, out of memory), before the ranks compare settings
_JOINS_THEN_DIES = (
    "import os, torch.distributed as dist; dist.init_process_group('gloo', init_method='env://'); "
    "os._exit(9)"
)


def test_a_process_killed_right_after_it_joined_is_named_in_one_line(
    npz: Path, tmp_path: Path
) -> None:
    """Rank 0 said gloo's raw words ("error: unexpected RuntimeError: [.../pair.cc:537] Read error
    ... GLHF! (re-run with --debug ...)") when its peer died while the settings were compared."""
    port = _free_port()
    env = _env()
    env.update(WORLD_SIZE="2", RANK="1", LOCAL_RANK="1", MASTER_ADDR="127.0.0.1",
               MASTER_PORT=str(port))  # fmt: skip
    dies = subprocess.Popen([sys.executable, "-c", _JOINS_THEN_DIES], env=env, text=True)
    survivor = _by_hand(npz, tmp_path / "run", 0, port)
    (_, err), _ = _outputs([survivor, dies], timeout=120)
    assert survivor.returncode == 1, err
    said = err.replace(_waiting(0, port), "")
    assert re.fullmatch(
        r"linearnets softmax: error: another process of the data-parallel run stopped before "
        r"training began \(lost connection: [^()\n]*by peer[^()\n]*\), or this process is one "
        r"too many for the run: started with a RANK another process has too, or at the "
        r"MASTER_PORT of another job, which trains on without it; if a process stopped, nothing "
        r"was trained: start every process again as before, each with its own RANK and a "
        r"separate job with a port of its own\n",
        said,
    ), said
    assert not (tmp_path / "run").exists()


# run_softmax called by a script that torchrun started, with no dist: the group comes from torchrun's
# environment, as the command's does
_API_SCRIPT = """
import glob, json, os, sys
import linearnets as ln
r = ln.run_softmax(ln.SoftmaxConfig(epochs=1, plot="none", data=sys.argv[1], batch_size=64,
                                    seed=3, num_threads=1, device="cpu", out=None))
import torch.distributed as dist
joined = dist.is_initialized()
again = ln.resume_softmax(r.run_dir, epochs=2)  # the same group again, for the resume
still_joined = joined and dist.is_initialized()
dist.barrier()
dist.destroy_process_group()
# gloo's threads, which a group left but still held keeps running into the interpreter's teardown
threads = sorted(open(task).read().strip() for task in glob.glob("/proc/self/task/*/comm"))
# a file per rank: two ranks printing at once may interleave their lines on the shared stdout
open(f"rank{os.environ['RANK']}.json", "w").write(json.dumps({"rank": os.environ["RANK"], "run_dir": str(r.run_dir),
                  "still_joined": still_joined, "threads": threads,
                  "epochs": len(again.history.epochs), "test_acc": again.history.test_acc[-1]}))
"""


def test_run_softmax_in_a_torchrun_script_trains_one_run_on_every_process(
    npz: Path, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(_API_SCRIPT)
    launcher = _one_machine_two_processes()
    done = subprocess.run(
        [*launcher, str(script), str(npz)],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    said = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [r["rank"] for r in said] == ["0", "1"]
    (run_dir,) = {r["run_dir"] for r in said}  # one run, the same folder named on both ranks
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [Path(run_dir).name]
    config = json.loads((tmp_path / run_dir / "config.json").read_text())
    assert config["world_size"] == 2 and config["resumes"][0]["world_size"] == 2
    # joined once, kept: leaving and joining again in one process races with the other's rendezvous
    assert all(r["still_joined"] for r in said)
    # resume_softmax too trained one run over both processes: the same two epochs on each rank
    assert [r["epochs"] for r in said] == [2, 2] and said[0]["test_acc"] == said[1]["test_acc"]
    # the group left is let go: no gloo thread runs on. The resume's model check imported
    # torch.distributed.nn (through torch._dynamo) with the group joined, its defaults held the
    # group, and at exit a rank was now and then killed by SIGABRT with everything written (cc69,
    # cc71: "terminate called without an active exception")
    assert [[t for t in r["threads"] if "gloo" in t] for r in said] == [[], []], said


def test_processes_started_with_other_options_are_refused_by_every_one_of_them(
    npz: Path, tmp_path: Path
) -> None:
    """Another --epochs on rank 0 once left it waiting in a collective for gloo's 30 minutes (and
    another --seed trained a silently wrong model): now each process stops at once, rank 0 says why."""
    port = _free_port()
    ranks = [
        _by_hand(npz, tmp_path / "run", 0, port, "--epochs", "2"),
        _by_hand(npz, tmp_path / "run", 1, port),
    ]
    done = _outputs(ranks, timeout=60)
    assert [proc.returncode for proc in ranks] == [2, 2], done
    assert done[0][1] == _waiting(0, port) + (
        "linearnets softmax: error: rank 1 was started with --epochs 1, rank 0 with --epochs 2; start "
        "every process with the same options\n"
    )
    # started by hand, each has its own terminal: rank 1 says it too, once rank 0 did not stop it
    assert done[1][1] == _waiting(1, port) + (
        "linearnets softmax (rank 1): error: rank 1 was started with --epochs 1, rank 0 with "
        "--epochs 2; start every process with the same options\n"
    )
    assert not (tmp_path / "run").exists()  # refused before any folder was claimed


def test_a_resume_whose_folder_one_process_lacks_is_refused_by_every_one_of_them(
    npz: Path, tmp_path: Path
) -> None:
    """Rank 1 (on a machine without the run folder) refused --resume before it joined the group, and
    rank 0 waited for it up to gloo's 30 minutes: now both stop at once, rank 0 naming rank 1's error."""
    first = _train(npz, tmp_path / "run", "analytic", 1, epochs=1)
    assert first.returncode == 0, first.stderr
    port = _free_port()
    env = _env()
    env.update(WORLD_SIZE="2", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    resume = [sys.executable, "-m", "linearnets", "softmax", "--epochs", "2", "--threads", "1",
              "--plot", "none", "--resume"]  # fmt: skip
    ranks = [
        subprocess.Popen(
            [*resume, str(run_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "RANK": str(rank)},
        )
        for rank, run_dir in enumerate([tmp_path / "run", tmp_path / "elsewhere"])
    ]
    done = _outputs(ranks, timeout=60)
    assert [proc.returncode for proc in ranks] == [2, 2], done
    missing = (
        f"must be a run folder, got '{tmp_path / 'elsewhere'}', which does not exist; pass the "
        "folder a 'linearnets softmax' run wrote (it printed 'run folder: ...')\n"
    )
    # in the command line's words, as rank 1 says it itself: RUN_DIR (it kept run_dir)
    assert done[0][1] == _waiting(0, port) + (
        f"linearnets softmax: error: rank 1 stopped: RUN_DIR {missing}"
    )
    assert (
        done[1][1] == _waiting(1, port) + f"linearnets softmax (rank 1): error: RUN_DIR {missing}"
    )
    assert [m["epoch"] for m in _metrics(tmp_path / "run")] == [1]  # nothing trained


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a device this machine lacks: CUDA")
def test_a_device_one_process_cannot_use_is_refused_by_every_one_of_them(
    npz: Path, tmp_path: Path
) -> None:
    """Rank 1 given --device cuda on a machine without CUDA refused it before it joined the group,
    and rank 0 waited for it up to gloo's 30 minutes: now both stop at once, rank 0 naming it."""
    port = _free_port()
    ranks = [
        _by_hand(npz, tmp_path / "run", 0, port),
        _by_hand(npz, tmp_path / "run", 1, port, "--device", "cuda"),
    ]
    started = time.monotonic()
    done = _outputs(ranks, timeout=60)
    assert time.monotonic() - started < 30, done  # seconds, not gloo's 30 minutes
    assert [proc.returncode for proc in ranks] == [2, 2], done
    no_cuda = (
        f"device 'cuda' needs CUDA, but no CUDA GPU is available here (torch {torch.__version__}); "
        "pass e.g. --device auto (CUDA when there is one, else the CPU)\n"
    )
    assert done[0][1] == _waiting(0, port) + f"linearnets softmax: error: rank 1 stopped: {no_cuda}"
    assert done[1][1] == _waiting(1, port) + f"linearnets softmax (rank 1): error: {no_cuda}"
    assert not (tmp_path / "run").exists()  # refused before any folder was claimed


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _rank_of(pid: int) -> str:
    environ = (Path("/proc") / str(pid) / "environ").read_bytes().split(b"\0")
    return next(v.decode()[5:] for v in environ if v.startswith(b"RANK="))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and POSIX signals")
@pytest.mark.parametrize("killed", ["1", "0"])
def test_a_worker_killed_mid_run_leaves_one_line_naming_the_checkpoint_and_the_resume(
    npz: Path, tmp_path: Path, killed: str
) -> None:
    """SIGKILL (the OOM killer's) to rank 1: rank 0 printed gloo's raw "unexpected RuntimeError:
    [.../gloo/transport/tcp/pair.cc:537] Read error ...: Connection reset by peer ... GLHF!".
    Rank 0 killed leaves no mark that it reports its stop: rank 1 says it, with the resume."""
    launcher = _one_machine_two_processes()
    out = tmp_path / "cut"
    args = [
        "-m", "linearnets", "softmax", "--data", str(npz), "--impl", "concise", "--epochs", "1000",
        "--batch-size", "64", "--threads", "1", "--plot", "none", "--device", "cpu", "--out", str(out),
    ]  # fmt: skip
    job = _started_alone([*launcher, *args])
    try:
        deadline = time.monotonic() + 60
        while not (out / "checkpoint.pt").exists():
            assert job.poll() is None and time.monotonic() < deadline, job.communicate()
            time.sleep(0.01)
        (victim,) = [pid for pid in _children(job.pid) if _rank_of(pid) == killed]
        os.kill(victim, signal.SIGKILL)
        _, err = job.communicate(timeout=60)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.communicate(timeout=30)
    assert job.returncode != 0
    kept = torch.load(out / "checkpoint.pt", weights_only=True)["epoch"]
    assert 1 <= kept < 1000
    lines = _our_lines(err)  # the survivor's, and nothing of gloo's
    assert len(lines) == 1, err  # shown: a CI run once found none, and no stderr to tell why
    (line,) = lines
    survivor, where = (
        ("", f"the checkpoint of epoch {kept} is kept in {out}")
        if killed == "1"
        else (" (rank 1)", f"rank 0 keeps the checkpoints in {out}")
    )
    assert re.fullmatch(
        rf"linearnets softmax{re.escape(survivor)}: error: another process of the data-parallel "
        r"run stopped \(lost connection: [^;]*\); "
        + re.escape(
            f"{where}; resume with: linearnets softmax --resume {out}, launched by torchrun as "
            "before"
        ),
        line,
    ), err
    assert "GLHF" not in err


# PyTorch's DDP tutorial: the script joins the group itself (rank and world size as arguments, no
# torchrun variables), then calls run_softmax and resume_softmax with dist left at its default
_JOINED_SCRIPT = """
import glob, json, sys
import torch.distributed as dist
import linearnets as ln
rank, port, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
r = ln.run_softmax(ln.SoftmaxConfig(data=data, epochs=1, batch_size=64, seed=3, num_threads=1,
                                    plot="none", device="cpu", out=out))
again = ln.resume_softmax(out, epochs=2)
dist.barrier()  # neither tears gloo down while the other still uses it (SIGABRT at exit)
dist.destroy_process_group()
# the threads still running once the group is left (gloo's, while something still holds it)
threads = sorted(open(task).read().strip() for task in glob.glob("/proc/self/task/*/comm"))
open(f"rank{rank}.json", "w").write(json.dumps({"run_dir": str(r.run_dir), "threads": threads,
     "epochs": len(again.history.epochs), "test_acc": again.history.test_acc[-1]}))
"""


def _joined(
    source: str, npz: Path, out: str, tmp_path: Path
) -> tuple[list[subprocess.Popen[str]], list[tuple[str, str]]]:
    """Run the script ``source`` as ranks 0 and 1 of a group it joins itself (no torchrun
    variables), given its rank, a free port, the data and ``out``; return them and their outputs."""
    script = tmp_path / "joined.py"
    script.write_text(source)
    env = _env()
    for name in ("RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    port = str(_free_port())
    ranks = [
        subprocess.Popen(
            [sys.executable, str(script), str(rank), port, str(npz), out],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for rank in (0, 1)
    ]
    return ranks, _outputs(ranks, timeout=120)


def test_run_softmax_trains_in_a_process_group_its_caller_joined(npz: Path, tmp_path: Path) -> None:
    """Each process once trained alone (two folders, world_size 1), or, with one out=, rank 0 was
    refused: "is being written by another linearnets run"."""
    out = str(tmp_path / "run")
    ranks, done = _joined(_JOINED_SCRIPT, npz, out, tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 0], done
    said = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [r["run_dir"] for r in said] == [out, out] and [r["epochs"] for r in said] == [2, 2]
    assert said[0]["test_acc"] == said[1]["test_acc"]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["world_size"] == 2 and config["resumes"][0]["world_size"] == 2
    # the group the script left is let go: no gloo thread runs on into the interpreter's teardown.
    # linearnets imported torch.distributed.nn (as torch._dynamo, which the first optimizer
    # imports, would have) after the script had joined: its functions' defaults, group.WORLD,
    # held the group, and a rank was now and then killed at exit by SIGABRT ("terminate called
    # without an active exception") with everything written (CI of session 72)
    assert [[t for t in r["threads"] if "gloo" in t] for r in said] == [[], []], said


# rank 1 ends (os._exit, as a crash would) once its epochs are trained, before the run's last
# barrier; rank 0 has then written every output
_GONE_AT_THE_END = """
import os, sys
import torch.distributed as dist
import linearnets as ln
from linearnets.tasks import training_run
rank, port, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
if rank == 1:
    training_run._finish = lambda *args, **kwargs: os._exit(3)
try:
    ln.run_softmax(ln.SoftmaxConfig(data=data, epochs=2, batch_size=64, seed=3, num_threads=1,
                                    plot="none", device="cpu", out=out))
except Exception as exc:
    print(type(exc).__name__, exc)
# rank 0 ended with gloo's threads alive, its peer gone: an exit with them running is what was
# aborted at interpreter exit under a loaded CI ("terminate called without an active exception",
# -6); let go of the group (a lost peer's error is not this test's) and end once said
try:
    if dist.is_initialized():
        dist.destroy_process_group()
except Exception:
    pass
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
"""


def test_a_peer_gone_at_the_last_barrier_is_named_with_the_run_complete(
    npz: Path, tmp_path: Path
) -> None:
    """gloo's raw "Connection closed by peer" at the barrier after the last epoch was told as an
    unexpected RuntimeError; rank 0 has written the whole run by then, and says so."""
    out = str(tmp_path / "run")
    ranks, ((said, err), _) = _joined(_GONE_AT_THE_END, npz, out, tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 3], (said, err)
    assert (tmp_path / "run" / "results.json").is_file() and (
        tmp_path / "run" / "model.pt"
    ).is_file()
    assert re.fullmatch(
        r"PeerLostError another process of the data-parallel run stopped after the last epoch "
        r"\(lost connection: [^;]*\); the run is complete, its weights and results written in "
        + re.escape(out)
        + "\n",
        said,
    ), said


@pytest.mark.parametrize("impl", ["analytic", "concise"])
def test_a_blow_up_inside_the_guards_first_64_examples_stops_2_processes_as_1(
    npz: Path, tmp_path: Path, impl: str
) -> None:
    """Batches of 16 to 63 inside the guard's first 64 examples were judged by their median
    example, which a data-parallel step (an all-reduced sum and count) has not: under torchrun
    ``--batch-size 32 --lr 1e30`` trained to the end, exit 0, its blown-up weights saved, where one
    process stopped at step 2. The oracle: the one-process run's own stop, word for word up to
    its advice (which names torchrun)."""
    args = [
        "softmax", "--data", str(npz), "--impl", impl, "--batch-size", "32", "--lr", "1e30",
        "--epochs", "2", "--seed", "3", "--threads", "1", "--plot", "none", "--device", "cpu",
    ]  # fmt: skip
    one = subprocess.run(
        [sys.executable, "-m", "linearnets", *args, "--out", str(tmp_path / "one")],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
    )
    two = _torchrun(*args, "--out", str(tmp_path / "two"))
    assert one.returncode == two.returncode == 1
    stop = one.stderr.strip().split("; no epoch had finished")[0]
    assert stop.startswith("linearnets softmax: error: training diverged at batch 2 of epoch 1: ")
    assert [line.split("; no epoch had finished")[0] for line in _our_lines(two.stderr)] == [stop]
    assert not (tmp_path / "two" / "model.pt").exists()


# both ranks train a run guarded from its start (2 epochs) and one with guard=False (1 epoch),
# then resume the latter with guard=True; each writes the start its guard was given
_GUARD_TURNED_ON = """
import sys
from dataclasses import replace
import torch.distributed as dist
import linearnets as ln
from linearnets.tasks import resume
rank, port, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
config = ln.SoftmaxConfig(data=data, epochs=2, batch_size=64, seed=3, num_threads=1, plot="none",
                          device="cpu")
ln.run_softmax(replace(config, out=out + "-guarded"))
ln.run_softmax(replace(config, epochs=1, guard=False, out=out))
seeded = resume.seed_guard_start
def noted(guard, **given):
    seeded(guard, **given)
    open(f"rank{rank}.txt", "w").write(repr((guard.start_loss, guard.first_loss)))
resume.seed_guard_start = noted
ln.resume_softmax(out, epochs=2, guard=True)
dist.barrier()  # neither tears gloo down while the other still uses it (SIGABRT at exit)
dist.destroy_process_group()
"""


def test_a_guard_turned_on_at_a_resume_starts_alike_on_every_rank(
    npz: Path, tmp_path: Path
) -> None:
    """A guard=False run resumed with guard=True is given the untrained model's loss on the
    run's first batches as its start: each rank holds its share of a batch (32 of 64 rows), so
    each rank's own losses gave two starts, and two decisions. The batch's loss sum and count are
    summed over the processes, as the guard sums a step's: both ranks take the start of the run
    guarded from its start in 2 processes (the oracle: its checkpoint), and train its weights."""
    out = str(tmp_path / "run")
    ranks, done = _joined(_GUARD_TURNED_ON, npz, out, tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 0], done
    said = [(tmp_path / f"rank{rank}.txt").read_text() for rank in (0, 1)]
    from linearnets.training.checkpoint import load_checkpoint

    guard = load_checkpoint(tmp_path / "run-guarded" / "checkpoint.pt").extra["guard"]
    assert said == [repr((guard["start_loss"], guard["first_loss"]))] * 2
    weights = [
        torch.load(tmp_path / name / "model.pt", weights_only=True)["state_dict"]
        for name in ("run", "run-guarded")
    ]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[1])


# both ranks train a run at lr 0.1, then resume it forced to lr 1e30, which diverges in its first
# epoch; each writes its DivergenceError's message
_FORCED_AND_DIVERGED = """
import sys
import torch.distributed as dist
import linearnets as ln
from linearnets.errors import DivergenceError
rank, port, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
ln.run_softmax(ln.SoftmaxConfig(data=data, epochs=1, batch_size=64, seed=3, num_threads=1,
                                plot="none", device="cpu", out=out))
try:
    ln.resume_softmax(out, epochs=3, lr=1e30, force=True)
except DivergenceError as exc:
    open(f"rank{rank}.txt", "w").write(str(exc))
# neither tears gloo down while the other still uses it: rank 1 once died at exit, "terminate
# called without an active exception" (SIGABRT), on a loaded CI machine
dist.barrier()
dist.destroy_process_group()
"""


def test_every_rank_advises_the_forced_values_a_diverged_resume_put_back(
    npz: Path, tmp_path: Path
) -> None:
    """A forced lr 1e30 that diverged before the resume's first checkpoint is put back in
    config.json (0.1), so the advice to train on regardless names it. Rank 0 alone rewrote its
    message, parsing its own advice: rank 1 advised resume_softmax(DIR, guard=False), which would
    train at lr 0.1. Now every rank builds it from the values put back, word for word alike."""
    out = str(tmp_path / "run")
    ranks, done = _joined(_FORCED_AND_DIVERGED, npz, out, tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 0], done
    said = [(tmp_path / f"rank{rank}.txt").read_text() for rank in (0, 1)]
    assert said[1] == said[0]
    assert said[0].endswith(
        f"; the checkpoint of epoch 1 is kept in {out} (continue it with a smaller lr: "
        f"linearnets.resume_softmax({out!r}, lr=0.5, force=True) in 2 processes, started as "
        "before); a loss that grew may still settle, far above a smaller lr's: "
        f"linearnets.resume_softmax({out!r}, lr=1e+30, force=True, guard=False) in 2 processes, "
        "started as before, trains on regardless"
    ), said[0]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["config"]["lr"] == 0.1  # put back by rank 0


# each rank runs random labels at lr 1e4, one batch an epoch, guarded by the run's own guard and
# then by a DivergenceGuard of its caller's; each writes both stops (its file names, not its data,
# from the npz given: random labels blow up where the blobs' separable ones settle)
_CALLERS_GUARD = """
import sys
import numpy as np
import torch.distributed as dist
import linearnets as ln
from linearnets.errors import LinearnetsError
rank, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
rng = np.random.default_rng(0)
if rank == 0:
    np.savez("random.npz", X=rng.normal(size=(200, 5)).astype(np.float32), y=rng.integers(0, 4, 200))
dist.barrier()
said = []
for whose in ("own", "yours"):
    config = ln.SoftmaxConfig(data="random.npz", epochs=2, batch_size=200, lr=1e4, seed=3,
                              num_threads=1, plot="none", device="cpu", out=f"{out}-{whose}",
                              guard=whose == "own")
    try:
        ln.run_softmax(config, callbacks=[ln.DivergenceGuard(1e4)] if whose == "yours" else [])
    except LinearnetsError as exc:
        said.append(type(exc).__name__ + ": " + str(exc).replace(f"{out}-{whose}", "RUN"))
open(f"rank{rank}.txt", "w").write("\\n".join(said))
dist.barrier()
dist.destroy_process_group()
# ended here, its outcome written: under a full suite's load rank 1 was once aborted by gloo's
# threads at interpreter exit (cc99: "terminate called without an active exception", -6), after
# both had written what stopped them, as the writer cases of the next test were
import os
os._exit(0)
"""


def test_a_divergence_guard_of_the_callers_stops_every_rank_as_the_runs_own_does(
    npz: Path, tmp_path: Path
) -> None:
    """A DivergenceGuard passed in callbacks= ran on rank 0 alone, judging its share of the loss
    (645.1 where the run's own guard, summing over the processes, sees 666.3): rank 0 stopped
    and rank 1 was told of a lost process and a resume with no checkpoint behind it. Now every
    rank runs it, given the run's dist: the stop is the run's own guard's, word for word."""
    out = str(tmp_path / "run")
    ranks, done = _joined(_CALLERS_GUARD, npz, out, tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 0], done
    said = [(tmp_path / f"rank{rank}.txt").read_text().split("\n") for rank in (0, 1)]
    own = said[0][0]
    assert own.startswith(
        "DivergenceError: training diverged in epoch 1: the loss of its last examples after the "
        "epoch's last update is "
    ), own
    assert said == [[own, own], [own, own]], said


# what every rank is told of a guard passed on rank 0 alone
_UNEVEN_GUARDS = (
    "UsageError: callbacks= held a different number of DivergenceGuards on each process "
    "(rank 0: 1, rank 1: 0); pass the same guards on every process (each sums the loss over all "
    "of them), or none"
)

# a guard in rank 0's callbacks alone, in a new run or (RESUMING) the resume of a run both ranks
# trained for an epoch, its files listed first; each rank writes what stopped it
_GUARD_ON_RANK_0 = """
import dataclasses, os, sys
import torch.distributed as dist
import linearnets as ln
rank, port, data, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
config = ln.SoftmaxConfig(data=data, epochs=2, batch_size=64, seed=3, num_threads=1, plot="none",
                          device="cpu", out=out)
from linearnets.training.callbacks import MetricsWriter
guards = [CALLBACK] if rank == 0 else []
if RESUMING:
    ln.run_softmax(dataclasses.replace(config, epochs=1))
    dist.barrier()
    if rank == 0:
        open("before.txt", "w").write(repr(sorted(
            (name, open(os.path.join(out, name), "rb").read()) for name in os.listdir(out))))
    dist.barrier()
try:
    if RESUMING:
        ln.resume_softmax(out, epochs=2, callbacks=guards)
    else:
        ln.run_softmax(config, callbacks=guards)
    said = "trained"
except Exception as exc:
    said = f"{type(exc).__name__}: {exc}"
open(f"rank{rank}.txt", "w").write(said)
dist.barrier()
dist.destroy_process_group()
# ended here, its outcome written: under a full suite's load rank 0 of the writer's cases was
# sometimes aborted by gloo's threads at interpreter exit ("terminate called without an active
# exception", -6), after both had said what stopped them
os._exit(0)
"""


@pytest.mark.parametrize("resuming", [False, True], ids=["run", "resume"])
@pytest.mark.parametrize("callback", ["guard", "writer"])
def test_a_divergence_guard_or_a_refused_writer_on_one_rank_alone_is_refused_on_every_rank(
    npz: Path, tmp_path: Path, resuming: bool, callback: str
) -> None:
    """A guard sums each step's loss over the processes: passed on rank 0 alone, rank 0 waited in
    a collective rank 1 never joined, and gloo aborted it ("op.preamble.length <= op.nbytes"),
    rank 1 advising a resume with no checkpoint behind it. A MetricsWriter given the run's own
    folder on rank 0 alone was refused there alone: rank 1 waited in the settings' gather (gloo:
    30 minutes), or was told "start every process again as before". Every rank is now told,
    before any step, by run_softmax and resume_softmax alike: a new run's folder is left as it
    was found, a resumed run's files byte for byte as they were."""
    out = tmp_path / "run"
    made = "ln.DivergenceGuard(0.1)" if callback == "guard" else "MetricsWriter(out)"
    script = _GUARD_ON_RANK_0.replace("RESUMING", str(resuming)).replace("CALLBACK", made)
    ranks, done = _joined(script, npz, str(out), tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 0], done
    said = [(tmp_path / f"rank{rank}.txt").read_text() for rank in (0, 1)]
    if callback == "guard":
        assert said == [_UNEVEN_GUARDS] * 2, said
    else:
        refused = (
            f"callbacks[0], a MetricsWriter, writes metrics.jsonl and metrics.csv in {out}, the "
            "run folder, where the run writes them itself: each epoch's row would be written "
            "twice; leave it out of callbacks= (the run keeps its own there), or give it another "
            "folder"
        )
        assert said == [f"UsageError: {refused}", f"UsageError: rank 0 stopped: {refused}"], said
    if not resuming:
        assert not out.exists()
        return
    after = repr(sorted((path.name, path.read_bytes()) for path in out.iterdir()))
    assert after == (tmp_path / "before.txt").read_text()


# each rank fits its share with partial(F.cross_entropy, weight=w) and nn.CrossEntropyLoss(weight=w)
# from one start, and prints both runs' losses and weights
_WEIGHTED_PARTIAL = """
import functools, json, sys
import torch, torch.nn.functional as F
import torch.distributed as dist
from torch import nn
import linearnets as ln
from linearnets.training.distributed import DistContext
rank, port = int(sys.argv[1]), sys.argv[2]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
torch.manual_seed(0)
X, y, w = torch.randn(64, 5), torch.randint(0, 4, (64,)), torch.tensor([1.0, 2.0, 0.5, 3.0])
said = {}
for name, loss in (("partial", functools.partial(F.cross_entropy, weight=w)),
                   ("module", nn.CrossEntropyLoss(weight=w))):
    torch.manual_seed(1)
    net = nn.Linear(5, 4)
    h = ln.fit(net, ln.load_array((X[rank::2], y[rank::2]), 8, is_train=False), loss,
               torch.optim.SGD(net.parameters(), lr=0.1), 2, dist=DistContext(rank=rank, world_size=2))
    said[name] = [h.train_loss, net.weight.tolist()]
print(json.dumps(said))
dist.barrier()
dist.destroy_process_group()
"""


def test_a_partial_of_class_weighted_cross_entropy_trains_2_processes_as_torchs_module(
    tmp_path: Path,
) -> None:
    """The shares' seeds read the partial's ignore_index attribute, which a partial has not: every
    rank failed its first step (AttributeError)."""
    ranks, done = _joined(_WEIGHTED_PARTIAL, tmp_path, "", tmp_path)
    assert [proc.returncode for proc in ranks] == [0, 0], done
    for out, _ in done:
        said = json.loads(out)
        assert said["partial"] == said["module"]
