"""Whether a checkpoint's weights fit the model a resume would build (D2L §3.6: W is (d, q)).

Another image size, or a ``data`` file with other numbers of features or classes (at a new path,
or new content at the run's own), makes a model whose weights have another shape: none of the run's
training could carry over, so the resume is refused even with ``force=True``. Used by
:mod:`linearnets.tasks.resume`; the messages speak the Python API's words, as
:mod:`linearnets.tasks.resume_changes`'s do.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from linearnets._fs import sha256_file
from linearnets._text import shown_path
from linearnets.config import SoftmaxConfig
from linearnets.errors import DataWarning, UsageError
from linearnets.tasks.resume_changes import differences
from linearnets.tasks.resume_content import (
    content_changed,
    content_fix,
    forced_at,
    own_content_first,
    same_path,
)
from linearnets.tasks.resume_data import no_sha256_recorded, original_file_fix
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint
from linearnets.training.runs import CONFIG_FILE

__all__ = ["check_inputs_fit"]


def check_inputs_fit(
    ckpt: Checkpoint,
    old: SoftmaxConfig,
    new: SoftmaxConfig,
    *,
    given: Collection[str],
    run_dir: Path,
    saved: Mapping[str, Any] | None = None,
) -> None:
    """Refuse, even forced, a new resize or data whose model the checkpoint's weights do not fit.

    Another image size, or a ``--data`` file with other numbers of features or classes (at a new
    path, or changed in place), makes a model whose weights have another shape: none of the run's
    training could carry over. A ``--data`` file of the same shape may be forced
    (:func:`changed_settings`, :func:`data_change`).

    Args:
        ckpt: the checkpoint, whose weights are ``W`` (d, q) or ``nn.Linear``'s (q, d).
        old: the checkpoint's settings.
        new: the settings to continue with (a changed ``data`` file is read for its shape).
        given: the settings the caller passed (see :func:`changed_settings`).
        saved: the run's ``config.json``, whose ``data_sha256`` tells a ``data`` file changed in
            place; read from ``run_dir`` when not given.

    Raises:
        UsageError: the model of ``new`` does not take the checkpoint's inputs and classes.
    """
    keys = [k for k in ("resize", "data") if not _same_setting(k, old, new)]
    trained = _trained_shape(ckpt.model_state)
    if trained is None:
        return  # no weights to measure: restore_states names the damage
    if not keys:
        _check_content_fits(trained, new, run_dir=run_dir, saved=saved, epoch=ckpt.epoch)
        return  # another mismatch is the checkpoint's: restore_states names it
    wanted = _model_shape(new)
    if wanted is None or wanted == trained:
        return
    asked = [k for k in keys if k in given]
    gone = original_file_fix(old.data) if "data" in given else None
    # "leave data out" was refused next where the run's file is gone, or its content changed
    left_out = [k for k in asked if gone is None or k != "data"]
    fix = f"leave {' and '.join(left_out)} out" if left_out else ""
    if "data" in left_out:
        saved = saved if saved is not None else _saved(run_dir)
        trained_on = ckpt.extra.get("data_sha256")
        first = own_content_first(
            fix, dict(saved), run_dir, trained=trained_on, epoch=ckpt.epoch, old_data=old.data
        )
        fix = first or fix
    if gone is not None:
        fix += f"{' and ' if fix else ''}{gone}"
    if len(asked) < len(keys):
        fix += f"{' and ' if fix else ''}put the run's own {CHECKPOINT_FILE} back"
    side = f" ({new.resize or 28}×{new.resize or 28} pixels)" if new.data is None else ""
    raise UsageError(
        f"{differences(keys, old, new, given=given, run_dir=run_dir)}: the model would take "
        f"{wanted[0]} inputs{side} into {wanted[1]} classes and the checkpoint's weights take "
        f"{trained[0]} inputs into {trained[1]} classes, so they cannot carry over, not even with "
        f"force=True; {fix}, or start a new run in another folder (out=NEW_DIR)"
    )


def _check_content_fits(
    trained: tuple[int, int],
    config: SoftmaxConfig,
    *,
    run_dir: Path,
    saved: Mapping[str, Any] | None,
    epoch: int,
) -> None:
    """Refuse, even forced, the run's own ``data`` path holding new content of another shape;
    after an earlier resume ``epoch`` or before forced new content there, that content is the
    one to put back (:func:`~linearnets.tasks.resume_content.forced_at`).

    The file is read for its shape only when its SHA-256 is not the one the run recorded (or none
    was): an unchanged file is the data the weights were trained on.
    """
    if config.data is None or config.resize is not None or not Path(config.data).is_file():
        return  # Fashion-MNIST; resize with data, or no file: prepare names them
    saved = saved if saved is not None else _saved(run_dir)
    was = saved.get("data_sha256")
    now = None
    if isinstance(was, str):
        try:
            now = sha256_file(Path(config.data))
        except OSError:  # unreadable: reading the data names the problem
            return
        if now == was:
            return
    wanted = _model_shape(config)
    if wanted is None or wanted == trained:
        return  # the same shape: data_change refuses new content unless forced
    # (a lost config.json: judged against what the checkpoint records, as before)
    given = str(config.data_as_given())
    since = None  # no SHA-256 recorded: the original file is the one to put back
    if isinstance(was, str) and now is not None:
        since = forced_at(config.data, dict(saved), epoch, old_data=config.data, run_dir=run_dir)
        change = content_changed(given, was, now, run_dir, fix=False, since=since)
    else:
        change = (
            f"data={given!r} holds other data than the run in {shown_path(run_dir)} was trained "
            f"on ({no_sha256_recorded(run_dir, of='of it')}; or {CHECKPOINT_FILE} is another run's)"
        )
    raise UsageError(
        f"{change}: the model would take {wanted[0]} inputs into {wanted[1]} classes and the "
        f"checkpoint's weights take {trained[0]} inputs into {trained[1]} classes, so they cannot "
        f"carry over, not even with force=True; {content_fix(since)}, or start a new run in "
        "another folder (out=NEW_DIR)"
    )


def _same_setting(key: str, old: SoftmaxConfig, new: SoftmaxConfig) -> bool:
    """Whether ``old`` and ``new`` agree on ``key``: a ``data`` file by the file its path names
    (a link to the run's own file, a path through '..', was said to be another file)."""
    was, now = getattr(old, key), getattr(new, key)
    if key == "data" and was is not None and now is not None:
        return same_path(was, now)
    return bool(was == now)


def _saved(run_dir: Path) -> Mapping[str, Any]:
    """Return the run's ``config.json`` for its ``data_sha256``; none recorded where unreadable;
    where it is lost, what its checkpoint records (as the resume reads it)."""
    from linearnets.tasks.resume_saved import config_from_checkpoint
    from linearnets.training.run_config import read_config

    if not (run_dir / CONFIG_FILE).exists():
        return config_from_checkpoint(run_dir) or {}
    try:
        return read_config(run_dir) if (run_dir / CONFIG_FILE).is_file() else {}
    except UsageError:  # the resume reads it first, and names what is wrong with it
        return {}


def _trained_shape(state: dict[str, Any]) -> tuple[int, int] | None:
    """Return (inputs, classes) of a model state: ``W`` (d, q) or ``1.weight`` (q, d); else None."""
    for name, flipped in (("W", False), ("1.weight", True)):
        shape = tuple(getattr(state.get(name), "shape", ()))
        if len(shape) == 2:
            return (int(shape[1]), int(shape[0])) if flipped else (int(shape[0]), int(shape[1]))
    return None


def _model_shape(config: SoftmaxConfig) -> tuple[int, int] | None:
    """Return the (inputs, classes) of ``config``'s model; None where ``prepare`` refuses it."""
    if config.data is None:
        from linearnets.data.labels import TEXT_LABELS

        side = config.resize or 28  # Fashion-MNIST's images are 28×28
        return side * side, len(TEXT_LABELS)
    if config.resize is not None:
        return None  # resize with data: prepare names the pair
    from linearnets.data.arrays import load_classification_file

    with warnings.catch_warnings():  # prepare reads it again, and warns then
        warnings.simplefilter("ignore", DataWarning)
        # read by the name it was given, as its messages show it; read twice: a rare resume
        arrays = load_classification_file(config.data_as_given() or config.data)
    return arrays.num_features, arrays.num_classes
