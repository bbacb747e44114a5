"""The settings a new run was refused with, beside those of the run its folder holds: the resume
that would apply them (``linearnets.resume_softmax('DV3', lr=0.1)``), where a plain resume would
continue with the folder's own (a diverged lr=1e6 run resumed at lr 1e6 again). Used by
:mod:`linearnets.training.runs`'s refusal of a folder that already holds a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from linearnets.errors import LinearnetsError
from linearnets.training.run_files import CONFIG_FILE

__all__ = ["AskedSettings", "call_arguments", "differing", "said", "same_file"]


class AskedSettings:
    """The refused run's settings as ``config.json`` writes them (``to_dict()``), the names of
    those a resume past a checkpoint takes only with ``force=True``, and ``carries_over``: whether
    the checkpoint in a run folder fits the model of these settings, by the check its task's
    resume refuses a new data file or image size with, even forced (weights of another shape)."""

    def __init__(
        self,
        values: Mapping[str, Any],
        *,
        forced: Collection[str],
        carries_over: Callable[[Path], bool] | None = None,
    ) -> None:
        self.values = dict(values)
        self.forced = frozenset(forced)
        self.carries_over = carries_over


def differing(out: Path, asked: AskedSettings) -> dict[str, tuple[Any, Any]]:
    """Return each setting of ``asked`` that differs from ``out/config.json``'s (the settings its
    run last asked for, which a plain resume continues with), as (the folder's, the refused run's);
    ``out`` is the folder itself, never compared; none where the file cannot be read."""
    try:
        section = json.loads((out / CONFIG_FILE).read_text(encoding="utf-8")).get("config")
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(section, dict):
        return {}
    return {
        key: (section[key], value)
        for key, value in asked.values.items()
        if key != "out"
        and key in section
        and section[key] != value
        and not (key == "data_dir" and _same_folder(section[key], value))
        and not (key == "data" and same_file(section[key], value))
    }


def same_file(old: Any, new: Any) -> bool:
    """Whether the ``data`` settings ``old`` and ``new`` name one existing file however reached
    (``link.npz``, a symlink to the ``d.npz`` the run read); a missing file is never the same."""
    if not isinstance(old, str | Path) or not isinstance(new, str | Path):
        return False
    try:
        return Path(old).samefile(new)
    except (OSError, ValueError):
        return False


def _same_folder(old: Any, new: Any) -> bool:
    """Whether the ``data_dir`` settings ``old`` and ``new`` name the same folder: the same path
    however spelt (``d/./fm``, ``d/fm``), or one left out (``None``, which searches the usual
    places, as a resume leaving it out does) and the other the folder that search finds now."""
    folders = [_folder(value) for value in (old, new)]
    return folders[0] is not None and folders[0] == folders[1]


def _folder(data_dir: Any) -> Path | None:
    """Return the folder ``data_dir`` reads Fashion-MNIST from, resolved; ``None`` where it is no
    path or, left out, the search finds none."""
    if data_dir is None:
        from linearnets.data.files import find_fashion_mnist  # the data only where asked for

        try:
            return find_fashion_mnist(None).directory.resolve()
        except (LinearnetsError, OSError):
            return None
    if not isinstance(data_dir, str):
        return None
    try:
        return Path(data_dir).expanduser().resolve()
    except (OSError, RuntimeError):
        return None


def call_arguments(changes: Mapping[str, tuple[Any, Any]], *, force: bool) -> str:
    """Return the resume's keyword arguments that apply ``changes``: ``, lr=0.1, force=True``."""
    given = "".join(f", {key}={new!r}" for key, (_, new) in changes.items())
    return given + (", force=True" if force else "")


def said(changes: Mapping[str, tuple[Any, Any]]) -> str:
    """Return the changes as a clause: ``it ran with lr=1000000.0, yours with lr=0.1``."""
    there = " and ".join(f"{key}={old!r}" for key, (old, _) in changes.items())
    yours = " and ".join(f"{key}={new!r}" for key, (_, new) in changes.items())
    return f"it ran with {there}, yours with {yours}"
