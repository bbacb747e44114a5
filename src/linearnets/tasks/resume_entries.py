"""A run's record of its resumes in ``config.json``, read back: each entry checked, and the values
earlier resumes forced (D2L §3.6.6; a linear-regression run's, §3.2.7).

Every resume appends an entry to ``resumes``: ``from_epoch``, the epochs the checkpoint had
finished when it started (0 for a run started over), and ``forced``, each result setting it
changed with ``force=True`` as ``[old, new]``, beside the environment it ran in. A softmax
resume writes the pair as strings (``{"lr": ["0.1", "0.5"]}``; ``data_sha256`` too, a data
file's new content), a linear-regression resume as the settings' own values
(``{"lr": [0.03, 0.05]}``, ``{"true_w": [[2.0, -3.4], null]}``). Both resumes read them
back: a value forced by an earlier resume from the same epoch carries on without ``force``
(:func:`forced_since`, :func:`forced_values_since`); :mod:`linearnets.tasks.resume_exactness` tells from ``from_epoch``
which resumes trained, for both tasks.

A hand edit there to a value no resume writes (``"from_epoch": "1"``, ``2.5``, ``true``, ``-1``;
``"forced": []``, ``{"lr": "0.5"}``) was read past: an interrupted forced resume's change was
then refused as ``config.json`` disagreeing with the checkpoint ("a checkpoint from another
run?"), and the entry was copied into the next file as it was (a linear-regression resume took
each silently, ``"forced": {"lr": 5}`` too). :func:`check_entries` refuses them, naming the
file, the key, the rule and the value in the file's words. Its environment, ``world_size`` and
``device`` are :func:`~linearnets.training.config_records.check_records`'s.
Used by :mod:`linearnets.tasks.resume_saved`, :mod:`linearnets.tasks.linreg_saved` and
:mod:`linearnets.tasks.resume_changes`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NamedTuple

from linearnets._text import json_kind, shown_path
from linearnets.errors import UsageError

__all__ = ["check_entries", "forced_from", "forced_since", "forced_values_since"]


class _Pairs(NamedTuple):
    """How a task's resumes write a forced setting's ``[old, new]``, in every version."""

    holds: Callable[[Any], bool]  # whether one item of the pair is such a value
    written: str  # the rule's words for the pair: "each [old, new] as ..."
    pair: str  # and for one pair: "must be an array of ..."
    example: str  # a whole 'forced' as a resume writes it, shown in the rule


def _setting_value(value: Any) -> bool:
    """Whether ``value`` is one a linear-regression setting is written as: a finite number, a
    string (impl, a data path), null (synthetic settings a data file decides, no data file) or
    an array of numbers (true_w)."""
    if isinstance(value, list):
        return all(_number(v) for v in value)
    return value is None or isinstance(value, str) or _number(value)


def _number(value: Any) -> bool:
    """Whether ``value`` is what JSON calls a number (not true/false, NaN nor Infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_PAIRS = {
    # softmax's (linearnets.tasks.resume_files): str() of each
    "strings": _Pairs(
        lambda v: isinstance(v, str), "two strings", "two strings", '{"lr": ["0.1", "0.5"]}'
    ),
    # linear regression's (linearnets.tasks.linreg_resume): the settings' JSON values
    "values": _Pairs(
        _setting_value,
        "the settings' values",
        "two setting values, each a number, a string, null or an array of numbers",
        '{"lr": [0.03, 0.05]}',
    ),
}


def check_entries(
    saved: dict[str, Any],
    path: Path,
    *,
    rebuilt: str,
    pairs: Literal["strings", "values"] = "strings",
) -> None:
    """Check each entry of ``saved["resumes"]``, a list (the ``config.json`` at ``path``, as
    :func:`~linearnets.training.config_records.check_records` leaves it): an object whose
    ``from_epoch`` is an integer >= 0 and whose ``forced``, where there (``null``: none forced),
    is an object whose every value is an array of two values as ``pairs`` says.

    Args:
        rebuilt: the fix past correcting a value: how the run gets a sound file back.
        pairs: how the run's resumes write ``[old, new]``: ``"strings"`` (a softmax run's) or
            ``"values"``, each the setting's JSON value (a linear-regression run's).

    Raises:
        UsageError: naming the file, the entry and key, the rule, the value and the fix.
    """
    entries = saved.get("resumes", [])
    for at, entry in enumerate(entries, 1):
        of = f"entry {at} of {len(entries)} in 'resumes'"
        if not isinstance(entry, dict):
            raise UsageError(
                f"{shown_path(path)}: {of} must be an object (one resume's record: its "
                f"'from_epoch', 'forced' and environment), got {json_kind(entry)}; remove it (the "
                f"record of that resume is lost, the run is not), or {rebuilt}"
            )
        _check_from_epoch(entry, of, path, rebuilt=rebuilt)
        name = f"'forced' of {of}"
        _check_forced(entry.get("forced"), name, path, rebuilt=rebuilt, pairs=_PAIRS[pairs])


def _check_from_epoch(entry: dict[str, Any], of: str, path: Path, *, rebuilt: str) -> None:
    """Refuse an entry whose ``from_epoch`` is missing or no count of epochs: ``"1"`` or ``1.5``
    matched no checkpoint's epoch, so the value it forced was dropped."""
    rule = (
        "an integer >= 0 (the epochs the run's checkpoint had finished when that resume started; "
        "0 where it started the run over)"
    )
    if "from_epoch" not in entry:
        raise UsageError(
            f"{shown_path(path)}: {of} lacks 'from_epoch', which every resume writes, as {rule}; "
            f"put it back, or {rebuilt}"
        )
    epoch = entry["from_epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise UsageError(
            f"{shown_path(path)}: 'from_epoch' of {of} must be {rule}, got {json_kind(epoch)}; "
            f"correct it, or {rebuilt}"
        )


def _check_forced(forced: Any, name: str, path: Path, *, rebuilt: str, pairs: _Pairs) -> None:
    """Refuse a ``forced`` (named ``name`` in the message) that is no object of settings, each
    ``[old, new]`` as ``pairs`` says: one read past dropped the changes that resume forced. Its
    keys are not checked: a softmax resume records ``data_sha256`` there too."""
    if forced is None:
        return  # none recorded: nothing forced
    if not isinstance(forced, dict):
        raise UsageError(
            f"{shown_path(path)}: {name} must be an object of the settings that resume changed "
            f"with force=True, each [old, new] as {pairs.written} (as {pairs.example}; {{}} where "
            f"it forced none), got {json_kind(forced)}; correct it, or {rebuilt}"
        )
    for key, pair in forced.items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(pairs.holds, pair))):
            raise UsageError(
                f"{shown_path(path)}: {key!r} of {name} must be an array of {pairs.pair} (the "
                f"value before and the value forced, as {pairs.example}), got "
                f"{json_kind(pair)}; correct it, or {rebuilt}"
            )


def forced_since(saved: dict[str, Any], epoch: int) -> dict[str, set[str]]:
    """Return the values earlier resumes from ``epoch`` forced, per setting (as recorded, strings).

    Only those: a resume interrupted before its first checkpoint left the checkpoint at ``epoch``
    with the old value, and its force carries on; a value forced for other epochs does not.
    ``saved``'s entries are as :func:`check_entries` took them.
    """
    values: dict[str, set[str]] = {}
    for key, forced in forced_values_since(saved, epoch).items():
        values[key] = set(forced)
    return values


def forced_values_since(saved: dict[str, Any], epoch: int) -> dict[str, list[Any]]:
    """Return the values earlier resumes from ``epoch`` forced, per setting, as :func:`forced_since`
    does, each as its entry records it: a linear-regression run's JSON values (``0.05``, a
    ``true_w``'s ``[1.0, 2.0]``, which no set holds), a softmax run's strings."""
    values: dict[str, list[Any]] = {}
    for entry in saved.get("resumes", []):
        if entry.get("from_epoch") != epoch:
            continue
        for key, (_, new) in (entry.get("forced") or {}).items():
            values.setdefault(key, []).append(new)
    return values


def forced_from(saved: dict[str, Any], values: dict[str, str]) -> dict[str, int]:
    """Return, for each setting of ``values`` (the checkpoint's, as a softmax run records them:
    strings), the epoch the latest resume that forced that value resumed from; settings no resume
    forced to their value are left out. A refusal says the setting changed "since an earlier
    resume from epoch 1 forced it", not "since the run started", which named the run's own first
    value as the change (:func:`~linearnets.tasks.resume_refusals.differences`)."""
    epochs: dict[str, int] = {}
    for entry in saved.get("resumes", []):  # the latest last
        for key, (_, new) in (entry.get("forced") or {}).items():
            if key in values and new == values[key]:
                epochs[key] = entry.get("from_epoch")
    return epochs
