"""A trained softmax model on disk: ``model.pt`` with what is needed to rebuild it (D2L §3.6.7).

Its values are checked by :mod:`linearnets.tasks.weights_checks`; a folder without it is
explained by :mod:`linearnets.tasks.missing_weights`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from linearnets._shell import shell_word
from linearnets._text import quoted_path, shown_path
from linearnets.data.labels import TEXT_LABELS
from linearnets.errors import CheckpointError, UsageError
from linearnets.inference import expect_pixels
from linearnets.models.factory import softmax_net
from linearnets.models.scratch import SoftmaxRegressionScratch
from linearnets.path_checks import link_target
from linearnets.tasks.missing_weights import no_weights, refuse_linreg_folder
from linearnets.tasks.weights_checks import check_own_run, check_payload, recreate_fix
from linearnets.training.checkpoint import check_crcs, load_failure
from linearnets.training.checkpoint_write import save_run_file
from linearnets.training.run_config import RUN_FOLDER_FIX, run_dir_path
from linearnets.training.run_dir_checks import check_reachable
from linearnets.training.runs import WEIGHTS_FILE

if TYPE_CHECKING:
    from linearnets.tasks.softmax import Experiment

__all__ = [
    "WEIGHTS_FILE",
    "fashion_mnist_weights",
    "load_trained",
    "save_weights",
    "weights_intact",
]


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
            says whether its run is still training, stopped before it finished, lost its weights
            with its checkpoint, keeps them in a checkpoint the system will not read (its
            permissions: the chmod named), or there is none);
            or its permissions deny reading ``model.pt``, or looking into ``run_dir`` or a
            folder it is in.
        CheckpointError: the file is truncated, foreign or damaged, or its weights are NaN or inf;
            or ``model.pt`` is a folder, or a link to one (the link named, its removal the fix);
            or it is another run's, copied in: its impl is not the one the run's
            ``results.json`` (else ``config.json``) records, or its weights are not those of the
            complete run's checkpoint (:func:`~linearnets.tasks.weights_checks.check_own_run`).
    """
    run_dir = run_dir_path(run_dir, example="load_trained('runs/a')")
    check_reachable(run_dir)  # Path.is_file raised the bare PermissionError
    if run_dir.is_file():
        raise UsageError(
            f"run_dir must be the run folder, got the file {shown_path(run_dir)}; pass the folder "
            f"that holds it: {shown_path(run_dir.parent)}"
        )
    if not run_dir.is_dir():  # a misspelt folder: "without model.pt" sent to look for a file
        raise UsageError(
            f"run_dir must be a run folder, got {quoted_path(run_dir)}, which does not exist; "
            f"{RUN_FOLDER_FIX}"
        )
    path = run_dir / WEIGHTS_FILE
    _check_searchable(run_dir, path)
    if path.is_dir():  # "without them ... --resume" sent a loop: a resume refuses this folder too
        raise CheckpointError(
            f"{shown_path(path)} must be the trained weights file, got {_folder_fix(path)}, then "
            f"{recreate_fix(path)}"
        )
    if not path.is_file():
        raise no_weights(run_dir)
    refuse_linreg_folder(run_dir)  # its results.json's 'scratch' is no softmax run's impl
    payload = _read_payload(path)
    if "pixels" not in payload:  # written before it was recorded: every Fashion-MNIST run scaled
        classes = payload.get("classes")
        payload["pixels"] = True if classes and list(classes) == list(TEXT_LABELS) else None
    net = _model_of(path, payload)
    check_own_run(path, payload)  # after: a damaged file is named as such, not as another run's
    if payload["pixels"]:
        expect_pixels(net)
    return net, payload


def _folder_fix(path: Path) -> str:
    """Return what the folder at ``path`` (``model.pt``) is and how to clear it: a folder, moved
    out of the run folder; a link to one (its target named), removed: "move that folder out of
    the run folder" named a folder that is not in it."""
    if not path.is_symlink():
        return "a folder; move that folder out of the run folder"
    try:
        folder = f"the folder {quoted_path(link_target(path))}"
    except OSError:
        folder = "a folder"
    return f"a link to {folder}; remove the link (the folder it points to is kept)"


def _model_of(path: Path, payload: dict[str, Any]) -> SoftmaxRegressionScratch | nn.Sequential:
    """Return the model ``payload``'s ``impl`` builds, its ``state_dict`` loaded.

    Its initial weights, overwritten by the load, are drawn on a generator of their own: torch's
    global one, which a user's own seed set, is left as it was. (Built on the meta device, as the
    check of :func:`weights_intact` once was, the draws went through torch's Python reference
    kernels, which import ``torch._dynamo``: 1.2 s of a 3.2 s resume of a complete run; so did
    the optimizer built beside a concise model, in every ``predict``.)

    Raises:
        CheckpointError: the state_dict does not fit the model (another impl's names, a
            transposed weight).
    """
    net = softmax_net(
        payload["impl"],
        num_inputs=payload["num_inputs"],
        num_outputs=payload["num_outputs"],
        generator=torch.Generator(),
    )
    try:
        net.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        model = f"{'an' if payload['impl'] == 'analytic' else 'a'} {payload['impl']} model"
        raise CheckpointError(
            f"{shown_path(path)} is damaged: its state_dict does not fit {model} of "
            f"{payload['num_inputs']} inputs and {payload['num_outputs']} outputs "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
            f"{recreate_fix(path)}"
        ) from None
    return net


def _check_searchable(run_dir: Path, path: Path) -> None:
    """Refuse a ``run_dir`` whose permissions deny reaching its weights ``path``: ``is_dir``
    raised the bare PermissionError (exit 1, no fix), or (Python 3.12+) said there were none."""
    try:
        path.stat()
    except PermissionError as exc:
        raise UsageError(
            f"run_dir must be a folder you can open, got {quoted_path(run_dir)}, whose "
            f"{WEIGHTS_FILE} cannot be reached ({exc.strerror}); make the folder readable (chmod "
            f"u+rx {shell_word(run_dir)}) and try again"
        ) from None
    except OSError:  # missing, or a link to nowhere: named below
        return


def weights_intact(path: Path) -> bool:
    """Whether ``path`` holds trained weights :func:`load_trained` would take (a resume of a run
    whose ``model.pt`` is missing or damaged writes it again from the checkpoint). Another run's,
    copied in, is intact to it (load_trained's refusal of it says to move it out of the folder
    first): a resume writes no file over weights that load."""
    # none (an unfinished run's): no refusal to word, nor its fix, which loads the checkpoint.
    # os.path's: Python 3.11's Path.is_file raises PermissionError in a folder that cannot be
    # searched
    if not os.path.isfile(path):
        return False
    try:
        # its state_dict fitted to the model its impl names too: one that does not (an impl
        # edited by hand) was "complete" to the resume that predict's refusal of it advises
        _model_of(path, _read_payload(path))
    except (CheckpointError, UsageError):  # unreadable or damaged: the probe's answer
        return False
    return True


def fashion_mnist_weights(path: Path) -> dict[str, Any] | None:
    """Return the dict of the ``model.pt`` at ``path`` where it holds a model trained on
    Fashion-MNIST, as its class names tell (a ``--data`` run's are ``"0"``, ``"1"``, ...); ``None``
    where it does not, or cannot be read (:func:`load_trained` names why)."""
    if not os.path.isfile(path):
        return None
    try:
        payload = _read_payload(path)
    except (CheckpointError, UsageError):
        return None
    classes = payload.get("classes")
    return payload if classes is not None and list(classes) == list(TEXT_LABELS) else None


def _read_payload(path: Path) -> dict[str, Any]:
    """Return ``model.pt``'s dict at ``path``, read with ``weights_only`` and its values checked.

    Raises:
        UsageError: the file's permissions deny reading it (no damage: a resume is no fix).
        CheckpointError: the file is missing, truncated, foreign or damaged.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        check_crcs(path)  # torch.load checks none: a flipped bit in the weights loaded silently
    except PermissionError as exc:  # it was "damaged", to be written again by a resume
        raise UsageError(
            f"{shown_path(path)} cannot be read ({exc.strerror}); make it readable (chmod u+r "
            f"{shell_word(path)}) and try again"
        ) from None
    except Exception as exc:  # a truncated or foreign file: name it instead of a pickle traceback
        raise CheckpointError(
            f"{shown_path(path)} is not a linearnets weights file or is damaged "
            f"({load_failure(exc)}); {recreate_fix(path)}"
        ) from None
    check_payload(path, payload)
    return payload
