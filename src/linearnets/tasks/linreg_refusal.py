"""The words of a linear-regression resume refusing what its settings change (D2L §3.2.7).

What changes, and whether it may, is :mod:`linearnets.tasks.linreg_changes`'s; here each change is
named (``lr changed from 0.03 to 0.01``, a switch between synthetic data and a file as one clause
on ``data``), the refusal of the unforced ones worded with its fix (:func:`unforced`), a change
``config.json`` disagrees with the checkpoint on named so (:func:`named`), and a resume that
trains no epoch refused any change asked for (:func:`untrained`), in
:mod:`linearnets.tasks.resume_refusals`' words where both tasks share them. Used by
:mod:`linearnets.tasks.linreg_resume`, in the Python API's words (the command line prints its
options).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from linearnets._text import shown_path
from linearnets.config import LinregConfig
from linearnets.errors import UsageError
from linearnets.tasks import resume_refusals as refusals
from linearnets.tasks.linreg_changes import (
    SYNTHETIC,
    asked_settings,
    carried,
    content_change,
    not_config_json_s,
)
from linearnets.tasks.resume_content import (
    carried_file,
    content_changed,
    content_fix,
    forced_at,
    own_content_first,
    same_path,
)
from linearnets.tasks.resume_data import original_file_fix
from linearnets.tasks.resume_entries import forced_values_since

__all__ = ["clauses", "named", "unforced", "untrained", "written"]


def unforced(
    old: LinregConfig,
    new: LinregConfig,
    changed: dict[str, Any],
    saved: dict[str, Any],
    run_dir: Path,
    *,
    given: Collection[str],
    epoch: int | None = None,
    trained: str | None = None,
    left: LinregConfig | None = None,
) -> UsageError:
    """Return the refusal of the unforced ``changed`` settings: those ``given`` left out, or
    forced; the run's own data file (the checkpoint's path, or one an earlier resume from its
    ``epoch`` forced) whose content changed, put back (leaving out a ``data`` never passed was no
    fix, nor leaving out the run's own path), as resume_softmax says it; a setting not given,
    ``config.json`` disagreeing with the checkpoint, named so (a ``data`` path edited into it too:
    its file's content was said to have changed). ``left``: ``config.json``'s settings, which a
    given setting left out continues with (:func:`_left_out`). After a forced switch to
    synthetic data, other synthetic settings are that switch's change made again, named as
    ``data``'s (no clause of their own: an empty list of changes was refused)."""
    # what an earlier resume from the epoch forced carries on: no change to refuse, but what
    # leaving the given ones out continues with (_left_out)
    kept = carried(changed, saved, epoch=epoch, new=new, trained=trained, old_data=old.data)
    # a switch to synthetic data other than the one forced is unforced whole: one change, data's
    # (the synthetic settings alone were dropped, named by no clause)
    remade = "data" in kept and any(k in SYNTHETIC and k not in kept for k in changed)
    remade = remade and _switched(old, new)
    if remade:
        kept = kept - {"data", *SYNTHETIC}
    changed = {k: v for k, v in changed.items() if k not in kept}
    own = old.data is not None and new.data is not None and same_path(old.data, new.data)
    forced = forced_values_since(saved, epoch).get("data", []) if epoch is not None else []
    own = own or ("data" not in given and str(new.data) in map(str, forced))
    sha = content_change(new, saved, trained=trained, epoch=epoch, old_data=old.data)
    content = "data" in changed and sha is not None and own
    switched = content and _switched(old, new)
    settings = {
        k: v
        for k, v in changed.items()
        if not (content and k == "data") and not (switched and k in SYNTHETIC)
    }
    # a file an earlier resume switched to, edited since: its content then is the one to put back
    since = (
        forced_at(new.data, saved, epoch, old_data=old.data, run_dir=run_dir) if content else None
    )
    if sha is not None and content and not settings:
        return UsageError(content_changed(new.data_as_given(), *sha, run_dir, since=since))
    asked = asked_settings(given)
    if remade and any(k in SYNTHETIC for k in given):  # its data clause names the ones given
        asked |= {"data", *SYNTHETIC}
    file = (
        content_changed(new.data_as_given(), *sha, run_dir, fix=False, since=since)
        if sha and content
        else ""
    )
    if any(k not in asked for k in settings):  # config.json's: the softmax resume's words
        keys = [k for k in settings if not (_switched(old, new) and k in SYNTHETIC)]
        was, now = written(old, new, {k: settings[k] for k in keys})
        also = f", and {file}" if file else ""
        return refusals.unforced_change(
            keys,
            was,
            now,
            given=asked,
            run_dir=run_dir,
            also=also,
            also_fix=content_fix(since, beside=True),
            recorded=old.data,
        )
    said = "; ".join(clauses(old, new, settings))
    if not content:
        # leaving a new data path out resumes on the run's own file: refused where it is gone
        gone = original_file_fix(old.data) if "data" in settings else None
        # a switch between synthetic data and a file is one change, data's (clauses); left out
        # are the options given, a synthetic setting's among them
        them = _them([k for k in settings if not (_switched(old, new) and k in SYNTHETIC)])
        if remade:
            them = _them([k for k in settings if k in given or k not in (*SYNTHETIC, "data")])
        left_out = _left_out(
            old,
            left,
            settings,
            saved,
            epoch=epoch,
            trained=trained,
            kept=kept,
            them=them,
            run_dir=run_dir,
        )
        fix = f"{left_out or f'leave {them} out to resume the run as it was'},"
        if gone is not None and left_out is None:  # config.json's file, not the run's own
            others = " and leave the other changed settings out" if len(settings) > 1 else ""
            fix = f"to resume the run as it was, {gone}{others};"
        return UsageError(
            f"{said}: the run in {shown_path(run_dir)} was trained with the first, and a "
            f"changed setting changes its result; {fix} or pass force=True to continue with {them}"
        )
    them = "setting" if len(settings) == 1 else "settings"
    back = content_fix(since) + (" to resume the run as it was" if since is None else "")
    return UsageError(
        f"{said}, and {file}: each changes the run's result; leave the changed {them} out "
        f"and {back}, or pass force=True to continue with "
        f"{'both' if len(settings) == 1 else 'them all'}"
    )


def _left_out(
    old: LinregConfig,
    left: LinregConfig | None,
    keys: Collection[str],
    saved: dict[str, Any],
    *,
    epoch: int | None,
    trained: str | None,
    kept: Collection[str] = (),
    them: str = "it",
    run_dir: Path,
) -> str | None:
    """Return the fix of the given changes ``keys`` where leaving them out does not resume the
    run as it was (:func:`~linearnets.tasks.resume_refusals.left_out_fix`): ``config.json``'s
    value (``left``'s) is one an earlier resume from ``epoch`` forced (a data file by its content:
    a forced switch's file, carried), there or in the settings ``kept`` (not given: carried on),
    or a hand edit the checkpoint was not trained with, refused next (its value to pass instead),
    or new content at the run's own file, put back first
    (:func:`~linearnets.tasks.resume_content.own_content_first`). ``None`` where leaving them
    out continues as trained. ``them``: the changes' pronoun."""
    if left is None:
        return None
    forced = forced_values_since(saved, epoch) if epoch is not None else {}
    back: dict[str, tuple[str, str]] = {}
    carried_values: dict[str, str] = {}
    file = None  # how config.json's data file stands (carried_file)
    for key in [*keys, *kept]:
        was, then = getattr(old, key), getattr(left, key)
        if key == "data" and then is None and was is not None:
            if None in forced.get(key, []):  # a forced switch to synthetic data, carried
                carried_values[key] = _shown(key, then, left)
        elif key == "data" and then is not None:
            forced_paths = forced.get(key, [])
            file = carried_file(
                then, saved, trained=trained, epoch=epoch, old_data=was, forced_paths=forced_paths
            )
            if file:
                carried_values[key] = repr(str(then))
        elif key not in (*SYNTHETIC, "data") and then != was:
            if then in forced.get(key, []):
                carried_values[key] = _shown(key, then, left)
            elif was is not None:
                back[key] = (_shown(key, was, old), _shown(key, then, left))
    fix = refusals.left_out_fix(
        back,
        carried_values,
        epoch=epoch,
        leave=f"leave {them} out",
        goal="to resume the run as it was",
        others=bool(back) and len(back) < len(keys),
        file=file,
    )
    if fix is None and "data" in keys:  # the run's own file, new content at it refused next
        named = "data" if list(keys) == ["data"] else them  # after that file: not "it"
        leave = f"leave {named} out to resume the run as it was"
        fix = own_content_first(
            leave, saved, run_dir, trained=trained, epoch=epoch, old_data=old.data
        )
    return fix


def _them(keys: Collection[str]) -> str:
    """Return the pronoun of the changes ``keys``, given: ``it``, or ``them`` for several."""
    return "it" if len(keys) == 1 else "them"


def named(
    old: LinregConfig,
    new: LinregConfig,
    changed: dict[str, Any],
    *,
    given: Collection[str],
    run_dir: Path,
    saved: dict[str, Any] | None = None,
    trained: str | None = None,
    epoch: int | None = None,
) -> str:
    """Return the words naming ``changed``: :func:`clauses` where the caller asked for each (the
    run's own data file, its content changed, as a softmax resume names it, ``data='d.csv'
    changed since the run in r1 started (SHA-256 ... then, ... now)``
    (:func:`~linearnets.tasks.resume_content.content_changed`), where ``saved``, the run's
    ``config.json``, is given: one file, not two), else ``config.json`` and the checkpoint
    disagreeing (:func:`~linearnets.tasks.resume_refusals.differences`). ``trained``, ``epoch``:
    the checkpoint's data SHA-256 and epoch."""
    asked = not_config_json_s(old, new, given=given)
    if all(k in asked for k in changed):
        own = old.data is not None and new.data is not None and same_path(old.data, new.data)
        sha = None
        if own and saved is not None and "data" in changed:
            sha = content_change(new, saved, trained=trained, epoch=epoch, old_data=old.data)
        if sha is None or saved is None:
            return "; ".join(clauses(old, new, changed))
        since = forced_at(new.data, saved, epoch, old_data=old.data, run_dir=run_dir)
        file = content_changed(new.data_as_given(), *sha, run_dir, fix=False, since=since)
        rest = {k: v for k, v in changed.items() if k != "data"}
        return "; ".join([*clauses(old, new, rest), file])
    keys = [k for k in changed if not (_switched(old, new) and k in SYNTHETIC)]
    was, now = written(old, new, {k: changed[k] for k in keys})
    return refusals.differences(keys, was, now, given=asked, run_dir=run_dir)


def untrained(
    old: LinregConfig,
    new: LinregConfig,
    changed: dict[str, Any],
    *,
    given: Collection[str],
    run_dir: Path,
    saved: dict[str, Any],
    trained: str | None = None,
) -> tuple[LinregConfig, dict[str, Any]]:
    """Return ``new`` and ``changed`` for a resume that trains no epoch (the checkpoint's is the
    run's last: ``results.json`` is written again), as a softmax resume has them.

    A change the caller asked for is refused, forced or not: recorded, ``config.json`` and
    ``results.json`` gave the run as trained at a value no step took; dropped, the command did
    other than asked (:func:`~linearnets.tasks.resume_refusals.nothing_left_to_train`). One
    ``config.json`` carries (an earlier resume's, stopped before its first checkpoint) is dropped:
    the run ends with the checkpoint's settings. A ``data`` path stays (a move keeps the content).
    """
    asked = [k for k in changed if k in asked_settings(given)]
    asked = [k for k in asked if not (_switched(old, new) and k in SYNTHETIC)]
    if asked:
        was, now = written(old, new, {k: changed[k] for k in asked})
        # the resume with more epochs needs force=True too, unless an earlier one forced them
        asked_changes = {k: changed[k] for k in asked}
        forced = carried(
            asked_changes, saved, epoch=new.epochs, new=new, trained=trained, old_data=old.data
        )
        raise refusals.nothing_left_to_train(
            asked, was, now, run_dir=run_dir, epoch=new.epochs, unforced=bool(set(asked) - forced)
        )
    kept = {k: getattr(old, k) for k in changed if k != "data"}
    return replace(new, **kept), {k: v for k, v in changed.items() if k == "data"}


def written(
    old: LinregConfig, new: LinregConfig, changed: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Return each change's old and new value as :func:`_shown` writes them; ``new``'s ``data``
    as the caller spelt it (:meth:`~linearnets.config.LinregConfig.data_as_given`)."""
    synthetic = old if old.data is None else new
    given = {str(new.data): str(new.data_as_given())}
    was = {k: _shown(k, a, synthetic) for k, (a, _) in changed.items()}
    now = {
        k: _shown(k, given.get(b, b) if k == "data" else b, synthetic)
        for k, (_, b) in changed.items()
    }
    return was, now


def _switched(old: LinregConfig, new: LinregConfig) -> bool:
    """Whether the data switch between synthetic data and a file (the synthetic settings change
    with it: the ``data`` clause names them)."""
    return (old.data is None) != (new.data is None)


def clauses(old: LinregConfig, new: LinregConfig, changed: dict[str, Any]) -> list[str]:
    """Return a clause per change of :func:`~linearnets.tasks.linreg_changes.changes`, ``lr
    changed from 0.03 to 0.01``; a switch between synthetic data and a file as one clause, on
    ``data``, naming the synthetic data it drops or brings (its four settings change only because
    a file decides them: no clause each)."""
    was, now = written(old, new, changed)
    return [
        f"{k} changed from {was[k]} to {now[k]}"
        for k in changed
        if not (_switched(old, new) and k in SYNTHETIC)
    ]


def _shown(key: str, value: Any, synthetic: LinregConfig) -> str:
    """Return a setting's ``value`` as Python writes it, a ``data`` of ``None`` with what it means,
    the data ``synthetic``'s settings make: ``None (synthetic data: num_examples=1000,
    noise_std=0.01, true_w=[2.0, -3.4], true_b=4.2)`` (the command line prints ``synthetic data
    (no --data; --num-examples 1000, --noise-std 0.01, truth w [2.0, -3.4], b 4.2)``)."""
    if key != "data" or value is not None:
        return repr(value)
    settings = synthetic.to_dict()
    return f"None (synthetic data: {', '.join(f'{k}={settings[k]!r}' for k in SYNTHETIC)})"
