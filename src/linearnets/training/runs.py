"""Run folders: where a run keeps its effective config, metrics, plots, weights and checkpoints."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch

from linearnets._json import dumps_strict
from linearnets.errors import UsageError
from linearnets.training.checkpoint import CHECKPOINT_FILE

__all__ = [
    "CONFIG_FILE",
    "RESULTS_FILE",
    "RUN_FILES",
    "WEIGHTS_FILE",
    "create_run_dir",
    "environment",
    "read_config",
    "write_json_atomic",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.pt"  # the trained weights
RESULTS_FILE = "results.json"  # the final summary, as --json prints it
# a folder holding any of these holds (part of) a run: a new run there would overwrite it
RUN_FILES = (CONFIG_FILE, CHECKPOINT_FILE, WEIGHTS_FILE, RESULTS_FILE)


def environment() -> dict[str, Any]:
    """Return the versions and machine facts a run depends on (recorded with its config)."""
    import numpy as np

    from linearnets import __version__

    return {
        "linearnets": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "num_threads": torch.get_num_threads(),
        "cuda": torch.version.cuda,
    }


def create_run_dir(out: Path | None, *, name: str) -> Path:
    """Create and return the run folder: ``out`` itself, or ``runs/<name>-<timestamp>`` when ``None``.

    Raises:
        UsageError: ``out`` is a file, is not writable, or already holds a run (resume it instead).
    """
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{name}-{stamp}"
        suffix = 1
        while out.exists():
            suffix += 1
            out = Path("runs") / f"{name}-{stamp}-{suffix}"
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out must be a folder, got the file {out}; pass a new folder name")
    held = [name for name in RUN_FILES if (out / name).exists()]
    if held:
        advice = (
            f"continue it with --resume {out}, or pass a new folder"
            if CONFIG_FILE in held
            else "it has no config.json, so --resume cannot continue it: pass a new folder, or "
            "move those files away"
        )
        raise UsageError(f"--out {out} already holds a run (it has {', '.join(held)}); {advice}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--out {out} cannot be created ({exc.strerror}); pass a writable folder"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out} is not writable; pass a folder you can write to")
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dumps_strict(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_config(run_dir: Path) -> dict[str, Any]:
    """Return the ``config.json`` of ``run_dir``, with a clear error when it is missing or unreadable."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise UsageError(
            f"RUN_DIR must be a run folder holding {CONFIG_FILE}, got {run_dir} without one; "
            "pass the folder a 'linearnets softmax' run wrote"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"{path} is not a readable JSON config ({exc}); the run folder is damaged"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} must hold a JSON object, got {type(data).__name__}")
    if not isinstance(data.get("config"), dict):
        # another tool's config.json (a model hub's, say): not a run to resume or overwrite
        raise UsageError(
            f"{path} is not a linearnets run config (it has no 'config' section); pass the "
            "folder a 'linearnets softmax' run wrote"
        )
    return data
