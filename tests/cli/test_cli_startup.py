"""The command answers ``--help``, ``--version`` and bad settings without loading torch.

Loading torch takes one to several seconds on the 2-core VM (``bench/bench_startup.py``); a learner's
typo in an option should be told at once. Each case runs the command in a fresh interpreter, as
the console script does, and asks at its exit which of torch, NumPy and matplotlib were loaded.
"""

from __future__ import annotations

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
