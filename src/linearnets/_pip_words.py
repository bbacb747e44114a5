"""The install command a message advises, in the words that work where it is read.

In IPython or Jupyter ``%pip install ...`` installs into the kernel's own interpreter; a plain
``pip`` there (``!pip install``, or a terminal's) may install into another one, and the import
that failed fails again. A script and the command line keep their words.
"""

from __future__ import annotations

import sys

__all__ = ["in_ipython", "pip_install"]


def in_ipython() -> bool:
    """Return whether code runs in an IPython shell or a Jupyter kernel (never imports IPython)."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()  # IPython imported by a script (tqdm.auto): None
    except Exception:  # an IPython half torn down: a script's words
        return False
    # a session's shell is a subclass (TerminalInteractiveShell, ipykernel's ZMQInteractiveShell);
    # the base class is the one a script starts without a session (matplotlib_inline's
    # set_matplotlib_formats, the book's use_svg_display, calls InteractiveShell.instance())
    return shell is not None and type(shell).__name__ != "InteractiveShell"


def pip_install(args: str, *, python: str = "") -> str:
    """Return the command that installs ``args`` (``"torchvision"``, ``"'d2l>=1.0'"``):
    ``%pip install args`` in IPython or Jupyter, else ``pip install args``, or where ``python``
    (an interpreter, quoted for the shell) is given, ``python -m pip install args``."""
    if in_ipython():
        return f"%pip install {args}"
    return f"{python} -m pip install {args}" if python else f"pip install {args}"
