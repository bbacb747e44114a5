"""What a linear-regression resume's settings change from its checkpoint's, and whether they may
(D2L §3.2.7).

The settings a resume continues with (``config.json``'s, the caller's overrides applied) are
compared with those the checkpoint was trained with, as a softmax resume compares them
(:mod:`linearnets.tasks.resume_changes`): a setting that changes the result is refused unless
``force=True``. A change the caller did not ask for is ``config.json`` disagreeing with the
checkpoint (a hand edit, or a checkpoint copied in from another run); one an earlier resume from
the same epoch forced, stopped before its first checkpoint, carries on. A ``data`` file is judged
by its content, whatever its path, as a softmax resume judges it
(:func:`~linearnets.tasks.resume_content.judge_data`): the checkpoint's own is no change, what an
earlier forced resume from its epoch switched to carries on, other content is a change. The words
refusing a change are :mod:`linearnets.tasks.linreg_refusal`'s. Used by
:mod:`linearnets.tasks.linreg_resume`, in the Python API's words (the command line prints its
options).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from linearnets._warn import warn
from linearnets.config import LinregConfig
from linearnets.errors import ResumeWarning
from linearnets.tasks.resume_content import (
    CARRIED,
    CHANGED,
    OWN,
    judge_data,
    recorded_for,
    same_path,
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
    "content_change",
    "not_config_json_s",
    "warn_loss_unit",
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
    own = old.data is not None and new.data is not None and same_path(old.data, new.data)
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
    content (:func:`~linearnets.tasks.resume_content.judge_data`), whatever its path: the
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
    where its content is a change no resume forced (:func:`~linearnets.tasks.resume_content.
    judge_data`'s ``CHANGED``), else ``None``: not the checkpoint's own content (``trained``),
    nor what an earlier resume from ``epoch`` forced, at any path (each resume records the
    content it continues on before it trains, so new content since is the file changing after
    that resume, which nobody forced). The record paired with the file is ``config.json``'s for
    the file it names, and the checkpoint's for any other
    (:func:`~linearnets.tasks.resume_content.recorded_for`). ``old_data``: the checkpoint's file."""
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
    content, at any path (:func:`~linearnets.tasks.resume_content.judge_data`'s ``CARRIED``: a moved
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
