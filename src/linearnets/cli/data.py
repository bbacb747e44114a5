"""``linearnets data``: placeholder until the data layer lands."""

from __future__ import annotations

from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``data`` subcommand."""
    sub.add_parser("data", help="find, verify and show Fashion-MNIST")
