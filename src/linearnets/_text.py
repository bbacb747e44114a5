"""Lists in messages, written as prose: ``a``, ``a and b``, ``a, b and c``."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["and_list"]


def and_list(words: Sequence[str]) -> str:
    """Return ``words`` joined as a sentence lists them: ``"a, b and c"`` (``""`` for none)."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
