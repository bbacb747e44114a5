"""The bad axes settings ``plot`` and ``Animator`` refuse alike, each with its exact type and words."""

from __future__ import annotations

import re
from typing import Any

from linearnets.errors import UsageError, UsageTypeError


def bad_axes_settings(label: str) -> list[tuple[dict[str, Any], type[Exception], str]]:
    """Return (settings, error type, full-message pattern) cases; ``label`` is a legend given as a
    bare string (refused: its letters would label one line each)."""
    return [
        (
            {"xscale": "logx"},
            UsageError,
            r"^xscale must be one of linear, log, symlog, logit, asinh, got 'logx'$",
        ),
        (
            {"yscale": "Log"},
            UsageError,
            r"^yscale must be one of linear, log, symlog, logit, asinh, got 'Log'$",
        ),
        (
            {"xlim": 5},
            UsageTypeError,
            r"^xlim must be two numbers \(low, high\), got 5; pass e\.g\. xlim=\[0, 1\]$",
        ),
        (
            {"ylim": (0, "a")},
            UsageTypeError,
            r"^ylim must be two numbers \(low, high\), got \(0, 'a'\); pass e\.g\. ylim=\[0, 1\]$",
        ),
        # matplotlib warned "Attempt to set non-positive ylim on a log-scaled axis will be
        # ignored", pointing at our set_axes, and drew no point
        (
            {"yscale": "log", "ylim": [0, 1]},
            UsageError,
            r"^ylim must be above 0 on a log axis \(yscale='log'\), got \[0, 1\], an end that "
            r"axis cannot show; pass e\.g\. ylim=\[0\.001, 1\], or yscale='linear'$",
        ),
        (
            {"xscale": "log", "xlim": (-1, 100)},
            UsageError,
            r"^xlim must be above 0 on a log axis \(xscale='log'\), got \(-1, 100\), an end "
            r"that axis cannot show; pass e\.g\. xlim=\[0\.1, 100\], or xscale='linear'$",
        ),
        (
            {"yscale": "log", "ylim": [0, None]},
            UsageError,
            r"^ylim must be above 0 on a log axis \(yscale='log'\), got \[0, None\], an end "
            r"that axis cannot show; pass e\.g\. ylim=\[0\.001, 1\], or yscale='linear'$",
        ),
        (
            {"legend": label},
            UsageTypeError,
            r"^legend must be a sequence of labels, one per line, got the string "
            f"{re.escape(repr(label))}; pass legend={re.escape(repr([label]))}$",
        ),
    ]
