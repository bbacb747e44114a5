"""Loading a checkpoint's states into a freshly prepared run, for a resume (D2L §3.6.6).

The model's weights are checked against the model the run builds (names and shapes) and, when a
forced ``impl`` change crosses between the scratch layout (``W`` (d, q), ``b``) and ``nn.Linear``'s
(``weight`` (q, d), ``bias``), translated; then the optimizer and generator states are loaded.
"""

from __future__ import annotations

from typing import Any

import torch

from linearnets._text import shown_path
from linearnets.config import SoftmaxConfig
from linearnets.errors import CheckpointError
from linearnets.tasks.experiment import Experiment
from linearnets.training.checkpoint import (
    Checkpoint,
    damaged_checkpoint,
    set_global_rng_state,
)
from linearnets.training.checkpoint_values import restore_hint

__all__ = ["restore_states"]


def restore_states(
    exp: Experiment, ckpt: Checkpoint, old: SoftmaxConfig, changed: dict[str, Any]
) -> None:
    """Load the checkpoint's model, optimizer and generator states into a freshly prepared run."""
    state = ckpt.model_state
    if "impl" in changed:
        state = _convert_state(ckpt, old.impl, exp.config.impl)
    _check_model_state(ckpt, state, exp)
    try:
        exp.model.load_state_dict(state)
        if "impl" not in changed:
            exp.setup.updater.load_state_dict(ckpt.optimizer_state)
        if "seed" not in changed:  # a forced new seed draws a new data order from here on
            exp.generators.load_state_dict(ckpt.generators_state["run"])
            set_global_rng_state(ckpt.generators_state["global"])
    except (AttributeError, IndexError, KeyError, RuntimeError, TypeError, ValueError) as exc:
        # the model state fits (checked above): the optimizer's or a generator's state is damaged
        raise CheckpointError(
            f"checkpoint {shown_path(ckpt.path)} is damaged: its optimizer or generator states do "
            f"not fit this run ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
            f"{restore_hint(ckpt.path)}"
        ) from None
    updater = exp.setup.updater
    for group in updater.param_groups:  # the new lr, when forced (the scratch SGD's lr reads it)
        group["lr"] = exp.config.lr


def _check_model_state(ckpt: Checkpoint, state: dict[str, torch.Tensor], exp: Experiment) -> None:
    """Refuse weights whose names or shapes are not those of the model this run builds."""
    wanted = {k: tuple(v.shape) for k, v in exp.model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if found.keys() != wanted.keys():
        raise damaged_checkpoint(
            ckpt.path,
            "model_state",
            f"the weights {sorted(wanted)} of this run's impl={exp.config.impl!r} model",
            sorted(found),
        )
    for name, shape in wanted.items():
        if found[name] != shape:
            raise CheckpointError(
                f"checkpoint {shown_path(ckpt.path)} holds model weights that do not fit this run: "
                f"{name!r} has shape {found[name]}, this run's model needs {shape}, so they were "
                "trained on other data or another image size; resume with the run's own --data "
                "and --resize, or start a new run"
            )


def _convert_state(ckpt: Checkpoint, old: str, new: str) -> dict[str, torch.Tensor]:
    """Translate weights between the scratch layout (W (d, q), b) and nn.Linear's (weight (q, d), bias)."""
    scratch = ("scratch", "analytic")
    state = ckpt.model_state
    if (old in scratch) == (new in scratch):
        return state
    names = ("1.weight", "1.bias") if old == "concise" else ("W", "b")
    if sorted(state) != sorted(names) or state[names[0]].ndim != 2:
        raise damaged_checkpoint(
            ckpt.path,
            "model_state",
            f"the weights {sorted(names)} of an impl={old!r} run, to convert to impl={new!r}",
            {k: tuple(v.shape) for k, v in state.items()},
        )
    if new == "concise":
        return {"1.weight": state["W"].T.contiguous(), "1.bias": state["b"]}
    return {"W": state["1.weight"].T.contiguous(), "b": state["1.bias"]}
