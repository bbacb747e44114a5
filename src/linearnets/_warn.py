"""Warnings that point at the user's line, however deep in linearnets they are raised."""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn as :func:`warnings.warn` does, attributed to the first frame outside linearnets.

    A fixed ``stacklevel`` names the caller only while the call path keeps its depth; the same
    warning reached through ``linearnets.d2l``, a resume or a dataset would name a line of ours,
    which tells the user nothing. Python 3.12's ``skip_file_prefixes`` does this; 3.10 has none.
    """
    frame = sys._getframe(1)  # the frame that called this: stacklevel 2
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
