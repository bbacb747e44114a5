"""What one softmax run trains with: data on its device, model, optimizer, generators (D2L §3.6–3.7).

:func:`prepare` turns a :class:`~linearnets.config.SoftmaxConfig` into an :class:`Experiment`; training
it is :mod:`linearnets.tasks.softmax`'s job, resuming it :mod:`linearnets.tasks.resume`'s.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from linearnets._env import env_int
from linearnets._fs import sha256_file
from linearnets._text import counted, shown_path
from linearnets.config import SoftmaxConfig
from linearnets.device import resolve_device
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError
from linearnets.models.factory import Setup, build_softmax
from linearnets.seeding import RunGenerators, default_dtype, pin_threads, seed_everything
from linearnets.training.distributed import DistContext
from linearnets.training.rank_agreement import before_training, on_every_rank

__all__ = ["Experiment", "check_data_source", "prepare", "processes_here", "tells_its_machine"]


@dataclass
class Experiment:
    """Everything one softmax run trains with, built from its config."""

    config: SoftmaxConfig
    setup: Setup
    model: Any  # the bare model (``setup.net`` may wrap it in DistributedDataParallel)
    generators: RunGenerators
    train_iter: Any
    test_iter: Any
    classes: list[str]
    data_source: str
    num_inputs: int
    device: torch.device
    dist: DistContext
    data_sha256: str | None = None  # the --data file's content, so a resume can tell it changed
    # the largest |value| of a --data file's training features, as trained on (None: Fashion-MNIST,
    # in [0, 1]): features far from unit size make the book's lr diverge
    feature_scale: float | None = None
    # whether the inputs were 8-bit pixels divided by 255 (Fashion-MNIST, a --data file's uint8 X),
    # as new inputs must be to predict: model.pt records it
    pixels: bool = False


def processes_here(dist: DistContext) -> int:
    """Return how many of the run's processes share this machine's cores: torchrun's
    ``LOCAL_WORLD_SIZE``; for a group joined in Python with no ``LOCAL_RANK`` either (``mp.spawn``
    and ``init_process_group``), all of them, on one machine as
    :func:`~linearnets.training.distributed.group_context` takes it (local rank = rank); else
    (processes started by hand with their ``LOCAL_RANK``, on machines not said) this one."""
    if not dist.enabled:
        return 1
    if "LOCAL_WORLD_SIZE" in os.environ:
        return env_int("LOCAL_WORLD_SIZE", 1)
    return dist.world_size if "LOCAL_RANK" not in os.environ else 1


def tells_its_machine(dist: DistContext) -> bool:
    """Return whether this process warns of the threads of the :func:`processes_here` it counts:
    the first on its machine (torchrun's local rank 0, one per machine: rank 0 alone left the
    other machines' cores unchecked), rank 0 of a group joined in Python, and each process started
    by hand with its ``LOCAL_RANK``, which counts itself alone."""
    if not dist.enabled or "LOCAL_WORLD_SIZE" in os.environ:
        return dist.local_rank == 0
    return dist.is_main if "LOCAL_RANK" not in os.environ else True


def prepare(config: SoftmaxConfig, *, dist: DistContext | None = None) -> Experiment:
    """Seed, pin threads, load the data onto the device and build the model for ``config``."""
    if not isinstance(config, SoftmaxConfig):
        raise UsageTypeError(
            f"config must be a SoftmaxConfig, got {type(config).__name__}; pass SoftmaxConfig(...)"
        )
    dist = dist or DistContext()
    pin_threads(config.num_threads, processes=processes_here(dist), told=tells_its_machine(dist))
    gens = seed_everything(config.seed)
    device = resolve_device(config.device, local_rank=dist.local_rank)
    # each process reads its own machine's files: one that cannot stops every process, named
    data = on_every_rank(dist, lambda: _load_data_once_said(config, dist))
    train_iter, test_iter = _loaders(config, data, gens, dist=dist, device=device)
    setup, model = _model(config, data, gens, dist=dist, device=device)
    return Experiment(
        config=config,
        setup=setup,
        model=model,
        generators=gens,
        train_iter=train_iter,
        test_iter=test_iter,
        classes=data.classes,
        data_source=data.source,
        num_inputs=data.num_inputs,
        device=device,
        dist=dist,
        data_sha256=data.sha256,
        feature_scale=data.feature_scale,
        pixels=data.pixels,
    )


def _loaders(
    config: SoftmaxConfig,
    data: _Data,
    gens: RunGenerators,
    *,
    dist: DistContext,
    device: torch.device,
) -> tuple[Any, Any]:
    """Return the shuffled training loader and the test loader (``None`` without a test set)."""
    from linearnets.data.loader import ArrayLoader

    # both: the config's image size, and this rank's shard of the examples on its device
    both: dict[str, Any] = {
        "resize": config.resize,
        "rank": dist.rank,
        "world_size": dist.world_size,
        "device": device,
    }
    train_iter = ArrayLoader(
        data.X, data.y, config.batch_size, shuffle=True, generator=gens.data, **both
    )
    test_iter = None
    if data.X_test is not None and data.y_test is not None:
        test_iter = ArrayLoader(data.X_test, data.y_test, config.batch_size, shuffle=False, **both)
    return train_iter, test_iter


def _model(
    config: SoftmaxConfig,
    data: _Data,
    gens: RunGenerators,
    *,
    dist: DistContext,
    device: torch.device,
) -> tuple[Setup, Any]:
    """Build ``config.impl`` on ``device``; return its setup and the bare model.

    In a distributed run ``setup.net`` wraps the model in DistributedDataParallel.
    """
    # float32 as the data, whatever torch's default dtype (a notebook set to float64)
    with default_dtype(torch.float32):
        setup = build_softmax(
            config.impl,
            num_inputs=data.num_inputs,
            num_outputs=len(data.classes),
            lr=config.lr,
            generator=gens.init,
        )
    model = setup.net.to(device)  # in place, so the optimizer keeps the same parameter tensors
    if dist.enabled and isinstance(model, torch.nn.Module):
        from torch.nn.parallel import DistributedDataParallel

        # DDP's constructor checks and broadcasts the parameters, a collective of its own
        with before_training():
            setup.net = DistributedDataParallel(
                model, device_ids=[device] if device.type == "cuda" else None
            )
    return setup, model


@dataclass
class _Data:
    """A run's examples (``X`` (n, ...), ``y`` (n,)), test split if any, and what they are."""

    X: torch.Tensor
    y: torch.Tensor
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    classes: list[str]
    num_inputs: int
    source: str
    sha256: str | None = None
    feature_scale: float | None = None  # max |X| of a data file's features (N, D)
    pixels: bool = False  # 8-bit pixels, divided by 255 as they are batched or were read


def _reworded(err: Exception, text: str) -> Exception:
    """Return ``err`` with the message ``text``: of its class and with its attributes (an
    ``OtherContentError``'s ``path``), which ``type(err)(text)`` could not build where the class
    takes more than a message."""
    new = type(err).__new__(type(err))
    new.__dict__.update(err.__dict__)
    new.args = (text,)
    return new


def _load_data_once_said(config: SoftmaxConfig, dist: DistContext) -> _Data:
    """:func:`_load_data`, its DataWarnings said by each machine's first process alone.

    The processes of one machine read the same files and share its terminal: every one of them
    said the same warning (labels no example has, a damaged file passed over), where only rank 0
    prints. Another machine's first process says its own (its own files, its own terminal).
    """
    if dist.local_rank == 0:
        return _load_data(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return _load_data(config)


def _load_data(config: SoftmaxConfig) -> _Data:
    """Return Fashion-MNIST (uint8 images) or the user's ``data`` file (float features)."""
    if config.data is not None:
        return _load_file(config, config.data)
    from linearnets.data.fashion_mnist import TEXT_LABELS, read_fashion_mnist

    try:
        fm = read_fashion_mnist(config.data_dir)
    except (UsageError, DatasetError) as err:
        # the reader's parameter is root, named in its errors; the config's is data_dir
        text = str(err)
        if text.startswith("root must"):
            text = "data_dir" + text[len("root") :] + _data_file_fix(config.data_dir, text)
        elif "root=" not in text:
            raise
        raise _reworded(err, text.replace("root=", "data_dir=")) from None
    side = config.resize or 28
    return _Data(
        fm.train_images,
        fm.train_labels,
        fm.test_images,
        fm.test_labels,
        list(TEXT_LABELS),
        side * side,
        str(fm.found.source),
        pixels=True,  # uint8 images, divided by 255 by the loader
    )


def _data_file_fix(data_dir: Any, text: str) -> str:
    """Return the other fix of a ``data_dir`` that is a ``.npz`` file, refused in ``text`` as no
    folder: the file was more likely meant as ``data``, which trains on it; else ``""``."""
    if not text.startswith("root must be an existing folder, got the file "):
        return ""
    if Path(data_dir).suffix.lower() != ".npz":  # the one kind of file data reads
        return ""
    # "pass data='x.npz'", which the command line says as "pass --data x.npz"
    return f", or pass data={str(data_dir)!r} to train on that file"


def _load_file(config: SoftmaxConfig, path: Path) -> _Data:
    """Return the ``data`` file at ``path``, refusing settings only Fashion-MNIST takes."""
    from linearnets.data.arrays import load_classification_file

    check_data_source(config)
    # read by the name it was given (its messages show it so); recorded by path, absolute
    arrays = load_classification_file(config.data_as_given() or path)
    # the classes as the model has them (labels 0, 2, 5 make 6), and whether a test set scores it
    tests = (
        "no test set"
        if arrays.X_test is None
        else f"{counted(arrays.X_test.shape[0], 'test example')}"
    )
    return _Data(
        arrays.X,
        arrays.y,
        arrays.X_test,
        arrays.y_test,
        [str(c) for c in range(arrays.num_classes)],
        arrays.num_features,
        f"{shown_path(path)} ({counted(arrays.X.shape[0], 'example')}, "
        f"{counted(arrays.num_features, 'feature')}, {counted(arrays.num_classes, 'class', 'classes')}, "
        f"{tests})",
        sha256=sha256_file(path),
        feature_scale=_largest_magnitude(arrays.X),
        pixels=arrays.pixels,
    )


def check_data_source(config: SoftmaxConfig) -> None:
    """Refuse settings only Fashion-MNIST takes (``resize``, ``data_dir``) with a ``data`` file.

    A resume checks it before it compares settings: ``--resize`` there was named as a change
    ``--force`` accepts, which then refused it as this.
    """
    if config.data is None:
        return
    if config.resize is not None:
        raise UsageError(
            f"resize applies to Fashion-MNIST images only, got resize={config.resize!r} with "
            f"data={str(config.data)!r}; drop one of them"
        )
    if config.data_dir is not None:  # it would be ignored: say so rather than train on data
        raise UsageError(
            f"data_dir finds Fashion-MNIST, got data_dir={str(config.data_dir)!r} with "
            f"data={str(config.data)!r}, which replaces it; drop one of them"
        )


def _largest_magnitude(X: torch.Tensor) -> float | None:
    """Return the largest |value| of ``X`` (N, D) without a copy of it (``abs()`` would make one)."""
    if not X.numel():
        return None
    low, high = torch.aminmax(X)
    return max(-float(low), float(high))
