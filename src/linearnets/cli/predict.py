"""``linearnets predict RUN_DIR``: reload a run's weights and draw predictions (D2L §3.6.7)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``predict`` subcommand."""
    p = sub.add_parser("predict", help="reload a run's weights and draw predictions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets predict``; return the exit status."""
    raise NotImplementedError
