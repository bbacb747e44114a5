"""A trained softmax model on disk: ``model.pt`` with what is needed to rebuild it (D2L §3.6.7)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from linearnets.errors import CheckpointError, UsageError
from linearnets.models.factory import build_softmax
from linearnets.training.runs import WEIGHTS_FILE

if TYPE_CHECKING:
    from linearnets.tasks.softmax import Experiment

__all__ = ["WEIGHTS_FILE", "load_trained", "save_weights"]


def save_weights(path: Path, exp: Experiment) -> None:
    """Save the trained weights with what is needed to rebuild the model (read with weights_only)."""
    net = exp.model
    payload = {
        "impl": exp.config.impl,
        "num_inputs": exp.num_inputs,
        "num_outputs": len(exp.classes),
        "resize": exp.config.resize,
        "classes": exp.classes,
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
    }
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_trained(run_dir: Path) -> tuple[Any, dict[str, Any]]:
    """Rebuild the trained model saved in ``run_dir`` and return it with its saved metadata.

    Raises:
        UsageError: ``run_dir`` holds no ``model.pt``.
        CheckpointError: the file is truncated, foreign or damaged.
    """
    path = Path(run_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise UsageError(
            f"RUN_DIR must hold the trained weights {WEIGHTS_FILE}, got {run_dir} without them; "
            "pass a folder written by a finished 'linearnets softmax' run"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        setup = build_softmax(
            payload["impl"], num_inputs=payload["num_inputs"], num_outputs=payload["num_outputs"]
        )
        setup.net.load_state_dict(payload["state_dict"])
    except Exception as exc:  # a truncated or foreign file: name it instead of a pickle traceback
        raise CheckpointError(
            f"{path} is not a linearnets weights file or is damaged ({type(exc).__name__}: {exc}); "
            "re-run training to recreate it"
        ) from None
    return setup.net, payload
