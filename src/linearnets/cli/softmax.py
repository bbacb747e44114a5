"""``linearnets softmax``: train softmax regression on Fashion-MNIST (D2L §3.6–3.7)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``softmax`` subcommand."""
    p = sub.add_parser("softmax", help="train softmax regression on Fashion-MNIST")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets softmax``; return the exit status."""
    raise NotImplementedError
