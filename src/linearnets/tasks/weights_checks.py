"""A ``model.pt``'s values checked: what :func:`~linearnets.tasks.weights.save_weights` writes, or
an error naming the field, the rule, the value and the fix (D2L §3.6.7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from linearnets._json import read_json
from linearnets._shell import shell_word
from linearnets._text import shown_path
from linearnets.config import SOFTMAX_IMPLS
from linearnets.config_checks import MAX_RESIZE, MAX_SIZE
from linearnets.errors import CheckpointError
from linearnets.training.checkpoint import CHECKPOINT_FILE, Checkpoint
from linearnets.training.checkpoint import FORMAT as CHECKPOINT_FORMAT
from linearnets.training.run_config import resumable_checkpoint
from linearnets.training.run_task import checkpoint_task
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE

__all__ = ["check_own_run", "check_payload", "recreate_fix"]

# the fix where no checkpoint of the run writes model.pt again
_TRAIN_AGAIN = "re-run training to recreate it"


def recreate_fix(path: Path, *, loads: bool = False) -> str:
    """Return the fix for a damaged ``model.pt`` at ``path``: written again from the run's
    checkpoint where it is a softmax run's a resume loads (the weights of its last epoch), else
    by training again. Its checkpoint is read here alone, on the way to an error: one damaged, or
    another task's (copied from another run's folder), was advised the resume that refuses it.

    ``loads``: the file loads as weights (another run's, copied in), which a resume keeps, saying
    the run is complete: it is to be moved out of the folder first (kept: it may be the one copy
    of the other run's weights)."""
    if not (path.parent / CHECKPOINT_FILE).is_file():
        return _TRAIN_AGAIN
    ckpt = resumable_checkpoint(path.parent)
    task = None if ckpt is None else checkpoint_task(ckpt.extra, ckpt.config)
    if task == "softmax":
        move = (
            f"move it out of the run folder (a resume keeps a {path.name} that loads), then "
            if loads
            else ""
        )
        return (
            f"{move}write it again from the run's checkpoint with linearnets softmax --resume "
            f"{shell_word(path.parent)} (linearnets.resume_softmax in Python)"
        )
    if ckpt is None:
        held = "cannot be read"
    elif task is None:  # nothing tells it is one (a hand edit): a resume is no sure fix
        held = "is no softmax run's"
    else:
        held = f"is a {task} run's, not a softmax run's"
    return f"{_TRAIN_AGAIN} (the run's {CHECKPOINT_FILE} {held}, so no resume writes it again)"


def check_own_run(path: Path, payload: dict[str, Any]) -> None:
    """Refuse the ``model.pt`` at ``path`` (its checked dict ``payload``) where its run folder
    says it is another run's, copied in: its ``impl`` is not the one the run's ``results.json``
    (written with it; without one, ``config.json``) records, or, where the run's checkpoint is of
    the epoch ``results.json`` reports (the run complete, the checkpoint its own), its weights are
    not the checkpoint's. A model.pt of another Fashion-MNIST run was predicted with silently.
    """
    why = _not_own(path.parent, payload)
    if why is not None:
        raise CheckpointError(
            f"{shown_path(path)} is not this run's: {why}, so it was copied from another run; "
            f"put back the run's own {path.name}, or {recreate_fix(path, loads=True)}"
        )


def _not_own(run_dir: Path, payload: dict[str, Any]) -> str | None:
    """Return how ``run_dir``'s files tell its ``model.pt`` (``payload``) from the run's own
    weights, ``None`` where they do not."""
    results = _json_object(run_dir / RESULTS_FILE)
    source, impl = RESULTS_FILE, results.get("impl")
    if impl is None:
        settings = _json_object(run_dir / CONFIG_FILE).get("config")
        source, impl = CONFIG_FILE, settings.get("impl") if isinstance(settings, dict) else None
    if impl in SOFTMAX_IMPLS and impl != payload["impl"]:
        return f"its impl is {payload['impl']!r}, but the run's {source} says {impl!r}"
    ckpt = _own_last_checkpoint(run_dir, results)
    if ckpt is None or _same_tensors(ckpt.model_state, payload["state_dict"]):
        return None
    last = (
        f"(its last epoch, {ckpt.epoch}, which its {CHECKPOINT_FILE} holds and its "
        f"{RESULTS_FILE} reports)"
    )
    held, own = _sizes(payload["state_dict"]), _sizes(ckpt.model_state)
    if held != own:  # another data's: said as predict's refusal of a misfit says it
        return (
            f"it holds a model of {held[0]} inputs and {held[1]} outputs, but the run trained one "
            f"of {own[0]} and {own[1]} {last}"
        )
    return f"its weights are not those the run ended with {last}"


def _sizes(state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """Return the inputs d and outputs q of a softmax model's ``state`` (checked sizes: d × q
    weights, in either layout, and q biases, the one 1-D tensor)."""
    q = sum(v.numel() for v in state.values() if v.dim() == 1)
    total = sum(v.numel() for v in state.values())
    return ((total - q) // q if q else 0), q


def _own_last_checkpoint(run_dir: Path, results: dict[str, Any]) -> Checkpoint | None:
    """Return ``run_dir``'s checkpoint where it is a softmax run's of the epoch, and the train
    loss, its ``results`` (``results.json``) report: the complete run's own, from which its
    ``model.pt`` was written. ``None`` otherwise (none; another run's; a later epoch's, of a
    resume for more epochs stopped before it finished, whose ``model.pt`` is the earlier one's)."""
    if "epochs" not in results or "train_loss" not in results:
        return None
    ckpt = resumable_checkpoint(run_dir)
    if ckpt is None or checkpoint_task(ckpt.extra, ckpt.config) != "softmax" or not ckpt.history:
        return None
    last = ckpt.history[-1]
    if ckpt.epoch != results["epochs"] or last.get("train_loss") != results["train_loss"]:
        return None
    return ckpt


def _same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Whether two state_dicts hold the same names, dtypes, shapes and values."""
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k]) for k in a
    )


def _json_object(path: Path) -> dict[str, Any]:
    """Return the JSON object the run file ``path`` holds; ``{}`` where there is none to read
    (:func:`~linearnets._json.read_json`: the readers that need it name it)."""
    value = read_json(path)
    return value if isinstance(value, dict) else {}


def _damaged(path: Path, field: str, rule: str, value: Any) -> CheckpointError:
    """Return the error for a ``model.pt`` whose ``field`` breaks ``rule``, quoting ``value``."""
    text = " ".join(repr(value).split())
    return CheckpointError(
        f"{shown_path(path)} is damaged: its {field} must be {rule}, got {text[:60]}; "
        f"{recreate_fix(path)}"
    )


def _checkpoint_as_weights(path: Path, payload: dict[Any, Any]) -> CheckpointError:
    """Return the refusal of a ``model.pt`` that is a run's checkpoint, copied or renamed to it
    (a linear-regression run's, or a softmax run's): it was "not a linearnets weights file"."""
    task = checkpoint_task(payload.get("extra"), payload.get("config"))
    what = f"a {task} run's checkpoint" if task is not None else "a linearnets checkpoint"
    return CheckpointError(
        f"{shown_path(path)} is {what}, not a softmax run's trained weights: a {CHECKPOINT_FILE} "
        f"was copied or renamed to {path.name}; {recreate_fix(path)}"
    )


def check_payload(path: Path, payload: Any) -> None:
    """Refuse a ``model.pt`` whose values are not those :func:`~linearnets.tasks.weights.save_weights` writes."""
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        raise _checkpoint_as_weights(path, payload)
    if not isinstance(payload, dict) or not {"impl", "state_dict"} <= payload.keys():
        raise CheckpointError(
            f"{shown_path(path)} is not a linearnets weights file (no impl and state_dict); "
            f"{recreate_fix(path)}"
        )
    if payload["impl"] not in SOFTMAX_IMPLS:
        raise _damaged(path, "impl", f"one of {', '.join(SOFTMAX_IMPLS)}", payload["impl"])
    _check_sizes(path, payload)
    _check_state(path, payload["state_dict"], payload["num_inputs"], payload["num_outputs"])
    _check_classes(path, payload.get("classes"), payload["num_outputs"])
    if "pixels" in payload and not isinstance(payload["pixels"], bool):  # absent: an older file
        raise _damaged(path, "pixels", "True or False", payload["pixels"])


def _check_sizes(path: Path, payload: dict[str, Any]) -> None:
    """Refuse input and output counts that are not positive integers, or a resize that misfits."""
    for key in ("num_inputs", "num_outputs"):
        value = payload.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
            raise _damaged(path, key, "a positive integer", value)
    resize = payload.get("resize")
    if resize is None:
        return
    if isinstance(resize, bool) or not isinstance(resize, int) or not 1 <= resize <= MAX_RESIZE:
        raise _damaged(path, "resize", f"None or an image side in [1, {MAX_RESIZE}]", resize)
    if resize * resize != payload["num_inputs"]:  # resized images are 1 × resize × resize
        raise _damaged(
            path,
            "resize",
            f"the side of the model's {payload['num_inputs']}-pixel input images",
            resize,
        )


def _check_classes(path: Path, classes: Any, num_outputs: int) -> None:
    """Refuse class names that are not one string per output; None (an older file) is no names."""
    if classes is None:
        return
    if (
        not isinstance(classes, (list, tuple))
        or len(classes) != num_outputs
        or not all(isinstance(name, str) for name in classes)
    ):
        raise _damaged(
            path, "classes", f"a list of {num_outputs} class names (one string per output)", classes
        )


# the float dtypes a model's weights are trained in (float8 has no isfinite, nor a matmul)
_WEIGHT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _check_state(path: Path, state: Any, num_inputs: int, num_outputs: int) -> None:
    """Refuse a state_dict that is not finite float weights for ``num_inputs`` × ``num_outputs``."""
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise _damaged(path, "state_dict", "a dict of weight tensors", state)
    size = num_inputs * num_outputs + num_outputs
    if sum(v.numel() for v in state.values()) != size:  # checked before building a model that big
        shapes = {k: tuple(v.shape) for k, v in state.items()}
        raise _damaged(
            path,
            "state_dict",
            f"weights for {num_inputs} inputs and {num_outputs} outputs",
            shapes,
        )
    for name, value in state.items():
        field = f"state_dict[{name!r}]"
        if not value.is_floating_point():
            raise _damaged(path, field, "a floating-point tensor", value.dtype)
        # what isfinite and load_state_dict cannot take: 'unexpected NotImplementedError' and
        # torch's list of every backend, or 'unexpected RuntimeError' (exit 1)
        if value.layout != torch.strided:
            raise _damaged(path, field, "a dense tensor", value.layout)
        if value.is_meta:
            raise _damaged(
                path, field, "a tensor holding values, not on the meta device", value.device
            )
        if value.dtype not in _WEIGHT_DTYPES:
            rule = "a tensor of float16, bfloat16, float32 or float64 values"
            raise _damaged(path, field, rule, value.dtype)
        if not torch.isfinite(value).all():
            bad = int((~torch.isfinite(value)).sum())
            raise CheckpointError(
                f"{shown_path(path)} holds non-finite weights: {bad} of the {value.numel()} values "
                f"of {name!r} are NaN or inf, so every prediction would be meaningless; the run "
                "diverged (trained with the guard off?): retrain with a smaller lr"
            )
