"""torch's C++ log level (``TORCH_CPP_LOG_LEVEL``) for a data-parallel run, set before torch loads.

torch.distributed's C++ side logs each retry of a join as a warning with its C++ frames: a
``MASTER_PORT`` held by another program gave rank 1 about 200 lines on the terminal, 25 lines a
retry, and an unresolvable ``MASTER_ADDR`` eleven lines about its IPv6 addresses, where the
command says what went wrong in a line of its own. torch reads the level once, as it loads (set
later, it is ignored), so it is set here, before the command imports it. Errors are still logged,
and ``--debug`` (or a ``TORCH_CPP_LOG_LEVEL`` of the user's own) keeps torch's level as it was.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from linearnets._env import env_int
from linearnets.errors import UsageError

__all__ = ["quiet_torch_warnings"]


def quiet_torch_warnings(*, debug: bool, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set ``TORCH_CPP_LOG_LEVEL=ERROR`` in ``environ`` for a data-parallel run (``WORLD_SIZE``
    above 1) without ``--debug``, unless it is set already (a malformed ``WORLD_SIZE`` is left
    for the command to refuse).

    ``WORLD_SIZE`` is read as the run reads it (:func:`linearnets._env.env_int`): read by digits
    alone, ``" 2"`` and ``"+2"`` were one process here but two for the run, which then printed
    torch's C++ frames unquieted.
    """
    try:
        data_parallel = env_int("WORLD_SIZE", 1, environ=environ) > 1
    except UsageError:
        data_parallel = False
    if data_parallel and not debug and "TORCH_CPP_LOG_LEVEL" not in environ:
        environ["TORCH_CPP_LOG_LEVEL"] = "ERROR"
