"""Whether a linear-regression checkpoint's weights fit the data a resume would train on (D2L §3.2).

A ``data`` file with another number of features than the run was trained on (at a new path, new
content at the run's own, or a switch between a file and synthetic data), or synthetic data of
another ``true_w`` length, makes a model whose ``w``
has another shape: none of the run's training could carry over, so the resume is refused even with
``force=True``, before anything is written, naming both sizes. It failed as the checkpoint loaded,
said as a damaged checkpoint, in the model's words ("state_dict['w'] must have shape (4, 1)").
Used by :mod:`linearnets.tasks.linreg_resume`, in the Python API's words.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from linearnets._text import counted
from linearnets.config import LinregConfig
from linearnets.errors import LinearnetsError, UsageError
from linearnets.tasks.resume_content import ForcedAt, content_fix, own_content_first, same_path
from linearnets.tasks.resume_data import original_file_fix
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint
from linearnets.training.runs import CONFIG_FILE

__all__ = ["check_features_fit", "features_carry_over"]


def check_features_fit(
    ckpt: Checkpoint,
    old: LinregConfig,
    new: LinregConfig,
    *,
    change: str,
    given: bool = True,
    since: ForcedAt | None = None,
    saved: dict[str, Any] | None = None,
    run_dir: Path | None = None,
) -> None:
    """Refuse, even forced, the changed data of ``new`` whose features ``ckpt``'s weights do not take.

    The synthetic data's ``true_w`` sets their number too: one of another length (given, or
    edited into ``config.json``) was let through to the states' load, and refused there as a
    damaged checkpoint, to be deleted.

    Args:
        ckpt: the run's checkpoint: the scratch model's ``w`` (d, 1) or ``nn.Linear``'s
            ``0.weight`` (1, d).
        old, new: the run's settings and those it would continue with, whose data changed.
        change: the clause naming the change (``data changed from 'a.csv' to 'b.csv'``).
        given: whether the caller passed the change (else it is ``config.json``'s, disagreeing
            with the checkpoint).
        since: the earlier resume that forced new content at the run's own path
            (:func:`~linearnets.tasks.resume_content.forced_at`): that content is the one to put
            back, not the run's first.
        saved, run_dir: the run's ``config.json`` and folder, where the fix leaves ``data``
            out: the file it names is judged by its content, put back first where it changed
            (:func:`~linearnets.tasks.resume_content.own_content_first`).
    """
    trained, wanted = _trained_features(ckpt.model_state), _features(new)
    if trained is None or wanted is None or trained == wanted:
        return  # unmeasured (restoring the states, or reading the data, names the damage)
    if not given:  # config.json's, against the checkpoint's
        fix = f"put back the run's own {CONFIG_FILE} or {CHECKPOINT_FILE}"
    elif new.data is None and old.data is None:
        fix = "leave true_w out to resume on the run's own synthetic data"
    elif old.data is None or new.data is None or not same_path(new.data, old.data):
        # "leave data out" was refused next where the run's file is gone, or its content changed
        fix = original_file_fix(old.data) or "leave data out to resume on the run's own data"
        if saved is not None and run_dir is not None and old.data is not None:
            trained_on = ckpt.extra.get("data_sha256")
            first = own_content_first(
                fix, saved, run_dir, trained=trained_on, epoch=ckpt.epoch, old_data=old.data
            )
            fix = first or fix
    else:  # new content at the run's own path (a link to it, a path through '..' too)
        fix = content_fix(since)
    raise UsageError(
        f"{change}: the model would take {counted(wanted, 'feature')} and the checkpoint's "
        f"weights take {trained}, so they cannot carry over, not even with force=True; {fix}, or "
        "start a new run in another folder (out=NEW_DIR)"
    )


def features_carry_over(config: LinregConfig, out: Path) -> bool:
    """Whether the checkpoint in ``out`` takes the features of ``config``'s data, by
    :func:`check_features_fit`, which refuses a resume even forced: what a new run of ``config``
    refused for ``out`` is told (a call, or a new folder). One that cannot be read or measured is
    taken to fit: the resume names what is wrong with it."""
    # imported here: the resume imports this module
    from linearnets.tasks.linreg_resume import _trained_settings
    from linearnets.training.run_config import resumable_checkpoint

    ckpt = resumable_checkpoint(out)
    if ckpt is None:
        return True
    try:
        old = _trained_settings(ckpt, out)
    except (LinearnetsError, OSError):  # the resume refuses such a checkpoint itself
        return True
    try:
        check_features_fit(ckpt, old, config, change="data changed")
    except UsageError:
        return False
    return True


def _trained_features(state: dict[str, Any]) -> int | None:
    """Return the features the weights ``state`` take: ``w`` (d, 1), or ``0.weight`` (1, d)."""
    w, weight = state.get("w"), state.get("0.weight")
    if isinstance(w, torch.Tensor) and w.dim() == 2:
        return int(w.shape[0])
    if isinstance(weight, torch.Tensor) and weight.dim() == 2:
        return int(weight.shape[1])
    return None


def _features(config: LinregConfig) -> int | None:
    """Return the features of ``config``'s data (``None`` where its file cannot be read: the
    resume's own reading of it names why); its warnings are the resume's to give, once."""
    if config.data is None:
        return len(config.synthetic()[0])
    from linearnets.data.regression_file import load_regression_file

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return int(load_regression_file(config.data)[0].shape[1])
    except (LinearnetsError, OSError):
        return None
