"""What a resume's settings change from its checkpoint's, and whether they may.

A setting that changes the result (impl, lr, batch_size, seed, resize, data, or the ``data`` file's
content) is refused unless forced (a new image size or data shape is refused even forced, since the
weights cannot carry over: :mod:`linearnets.tasks.resume_fit`). A ``data`` file that
moved (a new path, the SHA-256 the run recorded) is no change, nor a resize to Fashion-MNIST's own
28×28 beside none. A change the caller did not ask for
is ``config.json`` disagreeing with the checkpoint (one copied in from another run), and is named
so. Used by :mod:`linearnets.tasks.resume`.

The messages speak the Python API's words (``lr changed from 0.1 to 0.5``, ``force=True``); the
command line prints them with its options (``--lr``, ``--force``): :mod:`linearnets.cli._report`.
The data file as the run recorded it (a recorded file gone) is
:mod:`linearnets.tasks.resume_data`'s (:func:`check_recorded_data`), its content changed
:mod:`linearnets.tasks.resume_content`'s (:func:`data_change`), and the warning of a resume that
matches to rounding only :mod:`linearnets.tasks.resume_exactness`'s (:func:`warn_not_bit_exact`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from linearnets._text import and_list
from linearnets.config import RESULT_SETTINGS, SoftmaxConfig
from linearnets.tasks import resume_refusals as refusals
from linearnets.tasks.resume_content import (
    CARRIED,
    CHANGED,
    OWN,
    DataContent,
    ForcedAt,
    carried_file,
    content_changed,
    content_fix,
    forced_at,
    judge_data,
    own_content_first,
    recorded_for,
)
from linearnets.tasks.resume_entries import forced_from, forced_since

__all__ = [
    "changed_settings",
    "differences",
    "untrained_changes_dropped",
]

_FASHION_SIDE = 28  # Fashion-MNIST's images are 28×28: resize=None keeps that size


def changed_settings(
    old: SoftmaxConfig,
    new: SoftmaxConfig,
    *,
    saved: dict[str, Any],
    epoch: int,
    run_dir: Path,
    force: bool,
    given: Collection[str],
    untrained: bool = False,
    trained: object = None,
) -> dict[str, tuple[Any, Any]]:
    """Return the result settings ``new`` changes from ``old``, as (old, new) pairs.

    A ``data`` file is judged by its content (:func:`~linearnets.tasks.resume_content.judge_data`),
    whatever its path: the checkpoint's own (``trained``, its ``extra["data_sha256"]``), moved or
    copied, is no change (the new path is recorded with the resume); what an earlier forced resume
    from ``epoch`` switched to carries on as forced; other content is a change, named with the
    checkpoint's file and its SHA-256. Nor is ``resize=28`` beside none on Fashion-MNIST: its
    images are 28×28, and a resize to their own size resamples nothing.

    Args:
        old: the checkpoint's settings.
        new: the settings to continue with: ``config.json``'s with the caller's overrides applied.
        saved: the run's ``config.json`` (its ``data_sha256`` and earlier ``resumes``).
        given: the settings the caller passed; a change in another one is ``config.json``
            disagreeing with the checkpoint, and is named so.
        untrained: the resume trains no epoch (the checkpoint's ``epoch`` is the run's last).
        trained: the checkpoint's ``extra["data_sha256"]``.

    Raises:
        UsageError: a change not forced now, nor by an earlier resume from ``epoch``; or, where
            ``untrained``, one the caller gave, forced or not: recorded, it showed the finished
            run as trained with a value no step took, and dropped, the command did other than
            asked (:func:`~linearnets.tasks.resume_refusals.nothing_left_to_train`).
    """
    changed = {k: (getattr(old, k), getattr(new, k)) for k in RESULT_SETTINGS}
    changed = {k: v for k, v in changed.items() if v[0] != v[1]}
    content = judge_data(new.data, saved, trained=trained, epoch=epoch, old_data=old.data)
    if "data" in changed and content.verdict == OWN:
        del changed["data"]
    if "resize" in changed and _same_side(old, new):
        del changed["resize"]
    asked = [k for k in changed if k in given]
    forced_before = forced_since(saved, epoch)
    unforced = [
        k
        for k, v in changed.items()
        if not _forced_before(k, str(v[1]), forced_before, content, saved=saved)
    ]
    if untrained and asked:  # forced or not: no epoch is left to take a step with them
        raise refusals.nothing_left_to_train(
            asked,
            _written(asked, old),
            _written(asked, new),
            run_dir=run_dir,
            epoch=epoch,
            unforced=any(k in unforced for k in asked),
        )
    if unforced and not force:
        since = forced_at(new.data, saved, epoch, old_data=old.data, run_dir=run_dir)
        raise refusals.unforced_change(
            unforced,
            _written(unforced, old, sha=content.baseline if content.verdict else None),
            _written(unforced, new),
            given=given,
            run_dir=run_dir,
            recorded=old.data,
            left_out=_left_out(
                old, [k for k in unforced if k in given], saved, epoch, trained, run_dir=run_dir
            ),
            also=_content_also(new, content, saved, run_dir, unforced=unforced, since=since),
            also_fix=content_fix(since, beside=True),
            forced=forced_from(saved, {k: str(getattr(old, k)) for k in unforced}),
        )
    return changed


def _content_also(
    new: SoftmaxConfig,
    content: DataContent,
    saved: dict[str, Any],
    run_dir: Path,
    *,
    unforced: Collection[str],
    since: ForcedAt | None,
) -> str:
    """Return the clause naming the ``data`` file's content changed (``, and data='b.npz'
    changed since ...``) beside the ``unforced`` settings, where no ``data`` change among them
    names it: the run's own file, or one an earlier resume ``since`` switched to (or forced anew),
    edited since (:func:`~linearnets.tasks.resume_content.data_change` refused it next, after
    the fix "leave data out", and ``force=True`` trained on it without a word), else ``""``."""
    if "data" in unforced or new.data is None or content.verdict != CHANGED or not content.sha:
        return ""
    was = recorded_for(new.data, saved, baseline=content.baseline)
    if was is None:
        return ""
    shown = new.data_as_given()  # as the caller spelt it
    return f", and {content_changed(shown, was, content.sha, run_dir, fix=False, since=since)}"


def _forced_before(
    key: str,
    value: str,
    forced: dict[str, set[str]],
    content: DataContent,
    *,
    saved: dict[str, Any],
) -> bool:
    """Whether an earlier resume from the checkpoint's epoch forced ``key``'s new ``value``: a
    ``data`` file judged by its content (``content``), carried at any path; new content at the
    path ``config.json`` names (forced before) is :func:`~linearnets.tasks.resume_content.data_change`'s
    to name, as changed since; a path forced before holding other content is a change."""
    if key != "data" or content.verdict is None:
        return value in forced.get(key, ())
    if content.verdict == CARRIED:
        return True
    section = saved.get("config")
    named = section.get("data") if isinstance(section, dict) else None
    return content.verdict == CHANGED and value == named and value in forced.get(key, ())


def _left_out(
    old: SoftmaxConfig,
    keys: Sequence[str],
    saved: dict[str, Any],
    epoch: int,
    trained: object,
    *,
    run_dir: Path,
) -> str | None:
    """Return the fix of the given changes ``keys`` where leaving them out does not continue
    the same run (:func:`~linearnets.tasks.resume_refusals.left_out_fix`): ``config.json``
    holds a value an earlier resume from ``epoch`` forced (a data file by its content), or a
    hand edit the checkpoint was not trained with, refused next, or new content at the run's own
    file (:func:`~linearnets.tasks.resume_content.own_content_first`). ``None`` where dropping
    them continues as trained."""
    section = saved.get("config")
    if not isinstance(section, dict):
        return None
    forced = forced_since(saved, epoch)
    back: dict[str, tuple[str, str]] = {}
    carried: dict[str, str] = {}
    file = None  # how config.json's data file stands (carried_file)
    for key in keys:
        was, then = getattr(old, key), section.get(key)
        if key == "data":
            forced_paths = forced.get(key, ())
            if isinstance(then, str):
                file = carried_file(
                    then,
                    saved,
                    trained=trained,
                    epoch=epoch,
                    old_data=was,
                    forced_paths=forced_paths,
                )
            if file:
                carried[key] = repr(then)
        elif key in section and str(then) != str(was):
            if str(then) in forced.get(key, ()):
                carried[key] = repr(then)
            elif was is not None:
                back[key] = (repr(was), repr(then))
    leave = f"leave {and_list(keys)} out"  # the command line says "leave --lr out"
    fix = refusals.left_out_fix(
        back,
        carried,
        epoch=epoch,
        leave=leave,
        goal="to continue the same run",
        others=bool(back) and len(back) < len(keys),
        file=file,
    )
    if fix is None and "data" in keys:  # the run's own file, new content at it refused next
        leave += " to continue the same run"
        fix = own_content_first(
            leave, saved, run_dir, trained=trained, epoch=epoch, old_data=old.data
        )
    return fix


def untrained_changes_dropped(
    new: SoftmaxConfig,
    changed: dict[str, tuple[Any, Any]],
    *,
    given: Collection[str],
) -> tuple[SoftmaxConfig, dict[str, tuple[Any, Any]]]:
    """Return ``new`` and ``changed`` for a resume that trains no epoch, without the changes the
    caller did not give: ``config.json`` carried them from an earlier resume stopped before its
    first checkpoint, so no epoch trained with them, and the run ends with the checkpoint's model.

    Written into ``config.json`` (and its resume recorded as forcing them), they showed the finished
    run as trained at a forced ``lr`` it never took a step with. A ``data`` path stays: its
    SHA-256 is ``config.json``'s, which a move to a new path keeps. A change the caller gave is
    refused before (:func:`changed_settings` with ``untrained``), forced or not.

    Args:
        new: the settings asked for.
        changed: the result settings ``new`` changes, as :func:`changed_settings` returns them:
            (the checkpoint's value, the new one) pairs.
        given: the settings the caller passed.
    """
    carried = {k: old_value for k, (old_value, _) in changed.items() if k not in given}
    carried.pop("data", None)
    kept = {k: v for k, v in changed.items() if k not in carried}
    return replace(new, **carried), kept


def _same_side(old: SoftmaxConfig, new: SoftmaxConfig) -> bool:
    """Return whether ``old`` and ``new`` train on Fashion-MNIST's images at the same size: no
    resize is their own 28×28, so ``resize=28`` resamples nothing (the same weights, bit for bit)."""
    if old.data is not None or new.data is not None:
        return False  # a data file takes no resize: prepare refuses the pair
    return (old.resize or _FASHION_SIDE) == (new.resize or _FASHION_SIDE)


def _shown(key: str, config: SoftmaxConfig) -> str:
    """Return ``config``'s ``key`` as Python writes it, with what ``None`` means: ``None (28×28)``,
    ``'concise'``, ``0.1`` (the command line prints ``none (28×28)``, ``concise``, ``0.1``); a
    ``data`` file as the caller spelt it (:meth:`~linearnets.config.SoftmaxConfig.data_as_given`)."""
    value = config.data_as_given() if key == "data" else getattr(config, key)
    if isinstance(value, Path):
        return repr(str(value))
    if value is not None:
        return repr(value)
    if key == "resize" and config.data is None:
        return "None (28×28)"
    return "None (Fashion-MNIST)" if key == "data" else "None"


def differences(
    keys: Sequence[str],
    old: SoftmaxConfig,
    new: SoftmaxConfig,
    *,
    given: Collection[str],
    run_dir: Path,
) -> str:
    """Name each change: as a setting the caller gave, ``lr changed from 0.1 to 0.5``, or as
    ``config.json`` and the checkpoint disagreeing (a checkpoint copied in from another run)."""
    was, now = _written(keys, old), _written(keys, new)
    return refusals.differences(keys, was, now, given=given, run_dir=run_dir)


def _written(
    keys: Sequence[str], config: SoftmaxConfig, *, sha: str | None = None
) -> dict[str, str]:
    """Return each of ``keys`` in ``config`` as :func:`_shown` writes it; a ``data`` file with
    its content's SHA-256 ``sha`` where given (``'a.npz (SHA-256 3f85612fd661)'``, as a
    linear-regression resume names it)."""
    written = {k: _shown(k, config) for k in keys}
    if sha is not None and "data" in written and config.data is not None:
        written["data"] = repr(f"{config.data} (SHA-256 {sha[:12]})")
    return written
