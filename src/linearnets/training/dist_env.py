"""torchrun's environment read and checked: its integer variables (``WORLD_SIZE``, ``RANK``, ...)
and, for a data-parallel run, the ones a launcher sets (``RANK``, ``MASTER_ADDR``,
``MASTER_PORT``). Torch-free.
"""

from __future__ import annotations

import os

from linearnets.errors import UsageError

__all__ = ["check_launched", "env_int"]


def env_int(name: str, default: int) -> int:
    """Return the integer environment variable ``name`` (torchrun's ``RANK``, ``WORLD_SIZE``, ...).

    Written as torchrun writes it, in the digits 0-9: ``int()`` also read ``2_0`` as 20 and ``٢``
    as 2. ``WORLD_SIZE``, a number of processes, must be at least 1: 0 and -1 were taken as one
    process without a word.
    """
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    fix = (
        f"torchrun sets {name} for each process it starts: unset it to run a single process, or "
        "start the processes with torchrun"
    )
    try:
        if "_" in value or not value.strip().isascii():
            raise ValueError(value)
        number = int(value)
    except ValueError:
        raise UsageError(
            f"environment variable {name} must be an integer in the digits 0-9, got {value!r}; "
            f"{fix}"
        ) from None
    if name == "WORLD_SIZE" and number < 1:
        raise UsageError(
            f"environment variable WORLD_SIZE must be the number of processes, at least 1, got "
            f"{value!r}; {fix}"
        )
    return number


def check_launched(world_size: int) -> None:
    """Raise unless the variables a launcher such as torchrun sets for ``world_size`` processes are all
    there and consistent (set by hand, ``WORLD_SIZE`` alone would fail deep in torch or hang)."""
    fix = (
        f"start the {world_size} processes with torchrun (e.g. torchrun --nproc_per_node="
        f"{world_size} -m linearnets softmax ...), or unset WORLD_SIZE for a single process"
    )
    missing = [name for name in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not os.environ.get(name)]
    if missing:
        raise UsageError(
            f"WORLD_SIZE={world_size} asks for a data-parallel run, but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set; {fix}"
        )
    rank = env_int("RANK", 0)
    if not 0 <= rank < world_size:
        raise UsageError(
            f"RANK must be in [0, {world_size}) for WORLD_SIZE={world_size}, got {rank}; {fix}"
        )
    port = os.environ["MASTER_PORT"].strip()
    if not port.isdigit() or not 1 <= int(port) <= 65535:  # torch: "invalid literal for int()"
        raise UsageError(
            f"MASTER_PORT must be a TCP port, an integer in [1, 65535], got {port!r}; pass the "
            "same free port to every process, e.g. MASTER_PORT=29500 (torchrun --master-port)"
        )
