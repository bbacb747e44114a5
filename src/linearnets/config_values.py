"""What run settings take and how a frozen config stores them, checked (D2L §3.2–3.7's settings).

The settings take more than their fields store: NumPy scalars (:func:`set_checked` stores plain
values), any path-like (:func:`path_setting`), a ``torch.device`` (:func:`is_device`); ``IntArg``,
``FloatArg`` and ``PathArg`` name what the constructors take; a saved config's keys are settings
(:func:`check_known_settings`, a key that is none named with the one it likely meant,
:func:`likely_meant`), and hold those every run writes (:func:`lacking`). The configs are
:mod:`linearnets.config`'s.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import fields
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from linearnets._check_basics import describe
from linearnets._text import and_list, json_text, respelled
from linearnets.errors import UsageError, UsageTypeError
from linearnets.path_checks import check_path

__all__ = [
    "UnknownSettingsError",
    "check_known_settings",
    "is_device",
    "lacking",
    "likely_meant",
    "meant_advice",
    "meant_name",
    "named_keywords",
    "path_setting",
    "set_checked",
    "swapped",
]


def set_checked(config: Any, **values: Any) -> None:
    """Store checked values on a frozen config: plain ``int``/``float`` even when a NumPy scalar
    (``np.float32(0.1)``, a value of ``np.arange``) was passed, so the config writes as JSON."""
    for name, value in values.items():
        object.__setattr__(config, name, value)


class UnknownSettingsError(UsageError):
    """:func:`check_known_settings`'s refusal, of keys: named as every message names a key,
    ``'lr '`` (as ``'config'``), also where a value's refusal is said in a JSON file's words
    (:func:`~linearnets.training.run_config.bad_config_value`)."""


def check_known_settings(config_type: type[Any], data: Mapping[str, Any]) -> None:
    """Refuse a key of ``data``, a saved config (a run's ``config.json``, a checkpoint's), that is
    no setting of ``config_type``: another version's, or a hand edit's (``"learning_rate"``, ``"lr "``).

    Raises:
        UnknownSettingsError: naming each such key, quoted (``'lr '`` shows its blank).
    """
    known = {f.name for f in fields(config_type) if not f.name.startswith("_")}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UnknownSettingsError(
            "config has settings this linearnets does not know: "
            f"{', '.join(_named(key, known) for key in unknown)}; it was written by another "
            "version, or edited by hand"
        )


_Config = TypeVar("_Config", bound=type)


def named_keywords(config_type: _Config) -> _Config:
    """Return the dataclass ``config_type`` with an ``__init__`` that refuses a keyword naming no
    field with the setting it likely meant, and its value (``num_epochs=3``, the book's name:
    ``did you mean epochs=3?``), where the dataclass's own says only ``unexpected keyword argument``.

    A private field (``_carried``) is left out of the signature ``inspect.signature`` and ``help``
    show: ``dataclasses.replace`` passes it, the class checks its type; no setting to document."""
    init: Callable[..., None] = vars(config_type)["__init__"]  # the dataclass's own
    known = [f.name for f in fields(config_type)]
    public = inspect.signature(init)

    @functools.wraps(init)
    def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
        unknown = [key for key in kwargs if key not in known]
        if unknown:  # a subclass's own name: the class the caller built
            raise UsageTypeError(_no_field(type(self).__name__, unknown, kwargs, known))
        init(self, *args, **kwargs)

    checked_init.__signature__ = public.replace(  # type: ignore[attr-defined]
        parameters=[p for p in public.parameters.values() if not p.name.startswith("_")]
    )
    config_type.__init__ = checked_init  # type: ignore[misc]
    return config_type


def _no_field(owner: str, unknown: list[str], given: Mapping[str, Any], known: list[str]) -> str:
    """Return the refusal of the keywords ``unknown`` of ``given``, no fields of ``owner``, with
    the advice a resume gives on them (:func:`meant_advice`): the field each likely meant and its
    value, described short (``did you mean epochs=9?``; ``epochs=...`` where the value's
    ``__repr__`` raises), or, where that field is given too, to drop the keyword; the settings
    ``owner`` has where one is close to none."""
    settings = [name for name in known if not name.startswith("_")]
    if all(name in given for name in known):
        # dataclasses.replace passes every field: the settings the caller gave are not told apart
        given = {key: given[key] for key in unknown}
    advice = meant_advice(unknown, given, settings)
    if any(meant_name(key, settings) is None for key in unknown):
        advice += f"its settings are {and_list(settings)}"
    named = (
        f"field {unknown[0]!r}"
        if len(unknown) == 1
        else f"fields {and_list([repr(key) for key in unknown])}"
    )
    return f"{owner} has no {named}; {advice}".rstrip("; ")


def meant_advice(
    unknown: Collection[str], given: Mapping[str, Any], settings: Collection[str]
) -> str:
    """Return the advice on the keywords ``unknown`` of ``given`` (no settings): ``did you mean
    epochs=9? `` for ``epoch=9``; but where the setting it likely meant is given too
    (``epoch=9, epochs=3``), ``drop epoch (epochs=3 is given too); ``: "did you mean epochs=9?"
    asked for a keyword the call already holds; where several keywords look meant for one setting
    (``epoch=9, epochz=4``), ``epoch and epochz both look meant for epochs: pass epochs once; ``:
    "did you mean epochs=9 and epochs=4?" asked for a keyword twice. Empty where none is close."""
    by_setting: dict[str, list[str]] = {}
    for key in unknown:
        found = meant_name(key, settings)
        if found is not None:
            by_setting.setdefault(found[1], []).append(key)
    meant, dropped, twice = [], [], []
    for name, keys in by_setting.items():
        if name in given:
            dropped += [f"{key} ({name}={_shown(given[name])} is given too)" for key in keys]
        elif len(keys) > 1:
            both = "both" if len(keys) == 2 else "all"
            twice.append(f"{and_list(keys)} {both} look meant for {name}: pass {name} once; ")
        else:
            meant.append(f"{name}={_shown(given[keys[0]])}")
    asked = f"did you mean {and_list(meant)}? " if meant else ""
    return asked + "".join(twice) + (f"drop {and_list(dropped)}; " if dropped else "")


def _shown(value: Any) -> str:
    """Return ``value`` described short, ``...`` where its ``__repr__`` raises."""
    try:
        return describe(value)
    except Exception:  # a __repr__ that raises: the refusal is still this one
        return "..."


# other libraries' names for a setting, which no spelling distance finds
_SYNONYMS = {  # other libraries' names (the book's later SyntheticRegressionData: noise)
    "learning_rate": "lr",
    "num_epochs": "epochs",
    "threads": "num_threads",
    "noise": "noise_std",
}


def _named(key: str, known: set[str]) -> str:
    """Return ``key``, quoted, with the setting it most likely meant where there is one: the same
    name but for blanks or capitals (``'lr '``), or one close in spelling (``'epoch'``)."""
    meant = likely_meant(key, known)
    return f"{key!r} ({meant})" if meant is not None else repr(key)


def likely_meant(
    key: str, known: Collection[str], *, cutoff: float = 0.75, one_edit: bool = False
) -> str | None:
    """Return which of ``known`` names ``key``, a name no reader takes, most likely meant, said
    as the fix (``drop the blank: 'lr'``, ``did you mean 'epochs'?``): the same name but for
    blanks or capitals, another library's name for it, or one close in spelling (a
    :func:`difflib.get_close_matches` ratio of at least ``cutoff``; with ``one_edit``, also one
    edit from it: :func:`meant_name`); ``None`` where none is."""
    found = meant_name(key, known, cutoff=cutoff, one_edit=one_edit)
    if found is None:
        return None
    change, name = found
    return f"{change}: {name!r}" if change else f"did you mean {name!r}?"


def meant_name(
    key: str, known: Collection[str], *, cutoff: float = 0.75, one_edit: bool = False
) -> tuple[str, str] | None:
    """Return the name of ``known`` that ``key`` most likely meant, as :func:`likely_meant` finds
    it, with the change that respells it (``drop the blank``; ``""`` for a name guessed by its
    spelling); ``None`` where none is.

    Args:
        one_edit: also take a name ``key`` is one edit from (:func:`_one_edit`): two adjacent
            characters swapped (``"tsak"`` for ``"task"``, a ratio of 0.75 only, as a note
            ``"tags"`` has), or, for names of four characters or more, one changed, added or
            dropped (``"tusk"``); ``"tags"``, two edits from ``"task"``, is none.
    """
    fixed = respelled(key, known.__contains__)
    if fixed is not None:
        return fixed
    close = [_SYNONYMS[key]] if _SYNONYMS.get(key) in known else []
    close = close or get_close_matches(key, sorted(known), n=1, cutoff=cutoff)
    if not close and one_edit:
        close = [name for name in sorted(known) if _one_edit(key, name)]
    return ("", close[0]) if close else None


def swapped(key: str, name: str) -> bool:
    """Return whether ``key`` is ``name`` with two adjacent characters swapped (``"tsak"``)."""
    if len(key) != len(name):
        return False
    at = [i for i, (a, b) in enumerate(zip(key, name, strict=True)) if a != b]
    return (
        len(at) == 2
        and at[1] == at[0] + 1
        and (key[at[0]], key[at[1]]) == (name[at[1]], name[at[0]])
    )


def _one_edit(key: str, name: str) -> bool:
    """Return whether ``key`` is ``name`` with two adjacent characters swapped, or, both four
    characters long or more, with one character changed, added or dropped."""
    if len(key) == len(name):
        changed = sum(a != b for a, b in zip(key, name, strict=True))
        return swapped(key, name) or (changed == 1 and len(key) >= 4)
    shorter, longer = sorted((key, name), key=len)
    if len(longer) - len(shorter) != 1 or len(shorter) < 4:
        return False
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


# the settings that decide what a run trains, which every run has written to its config.json
# since run folders began: one missing is a hand edit (a resume took its default, and continued
# another run than the one trained: an lr of 0.1 for one of 0.5, the default implementation)
_WRITTEN_BY_EVERY_RUN = {
    "LinregConfig": (
        "impl", "epochs", "lr", "batch_size", "num_examples", "noise_std", "true_w", "true_b",
        "seed", "data",
    ),
    "SoftmaxConfig": ("impl", "epochs", "lr", "batch_size", "seed", "data_dir", "data", "resize"),
}  # fmt: skip


def lacking(config_type: type[Any], data: Mapping[str, Any]) -> str | None:
    """Return what a saved config ``data`` (a run's ``config.json`` section) lacks of the settings
    every run writes, and what a resume would take for them, or ``None`` where it lacks none:
    ``"lacks 'lr', which every run writes (a resume would take the default, lr 0.1, not the
    value the run was trained with)"``."""
    names = [n for n in _WRITTEN_BY_EVERY_RUN[config_type.__name__] if n not in data]
    if not names:
        return None
    defaults = {f.name: f.default for f in fields(config_type)}
    taken = ", ".join(f"{name} {_json(defaults[name])}" for name in names)
    one = len(names) == 1
    return (
        f"lacks {and_list([repr(n) for n in names])}, which every run writes (a resume would "
        f"take {'the default' if one else 'their defaults'}, {taken}, not the "
        f"{'value' if one else 'values'} the run was trained with)"
    )


def _json(value: object) -> str:
    """Return a default as config.json writes it (``null``, ``0.1``, ``"analytic"``)."""
    return json_text(value)


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
