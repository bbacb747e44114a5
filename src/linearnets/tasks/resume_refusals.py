"""The words of a resume refusing a changed setting, for both tasks (D2L §3.2.7, §3.6.6).

A resume compares the settings it would continue with against the checkpoint's, the settings the
run was trained with. A change the caller asked for is named as such (``lr changed from 0.1 to
0.5``); one the caller did not ask for is ``config.json`` disagreeing with the checkpoint (a
checkpoint copied in from another run, or a hand edit), and is named so. The values come already
written as each task writes them (softmax's ``None (28×28)``, linear regression's ``None
(synthetic data: ...)``). Used by :mod:`linearnets.tasks.resume_changes` (softmax) and
:mod:`linearnets.tasks.linreg_refusal`; the command line prints the words with its options.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from linearnets._text import and_list, counted, shown_path
from linearnets.errors import UsageError
from linearnets.tasks.resume_content import CHANGED, GONE
from linearnets.tasks.resume_data import original_file_fix
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.runs import CONFIG_FILE

__all__ = ["differences", "left_out_fix", "nothing_left_to_train", "unforced_change"]


def differences(
    keys: Sequence[str],
    was: Mapping[str, str],
    now: Mapping[str, str],
    *,
    given: Collection[str],
    run_dir: Path,
    forced: Mapping[str, int] | None = None,
) -> str:
    """Name each change of ``keys``: as a setting the caller gave, ``lr changed from 0.1 to 0.5``,
    or as ``config.json`` and the checkpoint disagreeing (a checkpoint copied in from another run).

    Args:
        was, now: each key's value, the checkpoint's and the one to continue with, as written.
        given: the settings the caller passed.
        forced: the keys whose checkpoint value an earlier resume forced, each with the epoch it
            resumed from (:func:`~linearnets.tasks.resume_entries.forced_from`): changed "since
            an earlier resume from epoch 1 forced it", not "since the run started", which named
            the run's own first value as the change.
    """
    parts = []
    asked = [k for k in keys if k in given]
    if asked:
        started = f"since the run in {shown_path(run_dir)} started"
        epochs = forced or {}
        since = {
            k: f"since an earlier resume from epoch {epochs[k]} forced it"
            if k in epochs
            else started
            for k in asked
        }
        for when in dict.fromkeys(since.values()):
            changes = "; ".join(
                f"{k} changed from {was[k]} to {now[k]}" for k in asked if since[k] == when
            )
            parts.append(f"{changes} {when}")
    found = [k for k in keys if k not in given]
    if found:
        trained = " and ".join(f"{k}={was[k]}" for k in found)
        asks = " and ".join(f"{k}={now[k]}" for k in found)
        parts.append(
            f"{shown_path(run_dir / CHECKPOINT_FILE)} was trained with {trained}, but "
            f"{shown_path(run_dir / CONFIG_FILE)} asks for {asks} (a checkpoint from another run?)"
        )
    return "; ".join(parts)


def unforced_change(
    keys: Sequence[str],
    was: Mapping[str, str],
    now: Mapping[str, str],
    *,
    given: Collection[str],
    run_dir: Path,
    also: str = "",
    also_fix: str = "put the original file back",
    recorded: str | Path | None = None,
    left_out: str | None = None,
    forced: Mapping[str, int] | None = None,
) -> UsageError:
    """Return the error refusing the changes of ``keys``, with the ways out that fit them.

    Args:
        left_out: the fix in place of "leave lr out to continue the same run" where leaving
            it out continues on other values than the checkpoint's (:func:`left_out_fix`).
        also: a clause naming another change, said after the settings' (``, and data='d.csv'
            changed since ...``): the data file's content, whose fix is ``also_fix``, the
            file put back (or the content an earlier resume switched to).
        recorded: the run's own data file: where it is gone, dropping a new ``data`` was refused
            next ("does not exist"); the fix is the file put back, or its new path passed.
        forced: as :func:`differences` takes it.
    """
    asked = [k for k in keys if k in given]
    found = [k for k in keys if k not in given]
    gone = original_file_fix(recorded) if "data" in asked else None
    # beside the run's own checkpoint put back, a setting left out takes config.json's value, the
    # one that checkpoint was trained with: left_out's fix (the foreign checkpoint's) is not it.
    # Named as passed, lr=... ("drop the option" was the command line's word, said to Python too;
    # the command line says "leave --lr out")
    drop = f"leave {and_list(asked)} out to continue the same run"
    fixes = [left_out if left_out and not found else drop]
    fixes = fixes if asked else []
    if gone is not None:
        others = [k for k in asked if k != "data"]
        left = f" and leave {and_list(others)} out" if others else ""
        fixes = [f"to continue the same run, {gone}{left}"]
    if found:
        fixes.append(f"put the run's own {CHECKPOINT_FILE} back")
    if also:
        fixes.append(also_fix)
    if _as_trained(found, was) and not also and gone is None:
        # every checkpoint value passed, the given ones too: a dropped one takes config.json's
        dropped = [k for k in asked if not _as_trained([k], was)]
        trained = _as_trained([k for k in keys if k not in dropped], was)
        drop = f"leave {and_list(dropped)} out and " if dropped else ""
        fixes[-1] += f", or {drop}{trained}"
    if len(asked) == len(keys):
        values = "the new values" if also or len(keys) > 1 else "the new value"
    else:
        values = "the new values" if asked or also else f"the settings of {CONFIG_FILE}"
    joined = ("; and " if gone else " and ").join(fixes)
    return UsageError(
        f"{differences(keys, was, now, given=given, run_dir=run_dir, forced=forced)}{also}, "
        "which would change "
        f"its result; {joined}{';' if gone else ','} or pass force=True to continue with {values}"
    )


def left_out_fix(
    back: Mapping[str, tuple[str, str]],
    carried: Mapping[str, str],
    *,
    epoch: int | None,
    leave: str,
    goal: str,
    others: bool = False,
    file: str | None = None,
) -> str | None:
    """Return the fix of a given change that keeps the run as trained, where leaving it out
    (``leave``, "leave lr out") does not: ``config.json`` holds another value there, one the
    checkpoint was not trained with (``back``: each setting's checkpoint value, to pass instead,
    and ``config.json``'s, as written; left out, it was refused next) or one an earlier resume from ``epoch`` forced
    (``carried``: each setting's value it continues with). ``None`` where leaving it out
    resumes the run as it was. ``goal``: what the fix does ("to continue the same run");
    ``others``: other given settings are to be left out too; ``file``: how a carried ``data``
    file stands (:func:`~linearnets.tasks.resume_content.carried_file`): where its content
    changed since, or it is gone, leaving it out was refused next, so the fix puts it back
    first (or, gone, passes it where it moved)."""
    also = " and leave the other settings out" if others else ""
    if back:
        values = " and ".join(f"{k}={was}" for k, (was, _) in back.items())
        asks = " and ".join(f"{k}={then}" for k, (_, then) in back.items())
        return (
            f"pass {values}{also} {goal} (left out, {CONFIG_FILE}'s {asks} "
            f"{'is' if len(back) == 1 else 'are'} taken, which the "
            "checkpoint was not trained with)"
        )
    if carried:
        values = " and ".join(f"{k}={v}" for k, v in carried.items())
        fix = f"{leave} to continue with {values}, as an earlier resume from epoch {epoch} forced"
        if file == CHANGED:
            return f"{fix}, once that file's content is put back (it changed since)"
        if file == GONE:
            return (
                f"{fix}, once that file is put back (it does not exist now), or pass "
                "data=NEWPATH for it moved elsewhere (its SHA-256 is checked)"
            )
        return fix
    return None


# settings whose checkpoint value a resume cannot be given back as an option: the synthetic data's
# truth (no option sets it), and a data file (its change is the file's, named with its SHA-256)
_NOT_PASSED = ("true_w", "true_b", "data")


def _as_trained(found: Sequence[str], was: Mapping[str, str]) -> str:
    """Return the fix of ``config.json`` disagreeing with the checkpoint on ``found`` that keeps
    the run as trained, ``pass lr=0.03 to continue as the checkpoint was trained`` (the
    checkpoint's values, ``was``; the command line says ``--lr 0.03``), else ``""``: none found,
    or one no option gives back (a ``None``, the truth of synthetic data, a data file). Only
    putting the checkpoint back, or forcing config.json's values, was offered."""
    if not found or any(k in _NOT_PASSED or was[k].startswith("None") for k in found):
        return ""
    values = " and ".join(f"{k}={was[k]}" for k in found)
    return f"pass {values} to continue as the checkpoint was trained"


def nothing_left_to_train(
    keys: Sequence[str],
    was: Mapping[str, str],
    now: Mapping[str, str],
    *,
    run_dir: Path,
    epoch: int,
    unforced: bool = False,
) -> UsageError:
    """Return the refusal of changes the caller asked for (``keys``) on a resume that trains no
    epoch: the checkpoint finished the run's ``epoch`` epochs. Recorded, they showed the run as
    trained with a value it never took a step with; dropped, the command did other than it asked.

    Args:
        was, now: each key's value, the checkpoint's and the one asked for, as written.
        unforced: a change is not forced now, nor by an earlier resume: the resume with more
            epochs needs ``force=True`` too (without it, that resume was refused next).
    """
    changes = "; ".join(f"{k} changed from {was[k]} to {now[k]}" for k in keys)
    them = "it" if len(keys) == 1 else "them"
    return UsageError(
        f"{changes}, but the run in {shown_path(run_dir)} already trained its {counted(epoch, 'epoch')} "
        f"({CHECKPOINT_FILE} is of epoch {epoch}), so no epoch would train with {them}; pass "
        f"e.g. epochs={epoch + 5}{', force=True' * unforced} to train further with {them}, or leave {them} out to keep the "
        "run as it was trained"
    )
