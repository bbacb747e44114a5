"""The values a loaded ``checkpoint.pt`` must hold, checked once when it is read (D2L §3.6.6).

A file edited by hand or written by another tool can load (``weights_only=True``) and still hold an
epoch of ``"abc"``, a history row without its loss or a guard state that is a string. Each is refused
here with a :class:`~linearnets.errors.CheckpointError` naming the file, the field, the rule, the
value found and the fix, before a resume rewrites any file of the run from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from linearnets._text import shown_path
from linearnets.errors import CheckpointError

__all__ = ["ROW_FIELDS", "check_values", "damaged_checkpoint", "restore_hint"]

# the metrics of one epoch, as a history row holds them
ROW_FIELDS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")
# what hashlib's hexdigest writes: extra["data_sha256"], the run's data file's content
_SHA256 = re.compile(r"[0-9a-f]{64}")


def damaged_checkpoint(
    path: Path, field: str, rule: str, value: Any, *, fix: str | None = None
) -> CheckpointError:
    """Return the error for a checkpoint that loads but holds a bad value (edited by hand, say).

    Args:
        fix: the way out, where one keeps the run's training (default :func:`restore_hint`).
    """
    return CheckpointError(
        f"checkpoint {shown_path(path)} is damaged: its {field} must be {rule}, got "
        f"{_describe(value)}; {fix or restore_hint(path)}"
    )


# a finished softmax run's weights and summary (run_files.WEIGHTS_FILE, RESULTS_FILE: that module
# reads this one's), which its start over replaces, keeping each as NAME.bak (resume_softmax's)
_FINISHED = ("model.pt", "results.json")


def restore_hint(path: Path) -> str:
    """Return the fix for a damaged checkpoint: restore it, or delete it and start over; for a
    finished run's (its ``model.pt`` beside it), that the start over replaces its trained weights
    and results, keeping them, as the message of a missing checkpoint beside them says."""
    fix = (
        f"restore {path.name} from a copy of the run, or delete it and resume with force=True to "
        "start the run over"
    )
    try:
        finished = [name for name in _FINISHED if (path.parent / name).is_file()]
    except OSError:  # a folder on the way that cannot be searched: nothing known of the run
        finished = []
    if _FINISHED[0] not in finished:  # no weights: a run stopped, or a linreg run's
        return fix
    return (
        f"{fix}; the run finished: starting it over replaces its trained weights and results "
        f"({', '.join(finished)}; each old file is kept as NAME.bak, e.g. {finished[0]}.bak)"
    )


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = " ".join(repr(value).split())
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_values(path: Path, payload: dict[str, Any]) -> None:
    """Refuse a checkpoint whose values are not those :func:`save_checkpoint` writes.

    A file edited by hand or by another tool still loads; checked once here, its values cannot fail
    later with a bare ``KeyError`` deep inside a resume, after some of the run's files were rewritten.
    """
    epoch = payload["epoch"]
    if not _is_int(epoch) or epoch < 1:
        raise damaged_checkpoint(
            path, "epoch", "the number of finished epochs, an integer >= 1", epoch
        )
    model = payload["model_state"]
    if not isinstance(model, dict) or not model:
        raise damaged_checkpoint(
            path, "model_state", "a dict of the model's weights by name", model
        )
    for name, value in model.items():
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise damaged_checkpoint(
                path, f"model_state[{name!r}]", "a floating-point tensor", value
            )
    for key in ("optimizer_state", "generators_state", "config"):
        if not isinstance(payload[key], dict):
            raise damaged_checkpoint(path, key, "a dict", payload[key])
    extra = payload.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise damaged_checkpoint(path, "extra", "a dict (or None)", extra)
    _check_guard(path, (extra or {}).get("guard"))
    _check_data_sha256(path, (extra or {}).get("data_sha256"))
    _check_data_since(path, (extra or {}).get("data_since"), epoch=epoch)
    _check_history(path, payload["history"])


def _check_history(path: Path, history: Any) -> None:
    """Check the rows: a list of dicts, one per epoch from 1 in order, each with every metric."""
    if not isinstance(history, list):
        raise damaged_checkpoint(path, "history", "a list of one dict per finished epoch", history)
    for i, row in enumerate(history):
        field = f"history[{i}]"
        if not isinstance(row, dict):
            raise damaged_checkpoint(path, field, "a dict of the epoch's metrics", row)
        missing = [k for k in ROW_FIELDS if k not in row]
        if missing:
            rule = f"a dict with the keys {', '.join(ROW_FIELDS)} (it lacks {', '.join(missing)})"
            raise damaged_checkpoint(path, field, rule, row)
        if row["epoch"] != i + 1 or not _is_int(row["epoch"]):
            raise damaged_checkpoint(
                path, f"{field}['epoch']", f"{i + 1}, its place in the list", row["epoch"]
            )
        for key in ROW_FIELDS[1:]:
            value = row[key]
            optional = key in ("train_acc", "test_loss", "test_acc")
            if not (_is_number(value) or (optional and value is None)):
                rule = "a number" + (" or None" if optional else "")
                raise damaged_checkpoint(path, f"{field}[{key!r}]", rule, value)


def _check_data_sha256(path: Path, sha: Any) -> None:
    """Check the data file's SHA-256 the run trained on (``None``: no file, or none recorded), which
    a resume checks the file against where ``config.json`` is lost."""
    if sha is not None and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        raise damaged_checkpoint(
            path,
            "extra['data_sha256']",
            "the SHA-256 of the run's data file, 64 lower-case hex digits (or None)",
            sha,
        )


def _check_data_since(path: Path, since: Any, *, epoch: int) -> None:
    """Check the epoch after which the run trained on its current data (``None``: a checkpoint
    from before it was recorded), which a resume takes the guard's lowest epoch loss after."""
    if since is not None and not (_is_int(since) and 0 <= since <= epoch):
        raise damaged_checkpoint(
            path,
            "extra['data_since']",
            f"the epoch the run's current data were used after, an integer from 0 to its epoch "
            f"({epoch}) (or None)",
            since,
            # None is a checkpoint's from before it was recorded: the run resumes whole (deleting
            # it threw away all the run's training for one number the guard reads)
            fix=f"set it to None (torch.load {path.name} with weights_only=True, set "
            "extra['data_since'] = None, torch.save it) and resume: the run keeps all its "
            "training, its divergence guard then reading all its epochs; or " + restore_hint(path),
        )


def _check_guard(path: Path, guard: Any) -> None:
    """Check the divergence guard's saved state (``DivergenceGuard.state_dict()``), if any."""
    if guard is None:
        return
    if not isinstance(guard, dict):
        raise damaged_checkpoint(
            path, "extra['guard']", "the divergence guard's state, a dict", guard
        )
    for key in ("start_loss", "first_loss", "sum", "rare", "level", "heavy"):
        if key in guard and not (_is_number(guard[key]) or (guard[key] is None and key != "sum")):
            raise damaged_checkpoint(path, f"extra['guard'][{key!r}]", "a number", guard[key])
    if "count" in guard and (not _is_int(guard["count"]) or guard["count"] < 0):
        raise damaged_checkpoint(path, "extra['guard']['count']", "an integer >= 0", guard["count"])
    for key, pair in (("recent", "[loss sum, count]"), ("after", "[mean loss, count]")):
        steps = guard.get(key, [])
        pairs = isinstance(steps, list) and all(
            isinstance(p, list | tuple) and len(p) == 2 and _is_number(p[0]) and _is_int(p[1])
            for p in steps
        )
        if not pairs:
            raise damaged_checkpoint(
                path, f"extra['guard'][{key!r}]", f"a list of {pair} pairs", steps
            )
    values = guard.get("values", [])
    if not (isinstance(values, list) and all(_is_number(v) for v in values)):
        raise damaged_checkpoint(path, "extra['guard']['values']", "a list of numbers", values)
