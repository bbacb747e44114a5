"""How many CPU cores this process may run on: the plotting child's thread count, and the bound
past which a run's ``num_threads`` only slows it (:func:`~linearnets.seeding.pin_threads`)."""

from __future__ import annotations

import os

__all__ = ["usable_cores"]


def usable_cores() -> int:
    """Return how many cores this process may run on (its affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)
