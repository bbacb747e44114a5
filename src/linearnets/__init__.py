"""linearnets: linear neural networks (D2L chapter 3), from scratch and concise, fast and reproducible.

Importing the package is cheap: the public names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # linear regression (§3.1–3.3)
    "synthetic_data": "linearnets.data.synthetic",
    "data_iter": "linearnets.data.synthetic",
    "load_array": "linearnets.data.synthetic",
    "linreg": "linearnets.models.scratch",
    "squared_loss": "linearnets.models.scratch",
    "sgd": "linearnets.models.scratch",
    "SGD": "linearnets.models.scratch",
    "LinearRegressionScratch": "linearnets.models.scratch",
    "linreg_concise": "linearnets.models.concise",
    "closed_form": "linearnets.models.closed_form",
    # softmax regression (§3.4–3.7)
    "softmax": "linearnets.models.scratch",
    "cross_entropy": "linearnets.models.scratch",
    "cross_entropy_logits": "linearnets.models.scratch",
    "softmax_cross_entropy_grad": "linearnets.models.scratch",
    "SoftmaxRegressionScratch": "linearnets.models.scratch",
    "softmax_concise": "linearnets.models.concise",
    "init_weights": "linearnets.models.concise",
    "accuracy": "linearnets.metrics",
    "correct_count": "linearnets.metrics",
    "Accumulator": "linearnets.metrics",
    "evaluate_accuracy": "linearnets.training.loop",
    "train_epoch": "linearnets.training.loop",
    "evaluate": "linearnets.training.loop",
    "fit": "linearnets.training.loop",
    "History": "linearnets.training.loop",
    # what fit shows while it trains: callbacks (printing, live curves)
    "ConsoleLogger": "linearnets.training.callbacks",
    "CurvesCallback": "linearnets.training.callbacks",
    "LiveCurves": "linearnets.plotting",
    # data (§3.5)
    "FashionMNIST": "linearnets.data.fashion_mnist",
    "load_data_fashion_mnist": "linearnets.data.fashion_mnist",
    "get_fashion_mnist_labels": "linearnets.data.fashion_mnist",
    "show_images": "linearnets.plotting",
    "predict": "linearnets.inference",
    # whole runs, as the command does them: a run folder, checkpoints, reports, exact resume
    "LinregConfig": "linearnets.config",
    "SoftmaxConfig": "linearnets.config",
    "run_linreg": "linearnets.tasks.linreg",
    "run_softmax": "linearnets.tasks.softmax",
    "resume_softmax": "linearnets.tasks.resume",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'linearnets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
