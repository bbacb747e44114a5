"""argparse ``type=`` converters that reject bad values with one line naming the rule."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

MAX_SHOW = 100  # images in one figure (data show, predict): a grid beyond this is unreadable


def positive_int(text: str) -> int:
    """Parse an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (>= 1), got {value}")
    return value


def non_negative_int(text: str) -> int:
    """Parse an integer ≥ 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (>= 0), got {value}")
    return value


def positive_float(text: str) -> float:
    """Parse a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """Parse a finite number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def path_arg(text: str) -> Path:
    """Parse a file or folder path: any non-empty string (``Path("")`` would silently mean ``.``)."""
    if not text:
        raise argparse.ArgumentTypeError(
            "must be a path, got an empty string; pass a file or folder name (. for this folder)"
        )
    return Path(text)
