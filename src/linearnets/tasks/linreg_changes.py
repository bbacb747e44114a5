"""What a linear-regression resume's settings change from its checkpoint's, and whether they may
(D2L §3.2.7).

The settings a resume continues with (``config.json``'s, the caller's overrides applied) are
compared with those the checkpoint was trained with, as a softmax resume compares them
(:mod:`linearnets.tasks.resume_changes`): a setting that changes the result is refused unless
``force=True``. A change the caller did not ask for is ``config.json`` disagreeing with the
checkpoint (a hand edit, or a checkpoint copied in from another run), named so; one an earlier
resume from the same epoch forced, stopped before its first checkpoint, carries on. A ``data``
file is judged by its content, whatever its path, as a softmax resume judges it
(:func:`~linearnets.tasks.resume_data.judge_data`): the checkpoint's own is no change, what an
earlier forced resume from its epoch switched to carries on, other content is a change. Used by
:mod:`linearnets.tasks.linreg_resume`, in the Python API's words (the command line prints its
options).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.config import LinregConfig
from linearnets.errors import ResumeWarning, UsageError
from linearnets.tasks import resume_refusals as refusals
from linearnets.tasks.resume_data import (
    CARRIED,
    CHANGED,
    OWN,
    content_changed,
    judge_data,
    original_file_fix,
    recorded_for,
)
from linearnets.tasks.resume_entries import forced_values_since
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint
from linearnets.training.runs import CONFIG_FILE

__all__ = [
    "RESULT_SETTINGS",
    "SYNTHETIC",
    "asked_settings",
    "carried",
    "changes",
    "checkpoint_sha256",
    "clauses",
    "content_change",
    "named",
    "not_config_json_s",
    "unforced",
    "untrained",
    "warn_loss_unit",
    "written",
]

# the settings that change what the run computes: a resume refuses a change unless force
RESULT_SETTINGS = (
    "impl",
    "lr",
    "batch_size",
    "seed",
    "num_examples",
    "noise_std",
    "true_w",
    "true_b",
    "data",
)
SYNTHETIC = ("num_examples", "noise_std", "true_w", "true_b")


def asked_settings(given: Collection[str]) -> set[str]:
    """Return the settings the caller asked to change: those ``given``, and with a ``data`` given,
    the synthetic data's (a file decides them: they change with it, not from ``config.json``)."""
    return {*given, *(SYNTHETIC if "data" in given else ())}


def not_config_json_s(old: LinregConfig, new: LinregConfig, *, given: Collection[str]) -> set[str]:
    """Return the settings whose change is no disagreement of ``config.json`` with the checkpoint:
    those the caller asked for (:func:`asked_settings`), and ``data`` where the run's own file
    (at its own path) holds new content."""
    own = old.data is not None and new.data is not None and _same_path(old.data, new.data)
    return asked_settings(given) | ({"data"} if own else set())


def changes(
    old: LinregConfig,
    new: LinregConfig,
    saved: dict[str, Any],
    run_dir: Path,
    *,
    trained: str | None = None,
    epoch: int | None = None,
) -> dict[str, Any]:
    """Return ``{setting: (old, new)}`` for each result setting that changed; a data file by its
    content (:func:`~linearnets.tasks.resume_data.judge_data`), whatever its path: the
    checkpoint's own content is none (moved or copied), any other a change of ``data``, carried
    or not (:func:`carried`). Where the run recorded no SHA-256, a new path is a change, as
    :func:`resume_softmax` takes it; a file that cannot be read is none: reading the data names
    it. Where ``config.json`` is lost, ``saved`` is its checkpoint's stand-in, checked alike.

    Args:
        old: the checkpoint's settings (``config.json``'s, for a run that has none).
        new: the settings to continue with.
        trained: the checkpoint's ``extra["data_sha256"]``, the content ``old.data`` held as the
            checkpoint trained on it (:func:`checkpoint_sha256`); ``config.json``'s record is
            compared where there is none.
        epoch: the checkpoint's epoch (``None``: no checkpoint).
    """
    before, after = old.to_dict(), new.to_dict()
    changed = {k: (before[k], after[k]) for k in RESULT_SETTINGS if before[k] != after[k]}
    if new.data is None or old.data is None:  # a switch to a file: its clause names it
        return changed
    changed.pop("data", None)
    content = judge_data(new.data, saved, trained=trained, epoch=epoch, old_data=old.data)
    if content.sha is None:  # gone or unreadable: "does not exist" says more than "changed"
        return changed
    if content.verdict is not None and content.baseline is not None:
        if content.verdict != OWN:
            changed["data"] = (f"{old.data} (SHA-256 {content.baseline[:12]})", str(new.data))
    elif new.data != old.data:
        # no SHA-256 to compare the new path's content with (an older or hand-edited file; a
        # lost config.json's checkpoint of an earlier linearnets)
        where = "recorded" if (run_dir / CONFIG_FILE).exists() else f"in {CHECKPOINT_FILE}"
        changed["data"] = (f"{old.data} (no SHA-256 {where})", str(new.data))
    return changed


def content_change(
    new: LinregConfig,
    saved: dict[str, Any],
    *,
    trained: str | None = None,
    epoch: int | None = None,
    old_data: object = None,
) -> tuple[str, str] | None:
    """Return the SHA-256 the run records for the ``data`` file's path and the one read now,
    where its content is a change no resume forced (:func:`~linearnets.tasks.resume_data.
    judge_data`'s ``CHANGED``), else ``None``: not the checkpoint's own content (``trained``),
    nor what an earlier resume from ``epoch`` forced, at any path (each resume records the
    content it continues on before it trains, so new content since is the file changing after
    that resume, which nobody forced). The record paired with the file is ``config.json``'s for
    the file it names, and the checkpoint's for any other
    (:func:`~linearnets.tasks.resume_data.recorded_for`). ``old_data``: the checkpoint's file."""
    content = judge_data(new.data, saved, trained=trained, epoch=epoch, old_data=old_data)
    if new.data is None or content.verdict != CHANGED or content.sha is None:
        return None
    was = recorded_for(new.data, saved, baseline=content.baseline) or content.baseline
    return None if was is None else (was, content.sha)


def checkpoint_sha256(ckpt: Checkpoint | None) -> str | None:
    """Return the SHA-256 of the data file ``ckpt`` was trained on, as it records it (``None``:
    no checkpoint, synthetic data, or an earlier linearnets' checkpoint that records none)."""
    sha = None if ckpt is None else ckpt.extra.get("data_sha256")
    return sha if isinstance(sha, str) else None


def carried(
    changed: dict[str, Any],
    saved: dict[str, Any],
    *,
    epoch: int | None,
    new: LinregConfig,
    trained: str | None = None,
    old_data: object = None,
) -> set[str]:
    """Return the settings of ``changed`` whose new value an earlier resume from the checkpoint's
    ``epoch`` forced (``None``: no checkpoint): that resume stopped before its first checkpoint,
    and ``config.json`` carries its value on, as a softmax resume's does. A ``data`` file by its
    content, at any path (:func:`~linearnets.tasks.resume_data.judge_data`'s ``CARRIED``: a moved
    or copied file forced before was refused as changed from the checkpoint's); by its path only
    where no content is judged (no SHA-256 recorded, a switch from synthetic data).
    ``old_data``: the checkpoint's file."""
    if epoch is None:
        return set()
    forced = forced_values_since(saved, epoch)
    found = {k for k, (_, value) in changed.items() if k != "data" and value in forced.get(k, [])}
    if "data" in changed:
        content = judge_data(new.data, saved, trained=trained, epoch=epoch, old_data=old_data)
        by_path = content.verdict is None and changed["data"][1] in forced.get("data", [])
        if content.verdict == CARRIED or by_path:
            found.add("data")
    return found


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
    given setting left out continues with (:func:`_left_out`)."""
    own = old.data is not None and new.data is not None and _same_path(old.data, new.data)
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
    if sha is not None and content and not settings:
        return UsageError(content_changed(new.data, *sha, run_dir))
    asked = asked_settings(given)
    file = content_changed(new.data, *sha, run_dir, fix=False) if sha and content else ""
    if any(k not in asked for k in settings):  # config.json's: the softmax resume's words
        keys = [k for k in settings if not (_switched(old, new) and k in SYNTHETIC)]
        was, now = written(old, new, {k: settings[k] for k in keys})
        also = f", and {file}" if file else ""
        return refusals.unforced_change(
            keys, was, now, given=asked, run_dir=run_dir, also=also, recorded=old.data
        )
    said = "; ".join(clauses(old, new, settings))
    if not content:
        # leaving a new data path out resumes on the run's own file: refused where it is gone
        gone = original_file_fix(old.data) if "data" in settings else None
        kept = _left_out(old, left, settings, saved, epoch=epoch, trained=trained)
        fix = f"{kept or 'leave it out to resume the run as it was'},"
        if gone is not None:
            others = " and leave the other changed settings out" if len(settings) > 1 else ""
            fix = f"to resume the run as it was, {gone}{others};"
        return UsageError(
            f"{said}: the run in {shown_path(run_dir)} was trained with the first, and a "
            f"changed setting changes its result; {fix} or pass force=True to continue with it"
        )
    them = "setting" if len(settings) == 1 else "settings"
    return UsageError(
        f"{said}, and {file}: each changes the run's result; leave the changed {them} out "
        "and put the original file back to resume the run as it was, or pass force=True to "
        f"continue with {'both' if len(settings) == 1 else 'them all'}"
    )


def _left_out(
    old: LinregConfig,
    left: LinregConfig | None,
    keys: Collection[str],
    saved: dict[str, Any],
    *,
    epoch: int | None,
    trained: str | None,
) -> str | None:
    """Return the fix of the given changes ``keys`` where leaving them out does not resume the
    run as it was (:func:`~linearnets.tasks.resume_refusals.left_out_fix`): ``config.json``'s
    value (``left``'s) is one an earlier resume from ``epoch`` forced (a data file by its content:
    a forced switch's file, carried), or a hand edit the checkpoint was not trained with, refused
    next (its value to pass instead). ``None`` where leaving them out continues as trained."""
    if left is None:
        return None
    forced = forced_values_since(saved, epoch) if epoch is not None else {}
    back: dict[str, tuple[str, str]] = {}
    carried_values: dict[str, str] = {}
    for key in keys:
        was, then = getattr(old, key), getattr(left, key)
        if key == "data":
            if then is None or was is None or _same_path(then, was):
                continue
            content = judge_data(then, saved, trained=trained, epoch=epoch, old_data=was)
            by_path = content.verdict is None and str(then) in map(str, forced.get(key, []))
            if content.verdict == CARRIED or by_path:
                carried_values[key] = repr(str(then))
        elif key not in SYNTHETIC and then != was:
            if then in forced.get(key, []):
                carried_values[key] = _shown(key, then, left)
            elif was is not None:
                back[key] = (_shown(key, was, old), _shown(key, then, left))
    return refusals.left_out_fix(
        back,
        carried_values,
        epoch=epoch,
        leave="leave it out",
        goal="to resume the run as it was",
        others=bool(back) and len(back) < len(keys),
    )


def named(
    old: LinregConfig,
    new: LinregConfig,
    changed: dict[str, Any],
    *,
    given: Collection[str],
    run_dir: Path,
) -> str:
    """Return the words naming ``changed``: :func:`clauses` where the caller asked for each (or the
    run's own data file's content changed), else ``config.json`` and the checkpoint disagreeing
    (:func:`~linearnets.tasks.resume_refusals.differences`)."""
    asked = not_config_json_s(old, new, given=given)
    if all(k in asked for k in changed):
        return "; ".join(clauses(old, new, changed))
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


# each impl's loss, as its epochs log it: the scratch models' squared_loss is ½(ŷ − y)² (D2L
# §3.2.5), nn.MSELoss's the whole (ŷ − y)² (§3.3.4)
_HALF_MSE = "½·(ŷ − y)², squared_loss (D2L §3.2.5)"
_LOSSES = {
    "scratch": _HALF_MSE,
    "analytic": _HALF_MSE,
    "concise": "(ŷ − y)², nn.MSELoss (D2L §3.3.4)",
}


def warn_loss_unit(old: LinregConfig, new: LinregConfig, *, epoch: int) -> None:
    """Warn (:class:`~linearnets.errors.ResumeWarning`) that a forced ``impl`` between the scratch
    models and ``concise`` changes the loss's definition from epoch ``epoch`` + 1: the history
    (``metrics.csv``, ``results.json``) then holds losses of two units, twice or half the
    epochs' before for the same fit, and each step at the same lr is twice or half as long.
    Not refused: the weights carry over, and ``force`` accepted the change."""
    was, now = _LOSSES[old.impl], _LOSSES[new.impl]
    if was == now:
        return
    ratio = "twice" if new.impl == "concise" else "half"
    warn(
        f"impl changed from {old.impl!r} to {new.impl!r}: {new.impl}'s loss is {now}, "
        f"{old.impl}'s {was}, so the losses logged from epoch {epoch + 1} on are {ratio} the "
        f"earlier epochs' for the same fit (the history mixes the two), and the gradients "
        f"{ratio} as large",
        ResumeWarning,
    )


def written(
    old: LinregConfig, new: LinregConfig, changed: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Return each change's old and new value as :func:`_shown` writes them."""
    synthetic = old if old.data is None else new
    was = {k: _shown(k, a, synthetic) for k, (a, _) in changed.items()}
    now = {k: _shown(k, b, synthetic) for k, (_, b) in changed.items()}
    return was, now


def _switched(old: LinregConfig, new: LinregConfig) -> bool:
    """Whether the data switch between synthetic data and a file (the synthetic settings change
    with it: the ``data`` clause names them)."""
    return (old.data is None) != (new.data is None)


def _same_path(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (one path given as typed, one as recorded)."""
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def clauses(old: LinregConfig, new: LinregConfig, changed: dict[str, Any]) -> list[str]:
    """Return a clause per change of :func:`changes`, ``lr changed from 0.03 to 0.01``; a switch
    between synthetic data and a file as one clause, on ``data``, naming the synthetic data it
    drops or brings (its four settings change only because a file decides them: no clause each)."""
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
