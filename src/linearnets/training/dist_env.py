"""What a launcher such as torchrun must set for a data-parallel run (``RANK``, ``MASTER_ADDR``,
``MASTER_PORT``), checked; its integer variables are read by :mod:`linearnets._env`. Torch-free.
"""

from __future__ import annotations

import os
import socket

from linearnets._env import env_int
from linearnets.errors import UsageError

__all__ = ["check_launched", "check_master_addr", "env_int"]


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
    # isdigit() alone also takes superscripts ("²"), which int() refuses: in the digits 0-9
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise UsageError(
            f"MASTER_PORT must be a TCP port, an integer in [1, 65535], got {port!r}; pass the "
            "same free port to every process, e.g. MASTER_PORT=29500 (torchrun --master-port)"
        )


def check_master_addr() -> None:
    """Raise unless ``MASTER_ADDR`` names a host this machine can resolve (set: see
    :func:`check_launched`).

    torch resolves it as it joins, and one that does not resolve (a typo, another network's name)
    was retried in silence but for c10d's warnings about its IPv6 addresses, until each process
    started by hand gave up after a minute blaming the others for not joining (under torchrun,
    torch's own 30 minutes). Resolved here first: a name that does not resolve is refused at once.
    """
    address, port = os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"].strip()
    try:
        socket.getaddrinfo(address, int(port), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror; idna's for a label over 63 letters
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a host name"
        raise UsageError(
            f"MASTER_ADDR must be a host name or IP address this machine can resolve, got "
            f"{address!r} ({why}); set it to the address of rank 0's machine, the same for every "
            "process, e.g. MASTER_ADDR=127.0.0.1 for processes all on this machine (torchrun "
            "--master-addr)"
        ) from exc
