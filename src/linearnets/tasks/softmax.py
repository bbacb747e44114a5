"""A softmax-regression run on Fashion-MNIST from a :class:`~linearnets.config.SoftmaxConfig` (D2L §3.6–3.7).

:func:`prepare` builds everything a run needs (data, model, optimizer, generators); :func:`run_softmax`
trains it inside a run folder and writes the config, metrics, curves, predictions, confusion matrix and
weights there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from linearnets.config import SoftmaxConfig
from linearnets.device import resolve_device
from linearnets.errors import UsageError
from linearnets.models.factory import Setup, build_softmax
from linearnets.seeding import RunGenerators, pin_threads, seed_everything
from linearnets.training.callbacks import CurvesCallback, MetricsWriter
from linearnets.training.distributed import DistContext
from linearnets.training.loop import History, fit
from linearnets.training.runs import create_run_dir, environment, write_json_atomic

__all__ = ["Experiment", "SoftmaxResult", "prepare", "run_softmax", "save_weights"]

WEIGHTS_FILE = "model.pt"


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


@dataclass
class SoftmaxResult:
    """What a softmax run did: its history, timings, run folder and per-class accuracy."""

    config: SoftmaxConfig
    history: History
    run_dir: Path
    seconds_per_epoch: float
    data_source: str
    per_class_acc: list[float] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        last = self.history.last
        return {
            "impl": self.config.impl,
            "epochs": len(self.history.epochs),
            "train_loss": last.train_loss,
            "train_acc": last.train_acc,
            "test_acc": last.test_acc,
            "seconds_per_epoch": self.seconds_per_epoch,
            "run_dir": str(self.run_dir),
            "data_source": self.data_source,
            "per_class_acc": dict(zip(self.classes, self.per_class_acc, strict=False)),
        }


def prepare(config: SoftmaxConfig, *, dist: DistContext | None = None) -> Experiment:
    """Seed, pin threads, load the data onto the device and build the model for ``config``."""
    from linearnets.data.loader import ArrayLoader

    dist = dist or DistContext()
    pin_threads(config.num_threads)
    gens = seed_everything(config.seed)
    device = resolve_device(config.device, local_rank=dist.local_rank)
    data = _load_data(config)
    shard = {"rank": dist.rank, "world_size": dist.world_size, "device": device}
    train_iter = ArrayLoader(
        data.X,
        data.y,
        config.batch_size,
        shuffle=True,
        generator=gens.data,
        resize=config.resize,
        **shard,
    )
    test_iter = None
    if data.X_test is not None and data.y_test is not None:
        test_iter = ArrayLoader(
            data.X_test,
            data.y_test,
            config.batch_size,
            shuffle=False,
            resize=config.resize,
            **shard,
        )
    setup = build_softmax(
        config.impl,
        num_inputs=data.num_inputs,
        num_outputs=len(data.classes),
        lr=config.lr,
        generator=gens.init,
    )
    model = setup.net.to(device)
    if dist.enabled and isinstance(model, torch.nn.Module):
        from torch.nn.parallel import DistributedDataParallel

        setup.net = DistributedDataParallel(
            model, device_ids=[device] if device.type == "cuda" else None
        )
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
    )


@dataclass
class _Data:
    X: torch.Tensor
    y: torch.Tensor
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    classes: list[str]
    num_inputs: int
    source: str


def _load_data(config: SoftmaxConfig) -> _Data:
    """Return Fashion-MNIST (uint8 images) or the user's ``--data`` file (float features)."""
    if config.data is not None:
        from linearnets.data.arrays import load_classification_file

        if config.resize is not None:
            raise UsageError(
                f"--resize applies to Fashion-MNIST images only, got --resize {config.resize} with "
                f"--data {config.data}; drop one of them"
            )
        arrays = load_classification_file(config.data)
        return _Data(
            arrays.X,
            arrays.y,
            arrays.X_test,
            arrays.y_test,
            [str(c) for c in range(arrays.num_classes)],
            arrays.num_features,
            f"{config.data} ({arrays.X.shape[0]} examples, {arrays.num_features} features)",
        )
    from linearnets.data.fashion_mnist import TEXT_LABELS, read_fashion_mnist

    fm = read_fashion_mnist(config.data_dir)
    side = config.resize or 28
    return _Data(
        fm.train_images,
        fm.train_labels,
        fm.test_images,
        fm.test_labels,
        list(TEXT_LABELS),
        side * side,
        str(fm.found.source),
    )


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


def run_softmax(
    config: SoftmaxConfig, *, callbacks: Sequence[Any] = (), dist: DistContext | None = None
) -> SoftmaxResult:
    """Train softmax regression as ``config`` says, in a new run folder, and report what happened.

    In a data-parallel run every process trains; only rank 0 prints, plots and writes files.

    See D2L §3.6.6 and §3.7.3.
    """
    exp = prepare(config, dist=dist)
    main = exp.dist.is_main
    run_dir = _run_dir_everywhere(config, exp.dist)
    own: list[Any] = []
    if main:
        write_json_atomic(
            run_dir / "config.json",
            {
                "config": config.to_dict(),
                "environment": environment(),
                "data_source": exp.data_source,
                "device": str(exp.device),
                "world_size": exp.dist.world_size,
            },
        )
        own.append(MetricsWriter(run_dir))
        curves = _live_curves(config, run_dir)
        if curves is not None:
            own.append(CurvesCallback(curves))
        own.extend(callbacks)
    setup = exp.setup
    start = time.perf_counter()
    history = fit(
        setup.net,
        exp.train_iter,
        setup.loss,
        setup.updater,
        config.epochs,
        test_iter=exp.test_iter,
        callbacks=own,
        dist=exp.dist,
    )
    elapsed = time.perf_counter() - start
    per_class: list[float] = []
    if main:
        save_weights(run_dir / WEIGHTS_FILE, exp)
        if exp.test_iter is not None and exp.dist.world_size == 1:
            per_class = _write_reports(exp, run_dir, plots=config.plot != "none")
    result = SoftmaxResult(
        config=config,
        history=history,
        run_dir=run_dir,
        seconds_per_epoch=elapsed / config.epochs,
        data_source=exp.data_source,
        per_class_acc=per_class,
        classes=exp.classes,
    )
    if main:
        write_json_atomic(run_dir / "results.json", result.summary())
    exp.dist.barrier()
    return result


def _run_dir_everywhere(config: SoftmaxConfig, dist: DistContext) -> Path:
    """Create the run folder on rank 0 and tell every other rank its name."""
    if not dist.enabled:
        return create_run_dir(config.out, name=f"softmax-{config.impl}")
    import torch.distributed as torch_dist

    names: list[Any] = [
        str(create_run_dir(config.out, name=f"softmax-{config.impl}")) if dist.is_main else None
    ]
    torch_dist.broadcast_object_list(names, src=0)
    return Path(names[0])


def _live_curves(config: SoftmaxConfig, run_dir: Path) -> Any:
    if config.plot == "none":
        return None
    from linearnets.plotting import LiveCurves

    return LiveCurves(out_dir=run_dir, mode=config.plot, num_epochs=config.epochs)


def _write_reports(exp: Experiment, run_dir: Path, *, plots: bool) -> list[float]:
    """Write the per-class table, and (with ``plots``) the confusion matrix and prediction grid."""
    from linearnets.inference import confusion_counts, predict
    from linearnets.plotting import (
        format_per_class_table,
        per_class_accuracy,
        plot_confusion_matrix,
    )

    matrix = confusion_counts(exp.model, exp.test_iter, len(exp.classes))
    (run_dir / "per_class.txt").write_text(format_per_class_table(matrix, exp.classes) + "\n")
    torch.save(matrix, run_dir / "confusion.pt")
    if plots:
        plot_confusion_matrix(matrix, exp.classes, out=run_dir / "confusion.png")
        if exp.config.data is None:  # images: draw them titled true / predicted
            predict(exp.model, exp.test_iter, 12, out=run_dir / "predictions.png")
    return [float(v) for v in per_class_accuracy(matrix)]


def load_trained(run_dir: Path) -> tuple[Any, dict[str, Any]]:
    """Rebuild the trained model saved in ``run_dir`` and return it with its saved metadata."""
    from linearnets.errors import CheckpointError

    path = Path(run_dir) / WEIGHTS_FILE
    if not path.is_file():
        from linearnets.errors import UsageError

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
