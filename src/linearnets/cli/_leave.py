"""How the command's process ends: at once with ``os._exit``, or back to a session that goes on
(IPython, Jupyter, ``python -i``)."""

from __future__ import annotations

import builtins
import os
import sys

__all__ = ["in_ipython", "leave"]


def leave(code: int) -> None:
    """Exit with ``code`` at once, unless a session goes on in this process.

    In IPython or Jupyter (``%run -m linearnets``) it returns, leaving ``code`` in ``_exit_code``
    as a ``!`` shell command does: the failure was told on its line, and a ``SystemExit`` would
    add a traceback and IPython's "Unknown failure executing module" (``os._exit`` would end the
    kernel, and its work with it). Under ``python -i`` it raises ``SystemExit(code)``, as any
    script does, before the prompt.
    """
    if in_ipython():
        shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
        if shell is not None:
            shell.user_ns["_exit_code"] = code
        return
    if sys.flags.interactive:
        raise SystemExit(code)
    os._exit(code)


def in_ipython() -> bool:
    """Whether this process is an IPython session or a Jupyter kernel (``%run -m linearnets``)."""
    return bool(getattr(builtins, "__IPYTHON__", False))
