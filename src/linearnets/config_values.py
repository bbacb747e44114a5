"""What run settings take and how a frozen config stores them, checked (D2L §3.2–3.7's settings).

The settings take more than their fields store: NumPy scalars (:func:`set_checked` stores plain
values), any path-like (:func:`path_setting`), a ``torch.device`` (:func:`is_device`); ``IntArg``,
``FloatArg`` and ``PathArg`` name what the constructors take; a saved config's keys are settings
(:func:`check_known_settings`). The configs are :mod:`linearnets.config`'s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets._text import respelled
from linearnets.errors import UsageError
from linearnets.path_checks import check_path

__all__ = ["check_known_settings", "is_device", "path_setting", "set_checked"]


def set_checked(config: Any, **values: Any) -> None:
    """Store checked values on a frozen config: plain ``int``/``float`` even when a NumPy scalar
    (``np.float32(0.1)``, a value of ``np.arange``) was passed, so the config writes as JSON."""
    for name, value in values.items():
        object.__setattr__(config, name, value)


def check_known_settings(config_type: type[Any], data: Mapping[str, Any]) -> None:
    """Refuse a key of ``data``, a saved config (a run's ``config.json``, a checkpoint's), that is
    no setting of ``config_type``: another version's, or a hand edit's (``"learning_rate"``, ``"lr "``).

    Raises:
        UsageError: naming each such key, quoted (``'lr '`` shows its blank).
    """
    known = {f.name for f in fields(config_type) if not f.name.startswith("_")}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(
            "config has settings this linearnets does not know: "
            f"{', '.join(_named(key, known) for key in unknown)}; it was written by another "
            "version, or edited by hand"
        )


# other libraries' names for a setting, which no spelling distance finds
_SYNONYMS = {"learning_rate": "lr", "num_epochs": "epochs", "threads": "num_threads"}


def _named(key: str, known: set[str]) -> str:
    """Return ``key``, quoted, with the setting it most likely meant where there is one: the same
    name but for blanks or capitals (``'lr '``), or one close in spelling (``'epoch'``)."""
    fixed = respelled(key, known.__contains__)
    if fixed is not None:
        return f"{key!r} ({fixed[0]}: {fixed[1]!r})"
    close = [_SYNONYMS[key]] if _SYNONYMS.get(key) in known else []
    close = close or get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    return f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key)


def is_device(value: object) -> bool:
    """Return whether ``value`` is a device's name or a ``torch.device``, without importing torch
    for a name (the command's ``--help`` and its usage errors come before torch loads)."""
    if isinstance(value, str):
        return True
    import torch

    return isinstance(value, torch.device)


def path_setting(name: str, value: Any) -> Path | None:
    """Return ``value`` checked as a path setting: any ``os.PathLike`` is taken as its path."""
    if isinstance(value, os.PathLike) and not isinstance(value, Path):
        value = os.fspath(value)  # the str (or bytes, refused by the check) it stands for
    return check_path(name, value)


if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np

    # What the settings take, wider than what they store (the constructors' signatures in
    # linearnets.config): NumPy scalars (np.float32(0.1), a value of np.arange), where the checks
    # unwrap them one-element tensors and arrays, any path-like, a torch.device. The fields keep
    # their stored types.
    IntArg: TypeAlias = int | np.integer[Any]
    FloatArg: TypeAlias = float | np.floating[Any] | np.integer[Any]
    PathArg: TypeAlias = str | os.PathLike[str]
