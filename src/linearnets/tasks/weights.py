"""A trained softmax model on disk: ``model.pt`` with what is needed to rebuild it (D2L §3.6.7)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from linearnets._shell import shell_word
from linearnets.config import SOFTMAX_IMPLS
from linearnets.config_checks import MAX_RESIZE, MAX_SIZE
from linearnets.data.labels import TEXT_LABELS
from linearnets.errors import CheckpointError, UsageError
from linearnets.inference import expect_pixels
from linearnets.models.factory import build_softmax
from linearnets.models.scratch import SoftmaxRegressionScratch
from linearnets.training.checkpoint import load_failure
from linearnets.training.checkpoint_write import save_run_file
from linearnets.training.run_config import run_dir_path
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE, WEIGHTS_FILE

if TYPE_CHECKING:
    from linearnets.tasks.softmax import Experiment

__all__ = ["WEIGHTS_FILE", "load_trained", "save_weights", "weights_intact"]


def save_weights(path: Path, exp: Experiment) -> None:
    """Save the trained weights with what is needed to rebuild the model (read with weights_only).

    Written as a checkpoint is: a temporary file in the folder, fsync'ed, renamed over ``path``.

    Raises:
        RunFileError: ``path`` could not be written (a full disk named as such); no temporary file
            is left, and the message says how to finish the run.
    """
    net = exp.model
    payload = {
        "impl": exp.config.impl,
        "num_inputs": exp.num_inputs,
        "num_outputs": len(exp.classes),
        "resize": exp.config.resize,
        "classes": exp.classes,
        "pixels": exp.pixels,
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
    }
    save_run_file(path, payload)


def load_trained(
    run_dir: str | os.PathLike[str],
) -> tuple[SoftmaxRegressionScratch | nn.Sequential, dict[str, Any]]:
    """Rebuild the trained model saved in ``run_dir`` and return it with its saved metadata.

    Returns:
        The model, as the run's ``impl`` builds it (:class:`SoftmaxRegressionScratch` for
        "scratch" and "analytic", ``nn.Sequential(nn.Flatten(), nn.Linear(d, q))`` for
        "concise"), and ``model.pt``'s dict (``impl``, ``num_inputs``, ``num_outputs``,
        ``resize``, ``classes``, ``pixels``, ``state_dict``). ``pixels`` says how to scale new
        inputs (X (N, D), or images for Fashion-MNIST's model): ``True`` where the run trained on
        8-bit pixels divided by 255 (Fashion-MNIST; a ``--data`` X of uint8, or of integers
        within 0..255 past 100), so new ones are predicted as ``X.float() / 255``; ``False``
        where it trained on X's values as they are; ``None`` where a ``model.pt`` written before
        it was recorded does not say (a ``--data`` run's; a Fashion-MNIST model's is ``True``).
        :func:`~linearnets.inference.predict_labels` warns, once, when a model trained on pixels
        is given float inputs past 1.5: raw pixels, not divided by 255.

    Raises:
        UsageError: ``run_dir`` does not exist, is a file, or holds no ``model.pt`` (the message
            says whether its run is still training, stopped before it finished, or there is none);
            or its permissions deny reading ``model.pt``.
        CheckpointError: the file is truncated, foreign or damaged, or its weights are NaN or inf;
            or ``model.pt`` is a folder.
    """
    run_dir = run_dir_path(run_dir, example="load_trained('runs/a')")
    if run_dir.is_file():
        raise UsageError(
            f"run_dir must be the run folder, got the file {run_dir}; pass the folder that holds "
            f"it: {run_dir.parent}"
        )
    if not run_dir.is_dir():  # a misspelt folder: "without model.pt" sent to look for a file
        raise UsageError(
            f"run_dir must be a run folder, got {str(run_dir)!r}, which does not exist; pass the "
            "folder a 'linearnets softmax' run wrote (it printed 'run folder: ...')"
        )
    path = run_dir / WEIGHTS_FILE
    _check_searchable(run_dir, path)
    if path.is_dir():  # "without them ... --resume" sent a loop: a resume refuses this folder too
        raise CheckpointError(
            f"{path} must be the trained weights file, got a folder; move that folder out of "
            f"the run folder, then {_recreate(path)}"
        )
    if not path.is_file():
        raise _no_weights(run_dir)
    payload = _read_payload(path)
    if "pixels" not in payload:  # written before it was recorded: every Fashion-MNIST run scaled
        classes = payload.get("classes")
        payload["pixels"] = True if classes and list(classes) == list(TEXT_LABELS) else None
    setup = build_softmax(
        payload["impl"], num_inputs=payload["num_inputs"], num_outputs=payload["num_outputs"]
    )
    try:
        setup.net.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        model = f"{'an' if payload['impl'] == 'analytic' else 'a'} {payload['impl']} model"
        raise CheckpointError(
            f"{path} is damaged: its state_dict does not fit {model} of "
            f"{payload['num_inputs']} inputs and {payload['num_outputs']} outputs "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); {_recreate(path)}"
        ) from None
    if payload["pixels"]:
        expect_pixels(setup.net)
    return setup.net, payload


def _no_weights(run_dir: Path) -> UsageError:
    """Return the error for a ``run_dir`` without ``model.pt``, saying how to finish its run."""
    from linearnets.training.checkpoint import CHECKPOINT_FILE
    from linearnets.training.run_lock import lock_holder

    got = (
        f"run_dir must hold the trained weights {WEIGHTS_FILE}, got {str(run_dir)!r} without them; "
    )
    holder = lock_holder(run_dir)
    if holder is not None:  # a resume would be refused: the run is being written
        return UsageError(
            f"{got}its run is still training (linearnets process {holder}), and {WEIGHTS_FILE} is "
            "written when it finishes: wait for that process to end, then predict"
        )
    linreg = _linreg_source(run_dir)
    if linreg is not None:  # a softmax resume, advised below, refuses it: it has no model.pt
        return UsageError(
            f"{got}it holds a linear-regression run (its {linreg} is of task 'linreg'), which "
            f"keeps no {WEIGHTS_FILE} (its learned w and b are in its {RESULTS_FILE} once it "
            "finishes); pass the folder of a 'linearnets softmax' run"
        )
    # quoted: the command is pasted into a shell, and a space would split the path
    resume = (
        f"linearnets softmax --resume {shell_word(run_dir)} (linearnets.resume_softmax in "
        "Python), then predict"
    )
    if (Path(run_dir) / CHECKPOINT_FILE).is_file():
        if (Path(run_dir) / RESULTS_FILE).is_file():  # finished, and model.pt removed since
            return UsageError(
                f"{got}its run finished, and its checkpoint holds the weights: write "
                f"{WEIGHTS_FILE} again with {resume}"
            )
        return UsageError(f"{got}its run stopped before it finished: finish it with {resume}")
    from linearnets.tasks.resume_settings import epochs_logged

    # its config.json alone, no epoch logged: a resume starts it over (it said "pass a folder
    # written by a finished run", as of a folder holding no run)
    started = (run_dir / CONFIG_FILE).is_file() and not (run_dir / RESULTS_FILE).exists()
    if started and not epochs_logged(run_dir):
        return UsageError(
            f"{got}its run stopped before its first epoch ended, so nothing was trained: start "
            f"it over with {resume}"
        )
    return UsageError(f"{got}pass a folder written by a finished 'linearnets softmax' run")


def _linreg_source(run_dir: Path) -> str | None:
    """Return the file that says ``run_dir`` holds a linear-regression run (its ``config.json``,
    else, where that is gone, its checkpoint's task), or ``None``."""
    from linearnets.tasks.linreg_run import TASK
    from linearnets.training.checkpoint import CHECKPOINT_FILE, load_checkpoint

    path = run_dir / CONFIG_FILE
    if path.is_file():  # a FIFO would block the read
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return CONFIG_FILE if isinstance(saved, dict) and saved.get("task") == TASK else None
    try:
        task = load_checkpoint(run_dir / CHECKPOINT_FILE).extra.get("task")
    except (CheckpointError, OSError):
        return None
    return CHECKPOINT_FILE if task == TASK else None


def _check_searchable(run_dir: Path, path: Path) -> None:
    """Refuse a ``run_dir`` whose permissions deny reaching its weights ``path``: ``is_dir``
    raised the bare PermissionError (exit 1, no fix), or (Python 3.12+) said there were none."""
    try:
        path.stat()
    except PermissionError as exc:
        raise UsageError(
            f"run_dir must be a folder you can open, got {str(run_dir)!r}, whose {WEIGHTS_FILE} "
            f"cannot be reached ({exc.strerror}); make the folder readable (chmod u+rx "
            f"{shell_word(run_dir)}) and try again"
        ) from None
    except OSError:  # missing, or a link to nowhere: named below
        return


def weights_intact(path: Path) -> bool:
    """Whether ``path`` holds trained weights :func:`load_trained` would take (a resume of a run
    whose ``model.pt`` is missing or damaged writes it again from the checkpoint)."""
    try:
        _read_payload(path)
    except (CheckpointError, UsageError):  # missing, unreadable or damaged: the probe's answer
        return False
    return True


def _read_payload(path: Path) -> dict[str, Any]:
    """Return ``model.pt``'s dict at ``path``, read with ``weights_only`` and its values checked.

    Raises:
        UsageError: the file's permissions deny reading it (no damage: a resume is no fix).
        CheckpointError: the file is missing, truncated, foreign or damaged.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError as exc:  # it was "damaged", to be written again by a resume
        raise UsageError(
            f"{path} cannot be read ({exc.strerror}); make it readable (chmod u+r "
            f"{shell_word(path)}) and try again"
        ) from None
    except Exception as exc:  # a truncated or foreign file: name it instead of a pickle traceback
        raise CheckpointError(
            f"{path} is not a linearnets weights file or is damaged ({load_failure(exc)}); "
            f"{_recreate(path)}"
        ) from None
    _check_payload(path, payload)
    return payload


def _recreate(path: Path) -> str:
    """Return the fix for a damaged ``model.pt`` at ``path``: written again from the run's
    checkpoint when there is one (the weights of its last epoch), else by training again."""
    from linearnets.training.checkpoint import CHECKPOINT_FILE

    if (path.parent / CHECKPOINT_FILE).is_file():
        return (
            f"write it again from the run's checkpoint with linearnets softmax --resume "
            f"{shell_word(path.parent)} (linearnets.resume_softmax in Python)"
        )
    return "re-run training to recreate it"


def _damaged(path: Path, field: str, rule: str, value: Any) -> CheckpointError:
    """Return the error for a ``model.pt`` whose ``field`` breaks ``rule``, quoting ``value``."""
    text = " ".join(repr(value).split())
    return CheckpointError(
        f"{path} is damaged: its {field} must be {rule}, got {text[:60]}; {_recreate(path)}"
    )


def _check_payload(path: Path, payload: Any) -> None:
    """Refuse a ``model.pt`` whose values are not those :func:`save_weights` writes."""
    if not isinstance(payload, dict) or not {"impl", "state_dict"} <= payload.keys():
        raise CheckpointError(
            f"{path} is not a linearnets weights file (no impl and state_dict); {_recreate(path)}"
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
                f"{path} holds non-finite weights: {bad} of the {value.numel()} values of "
                f"{name!r} are NaN or inf, so every prediction would be meaningless; the run "
                "diverged (trained with the guard off?): retrain with a smaller lr"
            )
