"""Train a prepared linear-regression run and read off what it learned (D2L §3.2.7, §3.3.7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from linearnets._paths import absolute_path
from linearnets._text import shown_path
from linearnets.config import LinregConfig
from linearnets.errors import DivergenceError
from linearnets.models.scratch import LinearRegressionScratch
from linearnets.tasks.linreg_result import LinregResult
from linearnets.tasks.run_failures import LARGE_FEATURES
from linearnets.training.loop import History, fit

if TYPE_CHECKING:
    from linearnets.tasks.linreg import LinregSetup

__all__ = ["train_linreg"]


def train_linreg(
    setup: LinregSetup,
    *,
    callbacks: Sequence[Any],
    start_epoch: int = 0,
    history: History | None = None,
) -> LinregResult:
    """Train ``setup`` for epochs ``start_epoch + 1 … config.epochs`` and compare with the truth.

    Args:
        setup: the prepared run (its states restored from a checkpoint when resuming).
        callbacks: every ``fit`` callback, the guard first (:func:`with_guard`).
        start_epoch: epochs already done.
        history: their metrics (extended in place).

    See D2L §3.2.7 and §3.3.7.
    """
    config, features = setup.config, setup.features
    try:
        history = fit(
            setup.net,
            setup.train_iter,
            setup.loss,
            setup.updater,
            config.epochs,
            train_eval_iter=[(features, setup.labels)],
            callbacks=callbacks,
            start_epoch=start_epoch,
            history=history,
        )
    except DivergenceError as exc:
        raise _with_scale_hint(exc, config, features) from None
    w, b = _weights(setup.net)
    return LinregResult(
        impl=config.impl,
        epochs=config.epochs,
        w=w,
        b=b,
        true_w=setup.true_w,
        true_b=setup.true_b,
        closed_w=setup.closed_w.tolist(),
        closed_b=setup.closed_b,
        loss=history.last.train_loss,
        history=history,
        config=config,
        data_source=_data_source(config, features),
    )


def _data_source(config: LinregConfig, features: torch.Tensor) -> str:
    """Return where the features (n, d) came from: the ``data`` file, its examples and features
    (as ``linearnets softmax`` names its file), or ``"synthetic"``."""
    if config.data is None:
        return "synthetic"
    num_examples, num_features = features.shape
    path = shown_path(absolute_path(config.data))
    return (
        f"{path} ({num_examples} example{'s' * (num_examples != 1)}, "
        f"{num_features} feature{'s' * (num_features != 1)})"
    )


def _with_scale_hint(
    exc: DivergenceError, config: LinregConfig, features: torch.Tensor
) -> DivergenceError:
    """Return the guard's stop, advising too to standardise a data file's features (n, d) where
    they pass :data:`~linearnets.tasks.run_failures.LARGE_FEATURES` in size.

    The largest step that converges falls with the features' size squared: at values of 1e3 a
    tenth of the book's lr, then a tenth of that, diverged again (five times over), and the first
    lr small enough left the small columns untrained.
    """
    low, high = torch.aminmax(features)  # no copy of the data, as abs() would make
    largest = max(-float(low), float(high))
    named = not exc.resumable and not exc.grew  # the data's size, or the updates before a resume
    if config.data is None or named or not largest > LARGE_FEATURES:
        return exc  # a smaller lr (the advice given) is the fix, or the data's size is named
    hinted = DivergenceError(
        f"{exc}; or standardise the features, which reach {largest:.3g} in "
        f"{shown_path(config.data)}, where the book's lr suits values of about 1: subtract each "
        "column's mean and divide by its standard deviation, e.g. X = (X - X.mean(0)) / X.std(0)"
    )
    hinted.resumable, hinted.grew = exc.resumable, exc.grew
    return hinted


def _weights(net: Any) -> tuple[list[float], float]:
    """Return the trained w (flattened to a list) and b of either implementation."""
    if isinstance(net, LinearRegressionScratch):
        return net.w.detach().reshape(-1).tolist(), float(net.b.detach())
    linear = net[0]
    return linear.weight.detach().reshape(-1).tolist(), float(linear.bias.detach())
