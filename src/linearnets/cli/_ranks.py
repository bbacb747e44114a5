"""Which process speaks under torchrun: this process's rank, and the wait of a rank that stays silent.

Every rank parses the same command line and meets the same errors; rank 0 alone prints them, so a
failure is said once. Commands that do not split their work refuse to run in several processes.
"""

from __future__ import annotations

import os

from linearnets.errors import UsageError

__all__ = ["let_rank_0_speak", "rank", "refuse_data_parallel"]


def rank() -> int:
    """Return this process's rank under torchrun (from its environment), 0 otherwise.

    A ``RANK`` that no launcher set (no ``WORLD_SIZE`` above 1, no ``MASTER_ADDR``/``MASTER_PORT``,
    or outside ``[0, WORLD_SIZE)``) is ignored: that process must still say what went wrong.
    """
    from linearnets.training.distributed import env_int

    try:
        rank, world = env_int("RANK", 0), env_int("WORLD_SIZE", 1)
    except UsageError:  # a malformed RANK or WORLD_SIZE: speak, rather than fail while reporting
        return 0
    launched = all(os.environ.get(name) for name in ("MASTER_ADDR", "MASTER_PORT"))
    return rank if launched and 0 <= rank < world else 0


def let_rank_0_speak(seconds: float = 2.0) -> None:
    """Wait a moment before a silent rank exits with an error.

    torchrun stops every worker as soon as one fails: a rank other than 0 that left first could
    have rank 0 stopped before it printed the one line that explains the failure.
    """
    import time

    time.sleep(seconds)


def refuse_data_parallel(command: str) -> None:
    """Raise unless this is a single process: ``command`` does not split its work over processes."""
    from linearnets.training.distributed import env_int

    world = env_int("WORLD_SIZE", 1)
    if world > 1:
        raise UsageError(
            f"{command} runs in one process, got {world} processes (torchrun); run it "
            f"without torchrun (only 'linearnets softmax' trains data-parallel)"
        )
