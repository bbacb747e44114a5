"""Checkpoints: everything needed to continue a run exactly, written atomically, read safely.

A checkpoint holds the model and optimizer state, the number of epochs done, every random-generator
state the run uses, the history so far, the config and the library version. It is written to a temporary
file in the same folder, flushed and fsync'ed, then renamed over the old one, so a crash mid-write leaves
the previous checkpoint intact (:mod:`linearnets.training.checkpoint_write`). It is read with
``torch.load(weights_only=True)``: no pickled code runs.
"""

from __future__ import annotations

import re
import stat
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from linearnets._fs import read_refusal
from linearnets._text import shown_path
from linearnets.errors import CheckpointError
from linearnets.path_checks import link_problem
from linearnets.training.callback_folder import check_callback_folder
from linearnets.training.callbacks import Callback
from linearnets.training.checkpoint_values import (
    ROW_FIELDS,
    check_values,
    damaged_checkpoint,
    restore_hint,
)
from linearnets.training.checkpoint_write import write_atomic
from linearnets.training.history import EpochMetrics, History
from linearnets.training.rng_state import global_rng_state, set_global_rng_state

__all__ = [
    "CHECKPOINT_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointCallback",
    "check_crcs",
    "check_history",
    "checkpoint_history",
    "damaged_checkpoint",
    "global_rng_state",
    "history_from_rows",
    "load_checkpoint",
    "load_failure",
    "record_epochs",
    "save_checkpoint",
    "set_global_rng_state",
]

CHECKPOINT_FILE = "checkpoint.pt"
FORMAT = "linearnets-checkpoint"
FORMAT_VERSION = 1
_KEYS = ("model_state", "optimizer_state", "epoch", "generators_state", "history", "config")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as read back: the state of a run after ``epoch`` finished epochs."""

    path: Path
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any]
    epoch: int
    generators_state: dict[str, Any]
    history: list[dict[str, Any]]
    config: dict[str, Any]
    version: str
    extra: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(
    path: Path,
    *,
    model_state: Mapping[str, torch.Tensor],
    optimizer_state: Mapping[str, Any],
    epoch: int,
    generators_state: Mapping[str, Any],
    history: list[dict[str, Any]],
    config: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a checkpoint to ``path`` atomically (temp file in the same folder, fsync, rename).

    Every value must load with ``weights_only=True``: tensors, dicts, lists, str, int, float, bool, None.

    Args:
        path: the checkpoint file, e.g. ``RUN_DIR/checkpoint.pt``.
        model_state: the model's ``state_dict()`` (copied to the CPU).
        optimizer_state: the optimizer's ``state_dict()``.
        epoch: epochs finished, counting from 1.
        generators_state: every generator's state (``RunGenerators.state_dict()`` and the global ones).
        history: one dict per finished epoch (``EpochMetrics.as_dict()``, e.g. kept ready by
            :class:`~linearnets.training.history.HistoryRows`).
        config: the run's effective config (``SoftmaxConfig.to_dict()``).
        extra: anything else to restore, e.g. the divergence guard's reference loss.

    Returns:
        ``path``.
    """
    from linearnets import __version__

    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": __version__,
        "model_state": {k: v.detach().cpu().clone() for k, v in model_state.items()},
        "optimizer_state": _to_cpu(dict(optimizer_state)),
        "epoch": int(epoch),
        "generators_state": _to_cpu(dict(generators_state)),
        # the caller's rows as they are (HistoryRows keeps them ready): a copy of every row at
        # every epoch was a cost growing with the square of the epoch count
        "history": [row if type(row) is dict else dict(row) for row in history],
        "config": dict(config),
        "extra": dict(extra or {}),
    }
    write_atomic(path, payload)
    return path


def record_epochs(ckpt: Checkpoint, epochs: int) -> None:
    """Write ``epochs`` as the run's epoch count into ``ckpt``'s file (its config's ``"epochs"``),
    atomically, the states, history and the rest as they are; nothing where it holds that count.

    For a resume that ends the run at the checkpoint's epoch with fewer epochs than the checkpoint
    was trained for ("pass epochs=2 to end the run there"): it trains nothing, so it saves no
    checkpoint, and the old count was kept; a ``config.json`` rebuilt from it later
    (:func:`~linearnets.tasks.resume_saved.config_from_checkpoint`) then trained the finished run
    on, its weights and results overwritten.
    """
    if ckpt.config.get("epochs") == epochs:
        return
    payload = _read_payload(ckpt.path)  # as written, its version too: only the count changes
    payload["config"] = {**payload["config"], "epochs": int(epochs)}
    write_atomic(ckpt.path, payload)


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_cpu(v) for v in value]
    return value


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, with ``weights_only=True``.

    Raises:
        CheckpointError: the file is missing, truncated, not a linearnets checkpoint, or from a newer
            format; the message names the file.
    """
    path = Path(path)
    payload = _read_payload(path)
    _check_format(path, payload)
    check_values(path, payload)
    return Checkpoint(
        path=path,
        model_state=payload["model_state"],
        optimizer_state=payload["optimizer_state"],
        epoch=payload["epoch"],
        generators_state=payload["generators_state"],
        history=list(payload["history"]),
        config=dict(payload["config"]),
        version=str(payload.get("version", "?")),
        extra=dict(payload.get("extra") or {}),
    )


def _read_payload(path: Path) -> Any:
    """Return what ``torch.load(weights_only=True)`` reads from ``path``; raise naming the file."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint {shown_path(path)} {_not_a_file(path)}")
    try:
        # torch warns about foreign pickles before failing: the error below says it all
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
        check_crcs(path)  # after: a file torch refuses is told in torch's words
    except Exception as exc:  # a truncated zip, a pickle: name the file, not pickle's internals
        # its permissions, or the disk, deny reading it: no damage, and "delete it" would throw
        # away weights that a chmod gives back
        refusal = read_refusal(path)
        if refusal is not None:
            raise CheckpointError(
                f"checkpoint {shown_path(path)} {refusal}, then resume again"
            ) from None
        raise CheckpointError(
            f"checkpoint {shown_path(path)} cannot be read: it is truncated, damaged or not a "
            f"torch file ({load_failure(exc)}); {restore_hint(path)}"
        ) from None
    return payload


class ChecksumError(ValueError):
    """A member of a checkpoint's zip whose bytes do not match the CRC-32 recorded for them."""


def check_crcs(path: Path) -> None:
    """Raise :class:`ChecksumError` naming the first member of the zip ``path`` (``torch.save``'s
    format) whose bytes do not match their CRC-32: ``torch.load`` never checks them, so a flipped
    bit in the weights loaded without a word (a checkpoint's, then blamed on the lr by the
    divergence guard; a ``model.pt``'s, predicting wrong). Called once ``torch.load`` read them
    (a legacy non-zip torch file has no CRCs to check)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    with archive:
        bad = archive.testzip()
    if bad is not None:
        raise ChecksumError(f"the CRC-32 of {bad} does not match its bytes")


def _not_a_file(path: Path) -> str:
    """Say what stands at ``path`` instead of a checkpoint file, with the fix."""
    problem = link_problem(path)
    if problem:
        return f"cannot be read: {problem}; {restore_hint(path)}"
    try:
        mode = path.stat().st_mode
    except OSError:  # nothing there (or a folder on the way that cannot be searched)
        return (
            "does not exist: the run never finished an epoch, or the file was deleted; start a "
            "new run"
        )
    kind = (
        "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a special file"
    )
    return f"is {kind}, not a checkpoint file; {restore_hint(path)}"


def load_failure(exc: BaseException) -> str:
    """Return why ``torch.load`` failed, as its error's type and first sentence (at most ~200
    characters, cut at a word).

    The rest of torch's text is advice for its own caller (e.g. to load with
    ``weights_only=False``, which would run the file's code): not for a damaged file.
    """
    text = " ".join(str(exc).split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(first) > 200:
        first = first[:197].rsplit(" ", 1)[0] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _check_format(path: Path, payload: Any) -> None:
    """Raise unless ``payload`` is a linearnets checkpoint of a format this version reads, complete."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {shown_path(path)} is not a linearnets checkpoint (no '{FORMAT}' format "
            # a file found in the run folder (its model.pt copied over it): nothing to pass; the
            # fix is the run's own checkpoint, as for a damaged one
            f"marker); {restore_hint(path)}"
        )
    found = payload.get("format_version")
    if not isinstance(found, int) or found > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {shown_path(path)} has format version {found!r}, this linearnets reads up "
            f"to {FORMAT_VERSION}; upgrade linearnets to resume it"
        )
    missing = [k for k in _KEYS if k not in payload]
    if missing:
        raise CheckpointError(
            f"checkpoint {shown_path(path)} is incomplete: it lacks {', '.join(missing)}"
        )


def checkpoint_history(ckpt: Checkpoint) -> History:
    """Return the checkpoint's history, refusing one that lacks rows of its finished epochs
    (:func:`check_history`)."""
    check_history(ckpt)
    return history_from_rows(ckpt.history)


def check_history(ckpt: Checkpoint) -> None:
    """Refuse a checkpoint whose history holds other than one row per finished epoch.

    Resuming rewrites ``metrics.jsonl`` from these rows: a row missing here would be lost there.
    A resume checks it before it gives any advice counting the checkpoint's epochs: an epoch
    edited to 12 beside 2 rows was told "pass epochs=17 to train further", which this refuses.

    Raises:
        CheckpointError: naming the file, both counts and the fix.
    """
    if len(ckpt.history) != ckpt.epoch:
        raise CheckpointError(
            f"checkpoint {shown_path(ckpt.path)} is damaged: its history must hold one row per "
            f"finished epoch ({ckpt.epoch}), got {len(ckpt.history)}; {restore_hint(ckpt.path)}"
        )


def history_from_rows(rows: list[dict[str, Any]]) -> History:
    """Rebuild a :class:`History` from the rows a checkpoint stores."""
    return History([EpochMetrics(**{k: row[k] for k in ROW_FIELDS}) for row in rows])


class CheckpointCallback(Callback):
    """Write ``run_dir/checkpoint.pt`` at the end of every epoch.

    Args:
        run_dir: the run folder.
        get_state: returns the keyword arguments of :func:`save_checkpoint` other than ``path`` and
            ``epoch`` (model, optimizer and generator states, history, config, extra), read at the
            moment of writing.
    """

    def __init__(self, run_dir: Path, *, get_state: Callable[[], dict[str, Any]]) -> None:
        self.path = Path(run_dir) / CHECKPOINT_FILE
        self.get_state = get_state
        self.last_epoch: int | None = None

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        # a run_dir that is no folder, refused before an epoch is trained: its first write said
        # the folder was "gone (removed or moved while the run trained)"
        check_callback_folder("CheckpointCallback", self.path.parent)

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        save_checkpoint(self.path, epoch=metrics.epoch, **self.get_state())
        self.last_epoch = metrics.epoch
