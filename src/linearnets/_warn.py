"""Warnings that point at the user's line, however deep in linearnets they are raised."""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# modules whose frames stand between a function of ours and its caller: @torch.no_grad() on one of
# ours runs it from torch's decorator, whose line would be named instead of the caller's; an
# nn.Module of ours (transforms.Resize) runs its forward from nn.Module.__call__
_WRAPPER_MODULES = ("torch.utils._contextlib", "torch.nn.modules.module")


def _wrapper_files() -> set[str]:
    """Return the files of the :data:`_WRAPPER_MODULES` imported so far (none imported: no frames)."""
    modules = (sys.modules.get(name) for name in _WRAPPER_MODULES)
    return {module.__file__ for module in modules if module is not None and module.__file__}


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn as :func:`warnings.warn` does, attributed to the first frame outside linearnets (and
    outside torch's decorators, such as ``@torch.no_grad()``, wrapping a function of ours).

    A fixed ``stacklevel`` names the caller only while the call path keeps its depth; the same
    warning reached through ``linearnets.d2l``, a resume or a dataset would name a line of ours,
    which tells the user nothing. Python 3.12's ``skip_file_prefixes`` does this; 3.10 has none.
    """
    wrappers = _wrapper_files()
    frame = sys._getframe(1)  # the frame that called this: stacklevel 2
    level = 2
    while frame.f_back is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE_DIR) or frame.f_code.co_filename in wrappers
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
