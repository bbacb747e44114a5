"""The ``linearnets`` command's start: how long its modules take to load, and the whole of ``--help``.

Loading :mod:`linearnets.cli` is the window in which the command has no signal handler of its own
(:mod:`linearnets._command` holds a stop that comes then). Each figure comes from a fresh
interpreter: (a) ``linearnets.cli``'s cumulative import time as ``python -X importtime`` reports it,
(b) the wall time of ``python -c pass`` (Python's own start), of ``python -c "import torch"`` (what
the command no longer loads before it answers these), of ``python -m linearnets --help`` and of a
setting refused (``python -m linearnets softmax --epochs 0``, exit status 2).

Run: ``.venv/bin/python bench/bench_startup.py [--repeats 10]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

from _machine import cpu_name, positive_int


def cli_import_seconds() -> float:
    """Return ``linearnets.cli``'s cumulative import time, in seconds, from a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import linearnets.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stderr.splitlines():
        # "import time:  self [us] | cumulative | imported package"
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == "linearnets.cli":
            return int(parts[1]) / 1e6
    raise RuntimeError("python -X importtime did not report linearnets.cli")


def wall_seconds(*args: str, status: int = 0) -> float:
    """Return the wall time of ``python ARGS`` in a fresh interpreter, which must exit ``status``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != status:
        raise RuntimeError(f"python {' '.join(args)} exited {done.returncode}, not {status}")
    return seconds


def spread(values: list[float]) -> str:
    """Return 'median M s (from LO to HI)' for a list of seconds."""
    return f"median {statistics.median(values):.3f} s (from {min(values):.3f} to {max(values):.3f})"


def main() -> None:
    """Measure each figure ``--repeats`` times, interleaved, and print the spreads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=10)
    args = parser.parse_args()
    imports, bare, torches, helps, refusals = [], [], [], [], []
    for _ in range(args.repeats):
        imports.append(cli_import_seconds())
        bare.append(wall_seconds("-c", "pass"))
        torches.append(wall_seconds("-c", "import torch"))
        helps.append(wall_seconds("-m", "linearnets", "--help"))
        refusals.append(wall_seconds("-m", "linearnets", "softmax", "--epochs", "0", status=2))
    print(
        f"{os.cpu_count()} cores ({cpu_name()}), "
        f"python {platform.python_version()}, {args.repeats} fresh interpreters each"
    )
    print(f"import linearnets.cli (-X importtime, cumulative): {spread(imports)}")
    print(f"python -c pass (Python's own start):              {spread(bare)}")
    print(f"python -c 'import torch':                         {spread(torches)}")
    print(f"python -m linearnets --help (whole command):      {spread(helps)}")
    print(f"python -m linearnets softmax --epochs 0 (refused): {spread(refusals)}")


if __name__ == "__main__":
    main()
