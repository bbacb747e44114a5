"""linearnets: linear neural networks (D2L chapter 3), from scratch and concise, fast and reproducible.

A whole run as the ``linearnets`` command does it: ``run_softmax(SoftmaxConfig(...))``,
``resume_softmax(run_dir)``, ``run_linreg(LinregConfig(...))``, ``resume_linreg(run_dir)``, and a finished
softmax run's model, ``load_trained(run_dir)``. The pieces: data
(``load_data_fashion_mnist``, ``synthetic_data``, ``data_iter``, ``load_array``), models
(``SoftmaxRegressionScratch``, ``softmax_concise``, ``LinearRegressionScratch``, ``linreg_concise``),
losses and the scratch ``SGD``, one training loop (``fit``, ``train_epoch``, ``evaluate``) with its
callbacks (``ConsoleLogger``, ``CurvesCallback(LiveCurves(...))``, ``DivergenceGuard(lr)``), and
``predict``. The book's own
names and signatures (``train_ch3``, ...) are in :mod:`linearnets.d2l`.

Importing the package is cheap: the public names below load their modules on first use. Type
checkers see them imported from their modules (the ``TYPE_CHECKING`` block), so ``ln.fit`` has
``fit``'s signature and a misspelt name is an error rather than ``Any``.
"""

# no `from __future__ import annotations` (it imports __future__) and typing.TYPE_CHECKING without
# importing typing: the console command runs this module before it can hold a Ctrl-C, and every
# `import linearnets` would pay for them too; type checkers take TYPE_CHECKING as True
TYPE_CHECKING = False

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # linear regression (§3.1–3.3)
    "synthetic_data": "linearnets.data.synthetic",
    "data_iter": "linearnets.data.minibatches",
    "load_array": "linearnets.data.minibatches",
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
    "history_of": "linearnets.training.history",
    "EpochMetrics": "linearnets.training.loop",
    # what fit shows while it trains: callbacks (printing, live curves)
    "Callback": "linearnets.training.callbacks",
    "ConsoleLogger": "linearnets.training.callbacks",
    "CurvesCallback": "linearnets.training.callbacks",
    "DivergenceGuard": "linearnets.training.guard",
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
    "LinregResult": "linearnets.tasks.linreg",
    "resume_linreg": "linearnets.tasks.linreg_resume",
    "run_softmax": "linearnets.tasks.softmax",
    "SoftmaxResult": "linearnets.tasks.softmax",
    "resume_softmax": "linearnets.tasks.resume",
    "load_trained": "linearnets.tasks.weights",
}

__all__ = ["__version__", *sorted(_EXPORTS)]

if TYPE_CHECKING:
    from typing import Any

    # the same names from the same modules as _EXPORTS (tests/test_init.py checks both agree)
    from linearnets.config import LinregConfig as LinregConfig
    from linearnets.config import SoftmaxConfig as SoftmaxConfig
    from linearnets.data.fashion_mnist import FashionMNIST as FashionMNIST
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels as get_fashion_mnist_labels
    from linearnets.data.fashion_mnist import load_data_fashion_mnist as load_data_fashion_mnist
    from linearnets.data.minibatches import data_iter as data_iter
    from linearnets.data.minibatches import load_array as load_array
    from linearnets.data.synthetic import synthetic_data as synthetic_data
    from linearnets.inference import predict as predict
    from linearnets.metrics import Accumulator as Accumulator
    from linearnets.metrics import accuracy as accuracy
    from linearnets.metrics import correct_count as correct_count
    from linearnets.models.closed_form import closed_form as closed_form
    from linearnets.models.concise import init_weights as init_weights
    from linearnets.models.concise import linreg_concise as linreg_concise
    from linearnets.models.concise import softmax_concise as softmax_concise
    from linearnets.models.scratch import SGD as SGD
    from linearnets.models.scratch import LinearRegressionScratch as LinearRegressionScratch
    from linearnets.models.scratch import SoftmaxRegressionScratch as SoftmaxRegressionScratch
    from linearnets.models.scratch import cross_entropy as cross_entropy
    from linearnets.models.scratch import cross_entropy_logits as cross_entropy_logits
    from linearnets.models.scratch import linreg as linreg
    from linearnets.models.scratch import sgd as sgd
    from linearnets.models.scratch import softmax as softmax
    from linearnets.models.scratch import softmax_cross_entropy_grad as softmax_cross_entropy_grad
    from linearnets.models.scratch import squared_loss as squared_loss
    from linearnets.plotting import LiveCurves as LiveCurves
    from linearnets.plotting import show_images as show_images
    from linearnets.tasks.linreg import LinregResult as LinregResult
    from linearnets.tasks.linreg import run_linreg as run_linreg
    from linearnets.tasks.linreg_resume import resume_linreg as resume_linreg
    from linearnets.tasks.resume import resume_softmax as resume_softmax
    from linearnets.tasks.softmax import SoftmaxResult as SoftmaxResult
    from linearnets.tasks.softmax import run_softmax as run_softmax
    from linearnets.tasks.weights import load_trained as load_trained
    from linearnets.training.callbacks import Callback as Callback
    from linearnets.training.callbacks import ConsoleLogger as ConsoleLogger
    from linearnets.training.callbacks import CurvesCallback as CurvesCallback
    from linearnets.training.guard import DivergenceGuard as DivergenceGuard
    from linearnets.training.history import history_of as history_of
    from linearnets.training.loop import EpochMetrics as EpochMetrics
    from linearnets.training.loop import History as History
    from linearnets.training.loop import evaluate as evaluate
    from linearnets.training.loop import evaluate_accuracy as evaluate_accuracy
    from linearnets.training.loop import fit as fit
    from linearnets.training.loop import train_epoch as train_epoch
else:
    # at run time, hidden from type checkers: a module __getattr__ would make every misspelt name Any

    def __getattr__(name: str) -> "Any":  # Any exists for type checkers only
        import importlib

        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'linearnets' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
