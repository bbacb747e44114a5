"""Bad input, everywhere it enters, written as data: (input → error type or exit code → message pattern).

Every public function rejects a bad value at the boundary with one message naming the argument, the
rule, the value and the fix; every CLI option does the same in one line on stderr, exit 2 for usage
errors and 1 for runtime errors, never a traceback. The README's reliability section reports how many cases run here.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets import d2l
from linearnets.cli import main
from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.data.arrays import load_classification_file
from linearnets.data.fashion_mnist import read_fashion_mnist
from linearnets.data.fetch import LocalFileError
from linearnets.data.files import find_fashion_mnist
from linearnets.data.loader import ArrayLoader
from linearnets.data.synthetic import data_iter, load_array, synthetic_data
from linearnets.device import resolve_device
from linearnets.errors import (
    CheckpointError,
    DatasetError,
    DivergenceError,
    PlotError,
    RunFileError,
    UsageError,
    UsageTypeError,
)
from linearnets.inference import predict
from linearnets.metrics import Accumulator, accuracy
from linearnets.models.closed_form import closed_form
from linearnets.models.concise import init_weights, linreg_concise, softmax_concise
from linearnets.models.factory import build_softmax
from linearnets.models.scratch import (
    SGD,
    LinearRegressionScratch,
    SoftmaxRegressionScratch,
    cross_entropy,
    cross_entropy_logits,
    linreg,
    sgd,
    softmax,
    squared_loss,
)
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.callbacks import ConsoleLogger, MetricsWriter
from linearnets.training.checkpoint import load_checkpoint, save_checkpoint
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import evaluate, evaluate_accuracy, fit, train_epoch
from linearnets.training.runs import claim_run_dir

# -- inputs ---------------------------------------------------------------------------------------
B = 4
IMAGES_FLAT = torch.rand(B, 784)  # (B, 784)
IMAGES = torch.rand(B, 1, 28, 28)  # (B, 1, 28, 28): the same batch as images
LABELS = torch.tensor([0, 3, 9, 1])  # (B,) int64
LOGITS = torch.randn(B, 10)  # (B, 10)
IMAGES_U8 = torch.randint(0, 256, (B, 28, 28), dtype=torch.uint8)  # (B, 28, 28) as read from IDX


def _scratch_softmax() -> SoftmaxRegressionScratch:
    return SoftmaxRegressionScratch(generator=torch.Generator().manual_seed(0))


def _fit_with_updater(updater: Any) -> Any:
    net = _scratch_softmax()
    return fit(net, [(IMAGES, LABELS)], cross_entropy_logits, updater, 1)


def _fit(batches: list[Any], *, epochs: int = 1, callbacks: Any = ()) -> Any:
    net = linreg_concise(2)
    return fit(
        net,
        batches,
        torch.nn.MSELoss(reduction="none"),
        torch.optim.SGD(net.parameters(), lr=0.1),
        epochs,
        callbacks=callbacks,
    )


def _linreg_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.rand(B, 2), torch.rand(B, 1))]


# -- the API table: (call, error type, message pattern) -------------------------------------------
API_CASES: list[Any] = [
    # shapes: images (B, 1, 28, 28) and flat (B, 784) both work; anything else names the shape
    pytest.param(lambda: _scratch_softmax()(torch.rand(B, 1, 32, 32)), UsageError,
                 r"X must hold 784 features per example.*got shape \(4, 1, 32, 32\)", id="images-32x32"),
    pytest.param(lambda: _scratch_softmax()(torch.rand(B, 783)), UsageError,
                 r"X must hold 784 features.*got shape \(4, 783\)", id="flat-783"),
    pytest.param(lambda: _scratch_softmax()(torch.rand(784)), UsageError,
                 r"X must hold 784 features.*got shape \(784,\)", id="unbatched-image"),
    pytest.param(lambda: _scratch_softmax()((IMAGES * 255).to(torch.uint8)), UsageTypeError,
                 r"X must be a floating-point tensor.*torch.uint8.*X.float\(\) / 255", id="uint8-images"),
    pytest.param(lambda: _scratch_softmax()(IMAGES.numpy()), UsageTypeError,
                 r"X must be a torch.Tensor.*torch.as_tensor", id="numpy-images"),
    pytest.param(lambda: softmax(torch.rand(2, 3, 4)), UsageError, r"X must be 2-dimensional",
                 id="softmax-3d"),
    pytest.param(lambda: softmax(torch.ones(2, 3, dtype=torch.int64)), UsageTypeError,
                 r"X must be a floating-point tensor", id="softmax-int"),
    # labels: dtype, shape, range, length
    pytest.param(lambda: cross_entropy_logits(LOGITS, LABELS.float()), UsageTypeError,
                 r"y must be an integer tensor of class indices.*float32.*y.long\(\)", id="float-labels"),
    pytest.param(lambda: cross_entropy_logits(LOGITS, LABELS.bool()), UsageTypeError,
                 r"y must be an integer tensor", id="bool-labels"),
    pytest.param(lambda: cross_entropy_logits(LOGITS, torch.tensor([0, 3, 10, 1])), UsageError,
                 r"y must hold class indices in \[0, 10\), got 10", id="label-too-large"),
    pytest.param(lambda: cross_entropy_logits(LOGITS, torch.tensor([0, -1, 2, 1])), UsageError,
                 r"y must hold class indices in \[0, 10\), got -1", id="label-negative"),
    pytest.param(lambda: cross_entropy_logits(LOGITS, LABELS.reshape(-1, 1)), UsageError,
                 r"y must be 1-dimensional \(B,\).*y.reshape\(-1\)", id="labels-(B,1)"),
    pytest.param(lambda: cross_entropy_logits(LOGITS, LABELS[:3]), UsageError,
                 r"y must hold one label per row of O: O has 4 rows, y has 3", id="labels-short"),
    pytest.param(lambda: cross_entropy(LOGITS.softmax(1), [0, 1, 2, 3]), UsageTypeError,
                 r"y must be a torch.Tensor of class indices", id="labels-list"),
    pytest.param(lambda: accuracy(LOGITS, torch.tensor([], dtype=torch.int64)), UsageError,
                 r"y must hold at least one label, got an empty tensor", id="accuracy-empty"),
    pytest.param(lambda: accuracy(LOGITS, LABELS[:2]), UsageError,
                 r"y_hat and y must have the same number of rows, got 4 and 2", id="accuracy-rows"),
    pytest.param(lambda: Accumulator(2).add(1.0), UsageError, r"add\(\) needs 2 values, got 1",
                 id="accumulator-arity"),
    # regression: (n,) vs (n, 1) targets are matched element-wise, a wrong count is refused
    pytest.param(lambda: squared_loss(torch.zeros(B, 1), torch.zeros(B + 1)), UsageError,
                 r"y must hold one target per prediction.*\(4, 1\).*\(5,\)", id="targets-count"),
    pytest.param(lambda: linreg(torch.rand(B, 3), torch.zeros(2, 1), torch.zeros(1)), UsageError,
                 r"^X must have 2 feature columns to match w of shape \(2, 1\), got X of shape "
                 r"\(4, 3\); make w with one row per column of X, shape \(3, 1\) \(a model: "
                 r"LinearRegressionScratch\(num_inputs=3\)\), or check X holds the data w was "
                 r"made for$", id="linreg-features"),
    pytest.param(lambda: LinearRegressionScratch(2)(torch.ones(B, 2, dtype=torch.int32)),
                 UsageTypeError, r"X must be a floating-point tensor", id="linreg-int-features"),
    pytest.param(lambda: synthetic_data(torch.zeros(2, 2), 4.2, 10), UsageError,
                 r"w must be a non-empty 1-d tensor.*got shape \(2, 2\)", id="synthetic-w-2d"),
    pytest.param(lambda: synthetic_data([2.0], 4.2, 0), UsageError,
                 r"num_examples must be a positive integer \(>= 1\), got 0", id="synthetic-n-0"),
    pytest.param(lambda: synthetic_data([2.0], 4.2, 10, noise_std=-1.0), UsageError,
                 r"noise_std must be a finite number >= 0, got -1.0", id="synthetic-noise"),
    pytest.param(lambda: synthetic_data([2.0], "4.2", 10), UsageError, r"b must be a number",
                 id="synthetic-b-str"),
    # iterators: sizes, dtypes, empties, NaN
    pytest.param(lambda: next(data_iter(0, torch.zeros(3, 2), torch.zeros(3, 1))), UsageError,
                 r"batch_size must be a positive integer \(>= 1\), got 0", id="data_iter-batch-0"),
    pytest.param(lambda: next(data_iter(2.5, torch.zeros(3, 2), torch.zeros(3, 1))),
                 UsageTypeError, r"batch_size must be a positive integer, got 2.5", id="data_iter-batch-float"),
    pytest.param(lambda: next(data_iter(2, torch.zeros(0, 2), torch.zeros(0, 1))), UsageError,
                 r"features must hold at least one example, got 0 rows", id="data_iter-empty"),
    pytest.param(lambda: next(data_iter(2, torch.zeros(3, 2), torch.zeros(4, 1))), UsageError,
                 r"features and labels must have the same number of examples.*3.*4", id="data_iter-lengths"),
    pytest.param(lambda: next(data_iter(2, torch.zeros(3, 2, dtype=torch.uint8), torch.zeros(3))),
                 UsageTypeError, r"features must be a floating-point tensor", id="data_iter-uint8"),
    pytest.param(lambda: next(data_iter(2, torch.tensor([[1.0], [math.nan]]), torch.zeros(2, 1))),
                 UsageError, r"features must hold only finite values, got 1 NaN/inf", id="data_iter-nan"),
    pytest.param(lambda: load_array((torch.zeros(3, 2), [1, 2, 3]), 2), UsageError,
                 r"data_arrays\[1\] must be a torch.Tensor, got \[1, 2, 3\]; convert it", id="load_array-list"),
    pytest.param(lambda: load_array((torch.zeros(0, 2), torch.zeros(0)), 2), UsageError,
                 r"data_arrays must hold at least one example", id="load_array-empty"),
    pytest.param(lambda: load_array(torch.zeros(3, 2), 2), UsageError,
                 r"data_arrays must be a non-empty tuple of tensors, got Tensor", id="load_array-bare"),
    # optimizers: non-positive and non-finite rates, empty parameter lists
    pytest.param(lambda: SGD([torch.zeros(1, requires_grad=True)], lr=0.0), UsageError,
                 r"lr must be a finite number > 0, got 0.0", id="SGD-lr-0"),
    pytest.param(lambda: SGD([torch.zeros(1, requires_grad=True)], lr=-0.1), UsageError,
                 r"lr must be a finite number > 0, got -0.1", id="SGD-lr-negative"),
    pytest.param(lambda: SGD([torch.zeros(1, requires_grad=True)], lr=math.nan), UsageError,
                 r"lr must be a finite number > 0, got nan", id="SGD-lr-nan"),
    pytest.param(lambda: SGD([torch.zeros(1, requires_grad=True)], lr="0.1"), UsageTypeError,
                 r"lr must be a positive number, got '0.1'", id="SGD-lr-str"),
    pytest.param(lambda: SGD([], lr=0.1), UsageError, r"params must hold at least one tensor",
                 id="SGD-no-params"),
    pytest.param(lambda: sgd([torch.zeros(1)], 0.1, 0), UsageError,
                 r"batch_size must be a positive integer \(>= 1\), got 0", id="sgd-batch-0"),
    # the training loop
    pytest.param(lambda: _fit([(torch.zeros(2, 2), torch.zeros(2, 1))], epochs=0), UsageError,
                 r"num_epochs must be a positive integer \(>= 1\), got 0", id="fit-epochs-0"),
    pytest.param(lambda: _fit([(torch.zeros(0, 2), torch.zeros(0, 1))]), UsageError,
                 r"^train_iter.s batch 1 of epoch 1 is empty \(0 rows\): each batch must hold at least one example; drop the empty batches", id="fit-empty-batch"),
    pytest.param(lambda: _fit([]), UsageError, r"train_iter must yield at least one example",
                 id="fit-empty-iterator"),
    pytest.param(lambda: _fit([torch.zeros(2, 2)]), UsageError,
                 r"each batch must be a pair \(X, y\), got Tensor", id="fit-batch-not-pair"),
    pytest.param(lambda: evaluate_accuracy(linreg_concise(2), [(torch.zeros(2, 2), torch.zeros(2, 1))]),
                 UsageError, r"data_iter must yield integer class labels y for evaluate_accuracy", id="accuracy-float-targets"),
    # a model that is no callable: refused before any batch (or update), not where it is first called
    pytest.param(lambda: fit(None, [(IMAGES, LABELS)], cross_entropy_logits,
                             torch.optim.SGD(_scratch_softmax().parameters(), lr=0.1), 1), UsageTypeError,
                 r"^net must be a model to call on a batch of inputs .*, got None; pass the model", id="fit-net-none"),
    pytest.param(lambda: train_epoch(42, [(IMAGES, LABELS)], cross_entropy_logits,
                                     torch.optim.SGD(_scratch_softmax().parameters(), lr=0.1)),
                 UsageTypeError, r"^net must be a model .*, got 42", id="train-epoch-net-int"),
    pytest.param(lambda: evaluate("net", [(IMAGES, LABELS)]), UsageTypeError,
                 r"^net must be a model .*, got 'net'", id="evaluate-net-str"),
    pytest.param(lambda: evaluate_accuracy(None, [(IMAGES, LABELS)]), UsageTypeError,
                 r"^net must be a model .*, got None", id="evaluate-accuracy-net-none"),
    pytest.param(lambda: predict(None, [(IMAGES, LABELS)]), UsageTypeError,
                 r"^net must be a model .*, got None", id="predict-net-none"),
    # a model class or builder passed uncalled: told to build the model, before any batch, as this
    # module names it (torch, not nn, is imported here)
    pytest.param(lambda: evaluate_accuracy(softmax_concise, [(IMAGES, LABELS)]), UsageTypeError,
                 r"^net must be a model instance, got the function softmax_concise, which builds one; "
                 r"call it and pass the model it returns: net = ln\.softmax_concise\(\)", id="accuracy-net-builder"),
    pytest.param(lambda: evaluate_accuracy(SoftmaxRegressionScratch, [(IMAGES, LABELS)]), UsageTypeError,
                 r"^net must be a model instance, got the class SoftmaxRegressionScratch; pass an instance: "
                 r"net = ln\.SoftmaxRegressionScratch\(\)", id="accuracy-net-class"),
    pytest.param(lambda: fit(torch.nn.Linear, [(IMAGES, LABELS)], cross_entropy_logits,
                             torch.optim.SGD(_scratch_softmax().parameters(), lr=0.1), 1), UsageTypeError,
                 r"^net must be a model instance, got the class Linear; pass an instance: "
                 r"net = torch\.nn\.Linear\(in_features, out_features\)", id="fit-net-class"),
    pytest.param(lambda: fit(torch.nn.Sequential, [(IMAGES, LABELS)], cross_entropy_logits,
                             torch.optim.SGD(_scratch_softmax().parameters(), lr=0.1), 1), UsageTypeError,
                 r"^net must be a model instance, got the class Sequential; pass an instance: "
                 r"net = torch\.nn\.Sequential\(\.\.\.\)", id="fit-net-sequential-class"),
    pytest.param(lambda: d2l.train_ch3(linreg_concise, [(IMAGES, LABELS)], [(IMAGES, LABELS)],
                                       cross_entropy_logits, 1, lambda b: None), UsageTypeError,
                 r"^net must be a model instance, got the function linreg_concise, which builds one; call it and "
                 r"pass the model it returns: from linearnets import linreg_concise; net = linreg_concise\(\)",
                 id="train_ch3-net-builder"),
    pytest.param(lambda: predict(LinearRegressionScratch, [(IMAGES, LABELS)]), UsageTypeError,
                 r"^net must be a model instance, got the class LinearRegressionScratch; pass an instance: "
                 r"net = ln\.LinearRegressionScratch\(num_inputs\)", id="predict-net-class"),
    # models and the factory
    pytest.param(lambda: build_softmax("fast"), UsageError,
                 r"impl must be one of 'scratch', 'concise', 'analytic', got 'fast'", id="factory-impl"),
    pytest.param(lambda: build_softmax("concise", lr=0), UsageError, r"lr must be a finite number > 0",
                 id="factory-lr"),
    pytest.param(lambda: softmax_concise(0), UsageError, r"num_inputs must be a positive integer",
                 id="concise-inputs-0"),
    pytest.param(lambda: SoftmaxRegressionScratch(784, 0), UsageError,
                 r"num_outputs must be a positive integer", id="scratch-outputs-0"),
    pytest.param(lambda: _scratch_softmax().load_state_dict({"W": torch.zeros(784, 10)}), UsageError,
                 r"state must hold exactly the parameters \['W', 'b'\]", id="state-dict-keys"),
    # run settings
    pytest.param(lambda: SoftmaxConfig(impl="fast"), UsageError,
                 r"impl must be one of 'scratch', 'concise', 'analytic', got 'fast'", id="config-impl"),
    pytest.param(lambda: SoftmaxConfig(lr=0.0), UsageError, r"lr must be a finite number > 0.*lr=0.1",
                 id="config-lr-0"),
    pytest.param(lambda: SoftmaxConfig(lr=math.inf), UsageError, r"lr must be a finite number > 0, got inf",
                 id="config-lr-inf"),
    pytest.param(lambda: SoftmaxConfig(batch_size=0), UsageError,
                 r"batch_size must be a positive integer \(>= 1\), got 0", id="config-batch-0"),
    pytest.param(lambda: SoftmaxConfig(batch_size=True), UsageTypeError,
                 r"batch_size must be a positive integer, got True", id="config-batch-bool"),
    pytest.param(lambda: SoftmaxConfig(epochs=-1), UsageError, r"epochs must be a positive integer",
                 id="config-epochs"),
    pytest.param(lambda: SoftmaxConfig(seed=-1), UsageError, r"seed must be a non-negative integer",
                 id="config-seed"),
    pytest.param(lambda: SoftmaxConfig(num_threads=0), UsageError,
                 r"num_threads must be a positive integer", id="config-threads"),
    pytest.param(lambda: SoftmaxConfig(resize=0), UsageError, r"resize must be a positive integer",
                 id="config-resize"),
    pytest.param(lambda: SoftmaxConfig(plot="png"), UsageError,
                 r"plot must be one of 'auto', 'file', 'none', got 'png'", id="config-plot"),
    pytest.param(lambda: SoftmaxConfig(guard="yes"), UsageError, r"guard must be True or False",
                 id="config-guard"),
    pytest.param(lambda: SoftmaxConfig(out=3), UsageTypeError, r"out must be a path .* got 3",
                 id="config-out-int"),
    pytest.param(lambda: LinregConfig(impl="fast"), UsageError, r"impl must be one of", id="linreg-impl"),
    pytest.param(lambda: LinregConfig(lr=-1.0), UsageError, r"lr must be .*lr=0.03", id="linreg-lr"),
    pytest.param(lambda: run_linreg({"lr": 0.03}), UsageTypeError,
                 r"config must be a LinregConfig, got dict", id="run_linreg-dict"),
    pytest.param(lambda: run_softmax({"lr": 0.1}), UsageTypeError,
                 r"config must be a SoftmaxConfig, got dict", id="run_softmax-dict"),
    pytest.param(lambda: resolve_device("tpu"), UsageError,
                 r"device must be one of auto, cpu, cuda, cuda:N, mps, got 'tpu'", id="device-tpu"),
    pytest.param(lambda: DivergenceGuard(0.1, factor=0.5), UsageError, r"factor must be > 1",
                 id="guard-factor"),
    # the fast loader
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS, 0, shuffle=False), UsageError,
                 r"batch_size must be a positive integer \(>= 1\), got 0", id="loader-batch-0"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8.int(), LABELS, 2, shuffle=False), UsageError,
                 r"features must be uint8 images or a floating-point tensor, got dtype torch.int32", id="loader-int32-images"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS.reshape(-1, 1), 2, shuffle=False), UsageError,
                 r"labels must be 1-d class indices \(N,\), got shape \(4, 1\)", id="loader-labels-(N,1)"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8[:0], LABELS[:0], 2, shuffle=False), UsageError,
                 r"features and labels must share a non-zero first dimension", id="loader-empty"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS[:3], 2, shuffle=False), UsageError,
                 r"share a non-zero first dimension, got shapes \(4, 28, 28\) and \(3,\)", id="loader-lengths"),
    pytest.param(lambda: ArrayLoader(IMAGES_FLAT, LABELS, 2, shuffle=False, resize=14), UsageError,
                 r"resize applies to uint8 images", id="loader-resize-float"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS, 2, shuffle=False, rank=2, world_size=2),
                 UsageError, r"rank must be in \[0, 2\), got 2", id="loader-rank"),
    # metrics: labels (B, 1) would broadcast against (B,) predictions and count up to B² rows;
    # out-of-range labels would silently count as misses
    pytest.param(lambda: evaluate_accuracy(_scratch_softmax(), [(IMAGES, LABELS.reshape(-1, 1))]),
                 UsageError, r"y must be 1-dimensional \(B,\).*\(4, 1\).*y.reshape\(-1\)", id="eval-labels-(B,1)"),
    pytest.param(lambda: evaluate_accuracy(_scratch_softmax(), [(IMAGES, LABELS + 7)]), UsageError,
                 r"y must hold class indices in \[0, 10\), got 16", id="eval-labels-range"),
    pytest.param(lambda: evaluate_accuracy(_scratch_softmax(), [(IMAGES, LABELS > 2)]), UsageTypeError,
                 r"y must be an integer tensor of class indices.*torch.bool", id="eval-labels-bool"),
    pytest.param(lambda: evaluate_accuracy(lambda X: torch.zeros(X.shape[0], 10, 1), [(IMAGES, LABELS)]),
                 UsageError, r"output must be scores of shape \(B, C\).*\(4, 10, 1\) for 4 labels",
                 id="eval-output-3d"),
    pytest.param(lambda: evaluate_accuracy(_scratch_softmax(), [(IMAGES, LABELS[:2])]), UsageError,
                 r"one label per example, got X of shape \(4, 1, 28, 28\) and y of shape \(2,\)",
                 id="eval-rows"),
    pytest.param(lambda: evaluate_accuracy(_scratch_softmax(), [(IMAGES.numpy(), LABELS)]), UsageTypeError,
                 r"each batch must be a pair of tensors \(X, y\), got \(ndarray, Tensor\)", id="eval-numpy"),
    pytest.param(lambda: accuracy(LOGITS, LABELS + 7), UsageError, r"y must hold class indices in \[0, 10\)",
                 id="accuracy-range"),
    pytest.param(lambda: accuracy(LOGITS.tolist(), LABELS), UsageTypeError,
                 r"y_hat must be a torch.Tensor.*got list", id="accuracy-list"),
    pytest.param(lambda: d2l.accuracy(LOGITS, LABELS.reshape(-1, 1)), UsageError,
                 r"y must be 1-dimensional \(B,\)", id="d2l-accuracy-(B,1)"),
    pytest.param(lambda: Accumulator(2).add("1.5", 2), UsageTypeError,
                 r"add\(\) takes numbers, got '1.5' as value 1", id="accumulator-str"),
    # the book's function updater belongs to d2l.train_epoch_ch3; fit needs zero_grad()/step()
    pytest.param(lambda: _fit_with_updater(lambda batch_size: None), UsageTypeError,
                 r"updater must have zero_grad\(\) and step\(\).*got function.*d2l.train_epoch_ch3",
                 id="fit-function-updater"),
    pytest.param(lambda: d2l.train_ch3(_scratch_softmax(), [], [], cross_entropy_logits, 0, None), UsageError,
                 r"num_epochs must be a positive integer \(>= 1\), got 0", id="train_ch3-epochs-0"),
    pytest.param(lambda: d2l.train_ch3(_scratch_softmax(), [], [], cross_entropy_logits, 1, 0.1),
                 UsageTypeError, r"updater must be an optimizer.*got float", id="train_ch3-updater"),
    pytest.param(lambda: d2l.Timer().avg(), UsageError, r"Timer.avg\(\) needs a recorded time; call stop\(\)",
                 id="timer-avg"),
    # the closed form: one solution or an error, never garbage
    pytest.param(lambda: closed_form(torch.ones(20, 2), torch.rand(20, 1)), UsageError,
                 r"X must have linearly independent columns.*got rank 1 < 3", id="closed-form-rank"),
    pytest.param(lambda: closed_form(torch.rand(2, 3), torch.rand(2, 1)), UsageError,
                 r"X must have more rows \(examples\) than columns \(features\) to have one least-squares "
                 r"solution: 3 weights and a bias need at least 4 rows, got X of shape \(2, 3\); use more "
                 r"examples than features$",
                 id="closed-form-few-rows"),
    pytest.param(lambda: closed_form(torch.zeros(0, 2), torch.zeros(0, 1)), UsageError,
                 r"need at least 3 rows, got X of shape \(0, 2\)", id="closed-form-empty"),
    pytest.param(lambda: closed_form(torch.tensor([[1.0, math.nan]] * 5), torch.rand(5, 1)), UsageError,
                 r"X must hold only finite values, got 5 NaN/inf entries", id="closed-form-nan"),
    pytest.param(lambda: closed_form(torch.rand(5, 2), torch.rand(5, 2)), UsageError,
                 r"^y must hold one target per row of X, shape \(5, 1\) or \(5,\), got shape \(5, 2\); "
                 r"solve one target column at a time$", id="closed-form-y-2-columns"),
    pytest.param(lambda: closed_form(torch.rand(5, 1), torch.rand(5, 2)), UsageError,
                 r"^y must hold one target per row of X, shape \(5, 1\) or \(5,\), got shape \(5, 2\); "
                 r"X and y may be swapped: y has the shape of features \(5 examples of 2 features\) "
                 r"and X that of a target column, so pass the features first: closed_form\(X, y\); "
                 r"else solve one target column at a time$", id="closed-form-swapped"),
    # optimizers: a bare tensor would be iterated row by row, views that never get a .grad
    pytest.param(lambda: SGD(torch.zeros(2, 1, requires_grad=True), 0.1), UsageTypeError,
                 r"params must be an iterable of tensors, got a tensor of shape \(2, 1\).*wrap it in a list", id="SGD-tensor"),
    pytest.param(lambda: sgd(torch.zeros(2, 1, requires_grad=True), 0.1, 10), UsageTypeError,
                 r"params must be an iterable of tensors, got a tensor of shape \(2, 1\)", id="sgd-tensor"),
    pytest.param(lambda: sgd([], 0.1, 10), UsageError, r"params must hold at least one tensor", id="sgd-empty"),
    pytest.param(lambda: SGD([torch.zeros(2, requires_grad=True) * 2], 0.1), UsageError,
                 r"params\[0\] must be a leaf tensor.*computed by MulBackward0", id="SGD-non-leaf"),
    pytest.param(lambda: SGD([torch.zeros(2, requires_grad=True)], 0.1).load_state_dict({}), UsageError,
                 r"state must be a dict with key 'lr'", id="SGD-state"),
    # targets: only (B,) or a row (1, B) against (B, 1) is matched element-wise; other equal
    # counts are refused
    pytest.param(lambda: squared_loss(torch.zeros(2, 2), torch.zeros(4, 1)), UsageError,
                 r"y must hold one target per prediction: y_hat has shape \(2, 2\), y has shape \(4, 1\)",
                 id="targets-(2,2)-(4,1)"),
    pytest.param(lambda: squared_loss(torch.zeros(B, 1), torch.zeros(2, 2)), UsageError,
                 r"y_hat has shape \(4, 1\), y has shape \(2, 2\); pass targets of shape \(batch, 1\) "
                 r"\(or \(batch,\) or \(1, batch\)\)$", id="targets-square"),
    # on the meta device (shapes without values): torch's "Tensor on device meta is not on the
    # expected device cpu!" named no argument
    pytest.param(lambda: linreg(torch.zeros(B, 2), torch.zeros(2, 1), torch.zeros(1, device="meta")),
                 UsageError, r"^X must be on the device of b, got a batch on cpu for b on the meta device",
                 id="linreg-b-meta"),
    pytest.param(lambda: squared_loss(torch.zeros(B, 1), torch.zeros(B, device="meta")), UsageError,
                 r"^y must hold values, got a tensor of shape \(4,\) on the meta device", id="squared-loss-y-meta"),
    pytest.param(lambda: softmax_concise()(torch.zeros(B, 784, device="meta")), UsageError,
                 r"^X must hold values, got a tensor of shape \(4, 784\) on the meta device", id="concise-X-meta"),
    pytest.param(lambda: softmax_concise().to("meta")(IMAGES_FLAT), UsageError,
                 r"^X must be on the device of the model's parameters, got a batch on cpu for the model's "
                 r"parameters on the meta device", id="concise-model-meta"),
    pytest.param(lambda: synthetic_data(torch.tensor([1.0]), torch.tensor(1.0, device="meta"), 2), UsageError,
                 r"^b must hold values, got a tensor of shape \(\) on the meta device", id="synthetic-b-meta"),
    pytest.param(lambda: synthetic_data(torch.tensor([1.0]), 1.0, 2, noise_std=torch.tensor(0.1, device="meta")),
                 UsageError, r"^noise_std must hold values, got a tensor of shape \(\) on the meta device",
                 id="synthetic-noise-meta"),
    # integer predictions wrapped around in the difference: uint8 0 vs 20 gave 72, not 200
    pytest.param(lambda: squared_loss(torch.zeros(1, 1, dtype=torch.uint8), torch.full((1,), 20, dtype=torch.uint8)),
                 UsageTypeError, r"^y_hat must be a floating-point tensor, got a tensor of shape \(1, 1\) and dtype torch\.uint8",
                 id="squared-loss-uint8"),
    pytest.param(lambda: squared_loss(torch.zeros(1, 1, dtype=torch.int8), torch.full((1, 1), 100, dtype=torch.int8)),
                 UsageTypeError, r"^y_hat must be a floating-point tensor", id="squared-loss-int8"),
    pytest.param(lambda: squared_loss(torch.zeros(B, 1), torch.zeros(B, 1, dtype=torch.bool)), UsageTypeError,
                 r"y must be a floating-point tensor.*torch.bool", id="targets-bool"),
    # models: the input's shape and dtype, the initial weights' sigma, the analytic flag
    pytest.param(lambda: linreg_concise(2)(torch.rand(B, 1, 2)), UsageError,
                 r"X must hold 2 features per example, shape \(B, 2\), got shape \(4, 1, 2\)",
                 id="linreg-concise-3d"),
    pytest.param(lambda: linreg_concise(2)(torch.rand(B, 2, dtype=torch.float64)), UsageTypeError,
                 r"X must have the model's dtype torch.float32, got torch.float64", id="linreg-concise-f64"),
    pytest.param(lambda: softmax_concise()(IMAGES.double()), UsageTypeError,
                 r"X must have the model's dtype torch.float32, got torch.float64", id="softmax-concise-f64"),
    pytest.param(lambda: _scratch_softmax()(IMAGES.double()), UsageTypeError,
                 r"X must have the model's dtype torch.float32, got torch.float64.*X.to\(torch.float32\)",
                 id="softmax-scratch-f64"),
    pytest.param(lambda: linreg(torch.rand(B, 2), torch.zeros(2, 1, dtype=torch.float64), torch.zeros(1)),
                 UsageTypeError, r"X must have w's dtype torch.float64, got torch.float32", id="linreg-dtypes"),
    pytest.param(lambda: linreg(torch.rand(B, 2), torch.zeros(2, 2), torch.zeros(1)), UsageError,
                 r"w must be a column of weights, shape \(d, 1\) or \(d,\), got shape \(2, 2\)", id="linreg-w-2d"),
    pytest.param(lambda: linreg(torch.rand(B, 2), torch.zeros(2, 1), torch.zeros(2)), UsageError,
                 r"b must be a one-element floating-point tensor or a number, got a tensor of shape \(2,\)",
                 id="linreg-b-2"),
    pytest.param(lambda: linreg(torch.rand(B, 2), torch.zeros(2, 1), "0"), UsageTypeError,
                 r"b must be a one-element tensor or a number, got '0'", id="linreg-b-str"),
    pytest.param(lambda: LinearRegressionScratch(2, sigma=math.nan), UsageError,
                 r"sigma must be a finite number >= 0, got nan", id="linreg-sigma-nan"),
    pytest.param(lambda: SoftmaxRegressionScratch(sigma=-0.01), UsageError,
                 r"sigma must be a finite number >= 0, got -0.01", id="softmax-sigma-negative"),
    pytest.param(lambda: LinearRegressionScratch(2, analytic="no"), UsageTypeError,
                 r"analytic must be True or False, got 'no'", id="analytic-str"),
    pytest.param(lambda: LinearRegressionScratch(2, generator=0), UsageTypeError,
                 r"generator must be a torch.Generator or None, got 0; pass e.g.", id="model-generator"),
    pytest.param(lambda: softmax_concise(generator="seed"), UsageTypeError,
                 r"generator must be a torch.Generator or None, got 'seed'", id="concise-generator"),
    # synthetic data and iterators: non-finite or non-real values, wrong types
    pytest.param(lambda: synthetic_data([2.0, math.nan], 4.2, 10), UsageError,
                 r"w must hold only finite values, got 1 NaN/inf", id="synthetic-w-nan"),
    pytest.param(lambda: synthetic_data([2.0], math.inf, 10), UsageError,
                 r"b must be a finite number, got inf", id="synthetic-b-inf"),
    pytest.param(lambda: synthetic_data(torch.tensor([1 + 1j, 2]), 4.2, 10), UsageTypeError,
                 r"w must hold real numbers, got dtype torch.complex64", id="synthetic-w-complex"),
    pytest.param(lambda: synthetic_data("ab", 4.2, 10), UsageTypeError,
                 r"w must be a 1-d tensor or sequence of numbers, got 'ab'", id="synthetic-w-str"),
    pytest.param(lambda: synthetic_data([2.0], torch.tensor([1.0, 2.0]), 10), UsageTypeError,
                 r"b must be a number, got tensor", id="synthetic-b-2"),
    pytest.param(lambda: synthetic_data([2.0], 4.2, 10, generator=1), UsageTypeError,
                 r"generator must be a torch.Generator or None, got 1", id="synthetic-generator"),
    pytest.param(lambda: data_iter(0, torch.zeros(3, 2), torch.zeros(3, 1)), UsageError,
                 r"batch_size must be a positive integer \(>= 1\), got 0", id="data_iter-checks-on-call"),
    pytest.param(lambda: data_iter(2, torch.zeros(3, 2), torch.tensor([[0.0], [math.nan], [1.0]])), UsageError,
                 r"labels must hold only finite values, got 1 NaN/inf", id="data_iter-labels-nan"),
    pytest.param(lambda: data_iter(2, torch.tensor(1.0), torch.tensor(1.0)), UsageError,
                 r"features must be a tensor with one row per example \(n, \.\.\.\), got a tensor of shape \(\)",
                 id="data_iter-0d"),
    pytest.param(lambda: load_array((torch.tensor([[math.inf]]), torch.zeros(1, 1)), 2), UsageError,
                 r"data_arrays\[0\] must hold only finite values, got 1 NaN/inf", id="load_array-inf"),
    pytest.param(lambda: load_array((torch.zeros(3, 2), torch.zeros(3, 1)), 2, "no"), UsageTypeError,
                 r"is_train must be True or False, got 'no'", id="load_array-is_train-str"),
    # plotting: a string legend would be split into one entry per character
    pytest.param(lambda: d2l.Animator(legend="train loss"), UsageTypeError,
                 r"legend must be a sequence of labels.*pass legend=\['train loss'\]", id="animator-legend-str"),
    pytest.param(lambda: softmax(torch.zeros(2, 0)), UsageError,
                 r"X must hold at least one logit per row, got shape \(2, 0\)", id="softmax-no-classes"),
    # read as something else, silently: a dict's keys, a set in no order; a string left untouched
    pytest.param(lambda: d2l.get_fashion_mnist_labels({1: 2}), UsageTypeError,
                 r"^labels must be class indices \(a tensor, list or one int\), got dict \{1: 2\}", id="labels-dict"),
    pytest.param(lambda: d2l.get_fashion_mnist_labels({1, 2}), UsageTypeError,
                 r"^labels must be class indices .*, got set", id="labels-set"),
    pytest.param(lambda: init_weights("abc"), UsageTypeError,  # type: ignore[arg-type]
                 r"^m must be an nn\.Module, got 'abc'; initialise a model with net\.apply\(init_weights\)",
                 id="init-weights-str"),
    # flags read by truthiness: "no" meant True (a progress bar, gradients set to None)
    pytest.param(lambda: ConsoleLogger(progress="no"), UsageTypeError,
                 r"^progress must be True or False, got 'no'; pass progress=True or progress=False", id="logger-progress-str"),
    pytest.param(lambda: SGD([torch.zeros(1, requires_grad=True)], lr=0.1).zero_grad("no"), UsageTypeError,  # type: ignore[arg-type]
                 r"^set_to_none must be True or False, got 'no'", id="sgd-zero-grad-str"),
    pytest.param(lambda: _fit(_linreg_batches(), callbacks=5), UsageTypeError,
                 r"callbacks must be a list of callback objects, got int", id="fit-callbacks-int"),
    pytest.param(lambda: d2l.show_images(IMAGES_U8, 1, 4, titles="abcd"), UsageTypeError,
                 r"titles must be a sequence of titles, one per image, got the string 'abcd'", id="titles-str"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS, 2, shuffle="yes"), UsageTypeError,
                 r"shuffle must be True or False, got 'yes'", id="loader-shuffle-str"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS, 2, shuffle=True, device="gpu"), UsageError,
                 r"device must be one of auto, cpu, cuda, cuda:N, mps, got 'gpu'", id="loader-device-gpu"),
    pytest.param(lambda: ArrayLoader(IMAGES_U8, LABELS, 2, shuffle=True, generator=0), UsageTypeError,
                 r"generator must be a torch.Generator or None, got 0", id="loader-generator"),
    pytest.param(lambda: d2l.load_data_fashion_mnist(256, root=5), UsageTypeError,
                 r"root must be a folder path \(str or Path\), got 5", id="fashion-root-int"),
    # divergence: lr 10 on linear regression (lr 1e4 on softmax: see the CLI table)
    pytest.param(lambda: run_linreg(LinregConfig(lr=10.0)), DivergenceError,
                 r"diverged at batch \d+ of epoch 1: .* at lr 10; try a smaller learning rate", id="linreg-lr-10"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,pattern", API_CASES)
def test_api_rejects_bad_input(
    call: Callable[[], Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)


# -- run folders and checkpoints, which need files -------------------------------------------------
# a history row, as a checkpoint holds one per finished epoch
ROW_OF_EPOCH_1 = {
    "epoch": 1,
    "train_loss": 0.5,
    "train_acc": 0.8,
    "test_loss": 0.6,
    "test_acc": 0.75,
    "seconds": 1.0,
}


def _run_folder(
    tmp: Path, *, checkpoint: bytes | None = None, finished: bool = False, **config: Any
) -> Path:
    """A run folder as an interrupted run leaves it: config.json and a checkpoint (or these bytes);
    ``finished``: also the weights, results and curves a run writes after its last epoch (a run
    missing its figures is not finished: --resume draws them)."""
    run = tmp / "run"
    run.mkdir()
    cfg = SoftmaxConfig(epochs=3, out=run, **config).to_dict()
    (run / "config.json").write_text(__import__("json").dumps({"config": cfg}))
    if checkpoint is None:
        net = softmax_concise()
        save_checkpoint(
            run / "checkpoint.pt",
            model_state=net.state_dict(),
            optimizer_state={},
            epoch=1,
            generators_state={},
            # the row of its one epoch: a history of other length is damage, refused first
            history=[ROW_OF_EPOCH_1],
            config=cfg,
        )
    elif checkpoint:
        (run / "checkpoint.pt").write_bytes(checkpoint)
    else:  # a finished run whose checkpoint was deleted
        (run / "model.pt").write_bytes(b"weights")
    if finished:  # intact weights: a damaged model.pt is written again by the resume
        state = {k: v.detach() for k, v in softmax_concise().state_dict().items()}
        torch.save(
            {"impl": "concise", "num_inputs": 784, "num_outputs": 10, "state_dict": state},
            run / "model.pt",
        )
        (run / "results.json").write_text("{}")
        MetricsWriter(run).rewrite([ROW_OF_EPOCH_1])  # the metrics of its checkpoint's history
        for figure in ("curves.png", "curves.svg"):
            (run / figure).write_bytes(b"figure")
    return run


def _folder(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _other_files(tmp: Path) -> Path:
    """A folder with notes, a photo and half of the dataset: not Fashion-MNIST."""
    folder = _folder(tmp / "other")
    (folder / "notes.txt").write_text("hello")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        (folder / name).write_bytes(b"\x00" * 16)
    return folder


def _fake_fashion_mnist(tmp: Path) -> Path:
    """All four file names, each holding 100 random bytes."""
    folder = _folder(tmp / "fake")
    rng = np.random.default_rng(0)
    for name in ("train-images", "train-labels", "t10k-images", "t10k-labels"):
        kind = "idx3" if "images" in name else "idx1"
        (folder / f"{name}-{kind}-ubyte").write_bytes(rng.bytes(100))
    return folder


def _file_cases(tmp: Path) -> dict[str, tuple[Callable[[], Any], type[Exception], str]]:
    a_file = tmp / "a_file"
    a_file.write_text("x")
    return {
        "out-is-a-file": (
            lambda: claim_run_dir(a_file, name="x"),
            UsageError,
            r"^out must be a folder, got the file",
        ),
        "out-holds-a-run": (
            lambda: claim_run_dir(_run_folder(tmp), name="x"),
            UsageError,
            r"^out='.*' already holds a run .*continue it with linearnets\.resume_softmax\('.*'\)",
        ),
        "out-not-creatable": (
            lambda: claim_run_dir(Path("/proc/linearnets-forbidden"), name="x"),
            UsageError,
            r"^out='/proc/linearnets-forbidden' cannot be a run folder: it is in /proc, the kernel's folder of processes; pass out=DIR, a folder of your own",
        ),
        "resume-no-config": (
            lambda: resume_softmax(tmp),
            UsageError,
            r"run_dir must be a run folder holding config.json",
        ),
        "resume-no-checkpoint": (
            lambda: resume_softmax(_run_folder(tmp, checkpoint=b"")),
            CheckpointError,
            r"checkpoint .*checkpoint.pt does not exist",
        ),
        "resume-truncated": (
            lambda: resume_softmax(_run_folder(tmp, checkpoint=b"PK\x03\x04\x14\x00")),
            CheckpointError,
            r"checkpoint .*checkpoint.pt cannot be read: it is truncated",
        ),
        "resume-changed-lr": (
            lambda: resume_softmax(_run_folder(tmp), lr=0.5),
            UsageError,
            r"^lr changed from 0.1 to 0.5 .* pass force=True",
        ),
        "resume-changed-batch-and-seed": (
            lambda: resume_softmax(_run_folder(tmp), batch_size=64, seed=3),
            UsageError,
            r"^batch_size changed from 256 to 64; seed changed from 0 to 3",
        ),
        "resume-changed-impl": (
            lambda: resume_softmax(_run_folder(tmp), impl="concise"),
            UsageError,
            r"^impl changed from 'analytic' to 'concise'",
        ),
        "resume-finished": (
            lambda: resume_softmax(_run_folder(tmp, finished=True), epochs=1),
            UsageError,
            r"^epochs must be more than the epochs the run .* already finished \(1\), got 1; "
            r"pass e.g. epochs=6",
        ),
        "resume-unknown-setting": (
            lambda: resume_softmax(_run_folder(tmp), learning_rate=0.1),
            UsageError,
            r"resume_softmax got unknown settings \['learning_rate'\]",
        ),
        "data-dir-empty": (
            lambda: read_fashion_mnist(_folder(tmp / "empty")),
            UsageError,
            r"root must hold the Fashion-MNIST files .*got '.*empty', which lacks train-images",
        ),
        "data-dir-other-files": (
            lambda: read_fashion_mnist(_other_files(tmp)),
            UsageError,
            r"must hold the Fashion-MNIST files .*which lacks train-labels-idx1-ubyte",
        ),
        "data-dir-a-file": (
            lambda: read_fashion_mnist(a_file),
            UsageError,
            r"root must be an existing folder, got .*a_file",
        ),
        "data-dir-truncated-files": (
            lambda: read_fashion_mnist(_fake_fashion_mnist(tmp)),
            DatasetError,
            r"train-images-idx3-ubyte: expected 47040016 bytes .* got 100; the file is truncated",
        ),
        "checkpoint-foreign": (
            lambda: (
                torch.save({"w": torch.zeros(1)}, tmp / "f.pt"),
                load_checkpoint(tmp / "f.pt"),
            ),
            CheckpointError,
            r"f.pt is not a linearnets checkpoint",
        ),
        # another tool's config.json is neither resumed nor overwritten
        "resume-foreign-config": (
            lambda: resume_softmax(_with_config(tmp, '{"model_type": "bert"}')),
            UsageError,
            r"config.json is not a linearnets run config \(it has no 'config' section\)",
        ),
        "resume-config-not-an-object": (
            lambda: resume_softmax(_with_config(tmp, '{"config": [1]}')),
            UsageError,
            r"config.json: its 'config' section must be a JSON object \(the run's settings\), got "
            r"an array \[1\]; pass the folder a 'linearnets softmax' run wrote$",
        ),
        "resume-binary-config": (
            lambda: resume_softmax(_with_config(tmp, b"\xff\xfe\x00garbage")),
            UsageError,
            r"config.json is not a readable JSON config \(.*codec can't decode",
        ),
        "resume-read-only": (
            lambda: _read_only_resume(tmp),
            UsageError,
            r"^linearnets\.resume_softmax\('.*run'\): the run folder is not writable, and resuming "
            r"rewrites its files",
        ),
        "out-holds-weights-only": (
            lambda: claim_run_dir(_with_files(tmp, "model.pt", "notes.txt"), name="x"),
            UsageError,
            r"^out='.*' already holds a run \(it has model.pt\); it has no config.json, so linearnets\.resume_softmax\(\) cannot continue it",
        ),
        "data-npy-named-npz": (
            lambda: load_classification_file(_npy_as_npz(tmp)),
            DatasetError,
            r"is not a readable .npz file \(not a zip archive: a .npy array",
        ),
        "data-float-label-beyond-int64": (
            lambda: load_classification_file(_labels_npz(tmp, [0.0, 1e19, 1.0, 0.0])),
            DatasetError,
            r"got the label 1e\+19 in y among 3 distinct labels",  # was a wrapped -9223372036854775808
        ),
        "data-huge-label": (
            lambda: load_classification_file(_labels_npz(tmp, [0, 10**9, 0, 10**9])),
            DatasetError,
            r"labels must be class indices 0..C-1 with C at most 100000, got the label 1000000000 in y "
            r"among 2 distinct labels; relabel",
        ),
    }


def _with_config(tmp: Path, content: str | bytes) -> Path:
    run = _folder(tmp / "foreign")
    path = run / "config.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return run


def _with_files(tmp: Path, *names: str) -> Path:
    run = _folder(tmp / "partial")
    for name in names:
        (run / name).write_bytes(b"x")
    return run


def _read_only_resume(tmp: Path) -> Any:
    import linearnets.tasks.resume as resume

    run = _run_folder(tmp)
    real = resume.os.access
    resume.os.access = lambda path, mode: False if Path(path) == run else real(path, mode)  # type: ignore[assignment]
    try:  # (as root every folder is writable: the permission check itself is what is tested)
        return resume_softmax(run, epochs=5)
    finally:
        resume.os.access = real  # type: ignore[assignment]


def _data_run(tmp: Path) -> None:
    """A finished run trained on --data (not Fashion-MNIST)."""
    _npz(tmp, **BLOBS)
    config = SoftmaxConfig(epochs=1, data=tmp / "d.npz", plot="none", device="cpu", out=tmp / "run")
    run_softmax(config)


def _npy_as_npz(tmp: Path) -> Path:
    path = tmp / "renamed.npz"
    np.save(tmp / "a.npy", np.zeros((3, 2)))
    (tmp / "a.npy").rename(path)
    return path


def _labels_npz(tmp: Path, labels: list[float]) -> Path:
    path = tmp / "labels.npz"
    np.savez(path, X=np.zeros((len(labels), 2), dtype=np.float32), y=np.array(labels))
    return path


FILE_CASE_IDS = [
    "out-is-a-file",
    "out-holds-a-run",
    "out-not-creatable",
    "resume-no-config",
    "resume-no-checkpoint",
    "resume-truncated",
    "resume-changed-lr",
    "resume-changed-batch-and-seed",
    "resume-changed-impl",
    "resume-finished",
    "resume-unknown-setting",
    "data-dir-empty",
    "data-dir-other-files",
    "data-dir-a-file",
    "data-dir-truncated-files",
    "checkpoint-foreign",
    "resume-foreign-config",
    "resume-config-not-an-object",
    "resume-binary-config",
    "resume-read-only",
    "out-holds-weights-only",
    "data-npy-named-npz",
    "data-huge-label",
    "data-float-label-beyond-int64",
]


@pytest.mark.parametrize("case", FILE_CASE_IDS)
def test_api_rejects_bad_files(tmp_path: Path, case: str) -> None:
    call, error, pattern = _file_cases(tmp_path)[case]
    with pytest.raises(error, match=pattern):
        call()


# -- the CLI table: (argv, exit status, message pattern); {tmp} is a fresh folder -------------------
@dataclass(frozen=True)
class Setup:
    """Files a CLI case needs, made in ``tmp`` before it runs."""

    make: Callable[[Path], Any] | None = None


def _npz(tmp: Path, **arrays: Any) -> None:
    np.savez(tmp / "d.npz", **arrays)


def _csv(tmp: Path, text: str) -> None:
    (tmp / "d.csv").write_text(text)


def _has_fashion_mnist() -> bool:
    try:
        find_fashion_mnist()
    except Exception:
        return False
    return True


REAL_DATA = pytest.mark.skipif(not _has_fashion_mnist(), reason="needs the real Fashion-MNIST")

BLOBS = {"X": np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32),
         "y": np.arange(40) % 3}  # fmt: skip

CLI_CASES: list[Any] = [
    # linreg options
    pytest.param(["linreg", "--lr", "0"], None, 2, r"argument --lr: must be a finite number > 0, got 0", id="linreg-lr-0"),
    pytest.param(["linreg", "--lr", "nan"], None, 2, r"argument --lr: must be a finite number > 0, got nan", id="linreg-lr-nan"),
    pytest.param(["linreg", "--lr=-inf"], None, 2, r"argument --lr: must be a finite number > 0", id="linreg-lr-inf"),
    pytest.param(["linreg", "--batch-size", "0"], None, 2, r"argument --batch-size: must be a positive integer \(>= 1\), got '0'", id="linreg-batch-0"),
    pytest.param(["linreg", "--batch-size", "ten"], None, 2, r"argument --batch-size: must be a positive integer, got 'ten'", id="linreg-batch-text"),
    pytest.param(["linreg", "--epochs", "0"], None, 2, r"argument --epochs: must be a positive integer", id="linreg-epochs-0"),
    pytest.param(["linreg", "--num-examples", "-5"], None, 2, r"argument --num-examples: must be an integer of at least one more than the weights \(3 for the book's 2\), got '-5'; pass e\.g\. --num-examples 1000", id="linreg-n-negative"),
    pytest.param(["linreg", "--noise-std", "-0.1"], None, 2, r"argument --noise-std: must be a finite number >= 0", id="linreg-noise"),
    pytest.param(["linreg", "--threads", "0"], None, 2, r"argument --threads: must be an integer from 1 to 1024, got '0'", id="linreg-threads"),
    pytest.param(["linreg", "--impl", "fast"], None, 2, r"argument --impl: invalid choice: 'fast'", id="linreg-impl"),
    pytest.param(["linreg", "--lr", "10"], None, 1, r"training diverged at batch \d+ of epoch 1: .*at lr 10; try a smaller learning rate", id="linreg-diverges"),
    pytest.param(["linreg", "--data", "{tmp}/missing.csv"], None, 2, r"--data .*missing.csv does not exist", id="linreg-data-missing"),
    pytest.param(["linreg", "--data", "{tmp}/d.txt"], Setup(lambda t: (t / "d.txt").write_text("1,2\n")), 2, r"--data must be a .npz or .csv file", id="linreg-data-suffix"),
    pytest.param(["linreg", "--data", "{tmp}/d.csv"], Setup(lambda t: _csv(t, "x,y\n1,2\n3,nan\n")), 1, r"holds 'nan', a missing value", id="linreg-data-nan"),
    pytest.param(["linreg", "--data", "{tmp}/d.csv"], Setup(lambda t: _csv(t, "a;b\n1;2\n")), 1, r"is not a numeric CSV", id="linreg-data-not-csv"),
    pytest.param(["linreg", "--data", "{tmp}/d.csv"], Setup(lambda t: _csv(t, "1\n2\n")), 1, r"must have at least 2 columns", id="linreg-data-one-column"),
    pytest.param(["linreg", "--data", "{tmp}/d.csv"], Setup(lambda t: _csv(t, "0,1.5,2\n1,2.5,3\n2,0.5,1\n")), 1, r"has no header and its first column holds the row numbers 0, 1, 2 in order, as pandas' to_csv\(header=False\) writes its index", id="linreg-data-pandas-index"),
    # huge values are refused by name, not left to overflow inside torch; too few examples for a
    # unique closed form are refused before training
    pytest.param(["linreg", "--seed", str(2**64 - 1)], None, 2, r"argument --seed: must be an integer from 0 to 2147483647, got '18446744073709551615'; pass e\.g\. --seed 0", id="linreg-seed-huge"),
    pytest.param(["linreg", "--threads", str(2**31)], None, 2, r"argument --threads: must be an integer from 1 to 1024, got '2147483648'; pass e\.g\. --threads 1", id="linreg-threads-huge"),
    pytest.param(["linreg", "--num-examples", "1" + "0" * 30], None, 2, r"argument --num-examples: must be an integer of at least one more than the weights \(3 for the book's 2\) and at most 100000000, got '1000000000000000000000000000000'; pass e\.g\. --num-examples 1000", id="linreg-n-huge"),
    pytest.param(["linreg", "--impl", "concise", "--batch-size", "1" + "0" * 30], None, 2, r"argument --batch-size: must be an integer from 1 to \d+, got '1000000000000000000000000000000'; pass e\.g\. --batch-size 10", id="linreg-batch-huge"),
    pytest.param(["linreg", "--noise-std", "1e30"], None, 2, r"argument --noise-std: must be a number in \[0, 1e\+15\], got 1e30; pass e\.g\. --noise-std 0\.01", id="linreg-noise-huge"),
    pytest.param(["linreg", "--num-examples", "2"], None, 2, r"error: --num-examples must be an integer in \[3, 100000000\] \(at least one more than the 2 weights, for a unique least-squares solution\), got 2; pass e\.g\. --num-examples 1000$", id="linreg-n-2"),
    pytest.param(["linreg", "--data", "{tmp}/d.csv"], Setup(lambda t: _csv(t, "a,b,y\n1,1,2\n2,2,3\n3,3,5\n")), 1, r"--data .*d.csv: X must have linearly independent columns.*got rank 2 < 3", id="linreg-data-rank"),
    # the guard: on a dataset smaller than its 64-example window the blow-up is caught at epoch end
    pytest.param(["linreg", "--epochs", "1", "--lr", "10.5", "--num-examples", "50"], None, 1, r"training diverged in epoch 1: the training loss after the epoch is 1.696e\+12, more than 100× the mean loss over its first 50 examples \(1\.996e\+09, already grown from the first step's 28\.1\)", id="linreg-small-data-diverges"),
    # negative numbers in any float spelling reach the option's own check
    pytest.param(["linreg", "--lr", "-1e-3"], None, 2, r"argument --lr: must be a finite number > 0, got -1e-3", id="linreg-lr-negative-exponent"),
    pytest.param(["linreg", "--noise-std", "-inf"], None, 2, r"argument --noise-std: must be a finite number >= 0, got -inf", id="linreg-noise-minus-inf"),
    # an unknown option is named by the subcommand that got it, with that subcommand's --help
    pytest.param(["linreg", "--bogus"], None, 2, r"^linearnets linreg: error: unrecognized arguments: --bogus: linearnets linreg has no option --bogus \(see linearnets linreg --help\)$", id="linreg-unknown-option"),
    # data show: --out checked before the dataset is read (here: a folder with no dataset)
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", "{tmp}/x.txt"], None, 2, r"--out must end with one of .png, .svg, .pdf, got '(.*)x.txt'; pass e.g. --out \1x\.txt\.png$", id="data-show-out-suffix"),
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", "{tmp}"], None, 2, r"--out .* is a folder; pass a file name in it, e.g. .*/fashion-mnist\.png$", id="data-show-out-folder"),
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", "{tmp}/f/x.png"], Setup(lambda t: (t / "f").write_text("")), 2, r"--out .*f/x.png cannot be written: .*/f is a file, not a folder", id="data-show-out-parent-file"),
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", "{tmp}/d.png"], Setup(lambda t: (t / "d.png").mkdir()), 2, r"--out .*d.png is a folder; pass a file name in it", id="data-show-out-is-folder"),
    # a folder's spelling: Path dropped the slash and wrote the file x.png
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", "{tmp}/x.png/"], None, 2, r"argument --out: must name a file, got '.*/x\.png/', which ends with a separator as a folder does", id="data-show-out-trailing-slash"),
    # a blank at either end of a path that names nothing: a new folder "run " or file " x.png" was
    # made, shown as "run folder: .../run" and not found again by that name
    pytest.param(["softmax", "--out", "{tmp}/run ", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, **BLOBS)), 2, r"argument --out: must not begin or end with whitespace \(unless a file or folder of that name exists\), got '.*/run '; drop it: '.*/run'", id="softmax-out-trailing-space"),
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", " x.png"], None, 2, r"argument --out: must not begin or end with whitespace .*, got ' x\.png'; drop it: 'x\.png'", id="data-show-out-leading-space"),
    pytest.param(["linreg", "--data", " "], None, 2, r"argument --data: must not begin or end with whitespace .*, got ' '; pass a \.npz or \.csv data file, e.g\. --data table\.csv", id="linreg-data-blank"),
    pytest.param(["predict", "{tmp}/run\t"], Setup(_run_folder), 2, r"argument RUN_DIR: must not begin or end with whitespace .*, got \$'.*/run\\t'; drop it: '.*/run'", id="predict-run-dir-trailing-tab"),
    pytest.param(["predict", "{tmp}", "--out", "{tmp}/p.png/"], None, 2, r"argument --out: must name a file, got '.*/p\.png/', which ends with a separator", id="predict-out-trailing-slash"),
    # softmax options
    pytest.param(["softmax", "--impl", "fast"], None, 2, r"argument --impl: invalid choice: 'fast'", id="softmax-impl"),
    pytest.param(["softmax", "--lr", "0"], None, 2, r"argument --lr: must be a finite number > 0", id="softmax-lr-0"),
    pytest.param(["softmax", "--lr", "-1"], None, 2, r"argument --lr: must be a finite number > 0", id="softmax-lr-negative"),
    pytest.param(["softmax", "--batch-size", "0"], None, 2, r"argument --batch-size: must be a positive integer", id="softmax-batch-0"),
    pytest.param(["softmax", "--epochs", "1.5"], None, 2, r"argument --epochs: must be a positive integer, got '1.5'", id="softmax-epochs-float"),
    pytest.param(["softmax", "--seed", "-1"], None, 2, r"argument --seed: must be an integer from 0 to 2147483647, got '-1'", id="softmax-seed"),
    pytest.param(["softmax", "--threads", "0"], None, 2, r"argument --threads: must be an integer from 1 to 1024, got '0'", id="softmax-threads"),
    pytest.param(["softmax", "--resize", "0"], None, 2, r"argument --resize: must be an integer from 1 to 4096 or none, got '0'; pass e\.g\. --resize 64, or --resize none for the images' own size", id="softmax-resize"),
    pytest.param(["softmax", "--resize", "nothing"], None, 2, r"argument --resize: must be a positive integer or none, got 'nothing'; pass e\.g\. --resize 64, or --resize none for the images' own size", id="softmax-resize-word"),
    # in the command's words: no resize=64 on a command line, and None as --resize none (leaving
    # --resize out keeps a resumed run's own)
    pytest.param(["softmax", "--resize", "4097"], None, 2, r"argument --resize: must be an integer from 1 to 4096 or none, got '4097'; pass e\.g\. --resize 64, or --resize none for the images' own size", id="softmax-resize-too-large"),
    # another command's option is no abbreviation of this one's (--data once read as --data-dir)
    pytest.param(["predict", "{tmp}", "--data", "x.npz"], None, 2, r"error: unrecognized arguments: --data x\.npz: --data is an option of linreg and softmax, not of linearnets predict \(see linearnets predict --help\)$", id="predict-data"),
    pytest.param(["softmax", "--plot", "png"], None, 2, r"argument --plot: invalid choice: 'png'", id="softmax-plot"),
    pytest.param(["softmax", "--device", "tpu"], None, 2, r"device must be one of auto, cpu, cuda, cuda:N, mps, got 'tpu'", id="softmax-device"),
    pytest.param(["softmax", "--out", "/proc/linearnets-forbidden", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, **BLOBS)), 2, r"--out /proc/linearnets-forbidden cannot be a run folder: it is in /proc, the kernel's folder of processes; pass --out DIR, a folder of your own \(e\.g\. a new name in the working folder\)$", id="softmax-out-forbidden"),
    pytest.param(["softmax", "--out", "/proc/self", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, **BLOBS)), 2, r"--out /proc/self cannot be a run folder: it is in /proc, the kernel's folder of processes \(it leads to /proc/\d+\); pass --out DIR", id="softmax-out-in-proc"),
    pytest.param(["softmax", "--out", "{tmp}/d.npz", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, **BLOBS)), 2, r"--out must be a folder, got the file", id="softmax-out-file"),
    pytest.param(["softmax", "--out", "{tmp}/run", "--device", "cpu"], Setup(_run_folder), 2, r"already holds a run .*--resume", id="softmax-out-holds-run"),
    pytest.param(["softmax", "--data", "{tmp}/missing.npz", "--device", "cpu"], None, 2, r"--data .*missing.npz does not exist", id="softmax-data-missing"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: (t / "d.npz").write_bytes(b"not a zip")), 1, r"is not a readable .npz file", id="softmax-data-not-npz"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, X=BLOBS["X"], y=BLOBS["y"] + 0.5)), 1, r"d.npz: y must hold integer class labels, got 0.5 at index 0 \(40 such values\); fix or drop those examples", id="softmax-data-float-labels"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, X=BLOBS["X"], y=BLOBS["y"] - 1)), 1, r"d.npz: y must hold labels >= 0, got -1", id="softmax-data-negative-label"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, X=np.full((4, 2), np.nan), y=np.arange(4) % 2)), 1, r"NaN or inf", id="softmax-data-nan"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, X=np.zeros((0, 5)), y=np.zeros(0, dtype=int))), 1, r"X must hold at least one example and one feature, got shape \(0, 5\): no examples", id="softmax-data-empty"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, features=BLOBS["X"])), 1, r"must hold arrays X and y", id="softmax-data-wrong-names"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, X=BLOBS["X"][:, 0], y=BLOBS["y"])), 1, r"X must be a 2-d array \(N, D\), got shape \(40,\); store one row of features per example, e\.g\. X\.reshape\(-1, 1\)", id="softmax-data-1d-features"),
    pytest.param(["linreg", "--data", "{tmp}/d.npz"], Setup(lambda t: _npz(t, X=BLOBS["X"].reshape(40, 5, 1), y=BLOBS["y"])), 1, r"X must be a 2-d array \(N, D\), got shape \(40, 5, 1\); reshape it to one row per example", id="linreg-data-3d-features"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--device", "cpu"], Setup(lambda t: _npz(t, X=BLOBS["X"], y=np.zeros(40, dtype=int))), 1, r"y must hold at least 2 classes", id="softmax-data-one-class"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--resize", "14", "--device", "cpu"], Setup(lambda t: _npz(t, **BLOBS)), 2, r"--resize applies to Fashion-MNIST images only", id="softmax-resize-with-data"),
    pytest.param(["softmax", "--data", "{tmp}/d.npz", "--data-dir", "{tmp}", "--device", "cpu"], Setup(lambda t: _npz(t, **BLOBS)), 2, r"--data-dir finds Fashion-MNIST, got --data-dir .* with --data .*d.npz, which replaces it; drop one of them", id="softmax-data-dir-with-data"),
    pytest.param(["softmax", "--data-dir", "{tmp}", "--device", "cpu"], None, 2, r"--data-dir must hold the Fashion-MNIST files .*got ", id="softmax-data-dir-empty"),
    pytest.param(["softmax", "--data-dir", "{tmp}/other", "--device", "cpu"], Setup(_other_files), 2, r"must hold the Fashion-MNIST files .*which lacks train-labels", id="softmax-data-dir-other-files"),
    pytest.param(["softmax", "--data-dir", "{tmp}/missing", "--device", "cpu"], None, 2, r"--data-dir must be an existing folder", id="softmax-data-dir-missing"),
    pytest.param(["softmax", "--data-dir", "{tmp}/fake", "--device", "cpu", "--out", "{tmp}/run"], Setup(_fake_fashion_mnist), 1, r"expected 47040016 bytes .* got 100", id="softmax-data-dir-truncated"),
    pytest.param(["softmax", "--lr", "1e4", "--device", "cpu", "--plot", "none", "--out", "{tmp}/run"], None, 1, r"diverged at batch \d+ of epoch 1: the batch loss is .* at lr 10000; try a far smaller learning rate \(--lr\), e.g. 0.5 \(the book .*no epoch had finished.* --lr 0.5; ", id="softmax-lr-1e4-diverges", marks=REAL_DATA),
    # Fashion-MNIST's verified pixels hold no NaN or inf: a NaN loss after an update names lr alone
    pytest.param(["softmax", "--lr", "1e38", "--epochs", "1", "--device", "cpu", "--plot", "none", "--out", "{tmp}/run"], None, 1, r"diverged at batch 2 of epoch 1: the batch loss is nan \(not finite\) at lr 1e\+38; try a far smaller learning rate \(--lr\), e.g. 0.5 \(the book trains at 0\.03 and 0\.1; a tenth, 1e\+37, would most likely blow up too\); no epoch had finished", id="softmax-lr-1e38-nan", marks=REAL_DATA),
    pytest.param(["softmax", "--force"], None, 2, r"--force only applies with --resume", id="softmax-force-alone"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--out", "{tmp}/b"], Setup(_run_folder), 2, r"--out cannot be combined with --resume", id="resume-with-out"),
    pytest.param(["softmax", "--resume", "{tmp}"], None, 2, r"RUN_DIR must be a run folder holding config.json", id="resume-not-a-run"),
    # refused before the run folder is made: an lr beyond float32, batches too big for memory
    pytest.param(["softmax", "--lr", "1e-40", "--out", "{tmp}/run"], None, 2, r"argument --lr: must be at least about 1\.18e-38 \(float32's smallest normal number: the parameters and their updates are float32, and below it lr itself is no normal float32 number a step can use\), got 1e-40; pass e\.g\. --lr 0\.1 \(see linearnets softmax --help\)$", id="softmax-lr-underflows"),
    # the value as received: :g rounded 1.1999999e-38 to the floor itself ("at least 1.2e-38 ...,
    # got 1.2e-38") and showed 1e-320 as 9.99989e-321
    pytest.param(["linreg", "--lr", "1.17e-38"], None, 2, r"argument --lr: must be at least about 1\.18e-38 \(float32's smallest normal number: the parameters and their updates are float32, and below it lr itself is no normal float32 number a step can use\), got 1\.17e-38; pass e\.g\. --lr 0\.03 \(see linearnets linreg --help\)$", id="linreg-lr-just-below-the-floor"),
    pytest.param(["linreg", "--lr", "1e-320"], None, 2, r"argument --lr: must be at least about 1\.18e-38 .*, got 1e-320; pass e\.g\. --lr 0\.03 \(see linearnets linreg --help\)$", id="linreg-lr-subnormal"),
    pytest.param(["softmax", "--lr", "1e39", "--out", "{tmp}/run"], None, 2, r"argument --lr: must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got 1e39; pass e\.g\. --lr 0\.1 \(see linearnets softmax --help\)$", id="softmax-lr-beyond-float32"),
    pytest.param(["softmax", "--resize", "4096", "--out", "{tmp}/run"], None, 2, r"--batch-size × --resize² float32 values must fit in 2 GiB per batch, got 256 × 4096² \(16.0 GiB\)", id="softmax-resize-batch-memory"),
    pytest.param(["predict", "{tmp}/run"], Setup(lambda t: _data_run(t)), 2, r"predict draws Fashion-MNIST test images, but the run in .*run was trained on --data .*d.npz", id="predict-data-run"),
    pytest.param(["predict", "{tmp}/f"], Setup(lambda t: (t / "f").write_text("")), 2, r"RUN_DIR must be a run folder, got '.*/f', which is not a folder", id="predict-run-dir-a-file"),
    pytest.param(["data", "show", "--data-dir", "{tmp}", "--out", "{tmp}/" + "x" * 300 + ".png"], None, 2, r"--out must be a path whose every file or folder name is at most \d+ bytes \(the file system's limit\), got '.*x\.png', whose name 'x+…x+\.png' has 304 bytes; shorten that name", id="data-show-out-name-too-long"),
    pytest.param(["predict", "{tmp}", "-n", "101"], None, 2, r"argument -n: must be an integer from 1 to 100, got '101'; pass e\.g\. -n 6", id="predict-n-too-many"),
    pytest.param(["predict", "{tmp}", "--out", "{tmp}/p.txt"], None, 2, r"--out must end with one of .png, .svg, .pdf", id="predict-out-suffix"),
    pytest.param(["softmax", "--resume", "{tmp}/run"], Setup(lambda t: _run_folder(t, checkpoint=b"")), 1, r"checkpoint .*checkpoint.pt does not exist", id="resume-no-checkpoint"),
    pytest.param(["softmax", "--resume", "{tmp}/run"], Setup(lambda t: _run_folder(t, checkpoint=b"\x80\x04garbage")), 1, r"checkpoint .*checkpoint.pt cannot be read", id="resume-garbage-checkpoint"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--lr", "0.5"], Setup(_run_folder), 2, r"--lr changed from 0.1 to 0.5 .*--force", id="resume-changed-lr"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--batch-size", "64"], Setup(_run_folder), 2, r"--batch-size changed from 256 to 64", id="resume-changed-batch"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--seed", "1"], Setup(_run_folder), 2, r"--seed changed from 0 to 1", id="resume-changed-seed"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--impl", "concise"], Setup(_run_folder), 2, r"--impl changed from analytic to concise", id="resume-changed-impl"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--resize", "28"], Setup(_data_run), 2, r"error: --resize applies to Fashion-MNIST images only, got --resize 28 for a run trained on --data .*d\.npz \(its config\.json\), which a resume keeps; leave --resize out to resume it, or train on Fashion-MNIST at that size in a new run folder$", id="resume-data-run-resize"),
    pytest.param(["softmax", "--resume", "{tmp}/run", "--epochs", "1"], Setup(lambda t: _run_folder(t, finished=True)), 2, r"error: --epochs must be more than .* got 1; pass e.g. --epochs 6 to", id="resume-finished"),
    # predict
    pytest.param(["predict", "{tmp}"], None, 2, r"RUN_DIR must hold the trained weights model.pt", id="predict-no-weights"),
    pytest.param(["predict", "{tmp}"], Setup(lambda t: (t / "model.pt").write_bytes(b"PK\x03\x04")), 1, r"model.pt is not a linearnets weights file or is damaged", id="predict-damaged-weights"),
    pytest.param(["predict", "{tmp}", "-n", "0"], None, 2, r"argument -n: must be an integer from 1 to 100, got '0'", id="predict-n-0"),
]  # fmt: skip


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv,setup,code,pattern", CLI_CASES)
def test_cli_prints_one_line_and_exits(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    setup: Setup | None,
    code: int,
    pattern: str,
) -> None:
    # a run without --out claims runs/NAME-TIME in the working folder: not in the checkout, should
    # a refused run ever claim it (it is claimed once the data are read), where another process of
    # the suite (pytest -n) would see it come and go
    monkeypatch.chdir(tmp_path)
    if setup is not None and setup.make is not None:
        setup.make(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status, err = _run_cli(argv, capsys)
    assert status == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    # named as the subcommand (and action: "data show") that was given, as argparse names it
    action = argv[1:2] if argv[0] == "data" and argv[1:2] in (["show"], ["download"]) else []
    assert lines[0].startswith(f"linearnets {' '.join([argv[0], *action])}: error: "), err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]
    assert not (tmp_path / "runs").exists()  # a refused run leaves no folder behind


@pytest.mark.parametrize(
    "argv",
    [["--debug", "linreg", "--lr", "10"], ["linreg", "--lr", "10", "--debug"]],
    ids=["before", "after"],
)
def test_debug_shows_the_traceback(argv: list[str]) -> None:
    with pytest.raises(DivergenceError):
        main(argv)


def test_ctrl_c_while_starting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt  # as Ctrl-C lands during the imports of build_parser

    monkeypatch.setattr("linearnets.cli.build_parser", interrupted)
    assert main(["softmax"]) == 130
    assert (
        capsys.readouterr().err
        == "linearnets: interrupted by SIGINT while starting; nothing was done: run the same "
        "command again\n"
    )


@pytest.mark.parametrize(
    ("signum", "said"),
    [(signal.SIGINT, "interrupted by SIGINT"), (signal.SIGTERM, "interrupted by SIGTERM")],
)
def test_a_signal_an_import_swallows_still_stops_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signum: int, said: str
) -> None:
    """numpy's import now and then swallows a KeyboardInterrupt: the command then trained to its
    end (exit 0). The signal is held through the imports and raised once they are done."""
    from linearnets import cli

    real = cli.build_parser

    def swallowing() -> Any:
        try:  # what an import that catches the interrupt does
            os.kill(os.getpid(), signum)
            time.sleep(0.05)
        except KeyboardInterrupt:
            pass
        return real()

    monkeypatch.setattr("linearnets.cli.build_parser", swallowing)
    assert main(["linreg", "--epochs", "1"]) == 130
    assert (
        capsys.readouterr().err
        == f"linearnets: {said} while starting; nothing was done: run the same command again\n"
    )


def test_unexpected_errors_are_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied\n(4x3 and 2x1)")

    monkeypatch.setattr("linearnets.tasks.linreg.run_linreg", broken)
    status, err = _run_cli(["linreg"], capsys)
    assert status == 1
    assert err.strip() == (
        "linearnets linreg: error: unexpected RuntimeError: mat1 and mat2 shapes cannot be "
        "multiplied (4x3 and 2x1) (re-run with --debug for the traceback)"
    )


def count_cases() -> int:
    """Return how many bad inputs this module tries (the README quotes it)."""
    return len(API_CASES) + len(FILE_CASE_IDS) + len(CLI_CASES)


def test_file_case_ids_match_the_table(tmp_path: Path) -> None:
    assert sorted(_file_cases(tmp_path)) == sorted(FILE_CASE_IDS)


# ------------------------------------------------------ in IPython and Jupyter: outcomes on one line
def _raise_in_a_cell(
    ipython: Any, capsys: pytest.CaptureFixture[str], exc: BaseException
) -> list[str]:
    """Run a cell whose function raises ``exc``; return the lines IPython showed."""
    ipython.user_ns["exc"] = exc
    result = ipython.run_cell("def train():\n    raise exc\ntrain()")
    assert result.error_in_exec is exc
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()


@pytest.mark.parametrize(
    "exc",
    [
        DivergenceError(
            "the loss became inf at batch 12 of epoch 3; resume with a smaller lr: "
            "linearnets.resume_softmax('runs/a', lr=0.01, force=True)"
        ),
        CheckpointError("runs/a/checkpoint.pt is truncated (812 of 31,528 bytes); ..."),
        DatasetError("train-images-idx3-ubyte.gz: MD5 mismatch; download it again"),
        RunFileError("runs/a/metrics.csv could not be written: the disk is full"),
        PlotError(
            "curves.png could not be drawn; draw them with: linearnets.resume_softmax('runs/a')"
        ),
        LocalFileError("data/train.gz could not be saved: the disk is full"),  # a DatasetError
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_an_outcome_shows_in_ipython_as_its_one_line(
    ipython: Any, capsys: pytest.CaptureFixture[str], exc: BaseException
) -> None:
    """A run's outcome (not a bug): its line says what happened and what to do; the traceback
    through the library only buried it. ``%debug`` still has the frames."""
    assert _raise_in_a_cell(ipython, capsys, exc) == [f"{type(exc).__name__}: {exc}"]
    assert sys.last_value is exc  # what %debug and %tb start from


@pytest.mark.parametrize(
    "exc",
    [
        UsageError("lr must be a positive number, got -0.1; pass e.g. lr=0.1"),
        UsageTypeError("X must be a torch.Tensor, got a list; pass torch.tensor(X)"),
        RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 2x1)"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_a_mistake_in_a_call_or_an_unexpected_error_keeps_its_traceback(
    ipython: Any, capsys: pytest.CaptureFixture[str], exc: BaseException
) -> None:
    """A usage error's first frame is the call in the cell to fix; an unexpected error's frames
    are what there is to find the bug with."""
    lines = _raise_in_a_cell(ipython, capsys, exc)
    assert "Traceback (most recent call last)" in lines[1]
    assert "----> 3 train()" in lines and "----> 2     raise exc" in lines
    assert lines[-1] == f"{type(exc).__name__}: {exc}"


# a whole run's refusals, by the entry point a notebook cell calls: (cell, message pattern)
RUN_REFUSALS = [
    pytest.param(
        "ln.run_softmax(ln.SoftmaxConfig(epochs=1, data={tmp}/'d.npz', plot='none', device='cpu', "
        "out={tmp}/'run'))",
        r"^out='.*/run' already holds a run",
        id="run_softmax-into-a-taken-folder",  # the cell run again
    ),
    pytest.param(
        "ln.resume_softmax({tmp}/'run')",
        r"^the run in .*/run is complete: it finished its 1 epoch .* pass e.g. epochs=6",
        id="resume_softmax-of-a-complete-run",
    ),
    pytest.param(
        "ln.run_linreg(ln.LinregConfig(data={tmp}/'gone.npz'))",  # refused by run_linreg's reader
        r"^data='.*/gone.npz' does not exist or is not a file; pass an existing .npz file$",
        id="run_linreg-of-a-data-file-gone",
    ),
]


@pytest.mark.parametrize(("cell", "pattern"), RUN_REFUSALS)
def test_a_whole_runs_refusal_shows_in_ipython_as_its_one_line(
    ipython: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, cell: str, pattern: str
) -> None:
    """Re-running a ``run_softmax(SoftmaxConfig(out=...))`` cell, the most common thing done in a
    notebook, showed the refusal as a traceback of ~40 lines through 7 library frames, its one line
    at the bottom. It shows as that line; the exception is the same: its type, its pickle, and the
    line plain Python prints of it."""
    _data_run(tmp_path)  # a finished run in tmp/run, trained on tmp/d.npz
    ipython.run_cell(
        f"import linearnets as ln\nfrom pathlib import Path\ntmp = Path({str(tmp_path)!r})"
    )
    result = ipython.run_cell(cell.replace("{tmp}", "tmp"))
    exc = result.error_in_exec
    assert type(exc) is UsageError and re.search(pattern, str(exc)), exc
    line = f"UsageError: {exc}"
    assert capsys.readouterr() == (line + "\n", "")
    assert sys.last_value is exc  # %debug still has the frames
    copied = pickle.loads(pickle.dumps(exc))
    assert type(copied) is UsageError and copied.args == exc.args
    assert copied._render_traceback_() == [line]
    # what plain Python prints: as of any UsageError with that message
    plain = traceback.format_exception_only(UsageError, UsageError(str(exc)))
    assert traceback.format_exception_only(type(exc), exc) == plain


def test_a_bad_argument_to_fit_keeps_its_traceback_after_a_runs_refusal(
    ipython: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Only a whole run's entry points show their usage errors as one line: a bad argument to a
    library function keeps the traceback whose first frame is the call to fix."""
    ipython.run_cell(f"import linearnets as ln\nln.resume_softmax({str(tmp_path / 'nothing')!r})")
    assert capsys.readouterr().out.startswith("UsageError: run_dir must be a run folder")
    ipython.run_cell(
        "import torch\nnet = ln.linreg_concise(2)\n"
        "batches = [(torch.zeros(4, 2), torch.zeros(4, 1))]\n"
        "ln.fit(net, batches, torch.nn.MSELoss(reduction='none'), "
        "torch.optim.SGD(net.parameters(), lr=0.1), 0)"
    )
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and "Traceback (most recent call last)" in lines[1]
    assert any(line.startswith("----> 4 ln.fit(net, batches") for line in lines)
    assert lines[-1].startswith("UsageError: num_epochs must be a positive integer (>= 1), got 0")
    assert not hasattr(sys.last_value, "_render_traceback_")
