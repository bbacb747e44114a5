"""Which process speaks under torchrun: this process's rank, and the wait of a rank that stays silent.

Every rank parses the same command line and meets the same errors; rank 0 alone prints them, so a
failure is said once. Commands that do not split their work refuse to run in several processes.
"""

from __future__ import annotations

import os

from linearnets.errors import UsageError

__all__ = ["by_launcher", "let_rank_0_speak", "rank", "refuse_data_parallel"]


def rank() -> int:
    """Return this process's rank under torchrun (from its environment), 0 otherwise.

    A ``RANK`` that no launcher set (no ``WORLD_SIZE`` above 1, no ``MASTER_ADDR``/``MASTER_PORT``,
    or outside ``[0, WORLD_SIZE)``) is ignored: that process must still say what went wrong. Reads
    nothing but ``os.environ``: it decides who reports an interrupt that may have cut torch's import
    short.
    """
    try:
        rank, world = int(os.environ.get("RANK") or 0), int(os.environ.get("WORLD_SIZE") or 1)
    except ValueError:  # a malformed RANK or WORLD_SIZE: speak, rather than fail while reporting
        return 0
    launched = all(os.environ.get(name) for name in ("MASTER_ADDR", "MASTER_PORT"))
    return rank if launched and 0 <= rank < world else 0


def let_rank_0_speak(seconds: float = 2.0) -> bool:
    """Wait a moment before a silent rank exits with an error; a signal ends the wait, quietly.

    torchrun stops every worker as soon as one fails: a rank other than 0 that left first could
    have rank 0 stopped before it printed the one line that explains the failure. Once rank 0 has
    said it and exited, torchrun stops the others (SIGTERM, raised here as a ``KeyboardInterrupt``):
    the end of the wait, not news to report, so the rank goes on to exit with its own status.

    Returns:
        Whether the wait ran out with no signal: rank 0 did not stop the run, so the failure is
        this rank's own (its data, its environment, its options given by hand), for it to say.
    """
    import time

    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        return False
    return True


def by_launcher() -> bool:
    """Whether torchrun (or another elastic launcher) started this process: it then shares the
    others' terminal and stdout, where rank 0 alone speaks for the run."""
    return bool(os.environ.get("TORCHELASTIC_RUN_ID"))


def refuse_data_parallel(command: str) -> None:
    """Raise unless this is a single process: ``command`` does not split its work over processes."""
    from linearnets.training.distributed import env_int

    world = env_int("WORLD_SIZE", 1)
    if world > 1:
        raise UsageError(
            f"{command} runs in one process, got {world} processes (torchrun); run it "
            f"without torchrun (only 'linearnets softmax' trains data-parallel)"
        )
