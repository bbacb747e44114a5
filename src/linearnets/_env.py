"""torchrun's integer environment variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ...),
read one way with one message, by :mod:`linearnets.training.distributed` and
:mod:`linearnets.device` alike (the device's read of ``LOCAL_WORLD_SIZE`` said it otherwise)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from linearnets.errors import UsageError

__all__ = ["env_int"]


def env_int(name: str, default: int, *, environ: Mapping[str, str] = os.environ) -> int:
    """Return the integer environment variable ``name`` (torchrun's ``RANK``, ``WORLD_SIZE``, ...)
    of ``environ`` (this process's environment unless given).

    Written as torchrun writes it, in the digits 0-9: ``int()`` also read ``2_0`` as 20, ``٢`` as
    2 and a 3 padded with a no-break space as 3. ``WORLD_SIZE``, a number of processes, must be at
    least 1: 0 and -1 were taken as one process without a word.
    """
    value = environ.get(name)
    if value is None or value == "":
        return default
    fix = (
        f"torchrun sets {name} for each process it starts: unset it to run a single process, or "
        "start the processes with torchrun"
    )
    try:
        if "_" in value or not value.isascii():
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
