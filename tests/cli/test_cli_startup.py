"""The command answers ``--help``, ``--version`` and bad settings without loading torch.

Loading torch takes one to several seconds on the 2-core VM (``bench/bench_startup.py``); a learner's
typo in an option should be told at once. Each case runs the command in a fresh interpreter, as
the console script does, and asks at its exit which of torch, NumPy and matplotlib were loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# the command as the console script starts it; as it leaves, which heavy libraries it loaded
_CHILD = """
import atexit, os, sys

def report():
    loaded = sorted(m for m in ("torch", "numpy", "matplotlib") if m in sys.modules)
    print("loaded:", *loaded, file=sys.stderr, flush=True)

def leave(code, _exit=os._exit):  # the command leaves by os._exit, which skips atexit
    atexit.unregister(report)
    report()
    _exit(code)

atexit.register(report)  # argparse's own exits: --help, --version, a line that did not parse
os._exit = leave
sys.argv = ["linearnets", *sys.argv[1:]]
from linearnets._command import entry
entry()
"""

_CASES = [
    (("--help",), 0, "usage: linearnets"),
    (("--version",), 0, "linearnets "),
    (("softmax", "--help"), 0, "usage: linearnets softmax"),
    (("linreg", "--help"), 0, "usage: linearnets linreg"),
    (("predict", "--help"), 0, "usage: linearnets predict"),
    (("data", "--help"), 0, "usage: linearnets data"),
    (("softmax", "--epochs", "0", "--help"), 0, "usage: linearnets softmax"),
    (("softmax", "--epochs", "0"), 2, "argument --epochs: must be a positive integer"),
    (("linreg", "--lr", "-1"), 2, "argument --lr: must be a finite number > 0"),
    (("softmax", "--device", "gpu"), 2, "device"),
    # checked by the config, once the options parsed: before the training modules load
    (("softmax", "--resize", "4000", "--batch-size", "100000"), 2, "must fit in 2 GiB per batch"),
    # a device's kind alone is read without torch; only an index needs its parser
    (
        ("softmax", "--device", "cuda", "--resize", "4000", "--batch-size", "100000"),
        2,
        "must fit in 2 GiB per batch",
    ),
    (("softmax", "--force"), 2, "--force only applies with --resume"),
    (("linreg", "--force"), 2, "--force only applies with --resume"),
    (("linreg", "--out", "x", "--resume", "y"), 2, "--out"),
    (("linreg", "--data", "x.npz", "--noise-std", "0.1"), 2, "cannot be combined with --data"),
]


@pytest.mark.parametrize(("argv", "status", "says"), _CASES, ids=[" ".join(c[0]) for c in _CASES])
def test_the_command_answers_without_loading_torch(
    argv: tuple[str, ...], status: int, says: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == status, done.stderr
    assert says in done.stdout + done.stderr
    (loaded,) = [line for line in done.stderr.splitlines() if line.startswith("loaded:")]
    assert loaded == "loaded:", f"linearnets {' '.join(argv)} {loaded}"


def test_a_device_name_only_torch_can_read_is_still_read_by_torch() -> None:
    # "cuda:0" and "cpu:0" are names torch's parser takes; a malformed one is refused all the same
    from linearnets.config_checks import check_device_name
    from linearnets.errors import UsageError

    assert check_device_name("cpu:0") == "cpu:0"
    assert check_device_name("cuda:1") == "cuda:1"
    assert check_device_name("mps") == "mps"
    with pytest.raises(
        UsageError, match=r"device must be one of auto, cpu, cuda, cuda:N, mps, got 'cuda:x'"
    ):
        check_device_name("cuda:x")


def _under_world_size_2(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the command as _CHILD does, with WORLD_SIZE=2 and no other torchrun variable."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["WORLD_SIZE"] = "2"
    return subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], capture_output=True, text=True, timeout=120, env=env
    )


def test_a_share_of_a_batch_past_2_gib_is_refused_per_process_without_loading_torch() -> None:
    """Under torchrun each of 2 processes holds rows 0, 2, ... / 1, 3, ... of a batch: with
    --batch-size 1073741825 at --resize 1, rank 0's 536870913 float32 values are 4 bytes past
    2 GiB, told as such, in the command's words, before torch loads."""
    done = _under_world_size_2("softmax", "--resize", "1", "--batch-size", "1073741825")
    share = len(range(0, 1073741825, 2))
    assert done.returncode == 2, done.stderr
    assert (
        "linearnets softmax: error: --batch-size × --resize² float32 values must fit in 2 GiB per "
        "process's share of a batch, got --batch-size 1073741825 over 2 processes, up to "
        f"{share} each: {share} × 1² (2 GiB + 4 bytes); lower --resize or --batch-size, or start "
        "more processes (torchrun --nproc_per_node)\n"
    ) in done.stderr
    assert "loaded:\n" in done.stderr


@pytest.mark.parametrize(
    ("resize", "batch_size", "past"),
    [("28", "684785", "2 GiB + 2,112 bytes"), ("256", "8193", "2 GiB + 262,144 bytes")],
)
def test_a_batch_one_image_past_2_gib_is_refused_as_past_it_without_loading_torch(
    resize: str, batch_size: str, past: str
) -> None:
    """One image more than 2 GiB holds was said as "(2.0 GiB)" against "must fit in 2 GiB", as if
    it were the limit itself: its size now reads as past it, in the command's words."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "softmax", "--resize", resize, "--batch-size", batch_size],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "linearnets softmax: error: --batch-size × --resize² float32 values must fit in 2 GiB per "
        f"batch, got {batch_size} × {resize}² ({past}); lower --resize or --batch-size\n"
        "loaded:\n"
    )


def test_a_batch_past_2_gib_whose_share_fits_goes_on_to_the_data_parallel_setup() -> None:
    """--batch-size 536870913 at --resize 1 is 4 bytes past 2 GiB in one process, refused; under
    WORLD_SIZE=2 each holds half of it at most, so the settings are taken, and the command goes
    on to the launcher's variables (none set here: no process is started)."""
    argv = ("softmax", "--resize", "1", "--batch-size", "536870913", "--device", "cpu")
    done = _under_world_size_2(*argv)
    assert done.returncode == 2, done.stderr
    assert "2 GiB" not in done.stderr
    assert (
        "linearnets softmax: error: WORLD_SIZE=2 asks for a data-parallel run, but RANK, "
        "MASTER_ADDR, MASTER_PORT are not set"
    ) in done.stderr
