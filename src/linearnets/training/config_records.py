"""The records beside a run's settings in its ``config.json``, as a resume reads them back.

A run writes, beside its ``config`` section, what it ran on: ``resumes`` (each resume's entry),
``world_size`` and ``device`` (the run's start's, and each resume's in its entry), ``environment``
(the versions and machine, likewise) and ``data_sha256`` (its data file's). A resume compares
some (``data_sha256`` with the data file, ``world_size`` and ``environment``'s ``num_threads`` with
its own, :mod:`linearnets.tasks.resume_exactness`) and copies the others forward as the run's
start's. A hand edit there to a value no run writes (``[]``, ``NaN``, a number for a string) was
taken silently: a ``data_sha256`` of ``[]`` turned off the check of the data file's content, a
``num_threads`` of ``"4"`` the warning of a resume that is not bit-exact, and a ``device`` of
``[]`` was written into the new file as the device the run started on. :func:`check_records`
refuses them, naming the file, the key, the rule and the value in the file's words.

``data_source`` is not checked: a resume reads nothing of it and writes its own (the data it
loads). Called by the readers of a run's ``config.json`` for its resume:
:func:`linearnets.tasks.resume_saved.saved_config` (softmax) and
:func:`linearnets.tasks.linreg_saved.read_linreg_config` (linear regression).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from linearnets._text import json_kind, shown_path
from linearnets.errors import UsageError

__all__ = ["check_records"]

# what hashlib's hexdigest writes, as data_sha256 compares it
_SHA256 = re.compile(r"[0-9a-f]{64}")
# environment()'s string keys (linearnets.training.runs), and what each records
_STRINGS = {
    "linearnets": "the version the run ran with",
    "torch": "the version the run ran with",
    "numpy": "the version the run ran with",
    "python": "the version the run ran with",
    "platform": "the machine the run ran on",
    "cpu_capability": "the vector instructions torch's CPU kernels used, e.g. 'AVX2'",
}


def check_records(
    saved: dict[str, Any], path: Path, *, rebuilt: str, device_kept: bool = True
) -> None:
    """Check the records of ``saved``, the ``config.json`` at ``path``, beside its settings; make
    its ``resumes`` a list (a ``null``, a hand edit or a file older than the record, is none
    recorded). A ``null`` or missing record is not recorded, as a file older than it has it.

    Args:
        rebuilt: the fix past correcting a value: how the run gets a sound file back.
        device_kept: whether the resume copies ``device`` forward (a softmax run's); a
            linear-regression run writes none, and its resume drops one: not checked.

    Raises:
        UsageError: ``resumes`` is neither a list nor null; a ``world_size``, ``device`` or
            ``environment`` (the start's, or an entry's of ``resumes``) or ``data_sha256`` is no
            value a run writes there, naming it, the rule and the value.
    """
    _check_resumes(saved, path, rebuilt=rebuilt)
    sha = saved.get("data_sha256")
    if sha is not None and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        raise UsageError(
            f"{shown_path(path)}: 'data_sha256' must be a string of 64 lower-case hex digits (the "
            "SHA-256 of the run's data file, which a resume checks the file against) or null, got "
            f"{_in_file(sha)}; correct it, or set it to null (none recorded: a resume cannot then "
            f"tell that the data file's content changed), or {rebuilt}"
        )
    for record, of in _records(saved):
        _check_world_size(record.get("world_size"), f"'world_size'{of}", path, rebuilt=rebuilt)
        device = record.get("device")
        if device_kept and device is not None and not isinstance(device, str):
            raise UsageError(
                f"{shown_path(path)}: 'device'{of} must be a string (the device the run trained "
                f"on, as 'cpu' or 'cuda:0'), got {_in_file(device)}; correct it, or {rebuilt}"
            )
        _check_environment(record.get("environment"), of, path, rebuilt=rebuilt)


def _in_file(value: Any) -> str:
    """Return what ``value``, read from the file, is there (:func:`~linearnets._text.json_kind`),
    and for ``Infinity`` or ``-Infinity`` that a number past a float's range reads as it: a
    ``1e400`` was said as "got Infinity" alone, a word the file did not hold."""
    said = json_kind(value)
    if isinstance(value, float) and math.isinf(value):
        said += f" (a number past a float's range reads as {said})"
    return said


def _check_resumes(saved: dict[str, Any], path: Path, *, rebuilt: str) -> None:
    """Make ``saved["resumes"]`` a list, refusing one that is neither a list nor null."""
    resumes = saved.get("resumes")
    if resumes is None:
        saved["resumes"] = []
    elif not isinstance(resumes, list):
        raise UsageError(
            f"{shown_path(path)}: 'resumes' must be an array of the run's resumes, got "
            f"{_in_file(resumes)}; set it to [] (the record of earlier resumes is lost, the run "
            f"is not), or {rebuilt}"
        )


def _records(saved: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield the run's start's record (``saved``) and each resume's entry (an object) in
    ``saved["resumes"]``, a list, with how a key of it is named after the key: ``""`` for the
    start's, `` of entry 2 of 3 in 'resumes'`` for a resume's."""
    yield saved, ""
    entries = saved["resumes"]
    for at, entry in enumerate(entries, 1):
        if isinstance(entry, dict):
            yield entry, f" of entry {at} of {len(entries)} in 'resumes'"


def _check_world_size(count: Any, name: str, path: Path, *, rebuilt: str) -> None:
    """Refuse a ``world_size`` that is no count of processes: ``0`` by hand was said as "the run
    last ran in 0", and ``"2"`` went unread."""
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise UsageError(
            f"{shown_path(path)}: {name} must be an integer >= 1 (the processes the run ran "
            f"in), got {_in_file(count)}; correct it (1 where it ran without torchrun), or "
            f"{rebuilt}"
        )


def _check_environment(environment: Any, of: str, path: Path, *, rebuilt: str) -> None:
    """Refuse an ``environment`` (the start's, or that of the entry named by ``of``) that is no
    object, or whose ``num_threads`` (compared with a resume's) is no count of threads, or whose
    versions and platform (copied forward) are no strings."""
    name = f"'environment'{of}"
    if environment is None:
        return
    if not isinstance(environment, dict):
        raise UsageError(
            f"{shown_path(path)}: {name} must be an object (the versions and machine the run ran "
            f"on), got {_in_file(environment)}; correct it, or {rebuilt}"
        )
    threads = environment.get("num_threads")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise UsageError(
            f"{shown_path(path)}: 'num_threads' of {name} must be an integer >= 1 (the threads "
            f"the run trained with, which a resume compares with its own), got "
            f"{_in_file(threads)}; correct it, or {rebuilt}"
        )
    for key, what in [*_STRINGS.items(), ("cuda", "the CUDA version the run ran with")]:
        value = environment.get(key)
        if key in environment and not (isinstance(value, str) or (key == "cuda" and value is None)):
            rule = "a string or null" if key == "cuda" else "a string"
            what += "; null without CUDA" if key == "cuda" else ""
            raise UsageError(
                f"{shown_path(path)}: {key!r} of {name} must be {rule} ({what}), got "
                f"{_in_file(value)}; correct it, or {rebuilt}"
            )
