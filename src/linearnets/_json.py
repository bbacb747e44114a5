"""JSON of run folders: standard JSON out of results that may hold NaN or inf (a run trained with
the guard off), and a reader of the files back that nests no deeper on one Python than another."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["MAX_DEPTH", "NestedTooDeepError", "dumps_strict", "loads_shallow", "read_json"]

# the deepest arrays and objects a run folder's JSON holds are 3 levels (a config's section, a
# setting's list); how deep Python's own parser reads depends on its version and build (5,000
# levels: a RecursionError on 3.10, 3.11 and 3.12.1, read on 3.12.3 and 3.13), so a file was refused
# by one and read (then printed at length) by another
MAX_DEPTH = 100


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


class NestedTooDeepError(ValueError):
    """JSON whose arrays or objects nest more than :data:`MAX_DEPTH` levels deep."""


def _depth_past(value: Any, limit: int) -> bool:
    """Return whether ``value`` nests lists or dicts more than ``limit`` deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def loads_shallow(text: str | bytes) -> Any:
    """Return ``json.loads(text)``, refused alike on every Python past :data:`MAX_DEPTH` levels.

    Raises:
        NestedTooDeepError: arrays or objects nested past ``MAX_DEPTH`` (past the parser's own
            limit, its ``RecursionError``, too).
        ValueError: what ``json.loads`` raises for text that is no JSON.
    """
    too_deep = NestedTooDeepError(f"it nests arrays or objects more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    if _depth_past(value, MAX_DEPTH):
        raise too_deep
    return value


def read_json(path: Path, *, first_line: bool = False) -> Any:
    """Return the JSON value the run file ``path`` holds (with ``first_line``, its first line's:
    a ``.jsonl`` file's first record), read by :func:`loads_shallow`; ``None`` where there is
    none to read (gone, a FIFO, which would block the read, unreadable, or text that is no JSON):
    for the checks that tell a run by its files, whose own readers name a damaged one."""
    try:
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        return loads_shallow(text.split("\n", 1)[0] if first_line else text)
    except (OSError, ValueError):  # UnicodeDecodeError too
        return None
