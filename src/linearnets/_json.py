"""Standard JSON out of results that may hold NaN or inf (a run trained with the guard off)."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps_strict"]


def _finite_or_none(value: Any) -> Any:
    """Return ``value`` with every non-finite float, at any depth, replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


def dumps_strict(value: Any, **kwargs: Any) -> str:
    """Return ``json.dumps(value)`` as standard JSON: NaN and ±inf become ``null``.

    Python's ``json`` writes them as the bare words ``NaN``/``Infinity``, which JavaScript's
    ``JSON.parse``, ``jq`` and most other readers refuse.
    """
    return json.dumps(_finite_or_none(value), allow_nan=False, **kwargs)
