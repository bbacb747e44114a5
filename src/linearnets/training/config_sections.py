"""The top-level keys of a run's ``config.json``: the sections a run writes, and notes of the user's.

A run writes :data:`SECTIONS` (a softmax run all but ``task``, a linear-regression run all but
``device`` and ``world_size``). A key beside them that looks meant for a reader, one of them
misspelt (``"confg"``, ``"resume"``) or a setting out of the ``config`` section (``"epochs"``), went
unread: a misspelt ``config`` was said as "not a linearnets run config", a misspelt ``resumes``
dropped the record of the run's resumes, a setting there changed nothing. :func:`check_sections`
refuses those. Any other key is a note of the user's (``"notes"``, ``"tags"``), as a well-made tool
that rewrites a file people annotate takes it: read past, and written back by a resume
(:func:`notes_of`), not dropped with no word. Used by :mod:`linearnets.training.run_config` and
:mod:`linearnets.tasks.linreg_resume`, the readers of ``config.json``.

A misspelling is what a slip of the keys makes: capitals or blanks (``"Task"``, ``"task "``), two
letters swapped (``"tsak"``), and in a longer name a letter changed, added or dropped, or a
spelling as close (``"confg"``, ``"resum"``, ``"enviroment"``, ``"data_src"``). In a short one,
``"task"``, those make as often a word of the user's own (``"mask"``, ``"ask"``, ``"tasks"``):
such a key is a misspelt section only where the file lacks that section and is the file of a run
that writes it (:func:`_lost`: a linear-regression run's, holding none of the sections only a
softmax run writes), so that a linear-regression run's ``"tadk"`` is still refused, not taken
for a note and its run for a softmax one; beside a run's ``"task"``, or in a softmax run's file,
which names no task, it is a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from linearnets._text import shown_path
from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.config_values import likely_meant, meant_name, swapped
from linearnets.errors import UsageError

__all__ = ["SECTIONS", "check_sections", "notes_of", "task_named"]

# what linearnets.tasks.config_file and linearnets.tasks.linreg_run write (tests check a run's file)
SECTIONS = frozenset(
    {
        "task",
        "config",
        "environment",
        "data_source",
        "device",
        "world_size",
        "data_sha256",
        "resumes",
    }
)
# closer than the settings' 0.75: "tags", a note, is 0.75 from "task"; "confg" is 0.91 from
# "config", "resume" 0.92 from "resumes", "data_src" 0.84 from "data_source". A swap, "tsak" (0.75
# too), or one edit ("enviroment") is taken besides (meant_name's one_edit): "tags", two edits
# from "task", is not
_CUTOFF = 0.8
# a section named in this many characters or fewer ("task") is misspelt by a letter changed,
# added or dropped only where the file lost it (_lost): "mask", "ask" are as likely notes
_SHORT = 5
# the sections each kind of run writes: a linear-regression run's, a softmax run's
_WRITTEN = (SECTIONS - {"device", "world_size"}, SECTIONS - {"task"})
_SETTINGS = frozenset(f.name for config in (SoftmaxConfig, LinregConfig) for f in fields(config))


def check_sections(saved: dict[str, Any], path: Path, *, fix: Callable[[], str]) -> None:
    """Refuse the top-level keys of ``saved``, the ``config.json`` at ``path``, that a run's reader
    would pass over but that look meant for it; and a ``config`` section missing from a run's file
    (one holding another of :data:`SECTIONS`, or a key like ``config``), named as such.

    A file holding none of them is left to the caller to name (another tool's ``config.json``:
    its ``"epochs"`` is no misplaced setting of a run's).

    Args:
        fix: returns the fix past correcting the keys, how the run gets a sound file back (called
            only for a refusal: it may read the folder's checkpoint).

    Raises:
        UsageError: naming each such key, with the section it likely meant, and the fix.
    """
    meant = {key: _meant(key, saved) for key in saved if key not in SECTIONS}
    misread = {key: why for key, why in meant.items() if why is not None}
    if "config" not in saved:
        like = [key for key in misread if key not in _SETTINGS]  # a section's, misspelt
        if not (like or SECTIONS & set(saved)):
            return  # another tool's file, whose "epochs" is no misplaced setting of a run's
        # a run's file, its settings gone: the keys it holds instead, one of them theirs maybe
        instead = f", but keys no run writes: {_listed(meant)}" if meant else ""
        again = "name the settings 'config' again, or " if meant else ""
        raise UsageError(
            f"{shown_path(path)} has no 'config' section (the run's settings){instead}; "
            f"{again}{fix()}"
        )
    if misread:
        raise UsageError(
            f"{shown_path(path)}: a top-level key must be a section a run writes, or a note of "
            f"your own named unlike any of them, got {_listed(misread)}, which would go unread; "
            f"correct {_it(misread)}, or {fix()}"
        )


def notes_of(saved: dict[str, Any]) -> dict[str, Any]:
    """Return the keys of ``saved``, a run's ``config.json`` that :func:`check_sections` took,
    that no run writes: the user's notes, for a resume to write back."""
    return {key: value for key, value in saved.items() if key not in SECTIONS}


def task_named(saved: Mapping[str, Any]) -> Any:
    """Return the task ``saved``, a ``config.json`` object, names: its ``"task"``, else that of a
    key :func:`check_sections` refuses as a misspelt ``"task"`` (``"Task"``, ``"tsak"``), else
    ``None`` (a softmax run's file names none).

    For advice that picks a run's resume by its task: a linear-regression run whose ``"task"``
    was misspelt was sent to the softmax resume, which the readers, refusing the key, do not
    take it for; its own resume names the key to correct.
    """
    if "task" in saved:
        return saved["task"]
    named = [value for key, value in saved.items() if _section_meant(key, saved) == "task"]
    return named[0] if named else None


def _section_meant(key: str, saved: Mapping[str, Any]) -> str | None:
    """Return the section a top-level ``key`` of ``saved`` that no run writes likely meant,
    ``None`` for a note or a setting (see :func:`_meant`)."""
    if key in SECTIONS or key in _SETTINGS:
        return None
    found = _misspelt(key, saved)
    return found[1] if found is not None else None


def _meant(key: str, saved: Mapping[str, Any]) -> str | None:
    """Return what a top-level ``key`` of ``saved`` that no run writes was likely meant as, said
    as the fix (``did you mean 'task'?``), ``None`` for a note."""
    if key in _SETTINGS:  # "device" is a section too: never here
        return "a setting: the 'config' section holds them"
    found = _misspelt(key, saved)
    if found is None:
        return None
    # likely_meant's words for what meant_name found
    return likely_meant(key, [found[1]], cutoff=_CUTOFF, one_edit=True)


def _misspelt(key: str, saved: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the section ``key`` misspells, with the change that respells it (``""`` for a
    section guessed by its spelling: :func:`~linearnets.config_values.meant_name`), or ``None``;
    a short section's misspelt by a letter changed, added or dropped only where ``saved`` lost it
    (the module's docstring says why)."""
    found = meant_name(key, SECTIONS, cutoff=_CUTOFF, one_edit=True)
    if found is None:
        return None
    change, name = found
    if change or len(name) > _SHORT or swapped(key, name) or _lost(name, saved):
        return found
    return None


def _lost(name: str, saved: Mapping[str, Any]) -> bool:
    """Return whether ``saved`` lacks the section ``name`` though it is the file of a run that
    writes it: it holds sections, each written by a kind of run that writes ``name`` too (a
    linear-regression run's, holding no ``"device"``, for ``"task"``)."""
    held = SECTIONS & set(saved)
    if name in saved or not held:  # none held: another tool's file, whose keys are its own
        return False
    return any(name in written and held <= written for written in _WRITTEN)


def _listed(keys: Mapping[str, str | None]) -> str:
    """Return ``keys`` quoted, each with what it was likely meant as where that is known:
    ``'confg' (did you mean 'config'?), 'notes'``."""
    return ", ".join(f"{key!r} ({why})" if why else repr(key) for key, why in keys.items())


def _it(keys: Mapping[str, str]) -> str:
    """Return the pronoun for ``keys``: ``it`` for one, ``them`` for more."""
    return "it" if len(keys) == 1 else "them"
