"""What the benchmarks print about the machine they ran on."""

from __future__ import annotations

import argparse
import math
import platform
from collections.abc import Callable
from pathlib import Path


def cpu_name() -> str:
    """Return the CPU's model name from ``/proc/cpuinfo`` ("AMD EPYC"), else what Python knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:  # not Linux
        lines = []
    names = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    return next(names, platform.processor() or platform.machine() or "?")


def at_least(minimum: int) -> Callable[[str], int]:
    """Return argparse's ``type`` for a whole number of at least ``minimum`` (``--repeats 0``
    would time nothing, and the medians end in a traceback)."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return whole_number


positive_int = at_least(1)


def positive_float(text: str) -> float:
    """Return ``text`` as a finite number above 0: argparse's ``type`` for sizes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value
